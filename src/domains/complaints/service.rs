//! Complaints: filing (staff, source users and the public form), reading within the actor's
//! scope, the work list's filters, edits that recompute the SLA, assignment, status moves with
//! their rules, and the timeline. Every write and its timeline row, audit entry and notifications
//! commit in one transaction.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, Order, QueryFilter,
    QueryOrder, Select, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::calendar::{ClockMode, WorkingCalendar};
use super::model::{
    calendar_holiday, complaint, complaint_category, complaint_update, escalation_rule, sla_config, working_calendar,
};
use super::settings;
use super::sla::{self, AppliesTo, ComplaintSource, EscalationRule, Priority, Severity, SlaConfig};
use super::workflow::{self, ComplaintChange, ComplaintStatus, ComplaintType, ResolutionCategory, TransitionError};
use crate::app::AppState;
use crate::auth::{Actor, Permission, Role};
use crate::crud::ListQuery;
use crate::domains::accounts::model::user;
use crate::domains::audit::service::{Entry, record};
use crate::domains::organizations::model::{department, hospital, patient, staff};
use crate::domains::organizations::service::{hospital_for_write, now};
use crate::error::{AppError, AppResult, FieldErrors, invalid, not_found};
use crate::http::{Page, pagination, validate};

// ---------------------------------------------------------------------------------------------
// The hospital's SLA settings

/// An escalation rule with what the jobs need beyond its timing: its row (None = the spec's
/// default chain), the named user of `specific_user`, and its filters.
#[derive(Debug, Clone)]
pub struct RuleRow {
    pub rule: EscalationRule,
    pub id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub filters: serde_json::Value,
}

impl RuleRow {
    /// Whether the rule's filters (`{"severity": [...], "priority": [...], "source": [...],
    /// "department_id": [...]}`, each optional) let a case through.
    pub fn applies(&self, severity: &str, priority: &str, source: &str, department_id: Option<Uuid>) -> bool {
        let allows = |key: &str, value: &str| match self.filters.get(key).and_then(|v| v.as_array()) {
            None => true,
            Some(list) if list.is_empty() => true,
            Some(list) => list.iter().any(|v| v.as_str() == Some(value)),
        };
        allows("severity", severity)
            && allows("priority", priority)
            && (source.is_empty() || allows("source", source))
            && allows("department_id", &department_id.map(|d| d.to_string()).unwrap_or_default())
    }
}

/// A hospital's SLA rows, escalation chain and working calendar, for complaints or actions.
#[derive(Debug, Clone)]
pub struct SlaContext {
    pub configs: Vec<SlaConfig>,
    pub rules: Vec<RuleRow>,
    pub calendar: WorkingCalendar,
}

impl SlaContext {
    /// The rules' timing parts that apply to a case (for `sla::sla_work`).
    pub fn rules_for(&self, severity: &str, priority: &str, source: &str, department_id: Option<Uuid>) -> Vec<RuleRow> {
        self.rules.iter().filter(|r| r.applies(severity, priority, source, department_id)).cloned().collect()
    }
}

/// Reads a hospital's SLA settings. Rows that don't parse are an error naming the table and
/// column (an admin's mistake must not silently fall back to other deadlines).
pub async fn sla_context(
    db: &impl ConnectionTrait,
    hospital_id: Uuid,
    applies_to: AppliesTo,
) -> anyhow::Result<SlaContext> {
    let config_rows = sla_config::Entity::find()
        .filter(sla_config::Column::HospitalId.eq(hospital_id))
        .filter(sla_config::Column::AppliesTo.eq(applies_to.as_str()))
        .all(db)
        .await?;
    let configs = settings::sla_configs_for(&config_rows, applies_to)?;
    let rule_rows = escalation_rule::Entity::find()
        .filter(escalation_rule::Column::HospitalId.eq(hospital_id))
        .filter(escalation_rule::Column::AppliesTo.eq(applies_to.as_str()))
        .order_by_asc(escalation_rule::Column::Level)
        .all(db)
        .await?;
    let rules = if rule_rows.is_empty() {
        settings::escalation_rules_for(&[], applies_to)?
            .into_iter()
            .map(|rule| RuleRow { rule, id: None, user_id: None, filters: serde_json::json!({}) })
            .collect()
    } else {
        rule_rows
            .iter()
            .map(|row| {
                Ok(RuleRow {
                    rule: settings::escalation_rule_from_row(row)?,
                    id: Some(row.id),
                    user_id: row.escalate_to_user_id,
                    filters: row.filters.clone(),
                })
            })
            .collect::<Result<Vec<_>, settings::SettingsError>>()?
    };
    let cal_row = working_calendar::Entity::find_by_id(hospital_id).one(db).await?;
    let holidays =
        calendar_holiday::Entity::find().filter(calendar_holiday::Column::HospitalId.eq(hospital_id)).all(db).await?;
    let calendar = settings::calendar_from_rows(cal_row.as_ref(), &holidays)?;
    Ok(SlaContext { configs, rules, calendar })
}

// ---------------------------------------------------------------------------------------------
// Views

