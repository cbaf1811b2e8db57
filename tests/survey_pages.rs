//! The staff survey pages: the list with its filters, a survey's detail with the contact form,
//! the send form and a template's results, in English and in Arabic (right to left).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::surveys::{add_patient, add_survey, add_template};
use common::{TestApp, hidden_field};
use px360::auth::Role;
use px360::domains::surveys::model::{survey_contact, survey_instance};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

async fn page(client: &reqwest::Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let resp = client.get(app.url(path)).send().await.unwrap();
    let status = resp.status();
    (status, resp.text().await.unwrap())
}

async fn to_english(client: &reqwest::Client, app: &TestApp, csrf: &str) {
    let resp = client
        .post(app.url("/i18n/set-language/"))
        .form(&[("csrf_token", csrf), ("language", "en"), ("next", "/surveys/")])
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_redirection(), "{}", resp.status());
}

#[tokio::test]
async fn list_detail_and_results_render_in_both_languages() {
    let app = TestApp::spawn().await;
    px360::seed::reference::seed_notification_templates(app.db(), false).await.unwrap();
    let a = app.hospital_a.id;
    let t = add_template(
        &app,
        a,
        "opd",
        "average",
        &[("overall", "rating"), ("recommend", "nps"), ("comment", "text")],
        true,
    )
    .await;
    let p = add_patient(&app, a, "MRN-4242", "+966501234567").await;
    let q = add_patient(&app, a, "MRN-5353", "+966501234568").await;
    let bad = add_survey(
        &app,
        &t,
        Some(p.id),
        None,
        "completed",
        Some(1.0),
        true,
        &[("overall", json!(1)), ("recommend", json!(3)), ("comment", json!("Too long a wait"))],
    )
    .await;
    let good = add_survey(
        &app,
        &t,
        Some(q.id),
        None,
        "completed",
        Some(5.0),
        false,
        &[("overall", json!(5)), ("recommend", json!(10))],
    )
    .await;

    let (client, csrf) = app.login_page_session(&common::email(Role::PxCoordinator)).await;
    // Arabic first (the users' language).
    let (status, html) = page(&client, &app, "/surveys/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("dir=\"rtl\""));
    assert!(html.contains("الاستبيانات"));
    assert!(html.contains(&bad.to_string()) && html.contains(&good.to_string()));
    assert!(html.contains("negative-marker"));
    // Filters apply (GET form, no JavaScript needed).
    let (_, html) = page(&client, &app, "/surveys/?negative=true").await;
    assert!(html.contains(&bad.to_string()) && !html.contains(&good.to_string()));
    let (_, html) = page(&client, &app, "/surveys/?search=5353").await;
    assert!(!html.contains(&bad.to_string()) && html.contains(&good.to_string()));
    let (status, html) = page(&client, &app, "/surveys/?status=nonsense").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("alert-danger"));

    let (status, html) = page(&client, &app, &format!("/surveys/{bad}/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("سؤال overall") && html.contains("Too long a wait"), "answers in the reader's language");
    assert!(
        html.contains("id=\"negative-badge\"")
            && html.contains("id=\"follow-up-form\"")
            && html.contains("id=\"contact-form\"")
    );
    let (status, html) = page(&client, &app, &format!("/surveys/templates/{}/results/", t.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("dir=\"rtl\"") && html.contains("data-survey-chart") && html.contains("survey-results.js"));
    assert!(html.contains("id=\"kpi-nps\""));
    assert!(!html.contains("<script>"), "no inline scripts");

    to_english(&client, &app, &csrf).await;
    let (_, html) = page(&client, &app, "/surveys/").await;
    assert!(html.contains("dir=\"ltr\"") && html.contains("Surveys"));
    let (_, html) = page(&client, &app, &format!("/surveys/{bad}/")).await;
    assert!(html.contains("overall question"));
    let (_, html) = page(&client, &app, &format!("/surveys/templates/{}/results/", t.id)).await;
    assert!(html.contains("Response rate") && html.contains("Score distribution"));
    // NPS over 3 and 10: one detractor, one promoter.
    assert!(html.contains("id=\"kpi-nps\" dir=\"ltr\">0<"), "{}", &html[html.find("kpi-nps").unwrap()..][..60]);

    // Another hospital's survey is not found; a physician may not see surveys.
    let (b_client, _) = app.login_page_session(common::ADMIN_B).await;
    assert_eq!(page(&b_client, &app, &format!("/surveys/{bad}/")).await.0, StatusCode::NOT_FOUND);
    let (doc, _) = app.login_page_session(&common::email(Role::Physician)).await;
    assert_eq!(page(&doc, &app, "/surveys/").await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn contact_form_cancel_and_send_form() {
    let app = TestApp::spawn().await;
    px360::seed::reference::seed_notification_templates(app.db(), false).await.unwrap();
    let a = app.hospital_a.id;
    let t = add_template(&app, a, "opd", "average", &[("overall", "rating")], true).await;
    let p = add_patient(&app, a, "MRN-1", "+966501234561").await;
    add_patient(&app, a, "MRN-2", "+966501234562").await;
    let bad = add_survey(&app, &t, Some(p.id), None, "completed", Some(1.0), true, &[("overall", json!(1))]).await;
    let (client, csrf) = app.login_page_session(&common::email(Role::PxCoordinator)).await;

    // Log a contact; a refused one (no outcome) comes back with a flash.
    let url = app.url(&format!("/surveys/{bad}/contacts/"));
    let resp = client
        .post(&url)
        .form(&[("csrf_token", csrf.as_str()), ("outcome", "reached"), ("note", "Called, apologised")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(common::location(&resp).ends_with("flash=contact_added"));
    let resp = client.post(&url).form(&[("csrf_token", csrf.as_str()), ("outcome", "")]).send().await.unwrap();
    assert!(common::location(&resp).ends_with("flash=contact_invalid"));
    let resp = client.post(&url).form(&[("outcome", "reached")]).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "no CSRF token");
    let logged = survey_contact::Entity::find()
        .filter(survey_contact::Column::SurveyInstanceId.eq(bad))
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(logged.len(), 1);
    let (_, html) = page(&client, &app, &format!("/surveys/{bad}/?flash=contact_added")).await;
    assert!(html.contains("Called, apologised") && html.contains("id=\"flash\""));

    // Cancelling a completed survey is refused.
    let resp = client
        .post(app.url(&format!("/surveys/{bad}/cancel/")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(common::location(&resp).ends_with("flash=cancel_refused"));

    // The send form: one row per MRN.
    let (status, html) = page(&client, &app, "/surveys/send/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&t.id.to_string()));
    assert!(hidden_field(&html, "csrf_token").is_some());
    let resp = client
        .post(app.url("/surveys/send/"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("survey_template_id", &t.id.to_string()),
            ("mrns", "MRN-2\nMRN-404\nMRN-2\n"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("data-outcome=\"created\"") && html.contains("data-outcome=\"error\""), "{html}");
    assert_eq!(html.matches("data-outcome=").count(), 2, "duplicates sent once");
    let sent = survey_instance::Entity::find()
        .filter(survey_instance::Column::Source.eq("manual"))
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(sent.len(), 1);
    let resp = client
        .post(app.url("/surveys/send/"))
        .form(&[("csrf_token", csrf.as_str()), ("survey_template_id", ""), ("mrns", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    // A nurse reads their department's surveys but cannot send or export.
    let (nurse, _) = app.login_page_session(&common::email(Role::Nurse)).await;
    assert_eq!(page(&nurse, &app, "/surveys/send/").await.0, StatusCode::FORBIDDEN);
    assert_eq!(page(&nurse, &app, "/surveys/export.csv").await.0, StatusCode::FORBIDDEN);
    assert_eq!(page(&nurse, &app, &format!("/surveys/{bad}/")).await.0, StatusCode::NOT_FOUND, "not their department");
    let ward = app.user(Role::Nurse).department_id.expect("the test nurse has a department");
    survey_instance::Entity::update_many()
        .col_expr(survey_instance::Column::DepartmentId, sea_orm::sea_query::Expr::value(Some(ward)))
        .filter(survey_instance::Column::Id.eq(bad))
        .exec(app.db())
        .await
        .unwrap();
    let (status, html) = page(&nurse, &app, &format!("/surveys/{bad}/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("id=\"contact-form\""));
}
