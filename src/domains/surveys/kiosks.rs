//! Kiosk QR codes: a department's anonymous survey link for patients without a journey. Staff
//! make a kiosk (a hospital's survey template, optionally a department), print its QR code, and
//! a patient who scans it gets a fresh anonymous survey (`source = kiosk`, no invitation sent).
//!
//! - API `/api/surveys/kiosks/` (list, create) and `/api/surveys/kiosks/{id}/` (PATCH name or
//!   is_active, DELETE): ViewSurveys reads, ManageSurveyTemplates writes; hospital-scoped.
//! - Page `/surveys/kiosks/` (list, create, activate/deactivate) and the QR code
//!   `/surveys/kiosks/{id}/qr.svg`, and a printable page `/surveys/kiosks/{id}/print/`.
//! - Public `/k/{code}/`: an active kiosk of a published, active template creates the survey and
//!   redirects (303) to `/s/{token}/`; scans are counted per client address
//!   (ten times `public_rate_limit_per_hour` per kiosk and address, then a 429 page); an unknown or inactive code is a 404 page.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, ModelTrait, QueryFilter, QueryOrder,
    Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::delivery::{self, NewSurvey};
use super::model::{survey_kiosk, survey_template};
use super::public::{self, Kind};
use crate::app::AppState;
use crate::auth::{Actor, ApiActor, CsrfForm, PageActor, Permission, RequestMeta};
use crate::domains::audit::service::{Entry, record};
use crate::domains::organizations::model::department;
use crate::domains::organizations::service::now;
use crate::error::{AppError, AppResult, FieldErrors, not_found};
use crate::http::openapi::ErrorBody;
use crate::http::{ApiJson, IdPath, validate};
use crate::i18n::Lang;
use crate::web::public::PublicChrome;
use crate::web::{Chrome, PageResult, render};

const PAGE_PATH: &str = "/surveys/kiosks/";

/// Kiosk scans allowed per address and kiosk: this many times `public_rate_limit_per_hour`.
pub const KIOSK_LIMIT_TIMES: u32 = 10;
/// Characters of kiosk codes: lowercase letters and digits people do not confuse.
const CODE_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
pub const CODE_LEN: usize = 12;

/// A new random kiosk code (URL-safe, 12 characters, ~59 bits).
pub fn new_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LEN).map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char).collect()
}

