//! Integration events, API keys, journey templates and instances, and the survey rows journeys
//! create (the surveys issue extends them).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0003_events_journeys"
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
CREATE TABLE api_keys (
    id {uuid} PRIMARY KEY,
    hospital_id {uuid} NOT NULL REFERENCES hospitals (id),
    name varchar(100) NOT NULL,
    -- comma-separated source systems this key may post for (his, lab, radiology, pharmacy, moh, chi)
    source_systems varchar(200) NOT NULL,
    prefix varchar(12) NOT NULL,
    key_hash varchar(64) NOT NULL,
    created_by {uuid},
    last_used_at {ts},
    revoked_at {ts},
    created_at {ts} NOT NULL
)
--;;
CREATE UNIQUE INDEX uq_api_keys__key_hash ON api_keys (key_hash)
--;;
CREATE TABLE survey_templates (
    id {uuid} PRIMARY KEY,
    hospital_id {uuid} NOT NULL REFERENCES hospitals (id),
    code varchar(50) NOT NULL,
    name_en varchar(200) NOT NULL,
    name_ar varchar(200) NOT NULL DEFAULT '',
    survey_type varchar(30) NOT NULL DEFAULT 'stage',
    is_active boolean NOT NULL DEFAULT true,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL,
    deleted_at {ts}
)
--;;
CREATE UNIQUE INDEX uq_survey_templates__code ON survey_templates (hospital_id, code) WHERE deleted_at IS NULL
--;;
CREATE TABLE journey_templates (
    id {uuid} PRIMARY KEY,
    hospital_id {uuid} NOT NULL REFERENCES hospitals (id),
    name_en varchar(200) NOT NULL,
    name_ar varchar(200) NOT NULL DEFAULT '',
    journey_type varchar(20) NOT NULL,
    is_active boolean NOT NULL DEFAULT true,
    is_default boolean NOT NULL DEFAULT false,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL,
    deleted_at {ts}
)
--;;
CREATE INDEX ix_journey_templates__hospital ON journey_templates (hospital_id, is_active)
--;;
CREATE TABLE stage_templates (
    id {uuid} PRIMARY KEY,
    journey_template_id {uuid} NOT NULL REFERENCES journey_templates (id),
    position integer NOT NULL,
    code varchar(50) NOT NULL,
    name_en varchar(200) NOT NULL,
    name_ar varchar(200) NOT NULL DEFAULT '',
    trigger_event_code varchar(100) NOT NULL,
    survey_template_id {uuid} REFERENCES survey_templates (id),
    send_delay_minutes integer NOT NULL DEFAULT 0,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
)
--;;
CREATE UNIQUE INDEX uq_stage_templates__trigger ON stage_templates (journey_template_id, trigger_event_code)
--;;
CREATE TABLE inbound_events (
    id {uuid} PRIMARY KEY,
    hospital_id {uuid} REFERENCES hospitals (id),
    source_system varchar(20) NOT NULL,
    event_code varchar(100) NOT NULL,
    encounter_id varchar(100) NOT NULL,
    patient_identifier varchar(100) NOT NULL,
    payload {json} NOT NULL,
    -- (source_system, idempotency_key) is unique: a replay answers the first event
    idempotency_key varchar(200),
    body_hash varchar(64) NOT NULL,
    -- pending → processing → processed | ignored | failed
    status varchar(12) NOT NULL,
    status_reason text NOT NULL DEFAULT '',
    attempts integer NOT NULL DEFAULT 0,
    api_key_id {uuid},
    received_by {uuid},
    received_at {ts} NOT NULL,
    processed_at {ts},
    updated_at {ts} NOT NULL
)
--;;
CREATE UNIQUE INDEX uq_inbound_events__idempotency ON inbound_events (source_system, idempotency_key) WHERE idempotency_key IS NOT NULL
--;;
CREATE INDEX ix_inbound_events__status ON inbound_events (status, received_at)
--;;
CREATE INDEX ix_inbound_events__encounter ON inbound_events (hospital_id, encounter_id)
--;;
CREATE TABLE journey_instances (
    id {uuid} PRIMARY KEY,
    hospital_id {uuid} NOT NULL REFERENCES hospitals (id),
    journey_template_id {uuid} NOT NULL REFERENCES journey_templates (id),
    patient_id {uuid} NOT NULL REFERENCES patients (id),
    encounter_id varchar(100) NOT NULL,
    status varchar(12) NOT NULL,
    physician_id {uuid} REFERENCES staff (id),
    department_id {uuid} REFERENCES departments (id),
    started_at {ts} NOT NULL,
    completed_at {ts},
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
)
--;;
CREATE UNIQUE INDEX uq_journey_instances__encounter ON journey_instances (hospital_id, encounter_id)
--;;
CREATE INDEX ix_journey_instances__patient ON journey_instances (patient_id)
--;;
CREATE TABLE stage_instances (
    id {uuid} PRIMARY KEY,
    journey_instance_id {uuid} NOT NULL REFERENCES journey_instances (id),
    stage_template_id {uuid} NOT NULL REFERENCES stage_templates (id),
    position integer NOT NULL,
    status varchar(12) NOT NULL,
    completed_at {ts},
    completed_by_event_id {uuid} REFERENCES inbound_events (id),
    physician_id {uuid} REFERENCES staff (id),
    department_id {uuid} REFERENCES departments (id),
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
)
--;;
CREATE UNIQUE INDEX uq_stage_instances__stage ON stage_instances (journey_instance_id, stage_template_id)
--;;
CREATE TABLE survey_instances (
    id {uuid} PRIMARY KEY,
    hospital_id {uuid} NOT NULL REFERENCES hospitals (id),
    survey_template_id {uuid} NOT NULL REFERENCES survey_templates (id),
    patient_id {uuid} NOT NULL REFERENCES patients (id),
    journey_instance_id {uuid} REFERENCES journey_instances (id),
    stage_instance_id {uuid} REFERENCES stage_instances (id),
    status varchar(12) NOT NULL,
    token_hash varchar(64) NOT NULL,
    token_expires_at {ts} NOT NULL,
    scheduled_for {ts} NOT NULL,
    message_id {uuid} REFERENCES messages (id),
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
)
--;;
CREATE UNIQUE INDEX uq_survey_instances__stage ON survey_instances (stage_instance_id) WHERE stage_instance_id IS NOT NULL
--;;
CREATE UNIQUE INDEX uq_survey_instances__token ON survey_instances (token_hash)
"#;

const DOWN: &str = r#"
DROP TABLE survey_instances
--;;
DROP TABLE stage_instances
--;;
DROP TABLE journey_instances
--;;
DROP TABLE inbound_events
--;;
DROP TABLE stage_templates
--;;
DROP TABLE journey_templates
--;;
DROP TABLE survey_templates
--;;
DROP TABLE api_keys
"#;
