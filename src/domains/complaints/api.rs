//! The JSON API of complaints and PX Actions, with the same permissions as the pages (the
//! services check them).

use axum::Json;
use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::actions::{
    self, ActionAssignInput, ActionInput, ActionNoteInput, ActionPatch, ActionTransitionInput, ActionView, LogView,
};
use super::service::{
    self, AssignInput, AssignStaffInput, ComplaintInput, ComplaintPatch, ComplaintView, NoteInput, Origin,
    TransitionInput, UpdateView,
};
use crate::app::AppState;
use crate::auth::{ApiActor, Permission};
use crate::crud::ListQuery;
use crate::error::{AppError, AppResult};
use crate::http::openapi::ErrorBody;
use crate::http::{ApiJson, IdPath, ListParams, Page};

/// Complaints in the actor's scope, newest first. Filters: status (comma-separated), hospital_id,
/// department_id, category_id, severity, priority, source, complaint_type, overdue (true/false),
/// assigned_to (me, none or a user id), received_from / received_to (YYYY-MM-DD).
#[utoipa::path(get, path = "/api/complaints/", tag = "Complaints",
    params(ListParams, ("status" = Option<String>, Query), ("hospital_id" = Option<Uuid>, Query),
        ("department_id" = Option<Uuid>, Query), ("category_id" = Option<Uuid>, Query), ("severity" = Option<String>, Query),
        ("priority" = Option<String>, Query), ("source" = Option<String>, Query), ("complaint_type" = Option<String>, Query),
        ("overdue" = Option<bool>, Query), ("assigned_to" = Option<String>, Query),
        ("received_from" = Option<String>, Query), ("received_to" = Option<String>, Query)),
    responses((status = 200, body = Page<ComplaintView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    uri: OriginalUri,
) -> AppResult<Json<Page<ComplaintView>>> {
    let query = ListQuery::from_query(uri.path(), uri.query());
    Ok(Json(service::list(&state, &actor, &query).await?))
}

/// Files a complaint, inquiry or appreciation. The SLA is computed from the hospital's settings.
#[utoipa::path(post, path = "/api/complaints/", tag = "Complaints", request_body = ComplaintInput,
    responses((status = 201, body = ComplaintView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<ComplaintInput>,
) -> AppResult<Response> {
    let saved = service::create(&state, &actor, input, Origin::Staff).await?;
    Ok((StatusCode::CREATED, Json(ComplaintView::new(saved, actor.role))).into_response())
}

/// One complaint.
#[utoipa::path(get, path = "/api/complaints/{id}/", tag = "Complaints", params(("id" = Uuid, Path)),
    responses((status = 200, body = ComplaintView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<Json<ComplaintView>> {
    let found = service::visible(&state, &actor, id).await?;
    crate::domains::audit::service::record(
        &state.db,
        &actor,
        crate::domains::audit::service::Entry::new("complaint_viewed", "complaint", found.id)
            .hospital(Some(found.hospital_id)),
    )
    .await?;
    Ok(Json(ComplaintView::new(found, actor.role)))
}

/// Changes title, description, severity, priority, source, department, category, external
/// reference, HCAT fields; severity/priority/source changes recompute the SLA while open.
#[utoipa::path(patch, path = "/api/complaints/{id}/", tag = "Complaints", params(("id" = Uuid, Path)),
    request_body = ComplaintPatch,
    responses((status = 200, body = ComplaintView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
    ApiJson(patch): ApiJson<ComplaintPatch>,
) -> AppResult<Json<ComplaintView>> {
    Ok(Json(ComplaintView::new(service::update(&state, &actor, id, patch).await?, actor.role)))
}

/// Sets the handler (PX and hospital admins; other handlers may take it themselves). An open
/// complaint moves to in_progress.
#[utoipa::path(post, path = "/api/complaints/{id}/assign/", tag = "Complaints", params(("id" = Uuid, Path)),
    request_body = AssignInput,
    responses((status = 200, body = ComplaintView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn assign(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<AssignInput>,
) -> AppResult<Json<ComplaintView>> {
    Ok(Json(ComplaintView::new(service::assign(&state, &actor, id, input).await?, actor.role)))
}

/// Sets the staff member the complaint is about (PX and hospital admins).
#[utoipa::path(post, path = "/api/complaints/{id}/assign_staff/", tag = "Complaints", params(("id" = Uuid, Path)),
    request_body = AssignStaffInput,
    responses((status = 200, body = ComplaintView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn assign_staff(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<AssignStaffInput>,
) -> AppResult<Json<ComplaintView>> {
    Ok(Json(ComplaintView::new(service::assign_staff(&state, &actor, id, input).await?, actor.role)))
}

/// Moves the complaint to another status. 409 names the allowed next statuses; 400 names each
/// missing input (resolution, resolution_category, category, reason).
#[utoipa::path(post, path = "/api/complaints/{id}/status/", tag = "Complaints", params(("id" = Uuid, Path)),
    request_body = TransitionInput,
    responses((status = 200, body = ComplaintView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn transition(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<TransitionInput>,
) -> AppResult<Json<ComplaintView>> {
    Ok(Json(ComplaintView::new(service::transition(&state, &actor, id, input).await?, actor.role)))
}

/// The timeline, oldest first (internal notes included).
#[utoipa::path(get, path = "/api/complaints/{id}/updates/", tag = "Complaints", params(("id" = Uuid, Path)),
    responses((status = 200, body = [UpdateView]), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn updates(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<Json<Vec<UpdateView>>> {
    let c = service::visible(&state, &actor, id).await?;
    // Source users see what the patient sees.
    let public_only = !actor.role.may(Permission::HandleComplaints) && actor.role == crate::auth::Role::SourceUser;
    Ok(Json(service::timeline(&state.db, c.id, public_only).await?.into_iter().map(Into::into).collect()))
}

/// Adds a note: internal, or (`is_public`) an update the patient sees on the tracking page.
#[utoipa::path(post, path = "/api/complaints/{id}/updates/", tag = "Complaints", params(("id" = Uuid, Path)),
    request_body = NoteInput,
    responses((status = 201, body = UpdateView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn add_note(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<NoteInput>,
) -> AppResult<Response> {
    let saved = service::add_note(&state, &actor, id, input).await?;
    Ok((StatusCode::CREATED, Json(UpdateView::from(saved))).into_response())
}

/// The PX Actions created from this complaint.
#[utoipa::path(get, path = "/api/complaints/{id}/actions/", tag = "Complaints", params(("id" = Uuid, Path)),
    responses((status = 200, body = [ActionView]), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn complaint_actions(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<Json<Vec<ActionView>>> {
    let c = service::visible(&state, &actor, id).await?;
    let found = actions::for_complaint(&state.db, c.id).await?;
    Ok(Json(found.into_iter().filter(|a| actions::sees(&actor, a)).map(Into::into).collect()))
}

/// Creates a PX Action from this complaint (handlers); both keep the link.
#[utoipa::path(post, path = "/api/complaints/{id}/create_action/", tag = "Complaints", params(("id" = Uuid, Path)),
    responses((status = 201, body = ActionView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create_action(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    let saved = actions::create_from_complaint(&state, &actor, id).await?;
    Ok((StatusCode::CREATED, Json(ActionView::from(saved))).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkInput {
    /// The complaints (at most 200).
    pub ids: Option<Vec<Uuid>>,
    /// `assign` (with `user_id`) or `close` (resolved complaints; `resolution` optional when
    /// they already have one).
    pub operation: Option<String>,
    pub user_id: Option<Uuid>,
    pub resolution: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkRow {
    pub id: Uuid,
    pub ok: bool,
    /// Why this row was refused (the same error one by one would give).
    pub error: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResult {
    pub done: usize,
    pub refused: usize,
    pub results: Vec<BulkRow>,
}

/// Runs one operation over many complaints, each by the same rules (and in its own transaction)
/// as one by one; the result says which were refused and why.
pub async fn bulk_run(state: &AppState, actor: &crate::auth::Actor, input: BulkInput) -> AppResult<BulkResult> {
    actor.require(state, Permission::HandleComplaints).await?;
    let mut errors = crate::error::FieldErrors::new();
    let ids = input.ids.unwrap_or_default();
    if ids.is_empty() {
        errors.add("ids", "Choose at least one complaint.");
    } else if ids.len() > 200 {
        errors.add("ids", "Choose at most 200 complaints at a time.");
    }
    let operation = input.operation.as_deref().map(str::trim).unwrap_or_default().to_owned();
    match operation.as_str() {
        "assign" if input.user_id.is_none() => errors.add("user_id", "This field is required."),
        "assign" | "close" => {}
        "" => errors.add("operation", "This field is required."),
        other => errors.add("operation", format!("\"{other}\" is not a valid choice.")),
    }
    errors.into_result()?;
    let mut results = Vec::with_capacity(ids.len());
    for id in ids {
        let outcome = match operation.as_str() {
            "assign" => {
                service::assign(state, actor, id, AssignInput { user_id: input.user_id, note: None }).await.map(|_| ())
            }
            _ => service::transition(
                state,
                actor,
                id,
                TransitionInput {
                    status: Some("closed".into()),
                    resolution: input.resolution.clone(),
                    ..Default::default()
                },
            )
            .await
            .map(|_| ()),
        };
        results.push(match outcome {
            Ok(()) => BulkRow { id, ok: true, error: None },
            Err(AppError::Unexpected(e)) => return Err(AppError::Unexpected(e)),
            Err(e) => BulkRow { id, ok: false, error: Some(e.body()) },
        });
    }
    let done = results.iter().filter(|r| r.ok).count();
    Ok(BulkResult { done, refused: results.len() - done, results })
}

/// Bulk assign or close.
#[utoipa::path(post, path = "/api/complaints/bulk/", tag = "Complaints", request_body = BulkInput,
    responses((status = 200, body = BulkResult), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn bulk(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<BulkInput>,
) -> AppResult<Json<BulkResult>> {
    Ok(Json(bulk_run(&state, &actor, input).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyWork {
    /// Complaints assigned to the user that are not closed or cancelled, soonest due first.
    pub complaints: Vec<ComplaintView>,
    /// Actions assigned to the user that are not closed or cancelled, soonest due first.
    pub actions: Vec<ActionView>,
}

/// What is assigned to the signed-in user, soonest due first.
#[utoipa::path(get, path = "/api/complaints/my-work/", tag = "Complaints",
    responses((status = 200, body = MyWork), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn my_work(State(state): State<AppState>, ApiActor(actor): ApiActor) -> AppResult<Json<MyWork>> {
    actor.require(&state, Permission::HandleComplaints).await?;
    let (complaints, actions) = my_work_rows(&state, &actor).await?;
    let role = actor.role;
    Ok(Json(MyWork {
        complaints: complaints.into_iter().map(|c| ComplaintView::new(c, role)).collect(),
        actions: actions.into_iter().map(Into::into).collect(),
    }))
}

/// The rows of "My work" (the API and the page).
pub async fn my_work_rows(
    state: &AppState,
    actor: &crate::auth::Actor,
) -> AppResult<(Vec<super::model::complaint::Model>, Vec<super::model::px_action::Model>)> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    let me = actor.user_id.unwrap_or(Uuid::nil());
    let complaints = service::scoped_select(actor)
        .filter(super::model::complaint::Column::AssignedTo.eq(me))
        .filter(super::model::complaint::Column::Status.is_in(["open", "in_progress", "resolved"]))
        .order_by_asc(super::model::complaint::Column::DueAt)
        .limit(500)
        .all(&state.db)
        .await?;
    let actions = actions::scoped_select(actor)
        .filter(super::model::px_action::Column::AssignedTo.eq(me))
        .filter(super::model::px_action::Column::Status.is_in(["open", "in_progress", "pending_approval", "approved"]))
        .order_by_asc(super::model::px_action::Column::DueAt)
        .limit(500)
        .all(&state.db)
        .await?;
    Ok((complaints, actions))
}

// ---- PX Actions ----

/// PX Actions in the actor's scope. Filters: status, hospital_id, department_id, severity,
/// priority, source_type, source_id, overdue, assigned_to (me, none or a user id).
#[utoipa::path(get, path = "/api/actions/", tag = "PX Actions",
    params(ListParams, ("status" = Option<String>, Query), ("hospital_id" = Option<Uuid>, Query),
        ("department_id" = Option<Uuid>, Query), ("severity" = Option<String>, Query), ("priority" = Option<String>, Query),
        ("source_type" = Option<String>, Query), ("source_id" = Option<Uuid>, Query), ("overdue" = Option<bool>, Query),
        ("assigned_to" = Option<String>, Query)),
    responses((status = 200, body = Page<ActionView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn actions_list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    uri: OriginalUri,
) -> AppResult<Json<Page<ActionView>>> {
    let query = ListQuery::from_query(uri.path(), uri.query());
    Ok(Json(actions::list(&state, &actor, &query).await?))
}

/// Creates a PX Action by hand (handlers).
#[utoipa::path(post, path = "/api/actions/", tag = "PX Actions", request_body = ActionInput,
    responses((status = 201, body = ActionView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn actions_create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<ActionInput>,
) -> AppResult<Response> {
    let saved = actions::create(&state, &actor, input).await?;
    Ok((StatusCode::CREATED, Json(ActionView::from(saved))).into_response())
}

/// One PX Action.
#[utoipa::path(get, path = "/api/actions/{id}/", tag = "PX Actions", params(("id" = Uuid, Path)),
    responses((status = 200, body = ActionView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn actions_get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<Json<ActionView>> {
    Ok(Json(actions::visible(&state, &actor, id).await?.into()))
}

/// Changes an action's title, description, department, category, severity or priority (handlers;
/// not once it is closed or cancelled). Severity and priority recompute the due date.
#[utoipa::path(patch, path = "/api/actions/{id}/", tag = "PX Actions", params(("id" = Uuid, Path)),
    request_body = ActionPatch,
    responses((status = 200, body = ActionView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn actions_update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
    ApiJson(patch): ApiJson<ActionPatch>,
) -> AppResult<Json<ActionView>> {
    Ok(Json(actions::update(&state, &actor, id, patch).await?.into()))
}

/// Assigns the action to a handler of its hospital.
#[utoipa::path(post, path = "/api/actions/{id}/assign/", tag = "PX Actions", params(("id" = Uuid, Path)),
    request_body = ActionAssignInput,
    responses((status = 200, body = ActionView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn actions_assign(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<ActionAssignInput>,
) -> AppResult<Json<ActionView>> {
    Ok(Json(actions::assign(&state, &actor, id, input).await?.into()))
}

/// Moves the action (submit for approval, approve, reject, close, cancel).
#[utoipa::path(post, path = "/api/actions/{id}/status/", tag = "PX Actions", params(("id" = Uuid, Path)),
    request_body = ActionTransitionInput,
    responses((status = 200, body = ActionView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn actions_transition(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<ActionTransitionInput>,
) -> AppResult<Json<ActionView>> {
    Ok(Json(actions::transition(&state, &actor, id, input).await?.into()))
}

/// The action's log, oldest first.
#[utoipa::path(get, path = "/api/actions/{id}/logs/", tag = "PX Actions", params(("id" = Uuid, Path)),
    responses((status = 200, body = [LogView]), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn actions_logs(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<Json<Vec<LogView>>> {
    let a = actions::visible(&state, &actor, id).await?;
    Ok(Json(actions::logs(&state.db, a.id).await?.into_iter().map(Into::into).collect()))
}

/// Adds a note to the action's log.
#[utoipa::path(post, path = "/api/actions/{id}/logs/", tag = "PX Actions", params(("id" = Uuid, Path)),
    request_body = ActionNoteInput,
    responses((status = 201, body = LogView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn actions_note(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<ActionNoteInput>,
) -> AppResult<Response> {
    let saved = actions::add_note(&state, &actor, id, input).await?;
    Ok((StatusCode::CREATED, Json(LogView::from(saved))).into_response())
}

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(bulk))
        .routes(routes!(my_work))
        .routes(routes!(get, update))
        .routes(routes!(assign))
        .routes(routes!(assign_staff))
        .routes(routes!(transition))
        .routes(routes!(updates, add_note))
        .routes(routes!(complaint_actions))
        .routes(routes!(create_action))
        .routes(routes!(actions_list, actions_create))
        .routes(routes!(actions_get, actions_update))
        .routes(routes!(actions_assign))
        .routes(routes!(actions_transition))
        .routes(routes!(actions_logs, actions_note))
}
