//! Per-template results: response rate, score distribution, NPS, question by question (service, API and page).

use axum::Router;
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}

pub fn page_routes() -> Router<AppState> {
    Router::new()
}
