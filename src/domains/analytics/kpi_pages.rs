//! KPI reports: the list of KPIs with their latest values and bands, one report per KPI with its
//! monthly chart against the target and the critical threshold, the departments of a month, and
//! the same as JSON and Excel. Values are read from `kpi_values` (computed by `compute_kpis`).

use std::collections::BTreeMap;

use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::command_center::department_scoped;
use super::model::{kpi_definition, kpi_value};
use super::pages::{ChartSpec, chart_config};
use super::physicians::{month_of, months_ending};
use crate::app::AppState;
use crate::auth::{Actor, ApiActor, CsrfForm, HospitalScope, PageActor, Permission};
use crate::domains::audit::service::{Entry, record};
use crate::domains::complaints::filters::{self, FormErrors, Opt};
use crate::domains::organizations::model::{department, hospital};
use crate::error::{AppResult, FieldErrors, not_found};
use crate::http::export::{self, Table};
use crate::http::openapi::ErrorBody;
use crate::i18n::Lang;
use crate::web::{Chrome, PageResult, render};

/// Months a report shows.
const MONTHS: u32 = 12;

/// Whose values: a hospital and a department (nil: the whole hospital).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Place {
    pub hospital_id: Uuid,
    pub department_id: Uuid,
}

/// The place asked for (`hospital_id`, `department_id`) within the reader's scope: a PX admin
/// without a hospital gets the first one; department-scoped readers their own department.
pub async fn place(db: &DatabaseConnection, actor: &Actor, query: Option<&str>) -> AppResult<Place> {
    let (asked_hospital, asked_department) = super::pages::place_ids(query)?;
    let mut hospital_id = match (asked_hospital, actor.scope()) {
        (Some(h), _) if !actor.sees_hospital(h) => return Err(not_found("hospital")),
        (Some(h), _) => h,
        (None, HospitalScope::Only(h)) => h,
        (None, HospitalScope::All) => hospital::Entity::find()
            .filter(hospital::Column::DeletedAt.is_null())
            .order_by_asc(hospital::Column::Code)
            .one(db)
            .await?
            .map(|h| h.id)
            .ok_or_else(|| not_found("hospital"))?,
    };
    if hospital::Entity::find_by_id(hospital_id).one(db).await?.is_none() {
        return Err(not_found("hospital"));
    }
    let own = department_scoped(actor.role).then(|| actor.department_ids.clone());
    let department_id = match (asked_department, &own) {
        (Some(d), Some(mine)) if !mine.contains(&d) => return Err(not_found("department")),
        (Some(d), _) => match department::Entity::find_by_id(d).one(db).await? {
            Some(r) if r.hospital_id == hospital_id => d,
            Some(r) if !actor.sees_hospital(r.hospital_id) => return Err(not_found("department")),
            // The reader chose another hospital with the old department still in the form:
            // the new hospital, whole.
            Some(_) if asked_hospital.is_some() => Uuid::nil(),
            // A department alone names its hospital.
            Some(r) => {
                hospital_id = r.hospital_id;
                d
            }
            None => return Err(not_found("department")),
        },
        // A department-scoped reader without a department sees no KPI (never the hospital's).
        (None, Some(mine)) => mine.first().copied().ok_or_else(|| not_found("department"))?,
        (None, None) => Uuid::nil(),
    };
    Ok(Place { hospital_id, department_id })
}

/// One month's value of a KPI.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MonthValue {
    pub month: String,
    pub value: Option<f64>,
    pub numerator: f64,
    pub denominator: f64,
    pub band: Option<String>,
    pub is_final: bool,
    /// The year to date up to this month.
    pub ytd: Option<f64>,
    pub action_id: Option<Uuid>,
}

/// A KPI with its months at one place.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KpiReport {
    pub code: String,
    pub name_en: String,
    pub name_ar: String,
    pub description_en: String,
    pub description_ar: String,
    pub unit: String,
    pub higher_is_better: bool,
    pub target: f64,
    pub warning_threshold: f64,
    pub critical_threshold: f64,
    pub hospital_id: Uuid,
    /// None: the whole hospital.
    pub department_id: Option<Uuid>,
    /// Oldest first.
    pub months: Vec<MonthValue>,
}

