//! The event-storm benchmark's data set (`px360 admin seed-bench`), the standard journeys of the
//! spec, and API keys.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::Role;
use crate::auth::tokens::{hash_token, random_token};
use crate::domains::integrations::events::SOURCE_SYSTEMS;
use crate::domains::integrations::model::api_key;
use crate::domains::journeys::model::{journey_template, stage_template};
use crate::domains::organizations::model::{department, hospital, staff};
use crate::domains::organizations::service::now;
use crate::domains::surveys::model::survey_template;

/// (type, English name, Arabic name, stages: (code, trigger, English, Arabic, has survey)).
pub type JourneyDef = (
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str, &'static str, &'static str, bool)],
);

pub const STANDARD_JOURNEYS: &[JourneyDef] = &[
    (
        "opd",
        "Outpatient visit",
        "زيارة العيادات الخارجية",
        &[
            ("REG", "OPD_REGISTRATION", "Registration", "التسجيل", false),
            ("MD", "OPD_CONSULTATION_DONE", "MD Consultation", "استشارة الطبيب", true),
            ("LAB", "LAB_ORDER_COMPLETED", "Lab", "المختبر", false),
            ("RAD", "RADIOLOGY_REPORT_FINALIZED", "Radiology", "الأشعة", false),
            ("PHARM", "PHARMACY_DISPENSED", "Pharmacy", "الصيدلية", true),
            ("OUT", "OPD_VISIT_COMPLETED", "Checkout", "المغادرة", false),
        ],
    ),
    (
        "ems",
        "Emergency visit",
        "زيارة الطوارئ",
        &[
            ("TRIAGE", "EMS_TRIAGE_DONE", "Triage", "الفرز", false),
            ("ERMD", "EMS_PHYSICIAN_SEEN", "ER Physician", "طبيب الطوارئ", false),
            ("DIAG", "LAB_ORDER_COMPLETED", "Diagnostics", "الفحوصات", false),
            ("TREAT", "EMS_TREATMENT_DONE", "Treatment", "العلاج", false),
            ("DISCH", "EMS_DISCHARGED", "Discharge", "الخروج", true),
        ],
    ),
    (
        "inpatient",
        "Inpatient stay",
        "التنويم",
        &[
            ("ADMIT", "IP_ADMITTED", "Admission", "الدخول", false),
            ("WARD", "IP_WARD_ASSIGNED", "Ward", "الجناح", false),
            ("ROUND", "IP_PHYSICIAN_ROUND", "Physician Rounds", "جولات الطبيب", false),
            ("NURSE", "IP_NURSING_CARE", "Nursing Care", "الرعاية التمريضية", false),
            ("DIAG", "LAB_ORDER_COMPLETED", "Diagnostics", "الفحوصات", false),
            ("TREAT", "IP_TREATMENT_DONE", "Treatment", "العلاج", false),
            ("DISCH", "IP_DISCHARGED", "Discharge", "الخروج", true),
        ],
    ),
    (
        "day_case",
        "Day case",
        "جراحة اليوم الواحد",
        &[
            ("ADMIT", "DC_ADMITTED", "Admission", "الدخول", false),
            ("PROC", "DC_PROCEDURE_DONE", "Procedure", "الإجراء", false),
            ("RECOV", "DC_RECOVERY_DONE", "Recovery", "الإفاقة", false),
            ("DISCH", "DC_DISCHARGED", "Discharge", "الخروج", true),
        ],
    ),
];

/// The bench's OPD journey: three stages, the last two with a survey.
const BENCH_OPD: JourneyDef = (
    "opd",
    "OPD (bench)",
    "العيادات (قياس)",
    &[
        ("REG", "OPD_REGISTRATION", "Registration", "التسجيل", false),
        ("MD", "OPD_CONSULTATION_DONE", "MD Consultation", "استشارة الطبيب", true),
        ("PHARM", "PHARMACY_DISPENSED", "Pharmacy", "الصيدلية", true),
    ],
);

