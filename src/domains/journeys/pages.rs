//! Journey pages: a template's stages (add, reorder, delete, preview), a journey's timeline and
//! a patient's journeys.

use askama::Template;
use axum::extract::rejection::PathRejection;
use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use uuid::Uuid;

use super::model::{journey_instance, journey_template};
use super::{instances, stages};
use crate::app::AppState;
use crate::auth::{CsrfForm, PageActor};
use crate::crud::Resource;
use crate::domains::organizations::patients::Patients;
use crate::domains::surveys::model::survey_template;
use crate::error::{AppError, not_found};
use crate::i18n::{Lang, riyadh_time};
use crate::web::{Chrome, PageResult, render};

fn opt_local(at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    at.map(riyadh_time).unwrap_or_default()
}

fn badge(status: &str) -> &'static str {
    match status {
        "completed" => "success",
        "active" | "in_progress" | "sent" | "viewed" | "scheduled" => "primary",
        "cancelled" | "expired" | "abandoned" => "danger",
        _ => "secondary",
    }
}

pub struct StageRow {
    pub id: String,
    pub position: i32,
    pub code: String,
    pub name: String,
    pub trigger: String,
    pub survey: String,
    pub delay: i32,
    pub first: bool,
    pub last: bool,
}

pub struct Choice {
    pub value: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "journeys/stages.html")]
struct StagesPage {
    chrome: Chrome,
    template_id: String,
    template_name: String,
    rows: Vec<StageRow>,
    surveys: Vec<Choice>,
    errors: Vec<String>,
    can_edit: bool,
}

async fn stages_page(
    state: &AppState,
    page: &PageActor,
    uri: &OriginalUri,
    id: Uuid,
    errors: Vec<String>,
    status: StatusCode,
) -> PageResult {
    let mut chrome = Chrome::new(state, page, uri.path(), "nav-templates").await?;
    let lang = chrome.lang;
    let list = stages::list(state, &page.actor, id).await?;
    let t: journey_template::Model = super::templates::find(state, &page.actor, id).await?;
    let survey_rows = survey_template::Entity::find()
        .filter(survey_template::Column::HospitalId.eq(t.hospital_id))
        .filter(survey_template::Column::DeletedAt.is_null())
        .order_by_asc(survey_template::Column::Code)
        .all(&state.db)
        .await?;
    let survey_name = |sid: Option<Uuid>| {
        sid.and_then(|sid| survey_rows.iter().find(|s| s.id == sid))
            .map(|s| lang.pick(&s.name_en, &s.name_ar).to_owned())
            .unwrap_or_default()
    };
    let n = list.len();
    let rows = list
        .iter()
        .enumerate()
        .map(|(i, s)| StageRow {
            id: s.id.to_string(),
            position: s.position,
            code: s.code.clone(),
            name: lang.pick(&s.name_en, &s.name_ar).to_owned(),
            trigger: s.trigger_event_code.clone(),
            survey: survey_name(s.survey_template_id),
            delay: s.send_delay_minutes,
            first: i == 0,
            last: i + 1 == n,
        })
        .collect();
    let surveys = survey_rows
        .iter()
        .map(|s| Choice { value: s.id.to_string(), label: lang.pick(&s.name_en, &s.name_ar).to_owned() })
        .collect();
    let template_name = lang.pick(&t.name_en, &t.name_ar).to_owned();
    chrome.title = format!("{} · {}", lang.t("journeys-stages-title"), template_name);
    let can_edit = page.actor.role.may(super::templates::JourneyTemplates::MANAGE);
    render(status, &StagesPage { chrome, template_id: id.to_string(), template_name, rows, surveys, errors, can_edit })
}

fn id_of(path: Result<Path<Uuid>, PathRejection>) -> Result<Uuid, AppError> {
    path.map(|Path(id)| id).map_err(|_| not_found("page"))
}

fn two_ids(path: Result<Path<(Uuid, Uuid)>, PathRejection>) -> Result<(Uuid, Uuid), AppError> {
    path.map(|Path(ids)| ids).map_err(|_| not_found("page"))
}

