//! Integration events end to end: the contract's validation, API keys, idempotent replays, the
//! journey pipeline (stages once, surveys once, journeys completed), ignored events, concurrent
//! events of one encounter, retry, and who may see what.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestApp, email, json};
use px360::auth::Role;
use px360::domains::integrations::model::inbound_event;
use px360::domains::journeys::model::{journey_instance, stage_instance};
use px360::domains::notifications::model::message;
use px360::domains::organizations::model::hospital;
use px360::domains::surveys::model::survey_instance;
use px360::jobs::Queue;
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

const OPD: [&str; 6] = [
    "OPD_REGISTRATION",
    "OPD_CONSULTATION_DONE",
    "LAB_ORDER_COMPLETED",
    "RADIOLOGY_REPORT_FINALIZED",
    "PHARMACY_DISPENSED",
    "OPD_VISIT_COMPLETED",
];

/// An app whose hospital A has the spec's OPD journey and the notification templates.
async fn app() -> TestApp {
    let app = TestApp::spawn().await;
    let def = &px360::seed::bench::STANDARD_JOURNEYS[0];
    px360::seed::bench::seed_journey(app.db(), app.hospital_a.id, def, true).await.unwrap();
    px360::seed::reference::seed_notification_templates(app.db(), false).await.unwrap();
    hospital::Entity::update_many()
        .col_expr(hospital::Column::QuietHoursStart, Expr::value(0))
        .col_expr(hospital::Column::QuietHoursEnd, Expr::value(0))
        .col_expr(hospital::Column::SurveyThrottleDays, Expr::value(0))
        .exec(app.db())
        .await
        .unwrap();
    app
}

fn event(code: &str, encounter: &str) -> Value {
    json!({
        "source_system": "his",
        "event_code": code,
        "encounter_id": encounter,
        "patient_identifier": format!("MRN-{encounter}"),
        "payload_json": {"physician_license": "PHY001", "department_code": "OUT-002",
                         "timestamp": "2026-01-05T10:12:00+03:00",
                         "custom_fields": {"patient_phone": "0501234567"}}
    })
}

async fn drain(app: &TestApp) {
    loop {
        let n = px360::jobs::worker::process_batch(&app.state, Queue::Events, "test-events", 16).await.unwrap();
        if n == 0 {
            break;
        }
    }
}

async fn events_count(app: &TestApp) -> u64 {
    inbound_event::Entity::find().count(app.db()).await.unwrap()
}

#[tokio::test]
async fn a_whole_opd_visit_fills_the_journey_and_queues_two_surveys_once() {
    let app = app().await;
    let token = app.token(&email(Role::HospitalAdmin)).await;
    let physician = json!({"staff_type": "physician", "first_name_en": "Huda", "license_number": "PHY001"});
    let (status, doctor) = json(app.post("/api/organizations/staff/", &token, &physician).await).await;
    assert_eq!(status, StatusCode::CREATED, "{doctor}");
    for code in OPD {
        let (status, body) = json(app.post("/api/integrations/events/", &token, &event(code, "ENC-1")).await).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["status"], "pending");
        // An exact duplicate is accepted and made harmless in processing.
        let (status, _) = json(app.post("/api/integrations/events/", &token, &event(code, "ENC-1")).await).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    drain(&app).await;

    let journeys = journey_instance::Entity::find().all(app.db()).await.unwrap();
    assert_eq!(journeys.len(), 1);
    assert_eq!(journeys[0].status, "completed");
    assert_eq!(journeys[0].physician_id.map(|u| u.to_string()), doctor["id"].as_str().map(str::to_owned));
    assert!(journeys[0].department_id.is_some(), "OUT-002 of the payload");
    let stages = stage_instance::Entity::find().all(app.db()).await.unwrap();
    assert_eq!(stages.len(), 6);
    assert!(stages.iter().all(|s| s.status == "completed" && s.completed_by_event_id.is_some()));
    let surveys = survey_instance::Entity::find().all(app.db()).await.unwrap();
    assert_eq!(surveys.len(), 2, "consultation and pharmacy have surveys");
    assert_ne!(surveys[0].token_hash, surveys[1].token_hash);
    let messages = message::Entity::find().all(app.db()).await.unwrap();
    assert_eq!(messages.len(), 2);
    assert!(messages.iter().all(|m| m.status == "queued" && m.channel == "sms" && m.recipient == "+966501234567"));
    assert!(messages.iter().all(|m| m.body.contains("/s/")), "the invitation carries the survey link");

    let rows = inbound_event::Entity::find().all(app.db()).await.unwrap();
    assert_eq!(rows.iter().filter(|e| e.status == "processed").count(), 6);
    let ignored: Vec<_> = rows.iter().filter(|e| e.status == "ignored").collect();
    assert_eq!(ignored.len(), 6);
    assert!(ignored.iter().all(|e| e.status_reason.contains("already completed")), "{:?}", ignored[0].status_reason);
    assert!(rows.iter().all(|e| e.processed_at.is_some() && e.hospital_id == Some(app.hospital_a.id)));
}

