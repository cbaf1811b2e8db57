//! Staff survey pages: the instances list (filters, export), a survey's detail (answers in the
//! reader's language, delivery timeline, contact log, follow-up, cancel), manual and bulk sending.
//! Every change goes through `instances.rs`; a done or refused form redirects back with a flash.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait};
use uuid::Uuid;

use super::instances::{self, BulkRow, ContactInput, FollowUpInput};
use super::model::{survey_instance, survey_response, survey_template};
use super::rules::{self, Answer};
use super::versions;
use crate::app::AppState;
use crate::auth::{Actor, CsrfForm, PageActor, Permission, Role};
use crate::domains::audit::service::{Entry, record};
use crate::domains::complaints::filters::{self, FormErrors, Names, Opt};
use crate::domains::organizations::model::patient;
use crate::domains::organizations::rules::mask;
use crate::error::{AppError, AppResult};
use crate::http::export::{self, Format, Table};
use crate::http::parse_id;
use crate::i18n::{Lang, riyadh_time};
use crate::web::{Chrome, PageResult, render};

pub fn page_routes() -> Router<AppState> {
    Router::new()
        .route("/surveys/", get(list_page))
        .route("/surveys/export.csv", get(export_csv))
        .route("/surveys/export.xlsx", get(export_xlsx))
        .route("/surveys/send/", get(send_form).post(send_submit))
        .route("/surveys/{id}/", get(detail_page))
        .route("/surveys/{id}/contacts/", post(contact_submit))
        .route("/surveys/{id}/cancel/", post(cancel_submit))
        .route("/surveys/{id}/follow-up/", post(follow_up_submit))
}

/// The Bootstrap badge of a survey status.
pub fn status_badge(status: &str) -> &'static str {
    match status {
        "completed" => "text-bg-success",
        "in_progress" | "viewed" => "text-bg-info",
        "sent" | "delivered" | "scheduled" | "pending" => "text-bg-primary",
        "abandoned" => "text-bg-warning",
        "suppressed" | "undeliverable" => "text-bg-danger",
        _ => "text-bg-secondary",
    }
}

fn opt_f(v: Option<f64>) -> String {
    v.map(|x| format!("{x}")).unwrap_or_default()
}

fn opt_time(v: Option<chrono::DateTime<chrono::Utc>>) -> String {
    v.map(riyadh_time).unwrap_or_default()
}

/// Templates in the actor's scope by id (names for lists and exports).
async fn templates_in_scope(state: &AppState, actor: &Actor) -> AppResult<Vec<survey_template::Model>> {
    Ok(actor
        .scoped(
            survey_template::Entity::find().filter(survey_template::Column::DeletedAt.is_null()),
            survey_template::Column::HospitalId,
        )
        .order_by_asc(survey_template::Column::NameEn)
        .all(&state.db)
        .await?)
}

const FLASHES: &[(&str, bool)] = &[
    ("contact_added", true),
    ("contact_invalid", false),
    ("cancelled", true),
    ("cancel_refused", false),
    ("follow_up_sent", true),
    ("follow_up_refused", false),
];

pub struct Flash {
    pub class: &'static str,
    pub message: String,
}

fn flash(lang: Lang, query: Option<&str>) -> Option<Flash> {
    let key = filters::pairs(query).into_iter().find(|(k, _)| k == "flash").map(|(_, v)| v)?;
    let (key, ok) = FLASHES.iter().find(|(k, _)| *k == key)?;
    Some(Flash {
        class: if *ok { "alert-success" } else { "alert-danger" },
        message: lang.t(&format!("surveys-flash-{key}")),
    })
}

// ---------------------------------------------------------------------------------------------
// The list

pub struct Row {
    pub id: Uuid,
    pub short: String,
    pub template: String,
    pub patient: String,
    pub hospital: String,
    pub department: String,
    pub physician: String,
    pub source: String,
    pub status: String,
    pub status_label: String,
    pub status_badge: &'static str,
    pub score: String,
    pub negative: bool,
    pub created: String,
    pub completed: String,
}

pub struct ListFilters {
    pub search: String,
    pub negative: String,
    pub from: String,
    pub to: String,
}

