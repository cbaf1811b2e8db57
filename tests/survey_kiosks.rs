//! Kiosk QR codes: the API (permissions, hospital scope, bad input), the public entry /k/{code}/
//! (an anonymous survey, answerable; inactive or unknown codes 404; rate-limited per client
//! address), the staff page and the QR code as SVG.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Utc;
use common::{ADMIN_B, TestApp, email, json, location};
use px360::auth::Role;
use px360::domains::surveys::model::{survey_instance, survey_question, survey_template};
use px360::domains::surveys::versions;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

/// A published one-question template (rating) of `hospital`.
async fn template(app: &TestApp, hospital: Uuid) -> survey_template::Model {
    let at = Utc::now();
    let t = survey_template::ActiveModel {
        id: Set(Uuid::now_v7()),
        hospital_id: Set(hospital),
        code: Set(format!("k{}", &Uuid::new_v4().simple().to_string()[..8])),
        name_en: Set("Kiosk survey".into()),
        name_ar: Set("استبيان الكشك".into()),
        survey_type: Set("general".into()),
        is_active: Set(true),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
        description_en: Set(String::new()),
        description_ar: Set(String::new()),
        scoring_method: Set("average".into()),
        negative_threshold: Set(None),
        link_valid_days: Set(1),
        throttle_exempt: Set(false),
        reminder_max: Set(0),
        reminder_interval_hours: Set(48),
        current_version: Set(0),
        has_draft_changes: Set(true),
    }
    .insert(app.db())
    .await
    .unwrap();
    survey_question::ActiveModel {
        id: Set(Uuid::now_v7()),
        survey_template_id: Set(t.id),
        position: Set(0),
        code: Set("overall".into()),
        text_en: Set("How was your visit?".into()),
        text_ar: Set("كيف كانت زيارتك؟".into()),
        question_type: Set("rating".into()),
        is_required: Set(true),
        weight: Set(1.0),
        choices: Set(json!([])),
        allow_multiple: Set(false),
        show_if: Set(None),
        is_overall: Set(true),
        counts_for_physician: Set(false),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(app.db())
    .await
    .unwrap();
    let txn = app.db().begin().await.unwrap();
    versions::publish(&txn, &t, None).await.unwrap();
    txn.commit().await.unwrap();
    survey_template::Entity::find_by_id(t.id).one(app.db()).await.unwrap().unwrap()
}

fn random_ip() -> String {
    let b = Uuid::new_v4().into_bytes();
    format!("10.{}.{}.{}", b[0], b[1], b[2].max(1))
}

async fn spawn(limit: u32) -> TestApp {
    TestApp::spawn_with(|c| {
        c.trust_forwarded_for = true;
        c.public_rate_limit_per_hour = limit;
    })
    .await
}

async fn scan(app: &TestApp, ip: &str, path: &str) -> reqwest::Response {
    app.client.get(app.url(path)).header("x-forwarded-for", ip).send().await.unwrap()
}

/// Creates a kiosk of hospital A through the API; returns its JSON.
async fn kiosk(app: &TestApp, admin: &str, template: Uuid, department: Option<Uuid>) -> serde_json::Value {
    let resp = app
        .post(
            "/api/surveys/kiosks/",
            admin,
            &json!({"name": "Emergency waiting room", "survey_template_id": template, "department_id": department}),
        )
        .await;
    let (status, body) = json(resp).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

#[tokio::test]
async fn the_api_creates_lists_and_switches_kiosks_within_the_hospital() {
    let app = spawn(20).await;
    let admin = app.token(&email(Role::HospitalAdmin)).await;
    let nurse = app.token(&email(Role::Nurse)).await;
    let admin_b = app.token(ADMIN_B).await;
    let t = template(&app, app.hospital_a.id).await;
    let t_b = template(&app, app.hospital_b.id).await;
    let emr = app.department_id(app.hospital_a.id, "EMR-001").await;

    let k = kiosk(&app, &admin, t.id, Some(emr)).await;
    let code = k["code"].as_str().unwrap();
    assert!((10..=16).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric()), "{code}");
    assert!(k["url"].as_str().unwrap().ends_with(&format!("/k/{code}/")));
    assert_eq!(k["is_active"], true);
    assert_eq!(k["hospital_id"], app.hospital_a.id.to_string());
    let id = k["id"].as_str().unwrap();

    // Bad input.
    for (body, fields) in [
        (json!({"name": "x"}), vec!["survey_template_id"]),
        (json!({"survey_template_id": t.id}), vec!["name"]),
        (json!({"name": "x", "survey_template_id": t_b.id}), vec!["survey_template_id"]),
        (json!({"name": "x", "survey_template_id": t.id, "department_id": Uuid::now_v7()}), vec!["department_id"]),
        (json!({"name": "x", "survey_template_id": t.id, "colour": "red"}), vec!["colour"]),
        (json!({"name": 5, "survey_template_id": t.id}), vec!["name"]),
    ] {
        let (status, err) = json(app.post("/api/surveys/kiosks/", &admin, &body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        common::assert_fields(&err, &fields);
    }
    // Reading needs ViewSurveys, writing ManageSurveyTemplates; another hospital sees nothing.
    let (status, list) = json(app.get("/api/surveys/kiosks/", &nurse).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let resp = app.post("/api/surveys/kiosks/", &nurse, &json!({"name": "x", "survey_template_id": t.id})).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let viewer = app.token(&email(Role::Staff)).await;
    assert_eq!(app.get("/api/surveys/kiosks/", &viewer).await.status(), StatusCode::FORBIDDEN);
    let (_, list_b) = json(app.get("/api/surveys/kiosks/", &admin_b).await).await;
    assert_eq!(list_b.as_array().unwrap().len(), 0);
    let path = format!("/api/surveys/kiosks/{id}/");
    assert_eq!(app.patch(&path, &admin_b, &json!({"is_active": false})).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&path, &admin_b).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/surveys/kiosks/nope/", &admin).await.status(), StatusCode::NOT_FOUND);

    let (status, body) = json(app.patch(&path, &admin, &json!({"is_active": "no"})).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    common::assert_fields(&body, &["is_active"]);
    let (status, body) = json(app.patch(&path, &admin, &json!({"is_active": false, "name": "Lobby"})).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["is_active"], false);
    assert_eq!(body["name"], "Lobby");
    assert_eq!(app.delete(&path, &admin).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path, &admin).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn scanning_opens_an_anonymous_survey_to_answer() {
    let app = spawn(20).await;
    let admin = app.token(&email(Role::HospitalAdmin)).await;
    let t = template(&app, app.hospital_a.id).await;
    let emr = app.department_id(app.hospital_a.id, "EMR-001").await;
    let k = kiosk(&app, &admin, t.id, Some(emr)).await;
    let code = k["code"].as_str().unwrap();
    let ip = random_ip();

    let resp = scan(&app, &ip, &format!("/k/{code}/?lang=en")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let to = location(&resp);
    assert!(to.starts_with("/s/") && to.ends_with("/?lang=en"), "{to}");
    let s = survey_instance::Entity::find()
        .filter(survey_instance::Column::Source.eq("kiosk"))
        .one(app.db())
        .await
        .unwrap()
        .expect("a kiosk survey");
    assert_eq!(s.department_id, Some(emr));
    assert!(s.patient_id.is_none() && s.message_id.is_none());

    let page = scan(&app, &ip, &to).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("How was your visit?"));
    let form_path = to.split('?').next().unwrap().to_owned();
    let resp = app
        .client
        .post(app.url(&form_path))
        .header("x-forwarded-for", &ip)
        .form(&[("overall", "4"), ("finish", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let done = survey_instance::Entity::find_by_id(s.id).one(app.db()).await.unwrap().unwrap();
    assert_eq!(done.status, "completed");
    assert_eq!(done.total_score, Some(4.0));

    // Each scan is a new survey.
    let again = location(&scan(&app, &ip, &format!("/k/{code}/")).await);
    assert_ne!(again, to);
    assert!(again.ends_with("?lang=ar"), "Arabic by default: {again}");

    // Inactive and unknown codes: 404 pages.
    let id = k["id"].as_str().unwrap();
    app.patch(&format!("/api/surveys/kiosks/{id}/"), &admin, &json!({"is_active": false})).await;
    let resp = scan(&app, &ip, &format!("/k/{code}/")).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert!(resp.text().await.unwrap().contains("id=\"kiosk-closed\""));
    assert_eq!(scan(&app, &ip, "/k/doesnotexist/").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(scan(&app, &ip, "/k/%3Cscript%3E/").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn scans_are_rate_limited_per_client_address() {
    let app = spawn(2).await;
    let admin = app.token(&email(Role::HospitalAdmin)).await;
    let t = template(&app, app.hospital_a.id).await;
    let k = kiosk(&app, &admin, t.id, None).await;
    let path = format!("/k/{}/", k["code"].as_str().unwrap());
    let ip = random_ip();
    // Ten times the public limit (2): one waiting room's Wi-Fi is one address.
    for i in 0..20 {
        assert_eq!(scan(&app, &ip, &path).await.status(), StatusCode::SEE_OTHER, "scan {i}");
    }
    let resp = scan(&app, &ip, &format!("{path}?lang=en")).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.headers().get("retry-after").is_some());
    assert!(resp.text().await.unwrap().contains("Too many attempts"));
    assert_eq!(scan(&app, &random_ip(), &path).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_staff_page_lists_kiosks_with_a_printable_svg_qr_code() {
    let app = spawn(20).await;
    let (client, csrf) = app.login_page_session(&email(Role::HospitalAdmin)).await;
    let t = template(&app, app.hospital_a.id).await;
    let resp = client
        .post(app.url("/surveys/kiosks/"))
        .form(&[("csrf_token", csrf.as_str()), ("name", ""), ("survey_template_id", &t.id.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "a name is required");
    let resp = client
        .post(app.url("/surveys/kiosks/"))
        .form(&[("csrf_token", csrf.as_str()), ("name", "Outpatient lobby"), ("survey_template_id", &t.id.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let html = client.get(app.url("/surveys/kiosks/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Outpatient lobby") && html.contains("qr.svg"));
    let id = html.split("data-kiosk=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();

    let resp = client.get(app.url(&format!("/surveys/kiosks/{id}/qr.svg"))).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers().get("content-type").unwrap(), "image/svg+xml");
    assert!(resp.text().await.unwrap().contains("<svg"));
    let print = client.get(app.url(&format!("/surveys/kiosks/{id}/print/"))).send().await.unwrap();
    assert_eq!(print.status(), StatusCode::OK);

    // Deactivate from the page.
    let resp = client
        .post(app.url(&format!("/surveys/kiosks/{id}/active/")))
        .form(&[("csrf_token", csrf.as_str()), ("is_active", "false")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let html = client.get(app.url("/surveys/kiosks/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("text-bg-secondary"));

    // Hospital B's admin cannot read hospital A's QR code.
    let (other, _) = app.login_page_session(ADMIN_B).await;
    let resp = other.get(app.url(&format!("/surveys/kiosks/{id}/qr.svg"))).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}
