//! Surveys: bilingual templates with versioned questions, delivery with fallback and reminders,
//! the patient's page, scoring and the closed loop to PX Actions (spec §6).

use axum::Router;
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;

pub mod builder_pages;
pub mod delivery;
pub mod instances;
pub mod kiosks;
pub mod model;
pub mod pages;
pub mod public;
pub mod respond;
pub mod results;
pub mod rules;
pub mod templates;
pub mod versions;

/// Every survey API route (each sub-module registers its own).
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(templates::api_routes())
        .merge(instances::api_routes())
        .merge(results::api_routes())
        .merge(kiosks::api_routes())
}

/// Every survey page: staff pages, the builder, the patient's page and kiosks.
pub fn page_routes() -> Router<AppState> {
    Router::new()
        .merge(builder_pages::page_routes())
        .merge(pages::page_routes())
        .merge(results::page_routes())
        .merge(public::page_routes())
        .merge(kiosks::page_routes())
}
