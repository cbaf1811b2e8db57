//! The command center page, its JSON twin and its exports. Figures come from
//! `command_center::compute`; this module only words and draws them (Chart.js configs in
//! `data-chart` attributes, each chart with its numbers as a table beside it).

use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::command_center::{self, CommandCenter, Filters, PERIODS};
use super::report;
use crate::app::AppState;
use crate::auth::{Actor, ApiActor, PageActor, Permission};
use crate::domains::audit::service::{Entry, record};
use crate::domains::complaints::filters::{self, FormErrors, Opt};
use crate::domains::journeys::templates::JOURNEY_TYPES;
use crate::error::{AppError, AppResult};
use crate::http::export;
use crate::http::openapi::ErrorBody;
use crate::i18n::{Lang, riyadh_time};
use crate::web::{Chrome, PageResult, render};

/// Reads the filters of a request's query string.
pub fn filters_of(query: Option<&str>) -> AppResult<Filters> {
    Filters::parse(&filters::pairs(query), command_center::today())
}

/// The command center's figures: KPI cards with the previous period and the change, trends,
/// complaints by category, score distribution, departments, overdue complaints and the physician
/// leaderboard (rolling 12 months). Filters: `period` (7d, 30d, 90d, this_month, last_month,
/// quarter, year, custom), `from`/`to` (custom; Riyadh days YYYY-MM-DD), `hospital_id` (PX
/// admins), `department_id`, `journey_type` (survey figures only). Scoped to the reader.
#[utoipa::path(get, path = "/api/analytics/command-center/", tag = "Analytics",
    params(("period" = Option<String>, Query), ("from" = Option<String>, Query), ("to" = Option<String>, Query),
        ("hospital_id" = Option<Uuid>, Query), ("department_id" = Option<Uuid>, Query),
        ("journey_type" = Option<String>, Query)),
    responses((status = 200, body = CommandCenter), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn command_center_api(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    uri: OriginalUri,
) -> AppResult<Json<CommandCenter>> {
    actor.require(&state, Permission::ViewAnalytics).await?;
    let f = filters_of(uri.query())?;
    Ok(Json(command_center::compute(&state.read_db, &actor, &f).await?))
}

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(command_center_api))
}

// ---------------------------------------------------------------------------------------------
// Words and numbers

/// A figure as text: counts whole, percentages with %, NPS signed, scores to two places.
pub fn figure(value: Option<f64>, unit: &str) -> String {
    match value {
        None => "—".into(),
        Some(v) => match unit {
            "count" => format!("{}", v.round() as i64),
            "percent" => format!("{}%", crate::domains::surveys::rules::round2(v)),
            "nps" => format!("{:+}", crate::domains::surveys::rules::round2(v)),
            _ => format!("{}", crate::domains::surveys::rules::round2(v)),
        },
    }
}

/// "+12.5%" against the previous period for counts; "+2.5 pts" for rates, scores and NPS,
/// whose change is the difference (a relative change of a percentage misleads).
pub fn change_text(change: Option<f64>, unit: &str, lang: Lang) -> Option<String> {
    change.map(|c| if unit == "count" { format!("{c:+}%") } else { format!("{c:+} {}", lang.t("cc-points")) })
}

pub struct CardView {
    pub key: String,
    pub label: String,
    pub value: String,
    pub previous: String,
    pub change: Option<String>,
    /// text-success / text-danger / text-muted
    pub change_class: &'static str,
    pub arrow: &'static str,
    pub href: Option<String>,
}

pub fn card_views(cc: &CommandCenter, lang: Lang) -> Vec<CardView> {
    cc.cards
        .iter()
        .map(|c| {
            let good = c.change.map(|x| (x > 0.0) == c.higher_is_better);
            CardView {
                key: c.key.clone(),
                label: lang.t(&format!("cc-card-{}", c.key)),
                value: figure(c.value, &c.unit),
                previous: figure(c.previous, &c.unit),
                change: change_text(c.change, &c.unit, lang),
                change_class: match (c.change, good) {
                    (Some(0.0), _) => "text-muted",
                    (_, Some(true)) => "text-success",
                    (_, Some(false)) => "text-danger",
                    _ => "text-muted",
                },
                arrow: match c.change {
                    Some(x) if x > 0.0 => "arrow-up",
                    Some(x) if x < 0.0 => "arrow-down",
                    _ => "dash",
                },
                href: c.href.clone(),
            }
        })
        .collect()
}

