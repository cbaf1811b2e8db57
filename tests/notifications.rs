//! Notifications end to end, on SQLite (or PostgreSQL with PX360_TEST_DATABASE_URL): real HTTP
//! requests to a local fake server speaking the Twilio, Unifonic and WhatsApp Cloud APIs, real
//! SMTP to a local server, jobs driven by `process_batch`, signed webhooks, opt-outs, quiet hours,
//! the frequency cap and the failures that must leave a `failed` or `suppressed` row with a reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxStatus, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use common::{TestApp, email, json};
use hmac::{Hmac, Mac};
use px360::auth::Role;
use px360::config::{Config, Secret};
use px360::domains::notifications::model::{message, opt_out};
use px360::domains::organizations::model::hospital;
use px360::jobs::model::job;
use px360::jobs::{Enqueue, Job, Queue};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use uuid::Uuid;

const PUBLIC: &str = "https://px.example.org";
const TWILIO_SID: &str = "AC0123456789";
const TWILIO_TOKEN: &str = "twilio-auth-token";
const UNIFONIC_HOOK: &str = "unifonic-hook-token";
const WA_SECRET: &str = "whatsapp-app-secret";
const WA_TOKEN: &str = "whatsapp-bearer";
const WA_PHONE_ID: &str = "1098765";
/// The Arabic first name carries bidi isolation marks, which must never reach an SMS.
const NAME_AR: &str = "\u{2067}سالم\u{2069}";

// ---------------------------------------------------------------- the fake provider server

#[derive(Debug, Clone)]
struct Recorded {
    path: String,
    headers: HeaderMap,
    body: String,
}

