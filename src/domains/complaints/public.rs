//! The public complaint pages (no login, Arabic and English, phone-first; spec §8 "Public form"
//! and "Tracking"): the form, its confirmation and the tracking page. Page routes only, not in
//! the OpenAPI document.
//!
//! Spam guard without a third party:
//! - a honeypot field ([`HONEYPOT`]) hidden by a stylesheet class: filled, the request is
//!   answered like a success (a generic thank-you page) and nothing is stored;
//! - a signed form timestamp ([`form_token`], HMAC-SHA256 with the configured secret key): a
//!   submission sooner than [`FORM_MIN_AGE_SECS`] after the form was rendered, older than
//!   [`FORM_MAX_AGE_SECS`], or with a token we did not sign is refused with a friendly "please
//!   send it again" and a fresh token. The token is also the form's CSRF token (it proves the
//!   form was rendered by us recently; there is no session to bind it to);
//! - `public_rate_limit_per_hour` submissions (and, separately, tracking lookups) per client
//!   address, counted by the shared limiter, then a 429 page with `Retry-After`.
//!
//! The confirmation page is shown only to the browser that just filed the complaint (a
//! short-lived cookie naming the reference); the tracking page shows the status and the public
//! timeline only, and answers every unknown, wrong or malformed reference with the same page.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use chrono::{NaiveDate, Utc};
use hmac::{Hmac, Mac};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::model::{complaint, complaint_update};
use super::service::{self, ComplaintInput, DESCRIPTION_MAX, Origin, PUBLIC_DESCRIPTION_MIN};
use super::workflow::{ComplaintStatus, normalize_reference};
use crate::app::AppState;
use crate::auth::{Actor, RequestMeta};
use crate::domains::integrations::ratelimit::{self, Decision};
use crate::domains::organizations::model::hospital;
use crate::error::{AppError, FieldErrors};
use crate::http::validate;
use crate::i18n::{Lang, riyadh_time};
use crate::web::public::PublicChrome;
use crate::web::{PageResult, render};

pub const SUBMIT_PATH: &str = "/complaints/public/submit/";
pub const SUBMITTED_PATH: &str = "/complaints/public/submitted/";
pub const TRACK_PATH: &str = "/complaints/public/track/";
pub const THANKS_PATH: &str = "/complaints/public/thanks/";
/// The cookie naming the reference this browser just filed (the confirmation page's key).
pub const SUBMITTED_COOKIE: &str = "px360_submitted";
/// How long the confirmation page stays available to the browser that filed the complaint.
pub const SUBMITTED_COOKIE_SECS: i64 = 30 * 60;
/// A person takes longer than this to fill the form.
pub const FORM_MIN_AGE_SECS: i64 = 3;
/// A form older than this is refused (rendered again with a fresh token).
pub const FORM_MAX_AGE_SECS: i64 = 2 * 3600;
/// The honeypot field's name: people never see it, form-filling robots fill it.
pub const HONEYPOT: &str = "website";
/// The form token's field name.
pub const TOKEN_FIELD: &str = "form_token";
/// The relations a family member may pick (stored as the code).
pub const RELATIONS: &[&str] = &["parent", "child", "spouse", "sibling", "relative", "other"];
const TYPES: &[&str] = &["complaint", "inquiry", "appreciation"];
const SOURCES: &[&str] = &["patient", "family"];

// ---------------------------------------------------------------------------------------------
// The signed form timestamp

type HmacSha256 = Hmac<Sha256>;

fn signature(secret: &str, issued_at: i64) -> Option<HmacSha256> {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(b"px360-public-complaint-form:");
    mac.update(issued_at.to_string().as_bytes());
    Some(mac)
}

/// The form token of a form rendered at `issued_at` (Unix seconds): `<issued_at>.<hex HMAC>`.
/// Public so tests can craft a token of a form rendered a while ago.
pub fn form_token(secret: &str, issued_at: i64) -> String {
    let sig = signature(secret, issued_at).map(|m| hex::encode(m.finalize().into_bytes())).unwrap_or_default();
    format!("{issued_at}.{sig}")
}

