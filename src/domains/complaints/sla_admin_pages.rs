//! The SLA settings pages: `/complaints/settings/sla/` (the effective severity × priority grid,
//! the source rows, the hospital's rows with a form, and the preview), `/complaints/settings/escalation/`
//! (the complaint and action chains) and `/complaints/settings/calendar/` (working week, holidays
//! and special hours, and the next 14 days). PX admins edit; hospital admins read their hospital.

use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

use super::calendar::{ClockMode, riyadh};
use super::model::{calendar_holiday, escalation_rule, sla_config};
use super::settings::calendar_from_rows;
use super::sla::{
    self, AppliesTo, ComplaintSource, EscalationRule, EscalationTarget, Priority, Severity, SlaRule, default_grid_rule,
    default_source_rule,
};
use super::sla_admin::{
    self, CalendarInput, EscalationRuleInput, HolidayInput, PreviewQuery, SlaConfigInput, SlaPreview, format_hhmm,
    visible_hospital,
};
use crate::app::AppState;
use crate::auth::{CsrfForm, PageActor, Permission, Role};
use crate::domains::accounts::model::user;
use crate::domains::organizations::model::{department, hospital};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::i18n::Lang;
use crate::web::{Chrome, PageResult, render};

const SLA_PATH: &str = "/complaints/settings/sla/";
const ESCALATION_PATH: &str = "/complaints/settings/escalation/";
const CALENDAR_PATH: &str = "/complaints/settings/calendar/";

pub fn page_routes() -> Router<AppState> {
    Router::new()
        .route(SLA_PATH, get(sla_page).post(sla_create))
        .route("/complaints/settings/sla/{id}/", post(sla_update))
        .route("/complaints/settings/sla/{id}/delete/", post(sla_delete))
        .route(ESCALATION_PATH, get(escalation_page).post(escalation_create))
        .route("/complaints/settings/escalation/{id}/", post(escalation_update))
        .route("/complaints/settings/escalation/{id}/delete/", post(escalation_delete))
        .route(CALENDAR_PATH, get(calendar_page).post(calendar_save))
        .route("/complaints/settings/calendar/holidays/", post(holiday_create))
        .route("/complaints/settings/calendar/holidays/{id}/delete/", post(holiday_delete))
}

// ---------------------------------------------------------------------------------------------
// Shared
// ---------------------------------------------------------------------------------------------

/// The query string's pairs.
fn query_pairs(uri: &OriginalUri) -> Vec<(String, String)> {
    uri.query().and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default()
}

fn query_get(pairs: &[(String, String)], name: &str) -> String {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).unwrap_or_default()
}

/// The hospital a settings page shows, and what the visitor may do there.
pub struct Ctx {
    /// `None`: a PX admin who has not picked a hospital yet.
    pub hospital_id: Option<Uuid>,
    pub hospital_name: String,
    pub can_manage: bool,
    /// For the picker (PX admins).
    pub hospitals: Vec<(Uuid, String)>,
    /// `?hospital_id=…` (or "") to keep the hospital in links.
    pub qs: String,
}

impl Ctx {
    pub fn is_selected(&self, id: &Uuid) -> bool {
        self.hospital_id.as_ref() == Some(id)
    }

    pub fn hid(&self) -> String {
        self.hospital_id.map(|h| h.to_string()).unwrap_or_default()
    }
}

/// PX admins: `requested` (a query or form value), else the hospital chosen in the header;
/// others: their own hospital.
async fn context(state: &AppState, page: &PageActor, lang: Lang, requested: Option<Uuid>) -> AppResult<Ctx> {
    let actor = &page.actor;
    actor.require(state, Permission::ViewSlaSettings).await?;
    let id = if actor.role == Role::PxAdmin { requested.or(actor.selected_hospital) } else { actor.hospital_id };
    let mut hospitals = Vec::new();
    if actor.role == Role::PxAdmin {
        let all = hospital::Entity::find()
            .filter(hospital::Column::DeletedAt.is_null())
            .order_by_asc(hospital::Column::Code)
            .all(&state.db)
            .await?;
        hospitals = all.iter().map(|h| (h.id, lang.pick(&h.name_en, &h.name_ar).to_owned())).collect();
    }
    let (hospital_id, hospital_name) = match id {
        Some(id) => {
            let h = visible_hospital(state, actor, id).await?;
            (Some(h.id), lang.pick(&h.name_en, &h.name_ar).to_owned())
        }
        None => (None, String::new()),
    };
    Ok(Ctx {
        hospital_id,
        hospital_name,
        can_manage: actor.role.may(Permission::ManageSlaSettings),
        hospitals,
        qs: hospital_id.map(|h| format!("?hospital_id={h}")).unwrap_or_default(),
    })
}

fn form_uuid(form: &CsrfForm, name: &str) -> Option<Uuid> {
    Uuid::parse_str(&form.get(name)).ok()
}

/// A number field of a form: blank = absent; not a number = a value every range refuses.
fn form_number(form: &CsrfForm, name: &str) -> Option<i64> {
    match form.get(name).as_str() {
        "" => None,
        raw => Some(raw.parse().unwrap_or(i64::MIN)),
    }
}

fn opt(s: String) -> Option<String> {
    if s.is_empty() { None } else { Some(s) }
}

fn clock_label(lang: Lang, mode: ClockMode) -> String {
    lang.t(&format!("sla-clock-{}", mode.as_str()))
}

fn severity_label(lang: Lang, s: &str) -> String {
    lang.t(&format!("sla-severity-{s}"))
}
fn priority_label(lang: Lang, s: &str) -> String {
    lang.t(&format!("sla-priority-{s}"))
}
fn source_label(lang: Lang, s: &str) -> String {
    lang.t(&format!("sla-source-{s}"))
}
fn applies_label(lang: Lang, s: &str) -> String {
    lang.t(&format!("sla-applies-{s}"))
}
fn target_label(lang: Lang, s: &str) -> String {
    lang.t(&format!("sla-target-{s}"))
}

