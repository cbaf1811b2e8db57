//! The notification pages: the outbox (every message with its status, filters by channel and
//! status, a detail page with the rendered text), the templates editor with a preview (PX
//! admins), and a patient's messages with a "send a test message" form.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::json;
use uuid::Uuid;

use super::api::{MessageView, get_message, list_messages, send, status_counts};
use super::model::template;
use super::rules;
use super::templates::{self, PreviewInput, TemplateInput};
use crate::app::AppState;
use crate::auth::{CsrfForm, PageActor, Permission};
use crate::crud::{ListQuery, Resource};
use crate::domains::organizations::patients::Patients;
use crate::error::{AppError, FieldErrors};
use crate::i18n::{Lang, riyadh_time};
use crate::web::{Chrome, PageResult, render};

fn badge(status: &str) -> &'static str {
    match status {
        "delivered" => "success",
        "sent" => "primary",
        "failed" => "danger",
        "suppressed" => "dark",
        "held" => "warning",
        "sending" => "info",
        _ => "secondary",
    }
}

/// A message as a table row or a detail page shows it.
pub struct MessageRow {
    pub id: String,
    pub created: String,
    pub channel: String,
    pub recipient: String,
    pub template_code: String,
    pub language: String,
    pub status: String,
    pub status_label: String,
    pub badge: &'static str,
    pub reason: String,
    pub subject: String,
    pub body: String,
    pub body_dir: &'static str,
    pub provider: String,
    pub provider_message_id: String,
    pub attempts: i32,
    pub error: String,
    pub category: String,
    pub scheduled: String,
    pub sent: String,
    pub delivered: String,
    pub patient_href: String,
}

impl MessageRow {
    fn of(m: &MessageView, lang: Lang) -> Self {
        MessageRow {
            id: m.id.to_string(),
            created: riyadh_time(m.created_at),
            channel: lang.t(&format!("channel-{}", m.channel)),
            recipient: m.recipient.clone(),
            template_code: m.template_code.clone(),
            language: lang.t(&format!("language-{}", m.language)),
            status: m.status.clone(),
            status_label: lang.t(&format!("notif-status-{}", m.status)),
            badge: badge(&m.status),
            reason: m.reason.clone(),
            subject: m.subject.clone(),
            body: m.body.clone(),
            body_dir: if m.language == "ar" { "rtl" } else { "ltr" },
            provider: m.provider.clone(),
            provider_message_id: m.provider_message_id.clone().unwrap_or_default(),
            attempts: m.attempts,
            error: m.error.clone(),
            category: lang.t(&format!("notif-category-{}", m.category)),
            scheduled: riyadh_time(m.scheduled_for),
            sent: m.sent_at.map(riyadh_time).unwrap_or_default(),
            delivered: m.delivered_at.map(riyadh_time).unwrap_or_default(),
            patient_href: m.patient_id.map(|p| format!("/organizations/patients/{p}/messages/")).unwrap_or_default(),
        }
    }
}

pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn options(values: &[&str], prefix: &str, selected: &str, lang: Lang) -> Vec<Opt> {
    values
        .iter()
        .map(|v| Opt { value: (*v).to_owned(), label: lang.t(&format!("{prefix}-{v}")), selected: *v == selected })
        .collect()
}

/// One status in the outbox summary: how many messages, per channel.
pub struct StatusSummary {
    pub status: String,
    pub label: String,
    pub badge: &'static str,
    pub total: i64,
    /// (channel label, count)
    pub channels: Vec<(String, i64)>,
}

#[derive(Template)]
#[template(path = "notifications/outbox.html")]
struct OutboxPage {
    chrome: Chrome,
    summary: Vec<StatusSummary>,
    rows: Vec<MessageRow>,
    count: u64,
    channels: Vec<Opt>,
    statuses: Vec<Opt>,
    can_edit_templates: bool,
    next: Option<String>,
    previous: Option<String>,
}