/// What a submitted form token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenCheck {
    Valid,
    /// Sent sooner than [`FORM_MIN_AGE_SECS`] after the form was rendered.
    TooFresh,
    /// The form was rendered more than [`FORM_MAX_AGE_SECS`] ago.
    Expired,
    /// Missing, malformed, or not signed with our key.
    Invalid,
}

/// Checks a submitted form token at `now` (Unix seconds).
pub fn check_form_token(secret: &str, token: &str, now: i64) -> TokenCheck {
    let Some((at, sig)) = token.trim().split_once('.') else { return TokenCheck::Invalid };
    let Ok(issued_at) = at.parse::<i64>() else { return TokenCheck::Invalid };
    let Ok(sig) = hex::decode(sig) else { return TokenCheck::Invalid };
    let Some(mac) = signature(secret, issued_at) else { return TokenCheck::Invalid };
    if mac.verify_slice(&sig).is_err() {
        return TokenCheck::Invalid;
    }
    let age = now - issued_at;
    if age < FORM_MIN_AGE_SECS {
        TokenCheck::TooFresh
    } else if age > FORM_MAX_AGE_SECS {
        TokenCheck::Expired
    } else {
        TokenCheck::Valid
    }
}

// ---------------------------------------------------------------------------------------------
// Small helpers

fn pairs(query: Option<&str>) -> Vec<(String, String)> {
    query.and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default()
}

fn param<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or_default()
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// "Complaint", "Question" or "Thanks" in the page language.
fn kind_label(lang: Lang, complaint_type: &str) -> String {
    lang.t(match complaint_type {
        "inquiry" => "pub-kind-inquiry",
        "appreciation" => "pub-kind-appreciation",
        _ => "pub-kind-complaint",
    })
}

fn with_lang(path: &str, lang: Lang) -> String {
    format!("{path}?lang={}", lang.code())
}