/// One chart on the page: a Chart.js config, optional click-through links per label (the same
/// links on the table's label cells), and the same numbers as a table.
pub struct ChartView {
    pub id: String,
    pub title: String,
    pub config: ChartSpec,
    /// Per label (and table row): the list behind it, "" for none.
    pub links: Vec<String>,
    /// The table's column holding the label.
    pub label_column: usize,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl ChartView {
    /// The links as JSON, for the canvas ("" without any).
    pub fn links_json(&self) -> String {
        if self.links.iter().all(String::is_empty) { String::new() } else { json!(self.links).to_string() }
    }

    /// The link of a table cell, if it has one.
    pub fn cell_link(&self, row: usize, column: usize) -> Option<&str> {
        (column == self.label_column)
            .then(|| self.links.get(row))
            .flatten()
            .map(String::as_str)
            .filter(|l| !l.is_empty())
    }
}

const COLOURS: [&str; 12] = [
    "#0d6efd", "#dc3545", "#198754", "#ffc107", "#6f42c1", "#20c997", "#fd7e14", "#6c757d", "#0dcaf0", "#d63384",
    "#795548", "#6610f2",
];

/// A chart's data and look, drawn by Chart.js on the page ([`ChartSpec::json`]) and by the PDF
/// writer in exports ([`ChartSpec::pdf`]).
#[derive(Debug, Clone)]
pub struct ChartSpec {
    /// bar | line | doughnut
    pub kind: &'static str,
    pub labels: Vec<String>,
    pub datasets: Vec<(String, Vec<Option<f64>>)>,
    pub rtl: bool,
    pub horizontal: bool,
    pub range: Option<(f64, f64)>,
}

/// `kind` bar/line/doughnut, datasets (label, values), right-to-left when `rtl`, horizontal bars
/// when `horizontal`, a value axis from `min`/`max` when given.
pub fn chart_config(
    kind: &'static str,
    labels: &[String],
    datasets: Vec<(String, Vec<Option<f64>>)>,
    rtl: bool,
    horizontal: bool,
    range: Option<(f64, f64)>,
) -> ChartSpec {
    ChartSpec { kind, labels: labels.to_vec(), datasets, rtl, horizontal, range }
}

impl std::fmt::Display for ChartSpec {
    /// The Chart.js config as JSON (what `data-chart` carries).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.json())
    }
}

impl ChartSpec {
    /// The chart for the PDF writer.
    pub fn pdf(&self, title: &str) -> crate::http::pdf::Chart {
        use crate::http::pdf::{Chart, ChartKind, Series};
        Chart {
            title: title.to_owned(),
            kind: match self.kind {
                "line" => ChartKind::Line,
                "doughnut" => ChartKind::Doughnut,
                _ => ChartKind::Bar,
            },
            labels: self.labels.clone(),
            series: self
                .datasets
                .iter()
                .map(|(name, values)| Series { name: name.clone(), values: values.clone() })
                .collect(),
        }
    }

    /// The Chart.js config as JSON.
    pub fn json(&self) -> String {
        let (kind, labels, rtl, horizontal, range) = (self.kind, &self.labels, self.rtl, self.horizontal, self.range);
        let doughnut = kind == "doughnut";
        let sets: Vec<Value> = self
            .datasets
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, (label, data))| {
                let colour = COLOURS[i % COLOURS.len()];
                if doughnut {
                    json!({"label": label, "data": data, "backgroundColor": COLOURS})
                } else {
                    json!({"label": label, "data": data, "backgroundColor": colour, "borderColor": colour,
                           "spanGaps": true, "tension": 0.2, "fill": false})
                }
            })
            .collect();
        let mut options = json!({
            "responsive": true,
            "maintainAspectRatio": false,
            "animation": false,
            "locale": if rtl { "ar" } else { "en" },
            "plugins": {"legend": {"position": "bottom", "rtl": rtl, "display": doughnut || sets.len() > 1},
                        "tooltip": {"rtl": rtl}},
        });
        if !doughnut {
            let (category, value) = if horizontal { ("y", "x") } else { ("x", "y") };
            let mut value_axis = json!({"beginAtZero": true});
            if let Some((min, max)) = range {
                value_axis = json!({"min": min, "max": max});
            }
            if horizontal {
                value_axis["reverse"] = json!(rtl);
                options["indexAxis"] = json!("y");
                options["scales"] =
                    json!({ category: {"position": if rtl { "right" } else { "left" }}, value: value_axis });
            } else {
                options["scales"] =
                    json!({ category: {"reverse": rtl}, value: {"position": if rtl { "right" } else { "left" }} });
                for (k, v) in value_axis.as_object().into_iter().flatten() {
                    options["scales"][value][k] = v.clone();
                }
            }
        }
        json!({"type": kind, "data": {"labels": labels, "datasets": sets}, "options": options}).to_string()
    }
}

