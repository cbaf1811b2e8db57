//! Survey instances for staff: list with filters, detail with answers, manual and bulk sending,
//! cancel, contact log, follow-up (service and JSON API). Every write and its audit entry commit
//! in one transaction; reading a survey's answers is audited.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Select, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::delivery::{self, NewSurvey};
use super::model::{survey_contact, survey_instance, survey_link, survey_response, survey_template};
use super::rules::{self, Answer};
use super::{respond, versions};
use crate::app::AppState;
use crate::auth::{Actor, ApiActor, Permission, Role};
use crate::crud::ListQuery;
use crate::domains::audit::service::{Entry, record};
use crate::domains::complaints::model::px_action;
use crate::domains::notifications::model::message;
use crate::domains::organizations::model::{department, patient, staff};
use crate::domains::organizations::rules::mask;
use crate::domains::organizations::service::now;
use crate::error::{AppError, AppResult, FieldErrors, invalid, not_found};
use crate::http::openapi::ErrorBody;
use crate::http::{ApiJson, IdPath, ListParams, Page, pagination, validate};

/// Most patients of one bulk send.
pub const BULK_MAX: usize = 500;
/// Longest contact note.
pub const NOTE_MAX: usize = 2000;

// ---------------------------------------------------------------------------------------------
// Views

/// A survey as lists show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InstanceView {
    pub id: Uuid,
    pub hospital_id: Uuid,
    pub survey_template_id: Uuid,
    pub template_version_id: Option<Uuid>,
    pub patient_id: Option<Uuid>,
    pub journey_instance_id: Option<Uuid>,
    pub stage_instance_id: Option<Uuid>,
    pub complaint_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub physician_id: Option<Uuid>,
    pub parent_id: Option<Uuid>,
    /// journey, complaint, manual, kiosk or follow_up.
    pub source: String,
    pub status: String,
    pub suppression_reason: String,
    pub channel: String,
    pub language: String,
    pub scheduled_for: DateTime<Utc>,
    pub token_expires_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub reminder_count: i32,
    pub last_reminder_at: Option<DateTime<Utc>>,
    pub total_score: Option<f64>,
    pub score_100: Option<f64>,
    pub is_negative: bool,
    pub action_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<survey_instance::Model> for InstanceView {
    fn from(m: survey_instance::Model) -> Self {
        InstanceView {
            id: m.id,
            hospital_id: m.hospital_id,
            survey_template_id: m.survey_template_id,
            template_version_id: m.template_version_id,
            patient_id: m.patient_id,
            journey_instance_id: m.journey_instance_id,
            stage_instance_id: m.stage_instance_id,
            complaint_id: m.complaint_id,
            department_id: m.department_id,
            physician_id: m.physician_id,
            parent_id: m.parent_id,
            source: m.source,
            status: m.status,
            suppression_reason: m.suppression_reason,
            channel: m.channel,
            language: m.language,
            scheduled_for: m.scheduled_for,
            token_expires_at: m.token_expires_at,
            sent_at: m.sent_at,
            opened_at: m.opened_at,
            started_at: m.started_at,
            completed_at: m.completed_at,
            reminder_count: m.reminder_count,
            last_reminder_at: m.last_reminder_at,
            total_score: m.total_score,
            score_100: m.score_100,
            is_negative: m.is_negative,
            action_id: m.action_id,
            created_by: m.created_by,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// A staff contact with the patient, or a follow-up survey sent.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactView {
    pub id: Uuid,
    pub survey_instance_id: Uuid,
    pub user_id: Option<Uuid>,
    /// `contact` or `follow_up_sent`.
    pub kind: String,
    /// reached, no_answer, wrong_number, refused or resolved (blank for follow_up_sent).
    pub outcome: String,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

impl From<survey_contact::Model> for ContactView {
    fn from(m: survey_contact::Model) -> Self {
        ContactView {
            id: m.id,
            survey_instance_id: m.survey_instance_id,
            user_id: m.user_id,
            kind: m.kind,
            outcome: m.outcome,
            note: m.note,
            created_at: m.created_at,
        }
    }
}

/// The patient of a survey; national id, phone and e-mail masked below px_coordinator.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PatientBrief {
    pub id: Uuid,
    pub mrn: String,
    pub name_en: String,
    pub name_ar: String,
    pub phone: String,
    pub email: String,
    pub preferred_language: String,
}

impl PatientBrief {
    pub fn new(p: &patient::Model, role: Role) -> Self {
        let pii = role.sees_pii();
        let m = |v: &str| if pii { v.to_owned() } else { mask(v) };
        PatientBrief {
            id: p.id,
            mrn: m(&p.mrn),
            name_en: format!("{} {}", p.first_name_en, p.last_name_en).trim().to_owned(),
            name_ar: format!("{} {}", p.first_name_ar, p.last_name_ar).trim().to_owned(),
            phone: m(&p.phone),
            email: m(&p.email),
            preferred_language: p.preferred_language.clone(),
        }
    }
}

/// One question of the survey's version with the patient's answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AnswerView {
    pub position: usize,
    pub code: String,
    pub question_type: String,
    pub text_en: String,
    pub text_ar: String,
    pub is_required: bool,
    /// Shown to the patient for their answers (conditional questions may be hidden).
    pub shown: bool,
    pub answered: bool,
    pub value_number: Option<f64>,
    pub value_text: String,
    pub value_choices: Vec<String>,
    /// The answer as the patient chose it, in English and Arabic (choice labels, yes/no).
    pub display_en: String,
    pub display_ar: String,
    /// The 1–5 score it counted for (none: not scored).
    pub score: Option<f64>,
}

/// A message sent to the patient for this survey (the link itself is never shown).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageBrief {
    pub id: Uuid,
    /// survey_invitation or survey_reminder.
    pub template_code: String,
    pub channel: String,
    pub status: String,
    pub suppression_reason: String,
    pub error: String,
    pub scheduled_for: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<message::Model> for MessageBrief {
    fn from(m: message::Model) -> Self {
        MessageBrief {
            id: m.id,
            template_code: m.template_code,
            channel: m.channel,
            status: m.status,
            suppression_reason: m.suppression_reason,
            error: m.error,
            scheduled_for: m.scheduled_for,
            sent_at: m.sent_at,
            delivered_at: m.delivered_at,
            created_at: m.created_at,
        }
    }
}

/// The PX Action a negative survey created.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActionBrief {
    pub id: Uuid,
    pub reference_number: String,
    pub status: String,
}

