//! Pages: the events list (filters, counts per status), an event's detail with a "process
//! again" button, and the API keys admin.

use askama::Template;
use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::api_keys::{self, ApiKeyInput, ApiKeyView};
use super::events::{self, EventView, SOURCE_SYSTEMS};
use super::model::inbound_event;
use crate::app::AppState;
use crate::auth::{CsrfForm, PageActor, Permission};
use crate::crud::ListQuery;
use crate::domains::journeys::model::journey_instance;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::web::{Chrome, PageResult, render};

pub const STATUSES: &[&str] = &["pending", "processing", "processed", "ignored", "failed"];

pub fn badge(status: &str) -> &'static str {
    match status {
        "processed" => "success",
        "failed" => "danger",
        "ignored" => "warning",
        "processing" => "info",
        _ => "secondary",
    }
}

pub struct StatusCount {
    pub status: String,
    pub label: String,
    pub badge: &'static str,
    pub count: i64,
}

pub struct Row {
    pub e: EventView,
    pub label: String,
    pub badge: &'static str,
}

pub struct Filters {
    pub status: String,
    pub source_system: String,
    pub event_code: String,
    pub encounter_id: String,
    pub received_from: String,
    pub received_to: String,
}

#[derive(Template)]
#[template(path = "integrations/events.html")]
struct EventsPage {
    chrome: Chrome,
    counts: Vec<StatusCount>,
    rows: Vec<Row>,
    count: u64,
    f: Filters,
    statuses: Vec<(String, String)>,
    sources: Vec<&'static str>,
    can_keys: bool,
    next: Option<String>,
    previous: Option<String>,
}

fn status_label(lang: Lang, status: &str) -> String {
    lang.t(&format!("integ-status-{status}"))
}

pub async fn events_page(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    let actor = &page.actor;
    let query = ListQuery::from_query(uri.path(), uri.query());
    let list = events::list(&state, actor, &query).await?;
    let mut select = inbound_event::Entity::find()
        .select_only()
        .column(inbound_event::Column::Status)
        .column_as(inbound_event::Column::Id.count(), "n")
        .group_by(inbound_event::Column::Status);
    if let crate::auth::HospitalScope::Only(h) = actor.scope() {
        select = select.filter(inbound_event::Column::HospitalId.eq(h));
    }
    let by_status: Vec<(String, i64)> = select.into_tuple().all(&state.db).await?;
    let chrome = Chrome::new(&state, &page, uri.path(), "nav-integrations").await?;
    let lang = chrome.lang;
    let counts = STATUSES
        .iter()
        .map(|s| StatusCount {
            status: (*s).to_owned(),
            label: status_label(lang, s),
            badge: badge(s),
            count: by_status.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n),
        })
        .collect();
    let get = |name: &str| query.filter(name).unwrap_or_default().to_owned();
    let f = Filters {
        status: get("status"),
        source_system: get("source_system"),
        event_code: get("event_code"),
        encounter_id: get("encounter_id"),
        received_from: get("received_from"),
        received_to: get("received_to"),
    };
    let rows = list
        .results
        .into_iter()
        .map(|e| Row { label: status_label(lang, &e.status), badge: badge(&e.status), e })
        .collect();
    render(
        StatusCode::OK,
        &EventsPage {
            can_keys: actor.role.may(Permission::ViewEvents),
            statuses: STATUSES.iter().map(|s| ((*s).to_owned(), status_label(lang, s))).collect(),
            sources: SOURCE_SYSTEMS.to_vec(),
            chrome,
            counts,
            rows,
            count: list.count,
            f,
            next: list.next,
            previous: list.previous,
        },
    )
}

#[derive(Template)]
#[template(path = "integrations/event.html")]
struct EventPage {
    chrome: Chrome,
    e: EventView,
    label: String,
    badge: &'static str,
    payload: String,
    journey_id: Option<Uuid>,
    can_retry: bool,
}