pub async fn stages_get(
    State(state): State<AppState>,
    page: PageActor,
    uri: OriginalUri,
    path: Result<Path<Uuid>, PathRejection>,
) -> PageResult {
    stages_page(&state, &page, &uri, id_of(path)?, Vec::new(), StatusCode::OK).await
}

/// Adds a stage from the page's form.
pub async fn stages_add(
    State(state): State<AppState>,
    page: PageActor,
    uri: OriginalUri,
    path: Result<Path<Uuid>, PathRejection>,
    form: CsrfForm,
) -> PageResult {
    let id = id_of(path)?;
    let text = |k: &str| {
        let v = form.get(k);
        if v.trim().is_empty() { None } else { Some(v) }
    };
    let delay = text("send_delay_minutes").map(|v| v.trim().parse::<i64>().unwrap_or(-1));
    let body = json!({
        "code": form.get("code"),
        "name_en": form.get("name_en"),
        "name_ar": form.get("name_ar"),
        "trigger_event_code": form.get("trigger_event_code"),
        "survey_template_id": text("survey_template_id"),
        "send_delay_minutes": delay,
    });
    match stages::create(&state, &page.actor, id, body).await {
        Ok(_) => Ok(Redirect::to(&format!("/journeys/templates/{id}/stages/")).into_response()),
        Err(AppError::Validation(errors)) => {
            let list = errors.0.iter().map(|(k, m)| format!("{k}: {}", m.join(" "))).collect();
            stages_page(&state, &page, &uri, id, list, StatusCode::BAD_REQUEST).await
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn stage_up(
    State(state): State<AppState>,
    page: PageActor,
    path: Result<Path<(Uuid, Uuid)>, PathRejection>,
    _form: CsrfForm,
) -> PageResult {
    let (id, stage) = two_ids(path)?;
    stages::shift(&state, &page.actor, id, stage, -1).await?;
    Ok(Redirect::to(&format!("/journeys/templates/{id}/stages/")).into_response())
}

pub async fn stage_down(
    State(state): State<AppState>,
    page: PageActor,
    path: Result<Path<(Uuid, Uuid)>, PathRejection>,
    _form: CsrfForm,
) -> PageResult {
    let (id, stage) = two_ids(path)?;
    stages::shift(&state, &page.actor, id, stage, 1).await?;
    Ok(Redirect::to(&format!("/journeys/templates/{id}/stages/")).into_response())
}

pub async fn stage_delete(
    State(state): State<AppState>,
    page: PageActor,
    uri: OriginalUri,
    path: Result<Path<(Uuid, Uuid)>, PathRejection>,
    _form: CsrfForm,
) -> PageResult {
    let (id, stage) = two_ids(path)?;
    match stages::delete(&state, &page.actor, id, stage).await {
        Ok(()) => Ok(Redirect::to(&format!("/journeys/templates/{id}/stages/")).into_response()),
        Err(AppError::Conflict(_, msg)) => stages_page(&state, &page, &uri, id, vec![msg], StatusCode::CONFLICT).await,
        Err(other) => Err(other.into()),
    }
}

pub struct TimelineStage {
    pub name: String,
    pub code: String,
    pub status: String,
    pub status_label: String,
    pub badge: &'static str,
    pub completed_at: String,
    pub event_id: String,
    pub event_code: String,
    pub physician: String,
    pub department: String,
}

pub struct TimelineSurvey {
    pub name: String,
    pub status_label: String,
    pub badge: &'static str,
    pub scheduled_for: String,
}

#[derive(Template)]
#[template(path = "journeys/timeline.html")]
struct TimelinePage {
    chrome: Chrome,
    patient_id: String,
    template_name: String,
    encounter: String,
    status_label: String,
    status_badge: &'static str,
    started: String,
    completed: String,
    stages: Vec<TimelineStage>,
    surveys: Vec<TimelineSurvey>,
}

pub async fn timeline(
    State(state): State<AppState>,
    page: PageActor,
    uri: OriginalUri,
    path: Result<Path<Uuid>, PathRejection>,
) -> PageResult {
    let id = id_of(path)?;
    let mut chrome = Chrome::new(&state, &page, uri.path(), "journeys-instance-title").await?;
    let lang = chrome.lang;
    let j = instances::get(&state, &page.actor, id).await?;
    let pick = |en: &Option<String>, ar: &Option<String>| {
        lang.pick(en.as_deref().unwrap_or_default(), ar.as_deref().unwrap_or_default()).to_owned()
    };
    let stages = j
        .stages
        .iter()
        .map(|s| TimelineStage {
            name: lang.pick(&s.name_en, &s.name_ar).to_owned(),
            code: s.code.clone(),
            status: s.status.clone(),
            status_label: lang.t(&format!("stage-status-{}", s.status)),
            badge: badge(&s.status),
            completed_at: opt_local(s.completed_at),
            event_id: s.completed_by_event_id.map(|e| e.to_string()).unwrap_or_default(),
            event_code: s.completed_by_event_code.clone().unwrap_or_default(),
            physician: pick(&s.physician_name_en, &s.physician_name_ar),
            department: pick(&s.department_name_en, &s.department_name_ar),
        })
        .collect();
    let surveys = j
        .surveys
        .iter()
        .map(|s| TimelineSurvey {
            name: lang.pick(&s.survey_name_en, &s.survey_name_ar).to_owned(),
            status_label: lang.t(&format!("survey-status-{}", s.status)),
            badge: badge(&s.status),
            scheduled_for: riyadh_time(s.scheduled_for),
        })
        .collect();
    chrome.title = format!("{} · {}", lang.t("journeys-instance-title"), j.instance.encounter_id);
    render(
        StatusCode::OK,
        &TimelinePage {
            chrome,
            patient_id: j.instance.patient_id.to_string(),
            template_name: lang.pick(&j.template_name_en, &j.template_name_ar).to_owned(),
            encounter: j.instance.encounter_id.clone(),
            status_label: lang.t(&format!("journey-status-{}", j.instance.status)),
            status_badge: badge(&j.instance.status),
            started: riyadh_time(j.instance.started_at),
            completed: opt_local(j.instance.completed_at),
            stages,
            surveys,
        },
    )
}

pub struct PatientJourney {
    pub id: String,
    pub template: String,
    pub encounter: String,
    pub status_label: String,
    pub badge: &'static str,
    pub started: String,
    pub completed: String,
}

#[derive(Template)]
#[template(path = "journeys/patient.html")]
struct PatientJourneysPage {
    chrome: Chrome,
    patient_id: String,
    patient_title: String,
    rows: Vec<PatientJourney>,
}

pub async fn patient_journeys(
    State(state): State<AppState>,
    page: PageActor,
    uri: OriginalUri,
    path: Result<Path<Uuid>, PathRejection>,
) -> PageResult {
    let id = id_of(path)?;
    let chrome = Chrome::new(&state, &page, uri.path(), "journeys-patient-journeys").await?;
    let lang: Lang = chrome.lang;
    let patient = Patients::get(&state, &page.actor, id).await?;
    let journeys = page
        .actor
        .scoped(journey_instance::Entity::find(), journey_instance::Column::HospitalId)
        .filter(journey_instance::Column::PatientId.eq(id))
        .order_by_desc(journey_instance::Column::StartedAt)
        .all(&state.db)
        .await?;
    let tpl_ids: Vec<Uuid> = journeys.iter().map(|j| j.journey_template_id).collect();
    let tpls =
        journey_template::Entity::find().filter(journey_template::Column::Id.is_in(tpl_ids)).all(&state.db).await?;
    let rows = journeys
        .into_iter()
        .map(|j| PatientJourney {
            id: j.id.to_string(),
            template: tpls
                .iter()
                .find(|t| t.id == j.journey_template_id)
                .map(|t| lang.pick(&t.name_en, &t.name_ar).to_owned())
                .unwrap_or_default(),
            encounter: j.encounter_id,
            status_label: lang.t(&format!("journey-status-{}", j.status)),
            badge: badge(&j.status),
            started: riyadh_time(j.started_at),
            completed: opt_local(j.completed_at),
        })
        .collect();
    render(
        StatusCode::OK,
        &PatientJourneysPage {
            chrome,
            patient_id: id.to_string(),
            patient_title: Patients::title_of(&patient, lang),
            rows,
        },
    )
}
