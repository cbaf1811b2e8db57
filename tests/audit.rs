//! The audit log: what is recorded, the append-only guard, and hash-chain verification.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ADMIN_B, TestApp, email, json, on_postgres};
use px360::auth::Role;
use px360::domains::audit::model::audit_event;
use px360::domains::audit::service::verify;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Statement};
use serde_json::json;

const AGENT: &str = "px360-integration-tests";

async fn events(app: &TestApp, action: &str) -> Vec<audit_event::Model> {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(action))
        .order_by_asc(audit_event::Column::CreatedAt)
        .all(app.db())
        .await
        .unwrap()
}

/// Logs in with a known user agent and returns the access token.
async fn token(app: &TestApp, login: &str) -> String {
    let resp = app
        .client
        .post(app.url("/api/auth/token/"))
        .header("user-agent", AGENT)
        .json(&json!({"email": login, "password": common::PASSWORD}))
        .send()
        .await
        .unwrap();
    let (status, body) = json(resp).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["access"].as_str().unwrap().to_owned()
}

/// Some activity in hospital A's chain and the global one.
async fn activity(app: &TestApp) {
    let ha = token(app, &email(Role::HospitalAdmin)).await;
    for code in ["AUD-1", "AUD-2", "AUD-3"] {
        let resp = app.post("/api/organizations/departments/", &ha, &json!({"code": code, "name_en": code})).await;
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    token(app, &email(Role::PxAdmin)).await;
}

async fn execute(app: &TestApp, sql: &str, values: Vec<sea_orm::Value>) -> Result<u64, sea_orm::DbErr> {
    let db = app.db();
    db.execute_raw(Statement::from_sql_and_values(db.get_database_backend(), sql, values))
        .await
        .map(|r| r.rows_affected())
}

async fn remove_append_only_guard(app: &TestApp) {
    let sql = if on_postgres() {
        "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update"
    } else {
        "DROP TRIGGER audit_events_no_update"
    };
    app.db().execute_unprepared(sql).await.expect("remove the guard");
}

/// The entries of hospital A's chain in order.
async fn chain_a(app: &TestApp) -> Vec<audit_event::Model> {
    audit_event::Entity::find()
        .filter(audit_event::Column::ChainKey.eq(app.hospital_a.id.to_string()))
        .order_by_asc(audit_event::Column::Seq)
        .all(app.db())
        .await
        .unwrap()
}

#[tokio::test]
async fn logins_creations_and_denials_are_audited_with_who_and_where() {
    let app = TestApp::spawn().await;
    let ha = token(&app, &email(Role::HospitalAdmin)).await;
    let login = events(&app, "login").await;
    assert_eq!(login.len(), 1);
    let admin = app.user(Role::HospitalAdmin);
    assert_eq!(login[0].actor_id, Some(admin.id));
    assert_eq!(login[0].actor_email, admin.email);
    assert_eq!(login[0].actor_role, "hospital_admin");
    assert_eq!(login[0].hospital_id, Some(app.hospital_a.id));
    assert_eq!(login[0].ip, "127.0.0.1");
    assert_eq!(login[0].user_agent, AGENT);

    let (status, created) =
        json(app.post("/api/organizations/departments/", &ha, &json!({"code": "AUD-1", "name_en": "Audited"})).await)
            .await;
    assert_eq!(status, StatusCode::CREATED);
    let create = events(&app, "create").await;
    assert_eq!(create.len(), 1);
    assert_eq!(create[0].resource_type, "department");
    assert_eq!(create[0].resource_id, created["id"].as_str().unwrap());
    assert_eq!(create[0].actor_id, Some(admin.id));
    assert!(!create[0].request_id.is_empty(), "the request id is kept");

    let viewer = app.token(&email(Role::Viewer)).await;
    let resp =
        app.post("/api/organizations/departments/", &viewer, &json!({"code": "AUD-2", "name_en": "Denied"})).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let denied = events(&app, "permission_denied").await;
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0].actor_id, Some(app.user(Role::Viewer).id));

    let resp = app
        .client
        .post(app.url("/api/auth/token/"))
        .json(&json!({"email": email(Role::Nurse), "password": "wrong password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let failed = events(&app, "login_failed").await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].resource_id, app.user(Role::Nurse).id.to_string());
    assert_eq!(failed[0].details["reason"], "password");
    assert!(failed[0].actor_id.is_none(), "a failed login has no authenticated actor");
}

#[tokio::test]
async fn the_audit_api_shows_a_hospital_admin_only_their_hospitals_entries() {
    let app = TestApp::spawn().await;
    activity(&app).await;
    let ha = app.token(&email(Role::HospitalAdmin)).await;
    let (status, body) = json(app.get("/api/audit/events/?action=create", &ha).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["count"], 3);
    let first = &body["results"][0];
    assert_eq!(first["resource_type"], "department");
    assert_eq!(first["hospital_id"], app.hospital_a.id.to_string());
    let b = app.token(ADMIN_B).await;
    let (status, body) = json(app.get("/api/audit/events/?action=create", &b).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["count"], 0, "hospital B's admin sees nothing of hospital A: {body}");
    let px = app.token(&email(Role::PxAdmin)).await;
    let (_, body) = json(app.get("/api/audit/events/?action=login", &px).await).await;
    assert!(body["count"].as_u64().unwrap() >= 4, "{body}");
    let (status, body) = json(app.get("/api/audit/events/?date_from=yesterday", &px).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    common::assert_fields(&body, &["date_from"]);
}

#[tokio::test]
async fn an_untouched_log_verifies() {
    let app = TestApp::spawn().await;
    assert_eq!(verify(app.db()).await.unwrap(), Ok(0), "an empty log verifies");
    activity(&app).await;
    let total = audit_event::Entity::find().count(app.db()).await.unwrap();
    assert!(total >= 5);
    assert_eq!(verify(app.db()).await.unwrap(), Ok(total));
}

#[tokio::test]
async fn an_update_is_refused_while_the_append_only_guard_is_in_place() {
    let app = TestApp::spawn().await;
    activity(&app).await;
    let row = chain_a(&app).await.remove(1);
    let result =
        execute(&app, "UPDATE audit_events SET action = $1 WHERE id = $2", vec!["tampered".into(), row.id.into()])
            .await;
    let err = result.expect_err("the guard refuses UPDATE");
    assert!(err.to_string().contains("append-only"), "{err}");
    let again = audit_event::Entity::find_by_id(row.id).one(app.db()).await.unwrap().unwrap();
    assert_eq!(again.action, row.action);
    assert!(verify(app.db()).await.unwrap().is_ok());
}

#[tokio::test]
async fn an_altered_entry_breaks_the_chain_at_its_seq() {
    let app = TestApp::spawn().await;
    activity(&app).await;
    remove_append_only_guard(&app).await;
    let chain = chain_a(&app).await;
    assert!(chain.len() >= 4, "{} entries", chain.len());
    let victim = &chain[2];
    let changed =
        execute(&app, "UPDATE audit_events SET action = $1 WHERE id = $2", vec!["tampered".into(), victim.id.into()])
            .await
            .unwrap();
    assert_eq!(changed, 1);
    let broken = verify(app.db()).await.unwrap().expect_err("the altered row is found");
    assert_eq!(broken.chain_key, app.hospital_a.id.to_string());
    assert_eq!(broken.seq, victim.seq);
    assert_eq!(broken.id, Some(victim.id));
    assert!(broken.reason.contains("altered"), "{}", broken.reason);
}

#[tokio::test]
async fn an_entry_with_a_rewritten_hash_is_noticed() {
    let app = TestApp::spawn().await;
    activity(&app).await;
    remove_append_only_guard(&app).await;
    let chain = chain_a(&app).await;
    let victim = &chain[1];
    // A stored hash that no longer matches the row (nor the next entry's prev_hash).
    let forged = "f".repeat(64);
    execute(&app, "UPDATE audit_events SET hash = $1 WHERE id = $2", vec![forged.into(), victim.id.into()])
        .await
        .unwrap();
    let broken = verify(app.db()).await.unwrap().expect_err("broken");
    assert_eq!(broken.seq, victim.seq, "{}", broken.reason);
}

#[tokio::test]
async fn a_removed_last_entry_is_noticed() {
    let app = TestApp::spawn().await;
    activity(&app).await;
    let chain = chain_a(&app).await;
    let last = chain.last().unwrap();
    let removed = execute(&app, "DELETE FROM audit_events WHERE id = $1", vec![last.id.into()]).await.unwrap();
    assert_eq!(removed, 1);
    let broken = verify(app.db()).await.unwrap().expect_err("tail removal is found");
    assert_eq!(broken.chain_key, app.hospital_a.id.to_string());
    assert!(broken.reason.contains("tail removed"), "{}", broken.reason);
}

#[tokio::test]
async fn a_removed_middle_entry_is_noticed() {
    let app = TestApp::spawn().await;
    activity(&app).await;
    let chain = chain_a(&app).await;
    let middle = &chain[1];
    execute(&app, "DELETE FROM audit_events WHERE id = $1", vec![middle.id.into()]).await.unwrap();
    let broken = verify(app.db()).await.unwrap().expect_err("a gap is found");
    assert_eq!(broken.seq, middle.seq);
    assert!(broken.reason.contains("missing"), "{}", broken.reason);
}

#[tokio::test]
async fn concurrent_writes_keep_every_chain_intact() {
    let app = TestApp::spawn().await;
    let ha = app.token(&email(Role::HospitalAdmin)).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..16 {
        let (client, url, token) = (app.client.clone(), app.url("/api/organizations/departments/"), ha.clone());
        tasks.spawn(async move {
            let body = json!({"code": format!("PAR-{i}"), "name_en": format!("Parallel {i}")});
            client.post(url).bearer_auth(token).json(&body).send().await.unwrap().status()
        });
    }
    while let Some(status) = tasks.join_next().await {
        assert_eq!(status.unwrap(), StatusCode::CREATED);
    }
    let seqs: Vec<i64> = chain_a(&app).await.iter().map(|e| e.seq).collect();
    let want: Vec<i64> = (1..=seqs.len() as i64).collect();
    assert_eq!(seqs, want, "no gaps or duplicates");
    assert!(verify(app.db()).await.unwrap().is_ok());
}
