//! The survey builder pages: templates list, the one-screen builder, bilingual preview.

use axum::Router;

use crate::app::AppState;

pub fn page_routes() -> Router<AppState> {
    Router::new()
}