/// A survey template of `hospital_id` with `code` (created if missing), published with one
/// overall rating question so its surveys can be sent and answered.
pub async fn survey_template(
    db: &DatabaseConnection,
    hospital_id: Uuid,
    code: &str,
    en: &str,
    ar: &str,
) -> anyhow::Result<Uuid> {
    if let Some(t) = survey_template::Entity::find()
        .filter(survey_template::Column::HospitalId.eq(hospital_id))
        .filter(survey_template::Column::Code.eq(code))
        .filter(survey_template::Column::DeletedAt.is_null())
        .one(db)
        .await?
    {
        return Ok(t.id);
    }
    let at = now();
    let row = survey_template::ActiveModel {
        id: Set(Uuid::now_v7()),
        hospital_id: Set(hospital_id),
        code: Set(code.into()),
        name_en: Set(en.into()),
        name_ar: Set(ar.into()),
        survey_type: Set("stage".into()),
        is_active: Set(true),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    use crate::domains::surveys::model::survey_question;
    use sea_orm::TransactionTrait;
    let txn = db.begin().await?;
    survey_question::ActiveModel {
        id: Set(Uuid::now_v7()),
        survey_template_id: Set(row.id),
        position: Set(0),
        code: Set("overall".into()),
        text_en: Set("Overall, how would you rate your visit?".into()),
        text_ar: Set("بشكل عام، كيف تقيّم زيارتك؟".into()),
        question_type: Set("rating".into()),
        is_required: Set(true),
        weight: Set(1.0),
        choices: Set(serde_json::json!([])),
        allow_multiple: Set(false),
        show_if: Set(None),
        is_overall: Set(true),
        counts_for_physician: Set(false),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await?;
    crate::domains::surveys::versions::publish(&txn, &row, None).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    txn.commit().await?;
    Ok(row.id)
}

/// Creates journey `def` in `hospital_id` unless a template of that type exists.
pub async fn seed_journey(
    db: &DatabaseConnection,
    hospital_id: Uuid,
    def: &JourneyDef,
    default: bool,
) -> anyhow::Result<bool> {
    let (kind, en, ar, stages) = def;
    let exists = journey_template::Entity::find()
        .filter(journey_template::Column::HospitalId.eq(hospital_id))
        .filter(journey_template::Column::JourneyType.eq(*kind))
        .filter(journey_template::Column::DeletedAt.is_null())
        .one(db)
        .await?;
    if exists.is_some() {
        return Ok(false);
    }
    // Survey stages use the hospital's default (published) survey templates.
    let surveys = crate::seed::survey_templates::seed_default_survey_templates(db, hospital_id).await?;
    let at = now();
    let template = journey_template::ActiveModel {
        id: Set(Uuid::now_v7()),
        hospital_id: Set(hospital_id),
        name_en: Set((*en).into()),
        name_ar: Set((*ar).into()),
        journey_type: Set((*kind).into()),
        is_active: Set(true),
        is_default: Set(default),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
    }
    .insert(db)
    .await?;
    for (i, (code, trigger, s_en, s_ar, with_survey)) in stages.iter().enumerate() {
        stage_template::ActiveModel {
            id: Set(Uuid::now_v7()),
            journey_template_id: Set(template.id),
            position: Set(i as i32 + 1),
            code: Set((*code).into()),
            name_en: Set((*s_en).into()),
            name_ar: Set((*s_ar).into()),
            trigger_event_code: Set((*trigger).into()),
            survey_template_id: Set(if *with_survey {
                surveys.id(crate::seed::survey_templates::template_code_for_stage(kind, code))
            } else {
                None
            }),
            send_delay_minutes: Set(0),
            created_at: Set(at),
            updated_at: Set(at),
        }
        .insert(db)
        .await?;
    }
    Ok(true)
}

/// A new API key with the default rate limit (600 a minute): (the key, shown once; its row).
pub async fn create_api_key(
    db: &DatabaseConnection,
    hospital_id: Uuid,
    sources: &str,
    name: &str,
) -> anyhow::Result<(String, api_key::Model)> {
    create_api_key_limited(db, hospital_id, sources, name, 600).await
}

/// A new API key allowed `rate_limit_per_minute` requests a minute (0 = unlimited).
pub async fn create_api_key_limited(
    db: &DatabaseConnection,
    hospital_id: Uuid,
    sources: &str,
    name: &str,
    rate_limit_per_minute: i32,
) -> anyhow::Result<(String, api_key::Model)> {
    let sources: Vec<String> = sources.split(',').map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty()).collect();
    if sources.is_empty() {
        anyhow::bail!("--source needs at least one of {}", SOURCE_SYSTEMS.join(", "));
    }
    if let Some(bad) = sources.iter().find(|s| !SOURCE_SYSTEMS.contains(&s.as_str())) {
        anyhow::bail!("unknown source system {bad:?}; use {}", SOURCE_SYSTEMS.join(", "));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        anyhow::bail!("--name must be 1 to 100 characters");
    }
    if !(0..=1_000_000).contains(&rate_limit_per_minute) {
        anyhow::bail!("--rate-limit must be 0 (unlimited) to 1000000 requests a minute");
    }
    let key = format!("px360_{}", random_token());
    let row = api_key::ActiveModel {
        id: Set(Uuid::now_v7()),
        hospital_id: Set(hospital_id),
        name: Set(name.to_owned()),
        source_systems: Set(sources.join(",")),
        prefix: Set(key[..12].to_owned()),
        key_hash: Set(hash_token(&key)),
        created_by: Set(None),
        last_used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now()),
        rate_limit_per_minute: Set(rate_limit_per_minute),
    }
    .insert(db)
    .await?;
    Ok((key, row))
}

