//! The default survey templates and the demo's surveys: every journey's survey stage has a
//! published bilingual template, the seeded answers follow the questions and score as the rules
//! do, negative surveys have their PX Action, the statuses look like a real hospital's, and
//! seeding again changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::time::Instant;

use px360::app::AppState;
use px360::domains::complaints::model::px_action;
use px360::domains::journeys::model::{journey_template, stage_template};
use px360::domains::organizations::model::hospital;
use px360::domains::surveys::model::{survey_instance, survey_question, survey_template};
use px360::domains::surveys::rules;
use px360::domains::surveys::{respond, versions};
use px360::seed::survey_templates::{self, COMPLAINT_RESOLUTION, default_templates};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

/// A fresh database with nothing in it (the demo seeds only an empty one).
async fn empty_state() -> (AppState, common::DbGuard) {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let (url, db, guard) = common::fresh_database().await;
    px360::db::migrate(&db).await.expect("migrate");
    let state = AppState::new(db, common::test_config(&url), None).expect("state");
    (state, guard)
}

fn has_arabic(s: &str) -> bool {
    s.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
}

#[test]
fn the_default_templates_are_valid_bilingual_and_complete() {
    let all = default_templates();
    assert_eq!(all.len(), 7);
    for t in &all {
        let def = rules::Definition {
            name_en: t.name_en.into(),
            name_ar: t.name_ar.into(),
            description_en: t.description_en.into(),
            description_ar: t.description_ar.into(),
            survey_type: t.survey_type.into(),
            scoring_method: t.scoring_method.into(),
            negative_threshold: rules::default_threshold(t.scoring_method),
            questions: t.questions.clone(),
        };
        let errors = rules::validate_definition(&def);
        assert!(errors.is_empty(), "{}: {:?}", t.code, errors.0);
        assert!((5..=9).contains(&t.questions.len()), "{}: {} questions", t.code, t.questions.len());
        assert!(has_arabic(t.name_ar) && has_arabic(t.description_ar), "{}", t.code);
        for q in &t.questions {
            assert!(has_arabic(&q.text_ar) && !has_arabic(&q.text_en), "{} {}", t.code, q.code);
            for c in &q.choices {
                assert!(has_arabic(&c.label_ar), "{} {} {}", t.code, q.code, c.value);
            }
        }
        assert_eq!(t.questions.iter().filter(|q| q.is_overall).count(), 1, "{}: one overall question", t.code);
        assert!(t.questions.iter().any(|q| q.show_if.is_some()), "{}: a conditional question", t.code);
        if t.survey_type == "stage" && t.code != survey_templates::PHARMACY {
            assert!(t.questions.iter().any(|q| q.counts_for_physician), "{}: a doctor question", t.code);
        }
    }
    let method = |code: &str| all.iter().find(|t| t.code == code).map(|t| t.scoring_method);
    assert_eq!(method(survey_templates::INPATIENT), Some("weighted"));
    assert_eq!(method(survey_templates::NPS), Some("nps"));
    let resolution = all.iter().find(|t| t.code == COMPLAINT_RESOLUTION).unwrap();
    assert_eq!(resolution.survey_type, "complaint_resolution");
    assert!(resolution.throttle_exempt);
    let overall = resolution.questions.iter().find(|q| q.is_overall).unwrap();
    assert_eq!(overall.question_type, "rating");
    assert!(overall.text_en.contains("complaint was handled"));
    // Every question type is used somewhere.
    for ty in ["rating", "likert", "yes_no", "multiple_choice", "nps", "textarea"] {
        assert!(all.iter().flat_map(|t| &t.questions).any(|q| q.question_type == ty), "{ty}");
    }
}

