//! Explanation requests (spec §8): a handler asks a staff member to explain their part in a
//! complaint. The staff member gets a single-use link (only its hash is stored) and 48 hours; their
//! manager gets an informational e-mail. Still pending when due, the request is escalated: the
//! manager gets a link of their own to respond. One open request per complaint and staff member.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::filters::staff_name;
use super::model::{complaint, complaint_explanation};
use super::service::{add_update, complaint_vars, department_manager, visible};
use crate::app::AppState;
use crate::auth::tokens::{hash_token, random_token};
use crate::auth::{Actor, ApiActor, CsrfForm, PageActor, Permission};
use crate::domains::audit::service::{Entry, record};
use crate::domains::organizations::model::staff;
use crate::domains::organizations::service::now;
use crate::error::{AppError, AppResult, FieldErrors, invalid, not_found};
use crate::http::openapi::ErrorBody;
use crate::http::{ApiJson, IdPath, parse_id, validate};
use crate::i18n::Lang;
use crate::web::public::PublicChrome;
use crate::web::{PageResult, render};

/// How long a staff member has to answer.
pub const DUE_HOURS: i64 = 48;
pub const STATUSES: &[&str] = &["pending", "submitted", "escalated", "manager_responded", "closed"];

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExplanationView {
    pub id: Uuid,
    pub complaint_id: Uuid,
    pub staff_id: Uuid,
    pub status: String,
    pub request_message: String,
    pub due_at: DateTime<Utc>,
    pub response: String,
    pub submitted_at: Option<DateTime<Utc>>,
    pub escalated_at: Option<DateTime<Utc>>,
    pub manager_user_id: Option<Uuid>,
    pub manager_response: String,
    pub manager_responded_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub requested_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl From<complaint_explanation::Model> for ExplanationView {
    fn from(m: complaint_explanation::Model) -> Self {
        ExplanationView {
            id: m.id,
            complaint_id: m.complaint_id,
            staff_id: m.staff_id,
            status: m.status,
            request_message: m.request_message,
            due_at: m.due_at,
            response: m.response,
            submitted_at: m.submitted_at,
            escalated_at: m.escalated_at,
            manager_user_id: m.manager_user_id,
            manager_response: m.manager_response,
            manager_responded_at: m.manager_responded_at,
            closed_at: m.closed_at,
            requested_by: m.requested_by,
            created_at: m.created_at,
        }
    }
}

/// A complaint's explanation requests, oldest first.
pub async fn for_complaint(
    db: &impl ConnectionTrait,
    complaint_id: Uuid,
) -> AppResult<Vec<complaint_explanation::Model>> {
    Ok(complaint_explanation::Entity::find()
        .filter(complaint_explanation::Column::ComplaintId.eq(complaint_id))
        .order_by_asc(complaint_explanation::Column::CreatedAt)
        .all(db)
        .await?)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExplanationInput {
    /// The staff member asked to explain (of the complaint's hospital).
    pub staff_id: Option<Uuid>,
    /// What they are asked.
    pub message: Option<String>,
}

fn link(state: &AppState, path: &str, token: &str) -> String {
    format!(
        "{}/complaints/explanations/{path}/{token}/",
        state.config.notifications.public_base_url.trim_end_matches('/')
    )
}

/// Asks a staff member for an explanation. Returns the request and, this once, its link.
pub async fn request(
    state: &AppState,
    actor: &Actor,
    complaint_id: Uuid,
    input: ExplanationInput,
) -> AppResult<(complaint_explanation::Model, String)> {
    actor.require(state, Permission::HandleComplaints).await?;
    let c = visible(state, actor, complaint_id).await?;
    if super::workflow::ComplaintStatus::parse(&c.status).is_some_and(|s| s.is_final()) {
        return Err(AppError::Conflict("complaint_final", format!("The complaint is {}.", c.status)));
    }
    let mut errors = FieldErrors::new();
    let message = validate::required(&mut errors, "message", input.message.as_deref(), 2000);
    let member = match input.staff_id {
        None => {
            errors.add("staff_id", "This field is required.");
            None
        }
        Some(id) => {
            let found = staff::Entity::find_by_id(id)
                .filter(staff::Column::HospitalId.eq(c.hospital_id))
                .filter(staff::Column::DeletedAt.is_null())
                .one(&state.db)
                .await?;
            if found.is_none() {
                errors.add("staff_id", "Invalid pk - object does not exist.");
            }
            found
        }
    };
    if let Some(m) = &member {
        let open = complaint_explanation::Entity::find()
            .filter(complaint_explanation::Column::ComplaintId.eq(c.id))
            .filter(complaint_explanation::Column::StaffId.eq(m.id))
            .filter(complaint_explanation::Column::Status.is_in(["pending", "escalated"]))
            .one(&state.db)
            .await?;
        if open.is_some() {
            errors.add("staff_id", "This staff member already has an open explanation request for this complaint.");
        }
        let contact = match m.user_id {
            Some(u) => crate::domains::accounts::model::user::Entity::find_by_id(u)
                .one(&state.db)
                .await?
                .map(|u| u.email)
                .unwrap_or_default(),
            None => String::new(),
        };
        if m.email.trim().is_empty() && contact.trim().is_empty() {
            errors.add("staff_id", "This staff member has no e-mail address to send the link to.");
        }
    }
    errors.into_result()?;
    let Some(member) = member else { return Err(invalid("staff_id", "This field is required.")) };
    let token = random_token();
    let at = now();
    let txn = state.db.begin().await?;
    let saved = complaint_explanation::ActiveModel {
        id: Set(Uuid::now_v7()),
        complaint_id: Set(c.id),
        hospital_id: Set(c.hospital_id),
        staff_id: Set(member.id),
        requested_by: Set(actor.user_id),
        status: Set("pending".into()),
        request_message: Set(message),
        token_hash: Set(hash_token(&token)),
        due_at: Set(at + Duration::hours(DUE_HOURS)),
        response: Set(String::new()),
        submitted_at: Set(None),
        escalated_at: Set(None),
        manager_user_id: Set(None),
        manager_token_hash: Set(None),
        manager_response: Set(String::new()),
        manager_responded_at: Set(None),
        closed_at: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        // Two requests at once for the same staff member: the unique index keeps one open.
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            invalid("staff_id", "This staff member already has an open explanation request for this complaint.")
        }
        _ => e.into(),
    })?;
    add_update(
        &txn,
        &c,
        actor.user_id,
        "explanation_requested",
        None,
        None,
        &staff_name(Lang::En, &member),
        false,
        serde_json::json!({"explanation_id": saved.id, "staff_id": member.id, "due_at": saved.due_at}),
    )
    .await?;
    record(
        &txn,
        actor,
        Entry::new("explanation_requested", "complaint", c.id)
            .hospital(Some(c.hospital_id))
            .details(serde_json::json!({"explanation_id": saved.id, "staff_id": member.id})),
    )
    .await?;
    let url = link(state, "respond", &token);
    let mut vars = complaint_vars(&state.config, &c);
    vars.insert("link".into(), url.clone());
    vars.insert("staff_name".into(), staff_name(Lang::En, &member));
    vars.insert("due_at".into(), crate::i18n::riyadh_time(saved.due_at));
    let mut woke = false;
    let staff_user = match member.user_id {
        Some(u) => crate::domains::accounts::model::user::Entity::find_by_id(u).one(&txn).await?,
        None => None,
    };
    match &staff_user {
        Some(u) => {
            woke |= super::notify::user(&txn, &state.config, u, c.hospital_id, "explanation_request", &vars).await?;
        }
        None => {
            woke |=
                super::notify::address(&txn, &member.email, &c.language, c.hospital_id, "explanation_request", &vars)
                    .await?;
        }
    }
    if let Some(manager) = department_manager(&txn, member.department_id).await? {
        let mut notice = vars.clone();
        notice.remove("link");
        woke |=
            super::notify::user(&txn, &state.config, &manager, c.hospital_id, "explanation_manager_notice", &notice)
                .await?;
    }
    txn.commit().await?;
    if woke {
        state.waker.wake(crate::jobs::Queue::Notifications);
    }
    Ok((saved, url))
}