/// A complaint as the API shows it. Complainant phone and e-mail are masked for roles below
/// px_coordinator.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComplaintView {
    pub id: Uuid,
    pub hospital_id: Uuid,
    pub reference_number: String,
    pub complaint_type: String,
    pub source: String,
    pub source_type: String,
    pub external_reference: String,
    pub parent_complaint_id: Option<Uuid>,
    pub patient_id: Option<Uuid>,
    pub complainant_name: String,
    pub complainant_phone: String,
    pub complainant_email: String,
    pub complainant_relation: String,
    pub department_id: Option<Uuid>,
    pub encounter_id: String,
    pub category_id: Option<Uuid>,
    pub staff_id: Option<Uuid>,
    pub title: String,
    pub description: String,
    pub language: String,
    pub priority: String,
    pub severity: String,
    pub status: String,
    pub status_changed_at: Option<DateTime<Utc>>,
    pub assigned_to: Option<Uuid>,
    pub assigned_at: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
    pub clock_mode: String,
    pub due_at: Option<DateTime<Utc>>,
    pub first_reminder_at: Option<DateTime<Utc>>,
    pub second_reminder_at: Option<DateTime<Utc>>,
    pub is_overdue: bool,
    pub escalation_level: i32,
    pub escalated_at: Option<DateTime<Utc>>,
    pub resolution: String,
    pub resolution_category: Option<String>,
    pub resolved_by: Option<Uuid>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_by: Option<Uuid>,
    pub closed_at: Option<DateTime<Utc>>,
    pub harm_level: String,
    pub stage_of_care: String,
    /// The day of the visit, when the complainant gave it.
    pub visit_date: Option<chrono::NaiveDate>,
    /// The statuses this complaint may move to next.
    pub allowed_next: Vec<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Masks all but the last four characters (the directory's rule for PII below px_coordinator).
pub use crate::domains::organizations::rules::mask;

impl ComplaintView {
    pub fn new(m: complaint::Model, role: Role) -> Self {
        let pii = role.sees_pii() || role == Role::SourceUser;
        let allowed_next = ComplaintStatus::parse(&m.status)
            .map(|s| s.next().iter().map(|n| n.as_str().to_owned()).collect())
            .unwrap_or_default();
        ComplaintView {
            id: m.id,
            hospital_id: m.hospital_id,
            reference_number: m.reference_number,
            complaint_type: m.complaint_type,
            source: m.source,
            source_type: m.source_type,
            external_reference: m.external_reference,
            parent_complaint_id: m.parent_complaint_id,
            patient_id: m.patient_id,
            complainant_name: if pii { m.complainant_name } else { mask(&m.complainant_name) },
            complainant_phone: if pii { m.complainant_phone } else { mask(&m.complainant_phone) },
            complainant_email: if pii { m.complainant_email } else { mask(&m.complainant_email) },
            complainant_relation: m.complainant_relation,
            department_id: m.department_id,
            encounter_id: m.encounter_id,
            category_id: m.category_id,
            staff_id: m.staff_id,
            title: m.title,
            description: m.description,
            language: m.language,
            priority: m.priority,
            severity: m.severity,
            status: m.status,
            status_changed_at: m.status_changed_at,
            assigned_to: m.assigned_to,
            assigned_at: m.assigned_at,
            received_at: m.received_at,
            clock_mode: m.clock_mode,
            due_at: m.due_at,
            first_reminder_at: m.first_reminder_at,
            second_reminder_at: m.second_reminder_at,
            is_overdue: m.is_overdue,
            escalation_level: m.escalation_level,
            escalated_at: m.escalated_at,
            resolution: m.resolution,
            resolution_category: m.resolution_category,
            resolved_by: m.resolved_by,
            resolved_at: m.resolved_at,
            closed_by: m.closed_by,
            closed_at: m.closed_at,
            harm_level: m.harm_level,
            stage_of_care: m.stage_of_care,
            visit_date: m.metadata.get("visit_date").and_then(|v| v.as_str()).and_then(|v| v.parse().ok()),
            allowed_next,
            created_by: m.created_by,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// One timeline entry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UpdateView {
    pub id: Uuid,
    pub update_type: String,
    pub old_status: Option<String>,
    pub new_status: Option<String>,
    pub message: String,
    pub is_public: bool,
    pub details: serde_json::Value,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl From<complaint_update::Model> for UpdateView {
    fn from(m: complaint_update::Model) -> Self {
        UpdateView {
            id: m.id,
            update_type: m.update_type,
            old_status: m.old_status,
            new_status: m.new_status,
            message: m.message,
            is_public: m.is_public,
            details: m.details,
            created_by: m.created_by,
            created_at: m.created_at,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

/// The complaint if the actor may see it: ViewComplaints, the hospital in scope, a department
/// manager's departments (or assigned to them), a source user's own. Anything else is a 404.
pub async fn visible(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<complaint::Model> {
    actor.require(state, Permission::ViewComplaints).await?;
    let found = complaint::Entity::find_by_id(id)
        .filter(complaint::Column::DeletedAt.is_null())
        .one(&state.db)
        .await?
        .ok_or(not_found("complaint"))?;
    if sees(actor, &found) { Ok(found) } else { Err(not_found("complaint")) }
}

/// Whether `actor` may see complaint `c` (see [`visible`]).
pub fn sees(actor: &Actor, c: &complaint::Model) -> bool {
    if !actor.sees_hospital(c.hospital_id) {
        return false;
    }
    match actor.role {
        Role::SourceUser => actor.user_id.is_some() && c.created_by == actor.user_id,
        Role::DepartmentManager => {
            c.department_id.is_some_and(|d| actor.department_ids.contains(&d))
                || (actor.user_id.is_some() && c.assigned_to == actor.user_id)
        }
        _ => true,
    }
}

/// The complaints the actor may see (before the list's own filters).
pub fn scoped_select(actor: &Actor) -> Select<complaint::Entity> {
    use complaint::Column as C;
    let select = actor.scoped(complaint::Entity::find().filter(C::DeletedAt.is_null()), C::HospitalId);
    match actor.role {
        Role::SourceUser => select.filter(C::CreatedBy.eq(actor.user_id.unwrap_or(Uuid::nil()))),
        Role::DepartmentManager => select.filter(
            Condition::any()
                .add(C::DepartmentId.is_in(actor.department_ids.clone()))
                .add(C::AssignedTo.eq(actor.user_id.unwrap_or(Uuid::nil()))),
        ),
        _ => select,
    }
}

/// The list filters both the API and the pages accept (`?status=open,in_progress&overdue=true…`).
pub const FILTERS: &[&str] = &[
    "status",
    "hospital_id",
    "department_id",
    "category_id",
    "severity",
    "priority",
    "source",
    "complaint_type",
    "overdue",
    "assigned_to",
    "received_from",
    "received_to",
];

/// Applies the work list's filters; a bad value is a 400 naming the filter.
pub fn filtered(actor: &Actor, query: &ListQuery, at: DateTime<Utc>) -> AppResult<Select<complaint::Entity>> {
    use complaint::Column as C;
    let mut select = scoped_select(actor);
    let statuses: Vec<&str> = ComplaintStatus::ALL.iter().map(|s| s.as_str()).collect();
    if let Some(v) = query.filter("status") {
        select = select.filter(C::Status.is_in(validate::list_of(v, "status", &statuses)?));
    }
    if let Some(h) = query.uuid_filter("hospital_id")? {
        select = select.filter(C::HospitalId.eq(h));
    }
    if let Some(d) = query.uuid_filter("department_id")? {
        select = select.filter(C::DepartmentId.eq(d));
    }
    if let Some(c) = query.uuid_filter("category_id")? {
        // The category and every category under it (the taxonomy has four levels).
        use complaint_category::Column as K;
        use sea_orm::sea_query::{Expr, ExprTrait, Query};
        let children = |parents: sea_orm::sea_query::SelectStatement| {
            Query::select()
                .column(K::Id)
                .from(complaint_category::Entity)
                .and_where(Expr::col(K::ParentId).in_subquery(parents))
                .to_owned()
        };
        let level1 =
            Query::select().column(K::Id).from(complaint_category::Entity).and_where(Expr::col(K::Id).eq(c)).to_owned();
        let level2 = children(level1.clone());
        let level3 = children(level2.clone());
        let level4 = children(level3.clone());
        select = select.filter(
            Condition::any()
                .add(C::CategoryId.eq(c))
                .add(C::CategoryId.in_subquery(level2))
                .add(C::CategoryId.in_subquery(level3))
                .add(C::CategoryId.in_subquery(level4)),
        );
    }
    let severities: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
    if let Some(v) = query.filter("severity") {
        select = select.filter(C::Severity.is_in(validate::list_of(v, "severity", &severities)?));
    }
    let priorities: Vec<&str> = Priority::ALL.iter().map(|s| s.as_str()).collect();
    if let Some(v) = query.filter("priority") {
        select = select.filter(C::Priority.is_in(validate::list_of(v, "priority", &priorities)?));
    }
    let sources: Vec<&str> = ComplaintSource::ALL.iter().map(|s| s.as_str()).collect();
    if let Some(v) = query.filter("source") {
        select = select.filter(C::Source.is_in(validate::list_of(v, "source", &sources)?));
    }
    let types: Vec<&str> = ComplaintType::ALL.iter().map(|s| s.as_str()).collect();
    if let Some(v) = query.filter("complaint_type") {
        select = select.filter(C::ComplaintType.is_in(validate::list_of(v, "complaint_type", &types)?));
    }
    match query.filter("overdue") {
        None => {}
        // Overdue now, whether or not the 15-minute check has flagged it yet.
        Some("true") => {
            select = select.filter(C::Status.is_in(["open", "in_progress"])).filter(C::DueAt.lt(at));
        }
        Some("false") => {
            select = select.filter(
                Condition::any()
                    .add(C::Status.is_not_in(["open", "in_progress"]))
                    .add(C::DueAt.is_null())
                    .add(C::DueAt.gte(at)),
            );
        }
        Some(_) => return Err(invalid("overdue", "Must be true or false.")),
    }
    match query.filter("assigned_to") {
        None => {}
        Some("me") => select = select.filter(C::AssignedTo.eq(actor.user_id.unwrap_or(Uuid::nil()))),
        Some("none") => select = select.filter(C::AssignedTo.is_null()),
        Some(v) => {
            let id = Uuid::parse_str(v).map_err(|_| invalid("assigned_to", "Must be me, none or a user id."))?;
            select = select.filter(C::AssignedTo.eq(id));
        }
    }
    for (name, after) in [("received_from", true), ("received_to", false)] {
        if let Some(v) = query.filter(name) {
            let day = validate::riyadh_day(v, name)?;
            select = if after {
                select.filter(C::ReceivedAt.gte(day))
            } else {
                select.filter(C::ReceivedAt.lt(day + chrono::Duration::days(1)))
            };
        }
    }
    select = pagination::search(
        select,
        &query.params,
        &[C::ReferenceNumber, C::Title, C::ComplainantName, C::ExternalReference, C::EncounterId],
    );
    pagination::order(
        select,
        &query.params,
        &[
            ("received_at", C::ReceivedAt),
            ("due_at", C::DueAt),
            ("severity", C::Severity),
            ("priority", C::Priority),
            ("status", C::Status),
            ("reference_number", C::ReferenceNumber),
            ("escalation_level", C::EscalationLevel),
        ],
        (C::ReceivedAt, Order::Desc),
    )
}

/// One page of the work list.
pub async fn list(state: &AppState, actor: &Actor, query: &ListQuery) -> AppResult<Page<ComplaintView>> {
    actor.require(state, Permission::ViewComplaints).await?;
    let select = filtered(actor, query, now())?;
    let role = actor.role;
    Ok(pagination::fetch(&state.db, select, &query.params, &query.path).await?.map(|m| ComplaintView::new(m, role)))
}

/// The timeline, oldest first; `public_only` for the patient's tracking page.
pub async fn timeline(
    db: &impl ConnectionTrait,
    id: Uuid,
    public_only: bool,
) -> AppResult<Vec<complaint_update::Model>> {
    let mut select = complaint_update::Entity::find().filter(complaint_update::Column::ComplaintId.eq(id));
    if public_only {
        select = select.filter(complaint_update::Column::IsPublic.eq(true));
    }
    Ok(select
        .order_by_asc(complaint_update::Column::CreatedAt)
        .order_by_asc(complaint_update::Column::Id)
        .all(db)
        .await?)
}

// ---------------------------------------------------------------------------------------------
// Filing

/// A new complaint, inquiry or appreciation. Unknown fields are refused.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintInput {
    /// PX admins: the hospital (else the selected one); others: their own.
    pub hospital_id: Option<Uuid>,
    /// complaint (default), inquiry or appreciation.
    pub complaint_type: Option<String>,
    /// patient, family, staff, survey, social_media, call_center, moh, chi, insurer, other.
    pub source: Option<String>,
    pub external_reference: Option<String>,
    pub parent_complaint_id: Option<Uuid>,
    pub patient_id: Option<Uuid>,
    pub complainant_name: Option<String>,
    pub complainant_phone: Option<String>,
    pub complainant_email: Option<String>,
    pub complainant_relation: Option<String>,
    pub department_id: Option<Uuid>,
    pub encounter_id: Option<String>,
    pub category_id: Option<Uuid>,
    /// The staff member the complaint is about (sets the department when none is given).
    pub staff_id: Option<Uuid>,
    pub title: Option<String>,
    pub description: Option<String>,
    /// ar, en or mixed (default: the description's script).
    pub language: Option<String>,
    pub priority: Option<String>,
    pub severity: Option<String>,
    /// When the complaint reached the hospital; may be in the past (an external platform's
    /// receipt time), never in the future. Default: now.
    pub received_at: Option<DateTime<Utc>>,
    pub harm_level: Option<String>,
    pub stage_of_care: Option<String>,
    /// The day of the visit the complaint is about (not in the future).
    pub visit_date: Option<chrono::NaiveDate>,
}

/// Who is filing: a signed-in user, or the public form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Staff,
    Public,
}

pub const DESCRIPTION_MAX: usize = 5000;
/// The public form's shortest description (spec: 20–5,000 characters).
pub const PUBLIC_DESCRIPTION_MIN: usize = 20;
pub const HARM_LEVELS: &[&str] = &["", "no_harm", "minimal", "moderate", "severe", "death"];
pub const STAGES_OF_CARE: &[&str] =
    &["", "admission", "examination_diagnosis", "care_on_ward", "operation_procedure", "discharge_transfer"];

/// Guesses ar / en / mixed from the letters of a text.
pub fn detect_language(text: &str) -> &'static str {
    let arabic = text.chars().filter(|c| ('\u{0600}'..='\u{06FF}').contains(c)).count();
    let latin = text.chars().filter(|c| c.is_ascii_alphabetic()).count();
    match (arabic, latin) {
        (0, 0) => "ar",
        (a, l) if a > 0 && l > 0 && a.min(l) * 4 >= a.max(l) => "mixed",
        (a, l) if a >= l => "ar",
        _ => "en",
    }
}

fn choice<T: Copy>(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
    default: T,
) -> T {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => default,
        Some(v) => parse(v).unwrap_or_else(|| {
            errors.add(field, format!("\"{v}\" is not a valid choice."));
            default
        }),
    }
}

/// The category if it is visible to the hospital (shared or its own, live and active).
pub async fn category_for(
    db: &impl ConnectionTrait,
    hospital_id: Uuid,
    id: Uuid,
) -> AppResult<Option<complaint_category::Model>> {
    use complaint_category::Column as C;
    Ok(complaint_category::Entity::find_by_id(id)
        .filter(C::DeletedAt.is_null())
        .filter(C::IsActive.eq(true))
        .filter(Condition::any().add(C::HospitalId.is_null()).add(C::HospitalId.eq(hospital_id)))
        .one(db)
        .await?)
}

async fn staff_of(db: &impl ConnectionTrait, hospital_id: Uuid, id: Uuid) -> AppResult<Option<staff::Model>> {
    Ok(staff::Entity::find_by_id(id)
        .filter(staff::Column::HospitalId.eq(hospital_id))
        .filter(staff::Column::DeletedAt.is_null())
        .one(db)
        .await?)
}

/// Files a complaint. Every bad field is reported at once and nothing is written. The SLA is
/// computed from the hospital's settings; the complainant gets an acknowledgement with the
/// reference when a contact is given; with the hospital's `auto_create_action_on_complaint`,
/// a PX Action is created with it.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    input: ComplaintInput,
    origin: Origin,
) -> AppResult<complaint::Model> {
    if origin == Origin::Staff {
        actor.require(state, Permission::CreateComplaints).await?;
    }
    let db = &state.db;
    let mut errors = FieldErrors::new();
    let hospital_id = match origin {
        Origin::Public => match input.hospital_id {
            Some(h) => Some(h),
            None => {
                errors.add("hospital_id", "This field is required.");
                None
            }
        },
        Origin::Staff => errors.collect(hospital_for_write(db, actor, input.hospital_id).await)?,
    };
    let hospital = match hospital_id {
        Some(h) => {
            let found = hospital::Entity::find_by_id(h)
                .filter(hospital::Column::DeletedAt.is_null())
                .filter(hospital::Column::Status.eq("active"))
                .one(db)
                .await?;
            if found.is_none() {
                errors.add("hospital_id", "Invalid pk - object does not exist.");
            }
            found
        }
        None => None,
    };
    let complaint_type = choice(
        &mut errors,
        "complaint_type",
        input.complaint_type.as_deref(),
        ComplaintType::parse,
        ComplaintType::Complaint,
    );
    let source = match input.source.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None if origin == Origin::Public => ComplaintSource::Patient,
        None => {
            errors.add("source", "This field is required.");
            ComplaintSource::Other
        }
        Some(v) => ComplaintSource::parse(v).unwrap_or_else(|| {
            errors.add("source", format!("\"{v}\" is not a valid choice."));
            ComplaintSource::Other
        }),
    };
    if origin == Origin::Public && !matches!(source, ComplaintSource::Patient | ComplaintSource::Family) {
        errors.add("source", "Choose patient or family.");
    }
    let severity = choice(&mut errors, "severity", input.severity.as_deref(), Severity::parse, Severity::Medium);
    let priority = choice(&mut errors, "priority", input.priority.as_deref(), Priority::parse, Priority::Medium);
    let description = input.description.as_deref().map(str::trim).unwrap_or_default().to_owned();
    let min = if origin == Origin::Public { PUBLIC_DESCRIPTION_MIN } else { 1 };
    let length = description.chars().count();
    if description.is_empty() {
        errors.add("description", "This field is required.");
    } else if length < min {
        errors.add("description", format!("Please write at least {min} characters."));
    } else if length > DESCRIPTION_MAX {
        errors.add("description", format!("Ensure this field has no more than {DESCRIPTION_MAX} characters."));
    }
    let title = match input.title.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) if t.chars().count() > 300 => {
            errors.add("title", "Ensure this field has no more than 300 characters.");
            String::new()
        }
        Some(t) => t.to_owned(),
        // The public form has no title: the description's first words stand in.
        None if origin == Origin::Public || !description.is_empty() => {
            let words: String = description.split_whitespace().collect::<Vec<_>>().join(" ");
            let short: String = words.chars().take(80).collect();
            if words.chars().count() > 80 { format!("{short}…") } else { short }
        }
        None => {
            errors.add("title", "This field is required.");
            String::new()
        }
    };
    let language = match input.language.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        None => detect_language(&description).to_owned(),
        Some(l) if ["ar", "en", "mixed"].contains(&l) => l.to_owned(),
        Some(l) => {
            errors.add("language", format!("\"{l}\" is not a valid choice."));
            String::new()
        }
    };
    let name = validate::optional(&mut errors, "complainant_name", input.complainant_name.as_deref(), 200);
    let phone = validate::optional(&mut errors, "complainant_phone", input.complainant_phone.as_deref(), 20);
    // Stored as the SMS address (+966…), the form the notifications use.
    let phone = match validate::normalize_digits(&phone) {
        p if p.is_empty() => p,
        p => crate::domains::notifications::rules::normalize_address("sms", &p).unwrap_or_else(|_| {
            errors.add("complainant_phone", "Enter a valid phone number, e.g. +9665XXXXXXXX or 05XXXXXXXX.");
            p
        }),
    };
    let email = match input.complainant_email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        None => String::new(),
        Some(_) => validate::email(&mut errors, "complainant_email", input.complainant_email.as_deref()),
    };
    let relation = validate::optional(&mut errors, "complainant_relation", input.complainant_relation.as_deref(), 50);
    let external_reference =
        validate::optional(&mut errors, "external_reference", input.external_reference.as_deref(), 100);
    let encounter_id = validate::optional(&mut errors, "encounter_id", input.encounter_id.as_deref(), 100);
    let harm_level = validate::choice(&mut errors, "harm_level", input.harm_level.as_deref(), HARM_LEVELS, "");
    let stage_of_care =
        validate::choice(&mut errors, "stage_of_care", input.stage_of_care.as_deref(), STAGES_OF_CARE, "");
    let at = now();
    let today = at.with_timezone(&super::calendar::riyadh()).date_naive();
    if input.visit_date.is_some_and(|d| d > today) {
        errors.add("visit_date", "The visit date cannot be in the future.");
    }
    let received_at = match workflow::received_at(input.received_at, at) {
        Ok(r) => r,
        Err(why) => {
            errors.add("received_at", why);
            at
        }
    };

    // References inside the hospital; another hospital's row answers like an unknown one.
    let mut department_id = input.department_id;
    if let Some(h) = &hospital {
        crate::domains::organizations::service::check_department(db, &mut errors, "department_id", h.id, department_id)
            .await?;
        if let Some(c) = input.category_id {
            match category_for(db, h.id, c).await? {
                Some(_) => {}
                None => errors.add("category_id", "Invalid pk - object does not exist."),
            }
        }
        if let Some(s) = input.staff_id {
            match staff_of(db, h.id, s).await? {
                Some(st) => department_id = department_id.or(st.department_id),
                None => errors.add("staff_id", "Invalid pk - object does not exist."),
            }
        }
        if let Some(p) = input.patient_id {
            let found = patient::Entity::find_by_id(p)
                .filter(patient::Column::HospitalId.eq(h.id))
                .filter(patient::Column::DeletedAt.is_null())
                .one(db)
                .await?;
            if found.is_none() {
                errors.add("patient_id", "Invalid pk - object does not exist.");
            }
        }
        if let Some(parent) = input.parent_complaint_id {
            let found = complaint::Entity::find_by_id(parent)
                .filter(complaint::Column::HospitalId.eq(h.id))
                .filter(complaint::Column::DeletedAt.is_null())
                .one(db)
                .await?;
            if found.is_none() {
                errors.add("parent_complaint_id", "Invalid pk - object does not exist.");
            }
        }
    }
    errors.into_result()?;
    let Some(hospital) = hospital else { return Err(invalid("hospital_id", "This field is required.")) };

    let sla = if complaint_type.has_sla() {
        let ctx = sla_context(db, hospital.id, AppliesTo::Complaint).await?;
        Some(sla::complaint_sla(&ctx.configs, source, severity, priority, received_at, &ctx.calendar))
    } else {
        None
    };
    let id = Uuid::now_v7();
    let created_by = if origin == Origin::Public { None } else { actor.user_id };
    let row = complaint::ActiveModel {
        id: Set(id),
        hospital_id: Set(hospital.id),
        reference_number: Set(fresh_reference(db, complaint_type.prefix(), at).await?),
        complaint_type: Set(complaint_type.as_str().to_owned()),
        source: Set(source.as_str().to_owned()),
        source_type: Set(source.source_type().as_str().to_owned()),
        external_reference: Set(external_reference),
        parent_complaint_id: Set(input.parent_complaint_id),
        patient_id: Set(input.patient_id),
        complainant_name: Set(name),
        complainant_phone: Set(phone),
        complainant_email: Set(email),
        complainant_relation: Set(relation),
        department_id: Set(department_id),
        encounter_id: Set(encounter_id),
        category_id: Set(input.category_id),
        staff_id: Set(input.staff_id),
        title: Set(title),
        description: Set(description),
        language: Set(language),
        priority: Set(priority.as_str().to_owned()),
        severity: Set(severity.as_str().to_owned()),
        status: Set(ComplaintStatus::Open.as_str().to_owned()),
        status_changed_at: Set(None),
        assigned_to: Set(None),
        assigned_at: Set(None),
        received_at: Set(received_at),
        sla_config_id: Set(None),
        clock_mode: Set(sla.map_or(ClockMode::CalendarHours, |p| p.rule.clock_mode).as_str().to_owned()),
        due_at: Set(sla.map(|p| p.times.due_at)),
        first_reminder_at: Set(sla.and_then(|p| p.times.first_reminder_at)),
        second_reminder_at: Set(sla.and_then(|p| p.times.second_reminder_at)),
        first_reminder_sent_at: Set(None),
        second_reminder_sent_at: Set(None),
        escalation_at: Set(sla.and_then(|p| p.times.escalation_at)),
        is_overdue: Set(false),
        escalation_level: Set(0),
        escalated_at: Set(None),
        resolution: Set(String::new()),
        resolution_category: Set(None),
        resolved_by: Set(None),
        resolved_at: Set(None),
        closed_by: Set(None),
        closed_at: Set(None),
        cancelled_by: Set(None),
        cancelled_at: Set(None),
        harm_level: Set(harm_level),
        stage_of_care: Set(stage_of_care),
        metadata: Set(serde_json::json!({
            "sla_basis": sla.map(|p| format!("{:?}", p.basis)),
            "origin": if origin == Origin::Public { "public_form" } else { "staff" },
            "visit_date": input.visit_date,
        })),
        created_by: Set(created_by),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
    };

    let txn = state.db.begin().await?;
    let saved = row.insert(&txn).await?;
    add_update(
        &txn,
        &saved,
        created_by,
        "created",
        None,
        Some(ComplaintStatus::Open.as_str()),
        "",
        true,
        serde_json::json!({"source": saved.source, "origin": if origin == Origin::Public { "public_form" } else { "staff" }}),
    )
    .await?;
    record(
        &txn,
        actor,
        Entry::new("complaint_created", "complaint", saved.id).hospital(Some(saved.hospital_id)).details(
            serde_json::json!({"reference_number": saved.reference_number, "source": saved.source, "type": saved.complaint_type}),
        ),
    )
    .await?;
    let mut woke = false;
    if !saved.complainant_phone.is_empty() || !saved.complainant_email.is_empty() || saved.patient_id.is_some() {
        woke |= super::notify::complainant(&txn, &state.config, &saved, "complaint_acknowledgement").await?;
    }
    if hospital.auto_create_action_on_complaint && complaint_type == ComplaintType::Complaint {
        super::actions::create_for_complaint(&txn, actor, &saved, true).await?;
    }
    txn.commit().await?;
    if woke {
        state.waker.wake(crate::jobs::Queue::Notifications);
    }
    Ok(saved)
}

