//! Patient journeys: templates with ordered stages, instances filled by integration events.

pub mod model;
pub mod processing;
