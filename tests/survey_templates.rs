//! The survey template builder: the JSON API (templates, draft questions, reorder, publish,
//! preview, versions), its validation, scope and roles, and the builder and preview pages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ADMIN_B, TestApp, assert_detail, assert_fields, email, json, location, meta_csrf};
use px360::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

const BASE: &str = "/api/surveys/templates/";

async fn create_template(app: &TestApp, token: &str, code: &str) -> String {
    let (status, body) = json(
        app.post(
            BASE,
            token,
            &json!({"code": code, "name_en": "After discharge", "name_ar": "بعد الخروج", "survey_type": "stage"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().expect("id").to_owned()
}

fn rating(code: &str) -> Value {
    json!({"code": code, "text_en": format!("How was {code}?"), "text_ar": "كيف كانت تجربتك؟", "question_type": "rating"})
}

async fn add(app: &TestApp, token: &str, id: &str, q: &Value) -> (StatusCode, Value) {
    json(app.post(&format!("{BASE}{id}/questions/"), token, q).await).await
}

#[tokio::test]
async fn templates_and_questions_are_built_validated_and_versioned() {
    let app = TestApp::spawn().await;
    let admin = app.token(&email(Role::HospitalAdmin)).await;
    let id = create_template(&app, &admin, "DISCHARGE").await;

    // The new template: defaults, nothing published, a draft to publish.
    let (status, t) = json(app.get(&format!("{BASE}{id}/"), &admin).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(t["hospital_id"], json!(app.hospital_a.id));
    assert_eq!(t["scoring_method"], "average");
    assert_eq!(t["link_valid_days"], 7);
    assert_eq!(t["current_version"], 0);
    assert_eq!(t["questions"], json!([]));
    assert_eq!(t["versions"], json!([]));

    // Questions: a rating, a yes/no, a conditional text, a multiple choice.
    let (s, q1) = add(&app, &admin, &id, &rating("overall")).await;
    assert_eq!(s, StatusCode::CREATED, "{q1}");
    assert_eq!(q1["position"], 1);
    assert_eq!(q1["is_required"], true);
    assert_eq!(q1["weight"], 1.0);
    let (s, b) = add(
        &app,
        &admin,
        &id,
        &json!({"code": "why", "text_en": "What went wrong?", "text_ar": "ما الذي حدث؟", "question_type": "textarea",
            "is_required": false, "show_if": {"question_code": "overall", "op": "lte", "value": 2}}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["show_if"], json!({"question_code": "overall", "op": "lte", "value": "2"}));
    let (s, b) = add(
        &app,
        &admin,
        &id,
        &json!({"code": "wait", "text_en": "Waiting time", "text_ar": "وقت الانتظار", "question_type": "multiple_choice",
            "choices": [{"value": "short", "label_en": "Short", "label_ar": "قصير", "score": 5},
                        {"value": "long", "label_en": "Long", "label_ar": "طويل", "score": 1}]}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let wait_id = b["id"].as_str().unwrap().to_owned();

    // Bad questions: each named by field, nothing stored.
    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        (
            "bad code",
            json!({"code": "Bad Code", "text_en": "x", "text_ar": "س", "question_type": "rating"}),
            vec!["code"],
        ),
        ("missing Arabic text", json!({"code": "a1", "text_en": "x", "question_type": "rating"}), vec!["text_ar"]),
        (
            "blank Arabic text",
            json!({"code": "a1", "text_en": "x", "text_ar": " ", "question_type": "rating"}),
            vec!["text_ar"],
        ),
        (
            "one choice",
            json!({"code": "a1", "text_en": "x", "text_ar": "س", "question_type": "multiple_choice",
                "choices": [{"value": "a", "label_en": "A", "label_ar": "أ"}]}),
            vec!["choices"],
        ),
        (
            "condition on a later (unknown) question",
            json!({"code": "a1", "text_en": "x", "text_ar": "س", "question_type": "rating",
                "show_if": {"question_code": "later", "op": "eq", "value": "1"}}),
            vec!["show_if"],
        ),
        (
            "condition on a text question",
            json!({"code": "a1", "text_en": "x", "text_ar": "س", "question_type": "rating",
                "show_if": {"question_code": "why", "op": "eq", "value": "bad"}}),
            vec!["show_if"],
        ),
        (
            "condition value not a choice",
            json!({"code": "a1", "text_en": "x", "text_ar": "س", "question_type": "rating",
                "show_if": {"question_code": "wait", "op": "eq", "value": "medium"}}),
            vec!["show_if"],
        ),
        (
            "weight 0",
            json!({"code": "a1", "text_en": "x", "text_ar": "س", "question_type": "rating", "weight": 0}),
            vec!["weight"],
        ),
        (
            "unknown type",
            json!({"code": "a1", "text_en": "x", "text_ar": "س", "question_type": "stars"}),
            vec!["question_type"],
        ),
        ("duplicate code", rating("overall"), vec!["code"]),
        (
            "unknown field",
            json!({"code": "a1", "text_en": "x", "text_ar": "س", "question_type": "rating", "colour": "red"}),
            vec!["colour"],
        ),
        (
            "wrong type",
            json!({"code": "a1", "text_en": "x", "text_ar": "س", "question_type": "rating", "weight": "heavy"}),
            vec!["weight"],
        ),
        (
            "wrong type of flag",
            json!({"code": "a1", "text_en": "x", "text_ar": "س", "question_type": "rating", "is_required": "yes"}),
            vec!["is_required"],
        ),
    ];
    for (name, body, fields) in cases {
        let (s, b) = add(&app, &admin, &id, &body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{name}: {b}");
        assert_fields(&b, &fields);
    }
    let (_, t) = json(app.get(&format!("{BASE}{id}/"), &admin).await).await;
    let codes: Vec<&str> = t["questions"].as_array().unwrap().iter().map(|q| q["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["overall", "why", "wait"]);
    let overall_id = t["questions"][0]["id"].as_str().unwrap().to_owned();

    // Reorder and delete are refused while a condition depends on the question.
    let (s, b) =
        json(app.post(&format!("{BASE}{id}/reorder/"), &admin, &json!({"codes": ["why", "overall", "wait"]})).await)
            .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert!(b["codes"][0].as_str().unwrap().contains("why"), "{b}");
    let (s, b) = json(app.delete(&format!("{BASE}{id}/questions/{overall_id}/"), &admin).await).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_detail(&b, "question_in_use");
    assert!(b["detail"].as_str().unwrap().contains("why"), "{b}");
    // Renaming it would break the condition.
    let (s, b) =
        json(app.patch(&format!("{BASE}{id}/questions/{overall_id}/"), &admin, &json!({"code": "overall2"})).await)
            .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_fields(&b, &["code"]);
    // Not every question, or an unknown one.
    for body in [json!({"codes": ["overall", "why"]}), json!({"codes": ["overall", "why", "nope"]}), json!({})] {
        let (s, b) = json(app.post(&format!("{BASE}{id}/reorder/"), &admin, &body).await).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {b}");
    }
    // An allowed order, by ids.
    let ids: Vec<&str> = t["questions"].as_array().unwrap().iter().map(|q| q["id"].as_str().unwrap()).collect();
    let (s, b) =
        json(app.post(&format!("{BASE}{id}/reorder/"), &admin, &json!({"ids": [ids[0], ids[2], ids[1]]})).await).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let codes: Vec<&str> = b["questions"].as_array().unwrap().iter().map(|q| q["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["overall", "wait", "why"]);

    // Publish → version 1, the draft is clean.
    let (s, v1) = json(app.post(&format!("{BASE}{id}/publish/"), &admin, &json!({})).await).await;
    assert_eq!(s, StatusCode::CREATED, "{v1}");
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["question_count"], 3);
    let (_, t) = json(app.get(&format!("{BASE}{id}/"), &admin).await).await;
    assert_eq!(t["current_version"], 1);
    assert_eq!(t["has_draft_changes"], false);
    // Nothing changed: publishing again is refused.
    let (s, b) = json(app.post(&format!("{BASE}{id}/publish/"), &admin, &json!({})).await).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_detail(&b, "no_changes");

    // Editing the draft marks it changed and leaves version 1 alone.
    let (s, b) = json(
        app.patch(&format!("{BASE}{id}/questions/{wait_id}/"), &admin, &json!({"text_en": "How long did you wait?"}))
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["text_en"], "How long did you wait?");
    let (_, t) = json(app.get(&format!("{BASE}{id}/"), &admin).await).await;
    assert_eq!(t["has_draft_changes"], true);
    let (s, p1) = json(app.get(&format!("{BASE}{id}/preview/?version=1"), &admin).await).await;
    assert_eq!(s, StatusCode::OK, "{p1}");
    assert_eq!(p1["definition"]["questions"][1]["text_en"], "Waiting time");
    let (_, draft) = json(app.get(&format!("{BASE}{id}/preview/"), &admin).await).await;
    assert_eq!(draft["version"], Value::Null);
    assert_eq!(draft["definition"]["questions"][1]["text_en"], "How long did you wait?");
    assert_eq!(draft["errors"], json!({}));
    // Undoing the edit makes the draft equal to version 1 again.
    app.patch(&format!("{BASE}{id}/questions/{wait_id}/"), &admin, &json!({"text_en": "Waiting time"})).await;
    let (_, t) = json(app.get(&format!("{BASE}{id}/"), &admin).await).await;
    assert_eq!(t["has_draft_changes"], false);
    // A settings change that is part of the definition is a draft change too.
    let (s, t) = json(app.patch(&format!("{BASE}{id}/"), &admin, &json!({"scoring_method": "weighted"})).await).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["has_draft_changes"], true);
    let (s, v2) = json(app.post(&format!("{BASE}{id}/publish/"), &admin, &json!({})).await).await;
    assert_eq!(s, StatusCode::CREATED, "{v2}");
    assert_eq!(v2["version"], 2);
    let (_, p1) = json(app.get(&format!("{BASE}{id}/preview/?version=1"), &admin).await).await;
    assert_eq!(p1["definition"]["scoring_method"], "average", "version 1 is immutable");
    let (_, t) = json(app.get(&format!("{BASE}{id}/"), &admin).await).await;
    let versions: Vec<i64> = t["versions"].as_array().unwrap().iter().map(|v| v["version"].as_i64().unwrap()).collect();
    assert_eq!(versions, [2, 1]);
    for bad in ["?version=9", "?version=0", "?version=x"] {
        let s = app.get(&format!("{BASE}{id}/preview/{bad}"), &admin).await.status();
        assert!(s == StatusCode::NOT_FOUND || s == StatusCode::BAD_REQUEST, "{bad}: {s}");
    }

    // The question deleted once nothing depends on it; a template without scored questions
    // cannot be published, with the definition's errors.
    let why_id = t["questions"][2]["id"].as_str().unwrap().to_owned();
    assert_eq!(app.delete(&format!("{BASE}{id}/questions/{why_id}/"), &admin).await.status(), StatusCode::NO_CONTENT);
    let text_only = create_template(&app, &admin, "TEXT_ONLY").await;
    let (s, _) = add(
        &app,
        &admin,
        &text_only,
        &json!({"code": "comments", "text_en": "Comments", "text_ar": "ملاحظات", "question_type": "text"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, b) = json(app.post(&format!("{BASE}{text_only}/publish/"), &admin, &json!({})).await).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_fields(&b, &["scoring_method"]);
    let empty = create_template(&app, &admin, "EMPTY").await;
    let (s, b) = json(app.post(&format!("{BASE}{empty}/publish/"), &admin, &json!({})).await).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert!(b.get("questions").is_some(), "{b}");

    // The list: scoped, filtered, searched.
    let (s, list) = json(app.get(&format!("{BASE}?search=text_only"), &admin).await).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["count"], 1);
    let (_, list) = json(app.get(&format!("{BASE}?survey_type=stage&is_active=true"), &admin).await).await;
    assert_eq!(list["count"], 3);
    let (s, _) = json(app.get(&format!("{BASE}?survey_type=nope"), &admin).await).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = json(app.get(&format!("{BASE}?is_active=maybe"), &admin).await).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // Soft delete.
    assert_eq!(app.delete(&format!("{BASE}{empty}/"), &admin).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get(&format!("{BASE}{empty}/"), &admin).await.status(), StatusCode::NOT_FOUND);
    // Its code is free again.
    create_template(&app, &admin, "EMPTY").await;
}

#[tokio::test]
async fn template_settings_are_validated_and_codes_unique_per_hospital() {
    let app = TestApp::spawn().await;
    let admin = app.token(&email(Role::HospitalAdmin)).await;
    create_template(&app, &admin, "DUP").await;
    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        ("duplicate", json!({"code": "DUP", "name_en": "x", "name_ar": "س"}), vec!["code"]),
        ("missing", json!({}), vec!["code", "name_en", "name_ar"]),
        ("bad code", json!({"code": "has space", "name_en": "x", "name_ar": "س"}), vec!["code"]),
        (
            "ranges",
            json!({"code": "R", "name_en": "x", "name_ar": "س", "link_valid_days": 0, "reminder_max": 6,
                "reminder_interval_hours": 169}),
            vec!["link_valid_days", "reminder_max", "reminder_interval_hours"],
        ),
        (
            "choices",
            json!({"code": "R", "name_en": "x", "name_ar": "س", "survey_type": "poll", "scoring_method": "median"}),
            vec!["survey_type", "scoring_method"],
        ),
        (
            "threshold",
            json!({"code": "R", "name_en": "x", "name_ar": "س", "negative_threshold": 7}),
            vec!["negative_threshold"],
        ),
        (
            "wrong type",
            json!({"code": "R", "name_en": "x", "name_ar": "س", "link_valid_days": "seven"}),
            vec!["link_valid_days"],
        ),
        ("unknown field", json!({"code": "R", "name_en": "x", "name_ar": "س", "colour": 1}), vec!["colour"]),
    ];
    for (name, body, fields) in cases {
        let (s, b) = json(app.post(BASE, &admin, &body).await).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{name}: {b}");
        assert_fields(&b, &fields);
    }
    // The same code in another hospital is fine; PX admins name the hospital.
    let b_admin = app.token(ADMIN_B).await;
    create_template(&app, &b_admin, "DUP").await;
    let px = app.token(&email(Role::PxAdmin)).await;
    let (s, b) = json(app.post(BASE, &px, &json!({"code": "PX", "name_en": "x", "name_ar": "س"})).await).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_fields(&b, &["hospital_id"]);
    let (s, b) = json(
        app.post(
            BASE,
            &px,
            &json!({"hospital_id": app.hospital_b.id, "code": "PX", "name_en": "x", "name_ar": "س",
            "survey_type": "complaint_resolution", "negative_threshold": null}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["hospital_id"], json!(app.hospital_b.id));
    assert_eq!(b["throttle_exempt"], true, "resolution surveys are exempt by default");
    // PATCH: null clears the threshold, the hospital cannot change.
    let id = b["id"].as_str().unwrap();
    let (s, b) = json(app.patch(&format!("{BASE}{id}/"), &px, &json!({"negative_threshold": 2.5})).await).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["negative_threshold"], 2.5);
    let (_, b) = json(app.patch(&format!("{BASE}{id}/"), &px, &json!({"negative_threshold": null})).await).await;
    assert_eq!(b["negative_threshold"], Value::Null);
    assert_eq!(b["effective_threshold"], 3.0);
    let (s, b) = json(app.patch(&format!("{BASE}{id}/"), &px, &json!({"hospital_id": app.hospital_a.id})).await).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_fields(&b, &["hospital_id"]);
}

#[tokio::test]
async fn other_hospitals_templates_are_not_found_and_roles_are_enforced() {
    let app = TestApp::spawn().await;
    let b_admin = app.token(ADMIN_B).await;
    let theirs = create_template(&app, &b_admin, "THEIRS").await;
    let (_, q) = add(&app, &b_admin, &theirs, &rating("overall")).await;
    let qid = q["id"].as_str().unwrap();
    let admin = app.token(&email(Role::HospitalAdmin)).await;
    let h = StatusCode::NOT_FOUND;
    assert_eq!(app.get(&format!("{BASE}{theirs}/"), &admin).await.status(), h);
    assert_eq!(app.patch(&format!("{BASE}{theirs}/"), &admin, &json!({"name_en": "x"})).await.status(), h);
    assert_eq!(app.delete(&format!("{BASE}{theirs}/"), &admin).await.status(), h);
    assert_eq!(app.post(&format!("{BASE}{theirs}/questions/"), &admin, &rating("q2")).await.status(), h);
    assert_eq!(app.patch(&format!("{BASE}{theirs}/questions/{qid}/"), &admin, &json!({})).await.status(), h);
    assert_eq!(app.post(&format!("{BASE}{theirs}/publish/"), &admin, &json!({})).await.status(), h);
    assert_eq!(app.get(&format!("{BASE}{theirs}/preview/"), &admin).await.status(), h);
    assert_eq!(app.get(&format!("{BASE}not-a-uuid/"), &admin).await.status(), h);
    let (_, list) = json(app.get(BASE, &admin).await).await;
    assert_eq!(list["count"], 0);
    let (_, list) = json(app.get(BASE, &app.token(&email(Role::PxAdmin)).await).await).await;
    assert_eq!(list["count"], 1, "PX admins see every hospital's");
    // Another template's question id is a 404 too.
    let ours = create_template(&app, &admin, "OURS").await;
    assert_eq!(app.patch(&format!("{BASE}{ours}/questions/{qid}/"), &admin, &json!({})).await.status(), h);
    assert_eq!(app.delete(&format!("{BASE}{ours}/questions/{qid}/"), &admin).await.status(), h);

    // Nurses read, cannot write; physicians cannot read.
    let nurse = app.token(&email(Role::Nurse)).await;
    assert_eq!(app.get(BASE, &nurse).await.status(), StatusCode::OK);
    assert_eq!(app.get(&format!("{BASE}{ours}/"), &nurse).await.status(), StatusCode::OK);
    assert_eq!(app.get(&format!("{BASE}{ours}/preview/"), &nurse).await.status(), StatusCode::OK);
    let f = StatusCode::FORBIDDEN;
    assert_eq!(app.post(BASE, &nurse, &json!({"code": "N", "name_en": "x", "name_ar": "س"})).await.status(), f);
    assert_eq!(app.post(&format!("{BASE}{ours}/questions/"), &nurse, &rating("q")).await.status(), f);
    assert_eq!(app.post(&format!("{BASE}{ours}/publish/"), &nurse, &json!({})).await.status(), f);
    assert_eq!(app.delete(&format!("{BASE}{ours}/"), &nurse).await.status(), f);
    let physician = app.token(&email(Role::Physician)).await;
    assert_eq!(app.get(BASE, &physician).await.status(), f);
    assert_eq!(app.get(&format!("{BASE}{ours}/"), &physician).await.status(), f);
    // The coordinator manages templates.
    let pxc = app.token(&email(Role::PxCoordinator)).await;
    assert_eq!(app.post(&format!("{BASE}{ours}/questions/"), &pxc, &rating("q")).await.status(), StatusCode::CREATED);
    // Unauthenticated.
    assert_eq!(app.client.get(app.url(BASE)).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_template_used_by_a_journey_stage_cannot_be_deleted() {
    use px360::domains::journeys::model::{journey_template, stage_template};
    use sea_orm::{ActiveModelTrait, Set};
    let app = TestApp::spawn().await;
    let admin = app.token(&email(Role::HospitalAdmin)).await;
    let id = create_template(&app, &admin, "STAGE").await;
    let at = chrono::Utc::now();
    let journey = journey_template::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        hospital_id: Set(app.hospital_a.id),
        name_en: Set("Outpatient".into()),
        name_ar: Set("العيادات".into()),
        journey_type: Set("opd".into()),
        is_active: Set(true),
        is_default: Set(false),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
    }
    .insert(app.db())
    .await
    .unwrap();
    stage_template::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        journey_template_id: Set(journey.id),
        position: Set(1),
        code: Set("visit".into()),
        name_en: Set("Clinic visit".into()),
        name_ar: Set("زيارة العيادة".into()),
        trigger_event_code: Set("OPD_VISIT_COMPLETED".into()),
        survey_template_id: Set(Some(id.parse().unwrap())),
        send_delay_minutes: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(app.db())
    .await
    .unwrap();
    let (s, b) = json(app.delete(&format!("{BASE}{id}/"), &admin).await).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_detail(&b, "template_in_use");
    assert!(b["detail"].as_str().unwrap().contains("Clinic visit"), "{b}");
    assert_eq!(app.get(&format!("{BASE}{id}/"), &admin).await.status(), StatusCode::OK);
}

fn form_error_near(html: &str, field: &str) -> bool {
    html.contains(&format!("data-field=\"{field}\""))
}

#[tokio::test]
async fn the_builder_pages_add_questions_publish_and_preview_in_both_languages() {
    let app = TestApp::spawn().await;
    let (client, csrf) = app.login_page_session(&email(Role::PxCoordinator)).await;
    let page = |path: &str| client.get(app.url(path)).send();

    // The list and the new form (Arabic: the users' language).
    let resp = page("/surveys/templates/").await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("dir=\"rtl\""));
    assert!(html.contains("id=\"new-template\""));
    assert_eq!(page("/surveys/templates/new/").await.unwrap().status(), StatusCode::OK);
    // A refused form shows its errors beside the fields, in Arabic.
    let resp = client
        .post(app.url("/surveys/templates/new/"))
        .form(&[("csrf_token", csrf.as_str()), ("code", "bad code"), ("name_en", "Visit"), ("name_ar", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let html = resp.text().await.unwrap();
    assert!(form_error_near(&html, "code") && form_error_near(&html, "name_ar"), "{html}");
    assert!(html.contains("هذا الحقل مطلوب."), "Arabic error");
    let resp = client
        .post(app.url("/surveys/templates/new/"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("code", "OPD"),
            ("name_en", "Clinic visit"),
            ("name_ar", "زيارة العيادة"),
            ("survey_type", "stage"),
            ("scoring_method", "average"),
            ("link_valid_days", "7"),
            ("reminder_max", "2"),
            ("reminder_interval_hours", "48"),
            ("is_active", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{}", resp.text().await.unwrap_or_default());
    let builder = location(&resp);
    let builder = builder.split('?').next().unwrap().to_owned();
    assert!(builder.starts_with("/surveys/templates/"), "{builder}");
    let html = page(&builder).await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"no-questions\""));

    // Add questions with the form: a rating, then a multiple choice with lines, then a conditional one.
    let add = |fields: Vec<(&'static str, String)>| {
        let mut form: Vec<(&str, String)> = vec![("csrf_token", csrf.clone())];
        form.extend(fields);
        client.post(app.url(&format!("{builder}questions/"))).form(&form).send()
    };
    let resp = add(vec![
        ("code", "overall".into()),
        ("question_type", "rating".into()),
        ("text_en", "How was your visit?".into()),
        ("text_ar", "كيف كانت زيارتك؟".into()),
        ("is_required", "1".into()),
        ("weight", "1".into()),
    ])
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let resp = add(vec![
        ("code", "wait".into()),
        ("question_type", "multiple_choice".into()),
        ("text_en", "Waiting time".into()),
        ("text_ar", "وقت الانتظار".into()),
        ("choices", "short | Short | قصير | 5\nlong | Long | طويل | 1".into()),
    ])
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    // Refused: a condition on a later question shows the error beside the condition.
    let resp = add(vec![
        ("code", "why".into()),
        ("question_type", "textarea".into()),
        ("text_en", "Why?".into()),
        ("text_ar", "لماذا؟".into()),
        ("show_if_question", "later".into()),
        ("show_if_op", "eq".into()),
        ("show_if_value", "1".into()),
    ])
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let html = resp.text().await.unwrap();
    assert!(form_error_near(&html, "show_if"), "error beside the condition");
    let resp = add(vec![
        ("code", "why".into()),
        ("question_type", "textarea".into()),
        ("text_en", "What went wrong?".into()),
        ("text_ar", "ما الذي حدث؟".into()),
        ("show_if_question", "overall".into()),
        ("show_if_op", "lte".into()),
        ("show_if_value", "2".into()),
    ])
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let html = page(&builder).await.unwrap().text().await.unwrap();
    assert_eq!(html.matches("class=\"card mb-2 question\"").count(), 3);
    assert!(html.contains("id=\"draft-badge\""));
    assert!(html.contains("class=\"badge text-bg-info condition\""), "conditional mark");

    // Moving "why" above "overall" is refused with a message naming both; "wait" moves down.
    let question_id = |html: &str, code: &str| -> String {
        let marker = format!("\" data-code=\"{code}\"");
        let end = html.find(&marker).unwrap();
        let start = html[..end].rfind("id=\"q-").unwrap() + 6;
        html[start..end].to_owned()
    };
    let why = question_id(&html, "why");
    let wait = question_id(&html, "wait");
    let overall = question_id(&html, "overall");
    let mv = |qid: String, direction: &'static str| {
        client
            .post(app.url(&format!("{builder}questions/{qid}/move/")))
            .form(&[("csrf_token", csrf.as_str()), ("direction", direction)])
            .send()
    };
    // overall, wait, why → overall, why, wait.
    assert_eq!(mv(wait.clone(), "down").await.unwrap().status(), StatusCode::SEE_OTHER);
    let html = page(&builder).await.unwrap().text().await.unwrap();
    assert!(html.find("data-code=\"why\"").unwrap() < html.find("data-code=\"wait\"").unwrap());
    let resp = mv(why.clone(), "up").await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let html = resp.text().await.unwrap();
    assert!(html.contains("يعتمد السؤال why على overall"), "Arabic refusal naming both");
    // Deleting "overall" is refused (why depends on it).
    let resp = client
        .post(app.url(&format!("{builder}questions/{overall}/delete/")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.text().await.unwrap().contains("id=\"form-error\""));
    // Without the CSRF token nothing happens.
    let resp = client.post(app.url(&format!("{builder}publish/"))).form(&[("x", "1")]).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // Publish version 1.
    let html = page(&builder).await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"publish-button\""));
    let resp = client
        .post(app.url(&format!("{builder}publish/")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let html = page(&builder).await.unwrap().text().await.unwrap();
    assert!(html.contains("data-version=\"1\""), "versions list");
    assert!(!html.contains("id=\"draft-badge\""));

    // Preview in Arabic (right-to-left) and English; a version too.
    let resp = page(&format!("{builder}preview/?lang=ar")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("dir=\"rtl\""));
    assert!(html.contains("كيف كانت زيارتك؟") && html.contains("قصير"));
    assert!(html.contains("class=\"small text-info-emphasis mb-2 condition\""), "conditional mark");
    let html = page(&format!("{builder}preview/?lang=en&version=1")).await.unwrap().text().await.unwrap();
    assert!(html.contains("dir=\"ltr\""));
    assert!(html.contains("How was your visit?") && html.contains("Short"));
    assert!(html.contains("id=\"preview-version\">Version 1<"), "{html}");
    assert_eq!(page(&format!("{builder}preview/?version=7")).await.unwrap().status(), StatusCode::NOT_FOUND);
    // An NPS question shows 0–10.
    add(vec![
        ("code", "recommend".into()),
        ("question_type", "nps".into()),
        ("text_en", "Would you recommend us?".into()),
        ("text_ar", "هل توصي بنا؟".into()),
    ])
    .await
    .unwrap();
    let html = page(&format!("{builder}preview/?lang=en")).await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"p-recommend-0\"") && html.contains("id=\"p-recommend-10\""));
    assert!(html.contains(">Draft<"));

    // The English builder: the language switch, then the refused publish lists nothing (valid), a
    // page in English.
    let resp = client
        .post(app.url("/i18n/set-language/"))
        .form(&[("csrf_token", csrf.as_str()), ("language", "en"), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_redirection());
    let html = page(&builder).await.unwrap().text().await.unwrap();
    assert!(html.contains("dir=\"ltr\"") && html.contains("Publish version 2"), "{html}");
    assert!(meta_csrf(&html).is_some());

    // Nurses and physicians do not get the builder.
    let (nurse, _) = app.login_page_session(&email(Role::Nurse)).await;
    assert_eq!(nurse.get(app.url("/surveys/templates/")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(nurse.get(app.url(&builder)).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    // Another hospital's admin gets a 404.
    let (b, _) = app.login_page_session(ADMIN_B).await;
    assert_eq!(b.get(app.url(&builder)).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(b.get(app.url(&format!("{builder}preview/"))).send().await.unwrap().status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_refused_publish_lists_the_drafts_errors_on_the_page() {
    let app = TestApp::spawn().await;
    let token = app.token(&email(Role::HospitalAdmin)).await;
    let id = create_template(&app, &token, "NPS_ONLY").await;
    app.patch(&format!("{BASE}{id}/"), &token, &json!({"scoring_method": "nps"})).await;
    add(&app, &token, &id, &rating("overall")).await;
    let (client, csrf) = app.login_page_session(&email(Role::HospitalAdmin)).await;
    let resp = client
        .post(app.url(&format!("/surveys/templates/{id}/publish/")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let html = resp.text().await.unwrap();
    assert!(html.contains("id=\"publish-errors\""));
    assert!(html.contains("تحتاج طريقة NPS إلى سؤال NPS"), "in Arabic");
    let (_, t) = json(app.get(&format!("{BASE}{id}/"), &token).await).await;
    assert_eq!(t["current_version"], 0);
}
