//! Creating surveys and getting them to the patient: one path for every source (a journey stage,
//! a closed complaint, staff, a kiosk, a follow-up), the channel with fallback (preferred →
//! SMS → e-mail; WhatsApp only when chosen), the contact rules of the notifications module,
//! reminders with fresh links, expiry and abandonment, and the survey's status following its
//! invitation's delivery.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use super::model::{survey_instance, survey_link, survey_template};
use super::rules;
use super::versions;
use crate::app::AppState;
use crate::auth::Actor;
use crate::auth::tokens::{hash_token, random_token};
use crate::domains::notifications::model::{message, opt_out};
use crate::domains::notifications::service::{NewMessage, queue_message_within};
use crate::domains::organizations::model::patient;
use crate::domains::organizations::service::now;
use crate::error::{AppError, AppResult};
use crate::jobs::handlers::JobError;

/// Who answers a survey that has no patient row (a complainant): their contact.
#[derive(Debug, Clone, Default)]
pub struct Contact {
    pub phone: String,
    pub email: String,
    /// `ar` or `en`.
    pub language: String,
}

/// A survey to create.
#[derive(Debug, Clone)]
pub struct NewSurvey {
    pub hospital_id: Uuid,
    pub template_id: Uuid,
    /// journey | complaint | manual | kiosk | follow_up
    pub source: &'static str,
    pub patient: Option<patient::Model>,
    pub contact: Option<Contact>,
    pub journey_instance_id: Option<Uuid>,
    pub stage_instance_id: Option<Uuid>,
    pub complaint_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub physician_id: Option<Uuid>,
    pub parent_id: Option<Uuid>,
    /// Send the invitation no earlier than this (default now).
    pub send_at: Option<DateTime<Utc>>,
    /// Send an invitation at all (kiosk surveys are opened on the spot).
    pub deliver: bool,
    pub created_by: Option<Uuid>,
}

impl NewSurvey {
    pub fn new(hospital_id: Uuid, template_id: Uuid, source: &'static str) -> Self {
        NewSurvey {
            hospital_id,
            template_id,
            source,
            patient: None,
            contact: None,
            journey_instance_id: None,
            stage_instance_id: None,
            complaint_id: None,
            department_id: None,
            physician_id: None,
            parent_id: None,
            send_at: None,
            deliver: true,
            created_by: None,
        }
    }
}

/// A created survey and its link's token (only ever in memory: the database keeps its hash).
#[derive(Debug, Clone)]
pub struct Created {
    pub survey: survey_instance::Model,
    pub token: String,
    /// Whether an invitation was queued (the caller wakes the notifications queue).
    pub queued: bool,
}

/// The public link of a token.
pub fn survey_url(state: &AppState, token: &str) -> String {
    format!("{}/s/{token}/", state.config.notifications.public_base_url.trim_end_matches('/'))
}

/// Whether the patient (or their addresses) opted out on any channel: after STOP no survey goes
/// out on any channel (no fallback).
async fn opted_out_anywhere(
    db: &impl ConnectionTrait,
    patient_id: Option<Uuid>,
    phone: &str,
    email: &str,
) -> AppResult<bool> {
    let mut who = Condition::any();
    if let Some(p) = patient_id {
        who = who.add(opt_out::Column::PatientId.eq(p));
    }
    for (channel, raw) in [("sms", phone), ("whatsapp", phone), ("email", email)] {
        if let Ok(address) = crate::domains::notifications::rules::normalize_address(channel, raw) {
            who = who.add(Condition::all().add(opt_out::Column::Address.eq(address)));
        }
    }
    if who.is_empty() {
        return Ok(false);
    }
    Ok(opt_out::Entity::find().filter(who).one(db).await?.is_some())
}

/// The outcome of trying to send an invitation or reminder.
struct Sent {
    status: &'static str,
    reason: String,
    channel: String,
    message_id: Option<Uuid>,
    queued: bool,
}

