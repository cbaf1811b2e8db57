//! Physician ratings (spec §14): the leaderboard over a rolling 12-month window (ranked only with
//! enough responses, "not enough responses" otherwise, the 95 % interval beside each average) and
//! a physician's page with the monthly trend and recent comments (digits masked); the same as
//! JSON.

use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::routing::get;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::command_center::{LeaderRow, department_scoped, leader_rows};
use super::model::physician_monthly_rating;
use super::pages::{ChartSpec, chart_config, ci_text};
use super::physicians::{self, month_of, months_ending};
use super::rules::MIN_RESPONSES;
use crate::app::AppState;
use crate::auth::{Actor, ApiActor, PageActor, Permission, Role};
use crate::domains::complaints::filters::{self, Opt};
use crate::domains::organizations::model::staff;
use crate::domains::surveys::model::{survey_instance, survey_response};
use crate::domains::surveys::results::mask_digits;
use crate::error::{AppResult, not_found};
use crate::http::IdPath;
use crate::http::openapi::ErrorBody;
use crate::i18n::Lang;
use crate::web::{Chrome, PageResult, render};

/// The rolling window of the leaderboard, in months.
const WINDOW: u32 = 12;
/// Comments a physician's page shows.
const COMMENTS: u64 = 10;

/// Hospitals and departments whose physicians a reader sees, narrowed by `hospital_id` and
/// `department_id` (another hospital's or department's id is a 404).
async fn scope(
    state: &AppState,
    actor: &Actor,
    query: Option<&str>,
) -> AppResult<(Option<Vec<Uuid>>, Option<Vec<Uuid>>)> {
    let (h, d) = super::pages::place_ids(query)?;
    let scope = super::command_center::scope_of(&state.db, actor, h, d).await?;
    Ok((scope.hospitals, scope.departments))
}

/// The leaderboard: every rated physician of the window, ranked ones first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Leaderboard {
    /// `YYYY-MM`, inclusive.
    pub from: String,
    pub to: String,
    pub min_responses: u64,
    pub physicians: Vec<LeaderRow>,
}

async fn leaderboard(state: &AppState, actor: &Actor, query: Option<&str>) -> AppResult<Leaderboard> {
    let (hospitals, departments) = scope(state, actor, query).await?;
    let (y, m) = month_of(chrono::Utc::now());
    let (from, to) = months_ending(y, m, WINDOW);
    let ratings = physicians::window(&state.read_db, hospitals.as_deref(), departments.as_deref(), &from, &to).await?;
    Ok(Leaderboard { from, to, min_responses: MIN_RESPONSES, physicians: leader_rows(&state.read_db, &ratings).await? })
}

/// Physicians ranked over the last 12 months (hospital_id for PX admins, department_id).
/// Physicians below the minimum number of responses are listed unranked.
#[utoipa::path(get, path = "/api/physicians/ratings/leaderboard/", tag = "Analytics",
    params(("hospital_id" = Option<Uuid>, Query), ("department_id" = Option<Uuid>, Query)),
    responses((status = 200, body = Leaderboard), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn leaderboard_api(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    uri: OriginalUri,
) -> AppResult<Json<Leaderboard>> {
    actor.require(&state, Permission::ViewAnalytics).await?;
    Ok(Json(leaderboard(&state, &actor, uri.query()).await?))
}

/// One month of a physician's ratings.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MonthRating {
    pub month: String,
    pub n: i32,
    /// None below the minimum number of responses ("not enough responses").
    pub mean: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub positive: i32,
    pub neutral: i32,
    pub negative: i32,
    pub hospital_rank: Option<i32>,
    pub department_rank: Option<i32>,
    pub is_final: bool,
}

/// A physician's ratings: the window's summary and the months.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct History {
    pub physician_id: Uuid,
    pub name_en: String,
    pub name_ar: String,
    pub summary: Option<LeaderRow>,
    pub months: Vec<MonthRating>,
    pub comments: Vec<String>,
}

