//! The staff survey pages: the list with its filters, a survey's detail with the contact form,
//! the send form and a template's results, in English and in Arabic (right to left).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Utc;
use common::{TestApp, hidden_field};
use px360::auth::Role;
use px360::domains::organizations::model::patient;
use px360::domains::surveys::model::{
    survey_contact, survey_instance, survey_question, survey_response, survey_template,
};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

async fn add_patient(app: &TestApp, hospital: Uuid, mrn: &str, phone: &str) -> patient::Model {
    let at = Utc::now();
    patient::ActiveModel {
        id: Set(Uuid::now_v7()),
        hospital_id: Set(hospital),
        mrn: Set(mrn.into()),
        national_id: Set(String::new()),
        first_name_en: Set("Sara".into()),
        last_name_en: Set("Ali".into()),
        first_name_ar: Set("سارة".into()),
        last_name_ar: Set("علي".into()),
        phone: Set(phone.into()),
        email: Set(String::new()),
        gender: Set("female".into()),
        date_of_birth: Set(None),
        nationality: Set("SA".into()),
        preferred_language: Set("ar".into()),
        preferred_channel: Set("sms".into()),
        is_deceased: Set(false),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
    }
    .insert(app.db())
    .await
    .unwrap()
}

/// A template with `questions` (code, type), published unless `publish` is false.
async fn add_template(
    app: &TestApp,
    hospital: Uuid,
    code: &str,
    method: &str,
    questions: &[(&str, &str)],
    publish: bool,
) -> survey_template::Model {
    let at = Utc::now();
    let t = survey_template::ActiveModel {
        id: Set(Uuid::now_v7()),
        hospital_id: Set(hospital),
        code: Set(code.into()),
        name_en: Set(format!("{code} survey")),
        name_ar: Set(format!("استبيان {code}")),
        survey_type: Set("general".into()),
        is_active: Set(true),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
        description_en: Set(String::new()),
        description_ar: Set(String::new()),
        scoring_method: Set(method.into()),
        negative_threshold: Set(None),
        link_valid_days: Set(7),
        throttle_exempt: Set(false),
        reminder_max: Set(2),
        reminder_interval_hours: Set(48),
        current_version: Set(0),
        has_draft_changes: Set(true),
    }
    .insert(app.db())
    .await
    .unwrap();
    for (i, (qcode, qtype)) in questions.iter().enumerate() {
        survey_question::ActiveModel {
            id: Set(Uuid::now_v7()),
            survey_template_id: Set(t.id),
            position: Set(i as i32 + 1),
            code: Set((*qcode).into()),
            text_en: Set(format!("{qcode} question")),
            text_ar: Set(format!("سؤال {qcode}")),
            question_type: Set((*qtype).into()),
            is_required: Set(false),
            weight: Set(1.0),
            choices: Set(json!([])),
            allow_multiple: Set(false),
            show_if: Set(None),
            is_overall: Set(false),
            counts_for_physician: Set(false),
            created_at: Set(at),
            updated_at: Set(at),
        }
        .insert(app.db())
        .await
        .unwrap();
    }
    if publish {
        let txn = app.db().begin().await.unwrap();
        px360::domains::surveys::versions::publish(&txn, &t, None).await.unwrap();
        txn.commit().await.unwrap();
    }
    survey_template::Entity::find_by_id(t.id).one(app.db()).await.unwrap().unwrap()
}

/// A survey row written directly (`status`), with answers (code, number or text).
#[allow(clippy::too_many_arguments)]
async fn add_survey(
    app: &TestApp,
    t: &survey_template::Model,
    patient: Option<Uuid>,
    department: Option<Uuid>,
    status: &str,
    total: Option<f64>,
    negative: bool,
    answers: &[(&str, Value)],
) -> Uuid {
    let at = Utc::now();
    let version = px360::domains::surveys::versions::current(app.db(), t.id).await.unwrap().map(|v| v.id);
    let sent = !matches!(status, "scheduled" | "suppressed" | "undeliverable" | "pending");
    let s = survey_instance::ActiveModel {
        id: Set(Uuid::now_v7()),
        hospital_id: Set(t.hospital_id),
        survey_template_id: Set(t.id),
        template_version_id: Set(version),
        patient_id: Set(patient),
        journey_instance_id: Set(None),
        stage_instance_id: Set(None),
        complaint_id: Set(None),
        department_id: Set(department),
        physician_id: Set(None),
        parent_id: Set(None),
        source: Set("journey".into()),
        status: Set(status.into()),
        suppression_reason: Set(String::new()),
        channel: Set("sms".into()),
        language: Set("ar".into()),
        token_hash: Set(format!("{:064x}", Uuid::now_v7().as_u128())),
        token_expires_at: Set(at + chrono::Duration::days(7)),
        scheduled_for: Set(at),
        message_id: Set(None),
        sent_at: Set(sent.then_some(at)),
        opened_at: Set(None),
        started_at: Set(None),
        completed_at: Set((status == "completed").then_some(at)),
        last_activity_at: Set(None),
        reminder_count: Set(0),
        last_reminder_at: Set(None),
        total_score: Set(total),
        score_100: Set(total.map(|x| x * 10.0)),
        is_negative: Set(negative),
        action_id: Set(None),
        created_by: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(app.db())
    .await
    .unwrap();
    for (code, v) in answers {
        survey_response::ActiveModel {
            id: Set(Uuid::now_v7()),
            survey_instance_id: Set(s.id),
            question_code: Set((*code).into()),
            value_number: Set(v.as_f64()),
            value_text: Set(v.as_str().unwrap_or_default().into()),
            value_choices: Set(None),
            score: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
        }
        .insert(app.db())
        .await
        .unwrap();
    }
    s.id
}

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