/// Queues `code` (survey_invitation or survey_reminder) with `url` on the first channel of
/// `channels` that has an address and takes it. Suppressed (opt-out, deceased, frequency cap) →
/// `suppressed` with the reason; no address on any channel → `suppressed` (no_contact).
#[allow(clippy::too_many_arguments)]
async fn send_link(
    txn: &DatabaseTransaction,
    hospital_id: Uuid,
    patient: Option<&patient::Model>,
    contact: Option<&Contact>,
    channels: &[&str],
    code: &str,
    category: &str,
    vars: BTreeMap<String, String>,
    send_at: Option<DateTime<Utc>>,
) -> AppResult<Sent> {
    let (phone, email) = match (patient, contact) {
        (Some(p), _) => (p.phone.clone(), p.email.clone()),
        (None, Some(c)) => (c.phone.clone(), c.email.clone()),
        (None, None) => (String::new(), String::new()),
    };
    if patient.is_some_and(|p| p.is_deceased) {
        return Ok(suppressed("ineligible: the patient is recorded as deceased"));
    }
    if opted_out_anywhere(txn, patient.map(|p| p.id), &phone, &email).await? {
        return Ok(suppressed("opted_out: the patient asked for no surveys"));
    }
    let language = patient.map(|p| p.preferred_language.clone()).or_else(|| contact.map(|c| c.language.clone()));
    let mut last_failure = None;
    for channel in channels {
        let address = if *channel == "email" { &email } else { &phone };
        if address.trim().is_empty() {
            continue;
        }
        let new = NewMessage {
            hospital_id: Some(hospital_id),
            patient_id: if contact.is_some() { None } else { patient.map(|p| p.id) },
            channel: (*channel).to_owned(),
            template_code: code.to_owned(),
            language: language.clone().filter(|l| l == "ar" || l == "en"),
            vars: vars.clone(),
            category: category.to_owned(),
            recipient: contact.map(|_| address.clone()),
            send_at,
            patient: patient.cloned(),
        };
        let m = match queue_message_within(txn, &Actor::system(), new).await {
            Ok(m) => m,
            // No template for this channel and language: try the next channel.
            Err(AppError::Validation(e)) => {
                tracing::warn!(target: "px360::surveys", channel, errors = ?e.0, "survey message not queued");
                last_failure = Some(format!("no {code} template for {channel}"));
                continue;
            }
            Err(e) => return Err(e),
        };
        match m.status.as_str() {
            "queued" => {
                return Ok(Sent {
                    status: "scheduled",
                    reason: String::new(),
                    channel: m.channel,
                    message_id: Some(m.id),
                    queued: true,
                });
            }
            "suppressed" => {
                let reason = if m.suppression_reason.starts_with("frequency cap") {
                    format!("throttled: {}", m.suppression_reason)
                } else {
                    m.suppression_reason.clone()
                };
                return Ok(Sent {
                    status: "suppressed",
                    reason,
                    channel: m.channel,
                    message_id: Some(m.id),
                    queued: false,
                });
            }
            // An address the channel cannot use: the next channel.
            _ => last_failure = Some(format!("no usable address for {channel}")),
        }
    }
    Ok(suppressed(&match last_failure {
        Some(why) => format!("no_contact: {why}"),
        None => "no_contact: no phone or e-mail".to_owned(),
    }))
}

fn suppressed(reason: &str) -> Sent {
    Sent {
        status: "suppressed",
        reason: reason.chars().take(200).collect(),
        channel: String::new(),
        message_id: None,
        queued: false,
    }
}

/// Message variables of a survey link.
fn link_vars(
    state_url: String,
    t: &survey_template::Model,
    expires: DateTime<Utc>,
    language: &str,
) -> BTreeMap<String, String> {
    let lang = crate::i18n::Lang::parse(language).unwrap_or(crate::i18n::Lang::Ar);
    BTreeMap::from([
        ("survey_url".to_owned(), state_url),
        ("survey_name".to_owned(), lang.pick(&t.name_en, &t.name_ar).to_owned()),
        ("expires_on".to_owned(), crate::i18n::riyadh_time(expires).chars().take(10).collect()),
    ])
}

