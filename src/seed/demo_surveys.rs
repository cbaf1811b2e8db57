//! Demo surveys (synthetic): six months of journey surveys in both demo hospitals, each on a
//! completed journey of its own, in every status a real hospital sees (about 40 % completed, most
//! of the rest expired, recent ones still sent, viewed or half answered, a few suppressed or
//! undeliverable). Answers follow each published version's questions and conditions and are
//! scored by the survey rules; a negative survey has its PX Action, as the closed loop would have
//! made. Tokens are random and only their hashes are stored: nobody can open these links.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::tokens::{hash_token, random_token};
use crate::domains::complaints::actions::{AutoAction, create_auto};
use crate::domains::complaints::sla::{Priority, Severity};
use crate::domains::journeys::model::{journey_instance, journey_template, stage_instance, stage_template};
use crate::domains::organizations::model::{department, hospital, patient, staff};
use crate::domains::organizations::service::now;
use crate::domains::surveys::model::{survey_instance, survey_response};
use crate::domains::surveys::rules::{self, Answer, Definition, Question};
use crate::domains::surveys::versions;

/// Days of history: six months, enough for the command center's comparisons and for the busiest
/// physicians to pass the leaderboard's 30 responses.
const DAYS: i64 = 180;
/// Rows per multi-row INSERT: few statements (PostgreSQL parses each), and the widest table
/// (survey_instances, 35 columns) stays under SQLite's 32,766 parameters.
const CHUNK: usize = 800;

/// What a patient thought of the visit; drives every answer of one survey.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mood {
    Good,
    Mixed,
    Bad,
}

const BAD_AR: &[&str] = &[
    "انتظرت وقتاً طويلاً ولم يخبرني أحد بسبب التأخير.",
    "لم يشرح لي الطبيب نتائج الفحوصات بشكل واضح.",
    "موظف الاستقبال لم يكن متعاوناً وتعامل معنا بجفاء.",
    "دورات المياه لم تكن نظيفة.",
    "تأخر صرف الدواء وبعض الأدوية لم تكن متوفرة.",
    "لم يرد أحد على زر الاستدعاء في الليل.",
];
const BAD_EN: &[&str] = &[
    "I waited a long time and nobody told me why.",
    "The doctor did not explain my test results clearly.",
    "The receptionist was unhelpful and rude to my mother.",
    "The toilets were not clean.",
    "My medicines took too long and some were not available.",
    "Nobody answered the call button at night.",
];
const GOOD_AR: &[&str] =
    &["شكراً للطاقم على الاهتمام والابتسامة.", "الطبيب كان متعاوناً جداً.", "تجربة ممتازة، جزاكم الله خيراً."];
const GOOD_EN: &[&str] =
    &["Thank you to the staff for their care.", "The doctor was very helpful.", "Excellent experience."];

fn pick<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

