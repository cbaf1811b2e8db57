//! The periodic SLA checks of complaints and PX Actions (spec §8, §9, §18): reminders whose time
//! has come, the overdue flag, and one escalation level per case per run. The clock is a
//! parameter, so tests run the checks at any instant. Each case is changed in its own
//! transaction after locking and re-reading it, so two overlapping runs do each thing once (the
//! `(subject, level)` unique index of `sla_escalations` is the last guard).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use super::model::{complaint, px_action, sla_escalation};
use super::service::{RuleRow, SlaContext, add_update, complaint_vars, department_manager, sla_context};
use super::sla::{self, AppliesTo, EscalationState, EscalationTarget, SlaClock, SlaWork};
use super::workflow::{ActionStatus, ComplaintStatus};
use crate::app::AppState;
use crate::auth::Actor;
use crate::domains::accounts::model::user;
use crate::domains::audit::service::{Entry, record};
use crate::error::AppResult;

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub checked: u64,
    pub reminders: u64,
    pub overdue_flagged: u64,
    pub escalations: u64,
}

const BATCH: u64 = 500;

/// The user an escalation level goes to, if one can be found (unresolvable targets are skipped:
/// the level is recorded without a reassignment).
async fn target_user(
    db: &impl ConnectionTrait,
    rule: &RuleRow,
    hospital_id: Uuid,
    department_id: Option<Uuid>,
) -> AppResult<Option<user::Model>> {
    let by_role = |role: &'static str, hospital: Option<Uuid>| {
        let mut select = user::Entity::find()
            .filter(user::Column::Role.eq(role))
            .filter(user::Column::IsActive.eq(true))
            .order_by_asc(user::Column::CreatedAt);
        if let Some(h) = hospital {
            select = select.filter(user::Column::HospitalId.eq(h));
        }
        select
    };
    Ok(match rule.rule.escalate_to {
        EscalationTarget::DepartmentManager => department_manager(db, department_id).await?,
        EscalationTarget::HospitalAdmin => by_role("hospital_admin", Some(hospital_id)).one(db).await?,
        EscalationTarget::PxAdmin => by_role("px_admin", None).one(db).await?,
        // The CEO is a staff link of the hospital in the spec; without it there is no one to name.
        EscalationTarget::Ceo => None,
        // A named user only if they can still work the case (an active handler of the hospital).
        EscalationTarget::SpecificUser => match rule.user_id {
            Some(id) => super::service::check_assignee(db, hospital_id, id).await?,
            None => None,
        },
    })
}

/// Records the escalation level; false when another run recorded it first.
#[allow(clippy::too_many_arguments)]
async fn claim_level(
    txn: &DatabaseTransaction,
    hospital_id: Uuid,
    subject_type: &str,
    subject_id: Uuid,
    rule: &RuleRow,
    trigger: &str,
    hours_overdue: i64,
    from: Option<Uuid>,
    to: Option<Uuid>,
    at: DateTime<Utc>,
) -> AppResult<bool> {
    let row = sla_escalation::ActiveModel {
        id: Set(Uuid::now_v7()),
        hospital_id: Set(hospital_id),
        subject_type: Set(subject_type.to_owned()),
        subject_id: Set(subject_id),
        level: Set(i32::from(rule.rule.level)),
        rule_id: Set(rule.id),
        trigger_kind: Set(trigger.to_owned()),
        hours_overdue: Set(i32::try_from(hours_overdue).unwrap_or(i32::MAX)),
        from_user_id: Set(from),
        to_user_id: Set(to),
        escalated_at: Set(at),
    };
    let n = sla_escalation::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                sla_escalation::Column::SubjectType,
                sla_escalation::Column::SubjectId,
                sla_escalation::Column::Level,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(n == 1)
}

fn trigger_kind(rule: &sla::EscalationRule, state: &EscalationState, at: DateTime<Utc>) -> &'static str {
    let overdue = rule.trigger_on_overdue && state.due_at.is_some_and(|d| at > d);
    if overdue {
        "overdue"
    } else if rule.reminder_escalation_enabled && state.reminder_sent_at.is_some() {
        "reminder"
    } else {
        "time"
    }
}

async fn context<'a>(
    cache: &'a mut HashMap<Uuid, Option<SlaContext>>,
    db: &impl ConnectionTrait,
    hospital_id: Uuid,
    applies_to: AppliesTo,
) -> Option<&'a SlaContext> {
    if let std::collections::hash_map::Entry::Vacant(slot) = cache.entry(hospital_id) {
        let ctx = match sla_context(db, hospital_id, applies_to).await {
            Ok(c) => Some(c),
            Err(e) => {
                // One hospital's broken settings must not stop the others' checks.
                tracing::error!(%hospital_id, error = %format!("{e:#}"), "SLA settings unreadable; hospital skipped");
                None
            }
        };
        slot.insert(ctx);
    }
    cache.get(&hospital_id).and_then(Option::as_ref)
}

