//! The command center and KPIs on a small hand-computed data set: the figures come from the
//! rollups, follow the filters and the previous period, stay within the reader's scope (a
//! department manager sees their department only, another hospital's ids are 404), and the
//! refresh picks up changed rows. KPIs are computed per month; a finished critical month opens
//! one PX action. The page draws its charts in both languages and exports a workbook.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Read;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use common::surveys::{add_survey, add_template};
use common::{TestApp, email, json};
use px360::auth::Role;
use px360::domains::analytics::model::kpi_value;
use px360::domains::analytics::{kpis, rollup};
use px360::domains::complaints::model::{complaint, px_action};
use px360::domains::surveys::model::{survey_instance, survey_question};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

/// Noon in Riyadh on `day`.
fn noon(day: &str) -> DateTime<Utc> {
    let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
    d.and_hms_opt(9, 0, 0).unwrap().and_utc()
}

/// A complaint filed through the API, then moved to `status` as if received on `day`.
async fn complaint_on(
    app: &TestApp,
    token: &str,
    department: Uuid,
    day: &str,
    status: &str,
    overdue: bool,
    resolved_late: Option<bool>,
) -> Uuid {
    let body = json!({
        "source": "patient",
        "title": "Waited too long",
        "description": "انتظرت أكثر من أربع ساعات في العيادة دون أن يخبرني أحد بالسبب.",
        "complainant_name": "Fahad",
        "complainant_phone": "0551234567",
        "department_id": department,
        "hospital_id": app.hospital_a.id,
    });
    let (code, created) = json(app.post("/api/complaints/", token, &body).await).await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    let id: Uuid = created["id"].as_str().unwrap().parse().unwrap();
    let received = noon(day);
    let due = received + Duration::hours(72);
    let resolved = resolved_late.map(|late| if late { due + Duration::hours(5) } else { due - Duration::hours(5) });
    complaint::Entity::update_many()
        .col_expr(complaint::Column::ReceivedAt, Expr::value(received))
        .col_expr(complaint::Column::DueAt, Expr::value(Some(due)))
        .col_expr(complaint::Column::Status, Expr::value(status))
        .col_expr(complaint::Column::IsOverdue, Expr::value(overdue))
        .col_expr(complaint::Column::ResolvedAt, Expr::value(resolved))
        .col_expr(complaint::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(complaint::Column::Id.eq(id))
        .exec(app.db())
        .await
        .unwrap();
    id
}

/// A completed survey of `department` on `day` with a 1–5 score and an NPS answer.
async fn survey_on(
    app: &TestApp,
    t: &px360::domains::surveys::model::survey_template::Model,
    department: Uuid,
    day: &str,
    score: f64,
    nps: f64,
) {
    let id = add_survey(
        app,
        t,
        None,
        Some(department),
        "completed",
        Some(score),
        score < 3.0,
        &[("overall", json!(score)), ("recommend", json!(nps))],
    )
    .await;
    survey_instance::Entity::update_many()
        .col_expr(survey_instance::Column::SentAt, Expr::value(Some(noon(day))))
        .col_expr(survey_instance::Column::CompletedAt, Expr::value(Some(noon(day) + Duration::hours(2))))
        .filter(survey_instance::Column::Id.eq(id))
        .exec(app.db())
        .await
        .unwrap();
}

fn card(body: &Value, key: &str) -> (Value, Value, Value) {
    let c = body["cards"].as_array().unwrap().iter().find(|c| c["key"] == key).unwrap_or_else(|| panic!("card {key}"));
    (c["value"].clone(), c["previous"].clone(), c["change"].clone())
}

#[tokio::test]
async fn the_command_center_sums_the_rollups_within_the_readers_scope() {
    let app = TestApp::spawn().await;
    let admin = app.token(&email(Role::PxAdmin)).await;
    let emergency = app.department_id(app.hospital_a.id, "EMR-001").await;
    let outpatient = app.department_id(app.hospital_a.id, "OUT-002").await;
    let t =
        add_template(&app, app.hospital_a.id, "opd", "average", &[("overall", "rating"), ("recommend", "nps")], true)
            .await;

    // The custom range 2026-03-01..03-28 has 28 days: the previous equal period is February.
    for (dept, day, status, overdue, late) in [
        (emergency, "2026-03-02", "open", true, None),
        (emergency, "2026-03-03", "in_progress", false, None),
        (emergency, "2026-03-05", "resolved", false, Some(false)),
        (emergency, "2026-03-06", "closed", false, Some(true)),
        (outpatient, "2026-03-10", "closed", false, Some(false)),
        (outpatient, "2026-03-11", "cancelled", false, None),
        (emergency, "2026-02-10", "closed", false, Some(false)),
        (outpatient, "2026-02-11", "closed", false, Some(false)),
    ] {
        complaint_on(&app, &admin, dept, day, status, overdue, late).await;
    }
    for (dept, day, score, nps) in [
        (emergency, "2026-03-04", 5.0, 10.0),
        (emergency, "2026-03-04", 4.0, 9.0),
        (emergency, "2026-03-09", 2.0, 3.0),
        (outpatient, "2026-03-12", 3.0, 7.0),
        (emergency, "2026-02-15", 4.0, 8.0),
    ] {
        survey_on(&app, &t, dept, day, score, nps).await;
    }
    // One more survey sent in March and never answered.
    let pending = add_survey(&app, &t, None, Some(emergency), "delivered", None, false, &[]).await;
    survey_instance::Entity::update_many()
        .col_expr(survey_instance::Column::SentAt, Expr::value(Some(noon("2026-03-20"))))
        .filter(survey_instance::Column::Id.eq(pending))
        .exec(app.db())
        .await
        .unwrap();

    // A kiosk survey: answered, never "sent" by a message; it counts as sent on the day made.
    let kiosk =
        add_survey(&app, &t, None, Some(outpatient), "completed", Some(4.0), false, &[("overall", json!(4))]).await;
    survey_instance::Entity::update_many()
        .col_expr(survey_instance::Column::SentAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(survey_instance::Column::CreatedAt, Expr::value(noon("2026-03-21")))
        .col_expr(survey_instance::Column::CompletedAt, Expr::value(Some(noon("2026-03-21"))))
        .filter(survey_instance::Column::Id.eq(kiosk))
        .exec(app.db())
        .await
        .unwrap();

    let first = rollup::refresh(app.db(), Utc::now()).await.unwrap();
    assert!(first.full, "the first refresh rebuilds everything");

    let march = "/api/analytics/command-center/?period=custom&from=2026-03-01&to=2026-03-28";
    let (code, body) = json(app.get(march, &admin).await).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["previous_from"], "2026-02-01");
    assert_eq!(body["previous_to"], "2026-02-28");
    // 6 received in March (one cancelled), 2 in February: +200 %.
    assert_eq!(card(&body, "complaints_total"), (json!(6.0), json!(2.0), json!(200.0)));
    assert_eq!(card(&body, "complaints_open").0, json!(2.0));
    assert_eq!(card(&body, "complaints_overdue").0, json!(1.0));
    assert_eq!(card(&body, "complaints_resolved").0, json!(3.0));
    // Due in March and resolved or overdue: three resolved (one late) and the overdue open one;
    // the in-progress one is neither yet → 2 of 4.
    assert_eq!(card(&body, "sla_compliance").0, json!(50.0));
    // Surveys: sent 6 in March (4 completed + 1 delivered + the kiosk one), 5 completed.
    assert_eq!(card(&body, "response_rate").0, json!(83.33));
    // Scores 5, 4, 2, 3 and the kiosk's 4; February's 4. Rates and scores change in points.
    assert_eq!(card(&body, "average_score"), (json!(3.6), json!(4.0), json!(-0.4)));
    // NPS answers 10, 9, 3, 7: 2 promoters, 1 passive, 1 detractor → +25.
    assert_eq!(card(&body, "nps").0, json!(25.0));
    assert_eq!(card(&body, "negative_surveys").0, json!(1.0));
    assert_eq!(body["score_distribution"], json!([0, 1, 1, 2, 1]));
    // Drill-down: the card links to the list behind the figure.
    let open = body["cards"].as_array().unwrap().iter().find(|c| c["key"] == "complaints_open").unwrap();
    let href = open["href"].as_str().unwrap();
    assert!(href.starts_with("/complaints/?") && href.contains("status=open%2Cin_progress"), "{href}");
    let list_api = href.replacen("/complaints/", "/api/complaints/", 1);
    let (code, list) = json(app.get(&list_api, &admin).await).await;
    assert_eq!(code, StatusCode::OK, "{list}");
    assert_eq!(list["count"], json!(2), "the list behind the card holds the same complaints: {list}");
    let negative = body["cards"].as_array().unwrap().iter().find(|c| c["key"] == "negative_surveys").unwrap();
    let href = negative["href"].as_str().unwrap();
    assert!(href.contains("completed_from=2026-03-01"), "{href}");
    let (code, list) = json(app.get(&href.replacen("/surveys/", "/api/surveys/instances/", 1), &admin).await).await;
    assert_eq!(code, StatusCode::OK, "{list}");
    assert_eq!(list["count"], json!(1), "the negative survey completed in March: {list}");
    // The trend has a point per day of the range.
    assert_eq!(body["trend"]["bucket"], "day");
    assert_eq!(body["trend"]["labels"].as_array().unwrap().len(), 28);

    // The department manager (emergency) sees the emergency department's figures only.
    let dm = app.token(&email(Role::DepartmentManager)).await;
    let (code, mine) = json(app.get(march, &dm).await).await;
    assert_eq!(code, StatusCode::OK, "{mine}");
    assert_eq!(card(&mine, "complaints_total").0, json!(4.0));
    assert_eq!(card(&mine, "average_score").0, json!(3.67));
    let names: Vec<&str> =
        mine["departments"].as_array().unwrap().iter().map(|d| d["department_id"].as_str().unwrap()).collect();
    assert_eq!(names, vec![emergency.to_string().as_str()]);
    // …and asking for another department is a 404, as is another hospital.
    let other = format!("{march}&department_id={outpatient}");
    assert_eq!(app.get(&other, &dm).await.status(), StatusCode::NOT_FOUND);
    let ha = app.token(&email(Role::HospitalAdmin)).await;
    let foreign = format!("{march}&hospital_id={}", app.hospital_b.id);
    assert_eq!(app.get(&foreign, &ha).await.status(), StatusCode::NOT_FOUND);
    // In the API a PX admin's `hospital_id` narrows their scope: another hospital's department
    // is then a 404, as for anyone.
    let px = app.token(&email(Role::PxAdmin)).await;
    let mixed = format!("{march}&hospital_id={}&department_id={emergency}", app.hospital_b.id);
    assert_eq!(app.get(&mixed, &px).await.status(), StatusCode::NOT_FOUND);
    // On the page, where the PX admin sees every hospital, it is a mistake in the filters: the
    // page says so (400) and shows the chosen hospital.
    let (px_page, _) = app.login_page_session(&email(Role::PxAdmin)).await;
    let mixed = format!("/analytics/command-center/?hospital_id={}&department_id={emergency}", app.hospital_b.id);
    let resp = px_page.get(app.url(&mixed)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let html = resp.text().await.unwrap();
    assert!(html.contains("اختر قسمًا من المستشفى المختار.") && html.contains("id=\"cc-cards\""), "{html}");
    // A hospital admin filtering by department gets that department.
    let (_, outp) = json(app.get(&format!("{march}&department_id={outpatient}"), &ha).await).await;
    assert_eq!(card(&outp, "complaints_total").0, json!(2.0));
    // A journey type narrows the survey figures only (these surveys have no journey).
    let (_, ems) = json(app.get(&format!("{march}&journey_type=ems"), &ha).await).await;
    assert_eq!(card(&ems, "complaints_total").0, json!(6.0));
    assert_eq!(card(&ems, "average_score").0, Value::Null);

    // Bad filters answer 400 naming the field.
    for (q, field) in [
        ("period=fortnight", "period"),
        ("period=custom&from=2026-03-10&to=2026-03-01", "to"),
        ("journey_type=spa", "journey_type"),
        ("department_id=12", "department_id"),
    ] {
        let (code, err) = json(app.get(&format!("/api/analytics/command-center/?{q}"), &ha).await).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{q}: {err}");
        common::assert_fields(&err, &[field]);
    }
    // Source users, nurses, staff and physicians have no command center, KPIs or leaderboard
    // (spec §3); a physician sees their own ratings page only.
    for role in [Role::SourceUser, Role::Nurse, Role::Staff, Role::Physician] {
        let token = app.token(&email(role)).await;
        for path in [march, "/api/analytics/kpis/", "/api/physicians/ratings/leaderboard/"] {
            assert_eq!(app.get(path, &token).await.status(), StatusCode::FORBIDDEN, "{role:?} {path}");
        }
    }

    // A complaint changes: the next refresh rebuilds its days and the figures follow.
    let reopened = complaint_on(&app, &admin, outpatient, "2026-03-15", "open", true, None).await;
    let again = rollup::refresh(app.db(), Utc::now()).await.unwrap();
    assert!(!again.full && again.days >= 1, "{again:?}");
    let (_, after) = json(app.get(march, &admin).await).await;
    assert_eq!(card(&after, "complaints_total").0, json!(7.0));
    assert_eq!(card(&after, "complaints_overdue").0, json!(2.0));
    let overdue: Vec<&str> =
        after["overdue_complaints"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert!(overdue.contains(&reopened.to_string().as_str()), "{overdue:?}");

    // Longer ranges read whole months from the monthly rollups, which the refresh keeps in step
    // with the days: mid-December to April 10 holds February and March whole (2 + 7).
    let long = "/api/analytics/command-center/?period=custom&from=2025-12-15&to=2026-04-10";
    let (code, body) = json(app.get(long, &admin).await).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(card(&body, "complaints_total").0, json!(9.0));
    assert_eq!(card(&body, "complaints_overdue").0, json!(2.0));
    // Scores 5, 4, 2, 3, the kiosk's 4 and February's 4.
    assert_eq!(card(&body, "average_score").0, json!(3.67));
    assert_eq!(body["trend"]["bucket"], "week");
    let by_department: Vec<(String, u64)> = body["departments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["department_id"].as_str().unwrap().to_owned(), d["complaints"].as_u64().unwrap()))
        .collect();
    assert_eq!(by_department, vec![(emergency.to_string(), 5), (outpatient.to_string(), 4)]);
    let (_, mine) = json(app.get(long, &dm).await).await;
    assert_eq!(card(&mine, "complaints_total").0, json!(5.0));
    // Seven months: a point per month, from the monthly rollups.
    let months = "/api/analytics/command-center/?period=custom&from=2025-10-01&to=2026-04-30";
    let (_, body) = json(app.get(months, &admin).await).await;
    assert_eq!(body["trend"]["bucket"], "month");
    assert_eq!(
        body["trend"]["labels"],
        json!(["2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04"])
    );
    assert_eq!(body["trend"]["complaints_received"], json!([0, 0, 0, 0, 2, 7, 0]));
    assert_eq!(body["trend"]["surveys_completed"], json!([0, 0, 0, 0, 1, 5, 0]));
    let slices: u64 = body["categories"].as_array().unwrap().iter().map(|c| c["complaints"].as_u64().unwrap()).sum();
    assert_eq!(slices, 9, "every complaint in one slice: {}", body["categories"]);
}

#[tokio::test]
async fn kpis_are_monthly_and_a_critical_finished_month_opens_one_action() {
    let app = TestApp::spawn().await;
    let admin = app.token(&email(Role::PxAdmin)).await;
    let emergency = app.department_id(app.hospital_a.id, "EMR-001").await;
    // The resolution survey with its overall question.
    let t = add_template(&app, app.hospital_a.id, "resolution", "average", &[("overall", "rating")], false).await;
    survey_question::Entity::update_many()
        .col_expr(survey_question::Column::IsOverall, Expr::value(true))
        .filter(survey_question::Column::SurveyTemplateId.eq(t.id))
        .exec(app.db())
        .await
        .unwrap();
    let txn = sea_orm::TransactionTrait::begin(app.db()).await.unwrap();
    px360::domains::surveys::versions::publish(&txn, &t, None).await.unwrap();
    txn.commit().await.unwrap();

    // 40 complaints in January 2026; 12 rated the resolution 4–5, 8 rated it 2: MOH-3 = 30 %.
    // Two more rated 5 but never submitted their survey: they do not count.
    for i in 0..40 {
        let id = complaint_on(&app, &admin, emergency, "2026-01-14", "closed", false, Some(false)).await;
        if i < 22 {
            let rating = if (12..20).contains(&i) { 2.0 } else { 5.0 };
            let s = add_survey(
                &app,
                &t,
                None,
                Some(emergency),
                if i < 20 { "completed" } else { "in_progress" },
                Some(rating),
                rating < 3.0,
                &[("overall", json!(rating))],
            )
            .await;
            survey_instance::Entity::update_many()
                .col_expr(survey_instance::Column::ComplaintId, Expr::value(Some(id)))
                .col_expr(survey_instance::Column::Source, Expr::value("complaint"))
                .filter(survey_instance::Column::Id.eq(s))
                .exec(app.db())
                .await
                .unwrap();
        }
    }
    rollup::refresh(app.db(), Utc::now()).await.unwrap();
    // On 2 February January is over but MOH-3 has not settled: no action yet.
    let early = Utc.with_ymd_and_hms(2026, 2, 2, 0, 0, 0).unwrap();
    assert_eq!(kpis::compute_month(app.db(), 2026, 1, early, true).await.unwrap().actions, 0);
    let february = Utc.with_ymd_and_hms(2026, 3, 5, 0, 0, 0).unwrap();
    let done = kpis::compute_month(app.db(), 2026, 1, february, true).await.unwrap();
    assert!(done.values > 0);
    let moh3 = kpi_value::Entity::find()
        .filter(kpi_value::Column::KpiCode.eq("MOH-3"))
        .filter(kpi_value::Column::HospitalId.eq(app.hospital_a.id))
        .filter(kpi_value::Column::DepartmentId.eq(Uuid::nil()))
        .filter(kpi_value::Column::Period.eq("month"))
        .filter(kpi_value::Column::Month.eq("2026-01"))
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((moh3.value, moh3.numerator, moh3.denominator), (Some(30.0), 12.0, 40.0));
    assert_eq!(moh3.band.as_deref(), Some("critical"));
    assert!(moh3.is_final);
    let action_id = moh3.action_id.expect("a critical finished month opens an action");
    let action = px_action::Entity::find_by_id(action_id).one(app.db()).await.unwrap().unwrap();
    assert_eq!((action.source_type.as_str(), action.source_id), ("kpi", Some(moh3.id)));
    assert!(action.title.contains("2026-01"), "{}", action.title);

    // Computing again replaces the values and opens no second action.
    kpis::compute_month(app.db(), 2026, 1, february, true).await.unwrap();
    let kpi_actions =
        px_action::Entity::find().filter(px_action::Column::SourceType.eq("kpi")).count(app.db()).await.unwrap();
    assert_eq!(kpi_actions, done.actions as u64);
    // SLA compliance of January: all 40 resolved on time.
    let sla = kpi_value::Entity::find()
        .filter(kpi_value::Column::KpiCode.eq("SLA"))
        .filter(kpi_value::Column::DepartmentId.eq(Uuid::nil()))
        .filter(kpi_value::Column::Month.eq("2026-01"))
        .filter(kpi_value::Column::Period.eq("month"))
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sla.value, Some(100.0));
    assert_eq!(sla.band.as_deref(), Some("on_target"));

    // The KPI list and report, as JSON and pages, in the reader's scope.
    let ha = app.token(&email(Role::HospitalAdmin)).await;
    let (code, list) = json(app.get("/api/analytics/kpis/", &ha).await).await;
    assert_eq!(code, StatusCode::OK, "{list}");
    let moh = list.as_array().unwrap().iter().find(|k| k["code"] == "MOH-3").unwrap();
    let january_row = moh["months"].as_array().unwrap().iter().find(|m| m["month"] == "2026-01");
    if let Some(january) = january_row {
        // Within the report's 12 months (this test runs in 2026).
        assert_eq!(january["value"], json!(30.0));
        assert_eq!(january["band"], "critical");
        assert_eq!(january["action_id"], json!(action_id.to_string()));
    }
    let dept = format!("/api/analytics/kpis/MOH-3/?department_id={emergency}");
    let (code, report) = json(app.get(&dept, &ha).await).await;
    assert_eq!(code, StatusCode::OK, "{report}");
    assert_eq!(report["department_id"], json!(emergency.to_string()));
    assert_eq!(app.get("/api/analytics/kpis/NOPE/", &ha).await.status(), StatusCode::NOT_FOUND);
    let foreign = format!("/api/analytics/kpis/?hospital_id={}", app.hospital_b.id);
    assert_eq!(app.get(&foreign, &ha).await.status(), StatusCode::NOT_FOUND);
    let outpatient = app.department_id(app.hospital_a.id, "OUT-002").await;
    let dm = app.token(&email(Role::DepartmentManager)).await;
    let theirs = format!("/api/analytics/kpis/MOH-3/?department_id={outpatient}");
    assert_eq!(app.get(&theirs, &dm).await.status(), StatusCode::NOT_FOUND);
    let (_, own) = json(app.get("/api/analytics/kpis/MOH-3/", &dm).await).await;
    assert_eq!(own["department_id"], json!(emergency.to_string()), "a manager's KPIs are their department's");
    // A PX admin: a department alone names its hospital; a new hospital with the old department
    // still in the form shows the new hospital, whole.
    let px = app.token(&email(Role::PxAdmin)).await;
    let (code, alone) = json(app.get(&dept, &px).await).await;
    assert_eq!(code, StatusCode::OK, "{alone}");
    assert_eq!(alone["hospital_id"], json!(app.hospital_a.id.to_string()));
    assert_eq!(alone["department_id"], json!(emergency.to_string()));
    let (px_page, _) = app.login_page_session(&email(Role::PxAdmin)).await;
    let switched = format!("/analytics/kpis/MOH-3/?hospital_id={}&department_id={emergency}", app.hospital_b.id);
    let resp = px_page.get(app.url(&switched)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(!html.contains(&format!("value=\"{emergency}\" selected")), "the old department is dropped: {html}");
    assert!(html.contains(&format!("value=\"{}\" selected", app.hospital_b.id)), "the new hospital is shown: {html}");

    let (client, _) = app.login_page_session(&email(Role::HospitalAdmin)).await;
    let html = client.get(app.url("/analytics/kpis/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("data-kpi=\"MOH-3\""), "{html}");
    assert!(html.contains("الرضا عن حل الشكوى"));
    let page = client.get(app.url("/analytics/kpis/MOH-3/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let xlsx = client.get(app.url("/analytics/kpis/MOH-3/export.xlsx")).send().await.unwrap();
    assert_eq!(xlsx.status(), StatusCode::OK);
    assert!(sheet_names(&xlsx.bytes().await.unwrap()).contains("MOH-3"));
    // Thresholds: PX admins only, in range and in order; the stored bands follow at once.
    let patch = |body: Value, token: String| {
        let app = &app;
        async move { json(app.patch("/api/analytics/kpis/MOH-3/", &token, &body).await).await }
    };
    let (code, _) = patch(json!({"critical_threshold": 25}), ha.clone()).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    for (body, field) in [
        (json!({"target": 120}), "target"),
        (json!({"critical_threshold": 90}), "warning_threshold"),
        (json!({"target": "high"}), "target"),
        (json!({"colour": 1}), "colour"),
    ] {
        let (code, err) = patch(body.clone(), admin.clone()).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{body}: {err}");
        common::assert_fields(&err, &[field]);
    }
    let (code, def) = patch(json!({"critical_threshold": 25}), admin.clone()).await;
    assert_eq!(code, StatusCode::OK, "{def}");
    assert_eq!((def["target"].clone(), def["critical_threshold"].clone()), (json!(80.0), json!(25.0)));
    let january = kpi_value::Entity::find_by_id(moh3.id).one(app.db()).await.unwrap().unwrap();
    assert_eq!(january.band.as_deref(), Some("warning"), "30 % is now above the critical threshold");
    let (px, _) = app.login_page_session(&email(Role::PxAdmin)).await;
    let form_page = px.get(app.url("/analytics/kpis/MOH-3/")).send().await.unwrap().text().await.unwrap();
    let csrf = common::hidden_field(&form_page, "csrf_token").unwrap();
    let resp = px
        .post(app.url("/analytics/kpis/MOH-3/thresholds/"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("target", "50"),
            ("warning_threshold", "60"),
            ("critical_threshold", "25"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.text().await.unwrap().contains("id=\"kpi-thresholds\""), "the form is shown again with its error");
    // A field left blank is refused, not taken as "keep it"; nothing changes.
    let resp = px
        .post(app.url("/analytics/kpis/MOH-3/thresholds/"))
        .form(&[("csrf_token", csrf.as_str()), ("target", ""), ("warning_threshold", "60"), ("critical_threshold", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body = resp.text().await.unwrap();
    assert!(body.contains("This field is required.") || body.contains("هذا الحقل مطلوب."), "{body}");
    let (_, after) = patch(json!({}), admin.clone()).await;
    assert_eq!((&after["target"], &after["warning_threshold"]), (&def["target"], &def["warning_threshold"]), "{after}");

    let pdf = client.get(app.url("/analytics/kpis/MOH-3/export.pdf")).send().await.unwrap();
    assert_eq!(pdf.status(), StatusCode::OK);
    let bytes = pdf.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    if let Some(text) = pdf_text(&bytes) {
        assert!(text.contains("MOH-3"), "{text}");
        if january_row.is_some() {
            assert!(text.contains("2026-01") && text.contains("30%"), "January's value is in the PDF: {text}");
        }
    }
}

/// The text of a PDF by `pdftotext` (poppler-utils), when the machine has it.
fn pdf_text(bytes: &[u8]) -> Option<String> {
    let dir = std::env::temp_dir().join(format!("px360-pdf-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).ok()?;
    let file = dir.join("report.pdf");
    std::fs::write(&file, bytes).ok()?;
    let out = std::process::Command::new("pdftotext").arg("-layout").arg(&file).arg("-").output();
    let _ = std::fs::remove_dir_all(&dir);
    match out {
        Ok(o) if o.status.success() => Some(String::from_utf8_lossy(&o.stdout).into_owned()),
        _ => {
            eprintln!("pdftotext is not installed: the PDF's text is not checked");
            None
        }
    }
}

fn sheet_names(bytes: &[u8]) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut book = String::new();
    archive.by_name("xl/workbook.xml").unwrap().read_to_string(&mut book).unwrap();
    book
}

#[tokio::test]
async fn the_page_draws_its_charts_in_both_languages_and_exports_a_workbook() {
    let app = TestApp::spawn().await;
    let admin = app.token(&email(Role::PxAdmin)).await;
    let emergency = app.department_id(app.hospital_a.id, "EMR-001").await;
    let today = rollup::day_of(Utc::now()).to_string();
    let late = complaint_on(&app, &admin, emergency, &today, "open", true, None).await;
    let reference = complaint::Entity::find_by_id(late).one(app.db()).await.unwrap().unwrap().reference_number;
    rollup::refresh(app.db(), Utc::now()).await.unwrap();

    let (client, _) = app.login_page_session(&email(Role::HospitalAdmin)).await;
    let html = client.get(app.url("/analytics/command-center/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"cc-cards\""), "{html}");
    // Five charts with data; the leaderboard has no rated physician yet and says so.
    assert_eq!(html.matches("data-chart=").count(), 5, "{html}");
    assert!(html.contains("لا توجد بيانات لهذه التصفية"));
    assert!(html.contains("مركز القيادة"), "Arabic by default for this user");
    assert!(html.contains("reverse&#34;:true") || html.contains("reverse&quot;:true"), "right-to-left axes in Arabic");
    // The complaints card shows 1 and links to the list.
    assert!(html.contains("data-card=\"complaints_total\""));
    // The departments' table under "show the numbers" links each department to its complaints,
    // as a click on its bar does (for keyboards and screen readers).
    let row_link = format!("department_id={emergency}\">");
    assert!(html.contains(&row_link), "{html}");
    // A bad filter is shown on the page with a 400.
    let bad = client.get(app.url("/analytics/command-center/?period=fortnight")).send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    // In the reader's language, with the field's name rather than its key.
    let bad = client
        .get(app.url("/analytics/command-center/?period=custom&from=2026-03-31&to=2026-01-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let bad = bad.text().await.unwrap();
    assert!(bad.contains("إلى: يجب أن يكون تاريخ النهاية في تاريخ البداية أو بعده."), "{bad}");
    assert!(!bad.contains("Must be on or after"), "{bad}");

    let xlsx = client.get(app.url("/analytics/command-center/export.xlsx?period=7d")).send().await.unwrap();
    assert_eq!(xlsx.status(), StatusCode::OK);
    assert_eq!(xlsx.headers()["content-type"], px360::http::export::XLSX_TYPE);
    let bytes = xlsx.bytes().await.unwrap();
    let book = sheet_names(&bytes);
    assert!(book.contains("الأرقام"), "the figures sheet in the reader's language: {book}");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut figures = String::new();
    archive.by_name("xl/worksheets/sheet1.xml").unwrap().read_to_string(&mut figures).unwrap();
    assert!(figures.contains("<v>1</v>"), "the complaint count as a number: {figures}");
    assert!(figures.contains(&app.hospital_a.name_ar), "the sheet says whose figures they are: {figures}");

    // The PDF holds the same figures: the overdue complaint's reference, the cards.
    let pdf = client.get(app.url("/analytics/command-center/export.pdf?period=7d")).send().await.unwrap();
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let bytes = pdf.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-") && bytes.len() > 2_000);
    if let Some(text) = pdf_text(&bytes) {
        assert!(text.contains(&reference), "the overdue complaint is in the PDF: {text}");
    }
    let audited = px360::domains::audit::model::audit_event::Entity::find()
        .filter(px360::domains::audit::model::audit_event::Column::Action.eq("command_center_exported"))
        .count(app.db())
        .await
        .unwrap();
    assert_eq!(audited, 2, "both exports are audited");
}

#[tokio::test]
async fn the_reports_read_from_the_replica_when_one_is_set() {
    use sea_orm::{ActiveModelTrait, IntoActiveModel};
    let app = TestApp::spawn().await;
    let (_url, replica, _guard) = common::fresh_database().await;
    px360::db::migrate(&replica).await.unwrap();
    // The replica holds today's rollup with 42 complaints; the primary has none.
    px360::domains::analytics::model::analytics_daily::Model {
        hospital_id: app.hospital_a.id,
        day: rollup::day_of(Utc::now()).to_string(),
        department_id: Uuid::nil(),
        journey_type: String::new(),
        complaints_received: 42,
        ..Default::default()
    }
    .into_active_model()
    .insert(&replica)
    .await
    .unwrap();
    let mut state = app.state.clone();
    state.read_db = replica;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = px360::router::app(state);
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap();
    });
    let token = app.token(&email(Role::HospitalAdmin)).await;
    let path = "/api/analytics/command-center/?period=7d";
    let from_replica = app.client.get(format!("http://{addr}{path}")).bearer_auth(&token).send().await.unwrap();
    let (code, body) = json(from_replica).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(card(&body, "complaints_total").0, json!(42.0), "the figures come from the replica");
    let (_, primary) = json(app.get(path, &token).await).await;
    assert_eq!(card(&primary, "complaints_total").0, json!(0.0));
}

#[tokio::test]
async fn over_several_hospitals_each_department_carries_its_hospitals_code() {
    let app = TestApp::spawn().await;
    let admin = app.token(&email(Role::PxAdmin)).await;
    let emergency_a = app.department_id(app.hospital_a.id, "EMR-001").await;
    let emergency_b = app.department_id(app.hospital_b.id, "EMR-001").await;
    complaint_on(&app, &admin, emergency_a, "2026-03-10", "open", false, None).await;
    let moved = complaint_on(&app, &admin, emergency_a, "2026-03-11", "open", false, None).await;
    complaint::Entity::update_many()
        .col_expr(complaint::Column::HospitalId, Expr::value(app.hospital_b.id))
        .col_expr(complaint::Column::DepartmentId, Expr::value(Some(emergency_b)))
        .filter(complaint::Column::Id.eq(moved))
        .exec(app.db())
        .await
        .unwrap();
    rollup::refresh(app.db(), Utc::now()).await.unwrap();
    let march = "/api/analytics/command-center/?period=custom&from=2026-03-01&to=2026-03-31";
    let names = |body: &Value| -> Vec<String> {
        let mut names: Vec<String> =
            body["departments"].as_array().unwrap().iter().map(|d| d["name_en"].as_str().unwrap().to_owned()).collect();
        names.sort();
        names
    };
    // Both hospitals: the same department name twice, told apart by the hospital.
    let (code, both) = json(app.get(march, &admin).await).await;
    assert_eq!(code, StatusCode::OK, "{both}");
    let both = names(&both);
    assert_eq!(both.len(), 2, "{both:?}");
    assert!(both[0].starts_with("HOSP-A · ") && both[1].starts_with("HOSP-B · "), "{both:?}");
    assert_eq!(both[0].trim_start_matches("HOSP-A · "), both[1].trim_start_matches("HOSP-B · "));
    // One hospital: the plain name.
    let ha = app.token(&email(Role::HospitalAdmin)).await;
    let (_, one) = json(app.get(march, &ha).await).await;
    let one = names(&one);
    assert_eq!(one.len(), 1, "{one:?}");
    assert!(!one[0].contains("HOSP-"), "{one:?}");
}
