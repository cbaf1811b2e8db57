//! `px360 bench sla`: how long the 15-minute complaint SLA check takes on many open complaints.
//! Inserts N open complaints (received over the past ten days, so most are overdue) into a
//! hospital of their own on the configured database, then runs the check at the same instant
//! until nothing is left to do, timing each run (the first flags overdue, sends reminders and
//! fires level 1; the next ones fire one level each). Use a scratch database.

use std::time::Instant;

use chrono::Duration;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::app::AppState;
use crate::domains::complaints::calendar::WorkingCalendar;
use crate::domains::complaints::model::complaint;
use crate::domains::complaints::sla::{self, ComplaintSource, Priority, Severity};
use crate::domains::complaints::sla_jobs;
use crate::domains::complaints::workflow::{RefPrefix, new_reference_number};
use crate::domains::organizations::model::hospital;
use crate::domains::organizations::service::now;

#[derive(Debug, serde::Serialize)]
pub struct SlaRun {
    pub seconds: f64,
    pub checked: u64,
    pub reminders: u64,
    pub overdue_flagged: u64,
    pub escalations: u64,
}

#[derive(Debug, serde::Serialize)]
pub struct SlaBench {
    pub backend: String,
    pub complaints: u64,
    pub insert_seconds: f64,
    pub runs: Vec<SlaRun>,
    /// Complaints checked a second by the first (busiest) run.
    pub first_run_complaints_per_second: f64,
}

async fn bench_hospital(state: &AppState) -> anyhow::Result<hospital::Model> {
    if let Some(h) = hospital::Entity::find().filter(hospital::Column::Code.eq("BENCH-SLA")).one(&state.db).await? {
        return Ok(h);
    }
    let at = now();
    Ok(hospital::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(None),
        code: Set("BENCH-SLA".into()),
        his_code: Set(String::new()),
        name_en: Set("SLA Bench Hospital".into()),
        name_ar: Set("مستشفى قياس مستوى الخدمة".into()),
        city: Set("Riyadh".into()),
        phone: Set(String::new()),
        email: Set(String::new()),
        address: Set(String::new()),
        license_number: Set(String::new()),
        status: Set("active".into()),
        default_language: Set("ar".into()),
        auto_create_action_on_complaint: Set(false),
        quiet_hours_start: Set(0),
        quiet_hours_end: Set(0),
        survey_throttle_days: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
    }
    .insert(&state.db)
    .await?)
}

pub async fn sla(state: &AppState, n: u64) -> anyhow::Result<SlaBench> {
    let h = bench_hospital(state).await?;
    let mut rng = StdRng::seed_from_u64(15);
    let at = now();
    let cal = WorkingCalendar::default();
    let started = Instant::now();
    let mut rows = Vec::with_capacity(500);
    for i in 0..n {
        let severity = Severity::ALL[rng.random_range(0..Severity::ALL.len())];
        let priority = Priority::ALL[rng.random_range(0..Priority::ALL.len())];
        let source = [ComplaintSource::Patient, ComplaintSource::Moh, ComplaintSource::Staff][rng.random_range(0..3)];
        let received_at = at - Duration::minutes(rng.random_range(10..60 * 24 * 10));
        let plan = sla::complaint_sla(&[], source, severity, priority, received_at, &cal);
        rows.push(complaint::ActiveModel {
            id: Set(Uuid::now_v7()),
            hospital_id: Set(h.id),
            reference_number: Set(new_reference_number(RefPrefix::Cmp, received_at)),
            complaint_type: Set("complaint".into()),
            source: Set(source.as_str().into()),
            source_type: Set(source.source_type().as_str().into()),
            external_reference: Set(String::new()),
            parent_complaint_id: Set(None),
            patient_id: Set(None),
            complainant_name: Set(String::new()),
            complainant_phone: Set(String::new()),
            complainant_email: Set(String::new()),
            complainant_relation: Set(String::new()),
            department_id: Set(None),
            encounter_id: Set(String::new()),
            category_id: Set(None),
            staff_id: Set(None),
            title: Set(format!("Bench complaint {i}")),
            description: Set("Synthetic complaint for the SLA check benchmark.".into()),
            language: Set("en".into()),
            priority: Set(priority.as_str().into()),
            severity: Set(severity.as_str().into()),
            status: Set("open".into()),
            status_changed_at: Set(None),
            assigned_to: Set(None),
            assigned_at: Set(None),
            received_at: Set(received_at),
            sla_config_id: Set(None),
            clock_mode: Set(plan.rule.clock_mode.as_str().into()),
            due_at: Set(Some(plan.times.due_at)),
            first_reminder_at: Set(plan.times.first_reminder_at),
            second_reminder_at: Set(plan.times.second_reminder_at),
            first_reminder_sent_at: Set(None),
            second_reminder_sent_at: Set(None),
            escalation_at: Set(plan.times.escalation_at),
            is_overdue: Set(false),
            escalation_level: Set(0),
            escalated_at: Set(None),
            resolution: Set(String::new()),
            resolution_category: Set(None),
            resolved_by: Set(None),
            resolved_at: Set(None),
            closed_by: Set(None),
            closed_at: Set(None),
            cancelled_by: Set(None),
            cancelled_at: Set(None),
            harm_level: Set(String::new()),
            stage_of_care: Set(String::new()),
            metadata: Set(serde_json::json!({"bench": true})),
            created_by: Set(None),
            created_at: Set(received_at),
            updated_at: Set(received_at),
            deleted_at: Set(None),
        });
        if rows.len() == 500 || i + 1 == n {
            complaint::Entity::insert_many(std::mem::take(&mut rows)).exec_without_returning(&state.db).await?;
        }
    }
    let insert_seconds = started.elapsed().as_secs_f64();
    let mut runs = Vec::new();
    // Escalation has three levels, one per run: four runs leave nothing to do.
    for _ in 0..4 {
        let t = Instant::now();
        let done = sla_jobs::check_complaints(state, at).await?;
        runs.push(SlaRun {
            seconds: t.elapsed().as_secs_f64(),
            checked: done.checked,
            reminders: done.reminders,
            overdue_flagged: done.overdue_flagged,
            escalations: done.escalations,
        });
        if done.reminders + done.overdue_flagged + done.escalations == 0 {
            break;
        }
    }
    let first = runs.first().map_or(0.0, |r| if r.seconds > 0.0 { r.checked as f64 / r.seconds } else { 0.0 });
    Ok(SlaBench {
        backend: if state.config.is_sqlite() { "sqlite".into() } else { "postgres".into() },
        complaints: n,
        insert_seconds,
        runs,
        first_run_complaints_per_second: first,
    })
}
