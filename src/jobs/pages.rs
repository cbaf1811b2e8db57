//! The jobs admin (PX admins): queue depth by status, dead jobs with their errors and a retry
//! button, and the schedules with last and next run. Also the JSON API of the same.

use askama::Template;
use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use sea_orm::{ColumnTrait, EntityTrait, Order, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::job;
use super::scheduler::ScheduleView;
use crate::app::AppState;
use crate::auth::{Actor, ApiActor, CsrfForm, PageActor, Permission};
use crate::crud::ListQuery;
use crate::error::{AppResult, not_found};
use crate::http::openapi::ErrorBody;
use crate::http::{ListParams, Page, pagination};
use crate::web::{Chrome, PageResult, render};

#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    pub id: Uuid,
    pub queue: String,
    pub kind: String,
    pub status: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: chrono::DateTime<chrono::Utc>,
    pub last_error: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<job::Model> for JobView {
    fn from(m: job::Model) -> Self {
        JobView {
            id: m.id,
            queue: m.queue,
            kind: m.kind,
            status: m.status,
            attempts: m.attempts,
            max_attempts: m.max_attempts,
            run_at: m.run_at,
            last_error: m.last_error,
            created_at: m.created_at,
            finished_at: m.finished_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueDepth {
    pub queue: String,
    pub status: String,
    pub count: i64,
}

/// Jobs filtered by `status`, `queue` and `kind`, newest first.
pub async fn list_jobs(state: &AppState, actor: &Actor, query: &ListQuery) -> AppResult<Page<JobView>> {
    actor.require(state, Permission::ManageSystem).await?;
    let mut select = job::Entity::find();
    for (name, column) in [("status", job::Column::Status), ("queue", job::Column::Queue), ("kind", job::Column::Kind)]
    {
        if let Some(v) = query.filter(name) {
            select = select.filter(column.eq(v));
        }
    }
    select = pagination::search(select, &query.params, &[job::Column::Kind, job::Column::LastError]);
    let allowed = [("created_at", job::Column::CreatedAt), ("run_at", job::Column::RunAt)];
    select = pagination::order(select, &query.params, &allowed, (job::Column::CreatedAt, Order::Desc))?;
    Ok(pagination::fetch(&state.db, select, &query.params, &query.path).await?.map(Into::into))
}

/// Re-queues one dead job with fresh attempts.
pub async fn retry_job(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<JobView> {
    actor.require(state, Permission::ManageSystem).await?;
    let found = job::Entity::find_by_id(id).one(&state.db).await?.ok_or(not_found("job"))?;
    if found.status != "dead" {
        return Err(crate::error::AppError::Conflict("not_dead", "Only dead jobs can be retried.".into()));
    }
    super::queue::retry_dead(&state.db, &[id]).await?;
    crate::domains::audit::service::record(
        &state.db,
        actor,
        crate::domains::audit::service::Entry::new("job_retried", "job", id),
    )
    .await?;
    if let Some(q) = super::Queue::parse(&found.queue) {
        state.waker.wake(q);
    }
    let fresh = job::Entity::find_by_id(id).one(&state.db).await?.ok_or(not_found("job"))?;
    Ok(fresh.into())
}

/// Jobs, newest first (PX admins). Filters: `status` (queued, running, done, dead), `queue`, `kind`.
#[utoipa::path(get, path = "/api/admin/jobs/", tag = "Jobs",
    params(ListParams, ("status" = Option<String>, Query), ("queue" = Option<String>, Query), ("kind" = Option<String>, Query)),
    responses((status = 200, body = Page<JobView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn api_list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    uri: OriginalUri,
) -> AppResult<Json<Page<JobView>>> {
    let query = ListQuery::from_query(uri.path(), uri.query());
    Ok(Json(list_jobs(&state, &actor, &query).await?))
}

/// Re-runs a dead job.
#[utoipa::path(post, path = "/api/admin/jobs/{id}/retry/", tag = "Jobs", params(("id" = Uuid, Path)),
    responses((status = 200, body = JobView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn api_retry(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    crate::http::IdPath(id): crate::http::IdPath,
) -> AppResult<Json<JobView>> {
    Ok(Json(retry_job(&state, &actor, id).await?))
}

/// The cron table with each schedule's last and next run and the outcome of its last job.
#[utoipa::path(get, path = "/api/admin/schedules/", tag = "Jobs",
    responses((status = 200, body = Vec<ScheduleView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn api_schedules(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> AppResult<Json<Vec<ScheduleView>>> {
    actor.require(&state, Permission::ManageSystem).await?;
    Ok(Json(super::scheduler::overview(&state).await?))
}

#[derive(Template)]
#[template(path = "jobs/index.html")]
struct JobsPage {
    chrome: Chrome,
    depth: Vec<QueueDepth>,
    jobs: Vec<JobView>,
    count: u64,
    status: String,
    schedules: Vec<ScheduleView>,
    next: Option<String>,
    previous: Option<String>,
}

pub async fn jobs_page(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    let mut query = ListQuery::from_query(uri.path(), uri.query());
    if query.filter("status").is_none() {
        query.filters.insert("status".into(), "dead".into());
    }
    let jobs = list_jobs(&state, &page.actor, &query).await?;
    let depth = super::queue::depth(&state.db)
        .await?
        .into_iter()
        .map(|(queue, status, count)| QueueDepth { queue, status, count })
        .collect();
    let chrome = Chrome::new(&state, &page, uri.path(), "nav-jobs").await?;
    render(
        StatusCode::OK,
        &JobsPage {
            chrome,
            depth,
            count: jobs.count,
            status: query.filter("status").unwrap_or_default().to_owned(),
            jobs: jobs.results,
            next: jobs.next,
            previous: jobs.previous,
            schedules: super::scheduler::overview(&state).await?,
        },
    )
}

pub async fn retry_page(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<Uuid>,
    _form: CsrfForm,
) -> PageResult {
    retry_job(&state, &page.actor, id).await?;
    Ok(Redirect::to("/admin/jobs/").into_response())
}
