//! Physician monthly ratings (spec §14): a completed survey counts for the physician of its stage
//! with the mean of its `counts_for_physician` answers; per physician and Riyadh month the mean,
//! n, 95 % interval and sentiment split, ranked within the hospital and the department among
//! physicians with at least [`rules::MIN_RESPONSES`] responses. Recomputed by the daily job; a
//! month computed after its end is final.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Set, TransactionTrait};
use uuid::Uuid;

use super::model::physician_monthly_rating;
use super::rules;
use crate::domains::organizations::model::{hospital, staff};
use crate::domains::surveys::model::{survey_instance, survey_response, survey_template_version};
use crate::domains::surveys::versions;
use crate::jobs::scheduler::riyadh;

/// The Riyadh month `(year, month)` holding `at`.
pub fn month_of(at: DateTime<Utc>) -> (i32, u32) {
    let local = at.with_timezone(&riyadh());
    (local.year(), local.month())
}

/// The UTC instants where Riyadh month `(year, month)` starts and ends.
pub fn month_bounds(year: i32, month: u32) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let start = riyadh().from_local_datetime(&first.and_hms_opt(0, 0, 0)?).single()?.with_timezone(&Utc);
    let end = riyadh().from_local_datetime(&next.and_hms_opt(0, 0, 0)?).single()?.with_timezone(&Utc);
    Some((start, end))
}

/// The month before `(year, month)`.
pub fn previous_month(year: i32, month: u32) -> (i32, u32) {
    if month == 1 { (year - 1, 12) } else { (year, month - 1) }
}

/// Computes (replaces) the ratings of Riyadh month `(year, month)` at `now`. Returns the number
/// of physicians rated.
pub async fn compute_month(
    db: &DatabaseConnection,
    year: i32,
    month: u32,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let (start, end) = month_bounds(year, month).ok_or_else(|| anyhow::anyhow!("no month {year}-{month}"))?;
    // Hospital by hospital, so the read uses the (hospital, completed_at) index rather than
    // every completed survey.
    let hospitals: Vec<Uuid> =
        hospital::Entity::find().select_only().column(hospital::Column::Id).into_tuple().all(db).await?;
    let mut surveys = Vec::new();
    for h in hospitals {
        surveys.extend(
            survey_instance::Entity::find()
                .filter(survey_instance::Column::HospitalId.eq(h))
                .filter(survey_instance::Column::Status.eq("completed"))
                .filter(survey_instance::Column::PhysicianId.is_not_null())
                .filter(survey_instance::Column::CompletedAt.gte(start))
                .filter(survey_instance::Column::CompletedAt.lt(end))
                .all(db)
                .await?,
        );
    }
    // The physician questions of each version the month's surveys were answered on.
    let version_ids: BTreeSet<Uuid> = surveys.iter().filter_map(|s| s.template_version_id).collect();
    let mut physician_codes: BTreeMap<Uuid, BTreeSet<String>> = BTreeMap::new();
    for chunk in version_ids.into_iter().collect::<Vec<_>>().chunks(500) {
        for v in survey_template_version::Entity::find()
            .filter(survey_template_version::Column::Id.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            let def = versions::definition(&v).map_err(|e| anyhow::anyhow!("{e}"))?;
            let codes = def.questions.into_iter().filter(|q| q.counts_for_physician).map(|q| q.code).collect();
            physician_codes.insert(v.id, codes);
        }
    }
    // Each survey's physician score: the mean of its physician answers' scores.
    let mut scores: BTreeMap<Uuid, Vec<f64>> = BTreeMap::new();
    let mut home: BTreeMap<Uuid, Uuid> = BTreeMap::new();
    let counted: Vec<&survey_instance::Model> = surveys
        .iter()
        .filter(|s| s.template_version_id.and_then(|v| physician_codes.get(&v)).is_some_and(|c| !c.is_empty()))
        .collect();
    for chunk in counted.chunks(500) {
        let ids: Vec<Uuid> = chunk.iter().map(|s| s.id).collect();
        let answers = survey_response::Entity::find()
            .filter(survey_response::Column::SurveyInstanceId.is_in(ids))
            .filter(survey_response::Column::Score.is_not_null())
            .all(db)
            .await?;
        let mut by_survey: BTreeMap<Uuid, Vec<survey_response::Model>> = BTreeMap::new();
        for a in answers {
            by_survey.entry(a.survey_instance_id).or_default().push(a);
        }
        for s in chunk {
            let Some(codes) = s.template_version_id.and_then(|v| physician_codes.get(&v)) else { continue };
            let Some(physician) = s.physician_id else { continue };
            let own: Vec<f64> = by_survey
                .get(&s.id)
                .map(|rows| rows.iter().filter(|r| codes.contains(&r.question_code)).filter_map(|r| r.score).collect())
                .unwrap_or_default();
            if own.is_empty() {
                continue;
            }
            scores.entry(physician).or_default().push(own.iter().sum::<f64>() / own.len() as f64);
            home.insert(physician, s.hospital_id);
        }
    }
    write_month(db, year, month, now >= end, now, scores, home).await
}

