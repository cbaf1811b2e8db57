//! The durable job queue, scheduler bookkeeping, and notifications (messages, templates,
//! opt-outs, contact rules on hospitals).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0002_jobs_notifications"
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
CREATE TABLE jobs (
    id {uuid} PRIMARY KEY,
    queue varchar(30) NOT NULL,
    kind varchar(50) NOT NULL,
    payload {json} NOT NULL,
    -- queued → running → done | queued again (retry) | dead
    status varchar(12) NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL,
    run_at {ts} NOT NULL,
    locked_by varchar(100) NOT NULL DEFAULT '',
    locked_until {ts},
    last_error text NOT NULL DEFAULT '',
    -- Enqueueing the same key twice while the first is not dead keeps one job.
    dedupe_key varchar(200),
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL,
    finished_at {ts}
)
--;;
CREATE INDEX ix_jobs__claim ON jobs (queue, status, run_at)
--;;
CREATE INDEX ix_jobs__lease ON jobs (status, locked_until)
--;;
CREATE UNIQUE INDEX uq_jobs__dedupe_key ON jobs (dedupe_key) WHERE dedupe_key IS NOT NULL AND status <> 'dead'
--;;
CREATE TABLE schedule_runs (
    schedule varchar(50) NOT NULL,
    tick {ts} NOT NULL,
    instance varchar(100) NOT NULL,
    created_at {ts} NOT NULL,
    PRIMARY KEY (schedule, tick)
)
--;;
CREATE TABLE notification_templates (
    id {uuid} PRIMARY KEY,
    code varchar(50) NOT NULL,
    channel varchar(10) NOT NULL,
    language varchar(2) NOT NULL,
    subject varchar(200) NOT NULL DEFAULT '',
    body text NOT NULL,
    is_active boolean NOT NULL DEFAULT true,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
)
--;;
CREATE UNIQUE INDEX uq_notification_templates__code ON notification_templates (code, channel, language)
--;;
CREATE TABLE messages (
    id {uuid} PRIMARY KEY,
    hospital_id {uuid} REFERENCES hospitals (id),
    patient_id {uuid} REFERENCES patients (id),
    channel varchar(10) NOT NULL,
    recipient varchar(254) NOT NULL,
    template_code varchar(50) NOT NULL,
    language varchar(2) NOT NULL,
    subject varchar(200) NOT NULL DEFAULT '',
    body text NOT NULL,
    -- queued | held | sent | delivered | failed | suppressed
    status varchar(12) NOT NULL,
    suppression_reason varchar(200) NOT NULL DEFAULT '',
    provider varchar(30) NOT NULL DEFAULT '',
    provider_message_id varchar(100),
    attempts integer NOT NULL DEFAULT 0,
    error text NOT NULL DEFAULT '',
    -- A survey message counts toward the patient's frequency cap.
    category varchar(20) NOT NULL DEFAULT 'general',
    scheduled_for {ts} NOT NULL,
    sent_at {ts},
    delivered_at {ts},
    created_by {uuid},
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
)
--;;
CREATE INDEX ix_messages__hospital_created ON messages (hospital_id, created_at)
--;;
CREATE INDEX ix_messages__patient ON messages (patient_id, category, status)
--;;
CREATE UNIQUE INDEX uq_messages__provider_id ON messages (provider, provider_message_id) WHERE provider_message_id IS NOT NULL
--;;
CREATE TABLE contact_opt_outs (
    id {uuid} PRIMARY KEY,
    channel varchar(10) NOT NULL,
    -- E.164 phone or lower-cased email
    address varchar(254) NOT NULL,
    patient_id {uuid} REFERENCES patients (id),
    reason varchar(200) NOT NULL DEFAULT '',
    created_at {ts} NOT NULL
)
--;;
CREATE UNIQUE INDEX uq_contact_opt_outs__address ON contact_opt_outs (channel, address)
--;;
ALTER TABLE hospitals ADD COLUMN quiet_hours_start integer NOT NULL DEFAULT 22
--;;
ALTER TABLE hospitals ADD COLUMN quiet_hours_end integer NOT NULL DEFAULT 8
--;;
ALTER TABLE hospitals ADD COLUMN survey_throttle_days integer NOT NULL DEFAULT 7
"#;

const DOWN: &str = r#"
DROP TABLE contact_opt_outs
--;;
DROP TABLE messages
--;;
DROP TABLE notification_templates
--;;
DROP TABLE schedule_runs
--;;
DROP TABLE jobs
"#;
