//! The scheduler: a cron table (six fields, seconds first, in Riyadh time) whose ticks enqueue
//! jobs. Every tick is claimed by inserting `(schedule, tick)` into `schedule_runs`; the primary
//! key lets exactly one of several running schedulers win, so two never double-run a tick.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use cron::Schedule;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use tokio::sync::watch;

use super::model::{job as job_model, schedule_run};
use super::{Enqueue, Job};
use crate::app::AppState;

/// Riyadh is UTC+3 all year (no daylight saving).
pub fn riyadh() -> FixedOffset {
    FixedOffset::east_opt(3 * 3600).unwrap_or_else(|| Utc.fix())
}

use chrono::Offset;

/// The jobs a schedule name runs.
pub fn job_for(name: &str) -> Option<Job> {
    match name {
        "verify_audit_chain" => Some(Job::VerifyAuditChain),
        "purge_finished_jobs" => Some(Job::PurgeFinishedJobs),
        "check_overdue_complaints" => Some(Job::CheckOverdueComplaints),
        "check_overdue_actions" => Some(Job::CheckOverdueActions),
        "check_explanations" => Some(Job::CheckExplanations),
        "send_survey_reminders" => Some(Job::SendSurveyReminders),
        "expire_surveys" => Some(Job::ExpireSurveys),
        "compute_physician_ratings" => Some(Job::ComputePhysicianRatings),
        "refresh_analytics" => Some(Job::RefreshAnalytics),
        "compute_kpis" => Some(Job::ComputeKpis),
        _ => None,
    }
}

