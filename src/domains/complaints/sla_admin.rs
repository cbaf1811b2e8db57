//! The PX admin's SLA settings (spec §8, §1 Calendars): a hospital's SLA rows (source rows and
//! severity × priority rows, for complaints and for PX Actions), its escalation rules, its working
//! week and its holidays (closed days, or days of special hours such as Ramadan), and the SLA
//! preview that shows what a complaint received at a given time would get.
//!
//! PX admins write (`ManageSlaSettings`); hospital admins read their own hospital's settings
//! (`ViewSlaSettings`). A row of another hospital is a 404. Every write is audited in its
//! transaction. The pages are in [`super::sla_admin_pages`].

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder, Set, SqlErr,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::calendar::{ClockMode, WorkingCalendar, riyadh};
use super::model::{calendar_holiday, escalation_rule, sla_config, sla_escalation, working_calendar};
use super::settings::{calendar_from_rows, format_weekend, parse_weekend, sla_configs_for};
use super::sla::{
    AppliesTo, ComplaintSource, EscalationTarget, MAX_ESCALATION_LEVEL, Priority, Severity, SlaBasis, complaint_sla,
};
use crate::app::AppState;
use crate::auth::{Actor, ApiActor, Permission, Role};
use crate::crud::ListQuery;
use crate::domains::accounts::model::user;
use crate::domains::audit::service::{Entry, record};
use crate::domains::organizations::model::{department, hospital};
use crate::domains::organizations::service::now;
use crate::error::{AppError, AppResult, FieldErrors, not_found};
use crate::http::openapi::ErrorBody;
use crate::http::{ApiJson, IdPath, ListParams, Page, pagination, parse_id};

/// The largest number of hours any SLA setting takes (one year).
pub const MAX_HOURS: i64 = 8760;
/// The longest holiday (or special-hours period) in days, both ends included.
pub const MAX_HOLIDAY_DAYS: i64 = 60;
/// The keys an escalation rule's `filters` object may have.
pub const FILTER_KEYS: [&str; 4] = ["severity", "priority", "source", "department_id"];

const TAG: &str = "Complaint SLA";

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/// The hospital a write goes to (PX admins: the one given, else the selected one), checked to be
/// a live hospital; a problem is added to `errors`.
async fn write_hospital(
    state: &AppState,
    actor: &Actor,
    errors: &mut FieldErrors,
    requested: Option<Uuid>,
) -> AppResult<Option<Uuid>> {
    let Some(id) = errors.collect(actor.hospital_for_write(requested))? else { return Ok(None) };
    let found = hospital::Entity::find_by_id(id).filter(hospital::Column::DeletedAt.is_null()).one(&state.db).await?;
    if found.is_none() {
        errors.add("hospital_id", "Invalid pk - object does not exist.");
        return Ok(None);
    }
    Ok(Some(id))
}

/// A live hospital the actor may see, else 404.
pub async fn visible_hospital(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<hospital::Model> {
    let found = hospital::Entity::find_by_id(id).filter(hospital::Column::DeletedAt.is_null()).one(&state.db).await?;
    match found {
        Some(h) if sees(actor, h.id) => Ok(h),
        _ => Err(not_found("hospital")),
    }
}

/// Whether the actor may see a hospital's settings: PX admins every hospital, others their own.
/// (Unlike [`Actor::sees_hospital`], a PX admin's selected hospital does not hide the others:
/// settings pages and paths name the hospital themselves.)
fn sees(actor: &Actor, hospital_id: Uuid) -> bool {
    actor.role == Role::PxAdmin || actor.hospital_id == Some(hospital_id)
}

/// The hospital a read is about: PX admins name it (or have one selected); others read their own,
/// and naming another hospital is a 404.
pub fn read_hospital(actor: &Actor, requested: Option<Uuid>) -> AppResult<Uuid> {
    if actor.role == Role::PxAdmin {
        return requested
            .or(actor.selected_hospital)
            .ok_or_else(|| crate::error::invalid("hospital_id", "This field is required."));
    }
    let own = actor.hospital_id.ok_or_else(crate::error::forbidden)?;
    match requested {
        Some(id) if id != own => Err(not_found("hospital")),
        _ => Ok(own),
    }
}

/// A whole number of hours in `min..=MAX_HOURS`, `default` when absent.
fn hours_field(errors: &mut FieldErrors, field: &str, value: Option<i64>, default: i64, min: i64) -> i32 {
    let v = value.unwrap_or(default);
    if !(min..=MAX_HOURS).contains(&v) {
        errors.add(field, format!("Enter a whole number of hours from {min} to {MAX_HOURS}."));
        return i32::try_from(default).unwrap_or(0);
    }
    i32::try_from(v).unwrap_or(0)
}

fn applies_to_field(errors: &mut FieldErrors, value: Option<&str>) -> AppliesTo {
    match value.map(str::trim) {
        None | Some("") => AppliesTo::Complaint,
        Some(v) => AppliesTo::parse(v).unwrap_or_else(|| {
            errors.add("applies_to", format!("\"{v}\" is not a valid choice (complaint, action)."));
            AppliesTo::Complaint
        }),
    }
}

/// An optional choice: `None` when absent or blank, the parsed value, or an error.
fn opt_choice<V>(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    parse: impl Fn(&str) -> Option<V>,
    names: &[&str],
) -> Option<V> {
    let v = value.map(str::trim).filter(|v| !v.is_empty())?;
    let parsed = parse(v);
    if parsed.is_none() {
        errors.add(field, format!("\"{v}\" is not a valid choice ({}).", names.join(", ")));
    }
    parsed
}

fn severity_names() -> Vec<&'static str> {
    Severity::ALL.iter().map(|v| v.as_str()).collect()
}
fn priority_names() -> Vec<&'static str> {
    Priority::ALL.iter().map(|v| v.as_str()).collect()
}
fn source_names() -> Vec<&'static str> {
    ComplaintSource::ALL.iter().map(|v| v.as_str()).collect()
}

fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// `"08:00"` → 480; `"24:00"` only when `allow_midnight` (a closing time).
pub fn parse_hhmm(s: &str, allow_midnight: bool) -> Option<i32> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if (h, m) == (24, 0) && allow_midnight {
        return Some(24 * 60);
    }
    ((0..24).contains(&h) && (0..60).contains(&m)).then_some(h * 60 + m)
}