pub async fn outbox(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    let query = ListQuery::from_query(uri.path(), uri.query());
    let result = list_messages(&state, &page.actor, &query).await?;
    let chrome = Chrome::new(&state, &page, uri.path(), "nav-outbox").await?;
    let lang = chrome.lang;
    let counts = status_counts(&state, &page.actor).await?;
    let summary = rules::STATUSES
        .iter()
        .filter_map(|status| {
            let channels: Vec<(String, i64)> = rules::CHANNELS
                .iter()
                .filter_map(|channel| {
                    let n: i64 = counts.iter().filter(|(c, s, _)| c == channel && s == status).map(|(_, _, n)| n).sum();
                    (n > 0).then(|| (lang.t(&format!("channel-{channel}")), n))
                })
                .collect();
            let total = channels.iter().map(|(_, n)| n).sum();
            (total > 0).then(|| StatusSummary {
                status: (*status).to_owned(),
                label: lang.t(&format!("notif-status-{status}")),
                badge: badge(status),
                total,
                channels,
            })
        })
        .collect();
    render(
        StatusCode::OK,
        &OutboxPage {
            summary,
            rows: result.results.iter().map(|m| MessageRow::of(m, lang)).collect(),
            count: result.count,
            channels: options(rules::CHANNELS, "channel", query.filter("channel").unwrap_or_default(), lang),
            statuses: options(rules::STATUSES, "notif-status", query.filter("status").unwrap_or_default(), lang),
            can_edit_templates: page.actor.role.may(Permission::ManageSystem),
            next: result.next,
            previous: result.previous,
            chrome,
        },
    )
}

#[derive(Template)]
#[template(path = "notifications/message.html")]
struct MessagePage {
    chrome: Chrome,
    m: MessageRow,
}

pub async fn message(
    State(state): State<AppState>,
    page: PageActor,
    uri: OriginalUri,
    Path(id): Path<Uuid>,
) -> PageResult {
    let m = get_message(&state, &page.actor, id).await?;
    let chrome = Chrome::new(&state, &page, uri.path(), "nav-outbox").await?;
    let m = MessageRow::of(&m, chrome.lang);
    render(StatusCode::OK, &MessagePage { chrome, m })
}

// ---- Templates ----

pub struct TemplateRow {
    pub id: String,
    pub code: String,
    pub channel: String,
    pub language: String,
    pub subject: String,
    pub body: String,
    pub body_dir: &'static str,
    pub is_active: bool,
}

#[derive(Template)]
#[template(path = "notifications/templates.html")]
struct TemplatesPage {
    chrome: Chrome,
    rows: Vec<TemplateRow>,
    count: u64,
    next: Option<String>,
    previous: Option<String>,
}

pub async fn templates_list(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    page.actor.require(&state, Permission::ManageSystem).await?;
    let query = ListQuery::from_query(uri.path(), uri.query());
    let result = templates::list(&state, &page.actor, &query).await?;
    let chrome = Chrome::new(&state, &page, uri.path(), "nav-notification-templates").await?;
    let lang = chrome.lang;
    let rows = result
        .results
        .iter()
        .map(|t| TemplateRow {
            id: t.id.to_string(),
            code: t.code.clone(),
            channel: lang.t(&format!("channel-{}", t.channel)),
            language: lang.t(&format!("language-{}", t.language)),
            subject: t.subject.clone(),
            body: t.body.clone(),
            body_dir: if t.language == "ar" { "rtl" } else { "ltr" },
            is_active: t.is_active,
        })
        .collect();
    render(
        StatusCode::OK,
        &TemplatesPage { chrome, rows, count: result.count, next: result.next, previous: result.previous },
    )
}

/// A preview as the editor shows it.
pub struct PreviewShown {
    pub subject: String,
    pub body: String,
    pub dir: &'static str,
    pub length: String,
    pub segments: String,
}

#[derive(Template)]
#[template(path = "notifications/template_form.html")]
struct TemplateFormPage {
    chrome: Chrome,
    heading: String,
    action: String,
    /// The template's id when editing (for the delete button).
    id: String,
    code: String,
    channels: Vec<Opt>,
    languages: Vec<Opt>,
    subject: String,
    body: String,
    body_dir: &'static str,
    is_active: bool,
    sample: String,
    errors: Vec<(String, String)>,
    preview: Option<PreviewShown>,
}

