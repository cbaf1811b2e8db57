//! Hospitals: a code, the HIS code, bilingual names, contact details and per-hospital settings.
//! PX admins create and delete them; a hospital admin edits their own hospital's settings.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryFilter, Set,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::{department, hospital, organization, patient, staff};
use super::rules;
use super::service::{except, now, unique};
use crate::app::AppState;
use crate::auth::{Actor, Permission};
use crate::crud::{FieldKind, FieldSpec, ListQuery, RefOptions, Resource, field};
use crate::domains::audit::service::{Entry, record};
use crate::error::{AppResult, FieldErrors, not_found};
use crate::http::validate::{choice, email, optional, required};
use crate::http::{Page, pagination};
use crate::i18n::Lang;

pub const STATUSES: &[&str] = &["active", "inactive"];
pub const LANGUAGES: &[&str] = &["ar", "en"];

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HospitalInput {
    /// The group this hospital belongs to, if any.
    pub organization_id: Option<Uuid>,
    /// Unique among live hospitals, stored upper-case, e.g. `ALH-MAIN`.
    pub code: Option<String>,
    /// The HIS `HospitalID`.
    pub his_code: Option<String>,
    pub name_en: Option<String>,
    pub name_ar: Option<String>,
    pub city: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub license_number: Option<String>,
    /// `active` or `inactive`.
    pub status: Option<String>,
    /// `ar` or `en`.
    pub default_language: Option<String>,
    /// Open a PX action automatically for each new complaint.
    pub auto_create_action_on_complaint: Option<bool>,
    /// Quiet hours start, hour 0–23 Riyadh time (default 22): patient messages wait until the end.
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(value_type = Option<i32>)]
    pub quiet_hours_start: Option<i32>,
    /// Quiet hours end, hour 0–23 (default 8). Equal to the start: no quiet hours.
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(value_type = Option<i32>)]
    pub quiet_hours_end: Option<i32>,
    /// At most one survey per patient in this many days, 0–365 (default 7; 0: no limit).
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(value_type = Option<i32>)]
    pub survey_throttle_days: Option<i32>,
}

