//! `/api/auth/…`: tokens, lockout, refresh rotation, logout, bearer validation, password change.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ADMIN_B, PASSWORD, SECRET_KEY, TestApp, assert_detail, assert_fields, email, json};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use px360::auth::Role;
use px360::auth::jwt::Claims;
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

async fn obtain(app: &TestApp, body: serde_json::Value) -> (StatusCode, serde_json::Value) {
    json(app.client.post(app.url("/api/auth/token/")).json(&body).send().await.unwrap()).await
}

async fn me(app: &TestApp, authorization: Option<&str>) -> (StatusCode, serde_json::Value) {
    let mut req = app.client.get(app.url("/api/auth/me/"));
    if let Some(value) = authorization {
        req = req.header("authorization", value);
    }
    json(req.send().await.unwrap()).await
}

async fn refresh(app: &TestApp, token: &str) -> (StatusCode, serde_json::Value) {
    json(app.client.post(app.url("/api/auth/token/refresh/")).json(&json!({"refresh": token})).send().await.unwrap())
        .await
}

fn b64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn claims(sub: Uuid, role: &str, iat: i64, exp: i64, typ: &str) -> Claims {
    Claims { sub, role: role.into(), iat, exp, jti: Uuid::now_v7(), typ: typ.into() }
}

fn sign(alg: Algorithm, claims: &Claims, secret: &str) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

