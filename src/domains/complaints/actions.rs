//! The PX Action Center: improvement actions created by hand, from a complaint (the link kept both
//! ways), or by other modules through [`create_auto`] (negative survey, low call rating, negative
//! social post, KPI decline — at most one per source object); the approval workflow, assignment,
//! notes and the action log. SLA and escalation come from the same engine as complaints.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, Order, PaginatorTrait,
    QueryFilter, QueryOrder, Select, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::calendar::WorkingCalendar;
use super::model::{complaint, px_action, px_action_attachment, px_action_log};
use super::service::{add_update, check_assignee, sla_context, transition_error};
use super::sla::{self, AppliesTo, Priority, Severity, SlaConfig};
use super::workflow::{self, ActionChange, ActionStatus, RefPrefix};
use crate::app::AppState;
use crate::auth::{Actor, Permission, Role};
use crate::crud::ListQuery;
use crate::domains::audit::service::{Entry, record};
use crate::domains::organizations::service::{hospital_for_write, now};
use crate::error::{AppError, AppResult, FieldErrors, invalid, not_found};
use crate::http::{Page, pagination, validate};

/// Where an action came from (spec §9).
pub const SOURCE_TYPES: &[&str] =
    &["survey", "complaint", "complaint_resolution", "social_media", "call_center", "kpi", "observation", "manual"];

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActionView {
    pub id: Uuid,
    pub hospital_id: Uuid,
    pub reference_number: String,
    pub source_type: String,
    pub source_id: Option<Uuid>,
    pub title: String,
    pub description: String,
    pub department_id: Option<Uuid>,
    pub category: String,
    pub priority: String,
    pub severity: String,
    pub status: String,
    pub status_changed_at: Option<DateTime<Utc>>,
    pub assigned_to: Option<Uuid>,
    pub assigned_at: Option<DateTime<Utc>>,
    pub auto_created: bool,
    pub requires_approval: bool,
    pub due_at: Option<DateTime<Utc>>,
    pub reminder_at: Option<DateTime<Utc>>,
    pub is_overdue: bool,
    pub escalation_level: i32,
    pub resolution_notes: String,
    pub submitted_at: Option<DateTime<Utc>>,
    pub approved_by: Option<Uuid>,
    pub approved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The statuses this action may move to next.
    pub allowed_next: Vec<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl From<px_action::Model> for ActionView {
    fn from(m: px_action::Model) -> Self {
        let allowed_next = ActionStatus::parse(&m.status)
            .map(|s| s.next(m.requires_approval).iter().map(|n| n.as_str().to_owned()).collect())
            .unwrap_or_default();
        ActionView {
            id: m.id,
            hospital_id: m.hospital_id,
            reference_number: m.reference_number,
            source_type: m.source_type,
            source_id: m.source_id,
            title: m.title,
            description: m.description,
            department_id: m.department_id,
            category: m.category,
            priority: m.priority,
            severity: m.severity,
            status: m.status,
            status_changed_at: m.status_changed_at,
            assigned_to: m.assigned_to,
            assigned_at: m.assigned_at,
            auto_created: m.auto_created,
            requires_approval: m.requires_approval,
            due_at: m.due_at,
            reminder_at: m.reminder_at,
            is_overdue: m.is_overdue,
            escalation_level: m.escalation_level,
            resolution_notes: m.resolution_notes,
            submitted_at: m.submitted_at,
            approved_by: m.approved_by,
            approved_at: m.approved_at,
            closed_at: m.closed_at,
            allowed_next,
            created_by: m.created_by,
            created_at: m.created_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LogView {
    pub id: Uuid,
    pub log_type: String,
    pub old_status: Option<String>,
    pub new_status: Option<String>,
    pub message: String,
    pub details: serde_json::Value,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl From<px_action_log::Model> for LogView {
    fn from(m: px_action_log::Model) -> Self {
        LogView {
            id: m.id,
            log_type: m.log_type,
            old_status: m.old_status,
            new_status: m.new_status,
            message: m.message,
            details: m.details,
            created_by: m.created_by,
            created_at: m.created_at,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Actions are seen by the complaint roles except source users.
fn may_view(actor: &Actor) -> bool {
    actor.role.may(Permission::ViewComplaints) && actor.role != Role::SourceUser
}

pub fn sees(actor: &Actor, a: &px_action::Model) -> bool {
    if !may_view(actor) || !actor.sees_hospital(a.hospital_id) {
        return false;
    }
    match actor.role {
        Role::DepartmentManager => {
            a.department_id.is_some_and(|d| actor.department_ids.contains(&d))
                || (actor.user_id.is_some() && a.assigned_to == actor.user_id)
        }
        _ => true,
    }
}

pub async fn visible(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<px_action::Model> {
    actor.require(state, Permission::ViewComplaints).await?;
    let found = px_action::Entity::find_by_id(id)
        .filter(px_action::Column::DeletedAt.is_null())
        .one(&state.db)
        .await?
        .ok_or(not_found("action"))?;
    if sees(actor, &found) { Ok(found) } else { Err(not_found("action")) }
}

pub fn scoped_select(actor: &Actor) -> Select<px_action::Entity> {
    use px_action::Column as C;
    let select = actor.scoped(px_action::Entity::find().filter(C::DeletedAt.is_null()), C::HospitalId);
    match actor.role {
        Role::SourceUser => select.filter(C::Id.eq(Uuid::nil())),
        Role::DepartmentManager => select.filter(
            Condition::any()
                .add(C::DepartmentId.is_in(actor.department_ids.clone()))
                .add(C::AssignedTo.eq(actor.user_id.unwrap_or(Uuid::nil()))),
        ),
        _ => select,
    }
}

pub const FILTERS: &[&str] = &[
    "status",
    "hospital_id",
    "department_id",
    "severity",
    "priority",
    "source_type",
    "overdue",
    "assigned_to",
    "source_id",
    "created_from",
    "created_to",
];

pub fn filtered(actor: &Actor, query: &ListQuery, at: DateTime<Utc>) -> AppResult<Select<px_action::Entity>> {
    use px_action::Column as C;
    let mut select = scoped_select(actor);
    let statuses: Vec<&str> = ActionStatus::ALL.iter().map(|s| s.as_str()).collect();
    if let Some(v) = query.filter("status") {
        select = select.filter(C::Status.is_in(validate::list_of(v, "status", &statuses)?));
    }
    if let Some(h) = query.uuid_filter("hospital_id")? {
        select = select.filter(C::HospitalId.eq(h));
    }
    if let Some(d) = query.uuid_filter("department_id")? {
        select = select.filter(C::DepartmentId.eq(d));
    }
    if let Some(s) = query.uuid_filter("source_id")? {
        select = select.filter(C::SourceId.eq(s));
    }
    // Created within Riyadh days (the command center's drill-down).
    for (name, after) in [("created_from", true), ("created_to", false)] {
        if let Some(v) = query.filter(name) {
            let day = validate::riyadh_day(v, name)?;
            select = if after {
                select.filter(C::CreatedAt.gte(day))
            } else {
                select.filter(C::CreatedAt.lt(day + chrono::Duration::days(1)))
            };
        }
    }
    let severities: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
    if let Some(v) = query.filter("severity") {
        select = select.filter(C::Severity.is_in(validate::list_of(v, "severity", &severities)?));
    }
    let priorities: Vec<&str> = Priority::ALL.iter().map(|s| s.as_str()).collect();
    if let Some(v) = query.filter("priority") {
        select = select.filter(C::Priority.is_in(validate::list_of(v, "priority", &priorities)?));
    }
    if let Some(v) = query.filter("source_type") {
        select = select.filter(C::SourceType.is_in(validate::list_of(v, "source_type", SOURCE_TYPES)?));
    }
    match query.filter("overdue") {
        None => {}
        Some("true") => select = select.filter(C::Status.is_in(["open", "in_progress"])).filter(C::DueAt.lt(at)),
        Some("false") => {
            select = select.filter(
                Condition::any()
                    .add(C::Status.is_not_in(["open", "in_progress"]))
                    .add(C::DueAt.is_null())
                    .add(C::DueAt.gte(at)),
            )
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
    select = pagination::search(select, &query.params, &[C::ReferenceNumber, C::Title, C::Category]);
    pagination::order(
        select,
        &query.params,
        &[
            ("created_at", C::CreatedAt),
            ("due_at", C::DueAt),
            ("severity", C::Severity),
            ("priority", C::Priority),
            ("status", C::Status),
            ("reference_number", C::ReferenceNumber),
        ],
        (C::CreatedAt, Order::Desc),
    )
}

pub async fn list(state: &AppState, actor: &Actor, query: &ListQuery) -> AppResult<Page<ActionView>> {
    actor.require(state, Permission::ViewComplaints).await?;
    let select = filtered(actor, query, now())?;
    Ok(pagination::fetch(&state.db, select, &query.params, &query.path).await?.map(Into::into))
}

pub async fn logs(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Vec<px_action_log::Model>> {
    Ok(px_action_log::Entity::find()
        .filter(px_action_log::Column::ActionId.eq(id))
        .order_by_asc(px_action_log::Column::CreatedAt)
        .order_by_asc(px_action_log::Column::Id)
        .all(db)
        .await?)
}

/// The actions created from a complaint (the complaint side of the link).
pub async fn for_complaint(db: &impl ConnectionTrait, complaint_id: Uuid) -> AppResult<Vec<px_action::Model>> {
    Ok(px_action::Entity::find()
        .filter(px_action::Column::SourceType.is_in(["complaint", "complaint_resolution"]))
        .filter(px_action::Column::SourceId.eq(complaint_id))
        .filter(px_action::Column::DeletedAt.is_null())
        .order_by_asc(px_action::Column::CreatedAt)
        .all(db)
        .await?)
}

// ---------------------------------------------------------------------------------------------
// Creating

/// The action's SLA: a hospital `applies_to = action` severity × priority row, else the spec's
/// action hours; one reminder before due.
pub fn action_times(
    configs: &[SlaConfig],
    severity: Severity,
    priority: Priority,
    created_at: DateTime<Utc>,
    cal: &WorkingCalendar,
) -> (sla::SlaRule, sla::SlaTimes) {
    let rule = configs
        .iter()
        .find(|c| c.is_active && c.source.is_none() && c.severity == Some(severity) && c.priority == Some(priority))
        .map(|c| c.rule)
        .unwrap_or_else(|| sla::action_rule(severity, priority));
    (rule, sla::sla_times(created_at, &rule, cal))
}

/// Everything a new action needs; validated by the caller.
pub struct NewAction {
    pub hospital_id: Uuid,
    pub source_type: String,
    pub source_id: Option<Uuid>,
    pub title: String,
    pub description: String,
    pub department_id: Option<Uuid>,
    pub category: String,
    pub severity: Severity,
    pub priority: Priority,
    pub assigned_to: Option<Uuid>,
    pub auto_created: bool,
    pub requires_approval: bool,
    pub metadata: serde_json::Value,
}

/// Inserts an action with its SLA and its "created" log row inside `txn`.
pub async fn insert(txn: &DatabaseTransaction, actor: &Actor, new: NewAction) -> AppResult<px_action::Model> {
    let ctx = sla_context(txn, new.hospital_id, AppliesTo::Action).await?;
    let at = now();
    let (rule, times) = action_times(&ctx.configs, new.severity, new.priority, at, &ctx.calendar);
    let saved = px_action::ActiveModel {
        id: Set(Uuid::now_v7()),
        hospital_id: Set(new.hospital_id),
        reference_number: Set(super::service::fresh_reference(txn, RefPrefix::Act, at).await?),
        source_type: Set(new.source_type),
        source_id: Set(new.source_id),
        title: Set(new.title),
        description: Set(new.description),
        department_id: Set(new.department_id),
        category: Set(new.category),
        priority: Set(new.priority.as_str().to_owned()),
        severity: Set(new.severity.as_str().to_owned()),
        status: Set(ActionStatus::Open.as_str().to_owned()),
        status_changed_at: Set(None),
        assigned_to: Set(new.assigned_to),
        assigned_at: Set(new.assigned_to.map(|_| at)),
        auto_created: Set(new.auto_created),
        requires_approval: Set(new.requires_approval),
        clock_mode: Set(rule.clock_mode.as_str().to_owned()),
        due_at: Set(Some(times.due_at)),
        reminder_at: Set(times.first_reminder_at),
        reminder_sent_at: Set(None),
        is_overdue: Set(false),
        escalation_level: Set(0),
        escalated_at: Set(None),
        resolution_notes: Set(String::new()),
        submitted_by: Set(None),
        submitted_at: Set(None),
        approved_by: Set(None),
        approved_at: Set(None),
        closed_by: Set(None),
        closed_at: Set(None),
        cancelled_by: Set(None),
        cancelled_at: Set(None),
        metadata: Set(new.metadata),
        created_by: Set(actor.user_id),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
    }
    .insert(txn)
    .await?;
    add_log(
        txn,
        &saved,
        actor.user_id,
        "created",
        None,
        Some("open"),
        "",
        serde_json::json!({"source_type": saved.source_type, "source_id": saved.source_id, "auto": saved.auto_created}),
    )
    .await?;
    record(
        txn,
        actor,
        Entry::new("action_created", "px_action", saved.id).hospital(Some(saved.hospital_id)).details(serde_json::json!({
            "reference_number": saved.reference_number, "source_type": saved.source_type, "source_id": saved.source_id,
        })),
    )
    .await?;
    Ok(saved)
}

#[allow(clippy::too_many_arguments)]
pub async fn add_log(
    txn: &impl ConnectionTrait,
    a: &px_action::Model,
    by: Option<Uuid>,
    log_type: &str,
    old_status: Option<&str>,
    new_status: Option<&str>,
    message: &str,
    details: serde_json::Value,
) -> AppResult<px_action_log::Model> {
    Ok(px_action_log::ActiveModel {
        id: Set(Uuid::now_v7()),
        action_id: Set(a.id),
        hospital_id: Set(a.hospital_id),
        log_type: Set(log_type.to_owned()),
        old_status: Set(old_status.map(str::to_owned)),
        new_status: Set(new_status.map(str::to_owned)),
        message: Set(message.to_owned()),
        details: Set(details),
        created_by: Set(by),
        created_at: Set(now()),
    }
    .insert(txn)
    .await?)
}

/// An action from a complaint, in the complaint's transaction: source `complaint`, its title,
/// department, severity and priority; the complaint's timeline records it.
pub async fn create_for_complaint(
    txn: &DatabaseTransaction,
    actor: &Actor,
    c: &complaint::Model,
    auto: bool,
) -> AppResult<px_action::Model> {
    let saved = insert(
        txn,
        actor,
        NewAction {
            hospital_id: c.hospital_id,
            source_type: "complaint".into(),
            source_id: Some(c.id),
            title: format!("{} — {}", c.reference_number, c.title).chars().take(300).collect(),
            description: c.description.clone(),
            department_id: c.department_id,
            category: String::new(),
            severity: Severity::parse(&c.severity).unwrap_or(Severity::Medium),
            priority: Priority::parse(&c.priority).unwrap_or(Priority::Medium),
            assigned_to: None,
            auto_created: auto,
            requires_approval: true,
            metadata: serde_json::json!({"complaint_reference": c.reference_number}),
        },
    )
    .await?;
    add_update(
        txn,
        c,
        actor.user_id,
        "action_created",
        None,
        None,
        &saved.reference_number,
        false,
        serde_json::json!({"action_id": saved.id, "auto": auto}),
    )
    .await?;
    Ok(saved)
}

/// What another module gives to open an action automatically.
#[derive(Debug, Clone)]
pub struct AutoAction {
    pub hospital_id: Uuid,
    /// survey, complaint_resolution, social_media, call_center, kpi, observation.
    pub source_type: &'static str,
    pub source_id: Uuid,
    pub title: String,
    pub description: String,
    pub department_id: Option<Uuid>,
    pub severity: Severity,
    pub priority: Priority,
}

/// Opens an action for a source object unless one was already auto-created for it (spec §9: at
/// most one per source object). Returns the action and whether it is new. Runs inside the
/// caller's transaction so the action commits with the change that caused it.
pub async fn create_auto(txn: &DatabaseTransaction, new: AutoAction) -> AppResult<(px_action::Model, bool)> {
    if !SOURCE_TYPES.contains(&new.source_type) {
        return Err(AppError::Unexpected(anyhow::anyhow!("unknown action source {}", new.source_type)));
    }
    let existing = px_action::Entity::find()
        .filter(px_action::Column::SourceType.eq(new.source_type))
        .filter(px_action::Column::SourceId.eq(new.source_id))
        .filter(px_action::Column::AutoCreated.eq(true))
        .one(txn)
        .await?;
    if let Some(a) = existing {
        return Ok((a, false));
    }
    let saved = insert(
        txn,
        &Actor::system(),
        NewAction {
            hospital_id: new.hospital_id,
            source_type: new.source_type.to_owned(),
            source_id: Some(new.source_id),
            title: new.title.chars().take(300).collect(),
            description: new.description,
            department_id: new.department_id,
            category: String::new(),
            severity: new.severity,
            priority: new.priority,
            assigned_to: None,
            auto_created: true,
            requires_approval: true,
            metadata: serde_json::json!({}),
        },
    )
    .await?;
    Ok((saved, true))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    /// PX admins: the hospital (else the selected one); others: their own.
    pub hospital_id: Option<Uuid>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub department_id: Option<Uuid>,
    pub category: Option<String>,
    pub severity: Option<String>,
    pub priority: Option<String>,
    /// manual (default), or survey, complaint, … with `source_id`.
    pub source_type: Option<String>,
    pub source_id: Option<Uuid>,
    pub assigned_to: Option<Uuid>,
    /// Default true: done work goes through pending_approval and approved before closing.
    pub requires_approval: Option<bool>,
}

/// Creates an action by hand (handlers). A `complaint` source must be a complaint the actor
/// sees; its timeline records the action.
pub async fn create(state: &AppState, actor: &Actor, input: ActionInput) -> AppResult<px_action::Model> {
    actor.require(state, Permission::HandleComplaints).await?;
    let db = &state.db;
    let mut errors = FieldErrors::new();
    let hospital_id = errors.collect(hospital_for_write(db, actor, input.hospital_id).await)?;
    let title = validate::required(&mut errors, "title", input.title.as_deref(), 300);
    let description = validate::optional(&mut errors, "description", input.description.as_deref(), 5000);
    let category = validate::optional(&mut errors, "category", input.category.as_deref(), 50);
    let severity = match input.severity.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Severity::Medium,
        Some(v) => Severity::parse(v).unwrap_or_else(|| {
            errors.add("severity", format!("\"{v}\" is not a valid choice."));
            Severity::Medium
        }),
    };
    let priority = match input.priority.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Priority::Medium,
        Some(v) => Priority::parse(v).unwrap_or_else(|| {
            errors.add("priority", format!("\"{v}\" is not a valid choice."));
            Priority::Medium
        }),
    };
    let source_type =
        validate::choice(&mut errors, "source_type", input.source_type.as_deref(), SOURCE_TYPES, "manual");
    let mut source_complaint = None;
    if let Some(h) = hospital_id {
        crate::domains::organizations::service::check_department(
            db,
            &mut errors,
            "department_id",
            h,
            input.department_id,
        )
        .await?;
        if let Some(u) = input.assigned_to
            && check_assignee(db, h, u).await?.is_none()
        {
            errors.add("assigned_to", "Choose an active handler of this hospital.");
        }
        if source_type == "complaint" || source_type == "complaint_resolution" {
            match input.source_id {
                None => errors.add("source_id", "Give the complaint this action comes from."),
                Some(id) => {
                    let found = complaint::Entity::find_by_id(id)
                        .filter(complaint::Column::HospitalId.eq(h))
                        .filter(complaint::Column::DeletedAt.is_null())
                        .one(db)
                        .await?
                        .filter(|c| super::service::sees(actor, c));
                    match found {
                        Some(c) => source_complaint = Some(c),
                        None => errors.add("source_id", "Invalid pk - object does not exist."),
                    }
                }
            }
        }
    }
    if input.requires_approval == Some(false) && !actor.role.may(Permission::ApproveActions) {
        errors.add("requires_approval", "Only approvers may create an action that skips approval.");
    }
    errors.into_result()?;
    let hospital_id = hospital_id.unwrap_or_default();
    let txn = state.db.begin().await?;
    let saved = insert(
        &txn,
        actor,
        NewAction {
            hospital_id,
            source_type: source_type.clone(),
            source_id: input.source_id,
            title,
            description,
            department_id: input.department_id.or(source_complaint.as_ref().and_then(|c| c.department_id)),
            category,
            severity,
            priority,
            assigned_to: input.assigned_to,
            auto_created: false,
            requires_approval: input.requires_approval.unwrap_or(true),
            metadata: match &source_complaint {
                Some(c) => serde_json::json!({"complaint_reference": c.reference_number}),
                None => serde_json::json!({}),
            },
        },
    )
    .await?;
    if let Some(c) = &source_complaint {
        add_update(
            &txn,
            c,
            actor.user_id,
            "action_created",
            None,
            None,
            &saved.reference_number,
            false,
            serde_json::json!({"action_id": saved.id, "auto": false}),
        )
        .await?;
    }
    let mut woke = false;
    if let Some(u) = saved.assigned_to
        && let Some(assignee) = check_assignee(&txn, saved.hospital_id, u).await?
    {
        woke = super::notify::user(
            &txn,
            &state.config,
            &assignee,
            saved.hospital_id,
            "action_assigned",
            &action_vars(&state.config, &saved),
        )
        .await?;
    }
    txn.commit().await?;
    if woke {
        state.waker.wake(crate::jobs::Queue::Notifications);
    }
    Ok(saved)
}

/// Converts a complaint into an action (handlers), keeping the link both ways.
pub async fn create_from_complaint(state: &AppState, actor: &Actor, complaint_id: Uuid) -> AppResult<px_action::Model> {
    actor.require(state, Permission::HandleComplaints).await?;
    let c = super::service::visible(state, actor, complaint_id).await?;
    let txn = state.db.begin().await?;
    let saved = create_for_complaint(&txn, actor, &c, false).await?;
    txn.commit().await?;
    Ok(saved)
}

// ---------------------------------------------------------------------------------------------
// Changing

async fn lock(txn: &DatabaseTransaction, id: Uuid) -> AppResult<px_action::Model> {
    use sea_orm::QuerySelect;
    let mut select = px_action::Entity::find_by_id(id).filter(px_action::Column::DeletedAt.is_null());
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        select = select.lock_exclusive();
    }
    select.one(txn).await?.ok_or(not_found("action"))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionTransitionInput {
    /// in_progress, pending_approval, approved, closed or cancelled.
    pub status: Option<String>,
    /// Required to submit for approval and to close.
    pub resolution_notes: Option<String>,
    /// Required to reject (pending_approval → in_progress) and to cancel.
    pub reason: Option<String>,
}

/// Moves an action (spec §9 Approval). Submitting needs notes and at least one evidence file; an
/// approver other than the assignee approves or rejects; closing is its own step.
pub async fn transition(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    input: ActionTransitionInput,
) -> AppResult<px_action::Model> {
    actor.require(state, Permission::HandleComplaints).await?;
    visible(state, actor, id).await?;
    let Some(raw) = input.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
        return Err(invalid("status", "This field is required."));
    };
    let Some(to) = ActionStatus::parse(raw) else {
        return Err(invalid("status", format!("\"{raw}\" is not a valid choice.")));
    };
    let notes =
        input.resolution_notes.as_deref().map(str::trim).unwrap_or_default().chars().take(5000).collect::<String>();
    let reason = input.reason.as_deref().map(str::trim).unwrap_or_default().chars().take(2000).collect::<String>();
    let evidence = px_action_attachment::Entity::find()
        .filter(px_action_attachment::Column::ActionId.eq(id))
        .filter(px_action_attachment::Column::IsEvidence.eq(true))
        .filter(px_action_attachment::Column::DeletedAt.is_null())
        .count(&state.db)
        .await?;

    let txn = state.db.begin().await?;
    let current = lock(&txn, id).await?;
    let from = ActionStatus::parse(&current.status)
        .ok_or_else(|| anyhow::anyhow!("action {} has unknown status {}", current.id, current.status))?;
    let effective_notes =
        if notes.is_empty() && to == ActionStatus::Closed { current.resolution_notes.clone() } else { notes.clone() };
    let change = ActionChange {
        requires_approval: current.requires_approval,
        // Whoever did the work — the assignee or the one who submitted it — does not approve it.
        actor_is_assignee: actor.user_id.is_some()
            && (current.assigned_to == actor.user_id || current.submitted_by == actor.user_id),
        resolution_notes: &effective_notes,
        evidence_count: usize::try_from(evidence).unwrap_or(usize::MAX),
        reason: &reason,
    };
    workflow::check_action_transition(from, to, actor.role, &change).map_err(transition_error)?;
    let at = now();
    let mut row: px_action::ActiveModel = current.clone().into();
    row.status = Set(to.as_str().to_owned());
    row.status_changed_at = Set(Some(at));
    row.updated_at = Set(at);
    let log_type = match (from, to) {
        (ActionStatus::PendingApproval, ActionStatus::Approved) => "approval",
        (ActionStatus::PendingApproval, ActionStatus::InProgress) => "rejection",
        _ => "status",
    };
    match to {
        ActionStatus::PendingApproval => {
            row.resolution_notes = Set(notes.clone());
            row.submitted_by = Set(actor.user_id);
            row.submitted_at = Set(Some(at));
            row.is_overdue = Set(false);
        }
        ActionStatus::Approved => {
            row.approved_by = Set(actor.user_id);
            row.approved_at = Set(Some(at));
        }
        ActionStatus::Closed => {
            row.resolution_notes = Set(effective_notes.clone());
            row.closed_by = Set(actor.user_id);
            row.closed_at = Set(Some(at));
            row.is_overdue = Set(false);
        }
        ActionStatus::Cancelled => {
            row.cancelled_by = Set(actor.user_id);
            row.cancelled_at = Set(Some(at));
            row.is_overdue = Set(false);
        }
        ActionStatus::InProgress => {
            row.is_overdue = Set(sla::is_overdue(true, current.due_at, at));
        }
        ActionStatus::Open => {}
    }
    let saved = row.update(&txn).await?;
    let message = if !reason.is_empty() { reason.clone() } else { notes.clone() };
    add_log(
        &txn,
        &saved,
        actor.user_id,
        log_type,
        Some(from.as_str()),
        Some(to.as_str()),
        &message,
        serde_json::json!({}),
    )
    .await?;
    record(
        &txn,
        actor,
        Entry::new("action_status_changed", "px_action", saved.id)
            .hospital(Some(saved.hospital_id))
            .details(serde_json::json!({"from": from.as_str(), "to": to.as_str()})),
    )
    .await?;
    let mut woke = false;
    if to == ActionStatus::PendingApproval {
        // Tell the hospital's approvers (not the submitter).
        let approvers = crate::domains::accounts::model::user::Entity::find()
            .filter(crate::domains::accounts::model::user::Column::HospitalId.eq(saved.hospital_id))
            .filter(crate::domains::accounts::model::user::Column::IsActive.eq(true))
            .filter(crate::domains::accounts::model::user::Column::Role.is_in(["hospital_admin", "px_coordinator"]))
            .all(&txn)
            .await?;
        for u in approvers.iter().filter(|u| Some(u.id) != actor.user_id && Some(u.id) != saved.assigned_to) {
            woke |= super::notify::user(
                &txn,
                &state.config,
                u,
                saved.hospital_id,
                "action_pending_approval",
                &action_vars(&state.config, &saved),
            )
            .await?;
        }
    }
    txn.commit().await?;
    if woke {
        state.waker.wake(crate::jobs::Queue::Notifications);
    }
    Ok(saved)
}

/// What a handler may change on an action that is not final. A severity or priority change
/// recomputes the due date from the creation time while the clock runs.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub department_id: Option<Uuid>,
    pub category: Option<String>,
    pub severity: Option<String>,
    pub priority: Option<String>,
}

/// Edits an action (handlers); nothing is written when nothing changes.
pub async fn update(state: &AppState, actor: &Actor, id: Uuid, patch: ActionPatch) -> AppResult<px_action::Model> {
    actor.require(state, Permission::HandleComplaints).await?;
    let current = visible(state, actor, id).await?;
    if ActionStatus::parse(&current.status).is_some_and(|s| s.is_final()) {
        return Err(AppError::Conflict("action_final", format!("The action is {}.", current.status)));
    }
    let mut errors = FieldErrors::new();
    let mut changes = serde_json::Map::new();
    let mut row: px_action::ActiveModel = current.clone().into();
    if let Some(t) = patch.title.as_deref() {
        let t = validate::required(&mut errors, "title", Some(t), 300);
        if !t.is_empty() && t != current.title {
            changes.insert("title".into(), serde_json::json!(true));
            row.title = Set(t);
        }
    }
    if let Some(d) = patch.description.as_deref() {
        let d = validate::optional(&mut errors, "description", Some(d), 5000);
        if d != current.description {
            changes.insert("description".into(), serde_json::json!(true));
            row.description = Set(d);
        }
    }
    if let Some(c) = patch.category.as_deref() {
        let c = validate::optional(&mut errors, "category", Some(c), 50);
        if c != current.category {
            changes.insert("category".into(), serde_json::json!(c));
            row.category = Set(c);
        }
    }
    if patch.department_id.is_some() {
        crate::domains::organizations::service::check_department(
            &state.db,
            &mut errors,
            "department_id",
            current.hospital_id,
            patch.department_id,
        )
        .await?;
    }
    let parse_sev = |v: &str, errors: &mut FieldErrors| {
        Severity::parse(v.trim()).or_else(|| {
            errors.add("severity", format!("\"{v}\" is not a valid choice."));
            None
        })
    };
    let parse_pri = |v: &str, errors: &mut FieldErrors| {
        Priority::parse(v.trim()).or_else(|| {
            errors.add("priority", format!("\"{v}\" is not a valid choice."));
            None
        })
    };
    let severity = match patch.severity.as_deref() {
        Some(v) => parse_sev(v, &mut errors),
        None => None,
    };
    let priority = match patch.priority.as_deref() {
        Some(v) => parse_pri(v, &mut errors),
        None => None,
    };
    errors.into_result()?;
    if let Some(d) = patch.department_id
        && Some(d) != current.department_id
    {
        changes.insert("department_id".into(), serde_json::json!(d));
        row.department_id = Set(Some(d));
    }
    let severity = severity.unwrap_or_else(|| Severity::parse(&current.severity).unwrap_or(Severity::Medium));
    let priority = priority.unwrap_or_else(|| Priority::parse(&current.priority).unwrap_or(Priority::Medium));
    let sla_changed = severity.as_str() != current.severity || priority.as_str() != current.priority;
    if sla_changed {
        changes.insert("severity".into(), serde_json::json!(severity.as_str()));
        changes.insert("priority".into(), serde_json::json!(priority.as_str()));
        row.severity = Set(severity.as_str().to_owned());
        row.priority = Set(priority.as_str().to_owned());
        if ActionStatus::parse(&current.status).is_some_and(|s| s.sla_running()) {
            let ctx = sla_context(&state.db, current.hospital_id, AppliesTo::Action).await?;
            let (rule, times) = action_times(&ctx.configs, severity, priority, current.created_at, &ctx.calendar);
            row.clock_mode = Set(rule.clock_mode.as_str().to_owned());
            row.due_at = Set(Some(times.due_at));
            row.reminder_at = Set(times.first_reminder_at);
            row.is_overdue = Set(sla::is_overdue(true, Some(times.due_at), now()));
            changes.insert("due_at".into(), serde_json::json!(times.due_at));
        }
    }
    if changes.is_empty() {
        return Ok(current);
    }
    row.updated_at = Set(now());
    let txn = state.db.begin().await?;
    let locked = lock(&txn, id).await?;
    if locked.status != current.status {
        return Err(AppError::Conflict(
            "action_changed",
            "The action changed while you were editing it; reload it and try again.".into(),
        ));
    }
    let saved = row.update(&txn).await?;
    let details = serde_json::Value::Object(changes);
    add_log(&txn, &saved, actor.user_id, "note", None, None, "", serde_json::json!({"edited": details})).await?;
    record(
        &txn,
        actor,
        Entry::new("action_updated", "px_action", saved.id).hospital(Some(saved.hospital_id)).details(details),
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionAssignInput {
    pub user_id: Option<Uuid>,
}

/// Assigns an action to a handler of its hospital (handlers); the assignee is notified.
pub async fn assign(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    input: ActionAssignInput,
) -> AppResult<px_action::Model> {
    actor.require(state, Permission::HandleComplaints).await?;
    let current = visible(state, actor, id).await?;
    let Some(user_id) = input.user_id else { return Err(invalid("user_id", "This field is required.")) };
    let refuse = |a: &px_action::Model| -> AppResult<()> {
        match ActionStatus::parse(&a.status) {
            Some(s) if s.is_final() => Err(AppError::Conflict("action_final", format!("The action is {}.", a.status))),
            // Reassigning while waiting for approval would let the submitter approve their own work.
            Some(ActionStatus::PendingApproval) => Err(AppError::Conflict(
                "action_pending_approval",
                "The action waits for approval; approve or reject it first.".into(),
            )),
            _ => Ok(()),
        }
    };
    refuse(&current)?;
    let Some(assignee) = check_assignee(&state.db, current.hospital_id, user_id).await? else {
        return Err(invalid("user_id", "Choose an active handler of this hospital."));
    };
    let txn = state.db.begin().await?;
    let current = lock(&txn, id).await?;
    refuse(&current)?;
    let mut row: px_action::ActiveModel = current.clone().into();
    row.assigned_to = Set(Some(user_id));
    row.assigned_at = Set(Some(now()));
    row.updated_at = Set(now());
    let saved = row.update(&txn).await?;
    add_log(
        &txn,
        &saved,
        actor.user_id,
        "assignment",
        None,
        None,
        "",
        serde_json::json!({"from": current.assigned_to, "to": user_id}),
    )
    .await?;
    record(
        &txn,
        actor,
        Entry::new("action_assigned", "px_action", saved.id)
            .hospital(Some(saved.hospital_id))
            .details(serde_json::json!({"from": current.assigned_to, "to": user_id})),
    )
    .await?;
    let woke = super::notify::user(
        &txn,
        &state.config,
        &assignee,
        saved.hospital_id,
        "action_assigned",
        &action_vars(&state.config, &saved),
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
pub struct ActionNoteInput {
    pub message: Option<String>,
}

pub async fn add_note(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    input: ActionNoteInput,
) -> AppResult<px_action_log::Model> {
    actor.require(state, Permission::HandleComplaints).await?;
    let current = visible(state, actor, id).await?;
    let mut errors = FieldErrors::new();
    let message = validate::required(&mut errors, "message", input.message.as_deref(), 5000);
    errors.into_result()?;
    let txn = state.db.begin().await?;
    let saved = add_log(&txn, &current, actor.user_id, "note", None, None, &message, serde_json::json!({})).await?;
    record(&txn, actor, Entry::new("action_note_added", "px_action", current.id).hospital(Some(current.hospital_id)))
        .await?;
    txn.commit().await?;
    Ok(saved)
}

pub fn action_vars(config: &crate::config::Config, a: &px_action::Model) -> std::collections::BTreeMap<String, String> {
    let base = config.notifications.public_base_url.trim_end_matches('/');
    let mut vars = std::collections::BTreeMap::new();
    vars.insert("reference".into(), a.reference_number.clone());
    vars.insert("title".into(), a.title.clone());
    vars.insert("due_at".into(), a.due_at.map(crate::i18n::riyadh_time).unwrap_or_else(|| "—".into()));
    vars.insert("url".into(), format!("{base}/actions/{}/", a.id));
    vars.insert("level".into(), a.escalation_level.to_string());
    vars
}