#[tokio::test]
async fn the_demo_seeds_published_templates_and_sixty_days_of_consistent_surveys() {
    let (state, _guard) = empty_state().await;
    let db = &state.db;
    let started = Instant::now();
    assert!(px360::seed::demo::seed_if_empty(&state).await.unwrap());
    let took = started.elapsed();
    println!("demo seed took {took:?}");

    let hospitals = hospital::Entity::find().all(db).await.unwrap();
    assert_eq!(hospitals.len(), 2);
    for h in &hospitals {
        // Every journey type's survey stage points at a published template of the hospital.
        let journeys = journey_template::Entity::find()
            .filter(journey_template::Column::HospitalId.eq(h.id))
            .all(db)
            .await
            .unwrap();
        let mut types: Vec<&str> = journeys.iter().map(|j| j.journey_type.as_str()).collect();
        types.sort_unstable();
        assert_eq!(types, ["day_case", "ems", "inpatient", "opd"]);
        for j in &journeys {
            let stages = stage_template::Entity::find()
                .filter(stage_template::Column::JourneyTemplateId.eq(j.id))
                .all(db)
                .await
                .unwrap();
            let with_survey: Vec<_> = stages.iter().filter_map(|s| s.survey_template_id.map(|t| (s, t))).collect();
            assert!(!with_survey.is_empty(), "{} has a survey stage", j.journey_type);
            for (stage, template_id) in with_survey {
                let t = survey_template::Entity::find_by_id(template_id).one(db).await.unwrap().unwrap();
                assert_eq!(t.hospital_id, h.id);
                assert!(t.current_version >= 1, "{} {} → {} is published", j.journey_type, stage.code, t.code);
                assert!(versions::current(db, t.id).await.unwrap().is_some());
                assert_eq!(t.code, survey_templates::template_code_for_stage(&j.journey_type, &stage.code));
            }
        }
        // The resolution template that complaint closure and MOH-3 use.
        let resolution = survey_template::Entity::find()
            .filter(survey_template::Column::HospitalId.eq(h.id))
            .filter(survey_template::Column::SurveyType.eq("complaint_resolution"))
            .one(db)
            .await
            .unwrap()
            .expect("a resolution template");
        assert!(resolution.throttle_exempt && resolution.current_version == 1);
        let (_, def) =
            versions::load(db, versions::current(db, resolution.id).await.unwrap().unwrap().id).await.unwrap().unwrap();
        assert!(def.questions.iter().any(|q| q.is_overall && q.question_type == "rating"));

        // ~60 days of surveys in a realistic spread of statuses.
        let surveys = survey_instance::Entity::find()
            .filter(survey_instance::Column::HospitalId.eq(h.id))
            .filter(survey_instance::Column::Source.eq("journey"))
            .all(db)
            .await
            .unwrap();
        let total = surveys.len();
        assert!(total >= 150, "{}: {total} surveys", h.code);
        let oldest = surveys.iter().map(|s| s.created_at).min().unwrap();
        assert!(px360::domains::organizations::service::now() - oldest >= chrono::Duration::days(55));
        let mut by_status: BTreeMap<&str, usize> = BTreeMap::new();
        for s in &surveys {
            *by_status.entry(s.status.as_str()).or_default() += 1;
        }
        println!("{}: {total} surveys {by_status:?}", h.code);
        let completed = by_status.get("completed").copied().unwrap_or(0);
        let share = completed as f64 / total as f64 * 100.0;
        assert!((35.0..=45.0).contains(&share), "{}: {share:.1} % completed", h.code);
        for status in ["expired", "suppressed", "undeliverable"] {
            assert!(by_status.get(status).copied().unwrap_or(0) > 0, "{}: some {status}", h.code);
        }
        assert!(
            ["sent", "delivered", "viewed", "in_progress", "abandoned"].iter().any(|s| by_status.contains_key(s)),
            "{}: some still open",
            h.code
        );
        let reasons: Vec<&str> = surveys
            .iter()
            .filter(|s| s.status == "suppressed")
            .map(|s| s.suppression_reason.split(':').next().unwrap_or(""))
            .collect();
        assert!(reasons.contains(&"throttled") && reasons.contains(&"opted_out"), "{reasons:?}");

        // Completed surveys: answers that the pinned version accepts, scored as the rules score them.
        let mut negative = 0;
        for s in surveys.iter().filter(|s| s.status == "completed") {
            let (_, def) = versions::load(db, s.template_version_id.expect("pinned")).await.unwrap().unwrap();
            let answers = respond::saved_answers(db, s.id, &def).await.unwrap();
            assert!(!answers.is_empty());
            let shown = rules::visible(&def, &answers);
            for (q, on) in def.questions.iter().zip(&shown) {
                if answers.contains_key(&q.code) {
                    assert!(on, "{} answers hidden question {}", s.id, q.code);
                } else {
                    assert!(!on || !q.is_required, "{} misses required {}", s.id, q.code);
                }
            }
            let expected = rules::total_score(&def, &answers);
            assert_eq!(s.total_score, expected, "{}", s.id);
            assert_eq!(s.score_100, expected.map(|t| rules::normalised(&def.scoring_method, t)));
            assert_eq!(s.is_negative, rules::is_negative(expected, def.negative_threshold));
            assert!(s.department_id.is_some() && s.stage_instance_id.is_some() && s.patient_id.is_some());
            let actions = px_action::Entity::find()
                .filter(px_action::Column::SourceType.eq("survey"))
                .filter(px_action::Column::SourceId.eq(s.id))
                .all(db)
                .await
                .unwrap();
            if s.is_negative {
                negative += 1;
                assert_eq!(actions.len(), 1, "one action for negative survey {}", s.id);
                assert_eq!(s.action_id, Some(actions[0].id));
                assert_eq!(actions[0].hospital_id, h.id);
            } else {
                assert!(actions.is_empty() && s.action_id.is_none());
            }
        }
        let negative_share = negative as f64 / completed as f64 * 100.0;
        println!("{}: {negative} negative of {completed} completed ({negative_share:.1} %)", h.code);
        assert!((6.0..=14.0).contains(&negative_share), "{}: {negative_share:.1} % negative", h.code);
        // Surveys that were never answered have no score.
        assert!(surveys.iter().filter(|s| s.status != "completed").all(|s| s.total_score.is_none() && !s.is_negative));
    }
    // The demo's physicians appear on surveys (their doctor questions count for them).
    let with_physician = survey_instance::Entity::find()
        .filter(survey_instance::Column::PhysicianId.is_not_null())
        .count(db)
        .await
        .unwrap();
    assert!(with_physician > 100);

    // Seeding again duplicates nothing.
    let templates = survey_template::Entity::find().count(db).await.unwrap();
    let questions = survey_question::Entity::find().count(db).await.unwrap();
    let instances = survey_instance::Entity::find().count(db).await.unwrap();
    for h in &hospitals {
        let again = survey_templates::seed_default_survey_templates(db, h.id).await.unwrap();
        assert_eq!(again.created, 0);
        assert_eq!(again.templates.len(), 7);
    }
    let dry = survey_templates::seed_hospitals(db, None, true).await.unwrap();
    assert_eq!(dry, survey_templates::Outcome { created: 0, unchanged: 14 });
    assert!(!px360::seed::demo::seed_if_empty(&state).await.unwrap());
    px360::seed::demo_surveys::seed(&state).await.unwrap();
    assert_eq!(survey_template::Entity::find().count(db).await.unwrap(), templates);
    assert_eq!(survey_question::Entity::find().count(db).await.unwrap(), questions);
    assert_eq!(survey_instance::Entity::find().count(db).await.unwrap(), instances);
}

