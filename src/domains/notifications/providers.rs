//! The channel providers: `outbox` (no network), `twilio` (SMS and WhatsApp), `unifonic` (SMS),
//! `whatsapp_cloud` and `smtp`. Each one sends one message and says whether a failure is worth
//! retrying. Every HTTP request carries `Idempotency-Key: <message id>` so that a retry after a
//! crash is deduplicated by providers that honour it; all of them share one HTTP client.

use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Value, json};
use uuid::Uuid;

use super::config::NotificationsConfig;

/// What a provider sends.
#[derive(Debug, Clone)]
pub struct OutgoingMessage {
    pub id: Uuid,
    /// `sms`, `whatsapp` or `email`.
    pub channel: String,
    /// E.164 phone or email address.
    pub recipient: String,
    pub subject: String,
    pub body: String,
}

/// An accepted message.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    pub provider_message_id: String,
}

/// Why a send failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SendError {
    /// Timeouts, connection errors, 5xx, 429: worth trying again.
    #[error("{0}")]
    Transient(String),
    /// The provider refused the message (invalid number, bad request): never retried.
    #[error("{0}")]
    Permanent(String),
}

/// One way out for a channel.
pub trait Provider {
    /// The name stored on the message (`outbox`, `twilio`, …).
    fn name(&self) -> &'static str;
    fn send(&self, msg: &OutgoingMessage) -> impl Future<Output = Result<Sent, SendError>> + Send;
}

/// The longest a provider call may take: below the job timeout (60 s), so an attempt never dies
/// half-way through and leaves its message marked as sending.
const MAX_TIMEOUT: Duration = Duration::from_secs(45);

/// The one HTTP client (connection pools are shared). `None` when TLS could not be set up.
fn client() -> Option<&'static reqwest::Client> {
    static CLIENT: OnceLock<Option<reqwest::Client>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(10))
                .user_agent(concat!("PX360/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| tracing::error!(error = %e, "the notifications HTTP client could not be built"))
                .ok()
        })
        .as_ref()
}

fn timeout(config: &NotificationsConfig) -> Duration {
    Duration::from_secs(config.provider_timeout_seconds.max(1)).min(MAX_TIMEOUT)
}

/// The provider configured for `channel`.
pub fn for_channel<'a>(config: &'a NotificationsConfig, channel: &str) -> AnyProvider<'a> {
    let name = match channel {
        "sms" => config.sms_provider.as_str(),
        "whatsapp" => config.whatsapp_provider.as_str(),
        "email" => config.email_provider.as_str(),
        _ => "outbox",
    };
    match name {
        "twilio" => AnyProvider::Twilio(Twilio { config }),
        "unifonic" => AnyProvider::Unifonic(Unifonic { config }),
        "whatsapp_cloud" => AnyProvider::WhatsAppCloud(WhatsAppCloud { config }),
        "smtp" => AnyProvider::Smtp(Smtp { config }),
        _ => AnyProvider::Outbox(Outbox),
    }
}

/// Static dispatch over the providers.
pub enum AnyProvider<'a> {
    Outbox(Outbox),
    Twilio(Twilio<'a>),
    Unifonic(Unifonic<'a>),
    WhatsAppCloud(WhatsAppCloud<'a>),
    Smtp(Smtp<'a>),
}

impl Provider for AnyProvider<'_> {
    fn name(&self) -> &'static str {
        match self {
            AnyProvider::Outbox(p) => p.name(),
            AnyProvider::Twilio(p) => p.name(),
            AnyProvider::Unifonic(p) => p.name(),
            AnyProvider::WhatsAppCloud(p) => p.name(),
            AnyProvider::Smtp(p) => p.name(),
        }
    }

    async fn send(&self, msg: &OutgoingMessage) -> Result<Sent, SendError> {
        match self {
            AnyProvider::Outbox(p) => p.send(msg).await,
            AnyProvider::Twilio(p) => p.send(msg).await,
            AnyProvider::Unifonic(p) => p.send(msg).await,
            AnyProvider::WhatsAppCloud(p) => p.send(msg).await,
            AnyProvider::Smtp(p) => p.send(msg).await,
        }
    }
}

/// No network: the message is kept and shown at `/notifications/outbox/`.
pub struct Outbox;

impl Provider for Outbox {
    fn name(&self) -> &'static str {
        "outbox"
    }
    async fn send(&self, msg: &OutgoingMessage) -> Result<Sent, SendError> {
        Ok(Sent { provider_message_id: format!("outbox-{}", msg.id) })
    }
}

