//! SLA rules of complaints and PX Actions (spec §8 and §9), as pure functions of a clock value:
//! which configuration applies (hospital rows, else the spec's defaults), the due date in calendar
//! or working hours, the two reminders, the overdue check and the escalation levels.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::calendar::{ClockMode, WorkingCalendar, add_hours, sub_hours};

/// Spec §1 Severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Severity::Low, Severity::Medium, Severity::High, Severity::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Spec §1 Priority (no "urgent").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Medium,
    High,
}

impl Priority {
    pub const ALL: [Priority; 3] = [Priority::Low, Priority::Medium, Priority::High];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Medium => "medium",
            Priority::High => "high",
        }
    }

    pub fn parse(s: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Where a complaint came from (PXSource codes, spec §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintSource {
    Patient,
    Family,
    Staff,
    Survey,
    SocialMedia,
    CallCenter,
    Moh,
    Chi,
    Insurer,
    Other,
}

/// `internal` or `external` (spec §8 source_type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceType {
    Internal,
    External,
}

impl SourceType {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceType::Internal => "internal",
            SourceType::External => "external",
        }
    }
}

impl ComplaintSource {
    pub const ALL: [ComplaintSource; 10] = [
        ComplaintSource::Patient,
        ComplaintSource::Family,
        ComplaintSource::Staff,
        ComplaintSource::Survey,
        ComplaintSource::SocialMedia,
        ComplaintSource::CallCenter,
        ComplaintSource::Moh,
        ComplaintSource::Chi,
        ComplaintSource::Insurer,
        ComplaintSource::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ComplaintSource::Patient => "patient",
            ComplaintSource::Family => "family",
            ComplaintSource::Staff => "staff",
            ComplaintSource::Survey => "survey",
            ComplaintSource::SocialMedia => "social_media",
            ComplaintSource::CallCenter => "call_center",
            ComplaintSource::Moh => "moh",
            ComplaintSource::Chi => "chi",
            ComplaintSource::Insurer => "insurer",
            ComplaintSource::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<ComplaintSource> {
        ComplaintSource::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The regulators and insurers are external; `other` counts as external too (it is never one
    /// of the hospital's own channels).
    pub fn source_type(self) -> SourceType {
        match self {
            ComplaintSource::Moh | ComplaintSource::Chi | ComplaintSource::Insurer | ComplaintSource::Other => {
                SourceType::External
            }
            _ => SourceType::Internal,
        }
    }
}

/// The timing part of a `ComplaintSLAConfig` row (hours are whole hours).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaRule {
    pub sla_hours: i64,
    pub clock_mode: ClockMode,
    /// The first reminder goes this long before due (when `first_reminder_hours_after` is 0).
    pub reminder_hours_before: i64,
    pub second_reminder_enabled: bool,
    pub second_reminder_hours_before: i64,
    /// > 0: the first reminder goes this long after received_at instead.
    pub first_reminder_hours_after: i64,
    /// > 0: the second reminder goes this long after received_at instead.
    pub second_reminder_hours_after: i64,
    /// > 0: level 1 escalates this long after received_at even when not yet overdue.
    pub escalation_hours_after: i64,
    pub thank_you_email_enabled: bool,
}

impl SlaRule {
    /// A rule with the spec's column defaults: reminder 24 h before, second reminder off (6 h).
    pub const fn hours(sla_hours: i64) -> SlaRule {
        SlaRule {
            sla_hours,
            clock_mode: ClockMode::CalendarHours,
            reminder_hours_before: 24,
            second_reminder_enabled: false,
            second_reminder_hours_before: 6,
            first_reminder_hours_after: 0,
            second_reminder_hours_after: 0,
            escalation_hours_after: 0,
            thank_you_email_enabled: false,
        }
    }

    const fn reminder_before(self, hours: i64) -> SlaRule {
        SlaRule { reminder_hours_before: hours, ..self }
    }
}

/// The spec's severity × priority grid (hospital rows override it): SLA hours and reminder lead.
pub fn default_grid_rule(severity: Severity, priority: Priority) -> SlaRule {
    use Priority as P;
    use Severity as S;
    let (hours, lead) = match (severity, priority) {
        (S::Low, P::Low) => (72, 24),
        (S::Low, P::Medium) => (48, 24),
        (S::Low, P::High) => (24, 12),
        (S::Medium, P::Low) => (48, 24),
        (S::Medium, P::Medium) => (24, 12),
        (S::Medium, P::High) => (12, 6),
        (S::High, P::Low) => (24, 12),
        (S::High, P::Medium) => (12, 6),
        (S::High, P::High) => (6, 3),
        (S::Critical, P::Low) => (12, 6),
        (S::Critical, P::Medium) => (6, 3),
        (S::Critical, P::High) => (4, 2),
    };
    let rule = SlaRule::hours(hours).reminder_before(lead);
    if (severity, priority) == (S::Critical, P::High) {
        return SlaRule { second_reminder_enabled: true, second_reminder_hours_before: 1, ..rule };
    }
    rule
}

/// The spec's source-based SLAs (hours after received_at), for the sources it names.
pub fn default_source_rule(source: ComplaintSource) -> Option<SlaRule> {
    let (due, first, second, escalation) = match source {
        ComplaintSource::Moh => (24, 12, 30, 24),
        ComplaintSource::Chi => (48, 24, 60, 48),
        ComplaintSource::Patient | ComplaintSource::Family => (72, 24, 72, 72),
        _ => return None,
    };
    Some(SlaRule {
        first_reminder_hours_after: first,
        second_reminder_enabled: true,
        second_reminder_hours_after: second,
        escalation_hours_after: escalation,
        ..SlaRule::hours(due)
    })
}

/// One `sla_configs` row of the hospital, reduced to what the lookup needs. A row with a source
/// is a source row; a row without one is a severity × priority row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaConfig {
    pub source: Option<ComplaintSource>,
    pub severity: Option<Severity>,
    pub priority: Option<Priority>,
    pub is_active: bool,
    pub rule: SlaRule,
}

/// Which table a complaint's SLA came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaBasis {
    /// A hospital source row.
    HospitalSource,
    /// The spec's source table.
    DefaultSource,
    /// A hospital severity × priority row.
    HospitalGrid,
    /// The spec's severity × priority grid.
    DefaultGrid,
}

