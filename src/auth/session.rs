//! Cookie sessions for the pages: an HttpOnly, SameSite=Lax cookie holding a random token whose
//! hash is the session row's key; the row carries the CSRF token and a PX admin's working hospital.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::actor::{Actor, RequestMeta};
use super::roles::Role;
use super::tokens::{hash_token, random_token, secure_eq};
use crate::app::AppState;
use crate::domains::accounts::model::{session, user};
use crate::error::{AppError, AppResult};

pub const COOKIE: &str = "px360_session";
pub const LANG_COOKIE: &str = "px360_lang";

pub struct Found {
    pub session: session::Model,
    pub user: user::Model,
}

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The language chosen before login (a cookie), if any.
pub fn cookie_language(headers: &HeaderMap) -> Option<&str> {
    cookie_value(headers, LANG_COOKIE).filter(|l| matches!(*l, "en" | "ar"))
}

/// The live session named by the request's cookie, with its active user.
pub async fn from_headers(state: &AppState, headers: &HeaderMap) -> AppResult<Option<Found>> {
    let Some(token) = cookie_value(headers, COOKIE) else { return Ok(None) };
    let Some(row) = session::Entity::find()
        .filter(session::Column::TokenHash.eq(hash_token(token)))
        .filter(session::Column::ExpiresAt.gt(Utc::now()))
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    let user = crate::domains::accounts::service::active_user(&state.db, row.user_id).await?;
    Ok(user.map(|user| Found { session: row, user }))
}

/// Starts a session; returns the `Set-Cookie` value.
pub async fn start(state: &AppState, user: &user::Model, meta: &RequestMeta) -> AppResult<String> {
    let token = random_token();
    let now = Utc::now();
    session::ActiveModel {
        id: Set(Uuid::now_v7()),
        token_hash: Set(hash_token(&token)),
        user_id: Set(user.id),
        csrf_token: Set(random_token()),
        selected_hospital_id: Set(user.hospital_id),
        ip: Set(meta.ip.clone()),
        user_agent: Set(meta.user_agent.clone()),
        expires_at: Set(now + Duration::hours(state.config.session_hours)),
        created_at: Set(now),
    }
    .insert(&state.db)
    .await?;
    Ok(session_cookie(state, token, state.config.session_hours * 3600))
}

fn session_cookie(state: &AppState, value: String, max_age_secs: i64) -> String {
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    format!("{COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
}

/// Ends the session; returns the `Set-Cookie` value that clears the cookie.
pub async fn end(state: &AppState, session_id: Uuid) -> AppResult<String> {
    session::Entity::delete_by_id(session_id).exec(&state.db).await?;
    Ok(session_cookie(state, String::new(), 0))
}

/// Ends every session of a user (password change, deactivation).
pub async fn end_all_for_user(db: &sea_orm::DatabaseConnection, user_id: Uuid) -> AppResult<()> {
    session::Entity::delete_many().filter(session::Column::UserId.eq(user_id)).exec(db).await?;
    Ok(())
}

/// A logged-in page visitor. Without a session the page redirects to the login form.
#[derive(Clone)]
pub struct PageActor {
    pub actor: Actor,
    pub session: session::Model,
}

impl FromRequestParts<AppState> for PageActor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let meta = RequestMeta::from_request_parts(parts, state).await.unwrap_or_default();
        let found = from_headers(state, &parts.headers).await.map_err(IntoResponse::into_response)?;
        let Some(found) = found else {
            let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let target = format!("/login/?next={}", urlencode(next));
            return Err(Redirect::to(&target).into_response());
        };
        let mut actor = Actor::from_user(state, &found.user, meta).await.map_err(IntoResponse::into_response)?;
        if actor.role == Role::PxAdmin {
            actor.selected_hospital = found.session.selected_hospital_id;
        }
        let page = PageActor { actor, session: found.session };
        parts.extensions.insert(page.clone());
        Ok(page)
    }
}

pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).unwrap_or_default().trim_start_matches('=').to_owned()
}

/// A submitted form whose `csrf_token` matched the session's. Put it after [`PageActor`] in a
/// handler's arguments (the actor's extraction stores the session this checks against).
pub struct CsrfForm(pub Vec<(String, String)>);

impl CsrfForm {
    /// The trimmed value of a field ("" when absent).
    pub fn get(&self, name: &str) -> String {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).unwrap_or_default()
    }
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

impl FromRequest<AppState> for CsrfForm {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let expected = req.extensions().get::<PageActor>().map(|p| p.session.csrf_token.clone());
        let content_type =
            req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        if !content_type.starts_with("application/x-www-form-urlencoded") {
            return Err(AppError::UnsupportedMediaType(content_type));
        }
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|_| AppError::PayloadTooLarge)?;
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| crate::error::invalid("non_field_errors", "Malformed form body."))?;
        let sent = fields.iter().find(|(k, _)| k == "csrf_token").map(|(_, v)| v.as_str()).unwrap_or_default();
        match expected {
            Some(expected) if secure_eq(sent, &expected) => Ok(CsrfForm(fields)),
            _ => Err(AppError::Forbidden("CSRF Failed: CSRF token missing or incorrect.".into())),
        }
    }
}
