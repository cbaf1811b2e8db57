//! The patient's survey page /s/{token}/ over HTTP, without JavaScript: Arabic and English,
//! partial answers kept, errors beside the question with nothing completed, refused answers,
//! completion (thank-you page, score, the PX Action of a negative survey), closed links (409,
//! 410, 404 alike for malformed), the guessing limit, the body limit and the private headers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{Duration, Utc};
use common::{TestApp, location};
use px360::domains::complaints::model::px_action;
use px360::domains::organizations::model::patient;
use px360::domains::surveys::delivery::{self, NewSurvey};
use px360::domains::surveys::model::{survey_instance, survey_question, survey_template};
use px360::domains::surveys::rules::{Choice, Question, ShowIf};
use px360::domains::surveys::versions;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use uuid::Uuid;

fn q(code: &str, t: &str, required: bool) -> Question {
    Question {
        code: code.into(),
        text_en: format!("Question {code} in English"),
        text_ar: format!("سؤال {code} بالعربية"),
        question_type: t.into(),
        is_required: required,
        weight: 1.0,
        choices: vec![],
        allow_multiple: false,
        show_if: None,
        is_overall: false,
        counts_for_physician: false,
    }
}

/// overall (rating, required), why (textarea, shown when overall ≤ 2), wait (one choice,
/// optional), recommend (NPS, required).
fn questions() -> Vec<Question> {
    let mut why = q("why", "textarea", false);
    why.show_if = Some(ShowIf { question_code: "overall".into(), op: "lte".into(), value: "2".into() });
    let mut wait = q("wait", "multiple_choice", false);
    wait.choices = vec![
        Choice { value: "short".into(), label_en: "Short".into(), label_ar: "قصير".into(), score: Some(5.0) },
        Choice { value: "long".into(), label_en: "Long".into(), label_ar: "طويل".into(), score: Some(1.0) },
    ];
    vec![q("overall", "rating", true), why, wait, q("recommend", "nps", true)]
}