/// The public link a kiosk's QR code opens.
pub fn kiosk_url(state: &AppState, code: &str) -> String {
    format!("{}/k/{code}/", state.config.notifications.public_base_url.trim_end_matches('/'))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KioskView {
    pub id: Uuid,
    pub hospital_id: Uuid,
    pub department_id: Option<Uuid>,
    pub survey_template_id: Uuid,
    pub code: String,
    pub name: String,
    pub is_active: bool,
    /// The link of the QR code.
    pub url: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

fn view(state: &AppState, k: survey_kiosk::Model) -> KioskView {
    KioskView {
        url: kiosk_url(state, &k.code),
        id: k.id,
        hospital_id: k.hospital_id,
        department_id: k.department_id,
        survey_template_id: k.survey_template_id,
        code: k.code,
        name: k.name,
        is_active: k.is_active,
        created_at: k.created_at,
        updated_at: k.updated_at,
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KioskInput {
    /// PX admins: the hospital (else the one chosen in the header); others: their own.
    pub hospital_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub survey_template_id: Option<Uuid>,
    pub name: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KioskPatch {
    pub name: Option<String>,
    pub is_active: Option<bool>,
}

// ---------------------------------------------------------------------------------------------
// Service

/// The kiosks the actor sees, newest first.
pub async fn list(state: &AppState, actor: &Actor) -> AppResult<Vec<survey_kiosk::Model>> {
    actor.require(state, Permission::ViewSurveys).await?;
    let select = actor.scoped(survey_kiosk::Entity::find(), survey_kiosk::Column::HospitalId);
    Ok(select.order_by_desc(survey_kiosk::Column::CreatedAt).all(&state.db).await?)
}

async fn visible(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<survey_kiosk::Model> {
    survey_kiosk::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .filter(|k| actor.sees_hospital(k.hospital_id))
        .ok_or_else(|| not_found("kiosk"))
}

pub async fn get_one(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<survey_kiosk::Model> {
    actor.require(state, Permission::ViewSurveys).await?;
    visible(state, actor, id).await
}

pub async fn create(state: &AppState, actor: &Actor, input: KioskInput) -> AppResult<survey_kiosk::Model> {
    actor.require(state, Permission::ManageSurveyTemplates).await?;
    let mut errors = FieldErrors::new();
    let hospital_id = errors.collect(actor.hospital_for_write(input.hospital_id))?;
    let name = validate::required(&mut errors, "name", input.name.as_deref(), 200);
    match (input.survey_template_id, hospital_id) {
        (None, _) => errors.add("survey_template_id", "This field is required."),
        (Some(t), Some(h)) => {
            let found = survey_template::Entity::find_by_id(t)
                .filter(survey_template::Column::HospitalId.eq(h))
                .filter(survey_template::Column::DeletedAt.is_null())
                .one(&state.db)
                .await?;
            if found.is_none() {
                errors.add("survey_template_id", "Invalid pk - object does not exist.");
            }
        }
        (Some(_), None) => {}
    }
    if let (Some(d), Some(h)) = (input.department_id, hospital_id) {
        let found = department::Entity::find_by_id(d)
            .filter(department::Column::HospitalId.eq(h))
            .filter(department::Column::DeletedAt.is_null())
            .one(&state.db)
            .await?;
        if found.is_none() {
            errors.add("department_id", "Invalid pk - object does not exist.");
        }
    }
    errors.into_result()?;
    let (Some(hospital_id), Some(template_id)) = (hospital_id, input.survey_template_id) else {
        return Err(AppError::Unexpected(anyhow::anyhow!("kiosk input checked without a hospital or template")));
    };
    let _turn = state.write_turn().await;
    let txn = state.db.begin().await?;
    let mut code = new_code();
    for _ in 0..5 {
        if survey_kiosk::Entity::find().filter(survey_kiosk::Column::Code.eq(&code)).one(&txn).await?.is_none() {
            break;
        }
        code = new_code();
    }
    let at = now();
    let row = survey_kiosk::ActiveModel {
        id: Set(Uuid::now_v7()),
        hospital_id: Set(hospital_id),
        department_id: Set(input.department_id),
        survey_template_id: Set(template_id),
        code: Set(code),
        name: Set(name),
        is_active: Set(true),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await?;
    record(
        &txn,
        actor,
        Entry::new("survey_kiosk_created", "survey_kiosk", row.id)
            .hospital(Some(row.hospital_id))
            .details(serde_json::json!({"name": row.name, "department_id": row.department_id,
                "survey_template_id": row.survey_template_id, "code": row.code})),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

pub async fn update(state: &AppState, actor: &Actor, id: Uuid, patch: KioskPatch) -> AppResult<survey_kiosk::Model> {
    actor.require(state, Permission::ManageSurveyTemplates).await?;
    let k = visible(state, actor, id).await?;
    let mut errors = FieldErrors::new();
    let name = patch.name.as_deref().map(|n| validate::required(&mut errors, "name", Some(n), 200));
    errors.into_result()?;
    let _turn = state.write_turn().await;
    let txn = state.db.begin().await?;
    let mut row = k.clone().into_active_model();
    if let Some(n) = &name {
        row.name = Set(n.clone());
    }
    if let Some(a) = patch.is_active {
        row.is_active = Set(a);
    }
    row.updated_at = Set(now());
    let saved = row.update(&txn).await?;
    record(
        &txn,
        actor,
        Entry::new("survey_kiosk_updated", "survey_kiosk", saved.id)
            .hospital(Some(saved.hospital_id))
            .details(serde_json::json!({"name": name, "is_active": patch.is_active})),
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

pub async fn delete(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<()> {
    actor.require(state, Permission::ManageSurveyTemplates).await?;
    let k = visible(state, actor, id).await?;
    let _turn = state.write_turn().await;
    let txn = state.db.begin().await?;
    let (hospital_id, code, name) = (k.hospital_id, k.code.clone(), k.name.clone());
    k.delete(&txn).await?;
    record(
        &txn,
        actor,
        Entry::new("survey_kiosk_deleted", "survey_kiosk", id)
            .hospital(Some(hospital_id))
            .details(serde_json::json!({"code": code, "name": name})),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The QR code of `url` as an SVG document.
pub fn qr_svg(url: &str) -> AppResult<String> {
    let code =
        qrcode::QrCode::new(url.as_bytes()).map_err(|e| AppError::Unexpected(anyhow::anyhow!("QR code: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build())
}

// ---------------------------------------------------------------------------------------------
// API

/// The kiosks of the actor's hospital(s).
#[utoipa::path(get, path = "/api/surveys/kiosks/", tag = "Surveys",
    responses((status = 200, body = Vec<KioskView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn api_list(State(state): State<AppState>, ApiActor(actor): ApiActor) -> AppResult<Json<Vec<KioskView>>> {
    let rows = list(&state, &actor).await?;
    Ok(Json(rows.into_iter().map(|k| view(&state, k)).collect()))
}

/// Creates a kiosk (a random public code) for a survey template of the same hospital.
#[utoipa::path(post, path = "/api/surveys/kiosks/", tag = "Surveys", request_body = KioskInput,
    responses((status = 201, body = KioskView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn api_create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<KioskInput>,
) -> AppResult<Response> {
    let k = create(&state, &actor, input).await?;
    Ok((StatusCode::CREATED, Json(view(&state, k))).into_response())
}

/// One kiosk.
#[utoipa::path(get, path = "/api/surveys/kiosks/{id}/", tag = "Surveys", params(("id" = Uuid, Path)),
    responses((status = 200, body = KioskView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<Json<KioskView>> {
    let k = get_one(&state, &actor, id).await?;
    Ok(Json(view(&state, k)))
}

/// Renames a kiosk or switches it on or off.
#[utoipa::path(patch, path = "/api/surveys/kiosks/{id}/", tag = "Surveys", params(("id" = Uuid, Path)),
    request_body = KioskPatch,
    responses((status = 200, body = KioskView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
    ApiJson(patch): ApiJson<KioskPatch>,
) -> AppResult<Json<KioskView>> {
    let k = update(&state, &actor, id, patch).await?;
    Ok(Json(view(&state, k)))
}

/// Deletes a kiosk (its code stops working; surveys it made stay).
#[utoipa::path(delete, path = "/api/surveys/kiosks/{id}/", tag = "Surveys", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<StatusCode> {
    delete(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api_list, api_create)).routes(routes!(api_get, api_update, api_delete))
}

// ---------------------------------------------------------------------------------------------
// Pages

pub struct Row {
    pub id: Uuid,
    pub name: String,
    pub department: String,
    pub template: String,
    pub url: String,
    pub is_active: bool,
}

pub struct Opt {
    pub id: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "surveys/kiosks/list.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    can_manage: bool,
    /// The create form: none without a hospital to create in.
    templates: Vec<Opt>,
    departments: Vec<Opt>,
    has_hospital: bool,
    name: String,
    errors: FieldErrors,
}

impl ListPage {
    fn err(&self, field: &str) -> String {
        self.errors.0.get(field).and_then(|m| m.first()).cloned().unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "surveys/kiosks/print.html")]
struct PrintPage {
    chrome: Chrome,
    id: Uuid,
    name: String,
    department: String,
    url: String,
}

async fn names(
    db: &impl ConnectionTrait,
    lang: Lang,
    hospital: Option<Uuid>,
) -> AppResult<(Vec<survey_template::Model>, Vec<department::Model>, Lang)> {
    let mut templates = survey_template::Entity::find().filter(survey_template::Column::DeletedAt.is_null());
    let mut departments = department::Entity::find().filter(department::Column::DeletedAt.is_null());
    if let Some(h) = hospital {
        templates = templates.filter(survey_template::Column::HospitalId.eq(h));
        departments = departments.filter(department::Column::HospitalId.eq(h));
    }
    let mut t = templates.all(db).await?;
    let mut d = departments.all(db).await?;
    t.sort_by(|a, b| lang.pick(&a.name_en, &a.name_ar).cmp(lang.pick(&b.name_en, &b.name_ar)));
    d.sort_by(|a, b| lang.pick(&a.name_en, &a.name_ar).cmp(lang.pick(&b.name_en, &b.name_ar)));
    Ok((t, d, lang))
}

async fn list_view(state: &AppState, page: &PageActor, form: Option<(KioskInput, FieldErrors)>) -> PageResult {
    let actor = &page.actor;
    let rows = list(state, actor).await?;
    let chrome = Chrome::new(state, page, PAGE_PATH, "kiosk-title").await?;
    let lang = chrome.lang;
    let hospital = actor.hospital_id.or(actor.selected_hospital);
    let (templates, departments, _) = names(&state.db, lang, hospital).await?;
    let all_templates = if hospital.is_some() { templates.clone() } else { names(&state.db, lang, None).await?.0 };
    let all_departments = if hospital.is_some() { departments.clone() } else { names(&state.db, lang, None).await?.1 };
    let template_name = |id: Uuid| {
        all_templates
            .iter()
            .find(|t| t.id == id)
            .map(|t| lang.pick(&t.name_en, &t.name_ar).to_owned())
            .unwrap_or_default()
    };
    let department_name = |id: Option<Uuid>| {
        id.and_then(|id| all_departments.iter().find(|d| d.id == id))
            .map(|d| lang.pick(&d.name_en, &d.name_ar).to_owned())
            .unwrap_or_default()
    };
    let rows = rows
        .into_iter()
        .map(|k| Row {
            department: department_name(k.department_id),
            template: template_name(k.survey_template_id),
            url: kiosk_url(state, &k.code),
            id: k.id,
            name: k.name,
            is_active: k.is_active,
        })
        .collect();
    let (input, errors) = form.unwrap_or_default();
    let chosen_t = input.survey_template_id;
    let chosen_d = input.department_id;
    let page = ListPage {
        rows,
        can_manage: actor.role.may(Permission::ManageSurveyTemplates),
        templates: templates
            .iter()
            .filter(|t| t.is_active && t.current_version > 0)
            .map(|t| Opt {
                id: t.id.to_string(),
                label: lang.pick(&t.name_en, &t.name_ar).to_owned(),
                selected: Some(t.id) == chosen_t,
            })
            .collect(),
        departments: departments
            .iter()
            .map(|d| Opt {
                id: d.id.to_string(),
                label: lang.pick(&d.name_en, &d.name_ar).to_owned(),
                selected: Some(d.id) == chosen_d,
            })
            .collect(),
        has_hospital: hospital.is_some(),
        name: input.name.unwrap_or_default(),
        errors,
        chrome,
    };
    let status = if page.errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    render(status, &page)
}

async fn page_list(State(state): State<AppState>, page: PageActor) -> PageResult {
    list_view(&state, &page, None).await
}

fn form_uuid(form: &CsrfForm, name: &str) -> Option<Uuid> {
    Uuid::parse_str(form.get(name).trim()).ok()
}

async fn page_create(State(state): State<AppState>, page: PageActor, form: CsrfForm) -> PageResult {
    let input = KioskInput {
        hospital_id: None,
        department_id: form_uuid(&form, "department_id"),
        survey_template_id: form_uuid(&form, "survey_template_id"),
        name: Some(form.get("name")),
    };
    let again = KioskInput {
        hospital_id: None,
        department_id: input.department_id,
        survey_template_id: input.survey_template_id,
        name: input.name.clone(),
    };
    match create(&state, &page.actor, input).await {
        Ok(_) => Ok(Redirect::to(PAGE_PATH).into_response()),
        Err(AppError::Validation(errors)) => list_view(&state, &page, Some((again, errors))).await,
        Err(e) => Err(e.into()),
    }
}

async fn page_toggle(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<String>,
    form: CsrfForm,
) -> PageResult {
    let id = crate::http::parse_id(&id, "kiosk")?;
    let active = form.get("is_active") == "true";
    update(&state, &page.actor, id, KioskPatch { name: None, is_active: Some(active) }).await?;
    Ok(Redirect::to(PAGE_PATH).into_response())
}

async fn page_qr(State(state): State<AppState>, page: PageActor, Path(id): Path<String>) -> PageResult {
    let id = crate::http::parse_id(&id, "kiosk")?;
    let k = get_one(&state, &page.actor, id).await?;
    let svg = qr_svg(&kiosk_url(&state, &k.code))?;
    let mut response = svg.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=300"));
    Ok(response)
}

async fn page_print(State(state): State<AppState>, page: PageActor, Path(id): Path<String>) -> PageResult {
    let id = crate::http::parse_id(&id, "kiosk")?;
    let k = get_one(&state, &page.actor, id).await?;
    let chrome = Chrome::new(&state, &page, PAGE_PATH, "kiosk-title").await?;
    let lang = chrome.lang;
    let department = match k.department_id {
        Some(d) => department::Entity::find_by_id(d)
            .one(&state.db)
            .await?
            .map(|d| lang.pick(&d.name_en, &d.name_ar).to_owned())
            .unwrap_or_default(),
        None => String::new(),
    };
    render(StatusCode::OK, &PrintPage { url: kiosk_url(&state, &k.code), id: k.id, name: k.name, department, chrome })
}

// ---------------------------------------------------------------------------------------------
// The public entry

/// `GET /k/{code}/`: a fresh anonymous survey of an active kiosk, then its page.
async fn scan(
    State(state): State<AppState>,
    headers: HeaderMap,
    meta: RequestMeta,
    Path(code): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let pairs: Vec<(String, String)> =
        query.as_deref().and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default();
    let requested = pairs.iter().find(|(k, _)| k == "lang").map(|(_, v)| v.as_str()).unwrap_or_default();
    let path = format!("/k/{code}/");
    let chrome = PublicChrome::new(&headers, Some(requested), &path, query.as_deref(), "sp-title");
    // Per kiosk and address, at ten times the public limit: one waiting room's Wi-Fi is one address.
    if let Some(retry_after) =
        public::over_limit_times(&state, &format!("kiosk:{code}"), &meta.ip, KIOSK_LIMIT_TIMES).await
    {
        return public::limited(chrome, retry_after);
    }
    match open_kiosk(&state, &code).await {
        Ok(Some(token)) => {
            let to = format!("/s/{token}/?lang={}", chrome.lang.code());
            public::private(Redirect::to(&to).into_response())
        }
        Ok(None) => public::message(chrome, Kind::KioskUnknown),
        Err(e) => public::private(crate::web::PageError(e).into_response()),
    }
}

/// Creates the survey of kiosk `code`; `None` when the code is unknown or inactive, or its
/// template is not active and published.
async fn open_kiosk(state: &AppState, code: &str) -> AppResult<Option<String>> {
    if code.is_empty() || code.len() > 32 || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Ok(None);
    }
    let Some(k) = survey_kiosk::Entity::find()
        .filter(survey_kiosk::Column::Code.eq(code))
        .filter(survey_kiosk::Column::IsActive.eq(true))
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    let usable = survey_template::Entity::find_by_id(k.survey_template_id)
        .filter(survey_template::Column::DeletedAt.is_null())
        .filter(survey_template::Column::IsActive.eq(true))
        .filter(survey_template::Column::CurrentVersion.gt(0))
        .one(&state.db)
        .await?
        .is_some();
    if !usable {
        return Ok(None);
    }
    let mut new = NewSurvey::new(k.hospital_id, k.survey_template_id, "kiosk");
    new.deliver = false;
    new.department_id = k.department_id;
    let _turn = state.write_turn().await;
    let txn = state.db.begin().await?;
    let created = delivery::create(state, &txn, new).await?;
    txn.commit().await?;
    Ok(Some(created.token))
}

pub fn page_routes() -> Router<AppState> {
    Router::new()
        .route(PAGE_PATH, get(page_list).post(page_create))
        .route("/surveys/kiosks/{id}/active/", post(page_toggle))
        .route("/surveys/kiosks/{id}/qr.svg", get(page_qr))
        .route("/surveys/kiosks/{id}/print/", get(page_print))
        .route("/k/{code}/", get(scan))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_url_safe_and_random() {
        let a = new_code();
        assert_eq!(a.len(), CODE_LEN);
        assert!(a.bytes().all(|b| CODE_ALPHABET.contains(&b)));
        assert_ne!(a, new_code());
        let svg = qr_svg("https://px360.example/k/abcdefghjkmn/").unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>"));
    }
}
