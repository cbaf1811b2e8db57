//! The complaint category taxonomy: four levels (domain › category › subcategory ›
//! classification). Shared nodes (`hospital_id` NULL, seeded by `crate::seed::taxonomy`) are seen
//! by every hospital; a hospital may add nodes of its own, seen only by it. Codes nest under their
//! parent's code and are unique among the live nodes a hospital sees.
//!
//! What is here: the lookups the complaint service uses ([`categories_for`], [`category_for`]),
//! the public JSON of the complaint form, the API (list, create, partial update, soft delete) and
//! the settings page with the tree and its forms.
//!
//! A node is *usable* (offered on forms, accepted on complaints) when it and every node above it
//! are active and not deleted; deactivating a category hides everything under it without touching
//! the rows.

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, Order,
    PaginatorTrait, QueryFilter, QueryOrder, Set, SqlErr, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::model::complaint_category;
use crate::app::AppState;
use crate::auth::{Actor, ApiActor, CsrfForm, HospitalScope, PageActor, Permission, Role};
use crate::crud::ListQuery;
use crate::domains::audit::service::{Entry, record};
use crate::domains::organizations::model::hospital;
use crate::domains::organizations::service::now;
use crate::error::{AppError, AppResult, FieldErrors, invalid, not_found};
use crate::http::openapi::ErrorBody;
use crate::http::{ApiJson, IdPath, ListParams, Page, pagination, validate};
use crate::i18n::Lang;
use crate::web::{Chrome, PageResult, render};

/// Domain, category, subcategory, classification.
pub const LEVELS: i32 = 4;
/// The domain type of a level-1 node, repeated on every node below it.
pub const DOMAIN_TYPES: &[&str] = &["CLINICAL", "MANAGEMENT", "RELATIONSHIPS"];
/// The largest sort order a node may be given.
pub const MAX_SORT_ORDER: i32 = 100_000;

const PAGE_PATH: &str = "/complaints/settings/taxonomy/";

// ---------------------------------------------------------------------------------------------
// Lookups
// ---------------------------------------------------------------------------------------------

/// Live (not deleted) nodes seen from `hospital` (shared ones, plus that hospital's own when
/// given), active or not, sorted by level, sort order and English name.
async fn live_nodes(
    db: &impl ConnectionTrait,
    hospital: Option<Uuid>,
) -> Result<Vec<complaint_category::Model>, DbErr> {
    use complaint_category::Column as C;
    let owner = match hospital {
        Some(h) => Condition::any().add(C::HospitalId.is_null()).add(C::HospitalId.eq(h)),
        None => Condition::all().add(C::HospitalId.is_null()),
    };
    complaint_category::Entity::find()
        .filter(C::DeletedAt.is_null())
        .filter(owner)
        .order_by_asc(C::Level)
        .order_by_asc(C::SortOrder)
        .order_by_asc(C::NameEn)
        .order_by_asc(C::Id)
        .all(db)
        .await
}

/// The usable nodes of `nodes` (sorted by level): active, with every ancestor present and active.
fn usable(nodes: Vec<complaint_category::Model>) -> Vec<complaint_category::Model> {
    let mut ok: HashSet<Uuid> = HashSet::new();
    let mut out = Vec::with_capacity(nodes.len());
    for node in nodes {
        let parent_ok = node.parent_id.is_none_or(|p| ok.contains(&p));
        if node.is_active && parent_ok {
            ok.insert(node.id);
            out.push(node);
        }
    }
    out
}

/// The categories a complaint of `hospital_id` may use: the shared ones and the hospital's own,
/// active and not deleted (nor under an inactive or deleted node), sorted by level, sort order
/// and English name.
pub async fn categories_for(
    db: &impl ConnectionTrait,
    hospital_id: Uuid,
) -> anyhow::Result<Vec<complaint_category::Model>> {
    Ok(usable(live_nodes(db, Some(hospital_id)).await?))
}

/// The node `id` if a complaint of `hospital_id` may use it (shared or the hospital's own, it and
/// every node above it active and not deleted), else `None` — an unknown id and another
/// hospital's node look the same.
pub async fn category_for(
    db: &impl ConnectionTrait,
    hospital_id: Uuid,
    id: Uuid,
) -> anyhow::Result<Option<complaint_category::Model>> {
    use complaint_category::Column as C;
    let mut found = None;
    let mut next = Some(id);
    let mut hops = 0;
    while let Some(current) = next {
        hops += 1;
        if hops > LEVELS {
            return Ok(None);
        }
        let node = complaint_category::Entity::find_by_id(current)
            .filter(C::DeletedAt.is_null())
            .filter(C::IsActive.eq(true))
            .one(db)
            .await?;
        let Some(node) = node else { return Ok(None) };
        if node.hospital_id.is_some_and(|h| h != hospital_id) {
            return Ok(None);
        }
        next = node.parent_id;
        if found.is_none() {
            found = Some(node);
        }
    }
    Ok(found)
}

