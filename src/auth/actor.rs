//! Who is acting: the authenticated user with role, hospital and data scope. Every service takes
//! an `&Actor`; jobs and the CLI use [`Actor::system`].

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Select};
use uuid::Uuid;

use super::roles::{Permission, Role};
use super::session;
use crate::app::AppState;
use crate::domains::accounts::model::user;
use crate::domains::organizations::model::department;
use crate::error::{AppError, AppResult, forbidden};

/// Where a request came from, recorded in the audit log.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: String,
    pub user_agent: String,
    pub request_id: String,
}

impl RequestMeta {
    /// `trust_forwarded_for`: take the client address from `X-Forwarded-For` (its last hop, the one
    /// our proxy added) — only behind a proxy that sets it, or any client could pick its address.
    pub fn from_headers(headers: &HeaderMap, peer: Option<std::net::SocketAddr>, trust_forwarded_for: bool) -> Self {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let forwarded = header("x-forwarded-for").split(',').next_back().unwrap_or_default().trim();
        let ip = if forwarded.is_empty() || !trust_forwarded_for {
            peer.map(|p| p.ip().to_string()).unwrap_or_default()
        } else {
            forwarded.to_owned()
        };
        Self {
            ip: ip.chars().take(64).collect(),
            user_agent: header("user-agent").chars().take(300).collect(),
            request_id: header("x-request-id").chars().take(64).collect(),
        }
    }
}

impl FromRequestParts<AppState> for RequestMeta {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0);
        Ok(RequestMeta::from_headers(&parts.headers, peer, state.config.trust_forwarded_for))
    }
}

/// Which hospitals' rows an actor may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HospitalScope {
    All,
    Only(Uuid),
}

#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub hospital_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    /// Own department plus the ones this user manages.
    pub department_ids: Vec<Uuid>,
    pub language: String,
    /// The hospital a PX admin chose to work in (pages), or asked for with `?hospital_id=` (API).
    pub selected_hospital: Option<Uuid>,
    pub meta: RequestMeta,
}

impl Actor {
    /// The actor jobs and the CLI act as: PX-admin rights, no user.
    pub fn system() -> Self {
        Actor {
            user_id: None,
            email: "system".into(),
            name: "System".into(),
            role: Role::PxAdmin,
            hospital_id: None,
            department_id: None,
            department_ids: vec![],
            language: "en".into(),
            selected_hospital: None,
            meta: RequestMeta::default(),
        }
    }

    pub async fn from_user(state: &AppState, user: &user::Model, meta: RequestMeta) -> AppResult<Self> {
        let role = Role::parse(&user.role).ok_or_else(|| anyhow::anyhow!("user {} has unknown role", user.id))?;
        let mut department_ids: Vec<Uuid> = department::Entity::find()
            .select_only()
            .column(department::Column::Id)
            .filter(department::Column::ManagerId.eq(user.id))
            .filter(department::Column::DeletedAt.is_null())
            .into_tuple()
            .all(&state.db)
            .await?;
        department_ids.extend(user.department_id);
        Ok(Actor {
            user_id: Some(user.id),
            email: user.email.clone(),
            name: format!("{} {}", user.first_name, user.last_name).trim().to_owned(),
            role,
            hospital_id: user.hospital_id,
            department_id: user.department_id,
            department_ids,
            language: user.language.clone(),
            selected_hospital: None,
            meta,
        })
    }

    /// The hospitals this actor's queries are limited to. Only a PX admin crosses hospitals;
    /// anyone else without a hospital sees nothing (the nil id matches no row).
    pub fn scope(&self) -> HospitalScope {
        if self.role == Role::PxAdmin {
            self.selected_hospital.map_or(HospitalScope::All, HospitalScope::Only)
        } else {
            HospitalScope::Only(self.hospital_id.unwrap_or(Uuid::nil()))
        }
    }

    /// Limits `select` to the actor's hospitals through `column` (the row's hospital id).
    pub fn scoped<E: EntityTrait>(&self, select: Select<E>, column: impl ColumnTrait) -> Select<E> {
        match self.scope() {
            HospitalScope::All => select,
            HospitalScope::Only(id) => select.filter(column.eq(id)),
        }
    }