/// Creates one survey inside the caller's transaction, with its link, and queues its invitation
/// (unless `deliver` is off). The template must belong to the survey's hospital.
pub async fn create(state: &AppState, txn: &DatabaseTransaction, new: NewSurvey) -> AppResult<Created> {
    let t = survey_template::Entity::find_by_id(new.template_id)
        .filter(survey_template::Column::HospitalId.eq(new.hospital_id))
        .filter(survey_template::Column::DeletedAt.is_null())
        .one(txn)
        .await?
        .ok_or_else(|| crate::error::invalid("survey_template_id", "No such survey template in this hospital."))?;
    let version = versions::current(txn, t.id).await?;
    let at = now();
    let send_at = new.send_at.filter(|s| *s > at).unwrap_or(at);
    let token = random_token();
    let expires = rules::expires_at(send_at, t.link_valid_days);
    let language = new
        .patient
        .as_ref()
        .map(|p| p.preferred_language.clone())
        .or_else(|| new.contact.as_ref().map(|c| c.language.clone()))
        .filter(|l| l == "ar" || l == "en")
        .unwrap_or_else(|| "ar".to_owned());
    let sent = if !t.is_active {
        suppressed("ineligible: the survey template is inactive")
    } else if version.is_none() {
        // A link to a survey with no questions would only say "unavailable": send nothing.
        suppressed("ineligible: the survey template has no published version")
    } else if !new.deliver {
        // A kiosk survey is opened on the spot: it was never sent (it does not count as sent in the
        // response rate until it is answered).
        Sent { status: "viewed", reason: String::new(), channel: "kiosk".into(), message_id: None, queued: false }
    } else {
        let preferred = new.patient.as_ref().map(|p| p.preferred_channel.as_str()).unwrap_or("sms");
        let exempt = t.throttle_exempt || new.source != "journey" && new.source != "manual";
        send_link(
            txn,
            new.hospital_id,
            new.patient.as_ref(),
            new.contact.as_ref(),
            &rules::channel_order(preferred),
            "survey_invitation",
            if exempt { "survey_exempt" } else { "survey" },
            link_vars(survey_url(state, &token), &t, expires, &language),
            Some(send_at),
        )
        .await?
    };
    let row = survey_instance::ActiveModel {
        id: Set(Uuid::now_v7()),
        hospital_id: Set(new.hospital_id),
        survey_template_id: Set(t.id),
        template_version_id: Set(version.map(|v| v.id)),
        patient_id: Set(new.patient.as_ref().map(|p| p.id)),
        journey_instance_id: Set(new.journey_instance_id),
        stage_instance_id: Set(new.stage_instance_id),
        complaint_id: Set(new.complaint_id),
        department_id: Set(new.department_id),
        physician_id: Set(new.physician_id),
        parent_id: Set(new.parent_id),
        source: Set(new.source.to_owned()),
        status: Set(sent.status.to_owned()),
        suppression_reason: Set(sent.reason),
        channel: Set(sent.channel),
        language: Set(language),
        token_hash: Set(hash_token(&token)),
        token_expires_at: Set(expires),
        scheduled_for: Set(send_at),
        message_id: Set(sent.message_id),
        sent_at: Set(None),
        opened_at: Set((sent.status == "viewed").then_some(at)),
        started_at: Set(None),
        completed_at: Set(None),
        last_activity_at: Set(None),
        reminder_count: Set(0),
        last_reminder_at: Set(None),
        total_score: Set(None),
        score_100: Set(None),
        is_negative: Set(false),
        action_id: Set(None),
        created_by: Set(new.created_by),
        created_at: Set(at),
        updated_at: Set(at),
    };
    // The unique indexes (one survey per stage, per closed complaint, one follow-up per survey)
    // turn a second creation racing the first into a 409.
    let survey = row.insert(txn).await.map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            AppError::Conflict("duplicate_survey", "This survey was already created.".into())
        }
        _ => e.into(),
    })?;
    metrics::counter!("surveys_created_total", "source" => new.source, "status" => survey.status.clone()).increment(1);
    Ok(Created { survey, token, queued: sent.queued })
}

