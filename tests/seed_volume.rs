//! `px360 admin seed-volume`, run small: it writes exactly the counts it was asked for, per
//! hospital; completed surveys carry their answers and score as the survey rules do; dates fall in
//! the window; complaint and action statuses agree with their SLA flags; the same seed gives the
//! same data set; and a second run refuses cleanly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, TimeZone, Utc};
use px360::app::AppState;
use px360::domains::analytics::model::{analytics_daily, kpi_value, physician_monthly_rating};
use px360::domains::complaints::model::{complaint, px_action};
use px360::domains::journeys::model::journey_instance;
use px360::domains::organizations::model::{hospital, patient, staff};
use px360::domains::surveys::model::{survey_instance, survey_response, survey_template, survey_template_version};
use px360::domains::surveys::rules::{self, Answer};
use px360::domains::surveys::versions;
use px360::seed::volume::{Spec, Summary, seed_volume};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Statement};
use uuid::Uuid;

async fn empty_state() -> (AppState, common::DbGuard) {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let (url, db, guard) = common::fresh_database().await;
    px360::db::migrate(&db).await.expect("migrate");
    let state = AppState::new(db, common::test_config(&url), None).expect("state");
    (state, guard)
}

fn spec() -> Spec {
    Spec { hospitals: 2, responses: 3_000, complaints: 300, actions: 150, years: 2, seed: 7 }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 9, 30, 0).unwrap()
}

fn comparable(mut s: Summary) -> Summary {
    s.seconds = 0.0;
    s.insert_seconds = 0.0;
    s.rebuild_seconds = 0.0;
    s
}

