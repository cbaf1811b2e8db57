//! Patients: per-hospital records keyed by MRN, with contact preferences. Roles below
//! px_coordinator see the national ID and phone masked.

use chrono::{NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, Order, QueryFilter, Set, TransactionTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::patient;
use super::rules;
use super::service::{except, hospital_for_write, now, unique};
use crate::app::AppState;
use crate::auth::{Actor, Permission};
use crate::crud::{FieldKind, FieldSpec, ListQuery, RefOptions, Resource, field};
use crate::domains::audit::service::{Entry, record};
use crate::error::{AppResult, FieldErrors, not_found};
use crate::http::validate::{choice, email, optional};
use crate::http::{Page, pagination};
use crate::i18n::Lang;

pub const GENDERS: &[&str] = &["male", "female"];
pub const LANGUAGES: &[&str] = &["ar", "en"];
pub const CHANNELS: &[&str] = &["sms", "whatsapp", "email"];

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatientInput {
    /// Required for PX admins; others always write to their own hospital.
    pub hospital_id: Option<Uuid>,
    /// Medical record number, unique per hospital.
    pub mrn: Option<String>,
    /// National ID or Iqama: 10 digits starting with 1 or 2.
    pub national_id: Option<String>,
    pub first_name_en: Option<String>,
    pub last_name_en: Option<String>,
    pub first_name_ar: Option<String>,
    pub last_name_ar: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// `male` or `female`.
    pub gender: Option<String>,
    /// Not in the future.
    pub date_of_birth: Option<NaiveDate>,
    pub nationality: Option<String>,
    /// `ar` (default) or `en`.
    pub preferred_language: Option<String>,
    /// `sms` (default), `whatsapp` or `email`.
    pub preferred_channel: Option<String>,
    pub is_deceased: Option<bool>,
}

/// A patient; `national_id` and `phone` are masked (`••••••4567`) for roles below px_coordinator.
#[derive(Debug, Serialize, ToSchema)]
pub struct PatientView {
    pub id: Uuid,
    pub hospital_id: Uuid,
    pub mrn: String,
    pub national_id: String,
    pub first_name_en: String,
    pub last_name_en: String,
    pub first_name_ar: String,
    pub last_name_ar: String,
    pub phone: String,
    pub email: String,
    pub gender: String,
    pub date_of_birth: Option<NaiveDate>,
    pub nationality: String,
    pub preferred_language: String,
    pub preferred_channel: String,
    pub is_deceased: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<patient::Model> for PatientView {
    fn from(m: patient::Model) -> Self {
        PatientView {
            id: m.id,
            hospital_id: m.hospital_id,
            mrn: m.mrn,
            national_id: m.national_id,
            first_name_en: m.first_name_en,
            last_name_en: m.last_name_en,
            first_name_ar: m.first_name_ar,
            last_name_ar: m.last_name_ar,
            phone: m.phone,
            email: m.email,
            gender: m.gender,
            date_of_birth: m.date_of_birth,
            nationality: m.nationality,
            preferred_language: m.preferred_language,
            preferred_channel: m.preferred_channel,
            is_deceased: m.is_deceased,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

impl PatientView {
    /// The full name in `lang`, falling back to the other language.
    pub fn name(&self, lang: Lang) -> String {
        let en = format!("{} {}", self.first_name_en, self.last_name_en).trim().to_owned();
        let ar = format!("{} {}", self.first_name_ar, self.last_name_ar).trim().to_owned();
        lang.pick(&en, &ar).to_owned()
    }
}

/// The view this actor may see: PII masked unless the role sees it.
fn view_for(actor: &Actor, model: patient::Model) -> PatientView {
    let mut view = PatientView::from(model);
    if !actor.role.sees_pii() {
        view.national_id = rules::mask(&view.national_id);
        view.phone = rules::mask(&view.phone);
    }
    view
}

fn input_of(m: &patient::Model) -> PatientInput {
    PatientInput {
        hospital_id: Some(m.hospital_id),
        mrn: Some(m.mrn.clone()),
        national_id: Some(m.national_id.clone()),
        first_name_en: Some(m.first_name_en.clone()),
        last_name_en: Some(m.last_name_en.clone()),
        first_name_ar: Some(m.first_name_ar.clone()),
        last_name_ar: Some(m.last_name_ar.clone()),
        phone: Some(m.phone.clone()),
        email: Some(m.email.clone()),
        gender: Some(m.gender.clone()),
        date_of_birth: m.date_of_birth,
        nationality: Some(m.nationality.clone()),
        preferred_language: Some(m.preferred_language.clone()),
        preferred_channel: Some(m.preferred_channel.clone()),
        is_deceased: Some(m.is_deceased),
    }
}

pub struct Patients;

async fn find(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<patient::Model> {
    let select = patient::Entity::find_by_id(id).filter(patient::Column::DeletedAt.is_null());
    actor.scoped(select, patient::Column::HospitalId).one(&state.db).await?.ok_or(not_found("patient"))
}

/// Today in Saudi Arabia (UTC+3, no daylight saving), so a baby born after midnight local time
/// is not "in the future".
fn today() -> NaiveDate {
    (Utc::now() + chrono::Duration::hours(3)).date_naive()
}

/// Validates a full input and writes it (insert when `existing` is `None`).
async fn save(
    state: &AppState,
    actor: &Actor,
    input: PatientInput,
    existing: Option<patient::Model>,
) -> AppResult<PatientView> {
    let hospital_id = match &existing {
        Some(e) => {
            if input.hospital_id.is_some_and(|h| h != e.hospital_id) {
                return Err(crate::error::invalid("hospital_id", "A patient cannot move to another hospital."));
            }
            e.hospital_id
        }
        None => hospital_for_write(&state.db, actor, input.hospital_id).await?,
    };
    let mut errors = FieldErrors::new();
    let mrn = rules::code(&mut errors, "mrn", input.mrn.as_deref(), 50);
    let national_id = rules::national_id(&mut errors, "national_id", input.national_id.as_deref());
    let first_name_en = optional(&mut errors, "first_name_en", input.first_name_en.as_deref(), 100);
    let last_name_en = optional(&mut errors, "last_name_en", input.last_name_en.as_deref(), 100);
    let first_name_ar = optional(&mut errors, "first_name_ar", input.first_name_ar.as_deref(), 100);
    let last_name_ar = optional(&mut errors, "last_name_ar", input.last_name_ar.as_deref(), 100);
    if first_name_en.is_empty() && first_name_ar.is_empty() {
        errors.add("first_name_en", "Give a first name in English or Arabic.");
    }
    let phone = rules::phone(&mut errors, "phone", input.phone.as_deref());
    let email = email(&mut errors, "email", input.email.as_deref());
    let gender = choice(&mut errors, "gender", input.gender.as_deref(), GENDERS, "");
    if input.date_of_birth.is_some_and(|d| d > today()) {
        errors.add("date_of_birth", "The date of birth cannot be in the future.");
    }
    let nationality = optional(&mut errors, "nationality", input.nationality.as_deref(), 100);
    let preferred_language =
        choice(&mut errors, "preferred_language", input.preferred_language.as_deref(), LANGUAGES, "ar");
    let preferred_channel =
        choice(&mut errors, "preferred_channel", input.preferred_channel.as_deref(), CHANNELS, "sms");
    let is_deceased = input.is_deceased.unwrap_or(false);
    let id = existing.as_ref().map(|e| e.id);
    if !mrn.is_empty() {
        let same = patient::Entity::find()
            .filter(patient::Column::HospitalId.eq(hospital_id))
            .filter(patient::Column::Mrn.eq(mrn.clone()))
            .filter(patient::Column::DeletedAt.is_null());
        unique(&state.db, &mut errors, "mrn", "patient", except(same, patient::Column::Id, id)).await?;
    }
    errors.into_result()?;

    let at = now();
    let mut row = patient::ActiveModel {
        hospital_id: Set(hospital_id),
        mrn: Set(mrn),
        national_id: Set(national_id),
        first_name_en: Set(first_name_en),
        last_name_en: Set(last_name_en),
        first_name_ar: Set(first_name_ar),
        last_name_ar: Set(last_name_ar),
        phone: Set(phone),
        email: Set(email),
        gender: Set(gender),
        date_of_birth: Set(input.date_of_birth),
        nationality: Set(nationality),
        preferred_language: Set(preferred_language),
        preferred_channel: Set(preferred_channel),
        is_deceased: Set(is_deceased),
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
    record(&txn, actor, Entry::new(action, "patient", saved.id).hospital(Some(hospital_id))).await?;
    txn.commit().await?;
    Ok(view_for(actor, saved))
}

impl Resource for Patients {
    const KEY: &'static str = "patients";
    const NOUN: &'static str = "patient";
    const VIEW: Permission = Permission::ViewPatients;
    const MANAGE: Permission = Permission::ManagePatients;
    type View = PatientView;
    type Model = patient::Model;
    type Input = PatientInput;

    async fn find(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<patient::Model> {
        find(state, actor, id).await
    }

    fn input_of(m: &patient::Model) -> PatientInput {
        input_of(m)
    }

    async fn save(
        state: &AppState,
        actor: &Actor,
        input: PatientInput,
        existing: Option<patient::Model>,
    ) -> AppResult<PatientView> {
        save(state, actor, input, existing).await
    }

    fn to_view(actor: &Actor, m: patient::Model) -> PatientView {
        view_for(actor, m)
    }

    fn fields() -> &'static [FieldSpec] {
        const F: &[FieldSpec] = &[
            field("hospital_id", FieldKind::Ref(RefOptions::Hospitals), true),
            field("mrn", FieldKind::Text, true),
            field("national_id", FieldKind::Text, false),
            field("first_name_en", FieldKind::Text, false),
            field("last_name_en", FieldKind::Text, false),
            field("first_name_ar", FieldKind::Text, false),
            field("last_name_ar", FieldKind::Text, false),
            field("phone", FieldKind::Phone, false),
            field("email", FieldKind::Email, false),
            field("gender", FieldKind::Choice(GENDERS, "gender"), false),
            field("date_of_birth", FieldKind::Date, false),
            field("nationality", FieldKind::Text, false),
            field("preferred_language", FieldKind::Choice(LANGUAGES, "language"), false),
            field("preferred_channel", FieldKind::Choice(CHANNELS, "channel"), false),
            field("is_deceased", FieldKind::Checkbox, false),
        ];
        F
    }

    fn list_filters() -> &'static [FieldSpec] {
        const F: &[FieldSpec] = &[
            field("gender", FieldKind::Choice(GENDERS, "gender"), false),
            field("preferred_language", FieldKind::Choice(LANGUAGES, "language"), false),
        ];
        F
    }

    async fn list(state: &AppState, actor: &Actor, query: &ListQuery) -> AppResult<Page<PatientView>> {
        actor.require(state, Self::VIEW).await?;
        let mut select = actor.scoped(patient::Entity::find(), patient::Column::HospitalId);
        select = select.filter(patient::Column::DeletedAt.is_null());
        if let Some(gender) = query.filter("gender") {
            select = select.filter(patient::Column::Gender.eq(gender));
        }
        if let Some(language) = query.filter("preferred_language") {
            select = select.filter(patient::Column::PreferredLanguage.eq(language));
        }
        use patient::Column as C;
        let mut searched = vec![C::Mrn, C::FirstNameEn, C::LastNameEn, C::FirstNameAr, C::LastNameAr];
        // Searching masked fields would let a masked role probe for a national ID or phone.
        if actor.role.sees_pii() {
            searched.extend([C::Phone, C::NationalId]);
        }
        select = pagination::search(select, &query.params, &searched);
        let allowed = [
            ("mrn", C::Mrn),
            ("last_name_en", C::LastNameEn),
            ("first_name_en", C::FirstNameEn),
            ("date_of_birth", C::DateOfBirth),
            ("created_at", C::CreatedAt),
        ];
        select = pagination::order(select, &query.params, &allowed, (C::Mrn, Order::Asc))?;
        Ok(pagination::fetch(&state.db, select, &query.params, &query.path).await?.map(|m| view_for(actor, m)))
    }

    async fn delete(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<()> {
        actor.require(state, Self::MANAGE).await?;
        let existing = find(state, actor, id).await?;
        let txn = state.db.begin().await?;
        let hospital_id = existing.hospital_id;
        let mut row: patient::ActiveModel = existing.into();
        row.deleted_at = Set(Some(now()));
        row.updated_at = Set(now());
        row.update(&txn).await?;
        record(&txn, actor, Entry::new("delete", "patient", id).hospital(Some(hospital_id))).await?;
        txn.commit().await?;
        Ok(())
    }

    fn row(v: &PatientView, lang: Lang) -> Vec<(String, String)> {
        let gender = if v.gender.is_empty() { String::new() } else { lang.t(&format!("gender-{}", v.gender)) };
        vec![
            ("field-mrn".into(), v.mrn.clone()),
            ("field-name".into(), v.name(lang)),
            ("field-phone".into(), v.phone.clone()),
            ("field-gender".into(), gender),
        ]
    }
    fn id_of(v: &PatientView) -> Uuid {
        v.id
    }
    fn title_of(v: &PatientView, lang: Lang) -> String {
        format!("{} · {}", v.mrn, v.name(lang))
    }
    fn extra_links(v: &PatientView) -> Vec<(&'static str, String)> {
        vec![
            ("notif-patient-messages", format!("/organizations/patients/{}/messages/", v.id)),
            ("journeys-patient-journeys", format!("/organizations/patients/{}/journeys/", v.id)),
        ]
    }
}