/// The page's six charts.
pub fn chart_views(cc: &CommandCenter, lang: Lang) -> Vec<ChartView> {
    let rtl = lang == Lang::Ar;
    let t = |k: &str| lang.t(k);
    let base = format!(
        "/complaints/?complaint_type=complaint&received_from={}&received_to={}",
        cc.filters.from, cc.filters.to
    );
    let place = {
        let mut p = String::new();
        if let Some(h) = cc.filters.hospital_id {
            p.push_str(&format!("&hospital_id={h}"));
        }
        if let Some(d) = cc.filters.department_id {
            p.push_str(&format!("&department_id={d}"));
        }
        p
    };
    let count = |v: u64| Some(v as f64);
    let mut charts = Vec::new();

    // 1. Complaints trend.
    let tr = &cc.trend;
    charts.push(ChartView {
        id: "chart-complaints-trend".into(),
        title: t("cc-chart-complaints-trend"),
        config: chart_config(
            "line",
            &tr.labels,
            vec![
                (t("cc-series-received"), tr.complaints_received.iter().map(|v| count(*v)).collect()),
                (t("cc-series-resolved"), tr.complaints_resolved.iter().map(|v| count(*v)).collect()),
            ],
            rtl,
            false,
            None,
        ),
        links: Vec::new(),
        label_column: 0,
        headers: vec![t(&format!("cc-bucket-{}", tr.bucket)), t("cc-series-received"), t("cc-series-resolved")],
        rows: tr
            .labels
            .iter()
            .enumerate()
            .map(|(i, l)| vec![l.clone(), tr.complaints_received[i].to_string(), tr.complaints_resolved[i].to_string()])
            .collect(),
    });

    // 2. Complaints by category (click: the list of that category).
    let labels: Vec<String> = cc.categories.iter().map(|c| lang.pick(&c.name_en, &c.name_ar).to_owned()).collect();
    let links: Vec<String> = cc
        .categories
        .iter()
        .map(|c| c.category_id.map(|id| format!("{base}{place}&category_id={id}")).unwrap_or_default())
        .collect();
    charts.push(ChartView {
        id: "chart-categories".into(),
        title: t("cc-chart-categories"),
        config: chart_config(
            "doughnut",
            &labels,
            vec![(t("cc-series-complaints"), cc.categories.iter().map(|c| count(c.complaints)).collect())],
            rtl,
            false,
            None,
        ),
        links,
        label_column: 0,
        headers: vec![t("cc-col-category"), t("cc-series-complaints")],
        rows: cc.categories.iter().zip(&labels).map(|(c, l)| vec![l.clone(), c.complaints.to_string()]).collect(),
    });

    // 3. Satisfaction trend.
    charts.push(ChartView {
        id: "chart-satisfaction-trend".into(),
        title: t("cc-chart-satisfaction-trend"),
        config: chart_config(
            "line",
            &tr.labels,
            vec![(t("cc-series-average"), tr.average_score.clone())],
            rtl,
            false,
            Some((1.0, 5.0)),
        ),
        links: Vec::new(),
        label_column: 0,
        headers: vec![
            t(&format!("cc-bucket-{}", tr.bucket)),
            t("cc-series-average"),
            t("cc-series-nps"),
            t("cc-series-surveys"),
        ],
        rows: tr
            .labels
            .iter()
            .enumerate()
            .map(|(i, l)| {
                vec![
                    l.clone(),
                    figure(tr.average_score[i], "score"),
                    figure(tr.nps[i], "nps"),
                    tr.surveys_completed[i].to_string(),
                ]
            })
            .collect(),
    });

    // 4. Score distribution.
    let stars: Vec<String> = (1..=5).map(|s| format!("{s}★")).collect();
    charts.push(ChartView {
        id: "chart-distribution".into(),
        title: t("cc-chart-distribution"),
        config: chart_config(
            "bar",
            &stars,
            vec![(t("cc-series-surveys"), cc.score_distribution.iter().map(|v| count(*v)).collect())],
            rtl,
            false,
            None,
        ),
        links: Vec::new(),
        label_column: 0,
        headers: vec![t("cc-col-score"), t("cc-series-surveys")],
        rows: stars.iter().zip(&cc.score_distribution).map(|(s, n)| vec![s.clone(), n.to_string()]).collect(),
    });

    // 5. Departments (click: the department's complaints).
    let names: Vec<String> = cc.departments.iter().map(|d| lang.pick(&d.name_en, &d.name_ar).to_owned()).collect();
    charts.push(ChartView {
        id: "chart-departments".into(),
        title: t("cc-chart-departments"),
        config: chart_config(
            "bar",
            &names,
            vec![
                (t("cc-series-complaints"), cc.departments.iter().map(|d| count(d.complaints)).collect()),
                (t("cc-series-surveys"), cc.departments.iter().map(|d| count(d.surveys_completed)).collect()),
            ],
            rtl,
            true,
            None,
        ),
        links: cc
            .departments
            .iter()
            .map(|d| d.department_id.map(|id| format!("{base}{place}&department_id={id}")).unwrap_or_default())
            .collect(),
        label_column: 0,
        headers: vec![
            t("cc-col-department"),
            t("cc-series-complaints"),
            t("cc-card-complaints_overdue"),
            t("cc-series-surveys"),
            t("cc-series-average"),
            t("cc-series-nps"),
            t("cc-card-response_rate"),
        ],
        rows: cc
            .departments
            .iter()
            .zip(&names)
            .map(|(d, name)| {
                vec![
                    name.clone(),
                    d.complaints.to_string(),
                    d.complaints_overdue.to_string(),
                    d.surveys_completed.to_string(),
                    figure(d.average_score, "score"),
                    figure(d.nps, "nps"),
                    figure(d.response_rate, "percent"),
                ]
            })
            .collect(),
    });

    // 6. Physician leaderboard (click: the physician's page).
    let doctors: Vec<String> = cc.leaderboard.iter().map(|p| lang.pick(&p.name_en, &p.name_ar).to_owned()).collect();
    charts.push(ChartView {
        id: "chart-leaderboard".into(),
        title: t("cc-chart-leaderboard"),
        config: chart_config(
            "bar",
            &doctors,
            vec![(t("cc-series-average"), cc.leaderboard.iter().map(|p| p.mean).collect())],
            rtl,
            true,
            Some((1.0, 5.0)),
        ),
        links: cc.leaderboard.iter().map(|p| format!("/physicians/{}/", p.physician_id)).collect(),
        label_column: 1,
        headers: vec![t("cc-col-rank"), t("cc-col-physician"), t("cc-series-average"), t("cc-col-ci"), t("cc-col-n")],
        rows: cc
            .leaderboard
            .iter()
            .zip(&doctors)
            .map(|(p, name)| {
                vec![
                    p.rank.map(|r| r.to_string()).unwrap_or_default(),
                    name.clone(),
                    figure(p.mean, "score"),
                    ci_text(p.ci_low, p.ci_high),
                    p.n.to_string(),
                ]
            })
            .collect(),
    });
    charts
}

