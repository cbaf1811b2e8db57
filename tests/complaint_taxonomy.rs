//! The complaint category taxonomy: `px360 admin seed-reference` loads the 106 shared nodes once;
//! the public form's JSON lists a hospital's usable nodes in order; the API creates, changes and
//! deletes nodes with every bad field named and nothing written, within the actor's hospital; the
//! settings page shows the tree and its forms.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};

use common::{ADMIN_B, TestApp, assert_detail, assert_fields, email, hidden_field, json, location};
use px360::auth::Role;
use px360::domains::audit::model::audit_event;
use px360::domains::complaints::model::complaint_category;
use px360::domains::complaints::taxonomy::{categories_for, category_for};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

const BIN: &str = env!("CARGO_BIN_EXE_px360");
const API: &str = "/api/complaints/categories/";
const PAGE: &str = "/complaints/settings/taxonomy/";

/// `px360 --database-url <the app's> admin seed-reference`; returns its output, panics unless it succeeds.
fn seed_reference(app: &TestApp) -> String {
    let mut cmd = Command::new(BIN);
    cmd.arg("--database-url").arg(&app.state.config.database_url).args(["admin", "seed-reference"]);
    for (key, _) in std::env::vars() {
        if key.starts_with("PX360_") {
            cmd.env_remove(key);
        }
    }
    let dir = std::env::temp_dir();
    cmd.env("PX360_SECRET_KEY", "taxonomy-test-secret-0123456789abcdefghij")
        .env("PX360_LOG_DIR", "")
        .env("PX360_CONFIG", dir.join("px360-taxonomy-absent.toml"))
        .current_dir(dir)
        .stdin(Stdio::null());
    let out = cmd.output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "seed-reference failed: {text}");
    text
}

async fn seed(app: &TestApp) {
    px360::seed::taxonomy::seed_taxonomy(app.db(), false).await.unwrap();
}

/// Every row of the table, deleted ones included, in id order.
async fn all_rows(app: &TestApp) -> Vec<complaint_category::Model> {
    complaint_category::Entity::find().order_by_asc(complaint_category::Column::Id).all(app.db()).await.unwrap()
}

/// The live node `code` of `hospital` (`None`: shared).
async fn node(app: &TestApp, code: &str, hospital: Option<Uuid>) -> complaint_category::Model {
    use complaint_category::Column as C;
    let select = complaint_category::Entity::find().filter(C::Code.eq(code)).filter(C::DeletedAt.is_null());
    let select = match hospital {
        Some(h) => select.filter(C::HospitalId.eq(h)),
        None => select.filter(C::HospitalId.is_null()),
    };
    select.one(app.db()).await.unwrap().unwrap_or_else(|| panic!("node {code}"))
}

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, created) = json(app.post(API, token, &body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{body} → {created}");
    created
}

async fn audited(app: &TestApp, action: &str, id: &str) -> bool {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(action))
        .filter(audit_event::Column::ResourceId.eq(id))
        .count(app.db())
        .await
        .unwrap()
        == 1
}

