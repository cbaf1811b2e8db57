//! Organizations, accounts, sessions, refresh tokens, the audit log and process heartbeats.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0001_platform"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_ddl(manager, UP).await?;
        // The audit log is append-only at the database level too: only the retention job (a
        // later migration's function) may remove rows, never an UPDATE.
        let guard = match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => PG_AUDIT_GUARD,
            _ => SQLITE_AUDIT_GUARD,
        };
        crate::run_ddl(manager, guard).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_ddl(manager, DOWN).await
    }
}

// Unique constraints on soft-deletable tables are partial indexes over live rows only.
const UP: &str = r#"
CREATE TABLE organizations (
    id {uuid} PRIMARY KEY,
    code varchar(50) NOT NULL,
    name_en varchar(200) NOT NULL,
    name_ar varchar(200) NOT NULL DEFAULT '',
    phone varchar(20) NOT NULL DEFAULT '',
    email varchar(254) NOT NULL DEFAULT '',
    address text NOT NULL DEFAULT '',
    license_number varchar(100) NOT NULL DEFAULT '',
    status varchar(20) NOT NULL DEFAULT 'active',
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL,
    deleted_at {ts}
)
--;;
CREATE UNIQUE INDEX uq_organizations__code ON organizations (code) WHERE deleted_at IS NULL
--;;
CREATE TABLE hospitals (
    id {uuid} PRIMARY KEY,
    organization_id {uuid} REFERENCES organizations (id),
    code varchar(50) NOT NULL,
    his_code varchar(50) NOT NULL DEFAULT '',
    name_en varchar(200) NOT NULL,
    name_ar varchar(200) NOT NULL DEFAULT '',
    city varchar(100) NOT NULL DEFAULT '',
    phone varchar(20) NOT NULL DEFAULT '',
    email varchar(254) NOT NULL DEFAULT '',
    address text NOT NULL DEFAULT '',
    license_number varchar(100) NOT NULL DEFAULT '',
    status varchar(20) NOT NULL DEFAULT 'active',
    default_language varchar(2) NOT NULL DEFAULT 'ar',
    auto_create_action_on_complaint boolean NOT NULL DEFAULT false,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL,
    deleted_at {ts}
)
--;;
CREATE UNIQUE INDEX uq_hospitals__code ON hospitals (code) WHERE deleted_at IS NULL
--;;
CREATE TABLE users (
    id {uuid} PRIMARY KEY,
    email varchar(254) NOT NULL,
    username varchar(150),
    first_name varchar(100) NOT NULL DEFAULT '',
    last_name varchar(100) NOT NULL DEFAULT '',
    phone varchar(20) NOT NULL DEFAULT '',
    hospital_id {uuid} REFERENCES hospitals (id),
    department_id {uuid},
    role varchar(30) NOT NULL,
    language varchar(2) NOT NULL DEFAULT 'en',
    password_hash text NOT NULL,
    is_active boolean NOT NULL DEFAULT true,
    failed_login_count integer NOT NULL DEFAULT 0,
    locked_until {ts},
    last_login_at {ts},
    password_changed_at {ts},
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
)
--;;
CREATE UNIQUE INDEX uq_users__email ON users (email)
--;;
CREATE UNIQUE INDEX uq_users__username ON users (username)
--;;
CREATE INDEX ix_users__hospital ON users (hospital_id)
--;;
CREATE TABLE departments (
    id {uuid} PRIMARY KEY,
    hospital_id {uuid} NOT NULL REFERENCES hospitals (id),
    parent_id {uuid} REFERENCES departments (id),
    code varchar(50) NOT NULL,
    name_en varchar(200) NOT NULL,
    name_ar varchar(200) NOT NULL DEFAULT '',
    manager_id {uuid} REFERENCES users (id),
    phone varchar(20) NOT NULL DEFAULT '',
    email varchar(254) NOT NULL DEFAULT '',
    location varchar(200) NOT NULL DEFAULT '',
    status varchar(20) NOT NULL DEFAULT 'active',
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL,
    deleted_at {ts}
)
--;;
CREATE UNIQUE INDEX uq_departments__code ON departments (hospital_id, code) WHERE deleted_at IS NULL
--;;
CREATE TABLE staff (
    id {uuid} PRIMARY KEY,
    hospital_id {uuid} NOT NULL REFERENCES hospitals (id),
    department_id {uuid} REFERENCES departments (id),
    user_id {uuid} REFERENCES users (id),
    staff_type varchar(20) NOT NULL,
    employee_id varchar(50) NOT NULL DEFAULT '',
    first_name_en varchar(100) NOT NULL,
    last_name_en varchar(100) NOT NULL DEFAULT '',
    first_name_ar varchar(100) NOT NULL DEFAULT '',
    last_name_ar varchar(100) NOT NULL DEFAULT '',
    email varchar(254) NOT NULL DEFAULT '',
    phone varchar(20) NOT NULL DEFAULT '',
    job_title_en varchar(200) NOT NULL DEFAULT '',
    job_title_ar varchar(200) NOT NULL DEFAULT '',
    license_number varchar(100),
    specialization_en varchar(200) NOT NULL DEFAULT '',
    specialization_ar varchar(200) NOT NULL DEFAULT '',
    status varchar(20) NOT NULL DEFAULT 'active',
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL,
    deleted_at {ts}
)
--;;
CREATE UNIQUE INDEX uq_staff__license_number ON staff (hospital_id, license_number) WHERE deleted_at IS NULL AND license_number IS NOT NULL
--;;
CREATE INDEX ix_staff__hospital_type ON staff (hospital_id, staff_type)
--;;
CREATE TABLE patients (
    id {uuid} PRIMARY KEY,
    hospital_id {uuid} NOT NULL REFERENCES hospitals (id),
    mrn varchar(50) NOT NULL,
    national_id varchar(10) NOT NULL DEFAULT '',
    first_name_en varchar(100) NOT NULL DEFAULT '',
    last_name_en varchar(100) NOT NULL DEFAULT '',
    first_name_ar varchar(100) NOT NULL DEFAULT '',
    last_name_ar varchar(100) NOT NULL DEFAULT '',
    phone varchar(20) NOT NULL DEFAULT '',
    email varchar(254) NOT NULL DEFAULT '',
    gender varchar(10) NOT NULL DEFAULT '',
    date_of_birth date,
    nationality varchar(100) NOT NULL DEFAULT '',
    preferred_language varchar(2) NOT NULL DEFAULT 'ar',
    preferred_channel varchar(10) NOT NULL DEFAULT 'sms',
    is_deceased boolean NOT NULL DEFAULT false,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL,
    deleted_at {ts}
)
--;;
CREATE UNIQUE INDEX uq_patients__mrn ON patients (hospital_id, mrn) WHERE deleted_at IS NULL
--;;
CREATE TABLE sessions (
    id {uuid} PRIMARY KEY,
    token_hash varchar(64) NOT NULL,
    user_id {uuid} NOT NULL REFERENCES users (id),
    csrf_token varchar(64) NOT NULL,
    selected_hospital_id {uuid},
    ip varchar(64) NOT NULL DEFAULT '',
    user_agent varchar(300) NOT NULL DEFAULT '',
    expires_at {ts} NOT NULL,
    created_at {ts} NOT NULL
)
--;;
CREATE UNIQUE INDEX uq_sessions__token_hash ON sessions (token_hash)
--;;
CREATE TABLE refresh_tokens (
    id {uuid} PRIMARY KEY,
    token_hash varchar(64) NOT NULL,
    family_id {uuid} NOT NULL,
    user_id {uuid} NOT NULL REFERENCES users (id),
    expires_at {ts} NOT NULL,
    used_at {ts},
    revoked_at {ts},
    created_at {ts} NOT NULL
)
--;;
CREATE UNIQUE INDEX uq_refresh_tokens__token_hash ON refresh_tokens (token_hash)
--;;
CREATE INDEX ix_refresh_tokens__family ON refresh_tokens (family_id)
--;;
CREATE TABLE audit_chain_heads (
    chain_key varchar(40) PRIMARY KEY,
    seq {bigint} NOT NULL,
    hash varchar(64) NOT NULL
)
--;;
CREATE TABLE audit_events (
    id {uuid} PRIMARY KEY,
    chain_key varchar(40) NOT NULL,
    seq {bigint} NOT NULL,
    prev_hash varchar(64) NOT NULL,
    hash varchar(64) NOT NULL,
    actor_id {uuid},
    actor_email varchar(254) NOT NULL DEFAULT '',
    actor_role varchar(30) NOT NULL DEFAULT '',
    hospital_id {uuid},
    action varchar(50) NOT NULL,
    resource_type varchar(50) NOT NULL DEFAULT '',
    resource_id varchar(64) NOT NULL DEFAULT '',
    ip varchar(64) NOT NULL DEFAULT '',
    user_agent varchar(300) NOT NULL DEFAULT '',
    request_id varchar(64) NOT NULL DEFAULT '',
    details {json} NOT NULL,
    created_at {ts} NOT NULL
)
--;;
CREATE UNIQUE INDEX uq_audit_events__chain_seq ON audit_events (chain_key, seq)
--;;
CREATE INDEX ix_audit_events__created ON audit_events (created_at)
--;;
CREATE TABLE heartbeats (
    role varchar(30) PRIMARY KEY,
    instance varchar(100) NOT NULL,
    beat_at {ts} NOT NULL
)
"#;

const PG_AUDIT_GUARD: &str = r#"
CREATE FUNCTION px360_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql
--;;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION px360_audit_append_only()
"#;

const SQLITE_AUDIT_GUARD: &str = r#"
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END
"#;

const DOWN: &str = r#"
DROP TABLE heartbeats
--;;
DROP TABLE audit_events
--;;
DROP TABLE audit_chain_heads
--;;
DROP TABLE refresh_tokens
--;;
DROP TABLE sessions
--;;
DROP TABLE patients
--;;
DROP TABLE staff
--;;
DROP TABLE departments
--;;
DROP TABLE users
--;;
DROP TABLE hospitals
--;;
DROP TABLE organizations
"#;
