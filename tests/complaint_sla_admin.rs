//! The PX admin's SLA settings: SLA rows, escalation rules, working calendars and holidays (create,
//! change, delete, every bad field named with nothing stored, duplicates), who may read and write
//! them, the SLA preview's spec numbers, and the three settings pages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ADMIN_B, TestApp, assert_fields, email, hidden_field, json};
use px360::auth::Role;
use px360::domains::complaints::model::{calendar_holiday, escalation_rule, sla_config, working_calendar};
use reqwest::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

const SLA: &str = "/api/complaints/sla-configs/";
const RULES: &str = "/api/complaints/escalation-rules/";

async fn counts(app: &TestApp) -> (u64, u64, u64, u64) {
    (
        sla_config::Entity::find().count(app.db()).await.unwrap(),
        escalation_rule::Entity::find().count(app.db()).await.unwrap(),
        working_calendar::Entity::find().count(app.db()).await.unwrap(),
        calendar_holiday::Entity::find().count(app.db()).await.unwrap(),
    )
}

async fn put(app: &TestApp, path: &str, token: &str, body: &Value) -> reqwest::Response {
    app.client.put(app.url(path)).bearer_auth(token).json(body).send().await.unwrap()
}

async fn created(resp: reqwest::Response) -> Value {
    let (status, body) = json(resp).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

/// Posts each body and expects a 400 naming exactly `fields`; nothing is stored.
async fn refused(app: &TestApp, token: &str, path: &str, cases: &[(Value, &[&str])]) {
    let before = counts(app).await;
    for (body, fields) in cases {
        let (status, answer) = json(app.post(path, token, body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {answer}");
        assert_fields(&answer, fields);
    }
    assert_eq!(counts(app).await, before, "nothing stored");
}

#[tokio::test]
async fn sla_rows_are_created_changed_deleted_and_audited() {
    let app = TestApp::spawn().await;
    let px = app.token(&email(Role::PxAdmin)).await;
    let a = app.hospital_a.id;
    let grid = created(
        app.post(
            SLA,
            &px,
            &json!({"hospital_id": a, "severity": "high", "priority": "low", "sla_hours": 8,
                "clock_mode": "working_hours", "reminder_hours_before": 2}),
        )
        .await,
    )
    .await;
    assert_eq!(grid["applies_to"], "complaint");
    assert_eq!(grid["source"], Value::Null);
    assert_eq!(grid["second_reminder_hours_before"], 6, "column defaults");
    assert_eq!(grid["is_active"], true);
    let moh = created(
        app.post(
            SLA,
            &px,
            &json!({"hospital_id": a, "source": "moh", "sla_hours": 24, "first_reminder_hours_after": 12,
                "second_reminder_enabled": true, "second_reminder_hours_after": 30, "escalation_hours_after": 24}),
        )
        .await,
    )
    .await;
    // The same cell for actions is another row.
    created(
        app.post(
            SLA,
            &px,
            &json!({"hospital_id": a, "applies_to": "action", "severity": "high", "priority": "low", "sla_hours": 48}),
        )
        .await,
    )
    .await;

    let (status, list) = json(app.get(&format!("{SLA}?hospital_id={a}&applies_to=complaint"), &px).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["count"], 2, "{list}");

    let id = grid["id"].as_str().unwrap();
    let (status, patched) =
        json(app.patch(&format!("{SLA}{id}/"), &px, &json!({"sla_hours": 10, "is_active": false})).await).await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!((patched["sla_hours"].as_i64(), patched["is_active"].as_bool()), (Some(10), Some(false)));
    assert_eq!(patched["clock_mode"], "working_hours", "other fields kept");
    let (status, got) = json(app.get(&format!("{SLA}{id}/"), &px).await).await;
    assert_eq!((status, got["sla_hours"].as_i64()), (StatusCode::OK, Some(10)));

    let resp = app.delete(&format!("{SLA}{}/", moh["id"].as_str().unwrap()), &px).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = app.get(&format!("{SLA}{}/", moh["id"].as_str().unwrap()), &px).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = app.get(&format!("{SLA}not-a-uuid/"), &px).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    let (_, audit) = json(app.get("/api/audit/events/?page_size=100", &px).await).await;
    let text = audit.to_string();
    for action in ["sla_config_created", "sla_config_updated", "sla_config_deleted"] {
        assert!(text.contains(action), "{action} audited: {text}");
    }

    // The OpenAPI document lists the routes under their tag.
    let (_, schema) = json(app.client.get(app.url("/api/schema/")).send().await.unwrap()).await;
    let paths = &schema["paths"];
    for (path, method) in [
        ("/api/complaints/sla-configs/", "post"),
        ("/api/complaints/sla-configs/{id}/", "patch"),
        ("/api/complaints/escalation-rules/{id}/", "delete"),
        ("/api/complaints/calendars/{hospital_id}/", "put"),
        ("/api/complaints/calendars/{hospital_id}/holidays/{id}/", "patch"),
        ("/api/complaints/sla-preview/", "get"),
    ] {
        assert_eq!(paths[path][method]["tags"][0], "Complaint SLA", "{method} {path}");
    }
}

#[tokio::test]
async fn bad_sla_rows_name_every_bad_field_and_store_nothing() {
    let app = TestApp::spawn().await;
    let px = app.token(&email(Role::PxAdmin)).await;
    let a = app.hospital_a.id;
    let cases: Vec<(Value, &[&str])> = vec![
        (json!({"hospital_id": a}), &["sla_hours", "severity", "priority"]),
        (json!({"sla_hours": 48, "source": "moh"}), &["hospital_id"]),
        (json!({"hospital_id": uuid::Uuid::now_v7(), "sla_hours": 48, "source": "moh"}), &["hospital_id"]),
        (json!({"hospital_id": a, "source": "moh", "severity": "low", "sla_hours": 48}), &["severity"]),
        (json!({"hospital_id": a, "severity": "low", "sla_hours": 48}), &["priority"]),
        (
            json!({"hospital_id": a, "source": "twitter", "sla_hours": 0, "clock_mode": "fast",
                "reminder_hours_before": -1, "applies_to": "both"}),
            &["source", "sla_hours", "clock_mode", "reminder_hours_before", "applies_to"],
        ),
        (
            json!({"hospital_id": a, "severity": "urgent", "priority": "asap", "sla_hours": 9000, "escalation_hours_after": 9000}),
            &["severity", "priority", "sla_hours", "escalation_hours_after"],
        ),
        // Reminders outside the SLA window.
        (
            json!({"hospital_id": a, "source": "chi", "sla_hours": 12, "reminder_hours_before": 12}),
            &["reminder_hours_before"],
        ),
        (
            json!({"hospital_id": a, "source": "chi", "sla_hours": 24, "first_reminder_hours_after": 30}),
            &["first_reminder_hours_after"],
        ),
        (
            json!({"hospital_id": a, "source": "chi", "sla_hours": 24, "reminder_hours_before": 6,
                "second_reminder_enabled": true, "second_reminder_hours_before": 24}),
            &["second_reminder_hours_before"],
        ),
        (
            json!({"hospital_id": a, "source": "chi", "sla_hours": 24, "reminder_hours_before": 6,
                "second_reminder_enabled": true, "second_reminder_hours_before": 8}),
            &["second_reminder_hours_before"],
        ),
        (
            json!({"hospital_id": a, "applies_to": "action", "source": "moh", "sla_hours": 24, "reminder_hours_before": 2}),
            &["source"],
        ),
        // Wrong types and unknown fields.
        (json!({"hospital_id": a, "source": "moh", "sla_hours": "24"}), &["sla_hours"]),
        (
            json!({"hospital_id": a, "source": "moh", "sla_hours": 24, "reminder_hours_before": 2, "colour": "red"}),
            &["colour"],
        ),
    ];
    refused(&app, &px, SLA, &cases).await;
    let (_, body) = json(app.post(SLA, &px, &cases[7].0).await).await;
    assert!(body["reminder_hours_before"][0].as_str().unwrap().contains("12"), "a clear message: {body}");

    // Duplicates: the same source, the same cell (for the same hospital and applies_to).
    let moh = json!({"hospital_id": a, "source": "moh", "sla_hours": 24, "reminder_hours_before": 2});
    created(app.post(SLA, &px, &moh).await).await;
    let cell = json!({"hospital_id": a, "severity": "low", "priority": "low", "sla_hours": 48});
    created(app.post(SLA, &px, &cell).await).await;
    let other = created(
        app.post(SLA, &px, &json!({"hospital_id": a, "severity": "low", "priority": "high", "sla_hours": 48})).await,
    )
    .await;
    // Hospital B may have the same rows.
    created(
        app.post(
            SLA,
            &px,
            &json!({"hospital_id": app.hospital_b.id, "source": "moh", "sla_hours": 12, "reminder_hours_before": 2}),
        )
        .await,
    )
    .await;
    refused(&app, &px, SLA, &[(moh, &["source"]), (cell, &["severity", "priority"])]).await;
    // A change that would make a duplicate, or move a row to another hospital, is refused too.
    let path = format!("{SLA}{}/", other["id"].as_str().unwrap());
    for (patch, fields) in [
        (json!({"priority": "low"}), &["severity", "priority"][..]),
        (json!({"hospital_id": app.hospital_b.id}), &["hospital_id"][..]),
        (json!({"sla_hours": 1}), &["reminder_hours_before"][..]),
        (json!({"unknown": 1}), &["unknown"][..]),
    ] {
        let (status, body) = json(app.patch(&path, &px, &patch).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{patch} → {body}");
        assert_fields(&body, fields);
    }
    let (_, unchanged) = json(app.get(&path, &px).await).await;
    assert_eq!((unchanged["priority"].as_str(), unchanged["sla_hours"].as_i64()), (Some("high"), Some(48)));
}

#[tokio::test]
async fn escalation_rules_are_checked_created_changed_and_deleted() {
    let app = TestApp::spawn().await;
    let px = app.token(&email(Role::PxAdmin)).await;
    let a = app.hospital_a.id;
    let manager = app.user(Role::DepartmentManager).id;
    let emergency_a = app.department_id(a, "EMR-001").await;
    let emergency_b = app.department_id(app.hospital_b.id, "EMR-001").await;
    let base = json!({"hospital_id": a, "level": 2, "escalate_to_role": "hospital_admin"});
    let with = |extra: Value| px360::crud::merge(base.clone(), extra);
    let cases: Vec<(Value, &[&str])> = vec![
        (json!({"hospital_id": a}), &["level", "escalate_to_role"]),
        (
            with(json!({"level": 4, "escalate_to_role": "janitor", "applies_to": "survey"})),
            &["level", "escalate_to_role", "applies_to"],
        ),
        (
            with(
                json!({"trigger_hours_overdue": -1, "reminder_escalation_enabled": true, "reminder_escalation_hours": 0}),
            ),
            &["trigger_hours_overdue", "reminder_escalation_hours"],
        ),
        (with(json!({"escalate_to_role": "specific_user"})), &["escalate_to_user_id"]),
        (
            with(json!({"escalate_to_role": "specific_user", "escalate_to_user_id": app.admin_b.id})),
            &["escalate_to_user_id"],
        ),
        (
            with(json!({"escalate_to_role": "specific_user", "escalate_to_user_id": uuid::Uuid::now_v7()})),
            &["escalate_to_user_id"],
        ),
        (with(json!({"escalate_to_user_id": manager})), &["escalate_to_user_id"]),
        (with(json!({"filters": {"severity": ["low", "huge"]}})), &["filters"]),
        (with(json!({"filters": {"colour": ["red"]}})), &["filters"]),
        (with(json!({"filters": {"department_id": [emergency_b.to_string()]}})), &["filters"]),
        (with(json!({"filters": ["low"]})), &["filters"]),
        (with(json!({"trigger_on_overdue": false})), &["trigger_on_overdue"]),
        (with(json!({"name": "x".repeat(201)})), &["name"]),
        (with(json!({"level": "two"})), &["level"]),
    ];
    refused(&app, &px, RULES, &cases).await;

    let rule = created(
        app.post(
            RULES,
            &px,
            &with(json!({"name": "To the manager", "escalate_to_role": "specific_user", "escalate_to_user_id": manager,
                "filters": {"severity": ["high", "critical", "high"], "department_id": [emergency_a.to_string()], "source": []}})),
        )
        .await,
    )
    .await;
    assert_eq!(rule["filters"], json!({"severity": ["high", "critical"], "department_id": [emergency_a.to_string()]}));
    assert_eq!(rule["trigger_on_overdue"], true);
    let px_user = app.user(Role::PxAdmin).id;
    let path = format!("{RULES}{}/", rule["id"].as_str().unwrap());
    let (status, patched) =
        json(app.patch(&path, &px, &json!({"escalate_to_user_id": px_user, "trigger_hours_overdue": 6})).await).await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["escalate_to_user_id"], json!(px_user), "a PX admin sees every hospital");
    let (status, body) = json(app.patch(&path, &px, &json!({"escalate_to_role": "ceo"})).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fields(&body, &["escalate_to_user_id"]);
    let (status, patched) =
        json(app.patch(&path, &px, &json!({"escalate_to_role": "ceo", "escalate_to_user_id": null})).await).await;
    assert_eq!((status, patched["escalate_to_role"].as_str()), (StatusCode::OK, Some("ceo")), "{patched}");
    let (_, list) = json(app.get(&format!("{RULES}?hospital_id={a}&level=2"), &px).await).await;
    assert_eq!(list["count"], 1);
    assert_eq!(app.delete(&path, &px).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path, &px).await.status(), StatusCode::NOT_FOUND);
    let (_, audit) = json(app.get("/api/audit/events/?page_size=100", &px).await).await;
    let text = audit.to_string();
    for action in ["escalation_rule_created", "escalation_rule_updated", "escalation_rule_deleted"] {
        assert!(text.contains(action), "{action} audited");
    }
}

#[tokio::test]
async fn calendars_and_holidays_are_validated_and_saved() {
    let app = TestApp::spawn().await;
    let px = app.token(&email(Role::PxAdmin)).await;
    let a = app.hospital_a.id;
    let cal = format!("/api/complaints/calendars/{a}/");
    let (status, view) = json(app.get(&cal, &px).await).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(
        view,
        json!({"hospital_id": a, "weekend_days": [5, 6], "opens": "08:00", "closes": "16:00",
        "is_default": true, "updated_at": null})
    );

    let before = counts(&app).await;
    for (body, fields) in [
        (json!({}), &["weekend_days", "opens", "closes"][..]),
        (json!({"weekend_days": [1, 2, 3, 4, 5, 6, 7], "opens": "08:00", "closes": "16:00"}), &["weekend_days"][..]),
        (json!({"weekend_days": [0, 8], "opens": "8am", "closes": "16:00"}), &["weekend_days", "opens"][..]),
        (json!({"weekend_days": [5], "opens": "16:00", "closes": "08:00"}), &["closes"][..]),
        (json!({"weekend_days": [5], "opens": "08:00", "closes": "25:00"}), &["closes"][..]),
        (json!({"weekend_days": "5,6", "opens": "08:00", "closes": "16:00"}), &["weekend_days"][..]),
    ] {
        let (status, answer) = json(put(&app, &cal, &px, &body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {answer}");
        assert_fields(&answer, fields);
    }
    assert_eq!(counts(&app).await, before);
    let (status, view) =
        json(put(&app, &cal, &px, &json!({"weekend_days": [6, 5, 5], "opens": "07:30", "closes": "15:30"})).await)
            .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!((view["weekend_days"].clone(), view["is_default"].clone()), (json!([5, 6]), json!(false)));
    let (status, view) =
        json(put(&app, &cal, &px, &json!({"weekend_days": [5], "opens": "08:00", "closes": "24:00"})).await).await;
    assert_eq!((status, view["closes"].as_str()), (StatusCode::OK, Some("24:00")));
    assert_eq!(
        put(&app, &format!("/api/complaints/calendars/{}/", uuid::Uuid::now_v7()), &px, &json!({})).await.status(),
        StatusCode::NOT_FOUND
    );

    let holidays = format!("{cal}holidays/");
    let ok = json!({"name_en": "Ramadan", "name_ar": "رمضان", "starts_on": "2026-02-18", "ends_on": "2026-03-19",
        "opens": "10:00", "closes": "15:00"});
    let with = |extra: Value| px360::crud::merge(ok.clone(), extra);
    let cases: Vec<(Value, &[&str])> = vec![
        (json!({}), &["name_en", "starts_on", "ends_on"]),
        (with(json!({"ends_on": "2026-02-17"})), &["ends_on"]),
        (with(json!({"ends_on": "2026-04-19"})), &["ends_on"]),
        (with(json!({"starts_on": "18/02/2026"})), &["starts_on"]),
        (with(json!({"closes": null})), &["closes"]),
        (with(json!({"opens": "15:00", "closes": "10:00"})), &["closes"]),
        (with(json!({"name_en": " ", "opens": "7"})), &["name_en", "opens"]),
        (with(json!({"kind": "closed"})), &["kind"]),
    ];
    refused(&app, &px, &holidays, &cases).await;
    let ramadan = created(app.post(&holidays, &px, &ok).await).await;
    assert_eq!((ramadan["kind"].as_str(), ramadan["opens"].as_str()), (Some("special_hours"), Some("10:00")));
    let eid = created(
        app.post(
            &holidays,
            &px,
            &json!({"name_en": "Eid al-Fitr", "starts_on": "2026-03-20", "ends_on": "2026-03-23"}),
        )
        .await,
    )
    .await;
    assert_eq!(eid["kind"], "closed");
    let (_, list) = json(app.get(&holidays, &px).await).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    let path = format!("{holidays}{}/", eid["id"].as_str().unwrap());
    let (status, patched) = json(app.patch(&path, &px, &json!({"ends_on": "2026-03-24"})).await).await;
    assert_eq!((status, patched["ends_on"].as_str()), (StatusCode::OK, Some("2026-03-24")), "{patched}");
    let (status, body) = json(app.patch(&path, &px, &json!({"ends_on": "2026-03-01"})).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fields(&body, &["ends_on"]);
    // The holiday is hospital A's: under hospital B's path it does not exist.
    let other = format!("/api/complaints/calendars/{}/holidays/{}/", app.hospital_b.id, eid["id"].as_str().unwrap());
    assert_eq!(app.delete(&other, &px).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&path, &px).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.delete(&path, &px).await.status(), StatusCode::NOT_FOUND);
    let (_, audit) = json(app.get("/api/audit/events/?page_size=100", &px).await).await;
    let text = audit.to_string();
    for action in
        ["working_calendar_updated", "calendar_holiday_created", "calendar_holiday_updated", "calendar_holiday_deleted"]
    {
        assert!(text.contains(action), "{action} audited");
    }
}

#[tokio::test]
async fn hospital_admins_read_their_own_settings_and_nobody_else_writes() {
    let app = TestApp::spawn().await;
    let px = app.token(&email(Role::PxAdmin)).await;
    let (a, b) = (app.hospital_a.id, app.hospital_b.id);
    let row_a = created(app.post(SLA, &px, &json!({"hospital_id": a, "source": "chi", "sla_hours": 48})).await).await;
    let row_b = created(app.post(SLA, &px, &json!({"hospital_id": b, "source": "chi", "sla_hours": 36})).await).await;
    let rule_b =
        created(app.post(RULES, &px, &json!({"hospital_id": b, "level": 1, "escalate_to_role": "ceo"})).await).await;
    let hol_b = created(
        app.post(
            &format!("/api/complaints/calendars/{b}/holidays/"),
            &px,
            &json!({"name_en": "Day", "starts_on": "2026-09-23", "ends_on": "2026-09-23"}),
        )
        .await,
    )
    .await;

    let ha = app.token(&email(Role::HospitalAdmin)).await;
    let (status, list) = json(app.get(SLA, &ha).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["count"], 1, "only hospital A's rows: {list}");
    let (status, list) = json(app.get(&format!("{SLA}?hospital_id={b}"), &ha).await).await;
    assert_eq!(
        (status, list["count"].as_u64()),
        (StatusCode::OK, Some(1)),
        "the parameter does not widen a hospital admin's scope"
    );
    assert_eq!(app.get(&format!("{SLA}{}/", row_a["id"].as_str().unwrap()), &ha).await.status(), StatusCode::OK);
    assert_eq!(app.get(&format!("{RULES}?applies_to=complaint"), &ha).await.status(), StatusCode::OK);
    assert_eq!(app.get(&format!("/api/complaints/calendars/{a}/"), &ha).await.status(), StatusCode::OK);
    assert_eq!(app.get(&format!("/api/complaints/calendars/{a}/holidays/"), &ha).await.status(), StatusCode::OK);
    assert_eq!(app.get("/api/complaints/sla-preview/?source=moh", &ha).await.status(), StatusCode::OK);
    // Another hospital's rows do not exist for a hospital admin.
    for path in [
        format!("{SLA}{}/", row_b["id"].as_str().unwrap()),
        format!("{RULES}{}/", rule_b["id"].as_str().unwrap()),
        format!("/api/complaints/calendars/{b}/"),
        format!("/api/complaints/calendars/{b}/holidays/"),
        format!("/api/complaints/sla-preview/?source=moh&hospital_id={b}"),
    ] {
        assert_eq!(app.get(&path, &ha).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let admin_b = app.token(ADMIN_B).await;
    assert_eq!(
        app.get(&format!("{SLA}{}/", row_a["id"].as_str().unwrap()), &admin_b).await.status(),
        StatusCode::NOT_FOUND
    );

    // Writing is for PX admins only.
    let before = counts(&app).await;
    let row = format!("{SLA}{}/", row_a["id"].as_str().unwrap());
    let writes = [
        app.post(SLA, &ha, &json!({"source": "moh", "sla_hours": 24})).await,
        app.patch(&row, &ha, &json!({"sla_hours": 1})).await,
        app.delete(&row, &ha).await,
        app.post(RULES, &ha, &json!({"level": 1, "escalate_to_role": "ceo"})).await,
        put(
            &app,
            &format!("/api/complaints/calendars/{a}/"),
            &ha,
            &json!({"weekend_days": [5], "opens": "08:00", "closes": "16:00"}),
        )
        .await,
        app.post(
            &format!("/api/complaints/calendars/{a}/holidays/"),
            &ha,
            &json!({"name_en": "X", "starts_on": "2026-01-01", "ends_on": "2026-01-01"}),
        )
        .await,
        app.delete(&format!("/api/complaints/calendars/{b}/holidays/{}/", hol_b["id"].as_str().unwrap()), &ha).await,
    ];
    for resp in writes {
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{}", resp.url());
    }
    assert_eq!(counts(&app).await, before);

    // A coordinator neither reads nor writes the settings.
    let pxc = app.token(&email(Role::PxCoordinator)).await;
    for path in [
        SLA.to_owned(),
        RULES.to_owned(),
        format!("/api/complaints/calendars/{a}/"),
        "/api/complaints/sla-preview/?source=moh".into(),
    ] {
        assert_eq!(app.get(&path, &pxc).await.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(app.post(SLA, &pxc, &json!({"source": "moh", "sla_hours": 24})).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get(SLA, "not-a-token").await.status(), StatusCode::UNAUTHORIZED);
}

async fn preview(app: &TestApp, token: &str, query: &str) -> Value {
    let (status, body) = json(app.get(&format!("/api/complaints/sla-preview/?{query}"), token).await).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body
}

#[tokio::test]
async fn the_preview_returns_the_spec_numbers_and_the_hospitals_own_rows() {
    let app = TestApp::spawn().await;
    let px = app.token(&email(Role::PxAdmin)).await;
    let a = app.hospital_a.id;
    // Source moh received Sunday 2026-11-29 10:00 Riyadh (07:00 UTC): due +24 h, reminders +12/+30 h.
    let p = preview(&app, &px, &format!("hospital_id={a}&source=moh&received_at=2026-11-29T10:00")).await;
    assert_eq!(p["basis"], "default_source");
    assert_eq!(p["received_at"], "2026-11-29T07:00:00Z");
    assert_eq!(p["due_at"], "2026-11-30T07:00:00Z");
    assert_eq!(p["first_reminder_at"], "2026-11-29T19:00:00Z");
    assert_eq!(p["second_reminder_at"], "2026-11-30T13:00:00Z");
    assert_eq!(p["escalation_at"], "2026-11-30T07:00:00Z");
    assert_eq!(p["local"]["due_at"], "Mon 2026-11-30 10:00");
    assert_eq!(p["sla_config_id"], Value::Null);
    // Critical/high takes the sooner grid (4 h, reminders 2 h and 1 h before).
    let p = preview(
        &app,
        &px,
        &format!("hospital_id={a}&source=moh&severity=critical&priority=high&received_at=2026-11-29T07:00:00Z"),
    )
    .await;
    assert_eq!((p["basis"].as_str(), p["due_at"].as_str()), (Some("default_grid"), Some("2026-11-29T11:00:00Z")));
    assert_eq!(
        (p["first_reminder_at"].as_str(), p["second_reminder_at"].as_str()),
        (Some("2026-11-29T09:00:00Z"), Some("2026-11-29T10:00:00Z"))
    );
    let p = preview(
        &app,
        &px,
        &format!("hospital_id={a}&source=staff&severity=low&priority=low&received_at=2026-11-29T10:00"),
    )
    .await;
    assert_eq!((p["basis"].as_str(), p["due_at"].as_str()), (Some("default_grid"), Some("2026-12-02T07:00:00Z")));

    // A hospital grid row in working hours: Thursday 14:00 + 8 working hours = 2 h Thursday, the
    // Friday–Saturday weekend, 6 h Sunday → Sunday 14:00.
    let row = created(
        app.post(
            SLA,
            &px,
            &json!({"hospital_id": a, "severity": "medium", "priority": "medium", "sla_hours": 8,
                "clock_mode": "working_hours", "reminder_hours_before": 4}),
        )
        .await,
    )
    .await;
    let q = format!("hospital_id={a}&source=staff&severity=medium&priority=medium&received_at=2026-11-26T14:00");
    let p = preview(&app, &px, &q).await;
    assert_eq!(p["basis"], "hospital_grid");
    assert_eq!(p["sla_config_id"], row["id"]);
    assert_eq!(p["clock_mode"], "working_hours");
    assert_eq!(p["local"]["due_at"], "Sun 2026-11-29 14:00");
    assert_eq!(p["local"]["first_reminder_at"], "Sun 2026-11-29 10:00");
    // A holiday on that Sunday moves it to Monday; Ramadan-like special hours shorten Monday.
    let holidays = format!("/api/complaints/calendars/{a}/holidays/");
    created(
        app.post(&holidays, &px, &json!({"name_en": "Closed", "starts_on": "2026-11-29", "ends_on": "2026-11-29"}))
            .await,
    )
    .await;
    assert_eq!(preview(&app, &px, &q).await["local"]["due_at"], "Mon 2026-11-30 14:00");
    created(app.post(&holidays, &px, &json!({"name_en": "Short", "starts_on": "2026-11-30", "ends_on": "2026-11-30", "opens": "10:00", "closes": "15:00"})).await).await;
    // 2 h Thursday, 5 h Monday (10–15), 1 h Tuesday → Tuesday 09:00.
    assert_eq!(preview(&app, &px, &q).await["local"]["due_at"], "Tue 2026-12-01 09:00");
    // A working week of Sunday–Friday (only Saturday off) counts Friday.
    put(
        &app,
        &format!("/api/complaints/calendars/{a}/"),
        &px,
        &json!({"weekend_days": [6], "opens": "08:00", "closes": "16:00"}),
    )
    .await;
    assert_eq!(preview(&app, &px, &q).await["local"]["due_at"], "Fri 2026-11-27 14:00");

    // A hospital source row wins over the spec's source default; an inactive one does not.
    let chi = created(
        app.post(SLA, &px, &json!({"hospital_id": a, "source": "chi", "sla_hours": 30, "reminder_hours_before": 6}))
            .await,
    )
    .await;
    let qc = format!("hospital_id={a}&source=chi&received_at=2026-11-29T10:00");
    let p = preview(&app, &px, &qc).await;
    assert_eq!(
        (p["basis"].as_str(), p["sla_hours"].as_i64(), p["sla_config_id"].clone()),
        (Some("hospital_source"), Some(30), chi["id"].clone())
    );
    app.patch(&format!("{SLA}{}/", chi["id"].as_str().unwrap()), &px, &json!({"is_active": false})).await;
    let p = preview(&app, &px, &qc).await;
    assert_eq!((p["basis"].as_str(), p["sla_hours"].as_i64()), (Some("default_source"), Some(48)));
    // Hospital B is untouched by hospital A's rows.
    let p = preview(&app, &px, &format!("hospital_id={}&source=staff&received_at=2026-11-26T14:00", app.hospital_b.id))
        .await;
    assert_eq!((p["basis"].as_str(), p["sla_hours"].as_i64()), (Some("default_grid"), Some(24)));

    for (query, fields) in [
        ("source=moh", &["hospital_id"][..]),
        (&*format!("hospital_id={a}"), &["source"][..]),
        (
            &*format!("hospital_id={a}&source=fax&severity=huge&priority=urgent&received_at=yesterday"),
            &["source", "severity", "priority", "received_at"][..],
        ),
        ("hospital_id=nope&source=moh", &["hospital_id"][..]),
    ] {
        let (status, body) = json(app.get(&format!("/api/complaints/sla-preview/?{query}"), &px).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_fields(&body, fields);
    }
}

#[tokio::test]
async fn the_settings_pages_show_edit_and_stay_read_only_for_hospital_admins() {
    let app = TestApp::spawn().await;
    let a = app.hospital_a.id;
    let (client, csrf) = app.login_page_session(&email(Role::PxAdmin)).await;
    // No hospital chosen: a picker.
    let html = client.get(app.url("/complaints/settings/sla/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"sla-pick-hospital\""), "{html}");
    let page = client
        .get(app.url(&format!("/complaints/settings/sla/?hospital_id={a}&source=moh&received_at=2026-11-29T10:00")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("id=\"sla-grid\"") && html.contains("id=\"sla-row-form\""), "grid and form");
    assert!(html.contains("Mon 2026-11-30 10:00"), "the preview's due date");

    // Add a row through the form; a bad one comes back with its error and nothing stored.
    let form = |hours: &str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("hospital_id", a.to_string()),
            ("applies_to", "complaint".into()),
            ("source", String::new()),
            ("severity", "high".into()),
            ("priority", "high".into()),
            ("sla_hours", hours.into()),
            ("clock_mode", "working_hours".into()),
            ("reminder_hours_before", "2".into()),
            ("second_reminder_hours_before", "1".into()),
            ("first_reminder_hours_after", "0".into()),
            ("second_reminder_hours_after", "0".into()),
            ("escalation_hours_after", "0".into()),
            ("is_active", "on".into()),
        ]
    };
    let resp = client.post(app.url("/complaints/settings/sla/")).form(&form("2")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.text().await.unwrap().contains("is-invalid"));
    assert_eq!(counts(&app).await.0, 0);
    let resp = client.post(app.url("/complaints/settings/sla/")).form(&form("5")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let rows = sla_config::Entity::find().all(app.db()).await.unwrap();
    assert_eq!((rows.len(), rows[0].sla_hours, rows[0].clock_mode.as_str()), (1, 5, "working_hours"));
    let html = client
        .get(app.url(&format!("/complaints/settings/sla/?hospital_id={a}&edit={}", rows[0].id)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("action=\"/complaints/settings/sla/{}/\"", rows[0].id)), "the edit form");
    let resp = client
        .post(app.url(&format!("/complaints/settings/sla/{}/", rows[0].id)))
        .form(&form("6"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(sla_config::Entity::find().one(app.db()).await.unwrap().unwrap().sla_hours, 6);

    // The calendar page: a holiday with special hours, the week, and the 14-day strip.
    let resp = client
        .post(app.url("/complaints/settings/calendar/holidays/"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("hospital_id", &a.to_string()),
            ("name_en", "Ramadan"),
            ("name_ar", "رمضان"),
            ("starts_on", "2027-02-08"),
            ("ends_on", "2027-03-09"),
            ("opens", "10:00"),
            ("closes", "15:00"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let resp = client
        .post(app.url("/complaints/settings/calendar/"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("hospital_id", &a.to_string()),
            ("weekend_days", "5"),
            ("weekend_days", "6"),
            ("opens", "08:00"),
            ("closes", "07:00"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let html = client
        .get(app.url(&format!("/complaints/settings/calendar/?hospital_id={a}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"calendar-strip\"") && html.contains("رمضان"), "{html}");
    assert_eq!(html.matches("data-kind=").count(), 14);

    // The escalation page shows the default chains and adds a rule.
    let html = client
        .get(app.url(&format!("/complaints/settings/escalation/?hospital_id={a}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("id=\"chain-complaint\"")
            && html.contains("id=\"chain-action\"")
            && html.contains("id=\"escalation-form\"")
    );
    let resp = client
        .post(app.url("/complaints/settings/escalation/"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("hospital_id", &a.to_string()),
            ("applies_to", "action"),
            ("level", "1"),
            ("trigger_on_overdue", "on"),
            ("trigger_hours_overdue", "2"),
            ("reminder_escalation_hours", "24"),
            ("escalate_to_role", "hospital_admin"),
            ("escalate_to_user_id", ""),
            ("f_severity", "critical"),
            ("is_active", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let rule = escalation_rule::Entity::find().one(app.db()).await.unwrap().unwrap();
    assert_eq!((rule.applies_to.as_str(), rule.filters.clone()), ("action", json!({"severity": ["critical"]})));

    // A hospital admin reads the pages without forms; a coordinator may not open them.
    let (ha, _) = app.login_page_session(&email(Role::HospitalAdmin)).await;
    for path in ["/complaints/settings/sla/", "/complaints/settings/escalation/", "/complaints/settings/calendar/"] {
        let resp = ha.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let html = resp.text().await.unwrap();
        assert!(html.contains("id=\"sla-read-only\""), "{path}");
        assert!(
            !html.contains("id=\"sla-row-form\"")
                && !html.contains("id=\"escalation-form\"")
                && !html.contains("id=\"holiday-form\"")
        );
        assert!(hidden_field(&html, "csrf_token").is_some(), "the layout's own forms only");
    }
    let (ha_csrf_client, ha_csrf) = app.login_page_session(&email(Role::HospitalAdmin)).await;
    // Both languages, no message key shown raw.
    for (language, word) in [("ar", "قواعد المهل"), ("en", "SLA rules")] {
        let resp = ha_csrf_client
            .post(app.url("/i18n/set-language/"))
            .form(&[("csrf_token", ha_csrf.as_str()), ("language", language), ("next", "/")])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        for path in ["/complaints/settings/sla/", "/complaints/settings/escalation/", "/complaints/settings/calendar/"]
        {
            let html = ha_csrf_client.get(app.url(path)).send().await.unwrap().text().await.unwrap();
            assert!(html.contains(word), "{language} {path}");
            let raw: Vec<&str> = html
                .split('>')
                .filter_map(|chunk| chunk.split('<').next())
                .flat_map(|text| text.split(|c: char| c.is_whitespace() || c == ':'))
                .filter(|w| w.starts_with("sla-"))
                .collect();
            assert!(raw.is_empty(), "{language} {path}: raw keys {raw:?}");
        }
    }
    let resp = ha_csrf_client
        .post(app.url(&format!("/complaints/settings/sla/{}/delete/", rows[0].id)))
        .form(&[("csrf_token", ha_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(counts(&app).await.0, 1);
    let (pxc, _) = app.login_page_session(&email(Role::PxCoordinator)).await;
    assert_eq!(pxc.get(app.url("/complaints/settings/sla/")).send().await.unwrap().status(), StatusCode::FORBIDDEN);

    // Deleting through the page.
    let resp = client
        .post(app.url(&format!("/complaints/settings/sla/{}/delete/", rows[0].id)))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(counts(&app).await.0, 0);
}
