//! Journey instances as read by people: the list (per patient, status, encounter) and one
//! journey with its stages and the surveys it triggered.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{OriginalUri, State};
use sea_orm::{ColumnTrait, EntityTrait, Order, QueryFilter, QueryOrder};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::{journey_instance, journey_template, stage_instance, stage_template};
use crate::app::AppState;
use crate::auth::{Actor, ApiActor, Permission};
use crate::crud::ListQuery;
use crate::domains::integrations::model::inbound_event;
use crate::domains::organizations::model::{department, staff};
use crate::domains::surveys::model::{survey_instance, survey_template};
use crate::error::{AppResult, not_found};
use crate::http::openapi::ErrorBody;
use crate::http::{IdPath, ListParams, Page, pagination};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InstanceView {
    pub id: Uuid,
    pub hospital_id: Uuid,
    pub journey_template_id: Uuid,
    pub patient_id: Uuid,
    pub encounter_id: String,
    /// `active`, `completed` or `cancelled`.
    pub status: String,
    pub physician_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub completed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<journey_instance::Model> for InstanceView {
    fn from(m: journey_instance::Model) -> Self {
        InstanceView {
            id: m.id,
            hospital_id: m.hospital_id,
            journey_template_id: m.journey_template_id,
            patient_id: m.patient_id,
            encounter_id: m.encounter_id,
            status: m.status,
            physician_id: m.physician_id,
            department_id: m.department_id,
            started_at: m.started_at,
            completed_at: m.completed_at,
            created_at: m.created_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StageInstanceView {
    pub id: Uuid,
    pub stage_template_id: Uuid,
    pub position: i32,
    pub code: String,
    pub name_en: String,
    pub name_ar: String,
    pub trigger_event_code: String,
    /// `pending`, `in_progress`, `completed`, `skipped` or `cancelled`.
    pub status: String,
    pub completed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub completed_by_event_id: Option<Uuid>,
    /// The event code of `completed_by_event_id`.
    pub completed_by_event_code: Option<String>,
    pub physician_id: Option<Uuid>,
    pub physician_name_en: Option<String>,
    pub physician_name_ar: Option<String>,
    pub department_id: Option<Uuid>,
    pub department_name_en: Option<String>,
    pub department_name_ar: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SurveyView {
    pub id: Uuid,
    pub survey_template_id: Uuid,
    pub survey_name_en: String,
    pub survey_name_ar: String,
    pub stage_instance_id: Option<Uuid>,
    pub status: String,
    pub scheduled_for: chrono::DateTime<chrono::Utc>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// One journey with its stages in order and its surveys.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InstanceDetail {
    #[serde(flatten)]
    pub instance: InstanceView,
    pub template_name_en: String,
    pub template_name_ar: String,
    pub stages: Vec<StageInstanceView>,
    pub surveys: Vec<SurveyView>,
}

pub async fn list(state: &AppState, actor: &Actor, query: &ListQuery) -> AppResult<Page<InstanceView>> {
    actor.require(state, Permission::ViewPatients).await?;
    use journey_instance::Column as C;
    let mut select = actor.scoped(journey_instance::Entity::find(), C::HospitalId);
    if let Some(p) = query.uuid_filter("patient_id")? {
        select = select.filter(C::PatientId.eq(p));
    }
    if let Some(s) = query.filter("status") {
        select = select.filter(C::Status.eq(s));
    }
    if let Some(e) = query.filter("encounter_id") {
        select = select.filter(C::EncounterId.eq(e));
    }
    let allowed = [("started_at", C::StartedAt), ("status", C::Status), ("encounter_id", C::EncounterId)];
    select = pagination::order(select, &query.params, &allowed, (C::StartedAt, Order::Desc))?;
    Ok(pagination::fetch(&state.db, select, &query.params, &query.path).await?.map(Into::into))
}

fn names(s: &staff::Model) -> (String, String) {
    let en = format!("{} {}", s.first_name_en, s.last_name_en).trim().to_owned();
    let ar = format!("{} {}", s.first_name_ar, s.last_name_ar).trim().to_owned();
    (en, ar)
}

pub async fn get(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<InstanceDetail> {
    actor.require(state, Permission::ViewPatients).await?;
    let select = journey_instance::Entity::find_by_id(id);
    let j =
        actor.scoped(select, journey_instance::Column::HospitalId).one(&state.db).await?.ok_or(not_found("journey"))?;
    let template = journey_template::Entity::find_by_id(j.journey_template_id).one(&state.db).await?;
    let stages = stage_instance::Entity::find()
        .filter(stage_instance::Column::JourneyInstanceId.eq(j.id))
        .order_by_asc(stage_instance::Column::Position)
        .all(&state.db)
        .await?;
    let tpl_ids: Vec<Uuid> = stages.iter().map(|s| s.stage_template_id).collect();
    let tpls: HashMap<Uuid, stage_template::Model> = stage_template::Entity::find()
        .filter(stage_template::Column::Id.is_in(tpl_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let staff_ids: Vec<Uuid> = stages.iter().filter_map(|s| s.physician_id).collect();
    let people: HashMap<Uuid, staff::Model> = if staff_ids.is_empty() {
        HashMap::new()
    } else {
        staff::Entity::find()
            .filter(staff::Column::Id.is_in(staff_ids))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect()
    };
    let dept_ids: Vec<Uuid> = stages.iter().filter_map(|s| s.department_id).collect();
    let depts: HashMap<Uuid, department::Model> = if dept_ids.is_empty() {
        HashMap::new()
    } else {
        department::Entity::find()
            .filter(department::Column::Id.is_in(dept_ids))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|d| (d.id, d))
            .collect()
    };
    let event_ids: Vec<Uuid> = stages.iter().filter_map(|s| s.completed_by_event_id).collect();
    let events: HashMap<Uuid, String> = if event_ids.is_empty() {
        HashMap::new()
    } else {
        inbound_event::Entity::find()
            .filter(inbound_event::Column::Id.is_in(event_ids))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|e| (e.id, e.event_code))
            .collect()
    };
    let stages = stages
        .into_iter()
        .map(|s| {
            let t = tpls.get(&s.stage_template_id);
            let physician = s.physician_id.and_then(|p| people.get(&p)).map(names);
            let dept = s.department_id.and_then(|d| depts.get(&d));
            StageInstanceView {
                id: s.id,
                stage_template_id: s.stage_template_id,
                position: s.position,
                code: t.map(|t| t.code.clone()).unwrap_or_default(),
                name_en: t.map(|t| t.name_en.clone()).unwrap_or_default(),
                name_ar: t.map(|t| t.name_ar.clone()).unwrap_or_default(),
                trigger_event_code: t.map(|t| t.trigger_event_code.clone()).unwrap_or_default(),
                status: s.status,
                completed_at: s.completed_at,
                completed_by_event_id: s.completed_by_event_id,
                completed_by_event_code: s.completed_by_event_id.and_then(|e| events.get(&e).cloned()),
                physician_id: s.physician_id,
                physician_name_en: physician.as_ref().map(|p| p.0.clone()),
                physician_name_ar: physician.map(|p| p.1),
                department_id: s.department_id,
                department_name_en: dept.map(|d| d.name_en.clone()),
                department_name_ar: dept.map(|d| d.name_ar.clone()),
            }
        })
        .collect();
    let surveys = survey_instance::Entity::find()
        .filter(survey_instance::Column::JourneyInstanceId.eq(j.id))
        .order_by_asc(survey_instance::Column::CreatedAt)
        .all(&state.db)
        .await?;
    let survey_tpls: HashMap<Uuid, survey_template::Model> = if surveys.is_empty() {
        HashMap::new()
    } else {
        survey_template::Entity::find()
            .filter(survey_template::Column::Id.is_in(surveys.iter().map(|s| s.survey_template_id).collect::<Vec<_>>()))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|t| (t.id, t))
            .collect()
    };
    let surveys = surveys
        .into_iter()
        .map(|s| {
            let t = survey_tpls.get(&s.survey_template_id);
            SurveyView {
                id: s.id,
                survey_template_id: s.survey_template_id,
                survey_name_en: t.map(|t| t.name_en.clone()).unwrap_or_default(),
                survey_name_ar: t.map(|t| t.name_ar.clone()).unwrap_or_default(),
                stage_instance_id: s.stage_instance_id,
                status: s.status,
                scheduled_for: s.scheduled_for,
                created_at: s.created_at,
            }
        })
        .collect();
    Ok(InstanceDetail {
        template_name_en: template.as_ref().map(|t| t.name_en.clone()).unwrap_or_default(),
        template_name_ar: template.map(|t| t.name_ar).unwrap_or_default(),
        instance: j.into(),
        stages,
        surveys,
    })
}

/// Patient journeys, newest first. Filters: patient_id, status, encounter_id.
#[utoipa::path(get, path = "/api/journeys/instances/", tag = "Journeys",
    params(ListParams, ("patient_id" = Option<Uuid>, Query), ("status" = Option<String>, Query),
        ("encounter_id" = Option<String>, Query)),
    responses((status = 200, body = Page<InstanceView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn api_list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    uri: OriginalUri,
) -> AppResult<Json<Page<InstanceView>>> {
    let query = ListQuery::from_query(uri.path(), uri.query());
    Ok(Json(list(&state, &actor, &query).await?))
}

/// One journey with its stages (in order) and the surveys it triggered.
#[utoipa::path(get, path = "/api/journeys/instances/{id}/", tag = "Journeys", params(("id" = Uuid, Path)),
    responses((status = 200, body = InstanceDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<Json<InstanceDetail>> {
    Ok(Json(get(&state, &actor, id).await?))
}
