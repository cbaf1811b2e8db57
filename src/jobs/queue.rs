//! The queue's SQL: enqueue, claim, finish, retry, sweep. One statement per step, the same on
//! SQLite and PostgreSQL except the row locking of the claim.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait, QueryFilter, Set, Statement, Value,
};
use uuid::Uuid;

use super::model::job;
use super::{Enqueue, Job, Queue};
use crate::domains::organizations::service::now;

/// A new queued row for `job` (not yet inserted).
pub fn new_row(id: Uuid, job: &Job, opts: &Enqueue) -> anyhow::Result<job::ActiveModel> {
    let at = now();
    Ok(job::ActiveModel {
        id: Set(id),
        queue: Set(job.queue().as_str().to_owned()),
        kind: Set(job.kind().to_owned()),
        payload: Set(serde_json::to_value(job)?),
        status: Set("queued".into()),
        attempts: Set(0),
        max_attempts: Set(job.max_attempts()),
        run_at: Set(opts.run_at.unwrap_or(at)),
        locked_by: Set(String::new()),
        locked_until: Set(None),
        last_error: Set(String::new()),
        dedupe_key: Set(opts.dedupe_key.clone()),
        created_at: Set(at),
        updated_at: Set(at),
        finished_at: Set(None),
    })
}

/// Writes a job row (in the caller's transaction when `db` is one). Returns the job id, or `None`
/// when `dedupe_key` matched a live job. Call [`super::wake::Waker::wake`] after committing.
pub async fn enqueue(db: &impl ConnectionTrait, job: &Job, opts: Enqueue) -> anyhow::Result<Option<Uuid>> {
    let id = Uuid::now_v7();
    let row = new_row(id, job, &opts)?;
    if opts.dedupe_key.is_some() {
        // The partial unique index on live dedupe keys decides; a conflict means "already there".
        let inserted = job::Entity::insert(row)
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .exec_without_returning(db)
            .await?;
        return Ok((inserted == 1).then_some(id));
    }
    job::Entity::insert(row).exec_without_returning(db).await?;
    Ok(Some(id))
}

/// A claimed job.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: Uuid,
    pub job: Result<Job, String>,
    pub attempts: i32,
    pub max_attempts: i32,
    /// When the job became due: claim time minus this is the time it waited.
    pub run_at: DateTime<Utc>,
}

/// Claims up to `limit` due jobs of `queue` for `worker`, counting the attempt now, under a lease.
pub async fn claim(
    db: &impl ConnectionTrait,
    queue: Queue,
    worker: &str,
    limit: u64,
    lease: Duration,
) -> anyhow::Result<Vec<Claimed>> {
    let backend = db.get_database_backend();
    let at = now();
    let lock = if backend == DatabaseBackend::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
    let sql = format!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $1, locked_until = $2, updated_at = $3 \
         WHERE id IN (SELECT id FROM jobs WHERE queue = $4 AND status = 'queued' AND run_at <= $3 \
                      ORDER BY run_at LIMIT $5 {lock}) \
         RETURNING id, payload, attempts, max_attempts, run_at"
    );
    let values: Vec<Value> =
        vec![worker.into(), (at + lease).into(), at.into(), queue.as_str().into(), (limit as i64).into()];
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in rows {
        let payload: serde_json::Value = row.try_get("", "payload")?;
        claimed.push(Claimed {
            id: row.try_get("", "id")?,
            job: serde_json::from_value::<Job>(payload).map_err(|e| format!("unreadable payload: {e}")),
            attempts: row.try_get("", "attempts")?,
            max_attempts: row.try_get("", "max_attempts")?,
            run_at: row.try_get("", "run_at")?,
        });
    }
    Ok(claimed)
}

