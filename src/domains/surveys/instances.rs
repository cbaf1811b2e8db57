//! Survey instances for staff: list with filters, detail with answers, manual and bulk sending, cancel, contact log, follow-up (service and JSON API).

use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
