//! What complaints, explanations and PX Actions send, through the notifications module: the
//! default templates (seeded for sms, whatsapp and email in both languages), and queueing inside
//! the caller's transaction. A missing template or contact never blocks the change that sends it:
//! it is logged and skipped.

use std::collections::BTreeMap;

use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use super::model::complaint;
use crate::auth::Actor;
use crate::config::Config;
use crate::domains::accounts::model::user;
use crate::domains::notifications::service::{NewMessage, queue_message_within};
use crate::error::{AppError, AppResult};

/// (code, language, e-mail subject, body).
pub const TEMPLATES: &[(&str, &str, &str, &str)] = &[
    (
        "complaint_acknowledgement",
        "en",
        "We received your complaint {{reference}}",
        "{{hospital_name}}: we received your complaint. Reference {{reference}}. Follow it here: {{tracking_url}}",
    ),
    (
        "complaint_acknowledgement",
        "ar",
        "استلمنا شكواك {{reference}}",
        "{{hospital_name}}: استلمنا شكواك. الرقم المرجعي {{reference}}. تابعها هنا: {{tracking_url}}",
    ),
    (
        "complaint_assigned",
        "en",
        "Complaint {{reference}} is assigned to you",
        "Complaint {{reference}} ({{title}}) is assigned to you. Due {{due_at}}. {{url}}",
    ),
    (
        "complaint_assigned",
        "ar",
        "أسندت إليك الشكوى {{reference}}",
        "أسندت إليك الشكوى {{reference}} ({{title}}). موعد الإنجاز {{due_at}}. {{url}}",
    ),
    (
        "complaint_sla_reminder_1",
        "en",
        "Reminder: complaint {{reference}} is due {{due_at}}",
        "Reminder: complaint {{reference}} ({{title}}) is due {{due_at}}. {{url}}",
    ),
    (
        "complaint_sla_reminder_1",
        "ar",
        "تذكير: الشكوى {{reference}} مستحقة في {{due_at}}",
        "تذكير: الشكوى {{reference}} ({{title}}) مستحقة في {{due_at}}. {{url}}",
    ),
    (
        "complaint_sla_reminder_2",
        "en",
        "Second reminder: complaint {{reference}} is due {{due_at}}",
        "Second reminder: complaint {{reference}} ({{title}}) is due {{due_at}}. {{url}}",
    ),
    (
        "complaint_sla_reminder_2",
        "ar",
        "تذكير ثانٍ: الشكوى {{reference}} مستحقة في {{due_at}}",
        "تذكير ثانٍ: الشكوى {{reference}} ({{title}}) مستحقة في {{due_at}}. {{url}}",
    ),
    (
        "complaint_escalated",
        "en",
        "Complaint {{reference}} escalated to you (level {{level}})",
        "Complaint {{reference}} ({{title}}) was escalated to you, level {{level}}. It was due {{due_at}}. {{url}}",
    ),
    (
        "complaint_escalated",
        "ar",
        "صُعّدت إليك الشكوى {{reference}} (المستوى {{level}})",
        "صُعّدت إليك الشكوى {{reference}} ({{title}})، المستوى {{level}}. كان موعدها {{due_at}}. {{url}}",
    ),
    (
        "complaint_closed",
        "en",
        "Your complaint {{reference}} is closed",
        "{{hospital_name}}: thank you. Your complaint {{reference}} is closed. Details: {{tracking_url}}",
    ),
    (
        "complaint_closed",
        "ar",
        "أغلقت شكواك {{reference}}",
        "{{hospital_name}}: شكراً لك. أغلقت شكواك {{reference}}. التفاصيل: {{tracking_url}}",
    ),
    (
        "explanation_request",
        "en",
        "Explanation Request - Complaint #{{reference}}",
        "Please give your explanation about complaint {{reference}} by {{due_at}}: {{link}}",
    ),
    (
        "explanation_request",
        "ar",
        "طلب إفادة - الشكوى رقم {{reference}}",
        "نرجو تقديم إفادتك حول الشكوى {{reference}} قبل {{due_at}}: {{link}}",
    ),
    (
        "explanation_manager_notice",
        "en",
        "Staff Explanation Request Notification - Complaint #{{reference}}",
        "For your information: {{staff_name}} was asked to explain complaint {{reference}} by {{due_at}}.",
    ),
    (
        "explanation_manager_notice",
        "ar",
        "إشعار طلب إفادة موظف - الشكوى رقم {{reference}}",
        "للعلم: طُلبت إفادة {{staff_name}} حول الشكوى {{reference}} قبل {{due_at}}.",
    ),
    (
        "explanation_escalated",
        "en",
        "Explanation overdue - Complaint #{{reference}}",
        "{{staff_name}} did not explain complaint {{reference}} in time. Please respond: {{link}}",
    ),
    (
        "explanation_escalated",
        "ar",
        "تأخرت الإفادة - الشكوى رقم {{reference}}",
        "لم يقدم {{staff_name}} إفادته حول الشكوى {{reference}} في الوقت المحدد. نرجو الرد: {{link}}",
    ),
    (
        "action_assigned",
        "en",
        "PX Action {{reference}} is assigned to you",
        "PX Action {{reference}} ({{title}}) is assigned to you. Due {{due_at}}. {{url}}",
    ),
    (
        "action_assigned",
        "ar",
        "أسند إليك الإجراء {{reference}}",
        "أسند إليك الإجراء {{reference}} ({{title}}). موعد الإنجاز {{due_at}}. {{url}}",
    ),
    (
        "action_reminder",
        "en",
        "Reminder: PX Action {{reference}} is due {{due_at}}",
        "Reminder: PX Action {{reference}} ({{title}}) is due {{due_at}}. {{url}}",
    ),
    (
        "action_reminder",
        "ar",
        "تذكير: الإجراء {{reference}} مستحق في {{due_at}}",
        "تذكير: الإجراء {{reference}} ({{title}}) مستحق في {{due_at}}. {{url}}",
    ),
    (
        "action_escalated",
        "en",
        "PX Action {{reference}} escalated to you (level {{level}})",
        "PX Action {{reference}} ({{title}}) was escalated to you, level {{level}}. It was due {{due_at}}. {{url}}",
    ),
    (
        "action_escalated",
        "ar",
        "صُعّد إليك الإجراء {{reference}} (المستوى {{level}})",
        "صُعّد إليك الإجراء {{reference}} ({{title}})، المستوى {{level}}. كان موعده {{due_at}}. {{url}}",
    ),
    (
        "action_pending_approval",
        "en",
        "PX Action {{reference}} waits for your approval",
        "PX Action {{reference}} ({{title}}) is done and waits for approval. {{url}}",
    ),
    (
        "action_pending_approval",
        "ar",
        "الإجراء {{reference}} بانتظار اعتمادك",
        "اكتمل الإجراء {{reference}} ({{title}}) وهو بانتظار الاعتماد. {{url}}",
    ),
];

