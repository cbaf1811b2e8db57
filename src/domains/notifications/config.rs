//! Notification provider settings (`[notifications]` in px360.toml, `PX360_NOTIFICATIONS__*`).

use serde::{Deserialize, Serialize};

use crate::config::Secret;

/// Where links in messages point unless `PX360_NOTIFICATIONS__PUBLIC_BASE_URL` says otherwise.
pub const DEFAULT_PUBLIC_BASE_URL: &str = "http://127.0.0.1:8000";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotificationsConfig {
    /// Provider per channel: `outbox` (default: stored, shown at /notifications/outbox/),
    /// `twilio` or `unifonic` for sms, `twilio` or `whatsapp_cloud` for whatsapp, `smtp` for email.
    pub sms_provider: String,
    pub whatsapp_provider: String,
    pub email_provider: String,
    /// Base URLs (tests point them at a local fake server).
    pub twilio_base_url: String,
    pub twilio_account_sid: String,
    pub twilio_auth_token: Secret,
    pub twilio_from: String,
    pub twilio_whatsapp_from: String,
    pub unifonic_base_url: String,
    pub unifonic_app_sid: Secret,
    pub unifonic_sender: String,
    /// Shared secret Unifonic's delivery reports must carry (`X-Webhook-Token`).
    pub unifonic_webhook_token: Secret,
    pub whatsapp_cloud_base_url: String,
    pub whatsapp_cloud_phone_number_id: String,
    pub whatsapp_cloud_token: Secret,
    /// App secret for `X-Hub-Signature-256` on WhatsApp Cloud webhooks.
    pub whatsapp_cloud_app_secret: Secret,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_username: String,
    pub smtp_password: Secret,
    /// `starttls`, `tls` or `none` (local relays and tests).
    pub smtp_security: String,
    pub email_from: String,
    /// The public base URL providers call back (webhook signatures cover it), e.g. https://px.example.org
    pub public_base_url: String,
    /// Seconds before a provider call times out.
    pub provider_timeout_seconds: u64,
}

impl Default for NotificationsConfig {
    fn default() -> Self {
        NotificationsConfig {
            sms_provider: "outbox".into(),
            whatsapp_provider: "outbox".into(),
            email_provider: "outbox".into(),
            twilio_base_url: "https://api.twilio.com".into(),
            twilio_account_sid: String::new(),
            twilio_auth_token: Secret::default(),
            twilio_from: String::new(),
            twilio_whatsapp_from: String::new(),
            unifonic_base_url: "https://el.cloud.unifonic.com".into(),
            unifonic_app_sid: Secret::default(),
            unifonic_sender: String::new(),
            unifonic_webhook_token: Secret::default(),
            whatsapp_cloud_base_url: "https://graph.facebook.com/v21.0".into(),
            whatsapp_cloud_phone_number_id: String::new(),
            whatsapp_cloud_token: Secret::default(),
            whatsapp_cloud_app_secret: Secret::default(),
            smtp_host: String::new(),
            smtp_port: 587,
            smtp_username: String::new(),
            smtp_password: Secret::default(),
            smtp_security: "starttls".into(),
            email_from: "PX360 <no-reply@localhost>".into(),
            public_base_url: DEFAULT_PUBLIC_BASE_URL.into(),
            provider_timeout_seconds: 10,
        }
    }
}

impl NotificationsConfig {
    /// Checks the provider choices and that each chosen provider has its credentials.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let check = |var: &'static str, value: &str, allowed: &[&str]| {
            if allowed.contains(&value) { Ok(()) } else { Err((var, format!("must be one of {}", allowed.join(", ")))) }
        };
        check("PX360_NOTIFICATIONS__SMS_PROVIDER", &self.sms_provider, &["outbox", "twilio", "unifonic"])?;
        check(
            "PX360_NOTIFICATIONS__WHATSAPP_PROVIDER",
            &self.whatsapp_provider,
            &["outbox", "twilio", "whatsapp_cloud"],
        )?;
        check("PX360_NOTIFICATIONS__EMAIL_PROVIDER", &self.email_provider, &["outbox", "smtp"])?;
        check("PX360_NOTIFICATIONS__SMTP_SECURITY", &self.smtp_security, &["starttls", "tls", "none"])?;
        let uses = |p: &str| {
            [&self.sms_provider, &self.whatsapp_provider, &self.email_provider].iter().any(|x| x.as_str() == p)
        };
        let need = |var: &'static str, value: &str| {
            if value.is_empty() { Err((var, "must be set for the chosen provider".to_owned())) } else { Ok(()) }
        };
        if uses("twilio") {
            need("PX360_NOTIFICATIONS__TWILIO_ACCOUNT_SID", &self.twilio_account_sid)?;
            need("PX360_NOTIFICATIONS__TWILIO_AUTH_TOKEN", self.twilio_auth_token.expose())?;
        }
        if uses("unifonic") {
            need("PX360_NOTIFICATIONS__UNIFONIC_APP_SID", self.unifonic_app_sid.expose())?;
        }
        if uses("whatsapp_cloud") {
            need("PX360_NOTIFICATIONS__WHATSAPP_CLOUD_PHONE_NUMBER_ID", &self.whatsapp_cloud_phone_number_id)?;
            need("PX360_NOTIFICATIONS__WHATSAPP_CLOUD_TOKEN", self.whatsapp_cloud_token.expose())?;
        }
        if uses("smtp") {
            need("PX360_NOTIFICATIONS__SMTP_HOST", &self.smtp_host)?;
        }
        if self.provider_timeout_seconds == 0 {
            return Err(("PX360_NOTIFICATIONS__PROVIDER_TIMEOUT_SECONDS", "must be greater than zero".into()));
        }
        Ok(())
    }
}
