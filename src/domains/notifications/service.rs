//! Queueing and delivering messages, the contact rules, opt-outs and delivery reports.
//!
//! `queue_message` writes one row per send — `queued` (with its `send_notification` job, in the
//! same transaction), or `failed`/`suppressed` with the reason — so nothing is dropped silently.
//! `deliver` (the job) is idempotent: it claims the row by moving it from `queued`/`held` to
//! `sending` in one conditional UPDATE, so a duplicate job never calls the provider twice.
//!
//! Retries: a transient provider failure puts the message back to `queued` and asks the job to
//! retry. The message counts its own provider calls (`attempts`); the call that reaches
//! [`MAX_ATTEMPTS`] (the job's own maximum) marks the message `failed` and ends the job as a
//! permanent failure, so message and job give up together.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use super::model::{message, opt_out, template};
use super::providers::{self, OutgoingMessage, Provider, SendError};
use super::rules;
use crate::app::AppState;
use crate::auth::{Actor, Permission};
use crate::domains::audit::service::{Entry, record};
use crate::domains::organizations::model::{hospital, patient};
use crate::domains::organizations::service::now;
use crate::error::{AppResult, invalid};
use crate::i18n::Lang;
use crate::jobs::handlers::JobError;
use crate::jobs::{Enqueue, Job, Queue};

/// Provider calls per message before it is marked failed (the job's own maximum).
pub const MAX_ATTEMPTS: i32 = 5;
/// How long a message may stay `sending` before it counts as abandoned by an attempt that died:
/// the job lease (after which the queue itself gives the job to another worker), capped at 90 s
/// (attempts time out at 60 s) and at least 5 s.
fn sending_stale(state: &AppState) -> Duration {
    Duration::seconds(state.config.job_lease_seconds.clamp(5, 90))
}

/// A message to queue.
#[derive(Debug, Clone, Default)]
pub struct NewMessage {
    /// The hospital when there is no patient (else the patient's).
    pub hospital_id: Option<Uuid>,
    pub patient_id: Option<Uuid>,
    /// `sms`, `whatsapp` or `email`.
    pub channel: String,
    pub template_code: String,
    /// `ar` or `en`; default: the patient's preferred language, else the hospital's.
    pub language: Option<String>,
    /// Template values; `patient_name` and `hospital_name` are filled in when not given.
    pub vars: BTreeMap<String, String>,
    /// `general` (default) or `survey`.
    pub category: String,
    /// An explicit address instead of the patient's.
    pub recipient: Option<String>,
    /// Send no earlier than this (default: now).
    pub send_at: Option<DateTime<Utc>>,
    /// The patient's row when the caller already read it (saves a lookup); must be `patient_id`'s.
    pub patient: Option<patient::Model>,
}

fn count(channel: &str, status: &str) {
    metrics::counter!("notifications_total", "channel" => channel.to_owned(), "status" => status.to_owned())
        .increment(1);
}

fn localized(lang: &str, en: &str, ar: &str) -> String {
    Lang::parse(lang).unwrap_or(Lang::Ar).pick(en, ar).trim().to_owned()
}

pub fn patient_name(p: &patient::Model, lang: &str) -> String {
    let en = format!("{} {}", p.first_name_en, p.last_name_en);
    let ar = format!("{} {}", p.first_name_ar, p.last_name_ar);
    localized(lang, en.trim(), ar.trim())
}

/// The template for (code, channel, language), active ones only.
pub async fn find_template(
    db: &impl ConnectionTrait,
    code: &str,
    channel: &str,
    language: &str,
) -> AppResult<Option<template::Model>> {
    Ok(template::Entity::find()
        .filter(template::Column::Code.eq(code))
        .filter(template::Column::Channel.eq(channel))
        .filter(template::Column::Language.eq(language))
        .filter(template::Column::IsActive.eq(true))
        .one(db)
        .await?)
}

