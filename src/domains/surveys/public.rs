//! The patient's survey page /s/{token}/ (no login, phone first, both languages, works without JavaScript) and the kiosk entry /k/{code}/.

use axum::Router;

use crate::app::AppState;

pub fn page_routes() -> Router<AppState> {
    Router::new()
}
