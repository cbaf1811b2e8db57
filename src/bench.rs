//! `px360 bench jobs`: queue throughput on the configured database (and Redis, when set).
//! Enqueues N trivial jobs, starts W real `px360 worker` processes, and times the drain.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::app::AppState;
use crate::jobs::Job;
use crate::jobs::model::job;

#[derive(Debug, serde::Serialize)]
pub struct JobsBench {
    pub backend: String,
    pub redis: bool,
    pub jobs: u64,
    pub worker_processes: u32,
    pub concurrency_per_worker: u32,
    pub enqueue_seconds: f64,
    pub enqueue_per_second: f64,
    pub drain_seconds: f64,
    pub jobs_per_second: f64,
}

async fn enqueue_noops(state: &AppState, n: u64) -> anyhow::Result<()> {
    let mut rows = Vec::with_capacity(1000);
    for i in 0..n {
        rows.push(crate::jobs::queue::new_row(Uuid::now_v7(), &Job::Noop { n: i }, &crate::jobs::Enqueue::default())?);
        if rows.len() == 1000 || i + 1 == n {
            job::Entity::insert_many(std::mem::take(&mut rows)).exec_without_returning(&state.db).await?;
        }
    }
    Ok(())
}

fn stop(children: &mut [Child]) {
    for child in children.iter() {
        let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    }
    for child in children.iter_mut() {
        let _ = child.wait();
    }
}

pub async fn jobs(state: &AppState, n: u64, workers: u32, concurrency: u32) -> anyhow::Result<JobsBench> {
    job::Entity::delete_many().filter(job::Column::Kind.eq("noop")).exec(&state.db).await?;
    let started = Instant::now();
    enqueue_noops(state, n).await?;
    let enqueue_seconds = started.elapsed().as_secs_f64();

    let exe = std::env::current_exe()?;
    let spec = format!("default={concurrency},events=0,notifications=0,sla=0,analytics=0");
    let drain_start = Instant::now();
    let mut children = Vec::new();
    for _ in 0..workers {
        let child = Command::new(&exe)
            .arg("--database-url")
            .arg(&state.config.database_url)
            .arg("worker")
            .env("PX360_WORKER_CONCURRENCY", &spec)
            .env("PX360_SECRET_KEY", state.config.secret_key.expose())
            .env("PX360_LOG_DIR", "")
            .env("PX360_LOG", "warn")
            .envs(state.config.redis_url.as_ref().map(|r| ("PX360_REDIS_URL", r.clone())))
            .stdout(Stdio::null())
            .spawn()?;
        children.push(child);
    }
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        if crate::jobs::queue::pending(&state.db).await? == 0 {
            break;
        }
        if Instant::now() > deadline {
            stop(&mut children);
            anyhow::bail!("the queue did not drain within 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let drain_seconds = drain_start.elapsed().as_secs_f64();
    stop(&mut children);
    Ok(JobsBench {
        backend: format!("{:?}", state.db.get_database_backend()).to_lowercase(),
        redis: state.config.redis_url.is_some(),
        jobs: n,
        worker_processes: workers,
        concurrency_per_worker: concurrency,
        enqueue_seconds,
        enqueue_per_second: n as f64 / enqueue_seconds,
        drain_seconds,
        jobs_per_second: n as f64 / drain_seconds,
    })
}
