//! What the complaint and action work pages share: reading a list's query string (a multi-value
//! `status` from checkboxes becomes the services' `open,in_progress`), saved filters (per user and
//! list), the names and choices the pages show (departments, categories with their path,
//! handlers, staff), labels, badges and Riyadh times, and the flash messages after a redirect.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Select, Set,
};
use uuid::Uuid;

use super::model::{complaint_category, saved_filter};
use crate::app::AppState;
use crate::auth::session::urlencode;
use crate::auth::{Actor, CsrfForm, HospitalScope, PageActor, Permission, Role};
use crate::crud::ListQuery;
use crate::domains::accounts::model::user;
use crate::domains::organizations::model::{department, hospital, staff};
use crate::error::{AppError, AppResult, FieldErrors, not_found};
use crate::i18n::{Lang, riyadh_time};
use crate::web::PageResult;

// ---------------------------------------------------------------------------------------------
// Query strings

/// Keys of a page's query string that are not list filters.
const NOT_FILTERS: &[&str] = &["page", "flash", "detail", "attachment_error"];

/// The query string's pairs, blank values dropped.
pub fn pairs(query: Option<&str>) -> Vec<(String, String)> {
    let all: Vec<(String, String)> = query.and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default();
    all.into_iter().map(|(k, v)| (k, v.trim().to_owned())).filter(|(_, v)| !v.is_empty()).collect()
}

/// The list's filters as one query string (repeated keys joined with commas, in the order the
/// filter bar has them), without page and flash keys: what "Save this filter" keeps and what the
/// export links carry.
pub fn canonical(query: Option<&str>, allowed: &[&str]) -> String {
    let mut joined: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in pairs(query) {
        if NOT_FILTERS.contains(&k.as_str()) {
            continue;
        }
        if !allowed.contains(&k.as_str()) && !matches!(k.as_str(), "search" | "ordering") {
            continue;
        }
        let values = joined.entry(k).or_default();
        for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if !values.iter().any(|x| x == part) {
                values.push(part.to_owned());
            }
        }
    }
    let flat: Vec<(String, String)> =
        joined.into_iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (k, v.join(","))).collect();
    serde_urlencoded::to_string(&flat).unwrap_or_default()
}

/// The services' list query for a page at `path` (filters joined, page kept for the pager).
pub fn list_query(path: &str, query: Option<&str>, allowed: &[&str]) -> ListQuery {
    let filters = canonical(query, allowed);
    let page = pairs(query).into_iter().find(|(k, _)| k == "page").map(|(_, v)| v);
    let mut full = filters.clone();
    if let Some(p) = page {
        if !full.is_empty() {
            full.push('&');
        }
        full.push_str(&format!("page={}", urlencode(&p)));
    }
    ListQuery::from_query(path, Some(&full))
}

/// One value of the query string ("" when absent).
pub fn value(query: &ListQuery, name: &str) -> String {
    match name {
        "search" => query.params.search.clone().unwrap_or_default(),
        "ordering" => query.params.ordering.clone().unwrap_or_default(),
        _ => query.filter(name).unwrap_or_default().to_owned(),
    }
}

/// Whether a comma list filter contains `item`.
pub fn has(query: &ListQuery, name: &str, item: &str) -> bool {
    query.filter(name).is_some_and(|v| v.split(',').any(|p| p.trim() == item))
}

// ---------------------------------------------------------------------------------------------
// Flash messages

/// The flashes a redirect may name (`?flash=<key>`), shown from `work-flash-<key>` with their
/// alert class. Only these fixed messages are shown: nothing of the query string's text reaches
/// the page (a `detail=` is ignored).
const FLASHES: &[(&str, &str)] = &[
    ("created", "alert-success"),
    ("updated", "alert-success"),
    ("unchanged", "alert-info"),
    ("assigned", "alert-success"),
    ("taken", "alert-success"),
    ("status_changed", "alert-success"),
    ("note_added", "alert-success"),
    ("action_created", "alert-success"),
    ("filter_saved", "alert-success"),
    ("filter_deleted", "alert-success"),
    ("filter_duplicate", "alert-danger"),
    ("filter_invalid", "alert-danger"),
    ("explanation_sent", "alert-success"),
    ("explanation_error", "alert-danger"),
];

