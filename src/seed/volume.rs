//! `px360 admin seed-volume`: a synthetic, deterministic data set at production volume for the
//! analytics (issue 7) — by default 5 hospitals `VOL-1`…`VOL-5`, 1,000,000 completed journey
//! surveys (and ~1.4 × as many sent but never completed, so the response rate is ~40 %),
//! 100,000 complaints and 50,000 PX actions over the last 2 years, with weekly and seasonal
//! variation and a few departments and physicians clearly better or worse than the rest.
//!
//! Everything is built in memory from one seeded random generator and written with multi-row
//! INSERTs inside transactions of a few thousand rows; nothing is read back row by row. Answers
//! follow each pinned template version's questions and are scored by the survey rules; complaint
//! and action due times come from the SLA rules. Every name, phone and id is invented; survey
//! tokens are random and only their hashes are stored.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, Datelike, Duration, SubsecRound, Utc, Weekday};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Iterable, QueryFilter, QueryOrder,
    Set, TransactionTrait,
};
use serde::Serialize;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::tokens::{hash_token, random_token};
use crate::domains::complaints::calendar::WorkingCalendar;
use crate::domains::complaints::model::{complaint, complaint_category, px_action};
use crate::domains::complaints::sla::{self, ComplaintSource, Priority, Severity};
use crate::domains::complaints::workflow::{RefPrefix, reference_number};
use crate::domains::journeys::model::{journey_instance, journey_template, stage_template};
use crate::domains::organizations::model::{department, hospital, organization, patient, staff};
use crate::domains::surveys::model::{survey_instance, survey_response};
use crate::domains::surveys::rules::{self, Answer, Definition};
use crate::domains::surveys::versions;
use crate::seed::demo::{person, phone};
use crate::seed::demo_surveys::{Mood, answer_survey, reminders};

/// Physicians per hospital, by department code.
const PHYSICIANS: &[(&str, usize, &str, &str)] = &[
    ("EMR-001", 8, "Emergency Medicine", "طب الطوارئ"),
    ("OUT-002", 16, "Internal Medicine", "الطب الباطني"),
    ("INP-003", 10, "General Surgery", "الجراحة العامة"),
    ("DIA-004", 6, "Radiology", "الأشعة"),
];
/// Patients per hospital at most.
const MAX_PATIENTS: u64 = 50_000;
/// Journey surveys sent but never completed, per completed one (response rate ≈ 1 / 2.4).
const NOT_COMPLETED_PER_COMPLETED: f64 = 1.4;
/// Parameters per multi-row INSERT: under SQLite's limit of 32,766 (PostgreSQL allows 65,535).
const MAX_PARAMS: usize = 30_000;
/// Surveys buffered before a transaction is written.
const FLUSH_SURVEYS: usize = 4_000;

const COMPLAINT_TEXT: &[(&str, &str, &str)] = &[
    ("Long wait", "I waited more than three hours and nobody told me why.", "en"),
    ("انتظار طويل", "انتظرت أكثر من ثلاث ساعات دون أن يخبرني أحد بسبب التأخير.", "ar"),
    ("Appointment cancelled", "My appointment was cancelled without any call or message.", "en"),
    ("تعامل غير لائق", "كان الموظف غير متعاون ورفع صوته علينا.", "ar"),
    ("Billing error", "I was charged for a procedure that was not done.", "en"),
    ("تأخر النتائج", "لم تصلني نتائج التحاليل رغم الوعد بيومين.", "ar"),
    ("Cleanliness", "The toilets on the second floor were not clean.", "en"),
    ("عدم احترام الخصوصية", "تمت مناقشة حالتي أمام مرضى آخرين.", "ar"),
];
const ACTION_CATEGORIES: &[&str] = &["process_improvement", "training", "communication", "facility", "staffing"];

/// What to generate.
#[derive(Debug, Clone)]
pub struct Spec {
    pub hospitals: u32,
    /// Completed journey surveys.
    pub responses: u64,
    pub complaints: u64,
    pub actions: u64,
    pub years: u32,
    pub seed: u64,
}

impl Default for Spec {
    fn default() -> Self {
        Spec { hospitals: 5, responses: 1_000_000, complaints: 100_000, actions: 50_000, years: 2, seed: 1 }
    }
}

/// Rows written for one hospital.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HospitalCounts {
    pub code: String,
    pub physicians: u64,
    pub patients: u64,
    pub journey_instances: u64,
    /// Journey surveys completed (what `--responses` asks for).
    pub completed_journey_surveys: u64,
    /// Every survey instance, journey and complaint resolution surveys alike.
    pub survey_instances: u64,
    pub survey_responses: u64,
    pub complaints: u64,
    pub resolution_surveys: u64,
    pub px_actions: u64,
}

/// What `seed-volume` did (printed as JSON).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub hospitals: Vec<HospitalCounts>,
    /// Rows per table.
    pub tables: BTreeMap<&'static str, u64>,
    pub survey_statuses: BTreeMap<String, u64>,
    pub complaint_statuses: BTreeMap<String, u64>,
    pub action_statuses: BTreeMap<String, u64>,
    pub action_sources: BTreeMap<String, u64>,
    pub negative_surveys: u64,
    pub overdue_complaints: u64,
    pub overdue_actions: u64,
    /// Σ score_100 of completed surveys (a fingerprint of the answers).
    pub score_100_sum: f64,
    /// Generating and writing the rows.
    pub insert_seconds: f64,
    /// `analytics::rebuild_all` afterwards (rollups, physician ratings, KPIs).
    pub rebuild_seconds: f64,
    pub seconds: f64,
}

/// `total` split in proportion to `weights`, by cumulative rounding: the parts add up exactly.
pub fn split(total: u64, weights: &[f64]) -> Vec<u64> {
    let sum: f64 = weights.iter().sum();
    if sum <= 0.0 {
        return vec![0; weights.len()];
    }
    let mut out = Vec::with_capacity(weights.len());
    let (mut acc, mut given) = (0.0, 0u64);
    for w in weights {
        acc += w;
        let upto = ((acc / sum) * total as f64).round() as u64;
        let upto = upto.min(total);
        out.push(upto.saturating_sub(given));
        given = given.max(upto);
    }
    if let Some(last) = out.last_mut() {
        *last += total - given;
    }
    out
}

/// The hospital codes seed-volume creates.
pub fn hospital_codes(n: u32) -> Vec<String> {
    (1..=n).map(|i| format!("VOL-{i}")).collect()
}

/// Rows per multi-row INSERT into `E`: as many as fit in [`MAX_PARAMS`], at most 2,000.
fn chunk<E: EntityTrait>() -> usize {
    (MAX_PARAMS / E::Column::iter().count().max(1)).clamp(1, 2_000)
}

fn weighted<T: Copy>(rng: &mut StdRng, table: &[(T, u32)]) -> T {
    let total: u32 = table.iter().map(|(_, w)| w).sum();
    let mut r = rng.random_range(0..total.max(1));
    for (v, w) in table {
        if r < *w {
            return *v;
        }
        r -= w;
    }
    table[0].0
}