fn complaint_clock(c: &complaint::Model) -> SlaClock {
    SlaClock {
        escalation: EscalationState {
            still_open: ComplaintStatus::parse(&c.status).is_some_and(|s| s.sla_running()),
            level: u8::try_from(c.escalation_level).unwrap_or(sla::MAX_ESCALATION_LEVEL),
            due_at: c.due_at,
            escalation_at: c.escalation_at,
            reminder_sent_at: c.first_reminder_sent_at,
            status_changed_at: c.status_changed_at,
        },
        first_reminder_at: c.first_reminder_at,
        first_reminder_sent_at: c.first_reminder_sent_at,
        second_reminder_at: c.second_reminder_at,
        second_reminder_sent_at: c.second_reminder_sent_at,
        flagged_overdue: c.is_overdue,
    }
}

async fn lock_complaint(txn: &DatabaseTransaction, id: Uuid) -> AppResult<Option<complaint::Model>> {
    let mut select = complaint::Entity::find_by_id(id);
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        select = select.lock_exclusive();
    }
    Ok(select.one(txn).await?)
}

/// The complaint check at `at`.
pub async fn check_complaints(state: &AppState, at: DateTime<Utc>) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::default();
    let mut contexts: HashMap<Uuid, Option<SlaContext>> = HashMap::new();
    let mut after: Option<Uuid> = None;
    loop {
        let mut select = complaint::Entity::find()
            .filter(complaint::Column::DeletedAt.is_null())
            .filter(
                sea_orm::Condition::any()
                    .add(complaint::Column::Status.is_in(["open", "in_progress"]))
                    .add(complaint::Column::IsOverdue.eq(true)),
            )
            .filter(complaint::Column::DueAt.is_not_null())
            .order_by_asc(complaint::Column::Id)
            .limit(BATCH);
        if let Some(last) = after {
            select = select.filter(complaint::Column::Id.gt(last));
        }
        let batch = select.all(&state.db).await?;
        let Some(last) = batch.last() else { break };
        after = Some(last.id);
        for c in batch {
            outcome.checked += 1;
            let Some(ctx) = context(&mut contexts, &state.db, c.hospital_id, AppliesTo::Complaint).await else {
                continue;
            };
            let rules = ctx.rules_for(&c.severity, &c.priority, &c.source, c.department_id);
            let timing: Vec<sla::EscalationRule> = rules.iter().map(|r| r.rule).collect();
            if sla::sla_work(&complaint_clock(&c), &timing, at).is_empty() {
                continue;
            }
            if let Err(e) = complaint_case(state, c.id, &rules, &timing, at, &mut outcome).await {
                // One case's failure must not stop the others' reminders and escalations.
                tracing::error!(complaint = %c.id, error = %e, "complaint SLA check failed for one case");
            }
        }
    }
    Ok(outcome)
}

