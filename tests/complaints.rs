//! Complaints and PX Actions through the API: filing with its SLA, assignment, the status
//! workflow and its refusals, notes, complaint → action with the approval workflow, explanation
//! requests by link with escalation, and the SLA checks (reminders, overdue, escalation levels)
//! run at chosen instants. Bad input answers a clear error and changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{ADMIN_B, TestApp, assert_fields, email, json};
use px360::auth::Role;
use px360::domains::complaints::model::{
    complaint, complaint_category, complaint_update, px_action_attachment, sla_escalation,
};
use px360::domains::complaints::{explanations, sla_jobs};
use px360::domains::notifications::model::message;
use px360::domains::organizations::model::staff;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use serde_json::{Value, json};
use uuid::Uuid;

/// A shared level-1..3 chain of categories, plus a level-3 node of hospital B.
async fn categories(app: &TestApp) -> (Uuid, Uuid, Uuid) {
    let at = Utc::now();
    let mut parent = None;
    let mut ids = Vec::new();
    for (level, code) in [(1, "TST"), (2, "TST-QUA"), (3, "TST-QUA-DIAG")] {
        let id = Uuid::now_v7();
        complaint_category::ActiveModel {
            id: Set(id),
            hospital_id: Set(None),
            parent_id: Set(parent),
            level: Set(level),
            code: Set(code.into()),
            name_en: Set(format!("{code} node")),
            name_ar: Set("تصنيف".into()),
            description_en: Set(String::new()),
            description_ar: Set(String::new()),
            domain_type: Set("CLINICAL".into()),
            sort_order: Set(0),
            is_active: Set(true),
            created_at: Set(at),
            updated_at: Set(at),
            deleted_at: Set(None),
        }
        .insert(app.db())
        .await
        .unwrap();
        parent = Some(id);
        ids.push(id);
    }
    let foreign = Uuid::now_v7();
    complaint_category::ActiveModel {
        id: Set(foreign),
        hospital_id: Set(Some(app.hospital_b.id)),
        parent_id: Set(Some(ids[1])),
        level: Set(3),
        code: Set("TST-QUA-BONLY".into()),
        name_en: Set("B only".into()),
        name_ar: Set("ب".into()),
        description_en: Set(String::new()),
        description_ar: Set(String::new()),
        domain_type: Set("CLINICAL".into()),
        sort_order: Set(0),
        is_active: Set(true),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
    }
    .insert(app.db())
    .await
    .unwrap();
    (ids[1], ids[2], foreign)
}

async fn add_staff(app: &TestApp, hospital: Uuid, department: Option<Uuid>, mail: &str) -> Uuid {
    let at = Utc::now();
    let id = Uuid::now_v7();
    staff::ActiveModel {
        id: Set(id),
        hospital_id: Set(hospital),
        department_id: Set(department),
        user_id: Set(None),
        staff_type: Set("nurse".into()),
        employee_id: Set(format!("E-{}", &id.to_string()[..8])),
        first_name_en: Set("Noura".into()),
        last_name_en: Set("Saleh".into()),
        first_name_ar: Set("نورة".into()),
        last_name_ar: Set("صالح".into()),
        email: Set(mail.into()),
        phone: Set(String::new()),
        job_title_en: Set(String::new()),
        job_title_ar: Set(String::new()),
        license_number: Set(None),
        specialization_en: Set(String::new()),
        specialization_ar: Set(String::new()),
        status: Set("active".into()),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
    }
    .insert(app.db())
    .await
    .unwrap();
    id
}

