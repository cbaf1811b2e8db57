//! Complaints and the PX Action Center: the working calendar, SLA rules, status workflows and
//! reference numbers (pure, clock passed in), the tables' entities, and the services, jobs, API
//! and pages built on them.

use axum::Router;
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;

pub mod action_pages;
pub mod actions;
pub mod api;
pub mod attachments;
pub mod calendar;
pub mod explanations;
pub mod filters;
pub mod model;
pub mod notify;
pub mod pages;
pub mod public;
pub mod service;
pub mod settings;
pub mod sla;
pub mod sla_admin;
pub mod sla_admin_pages;
pub mod sla_jobs;
pub mod taxonomy;
pub mod workflow;

/// Every complaints and actions API route (each sub-module registers its own).
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(api::api_routes())
        .merge(attachments::api_routes())
        .merge(explanations::api_routes())
        .merge(sla_admin::api_routes())
        .merge(taxonomy::api_routes())
}

/// Every complaints and actions page (work pages, admin pages, public pages).
pub fn page_routes() -> Router<AppState> {
    Router::new()
        .merge(pages::page_routes())
        .merge(attachments::page_routes())
        .merge(explanations::page_routes())
        .merge(public::page_routes())
        .merge(sla_admin::page_routes())
        .merge(taxonomy::page_routes())
}
