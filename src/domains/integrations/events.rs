//! Inbound events: validation of the contract, the durable row and its processing job written in
//! one transaction, idempotent replays, listing and retry.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, Order, QueryFilter, Set, TransactionTrait};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::inbound_event;
use crate::app::AppState;
use crate::auth::{Actor, Permission};
use crate::crud::ListQuery;
use crate::domains::organizations::rules::parse_phone;
use crate::domains::organizations::service::now;
use crate::error::{AppError, AppResult, FieldErrors, not_found};
use crate::http::{Page, pagination};
use crate::jobs::{Enqueue, Job, Queue};

pub const SOURCE_SYSTEMS: &[&str] = &["his", "lab", "radiology", "pharmacy", "moh", "chi"];

/// The event contract of the Django original (unknown top-level fields refused).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    /// his, lab, radiology, pharmacy, moh or chi.
    pub source_system: Option<String>,
    /// e.g. OPD_CONSULTATION_DONE.
    pub event_code: Option<String>,
    pub encounter_id: Option<String>,
    /// The patient's MRN.
    pub patient_identifier: Option<String>,
    /// Optional idempotency key: a replay with the same key answers the first event.
    pub event_id: Option<String>,
    /// physician_license, department_code, hospital_code, timestamp (ISO 8601), custom_fields.
    #[schema(value_type = Object)]
    pub payload_json: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub id: Uuid,
    pub hospital_id: Option<Uuid>,
    pub source_system: String,
    pub event_code: String,
    pub encounter_id: String,
    pub patient_identifier: String,
    pub event_id: Option<String>,
    #[schema(value_type = Object)]
    pub payload_json: serde_json::Value,
    /// pending, processing, processed, ignored or failed.
    pub status: String,
    pub status_reason: String,
    pub attempts: i32,
    pub received_at: chrono::DateTime<chrono::Utc>,
    pub processed_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<inbound_event::Model> for EventView {
    fn from(m: inbound_event::Model) -> Self {
        EventView {
            id: m.id,
            hospital_id: m.hospital_id,
            source_system: m.source_system,
            event_code: m.event_code,
            encounter_id: m.encounter_id,
            patient_identifier: m.patient_identifier,
            event_id: m.idempotency_key,
            payload_json: m.payload,
            status: m.status,
            status_reason: m.status_reason,
            attempts: m.attempts,
            received_at: m.received_at,
            processed_at: m.processed_at,
        }
    }
}

/// Who posted: a user (JWT) or a hospital system's API key.
#[derive(Debug, Clone)]
pub enum Poster {
    User(Actor),
    Key { key_id: Uuid, hospital_id: Uuid, source_systems: Vec<String> },
}

fn text(errors: &mut FieldErrors, field: &str, value: Option<&str>, max: usize) -> String {
    crate::http::validate::required(errors, field, value, max)
}

/// Checks the known payload keys' types; returns the payload to store.
fn check_payload(errors: &mut FieldErrors, payload: Option<serde_json::Value>) -> serde_json::Value {
    let payload = payload.unwrap_or_else(|| serde_json::json!({}));
    let Some(map) = payload.as_object() else {
        errors.add("payload_json", "Must be a JSON object.");
        return payload;
    };
    for key in ["physician_license", "department_code", "hospital_code"] {
        match map.get(key) {
            None | Some(serde_json::Value::Null) => {}
            Some(serde_json::Value::String(s)) if s.chars().count() <= 100 => {}
            Some(serde_json::Value::String(_)) => {
                errors.add(&format!("payload_json.{key}"), "Ensure this field has no more than 100 characters.")
            }
            Some(_) => errors.add(&format!("payload_json.{key}"), "Must be a string."),
        }
    }
    match map.get("timestamp") {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::String(s)) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => {}
        Some(_) => errors
            .add("payload_json.timestamp", "Use an ISO 8601 date-time with offset, e.g. 2026-01-05T10:12:00+03:00."),
    }
    match map.get("custom_fields") {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::Object(fields)) => match fields.get("patient_phone") {
            None | Some(serde_json::Value::Null) => {}
            Some(serde_json::Value::String(p)) if parse_phone(p).is_ok() => {}
            Some(_) => errors
                .add("payload_json.custom_fields.patient_phone", "Enter a valid phone number, e.g. +966501234567."),
        },
        Some(_) => errors.add("payload_json.custom_fields", "Must be a JSON object."),
    }
    payload
}