/// (physician, hospital, department, rating, Σ scores, Σ scores²).
type Row = (Uuid, Uuid, Option<Uuid>, rules::Rating, f64, f64);

async fn write_month(
    db: &DatabaseConnection,
    year: i32,
    month: u32,
    is_final: bool,
    now: DateTime<Utc>,
    scores: BTreeMap<Uuid, Vec<f64>>,
    home: BTreeMap<Uuid, Uuid>,
) -> anyhow::Result<usize> {
    let label = format!("{year:04}-{month:02}");
    let physicians: BTreeMap<Uuid, staff::Model> = if scores.is_empty() {
        BTreeMap::new()
    } else {
        staff::Entity::find()
            .filter(staff::Column::Id.is_in(scores.keys().copied().collect::<Vec<_>>()))
            .all(db)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect()
    };
    let mut rows: Vec<Row> = Vec::new();
    for (physician, list) in &scores {
        let Some(r) = rules::rating(list) else { continue };
        let hospital = home.get(physician).copied().unwrap_or_default();
        let sum = list.iter().sum::<f64>();
        let sq_sum = list.iter().map(|v| v * v).sum::<f64>();
        rows.push((*physician, hospital, physicians.get(physician).and_then(|s| s.department_id), r, sum, sq_sum));
    }
    // Ranks among the rankable, per hospital and per department.
    let rank_by = |key: &dyn Fn(&Row) -> Option<Uuid>| -> BTreeMap<Uuid, i32> {
        let mut groups: BTreeMap<Uuid, Vec<usize>> = BTreeMap::new();
        for (i, row) in rows.iter().enumerate() {
            if let (true, Some(k)) = (row.3.rankable, key(row)) {
                groups.entry(k).or_default().push(i);
            }
        }
        let mut out = BTreeMap::new();
        for members in groups.values() {
            let entries: Vec<(f64, u64)> = members.iter().map(|i| (rows[*i].3.mean, rows[*i].3.n)).collect();
            for (i, rank) in members.iter().zip(rules::competition_ranks(&entries)) {
                out.insert(rows[*i].0, rank as i32);
            }
        }
        out
    };
    let hospital_ranks = rank_by(&|r| Some(r.1));
    let department_ranks = rank_by(&|r| r.2);
    let txn = db.begin().await?;
    physician_monthly_rating::Entity::delete_many()
        .filter(physician_monthly_rating::Column::Month.eq(&label))
        .exec(&txn)
        .await?;
    for (physician, hospital, department, r, sum, sq_sum) in &rows {
        let row = physician_monthly_rating::ActiveModel {
            id: Set(Uuid::now_v7()),
            hospital_id: Set(*hospital),
            department_id: Set(*department),
            physician_id: Set(*physician),
            month: Set(label.clone()),
            n: Set(r.n as i32),
            mean: Set(r.mean),
            ci_low: Set(r.ci_low),
            ci_high: Set(r.ci_high),
            positive: Set(r.positive as i32),
            neutral: Set(r.neutral as i32),
            negative: Set(r.negative as i32),
            hospital_rank: Set(hospital_ranks.get(physician).copied()),
            department_rank: Set(department_ranks.get(physician).copied()),
            is_final: Set(is_final),
            computed_at: Set(now),
            score_sum: Set(*sum),
            score_sq_sum: Set(*sq_sum),
        };
        physician_monthly_rating::Entity::insert(row)
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(rows.len())
}

/// The daily job: the current month so far, the previous month (final once it is over), and
/// any month computed before its sums were kept (m0009), so windows combine them correctly.
pub async fn compute_recent(db: &DatabaseConnection, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let (year, month) = month_of(now);
    let (py, pm) = previous_month(year, month);
    let mut months: BTreeSet<(i32, u32)> = [(py, pm), (year, month)].into();
    let stale: Vec<String> = physician_monthly_rating::Entity::find()
        .select_only()
        .column(physician_monthly_rating::Column::Month)
        .filter(physician_monthly_rating::Column::N.gt(0))
        .filter(physician_monthly_rating::Column::ScoreSum.eq(0.0))
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    for label in stale {
        let year = label.get(..4).and_then(|y| y.parse().ok());
        let month = label.get(5..7).and_then(|m| m.parse().ok());
        if let (Some(y), Some(m)) = (year, month) {
            months.insert((y, m));
        }
    }
    let mut rated = 0;
    for (y, m) in months {
        rated += compute_month(db, y, m, now).await?;
    }
    Ok(rated)
}

/// A physician's rating over a window of months, ranked among the physicians of the same query.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct WindowRating {
    pub physician_id: Uuid,
    pub hospital_id: Uuid,
    pub department_id: Option<Uuid>,
    #[schema(value_type = Object)]
    pub rating: rules::Rating,
    /// Competition rank among the rankable physicians of the query (none below the minimum n).
    pub rank: Option<u32>,
}

