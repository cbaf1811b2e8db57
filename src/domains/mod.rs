//! Business modules, one folder each.

pub mod accounts;
pub mod analytics;
pub mod audit;
pub mod complaints;
pub mod integrations;
pub mod journeys;
pub mod notifications;
pub mod organizations;
pub mod surveys;
