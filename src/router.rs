//! Every route, grouped by module. API routes are registered through utoipa-axum so that the
//! OpenAPI document lists exactly what is served.

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::crud::Resource;
use crate::domains::accounts::{self, users::Users};
use crate::domains::audit;
use crate::domains::notifications;
use crate::domains::organizations::{
    self, departments::Departments, hospitals::Hospitals, orgs::Organizations, patients::Patients, staff::Staff,
};
use crate::error::AppError;
use crate::http::openapi::BearerAuth;
use crate::web::{self, crud_pages};

#[derive(OpenApi)]
#[openapi(
    info(title = "PX360 API", description = "Patient-experience management. Authenticate with `POST /api/auth/token/` and send `Authorization: Bearer <access>`."),
    modifiers(&BearerAuth),
)]
struct ApiDoc;

/// The API routes and their OpenAPI document.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(crate::platform::health))
        .routes(routes!(crate::platform::live))
        .routes(routes!(accounts::api::obtain_token))
        .routes(routes!(accounts::api::refresh_token))
        .routes(routes!(accounts::api::logout))
        .routes(routes!(accounts::api::change_password))
        .routes(routes!(accounts::api::me))
        .routes(routes!(accounts::api::users_api::list, accounts::api::users_api::create))
        .routes(routes!(
            accounts::api::users_api::get,
            accounts::api::users_api::update,
            accounts::api::users_api::delete
        ))
        .routes(routes!(organizations::api::departments_api::list, organizations::api::departments_api::create))
        .routes(routes!(
            organizations::api::departments_api::get,
            organizations::api::departments_api::update,
            organizations::api::departments_api::delete
        ))
        .routes(routes!(organizations::api::hospitals_api::list, organizations::api::hospitals_api::create))
        .routes(routes!(
            organizations::api::hospitals_api::get,
            organizations::api::hospitals_api::update,
            organizations::api::hospitals_api::delete
        ))
        .routes(routes!(organizations::api::organizations_api::list, organizations::api::organizations_api::create))
        .routes(routes!(
            organizations::api::organizations_api::get,
            organizations::api::organizations_api::update,
            organizations::api::organizations_api::delete
        ))
        .routes(routes!(organizations::api::staff_api::list, organizations::api::staff_api::create))
        .routes(routes!(
            organizations::api::staff_api::get,
            organizations::api::staff_api::update,
            organizations::api::staff_api::delete
        ))
        .routes(routes!(organizations::api::list_physicians))
        .routes(routes!(organizations::api::get_physician))
        .routes(routes!(organizations::api::patients_api::list, organizations::api::patients_api::create))
        .routes(routes!(
            organizations::api::patients_api::get,
            organizations::api::patients_api::update,
            organizations::api::patients_api::delete
        ))
        .routes(routes!(audit::api::list))
        .routes(routes!(
            crate::domains::integrations::api::create_event,
            crate::domains::integrations::api::list_events
        ))
        .routes(routes!(crate::domains::integrations::api::get_event))
        .routes(routes!(crate::domains::integrations::api::retry_event))
        // ---- integrations ----
        .routes(routes!(
            crate::domains::integrations::api_keys::api_list,
            crate::domains::integrations::api_keys::api_create
        ))
        .routes(routes!(crate::domains::integrations::api_keys::api_revoke))
        .routes(routes!(crate::domains::integrations::his::patient_data))
        .routes(routes!(
            crate::domains::integrations::type_map::api_get,
            crate::domains::integrations::type_map::api_put
        ))
        .routes(routes!(crate::domains::integrations::his_pages::api_logs))
        // ---- end integrations ----
        .routes(routes!(crate::jobs::pages::api_list))
        .routes(routes!(crate::jobs::pages::api_retry))
        .routes(routes!(crate::jobs::pages::api_schedules))
        // ---- notifications ----
        .routes(routes!(notifications::api::messages_list, notifications::api::messages_send))
        .routes(routes!(notifications::api::messages_get))
        .routes(routes!(notifications::api::templates_list, notifications::api::templates_create))
        .routes(routes!(notifications::api::templates_preview))
        .routes(routes!(
            notifications::api::templates_get,
            notifications::api::templates_update,
            notifications::api::templates_delete
        ))
        .routes(routes!(notifications::api::opt_outs_list, notifications::api::opt_outs_create))
        .routes(routes!(notifications::api::opt_outs_delete))
        // Provider callbacks: public, signature-checked, not part of the documented client API.
        .route(notifications::webhooks::TWILIO_PATH, post(notifications::webhooks::twilio))
        .route(notifications::webhooks::UNIFONIC_PATH, post(notifications::webhooks::unifonic))
        .route(
            notifications::webhooks::WHATSAPP_PATH,
            get(notifications::webhooks::whatsapp_verify).post(notifications::webhooks::whatsapp),
        )
        // ---- end notifications ----
        // Dev-only (PX360_HIS_SIMULATOR), not part of the documented client API.
        .route("/api/simulator/his-patient-data/", post(crate::domains::integrations::simulator::simulate))
        // ---- journeys ----
        .routes(routes!(
            crate::domains::journeys::api::templates_api::list,
            crate::domains::journeys::api::templates_api::create
        ))
        .routes(routes!(
            crate::domains::journeys::api::templates_api::get,
            crate::domains::journeys::api::templates_api::update,
            crate::domains::journeys::api::templates_api::delete
        ))
        .routes(routes!(crate::domains::journeys::stages::api_list, crate::domains::journeys::stages::api_create))
        .routes(routes!(crate::domains::journeys::stages::api_update, crate::domains::journeys::stages::api_delete))
        .routes(routes!(crate::domains::journeys::stages::api_reorder))
        .routes(routes!(crate::domains::journeys::instances::api_list))
        .routes(routes!(crate::domains::journeys::instances::api_get))
        // ---- end journeys ----
        .merge(crate::domains::complaints::api_routes())
        .merge(crate::domains::surveys::api_routes())
        .merge(crate::domains::analytics::api_routes())
        .split_for_parts()
}