/// The posted value(s) of one answer, as the patient's form would send them.
fn answer_values(q: &Question, mood: Mood, language: &str, rng: &mut StdRng) -> Vec<String> {
    let weighted = |rng: &mut StdRng, table: &[(i64, u32)]| -> i64 {
        let total: u32 = table.iter().map(|(_, w)| w).sum();
        let mut r = rng.random_range(0..total);
        for (v, w) in table {
            if r < *w {
                return *v;
            }
            r -= w;
        }
        table[0].0
    };
    match q.question_type.as_str() {
        "rating" | "likert" => {
            let v = match mood {
                Mood::Good => weighted(rng, &[(5, 55), (4, 40), (3, 5)]),
                Mood::Mixed => weighted(rng, &[(4, 45), (3, 45), (2, 10)]),
                Mood::Bad => weighted(rng, &[(1, 50), (2, 40), (3, 10)]),
            };
            vec![v.to_string()]
        }
        "nps" => {
            let v = match mood {
                Mood::Good => weighted(rng, &[(10, 40), (9, 30), (8, 20), (7, 10)]),
                Mood::Mixed => weighted(rng, &[(8, 30), (7, 40), (6, 30)]),
                Mood::Bad => rng.random_range(0..=5),
            };
            vec![v.to_string()]
        }
        "yes_no" => {
            let p = match mood {
                Mood::Good => 0.95,
                Mood::Mixed => 0.75,
                Mood::Bad => 0.3,
            };
            vec![if rng.random_bool(p) { "yes" } else { "no" }.to_owned()]
        }
        "multiple_choice" => {
            if q.allow_multiple {
                let n = rng.random_range(1..=2.min(q.choices.len()));
                let mut chosen: Vec<String> = Vec::new();
                while chosen.len() < n {
                    let c = &q.choices[rng.random_range(0..q.choices.len())];
                    if !chosen.contains(&c.value) {
                        chosen.push(c.value.clone());
                    }
                }
                return chosen;
            }
            let mut scored: Vec<&rules::Choice> = q.choices.iter().filter(|c| c.score.is_some()).collect();
            scored.sort_by(|a, b| b.score.partial_cmp(&a.score).unwrap_or(std::cmp::Ordering::Equal));
            let unscored: Vec<&rules::Choice> = q.choices.iter().filter(|c| c.score.is_none()).collect();
            if scored.is_empty() || (!unscored.is_empty() && mood != Mood::Bad && rng.random_bool(0.1)) {
                let all = if unscored.is_empty() { &scored } else { &unscored };
                return vec![all[rng.random_range(0..all.len())].value.clone()];
            }
            let last = scored.len() - 1;
            let i = match mood {
                Mood::Good => usize::from(rng.random_bool(0.3)),
                Mood::Mixed => (1 + usize::from(rng.random_bool(0.3))).min(last),
                Mood::Bad => last - usize::from(last > 0 && rng.random_bool(0.3)),
            };
            vec![scored[i].value.clone()]
        }
        _ => {
            let bank = match (mood, language) {
                (Mood::Good, "ar") => GOOD_AR,
                (Mood::Good, _) => GOOD_EN,
                (_, "ar") => BAD_AR,
                _ => BAD_EN,
            };
            vec![pick(rng, bank).to_owned()]
        }
    }
}

/// Answers one survey as a patient would: question by question, only those shown for the answers
/// so far; `upto`: stop after this many shown questions (a half-answered survey). Checked by the
/// same rule the patient's page applies.
pub(crate) fn answer_survey(
    def: &Definition,
    mood: Mood,
    language: &str,
    upto: Option<usize>,
    rng: &mut StdRng,
) -> anyhow::Result<BTreeMap<String, Answer>> {
    let mut posted: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut so_far: BTreeMap<String, Answer> = BTreeMap::new();
    let mut shown = 0;
    for (i, q) in def.questions.iter().enumerate() {
        if !rules::visible(def, &so_far)[i] {
            continue;
        }
        if upto.is_some_and(|n| shown >= n) {
            break;
        }
        shown += 1;
        let free_text = matches!(q.question_type.as_str(), "text" | "textarea");
        let answer = q.is_required || if free_text { rng.random_bool(0.6) } else { rng.random_bool(0.85) };
        // A shown question left blank is posted blank, as the form does.
        let values = if answer { answer_values(q, mood, language, rng) } else { vec![String::new()] };
        if let Ok(Some(a)) = rules::parse_answer(q, &values) {
            so_far.insert(q.code.clone(), a);
        }
        posted.insert(q.code.clone(), values);
    }
    let finish = upto.is_none();
    let checked = rules::check_submission(def, &BTreeMap::new(), &posted, finish)
        .map_err(|unknown| anyhow::anyhow!("demo survey answers name unknown questions {unknown:?}"))?;
    if !checked.errors.is_empty() || (finish && !checked.complete()) {
        anyhow::bail!("demo survey answers refused: {:?} revealed {:?}", checked.errors, checked.revealed);
    }
    Ok(checked.answers)
}