impl Recorded {
    fn header(&self, name: &str) -> String {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    }
    fn form(&self) -> HashMap<String, String> {
        serde_urlencoded::from_str::<Vec<(String, String)>>(&self.body).unwrap().into_iter().collect()
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Ok,
    /// Every request answers 500.
    ServerError,
    /// Every request is refused as an invalid number.
    InvalidNumber,
    /// Answers after this long.
    Sleep(Duration),
}

#[derive(Clone)]
struct Fake {
    requests: Arc<Mutex<Vec<Recorded>>>,
    mode: Arc<Mutex<Mode>>,
    /// Successful answers by Idempotency-Key: a repeated key gets the same answer.
    answers: Arc<Mutex<HashMap<String, String>>>,
    counter: Arc<AtomicU64>,
    url: String,
}

impl Fake {
    async fn start() -> Fake {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = Fake {
            requests: Arc::default(),
            mode: Arc::new(Mutex::new(Mode::Ok)),
            answers: Arc::default(),
            counter: Arc::default(),
            url: format!("http://{}", listener.local_addr().unwrap()),
        };
        let app = axum::Router::new().fallback(fake_provider).with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        fake
    }
    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }
    fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
    fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

async fn fake_provider(State(fake): State<Fake>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path = uri.path().to_owned();
    fake.requests.lock().unwrap().push(Recorded {
        path: path.clone(),
        headers: headers.clone(),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let json_answer = |status: u16, body: String| {
        (AxStatus::from_u16(status).unwrap(), [("content-type", "application/json")], body).into_response()
    };
    if let Some(previous) = fake.answers.lock().unwrap().get(&key).cloned() {
        return json_answer(200, previous);
    }
    let mode = *fake.mode.lock().unwrap();
    if let Mode::Sleep(d) = mode {
        tokio::time::sleep(d).await;
    }
    let n = fake.counter.fetch_add(1, Ordering::SeqCst) + 1;
    let twilio = path.contains("/2010-04-01/Accounts/");
    let unifonic = path.ends_with("/rest/SMS/messages");
    let (status, answer) = match mode {
        Mode::ServerError => (500, json!({"message": "upstream unavailable"})),
        Mode::InvalidNumber if twilio => {
            (400, json!({"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400}))
        }
        Mode::InvalidNumber if unifonic => {
            (200, json!({"success": false, "message": "Invalid recipient number", "errorCode": "ER-09"}))
        }
        Mode::InvalidNumber => {
            (400, json!({"error": {"message": "(#131026) Recipient is not a valid WhatsApp user", "code": 131026}}))
        }
        _ if twilio => (201, json!({"sid": format!("SM{n:032}"), "status": "queued"})),
        _ if unifonic => {
            (200, json!({"success": true, "message": "", "errorCode": "ER-00", "data": {"MessageID": 4200 + n}}))
        }
        _ => (
            200,
            json!({"messaging_product": "whatsapp", "contacts": [{"wa_id": "966"}], "messages": [{"id": format!("wamid.{n}")}]}),
        ),
    };
    let answer = answer.to_string();
    if status < 300 && !key.is_empty() {
        fake.answers.lock().unwrap().insert(key, answer.clone());
    }
    json_answer(status, answer)
}

// ---------------------------------------------------------------- the local SMTP server

/// A minimal SMTP server: records each message's DATA.
async fn smtp_server() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mails: Arc<Mutex<Vec<String>>> = Arc::default();
    let store = mails.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else { return };
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read);
                write.write_all(b"220 fake.smtp ESMTP ready\r\n").await.unwrap();
                let mut line = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let command = line.trim_end().to_uppercase();
                    let reply: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
                        b"250-fake.smtp\r\n250 8BITMIME\r\n"
                    } else if command.starts_with("MAIL") || command.starts_with("RCPT") || command.starts_with("RSET")
                    {
                        b"250 OK\r\n"
                    } else if command == "DATA" {
                        write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await.unwrap();
                        let mut data = String::new();
                        loop {
                            let mut l = String::new();
                            if lines.read_line(&mut l).await.unwrap_or(0) == 0 {
                                return;
                            }
                            if l == ".\r\n" {
                                break;
                            }
                            data.push_str(&l);
                        }
                        store.lock().unwrap().push(data);
                        b"250 queued as 1\r\n"
                    } else if command == "QUIT" {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        return;
                    } else {
                        b"250 OK\r\n"
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, mails)
}

// ---------------------------------------------------------------- helpers

/// Points every provider at the fake server (SMS and WhatsApp through Twilio by default).
fn providers(c: &mut Config, fake: &Fake, smtp_port: u16) {
    let n = &mut c.notifications;
    n.sms_provider = "twilio".into();
    n.whatsapp_provider = "twilio".into();
    n.email_provider = "smtp".into();
    n.twilio_base_url = fake.url.clone();
    n.twilio_account_sid = TWILIO_SID.into();
    n.twilio_auth_token = Secret::new(TWILIO_TOKEN);
    n.twilio_from = "+15005550006".into();
    n.twilio_whatsapp_from = "+14155238886".into();
    n.unifonic_base_url = fake.url.clone();
    n.unifonic_app_sid = Secret::new("unifonic-app-sid");
    n.unifonic_sender = "PX360".into();
    n.unifonic_webhook_token = Secret::new(UNIFONIC_HOOK);
    n.whatsapp_cloud_base_url = format!("{}/v21.0", fake.url);
    n.whatsapp_cloud_phone_number_id = WA_PHONE_ID.into();
    n.whatsapp_cloud_token = Secret::new(WA_TOKEN);
    n.whatsapp_cloud_app_secret = Secret::new(WA_SECRET);
    n.smtp_host = "127.0.0.1".into();
    n.smtp_port = smtp_port;
    n.smtp_security = "none".into();
    n.email_from = "PX360 <no-reply@px360.test>".into();
    n.public_base_url = PUBLIC.into();
    n.provider_timeout_seconds = 2;
}

struct Env {
    app: TestApp,
    fake: Fake,
    mails: Arc<Mutex<Vec<String>>>,
    px: String,
}

/// An app wired to the fake providers, the default templates seeded, no quiet hours.
async fn env(adjust: impl FnOnce(&mut Config)) -> Env {
    let fake = Fake::start().await;
    let (port, mails) = smtp_server().await;
    let app = TestApp::spawn_with(|c| {
        providers(c, &fake, port);
        adjust(c);
    })
    .await;
    px360::seed::reference::seed_notification_templates(app.db(), false).await.unwrap();
    set_quiet_hours(&app, 0, 0).await;
    let px = app.token(&email(Role::PxAdmin)).await;
    Env { app, fake, mails, px }
}

async fn set_quiet_hours(app: &TestApp, start: i32, end: i32) {
    hospital::Entity::update_many()
        .col_expr(hospital::Column::QuietHoursStart, Expr::value(start))
        .col_expr(hospital::Column::QuietHoursEnd, Expr::value(end))
        .exec(app.db())
        .await
        .unwrap();
}

/// A patient of hospital A; returns its id.
async fn patient(e: &Env, mrn: &str, phone: &str, mail: &str, language: &str) -> Uuid {
    let body = json!({
        "hospital_id": e.app.hospital_a.id, "mrn": mrn, "first_name_en": "Salem", "last_name_en": "Harbi",
        "first_name_ar": NAME_AR, "last_name_ar": "الحربي", "phone": phone, "email": mail, "preferred_language": language,
    });
    let (status, created) = json(e.app.post("/api/organizations/patients/", &e.px, &body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_str().unwrap().parse().unwrap()
}

/// POST /api/notifications/messages/ as the PX admin → (status, body).
async fn send(e: &Env, body: Value) -> (StatusCode, Value) {
    json(e.app.post("/api/notifications/messages/", &e.px, &body).await).await
}

/// Sends and expects a 201; returns the message id and its status.
async fn send_ok(e: &Env, body: Value) -> (Uuid, String) {
    let (status, m) = send(e, body).await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    (m["id"].as_str().unwrap().parse().unwrap(), m["status"].as_str().unwrap().to_owned())
}

async fn msg(app: &TestApp, id: Uuid) -> message::Model {
    message::Entity::find_by_id(id).one(app.db()).await.unwrap().unwrap()
}

/// The notification jobs of a message, oldest first.
async fn jobs_of(app: &TestApp, id: Uuid) -> Vec<job::Model> {
    let mut all: Vec<job::Model> = job::Entity::find()
        .filter(job::Column::Queue.eq("notifications"))
        .all(app.db())
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.payload["message_id"] == id.to_string())
        .collect();
    all.sort_by_key(|j| j.created_at);
    all
}

/// Runs notification jobs that are due until none is left.
async fn drain(app: &TestApp) -> usize {
    let mut total = 0;
    for _ in 0..100 {
        let n = px360::jobs::worker::process_batch(&app.state, Queue::Notifications, "test-worker", 10).await.unwrap();
        if n == 0 {
            break;
        }
        total += n;
    }
    total
}

/// Makes every queued notification job due now (skips backoff waits).
async fn make_due(app: &TestApp) {
    job::Entity::update_many()
        .col_expr(job::Column::RunAt, Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)))
        .filter(job::Column::Status.eq("queued"))
        .filter(job::Column::Queue.eq("notifications"))
        .exec(app.db())
        .await
        .unwrap();
}

/// Runs jobs, skipping backoff waits, until nothing is queued.
async fn drain_all(app: &TestApp) {
    for _ in 0..20 {
        make_due(app).await;
        if drain(app).await == 0 {
            return;
        }
    }
}

fn twilio_signature(url: &str, params: &[(&str, &str)]) -> String {
    let mut sorted = params.to_vec();
    sorted.sort();
    let data: String = std::iter::once(url.to_owned()).chain(sorted.iter().map(|(k, v)| format!("{k}{v}"))).collect();
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(TWILIO_TOKEN.as_bytes()).unwrap();
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

async fn twilio_hook(app: &TestApp, params: &[(&str, &str)], signature: Option<String>) -> StatusCode {
    let path = "/api/notifications/webhooks/twilio/";
    let sig = signature.unwrap_or_else(|| twilio_signature(&format!("{PUBLIC}{path}"), params));
    app.client.post(app.url(path)).header("X-Twilio-Signature", sig).form(params).send().await.unwrap().status()
}

async fn whatsapp_hook(app: &TestApp, body: &Value, secret: &str) -> StatusCode {
    let raw = serde_json::to_vec(body).unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(&raw);
    let sig = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    app.client
        .post(app.url("/api/notifications/webhooks/whatsapp/"))
        .header("X-Hub-Signature-256", sig)
        .header("content-type", "application/json")
        .body(raw)
        .send()
        .await
        .unwrap()
        .status()
}

fn has_bidi(s: &str) -> bool {
    s.chars().any(|c| matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
}

async fn opt_outs(app: &TestApp) -> Vec<opt_out::Model> {
    opt_out::Entity::find().all(app.db()).await.unwrap()
}

// ---------------------------------------------------------------- providers

#[tokio::test]
async fn twilio_receives_sms_and_whatsapp_with_the_right_fields_and_arabic_intact() {
    let e = env(|_| {}).await;
    let p = patient(&e, "MRN-T1", "0501234567", "", "ar").await;
    let (sms, status) = send_ok(&e, json!({"patient_id": p, "channel": "sms", "template_code": "test_message"})).await;
    assert_eq!(status, "queued");
    let (wa, _) = send_ok(&e, json!({"patient_id": p, "channel": "whatsapp", "template_code": "test_message"})).await;
    assert_eq!(drain(&e.app).await, 2);

    let requests = e.fake.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    let expected_auth =
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{TWILIO_SID}:{TWILIO_TOKEN}")));
    for (id, to, from) in
        [(sms, "+966501234567", "+15005550006"), (wa, "whatsapp:+966501234567", "whatsapp:+14155238886")]
    {
        let r = requests.iter().find(|r| r.header("idempotency-key") == id.to_string()).expect("request per message");
        assert_eq!(r.path, format!("/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"));
        assert_eq!(r.header("authorization"), expected_auth);
        assert!(r.header("content-type").starts_with("application/x-www-form-urlencoded"));
        let form = r.form();
        assert_eq!(form["To"], to);
        assert_eq!(form["From"], from);
        assert_eq!(form["StatusCallback"], format!("{PUBLIC}/api/notifications/webhooks/twilio/"));
        let body = &form["Body"];
        assert_eq!(body, "رسالة تجريبية من PX360 إلى سالم الحربي من مستشفى Alpha.");
        assert!(!has_bidi(body), "no bidi marks in {body:?}");
        let m = msg(&e.app, id).await;
        assert_eq!(m.status, "sent");
        assert_eq!(m.provider, "twilio");
        assert!(m.provider_message_id.as_deref().is_some_and(|s| s.starts_with("SM")));
        assert_eq!(m.attempts, 1);
        assert!(m.sent_at.is_some());
        assert_eq!(m.body, *body, "the row holds the text as sent");
    }
    // Jobs are done, not left behind.
    assert!(jobs_of(&e.app, sms).await.iter().all(|j| j.status == "done"));
}

#[tokio::test]
async fn unifonic_receives_its_form_and_its_delivery_reports_need_the_token() {
    let e = env(|c| c.notifications.sms_provider = "unifonic".into()).await;
    let p = patient(&e, "MRN-U1", "0551234567", "", "en").await;
    let (id, _) = send_ok(&e, json!({"patient_id": p, "channel": "sms", "template_code": "test_message"})).await;
    drain(&e.app).await;
    let requests = e.fake.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.path, "/rest/SMS/messages");
    assert_eq!(r.header("idempotency-key"), id.to_string());
    let form = r.form();
    assert_eq!(form["AppSid"], "unifonic-app-sid");
    assert_eq!(form["SenderID"], "PX360");
    assert_eq!(form["Recipient"], "966551234567", "digits without +");
    assert_eq!(form["responseType"], "JSON");
    assert_eq!(form["Body"], "PX360 test message for Salem Harbi from Alpha Hospital.");
    let m = msg(&e.app, id).await;
    assert_eq!((m.status.as_str(), m.provider.as_str()), ("sent", "unifonic"));
    let provider_id = m.provider_message_id.clone().unwrap();
    assert!(provider_id.parse::<u64>().is_ok(), "{provider_id}");

    let hook = |token: &'static str, body: Value| {
        e.app
            .client
            .post(e.app.url("/api/notifications/webhooks/unifonic/"))
            .header("X-Webhook-Token", token)
            .json(&body)
            .send()
    };
    let delivered = json!({"messageId": provider_id, "status": "Delivered"});
    assert_eq!(hook("wrong", delivered.clone()).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(msg(&e.app, id).await.status, "sent", "a bad token changes nothing");
    let unknown = json!({"messageId": "999999", "status": "Delivered"});
    assert_eq!(hook(UNIFONIC_HOOK, unknown).await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(hook(UNIFONIC_HOOK, delivered).await.unwrap().status(), StatusCode::OK);
    let m = msg(&e.app, id).await;
    assert_eq!(m.status, "delivered");
    assert!(m.delivered_at.is_some());
    // A form-encoded report works too, and never moves a message backwards.
    let resp = e
        .app
        .client
        .post(e.app.url("/api/notifications/webhooks/unifonic/"))
        .header("X-Webhook-Token", UNIFONIC_HOOK)
        .form(&[("messageId", provider_id.as_str()), ("status", "Sent")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(msg(&e.app, id).await.status, "delivered");
}

#[tokio::test]
async fn whatsapp_cloud_gets_json_with_a_bearer_token_and_its_webhooks_are_signed() {
    let e = env(|c| c.notifications.whatsapp_provider = "whatsapp_cloud".into()).await;
    let p = patient(&e, "MRN-W1", "0561234567", "", "ar").await;
    let (id, _) = send_ok(&e, json!({"patient_id": p, "channel": "whatsapp", "template_code": "test_message"})).await;
    drain(&e.app).await;
    let requests = e.fake.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.path, format!("/v21.0/{WA_PHONE_ID}/messages"));
    assert_eq!(r.header("authorization"), format!("Bearer {WA_TOKEN}"));
    assert_eq!(r.header("idempotency-key"), id.to_string());
    let body = r.json();
    assert_eq!(body["messaging_product"], "whatsapp");
    assert_eq!(body["to"], "966561234567");
    assert_eq!(body["type"], "text");
    let text = body["text"]["body"].as_str().unwrap();
    assert!(text.contains("سالم") && !has_bidi(text), "{text:?}");
    let m = msg(&e.app, id).await;
    assert_eq!(m.provider, "whatsapp_cloud");
    let wamid = m.provider_message_id.clone().unwrap();

    let report = |id: &str, status: &str| {
        json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages",
            "value": {"messaging_product": "whatsapp", "statuses": [{"id": id, "status": status, "recipient_id": "966561234567"}]}}]}]})
    };
    assert_eq!(whatsapp_hook(&e.app, &report(&wamid, "delivered"), "not-the-secret").await, StatusCode::FORBIDDEN);
    assert_eq!(msg(&e.app, id).await.status, "sent");
    assert_eq!(whatsapp_hook(&e.app, &report("wamid.unknown", "delivered"), WA_SECRET).await, StatusCode::NOT_FOUND);
    assert_eq!(whatsapp_hook(&e.app, &report(&wamid, "delivered"), WA_SECRET).await, StatusCode::OK);
    assert_eq!(msg(&e.app, id).await.status, "delivered");

    // The subscription check echoes the challenge only with the right verify token.
    let verify = |token: &str| {
        e.app.client.get(e.app.url(&format!(
            "/api/notifications/webhooks/whatsapp/?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444"
        )))
    };
    let ok = verify(WA_SECRET).send().await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.text().await.unwrap(), "1158201444");
    assert_eq!(verify("nope").send().await.unwrap().status(), StatusCode::FORBIDDEN);

    // An inbound إيقاف opts the sender out of WhatsApp; the next message is suppressed.
    let inbound = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages",
        "value": {"messaging_product": "whatsapp", "contacts": [{"wa_id": "966561234567"}],
                  "messages": [{"from": "966561234567", "id": "wamid.in1", "type": "text", "text": {"body": "إيقاف"}}]}}]}]});
    assert_eq!(whatsapp_hook(&e.app, &inbound, WA_SECRET).await, StatusCode::OK);
    let outs = opt_outs(&e.app).await;
    assert_eq!(outs.len(), 1);
    assert_eq!((outs[0].channel.as_str(), outs[0].address.as_str()), ("whatsapp", "+966561234567"));
    assert_eq!(outs[0].patient_id, Some(p));
    let (_, m) = send(&e, json!({"patient_id": p, "channel": "whatsapp", "template_code": "test_message"})).await;
    assert_eq!(m["status"], "suppressed");
    assert_eq!(m["reason"], "opted out of whatsapp");
    drain_all(&e.app).await;
    assert_eq!(e.fake.count(), 1, "nothing more was sent");
}

