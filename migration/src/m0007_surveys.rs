//! Surveys: template settings, draft questions and immutable published versions, survey instances
//! rebuilt for every source (journeys, complaint closure, staff, kiosks) with delivery, scoring and
//! reminder columns, extra links (reminders), answers, staff contact logs and kiosk QR links.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0007_surveys"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_ddl_atomic(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_ddl_atomic(manager, DOWN).await
    }
}

const UP: &str = r#"
ALTER TABLE survey_templates ADD COLUMN description_en text NOT NULL DEFAULT ''
--;;
ALTER TABLE survey_templates ADD COLUMN description_ar text NOT NULL DEFAULT ''
--;;
-- average | weighted | nps
ALTER TABLE survey_templates ADD COLUMN scoring_method varchar(20) NOT NULL DEFAULT 'average'
--;;
-- null: the method's default (3.0 for average/weighted, 7 for nps)
ALTER TABLE survey_templates ADD COLUMN negative_threshold double precision
--;;
ALTER TABLE survey_templates ADD COLUMN link_valid_days integer NOT NULL DEFAULT 7
--;;
ALTER TABLE survey_templates ADD COLUMN throttle_exempt boolean NOT NULL DEFAULT false
--;;
ALTER TABLE survey_templates ADD COLUMN reminder_max integer NOT NULL DEFAULT 2
--;;
ALTER TABLE survey_templates ADD COLUMN reminder_interval_hours integer NOT NULL DEFAULT 48
--;;
-- the newest published version (0: never published)
ALTER TABLE survey_templates ADD COLUMN current_version integer NOT NULL DEFAULT 0
--;;
-- the draft questions differ from the current version
ALTER TABLE survey_templates ADD COLUMN has_draft_changes boolean NOT NULL DEFAULT false
--;;
-- the draft questions of a template (edited in the builder; published into a version)
CREATE TABLE survey_questions (
    id {uuid} PRIMARY KEY,
    survey_template_id {uuid} NOT NULL REFERENCES survey_templates (id),
    position integer NOT NULL,
    code varchar(50) NOT NULL,
    text_en text NOT NULL,
    text_ar text NOT NULL,
    -- rating | nps | yes_no | multiple_choice | likert | text | textarea
    question_type varchar(20) NOT NULL,
    is_required boolean NOT NULL DEFAULT true,
    weight double precision NOT NULL DEFAULT 1.0,
    -- [{value, label_en, label_ar, score}]
    choices {json} NOT NULL,
    allow_multiple boolean NOT NULL DEFAULT false,
    -- {question_code, op, value} or null
    show_if {json},
    is_overall boolean NOT NULL DEFAULT false,
    counts_for_physician boolean NOT NULL DEFAULT false,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
)
--;;
CREATE UNIQUE INDEX uq_survey_questions__code ON survey_questions (survey_template_id, code)
--;;
-- a published template: what the patients of its surveys see and how they are scored (immutable)
CREATE TABLE survey_template_versions (
    id {uuid} PRIMARY KEY,
    survey_template_id {uuid} NOT NULL REFERENCES survey_templates (id),
    version integer NOT NULL,
    definition {json} NOT NULL,
    published_by {uuid} REFERENCES users (id),
    created_at {ts} NOT NULL
)
--;;
CREATE UNIQUE INDEX uq_survey_template_versions ON survey_template_versions (survey_template_id, version)
--;;
-- rebuilt (patient optional, new columns): a new table, copied, renamed into place
CREATE TABLE survey_instances_v2 (
    id {uuid} PRIMARY KEY,
    hospital_id {uuid} NOT NULL REFERENCES hospitals (id),
    survey_template_id {uuid} NOT NULL REFERENCES survey_templates (id),
    -- pinned when created (or, for a template never published then, when first opened)
    template_version_id {uuid} REFERENCES survey_template_versions (id),
    -- none for kiosk surveys and complainants who are not registered patients
    patient_id {uuid} REFERENCES patients (id),
    journey_instance_id {uuid} REFERENCES journey_instances (id),
    stage_instance_id {uuid} REFERENCES stage_instances (id),
    complaint_id {uuid} REFERENCES complaints (id),
    department_id {uuid} REFERENCES departments (id),
    physician_id {uuid} REFERENCES staff (id),
    -- a follow-up satisfaction check points at the survey it follows
    parent_id {uuid},
    -- journey | complaint | manual | kiosk | follow_up
    source varchar(20) NOT NULL DEFAULT 'journey',
    -- scheduled | sent | delivered | viewed | in_progress | abandoned | completed | expired | cancelled | suppressed | pending
    status varchar(20) NOT NULL,
    suppression_reason varchar(200) NOT NULL DEFAULT '',
    channel varchar(20) NOT NULL DEFAULT '',
    language varchar(5) NOT NULL DEFAULT 'ar',
    token_hash varchar(64) NOT NULL,
    token_expires_at {ts} NOT NULL,
    scheduled_for {ts} NOT NULL,
    message_id {uuid} REFERENCES messages (id),
    sent_at {ts},
    opened_at {ts},
    started_at {ts},
    completed_at {ts},
    last_activity_at {ts},
    reminder_count integer NOT NULL DEFAULT 0,
    last_reminder_at {ts},
    total_score double precision,
    -- total_score on 0–100
    score_100 double precision,
    is_negative boolean NOT NULL DEFAULT false,
    action_id {uuid} REFERENCES px_actions (id),
    created_by {uuid} REFERENCES users (id),
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
)
--;;
INSERT INTO survey_instances_v2 (id, hospital_id, survey_template_id, patient_id, journey_instance_id, stage_instance_id, source, status, token_hash, token_expires_at, scheduled_for, message_id, created_at, updated_at)
SELECT id, hospital_id, survey_template_id, patient_id, journey_instance_id, stage_instance_id, 'journey', status, token_hash, token_expires_at, scheduled_for, message_id, created_at, updated_at FROM survey_instances
--;;
DROP TABLE survey_instances
--;;
ALTER TABLE survey_instances_v2 RENAME TO survey_instances
--;;
CREATE UNIQUE INDEX uq_survey_instances__stage ON survey_instances (stage_instance_id) WHERE stage_instance_id IS NOT NULL
--;;
CREATE UNIQUE INDEX uq_survey_instances__complaint ON survey_instances (complaint_id) WHERE complaint_id IS NOT NULL AND source = 'complaint'
--;;
CREATE UNIQUE INDEX uq_survey_instances__token ON survey_instances (token_hash)
--;;
-- one follow-up satisfaction check per survey
CREATE UNIQUE INDEX uq_survey_instances__follow_up ON survey_instances (parent_id) WHERE parent_id IS NOT NULL AND source = 'follow_up'
--;;
CREATE INDEX ix_survey_instances__hospital ON survey_instances (hospital_id, created_at)
--;;
CREATE INDEX ix_survey_instances__template ON survey_instances (survey_template_id, status)
--;;
CREATE INDEX ix_survey_instances__open ON survey_instances (status, token_expires_at)
--;;
CREATE INDEX ix_survey_instances__patient ON survey_instances (patient_id)
--;;
CREATE INDEX ix_survey_instances__message ON survey_instances (message_id)
--;;
-- further links to one survey (each reminder carries a new one; the first is on the instance)
CREATE TABLE survey_links (
    token_hash varchar(64) PRIMARY KEY,
    survey_instance_id {uuid} NOT NULL REFERENCES survey_instances (id),
    -- the message that carried it (a reminder, or an invitation on a fallback channel)
    message_id {uuid} REFERENCES messages (id),
    created_at {ts} NOT NULL
)
--;;
CREATE INDEX ix_survey_links__message ON survey_links (message_id)
--;;
-- one answer per question of a survey
CREATE TABLE survey_responses (
    id {uuid} PRIMARY KEY,
    survey_instance_id {uuid} NOT NULL REFERENCES survey_instances (id),
    question_code varchar(50) NOT NULL,
    -- rating/likert 1–5, nps 0–10, yes_no 1/0
    value_number double precision,
    value_text text NOT NULL DEFAULT '',
    -- chosen values of a multiple-choice question
    value_choices {json},
    -- the 1–5 score it counts for (null: not scored)
    score double precision,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
)
--;;
CREATE UNIQUE INDEX uq_survey_responses ON survey_responses (survey_instance_id, question_code)
--;;
-- staff follow-up of a survey: a patient contact, a follow-up survey sent
CREATE TABLE survey_contacts (
    id {uuid} PRIMARY KEY,
    survey_instance_id {uuid} NOT NULL REFERENCES survey_instances (id),
    user_id {uuid} REFERENCES users (id),
    -- contact | follow_up_sent
    kind varchar(20) NOT NULL,
    -- reached | no_answer | wrong_number | refused | resolved
    outcome varchar(20) NOT NULL DEFAULT '',
    note text NOT NULL DEFAULT '',
    created_at {ts} NOT NULL
)
--;;
CREATE INDEX ix_survey_contacts ON survey_contacts (survey_instance_id, created_at)
--;;
-- a department's QR code: opens an anonymous survey of a template
CREATE TABLE survey_kiosks (
    id {uuid} PRIMARY KEY,
    hospital_id {uuid} NOT NULL REFERENCES hospitals (id),
    department_id {uuid} REFERENCES departments (id),
    survey_template_id {uuid} NOT NULL REFERENCES survey_templates (id),
    -- the public code in the QR link (random, not secret)
    code varchar(32) NOT NULL,
    name varchar(200) NOT NULL DEFAULT '',
    is_active boolean NOT NULL DEFAULT true,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
)
--;;
CREATE UNIQUE INDEX uq_survey_kiosks__code ON survey_kiosks (code)
"#;

