//! The event pipeline (`process_inbound_event`), one transaction per event:
//! claim → hospital → journey (found, or created from the hospital's active template with all its
//! stages) → patient (found or created) → the stage the event triggers completed once → its survey
//! created and its invitation queued → journey completed when no stage is pending → event processed.
//! Concurrent events of one encounter serialise on the journey row; a crash rolls everything back,
//! leaving the event pending for the job's next attempt.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set, Statement, TransactionTrait,
};
use uuid::Uuid;

use super::model::{journey_instance, journey_template, stage_instance, stage_template};
use crate::app::AppState;
use crate::auth::Actor;
use crate::auth::tokens::{hash_token, random_token};
use crate::domains::integrations::model::inbound_event;
use crate::domains::notifications::service::{NewMessage, queue_message_in};
use crate::domains::organizations::model::{department, hospital, patient, staff};
use crate::domains::organizations::rules::parse_phone;
use crate::domains::organizations::service::now;
use crate::domains::surveys::model::survey_instance;
use crate::jobs::Queue;
use crate::jobs::handlers::JobError;

/// Attempts before an event is marked `failed`.
pub const MAX_ATTEMPTS: i32 = 3;

#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// Already handled by an earlier run.
    Skipped,
    Ignored(String),
    /// Processed; whether a survey invitation was queued.
    Processed {
        queued_message: bool,
    },
}

/// The job handler: runs the pipeline; on an error counts the attempt and marks the event
/// `failed` after the last one.
pub async fn process(state: &AppState, event_id: Uuid) -> Result<(), JobError> {
    let started = std::time::Instant::now();
    let turn = state.write_turn().await;
    let result = run(state, event_id).await;
    drop(turn);
    match result {
        Ok(outcome) => {
            if matches!(outcome, Outcome::Processed { queued_message: true }) {
                state.waker.wake(Queue::Notifications);
            }
            let label = match &outcome {
                Outcome::Skipped => "skipped",
                Outcome::Ignored(_) => "ignored",
                Outcome::Processed { .. } => "processed",
            };
            metrics::counter!("events_processed_total", "outcome" => label).increment(1);
            metrics::histogram!("event_processing_seconds").record(started.elapsed().as_secs_f64());
            Ok(())
        }
        Err(e) => {
            let reason = format!("{e:#}");
            let attempts = record_failure(state, event_id, &reason).await.map_err(JobError::from)?;
            tracing::warn!(target: "px360::integrations", event = %event_id, attempts, error = %reason, "event processing failed");
            if attempts >= MAX_ATTEMPTS { Err(JobError::Permanent(reason)) } else { Err(JobError::Retry(reason)) }
        }
    }
}

async fn record_failure(state: &AppState, id: Uuid, reason: &str) -> anyhow::Result<i32> {
    let Some(ev) = inbound_event::Entity::find_by_id(id).one(&state.db).await? else { return Ok(MAX_ATTEMPTS) };
    let attempts = ev.attempts + 1;
    let mut row: inbound_event::ActiveModel = ev.into();
    row.attempts = Set(attempts);
    row.status = Set(if attempts >= MAX_ATTEMPTS { "failed" } else { "pending" }.into());
    row.status_reason = Set(reason.chars().take(2000).collect());
    row.updated_at = Set(now());
    row.update(&state.db).await?;
    Ok(attempts)
}

fn payload_str<'a>(payload: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    payload.get(key).and_then(|v| v.as_str()).map(str::trim).filter(|s| !s.is_empty())
}