/// The `YYYY-MM` months from `count - 1` months before `(year, month)` to it.
pub fn months_ending(year: i32, month: u32, count: u32) -> (String, String) {
    let (mut y, mut m) = (year, month);
    for _ in 1..count.max(1) {
        (y, m) = previous_month(y, m);
    }
    (format!("{y:04}-{m:02}"), format!("{year:04}-{month:02}"))
}

/// Ratings over months `from..=to` (`YYYY-MM`) of the physicians of `hospitals` (none: every
/// hospital) and `departments` (none: every department), combined from the monthly sums and
/// ranked together, best first; unranked ones (too few responses) after them by n.
pub async fn window(
    db: &DatabaseConnection,
    hospitals: Option<&[Uuid]>,
    departments: Option<&[Uuid]>,
    from: &str,
    to: &str,
) -> anyhow::Result<Vec<WindowRating>> {
    use physician_monthly_rating::Column as C;
    let mut select = physician_monthly_rating::Entity::find().filter(C::Month.gte(from)).filter(C::Month.lte(to));
    if let Some(h) = hospitals {
        select = select.filter(C::HospitalId.is_in(h.to_vec()));
    }
    if let Some(d) = departments {
        select = select.filter(C::DepartmentId.is_in(d.to_vec()));
    }
    let mut sums: BTreeMap<Uuid, (Uuid, Option<Uuid>, String, rules::Sums)> = BTreeMap::new();
    for m in select.all(db).await? {
        let entry = sums.entry(m.physician_id).or_insert((
            m.hospital_id,
            m.department_id,
            m.month.clone(),
            rules::Sums::default(),
        ));
        // The newest month's department is the physician's.
        if m.month > entry.2 {
            entry.1 = m.department_id;
            entry.2 = m.month.clone();
        }
        entry.3 += rules::Sums {
            n: m.n.max(0) as u64,
            sum: m.score_sum,
            sq_sum: m.score_sq_sum,
            positive: m.positive.max(0) as u64,
            neutral: m.neutral.max(0) as u64,
            negative: m.negative.max(0) as u64,
        };
    }
    let mut out: Vec<WindowRating> = sums
        .into_iter()
        .filter_map(|(physician_id, (hospital_id, department_id, _, s))| {
            rules::rating_from_sums(&s).map(|rating| WindowRating {
                physician_id,
                hospital_id,
                department_id,
                rating,
                rank: None,
            })
        })
        .collect();
    let rankable: Vec<usize> = (0..out.len()).filter(|i| out[*i].rating.rankable).collect();
    let entries: Vec<(f64, u64)> = rankable.iter().map(|i| (out[*i].rating.mean, out[*i].rating.n)).collect();
    for (i, rank) in rankable.iter().zip(rules::competition_ranks(&entries)) {
        out[*i].rank = Some(rank);
    }
    out.sort_by(|a, b| match (a.rank, b.rank) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => b.rating.n.cmp(&a.rating.n),
    });
    Ok(out)
}
