//! Attachments of complaints and evidence of PX Actions: real small PDF/PNG/DOCX files go up and
//! come back byte for byte; wrong, lying, empty, oversized and one-too-many files are refused with
//! nothing left on disk or in the tables; other hospitals see 404s, viewers read but don't upload;
//! the page upload needs its CSRF token.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{ADMIN_B, TestApp, email, json, location};
use px360::auth::Role;
use px360::domains::audit::model::audit_event;
use px360::domains::complaints::attachments::stored_files;
use px360::domains::complaints::model::{
    complaint, complaint_attachment, complaint_update, px_action, px_action_attachment, px_action_log,
};
use px360::domains::complaints::workflow::{RefPrefix, new_reference_number};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

// ---- minimal real files -------------------------------------------------------------------

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n\
trailer <</Root 1 0 R>>\n%%EOF\n"
        .to_vec()
}

/// A 1×1 transparent PNG.
fn png() -> Vec<u8> {
    vec![
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
        0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00,
        0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D,
        0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ]
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A ZIP archive of stored (uncompressed) entries, with its central directory.
fn zip(entries: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, content) in entries {
        let offset = u32::try_from(out.len()).unwrap();
        let (n, size, crc) =
            (u16::try_from(name.len()).unwrap(), u32::try_from(content.len()).unwrap(), crc32(content.as_bytes()));
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]); // version, flags, stored, time, date
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(content.as_bytes());
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]);
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&n.to_le_bytes());
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let (cd_offset, cd_len) = (u32::try_from(out.len()).unwrap(), u32::try_from(central.len()).unwrap());
    out.extend_from_slice(&central);
    let count = u16::try_from(entries.len()).unwrap();
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&cd_len.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}

/// A minimal Word document.
fn docx() -> Vec<u8> {
    zip(&[
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#,
        ),
        (
            "word/document.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Incident report</w:t></w:r></w:p></w:body></w:document>"#,
        ),
    ])
}

// ---- multipart by hand (reqwest is built without its multipart feature) ------------------------

enum Part<'a> {
    File(&'a str, &'a str, &'a [u8]),
    Text(&'a str, &'a str),
}