fn choices(lang: Lang, values: &[&str], label: fn(Lang, &str) -> String) -> Vec<(String, String)> {
    values.iter().map(|v| ((*v).to_owned(), label(lang, v))).collect()
}

/// The service's fixed messages in the reader's language (others are shown as they are).
const MESSAGES: &[(&str, &str)] = &[
    ("This field is required.", "sla-err-required"),
    ("This field is required when no source is given.", "sla-err-grid-needs-both"),
    ("This hospital already has an SLA row for this source.", "sla-err-duplicate"),
    ("Invalid pk - object does not exist.", "sla-err-unknown"),
    ("The closing time must be after the opening time.", "sla-err-closes"),
    ("The last day must be on or after the first day.", "sla-err-ends-on"),
    ("At least one day of the week must be a working day.", "sla-err-weekend"),
    ("Enter a time as HH:MM (00:00–23:59).", "sla-err-time"),
    ("Date has wrong format. Use YYYY-MM-DD.", "sla-err-date"),
    ("Enter a date and time: RFC 3339, or YYYY-MM-DDTHH:MM in Riyadh time.", "sla-err-datetime"),
];

/// Field errors as "label: message" lines for the alert at the top of a form, in the reader's
/// language where the field and the message are known.
fn error_lines(lang: Lang, errors: &FieldErrors) -> Vec<String> {
    errors
        .0
        .iter()
        .flat_map(|(f, ms)| {
            let key = format!("sla-field-{f}");
            let label = match lang.t(&key) {
                l if l == key || l.is_empty() => f.clone(),
                l => l,
            };
            ms.iter().map(move |m| {
                let message = MESSAGES.iter().find(|(en, _)| en == m).map_or_else(|| m.clone(), |(_, k)| lang.t(k));
                format!("{label}: {message}")
            })
        })
        .collect()
}

fn redirect(path: &str, hospital_id: Uuid) -> PageResult {
    Ok(Redirect::to(&format!("{path}?hospital_id={hospital_id}&saved=1")).into_response())
}

// ---------------------------------------------------------------------------------------------
// SLA page
// ---------------------------------------------------------------------------------------------

pub struct Cell {
    pub hours: i64,
    pub clock: String,
    pub lead: i64,
    pub second: Option<i64>,
    pub hospital: bool,
    /// Edit this hospital row, or start a new row for this cell.
    pub href: String,
}

pub struct GridRow {
    pub label: String,
    pub cells: Vec<Cell>,
}

pub struct SourceLine {
    pub source: String,
    pub label: String,
    /// hospital | default | none (the grid applies).
    pub kind: &'static str,
    pub hours: i64,
    pub clock: String,
    pub first: String,
    pub second: String,
    pub escalation: String,
    pub href: String,
}

pub struct RowLine {
    pub id: Uuid,
    pub applies: String,
    pub target: String,
    pub hours: i32,
    pub clock: String,
    pub reminders: String,
    pub is_active: bool,
}

/// The values of the row form, as typed.
#[derive(Debug, Clone)]
pub struct SlaForm {
    pub id: Option<Uuid>,
    pub applies_to: String,
    pub source: String,
    pub severity: String,
    pub priority: String,
    pub sla_hours: String,
    pub clock_mode: String,
    pub reminder_hours_before: String,
    pub second_reminder_enabled: bool,
    pub second_reminder_hours_before: String,
    pub first_reminder_hours_after: String,
    pub second_reminder_hours_after: String,
    pub escalation_hours_after: String,
    pub thank_you_email_enabled: bool,
    pub is_active: bool,
}

impl SlaForm {
    fn from_rule(rule: &SlaRule) -> SlaForm {
        SlaForm {
            id: None,
            applies_to: "complaint".into(),
            source: String::new(),
            severity: String::new(),
            priority: String::new(),
            sla_hours: rule.sla_hours.to_string(),
            clock_mode: rule.clock_mode.as_str().into(),
            reminder_hours_before: rule.reminder_hours_before.to_string(),
            second_reminder_enabled: rule.second_reminder_enabled,
            second_reminder_hours_before: rule.second_reminder_hours_before.to_string(),
            first_reminder_hours_after: rule.first_reminder_hours_after.to_string(),
            second_reminder_hours_after: rule.second_reminder_hours_after.to_string(),
            escalation_hours_after: rule.escalation_hours_after.to_string(),
            thank_you_email_enabled: rule.thank_you_email_enabled,
            is_active: true,
        }
    }

    fn from_row(m: &sla_config::Model) -> SlaForm {
        SlaForm {
            id: Some(m.id),
            applies_to: m.applies_to.clone(),
            source: m.source.clone().unwrap_or_default(),
            severity: m.severity.clone().unwrap_or_default(),
            priority: m.priority.clone().unwrap_or_default(),
            sla_hours: m.sla_hours.to_string(),
            clock_mode: m.clock_mode.clone(),
            reminder_hours_before: m.reminder_hours_before.to_string(),
            second_reminder_enabled: m.second_reminder_enabled,
            second_reminder_hours_before: m.second_reminder_hours_before.to_string(),
            first_reminder_hours_after: m.first_reminder_hours_after.to_string(),
            second_reminder_hours_after: m.second_reminder_hours_after.to_string(),
            escalation_hours_after: m.escalation_hours_after.to_string(),
            thank_you_email_enabled: m.thank_you_email_enabled,
            is_active: m.is_active,
        }
    }

    fn from_post(form: &CsrfForm, id: Option<Uuid>) -> SlaForm {
        SlaForm {
            id,
            applies_to: form.get("applies_to"),
            source: form.get("source"),
            severity: form.get("severity"),
            priority: form.get("priority"),
            sla_hours: form.get("sla_hours"),
            clock_mode: form.get("clock_mode"),
            reminder_hours_before: form.get("reminder_hours_before"),
            second_reminder_enabled: form.has("second_reminder_enabled"),
            second_reminder_hours_before: form.get("second_reminder_hours_before"),
            first_reminder_hours_after: form.get("first_reminder_hours_after"),
            second_reminder_hours_after: form.get("second_reminder_hours_after"),
            escalation_hours_after: form.get("escalation_hours_after"),
            thank_you_email_enabled: form.has("thank_you_email_enabled"),
            is_active: form.has("is_active"),
        }
    }