/// The provider's own words from an error body: `message`, `error.message`, or the body itself.
fn provider_message(body: &str) -> String {
    let text = serde_json::from_str::<Value>(body).ok().and_then(|v| {
        let pick = |v: &Value| v.as_str().map(str::to_owned).or_else(|| (!v.is_null()).then(|| v.to_string()));
        v.get("message")
            .and_then(pick)
            .or_else(|| v.pointer("/error/message").and_then(pick))
            .or_else(|| v.get("error").and_then(pick))
    });
    let text = text.unwrap_or_else(|| body.trim().to_owned());
    text.chars().take(300).collect()
}

/// Sends a request and returns the JSON body of a 2xx answer, or the classified failure.
async fn exchange(provider: &str, request: reqwest::RequestBuilder) -> Result<Value, SendError> {
    let response = request.send().await.map_err(|e| {
        let kind = if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "connection failed"
        } else {
            "request failed"
        };
        SendError::Transient(format!("{provider}: {kind}: {e}"))
    })?;
    let status = response.status();
    let body =
        response.text().await.map_err(|e| SendError::Transient(format!("{provider}: reading the answer: {e}")))?;
    if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(SendError::Transient(format!("{provider}: HTTP {}: {}", status.as_u16(), provider_message(&body))));
    }
    if !status.is_success() {
        return Err(SendError::Permanent(format!("{provider}: HTTP {}: {}", status.as_u16(), provider_message(&body))));
    }
    serde_json::from_str(&body).map_err(|_| {
        // Accepted but unreadable: retrying with the same idempotency key is the safe choice.
        SendError::Transient(format!("{provider}: HTTP {} with an unreadable body", status.as_u16()))
    })
}

fn http(
    config: &NotificationsConfig,
    provider: &str,
    url: &str,
    msg: &OutgoingMessage,
) -> Result<reqwest::RequestBuilder, SendError> {
    let client = client().ok_or_else(|| SendError::Transient(format!("{provider}: HTTP client unavailable")))?;
    Ok(client.post(url).timeout(timeout(config)).header("Idempotency-Key", msg.id.to_string()))
}

fn trim_base(url: &str) -> &str {
    url.trim_end_matches('/')
}

/// The id in a JSON answer, whether a string or a number.
fn id_at(body: &Value, pointer: &str) -> Option<String> {
    match body.pointer(pointer)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn missing_id(provider: &str) -> SendError {
    SendError::Transient(format!("{provider}: the answer carries no message id"))
}

/// Twilio Programmable Messaging, for SMS and WhatsApp (`whatsapp:` addresses).
pub struct Twilio<'a> {
    config: &'a NotificationsConfig,
}