/// Sends the complainant the hospital's resolution satisfaction survey when a complaint closes
/// (the active `complaint_resolution` template; none → nothing). Inquiries get none. Returns
/// whether an invitation was queued.
pub async fn resolution_survey(
    state: &AppState,
    txn: &DatabaseTransaction,
    c: &crate::domains::complaints::model::complaint::Model,
) -> AppResult<bool> {
    if c.complaint_type != "complaint" {
        return Ok(false);
    }
    let Some(t) = survey_template::Entity::find()
        .filter(survey_template::Column::HospitalId.eq(c.hospital_id))
        .filter(survey_template::Column::SurveyType.eq("complaint_resolution"))
        .filter(survey_template::Column::IsActive.eq(true))
        .filter(survey_template::Column::DeletedAt.is_null())
        .filter(survey_template::Column::CurrentVersion.gt(0))
        .order_by_asc(survey_template::Column::CreatedAt)
        .one(txn)
        .await?
    else {
        return Ok(false);
    };
    let mut new = NewSurvey::new(c.hospital_id, t.id, "complaint");
    new.complaint_id = Some(c.id);
    new.department_id = c.department_id;
    if c.complainant_phone.is_empty() && c.complainant_email.is_empty() {
        new.patient = match c.patient_id {
            Some(p) => patient::Entity::find_by_id(p).one(txn).await?,
            None => None,
        };
    } else {
        new.contact = Some(Contact {
            phone: c.complainant_phone.clone(),
            email: c.complainant_email.clone(),
            language: c.language.clone(),
        });
    }
    if new.patient.is_none() && new.contact.is_none() {
        return Ok(false);
    }
    Ok(create(state, txn, new).await?.queued)
}

/// The survey a link token opens (the first link or a reminder's), if any.
pub async fn by_token(db: &impl ConnectionTrait, token: &str) -> AppResult<Option<survey_instance::Model>> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let hash = hash_token(&token.to_ascii_lowercase());
    if let Some(s) =
        survey_instance::Entity::find().filter(survey_instance::Column::TokenHash.eq(&hash)).one(db).await?
    {
        return Ok(Some(s));
    }
    let Some(link) = survey_link::Entity::find_by_id(hash).one(db).await? else { return Ok(None) };
    Ok(survey_instance::Entity::find_by_id(link.survey_instance_id).one(db).await?)
}

/// A survey's invitation moved on (called by the notifications module for survey messages):
/// sent → the survey is `sent`; delivered → `delivered`; failed → the next channel with a new
/// link, or `undeliverable` when none is left.
pub async fn on_message_status(state: &AppState, msg: &message::Model, status: &str) -> AppResult<()> {
    let db = &state.db;
    if !msg.category.starts_with("survey") {
        return Ok(());
    }
    let at = now();
    match status {
        "sent" | "delivered" => {
            let from: &[&str] = if status == "sent" { &["scheduled"] } else { &["scheduled", "sent"] };
            survey_instance::Entity::update_many()
                .col_expr(survey_instance::Column::Status, Expr::value(status))
                .col_expr(survey_instance::Column::SentAt, Expr::value(Some(msg.sent_at.unwrap_or(at))))
                .col_expr(survey_instance::Column::UpdatedAt, Expr::value(at))
                .filter(survey_instance::Column::MessageId.eq(msg.id))
                .filter(survey_instance::Column::Status.is_in(from.iter().copied()))
                .exec(db)
                .await?;
        }
        "failed" | "suppressed" => {
            let Some(s) = survey_instance::Entity::find()
                .filter(survey_instance::Column::MessageId.eq(msg.id))
                .filter(survey_instance::Column::Status.is_in(["scheduled", "sent"]))
                .one(db)
                .await?
            else {
                return Ok(());
            };
            let txn = db.begin().await?;
            let queued = fall_back(state, &txn, &s, msg, status).await?;
            txn.commit().await?;
            if queued {
                state.waker.wake(crate::jobs::Queue::Notifications);
            }
        }
        _ => {}
    }
    Ok(())
}