/// The hospital whose own nodes the actor sees besides the shared ones: theirs, or for a PX
/// admin the selected one (none: shared nodes only).
fn scope_hospital(actor: &Actor) -> Option<Uuid> {
    match actor.scope() {
        HospitalScope::All => None,
        HospitalScope::Only(h) => Some(h),
    }
}

// ---------------------------------------------------------------------------------------------
// Public JSON (the complaint form)
// ---------------------------------------------------------------------------------------------

/// A category as the public complaint form gets it.
#[derive(Debug, Serialize)]
pub struct PublicCategory {
    pub id: Uuid,
    pub name_en: String,
    pub name_ar: String,
    pub code: String,
    pub parent_id: Option<Uuid>,
    pub level: i32,
    pub domain_type: String,
    pub description_en: String,
    pub description_ar: String,
}

impl From<complaint_category::Model> for PublicCategory {
    fn from(m: complaint_category::Model) -> Self {
        PublicCategory {
            id: m.id,
            name_en: m.name_en,
            name_ar: m.name_ar,
            code: m.code,
            parent_id: m.parent_id,
            level: m.level,
            domain_type: m.domain_type,
            description_en: m.description_en,
            description_ar: m.description_ar,
        }
    }
}

/// `GET /complaints/public/api/load-categories/?hospital_id=` (no login): the usable categories
/// of a hospital, `{"categories": [...]}` sorted by level, sort order and English name.
pub async fn public_load_categories(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let result: AppResult<Json<serde_json::Value>> = async {
        let pairs: Vec<(String, String)> =
            query.as_deref().and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default();
        let raw = pairs.iter().find(|(k, _)| k == "hospital_id").map(|(_, v)| v.trim()).unwrap_or_default();
        if raw.is_empty() {
            return Err(invalid("hospital_id", "This field is required."));
        }
        let id = Uuid::parse_str(raw).map_err(|_| invalid("hospital_id", "Must be a valid UUID."))?;
        hospital::Entity::find_by_id(id)
            .filter(hospital::Column::DeletedAt.is_null())
            .one(&state.db)
            .await?
            .ok_or(not_found("hospital"))?;
        let categories: Vec<PublicCategory> =
            categories_for(&state.db, id).await?.into_iter().map(PublicCategory::from).collect();
        Ok(Json(serde_json::json!({ "categories": categories })))
    }
    .await;
    result.into_response()
}

// ---------------------------------------------------------------------------------------------
// Service: list, create, update, delete
// ---------------------------------------------------------------------------------------------