/// Counts one public request of `kind` (`submit`, `track`) from `ip` in the shared limiter;
/// `Some(retry_after)` when over `public_rate_limit_per_hour` (fixed wall-clock hours).
async fn over_limit(state: &AppState, kind: &str, ip: &str) -> Option<u64> {
    let limit = state.config.public_rate_limit_per_hour;
    let digest = Sha256::digest(format!("px360-public:{kind}:{ip}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    match ratelimit::limiter(state).hit_window(Uuid::from_bytes(bytes), limit, 3600).await {
        Decision::Allowed => None,
        Decision::Limited { retry_after } => Some(retry_after),
    }
}

#[derive(Template)]
#[template(path = "complaints/public_limited.html")]
struct LimitedPage {
    chrome: PublicChrome,
    back: String,
}

/// The 429 page in the user's language, with `Retry-After`.
fn limited(chrome: PublicChrome, back: &str, retry_after: u64) -> PageResult {
    let back = with_lang(back, chrome.lang);
    let mut response = render(StatusCode::TOO_MANY_REQUESTS, &LimitedPage { chrome, back })?;
    if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    Ok(response)
}

async fn active_hospitals(db: &impl ConnectionTrait) -> Result<Vec<hospital::Model>, AppError> {
    Ok(hospital::Entity::find()
        .filter(hospital::Column::DeletedAt.is_null())
        .filter(hospital::Column::Status.eq("active"))
        .all(db)
        .await?)
}

// ---------------------------------------------------------------------------------------------
// The form

pub struct Choice {
    pub value: String,
    pub label: String,
    pub hint: String,
    pub selected: bool,
}

/// What the person typed, kept when the form is shown again.
#[derive(Debug, Default, Clone)]
struct FormValues {
    hospital_id: String,
    complaint_type: String,
    source: String,
    relation: String,
    category_id: String,
    name: String,
    phone: String,
    email: String,
    description: String,
    visit_date: String,
}

impl FormValues {
    fn from_fields(fields: &[(String, String)]) -> Self {
        let get = |k: &str| param(fields, k).to_owned();
        FormValues {
            hospital_id: get("hospital_id").trim().to_owned(),
            complaint_type: get("complaint_type").trim().to_owned(),
            source: get("source").trim().to_owned(),
            relation: get("complainant_relation").trim().to_owned(),
            category_id: get("category_id").trim().to_owned(),
            name: get("complainant_name"),
            phone: get("complainant_phone"),
            email: get("complainant_email"),
            description: get("description"),
            visit_date: get("visit_date").trim().to_owned(),
        }
    }
}

#[derive(Template)]
#[template(path = "complaints/public_form.html")]
struct FormPage {
    chrome: PublicChrome,
    token: String,
    honeypot: &'static str,
    hospitals: Vec<Choice>,
    types: Vec<Choice>,
    sources: Vec<Choice>,
    relations: Vec<Choice>,
    /// Level-3/4 nodes for the form without JavaScript (the script replaces it with the cascade).
    categories: Vec<Choice>,
    v: FormValues,
    /// Field → message in the page language.
    errors: BTreeMap<String, String>,
    /// A message above the form (token refused, unexpected field).
    alert: String,
    today: String,
    description_min: usize,
    description_max: usize,
}

impl FormPage {
    fn err(&self, field: &str) -> &str {
        self.errors.get(field).map(String::as_str).unwrap_or_default()
    }
}

/// The level-3/4 categories a complaint of `hospital` may use (shared ones only without a
/// hospital), labelled with their path.
async fn fallback_categories(
    db: &impl ConnectionTrait,
    lang: Lang,
    hospital: Option<Uuid>,
    selected: &str,
) -> Result<Vec<Choice>, AppError> {
    // Without a hospital, the nil id owns nothing: the shared nodes only.
    let nodes = super::taxonomy::categories_for(db, hospital.unwrap_or(Uuid::nil())).await?;
    let by_id: HashMap<Uuid, &super::model::complaint_category::Model> = nodes.iter().map(|n| (n.id, n)).collect();
    let mut out: Vec<Choice> = nodes
        .iter()
        .filter(|n| n.level >= 3)
        .map(|n| {
            let mut path = vec![lang.pick(&n.name_en, &n.name_ar).to_owned()];
            let mut parent = n.parent_id;
            while let Some(p) = parent.and_then(|p| by_id.get(&p)) {
                path.push(lang.pick(&p.name_en, &p.name_ar).to_owned());
                parent = p.parent_id;
            }
            path.reverse();
            Choice {
                value: n.id.to_string(),
                label: path.join(" › "),
                hint: String::new(),
                selected: n.id.to_string() == selected,
            }
        })
        .collect();
    out.sort_by(|a, b| a.label.cmp(&b.label));
    Ok(out)
}

async fn form_page(
    state: &AppState,
    chrome: PublicChrome,
    v: FormValues,
    errors: BTreeMap<String, String>,
    alert: String,
    status: StatusCode,
) -> PageResult {
    let lang = chrome.lang;
    let mut hospitals = active_hospitals(&state.db).await?;
    hospitals.sort_by_key(|h| lang.pick(&h.name_en, &h.name_ar).to_lowercase());
    let chosen = Uuid::parse_str(&v.hospital_id).ok().filter(|id| hospitals.iter().any(|h| h.id == *id));
    let hospital_choices = hospitals
        .iter()
        .map(|h| Choice {
            value: h.id.to_string(),
            label: lang.pick(&h.name_en, &h.name_ar).to_owned(),
            hint: String::new(),
            selected: Some(h.id) == chosen,
        })
        .collect();
    let simple = |values: &[&str], prefix: &str, current: &str, hints: bool| -> Vec<Choice> {
        values
            .iter()
            .map(|value| Choice {
                value: (*value).to_owned(),
                label: lang.t(&format!("{prefix}-{value}")),
                hint: if hints { lang.t(&format!("{prefix}-{value}-hint")) } else { String::new() },
                selected: *value == current,
            })
            .collect()
    };
    let complaint_type = if v.complaint_type.is_empty() { "complaint" } else { v.complaint_type.as_str() };
    let source = if v.source.is_empty() { "patient" } else { v.source.as_str() };
    let types = simple(TYPES, "pub-type", complaint_type, true);
    let sources = simple(SOURCES, "pub-source", source, false);
    let relations = simple(RELATIONS, "pub-relation", &v.relation, false);
    let categories = fallback_categories(&state.db, lang, chosen, &v.category_id).await?;
    let now = Utc::now();
    let page = FormPage {
        token: form_token(state.config.secret_key.expose(), now.timestamp()),
        honeypot: HONEYPOT,
        hospitals: hospital_choices,
        types,
        sources,
        relations,
        categories,
        v,
        errors,
        alert,
        today: now.with_timezone(&super::calendar::riyadh()).format("%Y-%m-%d").to_string(),
        description_min: PUBLIC_DESCRIPTION_MIN,
        description_max: DESCRIPTION_MAX,
        chrome,
    };
    render(status, &page)
}

/// `GET /complaints/public/submit/` (`?hospital=<code>` preselects a hospital, `?lang=`).
async fn form_get(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> PageResult {
    let params = pairs(query.as_deref());
    let chrome =
        PublicChrome::new(&headers, Some(param(&params, "lang")), SUBMIT_PATH, query.as_deref(), "pub-form-title");
    let code = param(&params, "hospital").trim();
    let mut v = FormValues::default();
    if !code.is_empty()
        && let Some(h) = active_hospitals(&state.db).await?.into_iter().find(|h| h.code.eq_ignore_ascii_case(code))
    {
        v.hospital_id = h.id.to_string();
    }
    form_page(&state, chrome, v, BTreeMap::new(), String::new(), StatusCode::OK).await
}

/// The message shown beside a field, in the page language (the service's messages are for
/// the API).
fn field_message(lang: Lang, field: &str) -> Option<String> {
    let key = match field {
        "hospital_id" => "pub-err-hospital",
        "complaint_type" => "pub-err-type",
        "source" => "pub-err-source",
        "description" => "pub-err-description",
        "complainant_phone" => "pub-err-phone",
        "complainant_email" => "pub-err-email",
        "complainant_name" => "pub-err-name",
        "complainant_relation" => "pub-err-relation",
        "category_id" => "pub-err-category",
        "visit_date" => "pub-err-visit-date",
        _ => return None,
    };
    Some(lang.t(key))
}

/// `POST /complaints/public/submit/`: rate limit, honeypot, form token, then the service's
/// validation; success files the complaint and redirects to its confirmation (PRG).
async fn form_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    meta: RequestMeta,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> PageResult {
    let requested = param(&fields, "lang");
    let chrome = PublicChrome::new(&headers, Some(requested), SUBMIT_PATH, None, "pub-form-title");
    let lang = chrome.lang;
    if let Some(retry_after) = over_limit(&state, "submit", &meta.ip).await {
        return limited(chrome, SUBMIT_PATH, retry_after);
    }
    if !param(&fields, HONEYPOT).trim().is_empty() {
        // Looks like a success to the robot; nothing is stored.
        return Ok(Redirect::to(&with_lang(THANKS_PATH, lang)).into_response());
    }
    let v = FormValues::from_fields(&fields);
    let check = check_form_token(state.config.secret_key.expose(), param(&fields, TOKEN_FIELD), Utc::now().timestamp());
    if check != TokenCheck::Valid {
        let key = if check == TokenCheck::Expired { "pub-token-expired" } else { "pub-token-retry" };
        return form_page(&state, chrome, v, BTreeMap::new(), lang.t(key), StatusCode::BAD_REQUEST).await;
    }

    // What the service does not read: the ids' syntax, the visit date.
    let mut local = FieldErrors::new();
    let hospital_id = match v.hospital_id.as_str() {
        "" => None,
        raw => match Uuid::parse_str(raw) {
            Ok(id) => Some(id),
            Err(_) => {
                local.add("hospital_id", "Must be a valid UUID.");
                None
            }
        },
    };
    if hospital_id.is_none() && !local.0.contains_key("hospital_id") {
        local.add("hospital_id", "This field is required.");
    }
    let category_id = match v.category_id.as_str() {
        "" => None,
        raw => match Uuid::parse_str(raw) {
            Ok(id) => Some(id),
            Err(_) => {
                local.add("category_id", "Must be a valid UUID.");
                None
            }
        },
    };
    let riyadh_today = Utc::now().with_timezone(&super::calendar::riyadh()).date_naive();
    let visit_date = match v.visit_date.as_str() {
        "" => None,
        raw => match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(d) if d <= riyadh_today && d >= riyadh_today - chrono::Duration::days(5 * 366) => Some(d),
            _ => {
                local.add("visit_date", "Enter a past date as YYYY-MM-DD.");
                None
            }
        },
    };
    let source = if v.source.is_empty() { "patient".to_owned() } else { v.source.clone() };
    let relation = if source == "family" { v.relation.clone() } else { String::new() };
    if !relation.is_empty() && !RELATIONS.contains(&relation.as_str()) {
        local.add("complainant_relation", "Not a valid choice.");
    }
    let description = v.description.trim().to_owned();
    let length = description.chars().count();
    let input = ComplaintInput {
        hospital_id,
        complaint_type: Some(if v.complaint_type.is_empty() { "complaint".into() } else { v.complaint_type.clone() }),
        source: Some(source),
        complainant_name: Some(v.name.clone()),
        complainant_phone: Some(v.phone.clone()),
        complainant_email: Some(v.email.clone()),
        complainant_relation: Some(relation),
        category_id,
        description: Some(description),
        visit_date,
        ..ComplaintInput::default()
    };
    if let Some(t) = input.complaint_type.as_deref()
        && !TYPES.contains(&t)
    {
        local.add("complaint_type", "Not a valid choice.");
    }

    let result = if local.is_empty() {
        let mut actor = Actor::system();
        actor.meta = meta;
        service::create(&state, &actor, input, Origin::Public).await
    } else {
        // The service is not asked: name the typed fields' problems too, so every error shows
        // at once.
        if !(PUBLIC_DESCRIPTION_MIN..=DESCRIPTION_MAX).contains(&length) {
            local.add("description", "Length.");
        }
        let phone = validate::normalize_digits(v.phone.trim());
        if !phone.is_empty() && crate::domains::notifications::rules::normalize_address("sms", &phone).is_err() {
            local.add("complainant_phone", "Invalid.");
        }
        if !v.email.trim().is_empty() {
            validate::email(&mut local, "complainant_email", Some(&v.email));
        }
        Err(AppError::Validation(FieldErrors::new()))
    };
    match result {
        Ok(saved) => {
            let secure = if state.config.secure_cookies { "; Secure" } else { "" };
            let cookie = format!(
                "{SUBMITTED_COOKIE}={}; Path=/complaints/public/; HttpOnly; SameSite=Lax; Max-Age={SUBMITTED_COOKIE_SECS}{secure}",
                saved.reference_number
            );
            let to = with_lang(&format!("{SUBMITTED_PATH}{}/", saved.reference_number), lang);
            let mut response = Redirect::to(&to).into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, v);
            }
            Ok(response)
        }
        Err(AppError::Validation(e)) => {
            let mut errors = BTreeMap::new();
            let mut alert = String::new();
            for field in local.0.keys().chain(e.0.keys()) {
                match field_message(lang, field) {
                    Some(m) => {
                        errors.insert(field.clone(), m);
                    }
                    None => alert = lang.t("pub-err-general"),
                }
            }
            form_page(&state, chrome, v, errors, alert, StatusCode::BAD_REQUEST).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Confirmation

struct Confirmation {
    reference: String,
    type_label: String,
    hospital: String,
    due: Option<String>,
    track_href: String,
}

#[derive(Template)]
#[template(path = "complaints/public_submitted.html")]
struct SubmittedPage {
    chrome: PublicChrome,
    /// None: the generic thank-you page.
    found: Option<Confirmation>,
    form_href: String,
}

async fn live_by_reference(db: &impl ConnectionTrait, reference: &str) -> Result<Option<complaint::Model>, AppError> {
    Ok(complaint::Entity::find()
        .filter(complaint::Column::ReferenceNumber.eq(reference))
        .filter(complaint::Column::DeletedAt.is_null())
        .one(db)
        .await?)
}

/// `GET /complaints/public/submitted/{reference}/`: only for the browser whose cookie names
/// this reference; anyone else is sent to the tracking page.
async fn submitted(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let params = pairs(query.as_deref());
    let path = format!("{SUBMITTED_PATH}{reference}/");
    let chrome = PublicChrome::new(&headers, Some(param(&params, "lang")), &path, None, "pub-submitted-title");
    let lang = chrome.lang;
    let away = || Ok(Redirect::to(&with_lang(TRACK_PATH, lang)).into_response());
    let Some(reference) = normalize_reference(&reference) else { return away() };
    let ours = cookie(&headers, SUBMITTED_COOKIE)
        .and_then(normalize_reference)
        .is_some_and(|c| crate::auth::tokens::secure_eq(&c, &reference));
    if !ours {
        return away();
    }
    let Some(c) = live_by_reference(&state.db, &reference).await? else { return away() };
    let hospital = hospital::Entity::find_by_id(c.hospital_id).one(&state.db).await?;
    let found = Confirmation {
        type_label: kind_label(lang, &c.complaint_type),
        hospital: hospital.map(|h| lang.pick(&h.name_en, &h.name_ar).to_owned()).unwrap_or_default(),
        due: c.due_at.map(riyadh_time),
        track_href: format!("{TRACK_PATH}?reference={}&lang={}", c.reference_number, lang.code()),
        reference: c.reference_number,
    };
    let form_href = with_lang(SUBMIT_PATH, lang);
    render(StatusCode::OK, &SubmittedPage { chrome, found: Some(found), form_href })
}

/// `GET /complaints/public/thanks/`: the generic thank-you page (what a filled honeypot gets).
async fn thanks(headers: HeaderMap, RawQuery(query): RawQuery) -> PageResult {
    let params = pairs(query.as_deref());
    let chrome = PublicChrome::new(&headers, Some(param(&params, "lang")), THANKS_PATH, None, "pub-submitted-title");
    let form_href = with_lang(SUBMIT_PATH, chrome.lang);
    render(StatusCode::OK, &SubmittedPage { chrome, found: None, form_href })
}

// ---------------------------------------------------------------------------------------------
// Tracking

pub struct TimelineEntry {
    pub at: String,
    pub label: String,
    pub message: String,
}

struct Tracked {
    reference: String,
    type_label: String,
    hospital: String,
    status_label: String,
    badge: &'static str,
    received: String,
    due: Option<String>,
    /// Some(true) overdue, Some(false) on track, None when the clock does not run.
    overdue: Option<bool>,
    timeline: Vec<TimelineEntry>,
}

#[derive(Template)]
#[template(path = "complaints/public_track.html")]
struct TrackPage {
    chrome: PublicChrome,
    /// A lookup was made and found nothing (the same answer for every reason).
    not_found: bool,
    found: Option<Tracked>,
    form_href: String,
}

fn badge(status: &str) -> &'static str {
    match status {
        "open" => "text-bg-warning",
        "in_progress" => "text-bg-primary",
        "resolved" => "text-bg-success",
        "closed" => "text-bg-secondary",
        "cancelled" => "text-bg-danger",
        _ => "text-bg-light",
    }
}

fn status_key(status: &str) -> &'static str {
    match status {
        "open" => "pub-status-open",
        "in_progress" => "pub-status-in_progress",
        "resolved" => "pub-status-resolved",
        "closed" => "pub-status-closed",
        "cancelled" => "pub-status-cancelled",
        _ => "pub-status-unknown",
    }
}

