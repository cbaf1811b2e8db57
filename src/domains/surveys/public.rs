//! The patient's survey page `/s/{token}/` (no login, phone first, both languages, works without
//! JavaScript) and its thank-you page.
//!
//! - One page with every question. A question hidden by its condition is rendered inside a
//!   `<fieldset hidden disabled data-show-if-…>`: without JavaScript it is not posted, and the
//!   server shows it once the posted answers reveal it ([`rules::Checked::revealed`]);
//!   `assets/js/survey.js` shows it live and moves the progress bar.
//! - The language is the survey's unless `?lang=` asks for the other one (kept on the form's
//!   action); Arabic pages are right-to-left.
//! - "Save and finish later" keeps the answers (`finish=0`); "Submit" (`finish=1`) completes when
//!   everything shown is answered, else the page comes back with each error beside its question.
//! - No CSRF token: there is no session to ride on, and the token in the URL is the capability
//!   (a forged cross-site post would have to know it already).
//! - Closed links answer kindly: unknown or malformed 404, expired/cancelled/unavailable 410,
//!   already answered 409. Unknown tokens are counted per client address; over
//!   `public_rate_limit_per_hour` every survey link from that address answers 429 until the
//!   window ends (so the limit is not itself a way to tell good tokens from bad).
//! - Every response carries `Referrer-Policy: no-referrer` and `Cache-Control: no-store`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use sea_orm::EntityTrait;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::model::survey_instance;
use super::respond::{self, Closed, Open, Submitted};
use super::rules::{self, Answer, AnswerError, Question};
use super::{delivery, rules::Definition};
use crate::app::AppState;
use crate::auth::RequestMeta;
use crate::domains::integrations::ratelimit::{self, Decision};
use crate::domains::organizations::model::{hospital, patient};
use crate::error::AppError;
use crate::i18n::{Lang, riyadh_time};
use crate::web::public::PublicChrome;
use crate::web::{PageResult, render};

/// Form fields that are not answers.
const LANG_FIELD: &str = "lang";
const FINISH_FIELD: &str = "finish";

fn pairs(query: Option<&str>) -> Vec<(String, String)> {
    query.and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default()
}

fn param<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or_default()
}

fn page_path(token: &str) -> String {
    format!("/s/{token}/")
}

/// The headers of every survey page: the link must not leak through `Referer`, nor stay in a
/// shared cache.
pub fn private(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn private_page(result: PageResult) -> Response {
    private(result.into_response())
}

// ---------------------------------------------------------------------------------------------
// Kind pages: closed links, limits, bad posts, thanks

/// A short bilingual page: an icon, a heading and a sentence (closed links, limits, thanks).
#[derive(Template)]
#[template(path = "surveys/public/message.html")]
pub struct MessagePage {
    pub chrome: PublicChrome,
    /// The element id tests and scripts find the page by (`survey-closed`, `survey-thanks`, …).
    pub id: &'static str,
    pub icon: &'static str,
    pub tone: &'static str,
    pub heading: String,
    pub text: String,
}

/// Which kind page to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Unknown,
    Expired,
    Completed,
    Unavailable,
    Thanks,
    Limited,
    BadRequest,
    TooLarge,
    KioskUnknown,
}

impl Kind {
    fn of(closed: Closed) -> Kind {
        match closed {
            Closed::Unknown => Kind::Unknown,
            Closed::Expired => Kind::Expired,
            Closed::Completed => Kind::Completed,
            Closed::Unavailable => Kind::Unavailable,
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Kind::Unknown | Kind::KioskUnknown => StatusCode::NOT_FOUND,
            Kind::Expired | Kind::Unavailable => StatusCode::GONE,
            Kind::Completed => StatusCode::CONFLICT,
            Kind::Thanks => StatusCode::OK,
            Kind::Limited => StatusCode::TOO_MANY_REQUESTS,
            Kind::BadRequest => StatusCode::BAD_REQUEST,
            Kind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }

    /// (element id, icon, tone, locale key stem)
    fn looks(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Kind::Unknown => ("survey-closed", "link-45deg", "secondary", "sp-unknown"),
            Kind::Expired => ("survey-closed", "hourglass-bottom", "secondary", "sp-expired"),
            Kind::Unavailable => ("survey-closed", "hourglass-bottom", "secondary", "sp-unavailable"),
            Kind::Completed => ("survey-answered", "check2-circle", "success", "sp-completed"),
            Kind::Thanks => ("survey-thanks", "heart", "success", "sp-thanks"),
            Kind::Limited => ("rate-limited", "hourglass-split", "warning", "sp-limited"),
            Kind::BadRequest => ("survey-bad-request", "exclamation-circle", "danger", "sp-bad-request"),
            Kind::TooLarge => ("survey-too-large", "exclamation-circle", "danger", "sp-too-large"),
            Kind::KioskUnknown => ("kiosk-closed", "qr-code", "secondary", "sp-kiosk-unknown"),
        }
    }
}

