//! The worker loop of one queue: claim a batch (as many jobs as the queue's concurrency), run them
//! side by side with a timeout each, mark the successes done in one statement, record failures.
//! Between batches it waits for a wake-up or the poll interval. On shutdown it finishes the batch
//! in hand and stops claiming.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use tokio::sync::watch;

use super::Queue;
use super::handlers::{JobError, run};
use super::queue::{self, Claimed};
use crate::app::AppState;

/// Longest a single attempt may run.
pub const JOB_TIMEOUT: Duration = Duration::from_secs(60);
/// Events per transaction; the events queue claims `concurrency` × this many jobs at a time.
pub const EVENT_BATCH: u64 = 16;
/// Poll interval when no wake-up arrives.
pub const POLL: Duration = Duration::from_millis(500);

async fn run_one(state: &AppState, claimed: &Claimed) -> Result<(), JobError> {
    let job = claimed.job.as_ref().map_err(|e| JobError::Permanent(e.clone()))?;
    match tokio::time::timeout(JOB_TIMEOUT, run(state, job)).await {
        Ok(result) => result,
        Err(_) => Err(JobError::Retry(format!("timed out after {} s", JOB_TIMEOUT.as_secs()))),
    }
}

/// The events queue: the claim's event jobs go to the pipeline together (one transaction), any
/// other job runs alone.
async fn run_events(state: &AppState, claimed: &[Claimed]) -> Vec<Result<(), JobError>> {
    let mut positions = Vec::new();
    let mut ids = Vec::new();
    for (i, c) in claimed.iter().enumerate() {
        if let Ok(super::Job::ProcessInboundEvent { event_id }) = c.job {
            positions.push(i);
            ids.push(event_id);
        }
    }
    let lanes = (claimed.len() as u64).div_ceil(EVENT_BATCH) as usize;
    let mut batch = crate::domains::journeys::processing::process_many(state, &ids, lanes).await.into_iter();
    let mut results = Vec::with_capacity(claimed.len());
    for (i, c) in claimed.iter().enumerate() {
        if positions.contains(&i) {
            results.push(batch.next().unwrap_or(Err(JobError::Retry("no result for this event".into()))));
        } else {
            results.push(run_one(state, c).await);
        }
    }
    results
}

/// Processes one claimed batch; returns how many jobs it handled.
pub async fn process_batch(state: &AppState, queue: Queue, worker: &str, limit: u64) -> anyhow::Result<usize> {
    let lease = chrono::TimeDelta::seconds(state.config.job_lease_seconds);
    let limit = if queue == Queue::Events { limit * EVENT_BATCH } else { limit };
    let turn = state.write_turn().await;
    let claimed = queue::claim(&state.db, queue, worker, limit, lease).await;
    drop(turn);
    let claimed = claimed?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let started = Instant::now();
    let claimed_at = chrono::Utc::now();
    for c in &claimed {
        let waited = (claimed_at - c.run_at).num_milliseconds().max(0) as f64 / 1000.0;
        metrics::histogram!("job_wait_seconds", "queue" => queue.as_str()).record(waited);
    }
    let results = if queue == Queue::Events {
        run_events(state, &claimed).await
    } else {
        join_all(claimed.iter().map(|c| run_one(state, c))).await
    };
    let mut done = Vec::new();
    for (c, result) in claimed.iter().zip(results) {
        let kind = c.job.as_ref().map(|j| j.kind()).unwrap_or("unknown");
        let outcome = match result {
            Ok(()) => {
                done.push(c.id);
                "done"
            }
            Err(JobError::Retry(e)) => {
                let dead = queue::fail(&state.db, c, worker, &e, false).await?;
                tracing::warn!(job = %c.id, kind, attempt = c.attempts, dead, error = %e, "job failed");
                if dead { "dead" } else { "retry" }
            }
            Err(JobError::Permanent(e)) => {
                queue::fail(&state.db, c, worker, &e, true).await?;
                tracing::warn!(job = %c.id, kind, error = %e, "job failed permanently");
                "dead"
            }
        };
        metrics::counter!("jobs_processed_total", "queue" => queue.as_str(), "kind" => kind, "outcome" => outcome)
            .increment(1);
    }
    let turn = state.write_turn().await;
    let completed = queue::complete(&state.db, &done, worker).await;
    drop(turn);
    completed?;
    metrics::histogram!("job_batch_seconds", "queue" => queue.as_str()).record(started.elapsed().as_secs_f64());
    Ok(claimed.len())
}

/// Runs `queue` until `stop`.
pub async fn run_queue(
    state: AppState,
    queue: Queue,
    concurrency: u64,
    worker: Arc<str>,
    mut stop: watch::Receiver<bool>,
) {
    let notify = state.waker.notified(queue);
    loop {
        if *stop.borrow() {
            break;
        }
        match process_batch(&state, queue, &worker, concurrency).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(queue = queue.as_str(), error = %e, "claiming jobs failed"),
        }
        tokio::select! {
            _ = stop.changed() => break,
            () = notify.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
    match queue::release(&state.db, &worker).await {
        Ok(n) if n > 0 => tracing::info!(queue = queue.as_str(), released = n, "jobs handed back"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not hand back jobs"),
    }
}

/// Recovers jobs of dead workers until `stop`, every 30 s (or a third of the lease if shorter).
pub async fn sweep_loop(state: AppState, mut stop: watch::Receiver<bool>) {
    let every = Duration::from_secs((state.config.job_lease_seconds.max(3) / 3).min(30) as u64);
    loop {
        match queue::sweep_expired(&state.db).await {
            Ok(n) if n > 0 => tracing::warn!(recovered = n, "jobs of a stopped worker returned to the queue"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "lease sweep failed"),
        }
        tokio::select! {
            _ = stop.changed() => break,
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// `events=8,notifications=4` → concurrency per queue (queues not named get 2).
pub fn parse_concurrency(spec: &str) -> Result<Vec<(Queue, u64)>, String> {
    let mut out: Vec<(Queue, u64)> = Queue::ALL.iter().map(|q| (*q, 2)).collect();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, n) = part.split_once('=').ok_or_else(|| format!("{part:?} is not queue=number"))?;
        let queue = Queue::parse(name.trim()).ok_or_else(|| format!("unknown queue {name:?}"))?;
        let n: u64 = n.trim().parse().map_err(|_| format!("{n:?} is not a number"))?;
        if let Some(slot) = out.iter_mut().find(|(q, _)| *q == queue) {
            slot.1 = n;
        }
    }
    Ok(out.into_iter().filter(|(_, n)| *n > 0).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_spec_is_parsed_and_zero_disables() {
        let parsed = parse_concurrency("events=8, notifications=0").unwrap();
        assert!(parsed.contains(&(Queue::Events, 8)));
        assert!(!parsed.iter().any(|(q, _)| *q == Queue::Notifications));
        assert!(parsed.contains(&(Queue::Sla, 2)));
        assert!(parse_concurrency("bogus=1").is_err());
        assert!(parse_concurrency("events").is_err());
    }
}
