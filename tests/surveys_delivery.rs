//! Surveys from creation to the closed loop, on the real database: a journey stage or a closed
//! complaint creates one survey; the invitation goes out on the patient's channel with fallback
//! and under the contact rules; the survey follows its message; reminders carry fresh links at
//! the right times; links expire; answering completes once, scores by the pinned version, and a
//! negative survey opens one PX Action and tells the department manager.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use common::{TestApp, email, json};
use px360::auth::Role;
use px360::domains::complaints::model::{complaint, complaint_category, px_action};
use px360::domains::notifications::model::message;
use px360::domains::organizations::model::{department, hospital, patient};
use px360::domains::surveys::delivery::{self, NewSurvey};
use px360::domains::surveys::model::{survey_instance, survey_question, survey_response, survey_template};
use px360::domains::surveys::respond::{self, Closed, Submitted};
use px360::domains::surveys::rules::{Choice, Question, ShowIf};
use px360::domains::surveys::versions;
use px360::jobs::Queue;
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

fn q(code: &str, t: &str) -> Question {
    Question {
        code: code.into(),
        text_en: format!("How was the {code}?"),
        text_ar: format!("كيف كان {code}؟"),
        question_type: t.into(),
        is_required: true,
        weight: 1.0,
        choices: vec![],
        allow_multiple: false,
        show_if: None,
        is_overall: false,
        counts_for_physician: false,
    }
}

/// Overall (rating), doctor (rating), a "what went wrong" text shown when overall ≤ 2, and NPS.
fn questions() -> Vec<Question> {
    let mut overall = q("overall", "rating");
    overall.is_overall = true;
    let mut why = q("why", "textarea");
    why.is_required = false;
    why.show_if = Some(ShowIf { question_code: "overall".into(), op: "lte".into(), value: "2".into() });
    let mut wait = q("wait", "multiple_choice");
    wait.is_required = false;
    wait.choices = vec![
        Choice { value: "short".into(), label_en: "Short".into(), label_ar: "قصير".into(), score: Some(5.0) },
        Choice { value: "long".into(), label_en: "Long".into(), label_ar: "طويل".into(), score: Some(1.0) },
    ];
    vec![overall, q("doctor", "rating"), why, wait, q("recommend", "nps")]
}