/// `name=value` lines → a map (blank lines and lines without `=` are skipped).
pub fn parse_vars(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

/// Sample values for every placeholder of `text` (kept from `given` when present).
fn sample_for(texts: &[&str], given: &BTreeMap<String, String>) -> String {
    let mut names = Vec::new();
    for t in texts {
        for n in rules::placeholders(t).unwrap_or_default() {
            if !names.contains(&n) {
                names.push(n);
            }
        }
    }
    names
        .into_iter()
        .map(|n| {
            let v = given.get(&n).cloned().unwrap_or_else(|| match n.as_str() {
                "patient_name" => "Salem Al-Harbi".to_owned(),
                "hospital_name" => "AlHammadi Hospital".to_owned(),
                "survey_url" => "https://px.example.org/s/AB12CD".to_owned(),
                _ => "…".to_owned(),
            });
            format!("{n}={v}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

struct FormValues {
    code: String,
    channel: String,
    language: String,
    subject: String,
    body: String,
    is_active: bool,
    sample: String,
}

async fn template_form(
    state: &AppState,
    page: &PageActor,
    uri: &OriginalUri,
    id: Option<Uuid>,
    v: FormValues,
    errors: FieldErrors,
    preview: Option<PreviewShown>,
) -> PageResult {
    let chrome = Chrome::new(state, page, uri.path(), "nav-notification-templates").await?;
    let lang = chrome.lang;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let errors = errors
        .0
        .into_iter()
        .map(|(k, m)| {
            let label = match k.as_str() {
                "vars" => lang.t("notif-sample-vars"),
                "body" => lang.t("notif-col-body"),
                "subject" => lang.t("notif-col-subject"),
                "channel" => lang.t("notif-col-channel"),
                "language" => lang.t("field-language"),
                "code" => lang.t("field-code"),
                _ => String::new(),
            };
            (label, m.join(" "))
        })
        .collect();
    render(
        status,
        &TemplateFormPage {
            heading: lang.t(if id.is_some() { "notif-template-edit" } else { "notif-template-new" }),
            action: match id {
                Some(id) => format!("/notifications/templates/{id}/"),
                None => "/notifications/templates/new/".to_owned(),
            },
            id: id.map(|i| i.to_string()).unwrap_or_default(),
            channels: options(rules::CHANNELS, "channel", &v.channel, lang),
            languages: options(rules::LANGUAGES, "language", &v.language, lang),
            body_dir: if v.language == "ar" { "rtl" } else { "ltr" },
            code: v.code,
            subject: v.subject,
            body: v.body,
            is_active: v.is_active,
            sample: v.sample,
            errors,
            preview,
            chrome,
        },
    )
}

pub async fn template_new(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    page.actor.require(&state, Permission::ManageSystem).await?;
    let v = FormValues {
        code: String::new(),
        channel: "sms".into(),
        language: "ar".into(),
        subject: String::new(),
        body: String::new(),
        is_active: true,
        sample: String::new(),
    };
    template_form(&state, &page, &uri, None, v, FieldErrors::new(), None).await
}

pub async fn template_edit(
    State(state): State<AppState>,
    page: PageActor,
    uri: OriginalUri,
    Path(id): Path<Uuid>,
) -> PageResult {
    page.actor.require(&state, Permission::ManageSystem).await?;
    let t = templates::get(&state, &page.actor, id).await?;
    let v = FormValues {
        sample: sample_for(&[&t.subject, &t.body], &BTreeMap::new()),
        code: t.code,
        channel: t.channel,
        language: t.language,
        subject: t.subject,
        body: t.body,
        is_active: t.is_active,
    };
    template_form(&state, &page, &uri, Some(id), v, FieldErrors::new(), None).await
}

/// Saves the form, or with the "Preview" button renders it with the sample values.
async fn template_post(
    state: AppState,
    page: PageActor,
    uri: OriginalUri,
    id: Option<Uuid>,
    form: CsrfForm,
) -> PageResult {
    page.actor.require(&state, Permission::ManageSystem).await?;
    let lang = Lang::parse(&page.actor.language).unwrap_or(Lang::Ar);
    let given = parse_vars(&form.get("sample"));
    let v = FormValues {
        code: form.get("code"),
        channel: form.get("channel"),
        language: form.get("language"),
        subject: form.get("subject"),
        body: form.get("body"),
        is_active: matches!(form.get("is_active").as_str(), "on" | "true" | "1"),
        sample: String::new(),
    };
    let v = FormValues { sample: sample_for(&[&v.subject, &v.body], &given), ..v };
    if form.get("intent") == "preview" {
        let input = PreviewInput {
            channel: Some(v.channel.clone()),
            language: Some(v.language.clone()),
            subject: Some(v.subject.clone()),
            body: Some(v.body.clone()),
            vars: Some(given),
        };
        return match templates::preview(&state, &page.actor, input).await {
            Ok(p) => {
                let shown = PreviewShown {
                    dir: if v.language == "ar" { "rtl" } else { "ltr" },
                    length: lang.tn("notif-preview-length", p.length as i64),
                    segments: if v.channel == "email" {
                        String::new()
                    } else {
                        lang.tn("notif-preview-segments", p.sms_segments as i64)
                    },
                    subject: p.subject,
                    body: p.body,
                };
                template_form(&state, &page, &uri, id, v, FieldErrors::new(), Some(shown)).await
            }
            Err(AppError::Validation(errors)) => template_form(&state, &page, &uri, id, v, errors, None).await,
            Err(other) => Err(other.into()),
        };
    }
    let input = TemplateInput {
        code: Some(v.code.clone()),
        channel: Some(v.channel.clone()),
        language: Some(v.language.clone()),
        subject: Some(v.subject.clone()),
        body: Some(v.body.clone()),
        is_active: Some(v.is_active),
    };
    let body = serde_json::to_value(&input).map_err(anyhow::Error::from)?;
    let saved = match id {
        Some(id) => templates::update(&state, &page.actor, id, body).await,
        None => templates::create(&state, &page.actor, body).await,
    };
    match saved {
        Ok(_) => Ok(Redirect::to("/notifications/templates/").into_response()),
        Err(AppError::Validation(errors)) => template_form(&state, &page, &uri, id, v, errors, None).await,
        Err(other) => Err(other.into()),
    }
}

pub async fn template_create(
    State(state): State<AppState>,
    page: PageActor,
    uri: OriginalUri,
    form: CsrfForm,
) -> PageResult {
    template_post(state, page, uri, None, form).await
}

pub async fn template_update(
    State(state): State<AppState>,
    page: PageActor,
    uri: OriginalUri,
    Path(id): Path<Uuid>,
    form: CsrfForm,
) -> PageResult {
    template_post(state, page, uri, Some(id), form).await
}

pub async fn template_delete(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<Uuid>,
    _form: CsrfForm,
) -> PageResult {
    templates::delete(&state, &page.actor, id).await?;
    Ok(Redirect::to("/notifications/templates/").into_response())
}

// ---- A patient's messages ----

#[derive(Template)]
#[template(path = "notifications/patient.html")]
struct PatientMessagesPage {
    chrome: Chrome,
    patient_id: String,
    patient_title: String,
    rows: Vec<MessageRow>,
    can_send: bool,
    channels: Vec<Opt>,
    templates: Vec<Opt>,
    languages: Vec<Opt>,
    vars: String,
    errors: Vec<String>,
    sent: Option<MessageRow>,
}

struct SendForm {
    channel: String,
    template_code: String,
    language: String,
    vars: String,
}

async fn patient_page(
    state: &AppState,
    page: &PageActor,
    uri: &OriginalUri,
    id: Uuid,
    form: SendForm,
    errors: Vec<String>,
    sent: Option<Uuid>,
) -> PageResult {
    let patient = Patients::get(state, &page.actor, id).await?;
    let mut query = ListQuery::from_query(uri.path(), None);
    query.filters.insert("patient_id".into(), id.to_string());
    let messages = list_messages(state, &page.actor, &query).await?;
    let chrome = Chrome::new(state, page, uri.path(), "notif-patient-messages").await?;
    let lang = chrome.lang;
    let mut codes: Vec<String> = template::Entity::find()
        .order_by_asc(template::Column::Code)
        .all(&state.db)
        .await?
        .into_iter()
        .filter(|t| t.is_active)
        .map(|t| t.code)
        .collect();
    codes.dedup();
    let template_code = if form.template_code.is_empty() { "test_message".to_owned() } else { form.template_code };
    let channel = if form.channel.is_empty() { patient.preferred_channel.clone() } else { form.channel };
    let mut languages =
        vec![Opt { value: String::new(), label: lang.t("notif-language-default"), selected: form.language.is_empty() }];
    languages.extend(options(rules::LANGUAGES, "language", &form.language, lang));
    let sent = match sent {
        Some(m) => get_message(state, &page.actor, m).await.ok().map(|m| MessageRow::of(&m, lang)),
        None => None,
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    render(
        status,
        &PatientMessagesPage {
            patient_id: id.to_string(),
            patient_title: Patients::title_of(&patient, lang),
            rows: messages.results.iter().map(|m| MessageRow::of(m, lang)).collect(),
            can_send: page.actor.role.may(Permission::ManagePatients),
            channels: options(rules::CHANNELS, "channel", &channel, lang),
            templates: codes
                .iter()
                .map(|c| Opt { value: c.clone(), label: c.clone(), selected: *c == template_code })
                .collect(),
            languages,
            vars: form.vars,
            errors,
            sent,
            chrome,
        },
    )
}

#[derive(serde::Deserialize)]
pub struct SentParam {
    pub sent: Option<Uuid>,
}

pub async fn patient_messages(
    State(state): State<AppState>,
    page: PageActor,
    uri: OriginalUri,
    Path(id): Path<Uuid>,
    axum::extract::Query(params): axum::extract::Query<SentParam>,
) -> PageResult {
    let form =
        SendForm { channel: String::new(), template_code: String::new(), language: String::new(), vars: String::new() };
    patient_page(&state, &page, &uri, id, form, Vec::new(), params.sent).await
}

/// Sends a message to the patient, then shows the page again with its outcome.
pub async fn patient_send(
    State(state): State<AppState>,
    page: PageActor,
    uri: OriginalUri,
    Path(id): Path<Uuid>,
    form: CsrfForm,
) -> PageResult {
    let values = SendForm {
        channel: form.get("channel"),
        template_code: form.get("template_code"),
        language: form.get("language"),
        vars: form.0.iter().find(|(k, _)| k == "vars").map(|(_, v)| v.clone()).unwrap_or_default(),
    };
    let input = json!({
        "patient_id": id,
        "channel": values.channel,
        "template_code": values.template_code,
        "language": if values.language.is_empty() { None } else { Some(values.language.clone()) },
        "vars": parse_vars(&values.vars),
    });
    let input = crate::crud::parse_input(input)?;
    match send(&state, &page.actor, input).await {
        Ok(m) => Ok(Redirect::to(&format!("/organizations/patients/{id}/messages/?sent={}", m.id)).into_response()),
        Err(AppError::Validation(errors)) => {
            let lang = Lang::parse(&page.actor.language).unwrap_or(Lang::Ar);
            let list = errors
                .0
                .iter()
                .map(|(k, m)| {
                    let label = match k.as_str() {
                        "vars" => lang.t("notif-vars-optional"),
                        "template_code" => lang.t("notif-col-template"),
                        "channel" => lang.t("notif-col-channel"),
                        "language" => lang.t("field-language"),
                        _ => String::new(),
                    };
                    if label.is_empty() { m.join(" ") } else { format!("{label}: {}", m.join(" ")) }
                })
                .collect();
            patient_page(&state, &page, &uri, id, values, list, None).await
        }
        Err(other) => Err(other.into()),
    }
}
