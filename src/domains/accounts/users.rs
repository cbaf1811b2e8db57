//! User management: PX admins manage everyone, hospital admins the users of their hospital, and
//! nobody grants a role at or above their own level (PX admins excepted).

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, Order, QueryFilter, Set, TransactionTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::user;
use crate::app::AppState;
use crate::auth::password::{check_password_policy, hash_password};
use crate::auth::{Actor, Permission, Role};
use crate::crud::{FieldKind, FieldSpec, ListQuery, RefOptions, Resource, field};
use crate::domains::audit::service::{Entry, record};
use crate::domains::organizations::rules;
use crate::domains::organizations::service::{check_department, except, now, unique, visible_hospital};
use crate::error::{AppResult, FieldErrors, not_found};
use crate::http::validate::{choice, email, optional};
use crate::http::{Page, pagination};
use crate::i18n::Lang;

pub const ROLES: &[&str] = &[
    "px_admin",
    "hospital_admin",
    "department_manager",
    "px_coordinator",
    "physician",
    "nurse",
    "staff",
    "viewer",
    "source_user",
];
pub const LANGUAGES: &[&str] = &["ar", "en"];

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    /// Login; unique, case-insensitive.
    pub email: Option<String>,
    /// Initial password (create only; users change it themselves afterwards).
    #[serde(skip_serializing)]
    pub password: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    /// One of the nine roles, snake_case.
    pub role: Option<String>,
    /// Required for every role but `px_admin`.
    pub hospital_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    /// `ar` or `en`.
    pub language: Option<String>,
    pub is_active: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub role: String,
    pub hospital_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub language: String,
    pub is_active: bool,
    pub last_login_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<user::Model> for UserView {
    fn from(m: user::Model) -> Self {
        UserView {
            id: m.id,
            email: m.email,
            first_name: m.first_name,
            last_name: m.last_name,
            phone: m.phone,
            role: m.role,
            hospital_id: m.hospital_id,
            department_id: m.department_id,
            language: m.language,
            is_active: m.is_active,
            last_login_at: m.last_login_at,
            created_at: m.created_at,
        }
    }
}

fn input_of(m: &user::Model) -> UserInput {
    UserInput {
        email: Some(m.email.clone()),
        password: None,
        first_name: Some(m.first_name.clone()),
        last_name: Some(m.last_name.clone()),
        phone: Some(m.phone.clone()),
        role: Some(m.role.clone()),
        hospital_id: m.hospital_id,
        department_id: m.department_id,
        language: Some(m.language.clone()),
        is_active: Some(m.is_active),
    }
}

pub struct Users;