/// A published template of hospital A.
async fn template(app: &TestApp) -> survey_template::Model {
    let at = Utc::now();
    let t = survey_template::ActiveModel {
        id: Set(Uuid::now_v7()),
        hospital_id: Set(app.hospital_a.id),
        code: Set(format!("t{}", &Uuid::new_v4().simple().to_string()[..8])),
        name_en: Set("Visit survey".into()),
        name_ar: Set("استبيان الزيارة".into()),
        survey_type: Set("general".into()),
        is_active: Set(true),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
        description_en: Set(String::new()),
        description_ar: Set(String::new()),
        scoring_method: Set("average".into()),
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
    for (i, q) in questions().into_iter().enumerate() {
        survey_question::ActiveModel {
            id: Set(Uuid::now_v7()),
            survey_template_id: Set(t.id),
            position: Set(i as i32),
            code: Set(q.code),
            text_en: Set(q.text_en),
            text_ar: Set(q.text_ar),
            question_type: Set(q.question_type),
            is_required: Set(q.is_required),
            weight: Set(q.weight),
            choices: Set(serde_json::to_value(&q.choices).unwrap()),
            allow_multiple: Set(q.allow_multiple),
            show_if: Set(q.show_if.map(|s| serde_json::to_value(s).unwrap())),
            is_overall: Set(q.is_overall),
            counts_for_physician: Set(q.counts_for_physician),
            created_at: Set(at),
            updated_at: Set(at),
        }
        .insert(app.db())
        .await
        .unwrap();
    }
    let txn = app.db().begin().await.unwrap();
    versions::publish(&txn, &t, None).await.unwrap();
    txn.commit().await.unwrap();
    survey_template::Entity::find_by_id(t.id).one(app.db()).await.unwrap().unwrap()
}

async fn patient_row(app: &TestApp, language: &str) -> patient::Model {
    let at = Utc::now();
    patient::ActiveModel {
        id: Set(Uuid::now_v7()),
        hospital_id: Set(app.hospital_a.id),
        mrn: Set(format!("MRN{}", &Uuid::new_v4().simple().to_string()[..8])),
        national_id: Set(String::new()),
        first_name_en: Set("Salem".into()),
        last_name_en: Set("Qahtani".into()),
        first_name_ar: Set("سالم".into()),
        last_name_ar: Set("القحطاني".into()),
        phone: Set("+966500000001".into()),
        email: Set(String::new()),
        gender: Set("male".into()),
        date_of_birth: Set(None),
        nationality: Set("SA".into()),
        preferred_language: Set(language.into()),
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

/// A survey to answer (no invitation sent) and its token.
async fn survey(app: &TestApp, patient: Option<patient::Model>) -> (survey_instance::Model, String) {
    let t = template(app).await;
    let mut new = NewSurvey::new(app.hospital_a.id, t.id, "manual");
    new.deliver = false;
    new.patient = patient;
    new.department_id = Some(app.department_id(app.hospital_a.id, "EMR-001").await);
    let txn = app.db().begin().await.unwrap();
    let created = delivery::create(&app.state, &txn, new).await.unwrap();
    txn.commit().await.unwrap();
    (created.survey, created.token)
}

async fn reload(app: &TestApp, id: Uuid) -> survey_instance::Model {
    survey_instance::Entity::find_by_id(id).one(app.db()).await.unwrap().unwrap()
}

fn random_ip() -> String {
    let b = Uuid::new_v4().into_bytes();
    format!("10.{}.{}.{}", b[0], b[1], b[2].max(1))
}

/// A phone: its own client address (each test its own rate-limit bucket).
struct Phone {
    ip: String,
}

impl Phone {
    fn new() -> Self {
        Phone { ip: random_ip() }
    }
    async fn get(&self, app: &TestApp, path: &str) -> reqwest::Response {
        app.client.get(app.url(path)).header("x-forwarded-for", &self.ip).send().await.unwrap()
    }
    async fn post(&self, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        app.client.post(app.url(path)).header("x-forwarded-for", &self.ip).form(fields).send().await.unwrap()
    }
}

async fn spawn(limit: u32) -> TestApp {
    TestApp::spawn_with(|c| {
        c.trust_forwarded_for = true;
        c.public_rate_limit_per_hour = limit;
    })
    .await
}

#[tokio::test]
async fn the_page_is_arabic_by_default_english_on_request_and_labels_every_input() {
    let app = spawn(20).await;
    let phone = Phone::new();
    let (s, token) = survey(&app, Some(patient_row(&app, "ar").await)).await;
    let path = format!("/s/{token}/");
    let resp = phone.get(&app, &path).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers().get("cache-control").unwrap(), "no-store");
    let html = resp.text().await.unwrap();
    assert!(html.contains("dir=\"rtl\""), "Arabic pages are right-to-left");
    assert!(html.contains("سؤال overall بالعربية") && html.contains("استبيان الزيارة"));
    assert!(html.contains("سالم") && !html.contains("القحطاني"), "the first name only");
    assert!(html.contains("مستشفى Alpha"), "the hospital's name");
    // Every option has a label; radio groups sit in a fieldset with a legend.
    for id in ["a-overall-1", "a-overall-5", "a-recommend-0", "a-recommend-10", "a-wait-0"] {
        assert!(html.contains(&format!("id=\"{id}\"")) && html.contains(&format!("for=\"{id}\"")), "{id}");
    }
    assert!(html.contains("<legend"));
    // The conditional question is in the page, hidden and disabled (not posted without JS).
    let why = html.find("id=\"q-why\"").unwrap();
    let tag_end = why + html[why..].find('>').unwrap();
    let tag = &html[why..tag_end];
    assert!(tag.contains("hidden disabled") && tag.contains("data-show-if-code=\"overall\""), "{tag}");
    assert!(html.contains("action=\"/s/") && html.contains("?lang=ar\""));
    assert_eq!(reload(&app, s.id).await.status, "viewed");

    let html = phone.get(&app, &format!("{path}?lang=en")).await.text().await.unwrap();
    assert!(html.contains("dir=\"ltr\"") && html.contains("Question overall in English"));
    assert!(html.contains("Salem") && html.contains("Alpha Hospital"));
    assert!(html.contains(&format!("action=\"/s/{token}/?lang=en\"")), "the language stays on the form");
    assert!(html.contains("Save and finish later") && html.contains("0 of 3"));
}

#[tokio::test]
async fn links_do_not_leak_through_the_referrer() {
    let app = spawn(20).await;
    let (_, token) = survey(&app, None).await;
    let resp = Phone::new().get(&app, &format!("/s/{token}/")).await;
    assert_eq!(resp.headers().get("referrer-policy").unwrap(), "no-referrer");
    let resp = Phone::new().get(&app, &format!("/s/{}/", "0".repeat(64))).await;
    assert_eq!(resp.headers().get("referrer-policy").unwrap(), "no-referrer");
}

#[tokio::test]
async fn partial_answers_are_kept_and_missing_required_ones_are_named_beside_the_question() {
    let app = spawn(20).await;
    let phone = Phone::new();
    let (s, token) = survey(&app, None).await;
    let path = format!("/s/{token}/");
    let resp = phone.post(&app, &path, &[("lang", "en"), ("overall", "4"), ("finish", "0")]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("Your answers are saved") && html.contains("1 of 3"));
    assert_eq!(reload(&app, s.id).await.status, "in_progress");

    // Coming back: the answer is checked.
    let html = phone.get(&app, &path).await.text().await.unwrap();
    assert!(html.contains("id=\"a-overall-4\" value=\"4\" autocomplete=\"off\" checked"), "kept");

    // Submitting without the NPS answer: 400, the error beside it, in Arabic, nothing completed.
    let resp = phone.post(&app, &path, &[("overall", ""), ("overall", "4"), ("finish", "1")]).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let html = resp.text().await.unwrap();
    let error = html.find("id=\"e-recommend\"").expect("the error beside the question");
    assert!(html[error..].starts_with("id=\"e-recommend\"><i") && html[error..].contains("هذا السؤال يحتاج إلى إجابة"));
    assert!(html.contains("aria-describedby=\"e-recommend\""));
    assert!(!html.contains("id=\"e-overall\""));
    assert!(html.contains("id=\"a-overall-4\" value=\"4\" autocomplete=\"off\" checked"));
    let row = reload(&app, s.id).await;
    assert_eq!(row.status, "in_progress");
    assert!(row.completed_at.is_none());
}

#[tokio::test]
async fn out_of_range_foreign_choices_hidden_and_unknown_questions_are_refused() {
    let app = spawn(20).await;
    let phone = Phone::new();
    let (s, token) = survey(&app, None).await;
    let path = format!("/s/{token}/");
    for (fields, question, message) in [
        (vec![("overall", "9")], "overall", "Please choose one of the options shown."),
        (vec![("recommend", "11")], "recommend", "Please choose one of the options shown."),
        (vec![("wait", "forever")], "wait", "That is not one of this question"),
        (vec![("wait", "short"), ("wait", "long")], "wait", "Please choose only one option."),
        (vec![("overall", "5"), ("why", "rude staff")], "why", "does not apply to your earlier answers"),
    ] {
        let mut form = fields.clone();
        form.push(("lang", "en"));
        form.push(("finish", "1"));
        let resp = phone.post(&app, &path, &form).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{fields:?}");
        let html = resp.text().await.unwrap();
        assert!(html.contains(message), "{fields:?}");
        if question != "why" {
            assert!(html.contains(&format!("id=\"e-{question}\"")), "{fields:?}");
        }
    }
    // A long text answer is refused and kept in its box.
    let long = "x".repeat(2001);
    let resp = phone.post(&app, &path, &[("lang", "en"), ("overall", "1"), ("why", &long), ("finish", "0")]).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let html = resp.text().await.unwrap();
    assert!(html.contains("under 2000 characters") && html.contains(&long));

    let resp = phone.post(&app, &path, &[("lang", "en"), ("nope", "1"), ("finish", "1")]).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.text().await.unwrap().contains("id=\"survey-bad-request\""));
    assert_ne!(reload(&app, s.id).await.status, "completed");
}

#[tokio::test]
async fn completing_shows_thanks_scores_once_and_a_second_submit_is_a_409() {
    let app = spawn(20).await;
    let phone = Phone::new();
    let (s, token) = survey(&app, None).await;
    let path = format!("/s/{token}/");
    let resp =
        phone.post(&app, &path, &[("overall", "5"), ("wait", "short"), ("recommend", "10"), ("finish", "1")]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), format!("{path}thanks/?lang=ar"));
    let resp = phone.get(&app, &location(&resp)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("id=\"survey-thanks\"") && html.contains("شكراً لك"));
    let row = reload(&app, s.id).await;
    assert_eq!(row.status, "completed");
    assert_eq!(row.total_score, Some(5.0));
    assert_eq!(row.score_100, Some(100.0));
    assert!(!row.is_negative && row.action_id.is_none());

    let resp = phone.post(&app, &path, &[("overall", "1"), ("recommend", "0"), ("finish", "1")]).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert!(resp.text().await.unwrap().contains("id=\"survey-answered\""));
    let resp = phone.get(&app, &format!("{path}?lang=en")).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert!(resp.text().await.unwrap().contains("You already answered, thank you"));
    assert_eq!(reload(&app, s.id).await.total_score, Some(5.0), "not scored again");
}

