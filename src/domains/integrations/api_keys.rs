//! API keys of hospital systems: created by PX admins (the key is shown once, only its hash is
//! stored), listed by PX admins and, read-only, by hospital admins of their hospital, revocable.

use axum::Json;
use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, Order, QueryFilter, Set, TransactionTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::events::SOURCE_SYSTEMS;
use super::model::api_key;
use crate::app::AppState;
use crate::auth::tokens::{hash_token, random_token};
use crate::auth::{Actor, ApiActor, Permission};
use crate::crud::ListQuery;
use crate::domains::audit::service::{Entry, record};
use crate::domains::organizations::model::hospital;
use crate::domains::organizations::service::now;
use crate::error::{AppResult, FieldErrors, not_found};
use crate::http::openapi::ErrorBody;
use crate::http::{ApiJson, IdPath, ListParams, Page, pagination};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyInput {
    /// Required for PX admins without a selected hospital; others: their own hospital.
    pub hospital_id: Option<Uuid>,
    pub name: Option<String>,
    /// Any of his, lab, radiology, pharmacy, moh, chi.
    pub source_systems: Option<Vec<String>>,
    /// Requests a minute this key may make to the event endpoints (default 600; 0 = unlimited).
    pub rate_limit_per_minute: Option<i64>,
}

/// The default limit of a new key, requests a minute.
pub const DEFAULT_RATE_LIMIT: i32 = 600;
/// The largest limit a key may be given (0 = unlimited is allowed too).
pub const MAX_RATE_LIMIT: i64 = 1_000_000;

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: Uuid,
    pub hospital_id: Uuid,
    pub name: String,
    pub source_systems: Vec<String>,
    /// The first characters of the key, to recognise it; the key itself is never shown again.
    pub prefix: String,
    pub created_by: Option<Uuid>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Requests a minute to the event endpoints; 0 = unlimited.
    pub rate_limit_per_minute: i32,
}

impl From<api_key::Model> for ApiKeyView {
    fn from(m: api_key::Model) -> Self {
        ApiKeyView {
            id: m.id,
            hospital_id: m.hospital_id,
            name: m.name,
            source_systems: m.source_systems.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
            prefix: m.prefix,
            created_by: m.created_by,
            last_used_at: m.last_used_at,
            revoked_at: m.revoked_at,
            created_at: m.created_at,
            rate_limit_per_minute: m.rate_limit_per_minute,
        }
    }
}

/// A new key: the row and, this once, the key.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyCreated {
    #[serde(flatten)]
    pub view: ApiKeyView,
    /// Send as `Authorization: Api-Key <key>` or `X-API-Key`. Shown only in this response.
    pub key: String,
}

/// Keys visible to the actor (PX admins: all, or the selected hospital; hospital admins: their own).
pub async fn list(state: &AppState, actor: &Actor, query: &ListQuery) -> AppResult<Page<ApiKeyView>> {
    actor.require(state, Permission::ViewEvents).await?;
    use api_key::Column as C;
    let mut select = actor.scoped(api_key::Entity::find(), C::HospitalId);
    match query.filter("revoked") {
        Some("true") => select = select.filter(C::RevokedAt.is_not_null()),
        Some("false") => select = select.filter(C::RevokedAt.is_null()),
        _ => {}
    }
    select = pagination::search(select, &query.params, &[C::Name, C::Prefix]);
    select = pagination::order(select, &query.params, &[("created_at", C::CreatedAt)], (C::CreatedAt, Order::Desc))?;
    Ok(pagination::fetch(&state.db, select, &query.params, &query.path).await?.map(Into::into))
}