#[derive(Template)]
#[template(path = "surveys/list.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    count: u64,
    next: Option<String>,
    previous: Option<String>,
    f: ListFilters,
    templates: Vec<Opt>,
    hospitals: Vec<Opt>,
    departments: Vec<Opt>,
    physicians: Vec<Opt>,
    statuses: Vec<Opt>,
    sources: Vec<Opt>,
    query: String,
    show_hospital: bool,
    can_send: bool,
    results_href: Option<String>,
    errors: Vec<String>,
}

/// Names of what rows point at: templates, patients' MRNs, hospitals, departments, physicians.
struct RowNames {
    names: Names,
    templates: BTreeMap<Uuid, String>,
    mrns: BTreeMap<Uuid, String>,
    physicians: BTreeMap<Uuid, String>,
}

async fn row_names(
    state: &AppState,
    actor: &Actor,
    lang: Lang,
    rows: &[survey_instance::Model],
) -> AppResult<RowNames> {
    let names = Names::load(
        &state.db,
        lang,
        vec![],
        rows.iter().filter_map(|r| r.department_id).collect(),
        rows.iter().map(|r| r.hospital_id).collect(),
        vec![],
    )
    .await?;
    let template_ids: Vec<Uuid> = rows.iter().map(|r| r.survey_template_id).collect();
    let templates = if template_ids.is_empty() {
        BTreeMap::new()
    } else {
        survey_template::Entity::find()
            .filter(survey_template::Column::Id.is_in(template_ids))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|t| (t.id, lang.pick(&t.name_en, &t.name_ar).to_owned()))
            .collect()
    };
    let patient_ids: Vec<Uuid> = rows.iter().filter_map(|r| r.patient_id).collect();
    let pii = actor.role.sees_pii();
    let mrns = if patient_ids.is_empty() {
        BTreeMap::new()
    } else {
        patient::Entity::find()
            .filter(patient::Column::Id.is_in(patient_ids))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|p| (p.id, if pii { p.mrn } else { mask(&p.mrn) }))
            .collect()
    };
    let physicians =
        instances::staff_names(&state.db, lang, rows.iter().filter_map(|r| r.physician_id).collect()).await?;
    Ok(RowNames { names, templates, mrns, physicians })
}

fn row_of(lang: Lang, n: &RowNames, s: &survey_instance::Model) -> Row {
    Row {
        id: s.id,
        short: s.id.to_string().chars().rev().take(8).collect::<String>().chars().rev().collect(),
        template: n.templates.get(&s.survey_template_id).cloned().unwrap_or_default(),
        patient: s.patient_id.and_then(|p| n.mrns.get(&p).cloned()).unwrap_or_default(),
        hospital: n.names.hospital(s.hospital_id),
        department: n.names.department(s.department_id),
        physician: s.physician_id.and_then(|p| n.physicians.get(&p).cloned()).unwrap_or_default(),
        source: filters::label(lang, "surveys-source", &s.source),
        status: s.status.clone(),
        status_label: filters::label(lang, "surveys-status", &s.status),
        status_badge: status_badge(&s.status),
        score: opt_f(s.total_score),
        negative: s.is_negative,
        created: riyadh_time(s.created_at),
        completed: opt_time(s.completed_at),
    }
}

