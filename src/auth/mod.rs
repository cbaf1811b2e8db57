//! Authentication (JWT, page sessions, passwords), roles and the one permission check.

pub mod actor;
pub mod jwt;
pub mod password;
pub mod roles;
pub mod session;
pub mod throttle;
pub mod tokens;

pub use actor::{Actor, ApiActor, HospitalScope, RequestMeta};
pub use roles::{Permission, Role};
pub use session::{CsrfForm, PageActor};
