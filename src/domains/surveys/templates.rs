//! Survey templates and their draft questions: the service and JSON API of the builder (create,
//! edit, reorder, publish, preview). Editing the draft never touches a published version; the
//! template's `has_draft_changes` says whether the draft differs from its newest version.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, Set, SqlErr, TransactionTrait,
};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::model::{survey_kiosk, survey_question, survey_template, survey_template_version};
use super::rules::{self, Choice, Definition, Question, ShowIf};
use super::versions;
use crate::app::AppState;
use crate::auth::{Actor, ApiActor, Permission};
use crate::crud::ListQuery;
use crate::domains::audit::service::{Entry, record};
use crate::domains::journeys::model::{journey_template, stage_template};
use crate::domains::organizations::service::{hospital_for_write, now};
use crate::error::{AppError, AppResult, FieldErrors, invalid, not_found};
use crate::http::openapi::ErrorBody;
use crate::http::{ApiJson, IdPath, ListParams, Page, pagination, parse_id, validate};

const NOUN: &str = "survey template";

// ---------------------------------------------------------------------------------------------
// Inputs and views
// ---------------------------------------------------------------------------------------------

/// `Some(None)` for an explicit `null`, `None` when the field is absent.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A new template. `code`, `name_en` and `name_ar` are required.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    /// PX admins: the hospital (else the selected one); others: their own.
    pub hospital_id: Option<Uuid>,
    /// 1–50 letters, digits, `_` or `-`; unique in the hospital.
    pub code: Option<String>,
    pub name_en: Option<String>,
    pub name_ar: Option<String>,
    pub description_en: Option<String>,
    pub description_ar: Option<String>,
    /// stage (default), complaint_resolution, general, nps.
    pub survey_type: Option<String>,
    /// average (default), weighted, nps.
    pub scoring_method: Option<String>,
    /// Below it a survey is negative; null: the method's default (3 or 7).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<f64>)]
    pub negative_threshold: Option<Option<f64>>,
    /// Days a link stays valid, 1–90 (7).
    pub link_valid_days: Option<i32>,
    /// Not counted by the one-invitation-per-30-days rule (default: resolution surveys).
    pub throttle_exempt: Option<bool>,
    /// Reminders to non-responders, 0–5 (2).
    pub reminder_max: Option<i32>,
    /// Hours between reminders, 1–168 (48).
    pub reminder_interval_hours: Option<i32>,
    pub is_active: Option<bool>,
}

/// A change to a template's settings: any field of [`TemplateInput`] but the hospital.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplatePatch {
    pub code: Option<String>,
    pub name_en: Option<String>,
    pub name_ar: Option<String>,
    pub description_en: Option<String>,
    pub description_ar: Option<String>,
    pub survey_type: Option<String>,
    pub scoring_method: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<f64>)]
    pub negative_threshold: Option<Option<f64>>,
    pub link_valid_days: Option<i32>,
    pub throttle_exempt: Option<bool>,
    pub reminder_max: Option<i32>,
    pub reminder_interval_hours: Option<i32>,
    pub is_active: Option<bool>,
}

impl TemplateInput {
    fn split(self) -> (Option<Uuid>, TemplatePatch) {
        (
            self.hospital_id,
            TemplatePatch {
                code: self.code,
                name_en: self.name_en,
                name_ar: self.name_ar,
                description_en: self.description_en,
                description_ar: self.description_ar,
                survey_type: self.survey_type,
                scoring_method: self.scoring_method,
                negative_threshold: self.negative_threshold,
                link_valid_days: self.link_valid_days,
                throttle_exempt: self.throttle_exempt,
                reminder_max: self.reminder_max,
                reminder_interval_hours: self.reminder_interval_hours,
                is_active: self.is_active,
            },
        )
    }
}

/// One option of a multiple-choice question.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChoiceInput {
    pub value: String,
    pub label_en: String,
    pub label_ar: String,
    /// 1–5, or none (not scored).
    #[serde(default)]
    pub score: Option<f64>,
}

/// Show the question only when an earlier answer matches.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShowIfInput {
    pub question_code: String,
    /// eq, ne, lt, lte, gt, gte.
    pub op: String,
    /// A number, yes/no, or a choice value.
    #[schema(value_type = String)]
    pub value: serde_json::Value,
}

/// A draft question: every field for a new one (`code`, `text_en`, `text_ar`, `question_type`
/// required), any of them for a change.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionInput {
    /// 1–50 lowercase letters, digits or `_`, starting with a letter; unique in the template.
    pub code: Option<String>,
    pub text_en: Option<String>,
    pub text_ar: Option<String>,
    /// rating, nps, yes_no, multiple_choice, likert, text, textarea.
    pub question_type: Option<String>,
    pub is_required: Option<bool>,
    /// Above 0, at most 100 (weighted method).
    pub weight: Option<f64>,
    pub choices: Option<Vec<ChoiceInput>>,
    pub allow_multiple: Option<bool>,
    /// null: always shown.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<ShowIfInput>)]
    pub show_if: Option<Option<ShowIfInput>>,
    pub is_overall: Option<bool>,
    pub counts_for_physician: Option<bool>,
}

