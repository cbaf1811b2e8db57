//! The event pipeline (`process_inbound_event`):
//! claim → hospital → journey (found, or created from the hospital's active template with all its
//! stages) → patient (found or created) → the stage the event triggers completed once → its survey
//! created and its invitation queued → journey completed when no stage is pending → event processed.
//!
//! A worker hands over the events of one claim together ([`process_many`]): they are processed in
//! one transaction, in (hospital, encounter) order so that two workers lock journeys in the same
//! order. If any event of the batch fails, the batch is rolled back and each event is processed
//! again alone ([`process`]), so one bad event never holds back the others and its error is
//! recorded on it. Concurrent events of one encounter serialise on the journey row; a crash rolls
//! everything back, leaving the events pending for the jobs' next attempt.
//!
//! Reference data (templates and their stages, staff licences, department codes) comes from a
//! per-hospital read cache (`crate::cache`).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use super::model::{journey_instance, journey_template, stage_instance, stage_template};
use crate::app::AppState;
use crate::cache::TtlCache;
use crate::domains::integrations::model::inbound_event;
use crate::domains::organizations::model::{department, patient, staff};
use crate::domains::organizations::rules::parse_phone;
use crate::domains::organizations::service::now;
use crate::domains::surveys::delivery;
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

impl Outcome {
    fn label(&self) -> &'static str {
        match self {
            Outcome::Skipped => "skipped",
            Outcome::Ignored(_) => "ignored",
            Outcome::Processed { .. } => "processed",
        }
    }
}

/// What the pipeline reads about a hospital on every event.
struct HospitalRef {
    /// Active templates, the default first, then the oldest.
    active: Vec<Uuid>,
    /// Each template's journey type.
    types: HashMap<Uuid, String>,
    /// The stages of every template of the hospital (active or not: a journey keeps its template).
    stages: HashMap<Uuid, Vec<stage_template::Model>>,
    /// Licence number → staff id.
    staff: HashMap<String, Uuid>,
    /// Department code (upper case) → id.
    departments: HashMap<String, Uuid>,
}

static REFS: LazyLock<TtlCache<Uuid, Arc<HospitalRef>>> =
    LazyLock::new(|| TtlCache::new(std::time::Duration::from_secs(10), 1_000));

async fn load_ref(db: &impl ConnectionTrait, hospital_id: Uuid) -> Result<Arc<HospitalRef>, sea_orm::DbErr> {
    let templates = journey_template::Entity::find()
        .filter(journey_template::Column::HospitalId.eq(hospital_id))
        .filter(journey_template::Column::DeletedAt.is_null())
        .order_by_desc(journey_template::Column::IsDefault)
        .order_by_asc(journey_template::Column::CreatedAt)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = templates.iter().map(|t| t.id).collect();
    let mut stages: HashMap<Uuid, Vec<stage_template::Model>> = ids.iter().map(|id| (*id, Vec::new())).collect();
    if !ids.is_empty() {
        let rows = stage_template::Entity::find()
            .filter(stage_template::Column::JourneyTemplateId.is_in(ids))
            .order_by_asc(stage_template::Column::Position)
            .all(db)
            .await?;
        for s in rows {
            stages.entry(s.journey_template_id).or_default().push(s);
        }
    }
    let staff: Vec<(Uuid, String)> = staff::Entity::find()
        .select_only()
        .column(staff::Column::Id)
        .column(staff::Column::LicenseNumber)
        .filter(staff::Column::HospitalId.eq(hospital_id))
        .filter(staff::Column::DeletedAt.is_null())
        .filter(staff::Column::LicenseNumber.ne(""))
        .order_by_desc(staff::Column::CreatedAt)
        .into_tuple()
        .all(db)
        .await?;
    let departments: Vec<(Uuid, String)> = department::Entity::find()
        .select_only()
        .column(department::Column::Id)
        .column(department::Column::Code)
        .filter(department::Column::HospitalId.eq(hospital_id))
        .filter(department::Column::DeletedAt.is_null())
        .into_tuple()
        .all(db)
        .await?;
    Ok(Arc::new(HospitalRef {
        active: templates.iter().filter(|t| t.is_active).map(|t| t.id).collect(),
        types: templates.iter().map(|t| (t.id, t.journey_type.clone())).collect(),
        stages,
        // Oldest last, so the oldest row wins a duplicated licence.
        staff: staff.into_iter().map(|(id, licence)| (licence, id)).collect(),
        departments: departments.into_iter().map(|(id, code)| (code.to_uppercase(), id)).collect(),
    }))
}