impl KpiReport {
    pub fn latest(&self) -> Option<&MonthValue> {
        self.months.iter().rev().find(|m| m.value.is_some())
    }
}

async fn report(db: &DatabaseConnection, def: kpi_definition::Model, place: Place) -> AppResult<KpiReport> {
    let (y, m) = month_of(chrono::Utc::now());
    let (from, to) = months_ending(y, m, MONTHS);
    let rows = kpi_value::Entity::find()
        .filter(kpi_value::Column::KpiCode.eq(&def.code))
        .filter(kpi_value::Column::HospitalId.eq(place.hospital_id))
        .filter(kpi_value::Column::DepartmentId.eq(place.department_id))
        .filter(kpi_value::Column::Month.gte(from))
        .filter(kpi_value::Column::Month.lte(to))
        .all(db)
        .await?;
    let mut months: BTreeMap<String, MonthValue> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.period == "month") {
        months.insert(
            r.month.clone(),
            MonthValue {
                month: r.month.clone(),
                value: r.value,
                numerator: r.numerator,
                denominator: r.denominator,
                band: r.band.clone(),
                is_final: r.is_final,
                ytd: None,
                action_id: r.action_id,
            },
        );
    }
    for r in rows.iter().filter(|r| r.period == "ytd") {
        if let Some(m) = months.get_mut(&r.month) {
            m.ytd = r.value;
        }
    }
    Ok(KpiReport {
        code: def.code,
        name_en: def.name_en,
        name_ar: def.name_ar,
        description_en: def.description_en,
        description_ar: def.description_ar,
        unit: def.unit,
        higher_is_better: def.higher_is_better,
        target: def.target,
        warning_threshold: def.warning_threshold,
        critical_threshold: def.critical_threshold,
        hospital_id: place.hospital_id,
        department_id: (!place.department_id.is_nil()).then_some(place.department_id),
        months: months.into_values().collect(),
    })
}

async fn definitions(db: &DatabaseConnection) -> AppResult<Vec<kpi_definition::Model>> {
    Ok(kpi_definition::Entity::find()
        .filter(kpi_definition::Column::IsActive.eq(true))
        .order_by_asc(kpi_definition::Column::SortOrder)
        .all(db)
        .await?)
}

async fn definition(db: &DatabaseConnection, code: &str) -> AppResult<kpi_definition::Model> {
    kpi_definition::Entity::find_by_id(code.to_owned())
        .filter(kpi_definition::Column::IsActive.eq(true))
        .one(db)
        .await?
        .ok_or_else(|| not_found("KPI"))
}