    fn input(form: &CsrfForm, hospital_id: Option<Uuid>) -> SlaConfigInput {
        SlaConfigInput {
            hospital_id,
            applies_to: opt(form.get("applies_to")),
            source: opt(form.get("source")),
            severity: opt(form.get("severity")),
            priority: opt(form.get("priority")),
            sla_hours: form_number(form, "sla_hours"),
            clock_mode: opt(form.get("clock_mode")),
            reminder_hours_before: form_number(form, "reminder_hours_before"),
            second_reminder_enabled: Some(form.has("second_reminder_enabled")),
            second_reminder_hours_before: form_number(form, "second_reminder_hours_before"),
            first_reminder_hours_after: form_number(form, "first_reminder_hours_after"),
            second_reminder_hours_after: form_number(form, "second_reminder_hours_after"),
            escalation_hours_after: form_number(form, "escalation_hours_after"),
            thank_you_email_enabled: Some(form.has("thank_you_email_enabled")),
            is_active: Some(form.has("is_active")),
        }
    }
}

pub struct PreviewForm {
    pub source: String,
    pub severity: String,
    pub priority: String,
    pub received_at: String,
}

pub struct PreviewResult {
    pub basis: String,
    pub hours: i64,
    pub clock: String,
    pub received: String,
    pub due: String,
    pub first: String,
    pub second: String,
    pub escalation: String,
}

#[derive(Template)]
#[template(path = "complaints/sla_settings.html")]
struct SlaPage {
    chrome: Chrome,
    ctx: Ctx,
    saved: bool,
    priorities: Vec<(String, String)>,
    grid: Vec<GridRow>,
    sources: Vec<SourceLine>,
    rows: Vec<RowLine>,
    form: SlaForm,
    form_title: String,
    errors: FieldErrors,
    error_lines: Vec<String>,
    applies_choices: Vec<(String, String)>,
    source_choices: Vec<(String, String)>,
    severity_choices: Vec<(String, String)>,
    priority_choices: Vec<(String, String)>,
    clock_choices: Vec<(String, String)>,
    preview: PreviewForm,
    preview_result: Option<PreviewResult>,
    preview_errors: Vec<String>,
}

fn reminder_text(lang: Lang, after: i64, before: i64) -> String {
    if after > 0 {
        format!("{after} {}", lang.t("sla-h-after-receipt"))
    } else {
        format!("{before} {}", lang.t("sla-h-before-due"))
    }
}

fn rule_reminders(lang: Lang, rule: &SlaRule) -> String {
    let first = reminder_text(lang, rule.first_reminder_hours_after, rule.reminder_hours_before);
    if rule.second_reminder_enabled {
        let second = reminder_text(lang, rule.second_reminder_hours_after, rule.second_reminder_hours_before);
        format!("{first} · {second}")
    } else {
        first
    }
}