/// A reference number not used yet (30 random bits a day make a clash rare; it is retried).
pub async fn fresh_reference(
    db: &impl ConnectionTrait,
    prefix: workflow::RefPrefix,
    at: DateTime<Utc>,
) -> AppResult<String> {
    use sea_orm::PaginatorTrait;
    for _ in 0..8 {
        let candidate = workflow::new_reference_number(prefix, at);
        let taken = if prefix == workflow::RefPrefix::Act {
            super::model::px_action::Entity::find()
                .filter(super::model::px_action::Column::ReferenceNumber.eq(&candidate))
                .count(db)
                .await?
        } else {
            complaint::Entity::find().filter(complaint::Column::ReferenceNumber.eq(&candidate)).count(db).await?
        };
        if taken == 0 {
            return Ok(candidate);
        }
    }
    Err(AppError::Unexpected(anyhow::anyhow!("no free {} reference number", prefix.as_str())))
}

/// Writes one timeline row.
#[allow(clippy::too_many_arguments)]
pub async fn add_update(
    txn: &impl ConnectionTrait,
    c: &complaint::Model,
    by: Option<Uuid>,
    update_type: &str,
    old_status: Option<&str>,
    new_status: Option<&str>,
    message: &str,
    is_public: bool,
    details: serde_json::Value,
) -> AppResult<complaint_update::Model> {
    Ok(complaint_update::ActiveModel {
        id: Set(Uuid::now_v7()),
        complaint_id: Set(c.id),
        hospital_id: Set(c.hospital_id),
        update_type: Set(update_type.to_owned()),
        old_status: Set(old_status.map(str::to_owned)),
        new_status: Set(new_status.map(str::to_owned)),
        message: Set(message.to_owned()),
        is_public: Set(is_public),
        details: Set(details),
        created_by: Set(by),
        created_at: Set(now()),
    }
    .insert(txn)
    .await?)
}

