//! HTTP plumbing shared by every module: the JSON extractor, pagination, field checks, the CRUD
//! handler macro and OpenAPI pieces.

pub mod crud_api;
pub mod export;
pub mod json;
pub mod openapi;
pub mod pagination;
pub mod path;
pub mod pdf;
pub mod validate;

pub use json::ApiJson;
pub use pagination::{ListParams, Page};
pub use path::{IdPath, parse_id};
