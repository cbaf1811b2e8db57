//! The server-rendered pages: login, language and direction, the department forms, logout.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::{PASSWORD, TestApp, cookie_client, email, hidden_field, location, meta_csrf};
use px360::auth::Role;
use px360::domains::accounts::model::user;
use px360::domains::organizations::model::department;
use reqwest::StatusCode;
use reqwest::cookie::CookieStore;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

/// The department id at the end of a `/organizations/departments/<id>/` location.
fn department_id_in(location: &str) -> Uuid {
    let id = location
        .strip_prefix("/organizations/departments/")
        .and_then(|rest| rest.strip_suffix('/'))
        .unwrap_or_else(|| panic!("not a department page: {location}"));
    id.parse().unwrap_or_else(|_| panic!("not an id: {location}"))
}

async fn department_by_code(app: &TestApp, hospital: Uuid, code: &str) -> Option<department::Model> {
    department::Entity::find()
        .filter(department::Column::HospitalId.eq(hospital))
        .filter(department::Column::Code.eq(code))
        .one(app.db())
        .await
        .unwrap()
}

#[tokio::test]
async fn an_arabic_user_gets_a_right_to_left_home_page_after_logging_in() {
    let app = TestApp::spawn().await;
    let (client, csrf) = app.login_page_session(&email(Role::HospitalAdmin)).await;
    assert_eq!(csrf.len(), 64, "a 256-bit token");
    let resp = client.get(app.url("/")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = resp.text().await.unwrap();
    assert!(html.contains(r#"lang="ar""#) && html.contains(r#"dir="rtl""#), "{html}");
    assert!(html.contains("bootstrap.rtl.min.css"));
    assert!(html.contains("hospital_admin"), "the user's name is shown");
}

#[tokio::test]
async fn the_language_switch_turns_the_pages_left_to_right_and_remembers_the_choice() {
    let app = TestApp::spawn().await;
    let login = email(Role::Viewer);
    let (client, csrf) = app.login_page_session(&login).await;
    let resp = client
        .post(app.url("/i18n/set-language/"))
        .form(&[("csrf_token", csrf.as_str()), ("language", "en"), ("next", "/organizations/departments/")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/organizations/departments/");
    let html = client.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"lang="en""#) && html.contains(r#"dir="ltr""#), "{html}");
    assert!(!html.contains(r#"dir="rtl""#), "{html}");
    let stored = user::Entity::find().filter(user::Column::Email.eq(login)).one(app.db()).await.unwrap().unwrap();
    assert_eq!(stored.language, "en", "the choice is kept on the account");
    // An unknown language is refused and changes nothing.
    let resp = client
        .post(app.url("/i18n/set-language/"))
        .form(&[("csrf_token", csrf.as_str()), ("language", "fr")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let html = client.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"dir="ltr""#));
}

#[tokio::test]
async fn the_login_page_is_arabic_by_default_and_english_on_request() {
    let app = TestApp::spawn().await;
    let html = app.client.get(app.url("/login/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"dir="rtl""#), "{html}");
    let client = cookie_client();
    let html = client.get(app.url("/login/?lang=en")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"dir="ltr""#) && html.contains(r#"lang="en""#), "{html}");
    let html = client.get(app.url("/login/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"dir="ltr""#), "the choice is remembered in a cookie");
}

#[tokio::test]
async fn creating_a_department_through_the_form_redirects_to_its_page() {
    let app = TestApp::spawn().await;
    let (client, csrf) = app.login_page_session(&email(Role::HospitalAdmin)).await;
    let form = client.get(app.url("/organizations/departments/new/")).send().await.unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    let html = form.text().await.unwrap();
    assert_eq!(hidden_field(&html, "csrf_token").as_deref(), Some(csrf.as_str()));
    assert!(!html.contains(r#"name="hospital_id""#), "only a PX admin picks the hospital");

    let resp = client
        .post(app.url("/organizations/departments/new/"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("code", "frm-1"),
            ("name_en", "Form Unit"),
            ("name_ar", "وحدة النموذج"),
            ("phone", "0501234567"),
            ("status", "active"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let to = location(&resp);
    let id = department_id_in(&to);
    let page = client.get(app.url(&to)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("FRM-1") && html.contains("وحدة النموذج"), "{html}");
    let saved = department_by_code(&app, app.hospital_a.id, "FRM-1").await.expect("saved in hospital A");
    assert_eq!(saved.id, id);
    assert_eq!(saved.phone, "+966501234567");
}

#[tokio::test]
async fn a_blank_code_answers_400_with_the_field_error_in_the_form() {
    let app = TestApp::spawn().await;
    let (client, csrf) = app.login_page_session(&email(Role::HospitalAdmin)).await;
    let before = app.departments().await;
    let resp = client
        .post(app.url("/organizations/departments/new/"))
        .form(&[("csrf_token", csrf.as_str()), ("code", "  "), ("name_en", "Kept value"), ("email", "not-an-email")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let html = resp.text().await.unwrap();
    assert!(html.contains(r#"id="error-code""#), "{html}");
    assert!(html.contains("This field may not be blank."), "{html}");
    assert!(html.contains(r#"id="error-email""#) && html.contains("Enter a valid email address."), "{html}");
    assert!(html.contains(r#"value="Kept value""#), "entered values are kept");
    assert_eq!(app.departments().await, before, "nothing written");
}

#[tokio::test]
async fn editing_and_deleting_a_department_through_the_forms() {
    let app = TestApp::spawn().await;
    let (client, csrf) = app.login_page_session(&email(Role::HospitalAdmin)).await;
    let id = app.department_id(app.hospital_a.id, "DIA-004").await;
    let form = client.get(app.url(&format!("/organizations/departments/{id}/edit/"))).send().await.unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    assert!(form.text().await.unwrap().contains(r#"value="DIA-004""#));
    let resp = client
        .post(app.url(&format!("/organizations/departments/{id}/edit/")))
        .form(&[("csrf_token", csrf.as_str()), ("code", "DIA-004"), ("name_en", "Labs"), ("location", "Basement")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), format!("/organizations/departments/{id}/"));
    let saved = department::Entity::find_by_id(id).one(app.db()).await.unwrap().unwrap();
    assert_eq!((saved.name_en.as_str(), saved.location.as_str()), ("Labs", "Basement"));

    let resp = client
        .post(app.url(&format!("/organizations/departments/{id}/delete/")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/organizations/departments/");
    let gone = client.get(app.url(&format!("/organizations/departments/{id}/"))).send().await.unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert!(department::Entity::find_by_id(id).one(app.db()).await.unwrap().unwrap().deleted_at.is_some());
}

#[tokio::test]
async fn another_hospitals_department_page_is_not_found() {
    let app = TestApp::spawn().await;
    let (client, _) = app.login_page_session(&email(Role::HospitalAdmin)).await;
    let foreign = app.department_id(app.hospital_b.id, "EMR-001").await;
    for page in
        [format!("/organizations/departments/{foreign}/"), format!("/organizations/departments/{foreign}/edit/")]
    {
        let resp = client.get(app.url(&page)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{page}");
        let html = resp.text().await.unwrap();
        assert!(!html.contains("Emergency"), "nothing of the row leaks: {page}");
    }
}

#[tokio::test]
async fn a_px_admin_creates_a_department_in_the_hospital_they_switched_to() {
    let app = TestApp::spawn().await;
    let (client, csrf) = app.login_page_session(&email(Role::PxAdmin)).await;
    let hospital_b = app.hospital_b.id.to_string();
    let resp = client
        .post(app.url("/switch-hospital/"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("hospital_id", hospital_b.as_str()),
            ("next", "/organizations/departments/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let form = client.get(app.url("/organizations/departments/new/")).send().await.unwrap().text().await.unwrap();
    assert!(
        form.contains(&format!(r#"<option value="{hospital_b}" selected>"#)),
        "the switched hospital is preselected"
    );
    let resp = client
        .post(app.url("/organizations/departments/new/"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("hospital_id", hospital_b.as_str()),
            ("code", "PXA-1"),
            ("name_en", "Made by PX"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(department_by_code(&app, app.hospital_b.id, "PXA-1").await.is_some());
    // The list now shows hospital B only.
    let list = client.get(app.url("/organizations/departments/")).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("PXA-1"));
    let a_only = app.department_id(app.hospital_a.id, "EMR-001").await;
    assert!(!list.contains(&a_only.to_string()), "hospital A's rows are not listed while B is selected");
}

#[tokio::test]
async fn a_wrong_password_on_the_login_form_answers_401_with_an_error_and_no_session() {
    let app = TestApp::spawn().await;
    let client = cookie_client();
    let html = client.get(app.url("/login/")).send().await.unwrap().text().await.unwrap();
    let csrf = hidden_field(&html, "csrf_token").unwrap();
    let login = email(Role::Viewer);
    let resp = client
        .post(app.url("/login/"))
        .form(&[("email", login.as_str()), ("password", "not the password"), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let html = resp.text().await.unwrap();
    assert!(html.contains(r#"id="login-error""#), "{html}");
    assert!(html.contains(&format!(r#"value="{login}""#)), "the email is kept");
    let resp = client.get(app.url("/")).send().await.unwrap();
    assert!(location(&resp).starts_with("/login/"));
}

#[tokio::test]
async fn login_follows_a_local_next_and_ignores_an_offsite_one() {
    let app = TestApp::spawn().await;
    for (next, want) in [
        ("/organizations/departments/", "/organizations/departments/"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
    ] {
        let client = cookie_client();
        let html = client.get(app.url("/login/")).send().await.unwrap().text().await.unwrap();
        let csrf = hidden_field(&html, "csrf_token").unwrap();
        let login = email(Role::Nurse);
        let resp = client
            .post(app.url("/login/"))
            .form(&[("email", login.as_str()), ("password", PASSWORD), ("csrf_token", csrf.as_str()), ("next", next)])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(location(&resp), want, "{next}");
    }
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_lax() {
    let app = TestApp::spawn().await;
    let client = cookie_client();
    let html = client.get(app.url("/login/")).send().await.unwrap().text().await.unwrap();
    let csrf = hidden_field(&html, "csrf_token").unwrap();
    let login = email(Role::Nurse);
    let resp = client
        .post(app.url("/login/"))
        .form(&[("email", login.as_str()), ("password", PASSWORD), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    let cookie = resp.cookies().find(|c| c.name() == "px360_session").expect("a session cookie");
    assert!(cookie.http_only() && cookie.same_site_lax(), "HttpOnly; SameSite=Lax");
    assert_eq!(cookie.path(), Some("/"));
    assert!(cookie.value().len() >= 43, "a long random token");
}

#[tokio::test]
async fn logout_ends_the_session_on_the_server() {
    let app = TestApp::spawn().await;
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let client = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let html = client.get(app.url("/login/")).send().await.unwrap().text().await.unwrap();
    let login_csrf = hidden_field(&html, "csrf_token").unwrap();
    let login = email(Role::Staff);
    let resp = client
        .post(app.url("/login/"))
        .form(&[("email", login.as_str()), ("password", PASSWORD), ("csrf_token", login_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let home_url: reqwest::Url = app.url("/").parse().unwrap();
    let cookies = jar.cookies(&home_url).expect("session cookie").to_str().unwrap().to_owned();
    let home = client.get(app.url("/")).send().await.unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    let csrf = meta_csrf(&home.text().await.unwrap()).unwrap();

    let resp = client.post(app.url("/logout/")).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/login/");
    let resp = client.get(app.url("/")).send().await.unwrap();
    assert!(location(&resp).starts_with("/login/"), "the browser's cookie is cleared");
    // Replaying the old cookie does not bring the session back.
    let resp = app.client.get(app.url("/")).header("cookie", cookies).send().await.unwrap();
    assert!(resp.status().is_redirection());
    assert!(location(&resp).starts_with("/login/"), "the session is gone on the server");
}

#[tokio::test]
async fn pages_carry_the_security_headers() {
    let app = TestApp::spawn().await;
    let (client, _) = app.login_page_session(&email(Role::Viewer)).await;
    for page in ["/", "/login/", "/organizations/departments/"] {
        let resp = client.get(app.url(page)).send().await.unwrap();
        let h = resp.headers();
        let csp = h.get("content-security-policy").unwrap().to_str().unwrap();
        assert!(csp.contains("default-src 'self'") && !csp.contains("unsafe-inline"), "{page}: {csp}");
        assert_eq!(h.get("x-frame-options").unwrap(), "DENY", "{page}");
        assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff", "{page}");
        assert!(h.get("x-request-id").is_some(), "{page}");
    }
}

#[tokio::test]
async fn the_password_page_changes_the_password() {
    let app = TestApp::spawn().await;
    let login = email(Role::Nurse);
    let (client, csrf) = app.login_page_session(&login).await;
    let new = "another long passphrase 3";
    let resp = client
        .post(app.url("/account/password/"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("old_password", PASSWORD),
            ("new_password", new),
            ("new_password2", "typo"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "the confirmation must match");
    let resp = client
        .post(app.url("/account/password/"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("old_password", PASSWORD),
            ("new_password", new),
            ("new_password2", new),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app
        .client
        .post(app.url("/api/auth/token/"))
        .json(&serde_json::json!({"email": login, "password": new}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "the new password works");
}

#[tokio::test]
async fn a_password_change_ends_the_users_other_sessions() {
    let app = TestApp::spawn().await;
    let login = email(Role::Nurse);
    let (elsewhere, _) = app.login_page_session(&login).await;
    let (here, _) = app.login_page_session(&login).await;
    // Through the API: every page session of the user ends.
    let token = app.token(&login).await;
    let new = "another long passphrase 3";
    let resp = app
        .post("/api/auth/password/", &token, &serde_json::json!({"old_password": PASSWORD, "new_password": new}))
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = elsewhere.get(app.url("/")).send().await.unwrap();
    assert!(location(&resp).starts_with("/login/"), "a session from before the change is ended: {}", resp.status());
    let resp = here.get(app.url("/")).send().await.unwrap();
    assert!(location(&resp).starts_with("/login/"), "{}", resp.status());

    // Through the password page: the other sessions end, the one used stays.
    let (other, _) = login_with(&app, &login, new).await;
    let (current, csrf) = login_with(&app, &login, new).await;
    let newer = "yet another passphrase 4";
    let resp = current
        .post(app.url("/account/password/"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("old_password", new),
            ("new_password", newer),
            ("new_password2", newer),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = other.get(app.url("/")).send().await.unwrap();
    assert!(location(&resp).starts_with("/login/"), "the other session is ended: {}", resp.status());
    let resp = current.get(app.url("/")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "the session that changed the password stays");
}

/// Logs in through the form with `password`; returns the client and the session's CSRF token.
async fn login_with(app: &TestApp, login: &str, password: &str) -> (reqwest::Client, String) {
    let client = cookie_client();
    let html = client.get(app.url("/login/")).send().await.unwrap().text().await.unwrap();
    let csrf = hidden_field(&html, "csrf_token").unwrap();
    let resp = client
        .post(app.url("/login/"))
        .form(&[("email", login), ("password", password), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let home = client.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    let csrf = meta_csrf(&home).unwrap();
    (client, csrf)
}
