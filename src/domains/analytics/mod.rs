//! Analytics (spec §14, §15): the daily rollups and the command center read from them, KPI
//! definitions with their monthly values, physician monthly ratings and the leaderboard.

pub mod command_center;
pub mod kpi_pages;
pub mod kpis;
pub mod model;
pub mod pages;
pub mod physician_pages;
pub mod physicians;
pub mod report;
pub mod rollup;
pub mod rules;

use axum::Router;
use sea_orm::{EntityTrait, QueryOrder};
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;

pub fn api_routes() -> OpenApiRouter<AppState> {
    pages::api_routes().merge(kpi_pages::api_routes()).merge(physician_pages::api_routes())
}

pub fn page_routes() -> Router<AppState> {
    pages::page_routes().merge(kpi_pages::page_routes()).merge(physician_pages::page_routes())
}

/// Brings every analytics table up to date from the raw rows: the daily rollups from the oldest
/// row, the physician ratings and KPI values of every month since then. For a database filled in
/// bulk (`px360 admin seed-volume`, an import); the jobs keep it current afterwards.
///
/// `progress(step, done, total)` reports the work as it goes: `"rollups"` in hospital-days,
/// then `"months"` (physician ratings and KPIs) in months.
pub async fn rebuild_all(
    state: &AppState,
    now: chrono::DateTime<chrono::Utc>,
    progress: &mut (dyn FnMut(&'static str, usize, usize) + Send),
) -> anyhow::Result<()> {
    let db = &state.db;
    rollup::rebuild_all(db, now, &mut |done, total| progress("rollups", done, total)).await?;
    let oldest = model::analytics_daily::Entity::find()
        .order_by_asc(model::analytics_daily::Column::Day)
        .one(db)
        .await?
        .and_then(|r| chrono::NaiveDate::parse_from_str(&r.day, "%Y-%m-%d").ok())
        .map(rollup::day_start);
    if let Some(oldest) = oldest {
        let months = kpis::months_since(oldest, now);
        for (i, &(year, month)) in months.iter().enumerate() {
            physicians::compute_month(db, year, month, now).await?;
            kpis::compute_month(db, year, month, now, false).await?;
            progress("months", i + 1, months.len());
        }
    }
    Ok(())
}
