//! The HIS feed's pages and log API: the request log (PX and hospital admins, newest first, the
//! redacted errors per record) and the hospital's Type map (read by admins, edited by PX admins).

use std::collections::BTreeMap;

use askama::Template;
use axum::Json;
use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, Order, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::his_request_log;
use super::type_map::{self, TypeEntry, TypeEntryInput, TypeMapInput};
use crate::app::AppState;
use crate::auth::{Actor, ApiActor, CsrfForm, PageActor, Permission};
use crate::crud::ListQuery;
use crate::domains::journeys::templates::JOURNEY_TYPES;
use crate::domains::organizations::model::hospital;
use crate::error::{AppError, AppResult};
use crate::http::openapi::ErrorBody;
use crate::http::{ListParams, Page, pagination};
use crate::web::{Chrome, PageResult, render};

#[derive(Debug, Serialize, ToSchema)]
pub struct HisLogView {
    pub id: Uuid,
    pub hospital_id: Option<Uuid>,
    /// `feed` or `simulator`.
    pub origin: String,
    pub received_at: chrono::DateTime<chrono::Utc>,
    pub records_total: i32,
    pub records_accepted: i32,
    pub records_failed: i32,
    pub events_created: i32,
    pub duration_ms: i32,
    /// `[{"index", "accepted", "fields": {field: [message]}}]`: never a value of the record.
    #[schema(value_type = Vec<Object>)]
    pub errors: serde_json::Value,
}

impl From<his_request_log::Model> for HisLogView {
    fn from(m: his_request_log::Model) -> Self {
        HisLogView {
            id: m.id,
            hospital_id: m.hospital_id,
            origin: m.origin,
            received_at: m.received_at,
            records_total: m.records_total,
            records_accepted: m.records_accepted,
            records_failed: m.records_failed,
            events_created: m.events_created,
            duration_ms: m.duration_ms,
            errors: m.errors,
        }
    }
}

/// The log newest first; `?failed=true` keeps requests with a failed record.
pub async fn list(state: &AppState, actor: &Actor, query: &ListQuery) -> AppResult<Page<HisLogView>> {
    actor.require(state, Permission::ViewEvents).await?;
    use his_request_log::Column as C;
    let mut select = actor.scoped(his_request_log::Entity::find(), C::HospitalId);
    if query.filter("failed") == Some("true") {
        select = select.filter(C::RecordsFailed.gt(0));
    }
    select = pagination::order(select, &query.params, &[("received_at", C::ReceivedAt)], (C::ReceivedAt, Order::Desc))?;
    Ok(pagination::fetch(&state.db, select, &query.params, &query.path).await?.map(Into::into))
}