/// A survey with everything its detail shows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DetailView {
    pub survey: InstanceView,
    pub template_name_en: String,
    pub template_name_ar: String,
    /// The published version the patient saw (none: never published when sent).
    pub version: Option<i32>,
    pub scoring_method: String,
    pub negative_threshold: Option<f64>,
    pub patient: Option<PatientBrief>,
    pub action: Option<ActionBrief>,
    pub answers: Vec<AnswerView>,
    pub messages: Vec<MessageBrief>,
    pub contacts: Vec<ContactView>,
    /// Follow-up surveys sent after this one.
    pub follow_ups: Vec<InstanceView>,
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Whether `actor` may see survey `s`: the hospital in scope; a department manager only their
/// departments' surveys.
pub fn sees(actor: &Actor, s: &survey_instance::Model) -> bool {
    if !actor.sees_hospital(s.hospital_id) {
        return false;
    }
    match actor.role {
        // Department managers and nurses: their departments' surveys (spec §3).
        Role::DepartmentManager | Role::Nurse => s.department_id.is_some_and(|d| actor.department_ids.contains(&d)),
        _ => true,
    }
}

/// The surveys the actor may see (before the list's filters).
pub fn scoped_select(actor: &Actor) -> Select<survey_instance::Entity> {
    use survey_instance::Column as C;
    let select = actor.scoped(survey_instance::Entity::find(), C::HospitalId);
    match actor.role {
        Role::DepartmentManager | Role::Nurse => select.filter(C::DepartmentId.is_in(actor.department_ids.clone())),
        _ => select,
    }
}