#[tokio::test]
async fn events_arriving_out_of_order_still_complete_each_stage_once() {
    let app = app().await;
    let token = app.token(&email(Role::HospitalAdmin)).await;
    for code in OPD.iter().rev() {
        let (status, _) = json(app.post("/api/integrations/events/", &token, &event(code, "ENC-R")).await).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    // Two workers at once on the same encounter.
    let (a, b) = tokio::join!(
        px360::jobs::worker::process_batch(&app.state, Queue::Events, "worker-a", 3),
        px360::jobs::worker::process_batch(&app.state, Queue::Events, "worker-b", 3),
    );
    a.unwrap();
    b.unwrap();
    drain(&app).await;
    assert_eq!(journey_instance::Entity::find().count(app.db()).await.unwrap(), 1);
    let stages = stage_instance::Entity::find().all(app.db()).await.unwrap();
    assert_eq!(stages.len(), 6);
    assert!(stages.iter().all(|s| s.status == "completed"));
    assert_eq!(survey_instance::Entity::find().count(app.db()).await.unwrap(), 2);
    let processed = inbound_event::Entity::find()
        .filter(inbound_event::Column::Status.eq("processed"))
        .count(app.db())
        .await
        .unwrap();
    assert_eq!(processed, 6);
}

#[tokio::test]
async fn an_event_no_journey_handles_is_ignored_with_the_reason() {
    let app = app().await;
    let token = app.token(&email(Role::HospitalAdmin)).await;
    let (_, body) = json(app.post("/api/integrations/events/", &token, &event("UNKNOWN_CODE", "ENC-U")).await).await;
    drain(&app).await;
    let id = body["id"].as_str().unwrap();
    let (status, row) = json(app.get(&format!("/api/integrations/events/{id}/"), &token).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(row["status"], "ignored");
    assert_eq!(row["status_reason"], "No active journey template handles UNKNOWN_CODE");
    assert_eq!(journey_instance::Entity::find().count(app.db()).await.unwrap(), 0);

    // A PX admin can run it again once a template handles it (here: it is ignored again).
    let admin = app.token(&email(Role::PxAdmin)).await;
    let (status, row) =
        json(app.post(&format!("/api/integrations/events/{id}/retry/"), &admin, &json!({})).await).await;
    assert_eq!(status, StatusCode::OK, "{row}");
    assert_eq!(row["status"], "pending");
    let (status, _) = json(app.post(&format!("/api/integrations/events/{id}/retry/"), &admin, &json!({})).await).await;
    assert_eq!(status, StatusCode::CONFLICT, "a pending event is not retried");
    let (status, _) = json(app.post(&format!("/api/integrations/events/{id}/retry/"), &token, &json!({})).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "hospital admins may not");
}

#[tokio::test]
async fn every_bad_field_is_a_400_naming_it_and_nothing_is_stored() {
    let app = app().await;
    let token = app.token(&email(Role::HospitalAdmin)).await;
    let long = "x".repeat(101);
    let cases: Vec<(Value, &str)> = vec![
        (json!({"event_code": 5}), "event_code"),
        (json!({"event_code": "  "}), "event_code"),
        (json!({"event_code": long}), "event_code"),
        (json!({"encounter_id": ""}), "encounter_id"),
        (json!({"patient_identifier": null}), "patient_identifier"),
        (json!({"source_system": "fax"}), "source_system"),
        (json!({"source_system": 1}), "source_system"),
        (json!({"payload_json": "text"}), "payload_json"),
        (json!({"payload_json": {"timestamp": "yesterday"}}), "payload_json.timestamp"),
        (json!({"payload_json": {"physician_license": 7}}), "payload_json.physician_license"),
        (
            json!({"payload_json": {"custom_fields": {"patient_phone": "12"}}}),
            "payload_json.custom_fields.patient_phone",
        ),
        (json!({"payload_json": {"custom_fields": []}}), "payload_json.custom_fields"),
        (json!({"surprise": true}), "surprise"),
    ];
    for (patch, field) in cases {
        let mut body = event("OPD_REGISTRATION", "ENC-B");
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        let (status, errors) = json(app.post("/api/integrations/events/", &token, &body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {errors}");
        assert!(errors.get(field).is_some(), "{field} not named in {errors}");
    }
    let resp = app
        .client
        .post(app.url("/api/integrations/events/"))
        .bearer_auth(&token)
        .body("source_system=his")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let resp = app
        .client
        .post(app.url("/api/integrations/events/"))
        .json(&event("OPD_REGISTRATION", "E"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let viewer = app.token(&email(Role::Viewer)).await;
    let (status, _) = json(app.post("/api/integrations/events/", &viewer, &event("OPD_REGISTRATION", "E")).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(events_count(&app).await, 0);
}

#[tokio::test]
async fn a_replayed_event_id_answers_the_first_event_and_a_changed_body_is_refused() {
    let app = app().await;
    let token = app.token(&email(Role::HospitalAdmin)).await;
    let mut body = event("OPD_REGISTRATION", "ENC-I");
    body["event_id"] = json!("HIS:ENC-I:REG");
    let (first_status, first) = json(app.post("/api/integrations/events/", &token, &body).await).await;
    assert_eq!(first_status, StatusCode::CREATED);
    let (status, again) = json(app.post("/api/integrations/events/", &token, &body).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["id"], first["id"]);
    body["encounter_id"] = json!("ENC-OTHER");
    let (status, err) = json(app.post("/api/integrations/events/", &token, &body).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["code"], "idempotency_key_reused");
    // The header works the same way.
    let plain = event("OPD_CONSULTATION_DONE", "ENC-I");
    let send = || {
        app.client
            .post(app.url("/api/integrations/events/"))
            .bearer_auth(&token)
            .header("Idempotency-Key", "k-1")
            .json(&plain)
            .send()
    };
    assert_eq!(send().await.unwrap().status(), StatusCode::CREATED);
    assert_eq!(send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(events_count(&app).await, 2);
}

#[tokio::test]
async fn api_keys_bind_a_hospital_and_source_systems_and_can_be_revoked() {
    let app = app().await;
    let (key, row) =
        px360::seed::bench::create_api_key(app.db(), app.hospital_a.id, "his,lab", "HIS feed").await.unwrap();
    let post = |k: &str, body: &Value| {
        app.client
            .post(app.url("/api/integrations/events/"))
            .header("Authorization", format!("Api-Key {k}"))
            .json(body)
            .send()
    };
    let resp = post(&key, &event("OPD_REGISTRATION", "ENC-K")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let resp = app
        .client
        .post(app.url("/api/integrations/events/"))
        .header("X-API-Key", &key)
        .json(&event("LAB_ORDER_COMPLETED", "ENC-K"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let mut pharmacy = event("PHARMACY_DISPENSED", "ENC-K");
    pharmacy["source_system"] = json!("pharmacy");
    assert_eq!(post(&key, &pharmacy).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(
        post("px360_wrong", &event("OPD_REGISTRATION", "ENC-K")).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    px360::domains::integrations::model::api_key::Entity::update_many()
        .col_expr(
            px360::domains::integrations::model::api_key::Column::RevokedAt,
            Expr::value(Some(chrono::Utc::now())),
        )
        .filter(px360::domains::integrations::model::api_key::Column::Id.eq(row.id))
        .exec(app.db())
        .await
        .unwrap();
    assert_eq!(post(&key, &event("OPD_REGISTRATION", "ENC-K")).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    drain(&app).await;
    let rows = inbound_event::Entity::find().all(app.db()).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|e| e.hospital_id == Some(app.hospital_a.id) && e.api_key_id == Some(row.id)));
}

#[tokio::test]
async fn hospital_admins_list_only_their_hospitals_events() {
    let app = app().await;
    let token = app.token(&email(Role::HospitalAdmin)).await;
    json(app.post("/api/integrations/events/", &token, &event("OPD_REGISTRATION", "ENC-L")).await).await;
    let (status, page) = json(app.get("/api/integrations/events/?status=pending", &token).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["count"], 1);
    let other = app.token(common::ADMIN_B).await;
    let (_, page) = json(app.get("/api/integrations/events/", &other).await).await;
    assert_eq!(page["count"], 0);
    let id = inbound_event::Entity::find().one(app.db()).await.unwrap().unwrap().id;
    let (status, _) = json(app.get(&format!("/api/integrations/events/{id}/"), &other).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let viewer = app.token(&email(Role::Viewer)).await;
    let (status, _) = json(app.get("/api/integrations/events/", &viewer).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = json(app.get("/api/integrations/events/?received_from=tomorrow", &token).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