/// Who a survey goes to: its patient, or (a resolution survey to a complainant who is not a
/// registered patient) the complaint's contact.
async fn recipient_of(
    db: &impl ConnectionTrait,
    s: &survey_instance::Model,
) -> AppResult<(Option<patient::Model>, Option<Contact>)> {
    if let Some(p) = s.patient_id {
        return Ok((patient::Entity::find_by_id(p).one(db).await?, None));
    }
    let contact = match s.complaint_id {
        Some(c) => crate::domains::complaints::model::complaint::Entity::find_by_id(c)
            .one(db)
            .await?
            .map(|c| Contact { phone: c.complainant_phone, email: c.complainant_email, language: c.language }),
        None => None,
    };
    Ok((None, contact))
}

/// The invitation on `msg.channel` failed: try the channels after it with a new link.
async fn fall_back(
    state: &AppState,
    txn: &DatabaseTransaction,
    s: &survey_instance::Model,
    msg: &message::Model,
    status: &str,
) -> AppResult<bool> {
    let at = now();
    // Claim the survey while it still waits on this message (a patient who already opened it from
    // an earlier link is not set back): provisionally final, then moved on if a channel is left.
    let claimed = survey_instance::Entity::update_many()
        .col_expr(
            survey_instance::Column::Status,
            Expr::value(if status == "failed" { "undeliverable" } else { "suppressed" }),
        )
        .col_expr(survey_instance::Column::UpdatedAt, Expr::value(at))
        .filter(survey_instance::Column::Id.eq(s.id))
        .filter(survey_instance::Column::MessageId.eq(msg.id))
        .filter(survey_instance::Column::Status.is_in(["scheduled", "sent"]))
        .exec(txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(false);
    }
    let t = survey_template::Entity::find_by_id(s.survey_template_id).one(txn).await?;
    let (patient, contact) = recipient_of(txn, s).await?;
    let preferred = patient.as_ref().map(|p| p.preferred_channel.as_str()).unwrap_or("sms");
    let order = rules::channel_order(preferred);
    let rest: Vec<&str> = order.iter().skip_while(|c| **c != msg.channel).skip(1).copied().collect();
    // The provider's own words (which may quote the address) stay on the message row.
    let why = if status == "failed" {
        format!("undeliverable: {} refused the message", msg.channel)
    } else {
        msg.suppression_reason.clone()
    };
    let sent = match (&t, rest.is_empty() || status == "suppressed") {
        (Some(t), false) => {
            let token = random_token();
            let vars = link_vars(survey_url(state, &token), t, s.token_expires_at, &s.language);
            let sent = send_link(
                txn,
                s.hospital_id,
                patient.as_ref(),
                contact.as_ref(),
                &rest,
                "survey_invitation",
                &msg.category,
                vars,
                None,
            )
            .await?;
            if sent.queued {
                survey_link::ActiveModel {
                    token_hash: Set(hash_token(&token)),
                    survey_instance_id: Set(s.id),
                    message_id: Set(sent.message_id),
                    created_at: Set(at),
                }
                .insert(txn)
                .await?;
            }
            Some(sent)
        }
        _ => None,
    };
    let update = survey_instance::Entity::update_many()
        .col_expr(survey_instance::Column::SuppressionReason, Expr::value(why.chars().take(200).collect::<String>()))
        .col_expr(survey_instance::Column::UpdatedAt, Expr::value(at))
        .filter(survey_instance::Column::Id.eq(s.id));
    match sent {
        Some(sent) if sent.queued => {
            update
                .col_expr(survey_instance::Column::Channel, Expr::value(sent.channel))
                .col_expr(survey_instance::Column::MessageId, Expr::value(sent.message_id))
                .col_expr(survey_instance::Column::Status, Expr::value("scheduled"))
                .exec(txn)
                .await?;
            Ok(true)
        }
        _ => {
            update.exec(txn).await?;
            Ok(false)
        }
    }
}

