//! Patient journeys: templates with ordered stages, instances filled by integration events.

pub mod api;
pub mod instances;
pub mod model;
pub mod pages;
pub mod processing;
pub mod stages;
pub mod templates;