async fn finish(
    txn: DatabaseTransaction,
    ev: &inbound_event::Model,
    status: &str,
    reason: &str,
    hospital_id: Option<Uuid>,
) -> anyhow::Result<()> {
    let at = now();
    inbound_event::Entity::update_many()
        .col_expr(inbound_event::Column::Status, Expr::value(status))
        .col_expr(inbound_event::Column::StatusReason, Expr::value(reason))
        .col_expr(inbound_event::Column::HospitalId, Expr::value(hospital_id.or(ev.hospital_id)))
        .col_expr(inbound_event::Column::ProcessedAt, Expr::value(Some(at)))
        .col_expr(inbound_event::Column::UpdatedAt, Expr::value(at))
        .filter(inbound_event::Column::Id.eq(ev.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// The hospital: the poster's binding, else `hospital_code` (code or HIS code), else the one
/// hospital that has the department code.
async fn resolve_hospital(txn: &DatabaseTransaction, ev: &inbound_event::Model) -> anyhow::Result<Option<Uuid>> {
    if ev.hospital_id.is_some() {
        return Ok(ev.hospital_id);
    }
    if let Some(code) = payload_str(&ev.payload, "hospital_code") {
        let found = hospital::Entity::find()
            .filter(hospital::Column::DeletedAt.is_null())
            .filter(
                sea_orm::Condition::any()
                    .add(hospital::Column::Code.eq(code.to_uppercase()))
                    .add(hospital::Column::HisCode.eq(code)),
            )
            .one(txn)
            .await?;
        return Ok(found.map(|h| h.id));
    }
    if let Some(code) = payload_str(&ev.payload, "department_code") {
        let found = department::Entity::find()
            .filter(department::Column::DeletedAt.is_null())
            .filter(department::Column::Code.eq(code.to_uppercase()))
            .all(txn)
            .await?;
        if found.len() == 1 {
            return Ok(Some(found[0].hospital_id));
        }
    }
    Ok(None)
}

/// Locks the journey row of (hospital, encounter) until commit (PostgreSQL; SQLite transactions
/// already hold the database's write lock).
async fn lock_journey(
    txn: &DatabaseTransaction,
    hospital_id: Uuid,
    encounter: &str,
) -> anyhow::Result<Option<journey_instance::Model>> {
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT id FROM journey_instances WHERE hospital_id = $1 AND encounter_id = $2 FOR UPDATE",
            [hospital_id.into(), encounter.into()],
        ))
        .await?;
    }
    Ok(journey_instance::Entity::find()
        .filter(journey_instance::Column::HospitalId.eq(hospital_id))
        .filter(journey_instance::Column::EncounterId.eq(encounter))
        .one(txn)
        .await?)
}

fn phone_of(payload: &serde_json::Value) -> Option<String> {
    payload
        .get("custom_fields")
        .and_then(|c| c.get("patient_phone"))
        .and_then(|p| p.as_str())
        .and_then(|p| parse_phone(p).ok())
        .filter(|p| !p.is_empty())
}

/// The patient's phone from this event, else from another event of the same encounter already
/// received (events are processed in parallel, so the one carrying the phone may come later).
async fn phone_for(txn: &DatabaseTransaction, ev: &inbound_event::Model) -> anyhow::Result<String> {
    if let Some(p) = phone_of(&ev.payload) {
        return Ok(p);
    }
    let siblings = inbound_event::Entity::find()
        .filter(inbound_event::Column::EncounterId.eq(ev.encounter_id.clone()))
        .filter(inbound_event::Column::PatientIdentifier.eq(ev.patient_identifier.clone()))
        .filter(inbound_event::Column::Id.ne(ev.id))
        .order_by_asc(inbound_event::Column::ReceivedAt)
        .all(txn)
        .await?;
    Ok(siblings.iter().find_map(|s| phone_of(&s.payload)).unwrap_or_default())
}