async fn hospital_ref(db: &impl ConnectionTrait, hospital_id: Uuid) -> anyhow::Result<Arc<HospitalRef>> {
    Ok(REFS.get_or_load(hospital_id, load_ref(db, hospital_id)).await?)
}

impl HospitalRef {
    /// The first active template with a stage triggered by `code`, of `journey_type` when the
    /// event names one (the HIS feed's Type map) and such a template exists.
    fn template_for(&self, code: &str, journey_type: Option<&str>) -> Option<Uuid> {
        let fits = |t: &Uuid| self.stage(*t, code).is_some();
        journey_type
            .and_then(|jt| self.active.iter().copied().find(|t| fits(t) && self.types.get(t).is_some_and(|x| x == jt)))
            .or_else(|| self.active.iter().copied().find(fits))
    }

    fn stage(&self, template: Uuid, code: &str) -> Option<&stage_template::Model> {
        self.stages.get(&template)?.iter().find(|s| s.trigger_event_code == code)
    }
}

/// The job handler for one event: runs the pipeline in its own transaction; on an error counts
/// the attempt and marks the event `failed` after the last one.
pub async fn process(state: &AppState, event_id: Uuid) -> Result<(), JobError> {
    let started = std::time::Instant::now();
    let turn = state.write_turn().await;
    let result = run_one(state, event_id).await;
    drop(turn);
    match result {
        Ok(outcome) => {
            observe(state, std::slice::from_ref(&outcome), started);
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

/// The events of one claim, in up to `lanes` transactions side by side: the events of one
/// encounter always share a transaction, so lanes never wait on each other's journey locks.
/// A lane that fails falls back to [`process`] one by one. One result per id, in order.
pub async fn process_many(state: &AppState, event_ids: &[Uuid], lanes: usize) -> Vec<Result<(), JobError>> {
    if event_ids.len() <= 1 {
        return run_lane(state, event_ids).await;
    }
    let lanes = lanes.clamp(1, event_ids.len());
    let mut groups: Vec<Vec<Uuid>> = vec![Vec::new(); lanes];
    if lanes == 1 {
        groups[0] = event_ids.to_vec();
    } else {
        let keys: HashMap<Uuid, (Option<Uuid>, String)> = match inbound_event::Entity::find()
            .select_only()
            .column(inbound_event::Column::Id)
            .column(inbound_event::Column::HospitalId)
            .column(inbound_event::Column::EncounterId)
            .filter(inbound_event::Column::Id.is_in(event_ids.iter().copied()))
            .into_tuple::<(Uuid, Option<Uuid>, String)>()
            .all(&state.db)
            .await
        {
            Ok(rows) => rows.into_iter().map(|(id, h, e)| (id, (h, e))).collect(),
            Err(_) => HashMap::new(),
        };
        for id in event_ids {
            let lane = keys.get(id).map_or(0, |key| {
                use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
                BuildHasherDefault::<DefaultHasher>::default().hash_one(key) as usize % lanes
            });
            groups[lane].push(*id);
        }
    }
    let done = futures_util::future::join_all(groups.iter().map(|ids| run_lane(state, ids))).await;
    let mut by_id: HashMap<Uuid, Result<(), JobError>> = HashMap::new();
    for (ids, results) in groups.iter().zip(done) {
        by_id.extend(ids.iter().copied().zip(results));
    }
    event_ids.iter().map(|id| by_id.remove(id).unwrap_or(Err(JobError::Retry("event not processed".into())))).collect()
}

async fn run_lane(state: &AppState, event_ids: &[Uuid]) -> Vec<Result<(), JobError>> {
    if event_ids.len() <= 1 {
        return match event_ids.first() {
            Some(id) => vec![process(state, *id).await],
            None => Vec::new(),
        };
    }
    let started = std::time::Instant::now();
    let turn = state.write_turn().await;
    let batch = run_batch(state, event_ids).await;
    drop(turn);
    match batch {
        Ok(outcomes) => {
            observe(state, &outcomes, started);
            event_ids.iter().map(|_| Ok(())).collect()
        }
        Err(e) => {
            tracing::debug!(target: "px360::integrations", error = %format!("{e:#}"), events = event_ids.len(), "batch rolled back; processing its events one by one");
            let mut results = Vec::with_capacity(event_ids.len());
            for id in event_ids {
                results.push(process(state, *id).await);
            }
            results
        }
    }
}

fn observe(state: &AppState, outcomes: &[Outcome], started: std::time::Instant) {
    if outcomes.iter().any(|o| matches!(o, Outcome::Processed { queued_message: true })) {
        state.waker.wake(Queue::Notifications);
    }
    for o in outcomes {
        metrics::counter!("events_processed_total", "outcome" => o.label()).increment(1);
    }
    if !outcomes.is_empty() {
        let each = started.elapsed().as_secs_f64() / outcomes.len() as f64;
        for _ in outcomes {
            metrics::histogram!("event_processing_seconds").record(each);
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

/// Claims the events (`pending|failed` → `processing`) and returns those this call claimed.
async fn claim(txn: &DatabaseTransaction, ids: &[Uuid]) -> anyhow::Result<Vec<inbound_event::Model>> {
    Ok(inbound_event::Entity::update_many()
        .col_expr(inbound_event::Column::Status, Expr::value("processing"))
        .col_expr(inbound_event::Column::UpdatedAt, Expr::value(now()))
        .filter(inbound_event::Column::Id.is_in(ids.iter().copied()))
        .filter(inbound_event::Column::Status.is_in(["pending", "failed"]))
        .exec_with_returning(txn)
        .await?)
}

async fn run_one(state: &AppState, event_id: Uuid) -> anyhow::Result<Outcome> {
    let txn = state.db.begin().await?;
    let Some(ev) = claim(&txn, &[event_id]).await?.pop() else { return Ok(Outcome::Skipped) };
    let outcome = apply(state, &txn, &ev).await?;
    txn.commit().await?;
    Ok(outcome)
}

async fn run_batch(state: &AppState, event_ids: &[Uuid]) -> anyhow::Result<Vec<Outcome>> {
    let txn = state.db.begin().await?;
    let mut events = claim(&txn, event_ids).await?;
    events.sort_by(|a, b| {
        (a.hospital_id, &a.encounter_id, a.received_at).cmp(&(b.hospital_id, &b.encounter_id, b.received_at))
    });
    let mut outcomes = Vec::with_capacity(event_ids.len());
    for ev in &events {
        outcomes.push(apply(state, &txn, ev).await?);
    }
    txn.commit().await?;
    outcomes.resize_with(event_ids.len(), || Outcome::Skipped);
    Ok(outcomes)
}

fn payload_str<'a>(payload: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    payload.get(key).and_then(|v| v.as_str()).map(str::trim).filter(|s| !s.is_empty())
}

/// Records how the event ended (inside the caller's transaction).
async fn finish(
    txn: &DatabaseTransaction,
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
        .exec(txn)
        .await?;
    Ok(())
}

async fn ignore(
    txn: &DatabaseTransaction,
    ev: &inbound_event::Model,
    why: String,
    hospital_id: Option<Uuid>,
) -> anyhow::Result<Outcome> {
    finish(txn, ev, "ignored", &why, hospital_id).await?;
    Ok(Outcome::Ignored(why))
}

/// The hospital: the poster's binding, else `hospital_code` (code or HIS code), else the one
/// hospital that has the department code.
async fn resolve_hospital(txn: &DatabaseTransaction, ev: &inbound_event::Model) -> anyhow::Result<Option<Uuid>> {
    if ev.hospital_id.is_some() {
        return Ok(ev.hospital_id);
    }
    if let Some(code) = payload_str(&ev.payload, "hospital_code") {
        let found = crate::domains::organizations::service::hospital_by_code(txn, code).await?;
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

/// The journey of (hospital, encounter), locked until commit on PostgreSQL (SQLite transactions
/// already hold the database's write lock).
async fn lock_journey(
    txn: &DatabaseTransaction,
    hospital_id: Uuid,
    encounter: &str,
) -> anyhow::Result<Option<journey_instance::Model>> {
    let mut select = journey_instance::Entity::find()
        .filter(journey_instance::Column::HospitalId.eq(hospital_id))
        .filter(journey_instance::Column::EncounterId.eq(encounter));
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        select = select.lock_exclusive();
    }
    Ok(select.one(txn).await?)
}

async fn journey_stages(txn: &DatabaseTransaction, journey_id: Uuid) -> anyhow::Result<Vec<stage_instance::Model>> {
    Ok(stage_instance::Entity::find()
        .filter(stage_instance::Column::JourneyInstanceId.eq(journey_id))
        .order_by_asc(stage_instance::Column::Position)
        .all(txn)
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

/// Gets or creates the patient (hospital, MRN) in one statement; an empty phone is filled in.
async fn upsert_patient(
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
        phone: Set(phone),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    let fill_phone = Expr::cust("CASE WHEN patients.phone = '' THEN excluded.phone ELSE patients.phone END");
    Ok(patient::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([patient::Column::HospitalId, patient::Column::Mrn])
                .target_and_where(Expr::col(patient::Column::DeletedAt).is_null())
                .value(patient::Column::Phone, fill_phone)
                .to_owned(),
        )
        .exec_with_returning(txn)
        .await?)
}

/// The journey's patient; a phone first seen on a later event fills an empty one.
async fn journey_patient(
    txn: &DatabaseTransaction,
    journey: &journey_instance::Model,
    ev: &inbound_event::Model,
) -> anyhow::Result<patient::Model> {
    let found = patient::Entity::find_by_id(journey.patient_id)
        .one(txn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("patient {} of journey {} missing", journey.patient_id, journey.id))?;
    if found.phone.is_empty()
        && let Some(phone) = phone_of(&ev.payload)
    {
        let mut row: patient::ActiveModel = found.into();
        row.phone = Set(phone);
        row.updated_at = Set(now());
        return Ok(row.update(txn).await?);
    }
    Ok(found)
}

/// Runs the pipeline for one claimed event inside `txn`.
async fn apply(state: &AppState, txn: &DatabaseTransaction, ev: &inbound_event::Model) -> anyhow::Result<Outcome> {
    let code = ev.event_code.as_str();
    let Some(hospital_id) = resolve_hospital(txn, ev).await? else {
        let why =
            "No hospital found for this event: post with a hospital's API key or give payload_json.hospital_code.";
        return ignore(txn, ev, why.into(), None).await;
    };
    let refs = hospital_ref(txn, hospital_id).await?;

    let (journey, stages, patient) = match lock_journey(txn, hospital_id, &ev.encounter_id).await? {
        Some(j) => {
            let stages = journey_stages(txn, j.id).await?;
            (j, stages, None)
        }
        None => {
            let Some(template) = refs.template_for(code, payload_str(&ev.payload, "journey_type")) else {
                return ignore(txn, ev, format!("No active journey template handles {code}"), Some(hospital_id)).await;
            };
            let patient = upsert_patient(txn, hospital_id, ev).await?;
            match create_journey(txn, hospital_id, template, &refs, &patient, ev).await? {
                Some((j, stages)) => (j, stages, Some(patient)),
                None => {
                    // Another worker created it and committed while we waited on the unique index.
                    let j = lock_journey(txn, hospital_id, &ev.encounter_id)
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("journey vanished"))?;
                    let stages = journey_stages(txn, j.id).await?;
                    (j, stages, Some(patient))
                }
            }
        }
    };

    let Some(stage_tpl) = refs.stage(journey.journey_template_id, code) else {
        return ignore(txn, ev, format!("No stage of this journey is triggered by {code}"), Some(hospital_id)).await;
    };
    let stage = match stages.iter().find(|s| s.stage_template_id == stage_tpl.id) {
        Some(s) => s.clone(),
        // A stage added to the template after this journey started: it joins the journey now.
        None => add_stage(txn, &journey, stage_tpl).await?,
    };
    match stage.status.as_str() {
        "completed" if stage.completed_by_event_id == Some(ev.id) => {
            finish(txn, ev, "processed", "", Some(hospital_id)).await?;
            return Ok(Outcome::Processed { queued_message: false });
        }
        "completed" | "skipped" | "cancelled" => {
            let why = format!("Stage '{}' already completed", stage_tpl.name_en);
            return ignore(txn, ev, why, Some(hospital_id)).await;
        }
        _ => {}
    }

    let physician = payload_str(&ev.payload, "physician_license").and_then(|l| refs.staff.get(l).copied());
    let department =
        payload_str(&ev.payload, "department_code").and_then(|c| refs.departments.get(&c.to_uppercase()).copied());
    let at = now();
    let completed_at: DateTime<Utc> = payload_str(&ev.payload, "timestamp")
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map_or(at, |t| t.with_timezone(&Utc));
    stage_instance::Entity::update_many()
        .col_expr(stage_instance::Column::Status, Expr::value("completed"))
        .col_expr(stage_instance::Column::CompletedAt, Expr::value(Some(completed_at)))
        .col_expr(stage_instance::Column::CompletedByEventId, Expr::value(Some(ev.id)))
        .col_expr(stage_instance::Column::PhysicianId, Expr::value(physician))
        .col_expr(stage_instance::Column::DepartmentId, Expr::value(department))
        .col_expr(stage_instance::Column::UpdatedAt, Expr::value(at))
        .filter(stage_instance::Column::Id.eq(stage.id))
        .exec(txn)
        .await?;

    let mut queued_message = false;
    if let Some(survey_template_id) = stage_tpl.survey_template_id {
        let patient = match patient {
            Some(p) => p,
            None => journey_patient(txn, &journey, ev).await?,
        };
        let survey = NewSurvey {
            journey: &journey,
            stage_id: stage.id,
            survey_template_id,
            patient,
            department_id: department.or(journey.department_id),
            physician_id: physician.or(journey.physician_id),
        };
        queued_message = create_survey(state, txn, survey, stage_tpl.send_delay_minutes).await?;
    } else if patient.is_none() && phone_of(&ev.payload).is_some() {
        // A phone first seen on a later event fills the patient's empty one.
        patient::Entity::update_many()
            .col_expr(patient::Column::Phone, Expr::value(phone_of(&ev.payload)))
            .col_expr(patient::Column::UpdatedAt, Expr::value(at))
            .filter(patient::Column::Id.eq(journey.patient_id))
            .filter(patient::Column::Phone.eq(""))
            .exec(txn)
            .await?;
    }

    let pending = stages.iter().any(|s| s.id != stage.id && matches!(s.status.as_str(), "pending" | "in_progress"));
    let mut update = journey_instance::Entity::update_many()
        .col_expr(journey_instance::Column::UpdatedAt, Expr::value(at))
        .filter(journey_instance::Column::Id.eq(journey.id));
    if physician.is_some() {
        update = update.col_expr(journey_instance::Column::PhysicianId, Expr::value(physician));
    }
    if department.is_some() {
        update = update.col_expr(journey_instance::Column::DepartmentId, Expr::value(department));
    }
    if !pending {
        update = update
            .col_expr(journey_instance::Column::Status, Expr::value("completed"))
            .col_expr(journey_instance::Column::CompletedAt, Expr::value(Some(at)));
    }
    update.exec(txn).await?;
    finish(txn, ev, "processed", "", Some(hospital_id)).await?;
    Ok(Outcome::Processed { queued_message })
}

/// Creates the journey with all its stages pending; `None` when another transaction created it
/// first.
async fn create_journey(
    txn: &DatabaseTransaction,
    hospital_id: Uuid,
    template_id: Uuid,
    refs: &HospitalRef,
    patient: &patient::Model,
    ev: &inbound_event::Model,
) -> anyhow::Result<Option<(journey_instance::Model, Vec<stage_instance::Model>)>> {
    let at = now();
    let journey = journey_instance::Model {
        id: Uuid::now_v7(),
        hospital_id,
        journey_template_id: template_id,
        patient_id: patient.id,
        encounter_id: ev.encounter_id.clone(),
        status: "active".into(),
        physician_id: None,
        department_id: None,
        started_at: at,
        completed_at: None,
        created_at: at,
        updated_at: at,
    };
    let inserted = journey_instance::Entity::insert(journey_instance::ActiveModel::from(journey.clone()))
        .on_conflict(
            OnConflict::columns([journey_instance::Column::HospitalId, journey_instance::Column::EncounterId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    if inserted == 0 {
        return Ok(None);
    }
    let stages: Vec<stage_instance::Model> = refs
        .stages
        .get(&template_id)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|s| stage_instance::Model {
            id: Uuid::now_v7(),
            journey_instance_id: journey.id,
            stage_template_id: s.id,
            position: s.position,
            status: "pending".into(),
            completed_at: None,
            completed_by_event_id: None,
            physician_id: None,
            department_id: None,
            created_at: at,
            updated_at: at,
        })
        .collect();
    if !stages.is_empty() {
        let rows = stages.iter().cloned().map(stage_instance::ActiveModel::from);
        stage_instance::Entity::insert_many(rows).exec_without_returning(txn).await?;
    }
    Ok(Some((journey, stages)))
}

async fn add_stage(
    txn: &DatabaseTransaction,
    journey: &journey_instance::Model,
    tpl: &stage_template::Model,
) -> anyhow::Result<stage_instance::Model> {
    let at = now();
    let stage = stage_instance::Model {
        id: Uuid::now_v7(),
        journey_instance_id: journey.id,
        stage_template_id: tpl.id,
        position: tpl.position,
        status: "pending".into(),
        completed_at: None,
        completed_by_event_id: None,
        physician_id: None,
        department_id: None,
        created_at: at,
        updated_at: at,
    };
    stage_instance::Entity::insert(stage_instance::ActiveModel::from(stage.clone()))
        .exec_without_returning(txn)
        .await?;
    Ok(stage)
}

struct NewSurvey<'a> {
    journey: &'a journey_instance::Model,
    stage_id: Uuid,
    survey_template_id: Uuid,
    patient: patient::Model,
    department_id: Option<Uuid>,
    physician_id: Option<Uuid>,
}

/// One survey per completed stage (the surveys module's one way to create a survey), its
/// invitation queued to go out after the stage's delay.
async fn create_survey(
    state: &AppState,
    txn: &DatabaseTransaction,
    new: NewSurvey<'_>,
    delay_minutes: i32,
) -> anyhow::Result<bool> {
    let send_at = now() + Duration::minutes(i64::from(std::cmp::Ord::max(delay_minutes, 0)));
    let mut survey = delivery::NewSurvey::new(new.journey.hospital_id, new.survey_template_id, "journey");
    survey.patient = Some(new.patient);
    survey.journey_instance_id = Some(new.journey.id);
    survey.stage_instance_id = Some(new.stage_id);
    survey.department_id = new.department_id;
    survey.physician_id = new.physician_id;
    survey.send_at = Some(send_at);
    let created = delivery::create(state, txn, survey).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(created.queued)
}