impl SlaBasis {
    fn is_source(self) -> bool {
        matches!(self, SlaBasis::HospitalSource | SlaBasis::DefaultSource)
    }
}

/// The instants an SLA produces for one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaTimes {
    pub due_at: DateTime<Utc>,
    pub first_reminder_at: Option<DateTime<Utc>>,
    pub second_reminder_at: Option<DateTime<Utc>>,
    /// When level 1 escalates by time alone (`escalation_hours_after`), if the rule sets it.
    pub escalation_at: Option<DateTime<Utc>>,
}

/// The chosen rule and its times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaPlan {
    pub basis: SlaBasis,
    pub rule: SlaRule,
    pub times: SlaTimes,
}

/// The instants of `rule` for a case received at `received_at`:
/// due = received + sla_hours (working minutes only in working-hours mode); a reminder goes
/// `hours_after` after receipt when set, else `hours_before` before due, and is dropped when it
/// would not come after receipt.
pub fn sla_times(received_at: DateTime<Utc>, rule: &SlaRule, cal: &WorkingCalendar) -> SlaTimes {
    let mode = rule.clock_mode;
    let due_at = add_hours(received_at, rule.sla_hours, mode, cal);
    let reminder = |after: i64, before: i64| {
        let at =
            if after > 0 { add_hours(received_at, after, mode, cal) } else { sub_hours(due_at, before, mode, cal) };
        (at > received_at).then_some(at)
    };
    SlaTimes {
        due_at,
        first_reminder_at: reminder(rule.first_reminder_hours_after, rule.reminder_hours_before),
        second_reminder_at: if rule.second_reminder_enabled {
            reminder(rule.second_reminder_hours_after, rule.second_reminder_hours_before)
        } else {
            None
        },
        escalation_at: (rule.escalation_hours_after > 0)
            .then(|| add_hours(received_at, rule.escalation_hours_after, mode, cal)),
    }
}

/// The complaint SLA (spec §8 "SLA computation"):
/// A = the hospital's source row, else the spec's source default; B = the hospital's severity ×
/// priority row, else the grid. B applies when there is no A, or when severity is high or critical
/// and B is due sooner than A; otherwise A. `configs` are the hospital's rows (inactive ones are
/// ignored).
pub fn complaint_sla(
    configs: &[SlaConfig],
    source: ComplaintSource,
    severity: Severity,
    priority: Priority,
    received_at: DateTime<Utc>,
    cal: &WorkingCalendar,
) -> SlaPlan {
    let hospital_source = configs.iter().find(|c| c.is_active && c.source == Some(source));
    let source_choice = match hospital_source {
        Some(c) => Some((SlaBasis::HospitalSource, c.rule)),
        None => default_source_rule(source).map(|r| (SlaBasis::DefaultSource, r)),
    };
    let hospital_grid = configs
        .iter()
        .find(|c| c.is_active && c.source.is_none() && c.severity == Some(severity) && c.priority == Some(priority));
    let grid_choice = match hospital_grid {
        Some(c) => (SlaBasis::HospitalGrid, c.rule),
        None => (SlaBasis::DefaultGrid, default_grid_rule(severity, priority)),
    };
    let plan = |(basis, rule): (SlaBasis, SlaRule)| SlaPlan { basis, rule, times: sla_times(received_at, &rule, cal) };
    let grid = plan(grid_choice);
    let Some(source_choice) = source_choice else { return grid };
    let by_source = plan(source_choice);
    debug_assert!(by_source.basis.is_source());
    if matches!(severity, Severity::High | Severity::Critical) && grid.times.due_at < by_source.times.due_at {
        grid
    } else {
        by_source
    }
}