// ---------------------------------------------------------------------------------------------
// Changing

/// Fields a handler may change. Severity, priority or source changes recompute the SLA while the
/// complaint is open or in progress (logged `sla_recalculated`).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub severity: Option<String>,
    pub priority: Option<String>,
    pub source: Option<String>,
    pub department_id: Option<Uuid>,
    pub category_id: Option<Uuid>,
    pub external_reference: Option<String>,
    pub harm_level: Option<String>,
    pub stage_of_care: Option<String>,
}

/// Locks the complaint row for a change (PostgreSQL row lock; SQLite's writer lock is taken by
/// the first write of the transaction).
async fn lock(txn: &DatabaseTransaction, id: Uuid) -> AppResult<complaint::Model> {
    use sea_orm::QuerySelect;
    let mut select = complaint::Entity::find_by_id(id).filter(complaint::Column::DeletedAt.is_null());
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        select = select.lock_exclusive();
    }
    select.one(txn).await?.ok_or(not_found("complaint"))
}

fn final_refused(c: &complaint::Model) -> AppResult<()> {
    if ComplaintStatus::parse(&c.status).is_some_and(|s| s.is_final()) {
        return Err(AppError::Conflict(
            "complaint_final",
            format!("The complaint is {}; follow-ups are new complaints.", c.status),
        ));
    }
    Ok(())
}