#[tokio::test]
async fn seed_reference_loads_the_106_shared_nodes_once_and_restores_their_names() {
    let app = TestApp::spawn().await;
    seed_reference(&app);
    let rows = all_rows(&app).await;
    let per_level = |level: i32| rows.iter().filter(|r| r.level == level).count();
    assert_eq!((per_level(1), per_level(2), per_level(3), per_level(4)), (3, 9, 42, 52));
    assert_eq!(rows.len(), 106);
    for r in &rows {
        assert!(r.hospital_id.is_none() && r.is_active && r.deleted_at.is_none(), "{} is shared and live", r.code);
        assert!(r.name_ar.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)), "{} has an Arabic name", r.code);
        match r.parent_id {
            None => assert_eq!(r.level, 1, "{}", r.code),
            Some(p) => {
                let parent = rows.iter().find(|x| x.id == p).unwrap();
                assert_eq!(parent.level, r.level - 1, "{}", r.code);
                assert!(r.code.starts_with(&format!("{}-", parent.code)), "{} nests under {}", r.code, parent.code);
                assert_eq!(parent.domain_type, r.domain_type, "{}", r.code);
            }
        }
    }
    let domain = |code: &str| rows.iter().find(|r| r.code == code).unwrap().clone();
    assert_eq!((domain("CLIN").domain_type.as_str(), domain("CLIN").name_ar.as_str()), ("CLINICAL", "سريري"));
    assert_eq!(domain("MGMT").domain_type, "MANAGEMENT");
    assert_eq!(domain("REL").domain_type, "RELATIONSHIPS");
    let quality = domain("CLIN-QUA");
    let mut under: Vec<&complaint_category::Model> = rows.iter().filter(|r| r.parent_id == Some(quality.id)).collect();
    under.sort_by_key(|r| r.sort_order);
    let names: Vec<(&str, i32)> = under.iter().map(|r| (r.name_en.as_str(), r.sort_order)).collect();
    assert_eq!(
        names,
        [("Diagnosis", 1), ("Examination", 2), ("Patient Journey", 3), ("Quality of Care", 4), ("Treatment", 5)]
    );

    // Again: nothing new; a renamed shared node gets its name back, a deactivated one stays so.
    let mut renamed: complaint_category::ActiveModel = domain("MGMT-ENV").into();
    renamed.name_en = sea_orm::Set("Surroundings".into());
    renamed.is_active = sea_orm::Set(false);
    sea_orm::ActiveModelTrait::update(renamed, app.db()).await.unwrap();
    seed_reference(&app);
    let again = all_rows(&app).await;
    assert_eq!(again.iter().map(|r| r.id).collect::<Vec<_>>(), rows.iter().map(|r| r.id).collect::<Vec<_>>());
    let env = again.iter().find(|r| r.code == "MGMT-ENV").unwrap();
    assert_eq!((env.name_en.as_str(), env.is_active), ("Environment", false));
}

#[tokio::test]
async fn the_public_form_gets_the_hospitals_usable_categories_in_order() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    let (a, b) = (app.hospital_a.id, app.hospital_b.id);
    let admin_a = app.token(&email(Role::HospitalAdmin)).await;
    let admin_b = app.token(ADMIN_B).await;
    let px = app.token(&email(Role::PxAdmin)).await;
    let diag = node(&app, "CLIN-QUA-DIAG", None).await;
    let own = create(
        &app,
        &admin_a,
        json!({"parent_id": diag.id, "code": "CLIN-QUA-DIAG-A1", "name_en": "Late lab call-back", "name_ar": "تأخر الاتصال بنتيجة المختبر"}),
    )
    .await;
    let other = create(
        &app,
        &admin_b,
        json!({"parent_id": diag.id, "code": "CLIN-QUA-DIAG-B1", "name_en": "Beta only", "name_ar": "خاص ببيتا"}),
    )
    .await;
    // Deactivating a subcategory hides it and its classification.
    let noise = node(&app, "MGMT-ENV-NOISE", None).await;
    let (status, body) = json(app.patch(&format!("{API}{}/", noise.id), &px, &json!({"is_active": false})).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let resp = app
        .client
        .get(app.url(&format!("/complaints/public/api/load-categories/?hospital_id={a}")))
        .send()
        .await
        .unwrap();
    let (status, body) = json(resp).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let list = body["categories"].as_array().unwrap();
    assert_eq!(body.as_object().unwrap().len(), 1, "only categories");
    assert_eq!(list.len(), 106 + 1 - 2);
    let mut keys: Vec<&str> = list[0].as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["code", "description_ar", "description_en", "domain_type", "id", "level", "name_ar", "name_en", "parent_id"]
    );
    let codes: Vec<&str> = list.iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(&codes[..3], ["CLIN", "MGMT", "REL"], "domains first, by sort order");
    assert_eq!(list[0]["name_ar"], "سريري");
    assert_eq!(list[0]["parent_id"], Value::Null);
    assert!(list.windows(2).all(|w| w[0]["level"].as_i64() <= w[1]["level"].as_i64()), "sorted by level");
    assert!(codes.contains(&"CLIN-QUA-DIAG-A1"));
    assert!(!codes.contains(&"CLIN-QUA-DIAG-B1"), "another hospital's node is invisible");
    assert!(!codes.contains(&"MGMT-ENV-NOISE") && !codes.contains(&"MGMT-ENV-NOISE-01"), "inactive and below");
    let expected: Vec<String> = categories_for(app.db(), a).await.unwrap().into_iter().map(|c| c.code).collect();
    assert_eq!(codes, expected);
    let a1 = list.iter().find(|c| c["code"] == "CLIN-QUA-DIAG-A1").unwrap();
    assert_eq!((a1["level"].as_i64(), a1["domain_type"].as_str()), (Some(4), Some("CLINICAL")));

    // The lookup the complaint service uses: unknown and another hospital's look the same.
    let own_id: Uuid = own["id"].as_str().unwrap().parse().unwrap();
    let other_id: Uuid = other["id"].as_str().unwrap().parse().unwrap();
    assert!(category_for(app.db(), a, own_id).await.unwrap().is_some());
    assert!(category_for(app.db(), a, diag.id).await.unwrap().is_some());
    assert!(category_for(app.db(), b, own_id).await.unwrap().is_none());
    assert!(category_for(app.db(), a, other_id).await.unwrap().is_none());
    assert!(category_for(app.db(), a, Uuid::now_v7()).await.unwrap().is_none());
    let noise_01 = node(&app, "MGMT-ENV-NOISE-01", None).await;
    assert!(category_for(app.db(), a, noise_01.id).await.unwrap().is_none(), "under an inactive node");

    // Bad hospital ids: a clear JSON error, never a panic.
    for (query, status, field) in [
        ("", StatusCode::BAD_REQUEST, Some("hospital_id")),
        ("?hospital_id=", StatusCode::BAD_REQUEST, Some("hospital_id")),
        ("?hospital_id=not-a-uuid", StatusCode::BAD_REQUEST, Some("hospital_id")),
        ("?hospital_id=%zz", StatusCode::BAD_REQUEST, Some("hospital_id")),
    ] {
        let resp =
            app.client.get(app.url(&format!("/complaints/public/api/load-categories/{query}"))).send().await.unwrap();
        let (got, body) = json(resp).await;
        assert_eq!(got, status, "{query}: {body}");
        assert_fields(&body, &[field.unwrap()]);
    }
    let unknown = Uuid::now_v7();
    let resp = app
        .client
        .get(app.url(&format!("/complaints/public/api/load-categories/?hospital_id={unknown}")))
        .send()
        .await
        .unwrap();
    let (status, body) = json(resp).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_detail(&body, "not_found");
}

