//! Business modules, one folder each.

pub mod accounts;
pub mod audit;
pub mod notifications;
pub mod organizations;