fn multipart(parts: &[Part]) -> (String, Vec<u8>) {
    let boundary = format!("----px360{}", Uuid::new_v4().simple());
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match part {
            Part::File(field, name, bytes) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
            }
            Part::Text(field, value) => {
                body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{field}\"\r\n\r\n").as_bytes());
                body.extend_from_slice(value.as_bytes());
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_parts(app: &TestApp, path: &str, token: &str, parts: &[Part<'_>]) -> reqwest::Response {
    let (content_type, body) = multipart(parts);
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn upload(app: &TestApp, path: &str, token: &str, name: &str, bytes: &[u8]) -> (StatusCode, Value) {
    json(post_parts(app, path, token, &[Part::File("file", name, bytes)]).await).await
}

// ---- rows inserted directly --------------------------------------------------------------------

async fn insert_complaint(app: &TestApp, hospital_id: Uuid, created_by: Option<Uuid>) -> Uuid {
    let t = px360::domains::organizations::service::now();
    let row = complaint::Model {
        id: Uuid::now_v7(),
        hospital_id,
        reference_number: new_reference_number(RefPrefix::Cmp, t),
        complaint_type: "complaint".into(),
        source: "patient".into(),
        source_type: "internal".into(),
        external_reference: String::new(),
        parent_complaint_id: None,
        patient_id: None,
        complainant_name: "Test Patient".into(),
        complainant_phone: String::new(),
        complainant_email: String::new(),
        complainant_relation: String::new(),
        department_id: None,
        encounter_id: String::new(),
        category_id: None,
        staff_id: None,
        title: "Long wait in the emergency room".into(),
        description: "Waited four hours.".into(),
        language: "en".into(),
        priority: "medium".into(),
        severity: "medium".into(),
        status: "open".into(),
        status_changed_at: None,
        assigned_to: None,
        assigned_at: None,
        received_at: t,
        sla_config_id: None,
        clock_mode: "calendar_hours".into(),
        due_at: None,
        first_reminder_at: None,
        second_reminder_at: None,
        first_reminder_sent_at: None,
        second_reminder_sent_at: None,
        escalation_at: None,
        is_overdue: false,
        escalation_level: 0,
        escalated_at: None,
        resolution: String::new(),
        resolution_category: None,
        resolved_by: None,
        resolved_at: None,
        closed_by: None,
        closed_at: None,
        cancelled_by: None,
        cancelled_at: None,
        harm_level: String::new(),
        stage_of_care: String::new(),
        metadata: serde_json::json!({}),
        created_by,
        created_at: t,
        updated_at: t,
        deleted_at: None,
    };
    row.into_active_model().insert(app.db()).await.unwrap().id
}

async fn insert_action(app: &TestApp, hospital_id: Uuid) -> Uuid {
    let t = px360::domains::organizations::service::now();
    let row = px_action::Model {
        id: Uuid::now_v7(),
        hospital_id,
        reference_number: new_reference_number(RefPrefix::Act, t),
        source_type: "manual".into(),
        source_id: None,
        title: "Shorten the triage queue".into(),
        description: String::new(),
        department_id: None,
        category: "service_quality".into(),
        priority: "high".into(),
        severity: "medium".into(),
        status: "open".into(),
        status_changed_at: None,
        assigned_to: None,
        assigned_at: None,
        auto_created: false,
        requires_approval: true,
        clock_mode: "calendar_hours".into(),
        due_at: None,
        reminder_at: None,
        reminder_sent_at: None,
        is_overdue: false,
        escalation_level: 0,
        escalated_at: None,
        resolution_notes: String::new(),
        submitted_by: None,
        submitted_at: None,
        approved_by: None,
        approved_at: None,
        closed_by: None,
        closed_at: None,
        cancelled_by: None,
        cancelled_at: None,
        metadata: serde_json::json!({}),
        created_by: None,
        created_at: t,
        updated_at: t,
        deleted_at: None,
    };
    row.into_active_model().insert(app.db()).await.unwrap().id
}

fn files_on_disk(app: &TestApp) -> usize {
    stored_files(Path::new(&app.state.config.attachments_dir)).len()
}

async fn complaint_rows(app: &TestApp) -> (u64, u64) {
    (
        complaint_attachment::Entity::find().count(app.db()).await.unwrap(),
        complaint_update::Entity::find().count(app.db()).await.unwrap(),
    )
}

async fn audit_count(app: &TestApp, action: &str) -> u64 {
    audit_event::Entity::find().filter(audit_event::Column::Action.eq(action)).count(app.db()).await.unwrap()
}

async fn nothing(app: &TestApp) {
    assert_eq!(files_on_disk(app), 0, "no file on disk");
    assert_eq!(complaint_rows(app).await, (0, 0), "no attachment or timeline row");
}

fn assert_file_error(status: StatusCode, body: &Value, contains: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    common::assert_fields(body, &["file"]);
    let message = common::field_message(body, "file");
    assert!(message.contains(contains), "{message:?} should say {contains:?}");
}

// ---- tests ----------------------------------------------------------------------------------

#[tokio::test]
async fn real_files_go_up_and_come_back_byte_identical() {
    let app = TestApp::spawn().await;
    let id = insert_complaint(&app, app.hospital_a.id, None).await;
    let token = app.token(&email(Role::PxCoordinator)).await;
    let base = format!("/api/complaints/{id}/attachments/");
    let files: [(&str, Vec<u8>, &str); 3] = [
        ("تقرير طبي.pdf", pdf(), "application/pdf"),
        ("photo.PNG", png(), "image/png"),
        ("statement.docx", docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ];
    let mut ids = Vec::new();
    for (name, bytes, content_type) in &files {
        let resp =
            post_parts(&app, &base, &token, &[Part::Text("note", "from the ward"), Part::File("file", name, bytes)])
                .await;
        let (status, body) = json(resp).await;
        assert_eq!(status, StatusCode::CREATED, "{name}: {body}");
        assert_eq!(body["file_name"], *name);
        assert_eq!(body["content_type"], *content_type);
        assert_eq!(body["size_bytes"], bytes.len());
        assert_eq!(body["sha256"], hex::encode(Sha256::digest(bytes)));
        assert_eq!(body["uploaded_by"], app.user(Role::PxCoordinator).id.to_string());
        assert!(body["created_at"].is_string() && body.get("is_evidence").is_none(), "{body}");
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(files_on_disk(&app), 3);

    let (status, list) = json(app.get(&base, &token).await).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["count"], 3);
    assert_eq!(list["results"][0]["file_name"], "تقرير طبي.pdf");

    for ((name, bytes, content_type), attachment_id) in files.iter().zip(&ids) {
        let resp = app.get(&format!("{base}{attachment_id}/"), &token).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let headers = resp.headers().clone();
        assert_eq!(headers["content-type"], *content_type);
        assert_eq!(headers["x-content-type-options"], "nosniff");
        let disposition = headers["content-disposition"].to_str().unwrap().to_owned();
        assert!(disposition.starts_with("attachment;"), "{disposition}");
        let encoded = disposition.split("filename*=UTF-8''").nth(1).expect("filename*");
        let decoded = percent_decode(encoded);
        assert_eq!(decoded, *name, "the exact name survives: {disposition}");
        assert_eq!(resp.bytes().await.unwrap().as_ref(), bytes.as_slice(), "{name} byte-identical");
    }

    // The stored keys are ours ({hospital}/{yyyy}/{uuid}), never the file's name.
    let rows = complaint_attachment::Entity::find().all(app.db()).await.unwrap();
    for row in &rows {
        assert!(row.storage_key.starts_with(&format!("{}/", app.hospital_a.id)), "{}", row.storage_key);
        assert!(!row.storage_key.contains("pdf") && !row.storage_key.contains(".."));
        assert!(row.update_id.is_some());
    }
    let updates = complaint_update::Entity::find()
        .filter(complaint_update::Column::ComplaintId.eq(id))
        .filter(complaint_update::Column::UpdateType.eq("attachment"))
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(updates.len(), 3);
    assert!(updates.iter().all(|u| !u.is_public));
    assert!(updates.iter().any(|u| u.message == "statement.docx"));
    assert_eq!(updates[0].details["note"], "from the ward");
    assert_eq!(audit_count(&app, "attachment_uploaded").await, 3);
    assert_eq!(audit_count(&app, "attachment_downloaded").await, 3);

    // Removal: soft, by handlers; the file is gone from the list and the download.
    let (status, _) = json(app.delete(&format!("{base}{}/", ids[1]), &token).await).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = json(app.get(&base, &token).await).await;
    assert_eq!(list["count"], 2);
    assert_eq!(app.get(&format!("{base}{}/", ids[1]), &token).await.status(), StatusCode::NOT_FOUND);
    let (status, _) = json(app.delete(&format!("{base}{}/", ids[1]), &token).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "already removed");
    assert_eq!(complaint_attachment::Entity::find().count(app.db()).await.unwrap(), 3, "soft delete keeps the row");
    assert_eq!(audit_count(&app, "attachment_deleted").await, 1);

    // Unknown and malformed ids are 404s.
    let unknown = Uuid::now_v7();
    assert_eq!(app.get(&format!("{base}{unknown}/"), &token).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("{base}not-a-uuid/"), &token).await.status(), StatusCode::NOT_FOUND);
    let (status, body) = json(app.get(&format!("/api/complaints/{unknown}/attachments/"), &token).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    common::assert_detail(&body, "not_found");
    let (status, _) = upload(&app, &format!("/api/complaints/{unknown}/attachments/"), &token, "a.pdf", &pdf()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // An attachment of another complaint is not reachable through this one.
    let other = insert_complaint(&app, app.hospital_a.id, None).await;
    let resp = app.get(&format!("/api/complaints/{other}/attachments/{}/", ids[0]), &token).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn refused_files_leave_nothing_behind() {
    let app = TestApp::spawn().await;
    let id = insert_complaint(&app, app.hospital_a.id, None).await;
    let token = app.token(&email(Role::PxCoordinator)).await;
    let base = format!("/api/complaints/{id}/attachments/");

    let mut big = pdf();
    big.resize(10 * 1024 * 1024 + 1, b' ');
    let (status, body) = upload(&app, &base, &token, "big.pdf", &big).await;
    assert_file_error(status, &body, "larger than 10 MB");
    nothing(&app).await;

    // A body over the upload routes' 11 MB limit is a 413 with the JSON error body.
    let mut huge = pdf();
    huge.resize(12 * 1024 * 1024, b' ');
    let (status, body) = upload(&app, &base, &token, "huge.pdf", &huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    common::assert_detail(&body, "payload_too_large");
    nothing(&app).await;

    for (name, bytes, says) in [
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00".to_vec(), "Only PDF, JPEG, PNG, HEIC and Word (DOCX)"),
        ("notes.txt", b"plain text".to_vec(), "Only PDF, JPEG, PNG, HEIC and Word (DOCX)"),
        ("x.pdf", png(), "not a PDF file"),
        ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00".to_vec(), "not a PDF file"),
        ("photo.jpg", b"just some text".to_vec(), "not a JPEG file"),
        ("report.docx", zip(&[("xl/workbook.xml", "<x/>")]), "not a Word (DOCX) file"),
        ("photo.heic", png(), "not a HEIC file"),
        ("empty.pdf", vec![], "empty"),
    ] {
        let (status, body) = upload(&app, &base, &token, name, &bytes).await;
        assert_file_error(status, &body, says);
        nothing(&app).await;
    }

    // No `file` part, a text part named file, a JSON body, no body: each a 400 naming `file`.
    let (status, body) = json(post_parts(&app, &base, &token, &[Part::Text("note", "hi")]).await).await;
    assert_file_error(status, &body, "No file was submitted");
    let (status, body) = json(post_parts(&app, &base, &token, &[Part::Text("file", "hi")]).await).await;
    assert_file_error(status, &body, "not a file");
    let (status, body) = json(app.post(&base, &token, &serde_json::json!({"file": "x.pdf"})).await).await;
    assert_file_error(status, &body, "multipart/form-data");
    let resp = app.client.post(app.url(&base)).bearer_auth(&token).send().await.unwrap();
    let (status, body) = json(resp).await;
    assert_file_error(status, &body, "multipart/form-data");
    // Unknown parts and a too-long note are named too.
    let long = "n".repeat(2001);
    let (status, body) = json(
        post_parts(
            &app,
            &base,
            &token,
            &[Part::File("file", "a.pdf", &pdf()), Part::Text("note", &long), Part::Text("colour", "red")],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    common::assert_fields(&body, &["colour", "note"]);
    nothing(&app).await;

    // Ten files are fine; the eleventh is refused and leaves nothing.
    for i in 0..10 {
        let (status, body) = upload(&app, &base, &token, &format!("page-{i}.pdf"), &pdf()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, body) = upload(&app, &base, &token, "eleventh.pdf", &pdf()).await;
    assert_file_error(status, &body, "A complaint has at most 10 attachments.");
    assert_eq!(files_on_disk(&app), 10);
    assert_eq!(complaint_rows(&app).await, (10, 10));
    // Removing one makes room again.
    let first = complaint_attachment::Entity::find().one(app.db()).await.unwrap().unwrap();
    let (status, _) = json(app.delete(&format!("{base}{}/", first.id), &token).await).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = upload(&app, &base, &token, "eleventh.pdf", &pdf()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn other_hospitals_get_404s_and_viewers_only_read() {
    let app = TestApp::spawn().await;
    let source = app.user(Role::SourceUser).id;
    let id = insert_complaint(&app, app.hospital_a.id, Some(source)).await;
    let base = format!("/api/complaints/{id}/attachments/");
    let coordinator = app.token(&email(Role::PxCoordinator)).await;
    let (status, created) = upload(&app, &base, &coordinator, "a.pdf", &pdf()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let file = format!("{base}{}/", created["id"].as_str().unwrap());

    // Hospital B's admin: every route is a 404, as for an unknown complaint.
    let b = app.token(ADMIN_B).await;
    let (status, body) = json(app.get(&base, &b).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    common::assert_detail(&body, "not_found");
    assert_eq!(upload(&app, &base, &b, "b.pdf", &pdf()).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&file, &b).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&file, &b).await.status(), StatusCode::NOT_FOUND);
    // A PX admin working in hospital B doesn't see it either.
    let px = app.token(&email(Role::PxAdmin)).await;
    let in_b = format!("{base}?hospital_id={}", app.hospital_b.id);
    assert_eq!(app.get(&in_b, &px).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get(&base, &px).await.status(), StatusCode::OK);

    // A viewer lists and downloads, but may not upload or remove.
    let viewer = app.token(&email(Role::Viewer)).await;
    let (status, list) = json(app.get(&base, &viewer).await).await;
    assert_eq!((status, list["count"].as_u64()), (StatusCode::OK, Some(1)));
    let resp = app.get(&file, &viewer).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), pdf().as_slice());
    let (status, body) = upload(&app, &base, &viewer, "v.pdf", &pdf()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    common::assert_detail(&body, "permission_denied");
    assert_eq!(app.delete(&file, &viewer).await.status(), StatusCode::FORBIDDEN);

    // Roles without complaint access are refused; the source user sees only what they filed.
    let nurse = app.token(&email(Role::Nurse)).await;
    assert_eq!(app.get(&base, &nurse).await.status(), StatusCode::FORBIDDEN);
    let source_token = app.token(&email(Role::SourceUser)).await;
    assert_eq!(app.get(&base, &source_token).await.status(), StatusCode::OK);
    let (status, body) = upload(&app, &base, &source_token, "mine.png", &png()).await;
    assert_eq!(status, StatusCode::CREATED, "the source user who filed it adds files: {body}");
    assert_eq!(app.delete(&file, &source_token).await.status(), StatusCode::FORBIDDEN);
    let not_theirs = insert_complaint(&app, app.hospital_a.id, None).await;
    let other_base = format!("/api/complaints/{not_theirs}/attachments/");
    assert_eq!(app.get(&other_base, &source_token).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(upload(&app, &other_base, &source_token, "x.pdf", &pdf()).await.0, StatusCode::NOT_FOUND);

    assert_eq!(complaint_rows(&app).await, (2, 2));
    assert_eq!(files_on_disk(&app), 2);
}

#[tokio::test]
async fn actions_take_evidence_files() {
    let app = TestApp::spawn().await;
    let id = insert_action(&app, app.hospital_a.id).await;
    let base = format!("/api/actions/{id}/attachments/");
    // A coordinator works it (a department manager sees only their departments' actions, and this
    // one has no department: checked below).
    let manager = app.token(&email(Role::PxCoordinator)).await;
    let dm = app.token(&email(Role::DepartmentManager)).await;
    assert_eq!(app.get(&base, &dm).await.status(), StatusCode::NOT_FOUND);

    let (status, first) = upload(&app, &base, &manager, "checklist.jpg", &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16]).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["is_evidence"], true, "evidence by default");
    assert_eq!(first["content_type"], "image/jpeg");
    let resp = post_parts(
        &app,
        &base,
        &manager,
        &[Part::Text("is_evidence", "false"), Part::File("file", "minutes.docx", &docx())],
    )
    .await;
    let (status, second) = json(resp).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(second["is_evidence"], false);
    let resp =
        post_parts(&app, &base, &manager, &[Part::Text("is_evidence", "maybe"), Part::File("file", "a.pdf", &pdf())])
            .await;
    let (status, body) = json(resp).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    common::assert_fields(&body, &["is_evidence"]);

    let logs = px_action_log::Entity::find()
        .filter(px_action_log::Column::ActionId.eq(id))
        .filter(px_action_log::Column::LogType.eq("evidence"))
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(logs.len(), 2);
    assert!(logs.iter().any(|l| l.message == "minutes.docx"));
    assert_eq!(px_action_attachment::Entity::find().count(app.db()).await.unwrap(), 2);

    let (status, list) = json(app.get(&base, &manager).await).await;
    assert_eq!((status, list["count"].as_u64()), (StatusCode::OK, Some(2)));
    let resp = app.get(&format!("{base}{}/", second["id"].as_str().unwrap()), &manager).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), docx().as_slice());

    // The 11th file of an action is refused too.
    for i in 0..8 {
        assert_eq!(upload(&app, &base, &manager, &format!("p{i}.pdf"), &pdf()).await.0, StatusCode::CREATED);
    }
    let (status, body) = upload(&app, &base, &manager, "p11.pdf", &pdf()).await;
    assert_file_error(status, &body, "An action has at most 10 attachments.");
    assert_eq!(files_on_disk(&app), 10);

    let b = app.token(ADMIN_B).await;
    assert_eq!(app.get(&base, &b).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(upload(&app, &base, &b, "b.pdf", &pdf()).await.0, StatusCode::NOT_FOUND);
    let source = app.token(&email(Role::SourceUser)).await;
    assert_eq!(app.get(&base, &source).await.status(), StatusCode::NOT_FOUND, "source users see no actions");
    let viewer = app.token(&email(Role::Viewer)).await;
    assert_eq!(app.get(&base, &viewer).await.status(), StatusCode::OK);
    assert_eq!(upload(&app, &base, &viewer, "v.pdf", &pdf()).await.0, StatusCode::FORBIDDEN);
}

async fn page_post(client: &reqwest::Client, url: &str, parts: &[Part<'_>]) -> reqwest::Response {
    let (content_type, body) = multipart(parts);
    client.post(url).header("content-type", content_type).body(body).send().await.unwrap()
}

#[tokio::test]
async fn the_page_upload_needs_the_csrf_token() {
    let app = TestApp::spawn().await;
    let id = insert_complaint(&app, app.hospital_a.id, None).await;
    let (client, csrf) = app.login_page_session(&email(Role::PxCoordinator)).await;
    let path = format!("/complaints/{id}/attachments/");
    let url = app.url(&path);
    let (pdf, png) = (pdf(), png());

    let resp = page_post(&client, &url, &[Part::File("file", "a.pdf", &pdf)]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "no csrf_token");
    let resp = page_post(&client, &url, &[Part::Text("csrf_token", "wrong"), Part::File("file", "a.pdf", &pdf)]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "a wrong csrf_token");
    let resp = client.post(&url).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "not a multipart form");
    nothing(&app).await;

    let resp = page_post(&client, &url, &[Part::Text("csrf_token", &csrf), Part::File("file", "a.pdf", &pdf)]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), format!("/complaints/{id}/?attachment_uploaded=1#attachments"));
    let row = complaint_attachment::Entity::find().one(app.db()).await.unwrap().expect("stored");

    // A refused file goes back with its reason.
    let resp = page_post(&client, &url, &[Part::Text("csrf_token", &csrf), Part::File("file", "x.pdf", &png)]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), format!("/complaints/{id}/?attachment_error=mismatch#attachments"));
    let resp = page_post(&client, &url, &[Part::Text("csrf_token", &csrf)]).await;
    assert_eq!(location(&resp), format!("/complaints/{id}/?attachment_error=missing#attachments"));
    assert_eq!(complaint_rows(&app).await, (1, 1));
    assert_eq!(files_on_disk(&app), 1);

    // The page download uses the session.
    let resp = client.get(app.url(&format!("{path}{}/", row.id))).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), pdf.as_slice());
    let anonymous = app.client.get(app.url(&format!("{path}{}/", row.id))).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER, "to the login form");

    // Removal from the page needs the token too.
    let delete = app.url(&format!("{path}{}/delete/", row.id));
    let resp = client.post(&delete).form(&[("x", "y")]).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = client.post(&delete).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(
        complaint_attachment::Entity::find_by_id(row.id).one(app.db()).await.unwrap().unwrap().deleted_at.is_some()
    );

    // Actions: the same form, back to the action's page.
    let action = insert_action(&app, app.hospital_a.id).await;
    let parts =
        [Part::Text("csrf_token", &csrf), Part::Text("is_evidence", "true"), Part::File("file", "proof.png", &png)];
    let resp = page_post(&client, &app.url(&format!("/actions/{action}/attachments/")), &parts).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), format!("/actions/{action}/?attachment_uploaded=1#attachments"));
    assert_eq!(px_action_attachment::Entity::find().count(app.db()).await.unwrap(), 1);

    // Another hospital's user can't post to it through the page either.
    let (client_b, csrf_b) = app.login_page_session(ADMIN_B).await;
    let resp =
        page_post(&client_b, &url, &[Part::Text("csrf_token", &csrf_b), Part::File("file", "b.pdf", &pdf)]).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(complaint_rows(&app).await, (1, 1));
}

#[tokio::test]
async fn the_openapi_document_lists_the_attachment_routes() {
    let app = TestApp::spawn().await;
    let (status, doc) = json(app.client.get(app.url("/api/schema/")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    for prefix in ["/api/complaints/{id}/attachments/", "/api/actions/{id}/attachments/"] {
        let list = &doc["paths"][prefix];
        assert_eq!(list["post"]["tags"][0], "Complaints", "{list}");
        assert!(list["post"]["requestBody"]["content"]["multipart/form-data"].is_object(), "{list}");
        assert!(list["get"].is_object());
        let one = &doc["paths"][format!("{prefix}{{attachment_id}}/")];
        assert!(one["get"].is_object() && one["delete"].is_object(), "{one}");
    }
}
