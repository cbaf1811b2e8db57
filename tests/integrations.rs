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
    let (status, res) = json(post_with_key(&app, path, &key, &missing).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "no record accepted: {res}");
    common::assert_fields(
        &res,
        &["FetchPatientDataTimeStampList[0].PatientID", "FetchPatientDataTimeStampList[0].AdmissionID"],
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

// ---- rate limits ----

async fn create_key_limited(app: &TestApp, token: &str, sources: &[&str], limit: i64) -> (String, String) {
    let body = json!({"hospital_id": app.hospital_a.id, "name": "Limited", "source_systems": sources,
                      "rate_limit_per_minute": limit});
    let (status, created) = json(app.post("/api/integrations/api-keys/", token, &body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["rate_limit_per_minute"], limit);
    (created["key"].as_str().unwrap().to_owned(), created["id"].as_str().unwrap().to_owned())
}

/// Waits until the current one-minute window has at least 10 s left, so a test's requests all
/// fall in one window.
async fn fresh_window() {
    let second = chrono::Utc::now().timestamp() % 60;
    if second > 48 {
        tokio::time::sleep(std::time::Duration::from_secs(61 - second as u64)).await;
    }
}

fn event(n: usize) -> Value {
    json!({"source_system": "his", "event_code": "OPD_REGISTRATION", "encounter_id": format!("RL-{n}"),
           "patient_identifier": format!("MRN-RL-{n}")})
}

async fn event_count(app: &TestApp) -> u64 {
    inbound_event::Entity::find().count(app.db()).await.unwrap()
}

/// Posts with `key` until refused; asserts the limit held at `limit` and the 429's shape.
async fn assert_key_limited(app: &TestApp, key: &str, limit: usize, offset: usize) {
    let before = event_count(app).await;
    for n in 0..limit {
        let resp = post_with_key(app, "/api/integrations/events/", key, &event(offset + n)).await;
        assert_eq!(resp.status(), StatusCode::CREATED, "request {n} is within the limit");
    }
    let resp = post_with_key(app, "/api/integrations/events/", key, &event(offset + limit)).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    let (_, body) = json(resp).await;
    common::assert_detail(&body, "throttled");
    assert_eq!(event_count(app).await, before + limit as u64, "the refused event was not stored");
}

#[tokio::test]
async fn a_key_past_its_limit_gets_429_with_retry_after_and_other_keys_go_on() {
    let app = TestApp::spawn().await;
    let px = app.token(&email(Role::PxAdmin)).await;
    let (limited, _) = create_key_limited(&app, &px, &["his"], 3).await;
    let other = create_key(&app, &px, &["his"]).await;
    assert_eq!(other["rate_limit_per_minute"], 600, "the default limit of a new key");
    let other = other["key"].as_str().unwrap().to_owned();
    fresh_window().await;
    assert_key_limited(&app, &limited, 3, 0).await;

    // The HIS feed counts against the same limit: refused before anything is read or stored.
    let body = json!({"FetchPatientDataTimeStampList": [record("2", "RL-H", "05-Jun-2025 11:06", "")]});
    let resp = post_with_key(&app, "/api/integrations/his/patient-data/", &limited, &body).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.headers().contains_key("retry-after"));
    let logs = px360::domains::integrations::model::his_request_log::Entity::find().count(app.db()).await.unwrap();
    assert_eq!(logs, 0, "a refused feed request leaves no log and no patient");

    // Another key of the same hospital is not affected.
    let resp = post_with_key(&app, "/api/integrations/events/", &other, &event(100)).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let resp = post_with_key(&app, "/api/integrations/his/patient-data/", &other, &body).await;
    assert_eq!(resp.status(), StatusCode::OK);

    // A bad limit is named; the page shows each key's limit.
    let bad =
        json!({"hospital_id": app.hospital_a.id, "name": "X", "source_systems": ["his"], "rate_limit_per_minute": -1});
    let (status, errors) = json(app.post("/api/integrations/api-keys/", &px, &bad).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    common::assert_fields(&errors, &["rate_limit_per_minute"]);
    let (client, _) = app.login_page_session(&email(Role::PxAdmin)).await;
    let html = client.get(app.url("/integrations/api-keys/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("name=\"rate_limit_per_minute\"") && html.contains(">600<"), "{html}");
}

#[tokio::test]
async fn unlimited_keys_and_users_with_their_own_limit_are_never_refused() {
    let app = TestApp::spawn_with(|c| c.events_rate_limit_per_minute = 2).await;
    let px = app.token(&email(Role::PxAdmin)).await;
    let (unlimited, _) = create_key_limited(&app, &px, &["his"], 0).await;
    fresh_window().await;
    for n in 0..12 {
        let resp = post_with_key(&app, "/api/integrations/events/", &unlimited, &event(n)).await;
        assert_eq!(resp.status(), StatusCode::CREATED, "request {n}");
    }

    // JWT users get PX360_EVENTS_RATE_LIMIT_PER_MINUTE (2 here) ...
    let ha = app.token(&email(Role::HospitalAdmin)).await;
    for n in 20..22 {
        assert_eq!(app.post("/api/integrations/events/", &ha, &event(n)).await.status(), StatusCode::CREATED);
    }
    let resp = app.post("/api/integrations/events/", &ha, &event(22)).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.headers().contains_key("retry-after"));
    // ... unless they have a limit of their own: 0 = unlimited (what `seed-bench` gives the bench user).
    use px360::domains::integrations::model::user_rate_limit;
    use sea_orm::{ActiveModelTrait, Set};
    user_rate_limit::ActiveModel {
        user_id: Set(app.user(Role::PxAdmin).id),
        per_minute: Set(0),
        updated_at: Set(chrono::Utc::now()),
    }
    .insert(app.db())
    .await
    .unwrap();
    for n in 30..40 {
        let mut ev = event(n);
        ev["payload_json"] = json!({"hospital_code": app.hospital_a.code});
        assert_eq!(app.post("/api/integrations/events/", &px, &ev).await.status(), StatusCode::CREATED, "{n}");
    }
}

#[tokio::test]
async fn seed_bench_makes_the_bench_user_unlimited() {
    let app = TestApp::spawn().await;
    px360::seed::bench::seed(&app.state).await.unwrap();
    px360::seed::bench::seed(&app.state).await.unwrap();
    use px360::domains::accounts::model::user;
    use px360::domains::integrations::model::user_rate_limit;
    use sea_orm::{ColumnTrait, QueryFilter};
    let bench = user::Entity::find().filter(user::Column::Email.eq("bench@px360.bench")).one(app.db()).await.unwrap();
    let row = user_rate_limit::Entity::find_by_id(bench.unwrap().id).one(app.db()).await.unwrap().unwrap();
    assert_eq!(row.per_minute, 0);
}

#[tokio::test]
async fn an_unreachable_redis_counts_in_process_and_never_fails_a_request() {
    let app = TestApp::spawn_with(|c| c.redis_url = Some("redis://127.0.0.1:1".into())).await;
    let px = app.token(&email(Role::PxAdmin)).await;
    let (key, _) = create_key_limited(&app, &px, &["his"], 2).await;
    fresh_window().await;
    assert_key_limited(&app, &key, 2, 0).await;
}

#[tokio::test]
async fn with_redis_the_count_is_shared_through_redis() {
    let Some(url) = std::env::var("PX360_TEST_REDIS_URL").ok().filter(|u| !u.is_empty()) else {
        eprintln!("PX360_TEST_REDIS_URL not set: skipped");
        return;
    };
    let app = TestApp::spawn_with(|c| c.redis_url = Some(url.clone())).await;
    let px = app.token(&email(Role::PxAdmin)).await;
    let (key, id) = create_key_limited(&app, &px, &["his"], 2).await;
    fresh_window().await;
    assert_key_limited(&app, &key, 2, 0).await;
    let window = chrono::Utc::now().timestamp() / 60;
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let count: u64 = redis::cmd("GET").arg(format!("px360:rl:{id}:{window}")).query_async(&mut conn).await.unwrap();
    assert_eq!(count, 3, "every request was counted in Redis");
    let ttl: i64 = redis::cmd("TTL").arg(format!("px360:rl:{id}:{window}")).query_async(&mut conn).await.unwrap();
    assert!(ttl > 0 && ttl <= 120, "the window key expires: {ttl}");
    // Another web process (its own state and in-process counters) sees the same count.
    let second = px360::app::AppState::new(app.db().clone(), app.state.config.as_ref().clone(), None).unwrap();
    let limiter = px360::domains::integrations::ratelimit::limiter(&second);
    let decision = limiter.hit(id.parse().unwrap(), 2).await;
    assert!(matches!(decision, px360::domains::integrations::ratelimit::Decision::Limited { .. }));
}

// ---- HIS feed: log, demographics, Type map, simulator ----

const HIS: &str = "/api/integrations/his/patient-data/";

async fn his_key(app: &TestApp) -> String {
    let px = app.token(&email(Role::PxAdmin)).await;
    create_key(app, &px, &["his"]).await["key"].as_str().unwrap().to_owned()
}

async fn patient_of(app: &TestApp, mrn: &str) -> Option<px360::domains::organizations::model::patient::Model> {
    use px360::domains::organizations::model::patient;
    use sea_orm::{ColumnTrait, QueryFilter};
    patient::Entity::find()
        .filter(patient::Column::HospitalId.eq(app.hospital_a.id))
        .filter(patient::Column::Mrn.eq(mrn))
        .one(app.db())
        .await
        .unwrap()
}

#[tokio::test]
async fn the_his_log_keeps_counts_and_redacted_errors_without_pii() {
    let app = TestApp::spawn().await;
    let key = his_key(&app).await;
    let mut good = record("2", "LOG-1", "05-Jun-2025 11:06", "");
    good["PatientName"] = json!("Noura Al-Harbi");
    good["MobileNo"] = json!("0551239876");
    good["SSN"] = json!("1098765432");
    let mut bad = record("2", "LOG-2", "05-Jun-2025 11:06", "");
    bad["PatientName"] = json!("Fahad Al-Dosari");
    bad["MobileNo"] = json!("12345abc99887766");
    bad["SSN"] = json!("3876543210");
    bad["Gender"] = json!(["M"]);
    let body = json!({"FetchPatientDataTimeStampList": [good, bad]});
    let (status, res) = json(post_with_key(&app, HIS, &key, &body).await).await;
    assert_eq!(status, StatusCode::OK, "{res}");
    assert_eq!(res["accepted"], 1);
    let errors = &res["results"][1]["errors"];
    assert!(errors["MobileNo"].is_array() && errors["SSN"].is_array() && errors["Gender"].is_array(), "{errors}");
    assert!(patient_of(&app, "MRN-LOG-2").await.is_none(), "a failed record changes nothing");

    use px360::domains::integrations::model::his_request_log;
    let logs = his_request_log::Entity::find().all(app.db()).await.unwrap();
    assert_eq!(logs.len(), 1);
    let log = &logs[0];
    assert_eq!(res["log_id"], log.id.to_string());
    assert_eq!((log.records_total, log.records_accepted, log.records_failed), (2, 1, 1));
    assert_eq!(log.events_created, 1);
    assert_eq!(log.hospital_id, Some(app.hospital_a.id));
    assert_eq!(log.origin, "feed");
    let text = format!("{log:?}");
    assert!(text.contains("MobileNo") && text.contains("SSN"), "the fields are named: {text}");
    for pii in [
        "Noura",
        "Al-Harbi",
        "Fahad",
        "Al-Dosari",
        "0551239876",
        "551239876",
        "12345abc",
        "99887766",
        "1098765432",
        "3876543210",
        "MRN-LOG",
    ] {
        assert!(!text.contains(pii), "{pii} is in the log: {text}");
    }

    // The page: hospital admins, Arabic, phone-friendly rows; linked from the events page.
    let (client, csrf) = app.login_page_session(&email(Role::HospitalAdmin)).await;
    client
        .post(app.url("/i18n/set-language/"))
        .form(&[("csrf_token", csrf.as_str()), ("language", "ar")])
        .send()
        .await
        .unwrap();
    let events = client.get(app.url("/integrations/events/")).send().await.unwrap().text().await.unwrap();
    assert!(events.contains("href=\"/integrations/his/\""));
    let resp = client.get(app.url("/integrations/his/")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("dir=\"rtl\"") && html.contains("id=\"his-logs\"") && html.contains("data-label="));
    assert!(html.contains("تغذية نظام المعلومات الصحية") && html.contains("MobileNo"), "{html}");
    for pii in ["Noura", "Fahad", "0551239876", "1098765432", "3876543210"] {
        assert!(!html.contains(pii), "{pii} on the page");
    }
    let (status, api) =
        json(app.get("/api/integrations/his/logs/?failed=true", &app.token(ADMIN_B_LOGIN).await).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(api["count"], 0, "hospital B's admin sees none of hospital A's log: {api}");
    let viewer = app.token(&email(Role::Viewer)).await;
    assert_eq!(app.get("/api/integrations/his/logs/", &viewer).await.status(), StatusCode::FORBIDDEN);
}

const ADMIN_B_LOGIN: &str = common::ADMIN_B;

#[tokio::test]
async fn his_records_update_the_patients_demographics_with_the_fields_present() {
    let app = TestApp::spawn().await;
    let key = his_key(&app).await;
    let minimal = json!({"Type": "2", "PatientID": "MRN-D1", "AdmissionID": "D-1", "AdmitDate": "05-Jun-2025 11:06"});
    let (status, res) =
        json(post_with_key(&app, HIS, &key, &json!({"FetchPatientDataTimeStampList": [minimal]})).await).await;
    assert_eq!(status, StatusCode::OK, "{res}");
    let p = patient_of(&app, "MRN-D1").await.expect("the patient is created");
    assert_eq!((p.first_name_en.as_str(), p.phone.as_str(), p.national_id.as_str()), ("", "", ""));

    let full = json!({"Type": "2", "PatientID": "MRN-D1", "AdmissionID": "D-2", "AdmitDate": "06-Jun-2025 09:00",
        "PatientName": "Khalid Al-Shehri", "SSN": "1000000001", "MobileNo": "0501234567", "Gender": "M",
        "DOB": "01-Jan-1985", "PatientNationality": "Saudi"});
    let (status, _) =
        json(post_with_key(&app, HIS, &key, &json!({"FetchPatientDataTimeStampList": [full]})).await).await;
    assert_eq!(status, StatusCode::OK);
    let p = patient_of(&app, "MRN-D1").await.unwrap();
    assert_eq!(p.first_name_en, "Khalid");
    assert_eq!(p.last_name_en, "Al-Shehri");
    assert_eq!(p.national_id, "1000000001");
    assert_eq!(p.phone, "+966501234567");
    assert_eq!(p.gender, "male");
    assert_eq!(p.date_of_birth, chrono::NaiveDate::from_ymd_opt(1985, 1, 1));
    assert_eq!(p.nationality, "Saudi");

    // Only the fields present change; an Arabic name goes to the Arabic name fields.
    let partial = json!({"Type": "2", "PatientID": "MRN-D1", "AdmissionID": "D-3", "MobileNo": "+966 55 000 1111",
        "PatientName": "خالد الشهري", "Gender": "F"});
    let (status, _) =
        json(post_with_key(&app, HIS, &key, &json!({"FetchPatientDataTimeStampList": [partial]})).await).await;
    assert_eq!(status, StatusCode::OK);
    let p = patient_of(&app, "MRN-D1").await.unwrap();
    assert_eq!(p.phone, "+966550001111");
    assert_eq!((p.first_name_ar.as_str(), p.last_name_ar.as_str()), ("خالد", "الشهري"));
    assert_eq!(
        (p.first_name_en.as_str(), p.national_id.as_str(), p.nationality.as_str()),
        ("Khalid", "1000000001", "Saudi")
    );
    assert_eq!(p.gender, "female");
    assert_eq!(p.date_of_birth, chrono::NaiveDate::from_ymd_opt(1985, 1, 1));
}

#[tokio::test]
async fn bad_his_input_is_a_400_naming_the_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let key = his_key(&app).await;
    let (status, body) =
        json(post_with_key(&app, HIS, &key, &json!({"FetchPatientDataTimeStampList": "x"})).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    common::assert_fields(&body, &["FetchPatientDataTimeStampList"]);

    let wrong = json!({"Type": "2", "PatientID": {"id": 1}, "AdmissionID": "W-1", "DOB": "yesterday",
                       "AdmitDate": "05-Jun-2025 11:06"});
    let (status, body) =
        json(post_with_key(&app, HIS, &key, &json!({"FetchPatientDataTimeStampList": [wrong]})).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    common::assert_fields(
        &body,
        &["FetchPatientDataTimeStampList[0].PatientID", "FetchPatientDataTimeStampList[0].DOB"],
    );

    // A PX admin (no hospital of their own) posting for a hospital nobody has.
    let px = app.token(&email(Role::PxAdmin)).await;
    let unknown = record("2", "U-1", "05-Jun-2025 11:06", "");
    let (status, body) = json(app.post(HIS, &px, &json!({"FetchPatientDataTimeStampList": [unknown]})).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    common::assert_fields(&body, &["FetchPatientDataTimeStampList[0].HospitalID"]);
    // The hospital's code (or HIS code) is found.
    let mut known = record("2", "U-2", "05-Jun-2025 11:06", "");
    known["HospitalID"] = json!(app.hospital_b.code);
    let (status, body) = json(app.post(HIS, &px, &json!({"FetchPatientDataTimeStampList": [known]})).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    assert_eq!(event_count(&app).await, 1, "only the known hospital's record made an event");
    use px360::domains::organizations::model::patient;
    assert_eq!(patient::Entity::find().count(app.db()).await.unwrap(), 1);
}

#[tokio::test]
async fn the_type_map_is_respected_validated_and_admin_only_to_change() {
    let app = TestApp::spawn().await;
    let key = his_key(&app).await;
    let path = "/api/integrations/his/type-map/";
    let ha = app.token(&email(Role::HospitalAdmin)).await;
    let (status, map) = json(app.get(path, &ha).await).await;
    assert_eq!(status, StatusCode::OK, "{map}");
    assert_eq!(map["customized"], false);
    assert_eq!(map["entries"]["1"]["event_code"], "IP_ADMITTED");
    assert_eq!(map["entries"]["1"]["discharge_event_code"], "IP_DISCHARGED");
    assert_eq!(map["entries"]["4"]["journey_type"], "day_case");

    let entries = json!({"1": {"journey_type": "inpatient", "event_code": "IP_ADMITTED", "discharge_event_code": "IP_DISCHARGED"},
                         "2": {"journey_type": "ems", "event_code": "custom_visit"},
                         "OTHER": {"journey_type": "opd", "event_code": "OPD_OTHER"}});
    let body = json!({"hospital_id": app.hospital_a.id, "entries": entries});
    let url = app.url(path);
    let client = app.client.clone();
    let put = |token: String, body: Value| {
        let (client, url) = (client.clone(), url.clone());
        async move { json(client.put(url).bearer_auth(token).json(&body).send().await.unwrap()).await }
    };
    let (status, _) = put(ha.clone(), body.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "hospital admins read the map only");
    let px = app.token(&email(Role::PxAdmin)).await;
    let (status, defaults) = json(app.get(path, &px).await).await;
    assert_eq!(status, StatusCode::OK, "a PX admin without a hospital sees the defaults: {defaults}");
    assert!(defaults["hospital_id"].is_null() && defaults["entries"]["OTHER"]["event_code"] == "OPD_VISIT_COMPLETED");
    let bad =
        json!({"hospital_id": uuid::Uuid::now_v7(), "entries": {"2": {"journey_type": "spa", "event_code": "X Y"}}});
    let (status, errors) = put(px.clone(), bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    common::assert_fields(&errors, &["hospital_id", "entries.2.journey_type", "entries.2.event_code"]);
    let (status, errors) =
        put(px.clone(), json!({"hospital_id": app.hospital_a.id, "entries": {"2": {"event_code": 7}}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(errors.as_object().unwrap().keys().any(|k| k.contains("event_code")), "{errors}");
    let (_, still) = json(app.get(path, &ha).await).await;
    assert_eq!(still["customized"], false, "nothing was saved");

    let (status, saved) = put(px.clone(), body).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["entries"]["2"]["event_code"], "CUSTOM_VISIT");

    let list = json!({"FetchPatientDataTimeStampList": [
        record("2", "T-1", "05-Jun-2025 11:06", ""),
        record("Q", "T-2", "05-Jun-2025 11:06", ""),
        record("1", "T-3", "05-Jun-2025 11:06", ""),
    ]});
    let (status, res) = json(post_with_key(&app, HIS, &key, &list).await).await;
    assert_eq!(status, StatusCode::OK, "{res}");
    assert!(res["results"][1]["warning"].is_string());
    let rows = inbound_event::Entity::find().all(app.db()).await.unwrap();
    let code_of = |enc: &str| {
        let mut codes: Vec<String> =
            rows.iter().filter(|e| e.encounter_id == enc).map(|e| e.event_code.clone()).collect();
        codes.sort();
        codes
    };
    assert_eq!(code_of("T-1"), ["CUSTOM_VISIT"]);
    assert_eq!(rows.iter().find(|e| e.encounter_id == "T-1").unwrap().payload["journey_type"], "ems");
    assert_eq!(code_of("T-2"), ["OPD_OTHER"]);
    assert_eq!(code_of("T-3"), ["IP_ADMITTED"], "no discharge event before DischargeDate");
    // Once DischargeDate is set, IP_DISCHARGED is emitted (once: a re-send is idempotent).
    let discharged =
        json!({"FetchPatientDataTimeStampList": [record("1", "T-3", "05-Jun-2025 11:06", "08-Jun-2025 10:00")]});
    for _ in 0..2 {
        let (status, _) = json(post_with_key(&app, HIS, &key, &discharged).await).await;
        assert_eq!(status, StatusCode::OK);
    }
    let rows = inbound_event::Entity::find().all(app.db()).await.unwrap();
    let mut t3: Vec<&str> = rows.iter().filter(|e| e.encounter_id == "T-3").map(|e| e.event_code.as_str()).collect();
    t3.sort_unstable();
    assert_eq!(t3, ["IP_ADMITTED", "IP_DISCHARGED"]);

    // The page shows the map; PX admins edit it there too (CSRF-protected form).
    let (client, _) = app.login_page_session(&email(Role::PxAdmin)).await;
    let url = app.url(&format!("/integrations/his/type-map/?hospital_id={}", app.hospital_a.id));
    let html = client.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"type-map\"") && html.contains("CUSTOM_VISIT") && html.contains("id=\"type-map-form\""));
    let token = hidden_field(&html, "csrf_token").unwrap();
    let hospital = app.hospital_a.id.to_string();
    let resp = client
        .post(app.url("/integrations/his/type-map/"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("hospital_id", hospital.as_str()),
            ("type_0", "2"),
            ("journey_type_0", "opd"),
            ("event_code_0", "OPD_VISIT_COMPLETED"),
            ("type_1", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, map) = json(app.get(&format!("{path}?hospital_id={hospital}"), &px).await).await;
    assert_eq!(map["entries"].as_object().unwrap().len(), 1, "{map}");
    let resp = client
        .post(app.url("/integrations/his/type-map/"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("hospital_id", hospital.as_str()),
            ("type_0", "2"),
            ("journey_type_0", "spa"),
            ("event_code_0", "X"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let ha_html = app
        .login_page_session(&email(Role::HospitalAdmin))
        .await
        .0
        .get(app.url("/integrations/his/type-map/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(ha_html.contains("id=\"type-map\"") && !ha_html.contains("id=\"type-map-form\""));
}

#[tokio::test]
async fn the_simulator_is_a_404_unless_enabled() {
    let app = TestApp::spawn().await;
    let px = app.token(&email(Role::PxAdmin)).await;
    let path = "/api/simulator/his-patient-data/";
    let resp = app.client.post(app.url(path)).json(&json!({})).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND, "not even a 401 when disabled");
    assert_eq!(app.post(path, &px, &json!({"count": 2})).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(event_count(&app).await, 0);
}

#[tokio::test]
async fn the_simulator_feeds_synthetic_records_through_the_feed() {
    let app = TestApp::spawn_with(|c| c.his_simulator = true).await;
    let path = "/api/simulator/his-patient-data/";
    let px = app.token(&email(Role::PxAdmin)).await;
    let (status, body) =
        json(app.post(path, &px, &json!({"count": 0, "hospital_id": uuid::Uuid::now_v7()})).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    common::assert_fields(&body, &["count", "hospital_id"]);
    let (status, body) = json(app.post(path, &px, &json!({"count": "many"})).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    common::assert_fields(&body, &["count"]);
    assert_eq!(
        app.client.post(app.url(path)).json(&json!({})).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );

    let (status, res) =
        json(app.post(path, &px, &json!({"count": 6, "hospital_id": app.hospital_a.id, "types": ["1", "2"]})).await)
            .await;
    assert_eq!(status, StatusCode::OK, "{res}");
    assert_eq!(res["received"], 6);
    assert_eq!(res["accepted"], 6, "{res}");
    let records = res["records"].as_array().unwrap();
    assert_eq!(records.len(), 6);
    for r in records {
        assert!(r["MobileNo"].as_str().unwrap().starts_with("0500000"));
        assert!(r["SSN"].as_str().unwrap().starts_with("10000"));
        assert!(r["PatientID"].as_str().unwrap().starts_with("SIM-"));
        let mrn = r["PatientID"].as_str().unwrap();
        let p = patient_of(&app, mrn).await.expect("the simulated patient exists");
        assert!(!(p.first_name_en.is_empty() && p.first_name_ar.is_empty()));
        assert!(p.phone.starts_with("+966500000"));
    }
    use px360::domains::integrations::model::his_request_log;
    let log = his_request_log::Entity::find().one(app.db()).await.unwrap().unwrap();
    assert_eq!((log.origin.as_str(), log.records_total, log.hospital_id), ("simulator", 6, Some(app.hospital_a.id)));
    assert!(event_count(&app).await >= 6);
    let rows = inbound_event::Entity::find().all(app.db()).await.unwrap();
    assert!(rows.iter().all(|e| e.hospital_id == Some(app.hospital_a.id)), "the events belong to the chosen hospital");
    // Hospital admins simulate for their own hospital.
    let ha = app.token(&email(Role::HospitalAdmin)).await;
    let (status, res) = json(app.post(path, &ha, &json!({})).await).await;
    assert_eq!(status, StatusCode::OK, "{res}");
    assert_eq!(res["received"], 10);
}

#[tokio::test]
async fn the_create_api_key_command_takes_a_rate_limit() {
    use clap::Parser;
    use px360::cli::{Cli, Command};
    use px360::domains::integrations::model::api_key;
    let app = TestApp::spawn().await;
    let code = app.hospital_a.code.clone();
    for (args, want) in [(vec!["--rate-limit", "0"], 0), (vec![], 600), (vec!["--rate-limit", "42"], 42)] {
        let mut argv =
            vec!["px360", "admin", "create-api-key", "--hospital", &code, "--source", "his", "--name", "CLI"];
        argv.extend(args);
        let Command::Admin(admin) = Cli::try_parse_from(argv).unwrap().command else { panic!("not an admin command") };
        px360::seed::admin::run(&app.state, admin).await.unwrap();
        let newest = api_key::Entity::find().all(app.db()).await.unwrap().into_iter().max_by_key(|k| k.id).unwrap();
        assert_eq!(newest.rate_limit_per_minute, want);
    }
    let argv = ["px360", "admin", "create-api-key", "--hospital", &code, "--source", "his", "--rate-limit", "-5"];
    if let Ok(Cli { command: Command::Admin(admin), .. }) = Cli::try_parse_from(argv) {
        assert!(px360::seed::admin::run(&app.state, admin).await.is_err(), "a negative limit is refused");
    }
}
