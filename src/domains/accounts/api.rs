//! `/api/auth/…`: tokens, rotation, logout, password change and the current user.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::users::{UserView, Users};
use crate::app::AppState;
use crate::auth::{ApiActor, RequestMeta};
use crate::error::{AppResult, FieldErrors};
use crate::http::ApiJson;
use crate::http::openapi::ErrorBody;

crate::crud_api!(
    users_api,
    Users,
    UserView,
    crate::domains::accounts::users::UserInput,
    "/api/accounts/users/",
    "/api/accounts/users/{id}/",
    "Accounts"
);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// Login by email…
    pub email: Option<String>,
    /// …or by username (the bench tool and the Django original send `username`).
    pub username: Option<String>,
    pub password: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPairView {
    pub access: String,
    pub refresh: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub old_password: Option<String>,
    pub new_password: Option<String>,
}

fn required(errors: &mut FieldErrors, field: &str, value: &Option<String>) -> String {
    match value.as_deref() {
        Some(v) if !v.is_empty() => v.to_owned(),
        Some(_) => {
            errors.add(field, "This field may not be blank.");
            String::new()
        }
        None => {
            errors.add(field, "This field is required.");
            String::new()
        }
    }
}

/// Exchanges credentials for an access and a refresh token.
#[utoipa::path(post, path = "/api/auth/token/", tag = "Auth", request_body = TokenRequest, security(()),
    responses((status = 200, body = TokenPairView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn obtain_token(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<TokenRequest>,
) -> AppResult<Json<TokenPairView>> {
    let mut errors = FieldErrors::new();
    let login = match (&body.email, &body.username) {
        (Some(e), _) if !e.trim().is_empty() => e.clone(),
        (_, Some(u)) if !u.trim().is_empty() => u.clone(),
        _ => {
            errors.add("email", "This field is required.");
            String::new()
        }
    };
    let password = required(&mut errors, "password", &body.password);
    errors.into_result()?;
    let user = super::service::authenticate(&state, &login, &password, &meta).await?;
    let pair = super::service::issue_tokens(&state, &user).await?;
    Ok(Json(TokenPairView { access: pair.access, refresh: pair.refresh }))
}

/// Rotates a refresh token: the old one stops working; reusing it revokes the whole chain.
#[utoipa::path(post, path = "/api/auth/token/refresh/", tag = "Auth", request_body = RefreshRequest, security(()),
    responses((status = 200, body = TokenPairView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn refresh_token(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> AppResult<Json<TokenPairView>> {
    let mut errors = FieldErrors::new();
    let token = required(&mut errors, "refresh", &body.refresh);
    errors.into_result()?;
    let pair = super::service::refresh(&state, &token).await?;
    Ok(Json(TokenPairView { access: pair.access, refresh: pair.refresh }))
}

/// Revokes the given refresh token (and its rotations).
#[utoipa::path(post, path = "/api/auth/logout/", tag = "Auth", request_body = RefreshRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> AppResult<StatusCode> {
    let mut errors = FieldErrors::new();
    let token = required(&mut errors, "refresh", &body.refresh);
    errors.into_result()?;
    super::service::logout(&state, &actor, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes the caller's password; every refresh token of the user is revoked.
#[utoipa::path(post, path = "/api/auth/password/", tag = "Auth", request_body = PasswordChange,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<PasswordChange>,
) -> AppResult<StatusCode> {
    let mut errors = FieldErrors::new();
    let old = required(&mut errors, "old_password", &body.old_password);
    let new = required(&mut errors, "new_password", &body.new_password);
    errors.into_result()?;
    super::service::change_password(&state, &actor, &old, &new, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The authenticated user.
#[utoipa::path(get, path = "/api/auth/me/", tag = "Auth", responses((status = 200, body = UserView), (status = 401, body = ErrorBody)))]
pub async fn me(State(state): State<AppState>, ApiActor(actor): ApiActor) -> AppResult<Json<UserView>> {
    let id = actor.user_id.ok_or_else(crate::error::forbidden)?;
    let user = super::service::active_user(&state.db, id).await?.ok_or(crate::error::not_found("user"))?;
    Ok(Json(user.into()))
}
