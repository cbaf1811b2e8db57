//! Notification templates: one per (code, channel, language), `{{name}}` placeholders, edited by
//! PX admins with a preview. Staff who send messages may read them.

use std::collections::BTreeMap;

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, Order, PaginatorTrait, QueryFilter, Set, TransactionTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::template;
use super::rules;
use crate::app::AppState;
use crate::auth::{Actor, Permission};
use crate::crud::{ListQuery, merge, parse_input};
use crate::domains::audit::service::{Entry, record};
use crate::domains::organizations::service::now;
use crate::error::{AppResult, FieldErrors, not_found};
use crate::http::validate::{optional, required};
use crate::http::{Page, pagination};

#[derive(Debug, Default, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    /// The event, e.g. `survey_invitation`: lower-case letters, digits and `_`.
    pub code: Option<String>,
    /// `sms`, `whatsapp` or `email`.
    pub channel: Option<String>,
    /// `ar` or `en`.
    pub language: Option<String>,
    /// Email only (required there).
    pub subject: Option<String>,
    /// The text with `{{name}}` placeholders.
    pub body: Option<String>,
    pub is_active: Option<bool>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateView {
    pub id: Uuid,
    pub code: String,
    pub channel: String,
    pub language: String,
    pub subject: String,
    pub body: String,
    pub is_active: bool,
    /// The variables the template needs.
    pub placeholders: Vec<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<template::Model> for TemplateView {
    fn from(m: template::Model) -> Self {
        let mut placeholders = rules::placeholders(&m.subject).unwrap_or_default();
        for p in rules::placeholders(&m.body).unwrap_or_default() {
            if !placeholders.contains(&p) {
                placeholders.push(p);
            }
        }
        TemplateView {
            id: m.id,
            code: m.code,
            channel: m.channel,
            language: m.language,
            subject: m.subject,
            body: m.body,
            is_active: m.is_active,
            placeholders,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

fn input_of(m: &template::Model) -> TemplateInput {
    TemplateInput {
        code: Some(m.code.clone()),
        channel: Some(m.channel.clone()),
        language: Some(m.language.clone()),
        subject: Some(m.subject.clone()),
        body: Some(m.body.clone()),
        is_active: Some(m.is_active),
    }
}

/// Templates filtered by `code`, `channel`, `language`; ordered by code.
pub async fn list(state: &AppState, actor: &Actor, query: &ListQuery) -> AppResult<Page<TemplateView>> {
    actor.require(state, Permission::ViewPatients).await?;
    let mut select = template::Entity::find();
    for (name, column) in [
        ("code", template::Column::Code),
        ("channel", template::Column::Channel),
        ("language", template::Column::Language),
    ] {
        if let Some(v) = query.filter(name) {
            select = select.filter(column.eq(v));
        }
    }
    use template::Column as C;
    select = pagination::search(select, &query.params, &[C::Code, C::Subject, C::Body]);
    let allowed = [("code", C::Code), ("channel", C::Channel), ("language", C::Language), ("updated_at", C::UpdatedAt)];
    select = pagination::order(select, &query.params, &allowed, (C::Code, Order::Asc))?;
    Ok(pagination::fetch(&state.db, select, &query.params, &query.path).await?.map(Into::into))
}

async fn find(state: &AppState, id: Uuid) -> AppResult<template::Model> {
    template::Entity::find_by_id(id).one(&state.db).await?.ok_or(not_found("template"))
}

pub async fn get(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<TemplateView> {
    actor.require(state, Permission::ViewPatients).await?;
    Ok(find(state, id).await?.into())
}

fn check_placeholders(errors: &mut FieldErrors, field: &str, text: &str) {
    if let Err(e) = rules::placeholders(text) {
        errors.add(field, e.to_string());
    }
}

async fn save(
    state: &AppState,
    actor: &Actor,
    input: TemplateInput,
    existing: Option<template::Model>,
) -> AppResult<TemplateView> {
    let mut errors = FieldErrors::new();
    let code = required(&mut errors, "code", input.code.as_deref(), 50);
    let well_formed = code.starts_with(|c: char| c.is_ascii_lowercase())
        && code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !code.is_empty() && !well_formed {
        errors.add("code", "Use lower-case letters, digits and _, starting with a letter.");
    }
    let channel = required(&mut errors, "channel", input.channel.as_deref(), 10);
    if !channel.is_empty() && !rules::CHANNELS.contains(&channel.as_str()) {
        errors.add("channel", format!("\"{channel}\" is not a valid choice."));
    }
    let language = required(&mut errors, "language", input.language.as_deref(), 2);
    if !language.is_empty() && !rules::LANGUAGES.contains(&language.as_str()) {
        errors.add("language", format!("\"{language}\" is not a valid choice."));
    }
    let subject = optional(&mut errors, "subject", input.subject.as_deref(), 200);
    if channel == "email" && subject.is_empty() {
        errors.add("subject", "An email template needs a subject.");
    }
    let body = required(&mut errors, "body", input.body.as_deref(), 4000);
    check_placeholders(&mut errors, "subject", &subject);
    check_placeholders(&mut errors, "body", &body);
    if errors.get("code").is_none() && errors.get("channel").is_none() && errors.get("language").is_none() {
        let mut same = template::Entity::find()
            .filter(template::Column::Code.eq(code.clone()))
            .filter(template::Column::Channel.eq(channel.clone()))
            .filter(template::Column::Language.eq(language.clone()));
        if let Some(e) = &existing {
            same = same.filter(template::Column::Id.ne(e.id));
        }
        if same.count(&state.db).await? > 0 {
            errors.add("code", "A template with this code, channel and language already exists.");
        }
    }
    errors.into_result()?;
    let at = now();
    let mut row = template::ActiveModel {
        code: Set(code),
        channel: Set(channel),
        language: Set(language),
        subject: Set(subject),
        body: Set(body),
        is_active: Set(input.is_active.unwrap_or(true)),
        updated_at: Set(at),
        ..Default::default()
    };
    let txn = state.db.begin().await?;
    let (saved, action) = match existing {
        Some(e) => {
            row.id = sea_orm::Unchanged(e.id);
            (row.update(&txn).await?, "update")
        }
        None => {
            row.id = Set(Uuid::now_v7());
            row.created_at = Set(at);
            (row.insert(&txn).await?, "create")
        }
    };
    record(&txn, actor, Entry::new(action, "notification_template", saved.id).hospital(None)).await?;
    txn.commit().await?;
    Ok(saved.into())
}

pub async fn create(state: &AppState, actor: &Actor, body: serde_json::Value) -> AppResult<TemplateView> {
    actor.require(state, Permission::ManageSystem).await?;
    save(state, actor, parse_input(body)?, None).await
}

/// Partial update: absent keys keep their value.
pub async fn update(state: &AppState, actor: &Actor, id: Uuid, body: serde_json::Value) -> AppResult<TemplateView> {
    actor.require(state, Permission::ManageSystem).await?;
    let existing = find(state, id).await?;
    let base = serde_json::to_value(input_of(&existing)).map_err(anyhow::Error::from)?;
    let input: TemplateInput = parse_input(merge(base, body))?;
    save(state, actor, input, Some(existing)).await
}

pub async fn delete(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<()> {
    actor.require(state, Permission::ManageSystem).await?;
    let existing = find(state, id).await?;
    let txn = state.db.begin().await?;
    template::Entity::delete_by_id(existing.id).exec(&txn).await?;
    record(&txn, actor, Entry::new("delete", "notification_template", id).hospital(None)).await?;
    txn.commit().await?;
    Ok(())
}

#[derive(Debug, Default, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewInput {
    /// `sms`, `whatsapp` or `email`.
    pub channel: Option<String>,
    /// `ar` or `en` (shown right-to-left for Arabic).
    pub language: Option<String>,
    pub subject: Option<String>,
    pub body: Option<String>,
    /// Values for the placeholders.
    pub vars: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PreviewView {
    pub subject: String,
    pub body: String,
    /// Characters of the rendered body.
    pub length: usize,
    /// SMS parts the body takes (0 for email).
    pub sms_segments: usize,
}

/// Renders a draft template with sample values; missing variables are a 400 on `vars`.
pub async fn preview(state: &AppState, actor: &Actor, input: PreviewInput) -> AppResult<PreviewView> {
    actor.require(state, Permission::ViewPatients).await?;
    let mut errors = FieldErrors::new();
    let channel = required(&mut errors, "channel", input.channel.as_deref(), 10);
    if !channel.is_empty() && !rules::CHANNELS.contains(&channel.as_str()) {
        errors.add("channel", format!("\"{channel}\" is not a valid choice."));
    }
    if let Some(l) = input.language.as_deref().filter(|l| !l.is_empty())
        && !rules::LANGUAGES.contains(&l)
    {
        errors.add("language", format!("\"{l}\" is not a valid choice."));
    }
    let body = required(&mut errors, "body", input.body.as_deref(), 4000);
    let subject = optional(&mut errors, "subject", input.subject.as_deref(), 200);
    errors.into_result()?;
    let vars = input.vars.unwrap_or_default();
    let (subject, body) =
        rules::render_pair(&subject, &body, &vars).map_err(|e| crate::error::invalid("vars", e.to_string()))?;
    let body = rules::clean_for_channel(&channel, &body);
    let subject = rules::clean_for_channel(&channel, &subject);
    Ok(PreviewView {
        length: body.chars().count(),
        sms_segments: if channel == "email" { 0 } else { rules::sms_segments(&body) },
        subject,
        body,
    })
}
