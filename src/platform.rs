//! Platform endpoints: `/health/`, `/health/live`, `/metrics`, and process heartbeats.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sea_orm::{ConnectionTrait, EntityTrait, Set, sea_query::OnConflict};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppState;

/// The process-wide Prometheus recorder (installed once, shared by every app in a test run).
pub fn metrics_handle() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE.get_or_init(|| PrometheusBuilder::new().install_recorder().ok()).clone()
}

/// Counts requests and their latency by route template (never by raw path: ids would explode
/// the label set).
pub async fn track_requests(matched: Option<MatchedPath>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = matched.map(|m| m.as_str().to_owned()).unwrap_or_else(|| "unmatched".into());
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(start.elapsed().as_secs_f64());
    response
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    // Queue depth is read at scrape time: the database is the source of truth.
    if let Ok(depth) = crate::jobs::queue::depth(&state.db).await {
        for queue in crate::jobs::Queue::ALL {
            for status in ["queued", "running", "dead"] {
                let n = depth.iter().find(|(q, s, _)| q == queue.as_str() && s == status).map_or(0, |(_, _, n)| *n);
                metrics::gauge!("jobs_in_queue", "queue" => queue.as_str(), "status" => status).set(n as f64);
            }
        }
    }
    match &state.metrics {
        Some(handle) => ([("content-type", "text/plain; version=0.0.4")], handle.render()).into_response(),
        None => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

pub mod heartbeat {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "heartbeats")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub role: String,
        pub instance: String,
        pub beat_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

/// Records that a `worker` or `scheduler` process is alive.
pub async fn beat(db: &impl ConnectionTrait, role: &str, instance: &str) -> anyhow::Result<()> {
    let row = heartbeat::ActiveModel {
        role: Set(role.to_owned()),
        instance: Set(instance.to_owned()),
        beat_at: Set(crate::domains::organizations::service::now()),
    };
    heartbeat::Entity::insert(row)
        .on_conflict(
            OnConflict::column(heartbeat::Column::Role)
                .update_columns([heartbeat::Column::Instance, heartbeat::Column::BeatAt])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

#[derive(Serialize, ToSchema)]
pub struct Services {
    pub database: String,
    /// The job workers: "ok" while one has beaten recently.
    pub queue: String,
    pub scheduler: String,
    /// Present when Redis is configured (wake-ups and cross-process limits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `degraded`.
    pub status: String,
    pub services: Services,
}

/// Readiness: 200 when the database answers and a worker and a scheduler are alive, else 503.
#[utoipa::path(get, path = "/health/", tag = "Platform", security(()), responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let db = match tokio::time::timeout(Duration::from_secs(3), state.db.execute_unprepared("SELECT 1")).await {
        Ok(Ok(_)) => "ok".to_owned(),
        Ok(Err(_)) => "error: DatabaseError".to_owned(),
        Err(_) => "error: Timeout".to_owned(),
    };
    let (mut queue, mut scheduler) = ("error: Unknown".to_owned(), "error: Unknown".to_owned());
    if db == "ok" {
        let stale = chrono::Utc::now() - chrono::Duration::seconds(state.config.heartbeat_stale_seconds);
        let beats = heartbeat::Entity::find().all(&state.db).await.unwrap_or_default();
        let status_of = |role: &str| match beats.iter().find(|b| b.role == role) {
            Some(b) if b.beat_at > stale => "ok".to_owned(),
            Some(_) => "error: Stale".to_owned(),
            None => "error: NotRunning".to_owned(),
        };
        queue = status_of("worker");
        scheduler = status_of("scheduler");
    }
    let redis =
        state.waker.ping().await.map(|ok| if ok { "ok".to_owned() } else { "error: ConnectionError".to_owned() });
    let healthy = db == "ok" && queue == "ok" && scheduler == "ok" && redis.as_deref().is_none_or(|r| r == "ok");
    let status = if healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (
        status,
        Json(Health {
            status: if healthy { "ok" } else { "degraded" }.into(),
            services: Services { database: db, queue, scheduler, redis },
        }),
    )
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/health/live", tag = "Platform", security(()), responses((status = 200)))]
pub async fn live() -> &'static str {
    "ok"
}