pub struct Flash {
    /// `alert-success`, `alert-info` or `alert-danger`.
    pub class: &'static str,
    pub message: String,
}

impl Flash {
    pub fn ok(&self) -> bool {
        self.class != "alert-danger"
    }
}

/// The flash named by the query string, if it is a known one.
pub fn flash(lang: Lang, query: Option<&str>) -> Option<Flash> {
    let all = pairs(query);
    let key = all.iter().find(|(k, _)| k == "flash").map(|(_, v)| v.as_str())?;
    let (key, class) = FLASHES.iter().find(|(k, _)| *k == key)?;
    Some(Flash { class, message: lang.t(&format!("work-flash-{key}")) })
}

// ---------------------------------------------------------------------------------------------
// Saved filters

pub const KINDS: &[&str] = &["complaints", "actions"];

pub struct SavedLink {
    pub id: Uuid,
    pub name: String,
    pub href: String,
}

/// The user's saved filters of one list, by name.
pub async fn saved(db: &impl ConnectionTrait, actor: &Actor, kind: &str) -> AppResult<Vec<SavedLink>> {
    let Some(user_id) = actor.user_id else { return Ok(vec![]) };
    let rows = saved_filter::Entity::find()
        .filter(saved_filter::Column::UserId.eq(user_id))
        .filter(saved_filter::Column::Kind.eq(kind))
        .order_by_asc(saved_filter::Column::Name)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| SavedLink {
            id: r.id,
            href: if r.query.is_empty() { format!("/{kind}/") } else { format!("/{kind}/?{}", r.query) },
            name: r.name,
        })
        .collect())
}

/// Saves the current filters under a name. A blank or too long name, a duplicate name (per user
/// and list) or a query with other keys than the list's filters is a field error.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    kind: &str,
    name: &str,
    query: &str,
    allowed: &[&str],
) -> AppResult<saved_filter::Model> {
    actor.require(state, Permission::ViewComplaints).await?;
    let Some(user_id) = actor.user_id else { return Err(crate::error::forbidden()) };
    let mut errors = FieldErrors::new();
    let name = name.trim();
    if name.is_empty() {
        errors.add("name", "This field is required.");
    } else if name.chars().count() > 100 {
        errors.add("name", "Ensure this field has no more than 100 characters.");
    }
    let clean = canonical(Some(query), allowed);
    let keys_ok = pairs(Some(query))
        .iter()
        .all(|(k, _)| allowed.contains(&k.as_str()) || matches!(k.as_str(), "search" | "ordering" | "page"));
    if !keys_ok || query.len() > 2000 {
        errors.add("query", "Not a filter of this list.");
    }
    errors.into_result()?;
    let taken = saved_filter::Entity::find()
        .filter(saved_filter::Column::UserId.eq(user_id))
        .filter(saved_filter::Column::Kind.eq(kind))
        .filter(saved_filter::Column::Name.eq(name))
        .one(&state.db)
        .await?;
    if taken.is_some() {
        return Err(crate::error::invalid("name", "You already have a saved filter with this name."));
    }
    let row = saved_filter::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        kind: Set(kind.to_owned()),
        name: Set(name.to_owned()),
        query: Set(clean),
        created_at: Set(crate::domains::organizations::service::now()),
    };
    // A concurrent save of the same name loses on the unique index: the same answer.
    row.insert(&state.db)
        .await
        .map_err(|_| crate::error::invalid("name", "You already have a saved filter with this name."))
}

/// Deletes one of the user's saved filters (anyone else's is a 404).
pub async fn delete(state: &AppState, actor: &Actor, kind: &str, id: Uuid) -> AppResult<()> {
    let Some(user_id) = actor.user_id else { return Err(not_found("saved filter")) };
    let found = saved_filter::Entity::find_by_id(id)
        .filter(saved_filter::Column::UserId.eq(user_id))
        .filter(saved_filter::Column::Kind.eq(kind))
        .one(&state.db)
        .await?
        .ok_or(not_found("saved filter"))?;
    saved_filter::Entity::delete_by_id(found.id).exec(&state.db).await?;
    Ok(())
}