/// The HIS feed's request log, newest first (PX admins; hospital admins their hospital's).
#[utoipa::path(get, path = "/api/integrations/his/logs/", tag = "Integrations",
    params(ListParams, ("failed" = Option<bool>, Query)),
    responses((status = 200, body = Page<HisLogView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn api_logs(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    uri: OriginalUri,
) -> AppResult<Json<Page<HisLogView>>> {
    let query = ListQuery::from_query(uri.path(), uri.query());
    Ok(Json(list(&state, &actor, &query).await?))
}

pub struct LogRow {
    pub l: HisLogView,
    pub hospital: String,
    /// "#index field: message" lines.
    pub problems: Vec<String>,
}

#[derive(Template)]
#[template(path = "integrations/his_logs.html")]
struct LogsPage {
    chrome: Chrome,
    rows: Vec<LogRow>,
    count: u64,
    failed_only: bool,
    next: Option<String>,
    previous: Option<String>,
}

async fn hospital_names(state: &AppState, chrome: &Chrome) -> AppResult<Vec<(Uuid, String)>> {
    let all = hospital::Entity::find().filter(hospital::Column::DeletedAt.is_null()).all(&state.db).await?;
    let mut names: Vec<(Uuid, String)> =
        all.iter().map(|h| (h.id, chrome.lang.pick(&h.name_en, &h.name_ar).to_owned())).collect();
    names.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(names)
}

fn problems(errors: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    for entry in errors.as_array().into_iter().flatten() {
        let index = entry["index"].as_u64().unwrap_or_default();
        for (field, messages) in entry["fields"].as_object().into_iter().flatten() {
            for m in messages.as_array().into_iter().flatten() {
                out.push(format!("#{index} {field}: {}", m.as_str().unwrap_or_default()));
            }
        }
    }
    out
}

pub async fn logs_page(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    let query = ListQuery::from_query(uri.path(), uri.query());
    let list = list(&state, &page.actor, &query).await?;
    let chrome = Chrome::new(&state, &page, uri.path(), "integ-his-logs").await?;
    let names = hospital_names(&state, &chrome).await?;
    let rows = list
        .results
        .into_iter()
        .map(|l| LogRow {
            hospital: l
                .hospital_id
                .and_then(|h| names.iter().find(|(id, _)| *id == h).map(|(_, n)| n.clone()))
                .unwrap_or_else(|| "—".into()),
            problems: problems(&l.errors),
            l,
        })
        .collect();
    render(
        StatusCode::OK,
        &LogsPage {
            failed_only: query.filter("failed") == Some("true"),
            chrome,
            rows,
            count: list.count,
            next: list.next,
            previous: list.previous,
        },
    )
}

pub struct MapRow {
    pub kind: String,
    pub e: TypeEntry,
}

#[derive(Template)]
#[template(path = "integrations/his_type_map.html")]
struct TypeMapPage {
    chrome: Chrome,
    hospital_id: Option<Uuid>,
    /// (id, name, selected)
    hospitals: Vec<(Uuid, String, bool)>,
    rows: Vec<MapRow>,
    /// Rows of the edit form: the map's entries and a few blank ones.
    form_rows: Vec<MapRow>,
    customized: bool,
    can_edit: bool,
    journey_types: Vec<&'static str>,
    errors: Vec<String>,
    saved: bool,
}

const BLANK_ROWS: usize = 3;

async fn map_view(
    state: &AppState,
    page: &PageActor,
    path: &str,
    requested: Option<Uuid>,
    errors: Vec<String>,
    saved: bool,
    status: StatusCode,
) -> PageResult {
    let actor = &page.actor;
    actor.require(state, Permission::ViewEvents).await?;
    let chrome = Chrome::new(state, page, path, "integ-his-type-map").await?;
    let hospitals: Vec<(Uuid, String)> =
        hospital_names(state, &chrome).await?.into_iter().filter(|(id, _)| actor.sees_hospital(*id)).collect();
    let wanted = requested.or(actor.selected_hospital).or(actor.hospital_id);
    let view = match wanted {
        Some(h) => Some(type_map::view(state, actor, Some(h)).await?),
        None => None,
    };
    let rows: Vec<MapRow> = view
        .as_ref()
        .map(|v| v.entries.iter().map(|(k, e)| MapRow { kind: k.clone(), e: e.clone() }).collect())
        .unwrap_or_default();
    let blank = TypeEntry { journey_type: String::new(), event_code: String::new(), discharge_event_code: None };
    let mut form_rows: Vec<MapRow> = rows.iter().map(|r| MapRow { kind: r.kind.clone(), e: r.e.clone() }).collect();
    form_rows.extend((0..BLANK_ROWS).map(|_| MapRow { kind: String::new(), e: blank.clone() }));
    let shown = view.as_ref().and_then(|v| v.hospital_id);
    let hospitals = hospitals.into_iter().map(|(id, name)| (id, name, shown == Some(id))).collect();
    render(
        status,
        &TypeMapPage {
            hospital_id: shown,
            customized: view.as_ref().is_some_and(|v| v.customized),
            can_edit: actor.role.may(Permission::ManageIntegrations) && view.is_some(),
            chrome,
            hospitals,
            rows,
            form_rows,
            journey_types: JOURNEY_TYPES.to_vec(),
            errors,
            saved,
        },
    )
}

fn query_hospital(uri: &OriginalUri) -> Option<Uuid> {
    let query = ListQuery::from_query(uri.path(), uri.query());
    query.filter("hospital_id").and_then(|h| Uuid::parse_str(h).ok())
}

pub async fn type_map_page(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    let saved = ListQuery::from_query(uri.path(), uri.query()).filter("saved") == Some("1");
    map_view(&state, &page, uri.path(), query_hospital(&uri), vec![], saved, StatusCode::OK).await
}

pub async fn type_map_save(
    State(state): State<AppState>,
    page: PageActor,
    uri: OriginalUri,
    form: CsrfForm,
) -> PageResult {
    let hospital_id = Uuid::parse_str(&form.get("hospital_id")).ok();
    let mut entries: BTreeMap<String, TypeEntryInput> = BTreeMap::new();
    for i in 0..200 {
        if !form.has(&format!("type_{i}")) {
            break;
        }
        let kind = form.get(&format!("type_{i}"));
        if kind.is_empty() {
            continue;
        }
        let opt = |name: &str| Some(form.get(&format!("{name}_{i}"))).filter(|v| !v.is_empty());
        entries.insert(
            kind,
            TypeEntryInput {
                journey_type: opt("journey_type"),
                event_code: opt("event_code"),
                discharge_event_code: opt("discharge_event_code"),
            },
        );
    }
    match type_map::save(&state, &page.actor, TypeMapInput { hospital_id, entries: Some(entries) }).await {
        Ok(view) => Ok(axum::response::IntoResponse::into_response(axum::response::Redirect::to(&format!(
            "/integrations/his/type-map/?hospital_id={}&saved=1",
            view.hospital_id.unwrap_or_default()
        )))),
        Err(AppError::Validation(errors)) => {
            let messages = errors.0.into_iter().flat_map(|(f, m)| m.into_iter().map(move |m| format!("{f}: {m}")));
            map_view(&state, &page, uri.path(), hospital_id, messages.collect(), false, StatusCode::BAD_REQUEST).await
        }
        Err(e) => Err(e.into()),
    }
}