const DOWN: &str = r#"
DROP TABLE survey_kiosks
--;;
DROP TABLE survey_contacts
--;;
DROP TABLE survey_responses
--;;
DROP TABLE survey_links
--;;
CREATE TABLE survey_instances_v1 (
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
INSERT INTO survey_instances_v1 (id, hospital_id, survey_template_id, patient_id, journey_instance_id, stage_instance_id, status, token_hash, token_expires_at, scheduled_for, message_id, created_at, updated_at)
SELECT id, hospital_id, survey_template_id, patient_id, journey_instance_id, stage_instance_id, substr(status, 1, 12), token_hash, token_expires_at, scheduled_for, message_id, created_at, updated_at FROM survey_instances WHERE patient_id IS NOT NULL
--;;
DROP TABLE survey_instances
--;;
ALTER TABLE survey_instances_v1 RENAME TO survey_instances
--;;
CREATE UNIQUE INDEX uq_survey_instances__stage ON survey_instances (stage_instance_id) WHERE stage_instance_id IS NOT NULL
--;;
CREATE UNIQUE INDEX uq_survey_instances__token ON survey_instances (token_hash)
--;;
DROP TABLE survey_template_versions
--;;
DROP TABLE survey_questions
--;;
ALTER TABLE survey_templates DROP COLUMN has_draft_changes
--;;
ALTER TABLE survey_templates DROP COLUMN current_version
--;;
ALTER TABLE survey_templates DROP COLUMN reminder_interval_hours
--;;
ALTER TABLE survey_templates DROP COLUMN reminder_max
--;;
ALTER TABLE survey_templates DROP COLUMN throttle_exempt
--;;
ALTER TABLE survey_templates DROP COLUMN link_valid_days
--;;
ALTER TABLE survey_templates DROP COLUMN negative_threshold
--;;
ALTER TABLE survey_templates DROP COLUMN scoring_method
--;;
ALTER TABLE survey_templates DROP COLUMN description_ar
--;;
ALTER TABLE survey_templates DROP COLUMN description_en
"#;