pub async fn update(state: &AppState, actor: &Actor, id: Uuid, patch: ComplaintPatch) -> AppResult<complaint::Model> {
    actor.require(state, Permission::HandleComplaints).await?;
    let current = visible(state, actor, id).await?;
    final_refused(&current)?;
    let db = &state.db;
    let mut errors = FieldErrors::new();
    let mut changes = serde_json::Map::new();
    let mut row: complaint::ActiveModel = current.clone().into();
    if let Some(t) = patch.title.as_deref() {
        let t = validate::required(&mut errors, "title", Some(t), 300);
        if t != current.title {
            changes.insert("title".into(), serde_json::json!(true));
            row.title = Set(t);
        }
    }
    if let Some(d) = patch.description.as_deref() {
        let d = d.trim();
        if d.is_empty() {
            errors.add("description", "This field may not be blank.");
        } else if d.chars().count() > DESCRIPTION_MAX {
            errors.add("description", format!("Ensure this field has no more than {DESCRIPTION_MAX} characters."));
        } else if d != current.description {
            changes.insert("description".into(), serde_json::json!(true));
            row.description = Set(d.to_owned());
        }
    }
    let severity = match patch.severity.as_deref() {
        None => Severity::parse(&current.severity).unwrap_or(Severity::Medium),
        Some(v) => Severity::parse(v.trim()).unwrap_or_else(|| {
            errors.add("severity", format!("\"{v}\" is not a valid choice."));
            Severity::Medium
        }),
    };
    let priority = match patch.priority.as_deref() {
        None => Priority::parse(&current.priority).unwrap_or(Priority::Medium),
        Some(v) => Priority::parse(v.trim()).unwrap_or_else(|| {
            errors.add("priority", format!("\"{v}\" is not a valid choice."));
            Priority::Medium
        }),
    };
    let source = match patch.source.as_deref() {
        None => ComplaintSource::parse(&current.source).unwrap_or(ComplaintSource::Other),
        Some(v) => ComplaintSource::parse(v.trim()).unwrap_or_else(|| {
            errors.add("source", format!("\"{v}\" is not a valid choice."));
            ComplaintSource::Other
        }),
    };
    if patch.department_id.is_some() {
        crate::domains::organizations::service::check_department(
            db,
            &mut errors,
            "department_id",
            current.hospital_id,
            patch.department_id,
        )
        .await?;
    }
    if let Some(c) = patch.category_id
        && category_for(db, current.hospital_id, c).await?.is_none()
    {
        errors.add("category_id", "Invalid pk - object does not exist.");
    }
    if let Some(v) = patch.external_reference.as_deref() {
        let value = validate::optional(&mut errors, "external_reference", Some(v), 100);
        if value != current.external_reference {
            changes.insert("external_reference".into(), serde_json::json!(value));
            row.external_reference = Set(value);
        }
    }
    if let Some(v) = patch.harm_level.as_deref() {
        let value = validate::choice(&mut errors, "harm_level", Some(v), HARM_LEVELS, "");
        if value != current.harm_level {
            changes.insert("harm_level".into(), serde_json::json!(value));
            row.harm_level = Set(value);
        }
    }
    if let Some(v) = patch.stage_of_care.as_deref() {
        let value = validate::choice(&mut errors, "stage_of_care", Some(v), STAGES_OF_CARE, "");
        if value != current.stage_of_care {
            changes.insert("stage_of_care".into(), serde_json::json!(value));
            row.stage_of_care = Set(value);
        }
    }
    errors.into_result()?;
    if let Some(d) = patch.department_id
        && Some(d) != current.department_id
    {
        changes.insert("department_id".into(), serde_json::json!(d));
        row.department_id = Set(Some(d));
    }
    if let Some(c) = patch.category_id
        && Some(c) != current.category_id
    {
        changes.insert("category_id".into(), serde_json::json!(c));
        row.category_id = Set(Some(c));
    }
    let sla_inputs_changed = severity.as_str() != current.severity
        || priority.as_str() != current.priority
        || source.as_str() != current.source;
    if sla_inputs_changed {
        row.severity = Set(severity.as_str().to_owned());
        row.priority = Set(priority.as_str().to_owned());
        row.source = Set(source.as_str().to_owned());
        row.source_type = Set(source.source_type().as_str().to_owned());
    }
    let running = ComplaintStatus::parse(&current.status).is_some_and(|s| s.sla_running());
    let has_sla = ComplaintType::parse(&current.complaint_type).is_some_and(|t| t.has_sla());
    let mut recalculated = None;
    if sla_inputs_changed && running && has_sla {
        let ctx = sla_context(db, current.hospital_id, AppliesTo::Complaint).await?;
        let plan = sla::complaint_sla(&ctx.configs, source, severity, priority, current.received_at, &ctx.calendar);
        row.clock_mode = Set(plan.rule.clock_mode.as_str().to_owned());
        row.due_at = Set(Some(plan.times.due_at));
        row.first_reminder_at = Set(plan.times.first_reminder_at);
        row.second_reminder_at = Set(plan.times.second_reminder_at);
        row.escalation_at = Set(plan.times.escalation_at);
        row.is_overdue = Set(sla::is_overdue(true, Some(plan.times.due_at), now()));
        recalculated = Some(serde_json::json!({
            "old_due_at": current.due_at, "new_due_at": plan.times.due_at, "basis": format!("{:?}", plan.basis),
            "severity": severity.as_str(), "priority": priority.as_str(), "source": source.as_str(),
        }));
    }
    if sla_inputs_changed {
        changes.insert("severity".into(), serde_json::json!(severity.as_str()));
        changes.insert("priority".into(), serde_json::json!(priority.as_str()));
        changes.insert("source".into(), serde_json::json!(source.as_str()));
    }
    if changes.is_empty() && recalculated.is_none() {
        return Ok(current);
    }
    row.updated_at = Set(now());
    let txn = state.db.begin().await?;
    let locked = lock(&txn, id).await?;
    final_refused(&locked)?;
    if locked.status != current.status {
        return Err(AppError::Conflict(
            "complaint_changed",
            "The complaint changed while you were editing it; reload it and try again.".into(),
        ));
    }
    let saved = row.update(&txn).await?;
    add_update(
        &txn,
        &saved,
        actor.user_id,
        "edited",
        None,
        None,
        "",
        false,
        serde_json::Value::Object(changes.clone()),
    )
    .await?;
    if let Some(details) = recalculated {
        add_update(&txn, &saved, actor.user_id, "sla_recalculated", None, None, "", false, details).await?;
    }
    record(
        &txn,
        actor,
        Entry::new("complaint_updated", "complaint", saved.id)
            .hospital(Some(saved.hospital_id))
            .details(serde_json::Value::Object(changes)),
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Who may be given a complaint: an active user of its hospital (or a PX admin) whose role
/// handles complaints.
pub async fn check_assignee(
    db: &impl ConnectionTrait,
    hospital_id: Uuid,
    user_id: Uuid,
) -> AppResult<Option<user::Model>> {
    let found = user::Entity::find_by_id(user_id).filter(user::Column::IsActive.eq(true)).one(db).await?;
    Ok(found.filter(|u| {
        let role = Role::parse(&u.role);
        let in_hospital = u.hospital_id == Some(hospital_id) || role == Some(Role::PxAdmin);
        in_hospital && role.is_some_and(|r| r.may(Permission::HandleComplaints))
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignInput {
    /// The user who will handle the complaint.
    pub user_id: Option<Uuid>,
    /// An optional internal note.
    pub note: Option<String>,
}

/// Assigns the handler (PX and hospital admins; other handlers may take a complaint themselves).
/// An open complaint moves to in_progress; the assignee is notified.
pub async fn assign(state: &AppState, actor: &Actor, id: Uuid, input: AssignInput) -> AppResult<complaint::Model> {
    actor.require(state, Permission::HandleComplaints).await?;
    let current = visible(state, actor, id).await?;
    let Some(user_id) = input.user_id else { return Err(invalid("user_id", "This field is required.")) };
    if !actor.role.may(Permission::AssignComplaints) && Some(user_id) != actor.user_id {
        return Err(AppError::Forbidden(
            "Only PX and hospital admins assign complaints to others; you may assign it to yourself.".into(),
        ));
    }
    final_refused(&current)?;
    let note = input.note.as_deref().map(str::trim).unwrap_or_default().chars().take(2000).collect::<String>();
    let Some(assignee) = check_assignee(&state.db, current.hospital_id, user_id).await? else {
        return Err(invalid("user_id", "Choose an active complaint handler of this hospital."));
    };
    let txn = state.db.begin().await?;
    let current = lock(&txn, id).await?;
    final_refused(&current)?;
    let at = now();
    let old_status = current.status.clone();
    let mut row: complaint::ActiveModel = current.clone().into();
    row.assigned_to = Set(Some(user_id));
    row.assigned_at = Set(Some(at));
    let moved = current.status == ComplaintStatus::Open.as_str();
    if moved {
        row.status = Set(ComplaintStatus::InProgress.as_str().to_owned());
        row.status_changed_at = Set(Some(at));
    }
    row.updated_at = Set(at);
    let saved = row.update(&txn).await?;
    add_update(
        &txn,
        &saved,
        actor.user_id,
        "assignment",
        None,
        None,
        &note,
        false,
        serde_json::json!({"from": current.assigned_to, "to": user_id}),
    )
    .await?;
    if moved {
        add_update(
            &txn,
            &saved,
            actor.user_id,
            "status",
            Some(&old_status),
            Some("in_progress"),
            "",
            true,
            serde_json::json!({}),
        )
        .await?;
    }
    record(
        &txn,
        actor,
        Entry::new("complaint_assigned", "complaint", saved.id)
            .hospital(Some(saved.hospital_id))
            .details(serde_json::json!({"from": current.assigned_to, "to": user_id})),
    )
    .await?;
    let woke = super::notify::user(
        &txn,
        &state.config,
        &assignee,
        saved.hospital_id,
        "complaint_assigned",
        &complaint_vars(&state.config, &saved),
    )
    .await?;
    txn.commit().await?;
    if woke {
        state.waker.wake(crate::jobs::Queue::Notifications);
    }
    Ok(saved)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignStaffInput {
    /// The staff member the complaint is about; sets the department.
    pub staff_id: Option<Uuid>,
}

/// Sets the subject staff member (PX and hospital admins).
pub async fn assign_staff(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    input: AssignStaffInput,
) -> AppResult<complaint::Model> {
    actor.require(state, Permission::AssignComplaints).await?;
    let current = visible(state, actor, id).await?;
    let Some(staff_id) = input.staff_id else { return Err(invalid("staff_id", "This field is required.")) };
    final_refused(&current)?;
    let Some(member) = staff_of(&state.db, current.hospital_id, staff_id).await? else {
        return Err(invalid("staff_id", "Invalid pk - object does not exist."));
    };
    let txn = state.db.begin().await?;
    let current = lock(&txn, id).await?;
    let mut row: complaint::ActiveModel = current.clone().into();
    row.staff_id = Set(Some(member.id));
    if member.department_id.is_some() {
        row.department_id = Set(member.department_id);
    }
    row.updated_at = Set(now());
    let saved = row.update(&txn).await?;
    add_update(
        &txn,
        &saved,
        actor.user_id,
        "staff_assigned",
        None,
        None,
        "",
        false,
        serde_json::json!({"staff_id": member.id}),
    )
    .await?;
    record(
        &txn,
        actor,
        Entry::new("complaint_staff_assigned", "complaint", saved.id)
            .hospital(Some(saved.hospital_id))
            .details(serde_json::json!({"staff_id": member.id})),
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionInput {
    /// in_progress, resolved, closed or cancelled.
    pub status: Option<String>,
    /// Required to resolve and to close.
    pub resolution: Option<String>,
    /// full_action_taken, partial_action_taken, no_action_needed, cannot_resolve, patient_withdrawn
    /// (required to resolve).
    pub resolution_category: Option<String>,
    /// Required to reopen (resolved → in_progress) and to cancel.
    pub reason: Option<String>,
    /// A message the patient sees on the tracking page with this change (optional).
    pub public_message: Option<String>,
    /// Sets the category with the move (resolving needs one at level 3 or 4).
    pub category_id: Option<Uuid>,
}

/// A refused status move as the HTTP edge answers it: 409 with the allowed next statuses, 403,
/// or 400 naming each missing input.
pub(super) fn transition_error(e: TransitionError) -> AppError {
    match e {
        TransitionError::NotAllowed { .. } => AppError::Conflict("invalid_transition", e.to_string()),
        TransitionError::Forbidden { .. } | TransitionError::OwnWork => AppError::Forbidden(e.to_string()),
        TransitionError::Missing(missing) => {
            let mut errors = FieldErrors::new();
            for m in missing {
                errors.add(m.field(), m.message());
            }
            AppError::Validation(errors)
        }
    }
}

/// Moves a complaint to another status (spec §8 Transitions). A move the workflow lacks is a 409
/// naming the allowed next statuses; a missing input a 400 naming each field.
pub async fn transition(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    input: TransitionInput,
) -> AppResult<complaint::Model> {
    actor.require(state, Permission::HandleComplaints).await?;
    let current = visible(state, actor, id).await?;
    let Some(raw) = input.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
        return Err(invalid("status", "This field is required."));
    };
    let Some(to) = ComplaintStatus::parse(raw) else {
        return Err(invalid("status", format!("\"{raw}\" is not a valid choice.")));
    };
    let resolution_category = match input.resolution_category.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(v) => Some(
            ResolutionCategory::parse(v)
                .ok_or_else(|| invalid("resolution_category", format!("\"{v}\" is not a valid choice.")))?,
        ),
    };
    let resolution =
        input.resolution.as_deref().map(str::trim).unwrap_or_default().chars().take(5000).collect::<String>();
    let reason = input.reason.as_deref().map(str::trim).unwrap_or_default().chars().take(2000).collect::<String>();
    let public_message =
        input.public_message.as_deref().map(str::trim).unwrap_or_default().chars().take(2000).collect::<String>();
    let new_category = match input.category_id {
        Some(c) => Some(
            category_for(&state.db, current.hospital_id, c)
                .await?
                .ok_or_else(|| invalid("category_id", "Invalid pk - object does not exist."))?,
        ),
        None => None,
    };

    let txn = state.db.begin().await?;
    let current = lock(&txn, id).await?;
    let category_level = match (&new_category, current.category_id) {
        (Some(c), _) => u8::try_from(c.level).ok(),
        (None, Some(c)) => category_for(&txn, current.hospital_id, c).await?.and_then(|c| u8::try_from(c.level).ok()),
        (None, None) => None,
    };
    let from = ComplaintStatus::parse(&current.status)
        .ok_or_else(|| anyhow::anyhow!("complaint {} has unknown status {}", current.id, current.status))?;
    // Closing keeps the resolution given at resolve time unless a new one is given.
    let effective_resolution = if resolution.is_empty() && to == ComplaintStatus::Closed {
        current.resolution.clone()
    } else {
        resolution.clone()
    };
    let change =
        ComplaintChange { resolution: &effective_resolution, resolution_category, category_level, reason: &reason };
    workflow::check_complaint_transition(from, to, actor.role, &change).map_err(transition_error)?;
    let at = now();
    let mut row: complaint::ActiveModel = current.clone().into();
    row.status = Set(to.as_str().to_owned());
    row.status_changed_at = Set(Some(at));
    row.updated_at = Set(at);
    if let Some(c) = &new_category {
        row.category_id = Set(Some(c.id));
    }
    match to {
        ComplaintStatus::Resolved => {
            row.resolution = Set(resolution.clone());
            row.resolution_category = Set(resolution_category.map(|r| r.as_str().to_owned()));
            row.resolved_by = Set(actor.user_id);
            row.resolved_at = Set(Some(at));
            row.is_overdue = Set(false);
        }
        ComplaintStatus::Closed => {
            row.resolution = Set(effective_resolution.clone());
            row.closed_by = Set(actor.user_id);
            row.closed_at = Set(Some(at));
            row.is_overdue = Set(false);
        }
        ComplaintStatus::Cancelled => {
            row.cancelled_by = Set(actor.user_id);
            row.cancelled_at = Set(Some(at));
            row.is_overdue = Set(false);
        }
        ComplaintStatus::InProgress if from == ComplaintStatus::Resolved => {
            // Reopened: the SLA clock runs again against the same due date.
            row.is_overdue = Set(sla::is_overdue(true, current.due_at, at));
        }
        _ => {}
    }
    let saved = row.update(&txn).await?;
    let details = serde_json::json!({
        "reason": (!reason.is_empty()).then_some(&reason),
        "resolution_category": resolution_category.map(|r| r.as_str()),
    });
    // The patient sees the move and only the message written for them (never the internal
    // resolution text or reason).
    let message = public_message.clone();
    add_update(
        &txn,
        &saved,
        actor.user_id,
        "status",
        Some(from.as_str()),
        Some(to.as_str()),
        &message,
        true,
        details.clone(),
    )
    .await?;
    if !reason.is_empty() {
        add_update(
            &txn,
            &saved,
            actor.user_id,
            "note",
            None,
            None,
            &reason,
            false,
            serde_json::json!({"kind": "reason"}),
        )
        .await?;
    }
    record(
        &txn,
        actor,
        Entry::new("complaint_status_changed", "complaint", saved.id)
            .hospital(Some(saved.hospital_id))
            .details(serde_json::json!({"from": from.as_str(), "to": to.as_str(), "details": details})),
    )
    .await?;
    let mut woke = false;
    if to == ComplaintStatus::Closed {
        woke |= super::notify::complainant(&txn, &state.config, &saved, "complaint_closed").await?;
        woke |= crate::domains::surveys::delivery::resolution_survey(state, &txn, &saved).await?;
    }
    txn.commit().await?;
    if woke {
        state.waker.wake(crate::jobs::Queue::Notifications);
    }
    Ok(saved)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteInput {
    pub message: Option<String>,
    /// Shown to the patient on the tracking page (default false: an internal note).
    pub is_public: Option<bool>,
}

/// Adds a note to the timeline: internal, or an update the patient may see.
pub async fn add_note(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    input: NoteInput,
) -> AppResult<complaint_update::Model> {
    actor.require(state, Permission::HandleComplaints).await?;
    let current = visible(state, actor, id).await?;
    let mut errors = FieldErrors::new();
    let message = validate::required(&mut errors, "message", input.message.as_deref(), 5000);
    errors.into_result()?;
    let is_public = input.is_public.unwrap_or(false);
    let txn = state.db.begin().await?;
    let saved =
        add_update(&txn, &current, actor.user_id, "note", None, None, &message, is_public, serde_json::json!({}))
            .await?;
    record(
        &txn,
        actor,
        Entry::new("complaint_note_added", "complaint", current.id)
            .hospital(Some(current.hospital_id))
            .details(serde_json::json!({"public": is_public})),
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// The values complaint notification templates use.
pub fn complaint_vars(config: &crate::config::Config, c: &complaint::Model) -> BTreeMap<String, String> {
    let base = config.notifications.public_base_url.trim_end_matches('/');
    let mut vars = BTreeMap::new();
    vars.insert("reference".into(), c.reference_number.clone());
    vars.insert("title".into(), c.title.clone());
    vars.insert("status".into(), c.status.clone());
    vars.insert("due_at".into(), c.due_at.map(crate::i18n::riyadh_time).unwrap_or_else(|| "—".into()));
    vars.insert("url".into(), format!("{base}/complaints/{}/", c.id));
    vars.insert("tracking_url".into(), format!("{base}/complaints/public/track/?reference={}", c.reference_number));
    vars.insert("level".into(), c.escalation_level.to_string());
    vars
}

/// The department's manager (a user), if any.
pub async fn department_manager(
    db: &impl ConnectionTrait,
    department_id: Option<Uuid>,
) -> AppResult<Option<user::Model>> {
    let Some(d) = department_id else { return Ok(None) };
    let Some(dept) = department::Entity::find_by_id(d).one(db).await? else { return Ok(None) };
    let Some(m) = dept.manager_id else { return Ok(None) };
    Ok(user::Entity::find_by_id(m).filter(user::Column::IsActive.eq(true)).one(db).await?)
}
