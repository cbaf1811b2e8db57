//! `GET /api/audit/events/`: the audit log, newest first, for PX admins (all) and hospital
//! admins (their hospital).

use axum::Json;
use axum::extract::{OriginalUri, State};
use sea_orm::{ColumnTrait, EntityTrait, Order, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::audit_event;
use crate::app::AppState;
use crate::auth::{Actor, ApiActor, Permission};
use crate::crud::ListQuery;
use crate::error::AppResult;
use crate::http::openapi::ErrorBody;
use crate::http::{ListParams, Page, pagination};

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventView {
    pub id: Uuid,
    pub seq: i64,
    pub chain_key: String,
    pub actor_id: Option<Uuid>,
    pub actor_email: String,
    pub actor_role: String,
    pub hospital_id: Option<Uuid>,
    pub action: String,
    pub resource_type: String,
    pub resource_id: String,
    pub ip: String,
    pub user_agent: String,
    pub request_id: String,
    pub details: serde_json::Value,
    pub hash: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<audit_event::Model> for AuditEventView {
    fn from(m: audit_event::Model) -> Self {
        AuditEventView {
            id: m.id,
            seq: m.seq,
            chain_key: m.chain_key,
            actor_id: m.actor_id,
            actor_email: m.actor_email,
            actor_role: m.actor_role,
            hospital_id: m.hospital_id,
            action: m.action,
            resource_type: m.resource_type,
            resource_id: m.resource_id,
            ip: m.ip,
            user_agent: m.user_agent,
            request_id: m.request_id,
            details: m.details,
            hash: m.hash,
            created_at: m.created_at,
        }
    }
}

/// Filters: `action`, `resource_type`, `actor_id`, `date_from`, `date_to` (YYYY-MM-DD).
pub async fn list_events(state: &AppState, actor: &Actor, query: &ListQuery) -> AppResult<Page<AuditEventView>> {
    actor.require(state, Permission::ViewAudit).await?;
    let mut select = actor.scoped(audit_event::Entity::find(), audit_event::Column::HospitalId);
    if let Some(action) = query.filter("action") {
        select = select.filter(audit_event::Column::Action.eq(action));
    }
    if let Some(kind) = query.filter("resource_type") {
        select = select.filter(audit_event::Column::ResourceType.eq(kind));
    }
    if let Some(id) = query.uuid_filter("actor_id")? {
        select = select.filter(audit_event::Column::ActorId.eq(id));
    }
    for (name, is_from) in [("date_from", true), ("date_to", false)] {
        if let Some(raw) = query.filter(name) {
            let day = super::service::parse_day(raw)
                .ok_or_else(|| crate::error::invalid(name, "Use the format YYYY-MM-DD."))?;
            select = if is_from {
                select.filter(audit_event::Column::CreatedAt.gte(day))
            } else {
                select.filter(audit_event::Column::CreatedAt.lt(day + chrono::Duration::days(1)))
            };
        }
    }
    use audit_event::Column as C;
    select = pagination::search(select, &query.params, &[C::ActorEmail, C::Action, C::ResourceType, C::ResourceId]);
    let allowed = [("created_at", C::CreatedAt), ("action", C::Action)];
    select = pagination::order(select, &query.params, &allowed, (C::CreatedAt, Order::Desc))?;
    Ok(pagination::fetch(&state.db, select, &query.params, &query.path).await?.map(Into::into))
}

/// The audit log (PX admins: every hospital; hospital admins: their own), newest first.
#[utoipa::path(get, path = "/api/audit/events/", tag = "Audit", params(ListParams,
        ("action" = Option<String>, Query), ("resource_type" = Option<String>, Query), ("actor_id" = Option<Uuid>, Query),
        ("date_from" = Option<String>, Query), ("date_to" = Option<String>, Query)),
    responses((status = 200, body = Page<AuditEventView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    uri: OriginalUri,
) -> AppResult<Json<Page<AuditEventView>>> {
    let query = ListQuery::from_query(uri.path(), uri.query());
    Ok(Json(list_events(&state, &actor, &query).await?))
}
