//! Health, metrics, the OpenAPI document and the API docs page.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestApp, assert_detail, email, json};
use px360::auth::Role;
use px360::platform::{beat, heartbeat};
use reqwest::{Method, StatusCode};
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{Value, json};
use uuid::Uuid;

/// Every API path the application must document and serve.
const API_PATHS: &[&str] = &[
    "/health/",
    "/health/live",
    "/api/auth/token/",
    "/api/auth/token/refresh/",
    "/api/auth/logout/",
    "/api/auth/password/",
    "/api/auth/me/",
    "/api/accounts/users/",
    "/api/accounts/users/{id}/",
    "/api/organizations/departments/",
    "/api/organizations/departments/{id}/",
    "/api/organizations/hospitals/",
    "/api/organizations/hospitals/{id}/",
    "/api/organizations/organizations/",
    "/api/organizations/organizations/{id}/",
    "/api/organizations/staff/",
    "/api/organizations/staff/{id}/",
    "/api/physicians/",
    "/api/physicians/{id}/",
    "/api/organizations/patients/",
    "/api/organizations/patients/{id}/",
    "/api/audit/events/",
    "/api/admin/jobs/",
    "/api/admin/jobs/{id}/retry/",
    "/api/admin/schedules/",
    "/api/integrations/api-keys/",
    "/api/integrations/api-keys/{id}/revoke/",
    "/api/integrations/his/patient-data/",
    "/api/complaints/",
    "/api/complaints/{id}/",
    "/api/complaints/{id}/assign/",
    "/api/complaints/{id}/assign_staff/",
    "/api/complaints/{id}/status/",
    "/api/complaints/{id}/updates/",
    "/api/complaints/{id}/actions/",
    "/api/complaints/{id}/create_action/",
    "/api/complaints/{id}/explanations/",
    "/api/complaints/{id}/attachments/",
    "/api/complaints/bulk/",
    "/api/complaints/my-work/",
    "/api/complaints/categories/",
    "/api/complaints/sla-configs/",
    "/api/complaints/escalation-rules/",
    "/api/complaints/calendars/{hospital_id}/",
    "/api/complaints/sla-preview/",
    "/api/actions/",
    "/api/actions/{id}/",
    "/api/actions/{id}/assign/",
    "/api/actions/{id}/status/",
    "/api/actions/{id}/logs/",
    "/api/actions/{id}/attachments/",
    "/api/surveys/instances/",
    "/api/surveys/instances/bulk/",
    "/api/surveys/instances/{id}/",
    "/api/surveys/instances/{id}/cancel/",
    "/api/surveys/instances/{id}/contacts/",
    "/api/surveys/instances/{id}/follow-up/",
    "/api/surveys/kiosks/",
    "/api/surveys/kiosks/{id}/",
    "/api/surveys/templates/",
    "/api/surveys/templates/{id}/",
    "/api/surveys/templates/{id}/preview/",
    "/api/surveys/templates/{id}/publish/",
    "/api/surveys/templates/{id}/questions/",
    "/api/surveys/templates/{id}/questions/{qid}/",
    "/api/surveys/templates/{id}/reorder/",
    "/api/surveys/templates/{id}/results/",
];

async fn health(app: &TestApp) -> (StatusCode, Value) {
    json(app.client.get(app.url("/health/")).send().await.unwrap()).await
}

async fn schema(app: &TestApp) -> Value {
    let resp = app.client.get(app.url("/api/schema/")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (_, doc) = json(resp).await;
    doc
}

#[tokio::test]
async fn health_is_degraded_until_a_worker_and_a_scheduler_beat() {
    let app = TestApp::spawn().await;
    let (status, body) = health(&app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["services"]["database"], "ok");
    assert_eq!(body["services"]["queue"], "error: NotRunning");
    assert_eq!(body["services"]["scheduler"], "error: NotRunning");

    beat(app.db(), "worker", "t").await.unwrap();
    let (status, body) = health(&app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "a worker alone is not enough: {body}");
    assert_eq!(body["services"]["queue"], "ok");

    beat(app.db(), "scheduler", "t").await.unwrap();
    let (status, body) = health(&app).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"status": "ok", "services": {"database": "ok", "queue": "ok", "scheduler": "ok"}}));
}

