//! KPIs (spec §15): the definitions (seeded by migration m0009, thresholds editable), their
//! monthly and year-to-date values per hospital and department computed by the daily
//! `compute_kpis` job from the rollups (MOH-3 from the complaints and their resolution surveys),
//! and a PX action when a finished month's value is critical.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use uuid::Uuid;

use super::command_center::{self, Group, Scope, Totals};
use super::model::{kpi_definition, kpi_value};
use super::physicians::{month_bounds, month_of, previous_month};
use super::rollup::{day_of, day_start};
use super::rules::{self, Band};
use crate::domains::complaints::actions::{self, AutoAction};
use crate::domains::complaints::model::complaint;
use crate::domains::complaints::sla::{Priority, Severity};
use crate::domains::surveys::model::{survey_instance, survey_response, survey_template_version};
use crate::domains::surveys::rules::{nps_counts, round2};
use crate::domains::surveys::versions;

/// A finished month's value opens a PX action only with at least this many cases behind it
/// (beyond the spec: a department with three complaints is no trend).
pub const MIN_CASES_FOR_ACTION: f64 = 30.0;

/// How long after its month a KPI's value is settled enough to act on: MOH-3 waits for the
/// resolution surveys of complaints received late in the month (links stay open for weeks).
pub fn settles_after(code: &str) -> Duration {
    match code {
        "MOH-3" => Duration::days(30),
        _ => Duration::zero(),
    }
}

/// One KPI's value with what it was computed from.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Value {
    pub value: Option<f64>,
    pub numerator: f64,
    pub denominator: f64,
}

fn ratio(numerator: f64, denominator: f64, scale: f64) -> Value {
    Value { value: (denominator > 0.0).then(|| round2(numerator / denominator * scale)), numerator, denominator }
}

/// The value of KPI `code` from a place's rollup sums and its MOH-3 counts.
pub fn value_of(code: &str, t: &Totals, moh3: (f64, f64)) -> Option<Value> {
    let n = |v: f64| v.max(0.0).round() as u64;
    Some(match code {
        "MOH-3" => ratio(moh3.0, moh3.1, 100.0),
        "SLA" => ratio(t.complaints_due_met, t.complaints_due, 100.0),
        "COMPLAINT-RATE" => ratio(t.complaints_received, t.encounters, 1000.0),
        "NPS" => {
            let all = t.nps_promoters + t.nps_passives + t.nps_detractors;
            Value {
                value: nps_counts(n(t.nps_promoters), n(t.nps_passives), n(t.nps_detractors)),
                numerator: t.nps_promoters - t.nps_detractors,
                denominator: all,
            }
        }
        "CSAT" => ratio(t.csat_positive, t.csat_answers, 100.0),
        "AVG-SCORE" => ratio(t.score_sum, t.score_n, 1.0),
        "RESPONSE-RATE" => ratio(t.surveys_completed, (t.surveys_sent - t.surveys_undeliverable).max(0.0), 100.0),
        "NEGATIVE-RATE" => ratio(t.surveys_negative, t.surveys_completed, 100.0),
        _ => return None,
    })
}

pub fn band_of(def: &kpi_definition::Model, value: Option<f64>) -> Option<Band> {
    value.map(|v| rules::band(v, def.target, def.critical_threshold, def.higher_is_better))
}

pub fn band_str(band: Band) -> &'static str {
    match band {
        Band::OnTarget => "on_target",
        Band::Warning => "warning",
        Band::Critical => "critical",
    }
}

