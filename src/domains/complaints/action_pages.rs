//! The PX Action Center pages: the list (filters, counts per status, saved filters, CSV/Excel
//! export), the new-action form and the detail page (SLA, source link, log timeline, evidence,
//! assignment, the approval workflow's buttons, notes). Every change goes through `actions.rs`.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::actions::{
    self, ActionAssignInput, ActionInput, ActionNoteInput, ActionTransitionInput, ActionView, SOURCE_TYPES,
};
use super::attachments::{self, AttachmentsPanel, Subject};
use super::filters::{self, Detail, Due, Flash, FormErrors, Names, Opt, Refused, opt, opt_uuid};
use super::model::{complaint, px_action};
use super::pages::{file_date, safe_next};
use super::sla::{Priority, Severity};
use super::workflow::{self, ActionStatus};
use crate::app::AppState;
use crate::auth::{CsrfForm, PageActor, Permission, Role};
use crate::domains::audit::service::{Entry, record};
use crate::domains::organizations::service::now;
use crate::error::{AppError, AppResult};
use crate::http::export::{self, Format, Table};
use crate::http::parse_id;
use crate::i18n::Lang;
use crate::web::{Chrome, PageResult, render};

pub fn page_routes() -> Router<AppState> {
    Router::new()
        .route("/actions/", get(list_page))
        .route("/actions/export.csv", get(export_csv))
        .route("/actions/export.xlsx", get(export_xlsx))
        .route("/actions/filters/", post(filters::save_actions))
        .route("/actions/filters/{id}/delete/", post(filters::delete_actions))
        .route("/actions/new/", get(new_form).post(new_submit))
        .route("/actions/{id}/", get(detail_page))
        .route("/actions/{id}/assign/", post(assign_submit))
        .route("/actions/{id}/take/", post(take_submit))
        .route("/actions/{id}/status/", post(status_submit))
        .route("/actions/{id}/notes/", post(note_submit))
        .route("/actions/{id}/edit/", post(edit_submit))
}

pub fn status_label(lang: Lang, status: &str) -> String {
    filters::label(lang, "work-astatus", status)
}

// ---------------------------------------------------------------------------------------------
// List

pub struct Row {
    pub id: Uuid,
    pub reference: String,
    pub title: String,
    pub status_label: String,
    pub status_badge: &'static str,
    pub severity_label: String,
    pub severity_badge: &'static str,
    pub priority_label: String,
    pub source_label: String,
    pub hospital: String,
    pub department: String,
    pub assignee: String,
    pub created: String,
    pub due: String,
    pub due_badge: &'static str,
    pub due_label: String,
    pub overdue: bool,
    pub escalation_level: i32,
}

pub struct StatusCount {
    pub label: String,
    pub badge: &'static str,
    pub count: i64,
    pub href: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "actions/list.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    count: u64,
    next: Option<String>,
    previous: Option<String>,
    counts: Vec<StatusCount>,
    search: String,
    overdue: String,
    assigned_to: String,
    statuses: Vec<Opt>,
    hospitals: Vec<Opt>,
    departments: Vec<Opt>,
    severities: Vec<Opt>,
    priorities: Vec<Opt>,
    source_types: Vec<Opt>,
    saved: Vec<filters::SavedLink>,
    query: String,
    show_hospital: bool,
    can_create: bool,
    can_export: bool,
    flash: Option<Flash>,
    errors: Vec<String>,
}

async fn names_for(state: &AppState, lang: Lang, rows: &[ActionView]) -> AppResult<Names> {
    Names::load(
        &state.db,
        lang,
        rows.iter().filter_map(|r| r.assigned_to).collect(),
        rows.iter().filter_map(|r| r.department_id).collect(),
        rows.iter().map(|r| r.hospital_id).collect(),
        vec![],
    )
    .await
}