/// The public entries of a timeline, labelled for the patient: the filing, status changes and
/// public notes. Nothing names staff.
fn public_entries(lang: Lang, updates: Vec<complaint_update::Model>) -> Vec<TimelineEntry> {
    updates
        .into_iter()
        .filter(|u| u.is_public)
        .filter_map(|u| {
            let label = match u.update_type.as_str() {
                "created" => lang.t("pub-tl-created"),
                "status" => {
                    let new = u.new_status.as_deref().unwrap_or_default();
                    if new == "in_progress" && u.old_status.as_deref() == Some("resolved") {
                        lang.t("pub-tl-reopened")
                    } else {
                        format!("{}: {}", lang.t("pub-tl-status"), lang.t(status_key(new)))
                    }
                }
                "note" => lang.t("pub-tl-note"),
                _ => return None,
            };
            let message = if u.update_type == "created" { String::new() } else { u.message };
            Some(TimelineEntry { at: riyadh_time(u.created_at), label, message })
        })
        .collect()
}

/// The complaint a tracking lookup names, if any: a well-formed reference of a live complaint,
/// and when `last4` is given, a complainant phone ending with those four digits.
async fn lookup(state: &AppState, reference: &str, last4: &str) -> Result<Option<complaint::Model>, AppError> {
    let Some(reference) = normalize_reference(reference) else { return Ok(None) };
    let Some(c) = live_by_reference(&state.db, &reference).await? else { return Ok(None) };
    let last4 = validate::normalize_digits(last4.trim());
    if !last4.is_empty() {
        let digits: String = c.complainant_phone.chars().filter(char::is_ascii_digit).collect();
        let ok = last4.len() == 4 && last4.chars().all(|ch| ch.is_ascii_digit()) && digits.ends_with(&last4);
        if !ok {
            return Ok(None);
        }
    }
    Ok(Some(c))
}