/// Escalates requests still pending after their due time: the staff member's department manager
/// gets a response link. Returns how many were escalated.
pub async fn escalate_due(state: &AppState, at: DateTime<Utc>) -> anyhow::Result<u64> {
    let due = complaint_explanation::Entity::find()
        .filter(complaint_explanation::Column::Status.eq("pending"))
        .filter(complaint_explanation::Column::DueAt.lt(at))
        .all(&state.db)
        .await?;
    let mut n = 0;
    for e in due {
        let _turn = state.write_turn().await;
        let txn = state.db.begin().await?;
        // Re-check under the transaction: another run may have escalated it.
        let Some(current) = complaint_explanation::Entity::find_by_id(e.id)
            .filter(complaint_explanation::Column::Status.eq("pending"))
            .one(&txn)
            .await?
        else {
            continue;
        };
        let Some(c) = complaint::Entity::find_by_id(current.complaint_id).one(&txn).await? else { continue };
        let member = staff::Entity::find_by_id(current.staff_id).one(&txn).await?;
        let manager = department_manager(&txn, member.as_ref().and_then(|m| m.department_id)).await?;
        let token = random_token();
        // Only a still-pending request moves: an overlapping run escalates it once.
        let moved = complaint_explanation::Entity::update_many()
            .col_expr(complaint_explanation::Column::Status, Expr::value("escalated"))
            .col_expr(complaint_explanation::Column::EscalatedAt, Expr::value(at))
            .col_expr(complaint_explanation::Column::ManagerUserId, Expr::value(manager.as_ref().map(|m| m.id)))
            .col_expr(
                complaint_explanation::Column::ManagerTokenHash,
                Expr::value(manager.as_ref().map(|_| hash_token(&token))),
            )
            .col_expr(complaint_explanation::Column::UpdatedAt, Expr::value(now()))
            .filter(complaint_explanation::Column::Id.eq(current.id))
            .filter(complaint_explanation::Column::Status.eq("pending"))
            .exec(&txn)
            .await?
            .rows_affected;
        if moved != 1 {
            continue;
        }
        add_update(
            &txn,
            &c,
            None,
            "explanation_escalated",
            None,
            None,
            "",
            false,
            serde_json::json!({"explanation_id": current.id, "manager_user_id": manager.as_ref().map(|m| m.id)}),
        )
        .await?;
        let mut woke = false;
        if let Some(m) = &manager {
            let mut vars = complaint_vars(&state.config, &c);
            vars.insert("link".into(), link(state, "manager", &token));
            vars.insert("staff_name".into(), member.as_ref().map(|m| staff_name(Lang::En, m)).unwrap_or_default());
            woke = super::notify::user(&txn, &state.config, m, c.hospital_id, "explanation_escalated", &vars).await?;
        }
        txn.commit().await?;
        if woke {
            state.waker.wake(crate::jobs::Queue::Notifications);
        }
        n += 1;
    }
    Ok(n)
}