fn kind_filters(kind: &str) -> &'static [&'static str] {
    if kind == "actions" { super::actions::FILTERS } else { super::service::FILTERS }
}

fn back(kind: &str, query: &str, flash: &str) -> String {
    if query.is_empty() { format!("/{kind}/?flash={flash}") } else { format!("/{kind}/?{query}&flash={flash}") }
}

async fn save_page(state: &AppState, page: &PageActor, kind: &'static str, form: &CsrfForm) -> PageResult {
    let allowed = kind_filters(kind);
    let query = canonical(Some(&form.get("query")), allowed);
    let flash = match save(state, &page.actor, kind, &form.get("name"), &form.get("query"), allowed).await {
        Ok(_) => "filter_saved",
        Err(AppError::Validation(e)) if e.get("query").is_some() => "filter_invalid",
        Err(AppError::Validation(e)) if e.get("name").is_some_and(|m| m.contains("already")) => "filter_duplicate",
        Err(AppError::Validation(_)) => "filter_invalid",
        Err(e) => return Err(e.into()),
    };
    Ok(Redirect::to(&back(kind, &query, flash)).into_response())
}

pub async fn save_complaints(State(state): State<AppState>, page: PageActor, form: CsrfForm) -> PageResult {
    save_page(&state, &page, "complaints", &form).await
}

pub async fn save_actions(State(state): State<AppState>, page: PageActor, form: CsrfForm) -> PageResult {
    save_page(&state, &page, "actions", &form).await
}

async fn delete_page(state: &AppState, page: &PageActor, kind: &'static str, id: &str) -> PageResult {
    let id = crate::http::parse_id(id, "saved filter")?;
    delete(state, &page.actor, kind, id).await?;
    Ok(Redirect::to(&format!("/{kind}/?flash=filter_deleted")).into_response())
}

pub async fn delete_complaints(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<String>,
    _form: CsrfForm,
) -> PageResult {
    delete_page(&state, &page, "complaints", &id).await
}

pub async fn delete_actions(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<String>,
    _form: CsrfForm,
) -> PageResult {
    delete_page(&state, &page, "actions", &id).await
}

// ---------------------------------------------------------------------------------------------
// Choices and names

/// One `<option>` / checkbox.
#[derive(Debug, Clone)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Opt {
    pub fn new(value: impl ToString, label: impl Into<String>, selected: bool) -> Opt {
        Opt { value: value.to_string(), label: label.into(), selected }
    }
}

/// Fixed choices labelled from `<prefix>-<value>`, `selected` by a comma list.
pub fn choices(lang: Lang, values: &[&str], prefix: &str, selected: &str) -> Vec<Opt> {
    let chosen: Vec<&str> = selected.split(',').map(str::trim).collect();
    values.iter().map(|v| Opt::new(v, lang.t(&format!("{prefix}-{v}")), chosen.contains(v))).collect()
}

/// Marks the option whose value is `selected`.
pub fn select(mut options: Vec<Opt>, selected: &str) -> Vec<Opt> {
    for o in &mut options {
        o.selected = o.value == selected;
    }
    options
}

/// The label of a fixed value (`<prefix>-<value>`), the value itself when unknown or blank.
pub fn label(lang: Lang, prefix: &str, value: &str) -> String {
    if value.is_empty() {
        return String::new();
    }
    let key = format!("{prefix}-{value}");
    let text = lang.t(&key);
    if text == key { value.to_owned() } else { text }
}

pub fn complaint_badge(status: &str) -> &'static str {
    match status {
        "open" => "text-bg-warning",
        "in_progress" => "text-bg-primary",
        "resolved" => "text-bg-success",
        "closed" => "text-bg-secondary",
        "cancelled" => "text-bg-danger",
        _ => "text-bg-light",
    }
}

