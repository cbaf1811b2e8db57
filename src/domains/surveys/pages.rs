//! Staff survey pages: the instances list, a survey's detail, sending, exports.

use axum::Router;

use crate::app::AppState;

pub fn page_routes() -> Router<AppState> {
    Router::new()
}