/// Validates and stores a key; returns the row and the key (the only time it exists in clear).
pub async fn create(state: &AppState, actor: &Actor, input: ApiKeyInput) -> AppResult<ApiKeyCreated> {
    actor.require(state, Permission::ManageIntegrations).await?;
    let mut errors = FieldErrors::new();
    let name = crate::http::validate::required(&mut errors, "name", input.name.as_deref(), 100);
    let mut sources: Vec<String> = Vec::new();
    match &input.source_systems {
        None => errors.add("source_systems", "This field is required."),
        Some(list) => {
            for s in list {
                let s = s.trim().to_lowercase();
                if !SOURCE_SYSTEMS.contains(&s.as_str()) {
                    errors.add("source_systems", format!("\"{s}\" is not a valid choice."));
                } else if !sources.contains(&s) {
                    sources.push(s);
                }
            }
            if list.is_empty() {
                errors.add("source_systems", "Choose at least one source system.");
            }
        }
    }
    let rate_limit = match input.rate_limit_per_minute {
        None => DEFAULT_RATE_LIMIT,
        Some(n) if (0..=MAX_RATE_LIMIT).contains(&n) => i32::try_from(n).unwrap_or(DEFAULT_RATE_LIMIT),
        Some(_) => {
            errors
                .add("rate_limit_per_minute", format!("Enter a whole number from 0 (unlimited) to {MAX_RATE_LIMIT}."));
            DEFAULT_RATE_LIMIT
        }
    };
    let hospital_id = errors.collect(actor.hospital_for_write(input.hospital_id))?;
    if let Some(h) = hospital_id
        && hospital::Entity::find_by_id(h).filter(hospital::Column::DeletedAt.is_null()).one(&state.db).await?.is_none()
    {
        errors.add("hospital_id", "Invalid pk - object does not exist.");
    }
    errors.into_result()?;
    let hospital_id = hospital_id.unwrap_or_default();

    let key = format!("px360_{}", random_token());
    let txn = state.db.begin().await?;
    let row = api_key::ActiveModel {
        id: Set(Uuid::now_v7()),
        hospital_id: Set(hospital_id),
        name: Set(name),
        source_systems: Set(sources.join(",")),
        prefix: Set(key[..12].to_owned()),
        key_hash: Set(hash_token(&key)),
        created_by: Set(actor.user_id),
        last_used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now()),
        rate_limit_per_minute: Set(rate_limit),
    }
    .insert(&txn)
    .await?;
    record(
        &txn,
        actor,
        Entry::new("api_key_created", "api_key", row.id)
            .hospital(Some(hospital_id))
            .details(serde_json::json!({"name": row.name, "prefix": row.prefix, "source_systems": row.source_systems,
                "rate_limit_per_minute": row.rate_limit_per_minute})),
    )
    .await?;
    txn.commit().await?;
    Ok(ApiKeyCreated { view: row.into(), key })
}

/// Revokes a key (idempotent): posting with it answers 401 from then on.
pub async fn revoke(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<ApiKeyView> {
    actor.require(state, Permission::ManageIntegrations).await?;
    let found = api_key::Entity::find_by_id(id).one(&state.db).await?.ok_or(not_found("api key"))?;
    if !actor.sees_hospital(found.hospital_id) {
        return Err(not_found("api key"));
    }
    if found.revoked_at.is_some() {
        return Ok(found.into());
    }
    let txn = state.db.begin().await?;
    let mut row: api_key::ActiveModel = found.into();
    row.revoked_at = Set(Some(now()));
    let saved = row.update(&txn).await?;
    record(
        &txn,
        actor,
        Entry::new("api_key_revoked", "api_key", saved.id)
            .hospital(Some(saved.hospital_id))
            .details(serde_json::json!({"name": saved.name, "prefix": saved.prefix})),
    )
    .await?;
    txn.commit().await?;
    Ok(saved.into())
}

/// API keys, newest first (PX admins; hospital admins read their hospital's). Never the keys.
#[utoipa::path(get, path = "/api/integrations/api-keys/", tag = "Integrations",
    params(ListParams, ("revoked" = Option<bool>, Query)),
    responses((status = 200, body = Page<ApiKeyView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn api_list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    uri: OriginalUri,
) -> AppResult<Json<Page<ApiKeyView>>> {
    let query = ListQuery::from_query(uri.path(), uri.query());
    Ok(Json(list(&state, &actor, &query).await?))
}

/// Creates an API key (PX admins); the response carries the key, shown this once.
#[utoipa::path(post, path = "/api/integrations/api-keys/", tag = "Integrations", request_body = ApiKeyInput,
    responses((status = 201, body = ApiKeyCreated), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn api_create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<ApiKeyInput>,
) -> AppResult<Response> {
    Ok((StatusCode::CREATED, Json(create(&state, &actor, input).await?)).into_response())
}

/// Revokes an API key (PX admins).
#[utoipa::path(post, path = "/api/integrations/api-keys/{id}/revoke/", tag = "Integrations", params(("id" = Uuid, Path)),
    responses((status = 200, body = ApiKeyView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_revoke(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<Json<ApiKeyView>> {
    Ok(Json(revoke(&state, &actor, id).await?))
}