/// The reminders a survey sent at `sent` had received by `until` (2 at most, 48 h apart).
pub(crate) fn reminders(
    sent: DateTime<Utc>,
    until: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> (i32, Option<DateTime<Utc>>) {
    let (mut count, mut last) = (0, None);
    while let Some(due) = rules::next_reminder_at(sent, count, last, 48, 2, expires) {
        if due > until {
            break;
        }
        count += 1;
        last = Some(due);
    }
    (count, last)
}

/// A survey stage of a journey template, with what its surveys need.
struct SurveyStage {
    journey_type: String,
    journey_template_id: Uuid,
    stages: Vec<stage_template::Model>,
    /// Index in `stages` of the stage that sends the survey.
    at: usize,
    template_id: Uuid,
    version_id: Uuid,
    def: Definition,
    department_id: Option<Uuid>,
    physicians: Vec<Uuid>,
}

/// Everything inserted for one hospital, in foreign-key order.
#[derive(Default)]
struct Batch {
    journeys: Vec<journey_instance::ActiveModel>,
    stages: Vec<stage_instance::ActiveModel>,
    surveys: Vec<survey_instance::ActiveModel>,
    responses: Vec<survey_response::ActiveModel>,
    negatives: Vec<Negative>,
}

/// A negative survey, for its PX Action.
struct Negative {
    survey_id: Uuid,
    department_id: Option<Uuid>,
    name_en: String,
    method: String,
    threshold: f64,
    total: f64,
}

/// Seeds the demo surveys of both demo hospitals; a hospital that already has journey surveys is
/// skipped.
pub async fn seed(state: &AppState) -> anyhow::Result<()> {
    let db = &state.db;
    for (h_index, code) in ["ALH-MAIN", "ALH-NUZ"].into_iter().enumerate() {
        let Some(h) = hospital::Entity::find().filter(hospital::Column::Code.eq(code)).one(db).await? else {
            continue;
        };
        // Idempotent, and a demo database from an older version gets the default templates.
        crate::seed::survey_templates::seed_default_survey_templates(db, h.id).await?;
        let done = survey_instance::Entity::find()
            .filter(survey_instance::Column::HospitalId.eq(h.id))
            .filter(survey_instance::Column::Source.eq("journey"))
            .one(db)
            .await?;
        if done.is_some() {
            continue;
        }
        seed_hospital(state, &h, h_index).await?;
    }
    Ok(())
}

async fn survey_stages(db: &sea_orm::DatabaseConnection, h: &hospital::Model) -> anyhow::Result<Vec<SurveyStage>> {
    let departments = department::Entity::find().filter(department::Column::HospitalId.eq(h.id)).all(db).await?;
    let physicians = staff::Entity::find()
        .filter(staff::Column::HospitalId.eq(h.id))
        .filter(staff::Column::StaffType.eq("physician"))
        .filter(staff::Column::DeletedAt.is_null())
        .order_by_asc(staff::Column::EmployeeId)
        .all(db)
        .await?;
    let mut out = Vec::new();
    let journeys = journey_template::Entity::find()
        .filter(journey_template::Column::HospitalId.eq(h.id))
        .filter(journey_template::Column::IsActive.eq(true))
        .filter(journey_template::Column::DeletedAt.is_null())
        .order_by_asc(journey_template::Column::CreatedAt)
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
            let pharmacy = s.code == "PHARM";
            let dept_code = match j.journey_type.as_str() {
                "ems" => "EMR-001",
                "inpatient" | "day_case" => "INP-003",
                _ => "OUT-002",
            };
            let department_id = departments.iter().find(|d| d.code == dept_code).map(|d| d.id);
            let mut doctors: Vec<Uuid> = physicians
                .iter()
                .filter(|p| department_id.is_some() && p.department_id == department_id)
                .map(|p| p.id)
                .collect();
            if doctors.is_empty() {
                doctors = physicians.iter().map(|p| p.id).collect();
            }
            out.push(SurveyStage {
                journey_type: j.journey_type.clone(),
                journey_template_id: j.id,
                stages: stages.clone(),
                at,
                template_id,
                version_id: version.id,
                def,
                department_id,
                physicians: if pharmacy { Vec::new() } else { doctors },
            });
        }
    }
    Ok(out)
}

