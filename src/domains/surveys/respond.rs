//! The patient's side of a survey: opening a link, saving answers as they go, finishing once, and
//! the closed loop a finished survey starts (score, negative → PX Action and the department
//! manager alerted).

use std::collections::BTreeMap;

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set, TransactionTrait};
use uuid::Uuid;

use super::delivery;
use super::model::{survey_instance, survey_response, survey_template};
use super::rules::{self, Answer, Checked, Definition};
use super::versions;
use crate::app::AppState;
use crate::domains::complaints::actions::{AutoAction, create_auto};
use crate::domains::complaints::sla::{Priority, Severity};
use crate::domains::organizations::service::now;
use crate::error::{AppError, AppResult};

/// Why a link does not open a survey to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// No survey has this link (404, the same page for a malformed one).
    Unknown,
    /// The link ran out, or the survey was cancelled or could not be delivered (410).
    Expired,
    /// Already answered (409).
    Completed,
    /// The template was never published: nothing to show yet (410).
    Unavailable,
}

impl Closed {
    pub fn status(self) -> axum::http::StatusCode {
        use axum::http::StatusCode;
        match self {
            Closed::Unknown => StatusCode::NOT_FOUND,
            Closed::Completed => StatusCode::CONFLICT,
            Closed::Expired | Closed::Unavailable => StatusCode::GONE,
        }
    }
}

/// An open survey with what its page needs.
#[derive(Debug, Clone)]
pub struct Open {
    pub survey: survey_instance::Model,
    pub definition: Definition,
    pub answers: BTreeMap<String, Answer>,
}

/// The answers saved so far, read into rule answers (unknown codes dropped).
pub async fn saved_answers(
    db: &impl ConnectionTrait,
    survey_id: Uuid,
    def: &Definition,
) -> AppResult<BTreeMap<String, Answer>> {
    let rows =
        survey_response::Entity::find().filter(survey_response::Column::SurveyInstanceId.eq(survey_id)).all(db).await?;
    let mut out = BTreeMap::new();
    for r in rows {
        let Some(q) = def.question(&r.question_code) else { continue };
        let answer = match q.question_type.as_str() {
            "text" | "textarea" => Answer::Text(r.value_text),
            "multiple_choice" => Answer::Choices(
                r.value_choices.and_then(|v| serde_json::from_value::<Vec<String>>(v).ok()).unwrap_or_default(),
            ),
            _ => match r.value_number {
                Some(n) => Answer::Number(n),
                None => continue,
            },
        };
        out.insert(r.question_code, answer);
    }
    Ok(out)
}

/// Opens the survey of `token` for answering: marks it viewed (first time), pins the template
/// version when it had none, and returns it with the answers saved so far.
pub async fn open(state: &AppState, token: &str) -> AppResult<Result<Open, Closed>> {
    let Some(s) = delivery::by_token(&state.db, token).await? else { return Ok(Err(Closed::Unknown)) };
    let at = now();
    match s.status.as_str() {
        "completed" => return Ok(Err(Closed::Completed)),
        "expired" | "cancelled" | "suppressed" | "undeliverable" => return Ok(Err(Closed::Expired)),
        _ if s.token_expires_at <= at => return Ok(Err(Closed::Expired)),
        _ => {}
    }
    let version_id = match s.template_version_id {
        Some(v) => v,
        None => match versions::current(&state.db, s.survey_template_id).await? {
            Some(v) => v.id,
            None => return Ok(Err(Closed::Unavailable)),
        },
    };
    let Some((_, definition)) = versions::load(&state.db, version_id).await? else {
        return Ok(Err(Closed::Unavailable));
    };
    let mut survey = s.clone();
    let first_view = matches!(s.status.as_str(), "pending" | "scheduled" | "sent" | "delivered");
    if first_view || s.template_version_id.is_none() {
        let _turn = state.write_turn().await;
        let mut update = survey_instance::Entity::update_many()
            .col_expr(survey_instance::Column::TemplateVersionId, Expr::value(Some(version_id)))
            .col_expr(survey_instance::Column::UpdatedAt, Expr::value(at))
            .filter(survey_instance::Column::Id.eq(s.id))
            .filter(survey_instance::Column::Status.eq(&s.status));
        if first_view {
            update = update
                .col_expr(survey_instance::Column::Status, Expr::value("viewed"))
                .col_expr(survey_instance::Column::OpenedAt, Expr::value(Some(at)));
            survey.status = "viewed".into();
            survey.opened_at = Some(at);
        }
        update.exec(&state.db).await?;
        survey.template_version_id = Some(version_id);
    }
    let answers = saved_answers(&state.db, s.id, &definition).await?;
    Ok(Ok(Open { survey, definition, answers }))
}