#[tokio::test]
async fn seed_volume_writes_what_it_was_asked_for_coherently_and_refuses_a_second_run() {
    let (state, _guard) = empty_state().await;
    let db = &state.db;
    let spec = spec();
    let summary = seed_volume(&state, &spec, now()).await.expect("seed-volume");
    let from = now() - Duration::days(2 * 365 + 1);
    assert!(summary.from >= from && summary.from < now() - Duration::days(729));

    // Exact counts, overall and per hospital.
    let hospitals = hospital::Entity::find().all(db).await.unwrap();
    assert_eq!(hospitals.len(), 2);
    assert_eq!(summary.hospitals.iter().map(|h| h.completed_journey_surveys).sum::<u64>(), 3_000);
    assert_eq!(summary.hospitals.iter().map(|h| h.complaints).sum::<u64>(), 300);
    assert_eq!(summary.hospitals.iter().map(|h| h.px_actions).sum::<u64>(), 150);
    assert!(summary.hospitals[0].complaints > summary.hospitals[1].complaints, "VOL-1 is the bigger hospital");
    for counts in &summary.hospitals {
        let h = hospitals.iter().find(|h| h.code == counts.code).expect("hospital");
        let n_staff = staff::Entity::find()
            .filter(staff::Column::HospitalId.eq(h.id))
            .filter(staff::Column::StaffType.eq("physician"))
            .count(db)
            .await
            .unwrap();
        assert_eq!(n_staff, 40);
        assert_eq!(counts.physicians, 40);
        let n_patients = patient::Entity::find().filter(patient::Column::HospitalId.eq(h.id)).count(db).await.unwrap();
        assert_eq!(n_patients, counts.patients);
        let n_journeys = journey_instance::Entity::find()
            .filter(journey_instance::Column::HospitalId.eq(h.id))
            .count(db)
            .await
            .unwrap();
        assert_eq!(n_journeys, counts.journey_instances);
        let surveys = survey_instance::Entity::find().filter(survey_instance::Column::HospitalId.eq(h.id));
        assert_eq!(surveys.clone().count(db).await.unwrap(), counts.survey_instances);
        let completed_journey = surveys
            .clone()
            .filter(survey_instance::Column::Source.eq("journey"))
            .filter(survey_instance::Column::Status.eq("completed"))
            .count(db)
            .await
            .unwrap();
        assert_eq!(completed_journey, counts.completed_journey_surveys);
        let resolution =
            surveys.clone().filter(survey_instance::Column::Source.eq("complaint")).count(db).await.unwrap();
        assert_eq!(resolution, counts.resolution_surveys);
        assert_eq!(
            complaint::Entity::find().filter(complaint::Column::HospitalId.eq(h.id)).count(db).await.unwrap(),
            counts.complaints
        );
        assert_eq!(
            px_action::Entity::find().filter(px_action::Column::HospitalId.eq(h.id)).count(db).await.unwrap(),
            counts.px_actions
        );
    }
    assert_eq!(summary.tables["survey_responses"], survey_response::Entity::find().count(db).await.unwrap());
    assert_eq!(summary.tables["journey_instances"], 3_000 + 4_200);

    // Surveys: ~40 % of journey surveys answered; every completed survey has its answers, which
    // score as the rules say for the pinned version.
    let surveys = survey_instance::Entity::find().all(db).await.unwrap();
    let journey: Vec<&survey_instance::Model> = surveys.iter().filter(|s| s.source == "journey").collect();
    let rate = 3_000.0 / journey.iter().filter(|s| s.status != "undeliverable").count() as f64;
    assert!((0.38..0.47).contains(&rate), "response rate {rate}");
    let mut answers: HashMap<Uuid, BTreeMap<String, Answer>> = HashMap::new();
    for r in survey_response::Entity::find().all(db).await.unwrap() {
        let a = match (r.value_number, &r.value_choices) {
            (Some(v), _) => Answer::Number(v),
            (None, Some(c)) => Answer::Choices(serde_json::from_value(c.clone()).unwrap()),
            (None, None) => Answer::Text(r.value_text.clone()),
        };
        answers.entry(r.survey_instance_id).or_default().insert(r.question_code, a);
    }
    let mut defs = HashMap::new();
    for v in survey_template_version::Entity::find().all(db).await.unwrap() {
        defs.insert(v.id, versions::definition(&v).unwrap());
    }
    let templates: HashMap<Uuid, String> =
        survey_template::Entity::find().all(db).await.unwrap().into_iter().map(|t| (t.id, t.code)).collect();
    let actions: HashMap<Uuid, px_action::Model> =
        px_action::Entity::find().all(db).await.unwrap().into_iter().map(|a| (a.id, a)).collect();
    let mut negatives = 0;
    for s in &surveys {
        assert!(s.created_at >= summary.from && s.created_at <= now(), "survey created {}", s.created_at);
        let def = &defs[&s.template_version_id.expect("pinned version")];
        if s.source == "journey" {
            assert!(s.journey_instance_id.is_some() && s.department_id.is_some());
        } else {
            assert_eq!(s.source, "complaint");
            assert_eq!(templates[&s.survey_template_id], "COMPLAINT-RESOLUTION");
        }
        if s.status != "completed" {
            assert!(!answers.contains_key(&s.id), "no answers without completion");
            assert!(["sent", "delivered", "expired", "undeliverable"].contains(&s.status.as_str()), "{}", s.status);
            assert_eq!(s.status == "expired", s.token_expires_at <= now() && s.status != "undeliverable");
            continue;
        }
        let a = answers.get(&s.id).expect("a completed survey has answers");
        let completed = s.completed_at.expect("completed_at");
        assert!(completed >= s.sent_at.unwrap() && completed <= now());
        let total = rules::total_score(def, a);
        assert_eq!(s.total_score, total);
        let score = s.score_100.expect("score_100");
        assert!((0.0..=100.0).contains(&score), "score_100 {score}");
        assert_eq!(s.is_negative, total.unwrap() < def.negative_threshold);
        negatives += usize::from(s.is_negative);
        if s.source == "complaint" {
            let overall = def.questions.iter().find(|q| q.is_overall).expect("overall question");
            assert!(a.contains_key(&overall.code), "the overall question is answered");
        }
        if let Some(action) = s.action_id {
            let a = &actions[&action];
            assert_eq!((a.source_type.as_str(), a.source_id), ("survey", Some(s.id)));
            assert!(s.is_negative);
        }
    }
    assert_eq!(negatives as u64, summary.negative_surveys);
    assert!(negatives > 100, "{negatives} negative surveys");

    // Complaints: in the window, statuses and SLA flags coherent.
    let complaints = complaint::Entity::find().all(db).await.unwrap();
    let by_id: HashMap<Uuid, &complaint::Model> = complaints.iter().map(|c| (c.id, c)).collect();
    let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
    for c in &complaints {
        *statuses.entry(c.status.clone()).or_default() += 1;
        assert!(c.received_at >= summary.from && c.received_at <= now());
        let due = c.due_at.expect("due_at");
        assert!(due > c.received_at);
        let running = matches!(c.status.as_str(), "open" | "in_progress");
        assert_eq!(c.is_overdue, running && now() > due, "{} {}", c.reference_number, c.status);
        assert_eq!(c.escalation_level > 0, c.is_overdue);
        assert!(c.category_id.is_some());
        match c.status.as_str() {
            "resolved" | "closed" => {
                let r = c.resolved_at.expect("resolved_at");
                assert!(r > c.received_at && r <= now());
                assert!(c.resolution_category.is_some());
                assert_eq!(c.closed_at.is_some(), c.status == "closed");
            }
            "cancelled" => assert!(c.cancelled_at.is_some_and(|t| t <= now())),
            _ => assert!(c.resolved_at.is_none() && c.closed_at.is_none()),
        }
    }
    assert_eq!(statuses, summary.complaint_statuses);
    for s in ["open", "in_progress", "resolved", "closed"] {
        assert!(statuses.get(s).copied().unwrap_or(0) > 0, "some complaints {s}");
    }
    let met = complaints.iter().filter(|c| c.resolved_at.is_some_and(|r| Some(r) <= c.due_at)).count();
    let missed = complaints.iter().filter(|c| c.resolved_at.is_some_and(|r| Some(r) > c.due_at)).count();
    assert!(met > missed && missed > 0, "SLA met {met}, missed {missed}");
    for s in surveys.iter().filter(|s| s.source == "complaint") {
        let c = by_id[&s.complaint_id.expect("complaint_id")];
        assert_eq!(c.status, "closed");
    }

    // Actions: every source, statuses and overdue flags coherent.
    let mut sources: BTreeMap<String, u64> = BTreeMap::new();
    for a in actions.values() {
        *sources.entry(a.source_type.clone()).or_default() += 1;
        assert!(a.created_at >= summary.from && a.created_at <= now());
        let running = matches!(a.status.as_str(), "open" | "in_progress");
        assert_eq!(a.is_overdue, running && a.due_at.is_some_and(|d| now() > d));
        if a.source_type == "complaint" {
            assert!(by_id.contains_key(&a.source_id.expect("source_id")));
        }
        if a.status == "closed" {
            assert!(a.closed_at.is_some_and(|t| t <= now()));
        }
    }
    assert_eq!(sources.len(), 3, "{sources:?}");
    assert_eq!(sources, summary.action_sources);

    // The analytics were rebuilt from these rows.
    let daily = analytics_daily::Entity::find().all(db).await.unwrap();
    assert_eq!(daily.iter().map(|r| i64::from(r.complaints_received)).sum::<i64>(), 300);
    assert_eq!(daily.iter().map(|r| i64::from(r.actions_created)).sum::<i64>(), 150);
    // …and the monthly rollups hold the daily ones summed per month.
    let mut per_month: std::collections::BTreeMap<String, [i64; 4]> = Default::default();
    for r in &daily {
        let m = per_month.entry(r.day[..7].to_owned()).or_default();
        for (i, v) in [r.complaints_received, r.actions_created, r.surveys_completed, r.score_n].into_iter().enumerate()
        {
            m[i] += i64::from(v);
        }
    }
    let sql = "SELECT month, CAST(SUM(complaints_received) AS bigint) AS a, CAST(SUM(actions_created) AS bigint) AS b, \
               CAST(SUM(surveys_completed) AS bigint) AS c, CAST(SUM(score_n) AS bigint) AS d \
               FROM analytics_monthly GROUP BY month";
    let mut monthly: std::collections::BTreeMap<String, [i64; 4]> = Default::default();
    for row in db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap() {
        let get = |c: &str| row.try_get::<i64>("", c).unwrap();
        monthly.insert(row.try_get("", "month").unwrap(), [get("a"), get("b"), get("c"), get("d")]);
    }
    per_month.retain(|_, v| v.iter().any(|n| *n != 0));
    monthly.retain(|_, v| v.iter().any(|n| *n != 0));
    assert!(monthly.len() >= 24, "two years of months: {monthly:?}");
    assert_eq!(monthly, per_month);
    assert!(physician_monthly_rating::Entity::find().count(db).await.unwrap() > 0);
    let moh3 = kpi_value::Entity::find()
        .filter(kpi_value::Column::KpiCode.eq("MOH-3"))
        .filter(kpi_value::Column::Value.is_not_null())
        .count(db)
        .await
        .unwrap();
    assert!(moh3 > 0, "MOH-3 has values");

    // Refused the second time, with nothing written.
    let err = seed_volume(&state, &spec, now()).await.expect_err("a second run refuses");
    assert!(err.to_string().contains("VOL-1, VOL-2 already exist"), "{err}");
    assert_eq!(complaint::Entity::find().count(db).await.unwrap(), 300);

    // The same seed on another database gives the same data set.
    let (other, _guard2) = empty_state().await;
    let again = seed_volume(&other, &spec, now()).await.expect("seed-volume again");
    assert_eq!(comparable(again), comparable(summary.clone()));
    // … and another seed a different one.
    let (third, _guard3) = empty_state().await;
    let different = seed_volume(&third, &Spec { seed: 8, ..spec }, now()).await.expect("seed-volume, seed 8");
    assert_ne!(comparable(different).score_100_sum, summary.score_100_sum);
}