/// "3.85–4.31", or — without an interval.
pub fn ci_text(low: Option<f64>, high: Option<f64>) -> String {
    match (low, high) {
        (Some(l), Some(h)) => format!("{l:.2}–{h:.2}"),
        _ => "—".into(),
    }
}

// ---------------------------------------------------------------------------------------------
// The page

pub struct OverdueView {
    pub href: String,
    pub reference: String,
    pub title: String,
    pub department: String,
    pub severity: String,
    pub hours: i64,
}

#[derive(Template)]
#[template(path = "analytics/command_center.html")]
struct CommandCenterPage {
    chrome: Chrome,
    errors: Vec<String>,
    periods: Vec<Opt>,
    from: String,
    to: String,
    hospitals: Vec<Opt>,
    departments: Vec<Opt>,
    journeys: Vec<Opt>,
    range_text: String,
    previous_text: String,
    refreshed: String,
    cards: Vec<CardView>,
    charts: Vec<ChartView>,
    overdue: Vec<OverdueView>,
    overdue_href: String,
    unranked: u64,
    unranked_count: i64,
    leaderboard_window: String,
    query: String,
}

fn options(lang: Lang, prefix: &str, values: &[&str], selected: Option<&str>) -> Vec<Opt> {
    values
        .iter()
        .map(|v| Opt {
            value: (*v).to_owned(),
            label: lang.t(&format!("{prefix}-{v}")),
            selected: selected == Some(*v),
        })
        .collect()
}

