//! Integrations: API keys of hospital systems and the inbound events they post.

pub mod api;
pub mod api_keys;
pub mod events;
pub mod his;
pub mod model;
pub mod pages;