/// Closes a request (handlers): no more answers are taken.
pub async fn close(
    state: &AppState,
    actor: &Actor,
    complaint_id: Uuid,
    id: Uuid,
) -> AppResult<complaint_explanation::Model> {
    actor.require(state, Permission::HandleComplaints).await?;
    let c = visible(state, actor, complaint_id).await?;
    let found = complaint_explanation::Entity::find_by_id(id)
        .filter(complaint_explanation::Column::ComplaintId.eq(c.id))
        .one(&state.db)
        .await?
        .ok_or(not_found("explanation"))?;
    if found.status == "closed" {
        return Ok(found);
    }
    let txn = state.db.begin().await?;
    let mut row: complaint_explanation::ActiveModel = found.into();
    row.status = Set("closed".into());
    row.closed_at = Set(Some(now()));
    row.updated_at = Set(now());
    let saved = row.update(&txn).await?;
    add_update(
        &txn,
        &c,
        actor.user_id,
        "explanation_closed",
        None,
        None,
        "",
        false,
        serde_json::json!({"explanation_id": id}),
    )
    .await?;
    record(&txn, actor, Entry::new("explanation_closed", "complaint", c.id).hospital(Some(c.hospital_id))).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Which link a token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Staff,
    Manager,
}

/// The request a link opens, if the link is still usable (staff: pending; manager: escalated and
/// not yet answered). Used links and unknown ones look the same.
async fn by_token(
    db: &impl ConnectionTrait,
    kind: Link,
    token: &str,
) -> AppResult<Option<complaint_explanation::Model>> {
    let hash = hash_token(token);
    let select = match kind {
        Link::Staff => complaint_explanation::Entity::find()
            .filter(complaint_explanation::Column::TokenHash.eq(hash))
            .filter(complaint_explanation::Column::Status.eq("pending")),
        Link::Manager => complaint_explanation::Entity::find()
            .filter(complaint_explanation::Column::ManagerTokenHash.eq(hash))
            .filter(complaint_explanation::Column::Status.eq("escalated")),
    };
    Ok(select.one(db).await?)
}