/// When the last survey to this patient (or address) went out, and whether one is waiting.
async fn last_survey(
    db: &impl ConnectionTrait,
    patient_id: Option<Uuid>,
    channel: &str,
    address: &str,
) -> AppResult<(Option<DateTime<Utc>>, bool)> {
    let who = match patient_id {
        Some(p) => Condition::all().add(message::Column::PatientId.eq(p)),
        None => Condition::all().add(message::Column::Channel.eq(channel)).add(message::Column::Recipient.eq(address)),
    };
    let sent = message::Entity::find()
        .filter(who.clone())
        .filter(message::Column::Category.eq("survey"))
        .filter(message::Column::Status.is_in(["sent", "delivered"]))
        .order_by_desc(message::Column::SentAt)
        .one(db)
        .await?;
    let waiting = message::Entity::find()
        .filter(who)
        .filter(message::Column::Category.eq("survey"))
        .filter(message::Column::Status.is_in(["queued", "held", "sending"]))
        .one(db)
        .await?;
    Ok((sent.and_then(|m| m.sent_at.or(Some(m.created_at))), waiting.is_some()))
}

/// The opt-out of `address` on `channel`, if any.
pub async fn opted_out(
    db: &impl ConnectionTrait,
    channel: &str,
    address: &str,
) -> Result<Option<opt_out::Model>, sea_orm::DbErr> {
    opt_out::Entity::find()
        .filter(opt_out::Column::Channel.eq(channel))
        .filter(opt_out::Column::Address.eq(address))
        .one(db)
        .await
}

/// Queues one message, checking the contact rules first. Returns the row: `queued`, or `failed`
/// / `suppressed` with the reason. An unknown template or missing variables are a 400 and write
/// nothing (the caller's mistake, not the patient's).
pub async fn queue_message(state: &AppState, actor: &Actor, new: NewMessage) -> AppResult<message::Model> {
    actor.require(state, Permission::ManagePatients).await?;
    let saved = queue_message_in(&state.db, actor, new).await?;
    if saved.status == "queued" {
        state.waker.wake(Queue::Notifications);
    }
    Ok(saved)
}

/// [`queue_message`] inside the caller's transaction `db` (no permission check: the caller made
/// it). The caller wakes the notifications queue after committing when the row is `queued`.
/// Messages the system sends (no user) are not audited one by one: their rows are the record.
pub async fn queue_message_in<C>(db: &C, actor: &Actor, new: NewMessage) -> AppResult<message::Model>
where
    C: sea_orm::ConnectionTrait + sea_orm::TransactionTrait,
{
    queue_inner(db, actor, new, true).await
}

/// [`queue_message_in`] for a caller already inside a transaction (`txn`): no savepoint, the
/// message and its job commit or roll back with the caller's work.
pub async fn queue_message_within(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    new: NewMessage,
) -> AppResult<message::Model> {
    queue_inner(txn, actor, new, false).await
}