/// The five directory pages of a resource under `prefix` (e.g. `/organizations/departments`).
fn crud<R: Resource>(prefix: &str) -> Router<AppState> {
    Router::new()
        .route(&format!("{prefix}/"), get(crud_pages::list::<R>))
        .route(&format!("{prefix}/new/"), get(crud_pages::new_form::<R>).post(crud_pages::create::<R>))
        .route(&format!("{prefix}/{{id}}/"), get(crud_pages::detail::<R>))
        .route(&format!("{prefix}/{{id}}/edit/"), get(crud_pages::edit_form::<R>).post(crud_pages::update::<R>))
        .route(&format!("{prefix}/{{id}}/delete/"), post(crud_pages::delete::<R>))
}

fn pages() -> Router<AppState> {
    Router::new()
        .route("/", get(web::home::home))
        .route("/login/", get(web::home::login_form).post(web::home::login))
        .route("/logout/", post(web::home::logout))
        .route("/i18n/set-language/", post(web::home::set_language))
        .route("/switch-hospital/", post(web::home::switch_hospital))
        .route("/account/password/", get(accounts::pages::password_form).post(accounts::pages::change_password))
        .route("/audit/", get(audit::pages::audit_log))
        .route("/admin/jobs/", get(crate::jobs::pages::jobs_page))
        .route("/admin/jobs/{id}/retry/", post(crate::jobs::pages::retry_page))
        // ---- integrations ----
        .route("/integrations/events/", get(crate::domains::integrations::pages::events_page))
        .route("/integrations/events/{id}/", get(crate::domains::integrations::pages::event_page))
        .route("/integrations/events/{id}/retry/", post(crate::domains::integrations::pages::retry_page))
        .route(
            "/integrations/api-keys/",
            get(crate::domains::integrations::pages::keys_page).post(crate::domains::integrations::pages::keys_create),
        )
        .route("/integrations/api-keys/{id}/revoke/", post(crate::domains::integrations::pages::keys_revoke))
        .route("/integrations/his/", get(crate::domains::integrations::his_pages::logs_page))
        .route(
            "/integrations/his/type-map/",
            get(crate::domains::integrations::his_pages::type_map_page)
                .post(crate::domains::integrations::his_pages::type_map_save),
        )
        // ---- end integrations ----
        // ---- notifications ----
        .route("/notifications/outbox/", get(notifications::pages::outbox))
        .route("/notifications/outbox/{id}/", get(notifications::pages::message))
        .route("/notifications/templates/", get(notifications::pages::templates_list))
        .route(
            "/notifications/templates/new/",
            get(notifications::pages::template_new).post(notifications::pages::template_create),
        )
        .route(
            "/notifications/templates/{id}/",
            get(notifications::pages::template_edit).post(notifications::pages::template_update),
        )
        .route("/notifications/templates/{id}/delete/", post(notifications::pages::template_delete))
        .route(
            "/organizations/patients/{id}/messages/",
            get(notifications::pages::patient_messages).post(notifications::pages::patient_send),
        )
        // ---- end notifications ----
        .merge(crud::<Hospitals>("/organizations/hospitals"))
        .merge(crud::<Departments>("/organizations/departments"))
        .merge(crud::<Organizations>("/organizations/organizations"))
        .merge(crud::<Staff>("/organizations/staff"))
        .merge(crud::<Patients>("/organizations/patients"))
        .merge(crud::<Users>("/accounts/users"))
        // ---- journeys ----
        .merge(crud::<crate::domains::journeys::templates::JourneyTemplates>("/journeys/templates"))
        .route(
            "/journeys/templates/{id}/stages/",
            get(crate::domains::journeys::pages::stages_get).post(crate::domains::journeys::pages::stages_add),
        )
        .route("/journeys/templates/{id}/stages/{stage_id}/up/", post(crate::domains::journeys::pages::stage_up))
        .route("/journeys/templates/{id}/stages/{stage_id}/down/", post(crate::domains::journeys::pages::stage_down))
        .route(
            "/journeys/templates/{id}/stages/{stage_id}/delete/",
            post(crate::domains::journeys::pages::stage_delete),
        )
        .route("/journeys/instances/{id}/", get(crate::domains::journeys::pages::timeline))
        .route("/organizations/patients/{id}/journeys/", get(crate::domains::journeys::pages::patient_journeys))
        // ---- end journeys ----
        .merge(crate::domains::complaints::page_routes())
        .merge(crate::domains::surveys::page_routes())
        .merge(crate::domains::analytics::page_routes())
}

