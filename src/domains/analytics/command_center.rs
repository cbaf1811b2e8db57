//! The command center's figures (spec §15): KPI cards with the change against the previous equal
//! period, trends, complaints by category, the score distribution, departments side by side, the
//! overdue complaints and the physician leaderboard — for the filters chosen and within the
//! reader's scope. Every sum comes from the rollups (`rollup`): whole months from the monthly ones,
//! the days around them from the daily ones; only the two short tables read raw rows, through
//! indexes.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, Duration, Months, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::physicians::{self, WindowRating};
use super::rollup::{day_of, month_key};
use super::rules::{self, percent};
use crate::auth::{Actor, HospitalScope, Role};
use crate::domains::complaints::model::{complaint, complaint_category};
use crate::domains::journeys::templates::JOURNEY_TYPES;
use crate::domains::organizations::model::{department, hospital, staff};
use crate::domains::surveys::rules::{nps_counts, round2};
use crate::error::{AppResult, FieldErrors, invalid, not_found};

/// The period presets of the filter bar.
pub const PERIODS: &[&str] = &["7d", "30d", "90d", "this_month", "last_month", "quarter", "year", "custom"];
/// The longest custom range, in days.
const MAX_DAYS: i64 = 3 * 366;
/// Rows of the short tables.
const TABLE_ROWS: u64 = 10;
/// Slices of the category donut before "other".
const CATEGORY_SLICES: usize = 8;

/// The command center's filters, validated.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Filters {
    pub period: String,
    /// First and last Riyadh day, inclusive.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub hospital_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub journey_type: Option<String>,
}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

impl Filters {
    /// Reads `period` (default 30d), `from`/`to` (custom, YYYY-MM-DD), `hospital_id`,
    /// `department_id` and `journey_type` from a query string's pairs; errors name the field.
    pub fn parse(pairs: &[(String, String)], today: NaiveDate) -> AppResult<Filters> {
        let get =
            |k: &str| pairs.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
        let mut errors = FieldErrors::new();
        for (k, _) in pairs {
            if !["period", "from", "to", "hospital_id", "department_id", "journey_type", "lang"].contains(&k.as_str()) {
                errors.add(k, "Unknown filter.");
            }
        }
        let period =
            get("period").unwrap_or(if get("from").is_some() || get("to").is_some() { "custom" } else { "30d" });
        let uuid = |errors: &mut FieldErrors, k: &str| {
            get(k).and_then(|v| match Uuid::parse_str(v) {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.add(k, "Must be a valid UUID.");
                    None
                }
            })
        };
        let hospital_id = uuid(&mut errors, "hospital_id");
        let department_id = uuid(&mut errors, "department_id");
        let journey_type = get("journey_type").map(str::to_owned);
        if let Some(j) = &journey_type
            && !JOURNEY_TYPES.contains(&j.as_str())
        {
            errors.add("journey_type", format!("Must be one of: {}.", JOURNEY_TYPES.join(", ")));
        }
        let day = |errors: &mut FieldErrors, k: &str| {
            get(k).and_then(|v| match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
                Ok(d) if (2000..=2100).contains(&d.year()) => Some(d),
                Ok(_) => {
                    errors.add(k, "Choose a date between 2000 and 2100.");
                    None
                }
                Err(_) => {
                    errors.add(k, "Enter a date as YYYY-MM-DD.");
                    None
                }
            })
        };
        let back = |days: i64| (today - Duration::days(days - 1), today);
        let (from, to) = match period {
            "7d" => back(7),
            "30d" => back(30),
            "90d" => back(90),
            "this_month" => (first_of_month(today), today),
            "last_month" => {
                let end = first_of_month(today) - Duration::days(1);
                (first_of_month(end), end)
            }
            "quarter" => {
                let month = (today.month0() / 3) * 3 + 1;
                (NaiveDate::from_ymd_opt(today.year(), month, 1).unwrap_or(today), today)
            }
            "year" => (NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today), today),
            "custom" => {
                let from = day(&mut errors, "from");
                let to = day(&mut errors, "to");
                match (from, to) {
                    (Some(f), Some(t)) if f > t => {
                        errors.add("to", "Must be on or after the start date.");
                        (today, today)
                    }
                    (Some(f), Some(t)) if (t - f).num_days() >= MAX_DAYS => {
                        errors.add("from", "A range may span at most three years.");
                        (today, today)
                    }
                    (Some(f), Some(t)) => (f, t),
                    (f, t) => {
                        if f.is_none() && get("from").is_none() {
                            errors.add("from", "Choose a start date for a custom range.");
                        }
                        if t.is_none() && get("to").is_none() {
                            errors.add("to", "Choose an end date for a custom range.");
                        }
                        (today, today)
                    }
                }
            }
            _ => {
                errors.add("period", format!("Must be one of: {}.", PERIODS.join(", ")));
                (today, today)
            }
        };
        errors.into_result()?;
        Ok(Filters { period: period.to_owned(), from, to, hospital_id, department_id, journey_type })
    }

    /// The period to compare with. A calendar preset compares with the same days of the
    /// calendar period before (this month so far with last month to the same day, last month
    /// with the month before, this year so far with last year to the same day); the rolling
    /// and custom ranges with as many days just before.
    pub fn previous(&self) -> (NaiveDate, NaiveDate) {
        let months = match self.period.as_str() {
            "this_month" | "last_month" => 1,
            "quarter" => 3,
            "year" => 12,
            _ => 0,
        };
        let day_before = self.from - Duration::days(1);
        if months > 0 {
            let back = |d: NaiveDate| d.checked_sub_months(Months::new(months)).unwrap_or(d);
            let to = if self.period == "last_month" { day_before } else { std::cmp::min(back(self.to), day_before) };
            return (back(self.from), to);
        }
        let days = (self.to - self.from).num_days() + 1;
        (self.from - Duration::days(days), day_before)
    }

    /// These filters as a query string (for links and exports).
    pub fn query_string(&self) -> String {
        let mut q = vec![("period", self.period.clone())];
        if self.period == "custom" {
            q.push(("from", self.from.to_string()));
            q.push(("to", self.to.to_string()));
        }
        if let Some(h) = self.hospital_id {
            q.push(("hospital_id", h.to_string()));
        }
        if let Some(d) = self.department_id {
            q.push(("department_id", d.to_string()));
        }
        if let Some(j) = &self.journey_type {
            q.push(("journey_type", j.clone()));
        }
        serde_urlencoded::to_string(q).unwrap_or_default()
    }
}