/// The survey if the actor may see it (ViewSurveys); anything else is a 404.
pub async fn visible(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<survey_instance::Model> {
    actor.require(state, Permission::ViewSurveys).await?;
    let found = survey_instance::Entity::find_by_id(id).one(&state.db).await?.ok_or(not_found("survey"))?;
    if sees(actor, &found) { Ok(found) } else { Err(not_found("survey")) }
}

/// The list filters the API, the pages and the exports accept.
pub const FILTERS: &[&str] = &[
    "template_id",
    "hospital_id",
    "department_id",
    "physician_id",
    "status",
    "source",
    "negative",
    "from",
    "to",
    "completed_from",
    "completed_to",
];

/// `created_at` within the Riyadh days `from`..=`to` (either optional).
pub fn created_between(
    select: Select<survey_instance::Entity>,
    from: Option<&str>,
    to: Option<&str>,
    names: (&str, &str),
) -> AppResult<Select<survey_instance::Entity>> {
    between(select, survey_instance::Column::CreatedAt, from, to, names)
}

/// `column` within the Riyadh days `from`..=`to` (either optional).
fn between(
    select: Select<survey_instance::Entity>,
    column: survey_instance::Column,
    from: Option<&str>,
    to: Option<&str>,
    names: (&str, &str),
) -> AppResult<Select<survey_instance::Entity>> {
    let mut select = select;
    if let Some(v) = from {
        select = select.filter(column.gte(validate::riyadh_day(v, names.0)?));
    }
    if let Some(v) = to {
        select = select.filter(column.lt(validate::riyadh_day(v, names.1)? + chrono::Duration::days(1)));
    }
    Ok(select)
}

/// Applies the list's filters (no ordering); a bad value is a 400 naming the filter.
pub fn filtered_unordered(actor: &Actor, query: &ListQuery) -> AppResult<Select<survey_instance::Entity>> {
    use survey_instance::Column as C;
    let mut select = scoped_select(actor);
    if let Some(t) = query.uuid_filter("template_id")? {
        select = select.filter(C::SurveyTemplateId.eq(t));
    }
    if let Some(h) = query.uuid_filter("hospital_id")? {
        select = select.filter(C::HospitalId.eq(h));
    }
    if let Some(d) = query.uuid_filter("department_id")? {
        select = select.filter(C::DepartmentId.eq(d));
    }
    if let Some(p) = query.uuid_filter("physician_id")? {
        select = select.filter(C::PhysicianId.eq(p));
    }
    if let Some(v) = query.filter("status") {
        select = select.filter(C::Status.is_in(validate::list_of(v, "status", &rules::STATUSES)?));
    }
    if let Some(v) = query.filter("source") {
        select = select.filter(C::Source.is_in(validate::list_of(v, "source", &rules::SOURCES)?));
    }
    match query.filter("negative") {
        None => {}
        Some("true") => select = select.filter(C::IsNegative.eq(true)),
        Some("false") => select = select.filter(C::IsNegative.eq(false)),
        Some(_) => return Err(invalid("negative", "Must be true or false.")),
    }
    select = created_between(select, query.filter("from"), query.filter("to"), ("from", "to"))?;
    // Completed within Riyadh days (the command center's drill-down).
    select = between(
        select,
        C::CompletedAt,
        query.filter("completed_from"),
        query.filter("completed_to"),
        ("completed_from", "completed_to"),
    )?;
    // The search is the patient's MRN.
    if let Some(term) = query.params.search_term() {
        let patients = pagination::search(
            actor.scoped(patient::Entity::find(), patient::Column::HospitalId),
            &ListParams { search: Some(term), ..Default::default() },
            &[patient::Column::Mrn],
        )
        .select_only()
        .column(patient::Column::Id)
        .into_query();
        select = select.filter(C::PatientId.in_subquery(patients));
    }
    Ok(select)
}

/// The filtered list, ordered (`?ordering=` of created_at, sent_at, completed_at, total_score,
/// status; newest first by default).
pub fn filtered(actor: &Actor, query: &ListQuery) -> AppResult<Select<survey_instance::Entity>> {
    use survey_instance::Column as C;
    pagination::order(
        filtered_unordered(actor, query)?,
        &query.params,
        &[
            ("created_at", C::CreatedAt),
            ("sent_at", C::SentAt),
            ("completed_at", C::CompletedAt),
            ("total_score", C::TotalScore),
            ("status", C::Status),
        ],
        (C::CreatedAt, Order::Desc),
    )
}

/// One page of surveys.
pub async fn list(state: &AppState, actor: &Actor, query: &ListQuery) -> AppResult<Page<survey_instance::Model>> {
    actor.require(state, Permission::ViewSurveys).await?;
    let select = filtered(actor, query)?.order_by_desc(survey_instance::Column::Id);
    pagination::fetch(&state.db, select, &query.params, &query.path).await
}

/// Each question of the survey's version with its answer, in order, texts in both languages.
pub async fn answers_of(db: &impl ConnectionTrait, s: &survey_instance::Model) -> AppResult<Vec<AnswerView>> {
    let version = match s.template_version_id {
        Some(v) => versions::load(db, v).await?,
        None => None,
    };
    let Some((_, def)) = version else { return Ok(vec![]) };
    let saved = respond::saved_answers(db, s.id, &def).await?;
    let rows =
        survey_response::Entity::find().filter(survey_response::Column::SurveyInstanceId.eq(s.id)).all(db).await?;
    let scores: BTreeMap<String, Option<f64>> = rows.into_iter().map(|r| (r.question_code, r.score)).collect();
    let shown = rules::visible(&def, &saved);
    Ok(def
        .questions
        .iter()
        .zip(shown)
        .enumerate()
        .map(|(i, (q, on))| {
            let a = saved.get(&q.code);
            let (display_en, display_ar) = match a {
                None => (String::new(), String::new()),
                Some(Answer::Choices(chosen)) => {
                    let pick = |ar: bool| {
                        chosen
                            .iter()
                            .map(|v| {
                                q.choices
                                    .iter()
                                    .find(|c| c.value == *v)
                                    .map(|c| if ar { c.label_ar.clone() } else { c.label_en.clone() })
                                    .unwrap_or_else(|| v.clone())
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    (pick(false), pick(true))
                }
                Some(Answer::Number(n)) if q.question_type == "yes_no" => {
                    let (en, ar) = rules::yes_no_labels(*n >= 0.5);
                    (en.into(), ar.into())
                }
                Some(other) => (other.display(q), other.display(q)),
            };
            AnswerView {
                position: i + 1,
                code: q.code.clone(),
                question_type: q.question_type.clone(),
                text_en: q.text_en.clone(),
                text_ar: q.text_ar.clone(),
                is_required: q.is_required,
                shown: on,
                answered: a.is_some(),
                value_number: match a {
                    Some(Answer::Number(n)) => Some(*n),
                    _ => None,
                },
                value_text: match a {
                    Some(Answer::Text(t)) => t.clone(),
                    _ => String::new(),
                },
                value_choices: match a {
                    Some(Answer::Choices(c)) => c.clone(),
                    _ => vec![],
                },
                display_en,
                display_ar,
                score: scores.get(&q.code).copied().flatten(),
            }
        })
        .collect())
}

/// The survey's detail (answers included). The read is audited.
pub async fn detail(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<DetailView> {
    let s = visible(state, actor, id).await?;
    let db = &state.db;
    let t = survey_template::Entity::find_by_id(s.survey_template_id).one(db).await?.ok_or(not_found("survey"))?;
    let version = match s.template_version_id {
        Some(v) => versions::load(db, v).await?.map(|(v, _)| v.version),
        None => None,
    };
    let patient = match s.patient_id {
        Some(p) => patient::Entity::find_by_id(p).one(db).await?,
        None => None,
    };
    let action = match s.action_id {
        Some(a) => px_action::Entity::find_by_id(a).one(db).await?.map(|a| ActionBrief {
            id: a.id,
            reference_number: a.reference_number,
            status: a.status,
        }),
        None => None,
    };
    let answers = answers_of(db, &s).await?;
    // The invitation, and the messages that carried this survey's other links (reminders, a
    // fallback channel's invitation).
    let mut ids: Vec<Uuid> = s.message_id.into_iter().collect();
    ids.extend(
        survey_link::Entity::find()
            .filter(survey_link::Column::SurveyInstanceId.eq(s.id))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|l| l.message_id),
    );
    let who = if ids.is_empty() { Condition::any() } else { Condition::all().add(message::Column::Id.is_in(ids)) };
    let messages = if who.is_empty() {
        vec![]
    } else {
        message::Entity::find().filter(who).order_by_asc(message::Column::CreatedAt).limit(50).all(db).await?
    };
    let contacts = contacts_of(db, s.id).await?;
    let follow_ups = survey_instance::Entity::find()
        .filter(survey_instance::Column::ParentId.eq(s.id))
        .order_by_asc(survey_instance::Column::CreatedAt)
        .all(db)
        .await?;
    record(
        db,
        actor,
        Entry::new("survey_answers_viewed", "survey_instance", s.id)
            .hospital(Some(s.hospital_id))
            .details(serde_json::json!({"answers": answers.iter().filter(|a| a.answered).count()})),
    )
    .await?;
    Ok(DetailView {
        template_name_en: t.name_en,
        template_name_ar: t.name_ar,
        version,
        scoring_method: t.scoring_method,
        negative_threshold: t.negative_threshold,
        patient: patient.as_ref().map(|p| PatientBrief::new(p, actor.role)),
        action,
        answers,
        messages: messages.into_iter().map(Into::into).collect(),
        contacts: contacts.into_iter().map(Into::into).collect(),
        follow_ups: follow_ups.into_iter().map(Into::into).collect(),
        survey: s.into(),
    })
}

/// The contact log of a survey, oldest first.
pub async fn contacts_of(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Vec<survey_contact::Model>> {
    Ok(survey_contact::Entity::find()
        .filter(survey_contact::Column::SurveyInstanceId.eq(id))
        .order_by_asc(survey_contact::Column::CreatedAt)
        .order_by_asc(survey_contact::Column::Id)
        .all(db)
        .await?)
}

// ---------------------------------------------------------------------------------------------
// Sending

/// A survey to send by hand. Unknown fields are refused.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendInput {
    /// An active, published template of a hospital the actor works in.
    pub survey_template_id: Option<Uuid>,
    /// A patient of the template's hospital.
    pub patient_id: Option<Uuid>,
    /// The department the survey is about (a department manager's own by default).
    pub department_id: Option<Uuid>,
    /// Send no earlier than this (default now).
    pub send_at: Option<DateTime<Utc>>,
}

/// Many patients at once. Unknown fields are refused.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkInput {
    pub survey_template_id: Option<Uuid>,
    /// At most 500 patients of the template's hospital.
    pub patient_ids: Option<Vec<Uuid>>,
    pub department_id: Option<Uuid>,
    pub send_at: Option<DateTime<Utc>>,
}

/// What happened for one patient of a bulk send.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkRow {
    /// The patient id (API) or MRN (page) as given.
    pub patient: String,
    pub patient_id: Option<Uuid>,
    /// `created` (invitation queued), `suppressed` (created, not sent: see `reason`) or `error`.
    pub outcome: String,
    pub survey_id: Option<Uuid>,
    pub reason: String,
    pub error: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkResult {
    pub created: usize,
    pub suppressed: usize,
    pub errors: usize,
    pub results: Vec<BulkRow>,
}

/// The template a staff member may send: of a hospital they see, live, active and published.
pub async fn sendable_template(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Option<Uuid>,
) -> AppResult<survey_template::Model> {
    let id = id.ok_or_else(|| invalid("survey_template_id", "This field is required."))?;
    let t = survey_template::Entity::find_by_id(id)
        .filter(survey_template::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .filter(|t| actor.sees_hospital(t.hospital_id))
        .ok_or_else(|| invalid("survey_template_id", "Invalid pk - object does not exist."))?;
    if !t.is_active {
        return Err(invalid("survey_template_id", "This survey template is not active."));
    }
    if t.current_version < 1 {
        return Err(invalid("survey_template_id", "This survey template has not been published yet."));
    }
    Ok(t)
}

/// The department a sent survey is about: a department of the template's hospital; a department
/// manager only theirs (their own by default).
async fn department_for(
    db: &impl ConnectionTrait,
    actor: &Actor,
    hospital_id: Uuid,
    requested: Option<Uuid>,
) -> AppResult<Option<Uuid>> {
    let requested = match (requested, actor.role) {
        (None, Role::DepartmentManager) => actor.department_id.or(actor.department_ids.first().copied()),
        (r, _) => r,
    };
    let Some(d) = requested else { return Ok(None) };
    let ok = department::Entity::find_by_id(d)
        .filter(department::Column::HospitalId.eq(hospital_id))
        .filter(department::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .is_some()
        && (actor.role != Role::DepartmentManager || actor.department_ids.contains(&d));
    if ok { Ok(Some(d)) } else { Err(invalid("department_id", "Invalid pk - object does not exist.")) }
}

/// Creates one survey for `p` with `template` in a transaction of its own (audited).
#[allow(clippy::too_many_arguments)]
async fn send_one(
    state: &AppState,
    actor: &Actor,
    t: &survey_template::Model,
    p: patient::Model,
    department_id: Option<Uuid>,
    send_at: Option<DateTime<Utc>>,
    source: &'static str,
    parent: Option<&survey_instance::Model>,
) -> AppResult<survey_instance::Model> {
    let mut new = NewSurvey::new(t.hospital_id, t.id, source);
    new.patient = Some(p);
    new.department_id = department_id;
    new.send_at = send_at;
    new.created_by = actor.user_id;
    if let Some(parent) = parent {
        new.parent_id = Some(parent.id);
        new.physician_id = parent.physician_id;
    }
    let _turn = state.write_turn().await;
    let txn = state.db.begin().await?;
    let created = delivery::create(state, &txn, new).await?;
    let s = created.survey;
    record(
        &txn,
        actor,
        Entry::new(
            if source == "follow_up" { "survey_follow_up_sent" } else { "survey_sent" },
            "survey_instance",
            s.id,
        )
        .hospital(Some(s.hospital_id))
        .details(serde_json::json!({
            "template_id": t.id, "patient_id": s.patient_id, "source": source, "status": s.status,
            "suppression_reason": s.suppression_reason, "parent_id": s.parent_id,
        })),
    )
    .await?;
    if let Some(parent) = parent {
        survey_contact::ActiveModel {
            id: Set(Uuid::now_v7()),
            survey_instance_id: Set(parent.id),
            user_id: Set(actor.user_id),
            kind: Set("follow_up_sent".into()),
            outcome: Set(String::new()),
            note: Set(s.id.to_string()),
            created_at: Set(now()),
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    if created.queued {
        state.waker.wake(crate::jobs::Queue::Notifications);
    }
    Ok(s)
}

/// A patient of `hospital_id` (not deleted), or a 400 on `field`.
async fn patient_in(
    db: &impl ConnectionTrait,
    hospital_id: Uuid,
    id: Option<Uuid>,
    field: &str,
) -> AppResult<patient::Model> {
    let id = id.ok_or_else(|| invalid(field, "This field is required."))?;
    patient::Entity::find_by_id(id)
        .filter(patient::Column::HospitalId.eq(hospital_id))
        .filter(patient::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| invalid(field, "No such patient in the survey template's hospital."))
}

/// Sends one survey by hand (source `manual`).
pub async fn send(state: &AppState, actor: &Actor, input: SendInput) -> AppResult<survey_instance::Model> {
    actor.require(state, Permission::HandleSurveys).await?;
    let mut errors = FieldErrors::new();
    let t = errors.collect(sendable_template(&state.db, actor, input.survey_template_id).await)?;
    if input.patient_id.is_none() {
        errors.add("patient_id", "This field is required.");
    }
    errors.into_result()?;
    let Some(t) = t else { return Err(invalid("survey_template_id", "This field is required.")) };
    let p = patient_in(&state.db, t.hospital_id, input.patient_id, "patient_id").await?;
    let department_id = department_for(&state.db, actor, t.hospital_id, input.department_id).await?;
    send_one(state, actor, &t, p, department_id, input.send_at, "manual", None).await
}

/// Sends `template` to each of `targets` (`(as given, the patient when found)`), each in its own
/// transaction; the result says what happened to each.
pub async fn send_many(
    state: &AppState,
    actor: &Actor,
    t: &survey_template::Model,
    targets: Vec<(String, Option<patient::Model>)>,
    department_id: Option<Uuid>,
    send_at: Option<DateTime<Utc>>,
) -> AppResult<BulkResult> {
    // The department is checked here, for every caller (API and the send page).
    let department_id = department_for(&state.db, actor, t.hospital_id, department_id).await?;
    let mut results = Vec::with_capacity(targets.len());
    for (given, p) in targets {
        let Some(p) = p else {
            results.push(BulkRow {
                patient: given,
                patient_id: None,
                outcome: "error".into(),
                survey_id: None,
                reason: String::new(),
                error: Some(invalid("patient_id", "No such patient in the survey template's hospital.").body()),
            });
            continue;
        };
        let pid = p.id;
        results.push(match send_one(state, actor, t, p, department_id, send_at, "manual", None).await {
            Ok(s) => BulkRow {
                patient: given,
                patient_id: Some(pid),
                outcome: if s.status == "suppressed" { "suppressed" } else { "created" }.into(),
                survey_id: Some(s.id),
                reason: s.suppression_reason,
                error: None,
            },
            Err(AppError::Unexpected(e)) => return Err(AppError::Unexpected(e)),
            Err(e) => BulkRow {
                patient: given,
                patient_id: Some(pid),
                outcome: "error".into(),
                survey_id: None,
                reason: String::new(),
                error: Some(e.body()),
            },
        });
    }
    let count = |o: &str| results.iter().filter(|r| r.outcome == o).count();
    Ok(BulkResult { created: count("created"), suppressed: count("suppressed"), errors: count("error"), results })
}

/// Bulk send by patient ids.
pub async fn bulk_send(state: &AppState, actor: &Actor, input: BulkInput) -> AppResult<BulkResult> {
    actor.require(state, Permission::HandleSurveys).await?;
    let mut errors = FieldErrors::new();
    let t = errors.collect(sendable_template(&state.db, actor, input.survey_template_id).await)?;
    let ids = input.patient_ids.unwrap_or_default();
    if ids.is_empty() {
        errors.add("patient_ids", "Choose at least one patient.");
    } else if ids.len() > BULK_MAX {
        errors.add("patient_ids", format!("Choose at most {BULK_MAX} patients at a time."));
    }
    errors.into_result()?;
    let Some(t) = t else { return Err(invalid("survey_template_id", "This field is required.")) };
    let department_id = input.department_id;
    let found: BTreeMap<Uuid, patient::Model> = patient::Entity::find()
        .filter(patient::Column::Id.is_in(ids.clone()))
        .filter(patient::Column::HospitalId.eq(t.hospital_id))
        .filter(patient::Column::DeletedAt.is_null())
        .all(&state.db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    let targets =
        ids.into_iter().filter(|id| seen.insert(*id)).map(|id| (id.to_string(), found.get(&id).cloned())).collect();
    send_many(state, actor, &t, targets, department_id, input.send_at).await
}

// ---------------------------------------------------------------------------------------------
// Cancel, contacts, follow-up

/// Cancels a survey that is not final (409 when it is).
pub async fn cancel(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<survey_instance::Model> {
    let s = visible(state, actor, id).await?;
    actor.require(state, Permission::HandleSurveys).await?;
    let _turn = state.write_turn().await;
    let txn = state.db.begin().await?;
    if !delivery::cancel(&txn, s.id).await? {
        return Err(AppError::Conflict(
            "survey_final",
            format!("This survey is {} and can no longer be cancelled.", s.status),
        ));
    }
    record(
        &txn,
        actor,
        Entry::new("survey_cancelled", "survey_instance", s.id)
            .hospital(Some(s.hospital_id))
            .details(serde_json::json!({"old_status": s.status})),
    )
    .await?;
    txn.commit().await?;
    survey_instance::Entity::find_by_id(s.id).one(&state.db).await?.ok_or(not_found("survey"))
}

/// A staff contact with the patient. Unknown fields are refused.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    /// reached, no_answer, wrong_number, refused or resolved.
    pub outcome: Option<String>,
    pub note: Option<String>,
}

/// Logs a contact with the survey's patient.
pub async fn add_contact(state: &AppState, actor: &Actor, id: Uuid, input: ContactInput) -> AppResult<ContactView> {
    let s = visible(state, actor, id).await?;
    actor.require(state, Permission::HandleSurveys).await?;
    let mut errors = FieldErrors::new();
    let outcome = validate::choice(&mut errors, "outcome", input.outcome.as_deref(), &rules::CONTACT_OUTCOMES, "");
    if outcome.is_empty() && !errors.0.contains_key("outcome") {
        errors.add("outcome", "This field is required.");
    }
    let note = validate::optional(&mut errors, "note", input.note.as_deref(), NOTE_MAX);
    errors.into_result()?;
    let _turn = state.write_turn().await;
    let txn = state.db.begin().await?;
    let saved = survey_contact::ActiveModel {
        id: Set(Uuid::now_v7()),
        survey_instance_id: Set(s.id),
        user_id: Set(actor.user_id),
        kind: Set("contact".into()),
        outcome: Set(outcome.clone()),
        note: Set(note),
        created_at: Set(now()),
    }
    .insert(&txn)
    .await?;
    record(
        &txn,
        actor,
        Entry::new("survey_contact_logged", "survey_instance", s.id)
            .hospital(Some(s.hospital_id))
            .details(serde_json::json!({"outcome": outcome})),
    )
    .await?;
    txn.commit().await?;
    Ok(saved.into())
}

/// The follow-up to send. Unknown fields are refused.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpInput {
    /// The satisfaction survey to send (default: the same template).
    pub survey_template_id: Option<Uuid>,
}

/// Sends the patient of a completed negative survey a follow-up satisfaction survey (source
/// `follow_up`, same patient and department) and logs it; 409 for any other survey, or when a
/// follow-up was already sent.
pub async fn follow_up(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    input: FollowUpInput,
) -> AppResult<survey_instance::Model> {
    let s = visible(state, actor, id).await?;
    actor.require(state, Permission::HandleSurveys).await?;
    if s.status != "completed" || !s.is_negative {
        return Err(AppError::Conflict(
            "not_negative",
            "Only a completed negative survey gets a follow-up survey.".into(),
        ));
    }
    let Some(patient_id) = s.patient_id else {
        return Err(AppError::Conflict("no_patient", "This survey has no registered patient to follow up.".into()));
    };
    let already = survey_instance::Entity::find()
        .filter(survey_instance::Column::ParentId.eq(s.id))
        .filter(survey_instance::Column::Source.eq("follow_up"))
        .filter(survey_instance::Column::Status.ne("cancelled"))
        .one(&state.db)
        .await?;
    if already.is_some() {
        return Err(AppError::Conflict(
            "follow_up_sent",
            "A follow-up survey was already sent for this survey.".into(),
        ));
    }
    let t = sendable_template(&state.db, actor, input.survey_template_id.or(Some(s.survey_template_id))).await?;
    if t.hospital_id != s.hospital_id {
        return Err(invalid("survey_template_id", "Invalid pk - object does not exist."));
    }
    let p = patient_in(&state.db, s.hospital_id, Some(patient_id), "patient_id").await?;
    send_one(state, actor, &t, p, s.department_id, None, "follow_up", Some(&s)).await
}

// ---------------------------------------------------------------------------------------------
// API

/// Surveys in the actor's scope, newest first (department managers: their departments'). Filters:
/// template_id, hospital_id, department_id, physician_id, status and source (comma-separated),
/// negative (true/false), from / to (created, Riyadh days YYYY-MM-DD); search: the patient's MRN.
#[utoipa::path(get, path = "/api/surveys/instances/", tag = "Surveys",
    params(ListParams, ("template_id" = Option<Uuid>, Query), ("hospital_id" = Option<Uuid>, Query),
        ("department_id" = Option<Uuid>, Query), ("physician_id" = Option<Uuid>, Query), ("status" = Option<String>, Query),
        ("source" = Option<String>, Query), ("negative" = Option<bool>, Query), ("from" = Option<String>, Query),
        ("to" = Option<String>, Query), ("completed_from" = Option<String>, Query), ("completed_to" = Option<String>, Query)),
    responses((status = 200, body = Page<InstanceView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn list_api(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    uri: OriginalUri,
) -> AppResult<Json<Page<InstanceView>>> {
    let query = ListQuery::from_query(uri.path(), uri.query());
    Ok(Json(list(&state, &actor, &query).await?.map(Into::into)))
}

/// Sends a survey to a patient by hand (source `manual`): the invitation is queued on the
/// patient's channel, or the survey is created `suppressed` with the reason (opt-out, frequency
/// cap, no contact).
#[utoipa::path(post, path = "/api/surveys/instances/", tag = "Surveys", request_body = SendInput,
    responses((status = 201, body = InstanceView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn send_api(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<SendInput>,
) -> AppResult<Response> {
    let saved = send(&state, &actor, input).await?;
    Ok((StatusCode::CREATED, Json(InstanceView::from(saved))).into_response())
}

/// Sends a template to up to 500 patients, each in its own transaction; the result says for each
/// whether it was created, suppressed (and why) or refused.
#[utoipa::path(post, path = "/api/surveys/instances/bulk/", tag = "Surveys", request_body = BulkInput,
    responses((status = 200, body = BulkResult), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn bulk_api(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<BulkInput>,
) -> AppResult<Json<BulkResult>> {
    Ok(Json(bulk_send(&state, &actor, input).await?))
}

/// One survey with its answers (as the patient saw them), messages and contact log. Audited.
#[utoipa::path(get, path = "/api/surveys/instances/{id}/", tag = "Surveys", params(("id" = Uuid, Path)),
    responses((status = 200, body = DetailView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get_api(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<Json<DetailView>> {
    Ok(Json(detail(&state, &actor, id).await?))
}

/// Cancels a survey that is not final yet (its unsent invitation is not sent); 409 otherwise.
#[utoipa::path(post, path = "/api/surveys/instances/{id}/cancel/", tag = "Surveys", params(("id" = Uuid, Path)),
    responses((status = 200, body = InstanceView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn cancel_api(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<Json<InstanceView>> {
    Ok(Json(cancel(&state, &actor, id).await?.into()))
}

/// The contact log, oldest first.
#[utoipa::path(get, path = "/api/surveys/instances/{id}/contacts/", tag = "Surveys", params(("id" = Uuid, Path)),
    responses((status = 200, body = [ContactView]), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn contacts_api(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<Json<Vec<ContactView>>> {
    let s = visible(&state, &actor, id).await?;
    Ok(Json(contacts_of(&state.db, s.id).await?.into_iter().map(Into::into).collect()))
}

/// Logs a staff contact with the patient (outcome and note).
#[utoipa::path(post, path = "/api/surveys/instances/{id}/contacts/", tag = "Surveys", params(("id" = Uuid, Path)),
    request_body = ContactInput,
    responses((status = 201, body = ContactView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn add_contact_api(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<ContactInput>,
) -> AppResult<Response> {
    let saved = add_contact(&state, &actor, id, input).await?;
    Ok((StatusCode::CREATED, Json(saved)).into_response())
}

/// Sends a follow-up satisfaction survey after a completed negative one (409 for others).
#[utoipa::path(post, path = "/api/surveys/instances/{id}/follow-up/", tag = "Surveys", params(("id" = Uuid, Path)),
    request_body = FollowUpInput,
    responses((status = 201, body = InstanceView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn follow_up_api(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<FollowUpInput>,
) -> AppResult<Response> {
    let saved = follow_up(&state, &actor, id, input).await?;
    Ok((StatusCode::CREATED, Json(InstanceView::from(saved))).into_response())
}

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_api, send_api))
        .routes(routes!(bulk_api))
        .routes(routes!(get_api))
        .routes(routes!(cancel_api))
        .routes(routes!(contacts_api, add_contact_api))
        .routes(routes!(follow_up_api))
}

/// Names of physicians (staff) by id.
pub async fn staff_names(
    db: &impl ConnectionTrait,
    lang: crate::i18n::Lang,
    ids: Vec<Uuid>,
) -> AppResult<BTreeMap<Uuid, String>> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    Ok(staff::Entity::find()
        .filter(staff::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, crate::domains::complaints::filters::staff_name(lang, &s)))
        .collect())
}