/// Records the answer given through a link (single use): the update only applies while the
/// request is still in the state the link belongs to, so two submissions record one answer.
async fn answer(
    state: &AppState,
    kind: Link,
    token: &str,
    text: &str,
) -> AppResult<Option<complaint_explanation::Model>> {
    use complaint_explanation::Column as C;
    let _turn = state.write_turn().await;
    let txn = state.db.begin().await?;
    let Some(found) = by_token(&txn, kind, token).await? else { return Ok(None) };
    let at = now();
    let update = complaint_explanation::Entity::update_many().col_expr(C::UpdatedAt, Expr::value(at));
    let update = match kind {
        Link::Staff => update
            .col_expr(C::Status, Expr::value("submitted"))
            .col_expr(C::Response, Expr::value(text.to_owned()))
            .col_expr(C::SubmittedAt, Expr::value(at))
            .filter(C::Status.eq("pending")),
        Link::Manager => update
            .col_expr(C::Status, Expr::value("manager_responded"))
            .col_expr(C::ManagerResponse, Expr::value(text.to_owned()))
            .col_expr(C::ManagerRespondedAt, Expr::value(at))
            .filter(C::Status.eq("escalated")),
    };
    if update.filter(C::Id.eq(found.id)).exec(&txn).await?.rows_affected != 1 {
        return Ok(None);
    }
    if let Some(c) = complaint::Entity::find_by_id(found.complaint_id).one(&txn).await? {
        let kind_name = if kind == Link::Staff { "explanation_submitted" } else { "explanation_manager_responded" };
        add_update(&txn, &c, None, kind_name, None, None, text, false, serde_json::json!({"explanation_id": found.id}))
            .await?;
    }
    let saved = complaint_explanation::Entity::find_by_id(found.id).one(&txn).await?;
    txn.commit().await?;
    Ok(saved)
}

// ---------------------------------------------------------------------------------------------
// API