async fn queue_inner<C>(db: &C, actor: &Actor, new: NewMessage, own_txn: bool) -> AppResult<message::Model>
where
    C: sea_orm::ConnectionTrait + sea_orm::TransactionTrait,
{
    let mut errors = crate::error::FieldErrors::new();
    let channel = new.channel.trim().to_owned();
    if !rules::CHANNELS.contains(&channel.as_str()) {
        errors.add("channel", format!("\"{channel}\" is not a valid choice."));
    }
    let category = if new.category.trim().is_empty() { "general".to_owned() } else { new.category.trim().to_owned() };
    if !rules::CATEGORIES.contains(&category.as_str()) {
        errors.add("category", format!("\"{category}\" is not a valid choice."));
    }
    let language = new.language.as_deref().map(str::trim).filter(|l| !l.is_empty());
    if let Some(l) = language
        && !rules::LANGUAGES.contains(&l)
    {
        errors.add("language", format!("\"{l}\" is not a valid choice."));
    }
    let explicit = new.recipient.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned);
    if new.patient_id.is_none() && explicit.is_none() {
        errors.add("patient_id", "Give a patient or a recipient.");
    }
    if new.template_code.trim().is_empty() {
        errors.add("template_code", "This field is required.");
    }
    errors.into_result()?;

    let patient = match new.patient_id {
        Some(id) if new.patient.as_ref().is_some_and(|p| p.id == id && actor.sees_hospital(p.hospital_id)) => {
            new.patient.clone()
        }
        Some(id) => {
            let select = patient::Entity::find_by_id(id).filter(patient::Column::DeletedAt.is_null());
            Some(
                actor
                    .scoped(select, patient::Column::HospitalId)
                    .one(db)
                    .await?
                    .ok_or_else(|| invalid("patient_id", "Invalid pk - object does not exist."))?,
            )
        }
        None => None,
    };
    let hospital_id = match &patient {
        Some(p) => p.hospital_id,
        None => crate::domains::organizations::service::hospital_for_write(db, actor, new.hospital_id).await?,
    };
    let hospital = crate::domains::organizations::service::hospital_cached(db, hospital_id)
        .await?
        .ok_or_else(|| invalid("hospital_id", "Invalid pk - object does not exist."))?;
    let language = language
        .map(str::to_owned)
        .or_else(|| {
            patient.as_ref().map(|p| p.preferred_language.clone()).filter(|l| rules::LANGUAGES.contains(&l.as_str()))
        })
        .unwrap_or_else(|| {
            if rules::LANGUAGES.contains(&hospital.default_language.as_str()) {
                hospital.default_language.clone()
            } else {
                "ar".to_owned()
            }
        });
    let code = new.template_code.trim();
    let Some(tpl) = find_template(db, code, &channel, &language).await? else {
        return Err(invalid(
            "template_code",
            format!("There is no active template \"{code}\" for {channel} in language \"{language}\"."),
        ));
    };
    let mut vars = BTreeMap::new();
    vars.insert("hospital_name".to_owned(), localized(&language, &hospital.name_en, &hospital.name_ar));
    if let Some(p) = &patient {
        vars.insert("patient_name".to_owned(), patient_name(p, &language));
    }
    vars.extend(new.vars.into_iter().map(|(k, v)| (k, v.trim().to_owned())));
    let (subject, body) =
        rules::render_pair(&tpl.subject, &tpl.body, &vars).map_err(|e| invalid("vars", e.to_string()))?;
    let subject: String =
        rules::clean_for_channel(&channel, &subject).replace(['\n', '\r'], " ").chars().take(200).collect();
    let body = rules::clean_for_channel(&channel, &body);

    // The contact rules, in order; the first that applies decides.
    let raw = explicit.clone().unwrap_or_else(|| match (&patient, channel.as_str()) {
        (Some(p), "email") => p.email.clone(),
        (Some(p), _) => p.phone.clone(),
        (None, _) => String::new(),
    });
    let at = now();
    let (recipient, status, reason, error) = match rules::normalize_address(&channel, &raw) {
        Err(why) => (raw.chars().take(254).collect(), "failed", String::new(), why),
        Ok(address) => {
            let suppressed = if patient.as_ref().is_some_and(|p| p.is_deceased) {
                Some("the patient is recorded as deceased".to_owned())
            } else if opted_out(db, &channel, &address).await?.is_some() {
                Some(format!("opted out of {channel}"))
            } else if category == "survey" {
                let (last, waiting) = last_survey(db, patient.as_ref().map(|p| p.id), &channel, &address).await?;
                if waiting && hospital.survey_throttle_days > 0 {
                    Some("frequency cap: another survey to this patient is waiting to be sent".to_owned())
                } else {
                    rules::frequency_cap(last, at, hospital.survey_throttle_days)
                }
            } else {
                None
            };
            match suppressed {
                Some(why) => (address, "suppressed", why, String::new()),
                None => (address, "queued", String::new(), String::new()),
            }
        }
    };

    let id = Uuid::now_v7();
    let row = message::ActiveModel {
        id: Set(id),
        hospital_id: Set(Some(hospital_id)),
        patient_id: Set(patient.as_ref().map(|p| p.id)),
        channel: Set(channel.clone()),
        recipient: Set(recipient),
        template_code: Set(tpl.code.clone()),
        language: Set(language),
        subject: Set(subject),
        body: Set(body),
        status: Set(status.to_owned()),
        suppression_reason: Set(reason.chars().take(200).collect()),
        provider: Set(String::new()),
        provider_message_id: Set(None),
        attempts: Set(0),
        error: Set(error),
        category: Set(category),
        scheduled_for: Set(new.send_at.filter(|t| *t > at).unwrap_or(at)),
        sent_at: Set(None),
        delivered_at: Set(None),
        created_by: Set(actor.user_id),
        created_at: Set(at),
        updated_at: Set(at),
    };
    let saved = if own_txn {
        let txn = db.begin().await?;
        let saved = store(&txn, actor, row).await?;
        txn.commit().await?;
        saved
    } else {
        store(db, actor, row).await?
    };
    count(&channel, status);
    Ok(saved)
}