async fn find(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<user::Model> {
    let found = actor
        .scoped(user::Entity::find_by_id(id), user::Column::HospitalId)
        .one(&state.db)
        .await?
        .ok_or(not_found("user"))?;
    // A hospital admin may not even look at an account above their level (e.g. a PX admin).
    let role = Role::parse(&found.role).unwrap_or(Role::Viewer);
    if actor.role != Role::PxAdmin && !actor.role.can_grant(role) && Some(found.id) != actor.user_id {
        return Err(not_found("user"));
    }
    Ok(found)
}

async fn save(state: &AppState, actor: &Actor, input: UserInput, existing: Option<user::Model>) -> AppResult<UserView> {
    let mut errors = FieldErrors::new();
    let id = existing.as_ref().map(|e| e.id);
    let email_value = email(&mut errors, "email", input.email.as_deref());
    if email_value.is_empty() && errors.get("email").is_none() {
        errors.add("email", "This field is required.");
    }
    let first_name = optional(&mut errors, "first_name", input.first_name.as_deref(), 100);
    let last_name = optional(&mut errors, "last_name", input.last_name.as_deref(), 100);
    let phone = rules::phone(&mut errors, "phone", input.phone.as_deref());
    let language = choice(&mut errors, "language", input.language.as_deref(), LANGUAGES, "ar");
    let role = match input.role.as_deref().map(str::trim) {
        None | Some("") => {
            errors.add("role", "This field is required.");
            None
        }
        Some(r) => match Role::parse(r) {
            None => {
                errors.add("role", format!("\"{r}\" is not a valid choice."));
                None
            }
            Some(role) if !actor.role.can_grant(role) => {
                errors.add("role", "You cannot grant a role at or above your own level.");
                None
            }
            Some(role) => Some(role),
        },
    };
    if existing.as_ref().is_some_and(|e| Some(e.id) == actor.user_id && Some(e.role.as_str()) != role.map(Role::as_str))
    {
        errors.add("role", "You cannot change your own role.");
    }
    let hospital_id = match (actor.role, role, input.hospital_id) {
        (_, Some(Role::PxAdmin), _) => None,
        (Role::PxAdmin, _, Some(h)) => match visible_hospital(&state.db, actor, h).await? {
            Some(h) => Some(h.id),
            None => {
                errors.add("hospital_id", "Invalid pk - object does not exist.");
                None
            }
        },
        (Role::PxAdmin, _, None) => {
            errors.add("hospital_id", "Every role but px_admin belongs to a hospital.");
            None
        }
        (_, _, Some(h)) if Some(h) != actor.hospital_id => {
            errors.add("hospital_id", "Invalid pk - object does not exist.");
            None
        }
        _ => actor.hospital_id,
    };
    if let Some(h) = hospital_id {
        check_department(&state.db, &mut errors, "department_id", h, input.department_id).await?;
    } else if input.department_id.is_some() {
        errors.add("department_id", "A user without a hospital has no department.");
    }
    let password_hash = match (&existing, input.password.as_deref()) {
        (None, None | Some("")) => {
            errors.add("password", "This field is required.");
            None
        }
        (None, Some(p)) => {
            check_password_policy("password", p, &email_value, &mut errors);
            Some(p.to_owned())
        }
        (Some(_), Some(p)) if !p.is_empty() => {
            errors.add("password", "Users change their own password; it cannot be set here.");
            None
        }
        (Some(_), _) => None,
    };
    let is_active = input.is_active.unwrap_or(true);
    if !is_active && id.is_some() && id == actor.user_id {
        errors.add("is_active", "You cannot deactivate your own account.");
    }
    if !email_value.is_empty() {
        let same = user::Entity::find().filter(user::Column::Email.eq(email_value.clone()));
        unique(&state.db, &mut errors, "email", "user", except(same, user::Column::Id, id)).await?;
    }
    errors.into_result()?;
    let role = role.ok_or_else(|| anyhow::anyhow!("role validated above"))?;

    let at = now();
    let mut row = user::ActiveModel {
        email: Set(email_value),
        first_name: Set(first_name),
        last_name: Set(last_name),
        phone: Set(phone),
        role: Set(role.as_str().to_owned()),
        hospital_id: Set(hospital_id),
        department_id: Set(if hospital_id.is_some() { input.department_id } else { None }),
        language: Set(language),
        is_active: Set(is_active),
        updated_at: Set(at),
        ..Default::default()
    };
    let txn = state.db.begin().await?;
    let saved = match &existing {
        Some(e) => {
            row.id = sea_orm::Unchanged(e.id);
            let saved = row.update(&txn).await?;
            if e.role != saved.role {
                record(
                    &txn,
                    actor,
                    Entry::new("role_changed", "user", e.id)
                        .hospital(saved.hospital_id)
                        .details(serde_json::json!({"from": e.role, "to": saved.role})),
                )
                .await?;
            }
            if !saved.is_active {
                crate::auth::session::end_all_for_user(&state.db, e.id).await?;
            }
            record(&txn, actor, Entry::new("update", "user", e.id).hospital(saved.hospital_id)).await?;
            saved
        }
        None => {
            let hash = hash_password(password_hash.unwrap_or_default()).await?;
            row.id = Set(Uuid::now_v7());
            row.password_hash = Set(hash);
            row.username = Set(None);
            row.failed_login_count = Set(0);
            row.locked_until = Set(None);
            row.last_login_at = Set(None);
            row.password_changed_at = Set(None);
            row.created_at = Set(at);
            let saved = row.insert(&txn).await?;
            record(
                &txn,
                actor,
                Entry::new("create", "user", saved.id)
                    .hospital(saved.hospital_id)
                    .details(serde_json::json!({"role": saved.role})),
            )
            .await?;
            saved
        }
    };
    txn.commit().await?;
    Ok(saved.into())
}

impl Resource for Users {
    const KEY: &'static str = "users";
    const NOUN: &'static str = "user";
    const VIEW: Permission = Permission::ManageUsers;
    const MANAGE: Permission = Permission::ManageUsers;
    type View = UserView;
    type Model = user::Model;
    type Input = UserInput;

    async fn find(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<user::Model> {
        find(state, actor, id).await
    }

    fn input_of(m: &user::Model) -> UserInput {
        input_of(m)
    }

    async fn save(
        state: &AppState,
        actor: &Actor,
        input: UserInput,
        existing: Option<user::Model>,
    ) -> AppResult<UserView> {
        save(state, actor, input, existing).await
    }

    fn to_view(_actor: &Actor, m: user::Model) -> UserView {
        m.into()
    }

    fn fields() -> &'static [FieldSpec] {
        const F: &[FieldSpec] = &[
            field("email", FieldKind::Email, true),
            FieldSpec { name: "password", kind: FieldKind::Password, required: true, create_only: true },
            field("first_name", FieldKind::Text, false),
            field("last_name", FieldKind::Text, false),
            field("phone", FieldKind::Phone, false),
            field("role", FieldKind::Choice(ROLES, "role"), true),
            field("hospital_id", FieldKind::Ref(RefOptions::Hospitals), false),
            field("department_id", FieldKind::Ref(RefOptions::Departments), false),
            field("language", FieldKind::Choice(LANGUAGES, "language"), false),
            field("is_active", FieldKind::Checkbox, false),
        ];
        F
    }

    fn list_filters() -> &'static [FieldSpec] {
        const F: &[FieldSpec] = &[field("role", FieldKind::Choice(ROLES, "role"), false)];
        F
    }

    async fn list(state: &AppState, actor: &Actor, query: &ListQuery) -> AppResult<Page<UserView>> {
        actor.require(state, Self::VIEW).await?;
        let mut select = actor.scoped(user::Entity::find(), user::Column::HospitalId);
        if actor.role != Role::PxAdmin {
            let lower: Vec<&str> = Role::ALL.iter().filter(|r| actor.role.can_grant(**r)).map(|r| r.as_str()).collect();
            select = select.filter(
                sea_orm::Condition::any()
                    .add(user::Column::Role.is_in(lower))
                    .add(user::Column::Id.eq(actor.user_id.unwrap_or_default())),
            );
        }
        if let Some(role) = query.filter("role") {
            select = select.filter(user::Column::Role.eq(role));
        }
        if let Some(active) = query.filter("is_active") {
            select = select.filter(user::Column::IsActive.eq(active == "true"));
        }
        use user::Column as C;
        select = pagination::search(select, &query.params, &[C::Email, C::FirstName, C::LastName]);
        let allowed =
            [("email", C::Email), ("role", C::Role), ("created_at", C::CreatedAt), ("last_login_at", C::LastLoginAt)];
        select = pagination::order(select, &query.params, &allowed, (C::Email, Order::Asc))?;
        Ok(pagination::fetch(&state.db, select, &query.params, &query.path).await?.map(Into::into))
    }

    /// Users are deactivated, never deleted: the audit log keeps pointing at them.
    async fn delete(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<()> {
        actor.require(state, Self::MANAGE).await?;
        let existing = find(state, actor, id).await?;
        if Some(existing.id) == actor.user_id {
            return Err(crate::error::invalid("non_field_errors", "You cannot deactivate your own account."));
        }
        let hospital_id = existing.hospital_id;
        let mut row: user::ActiveModel = existing.into();
        row.is_active = Set(false);
        row.updated_at = Set(now());
        let txn = state.db.begin().await?;
        row.update(&txn).await?;
        record(&txn, actor, Entry::new("deactivate", "user", id).hospital(hospital_id)).await?;
        txn.commit().await?;
        crate::auth::session::end_all_for_user(&state.db, id).await?;
        Ok(())
    }

    fn row(v: &UserView, lang: Lang) -> Vec<(String, String)> {
        vec![
            ("field-email".into(), v.email.clone()),
            ("field-name".into(), format!("{} {}", v.first_name, v.last_name).trim().to_owned()),
            ("field-role".into(), lang.t(&format!("role-{}", v.role))),
            ("field-is_active".into(), lang.t(if v.is_active { "yes" } else { "no" })),
        ]
    }
    fn id_of(v: &UserView) -> Uuid {
        v.id
    }
    fn title_of(v: &UserView, _: Lang) -> String {
        v.email.clone()
    }
}