fn lang_of(language: &str) -> String {
    if language == "en" { "en".into() } else { "ar".into() }
}

/// Queues `new`; a missing template or a bad address is logged and skipped (Ok(false)).
/// Ok(true) when a message was queued (the caller wakes the notifications queue after commit).
async fn send(txn: &DatabaseTransaction, new: NewMessage) -> AppResult<bool> {
    let code = new.template_code.clone();
    match queue_message_within(txn, &Actor::system(), new).await {
        Ok(m) => Ok(m.status == "queued"),
        Err(AppError::Validation(e)) => {
            tracing::warn!(template = %code, errors = ?e.0, "complaint notification skipped");
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Tells the complainant (their phone by SMS, else their e-mail, else the linked patient's
/// contact) with template `code`.
pub async fn complainant(
    txn: &DatabaseTransaction,
    config: &Config,
    c: &complaint::Model,
    code: &str,
) -> AppResult<bool> {
    let (channel, recipient) = if !c.complainant_phone.is_empty() {
        ("sms", Some(c.complainant_phone.clone()))
    } else if !c.complainant_email.is_empty() {
        ("email", Some(c.complainant_email.clone()))
    } else if c.patient_id.is_some() {
        ("sms", None)
    } else {
        return Ok(false);
    };
    send(
        txn,
        NewMessage {
            hospital_id: Some(c.hospital_id),
            patient_id: if recipient.is_none() { c.patient_id } else { None },
            channel: channel.into(),
            template_code: code.into(),
            language: Some(lang_of(&c.language)),
            vars: super::service::complaint_vars(config, c),
            category: "general".into(),
            recipient,
            send_at: None,
            patient: None,
        },
    )
    .await
}

/// E-mails a user with template `code`.
pub async fn user(
    txn: &DatabaseTransaction,
    _config: &Config,
    to: &user::Model,
    hospital_id: Uuid,
    code: &str,
    vars: &BTreeMap<String, String>,
) -> AppResult<bool> {
    if to.email.trim().is_empty() {
        return Ok(false);
    }
    send(
        txn,
        NewMessage {
            hospital_id: Some(hospital_id),
            patient_id: None,
            channel: "email".into(),
            template_code: code.into(),
            language: Some(lang_of(&to.language)),
            vars: vars.clone(),
            category: "general".into(),
            recipient: Some(to.email.clone()),
            send_at: None,
            patient: None,
        },
    )
    .await
}

/// E-mails an address (a staff member without a user account) with template `code`.
pub async fn address(
    txn: &DatabaseTransaction,
    email: &str,
    language: &str,
    hospital_id: Uuid,
    code: &str,
    vars: &BTreeMap<String, String>,
) -> AppResult<bool> {
    if email.trim().is_empty() {
        return Ok(false);
    }
    send(
        txn,
        NewMessage {
            hospital_id: Some(hospital_id),
            patient_id: None,
            channel: "email".into(),
            template_code: code.into(),
            language: Some(lang_of(language)),
            vars: vars.clone(),
            category: "general".into(),
            recipient: Some(email.to_owned()),
            send_at: None,
            patient: None,
        },
    )
    .await
}