/// Inserts the message, its delivery job when queued, and the audit entry when a user sent it.
async fn store<C>(db: &C, actor: &Actor, row: message::ActiveModel) -> AppResult<message::Model>
where
    C: sea_orm::ConnectionTrait + sea_orm::TransactionTrait,
{
    let saved = row.insert(db).await?;
    let id = saved.id;
    if saved.status == "queued" {
        crate::jobs::queue::enqueue(
            db,
            &Job::SendNotification { message_id: id },
            Enqueue {
                run_at: (saved.scheduled_for > saved.created_at).then_some(saved.scheduled_for),
                dedupe_key: Some(format!("notify:{id}")),
            },
        )
        .await?;
    }
    if actor.user_id.is_some() {
        let details = serde_json::json!({"channel": saved.channel, "template_code": saved.template_code, "status": saved.status, "category": saved.category});
        record(db, actor, Entry::new("send", "message", id).hospital(saved.hospital_id).details(details)).await?;
    }
    Ok(saved)
}

/// Sends message `id` through its channel's provider (the `send_notification` job). Safe to run
/// twice: only the attempt that moves the row to `sending` calls the provider.
pub async fn deliver(state: &AppState, id: Uuid) -> Result<(), JobError> {
    let db = &state.db;
    let Some(msg) = message::Entity::find_by_id(id).one(db).await? else {
        return Err(JobError::Permanent(format!("message {id} does not exist")));
    };
    let at = now();
    let stale = sending_stale(state);
    match msg.status.as_str() {
        "queued" | "held" => {}
        "sending" if msg.updated_at > at - stale => {
            // Another attempt holds it; come back later to see how it ended.
            return Err(JobError::Retry(format!("message {id} is being sent by another attempt")));
        }
        "sending" => {} // its attempt died: take it over
        _ => return Ok(()),
    }

    // An opt-out that arrived after the message was queued (or while it was held) still counts.
    if msg.status != "sending" && opted_out(db, &msg.channel, &msg.recipient).await?.is_some() {
        // SQLite: every write of the worker takes the write turn, or a page's write transaction
        // that read first fails with "database is locked" (a stale snapshot).
        let _turn = state.write_turn().await;
        let done = message::Entity::update_many()
            .col_expr(message::Column::Status, Expr::value("suppressed"))
            .col_expr(message::Column::SuppressionReason, Expr::value(format!("opted out of {}", msg.channel)))
            .col_expr(message::Column::UpdatedAt, Expr::value(at))
            .filter(message::Column::Id.eq(id))
            .filter(message::Column::Status.is_in(["queued", "held"]))
            .exec(db)
            .await?;
        if done.rows_affected == 1 {
            count(&msg.channel, "suppressed");
            let mut gone = msg.clone();
            gone.suppression_reason = format!("opted_out: opted out of {}", msg.channel);
            crate::domains::surveys::delivery::on_message_status(state, &gone, "suppressed").await?;
        }
        return Ok(());
    }

    // A survey answered, cancelled or expired since its message was queued: the message is moot.
    if msg.status != "sending" && !crate::domains::surveys::delivery::still_wanted(db, &msg, at).await? {
        let _turn = state.write_turn().await;
        let done = message::Entity::update_many()
            .col_expr(message::Column::Status, Expr::value("suppressed"))
            .col_expr(message::Column::SuppressionReason, Expr::value("the survey is closed"))
            .col_expr(message::Column::UpdatedAt, Expr::value(at))
            .filter(message::Column::Id.eq(id))
            .filter(message::Column::Status.is_in(["queued", "held"]))
            .exec(db)
            .await?;
        if done.rows_affected == 1 {
            count(&msg.channel, "suppressed");
        }
        return Ok(());
    }

    // Quiet hours (patients' messages; staff alerts are exempt): hold the message and come back
    // when the window ends.
    let to_patient = msg.patient_id.is_some() || msg.category.starts_with("survey");
    if msg.status != "sending"
        && to_patient
        && let Some(hid) = msg.hospital_id
        && let Some(h) = hospital::Entity::find_by_id(hid).one(db).await?
        && let Some(release) = rules::quiet_hours_release(at, h.quiet_hours_start, h.quiet_hours_end)
    {
        let _turn = state.write_turn().await;
        let txn = db.begin().await?;
        let held = message::Entity::update_many()
            .col_expr(message::Column::Status, Expr::value("held"))
            .col_expr(message::Column::ScheduledFor, Expr::value(release))
            .col_expr(message::Column::UpdatedAt, Expr::value(at))
            .filter(message::Column::Id.eq(id))
            .filter(message::Column::Status.is_in(["queued", "held"]))
            .exec(&txn)
            .await?;
        if held.rows_affected == 1 {
            crate::jobs::queue::enqueue(
                &txn,
                &Job::SendNotification { message_id: id },
                Enqueue { run_at: Some(release), dedupe_key: Some(format!("notify:{id}:{}", release.timestamp())) },
            )
            .await?;
        }
        txn.commit().await?;
        if held.rows_affected == 1 && msg.status != "held" {
            count(&msg.channel, "held");
            tracing::info!(message = %id, until = %release, "message held for quiet hours");
        }
        return Ok(());
    }

    // Claim: one conditional UPDATE, so concurrent deliveries of the same message cannot both win.
    let claimable = Condition::any().add(message::Column::Status.is_in(["queued", "held"])).add(
        Condition::all().add(message::Column::Status.eq("sending")).add(message::Column::UpdatedAt.lte(at - stale)),
    );
    // SQLite: take the write turn instead of sleeping in SQLite's busy handler.
    let turn = state.write_turn().await;
    let claimed = message::Entity::update_many()
        .col_expr(message::Column::Status, Expr::value("sending"))
        .col_expr(message::Column::Attempts, Expr::col(message::Column::Attempts).add(1))
        .col_expr(message::Column::UpdatedAt, Expr::value(at))
        .filter(message::Column::Id.eq(id))
        .filter(claimable)
        .exec(db)
        .await?;
    drop(turn);
    if claimed.rows_affected != 1 {
        return Ok(()); // someone else took it between our read and our update
    }
    let attempts = msg.attempts + 1;
    let provider = providers::for_channel(&state.config.notifications, &msg.channel);
    let outgoing = OutgoingMessage {
        id,
        channel: msg.channel.clone(),
        recipient: msg.recipient.clone(),
        subject: msg.subject.clone(),
        body: msg.body.clone(),
    };
    let started = std::time::Instant::now();
    let result = provider.send(&outgoing).await;
    metrics::histogram!("notification_send_seconds", "provider" => provider.name())
        .record(started.elapsed().as_secs_f64());
    let done = now();
    let _turn = state.write_turn().await;
    let update = message::Entity::update_many()
        .col_expr(message::Column::Provider, Expr::value(provider.name()))
        .col_expr(message::Column::UpdatedAt, Expr::value(done))
        .filter(message::Column::Id.eq(id))
        .filter(message::Column::Status.eq("sending"));
    match result {
        Ok(sent) => {
            update
                .col_expr(message::Column::Status, Expr::value("sent"))
                .col_expr(message::Column::ProviderMessageId, Expr::value(Some(sent.provider_message_id)))
                .col_expr(message::Column::SentAt, Expr::value(Some(done)))
                .col_expr(message::Column::Error, Expr::value(""))
                .exec(db)
                .await?;
            count(&msg.channel, "sent");
            let mut sent = msg.clone();
            sent.sent_at = Some(done);
            crate::domains::surveys::delivery::on_message_status(state, &sent, "sent").await?;
            Ok(())
        }
        Err(SendError::Permanent(why)) => {
            update
                .col_expr(message::Column::Status, Expr::value("failed"))
                .col_expr(message::Column::Error, Expr::value(why.clone()))
                .exec(db)
                .await?;
            count(&msg.channel, "failed");
            tracing::warn!(message = %id, provider = provider.name(), error = %why, "message refused by the provider");
            let mut failed = msg.clone();
            failed.error = why;
            crate::domains::surveys::delivery::on_message_status(state, &failed, "failed").await?;
            Ok(())
        }
        Err(SendError::Transient(why)) if attempts >= MAX_ATTEMPTS => {
            let why = format!("gave up after {attempts} attempts: {why}");
            update
                .col_expr(message::Column::Status, Expr::value("failed"))
                .col_expr(message::Column::Error, Expr::value(why.clone()))
                .exec(db)
                .await?;
            count(&msg.channel, "failed");
            let mut failed = msg.clone();
            failed.error = why.clone();
            crate::domains::surveys::delivery::on_message_status(state, &failed, "failed").await?;
            Err(JobError::Permanent(why))
        }
        Err(SendError::Transient(why)) => {
            update
                .col_expr(message::Column::Status, Expr::value("queued"))
                .col_expr(message::Column::Error, Expr::value(why.clone()))
                .exec(db)
                .await?;
            Err(JobError::Retry(why))
        }
    }
}

