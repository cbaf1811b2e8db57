//! Integrations, second part: a rate limit per API key (and per-user overrides for JWT posters),
//! the HIS feed's request log (PII-redacted) and the per-hospital HIS `Type` map.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0004_integration_limits_his"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_ddl(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_ddl(manager, DOWN).await
    }
}

const UP: &str = r#"
-- requests a minute this key may post to the event endpoints; 0 = unlimited
ALTER TABLE api_keys ADD COLUMN rate_limit_per_minute integer NOT NULL DEFAULT 600
--;;
-- a JWT user's own limit on the event endpoints (else PX360_EVENTS_RATE_LIMIT_PER_MINUTE); 0 = unlimited
CREATE TABLE user_rate_limits (
    user_id {uuid} PRIMARY KEY REFERENCES users (id),
    per_minute integer NOT NULL,
    updated_at {ts} NOT NULL
)
--;;
CREATE TABLE his_request_logs (
    id {uuid} PRIMARY KEY,
    hospital_id {uuid} REFERENCES hospitals (id),
    -- feed | simulator
    origin varchar(20) NOT NULL,
    api_key_id {uuid},
    received_by {uuid},
    received_at {ts} NOT NULL,
    records_total integer NOT NULL,
    records_accepted integer NOT NULL,
    records_failed integer NOT NULL,
    events_created integer NOT NULL,
    duration_ms integer NOT NULL,
    -- [{"index": 2, "fields": {"AdmitDate": ["Use a date like 05-Jun-2025 11:06."]}}]: field names
    -- and fixed messages only, never the values (no names, phones or national ids)
    errors {json} NOT NULL
)
--;;
CREATE INDEX ix_his_request_logs__received ON his_request_logs (hospital_id, received_at)
--;;
-- HIS Type → {journey_type, event_code, discharge_event_code}; a hospital without a row uses the defaults
CREATE TABLE his_type_maps (
    hospital_id {uuid} PRIMARY KEY REFERENCES hospitals (id),
    entries {json} NOT NULL,
    updated_by {uuid},
    updated_at {ts} NOT NULL
)
"#;

const DOWN: &str = r#"
DROP TABLE his_type_maps
--;;
DROP TABLE his_request_logs
--;;
DROP TABLE user_rate_limits
--;;
ALTER TABLE api_keys DROP COLUMN rate_limit_per_minute
"#;
