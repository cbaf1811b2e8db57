//! The default bilingual survey templates every hospital starts with (spec §6): one per journey
//! type, a short pharmacy survey, the complaint resolution satisfaction survey and a general NPS
//! survey. They are created as draft questions and published as version 1, so journeys, complaint
//! closure and the bench send surveys that open and score from the first day.

use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set, TransactionTrait};
use uuid::Uuid;

use crate::domains::organizations::service::now;
use crate::domains::surveys::model::{survey_question, survey_template};
use crate::domains::surveys::rules::{Choice, Question, ShowIf};
use crate::domains::surveys::versions;

/// Template codes of the defaults.
pub const OPD: &str = "OPD-PX";
pub const INPATIENT: &str = "INPATIENT-DISCHARGE";
pub const EMS: &str = "EMS-PX";
pub const DAY_CASE: &str = "DAY-CASE-PX";
pub const PHARMACY: &str = "PHARMACY-PX";
pub const COMPLAINT_RESOLUTION: &str = "COMPLAINT-RESOLUTION";
pub const NPS: &str = "NPS-GENERAL";

/// A default template: its settings and questions.
#[derive(Debug, Clone)]
pub struct DefaultTemplate {
    pub code: &'static str,
    pub name_en: &'static str,
    pub name_ar: &'static str,
    pub description_en: &'static str,
    pub description_ar: &'static str,
    pub survey_type: &'static str,
    pub scoring_method: &'static str,
    pub throttle_exempt: bool,
    pub questions: Vec<Question>,
}

/// The survey template a journey's survey stage uses (`journey_type` of spec §5, the stage code of
/// [`crate::seed::bench::STANDARD_JOURNEYS`]): the pharmacy stage has its own, every other survey
/// stage the template of its journey type.
pub fn template_code_for_stage(journey_type: &str, stage_code: &str) -> &'static str {
    match (journey_type, stage_code) {
        (_, "PHARM") => PHARMACY,
        ("ems", _) => EMS,
        ("inpatient", _) => INPATIENT,
        ("day_case", _) => DAY_CASE,
        _ => OPD,
    }
}

fn q(code: &str, question_type: &str, text_en: &str, text_ar: &str) -> Question {
    Question {
        code: code.into(),
        text_en: text_en.into(),
        text_ar: text_ar.into(),
        question_type: question_type.into(),
        is_required: true,
        weight: 1.0,
        choices: Vec::new(),
        allow_multiple: false,
        show_if: None,
        is_overall: false,
        counts_for_physician: false,
    }
}

trait Build {
    fn optional(self) -> Self;
    fn weight(self, w: f64) -> Self;
    fn overall(self) -> Self;
    fn physician(self) -> Self;
    fn multiple(self) -> Self;
    fn show_if(self, code: &str, op: &str, value: &str) -> Self;
    fn choices(self, choices: &[(&str, &str, &str, Option<f64>)]) -> Self;
}

impl Build for Question {
    fn optional(mut self) -> Self {
        self.is_required = false;
        self
    }
    fn weight(mut self, w: f64) -> Self {
        self.weight = w;
        self
    }
    fn overall(mut self) -> Self {
        self.is_overall = true;
        self
    }
    fn physician(mut self) -> Self {
        self.counts_for_physician = true;
        self
    }
    fn multiple(mut self) -> Self {
        self.allow_multiple = true;
        self
    }
    fn show_if(mut self, code: &str, op: &str, value: &str) -> Self {
        self.show_if = Some(ShowIf { question_code: code.into(), op: op.into(), value: value.into() });
        self
    }
    fn choices(mut self, choices: &[(&str, &str, &str, Option<f64>)]) -> Self {
        self.choices = choices
            .iter()
            .map(|(value, en, ar, score)| Choice {
                value: (*value).into(),
                label_en: (*en).into(),
                label_ar: (*ar).into(),
                score: *score,
            })
            .collect();
        self
    }
}

/// "What went wrong?", shown when the overall rating is 1 or 2.
fn what_went_wrong() -> Question {
    q(
        "what_went_wrong",
        "textarea",
        "We are sorry your experience was not good. What went wrong, and what should we do better?",
        "نأسف لأن تجربتك لم تكن جيدة. ما الذي حدث، وما الذي يجب علينا تحسينه؟",
    )
    .optional()
    .show_if("overall", "lte", "2")
}