/// A delivery report from a provider, already mapped to `sent`, `delivered` or `failed`.
/// Returns `false` when no message has that provider id. A report never moves a message
/// backwards (a late `sent` after `delivered` is ignored).
pub async fn apply_status(
    state: &AppState,
    provider: &str,
    provider_message_id: &str,
    status: &str,
    error: &str,
) -> AppResult<bool> {
    let db = &state.db;
    let Some(msg) = message::Entity::find()
        .filter(message::Column::Provider.eq(provider))
        .filter(message::Column::ProviderMessageId.eq(provider_message_id))
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    let rank = |s: &str| match s {
        "sending" => 1,
        "sent" => 2,
        "delivered" | "failed" => 3,
        _ => 0,
    };
    if rank(status) <= rank(&msg.status) {
        return Ok(true);
    }
    let at = now();
    let _turn = state.write_turn().await;
    let mut row: message::ActiveModel = msg.clone().into();
    row.status = Set(status.to_owned());
    row.updated_at = Set(at);
    match status {
        "delivered" => row.delivered_at = Set(Some(at)),
        "failed" => row.error = Set(error.chars().take(2000).collect()),
        _ => {}
    }
    if msg.sent_at.is_none() {
        row.sent_at = Set(Some(at));
    }
    row.update(db).await?;
    count(&msg.channel, status);
    crate::domains::surveys::delivery::on_message_status(state, &msg, status).await?;
    Ok(true)
}