async fn command_center_page(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    let actor = &page.actor;
    actor.require(&state, Permission::ViewAnalytics).await?;
    let chrome = Chrome::new(&state, &page, uri.path(), "cc-title").await?;
    let lang = chrome.lang;
    let mut errors = Vec::new();
    let mut f = match filters_of(uri.query()) {
        Ok(f) => f,
        Err(e @ AppError::Validation(_)) => {
            errors = FormErrors::from_error(lang, &e, &[]).general;
            filters_of(None)?
        }
        Err(e) => return Err(e.into()),
    };
    // A department of another hospital than the one chosen: said on the page, which shows the
    // hospital (its department list) rather than a dead end.
    let cc = match command_center::compute(&state.read_db, actor, &f).await {
        Err(e @ AppError::Validation(_)) => {
            errors.extend(FormErrors::from_error(lang, &e, &[]).general);
            f.department_id = None;
            command_center::compute(&state.read_db, actor, &f).await?
        }
        other => other?,
    };
    let hospital = f.hospital_id.or(actor.selected_hospital);
    let departments = department_choices(&state, actor, lang, hospital, f.department_id).await?;
    let overdue = cc
        .overdue_complaints
        .iter()
        .map(|o| OverdueView {
            href: format!("/complaints/{}/", o.id),
            reference: o.reference_number.clone(),
            title: o.title.clone(),
            department: lang.pick(&o.department_en, &o.department_ar).to_owned(),
            severity: filters::label(lang, "severity", &o.severity),
            hours: o.hours_overdue,
        })
        .collect();
    let overdue_href =
        cc.cards.iter().find(|c| c.key == "complaints_overdue").and_then(|c| c.href.clone()).unwrap_or_default();
    render(
        if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST },
        &CommandCenterPage {
            errors,
            periods: options(lang, "cc-period", PERIODS, Some(&f.period)),
            from: f.from.to_string(),
            to: f.to.to_string(),
            hospitals: filters::hospital_options(&state.db, lang, actor, f.hospital_id).await?,
            departments,
            journeys: options(lang, "journey-type", JOURNEY_TYPES, f.journey_type.as_deref()),
            range_text: format!("{} → {}", cc.filters.from, cc.filters.to),
            previous_text: format!("{} → {}", cc.previous_from, cc.previous_to),
            refreshed: cc.refreshed_at.map(riyadh_time).unwrap_or_else(|| "—".into()),
            cards: card_views(&cc, lang),
            charts: chart_views(&cc, lang),
            overdue,
            overdue_href,
            unranked: cc.unranked_physicians,
            unranked_count: cc.unranked_physicians as i64,
            leaderboard_window: format!("{} → {}", cc.leaderboard_from, cc.leaderboard_to),
            query: f.query_string(),
            chrome,
        },
    )
}

/// `hospital_id` and `department_id` of a report's query string; a malformed one is a 400
/// naming it.
pub fn place_ids(query: Option<&str>) -> AppResult<(Option<Uuid>, Option<Uuid>)> {
    let pairs = filters::pairs(query);
    let mut errors = crate::error::FieldErrors::new();
    let mut id = |k: &str| {
        pairs.iter().rev().find(|(key, _)| key == k).and_then(|(_, v)| match Uuid::parse_str(v) {
            Ok(id) => Some(id),
            Err(_) => {
                errors.add(k, "Must be a valid UUID.");
                None
            }
        })
    };
    let ids = (id("hospital_id"), id("department_id"));
    errors.into_result()?;
    Ok(ids)
}

/// The departments a reader may filter the reports by: a hospital's, or their own.
pub async fn department_choices(
    state: &AppState,
    actor: &Actor,
    lang: Lang,
    hospital: Option<Uuid>,
    selected: Option<Uuid>,
) -> AppResult<Vec<Opt>> {
    let mut departments = filters::department_options(&state.db, lang, actor, hospital, selected).await?;
    if command_center::department_scoped(actor.role) {
        departments.retain(|o| Uuid::parse_str(&o.value).is_ok_and(|d| actor.department_ids.contains(&d)));
    }
    Ok(departments)
}

