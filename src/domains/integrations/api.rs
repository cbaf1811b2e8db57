//! `/api/integrations/events/`: hospital systems post events with an API key
//! (`Authorization: Api-Key <key>` or `X-API-Key`), or users with a JWT, as in the original.

use axum::Json;
use axum::extract::{FromRequestParts, OriginalUri, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::events::{self, EventInput, EventView, Ingested, Poster};
use super::model::api_key;
use super::ratelimit::{self, Decision};
use crate::app::AppState;
use crate::auth::ApiActor;
use crate::auth::tokens::hash_token;
use crate::crud::ListQuery;
use crate::error::{AppError, AppResult};
use crate::http::openapi::ErrorBody;
use crate::http::{ApiJson, IdPath, ListParams, Page};

/// The poster of an event: an API key when one is presented, else the JWT/session user. Each
/// extraction counts one request against the poster's rate limit (the key's
/// `rate_limit_per_minute`, or the user's: `user_rate_limits`, else
/// `PX360_EVENTS_RATE_LIMIT_PER_MINUTE`); past it the request is refused with 429 and
/// `Retry-After` before its body is read, so nothing is stored.
pub struct EventPoster(pub Poster);

impl FromRequestParts<AppState> for EventPoster {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let (poster, subject, limit) = identify(parts, state).await.map_err(IntoResponse::into_response)?;
        if let Some(subject) = subject
            && let Decision::Limited { retry_after } = ratelimit::limiter(state).hit(subject, limit).await
        {
            metrics::counter!("inbound_events_throttled_total").increment(1);
            return Err(ratelimit::too_many(retry_after));
        }
        Ok(EventPoster(poster))
    }
}

/// The poster, the subject its requests are counted under and its limit a minute (0 = none).
async fn identify(parts: &mut Parts, state: &AppState) -> Result<(Poster, Option<Uuid>, u32), AppError> {
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let presented =
        header("x-api-key").or_else(|| header("authorization").and_then(|v| v.strip_prefix("Api-Key ")).map(str::trim));
    let Some(key) = presented else {
        let ApiActor(actor) = ApiActor::from_request_parts(parts, state).await?;
        let user_id = actor.user_id;
        let limit = match user_id {
            Some(id) => ratelimit::user_limit(state, id).await,
            None => 0,
        };
        return Ok((Poster::User(actor), user_id, limit));
    };
    let found = api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(hash_token(key)))
        .filter(api_key::Column::RevokedAt.is_null())
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::Unauthorized("authentication_failed", "Invalid or revoked API key.".into()))?;
    // Cheap usage tracking: at most one write a minute per key.
    let at = crate::domains::organizations::service::now();
    if found.last_used_at.is_none_or(|t| at - t > chrono::Duration::seconds(60)) {
        api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, sea_orm::sea_query::Expr::value(at))
            .filter(api_key::Column::Id.eq(found.id))
            .exec(&state.db)
            .await?;
    }
    let limit = u32::try_from(found.rate_limit_per_minute).unwrap_or(0);
    let poster = Poster::Key {
        key_id: found.id,
        hospital_id: found.hospital_id,
        source_systems: found.source_systems.split(',').map(|s| s.trim().to_owned()).collect(),
    };
    Ok((poster, Some(found.id), limit))
}

/// Receives one event; 201 with the stored row (status `pending`), or 200 with the first event
/// when `event_id` / `Idempotency-Key` repeats one (422 if the body differs).
#[utoipa::path(post, path = "/api/integrations/events/", tag = "Integrations", request_body = EventInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Alternative to event_id")),
    responses((status = 201, body = EventView), (status = 200, body = EventView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn create_event(
    State(state): State<AppState>,
    EventPoster(poster): EventPoster,
    headers: axum::http::HeaderMap,
    ApiJson(input): ApiJson<EventInput>,
) -> AppResult<Response> {
    let header_key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    Ok(match events::ingest(&state, &poster, input, header_key).await? {
        Ingested::New(row) => (StatusCode::CREATED, Json(EventView::from(row))).into_response(),
        Ingested::Replay(row) => (StatusCode::OK, Json(EventView::from(row))).into_response(),
    })
}

/// Events, newest first. Filters: status, source_system, event_code, encounter_id,
/// received_from, received_to (YYYY-MM-DD).
#[utoipa::path(get, path = "/api/integrations/events/", tag = "Integrations",
    params(ListParams, ("status" = Option<String>, Query), ("source_system" = Option<String>, Query),
        ("event_code" = Option<String>, Query), ("encounter_id" = Option<String>, Query),
        ("received_from" = Option<String>, Query), ("received_to" = Option<String>, Query)),
    responses((status = 200, body = Page<EventView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_events(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    uri: OriginalUri,
) -> AppResult<Json<Page<EventView>>> {
    let query = ListQuery::from_query(uri.path(), uri.query());
    Ok(Json(events::list(&state, &actor, &query).await?))
}

#[utoipa::path(get, path = "/api/integrations/events/{id}/", tag = "Integrations", params(("id" = Uuid, Path)),
    responses((status = 200, body = EventView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_event(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<Json<EventView>> {
    Ok(Json(events::get(&state, &actor, id).await?))
}

/// Processes a failed or ignored event again (PX admins).
#[utoipa::path(post, path = "/api/integrations/events/{id}/retry/", tag = "Integrations", params(("id" = Uuid, Path)),
    responses((status = 200, body = EventView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn retry_event(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<Json<EventView>> {
    Ok(Json(events::retry(&state, &actor, id).await?))
}