async fn seed_hospital(state: &AppState, h: &hospital::Model, h_index: usize) -> anyhow::Result<()> {
    let db = &state.db;
    let stages = survey_stages(db, h).await?;
    let patients = patient::Entity::find()
        .filter(patient::Column::HospitalId.eq(h.id))
        .filter(patient::Column::DeletedAt.is_null())
        .order_by_asc(patient::Column::Mrn)
        .all(db)
        .await?;
    if stages.is_empty() || patients.is_empty() {
        return Ok(());
    }
    let mut rng = StdRng::seed_from_u64(600 + h_index as u64);
    let at = now();
    let today = at.date_naive().and_hms_opt(0, 0, 0).map(|d| d.and_utc()).unwrap_or(at);
    let (low, high) = if h_index == 0 { (5, 11) } else { (3, 7) };
    // Journey types by share of visits: outpatients most, then emergency, inpatients, day cases.
    let type_weight = |t: &str| match t {
        "opd" => 45,
        "ems" => 25,
        "inpatient" => 15,
        _ => 15,
    };
    let mut batch = Batch::default();
    let mut n = 0usize;
    for day in (0..DAYS).rev() {
        for _ in 0..rng.random_range(low..=high) {
            // The stage that sent the survey, weighted by journey type then split evenly among its
            // survey stages (OPD: the consultation and the pharmacy).
            let total: u32 = stages
                .iter()
                .map(|s| {
                    type_weight(&s.journey_type)
                        / stages.iter().filter(|o| o.journey_type == s.journey_type).count() as u32
                })
                .sum();
            let mut r = rng.random_range(0..total.max(1));
            let mut chosen = &stages[0];
            for s in &stages {
                let w = type_weight(&s.journey_type)
                    / stages.iter().filter(|o| o.journey_type == s.journey_type).count() as u32;
                if r < w {
                    chosen = s;
                    break;
                }
                r -= w;
            }
            // Visits end between 08:00 and 21:00 Riyadh (05:00–18:00 UTC).
            let completed = today - Duration::days(day)
                + Duration::hours(rng.random_range(5..18))
                + Duration::minutes(rng.random_range(0..60));
            if completed > at - Duration::minutes(30) {
                continue;
            }
            let p = &patients[rng.random_range(0..patients.len())];
            n += 1;
            add_survey(&mut batch, &mut rng, h, chosen, p, completed, at, n, h_index)?;
        }
    }
    let _turn = state.write_turn().await;
    let txn = db.begin().await?;
    for chunk in batch.journeys.chunks(CHUNK) {
        journey_instance::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
    }
    for chunk in batch.stages.chunks(CHUNK) {
        stage_instance::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
    }
    let actions = closed_loop(state, &txn, h.id, &batch.negatives).await?;
    for s in batch.surveys.iter_mut() {
        if let sea_orm::ActiveValue::Set(id) = &s.id
            && let Some(action) = actions.get(id)
        {
            s.action_id = Set(Some(*action));
        }
    }
    for chunk in batch.surveys.chunks(CHUNK) {
        survey_instance::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
    }
    for chunk in batch.responses.chunks(CHUNK) {
        survey_response::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// One PX Action per negative survey, as the patient's submission would have opened.
async fn closed_loop(
    state: &AppState,
    txn: &DatabaseTransaction,
    hospital_id: Uuid,
    negatives: &[Negative],
) -> anyhow::Result<BTreeMap<Uuid, Uuid>> {
    let base = state.config.notifications.public_base_url.trim_end_matches('/').to_owned();
    let mut out = BTreeMap::new();
    for neg in negatives {
        let (survey_id, total, name) = (neg.survey_id, neg.total, &neg.name_en);
        let score_100 = rules::normalised(&neg.method, total);
        let (action, _) = create_auto(
            txn,
            AutoAction {
                hospital_id,
                source_type: "survey",
                source_id: survey_id,
                title: format!("Negative survey: {name} (score {total:.2})"),
                description: format!(
                    "A patient rated \"{name}\" {total:.2} (threshold {}). Contact the patient, log the contact on the survey page, and act on what they say: {base}/surveys/{survey_id}/",
                    neg.threshold
                ),
                department_id: neg.department_id,
                severity: if score_100 < 25.0 { Severity::High } else { Severity::Medium },
                priority: Priority::High,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo survey action: {e:?}"))?;
        out.insert(survey_id, action.id);
    }
    Ok(out)
}

#[expect(clippy::too_many_arguments, reason = "a seeding helper with positional demo values")]
fn add_survey(
    batch: &mut Batch,
    rng: &mut StdRng,
    h: &hospital::Model,
    s: &SurveyStage,
    p: &patient::Model,
    completed: DateTime<Utc>,
    at: DateTime<Utc>,
    n: usize,
    h_index: usize,
) -> anyhow::Result<()> {
    let physician_id = (!s.physicians.is_empty()).then(|| s.physicians[rng.random_range(0..s.physicians.len())]);
    // The journey: every stage done in order, the survey stage at `completed`; stages that would
    // end in the future are still pending.
    let step = if s.journey_type == "inpatient" {
        Duration::hours(rng.random_range(6..16))
    } else {
        Duration::minutes(rng.random_range(10..40))
    };
    let start = completed - step * s.at as i32;
    let journey_id = Uuid::now_v7();
    let mut survey_stage_id = None;
    let mut last = start;
    let mut all_done = true;
    for (i, st) in s.stages.iter().enumerate() {
        let when = start + step * i as i32;
        let done = when <= at;
        all_done &= done;
        if done {
            last = when;
        }
        let id = Uuid::now_v7();
        if i == s.at {
            survey_stage_id = Some(id);
        }
        batch.stages.push(stage_instance::ActiveModel {
            id: Set(id),
            journey_instance_id: Set(journey_id),
            stage_template_id: Set(st.id),
            position: Set(st.position),
            status: Set(if done { "completed" } else { "pending" }.into()),
            completed_at: Set(done.then_some(when)),
            completed_by_event_id: Set(None),
            physician_id: Set(if done && i == s.at { physician_id } else { None }),
            department_id: Set(if done && i == s.at { s.department_id } else { None }),
            created_at: Set(start),
            updated_at: Set(if done { when } else { start }),
        });
    }
    batch.journeys.push(journey_instance::ActiveModel {
        id: Set(journey_id),
        hospital_id: Set(h.id),
        journey_template_id: Set(s.journey_template_id),
        patient_id: Set(p.id),
        encounter_id: Set(format!("DEMO-{}-{n:05}", h_index + 1)),
        status: Set(if all_done { "completed" } else { "active" }.into()),
        physician_id: Set(physician_id),
        department_id: Set(s.department_id),
        started_at: Set(start),
        completed_at: Set(all_done.then_some(last)),
        created_at: Set(start),
        updated_at: Set(last),
    });

    let language = if p.preferred_language == "en" { "en" } else { "ar" };
    let channel = match p.preferred_channel.as_str() {
        "email" if !p.email.is_empty() => "email",
        "whatsapp" => "whatsapp",
        _ => "sms",
    };
    let sent = completed + Duration::minutes(rng.random_range(1..6));
    let expires = rules::expires_at(sent, 7);
    let mood = match rng.random_range(0..100) {
        0..72 => Mood::Good,
        72..92 => Mood::Mixed,
        _ => Mood::Bad,
    };
    let mut row = survey_instance::ActiveModel {
        id: Set(Uuid::now_v7()),
        hospital_id: Set(h.id),
        survey_template_id: Set(s.template_id),
        template_version_id: Set(Some(s.version_id)),
        patient_id: Set(Some(p.id)),
        journey_instance_id: Set(Some(journey_id)),
        stage_instance_id: Set(survey_stage_id),
        complaint_id: Set(None),
        department_id: Set(s.department_id),
        physician_id: Set(physician_id),
        parent_id: Set(None),
        source: Set("journey".into()),
        status: Set("sent".into()),
        suppression_reason: Set(String::new()),
        channel: Set(channel.into()),
        language: Set(language.into()),
        token_hash: Set(hash_token(&random_token())),
        token_expires_at: Set(expires),
        scheduled_for: Set(completed),
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
        created_at: Set(completed),
        updated_at: Set(sent),
    };
    let survey_id = Uuid::now_v7();
    row.id = Set(survey_id);
    let mut answers = BTreeMap::new();
    let mut until = at.min(expires);
    let opened = sent + Duration::minutes(rng.random_range(2..60 * 20));
    let open = |row: &mut survey_instance::ActiveModel| {
        row.status = Set("viewed".into());
        row.opened_at = Set(Some(opened));
        row.updated_at = Set(opened);
    };
    match rng.random_range(0..100) {
        // Completed (unless the patient would only answer in the future: still open).
        0..41 => {
            let finished = opened + Duration::minutes(rng.random_range(1..6));
            if finished <= at && finished < expires {
                answers = answer_survey(&s.def, mood, language, None, rng)?;
                let total = rules::total_score(&s.def, &answers);
                let negative = rules::is_negative(total, s.def.negative_threshold);
                row.status = Set("completed".into());
                row.opened_at = Set(Some(opened));
                row.started_at = Set(Some(opened));
                row.completed_at = Set(Some(finished));
                row.last_activity_at = Set(Some(finished));
                row.total_score = Set(total);
                row.score_100 = Set(total.map(|t| rules::normalised(&s.def.scoring_method, t)));
                row.is_negative = Set(negative);
                row.updated_at = Set(finished);
                until = until.min(opened);
                if let (true, Some(t)) = (negative, total) {
                    batch.negatives.push(Negative {
                        survey_id,
                        department_id: s.department_id,
                        name_en: s.def.name_en.clone(),
                        method: s.def.scoring_method.clone(),
                        threshold: s.def.negative_threshold,
                        total: t,
                    });
                }
            } else if opened <= at {
                open(&mut row);
            }
        }
        // Opened, never answered.
        41..47 if opened <= at => open(&mut row),
        // Started and left half-way: abandoned after a day, resumable until expiry.
        47..53 if opened <= at => {
            answers = answer_survey(&s.def, mood, language, Some(rng.random_range(1..3)), rng)?;
            let touched = opened + Duration::minutes(1);
            row.opened_at = Set(Some(opened));
            row.started_at = Set(Some(opened));
            row.last_activity_at = Set(Some(touched));
            row.updated_at = Set(touched);
            row.status = Set(if rules::is_abandoned(touched, at) { "abandoned" } else { "in_progress" }.into());
        }
        53..57 => {
            row.status = Set("suppressed".into());
            row.suppression_reason = Set("throttled: frequency cap: one survey per patient per 7 days".into());
            row.sent_at = Set(None);
            row.token_expires_at = Set(completed);
        }
        57..59 => {
            row.status = Set("suppressed".into());
            row.suppression_reason = Set("opted_out: the patient asked for no surveys".into());
            row.sent_at = Set(None);
            row.token_expires_at = Set(completed);
        }
        59..62 => {
            row.status = Set("undeliverable".into());
            row.suppression_reason = Set(format!("undeliverable by {channel}: the recipient could not be reached"));
            until = sent;
        }
        // No answer: sent, or delivered when the channel confirms it.
        _ => {
            if channel != "sms" || rng.random_bool(0.6) {
                row.status = Set("delivered".into());
            }
        }
    }
    let status = match &row.status {
        sea_orm::ActiveValue::Set(s) => s.clone(),
        _ => String::new(),
    };
    if rules::OPEN.contains(&status.as_str()) && expires <= at {
        row.status = Set("expired".into());
        row.updated_at = Set(expires);
    }
    if !matches!(status.as_str(), "suppressed" | "undeliverable") {
        let (count, last) = reminders(sent, until, expires);
        row.reminder_count = Set(count);
        row.last_reminder_at = Set(last);
    }
    for (code, answer) in &answers {
        let Some(q) = s.def.question(code) else { continue };
        let (number, text, choices) = match answer {
            Answer::Number(v) => (Some(*v), String::new(), None),
            Answer::Text(t) => (None, t.clone(), None),
            Answer::Choices(c) => (None, String::new(), Some(serde_json::json!(c))),
        };
        let when = match &row.last_activity_at {
            sea_orm::ActiveValue::Set(Some(t)) => *t,
            _ => sent,
        };
        batch.responses.push(survey_response::ActiveModel {
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
    }
    batch.surveys.push(row);
    Ok(())
}
