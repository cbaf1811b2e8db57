//! The complaint and PX Action work pages through a real server and a page session: the work
//! list's filters, saved filters, bulk close with refused rows, CSV/XLSX exports (BOM, escaped
//! formula cells, Arabic, the actor's hospital only), the one-screen detail page (timeline,
//! linked actions, refused forms shown beside the form), My work, the new-complaint form, CSRF,
//! and another hospital's complaint as a 404 page.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Read;

use chrono::{Duration, Utc};
use common::{ADMIN_B, TestApp, email, json, location};
use px360::auth::Role;
use px360::domains::audit::model::audit_event;
use px360::domains::complaints::model::{complaint, complaint_update, px_action, saved_filter};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{Value, json};
use uuid::Uuid;

/// Files a complaint through the API as `login`; returns (id, reference).
async fn file(app: &TestApp, login: &str, title: &str, description: &str) -> (Uuid, String) {
    let token = app.token(login).await;
    let body = json!({
        "source": "patient",
        "title": title,
        "description": description,
        "complainant_name": "Fahad",
        "complainant_phone": "0551234567",
    });
    let (status, created): (StatusCode, Value) = json(app.post("/api/complaints/", &token, &body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    (created["id"].as_str().unwrap().parse().unwrap(), created["reference_number"].as_str().unwrap().to_owned())
}

async fn row(app: &TestApp, id: Uuid) -> complaint::Model {
    complaint::Entity::find_by_id(id).one(app.db()).await.unwrap().unwrap()
}

async fn set(app: &TestApp, id: Uuid, f: impl FnOnce(&mut complaint::ActiveModel)) {
    let mut active: complaint::ActiveModel = row(app, id).await.into();
    f(&mut active);
    active.update(app.db()).await.unwrap();
}

async fn updates(app: &TestApp, id: Uuid) -> u64 {
    complaint_update::Entity::find().filter(complaint_update::Column::ComplaintId.eq(id)).count(app.db()).await.unwrap()
}

async fn page(client: &reqwest::Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let resp = client.get(app.url(path)).send().await.unwrap();
    (resp.status(), resp.text().await.unwrap())
}

#[tokio::test]
async fn the_work_list_filters_saved_filters_and_bulk_close_report_refused_rows() {
    let app = TestApp::spawn().await;
    let ha = email(Role::HospitalAdmin);
    let (late, late_ref) = file(&app, &ha, "Late reply", "لم يتصل بي أحد منذ أسبوع").await;
    let (mine, mine_ref) = file(&app, &ha, "Mine to handle", "الموعد أُلغي دون إبلاغي").await;
    let (done, done_ref) = file(&app, &ha, "Already resolved", "تمت معالجة الطلب بالكامل").await;
    let (_, beta_ref) = file(&app, ADMIN_B, "BETA ONLY", "شكوى في المستشفى الآخر").await;
    set(&app, late, |c| c.due_at = Set(Some(Utc::now() - Duration::hours(2)))).await;
    set(&app, done, |c| {
        c.status = Set("resolved".into());
        c.resolution = Set("Apologised and rebooked".into());
        c.resolution_category = Set(Some("full_action_taken".into()));
    })
    .await;
    let (client, csrf) = app.login_page_session(&ha).await;

    // Taking one from its page assigns it to me.
    let resp = client
        .post(app.url(&format!("/complaints/{mine}/take/")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(row(&app, mine).await.assigned_to, Some(app.user(Role::HospitalAdmin).id));

    let (status, html) = page(&client, &app, "/complaints/").await;
    assert_eq!(status, StatusCode::OK);
    for r in [&late_ref, &mine_ref, &done_ref] {
        assert!(html.contains(r.as_str()), "{r} listed");
    }
    assert!(!html.contains(&beta_ref), "another hospital's complaint is not listed");
    assert!(html.contains("id=\"status-counts\""));

    let (status, html) = page(&client, &app, "/complaints/?overdue=true").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&late_ref) && !html.contains(&mine_ref) && !html.contains(&done_ref), "overdue only");
    assert!(html.contains("overdue-marker"));

    let (_, html) = page(&client, &app, "/complaints/?assigned_to=me").await;
    assert!(html.contains(&mine_ref) && !html.contains(&late_ref) && !html.contains(&done_ref), "mine only");

    // Status checkboxes send the key twice; both are kept.
    let (_, html) = page(&client, &app, "/complaints/?status=open&status=resolved").await;
    assert!(html.contains(&late_ref) && html.contains(&done_ref) && !html.contains(&mine_ref), "open or resolved");
    assert!(html.contains("id=\"f-status-resolved\" checked"));

    // A bad filter value is shown on the page, not a server error.
    let (status, html) = page(&client, &app, "/complaints/?overdue=maybe").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("alert-danger"));

    // Saved filters: save, list, refuse a duplicate name, delete.
    let save = |name: &'static str, query: &'static str| {
        client
            .post(app.url("/complaints/filters/"))
            .form(&[("csrf_token", csrf.as_str()), ("name", name), ("query", query)])
            .send()
    };
    let resp = save("متأخرة", "overdue=true").await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/complaints/?overdue=true&flash=filter_saved");
    let (_, html) = page(&client, &app, "/complaints/").await;
    assert!(html.contains("href=\"/complaints/?overdue=true\"") && html.contains("متأخرة"), "the saved link");
    let resp = save("متأخرة", "status=open").await.unwrap();
    assert!(location(&resp).ends_with("flash=filter_duplicate"), "{}", location(&resp));
    let (_, html) = page(&client, &app, &location(&resp)).await;
    assert!(html.contains("id=\"flash\""));
    let resp = save("bad", "password=x").await.unwrap();
    assert!(location(&resp).ends_with("flash=filter_invalid"));
    let saved = saved_filter::Entity::find().all(app.db()).await.unwrap();
    assert_eq!(saved.len(), 1, "one saved filter");
    assert_eq!(saved[0].query, "overdue=true");
    // Someone else's saved filter is not found.
    let (other, other_csrf) = app.login_page_session(&email(Role::PxCoordinator)).await;
    let resp = other
        .post(app.url(&format!("/complaints/filters/{}/delete/", saved[0].id)))
        .form(&[("csrf_token", other_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = client
        .post(app.url(&format!("/complaints/filters/{}/delete/", saved[0].id)))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(saved_filter::Entity::find().count(app.db()).await.unwrap(), 0);

    // Bulk close: the resolved one closes, the open one is refused and untouched.
    let before = (row(&app, late).await, updates(&app, late).await);
    let late_s = late.to_string();
    let done_s = done.to_string();
    let mine_s = mine.to_string();
    // Without the CSRF token nothing happens.
    let resp = client
        .post(app.url("/complaints/bulk/"))
        .form(&[("op", "close"), ("ids", late_s.as_str()), ("ids", done_s.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(row(&app, done).await.status, "resolved");
    let resp = client
        .post(app.url("/complaints/bulk/"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("op", "close"),
            ("back", "overdue=true"),
            ("ids", late_s.as_str()),
            ("ids", done_s.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("bulk-refused") && html.contains("bulk-ok"), "{html}");
    let refused = html.split("bulk-refused").nth(1).unwrap();
    assert!(refused.contains(&late_ref), "the refused row names the complaint");
    assert!(refused.contains("رُفضت: حالتها"), "and why, in the reader's language: {refused}");
    assert!(html.contains("href=\"/complaints/?overdue=true\""), "back to the same filters");
    let closed = row(&app, done).await;
    assert_eq!(closed.status, "closed");
    assert_eq!(closed.resolution, "Apologised and rebooked", "the resolution is kept");
    assert_eq!((row(&app, late).await, updates(&app, late).await), before, "the refused row is unchanged");

    // Bulk assign by a hospital admin; an unknown id is reported, not fatal.
    let coordinator = app.user(Role::PxCoordinator).id.to_string();
    let bogus = Uuid::now_v7().to_string();
    let resp = client
        .post(app.url("/complaints/bulk/"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("op", "assign"),
            ("user_id", coordinator.as_str()),
            ("ids", late_s.as_str()),
            ("ids", bogus.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    let refused = html.split("bulk-refused").nth(1).expect("the unknown id is a refused row");
    assert!(refused.contains(&bogus), "the unknown id is named");
    assert_eq!(row(&app, late).await.assigned_to, Some(app.user(Role::PxCoordinator).id));
    // A value that is no id at all is refused the same way; the valid ones still run.
    let resp = client
        .post(app.url("/complaints/bulk/"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("op", "assign"),
            ("user_id", coordinator.as_str()),
            ("ids", "not-an-id"),
            ("ids", mine_s.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.split("bulk-refused").nth(1).is_some_and(|r| r.contains("not-an-id")), "{html}");
    assert_eq!(row(&app, mine).await.assigned_to, Some(app.user(Role::PxCoordinator).id));
    // Nothing selected is a clear refusal.
    let resp = client
        .post(app.url("/complaints/bulk/"))
        .form(&[("csrf_token", csrf.as_str()), ("op", "close")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

fn unzip(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let mut file = archive.by_name(name).unwrap_or_else(|_| panic!("{name} in the workbook"));
    let mut text = String::new();
    file.read_to_string(&mut text).unwrap();
    text
}

#[tokio::test]
async fn exports_escape_formulas_keep_arabic_and_stay_in_the_actors_hospital() {
    let app = TestApp::spawn().await;
    let ha = email(Role::HospitalAdmin);
    let (_, formula_ref) = file(&app, &ha, "=HYPERLINK(\"http://evil\")", "الطبيب لم يشرح التشخيص بوضوح").await;
    let (_, beta_ref) = file(&app, ADMIN_B, "BETA ONLY", "شكوى في المستشفى الآخر").await;
    let (client, _) = app.login_page_session(&ha).await;
    let today = Utc::now().with_timezone(&chrono::FixedOffset::east_opt(3 * 3600).unwrap()).format("%Y%m%d");

    let resp = client.get(app.url("/complaints/export.csv")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert_eq!(
        resp.headers()["content-disposition"].to_str().unwrap(),
        format!("attachment; filename=\"complaints-{today}.csv\"")
    );
    let bytes = resp.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "a UTF-8 byte-order mark");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let header = text.lines().next().unwrap();
    assert!(header.starts_with("الرقم المرجعي,"), "Arabic headers for an Arabic user: {header}");
    assert!(text.contains(&formula_ref));
    assert!(text.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""), "the formula is escaped: {text}");
    assert!(text.contains("الطبيب لم يشرح التشخيص بوضوح"), "Arabic intact");
    assert!(!text.contains(&beta_ref) && !text.contains("BETA ONLY"), "only the actor's hospital");
    assert_eq!(text.lines().count(), 2, "header and one row");

    // The filters apply: nothing is overdue.
    let resp = client.get(app.url("/complaints/export.csv?overdue=true")).send().await.unwrap();
    let text = resp.text().await.unwrap();
    assert_eq!(text.lines().count(), 1, "the header only");

    let resp = client.get(app.url("/complaints/export.xlsx")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = resp.bytes().await.unwrap();
    let sheet = unzip(&bytes, "xl/worksheets/sheet1.xml");
    assert!(sheet.contains("'=HYPERLINK(&quot;http://evil&quot;)"), "{sheet}");
    assert!(sheet.contains("الطبيب لم يشرح التشخيص بوضوح"));
    assert!(sheet.contains("rightToLeft=\"1\""), "an Arabic reader's sheet is right to left");
    assert!(!sheet.contains(&beta_ref));
    assert!(unzip(&bytes, "[Content_Types].xml").contains("sheet1.xml"));

    let exported = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("complaints_exported"))
        .count(app.db())
        .await
        .unwrap();
    assert_eq!(exported, 3, "every export is audited");

    // Actions export the same way.
    let resp = client.get(app.url("/actions/export.csv")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let resp = client.get(app.url("/actions/export.xlsx")).send().await.unwrap();
    assert_eq!(&resp.bytes().await.unwrap()[..2], b"PK");
    // A bad filter is a 400 page, not a file.
    let resp = client.get(app.url("/complaints/export.csv?status=nope")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_detail_page_shows_the_timeline_and_actions_and_refuses_what_it_must() {
    let app = TestApp::spawn().await;
    let ha = email(Role::HospitalAdmin);
    let (id, reference) = file(&app, &ha, "Rude reception", "موظف الاستقبال تعامل معي بشكل غير لائق").await;
    let (beta, _) = file(&app, ADMIN_B, "BETA ONLY", "شكوى في المستشفى الآخر").await;
    let (client, csrf) = app.login_page_session(&ha).await;

    // A note visible to the patient.
    let resp = client
        .post(app.url(&format!("/complaints/{id}/notes/")))
        .form(&[("csrf_token", csrf.as_str()), ("message", "نعتذر، نراجع الموضوع"), ("is_public", "true")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(location(&resp).starts_with(&format!("/complaints/{id}/?flash=note_added")));
    // An empty note is refused beside its form, and nothing is written.
    let before = updates(&app, id).await;
    let resp = client
        .post(app.url(&format!("/complaints/{id}/notes/")))
        .form(&[("csrf_token", csrf.as_str()), ("message", "  ")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let html = resp.text().await.unwrap();
    assert!(html.contains("data-field=\"message\""), "the error is beside the note form");
    assert_eq!(updates(&app, id).await, before);

    // A PX Action from the complaint.
    let resp = client
        .post(app.url(&format!("/complaints/{id}/actions/")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let action =
        px_action::Entity::find().filter(px_action::Column::SourceId.eq(id)).one(app.db()).await.unwrap().unwrap();
    assert_eq!(location(&resp), format!("/actions/{}/?flash=created", action.id));

    let (status, html) = page(&client, &app, &format!("/complaints/{id}/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&reference));
    assert!(html.contains("نعتذر، نراجع الموضوع") && html.contains("public-marker"), "the public note is marked");
    assert!(html.matches("timeline-entry").count() >= 3, "created, note, action created");
    assert!(html.contains(&format!("href=\"/actions/{}/\"", action.id)) && html.contains(&action.reference_number));
    assert!(html.contains("id=\"attachments\""), "the attachments panel");
    assert!(html.contains("action=\"/complaints/") && html.contains("/explanations/\""), "the explanation form");
    assert!(html.contains("551234567"), "a hospital admin sees the phone");
    let (viewer, _) = app.login_page_session(&email(Role::Viewer)).await;
    let (status, viewer_html) = page(&viewer, &app, &format!("/complaints/{id}/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!viewer_html.contains("551234567") && viewer_html.contains("•"), "masked below px_coordinator");
    assert!(!viewer_html.contains("id=\"note-form\""), "a viewer has no forms");

    // The action's page links back to its complaint.
    let (status, html) = page(&client, &app, &format!("/actions/{}/", action.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("href=\"/complaints/{id}/\"")) && html.contains(&reference));

    // Resolving without its inputs names each one; nothing changes.
    let before = (row(&app, id).await, updates(&app, id).await);
    let resp = client
        .post(app.url(&format!("/complaints/{id}/status/")))
        .form(&[("csrf_token", csrf.as_str()), ("status", "resolved")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let html = resp.text().await.unwrap();
    for field in ["resolution", "resolution_category", "category"] {
        assert!(html.contains(&format!("data-field=\"{field}\"")), "{field} named");
    }
    // A move the workflow lacks names the allowed ones.
    let resp = client
        .post(app.url(&format!("/complaints/{id}/status/")))
        .form(&[("csrf_token", csrf.as_str()), ("status", "closed")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert!(resp.text().await.unwrap().contains("allowed next"));
    assert_eq!((row(&app, id).await, updates(&app, id).await), before);
    // Starting work is one button.
    let resp = client
        .post(app.url(&format!("/complaints/{id}/status/")))
        .form(&[("csrf_token", csrf.as_str()), ("status", "in_progress")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(row(&app, id).await.status, "in_progress");

    // Without its token the form is refused.
    let resp = client
        .post(app.url(&format!("/complaints/{id}/notes/")))
        .form(&[("message", "no token")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // Another hospital's complaint, or no complaint at all, is a 404 page.
    for path in [
        format!("/complaints/{beta}/"),
        "/complaints/not-an-id/".to_owned(),
        format!("/complaints/{}/", Uuid::now_v7()),
    ] {
        let resp = client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    }
    let resp = client
        .post(app.url(&format!("/complaints/{beta}/notes/")))
        .form(&[("csrf_token", csrf.as_str()), ("message", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    // My work lists what is assigned to me and what nobody has taken.
    let resp = client
        .post(app.url(&format!("/complaints/{id}/take/")))
        .form(&[("csrf_token", csrf.as_str()), ("next", "/complaints/my-work/")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&resp), "/complaints/my-work/?flash=taken");
    let (status, html) = page(&client, &app, "/complaints/my-work/").await;
    assert_eq!(status, StatusCode::OK);
    let mine = html.split("id=\"unassigned\"").next().unwrap();
    assert!(mine.contains(&reference), "the taken complaint is mine");
    let unassigned = html.split("id=\"unassigned\"").nth(1).unwrap();
    assert!(unassigned.contains(&action.reference_number), "the unassigned action waits");
}

#[tokio::test]
async fn the_new_complaint_form_shows_errors_beside_fields_and_files_a_valid_one() {
    let app = TestApp::spawn().await;
    let (client, csrf) = app.login_page_session(&email(Role::PxCoordinator)).await;
    let (status, html) = page(&client, &app, "/complaints/new/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"received_at\"") && html.contains("type=\"datetime-local\""));
    let count = complaint::Entity::find().count(app.db()).await.unwrap();
    let resp = client
        .post(app.url("/complaints/new/"))
        .form(&[("csrf_token", csrf.as_str()), ("severity", "huge"), ("received_at", "yesterday")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let html = resp.text().await.unwrap();
    assert!(html.contains("id=\"e-received_at\""), "the bad date is named");
    let resp = client
        .post(app.url("/complaints/new/"))
        .form(&[("csrf_token", csrf.as_str()), ("severity", "huge"), ("complainant_email", "not-an-email")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let html = resp.text().await.unwrap();
    for field in ["source", "severity", "description", "complainant_email"] {
        assert!(html.contains(&format!("id=\"e-{field}\"")), "{field} named");
    }
    assert!(html.contains("value=\"not-an-email\""), "what was typed is kept");
    assert_eq!(complaint::Entity::find().count(app.db()).await.unwrap(), count, "nothing filed");

    let received = (Utc::now() - Duration::days(1))
        .with_timezone(&chrono::FixedOffset::east_opt(3 * 3600).unwrap())
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let resp = client
        .post(app.url("/complaints/new/"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("source", "call_center"),
            ("severity", "high"),
            ("title", "Billing error"),
            ("description", "تم احتساب الفاتورة مرتين"),
            ("received_at", received.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let target = location(&resp);
    let id: Uuid = target.strip_prefix("/complaints/").unwrap().split('/').next().unwrap().parse().unwrap();
    let filed = row(&app, id).await;
    assert_eq!((filed.source.as_str(), filed.severity.as_str()), ("call_center", "high"));
    assert_eq!(filed.hospital_id, app.hospital_a.id);
    let age = Utc::now() - filed.received_at;
    assert!(age > Duration::hours(23) && age < Duration::hours(25), "Riyadh time read right: {age}");
    let (status, _) = page(&client, &app, &target).await;
    assert_eq!(status, StatusCode::OK);
}

async fn action_row(app: &TestApp, id: Uuid) -> px_action::Model {
    px_action::Entity::find_by_id(id).one(app.db()).await.unwrap().unwrap()
}

async fn post_form(client: &reqwest::Client, app: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    client.post(app.url(path)).form(form).send().await.unwrap()
}

#[tokio::test]
async fn a_px_action_is_created_worked_submitted_approved_and_closed_from_its_pages() {
    let app = TestApp::spawn().await;
    let (admin, admin_csrf) = app.login_page_session(&email(Role::HospitalAdmin)).await;
    let coordinator = app.user(Role::PxCoordinator).id.to_string();

    // A missing title is named beside its field; nothing is created.
    let resp =
        post_form(&admin, &app, "/actions/new/", &[("csrf_token", admin_csrf.as_str()), ("severity", "high")]).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.text().await.unwrap().contains("id=\"e-title\""));
    assert_eq!(px_action::Entity::find().count(app.db()).await.unwrap(), 0);
    let resp = post_form(
        &admin,
        &app,
        "/actions/new/",
        &[
            ("csrf_token", admin_csrf.as_str()),
            ("title", "Shorten the triage wait"),
            ("description", "تقليل وقت الانتظار في الفرز"),
            ("severity", "high"),
            ("priority", "high"),
            ("assigned_to", coordinator.as_str()),
            ("requires_approval", "true"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let action = px_action::Entity::find().one(app.db()).await.unwrap().unwrap();
    assert_eq!(location(&resp), format!("/actions/{}/?flash=created", action.id));
    assert_eq!(action.assigned_to, Some(app.user(Role::PxCoordinator).id));
    let path = format!("/actions/{}/", action.id);
    let status_path = format!("/actions/{}/status/", action.id);

    // The edit form: a blank title is named and changes nothing; a new title and priority are saved.
    let edit_path = format!("/actions/{}/edit/", action.id);
    let resp = post_form(&admin, &app, &edit_path, &[("csrf_token", admin_csrf.as_str()), ("title", "")]).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let resp = post_form(
        &admin,
        &app,
        &edit_path,
        &[
            ("csrf_token", admin_csrf.as_str()),
            ("title", "Shorten the triage wait at night"),
            ("description", "تقليل وقت الانتظار في الفرز"),
            ("severity", "high"),
            ("priority", "medium"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), format!("/actions/{}/?flash=updated#details", action.id));
    let edited = px_action::Entity::find_by_id(action.id).one(app.db()).await.unwrap().unwrap();
    assert_eq!((edited.title.as_str(), edited.priority.as_str()), ("Shorten the triage wait at night", "medium"));
    let action = edited;

    // The list's filters: assigned to the coordinator, not overdue.
    let (coord, coord_csrf) = app.login_page_session(&email(Role::PxCoordinator)).await;
    let (_, html) = page(&coord, &app, "/actions/?assigned_to=me").await;
    assert!(html.contains(&action.reference_number));
    let (_, html) = page(&admin, &app, "/actions/?assigned_to=me").await;
    assert!(!html.contains(&action.reference_number), "not the admin's");
    let (_, html) = page(&admin, &app, "/actions/?overdue=true").await;
    assert!(!html.contains(&action.reference_number), "not overdue");
    let (_, html) = page(&coord, &app, "/complaints/my-work/").await;
    assert!(html.split("id=\"unassigned\"").next().unwrap().contains(&action.reference_number), "in My work");

    // The assignee starts, then may not submit without notes and evidence.
    let resp =
        post_form(&coord, &app, &status_path, &[("csrf_token", coord_csrf.as_str()), ("status", "in_progress")]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let resp =
        post_form(&coord, &app, &status_path, &[("csrf_token", coord_csrf.as_str()), ("status", "pending_approval")])
            .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let html = resp.text().await.unwrap();
    assert!(html.contains("data-field=\"resolution_notes\"") && html.contains("data-field=\"evidence\""), "both named");
    assert_eq!(action_row(&app, action.id).await.status, "in_progress");
    let at = Utc::now();
    px360::domains::complaints::model::px_action_attachment::ActiveModel {
        id: Set(Uuid::now_v7()),
        action_id: Set(action.id),
        hospital_id: Set(action.hospital_id),
        is_evidence: Set(true),
        file_name: Set("photo.png".into()),
        content_type: Set("image/png".into()),
        size_bytes: Set(10),
        sha256: Set("0".repeat(64)),
        storage_key: Set("test/none".into()),
        uploaded_by: Set(Some(app.user(Role::PxCoordinator).id)),
        created_at: Set(at),
        deleted_at: Set(None),
    }
    .insert(app.db())
    .await
    .unwrap();
    let resp = post_form(
        &coord,
        &app,
        &status_path,
        &[
            ("csrf_token", coord_csrf.as_str()),
            ("status", "pending_approval"),
            ("resolution_notes", "أعدنا ترتيب الفرز"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(action_row(&app, action.id).await.status, "pending_approval");

    // The assignee sees no approve button; the admin does, and approves, then closes.
    let (_, html) = page(&coord, &app, &path).await;
    assert!(!html.contains("data-to=\"approved\""), "no approving one's own work");
    let resp =
        post_form(&coord, &app, &status_path, &[("csrf_token", coord_csrf.as_str()), ("status", "approved")]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "and the service refuses it too");
    let (_, html) = page(&admin, &app, &path).await;
    assert!(html.contains("data-to=\"approved\"") && html.contains("photo.png"), "approve button and the evidence");
    let resp =
        post_form(&admin, &app, &status_path, &[("csrf_token", admin_csrf.as_str()), ("status", "approved")]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let resp =
        post_form(&admin, &app, &status_path, &[("csrf_token", admin_csrf.as_str()), ("status", "closed")]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let closed = action_row(&app, action.id).await;
    assert_eq!(closed.status, "closed");
    assert_eq!(closed.resolution_notes, "أعدنا ترتيب الفرز");
    let (_, html) = page(&admin, &app, &path).await;
    assert!(html.matches("timeline-entry").count() >= 5, "created, start, submit, approve, close logged");
    assert!(!html.contains("id=\"assign-form\""), "a closed action has no forms");

    // Saved filters work for actions too; hospital B's admin does not see the action.
    let resp = post_form(
        &admin,
        &app,
        "/actions/filters/",
        &[("csrf_token", admin_csrf.as_str()), ("name", "Closed"), ("query", "status=closed")],
    )
    .await;
    assert_eq!(location(&resp), "/actions/?status=closed&flash=filter_saved");
    let (_, html) = page(&admin, &app, "/actions/").await;
    assert!(html.contains("href=\"/actions/?status=closed\""));
    let (beta, _) = app.login_page_session(ADMIN_B).await;
    let (status, _) = page(&beta, &app, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, html) = page(&beta, &app, "/actions/").await;
    assert!(!html.contains(&action.reference_number));
}

/// A staff member of `hospital` with the given Arabic first name (the test users read Arabic).
async fn staff_member(app: &TestApp, hospital: Uuid, first_ar: &str) -> Uuid {
    use px360::domains::organizations::model::staff;
    let id = Uuid::now_v7();
    let at = Utc::now();
    staff::ActiveModel {
        id: Set(id),
        hospital_id: Set(hospital),
        department_id: Set(None),
        user_id: Set(None),
        staff_type: Set("nurse".into()),
        employee_id: Set(format!("E-{}", &id.to_string()[..8])),
        first_name_en: Set(format!("Staff{}", &id.to_string()[..4])),
        last_name_en: Set("Test".into()),
        first_name_ar: Set(first_ar.into()),
        last_name_ar: Set("الاختبار".into()),
        email: Set(format!("{}@staff.test", &id.to_string()[..8])),
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

/// A department of `hospital` with the given Arabic name.
async fn department_named(app: &TestApp, hospital: Uuid, name_ar: &str) -> Uuid {
    use px360::domains::organizations::model::department;
    let id = Uuid::now_v7();
    let at = Utc::now();
    department::ActiveModel {
        id: Set(id),
        hospital_id: Set(hospital),
        parent_id: Set(None),
        code: Set(format!("T-{}", &id.to_string()[..6])),
        name_en: Set(format!("Dept {}", &id.to_string()[..6])),
        name_ar: Set(name_ar.into()),
        manager_id: Set(None),
        phone: Set(String::new()),
        email: Set(String::new()),
        location: Set(String::new()),
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

/// A page session of a user whose home page is not "/" (a source user has no dashboard): the
/// harness's login reads the CSRF token from "/", this one from the complaint list.
async fn session_via_list(app: &TestApp, login: &str) -> (reqwest::Client, String) {
    let client = common::cookie_client();
    let html = client.get(app.url("/login/")).send().await.unwrap().text().await.unwrap();
    let login_csrf = common::hidden_field(&html, "csrf_token").expect("csrf_token on the login form");
    let resp = client
        .post(app.url("/login/"))
        .form(&[
            ("email", login),
            ("password", common::PASSWORD),
            ("csrf_token", login_csrf.as_str()),
            ("next", "/complaints/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "login of {login}");
    let (status, html) = page(&client, app, "/complaints/").await;
    assert_eq!(status, StatusCode::OK, "the complaint list of {login}");
    let csrf = common::meta_csrf(&html).expect("csrf-token meta");
    (client, csrf)
}

async fn audited(app: &TestApp, action: &str, id: Uuid) -> u64 {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(action))
        .filter(audit_event::Column::ResourceId.eq(id.to_string()))
        .count(app.db())
        .await
        .unwrap()
}

#[tokio::test]
async fn form_and_filter_choices_never_come_from_another_hospital() {
    let app = TestApp::spawn().await;
    let beta = app.hospital_b.id.to_string();
    staff_member(&app, app.hospital_b.id, "موظفبيتا").await;
    department_named(&app, app.hospital_b.id, "قسمبيتا").await;
    staff_member(&app, app.hospital_a.id, "موظفألفا").await;
    department_named(&app, app.hospital_a.id, "قسمألفا").await;
    // Hospital B's admin is a handler of B: their name must not be offered in A either.
    let beta_admin = "Beta Admin";
    let leaks = |html: &str| {
        assert!(!html.contains("موظفبيتا"), "hospital B's staff listed");
        assert!(!html.contains("قسمبيتا"), "hospital B's department listed");
        assert!(!html.contains(beta_admin), "hospital B's handler listed");
    };

    let (client, csrf) = app.login_page_session(&email(Role::PxCoordinator)).await;
    // The new-complaint form shown again with hospital B's id posted and a blank title.
    let count = complaint::Entity::find().count(app.db()).await.unwrap();
    let resp = post_form(
        &client,
        &app,
        "/complaints/new/",
        &[("csrf_token", csrf.as_str()), ("hospital_id", beta.as_str()), ("title", ""), ("source", "patient")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let html = resp.text().await.unwrap();
    leaks(&html);
    assert!(html.contains("موظفألفا") && html.contains("قسمألفا"), "the actor's own hospital's choices instead");
    assert_eq!(complaint::Entity::find().count(app.db()).await.unwrap(), count, "nothing filed");

    // The list pages' filters with ?hospital_id= of another hospital.
    for path in [format!("/complaints/?hospital_id={beta}"), format!("/actions/?hospital_id={beta}")] {
        let (status, html) = page(&client, &app, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        leaks(&html);
        assert!(html.contains("قسمألفا"), "{path}: the actor's own departments");
    }

    // A hospital admin: the list's bulk assignee choices and the new-action form.
    let (admin, admin_csrf) = app.login_page_session(&email(Role::HospitalAdmin)).await;
    let (_, html) = page(&admin, &app, &format!("/complaints/?hospital_id={beta}")).await;
    leaks(&html);
    assert!(html.contains("Test px_coordinator"), "A's handlers are offered");
    let resp = post_form(
        &admin,
        &app,
        "/actions/new/",
        &[("csrf_token", admin_csrf.as_str()), ("hospital_id", beta.as_str()), ("title", "")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    leaks(&resp.text().await.unwrap());
}

#[tokio::test]
async fn a_source_user_sees_only_the_public_side_of_their_complaint_and_exports_nothing() {
    let app = TestApp::spawn().await;
    let source = email(Role::SourceUser);
    let (id, reference) = file(&app, &source, "Lost belongings", "فقدت حقيبتي في قسم الطوارئ").await;
    let subject = staff_member(&app, app.hospital_a.id, "موظفمعني").await;
    set(&app, id, |c| {
        c.staff_id = Set(Some(subject));
        c.assigned_to = Set(Some(app.user(Role::PxCoordinator).id));
    })
    .await;
    let (admin, csrf) = app.login_page_session(&email(Role::HospitalAdmin)).await;
    for (message, public) in [("ملاحظة داخلية سرية", "false"), ("نعمل على طلبك", "true")] {
        let resp = post_form(
            &admin,
            &app,
            &format!("/complaints/{id}/notes/"),
            &[("csrf_token", csrf.as_str()), ("message", message), ("is_public", public)],
        )
        .await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    }
    let resp = post_form(&admin, &app, &format!("/complaints/{id}/actions/"), &[("csrf_token", csrf.as_str())]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let action =
        px_action::Entity::find().filter(px_action::Column::SourceId.eq(id)).one(app.db()).await.unwrap().unwrap();
    let subject_s = subject.to_string();
    let resp = post_form(
        &admin,
        &app,
        &format!("/complaints/{id}/explanations/"),
        &[("csrf_token", csrf.as_str()), ("staff_id", subject_s.as_str()), ("message", "طلب إفادة سري")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    // The hospital admin sees all of it.
    let (_, html) = page(&admin, &app, &format!("/complaints/{id}/")).await;
    for internal in ["ملاحظة داخلية سرية", "طلب إفادة سري", "موظفمعني", "Test px_coordinator"]
    {
        assert!(html.contains(internal), "the admin sees {internal}");
    }
    assert!(html.contains(&action.reference_number));

    let (client, _) = session_via_list(&app, &source).await;
    let (status, html) = page(&client, &app, &format!("/complaints/{id}/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&reference) && html.contains("نعمل على طلبك"), "the public update");
    assert!(html.contains("Fahad") && html.contains("551234567"), "their own complaint's details");
    for internal in ["ملاحظة داخلية سرية", "طلب إفادة سري", "موظفمعني", "Test px_coordinator", "Test hospital_admin"]
    {
        assert!(!html.contains(internal), "a source user must not see {internal}");
    }
    assert!(!html.contains(&action.reference_number) && !html.contains("linked-action"), "no linked actions");
    for form in ["note-form", "explanation-form", "assign-form", "edit-form", "create-action-form"] {
        assert!(!html.contains(&format!("id=\"{form}\"")), "no {form}");
    }
    assert!(!html.contains("id=\"explanations\"") && !html.contains("id=\"assignee\""));

    // No export of either list, and no links to them.
    for path in ["/complaints/export.csv", "/complaints/export.xlsx", "/actions/export.csv", "/actions/export.xlsx"] {
        let resp = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let (status, html) = page(&client, &app, "/complaints/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&reference) && !html.contains("id=\"export-csv\""), "the list, without exports");
    assert!(!html.contains("Test px_coordinator"), "no handler names in the source user's list");
    let exported = audit_event::Entity::find()
        .filter(audit_event::Column::Action.is_in(["complaints_exported", "actions_exported"]))
        .count(app.db())
        .await
        .unwrap();
    assert_eq!(exported, 0, "nothing was exported");
    // My work is for handlers.
    let (status, _) = page(&client, &app, "/complaints/my-work/").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn page_reads_are_audited_and_flashes_show_only_fixed_messages() {
    let app = TestApp::spawn().await;
    let ha = email(Role::HospitalAdmin);
    let (id, _) = file(&app, &ha, "Noise at night", "ضوضاء في الجناح ليلاً").await;
    let (client, csrf) = app.login_page_session(&ha).await;
    assert_eq!(audited(&app, "complaint_viewed", id).await, 0);
    let (status, _) = page(&client, &app, &format!("/complaints/{id}/")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(audited(&app, "complaint_viewed", id).await, 1, "the complaint page's read is audited");
    let viewed = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("complaint_viewed"))
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(viewed.hospital_id, Some(app.hospital_a.id));
    assert_eq!(viewed.actor_id, Some(app.user(Role::HospitalAdmin).id));

    let resp = post_form(&client, &app, &format!("/complaints/{id}/actions/"), &[("csrf_token", csrf.as_str())]).await;
    let action_path = location(&resp);
    let action =
        px_action::Entity::find().filter(px_action::Column::SourceId.eq(id)).one(app.db()).await.unwrap().unwrap();
    let (status, _) = page(&client, &app, &action_path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(audited(&app, "action_viewed", action.id).await, 1, "the action page's read is audited");
    // A refused form shown again is not a second read; another hospital's row is no read at all.
    let resp = post_form(&client, &app, &format!("/complaints/{id}/notes/"), &[("csrf_token", csrf.as_str())]).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(audited(&app, "complaint_viewed", id).await, 1);
    let (beta, _) = file(&app, ADMIN_B, "BETA ONLY", "شكوى في المستشفى الآخر").await;
    let (status, _) = page(&client, &app, &format!("/complaints/{beta}/")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(audited(&app, "complaint_viewed", beta).await, 0);

    // Free text in the query string never reaches the page; a known code shows its own message.
    let injected = "<b>INJECTED</b> call 0500000000";
    let path = format!(
        "/complaints/{id}/?{}",
        serde_urlencoded::to_string([("flash", "explanation_error"), ("detail", injected)]).unwrap()
    );
    let (status, html) = page(&client, &app, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"flash\"") && html.contains("تعذّر إرسال طلب الإفادة."), "the generic message");
    assert!(!html.contains("INJECTED") && !html.contains("0500000000"), "no detail text");
    let (_, html) = page(&client, &app, "/complaints/?flash=%3Cscript%3E").await;
    assert!(!html.contains("id=\"flash\""), "an unknown code shows nothing");
}

#[tokio::test]
async fn an_edit_that_changes_nothing_says_so_and_viewers_see_names_masked() {
    let app = TestApp::spawn().await;
    let ha = email(Role::HospitalAdmin);
    let token = app.token(&ha).await;
    let body = json!({
        "source": "patient",
        "title": "Wrong bill",
        "description": "فاتورة خاطئة",
        "complainant_name": "Abdulrahman Alqahtani",
        "complainant_phone": "0551234567",
    });
    let (status, created): (StatusCode, Value) = json(app.post("/api/complaints/", &token, &body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id: Uuid = created["id"].as_str().unwrap().parse().unwrap();
    let current = row(&app, id).await;
    let (client, csrf) = app.login_page_session(&ha).await;

    let before = (row(&app, id).await, updates(&app, id).await);
    let resp = post_form(
        &client,
        &app,
        &format!("/complaints/{id}/edit/"),
        &[
            ("csrf_token", csrf.as_str()),
            ("severity", current.severity.as_str()),
            ("priority", current.priority.as_str()),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), format!("/complaints/{id}/?flash=unchanged#edit"));
    assert_eq!((row(&app, id).await, updates(&app, id).await), before, "nothing written");
    let (_, html) = page(&client, &app, &location(&resp)).await;
    assert!(html.contains("لم يتغيّر شيء") && !html.contains("حُفظت التغييرات"), "says nothing changed");
    // A real change still says it was saved.
    let resp = post_form(
        &client,
        &app,
        &format!("/complaints/{id}/edit/"),
        &[("csrf_token", csrf.as_str()), ("severity", "critical"), ("priority", current.priority.as_str())],
    )
    .await;
    assert_eq!(location(&resp), format!("/complaints/{id}/?flash=updated#edit"));
    assert_eq!(row(&app, id).await.severity, "critical");

    // The admin sees the name; a viewer sees it masked on the page and in the export.
    let (_, html) = page(&client, &app, &format!("/complaints/{id}/")).await;
    assert!(html.contains("Abdulrahman Alqahtani"));
    let (viewer, _) = app.login_page_session(&email(Role::Viewer)).await;
    let (status, html) = page(&viewer, &app, &format!("/complaints/{id}/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("Abdulrahman") && html.contains("tani"), "the name is masked: last four only");
    let text = viewer.get(app.url("/complaints/export.csv")).send().await.unwrap().text().await.unwrap();
    assert!(text.contains("Wrong bill"), "the viewer's export has the row");
    assert!(!text.contains("Abdulrahman") && !text.contains("551234567"), "masked in the export: {text}");
    // My work is for handlers: a viewer has nothing assigned.
    let (status, _) = page(&viewer, &app, "/complaints/my-work/").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