/// MOH-3 counts per (hospital, department) of complaints received in `[start, end)`: (received
/// complaints whose resolution survey rates the overall question ≥ 4, received not cancelled).
/// The whole hospital is under the nil department as well.
pub async fn moh3_counts(
    db: &DatabaseConnection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> anyhow::Result<HashMap<(Uuid, Uuid), (f64, f64)>> {
    let complaints: Vec<(Uuid, Uuid, Option<Uuid>)> = complaint::Entity::find()
        .select_only()
        .columns([complaint::Column::Id, complaint::Column::HospitalId, complaint::Column::DepartmentId])
        .filter(complaint::Column::ReceivedAt.gte(start))
        .filter(complaint::Column::ReceivedAt.lt(end))
        .filter(complaint::Column::ComplaintType.eq("complaint"))
        .filter(complaint::Column::Status.ne("cancelled"))
        .filter(complaint::Column::DeletedAt.is_null())
        .into_tuple()
        .all(db)
        .await?;
    let mut satisfied: BTreeSet<Uuid> = BTreeSet::new();
    let mut overall_codes: HashMap<Uuid, Vec<String>> = HashMap::new();
    for chunk in complaints.chunks(500) {
        let ids: Vec<Uuid> = chunk.iter().map(|c| c.0).collect();
        // The status is checked here, not in SQL: with `status = ?` beside it SQLite's planner
        // takes the status index (a million completed surveys) over the complaint one.
        let surveys: Vec<(Uuid, Option<Uuid>, Option<Uuid>)> = survey_instance::Entity::find()
            .select_only()
            .columns([
                survey_instance::Column::Id,
                survey_instance::Column::ComplaintId,
                survey_instance::Column::TemplateVersionId,
                survey_instance::Column::Status,
            ])
            .filter(survey_instance::Column::ComplaintId.is_in(ids))
            .filter(survey_instance::Column::Source.eq("complaint"))
            .into_tuple::<(Uuid, Option<Uuid>, Option<Uuid>, String)>()
            .all(db)
            .await?
            .into_iter()
            .filter(|s| s.3 == "completed")
            .map(|(id, complaint, version, _)| (id, complaint, version))
            .collect();
        let missing: Vec<Uuid> = surveys
            .iter()
            .filter_map(|s| s.2)
            .filter(|v| !overall_codes.contains_key(v))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        for v in survey_template_version::Entity::find()
            .filter(survey_template_version::Column::Id.is_in(missing))
            .all(db)
            .await?
        {
            let def = versions::definition(&v).map_err(|e| anyhow::anyhow!("{e}"))?;
            overall_codes.insert(v.id, def.questions.into_iter().filter(|q| q.is_overall).map(|q| q.code).collect());
        }
        let answers: Vec<(Uuid, String, Option<f64>)> = survey_response::Entity::find()
            .select_only()
            .columns([
                survey_response::Column::SurveyInstanceId,
                survey_response::Column::QuestionCode,
                survey_response::Column::ValueNumber,
            ])
            .filter(survey_response::Column::SurveyInstanceId.is_in(surveys.iter().map(|s| s.0).collect::<Vec<_>>()))
            .into_tuple()
            .all(db)
            .await?;
        let by_survey: HashMap<Uuid, &(Uuid, Option<Uuid>, Option<Uuid>)> = surveys.iter().map(|s| (s.0, s)).collect();
        for (survey, code, value) in answers {
            let Some((_, Some(complaint_id), Some(version))) = by_survey.get(&survey).map(|s| **s) else { continue };
            let overall = overall_codes.get(&version).is_some_and(|codes| codes.contains(&code));
            if overall && value.is_some_and(|v| v >= 4.0) {
                satisfied.insert(complaint_id);
            }
        }
    }
    let mut out: HashMap<(Uuid, Uuid), (f64, f64)> = HashMap::new();
    for (id, hospital, department) in complaints {
        let hit = if satisfied.contains(&id) { 1.0 } else { 0.0 };
        for key in [(hospital, Uuid::nil()), (hospital, department.unwrap_or(Uuid::nil()))] {
            let e = out.entry(key).or_default();
            e.0 += hit;
            e.1 += 1.0;
            if department.is_none() {
                break;
            }
        }
    }
    Ok(out)
}

/// Every KPI of every hospital and department over Riyadh days `from..=to`: (hospital,
/// department (nil: whole hospital)) → code → value.
pub async fn compute_period(
    db: &DatabaseConnection,
    defs: &[kpi_definition::Model],
    from: NaiveDate,
    to: NaiveDate,
) -> anyhow::Result<BTreeMap<(Uuid, Uuid), BTreeMap<String, Value>>> {
    let everything = Scope { hospitals: None, departments: None };
    let by_place = command_center::sums(db, &everything, None, from, to, Group::Place).await?;
    let mut places: BTreeMap<(Uuid, Uuid), Totals> = BTreeMap::new();
    for (key, t) in by_place {
        let mut parts = key.split('/').map(Uuid::parse_str);
        let (Some(Ok(h)), Some(Ok(d))) = (parts.next(), parts.next()) else { continue };
        places.entry((h, Uuid::nil())).or_default().add_all(&t);
        if !d.is_nil() {
            places.entry((h, d)).or_default().add_all(&t);
        }
    }
    let moh3 = moh3_counts(db, day_start(from), day_start(to + Duration::days(1))).await?;
    for key in moh3.keys() {
        places.entry(*key).or_default();
    }
    let mut out = BTreeMap::new();
    for (place, t) in places {
        let counts = moh3.get(&place).copied().unwrap_or_default();
        let values: BTreeMap<String, Value> =
            defs.iter().filter_map(|d| value_of(&d.code, &t, counts).map(|v| (d.code.clone(), v))).collect();
        out.insert(place, values);
    }
    Ok(out)
}

/// What a KPI run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Computed {
    pub values: usize,
    pub actions: usize,
}

