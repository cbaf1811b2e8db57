//! Status workflows of complaints (spec §8 Transitions) and PX Actions (spec §9 Approval), who may
//! make each move, what each move needs, and public reference numbers (spec §1 Formats).
//!
//! A refused move says why: a move the workflow does not have names the allowed next statuses; a
//! role that may not make it names the roles that may; missing inputs are all named at once.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::roles::Role;

/// Spec §8 complaint status (no partially_resolved).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintStatus {
    Open,
    InProgress,
    Resolved,
    Closed,
    Cancelled,
}

impl ComplaintStatus {
    pub const ALL: [ComplaintStatus; 5] = [
        ComplaintStatus::Open,
        ComplaintStatus::InProgress,
        ComplaintStatus::Resolved,
        ComplaintStatus::Closed,
        ComplaintStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ComplaintStatus::Open => "open",
            ComplaintStatus::InProgress => "in_progress",
            ComplaintStatus::Resolved => "resolved",
            ComplaintStatus::Closed => "closed",
            ComplaintStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<ComplaintStatus> {
        ComplaintStatus::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The statuses a complaint may move to from this one.
    pub fn next(self) -> &'static [ComplaintStatus] {
        use ComplaintStatus::*;
        match self {
            Open => &[InProgress, Resolved, Cancelled],
            InProgress => &[Resolved, Cancelled],
            Resolved => &[Closed, InProgress, Cancelled],
            Closed | Cancelled => &[],
        }
    }

    /// closed and cancelled are final; follow-ups are new complaints.
    pub fn is_final(self) -> bool {
        self.next().is_empty()
    }

    /// The SLA clock runs (overdue, reminders, escalation) only while open or in progress.
    pub fn sla_running(self) -> bool {
        matches!(self, ComplaintStatus::Open | ComplaintStatus::InProgress)
    }
}

/// Spec §9 PX Action status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    Open,
    InProgress,
    PendingApproval,
    Approved,
    Closed,
    Cancelled,
}

impl ActionStatus {
    pub const ALL: [ActionStatus; 6] = [
        ActionStatus::Open,
        ActionStatus::InProgress,
        ActionStatus::PendingApproval,
        ActionStatus::Approved,
        ActionStatus::Closed,
        ActionStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Open => "open",
            ActionStatus::InProgress => "in_progress",
            ActionStatus::PendingApproval => "pending_approval",
            ActionStatus::Approved => "approved",
            ActionStatus::Closed => "closed",
            ActionStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<ActionStatus> {
        ActionStatus::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The statuses an action may move to. Without `requires_approval` an action in progress
    /// closes directly; with it, it goes through pending_approval and approved.
    pub fn next(self, requires_approval: bool) -> &'static [ActionStatus] {
        use ActionStatus::*;
        match (self, requires_approval) {
            (Open, _) => &[InProgress, Cancelled],
            (InProgress, true) => &[PendingApproval, Cancelled],
            (InProgress, false) => &[Closed, Cancelled],
            // approve, or reject back to in_progress
            (PendingApproval, _) => &[Approved, InProgress, Cancelled],
            (Approved, _) => &[Closed, Cancelled],
            (Closed | Cancelled, _) => &[],
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, ActionStatus::Closed | ActionStatus::Cancelled)
    }

    /// The SLA clock runs while the work is not done (open or in progress).
    pub fn sla_running(self) -> bool {
        matches!(self, ActionStatus::Open | ActionStatus::InProgress)
    }
}

/// Spec §8 resolution_category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResolutionCategory {
    FullActionTaken,
    PartialActionTaken,
    NoActionNeeded,
    CannotResolve,
    PatientWithdrawn,
}

