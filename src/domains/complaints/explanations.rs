//! (being written)

use axum::Router;
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}

pub fn page_routes() -> Router<AppState> {
    Router::new()
}

pub async fn escalate_due(_state: &AppState, _at: chrono::DateTime<chrono::Utc>) -> anyhow::Result<u64> {
    Ok(0)
}
