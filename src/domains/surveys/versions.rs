//! Published versions: a template's draft questions are frozen into an immutable definition when
//! published, and every survey keeps the version it was sent with, so later edits never change
//! what its patient saw or how it was scored.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::model::{survey_question, survey_template, survey_template_version};
use super::rules::{self, Choice, Definition, Question, ShowIf};
use crate::domains::organizations::service::now;
use crate::error::{AppError, AppResult};

/// A stored draft question as a rule question.
pub fn question_of(m: &survey_question::Model) -> Question {
    Question {
        code: m.code.clone(),
        text_en: m.text_en.clone(),
        text_ar: m.text_ar.clone(),
        question_type: m.question_type.clone(),
        is_required: m.is_required,
        weight: m.weight,
        choices: serde_json::from_value::<Vec<Choice>>(m.choices.clone()).unwrap_or_default(),
        allow_multiple: m.allow_multiple,
        show_if: m.show_if.clone().and_then(|v| serde_json::from_value::<ShowIf>(v).ok()),
        is_overall: m.is_overall,
        counts_for_physician: m.counts_for_physician,
    }
}

/// The draft questions of a template, in order.
pub async fn draft_questions(db: &impl ConnectionTrait, template_id: Uuid) -> AppResult<Vec<survey_question::Model>> {
    Ok(survey_question::Entity::find()
        .filter(survey_question::Column::SurveyTemplateId.eq(template_id))
        .order_by_asc(survey_question::Column::Position)
        .order_by_asc(survey_question::Column::CreatedAt)
        .all(db)
        .await?)
}

/// The definition the template's draft would publish.
pub async fn draft_definition(db: &impl ConnectionTrait, t: &survey_template::Model) -> AppResult<Definition> {
    let questions = draft_questions(db, t.id).await?.iter().map(question_of).collect();
    Ok(Definition {
        name_en: t.name_en.clone(),
        name_ar: t.name_ar.clone(),
        description_en: t.description_en.clone(),
        description_ar: t.description_ar.clone(),
        survey_type: t.survey_type.clone(),
        scoring_method: t.scoring_method.clone(),
        negative_threshold: t.negative_threshold.unwrap_or_else(|| rules::default_threshold(&t.scoring_method)),
        questions,
    })
}

/// Publishes the draft as the next version (inside the caller's transaction). Refused with the
/// definition's errors when it is not valid. Returns the new version.
pub async fn publish(
    txn: &impl ConnectionTrait,
    t: &survey_template::Model,
    user_id: Option<Uuid>,
) -> AppResult<survey_template_version::Model> {
    let def = draft_definition(txn, t).await?;
    rules::validate_definition(&def).into_result()?;
    let version = t.current_version + 1;
    let at = now();
    // The conditional update makes two concurrent publishes produce one version each.
    let moved = survey_template::Entity::update_many()
        .col_expr(survey_template::Column::CurrentVersion, Expr::value(version))
        .col_expr(survey_template::Column::HasDraftChanges, Expr::value(false))
        .col_expr(survey_template::Column::UpdatedAt, Expr::value(at))
        .filter(survey_template::Column::Id.eq(t.id))
        .filter(survey_template::Column::CurrentVersion.eq(t.current_version))
        .exec(txn)
        .await?;
    if moved.rows_affected != 1 {
        return Err(AppError::Conflict(
            "version_conflict",
            "The template was published by someone else meanwhile; reload it.".into(),
        ));
    }
    let row = survey_template_version::ActiveModel {
        id: Set(Uuid::now_v7()),
        survey_template_id: Set(t.id),
        version: Set(version),
        definition: Set(serde_json::to_value(&def).map_err(anyhow::Error::from)?),
        published_by: Set(user_id),
        created_at: Set(at),
    };
    Ok(row.insert(txn).await?)
}

/// The newest published version of a template, if any.
pub async fn current(
    db: &impl ConnectionTrait,
    template_id: Uuid,
) -> AppResult<Option<survey_template_version::Model>> {
    Ok(survey_template_version::Entity::find()
        .filter(survey_template_version::Column::SurveyTemplateId.eq(template_id))
        .order_by_desc(survey_template_version::Column::Version)
        .one(db)
        .await?)
}

/// The definition stored in a version row.
pub fn definition(v: &survey_template_version::Model) -> AppResult<Definition> {
    serde_json::from_value(v.definition.clone())
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("survey version {} is unreadable: {e}", v.id)))
}

/// The definition of version `id`.
pub async fn load(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> AppResult<Option<(survey_template_version::Model, Definition)>> {
    match survey_template_version::Entity::find_by_id(id).one(db).await? {
        Some(v) => {
            let d = definition(&v)?;
            Ok(Some((v, d)))
        }
        None => Ok(None),
    }
}