/// Which rows a reader's figures come from.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    /// None: every hospital.
    pub hospitals: Option<Vec<Uuid>>,
    /// None: every department of those hospitals.
    pub departments: Option<Vec<Uuid>>,
}

/// Roles whose figures are their departments' only (of those who see analytics).
pub fn department_scoped(role: Role) -> bool {
    matches!(role, Role::DepartmentManager | Role::Physician | Role::Nurse | Role::Staff)
}

/// The reader's scope narrowed to `hospital_id` and `department_id`: another hospital's or
/// department's id (or a deleted one) is a 404. A department-scoped reader without a department
/// sees nothing (an empty list), never the hospital.
pub async fn scope_of(
    db: &DatabaseConnection,
    actor: &Actor,
    hospital_id: Option<Uuid>,
    department_id: Option<Uuid>,
) -> AppResult<Scope> {
    let mut hospitals = match actor.scope() {
        HospitalScope::All => None,
        HospitalScope::Only(h) => Some(vec![h]),
    };
    if let Some(h) = hospital_id {
        let exists =
            hospital::Entity::find_by_id(h).filter(hospital::Column::DeletedAt.is_null()).one(db).await?.is_some();
        if !exists || !actor.sees_hospital(h) {
            return Err(not_found("hospital"));
        }
        hospitals = Some(vec![h]);
    }
    let mut departments = department_scoped(actor.role).then(|| actor.department_ids.clone());
    if let Some(d) = department_id {
        let row = department::Entity::find_by_id(d).filter(department::Column::DeletedAt.is_null()).one(db).await?;
        let Some(row) = row.filter(|row| {
            actor.sees_hospital(row.hospital_id) && departments.as_ref().is_none_or(|ds| ds.contains(&d))
        }) else {
            return Err(not_found("department"));
        };
        // A department the reader may see, but of another hospital than the one chosen: a
        // mistake in the filters (a PX admin's), not a secret.
        if hospitals.as_ref().is_some_and(|hs| !hs.contains(&row.hospital_id)) {
            return Err(invalid("department_id", "Choose a department of the chosen hospital."));
        }
        departments = Some(vec![d]);
    }
    Ok(Scope { hospitals, departments })
}

/// The reader's scope narrowed by the filters.
pub async fn scope(db: &DatabaseConnection, actor: &Actor, f: &Filters) -> AppResult<Scope> {
    scope_of(db, actor, f.hospital_id, f.department_id).await
}

macro_rules! totals {
    (care: [$($c:ident),*], surveys: [$($s:ident),*]) => {
        /// Sums of the rollup columns over some rows.
        #[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, ToSchema)]
        pub struct Totals {
            $(pub $c: f64,)*
            $(pub $s: f64,)*
        }

        /// The summed columns: complaint and action ones, then survey and encounter ones (which
        /// alone follow the journey type filter).
        const CARE_COLUMNS: &[&str] = &[$(stringify!($c)),*];
        const SURVEY_COLUMNS: &[&str] = &[$(stringify!($s)),*];

        impl Totals {
            fn add(&mut self, o: &Totals, care: bool, surveys: bool) {
                if care { $(self.$c += o.$c;)* }
                if surveys { $(self.$s += o.$s;)* }
            }

            /// The sums of a grouped query's row (each cast to double precision).
            fn from_row(row: &sea_orm::QueryResult) -> Result<Totals, sea_orm::DbErr> {
                Ok(Totals {
                    $($c: row.try_get::<Option<f64>>("", stringify!($c))?.unwrap_or(0.0),)*
                    $($s: row.try_get::<Option<f64>>("", stringify!($s))?.unwrap_or(0.0),)*
                })
            }
        }
    };
}

totals!(
    care: [complaints_received, complaints_open, complaints_overdue, complaints_cancelled, complaints_settled,
        complaints_resolved, complaints_due, complaints_due_met, actions_created, actions_open, actions_overdue,
        actions_closed],
    surveys: [encounters, surveys_sent, surveys_undeliverable, surveys_completed, surveys_negative, score_sum, score_n,
        score_1, score_2, score_3, score_4, score_5, nps_promoters, nps_passives, nps_detractors, csat_positive,
        csat_answers]
);

fn n(v: f64) -> u64 {
    v.max(0.0).round() as u64
}

impl Totals {
    /// Adds every column of `o`.
    pub fn add_all(&mut self, o: &Totals) {
        self.add(o, true, true);
    }