#[tokio::test]
async fn a_low_score_reveals_the_follow_up_question_and_creates_a_px_action() {
    let app = spawn(20).await;
    let phone = Phone::new();
    let (s, token) = survey(&app, None).await;
    let path = format!("/s/{token}/");
    // Without JavaScript: overall=1 reveals "why"; the page comes back with it shown.
    let resp = phone.post(&app, &path, &[("lang", "en"), ("overall", "1"), ("recommend", "2"), ("finish", "1")]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("opened more questions"));
    let why = html.find("id=\"q-why\"").unwrap();
    let tag = &html[why..why + html[why..].find('>').unwrap()];
    assert!(!tag.contains("hidden"), "{tag}");
    assert_ne!(reload(&app, s.id).await.status, "completed");

    let resp = phone.post(&app, &path, &[("why", "Nobody explained the delay."), ("finish", "1")]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let row = reload(&app, s.id).await;
    assert_eq!(row.status, "completed");
    assert!(row.is_negative);
    let action = px_action::Entity::find()
        .filter(px_action::Column::SourceType.eq("survey"))
        .filter(px_action::Column::SourceId.eq(s.id))
        .one(app.db())
        .await
        .unwrap()
        .expect("a PX action for the negative survey");
    assert_eq!(row.action_id, Some(action.id));
}

#[tokio::test]
async fn expired_unknown_and_malformed_links_answer_kindly() {
    let app = spawn(20).await;
    let phone = Phone::new();
    let (s, token) = survey(&app, None).await;
    let mut row: survey_instance::ActiveModel = reload(&app, s.id).await.into();
    row.token_expires_at = Set(Utc::now() - Duration::hours(1));
    row.update(app.db()).await.unwrap();
    let resp = phone.get(&app, &format!("/s/{token}/?lang=en")).await;
    assert_eq!(resp.status(), StatusCode::GONE);
    assert!(resp.text().await.unwrap().contains("This survey has closed"));
    let resp = phone.post(&app, &format!("/s/{token}/"), &[("overall", "5"), ("finish", "1")]).await;
    assert_eq!(resp.status(), StatusCode::GONE);

    let unknown = phone.get(&app, &format!("/s/{}/?lang=en", "ab".repeat(32))).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let unknown = unknown.text().await.unwrap();
    let malformed = phone.get(&app, "/s/not-a-token/?lang=en").await;
    assert_eq!(malformed.status(), StatusCode::NOT_FOUND);
    // The same page for a malformed link (the language switch aside, which points at the URL asked).
    let main = |html: &str| html[html.find("<main").unwrap()..].to_owned();
    assert_eq!(main(&malformed.text().await.unwrap()), main(&unknown), "the same page for a malformed link");
    assert!(unknown.contains("This survey link does not work"));
    let resp = phone.get(&app, &format!("/s/{}/thanks/", "cd".repeat(32))).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn guessing_links_is_rate_limited_per_client_address() {
    let app = spawn(3).await;
    let guesser = Phone::new();
    let (_, token) = survey(&app, None).await;
    for i in 0..3 {
        let resp = guesser.get(&app, &format!("/s/{}/", format!("{i:02}").repeat(32))).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "guess {i}");
    }
    let resp = guesser.post(&app, &format!("/s/{}/", "ef".repeat(32)), &[("overall", "5")]).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.headers().get("retry-after").is_some());
    assert!(resp.text().await.unwrap().contains("id=\"rate-limited\""));
    // Further guesses stay limited, but a real link still opens from that address (a shared
    // hospital Wi-Fi or carrier address must not lock patients out; 256-bit links cannot be guessed).
    let again = guesser.get(&app, &format!("/s/{}/", "ab".repeat(32))).await;
    assert_eq!(again.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(guesser.get(&app, &format!("/s/{token}/")).await.status(), StatusCode::OK);
    // Another address is not limited, and a patient opening their link is never counted.
    let patient = Phone::new();
    for _ in 0..5 {
        assert_eq!(patient.get(&app, &format!("/s/{token}/")).await.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn an_oversized_post_is_refused_with_413() {
    let app = spawn(20).await;
    let (_, token) = survey(&app, None).await;
    let body = format!("why={}", "x".repeat(1024 * 1024 + 10));
    let resp = app
        .client
        .post(app.url(&format!("/s/{token}/")))
        .header("x-forwarded-for", random_ip())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(resp.text().await.unwrap().contains("id=\"survey-too-large\""));
}
