//! Survey fixtures shared by the survey test files: patients, templates published with their
//! questions, and surveys in a chosen state with answers.

use chrono::Utc;
use px360::domains::organizations::model::patient;
use px360::domains::surveys::model::{survey_instance, survey_question, survey_response, survey_template};
use sea_orm::{ActiveModelTrait, EntityTrait, Set, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use super::TestApp;

pub async fn add_patient(app: &TestApp, hospital: Uuid, mrn: &str, phone: &str) -> patient::Model {
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
pub async fn add_template(
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
pub async fn add_survey(
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