async fn list_page(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    let actor = &page.actor;
    actor.require(&state, Permission::ViewSurveys).await?;
    let chrome = Chrome::new(&state, &page, uri.path(), "nav-surveys").await?;
    let lang = chrome.lang;
    let query = filters::list_query(uri.path(), uri.query(), instances::FILTERS);
    let canonical = filters::canonical(uri.query(), instances::FILTERS);
    let mut errors = Vec::new();
    let (results, count, next, previous) = match instances::list(&state, actor, &query).await {
        Ok(p) => (p.results, p.count, p.next, p.previous),
        Err(e @ AppError::Validation(_)) => {
            errors = FormErrors::from_error(lang, &e, &[]).general;
            (vec![], 0, None, None)
        }
        Err(AppError::NotFound(_)) => (vec![], 0, None, None),
        Err(e) => return Err(e.into()),
    };
    let names = row_names(&state, actor, lang, &results).await?;
    let rows = results.iter().map(|s| row_of(lang, &names, s)).collect();
    let v = |name: &str| filters::value(&query, name);
    let template_filter = query.uuid_filter("template_id").ok().flatten();
    let hospital_filter = query.uuid_filter("hospital_id").ok().flatten();
    let templates = templates_in_scope(&state, actor)
        .await?
        .into_iter()
        .map(|t| Opt::new(t.id, lang.pick(&t.name_en, &t.name_ar), Some(t.id) == template_filter))
        .collect();
    let mut departments = filters::department_options(
        &state.db,
        lang,
        actor,
        hospital_filter,
        query.uuid_filter("department_id").ok().flatten(),
    )
    .await?;
    if actor.role == Role::DepartmentManager {
        departments.retain(|o| Uuid::parse_str(&o.value).is_ok_and(|d| actor.department_ids.contains(&d)));
    }
    render(
        if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST },
        &ListPage {
            rows,
            count,
            next,
            previous,
            f: ListFilters { search: v("search"), negative: v("negative"), from: v("from"), to: v("to") },
            templates,
            hospitals: filters::hospital_options(&state.db, lang, actor, hospital_filter).await?,
            departments,
            physicians: filters::staff_options(
                &state.db,
                lang,
                actor,
                hospital_filter,
                query.uuid_filter("physician_id").ok().flatten(),
            )
            .await?,
            statuses: filters::choices(lang, &rules::STATUSES, "surveys-status", &v("status")),
            sources: filters::choices(lang, &rules::SOURCES, "surveys-source", &v("source")),
            query: canonical,
            show_hospital: actor.role == Role::PxAdmin,
            can_send: actor.role.may(Permission::HandleSurveys),
            results_href: template_filter.map(|t| format!("/surveys/templates/{t}/results/")),
            errors,
            chrome,
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Exports

async fn export(state: &AppState, page: &PageActor, uri: &OriginalUri, format: Format) -> PageResult {
    let actor = &page.actor;
    // Exports: PX admins, hospital admins, department managers and coordinators (not nurses).
    actor.require(state, Permission::HandleSurveys).await?;
    let lang = Lang::parse(&actor.language).unwrap_or(Lang::Ar);
    let query = filters::list_query(uri.path(), uri.query(), instances::FILTERS);
    let select = instances::filtered(actor, &query)?;
    let mut found = select.clone().limit(export::MAX_ROWS as u64 + 1).all(&state.db).await?;
    let truncated = found.len() > export::MAX_ROWS;
    found.truncate(export::MAX_ROWS);
    let names = row_names(state, actor, lang, &found).await?;
    let mut headers: Vec<String> = [
        "surveys-field-id",
        "surveys-field-template",
        "surveys-field-hospital",
        "surveys-field-department",
        "surveys-field-physician",
        "surveys-field-patient",
        "surveys-field-source",
        "surveys-field-status",
        "surveys-field-created",
        "surveys-field-sent",
        "surveys-field-completed",
        "surveys-field-score",
        "surveys-field-score-100",
        "surveys-field-negative",
    ]
    .iter()
    .map(|k| lang.t(k))
    .collect();
    // One column per question of the chosen template (its current version's codes).
    let mut codes: Vec<String> = Vec::new();
    let mut answers: BTreeMap<(Uuid, String), String> = BTreeMap::new();
    if let Some(t) = query.uuid_filter("template_id")?
        && let Some(v) = versions::current(&state.db, t).await?
    {
        let def = versions::definition(&v)?;
        codes = def.questions.iter().map(|q| q.code.clone()).collect();
        headers.extend(codes.iter().cloned());
        let ids = select.select_only().column(survey_instance::Column::Id).into_query();
        let rows = survey_response::Entity::find()
            .filter(survey_response::Column::SurveyInstanceId.in_subquery(ids))
            .all(&state.db)
            .await?;
        for r in rows {
            let Some(q) = def.question(&r.question_code) else { continue };
            let text = match q.question_type.as_str() {
                "text" | "textarea" => r.value_text.clone(),
                "multiple_choice" => r
                    .value_choices
                    .clone()
                    .and_then(|v| serde_json::from_value::<Vec<String>>(v).ok())
                    .unwrap_or_default()
                    .join(", "),
                _ => r.value_number.map(|n| Answer::Number(n).display(q)).unwrap_or_default(),
            };
            answers.insert((r.survey_instance_id, r.question_code), text);
        }
    }
    let rows: Vec<Vec<String>> = found
        .iter()
        .map(|s| {
            let r = row_of(lang, &names, s);
            let mut cells = vec![
                s.id.to_string(),
                r.template,
                r.hospital,
                r.department,
                r.physician,
                r.patient,
                r.source,
                r.status_label,
                r.created,
                opt_time(s.sent_at),
                r.completed,
                r.score,
                opt_f(s.score_100),
                lang.t(if s.is_negative { "yes" } else { "no" }),
            ];
            cells.extend(codes.iter().map(|c| answers.get(&(s.id, c.clone())).cloned().unwrap_or_default()));
            cells
        })
        .collect();
    let count = rows.len();
    let table = Table {
        headers,
        rows,
        note: truncated.then(|| lang.t("surveys-export-truncated")),
        rtl: lang == Lang::Ar,
        numbers: false,
    };
    let bytes = table.to_bytes(format)?;
    record(
        &state.db,
        actor,
        Entry::new("surveys_exported", "survey_instance", "").hospital(filters::scope_hospital(actor)).details(
            serde_json::json!({
                "format": format.extension(), "rows": count, "truncated": truncated,
                "filters": filters::canonical(uri.query(), instances::FILTERS),
            }),
        ),
    )
    .await?;
    let day = crate::domains::complaints::pages::file_date();
    Ok(export::download(bytes, format, &format!("surveys-{day}.{}", format.extension()), truncated))
}

async fn export_csv(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    export(&state, &page, &uri, Format::Csv).await
}

async fn export_xlsx(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    export(&state, &page, &uri, Format::Xlsx).await
}

// ---------------------------------------------------------------------------------------------
// The detail

pub struct AnswerRow {
    pub position: usize,
    pub text: String,
    pub answer: String,
    pub answered: bool,
    pub shown: bool,
    pub score: String,
}

pub struct TimelineRow {
    pub label: String,
    pub at: String,
    pub detail: String,
}

pub struct ContactRow {
    pub at: String,
    pub who: String,
    pub kind: String,
    pub outcome: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "surveys/detail.html")]
struct DetailPage {
    chrome: Chrome,
    id: Uuid,
    template: String,
    version: String,
    status: String,
    status_label: String,
    status_badge: &'static str,
    source: String,
    suppression_reason: String,
    score: String,
    score_100: String,
    negative: bool,
    action_href: String,
    action_reference: String,
    patient_mrn: String,
    patient_name: String,
    patient_phone: String,
    department: String,
    physician: String,
    hospital: String,
    parent_href: String,
    complaint_href: String,
    answers: Vec<AnswerRow>,
    timeline: Vec<TimelineRow>,
    contacts: Vec<ContactRow>,
    follow_ups: Vec<(String, String)>,
    outcomes: Vec<Opt>,
    can_handle: bool,
    can_cancel: bool,
    can_follow_up: bool,
    results_href: String,
    flash: Option<Flash>,
}

async fn detail_page(
    State(state): State<AppState>,
    page: PageActor,
    Path(raw): Path<String>,
    uri: OriginalUri,
) -> PageResult {
    let actor = &page.actor;
    let id = parse_id(&raw, "survey")?;
    let d = instances::detail(&state, actor, id).await?;
    let chrome = Chrome::new(&state, &page, uri.path(), "surveys-detail-title").await?;
    let lang = chrome.lang;
    let s = &d.survey;
    let names = Names::load(
        &state.db,
        lang,
        d.contacts.iter().filter_map(|c| c.user_id).collect(),
        s.department_id.into_iter().collect(),
        vec![s.hospital_id],
        vec![],
    )
    .await?;
    let physicians = instances::staff_names(&state.db, lang, s.physician_id.into_iter().collect()).await?;
    let answers = d
        .answers
        .iter()
        .map(|a| AnswerRow {
            position: a.position,
            text: lang.pick(&a.text_en, &a.text_ar).to_owned(),
            answer: lang.pick(&a.display_en, &a.display_ar).to_owned(),
            answered: a.answered,
            shown: a.shown,
            score: opt_f(a.score),
        })
        .collect();
    let mut timeline = vec![TimelineRow {
        label: lang.t("surveys-event-created"),
        at: riyadh_time(s.created_at),
        detail: filters::label(lang, "surveys-source", &s.source),
    }];
    for m in &d.messages {
        let key =
            if m.template_code == "survey_reminder" { "surveys-event-reminder" } else { "surveys-event-invitation" };
        timeline.push(TimelineRow {
            label: lang.t(key),
            at: riyadh_time(m.sent_at.unwrap_or(m.scheduled_for)),
            detail: format!(
                "{} · {}",
                filters::label(lang, "surveys-channel", &m.channel),
                filters::label(lang, "surveys-message-status", &m.status)
            ),
        });
    }
    for (key, at) in [
        ("surveys-event-sent", s.sent_at),
        ("surveys-event-opened", s.opened_at),
        ("surveys-event-started", s.started_at),
        ("surveys-event-completed", s.completed_at),
    ] {
        if let Some(at) = at {
            timeline.push(TimelineRow { label: lang.t(key), at: riyadh_time(at), detail: String::new() });
        }
    }
    timeline.sort_by(|a, b| a.at.cmp(&b.at));
    let contacts = d
        .contacts
        .iter()
        .map(|c| ContactRow {
            at: riyadh_time(c.created_at),
            who: names.user(c.user_id),
            kind: filters::label(lang, "surveys-contact-kind", &c.kind),
            outcome: filters::label(lang, "surveys-outcome", &c.outcome),
            note: if c.kind == "follow_up_sent" { String::new() } else { c.note.clone() },
        })
        .collect();
    let can_handle = actor.role.may(Permission::HandleSurveys);
    let open = rules::OPEN.contains(&s.status.as_str()) || s.status == "pending";
    let patient = d.patient.as_ref();
    render(
        StatusCode::OK,
        &DetailPage {
            id: s.id,
            template: lang.pick(&d.template_name_en, &d.template_name_ar).to_owned(),
            version: d.version.map(|v| v.to_string()).unwrap_or_default(),
            status: s.status.clone(),
            status_label: filters::label(lang, "surveys-status", &s.status),
            status_badge: status_badge(&s.status),
            source: filters::label(lang, "surveys-source", &s.source),
            suppression_reason: reason_label(lang, &s.suppression_reason),
            score: opt_f(s.total_score),
            score_100: opt_f(s.score_100),
            negative: s.is_negative,
            action_href: d.action.as_ref().map(|a| format!("/actions/{}/", a.id)).unwrap_or_default(),
            action_reference: d.action.as_ref().map(|a| a.reference_number.clone()).unwrap_or_default(),
            patient_mrn: patient.map(|p| p.mrn.clone()).unwrap_or_default(),
            patient_name: patient.map(|p| lang.pick(&p.name_en, &p.name_ar).to_owned()).unwrap_or_default(),
            patient_phone: patient.map(|p| p.phone.clone()).unwrap_or_default(),
            department: names.department(s.department_id),
            physician: s.physician_id.and_then(|p| physicians.get(&p).cloned()).unwrap_or_default(),
            hospital: names.hospital(s.hospital_id),
            parent_href: s.parent_id.map(|p| format!("/surveys/{p}/")).unwrap_or_default(),
            complaint_href: s.complaint_id.map(|c| format!("/complaints/{c}/")).unwrap_or_default(),
            answers,
            timeline,
            contacts,
            follow_ups: d
                .follow_ups
                .iter()
                .map(|f| (format!("/surveys/{}/", f.id), filters::label(lang, "surveys-status", &f.status)))
                .collect(),
            outcomes: filters::choices(lang, &rules::CONTACT_OUTCOMES, "surveys-outcome", ""),
            can_handle,
            can_cancel: can_handle && open,
            can_follow_up: can_handle
                && s.status == "completed"
                && s.is_negative
                && s.patient_id.is_some()
                && !d.follow_ups.iter().any(|f| f.source == "follow_up"),
            results_href: format!("/surveys/templates/{}/results/", s.survey_template_id),
            flash: flash(lang, uri.query()),
            chrome,
        },
    )
}

fn back(id: Uuid, flash: &str) -> PageResult {
    Ok(Redirect::to(&format!("/surveys/{id}/?flash={flash}")).into_response())
}

/// A refusal the page shows as a flash; anything else (404, 403, a failure) as its error page.
fn refused<T>(result: AppResult<T>, id: Uuid, ok: &str, bad: &str) -> PageResult {
    match result {
        Ok(_) => back(id, ok),
        Err(AppError::Validation(_) | AppError::Conflict(..)) => back(id, bad),
        Err(e) => Err(e.into()),
    }
}

async fn contact_submit(
    State(state): State<AppState>,
    page: PageActor,
    Path(raw): Path<String>,
    form: CsrfForm,
) -> PageResult {
    let id = parse_id(&raw, "survey")?;
    let input = ContactInput { outcome: filters::opt(form.get("outcome")), note: filters::opt(form.get("note")) };
    refused(instances::add_contact(&state, &page.actor, id, input).await, id, "contact_added", "contact_invalid")
}

async fn cancel_submit(
    State(state): State<AppState>,
    page: PageActor,
    Path(raw): Path<String>,
    _form: CsrfForm,
) -> PageResult {
    let id = parse_id(&raw, "survey")?;
    refused(instances::cancel(&state, &page.actor, id).await, id, "cancelled", "cancel_refused")
}

async fn follow_up_submit(
    State(state): State<AppState>,
    page: PageActor,
    Path(raw): Path<String>,
    _form: CsrfForm,
) -> PageResult {
    let id = parse_id(&raw, "survey")?;
    let result = instances::follow_up(&state, &page.actor, id, FollowUpInput::default()).await;
    refused(result, id, "follow_up_sent", "follow_up_refused")
}

// ---------------------------------------------------------------------------------------------
// Sending

pub struct SendRow {
    pub patient: String,
    pub ok: bool,
    pub outcome: String,
    pub message: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "surveys/send.html")]
