//! `IdPath`: the `{id}` segment of an API path. A malformed id is a 404 like an unknown one (as
//! DRF's `<uuid:pk>` routes answer), never axum's plain-text 400.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use uuid::Uuid;

use crate::error::AppError;

pub struct IdPath(pub Uuid);

/// A path segment that must be an id; anything but a UUID is the same 404 as an unknown `what`.
pub fn parse_id(raw: &str, what: &'static str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw).map_err(|_| AppError::NotFound(what))
}

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) =
            Path::<String>::from_request_parts(parts, state).await.map_err(|_| AppError::NotFound("resource"))?;
        parse_id(&raw, "resource").map(IdPath)
    }
}