impl Provider for Twilio<'_> {
    fn name(&self) -> &'static str {
        "twilio"
    }
    async fn send(&self, msg: &OutgoingMessage) -> Result<Sent, SendError> {
        let c = self.config;
        let url =
            format!("{}/2010-04-01/Accounts/{}/Messages.json", trim_base(&c.twilio_base_url), c.twilio_account_sid);
        let (to, from) = if msg.channel == "whatsapp" {
            let from = c.twilio_whatsapp_from.trim();
            let from = if from.starts_with("whatsapp:") { from.to_owned() } else { format!("whatsapp:{from}") };
            (format!("whatsapp:{}", msg.recipient), from)
        } else {
            (msg.recipient.clone(), c.twilio_from.trim().to_owned())
        };
        let callback = format!("{}{}", trim_base(&c.public_base_url), super::webhooks::TWILIO_PATH);
        let form = [
            ("To", to.as_str()),
            ("From", from.as_str()),
            ("Body", msg.body.as_str()),
            ("StatusCallback", callback.as_str()),
        ];
        let request = http(c, "twilio", &url, msg)?
            .basic_auth(&c.twilio_account_sid, Some(c.twilio_auth_token.expose()))
            .form(&form);
        let body = exchange("twilio", request).await?;
        id_at(&body, "/sid").map(|id| Sent { provider_message_id: id }).ok_or_else(|| missing_id("twilio"))
    }
}

/// Unifonic SMS (Saudi sender IDs). Errors come back as `success: false` with a message.
pub struct Unifonic<'a> {
    config: &'a NotificationsConfig,
}

impl Provider for Unifonic<'_> {
    fn name(&self) -> &'static str {
        "unifonic"
    }
    async fn send(&self, msg: &OutgoingMessage) -> Result<Sent, SendError> {
        let c = self.config;
        let url = format!("{}/rest/SMS/messages", trim_base(&c.unifonic_base_url));
        let recipient = msg.recipient.trim_start_matches('+');
        let form = [
            ("AppSid", c.unifonic_app_sid.expose()),
            ("SenderID", c.unifonic_sender.as_str()),
            ("Recipient", recipient),
            ("Body", msg.body.as_str()),
            ("responseType", "JSON"),
        ];
        let body = exchange("unifonic", http(c, "unifonic", &url, msg)?.form(&form)).await?;
        if body.get("success").and_then(Value::as_bool) != Some(true) {
            let why = body
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| body.to_string().chars().take(300).collect());
            let code = body.get("errorCode").and_then(Value::as_str).map(|c| format!(" ({c})")).unwrap_or_default();
            return Err(SendError::Permanent(format!("unifonic: {why}{code}")));
        }
        id_at(&body, "/data/MessageID").map(|id| Sent { provider_message_id: id }).ok_or_else(|| missing_id("unifonic"))
    }
}

/// The WhatsApp Business Cloud API (Meta Graph).
pub struct WhatsAppCloud<'a> {
    config: &'a NotificationsConfig,
}

impl Provider for WhatsAppCloud<'_> {
    fn name(&self) -> &'static str {
        "whatsapp_cloud"
    }
    async fn send(&self, msg: &OutgoingMessage) -> Result<Sent, SendError> {
        let c = self.config;
        let url = format!("{}/{}/messages", trim_base(&c.whatsapp_cloud_base_url), c.whatsapp_cloud_phone_number_id);
        let payload = json!({
            "messaging_product": "whatsapp",
            "to": msg.recipient.trim_start_matches('+'),
            "type": "text",
            "text": {"body": msg.body},
        });
        let request = http(c, "whatsapp_cloud", &url, msg)?.bearer_auth(c.whatsapp_cloud_token.expose()).json(&payload);
        let body = exchange("whatsapp_cloud", request).await?;
        id_at(&body, "/messages/0/id")
            .map(|id| Sent { provider_message_id: id })
            .ok_or_else(|| missing_id("whatsapp_cloud"))
    }
}

/// Email over SMTP (lettre). The provider id is the Message-ID header, `<message-id@px360>`.
pub struct Smtp<'a> {
    config: &'a NotificationsConfig,
}