/// A node as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryView {
    pub id: Uuid,
    /// `null` for a node every hospital shares.
    pub hospital_id: Option<Uuid>,
    pub parent_id: Option<Uuid>,
    /// 1 domain, 2 category, 3 subcategory, 4 classification.
    pub level: i32,
    pub code: String,
    pub name_en: String,
    pub name_ar: String,
    pub description_en: String,
    pub description_ar: String,
    /// CLINICAL, MANAGEMENT or RELATIONSHIPS (the domain's).
    pub domain_type: String,
    pub sort_order: i32,
    pub is_active: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<complaint_category::Model> for CategoryView {
    fn from(m: complaint_category::Model) -> Self {
        CategoryView {
            id: m.id,
            hospital_id: m.hospital_id,
            parent_id: m.parent_id,
            level: m.level,
            code: m.code,
            name_en: m.name_en,
            name_ar: m.name_ar,
            description_en: m.description_en,
            description_ar: m.description_ar,
            domain_type: m.domain_type,
            sort_order: m.sort_order,
            is_active: m.is_active,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// A new node.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryInput {
    /// PX admins: the hospital the node belongs to, or none for a node every hospital shares.
    /// Hospital admins: their own hospital (the default).
    pub hospital_id: Option<Uuid>,
    /// Required below level 1; must be on the level above and visible to the node's hospital.
    pub parent_id: Option<Uuid>,
    /// 1–4; defaults to the parent's level + 1 (1 without a parent).
    pub level: Option<i32>,
    /// Unique among the live nodes the hospital sees; starts with the parent's code and "-".
    pub code: Option<String>,
    pub name_en: Option<String>,
    pub name_ar: Option<String>,
    pub description_en: Option<String>,
    pub description_ar: Option<String>,
    /// Required for a domain (level 1): CLINICAL, MANAGEMENT or RELATIONSHIPS; below, the parent's.
    pub domain_type: Option<String>,
    /// Position among its siblings (default: after the last one).
    pub sort_order: Option<i32>,
    /// Default true.
    pub is_active: Option<bool>,
}

/// A change to a node; absent fields stay as they are. The code, parent and hospital of a node
/// cannot change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryPatch {
    pub name_en: Option<String>,
    pub name_ar: Option<String>,
    pub description_en: Option<String>,
    pub description_ar: Option<String>,
    pub sort_order: Option<i32>,
    pub is_active: Option<bool>,
}

/// Nodes the actor sees (shared, plus their hospital's — or for a PX admin the one asked for
/// with `?hospital_id=`), deleted ones excepted. Filters: `level`, `parent_id`, `is_active`,
/// `domain_type`, `search` (code and names).
pub async fn list(state: &AppState, actor: &Actor, query: &ListQuery) -> AppResult<Page<CategoryView>> {
    actor.require(state, Permission::ViewComplaints).await?;
    use complaint_category::Column as C;
    let mut errors = FieldErrors::new();
    let owner = match scope_hospital(actor) {
        Some(h) => Condition::any().add(C::HospitalId.is_null()).add(C::HospitalId.eq(h)),
        None => Condition::all().add(C::HospitalId.is_null()),
    };
    let mut select = complaint_category::Entity::find().filter(C::DeletedAt.is_null()).filter(owner);
    if let Some(raw) = query.filter("level") {
        match raw.parse::<i32>() {
            Ok(level) if (1..=LEVELS).contains(&level) => select = select.filter(C::Level.eq(level)),
            _ => errors.add("level", "Must be 1, 2, 3 or 4."),
        }
    }
    match query.uuid_filter("parent_id") {
        Ok(Some(parent)) => select = select.filter(C::ParentId.eq(parent)),
        Ok(None) => {}
        Err(_) => errors.add("parent_id", "Must be a valid UUID."),
    }
    match query.filter("is_active") {
        None => {}
        Some("true") => select = select.filter(C::IsActive.eq(true)),
        Some("false") => select = select.filter(C::IsActive.eq(false)),
        Some(_) => errors.add("is_active", "Must be true or false."),
    }
    if let Some(raw) = query.filter("domain_type") {
        let upper = raw.to_uppercase();
        if DOMAIN_TYPES.contains(&upper.as_str()) {
            select = select.filter(C::DomainType.eq(upper));
        } else {
            errors.add("domain_type", format!("\"{raw}\" is not a valid choice."));
        }
    }
    errors.into_result()?;
    select = pagination::search(select, &query.params, &[C::Code, C::NameEn, C::NameAr]);
    select = pagination::order(
        select,
        &query.params,
        &[
            ("code", C::Code),
            ("level", C::Level),
            ("sort_order", C::SortOrder),
            ("name_en", C::NameEn),
            ("created_at", C::CreatedAt),
        ],
        (C::Level, Order::Asc),
    )?;
    let select = select.order_by_asc(C::SortOrder).order_by_asc(C::NameEn).order_by_asc(C::Id);
    Ok(pagination::fetch(&state.db, select, &query.params, &query.path).await?.map(Into::into))
}

/// A code: letters, digits, `-` and `_`, upper-cased.
fn check_code(errors: &mut FieldErrors, raw: Option<&str>) -> String {
    let code = validate::required(errors, "code", raw, 50).to_uppercase();
    if !code.is_empty() {
        let allowed = code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !allowed || code.starts_with('-') || code.ends_with('-') || code.contains("--") {
            errors.add("code", "Use letters, digits and single hyphens (e.g. CLIN-QUA-DIAG-03).");
        }
    }
    code
}

fn check_sort_order(errors: &mut FieldErrors, value: Option<i32>) {
    if let Some(n) = value
        && !(0..=MAX_SORT_ORDER).contains(&n)
    {
        errors.add("sort_order", format!("Enter a whole number from 0 to {MAX_SORT_ORDER}."));
    }
}

/// A unique-index violation (two writers racing for one code) reported like the checked duplicate.
fn duplicate_code(err: DbErr) -> AppError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => invalid("code", "A category with this code already exists."),
        _ => err.into(),
    }
}