/// `GET /complaints/public/track/` (the form) and `?reference=…[&phone=NNNN]` (the result).
async fn track(
    State(state): State<AppState>,
    headers: HeaderMap,
    meta: RequestMeta,
    RawQuery(query): RawQuery,
) -> PageResult {
    let params = pairs(query.as_deref());
    let requested = param(&params, "lang");
    let reference = param(&params, "reference").trim();
    if reference.is_empty() {
        let chrome = PublicChrome::new(&headers, Some(requested), TRACK_PATH, None, "pub-track-title");
        let form_href = with_lang(SUBMIT_PATH, chrome.lang);
        return render(StatusCode::OK, &TrackPage { chrome, not_found: false, found: None, form_href });
    }
    // Not found: the page must not echo what was typed (every miss gets the same body).
    let plain = PublicChrome::new(&headers, Some(requested), TRACK_PATH, None, "pub-track-title");
    if let Some(retry_after) = over_limit(&state, "track", &meta.ip).await {
        return limited(plain, TRACK_PATH, retry_after);
    }
    let Some(c) = lookup(&state, reference, param(&params, "phone")).await? else {
        let form_href = with_lang(SUBMIT_PATH, plain.lang);
        return render(StatusCode::OK, &TrackPage { chrome: plain, not_found: true, found: None, form_href });
    };
    let chrome = PublicChrome::new(&headers, Some(requested), TRACK_PATH, query.as_deref(), "pub-track-title");
    let lang = chrome.lang;
    let hospital = hospital::Entity::find_by_id(c.hospital_id).one(&state.db).await?;
    let running = ComplaintStatus::parse(&c.status).is_some_and(|s| s.sla_running());
    let overdue = match (running, c.due_at) {
        (true, Some(due)) => Some(c.is_overdue || due < Utc::now()),
        _ => None,
    };
    let updates = service::timeline(&state.db, c.id, true).await?;
    let found = Tracked {
        type_label: kind_label(lang, &c.complaint_type),
        hospital: hospital.map(|h| lang.pick(&h.name_en, &h.name_ar).to_owned()).unwrap_or_default(),
        status_label: lang.t(status_key(&c.status)),
        badge: badge(&c.status),
        received: riyadh_time(c.received_at),
        due: c.due_at.map(riyadh_time),
        overdue,
        timeline: public_entries(lang, updates),
        reference: c.reference_number,
    };
    let form_href = with_lang(SUBMIT_PATH, lang);
    render(StatusCode::OK, &TrackPage { chrome, not_found: false, found: Some(found), form_href })
}

