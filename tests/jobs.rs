//! The job queue and scheduler on the real database (SQLite file, or PostgreSQL with
//! PX360_TEST_DATABASE_URL): retries, dead jobs, lease recovery, dedupe, two schedulers, Redis
//! wake-ups across processes and Redis being down.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use px360::app::AppState;
use px360::jobs::model::job;
use px360::jobs::queue::{self, enqueue};
use px360::jobs::{Enqueue, Job, Queue};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// A migrated database and an app state on it (no users: these tests need none).
async fn state(redis_url: Option<&str>) -> (AppState, common::DbGuard) {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let (url, db, guard) = common::fresh_database().await;
    px360::db::migrate(&db).await.unwrap();
    let mut config = common::test_config(&url);
    config.redis_url = redis_url.map(str::to_owned);
    (AppState::new(db, config, None).unwrap(), guard)
}

async fn status_of(state: &AppState, id: uuid::Uuid) -> job::Model {
    job::Entity::find_by_id(id).one(&state.db).await.unwrap().unwrap()
}

/// Makes every queued job due now (skips backoff waits).
async fn make_due(state: &AppState) {
    job::Entity::update_many()
        .col_expr(job::Column::RunAt, Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)))
        .filter(job::Column::Status.eq("queued"))
        .exec(&state.db)
        .await
        .unwrap();
}

async fn drain(state: &AppState, queue: Queue) -> usize {
    let mut total = 0;
    loop {
        let n = px360::jobs::worker::process_batch(state, queue, "test-worker", 50).await.unwrap();
        if n == 0 {
            return total;
        }
        total += n;
    }
}

#[tokio::test]
async fn queued_jobs_run_once_and_are_marked_done() {
    let (state, _g) = state(None).await;
    let mut ids = Vec::new();
    for n in 0..120 {
        ids.push(enqueue(&state.db, &Job::Noop { n }, Enqueue::default()).await.unwrap().unwrap());
    }
    assert_eq!(drain(&state, Queue::Default).await, 120);
    for id in ids {
        let j = status_of(&state, id).await;
        assert_eq!((j.status.as_str(), j.attempts), ("done", 1));
        assert!(j.finished_at.is_some());
    }
    assert_eq!(queue::pending(&state.db).await.unwrap(), 0);
}

