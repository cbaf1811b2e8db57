//! Physician monthly ratings from the surveys linked to each physician: the mean of each survey's
//! physician questions, the month in Riyadh time, the minimum number of responses for a rank,
//! competition ranking within the hospital, and a month computed after its end is final.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, TimeZone, Utc};
use common::TestApp;
use common::surveys::{add_survey, add_template};
use px360::domains::analytics::model::physician_monthly_rating;
use px360::domains::analytics::physicians;
use px360::domains::organizations::model::staff;
use px360::domains::surveys::model::{survey_instance, survey_question, survey_response, survey_template};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

async fn physician(app: &TestApp, name: &str) -> Uuid {
    let at = Utc::now();
    let id = Uuid::now_v7();
    staff::ActiveModel {
        id: Set(id),
        hospital_id: Set(app.hospital_a.id),
        department_id: Set(Some(app.department_id(app.hospital_a.id, "OUT-002").await)),
        user_id: Set(None),
        staff_type: Set("physician".into()),
        employee_id: Set(format!("E-{}", &id.to_string()[..8])),
        first_name_en: Set(name.into()),
        last_name_en: Set("Test".into()),
        first_name_ar: Set("طبيب".into()),
        last_name_ar: Set("تجربة".into()),
        email: Set(String::new()),
        phone: Set(String::new()),
        job_title_en: Set(String::new()),
        job_title_ar: Set(String::new()),
        license_number: Set(Some(format!("LIC-{name}"))),
        specialization_en: Set(String::new()),
        specialization_ar: Set(String::new()),
        status: Set("active".into()),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
    }
    .insert(app.db())
    .await
    .unwrap();
    id
}

/// A completed survey for `doctor` at `at` with the two physician answers and a low overall.
async fn rated(app: &TestApp, t: &survey_template::Model, doctor: Uuid, at: DateTime<Utc>, a: f64, b: f64) {
    let id = add_survey(
        app,
        t,
        None,
        None,
        "completed",
        Some(3.0),
        false,
        &[("overall", json!(1)), ("doctor", json!(a)), ("explained", json!(b))],
    )
    .await;
    survey_instance::Entity::update_many()
        .col_expr(survey_instance::Column::PhysicianId, Expr::value(Some(doctor)))
        .col_expr(survey_instance::Column::CompletedAt, Expr::value(Some(at)))
        .filter(survey_instance::Column::Id.eq(id))
        .exec(app.db())
        .await
        .unwrap();
    survey_response::Entity::update_many()
        .col_expr(survey_response::Column::Score, Expr::col(survey_response::Column::ValueNumber))
        .filter(survey_response::Column::SurveyInstanceId.eq(id))
        .exec(app.db())
        .await
        .unwrap();
}

