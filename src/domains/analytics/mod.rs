//! Analytics: KPIs, the command center and physician ratings (spec §14, §15). So far the pure
//! formulas and the physician monthly ratings with their daily job; the KPI rollups, the command
//! center, pages and exports come next.

pub mod model;
pub mod physicians;
pub mod rules;