/// Marks finished jobs done — only those this worker still holds, so a job whose lease expired
/// and was taken by another worker is not finished twice.
pub async fn complete(db: &impl ConnectionTrait, ids: &[Uuid], worker: &str) -> anyhow::Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let at = now();
    let result = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value("done"))
        .col_expr(job::Column::FinishedAt, Expr::value(Some(at)))
        .col_expr(job::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(job::Column::UpdatedAt, Expr::value(at))
        .filter(job::Column::Id.is_in(ids.iter().copied()))
        .filter(job::Column::LockedBy.eq(worker))
        .filter(job::Column::Status.eq("running"))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Records a failed attempt: back to the queue with backoff, or `dead` after the last attempt
/// (or at once when `permanent`).
pub async fn fail(
    db: &impl ConnectionTrait,
    claimed: &Claimed,
    worker: &str,
    error: &str,
    permanent: bool,
) -> anyhow::Result<bool> {
    let at = now();
    let dead = permanent || claimed.attempts >= claimed.max_attempts;
    let error: String = error.chars().take(2000).collect();
    let mut update = job::Entity::update_many()
        .col_expr(job::Column::LastError, Expr::value(error))
        .col_expr(job::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(job::Column::UpdatedAt, Expr::value(at));
    update = if dead {
        update
            .col_expr(job::Column::Status, Expr::value("dead"))
            .col_expr(job::Column::FinishedAt, Expr::value(Some(at)))
    } else {
        update
            .col_expr(job::Column::Status, Expr::value("queued"))
            .col_expr(job::Column::RunAt, Expr::value(super::backoff(claimed.attempts, at)))
    };
    update
        .filter(job::Column::Id.eq(claimed.id))
        .filter(job::Column::LockedBy.eq(worker))
        .filter(job::Column::Status.eq("running"))
        .exec(db)
        .await?;
    Ok(dead)
}

/// Hands back this worker's running jobs (graceful shutdown): their attempt is not counted.
pub async fn release(db: &impl ConnectionTrait, worker: &str) -> anyhow::Result<u64> {
    let result = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value("queued"))
        .col_expr(job::Column::Attempts, Expr::col(job::Column::Attempts).sub(1))
        .col_expr(job::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(job::Column::UpdatedAt, Expr::value(now()))
        .filter(job::Column::LockedBy.eq(worker))
        .filter(job::Column::Status.eq("running"))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Returns jobs whose lease expired (their worker died) to the queue, or to `dead` when that was
/// their last attempt. Returns how many were recovered.
pub async fn sweep_expired(db: &impl ConnectionTrait) -> anyhow::Result<u64> {
    let at = now();
    let dead = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value("dead"))
        .col_expr(job::Column::LastError, Expr::value("worker stopped during the last attempt (lease expired)"))
        .col_expr(job::Column::FinishedAt, Expr::value(Some(at)))
        .col_expr(job::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(job::Column::UpdatedAt, Expr::value(at))
        .filter(job::Column::Status.eq("running"))
        .filter(job::Column::LockedUntil.lt(at))
        .filter(Expr::col(job::Column::Attempts).gte(Expr::col(job::Column::MaxAttempts)))
        .exec(db)
        .await?;
    let requeued = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value("queued"))
        .col_expr(job::Column::LastError, Expr::value("worker stopped during the attempt (lease expired)"))
        .col_expr(job::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(job::Column::UpdatedAt, Expr::value(at))
        .filter(job::Column::Status.eq("running"))
        .filter(job::Column::LockedUntil.lt(at))
        .exec(db)
        .await?;
    Ok(dead.rows_affected + requeued.rows_affected)
}

/// Puts dead jobs back in the queue with a fresh set of attempts (`ids` empty: all dead jobs).
pub async fn retry_dead(db: &impl ConnectionTrait, ids: &[Uuid]) -> anyhow::Result<u64> {
    let at = now();
    let mut update = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value("queued"))
        .col_expr(job::Column::Attempts, Expr::value(0))
        .col_expr(job::Column::RunAt, Expr::value(at))
        .col_expr(job::Column::FinishedAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(job::Column::UpdatedAt, Expr::value(at))
        .filter(job::Column::Status.eq("dead"));
    if !ids.is_empty() {
        update = update.filter(job::Column::Id.is_in(ids.iter().copied()));
    }
    Ok(update.exec(db).await?.rows_affected)
}

/// Deletes done jobs finished before `before`.
pub async fn purge_done(db: &impl ConnectionTrait, before: DateTime<Utc>) -> anyhow::Result<u64> {
    let result = job::Entity::delete_many()
        .filter(job::Column::Status.eq("done"))
        .filter(job::Column::FinishedAt.lt(before))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Jobs per queue and status, for `/metrics` and the jobs page.
pub async fn depth(db: &impl ConnectionTrait) -> anyhow::Result<Vec<(String, String, i64)>> {
    use sea_orm::QuerySelect;
    Ok(job::Entity::find()
        .select_only()
        .column(job::Column::Queue)
        .column(job::Column::Status)
        .column_as(job::Column::Id.count(), "n")
        .filter(job::Column::Status.ne("done"))
        .group_by(job::Column::Queue)
        .group_by(job::Column::Status)
        .into_tuple()
        .all(db)
        .await?)
}

/// How many jobs are queued or running (used by benchmarks and tests to wait for a drain).
pub async fn pending(db: &impl ConnectionTrait) -> anyhow::Result<u64> {
    Ok(job::Entity::find().filter(job::Column::Status.is_in(["queued", "running"])).count(db).await?)
}