#[tokio::test]
async fn monthly_ratings_rank_physicians_with_enough_responses() {
    let app = TestApp::spawn().await;
    let t = add_template(
        &app,
        app.hospital_a.id,
        "opd",
        "average",
        &[("overall", "rating"), ("doctor", "rating"), ("explained", "likert")],
        false,
    )
    .await;
    survey_question::Entity::update_many()
        .col_expr(survey_question::Column::CountsForPhysician, Expr::value(true))
        .filter(survey_question::Column::SurveyTemplateId.eq(t.id))
        .filter(survey_question::Column::Code.is_in(["doctor", "explained"]))
        .exec(app.db())
        .await
        .unwrap();
    let txn = app.db().begin().await.unwrap();
    px360::domains::surveys::versions::publish(&txn, &t, None).await.unwrap();
    txn.commit().await.unwrap();

    let (huda, omar, lina) =
        (physician(&app, "Huda").await, physician(&app, "Omar").await, physician(&app, "Lina").await);
    let mid_march = Utc.with_ymd_and_hms(2026, 3, 15, 9, 0, 0).unwrap();
    for _ in 0..30 {
        rated(&app, &t, huda, mid_march, 5.0, 4.0).await; // 4.5 each
    }
    for _ in 0..31 {
        rated(&app, &t, omar, mid_march, 4.0, 4.0).await; // 4.0 each
    }
    for _ in 0..5 {
        rated(&app, &t, lina, mid_march, 5.0, 5.0).await; // too few to rank
    }
    // 22:30 UTC on 31 March is 01:30 on 1 April in Riyadh: April's, not March's.
    rated(&app, &t, lina, Utc.with_ymd_and_hms(2026, 3, 31, 22, 30, 0).unwrap(), 1.0, 1.0).await;
    // February's survey does not count in March.
    rated(&app, &t, omar, Utc.with_ymd_and_hms(2026, 2, 20, 9, 0, 0).unwrap(), 1.0, 1.0).await;

    let in_april = Utc.with_ymd_and_hms(2026, 4, 2, 0, 0, 0).unwrap();
    assert_eq!(physicians::compute_month(app.db(), 2026, 3, in_april).await.unwrap(), 3);
    // Computing again replaces, never duplicates.
    assert_eq!(physicians::compute_month(app.db(), 2026, 3, in_april).await.unwrap(), 3);
    let rows = physician_monthly_rating::Entity::find()
        .filter(physician_monthly_rating::Column::Month.eq("2026-03"))
        .order_by_desc(physician_monthly_rating::Column::Mean)
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    let by = |id: Uuid| rows.iter().find(|r| r.physician_id == id).unwrap();
    let (h, o, l) = (by(huda), by(omar), by(lina));
    assert_eq!((h.n, h.mean, h.hospital_rank, h.department_rank), (30, 4.5, Some(1), Some(1)));
    assert_eq!((o.n, o.mean, o.hospital_rank), (31, 4.0, Some(2)));
    assert_eq!((l.n, l.mean, l.hospital_rank), (5, 5.0, None), "5 responses: shown, not ranked");
    assert_eq!((h.positive, h.neutral, h.negative), (30, 0, 0));
    assert_eq!((h.ci_low, h.ci_high), (Some(4.5), Some(4.5)), "no spread, no interval width");
    assert!(rows.iter().all(|r| r.is_final && r.hospital_id == app.hospital_a.id));

    // While the month runs, its rows are not final.
    let during = Utc.with_ymd_and_hms(2026, 3, 20, 0, 0, 0).unwrap();
    physicians::compute_month(app.db(), 2026, 3, during).await.unwrap();
    let rows = physician_monthly_rating::Entity::find().all(app.db()).await.unwrap();
    assert!(rows.iter().all(|r| !r.is_final));
    // April has Lina's one late-night survey.
    assert_eq!(physicians::compute_month(app.db(), 2026, 4, in_april).await.unwrap(), 1);
}

#[test]
fn riyadh_months_and_their_bounds() {
    let (start, end) = physicians::month_bounds(2026, 12).unwrap();
    assert_eq!(start, Utc.with_ymd_and_hms(2026, 11, 30, 21, 0, 0).unwrap());
    assert_eq!(end, Utc.with_ymd_and_hms(2026, 12, 31, 21, 0, 0).unwrap());
    assert_eq!(physicians::month_of(Utc.with_ymd_and_hms(2026, 12, 31, 21, 0, 0).unwrap()), (2027, 1));
    assert_eq!(physicians::previous_month(2027, 1), (2026, 12));
    assert_eq!(physicians::previous_month(2026, 5), (2026, 4));
    assert!(physicians::month_bounds(2026, 13).is_none());
}

