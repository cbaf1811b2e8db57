//! Server-rendered pages: the shared page chrome (layout, navigation by role, language and
//! hospital switch), the HTML rendering of errors, and the generic directory pages.

pub mod crud_pages;
pub mod home;
pub mod public;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::app::AppState;
use crate::auth::session::PageActor;
use crate::auth::{Permission, Role};
use crate::domains::organizations::model::hospital;
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;

pub type PageResult = Result<Response, PageError>;

/// An [`AppError`] shown as a page: 401 goes to the login form, others get an error page.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    detail: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let err = self.0;
        if matches!(err, AppError::Unauthorized(..)) {
            return Redirect::to("/login/").into_response();
        }
        if let AppError::Unexpected(cause) = &err {
            tracing::error!(error = ?cause, "internal error");
        }
        let status = err.status();
        let page = ErrorPage { status: status.as_u16(), detail: err.detail() };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => status.into_response(),
        }
    }
}

/// Renders a template into a response with `status`.
pub fn render(status: StatusCode, template: &impl Template) -> PageResult {
    let html = template.render().map_err(|e| AppError::Unexpected(e.into()))?;
    Ok((status, Html(html)).into_response())
}

pub struct NavItem {
    pub href: &'static str,
    pub label: String,
    pub icon: &'static str,
    pub active: bool,
}

pub struct HospitalChoice {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

/// Everything the base layout needs.
pub struct Chrome {
    pub lang: Lang,
    pub title: String,
    pub user_name: String,
    pub role_label: String,
    pub csrf: String,
    pub path: String,
    pub nav: Vec<NavItem>,
    /// Only for PX admins: the hospitals they may switch to.
    pub hospitals: Vec<HospitalChoice>,
    pub hospital_label: String,
}

const NAV: &[(&str, &str, &str, Option<Permission>)] = &[
    ("/", "nav-home", "house", None),
    ("/analytics/command-center/", "nav-command-center", "speedometer2", Some(Permission::ViewDashboard)),
    ("/organizations/hospitals/", "nav-hospitals", "hospital", Some(Permission::ViewDirectory)),
    ("/organizations/departments/", "nav-departments", "diagram-3", Some(Permission::ViewDirectory)),
    ("/organizations/staff/", "nav-staff", "person-badge", Some(Permission::ViewDirectory)),
    ("/organizations/patients/", "nav-patients", "people", Some(Permission::ViewPatients)),
    ("/complaints/my-work/", "nav-my-work", "inbox", Some(Permission::HandleComplaints)),
    ("/complaints/", "nav-complaints", "chat-square-text", Some(Permission::ViewComplaints)),
    ("/actions/", "nav-actions", "check2-square", Some(Permission::ViewComplaints)),
    ("/complaints/settings/sla/", "nav-sla-settings", "stopwatch", Some(Permission::ViewSlaSettings)),
    ("/surveys/", "nav-surveys", "clipboard-check", Some(Permission::ViewSurveys)),
    ("/surveys/templates/", "nav-survey-templates", "ui-checks", Some(Permission::ManageSurveyTemplates)),
    ("/surveys/kiosks/", "nav-survey-kiosks", "qr-code", Some(Permission::ManageSurveyTemplates)),
    ("/journeys/templates/", "nav-journeys", "signpost-split", Some(Permission::ViewDirectory)),
    ("/notifications/outbox/", "nav-outbox", "envelope", Some(Permission::ViewPatients)),
    ("/notifications/templates/", "nav-notification-templates", "card-text", Some(Permission::ManageSystem)),
    ("/organizations/organizations/", "nav-organizations", "buildings", Some(Permission::ManageHospitals)),
    ("/accounts/users/", "nav-users", "person-gear", Some(Permission::ManageUsers)),
    ("/integrations/events/", "nav-integrations", "plug", Some(Permission::ViewEvents)),
    ("/audit/", "nav-audit", "shield-check", Some(Permission::ViewAudit)),
    ("/admin/jobs/", "nav-jobs", "gear-wide-connected", Some(Permission::ManageSystem)),
];

impl Chrome {
    pub async fn new(state: &AppState, page: &PageActor, path: &str, title_key: &str) -> AppResult<Chrome> {
        let actor = &page.actor;
        let lang = Lang::parse(&actor.language).unwrap_or(Lang::Ar);
        let nav = NAV
            .iter()
            .filter(|(_, _, _, perm)| perm.is_none_or(|p| actor.role.may(p)))
            .map(|(href, key, icon, _)| NavItem {
                href,
                label: lang.t(key),
                icon,
                active: match *href {
                    "/" => path == "/",
                    // The command center, KPI reports and physician pages sit under one entry.
                    "/analytics/command-center/" => path.starts_with("/analytics/") || path.starts_with("/physicians/"),
                    // Every integrations page (events, API keys, HIS log, Type map) sits under one entry.
                    "/integrations/events/" => path.starts_with("/integrations/"),
                    // SLA settings, escalation, calendar and taxonomy pages sit under one entry.
                    "/complaints/settings/sla/" => path.starts_with("/complaints/settings/"),
                    // The complaint work list owns /complaints/ except My work and the settings.
                    "/complaints/" => {
                        path.starts_with("/complaints/")
                            && !path.starts_with("/complaints/my-work/")
                            && !path.starts_with("/complaints/settings/")
                    }
                    _ => path.starts_with(href),
                },
            })
            .collect();
        let mut hospitals = Vec::new();
        let mut hospital_label = String::new();
        if actor.role == Role::PxAdmin {
            let all = hospital::Entity::find()
                .filter(hospital::Column::DeletedAt.is_null())
                .order_by_asc(hospital::Column::Code)
                .all(&state.db)
                .await?;
            hospital_label = lang.t("hospital-all");
            for h in all {
                let selected = actor.selected_hospital == Some(h.id);
                if selected {
                    hospital_label = lang.pick(&h.name_en, &h.name_ar).to_owned();
                }
                hospitals.push(HospitalChoice {
                    id: h.id.to_string(),
                    name: lang.pick(&h.name_en, &h.name_ar).to_owned(),
                    selected,
                });
            }
        } else if let Some(id) = actor.hospital_id
            && let Some(h) = hospital::Entity::find_by_id(id).one(&state.db).await?
        {
            hospital_label = lang.pick(&h.name_en, &h.name_ar).to_owned();
        }
        Ok(Chrome {
            lang,
            title: lang.t(title_key),
            user_name: if actor.name.is_empty() { actor.email.clone() } else { actor.name.clone() },
            role_label: lang.t(&format!("role-{}", actor.role.as_str())),
            csrf: page.session.csrf_token.clone(),
            path: path.to_owned(),
            nav,
            hospitals,
            hospital_label,
        })
    }

    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    pub fn is_rtl(&self) -> bool {
        self.lang == Lang::Ar
    }
}