#[tokio::test]
async fn a_dedupe_key_keeps_one_live_job() {
    let (state, _g) = state(None).await;
    let opts = || Enqueue { run_at: None, dedupe_key: Some("tick:1".into()) };
    let first = enqueue(&state.db, &Job::Noop { n: 1 }, opts()).await.unwrap();
    let second = enqueue(&state.db, &Job::Noop { n: 2 }, opts()).await.unwrap();
    assert!(first.is_some());
    assert_eq!(second, None);
    assert_eq!(job::Entity::find().all(&state.db).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_failing_job_is_retried_with_backoff_then_dead_and_can_be_rerun() {
    let (state, _g) = state(None).await;
    let job = Job::Noop { n: 1 };
    let id = enqueue(&state.db, &job, Enqueue::default()).await.unwrap().unwrap();
    for attempt in 1..=job.max_attempts() {
        make_due(&state).await;
        let claimed = queue::claim(&state.db, Queue::Default, "w", 10, chrono::Duration::minutes(5)).await.unwrap();
        assert_eq!(claimed.len(), 1, "attempt {attempt}");
        assert_eq!(claimed[0].attempts, attempt, "the attempt is counted at claim");
        let dead = queue::fail(&state.db, &claimed[0], "w", "provider answered 503", false).await.unwrap();
        let j = status_of(&state, id).await;
        assert_eq!(j.last_error, "provider answered 503");
        if attempt < job.max_attempts() {
            assert!(!dead);
            assert_eq!(j.status, "queued");
            let wait = j.run_at - chrono::Utc::now();
            let base = 2i64.pow(attempt as u32);
            assert!(wait > chrono::Duration::seconds(base - 2), "backoff after attempt {attempt}: {wait}");
        } else {
            assert!(dead);
            assert_eq!(j.status, "dead");
        }
    }
    make_due(&state).await;
    assert_eq!(drain(&state, Queue::Default).await, 0, "a dead job is not claimed");

    assert_eq!(queue::retry_dead(&state.db, &[id]).await.unwrap(), 1);
    let again = status_of(&state, id).await;
    assert_eq!((again.status.as_str(), again.attempts), ("queued", 0));
    assert_eq!(drain(&state, Queue::Default).await, 1);
    assert_eq!(status_of(&state, id).await.status, "done");
}

#[tokio::test]
async fn a_job_that_can_never_succeed_is_dead_at_once() {
    let (state, _g) = state(None).await;
    // A message that does not exist can never be sent.
    let id = enqueue(&state.db, &Job::SendNotification { message_id: uuid::Uuid::now_v7() }, Enqueue::default())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(drain(&state, Queue::Notifications).await, 1);
    let j = status_of(&state, id).await;
    assert_eq!((j.status.as_str(), j.attempts), ("dead", 1));
    assert!(j.last_error.contains("does not exist"), "{}", j.last_error);
}

#[tokio::test]
async fn a_job_of_a_killed_worker_is_recovered_after_its_lease_and_runs_once() {
    let (state, _g) = state(None).await;
    let id = enqueue(&state.db, &Job::Noop { n: 7 }, Enqueue::default()).await.unwrap().unwrap();
    // A worker claims it and dies without finishing.
    let claimed =
        queue::claim(&state.db, Queue::Default, "dead-worker", 10, chrono::Duration::seconds(30)).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(drain(&state, Queue::Default).await, 0, "a leased job is not claimed twice");
    assert_eq!(queue::sweep_expired(&state.db).await.unwrap(), 0, "the lease has not expired yet");
    job::Entity::update_many()
        .col_expr(job::Column::LockedUntil, Expr::value(Some(chrono::Utc::now() - chrono::Duration::seconds(1))))
        .filter(job::Column::Id.eq(id))
        .exec(&state.db)
        .await
        .unwrap();
    assert_eq!(queue::sweep_expired(&state.db).await.unwrap(), 1);
    assert_eq!(drain(&state, Queue::Default).await, 1);
    let j = status_of(&state, id).await;
    assert_eq!((j.status.as_str(), j.attempts), ("done", 2));
    // The dead worker's late completion changes nothing.
    assert_eq!(queue::complete(&state.db, &[id], "dead-worker").await.unwrap(), 0);
}

#[tokio::test]
async fn two_schedulers_run_each_tick_once() {
    let (state, _g) = state(None).await;
    let entries = px360::jobs::scheduler::parse_table(&px360::jobs::scheduler::default_schedules()).unwrap();
    let entry = entries.iter().find(|e| e.name == "verify_audit_chain").unwrap();
    let tick = chrono::Utc::now();
    let (a, b) = tokio::join!(
        px360::jobs::scheduler::fire(&state, entry, tick, "scheduler-a"),
        px360::jobs::scheduler::fire(&state, entry, tick, "scheduler-b"),
    );
    assert_eq!([a.unwrap(), b.unwrap()].iter().filter(|won| **won).count(), 1);
    let jobs = job::Entity::find().filter(job::Column::Kind.eq("verify_audit_chain")).all(&state.db).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(drain(&state, Queue::Default).await, 1);
    let overview = px360::jobs::scheduler::overview(&state).await.unwrap();
    let row = overview.iter().find(|s| s.name == "verify_audit_chain").unwrap();
    assert_eq!(row.last_outcome.as_deref(), Some("done"));
    assert!(row.next_run.is_some());
}

#[tokio::test]
async fn enqueueing_works_while_redis_is_down_and_workers_still_drain() {
    // Nothing listens on port 1: every Redis call fails.
    let (state, _g) = state(Some("redis://127.0.0.1:1")).await;
    assert_eq!(state.waker.ping().await, Some(false));
    let id = enqueue(&state.db, &Job::Noop { n: 1 }, Enqueue::default()).await.unwrap().unwrap();
    state.waker.wake(Queue::Default);
    assert_eq!(drain(&state, Queue::Default).await, 1);
    assert_eq!(status_of(&state, id).await.status, "done");
}

#[tokio::test]
async fn a_wake_up_through_redis_reaches_a_worker_in_another_process() {
    let Some(redis) = std::env::var("PX360_TEST_REDIS_URL").ok().filter(|u| !u.is_empty()) else {
        eprintln!("PX360_TEST_REDIS_URL not set: skipping the Redis wake-up test");
        return;
    };
    let (web, _g) = state(Some(&redis)).await;
    // A second state with its own waker stands for the worker process.
    let worker = AppState::new(web.db.clone(), web.config.as_ref().clone(), None).unwrap();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let sub = tokio::spawn(std::sync::Arc::clone(&worker.waker).subscribe(stop_rx));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let woken = worker.waker.notified(Queue::Events);
    let started = Instant::now();
    web.waker.wake(Queue::Events);
    tokio::time::timeout(Duration::from_secs(3), woken.notified()).await.expect("wake-up through Redis");
    assert!(started.elapsed() < Duration::from_secs(3));
    let _ = stop_tx.send(true);
    let _ = sub.await;
}

#[tokio::test]
async fn graceful_release_hands_jobs_back_without_counting_the_attempt() {
    let (state, _g) = state(None).await;
    let id = enqueue(&state.db, &Job::Noop { n: 3 }, Enqueue::default()).await.unwrap().unwrap();
    queue::claim(&state.db, Queue::Default, "stopping", 10, chrono::Duration::minutes(5)).await.unwrap();
    assert_eq!(queue::release(&state.db, "stopping").await.unwrap(), 1);
    let j = status_of(&state, id).await;
    assert_eq!((j.status.as_str(), j.attempts), ("queued", 0));
}
