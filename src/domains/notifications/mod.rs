//! Notifications: one message row per send, delivered by a job through the channel's provider,
//! with templates per language, opt-outs, quiet hours and a survey frequency cap.

pub mod api;
pub mod config;
pub mod model;
pub mod pages;
pub mod providers;
pub mod rules;
pub mod service;
pub mod templates;
pub mod webhooks;