fn row_of(lang: Lang, names: &Names, a: &ActionView, at: DateTime<Utc>) -> Row {
    let running = ActionStatus::parse(&a.status).is_some_and(|s| s.sla_running());
    let due = Due::of(a.due_at, running, at);
    Row {
        id: a.id,
        reference: a.reference_number.clone(),
        title: a.title.clone(),
        status_label: status_label(lang, &a.status),
        status_badge: filters::action_badge(&a.status),
        severity_label: filters::label(lang, "work-severity", &a.severity),
        severity_badge: filters::severity_badge(&a.severity),
        priority_label: filters::label(lang, "work-priority", &a.priority),
        source_label: filters::label(lang, "work-asource", &a.source_type),
        hospital: names.hospital(a.hospital_id),
        department: names.department(a.department_id),
        assignee: names.user(a.assigned_to),
        created: crate::i18n::riyadh_time(a.created_at),
        due: filters::riyadh_opt(a.due_at),
        due_badge: due.badge(),
        due_label: lang.t(due.key()),
        overdue: due == Due::Overdue,
        escalation_level: a.escalation_level,
    }
}

async fn list_page(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    let actor = &page.actor;
    actor.require(&state, Permission::ViewComplaints).await?;
    let chrome = Chrome::new(&state, &page, uri.path(), "nav-actions").await?;
    let lang = chrome.lang;
    let query = filters::list_query(uri.path(), uri.query(), actions::FILTERS);
    let canonical = filters::canonical(uri.query(), actions::FILTERS);
    let at = now();
    let mut errors = Vec::new();
    let (results, count, next, previous) = match actions::list(&state, actor, &query).await {
        Ok(p) => (p.results, p.count, p.next, p.previous),
        Err(e @ AppError::Validation(_)) => {
            errors = FormErrors::from_error(lang, &e, &[]).general;
            (vec![], 0, None, None)
        }
        Err(AppError::NotFound(_)) => (vec![], 0, None, None),
        Err(e) => return Err(e.into()),
    };
    let names = names_for(&state, lang, &results).await?;
    let rows = results.iter().map(|a| row_of(lang, &names, a, at)).collect();
    let by_status = filters::status_counts(
        &state.db,
        &query,
        |q| actions::filtered(actor, q, at),
        px_action::Column::Status,
        px_action::Column::Id,
    )
    .await?;
    let counts = ActionStatus::ALL
        .iter()
        .map(|s| StatusCount {
            label: status_label(lang, s.as_str()),
            badge: filters::action_badge(s.as_str()),
            count: by_status.iter().find(|(k, _)| k == s.as_str()).map_or(0, |(_, n)| *n),
            href: format!("/actions/?{}", filters::with_param(&canonical, "status", s.as_str())),
            active: query.filter("status") == Some(s.as_str()),
        })
        .collect();
    // The option helpers keep a requested hospital only when the actor sees it.
    let hospital_filter = query.uuid_filter("hospital_id").ok().flatten();
    let status_values: Vec<&str> = ActionStatus::ALL.iter().map(|s| s.as_str()).collect();
    let severity_values: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
    let priority_values: Vec<&str> = Priority::ALL.iter().map(|s| s.as_str()).collect();
    let v = |name: &str| filters::value(&query, name);
    render(
        if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST },
        &ListPage {
            rows,
            count,
            next,
            previous,
            counts,
            search: v("search"),
            overdue: v("overdue"),
            assigned_to: v("assigned_to"),
            statuses: filters::choices(lang, &status_values, "work-astatus", &v("status")),
            hospitals: filters::hospital_options(&state.db, lang, actor, hospital_filter).await?,
            departments: filters::department_options(
                &state.db,
                lang,
                actor,
                hospital_filter,
                query.uuid_filter("department_id").ok().flatten(),
            )
            .await?,
            severities: filters::choices(lang, &severity_values, "work-severity", &v("severity")),
            priorities: filters::choices(lang, &priority_values, "work-priority", &v("priority")),
            source_types: filters::choices(lang, SOURCE_TYPES, "work-asource", &v("source_type")),
            saved: filters::saved(&state.db, actor, "actions").await?,
            query: canonical,
            show_hospital: actor.role == Role::PxAdmin,
            can_create: actor.role.may(Permission::HandleComplaints),
            can_export: actor.role != Role::SourceUser,
            flash: filters::flash(lang, uri.query()),
            errors,
            chrome,
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Export

async fn export(state: &AppState, page: &PageActor, uri: &OriginalUri, format: Format) -> PageResult {
    let actor = &page.actor;
    filters::require_export(state, actor).await?;
    let lang = Lang::parse(&actor.language).unwrap_or(Lang::Ar);
    let query = filters::list_query(uri.path(), uri.query(), actions::FILTERS);
    let at = now();
    let select = actions::filtered(actor, &query, at)?;
    let mut found = select.limit(export::MAX_ROWS as u64 + 1).all(&state.db).await?;
    let truncated = found.len() > export::MAX_ROWS;
    found.truncate(export::MAX_ROWS);
    let views: Vec<ActionView> = found.into_iter().map(ActionView::from).collect();
    let names = names_for(state, lang, &views).await?;
    let headers = [
        "reference",
        "status",
        "severity",
        "priority",
        "source_type",
        "hospital",
        "department",
        "title",
        "description",
        "assignee",
        "created_at",
        "due_at",
        "overdue",
        "escalation_level",
        "resolution_notes",
        "approved_at",
        "closed_at",
    ]
    .iter()
    .map(|k| lang.t(&format!("work-field-{k}")))
    .collect();
    let rows: Vec<Vec<String>> = views
        .iter()
        .map(|a| {
            let running = ActionStatus::parse(&a.status).is_some_and(|s| s.sla_running());
            let overdue = Due::of(a.due_at, running, at) == Due::Overdue;
            vec![
                a.reference_number.clone(),
                status_label(lang, &a.status),
                filters::label(lang, "work-severity", &a.severity),
                filters::label(lang, "work-priority", &a.priority),
                filters::label(lang, "work-asource", &a.source_type),
                names.hospital(a.hospital_id),
                names.department(a.department_id),
                a.title.clone(),
                a.description.clone(),
                names.user(a.assigned_to),
                crate::i18n::riyadh_time(a.created_at),
                filters::riyadh_opt(a.due_at),
                lang.t(if overdue { "yes" } else { "no" }),
                a.escalation_level.to_string(),
                a.resolution_notes.clone(),
                filters::riyadh_opt(a.approved_at),
                filters::riyadh_opt(a.closed_at),
            ]
        })
        .collect();
    let count = rows.len();
    let table = Table {
        headers,
        rows,
        note: truncated.then(|| lang.t("work-export-truncated")),
        rtl: lang == Lang::Ar,
        numbers: false,
    };
    let bytes = table.to_bytes(format)?;
    record(
        &state.db,
        actor,
        Entry::new("actions_exported", "px_action", "").hospital(filters::scope_hospital(actor)).details(
            serde_json::json!({
                "format": format.extension(), "rows": count, "truncated": truncated,
                "filters": filters::canonical(uri.query(), actions::FILTERS),
            }),
        ),
    )
    .await?;
    Ok(export::download(bytes, format, &format!("actions-{}.{}", file_date(), format.extension()), truncated))
}

async fn export_csv(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    export(&state, &page, &uri, Format::Csv).await
}

async fn export_xlsx(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    export(&state, &page, &uri, Format::Xlsx).await
}

// ---------------------------------------------------------------------------------------------
// New action

#[derive(Template)]
#[template(path = "actions/form.html")]
struct FormPage {
    chrome: Chrome,
    values: BTreeMap<String, String>,
    errors: FormErrors,
    hospitals: Vec<Opt>,
    severities: Vec<Opt>,
    priorities: Vec<Opt>,
    departments: Vec<Opt>,
    assignees: Vec<Opt>,
    requires_approval: bool,
}

impl FormPage {
    fn v(&self, name: &str) -> String {
        self.values.get(name).cloned().unwrap_or_default()
    }
    fn e(&self, name: &str) -> String {
        self.errors.get(name).cloned().unwrap_or_default()
    }
}

const FORM_FIELDS: &[&str] = &[
    "hospital_id",
    "title",
    "description",
    "department_id",
    "category",
    "severity",
    "priority",
    "assigned_to",
    "requires_approval",
];

async fn form_view(
    state: &AppState,
    page: &PageActor,
    values: BTreeMap<String, String>,
    errors: FormErrors,
    status: StatusCode,
) -> PageResult {
    let actor = &page.actor;
    let chrome = Chrome::new(state, page, "/actions/new/", "work-action-new-title").await?;
    let lang = chrome.lang;
    let get = |k: &str| values.get(k).cloned().unwrap_or_default();
    // The posted hospital counts only when the actor sees it (the option helpers check).
    let hospital = filters::options_hospital(actor, opt_uuid(&get("hospital_id")));
    let severity_values: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
    let priority_values: Vec<&str> = Priority::ALL.iter().map(|s| s.as_str()).collect();
    let pick = |k: &str, default: &str| {
        let v = get(k);
        if v.is_empty() { default.to_owned() } else { v }
    };
    let data = FormPage {
        hospitals: filters::hospital_options(&state.db, lang, actor, hospital).await?,
        severities: filters::choices(lang, &severity_values, "work-severity", &pick("severity", "medium")),
        priorities: filters::choices(lang, &priority_values, "work-priority", &pick("priority", "medium")),
        departments: filters::department_options(&state.db, lang, actor, hospital, opt_uuid(&get("department_id")))
            .await?,
        assignees: filters::handler_options(&state.db, actor, hospital, opt_uuid(&get("assigned_to"))).await?,
        requires_approval: get("requires_approval") != "false",
        chrome,
        values,
        errors,
    };
    render(status, &data)
}

async fn new_form(State(state): State<AppState>, page: PageActor) -> PageResult {
    page.actor.require(&state, Permission::HandleComplaints).await?;
    form_view(&state, &page, BTreeMap::new(), FormErrors::default(), StatusCode::OK).await
}

async fn new_submit(State(state): State<AppState>, page: PageActor, form: CsrfForm) -> PageResult {
    page.actor.require(&state, Permission::HandleComplaints).await?;
    let lang = Lang::parse(&page.actor.language).unwrap_or(Lang::Ar);
    let mut values: BTreeMap<String, String> =
        FORM_FIELDS.iter().map(|f| ((*f).to_owned(), form.get(f))).filter(|(_, v)| !v.is_empty()).collect();
    if !form.has("requires_approval") {
        values.insert("requires_approval".into(), "false".into());
    }
    let get = |k: &str| values.get(k).cloned().unwrap_or_default();
    let mut bad = crate::error::FieldErrors::new();
    let mut uuid_field = |k: &str| match get(k) {
        v if v.is_empty() => None,
        v => Uuid::parse_str(&v).ok().or_else(|| {
            bad.add(k, "Invalid pk - object does not exist.");
            None
        }),
    };
    let input = ActionInput {
        hospital_id: uuid_field("hospital_id"),
        department_id: uuid_field("department_id"),
        assigned_to: uuid_field("assigned_to"),
        title: opt(get("title")),
        description: opt(get("description")),
        category: opt(get("category")),
        severity: opt(get("severity")),
        priority: opt(get("priority")),
        source_type: Some("manual".into()),
        source_id: None,
        requires_approval: Some(get("requires_approval") != "false"),
    };
    let result =
        if bad.is_empty() { actions::create(&state, &page.actor, input).await } else { Err(AppError::Validation(bad)) };
    match result {
        Ok(a) => Ok(Redirect::to(&format!("/actions/{}/?flash=created", a.id)).into_response()),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(..))) => {
            let errors = FormErrors::from_error(lang, &e, FORM_FIELDS);
            form_view(&state, &page, values, errors, e.status()).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Detail

pub struct LogRow {
    pub when: String,
    pub who: String,
    pub kind: String,
    pub from: String,
    pub to: String,
    pub message: String,
}

pub struct Move {
    pub to: String,
    /// The form's name in errors (`status-<to>`).
    pub form: String,
    pub label: String,
    /// plain, notes (submit, close), reason (reject, cancel)
    pub kind: &'static str,
    pub button: &'static str,
}

#[derive(Template)]
#[template(path = "actions/detail.html")]
struct DetailPage {
    chrome: Chrome,
    a: ActionView,
    status_label: String,
    status_badge: &'static str,
    severity_label: String,
    severity_badge: &'static str,
    priority_label: String,
    source_label: String,
    source_href: String,
    source_reference: String,
    hospital: String,
    department: String,
    assignee: String,
    created: String,
    due: String,
    due_badge: &'static str,
    due_label: String,
    reminder_sent: bool,
    submitted: String,
    approved: String,
    approver: String,
    closed: String,
    logs: Vec<LogRow>,
    attachments: AttachmentsPanel,
    can_handle: bool,
    can_take: bool,
    is_final: bool,
    assignees: Vec<Opt>,
    /// The edit form's department choices (empty when the action can't be edited).
    departments: Vec<Opt>,
    moves: Vec<Move>,
    flash: Option<Flash>,
    /// Always empty here (the shared flash partial shows it).
    errors: Vec<String>,
    err_form: String,
    err: FormErrors,
    values: BTreeMap<String, String>,
}

impl DetailPage {
    fn fe(&self, form: &str, field: &str) -> String {
        if self.err_form == form { self.err.get(field).cloned().unwrap_or_default() } else { String::new() }
    }
    fn general(&self, form: &str) -> Vec<String> {
        if self.err_form == form { self.err.general.clone() } else { vec![] }
    }
    /// The errors of a refused form that is not on the page (e.g. a status the complaint can't
    /// move to), shown on top.
    fn orphan(&self) -> Vec<String> {
        let shown = match self.err_form.as_str() {
            "" => true,
            "note" => self.can_handle,
            "assign" | "edit" => self.can_handle && !self.is_final,
            f => self.moves.iter().any(|m| m.form == f),
        };
        if shown { vec![] } else { self.err.general.iter().chain(self.err.fields.values()).cloned().collect() }
    }
    fn val(&self, form: &str, field: &str) -> String {
        if self.err_form == form { self.values.get(field).cloned().unwrap_or_default() } else { String::new() }
    }
}

pub(super) async fn detail_view(
    state: &AppState,
    page: &PageActor,
    id: Uuid,
    query: Option<&str>,
    refused: Option<Refused>,
) -> PageResult {
    let actor = &page.actor;
    let m = actions::visible(state, actor, id).await?;
    if refused.is_none() {
        // Reads are audited like the complaint's (a refused form shown again is not a new read).
        record(&state.db, actor, Entry::new("action_viewed", "px_action", m.id).hospital(Some(m.hospital_id))).await?;
    }
    let path = format!("/actions/{id}/");
    let chrome = Chrome::new(state, page, &path, "work-action-detail-title").await?;
    let lang = chrome.lang;
    let at = now();
    let log_rows = actions::logs(&state.db, id).await?;
    let mut user_ids: Vec<Uuid> = log_rows.iter().filter_map(|l| l.created_by).collect();
    user_ids.extend(m.assigned_to);
    user_ids.extend(m.approved_by);
    let names =
        Names::load(&state.db, lang, user_ids, m.department_id.into_iter().collect(), vec![m.hospital_id], vec![])
            .await?;
    let (source_href, source_reference) = match (m.source_type.as_str(), m.source_id) {
        ("complaint" | "complaint_resolution", Some(s)) => {
            let reference = complaint::Entity::find_by_id(s)
                .filter(complaint::Column::HospitalId.eq(m.hospital_id))
                .one(&state.db)
                .await?
                .map(|c| c.reference_number)
                .unwrap_or_default();
            (format!("/complaints/{s}/"), reference)
        }
        _ => (String::new(), String::new()),
    };
    let status = ActionStatus::parse(&m.status);
    let running = status.is_some_and(|s| s.sla_running());
    let due = Due::of(m.due_at, running, at);
    let can_handle = actor.role.may(Permission::HandleComplaints);
    let is_final = status.is_none_or(|s| s.is_final());
    let is_assignee = actor.user_id.is_some() && m.assigned_to == actor.user_id;
    let moves = match status {
        Some(from) if can_handle => from
            .next(m.requires_approval)
            .iter()
            .filter(|to| workflow::action_roles(from, **to).contains(&actor.role))
            .filter(|to| {
                !(from == ActionStatus::PendingApproval
                    && matches!(to, ActionStatus::Approved | ActionStatus::InProgress)
                    && is_assignee)
            })
            .map(|to| {
                let (kind, button, key) = match (from, to) {
                    (ActionStatus::PendingApproval, ActionStatus::InProgress) => {
                        ("reason", "btn-outline-warning", "work-amove-reject")
                    }
                    (_, ActionStatus::PendingApproval) => ("notes", "btn-primary", "work-amove-submit"),
                    (_, ActionStatus::Approved) => ("plain", "btn-success", "work-amove-approve"),
                    (_, ActionStatus::Closed) => ("notes", "btn-secondary", "work-amove-close"),
                    (_, ActionStatus::Cancelled) => ("reason", "btn-outline-danger", "work-amove-cancel"),
                    _ => ("plain", "btn-primary", "work-amove-start"),
                };
                Move {
                    to: to.as_str().to_owned(),
                    form: format!("status-{}", to.as_str()),
                    label: lang.t(key),
                    kind,
                    button,
                }
            })
            .collect(),
        _ => vec![],
    };
    let (err_form, err, values, status_code) = match refused {
        Some(r) => (r.form, r.err, r.values, r.status),
        None => (String::new(), FormErrors::default(), BTreeMap::new(), StatusCode::OK),
    };
    let data = DetailPage {
        status_label: status_label(lang, &m.status),
        status_badge: filters::action_badge(&m.status),
        severity_label: filters::label(lang, "work-severity", &m.severity),
        severity_badge: filters::severity_badge(&m.severity),
        priority_label: filters::label(lang, "work-priority", &m.priority),
        source_label: filters::label(lang, "work-asource", &m.source_type),
        source_href,
        source_reference,
        hospital: names.hospital(m.hospital_id),
        department: names.department(m.department_id),
        assignee: names.user(m.assigned_to),
        created: crate::i18n::riyadh_time(m.created_at),
        due: filters::riyadh_opt(m.due_at),
        due_badge: due.badge(),
        due_label: lang.t(due.key()),
        reminder_sent: m.reminder_sent_at.is_some(),
        submitted: filters::riyadh_opt(m.submitted_at),
        approved: filters::riyadh_opt(m.approved_at),
        approver: names.user(m.approved_by),
        closed: filters::riyadh_opt(m.closed_at),
        logs: log_rows
            .iter()
            .map(|l| LogRow {
                when: crate::i18n::riyadh_time(l.created_at),
                who: l.created_by.map(|b| names.user(Some(b))).unwrap_or_else(|| lang.t("work-system")),
                kind: filters::label(lang, "work-log", &l.log_type),
                from: l.old_status.as_deref().map(|s| status_label(lang, s)).unwrap_or_default(),
                to: l.new_status.as_deref().map(|s| status_label(lang, s)).unwrap_or_default(),
                message: l.message.clone(),
            })
            .collect(),
        attachments: attachments::panel(state, actor, Subject::Action, id).await?.with_error_from_query(query),
        can_handle,
        can_take: can_handle && !is_final && !is_assignee,
        is_final,
        assignees: if can_handle && !is_final {
            filters::handler_options(&state.db, actor, Some(m.hospital_id), m.assigned_to).await?
        } else {
            vec![]
        },
        departments: if can_handle && !is_final {
            filters::department_options(&state.db, lang, actor, Some(m.hospital_id), m.department_id).await?
        } else {
            vec![]
        },
        moves,
        flash: filters::flash(lang, query),
        a: ActionView::from(m),
        chrome,
        errors: vec![],
        err_form,
        err,
        values,
    };
    render(status_code, &data)
}

async fn detail_page(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<String>,
    uri: OriginalUri,
) -> PageResult {
    let id = parse_id(&id, "action")?;
    detail_view(&state, &page, id, uri.query(), None).await
}

async fn assign_submit(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<String>,
    form: CsrfForm,
) -> PageResult {
    let id = parse_id(&id, "action")?;
    let input = ActionAssignInput { user_id: opt_uuid(&form.get("user_id")) };
    let result = actions::assign(&state, &page.actor, id, input).await.map(|_| ());
    filters::after(&state, &page, Detail::Action, id, "assign", &["user_id"], &form, result, "assigned", "assign").await
}

async fn take_submit(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<String>,
    form: CsrfForm,
) -> PageResult {
    let id = parse_id(&id, "action")?;
    let input = ActionAssignInput { user_id: page.actor.user_id };
    let result = actions::assign(&state, &page.actor, id, input).await.map(|_| ());
    let next = form.get("next");
    if result.is_ok() && !next.is_empty() {
        let target = safe_next(&next, &format!("/actions/{id}/"));
        let sep = if target.contains('?') { '&' } else { '?' };
        return Ok(Redirect::to(&format!("{target}{sep}flash=taken")).into_response());
    }
    filters::after(&state, &page, Detail::Action, id, "assign", &["user_id"], &form, result, "taken", "assign").await
}

async fn status_submit(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<String>,
    form: CsrfForm,
) -> PageResult {
    let id = parse_id(&id, "action")?;
    let to = form.get("status");
    let form_name = format!("status-{to}");
    let input = ActionTransitionInput {
        status: opt(to),
        resolution_notes: opt(form.get("resolution_notes")),
        reason: opt(form.get("reason")),
    };
    let result = actions::transition(&state, &page.actor, id, input).await.map(|_| ());
    filters::after(
        &state,
        &page,
        Detail::Action,
        id,
        &form_name,
        &["resolution_notes", "reason", "evidence"],
        &form,
        result,
        "status_changed",
        "status",
    )
    .await
}

async fn edit_submit(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<String>,
    form: CsrfForm,
) -> PageResult {
    let id = parse_id(&id, "action")?;
    let result = async {
        let department_id = match form.get("department_id") {
            d if d.is_empty() => None,
            d => Some(
                Uuid::parse_str(&d)
                    .map_err(|_| crate::error::invalid("department_id", "Invalid pk - object does not exist."))?,
            ),
        };
        let before = actions::visible(&state, &page.actor, id).await?;
        let patch = actions::ActionPatch {
            title: Some(form.get("title")),
            description: Some(form.get("description")),
            category: Some(form.get("category")),
            severity: opt(form.get("severity")),
            priority: opt(form.get("priority")),
            department_id,
        };
        let after = actions::update(&state, &page.actor, id, patch).await?;
        Ok(after.updated_at != before.updated_at)
    }
    .await;
    let flash = if matches!(result, Ok(false)) { "unchanged" } else { "updated" };
    let fields = ["title", "description", "category", "severity", "priority", "department_id"];
    filters::after(&state, &page, Detail::Action, id, "edit", &fields, &form, result.map(|_| ()), flash, "details")
        .await
}

async fn note_submit(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<String>,
    form: CsrfForm,
) -> PageResult {
    let id = parse_id(&id, "action")?;
    let input = ActionNoteInput { message: opt(form.get("message")) };
    let result = actions::add_note(&state, &page.actor, id, input).await.map(|_| ());
    filters::after(&state, &page, Detail::Action, id, "note", &["message"], &form, result, "note_added", "logs").await
}
