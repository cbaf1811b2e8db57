//! Login, logout, the home page, the language switch and a PX admin's hospital switch.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};
use serde::Deserialize;
use uuid::Uuid;

use super::{Chrome, PageResult, render};
use crate::app::AppState;
use crate::auth::session::{self, LANG_COOKIE};
use crate::auth::tokens::{random_token, secure_eq};
use crate::auth::{CsrfForm, PageActor, Permission, RequestMeta};
use crate::domains::accounts::model::{session as session_model, user};
use crate::domains::audit::service::{Entry, record};
use crate::domains::organizations::model::{department, hospital, patient, staff};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;

const LOGIN_CSRF_COOKIE: &str = "px360_login_csrf";

#[derive(Template)]
#[template(path = "account/login.html")]
struct LoginPage {
    lang: Lang,
    csrf: String,
    next: String,
    email: String,
    error: String,
}

impl LoginPage {
    fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    lang: Option<String>,
}

fn page_lang(headers: &HeaderMap, requested: Option<&str>) -> Lang {
    requested
        .and_then(Lang::parse)
        .or_else(|| session::cookie_language(headers).and_then(Lang::parse))
        .unwrap_or(Lang::Ar)
}

/// Only same-site paths are followed after login or a switch.
fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

fn login_csrf_cookie(value: &str) -> String {
    format!("{LOGIN_CSRF_COOKIE}={value}; Path=/login/; HttpOnly; SameSite=Strict; Max-Age=3600")
}

pub async fn login_form(headers: HeaderMap, Query(q): Query<LoginQuery>) -> PageResult {
    let csrf = random_token();
    let page = LoginPage {
        lang: page_lang(&headers, q.lang.as_deref()),
        csrf: csrf.clone(),
        next: safe_next(q.next.as_deref().unwrap_or("/")),
        email: String::new(),
        error: String::new(),
    };
    let mut response = render(StatusCode::OK, &page)?;
    let mut cookies = vec![login_csrf_cookie(&csrf)];
    if let Some(lang) = q.lang.as_deref().and_then(Lang::parse) {
        cookies.push(format!("{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000", lang.code()));
    }
    for c in cookies {
        response.headers_mut().append(header::SET_COOKIE, c.parse().map_err(anyhow::Error::from)?);
    }
    Ok(response)
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: Option<String>,
    password: Option<String>,
    csrf_token: Option<String>,
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    meta: RequestMeta,
    axum::Form(form): axum::Form<LoginForm>,
) -> PageResult {
    let lang = page_lang(&headers, None);
    let cookie_csrf = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| *k == LOGIN_CSRF_COOKIE)
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default();
    let sent = form.csrf_token.unwrap_or_default();
    if cookie_csrf.is_empty() || !secure_eq(&sent, &cookie_csrf) {
        return Err(AppError::Forbidden("CSRF Failed: CSRF token missing or incorrect.".into()).into());
    }
    let email = form.email.unwrap_or_default();
    let next = safe_next(form.next.as_deref().unwrap_or("/"));
    let retry = |error: String| {
        let csrf = random_token();
        let page = LoginPage { lang, csrf: csrf.clone(), next: next.clone(), email: email.clone(), error };
        let mut response = render(StatusCode::UNAUTHORIZED, &page)?;
        response
            .headers_mut()
            .append(header::SET_COOKIE, login_csrf_cookie(&csrf).parse().map_err(anyhow::Error::from)?);
        Ok::<_, super::PageError>(response)
    };
    match crate::domains::accounts::service::authenticate(&state, &email, &form.password.unwrap_or_default(), &meta)
        .await
    {
        Ok(user) => {
            let cookie = session::start(&state, &user, &meta).await?;
            let lang_cookie = format!("{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000", user.language);
            Ok((AppendHeaders([(header::SET_COOKIE, cookie), (header::SET_COOKIE, lang_cookie)]), Redirect::to(&next))
                .into_response())
        }
        Err(AppError::Unauthorized("account_locked", _)) => retry(lang.t("login-locked")),
        Err(AppError::Unauthorized(..)) => retry(lang.t("login-failed")),
        Err(other) => Err(other.into()),
    }
}

pub async fn logout(State(state): State<AppState>, page: PageActor, _form: CsrfForm) -> PageResult {
    record(&state.db, &page.actor, Entry::new("logout", "user", page.actor.user_id.unwrap_or_default())).await?;
    let cookie = session::end(&state, page.session.id).await?;
    Ok((AppendHeaders([(header::SET_COOKIE, cookie)]), Redirect::to("/login/")).into_response())
}

pub async fn set_language(State(state): State<AppState>, page: PageActor, form: CsrfForm) -> PageResult {
    let lang =
        Lang::parse(&form.get("language")).ok_or_else(|| crate::error::invalid("language", "Choose en or ar."))?;
    if let Some(id) = page.actor.user_id {
        user::Entity::update_many()
            .col_expr(user::Column::Language, sea_orm::sea_query::Expr::value(lang.code()))
            .filter(user::Column::Id.eq(id))
            .exec(&state.db)
            .await?;
    }
    let cookie = format!("{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000", lang.code());
    Ok((AppendHeaders([(header::SET_COOKIE, cookie)]), Redirect::to(&safe_next(&form.get("next")))).into_response())
}

