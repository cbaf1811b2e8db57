//! The one error type at the HTTP edge. Every case has a status and a stable snake_case code;
//! bodies follow the Django REST Framework shapes the original API used:
//! validation `{"field": ["message"], "non_field_errors": [...]}`, others `{"detail", "code"}`.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub type AppResult<T> = Result<T, AppError>;

/// Field → messages, as DRF reports them. `non_field_errors` is an ordinary key here.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct FieldErrors(pub BTreeMap<String, Vec<String>>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.entry(field.to_owned()).or_default().push(message.into());
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).and_then(|m| m.first()).map(String::as_str)
    }
    /// `Ok(())` when nothing was added, else the errors as a 400.
    pub fn into_result(self) -> AppResult<()> {
        if self.is_empty() { Ok(()) } else { Err(AppError::Validation(self)) }
    }
    /// The value of `result`, or `None` with a validation error's fields added here (so every
    /// bad field is reported at once); any other error is returned.
    pub fn collect<T>(&mut self, result: AppResult<T>) -> AppResult<Option<T>> {
        match result {
            Ok(v) => Ok(Some(v)),
            Err(AppError::Validation(e)) => {
                for (field, messages) in e.0 {
                    for m in messages {
                        self.add(&field, m);
                    }
                }
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("validation failed")]
    Validation(FieldErrors),
    #[error("authentication required: {1}")]
    Unauthorized(&'static str, String),
    #[error("permission denied")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("conflict: {1}")]
    Conflict(&'static str, String),
    #[error("unprocessable: {1}")]
    Unprocessable(&'static str, String),
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType(String),
    #[error("too many requests")]
    RateLimited,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// A 400 on one field.
pub fn invalid(field: &str, message: impl Into<String>) -> AppError {
    let mut errors = FieldErrors::new();
    errors.add(field, message);
    AppError::Validation(errors)
}

pub fn not_found(what: &'static str) -> AppError {
    AppError::NotFound(what)
}

pub fn forbidden() -> AppError {
    AppError::Forbidden("You do not have permission to perform this action.".into())
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        AppError::Unexpected(err.into())
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Validation(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(..) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(..) => StatusCode::CONFLICT,
            AppError::Unprocessable(..) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "invalid",
            AppError::Unauthorized(code, _) => code,
            AppError::Forbidden(_) => "permission_denied",
            AppError::NotFound(_) => "not_found",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::Conflict(code, _) | AppError::Unprocessable(code, _) => code,
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::RateLimited => "throttled",
            AppError::Unexpected(_) => "server_error",
        }
    }

    pub fn detail(&self) -> String {
        match self {
            AppError::Validation(_) => "Invalid input.".into(),
            AppError::Unauthorized(_, msg)
            | AppError::Forbidden(msg)
            | AppError::Conflict(_, msg)
            | AppError::Unprocessable(_, msg) => msg.clone(),
            AppError::NotFound(what) => format!("No {what} matches the given query."),
            AppError::MethodNotAllowed => "Method not allowed.".into(),
            AppError::PayloadTooLarge => "Request body is too large.".into(),
            AppError::UnsupportedMediaType(ct) => format!("Unsupported media type \"{ct}\" in request."),
            AppError::RateLimited => "Request was throttled.".into(),
            AppError::Unexpected(_) => "A server error occurred.".into(),
        }
    }

    pub fn body(&self) -> serde_json::Value {
        match self {
            AppError::Validation(errors) => json!(errors.0),
            other => json!({"detail": other.detail(), "code": other.code()}),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Unexpected(cause) = &self {
            // Logged once, here, inside the request span (which carries the request id).
            tracing::error!(error = ?cause, "internal error");
        }
        let mut response = (self.status(), axum::Json(self.body())).into_response();
        if matches!(self, AppError::Unauthorized(..)) {
            response.headers_mut().insert("www-authenticate", axum::http::HeaderValue::from_static("Bearer"));
        }
        response
    }
}