async fn patient_for(
    txn: &DatabaseTransaction,
    hospital_id: Uuid,
    ev: &inbound_event::Model,
) -> anyhow::Result<patient::Model> {
    let phone = phone_for(txn, ev).await?;
    let at = now();
    let row = patient::ActiveModel {
        id: Set(Uuid::now_v7()),
        hospital_id: Set(hospital_id),
        mrn: Set(ev.patient_identifier.clone()),
        phone: Set(phone.clone()),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    patient::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([patient::Column::HospitalId, patient::Column::Mrn])
                .target_and_where(Expr::col(patient::Column::DeletedAt).is_null())
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    let found = patient::Entity::find()
        .filter(patient::Column::HospitalId.eq(hospital_id))
        .filter(patient::Column::Mrn.eq(ev.patient_identifier.clone()))
        .filter(patient::Column::DeletedAt.is_null())
        .one(txn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("patient vanished after upsert"))?;
    if found.phone.is_empty() && !phone.is_empty() {
        let mut row: patient::ActiveModel = found.into();
        row.phone = Set(phone);
        row.updated_at = Set(at);
        return Ok(row.update(txn).await?);
    }
    Ok(found)
}

/// The active template of `hospital_id` with a stage triggered by `code`: the default first,
/// then the oldest.
async fn template_for(
    txn: &DatabaseTransaction,
    hospital_id: Uuid,
    code: &str,
) -> anyhow::Result<Option<journey_template::Model>> {
    let candidates = journey_template::Entity::find()
        .filter(journey_template::Column::HospitalId.eq(hospital_id))
        .filter(journey_template::Column::IsActive.eq(true))
        .filter(journey_template::Column::DeletedAt.is_null())
        .order_by_desc(journey_template::Column::IsDefault)
        .order_by_asc(journey_template::Column::CreatedAt)
        .all(txn)
        .await?;
    for t in candidates {
        let handles = stage_template::Entity::find()
            .filter(stage_template::Column::JourneyTemplateId.eq(t.id))
            .filter(stage_template::Column::TriggerEventCode.eq(code))
            .one(txn)
            .await?;
        if handles.is_some() {
            return Ok(Some(t));
        }
    }
    Ok(None)
}

async fn run(state: &AppState, event_id: Uuid) -> anyhow::Result<Outcome> {
    let txn = state.db.begin().await?;
    let claimed = inbound_event::Entity::update_many()
        .col_expr(inbound_event::Column::Status, Expr::value("processing"))
        .col_expr(inbound_event::Column::UpdatedAt, Expr::value(now()))
        .filter(inbound_event::Column::Id.eq(event_id))
        .filter(inbound_event::Column::Status.is_in(["pending", "failed"]))
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        return Ok(Outcome::Skipped);
    }
    let ev = inbound_event::Entity::find_by_id(event_id)
        .one(&txn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("event vanished"))?;
    let code = ev.event_code.clone();

    let Some(hospital_id) = resolve_hospital(&txn, &ev).await? else {
        let why =
            "No hospital found for this event: post with a hospital's API key or give payload_json.hospital_code.";
        finish(txn, &ev, "ignored", why, None).await?;
        return Ok(Outcome::Ignored(why.into()));
    };

    let journey = match lock_journey(&txn, hospital_id, &ev.encounter_id).await? {
        Some(j) => {
            // A phone first seen on a later event fills the patient's empty one.
            if let Some(phone) = phone_of(&ev.payload) {
                patient::Entity::update_many()
                    .col_expr(patient::Column::Phone, Expr::value(phone))
                    .filter(patient::Column::Id.eq(j.patient_id))
                    .filter(patient::Column::Phone.eq(""))
                    .exec(&txn)
                    .await?;
            }
            j
        }
        None => {
            let Some(template) = template_for(&txn, hospital_id, &code).await? else {
                let why = format!("No active journey template handles {code}");
                finish(txn, &ev, "ignored", &why, Some(hospital_id)).await?;
                return Ok(Outcome::Ignored(why));
            };
            let patient = patient_for(&txn, hospital_id, &ev).await?;
            create_journey(&txn, hospital_id, &template, &patient, &ev).await?;
            lock_journey(&txn, hospital_id, &ev.encounter_id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("journey vanished"))?
        }
    };

    let Some(stage_tpl) = stage_template::Entity::find()
        .filter(stage_template::Column::JourneyTemplateId.eq(journey.journey_template_id))
        .filter(stage_template::Column::TriggerEventCode.eq(code.clone()))
        .one(&txn)
        .await?
    else {
        let why = format!("No stage of this journey is triggered by {code}");
        finish(txn, &ev, "ignored", &why, Some(hospital_id)).await?;
        return Ok(Outcome::Ignored(why));
    };
    let stage = stage_instance::Entity::find()
        .filter(stage_instance::Column::JourneyInstanceId.eq(journey.id))
        .filter(stage_instance::Column::StageTemplateId.eq(stage_tpl.id))
        .one(&txn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("stage instance missing for template stage {}", stage_tpl.id))?;
    match stage.status.as_str() {
        "completed" if stage.completed_by_event_id == Some(ev.id) => {
            finish(txn, &ev, "processed", "", Some(hospital_id)).await?;
            return Ok(Outcome::Processed { queued_message: false });
        }
        "completed" | "skipped" | "cancelled" => {
            let why = format!("Stage '{}' already completed", stage_tpl.name_en);
            finish(txn, &ev, "ignored", &why, Some(hospital_id)).await?;
            return Ok(Outcome::Ignored(why));
        }
        _ => {}
    }

    let physician = match payload_str(&ev.payload, "physician_license") {
        Some(license) => staff::Entity::find()
            .filter(staff::Column::HospitalId.eq(hospital_id))
            .filter(staff::Column::LicenseNumber.eq(license))
            .filter(staff::Column::DeletedAt.is_null())
            .one(&txn)
            .await?
            .map(|s| s.id),
        None => None,
    };
    let department = match payload_str(&ev.payload, "department_code") {
        Some(code) => department::Entity::find()
            .filter(department::Column::HospitalId.eq(hospital_id))
            .filter(department::Column::Code.eq(code.to_uppercase()))
            .filter(department::Column::DeletedAt.is_null())
            .one(&txn)
            .await?
            .map(|d| d.id),
        None => None,
    };
    let at = now();
    let completed_at: DateTime<Utc> = payload_str(&ev.payload, "timestamp")
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map_or(at, |t| t.with_timezone(&Utc));
    let mut row: stage_instance::ActiveModel = stage.clone().into();
    row.status = Set("completed".into());
    row.completed_at = Set(Some(completed_at));
    row.completed_by_event_id = Set(Some(ev.id));
    row.physician_id = Set(physician);
    row.department_id = Set(department);
    row.updated_at = Set(at);
    let stage = row.update(&txn).await?;

    let mut queued_message = false;
    if let Some(survey_template_id) = stage_tpl.survey_template_id {
        queued_message =
            create_survey(state, &txn, &journey, &stage, survey_template_id, stage_tpl.send_delay_minutes).await?;
    }

    let pending = stage_instance::Entity::find()
        .filter(stage_instance::Column::JourneyInstanceId.eq(journey.id))
        .filter(stage_instance::Column::Status.is_in(["pending", "in_progress"]))
        .one(&txn)
        .await?;
    let mut j: journey_instance::ActiveModel = journey.clone().into();
    if physician.is_some() {
        j.physician_id = Set(physician);
    }
    if department.is_some() {
        j.department_id = Set(department);
    }
    if pending.is_none() {
        j.status = Set("completed".into());
        j.completed_at = Set(Some(at));
    }
    j.updated_at = Set(at);
    j.update(&txn).await?;
    finish(txn, &ev, "processed", "", Some(hospital_id)).await?;
    Ok(Outcome::Processed { queued_message })
}

