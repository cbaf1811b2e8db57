//! Reference data every hospital starts with: the five standard departments (spec §2).

use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::domains::organizations::model::{department, hospital};
use crate::domains::organizations::service::now;

pub const STANDARD_DEPARTMENTS: &[(&str, &str, &str)] = &[
    ("EMR-001", "Emergency & Urgent Care", "الطوارئ والرعاية العاجلة"),
    ("OUT-002", "Outpatient & Specialist Clinics", "العيادات الخارجية والعيادات المتخصصة"),
    ("INP-003", "Inpatient & Surgical Services", "خدمات العلاج الداخلي والجراحة"),
    ("DIA-004", "Diagnostics & Laboratory Services", "خدمات التشخيص والمختبرات"),
    ("ADM-005", "Administration & Support Services", "خدمات الإدارة والدعم"),
];

#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Creates the standard departments in `hospitals` (all live ones when `None`).
pub async fn seed_departments(
    db: &DatabaseConnection,
    only: Option<Uuid>,
    dry_run: bool,
    overwrite: bool,
) -> anyhow::Result<Outcome> {
    let mut select = hospital::Entity::find().filter(hospital::Column::DeletedAt.is_null());
    if let Some(id) = only {
        select = select.filter(hospital::Column::Id.eq(id));
    }
    let mut outcome = Outcome::default();
    for h in select.all(db).await? {
        for (code, en, ar) in STANDARD_DEPARTMENTS {
            let existing = department::Entity::find()
                .filter(department::Column::HospitalId.eq(h.id))
                .filter(department::Column::Code.eq(*code))
                .filter(department::Column::DeletedAt.is_null())
                .one(db)
                .await?;
            match existing {
                Some(d) if overwrite && (d.name_en != *en || d.name_ar != *ar) => {
                    outcome.updated += 1;
                    if !dry_run {
                        let mut row: department::ActiveModel = d.into();
                        row.name_en = Set((*en).into());
                        row.name_ar = Set((*ar).into());
                        row.updated_at = Set(now());
                        row.update(db).await?;
                    }
                }
                Some(_) => outcome.unchanged += 1,
                None => {
                    outcome.created += 1;
                    if !dry_run {
                        department::ActiveModel {
                            id: Set(Uuid::now_v7()),
                            hospital_id: Set(h.id),
                            parent_id: Set(None),
                            code: Set((*code).into()),
                            name_en: Set((*en).into()),
                            name_ar: Set((*ar).into()),
                            manager_id: Set(None),
                            phone: Set(String::new()),
                            email: Set(String::new()),
                            location: Set(String::new()),
                            status: Set("active".into()),
                            created_at: Set(now()),
                            updated_at: Set(now()),
                            deleted_at: Set(None),
                        }
                        .insert(db)
                        .await?;
                    }
                }
            }
        }
    }
    Ok(outcome)
}

/// The default notification templates: (code, language, email subject, body). Each is seeded for
/// sms, whatsapp and email.
pub const DEFAULT_TEMPLATES: &[(&str, &str, &str, &str)] = &[
    ("test_message", "en", "PX360 test message", "PX360 test message for {{patient_name}} from {{hospital_name}}."),
    (
        "test_message",
        "ar",
        "رسالة تجريبية من PX360",
        "رسالة تجريبية من PX360 إلى {{patient_name}} من {{hospital_name}}.",
    ),
    (
        "survey_invitation",
        "en",
        "How was your visit?",
        "{{hospital_name}}: please tell us about your visit ({{survey_name}}), it takes a minute: {{survey_url}} (open until {{expires_on}})",
    ),
    (
        "survey_invitation",
        "ar",
        "كيف كانت زيارتك؟",
        "{{hospital_name}}: يسعدنا أن تخبرنا عن زيارتك ({{survey_name}})، لن يستغرق ذلك أكثر من دقيقة: {{survey_url}} (متاح حتى {{expires_on}})",
    ),
    (
        "survey_reminder",
        "en",
        "A reminder: how was your visit?",
        "{{hospital_name}}: a reminder, your opinion helps us improve: {{survey_url}} (open until {{expires_on}}). Reply STOP to opt out.",
    ),
    (
        "survey_reminder",
        "ar",
        "تذكير: كيف كانت زيارتك؟",
        "{{hospital_name}}: تذكير، رأيك يساعدنا على التحسن: {{survey_url}} (متاح حتى {{expires_on}}). أرسل إيقاف لإلغاء الاشتراك.",
    ),
    (
        "survey_negative_alert",
        "en",
        "Negative survey: {{survey_name}} (score {{score}})",
        "A patient rated {{survey_name}} {{score}}. PX Action {{action_reference}} is open; contact the patient and log it on the survey: {{url}}",
    ),
    (
        "survey_negative_alert",
        "ar",
        "استبيان سلبي: {{survey_name}} (الدرجة {{score}})",
        "قيّم مريض {{survey_name}} بدرجة {{score}}. فُتح إجراء تحسين {{action_reference}}؛ تواصل مع المريض وسجّل ذلك في الاستبيان: {{url}}",
    ),
];

/// Creates the default templates that do not exist yet (never overwrites an edited one).
pub async fn seed_notification_templates(db: &DatabaseConnection, dry_run: bool) -> anyhow::Result<Outcome> {
    use crate::domains::notifications::model::template;
    let mut outcome = Outcome::default();
    for (code, language, subject, body) in DEFAULT_TEMPLATES.iter().chain(crate::domains::complaints::notify::TEMPLATES)
    {
        for channel in ["sms", "whatsapp", "email"] {
            let exists = template::Entity::find()
                .filter(template::Column::Code.eq(*code))
                .filter(template::Column::Channel.eq(channel))
                .filter(template::Column::Language.eq(*language))
                .one(db)
                .await?
                .is_some();
            if exists {
                outcome.unchanged += 1;
                continue;
            }
            outcome.created += 1;
            if !dry_run {
                let at = now();
                template::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    code: Set((*code).into()),
                    channel: Set(channel.into()),
                    language: Set((*language).into()),
                    subject: Set(if channel == "email" { (*subject).into() } else { String::new() }),
                    body: Set((*body).into()),
                    is_active: Set(true),
                    created_at: Set(at),
                    updated_at: Set(at),
                }
                .insert(db)
                .await?;
            }
        }
    }
    Ok(outcome)
}