/// Applies the due SLA work to one complaint, in its own transaction.
async fn complaint_case(
    state: &AppState,
    id: Uuid,
    rules: &[RuleRow],
    timing: &[sla::EscalationRule],
    at: DateTime<Utc>,
    outcome: &mut Outcome,
) -> AppResult<()> {
    let _turn = state.write_turn().await;
    let txn = state.db.begin().await?;
    let Some(c) = lock_complaint(&txn, id).await? else { return Ok(()) };
    let work = sla::sla_work(&complaint_clock(&c), timing, at);
    let mut row: complaint::ActiveModel = c.clone().into();
    let mut wake = false;
    let recipient = match c.assigned_to {
        Some(u) => user::Entity::find_by_id(u).filter(user::Column::IsActive.eq(true)).one(&txn).await?,
        None => department_manager(&txn, c.department_id).await?,
    };
    let vars = complaint_vars(&state.config, &c);
    for item in work {
        match item {
            SlaWork::FirstReminder | SlaWork::SecondReminder => {
                let second = item == SlaWork::SecondReminder;
                if second {
                    row.second_reminder_sent_at = Set(Some(at));
                } else {
                    row.first_reminder_sent_at = Set(Some(at));
                }
                add_update(
                    &txn,
                    &c,
                    None,
                    "reminder",
                    None,
                    None,
                    "",
                    false,
                    serde_json::json!({"reminder": if second { 2 } else { 1 }, "due_at": c.due_at,
                        "to": recipient.as_ref().map(|u| u.id)}),
                )
                .await?;
                if let Some(u) = &recipient {
                    let code = if second { "complaint_sla_reminder_2" } else { "complaint_sla_reminder_1" };
                    wake |= super::notify::user(&txn, &state.config, u, c.hospital_id, code, &vars).await?;
                }
                outcome.reminders += 1;
            }
            SlaWork::SetOverdue(flag) => {
                row.is_overdue = Set(flag);
                if flag {
                    add_update(
                        &txn,
                        &c,
                        None,
                        "overdue",
                        None,
                        None,
                        "",
                        false,
                        serde_json::json!({"due_at": c.due_at}),
                    )
                    .await?;
                    outcome.overdue_flagged += 1;
                }
            }
            SlaWork::Escalate(fired) => {
                let Some(rule) = rules.iter().find(|r| r.rule == fired) else { continue };
                let target = target_user(&txn, rule, c.hospital_id, c.department_id).await?;
                let hours = c.due_at.map_or(0, |d| sla::hours_overdue(d, at));
                let kind = trigger_kind(&fired, &complaint_clock(&c).escalation, at);
                let to = target.as_ref().map(|u| u.id);
                if !claim_level(&txn, c.hospital_id, "complaint", c.id, rule, kind, hours, c.assigned_to, to, at)
                    .await?
                {
                    continue;
                }
                row.escalation_level = Set(i32::from(fired.level));
                row.escalated_at = Set(Some(at));
                if let Some(t) = to {
                    row.assigned_to = Set(Some(t));
                    row.assigned_at = Set(Some(at));
                    // Assignment moves an open complaint to in progress, as a handler's would.
                    if c.status == ComplaintStatus::Open.as_str() {
                        row.status = Set(ComplaintStatus::InProgress.as_str().to_owned());
                        row.status_changed_at = Set(Some(at));
                        add_update(
                            &txn,
                            &c,
                            None,
                            "status",
                            Some("open"),
                            Some("in_progress"),
                            "",
                            true,
                            serde_json::json!({}),
                        )
                        .await?;
                    }
                }
                let details = serde_json::json!({
                    "level": fired.level, "rule_id": rule.id, "escalate_to": fired.escalate_to.as_str(),
                    "trigger": kind, "hours_overdue": hours, "from": c.assigned_to, "to": to,
                });
                add_update(&txn, &c, None, "escalation", None, None, "", false, details.clone()).await?;
                record(
                    &txn,
                    &Actor::system(),
                    Entry::new("complaint_escalated", "complaint", c.id).hospital(Some(c.hospital_id)).details(details),
                )
                .await?;
                if let Some(u) = &target {
                    let mut vars = vars.clone();
                    vars.insert("level".into(), fired.level.to_string());
                    wake |= super::notify::user(&txn, &state.config, u, c.hospital_id, "complaint_escalated", &vars)
                        .await?;
                }
                outcome.escalations += 1;
            }
        }
    }
    row.updated_at = Set(crate::domains::organizations::service::now());
    row.update(&txn).await?;
    txn.commit().await?;
    if wake {
        state.waker.wake(crate::jobs::Queue::Notifications);
    }
    Ok(())
}

fn action_clock(a: &px_action::Model) -> SlaClock {
    SlaClock {
        escalation: EscalationState {
            still_open: ActionStatus::parse(&a.status).is_some_and(|s| s.sla_running()),
            level: u8::try_from(a.escalation_level).unwrap_or(sla::MAX_ESCALATION_LEVEL),
            due_at: a.due_at,
            escalation_at: None,
            reminder_sent_at: a.reminder_sent_at,
            status_changed_at: a.status_changed_at,
        },
        first_reminder_at: a.reminder_at,
        first_reminder_sent_at: a.reminder_sent_at,
        second_reminder_at: None,
        second_reminder_sent_at: None,
        flagged_overdue: a.is_overdue,
    }
}