#[tokio::test]
async fn the_bench_surveys_have_a_published_version() {
    let (state, _guard) = empty_state().await;
    let db = &state.db;
    px360::seed::bench::seed(&state).await.unwrap();
    px360::seed::bench::seed(&state).await.unwrap();
    // The reference seed's entry point: counts in a dry run, then nothing left to create.
    let h0 = hospital::Entity::find().one(db).await.unwrap().unwrap();
    let dry = survey_templates::seed_hospitals(db, Some(h0.id), true).await.unwrap();
    assert_eq!(dry, survey_templates::Outcome { created: 0, unchanged: 7 });
    let h = hospital::Entity::find().filter(hospital::Column::Code.eq("BENCH")).one(db).await.unwrap().unwrap();
    let templates =
        survey_template::Entity::find().filter(survey_template::Column::HospitalId.eq(h.id)).all(db).await.unwrap();
    assert_eq!(templates.len(), 7, "the defaults, once");
    let journey = journey_template::Entity::find()
        .filter(journey_template::Column::HospitalId.eq(h.id))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let stages = stage_template::Entity::find()
        .filter(stage_template::Column::JourneyTemplateId.eq(journey.id))
        .all(db)
        .await
        .unwrap();
    let mut codes = Vec::new();
    for s in stages.iter().filter(|s| s.survey_template_id.is_some()) {
        let t = templates.iter().find(|t| Some(t.id) == s.survey_template_id).unwrap();
        assert_eq!(t.current_version, 1);
        codes.push((s.code.as_str(), t.code.as_str()));
    }
    codes.sort_unstable();
    assert_eq!(codes, [("MD", survey_templates::OPD), ("PHARM", survey_templates::PHARMACY)]);
}

#[tokio::test]
async fn the_reference_seed_creates_the_defaults_once_and_a_dry_run_writes_nothing() {
    let (state, _guard) = empty_state().await;
    let db = &state.db;
    let at = px360::domains::organizations::service::now();
    let h = hospital::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        code: Set("REF".into()),
        name_en: Set("Reference Hospital".into()),
        name_ar: Set("مستشفى المرجع".into()),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    let dry = survey_templates::seed_hospitals(db, None, true).await.unwrap();
    assert_eq!(dry, survey_templates::Outcome { created: 7, unchanged: 0 });
    assert_eq!(survey_template::Entity::find().count(db).await.unwrap(), 0, "a dry run writes nothing");
    let done = survey_templates::seed_hospitals(db, Some(h.id), false).await.unwrap();
    assert_eq!(done, survey_templates::Outcome { created: 7, unchanged: 0 });
    let again = survey_templates::seed_hospitals(db, None, false).await.unwrap();
    assert_eq!(again, survey_templates::Outcome { created: 0, unchanged: 7 });
    let templates = survey_template::Entity::find().all(db).await.unwrap();
    assert_eq!(templates.len(), 7);
    assert!(templates.iter().all(|t| t.current_version == 1 && !t.has_draft_changes && t.is_active));
    // The published version is what the draft questions say.
    for t in &templates {
        let (_, def) =
            versions::load(db, versions::current(db, t.id).await.unwrap().unwrap().id).await.unwrap().unwrap();
        assert_eq!(def, versions::draft_definition(db, t).await.unwrap(), "{}", t.code);
        assert_eq!(def.negative_threshold, rules::default_threshold(&t.scoring_method));
    }
}
