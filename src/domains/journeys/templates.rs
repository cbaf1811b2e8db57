//! Journey templates: per hospital and journey type, bilingual, with one default per
//! hospital and type. Their ordered stages are in [`super::stages`].

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, Order, QueryFilter, Set, TransactionTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::journey_template;
use crate::app::AppState;
use crate::auth::{Actor, Permission};
use crate::crud::{FieldKind, FieldSpec, ListQuery, RefOptions, Resource, field};
use crate::domains::audit::service::{Entry, record};
use crate::domains::organizations::service::{hospital_for_write, now};
use crate::error::{AppResult, FieldErrors, not_found};
use crate::http::validate::{choice, optional, required};
use crate::http::{Page, pagination};
use crate::i18n::Lang;

pub const JOURNEY_TYPES: &[&str] = &["ems", "inpatient", "opd", "day_case"];

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JourneyTemplateInput {
    /// Required for PX admins; others always write to their own hospital.
    pub hospital_id: Option<Uuid>,
    pub name_en: Option<String>,
    pub name_ar: Option<String>,
    /// `ems`, `inpatient`, `opd` or `day_case`.
    pub journey_type: Option<String>,
    /// Default true.
    pub is_active: Option<bool>,
    /// One default per hospital and type: setting it clears the others.
    pub is_default: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JourneyTemplateView {
    pub id: Uuid,
    pub hospital_id: Uuid,
    pub name_en: String,
    pub name_ar: String,
    pub journey_type: String,
    pub is_active: bool,
    pub is_default: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<journey_template::Model> for JourneyTemplateView {
    fn from(m: journey_template::Model) -> Self {
        JourneyTemplateView {
            id: m.id,
            hospital_id: m.hospital_id,
            name_en: m.name_en,
            name_ar: m.name_ar,
            journey_type: m.journey_type,
            is_active: m.is_active,
            is_default: m.is_default,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

pub struct JourneyTemplates;

/// A live template in the actor's scope, or 404.
pub async fn find(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<journey_template::Model> {
    let select = journey_template::Entity::find_by_id(id).filter(journey_template::Column::DeletedAt.is_null());
    actor
        .scoped(select, journey_template::Column::HospitalId)
        .one(&state.db)
        .await?
        .ok_or(not_found("journey template"))
}

async fn save(
    state: &AppState,
    actor: &Actor,
    input: JourneyTemplateInput,
    existing: Option<journey_template::Model>,
) -> AppResult<JourneyTemplateView> {
    let hospital_id = match &existing {
        Some(e) => {
            if input.hospital_id.is_some_and(|h| h != e.hospital_id) {
                return Err(crate::error::invalid(
                    "hospital_id",
                    "A journey template cannot move to another hospital.",
                ));
            }
            e.hospital_id
        }
        None => hospital_for_write(&state.db, actor, input.hospital_id).await?,
    };
    let mut errors = FieldErrors::new();
    let name_en = required(&mut errors, "name_en", input.name_en.as_deref(), 200);
    let name_ar = optional(&mut errors, "name_ar", input.name_ar.as_deref(), 200);
    let journey_type = choice(&mut errors, "journey_type", input.journey_type.as_deref(), JOURNEY_TYPES, "");
    if journey_type.is_empty() && !errors.0.contains_key("journey_type") {
        errors.add("journey_type", "This field is required.");
    }
    errors.into_result()?;
    let is_active = input.is_active.unwrap_or(true);
    let is_default = input.is_default.unwrap_or(false);

    let at = now();
    let mut row = journey_template::ActiveModel {
        hospital_id: Set(hospital_id),
        name_en: Set(name_en),
        name_ar: Set(name_ar),
        journey_type: Set(journey_type.clone()),
        is_active: Set(is_active),
        is_default: Set(is_default),
        updated_at: Set(at),
        ..Default::default()
    };
    let txn = state.db.begin().await?;
    let id = existing.as_ref().map(|e| e.id).unwrap_or_else(Uuid::now_v7);
    if is_default {
        journey_template::Entity::update_many()
            .col_expr(journey_template::Column::IsDefault, sea_orm::sea_query::Expr::value(false))
            .col_expr(journey_template::Column::UpdatedAt, sea_orm::sea_query::Expr::value(at))
            .filter(journey_template::Column::HospitalId.eq(hospital_id))
            .filter(journey_template::Column::JourneyType.eq(journey_type))
            .filter(journey_template::Column::IsDefault.eq(true))
            .filter(journey_template::Column::Id.ne(id))
            .exec(&txn)
            .await?;
    }
    let (saved, action) = match existing {
        Some(e) => {
            row.id = sea_orm::Unchanged(e.id);
            (row.update(&txn).await?, "update")
        }
        None => {
            row.id = Set(id);
            row.created_at = Set(at);
            row.deleted_at = Set(None);
            (row.insert(&txn).await?, "create")
        }
    };
    record(&txn, actor, Entry::new(action, "journey_template", saved.id).hospital(Some(hospital_id))).await?;
    txn.commit().await?;
    Ok(saved.into())
}

impl Resource for JourneyTemplates {
    const KEY: &'static str = "templates";
    const NOUN: &'static str = "journey template";
    const VIEW: Permission = Permission::ViewDirectory;
    const MANAGE: Permission = Permission::ManageHospitalData;
    type View = JourneyTemplateView;
    type Model = journey_template::Model;
    type Input = JourneyTemplateInput;

    async fn find(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<journey_template::Model> {
        find(state, actor, id).await
    }

    fn input_of(m: &journey_template::Model) -> JourneyTemplateInput {
        JourneyTemplateInput {
            hospital_id: Some(m.hospital_id),
            name_en: Some(m.name_en.clone()),
            name_ar: Some(m.name_ar.clone()),
            journey_type: Some(m.journey_type.clone()),
            is_active: Some(m.is_active),
            is_default: Some(m.is_default),
        }
    }

    async fn save(
        state: &AppState,
        actor: &Actor,
        input: JourneyTemplateInput,
        existing: Option<journey_template::Model>,
    ) -> AppResult<JourneyTemplateView> {
        save(state, actor, input, existing).await
    }

    fn to_view(_actor: &Actor, m: journey_template::Model) -> JourneyTemplateView {
        m.into()
    }

    fn fields() -> &'static [FieldSpec] {
        const F: &[FieldSpec] = &[
            field("hospital_id", FieldKind::Ref(RefOptions::Hospitals), true),
            field("name_en", FieldKind::Text, true),
            field("name_ar", FieldKind::Text, false),
            field("journey_type", FieldKind::Choice(JOURNEY_TYPES, "journey-type"), true),
            field("is_active", FieldKind::Checkbox, false),
            field("is_default", FieldKind::Checkbox, false),
        ];
        F
    }

    fn list_filters() -> &'static [FieldSpec] {
        const F: &[FieldSpec] = &[field("journey_type", FieldKind::Choice(JOURNEY_TYPES, "journey-type"), false)];
        F
    }

    async fn list(state: &AppState, actor: &Actor, query: &ListQuery) -> AppResult<Page<JourneyTemplateView>> {
        actor.require(state, Self::VIEW).await?;
        use journey_template::Column as C;
        let mut select = actor.scoped(journey_template::Entity::find(), C::HospitalId);
        select = select.filter(C::DeletedAt.is_null());
        if let Some(t) = query.filter("journey_type") {
            select = select.filter(C::JourneyType.eq(t));
        }
        if let Some(h) = query.uuid_filter("hospital_id")? {
            select = select.filter(C::HospitalId.eq(h));
        }
        select = pagination::search(select, &query.params, &[C::NameEn, C::NameAr]);
        let allowed = [
            ("name_en", C::NameEn),
            ("name_ar", C::NameAr),
            ("journey_type", C::JourneyType),
            ("created_at", C::CreatedAt),
        ];
        select = pagination::order(select, &query.params, &allowed, (C::NameEn, Order::Asc))?;
        Ok(pagination::fetch(&state.db, select, &query.params, &query.path).await?.map(Into::into))
    }

    async fn delete(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<()> {
        actor.require(state, Self::MANAGE).await?;
        let existing = find(state, actor, id).await?;
        let txn = state.db.begin().await?;
        let hospital_id = existing.hospital_id;
        let mut row: journey_template::ActiveModel = existing.into();
        row.deleted_at = Set(Some(now()));
        row.is_default = Set(false);
        row.updated_at = Set(now());
        row.update(&txn).await?;
        record(&txn, actor, Entry::new("delete", "journey_template", id).hospital(Some(hospital_id))).await?;
        txn.commit().await?;
        Ok(())
    }

    fn row(v: &JourneyTemplateView, lang: Lang) -> Vec<(String, String)> {
        let yes_no = |b: bool| lang.t(if b { "journeys-yes" } else { "journeys-no" });
        vec![
            ("field-name".into(), lang.pick(&v.name_en, &v.name_ar).to_owned()),
            ("field-journey_type".into(), lang.t(&format!("journey-type-{}", v.journey_type))),
            ("field-is_active".into(), yes_no(v.is_active)),
            ("field-is_default".into(), yes_no(v.is_default)),
        ]
    }
    fn id_of(v: &JourneyTemplateView) -> Uuid {
        v.id
    }
    fn title_of(v: &JourneyTemplateView, lang: Lang) -> String {
        lang.pick(&v.name_en, &v.name_ar).to_owned()
    }
    fn extra_links(v: &JourneyTemplateView) -> Vec<(&'static str, String)> {
        vec![("journeys-stages", format!("/journeys/templates/{}/stages/", v.id))]
    }
}