/// The PX Action check at `at`.
pub async fn check_actions(state: &AppState, at: DateTime<Utc>) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::default();
    let mut contexts: HashMap<Uuid, Option<SlaContext>> = HashMap::new();
    let mut after: Option<Uuid> = None;
    loop {
        let mut select = px_action::Entity::find()
            .filter(px_action::Column::DeletedAt.is_null())
            .filter(
                sea_orm::Condition::any()
                    .add(px_action::Column::Status.is_in(["open", "in_progress"]))
                    .add(px_action::Column::IsOverdue.eq(true)),
            )
            .filter(px_action::Column::DueAt.is_not_null())
            .order_by_asc(px_action::Column::Id)
            .limit(BATCH);
        if let Some(last) = after {
            select = select.filter(px_action::Column::Id.gt(last));
        }
        let batch = select.all(&state.db).await?;
        let Some(last) = batch.last() else { break };
        after = Some(last.id);
        for a in batch {
            outcome.checked += 1;
            let Some(ctx) = context(&mut contexts, &state.db, a.hospital_id, AppliesTo::Action).await else { continue };
            let rules = ctx.rules_for(&a.severity, &a.priority, "", a.department_id);
            let timing: Vec<sla::EscalationRule> = rules.iter().map(|r| r.rule).collect();
            if sla::sla_work(&action_clock(&a), &timing, at).is_empty() {
                continue;
            }
            if let Err(e) = action_case(state, a.id, &rules, &timing, at, &mut outcome).await {
                tracing::error!(action = %a.id, error = %e, "action SLA check failed for one case");
            }
        }
    }
    Ok(outcome)
}

/// Applies the due SLA work to one action, in its own transaction.
async fn action_case(
    state: &AppState,
    id: Uuid,
    rules: &[RuleRow],
    timing: &[sla::EscalationRule],
    at: DateTime<Utc>,
    outcome: &mut Outcome,
) -> AppResult<()> {
    let _turn = state.write_turn().await;
    let txn = state.db.begin().await?;
    let mut select = px_action::Entity::find_by_id(id);
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        select = select.lock_exclusive();
    }
    let Some(a) = select.one(&txn).await? else { return Ok(()) };
    let work = sla::sla_work(&action_clock(&a), timing, at);
    let mut row: px_action::ActiveModel = a.clone().into();
    let mut wake = false;
    let recipient = match a.assigned_to {
        Some(u) => user::Entity::find_by_id(u).filter(user::Column::IsActive.eq(true)).one(&txn).await?,
        None => department_manager(&txn, a.department_id).await?,
    };
    let vars = super::actions::action_vars(&state.config, &a);
    for item in work {
        match item {
            SlaWork::FirstReminder | SlaWork::SecondReminder => {
                row.reminder_sent_at = Set(Some(at));
                super::actions::add_log(
                    &txn,
                    &a,
                    None,
                    "reminder",
                    None,
                    None,
                    "",
                    serde_json::json!({"due_at": a.due_at}),
                )
                .await?;
                if let Some(u) = &recipient {
                    wake |=
                        super::notify::user(&txn, &state.config, u, a.hospital_id, "action_reminder", &vars).await?;
                }
                outcome.reminders += 1;
            }
            SlaWork::SetOverdue(flag) => {
                row.is_overdue = Set(flag);
                if flag {
                    outcome.overdue_flagged += 1;
                }
            }
            SlaWork::Escalate(fired) => {
                let Some(rule) = rules.iter().find(|r| r.rule == fired) else { continue };
                let target = target_user(&txn, rule, a.hospital_id, a.department_id).await?;
                let hours = a.due_at.map_or(0, |d| sla::hours_overdue(d, at));
                let kind = trigger_kind(&fired, &action_clock(&a).escalation, at);
                let to = target.as_ref().map(|u| u.id);
                if !claim_level(&txn, a.hospital_id, "action", a.id, rule, kind, hours, a.assigned_to, to, at).await? {
                    continue;
                }
                row.escalation_level = Set(i32::from(fired.level));
                row.escalated_at = Set(Some(at));
                if let Some(t) = to {
                    row.assigned_to = Set(Some(t));
                    row.assigned_at = Set(Some(at));
                }
                let details = serde_json::json!({
                    "level": fired.level, "rule_id": rule.id, "escalate_to": fired.escalate_to.as_str(),
                    "trigger": kind, "hours_overdue": hours, "from": a.assigned_to, "to": to,
                });
                super::actions::add_log(&txn, &a, None, "escalation", None, None, "", details.clone()).await?;
                record(
                    &txn,
                    &Actor::system(),
                    Entry::new("action_escalated", "px_action", a.id).hospital(Some(a.hospital_id)).details(details),
                )
                .await?;
                if let Some(u) = &target {
                    let mut vars = vars.clone();
                    vars.insert("level".into(), fired.level.to_string());
                    wake |=
                        super::notify::user(&txn, &state.config, u, a.hospital_id, "action_escalated", &vars).await?;
                }
                outcome.escalations += 1;
            }
        }
    }
    row.updated_at = Set(crate::domains::organizations::service::now());
    row.update(&txn).await?;
    txn.commit().await?;
    if wake {
        state.waker.wake(crate::jobs::Queue::Notifications);
    }
    Ok(())
}