/// The physician if the reader may see them (404 otherwise). A physician user sees only their
/// own page; department-scoped readers their departments' physicians.
async fn physician_for(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<staff::Model> {
    let p = staff::Entity::find_by_id(id)
        .filter(staff::Column::DeletedAt.is_null())
        .one(&state.db)
        .await?
        .filter(|p| actor.sees_hospital(p.hospital_id))
        .ok_or_else(|| not_found("physician"))?;
    let allowed = match actor.role {
        Role::Physician => p.user_id.is_some() && p.user_id == actor.user_id,
        r if department_scoped(r) => p.department_id.is_some_and(|d| actor.department_ids.contains(&d)),
        _ => true,
    };
    if !allowed {
        return Err(not_found("physician"));
    }
    Ok(p)
}

async fn history(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<History> {
    let p = physician_for(state, actor, id).await?;
    let (y, m) = month_of(chrono::Utc::now());
    let (from, to) = months_ending(y, m, WINDOW);
    // Ranked among the physicians of the same hospital, as on the leaderboard.
    let window = physicians::window(&state.read_db, Some(&[p.hospital_id]), None, &from, &to).await?;
    let summary = leader_rows(&state.read_db, &window.into_iter().filter(|r| r.physician_id == id).collect::<Vec<_>>())
        .await?
        .pop();
    let months = physician_monthly_rating::Entity::find()
        .filter(physician_monthly_rating::Column::PhysicianId.eq(id))
        .filter(physician_monthly_rating::Column::Month.gte(from))
        .order_by_asc(physician_monthly_rating::Column::Month)
        .all(&state.read_db)
        .await?
        .into_iter()
        .map(|r| {
            let enough = r.n.max(0) as u64 >= MIN_RESPONSES;
            MonthRating {
                month: r.month,
                n: r.n,
                mean: enough.then_some(r.mean),
                ci_low: r.ci_low.filter(|_| enough),
                ci_high: r.ci_high.filter(|_| enough),
                positive: r.positive,
                neutral: r.neutral,
                negative: r.negative,
                hospital_rank: r.hospital_rank,
                department_rank: r.department_rank,
                is_final: r.is_final,
            }
        })
        .collect();
    // Recent comments of the physician's completed surveys, digits masked.
    let recent: Vec<Uuid> = survey_instance::Entity::find()
        .select_only()
        .column(survey_instance::Column::Id)
        .filter(survey_instance::Column::PhysicianId.eq(id))
        .filter(survey_instance::Column::Status.eq("completed"))
        .order_by_desc(survey_instance::Column::CompletedAt)
        .limit(200)
        .into_tuple()
        .all(&state.read_db)
        .await?;
    let comments = survey_response::Entity::find()
        .filter(survey_response::Column::SurveyInstanceId.is_in(recent))
        .filter(survey_response::Column::ValueText.ne(""))
        .order_by_desc(survey_response::Column::CreatedAt)
        .limit(COMMENTS)
        .all(&state.read_db)
        .await?
        .into_iter()
        .map(|r| mask_digits(&r.value_text))
        .collect();
    Ok(History {
        physician_id: id,
        name_en: format!("{} {}", p.first_name_en, p.last_name_en).trim().to_owned(),
        name_ar: format!("{} {}", p.first_name_ar, p.last_name_ar).trim().to_owned(),
        summary,
        months,
        comments,
    })
}

/// A physician's monthly ratings over the last 12 months, the window's summary and recent
/// comments (digits masked).
#[utoipa::path(get, path = "/api/physicians/{id}/ratings_history/", tag = "Analytics",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = History), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn history_api(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
) -> AppResult<Json<History>> {
    actor.require(&state, Permission::ViewOwnRatings).await?;
    Ok(Json(history(&state, &actor, id).await?))
}

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(leaderboard_api)).routes(routes!(history_api))
}

// ---------------------------------------------------------------------------------------------
// Pages

pub struct PhysicianRow {
    pub href: String,
    pub rank: String,
    pub name: String,
    pub department: String,
    pub stars: String,
    pub mean: String,
    pub ci: String,
    pub n: u64,
    pub ranked: bool,
    /// Shares of positive / neutral / negative, in % (for the split bar).
    pub split: (u64, u64, u64),
}

