//! `ApiJson<T>`: the JSON body extractor of every API write. Wrong content type → 415, malformed
//! JSON → 400 `non_field_errors`, a wrong type or an unknown field → 400 naming the field.
//! Input structs use `#[serde(deny_unknown_fields)]` and `Option` fields; `validate` then reports
//! every missing or bad field at once, DRF style.

use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use crate::error::{AppError, FieldErrors};

pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type =
            req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if mime != "application/json" && !mime.ends_with("+json") {
            return Err(AppError::UnsupportedMediaType(content_type));
        }
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|_| AppError::PayloadTooLarge)?;
        parse(&bytes).map(ApiJson)
    }
}

/// Parses a JSON document into `T` with DRF-shaped errors.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        let mut errors = FieldErrors::new();
        errors.add("non_field_errors", format!("JSON parse error - {e}"));
        AppError::Validation(errors)
    })?;
    if !value.is_object() {
        let mut errors = FieldErrors::new();
        errors.add("non_field_errors", "Invalid data. Expected a dictionary (JSON object).");
        return Err(AppError::Validation(errors));
    }
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner().to_string();
        let mut errors = FieldErrors::new();
        if let Some(field) = between_backticks(&inner).filter(|_| inner.starts_with("unknown field")) {
            errors.add(field, "Unknown field.");
        } else if let Some(field) = between_backticks(&inner).filter(|_| inner.starts_with("missing field")) {
            errors.add(field, "This field is required.");
        } else {
            let field = if path == "." || path.is_empty() { "non_field_errors" } else { path.as_str() };
            let message = inner.split(" at line ").next().unwrap_or(&inner);
            errors.add(field, format!("Invalid value: {message}."));
        }
        AppError::Validation(errors)
    })
}

fn between_backticks(s: &str) -> Option<&str> {
    let start = s.find('`')? + 1;
    let len = s[start..].find('`')?;
    Some(&s[start..start + len])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "fields are only deserialised")]
    struct Input {
        name: Option<String>,
        count: Option<i32>,
    }

    fn field_of(err: AppError) -> String {
        match err {
            AppError::Validation(e) => e.0.keys().next().cloned().unwrap_or_default(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn names_the_field_of_a_type_error_or_unknown_field() {
        assert_eq!(field_of(parse::<Input>(br#"{"count":"x"}"#).unwrap_err()), "count");
        assert_eq!(field_of(parse::<Input>(br#"{"other":1}"#).unwrap_err()), "other");
        assert_eq!(field_of(parse::<Input>(b"{nope").unwrap_err()), "non_field_errors");
        assert_eq!(field_of(parse::<Input>(b"[1]").unwrap_err()), "non_field_errors");
        assert!(parse::<Input>(br#"{"name":"a"}"#).is_ok());
    }
}