const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; font-src 'self'; \
                   object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// Security headers on every response; Swagger UI (which needs inline script) gets a looser CSP.
async fn security_headers(req: Request, next: Next) -> Response {
    let docs = req.uri().path().starts_with("/api/docs");
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    let csp = if docs {
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'"
    } else {
        CSP
    };
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // A page that set its own (the patient's survey: no-referrer) keeps it.
    if !h.contains_key(header::REFERRER_POLICY) {
        h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    }
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    response
}

async fn not_found(req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        AppError::NotFound("resource").into_response()
    } else {
        web::PageError(AppError::NotFound("page")).into_response()
    }
}

async fn method_not_allowed() -> Response {
    AppError::MethodNotAllowed.into_response()
}

/// The whole application.
pub fn app(state: AppState) -> Router {
    let (api, openapi) = api();
    let static_files = memory_serve::load!().index_file(None).enable_gzip(true).enable_brotli(true).into_router();
    let max_body = state.config.max_body_bytes;
    Router::new()
        .merge(api)
        .merge(pages())
        .route("/metrics", get(crate::platform::metrics))
        .merge(utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/schema/", openapi))
        .nest("/static", static_files)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(crate::platform::track_requests))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn(security_headers))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)))
        .layer(CatchPanicLayer::custom(|_| AppError::Unexpected(anyhow::anyhow!("handler panicked")).into_response()))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default();
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}