pub fn action_badge(status: &str) -> &'static str {
    match status {
        "open" => "text-bg-warning",
        "in_progress" => "text-bg-primary",
        "pending_approval" => "text-bg-info",
        "approved" => "text-bg-success",
        "closed" => "text-bg-secondary",
        "cancelled" => "text-bg-danger",
        _ => "text-bg-light",
    }
}

pub fn severity_badge(severity: &str) -> &'static str {
    match severity {
        "critical" => "text-bg-danger",
        "high" => "text-bg-warning",
        "medium" => "text-bg-info",
        _ => "text-bg-light border",
    }
}

/// [`riyadh_time`], or nothing.
pub fn riyadh_opt(at: Option<DateTime<Utc>>) -> String {
    at.map(riyadh_time).unwrap_or_default()
}

/// How close a due date is: overdue (red), within 24 hours (orange), later (green).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    None,
    Overdue,
    Soon,
    Later,
}

impl Due {
    pub fn of(due_at: Option<DateTime<Utc>>, running: bool, at: DateTime<Utc>) -> Due {
        match due_at {
            None => Due::None,
            Some(_) if !running => Due::None,
            Some(d) if d < at => Due::Overdue,
            Some(d) if d < at + chrono::Duration::hours(24) => Due::Soon,
            Some(_) => Due::Later,
        }
    }
    pub fn badge(self) -> &'static str {
        match self {
            Due::Overdue => "text-bg-danger",
            Due::Soon => "due-soon",
            Due::Later => "text-bg-success",
            Due::None => "text-bg-light border",
        }
    }
    pub fn key(self) -> &'static str {
        match self {
            Due::Overdue => "work-due-overdue",
            Due::Soon => "work-due-soon",
            Due::Later => "work-due-later",
            Due::None => "work-due-none",
        }
    }
}

/// A user's display name.
pub fn user_name(u: &user::Model) -> String {
    let name = format!("{} {}", u.first_name, u.last_name).trim().to_owned();
    if name.is_empty() { u.email.clone() } else { name }
}

pub fn staff_name(lang: Lang, s: &staff::Model) -> String {
    let en = format!("{} {}", s.first_name_en, s.last_name_en).trim().to_owned();
    let ar = format!("{} {}", s.first_name_ar, s.last_name_ar).trim().to_owned();
    lang.pick(&en, &ar).to_owned()
}

/// Names of the rows a page shows, loaded once per page.
#[derive(Default)]
pub struct Names {
    pub users: BTreeMap<Uuid, String>,
    pub departments: BTreeMap<Uuid, String>,
    pub hospitals: BTreeMap<Uuid, String>,
    pub categories: BTreeMap<Uuid, String>,
}

impl Names {
    pub async fn load(
        db: &impl ConnectionTrait,
        lang: Lang,
        users: Vec<Uuid>,
        departments: Vec<Uuid>,
        hospitals: Vec<Uuid>,
        categories: Vec<Uuid>,
    ) -> AppResult<Names> {
        let mut names = Names::default();
        if !users.is_empty() {
            for u in user::Entity::find().filter(user::Column::Id.is_in(users)).all(db).await? {
                names.users.insert(u.id, user_name(&u));
            }
        }
        if !departments.is_empty() {
            for d in department::Entity::find().filter(department::Column::Id.is_in(departments)).all(db).await? {
                names.departments.insert(d.id, lang.pick(&d.name_en, &d.name_ar).to_owned());
            }
        }
        if !hospitals.is_empty() {
            for h in hospital::Entity::find().filter(hospital::Column::Id.is_in(hospitals)).all(db).await? {
                names.hospitals.insert(h.id, lang.pick(&h.name_en, &h.name_ar).to_owned());
            }
        }
        if !categories.is_empty() {
            let all = complaint_category::Entity::find().all(db).await?;
            for id in categories {
                names.categories.insert(id, category_path(lang, &all, id));
            }
        }
        Ok(names)
    }