/// What `ingest` did: a new event (201) or the earlier one a replay points at (200).
pub enum Ingested {
    New(inbound_event::Model),
    Replay(inbound_event::Model),
}

/// Validates and stores an event and its processing job in one transaction.
pub async fn ingest(
    state: &AppState,
    poster: &Poster,
    input: EventInput,
    header_key: Option<String>,
) -> AppResult<Ingested> {
    if let Poster::User(actor) = poster {
        actor.require(state, Permission::PostEvents).await?;
    }
    let mut errors = FieldErrors::new();
    let source = input.source_system.as_deref().map(|s| s.trim().to_lowercase());
    let source = match source.as_deref() {
        None => {
            errors.add("source_system", "This field is required.");
            String::new()
        }
        Some(s) if SOURCE_SYSTEMS.contains(&s) => s.to_owned(),
        Some(s) => {
            errors.add("source_system", format!("\"{s}\" is not a valid choice."));
            String::new()
        }
    };
    let event_code = text(&mut errors, "event_code", input.event_code.as_deref(), 100).to_uppercase();
    let encounter_id = text(&mut errors, "encounter_id", input.encounter_id.as_deref(), 100);
    let patient_identifier = text(&mut errors, "patient_identifier", input.patient_identifier.as_deref(), 100);
    let key = input.event_id.clone().or(header_key).map(|k| k.trim().to_owned()).filter(|k| !k.is_empty());
    if key.as_ref().is_some_and(|k| k.chars().count() > 200) {
        errors.add("event_id", "Ensure this field has no more than 200 characters.");
    }
    let payload = check_payload(&mut errors, input.payload_json);
    errors.into_result()?;

    let (hospital_id, api_key_id, received_by) = match poster {
        Poster::Key { key_id, hospital_id, source_systems } => {
            if !source_systems.contains(&source) {
                return Err(AppError::Forbidden(format!(
                    "This API key may not post events for source system \"{source}\"."
                )));
            }
            (Some(*hospital_id), Some(*key_id), None)
        }
        Poster::User(actor) => (
            if actor.role == crate::auth::Role::PxAdmin { actor.selected_hospital } else { actor.hospital_id },
            None,
            actor.user_id,
        ),
    };
    let body_hash = {
        let canonical = serde_json::json!([source, event_code, encounter_id, patient_identifier, payload]);
        hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
    };
    if let Some(k) = &key
        && let Some(first) = find_replay(state, &source, k).await?
    {
        return replay(first, &body_hash);
    }
    let at = now();
    let id = Uuid::now_v7();
    let row = inbound_event::ActiveModel {
        id: Set(id),
        hospital_id: Set(hospital_id),
        source_system: Set(source.clone()),
        event_code: Set(event_code),
        encounter_id: Set(encounter_id),
        patient_identifier: Set(patient_identifier),
        payload: Set(payload),
        idempotency_key: Set(key.clone()),
        body_hash: Set(body_hash.clone()),
        status: Set("pending".into()),
        status_reason: Set(String::new()),
        attempts: Set(0),
        api_key_id: Set(api_key_id),
        received_by: Set(received_by),
        received_at: Set(at),
        processed_at: Set(None),
        updated_at: Set(at),
    };
    // SQLite: take the write turn instead of sleeping in SQLite's busy handler.
    let turn = state.write_turn().await;
    let txn = state.db.begin().await?;
    let saved = match row.insert(&txn).await {
        Ok(saved) => saved,
        Err(e) if key.is_some() => {
            // A concurrent replay won the unique (source, key) race: answer the winner.
            drop(txn);
            let k = key.as_deref().unwrap_or_default();
            return match find_replay(state, &source, k).await? {
                Some(first) => replay(first, &body_hash),
                None => Err(e.into()),
            };
        }
        Err(e) => return Err(e.into()),
    };
    crate::jobs::queue::enqueue(&txn, &Job::ProcessInboundEvent { event_id: id }, Enqueue::default()).await?;
    txn.commit().await?;
    drop(turn);
    state.waker.wake(Queue::Events);
    metrics::counter!("inbound_events_total", "source" => source).increment(1);
    Ok(Ingested::New(saved))
}

