//! A real `px360 worker` process is killed with SIGKILL while it is calling the SMS provider; a
//! second worker takes over the leased jobs. Every message must reach the provider exactly once in
//! effect: the fake Twilio server below dedupes by the `Idempotency-Key` PX360 sends, as real
//! providers that honour one do, and counts distinct effects.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use common::{TestApp, email};
use px360::auth::Actor;
use px360::auth::Role;
use px360::domains::notifications::model::message;
use px360::domains::notifications::service::{NewMessage, queue_message};
use px360::domains::organizations::model::hospital;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

#[derive(Default)]
struct Calls {
    /// Every request received: (idempotency key, sid answered).
    received: Vec<(String, String)>,
    /// Effects: idempotency key → the one sid it produced.
    effects: BTreeMap<String, String>,
}

type Fake = Arc<Mutex<Calls>>;

async fn twilio_messages(State(fake): State<Fake>, headers: HeaderMap) -> axum::Json<serde_json::Value> {
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    // Slow enough for the test to kill the worker while calls are in flight.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let mut calls = fake.lock().unwrap();
    let sid =
        calls.effects.entry(key.clone()).or_insert_with(|| format!("SM{}", uuid::Uuid::now_v7().simple())).clone();
    calls.received.push((key, sid.clone()));
    axum::Json(json!({"sid": sid, "status": "queued"}))
}

fn start_worker(app: &TestApp, fake_url: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_px360"))
        .arg("worker")
        .env("PX360_DATABASE_URL", &app.state.config.database_url)
        .env("PX360_SECRET_KEY", app.state.config.secret_key.expose())
        .env("PX360_LOG_DIR", "")
        .env("PX360_LOG", "warn")
        .env("PX360_JOB_LEASE_SECONDS", "3")
        .env("PX360_WORKER_CONCURRENCY", "notifications=4,events=0,sla=0,analytics=0,default=0")
        .env("PX360_NOTIFICATIONS__SMS_PROVIDER", "twilio")
        .env("PX360_NOTIFICATIONS__TWILIO_BASE_URL", fake_url)
        .env("PX360_NOTIFICATIONS__TWILIO_ACCOUNT_SID", "ACtest")
        .env("PX360_NOTIFICATIONS__TWILIO_AUTH_TOKEN", "token")
        .env("PX360_NOTIFICATIONS__TWILIO_FROM", "+15005550006")
        .env_remove("PX360_REDIS_URL")
        .stdout(Stdio::null())
        .spawn()
        .expect("start px360 worker")
}

async fn wait_for(what: &str, timeout: Duration, mut ready: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !ready().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_worker_killed_mid_send_loses_nothing_and_sends_nothing_twice() {
    let app = TestApp::spawn().await;
    px360::seed::reference::seed_notification_templates(app.db(), false).await.unwrap();
    // No quiet hours, whatever time it is in Riyadh.
    hospital::Entity::update_many()
        .col_expr(hospital::Column::QuietHoursStart, Expr::value(0))
        .col_expr(hospital::Column::QuietHoursEnd, Expr::value(0))
        .exec(app.db())
        .await
        .unwrap();

    let fake: Fake = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let fake_url = format!("http://{}", listener.local_addr().unwrap());
    let router = axum::Router::new()
        .route("/2010-04-01/Accounts/{sid}/Messages.json", post(twilio_messages))
        .with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let token = app.token(&email(Role::PxAdmin)).await;
    let mut ids = Vec::new();
    for i in 0..12 {
        let body = json!({"hospital_id": app.hospital_a.id, "mrn": format!("K-{i}"), "first_name_en": "Kill",
                          "phone": format!("05000000{i:02}")});
        let (status, patient) = common::json(app.post("/api/organizations/patients/", &token, &body).await).await;
        assert_eq!(status, 201, "{patient}");
        let new = NewMessage {
            patient_id: Some(patient["id"].as_str().unwrap().parse().unwrap()),
            channel: "sms".into(),
            template_code: "test_message".into(),
            language: Some("en".into()),
            category: "general".into(),
            ..Default::default()
        };
        ids.push(queue_message(&app.state, &Actor::system(), new).await.unwrap().id);
    }

    let mut first = start_worker(&app, &fake_url);
    wait_for("calls in flight", Duration::from_secs(30), async || !fake.lock().unwrap().received.is_empty()).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let before = fake.lock().unwrap().effects.len();
    assert!(before < ids.len(), "the worker was killed before finishing ({before} of {} sent)", ids.len());

    let mut second = start_worker(&app, &fake_url);
    let db = app.db().clone();
    let n = ids.len() as u64;
    wait_for("every message sent and every job done", Duration::from_secs(90), async || {
        use sea_orm::PaginatorTrait;
        message::Entity::find().filter(message::Column::Status.eq("sent")).count(&db).await.unwrap() == n
            && px360::jobs::queue::pending(&db).await.unwrap() == 0
    })
    .await;
    // A graceful stop this time.
    let _ = Command::new("kill").arg("-TERM").arg(second.id().to_string()).status();
    let status = second.wait().unwrap();
    assert!(status.success(), "the worker exits cleanly on SIGTERM: {status}");

    let (received, effects) = {
        let calls = fake.lock().unwrap();
        (calls.received.len(), calls.effects.clone())
    };
    assert_eq!(effects.len(), ids.len(), "one effect per message");
    for id in &ids {
        let m = message::Entity::find_by_id(*id).one(app.db()).await.unwrap().unwrap();
        let sid = effects.get(&id.to_string()).unwrap_or_else(|| panic!("message {id} never reached the provider"));
        assert_eq!(m.provider_message_id.as_deref(), Some(sid.as_str()), "message {id} records the provider's id");
    }
    // Retried calls after the kill carried the same key, so they produced no new effect.
    assert!(received >= effects.len());
    let jobs = px360::jobs::model::job::Entity::find().all(app.db()).await.unwrap();
    assert!(
        jobs.iter().all(|j| j.status == "done"),
        "{:?}",
        jobs.iter().map(|j| (&j.status, &j.last_error)).collect::<Vec<_>>()
    );
}