    pub fn user(&self, id: Option<Uuid>) -> String {
        id.and_then(|i| self.users.get(&i).cloned()).unwrap_or_default()
    }
    pub fn department(&self, id: Option<Uuid>) -> String {
        id.and_then(|i| self.departments.get(&i).cloned()).unwrap_or_default()
    }
    pub fn hospital(&self, id: Uuid) -> String {
        self.hospitals.get(&id).cloned().unwrap_or_default()
    }
    pub fn category(&self, id: Option<Uuid>) -> String {
        id.and_then(|i| self.categories.get(&i).cloned()).unwrap_or_default()
    }
}

/// "Domain › Category › Subcategory" of a taxonomy node.
pub fn category_path(lang: Lang, all: &[complaint_category::Model], id: Uuid) -> String {
    let mut parts = Vec::new();
    let mut next = Some(id);
    while let Some(i) = next {
        let Some(c) = all.iter().find(|c| c.id == i) else { break };
        parts.push(lang.pick(&c.name_en, &c.name_ar).to_owned());
        next = c.parent_id;
        if parts.len() > 6 {
            break;
        }
    }
    parts.reverse();
    parts.join(" › ")
}

/// The hospital whose choices a page offers: the actor's (or the PX admin's selected one).
pub fn scope_hospital(actor: &Actor) -> Option<Uuid> {
    match actor.scope() {
        HospitalScope::Only(h) => Some(h),
        HospitalScope::All => None,
    }
}

/// The hospital a form's or filter's choices come from: the one asked for (a query string or a
/// posted form) only when the actor sees it, else the actor's scope (`None`: a PX admin working
/// across hospitals). Every option helper below goes through this, so a client-supplied id of
/// another hospital never lists that hospital's departments, users, staff or categories.
pub fn options_hospital(actor: &Actor, requested: Option<Uuid>) -> Option<Uuid> {
    requested.filter(|h| actor.sees_hospital(*h)).or_else(|| scope_hospital(actor))
}

/// The categories a hospital may use (shared and its own, active, live) in taxonomy order,
/// labelled with their path; `min_level` keeps the deeper ones (3 for resolving).
pub async fn category_options(
    db: &impl ConnectionTrait,
    lang: Lang,
    actor: &Actor,
    hospital_id: Option<Uuid>,
    min_level: i32,
    selected: Option<Uuid>,
) -> AppResult<Vec<Opt>> {
    use complaint_category::Column as C;
    let mut owner = Condition::any().add(C::HospitalId.is_null());
    if let Some(h) = options_hospital(actor, hospital_id) {
        owner = owner.add(C::HospitalId.eq(h));
    }
    let all = complaint_category::Entity::find()
        .filter(C::DeletedAt.is_null())
        .filter(C::IsActive.eq(true))
        .filter(owner)
        .order_by_asc(C::Level)
        .order_by_asc(C::SortOrder)
        .order_by_asc(C::NameEn)
        .all(db)
        .await?;
    let mut options: Vec<(String, Opt)> = all
        .iter()
        .filter(|c| c.level >= min_level)
        .map(|c| {
            let path = category_path(lang, &all, c.id);
            (path.clone(), Opt::new(c.id, path, Some(c.id) == selected))
        })
        .collect();
    // Taxonomy order within the tree: by path, so children follow their parents.
    options.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(options.into_iter().map(|(_, o)| o).collect())
}

/// Live departments of a hospital the actor sees, or of the actor's scope (with the hospital's
/// code when the PX admin sees all).
pub async fn department_options(
    db: &impl ConnectionTrait,
    lang: Lang,
    actor: &Actor,
    hospital_id: Option<Uuid>,
    selected: Option<Uuid>,
) -> AppResult<Vec<Opt>> {
    let hospital_id = options_hospital(actor, hospital_id);
    let mut select = department::Entity::find().filter(department::Column::DeletedAt.is_null());
    select = match hospital_id {
        Some(h) => select.filter(department::Column::HospitalId.eq(h)),
        None => actor.scoped(select, department::Column::HospitalId),
    };
    let rows = select.order_by_asc(department::Column::NameEn).all(db).await?;
    let codes: BTreeMap<Uuid, String> = if hospital_id.is_none() {
        hospital::Entity::find().all(db).await?.into_iter().map(|h| (h.id, h.code)).collect()
    } else {
        BTreeMap::new()
    };
    Ok(rows
        .into_iter()
        .map(|d| {
            let name = lang.pick(&d.name_en, &d.name_ar).to_owned();
            let label = match codes.get(&d.hospital_id) {
                Some(code) => format!("{code} · {name}"),
                None => name,
            };
            Opt::new(d.id, label, Some(d.id) == selected)
        })
        .collect())
}