impl ResolutionCategory {
    pub const ALL: [ResolutionCategory; 5] = [
        ResolutionCategory::FullActionTaken,
        ResolutionCategory::PartialActionTaken,
        ResolutionCategory::NoActionNeeded,
        ResolutionCategory::CannotResolve,
        ResolutionCategory::PatientWithdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResolutionCategory::FullActionTaken => "full_action_taken",
            ResolutionCategory::PartialActionTaken => "partial_action_taken",
            ResolutionCategory::NoActionNeeded => "no_action_needed",
            ResolutionCategory::CannotResolve => "cannot_resolve",
            ResolutionCategory::PatientWithdrawn => "patient_withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<ResolutionCategory> {
        ResolutionCategory::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Roles that handle complaints and PX Actions (spec §3 "Handle complaints …; PX Actions").
pub const HANDLERS: &[Role] = &[Role::PxAdmin, Role::HospitalAdmin, Role::DepartmentManager, Role::PxCoordinator];
/// Roles that close resolved complaints and approve, reject and close PX Actions.
pub const APPROVERS: &[Role] = &[Role::PxAdmin, Role::HospitalAdmin, Role::PxCoordinator];
/// Roles that cancel complaints and actions.
pub const CANCELLERS: &[Role] = &[Role::PxAdmin, Role::HospitalAdmin];

/// Something a move needs that the request lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Requirement {
    /// A non-blank resolution text.
    Resolution,
    ResolutionCategory,
    /// A taxonomy category at level 3 (subcategory) or 4.
    CategoryLevel3,
    /// A non-blank reason (reopen, reject, cancel).
    Reason,
    /// Non-blank resolution notes on the action.
    ResolutionNotes,
    /// At least one evidence attachment.
    Evidence,
}

impl Requirement {
    /// The input field the requirement is about, for field errors.
    pub fn field(self) -> &'static str {
        match self {
            Requirement::Resolution => "resolution",
            Requirement::ResolutionCategory => "resolution_category",
            Requirement::CategoryLevel3 => "category",
            Requirement::Reason => "reason",
            Requirement::ResolutionNotes => "resolution_notes",
            Requirement::Evidence => "evidence",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Requirement::Resolution => "A resolution is required.",
            Requirement::ResolutionCategory => "A resolution category is required.",
            Requirement::CategoryLevel3 => "Choose a subcategory or classification (level 3 or 4) first.",
            Requirement::Reason => "A reason is required.",
            Requirement::ResolutionNotes => "Resolution notes are required.",
            Requirement::Evidence => "Attach at least one evidence file.",
        }
    }
}

/// Why a status change was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransitionError {
    /// The workflow has no such move; `allowed` are the statuses `from` may move to.
    NotAllowed { from: &'static str, to: &'static str, allowed: Vec<&'static str> },
    /// The role may not make this move; `roles` may.
    Forbidden { role: Role, to: &'static str, roles: Vec<Role> },
    /// The assignee of an action may not approve or reject their own work.
    OwnWork,
    /// Inputs the move needs, all of them.
    Missing(Vec<Requirement>),
}

impl fmt::Display for TransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransitionError::NotAllowed { from, to, allowed } if allowed.is_empty() => {
                write!(f, "cannot move from {from} to {to}: {from} is final")
            }
            TransitionError::NotAllowed { from, to, allowed } => {
                write!(f, "cannot move from {from} to {to}; allowed next: {}", allowed.join(", "))
            }
            TransitionError::Forbidden { role, to, roles } => {
                let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
                write!(f, "a {} may not move this to {to}; allowed roles: {}", role.as_str(), names.join(", "))
            }
            TransitionError::OwnWork => write!(f, "the assignee may not approve or reject their own action"),
            TransitionError::Missing(missing) => {
                let fields: Vec<&str> = missing.iter().map(|m| m.field()).collect();
                write!(f, "missing: {}", fields.join(", "))
            }
        }
    }
}

impl std::error::Error for TransitionError {}

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// What a complaint status change brings (the complaint's stored values merged with the request).
#[derive(Debug, Clone, Copy, Default)]
pub struct ComplaintChange<'a> {
    pub resolution: &'a str,
    pub resolution_category: Option<ResolutionCategory>,
    /// The level (1–4) of the complaint's taxonomy category, if it has one.
    pub category_level: Option<u8>,
    /// Reopen and cancel reason.
    pub reason: &'a str,
}

/// Who may move a complaint to `to`.
pub fn complaint_roles(from: ComplaintStatus, to: ComplaintStatus) -> &'static [Role] {
    use ComplaintStatus::*;
    match (from, to) {
        (Resolved, Closed) => APPROVERS,
        (_, Cancelled) => CANCELLERS,
        _ => HANDLERS,
    }
}

/// Checks a complaint status change: the move exists, `role` may make it, and it has its inputs:
/// → resolved needs resolution, resolution_category and a category at level ≥ 3; → closed needs
/// a resolution; resolved → in_progress (reopen) and → cancelled need a reason.
pub fn check_complaint_transition(
    from: ComplaintStatus,
    to: ComplaintStatus,
    role: Role,
    change: &ComplaintChange<'_>,
) -> Result<(), TransitionError> {
    if !from.next().contains(&to) {
        return Err(TransitionError::NotAllowed {
            from: from.as_str(),
            to: to.as_str(),
            allowed: from.next().iter().map(|s| s.as_str()).collect(),
        });
    }
    let roles = complaint_roles(from, to);
    if !roles.contains(&role) {
        return Err(TransitionError::Forbidden { role, to: to.as_str(), roles: roles.to_vec() });
    }
    let mut missing = Vec::new();
    match (from, to) {
        (_, ComplaintStatus::Resolved) => {
            if blank(change.resolution) {
                missing.push(Requirement::Resolution);
            }
            if change.resolution_category.is_none() {
                missing.push(Requirement::ResolutionCategory);
            }
            if change.category_level.is_none_or(|level| level < 3) {
                missing.push(Requirement::CategoryLevel3);
            }
        }
        (_, ComplaintStatus::Closed) if blank(change.resolution) => missing.push(Requirement::Resolution),
        (ComplaintStatus::Resolved, ComplaintStatus::InProgress) | (_, ComplaintStatus::Cancelled)
            if blank(change.reason) =>
        {
            missing.push(Requirement::Reason)
        }
        _ => {}
    }
    if missing.is_empty() { Ok(()) } else { Err(TransitionError::Missing(missing)) }
}

