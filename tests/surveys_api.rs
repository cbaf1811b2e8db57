//! The staff side of surveys through the API: the instances list (filters and scope), manual and
//! bulk sending, cancel, the contact log, follow-ups, per-template results and the exports.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Utc;
use common::surveys::{add_patient, add_survey, add_template};
use common::{ADMIN_B, TestApp, assert_fields, json};
use px360::auth::Role;
use px360::domains::notifications::model::message;
use px360::domains::surveys::model::{survey_contact, survey_instance, survey_template};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use uuid::Uuid;

/// Moves survey `id` into the test nurse's department (nurses see only their departments').
async fn into_nurse_ward(app: &TestApp, id: &str) {
    use sea_orm::sea_query::Expr;
    let ward = app.user(Role::Nurse).department_id.expect("the test nurse has a department");
    survey_instance::Entity::update_many()
        .col_expr(survey_instance::Column::DepartmentId, Expr::value(Some(ward)))
        .filter(survey_instance::Column::Id.eq(id.parse::<Uuid>().unwrap()))
        .exec(app.db())
        .await
        .unwrap();
}

async fn list_first_id(app: &TestApp, token: &str) -> String {
    let (_, list) = json(app.get("/api/surveys/instances/", token).await).await;
    list["results"][0]["id"].as_str().unwrap().to_owned()
}

async fn setup() -> (TestApp, String) {
    let app = TestApp::spawn().await;
    px360::seed::reference::seed_notification_templates(app.db(), false).await.unwrap();
    let pxc = app.token(&common::email(Role::PxCoordinator)).await;
    (app, pxc)
}

