//! The audit log page: filters by action, resource and dates; newest first.

use askama::Template;
use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;

use super::api::{AuditEventView, list_events};
use crate::app::AppState;
use crate::auth::PageActor;
use crate::crud::ListQuery;
use crate::web::{Chrome, PageResult, render};

#[derive(Template)]
#[template(path = "audit/list.html")]
pub struct AuditPage {
    pub chrome: Chrome,
    pub rows: Vec<AuditEventView>,
    pub count: u64,
    pub action: String,
    pub resource_type: String,
    pub date_from: String,
    pub date_to: String,
    pub search: String,
    pub next: Option<String>,
    pub previous: Option<String>,
}

pub async fn audit_log(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    let query = ListQuery::from_query(uri.path(), uri.query());
    let result = list_events(&state, &page.actor, &query).await?;
    let chrome = Chrome::new(&state, &page, uri.path(), "nav-audit").await?;
    let get = |k: &str| query.filter(k).unwrap_or_default().to_owned();
    render(
        StatusCode::OK,
        &AuditPage {
            action: get("action"),
            resource_type: get("resource_type"),
            date_from: get("date_from"),
            date_to: get("date_to"),
            search: query.params.search.clone().unwrap_or_default(),
            chrome,
            count: result.count,
            rows: result.results,
            next: result.next,
            previous: result.previous,
        },
    )
}