    /// Whether a row of `hospital_id` is visible to this actor.
    pub fn sees_hospital(&self, hospital_id: Uuid) -> bool {
        match self.scope() {
            HospitalScope::All => true,
            HospitalScope::Only(id) => id == hospital_id,
        }
    }

    /// The one permission check. A denial is written to the audit log.
    pub async fn require(&self, state: &AppState, permission: Permission) -> AppResult<()> {
        if self.role.may(permission) {
            return Ok(());
        }
        crate::domains::audit::service::record(
            &state.db,
            self,
            crate::domains::audit::service::Entry::new("permission_denied", "route", "")
                .details(serde_json::json!({"permission": format!("{permission:?}")})),
        )
        .await?;
        Err(forbidden())
    }

    /// The hospital a new row goes to: the actor's own, or for a PX admin the one asked for.
    pub fn hospital_for_write(&self, requested: Option<Uuid>) -> AppResult<Uuid> {
        match (self.role, requested, self.hospital_id) {
            (Role::PxAdmin, Some(id), _) => Ok(id),
            (Role::PxAdmin, None, _) => {
                self.selected_hospital.ok_or_else(|| crate::error::invalid("hospital_id", "This field is required."))
            }
            (_, Some(id), Some(own)) if id != own => {
                Err(crate::error::invalid("hospital_id", "Invalid pk - object does not exist."))
            }
            (_, _, Some(own)) => Ok(own),
            (_, _, None) => Err(forbidden()),
        }
    }
}

/// Bearer-token actors, so an API client's requests don't reload the user and their departments
/// each time (see `crate::cache` for when an entry is dropped).
static ACTORS: std::sync::LazyLock<crate::cache::TtlCache<Uuid, Actor>> =
    std::sync::LazyLock::new(|| crate::cache::TtlCache::new(std::time::Duration::from_secs(10), 10_000));

/// An actor authenticated for the JSON API: a Bearer JWT, or a page session (with the CSRF
/// header on unsafe methods, so a page's own scripts may call the API).
pub struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let meta = RequestMeta::from_request_parts(parts, state).await.unwrap_or_default();
        let requested_hospital = hospital_id_param(parts.uri.query());
        if let Some(value) = parts.headers.get("authorization").and_then(|v| v.to_str().ok()) {
            let token = value
                .strip_prefix("Bearer ")
                .ok_or_else(|| AppError::Unauthorized("authentication_failed", "Use the Bearer scheme.".into()))?;
            let claims = state.jwt.verify(token.trim()).ok_or_else(|| {
                AppError::Unauthorized("token_not_valid", "Given token not valid for any token type".into())
            })?;
            let mut actor = ACTORS
                .get_or_load(claims.sub, async {
                    let user =
                        crate::domains::accounts::service::active_user(&state.db, claims.sub).await?.ok_or_else(
                            || AppError::Unauthorized("user_inactive", "User is inactive or deleted.".into()),
                        )?;
                    Actor::from_user(state, &user, RequestMeta::default()).await
                })
                .await?;
            actor.meta = meta;
            actor.selected_hospital = requested_hospital?;
            return Ok(ApiActor(actor));
        }
        if let Some(found) = session::from_headers(state, &parts.headers).await? {
            if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
                let sent = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or_default();
                if !super::tokens::secure_eq(sent, &found.session.csrf_token) {
                    return Err(AppError::Forbidden("CSRF Failed: CSRF token missing or incorrect.".into()));
                }
            }
            let mut actor = Actor::from_user(state, &found.user, meta).await?;
            actor.selected_hospital = requested_hospital?;
            return Ok(ApiActor(actor));
        }
        Err(AppError::Unauthorized("not_authenticated", "Authentication credentials were not provided.".into()))
    }
}

/// `?hospital_id=` on API requests (honoured for PX admins only, ignored for others).
fn hospital_id_param(query: Option<&str>) -> AppResult<Option<Uuid>> {
    let Some(query) = query else { return Ok(None) };
    for (key, value) in url_pairs(query) {
        if key == "hospital_id" && !value.is_empty() {
            return Uuid::parse_str(&value)
                .map(Some)
                .map_err(|_| crate::error::invalid("hospital_id", "Must be a valid UUID."));
        }
    }
    Ok(None)
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap_or_default()
}
