//! Notifications: one message row per send, delivered by a job through the channel's provider.

pub mod config;
pub mod service;