/// A new order of the draft questions: every question once, by code or by id.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReorderInput {
    pub codes: Option<Vec<String>>,
    pub ids: Option<Vec<Uuid>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateView {
    pub id: Uuid,
    pub hospital_id: Uuid,
    pub code: String,
    pub name_en: String,
    pub name_ar: String,
    pub description_en: String,
    pub description_ar: String,
    pub survey_type: String,
    pub scoring_method: String,
    /// As set (null: the method's default).
    pub negative_threshold: Option<f64>,
    /// The threshold in force.
    pub effective_threshold: f64,
    pub link_valid_days: i32,
    pub throttle_exempt: bool,
    pub reminder_max: i32,
    pub reminder_interval_hours: i32,
    pub is_active: bool,
    /// The newest published version (0: never published).
    pub current_version: i32,
    /// The draft differs from the newest version (or was never published).
    pub has_draft_changes: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<survey_template::Model> for TemplateView {
    fn from(m: survey_template::Model) -> Self {
        TemplateView {
            id: m.id,
            hospital_id: m.hospital_id,
            effective_threshold: m.negative_threshold.unwrap_or_else(|| rules::default_threshold(&m.scoring_method)),
            code: m.code,
            name_en: m.name_en,
            name_ar: m.name_ar,
            description_en: m.description_en,
            description_ar: m.description_ar,
            survey_type: m.survey_type,
            scoring_method: m.scoring_method,
            negative_threshold: m.negative_threshold,
            link_valid_days: m.link_valid_days,
            throttle_exempt: m.throttle_exempt,
            reminder_max: m.reminder_max,
            reminder_interval_hours: m.reminder_interval_hours,
            is_active: m.is_active,
            current_version: m.current_version,
            has_draft_changes: m.has_draft_changes,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionView {
    pub id: Uuid,
    /// 1-based place in the draft.
    pub position: i32,
    pub code: String,
    pub text_en: String,
    pub text_ar: String,
    pub question_type: String,
    pub is_required: bool,
    pub weight: f64,
    pub choices: Vec<Choice>,
    pub allow_multiple: bool,
    pub show_if: Option<ShowIf>,
    pub is_overall: bool,
    pub counts_for_physician: bool,
}

impl QuestionView {
    pub fn new(position: i32, m: &survey_question::Model) -> Self {
        let q = versions::question_of(m);
        QuestionView {
            id: m.id,
            position,
            code: q.code,
            text_en: q.text_en,
            text_ar: q.text_ar,
            question_type: q.question_type,
            is_required: q.is_required,
            weight: q.weight,
            choices: q.choices,
            allow_multiple: q.allow_multiple,
            show_if: q.show_if,
            is_overall: q.is_overall,
            counts_for_physician: q.counts_for_physician,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionView {
    pub id: Uuid,
    pub version: i32,
    pub published_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub question_count: usize,
}

impl From<&survey_template_version::Model> for VersionView {
    fn from(v: &survey_template_version::Model) -> Self {
        VersionView {
            id: v.id,
            version: v.version,
            published_by: v.published_by,
            created_at: v.created_at,
            question_count: v.definition.get("questions").and_then(|q| q.as_array()).map_or(0, Vec::len),
        }
    }
}

/// A template with its draft questions (in order) and its published versions (newest first).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateDetail {
    #[serde(flatten)]
    pub template: TemplateView,
    pub questions: Vec<QuestionView>,
    pub versions: Vec<VersionView>,
}

/// What the patient would see: the draft (`version` null) or a published version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PreviewView {
    pub template_id: Uuid,
    pub version: Option<i32>,
    pub definition: Definition,
    /// Why the draft cannot be published yet (empty for a version).
    #[schema(value_type = Object)]
    pub errors: BTreeMap<String, Vec<String>>,
}

// ---------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------

/// A live template the actor may see (ViewSurveys), or 404.
pub async fn visible(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<survey_template::Model> {
    actor.require(state, Permission::ViewSurveys).await?;
    find(&state.db, actor, id).await
}

/// A live template the actor may change (ManageSurveyTemplates), or 404.
pub async fn editable(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<survey_template::Model> {
    actor.require(state, Permission::ManageSurveyTemplates).await?;
    find(&state.db, actor, id).await
}

async fn find(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> AppResult<survey_template::Model> {
    survey_template::Entity::find_by_id(id)
        .filter(survey_template::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .filter(|t| actor.sees_hospital(t.hospital_id))
        .ok_or(not_found(NOUN))
}

/// Templates in the actor's scope. Filters: survey_type, is_active (true/false), hospital_id;
/// `search` over code and names; `ordering` by code, name_en, name_ar, created_at, updated_at.
pub async fn list(state: &AppState, actor: &Actor, query: &ListQuery) -> AppResult<Page<TemplateView>> {
    use survey_template::Column as C;
    actor.require(state, Permission::ViewSurveys).await?;
    let mut select = actor.scoped(survey_template::Entity::find(), C::HospitalId).filter(C::DeletedAt.is_null());
    if let Some(t) = query.filter("survey_type") {
        if !rules::SURVEY_TYPES.contains(&t) {
            return Err(invalid("survey_type", format!("\"{t}\" is not a valid choice.")));
        }
        select = select.filter(C::SurveyType.eq(t));
    }
    if let Some(a) = query.filter("is_active") {
        let active = match a {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => return Err(invalid("is_active", "Must be a valid boolean.")),
        };
        select = select.filter(C::IsActive.eq(active));
    }
    if let Some(h) = query.uuid_filter("hospital_id")? {
        select = select.filter(C::HospitalId.eq(h));
    }
    let select = pagination::search(select, &query.params, &[C::Code, C::NameEn, C::NameAr]);
    let select = pagination::order(
        select,
        &query.params,
        &[
            ("code", C::Code),
            ("name_en", C::NameEn),
            ("name_ar", C::NameAr),
            ("created_at", C::CreatedAt),
            ("updated_at", C::UpdatedAt),
        ],
        (C::Code, sea_orm::Order::Asc),
    )?;
    Ok(pagination::fetch(&state.db, select, &query.params, &query.path).await?.map(Into::into))
}

/// The template with its draft questions and versions.
pub async fn detail_of(db: &impl ConnectionTrait, t: survey_template::Model) -> AppResult<TemplateDetail> {
    let questions = versions::draft_questions(db, t.id).await?;
    let versions = versions_of(db, t.id).await?;
    Ok(TemplateDetail {
        questions: questions.iter().enumerate().map(|(i, q)| QuestionView::new(i as i32 + 1, q)).collect(),
        versions: versions.iter().map(VersionView::from).collect(),
        template: t.into(),
    })
}

/// The published versions of a template, newest first.
pub async fn versions_of(
    db: &impl ConnectionTrait,
    template_id: Uuid,
) -> AppResult<Vec<survey_template_version::Model>> {
    Ok(survey_template_version::Entity::find()
        .filter(survey_template_version::Column::SurveyTemplateId.eq(template_id))
        .order_by_desc(survey_template_version::Column::Version)
        .all(db)
        .await?)
}

fn is_template_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 50
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The settings of a template as they will be stored.
#[derive(Debug, Clone, PartialEq)]
struct Settings {
    code: String,
    name_en: String,
    name_ar: String,
    description_en: String,
    description_ar: String,
    survey_type: String,
    scoring_method: String,
    negative_threshold: Option<f64>,
    link_valid_days: i32,
    throttle_exempt: bool,
    reminder_max: i32,
    reminder_interval_hours: i32,
    is_active: bool,
}

impl Settings {
    fn of(m: &survey_template::Model) -> Self {
        Settings {
            code: m.code.clone(),
            name_en: m.name_en.clone(),
            name_ar: m.name_ar.clone(),
            description_en: m.description_en.clone(),
            description_ar: m.description_ar.clone(),
            survey_type: m.survey_type.clone(),
            scoring_method: m.scoring_method.clone(),
            negative_threshold: m.negative_threshold,
            link_valid_days: m.link_valid_days,
            throttle_exempt: m.throttle_exempt,
            reminder_max: m.reminder_max,
            reminder_interval_hours: m.reminder_interval_hours,
            is_active: m.is_active,
        }
    }

    /// `patch` over `base` (`None`: a new template), checked field by field.
    fn merge(base: Option<&Settings>, p: &TemplatePatch, errors: &mut FieldErrors) -> Settings {
        let text = |errors: &mut FieldErrors, field: &str, v: &Option<String>, old: Option<&String>, max| match (
            v.as_deref(),
            old,
        ) {
            (None, Some(old)) => old.clone(),
            (v, _) => validate::required(errors, field, v, max),
        };
        let optional =
            |errors: &mut FieldErrors, field: &str, v: &Option<String>, old: Option<&String>| match (v.as_deref(), old)
            {
                (None, Some(old)) => old.clone(),
                (v, _) => validate::optional(errors, field, v, 2000),
            };
        let code = text(errors, "code", &p.code, base.map(|b| &b.code), 50);
        if !code.is_empty() && !is_template_code(&code) {
            errors.add("code", "Use 1–50 letters, digits, _ or -, starting with a letter or digit.");
        }
        let name_en = text(errors, "name_en", &p.name_en, base.map(|b| &b.name_en), 200);
        let name_ar = text(errors, "name_ar", &p.name_ar, base.map(|b| &b.name_ar), 200);
        let description_en = optional(errors, "description_en", &p.description_en, base.map(|b| &b.description_en));
        let description_ar = optional(errors, "description_ar", &p.description_ar, base.map(|b| &b.description_ar));
        let survey_type = validate::choice(
            errors,
            "survey_type",
            p.survey_type.as_deref(),
            &rules::SURVEY_TYPES,
            base.map_or("stage", |b| b.survey_type.as_str()),
        );
        let scoring_method = validate::choice(
            errors,
            "scoring_method",
            p.scoring_method.as_deref(),
            &rules::SCORING_METHODS,
            base.map_or(if survey_type == "nps" { "nps" } else { "average" }, |b| b.scoring_method.as_str()),
        );
        let negative_threshold = match p.negative_threshold {
            Some(v) => v,
            None => base.and_then(|b| b.negative_threshold),
        };
        if let Some(t) = negative_threshold {
            let (lo, hi) = if scoring_method == "nps" { (0.0, 10.0) } else { (1.0, 5.0) };
            if !t.is_finite() || t < lo || t > hi {
                errors.add("negative_threshold", format!("Give a threshold from {lo} to {hi} for this method."));
            }
        }
        let mut int = |field: &str, v: Option<i32>, old: Option<i32>, default: i32, lo: i32, hi: i32| {
            let n = v.or(old).unwrap_or(default);
            if !(lo..=hi).contains(&n) {
                errors.add(field, format!("Ensure this value is between {lo} and {hi}."));
            }
            n
        };
        let link_valid_days = int("link_valid_days", p.link_valid_days, base.map(|b| b.link_valid_days), 7, 1, 90);
        let reminder_max = int("reminder_max", p.reminder_max, base.map(|b| b.reminder_max), 2, 0, 5);
        let reminder_interval_hours = int(
            "reminder_interval_hours",
            p.reminder_interval_hours,
            base.map(|b| b.reminder_interval_hours),
            48,
            1,
            168,
        );
        Settings {
            code,
            name_en,
            name_ar,
            description_en,
            description_ar,
            throttle_exempt: p
                .throttle_exempt
                .or(base.map(|b| b.throttle_exempt))
                .unwrap_or(survey_type == "complaint_resolution"),
            survey_type,
            scoring_method,
            negative_threshold,
            link_valid_days,
            reminder_max,
            reminder_interval_hours,
            is_active: p.is_active.or(base.map(|b| b.is_active)).unwrap_or(true),
        }
    }
}

fn duplicate_code(err: DbErr) -> AppError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => invalid("code", DUPLICATE_TEMPLATE),
        _ => err.into(),
    }
}

pub const DUPLICATE_TEMPLATE: &str = "A survey template with this code already exists in this hospital.";

async fn check_unique_code(
    db: &impl ConnectionTrait,
    errors: &mut FieldErrors,
    hospital_id: Uuid,
    code: &str,
    except: Option<Uuid>,
) -> AppResult<()> {
    if code.is_empty() || errors.get("code").is_some() {
        return Ok(());
    }
    let mut select = survey_template::Entity::find()
        .filter(survey_template::Column::HospitalId.eq(hospital_id))
        .filter(survey_template::Column::Code.eq(code))
        .filter(survey_template::Column::DeletedAt.is_null());
    if let Some(id) = except {
        select = select.filter(survey_template::Column::Id.ne(id));
    }
    if select.count(db).await? > 0 {
        errors.add("code", DUPLICATE_TEMPLATE);
    }
    Ok(())
}

/// Recomputes `has_draft_changes`: the draft's definition differs from the newest version's (or
/// nothing was published yet). Returns the template as stored.
async fn refresh_draft_flag(txn: &impl ConnectionTrait, template_id: Uuid) -> AppResult<survey_template::Model> {
    let t = survey_template::Entity::find_by_id(template_id).one(txn).await?.ok_or(not_found(NOUN))?;
    let changed = match versions::current(txn, t.id).await? {
        None => true,
        Some(v) => versions::definition(&v)? != versions::draft_definition(txn, &t).await?,
    };
    if changed == t.has_draft_changes {
        return Ok(t);
    }
    let mut row = t.into_active_model();
    row.has_draft_changes = Set(changed);
    Ok(row.update(txn).await?)
}

/// Creates a template (ManageSurveyTemplates) with no questions yet.
pub async fn create(state: &AppState, actor: &Actor, input: TemplateInput) -> AppResult<survey_template::Model> {
    actor.require(state, Permission::ManageSurveyTemplates).await?;
    let (requested, patch) = input.split();
    let mut errors = FieldErrors::new();
    let hospital_id = errors.collect(hospital_for_write(&state.db, actor, requested).await)?;
    let s = Settings::merge(None, &patch, &mut errors);
    if let Some(h) = hospital_id {
        check_unique_code(&state.db, &mut errors, h, &s.code, None).await?;
    }
    errors.into_result()?;
    let hospital_id = hospital_id.ok_or_else(|| invalid("hospital_id", "This field is required."))?;
    let _turn = state.write_turn().await;
    let at = now();
    let txn = state.db.begin().await?;
    let row = survey_template::ActiveModel {
        id: Set(Uuid::now_v7()),
        hospital_id: Set(hospital_id),
        code: Set(s.code),
        name_en: Set(s.name_en),
        name_ar: Set(s.name_ar),
        survey_type: Set(s.survey_type),
        is_active: Set(s.is_active),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
        description_en: Set(s.description_en),
        description_ar: Set(s.description_ar),
        scoring_method: Set(s.scoring_method),
        negative_threshold: Set(s.negative_threshold),
        link_valid_days: Set(s.link_valid_days),
        throttle_exempt: Set(s.throttle_exempt),
        reminder_max: Set(s.reminder_max),
        reminder_interval_hours: Set(s.reminder_interval_hours),
        current_version: Set(0),
        has_draft_changes: Set(true),
    }
    .insert(&txn)
    .await
    .map_err(duplicate_code)?;
    record(
        &txn,
        actor,
        Entry::new("survey_template_created", "survey_template", row.id)
            .hospital(Some(row.hospital_id))
            .details(serde_json::json!({"code": row.code, "name_en": row.name_en, "name_ar": row.name_ar,
                "survey_type": row.survey_type, "scoring_method": row.scoring_method})),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Changes a template's settings. Names, descriptions, type, method and threshold are part of
/// the draft (published with the questions); the others apply at once.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    patch: TemplatePatch,
) -> AppResult<survey_template::Model> {
    let t = editable(state, actor, id).await?;
    let before = Settings::of(&t);
    let mut errors = FieldErrors::new();
    let s = Settings::merge(Some(&before), &patch, &mut errors);
    if s.code != before.code {
        check_unique_code(&state.db, &mut errors, t.hospital_id, &s.code, Some(t.id)).await?;
    }
    errors.into_result()?;
    if s == before {
        return Ok(t);
    }
    let mut changes = serde_json::Map::new();
    macro_rules! diff {
        ($($f:ident),*) => {$(
            if s.$f != before.$f {
                changes.insert(stringify!($f).into(), serde_json::json!([before.$f, s.$f]));
            }
        )*};
    }
    diff!(
        code,
        name_en,
        name_ar,
        description_en,
        description_ar,
        survey_type,
        scoring_method,
        negative_threshold,
        link_valid_days,
        throttle_exempt,
        reminder_max,
        reminder_interval_hours,
        is_active
    );
    let _turn = state.write_turn().await;
    let txn = state.db.begin().await?;
    let mut row = t.clone().into_active_model();
    row.code = Set(s.code);
    row.name_en = Set(s.name_en);
    row.name_ar = Set(s.name_ar);
    row.description_en = Set(s.description_en);
    row.description_ar = Set(s.description_ar);
    row.survey_type = Set(s.survey_type);
    row.scoring_method = Set(s.scoring_method);
    row.negative_threshold = Set(s.negative_threshold);
    row.link_valid_days = Set(s.link_valid_days);
    row.throttle_exempt = Set(s.throttle_exempt);
    row.reminder_max = Set(s.reminder_max);
    row.reminder_interval_hours = Set(s.reminder_interval_hours);
    row.is_active = Set(s.is_active);
    row.updated_at = Set(now());
    row.update(&txn).await.map_err(duplicate_code)?;
    let saved = refresh_draft_flag(&txn, t.id).await?;
    record(
        &txn,
        actor,
        Entry::new("survey_template_updated", "survey_template", t.id)
            .hospital(Some(t.hospital_id))
            .details(serde_json::json!({"code": saved.code, "changes": changes})),
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Soft-deletes a template. Refused (409) while a journey stage or an active kiosk sends it;
/// surveys already sent keep their version.
pub async fn delete(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<()> {
    let t = editable(state, actor, id).await?;
    let stages =
        stage_template::Entity::find().filter(stage_template::Column::SurveyTemplateId.eq(t.id)).all(&state.db).await?;
    let mut users = Vec::new();
    for s in stages {
        let journey = journey_template::Entity::find_by_id(s.journey_template_id)
            .filter(journey_template::Column::DeletedAt.is_null())
            .one(&state.db)
            .await?;
        if let Some(j) = journey {
            users.push(format!("journey \"{}\" stage \"{}\" ({})", j.name_en, s.name_en, s.code));
        }
    }
    let kiosks = survey_kiosk::Entity::find()
        .filter(survey_kiosk::Column::SurveyTemplateId.eq(t.id))
        .filter(survey_kiosk::Column::IsActive.eq(true))
        .all(&state.db)
        .await?;
    users.extend(kiosks.iter().map(|k| format!("kiosk \"{}\" ({})", k.name, k.code)));
    if !users.is_empty() {
        return Err(AppError::Conflict(
            "template_in_use",
            format!("{} is used by {}; choose another survey there first.", t.code, users.join(", ")),
        ));
    }
    let _turn = state.write_turn().await;
    let txn = state.db.begin().await?;
    let at = now();
    let mut row = t.clone().into_active_model();
    row.deleted_at = Set(Some(at));
    row.updated_at = Set(at);
    row.is_active = Set(false);
    row.update(&txn).await?;
    record(
        &txn,
        actor,
        Entry::new("survey_template_deleted", "survey_template", t.id)
            .hospital(Some(t.hospital_id))
            .details(serde_json::json!({"code": t.code})),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A `show_if` value as text: numbers as written, booleans as yes/no.
fn condition_value(errors: &mut FieldErrors, v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.trim().to_owned(),
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::Bool(b) => if *b { "yes" } else { "no" }.to_owned(),
        _ => {
            errors.add("show_if", "The condition's value is a number, yes/no or a choice value.");
            String::new()
        }
    }
}

/// `input` over `base` (a new question when `None`) as a rule question; missing required fields
/// and malformed values are added to `errors`.
fn merge_question(base: Option<&Question>, input: &QuestionInput, errors: &mut FieldErrors) -> Question {
    let text = |errors: &mut FieldErrors, field: &str, v: &Option<String>, old: Option<&String>| match (v, old) {
        (None, Some(old)) => old.clone(),
        (None, None) => {
            errors.add(field, "This field is required.");
            String::new()
        }
        (Some(v), _) => v.trim().to_owned(),
    };
    let code = text(errors, "code", &input.code, base.map(|b| &b.code));
    let text_en = text(errors, "text_en", &input.text_en, base.map(|b| &b.text_en));
    let text_ar = text(errors, "text_ar", &input.text_ar, base.map(|b| &b.text_ar));
    let question_type = text(errors, "question_type", &input.question_type, base.map(|b| &b.question_type));
    let choices = match &input.choices {
        Some(list) => list
            .iter()
            .map(|c| Choice {
                value: c.value.trim().to_owned(),
                label_en: c.label_en.trim().to_owned(),
                label_ar: c.label_ar.trim().to_owned(),
                score: c.score,
            })
            .collect(),
        // A type changed away from multiple choice drops the old choices.
        None if question_type != "multiple_choice" => vec![],
        None => base.map(|b| b.choices.clone()).unwrap_or_default(),
    };
    let show_if = match &input.show_if {
        Some(Some(c)) => {
            let value = condition_value(errors, &c.value);
            Some(ShowIf { question_code: c.question_code.trim().to_owned(), op: c.op.trim().to_owned(), value })
        }
        Some(None) => None,
        None => base.and_then(|b| b.show_if.clone()),
    };
    Question {
        code,
        text_en,
        text_ar,
        is_required: input.is_required.or(base.map(|b| b.is_required)).unwrap_or(true),
        weight: input.weight.or(base.map(|b| b.weight)).unwrap_or(1.0),
        choices,
        allow_multiple: input.allow_multiple.or(base.map(|b| b.allow_multiple)).unwrap_or(false)
            && question_type == "multiple_choice",
        show_if,
        is_overall: input.is_overall.or(base.map(|b| b.is_overall)).unwrap_or(false),
        counts_for_physician: input.counts_for_physician.or(base.map(|b| b.counts_for_physician)).unwrap_or(false),
        question_type,
    }
}

/// Checks `q` at index `at` of `draft` (which already holds it there): against the questions
/// before it, its code against those after it, and the questions after it whose conditions
/// depend on it.
fn check_in_draft(draft: &[Question], at: usize, old_code: Option<&str>, errors: &mut FieldErrors) {
    let q = &draft[at];
    let mut own = FieldErrors::new();
    rules::validate_question(q, &draft[..at], &mut own);
    // A field reported missing already says so once.
    for (field, messages) in own.0 {
        if errors.0.contains_key(&field) {
            continue;
        }
        for m in messages {
            errors.add(&field, m);
        }
    }
    if draft[at + 1..].iter().any(|o| o.code == q.code) && errors.get("code").is_none() {
        errors.add("code", "Another question of this survey has this code.");
    }
    if let Some(old) = old_code
        && old != q.code
    {
        let dependents: Vec<&str> = draft
            .iter()
            .filter(|o| o.show_if.as_ref().is_some_and(|c| c.question_code == old))
            .map(|o| o.code.as_str())
            .collect();
        if !dependents.is_empty() {
            errors.add(
                "code",
                format!("The condition of {} depends on this question's code; change it first.", dependents.join(", ")),
            );
        }
    }
    for (i, later) in draft.iter().enumerate().skip(at + 1) {
        if later.show_if.as_ref().is_some_and(|c| c.question_code == q.code) {
            let mut theirs = FieldErrors::new();
            rules::validate_question(later, &draft[..i], &mut theirs);
            if let Some(m) = theirs.get("show_if") {
                errors.add("non_field_errors", format!("The condition of {} would break: {m}", later.code));
            }
        }
    }
}

fn choices_json(q: &Question) -> serde_json::Value {
    serde_json::to_value(&q.choices).unwrap_or_else(|_| serde_json::json!([]))
}

fn show_if_json(q: &Question) -> Option<serde_json::Value> {
    q.show_if.as_ref().and_then(|c| serde_json::to_value(c).ok())
}

/// Adds a question at the end of the draft.
pub async fn add_question(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    input: QuestionInput,
) -> AppResult<survey_question::Model> {
    let t = editable(state, actor, id).await?;
    let rows = versions::draft_questions(&state.db, t.id).await?;
    let mut draft: Vec<Question> = rows.iter().map(versions::question_of).collect();
    let mut errors = FieldErrors::new();
    if draft.len() >= rules::MAX_QUESTIONS {
        errors.add("non_field_errors", format!("A survey has at most {} questions.", rules::MAX_QUESTIONS));
    }
    let q = merge_question(None, &input, &mut errors);
    draft.push(q.clone());
    check_in_draft(&draft, draft.len() - 1, None, &mut errors);
    errors.into_result()?;
    let position = rows.iter().map(|r| r.position).max().unwrap_or(0) + 1;
    let _turn = state.write_turn().await;
    let at = now();
    let txn = state.db.begin().await?;
    let row = survey_question::ActiveModel {
        id: Set(Uuid::now_v7()),
        survey_template_id: Set(t.id),
        position: Set(position),
        code: Set(q.code.clone()),
        text_en: Set(q.text_en.clone()),
        text_ar: Set(q.text_ar.clone()),
        question_type: Set(q.question_type.clone()),
        is_required: Set(q.is_required),
        weight: Set(q.weight),
        choices: Set(choices_json(&q)),
        allow_multiple: Set(q.allow_multiple),
        show_if: Set(show_if_json(&q)),
        is_overall: Set(q.is_overall),
        counts_for_physician: Set(q.counts_for_physician),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => invalid("code", "Another question of this survey has this code."),
        _ => e.into(),
    })?;
    touch(&txn, t.id).await?;
    refresh_draft_flag(&txn, t.id).await?;
    record(
        &txn,
        actor,
        Entry::new("survey_question_added", "survey_template", t.id)
            .hospital(Some(t.hospital_id))
            .details(serde_json::json!({"question": q.code, "question_type": q.question_type})),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

async fn touch(txn: &impl ConnectionTrait, template_id: Uuid) -> AppResult<()> {
    survey_template::Entity::update_many()
        .col_expr(survey_template::Column::UpdatedAt, sea_orm::sea_query::Expr::value(now()))
        .filter(survey_template::Column::Id.eq(template_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// The draft question `qid` of template `t`, or 404.
fn question_in(rows: &[survey_question::Model], qid: Uuid) -> AppResult<(usize, &survey_question::Model)> {
    rows.iter().enumerate().find(|(_, r)| r.id == qid).ok_or(not_found("survey question"))
}

/// Changes a draft question.
pub async fn update_question(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    qid: Uuid,
    input: QuestionInput,
) -> AppResult<survey_question::Model> {
    let t = editable(state, actor, id).await?;
    let rows = versions::draft_questions(&state.db, t.id).await?;
    let (at, row) = question_in(&rows, qid)?;
    let mut draft: Vec<Question> = rows.iter().map(versions::question_of).collect();
    let before = draft[at].clone();
    let mut errors = FieldErrors::new();
    let q = merge_question(Some(&before), &input, &mut errors);
    draft[at] = q.clone();
    check_in_draft(&draft, at, Some(&before.code), &mut errors);
    errors.into_result()?;
    if q == before {
        return Ok(row.clone());
    }
    let mut changes = serde_json::Map::new();
    let (old_json, new_json) =
        (serde_json::to_value(&before).unwrap_or_default(), serde_json::to_value(&q).unwrap_or_default());
    if let (Some(o), Some(n)) = (old_json.as_object(), new_json.as_object()) {
        for (k, v) in n {
            if o.get(k) != Some(v) {
                changes.insert(k.clone(), serde_json::json!([o.get(k), v]));
            }
        }
    }
    let _turn = state.write_turn().await;
    let txn = state.db.begin().await?;
    let mut active = row.clone().into_active_model();
    active.code = Set(q.code.clone());
    active.text_en = Set(q.text_en.clone());
    active.text_ar = Set(q.text_ar.clone());
    active.question_type = Set(q.question_type.clone());
    active.is_required = Set(q.is_required);
    active.weight = Set(q.weight);
    active.choices = Set(choices_json(&q));
    active.allow_multiple = Set(q.allow_multiple);
    active.show_if = Set(show_if_json(&q));
    active.is_overall = Set(q.is_overall);
    active.counts_for_physician = Set(q.counts_for_physician);
    active.updated_at = Set(now());
    let saved = active.update(&txn).await?;
    touch(&txn, t.id).await?;
    refresh_draft_flag(&txn, t.id).await?;
    record(
        &txn,
        actor,
        Entry::new("survey_question_updated", "survey_template", t.id)
            .hospital(Some(t.hospital_id))
            .details(serde_json::json!({"question": before.code, "changes": changes})),
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Removes a draft question; refused (409) while another question's condition depends on it.
pub async fn delete_question(state: &AppState, actor: &Actor, id: Uuid, qid: Uuid) -> AppResult<()> {
    let t = editable(state, actor, id).await?;
    let rows = versions::draft_questions(&state.db, t.id).await?;
    let (_, row) = question_in(&rows, qid)?;
    let dependents: Vec<String> = rows
        .iter()
        .map(versions::question_of)
        .filter(|o| o.show_if.as_ref().is_some_and(|c| c.question_code == row.code))
        .map(|o| o.code)
        .collect();
    if !dependents.is_empty() {
        return Err(AppError::Conflict(
            "question_in_use",
            format!(
                "The condition of {} depends on {}; change or remove that condition first.",
                dependents.join(", "),
                row.code
            ),
        ));
    }
    let _turn = state.write_turn().await;
    let txn = state.db.begin().await?;
    survey_question::Entity::delete_by_id(row.id).exec(&txn).await?;
    touch(&txn, t.id).await?;
    refresh_draft_flag(&txn, t.id).await?;
    record(
        &txn,
        actor,
        Entry::new("survey_question_deleted", "survey_template", t.id)
            .hospital(Some(t.hospital_id))
            .details(serde_json::json!({"question": row.code})),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Puts the draft questions in a new order (every question once, by code or id). A question
/// cannot move before the one its condition depends on (400 naming it).
pub async fn reorder(state: &AppState, actor: &Actor, id: Uuid, input: ReorderInput) -> AppResult<()> {
    let t = editable(state, actor, id).await?;
    let rows = versions::draft_questions(&state.db, t.id).await?;
    let (field, order): (&str, Vec<usize>) = match (&input.codes, &input.ids) {
        (Some(_), Some(_)) => return Err(invalid("non_field_errors", "Give codes or ids, not both.")),
        (None, None) => return Err(invalid("codes", "This field is required.")),
        (Some(codes), None) => (
            "codes",
            codes
                .iter()
                .map(|c| rows.iter().position(|r| r.code == c.trim()).ok_or_else(|| c.clone()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|c| invalid("codes", format!("\"{c}\" is not a question of this survey.")))?,
        ),
        (None, Some(ids)) => (
            "ids",
            ids.iter()
                .map(|id| rows.iter().position(|r| r.id == *id).ok_or(*id))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|id| invalid("ids", format!("\"{id}\" is not a question of this survey.")))?,
        ),
    };
    let mut seen = order.clone();
    seen.sort_unstable();
    seen.dedup();
    if seen.len() != order.len() || order.len() != rows.len() {
        return Err(invalid(field, "List every question of this survey exactly once."));
    }
    reorder_rows(state, actor, &t, &rows, &order, field).await
}

/// Moves a question one place up (`-1`) or down (`1`).
pub async fn move_question(state: &AppState, actor: &Actor, id: Uuid, qid: Uuid, by: i32) -> AppResult<()> {
    let t = editable(state, actor, id).await?;
    let rows = versions::draft_questions(&state.db, t.id).await?;
    let (at, _) = question_in(&rows, qid)?;
    let to = at as i64 + i64::from(by);
    if to < 0 || to >= rows.len() as i64 {
        return Ok(());
    }
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.swap(at, to as usize);
    reorder_rows(state, actor, &t, &rows, &order, "codes").await
}

async fn reorder_rows(
    state: &AppState,
    actor: &Actor,
    t: &survey_template::Model,
    rows: &[survey_question::Model],
    order: &[usize],
    field: &str,
) -> AppResult<()> {
    let new: Vec<Question> = order.iter().map(|i| versions::question_of(&rows[*i])).collect();
    let mut errors = FieldErrors::new();
    for (i, q) in new.iter().enumerate() {
        if let Some(c) = &q.show_if
            && !new[..i].iter().any(|e| e.code == c.question_code)
        {
            errors.add(field, format!("{} depends on {}, which must come before it.", q.code, c.question_code));
        }
    }
    errors.into_result()?;
    if order.iter().enumerate().all(|(i, j)| i == *j) {
        return Ok(());
    }
    let _turn = state.write_turn().await;
    let txn = state.db.begin().await?;
    let at = now();
    for (position, i) in order.iter().enumerate() {
        let mut row = rows[*i].clone().into_active_model();
        row.position = Set(position as i32 + 1);
        row.updated_at = Set(at);
        row.update(&txn).await?;
    }
    touch(&txn, t.id).await?;
    refresh_draft_flag(&txn, t.id).await?;
    record(
        &txn,
        actor,
        Entry::new("survey_questions_reordered", "survey_template", t.id)
            .hospital(Some(t.hospital_id))
            .details(serde_json::json!({"order": new.iter().map(|q| q.code.as_str()).collect::<Vec<_>>()})),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Publishes the draft as the next version. 400 with the definition's errors when it is not
/// valid (keys `questions[i].field` or the template's fields); 409 when nothing changed.
pub async fn publish(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<survey_template_version::Model> {
    let t = editable(state, actor, id).await?;
    if !t.has_draft_changes && t.current_version > 0 {
        return Err(AppError::Conflict(
            "no_changes",
            format!("The draft is the same as version {}; change it before publishing.", t.current_version),
        ));
    }
    let _turn = state.write_turn().await;
    let txn = state.db.begin().await?;
    let v = versions::publish(&txn, &t, actor.user_id).await?;
    record(
        &txn,
        actor,
        Entry::new("survey_template_published", "survey_template", t.id)
            .hospital(Some(t.hospital_id))
            .details(serde_json::json!({"code": t.code, "version": v.version, "version_id": v.id})),
    )
    .await?;
    txn.commit().await?;
    Ok(v)
}

/// What the patient will see: the draft (`version` none) or published version `version`.
pub async fn preview(state: &AppState, t: &survey_template::Model, version: Option<i32>) -> AppResult<PreviewView> {
    match version {
        None => {
            let definition = versions::draft_definition(&state.db, t).await?;
            let errors = rules::validate_definition(&definition).0;
            Ok(PreviewView { template_id: t.id, version: None, definition, errors })
        }
        Some(n) => {
            let v = survey_template_version::Entity::find()
                .filter(survey_template_version::Column::SurveyTemplateId.eq(t.id))
                .filter(survey_template_version::Column::Version.eq(n))
                .one(&state.db)
                .await?
                .ok_or(not_found("survey template version"))?;
            Ok(PreviewView {
                template_id: t.id,
                version: Some(n),
                definition: versions::definition(&v)?,
                errors: BTreeMap::new(),
            })
        }
    }
}

/// `?version=`: a positive whole number, or none.
pub fn parse_version(raw: Option<&str>) -> AppResult<Option<i32>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse::<i32>()
            .ok()
            .filter(|n| *n >= 1)
            .map(Some)
            .ok_or_else(|| invalid("version", "A positive integer is required.")),
    }
}

// ---------------------------------------------------------------------------------------------
// API
// ---------------------------------------------------------------------------------------------

fn ids(raw: &(String, String)) -> AppResult<(Uuid, Uuid)> {
    Ok((parse_id(&raw.0, NOUN)?, parse_id(&raw.1, "survey question")?))
}

/// Survey templates in the actor's scope, by code. Filters: survey_type, is_active,
/// hospital_id; search over code and names.
#[utoipa::path(get, path = "/api/surveys/templates/", tag = "Surveys",
    params(ListParams, ("survey_type" = Option<String>, Query), ("is_active" = Option<bool>, Query),
        ("hospital_id" = Option<Uuid>, Query)),
    responses((status = 200, body = Page<TemplateView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn api_list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    uri: OriginalUri,
) -> AppResult<Json<Page<TemplateView>>> {
    let query = ListQuery::from_query(uri.path(), uri.query());
    Ok(Json(list(&state, &actor, &query).await?))
}

/// Creates a template (no questions yet; add them, then publish).
#[utoipa::path(post, path = "/api/surveys/templates/", tag = "Surveys", request_body = TemplateInput,
    responses((status = 201, body = TemplateDetail), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn api_create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<TemplateInput>,
) -> AppResult<Response> {
    let saved = create(&state, &actor, input).await?;
    Ok((StatusCode::CREATED, Json(detail_of(&state.db, saved).await?)).into_response())
}

/// One template with its draft questions and published versions.
#[utoipa::path(get, path = "/api/surveys/templates/{id}/", tag = "Surveys", params(("id" = Uuid, Path)),
    responses((status = 200, body = TemplateDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn api_get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<Json<TemplateDetail>> {
    let t = visible(&state, &actor, id).await?;
    Ok(Json(detail_of(&state.db, t).await?))
}

/// Changes settings; names, descriptions, type, method and threshold are draft changes.
#[utoipa::path(patch, path = "/api/surveys/templates/{id}/", tag = "Surveys", params(("id" = Uuid, Path)),
    request_body = TemplatePatch,
    responses((status = 200, body = TemplateDetail), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn api_update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
    ApiJson(patch): ApiJson<TemplatePatch>,
) -> AppResult<Json<TemplateDetail>> {
    let saved = update(&state, &actor, id, patch).await?;
    Ok(Json(detail_of(&state.db, saved).await?))
}

/// Soft-deletes a template; 409 naming the journey stages or kiosks that send it.
#[utoipa::path(delete, path = "/api/surveys/templates/{id}/", tag = "Surveys", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn api_delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<StatusCode> {
    delete(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds a question at the end of the draft.
#[utoipa::path(post, path = "/api/surveys/templates/{id}/questions/", tag = "Surveys", params(("id" = Uuid, Path)),
    request_body = QuestionInput,
    responses((status = 201, body = QuestionView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn api_add_question(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<QuestionInput>,
) -> AppResult<Response> {
    let saved = add_question(&state, &actor, id, input).await?;
    let rows = versions::draft_questions(&state.db, id).await?;
    let position = rows.iter().position(|r| r.id == saved.id).unwrap_or(0) as i32 + 1;
    Ok((StatusCode::CREATED, Json(QuestionView::new(position, &saved))).into_response())
}

/// Changes a draft question (any field); a change that would break a later question's condition
/// is refused naming it.
#[utoipa::path(patch, path = "/api/surveys/templates/{id}/questions/{qid}/", tag = "Surveys",
    params(("id" = Uuid, Path), ("qid" = Uuid, Path)), request_body = QuestionInput,
    responses((status = 200, body = QuestionView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn api_update_question(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(raw): Path<(String, String)>,
    ApiJson(input): ApiJson<QuestionInput>,
) -> AppResult<Json<QuestionView>> {
    let (id, qid) = ids(&raw)?;
    let saved = update_question(&state, &actor, id, qid, input).await?;
    let rows = versions::draft_questions(&state.db, id).await?;
    let position = rows.iter().position(|r| r.id == saved.id).unwrap_or(0) as i32 + 1;
    Ok(Json(QuestionView::new(position, &saved)))
}

/// Removes a draft question; 409 naming the questions whose condition depends on it.
#[utoipa::path(delete, path = "/api/surveys/templates/{id}/questions/{qid}/", tag = "Surveys",
    params(("id" = Uuid, Path), ("qid" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn api_delete_question(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(raw): Path<(String, String)>,
) -> AppResult<StatusCode> {
    let (id, qid) = ids(&raw)?;
    delete_question(&state, &actor, id, qid).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Puts the draft questions in a new order: `{"codes": [...]}` or `{"ids": [...]}`.
#[utoipa::path(post, path = "/api/surveys/templates/{id}/reorder/", tag = "Surveys", params(("id" = Uuid, Path)),
    request_body = ReorderInput,
    responses((status = 200, body = TemplateDetail), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn api_reorder(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<ReorderInput>,
) -> AppResult<Json<TemplateDetail>> {
    reorder(&state, &actor, id, input).await?;
    let t = visible(&state, &actor, id).await?;
    Ok(Json(detail_of(&state.db, t).await?))
}

/// Publishes the draft as version N+1 (immutable; surveys keep the version they were sent with).
#[utoipa::path(post, path = "/api/surveys/templates/{id}/publish/", tag = "Surveys", params(("id" = Uuid, Path)),
    responses((status = 201, body = VersionView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn api_publish(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    let v = publish(&state, &actor, id).await?;
    Ok((StatusCode::CREATED, Json(VersionView::from(&v))).into_response())
}

/// The definition the patient sees: the draft (with its validation errors) or `?version=N`.
#[utoipa::path(get, path = "/api/surveys/templates/{id}/preview/", tag = "Surveys",
    params(("id" = Uuid, Path), ("version" = Option<i32>, Query)),
    responses((status = 200, body = PreviewView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn api_preview(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
    uri: OriginalUri,
) -> AppResult<Json<PreviewView>> {
    let query = ListQuery::from_query(uri.path(), uri.query());
    let version = parse_version(query.filter("version"))?;
    let t = visible(&state, &actor, id).await?;
    Ok(Json(preview(&state, &t, version).await?))
}

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_list, api_create))
        .routes(routes!(api_get, api_update, api_delete))
        .routes(routes!(api_add_question))
        .routes(routes!(api_update_question, api_delete_question))
        .routes(routes!(api_reorder))
        .routes(routes!(api_publish))
        .routes(routes!(api_preview))
}