/// PX Action SLA hours (spec §9): critical severity always 72 h; else high 72, medium 168, low 336.
pub fn action_sla_hours(severity: Severity, priority: Priority) -> i64 {
    if severity == Severity::Critical {
        return 72;
    }
    match priority {
        Priority::High => 72,
        Priority::Medium => 168,
        Priority::Low => 336,
    }
}

/// The PX Action rule: its hours, one reminder 24 h before due, calendar hours.
pub fn action_rule(severity: Severity, priority: Priority) -> SlaRule {
    SlaRule::hours(action_sla_hours(severity, priority))
}

/// The PX Action SLA times for an action created at `created_at`.
pub fn action_sla(
    severity: Severity,
    priority: Priority,
    created_at: DateTime<Utc>,
    cal: &WorkingCalendar,
) -> SlaTimes {
    sla_times(created_at, &action_rule(severity, priority), cal)
}

/// Overdue: still open (the caller says whether the status is `open`/`in_progress`) and past due.
pub fn is_overdue(still_open: bool, due_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    still_open && due_at.is_some_and(|due| now > due)
}

/// How long past due: max(0, now − due).
pub fn overdue_by(due_at: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (now - due_at).max(Duration::zero())
}

/// Whole hours past due, for logs and notifications.
pub fn hours_overdue(due_at: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    overdue_by(due_at, now).num_hours()
}

/// SLA met: resolved at or before due.
pub fn sla_met(resolved_at: DateTime<Utc>, due_at: DateTime<Utc>) -> bool {
    resolved_at <= due_at
}

/// Whom an escalation level reassigns to (spec §8 `escalate_to_role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EscalationTarget {
    DepartmentManager,
    HospitalAdmin,
    PxAdmin,
    Ceo,
    SpecificUser,
}

impl EscalationTarget {
    pub const ALL: [EscalationTarget; 5] = [
        EscalationTarget::DepartmentManager,
        EscalationTarget::HospitalAdmin,
        EscalationTarget::PxAdmin,
        EscalationTarget::Ceo,
        EscalationTarget::SpecificUser,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EscalationTarget::DepartmentManager => "department_manager",
            EscalationTarget::HospitalAdmin => "hospital_admin",
            EscalationTarget::PxAdmin => "px_admin",
            EscalationTarget::Ceo => "ceo",
            EscalationTarget::SpecificUser => "specific_user",
        }
    }

    pub fn parse(s: &str) -> Option<EscalationTarget> {
        EscalationTarget::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// What an escalation rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppliesTo {
    Complaint,
    Action,
}

impl AppliesTo {
    pub fn as_str(self) -> &'static str {
        match self {
            AppliesTo::Complaint => "complaint",
            AppliesTo::Action => "action",
        }
    }

    pub fn parse(s: &str) -> Option<AppliesTo> {
        [AppliesTo::Complaint, AppliesTo::Action].into_iter().find(|v| v.as_str() == s)
    }
}

/// The highest escalation level.
pub const MAX_ESCALATION_LEVEL: u8 = 3;

/// An `EscalationRule` row, reduced to its timing and target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EscalationRule {
    pub level: u8,
    pub trigger_on_overdue: bool,
    pub trigger_hours_overdue: i64,
    pub reminder_escalation_enabled: bool,
    pub reminder_escalation_hours: i64,
    pub escalate_to: EscalationTarget,
    pub is_active: bool,
}

impl EscalationRule {
    const fn overdue(level: u8, hours: i64, escalate_to: EscalationTarget) -> EscalationRule {
        EscalationRule {
            level,
            trigger_on_overdue: true,
            trigger_hours_overdue: hours,
            reminder_escalation_enabled: false,
            reminder_escalation_hours: 0,
            escalate_to,
            is_active: true,
        }
    }
}

/// The complaint chain of spec §8: L1 department manager when overdue (or at
/// `escalation_hours_after`); L2 hospital admin at 12 h overdue or 24 h after the first reminder
/// with no status change; L3 PX admin at 24 h overdue.
pub fn default_complaint_escalation_rules() -> Vec<EscalationRule> {
    vec![
        EscalationRule::overdue(1, 0, EscalationTarget::DepartmentManager),
        EscalationRule {
            reminder_escalation_enabled: true,
            reminder_escalation_hours: 24,
            ..EscalationRule::overdue(2, 12, EscalationTarget::HospitalAdmin)
        },
        EscalationRule::overdue(3, 24, EscalationTarget::PxAdmin),
    ]
}

/// The PX Action chain of spec §9: L1 department manager when overdue, L2 hospital admin at 48 h
/// overdue, L3 PX admin at 96 h.
pub fn default_action_escalation_rules() -> Vec<EscalationRule> {
    vec![
        EscalationRule::overdue(1, 0, EscalationTarget::DepartmentManager),
        EscalationRule::overdue(2, 48, EscalationTarget::HospitalAdmin),
        EscalationRule::overdue(3, 96, EscalationTarget::PxAdmin),
    ]
}

