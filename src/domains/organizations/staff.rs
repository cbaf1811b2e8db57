//! Staff: one table for every kind of hospital staff. Physicians are staff with a licence number
//! (required, unique per hospital) and a specialization; `/api/physicians/` lists only them.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, Order, QueryFilter, Set, TransactionTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::staff;
use super::rules;
use super::service::{check_department, except, hospital_for_write, now, unique};
use crate::app::AppState;
use crate::auth::{Actor, Permission};
use crate::crud::{FieldKind, FieldSpec, ListQuery, RefOptions, Resource, field};
use crate::domains::audit::service::{Entry, record};
use crate::error::{AppResult, FieldErrors, not_found};
use crate::http::validate::{choice, email, optional, required};
use crate::http::{Page, pagination};
use crate::i18n::Lang;

pub const STATUSES: &[&str] = &["active", "inactive"];
pub const STAFF_TYPES: &[&str] = &["physician", "nurse", "allied_health", "admin", "support", "other"];
pub const PHYSICIAN: &str = "physician";

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffInput {
    /// Required for PX admins; others always write to their own hospital.
    pub hospital_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    /// `physician`, `nurse`, `allied_health`, `admin`, `support` or `other`.
    pub staff_type: Option<String>,
    pub employee_id: Option<String>,
    pub first_name_en: Option<String>,
    pub last_name_en: Option<String>,
    pub first_name_ar: Option<String>,
    pub last_name_ar: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub job_title_en: Option<String>,
    pub job_title_ar: Option<String>,
    /// Required for physicians; unique per hospital.
    pub license_number: Option<String>,
    pub specialization_en: Option<String>,
    pub specialization_ar: Option<String>,
    /// `active` or `inactive`.
    pub status: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffView {
    pub id: Uuid,
    pub hospital_id: Uuid,
    pub department_id: Option<Uuid>,
    /// The staff member's login, if they have one.
    pub user_id: Option<Uuid>,
    pub staff_type: String,
    pub employee_id: String,
    pub first_name_en: String,
    pub last_name_en: String,
    pub first_name_ar: String,
    pub last_name_ar: String,
    pub email: String,
    pub phone: String,
    pub job_title_en: String,
    pub job_title_ar: String,
    pub license_number: Option<String>,
    pub specialization_en: String,
    pub specialization_ar: String,
    pub status: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<staff::Model> for StaffView {
    fn from(m: staff::Model) -> Self {
        StaffView {
            id: m.id,
            hospital_id: m.hospital_id,
            department_id: m.department_id,
            user_id: m.user_id,
            staff_type: m.staff_type,
            employee_id: m.employee_id,
            first_name_en: m.first_name_en,
            last_name_en: m.last_name_en,
            first_name_ar: m.first_name_ar,
            last_name_ar: m.last_name_ar,
            email: m.email,
            phone: m.phone,
            job_title_en: m.job_title_en,
            job_title_ar: m.job_title_ar,
            license_number: m.license_number,
            specialization_en: m.specialization_en,
            specialization_ar: m.specialization_ar,
            status: m.status,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

impl StaffView {
    /// The full name in `lang`, falling back to the other language.
    pub fn name(&self, lang: Lang) -> String {
        let en = format!("{} {}", self.first_name_en, self.last_name_en).trim().to_owned();
        let ar = format!("{} {}", self.first_name_ar, self.last_name_ar).trim().to_owned();
        lang.pick(&en, &ar).to_owned()
    }
}

fn input_of(m: &staff::Model) -> StaffInput {
    StaffInput {
        hospital_id: Some(m.hospital_id),
        department_id: m.department_id,
        staff_type: Some(m.staff_type.clone()),
        employee_id: Some(m.employee_id.clone()),
        first_name_en: Some(m.first_name_en.clone()),
        last_name_en: Some(m.last_name_en.clone()),
        first_name_ar: Some(m.first_name_ar.clone()),
        last_name_ar: Some(m.last_name_ar.clone()),
        email: Some(m.email.clone()),
        phone: Some(m.phone.clone()),
        job_title_en: Some(m.job_title_en.clone()),
        job_title_ar: Some(m.job_title_ar.clone()),
        license_number: m.license_number.clone(),
        specialization_en: Some(m.specialization_en.clone()),
        specialization_ar: Some(m.specialization_ar.clone()),
        status: Some(m.status.clone()),
    }
}

pub struct Staff;

async fn find(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<staff::Model> {
    let select = staff::Entity::find_by_id(id).filter(staff::Column::DeletedAt.is_null());
    actor.scoped(select, staff::Column::HospitalId).one(&state.db).await?.ok_or(not_found("staff"))
}

/// The staff type: required, one of [`STAFF_TYPES`].
fn staff_type(errors: &mut FieldErrors, value: Option<&str>) -> String {
    match value.map(str::trim) {
        None => {
            errors.add("staff_type", "This field is required.");
            String::new()
        }
        Some("") => {
            errors.add("staff_type", "This field may not be blank.");
            String::new()
        }
        Some(v) => choice(errors, "staff_type", Some(v), STAFF_TYPES, ""),
    }
}

/// Validates a full input and writes it (insert when `existing` is `None`).
async fn save(
    state: &AppState,
    actor: &Actor,
    input: StaffInput,
    existing: Option<staff::Model>,
) -> AppResult<StaffView> {
    let hospital_id = match &existing {
        Some(e) => {
            if input.hospital_id.is_some_and(|h| h != e.hospital_id) {
                return Err(crate::error::invalid("hospital_id", "A staff member cannot move to another hospital."));
            }
            e.hospital_id
        }
        None => hospital_for_write(&state.db, actor, input.hospital_id).await?,
    };
    let mut errors = FieldErrors::new();
    let staff_type = staff_type(&mut errors, input.staff_type.as_deref());
    let employee_id = optional(&mut errors, "employee_id", input.employee_id.as_deref(), 50);
    let first_name_en = required(&mut errors, "first_name_en", input.first_name_en.as_deref(), 100);
    let last_name_en = optional(&mut errors, "last_name_en", input.last_name_en.as_deref(), 100);
    let first_name_ar = optional(&mut errors, "first_name_ar", input.first_name_ar.as_deref(), 100);
    let last_name_ar = optional(&mut errors, "last_name_ar", input.last_name_ar.as_deref(), 100);
    let email = email(&mut errors, "email", input.email.as_deref());
    let phone = rules::phone(&mut errors, "phone", input.phone.as_deref());
    let job_title_en = optional(&mut errors, "job_title_en", input.job_title_en.as_deref(), 200);
    let job_title_ar = optional(&mut errors, "job_title_ar", input.job_title_ar.as_deref(), 200);
    let blank_license = input.license_number.as_deref().is_none_or(|l| l.trim().is_empty());
    let license_number = if staff_type == PHYSICIAN || !blank_license {
        // Physicians must have one (matched against the HIS `physician_license`).
        Some(rules::code(&mut errors, "license_number", input.license_number.as_deref(), 100))
    } else {
        None
    };
    let specialization_en = optional(&mut errors, "specialization_en", input.specialization_en.as_deref(), 200);
    let specialization_ar = optional(&mut errors, "specialization_ar", input.specialization_ar.as_deref(), 200);
    let status = choice(&mut errors, "status", input.status.as_deref(), STATUSES, "active");
    check_department(&state.db, &mut errors, "department_id", hospital_id, input.department_id).await?;
    let id = existing.as_ref().map(|e| e.id);
    if let Some(license) = license_number.as_ref().filter(|l| !l.is_empty()) {
        let same = staff::Entity::find()
            .filter(staff::Column::HospitalId.eq(hospital_id))
            .filter(staff::Column::LicenseNumber.eq(license.clone()))
            .filter(staff::Column::DeletedAt.is_null());
        unique(&state.db, &mut errors, "license_number", "staff member", except(same, staff::Column::Id, id)).await?;
    }
    errors.into_result()?;

    let at = now();
    let mut row = staff::ActiveModel {
        hospital_id: Set(hospital_id),
        department_id: Set(input.department_id),
        staff_type: Set(staff_type),
        employee_id: Set(employee_id),
        first_name_en: Set(first_name_en),
        last_name_en: Set(last_name_en),
        first_name_ar: Set(first_name_ar),
        last_name_ar: Set(last_name_ar),
        email: Set(email),
        phone: Set(phone),
        job_title_en: Set(job_title_en),
        job_title_ar: Set(job_title_ar),
        license_number: Set(license_number),
        specialization_en: Set(specialization_en),
        specialization_ar: Set(specialization_ar),
        status: Set(status),
        updated_at: Set(at),
        ..Default::default()
    };
    let txn = state.db.begin().await?;
    let (saved, action) = match existing {
        Some(e) => {
            // The linked user (if any) is kept: it is not part of the input.
            row.id = sea_orm::Unchanged(e.id);
            (row.update(&txn).await?, "update")
        }
        None => {
            row.id = Set(Uuid::now_v7());
            row.user_id = Set(None);
            row.created_at = Set(at);
            row.deleted_at = Set(None);
            (row.insert(&txn).await?, "create")
        }
    };
    record(&txn, actor, Entry::new(action, "staff", saved.id).hospital(Some(hospital_id))).await?;
    txn.commit().await?;
    Ok(saved.into())
}

/// `/api/physicians/`: the staff list limited to physicians (other filters still apply).
pub async fn list_physicians(state: &AppState, actor: &Actor, query: &ListQuery) -> AppResult<Page<StaffView>> {
    let mut query = query.clone();
    query.filters.insert("staff_type".into(), PHYSICIAN.into());
    Staff::list(state, actor, &query).await
}

/// One physician; a staff member of another type is "not found".
pub async fn get_physician(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<StaffView> {
    let view = Staff::get(state, actor, id).await.map_err(|e| match e {
        crate::error::AppError::NotFound(_) => not_found("physician"),
        other => other,
    })?;
    if view.staff_type != PHYSICIAN {
        return Err(not_found("physician"));
    }
    Ok(view)
}

impl Resource for Staff {
    const KEY: &'static str = "staff";
    const NOUN: &'static str = "staff";
    const VIEW: Permission = Permission::ViewDirectory;
    const MANAGE: Permission = Permission::ManageHospitalData;
    type View = StaffView;
    type Model = staff::Model;
    type Input = StaffInput;

    async fn find(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<staff::Model> {
        find(state, actor, id).await
    }

    fn input_of(m: &staff::Model) -> StaffInput {
        input_of(m)
    }

    async fn save(
        state: &AppState,
        actor: &Actor,
        input: StaffInput,
        existing: Option<staff::Model>,
    ) -> AppResult<StaffView> {
        save(state, actor, input, existing).await
    }

    fn to_view(_actor: &Actor, m: staff::Model) -> StaffView {
        m.into()
    }

    fn fields() -> &'static [FieldSpec] {
        const F: &[FieldSpec] = &[
            field("hospital_id", FieldKind::Ref(RefOptions::Hospitals), true),
            field("department_id", FieldKind::Ref(RefOptions::Departments), false),
            field("staff_type", FieldKind::Choice(STAFF_TYPES, "staff_type"), true),
            field("employee_id", FieldKind::Text, false),
            field("first_name_en", FieldKind::Text, true),
            field("last_name_en", FieldKind::Text, false),
            field("first_name_ar", FieldKind::Text, false),
            field("last_name_ar", FieldKind::Text, false),
            field("email", FieldKind::Email, false),
            field("phone", FieldKind::Phone, false),
            field("job_title_en", FieldKind::Text, false),
            field("job_title_ar", FieldKind::Text, false),
            field("license_number", FieldKind::Text, false),
            field("specialization_en", FieldKind::Text, false),
            field("specialization_ar", FieldKind::Text, false),
            field("status", FieldKind::Choice(STATUSES, "status"), false),
        ];
        F
    }

    fn list_filters() -> &'static [FieldSpec] {
        const F: &[FieldSpec] = &[
            field("staff_type", FieldKind::Choice(STAFF_TYPES, "staff_type"), false),
            field("department_id", FieldKind::Ref(RefOptions::Departments), false),
            field("status", FieldKind::Choice(STATUSES, "status"), false),
        ];
        F
    }

    async fn list(state: &AppState, actor: &Actor, query: &ListQuery) -> AppResult<Page<StaffView>> {
        actor.require(state, Self::VIEW).await?;
        let mut select = actor.scoped(staff::Entity::find(), staff::Column::HospitalId);
        select = select.filter(staff::Column::DeletedAt.is_null());
        if let Some(kind) = query.filter("staff_type") {
            select = select.filter(staff::Column::StaffType.eq(kind));
        }
        if let Some(department) = query.uuid_filter("department_id")? {
            select = select.filter(staff::Column::DepartmentId.eq(department));
        }
        if let Some(status) = query.filter("status") {
            select = select.filter(staff::Column::Status.eq(status));
        }
        use staff::Column as C;
        let searched = [C::FirstNameEn, C::LastNameEn, C::FirstNameAr, C::LastNameAr, C::EmployeeId, C::LicenseNumber];
        select = pagination::search(select, &query.params, &searched);
        let allowed = [
            ("last_name_en", C::LastNameEn),
            ("first_name_en", C::FirstNameEn),
            ("created_at", C::CreatedAt),
            ("staff_type", C::StaffType),
        ];
        select = pagination::order(select, &query.params, &allowed, (C::LastNameEn, Order::Asc))?;
        Ok(pagination::fetch(&state.db, select, &query.params, &query.path).await?.map(Into::into))
    }

    async fn delete(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<()> {
        actor.require(state, Self::MANAGE).await?;
        let existing = find(state, actor, id).await?;
        let txn = state.db.begin().await?;
        let hospital_id = existing.hospital_id;
        let mut row: staff::ActiveModel = existing.into();
        row.deleted_at = Set(Some(now()));
        row.updated_at = Set(now());
        row.update(&txn).await?;
        record(&txn, actor, Entry::new("delete", "staff", id).hospital(Some(hospital_id))).await?;
        txn.commit().await?;
        Ok(())
    }

    fn row(v: &StaffView, lang: Lang) -> Vec<(String, String)> {
        vec![
            ("field-name".into(), v.name(lang)),
            ("field-staff_type".into(), lang.t(&format!("staff_type-{}", v.staff_type))),
            ("field-employee_id".into(), v.employee_id.clone()),
            ("field-status".into(), lang.t(&format!("status-{}", v.status))),
        ]
    }
    fn id_of(v: &StaffView) -> Uuid {
        v.id
    }
    fn title_of(v: &StaffView, lang: Lang) -> String {
        v.name(lang)
    }
}
