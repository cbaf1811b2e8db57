//! Survey templates and their draft questions: the service and JSON API of the builder (create, edit, reorder, publish, preview).

use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