#[tokio::test]
async fn creating_a_category_names_every_bad_field_and_writes_nothing() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    let px = app.token(&email(Role::PxAdmin)).await;
    let admin_a = app.token(&email(Role::HospitalAdmin)).await;
    let admin_b = app.token(ADMIN_B).await;
    let clin = node(&app, "CLIN", None).await;
    let diag = node(&app, "CLIN-QUA-DIAG", None).await;
    let diag_01 = node(&app, "CLIN-QUA-DIAG-01", None).await;
    let beta = create(
        &app,
        &admin_b,
        json!({"parent_id": diag.id, "code": "CLIN-QUA-DIAG-B1", "name_en": "Beta only", "name_ar": "خاص ببيتا"}),
    )
    .await;
    let names = json!({"name_en": "New", "name_ar": "جديد"});
    let with = |extra: Value| {
        let mut body = names.clone();
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    let before = all_rows(&app).await;
    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        ("px", json!({}), vec!["code", "domain_type", "name_ar", "name_en"]),
        ("a", json!({"parent_id": diag.id}), vec!["code", "name_ar", "name_en"]),
        ("a", with(json!({"parent_id": diag.id, "code": "  "})), vec!["code"]),
        ("a", with(json!({"parent_id": diag.id, "code": "CLIN-QUA-DIAG-9", "name_ar": ""})), vec!["name_ar"]),
        // Wrong types and unknown fields.
        ("px", with(json!({"code": 5, "domain_type": "CLINICAL"})), vec!["code"]),
        (
            "a",
            with(json!({"parent_id": diag.id, "code": "CLIN-QUA-DIAG-9", "sort_order": "first"})),
            vec!["sort_order"],
        ),
        ("a", with(json!({"parent_id": diag.id, "code": "CLIN-QUA-DIAG-9", "level": "four"})), vec!["level"]),
        ("a", with(json!({"parent_id": "nope", "code": "CLIN-QUA-DIAG-9"})), vec!["parent_id"]),
        ("a", with(json!({"parent_id": diag.id, "code": "CLIN-QUA-DIAG-9", "colour": "red"})), vec!["colour"]),
        ("a", with(json!({"parent_id": diag.id, "code": "CLIN-QUA-DIAG-9", "sort_order": -1})), vec!["sort_order"]),
        ("a", with(json!({"parent_id": diag.id, "code": "CLIN-QUA-DIAG-9", "level": 7})), vec!["level"]),
        ("px", with(json!({"code": "NEW", "domain_type": "FINANCIAL"})), vec!["domain_type"]),
        // Duplicates (codes are upper-cased), shared or the hospital's own.
        ("a", with(json!({"parent_id": diag.id, "code": "CLIN-QUA-DIAG-01"})), vec!["code"]),
        ("a", with(json!({"parent_id": diag.id, "code": "clin-qua-diag-01"})), vec!["code"]),
        ("px", with(json!({"code": "CLIN", "domain_type": "CLINICAL"})), vec!["code"]),
        ("px", with(json!({"parent_id": diag.id, "code": "CLIN-QUA-DIAG-B1"})), vec!["code"]),
        ("a", with(json!({"parent_id": diag.id, "code": "CLIN-QUA-DIAG 9"})), vec!["code"]),
        // The parent: on the level above, visible to the node's hospital, its code a prefix.
        ("a", with(json!({"parent_id": clin.id, "level": 3, "code": "CLIN-XYZ"})), vec!["parent_id"]),
        ("a", with(json!({"parent_id": clin.id, "level": 1, "code": "CLIN-XYZ"})), vec!["parent_id"]),
        ("a", with(json!({"level": 2, "code": "XYZ", "domain_type": "CLINICAL"})), vec!["parent_id"]),
        ("a", with(json!({"parent_id": diag_01.id, "code": "CLIN-QUA-DIAG-01-X"})), vec!["parent_id"]),
        ("a", with(json!({"parent_id": diag.id, "code": "MGMT-ACC-9"})), vec!["code"]),
        ("a", with(json!({"parent_id": diag.id, "code": "CLIN-QUA-DIAG"})), vec!["code"]),
        ("a", with(json!({"parent_id": beta["id"], "code": "CLIN-QUA-DIAG-B1-X"})), vec!["parent_id"]),
        ("a", with(json!({"parent_id": Uuid::now_v7(), "code": "CLIN-QUA-DIAG-9"})), vec!["parent_id"]),
        (
            "a",
            with(json!({"parent_id": diag.id, "code": "CLIN-QUA-DIAG-9", "domain_type": "MANAGEMENT"})),
            vec!["domain_type"],
        ),
        // A shared node cannot hang under a hospital's.
        ("px", with(json!({"parent_id": beta["id"], "code": "CLIN-QUA-DIAG-B1-X"})), vec!["parent_id"]),
        // The hospital: hospital admins only their own; PX admins a live one.
        (
            "a",
            with(json!({"hospital_id": app.hospital_b.id, "parent_id": diag.id, "code": "CLIN-QUA-DIAG-9"})),
            vec!["hospital_id"],
        ),
        (
            "px",
            with(json!({"hospital_id": Uuid::now_v7(), "parent_id": diag.id, "code": "CLIN-QUA-DIAG-9"})),
            vec!["hospital_id"],
        ),
    ];
    for (who, body, fields) in cases {
        let token = if who == "px" { &px } else { &admin_a };
        let (status, answer) = json(app.post(API, token, &body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{who} {body} → {answer}");
        assert_fields(&answer, &fields);
    }
    // Not JSON at all.
    let resp = app
        .client
        .post(app.url(API))
        .bearer_auth(&px)
        .body("code=X")
        .header("content-type", "text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let resp = app
        .client
        .post(app.url(API))
        .bearer_auth(&px)
        .body("{")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    let (status, body) = json(resp).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fields(&body, &["non_field_errors"]);
    assert_eq!(all_rows(&app).await, before, "nothing was written");

    // Good input: a shared domain (PX admin), a hospital's category under it (hospital admin).
    let domain =
        create(&app, &px, json!({"code": "oth", "name_en": "Other", "name_ar": "أخرى", "domain_type": "management"}))
            .await;
    assert_eq!(
        (&domain["code"], &domain["level"], &domain["hospital_id"], &domain["domain_type"], &domain["sort_order"]),
        (&json!("OTH"), &json!(1), &Value::Null, &json!("MANAGEMENT"), &json!(4))
    );
    let id = domain["id"].as_str().unwrap();
    assert!(audited(&app, "complaint_category_created", id).await);
    let own = create(
        &app,
        &admin_a,
        json!({"parent_id": id, "code": "OTH-GEN", "name_en": "General", "name_ar": "عام", "description_en": "Anything else", "sort_order": 7}),
    )
    .await;
    assert_eq!(own["hospital_id"], json!(app.hospital_a.id));
    assert_eq!((&own["level"], &own["domain_type"], &own["sort_order"]), (&json!(2), &json!("MANAGEMENT"), &json!(7)));
    assert!(audited(&app, "complaint_category_created", own["id"].as_str().unwrap()).await);
    // The same code in another hospital is fine; in the same one it is not.
    create(&app, &admin_b, json!({"parent_id": id, "code": "OTH-GEN", "name_en": "General", "name_ar": "عام"})).await;
    let (status, body) = json(
        app.post(API, &admin_a, &json!({"parent_id": id, "code": "OTH-GEN", "name_en": "G", "name_ar": "ع"})).await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fields(&body, &["code"]);
    // A PX admin creates a hospital's node by naming it.
    let for_b = create(&app, &px, json!({"hospital_id": app.hospital_b.id, "parent_id": id, "code": "OTH-PX", "name_en": "By PX", "name_ar": "من الإدارة"})).await;
    assert_eq!(for_b["hospital_id"], json!(app.hospital_b.id));
}

#[tokio::test]
async fn changes_and_deletes_stay_within_the_actors_hospital_and_the_tree() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    let px = app.token(&email(Role::PxAdmin)).await;
    let admin_a = app.token(&email(Role::HospitalAdmin)).await;
    let admin_b = app.token(ADMIN_B).await;
    let viewer = app.token(&email(Role::Viewer)).await;
    let diag = node(&app, "CLIN-QUA-DIAG", None).await;
    let own = create(
        &app,
        &admin_a,
        json!({"parent_id": diag.id, "code": "CLIN-QUA-DIAG-A1", "name_en": "Late call-back", "name_ar": "تأخر الاتصال"}),
    )
    .await;
    let own_path = format!("{API}{}/", own["id"].as_str().unwrap());
    let shared_path = format!("{API}{}/", diag.id);
    let before = all_rows(&app).await;

    // Unknown and malformed ids.
    for path in [format!("{API}{}/", Uuid::now_v7()), format!("{API}not-a-uuid/")] {
        let (status, body) = json(app.patch(&path, &px, &json!({"name_en": "X"})).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert_detail(&body, "not_found");
        let (status, _) = json(app.delete(&path, &px).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    // Bad values.
    for (body, field) in [
        (json!({"name_en": ""}), "name_en"),
        (json!({"name_ar": "   "}), "name_ar"),
        (json!({"sort_order": -1}), "sort_order"),
        (json!({"sort_order": "1st"}), "sort_order"),
        (json!({"is_active": "yes"}), "is_active"),
        (json!({"code": "CLIN-QUA-DIAG-A2"}), "code"),
        (json!({"parent_id": diag.id}), "parent_id"),
    ] {
        let (status, answer) = json(app.patch(&own_path, &admin_a, &body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {answer}");
        assert_fields(&answer, &[field]);
    }
    // Roles and scope: another hospital's node is a 404, a shared one a 403 for a hospital admin.
    let (status, _) = json(app.patch(&own_path, &admin_b, &json!({"name_en": "Mine"})).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = json(app.delete(&own_path, &admin_b).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = json(app.patch(&shared_path, &admin_a, &json!({"name_en": "Diagnosis!"})).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_detail(&body, "permission_denied");
    let (status, _) = json(app.patch(&own_path, &viewer, &json!({"name_en": "Viewer"})).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = json(app.delete(&own_path, &viewer).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A node with live children is not deleted.
    let (status, body) = json(app.delete(&shared_path, &px).await).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_detail(&body, "has_children");
    assert_eq!(all_rows(&app).await, before, "nothing was written");

    // Good changes.
    let (status, saved) = json(
        app.patch(
            &own_path,
            &admin_a,
            &json!({"name_en": "Late lab call-back", "description_ar": "وصف", "sort_order": 9}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(
        (&saved["name_en"], &saved["description_ar"], &saved["sort_order"]),
        (&json!("Late lab call-back"), &json!("وصف"), &json!(9))
    );
    assert_eq!(saved["code"], "CLIN-QUA-DIAG-A1");
    assert!(audited(&app, "complaint_category_updated", own["id"].as_str().unwrap()).await);
    let (status, saved) = json(app.patch(&shared_path, &px, &json!({"is_active": false})).await).await;
    assert_eq!((status, &saved["is_active"]), (StatusCode::OK, &json!(false)));

    // Delete the leaf, then its code is free again.
    let resp = app.delete(&own_path, &admin_a).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert!(audited(&app, "complaint_category_deleted", own["id"].as_str().unwrap()).await);
    let gone = complaint_category::Entity::find_by_id(own["id"].as_str().unwrap().parse::<Uuid>().unwrap())
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert!(gone.deleted_at.is_some(), "a soft delete");
    let (status, _) = json(app.patch(&own_path, &admin_a, &json!({"name_en": "Back"})).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    create(
        &app,
        &admin_a,
        json!({"parent_id": diag.id, "code": "CLIN-QUA-DIAG-A1", "name_en": "Again", "name_ar": "مجدداً"}),
    )
    .await;
}

#[tokio::test]
async fn listing_needs_view_complaints_and_shows_the_actors_hospital() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    let px = app.token(&email(Role::PxAdmin)).await;
    let viewer = app.token(&email(Role::Viewer)).await;
    let staff = app.token(&email(Role::Staff)).await;
    let admin_b = app.token(ADMIN_B).await;
    let diag = node(&app, "CLIN-QUA-DIAG", None).await;
    create(
        &app,
        &admin_b,
        json!({"parent_id": diag.id, "code": "CLIN-QUA-DIAG-B1", "name_en": "Beta", "name_ar": "بيتا"}),
    )
    .await;

    let (status, page) = json(app.get(&format!("{API}?page_size=100"), &viewer).await).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["count"], 106, "shared nodes, not hospital B's");
    assert_eq!(page["results"][0]["code"], "CLIN");
    assert!(page["next"].is_string());
    let (status, page) = json(app.get(&format!("{API}?level=4&page_size=100"), &viewer).await).await;
    assert_eq!((status, &page["count"]), (StatusCode::OK, &json!(52)));
    let (_, page) = json(app.get(&format!("{API}?parent_id={}", diag.id), &viewer).await).await;
    let codes: Vec<&str> = page["results"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["CLIN-QUA-DIAG-01", "CLIN-QUA-DIAG-02"]);
    let (_, page) = json(app.get(&format!("{API}?search=diagnos"), &viewer).await).await;
    assert_eq!(page["count"], 3, "{page}");
    for (query, field) in [
        ("level=9", "level"),
        ("parent_id=x", "parent_id"),
        ("is_active=maybe", "is_active"),
        ("domain_type=x", "domain_type"),
        ("ordering=colour", "ordering"),
    ] {
        let (status, body) = json(app.get(&format!("{API}?{query}"), &viewer).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_fields(&body, &[field]);
    }
    // PX admins: shared only, or a hospital's with ?hospital_id=.
    let (_, page) = json(app.get(&format!("{API}?level=4&page_size=100"), &px).await).await;
    assert_eq!(page["count"], 52);
    let (_, page) =
        json(app.get(&format!("{API}?level=4&page_size=100&hospital_id={}", app.hospital_b.id), &px).await).await;
    assert_eq!(page["count"], 53);
    let (_, page) = json(app.get(&format!("{API}?level=4&page_size=100"), &admin_b).await).await;
    assert_eq!(page["count"], 53);

    // Staff may not read complaints; the viewer may not write; no token is a 401.
    let (status, _) = json(app.get(API, &staff).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = json(
        app.post(API, &viewer, &json!({"code": "X", "name_en": "X", "name_ar": "س", "domain_type": "CLINICAL"})).await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_detail(&body, "permission_denied");
    let resp = app.client.get(app.url(API)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    // The API is documented under Complaints.
    let (_, schema) = json(app.client.get(app.url("/api/schema/")).send().await.unwrap()).await;
    let paths = &schema["paths"];
    assert_eq!(paths["/api/complaints/categories/"]["get"]["tags"][0], "Complaints");
    assert!(paths["/api/complaints/categories/{id}/"]["patch"].is_object());
    assert!(paths["/api/complaints/categories/{id}/"]["delete"].is_object());
    assert!(paths.get("/complaints/public/api/load-categories/").is_none());
}

#[tokio::test]
async fn the_settings_page_shows_the_tree_and_edits_the_hospitals_own_nodes() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    let a = app.hospital_a.id;
    let (client, csrf) = app.login_page_session(&email(Role::HospitalAdmin)).await;
    let html = client.get(app.url(PAGE)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("فئات الشكاوى"), "the Arabic title");
    assert!(html.contains("CLIN-QUA-DIAG-01") && html.contains("سريري") && html.contains("Clinical"));
    assert!(html.contains("id=\"add-category\""), "a hospital admin may add");
    let diag = node(&app, "CLIN-QUA-DIAG", None).await;
    assert!(
        !html.contains(&format!("/complaints/settings/taxonomy/{}/status/", diag.id)),
        "shared nodes are read-only"
    );

    // Add under a shared subcategory.
    let post = |path: String, fields: Vec<(&'static str, String)>| {
        let client = client.clone();
        let url = app.url(&path);
        async move { client.post(url).form(&fields).send().await.unwrap() }
    };
    let resp = post(
        PAGE.into(),
        vec![
            ("csrf_token", csrf.clone()),
            ("parent_id", diag.id.to_string()),
            ("code", "clin-qua-diag-p1".into()),
            ("name_en", "Lost sample".into()),
            ("name_ar", "فقدان العينة".into()),
            ("description_en", String::new()),
            ("description_ar", String::new()),
            ("domain_type", String::new()),
            ("sort_order", String::new()),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(location(&resp).starts_with(PAGE));
    let added = node(&app, "CLIN-QUA-DIAG-P1", Some(a)).await;
    assert_eq!((added.level, added.domain_type.as_str(), added.sort_order), (4, "CLINICAL", 3));

    // Bad input: 400 with the field named, nothing written, values kept.
    let before = all_rows(&app).await;
    let resp = post(
        PAGE.into(),
        vec![
            ("csrf_token", csrf.clone()),
            ("parent_id", diag.id.to_string()),
            ("code", String::new()),
            ("name_en", "Kept value".into()),
            ("name_ar", String::new()),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let html = resp.text().await.unwrap();
    assert!(html.contains("id=\"form-error\"") && html.contains("Kept value"));
    assert!(html.contains("الرمز") && html.contains("الاسم (بالعربية)"), "the fields named in Arabic");
    let resp = post(PAGE.into(), vec![("parent_id", diag.id.to_string()), ("code", "CLIN-QUA-DIAG-P2".into())]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "no CSRF token");
    assert_eq!(all_rows(&app).await, before);

    // Edit, deactivate, delete the own node.
    let base = format!("{PAGE}{}/", added.id);
    let resp = post(
        base.clone(),
        vec![
            ("csrf_token", csrf.clone()),
            ("name_en", "Lost lab sample".into()),
            ("name_ar", "فقدان عينة المختبر".into()),
            ("description_en", "Sample lost".into()),
            ("description_ar", "فقدت العينة".into()),
            ("sort_order", "5".into()),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let edited = node(&app, "CLIN-QUA-DIAG-P1", Some(a)).await;
    assert_eq!((edited.name_en.as_str(), edited.sort_order), ("Lost lab sample", 5));
    let resp = post(format!("{base}status/"), vec![("csrf_token", csrf.clone()), ("is_active", "false".into())]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(!node(&app, "CLIN-QUA-DIAG-P1", Some(a)).await.is_active);
    let html = client.get(app.url(PAGE)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("غير مفعّلة") && html.contains(&format!("{base}status/")));
    // A shared node: refused.
    let resp =
        post(format!("{PAGE}{}/status/", diag.id), vec![("csrf_token", csrf.clone()), ("is_active", "false".into())])
            .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = post(format!("{base}delete/"), vec![("csrf_token", csrf.clone())]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(
        complaint_category::Entity::find_by_id(added.id).one(app.db()).await.unwrap().unwrap().deleted_at.is_some()
    );

    // In English.
    let resp = post(
        "/i18n/set-language/".into(),
        vec![("csrf_token", csrf.clone()), ("language", "en".into()), ("next", PAGE.into())],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let html = client.get(app.url(PAGE)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Complaint categories") && html.contains("Humanness &#38; Caring"));
    assert_eq!(hidden_field(&html, "csrf_token").as_deref(), Some(csrf.as_str()));

    // Who may see it: not a viewer.
    let (viewer, _) = app.login_page_session(&email(Role::Viewer)).await;
    let resp = viewer.get(app.url(PAGE)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}