/// A whole number given as a JSON number or as a string (forms post strings); blank is absent.
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    use serde::de::Error;
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(i64),
        Text(String),
    }
    match Option::<Raw>::deserialize(d)? {
        None => Ok(None),
        Some(Raw::Int(n)) => i32::try_from(n).map(Some).map_err(|_| D::Error::custom("number out of range")),
        Some(Raw::Text(s)) if s.trim().is_empty() => Ok(None),
        Some(Raw::Text(s)) => {
            s.trim().parse::<i32>().map(Some).map_err(|_| D::Error::custom("a whole number is required"))
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HospitalView {
    pub id: Uuid,
    pub organization_id: Option<Uuid>,
    pub code: String,
    pub his_code: String,
    pub name_en: String,
    pub name_ar: String,
    pub city: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub license_number: String,
    pub status: String,
    pub default_language: String,
    pub auto_create_action_on_complaint: bool,
    pub quiet_hours_start: i32,
    pub quiet_hours_end: i32,
    pub survey_throttle_days: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<hospital::Model> for HospitalView {
    fn from(m: hospital::Model) -> Self {
        HospitalView {
            id: m.id,
            organization_id: m.organization_id,
            code: m.code,
            his_code: m.his_code,
            name_en: m.name_en,
            name_ar: m.name_ar,
            city: m.city,
            phone: m.phone,
            email: m.email,
            address: m.address,
            license_number: m.license_number,
            status: m.status,
            default_language: m.default_language,
            auto_create_action_on_complaint: m.auto_create_action_on_complaint,
            quiet_hours_start: m.quiet_hours_start,
            quiet_hours_end: m.quiet_hours_end,
            survey_throttle_days: m.survey_throttle_days,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

fn input_of(m: &hospital::Model) -> HospitalInput {
    HospitalInput {
        organization_id: m.organization_id,
        code: Some(m.code.clone()),
        his_code: Some(m.his_code.clone()),
        name_en: Some(m.name_en.clone()),
        name_ar: Some(m.name_ar.clone()),
        city: Some(m.city.clone()),
        phone: Some(m.phone.clone()),
        email: Some(m.email.clone()),
        address: Some(m.address.clone()),
        license_number: Some(m.license_number.clone()),
        status: Some(m.status.clone()),
        default_language: Some(m.default_language.clone()),
        auto_create_action_on_complaint: Some(m.auto_create_action_on_complaint),
        quiet_hours_start: Some(m.quiet_hours_start),
        quiet_hours_end: Some(m.quiet_hours_end),
        survey_throttle_days: Some(m.survey_throttle_days),
    }
}

pub struct Hospitals;

async fn find(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<hospital::Model> {
    let select = hospital::Entity::find_by_id(id).filter(hospital::Column::DeletedAt.is_null());
    actor.scoped(select, hospital::Column::Id).one(&state.db).await?.ok_or(not_found("hospital"))
}

/// Checks that an optional organization reference is a live organization.
async fn check_organization(
    db: &impl ConnectionTrait,
    errors: &mut FieldErrors,
    field: &str,
    id: Option<Uuid>,
) -> AppResult<()> {
    let Some(id) = id else { return Ok(()) };
    let found =
        organization::Entity::find_by_id(id).filter(organization::Column::DeletedAt.is_null()).count(db).await?;
    if found == 0 {
        errors.add(field, "Invalid pk - object does not exist.");
    }
    Ok(())
}

/// Validates a full input and writes it (insert when `existing` is `None`).
async fn save(
    state: &AppState,
    actor: &Actor,
    input: HospitalInput,
    existing: Option<hospital::Model>,
) -> AppResult<HospitalView> {
    let mut errors = FieldErrors::new();
    let code = rules::code(&mut errors, "code", input.code.as_deref(), 50).to_uppercase();
    let his_code = optional(&mut errors, "his_code", input.his_code.as_deref(), 50);
    let name_en = required(&mut errors, "name_en", input.name_en.as_deref(), 200);
    let name_ar = optional(&mut errors, "name_ar", input.name_ar.as_deref(), 200);
    let city = optional(&mut errors, "city", input.city.as_deref(), 100);
    let phone = rules::phone(&mut errors, "phone", input.phone.as_deref());
    let email = email(&mut errors, "email", input.email.as_deref());
    let address = optional(&mut errors, "address", input.address.as_deref(), 1000);
    let license_number = optional(&mut errors, "license_number", input.license_number.as_deref(), 100);
    let status = choice(&mut errors, "status", input.status.as_deref(), STATUSES, "active");
    let default_language = choice(&mut errors, "default_language", input.default_language.as_deref(), LANGUAGES, "ar");
    let auto_create_action_on_complaint = input.auto_create_action_on_complaint.unwrap_or(false);
    let mut bounded = |field: &str, value: Option<i32>, default: i32, max: i32| {
        let v = value.unwrap_or(default);
        if !(0..=max).contains(&v) {
            errors.add(field, format!("Ensure this value is between 0 and {max}."));
        }
        v
    };
    let quiet_hours_start = bounded("quiet_hours_start", input.quiet_hours_start, 22, 23);
    let quiet_hours_end = bounded("quiet_hours_end", input.quiet_hours_end, 8, 23);
    let survey_throttle_days = bounded("survey_throttle_days", input.survey_throttle_days, 7, 365);
    check_organization(&state.db, &mut errors, "organization_id", input.organization_id).await?;
    let id = existing.as_ref().map(|e| e.id);
    if !code.is_empty() {
        // Codes are unique across every hospital, including ones the actor cannot see.
        let same = hospital::Entity::find()
            .filter(hospital::Column::Code.eq(code.clone()))
            .filter(hospital::Column::DeletedAt.is_null());
        unique(&state.db, &mut errors, "code", "hospital", except(same, hospital::Column::Id, id)).await?;
    }
    errors.into_result()?;

    let at = now();
    let mut row = hospital::ActiveModel {
        organization_id: Set(input.organization_id),
        code: Set(code),
        his_code: Set(his_code),
        name_en: Set(name_en),
        name_ar: Set(name_ar),
        city: Set(city),
        phone: Set(phone),
        email: Set(email),
        address: Set(address),
        license_number: Set(license_number),
        status: Set(status),
        default_language: Set(default_language),
        auto_create_action_on_complaint: Set(auto_create_action_on_complaint),
        quiet_hours_start: Set(quiet_hours_start),
        quiet_hours_end: Set(quiet_hours_end),
        survey_throttle_days: Set(survey_throttle_days),
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
    record(&txn, actor, Entry::new(action, "hospital", saved.id).hospital(Some(saved.id))).await?;
    txn.commit().await?;
    Ok(saved.into())
}

impl Resource for Hospitals {
    const KEY: &'static str = "hospitals";
    const NOUN: &'static str = "hospital";
    const VIEW: Permission = Permission::ViewDirectory;
    /// Editing settings; creating and deleting hospitals also needs [`Permission::ManageHospitals`].
    const MANAGE: Permission = Permission::ManageHospitalData;
    type View = HospitalView;
    const CREATE: Permission = Permission::ManageHospitals;
    type Model = hospital::Model;
    type Input = HospitalInput;

    async fn find(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<hospital::Model> {
        find(state, actor, id).await
    }

    fn input_of(m: &hospital::Model) -> HospitalInput {
        input_of(m)
    }

    async fn save(
        state: &AppState,
        actor: &Actor,
        input: HospitalInput,
        existing: Option<hospital::Model>,
    ) -> AppResult<HospitalView> {
        save(state, actor, input, existing).await
    }

    fn to_view(_actor: &Actor, m: hospital::Model) -> HospitalView {
        m.into()
    }

    fn fields() -> &'static [FieldSpec] {
        const F: &[FieldSpec] = &[
            field("organization_id", FieldKind::Ref(RefOptions::Organizations), false),
            field("code", FieldKind::Text, true),
            field("his_code", FieldKind::Text, false),
            field("name_en", FieldKind::Text, true),
            field("name_ar", FieldKind::Text, false),
            field("city", FieldKind::Text, false),
            field("phone", FieldKind::Phone, false),
            field("email", FieldKind::Email, false),
            field("address", FieldKind::LongText, false),
            field("license_number", FieldKind::Text, false),
            field("status", FieldKind::Choice(STATUSES, "status"), false),
            field("default_language", FieldKind::Choice(LANGUAGES, "language"), false),
            field("auto_create_action_on_complaint", FieldKind::Checkbox, false),
            field("quiet_hours_start", FieldKind::Text, false),
            field("quiet_hours_end", FieldKind::Text, false),
            field("survey_throttle_days", FieldKind::Text, false),
        ];
        F
    }

    fn list_filters() -> &'static [FieldSpec] {
        const F: &[FieldSpec] = &[
            field("organization_id", FieldKind::Ref(RefOptions::Organizations), false),
            field("status", FieldKind::Choice(STATUSES, "status"), false),
        ];
        F
    }

    async fn list(state: &AppState, actor: &Actor, query: &ListQuery) -> AppResult<Page<HospitalView>> {
        actor.require(state, Self::VIEW).await?;
        let mut select = actor.scoped(hospital::Entity::find(), hospital::Column::Id);
        select = select.filter(hospital::Column::DeletedAt.is_null());
        if let Some(status) = query.filter("status") {
            select = select.filter(hospital::Column::Status.eq(status));
        }
        if let Some(organization) = query.uuid_filter("organization_id")? {
            select = select.filter(hospital::Column::OrganizationId.eq(organization));
        }
        use hospital::Column as C;
        select = pagination::search(select, &query.params, &[C::Code, C::HisCode, C::NameEn, C::NameAr, C::City]);
        let allowed = [
            ("code", C::Code),
            ("name_en", C::NameEn),
            ("name_ar", C::NameAr),
            ("city", C::City),
            ("created_at", C::CreatedAt),
            ("status", C::Status),
        ];
        select = pagination::order(select, &query.params, &allowed, (C::Code, Order::Asc))?;
        Ok(pagination::fetch(&state.db, select, &query.params, &query.path).await?.map(Into::into))
    }

    async fn delete(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<()> {
        actor.require(state, Permission::ManageHospitals).await?;
        let existing = find(state, actor, id).await?;
        let db = &state.db;
        let departments = department::Entity::find()
            .filter(department::Column::HospitalId.eq(id))
            .filter(department::Column::DeletedAt.is_null())
            .count(db)
            .await?;
        let staff = staff::Entity::find()
            .filter(staff::Column::HospitalId.eq(id))
            .filter(staff::Column::DeletedAt.is_null())
            .count(db)
            .await?;
        let patients = patient::Entity::find()
            .filter(patient::Column::HospitalId.eq(id))
            .filter(patient::Column::DeletedAt.is_null())
            .count(db)
            .await?;
        if departments + staff + patients > 0 {
            return Err(crate::error::invalid(
                "non_field_errors",
                "Delete or move its departments, staff and patients first.",
            ));
        }
        let txn = state.db.begin().await?;
        let mut row: hospital::ActiveModel = existing.into();
        row.deleted_at = Set(Some(now()));
        row.updated_at = Set(now());
        row.update(&txn).await?;
        record(&txn, actor, Entry::new("delete", "hospital", id).hospital(Some(id))).await?;
        txn.commit().await?;
        Ok(())
    }

    fn row(v: &HospitalView, lang: Lang) -> Vec<(String, String)> {
        vec![
            ("field-code".into(), v.code.clone()),
            ("field-name".into(), lang.pick(&v.name_en, &v.name_ar).to_owned()),
            ("field-city".into(), v.city.clone()),
            ("field-status".into(), lang.t(&format!("status-{}", v.status))),
        ]
    }
    fn id_of(v: &HospitalView) -> Uuid {
        v.id
    }
    fn title_of(v: &HospitalView, lang: Lang) -> String {
        format!("{} · {}", v.code, lang.pick(&v.name_en, &v.name_ar))
    }
}