/// Active users who handle complaints in a hospital the actor sees (or in the actor's scope).
pub async fn handler_options(
    db: &impl ConnectionTrait,
    actor: &Actor,
    hospital_id: Option<Uuid>,
    selected: Option<Uuid>,
) -> AppResult<Vec<Opt>> {
    let handlers: Vec<&str> =
        Role::ALL.iter().filter(|r| r.may(Permission::HandleComplaints)).map(|r| r.as_str()).collect();
    let mut place = Condition::any().add(user::Column::Role.eq(Role::PxAdmin.as_str()));
    place = match options_hospital(actor, hospital_id) {
        Some(h) => place.add(user::Column::HospitalId.eq(h)),
        None => place.add(user::Column::HospitalId.is_not_null()),
    };
    let rows = user::Entity::find()
        .filter(user::Column::IsActive.eq(true))
        .filter(user::Column::Role.is_in(handlers))
        .filter(place)
        .order_by_asc(user::Column::FirstName)
        .order_by_asc(user::Column::Email)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|u| Opt::new(u.id, user_name(&u), Some(u.id) == selected)).collect())
}

/// Live staff of a hospital the actor sees (none without one hospital).
pub async fn staff_options(
    db: &impl ConnectionTrait,
    lang: Lang,
    actor: &Actor,
    hospital_id: Option<Uuid>,
    selected: Option<Uuid>,
) -> AppResult<Vec<Opt>> {
    let Some(h) = options_hospital(actor, hospital_id) else { return Ok(vec![]) };
    let rows = staff::Entity::find()
        .filter(staff::Column::HospitalId.eq(h))
        .filter(staff::Column::DeletedAt.is_null())
        .order_by_asc(staff::Column::FirstNameEn)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|s| Opt::new(s.id, staff_name(lang, &s), Some(s.id) == selected)).collect())
}

/// Hospitals the actor sees (PX admins' filter and form choice).
pub async fn hospital_options(
    db: &impl ConnectionTrait,
    lang: Lang,
    actor: &Actor,
    selected: Option<Uuid>,
) -> AppResult<Vec<Opt>> {
    if actor.role != Role::PxAdmin {
        return Ok(vec![]);
    }
    let rows = hospital::Entity::find()
        .filter(hospital::Column::DeletedAt.is_null())
        .order_by_asc(hospital::Column::Code)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|h| actor.sees_hospital(h.id))
        .map(|h| Opt::new(h.id, lang.pick(&h.name_en, &h.name_ar), Some(h.id) == selected))
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Page helpers shared by the complaint and action pages

/// `query` with `key` set to `value` (or removed when empty).
pub fn with_param(query: &str, key: &str, value: &str) -> String {
    let mut pairs = pairs(Some(query));
    pairs.retain(|(k, _)| k != key);
    if !value.is_empty() {
        pairs.push((key.to_owned(), value.to_owned()));
    }
    serde_urlencoded::to_string(&pairs).unwrap_or_default()
}

/// A form value, `None` when blank.
pub fn opt(value: String) -> Option<String> {
    if value.is_empty() { None } else { Some(value) }
}

/// A form value read as a UUID (`None` when blank or not one).
pub fn opt_uuid(value: &str) -> Option<Uuid> {
    Uuid::parse_str(value.trim()).ok()
}

/// Rows per status of a list's filters without its status filter; `build` is the service's
/// filtered select (a bad filter counts nothing: the list shows the error).
pub async fn status_counts<E, F>(
    db: &impl ConnectionTrait,
    query: &ListQuery,
    build: F,
    status: E::Column,
    id: E::Column,
) -> AppResult<Vec<(String, i64)>>
where
    E: EntityTrait,
    F: FnOnce(&ListQuery) -> AppResult<Select<E>>,
{
    let mut without = query.clone();
    without.filters.remove("status");
    let Ok(mut select) = build(&without) else { return Ok(vec![]) };
    QueryTrait::query(&mut select).clear_order_by();
    Ok(select.select_only().column(status).column_as(id.count(), "n").group_by(status).into_tuple().all(db).await?)
}

