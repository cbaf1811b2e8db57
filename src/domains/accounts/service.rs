//! Logins, token rotation, password changes and user lookup.

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set, TransactionTrait,
};
use uuid::Uuid;

use super::model::{refresh_token, session, user};
use crate::app::AppState;
use crate::auth::password::{hash_password, validate_password, verify_password};
use crate::auth::tokens::{hash_token, random_token};
use crate::auth::{Actor, RequestMeta};
use crate::domains::audit::service::{Entry, record};
use crate::domains::organizations::service::now;
use crate::error::{AppError, AppResult, invalid};

/// An active user by id.
pub async fn active_user(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find_by_id(id).filter(user::Column::IsActive.eq(true)).one(db).await?)
}

fn bad_credentials() -> AppError {
    AppError::Unauthorized("authentication_failed", "No active account found with the given credentials".into())
}

/// Checks a login (email or username + password) with lockout, and audits the outcome.
pub async fn authenticate(state: &AppState, login: &str, password: &str, meta: &RequestMeta) -> AppResult<user::Model> {
    state.login_throttle.check(&meta.ip)?;
    let login = login.trim().to_lowercase();
    let found = user::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(user::Column::Email.eq(login.clone()))
                .add(user::Column::Username.eq(login.clone())),
        )
        .one(&state.db)
        .await?;
    let mut system = Actor::system();
    system.meta = meta.clone();
    system.email = login.chars().take(254).collect();
    let Some(found) = found else {
        // Spend the same time as a real check so timing does not reveal which emails exist.
        let _ = verify_password(password.to_owned(), dummy_hash().await).await;
        record(
            &state.db,
            &system,
            Entry::new("login_failed", "user", "").details(serde_json::json!({"reason": "unknown"})),
        )
        .await?;
        return Err(bad_credentials());
    };
    system.hospital_id = found.hospital_id;
    let now = Utc::now();
    if found.locked_until.is_some_and(|until| until > now) {
        record(
            &state.db,
            &system,
            Entry::new("login_failed", "user", found.id).details(serde_json::json!({"reason": "locked"})),
        )
        .await?;
        return Err(AppError::Unauthorized(
            "account_locked",
            format!("Too many failed logins. Try again in {} minutes.", state.config.lockout_minutes),
        ));
    }
    let ok = verify_password(password.to_owned(), found.password_hash.clone()).await?;
    if !ok || !found.is_active {
        let failures = found.failed_login_count + 1;
        let mut row: user::ActiveModel = found.clone().into();
        if failures >= state.config.lockout_threshold {
            row.failed_login_count = Set(0);
            row.locked_until = Set(Some(now + Duration::minutes(state.config.lockout_minutes)));
        } else {
            row.failed_login_count = Set(failures);
        }
        row.update(&state.db).await?;
        let reason = if found.is_active { "password" } else { "inactive" };
        let action = if failures >= state.config.lockout_threshold { "account_locked" } else { "login_failed" };
        record(&state.db, &system, Entry::new(action, "user", found.id).details(serde_json::json!({"reason": reason})))
            .await?;
        return Err(bad_credentials());
    }
    let mut row: user::ActiveModel = found.clone().into();
    row.failed_login_count = Set(0);
    row.locked_until = Set(None);
    row.last_login_at = Set(Some(now));
    let user = row.update(&state.db).await?;
    let actor = Actor::from_user(state, &user, meta.clone()).await?;
    record(&state.db, &actor, Entry::new("login", "user", user.id)).await?;
    Ok(user)
}

/// A real argon2id hash of a random string, verified against when the login is unknown so that
/// unknown and known emails take the same time.
async fn dummy_hash() -> String {
    static HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    HASH.get_or_init(|| async { hash_password(random_token()).await.unwrap_or_default() }).await.clone()
}

pub struct TokenPair {
    pub access: String,
    pub refresh: String,
}

async fn new_refresh(db: &impl ConnectionTrait, state: &AppState, user_id: Uuid, family: Uuid) -> AppResult<String> {
    let token = random_token();
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        token_hash: Set(hash_token(&token)),
        family_id: Set(family),
        user_id: Set(user_id),
        expires_at: Set(Utc::now() + Duration::days(state.config.refresh_token_days)),
        used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now()),
    }
    .insert(db)
    .await?;
    Ok(token)
}

pub async fn issue_tokens(state: &AppState, user: &user::Model) -> AppResult<TokenPair> {
    let refresh = new_refresh(&state.db, state, user.id, Uuid::now_v7()).await?;
    Ok(TokenPair { access: state.jwt.issue(user.id, &user.role)?, refresh })
}