/// What a PX Action status change brings.
#[derive(Debug, Clone, Copy)]
pub struct ActionChange<'a> {
    pub requires_approval: bool,
    /// The actor is the action's assignee.
    pub actor_is_assignee: bool,
    pub resolution_notes: &'a str,
    /// Evidence attachments on the action.
    pub evidence_count: usize,
    /// Rejection and cancel reason.
    pub reason: &'a str,
}

impl Default for ActionChange<'_> {
    fn default() -> Self {
        ActionChange {
            requires_approval: true,
            actor_is_assignee: false,
            resolution_notes: "",
            evidence_count: 0,
            reason: "",
        }
    }
}

/// Who may move an action to `to`: approving, rejecting and closing are for PXA/HA/PXC (closing
/// without approval is the handler's), cancelling for PXA/HA, the rest for every handler.
pub fn action_roles(from: ActionStatus, to: ActionStatus) -> &'static [Role] {
    use ActionStatus::*;
    match (from, to) {
        (_, Cancelled) => CANCELLERS,
        (PendingApproval, Approved | InProgress) | (Approved, Closed) => APPROVERS,
        _ => HANDLERS,
    }
}

/// Checks a PX Action status change (spec §9 Approval): pending_approval needs resolution notes
/// and ≥ 1 evidence item; someone other than the assignee approves or rejects (rejecting needs a
/// reason); closing needs resolution notes; cancelling needs PXA/HA and a reason.
pub fn check_action_transition(
    from: ActionStatus,
    to: ActionStatus,
    role: Role,
    change: &ActionChange<'_>,
) -> Result<(), TransitionError> {
    use ActionStatus::*;
    let next = from.next(change.requires_approval);
    if !next.contains(&to) {
        return Err(TransitionError::NotAllowed {
            from: from.as_str(),
            to: to.as_str(),
            allowed: next.iter().map(|s| s.as_str()).collect(),
        });
    }
    let roles = action_roles(from, to);
    if !roles.contains(&role) {
        return Err(TransitionError::Forbidden { role, to: to.as_str(), roles: roles.to_vec() });
    }
    if from == PendingApproval && matches!(to, Approved | InProgress) && change.actor_is_assignee {
        return Err(TransitionError::OwnWork);
    }
    let mut missing = Vec::new();
    match (from, to) {
        (_, PendingApproval) => {
            if blank(change.resolution_notes) {
                missing.push(Requirement::ResolutionNotes);
            }
            if change.evidence_count == 0 {
                missing.push(Requirement::Evidence);
            }
        }
        (_, Closed) if blank(change.resolution_notes) => missing.push(Requirement::ResolutionNotes),
        (PendingApproval, InProgress) | (_, Cancelled) if blank(change.reason) => missing.push(Requirement::Reason),
        _ => {}
    }
    if missing.is_empty() { Ok(()) } else { Err(TransitionError::Missing(missing)) }
}

/// Spec §8 complaint type: appreciations share the table but have no SLA; inquiries (spec's
/// `Inquiry`) share the table, the workflow (resolved = answered) and the SLA, with an INQ- number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintType {
    #[default]
    Complaint,
    Appreciation,
    Inquiry,
}

impl ComplaintType {
    pub const ALL: [ComplaintType; 3] = [ComplaintType::Complaint, ComplaintType::Appreciation, ComplaintType::Inquiry];

    pub fn as_str(self) -> &'static str {
        match self {
            ComplaintType::Complaint => "complaint",
            ComplaintType::Appreciation => "appreciation",
            ComplaintType::Inquiry => "inquiry",
        }
    }

    pub fn parse(s: &str) -> Option<ComplaintType> {
        ComplaintType::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub fn has_sla(self) -> bool {
        self != ComplaintType::Appreciation
    }

    /// The reference number's prefix: CMP-, APR-, INQ-.
    pub fn prefix(self) -> RefPrefix {
        match self {
            ComplaintType::Complaint => RefPrefix::Cmp,
            ComplaintType::Appreciation => RefPrefix::Apr,
            ComplaintType::Inquiry => RefPrefix::Inq,
        }
    }
}

