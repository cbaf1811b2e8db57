//! Background jobs. A job is a row in `jobs` (the durable record, written in the caller's
//! transaction); a wake-up (in-process, and through Redis when configured) only shortens the wait.
//! Workers claim rows in batches (`FOR UPDATE SKIP LOCKED` on PostgreSQL), count the attempt at
//! claim, retry with exponential backoff and jitter, and park a job as `dead` after its last
//! attempt, with the error, re-runnable from the jobs page or `px360 admin jobs retry`.
//! Jobs carry ids only, never patient data; handlers re-read state and are idempotent.

pub mod handlers;
pub mod model;
pub mod pages;
pub mod queue;
pub mod scheduler;
pub mod wake;
pub mod worker;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The named queues, each with its own worker concurrency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Queue {
    Events,
    Notifications,
    Sla,
    Analytics,
    Default,
}

impl Queue {
    pub const ALL: [Queue; 5] = [Queue::Events, Queue::Notifications, Queue::Sla, Queue::Analytics, Queue::Default];

    pub fn as_str(self) -> &'static str {
        match self {
            Queue::Events => "events",
            Queue::Notifications => "notifications",
            Queue::Sla => "sla",
            Queue::Analytics => "analytics",
            Queue::Default => "default",
        }
    }

    pub fn parse(s: &str) -> Option<Queue> {
        Queue::ALL.into_iter().find(|q| q.as_str() == s)
    }
}

/// Every job type, in one place. Serialised as `{"kind": "...", ...ids}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Sends one notification message (by id).
    SendNotification { message_id: Uuid },
    /// Runs an inbound integration event through the journey pipeline.
    ProcessInboundEvent { event_id: Uuid },
    /// Verifies the audit log's hash chains.
    VerifyAuditChain,
    /// Deletes finished jobs older than a week and old schedule runs.
    PurgeFinishedJobs,
    /// Does nothing: benchmarks and tests measure the queue itself with it.
    Noop { n: u64 },
    /// Complaint SLA check: reminders, overdue flags, escalation (every 15 minutes).
    CheckOverdueComplaints,
    /// The same for PX Actions.
    CheckOverdueActions,
    /// Explanation requests past due: escalate to the staff member's manager.
    CheckExplanations,
    /// Survey reminders to patients who have not answered (hourly).
    SendSurveyReminders,
    /// Expire surveys whose link ran out; mark idle ones abandoned (hourly).
    ExpireSurveys,
    /// Physician monthly ratings: this month so far and the previous one (daily).
    ComputePhysicianRatings,
    /// The command center's daily rollups: the days whose rows changed (every 5 minutes).
    RefreshAnalytics,
    /// KPI values of this month and the previous one, after rebuilding the last 90 days of
    /// rollups; critical finished months open PX actions (daily).
    ComputeKpis,
}

impl Job {
    pub fn queue(&self) -> Queue {
        match self {
            Job::SendNotification { .. } => Queue::Notifications,
            Job::ProcessInboundEvent { .. } => Queue::Events,
            Job::VerifyAuditChain
            | Job::PurgeFinishedJobs
            | Job::Noop { .. }
            | Job::SendSurveyReminders
            | Job::ExpireSurveys
            | Job::ComputePhysicianRatings => Queue::Default,
            Job::RefreshAnalytics | Job::ComputeKpis => Queue::Analytics,
            Job::CheckOverdueComplaints | Job::CheckOverdueActions | Job::CheckExplanations => Queue::Sla,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Job::SendNotification { .. } => "send_notification",
            Job::ProcessInboundEvent { .. } => "process_inbound_event",
            Job::VerifyAuditChain => "verify_audit_chain",
            Job::PurgeFinishedJobs => "purge_finished_jobs",
            Job::Noop { .. } => "noop",
            Job::CheckOverdueComplaints => "check_overdue_complaints",
            Job::CheckOverdueActions => "check_overdue_actions",
            Job::CheckExplanations => "check_explanations",
            Job::SendSurveyReminders => "send_survey_reminders",
            Job::ExpireSurveys => "expire_surveys",
            Job::ComputePhysicianRatings => "compute_physician_ratings",
            Job::RefreshAnalytics => "refresh_analytics",
            Job::ComputeKpis => "compute_kpis",
        }
    }

    pub fn max_attempts(&self) -> i32 {
        match self {
            Job::SendNotification { .. } => 5,
            _ => 3,
        }
    }
}

/// When the next attempt runs after `attempts` failed ones: 2^n seconds (capped at an hour), plus
/// up to 25 % jitter so a burst of failures does not retry in lockstep.
pub fn backoff(attempts: i32, now: DateTime<Utc>) -> DateTime<Utc> {
    let base = 2i64.saturating_pow(attempts.clamp(0, 12) as u32).min(3600);
    let jitter = rand::random_range(0..=base / 4 + 1);
    now + Duration::seconds(base + jitter)
}

/// Options for [`queue::enqueue`].
#[derive(Debug, Clone, Default)]
pub struct Enqueue {
    /// Earliest time to run (now when `None`).
    pub run_at: Option<DateTime<Utc>>,
    /// A second enqueue with the same key, while the first is not dead, is a no-op.
    pub dedupe_key: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_round_trip_through_json_with_their_kind() {
        let job = Job::SendNotification { message_id: Uuid::nil() };
        let json = serde_json::to_value(&job).unwrap();
        assert_eq!(json["kind"], job.kind());
        assert_eq!(serde_json::from_value::<Job>(json).unwrap(), job);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let now = Utc::now();
        let first = backoff(1, now) - now;
        let fifth = backoff(5, now) - now;
        assert!(first >= Duration::seconds(2) && first <= Duration::seconds(3));
        assert!(fifth >= Duration::seconds(32) && fifth <= Duration::seconds(41));
        assert!(backoff(40, now) - now <= Duration::seconds(3600 + 901));
    }
}
