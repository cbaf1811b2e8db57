//! Integrations: API keys of hospital systems and the inbound events they post.

pub mod api;
pub mod api_keys;
pub mod events;
pub mod his;
pub mod his_pages;
pub mod model;
pub mod pages;
pub mod ratelimit;
pub mod simulator;
pub mod type_map;