async fn sla_view(
    state: &AppState,
    page: &PageActor,
    uri: &OriginalUri,
    posted: Option<(SlaForm, FieldErrors)>,
    requested: Option<Uuid>,
) -> PageResult {
    let pairs = query_pairs(uri);
    let chrome = Chrome::new(state, page, SLA_PATH, "sla-title").await?;
    let lang = chrome.lang;
    let requested = requested.or_else(|| Uuid::parse_str(&query_get(&pairs, "hospital_id")).ok());
    let ctx = context(state, page, lang, requested).await?;
    let rows = match ctx.hospital_id {
        Some(h) => sla_admin::hospital_sla_rows(state, h).await?,
        None => Vec::new(),
    };
    let active_complaint = |r: &&sla_config::Model| r.is_active && r.applies_to == AppliesTo::Complaint.as_str();
    let qs_join = if ctx.qs.is_empty() { "?".to_owned() } else { format!("{}&", ctx.qs) };

    let grid = Severity::ALL
        .iter()
        .map(|sev| GridRow {
            label: severity_label(lang, sev.as_str()),
            cells: Priority::ALL
                .iter()
                .map(|pri| {
                    let own = rows.iter().filter(active_complaint).find(|r| {
                        r.source.is_none()
                            && r.severity.as_deref() == Some(sev.as_str())
                            && r.priority.as_deref() == Some(pri.as_str())
                    });
                    let (rule, href) = match own.map(super::settings::sla_config_from_row) {
                        Some(Ok(c)) => {
                            (c.rule, format!("{qs_join}edit={}#sla-form", own.map(|r| r.id).unwrap_or_default()))
                        }
                        _ => (
                            default_grid_rule(*sev, *pri),
                            format!("{qs_join}cell={}.{}#sla-form", sev.as_str(), pri.as_str()),
                        ),
                    };
                    Cell {
                        hours: rule.sla_hours,
                        clock: clock_label(lang, rule.clock_mode),
                        lead: rule.reminder_hours_before,
                        second: rule.second_reminder_enabled.then_some(rule.second_reminder_hours_before),
                        hospital: own.is_some(),
                        href,
                    }
                })
                .collect(),
        })
        .collect();

    let sources = ComplaintSource::ALL
        .iter()
        .map(|src| {
            let own = rows.iter().filter(active_complaint).find(|r| r.source.as_deref() == Some(src.as_str()));
            let (kind, rule, href) = match own.map(super::settings::sla_config_from_row) {
                Some(Ok(c)) => (
                    "hospital",
                    Some(c.rule),
                    format!("{qs_join}edit={}#sla-form", own.map(|r| r.id).unwrap_or_default()),
                ),
                _ => match default_source_rule(*src) {
                    Some(rule) => ("default", Some(rule), format!("{qs_join}src={}#sla-form", src.as_str())),
                    None => ("none", None, format!("{qs_join}src={}#sla-form", src.as_str())),
                },
            };
            let rule = rule.unwrap_or(SlaRule::hours(0));
            SourceLine {
                source: src.as_str().into(),
                label: source_label(lang, src.as_str()),
                kind,
                hours: rule.sla_hours,
                clock: clock_label(lang, rule.clock_mode),
                first: reminder_text(lang, rule.first_reminder_hours_after, rule.reminder_hours_before),
                second: if rule.second_reminder_enabled {
                    reminder_text(lang, rule.second_reminder_hours_after, rule.second_reminder_hours_before)
                } else {
                    "—".into()
                },
                escalation: if rule.escalation_hours_after > 0 {
                    format!("{} {}", rule.escalation_hours_after, lang.t("sla-h-after-receipt"))
                } else {
                    "—".into()
                },
                href,
            }
        })
        .collect();

    let row_lines = rows
        .iter()
        .map(|r| {
            let target = match (&r.source, &r.severity, &r.priority) {
                (Some(s), _, _) => format!("{}: {}", lang.t("sla-field-source"), source_label(lang, s)),
                (None, Some(sev), Some(pri)) => {
                    format!("{} / {}", severity_label(lang, sev), priority_label(lang, pri))
                }
                _ => "—".into(),
            };
            let reminders =
                super::settings::sla_config_from_row(r).map(|c| rule_reminders(lang, &c.rule)).unwrap_or_default();
            RowLine {
                id: r.id,
                applies: applies_label(lang, &r.applies_to),
                target,
                hours: r.sla_hours,
                clock: ClockMode::parse(&r.clock_mode).map(|m| clock_label(lang, m)).unwrap_or_default(),
                reminders,
                is_active: r.is_active,
            }
        })
        .collect();

    // The form: what was posted, a row to edit, a cell or source to start from, or a blank row.
    let (form, errors) = match posted {
        Some(p) => p,
        None => {
            let edit = Uuid::parse_str(&query_get(&pairs, "edit")).ok();
            let cell = query_get(&pairs, "cell");
            let src = query_get(&pairs, "src");
            let form = if let Some(row) = edit.and_then(|id| rows.iter().find(|r| r.id == id)) {
                SlaForm::from_row(row)
            } else if let Some((sev, pri)) = cell.split_once('.')
                && let (Some(sev), Some(pri)) = (Severity::parse(sev), Priority::parse(pri))
            {
                SlaForm {
                    severity: sev.as_str().into(),
                    priority: pri.as_str().into(),
                    ..SlaForm::from_rule(&default_grid_rule(sev, pri))
                }
            } else if let Some(src) = ComplaintSource::parse(&src) {
                let rule = default_source_rule(src).unwrap_or(SlaRule::hours(72));
                SlaForm { source: src.as_str().into(), ..SlaForm::from_rule(&rule) }
            } else {
                // A blank form that saves as it stands: the spec's medium × medium row.
                SlaForm {
                    severity: Severity::Medium.as_str().into(),
                    priority: Priority::Medium.as_str().into(),
                    ..SlaForm::from_rule(&default_grid_rule(Severity::Medium, Priority::Medium))
                }
            };
            (form, FieldErrors::new())
        }
    };
    let form_title = lang.t(if form.id.is_some() { "sla-edit-row" } else { "sla-new-row" });

    // The preview.
    let preview = PreviewForm {
        source: query_get(&pairs, "source"),
        severity: query_get(&pairs, "severity"),
        priority: query_get(&pairs, "priority"),
        received_at: query_get(&pairs, "received_at"),
    };
    let mut preview_result = None;
    let mut preview_errors = Vec::new();
    if let Some(h) = ctx.hospital_id
        && !preview.source.is_empty()
    {
        let q = PreviewQuery {
            hospital_id: Some(h.to_string()),
            source: Some(preview.source.clone()),
            severity: opt(preview.severity.clone()),
            priority: opt(preview.priority.clone()),
            received_at: opt(preview.received_at.clone()),
        };
        match sla_admin::preview(state, &page.actor, &q).await {
            Ok(p) => preview_result = Some(preview_result_of(lang, &p)),
            Err(AppError::Validation(e)) => preview_errors = error_lines(lang, &e),
            Err(e) => return Err(e.into()),
        }
    }
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let error_lines = error_lines(lang, &errors);
    render(
        status,
        &SlaPage {
            saved: query_get(&pairs, "saved") == "1",
            priorities: choices(lang, &["low", "medium", "high"], priority_label),
            grid,
            sources,
            rows: row_lines,
            form,
            form_title,
            errors,
            error_lines,
            applies_choices: choices(lang, &["complaint", "action"], applies_label),
            source_choices: choices(lang, &ComplaintSource::ALL.map(ComplaintSource::as_str), source_label),
            severity_choices: choices(lang, &Severity::ALL.map(Severity::as_str), severity_label),
            priority_choices: choices(lang, &Priority::ALL.map(Priority::as_str), priority_label),
            clock_choices: ClockMode::ALL.iter().map(|m| (m.as_str().to_owned(), clock_label(lang, *m))).collect(),
            preview,
            preview_result,
            preview_errors,
            ctx,
            chrome,
        },
    )
}

fn preview_result_of(lang: Lang, p: &SlaPreview) -> PreviewResult {
    let dash = || "—".to_owned();
    PreviewResult {
        basis: lang.t(&format!("sla-basis-{}", p.basis)),
        hours: p.sla_hours,
        clock: clock_label(lang, p.clock_mode),
        received: p.local.received_at.clone(),
        due: p.local.due_at.clone(),
        first: p.local.first_reminder_at.clone().unwrap_or_else(dash),
        second: p.local.second_reminder_at.clone().unwrap_or_else(dash),
        escalation: p.local.escalation_at.clone().unwrap_or_else(dash),
    }
}

pub async fn sla_page(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    sla_view(&state, &page, &uri, None, None).await
}