/// Activity on day `d` of `days` starting on `date`: fewer visits on Friday and Saturday, more in
/// winter, fewer during the summer holidays, and slow growth over the window.
fn day_weight(date: chrono::NaiveDate, d: usize, days: usize) -> f64 {
    let week = match date.weekday() {
        Weekday::Fri => 0.35,
        Weekday::Sat => 0.7,
        _ => 1.0,
    };
    let doy = f64::from(date.ordinal());
    let season = 1.0 + 0.15 * (2.0 * std::f64::consts::PI * (doy - 15.0) / 365.25).cos();
    let summer = if matches!(date.month(), 7 | 8) { 0.85 } else { 1.0 };
    let trend = 0.9 + 0.2 * d as f64 / days.max(1) as f64;
    week * season * summer * trend
}

/// A survey stage of a journey template of one hospital.
struct Stage {
    journey_type: String,
    journey_template_id: Uuid,
    /// Position (0-based) of the survey stage and the number of stages.
    at: usize,
    stages: usize,
    pharmacy: bool,
    template_id: Uuid,
    version_id: Uuid,
    def: Definition,
}

/// A physician and how patients tend to rate them.
struct Physician {
    id: Uuid,
    department: &'static str,
    effect: f64,
}

struct Hospital {
    index: usize,
    row: hospital::Model,
    departments: BTreeMap<String, Uuid>,
    physicians: Vec<Physician>,
    patients: Vec<Uuid>,
    stages: Vec<Stage>,
    resolution: (Uuid, Uuid, Definition),
}

/// Rows waiting for the next transaction, in foreign-key order.
#[derive(Default)]
struct Buffer {
    complaints: Vec<complaint::ActiveModel>,
    journeys: Vec<journey_instance::ActiveModel>,
    actions: Vec<px_action::ActiveModel>,
    surveys: Vec<survey_instance::ActiveModel>,
    responses: Vec<survey_response::ActiveModel>,
}

impl Buffer {
    fn rows(&self) -> usize {
        self.complaints.len() + self.journeys.len() + self.actions.len() + self.surveys.len() + self.responses.len()
    }
}

/// Progress on stderr every ~5 %.
struct Progress {
    started: Instant,
    planned: u64,
    done: u64,
    rows: u64,
    next: u64,
}

impl Progress {
    fn advance(&mut self, units: u64, rows: u64) {
        self.done += units;
        self.rows += rows;
        let pct = self.done * 100 / self.planned.max(1);
        if pct >= self.next {
            let secs = self.started.elapsed().as_secs_f64();
            eprintln!(
                "seed-volume: {pct:>3} % — {} of {} records generated, {} rows written in {secs:.0} s ({:.0} rows/s)",
                self.done,
                self.planned,
                self.rows,
                self.rows as f64 / secs.max(0.001)
            );
            self.next = pct - pct % 5 + 5;
        }
    }
}

struct Generator<'a> {
    state: &'a AppState,
    spec: &'a Spec,
    now: DateTime<Utc>,
    /// Midnight (UTC) of the first day, and the number of days.
    start: DateTime<Utc>,
    days: usize,
    day_weights: Vec<f64>,
    rng: StdRng,
    buffer: Buffer,
    summary: Summary,
    progress: Progress,
    complaint_no: u32,
    action_no: u32,
    calendar: WorkingCalendar,
}

/// Refuses when any of the `VOL-n` hospitals exists.
async fn refuse_existing(db: &DatabaseConnection, codes: &[String]) -> anyhow::Result<()> {
    let existing = hospital::Entity::find()
        .filter(hospital::Column::Code.is_in(codes.iter().cloned()))
        .filter(hospital::Column::DeletedAt.is_null())
        .all(db)
        .await?;
    if !existing.is_empty() {
        let mut found: Vec<String> = existing.into_iter().map(|h| h.code).collect();
        found.sort();
        anyhow::bail!(
            "hospital(s) {} already exist: seed-volume refuses to add to an earlier run (use a fresh database)",
            found.join(", ")
        );
    }
    Ok(())
}