/// What the escalation check needs to know about one complaint or action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EscalationState {
    /// Status is `open` or `in_progress` (escalation stops at resolved).
    pub still_open: bool,
    /// The level reached so far (0–3).
    pub level: u8,
    pub due_at: Option<DateTime<Utc>>,
    /// [`SlaTimes::escalation_at`]: level 1 fires at this time even when not overdue.
    pub escalation_at: Option<DateTime<Utc>>,
    /// When the (first) SLA reminder was sent.
    pub reminder_sent_at: Option<DateTime<Utc>>,
    /// The last status change, if any.
    pub status_changed_at: Option<DateTime<Utc>>,
}

/// Whether `rule` fires now for a case in `state` (its level being the next one is the caller's
/// business; see [`next_escalation`]).
pub fn rule_fires(rule: &EscalationRule, state: &EscalationState, now: DateTime<Utc>) -> bool {
    if !rule.is_active || !state.still_open {
        return false;
    }
    let by_overdue = rule.trigger_on_overdue
        && state
            .due_at
            .is_some_and(|due| now > due && overdue_by(due, now) >= Duration::hours(rule.trigger_hours_overdue));
    let by_reminder = rule.reminder_escalation_enabled
        && state.reminder_sent_at.is_some_and(|sent| {
            now >= sent + Duration::hours(rule.reminder_escalation_hours)
                && state.status_changed_at.is_none_or(|changed| changed <= sent)
        });
    let by_time = rule.level == 1 && state.escalation_at.is_some_and(|at| now >= at);
    by_overdue || by_reminder || by_time
}

/// The rule of the next level, if it fires now: one level per run, level n only after n − 1.
pub fn next_escalation<'a>(
    rules: &'a [EscalationRule],
    state: &EscalationState,
    now: DateTime<Utc>,
) -> Option<&'a EscalationRule> {
    if state.level >= MAX_ESCALATION_LEVEL {
        return None;
    }
    let level = state.level + 1;
    rules.iter().filter(|r| r.is_active && r.level == level).find(|r| rule_fires(r, state, now))
}

/// The level a case reaches by `now` if the check runs often enough: the levels fire one after
/// another while their triggers hold (reminders and status changes as given).
pub fn escalation_level_at(rules: &[EscalationRule], state: &EscalationState, now: DateTime<Utc>) -> u8 {
    let mut state = *state;
    while let Some(rule) = next_escalation(rules, &state, now) {
        state.level = rule.level;
    }
    state.level
}

/// A case's SLA clock as stored (complaint or action), for the periodic checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaClock {
    pub escalation: EscalationState,
    pub first_reminder_at: Option<DateTime<Utc>>,
    pub first_reminder_sent_at: Option<DateTime<Utc>>,
    pub second_reminder_at: Option<DateTime<Utc>>,
    pub second_reminder_sent_at: Option<DateTime<Utc>>,
    /// The stored `is_overdue` flag.
    pub flagged_overdue: bool,
}

/// One thing the SLA jobs have to do for a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaWork {
    /// Send the first reminder (`send_sla_reminders`).
    FirstReminder,
    /// Send the second reminder.
    SecondReminder,
    /// Set or clear the stored overdue flag (`check_overdue_*`).
    SetOverdue(bool),
    /// Escalate to this rule's level and target (one level per run).
    Escalate(EscalationRule),
}

