//! Integrations admin: API keys (shown once, listed by prefix, revoked), the HIS patient-data
//! feed (records into events, idempotent re-sends, records failing alone), and the events pages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestApp, email, hidden_field, json};
use px360::auth::Role;
use px360::domains::integrations::model::inbound_event;
use px360::jobs::Queue;
use reqwest::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

async fn post_with_key(app: &TestApp, path: &str, key: &str, body: &Value) -> reqwest::Response {
    app.client.post(app.url(path)).header("Authorization", format!("Api-Key {key}")).json(body).send().await.unwrap()
}

async fn create_key(app: &TestApp, token: &str, sources: &[&str]) -> Value {
    let body = json!({"hospital_id": app.hospital_a.id, "name": "HIS feed", "source_systems": sources});
    let (status, created) = json(app.post("/api/integrations/api-keys/", token, &body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

#[tokio::test]
async fn an_api_key_is_shown_once_listed_by_prefix_and_revocable() {
    let app = TestApp::spawn().await;
    let px = app.token(&email(Role::PxAdmin)).await;
    let created = create_key(&app, &px, &["his", "lab"]).await;
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with(created["prefix"].as_str().unwrap()));
    assert_eq!(created["source_systems"], json!(["his", "lab"]));

    let (status, list) = json(app.get("/api/integrations/api-keys/", &px).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["count"], 1);
    assert!(list["results"][0].get("key").is_none(), "the list never shows the key");
    assert!(!list.to_string().contains(&key));
    assert_eq!(list["results"][0]["prefix"], created["prefix"]);

    let event = json!({"source_system": "his", "event_code": "OPD_REGISTRATION", "encounter_id": "E-1",
                       "patient_identifier": "MRN-1"});
    let resp = post_with_key(&app, "/api/integrations/events/", &key, &event).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let (_, list) = json(app.get("/api/integrations/api-keys/", &px).await).await;
    assert!(list["results"][0]["last_used_at"].is_string(), "{list}");

    let id = created["id"].as_str().unwrap();
    let (status, revoked) =
        json(app.post(&format!("/api/integrations/api-keys/{id}/revoke/"), &px, &json!({})).await).await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert!(revoked["revoked_at"].is_string());
    let resp = post_with_key(&app, "/api/integrations/events/", &key, &event).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    let (_, audit) = json(app.get("/api/audit/events/?page_size=100", &px).await).await;
    let text = audit.to_string();
    assert!(text.contains("api_key_created") && text.contains("api_key_revoked"), "{text}");
}

#[tokio::test]
async fn hospital_admins_read_their_own_keys_and_may_not_create_or_revoke() {
    let app = TestApp::spawn().await;
    let px = app.token(&email(Role::PxAdmin)).await;
    let created = create_key(&app, &px, &["his"]).await;
    let body = json!({"hospital_id": app.hospital_b.id, "name": "B feed", "source_systems": ["lab"]});
    let (status, _) = json(app.post("/api/integrations/api-keys/", &px, &body).await).await;
    assert_eq!(status, StatusCode::CREATED);

    let ha = app.token(&email(Role::HospitalAdmin)).await;
    let (status, list) = json(app.get("/api/integrations/api-keys/", &ha).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["count"], 1, "only hospital A's key: {list}");
    assert_eq!(list["results"][0]["id"], created["id"]);
    let body = json!({"name": "Mine", "source_systems": ["his"]});
    let (status, _) = json(app.post("/api/integrations/api-keys/", &ha, &body).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let id = created["id"].as_str().unwrap();
    let (status, _) = json(app.post(&format!("/api/integrations/api-keys/{id}/revoke/"), &ha, &json!({})).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let viewer = app.token(&email(Role::Viewer)).await;
    let (status, _) = json(app.get("/api/integrations/api-keys/", &viewer).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, errors) = json(
        app.post(
            "/api/integrations/api-keys/",
            &px,
            &json!({"hospital_id": app.hospital_a.id, "name": " ", "source_systems": ["fax"]}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(errors["name"].is_array() && errors["source_systems"].is_array(), "{errors}");
}

fn record(kind: &str, admission: &str, admit: &str, discharge: &str) -> Value {
    json!({"Type": kind, "PatientID": format!("MRN-{admission}"), "AdmissionID": admission, "HospitalID": "ALH",
           "HospitalName": "Al Hammadi", "AdmitDate": admit, "DischargeDate": discharge, "SSN": "1000000001",
           "PatientName": "Test Patient", "MobileNo": "0501234567", "Gender": "M", "FullAge": "40",
           "PatientNationality": "SA", "DOB": "01-Jan-1985", "ConsultantID": "PHY001", "PrimaryDoctor": "Dr X"})
}

#[tokio::test]
async fn the_his_feed_turns_records_into_events_idempotently_and_fails_records_alone() {
    let app = TestApp::spawn().await;
    let px = app.token(&email(Role::PxAdmin)).await;
    let key = create_key(&app, &px, &["his"]).await["key"].as_str().unwrap().to_owned();
    let body = json!({"FetchPatientDataTimeStampList": [
        record("1", "A-1", "05-Jun-2025 11:06", "07-Jun-2025 09:30"),
        record("O", "A-2", "05-Jun-2025 12:00", ""),
        record("2", "A-3", "31-Feb-2025 11:06", ""),
        record("Z", "A-4", "05-Jun-2025 13:00", ""),
    ]});
    let path = "/api/integrations/his/patient-data/";
    let (status, first) = json(post_with_key(&app, path, &key, &body).await).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["received"], 4);
    assert_eq!(first["accepted"], 3);
    let results = first["results"].as_array().unwrap();
    assert_eq!(results[0]["events"].as_array().unwrap().len(), 2, "admitted and discharged");
    assert_eq!(results[1]["events"].as_array().unwrap().len(), 1);
    assert!(results[2]["events"].as_array().unwrap().is_empty());
    assert!(results[2]["errors"]["AdmitDate"].is_array(), "{}", results[2]);
    assert_eq!(results[2]["admission_id"], "A-3");
    assert!(results[3]["warning"].is_string());
    assert_eq!(inbound_event::Entity::find().count(app.db()).await.unwrap(), 4);

    let rows = inbound_event::Entity::find().all(app.db()).await.unwrap();
    let admitted = rows.iter().find(|e| e.event_code == "IP_ADMITTED").unwrap();
    assert_eq!(admitted.encounter_id, "A-1");
    assert_eq!(admitted.patient_identifier, "MRN-A-1");
    assert_eq!(admitted.idempotency_key.as_deref(), Some("ALH:A-1:IP_ADMITTED"));
    assert_eq!(admitted.payload["timestamp"], "2025-06-05T11:06:00+03:00");
    assert_eq!(admitted.payload["hospital_code"], "ALH");
    assert_eq!(admitted.payload["physician_license"], "PHY001");
    assert_eq!(admitted.payload["custom_fields"]["patient_phone"], "+966501234567");
    let discharged = rows.iter().find(|e| e.event_code == "IP_DISCHARGED").unwrap();
    assert_eq!(discharged.payload["timestamp"], "2025-06-07T09:30:00+03:00");
    assert!(rows.iter().any(|e| e.encounter_id == "A-4" && e.event_code == "OPD_VISIT_COMPLETED"));

    // Re-sending the same payload creates nothing new and answers the same ids.
    let (status, again) = json(post_with_key(&app, path, &key, &body).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(inbound_event::Entity::find().count(app.db()).await.unwrap(), 4);
    for i in 0..4 {
        assert_eq!(again["results"][i]["events"], first["results"][i]["events"]);
    }

    let (status, err) = json(post_with_key(&app, path, &key, &json!({})).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(err["FetchPatientDataTimeStampList"].is_array(), "{err}");
    let missing = json!({"FetchPatientDataTimeStampList": [{"Type": "1", "AdmitDate": "05-Jun-2025 11:06"}]});
    let (_, res) = json(post_with_key(&app, path, &key, &missing).await).await;
    assert_eq!(res["accepted"], 0);
    assert!(
        res["results"][0]["errors"]["PatientID"].is_array() && res["results"][0]["errors"]["AdmissionID"].is_array()
    );
    // A key without "his" may not post the feed.
    let lab = create_key(&app, &px, &["lab"]).await["key"].as_str().unwrap().to_owned();
    assert_eq!(post_with_key(&app, path, &lab, &body).await.status(), StatusCode::FORBIDDEN);
}

#[test]
fn his_dates_are_riyadh_time() {
    use px360::domains::integrations::his::parse_his_date;
    assert_eq!(parse_his_date("05-Jun-2025 11:06").as_deref(), Some("2025-06-05T11:06:00+03:00"));
    assert_eq!(parse_his_date("05-JUN-2025 23:59:10").as_deref(), Some("2025-06-05T23:59:10+03:00"));
    assert_eq!(parse_his_date("2025-06-05"), None);
}

#[tokio::test]
async fn the_events_pages_render_in_arabic_with_filters_and_the_retry_form_needs_its_token() {
    let app = TestApp::spawn().await;
    let px = app.token(&email(Role::PxAdmin)).await;
    let ev = json!({"source_system": "lab", "event_code": "UNKNOWN_CODE", "encounter_id": "ENC-P",
                    "patient_identifier": "MRN-P", "payload_json": {"hospital_code": app.hospital_a.code}});
    let (status, created) = json(app.post("/api/integrations/events/", &px, &ev).await).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    loop {
        if px360::jobs::worker::process_batch(&app.state, Queue::Events, "t", 16).await.unwrap() == 0 {
            break;
        }
    }
    let id = created["id"].as_str().unwrap();

    let (client, csrf) = app.login_page_session(&email(Role::PxAdmin)).await;
    let resp = client
        .post(app.url("/i18n/set-language/"))
        .form(&[("csrf_token", csrf.as_str()), ("language", "ar")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let resp = client.get(app.url("/integrations/events/?status=ignored&source_system=lab")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("dir=\"rtl\""));
    assert!(html.contains("id=\"event-filters\"") && html.contains("ENC-P") && html.contains("تم التجاهل"));
    let resp = client.get(app.url("/integrations/events/?source_system=his")).send().await.unwrap();
    assert!(!resp.text().await.unwrap().contains("ENC-P"), "filtered out");

    let html = client.get(app.url(&format!("/integrations/events/{id}/"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"retry-form\"") && html.contains("UNKNOWN_CODE") && html.contains("<pre"));
    let token = hidden_field(&html, "csrf_token").unwrap();
    let url = app.url(&format!("/integrations/events/{id}/retry/"));
    let resp = client.post(&url).form(&[("x", "1")]).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let row =
        inbound_event::Entity::find_by_id(id.parse::<uuid::Uuid>().unwrap()).one(app.db()).await.unwrap().unwrap();
    assert_eq!(row.status, "ignored", "nothing changed without the token");
    let resp = client.post(&url).form(&[("csrf_token", token.as_str())]).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let row =
        inbound_event::Entity::find_by_id(id.parse::<uuid::Uuid>().unwrap()).one(app.db()).await.unwrap().unwrap();
    assert_eq!(row.status, "pending");

    // The API keys page: create shows the key once, then only the prefix.
    let resp = client
        .post(app.url("/integrations/api-keys/"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("hospital_id", &app.hospital_a.id.to_string()),
            ("name", "Lab"),
            ("source_systems", "lab"),
            ("source_systems", "his"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("id=\"new-key\""), "the new key is shown");
    let html = client.get(app.url("/integrations/api-keys/")).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("id=\"new-key\"") && html.contains("Lab") && html.contains("/revoke/"));
}

#[tokio::test]
async fn a_processed_event_links_to_its_journey() {
    let app = TestApp::spawn().await;
    let def = &px360::seed::bench::STANDARD_JOURNEYS[0];
    px360::seed::bench::seed_journey(app.db(), app.hospital_a.id, def, true).await.unwrap();
    let ha = app.token(&email(Role::HospitalAdmin)).await;
    let ev = json!({"source_system": "his", "event_code": "OPD_REGISTRATION", "encounter_id": "ENC-J",
                    "patient_identifier": "MRN-J"});
    let (status, created) = json(app.post("/api/integrations/events/", &ha, &ev).await).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    while px360::jobs::worker::process_batch(&app.state, Queue::Events, "t", 16).await.unwrap() > 0 {}
    let journey =
        px360::domains::journeys::model::journey_instance::Entity::find().one(app.db()).await.unwrap().unwrap();
    let (client, _) = app.login_page_session(&email(Role::HospitalAdmin)).await;
    let id = created["id"].as_str().unwrap();
    let html = client.get(app.url(&format!("/integrations/events/{id}/"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&format!("/journeys/instances/{}/", journey.id)), "{html}");
    assert!(!html.contains("id=\"retry-form\""), "processed events are not retried");
}