fn recommend() -> Question {
    q(
        "recommend",
        "nps",
        "How likely are you to recommend our hospital to your family and friends? (0 = not at all, 10 = extremely likely)",
        "ما مدى احتمال أن توصي بمستشفانا لأهلك وأصدقائك؟ (0 = غير محتمل إطلاقاً، 10 = محتمل جداً)",
    )
}

/// The default templates, in the order they are created.
pub fn default_templates() -> Vec<DefaultTemplate> {
    vec![
        DefaultTemplate {
            code: OPD,
            name_en: "OPD Patient Experience Survey",
            name_ar: "استبيان تجربة المريض في العيادات الخارجية",
            description_en: "A few questions about your clinic visit today. It takes about one minute.",
            description_ar: "بضعة أسئلة عن زيارتك للعيادة اليوم، ولن تستغرق أكثر من دقيقة.",
            survey_type: "stage",
            scoring_method: "average",
            throttle_exempt: false,
            questions: vec![
                q(
                    "overall",
                    "rating",
                    "Overall, how would you rate your visit to the clinic today?",
                    "بشكل عام، كيف تقيّم زيارتك للعيادة اليوم؟",
                )
                .overall(),
                q(
                    "reception",
                    "rating",
                    "How courteous and helpful were the reception staff?",
                    "ما مدى لباقة موظفي الاستقبال وتعاونهم معك؟",
                ),
                q(
                    "wait_time",
                    "multiple_choice",
                    "After your appointment time, how long did you wait before seeing the doctor?",
                    "بعد موعدك المحدد، كم انتظرت قبل أن يراك الطبيب؟",
                )
                .choices(&[
                    ("under_15", "Less than 15 minutes", "أقل من 15 دقيقة", Some(5.0)),
                    ("15_30", "15 to 30 minutes", "من 15 إلى 30 دقيقة", Some(4.0)),
                    ("30_60", "30 minutes to an hour", "من 30 دقيقة إلى ساعة", Some(2.0)),
                    ("over_60", "More than an hour", "أكثر من ساعة", Some(1.0)),
                ]),
                q(
                    "doctor_explained",
                    "likert",
                    "The doctor explained my condition and treatment in a way I understood.",
                    "شرح لي الطبيب حالتي وخطة العلاج بطريقة واضحة ومفهومة.",
                )
                .physician(),
                q(
                    "doctor_attention",
                    "rating",
                    "How would you rate the time and attention the doctor gave you?",
                    "كيف تقيّم الوقت والاهتمام الذي منحك إياه الطبيب؟",
                )
                .physician(),
                q(
                    "cleanliness",
                    "rating",
                    "How clean and comfortable were the clinic and the waiting area?",
                    "ما مدى نظافة العيادة ومنطقة الانتظار وراحتهما؟",
                ),
                recommend(),
                what_went_wrong(),
            ],
        },
        DefaultTemplate {
            code: INPATIENT,
            name_en: "Inpatient Post-Discharge Survey",
            name_ar: "استبيان المرضى المنومين بعد الخروج",
            description_en: "Thank you for staying with us. Please tell us about your stay; it takes about two minutes.",
            description_ar: "شكراً لثقتك بنا خلال فترة تنويمك. نرجو أن تخبرنا عن تجربتك، ولن يستغرق ذلك أكثر من دقيقتين.",
            survey_type: "stage",
            scoring_method: "weighted",
            throttle_exempt: false,
            questions: vec![
                q(
                    "overall",
                    "rating",
                    "Overall, how would you rate your stay in the hospital?",
                    "بشكل عام، كيف تقيّم فترة تنويمك في المستشفى؟",
                )
                .overall()
                .weight(2.0),
                q(
                    "nurses_respect",
                    "likert",
                    "The nurses treated me with courtesy and respect.",
                    "عاملني طاقم التمريض بلطف واحترام.",
                )
                .weight(1.5),
                q(
                    "call_response",
                    "multiple_choice",
                    "When you pressed the call button, how quickly did someone come?",
                    "عندما ضغطت زر الاستدعاء، كم استغرق حضور أحد أفراد الطاقم؟",
                )
                .choices(&[
                    ("immediately", "Straight away", "فوراً", Some(5.0)),
                    ("within_5", "Within 5 minutes", "خلال 5 دقائق", Some(4.0)),
                    ("5_15", "5 to 15 minutes", "من 5 إلى 15 دقيقة", Some(2.0)),
                    ("over_15", "More than 15 minutes", "أكثر من 15 دقيقة", Some(1.0)),
                    ("not_used", "I did not use it", "لم أستخدمه", None),
                ]),
                q(
                    "doctor_rounds",
                    "likert",
                    "The doctors kept me informed about my condition during their rounds.",
                    "أطلعني الأطباء على حالتي الصحية أولاً بأول خلال جولاتهم.",
                )
                .physician()
                .weight(1.5),
                q(
                    "pain_control",
                    "rating",
                    "How well was your pain controlled?",
                    "ما مدى نجاح الفريق الطبي في السيطرة على الألم لديك؟",
                ),
                q("room", "rating", "How clean and quiet was your room?", "ما مدى نظافة غرفتك وهدوئها؟"),
                q(
                    "meals",
                    "rating",
                    "How would you rate the meals you were served?",
                    "كيف تقيّم جودة الوجبات المقدمة لك؟",
                )
                .optional()
                .weight(0.5),
                q(
                    "discharge_explained",
                    "yes_no",
                    "Before you went home, did we explain your medicines and what to do at home?",
                    "قبل خروجك، هل شرحنا لك أدويتك وما يجب عليك فعله في المنزل؟",
                ),
                what_went_wrong(),
            ],
        },
        DefaultTemplate {
            code: EMS,
            name_en: "EMS Emergency Services Survey",
            name_ar: "استبيان خدمات الطوارئ",
            description_en: "You recently visited our emergency department. Please tell us how we did.",
            description_ar: "زرت قسم الطوارئ لدينا مؤخراً. نرجو أن تخبرنا عن مستوى الخدمة التي تلقيتها.",
            survey_type: "stage",
            scoring_method: "average",
            throttle_exempt: false,
            questions: vec![
                q(
                    "overall",
                    "rating",
                    "Overall, how would you rate the care you received in the emergency department?",
                    "بشكل عام، كيف تقيّم الرعاية التي تلقيتها في قسم الطوارئ؟",
                )
                .overall(),
                q(
                    "triage_wait",
                    "multiple_choice",
                    "How long did you wait before a nurse first assessed you?",
                    "كم انتظرت قبل أن يقيّم حالتك أحد أفراد التمريض لأول مرة؟",
                )
                .choices(&[
                    ("under_10", "Less than 10 minutes", "أقل من 10 دقائق", Some(5.0)),
                    ("10_30", "10 to 30 minutes", "من 10 إلى 30 دقيقة", Some(4.0)),
                    ("30_60", "30 minutes to an hour", "من 30 دقيقة إلى ساعة", Some(2.0)),
                    ("over_60", "More than an hour", "أكثر من ساعة", Some(1.0)),
                ]),
                q(
                    "er_doctor",
                    "rating",
                    "How would you rate the care from the emergency doctor?",
                    "كيف تقيّم الرعاية التي قدمها لك طبيب الطوارئ؟",
                )
                .physician(),
                q(
                    "kept_informed",
                    "likert",
                    "Staff kept me informed about what was happening and how long it would take.",
                    "أبقاني الطاقم على اطلاع بما يجري وبالمدة المتوقعة.",
                ),
                q(
                    "privacy",
                    "yes_no",
                    "Was your privacy respected during your examination and treatment?",
                    "هل رُوعيت خصوصيتك أثناء الفحص والعلاج؟",
                ),
                recommend(),
                what_went_wrong(),
            ],
        },
        DefaultTemplate {
            code: DAY_CASE,
            name_en: "Day Case Patient Survey",
            name_ar: "استبيان مرضى جراحة اليوم الواحد",
            description_en: "A few questions about your procedure and recovery with us.",
            description_ar: "بضعة أسئلة عن الإجراء الذي أجريته وفترة الإفاقة لدينا.",
            survey_type: "stage",
            scoring_method: "average",
            throttle_exempt: false,
            questions: vec![
                q(
                    "overall",
                    "rating",
                    "Overall, how would you rate your day procedure with us?",
                    "بشكل عام، كيف تقيّم تجربتك في إجراء اليوم الواحد لدينا؟",
                )
                .overall(),
                q(
                    "instructions",
                    "yes_no",
                    "Before the procedure, did you receive clear instructions (fasting, medicines)?",
                    "هل تلقيت قبل الإجراء تعليمات واضحة (الصيام، الأدوية)؟",
                ),
                q(
                    "doctor_explained",
                    "likert",
                    "The doctor explained the procedure, its risks and what to expect.",
                    "شرح لي الطبيب الإجراء ومخاطره وما يمكن توقعه بعده.",
                )
                .physician(),
                q(
                    "on_time",
                    "multiple_choice",
                    "Did your procedure start at the scheduled time?",
                    "هل بدأ الإجراء في الوقت المحدد؟",
                )
                .choices(&[
                    ("on_time", "Yes, on time", "نعم، في موعده", Some(5.0)),
                    ("under_60", "Delayed by less than an hour", "تأخر أقل من ساعة", Some(3.0)),
                    ("over_60", "Delayed by more than an hour", "تأخر أكثر من ساعة", Some(1.0)),
                ]),
                q(
                    "recovery_care",
                    "rating",
                    "How would you rate the nursing care in the recovery area?",
                    "كيف تقيّم الرعاية التمريضية في منطقة الإفاقة؟",
                ),
                q(
                    "ready_home",
                    "likert",
                    "I felt ready and well informed when I went home.",
                    "شعرت بأنني مستعد وعلى معرفة كافية بما يلزم عند عودتي إلى المنزل.",
                ),
                what_went_wrong(),
            ],
        },
        DefaultTemplate {
            code: PHARMACY,
            name_en: "Pharmacy Service Survey",
            name_ar: "استبيان خدمة الصيدلية",
            description_en: "Three quick questions about collecting your medicines.",
            description_ar: "ثلاثة أسئلة سريعة عن صرف أدويتك.",
            survey_type: "stage",
            scoring_method: "average",
            throttle_exempt: false,
            questions: vec![
                q(
                    "overall",
                    "rating",
                    "Overall, how would you rate the pharmacy service?",
                    "بشكل عام، كيف تقيّم خدمة الصيدلية؟",
                )
                .overall(),
                q(
                    "pharmacy_wait",
                    "multiple_choice",
                    "How long did you wait for your medicines?",
                    "كم انتظرت حتى صُرفت لك أدويتك؟",
                )
                .choices(&[
                    ("under_10", "Less than 10 minutes", "أقل من 10 دقائق", Some(5.0)),
                    ("10_20", "10 to 20 minutes", "من 10 إلى 20 دقيقة", Some(4.0)),
                    ("20_40", "20 to 40 minutes", "من 20 إلى 40 دقيقة", Some(2.0)),
                    ("over_40", "More than 40 minutes", "أكثر من 40 دقيقة", Some(1.0)),
                ]),
                q(
                    "pharmacist_explained",
                    "yes_no",
                    "Did the pharmacist explain how to take your medicines?",
                    "هل شرح لك الصيدلي طريقة استخدام أدويتك؟",
                ),
                q(
                    "all_available",
                    "yes_no",
                    "Were all the medicines you were prescribed available?",
                    "هل كانت جميع الأدوية الموصوفة لك متوفرة؟",
                ),
                what_went_wrong(),
            ],
        },
        DefaultTemplate {
            code: COMPLAINT_RESOLUTION,
            name_en: "Complaint Resolution Satisfaction",
            name_ar: "الرضا عن معالجة الشكوى",
            description_en: "Your complaint was closed. Please tell us how satisfied you are with how we handled it.",
            description_ar: "تم إغلاق شكواك. نرجو أن تخبرنا عن مدى رضاك عن طريقة تعاملنا معها.",
            survey_type: "complaint_resolution",
            scoring_method: "average",
            throttle_exempt: true,
            questions: vec![
                q(
                    "overall",
                    "rating",
                    "Overall, how satisfied are you with how your complaint was handled?",
                    "بشكل عام، ما مدى رضاك عن طريقة التعامل مع شكواك؟",
                )
                .overall(),
                q("resolved", "yes_no", "Was your complaint resolved?", "هل تمت معالجة شكواك؟"),
                q(
                    "timely",
                    "likert",
                    "We responded to my complaint within a reasonable time.",
                    "تم الرد على شكواي خلال وقت مناسب.",
                ),
                q(
                    "kept_informed",
                    "rating",
                    "How well did we keep you informed while your complaint was being handled?",
                    "كيف تقيّم تواصلنا معك وإطلاعك على سير شكواك؟",
                ),
                q(
                    "contact_again",
                    "multiple_choice",
                    "Would you contact us again if you had a concern?",
                    "هل ستتواصل معنا مرة أخرى إذا كانت لديك ملاحظة؟",
                )
                .choices(&[
                    ("yes", "Yes, certainly", "نعم، بالتأكيد", Some(5.0)),
                    ("maybe", "Maybe", "ربما", Some(3.0)),
                    ("no", "No", "لا", Some(1.0)),
                ]),
                q(
                    "what_went_wrong",
                    "textarea",
                    "We are sorry. What could we have done better with your complaint?",
                    "نعتذر منك. ما الذي كان بإمكاننا فعله بشكل أفضل في معالجة شكواك؟",
                )
                .optional()
                .show_if("overall", "lte", "2"),
            ],
        },
        DefaultTemplate {
            code: NPS,
            name_en: "Net Promoter Score Survey",
            name_ar: "استبيان مؤشر صافي الترويج",
            description_en: "One question that matters most to us, and a chance to tell us why.",
            description_ar: "سؤال واحد يهمنا كثيراً، وفرصة لتخبرنا عن السبب.",
            survey_type: "nps",
            scoring_method: "nps",
            throttle_exempt: false,
            questions: vec![
                recommend().overall(),
                q(
                    "valued_most",
                    "multiple_choice",
                    "What did you value most? (choose all that apply)",
                    "ما أكثر ما أعجبك؟ (اختر كل ما ينطبق)",
                )
                .multiple()
                .optional()
                .choices(&[
                    ("doctors", "The doctors", "الأطباء", None),
                    ("nurses", "The nursing staff", "طاقم التمريض", None),
                    ("cleanliness", "Cleanliness", "النظافة", None),
                    ("speed", "Short waiting times", "قصر فترة الانتظار", None),
                    ("facilities", "Facilities and parking", "المرافق ومواقف السيارات", None),
                ]),
                q(
                    "improve",
                    "textarea",
                    "What is the one thing we should improve?",
                    "ما أهم شيء ترى أنه يجب علينا تحسينه؟",
                )
                .optional()
                .show_if("recommend", "lte", "6"),
                q("choose_again", "yes_no", "Would you choose our hospital again?", "هل ستختار مستشفانا مرة أخرى؟"),
                q("reason", "textarea", "What is the main reason for your score?", "ما السبب الرئيسي لتقييمك؟")
                    .optional(),
            ],
        },
    ]
}