/// Whether a survey message (invitation or reminder) should still go out: not when its survey was
/// answered, cancelled, expired or its link ran out meanwhile. Messages of no survey (sent by hand
/// through the notifications API) always go.
pub async fn still_wanted(db: &impl ConnectionTrait, msg: &message::Model, at: DateTime<Utc>) -> AppResult<bool> {
    if !msg.category.starts_with("survey") {
        return Ok(true);
    }
    let own = survey_instance::Entity::find().filter(survey_instance::Column::MessageId.eq(msg.id)).one(db).await?;
    let survey = match own {
        Some(s) => Some(s),
        None => match survey_link::Entity::find().filter(survey_link::Column::MessageId.eq(msg.id)).one(db).await? {
            Some(link) => survey_instance::Entity::find_by_id(link.survey_instance_id).one(db).await?,
            None => None,
        },
    };
    Ok(survey
        .is_none_or(|s| (rules::OPEN.contains(&s.status.as_str()) || s.status == "pending") && s.token_expires_at > at))
}

/// Cancels a survey that is not final yet. Returns whether it did.
pub async fn cancel(db: &impl ConnectionTrait, id: Uuid) -> AppResult<bool> {
    let at = now();
    let done = survey_instance::Entity::update_many()
        .col_expr(survey_instance::Column::Status, Expr::value("cancelled"))
        .col_expr(survey_instance::Column::UpdatedAt, Expr::value(at))
        .filter(survey_instance::Column::Id.eq(id))
        .filter(survey_instance::Column::Status.is_in(rules::OPEN.iter().copied().chain(["pending"])))
        .exec(db)
        .await?;
    if done.rows_affected == 1 {
        // An invitation not sent yet stays unsent.
        if let Some(s) = survey_instance::Entity::find_by_id(id).one(db).await?
            && let Some(m) = s.message_id
        {
            message::Entity::update_many()
                .col_expr(message::Column::Status, Expr::value("suppressed"))
                .col_expr(message::Column::SuppressionReason, Expr::value("survey cancelled"))
                .col_expr(message::Column::UpdatedAt, Expr::value(at))
                .filter(message::Column::Id.eq(m))
                .filter(message::Column::Status.is_in(["queued", "held"]))
                .exec(db)
                .await?;
        }
    }
    Ok(done.rows_affected == 1)
}

/// What a reminder or expiry run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunCounts {
    pub reminded: u64,
    pub expired: u64,
    pub abandoned: u64,
}

/// Sends the reminders due at `at`: open, unexpired surveys that were sent, under the template's
/// maximum, spaced by its interval; each carries a new link. The notifications module applies
/// opt-outs and quiet hours.
pub async fn send_reminders(state: &AppState, at: DateTime<Utc>) -> Result<RunCounts, JobError> {
    let candidates = survey_instance::Entity::find()
        .filter(survey_instance::Column::Status.is_in(["sent", "delivered", "viewed", "in_progress", "abandoned"]))
        .filter(survey_instance::Column::TokenExpiresAt.gt(at))
        .filter(survey_instance::Column::SentAt.is_not_null())
        .filter(survey_instance::Column::Source.ne("kiosk"))
        .filter(Expr::cust(
            "survey_instances.reminder_count < (SELECT t.reminder_max FROM survey_templates t \
             WHERE t.id = survey_instances.survey_template_id)",
        ))
        .order_by_asc(Expr::cust("COALESCE(survey_instances.last_reminder_at, survey_instances.sent_at)"))
        .limit(5000)
        .all(&state.db)
        .await?;
    let mut templates: BTreeMap<Uuid, Option<survey_template::Model>> = BTreeMap::new();
    let mut counts = RunCounts::default();
    for s in candidates {
        if let std::collections::btree_map::Entry::Vacant(e) = templates.entry(s.survey_template_id) {
            e.insert(survey_template::Entity::find_by_id(s.survey_template_id).one(&state.db).await?);
        }
        let Some(Some(t)) = templates.get(&s.survey_template_id) else { continue };
        let Some(sent_at) = s.sent_at else { continue };
        let due = rules::next_reminder_at(
            sent_at,
            s.reminder_count,
            s.last_reminder_at,
            t.reminder_interval_hours,
            t.reminder_max,
            s.token_expires_at,
        );
        if due.is_none_or(|d| d > at) {
            continue;
        }
        match remind(state, &s, t, at).await {
            Ok(true) => counts.reminded += 1,
            Ok(false) => {}
            Err(e) => tracing::error!(target: "px360::surveys", survey = %s.id, error = %e, "reminder failed"),
        }
    }
    if counts.reminded > 0 {
        state.waker.wake(crate::jobs::Queue::Notifications);
    }
    Ok(counts)
}