/// The command center as an Excel workbook: the cards, each chart's numbers, the overdue
/// complaints and the leaderboard, one sheet each, in the reader's language. Audited.
async fn command_center_xlsx(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    let actor = &page.actor;
    actor.require(&state, Permission::ViewAnalytics).await?;
    let lang = Lang::parse(&actor.language).unwrap_or(Lang::Ar);
    let f = filters_of(uri.query())?;
    let cc = command_center::compute(&state.read_db, actor, &f).await?;
    let place = place_label(&state, actor, f.hospital_id, f.department_id).await?;
    let sheets = report::sheets(&cc, lang, &place);
    let refs: Vec<(&str, &export::Table)> = sheets.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let bytes = export::xlsx_book(&refs)?;
    audit_export(&state, actor, &f, "xlsx").await?;
    Ok(export::download(bytes, export::Format::Xlsx, &format!("command-center-{}-{}.xlsx", f.from, f.to), false))
}

/// The hospital or department the figures are for, in the reader's language.
pub async fn place_label(
    state: &AppState,
    actor: &Actor,
    hospital: Option<Uuid>,
    department: Option<Uuid>,
) -> AppResult<String> {
    use crate::domains::organizations::model::{department as dept, hospital as hosp};
    let lang = Lang::parse(&actor.language).unwrap_or(Lang::Ar);
    let hospital = hospital.or(match actor.scope() {
        crate::auth::HospitalScope::Only(h) => Some(h),
        crate::auth::HospitalScope::All => None,
    });
    let department = department.or_else(|| {
        (command_center::department_scoped(actor.role) && actor.department_ids.len() == 1)
            .then(|| actor.department_ids.first().copied())
            .flatten()
    });
    let department = match department {
        Some(d) => <dept::Entity as sea_orm::EntityTrait>::find_by_id(d).one(&state.db).await?,
        None => None,
    };
    // A department names its hospital too, also when no hospital was chosen.
    let mut parts = Vec::new();
    match hospital.or(department.as_ref().map(|d| d.hospital_id)) {
        Some(h) => {
            if let Some(h) = <hosp::Entity as sea_orm::EntityTrait>::find_by_id(h).one(&state.db).await? {
                parts.push(lang.pick(&h.name_en, &h.name_ar).to_owned());
            }
        }
        None => parts.push(lang.t("report-all-hospitals")),
    }
    if let Some(d) = department {
        parts.push(lang.pick(&d.name_en, &d.name_ar).to_owned());
    }
    Ok(parts.join(" · "))
}

/// The command center as a PDF report (charts drawn, Arabic shaped right to left). Audited.
async fn command_center_pdf(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    let actor = &page.actor;
    actor.require(&state, Permission::ViewAnalytics).await?;
    let lang = Lang::parse(&actor.language).unwrap_or(Lang::Ar);
    let f = filters_of(uri.query())?;
    let cc = command_center::compute(&state.read_db, actor, &f).await?;
    let place = place_label(&state, actor, f.hospital_id, f.department_id).await?;
    let bytes = report::render_pdf(report::pdf(&cc, lang, &place)).await?;
    audit_export(&state, actor, &f, "pdf").await?;
    Ok(pdf_download(bytes, &format!("command-center-{}-{}.pdf", f.from, f.to)))
}

/// A PDF download response.
pub fn pdf_download(bytes: Vec<u8>, file_name: &str) -> axum::response::Response {
    export::download_as(bytes, "application/pdf", file_name, false)
}

async fn audit_export(state: &AppState, actor: &Actor, f: &Filters, format: &str) -> AppResult<()> {
    record(
        &state.db,
        actor,
        Entry::new("command_center_exported", "analytics", "")
            .hospital(f.hospital_id.or(crate::domains::complaints::filters::scope_hospital(actor)))
            .details(json!({"format": format, "filters": f.query_string()})),
    )
    .await?;
    Ok(())
}

pub fn page_routes() -> Router<AppState> {
    Router::new()
        .route("/analytics/command-center/", get(command_center_page))
        .route("/analytics/command-center/export.xlsx", get(command_center_xlsx))
        .route("/analytics/command-center/export.pdf", get(command_center_pdf))
        .route(
            "/analytics/",
            get(|| async { axum::response::Redirect::to("/analytics/command-center/").into_response() }),
        )
}