#[tokio::test]
async fn a_token_is_issued_for_an_email_and_password_and_opens_the_api() {
    let app = TestApp::spawn().await;
    let (status, body) = obtain(&app, json!({"email": email(Role::Viewer), "password": PASSWORD})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let access = body["access"].as_str().unwrap();
    assert!(body["refresh"].as_str().is_some_and(|r| r.len() >= 32), "{body}");
    assert_eq!(access.split('.').count(), 3, "a JWT");
    let (status, user) = me(&app, Some(&format!("Bearer {access}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(user["email"], email(Role::Viewer));
    assert_eq!(user["role"], "viewer");
    assert_eq!(user["hospital_id"], app.hospital_a.id.to_string());
    assert!(user.get("password_hash").is_none(), "the hash never leaves the server: {user}");
}

#[tokio::test]
async fn the_login_is_case_insensitive_and_may_be_sent_as_username() {
    let app = TestApp::spawn().await;
    let upper = email(Role::Nurse).to_uppercase();
    let (status, body) = obtain(&app, json!({"email": upper, "password": PASSWORD})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Users have no username; the bench tool and the Django original send the email as `username`.
    let (status, body) = obtain(&app, json!({"username": email(Role::Nurse), "password": PASSWORD})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["access"].is_string());
}

#[tokio::test]
async fn a_wrong_password_or_unknown_email_answers_401_with_detail_and_code() {
    let app = TestApp::spawn().await;
    for body in [
        json!({"email": email(Role::Viewer), "password": "not the password"}),
        json!({"email": "nobody@nowhere.test", "password": PASSWORD}),
    ] {
        let resp = app.client.post(app.url("/api/auth/token/")).json(&body).send().await.unwrap();
        assert_eq!(resp.headers().get("www-authenticate").and_then(|v| v.to_str().ok()), Some("Bearer"));
        let (status, body) = json(resp).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_detail(&body, "authentication_failed");
    }
}

#[tokio::test]
async fn missing_credentials_are_a_validation_error_naming_the_fields() {
    let app = TestApp::spawn().await;
    let (status, body) = obtain(&app, json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fields(&body, &["email", "password"]);
    let (status, body) = obtain(&app, json!({"email": email(Role::Viewer), "password": ""})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fields(&body, &["password"]);
    let (status, body) = obtain(&app, json!({"email": email(Role::Viewer), "password": PASSWORD, "otp": "1"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fields(&body, &["otp"]);
}

#[tokio::test]
async fn five_failed_logins_lock_the_account_even_against_the_right_password() {
    let app = TestApp::spawn().await;
    let login = email(Role::Staff);
    for attempt in 1..=5 {
        let (status, body) =
            obtain(&app, json!({"email": login, "password": format!("wrong password {attempt}")})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
        assert_detail(&body, "authentication_failed");
    }
    let (status, body) = obtain(&app, json!({"email": login, "password": PASSWORD})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_detail(&body, "account_locked");
    // Other accounts are unaffected.
    let (status, _) = obtain(&app, json!({"email": email(Role::Viewer), "password": PASSWORD})).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_successful_login_resets_the_failure_count() {
    let app = TestApp::spawn().await;
    let login = email(Role::Staff);
    for _ in 0..4 {
        assert_eq!(
            obtain(&app, json!({"email": login, "password": "wrong password"})).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(obtain(&app, json!({"email": login, "password": PASSWORD})).await.0, StatusCode::OK);
    for _ in 0..4 {
        assert_eq!(
            obtain(&app, json!({"email": login, "password": "wrong password"})).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    let (status, body) = obtain(&app, json!({"email": login, "password": PASSWORD})).await;
    assert_eq!(status, StatusCode::OK, "four failures after a success do not lock: {body}");
}

#[tokio::test]
async fn refreshing_rotates_the_token_and_reusing_a_spent_one_revokes_the_chain() {
    let app = TestApp::spawn().await;
    let (_, first) = app.tokens(&email(Role::PxCoordinator)).await;
    let (status, body) = refresh(&app, &first).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let second = body["refresh"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    let (status, user) = me(&app, Some(&format!("Bearer {}", body["access"].as_str().unwrap()))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(user["role"], "px_coordinator");

    // The spent token is refused…
    let (status, body) = refresh(&app, &first).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_detail(&body, "token_not_valid");
    // …and its reuse revoked the rotation that followed it.
    let (status, body) = refresh(&app, &second).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_detail(&body, "token_not_valid");
}

#[tokio::test]
async fn an_unknown_or_blank_refresh_token_is_refused() {
    let app = TestApp::spawn().await;
    let (status, body) = refresh(&app, "0123456789abcdef").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_detail(&body, "token_not_valid");
    let (status, body) = refresh(&app, "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fields(&body, &["refresh"]);
}

#[tokio::test]
async fn an_access_token_is_not_accepted_as_a_refresh_token() {
    let app = TestApp::spawn().await;
    let (access, _) = app.tokens(&email(Role::Viewer)).await;
    let (status, body) = refresh(&app, &access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_detail(&body, "token_not_valid");
}

#[tokio::test]
async fn logout_revokes_the_refresh_token() {
    let app = TestApp::spawn().await;
    let (access, refresh_token) = app.tokens(&email(Role::Nurse)).await;
    let resp = app.post("/api/auth/logout/", &access, &json!({"refresh": refresh_token})).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let (status, body) = refresh(&app, &refresh_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_detail(&body, "token_not_valid");
}

#[tokio::test]
async fn nobody_logs_out_another_users_refresh_token() {
    let app = TestApp::spawn().await;
    let (_, victims) = app.tokens(&email(Role::Nurse)).await;
    let other = app.token(ADMIN_B).await;
    let (status, body) = json(app.post("/api/auth/logout/", &other, &json!({"refresh": victims})).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fields(&body, &["refresh"]);
    assert_eq!(refresh(&app, &victims).await.0, StatusCode::OK, "the victim's token still works");
}

#[tokio::test]
async fn logout_needs_authentication() {
    let app = TestApp::spawn().await;
    let (_, refresh_token) = app.tokens(&email(Role::Nurse)).await;
    let (status, body) = json(
        app.client.post(app.url("/api/auth/logout/")).json(&json!({"refresh": refresh_token})).send().await.unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_detail(&body, "not_authenticated");
}

#[tokio::test]
async fn a_missing_authorization_header_answers_401_not_authenticated() {
    let app = TestApp::spawn().await;
    let (status, body) = me(&app, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_detail(&body, "not_authenticated");
}

#[tokio::test]
async fn an_expired_access_token_is_refused() {
    let app = TestApp::spawn().await;
    let user = app.user(Role::PxAdmin);
    let now = chrono::Utc::now().timestamp();
    let expired = sign(Algorithm::HS256, &claims(user.id, "px_admin", now - 3600, now - 60, "access"), SECRET_KEY);
    let (status, body) = me(&app, Some(&format!("Bearer {expired}"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_detail(&body, "token_not_valid");
    // The same claims with a future expiry are accepted: the refusal is the expiry alone.
    let fresh = sign(Algorithm::HS256, &claims(user.id, "px_admin", now, now + 600, "access"), SECRET_KEY);
    assert_eq!(me(&app, Some(&format!("Bearer {fresh}"))).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_tampered_access_token_is_refused() {
    let app = TestApp::spawn().await;
    let token = app.token(&email(Role::Viewer)).await;
    let parts: Vec<&str> = token.split('.').collect();
    // Promote the viewer to px_admin in the payload, keeping the old signature.
    let now = chrono::Utc::now().timestamp();
    let forged_payload = b64url(
        serde_json::to_string(&claims(app.user(Role::PxAdmin).id, "px_admin", now, now + 600, "access"))
            .unwrap()
            .as_bytes(),
    );
    let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    let (status, body) = me(&app, Some(&format!("Bearer {forged}"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_detail(&body, "token_not_valid");
    // One flipped character of the signature.
    let mut sig: Vec<char> = parts[2].chars().collect();
    sig[3] = if sig[3] == 'A' { 'B' } else { 'A' };
    let flipped = format!("{}.{}.{}", parts[0], parts[1], sig.into_iter().collect::<String>());
    assert_eq!(me(&app, Some(&format!("Bearer {flipped}"))).await.0, StatusCode::UNAUTHORIZED);
    // Garbage.
    assert_eq!(me(&app, Some("Bearer not-a-jwt")).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_unsigned_or_differently_signed_token_is_refused() {
    let app = TestApp::spawn().await;
    let user = app.user(Role::PxAdmin);
    let now = chrono::Utc::now().timestamp();
    let c = claims(user.id, "px_admin", now, now + 600, "access");
    let payload = b64url(serde_json::to_string(&c).unwrap().as_bytes());
    let none = format!("{}.{}.", b64url(br#"{"alg":"none","typ":"JWT"}"#), payload);
    let hs512 = sign(Algorithm::HS512, &c, SECRET_KEY);
    let other_key = sign(Algorithm::HS256, &c, "another-secret-key-0123456789abcdefghijk");
    let not_access = sign(Algorithm::HS256, &claims(user.id, "px_admin", now, now + 600, "refresh"), SECRET_KEY);
    for (what, token) in [("alg none", none), ("HS512", hs512), ("another key", other_key), ("typ refresh", not_access)]
    {
        let (status, body) = me(&app, Some(&format!("Bearer {token}"))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {body}");
        assert_detail(&body, "token_not_valid");
    }
}

#[tokio::test]
async fn a_scheme_other_than_bearer_is_refused() {
    let app = TestApp::spawn().await;
    let token = app.token(&email(Role::Viewer)).await;
    for value in [format!("Token {token}"), "Basic dXNlcjpwYXNz".to_owned(), token.clone()] {
        let (status, body) = me(&app, Some(&value)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{value}");
        assert_detail(&body, "authentication_failed");
    }
}

#[tokio::test]
async fn a_token_of_a_deactivated_user_stops_working() {
    let app = TestApp::spawn().await;
    let viewer = app.token(&email(Role::Viewer)).await;
    let admin = app.token(&email(Role::HospitalAdmin)).await;
    let id = app.user(Role::Viewer).id;
    let resp = app.delete(&format!("/api/accounts/users/{id}/"), &admin).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let (status, body) = me(&app, Some(&format!("Bearer {viewer}"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_detail(&body, "user_inactive");
    let (status, body) = obtain(&app, json!({"email": email(Role::Viewer), "password": PASSWORD})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_detail(&body, "authentication_failed");
}

#[tokio::test]
async fn after_a_password_change_the_old_password_and_refresh_tokens_fail() {
    let app = TestApp::spawn().await;
    let login = email(Role::Physician);
    let (access, refresh_token) = app.tokens(&login).await;
    let new_password = "a brand new passphrase 9";
    let resp = app
        .post("/api/auth/password/", &access, &json!({"old_password": PASSWORD, "new_password": new_password}))
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);

    let (status, body) = obtain(&app, json!({"email": login, "password": PASSWORD})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_detail(&body, "authentication_failed");
    let (status, _) = obtain(&app, json!({"email": login, "password": new_password})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = refresh(&app, &refresh_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "refresh tokens are revoked by a password change");
    assert_detail(&body, "token_not_valid");
}

#[tokio::test]
async fn a_password_change_checks_the_old_password_and_the_policy() {
    let app = TestApp::spawn().await;
    let login = email(Role::Physician);
    let access = app.token(&login).await;
    let (status, body) = json(
        app.post(
            "/api/auth/password/",
            &access,
            &json!({"old_password": "not it at all", "new_password": "a brand new passphrase"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fields(&body, &["old_password"]);
    for weak in ["short", "123456789012", login.as_str()] {
        let (status, body) = json(
            app.post("/api/auth/password/", &access, &json!({"old_password": PASSWORD, "new_password": weak})).await,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{weak}");
        assert_fields(&body, &["new_password"]);
    }
    let (status, body) = json(app.post("/api/auth/password/", &access, &json!({})).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fields(&body, &["new_password", "old_password"]);
    // Nothing changed: the old password still works.
    assert_eq!(obtain(&app, json!({"email": login, "password": PASSWORD})).await.0, StatusCode::OK);
}

/// Sends `n` failed logins from the test's address (with `forwarded_for` if given); returns the statuses.
async fn failed_logins(app: &TestApp, n: usize, forwarded_for: Option<&str>) -> Vec<StatusCode> {
    let mut statuses = Vec::new();
    for i in 0..n {
        let mut req = app
            .client
            .post(app.url("/api/auth/token/"))
            .json(&json!({"email": format!("nobody{i}@nowhere.test"), "password": "wrong password"}));
        if let Some(ip) = forwarded_for {
            req = req.header("x-forwarded-for", ip);
        }
        statuses.push(req.send().await.unwrap().status());
    }
    statuses
}

#[tokio::test]
async fn login_attempts_from_one_address_are_throttled() {
    let app = TestApp::spawn().await;
    let statuses = failed_logins(&app, 30, None).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::UNAUTHORIZED), "{statuses:?}");
    let (status, body) = obtain(&app, json!({"email": email(Role::Viewer), "password": PASSWORD})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_detail(&body, "throttled");
}

#[tokio::test]
async fn a_forged_forwarded_for_header_does_not_escape_the_login_throttle() {
    let app = TestApp::spawn().await;
    failed_logins(&app, 30, None).await;
    let statuses = failed_logins(&app, 3, Some("203.0.113.7")).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
}