/// A complaint's explanation requests.
#[utoipa::path(get, path = "/api/complaints/{id}/explanations/", tag = "Complaints", params(("id" = Uuid, Path)),
    responses((status = 200, body = [ExplanationView]), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<Json<Vec<ExplanationView>>> {
    actor.require(&state, Permission::HandleComplaints).await?;
    let c = visible(&state, &actor, id).await?;
    Ok(Json(for_complaint(&state.db, c.id).await?.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExplanationCreated {
    #[serde(flatten)]
    pub view: ExplanationView,
    /// The staff member's single-use link (also sent by e-mail); shown only in this response.
    pub link: String,
}

/// Asks a staff member of the complaint's hospital for an explanation (handlers).
#[utoipa::path(post, path = "/api/complaints/{id}/explanations/", tag = "Complaints", params(("id" = Uuid, Path)),
    request_body = ExplanationInput,
    responses((status = 201, body = ExplanationCreated), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn api_create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<ExplanationInput>,
) -> AppResult<Response> {
    let (saved, link) = request(&state, &actor, id, input).await?;
    Ok((StatusCode::CREATED, Json(ExplanationCreated { view: saved.into(), link })).into_response())
}

/// Closes an explanation request (handlers).
#[utoipa::path(post, path = "/api/complaints/{id}/explanations/{explanation_id}/close/", tag = "Complaints",
    params(("id" = Uuid, Path), ("explanation_id" = Uuid, Path)),
    responses((status = 200, body = ExplanationView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_close(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((id, explanation_id)): Path<(String, String)>,
) -> AppResult<Json<ExplanationView>> {
    let id = parse_id(&id, "complaint")?;
    let explanation_id = parse_id(&explanation_id, "explanation")?;
    Ok(Json(close(&state, &actor, id, explanation_id).await?.into()))
}

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api_list, api_create)).routes(routes!(api_close))
}

// ---------------------------------------------------------------------------------------------
// Pages: the handler's form on the complaint page, and the two link pages (no login)

/// `POST /complaints/{id}/explanations/` from the complaint page.
pub async fn page_request(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<String>,
    form: CsrfForm,
) -> PageResult {
    let id = parse_id(&id, "complaint")?;
    let input =
        ExplanationInput { staff_id: Uuid::parse_str(&form.get("staff_id")).ok(), message: Some(form.get("message")) };
    let flag = match request(&state, &page.actor, id, input).await {
        Ok(_) => "explanation_sent",
        Err(AppError::Validation(_) | AppError::Conflict(..)) => "explanation_error",
        Err(e) => return Err(e.into()),
    };
    Ok(Redirect::to(&format!("/complaints/{id}/?flash={flag}#explanations")).into_response())
}

#[derive(Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

#[derive(Template)]
#[template(path = "complaints/explanation_respond.html")]
struct RespondPage {
    chrome: PublicChrome,
    /// None: the link is used, expired or unknown.
    found: Option<RespondView>,
    done: bool,
    error: String,
    action: String,
    manager: bool,
}

struct RespondView {
    reference: String,
    request_message: String,
    staff_response: String,
    due: String,
}

async fn respond_view(state: &AppState, e: &complaint_explanation::Model) -> AppResult<Option<RespondView>> {
    let Some(c) = complaint::Entity::find_by_id(e.complaint_id).one(&state.db).await? else { return Ok(None) };
    Ok(Some(RespondView {
        reference: c.reference_number,
        request_message: e.request_message.clone(),
        staff_response: e.response.clone(),
        due: crate::i18n::riyadh_time(e.due_at),
    }))
}

async fn link_page(
    state: &AppState,
    headers: &HeaderMap,
    lang: Option<&str>,
    kind: Link,
    token: &str,
    posted: Option<String>,
) -> PageResult {
    let segment = if kind == Link::Staff { "respond" } else { "manager" };
    let path = format!("/complaints/explanations/{segment}/{token}/");
    let chrome = PublicChrome::new(headers, lang, &path, None, "explanation-title");
    let action = path.clone();
    let mut error = String::new();
    if let Some(text) = posted {
        let text = text.trim().to_owned();
        let length = text.chars().count();
        if !(10..=5000).contains(&length) {
            error = chrome.t("explanation-length");
        } else if answer(state, kind, token, &text).await?.is_some() {
            return render(
                StatusCode::OK,
                &RespondPage { chrome, found: None, done: true, error, action, manager: kind == Link::Manager },
            );
        }
    }
    let found = match by_token(&state.db, kind, token).await? {
        Some(e) => respond_view(state, &e).await?,
        None => None,
    };
    let status = if found.is_some() { StatusCode::OK } else { StatusCode::NOT_FOUND };
    render(status, &RespondPage { chrome, found, done: false, error, action, manager: kind == Link::Manager })
}

pub async fn respond_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(q): Query<LangQuery>,
) -> PageResult {
    link_page(&state, &headers, q.lang.as_deref(), Link::Staff, &token, None).await
}

#[derive(Deserialize)]
pub struct AnswerForm {
    response: Option<String>,
}

pub async fn respond_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    axum::Form(form): axum::Form<AnswerForm>,
) -> PageResult {
    link_page(&state, &headers, None, Link::Staff, &token, Some(form.response.unwrap_or_default())).await
}

pub async fn manager_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(q): Query<LangQuery>,
) -> PageResult {
    link_page(&state, &headers, q.lang.as_deref(), Link::Manager, &token, None).await
}

pub async fn manager_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    axum::Form(form): axum::Form<AnswerForm>,
) -> PageResult {
    link_page(&state, &headers, None, Link::Manager, &token, Some(form.response.unwrap_or_default())).await
}

pub fn page_routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/complaints/{id}/explanations/", post(page_request))
        .route("/complaints/explanations/respond/{token}/", get(respond_get).post(respond_post))
        .route("/complaints/explanations/manager/{token}/", get(manager_get).post(manager_post))
}