/// What [`seed_default_survey_templates`] did: every default template of the hospital by code
/// (created now or before) and how many it created.
#[derive(Debug, Clone, Default)]
pub struct Seeded {
    pub templates: Vec<(&'static str, Uuid)>,
    pub created: usize,
}

impl Seeded {
    /// The id of the default template `code`.
    pub fn id(&self, code: &str) -> Option<Uuid> {
        self.templates.iter().find(|(c, _)| *c == code).map(|(_, id)| *id)
    }
}

/// Creates and publishes the default templates in `hospital_id`, skipping those whose code the
/// hospital already has (a live template). Safe to run again.
pub async fn seed_default_survey_templates(db: &DatabaseConnection, hospital_id: Uuid) -> anyhow::Result<Seeded> {
    let existing = survey_template::Entity::find()
        .filter(survey_template::Column::HospitalId.eq(hospital_id))
        .filter(survey_template::Column::DeletedAt.is_null())
        .all(db)
        .await?;
    let mut out = Seeded::default();
    let missing: Vec<DefaultTemplate> = default_templates()
        .into_iter()
        .filter(|d| match existing.iter().find(|t| t.code == d.code) {
            Some(t) => {
                out.templates.push((d.code, t.id));
                false
            }
            None => true,
        })
        .collect();
    if missing.is_empty() {
        return Ok(out);
    }
    let txn = db.begin().await?;
    for d in missing {
        let at = now();
        let t = survey_template::ActiveModel {
            id: Set(Uuid::now_v7()),
            hospital_id: Set(hospital_id),
            code: Set(d.code.into()),
            name_en: Set(d.name_en.into()),
            name_ar: Set(d.name_ar.into()),
            survey_type: Set(d.survey_type.into()),
            is_active: Set(true),
            created_at: Set(at),
            updated_at: Set(at),
            deleted_at: Set(None),
            description_en: Set(d.description_en.into()),
            description_ar: Set(d.description_ar.into()),
            scoring_method: Set(d.scoring_method.into()),
            negative_threshold: Set(None),
            link_valid_days: Set(7),
            throttle_exempt: Set(d.throttle_exempt),
            reminder_max: Set(2),
            reminder_interval_hours: Set(48),
            current_version: Set(0),
            has_draft_changes: Set(true),
        }
        .insert(&txn)
        .await?;
        let rows: Vec<survey_question::ActiveModel> = d
            .questions
            .iter()
            .enumerate()
            .map(|(i, q)| survey_question::ActiveModel {
                id: Set(Uuid::now_v7()),
                survey_template_id: Set(t.id),
                position: Set(i as i32 + 1),
                code: Set(q.code.clone()),
                text_en: Set(q.text_en.clone()),
                text_ar: Set(q.text_ar.clone()),
                question_type: Set(q.question_type.clone()),
                is_required: Set(q.is_required),
                weight: Set(q.weight),
                choices: Set(serde_json::to_value(&q.choices).unwrap_or_else(|_| serde_json::json!([]))),
                allow_multiple: Set(q.allow_multiple),
                show_if: Set(q.show_if.as_ref().and_then(|s| serde_json::to_value(s).ok())),
                is_overall: Set(q.is_overall),
                counts_for_physician: Set(q.counts_for_physician),
                created_at: Set(at),
                updated_at: Set(at),
            })
            .collect();
        survey_question::Entity::insert_many(rows).exec(&txn).await?;
        versions::publish(&txn, &t, None)
            .await
            .map_err(|e| anyhow::anyhow!("publishing the default survey template {}: {e:?}", d.code))?;
        out.templates.push((d.code, t.id));
        out.created += 1;
    }
    txn.commit().await?;
    Ok(out)
}

/// What [`seed_hospitals`] did (or would do with `dry_run`), counted in templates.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub created: usize,
    pub unchanged: usize,
}

