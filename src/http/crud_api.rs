//! `crud_api!` builds the five JSON handlers of a [`crate::crud::Resource`] with their OpenAPI
//! descriptions, so every directory resource answers and documents the same way.

/// `crud_api!(module, Resource, View, Input, "/api/…/", "/api/…/{id}/", "Tag")`
#[macro_export]
macro_rules! crud_api {
    ($module:ident, $res:ty, $view:ty, $input:ty, $path:tt, $item:tt, $tag:tt) => {
        pub mod $module {
            #[allow(unused_imports)]
            use super::*;
            use axum::Json;
            use axum::extract::{OriginalUri, State};
            use axum::http::StatusCode;
            use $crate::app::AppState;
            use $crate::auth::ApiActor;
            use $crate::crud::{ListQuery, Resource};
            use $crate::error::AppResult;
            use $crate::http::{ApiJson, ListParams, Page};
            use $crate::http::openapi::ErrorBody;

            #[utoipa::path(get, path = $path, tag = $tag, params(ListParams),
                responses((status = 200, body = Page<$view>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
            pub async fn list(State(state): State<AppState>, ApiActor(actor): ApiActor, uri: OriginalUri) -> AppResult<Json<Page<$view>>> {
                let query = ListQuery::from_query(uri.path(), uri.query());
                Ok(Json(<$res as Resource>::list(&state, &actor, &query).await?))
            }

            #[utoipa::path(post, path = $path, tag = $tag, request_body = $input,
                responses((status = 201, body = $view), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
            pub async fn create(State(state): State<AppState>, ApiActor(actor): ApiActor, ApiJson(body): ApiJson<serde_json::Value>) -> AppResult<(StatusCode, Json<$view>)> {
                Ok((StatusCode::CREATED, Json(<$res as Resource>::create(&state, &actor, body).await?)))
            }

            #[utoipa::path(get, path = $item, tag = $tag, params(("id" = uuid::Uuid, Path)),
                responses((status = 200, body = $view), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
            pub async fn get(State(state): State<AppState>, ApiActor(actor): ApiActor, $crate::http::IdPath(id): $crate::http::IdPath) -> AppResult<Json<$view>> {
                Ok(Json(<$res as Resource>::get(&state, &actor, id).await?))
            }

            /// Partial update: absent keys keep their value.
            #[utoipa::path(patch, path = $item, tag = $tag, params(("id" = uuid::Uuid, Path)), request_body = $input,
                responses((status = 200, body = $view), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
            pub async fn update(State(state): State<AppState>, ApiActor(actor): ApiActor, $crate::http::IdPath(id): $crate::http::IdPath, ApiJson(body): ApiJson<serde_json::Value>) -> AppResult<Json<$view>> {
                Ok(Json(<$res as Resource>::update(&state, &actor, id, body).await?))
            }

            /// Soft delete: the row disappears from every list and lookup.
            #[utoipa::path(delete, path = $item, tag = $tag, params(("id" = uuid::Uuid, Path)),
                responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
            pub async fn delete(State(state): State<AppState>, ApiActor(actor): ApiActor, $crate::http::IdPath(id): $crate::http::IdPath) -> AppResult<StatusCode> {
                <$res as Resource>::delete(&state, &actor, id).await?;
                Ok(StatusCode::NO_CONTENT)
            }
        }
    };
}
