//! Delivery reports and inbound messages from the HTTP providers. Public routes (no login): each
//! checks the provider's signature first (403 when it does not match), answers 404 for a report
//! about a message id it does not know, and 200 otherwise. An inbound STOP / إيقاف opts the
//! sender out of that channel at once.
//!
//! - `POST /api/notifications/webhooks/twilio/` — form body, `X-Twilio-Signature`:
//!   base64(HMAC-SHA1(auth token, public URL + each POST parameter name and value, sorted)).
//! - `POST /api/notifications/webhooks/unifonic/` — JSON or form, `X-Webhook-Token`.
//! - `POST /api/notifications/webhooks/whatsapp/` — JSON, `X-Hub-Signature-256: sha256=<hex
//!   HMAC-SHA256(app secret, raw body)>`; `GET` answers Meta's subscription check.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{OriginalUri, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::Value;

use super::service::{apply_status, inbound};
use crate::app::AppState;
use crate::auth::tokens::secure_eq;
use crate::error::{AppError, AppResult};

pub const TWILIO_PATH: &str = "/api/notifications/webhooks/twilio/";
pub const UNIFONIC_PATH: &str = "/api/notifications/webhooks/unifonic/";
pub const WHATSAPP_PATH: &str = "/api/notifications/webhooks/whatsapp/";

fn bad_signature() -> AppError {
    AppError::Forbidden("The webhook signature is missing or does not match.".into())
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

/// Twilio's signature of a form POST to `url`.
pub fn twilio_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut data = url.to_owned();
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(auth_token.as_bytes()) else { return String::new() };
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The `X-Hub-Signature-256` value of `body` (`sha256=<hex>`).
pub fn meta_signature(app_secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(app_secret.as_bytes()) else { return String::new() };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn twiml() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>",
    )
        .into_response()
}

fn ok() -> Response {
    (StatusCode::OK, axum::Json(serde_json::json!({"status": "ok"}))).into_response()
}

fn unknown_message() -> AppError {
    AppError::NotFound("message")
}

pub async fn twilio(
    State(state): State<AppState>,
    uri: OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Response> {
    let config = &state.config.notifications;
    let token = config.twilio_auth_token.expose();
    let sent = header_str(&headers, "x-twilio-signature");
    if token.is_empty() || sent.is_empty() {
        return Err(bad_signature());
    }
    let params: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).map_err(|_| bad_signature())?;
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or(TWILIO_PATH);
    let url = format!("{}{path}", config.public_base_url.trim_end_matches('/'));
    if !secure_eq(sent, &twilio_signature(token, &url, &params)) {
        return Err(bad_signature());
    }
    let get = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    if let Some(status) = get("MessageStatus").or_else(|| get("SmsStatus")).filter(|_| get("Body").is_none()) {
        let sid = get("MessageSid").or_else(|| get("SmsSid")).unwrap_or_default();
        let error = match get("ErrorCode") {
            Some(code) => format!("twilio: {status} (error {code})"),
            None => format!("twilio: {status}"),
        };
        let mapped = match status {
            "delivered" | "read" => "delivered",
            "failed" | "undelivered" => "failed",
            "sent" => "sent",
            _ => "",
        };
        let known = if mapped.is_empty() {
            message_exists(&state, "twilio", sid).await?
        } else {
            apply_status(&state, "twilio", sid, mapped, &error).await?
        };
        return if known { Ok(twiml()) } else { Err(unknown_message()) };
    }
    if let (Some(from), Some(text)) = (get("From"), get("Body")) {
        let channel = if from.starts_with("whatsapp:") { "whatsapp" } else { "sms" };
        inbound(&state, channel, from, text).await?;
    }
    Ok(twiml())
}

async fn message_exists(state: &AppState, provider: &str, id: &str) -> AppResult<bool> {
    use super::model::message;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    Ok(message::Entity::find()
        .filter(message::Column::Provider.eq(provider))
        .filter(message::Column::ProviderMessageId.eq(id))
        .count(&state.db)
        .await?
        > 0)
}

