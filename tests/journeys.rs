//! Journey templates and their stages over the API, the instances events fill, and the pages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ADMIN_B, TestApp, email, json};
use px360::auth::Role;
use px360::jobs::Queue;
use reqwest::StatusCode;
use serde_json::{Value, json};

const T: &str = "/api/journeys/templates/";

async fn drain(app: &TestApp) {
    while px360::jobs::worker::process_batch(&app.state, Queue::Events, "test-events", 16).await.unwrap() > 0 {}
}

async fn template(app: &TestApp, token: &str, name: &str, kind: &str, default: bool) -> Value {
    let body = json!({"name_en": name, "name_ar": "رحلة", "journey_type": kind, "is_default": default});
    let (status, body) = json(app.post(T, token, &body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn stage(app: &TestApp, token: &str, tid: &str, code: &str, trigger: &str) -> Value {
    let body = json!({"code": code, "name_en": format!("Stage {code}"), "name_ar": format!("مرحلة {code}"),
                      "trigger_event_code": trigger});
    let (status, body) = json(app.post(&format!("{T}{tid}/stages/"), token, &body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn templates_crud_and_one_default_per_hospital_and_type() {
    let app = TestApp::spawn().await;
    let token = app.token(&email(Role::HospitalAdmin)).await;
    let (status, body) = json(app.post(T, &token, &json!({"name_en": "X"})).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.to_string().contains("journey_type"), "{body}");
    let (status, _) = json(app.post(T, &token, &json!({"name_en": "X", "journey_type": "bogus"})).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let a = template(&app, &token, "OPD one", "opd", true).await;
    assert_eq!(a["hospital_id"], app.hospital_a.id.to_string());
    assert_eq!(a["is_active"], true);
    let b = template(&app, &token, "OPD two", "opd", true).await;
    let c = template(&app, &token, "EMS", "ems", true).await;
    let (_, a2) = json(app.get(&format!("{T}{}/", id(&a)), &token).await).await;
    assert_eq!(a2["is_default"], false, "setting b as default cleared a");
    let (_, c2) = json(app.get(&format!("{T}{}/", id(&c)), &token).await).await;
    assert_eq!(c2["is_default"], true, "another type keeps its default");
    let (status, a3) = json(app.patch(&format!("{T}{}/", id(&a)), &token, &json!({"is_default": true})).await).await;
    assert_eq!(status, StatusCode::OK, "{a3}");
    let (_, b2) = json(app.get(&format!("{T}{}/", id(&b)), &token).await).await;
    assert_eq!(b2["is_default"], false);

    let (status, list) = json(app.get(&format!("{T}?journey_type=opd"), &token).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["count"], 2);

    let resp = app.delete(&format!("{T}{}/", id(&b)), &token).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let (status, _) = json(app.get(&format!("{T}{}/", id(&b)), &token).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A viewer may read but not write.
    let viewer = app.token(&email(Role::Viewer)).await;
    let (status, _) = json(app.get(T, &viewer).await).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = json(app.post(T, &viewer, &json!({"name_en": "X", "journey_type": "opd"})).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn stages_add_validate_reorder_and_scope() {
    let app = TestApp::spawn().await;
    let token = app.token(&email(Role::HospitalAdmin)).await;
    let t = template(&app, &token, "OPD", "opd", true).await;
    let tid = id(&t);
    let s1 = stage(&app, &token, &tid, "REG", "opd_registration").await;
    assert_eq!(s1["trigger_event_code"], "OPD_REGISTRATION");
    assert_eq!(s1["position"], 1);
    let s2 = stage(&app, &token, &tid, "CONS", "OPD_CONSULTATION_DONE").await;
    let s3 = stage(&app, &token, &tid, "DONE", "OPD_VISIT_COMPLETED").await;
    assert_eq!(s3["position"], 3);

    let dup = json!({"code": "AGAIN", "name_en": "Again", "trigger_event_code": "opd_registration"});
    let (status, body) = json(app.post(&format!("{T}{tid}/stages/"), &token, &dup).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["fields"]["trigger_event_code"].is_array() || body.to_string().contains("trigger_event_code"),
        "{body}"
    );
    let bad = json!({"code": "X", "name_en": "X", "trigger_event_code": "X_EVENT", "send_delay_minutes": 10081});
    let (status, body) = json(app.post(&format!("{T}{tid}/stages/"), &token, &bad).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.to_string().contains("send_delay_minutes"), "{body}");
    let bad = json!({"code": "X", "name_en": "X", "trigger_event_code": "X_EVENT",
                     "survey_template_id": "00000000-0000-0000-0000-000000000001"});
    let (status, body) = json(app.post(&format!("{T}{tid}/stages/"), &token, &bad).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.to_string().contains("survey_template_id"), "{body}");

    let (status, body) =
        json(app.patch(&format!("{T}{tid}/stages/{}/", id(&s2)), &token, &json!({"send_delay_minutes": 30})).await)
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["send_delay_minutes"], 30);

    let order = json!({"order": [id(&s3), id(&s1), id(&s2)]});
    let (status, body) = json(app.post(&format!("{T}{tid}/stages/reorder/"), &token, &order).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, list) = json(app.get(&format!("{T}{tid}/stages/"), &token).await).await;
    let codes: Vec<&str> = list.as_array().unwrap().iter().map(|s| s["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["DONE", "REG", "CONS"]);
    let (status, _) =
        json(app.post(&format!("{T}{tid}/stages/reorder/"), &token, &json!({"order": [id(&s1)]})).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an incomplete order is refused");

    let resp = app.delete(&format!("{T}{tid}/stages/{}/", id(&s3)), &token).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);

    // Another hospital's admin sees none of it.
    let other = app.token(ADMIN_B).await;
    let (status, _) = json(app.get(&format!("{T}{tid}/"), &other).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = json(app.get(&format!("{T}{tid}/stages/"), &other).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = json(app.post(&format!("{T}{tid}/stages/"), &other, &dup).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let resp = app.delete(&format!("{T}{tid}/stages/{}/", id(&s1)), &other).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

fn event(code: &str, encounter: &str) -> Value {
    json!({
        "source_system": "his",
        "event_code": code,
        "encounter_id": encounter,
        "patient_identifier": format!("MRN-{encounter}"),
        "payload_json": {"timestamp": "2026-01-05T10:12:00+03:00",
                         "custom_fields": {"patient_phone": "0501234567"}}
    })
}

/// A hospital-A template with two stages, one event posted and processed for ENC-J1.
async fn journey_app() -> (TestApp, String, String, Value, Value) {
    let app = TestApp::spawn().await;
    let token = app.token(&email(Role::HospitalAdmin)).await;
    let t = template(&app, &token, "Clinic visit", "opd", true).await;
    let tid = id(&t);
    let s1 = stage(&app, &token, &tid, "ARRIVE", "CLINIC_ARRIVAL").await;
    let s2 = stage(&app, &token, &tid, "LEAVE", "CLINIC_EXIT").await;
    let (status, body) =
        json(app.post("/api/integrations/events/", &token, &event("CLINIC_ARRIVAL", "ENC-J1")).await).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    drain(&app).await;
    (app, token, tid, s1, s2)
}

#[tokio::test]
async fn a_used_stage_cannot_be_deleted() {
    let (app, token, tid, s1, _) = journey_app().await;
    let (status, body) = json(app.delete(&format!("{T}{tid}/stages/{}/", id(&s1)), &token).await).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.to_string().contains("cannot be deleted"), "{body}");
}

#[tokio::test]
async fn the_instance_shows_the_completed_stage_with_its_event() {
    let (app, token, _, _, _) = journey_app().await;
    let (status, list) = json(app.get("/api/journeys/instances/?encounter_id=ENC-J1", &token).await).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["count"], 1);
    let jid = list["results"][0]["id"].as_str().unwrap().to_owned();
    let patient = list["results"][0]["patient_id"].as_str().unwrap().to_owned();
    let (_, by_patient) = json(app.get(&format!("/api/journeys/instances/?patient_id={patient}"), &token).await).await;
    assert_eq!(by_patient["count"], 1);
    let (_, none) = json(app.get("/api/journeys/instances/?status=completed", &token).await).await;
    assert_eq!(none["count"], 0);

    let (status, j) = json(app.get(&format!("/api/journeys/instances/{jid}/"), &token).await).await;
    assert_eq!(status, StatusCode::OK, "{j}");
    assert_eq!(j["status"], "active");
    let stages = j["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 2);
    assert_eq!(stages[0]["code"], "ARRIVE");
    assert_eq!(stages[0]["status"], "completed");
    assert_eq!(stages[0]["completed_by_event_code"], "CLINIC_ARRIVAL");
    assert!(stages[0]["completed_by_event_id"].is_string());
    assert!(stages[0]["completed_at"].is_string());
    assert_eq!(stages[1]["status"], "pending");
    assert!(j["surveys"].as_array().unwrap().is_empty());

    // Another hospital does not see it.
    let other = app.token(ADMIN_B).await;
    let (status, _) = json(app.get(&format!("/api/journeys/instances/{jid}/"), &other).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = json(app.get("/api/journeys/instances/", &other).await).await;
    assert_eq!(list["count"], 0);
}

#[tokio::test]
async fn the_pages_manage_stages_and_show_the_timeline_in_arabic() {
    let (app, token, tid, s1, s2) = journey_app().await;
    let (client, csrf) = app.login_page_session(&email(Role::HospitalAdmin)).await;
    for lang in ["en", "ar"] {
        let resp = client
            .post(app.url("/i18n/set-language/"))
            .form(&[("csrf_token", csrf.as_str()), ("language", lang)])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        for page in ["/journeys/templates/".to_owned(), format!("/journeys/templates/{tid}/")] {
            let resp = client.get(app.url(&page)).send().await.unwrap();
            assert_eq!(resp.status(), StatusCode::OK, "{page}");
            let html = resp.text().await.unwrap();
            assert!(html.contains(&format!("/journeys/templates/{tid}/stages/")) || page.ends_with("templates/"));
            assert!(!html.contains("journeys-") || html.contains("/journeys/"), "{page}");
        }
    }
    // The stages page (Arabic now): the stages, the add form and the preview.
    let stages_url = app.url(&format!("/journeys/templates/{tid}/stages/"));
    let html = client.get(&stages_url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("dir=\"rtl\""));
    assert!(html.contains("مرحلة ARRIVE") && html.contains("CLINIC_EXIT") && html.contains("id=\"preview\""));
    assert!(!html.contains(">journeys-"), "no raw key");
    let resp = client
        .post(&stages_url)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("code", "PAY"),
            ("name_en", "Pay"),
            ("name_ar", "الدفع"),
            ("trigger_event_code", "clinic_payment"),
            ("survey_template_id", ""),
            ("send_delay_minutes", "5"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let resp = client
        .post(&stages_url)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("code", "PAY2"),
            ("name_en", "Pay"),
            ("trigger_event_code", "CLINIC_PAYMENT"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "duplicate trigger on the page too");
    let (_, list) = json(app.get(&format!("{T}{tid}/stages/"), &token).await).await;
    let pay = list.as_array().unwrap().iter().find(|s| s["code"] == "PAY").unwrap()["id"].as_str().unwrap().to_owned();
    let resp = client
        .post(app.url(&format!("/journeys/templates/{tid}/stages/{pay}/up/")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, list) = json(app.get(&format!("{T}{tid}/stages/"), &token).await).await;
    let codes: Vec<&str> = list.as_array().unwrap().iter().map(|s| s["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["ARRIVE", "PAY", "LEAVE"]);
    // Deleting a used stage from the page explains why it cannot.
    let resp = client
        .post(app.url(&format!("/journeys/templates/{tid}/stages/{}/delete/", id(&s1))))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let _ = s2;

    // The timeline, in Arabic, and the patient's journeys page linking to it.
    let (_, list) = json(app.get("/api/journeys/instances/?encounter_id=ENC-J1", &token).await).await;
    let jid = list["results"][0]["id"].as_str().unwrap().to_owned();
    let patient = list["results"][0]["patient_id"].as_str().unwrap().to_owned();
    let resp = client.get(app.url(&format!("/journeys/instances/{jid}/"))).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("dir=\"rtl\""));
    assert!(html.contains("مرحلة ARRIVE") && html.contains("مرحلة LEAVE"), "stage names");
    assert!(html.contains("CLINIC_ARRIVAL") && html.contains("مكتملة") && html.contains("قيد الانتظار"));
    assert!(!html.contains(">journeys-") && !html.contains(">stage-status-"), "no raw key");
    let html =
        client.get(app.url(&format!("/organizations/patients/{patient}/"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&format!("/organizations/patients/{patient}/journeys/")));
    let resp = client.get(app.url(&format!("/organizations/patients/{patient}/journeys/"))).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains(&format!("/journeys/instances/{jid}/")));

    // Another hospital gets a 404 page.
    let (other, _) = app.login_page_session(ADMIN_B).await;
    let resp = other.get(app.url(&format!("/journeys/instances/{jid}/"))).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = other.get(&stages_url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_stage_survey_must_be_of_the_hospital_and_shows_on_the_timeline() {
    let app = TestApp::spawn().await;
    let token = app.token(&email(Role::HospitalAdmin)).await;
    let mine =
        px360::seed::bench::survey_template(app.db(), app.hospital_a.id, "CLINIC", "Clinic survey", "استبيان العيادة")
            .await
            .unwrap();
    let theirs =
        px360::seed::bench::survey_template(app.db(), app.hospital_b.id, "OTHER", "Other", "أخرى").await.unwrap();
    let t = template(&app, &token, "Clinic", "opd", true).await;
    let tid = id(&t);
    let body =
        json!({"code": "SEEN", "name_en": "Seen", "trigger_event_code": "CLINIC_SEEN", "survey_template_id": theirs});
    let (status, body) = json(app.post(&format!("{T}{tid}/stages/"), &token, &body).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.to_string().contains("survey_template_id"), "{body}");
    let body = json!({"code": "SEEN", "name_en": "Seen", "name_ar": "تمت المعاينة",
                      "trigger_event_code": "CLINIC_SEEN", "survey_template_id": mine});
    let (status, body) = json(app.post(&format!("{T}{tid}/stages/"), &token, &body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    stage(&app, &token, &tid, "OUT", "CLINIC_OUT").await;
    let (status, _) = json(app.post("/api/integrations/events/", &token, &event("CLINIC_SEEN", "ENC-S1")).await).await;
    assert_eq!(status, StatusCode::CREATED);
    drain(&app).await;
    let (_, list) = json(app.get("/api/journeys/instances/?encounter_id=ENC-S1", &token).await).await;
    let jid = list["results"][0]["id"].as_str().unwrap().to_owned();
    let (_, j) = json(app.get(&format!("/api/journeys/instances/{jid}/"), &token).await).await;
    let surveys = j["surveys"].as_array().unwrap();
    assert_eq!(surveys.len(), 1, "{j}");
    assert_eq!(surveys[0]["survey_name_en"], "Clinic survey");
    assert_eq!(surveys[0]["stage_instance_id"], j["stages"][0]["id"]);

    let (client, _) = app.login_page_session(&email(Role::HospitalAdmin)).await;
    let html = client.get(app.url(&format!("/journeys/instances/{jid}/"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"surveys\"") && html.contains("استبيان العيادة") || html.contains("Clinic survey"));
    let html =
        client.get(app.url(&format!("/journeys/templates/{tid}/stages/"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("استبيان العيادة") || html.contains("Clinic survey"), "the preview names the survey");
}

/// A hospital-A template whose first stage (CLINIC_SEEN) has a survey sent `delay` minutes later
/// and whose second (CLINIC_OUT) has none.
async fn survey_journey(app: &TestApp, token: &str, delay: i32) {
    px360::seed::reference::seed_notification_templates(app.db(), false).await.unwrap();
    let survey =
        px360::seed::bench::survey_template(app.db(), app.hospital_a.id, "CLINIC", "Clinic survey", "استبيان العيادة")
            .await
            .unwrap();
    let tid = id(&template(app, token, "Clinic", "opd", true).await);
    let body = json!({"code": "SEEN", "name_en": "Seen", "name_ar": "تمت المعاينة", "trigger_event_code": "CLINIC_SEEN",
                      "survey_template_id": survey, "send_delay_minutes": delay});
    let (status, body) = json(app.post(&format!("{T}{tid}/stages/"), token, &body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    stage(app, token, &tid, "OUT", "CLINIC_OUT").await;
}

async fn post_event(app: &TestApp, token: &str, code: &str, encounter: &str) -> String {
    let (status, body) = json(app.post("/api/integrations/events/", token, &event(code, encounter)).await).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    id(&body)
}

#[tokio::test]
async fn a_stage_delay_holds_the_invitation_until_it_is_due() {
    let app = TestApp::spawn().await;
    let token = app.token(&email(Role::HospitalAdmin)).await;
    survey_journey(&app, &token, 90).await;
    let before = chrono::Utc::now();
    post_event(&app, &token, "CLINIC_SEEN", "ENC-D1").await;
    drain(&app).await;

    let (_, list) = json(app.get("/api/journeys/instances/?encounter_id=ENC-D1", &token).await).await;
    let jid = list["results"][0]["id"].as_str().unwrap().to_owned();
    let (_, j) = json(app.get(&format!("/api/journeys/instances/{jid}/"), &token).await).await;
    assert_eq!(j["surveys"].as_array().unwrap().len(), 1, "{j}");

    use px360::domains::notifications::model::message;
    use px360::jobs::model::job;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let messages = message::Entity::find().all(app.db()).await.unwrap();
    assert_eq!(messages.len(), 1, "one invitation");
    let jobs = job::Entity::find().filter(job::Column::Kind.eq("send_notification")).all(app.db()).await.unwrap();
    assert_eq!(jobs.len(), 1, "one delivery job");
    let (message_at, job_at, job_status) = (messages[0].scheduled_for, jobs[0].run_at, jobs[0].status.clone());
    assert!(jobs[0].payload.to_string().contains(&messages[0].id.to_string()));
    let due = before + chrono::Duration::minutes(90);
    assert!(message_at >= due && message_at < due + chrono::Duration::minutes(1), "message due {message_at}");
    assert!(job_at >= due && job_at < due + chrono::Duration::minutes(1), "job runs at {job_at}");
    assert_eq!(job_status, "queued");
    // Nothing is sent before it is due.
    assert_eq!(px360::jobs::worker::process_batch(&app.state, Queue::Notifications, "t", 16).await.unwrap(), 0);
}

#[tokio::test]
async fn an_event_that_fails_in_a_batch_does_not_hold_back_the_others() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = TestApp::spawn().await;
    let token = app.token(&email(Role::HospitalAdmin)).await;
    survey_journey(&app, &token, 0).await;
    // The survey table is gone for a moment: events that create a survey fail, the others don't.
    let backend = app.db().get_database_backend();
    let rename = |from: &str, to: &str| Statement::from_string(backend, format!("ALTER TABLE {from} RENAME TO {to}"));
    app.db().execute_raw(rename("survey_instances", "survey_instances_away")).await.unwrap();
    let failing = post_event(&app, &token, "CLINIC_SEEN", "ENC-F1").await;
    let f2 = post_event(&app, &token, "CLINIC_OUT", "ENC-F2").await;
    let f3 = post_event(&app, &token, "CLINIC_OUT", "ENC-F3").await;
    let f4 = post_event(&app, &token, "NOT_A_STAGE", "ENC-F4").await;
    // One claim holds all four: they share a transaction until the failure splits them.
    assert_eq!(px360::jobs::worker::process_batch(&app.state, Queue::Events, "t", 1).await.unwrap(), 4);

    let status = |id: String| {
        let app = &app;
        let token = &token;
        async move {
            let (_, e) = json(app.get(&format!("/api/integrations/events/{id}/"), token).await).await;
            (e["status"].as_str().unwrap().to_owned(), e["attempts"].as_i64().unwrap(), e["status_reason"].to_string())
        }
    };
    assert_eq!(status(f2.clone()).await.0, "processed");
    assert_eq!(status(f3.clone()).await.0, "processed");
    assert_eq!(status(f4).await.0, "ignored");
    let (s, attempts, reason) = status(failing.clone()).await;
    assert_eq!((s.as_str(), attempts), ("pending", 1), "{reason}");
    assert!(reason.contains("survey_instances"), "the error is kept on the event: {reason}");

    // Back in place, the retry completes it exactly once.
    app.db().execute_raw(rename("survey_instances_away", "survey_instances")).await.unwrap();
    app.db()
        .execute_raw(Statement::from_string(backend, "UPDATE jobs SET run_at = created_at WHERE status = 'queued'"))
        .await
        .unwrap();
    drain(&app).await;
    assert_eq!(status(failing).await.0, "processed");
    let (_, list) = json(app.get("/api/journeys/instances/?encounter_id=ENC-F1", &token).await).await;
    let jid = list["results"][0]["id"].as_str().unwrap().to_owned();
    let (_, j) = json(app.get(&format!("/api/journeys/instances/{jid}/"), &token).await).await;
    assert_eq!(j["surveys"].as_array().unwrap().len(), 1, "{j}");
}

#[tokio::test]
async fn a_stage_added_after_the_journey_started_joins_it_when_its_event_comes() {
    let (app, token, tid, _, _) = journey_app().await;
    stage(&app, &token, &tid, "PAY", "CLINIC_PAID").await;
    let ev = post_event(&app, &token, "CLINIC_PAID", "ENC-J1").await;
    drain(&app).await;
    let (_, e) = json(app.get(&format!("/api/integrations/events/{ev}/"), &token).await).await;
    assert_eq!(e["status"], "processed", "{e}");
    let (_, list) = json(app.get("/api/journeys/instances/?encounter_id=ENC-J1", &token).await).await;
    let jid = list["results"][0]["id"].as_str().unwrap().to_owned();
    let (_, j) = json(app.get(&format!("/api/journeys/instances/{jid}/"), &token).await).await;
    let stages = j["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 3, "{j}");
    let paid = stages.iter().find(|s| s["code"] == "PAY").expect("the new stage");
    assert_eq!(paid["status"], "completed");
    assert_eq!(j["status"], "active", "LEAVE is still pending");
    // Sent again, it is a duplicate like any other.
    let again = post_event(&app, &token, "CLINIC_PAID", "ENC-J1").await;
    drain(&app).await;
    let (_, e) = json(app.get(&format!("/api/integrations/events/{again}/"), &token).await).await;
    assert_eq!(e["status"], "ignored", "{e}");
}
