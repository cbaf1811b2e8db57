//! Kiosk QR codes: a department's anonymous survey link, its QR code, admin page and API.

use axum::Router;
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}

pub fn page_routes() -> Router<AppState> {
    Router::new()
}