fn value_str(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

pub async fn unifonic(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> AppResult<Response> {
    let expected = state.config.notifications.unifonic_webhook_token.expose();
    if expected.is_empty() || !secure_eq(header_str(&headers, "x-webhook-token"), expected) {
        return Err(bad_signature());
    }
    let json = header_str(&headers, "content-type").starts_with("application/json");
    let fields: BTreeMap<String, Value> = if json {
        serde_json::from_slice::<BTreeMap<String, Value>>(&body)
            .map_err(|_| crate::error::invalid("non_field_errors", "Expected a JSON object."))?
    } else {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
            .map_err(|_| crate::error::invalid("non_field_errors", "Malformed form body."))?
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect()
    };
    let id =
        value_str(fields.get("messageId").or_else(|| fields.get("MessageID")).or_else(|| fields.get("message_id")));
    let status = value_str(fields.get("status").or_else(|| fields.get("Status"))).to_lowercase();
    if id.is_empty() {
        return Err(crate::error::invalid("messageId", "This field is required."));
    }
    let mapped = match status.as_str() {
        "delivered" => "delivered",
        "sent" | "queued" => "sent",
        "failed" | "undelivered" | "undeliverable" | "rejected" | "expired" => "failed",
        _ => "",
    };
    let known = if mapped.is_empty() {
        message_exists(&state, "unifonic", &id).await?
    } else {
        apply_status(&state, "unifonic", &id, mapped, &format!("unifonic: {status}")).await?
    };
    if known { Ok(ok()) } else { Err(unknown_message()) }
}

pub async fn whatsapp(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> AppResult<Response> {
    let secret = state.config.notifications.whatsapp_cloud_app_secret.expose();
    let sent = header_str(&headers, "x-hub-signature-256");
    if secret.is_empty() || sent.is_empty() || !secure_eq(sent, &meta_signature(secret, &body)) {
        return Err(bad_signature());
    }
    let doc: Value = serde_json::from_slice(&body)
        .map_err(|_| crate::error::invalid("non_field_errors", "Expected a JSON object."))?;
    let values = doc["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|e| e["changes"].as_array().into_iter().flatten())
        .map(|c| &c["value"]);
    let (mut reports, mut known) = (0, 0);
    for value in values {
        for s in value["statuses"].as_array().into_iter().flatten() {
            reports += 1;
            let id = value_str(s.get("id"));
            let status = s["status"].as_str().unwrap_or_default();
            let error = s["errors"][0]["title"]
                .as_str()
                .or_else(|| s["errors"][0]["message"].as_str())
                .map(|e| format!("whatsapp_cloud: {e}"))
                .unwrap_or_else(|| format!("whatsapp_cloud: {status}"));
            let mapped = match status {
                "delivered" | "read" => "delivered",
                "failed" => "failed",
                "sent" => "sent",
                _ => "",
            };
            let found = if mapped.is_empty() {
                message_exists(&state, "whatsapp_cloud", &id).await?
            } else {
                apply_status(&state, "whatsapp_cloud", &id, mapped, &error).await?
            };
            known += usize::from(found);
        }
        for m in value["messages"].as_array().into_iter().flatten() {
            let from = value_str(m.get("from"));
            let text = m["text"]["body"].as_str().or_else(|| m["button"]["text"].as_str()).unwrap_or_default();
            if !from.is_empty() {
                let from = if from.starts_with('+') { from } else { format!("+{from}") };
                inbound(&state, "whatsapp", &from, text).await?;
            }
        }
    }
    if reports > 0 && known == 0 { Err(unknown_message()) } else { Ok(ok()) }
}

/// Meta's subscription check: `hub.mode=subscribe` with the right `hub.verify_token` (the app
/// secret) → the challenge, echoed.
pub async fn whatsapp_verify(
    State(state): State<AppState>,
    Query(params): Query<BTreeMap<String, String>>,
) -> AppResult<Response> {
    let secret = state.config.notifications.whatsapp_cloud_app_secret.expose();
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or_default();
    if secret.is_empty() || get("hub.mode") != "subscribe" || !secure_eq(get("hub.verify_token"), secret) {
        return Err(bad_signature());
    }
    Ok((StatusCode::OK, get("hub.challenge").to_owned()).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twilio_signatures_match_their_documented_example() {
        // The example of Twilio's "Webhooks security" page.
        let params: Vec<(String, String)> = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let sig = twilio_signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", &params);
        assert_eq!(sig, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
    }

    #[test]
    fn meta_signatures_are_hex_hmac_sha256() {
        let sig = meta_signature("secret", b"{}");
        assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64, "{sig}");
        assert_ne!(sig, meta_signature("other", b"{}"));
    }
}