async fn create_journey(
    txn: &DatabaseTransaction,
    hospital_id: Uuid,
    template: &journey_template::Model,
    patient: &patient::Model,
    ev: &inbound_event::Model,
) -> anyhow::Result<()> {
    let at = now();
    let id = Uuid::now_v7();
    let row = journey_instance::ActiveModel {
        id: Set(id),
        hospital_id: Set(hospital_id),
        journey_template_id: Set(template.id),
        patient_id: Set(patient.id),
        encounter_id: Set(ev.encounter_id.clone()),
        status: Set("active".into()),
        physician_id: Set(None),
        department_id: Set(None),
        started_at: Set(at),
        completed_at: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    };
    let inserted = journey_instance::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([journey_instance::Column::HospitalId, journey_instance::Column::EncounterId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    if inserted == 0 {
        // Another worker created it and committed while we waited on the unique index.
        return Ok(());
    }
    let stages = stage_template::Entity::find()
        .filter(stage_template::Column::JourneyTemplateId.eq(template.id))
        .order_by_asc(stage_template::Column::Position)
        .all(txn)
        .await?;
    let rows: Vec<stage_instance::ActiveModel> = stages
        .iter()
        .map(|s| stage_instance::ActiveModel {
            id: Set(Uuid::now_v7()),
            journey_instance_id: Set(id),
            stage_template_id: Set(s.id),
            position: Set(s.position),
            status: Set("pending".into()),
            completed_at: Set(None),
            completed_by_event_id: Set(None),
            physician_id: Set(None),
            department_id: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
        })
        .collect();
    if !rows.is_empty() {
        stage_instance::Entity::insert_many(rows).exec_without_returning(txn).await?;
    }
    Ok(())
}

/// One survey per completed stage, with its single-use link, and the invitation queued.
async fn create_survey(
    state: &AppState,
    txn: &DatabaseTransaction,
    journey: &journey_instance::Model,
    stage: &stage_instance::Model,
    survey_template_id: Uuid,
    delay_minutes: i32,
) -> anyhow::Result<bool> {
    let at = now();
    let token = random_token();
    let id = Uuid::now_v7();
    survey_instance::ActiveModel {
        id: Set(id),
        hospital_id: Set(journey.hospital_id),
        survey_template_id: Set(survey_template_id),
        patient_id: Set(journey.patient_id),
        journey_instance_id: Set(Some(journey.id)),
        stage_instance_id: Set(Some(stage.id)),
        status: Set("pending".into()),
        token_hash: Set(hash_token(&token)),
        token_expires_at: Set(at + Duration::days(7)),
        scheduled_for: Set(at + Duration::minutes(i64::from(std::cmp::Ord::max(delay_minutes, 0)))),
        message_id: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(txn)
    .await?;
    let base = state.config.notifications.public_base_url.trim_end_matches('/');
    let patient = patient::Entity::find_by_id(journey.patient_id).one(txn).await?;
    let channel = patient.as_ref().map_or("sms", |p| p.preferred_channel.as_str()).to_owned();
    let new = NewMessage {
        patient_id: Some(journey.patient_id),
        channel,
        template_code: "survey_invitation".into(),
        category: "survey".into(),
        vars: [("survey_url".to_owned(), format!("{base}/s/{token}"))].into(),
        ..Default::default()
    };
    let message = match queue_message_in(txn, &Actor::system(), new).await {
        Ok(m) => m,
        // No invitation template: the survey exists; delivery is reported on the survey.
        Err(crate::error::AppError::Validation(e)) => {
            tracing::warn!(target: "px360::integrations", survey = %id, errors = ?e.0, "survey invitation not queued");
            return Ok(false);
        }
        Err(e) => return Err(anyhow::anyhow!("{e}")),
    };
    survey_instance::Entity::update_many()
        .col_expr(survey_instance::Column::MessageId, Expr::value(Some(message.id)))
        .col_expr(
            survey_instance::Column::Status,
            Expr::value(if message.status == "queued" { "scheduled" } else { "pending" }),
        )
        .filter(survey_instance::Column::Id.eq(id))
        .exec(txn)
        .await?;
    Ok(message.status == "queued")
}
