//! What each job does. Every handler re-reads what it needs by id and is safe to run twice.

use crate::app::AppState;

use super::Job;

/// How an attempt failed.
#[derive(Debug)]
pub enum JobError {
    /// Try again later (with backoff) until the attempts run out.
    Retry(String),
    /// Will never succeed: straight to `dead`.
    Permanent(String),
}

impl From<anyhow::Error> for JobError {
    fn from(e: anyhow::Error) -> Self {
        JobError::Retry(format!("{e:#}"))
    }
}

impl From<sea_orm::DbErr> for JobError {
    fn from(e: sea_orm::DbErr) -> Self {
        JobError::Retry(e.to_string())
    }
}

impl From<crate::error::AppError> for JobError {
    fn from(e: crate::error::AppError) -> Self {
        JobError::Retry(e.to_string())
    }
}

pub async fn run(state: &AppState, job: &Job) -> Result<(), JobError> {
    match job {
        Job::ProcessInboundEvent { event_id } => crate::domains::journeys::processing::process(state, *event_id).await,
        Job::SendNotification { message_id } => {
            crate::domains::notifications::service::deliver(state, *message_id).await
        }
        Job::VerifyAuditChain => match crate::domains::audit::service::verify(&state.db).await? {
            Ok(n) => {
                tracing::info!(entries = n, "audit chain verified");
                Ok(())
            }
            Err(b) => {
                tracing::error!(chain = %b.chain_key, seq = b.seq, reason = %b.reason, "AUDIT CHAIN BROKEN");
                metrics::counter!("audit_chain_broken_total").increment(1);
                Err(JobError::Permanent(format!("chain {} broken at #{}: {}", b.chain_key, b.seq, b.reason)))
            }
        },
        Job::PurgeFinishedJobs => {
            let before = chrono::Utc::now() - chrono::Duration::days(7);
            let n = super::queue::purge_done(&state.db, before).await?;
            tracing::info!(purged = n, "finished jobs purged");
            Ok(())
        }
        Job::Noop { .. } => Ok(()),
        Job::CheckOverdueComplaints => {
            let done = crate::domains::complaints::sla_jobs::check_complaints(state, chrono::Utc::now()).await?;
            tracing::info!(?done, "complaint SLA check");
            Ok(())
        }
        Job::CheckOverdueActions => {
            let done = crate::domains::complaints::sla_jobs::check_actions(state, chrono::Utc::now()).await?;
            tracing::info!(?done, "action SLA check");
            Ok(())
        }
        Job::CheckExplanations => {
            let n = crate::domains::complaints::explanations::escalate_due(state, chrono::Utc::now()).await?;
            tracing::info!(escalated = n, "explanation check");
            Ok(())
        }
        Job::SendSurveyReminders => {
            let done = crate::domains::surveys::delivery::send_reminders(state, chrono::Utc::now()).await?;
            tracing::info!(reminded = done.reminded, "survey reminders");
            Ok(())
        }
        Job::ExpireSurveys => {
            let done = crate::domains::surveys::delivery::expire(state, chrono::Utc::now()).await?;
            tracing::info!(expired = done.expired, abandoned = done.abandoned, "survey expiry");
            Ok(())
        }
        Job::ComputePhysicianRatings => {
            let n = crate::domains::analytics::physicians::compute_recent(&state.db, chrono::Utc::now()).await?;
            tracing::info!(rated = n, "physician ratings");
            Ok(())
        }
        Job::RefreshAnalytics => {
            // SQLite: one writer at a time (the rebuild reads, then replaces, each range).
            let _turn = state.write_turn().await;
            let done = crate::domains::analytics::rollup::refresh(&state.db, chrono::Utc::now()).await?;
            tracing::info!(days = done.days, full = done.full, "analytics rollups");
            Ok(())
        }
        Job::ComputeKpis => {
            let _turn = state.write_turn().await;
            let now = chrono::Utc::now();
            crate::domains::analytics::rollup::rebuild_recent(
                &state.db,
                now,
                crate::domains::analytics::rollup::NIGHTLY_DAYS,
                &mut |_, _| {},
            )
            .await?;
            let done = crate::domains::analytics::kpis::compute_recent(&state.db, now).await?;
            tracing::info!(values = done.values, actions = done.actions, "KPIs");
            Ok(())
        }
    }
}