impl Smtp<'_> {
    fn transport(&self) -> Result<lettre::AsyncSmtpTransport<lettre::Tokio1Executor>, SendError> {
        use lettre::transport::smtp::authentication::Credentials;
        use lettre::{AsyncSmtpTransport, Tokio1Executor};
        let c = self.config;
        let builder = match c.smtp_security.as_str() {
            "none" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(c.smtp_host.as_str()),
            "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&c.smtp_host)
                .map_err(|e| SendError::Permanent(format!("smtp: {e}")))?,
            _ => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&c.smtp_host)
                .map_err(|e| SendError::Permanent(format!("smtp: {e}")))?,
        };
        let mut builder = builder.port(c.smtp_port).timeout(Some(timeout(c)));
        if !c.smtp_username.is_empty() {
            builder =
                builder.credentials(Credentials::new(c.smtp_username.clone(), c.smtp_password.expose().to_owned()));
        }
        Ok(builder.build())
    }
}

impl Provider for Smtp<'_> {
    fn name(&self) -> &'static str {
        "smtp"
    }
    async fn send(&self, msg: &OutgoingMessage) -> Result<Sent, SendError> {
        use lettre::AsyncTransport;
        use lettre::message::header::ContentType;
        let c = self.config;
        let message_id = format!("<{}@px360>", msg.id);
        let from = c
            .email_from
            .parse::<lettre::message::Mailbox>()
            .map_err(|e| SendError::Permanent(format!("smtp: sender address: {e}")))?;
        let to = msg
            .recipient
            .parse::<lettre::message::Mailbox>()
            .map_err(|e| SendError::Permanent(format!("smtp: invalid recipient: {e}")))?;
        let subject = if msg.subject.is_empty() { "PX360" } else { msg.subject.as_str() };
        let email = lettre::Message::builder()
            .from(from)
            .to(to)
            .subject(subject)
            .message_id(Some(message_id.clone()))
            .header(ContentType::TEXT_PLAIN)
            .body(msg.body.clone())
            .map_err(|e| SendError::Permanent(format!("smtp: {e}")))?;
        let transport = self.transport()?;
        match tokio::time::timeout(timeout(c) + Duration::from_secs(1), transport.send(email)).await {
            Err(_) => Err(SendError::Transient("smtp: timed out".into())),
            Ok(Ok(_)) => Ok(Sent { provider_message_id: message_id }),
            Ok(Err(e)) if e.is_permanent() => Err(SendError::Permanent(format!("smtp: {e}"))),
            Ok(Err(e)) => Err(SendError::Transient(format!("smtp: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_give_the_providers_own_words() {
        assert_eq!(
            provider_message(r#"{"code":21211,"message":"The 'To' number is not valid."}"#),
            "The 'To' number is not valid."
        );
        assert_eq!(
            provider_message(r#"{"error":{"message":"(#100) Invalid parameter","code":100}}"#),
            "(#100) Invalid parameter"
        );
        assert_eq!(provider_message("  plain text  "), "plain text");
        assert_eq!(provider_message(&"x".repeat(1000)).len(), 300);
    }

    #[test]
    fn ids_are_read_as_strings_or_numbers() {
        let body = json!({"sid": "SM1", "data": {"MessageID": 42}, "messages": [{"id": "wamid.1"}]});
        assert_eq!(id_at(&body, "/sid").as_deref(), Some("SM1"));
        assert_eq!(id_at(&body, "/data/MessageID").as_deref(), Some("42"));
        assert_eq!(id_at(&body, "/messages/0/id").as_deref(), Some("wamid.1"));
        assert_eq!(id_at(&body, "/nope"), None);
    }

    #[test]
    fn channels_pick_their_configured_provider() {
        let mut config = NotificationsConfig::default();
        assert_eq!(for_channel(&config, "sms").name(), "outbox");
        config.sms_provider = "unifonic".into();
        config.whatsapp_provider = "whatsapp_cloud".into();
        config.email_provider = "smtp".into();
        assert_eq!(for_channel(&config, "sms").name(), "unifonic");
        assert_eq!(for_channel(&config, "whatsapp").name(), "whatsapp_cloud");
        assert_eq!(for_channel(&config, "email").name(), "smtp");
        config.sms_provider = "twilio".into();
        assert_eq!(for_channel(&config, "sms").name(), "twilio");
    }
}