pub async fn sla_create(
    State(state): State<AppState>,
    page: PageActor,
    uri: OriginalUri,
    form: CsrfForm,
) -> PageResult {
    let hospital_id = form_uuid(&form, "hospital_id");
    match sla_admin::create_sla_config(&state, &page.actor, SlaForm::input(&form, hospital_id)).await {
        Ok(row) => redirect(SLA_PATH, row.hospital_id),
        Err(AppError::Validation(errors)) => {
            sla_view(&state, &page, &uri, Some((SlaForm::from_post(&form, None), errors)), hospital_id).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn sla_update(
    State(state): State<AppState>,
    page: PageActor,
    uri: OriginalUri,
    Path(id): Path<Uuid>,
    form: CsrfForm,
) -> PageResult {
    match sla_admin::update_sla_config(&state, &page.actor, id, SlaForm::input(&form, None)).await {
        Ok(row) => redirect(SLA_PATH, row.hospital_id),
        Err(AppError::Validation(errors)) => {
            let hospital_id = form_uuid(&form, "hospital_id");
            sla_view(&state, &page, &uri, Some((SlaForm::from_post(&form, Some(id)), errors)), hospital_id).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn sla_delete(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<Uuid>,
    _form: CsrfForm,
) -> PageResult {
    let row = sla_admin::get_sla_config(&state, &page.actor, id).await?;
    sla_admin::delete_sla_config(&state, &page.actor, id).await?;
    redirect(SLA_PATH, row.hospital_id)
}

// ---------------------------------------------------------------------------------------------
// Escalation page
// ---------------------------------------------------------------------------------------------

pub struct RuleLine {
    pub id: Option<Uuid>,
    pub level: i64,
    pub name: String,
    pub triggers: String,
    pub target: String,
    pub filters: String,
    pub is_active: bool,
}

pub struct Chain {
    pub applies_to: String,
    pub title: String,
    /// The spec's default chain is shown (the hospital has no rules of its own).
    pub is_default: bool,
    pub rules: Vec<RuleLine>,
}

#[derive(Debug, Clone)]
pub struct EscalationForm {
    pub id: Option<Uuid>,
    pub applies_to: String,
    pub name: String,
    pub level: String,
    pub trigger_on_overdue: bool,
    pub trigger_hours_overdue: String,
    pub reminder_escalation_enabled: bool,
    pub reminder_escalation_hours: String,
    pub escalate_to_role: String,
    pub escalate_to_user_id: String,
    pub severities: Vec<String>,
    pub priorities: Vec<String>,
    pub sources: Vec<String>,
    pub departments: Vec<String>,
    pub is_active: bool,
}

impl EscalationForm {
    fn blank() -> EscalationForm {
        EscalationForm {
            id: None,
            applies_to: "complaint".into(),
            name: String::new(),
            level: "1".into(),
            trigger_on_overdue: true,
            trigger_hours_overdue: "0".into(),
            reminder_escalation_enabled: false,
            reminder_escalation_hours: "24".into(),
            escalate_to_role: "department_manager".into(),
            escalate_to_user_id: String::new(),
            severities: vec![],
            priorities: vec![],
            sources: vec![],
            departments: vec![],
            is_active: true,
        }
    }

    fn from_row(m: &escalation_rule::Model) -> EscalationForm {
        let list = |key: &str| -> Vec<String> {
            m.filters
                .get(key)
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default()
        };
        EscalationForm {
            id: Some(m.id),
            applies_to: m.applies_to.clone(),
            name: m.name.clone(),
            level: m.level.to_string(),
            trigger_on_overdue: m.trigger_on_overdue,
            trigger_hours_overdue: m.trigger_hours_overdue.to_string(),
            reminder_escalation_enabled: m.reminder_escalation_enabled,
            reminder_escalation_hours: m.reminder_escalation_hours.to_string(),
            escalate_to_role: m.escalate_to_role.clone(),
            escalate_to_user_id: m.escalate_to_user_id.map(|u| u.to_string()).unwrap_or_default(),
            severities: list("severity"),
            priorities: list("priority"),
            sources: list("source"),
            departments: list("department_id"),
            is_active: m.is_active,
        }
    }

    fn from_post(form: &CsrfForm, id: Option<Uuid>) -> EscalationForm {
        let all = |name: &str| -> Vec<String> {
            form.0.iter().filter(|(k, v)| k == name && !v.is_empty()).map(|(_, v)| v.clone()).collect()
        };
        EscalationForm {
            id,
            applies_to: form.get("applies_to"),
            name: form.get("name"),
            level: form.get("level"),
            trigger_on_overdue: form.has("trigger_on_overdue"),
            trigger_hours_overdue: form.get("trigger_hours_overdue"),
            reminder_escalation_enabled: form.has("reminder_escalation_enabled"),
            reminder_escalation_hours: form.get("reminder_escalation_hours"),
            escalate_to_role: form.get("escalate_to_role"),
            escalate_to_user_id: form.get("escalate_to_user_id"),
            severities: all("f_severity"),
            priorities: all("f_priority"),
            sources: all("f_source"),
            departments: all("f_department_id"),
            is_active: form.has("is_active"),
        }
    }

    fn input(&self, form: &CsrfForm, hospital_id: Option<Uuid>) -> EscalationRuleInput {
        let mut filters = serde_json::Map::new();
        for (key, values) in [
            ("severity", &self.severities),
            ("priority", &self.priorities),
            ("source", &self.sources),
            ("department_id", &self.departments),
        ] {
            if !values.is_empty() {
                filters.insert(key.into(), json!(values));
            }
        }
        EscalationRuleInput {
            hospital_id,
            applies_to: opt(self.applies_to.clone()),
            name: Some(self.name.clone()),
            level: form_number(form, "level"),
            trigger_on_overdue: Some(self.trigger_on_overdue),
            trigger_hours_overdue: form_number(form, "trigger_hours_overdue"),
            reminder_escalation_enabled: Some(self.reminder_escalation_enabled),
            reminder_escalation_hours: form_number(form, "reminder_escalation_hours"),
            escalate_to_role: opt(self.escalate_to_role.clone()),
            escalate_to_user_id: if self.escalate_to_user_id.is_empty() {
                None
            } else {
                // A tampered value: the nil id is never a user, so the field's error shows.
                Some(Uuid::parse_str(&self.escalate_to_user_id).unwrap_or(Uuid::nil()))
            },
            filters: Some(Value::Object(filters)),
            is_active: Some(self.is_active),
        }
    }

    pub fn has(&self, list: &str, value: &str) -> bool {
        let l = match list {
            "severity" => &self.severities,
            "priority" => &self.priorities,
            "source" => &self.sources,
            _ => &self.departments,
        };
        l.iter().any(|v| v == value)
    }
}

#[derive(Template)]
#[template(path = "complaints/sla_escalation.html")]
struct EscalationPage {
    chrome: Chrome,
    ctx: Ctx,
    saved: bool,
    chains: Vec<Chain>,
    form: EscalationForm,
    form_title: String,
    errors: FieldErrors,
    error_lines: Vec<String>,
    applies_choices: Vec<(String, String)>,
    target_choices: Vec<(String, String)>,
    users: Vec<(String, String)>,
    severity_choices: Vec<(String, String)>,
    priority_choices: Vec<(String, String)>,
    source_choices: Vec<(String, String)>,
    departments: Vec<(String, String)>,
}

fn triggers_text(lang: Lang, rule: &EscalationRule) -> String {
    let mut parts = Vec::new();
    if rule.trigger_on_overdue {
        if rule.trigger_hours_overdue == 0 {
            parts.push(lang.t("sla-when-overdue"));
        } else {
            parts.push(format!("{} {}", rule.trigger_hours_overdue, lang.t("sla-h-overdue")));
        }
    }
    if rule.reminder_escalation_enabled {
        parts.push(format!("{} {}", rule.reminder_escalation_hours, lang.t("sla-h-after-reminder")));
    }
    if rule.level == 1 {
        parts.push(lang.t("sla-or-escalation-time"));
    }
    parts.join(" · ")
}

async fn escalation_view(
    state: &AppState,
    page: &PageActor,
    uri: &OriginalUri,
    posted: Option<(EscalationForm, FieldErrors)>,
    requested: Option<Uuid>,
) -> PageResult {
    let pairs = query_pairs(uri);
    let chrome = Chrome::new(state, page, ESCALATION_PATH, "sla-escalation-title").await?;
    let lang = chrome.lang;
    let requested = requested.or_else(|| Uuid::parse_str(&query_get(&pairs, "hospital_id")).ok());
    let ctx = context(state, page, lang, requested).await?;
    let (rows, users, departments) = match ctx.hospital_id {
        Some(h) => {
            let rows = sla_admin::hospital_escalation_rows(state, h).await?;
            let users = user::Entity::find()
                .filter(user::Column::IsActive.eq(true))
                .filter(
                    sea_orm::Condition::any()
                        .add(user::Column::HospitalId.eq(h))
                        .add(user::Column::Role.eq(Role::PxAdmin.as_str())),
                )
                .order_by_asc(user::Column::Email)
                .all(&state.db)
                .await?;
            let departments = department::Entity::find()
                .filter(department::Column::HospitalId.eq(h))
                .filter(department::Column::DeletedAt.is_null())
                .order_by_asc(department::Column::Code)
                .all(&state.db)
                .await?;
            (rows, users, departments)
        }
        None => (vec![], vec![], vec![]),
    };
    let user_name = |id: Uuid| {
        users
            .iter()
            .find(|u| u.id == id)
            .map(|u| format!("{} {}", u.first_name, u.last_name).trim().to_owned())
            .unwrap_or_else(|| id.to_string())
    };
    let dept_name = |id: &str| {
        departments
            .iter()
            .find(|d| d.id.to_string() == id)
            .map(|d| lang.pick(&d.name_en, &d.name_ar).to_owned())
            .unwrap_or_else(|| id.to_owned())
    };
    let mut chains = Vec::new();
    for applies in [AppliesTo::Complaint, AppliesTo::Action] {
        let own: Vec<&escalation_rule::Model> = rows.iter().filter(|r| r.applies_to == applies.as_str()).collect();
        let rules: Vec<RuleLine> = if own.is_empty() {
            let defaults = match applies {
                AppliesTo::Complaint => sla::default_complaint_escalation_rules(),
                AppliesTo::Action => sla::default_action_escalation_rules(),
            };
            defaults
                .iter()
                .map(|r| RuleLine {
                    id: None,
                    level: r.level.into(),
                    name: String::new(),
                    triggers: triggers_text(lang, r),
                    target: target_label(lang, r.escalate_to.as_str()),
                    filters: "—".into(),
                    is_active: true,
                })
                .collect()
        } else {
            own.iter()
                .map(|m| {
                    let rule = super::settings::escalation_rule_from_row(m).ok();
                    let mut target = target_label(lang, &m.escalate_to_role);
                    if let Some(u) = m.escalate_to_user_id {
                        target = format!("{target}: {}", user_name(u));
                    }
                    let mut filters = Vec::new();
                    if let Some(obj) = m.filters.as_object() {
                        for (key, values) in obj {
                            let names: Vec<String> = values
                                .as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(Value::as_str)
                                .map(|v| match key.as_str() {
                                    "severity" => severity_label(lang, v),
                                    "priority" => priority_label(lang, v),
                                    "source" => source_label(lang, v),
                                    _ => dept_name(v),
                                })
                                .collect();
                            if !names.is_empty() {
                                filters.push(format!("{}: {}", lang.t(&format!("sla-filter-{key}")), names.join(", ")));
                            }
                        }
                    }
                    RuleLine {
                        id: Some(m.id),
                        level: m.level.into(),
                        name: m.name.clone(),
                        triggers: rule.map(|r| triggers_text(lang, &r)).unwrap_or_default(),
                        target,
                        filters: if filters.is_empty() { lang.t("sla-filter-all") } else { filters.join(" · ") },
                        is_active: m.is_active,
                    }
                })
                .collect()
        };
        chains.push(Chain {
            applies_to: applies.as_str().into(),
            title: lang.t(&format!("sla-chain-{}", applies.as_str())),
            is_default: own.is_empty(),
            rules,
        });
    }
    let (form, errors) = match posted {
        Some(p) => p,
        None => {
            let edit = Uuid::parse_str(&query_get(&pairs, "edit")).ok();
            let form = match edit.and_then(|id| rows.iter().find(|r| r.id == id)) {
                Some(row) => EscalationForm::from_row(row),
                None => EscalationForm::blank(),
            };
            (form, FieldErrors::new())
        }
    };
    let form_title = lang.t(if form.id.is_some() { "sla-edit-rule" } else { "sla-new-rule" });
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let error_lines = error_lines(lang, &errors);
    render(
        status,
        &EscalationPage {
            saved: query_get(&pairs, "saved") == "1",
            chains,
            form,
            form_title,
            errors,
            error_lines,
            applies_choices: choices(lang, &["complaint", "action"], applies_label),
            target_choices: choices(lang, &EscalationTarget::ALL.map(EscalationTarget::as_str), target_label),
            users: users
                .iter()
                .map(|u| (u.id.to_string(), format!("{} {} ({})", u.first_name, u.last_name, u.email)))
                .collect(),
            severity_choices: choices(lang, &Severity::ALL.map(Severity::as_str), severity_label),
            priority_choices: choices(lang, &Priority::ALL.map(Priority::as_str), priority_label),
            source_choices: choices(lang, &ComplaintSource::ALL.map(ComplaintSource::as_str), source_label),
            departments: departments
                .iter()
                .map(|d| (d.id.to_string(), lang.pick(&d.name_en, &d.name_ar).to_owned()))
                .collect(),
            ctx,
            chrome,
        },
    )
}

pub async fn escalation_page(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    escalation_view(&state, &page, &uri, None, None).await
}

pub async fn escalation_create(
    State(state): State<AppState>,
    page: PageActor,
    uri: OriginalUri,
    form: CsrfForm,
) -> PageResult {
    let hospital_id = form_uuid(&form, "hospital_id");
    let values = EscalationForm::from_post(&form, None);
    match sla_admin::create_escalation_rule(&state, &page.actor, values.input(&form, hospital_id)).await {
        Ok(row) => redirect(ESCALATION_PATH, row.hospital_id),
        Err(AppError::Validation(errors)) => {
            escalation_view(&state, &page, &uri, Some((values, errors)), hospital_id).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn escalation_update(
    State(state): State<AppState>,
    page: PageActor,
    uri: OriginalUri,
    Path(id): Path<Uuid>,
    form: CsrfForm,
) -> PageResult {
    let values = EscalationForm::from_post(&form, Some(id));
    match sla_admin::update_escalation_rule(&state, &page.actor, id, values.input(&form, None)).await {
        Ok(row) => redirect(ESCALATION_PATH, row.hospital_id),
        Err(AppError::Validation(errors)) => {
            let hospital_id = form_uuid(&form, "hospital_id");
            escalation_view(&state, &page, &uri, Some((values, errors)), hospital_id).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn escalation_delete(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<Uuid>,
    _form: CsrfForm,
) -> PageResult {
    let row = sla_admin::get_escalation_rule(&state, &page.actor, id).await?;
    sla_admin::delete_escalation_rule(&state, &page.actor, id).await?;
    redirect(ESCALATION_PATH, row.hospital_id)
}

// ---------------------------------------------------------------------------------------------
// Calendar page
// ---------------------------------------------------------------------------------------------

pub struct DayBox {
    pub weekday: String,
    pub date: String,
    /// working | weekend | holiday | special
    pub kind: &'static str,
    pub note: String,
}

pub struct HolidayLine {
    pub id: Uuid,
    pub name: String,
    pub starts_on: String,
    pub ends_on: String,
    pub hours: String,
    pub special: bool,
}

pub struct WeekForm {
    pub weekend: Vec<u32>,
    pub opens: String,
    pub closes: String,
}

impl WeekForm {
    pub fn is_weekend(&self, day: &u32) -> bool {
        self.weekend.contains(day)
    }
}

pub struct HolidayForm {
    pub name_en: String,
    pub name_ar: String,
    pub starts_on: String,
    pub ends_on: String,
    pub opens: String,
    pub closes: String,
}

#[derive(Template)]
#[template(path = "complaints/sla_calendar.html")]
struct CalendarPage {
    chrome: Chrome,
    ctx: Ctx,
    saved: bool,
    is_default: bool,
    days: Vec<(u32, String)>,
    week: WeekForm,
    week_errors: FieldErrors,
    holidays: Vec<HolidayLine>,
    holiday: HolidayForm,
    holiday_errors: FieldErrors,
    strip: Vec<DayBox>,
    error_lines: Vec<String>,
}

enum CalendarPost {
    None,
    Week(WeekForm, FieldErrors),
    Holiday(HolidayForm, FieldErrors),
}

async fn calendar_view(
    state: &AppState,
    page: &PageActor,
    uri: &OriginalUri,
    posted: CalendarPost,
    requested: Option<Uuid>,
) -> PageResult {
    let pairs = query_pairs(uri);
    let chrome = Chrome::new(state, page, CALENDAR_PATH, "sla-calendar-title").await?;
    let lang = chrome.lang;
    let requested = requested.or_else(|| Uuid::parse_str(&query_get(&pairs, "hospital_id")).ok());
    let ctx = context(state, page, lang, requested).await?;
    let (view, holiday_rows) = match ctx.hospital_id {
        Some(h) => (
            Some(sla_admin::get_calendar(state, &page.actor, h).await?),
            sla_admin::hospital_holiday_rows(state, h).await?,
        ),
        None => (None, vec![]),
    };
    let holidays = holiday_rows
        .iter()
        .map(|m| HolidayLine {
            id: m.id,
            name: lang.pick(&m.name_en, &m.name_ar).to_owned(),
            starts_on: m.starts_on.to_string(),
            ends_on: m.ends_on.to_string(),
            special: m.opens_minute.is_some(),
            hours: match (m.opens_minute, m.closes_minute) {
                (Some(o), Some(c)) => format!("{}–{}", format_hhmm(o), format_hhmm(c)),
                _ => lang.t("sla-closed"),
            },
        })
        .collect();
    // The next 14 days, from today in Riyadh.
    let mut strip = Vec::new();
    if let Some(h) = ctx.hospital_id {
        let row = super::model::working_calendar::Entity::find_by_id(h).one(&state.db).await?;
        let cal = calendar_from_rows(row.as_ref(), &holiday_rows).map_err(|e| AppError::Unexpected(e.into()))?;
        let today = Utc::now().with_timezone(&riyadh()).date_naive();
        for offset in 0..14 {
            let date: NaiveDate = today + Duration::days(offset);
            let holiday = holiday_rows.iter().rev().find(|m| m.starts_on <= date && date <= m.ends_on);
            let (kind, note) = if cal.weekend.contains(&date.weekday()) {
                ("weekend", lang.t("sla-day-weekend"))
            } else {
                match (cal.hours_on(date), holiday) {
                    (None, Some(m)) => ("holiday", lang.pick(&m.name_en, &m.name_ar).to_owned()),
                    (None, None) => ("holiday", lang.t("sla-closed")),
                    (Some(hours), Some(m)) if m.opens_minute.is_some() => (
                        "special",
                        format!(
                            "{} {}–{}",
                            lang.pick(&m.name_en, &m.name_ar),
                            format_hhmm(hours.opens.into()),
                            format_hhmm(hours.closes.into())
                        ),
                    ),
                    (Some(hours), _) => {
                        ("working", format!("{}–{}", format_hhmm(hours.opens.into()), format_hhmm(hours.closes.into())))
                    }
                }
            };
            strip.push(DayBox {
                weekday: lang.t(&format!("sla-day-{}", date.weekday().number_from_monday())),
                date: date.format("%d/%m").to_string(),
                kind,
                note,
            });
        }
    }
    let mut week = WeekForm {
        weekend: view.as_ref().map(|v| v.weekend_days.clone()).unwrap_or_else(|| vec![5, 6]),
        opens: view.as_ref().map(|v| v.opens.clone()).unwrap_or_else(|| "08:00".into()),
        closes: view.as_ref().map(|v| v.closes.clone()).unwrap_or_else(|| "16:00".into()),
    };
    let mut week_errors = FieldErrors::new();
    let mut holiday = HolidayForm {
        name_en: String::new(),
        name_ar: String::new(),
        starts_on: String::new(),
        ends_on: String::new(),
        opens: String::new(),
        closes: String::new(),
    };
    let mut holiday_errors = FieldErrors::new();
    match posted {
        CalendarPost::None => {}
        CalendarPost::Week(f, e) => {
            week = f;
            week_errors = e;
        }
        CalendarPost::Holiday(f, e) => {
            holiday = f;
            holiday_errors = e;
        }
    }
    let mut error_lines = self::error_lines(lang, &week_errors);
    error_lines.extend(self::error_lines(lang, &holiday_errors));
    let status = if error_lines.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    render(
        status,
        &CalendarPage {
            saved: query_get(&pairs, "saved") == "1",
            is_default: view.as_ref().is_none_or(|v| v.is_default),
            days: (1..=7).map(|n| (n, lang.t(&format!("sla-day-{n}")))).collect(),
            week,
            week_errors,
            holidays,
            holiday,
            holiday_errors,
            strip,
            error_lines,
            ctx,
            chrome,
        },
    )
}

pub async fn calendar_page(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    calendar_view(&state, &page, &uri, CalendarPost::None, None).await
}

pub async fn calendar_save(
    State(state): State<AppState>,
    page: PageActor,
    uri: OriginalUri,
    form: CsrfForm,
) -> PageResult {
    let Some(hospital_id) = form_uuid(&form, "hospital_id").or(page.actor.hospital_id) else {
        return Err(crate::error::invalid("hospital_id", "This field is required.").into());
    };
    let weekend: Vec<i64> =
        form.0.iter().filter(|(k, _)| k == "weekend_days").filter_map(|(_, v)| v.trim().parse().ok()).collect();
    let input = CalendarInput {
        weekend_days: Some(weekend.clone()),
        opens: Some(form.get("opens")),
        closes: Some(form.get("closes")),
    };
    match sla_admin::put_calendar(&state, &page.actor, hospital_id, input).await {
        Ok(_) => redirect(CALENDAR_PATH, hospital_id),
        Err(AppError::Validation(errors)) => {
            let week = WeekForm {
                weekend: weekend.iter().filter_map(|n| u32::try_from(*n).ok()).collect(),
                opens: form.get("opens"),
                closes: form.get("closes"),
            };
            calendar_view(&state, &page, &uri, CalendarPost::Week(week, errors), Some(hospital_id)).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn holiday_create(
    State(state): State<AppState>,
    page: PageActor,
    uri: OriginalUri,
    form: CsrfForm,
) -> PageResult {
    let Some(hospital_id) = form_uuid(&form, "hospital_id").or(page.actor.hospital_id) else {
        return Err(crate::error::invalid("hospital_id", "This field is required.").into());
    };
    let input = HolidayInput {
        name_en: Some(form.get("name_en")),
        name_ar: Some(form.get("name_ar")),
        starts_on: Some(form.get("starts_on")),
        ends_on: Some(form.get("ends_on")),
        opens: opt(form.get("opens")),
        closes: opt(form.get("closes")),
    };
    match sla_admin::create_holiday(&state, &page.actor, hospital_id, input).await {
        Ok(_) => redirect(CALENDAR_PATH, hospital_id),
        Err(AppError::Validation(errors)) => {
            let values = HolidayForm {
                name_en: form.get("name_en"),
                name_ar: form.get("name_ar"),
                starts_on: form.get("starts_on"),
                ends_on: form.get("ends_on"),
                opens: form.get("opens"),
                closes: form.get("closes"),
            };
            calendar_view(&state, &page, &uri, CalendarPost::Holiday(values, errors), Some(hospital_id)).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn holiday_delete(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<Uuid>,
    _form: CsrfForm,
) -> PageResult {
    let found =
        calendar_holiday::Entity::find_by_id(id).one(&state.db).await?.ok_or(crate::error::not_found("holiday"))?;
    sla_admin::delete_holiday(&state, &page.actor, found.hospital_id, id).await?;
    redirect(CALENDAR_PATH, found.hospital_id)
}