#[tokio::test]
async fn a_stale_heartbeat_degrades_health_again() {
    let app = TestApp::spawn().await;
    beat(app.db(), "worker", "t").await.unwrap();
    beat(app.db(), "scheduler", "t").await.unwrap();
    assert_eq!(health(&app).await.0, StatusCode::OK);
    let old = chrono::Utc::now() - chrono::Duration::hours(1);
    heartbeat::ActiveModel { role: Set("worker".into()), instance: Set("t".into()), beat_at: Set(old) }
        .update(app.db())
        .await
        .unwrap();
    let (status, body) = health(&app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["services"]["queue"], "error: Stale");
    // A fresh beat from another instance takes over.
    beat(app.db(), "worker", "other").await.unwrap();
    assert_eq!(health(&app).await.0, StatusCode::OK);
}

#[tokio::test]
async fn liveness_answers_without_authentication() {
    let app = TestApp::spawn().await;
    let resp = app.client.get(app.url("/health/live")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let app = TestApp::spawn().await;
    let token = app.token(&email(Role::HospitalAdmin)).await;
    let id = app.department_id(app.hospital_a.id, "EMR-001").await;
    assert_eq!(app.get(&format!("/api/organizations/departments/{id}/"), &token).await.status(), StatusCode::OK);
    let resp = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = resp.text().await.unwrap();
    assert!(text.contains("http_requests_total"), "{text}");
    assert!(text.contains("http_request_duration_seconds"), "{text}");
    assert!(text.contains(r#"route="/api/organizations/departments/{id}/""#), "routes are templates: {text}");
    assert!(!text.contains(&id.to_string()), "no raw ids in labels");
}

#[tokio::test]
async fn the_openapi_document_is_openapi_3_and_lists_every_api_path() {
    let app = TestApp::spawn().await;
    let doc = schema(&app).await;
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{}", doc["openapi"]);
    assert!(doc["info"]["title"].is_string());
    let paths = doc["paths"].as_object().expect("paths");
    let missing: Vec<&&str> = API_PATHS.iter().filter(|p| !paths.contains_key(**p)).collect();
    assert!(missing.is_empty(), "undocumented: {missing:?}");
    for path in paths.keys() {
        assert!(path.starts_with("/api/") || path.starts_with("/health/"), "{path}");
        assert!(path.ends_with('/') || path == "/health/live", "trailing slash: {path}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object(), "the bearer scheme is documented");
}

#[tokio::test]
async fn the_api_docs_page_is_served() {
    let app = TestApp::spawn().await;
    let resp = app.client.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(resp.text().await.unwrap().to_lowercase().contains("swagger"));
}

/// The `{id}` to use for `path`: the first row of its list, if it has a list with a row.
async fn real_id(app: &TestApp, token: &str, path: &str) -> Option<String> {
    let list = path.replace("{id}/", "");
    let (status, body) = json(app.get(&list, token).await).await;
    if status != StatusCode::OK {
        return None;
    }
    body["results"][0]["id"].as_str().map(str::to_owned)
}

#[tokio::test]
async fn every_documented_operation_is_served() {
    let app = TestApp::spawn().await;
    beat(app.db(), "worker", "t").await.unwrap();
    beat(app.db(), "scheduler", "t").await.unwrap();
    let token = app.token(&email(Role::PxAdmin)).await;
    // One row of each directory list, so `{id}` paths have a real id.
    let a = app.hospital_a.id;
    for (path, body) in [
        ("/api/organizations/organizations/", json!({"code": "GRP", "name_en": "Group"})),
        (
            "/api/organizations/staff/",
            json!({"hospital_id": a, "staff_type": "physician", "first_name_en": "Huda", "license_number": "L-1"}),
        ),
        ("/api/organizations/patients/", json!({"hospital_id": a, "mrn": "MRN-1", "first_name_en": "Salem"})),
    ] {
        let (status, created) = json(app.post(path, &token, &body).await).await;
        assert_eq!(status, StatusCode::CREATED, "{path}: {created}");
    }

    let doc = schema(&app).await;
    let mut checked = 0;
    let mut with_rows = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else { continue };
            if !matches!(method, Method::GET | Method::POST | Method::PUT | Method::PATCH | Method::DELETE) {
                continue;
            }
            checked += 1;
            let path = &path.replace("{hospital_id}", &a.to_string());
            if path.replace("{id}", "").contains('{') {
                // A nested id (an attachment, an explanation) that does not exist: a JSON 404.
                let mut url = String::new();
                let mut rest = path.as_str();
                while let Some(open) = rest.find('{') {
                    url.push_str(&rest[..open]);
                    url.push_str(&Uuid::now_v7().to_string());
                    rest = &rest[rest[open..].find('}').map_or(rest.len(), |c| open + c + 1)..];
                }
                url.push_str(rest);
                let mut req = app.client.request(method.clone(), app.url(&url)).bearer_auth(&token);
                if method != Method::DELETE && method != Method::GET {
                    req = req.json(&json!({}));
                }
                let (status, body) = json(req.send().await.unwrap()).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{method} {url}: {body}");
                continue;
            }
            if path.contains("{id}") {
                let id = if method == Method::GET { real_id(&app, &token, path).await } else { None };
                if let Some(id) = id {
                    let url = path.replace("{id}", &id);
                    let (status, body) = json(app.get(&url, &token).await).await;
                    assert_eq!(status, StatusCode::OK, "GET {url}: {body}");
                    assert_eq!(body["id"], id.as_str());
                    with_rows += 1;
                } else {
                    // Writes (and reads without a row) go to an id that does not exist: a JSON 404, never 405.
                    let url = path.replace("{id}", &Uuid::now_v7().to_string());
                    let mut req = app.client.request(method.clone(), app.url(&url)).bearer_auth(&token);
                    if method != Method::DELETE && method != Method::GET {
                        req = req.json(&json!({}));
                    }
                    let (status, body) = json(req.send().await.unwrap()).await;
                    assert_eq!(status, StatusCode::NOT_FOUND, "{method} {url}: {body}");
                    assert_detail(&body, "not_found");
                }
            } else if method == Method::GET && path == "/api/complaints/sla-preview/" {
                // Needs its query (source, severity, priority): without it, each is named.
                let (status, body) = json(app.get(path, &token).await).await;
                assert_eq!(status, StatusCode::BAD_REQUEST, "GET {path}: {body}");
                assert!(body.is_object());
            } else if method == Method::GET {
                let resp = app.get(path, &token).await;
                assert_eq!(resp.status(), StatusCode::OK, "GET {path}");
            } else {
                let (status, body) = json(
                    app.client
                        .request(method.clone(), app.url(path))
                        .bearer_auth(&token)
                        .json(&json!({}))
                        .send()
                        .await
                        .unwrap(),
                )
                .await;
                assert!(
                    status.is_client_error()
                        && status != StatusCode::NOT_FOUND
                        && status != StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} with an empty body: {status} {body}"
                );
                assert!(body.is_object(), "{method} {path}: a JSON error body");
            }
        }
    }
    assert!(checked >= API_PATHS.len(), "{checked} operations");
    assert!(with_rows >= 7, "the directory resources were read by a real id ({with_rows})");
}

#[tokio::test]
async fn unknown_api_paths_and_methods_answer_json_errors() {
    let app = TestApp::spawn().await;
    let token = app.token(&email(Role::PxAdmin)).await;
    let (status, body) = json(app.get("/api/nothing-here/", &token).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_detail(&body, "not_found");
    let (status, body) = json(app.client.put(app.url("/api/auth/me/")).bearer_auth(&token).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_detail(&body, "method_not_allowed");
    let resp = app.client.get(app.url("/no-such-page/")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let resp = app.client.get(app.url("/health/live")).send().await.unwrap();
    let id = resp.headers().get("x-request-id").expect("x-request-id").to_str().unwrap();
    assert!(Uuid::parse_str(id).is_ok(), "{id}");
    let resp = app.client.get(app.url("/health/live")).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(resp.headers()["x-request-id"], "abc-123", "a caller's id is kept");
}
