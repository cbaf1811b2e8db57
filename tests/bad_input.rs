//! Bad input on `POST`/`PATCH /api/organizations/departments/`: every case answers with a
//! DRF-shaped error and writes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestApp, assert_detail, assert_fields, email, field_message, json};
use px360::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

const LIST: &str = "/api/organizations/departments/";

struct Fixture {
    app: TestApp,
    token: String,
    /// Hospital A's emergency department.
    own: Uuid,
}

async fn fixture() -> Fixture {
    let app = TestApp::spawn().await;
    let token = app.token(&email(Role::HospitalAdmin)).await;
    let own = app.department_id(app.hospital_a.id, "EMR-001").await;
    Fixture { app, token, own }
}

impl Fixture {
    fn item(&self, id: Uuid) -> String {
        format!("{LIST}{id}/")
    }

    /// Sends a raw body with a content type; returns status and JSON body.
    async fn raw(&self, method: reqwest::Method, path: &str, content_type: &str, body: Vec<u8>) -> (StatusCode, Value) {
        let resp = self
            .app
            .client
            .request(method, self.app.url(path))
            .bearer_auth(&self.token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        json(resp).await
    }

    async fn post(&self, body: Value) -> (StatusCode, Value) {
        json(self.app.post(LIST, &self.token, &body).await).await
    }

    async fn patch(&self, id: Uuid, body: Value) -> (StatusCode, Value) {
        json(self.app.patch(&self.item(id), &self.token, &body).await).await
    }
}

/// Runs `case`, then checks that no department row changed.
macro_rules! writes_nothing {
    ($f:expr, $case:expr) => {{
        let before = $f.app.departments().await;
        let out = $case;
        assert_eq!($f.app.departments().await, before, "a refused request wrote to departments");
        out
    }};
}

#[tokio::test]
async fn malformed_json_is_a_400_on_non_field_errors() {
    let f = fixture().await;
    for (what, body) in [
        ("truncated", &b"{\"code\": "[..]),
        ("not json", b"code=X"),
        ("empty", b""),
        ("array", b"[1, 2]"),
        ("string", b"\"EMR\""),
    ] {
        let (status, body) =
            writes_nothing!(f, f.raw(reqwest::Method::POST, LIST, "application/json", body.to_vec()).await);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
        assert_fields(&body, &["non_field_errors"]);
        let own = f.item(f.own);
        let (status, body) = writes_nothing!(
            f,
            f.raw(reqwest::Method::PATCH, &own, "application/json; charset=utf-8", b"{nope".to_vec()).await
        );
        assert_eq!(status, StatusCode::BAD_REQUEST, "PATCH {what}: {body}");
        assert_fields(&body, &["non_field_errors"]);
    }
}

#[tokio::test]
async fn a_value_of_the_wrong_type_is_a_400_naming_the_field() {
    let f = fixture().await;
    for (field, value) in [
        ("code", json!(5)),
        ("name_en", json!(["a"])),
        ("hospital_id", json!("not-a-uuid")),
        ("parent_id", json!(12)),
        ("status", json!(true)),
        ("email", json!({"a": 1})),
    ] {
        let mut body = json!({"code": "NEW-1", "name_en": "New"});
        body[field] = value.clone();
        let (status, resp) = writes_nothing!(f, f.post(body).await);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}={value}: {resp}");
        assert_fields(&resp, &[field]);
        let (status, resp) = writes_nothing!(f, f.patch(f.own, json!({ field: value })).await);
        assert_eq!(status, StatusCode::BAD_REQUEST, "PATCH {field}={value}: {resp}");
        assert_fields(&resp, &[field]);
    }
}

#[tokio::test]
async fn missing_required_fields_are_each_named() {
    let f = fixture().await;
    let (status, body) = writes_nothing!(f, f.post(json!({})).await);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fields(&body, &["code", "name_en"]);
    assert_eq!(field_message(&body, "code"), "This field is required.");
    let (status, body) = writes_nothing!(f, f.post(json!({"code": "  ", "name_en": ""})).await);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fields(&body, &["code", "name_en"]);
    assert_eq!(field_message(&body, "name_en"), "This field may not be blank.");
    // PATCH: clearing a required field is the same error.
    let (status, body) = writes_nothing!(f, f.patch(f.own, json!({"code": null})).await);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fields(&body, &["code"]);
}

