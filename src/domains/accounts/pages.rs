//! The password-change page.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;

use crate::app::AppState;
use crate::auth::{CsrfForm, PageActor};
use crate::error::{AppError, FieldErrors};
use crate::web::{Chrome, PageResult, render};

#[derive(Template)]
#[template(path = "account/password.html")]
pub struct PasswordPage {
    pub chrome: Chrome,
    pub errors: FieldErrors,
    pub done: bool,
}

impl PasswordPage {
    /// (name, autocomplete, error) of the three password inputs.
    fn inputs(&self) -> Vec<(&'static str, &'static str, String)> {
        [("old_password", "current-password"), ("new_password", "new-password"), ("new_password2", "new-password")]
            .into_iter()
            .map(|(n, a)| (n, a, self.errors.get(n).unwrap_or_default().to_owned()))
            .collect()
    }
}

pub async fn password_form(State(state): State<AppState>, page: PageActor) -> PageResult {
    let chrome = Chrome::new(&state, &page, "/account/password/", "nav-password").await?;
    render(StatusCode::OK, &PasswordPage { chrome, errors: FieldErrors::new(), done: false })
}

pub async fn change_password(State(state): State<AppState>, page: PageActor, form: CsrfForm) -> PageResult {
    let chrome = Chrome::new(&state, &page, "/account/password/", "nav-password").await?;
    let old = form.get("old_password");
    let new = form.get("new_password");
    let mut errors = FieldErrors::new();
    if new != form.get("new_password2") {
        errors.add("new_password2", chrome.t("password-mismatch"));
    }
    if errors.is_empty() {
        match super::service::change_password(&state, &page.actor, &old, &new, Some(page.session.id)).await {
            Ok(()) => return render(StatusCode::OK, &PasswordPage { chrome, errors, done: true }),
            Err(AppError::Validation(e)) => errors = e,
            Err(other) => return Err(other.into()),
        }
    }
    render(StatusCode::BAD_REQUEST, &PasswordPage { chrome, errors, done: false })
}