/// Opts `address` out of `channel` (an inbound STOP, or a staff action). Idempotent: returns the
/// existing opt-out when there is one.
pub async fn add_opt_out<C>(
    db: &C,
    actor: &Actor,
    channel: &str,
    address: &str,
    patient_id: Option<Uuid>,
    reason: &str,
) -> AppResult<opt_out::Model>
where
    C: ConnectionTrait + TransactionTrait,
{
    let patient = match patient_id {
        Some(id) => patient::Entity::find_by_id(id).one(db).await?,
        None => {
            let column = if channel == "email" { patient::Column::Email } else { patient::Column::Phone };
            patient::Entity::find()
                .filter(column.eq(address))
                .filter(patient::Column::DeletedAt.is_null())
                .one(db)
                .await?
        }
    };
    let txn = db.begin().await?;
    let id = Uuid::now_v7();
    let inserted = opt_out::Entity::insert(opt_out::ActiveModel {
        id: Set(id),
        channel: Set(channel.to_owned()),
        address: Set(address.to_owned()),
        patient_id: Set(patient.as_ref().map(|p| p.id)),
        reason: Set(reason.chars().take(200).collect()),
        created_at: Set(now()),
    })
    .on_conflict(OnConflict::new().do_nothing().to_owned())
    .exec_without_returning(&txn)
    .await?;
    if inserted == 1 {
        let entry = Entry::new("opt_out", "contact_opt_out", id)
            .hospital(patient.as_ref().map(|p| p.hospital_id))
            .details(serde_json::json!({"channel": channel, "reason": reason}));
        record(&txn, actor, entry).await?;
    }
    txn.commit().await?;
    opted_out(db, channel, address).await?.ok_or_else(|| anyhow::anyhow!("opt-out vanished").into())
}

/// An inbound message from `from` on `channel`: a STOP word opts the sender out at once.
/// Returns whether it did.
pub async fn inbound(state: &AppState, channel: &str, from: &str, text: &str) -> AppResult<bool> {
    if !rules::is_stop(text) {
        return Ok(false);
    }
    let Ok(address) = rules::normalize_address(channel, from) else {
        tracing::warn!(channel, "STOP from an unreadable address ignored");
        return Ok(false);
    };
    let reason = format!("inbound \"{}\"", text.trim().chars().take(20).collect::<String>());
    add_opt_out(&state.db, &Actor::system(), channel, &address, None, &reason).await?;
    metrics::counter!("notification_opt_outs_total", "channel" => channel.to_owned()).increment(1);
    tracing::info!(channel, "opt-out received");
    Ok(true)
}

/// The newest messages of one patient (for the patient's page).
pub async fn patient_messages(
    db: &impl ConnectionTrait,
    patient_id: Uuid,
    limit: u64,
) -> AppResult<Vec<message::Model>> {
    Ok(message::Entity::find()
        .filter(message::Column::PatientId.eq(patient_id))
        .order_by_desc(message::Column::CreatedAt)
        .limit(limit)
        .all(db)
        .await?)
}
