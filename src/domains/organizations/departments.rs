//! Departments: per-hospital units with a code, bilingual names, a parent and a manager.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, Order, QueryFilter, Set, TransactionTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::department;
use super::rules;
use super::service::{check_department, check_user, except, hospital_for_write, now, unique};
use crate::app::AppState;
use crate::auth::{Actor, Permission};
use crate::crud::{FieldKind, FieldSpec, ListQuery, RefOptions, Resource, field};
use crate::domains::audit::service::{Entry, record};
use crate::error::{AppResult, FieldErrors, not_found};
use crate::http::validate::{choice, email, optional, required};
use crate::http::{Page, pagination};
use crate::i18n::Lang;

pub const STATUSES: &[&str] = &["active", "inactive"];

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentInput {
    /// Required for PX admins; others always write to their own hospital.
    pub hospital_id: Option<Uuid>,
    pub parent_id: Option<Uuid>,
    /// Unique per hospital, e.g. `EMR-001`.
    pub code: Option<String>,
    pub name_en: Option<String>,
    pub name_ar: Option<String>,
    pub manager_id: Option<Uuid>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub location: Option<String>,
    /// `active` or `inactive`.
    pub status: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentView {
    pub id: Uuid,
    pub hospital_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub code: String,
    pub name_en: String,
    pub name_ar: String,
    pub manager_id: Option<Uuid>,
    pub phone: String,
    pub email: String,
    pub location: String,
    pub status: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<department::Model> for DepartmentView {
    fn from(m: department::Model) -> Self {
        DepartmentView {
            id: m.id,
            hospital_id: m.hospital_id,
            parent_id: m.parent_id,
            code: m.code,
            name_en: m.name_en,
            name_ar: m.name_ar,
            manager_id: m.manager_id,
            phone: m.phone,
            email: m.email,
            location: m.location,
            status: m.status,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

fn input_of(m: &department::Model) -> DepartmentInput {
    DepartmentInput {
        hospital_id: Some(m.hospital_id),
        parent_id: m.parent_id,
        code: Some(m.code.clone()),
        name_en: Some(m.name_en.clone()),
        name_ar: Some(m.name_ar.clone()),
        manager_id: m.manager_id,
        phone: Some(m.phone.clone()),
        email: Some(m.email.clone()),
        location: Some(m.location.clone()),
        status: Some(m.status.clone()),
    }
}

pub struct Departments;

async fn find(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<department::Model> {
    let select = department::Entity::find_by_id(id).filter(department::Column::DeletedAt.is_null());
    actor.scoped(select, department::Column::HospitalId).one(&state.db).await?.ok_or(not_found("department"))
}

/// Validates a full input and writes it (insert when `existing` is `None`).
async fn save(
    state: &AppState,
    actor: &Actor,
    input: DepartmentInput,
    existing: Option<department::Model>,
) -> AppResult<DepartmentView> {
    let hospital_id = match &existing {
        Some(e) => {
            if input.hospital_id.is_some_and(|h| h != e.hospital_id) {
                return Err(crate::error::invalid("hospital_id", "A department cannot move to another hospital."));
            }
            e.hospital_id
        }
        None => hospital_for_write(&state.db, actor, input.hospital_id).await?,
    };
    let mut errors = FieldErrors::new();
    let code = rules::code(&mut errors, "code", input.code.as_deref(), 50).to_uppercase();
    let name_en = required(&mut errors, "name_en", input.name_en.as_deref(), 200);
    let name_ar = optional(&mut errors, "name_ar", input.name_ar.as_deref(), 200);
    let phone = rules::phone(&mut errors, "phone", input.phone.as_deref());
    let email = email(&mut errors, "email", input.email.as_deref());
    let location = optional(&mut errors, "location", input.location.as_deref(), 200);
    let status = choice(&mut errors, "status", input.status.as_deref(), STATUSES, "active");
    let id = existing.as_ref().map(|e| e.id);
    if input.parent_id.is_some() && input.parent_id == id {
        errors.add("parent_id", "A department cannot be its own parent.");
    }
    check_department(&state.db, &mut errors, "parent_id", hospital_id, input.parent_id).await?;
    check_user(&state.db, &mut errors, "manager_id", hospital_id, input.manager_id).await?;
    if !code.is_empty() {
        let same = department::Entity::find()
            .filter(department::Column::HospitalId.eq(hospital_id))
            .filter(department::Column::Code.eq(code.clone()))
            .filter(department::Column::DeletedAt.is_null());
        unique(&state.db, &mut errors, "code", "department", except(same, department::Column::Id, id)).await?;
    }
    errors.into_result()?;

    let at = now();
    let mut row = department::ActiveModel {
        hospital_id: Set(hospital_id),
        parent_id: Set(input.parent_id),
        code: Set(code),
        name_en: Set(name_en),
        name_ar: Set(name_ar),
        manager_id: Set(input.manager_id),
        phone: Set(phone),
        email: Set(email),
        location: Set(location),
        status: Set(status),
        updated_at: Set(at),
        ..Default::default()
    };
    let txn = state.db.begin().await?;
    let (saved, action) = match existing {
        Some(e) => {
            row.id = sea_orm::Unchanged(e.id);
            (row.update(&txn).await?, "update")
        }
        None => {
            row.id = Set(Uuid::now_v7());
            row.created_at = Set(at);
            row.deleted_at = Set(None);
            (row.insert(&txn).await?, "create")
        }
    };
    record(&txn, actor, Entry::new(action, "department", saved.id).hospital(Some(hospital_id))).await?;
    txn.commit().await?;
    Ok(saved.into())
}

impl Resource for Departments {
    const KEY: &'static str = "departments";
    const NOUN: &'static str = "department";
    const VIEW: Permission = Permission::ViewDirectory;
    const MANAGE: Permission = Permission::ManageHospitalData;
    type View = DepartmentView;
    type Model = department::Model;
    type Input = DepartmentInput;

    async fn find(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<department::Model> {
        find(state, actor, id).await
    }

    fn input_of(m: &department::Model) -> DepartmentInput {
        input_of(m)
    }

    async fn save(
        state: &AppState,
        actor: &Actor,
        input: DepartmentInput,
        existing: Option<department::Model>,
    ) -> AppResult<DepartmentView> {
        save(state, actor, input, existing).await
    }

    fn to_view(_actor: &Actor, m: department::Model) -> DepartmentView {
        m.into()
    }

    fn fields() -> &'static [FieldSpec] {
        const F: &[FieldSpec] = &[
            field("hospital_id", FieldKind::Ref(RefOptions::Hospitals), true),
            field("code", FieldKind::Text, true),
            field("name_en", FieldKind::Text, true),
            field("name_ar", FieldKind::Text, false),
            field("parent_id", FieldKind::Ref(RefOptions::Departments), false),
            field("manager_id", FieldKind::Ref(RefOptions::Users), false),
            field("phone", FieldKind::Phone, false),
            field("email", FieldKind::Email, false),
            field("location", FieldKind::Text, false),
            field("status", FieldKind::Choice(STATUSES, "status"), false),
        ];
        F
    }

    fn list_filters() -> &'static [FieldSpec] {
        const F: &[FieldSpec] = &[field("status", FieldKind::Choice(STATUSES, "status"), false)];
        F
    }

    async fn list(state: &AppState, actor: &Actor, query: &ListQuery) -> AppResult<Page<DepartmentView>> {
        actor.require(state, Self::VIEW).await?;
        let mut select = actor.scoped(department::Entity::find(), department::Column::HospitalId);
        select = select.filter(department::Column::DeletedAt.is_null());
        if let Some(status) = query.filter("status") {
            select = select.filter(department::Column::Status.eq(status));
        }
        if let Some(parent) = query.uuid_filter("parent_id")? {
            select = select.filter(department::Column::ParentId.eq(parent));
        }
        use department::Column as C;
        select = pagination::search(select, &query.params, &[C::Code, C::NameEn, C::NameAr]);
        let allowed = [
            ("code", C::Code),
            ("name_en", C::NameEn),
            ("name_ar", C::NameAr),
            ("created_at", C::CreatedAt),
            ("status", C::Status),
        ];
        select = pagination::order(select, &query.params, &allowed, (C::Code, Order::Asc))?;
        Ok(pagination::fetch(&state.db, select, &query.params, &query.path).await?.map(Into::into))
    }

    async fn delete(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<()> {
        actor.require(state, Self::MANAGE).await?;
        let existing = find(state, actor, id).await?;
        let txn = state.db.begin().await?;
        let hospital_id = existing.hospital_id;
        let mut row: department::ActiveModel = existing.into();
        row.deleted_at = Set(Some(now()));
        row.updated_at = Set(now());
        row.update(&txn).await?;
        record(&txn, actor, Entry::new("delete", "department", id).hospital(Some(hospital_id))).await?;
        txn.commit().await?;
        Ok(())
    }

    fn row(v: &DepartmentView, lang: Lang) -> Vec<(String, String)> {
        vec![
            ("field-code".into(), v.code.clone()),
            ("field-name".into(), lang.pick(&v.name_en, &v.name_ar).to_owned()),
            ("field-status".into(), lang.t(&format!("status-{}", v.status))),
        ]
    }
    fn id_of(v: &DepartmentView) -> Uuid {
        v.id
    }
    fn title_of(v: &DepartmentView, lang: Lang) -> String {
        format!("{} · {}", v.code, lang.pick(&v.name_en, &v.name_ar))
    }
}