struct SendPage {
    chrome: Chrome,
    templates: Vec<Opt>,
    departments: Vec<Opt>,
    mrns: String,
    errors: Vec<String>,
    summary: String,
    results: Vec<SendRow>,
}

async fn sendable(state: &AppState, actor: &Actor, lang: Lang, selected: Option<Uuid>) -> AppResult<Vec<Opt>> {
    Ok(templates_in_scope(state, actor)
        .await?
        .into_iter()
        .filter(|t| t.is_active && t.current_version > 0)
        .map(|t| Opt::new(t.id, lang.pick(&t.name_en, &t.name_ar), Some(t.id) == selected))
        .collect())
}

async fn department_choices(
    state: &AppState,
    actor: &Actor,
    lang: Lang,
    selected: Option<Uuid>,
) -> AppResult<Vec<Opt>> {
    let mut all = filters::department_options(&state.db, lang, actor, None, selected).await?;
    if actor.role == Role::DepartmentManager {
        all.retain(|o| Uuid::parse_str(&o.value).is_ok_and(|d| actor.department_ids.contains(&d)));
    }
    Ok(all)
}

async fn send_form(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    let actor = &page.actor;
    actor.require(&state, Permission::HandleSurveys).await?;
    let chrome = Chrome::new(&state, &page, uri.path(), "surveys-send-title").await?;
    let lang = chrome.lang;
    let selected = filters::pairs(uri.query())
        .into_iter()
        .find(|(k, _)| k == "template_id")
        .and_then(|(_, v)| Uuid::parse_str(&v).ok());
    render(
        StatusCode::OK,
        &SendPage {
            templates: sendable(&state, actor, lang, selected).await?,
            departments: department_choices(&state, actor, lang, None).await?,
            mrns: String::new(),
            errors: vec![],
            summary: String::new(),
            results: vec![],
            chrome,
        },
    )
}

