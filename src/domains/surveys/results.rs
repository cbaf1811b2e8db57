//! Per-template results: response rate, score distribution, NPS, question by question (service,
//! API and page). Counts and averages are SQL aggregates over the filtered surveys; the formulas
//! are `rules::{response_rate, nps, csat, top_box}` (spec §15).

use std::collections::BTreeMap;

use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::instances;
use super::model::{survey_instance, survey_response, survey_template};
use super::rules::{self, Definition};
use super::versions;
use crate::app::AppState;
use crate::auth::{Actor, ApiActor, PageActor, Permission};
use crate::crud::ListQuery;
use crate::domains::complaints::filters::{self, FormErrors, Opt};
use crate::error::{AppError, AppResult, not_found};
use crate::http::IdPath;
use crate::http::openapi::ErrorBody;
use crate::http::parse_id;
use crate::web::{Chrome, PageResult, render};

/// How many recent comments each text question shows.
pub const COMMENTS: usize = 5;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusCount {
    pub status: String,
    pub count: i64,
}

/// One bar of the score distribution: surveys whose total score is in `[from, to)` (the last
/// bucket includes its upper end).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Bucket {
    pub label: String,
    pub from: f64,
    pub to: f64,
    pub count: i64,
}

/// How many answers had one value (or chose one option).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ValueCount {
    pub value: String,
    pub label_en: String,
    pub label_ar: String,
    pub count: i64,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct NpsBreakdown {
    pub promoters: i64,
    pub passives: i64,
    pub detractors: i64,
}

/// One question's results over the completed surveys.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionResult {
    pub code: String,
    pub question_type: String,
    pub text_en: String,
    pub text_ar: String,
    pub answers: i64,
    /// The mean answer (numeric questions).
    pub average: Option<f64>,
    pub distribution: Vec<ValueCount>,
    /// The share in the best category (5 of 1–5, 9–10 of 0–10, yes).
    pub top_box: Option<f64>,
    /// Recent free-text answers, newest first, long digit runs masked.
    pub comments: Vec<String>,
}

/// A template's results for a period and department.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Results {
    pub template_id: Uuid,
    pub hospital_id: Uuid,
    pub name_en: String,
    pub name_ar: String,
    pub scoring_method: String,
    /// The published version whose questions are reported (0: never published).
    pub version: i32,
    pub from: Option<String>,
    pub to: Option<String>,
    pub department_id: Option<Uuid>,
    /// Every survey of the period.
    pub total: i64,
    pub by_status: Vec<StatusCount>,
    /// Surveys whose invitation went out (undeliverable ones included).
    pub sent: i64,
    pub completed: i64,
    pub undeliverable: i64,
    pub suppressed: i64,
    /// completed ÷ (sent − undeliverable) × 100.
    pub response_rate: Option<f64>,
    pub average_score: Option<f64>,
    pub average_score_100: Option<f64>,
    pub negative: i64,
    /// negative ÷ completed × 100.
    pub negative_rate: Option<f64>,
    /// Over every answer of the NPS questions.
    pub nps: Option<f64>,
    pub nps_breakdown: NpsBreakdown,
    /// Over every answer of the 1–5 rating and Likert questions.
    pub csat: Option<f64>,
    pub score_distribution: Vec<Bucket>,
    pub questions: Vec<QuestionResult>,
}

use super::rules::round2;