/// Computes (replaces) the month and year-to-date values of Riyadh month `(year, month)` at
/// `now`; with `open_actions`, a finished month's critical values open PX actions (a bulk
/// rebuild of past months does not).
pub async fn compute_month(
    db: &DatabaseConnection,
    year: i32,
    month: u32,
    now: DateTime<Utc>,
    open_actions: bool,
) -> anyhow::Result<Computed> {
    let defs = kpi_definition::Entity::find()
        .filter(kpi_definition::Column::IsActive.eq(true))
        .order_by_asc(kpi_definition::Column::SortOrder)
        .all(db)
        .await?;
    let (start, end) = month_bounds(year, month).ok_or_else(|| anyhow::anyhow!("no month {year}-{month}"))?;
    let (first, last) = (day_of(start), day_of(end) - Duration::days(1));
    let is_final = now >= end;
    let label = format!("{year:04}-{month:02}");
    let monthly = compute_period(db, &defs, first, last).await?;
    let ytd = compute_period(db, &defs, NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(first), last).await?;
    let by_code: HashMap<&str, &kpi_definition::Model> = defs.iter().map(|d| (d.code.as_str(), d)).collect();
    let mut done = Computed::default();
    // One transaction for the month: its values (and any action) commit together, and SQLite
    // syncs once rather than once per value.
    let txn = db.begin().await?;
    let stored: HashMap<(String, Uuid, Uuid, String), kpi_value::Model> = kpi_value::Entity::find()
        .filter(kpi_value::Column::Month.eq(&label))
        .all(&txn)
        .await?
        .into_iter()
        .map(|v| ((v.kpi_code.clone(), v.hospital_id, v.department_id, v.period.clone()), v))
        .collect();
    for (period, values) in [("month", monthly), ("ytd", ytd)] {
        for ((hospital, department), codes) in values {
            for (code, v) in codes {
                let Some(def) = by_code.get(code.as_str()) else { continue };
                let band = band_of(def, v.value);
                let existing = stored.get(&(code.clone(), hospital, department, period.to_owned())).cloned();
                let mut row: kpi_value::ActiveModel = match &existing {
                    Some(e) => e.clone().into(),
                    None => kpi_value::ActiveModel {
                        id: Set(Uuid::now_v7()),
                        kpi_code: Set(code.clone()),
                        hospital_id: Set(hospital),
                        department_id: Set(department),
                        period: Set(period.to_owned()),
                        month: Set(label.clone()),
                        action_id: Set(None),
                        ..Default::default()
                    },
                };
                row.value = Set(v.value);
                row.numerator = Set(v.numerator);
                row.denominator = Set(v.denominator);
                row.band = Set(band.map(|b| band_str(b).to_owned()));
                row.is_final = Set(is_final);
                row.computed_at = Set(now);
                let saved = if existing.is_some() { row.update(&txn).await? } else { row.insert(&txn).await? };
                let critical = band == Some(Band::Critical);
                let settled = now >= end + settles_after(&code);
                if open_actions
                    && period == "month"
                    && is_final
                    && settled
                    && critical
                    && saved.action_id.is_none()
                    && v.denominator >= MIN_CASES_FOR_ACTION
                {
                    let (action, _) = actions::create_auto(
                        &txn,
                        AutoAction {
                            hospital_id: hospital,
                            source_type: "kpi",
                            source_id: saved.id,
                            title: format!(
                                "KPI {} critical in {label}: {}",
                                def.name_en,
                                v.value.map(|x| x.to_string()).unwrap_or_default()
                            ),
                            description: format!(
                                "{} ({}) was {} in {label} ({} of {}); target {}, critical below {}. {} / {}",
                                def.name_en,
                                def.code,
                                v.value.map(|x| x.to_string()).unwrap_or_default(),
                                v.numerator,
                                v.denominator,
                                def.target,
                                def.critical_threshold,
                                def.name_ar,
                                label,
                            ),
                            department_id: (!department.is_nil()).then_some(department),
                            severity: Severity::High,
                            priority: Priority::High,
                        },
                    )
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                    let mut linked: kpi_value::ActiveModel = saved.into();
                    linked.action_id = Set(Some(action.id));
                    linked.update(&txn).await?;
                    done.actions += 1;
                }
                done.values += 1;
            }
        }
    }
    txn.commit().await?;
    Ok(done)
}