/// The default templates in every live hospital (or only `only`), for `px360 admin
/// seed-reference`; `dry_run` counts what would be created.
pub async fn seed_hospitals(db: &DatabaseConnection, only: Option<Uuid>, dry_run: bool) -> anyhow::Result<Outcome> {
    use crate::domains::organizations::model::hospital;
    let mut select = hospital::Entity::find().filter(hospital::Column::DeletedAt.is_null());
    if let Some(id) = only {
        select = select.filter(hospital::Column::Id.eq(id));
    }
    let defaults = default_templates().len();
    let mut out = Outcome::default();
    for h in select.all(db).await? {
        if dry_run {
            let codes: Vec<&str> = default_templates().iter().map(|d| d.code).collect();
            let have = survey_template::Entity::find()
                .filter(survey_template::Column::HospitalId.eq(h.id))
                .filter(survey_template::Column::DeletedAt.is_null())
                .filter(survey_template::Column::Code.is_in(codes))
                .all(db)
                .await?
                .len();
            out.created += defaults - have.min(defaults);
            out.unchanged += have.min(defaults);
        } else {
            let s = seed_default_survey_templates(db, h.id).await?;
            out.created += s.created;
            out.unchanged += s.templates.len() - s.created;
        }
    }
    Ok(out)
}
