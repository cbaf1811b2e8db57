//! Organizations: the group level above hospitals, with a code, bilingual names and contact
//! details. Every directory viewer sees them; only PX admins change them.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, Order, PaginatorTrait, QueryFilter, Set, TransactionTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::{hospital, organization};
use super::rules;
use super::service::{except, now, unique};
use crate::app::AppState;
use crate::auth::{Actor, Permission};
use crate::crud::{FieldKind, FieldSpec, ListQuery, Resource, field};
use crate::domains::audit::service::{Entry, record};
use crate::error::{AppResult, FieldErrors, not_found};
use crate::http::validate::{choice, email, optional, required};
use crate::http::{Page, pagination};
use crate::i18n::Lang;

pub const STATUSES: &[&str] = &["active", "inactive"];

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationInput {
    /// Unique among live organizations, stored upper-case.
    pub code: Option<String>,
    pub name_en: Option<String>,
    pub name_ar: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub license_number: Option<String>,
    /// `active` or `inactive`.
    pub status: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationView {
    pub id: Uuid,
    pub code: String,
    pub name_en: String,
    pub name_ar: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub license_number: String,
    pub status: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<organization::Model> for OrganizationView {
    fn from(m: organization::Model) -> Self {
        OrganizationView {
            id: m.id,
            code: m.code,
            name_en: m.name_en,
            name_ar: m.name_ar,
            phone: m.phone,
            email: m.email,
            address: m.address,
            license_number: m.license_number,
            status: m.status,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

fn input_of(m: &organization::Model) -> OrganizationInput {
    OrganizationInput {
        code: Some(m.code.clone()),
        name_en: Some(m.name_en.clone()),
        name_ar: Some(m.name_ar.clone()),
        phone: Some(m.phone.clone()),
        email: Some(m.email.clone()),
        address: Some(m.address.clone()),
        license_number: Some(m.license_number.clone()),
        status: Some(m.status.clone()),
    }
}

pub struct Organizations;

/// A live organization. Organizations are not hospital-scoped: every directory viewer sees them.
async fn find(state: &AppState, id: Uuid) -> AppResult<organization::Model> {
    organization::Entity::find_by_id(id)
        .filter(organization::Column::DeletedAt.is_null())
        .one(&state.db)
        .await?
        .ok_or(not_found("organization"))
}

/// Validates a full input and writes it (insert when `existing` is `None`).
async fn save(
    state: &AppState,
    actor: &Actor,
    input: OrganizationInput,
    existing: Option<organization::Model>,
) -> AppResult<OrganizationView> {
    let mut errors = FieldErrors::new();
    let code = rules::code(&mut errors, "code", input.code.as_deref(), 50).to_uppercase();
    let name_en = required(&mut errors, "name_en", input.name_en.as_deref(), 200);
    let name_ar = optional(&mut errors, "name_ar", input.name_ar.as_deref(), 200);
    let phone = rules::phone(&mut errors, "phone", input.phone.as_deref());
    let email = email(&mut errors, "email", input.email.as_deref());
    let address = optional(&mut errors, "address", input.address.as_deref(), 1000);
    let license_number = optional(&mut errors, "license_number", input.license_number.as_deref(), 100);
    let status = choice(&mut errors, "status", input.status.as_deref(), STATUSES, "active");
    let id = existing.as_ref().map(|e| e.id);
    if !code.is_empty() {
        let same = organization::Entity::find()
            .filter(organization::Column::Code.eq(code.clone()))
            .filter(organization::Column::DeletedAt.is_null());
        unique(&state.db, &mut errors, "code", "organization", except(same, organization::Column::Id, id)).await?;
    }
    errors.into_result()?;

    let at = now();
    let mut row = organization::ActiveModel {
        code: Set(code),
        name_en: Set(name_en),
        name_ar: Set(name_ar),
        phone: Set(phone),
        email: Set(email),
        address: Set(address),
        license_number: Set(license_number),
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
    record(&txn, actor, Entry::new(action, "organization", saved.id).hospital(None)).await?;
    txn.commit().await?;
    Ok(saved.into())
}

impl Resource for Organizations {
    const KEY: &'static str = "organizations";
    const NOUN: &'static str = "organization";
    const VIEW: Permission = Permission::ViewDirectory;
    const MANAGE: Permission = Permission::ManageHospitals;
    type View = OrganizationView;
    type Model = organization::Model;
    type Input = OrganizationInput;

    async fn find(state: &AppState, _actor: &Actor, id: Uuid) -> AppResult<organization::Model> {
        find(state, id).await
    }

    fn input_of(m: &organization::Model) -> OrganizationInput {
        input_of(m)
    }

    async fn save(
        state: &AppState,
        actor: &Actor,
        input: OrganizationInput,
        existing: Option<organization::Model>,
    ) -> AppResult<OrganizationView> {
        save(state, actor, input, existing).await
    }

    fn to_view(_actor: &Actor, m: organization::Model) -> OrganizationView {
        m.into()
    }

    fn fields() -> &'static [FieldSpec] {
        const F: &[FieldSpec] = &[
            field("code", FieldKind::Text, true),
            field("name_en", FieldKind::Text, true),
            field("name_ar", FieldKind::Text, false),
            field("phone", FieldKind::Phone, false),
            field("email", FieldKind::Email, false),
            field("address", FieldKind::LongText, false),
            field("license_number", FieldKind::Text, false),
            field("status", FieldKind::Choice(STATUSES, "status"), false),
        ];
        F
    }

    fn list_filters() -> &'static [FieldSpec] {
        const F: &[FieldSpec] = &[field("status", FieldKind::Choice(STATUSES, "status"), false)];
        F
    }

    async fn list(state: &AppState, actor: &Actor, query: &ListQuery) -> AppResult<Page<OrganizationView>> {
        actor.require(state, Self::VIEW).await?;
        let mut select = organization::Entity::find().filter(organization::Column::DeletedAt.is_null());
        if let Some(status) = query.filter("status") {
            select = select.filter(organization::Column::Status.eq(status));
        }
        use organization::Column as C;
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
        let existing = find(state, id).await?;
        // A live hospital must not point at a deleted organization.
        let hospitals = hospital::Entity::find()
            .filter(hospital::Column::OrganizationId.eq(id))
            .filter(hospital::Column::DeletedAt.is_null())
            .count(&state.db)
            .await?;
        if hospitals > 0 {
            return Err(crate::error::invalid("non_field_errors", "Delete or move its hospitals first."));
        }
        let txn = state.db.begin().await?;
        let mut row: organization::ActiveModel = existing.into();
        row.deleted_at = Set(Some(now()));
        row.updated_at = Set(now());
        row.update(&txn).await?;
        record(&txn, actor, Entry::new("delete", "organization", id).hospital(None)).await?;
        txn.commit().await?;
        Ok(())
    }

    fn row(v: &OrganizationView, lang: Lang) -> Vec<(String, String)> {
        vec![
            ("field-code".into(), v.code.clone()),
            ("field-name".into(), lang.pick(&v.name_en, &v.name_ar).to_owned()),
            ("field-status".into(), lang.t(&format!("status-{}", v.status))),
        ]
    }
    fn id_of(v: &OrganizationView) -> Uuid {
        v.id
    }
    fn title_of(v: &OrganizationView, lang: Lang) -> String {
        format!("{} · {}", v.code, lang.pick(&v.name_en, &v.name_ar))
    }
}