/// How far a client's clock may run ahead of ours before a "now" received_at counts as future.
pub const RECEIVED_AT_LEEWAY_SECONDS: i64 = 60;

/// received_at may be backdated to an external platform's receipt time, never forward: a time
/// after `now` (beyond a minute of clock skew) is refused; a missing one is `now`.
pub fn received_at(requested: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Result<DateTime<Utc>, &'static str> {
    match requested {
        None => Ok(now),
        Some(at) if at > now + chrono::Duration::seconds(RECEIVED_AT_LEEWAY_SECONDS) => {
            Err("The received time cannot be in the future.")
        }
        Some(at) => Ok(at.min(now)),
    }
}

/// The public reference prefixes of spec §1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RefPrefix {
    /// Complaint
    Cmp,
    /// Inquiry
    Inq,
    /// Observation
    Obs,
    /// Appreciation
    Apr,
    /// PX Action
    Act,
    /// Feedback
    Fdb,
}

impl RefPrefix {
    pub const ALL: [RefPrefix; 6] =
        [RefPrefix::Cmp, RefPrefix::Inq, RefPrefix::Obs, RefPrefix::Apr, RefPrefix::Act, RefPrefix::Fdb];

    pub fn as_str(self) -> &'static str {
        match self {
            RefPrefix::Cmp => "CMP",
            RefPrefix::Inq => "INQ",
            RefPrefix::Obs => "OBS",
            RefPrefix::Apr => "APR",
            RefPrefix::Act => "ACT",
            RefPrefix::Fdb => "FDB",
        }
    }

    pub fn parse(s: &str) -> Option<RefPrefix> {
        RefPrefix::ALL.into_iter().find(|p| p.as_str().eq_ignore_ascii_case(s))
    }
}

/// Crockford's base32 alphabet (no I, L, O, U).
pub const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The six-character suffix of 30 random bits (the high bits of `bits` are ignored).
pub fn crockford_suffix(bits: u32) -> String {
    (0..6).rev().map(|i| char::from(CROCKFORD[((bits >> (i * 5)) & 31) as usize])).collect()
}

/// `PREFIX-YYYYMMDD-XXXXXX`, the date being the Riyadh date of `at`.
pub fn reference_number(prefix: RefPrefix, at: DateTime<Utc>, random_bits: u32) -> String {
    let date = at.with_timezone(&super::calendar::riyadh()).format("%Y%m%d");
    format!("{}-{date}-{}", prefix.as_str(), crockford_suffix(random_bits))
}

/// A new reference number with a random suffix (a unique index on the column catches the rare
/// collision; the caller retries).
pub fn new_reference_number(prefix: RefPrefix, now: DateTime<Utc>) -> String {
    reference_number(prefix, now, rand::random::<u32>())
}

/// Reads a reference typed by a person: case and surrounding spaces do not matter, and the
/// suffix's look-alikes are read as Crockford does (O → 0, I and L → 1). Gives the canonical form.
pub fn parse_reference(input: &str) -> Option<(RefPrefix, NaiveDate, String)> {
    // Typed without its dashes or with spaces (`cmp20261204f7xapp`, `CMP 20261204 F7XAPP`): the
    // parts have fixed lengths (3, 8, 6), so they are put back.
    let compact: String = input.trim().chars().filter(|c| !matches!(c, '-' | ' ' | '\u{2010}'..='\u{2015}')).collect();
    let spaced;
    let input = if compact.len() == 17 && compact.is_ascii() {
        spaced = format!("{}-{}-{}", &compact[..3], &compact[3..11], &compact[11..]);
        spaced.as_str()
    } else {
        input
    };
    let mut parts = input.trim().split('-');
    let (prefix, date, suffix) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let prefix = RefPrefix::parse(prefix)?;
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let date = NaiveDate::parse_from_str(date, "%Y%m%d").ok()?;
    let mut canonical = String::with_capacity(6);
    for c in suffix.chars() {
        let c = match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !c.is_ascii() || !CROCKFORD.contains(&(c as u8)) {
            return None;
        }
        canonical.push(c);
    }
    if canonical.len() != 6 {
        return None;
    }
    Some((prefix, date, canonical))
}

