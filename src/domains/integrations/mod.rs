//! Integrations: API keys of hospital systems and the inbound events they post.

pub mod api;
pub mod events;
pub mod model;