fn row_message(lang: Lang, r: &BulkRow) -> String {
    match r.outcome.as_str() {
        "created" => lang.t("surveys-send-created"),
        "suppressed" => format!("{}: {}", lang.t("surveys-send-suppressed"), reason_label(lang, &r.reason)),
        _ => {
            let detail = r
                .error
                .as_ref()
                .and_then(|e| e.as_object())
                .and_then(|o| o.values().next())
                .and_then(|v| v.as_array().and_then(|a| a.first()).or(Some(v)))
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            if r.patient_id.is_none() { lang.t("surveys-send-unknown-patient") } else { filters::message(lang, detail) }
        }
    }
}

async fn send_submit(State(state): State<AppState>, page: PageActor, uri: OriginalUri, form: CsrfForm) -> PageResult {
    let actor = &page.actor;
    actor.require(&state, Permission::HandleSurveys).await?;
    let chrome = Chrome::new(&state, &page, uri.path(), "surveys-send-title").await?;
    let lang = chrome.lang;
    let template_id = filters::opt_uuid(&form.get("survey_template_id"));
    let department_id = filters::opt_uuid(&form.get("department_id"));
    let raw = form.get("mrns");
    let mut mrns: Vec<String> = Vec::new();
    for line in raw.lines().flat_map(|l| l.split(',')) {
        let m = crate::http::validate::normalize_digits(line.trim());
        if !m.is_empty() && !mrns.contains(&m) {
            mrns.push(m);
        }
    }
    let mut errors = Vec::new();
    let template = match instances::sendable_template(&state.db, actor, template_id).await {
        Ok(t) => Some(t),
        Err(e @ AppError::Validation(_)) => {
            errors.push(format!(
                "{}: {}",
                lang.t("surveys-field-template"),
                FormErrors::from_error(lang, &e, &["survey_template_id"])
                    .get("survey_template_id")
                    .cloned()
                    .unwrap_or_default()
            ));
            None
        }
        Err(e) => return Err(e.into()),
    };
    if mrns.is_empty() {
        errors.push(lang.t("surveys-send-no-patients"));
    } else if mrns.len() > instances::BULK_MAX {
        errors.push(lang.t("surveys-send-too-many"));
    }
    let mut results = Vec::new();
    let mut summary = String::new();
    if let (Some(t), true) = (&template, errors.is_empty()) {
        let found: BTreeMap<String, patient::Model> = patient::Entity::find()
            .filter(patient::Column::HospitalId.eq(t.hospital_id))
            .filter(patient::Column::DeletedAt.is_null())
            .filter(patient::Column::Mrn.is_in(mrns.clone()))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|p| (p.mrn.clone(), p))
            .collect();
        let targets = mrns.iter().map(|m| (m.clone(), found.get(m).cloned())).collect();
        match instances::send_many(&state, actor, t, targets, department_id, None).await {
            Ok(done) => {
                summary = format!(
                    "{}: {} · {}: {} · {}: {}",
                    lang.t("surveys-send-created"),
                    done.created,
                    lang.t("surveys-send-suppressed"),
                    done.suppressed,
                    lang.t("surveys-send-refused"),
                    done.errors
                );
                results = done
                    .results
                    .iter()
                    .map(|r| SendRow {
                        patient: r.patient.clone(),
                        ok: r.outcome != "error",
                        outcome: r.outcome.clone(),
                        message: row_message(lang, r),
                        href: r.survey_id.map(|s| format!("/surveys/{s}/")).unwrap_or_default(),
                    })
                    .collect();
            }
            Err(e @ AppError::Validation(_)) => errors.extend(FormErrors::from_error(lang, &e, &[]).general),
            Err(e) => return Err(e.into()),
        }
    }
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    render(
        status,
        &SendPage {
            templates: sendable(&state, actor, lang, template_id).await?,
            departments: department_choices(&state, actor, lang, department_id).await?,
            mrns: if results.is_empty() { raw } else { String::new() },
            errors,
            summary,
            results,
            chrome,
        },
    )
}

/// A survey's suppression or delivery reason in the reader's language: the code before the colon
/// (`opted_out`, `throttled`, `no_contact`, `ineligible`, `undeliverable`) translated; the
/// system's English detail is left out.
fn reason_label(lang: Lang, reason: &str) -> String {
    let code = reason.split(':').next().unwrap_or_default().trim();
    match code {
        "opted_out" | "throttled" | "no_contact" | "ineligible" | "undeliverable" => {
            lang.t(&format!("surveys-reason-{code}"))
        }
        _ => reason.to_owned(),
    }
}