/// The daily job: the current month and the two before it (MOH-3 settles a month late).
pub async fn compute_recent(db: &DatabaseConnection, now: DateTime<Utc>) -> anyhow::Result<Computed> {
    let (year, month) = month_of(now);
    let (py, pm) = previous_month(year, month);
    let (ppy, ppm) = previous_month(py, pm);
    let mut done = Computed::default();
    for (y, m) in [(ppy, ppm), (py, pm), (year, month)] {
        let c = compute_month(db, y, m, now, true).await?;
        done.values += c.values;
        done.actions += c.actions;
    }
    Ok(done)
}

/// Every month from `(year, month)` of `from` to now's.
pub fn months_since(from: DateTime<Utc>, now: DateTime<Utc>) -> Vec<(i32, u32)> {
    let mut out = Vec::new();
    let (mut y, mut m) = month_of(from);
    let last = month_of(now);
    while (y, m) <= last {
        out.push((y, m));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    out
}

/// The start of the year of `day`.
pub fn year_start(day: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(day.year(), 1, 1).unwrap_or(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kpi_values_from_sums() {
        let t = Totals {
            complaints_due: 60.0,
            complaints_due_met: 45.0,
            complaints_received: 3.0,
            encounters: 1500.0,
            nps_promoters: 50.0,
            nps_passives: 30.0,
            nps_detractors: 20.0,
            csat_positive: 8.0,
            csat_answers: 10.0,
            score_sum: 41.0,
            score_n: 10.0,
            surveys_sent: 12.0,
            surveys_undeliverable: 2.0,
            surveys_completed: 4.0,
            surveys_negative: 1.0,
            ..Default::default()
        };
        let v = |code: &str, moh3: (f64, f64)| value_of(code, &t, moh3).unwrap().value;
        assert_eq!(v("MOH-3", (336.0, 682.0)), Some(49.27));
        assert_eq!(v("MOH-3", (0.0, 0.0)), None);
        assert_eq!(v("SLA", (0.0, 0.0)), Some(75.0));
        assert_eq!(v("COMPLAINT-RATE", (0.0, 0.0)), Some(2.0));
        assert_eq!(v("NPS", (0.0, 0.0)), Some(30.0));
        assert_eq!(v("CSAT", (0.0, 0.0)), Some(80.0));
        assert_eq!(v("AVG-SCORE", (0.0, 0.0)), Some(4.1));
        assert_eq!(v("RESPONSE-RATE", (0.0, 0.0)), Some(40.0));
        assert_eq!(v("NEGATIVE-RATE", (0.0, 0.0)), Some(25.0));
        assert_eq!(value_of("UNKNOWN", &t, (0.0, 0.0)), None);
        assert_eq!(value_of("NPS", &Totals::default(), (0.0, 0.0)).unwrap().value, None);
    }

    #[test]
    fn months_run_from_the_first_to_now() {
        use chrono::TimeZone;
        let from = Utc.with_ymd_and_hms(2025, 11, 15, 0, 0, 0).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
        assert_eq!(months_since(from, now), vec![(2025, 11), (2025, 12), (2026, 1), (2026, 2)]);
    }
}