/// The default cron table; configuration overrides an entry, a blank expression disables it.
pub fn default_schedules() -> BTreeMap<String, String> {
    [
        ("verify_audit_chain", "0 30 2 * * *"),
        ("purge_finished_jobs", "0 15 3 * * *"),
        // The SLA checks (spec: every 15 minutes); reminders go out in the same pass.
        ("check_overdue_complaints", "0 */15 * * * *"),
        ("check_overdue_actions", "0 */15 * * * *"),
        ("check_explanations", "0 */15 * * * *"),
        // Surveys (spec §18: hourly).
        ("send_survey_reminders", "0 5 * * * *"),
        ("expire_surveys", "0 10 * * * *"),
        // Spec §18: daily at 02:00 (Riyadh).
        ("compute_physician_ratings", "0 0 2 * * *"),
        // The command center's rollups (read by pages cached for at most this long).
        ("refresh_analytics", "0 */5 * * * *"),
        // Spec §18: daily at 01:00.
        ("compute_kpis", "0 0 1 * * *"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub expression: String,
    pub schedule: Schedule,
    pub job: Job,
}

/// Parses the configured table; errors name the schedule.
pub fn parse_table(table: &BTreeMap<String, String>) -> Result<Vec<Entry>, String> {
    let mut out = Vec::new();
    for (name, expression) in table {
        if expression.trim().is_empty() {
            continue;
        }
        let job = job_for(name).ok_or_else(|| format!("unknown schedule {name:?}"))?;
        let schedule = Schedule::from_str(expression.trim()).map_err(|e| format!("schedule {name}: {e}"))?;
        out.push(Entry { name: name.clone(), expression: expression.trim().to_owned(), schedule, job });
    }
    Ok(out)
}

/// The ticks of `entry` in `(after, until]`, at most 10 (a long outage does not replay a backlog).
pub fn due_ticks(entry: &Entry, after: DateTime<Utc>, until: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    entry
        .schedule
        .after(&after.with_timezone(&riyadh()))
        .map(|t| t.with_timezone(&Utc))
        .take_while(|t| *t <= until)
        .take(10)
        .collect()
}

/// Claims one tick and enqueues its job; `true` when this scheduler won the tick.
pub async fn fire(state: &AppState, entry: &Entry, tick: DateTime<Utc>, instance: &str) -> anyhow::Result<bool> {
    let row = schedule_run::ActiveModel {
        schedule: Set(entry.name.clone()),
        tick: Set(tick),
        instance: Set(instance.to_owned()),
        created_at: Set(crate::domains::organizations::service::now()),
    };
    let won = schedule_run::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([schedule_run::Column::Schedule, schedule_run::Column::Tick]).do_nothing().to_owned(),
        )
        .exec_without_returning(&state.db)
        .await?
        == 1;
    if won {
        let key = format!("schedule:{}:{}", entry.name, tick.timestamp());
        super::queue::enqueue(&state.db, &entry.job, Enqueue { run_at: None, dedupe_key: Some(key) }).await?;
        state.waker.wake(entry.job.queue());
        metrics::counter!("schedule_ticks_total", "schedule" => entry.name.clone()).increment(1);
        tracing::info!(schedule = %entry.name, %tick, "scheduled job enqueued");
    }
    Ok(won)
}

/// Runs the cron table until `stop`.
pub async fn run(state: AppState, instance: String, mut stop: watch::Receiver<bool>) {
    let entries = match parse_table(&state.config.schedules) {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(error = %e, "scheduler not started");
            return;
        }
    };
    let mut checked = Utc::now();
    loop {
        let now = Utc::now();
        for entry in &entries {
            for tick in due_ticks(entry, checked, now) {
                if let Err(e) = fire(&state, entry, tick, &instance).await {
                    tracing::warn!(schedule = %entry.name, error = %e, "tick not enqueued");
                }
            }
        }
        checked = now;
        tokio::select! {
            _ = stop.changed() => break,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// One schedule as the admin page shows it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ScheduleView {
    pub name: String,
    pub expression: String,
    pub last_run: Option<DateTime<Utc>>,
    pub next_run: Option<DateTime<Utc>>,
    /// Status of the job the last tick enqueued (queued, running, done, dead), if still kept.
    pub last_outcome: Option<String>,
    pub last_error: Option<String>,
}

pub async fn overview(state: &AppState) -> anyhow::Result<Vec<ScheduleView>> {
    let entries = parse_table(&state.config.schedules).map_err(anyhow::Error::msg)?;
    let mut out = Vec::new();
    for entry in entries {
        let last = schedule_run::Entity::find()
            .filter(schedule_run::Column::Schedule.eq(entry.name.clone()))
            .order_by_desc(schedule_run::Column::Tick)
            .one(&state.db)
            .await?;
        let job = match &last {
            Some(run) => {
                let key = format!("schedule:{}:{}", entry.name, run.tick.timestamp());
                job_model::Entity::find()
                    .filter(job_model::Column::DedupeKey.eq(key))
                    .order_by_desc(job_model::Column::CreatedAt)
                    .one(&state.db)
                    .await?
            }
            None => None,
        };
        out.push(ScheduleView {
            next_run: entry.schedule.upcoming(riyadh()).next().map(|t| t.with_timezone(&Utc)),
            last_run: last.map(|r| r.tick),
            last_outcome: job.as_ref().map(|j| j.status.clone()),
            last_error: job.map(|j| j.last_error).filter(|e| !e.is_empty()),
            name: entry.name,
            expression: entry.expression,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_table_parses_and_blank_disables() {
        let mut table = default_schedules();
        let all = parse_table(&table).unwrap().len();
        assert_eq!(all, 8, "audit check, purge, the three SLA checks, survey reminders and expiry, physician ratings");
        table.insert("purge_finished_jobs".into(), "  ".into());
        assert_eq!(parse_table(&table).unwrap().len(), all - 1);
        table.insert("nope".into(), "* * * * * *".into());
        assert!(parse_table(&table).is_err());
    }

    #[test]
    fn ticks_are_in_riyadh_time() {
        let table: BTreeMap<String, String> = [("verify_audit_chain".to_owned(), "0 30 2 * * *".to_owned())].into();
        let entry = parse_table(&table).unwrap().remove(0);
        let after = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().with_timezone(&Utc);
        let until = after + chrono::Duration::days(1);
        let ticks = due_ticks(&entry, after, until);
        // 02:30 in Riyadh is 23:30 UTC the day before.
        assert_eq!(ticks, vec![DateTime::parse_from_rfc3339("2026-01-01T23:30:00Z").unwrap().with_timezone(&Utc)]);
    }
}