/// Generates the data set of `spec` as of `now`; see the module documentation.
pub async fn seed_volume(state: &AppState, spec: &Spec, now: DateTime<Utc>) -> anyhow::Result<Summary> {
    anyhow::ensure!(spec.hospitals >= 1 && spec.years >= 1, "--hospitals and --years must be at least 1");
    let db = &state.db;
    let codes = hospital_codes(spec.hospitals);
    refuse_existing(db, &codes).await?;
    let started = Instant::now();
    crate::seed::reference::seed_notification_templates(db, false).await?;
    crate::seed::taxonomy::seed_taxonomy(db, false).await?;

    let now = now.trunc_subsecs(0);
    let days = spec.years as usize * 365;
    let today = now.date_naive().and_hms_opt(0, 0, 0).map_or(now, |t| t.and_utc());
    let start = today - Duration::days(days as i64);
    let day_weights: Vec<f64> =
        (0..days).map(|d| day_weight((start + Duration::days(d as i64)).date_naive(), d, days)).collect();
    let mut g = Generator {
        state,
        spec,
        now,
        start,
        days,
        day_weights,
        rng: StdRng::seed_from_u64(spec.seed),
        buffer: Buffer::default(),
        summary: Summary { from: start, to: now, ..Summary::default() },
        progress: Progress {
            started,
            planned: spec.responses
                + (spec.responses as f64 * NOT_COMPLETED_PER_COMPLETED).round() as u64
                + spec.complaints
                + spec.actions,
            done: 0,
            rows: 0,
            next: 0,
        },
        complaint_no: 0,
        action_no: 0,
        calendar: WorkingCalendar::default(),
    };
    let categories: Vec<Uuid> = complaint_category::Entity::find()
        .filter(complaint_category::Column::Level.eq(3))
        .filter(complaint_category::Column::HospitalId.is_null())
        .filter(complaint_category::Column::DeletedAt.is_null())
        .order_by_asc(complaint_category::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    anyhow::ensure!(!categories.is_empty(), "the complaint taxonomy is empty");

    // Bigger and smaller hospitals.
    let sizes: Vec<f64> = (0..spec.hospitals as usize).map(|i| [1.4, 1.2, 1.0, 0.8, 0.6][i % 5]).collect();
    let completed = split(spec.responses, &sizes);
    let not_completed = split((spec.responses as f64 * NOT_COMPLETED_PER_COMPLETED).round() as u64, &sizes);
    let complaints = split(spec.complaints, &sizes);
    let actions = split(spec.actions, &sizes);
    let org = organization_row(db, now).await?;
    for (i, code) in codes.iter().enumerate() {
        let total_surveys = completed[i] + not_completed[i];
        let patients = (total_surveys / 8).clamp(50, MAX_PATIENTS);
        let h = g.setup_hospital(i, code, org, patients).await?;
        g.summary.hospitals.push(HospitalCounts {
            code: code.clone(),
            physicians: h.physicians.len() as u64,
            patients: h.patients.len() as u64,
            ..HospitalCounts::default()
        });
        // Actions: 35 % on complaints, 40 % on negative surveys, the rest (and whatever the
        // negative surveys do not take) manual.
        let on_complaints = (actions[i] as f64 * 0.35).round() as u64;
        let on_surveys = (actions[i] as f64 * 0.40).round() as u64;
        let on_complaints = on_complaints.min(complaints[i]);
        g.complaints(&h, complaints[i], on_complaints, &categories).await?;
        let taken = g.journey_surveys(&h, completed[i], not_completed[i], on_surveys).await?;
        let manual = actions[i] - on_complaints - taken;
        g.manual_actions(&h, manual).await?;
        g.flush().await?;
    }
    let mut summary = g.summary;
    summary.insert_seconds = (started.elapsed().as_secs_f64() * 10.0).round() / 10.0;
    // PostgreSQL plans the rebuild's reads from table statistics: refresh them after a bulk load
    // (autovacuum would, minutes later).
    if matches!(db.get_database_backend(), sea_orm::DatabaseBackend::Postgres) {
        db.execute_unprepared("ANALYZE").await?;
    }
    // Every rollup, physician rating and KPI, computed from the rows above.
    eprintln!("seed-volume: rows written; rebuilding the analytics…");
    let rebuilding = Instant::now();
    let mut progress = crate::seed::admin::rebuild_progress("seed-volume");
    crate::domains::analytics::rebuild_all(state, now, &mut progress).await?;
    summary.rebuild_seconds = (rebuilding.elapsed().as_secs_f64() * 10.0).round() / 10.0;
    for h in &summary.hospitals {
        *summary.tables.entry("hospitals").or_default() += 1;
        *summary.tables.entry("departments").or_default() += crate::seed::reference::STANDARD_DEPARTMENTS.len() as u64;
        *summary.tables.entry("staff").or_default() += h.physicians;
        *summary.tables.entry("patients").or_default() += h.patients;
        *summary.tables.entry("journey_instances").or_default() += h.journey_instances;
        *summary.tables.entry("survey_instances").or_default() += h.survey_instances;
        *summary.tables.entry("survey_responses").or_default() += h.survey_responses;
        *summary.tables.entry("complaints").or_default() += h.complaints;
        *summary.tables.entry("px_actions").or_default() += h.px_actions;
    }
    summary.score_100_sum = rules::round2(summary.score_100_sum);
    summary.seconds = (started.elapsed().as_secs_f64() * 10.0).round() / 10.0;
    Ok(summary)
}

/// The VOL organization (reused when a previous run with other hospitals created it).
async fn organization_row(db: &DatabaseConnection, at: DateTime<Utc>) -> anyhow::Result<Uuid> {
    if let Some(o) = organization::Entity::find()
        .filter(organization::Column::Code.eq("VOL"))
        .filter(organization::Column::DeletedAt.is_null())
        .one(db)
        .await?
    {
        return Ok(o.id);
    }
    let o = organization::ActiveModel {
        id: Set(Uuid::now_v7()),
        code: Set("VOL".into()),
        name_en: Set("Volume Test Group (synthetic)".into()),
        name_ar: Set("مجموعة اختبار الحجم (بيانات مصطنعة)".into()),
        phone: Set("+966110000000".into()),
        email: Set("info@vol.invalid".into()),
        address: Set("Riyadh".into()),
        license_number: Set("VOL-ORG".into()),
        status: Set("active".into()),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(o.id)
}

/// How a hospital's patients rate it compared with the others (VOL-4 best, VOL-5 worst).
fn hospital_effect(index: usize) -> f64 {
    [0.03, 0.0, -0.03, 0.08, -0.10][index % 5]
}

/// How a department's patients rate it: the emergency department worst, diagnostics best.
fn department_effect(code: &str) -> f64 {
    match code {
        "EMR-001" => -0.12,
        "OUT-002" => 0.03,
        "DIA-004" => 0.06,
        _ => 0.0,
    }
}

fn mood(rng: &mut StdRng, effect: f64) -> Mood {
    let good = (0.70 + effect).clamp(0.2, 0.95);
    let bad = (0.08 - 0.6 * effect).clamp(0.01, 0.4).min(1.0 - good);
    let r: f64 = rng.random();
    if r < good {
        Mood::Good
    } else if r < good + bad {
        Mood::Bad
    } else {
        Mood::Mixed
    }
}

#[expect(clippy::too_many_arguments, reason = "one survey's positional values")]
fn survey_row(
    h: &Hospital,
    template: (Uuid, Uuid),
    id: Uuid,
    channel: &str,
    language: &str,
    scheduled: DateTime<Utc>,
    sent: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> survey_instance::ActiveModel {
    survey_instance::ActiveModel {
        id: Set(id),
        hospital_id: Set(h.row.id),
        survey_template_id: Set(template.0),
        template_version_id: Set(Some(template.1)),
        patient_id: Set(None),
        journey_instance_id: Set(None),
        stage_instance_id: Set(None),
        complaint_id: Set(None),
        department_id: Set(None),
        physician_id: Set(None),
        parent_id: Set(None),
        source: Set("journey".into()),
        status: Set("sent".into()),
        suppression_reason: Set(String::new()),
        channel: Set(channel.into()),
        language: Set(language.into()),
        token_hash: Set(hash_token(&random_token())),
        token_expires_at: Set(expires),
        scheduled_for: Set(scheduled),
        message_id: Set(None),
        sent_at: Set(Some(sent)),
        opened_at: Set(None),
        started_at: Set(None),
        completed_at: Set(None),
        last_activity_at: Set(None),
        reminder_count: Set(0),
        last_reminder_at: Set(None),
        total_score: Set(None),
        score_100: Set(None),
        is_negative: Set(false),
        action_id: Set(None),
        created_by: Set(None),
        created_at: Set(scheduled),
        updated_at: Set(sent),
    }
}

/// A completed survey's answers and scores.
struct Scored {
    answers: BTreeMap<String, Answer>,
    total: Option<f64>,
    negative: bool,
}

impl Generator<'_> {
    fn day_start(&self, d: usize) -> DateTime<Utc> {
        self.start + Duration::days(d as i64)
    }

    async fn setup_hospital(&mut self, index: usize, code: &str, org: Uuid, patients: u64) -> anyhow::Result<Hospital> {
        let db = &self.state.db;
        let at = self.start - Duration::days(1);
        let row = hospital::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(Some(org)),
            code: Set(code.into()),
            his_code: Set(format!("V{}", index + 1)),
            name_en: Set(format!("Volume Hospital {} (synthetic)", index + 1)),
            name_ar: Set(format!("مستشفى الحجم {} (مصطنع)", index + 1)),
            city: Set("Riyadh".into()),
            phone: Set(phone(&mut self.rng)),
            email: Set(format!("{}@vol.invalid", code.to_lowercase())),
            address: Set(String::new()),
            license_number: Set(format!("LIC-{code}")),
            status: Set("active".into()),
            default_language: Set("ar".into()),
            auto_create_action_on_complaint: Set(false),
            quiet_hours_start: Set(22),
            quiet_hours_end: Set(8),
            survey_throttle_days: Set(30),
            created_at: Set(at),
            updated_at: Set(at),
            deleted_at: Set(None),
        }
        .insert(db)
        .await?;
        crate::seed::reference::seed_departments(db, Some(row.id), false, false).await?;
        for def in crate::seed::bench::STANDARD_JOURNEYS {
            crate::seed::bench::seed_journey(db, row.id, def, true).await?;
        }
        let departments: BTreeMap<String, Uuid> = department::Entity::find()
            .filter(department::Column::HospitalId.eq(row.id))
            .filter(department::Column::DeletedAt.is_null())
            .all(db)
            .await?
            .into_iter()
            .map(|d| (d.code, d.id))
            .collect();

        // Physicians: most ordinary, one in ten clearly better, one in ten clearly worse.
        let mut physicians = Vec::new();
        let mut staff_rows = Vec::new();
        let mut n = 0;
        for (dept, count, spec_en, spec_ar) in PHYSICIANS {
            for _ in 0..*count {
                n += 1;
                let id = Uuid::now_v7();
                let effect = match self.rng.random_range(0..10) {
                    0 => 0.18,
                    1 => -0.30,
                    _ => self.rng.random_range(-0.05..0.05),
                };
                physicians.push(Physician { id, department: dept, effect });
                let (first, family, _) = person(&mut self.rng);
                staff_rows.push(staff::ActiveModel {
                    id: Set(id),
                    hospital_id: Set(row.id),
                    department_id: Set(departments.get(*dept).copied()),
                    user_id: Set(None),
                    staff_type: Set("physician".into()),
                    employee_id: Set(format!("VEMP{n:04}")),
                    first_name_en: Set(format!("Dr. {}", first.0)),
                    last_name_en: Set(family.0.into()),
                    first_name_ar: Set(format!("د. {}", first.1)),
                    last_name_ar: Set(family.1.into()),
                    email: Set(format!("dr{n}.{}@vol.invalid", code.to_lowercase())),
                    phone: Set(phone(&mut self.rng)),
                    job_title_en: Set("Consultant".into()),
                    job_title_ar: Set("استشاري".into()),
                    license_number: Set(Some(format!("VPHY{n:04}"))),
                    specialization_en: Set((*spec_en).into()),
                    specialization_ar: Set((*spec_ar).into()),
                    status: Set("active".into()),
                    created_at: Set(at),
                    updated_at: Set(at),
                    deleted_at: Set(None),
                });
            }
        }
        staff::Entity::insert_many(staff_rows).exec_without_returning(db).await?;

        let mut patient_ids = Vec::with_capacity(patients as usize);
        let mut rows = Vec::new();
        for i in 0..patients {
            let (first, family, gender) = person(&mut self.rng);
            let saudi = self.rng.random_bool(0.75);
            let id = Uuid::now_v7();
            patient_ids.push(id);
            rows.push(patient::ActiveModel {
                id: Set(id),
                hospital_id: Set(row.id),
                mrn: Set(format!("VMRN-{}-{:06}", index + 1, i + 1)),
                national_id: Set(format!(
                    "{}{:09}",
                    if saudi { 1 } else { 2 },
                    self.rng.random_range(0..1_000_000_000u32)
                )),
                first_name_en: Set(first.0.into()),
                last_name_en: Set(family.0.into()),
                first_name_ar: Set(first.1.into()),
                last_name_ar: Set(family.1.into()),
                phone: Set(phone(&mut self.rng)),
                email: Set(String::new()),
                gender: Set(gender.into()),
                date_of_birth: Set(chrono::NaiveDate::from_ymd_opt(
                    self.rng.random_range(1945..2015),
                    self.rng.random_range(1..=12),
                    self.rng.random_range(1..=28),
                )),
                nationality: Set(if saudi { "Saudi" } else { "Egyptian" }.into()),
                preferred_language: Set(if saudi { "ar" } else { "en" }.into()),
                preferred_channel: Set(if self.rng.random_bool(0.8) { "sms" } else { "whatsapp" }.into()),
                is_deceased: Set(false),
                created_at: Set(at),
                updated_at: Set(at),
                deleted_at: Set(None),
            });
            if rows.len() >= 2_000 {
                self.insert_patients(std::mem::take(&mut rows)).await?;
            }
        }
        self.insert_patients(rows).await?;

        let stages = survey_stages(db, row.id).await?;
        anyhow::ensure!(!stages.is_empty(), "hospital {code} has no journey survey stages");
        let seeded = crate::seed::survey_templates::seed_default_survey_templates(db, row.id).await?;
        let resolution_template = seeded
            .id(crate::seed::survey_templates::COMPLAINT_RESOLUTION)
            .ok_or_else(|| anyhow::anyhow!("no complaint resolution survey template"))?;
        let version = versions::current(db, resolution_template)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the complaint resolution survey template is not published"))?;
        let def = versions::definition(&version).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        Ok(Hospital {
            index,
            row,
            departments,
            physicians,
            patients: patient_ids,
            stages,
            resolution: (resolution_template, version.id, def),
        })
    }

    async fn insert_patients(&mut self, rows: Vec<patient::ActiveModel>) -> anyhow::Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let _turn = self.state.write_turn().await;
        let txn = self.state.db.begin().await?;
        for part in rows.chunks(chunk::<patient::Entity>()) {
            patient::Entity::insert_many(part.to_vec()).exec_without_returning(&txn).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Writes the buffered rows in one transaction.
    async fn flush(&mut self) -> anyhow::Result<()> {
        let b = std::mem::take(&mut self.buffer);
        let rows = b.rows() as u64;
        if rows == 0 {
            return Ok(());
        }
        let _turn = self.state.write_turn().await;
        let txn = self.state.db.begin().await?;
        for part in b.complaints.chunks(chunk::<complaint::Entity>()) {
            complaint::Entity::insert_many(part.to_vec()).exec_without_returning(&txn).await?;
        }
        for part in b.journeys.chunks(chunk::<journey_instance::Entity>()) {
            journey_instance::Entity::insert_many(part.to_vec()).exec_without_returning(&txn).await?;
        }
        for part in b.actions.chunks(chunk::<px_action::Entity>()) {
            px_action::Entity::insert_many(part.to_vec()).exec_without_returning(&txn).await?;
        }
        for part in b.surveys.chunks(chunk::<survey_instance::Entity>()) {
            survey_instance::Entity::insert_many(part.to_vec()).exec_without_returning(&txn).await?;
        }
        for part in b.responses.chunks(chunk::<survey_response::Entity>()) {
            survey_response::Entity::insert_many(part.to_vec()).exec_without_returning(&txn).await?;
        }
        txn.commit().await?;
        self.progress.rows += rows;
        Ok(())
    }

    async fn maybe_flush(&mut self) -> anyhow::Result<()> {
        if self.buffer.surveys.len() + self.buffer.complaints.len() + self.buffer.actions.len() >= FLUSH_SURVEYS {
            self.flush().await?;
        }
        Ok(())
    }

    fn count(&mut self, h: &Hospital) -> &mut HospitalCounts {
        let i = h.index;
        &mut self.summary.hospitals[i]
    }

    fn answer(&mut self, def: &Definition, mood: Mood, language: &str) -> anyhow::Result<Scored> {
        let mut answers = answer_survey(def, mood, language, None, &mut self.rng)?;
        // Comments on a small share: most optional free-text answers are dropped (not scored).
        let drop: Vec<String> = answers
            .keys()
            .filter(|code| {
                def.question(code)
                    .is_some_and(|q| !q.is_required && matches!(q.question_type.as_str(), "text" | "textarea"))
            })
            .cloned()
            .collect();
        for code in drop {
            if self.rng.random_bool(0.75) {
                answers.remove(&code);
            }
        }
        let total = rules::total_score(def, &answers);
        Ok(Scored { negative: rules::is_negative(total, def.negative_threshold), total, answers })
    }

    fn push_responses(&mut self, def: &Definition, survey_id: Uuid, scored: &Scored, when: DateTime<Utc>) -> u64 {
        let mut n = 0;
        for (code, answer) in &scored.answers {
            let Some(q) = def.question(code) else { continue };
            let (number, text, choices) = match answer {
                Answer::Number(v) => (Some(*v), String::new(), None),
                Answer::Text(t) => (None, t.clone(), None),
                Answer::Choices(c) => (None, String::new(), Some(serde_json::json!(c))),
            };
            self.buffer.responses.push(survey_response::ActiveModel {
                id: Set(Uuid::now_v7()),
                survey_instance_id: Set(survey_id),
                question_code: Set(code.clone()),
                value_number: Set(number),
                value_text: Set(text),
                value_choices: Set(choices),
                score: Set(rules::answer_score(q, answer)),
                created_at: Set(when),
                updated_at: Set(when),
            });
            n += 1;
        }
        n
    }

    fn status_count(map: &mut BTreeMap<String, u64>, status: &str) {
        *map.entry(status.to_owned()).or_default() += 1;
    }

    /// The complaints of one hospital, `with_action` of them with a PX Action, and for a share of
    /// the closed ones a complaint resolution survey.
    async fn complaints(
        &mut self,
        h: &Hospital,
        total: u64,
        with_action: u64,
        categories: &[Uuid],
    ) -> anyhow::Result<()> {
        let per_day = split(total, &self.day_weights);
        let departments: Vec<(&str, u32)> =
            vec![("EMR-001", 35), ("OUT-002", 30), ("INP-003", 20), ("DIA-004", 10), ("ADM-005", 5)];
        let sources = [
            (ComplaintSource::Patient, 30),
            (ComplaintSource::Family, 15),
            (ComplaintSource::CallCenter, 15),
            (ComplaintSource::Moh, 12),
            (ComplaintSource::Chi, 8),
            (ComplaintSource::SocialMedia, 5),
            (ComplaintSource::Staff, 5),
            (ComplaintSource::Survey, 5),
            (ComplaintSource::Insurer, 3),
            (ComplaintSource::Other, 2),
        ];
        let severities = [(Severity::Low, 25), (Severity::Medium, 45), (Severity::High, 22), (Severity::Critical, 8)];
        let priorities = [(Priority::Low, 25), (Priority::Medium, 50), (Priority::High, 25)];
        let mut seen = 0u64;
        let mut picked = 0u64;
        for (d, count) in per_day.iter().enumerate() {
            for _ in 0..*count {
                let received = self.day_start(d)
                    + Duration::minutes(self.rng.random_range(0..24 * 60))
                    + Duration::seconds(self.rng.random_range(0..60));
                let received = received.min(self.now - Duration::minutes(1));
                let source = weighted(&mut self.rng, &sources);
                let severity = weighted(&mut self.rng, &severities);
                let priority = weighted(&mut self.rng, &priorities);
                let dept = weighted(&mut self.rng, &departments);
                // A skewed category mix: a few categories take most complaints.
                let c = ((self.rng.random::<f64>().powi(2)) * categories.len() as f64) as usize;
                let category = categories[c.min(categories.len() - 1)];
                let plan = sla::complaint_sla(&[], source, severity, priority, received, &self.calendar);
                let due = plan.times.due_at;
                let age_days = (self.now - received).num_days();
                let table: [(&str, u32); 5] = if age_days >= 30 {
                    [("closed", 62), ("resolved", 22), ("cancelled", 3), ("in_progress", 8), ("open", 5)]
                } else if age_days >= 7 {
                    [("closed", 35), ("resolved", 30), ("cancelled", 3), ("in_progress", 20), ("open", 12)]
                } else {
                    [("closed", 10), ("resolved", 20), ("cancelled", 2), ("in_progress", 38), ("open", 30)]
                };
                let mut status = weighted(&mut self.rng, &table);
                let sla_hours = plan.rule.sla_hours as f64;
                let met = self.rng.random_bool(0.78);
                let factor = if met { self.rng.random_range(0.1..1.0) } else { self.rng.random_range(1.05..4.0) };
                let resolved_at = received + Duration::minutes((sla_hours * 60.0 * factor) as i64);
                let closed_at = resolved_at + Duration::minutes(self.rng.random_range(60..48 * 60));
                if matches!(status, "resolved" | "closed") && resolved_at > self.now {
                    status = "in_progress";
                }
                if status == "closed" && closed_at > self.now {
                    status = "resolved";
                }
                let assigned_at = received + Duration::minutes(self.rng.random_range(10..6 * 60));
                if status == "in_progress" && assigned_at > self.now {
                    status = "open";
                }
                let cancelled_at = received + Duration::minutes(self.rng.random_range(60..72 * 60));
                if status == "cancelled" && cancelled_at > self.now {
                    status = "open";
                }
                let running = matches!(status, "open" | "in_progress");
                let overdue = sla::is_overdue(running, Some(due), self.now);
                let hours_overdue = if overdue { sla::hours_overdue(due, self.now) } else { 0 };
                let level = match (overdue, hours_overdue) {
                    (false, _) => 0,
                    (true, 24..) => 3,
                    (true, 12..) => 2,
                    _ => 1,
                };
                let resolved = matches!(status, "resolved" | "closed");
                let status_changed_at = match status {
                    "closed" => Some(closed_at),
                    "resolved" => Some(resolved_at),
                    "cancelled" => Some(cancelled_at),
                    "in_progress" => Some(assigned_at),
                    _ => None,
                };
                let last_touch = status_changed_at.unwrap_or(received);
                // Reminders went while the clock ran.
                let horizon = if running { self.now } else { last_touch };
                let reminder_sent = |at: Option<DateTime<Utc>>| at.filter(|t| *t <= horizon);
                let (title, description, language) = COMPLAINT_TEXT[self.rng.random_range(0..COMPLAINT_TEXT.len())];
                let (first, family, _) = person(&mut self.rng);
                let patient_id = h.patients[self.rng.random_range(0..h.patients.len())];
                self.complaint_no += 1;
                let id = Uuid::now_v7();
                let department_id = h.departments.get(dept).copied();
                let resolution_category = weighted(
                    &mut self.rng,
                    &[
                        ("full_action_taken", 60),
                        ("partial_action_taken", 20),
                        ("no_action_needed", 15),
                        ("cannot_resolve", 5),
                    ],
                );
                self.buffer.complaints.push(complaint::ActiveModel {
                    id: Set(id),
                    hospital_id: Set(h.row.id),
                    reference_number: Set(reference_number(
                        RefPrefix::Cmp,
                        received,
                        ((self.spec.seed as u32 & 0x1FF) << 21) | self.complaint_no,
                    )),
                    complaint_type: Set("complaint".into()),
                    source: Set(source.as_str().into()),
                    source_type: Set(source.source_type().as_str().into()),
                    external_reference: Set(String::new()),
                    parent_complaint_id: Set(None),
                    patient_id: Set(Some(patient_id)),
                    complainant_name: Set(format!("{} {}", first.0, family.0)),
                    complainant_phone: Set(phone(&mut self.rng)),
                    complainant_email: Set(String::new()),
                    complainant_relation: Set(
                        if source == ComplaintSource::Family { "relative" } else { "self" }.into()
                    ),
                    department_id: Set(department_id),
                    encounter_id: Set(String::new()),
                    category_id: Set(Some(category)),
                    staff_id: Set(None),
                    title: Set(title.into()),
                    description: Set(description.into()),
                    language: Set(language.into()),
                    priority: Set(priority.as_str().into()),
                    severity: Set(severity.as_str().into()),
                    status: Set(status.into()),
                    status_changed_at: Set(status_changed_at),
                    assigned_to: Set(None),
                    assigned_at: Set((status != "open").then_some(assigned_at.min(last_touch))),
                    received_at: Set(received),
                    sla_config_id: Set(None),
                    clock_mode: Set(plan.rule.clock_mode.as_str().into()),
                    due_at: Set(Some(due)),
                    first_reminder_at: Set(plan.times.first_reminder_at),
                    second_reminder_at: Set(plan.times.second_reminder_at),
                    first_reminder_sent_at: Set(reminder_sent(plan.times.first_reminder_at)),
                    second_reminder_sent_at: Set(reminder_sent(plan.times.second_reminder_at)),
                    escalation_at: Set(plan.times.escalation_at),
                    is_overdue: Set(overdue),
                    escalation_level: Set(level),
                    escalated_at: Set((level > 0).then(|| due + Duration::hours([0, 0, 12, 24][level as usize]))),
                    resolution: Set(if resolved {
                        "We called the patient back and fixed the cause. تم التواصل مع المريض ومعالجة السبب.".into()
                    } else {
                        String::new()
                    }),
                    resolution_category: Set(resolved.then(|| resolution_category.to_owned())),
                    resolved_by: Set(None),
                    resolved_at: Set(resolved.then_some(resolved_at)),
                    closed_by: Set(None),
                    closed_at: Set((status == "closed").then_some(closed_at)),
                    cancelled_by: Set(None),
                    cancelled_at: Set((status == "cancelled").then_some(cancelled_at)),
                    harm_level: Set(String::new()),
                    stage_of_care: Set(String::new()),
                    metadata: Set(serde_json::json!({})),
                    created_by: Set(None),
                    created_at: Set(received),
                    updated_at: Set(last_touch),
                    deleted_at: Set(None),
                });
                Self::status_count(&mut self.summary.complaint_statuses, status);
                self.summary.overdue_complaints += u64::from(overdue);
                self.count(h).complaints += 1;

                // Selection sampling: exactly `with_action` complaints get an action.
                let left = total - seen;
                seen += 1;
                if picked < with_action && self.rng.random_range(0..left) < with_action - picked {
                    picked += 1;
                    let created = (received + Duration::minutes(self.rng.random_range(30..48 * 60))).min(self.now);
                    self.push_action(
                        h,
                        "complaint",
                        Some(id),
                        true,
                        format!("Follow-up on complaint: {title}"),
                        department_id,
                        severity,
                        priority,
                        created,
                    );
                }

                // A complaint resolution survey for most closed complaints.
                if status == "closed" && self.rng.random_bool(0.6) {
                    let good = if met { 0.7 } else { 0.4 };
                    let effect = good - 0.70;
                    self.resolution_survey(h, id, patient_id, department_id, closed_at, effect)?;
                }
                self.progress.advance(1, 0);
                self.maybe_flush().await?;
            }
        }
        Ok(())
    }

    fn resolution_survey(
        &mut self,
        h: &Hospital,
        complaint_id: Uuid,
        patient_id: Uuid,
        department_id: Option<Uuid>,
        closed_at: DateTime<Utc>,
        effect: f64,
    ) -> anyhow::Result<()> {
        let (template_id, version_id, def) = (h.resolution.0, h.resolution.1, &h.resolution.2);
        let sent = closed_at + Duration::minutes(self.rng.random_range(1..10));
        if sent > self.now {
            return Ok(());
        }
        let expires = rules::expires_at(sent, 7);
        let id = Uuid::now_v7();
        let mut row = survey_row(h, (template_id, version_id), id, "sms", "ar", closed_at, sent, expires);
        row.source = Set("complaint".into());
        row.complaint_id = Set(Some(complaint_id));
        row.patient_id = Set(Some(patient_id));
        row.department_id = Set(department_id);
        let finished = sent + Duration::minutes(self.rng.random_range(5..3 * 24 * 60));
        let status;
        if self.rng.random_bool(0.7) && finished <= self.now {
            let m = mood(&mut self.rng, effect);
            let scored = self.answer(def, m, "ar")?;
            self.complete(&mut row, def, &scored, sent, finished);
            let n = self.push_responses(def, id, &scored, finished);
            self.count(h).survey_responses += n;
            status = "completed";
        } else {
            status = if expires <= self.now { "expired" } else { "delivered" };
            row.status = Set(status.into());
            let (count, last) = reminders(sent, self.now.min(expires), expires);
            row.reminder_count = Set(count);
            row.last_reminder_at = Set(last);
        }
        Self::status_count(&mut self.summary.survey_statuses, status);
        self.buffer.surveys.push(row);
        let c = self.count(h);
        c.survey_instances += 1;
        c.resolution_surveys += 1;
        Ok(())
    }

    /// Marks `row` completed with `scored` at `finished`.
    fn complete(
        &mut self,
        row: &mut survey_instance::ActiveModel,
        def: &Definition,
        scored: &Scored,
        sent: DateTime<Utc>,
        finished: DateTime<Utc>,
    ) {
        let opened = (finished - Duration::minutes(self.rng.random_range(1..6))).max(sent);
        row.status = Set("completed".into());
        row.opened_at = Set(Some(opened));
        row.started_at = Set(Some(opened));
        row.completed_at = Set(Some(finished));
        row.last_activity_at = Set(Some(finished));
        row.total_score = Set(scored.total);
        row.score_100 = Set(scored.total.map(|t| rules::normalised(&def.scoring_method, t)));
        row.is_negative = Set(scored.negative);
        row.updated_at = Set(finished);
        let (count, last) = reminders(sent, opened, rules::expires_at(sent, 7));
        row.reminder_count = Set(count);
        row.last_reminder_at = Set(last);
        if let Some(t) = scored.total {
            self.summary.score_100_sum += rules::normalised(&def.scoring_method, t);
        }
        self.summary.negative_surveys += u64::from(scored.negative);
    }

    #[expect(clippy::too_many_arguments, reason = "one action's positional values")]
    fn push_action(
        &mut self,
        h: &Hospital,
        source_type: &str,
        source_id: Option<Uuid>,
        auto_created: bool,
        title: String,
        department_id: Option<Uuid>,
        severity: Severity,
        priority: Priority,
        created: DateTime<Utc>,
    ) -> Uuid {
        let times = sla::action_sla(severity, priority, created, &self.calendar);
        let due = times.due_at;
        let age_days = (self.now - created).num_days();
        let table: [(&str, u32); 6] = if age_days >= 30 {
            [
                ("closed", 60),
                ("approved", 8),
                ("cancelled", 5),
                ("pending_approval", 5),
                ("in_progress", 12),
                ("open", 10),
            ]
        } else {
            [
                ("closed", 8),
                ("approved", 5),
                ("cancelled", 2),
                ("pending_approval", 15),
                ("in_progress", 35),
                ("open", 35),
            ]
        };
        let mut status = weighted(&mut self.rng, &table);
        let hours = sla::action_sla_hours(severity, priority) as f64;
        let submitted = created + Duration::minutes((hours * 60.0 * self.rng.random_range(0.2..1.4)) as i64);
        let approved = submitted + Duration::minutes(self.rng.random_range(60..72 * 60));
        let closed = approved + Duration::minutes(self.rng.random_range(10..24 * 60));
        let cancelled = created + Duration::minutes(self.rng.random_range(60..96 * 60));
        let fits = |status: &str| match status {
            "pending_approval" => submitted <= self.now,
            "approved" => approved <= self.now,
            "closed" => closed <= self.now,
            "cancelled" => cancelled <= self.now,
            _ => true,
        };
        if !fits(status) {
            status = "in_progress";
        }
        let running = matches!(status, "open" | "in_progress");
        let overdue = sla::is_overdue(running, Some(due), self.now);
        let hours_overdue = if overdue { sla::hours_overdue(due, self.now) } else { 0 };
        let level = match (overdue, hours_overdue) {
            (false, _) => 0,
            (true, 96..) => 3,
            (true, 48..) => 2,
            _ => 1,
        };
        let changed = match status {
            "pending_approval" => Some(submitted),
            "approved" => Some(approved),
            "closed" => Some(closed),
            "cancelled" => Some(cancelled),
            "in_progress" => Some(created + Duration::minutes(30)).filter(|t| *t <= self.now),
            _ => None,
        };
        let after_submit = matches!(status, "pending_approval" | "approved" | "closed");
        let category = ACTION_CATEGORIES[self.rng.random_range(0..ACTION_CATEGORIES.len())];
        self.action_no += 1;
        let id = Uuid::now_v7();
        self.buffer.actions.push(px_action::ActiveModel {
            id: Set(id),
            hospital_id: Set(h.row.id),
            reference_number: Set(reference_number(
                RefPrefix::Act,
                created,
                ((self.spec.seed as u32 & 0x1FF) << 21) | self.action_no,
            )),
            source_type: Set(source_type.into()),
            source_id: Set(source_id),
            title: Set(title),
            description: Set("Synthetic action of the volume data set.".into()),
            department_id: Set(department_id),
            category: Set(if auto_created { String::new() } else { category.into() }),
            priority: Set(priority.as_str().into()),
            severity: Set(severity.as_str().into()),
            status: Set(status.into()),
            status_changed_at: Set(changed),
            assigned_to: Set(None),
            assigned_at: Set(None),
            auto_created: Set(auto_created),
            requires_approval: Set(true),
            clock_mode: Set(sla::action_rule(severity, priority).clock_mode.as_str().into()),
            due_at: Set(Some(due)),
            reminder_at: Set(times.first_reminder_at),
            reminder_sent_at: Set(times.first_reminder_at.filter(|t| *t <= self.now && running)),
            is_overdue: Set(overdue),
            escalation_level: Set(level),
            escalated_at: Set((level > 0).then(|| due + Duration::hours([0, 0, 48, 96][level as usize]))),
            resolution_notes: Set(if after_submit { "Done; evidence attached.".into() } else { String::new() }),
            submitted_by: Set(None),
            submitted_at: Set(after_submit.then_some(submitted)),
            approved_by: Set(None),
            approved_at: Set(matches!(status, "approved" | "closed").then_some(approved)),
            closed_by: Set(None),
            closed_at: Set((status == "closed").then_some(closed)),
            cancelled_by: Set(None),
            cancelled_at: Set((status == "cancelled").then_some(cancelled)),
            metadata: Set(serde_json::json!({})),
            created_by: Set(None),
            created_at: Set(created),
            updated_at: Set(changed.unwrap_or(created)),
            deleted_at: Set(None),
        });
        Self::status_count(&mut self.summary.action_statuses, status);
        Self::status_count(&mut self.summary.action_sources, source_type);
        self.summary.overdue_actions += u64::from(overdue);
        self.count(h).px_actions += 1;
        id
    }

    /// The journey surveys of one hospital: `completed` answered, `not_completed` sent and never
    /// answered; up to `action_quota` negative ones get their PX Action. Returns the actions made.
    async fn journey_surveys(
        &mut self,
        h: &Hospital,
        completed: u64,
        not_completed: u64,
        action_quota: u64,
    ) -> anyhow::Result<u64> {
        let done_per_day = split(completed, &self.day_weights);
        let open_per_day = split(not_completed, &self.day_weights);
        // Every k-th negative survey gets an action (about one survey in ten is negative).
        let every = ((completed as f64 * 0.1) / action_quota.max(1) as f64).max(1.0);
        let mut negatives = 0u64;
        let mut actions = 0u64;
        let type_weights: Vec<u32> = h
            .stages
            .iter()
            .map(|s| {
                let share = match s.journey_type.as_str() {
                    "opd" => 45,
                    "ems" => 25,
                    "inpatient" => 15,
                    _ => 15,
                };
                share * 10 / h.stages.iter().filter(|o| o.journey_type == s.journey_type).count() as u32
            })
            .collect();
        let stage_table: Vec<(usize, u32)> = type_weights.iter().copied().enumerate().collect();
        let mut encounter = 0u64;
        for d in 0..self.days {
            let summer = matches!(self.day_start(d).month(), 6..=8);
            for k in 0..(done_per_day[d] + open_per_day[d]) {
                let answered = k < done_per_day[d];
                let s = &h.stages[weighted(&mut self.rng, &stage_table)];
                let dept = match s.journey_type.as_str() {
                    "ems" => "EMR-001",
                    "inpatient" | "day_case" => "INP-003",
                    _ if self.rng.random_bool(0.15) => "DIA-004",
                    _ => "OUT-002",
                };
                let department_id = h.departments.get(dept).copied();
                let doctors: Vec<&Physician> = h.physicians.iter().filter(|p| p.department == dept).collect();
                let physician = if s.pharmacy || doctors.is_empty() {
                    None
                } else {
                    Some(doctors[self.rng.random_range(0..doctors.len())])
                };
                let effect = hospital_effect(h.index)
                    + department_effect(dept)
                    + physician.map_or(0.0, |p| p.effect)
                    + if summer { -0.04 } else { 0.0 };
                // Visits end between 08:00 and 21:00 Riyadh (05:00–18:00 UTC).
                let visit = self.day_start(d)
                    + Duration::minutes(self.rng.random_range(5 * 60..18 * 60))
                    + Duration::seconds(self.rng.random_range(0..60));
                let visit = visit.min(self.now - Duration::minutes(30));
                let step = if s.journey_type == "inpatient" {
                    Duration::hours(self.rng.random_range(6..16))
                } else {
                    Duration::minutes(self.rng.random_range(10..40))
                };
                let started = visit - step * s.at as i32;
                let ended = (visit + step * (s.stages - 1 - s.at) as i32).min(self.now);
                let patient_id = h.patients[self.rng.random_range(0..h.patients.len())];
                encounter += 1;
                let journey_id = Uuid::now_v7();
                self.buffer.journeys.push(journey_instance::ActiveModel {
                    id: Set(journey_id),
                    hospital_id: Set(h.row.id),
                    journey_template_id: Set(s.journey_template_id),
                    patient_id: Set(patient_id),
                    encounter_id: Set(format!("VOL{}-{encounter:09}", h.index + 1)),
                    status: Set("completed".into()),
                    physician_id: Set(physician.map(|p| p.id)),
                    department_id: Set(department_id),
                    started_at: Set(started),
                    completed_at: Set(Some(ended)),
                    created_at: Set(started),
                    updated_at: Set(ended),
                });
                let language = if self.rng.random_bool(0.75) { "ar" } else { "en" };
                let channel = if self.rng.random_bool(0.8) { "sms" } else { "whatsapp" };
                let sent = visit + Duration::minutes(self.rng.random_range(1..6));
                let expires = rules::expires_at(sent, 7);
                let survey_id = Uuid::now_v7();
                let mut row =
                    survey_row(h, (s.template_id, s.version_id), survey_id, channel, language, visit, sent, expires);
                row.patient_id = Set(Some(patient_id));
                row.journey_instance_id = Set(Some(journey_id));
                row.department_id = Set(department_id);
                row.physician_id = Set(physician.map(|p| p.id));
                let status;
                if answered {
                    // Most answer within hours, some after a reminder; never after now.
                    let delay = if self.rng.random_bool(0.8) {
                        self.rng.random_range(2..12 * 60)
                    } else {
                        self.rng.random_range(48 * 60..6 * 24 * 60)
                    };
                    let finished = (sent + Duration::minutes(delay)).min(self.now - Duration::minutes(1)).max(sent);
                    let m = mood(&mut self.rng, effect);
                    let scored = self.answer(&s.def, m, language)?;
                    self.complete(&mut row, &s.def, &scored, sent, finished);
                    let n = self.push_responses(&s.def, survey_id, &scored, finished);
                    self.count(h).survey_responses += n;
                    self.count(h).completed_journey_surveys += 1;
                    if scored.negative {
                        negatives += 1;
                        if actions < action_quota && (negatives as f64 % every) < 1.0 {
                            let total = scored.total.unwrap_or(0.0);
                            let score_100 = rules::normalised(&s.def.scoring_method, total);
                            let action = self.push_action(
                                h,
                                "survey",
                                Some(survey_id),
                                true,
                                format!("Negative survey: {} (score {total:.2})", s.def.name_en),
                                department_id,
                                if score_100 < 25.0 { Severity::High } else { Severity::Medium },
                                Priority::High,
                                (finished + Duration::minutes(1)).min(self.now),
                            );
                            row.action_id = Set(Some(action));
                            actions += 1;
                        }
                    }
                    status = "completed";
                } else {
                    status = if self.rng.random_bool(0.05) {
                        row.suppression_reason =
                            Set(format!("undeliverable by {channel}: the recipient could not be reached"));
                        "undeliverable"
                    } else if expires <= self.now {
                        "expired"
                    } else if channel == "sms" && self.rng.random_bool(0.4) {
                        "sent"
                    } else {
                        "delivered"
                    };
                    row.status = Set(status.into());
                    if status != "undeliverable" {
                        let (count, last) = reminders(sent, self.now.min(expires), expires);
                        row.reminder_count = Set(count);
                        row.last_reminder_at = Set(last);
                    }
                    if status == "expired" {
                        row.updated_at = Set(expires);
                    }
                }
                Self::status_count(&mut self.summary.survey_statuses, status);
                self.buffer.surveys.push(row);
                let c = self.count(h);
                c.survey_instances += 1;
                c.journey_instances += 1;
                self.progress.advance(1, 0);
                self.maybe_flush().await?;
            }
        }
        Ok(actions)
    }

    /// `n` manual actions spread over the window.
    async fn manual_actions(&mut self, h: &Hospital, n: u64) -> anyhow::Result<()> {
        let per_day = split(n, &self.day_weights);
        let departments: Vec<Uuid> = h.departments.values().copied().collect();
        const TITLES: &[&str] = &[
            "Committee: reduce waiting time at registration",
            "Rounds: fix the call bells on the ward",
            "Training: communication with patients' families",
            "Signage in the outpatient building",
            "Pharmacy stock-outs review",
        ];
        for (d, count) in per_day.iter().enumerate() {
            for _ in 0..*count {
                let created = (self.day_start(d) + Duration::minutes(self.rng.random_range(5 * 60..15 * 60)))
                    .min(self.now - Duration::minutes(1));
                let severity =
                    weighted(&mut self.rng, &[(Severity::Low, 30), (Severity::Medium, 50), (Severity::High, 20)]);
                let priority =
                    weighted(&mut self.rng, &[(Priority::Low, 30), (Priority::Medium, 45), (Priority::High, 25)]);
                let title = TITLES[self.rng.random_range(0..TITLES.len())].to_owned();
                let dept = departments[self.rng.random_range(0..departments.len())];
                self.push_action(h, "manual", None, false, title, Some(dept), severity, priority, created);
                self.progress.advance(1, 0);
                self.maybe_flush().await?;
            }
        }
        Ok(())
    }
}

/// The survey stages of the hospital's journeys, with their pinned published versions.
async fn survey_stages(db: &DatabaseConnection, hospital_id: Uuid) -> anyhow::Result<Vec<Stage>> {
    let mut out = Vec::new();
    let journeys = journey_template::Entity::find()
        .filter(journey_template::Column::HospitalId.eq(hospital_id))
        .filter(journey_template::Column::IsActive.eq(true))
        .filter(journey_template::Column::DeletedAt.is_null())
        .order_by_asc(journey_template::Column::JourneyType)
        .all(db)
        .await?;
    for j in journeys {
        let stages = stage_template::Entity::find()
            .filter(stage_template::Column::JourneyTemplateId.eq(j.id))
            .order_by_asc(stage_template::Column::Position)
            .all(db)
            .await?;
        for (at, s) in stages.iter().enumerate() {
            let Some(template_id) = s.survey_template_id else { continue };
            let Some(version) = versions::current(db, template_id).await? else { continue };
            let def = versions::definition(&version).map_err(|e| anyhow::anyhow!("{e:?}"))?;
            out.push(Stage {
                journey_type: j.journey_type.clone(),
                journey_template_id: j.id,
                at,
                stages: stages.len(),
                pharmacy: s.code == "PHARM",
                template_id,
                version_id: version.id,
                def,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_adds_up_exactly_and_follows_the_weights() {
        assert_eq!(split(10, &[1.0, 1.0]), vec![5, 5]);
        assert_eq!(split(7, &[1.0, 1.0, 1.0]).iter().sum::<u64>(), 7);
        assert_eq!(split(0, &[1.0, 2.0]), vec![0, 0]);
        let parts = split(1_000_000, &[1.4, 1.2, 1.0, 0.8, 0.6]);
        assert_eq!(parts.iter().sum::<u64>(), 1_000_000);
        assert!(parts[0] > parts[4]);
        assert_eq!(split(3, &[0.0, 0.0]), vec![0, 0]);
    }

    #[test]
    fn every_insert_stays_under_the_sqlite_parameter_limit() {
        for (rows, columns) in [
            (chunk::<complaint::Entity>(), complaint::Column::iter().count()),
            (chunk::<px_action::Entity>(), px_action::Column::iter().count()),
            (chunk::<survey_instance::Entity>(), survey_instance::Column::iter().count()),
            (chunk::<survey_response::Entity>(), survey_response::Column::iter().count()),
            (chunk::<journey_instance::Entity>(), journey_instance::Column::iter().count()),
            (chunk::<patient::Entity>(), patient::Column::iter().count()),
        ] {
            assert!(rows * columns <= 32_766 && rows >= 500, "{rows} rows × {columns} columns");
        }
    }

    #[test]
    fn fridays_are_quieter_than_weekdays() {
        let fri = chrono::NaiveDate::from_ymd_opt(2026, 3, 6).unwrap_or_default();
        let mon = chrono::NaiveDate::from_ymd_opt(2026, 3, 9).unwrap_or_default();
        assert!(day_weight(fri, 10, 730) < day_weight(mon, 10, 730) / 2.0);
    }
}
