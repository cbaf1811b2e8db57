//! The tamper-evident audit log: who did what, when, from where.

pub mod api;
pub mod model;
pub mod pages;
pub mod service;