    pub fn average_score(&self) -> Option<f64> {
        (self.score_n > 0.0).then(|| round2(self.score_sum / self.score_n))
    }
    pub fn nps(&self) -> Option<f64> {
        nps_counts(n(self.nps_promoters), n(self.nps_passives), n(self.nps_detractors))
    }
    pub fn csat(&self) -> Option<f64> {
        percent(n(self.csat_positive), n(self.csat_answers))
    }
    pub fn response_rate(&self) -> Option<f64> {
        crate::domains::surveys::rules::response_rate(
            n(self.surveys_completed),
            n(self.surveys_sent),
            n(self.surveys_undeliverable),
        )
    }
    pub fn negative_rate(&self) -> Option<f64> {
        percent(n(self.surveys_negative), n(self.surveys_completed))
    }
    pub fn sla_compliance(&self) -> Option<f64> {
        rules::sla_compliance(n(self.complaints_due_met), n(self.complaints_due))
    }
    pub fn complaint_rate(&self) -> Option<f64> {
        rules::complaint_rate(n(self.complaints_received), n(self.encounters))
    }
}

/// How rows are grouped before summing.
#[derive(Clone, Copy, PartialEq)]
pub enum Group {
    None,
    Day,
    /// The key: `YYYY-MM`.
    Month,
    Department,
    /// Hospital and department: the key is `hospital_id/department_id`.
    Place,
}

/// A range of days as the rollups hold it: the whole months inside it (read from the monthly
/// rollups) and the days before and after them (from the daily ones). A day-by-day grouping
/// reads days only.
#[derive(Debug, PartialEq)]
struct Pieces {
    /// First and last `YYYY-MM`, inclusive.
    months: Option<(String, String)>,
    /// First and last day, inclusive.
    days: Vec<(NaiveDate, NaiveDate)>,
}

fn pieces(from: NaiveDate, to: NaiveDate, group: Group) -> Pieces {
    let next_month = |d: NaiveDate| first_of_month(d) + chrono::Months::new(1);
    let first = if from.day() == 1 { from } else { next_month(from) };
    let last = if next_month(to) - Duration::days(1) == to { to } else { first_of_month(to) - Duration::days(1) };
    if group == Group::Day || first > last {
        return Pieces { months: None, days: vec![(from, to)] };
    }
    let mut days = Vec::new();
    if from < first {
        days.push((from, first - Duration::days(1)));
    }
    if last < to {
        days.push((last + Duration::days(1), to));
    }
    Pieces { months: Some((month_key(first), month_key(last))), days }
}

/// Sums of the rollup rows of `scope` over days `from..=to`, grouped by `group` (the key: a day,
/// a month or a department id, "" for none), survey columns only from the journey type's rows.
pub async fn sums(
    db: &DatabaseConnection,
    scope: &Scope,
    journey: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
    group: Group,
) -> AppResult<BTreeMap<String, Totals>> {
    let p = pieces(from, to, group);
    let mut out: BTreeMap<String, Totals> = BTreeMap::new();
    if let Some((first, last)) = &p.months {
        sum_table(db, Table::Monthly, scope, journey, first, last, group, &mut out).await?;
    }
    for (first, last) in p.days {
        sum_table(db, Table::Daily, scope, journey, &first.to_string(), &last.to_string(), group, &mut out).await?;
    }
    Ok(out)
}

#[derive(Clone, Copy, PartialEq)]
enum Table {
    Daily,
    Monthly,
}

impl Table {
    /// The table, and its period column.
    fn names(self) -> (&'static str, &'static str) {
        match self {
            Table::Daily => ("analytics_daily", "day"),
            Table::Monthly => ("analytics_monthly", "month"),
        }
    }
}

/// Adds to `out` the sums of `table`'s rows of periods `first..=last` (days or months).
#[allow(clippy::too_many_arguments)]
async fn sum_table(
    db: &DatabaseConnection,
    table: Table,
    scope: &Scope,
    journey: Option<&str>,
    first: &str,
    last: &str,
    group: Group,
    out: &mut BTreeMap<String, Totals>,
) -> AppResult<()> {
    let (name, period) = table.names();
    let col = |c: &str| Expr::col(Alias::new(c));
    let mut q = Query::select();
    q.from(Alias::new(name))
        .column(Alias::new("journey_type"))
        .group_by_col(Alias::new("journey_type"))
        .and_where(col(period).gte(first))
        .and_where(col(period).lte(last));
    let grouped: &[&str] = match group {
        Group::None => &[],
        Group::Day | Group::Month => &[period],
        Group::Department => &["department_id"],
        Group::Place => &["hospital_id", "department_id"],
    };
    for c in grouped {
        q.column(Alias::new(*c)).group_by_col(Alias::new(*c));
    }
    for name in CARE_COLUMNS.iter().chain(SURVEY_COLUMNS) {
        q.expr_as(col(name).sum().cast_as(Alias::new("double precision")), Alias::new(*name));
    }
    if let Some(h) = &scope.hospitals {
        q.and_where(col("hospital_id").is_in(h.iter().copied()));
    }
    if let Some(d) = &scope.departments {
        q.and_where(col("department_id").is_in(d.iter().copied()));
    }
    for row in db.query_all_raw(db.get_database_backend().build(&q)).await? {
        let journey_type: String = row.try_get("", "journey_type")?;
        let key = match group {
            Group::None => String::new(),
            Group::Day => row.try_get("", "day")?,
            // A day's month is its first seven characters.
            Group::Month => row.try_get::<String>("", period)?.chars().take(7).collect(),
            Group::Department => row.try_get::<Uuid>("", "department_id")?.to_string(),
            Group::Place => {
                format!("{}/{}", row.try_get::<Uuid>("", "hospital_id")?, row.try_get::<Uuid>("", "department_id")?)
            }
        };
        let t = Totals::from_row(&row)?;
        let surveys = journey.is_none_or(|j| j == journey_type);
        out.entry(key).or_default().add(&t, true, surveys);
    }
    Ok(())
}