async fn find_replay(state: &AppState, source: &str, key: &str) -> AppResult<Option<inbound_event::Model>> {
    Ok(inbound_event::Entity::find()
        .filter(inbound_event::Column::SourceSystem.eq(source))
        .filter(inbound_event::Column::IdempotencyKey.eq(key))
        .one(&state.db)
        .await?)
}

fn replay(first: inbound_event::Model, body_hash: &str) -> AppResult<Ingested> {
    if first.body_hash == body_hash {
        Ok(Ingested::Replay(first))
    } else {
        Err(AppError::Unprocessable(
            "idempotency_key_reused",
            "This event_id was already used for a different event body.".into(),
        ))
    }
}

/// Events newest first; filters `status`, `source_system`, `event_code`, `encounter_id`,
/// `received_from`/`received_to` (YYYY-MM-DD).
pub async fn list(state: &AppState, actor: &Actor, query: &ListQuery) -> AppResult<Page<EventView>> {
    actor.require(state, Permission::ViewEvents).await?;
    let mut select = inbound_event::Entity::find();
    if let crate::auth::HospitalScope::Only(h) = actor.scope() {
        select = select.filter(inbound_event::Column::HospitalId.eq(h));
    }
    for (name, column) in [
        ("status", inbound_event::Column::Status),
        ("source_system", inbound_event::Column::SourceSystem),
        ("event_code", inbound_event::Column::EventCode),
        ("encounter_id", inbound_event::Column::EncounterId),
    ] {
        if let Some(v) = query.filter(name) {
            select = select.filter(column.eq(v));
        }
    }
    for (name, is_from) in [("received_from", true), ("received_to", false)] {
        if let Some(raw) = query.filter(name) {
            let day = crate::domains::audit::service::parse_day(raw)
                .ok_or_else(|| crate::error::invalid(name, "Use the format YYYY-MM-DD."))?;
            select = if is_from {
                select.filter(inbound_event::Column::ReceivedAt.gte(day))
            } else {
                select.filter(inbound_event::Column::ReceivedAt.lt(day + chrono::Duration::days(1)))
            };
        }
    }
    use inbound_event::Column as C;
    select = pagination::search(select, &query.params, &[C::EncounterId, C::EventCode, C::PatientIdentifier]);
    let allowed = [("received_at", C::ReceivedAt), ("status", C::Status)];
    select = pagination::order(select, &query.params, &allowed, (C::ReceivedAt, Order::Desc))?;
    Ok(pagination::fetch(&state.db, select, &query.params, &query.path).await?.map(Into::into))
}

pub async fn get(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<EventView> {
    actor.require(state, Permission::ViewEvents).await?;
    let found = inbound_event::Entity::find_by_id(id).one(&state.db).await?.ok_or(not_found("event"))?;
    if found.hospital_id.is_some_and(|h| !actor.sees_hospital(h)) {
        return Err(not_found("event"));
    }
    Ok(found.into())
}

/// Puts a failed (or ignored) event back to pending and enqueues its processing again.
pub async fn retry(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<EventView> {
    actor.require(state, Permission::RetryEvents).await?;
    let found = get(state, actor, id).await?;
    if !matches!(found.status.as_str(), "failed" | "ignored") {
        return Err(AppError::Conflict(
            "not_retryable",
            "Only failed or ignored events can be processed again.".into(),
        ));
    }
    let txn = state.db.begin().await?;
    let mut row: inbound_event::ActiveModel =
        inbound_event::Entity::find_by_id(id).one(&txn).await?.ok_or(not_found("event"))?.into();
    row.status = Set("pending".into());
    row.attempts = Set(0);
    row.status_reason = Set(String::new());
    row.updated_at = Set(now());
    let saved = row.update(&txn).await?;
    crate::jobs::queue::enqueue(&txn, &Job::ProcessInboundEvent { event_id: id }, Enqueue::default()).await?;
    crate::domains::audit::service::record(
        &txn,
        actor,
        crate::domains::audit::service::Entry::new("event_retried", "inbound_event", id).hospital(saved.hospital_id),
    )
    .await?;
    txn.commit().await?;
    state.waker.wake(Queue::Events);
    Ok(saved.into())
}