/// The body of a MIME message as text (base64 or quoted-printable decoded).
fn mime_body(data: &str) -> String {
    let (head, body) = data.split_once("\r\n\r\n").unwrap();
    let encoding = head
        .lines()
        .find_map(|l| l.to_lowercase().strip_prefix("content-transfer-encoding:").map(|v| v.trim().to_owned()))
        .unwrap_or_default();
    match encoding.as_str() {
        "base64" => {
            let joined: String = body.split_whitespace().collect();
            String::from_utf8(base64::engine::general_purpose::STANDARD.decode(joined).unwrap()).unwrap()
        }
        "quoted-printable" => {
            let soft = body.replace("=\r\n", "");
            let mut bytes = Vec::new();
            let raw = soft.as_bytes();
            let mut i = 0;
            while i < raw.len() {
                if raw[i] == b'=' && i + 2 < raw.len() {
                    bytes.push(u8::from_str_radix(std::str::from_utf8(&raw[i + 1..i + 3]).unwrap(), 16).unwrap());
                    i += 3;
                } else {
                    bytes.push(raw[i]);
                    i += 1;
                }
            }
            String::from_utf8(bytes).unwrap()
        }
        _ => body.to_owned(),
    }
}

#[tokio::test]
async fn email_goes_out_over_smtp_with_its_message_id() {
    let e = env(|_| {}).await;
    let p = patient(&e, "MRN-E1", "0501234567", "Salem@Example.com", "ar").await;
    let (id, _) = send_ok(&e, json!({"patient_id": p, "channel": "email", "template_code": "test_message"})).await;
    drain(&e.app).await;
    let m = msg(&e.app, id).await;
    assert_eq!(m.status, "sent", "{}", m.error);
    assert_eq!(m.provider, "smtp");
    assert_eq!(m.provider_message_id.as_deref(), Some(format!("<{id}@px360>").as_str()));
    assert_eq!(m.recipient, "salem@example.com");
    assert_eq!(m.subject, "رسالة تجريبية من PX360");
    let mails = e.mails.lock().unwrap().clone();
    assert_eq!(mails.len(), 1);
    let data = &mails[0];
    let headers = data.split("\r\n\r\n").next().unwrap().to_lowercase();
    assert!(headers.contains(&format!("message-id: <{id}@px360>")), "{data}");
    assert!(headers.contains("to: salem@example.com"), "{data}");
    assert!(headers.contains("from: px360 <no-reply@px360.test>"), "{data}");
    assert!(headers.contains("subject: "), "{data}");
    assert!(headers.contains("content-type: text/plain; charset=utf-8"), "{data}");
    let body = mime_body(data);
    assert_eq!(body.trim_end(), "رسالة تجريبية من PX360 إلى \u{2067}سالم\u{2069} الحربي من مستشفى Alpha.");
}