fn refresh_refused() -> AppError {
    AppError::Unauthorized("token_not_valid", "Token is invalid or expired".into())
}

async fn revoke_family(db: &impl ConnectionTrait, family: Uuid) -> AppResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, sea_orm::sea_query::Expr::value(now()))
        .filter(refresh_token::Column::FamilyId.eq(family))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Rotates a refresh token. Presenting one that was already used revokes its whole family:
/// somebody holds a stolen copy.
pub async fn refresh(state: &AppState, token: &str) -> AppResult<TokenPair> {
    let txn = state.db.begin().await?;
    let found = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash_token(token)))
        .one(&txn)
        .await?
        .ok_or_else(refresh_refused)?;
    if found.used_at.is_some() {
        revoke_family(&txn, found.family_id).await?;
        txn.commit().await?;
        return Err(refresh_refused());
    }
    if found.revoked_at.is_some() || found.expires_at <= Utc::now() {
        return Err(refresh_refused());
    }
    // Only one concurrent rotation may win: the update is conditional on the token being unused.
    let claimed = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, sea_orm::sea_query::Expr::value(now()))
        .filter(refresh_token::Column::Id.eq(found.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(refresh_refused());
    }
    let user = active_user(&txn, found.user_id).await?.ok_or_else(refresh_refused)?;
    let refresh = new_refresh(&txn, state, user.id, found.family_id).await?;
    txn.commit().await?;
    Ok(TokenPair { access: state.jwt.issue(user.id, &user.role)?, refresh })
}

/// Revokes the refresh token's family (API logout).
pub async fn logout(state: &AppState, actor: &Actor, token: &str) -> AppResult<()> {
    let found = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash_token(token)))
        .one(&state.db)
        .await?;
    match found {
        Some(t) if Some(t.user_id) == actor.user_id => {
            revoke_family(&state.db, t.family_id).await?;
            record(&state.db, actor, Entry::new("logout", "user", t.user_id)).await?;
            Ok(())
        }
        _ => Err(invalid("refresh", "Token is invalid or expired")),
    }
}

/// Changes the actor's password after checking the current one; ends other sessions and tokens.
/// `keep_session` is the page session the change was made from (it stays signed in).
pub async fn change_password(
    state: &AppState,
    actor: &Actor,
    current: &str,
    new: &str,
    keep_session: Option<Uuid>,
) -> AppResult<()> {
    let user_id = actor.user_id.ok_or_else(crate::error::forbidden)?;
    let user = active_user(&state.db, user_id).await?.ok_or(crate::error::not_found("user"))?;
    if !verify_password(current.to_owned(), user.password_hash.clone()).await? {
        return Err(invalid("old_password", "Your old password was entered incorrectly."));
    }
    validate_password("new_password", new, &user.email)?;
    let hash = hash_password(new.to_owned()).await?;
    let txn = state.db.begin().await?;
    let mut row: user::ActiveModel = user.into();
    row.password_hash = Set(hash);
    row.password_changed_at = Set(Some(now()));
    row.updated_at = Set(now());
    row.update(&txn).await?;
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, sea_orm::sea_query::Expr::value(now()))
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    let mut sessions = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
    if let Some(keep) = keep_session {
        sessions = sessions.filter(session::Column::Id.ne(keep));
    }
    sessions.exec(&txn).await?;
    record(&txn, actor, Entry::new("password_changed", "user", user_id)).await?;
    txn.commit().await?;
    Ok(())
}

#[expect(clippy::too_many_arguments, reason = "seeding and test fixtures pass every column positionally")]
/// Creates a user from the CLI or seeding (no actor checks beyond the role's validity).
pub async fn create_user_raw(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
    role: crate::auth::Role,
    hospital_id: Option<Uuid>,
    department_id: Option<Uuid>,
    names: (&str, &str),
    language: &str,
) -> AppResult<user::Model> {
    let at = now();
    let hash = hash_password(password.to_owned()).await?;
    Ok(user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email.trim().to_lowercase()),
        username: Set(None),
        first_name: Set(names.0.to_owned()),
        last_name: Set(names.1.to_owned()),
        phone: Set(String::new()),
        hospital_id: Set(hospital_id),
        department_id: Set(department_id),
        role: Set(role.as_str().to_owned()),
        language: Set(language.to_owned()),
        password_hash: Set(hash),
        is_active: Set(true),
        failed_login_count: Set(0),
        locked_until: Set(None),
        last_login_at: Set(None),
        password_changed_at: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await?)
}
