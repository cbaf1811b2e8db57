//! `IdPath`: the `{id}` segment of an API path. A malformed id is a 404 like an unknown one (as
//! DRF's `<uuid:pk>` routes answer), never axum's plain-text 400.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use uuid::Uuid;

use crate::error::AppError;

pub struct IdPath(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) =
            Path::<String>::from_request_parts(parts, state).await.map_err(|_| AppError::NotFound("resource"))?;
        Uuid::parse_str(&raw).map(IdPath).map_err(|_| AppError::NotFound("resource"))
    }
}
