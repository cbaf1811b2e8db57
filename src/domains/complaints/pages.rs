//! The complaint work pages: the work list (filters, counts per status, saved filters, bulk
//! assign and close, CSV/Excel export), "My work", the new-complaint form and the one-screen
//! detail page with its forms (assign or take, status moves, notes, edits, PX Action, explanation
//! request). Every change goes through `service.rs`; a refused form is shown again with its
//! errors beside it, a done one redirects back with a flash.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::api::{BulkInput, bulk_run, my_work_rows};
use super::attachments::{self, AttachmentsPanel, Subject};
use super::filters::{self, Detail, Due, Flash, FormErrors, Names, Opt, Refused, opt, opt_uuid};
use super::model::{complaint, complaint_category, px_action};
use super::service::{
    self, AssignInput, ComplaintInput, ComplaintPatch, ComplaintView, NoteInput, Origin, TransitionInput,
};
use super::sla::{ComplaintSource, Priority, Severity};
use super::workflow::{self, ActionStatus, ComplaintStatus, ComplaintType, ResolutionCategory};
use crate::app::AppState;
use crate::auth::{Actor, CsrfForm, PageActor, Permission, Role};
use crate::crud::ListQuery;
use crate::domains::audit::service::{Entry, record};
use crate::domains::organizations::model::{patient, staff};
use crate::domains::organizations::service::now;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::http::export::{self, Format, Table};
use crate::http::parse_id;
use crate::i18n::Lang;
use crate::web::{Chrome, PageResult, render};

pub fn api_routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::new()
}

pub fn page_routes() -> Router<AppState> {
    Router::new()
        .route("/complaints/", get(list_page))
        .route("/complaints/bulk/", post(bulk_submit))
        .route("/complaints/export.csv", get(export_csv))
        .route("/complaints/export.xlsx", get(export_xlsx))
        .route("/complaints/filters/", post(filters::save_complaints))
        .route("/complaints/filters/{id}/delete/", post(filters::delete_complaints))
        .route("/complaints/my-work/", get(my_work_page))
        .route("/complaints/new/", get(new_form).post(new_submit))
        .route("/complaints/{id}/", get(detail_page))
        .route("/complaints/{id}/assign/", post(assign_submit))
        .route("/complaints/{id}/take/", post(take_submit))
        .route("/complaints/{id}/status/", post(status_submit))
        .route("/complaints/{id}/notes/", post(note_submit))
        .route("/complaints/{id}/edit/", post(edit_submit))
        .route("/complaints/{id}/actions/", post(create_action_submit))
        .merge(super::action_pages::page_routes())
}

/// A same-site path to go back to (`/complaints/…` or `/actions/…`), else `fallback`.
pub fn safe_next(next: &str, fallback: &str) -> String {
    let ok = (next.starts_with("/complaints/") || next.starts_with("/actions/"))
        && !next.contains("//")
        && !next.contains('\\')
        && !next.contains(['\r', '\n']);
    if ok { next.to_owned() } else { fallback.to_owned() }
}

pub fn status_label(lang: Lang, status: &str) -> String {
    filters::label(lang, "work-status", status)
}

// ---------------------------------------------------------------------------------------------
// The work list

pub struct Row {
    pub id: Uuid,
    pub reference: String,
    pub title: String,
    pub status: String,
    pub status_label: String,
    pub status_badge: &'static str,
    pub severity_label: String,
    pub severity_badge: &'static str,
    pub priority_label: String,
    pub hospital: String,
    pub department: String,
    pub assignee: String,
    pub received: String,
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

pub struct ListFilters {
    pub search: String,
    pub overdue: String,
    pub assigned_to: String,
    pub received_from: String,
    pub received_to: String,
    pub ordering: String,
}

#[derive(Template)]
#[template(path = "complaints/list.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    count: u64,
    next: Option<String>,
    previous: Option<String>,
    counts: Vec<StatusCount>,
    f: ListFilters,
    statuses: Vec<Opt>,
    hospitals: Vec<Opt>,
    departments: Vec<Opt>,
    categories: Vec<Opt>,
    severities: Vec<Opt>,
    priorities: Vec<Opt>,
    sources: Vec<Opt>,
    types: Vec<Opt>,
    saved: Vec<filters::SavedLink>,
    query: String,
    show_hospital: bool,
    can_create: bool,
    can_handle: bool,
    can_assign: bool,
    can_export: bool,
    /// False for a source user: no assignee column or filter.
    internal: bool,
    assignees: Vec<Opt>,
    flash: Option<Flash>,
    errors: Vec<String>,
}

async fn names_for(state: &AppState, lang: Lang, rows: &[ComplaintView]) -> AppResult<Names> {
    Names::load(
        &state.db,
        lang,
        rows.iter().filter_map(|r| r.assigned_to).collect(),
        rows.iter().filter_map(|r| r.department_id).collect(),
        rows.iter().map(|r| r.hospital_id).collect(),
        rows.iter().filter_map(|r| r.category_id).collect(),
    )
    .await
}

fn row_of(lang: Lang, names: &Names, c: &ComplaintView, at: DateTime<Utc>) -> Row {
    let running = ComplaintStatus::parse(&c.status).is_some_and(|s| s.sla_running());
    let due = Due::of(c.due_at, running, at);
    Row {
        id: c.id,
        reference: c.reference_number.clone(),
        title: c.title.clone(),
        status: c.status.clone(),
        status_label: status_label(lang, &c.status),
        status_badge: filters::complaint_badge(&c.status),
        severity_label: filters::label(lang, "work-severity", &c.severity),
        severity_badge: filters::severity_badge(&c.severity),
        priority_label: filters::label(lang, "work-priority", &c.priority),
        hospital: names.hospital(c.hospital_id),
        department: names.department(c.department_id),
        assignee: names.user(c.assigned_to),
        received: crate::i18n::riyadh_time(c.received_at),
        due: filters::riyadh_opt(c.due_at),
        due_badge: due.badge(),
        due_label: lang.t(due.key()),
        overdue: due == Due::Overdue,
        escalation_level: c.escalation_level,
    }
}