/// Whether the complainant's name, phone and e-mail are masked for this role on the pages and in
/// exports: below px_coordinator, except a source user (their own complaints; the API's rule).
pub fn masks_pii(role: Role) -> bool {
    !role.sees_pii() && role != Role::SourceUser
}

/// Exports (complaints and actions) need the lists' permission, and are not for source users
/// (spec access matrix); a refusal is audited like any other.
pub async fn require_export(state: &AppState, actor: &Actor) -> AppResult<()> {
    actor.require(state, Permission::ViewComplaints).await?;
    if actor.role == Role::SourceUser {
        crate::domains::audit::service::record(
            &state.db,
            actor,
            crate::domains::audit::service::Entry::new("permission_denied", "route", "")
                .details(serde_json::json!({"permission": "Export"})),
        )
        .await?;
        return Err(crate::error::forbidden());
    }
    Ok(())
}

/// A refused form of a detail page: which one, its errors and what was sent.
pub struct Refused {
    pub form: String,
    pub err: FormErrors,
    pub values: BTreeMap<String, String>,
    pub status: axum::http::StatusCode,
}

/// The detail page a form belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    Complaint,
    Action,
}

impl Detail {
    fn path(self, id: Uuid) -> String {
        match self {
            Detail::Complaint => format!("/complaints/{id}/"),
            Detail::Action => format!("/actions/{id}/"),
        }
    }
}