/// 480 → `"08:00"`.
pub fn format_hhmm(minutes: i32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn parse_date(errors: &mut FieldErrors, field: &str, value: Option<&str>) -> Option<NaiveDate> {
    match value.map(str::trim) {
        None | Some("") => {
            errors.add(field, "This field is required.");
            None
        }
        Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d").ok().or_else(|| {
            errors.add(field, "Date has wrong format. Use YYYY-MM-DD.");
            None
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// SLA configs
// ---------------------------------------------------------------------------------------------

/// A hospital SLA row. A source row names `source` and leaves severity and priority empty; a
/// severity × priority row names both and leaves `source` empty.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaConfigInput {
    /// PX admins: required unless a hospital is selected (`?hospital_id=`). Cannot change.
    pub hospital_id: Option<Uuid>,
    /// `complaint` (default) or `action`.
    pub applies_to: Option<String>,
    /// patient, family, staff, survey, social_media, call_center, moh, chi, insurer, other.
    pub source: Option<String>,
    /// low, medium, high, critical (with `priority`, for a grid row).
    pub severity: Option<String>,
    /// low, medium, high (with `severity`, for a grid row).
    pub priority: Option<String>,
    /// 1–8760.
    pub sla_hours: Option<i64>,
    /// `calendar_hours` (default) or `working_hours`.
    pub clock_mode: Option<String>,
    /// Default 24; the first reminder goes this long before due (when `first_reminder_hours_after` is 0).
    pub reminder_hours_before: Option<i64>,
    pub second_reminder_enabled: Option<bool>,
    /// Default 6.
    pub second_reminder_hours_before: Option<i64>,
    /// > 0: the first reminder goes this long after receipt instead.
    pub first_reminder_hours_after: Option<i64>,
    /// > 0: the second reminder goes this long after receipt instead.
    pub second_reminder_hours_after: Option<i64>,
    /// > 0: level 1 escalates this long after receipt even when not overdue.
    pub escalation_hours_after: Option<i64>,
    pub thank_you_email_enabled: Option<bool>,
    pub is_active: Option<bool>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlaConfigView {
    pub id: Uuid,
    pub hospital_id: Uuid,
    pub applies_to: String,
    pub source: Option<String>,
    pub severity: Option<String>,
    pub priority: Option<String>,
    pub sla_hours: i32,
    pub clock_mode: String,
    pub reminder_hours_before: i32,
    pub second_reminder_enabled: bool,
    pub second_reminder_hours_before: i32,
    pub first_reminder_hours_after: i32,
    pub second_reminder_hours_after: i32,
    pub escalation_hours_after: i32,
    pub thank_you_email_enabled: bool,
    pub is_active: bool,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<sla_config::Model> for SlaConfigView {
    fn from(m: sla_config::Model) -> Self {
        SlaConfigView {
            id: m.id,
            hospital_id: m.hospital_id,
            applies_to: m.applies_to,
            source: m.source,
            severity: m.severity,
            priority: m.priority,
            sla_hours: m.sla_hours,
            clock_mode: m.clock_mode,
            reminder_hours_before: m.reminder_hours_before,
            second_reminder_enabled: m.second_reminder_enabled,
            second_reminder_hours_before: m.second_reminder_hours_before,
            first_reminder_hours_after: m.first_reminder_hours_after,
            second_reminder_hours_after: m.second_reminder_hours_after,
            escalation_hours_after: m.escalation_hours_after,
            thank_you_email_enabled: m.thank_you_email_enabled,
            is_active: m.is_active,
            created_by: m.created_by,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// The input that reproduces a stored row (the base a PATCH is laid over).
pub fn sla_input_of(m: &sla_config::Model) -> SlaConfigInput {
    SlaConfigInput {
        hospital_id: Some(m.hospital_id),
        applies_to: Some(m.applies_to.clone()),
        source: m.source.clone(),
        severity: m.severity.clone(),
        priority: m.priority.clone(),
        sla_hours: Some(m.sla_hours.into()),
        clock_mode: Some(m.clock_mode.clone()),
        reminder_hours_before: Some(m.reminder_hours_before.into()),
        second_reminder_enabled: Some(m.second_reminder_enabled),
        second_reminder_hours_before: Some(m.second_reminder_hours_before.into()),
        first_reminder_hours_after: Some(m.first_reminder_hours_after.into()),
        second_reminder_hours_after: Some(m.second_reminder_hours_after.into()),
        escalation_hours_after: Some(m.escalation_hours_after.into()),
        thank_you_email_enabled: Some(m.thank_you_email_enabled),
        is_active: Some(m.is_active),
    }
}

/// A checked SLA row, ready to store.
struct SlaValues {
    hospital_id: Uuid,
    applies_to: AppliesTo,
    source: Option<ComplaintSource>,
    severity: Option<Severity>,
    priority: Option<Priority>,
    sla_hours: i32,
    clock_mode: ClockMode,
    reminder_hours_before: i32,
    second_reminder_enabled: bool,
    second_reminder_hours_before: i32,
    first_reminder_hours_after: i32,
    second_reminder_hours_after: i32,
    escalation_hours_after: i32,
    thank_you_email_enabled: bool,
    is_active: bool,
}

fn duplicate_sla(errors: &mut FieldErrors, source_row: bool) {
    if source_row {
        errors.add("source", "This hospital already has an SLA row for this source.");
    } else {
        let message = "This hospital already has an SLA row for this severity and priority.";
        errors.add("severity", message);
        errors.add("priority", message);
    }
}

/// Checks every field at once (and the duplicate rule); `existing` is the row being edited.
async fn validate_sla(
    state: &AppState,
    actor: &Actor,
    input: &SlaConfigInput,
    existing: Option<&sla_config::Model>,
) -> AppResult<SlaValues> {
    let mut errors = FieldErrors::new();
    let hospital_id = match existing {
        Some(row) => {
            if input.hospital_id.is_some_and(|h| h != row.hospital_id) {
                errors.add("hospital_id", "A row cannot move to another hospital.");
            }
            Some(row.hospital_id)
        }
        None => write_hospital(state, actor, &mut errors, input.hospital_id).await?,
    };
    let applies_to = applies_to_field(&mut errors, input.applies_to.as_deref());
    let source = opt_choice(&mut errors, "source", input.source.as_deref(), ComplaintSource::parse, &source_names());
    let severity = opt_choice(&mut errors, "severity", input.severity.as_deref(), Severity::parse, &severity_names());
    let priority = opt_choice(&mut errors, "priority", input.priority.as_deref(), Priority::parse, &priority_names());
    let has = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    if has(&input.source) {
        if applies_to == AppliesTo::Action {
            errors.add("source", "PX Action SLAs go by severity and priority: leave the source empty.");
        }
        for (field, value) in [("severity", &input.severity), ("priority", &input.priority)] {
            if has(value) {
                errors.add(field, "Leave empty on a source row (a row has a source, or a severity and a priority).");
            }
        }
    } else {
        for (field, value) in [("severity", &input.severity), ("priority", &input.priority)] {
            if !has(value) {
                errors.add(field, "This field is required when no source is given.");
            }
        }
    }
    let sla_hours = match input.sla_hours {
        None => {
            errors.add("sla_hours", "This field is required.");
            0
        }
        Some(v) => {
            let h = hours_field(&mut errors, "sla_hours", Some(v), 1, 1);
            // A bad value is not checked against the reminders as well.
            if errors.0.contains_key("sla_hours") { 0 } else { h }
        }
    };
    let clock_mode = match input.clock_mode.as_deref().map(str::trim) {
        None | Some("") => ClockMode::CalendarHours,
        Some(v) => ClockMode::parse(v).unwrap_or_else(|| {
            errors.add("clock_mode", format!("\"{v}\" is not a valid choice (calendar_hours, working_hours)."));
            ClockMode::CalendarHours
        }),
    };
    let before = hours_field(&mut errors, "reminder_hours_before", input.reminder_hours_before, 24, 0);
    let second_enabled = input.second_reminder_enabled.unwrap_or(false);
    let second_before =
        hours_field(&mut errors, "second_reminder_hours_before", input.second_reminder_hours_before, 6, 0);
    let first_after = hours_field(&mut errors, "first_reminder_hours_after", input.first_reminder_hours_after, 0, 0);
    let second_after = hours_field(&mut errors, "second_reminder_hours_after", input.second_reminder_hours_after, 0, 0);
    let escalation_after = hours_field(&mut errors, "escalation_hours_after", input.escalation_hours_after, 0, 0);

    // The reminders must fall inside the SLA window (hours after receipt, 0 < at ≤ due); the
    // second one, when on, after the first (it may come after due only when counted from receipt,
    // as the spec's source defaults do).
    if sla_hours > 0 {
        let first_at = if first_after > 0 {
            if first_after > sla_hours {
                errors.add(
                    "first_reminder_hours_after",
                    format!("The first reminder would come after the deadline: enter at most {sla_hours} (sla_hours)."),
                );
            }
            first_after
        } else {
            if before >= sla_hours && !errors.0.contains_key("reminder_hours_before") {
                errors.add(
                    "reminder_hours_before",
                    format!(
                        "The reminder would go at or before receipt: enter less than {sla_hours} (sla_hours), or set first_reminder_hours_after."
                    ),
                );
            }
            sla_hours - before
        };
        if second_enabled {
            let second_at = if second_after > 0 {
                second_after
            } else {
                if second_before >= sla_hours && !errors.0.contains_key("second_reminder_hours_before") {
                    errors.add(
                        "second_reminder_hours_before",
                        format!("The second reminder would go at or before receipt: enter less than {sla_hours} (sla_hours)."),
                    );
                }
                sla_hours - second_before
            };
            if second_at > 0 && first_at > 0 && second_at <= first_at {
                let field =
                    if second_after > 0 { "second_reminder_hours_after" } else { "second_reminder_hours_before" };
                if !errors.0.contains_key(field) {
                    errors.add(
                        field,
                        format!(
                            "The second reminder must come after the first ({first_at} h after receipt); it would come {second_at} h after receipt."
                        ),
                    );
                }
            }
        }
    }
    if let Some(h) = hospital_id
        && (source.is_some() || (severity.is_some() && priority.is_some()))
        && !errors.0.contains_key("source")
    {
        use sla_config::Column as C;
        let mut q = sla_config::Entity::find().filter(C::HospitalId.eq(h)).filter(C::AppliesTo.eq(applies_to.as_str()));
        q = match source {
            Some(s) => q.filter(C::Source.eq(s.as_str())),
            None => q
                .filter(C::Source.is_null())
                .filter(C::Severity.eq(severity.map(Severity::as_str)))
                .filter(C::Priority.eq(priority.map(Priority::as_str))),
        };
        if let Some(row) = existing {
            q = q.filter(C::Id.ne(row.id));
        }
        if q.count(&state.db).await? > 0 {
            duplicate_sla(&mut errors, source.is_some());
        }
    }
    errors.into_result()?;
    Ok(SlaValues {
        hospital_id: hospital_id.unwrap_or_default(),
        applies_to,
        source,
        severity: if source.is_some() { None } else { severity },
        priority: if source.is_some() { None } else { priority },
        sla_hours,
        clock_mode,
        reminder_hours_before: before,
        second_reminder_enabled: second_enabled,
        second_reminder_hours_before: second_before,
        first_reminder_hours_after: first_after,
        second_reminder_hours_after: second_after,
        escalation_hours_after: escalation_after,
        thank_you_email_enabled: input.thank_you_email_enabled.unwrap_or(false),
        is_active: input.is_active.unwrap_or(true),
    })
}

fn sla_details(row: &sla_config::Model) -> Value {
    json!({
        "applies_to": row.applies_to, "source": row.source, "severity": row.severity, "priority": row.priority,
        "sla_hours": row.sla_hours, "clock_mode": row.clock_mode, "reminder_hours_before": row.reminder_hours_before,
        "second_reminder_enabled": row.second_reminder_enabled,
        "second_reminder_hours_before": row.second_reminder_hours_before,
        "first_reminder_hours_after": row.first_reminder_hours_after,
        "second_reminder_hours_after": row.second_reminder_hours_after,
        "escalation_hours_after": row.escalation_hours_after,
        "thank_you_email_enabled": row.thank_you_email_enabled, "is_active": row.is_active,
    })
}

/// SLA rows visible to the actor; filters `applies_to`, `source`, `is_active`.
pub async fn list_sla_configs(state: &AppState, actor: &Actor, query: &ListQuery) -> AppResult<Page<SlaConfigView>> {
    actor.require(state, Permission::ViewSlaSettings).await?;
    use sla_config::Column as C;
    let mut select = actor.scoped(sla_config::Entity::find(), C::HospitalId);
    if let Some(v) = query.filter("applies_to") {
        select = select.filter(C::AppliesTo.eq(v));
    }
    if let Some(v) = query.filter("source") {
        select = select.filter(C::Source.eq(v));
    }
    match query.filter("is_active") {
        Some("true") => select = select.filter(C::IsActive.eq(true)),
        Some("false") => select = select.filter(C::IsActive.eq(false)),
        _ => {}
    }
    select = pagination::order(
        select,
        &query.params,
        &[("created_at", C::CreatedAt), ("sla_hours", C::SlaHours)],
        (C::CreatedAt, Order::Asc),
    )?;
    Ok(pagination::fetch(&state.db, select, &query.params, &query.path).await?.map(Into::into))
}

/// Every SLA row of one hospital (complaints and actions), for the pages and the preview.
pub async fn hospital_sla_rows(state: &AppState, hospital_id: Uuid) -> AppResult<Vec<sla_config::Model>> {
    Ok(sla_config::Entity::find()
        .filter(sla_config::Column::HospitalId.eq(hospital_id))
        .order_by_asc(sla_config::Column::CreatedAt)
        .all(&state.db)
        .await?)
}

async fn find_sla(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<sla_config::Model> {
    match sla_config::Entity::find_by_id(id).one(&state.db).await? {
        Some(row) if sees(actor, row.hospital_id) => Ok(row),
        _ => Err(not_found("SLA config")),
    }
}

pub async fn get_sla_config(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<SlaConfigView> {
    actor.require(state, Permission::ViewSlaSettings).await?;
    Ok(find_sla(state, actor, id).await?.into())
}

pub async fn create_sla_config(state: &AppState, actor: &Actor, input: SlaConfigInput) -> AppResult<SlaConfigView> {
    actor.require(state, Permission::ManageSlaSettings).await?;
    let v = validate_sla(state, actor, &input, None).await?;
    let at = now();
    let txn = state.db.begin().await?;
    let inserted = sla_config::ActiveModel {
        id: Set(Uuid::now_v7()),
        hospital_id: Set(v.hospital_id),
        applies_to: Set(v.applies_to.as_str().to_owned()),
        source: Set(v.source.map(|s| s.as_str().to_owned())),
        severity: Set(v.severity.map(|s| s.as_str().to_owned())),
        priority: Set(v.priority.map(|s| s.as_str().to_owned())),
        sla_hours: Set(v.sla_hours),
        clock_mode: Set(v.clock_mode.as_str().to_owned()),
        reminder_hours_before: Set(v.reminder_hours_before),
        second_reminder_enabled: Set(v.second_reminder_enabled),
        second_reminder_hours_before: Set(v.second_reminder_hours_before),
        first_reminder_hours_after: Set(v.first_reminder_hours_after),
        second_reminder_hours_after: Set(v.second_reminder_hours_after),
        escalation_hours_after: Set(v.escalation_hours_after),
        thank_you_email_enabled: Set(v.thank_you_email_enabled),
        is_active: Set(v.is_active),
        created_by: Set(actor.user_id),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await;
    let row = match inserted {
        Ok(row) => row,
        // Two admins adding the same row at once: the unique index answers like the check above.
        Err(e) if is_unique_violation(&e) => {
            let mut errors = FieldErrors::new();
            duplicate_sla(&mut errors, v.source.is_some());
            return Err(AppError::Validation(errors));
        }
        Err(e) => return Err(e.into()),
    };
    record(
        &txn,
        actor,
        Entry::new("sla_config_created", "sla_config", row.id)
            .hospital(Some(row.hospital_id))
            .details(sla_details(&row)),
    )
    .await?;
    txn.commit().await?;
    Ok(row.into())
}

/// Replaces a row's values with `input` (a full input: the API lays a PATCH over the stored row).
pub async fn update_sla_config(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    input: SlaConfigInput,
) -> AppResult<SlaConfigView> {
    actor.require(state, Permission::ManageSlaSettings).await?;
    let found = find_sla(state, actor, id).await?;
    let v = validate_sla(state, actor, &input, Some(&found)).await?;
    let before = sla_details(&found);
    let txn = state.db.begin().await?;
    let mut row: sla_config::ActiveModel = found.into();
    row.applies_to = Set(v.applies_to.as_str().to_owned());
    row.source = Set(v.source.map(|s| s.as_str().to_owned()));
    row.severity = Set(v.severity.map(|s| s.as_str().to_owned()));
    row.priority = Set(v.priority.map(|s| s.as_str().to_owned()));
    row.sla_hours = Set(v.sla_hours);
    row.clock_mode = Set(v.clock_mode.as_str().to_owned());
    row.reminder_hours_before = Set(v.reminder_hours_before);
    row.second_reminder_enabled = Set(v.second_reminder_enabled);
    row.second_reminder_hours_before = Set(v.second_reminder_hours_before);
    row.first_reminder_hours_after = Set(v.first_reminder_hours_after);
    row.second_reminder_hours_after = Set(v.second_reminder_hours_after);
    row.escalation_hours_after = Set(v.escalation_hours_after);
    row.thank_you_email_enabled = Set(v.thank_you_email_enabled);
    row.is_active = Set(v.is_active);
    row.updated_at = Set(now());
    let saved = match row.update(&txn).await {
        Ok(saved) => saved,
        Err(e) if is_unique_violation(&e) => {
            let mut errors = FieldErrors::new();
            duplicate_sla(&mut errors, v.source.is_some());
            return Err(AppError::Validation(errors));
        }
        Err(e) => return Err(e.into()),
    };
    record(
        &txn,
        actor,
        Entry::new("sla_config_updated", "sla_config", saved.id)
            .hospital(Some(saved.hospital_id))
            .details(json!({"before": before, "after": sla_details(&saved)})),
    )
    .await?;
    txn.commit().await?;
    Ok(saved.into())
}

/// Deletes a row; the hospital falls back to the spec's defaults for it. Complaints keep their
/// computed deadlines (they store the times, not the row).
pub async fn delete_sla_config(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<()> {
    actor.require(state, Permission::ManageSlaSettings).await?;
    let found = find_sla(state, actor, id).await?;
    let txn = state.db.begin().await?;
    sla_config::Entity::delete_by_id(found.id).exec(&txn).await?;
    record(
        &txn,
        actor,
        Entry::new("sla_config_deleted", "sla_config", found.id)
            .hospital(Some(found.hospital_id))
            .details(sla_details(&found)),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A PATCH body laid over the stored input, parsed with the usual field errors.
fn merge_patch<T: Serialize + serde::de::DeserializeOwned>(base: &T, patch: Value) -> AppResult<T> {
    let base = serde_json::to_value(base).map_err(anyhow::Error::from)?;
    crate::crud::parse_input(crate::crud::merge(base, patch))
}

// ---------------------------------------------------------------------------------------------
// Escalation rules
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationRuleInput {
    /// PX admins: required unless a hospital is selected (`?hospital_id=`). Cannot change.
    pub hospital_id: Option<Uuid>,
    /// `complaint` (default) or `action`.
    pub applies_to: Option<String>,
    pub name: Option<String>,
    /// 1–3.
    pub level: Option<i64>,
    /// Default true.
    pub trigger_on_overdue: Option<bool>,
    /// Default 0 (0–8760).
    pub trigger_hours_overdue: Option<i64>,
    /// Default false.
    pub reminder_escalation_enabled: Option<bool>,
    /// Default 24 (1–8760 when enabled).
    pub reminder_escalation_hours: Option<i64>,
    /// department_manager, hospital_admin, px_admin, ceo, specific_user.
    pub escalate_to_role: Option<String>,
    /// Required for `specific_user`: an active user of the hospital (or a PX admin).
    pub escalate_to_user_id: Option<Uuid>,
    /// `{"severity": [...], "priority": [...], "source": [...], "department_id": [...]}`, each optional.
    #[schema(value_type = Object)]
    pub filters: Option<Value>,
    pub is_active: Option<bool>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EscalationRuleView {
    pub id: Uuid,
    pub hospital_id: Uuid,
    pub applies_to: String,
    pub name: String,
    pub level: i32,
    pub trigger_on_overdue: bool,
    pub trigger_hours_overdue: i32,
    pub reminder_escalation_enabled: bool,
    pub reminder_escalation_hours: i32,
    pub escalate_to_role: String,
    pub escalate_to_user_id: Option<Uuid>,
    #[schema(value_type = Object)]
    pub filters: Value,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<escalation_rule::Model> for EscalationRuleView {
    fn from(m: escalation_rule::Model) -> Self {
        EscalationRuleView {
            id: m.id,
            hospital_id: m.hospital_id,
            applies_to: m.applies_to,
            name: m.name,
            level: m.level,
            trigger_on_overdue: m.trigger_on_overdue,
            trigger_hours_overdue: m.trigger_hours_overdue,
            reminder_escalation_enabled: m.reminder_escalation_enabled,
            reminder_escalation_hours: m.reminder_escalation_hours,
            escalate_to_role: m.escalate_to_role,
            escalate_to_user_id: m.escalate_to_user_id,
            filters: m.filters,
            is_active: m.is_active,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

pub fn escalation_input_of(m: &escalation_rule::Model) -> EscalationRuleInput {
    EscalationRuleInput {
        hospital_id: Some(m.hospital_id),
        applies_to: Some(m.applies_to.clone()),
        name: Some(m.name.clone()),
        level: Some(m.level.into()),
        trigger_on_overdue: Some(m.trigger_on_overdue),
        trigger_hours_overdue: Some(m.trigger_hours_overdue.into()),
        reminder_escalation_enabled: Some(m.reminder_escalation_enabled),
        reminder_escalation_hours: Some(m.reminder_escalation_hours.into()),
        escalate_to_role: Some(m.escalate_to_role.clone()),
        escalate_to_user_id: m.escalate_to_user_id,
        filters: Some(m.filters.clone()),
        is_active: Some(m.is_active),
    }
}

struct EscalationValues {
    hospital_id: Uuid,
    applies_to: AppliesTo,
    name: String,
    level: i32,
    trigger_on_overdue: bool,
    trigger_hours_overdue: i32,
    reminder_escalation_enabled: bool,
    reminder_escalation_hours: i32,
    escalate_to: EscalationTarget,
    escalate_to_user_id: Option<Uuid>,
    filters: Value,
    is_active: bool,
}

/// Checks a `filters` object; returns it normalised (known keys, de-duplicated values).
async fn validate_filters(
    state: &AppState,
    errors: &mut FieldErrors,
    hospital_id: Option<Uuid>,
    value: Option<&Value>,
) -> AppResult<Value> {
    let Some(value) = value.filter(|v| !v.is_null()) else { return Ok(json!({})) };
    let Some(obj) = value.as_object() else {
        errors.add("filters", "Expected an object with optional lists severity, priority, source, department_id.");
        return Ok(json!({}));
    };
    let mut out = serde_json::Map::new();
    for (key, list) in obj {
        if !FILTER_KEYS.contains(&key.as_str()) {
            errors.add("filters", format!("Unknown filter \"{key}\" (use {}).", FILTER_KEYS.join(", ")));
            continue;
        }
        let Some(items) = list.as_array() else {
            errors.add("filters", format!("{key}: expected a list."));
            continue;
        };
        let mut kept: Vec<String> = Vec::new();
        for item in items {
            let Some(s) = item.as_str().map(str::trim) else {
                errors.add("filters", format!("{key}: {item} is not a string."));
                continue;
            };
            let ok = match key.as_str() {
                "severity" => Severity::parse(s).is_some(),
                "priority" => Priority::parse(s).is_some(),
                "source" => ComplaintSource::parse(s).is_some(),
                _ => match (Uuid::parse_str(s), hospital_id) {
                    (Ok(id), Some(h)) => department::Entity::find_by_id(id)
                        .filter(department::Column::HospitalId.eq(h))
                        .filter(department::Column::DeletedAt.is_null())
                        .one(&state.db)
                        .await?
                        .is_some(),
                    (Ok(_), None) => true, // the hospital's own error is reported
                    (Err(_), _) => false,
                },
            };
            if !ok {
                let what = if key == "department_id" {
                    "is not a department of this hospital"
                } else {
                    "is not a valid choice"
                };
                errors.add("filters", format!("{key}: \"{s}\" {what}."));
            } else if !kept.iter().any(|k| k == s) {
                kept.push(s.to_owned());
            }
        }
        if !kept.is_empty() {
            out.insert(key.clone(), json!(kept));
        }
    }
    Ok(Value::Object(out))
}

async fn validate_escalation(
    state: &AppState,
    actor: &Actor,
    input: &EscalationRuleInput,
    existing: Option<&escalation_rule::Model>,
) -> AppResult<EscalationValues> {
    let mut errors = FieldErrors::new();
    let hospital_id = match existing {
        Some(row) => {
            if input.hospital_id.is_some_and(|h| h != row.hospital_id) {
                errors.add("hospital_id", "A rule cannot move to another hospital.");
            }
            Some(row.hospital_id)
        }
        None => write_hospital(state, actor, &mut errors, input.hospital_id).await?,
    };
    let applies_to = applies_to_field(&mut errors, input.applies_to.as_deref());
    let name = crate::http::validate::optional(&mut errors, "name", input.name.as_deref(), 200);
    let level = match input.level {
        None => {
            errors.add("level", "This field is required.");
            1
        }
        Some(l) if (1..=i64::from(MAX_ESCALATION_LEVEL)).contains(&l) => i32::try_from(l).unwrap_or(1),
        Some(_) => {
            errors.add("level", format!("Enter a level from 1 to {MAX_ESCALATION_LEVEL}."));
            1
        }
    };
    let trigger_on_overdue = input.trigger_on_overdue.unwrap_or(true);
    let trigger_hours = hours_field(&mut errors, "trigger_hours_overdue", input.trigger_hours_overdue, 0, 0);
    let reminder_enabled = input.reminder_escalation_enabled.unwrap_or(false);
    let reminder_hours = hours_field(
        &mut errors,
        "reminder_escalation_hours",
        input.reminder_escalation_hours,
        24,
        if reminder_enabled { 1 } else { 0 },
    );
    if !trigger_on_overdue && !reminder_enabled && level != 1 {
        errors.add(
            "trigger_on_overdue",
            "This rule would never fire: turn on trigger_on_overdue or reminder_escalation_enabled.",
        );
    }
    let target_names: Vec<&str> = EscalationTarget::ALL.iter().map(|t| t.as_str()).collect();
    let escalate_to = match input.escalate_to_role.as_deref().map(str::trim) {
        None | Some("") => {
            errors.add("escalate_to_role", "This field is required.");
            None
        }
        Some(v) => {
            let t = EscalationTarget::parse(v);
            if t.is_none() {
                errors.add("escalate_to_role", format!("\"{v}\" is not a valid choice ({}).", target_names.join(", ")));
            }
            t
        }
    };
    let mut user_id = input.escalate_to_user_id;
    match (escalate_to, user_id) {
        (Some(EscalationTarget::SpecificUser), None) => {
            errors.add("escalate_to_user_id", "This field is required when escalate_to_role is specific_user.");
        }
        (Some(EscalationTarget::SpecificUser), Some(id)) => {
            let found = user::Entity::find_by_id(id).one(&state.db).await?;
            let fits = found.is_some_and(|u| {
                u.is_active
                    && (u.role == Role::PxAdmin.as_str() || (hospital_id.is_some() && u.hospital_id == hospital_id))
            });
            if !fits {
                errors.add("escalate_to_user_id", "Choose an active user who works in this hospital (or a PX admin).");
            }
        }
        (Some(_), Some(_)) => {
            errors.add("escalate_to_user_id", "Only for escalate_to_role specific_user: leave it empty.");
            user_id = None;
        }
        (Some(_), None) | (None, _) => {}
    }
    let filters = validate_filters(state, &mut errors, hospital_id, input.filters.as_ref()).await?;
    errors.into_result()?;
    Ok(EscalationValues {
        hospital_id: hospital_id.unwrap_or_default(),
        applies_to,
        name,
        level,
        trigger_on_overdue,
        trigger_hours_overdue: trigger_hours,
        reminder_escalation_enabled: reminder_enabled,
        reminder_escalation_hours: reminder_hours,
        escalate_to: escalate_to.unwrap_or(EscalationTarget::PxAdmin),
        escalate_to_user_id: user_id,
        filters,
        is_active: input.is_active.unwrap_or(true),
    })
}

fn escalation_details(row: &escalation_rule::Model) -> Value {
    json!({
        "applies_to": row.applies_to, "name": row.name, "level": row.level,
        "trigger_on_overdue": row.trigger_on_overdue, "trigger_hours_overdue": row.trigger_hours_overdue,
        "reminder_escalation_enabled": row.reminder_escalation_enabled,
        "reminder_escalation_hours": row.reminder_escalation_hours,
        "escalate_to_role": row.escalate_to_role, "escalate_to_user_id": row.escalate_to_user_id,
        "filters": row.filters, "is_active": row.is_active,
    })
}

/// Escalation rules visible to the actor; filters `applies_to`, `level`, `is_active`.
pub async fn list_escalation_rules(
    state: &AppState,
    actor: &Actor,
    query: &ListQuery,
) -> AppResult<Page<EscalationRuleView>> {
    actor.require(state, Permission::ViewSlaSettings).await?;
    use escalation_rule::Column as C;
    let mut select = actor.scoped(escalation_rule::Entity::find(), C::HospitalId);
    if let Some(v) = query.filter("applies_to") {
        select = select.filter(C::AppliesTo.eq(v));
    }
    if let Some(v) = query.filter("level") {
        let level: i32 = v.parse().map_err(|_| crate::error::invalid("level", "Enter a whole number."))?;
        select = select.filter(C::Level.eq(level));
    }
    match query.filter("is_active") {
        Some("true") => select = select.filter(C::IsActive.eq(true)),
        Some("false") => select = select.filter(C::IsActive.eq(false)),
        _ => {}
    }
    select = pagination::order(
        select,
        &query.params,
        &[("level", C::Level), ("created_at", C::CreatedAt)],
        (C::Level, Order::Asc),
    )?;
    Ok(pagination::fetch(&state.db, select, &query.params, &query.path).await?.map(Into::into))
}

/// Every escalation rule of one hospital, by applies_to and level.
pub async fn hospital_escalation_rows(state: &AppState, hospital_id: Uuid) -> AppResult<Vec<escalation_rule::Model>> {
    Ok(escalation_rule::Entity::find()
        .filter(escalation_rule::Column::HospitalId.eq(hospital_id))
        .order_by_asc(escalation_rule::Column::AppliesTo)
        .order_by_asc(escalation_rule::Column::Level)
        .order_by_asc(escalation_rule::Column::CreatedAt)
        .all(&state.db)
        .await?)
}

async fn find_escalation(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<escalation_rule::Model> {
    match escalation_rule::Entity::find_by_id(id).one(&state.db).await? {
        Some(row) if sees(actor, row.hospital_id) => Ok(row),
        _ => Err(not_found("escalation rule")),
    }
}

pub async fn get_escalation_rule(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<EscalationRuleView> {
    actor.require(state, Permission::ViewSlaSettings).await?;
    Ok(find_escalation(state, actor, id).await?.into())
}

pub async fn create_escalation_rule(
    state: &AppState,
    actor: &Actor,
    input: EscalationRuleInput,
) -> AppResult<EscalationRuleView> {
    actor.require(state, Permission::ManageSlaSettings).await?;
    let v = validate_escalation(state, actor, &input, None).await?;
    let at = now();
    let txn = state.db.begin().await?;
    let row = escalation_rule::ActiveModel {
        id: Set(Uuid::now_v7()),
        hospital_id: Set(v.hospital_id),
        applies_to: Set(v.applies_to.as_str().to_owned()),
        name: Set(v.name),
        level: Set(v.level),
        trigger_on_overdue: Set(v.trigger_on_overdue),
        trigger_hours_overdue: Set(v.trigger_hours_overdue),
        reminder_escalation_enabled: Set(v.reminder_escalation_enabled),
        reminder_escalation_hours: Set(v.reminder_escalation_hours),
        escalate_to_role: Set(v.escalate_to.as_str().to_owned()),
        escalate_to_user_id: Set(v.escalate_to_user_id),
        filters: Set(v.filters),
        is_active: Set(v.is_active),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await?;
    record(
        &txn,
        actor,
        Entry::new("escalation_rule_created", "escalation_rule", row.id)
            .hospital(Some(row.hospital_id))
            .details(escalation_details(&row)),
    )
    .await?;
    txn.commit().await?;
    Ok(row.into())
}

pub async fn update_escalation_rule(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    input: EscalationRuleInput,
) -> AppResult<EscalationRuleView> {
    actor.require(state, Permission::ManageSlaSettings).await?;
    let found = find_escalation(state, actor, id).await?;
    let v = validate_escalation(state, actor, &input, Some(&found)).await?;
    let before = escalation_details(&found);
    let txn = state.db.begin().await?;
    let mut row: escalation_rule::ActiveModel = found.into();
    row.applies_to = Set(v.applies_to.as_str().to_owned());
    row.name = Set(v.name);
    row.level = Set(v.level);
    row.trigger_on_overdue = Set(v.trigger_on_overdue);
    row.trigger_hours_overdue = Set(v.trigger_hours_overdue);
    row.reminder_escalation_enabled = Set(v.reminder_escalation_enabled);
    row.reminder_escalation_hours = Set(v.reminder_escalation_hours);
    row.escalate_to_role = Set(v.escalate_to.as_str().to_owned());
    row.escalate_to_user_id = Set(v.escalate_to_user_id);
    row.filters = Set(v.filters);
    row.is_active = Set(v.is_active);
    row.updated_at = Set(now());
    let saved = row.update(&txn).await?;
    record(
        &txn,
        actor,
        Entry::new("escalation_rule_updated", "escalation_rule", saved.id)
            .hospital(Some(saved.hospital_id))
            .details(json!({"before": before, "after": escalation_details(&saved)})),
    )
    .await?;
    txn.commit().await?;
    Ok(saved.into())
}

/// Deletes a rule that never fired; one that did is part of cases' history (409: deactivate it).
pub async fn delete_escalation_rule(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<()> {
    actor.require(state, Permission::ManageSlaSettings).await?;
    let found = find_escalation(state, actor, id).await?;
    let fired =
        sla_escalation::Entity::find().filter(sla_escalation::Column::RuleId.eq(found.id)).count(&state.db).await?;
    if fired > 0 {
        return Err(AppError::Conflict(
            "rule_in_use",
            format!(
                "This rule has escalated {fired} case(s) and stays in their history: set is_active to false instead."
            ),
        ));
    }
    let txn = state.db.begin().await?;
    escalation_rule::Entity::delete_by_id(found.id).exec(&txn).await?;
    record(
        &txn,
        actor,
        Entry::new("escalation_rule_deleted", "escalation_rule", found.id)
            .hospital(Some(found.hospital_id))
            .details(escalation_details(&found)),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Working calendars and holidays
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarInput {
    /// ISO weekday numbers (1 = Monday … 7 = Sunday) that are not working days, e.g. `[5, 6]`.
    pub weekend_days: Option<Vec<i64>>,
    /// Opening time, Riyadh, `"08:00"`.
    pub opens: Option<String>,
    /// Closing time, Riyadh, `"16:00"` (after `opens`; `"24:00"` = midnight).
    pub closes: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalendarView {
    pub hospital_id: Uuid,
    pub weekend_days: Vec<u32>,
    pub opens: String,
    pub closes: String,
    /// True when the hospital has no row of its own (Sunday–Thursday 08:00–16:00).
    pub is_default: bool,
    pub updated_at: Option<DateTime<Utc>>,
}

fn calendar_view(hospital_id: Uuid, row: Option<&working_calendar::Model>) -> CalendarView {
    match row {
        Some(r) => CalendarView {
            hospital_id,
            weekend_days: parse_weekend(&r.weekend_days)
                .unwrap_or_default()
                .iter()
                .map(chrono::Weekday::number_from_monday)
                .collect(),
            opens: format_hhmm(r.opens_minute),
            closes: format_hhmm(r.closes_minute),
            is_default: false,
            updated_at: Some(r.updated_at),
        },
        None => {
            let d = WorkingCalendar::default();
            CalendarView {
                hospital_id,
                weekend_days: d.weekend.iter().map(chrono::Weekday::number_from_monday).collect(),
                opens: format_hhmm(d.hours.opens.into()),
                closes: format_hhmm(d.hours.closes.into()),
                is_default: true,
                updated_at: None,
            }
        }
    }
}

pub async fn get_calendar(state: &AppState, actor: &Actor, hospital_id: Uuid) -> AppResult<CalendarView> {
    actor.require(state, Permission::ViewSlaSettings).await?;
    visible_hospital(state, actor, hospital_id).await?;
    let row = working_calendar::Entity::find_by_id(hospital_id).one(&state.db).await?;
    Ok(calendar_view(hospital_id, row.as_ref()))
}

/// The hospital's calendar as the SLA clocks use it (its row and every holiday).
pub async fn hospital_calendar(state: &AppState, hospital_id: Uuid) -> AppResult<WorkingCalendar> {
    let row = working_calendar::Entity::find_by_id(hospital_id).one(&state.db).await?;
    let holidays = hospital_holiday_rows(state, hospital_id).await?;
    calendar_from_rows(row.as_ref(), &holidays).map_err(|e| AppError::Unexpected(e.into()))
}

pub async fn put_calendar(
    state: &AppState,
    actor: &Actor,
    hospital_id: Uuid,
    input: CalendarInput,
) -> AppResult<CalendarView> {
    actor.require(state, Permission::ManageSlaSettings).await?;
    visible_hospital(state, actor, hospital_id).await?;
    let mut errors = FieldErrors::new();
    let mut days: Vec<chrono::Weekday> = Vec::new();
    match &input.weekend_days {
        None => errors.add("weekend_days", "This field is required."),
        Some(list) => {
            for n in list {
                match u8::try_from(*n).ok().filter(|n| (1..=7).contains(n)) {
                    Some(n) => {
                        let day = parse_weekend(&n.to_string()).unwrap_or_default()[0];
                        if !days.contains(&day) {
                            days.push(day);
                        }
                    }
                    None => {
                        errors.add("weekend_days", format!("{n} is not a weekday number (1 = Monday … 7 = Sunday)."))
                    }
                }
            }
            if days.len() >= 7 {
                errors.add("weekend_days", "At least one day of the week must be a working day.");
            }
        }
    }
    days.sort_by_key(chrono::Weekday::number_from_monday);
    let (opens, closes) = hours_pair(&mut errors, input.opens.as_deref(), input.closes.as_deref(), true)?;
    errors.into_result()?;
    let (opens, closes) = (opens.unwrap_or(480), closes.unwrap_or(960));
    let existing = working_calendar::Entity::find_by_id(hospital_id).one(&state.db).await?;
    let before = existing.as_ref().map(|r| json!({"weekend_days": r.weekend_days, "opens": format_hhmm(r.opens_minute), "closes": format_hhmm(r.closes_minute)}));
    let at = now();
    let txn = state.db.begin().await?;
    let saved = match existing {
        Some(found) => {
            let mut row: working_calendar::ActiveModel = found.into();
            row.weekend_days = Set(format_weekend(&days));
            row.opens_minute = Set(opens);
            row.closes_minute = Set(closes);
            row.updated_by = Set(actor.user_id);
            row.updated_at = Set(at);
            row.update(&txn).await?
        }
        None => {
            working_calendar::ActiveModel {
                hospital_id: Set(hospital_id),
                weekend_days: Set(format_weekend(&days)),
                opens_minute: Set(opens),
                closes_minute: Set(closes),
                updated_by: Set(actor.user_id),
                created_at: Set(at),
                updated_at: Set(at),
            }
            .insert(&txn)
            .await?
        }
    };
    record(
        &txn,
        actor,
        Entry::new("working_calendar_updated", "working_calendar", hospital_id)
            .hospital(Some(hospital_id))
            .details(json!({"before": before, "after": {"weekend_days": saved.weekend_days,
                "opens": format_hhmm(saved.opens_minute), "closes": format_hhmm(saved.closes_minute)}})),
    )
    .await?;
    txn.commit().await?;
    Ok(calendar_view(hospital_id, Some(&saved)))
}

/// Opening and closing times: both required (`required`), or both or neither; closes after opens.
fn hours_pair(
    errors: &mut FieldErrors,
    opens: Option<&str>,
    closes: Option<&str>,
    required: bool,
) -> AppResult<(Option<i32>, Option<i32>)> {
    let blank = |v: Option<&str>| v.is_none_or(|s| s.trim().is_empty());
    if !required && blank(opens) && blank(closes) {
        return Ok((None, None));
    }
    let mut parse = |field: &str, value: Option<&str>, midnight: bool| {
        if blank(value) {
            errors.add(
                field,
                if required { "This field is required." } else { "Give both opening and closing times, or neither." },
            );
            return None;
        }
        let v = value.unwrap_or_default();
        let parsed = parse_hhmm(v, midnight);
        if parsed.is_none() {
            errors.add(field, "Enter a time as HH:MM (00:00–23:59).");
        }
        parsed
    };
    let o = parse("opens", opens, false);
    let c = parse("closes", closes, true);
    if let (Some(o), Some(c)) = (o, c)
        && c <= o
    {
        errors.add("closes", "The closing time must be after the opening time.");
    }
    Ok((o, c))
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HolidayInput {
    pub name_en: Option<String>,
    pub name_ar: Option<String>,
    /// `YYYY-MM-DD`.
    pub starts_on: Option<String>,
    /// `YYYY-MM-DD`, on or after `starts_on`, at most 60 days in all.
    pub ends_on: Option<String>,
    /// Special hours (both or neither), e.g. Ramadan `"10:00"`–`"15:00"`; none = closed.
    pub opens: Option<String>,
    pub closes: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HolidayView {
    pub id: Uuid,
    pub hospital_id: Uuid,
    pub name_en: String,
    pub name_ar: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub opens: Option<String>,
    pub closes: Option<String>,
    /// `closed` or `special_hours`.
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<calendar_holiday::Model> for HolidayView {
    fn from(m: calendar_holiday::Model) -> Self {
        HolidayView {
            id: m.id,
            hospital_id: m.hospital_id,
            name_en: m.name_en,
            name_ar: m.name_ar,
            starts_on: m.starts_on,
            ends_on: m.ends_on,
            opens: m.opens_minute.map(format_hhmm),
            closes: m.closes_minute.map(format_hhmm),
            kind: if m.opens_minute.is_some() { "special_hours" } else { "closed" }.into(),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

fn holiday_input_of(m: &calendar_holiday::Model) -> HolidayInput {
    HolidayInput {
        name_en: Some(m.name_en.clone()),
        name_ar: Some(m.name_ar.clone()),
        starts_on: Some(m.starts_on.to_string()),
        ends_on: Some(m.ends_on.to_string()),
        opens: m.opens_minute.map(format_hhmm),
        closes: m.closes_minute.map(format_hhmm),
    }
}

struct HolidayValues {
    name_en: String,
    name_ar: String,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    opens: Option<i32>,
    closes: Option<i32>,
}

fn validate_holiday(input: &HolidayInput) -> AppResult<HolidayValues> {
    let mut errors = FieldErrors::new();
    let name_en = crate::http::validate::required(&mut errors, "name_en", input.name_en.as_deref(), 200);
    let name_ar = crate::http::validate::optional(&mut errors, "name_ar", input.name_ar.as_deref(), 200);
    let starts_on = parse_date(&mut errors, "starts_on", input.starts_on.as_deref());
    let ends_on = parse_date(&mut errors, "ends_on", input.ends_on.as_deref());
    if let (Some(s), Some(e)) = (starts_on, ends_on) {
        if e < s {
            errors.add("ends_on", "The last day must be on or after the first day.");
        } else if (e - s).num_days() + 1 > MAX_HOLIDAY_DAYS {
            errors.add("ends_on", format!("A holiday or special-hours period is at most {MAX_HOLIDAY_DAYS} days."));
        }
    }
    let (opens, closes) = hours_pair(&mut errors, input.opens.as_deref(), input.closes.as_deref(), false)?;
    errors.into_result()?;
    Ok(HolidayValues {
        name_en,
        name_ar,
        starts_on: starts_on.unwrap_or_default(),
        ends_on: ends_on.unwrap_or_default(),
        opens,
        closes,
    })
}

fn holiday_details(row: &calendar_holiday::Model) -> Value {
    json!({"name_en": row.name_en, "name_ar": row.name_ar, "starts_on": row.starts_on.to_string(),
        "ends_on": row.ends_on.to_string(), "opens": row.opens_minute.map(format_hhmm),
        "closes": row.closes_minute.map(format_hhmm)})
}

/// A hospital's holidays, by first day.
pub async fn hospital_holiday_rows(state: &AppState, hospital_id: Uuid) -> AppResult<Vec<calendar_holiday::Model>> {
    Ok(calendar_holiday::Entity::find()
        .filter(calendar_holiday::Column::HospitalId.eq(hospital_id))
        .order_by_asc(calendar_holiday::Column::StartsOn)
        .order_by_asc(calendar_holiday::Column::CreatedAt)
        .all(&state.db)
        .await?)
}

pub async fn list_holidays(state: &AppState, actor: &Actor, hospital_id: Uuid) -> AppResult<Vec<HolidayView>> {
    actor.require(state, Permission::ViewSlaSettings).await?;
    visible_hospital(state, actor, hospital_id).await?;
    Ok(hospital_holiday_rows(state, hospital_id).await?.into_iter().map(Into::into).collect())
}

async fn find_holiday(
    state: &AppState,
    actor: &Actor,
    hospital_id: Uuid,
    id: Uuid,
) -> AppResult<calendar_holiday::Model> {
    match calendar_holiday::Entity::find_by_id(id).one(&state.db).await? {
        Some(row) if row.hospital_id == hospital_id && sees(actor, row.hospital_id) => Ok(row),
        _ => Err(not_found("holiday")),
    }
}

pub async fn create_holiday(
    state: &AppState,
    actor: &Actor,
    hospital_id: Uuid,
    input: HolidayInput,
) -> AppResult<HolidayView> {
    actor.require(state, Permission::ManageSlaSettings).await?;
    visible_hospital(state, actor, hospital_id).await?;
    let v = validate_holiday(&input)?;
    let at = now();
    let txn = state.db.begin().await?;
    let row = calendar_holiday::ActiveModel {
        id: Set(Uuid::now_v7()),
        hospital_id: Set(hospital_id),
        name_en: Set(v.name_en),
        name_ar: Set(v.name_ar),
        starts_on: Set(v.starts_on),
        ends_on: Set(v.ends_on),
        opens_minute: Set(v.opens),
        closes_minute: Set(v.closes),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await?;
    record(
        &txn,
        actor,
        Entry::new("calendar_holiday_created", "calendar_holiday", row.id)
            .hospital(Some(hospital_id))
            .details(holiday_details(&row)),
    )
    .await?;
    txn.commit().await?;
    Ok(row.into())
}

pub async fn update_holiday(
    state: &AppState,
    actor: &Actor,
    hospital_id: Uuid,
    id: Uuid,
    patch: Value,
) -> AppResult<HolidayView> {
    actor.require(state, Permission::ManageSlaSettings).await?;
    let found = find_holiday(state, actor, hospital_id, id).await?;
    let input: HolidayInput = merge_patch(&holiday_input_of(&found), patch)?;
    let v = validate_holiday(&input)?;
    let before = holiday_details(&found);
    let txn = state.db.begin().await?;
    let mut row: calendar_holiday::ActiveModel = found.into();
    row.name_en = Set(v.name_en);
    row.name_ar = Set(v.name_ar);
    row.starts_on = Set(v.starts_on);
    row.ends_on = Set(v.ends_on);
    row.opens_minute = Set(v.opens);
    row.closes_minute = Set(v.closes);
    row.updated_at = Set(now());
    let saved = row.update(&txn).await?;
    record(
        &txn,
        actor,
        Entry::new("calendar_holiday_updated", "calendar_holiday", saved.id)
            .hospital(Some(hospital_id))
            .details(json!({"before": before, "after": holiday_details(&saved)})),
    )
    .await?;
    txn.commit().await?;
    Ok(saved.into())
}

pub async fn delete_holiday(state: &AppState, actor: &Actor, hospital_id: Uuid, id: Uuid) -> AppResult<()> {
    actor.require(state, Permission::ManageSlaSettings).await?;
    let found = find_holiday(state, actor, hospital_id, id).await?;
    let txn = state.db.begin().await?;
    calendar_holiday::Entity::delete_by_id(found.id).exec(&txn).await?;
    record(
        &txn,
        actor,
        Entry::new("calendar_holiday_deleted", "calendar_holiday", found.id)
            .hospital(Some(hospital_id))
            .details(holiday_details(&found)),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// SLA preview
// ---------------------------------------------------------------------------------------------

/// What a complaint would get.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
pub struct PreviewQuery {
    /// PX admins: required unless a hospital is selected; others: their own hospital.
    pub hospital_id: Option<String>,
    /// A complaint source (patient, family, staff, …, moh, chi, insurer, other).
    pub source: Option<String>,
    /// low, medium (default), high, critical.
    pub severity: Option<String>,
    /// low, medium (default), high.
    pub priority: Option<String>,
    /// RFC 3339, or `YYYY-MM-DDTHH:MM` in Riyadh time; default now.
    pub received_at: Option<String>,
}

/// Which table the SLA came from.
pub fn basis_name(basis: SlaBasis) -> &'static str {
    match basis {
        SlaBasis::HospitalSource => "hospital_source",
        SlaBasis::DefaultSource => "default_source",
        SlaBasis::HospitalGrid => "hospital_grid",
        SlaBasis::DefaultGrid => "default_grid",
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlaPreview {
    pub hospital_id: Uuid,
    pub source: String,
    pub severity: String,
    pub priority: String,
    /// hospital_source | default_source | hospital_grid | default_grid.
    pub basis: String,
    /// The hospital row that applied, if any.
    pub sla_config_id: Option<Uuid>,
    pub sla_hours: i64,
    pub clock_mode: ClockMode,
    pub received_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub first_reminder_at: Option<DateTime<Utc>>,
    pub second_reminder_at: Option<DateTime<Utc>>,
    pub escalation_at: Option<DateTime<Utc>>,
    /// The same instants in Riyadh time, `"Sun 2026-11-29 10:00"`.
    pub local: PreviewLocal,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PreviewLocal {
    pub received_at: String,
    pub due_at: String,
    pub first_reminder_at: Option<String>,
    pub second_reminder_at: Option<String>,
    pub escalation_at: Option<String>,
}

/// An instant in Riyadh time for people: `"Sun 2026-11-29 10:00"`.
pub fn riyadh_text(at: DateTime<Utc>) -> String {
    at.with_timezone(&riyadh()).format("%a %Y-%m-%d %H:%M").to_string()
}

/// RFC 3339, or a Riyadh local `YYYY-MM-DDTHH:MM[:SS]` (a space instead of `T` is fine).
pub fn parse_received_at(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let s = s.replacen(' ', "T", 1);
    let naive = NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M"))
        .ok()?;
    riyadh().from_local_datetime(&naive).single().map(|t| t.with_timezone(&Utc))
}

pub async fn preview(state: &AppState, actor: &Actor, q: &PreviewQuery) -> AppResult<SlaPreview> {
    actor.require(state, Permission::ViewSlaSettings).await?;
    let mut errors = FieldErrors::new();
    let requested = match q.hospital_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match Uuid::parse_str(s) {
            Ok(id) => Some(id),
            Err(_) => {
                errors.add("hospital_id", "Must be a valid UUID.");
                None
            }
        },
    };
    let hospital_id = if errors.is_empty() { errors.collect(read_hospital(actor, requested))? } else { None };
    let source = match q.source.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => {
            errors.add("source", "This field is required.");
            None
        }
        s => opt_choice(&mut errors, "source", s, ComplaintSource::parse, &source_names()),
    };
    let severity = opt_choice(&mut errors, "severity", q.severity.as_deref(), Severity::parse, &severity_names())
        .unwrap_or(Severity::Medium);
    let priority = opt_choice(&mut errors, "priority", q.priority.as_deref(), Priority::parse, &priority_names())
        .unwrap_or(Priority::Medium);
    let received_at = match q.received_at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => now(),
        Some(s) => parse_received_at(s).unwrap_or_else(|| {
            errors.add("received_at", "Enter a date and time: RFC 3339, or YYYY-MM-DDTHH:MM in Riyadh time.");
            now()
        }),
    };
    errors.into_result()?;
    let (Some(hospital_id), Some(source)) = (hospital_id, source) else {
        return Err(crate::error::invalid("non_field_errors", "Invalid input."));
    };
    visible_hospital(state, actor, hospital_id).await?;
    let rows = hospital_sla_rows(state, hospital_id).await?;
    let configs = sla_configs_for(&rows, AppliesTo::Complaint).map_err(|e| AppError::Unexpected(e.into()))?;
    let cal = hospital_calendar(state, hospital_id).await?;
    let plan = complaint_sla(&configs, source, severity, priority, received_at, &cal);
    let complaint_rows = rows.iter().filter(|r| r.is_active && r.applies_to == AppliesTo::Complaint.as_str());
    let sla_config_id = match plan.basis {
        SlaBasis::HospitalSource => {
            complaint_rows.clone().find(|r| r.source.as_deref() == Some(source.as_str())).map(|r| r.id)
        }
        SlaBasis::HospitalGrid => complaint_rows
            .clone()
            .find(|r| {
                r.source.is_none()
                    && r.severity.as_deref() == Some(severity.as_str())
                    && r.priority.as_deref() == Some(priority.as_str())
            })
            .map(|r| r.id),
        _ => None,
    };
    let t = plan.times;
    Ok(SlaPreview {
        hospital_id,
        source: source.as_str().into(),
        severity: severity.as_str().into(),
        priority: priority.as_str().into(),
        basis: basis_name(plan.basis).into(),
        sla_config_id,
        sla_hours: plan.rule.sla_hours,
        clock_mode: plan.rule.clock_mode,
        received_at,
        due_at: t.due_at,
        first_reminder_at: t.first_reminder_at,
        second_reminder_at: t.second_reminder_at,
        escalation_at: t.escalation_at,
        local: PreviewLocal {
            received_at: riyadh_text(received_at),
            due_at: riyadh_text(t.due_at),
            first_reminder_at: t.first_reminder_at.map(riyadh_text),
            second_reminder_at: t.second_reminder_at.map(riyadh_text),
            escalation_at: t.escalation_at.map(riyadh_text),
        },
    })
}

// ---------------------------------------------------------------------------------------------
// API handlers
// ---------------------------------------------------------------------------------------------

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// SLA rows (PX admins: every hospital, or `?hospital_id=`; hospital admins: their own).
#[utoipa::path(get, path = "/api/complaints/sla-configs/", tag = TAG,
    params(ListParams, ("hospital_id" = Option<Uuid>, Query), ("applies_to" = Option<String>, Query),
        ("source" = Option<String>, Query), ("is_active" = Option<bool>, Query)),
    responses((status = 200, body = Page<SlaConfigView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn api_sla_list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    uri: OriginalUri,
) -> AppResult<Json<Page<SlaConfigView>>> {
    let query = ListQuery::from_query(uri.path(), uri.query());
    Ok(Json(list_sla_configs(&state, &actor, &query).await?))
}

/// Adds a hospital SLA row (PX admins).
#[utoipa::path(post, path = "/api/complaints/sla-configs/", tag = TAG, request_body = SlaConfigInput,
    responses((status = 201, body = SlaConfigView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn api_sla_create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<SlaConfigInput>,
) -> AppResult<Response> {
    Ok((StatusCode::CREATED, Json(create_sla_config(&state, &actor, input).await?)).into_response())
}

#[utoipa::path(get, path = "/api/complaints/sla-configs/{id}/", tag = TAG, params(("id" = Uuid, Path)),
    responses((status = 200, body = SlaConfigView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_sla_get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<Json<SlaConfigView>> {
    Ok(Json(get_sla_config(&state, &actor, id).await?))
}

/// Changes some fields of an SLA row (PX admins); the result is checked as a whole.
#[utoipa::path(patch, path = "/api/complaints/sla-configs/{id}/", tag = TAG, params(("id" = Uuid, Path)), request_body = SlaConfigInput,
    responses((status = 200, body = SlaConfigView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_sla_patch(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
    ApiJson(patch): ApiJson<Value>,
) -> AppResult<Json<SlaConfigView>> {
    actor.require(&state, Permission::ManageSlaSettings).await?;
    let found = find_sla(&state, &actor, id).await?;
    let input: SlaConfigInput = merge_patch(&sla_input_of(&found), patch)?;
    Ok(Json(update_sla_config(&state, &actor, id, input).await?))
}

/// Deletes an SLA row (PX admins); the spec's default applies again.
#[utoipa::path(delete, path = "/api/complaints/sla-configs/{id}/", tag = TAG, params(("id" = Uuid, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_sla_delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    delete_sla_config(&state, &actor, id).await?;
    Ok(no_content())
}

/// Escalation rules (PX admins: every hospital, or `?hospital_id=`; hospital admins: their own).
#[utoipa::path(get, path = "/api/complaints/escalation-rules/", tag = TAG,
    params(ListParams, ("hospital_id" = Option<Uuid>, Query), ("applies_to" = Option<String>, Query),
        ("level" = Option<i32>, Query), ("is_active" = Option<bool>, Query)),
    responses((status = 200, body = Page<EscalationRuleView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn api_escalation_list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    uri: OriginalUri,
) -> AppResult<Json<Page<EscalationRuleView>>> {
    let query = ListQuery::from_query(uri.path(), uri.query());
    Ok(Json(list_escalation_rules(&state, &actor, &query).await?))
}

/// Adds an escalation rule (PX admins). A hospital with rules for complaints (or actions) uses
/// them instead of the spec's default chain.
#[utoipa::path(post, path = "/api/complaints/escalation-rules/", tag = TAG, request_body = EscalationRuleInput,
    responses((status = 201, body = EscalationRuleView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn api_escalation_create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<EscalationRuleInput>,
) -> AppResult<Response> {
    Ok((StatusCode::CREATED, Json(create_escalation_rule(&state, &actor, input).await?)).into_response())
}

#[utoipa::path(get, path = "/api/complaints/escalation-rules/{id}/", tag = TAG, params(("id" = Uuid, Path)),
    responses((status = 200, body = EscalationRuleView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_escalation_get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<Json<EscalationRuleView>> {
    Ok(Json(get_escalation_rule(&state, &actor, id).await?))
}

#[utoipa::path(patch, path = "/api/complaints/escalation-rules/{id}/", tag = TAG, params(("id" = Uuid, Path)), request_body = EscalationRuleInput,
    responses((status = 200, body = EscalationRuleView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_escalation_patch(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
    ApiJson(patch): ApiJson<Value>,
) -> AppResult<Json<EscalationRuleView>> {
    actor.require(&state, Permission::ManageSlaSettings).await?;
    let found = find_escalation(&state, &actor, id).await?;
    let input: EscalationRuleInput = merge_patch(&escalation_input_of(&found), patch)?;
    Ok(Json(update_escalation_rule(&state, &actor, id, input).await?))
}

/// Deletes an escalation rule that never fired (409 otherwise: deactivate it).
#[utoipa::path(delete, path = "/api/complaints/escalation-rules/{id}/", tag = TAG, params(("id" = Uuid, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn api_escalation_delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    delete_escalation_rule(&state, &actor, id).await?;
    Ok(no_content())
}

/// A hospital's working week (its own row, or the default Sunday–Thursday 08:00–16:00).
#[utoipa::path(get, path = "/api/complaints/calendars/{hospital_id}/", tag = TAG, params(("hospital_id" = Uuid, Path)),
    responses((status = 200, body = CalendarView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_calendar_get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(hospital_id): Path<String>,
) -> AppResult<Json<CalendarView>> {
    let hospital_id = parse_id(&hospital_id, "hospital")?;
    Ok(Json(get_calendar(&state, &actor, hospital_id).await?))
}

/// Sets a hospital's working week (PX admins).
#[utoipa::path(put, path = "/api/complaints/calendars/{hospital_id}/", tag = TAG, params(("hospital_id" = Uuid, Path)), request_body = CalendarInput,
    responses((status = 200, body = CalendarView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_calendar_put(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(hospital_id): Path<String>,
    ApiJson(input): ApiJson<CalendarInput>,
) -> AppResult<Json<CalendarView>> {
    let hospital_id = parse_id(&hospital_id, "hospital")?;
    Ok(Json(put_calendar(&state, &actor, hospital_id, input).await?))
}

/// A hospital's holidays and special-hours periods, by first day.
#[utoipa::path(get, path = "/api/complaints/calendars/{hospital_id}/holidays/", tag = TAG, params(("hospital_id" = Uuid, Path)),
    responses((status = 200, body = Vec<HolidayView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_holidays_list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(hospital_id): Path<String>,
) -> AppResult<Json<Vec<HolidayView>>> {
    let hospital_id = parse_id(&hospital_id, "hospital")?;
    Ok(Json(list_holidays(&state, &actor, hospital_id).await?))
}

/// Adds a holiday (closed) or a special-hours period such as Ramadan (PX admins).
#[utoipa::path(post, path = "/api/complaints/calendars/{hospital_id}/holidays/", tag = TAG, params(("hospital_id" = Uuid, Path)), request_body = HolidayInput,
    responses((status = 201, body = HolidayView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_holidays_create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(hospital_id): Path<String>,
    ApiJson(input): ApiJson<HolidayInput>,
) -> AppResult<Response> {
    let hospital_id = parse_id(&hospital_id, "hospital")?;
    Ok((StatusCode::CREATED, Json(create_holiday(&state, &actor, hospital_id, input).await?)).into_response())
}

#[utoipa::path(patch, path = "/api/complaints/calendars/{hospital_id}/holidays/{id}/", tag = TAG,
    params(("hospital_id" = Uuid, Path), ("id" = Uuid, Path)), request_body = HolidayInput,
    responses((status = 200, body = HolidayView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_holiday_patch(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((hospital_id, id)): Path<(String, String)>,
    ApiJson(patch): ApiJson<Value>,
) -> AppResult<Json<HolidayView>> {
    let hospital_id = parse_id(&hospital_id, "hospital")?;
    let id = parse_id(&id, "holiday")?;
    Ok(Json(update_holiday(&state, &actor, hospital_id, id, patch).await?))
}

#[utoipa::path(delete, path = "/api/complaints/calendars/{hospital_id}/holidays/{id}/", tag = TAG,
    params(("hospital_id" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_holiday_delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((hospital_id, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let hospital_id = parse_id(&hospital_id, "hospital")?;
    let id = parse_id(&id, "holiday")?;
    delete_holiday(&state, &actor, hospital_id, id).await?;
    Ok(no_content())
}

/// The deadline, reminders and escalation time a complaint would get in a hospital, and which
/// table they came from (hospital source row, spec source default, hospital grid row, spec grid).
#[utoipa::path(get, path = "/api/complaints/sla-preview/", tag = TAG, params(PreviewQuery),
    responses((status = 200, body = SlaPreview), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_preview(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    uri: OriginalUri,
) -> AppResult<Json<SlaPreview>> {
    let q: PreviewQuery = uri.query().and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default();
    Ok(Json(preview(&state, &actor, &q).await?))
}

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_sla_list, api_sla_create))
        .routes(routes!(api_sla_get, api_sla_patch, api_sla_delete))
        .routes(routes!(api_escalation_list, api_escalation_create))
        .routes(routes!(api_escalation_get, api_escalation_patch, api_escalation_delete))
        .routes(routes!(api_calendar_get, api_calendar_put))
        .routes(routes!(api_holidays_list, api_holidays_create))
        .routes(routes!(api_holiday_patch, api_holiday_delete))
        .routes(routes!(api_preview))
}

pub fn page_routes() -> axum::Router<AppState> {
    super::sla_admin_pages::page_routes()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn times_parse_and_format() {
        assert_eq!(parse_hhmm("08:00", false), Some(480));
        assert_eq!(parse_hhmm("8:30", false), Some(510));
        assert_eq!(parse_hhmm("24:00", false), None);
        assert_eq!(parse_hhmm("24:00", true), Some(1440));
        for bad in ["", "8", "25:00", "10:60", "aa:bb", "10:5"] {
            assert_eq!(parse_hhmm(bad, true), None, "{bad}");
        }
        assert_eq!(format_hhmm(900), "15:00");
    }

    #[test]
    fn received_at_is_riyadh_time_unless_it_carries_an_offset() {
        let want = Utc.with_ymd_and_hms(2026, 11, 29, 7, 0, 0).unwrap();
        assert_eq!(parse_received_at("2026-11-29T10:00"), Some(want));
        assert_eq!(parse_received_at("2026-11-29 10:00:00"), Some(want));
        assert_eq!(parse_received_at("2026-11-29T07:00:00Z"), Some(want));
        assert_eq!(parse_received_at("2026-11-29"), None);
        assert_eq!(riyadh_text(want), "Sun 2026-11-29 10:00");
    }
}