#[tokio::test]
async fn manual_send_queues_an_invitation_and_the_list_is_scoped() {
    let (app, pxc) = setup().await;
    let a = app.hospital_a.id;
    let t = add_template(&app, a, "opd", "average", &[("overall", "rating")], true).await;
    let p = add_patient(&app, a, "MRN-1001", "+966501234567").await;
    let (status, body) =
        json(app.post("/api/surveys/instances/", &pxc, &json!({"survey_template_id": t.id, "patient_id": p.id})).await)
            .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["source"], "manual");
    assert_eq!(body["status"], "scheduled", "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    let queued = message::Entity::find()
        .filter(message::Column::PatientId.eq(p.id))
        .filter(message::Column::TemplateCode.eq("survey_invitation"))
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].status, "queued");

    // The list: PX coordinator and nurse read; a physician may not; hospital B sees nothing.
    let (status, list) = json(app.get("/api/surveys/instances/", &pxc).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["count"], 1);
    let nurse = app.token(&common::email(Role::Nurse)).await;
    let (status, list) = json(app.get("/api/surveys/instances/", &nurse).await).await;
    assert_eq!((status, list["count"].as_u64()), (StatusCode::OK, Some(0)), "not the nurse's department");
    let first = list_first_id(&app, &pxc).await;
    into_nurse_ward(&app, &first).await;
    let (status, list) = json(app.get("/api/surveys/instances/", &nurse).await).await;
    assert_eq!((status, list["count"].as_u64()), (StatusCode::OK, Some(1)));
    let physician = app.token(&common::email(Role::Physician)).await;
    assert_eq!(app.get("/api/surveys/instances/", &physician).await.status(), StatusCode::FORBIDDEN);
    let b = app.token(ADMIN_B).await;
    let (_, list) = json(app.get("/api/surveys/instances/", &b).await).await;
    assert_eq!(list["count"], 0);
    assert_eq!(app.get(&format!("/api/surveys/instances/{id}/"), &b).await.status(), StatusCode::NOT_FOUND);

    // Detail: template and version, the invitation, PII masked for the nurse.
    let (status, d) = json(app.get(&format!("/api/surveys/instances/{id}/"), &nurse).await).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["version"], 1);
    assert_eq!(d["template_name_en"], "opd survey");
    assert_eq!(d["messages"].as_array().unwrap().len(), 1);
    assert_eq!(d["messages"][0]["template_code"], "survey_invitation");
    assert!(d["patient"]["phone"].as_str().unwrap().starts_with('•'), "{d}");
    assert_eq!(d["answers"][0]["code"], "overall");
    let (_, d) = json(app.get(&format!("/api/surveys/instances/{id}/"), &pxc).await).await;
    assert_eq!(d["patient"]["phone"], "+966501234567");
    let audited = px360::domains::audit::model::audit_event::Entity::find()
        .filter(px360::domains::audit::model::audit_event::Column::Action.eq("survey_answers_viewed"))
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(audited.len(), 2);

    // A department manager sees only their department's surveys (the first one back out of the
    // nurse's ward first).
    survey_instance::Entity::update_many()
        .col_expr(survey_instance::Column::DepartmentId, sea_orm::sea_query::Expr::value(Option::<Uuid>::None))
        .filter(survey_instance::Column::Id.eq(first.parse::<Uuid>().unwrap()))
        .exec(app.db())
        .await
        .unwrap();
    let emergency = app.department_id(a, "EMR-001").await;
    let other = app.departments().await.into_iter().find(|d| d.hospital_id == a && d.id != emergency).unwrap().id;
    add_survey(&app, &t, Some(p.id), Some(emergency), "sent", None, false, &[]).await;
    let hidden = add_survey(&app, &t, Some(p.id), Some(other), "sent", None, false, &[]).await;
    let dm = app.token(&common::email(Role::DepartmentManager)).await;
    let (_, list) = json(app.get("/api/surveys/instances/", &dm).await).await;
    assert_eq!(list["count"], 1, "{list}");
    assert_eq!(app.get(&format!("/api/surveys/instances/{hidden}/"), &dm).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn manual_send_refuses_bad_input() {
    let (app, pxc) = setup().await;
    let a = app.hospital_a.id;
    let t = add_template(&app, a, "opd", "average", &[("overall", "rating")], true).await;
    let draft = add_template(&app, a, "draft", "average", &[("overall", "rating")], false).await;
    let p = add_patient(&app, a, "MRN-1", "+966501234567").await;
    let other = add_patient(&app, app.hospital_b.id, "MRN-B", "+966501234568").await;
    let cases = [
        (json!({"survey_template_id": t.id, "patient_id": other.id}), vec!["patient_id"]),
        (json!({"survey_template_id": Uuid::now_v7(), "patient_id": p.id}), vec!["survey_template_id"]),
        (json!({"survey_template_id": draft.id, "patient_id": p.id}), vec!["survey_template_id"]),
        (json!({}), vec!["patient_id", "survey_template_id"]),
        (json!({"survey_template_id": t.id, "patient_id": 5}), vec!["patient_id"]),
        (json!({"survey_template_id": t.id, "patient_id": p.id, "channel": "sms"}), vec![]),
    ];
    for (body, fields) in cases {
        let (status, resp) = json(app.post("/api/surveys/instances/", &pxc, &body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {resp}");
        if !fields.is_empty() && resp.get("detail").is_none() {
            assert_fields(&resp, &fields);
        }
    }
    // An inactive template.
    let mut row: survey_template::ActiveModel = t.clone().into();
    row.is_active = Set(false);
    row.update(app.db()).await.unwrap();
    let (status, resp) =
        json(app.post("/api/surveys/instances/", &pxc, &json!({"survey_template_id": t.id, "patient_id": p.id})).await)
            .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fields(&resp, &["survey_template_id"]);
    // A nurse reads but does not send.
    let nurse = app.token(&common::email(Role::Nurse)).await;
    let resp =
        app.post("/api/surveys/instances/", &nurse, &json!({"survey_template_id": t.id, "patient_id": p.id})).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(survey_instance::Entity::find().all(app.db()).await.unwrap().len(), 0);
}

#[tokio::test]
async fn bulk_send_reports_each_patient() {
    let (app, pxc) = setup().await;
    let a = app.hospital_a.id;
    let t = add_template(&app, a, "opd", "average", &[("overall", "rating")], true).await;
    let p1 = add_patient(&app, a, "MRN-1", "+966501234561").await;
    let p2 = add_patient(&app, a, "MRN-2", "+966501234562").await;
    let other = add_patient(&app, app.hospital_b.id, "MRN-B", "+966501234563").await;
    // p2 was surveyed a moment ago: the 30-day cap suppresses a second invitation.
    let (status, _) = json(
        app.post("/api/surveys/instances/", &pxc, &json!({"survey_template_id": t.id, "patient_id": p2.id})).await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = json(
        app.post(
            "/api/surveys/instances/bulk/",
            &pxc,
            &json!({"survey_template_id": t.id, "patient_ids": [p1.id, p2.id, other.id, p1.id]}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["created"].as_u64(), body["suppressed"].as_u64(), body["errors"].as_u64()),
        (Some(1), Some(1), Some(1)),
        "{body}"
    );
    let rows = body["results"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "duplicates are sent once: {body}");
    assert_eq!(rows[0]["outcome"], "created");
    assert_eq!(rows[1]["outcome"], "suppressed");
    assert!(rows[1]["reason"].as_str().unwrap().starts_with("throttled"), "{body}");
    assert_eq!(rows[2]["outcome"], "error");

    let many: Vec<Uuid> = (0..501).map(|_| Uuid::now_v7()).collect();
    let (status, body) = json(
        app.post("/api/surveys/instances/bulk/", &pxc, &json!({"survey_template_id": t.id, "patient_ids": many})).await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fields(&body, &["patient_ids"]);
    let (status, body) = json(
        app.post("/api/surveys/instances/bulk/", &pxc, &json!({"survey_template_id": t.id, "patient_ids": "x"})).await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn cancel_then_conflict() {
    let (app, pxc) = setup().await;
    let a = app.hospital_a.id;
    let t = add_template(&app, a, "opd", "average", &[("overall", "rating")], true).await;
    let p = add_patient(&app, a, "MRN-1", "+966501234567").await;
    let (_, s) =
        json(app.post("/api/surveys/instances/", &pxc, &json!({"survey_template_id": t.id, "patient_id": p.id})).await)
            .await;
    let id = s["id"].as_str().unwrap();
    let nurse = app.token(&common::email(Role::Nurse)).await;
    into_nurse_ward(&app, id).await;
    let url = format!("/api/surveys/instances/{id}/cancel/");
    assert_eq!(app.post(&url, &nurse, &json!({})).await.status(), StatusCode::FORBIDDEN);
    let (status, body) = json(app.post(&url, &pxc, &json!({})).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "cancelled");
    let m = message::Entity::find().filter(message::Column::PatientId.eq(p.id)).one(app.db()).await.unwrap().unwrap();
    assert_eq!(m.status, "suppressed", "the unsent invitation stays unsent");
    let (status, body) = json(app.post(&url, &pxc, &json!({})).await).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let b = app.token(ADMIN_B).await;
    assert_eq!(app.post(&url, &b, &json!({})).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn contact_log_validates_its_input() {
    let (app, pxc) = setup().await;
    let a = app.hospital_a.id;
    let t = add_template(&app, a, "opd", "average", &[("overall", "rating")], true).await;
    let p = add_patient(&app, a, "MRN-1", "+966501234567").await;
    let id = add_survey(&app, &t, Some(p.id), None, "completed", Some(1.0), true, &[("overall", json!(1))]).await;
    let url = format!("/api/surveys/instances/{id}/contacts/");
    let long = "x".repeat(2001);
    for (body, fields) in [
        (json!({}), vec!["outcome"]),
        (json!({"outcome": "maybe"}), vec!["outcome"]),
        (json!({"outcome": "reached", "note": long}), vec!["note"]),
        (json!({"outcome": 3}), vec![]),
        (json!({"outcome": "reached", "kind": "x"}), vec![]),
    ] {
        let (status, resp) = json(app.post(&url, &pxc, &body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {resp}");
        if !fields.is_empty() {
            assert_fields(&resp, &fields);
        }
    }
    let (status, c) =
        json(app.post(&url, &pxc, &json!({"outcome": "reached", "note": "Apologised; will call back"})).await).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert_eq!(c["kind"], "contact");
    let nurse = app.token(&common::email(Role::Nurse)).await;
    assert_eq!(app.get(&url, &nurse).await.status(), StatusCode::NOT_FOUND, "not the nurse's department");
    into_nurse_ward(&app, url.split('/').nth(4).unwrap()).await;
    assert_eq!(app.post(&url, &nurse, &json!({"outcome": "reached"})).await.status(), StatusCode::FORBIDDEN);
    let (status, list) = json(app.get(&url, &nurse).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["outcome"], "reached");
}

#[tokio::test]
async fn follow_up_only_after_a_completed_negative_survey() {
    let (app, pxc) = setup().await;
    let a = app.hospital_a.id;
    let t = add_template(&app, a, "opd", "average", &[("overall", "rating")], true).await;
    let p = add_patient(&app, a, "MRN-1", "+966501234567").await;
    let emergency = app.department_id(a, "EMR-001").await;
    let open = add_survey(&app, &t, Some(p.id), Some(emergency), "sent", None, false, &[]).await;
    let happy = add_survey(&app, &t, Some(p.id), Some(emergency), "completed", Some(5.0), false, &[]).await;
    let bad = add_survey(&app, &t, Some(p.id), Some(emergency), "completed", Some(1.0), true, &[]).await;
    for id in [open, happy] {
        let resp = app.post(&format!("/api/surveys/instances/{id}/follow-up/"), &pxc, &json!({})).await;
        assert_eq!(resp.status(), StatusCode::CONFLICT);
    }
    let url = format!("/api/surveys/instances/{bad}/follow-up/");
    let (status, body) = json(app.post(&url, &pxc, &json!({"survey_template_id": "nope"})).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = json(app.post(&url, &pxc, &json!({})).await).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["source"], "follow_up");
    assert_eq!(body["parent_id"], bad.to_string());
    assert_eq!(body["department_id"], emergency.to_string());
    assert_eq!(body["patient_id"], p.id.to_string());
    let logged = survey_contact::Entity::find()
        .filter(survey_contact::Column::SurveyInstanceId.eq(bad))
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].kind, "follow_up_sent");
    assert_eq!(app.post(&url, &pxc, &json!({})).await.status(), StatusCode::CONFLICT, "only one follow-up");
}

#[tokio::test]
async fn list_filters_apply_and_bad_values_are_refused() {
    let (app, pxc) = setup().await;
    let a = app.hospital_a.id;
    let t = add_template(&app, a, "opd", "average", &[("overall", "rating")], true).await;
    let t2 = add_template(&app, a, "ipd", "average", &[("overall", "rating")], true).await;
    let p = add_patient(&app, a, "MRN-777", "+966501234567").await;
    let q = add_patient(&app, a, "MRN-888", "+966501234568").await;
    add_survey(&app, &t, Some(p.id), None, "completed", Some(1.5), true, &[]).await;
    add_survey(&app, &t, Some(q.id), None, "completed", Some(4.5), false, &[]).await;
    add_survey(&app, &t2, Some(q.id), None, "sent", None, false, &[]).await;
    let count = |body: &Value| body["count"].as_u64().unwrap();
    let today = (Utc::now() + chrono::Duration::hours(3)).format("%Y-%m-%d").to_string();
    for (query, n) in [
        ("negative=true".to_owned(), 1),
        ("negative=false".to_owned(), 2),
        ("status=completed".to_owned(), 2),
        ("status=sent,completed".to_owned(), 3),
        (format!("template_id={}", t2.id), 1),
        ("search=777".to_owned(), 1),
        ("source=journey".to_owned(), 3),
        ("source=manual".to_owned(), 0),
        (format!("from={today}&to={today}"), 3),
        ("from=2000-01-01&to=2000-01-02".to_owned(), 0),
    ] {
        let (status, body) = json(app.get(&format!("/api/surveys/instances/?{query}"), &pxc).await).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        assert_eq!(count(&body), n, "{query}: {body}");
    }
    for (query, field) in [
        ("negative=maybe", "negative"),
        ("status=done", "status"),
        ("template_id=x", "template_id"),
        ("from=01/02/2024", "from"),
        ("ordering=patient", "ordering"),
    ] {
        let (status, body) = json(app.get(&format!("/api/surveys/instances/?{query}"), &pxc).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_fields(&body, &[field]);
    }
}

#[tokio::test]
async fn results_follow_the_formulas() {
    let (app, pxc) = setup().await;
    let a = app.hospital_a.id;
    let t = add_template(
        &app,
        a,
        "nps",
        "nps",
        &[("recommend", "nps"), ("overall", "rating"), ("comment", "textarea")],
        true,
    )
    .await;
    let nps = [10.0, 10.0, 9.0, 9.0, 9.0, 8.0, 8.0, 7.0, 3.0, 5.0];
    let rating = [5.0, 5.0, 4.0, 4.0, 3.0, 2.0, 1.0, 5.0, 4.0, 3.0];
    for (i, (n, r)) in nps.iter().zip(rating).enumerate() {
        let mut answers = vec![("recommend", json!(n)), ("overall", json!(r))];
        if i == 8 {
            answers.push(("comment", json!("Call me on 0501234567, nobody came")));
        }
        add_survey(&app, &t, None, None, "completed", Some(*n), *n < 7.0, &answers).await;
    }
    add_survey(&app, &t, None, None, "sent", None, false, &[]).await;
    add_survey(&app, &t, None, None, "viewed", None, false, &[]).await;
    add_survey(&app, &t, None, None, "undeliverable", None, false, &[]).await;
    add_survey(&app, &t, None, None, "suppressed", None, false, &[]).await;

    let (status, r) = json(app.get(&format!("/api/surveys/templates/{}/results/", t.id), &pxc).await).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["total"], 14);
    assert_eq!(r["completed"], 10);
    assert_eq!(r["sent"], 13, "{r}");
    assert_eq!(r["undeliverable"], 1);
    assert_eq!(r["suppressed"], 1);
    assert_eq!(r["response_rate"], 83.33, "10 ÷ (13 − 1)");
    assert_eq!(r["average_score"], 7.8);
    assert_eq!(r["negative"], 2);
    assert_eq!(r["negative_rate"], 20.0);
    assert_eq!(r["nps"], 30.0, "50% promoters − 20% detractors");
    assert_eq!(r["nps_breakdown"], json!({"promoters": 5, "passives": 3, "detractors": 2}));
    assert_eq!(r["csat"], 60.0, "6 of 10 ratings are 4 or 5");
    let dist: Vec<i64> =
        r["score_distribution"].as_array().unwrap().iter().map(|b| b["count"].as_i64().unwrap()).collect();
    assert_eq!(dist, vec![0, 0, 0, 1, 0, 1, 0, 1, 2, 3, 2]);
    let overall = r["questions"].as_array().unwrap().iter().find(|q| q["code"] == "overall").unwrap();
    assert_eq!(overall["answers"], 10);
    assert_eq!(overall["average"], 3.6);
    assert_eq!(overall["top_box"], 30.0);
    let counts: Vec<i64> =
        overall["distribution"].as_array().unwrap().iter().map(|v| v["count"].as_i64().unwrap()).collect();
    assert_eq!(counts, vec![1, 1, 2, 3, 3]);
    let comment = r["questions"].as_array().unwrap().iter().find(|q| q["code"] == "comment").unwrap();
    assert_eq!(comment["comments"], json!(["Call me on ••••••••••, nobody came"]));

    // A period without surveys, a bad date, and another hospital's template.
    let (_, empty) =
        json(app.get(&format!("/api/surveys/templates/{}/results/?from=2000-01-01&to=2000-01-31", t.id), &pxc).await)
            .await;
    assert_eq!(
        (empty["total"].as_i64(), empty["nps"].clone(), empty["response_rate"].clone()),
        (Some(0), Value::Null, Value::Null)
    );
    let (status, body) =
        json(app.get(&format!("/api/surveys/templates/{}/results/?from=yesterday", t.id), &pxc).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fields(&body, &["from"]);
    let b = app.token(ADMIN_B).await;
    assert_eq!(app.get(&format!("/api/surveys/templates/{}/results/", t.id), &b).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn exports_are_escaped_audited_and_carry_question_columns() {
    let (app, _) = setup().await;
    let a = app.hospital_a.id;
    let t = add_template(&app, a, "opd", "average", &[("overall", "rating"), ("comment", "text")], true).await;
    let p = add_patient(&app, a, "MRN-1", "+966501234567").await;
    add_survey(
        &app,
        &t,
        Some(p.id),
        None,
        "completed",
        Some(2.0),
        true,
        &[("overall", json!(2)), ("comment", json!("=HYPERLINK(\"http://x\")"))],
    )
    .await;
    let (client, _) = app.login_page_session(&common::email(Role::PxCoordinator)).await;
    let resp = client.get(app.url(&format!("/surveys/export.csv?template_id={}", t.id))).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let bytes = resp.bytes().await.unwrap();
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 BOM");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let header = text.lines().next().unwrap();
    assert!(header.contains("overall") && header.contains("comment"), "{header}");
    assert!(header.contains("نموذج الاستبيان"), "Arabic headers for an Arabic reader: {header}");
    assert!(text.contains("'=HYPERLINK"), "{text}");
    assert_eq!(text.lines().count(), 2, "{text}");
    let resp = client.get(app.url("/surveys/export.xlsx")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.bytes().await.unwrap().starts_with(b"PK"));
    let audited = px360::domains::audit::model::audit_event::Entity::find()
        .filter(px360::domains::audit::model::audit_event::Column::Action.eq("surveys_exported"))
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(audited.len(), 2);
    // A physician may not export.
    let (client, _) = app.login_page_session(&common::email(Role::Physician)).await;
    let resp = client.get(app.url("/surveys/export.csv")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}