/// What happened to a posted page of answers.
#[derive(Debug)]
pub enum Submitted {
    /// Kept (partially, or with errors to show); the page is shown again.
    Saved { open: Box<Open>, checked: Box<Checked> },
    /// Finished: the thank-you page.
    Completed(Box<survey_instance::Model>),
}

/// Saves posted answers (values by question code) and, with `finish`, completes the survey when
/// everything shown is answered. Unknown question codes refuse the whole post (400).
pub async fn submit(
    state: &AppState,
    token: &str,
    posted: &BTreeMap<String, Vec<String>>,
    finish: bool,
) -> AppResult<Result<Submitted, Closed>> {
    let open = match open(state, token).await? {
        Ok(o) => o,
        Err(c) => return Ok(Err(c)),
    };
    let checked = rules::check_submission(&open.definition, &open.answers, posted, finish)
        .map_err(|unknown| crate::error::invalid("answers", format!("Unknown question(s): {}.", unknown.join(", "))))?;
    let _turn = state.write_turn().await;
    let txn = state.db.begin().await?;
    // Only a survey still open takes answers: a finished one (another tab) is not reopened.
    let at = now();
    let live = survey_instance::Entity::update_many()
        .col_expr(
            survey_instance::Column::Status,
            Expr::value(if open.survey.status == "in_progress" || !checked.answers.is_empty() {
                "in_progress"
            } else {
                open.survey.status.as_str()
            }),
        )
        .col_expr(survey_instance::Column::StartedAt, Expr::value(Some(open.survey.started_at.unwrap_or(at))))
        .col_expr(survey_instance::Column::LastActivityAt, Expr::value(Some(at)))
        .col_expr(survey_instance::Column::UpdatedAt, Expr::value(at))
        .filter(survey_instance::Column::Id.eq(open.survey.id))
        .filter(survey_instance::Column::Status.is_in(rules::OPEN))
        .exec(&txn)
        .await?;
    if live.rows_affected != 1 {
        return Ok(Err(Closed::Completed));
    }
    store_answers(&txn, open.survey.id, &open.definition, &open.answers, &checked.answers).await?;
    if finish && checked.complete() {
        let (done, woke) = complete(state, &txn, &open.survey, &open.definition, &checked.answers).await?;
        txn.commit().await?;
        if woke {
            state.waker.wake(crate::jobs::Queue::Notifications);
        }
        return Ok(Ok(Submitted::Completed(Box::new(done))));
    }
    txn.commit().await?;
    let mut open = open;
    open.survey.status = "in_progress".into();
    open.answers = checked.answers.clone();
    Ok(Ok(Submitted::Saved { open: Box::new(open), checked: Box::new(checked) }))
}

