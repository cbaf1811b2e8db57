//! The ordered stages of a journey template: each completed by an event code, optionally
//! sending a survey after a delay.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::{journey_template, stage_instance, stage_template};
use super::templates::JourneyTemplates;
use crate::app::AppState;
use crate::auth::{Actor, ApiActor};
use crate::crud::Resource;
use crate::domains::audit::service::{Entry, record};
use crate::domains::organizations::rules;
use crate::domains::organizations::service::now;
use crate::domains::surveys::model::survey_template;
use crate::error::{AppError, AppResult, FieldErrors, invalid, not_found};
use crate::http::openapi::ErrorBody;
use crate::http::validate::{optional, required};
use crate::http::{ApiJson, IdPath};

pub const MAX_DELAY_MINUTES: i32 = 10080;

#[derive(Debug, Default, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageInput {
    /// Letters, digits and - _ / .
    pub code: Option<String>,
    pub name_en: Option<String>,
    pub name_ar: Option<String>,
    /// The event code completing this stage; stored uppercase, unique within the template.
    pub trigger_event_code: Option<String>,
    /// A survey template of the same hospital, sent when the stage completes.
    pub survey_template_id: Option<Uuid>,
    /// 0 to 10080 (a week); default 0.
    pub send_delay_minutes: Option<i32>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StageView {
    pub id: Uuid,
    pub journey_template_id: Uuid,
    pub position: i32,
    pub code: String,
    pub name_en: String,
    pub name_ar: String,
    pub trigger_event_code: String,
    pub survey_template_id: Option<Uuid>,
    pub send_delay_minutes: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<stage_template::Model> for StageView {
    fn from(m: stage_template::Model) -> Self {
        StageView {
            id: m.id,
            journey_template_id: m.journey_template_id,
            position: m.position,
            code: m.code,
            name_en: m.name_en,
            name_ar: m.name_ar,
            trigger_event_code: m.trigger_event_code,
            survey_template_id: m.survey_template_id,
            send_delay_minutes: m.send_delay_minutes,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReorderInput {
    /// Every stage id of the template, in the new order.
    pub order: Vec<Uuid>,
}

/// The template (in scope, else 404) after checking `permission`.
async fn template(state: &AppState, actor: &Actor, id: Uuid, manage: bool) -> AppResult<journey_template::Model> {
    let permission = if manage { JourneyTemplates::MANAGE } else { JourneyTemplates::VIEW };
    actor.require(state, permission).await?;
    super::templates::find(state, actor, id).await
}

/// The stages of a template, in order.
pub async fn stages_of(db: &impl ConnectionTrait, template_id: Uuid) -> AppResult<Vec<stage_template::Model>> {
    Ok(stage_template::Entity::find()
        .filter(stage_template::Column::JourneyTemplateId.eq(template_id))
        .order_by_asc(stage_template::Column::Position)
        .order_by_asc(stage_template::Column::CreatedAt)
        .all(db)
        .await?)
}

pub async fn list(state: &AppState, actor: &Actor, template_id: Uuid) -> AppResult<Vec<StageView>> {
    let t = template(state, actor, template_id, false).await?;
    Ok(stages_of(&state.db, t.id).await?.into_iter().map(Into::into).collect())
}

async fn find_stage(db: &impl ConnectionTrait, template_id: Uuid, stage_id: Uuid) -> AppResult<stage_template::Model> {
    stage_template::Entity::find_by_id(stage_id)
        .filter(stage_template::Column::JourneyTemplateId.eq(template_id))
        .one(db)
        .await?
        .ok_or(not_found("stage"))
}

fn input_of(m: &stage_template::Model) -> StageInput {
    StageInput {
        code: Some(m.code.clone()),
        name_en: Some(m.name_en.clone()),
        name_ar: Some(m.name_ar.clone()),
        trigger_event_code: Some(m.trigger_event_code.clone()),
        survey_template_id: m.survey_template_id,
        send_delay_minutes: Some(m.send_delay_minutes),
    }
}

async fn save(
    state: &AppState,
    actor: &Actor,
    t: &journey_template::Model,
    input: StageInput,
    existing: Option<stage_template::Model>,
) -> AppResult<StageView> {
    let mut errors = FieldErrors::new();
    let code = rules::code(&mut errors, "code", input.code.as_deref(), 50);
    let name_en = required(&mut errors, "name_en", input.name_en.as_deref(), 200);
    let name_ar = optional(&mut errors, "name_ar", input.name_ar.as_deref(), 200);
    let trigger =
        rules::code(&mut errors, "trigger_event_code", input.trigger_event_code.as_deref(), 100).to_uppercase();
    let delay = input.send_delay_minutes.unwrap_or(0);
    if !(0..=MAX_DELAY_MINUTES).contains(&delay) {
        errors.add("send_delay_minutes", format!("Must be between 0 and {MAX_DELAY_MINUTES}."));
    }
    if let Some(sid) = input.survey_template_id {
        let found = survey_template::Entity::find_by_id(sid)
            .filter(survey_template::Column::HospitalId.eq(t.hospital_id))
            .filter(survey_template::Column::DeletedAt.is_null())
            .one(&state.db)
            .await?;
        if found.is_none() {
            errors.add("survey_template_id", "No such survey template in this hospital.");
        }
    }
    let id = existing.as_ref().map(|e| e.id);
    if !trigger.is_empty() {
        let mut same = stage_template::Entity::find()
            .filter(stage_template::Column::JourneyTemplateId.eq(t.id))
            .filter(stage_template::Column::TriggerEventCode.eq(trigger.clone()));
        if let Some(id) = id {
            same = same.filter(stage_template::Column::Id.ne(id));
        }
        if same.count(&state.db).await? > 0 {
            errors.add("trigger_event_code", "Another stage of this template already uses this trigger_event_code.");
        }
    }
    errors.into_result()?;

    let at = now();
    let txn = state.db.begin().await?;
    let mut row = stage_template::ActiveModel {
        code: Set(code),
        name_en: Set(name_en),
        name_ar: Set(name_ar),
        trigger_event_code: Set(trigger),
        survey_template_id: Set(input.survey_template_id),
        send_delay_minutes: Set(delay),
        updated_at: Set(at),
        ..Default::default()
    };
    let (saved, action) = match existing {
        Some(e) => {
            row.id = sea_orm::Unchanged(e.id);
            (row.update(&txn).await?, "update")
        }
        None => {
            let last = stage_template::Entity::find()
                .filter(stage_template::Column::JourneyTemplateId.eq(t.id))
                .order_by_desc(stage_template::Column::Position)
                .one(&txn)
                .await?
                .map(|s| s.position)
                .unwrap_or(0);
            row.id = Set(Uuid::now_v7());
            row.journey_template_id = Set(t.id);
            row.position = Set(last + 1);
            row.created_at = Set(at);
            (row.insert(&txn).await?, "create")
        }
    };
    record(&txn, actor, Entry::new(action, "stage_template", saved.id).hospital(Some(t.hospital_id))).await?;
    txn.commit().await?;
    Ok(saved.into())
}

pub async fn create(
    state: &AppState,
    actor: &Actor,
    template_id: Uuid,
    body: serde_json::Value,
) -> AppResult<StageView> {
    let t = template(state, actor, template_id, true).await?;
    save(state, actor, &t, crate::crud::parse_input(body)?, None).await
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    template_id: Uuid,
    stage_id: Uuid,
    body: serde_json::Value,
) -> AppResult<StageView> {
    let t = template(state, actor, template_id, true).await?;
    let existing = find_stage(&state.db, t.id, stage_id).await?;
    let base = serde_json::to_value(input_of(&existing)).map_err(anyhow::Error::from)?;
    let input = crate::crud::parse_input(crate::crud::merge(base, body))?;
    save(state, actor, &t, input, Some(existing)).await
}

pub async fn delete(state: &AppState, actor: &Actor, template_id: Uuid, stage_id: Uuid) -> AppResult<()> {
    let t = template(state, actor, template_id, true).await?;
    let existing = find_stage(&state.db, t.id, stage_id).await?;
    let txn = state.db.begin().await?;
    let used = stage_instance::Entity::find()
        .filter(stage_instance::Column::StageTemplateId.eq(existing.id))
        .count(&txn)
        .await?;
    if used > 0 {
        return Err(AppError::Conflict(
            "stage_in_use",
            format!("This stage has {used} stage instance(s) in patient journeys and cannot be deleted."),
        ));
    }
    stage_template::Entity::delete_by_id(existing.id).exec(&txn).await?;
    record(&txn, actor, Entry::new("delete", "stage_template", existing.id).hospital(Some(t.hospital_id))).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn reorder(
    state: &AppState,
    actor: &Actor,
    template_id: Uuid,
    order: Vec<Uuid>,
) -> AppResult<Vec<StageView>> {
    let t = template(state, actor, template_id, true).await?;
    let txn = state.db.begin().await?;
    let stages = stages_of(&txn, t.id).await?;
    let mut given = order.clone();
    given.sort();
    given.dedup();
    let mut have: Vec<Uuid> = stages.iter().map(|s| s.id).collect();
    have.sort();
    if given.len() != order.len() || given != have {
        return Err(invalid("order", "List every stage id of this template exactly once."));
    }
    let at = now();
    for (i, id) in order.iter().enumerate() {
        stage_template::ActiveModel {
            id: sea_orm::Unchanged(*id),
            position: Set(i32::try_from(i).unwrap_or(i32::MAX - 1) + 1),
            updated_at: Set(at),
            ..Default::default()
        }
        .update(&txn)
        .await?;
    }
    record(&txn, actor, Entry::new("reorder", "journey_template", t.id).hospital(Some(t.hospital_id))).await?;
    let out = stages_of(&txn, t.id).await?.into_iter().map(Into::into).collect();
    txn.commit().await?;
    Ok(out)
}

/// Moves a stage one place up (`-1`) or down (`1`).
pub async fn shift(state: &AppState, actor: &Actor, template_id: Uuid, stage_id: Uuid, by: i32) -> AppResult<()> {
    let stages = list(state, actor, template_id).await?;
    let mut order: Vec<Uuid> = stages.iter().map(|s| s.id).collect();
    let Some(i) = order.iter().position(|id| *id == stage_id) else { return Err(not_found("stage")) };
    let j = i as i64 + i64::from(by);
    if j < 0 || j >= order.len() as i64 {
        return Ok(());
    }
    order.swap(i, j as usize);
    reorder(state, actor, template_id, order).await?;
    Ok(())
}

fn two_ids(path: Result<Path<(Uuid, Uuid)>, PathRejection>) -> AppResult<(Uuid, Uuid)> {
    path.map(|Path(ids)| ids).map_err(|_| not_found("stage"))
}

/// The stages of a journey template, in order.
#[utoipa::path(get, path = "/api/journeys/templates/{id}/stages/", tag = "Journeys", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<StageView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<Json<Vec<StageView>>> {
    Ok(Json(list(&state, &actor, id).await?))
}

/// Adds a stage at the end of the template.
#[utoipa::path(post, path = "/api/journeys/templates/{id}/stages/", tag = "Journeys", params(("id" = Uuid, Path)),
    request_body = StageInput,
    responses((status = 201, body = StageView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn api_create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> AppResult<(StatusCode, Json<StageView>)> {
    Ok((StatusCode::CREATED, Json(create(&state, &actor, id, body).await?)))
}

/// Partial update of a stage.
#[utoipa::path(patch, path = "/api/journeys/templates/{id}/stages/{stage_id}/", tag = "Journeys",
    params(("id" = Uuid, Path), ("stage_id" = Uuid, Path)), request_body = StageInput,
    responses((status = 200, body = StageView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn api_update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    path: Result<Path<(Uuid, Uuid)>, PathRejection>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> AppResult<Json<StageView>> {
    let (id, stage_id) = two_ids(path)?;
    Ok(Json(update(&state, &actor, id, stage_id, body).await?))
}

/// Deletes a stage no journey has used yet (409 otherwise).
#[utoipa::path(delete, path = "/api/journeys/templates/{id}/stages/{stage_id}/", tag = "Journeys",
    params(("id" = Uuid, Path), ("stage_id" = Uuid, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn api_delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    path: Result<Path<(Uuid, Uuid)>, PathRejection>,
) -> AppResult<StatusCode> {
    let (id, stage_id) = two_ids(path)?;
    delete(&state, &actor, id, stage_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets the order of the stages: `{"order": [every stage id]}`.
#[utoipa::path(post, path = "/api/journeys/templates/{id}/stages/reorder/", tag = "Journeys", params(("id" = Uuid, Path)),
    request_body = ReorderInput,
    responses((status = 200, body = Vec<StageView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn api_reorder(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> AppResult<Json<Vec<StageView>>> {
    template(&state, &actor, id, true).await?;
    let body: ReorderInput = crate::crud::parse_input(body)?;
    Ok(Json(reorder(&state, &actor, id, body.order).await?))
}
