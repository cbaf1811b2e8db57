//! Analytics: KPIs, the command center and physician ratings (spec §14, §15). So far the pure
//! formulas; the rollups, pages and exports come with the command-center issue.

pub mod rules;