fn rows(list: &[LeaderRow], lang: Lang) -> Vec<PhysicianRow> {
    list.iter()
        .map(|p| {
            let total = (p.positive + p.neutral + p.negative).max(1);
            let pct = |v: u64| (v * 100 + total / 2) / total;
            PhysicianRow {
                href: format!("/physicians/{}/", p.physician_id),
                rank: p.rank.map(|r| r.to_string()).unwrap_or_default(),
                name: lang.pick(&p.name_en, &p.name_ar).to_owned(),
                department: lang.pick(&p.department_en, &p.department_ar).to_owned(),
                stars: p.stars.map(|v| format!("{v:.1}")).unwrap_or_default(),
                mean: p.mean.map(|v| format!("{v:.2}")).unwrap_or_default(),
                ci: ci_text(p.ci_low, p.ci_high),
                n: p.n,
                ranked: p.rank.is_some(),
                split: (pct(p.positive), pct(p.neutral), pct(p.negative)),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "analytics/physicians.html")]
struct LeaderboardPage {
    chrome: Chrome,
    hospitals: Vec<Opt>,
    departments: Vec<Opt>,
    window: String,
    min: i64,
    rows: Vec<PhysicianRow>,
}

async fn leaderboard_page(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    let actor = &page.actor;
    actor.require(&state, Permission::ViewAnalytics).await?;
    let chrome = Chrome::new(&state, &page, uri.path(), "phys-title").await?;
    let lang = chrome.lang;
    let board = leaderboard(&state, actor, uri.query()).await?;
    let pairs = filters::pairs(uri.query());
    let asked = |k: &str| pairs.iter().find(|(key, _)| key == k).and_then(|(_, v)| Uuid::parse_str(v).ok());
    let hospital = asked("hospital_id").or(actor.selected_hospital);
    let departments = super::pages::department_choices(&state, actor, lang, hospital, asked("department_id")).await?;
    render(
        StatusCode::OK,
        &LeaderboardPage {
            hospitals: filters::hospital_options(&state.db, lang, actor, asked("hospital_id")).await?,
            departments,
            window: format!("{} → {}", board.from, board.to),
            min: board.min_responses as i64,
            rows: rows(&board.physicians, lang),
            chrome,
        },
    )
}

pub struct MonthRow {
    pub month: String,
    pub n: i32,
    pub mean: String,
    pub ci: String,
    pub hospital_rank: String,
    pub department_rank: String,
    pub split: String,
}

#[derive(Template)]
#[template(path = "analytics/physician.html")]
struct PhysicianPage {
    chrome: Chrome,
    name: String,
    summary: Option<PhysicianRow>,
    min: i64,
    chart: ChartSpec,
    months: Vec<MonthRow>,
    comments: Vec<String>,
}

async fn physician_page(
    State(state): State<AppState>,
    page: PageActor,
    IdPath(id): IdPath,
    uri: OriginalUri,
) -> PageResult {
    let actor = &page.actor;
    actor.require(&state, Permission::ViewOwnRatings).await?;
    let h = history(&state, actor, id).await?;
    let chrome = Chrome::new(&state, &page, uri.path(), "phys-title").await?;
    let lang = chrome.lang;
    let labels: Vec<String> = h.months.iter().map(|m| m.month.clone()).collect();
    let chart = chart_config(
        "line",
        &labels,
        vec![
            (lang.t("cc-series-average"), h.months.iter().map(|m| m.mean).collect()),
            (lang.t("phys-ci-low"), h.months.iter().map(|m| m.ci_low).collect()),
            (lang.t("phys-ci-high"), h.months.iter().map(|m| m.ci_high).collect()),
        ],
        lang == Lang::Ar,
        false,
        Some((1.0, 5.0)),
    );
    render(
        StatusCode::OK,
        &PhysicianPage {
            name: lang.pick(&h.name_en, &h.name_ar).to_owned(),
            summary: h.summary.as_ref().and_then(|s| rows(std::slice::from_ref(s), lang).pop()),
            min: MIN_RESPONSES as i64,
            chart,
            months: h
                .months
                .iter()
                .map(|m| MonthRow {
                    month: m.month.clone(),
                    n: m.n,
                    mean: m.mean.map(|v| format!("{v:.2}")).unwrap_or_else(|| lang.t("phys-not-enough")),
                    ci: ci_text(m.ci_low, m.ci_high),
                    hospital_rank: m.hospital_rank.map(|r| r.to_string()).unwrap_or_else(|| "—".into()),
                    department_rank: m.department_rank.map(|r| r.to_string()).unwrap_or_else(|| "—".into()),
                    split: format!("{} / {} / {}", m.positive, m.neutral, m.negative),
                })
                .collect(),
            comments: h.comments,
            chrome,
        },
    )
}

pub fn page_routes() -> Router<AppState> {
    Router::new().route("/physicians/", get(leaderboard_page)).route("/physicians/{id}/", get(physician_page))
}