/// Every KPI with its last 12 months at a hospital (`hospital_id`; PX admins) or one of its
/// departments (`department_id`).
#[utoipa::path(get, path = "/api/analytics/kpis/", tag = "Analytics",
    params(("hospital_id" = Option<Uuid>, Query), ("department_id" = Option<Uuid>, Query)),
    responses((status = 200, body = Vec<KpiReport>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn kpis_api(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    uri: OriginalUri,
) -> AppResult<Json<Vec<KpiReport>>> {
    actor.require(&state, Permission::ViewAnalytics).await?;
    let at = place(&state.db, &actor, uri.query()).await?;
    let mut out = Vec::new();
    for def in definitions(&state.db).await? {
        out.push(report(&state.read_db, def, at).await?);
    }
    Ok(Json(out))
}

/// One KPI's last 12 months at a hospital or department.
#[utoipa::path(get, path = "/api/analytics/kpis/{code}/", tag = "Analytics",
    params(("code" = String, Path), ("hospital_id" = Option<Uuid>, Query), ("department_id" = Option<Uuid>, Query)),
    responses((status = 200, body = KpiReport), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn kpi_api(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(code): Path<String>,
    uri: OriginalUri,
) -> AppResult<Json<KpiReport>> {
    actor.require(&state, Permission::ViewAnalytics).await?;
    let def = definition(&state.db, &code).await?;
    let at = place(&state.db, &actor, uri.query()).await?;
    Ok(Json(report(&state.read_db, def, at).await?))
}

/// New thresholds of a KPI (any subset; the others stay).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThresholdsInput {
    pub target: Option<f64>,
    pub warning_threshold: Option<f64>,
    pub critical_threshold: Option<f64>,
}

/// The range a KPI's values live in, by unit.
fn unit_range(unit: &str) -> (f64, f64) {
    match unit {
        "percent" => (0.0, 100.0),
        "nps" => (-100.0, 100.0),
        "score" => (1.0, 5.0),
        _ => (0.0, 1_000_000.0),
    }
}

/// Checks and applies new thresholds: each within the unit's range, and in order for the KPI's
/// direction (target, then warning, then critical, from best to worst). Every stored value's band
/// follows at once. Audited.
pub async fn set_thresholds(
    state: &AppState,
    actor: &Actor,
    code: &str,
    input: ThresholdsInput,
) -> AppResult<kpi_definition::Model> {
    actor.require(state, Permission::ManageSystem).await?;
    let def = definition(&state.db, code).await?;
    let (low, high) = unit_range(&def.unit);
    let mut errors = FieldErrors::new();
    let mut check = |name: &str, v: Option<f64>, current: f64| match v {
        Some(x) if !x.is_finite() || x < low || x > high => {
            errors.add(name, format!("Must be a number from {low} to {high}."));
            current
        }
        Some(x) => x,
        None => current,
    };
    let target = check("target", input.target, def.target);
    let warning = check("warning_threshold", input.warning_threshold, def.warning_threshold);
    let critical = check("critical_threshold", input.critical_threshold, def.critical_threshold);
    let ordered = if def.higher_is_better {
        target >= warning && warning >= critical
    } else {
        target <= warning && warning <= critical
    };
    if !ordered && errors.is_empty() {
        errors.add(
            "warning_threshold",
            if def.higher_is_better {
                "The target must be at least the warning threshold, and the warning threshold at least the critical one."
            } else {
                "The target must be at most the warning threshold, and the warning threshold at most the critical one."
            },
        );
    }
    errors.into_result()?;
    let _turn = state.write_turn().await;
    let txn = state.db.begin().await?;
    let before =
        serde_json::json!({"target": def.target, "warning": def.warning_threshold, "critical": def.critical_threshold});
    let mut row: kpi_definition::ActiveModel = def.clone().into();
    row.target = Set(target);
    row.warning_threshold = Set(warning);
    row.critical_threshold = Set(critical);
    let saved = row.update(&txn).await?;
    for v in kpi_value::Entity::find().filter(kpi_value::Column::KpiCode.eq(code)).all(&txn).await? {
        let band = super::kpis::band_of(&saved, v.value).map(|b| super::kpis::band_str(b).to_owned());
        if band != v.band {
            let mut row: kpi_value::ActiveModel = v.into();
            row.band = Set(band);
            row.update(&txn).await?;
        }
    }
    record(
        &txn,
        actor,
        Entry::new("kpi_thresholds_changed", "kpi", code).details(serde_json::json!({
            "before": before,
            "after": {"target": target, "warning": warning, "critical": critical},
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// A KPI definition as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KpiDefinition {
    pub code: String,
    pub name_en: String,
    pub name_ar: String,
    pub unit: String,
    pub higher_is_better: bool,
    pub target: f64,
    pub warning_threshold: f64,
    pub critical_threshold: f64,
}

impl From<kpi_definition::Model> for KpiDefinition {
    fn from(d: kpi_definition::Model) -> Self {
        KpiDefinition {
            code: d.code,
            name_en: d.name_en,
            name_ar: d.name_ar,
            unit: d.unit,
            higher_is_better: d.higher_is_better,
            target: d.target,
            warning_threshold: d.warning_threshold,
            critical_threshold: d.critical_threshold,
        }
    }
}

/// Changes a KPI's target, warning or critical threshold (PX admins). The bands of its stored
/// values follow at once; 400 names a value out of range or out of order.
#[utoipa::path(patch, path = "/api/analytics/kpis/{code}/", tag = "Analytics",
    params(("code" = String, Path)), request_body = ThresholdsInput,
    responses((status = 200, body = KpiDefinition), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn kpi_update_api(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(code): Path<String>,
    crate::http::json::ApiJson(input): crate::http::json::ApiJson<ThresholdsInput>,
) -> AppResult<Json<KpiDefinition>> {
    Ok(Json(set_thresholds(&state, &actor, &code, input).await?.into()))
}

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(kpis_api)).routes(routes!(kpi_api, kpi_update_api))
}

// ---------------------------------------------------------------------------------------------
// Pages

/// A KPI value as text in its unit.
pub fn kpi_text(value: Option<f64>, unit: &str) -> String {
    let unit = match unit {
        "percent" => "percent",
        "nps" => "nps",
        _ => "score",
    };
    super::pages::figure(value, unit)
}

fn band_class(band: Option<&str>) -> &'static str {
    match band {
        Some("on_target") => "text-bg-success",
        Some("warning") => "text-bg-warning",
        Some("critical") => "text-bg-danger",
        _ => "text-bg-light border",
    }
}

pub struct KpiRow {
    pub code: String,
    pub name: String,
    pub href: String,
    pub target: String,
    pub critical: String,
    pub latest_month: String,
    pub latest: String,
    pub band: String,
    pub band_class: &'static str,
    pub ytd: String,
}

#[derive(Template)]
#[template(path = "analytics/kpis.html")]
struct KpisPage {
    chrome: Chrome,
    hospitals: Vec<Opt>,
    departments: Vec<Opt>,
    rows: Vec<KpiRow>,
}

fn place_query(p: &Place) -> String {
    let mut q = format!("hospital_id={}", p.hospital_id);
    if !p.department_id.is_nil() {
        q.push_str(&format!("&department_id={}", p.department_id));
    }
    q
}

async fn selects(state: &AppState, actor: &Actor, lang: Lang, p: &Place) -> AppResult<(Vec<Opt>, Vec<Opt>)> {
    let dept = (!p.department_id.is_nil()).then_some(p.department_id);
    let departments = super::pages::department_choices(state, actor, lang, Some(p.hospital_id), dept).await?;
    Ok((filters::hospital_options(&state.db, lang, actor, Some(p.hospital_id)).await?, departments))
}

async fn kpis_page(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    let actor = &page.actor;
    actor.require(&state, Permission::ViewAnalytics).await?;
    let chrome = Chrome::new(&state, &page, uri.path(), "kpi-title").await?;
    let lang = chrome.lang;
    let at = place(&state.db, actor, uri.query()).await?;
    let query = place_query(&at);
    let mut rows = Vec::new();
    for def in definitions(&state.db).await? {
        let r = report(&state.read_db, def, at).await?;
        let latest = r.latest().cloned();
        rows.push(KpiRow {
            href: format!("/analytics/kpis/{}/?{query}", r.code),
            name: lang.pick(&r.name_en, &r.name_ar).to_owned(),
            target: kpi_text(Some(r.target), &r.unit),
            critical: kpi_text(Some(r.critical_threshold), &r.unit),
            latest_month: latest.as_ref().map(|m| m.month.clone()).unwrap_or_default(),
            latest: kpi_text(latest.as_ref().and_then(|m| m.value), &r.unit),
            band: latest
                .as_ref()
                .and_then(|m| m.band.clone())
                .map(|b| lang.t(&format!("kpi-band-{b}")))
                .unwrap_or_default(),
            band_class: band_class(latest.as_ref().and_then(|m| m.band.as_deref())),
            ytd: kpi_text(latest.as_ref().and_then(|m| m.ytd), &r.unit),
            code: r.code,
        });
    }
    let (hospitals, departments) = selects(&state, actor, lang, &at).await?;
    render(StatusCode::OK, &KpisPage { chrome, hospitals, departments, rows })
}

pub struct MonthRow {
    pub month: String,
    pub value: String,
    pub numerator: String,
    pub denominator: String,
    pub band: String,
    pub band_class: &'static str,
    pub ytd: String,
    pub action_href: Option<String>,
    pub is_final: bool,
}

#[derive(Template)]
#[template(path = "analytics/kpi_report.html")]
struct KpiReportPage {
    chrome: Chrome,
    name: String,
    description: String,
    code: String,
    target: String,
    warning: String,
    critical: String,
    direction: String,
    hospitals: Vec<Opt>,
    departments: Vec<Opt>,
    chart: ChartSpec,
    months: Vec<MonthRow>,
    query: String,
    /// PX admins change the thresholds here.
    can_edit: bool,
    edit: (String, String, String),
    errors: Vec<(String, String)>,
}

fn month_rows(r: &KpiReport, lang: Lang) -> Vec<MonthRow> {
    r.months
        .iter()
        .map(|m| MonthRow {
            month: m.month.clone(),
            value: kpi_text(m.value, &r.unit),
            numerator: super::pages::figure(Some(m.numerator), "score"),
            denominator: super::pages::figure(Some(m.denominator), "score"),
            band: m.band.clone().map(|b| lang.t(&format!("kpi-band-{b}"))).unwrap_or_default(),
            band_class: band_class(m.band.as_deref()),
            ytd: kpi_text(m.ytd, &r.unit),
            action_href: m.action_id.map(|a| format!("/actions/{a}/")),
            is_final: m.is_final,
        })
        .collect()
}

fn report_chart(r: &KpiReport, lang: Lang) -> ChartSpec {
    let labels: Vec<String> = r.months.iter().map(|m| m.month.clone()).collect();
    let flat = |v: f64| r.months.iter().map(|_| Some(v)).collect::<Vec<_>>();
    chart_config(
        "line",
        &labels,
        vec![
            (lang.pick(&r.name_en, &r.name_ar).to_owned(), r.months.iter().map(|m| m.value).collect()),
            (lang.t("kpi-target"), flat(r.target)),
            (lang.t("kpi-critical"), flat(r.critical_threshold)),
        ],
        lang == Lang::Ar,
        false,
        None,
    )
}

async fn kpi_report_page(
    State(state): State<AppState>,
    page: PageActor,
    Path(code): Path<String>,
    uri: OriginalUri,
) -> PageResult {
    let actor = &page.actor;
    actor.require(&state, Permission::ViewAnalytics).await?;
    let def = definition(&state.db, &code).await?;
    let chrome = Chrome::new(&state, &page, uri.path(), "kpi-title").await?;
    let at = place(&state.db, actor, uri.query()).await?;
    let r = report(&state.read_db, def, at).await?;
    report_page(&state, &page, chrome, r, at, Vec::new(), None).await
}

async fn report_page(
    state: &AppState,
    page: &PageActor,
    chrome: Chrome,
    r: KpiReport,
    at: Place,
    errors: Vec<(String, String)>,
    entered: Option<(String, String, String)>,
) -> PageResult {
    let actor = &page.actor;
    let lang = chrome.lang;
    let (hospitals, departments) = selects(state, actor, lang, &at).await?;
    render(
        if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST },
        &KpiReportPage {
            can_edit: actor.role.may(Permission::ManageSystem),
            edit: entered.unwrap_or_else(|| {
                (r.target.to_string(), r.warning_threshold.to_string(), r.critical_threshold.to_string())
            }),
            errors,
            name: lang.pick(&r.name_en, &r.name_ar).to_owned(),
            description: lang.pick(&r.description_en, &r.description_ar).to_owned(),
            target: kpi_text(Some(r.target), &r.unit),
            warning: kpi_text(Some(r.warning_threshold), &r.unit),
            critical: kpi_text(Some(r.critical_threshold), &r.unit),
            direction: lang.t(if r.higher_is_better { "kpi-higher-better" } else { "kpi-lower-better" }),
            chart: report_chart(&r, lang),
            months: month_rows(&r, lang),
            query: place_query(&at),
            code: r.code.clone(),
            hospitals,
            departments,
            chrome,
        },
    )
}

/// The thresholds form of a KPI report (PX admins).
async fn thresholds_post(
    State(state): State<AppState>,
    page: PageActor,
    Path(code): Path<String>,
    uri: OriginalUri,
    form: CsrfForm,
) -> PageResult {
    let actor = &page.actor;
    actor.require(&state, Permission::ManageSystem).await?;
    // The form shows all three values: a blank one is a mistake, not "keep it" (the API's
    // PATCH takes any subset). Anything not a number is refused with the range message.
    let mut blank = FieldErrors::new();
    let mut number = |name: &str| {
        let raw = form.get(name).trim().to_owned();
        if raw.is_empty() {
            blank.add(name, "This field is required.");
        }
        (!raw.is_empty()).then(|| raw.replace(',', ".").parse::<f64>().unwrap_or(f64::NAN))
    };
    let input = ThresholdsInput {
        target: number("target"),
        warning_threshold: number("warning_threshold"),
        critical_threshold: number("critical_threshold"),
    };
    let saved = match blank.into_result() {
        Ok(()) => set_thresholds(&state, actor, &code, input).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(_) => Ok(axum::response::Redirect::to(&format!("/analytics/kpis/{code}/?{}", uri.query().unwrap_or("")))
            .into_response()),
        Err(e @ crate::error::AppError::Validation(_)) => {
            let chrome = Chrome::new(&state, &page, &format!("/analytics/kpis/{code}/"), "kpi-title").await?;
            let lang = chrome.lang;
            let errors = FormErrors::from_error(lang, &e, &["target", "warning_threshold", "critical_threshold"]);
            let at = place(&state.db, actor, uri.query()).await?;
            let r = report(&state.read_db, definition(&state.db, &code).await?, at).await?;
            let mut list: Vec<(String, String)> = errors.fields.into_iter().collect();
            list.extend(errors.general.into_iter().map(|g| (String::new(), g)));
            let entered = (form.get("target"), form.get("warning_threshold"), form.get("critical_threshold"));
            report_page(&state, &page, chrome, r, at, list, Some(entered)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A KPI report as a workbook: its months (value, numerator, denominator, band, year to date).
pub fn report_table(r: &KpiReport, lang: Lang) -> Table {
    let t = |k: &str| lang.t(k);
    let plain = |v: Option<f64>| v.map(|x| crate::domains::surveys::rules::round2(x).to_string()).unwrap_or_default();
    Table {
        headers: vec![
            t("kpi-col-month"),
            t("kpi-col-value"),
            t("kpi-col-numerator"),
            t("kpi-col-denominator"),
            t("kpi-col-band"),
            t("kpi-col-ytd"),
        ],
        rows: r
            .months
            .iter()
            .map(|m| {
                vec![
                    // The running month, as on the page: its value may still change.
                    if m.is_final { m.month.clone() } else { format!("{} ({})", m.month, t("kpi-so-far")) },
                    plain(m.value),
                    plain(Some(m.numerator)),
                    plain(Some(m.denominator)),
                    m.band.clone().map(|b| lang.t(&format!("kpi-band-{b}"))).unwrap_or_default(),
                    plain(m.ytd),
                ]
            })
            .collect(),
        note: Some(format!(
            "{} · {}: {} · {}: {}",
            lang.pick(&r.name_en, &r.name_ar),
            t("kpi-target"),
            r.target,
            t("kpi-critical"),
            r.critical_threshold
        )),
        rtl: lang == Lang::Ar,
        numbers: true,
    }
}

/// The report an export asks for (checked like the page), and the reader's language.
async fn export_report(
    state: &AppState,
    actor: &Actor,
    code: &str,
    query: Option<&str>,
) -> AppResult<(KpiReport, Place, Lang)> {
    actor.require(state, Permission::ViewAnalytics).await?;
    let lang = Lang::parse(&actor.language).unwrap_or(Lang::Ar);
    let def = definition(&state.db, code).await?;
    let at = place(&state.db, actor, query).await?;
    Ok((report(&state.read_db, def, at).await?, at, lang))
}

async fn audit_export(state: &AppState, actor: &Actor, r: &KpiReport, at: &Place, format: &str) -> AppResult<()> {
    record(
        &state.db,
        actor,
        Entry::new("kpi_report_exported", "kpi", &r.code)
            .hospital(Some(at.hospital_id))
            .details(serde_json::json!({"format": format, "place": place_query(at)})),
    )
    .await?;
    Ok(())
}

async fn kpi_xlsx(
    State(state): State<AppState>,
    page: PageActor,
    Path(code): Path<String>,
    uri: OriginalUri,
) -> PageResult {
    let (r, at, lang) = export_report(&state, &page.actor, &code, uri.query()).await?;
    let bytes = export::xlsx_book(&[(&r.code, &report_table(&r, lang))])?;
    audit_export(&state, &page.actor, &r, &at, "xlsx").await?;
    Ok(export::download(bytes, export::Format::Xlsx, &format!("kpi-{}.xlsx", r.code), false))
}

/// A KPI report as PDF: its thresholds, the monthly chart against them and the months' table.
async fn kpi_pdf(
    State(state): State<AppState>,
    page: PageActor,
    Path(code): Path<String>,
    uri: OriginalUri,
) -> PageResult {
    use crate::http::pdf;
    let actor = &page.actor;
    let (r, at, lang) = export_report(&state, actor, &code, uri.query()).await?;
    let label = super::pages::place_label(
        &state,
        actor,
        Some(at.hospital_id),
        (!at.department_id.is_nil()).then_some(at.department_id),
    )
    .await?;
    let table = report_table(&r, lang);
    let name = lang.pick(&r.name_en, &r.name_ar).to_owned();
    let cards = vec![
        pdf::Card {
            label: lang.t("kpi-target"),
            value: kpi_text(Some(r.target), &r.unit),
            note: lang.t(if r.higher_is_better { "kpi-higher-better" } else { "kpi-lower-better" }),
        },
        pdf::Card {
            label: lang.t("kpi-warning"),
            value: kpi_text(Some(r.warning_threshold), &r.unit),
            note: String::new(),
        },
        pdf::Card {
            label: lang.t("kpi-critical"),
            value: kpi_text(Some(r.critical_threshold), &r.unit),
            note: String::new(),
        },
        pdf::Card {
            label: lang.t("kpi-col-value"),
            value: kpi_text(r.latest().and_then(|m| m.value), &r.unit),
            note: r.latest().map(|m| m.month.clone()).unwrap_or_default(),
        },
    ];
    let doc = pdf::Report {
        title: format!("{name} ({}) — {label}", r.code),
        subtitle: lang.pick(&r.description_en, &r.description_ar).to_owned(),
        rtl: lang == Lang::Ar,
        footer: super::report::footer(lang),
        blocks: vec![
            pdf::Block::Cards(cards),
            pdf::Block::Chart(report_chart(&r, lang).pdf(&name)),
            pdf::Block::Table(pdf::Table { title: name.clone(), headers: table.headers, rows: table.rows }),
        ],
    };
    let bytes = super::report::render_pdf(doc).await?;
    audit_export(&state, actor, &r, &at, "pdf").await?;
    Ok(super::pages::pdf_download(bytes, &format!("kpi-{}.pdf", r.code)))
}

pub fn page_routes() -> Router<AppState> {
    Router::new()
        .route("/analytics/kpis/", get(kpis_page))
        .route("/analytics/kpis/{code}/", get(kpi_report_page))
        .route("/analytics/kpis/{code}/thresholds/", axum::routing::post(thresholds_post))
        .route("/analytics/kpis/{code}/export.xlsx", get(kpi_xlsx))
        .route("/analytics/kpis/{code}/export.pdf", get(kpi_pdf))
}
