//! The daily rollups the command center reads (spec §15): per hospital, department, Riyadh day
//! and journey type, the complaint, action, encounter and survey counts and sums, and complaints
//! by category. They are rebuilt from the raw rows — a day at a time, never incrementally — so a
//! rebuild is always right: `refresh` rebuilds the days whose rows changed since it last ran
//! (every 5 minutes), the nightly run rebuilds the last 90 days (a due date moved by an SLA
//! recalculation leaves its old day behind), and `rebuild_all` everything.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Expr, LockType, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, EntityTrait, JoinType,
    QueryFilter, QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use super::model::{analytics_daily, analytics_daily_category, analytics_refresh};
use crate::domains::complaints::model::{complaint, complaint_category, px_action};
use crate::domains::journeys::model::{journey_instance, journey_template};
use crate::domains::organizations::model::hospital;
use crate::domains::surveys::model::{survey_instance, survey_response, survey_template_version};
use crate::domains::surveys::versions;

/// The refresh's bookmark in `analytics_refresh`.
const BOOKMARK: &str = "daily";
/// Rows changed this long before the bookmark are read again (transactions still open then).
const OVERLAP_MINUTES: i64 = 10;
/// Days the nightly run rebuilds whatever changed.
pub const NIGHTLY_DAYS: i64 = 90;

const RIYADH_HOURS: i64 = 3;

/// The Riyadh day of `at`.
pub fn day_of(at: DateTime<Utc>) -> NaiveDate {
    (at + Duration::hours(RIYADH_HOURS)).date_naive()
}

/// The UTC instant Riyadh day `day` starts.
pub fn day_start(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc() - Duration::hours(RIYADH_HOURS)
}