// ---------------------------------------------------------------- failures and retries

#[tokio::test]
async fn server_errors_are_retried_with_backoff_then_the_job_dies_and_the_message_fails() {
    let e = env(|_| {}).await;
    e.fake.set(Mode::ServerError);
    let p = patient(&e, "MRN-R1", "0501234567", "", "en").await;
    let (id, _) = send_ok(&e, json!({"patient_id": p, "channel": "sms", "template_code": "test_message"})).await;
    for attempt in 1..=5 {
        let before = chrono::Utc::now();
        assert_eq!(drain(&e.app).await, 1, "attempt {attempt}");
        let jobs = jobs_of(&e.app, id).await;
        assert_eq!(jobs.len(), 1);
        let j = &jobs[0];
        assert_eq!(j.attempts, attempt);
        let m = msg(&e.app, id).await;
        assert_eq!(m.attempts, attempt);
        if attempt < 5 {
            assert_eq!(j.status, "queued", "retried");
            let wait = j.run_at - before;
            assert!(wait >= chrono::Duration::seconds(1 << attempt) - chrono::Duration::milliseconds(100), "{wait}");
            assert!(j.last_error.contains("HTTP 500"), "{}", j.last_error);
            assert_eq!(m.status, "queued");
            assert!(m.error.contains("HTTP 500"));
            make_due(&e.app).await;
        } else {
            assert_eq!(j.status, "dead");
            assert_eq!(m.status, "failed");
            assert!(m.error.starts_with("gave up after 5 attempts"), "{}", m.error);
            assert!(m.error.contains("upstream unavailable"), "{}", m.error);
        }
    }
    assert_eq!(e.fake.count(), 5);
    drain_all(&e.app).await;
    assert_eq!(e.fake.count(), 5, "nothing is retried after that");
}

#[tokio::test]
async fn a_timeout_is_retried() {
    let e = env(|c| c.notifications.provider_timeout_seconds = 1).await;
    e.fake.set(Mode::Sleep(Duration::from_millis(2500)));
    let p = patient(&e, "MRN-R2", "0501234567", "", "en").await;
    let (id, _) = send_ok(&e, json!({"patient_id": p, "channel": "sms", "template_code": "test_message"})).await;
    drain(&e.app).await;
    let m = msg(&e.app, id).await;
    assert_eq!(m.status, "queued");
    assert!(m.error.contains("timed out"), "{}", m.error);
    assert_eq!(jobs_of(&e.app, id).await[0].status, "queued");
    e.fake.set(Mode::Ok);
    drain_all(&e.app).await;
    let m = msg(&e.app, id).await;
    assert_eq!(m.status, "sent");
    assert_eq!(m.attempts, 2);
    assert_eq!(m.error, "");
}

#[tokio::test]
async fn an_invalid_number_fails_at_once_with_the_providers_reason() {
    let e = env(|c| c.notifications.whatsapp_provider = "whatsapp_cloud".into()).await;
    e.fake.set(Mode::InvalidNumber);
    let p = patient(&e, "MRN-R3", "0501234567", "", "en").await;
    for channel in ["sms", "whatsapp"] {
        let (id, _) = send_ok(&e, json!({"patient_id": p, "channel": channel, "template_code": "test_message"})).await;
        let before = e.fake.count();
        drain(&e.app).await;
        assert_eq!(e.fake.count(), before + 1, "{channel}: called exactly once");
        let m = msg(&e.app, id).await;
        assert_eq!(m.status, "failed", "{channel}");
        assert_eq!(m.attempts, 1);
        let jobs = jobs_of(&e.app, id).await;
        assert_eq!(jobs[0].status, "done", "{channel}: the job is finished, not retried");
        let (status, view) = json(e.app.get(&format!("/api/notifications/messages/{id}/"), &e.px).await).await;
        assert_eq!(status, StatusCode::OK);
        let reason = view["reason"].as_str().unwrap();
        let want = if channel == "sms" { "not a valid phone number" } else { "not a valid WhatsApp user" };
        assert!(reason.contains(want), "{channel}: {reason}");
        assert!(reason.contains("HTTP 400"), "{reason}");
    }
    // Unifonic refuses with HTTP 200 and success: false.
    let e = env(|c| c.notifications.sms_provider = "unifonic".into()).await;
    e.fake.set(Mode::InvalidNumber);
    let p = patient(&e, "MRN-R4", "0501234567", "", "en").await;
    let (id, _) = send_ok(&e, json!({"patient_id": p, "channel": "sms", "template_code": "test_message"})).await;
    drain_all(&e.app).await;
    assert_eq!(e.fake.count(), 1);
    let m = msg(&e.app, id).await;
    assert_eq!(m.status, "failed");
    assert_eq!(m.error, "unifonic: Invalid recipient number (ER-09)");
}