/// Validates and stores a node (ManageTaxonomy). See [`CategoryInput`] for the rules.
pub async fn create(state: &AppState, actor: &Actor, input: CategoryInput) -> AppResult<CategoryView> {
    actor.require(state, Permission::ManageTaxonomy).await?;
    use complaint_category::Column as C;
    let db = &state.db;
    let mut errors = FieldErrors::new();

    // Whose node: `None` is shared.
    let mut owner_ok = true;
    let owner: Option<Uuid> = if actor.role == Role::PxAdmin {
        input.hospital_id
    } else {
        let owner = errors.collect(actor.hospital_for_write(input.hospital_id))?;
        owner_ok = owner.is_some();
        owner
    };
    if let Some(h) = owner
        && hospital::Entity::find_by_id(h).filter(hospital::Column::DeletedAt.is_null()).one(db).await?.is_none()
    {
        errors.add("hospital_id", "Invalid pk - object does not exist.");
        owner_ok = false;
    }

    let code = check_code(&mut errors, input.code.as_deref());
    let name_en = validate::required(&mut errors, "name_en", input.name_en.as_deref(), 200);
    let name_ar = validate::required(&mut errors, "name_ar", input.name_ar.as_deref(), 200);
    let description_en = validate::optional(&mut errors, "description_en", input.description_en.as_deref(), 2000);
    let description_ar = validate::optional(&mut errors, "description_ar", input.description_ar.as_deref(), 2000);
    check_sort_order(&mut errors, input.sort_order);
    if let Some(level) = input.level
        && !(1..=LEVELS).contains(&level)
    {
        errors.add("level", "Must be 1, 2, 3 or 4.");
    }
    let domain_input = input.domain_type.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_uppercase);
    if let Some(d) = &domain_input
        && !DOMAIN_TYPES.contains(&d.as_str())
    {
        errors.add("domain_type", format!("\"{d}\" is not a valid choice (CLINICAL, MANAGEMENT, RELATIONSHIPS)."));
    }

    // The parent decides the level, the domain type and the start of the code.
    let (level, domain_type) = match input.parent_id {
        None => {
            if input.level.is_some_and(|l| l != 1) {
                errors.add("parent_id", "This field is required below level 1.");
            }
            if domain_input.is_none() {
                errors.add("domain_type", "This field is required for a domain (level 1).");
            }
            (1, domain_input.clone().unwrap_or_default())
        }
        Some(parent_id) => {
            let parent =
                complaint_category::Entity::find_by_id(parent_id).filter(C::DeletedAt.is_null()).one(db).await?;
            // Visible to the new node: shared, or of the same hospital (a shared node has shared parents).
            let parent = parent.filter(|p| p.hospital_id.is_none() || (owner_ok && p.hospital_id == owner));
            match parent {
                None => {
                    errors.add("parent_id", "Invalid pk - object does not exist.");
                    (input.level.unwrap_or(0), String::new())
                }
                Some(p) => {
                    let level = p.level + 1;
                    if p.level >= LEVELS {
                        errors.add("parent_id", "A classification (level 4) cannot have sub-categories.");
                    } else if let Some(l) = input.level.filter(|l| *l != level && (1..=LEVELS).contains(l)) {
                        if l == 1 {
                            errors.add("parent_id", "A domain (level 1) has no parent.");
                        } else {
                            errors.add(
                                "parent_id",
                                format!(
                                    "The parent of a level-{l} node must be on level {}; this one is on level {}.",
                                    l - 1,
                                    p.level
                                ),
                            );
                        }
                    }
                    if !code.is_empty() && code.strip_prefix(&format!("{}-", p.code)).is_none_or(str::is_empty) {
                        errors
                            .add("code", format!("Must start with the parent's code and \"-\" (e.g. {}-01).", p.code));
                    }
                    if let Some(d) = &domain_input
                        && *d != p.domain_type
                        && DOMAIN_TYPES.contains(&d.as_str())
                    {
                        errors.add("domain_type", format!("Must be the parent's domain type, {}.", p.domain_type));
                    }
                    (level, p.domain_type)
                }
            }
        }
    };

    // Unique among the live nodes that will see each other: a shared code against every live node,
    // a hospital's code against the shared ones and that hospital's.
    if !code.is_empty() && errors.get("code").is_none() {
        let mut select = complaint_category::Entity::find().filter(C::DeletedAt.is_null()).filter(C::Code.eq(&code));
        if let Some(h) = owner {
            select = select.filter(Condition::any().add(C::HospitalId.is_null()).add(C::HospitalId.eq(h)));
        }
        if select.count(db).await? > 0 {
            errors.add("code", "A category with this code already exists.");
        }
    }
    errors.into_result()?;

    let sort_order = match input.sort_order {
        Some(n) => n,
        None => {
            let siblings = complaint_category::Entity::find()
                .filter(C::DeletedAt.is_null())
                .filter(match input.parent_id {
                    Some(p) => C::ParentId.eq(p),
                    None => C::ParentId.is_null(),
                })
                .all(db)
                .await?;
            siblings.iter().map(|s| s.sort_order).max().unwrap_or(0).saturating_add(1).min(MAX_SORT_ORDER)
        }
    };
    let at = now();
    let txn = db.begin().await?;
    let row = complaint_category::ActiveModel {
        id: Set(Uuid::now_v7()),
        hospital_id: Set(owner),
        parent_id: Set(input.parent_id),
        level: Set(level),
        code: Set(code),
        name_en: Set(name_en),
        name_ar: Set(name_ar),
        description_en: Set(description_en),
        description_ar: Set(description_ar),
        domain_type: Set(domain_type),
        sort_order: Set(sort_order),
        is_active: Set(input.is_active.unwrap_or(true)),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
    }
    .insert(&txn)
    .await
    .map_err(duplicate_code)?;
    record(
        &txn,
        actor,
        Entry::new("complaint_category_created", "complaint_category", row.id)
            .hospital(row.hospital_id)
            .details(serde_json::json!({"code": row.code, "level": row.level, "parent_id": row.parent_id,
                "name_en": row.name_en, "name_ar": row.name_ar, "shared": row.hospital_id.is_none()})),
    )
    .await?;
    txn.commit().await?;
    Ok(row.into())
}