/// Long runs of digits (phone numbers, ids) in a comment as bullets.
pub fn mask_digits(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_numeric() {
            let start = i;
            while i < chars.len()
                && (chars[i].is_numeric()
                    || (chars[i] == ' ' || chars[i] == '-') && i + 1 < chars.len() && chars[i + 1].is_numeric())
            {
                i += 1;
            }
            let run: String = chars[start..i].iter().collect();
            if run.chars().filter(|c| c.is_numeric()).count() >= 4 {
                out.extend(run.chars().map(|c| if c.is_numeric() { '•' } else { c }));
            } else {
                out.push_str(&run);
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// The period and department of a results request (`from`, `to`: Riyadh days; `department_id`).
#[derive(Debug, Clone, Default)]
pub struct Period {
    pub from: Option<String>,
    pub to: Option<String>,
    pub department_id: Option<Uuid>,
}

impl Period {
    pub fn from_query(query: Option<&str>) -> AppResult<Period> {
        let q = ListQuery::from_query("", query);
        let department_id = q.uuid_filter("department_id")?.or(q.uuid_filter("department")?);
        Ok(Period { from: q.filter("from").map(str::to_owned), to: q.filter("to").map(str::to_owned), department_id })
    }
}

/// The template if the actor may see its results (404 for another hospital's).
pub async fn template_for(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<survey_template::Model> {
    actor.require(state, Permission::ViewSurveys).await?;
    survey_template::Entity::find_by_id(id)
        .filter(survey_template::Column::DeletedAt.is_null())
        .one(&state.db)
        .await?
        .filter(|t| actor.sees_hospital(t.hospital_id))
        .ok_or(not_found("survey template"))
}

/// The surveys the results cover.
fn base(actor: &Actor, t: &survey_template::Model, period: &Period) -> AppResult<Select<survey_instance::Entity>> {
    let mut select = instances::scoped_select(actor).filter(survey_instance::Column::SurveyTemplateId.eq(t.id));
    if let Some(d) = period.department_id {
        select = select.filter(survey_instance::Column::DepartmentId.eq(d));
    }
    instances::created_between(select, period.from.as_deref(), period.to.as_deref(), ("from", "to"))
}

/// The bucket of a total score, as SQL (integers: the bucket's lower end).
fn bucket_sql(method: &str) -> String {
    let (lo, hi) = if method == "nps" { (0, 10) } else { (1, 5) };
    let mut sql = String::from("CASE");
    for b in lo..hi {
        sql.push_str(&format!(" WHEN total_score < {} THEN {b}", b + 1));
    }
    sql.push_str(&format!(" ELSE {hi} END"));
    sql
}

/// Computes a template's results.
pub async fn compute(
    db: &impl ConnectionTrait,
    actor: &Actor,
    t: &survey_template::Model,
    period: &Period,
) -> AppResult<Results> {
    let all = base(actor, t, period)?;
    let def: Option<Definition> = match versions::current(db, t.id).await? {
        Some(v) => Some(versions::definition(&v)?),
        None => None,
    };

    // Counts by status.
    let by_status: Vec<(String, i64)> = all
        .clone()
        .select_only()
        .column(survey_instance::Column::Status)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .group_by(survey_instance::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let count = |s: &str| by_status.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
    let total: i64 = by_status.iter().map(|(_, n)| n).sum();
    let completed = count("completed");
    let undeliverable = count("undeliverable");
    let suppressed = count("suppressed");

    // Sent, negative and the averages in one pass.
    let (sent, negative, avg, avg100): (Option<i64>, Option<i64>, Option<f64>, Option<f64>) = all
        .clone()
        .select_only()
        .column_as(
            Expr::cust(
                "SUM(CASE WHEN sent_at IS NOT NULL OR status IN ('completed', 'undeliverable') THEN 1 ELSE 0 END)",
            ),
            "sent",
        )
        .column_as(Expr::cust("SUM(CASE WHEN status = 'completed' AND is_negative THEN 1 ELSE 0 END)"), "negative")
        .column_as(Expr::cust("AVG(CASE WHEN status = 'completed' THEN total_score END)"), "avg")
        .column_as(Expr::cust("AVG(CASE WHEN status = 'completed' THEN score_100 END)"), "avg100")
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or_default();
    let sent = sent.unwrap_or(0);
    let negative = negative.unwrap_or(0);

    // The score distribution.
    let bucket = bucket_sql(&t.scoring_method);
    let buckets: Vec<(i32, i64)> = all
        .clone()
        .filter(survey_instance::Column::Status.eq("completed"))
        .filter(survey_instance::Column::TotalScore.is_not_null())
        .select_only()
        .column_as(Expr::cust(bucket.clone()), "bucket")
        .column_as(Expr::cust("COUNT(*)"), "n")
        .group_by(Expr::cust(bucket.clone()))
        .into_tuple()
        .all(db)
        .await?;
    let (lo, hi) = if t.scoring_method == "nps" { (0, 10) } else { (1, 5) };
    let score_distribution = (lo..=hi)
        .map(|b| Bucket {
            label: if b == hi || t.scoring_method == "nps" { b.to_string() } else { format!("{b}–{b}.9") },
            from: f64::from(b),
            to: f64::from(b + 1).min(f64::from(hi)),
            count: buckets.iter().find(|(k, _)| *k == b).map_or(0, |(_, n)| *n),
        })
        .collect();

    // Answers of the completed surveys, per question and value.
    let completed_ids = all
        .clone()
        .filter(survey_instance::Column::Status.eq("completed"))
        .select_only()
        .column(survey_instance::Column::Id)
        .into_query();
    let answers = || {
        survey_response::Entity::find()
            .filter(survey_response::Column::SurveyInstanceId.in_subquery(completed_ids.clone()))
    };
    let values: Vec<(String, Option<f64>, i64)> = answers()
        .select_only()
        .column(survey_response::Column::QuestionCode)
        .column(survey_response::Column::ValueNumber)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .group_by(survey_response::Column::QuestionCode)
        .group_by(survey_response::Column::ValueNumber)
        .into_tuple()
        .all(db)
        .await?;
    let chosen: Vec<(String, Option<serde_json::Value>)> = answers()
        .filter(survey_response::Column::ValueChoices.is_not_null())
        .select_only()
        .column(survey_response::Column::QuestionCode)
        .column(survey_response::Column::ValueChoices)
        .into_tuple()
        .all(db)
        .await?;
    let texts: Vec<(String, String)> = answers()
        .filter(survey_response::Column::ValueText.ne(""))
        .select_only()
        .column(survey_response::Column::QuestionCode)
        .column(survey_response::Column::ValueText)
        .order_by_desc(survey_response::Column::UpdatedAt)
        .limit(500)
        .into_tuple()
        .all(db)
        .await?;

    let mut nps_values: Vec<f64> = Vec::new();
    let mut csat_values: Vec<f64> = Vec::new();
    let mut questions = Vec::new();
    for q in def.as_ref().map(|d| d.questions.as_slice()).unwrap_or_default() {
        let numeric: Vec<(f64, i64)> = values
            .iter()
            .filter(|(c, v, _)| *c == q.code && v.is_some())
            .map(|(_, v, n)| (v.unwrap_or_default(), *n))
            .collect();
        let expanded: Vec<f64> =
            numeric.iter().flat_map(|(v, n)| std::iter::repeat_n(*v, usize::try_from(*n).unwrap_or(0))).collect();
        let all_answers: i64 = values.iter().filter(|(c, _, _)| *c == q.code).map(|(_, _, n)| n).sum();
        let mut distribution = Vec::new();
        let mut average = None;
        let mut top_box = None;
        let mut comments = Vec::new();
        match q.question_type.as_str() {
            "rating" | "likert" | "nps" | "yes_no" => {
                let (lo, hi) = rules::range(&q.question_type).unwrap_or((0.0, 10.0));
                let mut v = lo;
                while v <= hi {
                    let n: i64 = numeric.iter().filter(|(x, _)| (*x - v).abs() < 1e-9).map(|(_, n)| n).sum();
                    let (value, en, ar) = if q.question_type == "yes_no" {
                        let (en, ar) = rules::yes_no_labels(v >= 0.5);
                        (if v >= 0.5 { "yes" } else { "no" }.into(), en.into(), ar.into())
                    } else {
                        let s = format!("{v}");
                        (s.clone(), s.clone(), s)
                    };
                    distribution.push(ValueCount { value, label_en: en, label_ar: ar, count: n });
                    v += 1.0;
                }
                if !expanded.is_empty() {
                    average = Some(round2(expanded.iter().sum::<f64>() / expanded.len() as f64));
                }
                top_box = rules::top_box(&q.question_type, &expanded);
                match q.question_type.as_str() {
                    "nps" => nps_values.extend(&expanded),
                    "rating" | "likert" => csat_values.extend(&expanded),
                    _ => {}
                }
            }
            "multiple_choice" => {
                let mut counts: BTreeMap<String, i64> = BTreeMap::new();
                for (_, v) in chosen.iter().filter(|(c, _)| *c == q.code) {
                    let list: Vec<String> = v.clone().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
                    for item in list {
                        *counts.entry(item).or_default() += 1;
                    }
                }
                distribution = q
                    .choices
                    .iter()
                    .map(|c| ValueCount {
                        value: c.value.clone(),
                        label_en: c.label_en.clone(),
                        label_ar: c.label_ar.clone(),
                        count: counts.get(&c.value).copied().unwrap_or(0),
                    })
                    .collect();
            }
            _ => {
                comments =
                    texts.iter().filter(|(c, _)| *c == q.code).take(COMMENTS).map(|(_, t)| mask_digits(t)).collect();
            }
        }
        questions.push(QuestionResult {
            code: q.code.clone(),
            question_type: q.question_type.clone(),
            text_en: q.text_en.clone(),
            text_ar: q.text_ar.clone(),
            answers: all_answers,
            average,
            distribution,
            top_box,
            comments,
        });
    }
    let nps_breakdown = NpsBreakdown {
        promoters: nps_values.iter().filter(|v| **v >= 9.0).count() as i64,
        passives: nps_values.iter().filter(|v| **v >= 7.0 && **v < 9.0).count() as i64,
        detractors: nps_values.iter().filter(|v| **v <= 6.0).count() as i64,
    };
    let mut by_status: Vec<StatusCount> =
        by_status.into_iter().map(|(status, count)| StatusCount { status, count }).collect();
    by_status.sort_by_key(|s| rules::STATUSES.iter().position(|x| *x == s.status).unwrap_or(usize::MAX));
    Ok(Results {
        template_id: t.id,
        hospital_id: t.hospital_id,
        name_en: t.name_en.clone(),
        name_ar: t.name_ar.clone(),
        scoring_method: t.scoring_method.clone(),
        version: t.current_version,
        from: period.from.clone(),
        to: period.to.clone(),
        department_id: period.department_id,
        total,
        by_status,
        sent,
        completed,
        undeliverable,
        suppressed,
        response_rate: rules::response_rate(
            u64::try_from(completed).unwrap_or(0),
            u64::try_from(sent).unwrap_or(0),
            u64::try_from(undeliverable).unwrap_or(0),
        ),
        average_score: avg.map(round2),
        average_score_100: avg100.map(round2),
        negative,
        negative_rate: (completed > 0).then(|| round2(negative as f64 / completed as f64 * 100.0)),
        nps: rules::nps(&nps_values),
        nps_breakdown,
        csat: rules::csat(&csat_values),
        score_distribution,
        questions,
    })
}

/// A template's results: counts by status, response rate, average score, negative rate, NPS,
/// CSAT, the score distribution and each question's answers. Filters: from / to (created, Riyadh
/// days YYYY-MM-DD), department_id.
#[utoipa::path(get, path = "/api/surveys/templates/{id}/results/", tag = "Surveys",
    params(("id" = Uuid, Path), ("from" = Option<String>, Query), ("to" = Option<String>, Query),
        ("department_id" = Option<Uuid>, Query)),
    responses((status = 200, body = Results), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn results_api(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath,
    uri: OriginalUri,
) -> AppResult<Json<Results>> {
    let t = template_for(&state, &actor, id).await?;
    let period = Period::from_query(uri.query())?;
    Ok(Json(compute(&state.db, &actor, &t, &period).await?))
}

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(results_api))
}

// ---------------------------------------------------------------------------------------------
// The page

pub struct Kpi {
    pub id: &'static str,
    pub label: String,
    pub value: String,
}

/// One chart: its data for survey-results.js (JSON in a data attribute) and the same numbers as
/// a table.
pub struct Chart {
    pub id: String,
    pub title: String,
    pub config: String,
    pub rows: Vec<(String, i64)>,
}

pub struct QuestionBlock {
    pub code: String,
    pub text: String,
    pub type_label: String,
    pub answers: i64,
    pub average: String,
    pub top_box: String,
    pub chart: Option<Chart>,
    pub comments: Vec<String>,
}

#[derive(Template)]
#[template(path = "surveys/results.html")]
struct ResultsPage {
    chrome: Chrome,
    template_id: Uuid,
    name: String,
    from: String,
    to: String,
    departments: Vec<Opt>,
    kpis: Vec<Kpi>,
    statuses: Vec<(String, i64)>,
    distribution: Chart,
    nps: Option<Chart>,
    questions: Vec<QuestionBlock>,
    errors: Vec<String>,
    list_href: String,
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{x}%")).unwrap_or_else(|| "—".into())
}

fn num(v: Option<f64>) -> String {
    v.map(|x| format!("{x}")).unwrap_or_else(|| "—".into())
}

fn chart(id: String, title: String, kind: &str, rows: Vec<(String, i64)>, series: &str) -> Chart {
    let config = serde_json::json!({
        "kind": kind,
        "labels": rows.iter().map(|(l, _)| l.clone()).collect::<Vec<_>>(),
        "values": rows.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
        "series": series,
    })
    .to_string();
    Chart { id, title, config, rows }
}

async fn results_page(
    State(state): State<AppState>,
    page: PageActor,
    Path(raw): Path<String>,
    uri: OriginalUri,
) -> PageResult {
    let actor = &page.actor;
    let id = parse_id(&raw, "survey template")?;
    let t = template_for(&state, actor, id).await?;
    let chrome = Chrome::new(&state, &page, uri.path(), "surveys-results-title").await?;
    let lang = chrome.lang;
    let mut errors = Vec::new();
    let period = match Period::from_query(uri.query()) {
        Ok(p) => p,
        Err(e) => {
            errors = FormErrors::from_error(lang, &e, &[]).general;
            Period::default()
        }
    };
    let r = match compute(&state.db, actor, &t, &period).await {
        Ok(r) => r,
        Err(e @ AppError::Validation(_)) => {
            errors = FormErrors::from_error(lang, &e, &[]).general;
            compute(&state.db, actor, &t, &Period::default()).await?
        }
        Err(e) => return Err(e.into()),
    };
    let series = lang.t("surveys-results-surveys");
    let kpis = vec![
        Kpi { id: "kpi-sent", label: lang.t("surveys-kpi-sent"), value: r.sent.to_string() },
        Kpi { id: "kpi-completed", label: lang.t("surveys-kpi-completed"), value: r.completed.to_string() },
        Kpi { id: "kpi-response-rate", label: lang.t("surveys-kpi-response-rate"), value: pct(r.response_rate) },
        Kpi { id: "kpi-average", label: lang.t("surveys-kpi-average"), value: num(r.average_score) },
        Kpi { id: "kpi-nps", label: lang.t("surveys-kpi-nps"), value: num(r.nps) },
        Kpi { id: "kpi-csat", label: lang.t("surveys-kpi-csat"), value: pct(r.csat) },
        Kpi { id: "kpi-negative-rate", label: lang.t("surveys-kpi-negative-rate"), value: pct(r.negative_rate) },
    ];
    let distribution = chart(
        "chart-distribution".into(),
        lang.t("surveys-results-distribution"),
        "bar",
        r.score_distribution.iter().map(|b| (b.label.clone(), b.count)).collect(),
        &series,
    );
    let nps = (r.nps.is_some()).then(|| {
        chart(
            "chart-nps".into(),
            lang.t("surveys-results-nps"),
            "doughnut",
            vec![
                (lang.t("surveys-nps-promoters"), r.nps_breakdown.promoters),
                (lang.t("surveys-nps-passives"), r.nps_breakdown.passives),
                (lang.t("surveys-nps-detractors"), r.nps_breakdown.detractors),
            ],
            &series,
        )
    });
    let answers_label = lang.t("surveys-results-answers");
    let questions = r
        .questions
        .iter()
        .map(|q| QuestionBlock {
            code: q.code.clone(),
            text: lang.pick(&q.text_en, &q.text_ar).to_owned(),
            type_label: filters::label(lang, "surveys-qtype", &q.question_type),
            answers: q.answers,
            average: num(q.average),
            top_box: pct(q.top_box),
            chart: (!q.distribution.is_empty()).then(|| {
                chart(
                    format!("chart-q-{}", q.code),
                    lang.pick(&q.text_en, &q.text_ar).to_owned(),
                    "bar",
                    q.distribution.iter().map(|v| (lang.pick(&v.label_en, &v.label_ar).to_owned(), v.count)).collect(),
                    &answers_label,
                )
            }),
            comments: q.comments.clone(),
        })
        .collect();
    let departments = filters::department_options(&state.db, lang, actor, Some(t.hospital_id), period.department_id)
        .await?
        .into_iter()
        .filter(|o| {
            actor.role != crate::auth::Role::DepartmentManager
                || Uuid::parse_str(&o.value).is_ok_and(|d| actor.department_ids.contains(&d))
        })
        .collect();
    render(
        if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST },
        &ResultsPage {
            template_id: t.id,
            name: lang.pick(&t.name_en, &t.name_ar).to_owned(),
            from: period.from.clone().unwrap_or_default(),
            to: period.to.clone().unwrap_or_default(),
            departments,
            kpis,
            statuses: r
                .by_status
                .iter()
                .map(|s| (filters::label(lang, "surveys-status", &s.status), s.count))
                .collect(),
            distribution,
            nps,
            questions,
            errors,
            list_href: format!("/surveys/?template_id={}", t.id),
            chrome,
        },
    )
}

pub fn page_routes() -> Router<AppState> {
    Router::new().route("/surveys/templates/{id}/results/", get(results_page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_digit_runs_are_masked() {
        assert_eq!(mask_digits("call me 0501234567 please"), "call me •••••••••• please");
        assert_eq!(mask_digits("waited 3 hours"), "waited 3 hours");
        assert_eq!(mask_digits("رقمي ٠٥٠١٢٣٤٥٦٧"), "رقمي ••••••••••");
        assert_eq!(mask_digits("050 123 4567"), "••• ••• ••••");
    }

    #[test]
    fn buckets_cover_the_scale() {
        assert_eq!(
            bucket_sql("average"),
            "CASE WHEN total_score < 2 THEN 1 WHEN total_score < 3 THEN 2 WHEN total_score < 4 THEN 3 WHEN total_score < 5 THEN 4 ELSE 5 END"
        );
        assert!(bucket_sql("nps").ends_with("WHEN total_score < 10 THEN 9 ELSE 10 END"));
    }
}