fn day_key(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

const OPEN_COMPLAINT: [&str; 2] = ["open", "in_progress"];
const OPEN_ACTION: [&str; 3] = ["open", "in_progress", "pending_approval"];

type Key = (NaiveDate, Uuid, String);

/// Everything rolled up for one hospital over a range of days.
#[derive(Default)]
struct Rollup {
    rows: BTreeMap<Key, analytics_daily::Model>,
    categories: BTreeMap<(NaiveDate, Uuid, Uuid), i32>,
}

impl Rollup {
    fn row(
        &mut self,
        hospital: Uuid,
        at: DateTime<Utc>,
        department: Option<Uuid>,
        journey: &str,
    ) -> &mut analytics_daily::Model {
        let day = day_of(at);
        let department = department.unwrap_or(Uuid::nil());
        self.rows.entry((day, department, journey.to_owned())).or_insert_with(|| analytics_daily::Model {
            hospital_id: hospital,
            day: day_key(day),
            department_id: department,
            journey_type: journey.to_owned(),
            ..Default::default()
        })
    }
}

/// The taxonomy node a complaint is counted under: its level-2 ancestor (or a level-1 node).
async fn category_heads(db: &DatabaseConnection) -> anyhow::Result<HashMap<Uuid, Uuid>> {
    let nodes: Vec<(Uuid, Option<Uuid>, i32)> = complaint_category::Entity::find()
        .select_only()
        .columns([
            complaint_category::Column::Id,
            complaint_category::Column::ParentId,
            complaint_category::Column::Level,
        ])
        .into_tuple()
        .all(db)
        .await?;
    let by_id: HashMap<Uuid, (Option<Uuid>, i32)> = nodes.iter().map(|(id, p, l)| (*id, (*p, *l))).collect();
    let mut heads = HashMap::new();
    for (id, _, _) in &nodes {
        let mut at = *id;
        // Walk up to level 2 (at most 4 levels; a broken chain stops where it is).
        for _ in 0..4 {
            match by_id.get(&at) {
                Some((Some(parent), level)) if *level > 2 => at = *parent,
                _ => break,
            }
        }
        heads.insert(*id, at);
    }
    Ok(heads)
}

/// Journey type of each journey template.
async fn journey_types(db: &DatabaseConnection) -> anyhow::Result<HashMap<Uuid, String>> {
    let rows: Vec<(Uuid, String)> = journey_template::Entity::find()
        .select_only()
        .columns([journey_template::Column::Id, journey_template::Column::JourneyType])
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Reference data read once per refresh.
struct Lookups {
    categories: HashMap<Uuid, Uuid>,
    journeys: HashMap<Uuid, String>,
    /// Per survey version: its scoring method and each question's type.
    versions: HashMap<Uuid, (String, HashMap<String, String>)>,
}

impl Lookups {
    async fn load(db: &DatabaseConnection) -> anyhow::Result<Self> {
        Ok(Lookups {
            categories: category_heads(db).await?,
            journeys: journey_types(db).await?,
            versions: HashMap::new(),
        })
    }

    /// Reads the survey versions of `ids` not read yet.
    async fn load_versions(&mut self, db: &DatabaseConnection, ids: BTreeSet<Uuid>) -> anyhow::Result<()> {
        let missing: Vec<Uuid> = ids.into_iter().filter(|id| !self.versions.contains_key(id)).collect();
        for chunk in missing.chunks(200) {
            for v in survey_template_version::Entity::find()
                .filter(survey_template_version::Column::Id.is_in(chunk.to_vec()))
                .all(db)
                .await?
            {
                let def = versions::definition(&v).map_err(|e| anyhow::anyhow!("{e}"))?;
                let types = def.questions.into_iter().map(|q| (q.code, q.question_type)).collect();
                self.versions.insert(v.id, (def.scoring_method, types));
            }
        }
        Ok(())
    }
}

/// Surveys to their journey (for the journey's template and so its type).
fn to_journey() -> sea_orm::RelationDef {
    survey_instance::Entity::belongs_to(journey_instance::Entity)
        .from(survey_instance::Column::JourneyInstanceId)
        .to(journey_instance::Column::Id)
        .into()
}

/// Rebuilds hospital `hospital`'s rollup rows of Riyadh days `[from, to)`.
async fn rebuild_range(
    db: &DatabaseConnection,
    lookups: &mut Lookups,
    hospital: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> anyhow::Result<()> {
    let (start, end) = (day_start(from), day_start(to));
    let mut r = Rollup::default();

    // Complaints received, and what became of them.
    type ComplaintRow = (Option<Uuid>, Option<Uuid>, String, bool, DateTime<Utc>);
    let received: Vec<ComplaintRow> = complaint::Entity::find()
        .select_only()
        .columns([
            complaint::Column::DepartmentId,
            complaint::Column::CategoryId,
            complaint::Column::Status,
            complaint::Column::IsOverdue,
            complaint::Column::ReceivedAt,
        ])
        .filter(complaint::Column::HospitalId.eq(hospital))
        .filter(complaint::Column::ReceivedAt.gte(start))
        .filter(complaint::Column::ReceivedAt.lt(end))
        .filter(complaint::Column::ComplaintType.eq("complaint"))
        .filter(complaint::Column::DeletedAt.is_null())
        .into_tuple()
        .all(db)
        .await?;
    for (department, category, status, overdue, at) in received {
        let row = r.row(hospital, at, department, "");
        row.complaints_received += 1;
        let open = OPEN_COMPLAINT.contains(&status.as_str());
        row.complaints_open += i32::from(open);
        row.complaints_overdue += i32::from(open && overdue);
        row.complaints_cancelled += i32::from(status == "cancelled");
        row.complaints_settled += i32::from(status == "resolved" || status == "closed");
        let head = category.map(|c| lookups.categories.get(&c).copied().unwrap_or(c)).unwrap_or(Uuid::nil());
        *r.categories.entry((day_of(at), department.unwrap_or(Uuid::nil()), head)).or_default() += 1;
    }
    let resolved: Vec<(Option<Uuid>, DateTime<Utc>)> = complaint::Entity::find()
        .select_only()
        .columns([complaint::Column::DepartmentId, complaint::Column::ResolvedAt])
        .filter(complaint::Column::HospitalId.eq(hospital))
        .filter(complaint::Column::ResolvedAt.gte(start))
        .filter(complaint::Column::ResolvedAt.lt(end))
        .filter(complaint::Column::Status.is_in(["resolved", "closed"]))
        .filter(complaint::Column::ComplaintType.eq("complaint"))
        .filter(complaint::Column::DeletedAt.is_null())
        .into_tuple()
        .all(db)
        .await?;
    for (department, at) in resolved {
        r.row(hospital, at, department, "").complaints_resolved += 1;
    }
    // SLA compliance: due that day, and resolved (on time or not) or overdue.
    type DueRow = (Option<Uuid>, DateTime<Utc>, Option<DateTime<Utc>>, bool, String);
    let due: Vec<DueRow> = complaint::Entity::find()
        .select_only()
        .columns([
            complaint::Column::DepartmentId,
            complaint::Column::DueAt,
            complaint::Column::ResolvedAt,
            complaint::Column::IsOverdue,
            complaint::Column::Status,
        ])
        .filter(complaint::Column::HospitalId.eq(hospital))
        .filter(complaint::Column::DueAt.gte(start))
        .filter(complaint::Column::DueAt.lt(end))
        .filter(complaint::Column::ComplaintType.eq("complaint"))
        .filter(complaint::Column::DeletedAt.is_null())
        .into_tuple()
        .all(db)
        .await?;
    for (department, due_at, resolved_at, overdue, status) in due {
        // A reopened complaint keeps its old resolved_at: only a resolved or closed one counts.
        let resolved_at = resolved_at.filter(|_| status == "resolved" || status == "closed");
        if status == "cancelled" || (resolved_at.is_none() && !overdue) {
            continue;
        }
        let row = r.row(hospital, due_at, department, "");
        row.complaints_due += 1;
        row.complaints_due_met += i32::from(resolved_at.is_some_and(|t| t <= due_at));
    }

    // PX actions.
    let actions: Vec<(Option<Uuid>, String, bool, DateTime<Utc>)> = px_action::Entity::find()
        .select_only()
        .columns([
            px_action::Column::DepartmentId,
            px_action::Column::Status,
            px_action::Column::IsOverdue,
            px_action::Column::CreatedAt,
        ])
        .filter(px_action::Column::HospitalId.eq(hospital))
        .filter(px_action::Column::CreatedAt.gte(start))
        .filter(px_action::Column::CreatedAt.lt(end))
        .filter(px_action::Column::DeletedAt.is_null())
        .into_tuple()
        .all(db)
        .await?;
    for (department, status, overdue, at) in actions {
        let row = r.row(hospital, at, department, "");
        row.actions_created += 1;
        let open = OPEN_ACTION.contains(&status.as_str());
        row.actions_open += i32::from(open);
        row.actions_overdue += i32::from(open && overdue);
    }
    let closed: Vec<(Option<Uuid>, DateTime<Utc>)> = px_action::Entity::find()
        .select_only()
        .columns([px_action::Column::DepartmentId, px_action::Column::ClosedAt])
        .filter(px_action::Column::HospitalId.eq(hospital))
        .filter(px_action::Column::ClosedAt.gte(start))
        .filter(px_action::Column::ClosedAt.lt(end))
        .filter(px_action::Column::DeletedAt.is_null())
        .into_tuple()
        .all(db)
        .await?;
    for (department, at) in closed {
        r.row(hospital, at, department, "").actions_closed += 1;
    }

    // Encounters: journeys started.
    let journeys: Vec<(Option<Uuid>, Uuid, DateTime<Utc>)> = journey_instance::Entity::find()
        .select_only()
        .columns([
            journey_instance::Column::DepartmentId,
            journey_instance::Column::JourneyTemplateId,
            journey_instance::Column::StartedAt,
        ])
        .filter(journey_instance::Column::HospitalId.eq(hospital))
        .filter(journey_instance::Column::StartedAt.gte(start))
        .filter(journey_instance::Column::StartedAt.lt(end))
        .into_tuple()
        .all(db)
        .await?;
    for (department, template, at) in journeys {
        let journey = lookups.journeys.get(&template).cloned().unwrap_or_default();
        r.row(hospital, at, department, &journey).encounters += 1;
    }

    // Surveys sent.
    // Surveys sent: on the day sent; a survey never marked sent that was answered or found
    // undeliverable (a kiosk survey, a patient quicker than the delivery report) on the day it
    // was created — the same "sent" as the survey results (`surveys::results`).
    type SentRow = (Option<Uuid>, Option<Uuid>, String, Option<DateTime<Utc>>, DateTime<Utc>);
    let sent: Vec<SentRow> = survey_instance::Entity::find()
        .select_only()
        .columns([survey_instance::Column::DepartmentId])
        .column(journey_instance::Column::JourneyTemplateId)
        .columns([survey_instance::Column::Status, survey_instance::Column::SentAt, survey_instance::Column::CreatedAt])
        .join(JoinType::LeftJoin, to_journey())
        .filter(survey_instance::Column::HospitalId.eq(hospital))
        .filter(
            sea_orm::Condition::any()
                .add(
                    sea_orm::Condition::all()
                        .add(survey_instance::Column::SentAt.gte(start))
                        .add(survey_instance::Column::SentAt.lt(end)),
                )
                .add(
                    sea_orm::Condition::all()
                        .add(survey_instance::Column::SentAt.is_null())
                        .add(survey_instance::Column::Status.is_in(["completed", "undeliverable"]))
                        .add(survey_instance::Column::CreatedAt.gte(start))
                        .add(survey_instance::Column::CreatedAt.lt(end)),
                ),
        )
        .into_tuple()
        .all(db)
        .await?;
    for (department, template, status, sent_at, created_at) in sent {
        let at = sent_at.unwrap_or(created_at);
        let journey = template.and_then(|t| lookups.journeys.get(&t).cloned()).unwrap_or_default();
        let row = r.row(hospital, at, department, &journey);
        row.surveys_sent += 1;
        row.surveys_undeliverable += i32::from(status == "undeliverable");
    }

    // Surveys completed: scores and answers.
    type DoneRow = (Uuid, Option<Uuid>, Option<Uuid>, Option<Uuid>, Option<f64>, bool, DateTime<Utc>);
    let done: Vec<DoneRow> = survey_instance::Entity::find()
        .select_only()
        .columns([survey_instance::Column::Id, survey_instance::Column::DepartmentId])
        .column(journey_instance::Column::JourneyTemplateId)
        .columns([
            survey_instance::Column::TemplateVersionId,
            survey_instance::Column::TotalScore,
            survey_instance::Column::IsNegative,
            survey_instance::Column::CompletedAt,
        ])
        .filter(survey_instance::Column::HospitalId.eq(hospital))
        .filter(survey_instance::Column::Status.eq("completed"))
        .filter(survey_instance::Column::CompletedAt.gte(start))
        .filter(survey_instance::Column::CompletedAt.lt(end))
        .join(JoinType::LeftJoin, to_journey())
        .into_tuple()
        .all(db)
        .await?;
    lookups.load_versions(db, done.iter().filter_map(|s| s.3).collect()).await?;
    // The numeric answers of the same surveys, in one joined read (no lists of ids).
    let answers: Vec<(Uuid, String, Option<f64>)> = survey_response::Entity::find()
        .select_only()
        .columns([
            survey_response::Column::SurveyInstanceId,
            survey_response::Column::QuestionCode,
            survey_response::Column::ValueNumber,
        ])
        .join(
            JoinType::InnerJoin,
            survey_response::Entity::belongs_to(survey_instance::Entity)
                .from(survey_response::Column::SurveyInstanceId)
                .to(survey_instance::Column::Id)
                .into(),
        )
        .filter(survey_instance::Column::HospitalId.eq(hospital))
        .filter(survey_instance::Column::Status.eq("completed"))
        .filter(survey_instance::Column::CompletedAt.gte(start))
        .filter(survey_instance::Column::CompletedAt.lt(end))
        .filter(survey_response::Column::ValueNumber.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    let mut by_survey: HashMap<Uuid, Vec<(String, f64)>> = HashMap::new();
    for (survey, code, value) in answers {
        if let Some(v) = value {
            by_survey.entry(survey).or_default().push((code, v));
        }
    }
    for (id, department, template, version, score, negative, at) in &done {
        let journey = template.and_then(|t| lookups.journeys.get(&t).cloned()).unwrap_or_default();
        let meta = version.and_then(|v| lookups.versions.get(&v));
        let row = r.row(hospital, *at, *department, &journey);
        row.surveys_completed += 1;
        row.surveys_negative += i32::from(*negative);
        let Some((method, questions)) = meta else { continue };
        if let (Some(s), false) = (score, method == "nps") {
            row.score_sum += s;
            row.score_n += 1;
            match s.round().clamp(1.0, 5.0) as i32 {
                1 => row.score_1 += 1,
                2 => row.score_2 += 1,
                3 => row.score_3 += 1,
                4 => row.score_4 += 1,
                _ => row.score_5 += 1,
            }
        }
        for (code, v) in by_survey.get(id).map(Vec::as_slice).unwrap_or_default() {
            match questions.get(code).map(String::as_str) {
                Some("nps") => {
                    if *v >= 9.0 {
                        row.nps_promoters += 1;
                    } else if *v >= 7.0 {
                        row.nps_passives += 1;
                    } else {
                        row.nps_detractors += 1;
                    }
                }
                Some("rating" | "likert") => {
                    row.csat_answers += 1;
                    row.csat_positive += i32::from(*v >= 4.0);
                }
                _ => {}
            }
        }
    }

    // Replace the range's rows. On PostgreSQL the hospital's row lock keeps two rebuilds of
    // the same hospital from summing each other's months half-written. SQLite has one writer
    // already, and a read first would make its transaction fail ("database is locked") rather
    // than wait when another writer commits before this one's first write.
    let (first, last) = (day_key(from), day_key(to));
    let txn = db.begin().await?;
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        hospital::Entity::find_by_id(hospital).lock(LockType::NoKeyUpdate).one(&txn).await?;
    }
    analytics_daily::Entity::delete_many()
        .filter(analytics_daily::Column::HospitalId.eq(hospital))
        .filter(analytics_daily::Column::Day.gte(&first))
        .filter(analytics_daily::Column::Day.lt(&last))
        .exec(&txn)
        .await?;
    analytics_daily_category::Entity::delete_many()
        .filter(analytics_daily_category::Column::HospitalId.eq(hospital))
        .filter(analytics_daily_category::Column::Day.gte(&first))
        .filter(analytics_daily_category::Column::Day.lt(&last))
        .exec(&txn)
        .await?;
    // Upserts: a second rebuild of the same days running at once (two workers) overwrites
    // rather than failing on the key.
    let rows: Vec<analytics_daily::ActiveModel> = r.rows.into_values().map(Into::into).collect();
    let daily_key = [
        analytics_daily::Column::HospitalId,
        analytics_daily::Column::Day,
        analytics_daily::Column::DepartmentId,
        analytics_daily::Column::JourneyType,
    ];
    let values: Vec<analytics_daily::Column> = value_columns().collect();
    for batch in rows.chunks(200) {
        analytics_daily::Entity::insert_many(batch.to_vec())
            .on_conflict(OnConflict::columns(daily_key).update_columns(values.clone()).to_owned())
            .exec_without_returning(&txn)
            .await?;
    }
    let categories: Vec<analytics_daily_category::ActiveModel> = r
        .categories
        .into_iter()
        .map(|((day, department, category), n)| analytics_daily_category::ActiveModel {
            hospital_id: Set(hospital),
            day: Set(day_key(day)),
            department_id: Set(department),
            category_id: Set(category),
            complaints: Set(n),
        })
        .collect();
    for batch in categories.chunks(500) {
        analytics_daily_category::Entity::insert_many(batch.to_vec())
            .on_conflict(
                OnConflict::columns([
                    analytics_daily_category::Column::HospitalId,
                    analytics_daily_category::Column::Day,
                    analytics_daily_category::Column::DepartmentId,
                    analytics_daily_category::Column::CategoryId,
                ])
                .update_column(analytics_daily_category::Column::Complaints)
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    rebuild_months(&txn, hospital, from, to).await?;
    txn.commit().await?;
    Ok(())
}

/// The summed columns of `analytics_daily` (all but its key).
fn value_columns() -> impl Iterator<Item = analytics_daily::Column> {
    const KEY: [&str; 4] = ["hospital_id", "day", "department_id", "journey_type"];
    <analytics_daily::Column as sea_orm::Iterable>::iter().filter(|c| !KEY.contains(&sea_orm::IdenStatic::as_str(c)))
}

/// The Riyadh month (`YYYY-MM`) of a day, as the monthly rollups key it.
pub fn month_key(day: NaiveDate) -> String {
    day.format("%Y-%m").to_string()
}

/// Sums `hospital`'s daily rows again into the monthly rollups, for every month the days
/// `[from, to)` touch (in the transaction that rewrote those days, so both always agree).
async fn rebuild_months(
    txn: &DatabaseTransaction,
    hospital: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> anyhow::Result<()> {
    use sea_orm::sea_query::ExprTrait;
    let backend = txn.get_database_backend();
    let col = |name: &str| Expr::col(Alias::new(name));
    let mut month = from.with_day(1).unwrap_or(from);
    while month < to {
        let next = month + Months::new(1);
        let (key, first, last) = (month_key(month), day_key(month), day_key(next));
        let values: Vec<&'static str> = value_columns().map(|c| sea_orm::IdenStatic::as_str(&c)).collect();
        for (table, daily, kind, values) in [
            ("analytics_monthly", "analytics_daily", "journey_type", values),
            ("analytics_monthly_categories", "analytics_daily_categories", "category_id", vec!["complaints"]),
        ] {
            let delete = Query::delete()
                .from_table(Alias::new(table))
                .and_where(col("hospital_id").eq(hospital))
                .and_where(col("month").eq(key.as_str()))
                .to_owned();
            txn.execute_raw(backend.build(&delete)).await?;
            let mut select = Query::select();
            select
                .from(Alias::new(daily))
                .column(Alias::new("hospital_id"))
                .column(Alias::new("department_id"))
                .expr(Expr::val(key.as_str()))
                .column(Alias::new(kind))
                .and_where(col("hospital_id").eq(hospital))
                .and_where(col("day").gte(first.as_str()))
                .and_where(col("day").lt(last.as_str()))
                .group_by_columns([Alias::new("hospital_id"), Alias::new("department_id"), Alias::new(kind)]);
            for v in &values {
                select.expr(col(v).sum());
            }
            let mut columns = vec!["hospital_id", "department_id", "month", kind];
            columns.extend(values.iter().copied());
            let insert = Query::insert()
                .into_table(Alias::new(table))
                .columns(columns.into_iter().map(Alias::new))
                .select_from(select)?
                .to_owned();
            txn.execute_raw(backend.build(&insert)).await?;
        }
        month = next;
    }
    Ok(())
}

/// Rebuilds `days` of each hospital, contiguous days together (at most a month per pass).
async fn rebuild_days(
    db: &DatabaseConnection,
    lookups: &mut Lookups,
    days: BTreeMap<Uuid, BTreeSet<NaiveDate>>,
) -> anyhow::Result<usize> {
    let mut rebuilt = 0;
    for (hospital, set) in days {
        let mut run: Option<(NaiveDate, NaiveDate)> = None;
        for day in set {
            run = match run {
                Some((from, to)) if to == day && (day - from).num_days() < 31 => Some((from, day + Duration::days(1))),
                Some((from, to)) => {
                    rebuild_range(db, lookups, hospital, from, to).await?;
                    Some((day, day + Duration::days(1)))
                }
                None => Some((day, day + Duration::days(1))),
            };
            rebuilt += 1;
        }
        if let Some((from, to)) = run {
            rebuild_range(db, lookups, hospital, from, to).await?;
        }
    }
    Ok(rebuilt)
}

/// The (hospital, day) pairs whose rows changed at or after `since`.
async fn changed_days(
    db: &DatabaseConnection,
    since: DateTime<Utc>,
) -> anyhow::Result<BTreeMap<Uuid, BTreeSet<NaiveDate>>> {
    let mut days: BTreeMap<Uuid, BTreeSet<NaiveDate>> = BTreeMap::new();
    let mut mark = |hospital: Uuid, at: Option<DateTime<Utc>>| {
        if let Some(at) = at {
            days.entry(hospital).or_default().insert(day_of(at));
        }
    };
    type Times = (Uuid, DateTime<Utc>, Option<DateTime<Utc>>, Option<DateTime<Utc>>);
    let complaints: Vec<Times> = complaint::Entity::find()
        .select_only()
        .columns([
            complaint::Column::HospitalId,
            complaint::Column::ReceivedAt,
            complaint::Column::ResolvedAt,
            complaint::Column::DueAt,
        ])
        .filter(complaint::Column::UpdatedAt.gte(since))
        .into_tuple()
        .all(db)
        .await?;
    for (h, received, resolved, due) in complaints {
        mark(h, Some(received));
        mark(h, resolved);
        mark(h, due);
    }
    let actions: Vec<(Uuid, DateTime<Utc>, Option<DateTime<Utc>>)> = px_action::Entity::find()
        .select_only()
        .columns([px_action::Column::HospitalId, px_action::Column::CreatedAt, px_action::Column::ClosedAt])
        .filter(px_action::Column::UpdatedAt.gte(since))
        .into_tuple()
        .all(db)
        .await?;
    for (h, created, closed) in actions {
        mark(h, Some(created));
        mark(h, closed);
    }
    let journeys: Vec<(Uuid, DateTime<Utc>)> = journey_instance::Entity::find()
        .select_only()
        .columns([journey_instance::Column::HospitalId, journey_instance::Column::StartedAt])
        .filter(journey_instance::Column::UpdatedAt.gte(since))
        .into_tuple()
        .all(db)
        .await?;
    for (h, started) in journeys {
        mark(h, Some(started));
    }
    type SurveyTimes = (Uuid, Option<DateTime<Utc>>, Option<DateTime<Utc>>, DateTime<Utc>);
    let surveys: Vec<SurveyTimes> = survey_instance::Entity::find()
        .select_only()
        .columns([
            survey_instance::Column::HospitalId,
            survey_instance::Column::SentAt,
            survey_instance::Column::CompletedAt,
            survey_instance::Column::CreatedAt,
        ])
        .filter(survey_instance::Column::UpdatedAt.gte(since))
        .into_tuple()
        .all(db)
        .await?;
    for (h, sent, completed, created) in surveys {
        mark(h, sent);
        mark(h, completed);
        mark(h, Some(created));
    }
    Ok(days)
}

/// What a refresh did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Refreshed {
    /// Hospital-days rebuilt.
    pub days: usize,
    /// It rebuilt everything (first run, or asked to).
    pub full: bool,
}

async fn bookmark(db: &DatabaseConnection) -> anyhow::Result<Option<DateTime<Utc>>> {
    Ok(analytics_refresh::Entity::find_by_id(BOOKMARK).one(db).await?.map(|b| b.read_until))
}

async fn set_bookmark(db: &DatabaseConnection, read_until: DateTime<Utc>, now: DateTime<Utc>) -> anyhow::Result<()> {
    analytics_refresh::Entity::insert(analytics_refresh::ActiveModel {
        name: Set(BOOKMARK.to_owned()),
        read_until: Set(read_until),
        refreshed_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(analytics_refresh::Column::Name)
            .update_columns([analytics_refresh::Column::ReadUntil, analytics_refresh::Column::RefreshedAt])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Brings the rollups up to date: the days whose rows changed since the last refresh, or
/// everything on the first run.
pub async fn refresh(db: &DatabaseConnection, now: DateTime<Utc>) -> anyhow::Result<Refreshed> {
    let Some(since) = bookmark(db).await? else { return rebuild_all(db, now, &mut |_, _| {}).await };
    let started = Utc::now().min(now);
    let mut lookups = Lookups::load(db).await?;
    let days = changed_days(db, since - Duration::minutes(OVERLAP_MINUTES)).await?;
    let rebuilt = rebuild_days(db, &mut lookups, days).await?;
    set_bookmark(db, started, now).await?;
    Ok(Refreshed { days: rebuilt, full: false })
}

/// Rebuilds every day of the last `days` days of every hospital with data.
///
/// `progress(done, total)` is called after each chunk with the hospital-days rebuilt so far.
pub async fn rebuild_recent(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    days: i64,
    progress: &mut (dyn FnMut(usize, usize) + Send),
) -> anyhow::Result<Refreshed> {
    let started = Utc::now().min(now);
    let mut lookups = Lookups::load(db).await?;
    let today = day_of(now);
    let from = today - Duration::days(days);
    let hospitals: Vec<Uuid> =
        hospital::Entity::find().select_only().column(hospital::Column::Id).into_tuple().all(db).await?;
    let total = hospitals.len() * (days as usize + 1);
    let mut rebuilt = 0;
    for hospital in hospitals {
        let mut day = from;
        while day <= today {
            // Chunks end on a month's first day, so each month's rollup is summed once.
            let to = (day.with_day(1).unwrap_or(day) + Months::new(1)).min(today + Duration::days(1));
            rebuild_range(db, &mut lookups, hospital, day, to).await?;
            rebuilt += (to - day).num_days() as usize;
            progress(rebuilt, total);
            day = to;
        }
    }
    set_bookmark(db, started, now).await?;
    Ok(Refreshed { days: rebuilt, full: false })
}

/// Rebuilds every day from the oldest row to today.
pub async fn rebuild_all(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    progress: &mut (dyn FnMut(usize, usize) + Send),
) -> anyhow::Result<Refreshed> {
    let oldest = [
        complaint::Entity::find()
            .select_only()
            .column_as(complaint::Column::ReceivedAt.min(), "m")
            .into_tuple::<Option<DateTime<Utc>>>()
            .one(db)
            .await?
            .flatten(),
        px_action::Entity::find()
            .select_only()
            .column_as(px_action::Column::CreatedAt.min(), "m")
            .into_tuple::<Option<DateTime<Utc>>>()
            .one(db)
            .await?
            .flatten(),
        survey_instance::Entity::find()
            .select_only()
            .column_as(survey_instance::Column::CreatedAt.min(), "m")
            .into_tuple::<Option<DateTime<Utc>>>()
            .one(db)
            .await?
            .flatten(),
        journey_instance::Entity::find()
            .select_only()
            .column_as(journey_instance::Column::StartedAt.min(), "m")
            .into_tuple::<Option<DateTime<Utc>>>()
            .one(db)
            .await?
            .flatten(),
    ]
    .into_iter()
    .flatten()
    .min();
    let days = oldest.map_or(0, |o| (day_of(now) - day_of(o)).num_days().max(0));
    let done = rebuild_recent(db, now, days, progress).await?;
    Ok(Refreshed { full: true, ..done })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn riyadh_days_start_at_21_utc() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(day_start(d), Utc.with_ymd_and_hms(2026, 2, 28, 21, 0, 0).unwrap());
        assert_eq!(day_of(Utc.with_ymd_and_hms(2026, 2, 28, 20, 59, 59).unwrap()), d.pred_opt().unwrap());
        assert_eq!(day_of(Utc.with_ymd_and_hms(2026, 2, 28, 21, 0, 0).unwrap()), d);
    }
}