#[tokio::test]
async fn an_unknown_field_is_refused_by_name() {
    let f = fixture().await;
    let (status, body) = writes_nothing!(f, f.post(json!({"code": "NEW-1", "name_en": "New", "colour": "red"})).await);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fields(&body, &["colour"]);
    let (status, body) = writes_nothing!(f, f.patch(f.own, json!({"id": Uuid::now_v7()})).await);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fields(&body, &["id"]);
}

#[tokio::test]
async fn over_long_strings_are_refused_with_the_limit() {
    let f = fixture().await;
    for (field, max) in [("code", 50), ("name_en", 200), ("name_ar", 200), ("location", 200)] {
        let mut body = json!({"code": "NEW-1", "name_en": "New"});
        body[field] = json!("A".repeat(max + 1));
        let (status, resp) = writes_nothing!(f, f.post(body).await);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {resp}");
        assert_fields(&resp, &[field]);
        assert!(field_message(&resp, field).contains(&max.to_string()), "{resp}");
        let (status, resp) = writes_nothing!(f, f.patch(f.own, json!({ field: "B".repeat(max + 1) })).await);
        assert_eq!(status, StatusCode::BAD_REQUEST, "PATCH {field}: {resp}");
        assert_fields(&resp, &[field]);
    }
    // Exactly at the limit is fine (and is then written).
    let (status, body) = f.post(json!({"code": "C".repeat(50), "name_en": "n".repeat(200)})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn control_characters_and_bad_code_characters_are_refused() {
    let f = fixture().await;
    let (status, body) = writes_nothing!(f, f.post(json!({"code": "NEW-1", "name_en": "New\u{0}line"})).await);
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_fields(&body, &["name_en"]);
    let (status, body) = writes_nothing!(f, f.post(json!({"code": "NEW 1; DROP", "name_en": "New"})).await);
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_fields(&body, &["code"]);
}

#[tokio::test]
async fn invalid_emails_phones_and_choices_are_refused_by_field() {
    let f = fixture().await;
    for (field, value) in [
        ("email", "nope"),
        ("email", "a@b"),
        ("email", "a b@c.de"),
        ("phone", "12345"),
        ("phone", "call me"),
        ("phone", "+9665012"),
        ("status", "archived"),
    ] {
        let mut body = json!({"code": "NEW-1", "name_en": "New"});
        body[field] = json!(value);
        let (status, resp) = writes_nothing!(f, f.post(body).await);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}={value}: {resp}");
        assert_fields(&resp, &[field]);
        let (status, resp) = writes_nothing!(f, f.patch(f.own, json!({ field: value })).await);
        assert_eq!(status, StatusCode::BAD_REQUEST, "PATCH {field}={value}: {resp}");
        assert_fields(&resp, &[field]);
    }
    // Every bad field is reported at once.
    let (status, resp) =
        writes_nothing!(f, f.post(json!({"code": "", "name_en": "", "email": "x", "phone": "1", "status": "?"})).await);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fields(&resp, &["code", "email", "name_en", "phone", "status"]);
}

#[tokio::test]
async fn a_saudi_phone_is_stored_in_e164() {
    let f = fixture().await;
    let (status, body) = f.post(json!({"code": "NEW-1", "name_en": "New", "phone": "050 123 4567"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["phone"], "+966501234567");
    assert_eq!(body["code"], "NEW-1");
}

#[tokio::test]
async fn a_body_over_the_limit_answers_413() {
    let f = fixture().await;
    let big = format!("{{\"code\": \"NEW-1\", \"name_en\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let (status, body) =
        writes_nothing!(f, f.raw(reqwest::Method::POST, LIST, "application/json", big.into_bytes()).await);
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_detail(&body, "payload_too_large");
}

#[tokio::test]
async fn a_body_that_is_not_json_answers_415() {
    let f = fixture().await;
    for content_type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
        let (status, body) = writes_nothing!(
            f,
            f.raw(reqwest::Method::POST, LIST, content_type, br#"{"code":"NEW-1","name_en":"New"}"#.to_vec()).await
        );
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type}");
        assert_detail(&body, "unsupported_media_type");
        let own = f.item(f.own);
        let (status, body) =
            writes_nothing!(f, f.raw(reqwest::Method::PATCH, &own, content_type, br#"{"name_en":"X"}"#.to_vec()).await);
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "PATCH {content_type}");
        assert_detail(&body, "unsupported_media_type");
    }
    // No content type at all.
    let resp = f
        .app
        .client
        .post(f.app.url(LIST))
        .bearer_auth(&f.token)
        .body(r#"{"code":"NEW-1","name_en":"New"}"#)
        .send()
        .await
        .unwrap();
    let (status, body) = json(resp).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_detail(&body, "unsupported_media_type");
}

#[tokio::test]
async fn an_unknown_id_answers_404() {
    let f = fixture().await;
    let missing = Uuid::now_v7();
    let path = f.item(missing);
    let (status, body) = json(f.app.get(&path, &f.token).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_detail(&body, "not_found");
    let (status, body) = writes_nothing!(f, f.patch(missing, json!({"name_en": "X"})).await);
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_detail(&body, "not_found");
    let (status, body) = writes_nothing!(f, json(f.app.delete(&path, &f.token).await).await);
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_detail(&body, "not_found");
}

#[tokio::test]
async fn a_malformed_id_answers_404_with_a_json_body() {
    let f = fixture().await;
    for method in [reqwest::Method::GET, reqwest::Method::PATCH, reqwest::Method::DELETE] {
        let (status, body) = writes_nothing!(
            f,
            f.raw(method.clone(), &format!("{LIST}not-a-uuid/"), "application/json", b"{}".to_vec()).await
        );
        assert_eq!(status, StatusCode::NOT_FOUND, "{method}");
        assert_detail(&body, "not_found");
    }
    for (method, path) in [
        (reqwest::Method::GET, "/api/accounts/users/1/"),
        (reqwest::Method::GET, "/api/organizations/hospitals/x/"),
        (reqwest::Method::GET, "/api/physicians/not-a-uuid/"),
        (reqwest::Method::POST, "/api/admin/jobs/not-a-uuid/retry/"),
        (reqwest::Method::GET, "/api/notifications/messages/not-a-uuid/"),
        (reqwest::Method::PATCH, "/api/notifications/templates/not-a-uuid/"),
        (reqwest::Method::DELETE, "/api/notifications/opt-outs/not-a-uuid/"),
    ] {
        let (status, body) = f.raw(method.clone(), path, "application/json", b"{}".to_vec()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
        assert_detail(&body, "not_found");
    }
}

#[tokio::test]
async fn another_hospitals_department_is_invisible_to_a_hospital_admin() {
    let f = fixture().await;
    let foreign = f.app.department_id(f.app.hospital_b.id, "EMR-001").await;
    let (status, body) = json(f.app.get(&f.item(foreign), &f.token).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_detail(&body, "not_found");
    let (status, body) = writes_nothing!(f, f.patch(foreign, json!({"name_en": "Taken over"})).await);
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_detail(&body, "not_found");
    let (status, body) = writes_nothing!(f, json(f.app.delete(&f.item(foreign), &f.token).await).await);
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_detail(&body, "not_found");
    // Nor can it be named as a parent, or as the hospital of a new department.
    let (status, body) =
        writes_nothing!(f, f.post(json!({"code": "NEW-1", "name_en": "New", "parent_id": foreign})).await);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fields(&body, &["parent_id"]);
    let (status, body) = writes_nothing!(
        f,
        f.post(json!({"code": "NEW-1", "name_en": "New", "hospital_id": f.app.hospital_b.id})).await
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fields(&body, &["hospital_id"]);
    // And the list holds only hospital A's departments.
    let (status, body) = json(f.app.get(LIST, &f.token).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["count"], 5);
    let hospital_a = f.app.hospital_a.id.to_string();
    assert!(body["results"].as_array().unwrap().iter().all(|d| d["hospital_id"] == hospital_a.as_str()), "{body}");
}

#[tokio::test]
async fn a_department_cannot_move_to_another_hospital() {
    let f = fixture().await;
    let (status, body) = writes_nothing!(f, f.patch(f.own, json!({"hospital_id": f.app.hospital_b.id})).await);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fields(&body, &["hospital_id"]);
    let px = f.app.token(&email(Role::PxAdmin)).await;
    let (status, body) = writes_nothing!(
        f,
        json(f.app.patch(&f.item(f.own), &px, &json!({"hospital_id": f.app.hospital_b.id})).await).await
    );
    assert_eq!(status, StatusCode::BAD_REQUEST, "not even for a PX admin");
    assert_fields(&body, &["hospital_id"]);
}

#[tokio::test]
async fn a_department_cannot_be_its_own_parent() {
    let f = fixture().await;
    let (status, body) = writes_nothing!(f, f.patch(f.own, json!({"parent_id": f.own})).await);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fields(&body, &["parent_id"]);
}

#[tokio::test]
async fn a_duplicate_code_is_a_400_naming_code() {
    let f = fixture().await;
    for code in ["EMR-001", "emr-001", " EMR-001 "] {
        let (status, body) = writes_nothing!(f, f.post(json!({"code": code, "name_en": "Again"})).await);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{code}: {body}");
        assert_fields(&body, &["code"]);
        assert!(field_message(&body, "code").contains("already exists"), "{body}");
    }
    // Renaming another department onto the code is the same error…
    let other = f.app.department_id(f.app.hospital_a.id, "OUT-002").await;
    let (status, body) = writes_nothing!(f, f.patch(other, json!({"code": "EMR-001"})).await);
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_fields(&body, &["code"]);
    // …but keeping one's own code is not, and another hospital's codes are free to reuse.
    let (status, body) = f.patch(f.own, json!({"code": "EMR-001", "name_en": "Emergency"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name_en"], "Emergency");
}

#[tokio::test]
async fn a_deleted_code_can_be_used_again() {
    let f = fixture().await;
    let (status, created) = f.post(json!({"code": "TMP-1", "name_en": "Temporary"})).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id: Uuid = created["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(f.app.delete(&f.item(id), &f.token).await.status(), StatusCode::NO_CONTENT);
    let (status, body) = json(f.app.get(&f.item(id), &f.token).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a deleted department is gone: {body}");
    let (status, body) = f.post(json!({"code": "TMP-1", "name_en": "Temporary again"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn bad_list_parameters_are_a_400_naming_the_parameter() {
    let f = fixture().await;
    for (query, field) in [
        ("page=0", "page"),
        ("page=x", "page"),
        ("page_size=-1", "page_size"),
        ("ordering=password", "ordering"),
        ("parent_id=nope", "parent_id"),
        ("hospital_id=nope", "hospital_id"),
    ] {
        let (status, body) = json(f.app.get(&format!("{LIST}?{query}"), &f.token).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_fields(&body, &[field]);
    }
    let (status, body) = json(f.app.get(&format!("{LIST}?page=99"), &f.token).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_detail(&body, "not_found");
}

#[tokio::test]
async fn lists_paginate_search_and_order() {
    let f = fixture().await;
    let (status, body) = json(f.app.get(&format!("{LIST}?page_size=2&ordering=-code"), &f.token).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["count"], 5);
    assert_eq!(body["results"].as_array().unwrap().len(), 2);
    assert_eq!(body["results"][0]["code"], "OUT-002");
    assert!(body["previous"].is_null());
    let next = body["next"].as_str().unwrap();
    assert!(next.contains("page=2") && next.contains("ordering=-code"), "{next}");
    let (status, body) = json(f.app.get(&format!("{LIST}?search=emergency"), &f.token).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["count"], 1, "{body}");
    assert_eq!(body["results"][0]["code"], "EMR-001");
    // A LIKE wildcard in the search is taken literally.
    let (status, body) = json(f.app.get(&format!("{LIST}?search=%25"), &f.token).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["count"], 0, "{body}");
}