#[tokio::test]
async fn the_same_job_delivered_twice_calls_the_provider_once() {
    let e = env(|_| {}).await;
    let p = patient(&e, "MRN-D1", "0501234567", "", "en").await;
    let (id, _) = send_ok(&e, json!({"patient_id": p, "channel": "sms", "template_code": "test_message"})).await;
    // A second job for the same message (e.g. a re-delivered queue entry), claimed in the same batch.
    px360::jobs::queue::enqueue(e.app.db(), &Job::SendNotification { message_id: id }, Enqueue::default())
        .await
        .unwrap();
    drain_all(&e.app).await;
    assert_eq!(e.fake.count(), 1, "one provider call");
    let m = msg(&e.app, id).await;
    assert_eq!(m.status, "sent");
    assert_eq!(m.attempts, 1);
    let jobs = jobs_of(&e.app, id).await;
    assert_eq!(jobs.len(), 2);
    assert!(jobs.iter().all(|j| j.status == "done"), "{jobs:?}");
    let sid = m.provider_message_id.clone().unwrap();

    // Once sent, another job for it is a no-op.
    px360::jobs::queue::enqueue(e.app.db(), &Job::SendNotification { message_id: id }, Enqueue::default())
        .await
        .unwrap();
    drain_all(&e.app).await;
    assert_eq!(e.fake.count(), 1);

    // A worker that died after calling the provider leaves the row `sending`; the retry takes it
    // over and calls again with the same Idempotency-Key, which the provider deduplicates.
    message::Entity::update_many()
        .col_expr(message::Column::Status, Expr::value("sending"))
        .col_expr(message::Column::UpdatedAt, Expr::value(chrono::Utc::now() - chrono::Duration::minutes(10)))
        .filter(message::Column::Id.eq(id))
        .exec(e.app.db())
        .await
        .unwrap();
    px360::jobs::queue::enqueue(e.app.db(), &Job::SendNotification { message_id: id }, Enqueue::default())
        .await
        .unwrap();
    drain_all(&e.app).await;
    let requests = e.fake.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].header("idempotency-key"), requests[1].header("idempotency-key"));
    let m = msg(&e.app, id).await;
    assert_eq!(m.status, "sent");
    assert_eq!(m.provider_message_id.as_deref(), Some(sid.as_str()), "the provider answered with the same message");
}

// ---------------------------------------------------------------- webhooks and opt-outs

#[tokio::test]
async fn twilio_webhooks_are_signed_update_the_row_and_stop_opts_out() {
    let e = env(|_| {}).await;
    let p = patient(&e, "MRN-H1", "0501234567", "", "en").await;
    let (id, _) = send_ok(&e, json!({"patient_id": p, "channel": "sms", "template_code": "test_message"})).await;
    drain(&e.app).await;
    let sid = msg(&e.app, id).await.provider_message_id.unwrap();

    let delivered = [("MessageSid", sid.as_str()), ("MessageStatus", "delivered"), ("AccountSid", TWILIO_SID)];
    assert_eq!(twilio_hook(&e.app, &delivered, Some("bm90IGEgc2lnbmF0dXJl".into())).await, StatusCode::FORBIDDEN);
    let resp =
        e.app.client.post(e.app.url("/api/notifications/webhooks/twilio/")).form(&delivered).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "no signature at all");
    // Signed for other parameters than those sent.
    let forged = twilio_signature(
        &format!("{PUBLIC}/api/notifications/webhooks/twilio/"),
        &[("MessageSid", sid.as_str()), ("MessageStatus", "sent")],
    );
    assert_eq!(twilio_hook(&e.app, &delivered, Some(forged)).await, StatusCode::FORBIDDEN);
    assert_eq!(msg(&e.app, id).await.status, "sent", "nothing changed");

    let unknown = [("MessageSid", "SM_unknown"), ("MessageStatus", "delivered")];
    assert_eq!(twilio_hook(&e.app, &unknown, None).await, StatusCode::NOT_FOUND);
    assert_eq!(twilio_hook(&e.app, &delivered, None).await, StatusCode::OK);
    assert_eq!(msg(&e.app, id).await.status, "delivered");

    // A second message that the carrier could not deliver.
    let (id2, _) = send_ok(&e, json!({"patient_id": p, "channel": "sms", "template_code": "test_message"})).await;
    drain(&e.app).await;
    let sid2 = msg(&e.app, id2).await.provider_message_id.unwrap();
    let undelivered = [("MessageSid", sid2.as_str()), ("MessageStatus", "undelivered"), ("ErrorCode", "30003")];
    assert_eq!(twilio_hook(&e.app, &undelivered, None).await, StatusCode::OK);
    let m2 = msg(&e.app, id2).await;
    assert_eq!(m2.status, "failed");
    assert_eq!(m2.error, "twilio: undelivered (error 30003)");

    // Inbound messages: chatter is ignored; STOP opts the SMS number out at once.
    let hello = [("MessageSid", "SMin1"), ("From", "+966501234567"), ("To", "+15005550006"), ("Body", "Thanks!")];
    assert_eq!(twilio_hook(&e.app, &hello, None).await, StatusCode::OK);
    assert!(opt_outs(&e.app).await.is_empty());
    let stop = [("MessageSid", "SMin2"), ("From", "+966501234567"), ("To", "+15005550006"), ("Body", " Stop ")];
    assert_eq!(twilio_hook(&e.app, &stop, None).await, StatusCode::OK);
    let outs = opt_outs(&e.app).await;
    assert_eq!(outs.len(), 1);
    assert_eq!(
        (outs[0].channel.as_str(), outs[0].address.as_str(), outs[0].patient_id),
        ("sms", "+966501234567", Some(p))
    );
    assert_eq!(twilio_hook(&e.app, &stop, None).await, StatusCode::OK, "a second STOP is fine");
    assert_eq!(opt_outs(&e.app).await.len(), 1);

    let before = e.fake.count();
    let (_, m) = send(&e, json!({"patient_id": p, "channel": "sms", "template_code": "test_message"})).await;
    assert_eq!(m["status"], "suppressed");
    assert_eq!(m["reason"], "opted out of sms");
    // WhatsApp is another channel: still allowed until إيقاف arrives from whatsapp:.
    let (queued_before, _) =
        send_ok(&e, json!({"patient_id": p, "channel": "whatsapp", "template_code": "test_message"})).await;
    let stop_ar = [("MessageSid", "SMin3"), ("From", "whatsapp:+966501234567"), ("Body", "إيقاف")];
    assert_eq!(twilio_hook(&e.app, &stop_ar, None).await, StatusCode::OK);
    assert!(opt_outs(&e.app).await.iter().any(|o| o.channel == "whatsapp" && o.address == "+966501234567"));
    let (_, m) = send(&e, json!({"patient_id": p, "channel": "whatsapp", "template_code": "test_message"})).await;
    assert_eq!(m["status"], "suppressed");
    // The message queued before the STOP is checked again when its job runs: it is not sent either.
    drain_all(&e.app).await;
    assert_eq!(e.fake.count(), before, "nothing went out after the STOPs");
    let m = msg(&e.app, queued_before).await;
    assert_eq!((m.status.as_str(), m.suppression_reason.as_str()), ("suppressed", "opted out of whatsapp"));
}