#[tokio::test]
async fn the_leaderboard_ranks_the_rolling_window_and_flags_too_few_responses() {
    let app = TestApp::spawn().await;
    let t =
        add_template(&app, app.hospital_a.id, "opd", "average", &[("overall", "rating"), ("doctor", "rating")], false)
            .await;
    survey_question::Entity::update_many()
        .col_expr(survey_question::Column::CountsForPhysician, Expr::value(true))
        .filter(survey_question::Column::SurveyTemplateId.eq(t.id))
        .filter(survey_question::Column::Code.eq("doctor"))
        .exec(app.db())
        .await
        .unwrap();
    let txn = app.db().begin().await.unwrap();
    px360::domains::surveys::versions::publish(&txn, &t, None).await.unwrap();
    txn.commit().await.unwrap();
    let (huda, omar) = (physician(&app, "Huda").await, physician(&app, "Omar").await);
    // Two months of the window: 20 + 15 responses for Huda (rankable together, not in either
    // month alone), 10 for Omar (never rankable).
    let now = Utc::now();
    let (y, m) = physicians::month_of(now);
    let (py, pm) = physicians::previous_month(y, m);
    let (this_month, last_month) = (
        physicians::month_bounds(y, m).unwrap().0 + chrono::Duration::hours(1),
        physicians::month_bounds(py, pm).unwrap().0 + chrono::Duration::days(3),
    );
    for _ in 0..20 {
        rated(&app, &t, huda, last_month, 5.0, 5.0).await;
    }
    for _ in 0..15 {
        rated(&app, &t, huda, this_month.min(now), 4.0, 4.0).await;
    }
    for _ in 0..10 {
        rated(&app, &t, omar, last_month, 5.0, 5.0).await;
    }
    physicians::compute_recent(app.db(), now).await.unwrap();

    let token = app.token(&common::email(px360::auth::Role::HospitalAdmin)).await;
    let (code, board) = common::json(app.get("/api/physicians/ratings/leaderboard/", &token).await).await;
    assert_eq!(code, reqwest::StatusCode::OK, "{board}");
    let list = board["physicians"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{board}");
    assert_eq!(list[0]["physician_id"], huda.to_string());
    assert_eq!(list[0]["rank"], 1);
    assert_eq!(list[0]["n"], 35);
    // (20·5 + 15·4) / 35 = 4.571…
    assert_eq!(list[0]["mean"], 4.57);
    assert!(list[0]["ci_low"].as_f64().unwrap() < 4.57 && list[0]["ci_high"].as_f64().unwrap() > 4.57);
    assert_eq!(list[1]["physician_id"], omar.to_string());
    assert_eq!(list[1]["rank"], serde_json::Value::Null, "10 responses: listed, not ranked");

    // The page says so in both languages; the physician's page shows the months.
    let (client, _) = app.login_page_session(&common::email(px360::auth::Role::HospitalAdmin)).await;
    let html = client.get(app.url("/physicians/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("ردود غير كافية"), "{html}");
    assert_eq!(html.matches("data-unranked").count(), 1);
    let page = client.get(app.url(&format!("/physicians/{huda}/"))).send().await.unwrap();
    assert_eq!(page.status(), reqwest::StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("data-chart="), "the monthly trend is drawn");
    assert_eq!(html.matches("<tr><td dir=\"ltr\">").count(), 2, "two months: {html}");
    let (_, history) = common::json(app.get(&format!("/api/physicians/{huda}/ratings_history/"), &token).await).await;
    assert_eq!(history["months"].as_array().unwrap().len(), 2, "{history}");
    assert_eq!(history["summary"]["n"], 35);

    // Another hospital's admin does not see them; an unknown id is a 404.
    let other = app.token(common::ADMIN_B).await;
    let resp = app.get(&format!("/api/physicians/{huda}/ratings_history/"), &other).await;
    assert_eq!(resp.status(), reqwest::StatusCode::NOT_FOUND);
    let (_, theirs) = common::json(app.get("/api/physicians/ratings/leaderboard/", &other).await).await;
    assert_eq!(theirs["physicians"], serde_json::json!([]));
    let resp = app.get(&format!("/api/physicians/{}/ratings_history/", Uuid::now_v7()), &token).await;
    assert_eq!(resp.status(), reqwest::StatusCode::NOT_FOUND);
    // The emergency department's manager does not see outpatient physicians.
    let dm = app.token(&common::email(px360::auth::Role::DepartmentManager)).await;
    let (_, mine) = common::json(app.get("/api/physicians/ratings/leaderboard/", &dm).await).await;
    assert_eq!(mine["physicians"], serde_json::json!([]));
    assert_eq!(
        app.get(&format!("/api/physicians/{huda}/ratings_history/"), &dm).await.status(),
        reqwest::StatusCode::NOT_FOUND
    );
}