pub async fn switch_hospital(State(state): State<AppState>, page: PageActor, form: CsrfForm) -> PageResult {
    page.actor.require(&state, Permission::SwitchHospital).await?;
    let raw = form.get("hospital_id");
    let selected = if raw.is_empty() {
        None
    } else {
        let id = Uuid::parse_str(&raw).map_err(|_| crate::error::invalid("hospital_id", "Must be a valid UUID."))?;
        let found =
            hospital::Entity::find_by_id(id).filter(hospital::Column::DeletedAt.is_null()).one(&state.db).await?;
        Some(found.ok_or(crate::error::not_found("hospital"))?.id)
    };
    session_model::Entity::update_many()
        .col_expr(session_model::Column::SelectedHospitalId, sea_orm::sea_query::Expr::value(selected))
        .filter(session_model::Column::Id.eq(page.session.id))
        .exec(&state.db)
        .await?;
    record(
        &state.db,
        &page.actor,
        Entry::new("hospital_switched", "hospital", selected.map(|s| s.to_string()).unwrap_or_default())
            .hospital(selected),
    )
    .await?;
    Ok(Redirect::to(&safe_next(&form.get("next"))).into_response())
}

pub struct Stat {
    pub label: String,
    pub value: u64,
    pub href: &'static str,
    pub icon: &'static str,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    stats: Vec<Stat>,
    chart: String,
    cards: Vec<crate::domains::analytics::pages::CardView>,
}

async fn staff_by_type(state: &AppState, page: &PageActor) -> AppResult<Vec<(String, i64)>> {
    let rows: Vec<(String, i64)> = page
        .actor
        .scoped(staff::Entity::find(), staff::Column::HospitalId)
        .filter(staff::Column::DeletedAt.is_null())
        .select_only()
        .column(staff::Column::StaffType)
        .column_as(staff::Column::Id.count(), "n")
        .group_by(staff::Column::StaffType)
        .into_tuple()
        .all(&state.db)
        .await?;
    Ok(rows)
}

pub async fn home(State(state): State<AppState>, page: PageActor) -> PageResult {
    // Source users have no dashboard: their home is the list of the complaints they filed.
    if page.actor.role == crate::auth::Role::SourceUser {
        return Ok(axum::response::Redirect::to("/complaints/").into_response());
    }
    page.actor.require(&state, Permission::ViewDashboard).await?;
    let chrome = Chrome::new(&state, &page, "/", "nav-home").await?;
    let lang = chrome.lang;
    let actor = &page.actor;
    let db = &state.db;
    let mut stats = Vec::new();
    if actor.role.may(Permission::ViewDirectory) {
        let hospitals = actor
            .scoped(hospital::Entity::find(), hospital::Column::Id)
            .filter(hospital::Column::DeletedAt.is_null())
            .count(db)
            .await?;
        let departments = actor
            .scoped(department::Entity::find(), department::Column::HospitalId)
            .filter(department::Column::DeletedAt.is_null())
            .count(db)
            .await?;
        let physicians = actor
            .scoped(staff::Entity::find(), staff::Column::HospitalId)
            .filter(staff::Column::DeletedAt.is_null())
            .filter(staff::Column::StaffType.eq("physician"))
            .count(db)
            .await?;
        stats.push(Stat {
            label: lang.t("nav-hospitals"),
            value: hospitals,
            href: "/organizations/hospitals/",
            icon: "hospital",
        });
        stats.push(Stat {
            label: lang.t("nav-departments"),
            value: departments,
            href: "/organizations/departments/",
            icon: "diagram-3",
        });
        stats.push(Stat {
            label: lang.t("stat-physicians"),
            value: physicians,
            href: "/organizations/staff/?staff_type=physician",
            icon: "heart-pulse",
        });
    }
    if actor.role.may(Permission::ViewPatients) {
        let patients = actor
            .scoped(patient::Entity::find(), patient::Column::HospitalId)
            .filter(patient::Column::DeletedAt.is_null())
            .count(db)
            .await?;
        stats.push(Stat {
            label: lang.t("nav-patients"),
            value: patients,
            href: "/organizations/patients/",
            icon: "people",
        });
    }
    if actor.role.may(Permission::ManageUsers) {
        let users = actor
            .scoped(user::Entity::find(), user::Column::HospitalId)
            .filter(user::Column::IsActive.eq(true))
            .count(db)
            .await?;
        stats.push(Stat { label: lang.t("nav-users"), value: users, href: "/accounts/users/", icon: "person-gear" });
    }
    let chart = if actor.role.may(Permission::ViewDirectory) {
        let rows = staff_by_type(&state, &page).await?;
        serde_json::json!({
            "type": "doughnut",
            "data": {
                "labels": rows.iter().map(|(t, _)| lang.t(&format!("staff_type-{t}"))).collect::<Vec<_>>(),
                "datasets": [{"data": rows.iter().map(|(_, n)| n).collect::<Vec<_>>()}]
            },
            "options": {"plugins": {"legend": {"position": "bottom", "rtl": lang == Lang::Ar}}}
        })
        .to_string()
    } else {
        String::new()
    };
    // The command center's cards of the last 30 days, linking to it (spec §15: the managers' home).
    let cards = if actor.role.may(Permission::ViewAnalytics) {
        use crate::domains::analytics::{command_center, pages};
        let f = pages::filters_of(None)?;
        let cc = command_center::compute(&state.read_db, actor, &f).await?;
        pages::card_views(&cc, lang)
    } else {
        Vec::new()
    };
    render(StatusCode::OK, &HomePage { chrome, stats, chart, cards })
}
