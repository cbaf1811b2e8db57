//! A `px360 worker` is killed with SIGKILL in the middle of an event storm and restarted: the end
//! state is still exact — every journey completed, every stage completed once, one survey per
//! survey stage, every event processed or (duplicates) ignored.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{TestApp, email, json};
use px360::auth::Role;
use px360::domains::integrations::model::inbound_event;
use px360::domains::journeys::model::{journey_instance, stage_instance};
use px360::domains::organizations::model::hospital;
use px360::domains::surveys::model::survey_instance;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

fn start_worker(app: &TestApp) -> Child {
    Command::new(env!("CARGO_BIN_EXE_px360"))
        .arg("worker")
        .env("PX360_DATABASE_URL", &app.state.config.database_url)
        .env("PX360_SECRET_KEY", app.state.config.secret_key.expose())
        .env("PX360_LOG_DIR", "")
        .env("PX360_LOG", "warn")
        .env("PX360_JOB_LEASE_SECONDS", "3")
        .env("PX360_WORKER_CONCURRENCY", "events=4,notifications=0,sla=0,analytics=0,default=0")
        .env_remove("PX360_REDIS_URL")
        .stdout(Stdio::null())
        .spawn()
        .expect("start px360 worker")
}

async fn count_where(app: &TestApp, status: &str) -> u64 {
    inbound_event::Entity::find().filter(inbound_event::Column::Status.eq(status)).count(app.db()).await.unwrap()
}

#[tokio::test]
async fn a_worker_killed_during_an_event_storm_leaves_the_end_state_exact() {
    let app = TestApp::spawn().await;
    let def = &px360::seed::bench::STANDARD_JOURNEYS[0];
    px360::seed::bench::seed_journey(app.db(), app.hospital_a.id, def, true).await.unwrap();
    px360::seed::reference::seed_notification_templates(app.db(), false).await.unwrap();
    hospital::Entity::update_many()
        .col_expr(hospital::Column::SurveyThrottleDays, Expr::value(0))
        .exec(app.db())
        .await
        .unwrap();
    let token = app.token(&email(Role::HospitalAdmin)).await;
    let codes = ["OPD_REGISTRATION", "OPD_CONSULTATION_DONE", "PHARMACY_DISPENSED"];
    let encounters = 40;
    let mut posted = 0;
    for i in 0..encounters {
        for (k, code) in codes.iter().enumerate() {
            let body = json!({
                "source_system": "his", "event_code": code, "encounter_id": format!("ENC-{i}"),
                "patient_identifier": format!("MRN-{i}"),
                "payload_json": {"custom_fields": if k == 0 { json!({"patient_phone": format!("05000{i:05}")}) } else { json!({}) }}
            });
            let (status, _) = json(app.post("/api/integrations/events/", &token, &body).await).await;
            assert_eq!(status, 201);
            posted += 1;
            if i % 10 == 0 && k == 1 {
                // An exact duplicate now and then.
                assert_eq!(json(app.post("/api/integrations/events/", &token, &body).await).await.0, 201);
                posted += 1;
            }
        }
    }

    let mut first = start_worker(&app);
    let deadline = Instant::now() + Duration::from_secs(60);
    while count_where(&app, "processed").await < 10 {
        assert!(Instant::now() < deadline, "the first worker processed nothing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill().unwrap(); // SIGKILL, mid-storm
    first.wait().unwrap();
    assert!(count_where(&app, "pending").await > 0, "killed before the end of the storm");

    let mut second = start_worker(&app);
    let deadline = Instant::now() + Duration::from_secs(120);
    while count_where(&app, "pending").await + count_where(&app, "processing").await > 0 {
        assert!(Instant::now() < deadline, "the events did not drain after the restart");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = Command::new("kill").arg("-TERM").arg(second.id().to_string()).status();
    second.wait().unwrap();

    let journeys = journey_instance::Entity::find().all(app.db()).await.unwrap();
    assert_eq!(journeys.len(), encounters);
    let stages = stage_instance::Entity::find()
        .filter(stage_instance::Column::Status.eq("completed"))
        .count(app.db())
        .await
        .unwrap();
    assert_eq!(stages, (encounters * codes.len()) as u64, "each posted stage completed exactly once");
    let surveys = survey_instance::Entity::find().count(app.db()).await.unwrap();
    assert_eq!(surveys, (encounters * 2) as u64, "consultation and pharmacy: one survey each");
    assert_eq!(count_where(&app, "processed").await, (encounters * codes.len()) as u64);
    assert_eq!(count_where(&app, "ignored").await, (posted - encounters * codes.len()) as u64);
    assert_eq!(count_where(&app, "failed").await, 0);
}