async fn list_page(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    let actor = &page.actor;
    actor.require(&state, Permission::ViewComplaints).await?;
    let chrome = Chrome::new(&state, &page, uri.path(), "nav-complaints").await?;
    let lang = chrome.lang;
    let query = filters::list_query(uri.path(), uri.query(), service::FILTERS);
    let canonical = filters::canonical(uri.query(), service::FILTERS);
    let at = now();
    let mut errors = Vec::new();
    let (results, count, next, previous) = match service::list(&state, actor, &query).await {
        Ok(p) => (p.results, p.count, p.next, p.previous),
        Err(e @ AppError::Validation(_)) => {
            errors = FormErrors::from_error(lang, &e, &[]).general;
            (vec![], 0, None, None)
        }
        Err(AppError::NotFound(_)) => (vec![], 0, None, None),
        Err(e) => return Err(e.into()),
    };
    let names = names_for(&state, lang, &results).await?;
    // A source user's list: their own complaints, without the handlers' names.
    let internal = actor.role != Role::SourceUser;
    let rows = results
        .iter()
        .map(|c| row_of(lang, &names, c, at))
        .map(|r| if internal { r } else { Row { assignee: String::new(), ..r } })
        .collect();
    let by_status = filters::status_counts(
        &state.db,
        &query,
        |q| service::filtered(actor, q, at),
        complaint::Column::Status,
        complaint::Column::Id,
    )
    .await?;
    let counts = ComplaintStatus::ALL
        .iter()
        .map(|s| StatusCount {
            label: status_label(lang, s.as_str()),
            badge: filters::complaint_badge(s.as_str()),
            count: by_status.iter().find(|(k, _)| k == s.as_str()).map_or(0, |(_, n)| *n),
            href: format!("/complaints/?{}", filters::with_param(&canonical, "status", s.as_str())),
            active: query.filter("status") == Some(s.as_str()),
        })
        .collect();
    // The option helpers keep a requested hospital only when the actor sees it.
    let hospital_filter = query.uuid_filter("hospital_id").ok().flatten();
    let status_values: Vec<&str> = ComplaintStatus::ALL.iter().map(|s| s.as_str()).collect();
    let severity_values: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
    let priority_values: Vec<&str> = Priority::ALL.iter().map(|s| s.as_str()).collect();
    let source_values: Vec<&str> = ComplaintSource::ALL.iter().map(|s| s.as_str()).collect();
    let type_values: Vec<&str> = ComplaintType::ALL.iter().map(|s| s.as_str()).collect();
    let v = |name: &str| filters::value(&query, name);
    let can_assign = actor.role.may(Permission::AssignComplaints);
    render(
        if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST },
        &ListPage {
            rows,
            count,
            next,
            previous,
            counts,
            f: ListFilters {
                search: v("search"),
                overdue: v("overdue"),
                assigned_to: v("assigned_to"),
                received_from: v("received_from"),
                received_to: v("received_to"),
                ordering: v("ordering"),
            },
            statuses: filters::choices(lang, &status_values, "work-status", &v("status")),
            hospitals: filters::hospital_options(&state.db, lang, actor, hospital_filter).await?,
            departments: filters::department_options(
                &state.db,
                lang,
                actor,
                hospital_filter,
                query.uuid_filter("department_id").ok().flatten(),
            )
            .await?,
            categories: filters::category_options(
                &state.db,
                lang,
                actor,
                hospital_filter,
                1,
                query.uuid_filter("category_id").ok().flatten(),
            )
            .await?,
            severities: filters::choices(lang, &severity_values, "work-severity", &v("severity")),
            priorities: filters::choices(lang, &priority_values, "work-priority", &v("priority")),
            sources: filters::choices(lang, &source_values, "work-source", &v("source")),
            types: filters::choices(lang, &type_values, "work-type", &v("complaint_type")),
            saved: filters::saved(&state.db, actor, "complaints").await?,
            query: canonical,
            show_hospital: actor.role == Role::PxAdmin,
            can_create: actor.role.may(Permission::CreateComplaints),
            can_handle: actor.role.may(Permission::HandleComplaints),
            assignees: if can_assign {
                filters::handler_options(&state.db, actor, hospital_filter, None).await?
            } else {
                vec![]
            },
            can_export: internal,
            internal,
            can_assign,
            flash: filters::flash(lang, uri.query()),
            errors,
            chrome,
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Bulk assign and close

pub struct BulkRow {
    pub id: Option<Uuid>,
    pub reference: String,
    pub ok: bool,
    pub message: String,
}

#[derive(Template)]
#[template(path = "complaints/bulk.html")]
struct BulkPage {
    chrome: Chrome,
    summary: String,
    all_ok: bool,
    rows: Vec<BulkRow>,
    back: String,
}

/// The page's words for the bulk service's input errors.
fn bulk_problem(lang: Lang, errors: &FieldErrors) -> String {
    let mut out = Vec::new();
    for (field, messages) in &errors.0 {
        let key = match field.as_str() {
            "ids" if messages.iter().any(|m| m.contains("at most")) => "work-bulk-too-many",
            "ids" => "work-bulk-none",
            "operation" => "work-bulk-no-op",
            "user_id" => "work-bulk-no-user",
            _ => {
                out.extend(messages.iter().map(|m| filters::message(lang, m)));
                continue;
            }
        };
        out.push(lang.t(key));
    }
    out.join(" ")
}

/// Why the bulk service refused one row, from its error body (`{"detail", "code"}` or the
/// field errors), in the reader's language where the page knows the message.
fn bulk_reason(lang: Lang, body: Option<&serde_json::Value>, status: Option<&str>) -> String {
    let Some(body) = body else { return String::new() };
    match (body.get("code").and_then(|c| c.as_str()), status) {
        (Some("not_found"), _) => return lang.t("work-err-not-found"),
        // The status doesn't allow it: say which status it is.
        (Some("invalid_transition" | "complaint_final"), Some(status)) => {
            return format!("{} {}", lang.t("work-bulk-is"), status_label(lang, status));
        }
        _ => {}
    }
    if let Some(detail) = body.get("detail").and_then(|d| d.as_str()) {
        return filters::message(lang, detail);
    }
    body.as_object()
        .map(|fields| {
            fields
                .iter()
                .map(|(field, messages)| {
                    let text = messages
                        .as_array()
                        .map(|m| m.iter().filter_map(|x| x.as_str()).map(|x| filters::message(lang, x)).collect())
                        .unwrap_or_else(Vec::new)
                        .join(" ");
                    let label = lang.t(&format!("work-field-{field}"));
                    let label = if label.starts_with("work-field-") { field.clone() } else { label };
                    format!("{label}: {text}")
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// Bulk assign or close: the same service as `POST /api/complaints/bulk/` (each row by the
/// one-by-one rules, in its own transaction); the page only shows its result.
async fn bulk_submit(State(state): State<AppState>, page: PageActor, form: CsrfForm) -> PageResult {
    let actor = &page.actor;
    let chrome = Chrome::new(&state, &page, "/complaints/", "work-bulk-title").await?;
    let lang = chrome.lang;
    let back = {
        let q = filters::canonical(Some(&form.get("back")), service::FILTERS);
        if q.is_empty() { "/complaints/".to_owned() } else { format!("/complaints/?{q}") }
    };
    let sent: Vec<String> = form.0.iter().filter(|(k, _)| k == "ids").map(|(_, v)| v.trim().to_owned()).collect();
    // A value that is no id at all is the same "not found" as an unknown one.
    let (ids, unknown): (Vec<_>, Vec<_>) = sent.iter().partition(|raw| Uuid::parse_str(raw).is_ok());
    let ids: Vec<Uuid> = ids.iter().filter_map(|raw| Uuid::parse_str(raw).ok()).collect();
    let input = BulkInput {
        ids: Some(ids.clone()),
        operation: filters::opt(form.get("op")),
        user_id: filters::opt_uuid(&form.get("user_id")),
        resolution: filters::opt(form.get("resolution")),
    };
    let not_found =
        |raw: &String| BulkRow { id: None, reference: raw.clone(), ok: false, message: lang.t("work-err-not-found") };
    let result = match bulk_run(&state, actor, input).await {
        Ok(r) => r,
        Err(AppError::Validation(errors)) => {
            let summary = bulk_problem(lang, &errors);
            let rows = unknown.iter().copied().map(not_found).collect();
            return render(StatusCode::BAD_REQUEST, &BulkPage { chrome, summary, all_ok: false, rows, back });
        }
        Err(e) => return Err(e.into()),
    };
    // After the run: the status a refused row is in now.
    let references: BTreeMap<Uuid, (String, String)> = service::scoped_select(actor)
        .filter(complaint::Column::Id.is_in(ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|c| (c.id, (c.reference_number, c.status)))
        .collect();
    let op_done = if form.get("op").trim() == "close" { "work-bulk-closed-one" } else { "work-bulk-assigned-one" };
    let mut rows: Vec<BulkRow> = result
        .results
        .iter()
        .map(|r| {
            let found = references.get(&r.id);
            BulkRow {
                // Only a row the reader sees links to its page.
                id: found.map(|_| r.id),
                reference: found.map_or_else(|| r.id.to_string(), |(reference, _)| reference.clone()),
                ok: r.ok,
                message: if r.ok {
                    lang.t(op_done)
                } else {
                    bulk_reason(lang, r.error.as_ref(), found.map(|(_, status)| status.as_str()))
                },
            }
        })
        .collect();
    rows.extend(unknown.iter().copied().map(not_found));
    let refused = result.refused + unknown.len();
    let summary = format!(
        "{}, {}",
        lang.tn(
            if op_done == "work-bulk-closed-one" { "work-bulk-closed" } else { "work-bulk-assigned" },
            i64::try_from(result.done).unwrap_or(i64::MAX)
        ),
        lang.tn("work-bulk-refused", i64::try_from(refused).unwrap_or(i64::MAX))
    );
    render(StatusCode::OK, &BulkPage { chrome, summary, all_ok: refused == 0, rows, back })
}

// ---------------------------------------------------------------------------------------------
// Export

fn complaint_headers(lang: Lang) -> Vec<String> {
    [
        "reference",
        "type",
        "status",
        "severity",
        "priority",
        "source",
        "hospital",
        "department",
        "category",
        "title",
        "description",
        "complainant_name",
        "complainant_phone",
        "complainant_email",
        "external_reference",
        "assignee",
        "received_at",
        "due_at",
        "overdue",
        "escalation_level",
        "resolution_category",
        "resolution",
        "resolved_at",
        "closed_at",
    ]
    .iter()
    .map(|k| lang.t(&format!("work-field-{k}")))
    .collect()
}

/// Today's date in Riyadh for file names (`YYYYMMDD`).
pub fn file_date() -> String {
    now().with_timezone(&super::calendar::riyadh()).format("%Y%m%d").to_string()
}

async fn export(state: &AppState, page: &PageActor, uri: &OriginalUri, format: Format) -> PageResult {
    let actor = &page.actor;
    filters::require_export(state, actor).await?;
    let mask_name = filters::masks_pii(actor.role);
    let lang = Lang::parse(&actor.language).unwrap_or(Lang::Ar);
    let query = filters::list_query(uri.path(), uri.query(), service::FILTERS);
    let at = now();
    let select = service::filtered(actor, &query, at)?;
    let mut found = select.limit(export::MAX_ROWS as u64 + 1).all(&state.db).await?;
    let truncated = found.len() > export::MAX_ROWS;
    found.truncate(export::MAX_ROWS);
    let views: Vec<ComplaintView> = found.into_iter().map(|m| ComplaintView::new(m, actor.role)).collect();
    let names = names_for(state, lang, &views).await?;
    let rows = views
        .iter()
        .map(|c| {
            let running = ComplaintStatus::parse(&c.status).is_some_and(|s| s.sla_running());
            let overdue = Due::of(c.due_at, running, at) == Due::Overdue;
            vec![
                c.reference_number.clone(),
                filters::label(lang, "work-type", &c.complaint_type),
                status_label(lang, &c.status),
                filters::label(lang, "work-severity", &c.severity),
                filters::label(lang, "work-priority", &c.priority),
                filters::label(lang, "work-source", &c.source),
                names.hospital(c.hospital_id),
                names.department(c.department_id),
                names.category(c.category_id),
                c.title.clone(),
                c.description.clone(),
                if mask_name { service::mask(&c.complainant_name) } else { c.complainant_name.clone() },
                c.complainant_phone.clone(),
                c.complainant_email.clone(),
                c.external_reference.clone(),
                names.user(c.assigned_to),
                crate::i18n::riyadh_time(c.received_at),
                filters::riyadh_opt(c.due_at),
                lang.t(if overdue { "yes" } else { "no" }),
                c.escalation_level.to_string(),
                filters::label(lang, "work-resolution", c.resolution_category.as_deref().unwrap_or_default()),
                c.resolution.clone(),
                filters::riyadh_opt(c.resolved_at),
                filters::riyadh_opt(c.closed_at),
            ]
        })
        .collect::<Vec<_>>();
    let count = rows.len();
    let table = Table {
        headers: complaint_headers(lang),
        rows,
        note: truncated.then(|| lang.t("work-export-truncated")),
        rtl: lang == Lang::Ar,
        numbers: false,
    };
    let bytes = table.to_bytes(format)?;
    record(
        &state.db,
        actor,
        Entry::new("complaints_exported", "complaint", "").hospital(filters::scope_hospital(actor)).details(
            serde_json::json!({
                "format": format.extension(), "rows": count, "truncated": truncated,
                "filters": filters::canonical(uri.query(), service::FILTERS),
            }),
        ),
    )
    .await?;
    Ok(export::download(bytes, format, &format!("complaints-{}.{}", file_date(), format.extension()), truncated))
}

async fn export_csv(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    export(&state, &page, &uri, Format::Csv).await
}

async fn export_xlsx(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    export(&state, &page, &uri, Format::Xlsx).await
}

// ---------------------------------------------------------------------------------------------
// My work

pub struct WorkItem {
    pub href: String,
    pub is_action: bool,
    pub reference: String,
    pub title: String,
    pub status_label: String,
    pub status_badge: &'static str,
    pub severity_label: String,
    pub severity_badge: &'static str,
    pub due_at: Option<DateTime<Utc>>,
    pub due: String,
    pub due_badge: &'static str,
    pub due_label: String,
    pub take_url: String,
}

#[derive(Template)]
#[template(path = "complaints/my_work.html")]
struct MyWorkPage {
    chrome: Chrome,
    mine: Vec<WorkItem>,
    unassigned: Vec<WorkItem>,
    can_take: bool,
    overdue: usize,
    soon: usize,
    complaints: usize,
    actions: usize,
    flash: Option<Flash>,
    errors: Vec<String>,
}

fn work_query(q: &str) -> ListQuery {
    ListQuery::from_query("/complaints/my-work/", Some(q))
}

/// Soonest due first (overdue ones at the top); cases without a running deadline last.
fn by_due(items: &mut [WorkItem]) {
    items.sort_by(|a, b| match (a.due_at, b.due_at) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.reference.cmp(&b.reference),
    });
}

fn complaint_item(lang: Lang, c: complaint::Model, at: DateTime<Utc>) -> WorkItem {
    let running = ComplaintStatus::parse(&c.status).is_some_and(|s| s.sla_running());
    let due = Due::of(c.due_at, running, at);
    WorkItem {
        href: format!("/complaints/{}/", c.id),
        is_action: false,
        take_url: format!("/complaints/{}/take/", c.id),
        status_label: status_label(lang, &c.status),
        status_badge: filters::complaint_badge(&c.status),
        severity_label: filters::label(lang, "work-severity", &c.severity),
        severity_badge: filters::severity_badge(&c.severity),
        // A case whose clock stopped (resolved, waiting for approval) has no deadline to show.
        due_at: c.due_at.filter(|_| running),
        due: if running { filters::riyadh_opt(c.due_at) } else { String::new() },
        due_badge: due.badge(),
        due_label: lang.t(due.key()),
        reference: c.reference_number,
        title: c.title,
    }
}

fn action_item(lang: Lang, a: px_action::Model, at: DateTime<Utc>) -> WorkItem {
    let running = ActionStatus::parse(&a.status).is_some_and(|s| s.sla_running());
    let due = Due::of(a.due_at, running, at);
    WorkItem {
        href: format!("/actions/{}/", a.id),
        is_action: true,
        take_url: format!("/actions/{}/take/", a.id),
        status_label: filters::label(lang, "work-astatus", &a.status),
        status_badge: filters::action_badge(&a.status),
        severity_label: filters::label(lang, "work-severity", &a.severity),
        severity_badge: filters::severity_badge(&a.severity),
        // A case whose clock stopped (resolved, waiting for approval) has no deadline to show.
        due_at: a.due_at.filter(|_| running),
        due: if running { filters::riyadh_opt(a.due_at) } else { String::new() },
        due_badge: due.badge(),
        due_label: lang.t(due.key()),
        reference: a.reference_number,
        title: a.title,
    }
}

/// Open complaints and actions of the actor's scope nobody has taken, soonest due first.
async fn unassigned_items(state: &AppState, actor: &Actor, lang: Lang, at: DateTime<Utc>) -> AppResult<Vec<WorkItem>> {
    let q = "assigned_to=none&status=open,in_progress&ordering=due_at";
    let mut items: Vec<WorkItem> = service::filtered(actor, &work_query(q), at)?
        .limit(200)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|c| complaint_item(lang, c, at))
        .collect();
    let actions = super::actions::filtered(actor, &work_query(q), at)?.limit(200).all(&state.db).await?;
    items.extend(actions.into_iter().map(|a| action_item(lang, a, at)));
    by_due(&mut items);
    Ok(items)
}

/// What is assigned to me (the rows of `GET /api/complaints/my-work/`) and what nobody has
/// taken yet. Handlers only: a viewer or source user has nothing assigned.
async fn my_work_page(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    let actor = &page.actor;
    actor.require(&state, Permission::HandleComplaints).await?;
    let chrome = Chrome::new(&state, &page, uri.path(), "nav-my-work").await?;
    let lang = chrome.lang;
    let at = now();
    let (complaints, actions) = my_work_rows(&state, actor).await?;
    let mut mine: Vec<WorkItem> = complaints.into_iter().map(|c| complaint_item(lang, c, at)).collect();
    mine.extend(actions.into_iter().map(|a| action_item(lang, a, at)));
    by_due(&mut mine);
    let unassigned = unassigned_items(&state, actor, lang, at).await?;
    render(
        StatusCode::OK,
        &MyWorkPage {
            overdue: mine.iter().filter(|i| i.due_badge == Due::Overdue.badge()).count(),
            soon: mine.iter().filter(|i| i.due_badge == Due::Soon.badge()).count(),
            complaints: mine.iter().filter(|i| !i.is_action).count(),
            actions: mine.iter().filter(|i| i.is_action).count(),
            mine,
            unassigned,
            can_take: true,
            flash: filters::flash(lang, uri.query()),
            errors: vec![],
            chrome,
        },
    )
}

// ---------------------------------------------------------------------------------------------
// New complaint

#[derive(Template)]
#[template(path = "complaints/form.html")]
struct FormPage {
    chrome: Chrome,
    values: BTreeMap<String, String>,
    errors: FormErrors,
    hospitals: Vec<Opt>,
    types: Vec<Opt>,
    sources: Vec<Opt>,
    severities: Vec<Opt>,
    priorities: Vec<Opt>,
    departments: Vec<Opt>,
    categories: Vec<Opt>,
    staff: Vec<Opt>,
    relations: Vec<Opt>,
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
    "complaint_type",
    "source",
    "severity",
    "priority",
    "department_id",
    "category_id",
    "staff_id",
    "complainant_name",
    "complainant_phone",
    "complainant_email",
    "complainant_relation",
    "title",
    "description",
    "received_at",
    "external_reference",
];

const RELATIONS: &[&str] = &["self", "parent", "child", "spouse", "sibling", "relative", "other"];

async fn form_view(
    state: &AppState,
    page: &PageActor,
    values: BTreeMap<String, String>,
    errors: FormErrors,
    status: StatusCode,
) -> PageResult {
    let actor = &page.actor;
    let chrome = Chrome::new(state, page, "/complaints/new/", "work-new-title").await?;
    let lang = chrome.lang;
    let get = |k: &str| values.get(k).cloned().unwrap_or_default();
    // The posted hospital counts only when the actor sees it (the option helpers check).
    let hospital = filters::options_hospital(actor, opt_uuid(&get("hospital_id")));
    let status_of = |values: &[&str], prefix: &str, field: &str, default: &str| {
        let chosen = get(field);
        filters::choices(lang, values, prefix, if chosen.is_empty() { default } else { &chosen })
    };
    let severity_values: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
    let priority_values: Vec<&str> = Priority::ALL.iter().map(|s| s.as_str()).collect();
    let source_values: Vec<&str> = ComplaintSource::ALL.iter().map(|s| s.as_str()).collect();
    let type_values: Vec<&str> = ComplaintType::ALL.iter().map(|s| s.as_str()).collect();
    let page_data = FormPage {
        hospitals: filters::hospital_options(&state.db, lang, actor, hospital).await?,
        types: status_of(&type_values, "work-type", "complaint_type", "complaint"),
        sources: status_of(&source_values, "work-source", "source", ""),
        severities: status_of(&severity_values, "work-severity", "severity", "medium"),
        priorities: status_of(&priority_values, "work-priority", "priority", "medium"),
        departments: filters::department_options(&state.db, lang, actor, hospital, opt_uuid(&get("department_id")))
            .await?,
        categories: filters::category_options(&state.db, lang, actor, hospital, 1, opt_uuid(&get("category_id")))
            .await?,
        staff: filters::staff_options(&state.db, lang, actor, hospital, opt_uuid(&get("staff_id"))).await?,
        relations: status_of(RELATIONS, "work-relation", "complainant_relation", ""),
        chrome,
        values,
        errors,
    };
    render(status, &page_data)
}

async fn new_form(State(state): State<AppState>, page: PageActor) -> PageResult {
    page.actor.require(&state, Permission::CreateComplaints).await?;
    let mut values = BTreeMap::new();
    values.insert(
        "received_at".to_owned(),
        now().with_timezone(&super::calendar::riyadh()).format("%Y-%m-%dT%H:%M").to_string(),
    );
    form_view(&state, &page, values, FormErrors::default(), StatusCode::OK).await
}

/// A `datetime-local` value read as Riyadh time.
pub fn parse_riyadh(value: &str) -> Option<DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    super::calendar::riyadh().from_local_datetime(&naive).single().map(|d| d.with_timezone(&Utc))
}

async fn new_submit(State(state): State<AppState>, page: PageActor, form: CsrfForm) -> PageResult {
    page.actor.require(&state, Permission::CreateComplaints).await?;
    let lang = Lang::parse(&page.actor.language).unwrap_or(Lang::Ar);
    let values: BTreeMap<String, String> =
        FORM_FIELDS.iter().map(|f| ((*f).to_owned(), form.get(f))).filter(|(_, v)| !v.is_empty()).collect();
    let get = |k: &str| values.get(k).cloned().unwrap_or_default();
    let mut bad = crate::error::FieldErrors::new();
    let received_at = match get("received_at") {
        v if v.is_empty() => None,
        v => match parse_riyadh(&v) {
            Some(d) => Some(d),
            None => {
                bad.add("received_at", "Enter a date and time.");
                None
            }
        },
    };
    let uuid_field = |bad: &mut crate::error::FieldErrors, k: &str| match get(k) {
        v if v.is_empty() => None,
        v => Uuid::parse_str(&v).ok().or_else(|| {
            bad.add(k, "Invalid pk - object does not exist.");
            None
        }),
    };
    let input = ComplaintInput {
        hospital_id: uuid_field(&mut bad, "hospital_id"),
        complaint_type: opt(get("complaint_type")),
        source: opt(get("source")),
        external_reference: opt(get("external_reference")),
        complainant_name: opt(get("complainant_name")),
        complainant_phone: opt(get("complainant_phone")),
        complainant_email: opt(get("complainant_email")),
        complainant_relation: opt(get("complainant_relation")),
        department_id: uuid_field(&mut bad, "department_id"),
        category_id: uuid_field(&mut bad, "category_id"),
        staff_id: uuid_field(&mut bad, "staff_id"),
        title: opt(get("title")),
        description: opt(get("description")),
        priority: opt(get("priority")),
        severity: opt(get("severity")),
        received_at,
        ..ComplaintInput::default()
    };
    let result = if bad.is_empty() {
        service::create(&state, &page.actor, input, Origin::Staff).await
    } else {
        Err(AppError::Validation(bad))
    };
    match result {
        Ok(c) => Ok(Redirect::to(&format!("/complaints/{}/?flash=created", c.id)).into_response()),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(..))) => {
            let errors = FormErrors::from_error(lang, &e, FORM_FIELDS);
            form_view(&state, &page, values, errors, e.status()).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Detail

pub struct TimelineRow {
    pub when: String,
    pub who: String,
    pub kind: String,
    pub from: String,
    pub to: String,
    pub message: String,
    pub is_public: bool,
}

pub struct ActionLink {
    pub id: Uuid,
    pub reference: String,
    pub title: String,
    pub status_label: String,
    pub status_badge: &'static str,
    pub due: String,
}

pub struct ExplanationRow {
    pub staff: String,
    pub status: String,
    pub message: String,
    pub response: String,
    pub due: String,
    pub requested: String,
}

/// A status this complaint may move to, and what its form asks for.
pub struct Move {
    pub to: String,
    /// The form's name in errors (`status-<to>`).
    pub form: String,
    pub label: String,
    /// plain, resolve, close, reason
    pub kind: &'static str,
    pub button: &'static str,
}

#[derive(Template)]
#[template(path = "complaints/detail.html")]
struct DetailPage {
    chrome: Chrome,
    c: ComplaintView,
    status_label: String,
    status_badge: &'static str,
    type_label: String,
    source_label: String,
    severity_label: String,
    severity_badge: &'static str,
    priority_label: String,
    relation_label: String,
    hospital: String,
    department: String,
    category: String,
    staff: String,
    patient: String,
    assignee: String,
    received: String,
    due: String,
    due_badge: &'static str,
    due_label: String,
    reminders_sent: u8,
    escalated: String,
    resolution_label: String,
    resolved: String,
    closed: String,
    timeline: Vec<TimelineRow>,
    actions: Vec<ActionLink>,
    attachments: AttachmentsPanel,
    explanations: Vec<ExplanationRow>,
    /// False for a source user: no explanations, actions, handler or staff names.
    internal: bool,
    can_handle: bool,
    can_assign: bool,
    can_take: bool,
    can_explain: bool,
    is_final: bool,
    assignees: Vec<Opt>,
    moves: Vec<Move>,
    resolutions: Vec<Opt>,
    resolve_categories: Vec<Opt>,
    severities: Vec<Opt>,
    priorities: Vec<Opt>,
    departments: Vec<Opt>,
    categories: Vec<Opt>,
    staff_options: Vec<Opt>,
    flash: Option<Flash>,
    /// Always empty here (the shared flash partial shows it).
    errors: Vec<String>,
    err_form: String,
    err: FormErrors,
    values: BTreeMap<String, String>,
}

impl DetailPage {
    /// The error of `field` when `form` was the one refused.
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
            "note" | "actions" => self.can_handle,
            "assign" | "edit" => self.can_handle && !self.is_final,
            f => self.moves.iter().any(|m| m.form == f),
        };
        if shown { vec![] } else { self.err.general.iter().chain(self.err.fields.values()).cloned().collect() }
    }
    /// The value sent with a refused `form`.
    fn val(&self, form: &str, field: &str) -> String {
        if self.err_form == form { self.values.get(field).cloned().unwrap_or_default() } else { String::new() }
    }
}

fn update_kind(lang: Lang, update_type: &str) -> String {
    filters::label(lang, "work-update", update_type)
}

pub(super) async fn detail_view(
    state: &AppState,
    page: &PageActor,
    id: Uuid,
    query: Option<&str>,
    refused: Option<Refused>,
) -> PageResult {
    let actor = &page.actor;
    let m = service::visible(state, actor, id).await?;
    if refused.is_none() {
        // Reads of a complaint are audited (spec §1); a refused form shown again is not a new read.
        record(&state.db, actor, Entry::new("complaint_viewed", "complaint", m.id).hospital(Some(m.hospital_id)))
            .await?;
    }
    let path = format!("/complaints/{id}/");
    let chrome = Chrome::new(state, page, &path, "work-detail-title").await?;
    let lang = chrome.lang;
    let at = now();
    // A source user sees what the patient sees: public updates only, no explanations, actions,
    // handler or staff names.
    let internal = actor.role != Role::SourceUser;
    let updates = service::timeline(&state.db, id, !internal).await?;
    let linked: Vec<_> = if internal {
        super::actions::for_complaint(&state.db, id)
            .await?
            .into_iter()
            .filter(|a| super::actions::sees(actor, a))
            .collect()
    } else {
        vec![]
    };
    let explanations = if internal { super::explanations::for_complaint(&state.db, id).await? } else { vec![] };
    let mut user_ids: Vec<Uuid> = if internal { updates.iter().filter_map(|u| u.created_by).collect() } else { vec![] };
    if internal {
        user_ids.extend(m.assigned_to);
    }
    let names = Names::load(
        &state.db,
        lang,
        user_ids,
        m.department_id.into_iter().collect(),
        vec![m.hospital_id],
        m.category_id.into_iter().collect(),
    )
    .await?;
    let staff_member = match m.staff_id.filter(|_| internal) {
        Some(s) => staff::Entity::find_by_id(s).one(&state.db).await?.map(|s| filters::staff_name(lang, &s)),
        None => None,
    };
    let patient_name = match m.patient_id {
        Some(p) => patient::Entity::find_by_id(p).one(&state.db).await?.map(|p| {
            let en = format!("{} {}", p.first_name_en, p.last_name_en).trim().to_owned();
            let ar = format!("{} {}", p.first_name_ar, p.last_name_ar).trim().to_owned();
            lang.pick(&en, &ar).to_owned()
        }),
        None => None,
    };
    let staff_rows = if explanations.is_empty() {
        vec![]
    } else {
        staff::Entity::find()
            .filter(staff::Column::Id.is_in(explanations.iter().map(|e| e.staff_id).collect::<Vec<_>>()))
            .all(&state.db)
            .await?
    };
    let status = ComplaintStatus::parse(&m.status);
    let running = status.is_some_and(|s| s.sla_running());
    let due = Due::of(m.due_at, running, at);
    let can_handle = actor.role.may(Permission::HandleComplaints);
    let can_assign = actor.role.may(Permission::AssignComplaints);
    let is_final = status.is_none_or(|s| s.is_final());
    let moves = match status {
        Some(from) if can_handle => from
            .next()
            .iter()
            .filter(|to| workflow::complaint_roles(from, **to).contains(&actor.role))
            .map(|to| {
                let (kind, button) = match (from, to) {
                    (_, ComplaintStatus::Resolved) => ("resolve", "btn-success"),
                    (_, ComplaintStatus::Closed) => ("close", "btn-secondary"),
                    (_, ComplaintStatus::Cancelled) => ("reason", "btn-outline-danger"),
                    (ComplaintStatus::Resolved, ComplaintStatus::InProgress) => ("reason", "btn-outline-primary"),
                    _ => ("plain", "btn-primary"),
                };
                let label = match (from, to) {
                    (ComplaintStatus::Resolved, ComplaintStatus::InProgress) => lang.t("work-move-reopen"),
                    _ => lang.t(&format!("work-move-{}", to.as_str())),
                };
                Move { to: to.as_str().to_owned(), form: format!("status-{}", to.as_str()), label, kind, button }
            })
            .collect(),
        _ => vec![],
    };
    let severity_values: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
    let priority_values: Vec<&str> = Priority::ALL.iter().map(|s| s.as_str()).collect();
    let resolution_values: Vec<&str> = ResolutionCategory::ALL.iter().map(|s| s.as_str()).collect();
    let current_level = match m.category_id {
        Some(c) => complaint_category::Entity::find_by_id(c).one(&state.db).await?.map(|c| c.level),
        None => None,
    };
    let mut view = ComplaintView::new(m.clone(), actor.role);
    if filters::masks_pii(actor.role) {
        view.complainant_name = service::mask(&view.complainant_name);
    }
    let (err_form, err, values, status_code) = match refused {
        Some(r) => (r.form, r.err, r.values, r.status),
        None => (String::new(), FormErrors::default(), BTreeMap::new(), StatusCode::OK),
    };
    let page_data = DetailPage {
        status_label: status_label(lang, &m.status),
        status_badge: filters::complaint_badge(&m.status),
        type_label: filters::label(lang, "work-type", &m.complaint_type),
        source_label: filters::label(lang, "work-source", &m.source),
        severity_label: filters::label(lang, "work-severity", &m.severity),
        severity_badge: filters::severity_badge(&m.severity),
        priority_label: filters::label(lang, "work-priority", &m.priority),
        relation_label: filters::label(lang, "work-relation", &m.complainant_relation),
        hospital: names.hospital(m.hospital_id),
        department: names.department(m.department_id),
        category: names.category(m.category_id),
        staff: staff_member.unwrap_or_default(),
        patient: patient_name.unwrap_or_default(),
        assignee: if internal { names.user(m.assigned_to) } else { String::new() },
        received: crate::i18n::riyadh_time(m.received_at),
        due: filters::riyadh_opt(m.due_at),
        due_badge: due.badge(),
        due_label: lang.t(due.key()),
        reminders_sent: u8::from(m.first_reminder_sent_at.is_some()) + u8::from(m.second_reminder_sent_at.is_some()),
        escalated: filters::riyadh_opt(m.escalated_at),
        resolution_label: filters::label(lang, "work-resolution", m.resolution_category.as_deref().unwrap_or_default()),
        resolved: filters::riyadh_opt(m.resolved_at),
        closed: filters::riyadh_opt(m.closed_at),
        timeline: updates
            .iter()
            .map(|u| TimelineRow {
                when: crate::i18n::riyadh_time(u.created_at),
                who: if internal {
                    u.created_by.map(|b| names.user(Some(b))).unwrap_or_else(|| lang.t("work-system"))
                } else {
                    names.hospital(m.hospital_id)
                },
                kind: update_kind(lang, &u.update_type),
                from: u.old_status.as_deref().map(|s| status_label(lang, s)).unwrap_or_default(),
                to: u.new_status.as_deref().map(|s| status_label(lang, s)).unwrap_or_default(),
                message: u.message.clone(),
                is_public: u.is_public,
            })
            .collect(),
        actions: linked
            .iter()
            .map(|a| ActionLink {
                id: a.id,
                reference: a.reference_number.clone(),
                title: a.title.clone(),
                status_label: filters::label(lang, "work-astatus", &a.status),
                status_badge: filters::action_badge(&a.status),
                due: filters::riyadh_opt(a.due_at),
            })
            .collect(),
        attachments: attachments::panel(state, actor, Subject::Complaint, id).await?.with_error_from_query(query),
        explanations: explanations
            .iter()
            .map(|e| ExplanationRow {
                staff: staff_rows
                    .iter()
                    .find(|s| s.id == e.staff_id)
                    .map(|s| filters::staff_name(lang, s))
                    .unwrap_or_default(),
                status: filters::label(lang, "work-explanation", &e.status),
                message: e.request_message.clone(),
                response: e.response.clone(),
                due: crate::i18n::riyadh_time(e.due_at),
                requested: crate::i18n::riyadh_time(e.created_at),
            })
            .collect(),
        can_handle,
        can_assign,
        can_take: can_handle && !is_final && m.assigned_to != actor.user_id,
        can_explain: can_handle && !is_final,
        is_final,
        assignees: if can_assign && !is_final {
            filters::handler_options(&state.db, actor, Some(m.hospital_id), m.assigned_to).await?
        } else {
            vec![]
        },
        moves,
        resolutions: filters::choices(
            lang,
            &resolution_values,
            "work-resolution",
            &values.get("resolution_category").cloned().unwrap_or_default(),
        ),
        resolve_categories: if !can_handle || current_level.is_some_and(|l| l >= 3) {
            vec![]
        } else {
            filters::category_options(&state.db, lang, actor, Some(m.hospital_id), 3, m.category_id).await?
        },
        severities: filters::choices(lang, &severity_values, "work-severity", &m.severity),
        priorities: filters::choices(lang, &priority_values, "work-priority", &m.priority),
        departments: if can_handle {
            filters::department_options(&state.db, lang, actor, Some(m.hospital_id), m.department_id).await?
        } else {
            vec![]
        },
        categories: if can_handle {
            filters::category_options(&state.db, lang, actor, Some(m.hospital_id), 1, m.category_id).await?
        } else {
            vec![]
        },
        staff_options: if can_handle {
            filters::staff_options(&state.db, lang, actor, Some(m.hospital_id), m.staff_id).await?
        } else {
            vec![]
        },
        internal,
        flash: filters::flash(lang, query),
        c: view,
        chrome,
        errors: vec![],
        err_form,
        err,
        values,
    };
    render(status_code, &page_data)
}

async fn detail_page(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<String>,
    uri: OriginalUri,
) -> PageResult {
    let id = parse_id(&id, "complaint")?;
    detail_view(&state, &page, id, uri.query(), None).await
}

async fn assign_submit(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<String>,
    form: CsrfForm,
) -> PageResult {
    let id = parse_id(&id, "complaint")?;
    let input = AssignInput { user_id: opt_uuid(&form.get("user_id")), note: opt(form.get("note")) };
    let result = service::assign(&state, &page.actor, id, input).await.map(|_| ());
    filters::after(
        &state,
        &page,
        Detail::Complaint,
        id,
        "assign",
        &["user_id", "note"],
        &form,
        result,
        "assigned",
        "assign",
    )
    .await
}

async fn take_submit(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<String>,
    form: CsrfForm,
) -> PageResult {
    let id = parse_id(&id, "complaint")?;
    let input = AssignInput { user_id: page.actor.user_id, note: None };
    let result = service::assign(&state, &page.actor, id, input).await.map(|_| ());
    let next = form.get("next");
    if result.is_ok() && !next.is_empty() {
        let target = safe_next(&next, &format!("/complaints/{id}/"));
        let sep = if target.contains('?') { '&' } else { '?' };
        return Ok(Redirect::to(&format!("{target}{sep}flash=taken")).into_response());
    }
    filters::after(&state, &page, Detail::Complaint, id, "assign", &["user_id"], &form, result, "taken", "assign").await
}

async fn status_submit(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<String>,
    form: CsrfForm,
) -> PageResult {
    let id = parse_id(&id, "complaint")?;
    let to = form.get("status");
    let form_name = format!("status-{to}");
    let fields = ["resolution", "resolution_category", "category", "category_id", "reason", "public_message"];
    let input = TransitionInput {
        status: opt(to.clone()),
        resolution: opt(form.get("resolution")),
        resolution_category: opt(form.get("resolution_category")),
        reason: opt(form.get("reason")),
        public_message: opt(form.get("public_message")),
        // Resolving may set the level-3 category in the same form (and the same transaction).
        category_id: if to == "resolved" { opt_uuid(&form.get("category_id")) } else { None },
    };
    let result = service::transition(&state, &page.actor, id, input).await.map(|_| ());
    filters::after(&state, &page, Detail::Complaint, id, &form_name, &fields, &form, result, "status_changed", "status")
        .await
}

async fn note_submit(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<String>,
    form: CsrfForm,
) -> PageResult {
    let id = parse_id(&id, "complaint")?;
    let input = NoteInput { message: opt(form.get("message")), is_public: Some(form.get("is_public") == "true") };
    let result = service::add_note(&state, &page.actor, id, input).await.map(|_| ());
    filters::after(&state, &page, Detail::Complaint, id, "note", &["message"], &form, result, "note_added", "timeline")
        .await
}

async fn edit_submit(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<String>,
    form: CsrfForm,
) -> PageResult {
    let id = parse_id(&id, "complaint")?;
    let current = service::visible(&state, &page.actor, id).await?;
    let changed = |field: &str, old: &str| {
        let new = form.get(field);
        if new.is_empty() || new == old { None } else { Some(new) }
    };
    let uuid_changed = |field: &str, old: Option<Uuid>| {
        let new = form.get(field);
        if new.is_empty() {
            return Ok(None);
        }
        match Uuid::parse_str(&new) {
            Ok(u) if Some(u) == old => Ok(None),
            Ok(u) => Ok(Some(u)),
            Err(_) => Err(crate::error::invalid(field, "Invalid pk - object does not exist.")),
        }
    };
    let result = async {
        let patch = ComplaintPatch {
            severity: changed("severity", &current.severity),
            priority: changed("priority", &current.priority),
            department_id: uuid_changed("department_id", current.department_id)?,
            category_id: uuid_changed("category_id", current.category_id)?,
            ..ComplaintPatch::default()
        };
        if patch.severity.is_none()
            && patch.priority.is_none()
            && patch.department_id.is_none()
            && patch.category_id.is_none()
        {
            return Ok(false);
        }
        service::update(&state, &page.actor, id, patch).await.map(|_| true)
    }
    .await;
    // Nothing changed is said as such (and writes nothing).
    let flash = if matches!(result, Ok(false)) { "unchanged" } else { "updated" };
    filters::after(
        &state,
        &page,
        Detail::Complaint,
        id,
        "edit",
        &["severity", "priority", "department_id", "category_id"],
        &form,
        result.map(|_| ()),
        flash,
        "edit",
    )
    .await
}

async fn create_action_submit(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<String>,
    form: CsrfForm,
) -> PageResult {
    let id = parse_id(&id, "complaint")?;
    match super::actions::create_from_complaint(&state, &page.actor, id).await {
        Ok(a) => Ok(Redirect::to(&format!("/actions/{}/?flash=created", a.id)).into_response()),
        Err(e) => {
            filters::after(&state, &page, Detail::Complaint, id, "actions", &[], &form, Err(e), "", "actions").await
        }
    }
}