pub async fn event_page(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<Uuid>,
    uri: OriginalUri,
) -> PageResult {
    let e = events::get(&state, &page.actor, id).await?;
    let journey_id = match (e.status.as_str(), e.hospital_id) {
        ("processed", Some(h)) => journey_instance::Entity::find()
            .filter(journey_instance::Column::HospitalId.eq(h))
            .filter(journey_instance::Column::EncounterId.eq(&e.encounter_id))
            .one(&state.db)
            .await?
            .map(|j| j.id),
        _ => None,
    };
    let chrome = Chrome::new(&state, &page, uri.path(), "integ-event").await?;
    render(
        StatusCode::OK,
        &EventPage {
            label: status_label(chrome.lang, &e.status),
            badge: badge(&e.status),
            payload: serde_json::to_string_pretty(&e.payload_json).unwrap_or_default(),
            can_retry: matches!(e.status.as_str(), "failed" | "ignored")
                && page.actor.role.may(Permission::RetryEvents),
            journey_id,
            chrome,
            e,
        },
    )
}

pub async fn retry_page(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<Uuid>,
    _form: CsrfForm,
) -> PageResult {
    events::retry(&state, &page.actor, id).await?;
    Ok(Redirect::to(&format!("/integrations/events/{id}/")).into_response())
}

pub struct KeyRow {
    pub k: ApiKeyView,
    pub hospital: String,
}

#[derive(Template)]
#[template(path = "integrations/api_keys.html")]
struct KeysPage {
    chrome: Chrome,
    keys: Vec<KeyRow>,
    can_manage: bool,
    hospitals: Vec<(Uuid, String)>,
    sources: Vec<&'static str>,
    new_key: Option<String>,
    errors: Vec<String>,
    next: Option<String>,
    previous: Option<String>,
}

async fn keys_view(
    state: &AppState,
    page: &PageActor,
    uri: &OriginalUri,
    new_key: Option<String>,
    errors: Vec<String>,
    status: StatusCode,
) -> PageResult {
    use crate::domains::organizations::model::hospital;
    let query = ListQuery::from_query(uri.path(), uri.query());
    let list = api_keys::list(state, &page.actor, &query).await?;
    let chrome = Chrome::new(state, page, uri.path(), "integ-api-keys").await?;
    let all = hospital::Entity::find().filter(hospital::Column::DeletedAt.is_null()).all(&state.db).await?;
    let name = |id: Uuid| {
        all.iter().find(|h| h.id == id).map(|h| chrome.lang.pick(&h.name_en, &h.name_ar).to_owned()).unwrap_or_default()
    };
    let keys = list.results.into_iter().map(|k| KeyRow { hospital: name(k.hospital_id), k }).collect();
    let mut hospitals: Vec<(Uuid, String)> = all
        .iter()
        .filter(|h| page.actor.sees_hospital(h.id))
        .map(|h| (h.id, chrome.lang.pick(&h.name_en, &h.name_ar).to_owned()))
        .collect();
    hospitals.sort_by(|a, b| a.1.cmp(&b.1));
    render(
        status,
        &KeysPage {
            can_manage: page.actor.role.may(Permission::ManageIntegrations),
            chrome,
            keys,
            hospitals,
            sources: SOURCE_SYSTEMS.to_vec(),
            new_key,
            errors,
            next: list.next,
            previous: list.previous,
        },
    )
}

pub async fn keys_page(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    keys_view(&state, &page, &uri, None, vec![], StatusCode::OK).await
}

pub async fn keys_create(
    State(state): State<AppState>,
    page: PageActor,
    uri: OriginalUri,
    form: CsrfForm,
) -> PageResult {
    let hospital_id = form.get("hospital_id");
    let input = ApiKeyInput {
        hospital_id: if hospital_id.is_empty() { None } else { Uuid::parse_str(&hospital_id).ok() },
        name: Some(form.get("name")),
        source_systems: Some(form.0.iter().filter(|(k, _)| k == "source_systems").map(|(_, v)| v.clone()).collect()),
        rate_limit_per_minute: match form.get("rate_limit_per_minute").trim() {
            "" => None,
            // Not a number: out of range, so the field's error is shown.
            raw => Some(raw.parse().unwrap_or(-1)),
        },
    };
    match api_keys::create(&state, &page.actor, input).await {
        Ok(created) => keys_view(&state, &page, &uri, Some(created.key), vec![], StatusCode::OK).await,
        Err(AppError::Validation(errors)) => {
            let messages = errors.0.into_iter().flat_map(|(f, m)| m.into_iter().map(move |m| format!("{f}: {m}")));
            keys_view(&state, &page, &uri, None, messages.collect(), StatusCode::BAD_REQUEST).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn keys_revoke(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<Uuid>,
    _form: CsrfForm,
) -> PageResult {
    api_keys::revoke(&state, &page.actor, id).await?;
    Ok(Redirect::to("/integrations/api-keys/").into_response())
}