/// A published template of hospital A.
async fn template(app: &TestApp, code: &str, survey_type: &str, questions: Vec<Question>) -> survey_template::Model {
    let at = Utc::now();
    let t = survey_template::ActiveModel {
        id: Set(Uuid::now_v7()),
        hospital_id: Set(app.hospital_a.id),
        code: Set(code.into()),
        name_en: Set(format!("{code} survey")),
        name_ar: Set(format!("استبيان {code}")),
        survey_type: Set(survey_type.into()),
        is_active: Set(true),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
        description_en: Set(String::new()),
        description_ar: Set(String::new()),
        scoring_method: Set("average".into()),
        negative_threshold: Set(None),
        link_valid_days: Set(7),
        throttle_exempt: Set(survey_type == "complaint_resolution"),
        reminder_max: Set(2),
        reminder_interval_hours: Set(48),
        current_version: Set(0),
        has_draft_changes: Set(true),
    }
    .insert(app.db())
    .await
    .unwrap();
    for (i, q) in questions.into_iter().enumerate() {
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
    publish(app, t.id).await;
    survey_template::Entity::find_by_id(t.id).one(app.db()).await.unwrap().unwrap()
}

async fn publish(app: &TestApp, id: Uuid) {
    let t = survey_template::Entity::find_by_id(id).one(app.db()).await.unwrap().unwrap();
    let txn = app.db().begin().await.unwrap();
    versions::publish(&txn, &t, None).await.unwrap();
    txn.commit().await.unwrap();
}

async fn patient(app: &TestApp, mrn: &str, phone: &str, mail: &str, channel: &str) -> patient::Model {
    let at = Utc::now();
    patient::ActiveModel {
        id: Set(Uuid::now_v7()),
        hospital_id: Set(app.hospital_a.id),
        mrn: Set(mrn.into()),
        national_id: Set(String::new()),
        first_name_en: Set("Salem".into()),
        last_name_en: Set("Qahtani".into()),
        first_name_ar: Set("سالم".into()),
        last_name_ar: Set("القحطاني".into()),
        phone: Set(phone.into()),
        email: Set(mail.into()),
        gender: Set("male".into()),
        date_of_birth: Set(None),
        nationality: Set("SA".into()),
        preferred_language: Set("ar".into()),
        preferred_channel: Set(channel.into()),
        is_deceased: Set(false),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
    }
    .insert(app.db())
    .await
    .unwrap()
}

/// An app whose hospital A has the notification templates, no quiet hours and the given cap.
async fn app_with_cap(days: i32) -> TestApp {
    let app = TestApp::spawn().await;
    px360::seed::reference::seed_notification_templates(app.db(), false).await.unwrap();
    hospital::Entity::update_many()
        .col_expr(hospital::Column::QuietHoursStart, Expr::value(0))
        .col_expr(hospital::Column::QuietHoursEnd, Expr::value(0))
        .col_expr(hospital::Column::SurveyThrottleDays, Expr::value(days))
        .exec(app.db())
        .await
        .unwrap();
    app
}

async fn send(app: &TestApp, t: &survey_template::Model, p: &patient::Model, dept: Option<Uuid>) -> delivery::Created {
    let txn = app.db().begin().await.unwrap();
    let mut new = NewSurvey::new(app.hospital_a.id, t.id, "manual");
    new.patient = Some(p.clone());
    new.department_id = dept;
    let created = delivery::create(&app.state, &txn, new).await.unwrap();
    txn.commit().await.unwrap();
    created
}

async fn deliver_all(app: &TestApp) {
    while px360::jobs::worker::process_batch(&app.state, Queue::Notifications, "test", 32).await.unwrap() > 0 {}
}

async fn survey(app: &TestApp, id: Uuid) -> survey_instance::Model {
    survey_instance::Entity::find_by_id(id).one(app.db()).await.unwrap().unwrap()
}

async fn msg(app: &TestApp, id: Uuid) -> message::Model {
    message::Entity::find_by_id(id).one(app.db()).await.unwrap().unwrap()
}

fn post(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in pairs {
        out.entry((*k).to_owned()).or_default().push((*v).to_owned());
    }
    out
}

#[tokio::test]
async fn the_invitation_goes_to_the_preferred_channel_falls_back_and_respects_consent() {
    let app = app_with_cap(0).await;
    let t = template(&app, "opd", "stage", questions()).await;
    struct Case {
        name: &'static str,
        phone: &'static str,
        mail: &'static str,
        channel: &'static str,
        status: &'static str,
        sent_on: &'static str,
        reason: &'static str,
    }
    let cases = [
        Case {
            name: "sms",
            phone: "0501234567",
            mail: "",
            channel: "sms",
            status: "scheduled",
            sent_on: "sms",
            reason: "",
        },
        Case {
            name: "whatsapp when chosen",
            phone: "0501234568",
            mail: "",
            channel: "whatsapp",
            status: "scheduled",
            sent_on: "whatsapp",
            reason: "",
        },
        Case {
            name: "no phone: e-mail",
            phone: "",
            mail: "salem@example.org",
            channel: "sms",
            status: "scheduled",
            sent_on: "email",
            reason: "",
        },
        Case {
            name: "e-mail preferred but missing: sms",
            phone: "0501234569",
            mail: "",
            channel: "email",
            status: "scheduled",
            sent_on: "sms",
            reason: "",
        },
        Case {
            name: "an unusable phone: e-mail",
            phone: "12",
            mail: "s2@example.org",
            channel: "sms",
            status: "scheduled",
            sent_on: "email",
            reason: "",
        },
        Case {
            name: "nothing to reach",
            phone: "",
            mail: "",
            channel: "sms",
            status: "suppressed",
            sent_on: "",
            reason: "no_contact",
        },
    ];
    for (i, c) in cases.iter().enumerate() {
        let p = patient(&app, &format!("MRN-C{i}"), c.phone, c.mail, c.channel).await;
        let created = send(&app, &t, &p, None).await;
        let s = created.survey;
        assert_eq!(
            (s.status.as_str(), s.channel.as_str()),
            (c.status, c.sent_on),
            "{}: {}",
            c.name,
            s.suppression_reason
        );
        assert!(s.suppression_reason.starts_with(c.reason), "{}: {}", c.name, s.suppression_reason);
        assert_eq!(s.token_hash, px360::auth::tokens::hash_token(&created.token), "only the hash is stored");
        assert_eq!(created.token.len(), 64, "256-bit token");
        assert!(s.template_version_id.is_some(), "pinned to the published version");
        if c.status == "scheduled" {
            let m = msg(&app, s.message_id.unwrap()).await;
            assert_eq!((m.category.as_str(), m.template_code.as_str()), ("survey", "survey_invitation"));
            assert!(m.body.contains(&format!("/s/{}/", created.token)), "{}: {}", c.name, m.body);
            assert_eq!(m.language, "ar");
        }
    }

    // After STOP on SMS, nothing goes out on any channel: no fallback to e-mail.
    let p = patient(&app, "MRN-STOP", "0507654321", "stop@example.org", "sms").await;
    px360::domains::notifications::service::inbound(&app.state, "sms", "+966507654321", "إيقاف").await.unwrap();
    let s = send(&app, &t, &p, None).await.survey;
    assert_eq!(s.status, "suppressed");
    assert!(s.suppression_reason.starts_with("opted_out"), "{}", s.suppression_reason);
    assert!(s.message_id.is_none(), "no message to anyone");

    // A deceased patient is not surveyed.
    let mut dead = patient(&app, "MRN-D", "0501111111", "", "sms").await;
    dead = patient::ActiveModel { is_deceased: Set(true), ..dead.into() }.update(app.db()).await.unwrap();
    let s = send(&app, &t, &dead, None).await.survey;
    assert_eq!(s.status, "suppressed");
    assert!(s.suppression_reason.starts_with("ineligible"), "{}", s.suppression_reason);

    // A template never published sends no link that would only say "unavailable".
    let draft = template(&app, "draft", "stage", questions()).await;
    use px360::domains::surveys::model::survey_template_version;
    survey_template_version::Entity::delete_many()
        .filter(survey_template_version::Column::SurveyTemplateId.eq(draft.id))
        .exec(app.db())
        .await
        .unwrap();
    let p = patient(&app, "MRN-U", "0503333333", "", "sms").await;
    let s = send(&app, &draft, &p, None).await.survey;
    assert_eq!(s.status, "suppressed");
    assert!(s.suppression_reason.contains("no published version"), "{}", s.suppression_reason);

    // An inactive template sends nothing.
    survey_template::Entity::update_many()
        .col_expr(survey_template::Column::IsActive, Expr::value(false))
        .filter(survey_template::Column::Id.eq(t.id))
        .exec(app.db())
        .await
        .unwrap();
    let p = patient(&app, "MRN-I", "0502222222", "", "sms").await;
    let s = send(&app, &t, &p, None).await.survey;
    assert!(s.suppression_reason.starts_with("ineligible"), "{}", s.suppression_reason);
}

#[tokio::test]
async fn the_frequency_cap_throttles_a_second_invitation_but_not_an_exempt_survey() {
    let app = app_with_cap(30).await;
    let t = template(&app, "opd", "stage", questions()).await;
    let resolution = template(&app, "res", "complaint_resolution", questions()).await;
    let p = patient(&app, "MRN-F", "0501234567", "", "sms").await;
    let first = send(&app, &t, &p, None).await.survey;
    assert_eq!(first.status, "scheduled");
    deliver_all(&app).await;
    let second = send(&app, &t, &p, None).await.survey;
    assert_eq!(second.status, "suppressed");
    assert!(second.suppression_reason.starts_with("throttled"), "{}", second.suppression_reason);
    // A throttle-exempt template goes out, outside the cap.
    let exempt = send(&app, &resolution, &p, None).await.survey;
    assert_eq!(exempt.status, "scheduled", "{}", exempt.suppression_reason);
    assert_eq!(msg(&app, exempt.message_id.unwrap()).await.category, "survey_exempt");
}

#[tokio::test]
async fn the_survey_follows_its_message_and_a_failed_channel_falls_back_with_a_new_link() {
    let app = app_with_cap(0).await;
    let t = template(&app, "opd", "stage", questions()).await;
    let p = patient(&app, "MRN-W", "0501234567", "w@example.org", "whatsapp").await;
    let created = send(&app, &t, &p, None).await;
    deliver_all(&app).await;
    let s = survey(&app, created.survey.id).await;
    assert_eq!(s.status, "sent");
    assert!(s.sent_at.is_some());

    // WhatsApp refused it for good: the survey goes out by SMS with a new link; both links work.
    let first = msg(&app, s.message_id.unwrap()).await;
    survey_instance::Entity::update_many()
        .col_expr(survey_instance::Column::Status, Expr::value("scheduled"))
        .filter(survey_instance::Column::Id.eq(s.id))
        .exec(app.db())
        .await
        .unwrap();
    let failed = message::Model { status: "failed".into(), error: "not on WhatsApp".into(), ..first };
    delivery::on_message_status(&app.state, &failed, "failed").await.unwrap();
    let s = survey(&app, s.id).await;
    assert_eq!((s.status.as_str(), s.channel.as_str()), ("scheduled", "sms"), "{}", s.suppression_reason);
    let sms = msg(&app, s.message_id.unwrap()).await;
    assert_eq!(sms.channel, "sms");
    let token = sms.body.split("/s/").nth(1).unwrap().split('/').next().unwrap().to_owned();
    assert_ne!(token, created.token);
    assert_eq!(delivery::by_token(app.db(), &token).await.unwrap().map(|x| x.id), Some(s.id));
    assert_eq!(delivery::by_token(app.db(), &created.token).await.unwrap().map(|x| x.id), Some(s.id));

    // SMS fails too, then e-mail: nothing left → undeliverable.
    for channel in ["sms", "email"] {
        let m = msg(&app, survey(&app, s.id).await.message_id.unwrap()).await;
        assert_eq!(m.channel, channel);
        let failed = message::Model { status: "failed".into(), error: "refused".into(), ..m };
        delivery::on_message_status(&app.state, &failed, "failed").await.unwrap();
    }
    let s = survey(&app, s.id).await;
    assert_eq!(s.status, "undeliverable", "{}", s.suppression_reason);
    assert!(matches!(respond::open(&app.state, &token).await.unwrap(), Err(Closed::Expired)));
}

#[tokio::test]
async fn reminders_go_at_48_and_96_hours_with_fresh_links_and_links_expire() {
    let app = app_with_cap(0).await;
    let t = template(&app, "opd", "stage", questions()).await;
    let p = patient(&app, "MRN-R", "0501234567", "", "sms").await;
    let answered = patient(&app, "MRN-R2", "0501234568", "", "sms").await;
    let created = send(&app, &t, &p, None).await;
    let done = send(&app, &t, &answered, None).await;
    deliver_all(&app).await;
    let sent_at = survey(&app, created.survey.id).await.sent_at.unwrap();
    // The second patient answers at once: no reminders for them.
    let finished =
        respond::submit(&app.state, &done.token, &post(&[("overall", "4"), ("doctor", "5"), ("recommend", "9")]), true)
            .await
            .unwrap()
            .unwrap();
    assert!(matches!(finished, Submitted::Completed(_)));

    let h = |x: i64| sent_at + Duration::hours(x);
    let reminders =
        || message::Entity::find().filter(message::Column::TemplateCode.eq("survey_reminder")).count(app.db());
    for (at, expected_total) in [(h(47), 0), (h(48), 1), (h(49), 1), (h(95), 1), (h(97), 2), (h(150), 2)] {
        delivery::send_reminders(&app.state, at).await.unwrap();
        assert_eq!(reminders().await.unwrap(), expected_total, "at +{} h", (at - sent_at).num_hours());
    }
    let s = survey(&app, created.survey.id).await;
    assert_eq!(s.reminder_count, 2);
    let reminder = message::Entity::find()
        .filter(message::Column::TemplateCode.eq("survey_reminder"))
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    // A reminder still queued when the patient answers is not sent.
    let late = patient(&app, "MRN-R3", "0501234569", "", "sms").await;
    let third = send(&app, &t, &late, None).await;
    deliver_all(&app).await;
    let sent3 = survey(&app, third.survey.id).await.sent_at.unwrap();
    delivery::send_reminders(&app.state, sent3 + Duration::hours(48)).await.unwrap();
    let queued = message::Entity::find()
        .filter(message::Column::TemplateCode.eq("survey_reminder"))
        .filter(message::Column::Status.eq("queued"))
        .one(app.db())
        .await
        .unwrap()
        .expect("a reminder waits to be sent");
    let Submitted::Completed(_) = respond::submit(
        &app.state,
        &third.token,
        &post(&[("overall", "4"), ("doctor", "4"), ("recommend", "8")]),
        true,
    )
    .await
    .unwrap()
    .unwrap() else {
        panic!("not completed")
    };
    deliver_all(&app).await;
    let after = msg(&app, queued.id).await;
    assert_eq!((after.status.as_str(), after.suppression_reason.as_str()), ("suppressed", "the survey is closed"));
    assert_eq!(reminder.category, "survey_exempt", "reminders are outside the cap");
    let token = reminder.body.split("/s/").nth(1).unwrap().split('/').next().unwrap().to_owned();
    assert_eq!(delivery::by_token(app.db(), &token).await.unwrap().map(|x| x.id), Some(s.id), "the reminder's link");

    // Idle in progress for a day → abandoned (still answerable); past its link → expired.
    respond::submit(&app.state, &token, &post(&[("overall", "3")]), false).await.unwrap().unwrap();
    survey_instance::Entity::update_many()
        .col_expr(survey_instance::Column::LastActivityAt, Expr::value(Some(Utc::now() - Duration::hours(25))))
        .filter(survey_instance::Column::Id.eq(s.id))
        .exec(app.db())
        .await
        .unwrap();
    let counts = delivery::expire(&app.state, Utc::now()).await.unwrap();
    assert_eq!((counts.expired, counts.abandoned), (0, 1));
    assert_eq!(survey(&app, s.id).await.status, "abandoned");
    let open = respond::open(&app.state, &created.token).await.unwrap().unwrap();
    assert_eq!(open.answers.len(), 1, "the partial answer is kept");
    let counts = delivery::expire(&app.state, s.token_expires_at + Duration::seconds(1)).await.unwrap();
    assert_eq!(counts.expired, 1, "the completed survey is not expired");
    assert_eq!(survey(&app, s.id).await.status, "expired");
    assert!(matches!(respond::open(&app.state, &created.token).await.unwrap(), Err(Closed::Expired)));
    assert_eq!(survey(&app, done.survey.id).await.status, "completed");
}

#[tokio::test]
async fn a_negative_survey_opens_one_action_alerts_the_manager_and_keeps_its_version() {
    let app = app_with_cap(0).await;
    let t = template(&app, "opd", "stage", questions()).await;
    let p = patient(&app, "MRN-N", "0501234567", "", "sms").await;
    // The outpatient department's manager is the department manager user.
    let dept = app.department_id(app.hospital_a.id, "OUT-002").await;
    let manager = app.user(Role::DepartmentManager).clone();
    department::Entity::update_many()
        .col_expr(department::Column::ManagerId, Expr::value(Some(manager.id)))
        .filter(department::Column::Id.eq(dept))
        .exec(app.db())
        .await
        .unwrap();
    let created = send(&app, &t, &p, Some(dept)).await;

    // The template changes after the survey was sent: the patient still sees and is scored by v1.
    survey_question::Entity::update_many()
        .col_expr(survey_question::Column::TextEn, Expr::value("Changed text"))
        .filter(survey_question::Column::SurveyTemplateId.eq(t.id))
        .exec(app.db())
        .await
        .unwrap();
    publish(&app, t.id).await;
    let open = respond::open(&app.state, &created.token).await.unwrap().unwrap();
    assert!(open.definition.questions.iter().all(|q| q.text_en != "Changed text"));
    assert_eq!(survey(&app, created.survey.id).await.status, "viewed");

    // Low overall reveals "why": finishing without having seen it is not complete yet.
    let first = respond::submit(
        &app.state,
        &created.token,
        &post(&[("overall", "1"), ("doctor", "2"), ("wait", "long"), ("recommend", "3")]),
        true,
    )
    .await
    .unwrap()
    .unwrap();
    let Submitted::Saved { checked, .. } = first else { panic!("completed before showing the revealed question") };
    assert_eq!(checked.revealed, vec!["why".to_owned()]);
    assert_eq!(survey(&app, created.survey.id).await.status, "in_progress");
    let done = respond::submit(&app.state, &created.token, &post(&[("why", "Nobody explained the delay")]), true)
        .await
        .unwrap()
        .unwrap();
    let Submitted::Completed(s) = done else { panic!("not completed") };
    // (1 + 2 + 1) / 3: the NPS answer does not count in the average.
    assert_eq!(s.total_score, Some(1.33));
    assert_eq!(s.score_100, Some(8.25));
    assert!(s.is_negative);
    let action =
        px_action::Entity::find_by_id(s.action_id.expect("action linked")).one(app.db()).await.unwrap().unwrap();
    assert_eq!((action.source_type.as_str(), action.source_id), ("survey", Some(s.id)));
    assert_eq!(action.department_id, Some(dept));
    let alert = message::Entity::find()
        .filter(message::Column::TemplateCode.eq("survey_negative_alert"))
        .one(app.db())
        .await
        .unwrap()
        .expect("the manager is told");
    assert_eq!(alert.recipient, manager.email.to_lowercase());
    assert!(alert.body.contains(&action.reference_number), "{}", alert.body);
    assert_eq!(
        survey_response::Entity::find()
            .filter(survey_response::Column::SurveyInstanceId.eq(s.id))
            .count(app.db())
            .await
            .unwrap(),
        5
    );

    // Single use: a second submission changes nothing.
    let again = respond::submit(&app.state, &created.token, &post(&[("overall", "5")]), true).await.unwrap();
    assert!(matches!(again, Err(Closed::Completed)));
    assert_eq!(px_action::Entity::find().count(app.db()).await.unwrap(), 1);

    // The coordinator sees the new action among the unassigned work of their hospital.
    let (client, _) = app.login_page_session(&email(Role::PxCoordinator)).await;
    let html = client.get(app.url("/complaints/my-work/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&action.reference_number), "the action is in My work");

    // A good survey is not negative and opens nothing.
    let q2 = patient(&app, "MRN-G", "0501234599", "", "sms").await;
    let good = send(&app, &t, &q2, Some(dept)).await;
    let Submitted::Completed(s) = respond::submit(
        &app.state,
        &good.token,
        &post(&[("overall", "5"), ("doctor", "4"), ("recommend", "10")]),
        true,
    )
    .await
    .unwrap()
    .unwrap() else {
        panic!("not completed")
    };
    assert_eq!((s.total_score, s.is_negative, s.action_id), (Some(4.5), false, None));
}

#[tokio::test]
async fn unknown_answers_are_refused_and_nothing_is_saved() {
    let app = app_with_cap(0).await;
    let t = template(&app, "opd", "stage", questions()).await;
    let p = patient(&app, "MRN-B", "0501234567", "", "sms").await;
    let created = send(&app, &t, &p, None).await;
    let err = respond::submit(&app.state, &created.token, &post(&[("overall", "4"), ("nope", "1")]), false).await;
    assert!(err.is_err(), "an unknown question is a 400");
    let Submitted::Saved { checked, .. } = respond::submit(
        &app.state,
        &created.token,
        &post(&[("overall", "9"), ("doctor", "4"), ("wait", "medium"), ("why", "hidden answer")]),
        true,
    )
    .await
    .unwrap()
    .unwrap() else {
        panic!("completed with bad answers")
    };
    let keys: Vec<(&str, &str)> = checked.errors.iter().map(|(k, v)| (k.as_str(), v.key())).collect();
    assert!(keys.contains(&("overall", "out-of-range")), "{keys:?}");
    assert!(keys.contains(&("wait", "not-a-choice")), "{keys:?}");
    assert!(keys.contains(&("why", "hidden")), "{keys:?}");
    assert!(keys.contains(&("recommend", "required")), "{keys:?}");
    let saved = survey_response::Entity::find()
        .filter(survey_response::Column::SurveyInstanceId.eq(created.survey.id))
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(
        saved.iter().map(|r| r.question_code.as_str()).collect::<Vec<_>>(),
        vec!["doctor"],
        "only the valid answer"
    );
    for bad in ["", "abc", &"f".repeat(64), &"0".repeat(63)] {
        assert!(matches!(respond::open(&app.state, bad).await.unwrap(), Err(Closed::Unknown)), "{bad}");
    }
}

#[tokio::test]
async fn a_stage_completed_by_an_event_sends_its_survey_with_the_stage_physician_and_department() {
    let app = app_with_cap(0).await;
    let t = template(&app, "opd", "stage", questions()).await;
    let def = &px360::seed::bench::STANDARD_JOURNEYS[0];
    px360::seed::bench::seed_journey(app.db(), app.hospital_a.id, def, true).await.unwrap();
    use px360::domains::journeys::model::stage_template;
    stage_template::Entity::update_many()
        .col_expr(stage_template::Column::SurveyTemplateId, Expr::value(Some(t.id)))
        .filter(stage_template::Column::SurveyTemplateId.is_not_null())
        .exec(app.db())
        .await
        .unwrap();
    let token = app.token(&email(Role::HospitalAdmin)).await;
    let event = json!({
        "source_system": "his", "event_code": "OPD_CONSULTATION_DONE", "encounter_id": "ENC-S1",
        "patient_identifier": "MRN-S1",
        "payload_json": {"department_code": "OUT-002", "custom_fields": {"patient_phone": "0501234567"}}
    });
    let (status, body) = json(app.post("/api/integrations/events/", &token, &event).await).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    while px360::jobs::worker::process_batch(&app.state, Queue::Events, "t", 8).await.unwrap() > 0 {}
    let surveys = survey_instance::Entity::find().all(app.db()).await.unwrap();
    assert_eq!(surveys.len(), 1);
    let s = &surveys[0];
    assert_eq!((s.source.as_str(), s.status.as_str()), ("journey", "scheduled"));
    assert_eq!(s.department_id, Some(app.department_id(app.hospital_a.id, "OUT-002").await));
    assert!(s.stage_instance_id.is_some() && s.template_version_id.is_some());
    // The message is in the outbox with the link.
    let m = msg(&app, s.message_id.unwrap()).await;
    assert!(m.body.contains("/s/"), "{}", m.body);
}

#[tokio::test]
async fn closing_a_complaint_sends_the_resolution_survey_to_the_complainant() {
    let app = app_with_cap(30).await;
    let resolution = template(&app, "resolution", "complaint_resolution", questions()).await;
    // A level-3 category to resolve with.
    let at = Utc::now();
    let mut parent = None;
    for (level, code) in [(1, "RS"), (2, "RS-A"), (3, "RS-A-B")] {
        let id = Uuid::now_v7();
        complaint_category::ActiveModel {
            id: Set(id),
            hospital_id: Set(None),
            parent_id: Set(parent),
            level: Set(level),
            code: Set(code.into()),
            name_en: Set(code.into()),
            name_ar: Set("تصنيف".into()),
            description_en: Set(String::new()),
            description_ar: Set(String::new()),
            domain_type: Set("CLINICAL".into()),
            sort_order: Set(0),
            is_active: Set(true),
            created_at: Set(at),
            updated_at: Set(at),
            deleted_at: Set(None),
        }
        .insert(app.db())
        .await
        .unwrap();
        parent = Some(id);
    }
    let pxc = app.token(&email(Role::PxCoordinator)).await;
    let body = json!({"source": "patient", "title": "Rude reception", "category_id": parent,
        "description": "The reception staff were rude and did not explain the waiting time.",
        "complainant_name": "Fahad", "complainant_phone": "0551234567"});
    let (status, created) = json(app.post("/api/complaints/", &pxc, &body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    let resolve = json!({"status": "resolved", "resolution": "Apologised and coached the team.",
        "resolution_category": "full_action_taken"});
    let (status, body) = json(app.post(&format!("/api/complaints/{id}/status/"), &pxc, &resolve).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(survey_instance::Entity::find().count(app.db()).await.unwrap(), 0, "not before closing");
    let (status, body) =
        json(app.post(&format!("/api/complaints/{id}/status/"), &pxc, &json!({"status": "closed"})).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let s = survey_instance::Entity::find().one(app.db()).await.unwrap().expect("resolution survey");
    let cid: Uuid = id.parse().unwrap();
    assert_eq!((s.source.as_str(), s.complaint_id, s.survey_template_id), ("complaint", Some(cid), resolution.id));
    assert_eq!(s.status, "scheduled", "{}", s.suppression_reason);
    let m = msg(&app, s.message_id.unwrap()).await;
    assert_eq!((m.recipient.as_str(), m.category.as_str()), ("+966551234567", "survey_exempt"));
    let c = complaint::Entity::find_by_id(cid).one(app.db()).await.unwrap().unwrap();
    assert_eq!(c.status, "closed");
}