/// Writes the answers that changed and deletes the ones withdrawn.
async fn store_answers(
    txn: &DatabaseTransaction,
    survey_id: Uuid,
    def: &Definition,
    before: &BTreeMap<String, Answer>,
    after: &BTreeMap<String, Answer>,
) -> AppResult<()> {
    let gone: Vec<&String> = before.keys().filter(|k| !after.contains_key(*k)).collect();
    if !gone.is_empty() {
        survey_response::Entity::delete_many()
            .filter(survey_response::Column::SurveyInstanceId.eq(survey_id))
            .filter(survey_response::Column::QuestionCode.is_in(gone.iter().map(|s| s.as_str())))
            .exec(txn)
            .await?;
    }
    let at = now();
    for (code, answer) in after {
        if before.get(code) == Some(answer) {
            continue;
        }
        let Some(q) = def.question(code) else { continue };
        let (number, text, choices) = match answer {
            Answer::Number(n) => (Some(*n), String::new(), None),
            Answer::Text(t) => (None, t.clone(), None),
            Answer::Choices(c) => (None, String::new(), Some(serde_json::json!(c))),
        };
        let row = survey_response::ActiveModel {
            id: Set(Uuid::now_v7()),
            survey_instance_id: Set(survey_id),
            question_code: Set(code.clone()),
            value_number: Set(number),
            value_text: Set(text),
            value_choices: Set(choices),
            score: Set(rules::answer_score(q, answer)),
            created_at: Set(at),
            updated_at: Set(at),
        };
        survey_response::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([survey_response::Column::SurveyInstanceId, survey_response::Column::QuestionCode])
                    .update_columns([
                        survey_response::Column::ValueNumber,
                        survey_response::Column::ValueText,
                        survey_response::Column::ValueChoices,
                        survey_response::Column::Score,
                        survey_response::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// Finishes a survey once: its score by the version's method, negative or not, and for a negative
/// survey one PX Action and an e-mail to the department manager. Returns the survey and whether a
/// message was queued.
async fn complete(
    state: &AppState,
    txn: &DatabaseTransaction,
    s: &survey_instance::Model,
    def: &Definition,
    answers: &BTreeMap<String, Answer>,
) -> AppResult<(survey_instance::Model, bool)> {
    let at = now();
    let raw = rules::raw_score(def, answers);
    let negative = rules::is_negative(raw, def.negative_threshold);
    let total = raw.map(rules::round2);
    let done = survey_instance::Entity::update_many()
        .col_expr(survey_instance::Column::Status, Expr::value("completed"))
        .col_expr(survey_instance::Column::CompletedAt, Expr::value(Some(at)))
        .col_expr(survey_instance::Column::TotalScore, Expr::value(total))
        .col_expr(
            survey_instance::Column::Score100,
            Expr::value(total.map(|t| rules::normalised(&def.scoring_method, t))),
        )
        .col_expr(survey_instance::Column::IsNegative, Expr::value(negative))
        .col_expr(survey_instance::Column::UpdatedAt, Expr::value(at))
        .filter(survey_instance::Column::Id.eq(s.id))
        .filter(survey_instance::Column::Status.is_in(rules::OPEN))
        .exec(txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(AppError::Conflict("already_submitted", "This survey was already submitted.".into()));
    }
    let mut woke = false;
    if negative {
        woke = closed_loop(state, txn, s, def, total).await?;
    }
    let saved = survey_instance::Entity::find_by_id(s.id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("survey {} vanished", s.id)))?;
    metrics::counter!("surveys_completed_total", "negative" => negative.to_string()).increment(1);
    Ok((saved, woke))
}

/// A negative survey: one PX Action (source `survey`, or `complaint_resolution` for a complaint's
/// resolution survey) and the department manager told by e-mail.
async fn closed_loop(
    state: &AppState,
    txn: &DatabaseTransaction,
    s: &survey_instance::Model,
    def: &Definition,
    total: Option<f64>,
) -> AppResult<bool> {
    let score = total.map(|t| format!("{t:.2}")).unwrap_or_default();
    let score_100 = total.map(|t| rules::normalised(&def.scoring_method, t)).unwrap_or(0.0);
    let source_type = if s.source == "complaint" { "complaint_resolution" } else { "survey" };
    let url = format!("{}/surveys/{}/", state.config.notifications.public_base_url.trim_end_matches('/'), s.id);
    let (action, _) = create_auto(
        txn,
        AutoAction {
            hospital_id: s.hospital_id,
            source_type,
            source_id: s.id,
            title: format!("Negative survey: {} (score {score})", def.name_en),
            description: format!(
                "A patient rated \"{}\" {score} (threshold {}). Contact the patient, log the contact on the survey page, and act on what they say: {url}",
                def.name_en, def.negative_threshold
            ),
            department_id: s.department_id,
            severity: if score_100 < 25.0 { Severity::High } else { Severity::Medium },
            priority: Priority::High,
        },
    )
    .await?;
    survey_instance::Entity::update_many()
        .col_expr(survey_instance::Column::ActionId, Expr::value(Some(action.id)))
        .filter(survey_instance::Column::Id.eq(s.id))
        .exec(txn)
        .await?;
    let Some(manager) = crate::domains::complaints::service::department_manager(txn, s.department_id).await? else {
        return Ok(false);
    };
    let t = survey_template::Entity::find_by_id(s.survey_template_id).one(txn).await?;
    let vars = BTreeMap::from([
        ("survey_name".to_owned(), t.map(|t| t.name_en).unwrap_or_else(|| def.name_en.clone())),
        ("score".to_owned(), score),
        ("url".to_owned(), url),
        ("action_reference".to_owned(), action.reference_number.clone()),
    ]);
    crate::domains::complaints::notify::user(
        txn,
        &state.config,
        &manager,
        s.hospital_id,
        "survey_negative_alert",
        &vars,
    )
    .await
}