/// The canonical spelling of a typed reference, if it is one.
pub fn normalize_reference(input: &str) -> Option<String> {
    let (prefix, date, suffix) = parse_reference(input)?;
    Some(format!("{}-{}-{suffix}", prefix.as_str(), date.format("%Y%m%d")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use chrono::TimeZone;

    use super::*;

    use ComplaintStatus as C;
    use Role::*;

    fn resolved_inputs() -> ComplaintChange<'static> {
        ComplaintChange {
            resolution: "Apologised and retrained the reception team.",
            resolution_category: Some(ResolutionCategory::FullActionTaken),
            category_level: Some(3),
            reason: "",
        }
    }

    #[test]
    fn complaint_moves_allowed_and_refused() {
        // (from, to, allowed by the workflow)
        let cases = [
            (C::Open, C::InProgress, true),
            (C::Open, C::Resolved, true),
            (C::Open, C::Cancelled, true),
            (C::Open, C::Closed, false),
            (C::Open, C::Open, false),
            (C::InProgress, C::Resolved, true),
            (C::InProgress, C::Cancelled, true),
            (C::InProgress, C::Open, false),
            (C::InProgress, C::Closed, false),
            (C::Resolved, C::Closed, true),
            (C::Resolved, C::InProgress, true),
            (C::Resolved, C::Cancelled, true),
            (C::Resolved, C::Open, false),
            (C::Closed, C::InProgress, false),
            (C::Closed, C::Open, false),
            (C::Cancelled, C::Open, false),
            (C::Cancelled, C::InProgress, false),
        ];
        let change = ComplaintChange { reason: "duplicate of CMP-20261129-0000AB", ..resolved_inputs() };
        for (from, to, allowed) in cases {
            let got = check_complaint_transition(from, to, PxAdmin, &change);
            assert_eq!(got.is_ok(), allowed, "{from:?} → {to:?}: {got:?}");
            if !allowed {
                assert!(matches!(got, Err(TransitionError::NotAllowed { .. })), "{from:?} → {to:?}");
            }
        }
        for status in ComplaintStatus::ALL {
            assert_eq!(status.is_final(), matches!(status, C::Closed | C::Cancelled));
            assert_eq!(status.sla_running(), matches!(status, C::Open | C::InProgress));
        }
    }

    #[test]
    fn refusals_name_the_allowed_next_statuses() {
        let err = check_complaint_transition(C::InProgress, C::Open, PxAdmin, &resolved_inputs()).unwrap_err();
        assert_eq!(
            err,
            TransitionError::NotAllowed { from: "in_progress", to: "open", allowed: vec!["resolved", "cancelled"] }
        );
        assert_eq!(err.to_string(), "cannot move from in_progress to open; allowed next: resolved, cancelled");
        let err = check_complaint_transition(C::Closed, C::InProgress, PxAdmin, &resolved_inputs()).unwrap_err();
        assert_eq!(err.to_string(), "cannot move from closed to in_progress: closed is final");
        let err =
            check_action_transition(ActionStatus::Open, ActionStatus::Approved, PxAdmin, &ActionChange::default())
                .unwrap_err();
        assert_eq!(err.to_string(), "cannot move from open to approved; allowed next: in_progress, cancelled");
    }

    #[test]
    fn who_may_move_a_complaint() {
        // (from, to, roles that may)
        let cases: [(C, C, &[Role]); 7] = [
            (C::Open, C::InProgress, &[PxAdmin, HospitalAdmin, DepartmentManager, PxCoordinator]),
            (C::Open, C::Resolved, &[PxAdmin, HospitalAdmin, DepartmentManager, PxCoordinator]),
            (C::InProgress, C::Resolved, &[PxAdmin, HospitalAdmin, DepartmentManager, PxCoordinator]),
            (C::Resolved, C::InProgress, &[PxAdmin, HospitalAdmin, DepartmentManager, PxCoordinator]),
            (C::Resolved, C::Closed, &[PxAdmin, HospitalAdmin, PxCoordinator]),
            (C::Open, C::Cancelled, &[PxAdmin, HospitalAdmin]),
            (C::Resolved, C::Cancelled, &[PxAdmin, HospitalAdmin]),
        ];
        let change = ComplaintChange { reason: "reopened: patient called back", ..resolved_inputs() };
        for (from, to, may) in cases {
            for role in Role::ALL {
                let got = check_complaint_transition(from, to, role, &change);
                assert_eq!(got.is_ok(), may.contains(&role), "{role:?} {from:?} → {to:?}: {got:?}");
                if let Err(err) = got {
                    assert_eq!(err, TransitionError::Forbidden { role, to: to.as_str(), roles: may.to_vec() });
                }
            }
        }
        let err = check_complaint_transition(C::Open, C::Cancelled, PxCoordinator, &change).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a px_coordinator may not move this to cancelled; allowed roles: px_admin, hospital_admin"
        );
    }

    #[test]
    fn complaint_moves_need_their_inputs() {
        let none = ComplaintChange::default();
        // (from, to, change, missing)
        let cases = [
            (
                C::InProgress,
                C::Resolved,
                none,
                vec![Requirement::Resolution, Requirement::ResolutionCategory, Requirement::CategoryLevel3],
            ),
            (
                C::InProgress,
                C::Resolved,
                ComplaintChange { resolution: "   ", ..resolved_inputs() },
                vec![Requirement::Resolution],
            ),
            (
                C::Open,
                C::Resolved,
                ComplaintChange { category_level: Some(2), ..resolved_inputs() },
                vec![Requirement::CategoryLevel3],
            ),
            (
                C::Open,
                C::Resolved,
                ComplaintChange { category_level: None, ..resolved_inputs() },
                vec![Requirement::CategoryLevel3],
            ),
            (C::Open, C::Resolved, ComplaintChange { category_level: Some(4), ..resolved_inputs() }, vec![]),
            (
                C::Open,
                C::Resolved,
                ComplaintChange { resolution_category: None, ..resolved_inputs() },
                vec![Requirement::ResolutionCategory],
            ),
            (C::Resolved, C::Closed, none, vec![Requirement::Resolution]),
            (C::Resolved, C::Closed, resolved_inputs(), vec![]),
            (C::Resolved, C::InProgress, resolved_inputs(), vec![Requirement::Reason]),
            (C::Resolved, C::InProgress, ComplaintChange { reason: "new information", ..none }, vec![]),
            (C::Open, C::Cancelled, none, vec![Requirement::Reason]),
            (C::InProgress, C::Cancelled, ComplaintChange { reason: " ", ..none }, vec![Requirement::Reason]),
            (C::Open, C::InProgress, none, vec![]),
        ];
        for (from, to, change, missing) in cases {
            let got = check_complaint_transition(from, to, HospitalAdmin, &change);
            let want = if missing.is_empty() { Ok(()) } else { Err(TransitionError::Missing(missing)) };
            assert_eq!(got, want, "{from:?} → {to:?} with {change:?}");
        }
        let err = check_complaint_transition(C::Open, C::Resolved, PxAdmin, &none).unwrap_err();
        assert_eq!(err.to_string(), "missing: resolution, resolution_category, category");
    }

    use ActionStatus as A;

    fn ready() -> ActionChange<'static> {
        ActionChange {
            requires_approval: true,
            actor_is_assignee: false,
            resolution_notes: "New discharge checklist in use since 1 Dec.",
            evidence_count: 1,
            reason: "Evidence does not show the checklist in use.",
        }
    }

    #[test]
    fn action_approval_workflow_moves() {
        // (from, to, requires_approval, allowed by the workflow)
        let cases = [
            (A::Open, A::InProgress, true, true),
            (A::Open, A::PendingApproval, true, false),
            (A::Open, A::Closed, true, false),
            (A::Open, A::Cancelled, true, true),
            (A::InProgress, A::PendingApproval, true, true),
            (A::InProgress, A::Closed, true, false),
            (A::InProgress, A::Approved, true, false),
            (A::InProgress, A::Closed, false, true),
            (A::InProgress, A::PendingApproval, false, false),
            (A::PendingApproval, A::Approved, true, true),
            (A::PendingApproval, A::InProgress, true, true),
            (A::PendingApproval, A::Closed, true, false),
            (A::PendingApproval, A::Cancelled, true, true),
            (A::Approved, A::Closed, true, true),
            (A::Approved, A::InProgress, true, false),
            (A::Approved, A::Cancelled, true, true),
            (A::Closed, A::InProgress, true, false),
            (A::Closed, A::Cancelled, true, false),
            (A::Cancelled, A::Open, true, false),
        ];
        for (from, to, requires_approval, allowed) in cases {
            let change = ActionChange { requires_approval, ..ready() };
            let got = check_action_transition(from, to, PxAdmin, &change);
            assert_eq!(got.is_ok(), allowed, "{from:?} → {to:?} (approval {requires_approval}): {got:?}");
        }
        // The happy path of the spec.
        let path = [A::Open, A::InProgress, A::PendingApproval, A::Approved, A::Closed];
        for pair in path.windows(2) {
            assert_eq!(check_action_transition(pair[0], pair[1], HospitalAdmin, &ready()), Ok(()), "{pair:?}");
        }
        for status in ActionStatus::ALL {
            assert_eq!(status.is_final(), status.next(true).is_empty());
            assert_eq!(status.is_final(), status.next(false).is_empty());
        }
    }

    #[test]
    fn who_may_move_an_action() {
        // (from, to, requires_approval, roles that may)
        let cases: [(A, A, bool, &[Role]); 8] = [
            (A::Open, A::InProgress, true, &[PxAdmin, HospitalAdmin, DepartmentManager, PxCoordinator]),
            (A::InProgress, A::PendingApproval, true, &[PxAdmin, HospitalAdmin, DepartmentManager, PxCoordinator]),
            (A::PendingApproval, A::Approved, true, &[PxAdmin, HospitalAdmin, PxCoordinator]),
            (A::PendingApproval, A::InProgress, true, &[PxAdmin, HospitalAdmin, PxCoordinator]),
            (A::Approved, A::Closed, true, &[PxAdmin, HospitalAdmin, PxCoordinator]),
            (A::InProgress, A::Closed, false, &[PxAdmin, HospitalAdmin, DepartmentManager, PxCoordinator]),
            (A::Open, A::Cancelled, true, &[PxAdmin, HospitalAdmin]),
            (A::Approved, A::Cancelled, true, &[PxAdmin, HospitalAdmin]),
        ];
        for (from, to, requires_approval, may) in cases {
            for role in Role::ALL {
                let change = ActionChange { requires_approval, ..ready() };
                let got = check_action_transition(from, to, role, &change);
                assert_eq!(got.is_ok(), may.contains(&role), "{role:?} {from:?} → {to:?}: {got:?}");
            }
        }
    }

    #[test]
    fn the_assignee_may_not_approve_or_reject_their_own_action() {
        let own = ActionChange { actor_is_assignee: true, ..ready() };
        for to in [A::Approved, A::InProgress] {
            assert_eq!(
                check_action_transition(A::PendingApproval, to, PxCoordinator, &own),
                Err(TransitionError::OwnWork)
            );
            assert_eq!(check_action_transition(A::PendingApproval, to, PxCoordinator, &ready()), Ok(()));
        }
        // The assignee does submit, close after approval, and (as PXA/HA) cancel.
        assert_eq!(check_action_transition(A::InProgress, A::PendingApproval, DepartmentManager, &own), Ok(()));
        assert_eq!(check_action_transition(A::Approved, A::Closed, PxCoordinator, &own), Ok(()));
        assert_eq!(check_action_transition(A::PendingApproval, A::Cancelled, HospitalAdmin, &own), Ok(()));
    }

    #[test]
    fn action_moves_need_their_inputs() {
        let bare = ActionChange::default();
        // (from, to, change, missing)
        let cases = [
            (A::InProgress, A::PendingApproval, bare, vec![Requirement::ResolutionNotes, Requirement::Evidence]),
            (
                A::InProgress,
                A::PendingApproval,
                ActionChange { evidence_count: 0, ..ready() },
                vec![Requirement::Evidence],
            ),
            (
                A::InProgress,
                A::PendingApproval,
                ActionChange { resolution_notes: " ", ..ready() },
                vec![Requirement::ResolutionNotes],
            ),
            (A::InProgress, A::PendingApproval, ready(), vec![]),
            (A::PendingApproval, A::InProgress, ActionChange { reason: "", ..ready() }, vec![Requirement::Reason]),
            (A::PendingApproval, A::Approved, ActionChange { reason: "", ..ready() }, vec![]),
            (
                A::Approved,
                A::Closed,
                ActionChange { resolution_notes: "", ..ready() },
                vec![Requirement::ResolutionNotes],
            ),
            (
                A::InProgress,
                A::Closed,
                ActionChange { requires_approval: false, resolution_notes: "", ..ready() },
                vec![Requirement::ResolutionNotes],
            ),
            (A::InProgress, A::Closed, ActionChange { requires_approval: false, evidence_count: 0, ..ready() }, vec![]),
            (A::Open, A::Cancelled, bare, vec![Requirement::Reason]),
            (A::Open, A::InProgress, bare, vec![]),
        ];
        for (from, to, change, missing) in cases {
            let got = check_action_transition(from, to, PxAdmin, &change);
            let want = if missing.is_empty() { Ok(()) } else { Err(TransitionError::Missing(missing)) };
            assert_eq!(got, want, "{from:?} → {to:?} with {change:?}");
        }
        let err = check_action_transition(A::InProgress, A::PendingApproval, PxAdmin, &bare).unwrap_err();
        assert_eq!(err.to_string(), "missing: resolution_notes, evidence");
    }

    #[test]
    fn reference_numbers_use_the_riyadh_date_and_crockford_suffixes() {
        // 22:30 UTC on 28 Nov is 01:30 on 29 Nov in Riyadh.
        let late = Utc.with_ymd_and_hms(2026, 11, 28, 22, 30, 0).unwrap();
        let noon = Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap();
        // (prefix, at, bits, reference)
        let cases = [
            (RefPrefix::Cmp, late, 0, "CMP-20261129-000000"),
            (RefPrefix::Cmp, noon, 0, "CMP-20261128-000000"),
            (RefPrefix::Act, noon, 1, "ACT-20261128-000001"),
            (RefPrefix::Inq, noon, 31, "INQ-20261128-00000Z"),
            (RefPrefix::Obs, noon, 32, "OBS-20261128-000010"),
            (RefPrefix::Apr, noon, (1 << 30) - 1, "APR-20261128-ZZZZZZ"),
            (RefPrefix::Fdb, noon, u32::MAX, "FDB-20261128-ZZZZZZ"),
            (RefPrefix::Cmp, noon, 0b10000_01111_00000_11110_00001_10101, "CMP-20261128-GF0Y1N"),
        ];
        for (prefix, at, bits, want) in cases {
            assert_eq!(reference_number(prefix, at, bits), want);
            let (p, date, suffix) = parse_reference(want).unwrap();
            assert_eq!(
                (p, date.format("%Y%m%d").to_string(), suffix.as_str()),
                (prefix, want[4..12].to_owned(), &want[13..])
            );
        }
        for _ in 0..50 {
            let r = new_reference_number(RefPrefix::Cmp, noon);
            assert_eq!(r.len(), "CMP-20261128-XXXXXX".len());
            assert!(r.starts_with("CMP-20261128-"));
            assert!(r[13..].bytes().all(|b| CROCKFORD.contains(&b)), "{r}");
            assert_eq!(normalize_reference(&r).as_deref(), Some(r.as_str()));
        }
    }

    #[test]
    fn typed_references_are_normalised_or_refused() {
        let cases = [
            ("CMP-20261128-ABC123", Some("CMP-20261128-ABC123")),
            ("  cmp-20261128-abc123 ", Some("CMP-20261128-ABC123")),
            ("CMP-20261128-OIL0il", Some("CMP-20261128-011011")),
            ("act-20260101-zzzzzz", Some("ACT-20260101-ZZZZZZ")),
            // Without its dashes, with spaces, or with typographic dashes.
            ("cmp20261128abc123", Some("CMP-20261128-ABC123")),
            ("CMP 20261128 ABC123", Some("CMP-20261128-ABC123")),
            ("CMP\u{2013}20261128\u{2013}ABC123", Some("CMP-20261128-ABC123")),
            ("cmp2026112abc1234", None),   // 17 characters, but not a date
            ("CMP-20261128-ABCU23", None), // U is not in the alphabet
            ("CMP-20261128-ABC12", None),  // too short
            ("CMP-20261128-ABC1234", None),
            ("CMP-20261328-ABC123", None), // month 13
            ("CMP-2026112-ABC123", None),
            ("XYZ-20261128-ABC123", None),
            ("CMP-20261128", None),
            ("CMP-20261128-ABC123-1", None),
            ("CMP-+0261128-ABC123", None),
            ("CMP-20261128-ABC١23", None), // a non-ASCII digit
            ("", None),
        ];
        for (input, want) in cases {
            assert_eq!(normalize_reference(input).as_deref(), want, "{input:?}");
        }
        for p in RefPrefix::ALL {
            assert_eq!(RefPrefix::parse(&p.as_str().to_lowercase()), Some(p));
        }
    }

    #[test]
    fn status_and_category_names_round_trip() {
        for v in ComplaintStatus::ALL {
            assert_eq!(ComplaintStatus::parse(v.as_str()), Some(v));
        }
        for v in ActionStatus::ALL {
            assert_eq!(ActionStatus::parse(v.as_str()), Some(v));
        }
        for v in ResolutionCategory::ALL {
            assert_eq!(ResolutionCategory::parse(v.as_str()), Some(v));
        }
        assert_eq!(ComplaintStatus::parse("partially_resolved"), None);
        assert_eq!(serde_json::to_string(&ActionStatus::PendingApproval).unwrap(), "\"pending_approval\"");
    }

    #[test]
    fn complaint_types_and_received_times() {
        assert!(ComplaintType::Complaint.has_sla());
        assert!(!ComplaintType::Appreciation.has_sla());
        assert_eq!(ComplaintType::parse("appreciation"), Some(ComplaintType::Appreciation));
        assert_eq!(ComplaintType::parse("inquiry"), Some(ComplaintType::Inquiry));
        assert!(ComplaintType::Inquiry.has_sla());
        assert_eq!(ComplaintType::Inquiry.prefix(), RefPrefix::Inq);
        assert_eq!(ComplaintType::parse("feedback"), None);
        assert_eq!(ComplaintType::default().as_str(), "complaint");
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap();
        let s = chrono::Duration::seconds;
        // (requested, result)
        let cases = [
            (None, Ok(now)),
            (Some(now - s(86_400 * 3)), Ok(now - s(86_400 * 3))), // backdated to the platform's time
            (Some(now), Ok(now)),
            (Some(now + s(30)), Ok(now)), // clock skew: clamped to now
            (Some(now + s(61)), Err("The received time cannot be in the future.")),
        ];
        for (requested, want) in cases {
            assert_eq!(received_at(requested, now), want, "{requested:?}");
        }
    }
}