/// The kind page `kind` in `chrome`'s language, with its status and the private headers.
pub fn message(chrome: PublicChrome, kind: Kind) -> Response {
    let (id, icon, tone, stem) = kind.looks();
    let page = MessagePage {
        heading: chrome.t(&format!("{stem}-heading")),
        text: chrome.t(&format!("{stem}-text")),
        chrome,
        id,
        icon,
        tone,
    };
    private_page(render(kind.status(), &page))
}

/// The 429 page with `Retry-After`.
pub fn limited(chrome: PublicChrome, retry_after: u64) -> Response {
    let mut response = message(chrome, Kind::Limited);
    if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

// ---------------------------------------------------------------------------------------------
// Rate limits

/// The limiter's subject of `kind` requests from `ip`.
fn subject(kind: &str, ip: &str) -> Uuid {
    let digest = Sha256::digest(format!("px360-survey:{kind}:{ip}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

/// Counts one request of `kind` from `ip` against `public_rate_limit_per_hour`;
/// `Some(retry_after)` when over it.
pub async fn over_limit(state: &AppState, kind: &str, ip: &str) -> Option<u64> {
    over_limit_times(state, kind, ip, 1).await
}

/// [`over_limit`] with `times` the configured hourly limit (kiosks: a waiting room behind one
/// address scans many times an hour).
pub async fn over_limit_times(state: &AppState, kind: &str, ip: &str, times: u32) -> Option<u64> {
    let limit = state.config.public_rate_limit_per_hour.saturating_mul(times);
    match ratelimit::limiter(state).hit_window(subject(kind, ip), limit, 3600).await {
        Decision::Allowed => None,
        Decision::Limited { retry_after } => Some(retry_after),
    }
}

/// Addresses that guessed too many links, and until when every survey link answers them 429.
fn blocked_map() -> &'static Mutex<HashMap<Uuid, Instant>> {
    static BLOCKED: OnceLock<Mutex<HashMap<Uuid, Instant>>> = OnceLock::new();
    BLOCKED.get_or_init(Default::default)
}

/// Seconds left of the block on `ip`, if any.
fn blocked(ip: &str) -> Option<u64> {
    let key = subject("unknown", ip);
    let map = blocked_map().lock().unwrap_or_else(|p| p.into_inner());
    map.get(&key).and_then(|until| until.checked_duration_since(Instant::now())).map(|d| d.as_secs().max(1))
}

/// The block on `ip`, for a token that opens no survey: a patient's real link always opens, even
/// from an address (a shared hospital Wi-Fi, a carrier's NAT) that someone else blocked.
async fn blocked_guess(state: &AppState, ip: &str, token: &str) -> Option<u64> {
    let retry_after = blocked(ip)?;
    match delivery::by_token(&state.db, token).await {
        Ok(Some(_)) => None,
        _ => Some(retry_after),
    }
}

fn block(ip: &str, retry_after: u64) {
    let now = Instant::now();
    let mut map = blocked_map().lock().unwrap_or_else(|p| p.into_inner());
    map.retain(|_, until| *until > now);
    map.insert(subject("unknown", ip), now + Duration::from_secs(retry_after));
}

/// An unknown token from `ip`: counted; the 404 page, or 429 once over the limit.
async fn unknown(state: &AppState, chrome: PublicChrome, ip: &str) -> Response {
    match over_limit(state, "unknown", ip).await {
        Some(retry_after) => {
            block(ip, retry_after);
            limited(chrome, retry_after)
        }
        None => message(chrome, Kind::Unknown),
    }
}

/// A closed link's page (unknown ones counted).
async fn closed(state: &AppState, chrome: PublicChrome, ip: &str, closed: Closed) -> Response {
    match closed {
        Closed::Unknown => unknown(state, chrome, ip).await,
        other => message(chrome, Kind::of(other)),
    }
}

// ---------------------------------------------------------------------------------------------
// The page

/// One option of a choice, rating, NPS, yes/no or Likert question.
pub struct OptionView {
    pub id: String,
    pub value: String,
    pub label: String,
    /// A longer name for screen readers (e.g. "4 of 5 stars"); empty: the label.
    pub aria: String,
    pub checked: bool,
}

pub struct QuestionView {
    pub code: String,
    pub number: usize,
    pub text: String,
    /// rating | nps | yes_no | likert | multiple_choice | text | textarea
    pub kind: String,
    pub required: bool,
    pub shown: bool,
    /// Revealed by the last post: shown for the first time.
    pub is_new: bool,
    pub show_if: Option<rules::ShowIf>,
    pub options: Vec<OptionView>,
    pub multiple: bool,
    pub text_value: String,
    pub error: String,
    pub hint_low: String,
    pub hint_high: String,
}

impl QuestionView {
    pub fn is_text(&self) -> bool {
        self.kind == "text" || self.kind == "textarea"
    }
}

#[derive(Template)]
#[template(path = "surveys/public/page.html")]
struct SurveyPage {
    chrome: PublicChrome,
    action: String,
    title: String,
    description: String,
    greeting: String,
    hospital: String,
    expires: String,
    questions: Vec<QuestionView>,
    percent: u8,
    progress_text: String,
    /// An alert above the form: errors to fix, saved, or new questions shown.
    alert: String,
    alert_tone: &'static str,
    /// Errors of questions the page does not show (an answer to a hidden question).
    hidden_errors: Vec<String>,
    max_text: usize,
}

fn option(code: &str, value: String, label: String, aria: String, checked: bool) -> OptionView {
    OptionView { id: format!("a-{code}-{value}"), value, label, aria, checked }
}

fn options_of(lang: Lang, q: &Question, answer: Option<&Answer>) -> Vec<OptionView> {
    let number = match answer {
        Some(Answer::Number(n)) => Some(*n),
        _ => None,
    };
    let numbers = |lo: i64, hi: i64, aria: &dyn Fn(i64) -> String| -> Vec<OptionView> {
        (lo..=hi).map(|n| option(&q.code, n.to_string(), n.to_string(), aria(n), number == Some(n as f64))).collect()
    };
    match q.question_type.as_str() {
        "rating" => numbers(1, 5, &|n| lang.tn("sp-stars", n)),
        "nps" => numbers(0, 10, &|_| String::new()),
        "likert" => (1..=5)
            .map(|n| {
                option(
                    &q.code,
                    n.to_string(),
                    lang.t(&format!("sp-likert-{n}")),
                    String::new(),
                    number == Some(n as f64),
                )
            })
            .collect(),
        "yes_no" => vec![
            option(&q.code, "yes".into(), lang.t("sp-yes"), String::new(), number == Some(1.0)),
            option(&q.code, "no".into(), lang.t("sp-no"), String::new(), number == Some(0.0)),
        ],
        "multiple_choice" => {
            let chosen: &[String] = match answer {
                Some(Answer::Choices(c)) => c,
                _ => &[],
            };
            q.choices
                .iter()
                .enumerate()
                .map(|(i, c)| OptionView {
                    id: format!("a-{}-{i}", q.code),
                    value: c.value.clone(),
                    label: lang.pick(&c.label_en, &c.label_ar).to_owned(),
                    aria: String::new(),
                    checked: chosen.contains(&c.value),
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

/// What the page shows after a post (none on a plain GET).
#[derive(Default)]
struct Outcome {
    errors: BTreeMap<String, AnswerError>,
    revealed: Vec<String>,
    /// The raw text posted for text questions refused (kept in the box).
    raw_text: BTreeMap<String, String>,
    saved: bool,
}

async fn page(state: &AppState, chrome: PublicChrome, token: &str, open: &Open, outcome: Outcome) -> Response {
    match build_page(state, chrome, token, open, outcome).await {
        Ok(r) => r,
        Err(e) => private(e.into_response()),
    }
}

async fn build_page(
    state: &AppState,
    chrome: PublicChrome,
    token: &str,
    open: &Open,
    outcome: Outcome,
) -> Result<Response, crate::web::PageError> {
    let lang = chrome.lang;
    let def: &Definition = &open.definition;
    let s = &open.survey;
    let shown = rules::visible(def, &open.answers);
    let mut questions = Vec::with_capacity(def.questions.len());
    let (mut total, mut answered) = (0, 0);
    for (i, (q, on)) in def.questions.iter().zip(&shown).enumerate() {
        let answer = open.answers.get(&q.code);
        if *on {
            total += 1;
            if answer.is_some() {
                answered += 1;
            }
        }
        let text_value = match (outcome.raw_text.get(&q.code), answer) {
            (Some(raw), _) => raw.clone(),
            (None, Some(Answer::Text(t))) => t.clone(),
            _ => String::new(),
        };
        let (hint_low, hint_high) = match q.question_type.as_str() {
            "nps" => (lang.t("sp-nps-low"), lang.t("sp-nps-high")),
            "rating" => (lang.t("sp-rating-low"), lang.t("sp-rating-high")),
            _ => (String::new(), String::new()),
        };
        questions.push(QuestionView {
            code: q.code.clone(),
            number: i + 1,
            text: lang.pick(&q.text_en, &q.text_ar).to_owned(),
            kind: q.question_type.clone(),
            required: q.is_required,
            shown: *on,
            is_new: outcome.revealed.contains(&q.code),
            show_if: q.show_if.clone(),
            options: options_of(lang, q, answer),
            multiple: q.question_type == "multiple_choice" && q.allow_multiple,
            text_value,
            error: outcome
                .errors
                .get(&q.code)
                .map(|e| lang.t(&format!("survey-error-{}", e.key())))
                .unwrap_or_default(),
            hint_low,
            hint_high,
        });
    }
    let hospital = hospital::Entity::find_by_id(s.hospital_id).one(&state.db).await?;
    let greeting = match s.patient_id {
        Some(p) => patient::Entity::find_by_id(p)
            .one(&state.db)
            .await?
            .map(|p| lang.pick(&p.first_name_en, &p.first_name_ar).trim().to_owned())
            .filter(|n| !n.is_empty())
            .map(|n| format!("{} {n}", lang.t("sp-hello")))
            .unwrap_or_default(),
        None => String::new(),
    };
    let (alert, alert_tone) = if !outcome.errors.is_empty() {
        (lang.t("sp-alert-errors"), "danger")
    } else if !outcome.revealed.is_empty() {
        (lang.t("sp-alert-revealed"), "info")
    } else if outcome.saved {
        (lang.t("sp-alert-saved"), "success")
    } else {
        (String::new(), "info")
    };
    let hidden_errors = questions
        .iter()
        .filter(|q| !q.shown && !q.error.is_empty())
        .map(|q| format!("{}: {}", q.text, q.error))
        .collect();
    let status = if outcome.errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let page = SurveyPage {
        action: format!("{}?lang={}", page_path(token), lang.code()),
        title: lang.pick(&def.name_en, &def.name_ar).to_owned(),
        description: lang.pick(&def.description_en, &def.description_ar).to_owned(),
        greeting,
        hospital: hospital.map(|h| lang.pick(&h.name_en, &h.name_ar).to_owned()).unwrap_or_default(),
        expires: riyadh_time(s.token_expires_at).chars().take(10).collect(),
        percent: rules::progress(def, &open.answers),
        progress_text: format!("{answered} {} {total}", lang.t("sp-progress-of")),
        questions,
        alert,
        alert_tone,
        hidden_errors,
        max_text: rules::MAX_TEXT,
        chrome,
    };
    Ok(private_page(render(status, &page)))
}

/// The chrome of a survey page: `?lang=` (or the posted `lang`), else the survey's language.
fn chrome_for(headers: &HeaderMap, requested: &str, survey_lang: Option<&str>, path: &str) -> PublicChrome {
    let lang = Lang::parse(requested).or_else(|| survey_lang.and_then(Lang::parse));
    let code = lang.map(|l| l.code()).unwrap_or("");
    PublicChrome::new(headers, Some(code), path, Some(&format!("lang={code}")), "sp-title")
}

/// The survey's language without opening it (for closed pages).
async fn language_of(state: &AppState, token: &str) -> Option<String> {
    delivery::by_token(&state.db, token).await.ok().flatten().map(|s: survey_instance::Model| s.language)
}

/// `GET /s/{token}/`
async fn survey_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    meta: RequestMeta,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = pairs(query.as_deref());
    let requested = param(&params, LANG_FIELD);
    let path = page_path(&token);
    if let Some(retry_after) = blocked_guess(&state, &meta.ip, &token).await {
        return limited(chrome_for(&headers, requested, None, &path), retry_after);
    }
    match respond::open(&state, &token).await {
        Ok(Ok(open)) => {
            let chrome = chrome_for(&headers, requested, Some(&open.survey.language), &path);
            page(&state, chrome, &token, &open, Outcome::default()).await
        }
        Ok(Err(c)) => {
            let lang = language_of(&state, &token).await;
            let chrome = chrome_for(&headers, requested, lang.as_deref(), &path);
            closed(&state, chrome, &meta.ip, c).await
        }
        Err(e) => private(crate::web::PageError(e).into_response()),
    }
}

/// `POST /s/{token}/`: saves the answers; `finish=1` completes (→ the thank-you page).
async fn survey_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    meta: RequestMeta,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let params = pairs(query.as_deref());
    let path = page_path(&token);
    let body = match body {
        Ok(b) => b,
        Err(rejection) => {
            let chrome = chrome_for(&headers, param(&params, LANG_FIELD), None, &path);
            let kind =
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE { Kind::TooLarge } else { Kind::BadRequest };
            return message(chrome, kind);
        }
    };
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let requested = match param(&fields, LANG_FIELD) {
        "" => param(&params, LANG_FIELD).to_owned(),
        l => l.to_owned(),
    };
    if let Some(retry_after) = blocked_guess(&state, &meta.ip, &token).await {
        return limited(chrome_for(&headers, &requested, None, &path), retry_after);
    }
    let finish = matches!(param(&fields, FINISH_FIELD), "1" | "true" | "yes");
    let mut posted: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in &fields {
        if k != LANG_FIELD && k != FINISH_FIELD {
            posted.entry(k.clone()).or_default().push(v.clone());
        }
    }
    match respond::submit(&state, &token, &posted, finish).await {
        Ok(Ok(Submitted::Completed(s))) => {
            let lang = Lang::parse(&requested).or_else(|| Lang::parse(&s.language)).unwrap_or(Lang::Ar);
            private(Redirect::to(&format!("{path}thanks/?lang={}", lang.code())).into_response())
        }
        Ok(Ok(Submitted::Saved { open, checked })) => {
            let chrome = chrome_for(&headers, &requested, Some(&open.survey.language), &path);
            let raw_text = checked
                .errors
                .keys()
                .filter(|code| open.definition.question(code).is_some_and(|q| q.question_type.starts_with("text")))
                .filter_map(|code| posted.get(code).map(|v| (code.clone(), v.join("\n").trim().to_owned())))
                .collect();
            let checked = *checked;
            let outcome = Outcome { errors: checked.errors, revealed: checked.revealed, raw_text, saved: !finish };
            page(&state, chrome, &token, &open, outcome).await
        }
        Ok(Err(c)) => {
            let lang = language_of(&state, &token).await;
            let chrome = chrome_for(&headers, &requested, lang.as_deref(), &path);
            closed(&state, chrome, &meta.ip, c).await
        }
        Err(AppError::Validation(_)) => {
            let lang = language_of(&state, &token).await;
            message(chrome_for(&headers, &requested, lang.as_deref(), &path), Kind::BadRequest)
        }
        Err(AppError::Conflict(..)) => {
            let lang = language_of(&state, &token).await;
            message(chrome_for(&headers, &requested, lang.as_deref(), &path), Kind::Completed)
        }
        Err(e) => private(crate::web::PageError(e).into_response()),
    }
}

/// `GET /s/{token}/thanks/`: the thank-you page of a completed survey (others go to the survey).
async fn thanks(
    State(state): State<AppState>,
    headers: HeaderMap,
    meta: RequestMeta,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = pairs(query.as_deref());
    let requested = param(&params, LANG_FIELD);
    let path = page_path(&token);
    if let Some(retry_after) = blocked_guess(&state, &meta.ip, &token).await {
        return limited(chrome_for(&headers, requested, None, &path), retry_after);
    }
    match delivery::by_token(&state.db, &token).await {
        Ok(Some(s)) if s.status == "completed" => {
            message(chrome_for(&headers, requested, Some(&s.language), &format!("{path}thanks/")), Kind::Thanks)
        }
        Ok(Some(s)) => {
            let lang = Lang::parse(requested).or_else(|| Lang::parse(&s.language)).unwrap_or(Lang::Ar);
            private(Redirect::to(&format!("{path}?lang={}", lang.code())).into_response())
        }
        Ok(None) => unknown(&state, chrome_for(&headers, requested, None, &path), &meta.ip).await,
        Err(e) => private(crate::web::PageError(e).into_response()),
    }
}

pub fn page_routes() -> Router<AppState> {
    Router::new().route("/s/{token}/", get(survey_get).post(survey_post)).route("/s/{token}/thanks/", get(thanks))
}
