//! `/api/notifications/…`: messages (list, send, read), templates (PX admins write) with a
//! preview, and opt-outs. Reading needs `ViewPatients`, sending and opt-outs `ManagePatients`;
//! everything is scoped to the actor's hospital. Recipients are masked below px_coordinator.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, EntityTrait, Order, QueryFilter, Select, TransactionTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::{message, opt_out};
use super::rules;
use super::service::{self, NewMessage};
use super::templates::{self, PreviewInput, PreviewView, TemplateInput, TemplateView};
use crate::app::AppState;
use crate::auth::{Actor, ApiActor, HospitalScope, Permission};
use crate::crud::{ListQuery, parse_input};
use crate::domains::audit::service::{Entry, record};
use crate::domains::organizations::model::patient;
use crate::domains::organizations::rules::mask;
use crate::error::{AppResult, FieldErrors, invalid, not_found};
use crate::http::openapi::ErrorBody;
use crate::http::{ApiJson, IdPath, ListParams, Page, pagination};

/// One message: what was sent (or why not), to whom, and how it went.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageView {
    pub id: Uuid,
    pub hospital_id: Option<Uuid>,
    pub patient_id: Option<Uuid>,
    /// `sms`, `whatsapp` or `email`.
    pub channel: String,
    /// Masked (`••••4567`) below px_coordinator.
    pub recipient: String,
    pub template_code: String,
    pub language: String,
    pub subject: String,
    pub body: String,
    /// `queued`, `held`, `sending`, `sent`, `delivered`, `failed` or `suppressed`.
    pub status: String,
    /// Why it was suppressed or failed (empty otherwise).
    pub reason: String,
    pub suppression_reason: String,
    pub error: String,
    /// `general` or `survey`.
    pub category: String,
    pub provider: String,
    pub provider_message_id: Option<String>,
    pub attempts: i32,
    /// When it may go out (the end of quiet hours for a held message).
    pub scheduled_for: chrono::DateTime<chrono::Utc>,
    pub sent_at: Option<chrono::DateTime<chrono::Utc>>,
    pub delivered_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_by: Option<Uuid>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl MessageView {
    pub fn of(actor: &Actor, m: message::Model) -> Self {
        let reason = if m.status == "suppressed" {
            m.suppression_reason.clone()
        } else if m.status == "failed" {
            m.error.clone()
        } else {
            String::new()
        };
        MessageView {
            id: m.id,
            hospital_id: m.hospital_id,
            patient_id: m.patient_id,
            channel: m.channel,
            recipient: if actor.role.sees_pii() { m.recipient } else { mask(&m.recipient) },
            template_code: m.template_code,
            language: m.language,
            subject: m.subject,
            // PX admins operate the outbox (and open the links in the demo); others never see tokens.
            body: if actor.role == crate::auth::Role::PxAdmin { m.body } else { hide_link_tokens(&m.body) },
            status: m.status,
            reason,
            suppression_reason: m.suppression_reason,
            error: m.error,
            category: m.category,
            provider: m.provider,
            provider_message_id: m.provider_message_id,
            attempts: m.attempts,
            scheduled_for: m.scheduled_for,
            sent_at: m.sent_at,
            delivered_at: m.delivered_at,
            created_by: m.created_by,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// Messages, newest first. Filters: `status`, `channel`, `patient_id`, `template_code`, `category`.
pub async fn list_messages(state: &AppState, actor: &Actor, query: &ListQuery) -> AppResult<Page<MessageView>> {
    actor.require(state, Permission::ViewPatients).await?;
    let mut select = actor.scoped(message::Entity::find(), message::Column::HospitalId);
    for (name, column, allowed) in [
        ("status", message::Column::Status, rules::STATUSES),
        ("channel", message::Column::Channel, rules::CHANNELS),
        ("category", message::Column::Category, rules::CATEGORIES),
    ] {
        if let Some(v) = query.filter(name) {
            if !allowed.contains(&v) {
                return Err(invalid(name, format!("\"{v}\" is not a valid choice.")));
            }
            select = select.filter(column.eq(v));
        }
    }
    if let Some(code) = query.filter("template_code") {
        select = select.filter(message::Column::TemplateCode.eq(code));
    }
    if let Some(p) = query.uuid_filter("patient_id")? {
        select = select.filter(message::Column::PatientId.eq(p));
    }
    use message::Column as C;
    let mut searched = vec![C::TemplateCode, C::Body];
    if actor.role.sees_pii() {
        searched.push(C::Recipient);
    }
    select = pagination::search(select, &query.params, &searched);
    let allowed = [("created_at", C::CreatedAt), ("status", C::Status), ("channel", C::Channel)];
    select = pagination::order(select, &query.params, &allowed, (C::CreatedAt, Order::Desc))?;
    Ok(pagination::fetch(&state.db, select, &query.params, &query.path).await?.map(|m| MessageView::of(actor, m)))
}

/// Messages per (channel, status) in the actor's scope, for the outbox summary.
pub async fn status_counts(state: &AppState, actor: &Actor) -> AppResult<Vec<(String, String, i64)>> {
    use sea_orm::QuerySelect;
    actor.require(state, Permission::ViewPatients).await?;
    Ok(actor
        .scoped(message::Entity::find(), message::Column::HospitalId)
        .select_only()
        .column(message::Column::Channel)
        .column(message::Column::Status)
        .column_as(message::Column::Id.count(), "n")
        .group_by(message::Column::Channel)
        .group_by(message::Column::Status)
        .into_tuple()
        .all(&state.db)
        .await?)
}

pub async fn get_message(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<MessageView> {
    actor.require(state, Permission::ViewPatients).await?;
    let found = actor
        .scoped(message::Entity::find_by_id(id), message::Column::HospitalId)
        .one(&state.db)
        .await?
        .ok_or(not_found("message"))?;
    Ok(MessageView::of(actor, found))
}

/// A message to send. `patient_id` (or `recipient`), `channel` and `template_code` are required.
#[derive(Debug, Default, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendInput {
    pub patient_id: Option<Uuid>,
    /// Only without a patient (PX admins: required then).
    pub hospital_id: Option<Uuid>,
    /// `sms`, `whatsapp` or `email`.
    pub channel: Option<String>,
    pub template_code: Option<String>,
    /// `ar` or `en`; default: the patient's preferred language, else the hospital's.
    pub language: Option<String>,
    /// Template values; `patient_name` and `hospital_name` are filled in.
    pub vars: Option<BTreeMap<String, String>>,
    /// `general` (default) or `survey` (counts toward the frequency cap).
    pub category: Option<String>,
    /// An address to use instead of the patient's phone or email.
    pub recipient: Option<String>,
}

/// Queues a message after the contact rules; the answer's status says what happened.
pub async fn send(state: &AppState, actor: &Actor, input: SendInput) -> AppResult<MessageView> {
    actor.require(state, Permission::ManagePatients).await?;
    let mut errors = FieldErrors::new();
    if input.channel.as_deref().is_none_or(|c| c.trim().is_empty()) {
        errors.add("channel", "This field is required.");
    }
    if input.template_code.as_deref().is_none_or(|c| c.trim().is_empty()) {
        errors.add("template_code", "This field is required.");
    }
    if input.patient_id.is_none() && input.recipient.as_deref().is_none_or(|r| r.trim().is_empty()) {
        errors.add("patient_id", "Give a patient or a recipient.");
    }
    errors.into_result()?;
    let new = NewMessage {
        hospital_id: input.hospital_id,
        patient_id: input.patient_id,
        channel: input.channel.unwrap_or_default(),
        template_code: input.template_code.unwrap_or_default(),
        language: input.language,
        vars: input.vars.unwrap_or_default(),
        category: input.category.unwrap_or_default(),
        recipient: input.recipient,
        ..Default::default()
    };
    let saved = service::queue_message(state, actor, new).await?;
    Ok(MessageView::of(actor, saved))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OptOutView {
    pub id: Uuid,
    /// `sms`, `whatsapp` or `email`.
    pub channel: String,
    /// Masked below px_coordinator.
    pub address: String,
    pub patient_id: Option<Uuid>,
    pub reason: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl OptOutView {
    fn of(actor: &Actor, m: opt_out::Model) -> Self {
        OptOutView {
            id: m.id,
            channel: m.channel,
            address: if actor.role.sees_pii() { m.address } else { mask(&m.address) },
            patient_id: m.patient_id,
            reason: m.reason,
            created_at: m.created_at,
        }
    }
}

/// Opt-outs the actor may see: all for a PX admin, else those of their hospital's patients.
fn scoped_opt_outs(actor: &Actor, select: Select<opt_out::Entity>) -> Select<opt_out::Entity> {
    match actor.scope() {
        HospitalScope::All => select,
        HospitalScope::Only(h) => select.filter(
            opt_out::Column::PatientId.in_subquery(
                Query::select()
                    .column(patient::Column::Id)
                    .from(patient::Entity)
                    .and_where(patient::Column::HospitalId.eq(h))
                    .to_owned(),
            ),
        ),
    }
}

/// Opt-outs, newest first. Filters: `channel`, `patient_id`.
pub async fn list_opt_outs(state: &AppState, actor: &Actor, query: &ListQuery) -> AppResult<Page<OptOutView>> {
    actor.require(state, Permission::ViewPatients).await?;
    let mut select = scoped_opt_outs(actor, opt_out::Entity::find());
    if let Some(c) = query.filter("channel") {
        select = select.filter(opt_out::Column::Channel.eq(c));
    }
    if let Some(p) = query.uuid_filter("patient_id")? {
        select = select.filter(opt_out::Column::PatientId.eq(p));
    }
    if actor.role.sees_pii() {
        select = pagination::search(select, &query.params, &[opt_out::Column::Address]);
    }
    select = pagination::order(
        select,
        &query.params,
        &[("created_at", opt_out::Column::CreatedAt)],
        (opt_out::Column::CreatedAt, Order::Desc),
    )?;
    Ok(pagination::fetch(&state.db, select, &query.params, &query.path).await?.map(|m| OptOutView::of(actor, m)))
}

#[derive(Debug, Default, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptOutInput {
    /// `sms`, `whatsapp` or `email`.
    pub channel: Option<String>,
    /// Phone or email; default: the patient's on that channel.
    pub address: Option<String>,
    pub patient_id: Option<Uuid>,
    pub reason: Option<String>,
}

pub async fn create_opt_out(state: &AppState, actor: &Actor, input: OptOutInput) -> AppResult<OptOutView> {
    actor.require(state, Permission::ManagePatients).await?;
    let mut errors = FieldErrors::new();
    let channel = crate::http::validate::required(&mut errors, "channel", input.channel.as_deref(), 10);
    if !channel.is_empty() && !rules::CHANNELS.contains(&channel.as_str()) {
        errors.add("channel", format!("\"{channel}\" is not a valid choice."));
    }
    let reason = crate::http::validate::optional(&mut errors, "reason", input.reason.as_deref(), 200);
    if input.patient_id.is_none() && input.address.as_deref().is_none_or(|a| a.trim().is_empty()) {
        errors.add("address", "Give an address or a patient.");
    }
    errors.into_result()?;
    let patient = match input.patient_id {
        Some(id) => Some(
            actor
                .scoped(
                    patient::Entity::find_by_id(id).filter(patient::Column::DeletedAt.is_null()),
                    patient::Column::HospitalId,
                )
                .one(&state.db)
                .await?
                .ok_or_else(|| invalid("patient_id", "Invalid pk - object does not exist."))?,
        ),
        None => None,
    };
    let raw = match (input.address.as_deref().map(str::trim).filter(|a| !a.is_empty()), &patient) {
        (Some(a), _) => a.to_owned(),
        (None, Some(p)) if channel == "email" => p.email.clone(),
        (None, Some(p)) => p.phone.clone(),
        (None, None) => String::new(),
    };
    let address = rules::normalize_address(&channel, &raw).map_err(|why| invalid("address", why))?;
    if service::opted_out(&state.db, &channel, &address).await?.is_some() {
        return Err(invalid("address", format!("This address has already opted out of {channel}.")));
    }
    let reason = if reason.is_empty() { "recorded by staff".to_owned() } else { reason };
    let saved =
        service::add_opt_out(&state.db, actor, &channel, &address, patient.as_ref().map(|p| p.id), &reason).await?;
    Ok(OptOutView::of(actor, saved))
}

/// Removes an opt-out (the patient consents again).
pub async fn delete_opt_out(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<()> {
    actor.require(state, Permission::ManagePatients).await?;
    let found =
        scoped_opt_outs(actor, opt_out::Entity::find_by_id(id)).one(&state.db).await?.ok_or(not_found("opt-out"))?;
    let hospital = match found.patient_id {
        Some(p) => patient::Entity::find_by_id(p).one(&state.db).await?.map(|p| p.hospital_id),
        None => None,
    };
    let txn = state.db.begin().await?;
    opt_out::Entity::delete_by_id(id).exec(&txn).await?;
    let entry = Entry::new("delete", "contact_opt_out", id)
        .hospital(hospital)
        .details(serde_json::json!({"channel": found.channel}));
    record(&txn, actor, entry).await?;
    txn.commit().await?;
    Ok(())
}

// ---- HTTP handlers ----

/// Messages, newest first, in the actor's hospital.
#[utoipa::path(get, path = "/api/notifications/messages/", tag = "Notifications",
    params(ListParams, ("status" = Option<String>, Query), ("channel" = Option<String>, Query),
        ("patient_id" = Option<Uuid>, Query), ("template_code" = Option<String>, Query), ("category" = Option<String>, Query)),
    responses((status = 200, body = Page<MessageView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn messages_list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    uri: OriginalUri,
) -> AppResult<Json<Page<MessageView>>> {
    let query = ListQuery::from_query(uri.path(), uri.query());
    Ok(Json(list_messages(&state, &actor, &query).await?))
}

/// Sends a message: 201 with the row, whose status is `queued`, `failed` (e.g. no phone number)
/// or `suppressed` (opt-out, frequency cap) with the reason. An unknown template or a missing
/// template variable is a 400.
#[utoipa::path(post, path = "/api/notifications/messages/", tag = "Notifications", request_body = SendInput,
    responses((status = 201, body = MessageView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn messages_send(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> AppResult<(StatusCode, Json<MessageView>)> {
    let input: SendInput = parse_input(body)?;
    Ok((StatusCode::CREATED, Json(send(&state, &actor, input).await?)))
}

#[utoipa::path(get, path = "/api/notifications/messages/{id}/", tag = "Notifications", params(("id" = Uuid, Path)),
    responses((status = 200, body = MessageView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn messages_get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<Json<MessageView>> {
    Ok(Json(get_message(&state, &actor, id).await?))
}

/// Templates. Filters: `code`, `channel`, `language`.
#[utoipa::path(get, path = "/api/notifications/templates/", tag = "Notifications",
    params(ListParams, ("code" = Option<String>, Query), ("channel" = Option<String>, Query), ("language" = Option<String>, Query)),
    responses((status = 200, body = Page<TemplateView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn templates_list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    uri: OriginalUri,
) -> AppResult<Json<Page<TemplateView>>> {
    let query = ListQuery::from_query(uri.path(), uri.query());
    Ok(Json(templates::list(&state, &actor, &query).await?))
}

/// Creates a template (PX admins).
#[utoipa::path(post, path = "/api/notifications/templates/", tag = "Notifications", request_body = TemplateInput,
    responses((status = 201, body = TemplateView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn templates_create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> AppResult<(StatusCode, Json<TemplateView>)> {
    Ok((StatusCode::CREATED, Json(templates::create(&state, &actor, body).await?)))
}

#[utoipa::path(get, path = "/api/notifications/templates/{id}/", tag = "Notifications", params(("id" = Uuid, Path)),
    responses((status = 200, body = TemplateView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn templates_get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<Json<TemplateView>> {
    Ok(Json(templates::get(&state, &actor, id).await?))
}

/// Partial update (PX admins).
#[utoipa::path(patch, path = "/api/notifications/templates/{id}/", tag = "Notifications", params(("id" = Uuid, Path)), request_body = TemplateInput,
    responses((status = 200, body = TemplateView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn templates_update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> AppResult<Json<TemplateView>> {
    Ok(Json(templates::update(&state, &actor, id, body).await?))
}

/// Deletes a template (PX admins).
#[utoipa::path(delete, path = "/api/notifications/templates/{id}/", tag = "Notifications", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn templates_delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<StatusCode> {
    templates::delete(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Renders a draft template with sample values; a missing variable is a 400 on `vars`.
#[utoipa::path(post, path = "/api/notifications/templates/preview/", tag = "Notifications", request_body = PreviewInput,
    responses((status = 200, body = PreviewView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn templates_preview(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> AppResult<Json<PreviewView>> {
    let input: PreviewInput = parse_input(body)?;
    Ok(Json(templates::preview(&state, &actor, input).await?))
}

/// Addresses that opted out, newest first. Filters: `channel`, `patient_id`.
#[utoipa::path(get, path = "/api/notifications/opt-outs/", tag = "Notifications",
    params(ListParams, ("channel" = Option<String>, Query), ("patient_id" = Option<Uuid>, Query)),
    responses((status = 200, body = Page<OptOutView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn opt_outs_list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    uri: OriginalUri,
) -> AppResult<Json<Page<OptOutView>>> {
    let query = ListQuery::from_query(uri.path(), uri.query());
    Ok(Json(list_opt_outs(&state, &actor, &query).await?))
}

/// Opts an address (or a patient's address on the channel) out.
#[utoipa::path(post, path = "/api/notifications/opt-outs/", tag = "Notifications", request_body = OptOutInput,
    responses((status = 201, body = OptOutView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn opt_outs_create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> AppResult<(StatusCode, Json<OptOutView>)> {
    let input: OptOutInput = parse_input(body)?;
    Ok((StatusCode::CREATED, Json(create_opt_out(&state, &actor, input).await?)))
}

/// Removes an opt-out.
#[utoipa::path(delete, path = "/api/notifications/opt-outs/{id}/", tag = "Notifications", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn opt_outs_delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<StatusCode> {
    delete_opt_out(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Single-use links (explanation requests, patients' surveys) are credentials of their recipient:
/// whoever reads the outbox sees the message with the link's token cut out.
pub fn hide_link_tokens(body: &str) -> String {
    const SECRET_PATHS: [&str; 3] = ["/complaints/explanations/respond/", "/complaints/explanations/manager/", "/s/"];
    let mut out = body.to_owned();
    for marker in SECRET_PATHS {
        let mut from = 0;
        while let Some(found) = out[from..].find(marker) {
            let start = from + found + marker.len();
            let end = out[start..].find(|c: char| c == '/' || c.is_whitespace()).map_or(out.len(), |n| start + n);
            out.replace_range(start..end, "…");
            from = start + "…".len();
        }
    }
    out
}

#[cfg(test)]
mod link_tests {
    #[test]
    fn explanation_link_tokens_are_cut_out() {
        let body = "اشرح هنا: http://x/complaints/explanations/respond/AbC123_-/ ثم http://x/complaints/explanations/manager/zz9";
        assert_eq!(
            super::hide_link_tokens(body),
            "اشرح هنا: http://x/complaints/explanations/respond/…/ ثم http://x/complaints/explanations/manager/…"
        );
        assert_eq!(super::hide_link_tokens("no link"), "no link");
        assert_eq!(
            super::hide_link_tokens("Survey: https://px.example.org/s/0123abcd/ (open until 2026-03-08)"),
            "Survey: https://px.example.org/s/…/ (open until 2026-03-08)"
        );
    }
}
