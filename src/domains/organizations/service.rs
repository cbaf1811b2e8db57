//! What the organization resources share: visibility checks on referenced rows, uniqueness, the
//! audited write.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Select};
use uuid::Uuid;

use super::model::{department, hospital};
use crate::auth::Actor;
use crate::domains::accounts::model::user;
use crate::error::{AppResult, FieldErrors};

/// Now, at the precision both databases keep (microseconds).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// A live hospital the actor may see, or `None`.
pub async fn visible_hospital(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> AppResult<Option<hospital::Model>> {
    let found = hospital::Entity::find_by_id(id).filter(hospital::Column::DeletedAt.is_null()).one(db).await?;
    Ok(found.filter(|h| actor.sees_hospital(h.id)))
}

/// The hospital a new row belongs to, checked to exist and be visible; errors name `hospital_id`.
static HOSPITALS: std::sync::LazyLock<crate::cache::TtlCache<Uuid, Option<hospital::Model>>> =
    std::sync::LazyLock::new(|| crate::cache::TtlCache::new(std::time::Duration::from_secs(10), 1_000));

/// The hospital row, from the read cache (settings such as quiet hours are read on every message).
pub async fn hospital_cached(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<hospital::Model>, sea_orm::DbErr> {
    HOSPITALS.get_or_load(id, hospital::Entity::find_by_id(id).one(db)).await
}

/// The live hospital whose code (any case) or HIS code is `code`.
pub async fn hospital_by_code(
    db: &impl ConnectionTrait,
    code: &str,
) -> Result<Option<hospital::Model>, sea_orm::DbErr> {
    hospital::Entity::find()
        .filter(hospital::Column::DeletedAt.is_null())
        .filter(
            sea_orm::Condition::any()
                .add(hospital::Column::Code.eq(code.to_uppercase()))
                .add(hospital::Column::HisCode.eq(code)),
        )
        .one(db)
        .await
}

pub async fn hospital_for_write(db: &impl ConnectionTrait, actor: &Actor, requested: Option<Uuid>) -> AppResult<Uuid> {
    let id = actor.hospital_for_write(requested)?;
    match visible_hospital(db, actor, id).await? {
        Some(h) => Ok(h.id),
        None => Err(crate::error::invalid("hospital_id", "Invalid pk - object does not exist.")),
    }
}

/// Checks that an optional department reference is a live department of `hospital_id`.
pub async fn check_department(
    db: &impl ConnectionTrait,
    errors: &mut FieldErrors,
    field: &str,
    hospital_id: Uuid,
    id: Option<Uuid>,
) -> AppResult<()> {
    let Some(id) = id else { return Ok(()) };
    let found = department::Entity::find_by_id(id)
        .filter(department::Column::HospitalId.eq(hospital_id))
        .filter(department::Column::DeletedAt.is_null())
        .count(db)
        .await?;
    if found == 0 {
        errors.add(field, "Invalid pk - object does not exist.");
    }
    Ok(())
}

/// Checks that an optional user reference is an active user of `hospital_id`.
pub async fn check_user(
    db: &impl ConnectionTrait,
    errors: &mut FieldErrors,
    field: &str,
    hospital_id: Uuid,
    id: Option<Uuid>,
) -> AppResult<()> {
    let Some(id) = id else { return Ok(()) };
    let found = user::Entity::find_by_id(id)
        .filter(user::Column::HospitalId.eq(hospital_id))
        .filter(user::Column::IsActive.eq(true))
        .count(db)
        .await?;
    if found == 0 {
        errors.add(field, "Invalid pk - object does not exist.");
    }
    Ok(())
}

/// Adds "already exists" on `field` when `select` finds a row.
pub async fn unique<E: EntityTrait>(
    db: &impl ConnectionTrait,
    errors: &mut FieldErrors,
    field: &str,
    noun: &str,
    select: Select<E>,
) -> AppResult<()>
where
    E::Model: Sync,
{
    if select.count(db).await? > 0 {
        let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) { "An" } else { "A" };
        errors.add(field, format!("{article} {noun} with this {} already exists.", field.replace('_', " ")));
    }
    Ok(())
}

/// Excludes the row being updated from a uniqueness check.
pub fn except<E: EntityTrait>(select: Select<E>, column: impl ColumnTrait, id: Option<Uuid>) -> Select<E> {
    match id {
        Some(id) => select.filter(column.ne(id)),
        None => select,
    }
}