/// One KPI card.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Card {
    pub key: String,
    pub value: Option<f64>,
    pub previous: Option<f64>,
    /// The change against the previous period: in % for counts (none when that was 0), in
    /// points for rates, scores and NPS (none when either is empty).
    pub change: Option<f64>,
    /// Whether a rise is good (green) or bad (red).
    pub higher_is_better: bool,
    /// count | percent | score | nps
    pub unit: String,
    /// The list behind the figure.
    pub href: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Trend {
    /// day | week | month
    pub bucket: String,
    pub labels: Vec<String>,
    pub complaints_received: Vec<u64>,
    pub complaints_resolved: Vec<u64>,
    pub surveys_completed: Vec<u64>,
    pub average_score: Vec<Option<f64>>,
    pub nps: Vec<Option<f64>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategorySlice {
    /// None: no category, or the "other" slice.
    pub category_id: Option<Uuid>,
    pub name_en: String,
    pub name_ar: String,
    pub complaints: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DepartmentRow {
    pub department_id: Option<Uuid>,
    pub name_en: String,
    pub name_ar: String,
    pub complaints: u64,
    pub complaints_overdue: u64,
    pub surveys_completed: u64,
    pub average_score: Option<f64>,
    pub nps: Option<f64>,
    pub response_rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OverdueRow {
    pub id: Uuid,
    pub reference_number: String,
    pub title: String,
    pub severity: String,
    pub department_en: String,
    pub department_ar: String,
    pub due_at: Option<chrono::DateTime<Utc>>,
    pub hours_overdue: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LeaderRow {
    pub physician_id: Uuid,
    pub name_en: String,
    pub name_ar: String,
    pub department_en: String,
    pub department_ar: String,
    pub rank: Option<u32>,
    pub n: u64,
    /// The rating: none below the minimum number of responses ("not enough responses").
    pub mean: Option<f64>,
    pub stars: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub positive: u64,
    pub neutral: u64,
    pub negative: u64,
}

/// Everything the command center shows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommandCenter {
    pub filters: Filters,
    pub previous_from: NaiveDate,
    pub previous_to: NaiveDate,
    pub cards: Vec<Card>,
    pub totals: Totals,
    pub previous_totals: Totals,
    pub trend: Trend,
    pub categories: Vec<CategorySlice>,
    /// Completed surveys whose 1–5 score rounds to 1, 2, 3, 4, 5.
    pub score_distribution: Vec<u64>,
    pub departments: Vec<DepartmentRow>,
    pub overdue_complaints: Vec<OverdueRow>,
    /// The leaderboard's window (`YYYY-MM` months, rolling 12 ending with the period).
    pub leaderboard_from: String,
    pub leaderboard_to: String,
    pub leaderboard: Vec<LeaderRow>,
    /// Physicians rated in the window with too few responses to be ranked.
    pub unranked_physicians: u64,
    /// When the rollups were last brought up to date.
    pub refreshed_at: Option<chrono::DateTime<Utc>>,
}

/// Where each card's figure comes from, as a list query.
struct Links<'a> {
    f: &'a Filters,
    scope: &'a Scope,
}

impl Links<'_> {
    fn place(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if let Some(h) = self.f.hospital_id {
            q.push(("hospital_id", h.to_string()));
        }
        if let Some(d) = self.f.department_id.or_else(|| match &self.scope.departments {
            Some(ds) if ds.len() == 1 => ds.first().copied(),
            _ => None,
        }) {
            q.push(("department_id", d.to_string()));
        }
        q
    }

    fn complaints(&self, extra: &[(&'static str, &str)]) -> String {
        let mut q = vec![
            ("complaint_type", "complaint".to_owned()),
            ("received_from", self.f.from.to_string()),
            ("received_to", self.f.to.to_string()),
        ];
        q.extend(self.place());
        q.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        format!("/complaints/?{}", serde_urlencoded::to_string(q).unwrap_or_default())
    }

    fn actions(&self, extra: &[(&'static str, &str)]) -> String {
        let mut q = vec![("created_from", self.f.from.to_string()), ("created_to", self.f.to.to_string())];
        q.extend(self.place());
        q.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        format!("/actions/?{}", serde_urlencoded::to_string(q).unwrap_or_default())
    }

    /// Surveys created in the period (the sent ones), or with `completed` those completed in it.
    fn surveys(&self, completed: bool, extra: &[(&'static str, &str)]) -> String {
        let (from, to) = if completed { ("completed_from", "completed_to") } else { ("from", "to") };
        let mut q = vec![(from, self.f.from.to_string()), (to, self.f.to.to_string())];
        q.extend(self.place());
        q.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        format!("/surveys/?{}", serde_urlencoded::to_string(q).unwrap_or_default())
    }
}

fn cards(t: &Totals, p: &Totals, links: &Links) -> Vec<Card> {
    let card =
        |key: &str, unit: &str, higher: bool, value: Option<f64>, previous: Option<f64>, href: Option<String>| Card {
            key: key.to_owned(),
            value,
            previous,
            // Counts change in %; rates, scores and NPS in points.
            change: if unit == "count" {
                rules::change(value, previous)
            } else {
                value.zip(previous).map(|(v, p)| crate::domains::surveys::rules::round2(v - p))
            },
            higher_is_better: higher,
            unit: unit.to_owned(),
            href,
        };
    vec![
        card(
            "complaints_total",
            "count",
            false,
            Some(t.complaints_received),
            Some(p.complaints_received),
            Some(links.complaints(&[])),
        ),
        card(
            "complaints_open",
            "count",
            false,
            Some(t.complaints_open),
            Some(p.complaints_open),
            Some(links.complaints(&[("status", "open,in_progress")])),
        ),
        card(
            "complaints_overdue",
            "count",
            false,
            Some(t.complaints_overdue),
            Some(p.complaints_overdue),
            Some(links.complaints(&[("overdue", "true")])),
        ),
        card(
            "complaints_resolved",
            "count",
            true,
            Some(t.complaints_settled),
            Some(p.complaints_settled),
            Some(links.complaints(&[("status", "resolved,closed")])),
        ),
        card("sla_compliance", "percent", true, t.sla_compliance(), p.sla_compliance(), None),
        card(
            "actions_total",
            "count",
            true,
            Some(t.actions_created),
            Some(p.actions_created),
            Some(links.actions(&[])),
        ),
        card(
            "actions_open",
            "count",
            false,
            Some(t.actions_open),
            Some(p.actions_open),
            Some(links.actions(&[("status", "open,in_progress,pending_approval")])),
        ),
        card(
            "actions_overdue",
            "count",
            false,
            Some(t.actions_overdue),
            Some(p.actions_overdue),
            Some(links.actions(&[("overdue", "true")])),
        ),
        card("response_rate", "percent", true, t.response_rate(), p.response_rate(), Some(links.surveys(false, &[]))),
        card(
            "average_score",
            "score",
            true,
            t.average_score(),
            p.average_score(),
            Some(links.surveys(true, &[("status", "completed")])),
        ),
        card("nps", "nps", true, t.nps(), p.nps(), None),
        card("csat", "percent", true, t.csat(), p.csat(), None),
        card(
            "negative_surveys",
            "count",
            false,
            Some(t.surveys_negative),
            Some(p.surveys_negative),
            Some(links.surveys(true, &[("negative", "true")])),
        ),
        card("negative_rate", "percent", false, t.negative_rate(), p.negative_rate(), None),
    ]
}

/// The bucket a day falls in for a range of `days` days: days up to a month, weeks (starting on
/// Sunday) up to half a year, months beyond.
fn bucket_of(day: NaiveDate, days: i64) -> (String, NaiveDate) {
    if days <= 31 {
        ("day".into(), day)
    } else if days <= 183 {
        ("week".into(), day - Duration::days(i64::from(day.weekday().num_days_from_sunday())))
    } else {
        ("month".into(), first_of_month(day))
    }
}

/// The trend of the range from its sums per day (`Group::Day`), or per month (`Group::Month`)
/// when the buckets are months.
fn trend(f: &Filters, sums: &BTreeMap<String, Totals>) -> Trend {
    let days = (f.to - f.from).num_days() + 1;
    let mut buckets: BTreeMap<NaiveDate, Totals> = BTreeMap::new();
    let mut kind = String::from("day");
    let mut day = f.from;
    while day <= f.to {
        let (k, start) = bucket_of(day, days);
        let entry = buckets.entry(start).or_default();
        let key = if k == "month" {
            (day == f.from || day.day() == 1).then(|| month_key(day))
        } else {
            Some(day.to_string())
        };
        if let Some(t) = key.and_then(|k| sums.get(&k)) {
            entry.add(t, true, true);
        }
        kind = k;
        day += Duration::days(1);
    }
    let mut out = Trend { bucket: kind.clone(), ..Default::default() };
    for (start, t) in buckets {
        out.labels.push(if kind == "month" { start.format("%Y-%m").to_string() } else { start.to_string() });
        out.complaints_received.push(n(t.complaints_received));
        out.complaints_resolved.push(n(t.complaints_resolved));
        out.surveys_completed.push(n(t.surveys_completed));
        out.average_score.push(t.average_score());
        out.nps.push(t.nps());
    }
    out
}

async fn categories(db: &DatabaseConnection, scope: &Scope, f: &Filters) -> AppResult<Vec<CategorySlice>> {
    let col = |c: &str| Expr::col(Alias::new(c));
    let p = pieces(f.from, f.to, Group::None);
    let mut ranges: Vec<(&str, &str, String, String)> =
        p.days.iter().map(|(a, b)| ("analytics_daily_categories", "day", a.to_string(), b.to_string())).collect();
    if let Some((a, b)) = p.months {
        ranges.push(("analytics_monthly_categories", "month", a, b));
    }
    let mut counts: HashMap<Uuid, u64> = HashMap::new();
    for (table, period, first, last) in ranges {
        let mut q = Query::select();
        q.from(Alias::new(table))
            .column(Alias::new("category_id"))
            .expr_as(col("complaints").sum().cast_as(Alias::new("double precision")), Alias::new("n"))
            .and_where(col(period).gte(first))
            .and_where(col(period).lte(last))
            .group_by_col(Alias::new("category_id"));
        if let Some(h) = &scope.hospitals {
            q.and_where(col("hospital_id").is_in(h.iter().copied()));
        }
        if let Some(d) = &scope.departments {
            q.and_where(col("department_id").is_in(d.iter().copied()));
        }
        for row in db.query_all_raw(db.get_database_backend().build(&q)).await? {
            let id: Uuid = row.try_get("", "category_id")?;
            *counts.entry(id).or_default() += n(row.try_get::<Option<f64>>("", "n")?.unwrap_or(0.0));
        }
    }
    let mut rows: Vec<(Uuid, u64)> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).filter(|id| !id.is_nil()).collect();
    let names: HashMap<Uuid, (String, String)> = complaint_category::Entity::find()
        .filter(complaint_category::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, (c.name_en, c.name_ar)))
        .collect();
    let mut out = Vec::new();
    let mut other = 0;
    for (i, (id, count)) in rows.into_iter().enumerate() {
        if i >= CATEGORY_SLICES || id.is_nil() {
            other += count;
            continue;
        }
        let (en, ar) = names.get(&id).cloned().unwrap_or_default();
        out.push(CategorySlice { category_id: Some(id), name_en: en, name_ar: ar, complaints: count });
    }
    if other > 0 {
        out.push(CategorySlice {
            category_id: None,
            name_en: "Other or none".into(),
            name_ar: "أخرى أو بلا تصنيف".into(),
            complaints: other,
        });
    }
    Ok(out)
}

/// Departments' names (English, Arabic). With `tell_hospitals`, when they span more than one
/// hospital each name carries its hospital's code (several hospitals have an "Emergency").
async fn department_names(
    db: &DatabaseConnection,
    ids: Vec<Uuid>,
    tell_hospitals: bool,
) -> AppResult<HashMap<Uuid, (String, String)>> {
    let found = department::Entity::find().filter(department::Column::Id.is_in(ids)).all(db).await?;
    let hospitals: BTreeSet<Uuid> = found.iter().map(|d| d.hospital_id).collect();
    let codes: HashMap<Uuid, String> = if tell_hospitals && hospitals.len() > 1 {
        hospital::Entity::find()
            .filter(hospital::Column::Id.is_in(hospitals))
            .all(db)
            .await?
            .into_iter()
            .map(|h| (h.id, h.code))
            .collect()
    } else {
        HashMap::new()
    };
    Ok(found
        .into_iter()
        .map(|d| match codes.get(&d.hospital_id) {
            Some(code) => (d.id, (format!("{code} · {}", d.name_en), format!("{code} · {}", d.name_ar))),
            None => (d.id, (d.name_en, d.name_ar)),
        })
        .collect())
}

async fn departments(
    db: &DatabaseConnection,
    by_department: &BTreeMap<String, Totals>,
) -> AppResult<Vec<DepartmentRow>> {
    let ids: Vec<Uuid> =
        by_department.keys().filter_map(|k| Uuid::parse_str(k).ok()).filter(|id| !id.is_nil()).collect();
    let names = department_names(db, ids, true).await?;
    let mut rows: Vec<DepartmentRow> = by_department
        .iter()
        .map(|(k, t)| {
            let id = Uuid::parse_str(k).ok().filter(|id| !id.is_nil());
            let (en, ar) =
                id.and_then(|id| names.get(&id).cloned()).unwrap_or_else(|| ("No department".into(), "بلا قسم".into()));
            DepartmentRow {
                department_id: id,
                name_en: en,
                name_ar: ar,
                complaints: n(t.complaints_received),
                complaints_overdue: n(t.complaints_overdue),
                surveys_completed: n(t.surveys_completed),
                average_score: t.average_score(),
                nps: t.nps(),
                response_rate: t.response_rate(),
            }
        })
        .filter(|r| r.complaints > 0 || r.surveys_completed > 0)
        .collect();
    rows.sort_by(|a, b| b.complaints.cmp(&a.complaints).then(a.name_en.cmp(&b.name_en)));
    Ok(rows)
}

async fn overdue(db: &DatabaseConnection, scope: &Scope, f: &Filters) -> AppResult<Vec<OverdueRow>> {
    use complaint::Column as C;
    let mut q = complaint::Entity::find()
        .filter(C::IsOverdue.eq(true))
        .filter(C::Status.is_in(["open", "in_progress"]))
        .filter(C::ComplaintType.eq("complaint"))
        .filter(C::DeletedAt.is_null())
        .filter(C::ReceivedAt.gte(super::rollup::day_start(f.from)))
        .filter(C::ReceivedAt.lt(super::rollup::day_start(f.to + Duration::days(1))))
        .order_by_asc(C::DueAt)
        .limit(TABLE_ROWS);
    if let Some(h) = &scope.hospitals {
        q = q.filter(C::HospitalId.is_in(h.clone()));
    }
    if let Some(d) = &scope.departments {
        q = q.filter(C::DepartmentId.is_in(d.clone()));
    }
    let rows = q.all(db).await?;
    let names = department_names(db, rows.iter().filter_map(|c| c.department_id).collect(), false).await?;
    let now = Utc::now();
    Ok(rows
        .into_iter()
        .map(|c| {
            let (en, ar) = c.department_id.and_then(|d| names.get(&d).cloned()).unwrap_or_default();
            OverdueRow {
                id: c.id,
                reference_number: c.reference_number,
                title: c.title,
                severity: c.severity,
                department_en: en,
                department_ar: ar,
                due_at: c.due_at,
                hours_overdue: c.due_at.map_or(0, |d| Ord::max((now - d).num_hours(), 0)),
            }
        })
        .collect())
}

/// Names and departments of the physicians of `ratings`, as leaderboard rows.
pub async fn leader_rows(db: &DatabaseConnection, ratings: &[WindowRating]) -> AppResult<Vec<LeaderRow>> {
    let ids: Vec<Uuid> = ratings.iter().map(|r| r.physician_id).collect();
    let people: HashMap<Uuid, staff::Model> = staff::Entity::find()
        .filter(staff::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let names = department_names(db, ratings.iter().filter_map(|r| r.department_id).collect(), false).await?;
    Ok(ratings
        .iter()
        .map(|r| {
            let p = people.get(&r.physician_id);
            let (den, dar) = r.department_id.and_then(|d| names.get(&d).cloned()).unwrap_or_default();
            LeaderRow {
                physician_id: r.physician_id,
                name_en: p
                    .map(|p| format!("{} {}", p.first_name_en, p.last_name_en).trim().to_owned())
                    .unwrap_or_default(),
                name_ar: p
                    .map(|p| format!("{} {}", p.first_name_ar, p.last_name_ar).trim().to_owned())
                    .unwrap_or_default(),
                department_en: den,
                department_ar: dar,
                rank: r.rank,
                n: r.rating.n,
                mean: r.rating.rankable.then_some(r.rating.mean),
                stars: r.rating.rankable.then_some(r.rating.stars),
                ci_low: r.rating.ci_low.filter(|_| r.rating.rankable),
                ci_high: r.rating.ci_high.filter(|_| r.rating.rankable),
                positive: r.rating.positive,
                neutral: r.rating.neutral,
                negative: r.rating.negative,
            }
        })
        .collect())
}

/// The command center for `actor` with filters `f`.
pub async fn compute(db: &DatabaseConnection, actor: &Actor, f: &Filters) -> AppResult<CommandCenter> {
    let scope = scope(db, actor, f).await?;
    let journey = f.journey_type.as_deref();
    let (pf, pt) = f.previous();
    // Sums per trend point: per day, or per month when the trend is monthly (whole months
    // then come from the monthly rollups).
    let monthly = bucket_of(f.from, (f.to - f.from).num_days() + 1).0 == "month";
    let by_point = sums(db, &scope, journey, f.from, f.to, if monthly { Group::Month } else { Group::Day }).await?;
    // The period's totals are the points' sums (one scan of the rollups fewer).
    let totals = by_point.values().fold(Totals::default(), |mut all, t| {
        all.add_all(t);
        all
    });
    let previous_totals = sums(db, &scope, journey, pf, pt, Group::None).await?.remove("").unwrap_or_default();
    let by_department = sums(db, &scope, journey, f.from, f.to, Group::Department).await?;
    let links = Links { f, scope: &scope };
    let (lf, lt) = physicians::months_ending(f.to.year(), f.to.month(), 12);
    let ratings = physicians::window(db, scope.hospitals.as_deref(), scope.departments.as_deref(), &lf, &lt)
        .await
        .map_err(crate::error::AppError::from)?;
    let unranked = ratings.iter().filter(|r| r.rank.is_none()).count() as u64;
    let top: Vec<WindowRating> = ratings.into_iter().filter(|r| r.rank.is_some()).take(TABLE_ROWS as usize).collect();
    let refreshed_at = super::model::analytics_refresh::Entity::find().one(db).await?.map(|r| r.refreshed_at);
    Ok(CommandCenter {
        filters: f.clone(),
        previous_from: pf,
        previous_to: pt,
        cards: cards(&totals, &previous_totals, &links),
        trend: trend(f, &by_point),
        categories: categories(db, &scope, f).await?,
        score_distribution: vec![
            n(totals.score_1),
            n(totals.score_2),
            n(totals.score_3),
            n(totals.score_4),
            n(totals.score_5),
        ],
        departments: departments(db, &by_department).await?,
        overdue_complaints: overdue(db, &scope, f).await?,
        leaderboard_from: lf,
        leaderboard_to: lt,
        leaderboard: leader_rows(db, &top).await?,
        unranked_physicians: unranked,
        totals,
        previous_totals,
        refreshed_at,
    })
}

/// Today in Riyadh.
pub fn today() -> NaiveDate {
    day_of(Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &str) -> Vec<(String, String)> {
        serde_urlencoded::from_str(q).unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn presets_and_their_previous_periods() {
        let today = d("2026-05-14");
        for (q, from, to, pfrom, pto) in [
            ("", "2026-04-15", "2026-05-14", "2026-03-16", "2026-04-14"),
            ("period=7d", "2026-05-08", "2026-05-14", "2026-05-01", "2026-05-07"),
            ("period=90d", "2026-02-14", "2026-05-14", "2025-11-16", "2026-02-13"),
            ("period=this_month", "2026-05-01", "2026-05-14", "2026-04-01", "2026-04-14"),
            ("period=last_month", "2026-04-01", "2026-04-30", "2026-03-01", "2026-03-31"),
            ("period=quarter", "2026-04-01", "2026-05-14", "2026-01-01", "2026-02-14"),
            ("period=year", "2026-01-01", "2026-05-14", "2025-01-01", "2025-05-14"),
            ("period=custom&from=2026-02-01&to=2026-02-28", "2026-02-01", "2026-02-28", "2026-01-04", "2026-01-31"),
            ("from=2026-02-01&to=2026-02-01", "2026-02-01", "2026-02-01", "2026-01-31", "2026-01-31"),
        ] {
            let f = Filters::parse(&pairs(q), today).unwrap();
            assert_eq!((f.from, f.to), (d(from), d(to)), "{q}");
            assert_eq!(f.previous(), (d(pfrom), d(pto)), "{q}");
        }
        // On the 31st, this month so far compares with all of a shorter month before.
        let f = Filters::parse(&pairs("period=this_month"), d("2026-03-31")).unwrap();
        assert_eq!(f.previous(), (d("2026-02-01"), d("2026-02-28")));
        let f = Filters::parse(&pairs("period=last_month"), d("2026-03-31")).unwrap();
        assert_eq!(f.previous(), (d("2026-01-01"), d("2026-01-31")));
    }

    #[test]
    fn bad_filters_name_the_field() {
        let today = d("2026-05-14");
        for (q, field) in [
            ("period=fortnight", "period"),
            ("period=custom", "from"),
            ("period=custom&from=2026-02-10&to=2026-02-01", "to"),
            ("period=custom&from=2020-01-01&to=2026-01-01", "from"),
            ("period=custom&from=10/02/2026&to=2026-02-11", "from"),
            ("hospital_id=12", "hospital_id"),
            ("department_id=x", "department_id"),
            ("journey_type=spa", "journey_type"),
            ("colour=red", "colour"),
        ] {
            let err = Filters::parse(&pairs(q), today).unwrap_err();
            let text = format!("{err:?}");
            assert!(text.contains(field), "{q}: {text}");
        }
    }

    #[test]
    fn filters_round_trip_through_their_query_string() {
        let today = d("2026-05-14");
        let f = Filters::parse(
            &pairs("period=custom&from=2026-01-01&to=2026-03-31&journey_type=opd&department_id=6f1c1e1e-0000-4000-8000-000000000001"),
            today,
        )
        .unwrap();
        assert_eq!(Filters::parse(&pairs(&f.query_string()), today).unwrap(), f);
    }

    #[test]
    fn trend_buckets_follow_the_range() {
        assert_eq!(bucket_of(d("2026-05-14"), 30), ("day".into(), d("2026-05-14")));
        // 2026-05-14 is a Thursday; its week starts on Sunday the 10th.
        assert_eq!(bucket_of(d("2026-05-14"), 90), ("week".into(), d("2026-05-10")));
        assert_eq!(bucket_of(d("2026-05-14"), 365), ("month".into(), d("2026-05-01")));
    }

    #[test]
    fn ranges_read_whole_months_from_the_monthly_rollups() {
        let months = |a: &str, b: &str| Some((a.to_owned(), b.to_owned()));
        for (from, to, group, expect_months, expect_days) in [
            // Inside one month: days only.
            ("2026-03-01", "2026-03-28", Group::None, None, vec![("2026-03-01", "2026-03-28")]),
            ("2026-03-02", "2026-03-31", Group::None, None, vec![("2026-03-02", "2026-03-31")]),
            // A whole month, February of a common year.
            ("2026-02-01", "2026-02-28", Group::Department, months("2026-02", "2026-02"), vec![]),
            // …and of a leap year: the 28th is not its end.
            ("2028-02-01", "2028-02-28", Group::None, None, vec![("2028-02-01", "2028-02-28")]),
            ("2028-02-01", "2028-02-29", Group::None, months("2028-02", "2028-02"), vec![]),
            // Days before and after the whole months, across a year's end.
            (
                "2025-12-15",
                "2026-04-10",
                Group::Month,
                months("2026-01", "2026-03"),
                vec![("2025-12-15", "2025-12-31"), ("2026-04-01", "2026-04-10")],
            ),
            // Two years and a day.
            (
                "2024-12-04",
                "2026-12-04",
                Group::Place,
                months("2025-01", "2026-11"),
                vec![("2024-12-04", "2024-12-31"), ("2026-12-01", "2026-12-04")],
            ),
            // Grouped by day: days only, whatever the range.
            ("2026-01-01", "2026-03-31", Group::Day, None, vec![("2026-01-01", "2026-03-31")]),
        ] {
            let p = pieces(d(from), d(to), group);
            assert_eq!(p.months, expect_months, "{from}..{to}");
            let days: Vec<(NaiveDate, NaiveDate)> = expect_days.iter().map(|(a, b)| (d(a), d(b))).collect();
            assert_eq!(p.days, days, "{from}..{to}");
        }
    }

    #[test]
    fn a_monthly_trend_takes_each_month_once() {
        let f = Filters::parse(&pairs("period=custom&from=2025-12-15&to=2026-07-10"), d("2026-08-01")).unwrap();
        let one = |n: f64| Totals { complaints_received: n, ..Default::default() };
        let sums: BTreeMap<String, Totals> = [("2025-12", one(1.0)), ("2026-01", one(2.0)), ("2026-07", one(7.0))]
            .into_iter()
            .map(|(k, t)| (k.to_owned(), t))
            .collect();
        let t = trend(&f, &sums);
        assert_eq!(t.bucket, "month");
        assert_eq!(t.labels, ["2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07"]);
        assert_eq!(t.complaints_received, [1, 2, 0, 0, 0, 0, 0, 7]);
    }

    #[test]
    fn totals_follow_the_journey_type_only_for_survey_figures() {
        let mut all = Totals::default();
        let row = Totals { complaints_received: 2.0, surveys_completed: 3.0, ..Default::default() };
        all.add(&row, true, false);
        assert_eq!((all.complaints_received, all.surveys_completed), (2.0, 0.0));
        all.add(&row, true, true);
        assert_eq!((all.complaints_received, all.surveys_completed), (4.0, 3.0));
        let t = Totals {
            nps_promoters: 50.0,
            nps_passives: 30.0,
            nps_detractors: 20.0,
            surveys_sent: 10.0,
            surveys_undeliverable: 2.0,
            surveys_completed: 4.0,
            complaints_due: 4.0,
            complaints_due_met: 3.0,
            ..Default::default()
        };
        assert_eq!(t.nps(), Some(30.0));
        assert_eq!(t.response_rate(), Some(50.0));
        assert_eq!(t.sla_compliance(), Some(75.0));
        assert_eq!(Totals::default().nps(), None);
        assert_eq!(Totals::default().average_score(), None);
    }
}