async fn file(app: &TestApp, token: &str, extra: Value) -> Value {
    let mut body = json!({
        "source": "patient",
        "title": "Long wait in the emergency department",
        "description": "انتظرت أكثر من أربع ساعات في قسم الطوارئ دون أن يخبرني أحد بالسبب.",
        "complainant_name": "Fahad",
        "complainant_phone": "0551234567",
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (status, created) = json(app.post("/api/complaints/", token, &body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

async fn count_complaints(app: &TestApp) -> u64 {
    complaint::Entity::find().count(app.db()).await.unwrap()
}

fn ts(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_complaint_is_filed_assigned_resolved_closed_and_converted_into_an_approved_action() {
    let app = TestApp::spawn().await;
    px360::seed::reference::seed_notification_templates(app.db(), false).await.unwrap();
    let (level2, level3, _) = categories(&app).await;
    let pxc = app.token(&email(Role::PxCoordinator)).await;
    let emergency = app.department_id(app.hospital_a.id, "EMR-001").await;

    let created = file(&app, &pxc, json!({"department_id": emergency, "category_id": level2})).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let reference = created["reference_number"].as_str().unwrap();
    assert!(reference.starts_with("CMP-") && reference.len() == 19, "{reference}");
    assert_eq!(created["status"], "open");
    assert_eq!(created["language"], "ar");
    assert_eq!(created["source_type"], "internal");
    // patient source: 72 h after receipt (spec's source table), reminders at +24 h and +72 h.
    let received = ts(&created["received_at"]);
    assert_eq!(ts(&created["due_at"]), received + Duration::hours(72));
    assert_eq!(ts(&created["first_reminder_at"]), received + Duration::hours(24));
    assert_eq!(created["allowed_next"], json!(["in_progress", "resolved", "cancelled"]));
    // The acknowledgement with the reference is queued to the complainant.
    let ack = message::Entity::find()
        .filter(message::Column::TemplateCode.eq("complaint_acknowledgement"))
        .one(app.db())
        .await
        .unwrap()
        .expect("acknowledgement queued");
    assert!(ack.body.contains(reference), "{}", ack.body);
    assert_eq!(ack.recipient, "+966551234567");

    // A coordinator may not assign to others, but may take it; it moves to in_progress.
    let admin = app.user(Role::HospitalAdmin).id;
    let (status, body) =
        json(app.post(&format!("/api/complaints/{id}/assign/"), &pxc, &json!({"user_id": admin})).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let me = app.user(Role::PxCoordinator).id;
    let (status, body) =
        json(app.post(&format!("/api/complaints/{id}/assign/"), &pxc, &json!({"user_id": me})).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "in_progress");
    assert_eq!(body["assigned_to"], json!(me));

    // Closing an in-progress complaint is not a move the workflow has: 409 naming the allowed ones.
    let (status, body) =
        json(app.post(&format!("/api/complaints/{id}/status/"), &pxc, &json!({"status": "closed"})).await).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("resolved") && detail.contains("cancelled"), "{detail}");
    // Resolving needs a resolution, its category and a level-3 category: each named.
    let (status, body) =
        json(app.post(&format!("/api/complaints/{id}/status/"), &pxc, &json!({"status": "resolved"})).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_fields(&body, &["resolution", "resolution_category", "category"]);
    // A coordinator may not cancel (PX and hospital admins only), whatever the reason.
    let (status, _) = json(
        app.post(&format!("/api/complaints/{id}/status/"), &pxc, &json!({"status": "cancelled", "reason": "dup"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) =
        json(app.patch(&format!("/api/complaints/{id}/"), &pxc, &json!({"category_id": level3})).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = json(
        app.post(
            &format!("/api/complaints/{id}/status/"),
            &pxc,
            &json!({"status": "resolved", "resolution": "We apologised and added a triage nurse at night.",
                    "resolution_category": "full_action_taken", "public_message": "تمت معالجة ملاحظتك"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "resolved");

    // Notes: one internal, one the patient may see.
    for (message, public) in [("Called the patient back", false), ("نعتذر عن التأخير", true)] {
        let (status, _) = json(
            app.post(
                &format!("/api/complaints/{id}/updates/"),
                &pxc,
                &json!({"message": message, "is_public": public}),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, body) =
        json(app.post(&format!("/api/complaints/{id}/status/"), &pxc, &json!({"status": "closed"})).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "closed");
    assert_eq!(body["allowed_next"], json!([]));
    assert!(
        message::Entity::find()
            .filter(message::Column::TemplateCode.eq("complaint_closed"))
            .count(app.db())
            .await
            .unwrap()
            == 1
    );
    // Final: nothing moves any more.
    let (status, _) = json(
        app.post(&format!("/api/complaints/{id}/status/"), &pxc, &json!({"status": "in_progress", "reason": "x"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // The timeline: created, assignment, status moves, notes; public ones flagged.
    let (_, timeline) = json(app.get(&format!("/api/complaints/{id}/updates/"), &pxc).await).await;
    let kinds: Vec<&str> = timeline.as_array().unwrap().iter().map(|u| u["update_type"].as_str().unwrap()).collect();
    assert!(kinds.starts_with(&["created", "assignment", "status"]), "{kinds:?}");
    let public: Vec<&Value> = timeline.as_array().unwrap().iter().filter(|u| u["is_public"] == true).collect();
    assert!(public.iter().any(|u| u["message"] == "نعتذر عن التأخير"));
    assert!(!public.iter().any(|u| u["message"] == "Called the patient back"));

    // Complaint → action: linked both ways.
    let (status, action) =
        json(app.post(&format!("/api/complaints/{id}/create_action/"), &pxc, &json!({})).await).await;
    assert_eq!(status, StatusCode::CREATED, "{action}");
    assert_eq!(action["source_type"], "complaint");
    assert_eq!(action["source_id"], json!(id));
    assert!(action["reference_number"].as_str().unwrap().starts_with("ACT-"));
    let (_, linked) = json(app.get(&format!("/api/complaints/{id}/actions/"), &pxc).await).await;
    assert_eq!(linked[0]["id"], action["id"]);
    let aid = action["id"].as_str().unwrap().to_owned();

    // Approval: start, submit (needs notes and evidence), approve by someone other than the
    // assignee, close.
    let (status, _) = json(app.post(&format!("/api/actions/{aid}/assign/"), &pxc, &json!({"user_id": me})).await).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) =
        json(app.post(&format!("/api/actions/{aid}/status/"), &pxc, &json!({"status": "in_progress"})).await).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) =
        json(app.post(&format!("/api/actions/{aid}/status/"), &pxc, &json!({"status": "pending_approval"})).await)
            .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fields(&body, &["resolution_notes", "evidence"]);
    px_action_attachment::ActiveModel {
        id: Set(Uuid::now_v7()),
        action_id: Set(Uuid::parse_str(&aid).unwrap()),
        hospital_id: Set(app.hospital_a.id),
        is_evidence: Set(true),
        file_name: Set("rota.pdf".into()),
        content_type: Set("application/pdf".into()),
        size_bytes: Set(10),
        sha256: Set("0".repeat(64)),
        storage_key: Set("x".into()),
        uploaded_by: Set(Some(me)),
        created_at: Set(Utc::now()),
        deleted_at: Set(None),
    }
    .insert(app.db())
    .await
    .unwrap();
    let (status, body) = json(
        app.post(
            &format!("/api/actions/{aid}/status/"),
            &pxc,
            &json!({"status": "pending_approval", "resolution_notes": "Night triage nurse on the rota from 1 Dec."}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) =
        json(app.post(&format!("/api/actions/{aid}/status/"), &pxc, &json!({"status": "approved"})).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the assignee may not approve their own work: {body}");
    let ha = app.token(&email(Role::HospitalAdmin)).await;
    let (status, body) =
        json(app.post(&format!("/api/actions/{aid}/status/"), &ha, &json!({"status": "approved"})).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) =
        json(app.post(&format!("/api/actions/{aid}/status/"), &ha, &json!({"status": "closed"})).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, logs) = json(app.get(&format!("/api/actions/{aid}/logs/"), &ha).await).await;
    let kinds: Vec<&str> = logs.as_array().unwrap().iter().map(|l| l["log_type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["created", "assignment", "status", "status", "approval", "status"]);
}

#[tokio::test]
async fn bad_input_answers_a_clear_error_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let (_, _, foreign_category) = categories(&app).await;
    let pxc = app.token(&email(Role::PxCoordinator)).await;
    let foreign_department = app.department_id(app.hospital_b.id, "EMR-001").await;
    let future = (Utc::now() + Duration::hours(2)).to_rfc3339();
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!({}), vec!["source", "description", "title"]),
        (json!({"source": "pigeon", "description": "x", "title": "t"}), vec!["source"]),
        (json!({"source": "patient", "description": "x", "title": "t", "severity": 5}), vec![]),
        (
            json!({"source": "patient", "description": "x", "title": "t", "severity": "extreme", "priority": "urgent"}),
            vec!["severity", "priority"],
        ),
        (
            json!({"source": "patient", "description": "x", "title": "t", "category_id": foreign_category}),
            vec!["category_id"],
        ),
        (
            json!({"source": "patient", "description": "x", "title": "t", "category_id": Uuid::now_v7()}),
            vec!["category_id"],
        ),
        (
            json!({"source": "patient", "description": "x", "title": "t", "department_id": foreign_department}),
            vec!["department_id"],
        ),
        (json!({"source": "patient", "description": "x", "title": "t", "received_at": future}), vec!["received_at"]),
        (
            json!({"source": "patient", "description": "x", "title": "t", "complainant_phone": "12ab"}),
            vec!["complainant_phone"],
        ),
        (
            json!({"source": "patient", "description": "x", "title": "t", "complainant_email": "not-an-email"}),
            vec!["complainant_email"],
        ),
        (
            json!({"source": "patient", "description": "x", "title": "t", "hospital_id": app.hospital_b.id}),
            vec!["hospital_id"],
        ),
        (json!({"source": "patient", "description": "x", "title": "t", "colour": "red"}), vec![]),
        (json!({"source": "patient", "description": "x".repeat(5001), "title": "t"}), vec!["description"]),
    ];
    for (body, fields) in cases {
        let (status, answer) = json(app.post("/api/complaints/", &pxc, &body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {answer}");
        if !fields.is_empty() {
            assert_fields(&answer, &fields);
        }
    }
    assert_eq!(count_complaints(&app).await, 0);
    // An oversized body is a 413.
    let big = json!({"source": "patient", "title": "t", "description": "x".repeat(2 * 1024 * 1024)});
    let resp = app.post("/api/complaints/", &pxc, &big).await;
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Roles: a viewer reads but may not file; a physician may not even read.
    let viewer = app.token(&email(Role::Viewer)).await;
    let (status, _) = json(
        app.post("/api/complaints/", &viewer, &json!({"source": "patient", "description": "x", "title": "t"})).await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let physician = app.token(&email(Role::Physician)).await;
    assert_eq!(app.get("/api/complaints/", &physician).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(count_complaints(&app).await, 0);

    // Another hospital's complaint is a 404 everywhere, as an unknown id is.
    let created = file(&app, &pxc, json!({})).await;
    let id = created["id"].as_str().unwrap();
    let b = app.token(ADMIN_B).await;
    for path in [
        format!("/api/complaints/{id}/"),
        format!("/api/complaints/{id}/updates/"),
        format!("/api/complaints/{}/", Uuid::now_v7()),
    ] {
        assert_eq!(app.get(&path, &b).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let (status, _) =
        json(app.post(&format!("/api/complaints/{id}/status/"), &b, &json!({"status": "in_progress"})).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = json(app.get("/api/complaints/", &b).await).await;
    assert_eq!(list["count"], 0);
    // The viewer sees the complaint with the phone masked.
    let (status, seen) = json(app.get(&format!("/api/complaints/{id}/"), &viewer).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(seen["complainant_phone"], "•••••••••4567");
    // Bad filters are named.
    let (status, body) = json(app.get("/api/complaints/?status=lost&overdue=maybe", &pxc).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // Assigning to a user of another hospital or a non-handler is refused.
    let ha = app.token(&email(Role::HospitalAdmin)).await;
    for user in [app.admin_b.id, app.user(Role::Nurse).id, Uuid::now_v7()] {
        let (status, body) =
            json(app.post(&format!("/api/complaints/{id}/assign/"), &ha, &json!({"user_id": user})).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_fields(&body, &["user_id"]);
    }
    let stored = complaint::Entity::find_by_id(Uuid::parse_str(id).unwrap()).one(app.db()).await.unwrap().unwrap();
    assert_eq!(stored.assigned_to, None);
    assert_eq!(stored.status, "open");
}

/// The SLA checks at chosen instants: the first reminder, the overdue flag and the escalation
/// chain (department manager, hospital admin, PX admin), each once, and nothing after resolve.
#[tokio::test]
async fn reminders_overdue_and_escalation_fire_on_schedule_once_each() {
    let app = TestApp::spawn().await;
    px360::seed::reference::seed_notification_templates(app.db(), false).await.unwrap();
    let pxc = app.token(&email(Role::PxCoordinator)).await;
    let emergency = app.department_id(app.hospital_a.id, "EMR-001").await;
    // staff source: the severity × priority grid; high/high = 6 h, reminder 3 h before.
    let created = file(
        &app,
        &pxc,
        json!({"source": "staff", "severity": "high", "priority": "high", "department_id": emergency}),
    )
    .await;
    let id = Uuid::parse_str(created["id"].as_str().unwrap()).unwrap();
    let received = ts(&created["received_at"]);
    assert_eq!(ts(&created["due_at"]), received + Duration::hours(6));
    let at = |h: i64, m: i64| received + Duration::hours(h) + Duration::minutes(m);
    let state = &app.state;
    let load = || async { complaint::Entity::find_by_id(id).one(app.db()).await.unwrap().unwrap() };

    // Before the reminder: nothing to do.
    let done = sla_jobs::check_complaints(state, at(2, 59)).await.unwrap();
    assert_eq!((done.reminders, done.escalations, done.overdue_flagged), (0, 0, 0));
    // 3 h before due: the first reminder, to the department manager (nobody is assigned yet).
    let done = sla_jobs::check_complaints(state, at(3, 1)).await.unwrap();
    assert_eq!(done.reminders, 1);
    assert!(load().await.first_reminder_sent_at.is_some());
    let done = sla_jobs::check_complaints(state, at(3, 20)).await.unwrap();
    assert_eq!(done.reminders, 0, "a reminder goes once");
    // Past due: overdue and level 1 (department manager).
    let done = sla_jobs::check_complaints(state, at(6, 1)).await.unwrap();
    assert_eq!((done.overdue_flagged, done.escalations), (1, 1));
    let c = load().await;
    assert!(c.is_overdue);
    assert_eq!(c.escalation_level, 1);
    assert_eq!(c.assigned_to, Some(app.user(Role::DepartmentManager).id));
    // The same instant again: nothing more (one level per run, each level once).
    let done = sla_jobs::check_complaints(state, at(6, 1)).await.unwrap();
    assert_eq!(done.escalations, 0);
    // 12 h overdue: level 2 (hospital admin); 24 h overdue: level 3 (PX admin).
    sla_jobs::check_complaints(state, at(18, 1)).await.unwrap();
    let c = load().await;
    assert_eq!((c.escalation_level, c.assigned_to), (2, Some(app.user(Role::HospitalAdmin).id)));
    sla_jobs::check_complaints(state, at(30, 1)).await.unwrap();
    let c = load().await;
    assert_eq!((c.escalation_level, c.assigned_to), (3, Some(app.user(Role::PxAdmin).id)));
    let done = sla_jobs::check_complaints(state, at(90, 0)).await.unwrap();
    assert_eq!(done.escalations, 0, "level 3 is the last");
    let levels: Vec<i32> = sla_escalation::Entity::find()
        .filter(sla_escalation::Column::SubjectId.eq(id))
        .order_by_asc(sla_escalation::Column::Level)
        .all(app.db())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.level)
        .collect();
    assert_eq!(levels, [1, 2, 3]);
    let timeline = complaint_update::Entity::find()
        .filter(complaint_update::Column::ComplaintId.eq(id))
        .all(app.db())
        .await
        .unwrap();
    let count = |kind: &str| timeline.iter().filter(|u| u.update_type == kind).count();
    assert_eq!((count("reminder"), count("overdue"), count("escalation")), (1, 1, 3));
    let escalated = message::Entity::find()
        .filter(message::Column::TemplateCode.eq("complaint_escalated"))
        .count(app.db())
        .await
        .unwrap();
    assert_eq!(escalated, 3, "each target is told");

    // A resolved complaint: the overdue flag clears and nothing fires any more.
    let second = file(&app, &pxc, json!({"source": "staff", "severity": "critical", "priority": "high"})).await;
    let sid = second["id"].as_str().unwrap();
    let ha = app.token(&email(Role::HospitalAdmin)).await;
    let (status, body) = json(
        app.post(
            &format!("/api/complaints/{sid}/status/"),
            &ha,
            &json!({"status": "cancelled", "reason": "duplicate"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let done = sla_jobs::check_complaints(state, at(48, 0)).await.unwrap();
    assert_eq!(done.escalations, 0);
    let c = complaint::Entity::find_by_id(Uuid::parse_str(sid).unwrap()).one(app.db()).await.unwrap().unwrap();
    assert_eq!((c.is_overdue, c.escalation_level), (false, 0));
}

#[tokio::test]
async fn an_explanation_request_is_answered_once_by_link_and_escalates_to_the_manager_when_late() {
    let app = TestApp::spawn().await;
    px360::seed::reference::seed_notification_templates(app.db(), false).await.unwrap();
    let pxc = app.token(&email(Role::PxCoordinator)).await;
    let emergency = app.department_id(app.hospital_a.id, "EMR-001").await;
    let nurse = add_staff(&app, app.hospital_a.id, Some(emergency), "noura@a.test").await;
    let late_nurse = add_staff(&app, app.hospital_a.id, Some(emergency), "sara@a.test").await;
    let foreign = add_staff(&app, app.hospital_b.id, None, "b@b.test").await;
    let created = file(&app, &pxc, json!({"department_id": emergency})).await;
    let id = created["id"].as_str().unwrap();
    let path = format!("/api/complaints/{id}/explanations/");

    let (status, body) =
        json(app.post(&path, &pxc, &json!({"staff_id": foreign, "message": "Please explain"})).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fields(&body, &["staff_id"]);
    let (status, body) = json(app.post(&path, &pxc, &json!({"staff_id": nurse})).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fields(&body, &["message"]);

    let (status, body) =
        json(app.post(&path, &pxc, &json!({"staff_id": nurse, "message": "What happened at triage?"})).await).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["status"], "pending");
    let link = body["link"].as_str().unwrap().to_owned();
    let link_path = &link[link.find("/complaints/explanations/").unwrap()..];
    // One open request per complaint and staff member.
    let (status, _) = json(app.post(&path, &pxc, &json!({"staff_id": nurse, "message": "Again"})).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // The staff member and their manager are told.
    for code in ["explanation_request", "explanation_manager_notice"] {
        let n = message::Entity::find().filter(message::Column::TemplateCode.eq(code)).count(app.db()).await.unwrap();
        assert_eq!(n, 1, "{code}");
    }
    // The link page (no login) shows the request; an answer is taken once.
    let page = app.client.get(app.url(link_path)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("What happened at triage?"));
    assert!(!html.contains("انتظرت"), "the link page does not show the patient's complaint text");
    let short = app.client.post(app.url(link_path)).form(&[("response", "short")]).send().await.unwrap();
    assert!(short.text().await.unwrap().contains("10"), "too short is refused with the limits");
    let answer = "The triage nurse was covering two stations that night.";
    let sent = app.client.post(app.url(link_path)).form(&[("response", answer)]).send().await.unwrap();
    assert_eq!(sent.status(), StatusCode::OK);
    assert!(sent.text().await.unwrap().contains("explanation-done"));
    let again =
        app.client.post(app.url(link_path)).form(&[("response", "A different story altogether")]).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND, "a used link is gone");
    let (_, list) = json(app.get(&path, &pxc).await).await;
    assert_eq!(list[0]["status"], "submitted");
    assert_eq!(list[0]["response"], answer);

    // Unanswered past 48 h: escalated, the manager gets a link of their own.
    let (status, _) = json(app.post(&path, &pxc, &json!({"staff_id": late_nurse, "message": "And you?"})).await).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(explanations::escalate_due(&app.state, Utc::now() + Duration::hours(47)).await.unwrap(), 0);
    assert_eq!(explanations::escalate_due(&app.state, Utc::now() + Duration::hours(49)).await.unwrap(), 1);
    assert_eq!(explanations::escalate_due(&app.state, Utc::now() + Duration::hours(50)).await.unwrap(), 0);
    let (_, list) = json(app.get(&path, &pxc).await).await;
    let late = list.as_array().unwrap().iter().find(|e| e["staff_id"] == json!(late_nurse)).unwrap();
    assert_eq!(late["status"], "escalated");
    assert_eq!(late["manager_user_id"], json!(app.user(Role::DepartmentManager).id));
    let notice = message::Entity::find()
        .filter(message::Column::TemplateCode.eq("explanation_escalated"))
        .one(app.db())
        .await
        .unwrap()
        .expect("manager told");
    assert!(notice.body.contains("/complaints/explanations/manager/"), "{}", notice.body);
}

/// With the hospital's `auto_create_action_on_complaint`, a new complaint comes with its PX
/// Action; other modules open actions through `create_auto`, at most one per source object.
#[tokio::test]
async fn actions_are_created_automatically_once_per_source() {
    use px360::domains::complaints::actions::{AutoAction, create_auto};
    use px360::domains::complaints::model::px_action;
    use px360::domains::complaints::sla::{Priority, Severity};
    use px360::domains::organizations::model::hospital;
    use sea_orm::TransactionTrait;

    let app = TestApp::spawn().await;
    let mut h: hospital::ActiveModel = app.hospital_a.clone().into();
    h.auto_create_action_on_complaint = Set(true);
    h.update(app.db()).await.unwrap();
    let pxc = app.token(&email(Role::PxCoordinator)).await;
    let created = file(&app, &pxc, json!({"severity": "critical"})).await;
    let id = created["id"].as_str().unwrap();
    let (_, linked) = json(app.get(&format!("/api/complaints/{id}/actions/"), &pxc).await).await;
    let linked = linked.as_array().unwrap();
    assert_eq!(linked.len(), 1, "{linked:?}");
    assert_eq!(linked[0]["source_type"], "complaint");
    assert_eq!(linked[0]["auto_created"], true);
    // Critical severity: 72 h whatever the priority (spec §9).
    let due = ts(&linked[0]["due_at"]) - ts(&linked[0]["created_at"]);
    assert!((due - Duration::hours(72)).num_seconds().abs() <= 1, "{due}");

    // A negative survey (issue 6) asks twice for the same source: one action.
    let source = Uuid::now_v7();
    for _ in 0..2 {
        let txn = app.db().begin().await.unwrap();
        let (action, _) = create_auto(
            &txn,
            AutoAction {
                hospital_id: app.hospital_a.id,
                source_type: "survey",
                source_id: source,
                title: "Negative survey: OPD".into(),
                description: String::new(),
                department_id: None,
                severity: Severity::High,
                priority: Priority::High,
            },
        )
        .await
        .unwrap();
        txn.commit().await.unwrap();
        assert!(action.reference_number.starts_with("ACT-"));
    }
    let n = px_action::Entity::find().filter(px_action::Column::SourceId.eq(source)).count(app.db()).await.unwrap();
    assert_eq!(n, 1);
}

/// An action's fields are edited through the API; severity/priority recompute the due date from
/// its creation; bad values are named; a closed action is not edited.
#[tokio::test]
async fn an_action_is_edited_and_its_due_date_follows_its_severity() {
    let app = TestApp::spawn().await;
    let pxc = app.token(&email(Role::PxCoordinator)).await;
    let manager = app.token(&email(Role::DepartmentManager)).await;
    let (status, action) = json(
        app.post(
            "/api/actions/",
            &manager,
            &json!({"title": "Night triage rota", "priority": "low", "requires_approval": false}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "only approvers skip approval: {action}");
    assert_fields(&action, &["requires_approval"]);
    let (status, action) =
        json(app.post("/api/actions/", &pxc, &json!({"title": "Night triage rota", "priority": "low"})).await).await;
    assert_eq!(status, StatusCode::CREATED, "{action}");
    let id = action["id"].as_str().unwrap();
    let created = ts(&action["created_at"]);
    assert_eq!(ts(&action["due_at"]) - created, Duration::hours(336), "low priority: 14 days");

    let path = format!("/api/actions/{id}/");
    let (status, body) = json(app.patch(&path, &pxc, &json!({"severity": "extreme", "title": ""})).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fields(&body, &["severity", "title"]);
    let (status, body) =
        json(app.patch(&path, &pxc, &json!({"priority": "high", "title": "Night triage nurse on every shift"})).await)
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["title"], "Night triage nurse on every shift");
    assert_eq!(ts(&body["due_at"]) - created, Duration::hours(72), "high priority: 72 h from creation");
    let b = app.token(ADMIN_B).await;
    assert_eq!(app.patch(&path, &b, &json!({"title": "x"})).await.status(), StatusCode::NOT_FOUND);

    let ha = app.token(&email(Role::HospitalAdmin)).await;
    let (status, _) =
        json(app.post(&format!("{path}status/"), &ha, &json!({"status": "cancelled", "reason": "duplicate"})).await)
            .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = json(app.patch(&path, &pxc, &json!({"title": "Too late"})).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

/// `px360 bench sla` fills a hospital with open complaints and runs the check until it is quiet:
/// every overdue complaint climbs the three levels, one per run, and the last run does nothing.
#[tokio::test]
async fn the_sla_bench_runs_the_check_until_nothing_is_left() {
    let app = TestApp::spawn().await;
    let result = px360::bench_sla::sla(&app.state, 40).await.unwrap();
    assert_eq!(result.complaints, 40);
    let runs = &result.runs;
    assert_eq!(runs.len(), 4, "{runs:?}");
    let overdue = runs[0].overdue_flagged;
    assert!(overdue > 0 && runs[0].escalations == overdue, "{runs:?}");
    assert!(runs[1].escalations > 0 && runs[2].escalations > 0, "{runs:?}");
    assert_eq!(runs[3].escalations + runs[3].reminders + runs[3].overdue_flagged, 0);
    let levels = sla_escalation::Entity::find().count(app.db()).await.unwrap();
    assert_eq!(levels, runs.iter().map(|r| r.escalations).sum::<u64>());
}