/// The live node `id` if the actor may change it: another hospital's node (or an unknown id) is a
/// 404, a shared node is a 403 for anybody but a PX admin.
async fn editable(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<complaint_category::Model> {
    actor.require(state, Permission::ManageTaxonomy).await?;
    let node = complaint_category::Entity::find_by_id(id)
        .filter(complaint_category::Column::DeletedAt.is_null())
        .one(&state.db)
        .await?
        .ok_or(not_found("complaint category"))?;
    match node.hospital_id {
        Some(h) if !actor.sees_hospital(h) => Err(not_found("complaint category")),
        None if actor.role != Role::PxAdmin => {
            Err(AppError::Forbidden("Shared categories are managed by PX administrators.".into()))
        }
        _ => Ok(node),
    }
}

/// Changes the names, descriptions, sort order or active flag of a node.
pub async fn update(state: &AppState, actor: &Actor, id: Uuid, patch: CategoryPatch) -> AppResult<CategoryView> {
    let node = editable(state, actor, id).await?;
    let mut errors = FieldErrors::new();
    let name_en = patch.name_en.as_deref().map(|v| validate::required(&mut errors, "name_en", Some(v), 200));
    let name_ar = patch.name_ar.as_deref().map(|v| validate::required(&mut errors, "name_ar", Some(v), 200));
    let description_en =
        patch.description_en.as_deref().map(|v| validate::optional(&mut errors, "description_en", Some(v), 2000));
    let description_ar =
        patch.description_ar.as_deref().map(|v| validate::optional(&mut errors, "description_ar", Some(v), 2000));
    check_sort_order(&mut errors, patch.sort_order);
    errors.into_result()?;

    let mut changes = serde_json::Map::new();
    let mut row = node.clone().into_active_model();
    let mut text = |field: &str, old: &str, new: Option<String>, slot: &mut sea_orm::ActiveValue<String>| {
        if let Some(new) = new
            && new != old
        {
            changes.insert(field.into(), serde_json::json!([old, new]));
            *slot = Set(new);
        }
    };
    text("name_en", &node.name_en, name_en, &mut row.name_en);
    text("name_ar", &node.name_ar, name_ar, &mut row.name_ar);
    text("description_en", &node.description_en, description_en, &mut row.description_en);
    text("description_ar", &node.description_ar, description_ar, &mut row.description_ar);
    if let Some(n) = patch.sort_order.filter(|n| *n != node.sort_order) {
        changes.insert("sort_order".into(), serde_json::json!([node.sort_order, n]));
        row.sort_order = Set(n);
    }
    if let Some(active) = patch.is_active.filter(|a| *a != node.is_active) {
        changes.insert("is_active".into(), serde_json::json!([node.is_active, active]));
        row.is_active = Set(active);
    }
    if changes.is_empty() {
        return Ok(node.into());
    }
    row.updated_at = Set(now());
    let txn = state.db.begin().await?;
    let saved = row.update(&txn).await?;
    record(
        &txn,
        actor,
        Entry::new("complaint_category_updated", "complaint_category", saved.id)
            .hospital(saved.hospital_id)
            .details(serde_json::json!({"code": saved.code, "changes": changes})),
    )
    .await?;
    txn.commit().await?;
    Ok(saved.into())
}

/// Soft-deletes a node; refused (409) while live nodes sit under it.
pub async fn delete(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<()> {
    use complaint_category::Column as C;
    let node = editable(state, actor, id).await?;
    let children = complaint_category::Entity::find()
        .filter(C::ParentId.eq(node.id))
        .filter(C::DeletedAt.is_null())
        .count(&state.db)
        .await?;
    if children > 0 {
        return Err(AppError::Conflict(
            "has_children",
            format!(
                "{} has {children} sub-categories; delete or move them first, or deactivate it instead.",
                node.code
            ),
        ));
    }
    let txn = state.db.begin().await?;
    let code = node.code.clone();
    let hospital_id = node.hospital_id;
    let mut row = node.into_active_model();
    let at = now();
    row.deleted_at = Set(Some(at));
    row.updated_at = Set(at);
    let saved = row.update(&txn).await?;
    record(
        &txn,
        actor,
        Entry::new("complaint_category_deleted", "complaint_category", saved.id)
            .hospital(hospital_id)
            .details(serde_json::json!({"code": code})),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// API
// ---------------------------------------------------------------------------------------------

/// Complaint categories: the shared taxonomy plus the actor's hospital's own nodes (PX admins:
/// `?hospital_id=` for a hospital's, none for the shared ones only), by level, order and name.
#[utoipa::path(get, path = "/api/complaints/categories/", tag = "Complaints",
    params(ListParams,
        ("hospital_id" = Option<Uuid>, Query, description = "PX admins: whose own nodes to include"),
        ("level" = Option<i32>, Query, description = "1 domain, 2 category, 3 subcategory, 4 classification"),
        ("parent_id" = Option<Uuid>, Query),
        ("is_active" = Option<bool>, Query),
        ("domain_type" = Option<String>, Query, description = "CLINICAL, MANAGEMENT or RELATIONSHIPS")),
    responses((status = 200, body = Page<CategoryView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn api_list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    uri: OriginalUri,
) -> AppResult<Json<Page<CategoryView>>> {
    let query = ListQuery::from_query(uri.path(), uri.query());
    Ok(Json(list(&state, &actor, &query).await?))
}

/// Creates a node (PX admins: shared without `hospital_id`, else the hospital's; hospital
/// admins: their hospital's).
#[utoipa::path(post, path = "/api/complaints/categories/", tag = "Complaints", request_body = CategoryInput,
    responses((status = 201, body = CategoryView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn api_create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<CategoryInput>,
) -> AppResult<Response> {
    Ok((StatusCode::CREATED, Json(create(&state, &actor, input).await?)).into_response())
}

/// Changes a node's names, descriptions, sort order or active flag (shared nodes: PX admins).
#[utoipa::path(patch, path = "/api/complaints/categories/{id}/", tag = "Complaints", params(("id" = Uuid, Path)),
    request_body = CategoryPatch,
    responses((status = 200, body = CategoryView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
    ApiJson(patch): ApiJson<CategoryPatch>,
) -> AppResult<Json<CategoryView>> {
    Ok(Json(update(&state, &actor, id, patch).await?))
}

/// Deletes a node (soft); 409 while live nodes sit under it.
#[utoipa::path(delete, path = "/api/complaints/categories/{id}/", tag = "Complaints", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn api_delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<StatusCode> {
    delete(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api_list, api_create)).routes(routes!(api_update, api_delete))
}

// ---------------------------------------------------------------------------------------------
// Page: /complaints/settings/taxonomy/
// ---------------------------------------------------------------------------------------------

/// One node of the tree as the page shows it.
pub struct TreeRow {
    pub id: Uuid,
    pub code: String,
    pub level: i32,
    pub level_label: String,
    pub level_badge: &'static str,
    /// Indentation: padding of the item and margin of its content (1, 2, 3, 4 rem by level).
    pub item_class: &'static str,
    pub inner_class: &'static str,
    /// The name in the page's language, and in the other one.
    pub name: String,
    pub other_name: String,
    pub description: String,
    pub name_en: String,
    pub name_ar: String,
    pub description_en: String,
    pub description_ar: String,
    pub sort_order: i32,
    pub is_active: bool,
    pub shared: bool,
    pub editable: bool,
    pub has_children: bool,
}

/// The values of the "Add" form (kept when it is shown again with errors).
#[derive(Default)]
pub struct AddForm {
    pub hospital_id: String,
    pub parent_id: String,
    pub code: String,
    pub name_en: String,
    pub name_ar: String,
    pub description_en: String,
    pub description_ar: String,
    pub domain_type: String,
    pub sort_order: String,
}

#[derive(Template)]
#[template(path = "complaints/taxonomy.html")]
struct TaxonomyPage {
    chrome: Chrome,
    rows: Vec<TreeRow>,
    counts: Vec<(String, usize)>,
    scope_label: String,
    can_edit: bool,
    /// PX admins choose shared or the selected hospital: (value, label).
    scopes: Vec<(String, String)>,
    parents: Vec<(String, String)>,
    domain_types: Vec<(String, String)>,
    form: AddForm,
    errors: Vec<String>,
    saved: bool,
}

fn level_key(level: i32) -> String {
    format!("tax-level-{}", level.clamp(1, LEVELS))
}

/// The label of an input field in error messages.
fn field_label(lang: Lang, field: &str) -> String {
    let key = match field {
        "code" => "tax-code",
        "name_en" => "tax-name-en",
        "name_ar" => "tax-name-ar",
        "description_en" => "tax-description-en",
        "description_ar" => "tax-description-ar",
        "parent_id" => "tax-parent",
        "hospital_id" => "tax-scope",
        "domain_type" => "tax-domain-type",
        "sort_order" => "tax-sort-order",
        "level" => "tax-level",
        "is_active" => "tax-status",
        _ => return String::new(),
    };
    lang.t(key)
}

fn messages(lang: Lang, errors: FieldErrors, node: Option<&str>) -> Vec<String> {
    let prefix = node.map(|code| format!("{code} · ")).unwrap_or_default();
    errors
        .0
        .into_iter()
        .flat_map(|(field, list)| {
            let label = field_label(lang, &field);
            let prefix = prefix.clone();
            list.into_iter()
                .map(move |m| if label.is_empty() { format!("{prefix}{m}") } else { format!("{prefix}{label}: {m}") })
        })
        .collect()
}

/// The nodes depth first, each parent before its children, siblings by sort order and name.
fn depth_first(nodes: Vec<complaint_category::Model>) -> Vec<complaint_category::Model> {
    let ids: HashSet<Uuid> = nodes.iter().map(|n| n.id).collect();
    let mut children: HashMap<Option<Uuid>, Vec<complaint_category::Model>> = HashMap::new();
    for n in nodes {
        // A node whose parent is not in view (cannot happen with valid data) is shown at the top.
        let key = n.parent_id.filter(|p| ids.contains(p));
        children.entry(key).or_default().push(n);
    }
    fn walk(
        key: Option<Uuid>,
        children: &mut HashMap<Option<Uuid>, Vec<complaint_category::Model>>,
        out: &mut Vec<complaint_category::Model>,
    ) {
        let Some(list) = children.remove(&key) else { return };
        for n in list {
            let id = n.id;
            out.push(n);
            walk(Some(id), children, out);
        }
    }
    let mut out = Vec::new();
    walk(None, &mut children, &mut out);
    out
}

async fn taxonomy_view(
    state: &AppState,
    page: &PageActor,
    form: AddForm,
    errors: Vec<String>,
    saved: bool,
    status: StatusCode,
) -> PageResult {
    let actor = &page.actor;
    actor.require(state, Permission::ViewSlaSettings).await?;
    let chrome = Chrome::new(state, page, PAGE_PATH, "tax-title").await?;
    let lang = chrome.lang;
    let hospital = scope_hospital(actor);
    let nodes = depth_first(live_nodes(&state.db, hospital).await?);
    let can_edit = actor.role.may(Permission::ManageTaxonomy);
    let is_px = actor.role == Role::PxAdmin;
    let with_children: HashSet<Uuid> = nodes.iter().filter_map(|n| n.parent_id).collect();

    let mut counts = [0usize; 4];
    let mut parents = Vec::new();
    let mut rows = Vec::with_capacity(nodes.len());
    for n in nodes {
        let idx = usize::try_from(n.level.clamp(1, LEVELS) - 1).unwrap_or(0);
        counts[idx] += 1;
        if n.level < LEVELS {
            let indent = "\u{2003}".repeat(idx);
            parents.push((n.id.to_string(), format!("{indent}{} — {}", n.code, lang.pick(&n.name_en, &n.name_ar))));
        }
        let (item_class, inner_class) = match n.level {
            1 => ("", ""),
            2 => ("ps-4", "ms-2"),
            3 => ("ps-5", ""),
            _ => ("ps-5", "ms-3"),
        };
        let level_badge = match n.level {
            1 => "primary",
            2 => "info",
            3 => "secondary",
            _ => "light border",
        };
        let other = lang.other();
        rows.push(TreeRow {
            id: n.id,
            level_label: lang.t(&level_key(n.level)),
            level_badge,
            item_class,
            inner_class,
            name: lang.pick(&n.name_en, &n.name_ar).to_owned(),
            other_name: other.pick(&n.name_en, &n.name_ar).to_owned(),
            description: lang.pick(&n.description_en, &n.description_ar).to_owned(),
            shared: n.hospital_id.is_none(),
            editable: can_edit && (n.hospital_id.is_some() || is_px),
            has_children: with_children.contains(&n.id),
            code: n.code,
            level: n.level,
            name_en: n.name_en,
            name_ar: n.name_ar,
            description_en: n.description_en,
            description_ar: n.description_ar,
            sort_order: n.sort_order,
            is_active: n.is_active,
        });
    }
    let scope_label = match hospital {
        Some(_) => chrome.hospital_label.clone(),
        None => lang.t("tax-scope-shared"),
    };
    let mut scopes = Vec::new();
    if is_px {
        scopes.push((String::new(), lang.t("tax-scope-shared")));
        if let Some(h) = hospital {
            scopes.push((h.to_string(), chrome.hospital_label.clone()));
        }
    }
    render(
        status,
        &TaxonomyPage {
            counts: (1..=LEVELS).zip(counts).map(|(l, c)| (lang.t(&level_key(l)), c)).collect(),
            domain_types: DOMAIN_TYPES
                .iter()
                .map(|d| ((*d).to_owned(), lang.t(&format!("tax-domain-{}", d.to_lowercase()))))
                .collect(),
            chrome,
            rows,
            scope_label,
            can_edit,
            scopes,
            parents,
            form,
            errors,
            saved,
        },
    )
}

pub async fn page_get(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    let saved = ListQuery::from_query(uri.path(), uri.query()).filter("saved").is_some();
    taxonomy_view(&state, &page, AddForm::default(), vec![], saved, StatusCode::OK).await
}

/// A whole number from a form field: `None` when blank, out of range (so the field's error shows)
/// when not a number.
fn form_int(raw: &str) -> Option<i32> {
    match raw.trim() {
        "" => None,
        v => Some(v.parse().unwrap_or(-1)),
    }
}

fn saved_redirect(id: Uuid) -> Response {
    Redirect::to(&format!("{PAGE_PATH}?saved=1#node-{id}")).into_response()
}

/// A service error shown on the page (400/409 with the messages), or the error page.
async fn page_error(
    state: &AppState,
    page: &PageActor,
    err: AppError,
    form: AddForm,
    node: Option<&str>,
) -> PageResult {
    let lang = Lang::parse(&page.actor.language).unwrap_or(Lang::Ar);
    match err {
        AppError::Validation(errors) => {
            taxonomy_view(state, page, form, messages(lang, errors, node), false, StatusCode::BAD_REQUEST).await
        }
        AppError::Conflict(_, message) => {
            let text = format!("{}: {message}", lang.t("tax-delete-refused"));
            taxonomy_view(state, page, form, vec![text], false, StatusCode::CONFLICT).await
        }
        other => Err(other.into()),
    }
}

pub async fn page_add(State(state): State<AppState>, page: PageActor, form: CsrfForm) -> PageResult {
    let values = AddForm {
        hospital_id: form.get("hospital_id"),
        parent_id: form.get("parent_id"),
        code: form.get("code"),
        name_en: form.get("name_en"),
        name_ar: form.get("name_ar"),
        description_en: form.get("description_en"),
        description_ar: form.get("description_ar"),
        domain_type: form.get("domain_type"),
        sort_order: form.get("sort_order"),
    };
    let mut errors = FieldErrors::new();
    let uuid = |errors: &mut FieldErrors, field: &str, raw: &str| match raw {
        "" => None,
        v => Uuid::parse_str(v).map_err(|_| errors.add(field, "Invalid pk - object does not exist.")).ok(),
    };
    let hospital_id = uuid(&mut errors, "hospital_id", &values.hospital_id);
    let parent_id = uuid(&mut errors, "parent_id", &values.parent_id);
    let input = CategoryInput {
        hospital_id,
        parent_id,
        level: None,
        code: Some(values.code.clone()),
        name_en: Some(values.name_en.clone()),
        name_ar: Some(values.name_ar.clone()),
        description_en: Some(values.description_en.clone()),
        description_ar: Some(values.description_ar.clone()),
        // A domain type is only asked of domains; below, the parent's is used.
        domain_type: if parent_id.is_none() { Some(values.domain_type.clone()) } else { None },
        sort_order: form_int(&values.sort_order),
        is_active: None,
    };
    if !errors.is_empty() {
        return page_error(&state, &page, AppError::Validation(errors), values, None).await;
    }
    match create(&state, &page.actor, input).await {
        Ok(created) => Ok(saved_redirect(created.id)),
        Err(e) => page_error(&state, &page, e, values, None).await,
    }
}

/// The code of a node, for error messages (empty when unknown).
async fn code_of(state: &AppState, id: Uuid) -> String {
    complaint_category::Entity::find_by_id(id).one(&state.db).await.ok().flatten().map(|n| n.code).unwrap_or_default()
}

pub async fn page_edit(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<Uuid>,
    form: CsrfForm,
) -> PageResult {
    let patch = CategoryPatch {
        name_en: Some(form.get("name_en")),
        name_ar: Some(form.get("name_ar")),
        description_en: Some(form.get("description_en")),
        description_ar: Some(form.get("description_ar")),
        sort_order: form_int(&form.get("sort_order")),
        is_active: None,
    };
    match update(&state, &page.actor, id, patch).await {
        Ok(saved) => Ok(saved_redirect(saved.id)),
        Err(e) => {
            let code = code_of(&state, id).await;
            page_error(&state, &page, e, AddForm::default(), Some(&code)).await
        }
    }
}

pub async fn page_status(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<Uuid>,
    form: CsrfForm,
) -> PageResult {
    let is_active = match form.get("is_active").as_str() {
        "true" => true,
        "false" => false,
        _ => {
            let code = code_of(&state, id).await;
            let errors = {
                let mut e = FieldErrors::new();
                e.add("is_active", "Must be true or false.");
                e
            };
            return page_error(&state, &page, AppError::Validation(errors), AddForm::default(), Some(&code)).await;
        }
    };
    let patch = CategoryPatch { is_active: Some(is_active), ..CategoryPatch::default() };
    match update(&state, &page.actor, id, patch).await {
        Ok(saved) => Ok(saved_redirect(saved.id)),
        Err(e) => {
            let code = code_of(&state, id).await;
            page_error(&state, &page, e, AddForm::default(), Some(&code)).await
        }
    }
}

pub async fn page_delete(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<Uuid>,
    _form: CsrfForm,
) -> PageResult {
    match delete(&state, &page.actor, id).await {
        Ok(()) => Ok(Redirect::to(&format!("{PAGE_PATH}?saved=1")).into_response()),
        Err(e) => page_error(&state, &page, e, AddForm::default(), None).await,
    }
}

pub fn page_routes() -> Router<AppState> {
    Router::new()
        .route("/complaints/public/api/load-categories/", get(public_load_categories))
        .route(PAGE_PATH, get(page_get).post(page_add))
        .route("/complaints/settings/taxonomy/{id}/", post(page_edit))
        .route("/complaints/settings/taxonomy/{id}/status/", post(page_status))
        .route("/complaints/settings/taxonomy/{id}/delete/", post(page_delete))
}