async fn remind(
    state: &AppState,
    s: &survey_instance::Model,
    t: &survey_template::Model,
    at: DateTime<Utc>,
) -> AppResult<bool> {
    let _turn = state.write_turn().await;
    let txn = state.db.begin().await?;
    // Claim the reminder first, so two runs never send the same one.
    let claimed = survey_instance::Entity::update_many()
        .col_expr(survey_instance::Column::ReminderCount, Expr::value(s.reminder_count + 1))
        .col_expr(survey_instance::Column::LastReminderAt, Expr::value(Some(at)))
        .col_expr(survey_instance::Column::UpdatedAt, Expr::value(at))
        .filter(survey_instance::Column::Id.eq(s.id))
        .filter(survey_instance::Column::ReminderCount.eq(s.reminder_count))
        .filter(survey_instance::Column::Status.is_in(["sent", "delivered", "viewed", "in_progress", "abandoned"]))
        .filter(survey_instance::Column::TokenExpiresAt.gt(at))
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(false);
    }
    let (patient, contact) = recipient_of(&txn, s).await?;
    let token = random_token();
    let vars = link_vars(survey_url(state, &token), t, s.token_expires_at, &s.language);
    let channels: Vec<&str> = if s.channel.is_empty() { vec!["sms", "email"] } else { vec![s.channel.as_str()] };
    let sent = send_link(
        &txn,
        s.hospital_id,
        patient.as_ref(),
        contact.as_ref(),
        &channels,
        "survey_reminder",
        "survey_exempt",
        vars,
        None,
    )
    .await?;
    if sent.queued {
        survey_link::ActiveModel {
            token_hash: Set(hash_token(&token)),
            survey_instance_id: Set(s.id),
            message_id: Set(sent.message_id),
            created_at: Set(at),
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(sent.queued)
}

/// Expires open surveys whose link ran out and marks idle in-progress ones abandoned.
pub async fn expire(state: &AppState, at: DateTime<Utc>) -> Result<RunCounts, JobError> {
    let _turn = state.write_turn().await;
    let expired = survey_instance::Entity::update_many()
        .col_expr(survey_instance::Column::Status, Expr::value("expired"))
        .col_expr(survey_instance::Column::UpdatedAt, Expr::value(at))
        .filter(survey_instance::Column::Status.is_in(rules::OPEN))
        .filter(survey_instance::Column::TokenExpiresAt.lte(at))
        .exec(&state.db)
        .await?;
    let idle_since = at - chrono::Duration::hours(rules::ABANDON_AFTER_HOURS);
    let abandoned = survey_instance::Entity::update_many()
        .col_expr(survey_instance::Column::Status, Expr::value("abandoned"))
        .col_expr(survey_instance::Column::UpdatedAt, Expr::value(at))
        .filter(survey_instance::Column::Status.eq("in_progress"))
        .filter(survey_instance::Column::LastActivityAt.lte(idle_since))
        .exec(&state.db)
        .await?;
    Ok(RunCounts { reminded: 0, expired: expired.rows_affected, abandoned: abandoned.rows_affected })
}