/// The data `event_storm.py` assumes; safe to run twice.
pub async fn seed(state: &AppState) -> anyhow::Result<()> {
    let db = &state.db;
    let at = now();
    let h = match hospital::Entity::find().filter(hospital::Column::Code.eq("BENCH")).one(db).await? {
        Some(h) => h,
        None => {
            hospital::ActiveModel {
                id: Set(Uuid::now_v7()),
                code: Set("BENCH".into()),
                name_en: Set("Bench Hospital".into()),
                name_ar: Set("مستشفى القياس".into()),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    // The bench sends two surveys per visit and runs at any hour: no cap, no quiet hours.
    hospital::Entity::update_many()
        .col_expr(hospital::Column::QuietHoursStart, Expr::value(0))
        .col_expr(hospital::Column::QuietHoursEnd, Expr::value(0))
        .col_expr(hospital::Column::SurveyThrottleDays, Expr::value(0))
        .filter(hospital::Column::Id.eq(h.id))
        .exec(db)
        .await?;
    for code in ["OPD", "CARD", "PED", "ORTH", "PHARM"] {
        let exists = department::Entity::find()
            .filter(department::Column::HospitalId.eq(h.id))
            .filter(department::Column::Code.eq(code))
            .one(db)
            .await?;
        if exists.is_none() {
            department::ActiveModel {
                id: Set(Uuid::now_v7()),
                hospital_id: Set(h.id),
                code: Set(code.into()),
                name_en: Set(format!("{code} department")),
                name_ar: Set(format!("قسم {code}")),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    for n in 1..=20 {
        let license = format!("PHY{n:03}");
        let exists = staff::Entity::find()
            .filter(staff::Column::HospitalId.eq(h.id))
            .filter(staff::Column::LicenseNumber.eq(license.clone()))
            .one(db)
            .await?;
        if exists.is_none() {
            staff::ActiveModel {
                id: Set(Uuid::now_v7()),
                hospital_id: Set(h.id),
                staff_type: Set("physician".into()),
                first_name_en: Set(format!("Bench {n}")),
                license_number: Set(Some(license)),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    seed_journey(db, h.id, &BENCH_OPD, true).await?;
    crate::seed::reference::seed_notification_templates(db, false).await?;
    let exists = crate::domains::accounts::model::user::Entity::find()
        .filter(crate::domains::accounts::model::user::Column::Email.eq("bench@px360.bench"))
        .one(db)
        .await?;
    if exists.is_none() {
        let user = crate::domains::accounts::service::create_user_raw(
            db,
            "bench@px360.bench",
            "bench-pass-123",
            Role::HospitalAdmin,
            Some(h.id),
            None,
            ("Bench", "Client"),
            "en",
        )
        .await?;
        let mut row: crate::domains::accounts::model::user::ActiveModel = user.into();
        row.username = Set(Some("bench".into()));
        row.update(db).await?;
    }
    // The storm posts thousands of events in seconds: the bench user is never rate-limited.
    let bench = crate::domains::accounts::model::user::Entity::find()
        .filter(crate::domains::accounts::model::user::Column::Email.eq("bench@px360.bench"))
        .one(db)
        .await?;
    if let Some(bench) = bench {
        use crate::domains::integrations::model::user_rate_limit;
        let row = user_rate_limit::ActiveModel { user_id: Set(bench.id), per_minute: Set(0), updated_at: Set(at) };
        user_rate_limit::Entity::insert(row)
            .on_conflict(
                sea_orm::sea_query::OnConflict::column(user_rate_limit::Column::UserId)
                    .update_columns([user_rate_limit::Column::PerMinute, user_rate_limit::Column::UpdatedAt])
                    .to_owned(),
            )
            .exec(db)
            .await?;
    }
    Ok(())
}