#[tokio::test]
async fn opt_outs_are_managed_over_the_api() {
    let e = env(|_| {}).await;
    let p = patient(&e, "MRN-O1", "0501234567", "salem@example.com", "en").await;
    let (status, created) =
        json(e.app.post("/api/notifications/opt-outs/", &e.px, &json!({"channel": "email", "patient_id": p})).await)
            .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["address"], "salem@example.com");
    let (status, again) =
        json(e.app.post("/api/notifications/opt-outs/", &e.px, &json!({"channel": "email", "patient_id": p})).await)
            .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(again["address"][0].as_str().unwrap().contains("already"), "{again}");
    let (status, bad) =
        json(e.app.post("/api/notifications/opt-outs/", &e.px, &json!({"channel": "sms", "address": "123"})).await)
            .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    common::assert_fields(&bad, &["address"]);

    let (_, m) = send(&e, json!({"patient_id": p, "channel": "email", "template_code": "test_message"})).await;
    assert_eq!(m["status"], "suppressed");
    // The viewer sees the list with the address masked; hospital B's admin does not see it.
    let viewer = e.app.token(&email(Role::Viewer)).await;
    let (status, list) = json(e.app.get("/api/notifications/opt-outs/", &viewer).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["count"], 1);
    assert!(list["results"][0]["address"].as_str().unwrap().starts_with('•'));
    let admin_b = e.app.token(common::ADMIN_B).await;
    let (_, list_b) = json(e.app.get("/api/notifications/opt-outs/", &admin_b).await).await;
    assert_eq!(list_b["count"], 0);
    let oid = created["id"].as_str().unwrap();
    let resp = e.app.delete(&format!("/api/notifications/opt-outs/{oid}/"), &admin_b).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = e.app.delete(&format!("/api/notifications/opt-outs/{oid}/"), &viewer).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = e.app.delete(&format!("/api/notifications/opt-outs/{oid}/"), &e.px).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let (_, m) = send(&e, json!({"patient_id": p, "channel": "email", "template_code": "test_message"})).await;
    assert_eq!(m["status"], "queued", "consent given again");
}

// ---------------------------------------------------------------- contact rules

#[tokio::test]
async fn quiet_hours_hold_messages_until_the_window_ends() {
    let e = env(|_| {}).await;
    let p = patient(&e, "MRN-Q1", "0501234567", "", "en").await;
    let riyadh_hour =
        (chrono::Utc::now() + chrono::Duration::hours(3)).format("%H").to_string().parse::<i32>().unwrap();
    set_quiet_hours(&e.app, riyadh_hour, (riyadh_hour + 2) % 24).await;
    let (id, status) = send_ok(&e, json!({"patient_id": p, "channel": "sms", "template_code": "test_message"})).await;
    assert_eq!(status, "queued");
    drain(&e.app).await;
    let m = msg(&e.app, id).await;
    assert_eq!(m.status, "held");
    assert_eq!(e.fake.count(), 0, "nothing sent during quiet hours");
    let local_end = (m.scheduled_for + chrono::Duration::hours(3)).format("%H:%M").to_string();
    assert_eq!(local_end, format!("{:02}:00", (riyadh_hour + 2) % 24));
    assert!(m.scheduled_for > chrono::Utc::now());
    let jobs = jobs_of(&e.app, id).await;
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0].status, "done");
    assert_eq!((jobs[1].status.as_str(), jobs[1].run_at), ("queued", m.scheduled_for), "released at the window's end");
    drain(&e.app).await;
    assert_eq!(msg(&e.app, id).await.status, "held", "the release job is not due yet");
    let (_, view) = json(e.app.get(&format!("/api/notifications/messages/{id}/"), &e.px).await).await;
    assert_eq!(view["status"], "held");

    // The window ends (simulated: the hours change and the job comes due): it goes out.
    set_quiet_hours(&e.app, 0, 0).await;
    drain_all(&e.app).await;
    assert_eq!(msg(&e.app, id).await.status, "sent");
    assert_eq!(e.fake.count(), 1);
}

#[tokio::test]
async fn a_second_survey_within_the_throttle_window_is_suppressed() {
    let e = env(|_| {}).await;
    let p = patient(&e, "MRN-F1", "0501234567", "", "en").await;
    let survey = json!({"patient_id": p, "channel": "sms", "template_code": "survey_invitation", "category": "survey",
                        "vars": {"survey_url": "https://px.example.org/s/AB12CD", "survey_name": "OPD survey", "expires_on": "2026-03-08"}});
    let (first, status) = send_ok(&e, survey.clone()).await;
    assert_eq!(status, "queued");
    assert_eq!(
        msg(&e.app, first).await.body,
        "Alpha Hospital: please tell us about your visit (OPD survey), it takes a minute: https://px.example.org/s/AB12CD (open until 2026-03-08)"
    );
    let (_, m) = send(&e, survey.clone()).await;
    assert_eq!(m["status"], "suppressed", "one is already waiting");
    assert!(m["reason"].as_str().unwrap().starts_with("frequency cap"), "{m}");
    drain_all(&e.app).await;
    assert_eq!(msg(&e.app, first).await.status, "sent");
    let (_, m) = send(&e, survey.clone()).await;
    assert_eq!(m["status"], "suppressed");
    assert_eq!(m["reason"], "frequency cap: a survey was sent today (at most one every 7 days)");
    // Other messages are not capped; with the cap at 0 surveys are not either.
    let (_, m) = send(&e, json!({"patient_id": p, "channel": "sms", "template_code": "test_message"})).await;
    assert_eq!(m["status"], "queued");
    hospital::Entity::update_many()
        .col_expr(hospital::Column::SurveyThrottleDays, Expr::value(0))
        .exec(e.app.db())
        .await
        .unwrap();
    let (_, m) = send(&e, survey).await;
    assert_eq!(m["status"], "queued");
}

