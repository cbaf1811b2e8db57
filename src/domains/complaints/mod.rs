//! Complaints and the PX Action Center: the working calendar, SLA rules, status workflows and
//! reference numbers (pure, clock passed in), and the tables' entities.

pub mod calendar;
pub mod model;
pub mod settings;
pub mod sla;
pub mod workflow;