/// What is due for a case at `now`: reminders whose time has come and that were not sent (only
/// while the clock runs), the overdue flag when it is stale, and the next escalation level.
pub fn sla_work(clock: &SlaClock, rules: &[EscalationRule], now: DateTime<Utc>) -> Vec<SlaWork> {
    let mut work = Vec::new();
    let open = clock.escalation.still_open;
    if open && clock.first_reminder_sent_at.is_none() && clock.first_reminder_at.is_some_and(|at| at <= now) {
        work.push(SlaWork::FirstReminder);
    }
    if open && clock.second_reminder_sent_at.is_none() && clock.second_reminder_at.is_some_and(|at| at <= now) {
        work.push(SlaWork::SecondReminder);
    }
    let overdue = is_overdue(open, clock.escalation.due_at, now);
    if overdue != clock.flagged_overdue {
        work.push(SlaWork::SetOverdue(overdue));
    }
    if let Some(rule) = next_escalation(rules, &clock.escalation, now) {
        work.push(SlaWork::Escalate(*rule));
    }
    work
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use chrono::NaiveDate;

    use super::super::calendar::tests::{riyadh_at, show};
    use super::*;

    fn h(hours: i64) -> Duration {
        Duration::hours(hours)
    }

    #[test]
    fn the_default_grid_matches_the_spec_for_every_severity_and_priority() {
        use Priority as P;
        use Severity as S;
        // (severity, priority, SLA hours, reminder lead, second reminder lead)
        let cases = [
            (S::Low, P::Low, 72, 24, None),
            (S::Low, P::Medium, 48, 24, None),
            (S::Low, P::High, 24, 12, None),
            (S::Medium, P::Low, 48, 24, None),
            (S::Medium, P::Medium, 24, 12, None),
            (S::Medium, P::High, 12, 6, None),
            (S::High, P::Low, 24, 12, None),
            (S::High, P::Medium, 12, 6, None),
            (S::High, P::High, 6, 3, None),
            (S::Critical, P::Low, 12, 6, None),
            (S::Critical, P::Medium, 6, 3, None),
            (S::Critical, P::High, 4, 2, Some(1)),
        ];
        assert_eq!(cases.len(), Severity::ALL.len() * Priority::ALL.len());
        let received = riyadh_at("2026-11-29 10:00");
        let cal = WorkingCalendar::default();
        for (severity, priority, hours, lead, second) in cases {
            let rule = default_grid_rule(severity, priority);
            assert_eq!(rule.sla_hours, hours, "{severity:?}/{priority:?}");
            assert_eq!(rule.clock_mode, ClockMode::CalendarHours);
            // `staff` has no source default, so the grid applies.
            let plan = complaint_sla(&[], ComplaintSource::Staff, severity, priority, received, &cal);
            assert_eq!(plan.basis, SlaBasis::DefaultGrid);
            assert_eq!(plan.times.due_at, received + h(hours), "{severity:?}/{priority:?}");
            assert_eq!(plan.times.first_reminder_at, Some(received + h(hours - lead)), "{severity:?}/{priority:?}");
            assert_eq!(
                plan.times.second_reminder_at,
                second.map(|s| received + h(hours - s)),
                "{severity:?}/{priority:?}"
            );
            assert_eq!(plan.times.escalation_at, None);
        }
    }

    #[test]
    fn source_deadlines_match_the_spec() {
        let received = riyadh_at("2026-11-29 10:00");
        let cal = WorkingCalendar::default();
        // (source, due, 1st reminder, 2nd reminder, L1 escalation) in hours after receipt
        let cases = [
            (ComplaintSource::Moh, 24, 12, 30, 24),
            (ComplaintSource::Chi, 48, 24, 60, 48),
            (ComplaintSource::Patient, 72, 24, 72, 72),
            (ComplaintSource::Family, 72, 24, 72, 72),
        ];
        for (source, due, first, second, escalation) in cases {
            // medium/medium: the grid (24 h) never wins for a source case below high severity.
            let plan = complaint_sla(&[], source, Severity::Medium, Priority::Medium, received, &cal);
            assert_eq!(plan.basis, SlaBasis::DefaultSource, "{source:?}");
            assert_eq!(plan.times.due_at, received + h(due), "{source:?}");
            assert_eq!(plan.times.first_reminder_at, Some(received + h(first)), "{source:?}");
            assert_eq!(plan.times.second_reminder_at, Some(received + h(second)), "{source:?}");
            assert_eq!(plan.times.escalation_at, Some(received + h(escalation)), "{source:?}");
        }
        for source in [
            ComplaintSource::Staff,
            ComplaintSource::Survey,
            ComplaintSource::SocialMedia,
            ComplaintSource::CallCenter,
            ComplaintSource::Insurer,
            ComplaintSource::Other,
        ] {
            assert_eq!(default_source_rule(source), None, "{source:?}");
        }
    }

    #[test]
    fn high_and_critical_cases_take_the_sooner_grid_deadline() {
        use ComplaintSource as Src;
        use Priority as P;
        use Severity as S;
        let received = riyadh_at("2026-11-29 10:00");
        let cal = WorkingCalendar::default();
        // (source, severity, priority, basis, due hours)
        let cases = [
            (Src::Moh, S::Low, P::High, SlaBasis::DefaultSource, 24), // grid 24 is not sooner
            (Src::Moh, S::Medium, P::High, SlaBasis::DefaultSource, 24), // medium never switches
            (Src::Moh, S::High, P::Low, SlaBasis::DefaultSource, 24), // grid 24 = 24, not sooner
            (Src::Moh, S::High, P::Medium, SlaBasis::DefaultGrid, 12), // grid 12 < 24
            (Src::Moh, S::Critical, P::High, SlaBasis::DefaultGrid, 4),
            (Src::Chi, S::High, P::Low, SlaBasis::DefaultGrid, 24), // 24 < 48
            (Src::Chi, S::Low, P::Low, SlaBasis::DefaultSource, 48), // low keeps the source's 48 over 72
            (Src::Patient, S::Critical, P::Low, SlaBasis::DefaultGrid, 12),
            (Src::Patient, S::Low, P::High, SlaBasis::DefaultSource, 72), // low keeps 72 though grid is 24
            (Src::Family, S::High, P::High, SlaBasis::DefaultGrid, 6),
            (Src::CallCenter, S::Low, P::Low, SlaBasis::DefaultGrid, 72), // no source row: grid
        ];
        for (source, severity, priority, basis, due) in cases {
            let plan = complaint_sla(&[], source, severity, priority, received, &cal);
            assert_eq!(
                (plan.basis, plan.times.due_at),
                (basis, received + h(due)),
                "{source:?} {severity:?}/{priority:?}"
            );
        }
    }

    #[test]
    fn hospital_rows_override_the_defaults() {
        let received = riyadh_at("2026-11-29 10:00");
        let cal = WorkingCalendar::default();
        let grid_row = SlaConfig {
            source: None,
            severity: Some(Severity::Medium),
            priority: Some(Priority::Medium),
            is_active: true,
            rule: SlaRule { reminder_hours_before: 4, ..SlaRule::hours(10) },
        };
        let moh_row = SlaConfig {
            source: Some(ComplaintSource::Moh),
            severity: None,
            priority: None,
            is_active: true,
            rule: SlaRule { clock_mode: ClockMode::WorkingHours, ..SlaRule::hours(16) },
        };
        let inactive_chi =
            SlaConfig { source: Some(ComplaintSource::Chi), is_active: false, rule: SlaRule::hours(1), ..moh_row };
        let rows = [grid_row, moh_row, inactive_chi];

        let staff = complaint_sla(&rows, ComplaintSource::Staff, Severity::Medium, Priority::Medium, received, &cal);
        assert_eq!(staff.basis, SlaBasis::HospitalGrid);
        assert_eq!(staff.times.due_at, received + h(10));
        assert_eq!(staff.times.first_reminder_at, Some(received + h(6)));

        // The other cells still come from the grid.
        let other = complaint_sla(&rows, ComplaintSource::Staff, Severity::Low, Priority::Low, received, &cal);
        assert_eq!((other.basis, other.times.due_at), (SlaBasis::DefaultGrid, received + h(72)));

        // MOH in working hours: Sunday 10:00 + 16 working hours = Tuesday 10:00.
        let moh = complaint_sla(&rows, ComplaintSource::Moh, Severity::Medium, Priority::Medium, received, &cal);
        assert_eq!(moh.basis, SlaBasis::HospitalSource);
        assert_eq!(show(moh.times.due_at), "Tue 2026-12-01 10:00");
        // The reminder goes 24 working hours before due, which is before receipt: dropped.
        assert_eq!(moh.times.first_reminder_at, None);

        // An inactive row is ignored: CHI falls back to the spec's 48 h.
        let chi = complaint_sla(&rows, ComplaintSource::Chi, Severity::Low, Priority::Low, received, &cal);
        assert_eq!((chi.basis, chi.times.due_at), (SlaBasis::DefaultSource, received + h(48)));
    }

    #[test]
    fn working_hours_deadlines_skip_weekends_and_holidays() {
        let cal = WorkingCalendar::default().with_holidays([NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()]);
        let rule = SlaRule {
            clock_mode: ClockMode::WorkingHours,
            reminder_hours_before: 6,
            second_reminder_enabled: true,
            second_reminder_hours_before: 2,
            escalation_hours_after: 4,
            ..SlaRule::hours(12)
        };
        // Thursday 14:00: 2 h Thursday, weekend, Sunday 8 h, Monday holiday, Tuesday 2 h.
        let times = sla_times(riyadh_at("2026-11-26 14:00"), &rule, &cal);
        assert_eq!(show(times.due_at), "Tue 2026-12-01 10:00");
        assert_eq!(times.first_reminder_at.map(show).as_deref(), Some("Sun 2026-11-29 12:00"));
        assert_eq!(times.second_reminder_at.map(show).as_deref(), Some("Tue 2026-12-01 08:00"));
        assert_eq!(times.escalation_at.map(show).as_deref(), Some("Sun 2026-11-29 10:00"));
        // Received on Friday night: the clock starts Sunday 08:00.
        let times = sla_times(riyadh_at("2026-11-27 22:00"), &rule, &cal);
        assert_eq!(show(times.due_at), "Tue 2026-12-01 12:00");
        // Calendar hours ignore the calendar.
        let calendar_rule = SlaRule { clock_mode: ClockMode::CalendarHours, ..rule };
        let times = sla_times(riyadh_at("2026-11-26 14:00"), &calendar_rule, &cal);
        assert_eq!(show(times.due_at), "Fri 2026-11-27 02:00");
    }

    #[test]
    fn reminders_use_hours_after_when_set_and_are_dropped_when_not_after_receipt() {
        let received = riyadh_at("2026-11-29 10:00");
        let cal = WorkingCalendar::default();
        // (rule, first reminder hours after receipt, second)
        let cases = [
            (SlaRule::hours(24), None, None), // 24 before 24: at receipt, dropped
            (SlaRule { reminder_hours_before: 12, ..SlaRule::hours(24) }, Some(12), None),
            (SlaRule { reminder_hours_before: 30, ..SlaRule::hours(24) }, None, None), // before receipt
            (SlaRule { reminder_hours_before: 0, ..SlaRule::hours(24) }, Some(24), None), // at due
            (SlaRule { first_reminder_hours_after: 5, ..SlaRule::hours(24) }, Some(5), None),
            (SlaRule { second_reminder_enabled: true, ..SlaRule::hours(24) }, None, Some(18)),
            (
                SlaRule { second_reminder_enabled: true, second_reminder_hours_after: 30, ..SlaRule::hours(24) },
                None,
                Some(30),
            ),
            (SlaRule { second_reminder_hours_after: 30, ..SlaRule::hours(24) }, None, None), // disabled
        ];
        for (rule, first, second) in cases {
            let times = sla_times(received, &rule, &cal);
            assert_eq!(times.first_reminder_at, first.map(|x| received + h(x)), "{rule:?}");
            assert_eq!(times.second_reminder_at, second.map(|x| received + h(x)), "{rule:?}");
        }
    }

    #[test]
    fn overdue_and_sla_met() {
        let due = riyadh_at("2026-11-29 10:00");
        // (still open, due, now, overdue)
        let cases = [
            (true, Some(due), due - Duration::minutes(1), false),
            (true, Some(due), due, false),
            (true, Some(due), due + Duration::seconds(1), true),
            (false, Some(due), due + h(100), false), // resolved/closed are never overdue
            (true, None, due + h(100), false),       // appreciations have no SLA
        ];
        for (open, due_at, now, want) in cases {
            assert_eq!(is_overdue(open, due_at, now), want, "{open} {due_at:?} {now}");
        }
        assert_eq!(overdue_by(due, due - h(3)), Duration::zero());
        assert_eq!(overdue_by(due, due + h(3)), h(3));
        assert_eq!(hours_overdue(due, due + Duration::minutes(179)), 2);
        assert!(sla_met(due, due));
        assert!(sla_met(due - h(1), due));
        assert!(!sla_met(due + Duration::seconds(1), due));
    }

    #[test]
    fn action_slas_match_the_spec() {
        use Priority as P;
        use Severity as S;
        let cases = [
            (S::Low, P::High, 72),
            (S::Medium, P::High, 72),
            (S::High, P::High, 72),
            (S::Low, P::Medium, 168),
            (S::High, P::Medium, 168),
            (S::Low, P::Low, 336),
            (S::High, P::Low, 336),
            (S::Critical, P::Low, 72),
            (S::Critical, P::Medium, 72),
            (S::Critical, P::High, 72),
        ];
        let created = riyadh_at("2026-11-29 10:00");
        let cal = WorkingCalendar::default();
        for (severity, priority, hours) in cases {
            assert_eq!(action_sla_hours(severity, priority), hours, "{severity:?}/{priority:?}");
            let times = action_sla(severity, priority, created, &cal);
            assert_eq!(times.due_at, created + h(hours));
            assert_eq!(times.first_reminder_at, Some(created + h(hours - 24)), "a reminder 24 h before due");
            assert_eq!(times.second_reminder_at, None);
        }
    }

    fn state(level: u8, due: DateTime<Utc>) -> EscalationState {
        EscalationState {
            still_open: true,
            level,
            due_at: Some(due),
            escalation_at: None,
            reminder_sent_at: None,
            status_changed_at: None,
        }
    }

    #[test]
    fn complaint_escalation_levels_by_time_past_due() {
        let rules = default_complaint_escalation_rules();
        let due = riyadh_at("2026-11-29 10:00");
        // (hours relative to due, level reached)
        let cases = [
            (-1, 0),
            (0, 0), // at due, not yet overdue
            (1, 1),
            (11, 1),
            (12, 2),
            (23, 2),
            (24, 3),
            (500, 3),
        ];
        for (offset, want) in cases {
            assert_eq!(escalation_level_at(&rules, &state(0, due), due + h(offset)), want, "due {offset:+} h");
        }
        // One level per run: at 30 h overdue a fresh case goes to 1, then 2, then 3.
        let now = due + h(30);
        let mut s = state(0, due);
        let mut targets = Vec::new();
        while let Some(rule) = next_escalation(&rules, &s, now) {
            targets.push(rule.escalate_to);
            s.level = rule.level;
        }
        assert_eq!(
            targets,
            [EscalationTarget::DepartmentManager, EscalationTarget::HospitalAdmin, EscalationTarget::PxAdmin]
        );
        assert_eq!(next_escalation(&rules, &s, now + h(1000)), None, "3 is the last level");
        // Resolved cases never escalate.
        let resolved = EscalationState { still_open: false, ..state(0, due) };
        assert_eq!(escalation_level_at(&rules, &resolved, due + h(100)), 0);
        // A level does not fire before the previous one: level 2 rules skip a level-0 case.
        assert_eq!(next_escalation(&rules, &state(0, due), due + h(13)).map(|r| r.level), Some(1));
    }

    #[test]
    fn complaint_escalation_by_time_after_receipt_and_after_reminders() {
        let rules = default_complaint_escalation_rules();
        let received = riyadh_at("2026-11-29 10:00");
        let cal = WorkingCalendar::default();
        // MOH: due at 24 h and L1 escalation at 24 h after receipt.
        let plan = complaint_sla(&[], ComplaintSource::Moh, Severity::Low, Priority::Low, received, &cal);
        let s = EscalationState { escalation_at: plan.times.escalation_at, ..state(0, plan.times.due_at) };
        assert_eq!(escalation_level_at(&rules, &s, received + h(23)), 0);
        assert_eq!(escalation_level_at(&rules, &s, received + h(24)), 1, "at escalation_hours_after, not yet overdue");

        // A rule with escalation_hours_after sooner than due escalates level 1 early, only level 1.
        let s = EscalationState { escalation_at: Some(received + h(2)), ..state(0, received + h(48)) };
        assert_eq!(escalation_level_at(&rules, &s, received + h(3)), 1);

        // Level 2 also fires 24 h after the first reminder when the status has not changed since.
        let reminded = received + h(12);
        let s = EscalationState { reminder_sent_at: Some(reminded), ..state(1, received + h(72)) };
        assert_eq!(next_escalation(&rules, &s, reminded + h(23)), None);
        assert_eq!(next_escalation(&rules, &s, reminded + h(24)).map(|r| r.level), Some(2));
        let changed = EscalationState { status_changed_at: Some(reminded + h(1)), ..s };
        assert_eq!(next_escalation(&rules, &changed, reminded + h(30)), None, "a status change resets it");
        let changed_before = EscalationState { status_changed_at: Some(reminded - h(1)), ..s };
        assert_eq!(next_escalation(&rules, &changed_before, reminded + h(30)).map(|r| r.level), Some(2));
    }

    #[test]
    fn action_escalation_levels_by_time_past_due() {
        let rules = default_action_escalation_rules();
        let due = riyadh_at("2026-11-29 10:00");
        let cases = [(0, 0), (1, 1), (47, 1), (48, 2), (95, 2), (96, 3), (1000, 3)];
        for (offset, want) in cases {
            assert_eq!(escalation_level_at(&rules, &state(0, due), due + h(offset)), want, "due {offset:+} h");
        }
        let targets: Vec<_> = rules.iter().map(|r| (r.level, r.escalate_to)).collect();
        assert_eq!(
            targets,
            [
                (1, EscalationTarget::DepartmentManager),
                (2, EscalationTarget::HospitalAdmin),
                (3, EscalationTarget::PxAdmin)
            ]
        );
        // Inactive rules never fire; their level blocks the ones above.
        let mut rules = rules;
        rules[1].is_active = false;
        assert_eq!(escalation_level_at(&rules, &state(0, due), due + h(1000)), 1);
    }

    #[test]
    fn enum_names_round_trip() {
        for v in Severity::ALL {
            assert_eq!(Severity::parse(v.as_str()), Some(v));
        }
        for v in Priority::ALL {
            assert_eq!(Priority::parse(v.as_str()), Some(v));
        }
        for v in ComplaintSource::ALL {
            assert_eq!(ComplaintSource::parse(v.as_str()), Some(v));
        }
        for v in EscalationTarget::ALL {
            assert_eq!(EscalationTarget::parse(v.as_str()), Some(v));
        }
        assert_eq!(AppliesTo::parse("action"), Some(AppliesTo::Action));
        assert_eq!(Priority::parse("urgent"), None);
        assert_eq!(ComplaintSource::Moh.source_type(), SourceType::External);
        assert_eq!(ComplaintSource::Chi.source_type().as_str(), "external");
        assert_eq!(ComplaintSource::Family.source_type(), SourceType::Internal);
        assert_eq!(serde_json::to_string(&ComplaintSource::CallCenter).unwrap(), "\"call_center\"");
    }

    #[test]
    fn the_periodic_checks_find_reminders_overdue_flags_and_the_next_level() {
        let rules = default_complaint_escalation_rules();
        let received = riyadh_at("2026-11-29 10:00");
        let cal = WorkingCalendar::default();
        // critical/high: due +4 h, reminders at +2 h and +3 h.
        let times =
            complaint_sla(&[], ComplaintSource::Staff, Severity::Critical, Priority::High, received, &cal).times;
        let clock = SlaClock {
            escalation: EscalationState { escalation_at: times.escalation_at, ..state(0, times.due_at) },
            first_reminder_at: times.first_reminder_at,
            first_reminder_sent_at: None,
            second_reminder_at: times.second_reminder_at,
            second_reminder_sent_at: None,
            flagged_overdue: false,
        };
        let l1 = rules[0];
        let sent = SlaClock { first_reminder_sent_at: Some(received + h(2)), ..clock };
        let both_sent = SlaClock { second_reminder_sent_at: Some(received + h(3)), ..sent };
        let flagged = SlaClock { flagged_overdue: true, ..both_sent };
        let closed = SlaClock { escalation: EscalationState { still_open: false, ..flagged.escalation }, ..flagged };
        // (clock, hours after receipt, work)
        let cases = [
            (clock, 1, vec![]),
            (clock, 2, vec![SlaWork::FirstReminder]),
            (clock, 3, vec![SlaWork::FirstReminder, SlaWork::SecondReminder]),
            (sent, 3, vec![SlaWork::SecondReminder]),
            (both_sent, 4, vec![]),
            (both_sent, 5, vec![SlaWork::SetOverdue(true), SlaWork::Escalate(l1)]),
            (flagged, 5, vec![SlaWork::Escalate(l1)]),
            (closed, 5, vec![SlaWork::SetOverdue(false)]),
            (SlaClock { flagged_overdue: false, ..closed }, 50, vec![]),
        ];
        for (clock, hours, want) in cases {
            assert_eq!(sla_work(&clock, &rules, received + h(hours)), want, "+{hours} h with {clock:?}");
        }
    }
}