pub fn page_routes() -> Router<AppState> {
    Router::new()
        .route(SUBMIT_PATH, get(form_get).post(form_post))
        .route("/complaints/public/submitted/{reference}/", get(submitted))
        .route(THANKS_PATH, get(thanks))
        .route(TRACK_PATH, get(track))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_tokens_are_checked_for_signature_and_age() {
        let secret = "s3cret";
        let now = 1_700_000_000;
        assert_eq!(check_form_token(secret, &form_token(secret, now - 10), now), TokenCheck::Valid);
        assert_eq!(check_form_token(secret, &form_token(secret, now - 1), now), TokenCheck::TooFresh);
        assert_eq!(
            check_form_token(secret, &form_token(secret, now - FORM_MAX_AGE_SECS - 1), now),
            TokenCheck::Expired
        );
        assert_eq!(check_form_token("other", &form_token(secret, now - 10), now), TokenCheck::Invalid);
        let forged = form_token(secret, now - 10).replacen(&(now - 10).to_string(), &(now - 20).to_string(), 1);
        assert_eq!(check_form_token(secret, &forged, now), TokenCheck::Invalid);
        for bad in ["", "abc", "123.", ".ff", "x.y", "123.zz"] {
            assert_eq!(check_form_token(secret, bad, now), TokenCheck::Invalid, "{bad}");
        }
    }
}