/// After a detail page's form: a redirect with its flash, or the page again with the errors
/// beside the form (`form_name`; `fields` are its inputs). An unknown row is a 404 page.
#[allow(clippy::too_many_arguments)]
pub async fn after(
    state: &AppState,
    page: &PageActor,
    detail: Detail,
    id: Uuid,
    form_name: &str,
    fields: &[&str],
    form: &CsrfForm,
    result: AppResult<()>,
    flash: &str,
    anchor: &str,
) -> PageResult {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("{}?flash={flash}#{anchor}", detail.path(id))).into_response()),
        Err(AppError::NotFound(what)) => Err(AppError::NotFound(what).into()),
        Err(e) => {
            let lang = Lang::parse(&page.actor.language).unwrap_or(Lang::Ar);
            let refused = Refused {
                form: form_name.to_owned(),
                err: FormErrors::from_error(lang, &e, fields),
                values: form.0.iter().filter(|(k, _)| k != "csrf_token").cloned().collect(),
                status: e.status(),
            };
            match detail {
                Detail::Complaint => super::pages::detail_view(state, page, id, None, Some(refused)).await,
                Detail::Action => super::action_pages::detail_view(state, page, id, None, Some(refused)).await,
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Errors shown beside forms

/// Service messages the pages show in the reader's language (others are shown as they are).
const MESSAGES: &[(&str, &str)] = &[
    ("This field is required.", "work-err-required"),
    ("This field may not be blank.", "work-err-required"),
    ("Invalid pk - object does not exist.", "work-err-unknown"),
    ("A resolution is required.", "work-err-resolution"),
    ("A resolution category is required.", "work-err-resolution-category"),
    ("Choose a subcategory or classification (level 3 or 4) first.", "work-err-category-level"),
    ("A reason is required.", "work-err-reason"),
    ("Resolution notes are required.", "work-err-resolution-notes"),
    ("Attach at least one evidence file.", "work-err-evidence"),
    ("You already have a saved filter with this name.", "work-err-filter-duplicate"),
    ("Choose an active complaint handler of this hospital.", "work-err-assignee"),
    ("Choose an active handler of this hospital.", "work-err-assignee"),
    ("Must be a valid UUID.", "work-err-unknown"),
    ("Unknown filter.", "work-err-unknown-filter"),
    ("Choose a department of the chosen hospital.", "work-err-department-hospital"),
    ("Enter a date as YYYY-MM-DD.", "work-err-date"),
    ("Choose a date between 2000 and 2100.", "work-err-date-years"),
    ("Must be on or after the start date.", "work-err-date-order"),
    ("A range may span at most three years.", "work-err-date-span"),
    ("Choose a start date for a custom range.", "work-err-date-from"),
    ("Choose an end date for a custom range.", "work-err-date-to"),
    (
        "The target must be at least the warning threshold, and the warning threshold at least the critical one.",
        "kpi-err-order-higher",
    ),
    (
        "The target must be at most the warning threshold, and the warning threshold at most the critical one.",
        "kpi-err-order-lower",
    ),
];

pub fn message(lang: Lang, text: &str) -> String {
    if text.ends_with("is not a valid choice.") || text.starts_with("Must be one of: ") {
        return lang.t("work-err-choice");
    }
    // "Must be a number from {low} to {high}."
    if let Some((low, high)) =
        text.strip_prefix("Must be a number from ").and_then(|r| r.strip_suffix('.')).and_then(|r| r.split_once(" to "))
    {
        return lang.t_args("work-err-number-range", &[("low", low), ("high", high)]);
    }
    match MESSAGES.iter().find(|(m, _)| *m == text) {
        Some((_, key)) => lang.t(key),
        None => text.to_owned(),
    }
}

/// Field → localized message, and the errors that belong to no field of the form.
#[derive(Debug, Default, Clone)]
pub struct FormErrors {
    pub fields: BTreeMap<String, String>,
    pub general: Vec<String>,
}

impl FormErrors {
    /// `fields` are the form's own inputs; other fields' errors are shown on top, with the
    /// field's label.
    pub fn from_error(lang: Lang, err: &AppError, fields: &[&str]) -> FormErrors {
        let mut out = FormErrors::default();
        match err {
            AppError::Validation(errors) => {
                for (field, messages) in &errors.0 {
                    let text = messages.iter().map(|m| message(lang, m)).collect::<Vec<_>>().join(" ");
                    if fields.contains(&field.as_str()) {
                        out.fields.insert(field.clone(), text);
                    } else {
                        let label = lang.t(&format!("work-field-{field}"));
                        let label = if label.starts_with("work-field-") { field.clone() } else { label };
                        out.general.push(format!("{label}: {text}"));
                    }
                }
            }
            AppError::Conflict(_, m) | AppError::Forbidden(m) | AppError::Unprocessable(_, m) => {
                out.general.push(m.clone())
            }
            AppError::NotFound(_) => out.general.push(lang.t("work-err-not-found")),
            other => out.general.push(other.detail()),
        }
        out
    }

    pub fn get(&self, field: &str) -> Option<&String> {
        self.fields.get(field)
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.general.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_join_and_page_flash_are_dropped() {
        let allowed = super::super::service::FILTERS;
        let q = "status=open&status=in_progress&overdue=true&flash=created&page=2&search=%D8%B4&bogus=1&severity=";
        assert_eq!(canonical(Some(q), allowed), "overdue=true&search=%D8%B4&status=open%2Cin_progress");
        let lq = list_query("/complaints/", Some(q), allowed);
        assert_eq!(lq.filter("status"), Some("open,in_progress"));
        assert_eq!(lq.params.page.as_deref(), Some("2"));
        assert_eq!(lq.params.search.as_deref(), Some("ش"));
        assert!(lq.filter("flash").is_none());
    }

    #[test]
    fn due_badges() {
        let now = Utc::now();
        assert_eq!(Due::of(Some(now - chrono::Duration::minutes(1)), true, now), Due::Overdue);
        assert_eq!(Due::of(Some(now + chrono::Duration::hours(23)), true, now), Due::Soon);
        assert_eq!(Due::of(Some(now + chrono::Duration::hours(25)), true, now), Due::Later);
        assert_eq!(Due::of(Some(now - chrono::Duration::hours(1)), false, now), Due::None);
        assert_eq!(Due::of(None, true, now), Due::None);
    }
}
