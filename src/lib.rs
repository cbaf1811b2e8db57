//! PX360: patient-experience management for hospital groups.

pub mod app;
pub mod auth;
pub mod bench;
pub mod bench_analytics;
pub mod bench_sla;
pub mod cache;
pub mod cli;
pub mod config;
pub mod crud;
pub mod db;
pub mod domains;
pub mod error;
pub mod http;
pub mod i18n;
pub mod jobs;
pub mod platform;
pub mod router;
pub mod seed;
pub mod server;
pub mod telemetry;
pub mod web;