#[tokio::test]
async fn bad_input_gives_a_clear_error_or_a_row_with_the_reason() {
    let e = env(|_| {}).await;
    let p = patient(&e, "MRN-B1", "0501234567", "", "en").await;
    let no_contact = patient(&e, "MRN-B2", "", "", "en").await;
    let rows = || message::Entity::find().count(e.app.db());

    // Missing variable: 400 naming it, nothing written.
    let (status, body) =
        send(&e, json!({"patient_id": p, "channel": "sms", "template_code": "survey_invitation"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    common::assert_fields(&body, &["vars"]);
    assert!(body["vars"][0].as_str().unwrap().contains("survey_url"), "{body}");
    // Unknown template, unknown channel, no body at all.
    let (status, body) = send(&e, json!({"patient_id": p, "channel": "sms", "template_code": "nope"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    common::assert_fields(&body, &["template_code"]);
    let (status, body) = send(&e, json!({"patient_id": p, "channel": "fax", "template_code": "test_message"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    common::assert_fields(&body, &["channel"]);
    let (status, body) = send(&e, json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    common::assert_fields(&body, &["channel", "patient_id", "template_code"]);
    let (status, body) =
        send(&e, json!({"patient_id": Uuid::now_v7(), "channel": "sms", "template_code": "test_message"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    common::assert_fields(&body, &["patient_id"]);
    assert_eq!(rows().await.unwrap(), 0);

    // No phone, no email, an invalid explicit number: failed rows with the reason, never sent.
    for (channel, patient, recipient, reason) in [
        ("sms", no_contact, None, "no phone number on file"),
        ("whatsapp", no_contact, None, "no phone number on file"),
        ("email", no_contact, None, "no email address on file"),
        ("sms", p, Some("12345"), "invalid phone number"),
        ("email", p, Some("not-an-email"), "invalid email address"),
    ] {
        let (status, m) = send(
            &e,
            json!({"patient_id": patient, "channel": channel, "template_code": "test_message", "recipient": recipient}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{m}");
        assert_eq!(m["status"], "failed", "{channel}");
        assert!(m["reason"].as_str().unwrap().starts_with(reason), "{channel}: {m}");
    }
    drain_all(&e.app).await;
    assert_eq!(e.fake.count(), 0);
    assert!(e.mails.lock().unwrap().is_empty());
    assert_eq!(job::Entity::find().count(e.app.db()).await.unwrap(), 0, "failed rows queue no job");
}

// ---------------------------------------------------------------- API: access, templates, preview

#[tokio::test]
async fn messages_follow_the_access_matrix_and_hospital_scope() {
    let e = env(|_| {}).await;
    let p = patient(&e, "MRN-A1", "0501234567", "", "en").await;
    let (id, _) = send_ok(&e, json!({"patient_id": p, "channel": "sms", "template_code": "test_message"})).await;
    let body = json!({"patient_id": p, "channel": "sms", "template_code": "test_message"});
    for role in [Role::HospitalAdmin, Role::PxCoordinator] {
        let token = e.app.token(&email(role)).await;
        let (status, m) = json(e.app.post("/api/notifications/messages/", &token, &body).await).await;
        assert_eq!(status, StatusCode::CREATED, "{role:?}: {m}");
    }
    for role in [Role::DepartmentManager, Role::Viewer] {
        let token = e.app.token(&email(role)).await;
        let resp = e.app.post("/api/notifications/messages/", &token, &body).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{role:?} may not send");
        let (status, list) = json(e.app.get("/api/notifications/messages/", &token).await).await;
        assert_eq!(status, StatusCode::OK, "{role:?} may read");
        assert_eq!(list["count"], 3);
        let recipient = list["results"][0]["recipient"].as_str().unwrap();
        assert_eq!(recipient.starts_with('•'), role == Role::Viewer, "masked below px_coordinator: {role:?}");
    }
    for role in [Role::Nurse, Role::Physician, Role::Staff, Role::SourceUser] {
        let token = e.app.token(&email(role)).await;
        let resp = e.app.get("/api/notifications/messages/", &token).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{role:?}");
    }
    let admin_b = e.app.token(common::ADMIN_B).await;
    let (_, list) = json(e.app.get("/api/notifications/messages/", &admin_b).await).await;
    assert_eq!(list["count"], 0, "hospital B sees none of hospital A's messages");
    let resp = e.app.get(&format!("/api/notifications/messages/{id}/"), &admin_b).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = e.app.post("/api/notifications/messages/", &admin_b, &body).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "a patient of another hospital does not exist for them");

    // Filters.
    let (_, px_list) =
        json(e.app.get(&format!("/api/notifications/messages/?patient_id={p}&status=queued&channel=sms"), &e.px).await)
            .await;
    assert_eq!(px_list["count"], 3);
    let (status, _) = json(e.app.get("/api/notifications/messages/?status=bogus", &e.px).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, none) = json(e.app.get("/api/notifications/messages/?channel=email", &e.px).await).await;
    assert_eq!(none["count"], 0);
}

#[tokio::test]
async fn px_admins_edit_templates_and_preview_them() {
    let e = env(|_| {}).await;
    let ha = e.app.token(&email(Role::HospitalAdmin)).await;
    let (status, list) = json(e.app.get("/api/notifications/templates/?code=test_message", &ha).await).await;
    assert_eq!(status, StatusCode::OK, "senders may read templates");
    assert_eq!(list["count"], 6);
    let new = json!({"code": "visit_reminder", "channel": "sms", "language": "ar", "body": "{{hospital_name}}: موعدك غدًا {{time}}"});
    let resp = e.app.post("/api/notifications/templates/", &ha, &new).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "templates are PX-admin only");
    let (status, created) = json(e.app.post("/api/notifications/templates/", &e.px, &new).await).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["placeholders"], json!(["hospital_name", "time"]));
    let (status, dup) = json(e.app.post("/api/notifications/templates/", &e.px, &new).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    common::assert_fields(&dup, &["code"]);
    let (status, bad) = json(
        e.app
            .post(
                "/api/notifications/templates/",
                &e.px,
                &json!({"code": "Bad Code", "channel": "email", "language": "fr", "body": "{{Oops}}"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    common::assert_fields(&bad, &["body", "code", "language", "subject"]);
    let tid = created["id"].as_str().unwrap();
    let (status, patched) = json(
        e.app.patch(&format!("/api/notifications/templates/{tid}/"), &e.px, &json!({"body": "موعدك {{time}}"})).await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["placeholders"], json!(["time"]));
    assert_eq!(patched["channel"], "sms", "other fields kept");

    // Preview: rendered with the values, bidi marks gone; a missing variable is named.
    let (status, shown) = json(
        e.app
            .post(
                "/api/notifications/templates/preview/",
                &ha,
                &json!({"channel": "sms", "language": "ar", "body": "مرحبا {{name}}", "vars": {"name": "\u{2067}سالم\u{2069}"}}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(shown["body"], "مرحبا سالم");
    assert_eq!(shown["sms_segments"], 1);
    let (status, missing) = json(
        e.app
            .post(
                "/api/notifications/templates/preview/",
                &ha,
                &json!({"channel": "sms", "body": "{{a}} {{b}}", "vars": {"a": "1"}}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(missing["vars"][0].as_str().unwrap().contains(": b."), "{missing}");

    // Delete; a message for a deleted template is a 400.
    let resp = e.app.delete(&format!("/api/notifications/templates/{tid}/"), &e.px).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = e.app.get(&format!("/api/notifications/templates/{tid}/"), &e.px).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    // The seed is idempotent.
    let again = px360::seed::reference::seed_notification_templates(e.app.db(), false).await.unwrap();
    let templates =
        px360::seed::reference::DEFAULT_TEMPLATES.len() + px360::domains::complaints::notify::TEMPLATES.len();
    assert_eq!((again.created, again.unchanged), (0, templates * 3), "every template, on 3 channels");
}

// ---------------------------------------------------------------- pages

#[tokio::test]
async fn the_outbox_templates_and_patient_pages_work_in_both_languages() {
    let e = env(|c| {
        c.notifications.sms_provider = "outbox".into();
        c.notifications.whatsapp_provider = "outbox".into();
        c.notifications.email_provider = "outbox".into();
    })
    .await;
    let p = patient(&e, "MRN-P1", "0501234567", "", "ar").await;
    let (client, csrf) = e.app.login_page_session(&email(Role::PxAdmin)).await;

    // The patient's detail page links to its messages; the form sends a test message.
    let detail =
        client.get(e.app.url(&format!("/organizations/patients/{p}/"))).send().await.unwrap().text().await.unwrap();
    assert!(detail.contains(&format!("/organizations/patients/{p}/messages/")), "link on the patient page");
    let page_url = e.app.url(&format!("/organizations/patients/{p}/messages/"));
    let resp = client
        .post(&page_url)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("channel", "sms"),
            ("template_code", "test_message"),
            ("language", ""),
            ("vars", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let target = common::location(&resp);
    assert!(target.contains("?sent="), "{target}");
    drain(&e.app).await;
    let (_, list) = json(e.app.get("/api/notifications/messages/", &e.px).await).await;
    let id = list["results"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(list["results"][0]["status"], "sent");
    assert_eq!(list["results"][0]["provider_message_id"], format!("outbox-{id}"));
    // A missing variable comes back on the form with a 400.
    let resp = client
        .post(&page_url)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("channel", "sms"),
            ("template_code", "survey_invitation"),
            ("language", "en"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.text().await.unwrap().contains("survey_url"));
    // Without the CSRF token nothing is sent.
    let resp =
        client.post(&page_url).form(&[("channel", "sms"), ("template_code", "test_message")]).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    let (_, templates) =
        json(e.app.get("/api/notifications/templates/?code=test_message&channel=sms&language=en", &e.px).await).await;
    let tid = templates["results"][0]["id"].as_str().unwrap().to_owned();
    for lang in ["ar", "en"] {
        let resp = client
            .post(e.app.url("/i18n/set-language/"))
            .form(&[("csrf_token", csrf.as_str()), ("language", lang)])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        for path in [
            "/notifications/outbox/".to_owned(),
            "/notifications/outbox/?channel=sms&status=sent".to_owned(),
            format!("/notifications/outbox/{id}/"),
            "/notifications/templates/".to_owned(),
            "/notifications/templates/new/".to_owned(),
            format!("/notifications/templates/{tid}/"),
            format!("/organizations/patients/{p}/messages/"),
            format!("/organizations/patients/{p}/messages/?sent={id}"),
            format!("/organizations/hospitals/{}/edit/", e.app.hospital_a.id),
        ] {
            let resp = client.get(e.app.url(&path)).send().await.unwrap();
            assert_eq!(resp.status(), StatusCode::OK, "{lang} {path}");
            let html = resp.text().await.unwrap();
            assert!(html.contains(&format!("lang=\"{lang}\"")), "{lang} {path}");
            assert!(!html.contains("notif-") && !html.contains("nav-outbox"), "{lang} {path}: a raw message key");
            if path.ends_with(&format!("/outbox/{id}/")) {
                assert!(html.contains("رسالة تجريبية من PX360"), "the rendered text is shown");
            }
        }
    }
    let outbox = client.get(e.app.url("/notifications/outbox/")).send().await.unwrap().text().await.unwrap();
    assert!(outbox.contains("id=\"status-summary\"") && outbox.contains("?status=sent"), "counts per status");
    // The outbox is in the navigation of roles that see patients only.
    let home = client.get(e.app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("href=\"/notifications/outbox/\""));
    let (nurse, _) = e.app.login_page_session(&email(Role::Nurse)).await;
    let home = nurse.get(e.app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(!home.contains("/notifications/outbox/"));
    assert_eq!(nurse.get(e.app.url("/notifications/outbox/")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let (viewer, _) = e.app.login_page_session(&email(Role::Viewer)).await;
    assert_eq!(
        viewer.get(e.app.url("/notifications/templates/")).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let page = viewer.get(&page_url).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("id=\"send\""), "no send form without ManagePatients");

    // Template editor: preview with sample values, then save.
    let form_url = e.app.url(&format!("/notifications/templates/{tid}/"));
    let preview = client
        .post(&form_url)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("code", "test_message"),
            ("channel", "sms"),
            ("language", "en"),
            ("subject", ""),
            ("body", "Hi {{patient_name}}, see {{survey_url}}"),
            ("sample", "patient_name=Huda\nsurvey_url=https://x.test/s/1"),
            ("is_active", "on"),
            ("intent", "preview"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(preview.status(), StatusCode::OK);
    let html = preview.text().await.unwrap();
    assert!(html.contains("Hi Huda, see https://x.test/s/1"), "the preview is rendered");
    let saved = client
        .post(&form_url)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("code", "test_message"),
            ("channel", "sms"),
            ("language", "en"),
            ("body", "Hello {{patient_name}} from {{hospital_name}}"),
            ("is_active", "on"),
            ("intent", "save"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let (_, t) = json(e.app.get(&format!("/api/notifications/templates/{tid}/"), &e.px).await).await;
    assert_eq!(t["body"], "Hello {{patient_name}} from {{hospital_name}}");
    let bad = client
        .post(&form_url)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("code", "test_message"),
            ("channel", "sms"),
            ("language", "en"),
            ("body", "{{oops"),
            ("intent", "save"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    // Hospital contact rules are editable settings.
    let (status, h) = json(
        e.app
            .patch(
                &format!("/api/organizations/hospitals/{}/", e.app.hospital_a.id),
                &e.px,
                &json!({"quiet_hours_start": 21, "quiet_hours_end": "7", "survey_throttle_days": 14}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{h}");
    assert_eq!(
        (h["quiet_hours_start"].clone(), h["quiet_hours_end"].clone(), h["survey_throttle_days"].clone()),
        (json!(21), json!(7), json!(14))
    );
    let (status, bad) = json(
        e.app
            .patch(
                &format!("/api/organizations/hospitals/{}/", e.app.hospital_a.id),
                &e.px,
                &json!({"quiet_hours_start": 24}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    common::assert_fields(&bad, &["quiet_hours_start"]);
}
