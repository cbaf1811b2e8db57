//! Complaints and the PX Action Center: the bilingual complaint taxonomy, complaints with their
//! timeline and attachments, SLA configurations, escalation rules and their log, the hospitals'
//! working calendars and holidays, PX Actions with their log and evidence.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0005_complaints"
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
-- the 4-level taxonomy: 1 domain, 2 category, 3 subcategory, 4 classification; codes nest
-- (CLIN-QUA-DIAG-01); hospital_id NULL = shared by every hospital
CREATE TABLE complaint_categories (
    id {uuid} PRIMARY KEY,
    hospital_id {uuid} REFERENCES hospitals (id),
    parent_id {uuid} REFERENCES complaint_categories (id),
    level integer NOT NULL,
    code varchar(50) NOT NULL,
    name_en varchar(200) NOT NULL,
    name_ar varchar(200) NOT NULL DEFAULT '',
    description_en text NOT NULL DEFAULT '',
    description_ar text NOT NULL DEFAULT '',
    -- CLINICAL | MANAGEMENT | RELATIONSHIPS (the level-1 node's code, repeated below it)
    domain_type varchar(30) NOT NULL DEFAULT '',
    sort_order integer NOT NULL DEFAULT 0,
    is_active boolean NOT NULL DEFAULT true,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL,
    deleted_at {ts}
)
--;;
CREATE UNIQUE INDEX uq_complaint_categories__shared_code ON complaint_categories (code) WHERE hospital_id IS NULL AND deleted_at IS NULL
--;;
CREATE UNIQUE INDEX uq_complaint_categories__hospital_code ON complaint_categories (hospital_id, code) WHERE hospital_id IS NOT NULL AND deleted_at IS NULL
--;;
CREATE INDEX ix_complaint_categories__parent ON complaint_categories (parent_id)
--;;
CREATE TABLE complaints (
    id {uuid} PRIMARY KEY,
    hospital_id {uuid} NOT NULL REFERENCES hospitals (id),
    -- CMP-YYYYMMDD-XXXXXX
    reference_number varchar(20) NOT NULL,
    -- complaint | appreciation (appreciations have no SLA)
    complaint_type varchar(20) NOT NULL DEFAULT 'complaint',
    -- patient, family, staff, survey, social_media, call_center, moh, chi, insurer, other
    source varchar(20) NOT NULL,
    -- internal | external
    source_type varchar(10) NOT NULL,
    external_reference varchar(100) NOT NULL DEFAULT '',
    parent_complaint_id {uuid} REFERENCES complaints (id),
    patient_id {uuid} REFERENCES patients (id),
    complainant_name varchar(200) NOT NULL DEFAULT '',
    complainant_phone varchar(20) NOT NULL DEFAULT '',
    complainant_email varchar(254) NOT NULL DEFAULT '',
    complainant_relation varchar(50) NOT NULL DEFAULT '',
    department_id {uuid} REFERENCES departments (id),
    encounter_id varchar(100) NOT NULL DEFAULT '',
    category_id {uuid} REFERENCES complaint_categories (id),
    -- the staff member the complaint is about
    staff_id {uuid} REFERENCES staff (id),
    title varchar(300) NOT NULL,
    description text NOT NULL,
    -- ar | en | mixed
    language varchar(5) NOT NULL DEFAULT 'ar',
    priority varchar(10) NOT NULL DEFAULT 'medium',
    severity varchar(10) NOT NULL DEFAULT 'medium',
    -- open → in_progress → resolved → closed, or cancelled
    status varchar(20) NOT NULL DEFAULT 'open',
    status_changed_at {ts},
    assigned_to {uuid} REFERENCES users (id),
    assigned_at {ts},
    -- may be backdated to an external platform's receipt time, never forward
    received_at {ts} NOT NULL,
    -- the SLA (NULL for appreciations): the config row used (NULL = the spec's defaults)
    sla_config_id {uuid},
    clock_mode varchar(20) NOT NULL DEFAULT 'calendar_hours',
    due_at {ts},
    first_reminder_at {ts},
    second_reminder_at {ts},
    first_reminder_sent_at {ts},
    second_reminder_sent_at {ts},
    escalation_at {ts},
    is_overdue boolean NOT NULL DEFAULT false,
    escalation_level integer NOT NULL DEFAULT 0,
    escalated_at {ts},
    resolution text NOT NULL DEFAULT '',
    resolution_category varchar(30),
    resolved_by {uuid} REFERENCES users (id),
    resolved_at {ts},
    closed_by {uuid} REFERENCES users (id),
    closed_at {ts},
    cancelled_by {uuid} REFERENCES users (id),
    cancelled_at {ts},
    -- HCAT
    harm_level varchar(30) NOT NULL DEFAULT '',
    stage_of_care varchar(30) NOT NULL DEFAULT '',
    -- {"ai_analysis": {...}} and other extras
    metadata {json} NOT NULL,
    created_by {uuid} REFERENCES users (id),
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL,
    deleted_at {ts}
)
--;;
CREATE UNIQUE INDEX uq_complaints__reference ON complaints (reference_number)
--;;
CREATE INDEX ix_complaints__hospital_status ON complaints (hospital_id, status, received_at)
--;;
CREATE INDEX ix_complaints__due ON complaints (status, due_at)
--;;
CREATE INDEX ix_complaints__assigned ON complaints (assigned_to)
--;;
CREATE INDEX ix_complaints__patient ON complaints (patient_id)
--;;
CREATE INDEX ix_complaints__department ON complaints (department_id, received_at)
--;;
-- the timeline; is_public entries show on public tracking
CREATE TABLE complaint_updates (
    id {uuid} PRIMARY KEY,
    complaint_id {uuid} NOT NULL REFERENCES complaints (id),
    hospital_id {uuid} NOT NULL REFERENCES hospitals (id),
    -- created, note, status, assignment, reminder, escalation, sla_recalculated, resolution, attachment
    update_type varchar(30) NOT NULL,
    old_status varchar(20),
    new_status varchar(20),
    message text NOT NULL DEFAULT '',
    is_public boolean NOT NULL DEFAULT false,
    details {json} NOT NULL,
    created_by {uuid} REFERENCES users (id),
    created_at {ts} NOT NULL
)
--;;
CREATE INDEX ix_complaint_updates__complaint ON complaint_updates (complaint_id, created_at)
--;;
CREATE TABLE complaint_attachments (
    id {uuid} PRIMARY KEY,
    complaint_id {uuid} NOT NULL REFERENCES complaints (id),
    hospital_id {uuid} NOT NULL REFERENCES hospitals (id),
    update_id {uuid} REFERENCES complaint_updates (id),
    file_name varchar(255) NOT NULL,
    -- application/pdf, image/jpeg, image/png, image/heic, DOCX (checked by extension and magic bytes)
    content_type varchar(100) NOT NULL,
    size_bytes {bigint} NOT NULL,
    sha256 varchar(64) NOT NULL,
    storage_key varchar(300) NOT NULL,
    uploaded_by {uuid} REFERENCES users (id),
    created_at {ts} NOT NULL,
    deleted_at {ts}
)
--;;
CREATE INDEX ix_complaint_attachments__complaint ON complaint_attachments (complaint_id)
--;;
-- a hospital's SLA rows; a row with a source is a source row, one without a severity × priority
-- row; a hospital without rows uses the spec's defaults (in code)
CREATE TABLE sla_configs (
    id {uuid} PRIMARY KEY,
    hospital_id {uuid} NOT NULL REFERENCES hospitals (id),
    -- complaint | action
    applies_to varchar(10) NOT NULL DEFAULT 'complaint',
    source varchar(20),
    severity varchar(10),
    priority varchar(10),
    sla_hours integer NOT NULL,
    clock_mode varchar(20) NOT NULL DEFAULT 'calendar_hours',
    reminder_hours_before integer NOT NULL DEFAULT 24,
    second_reminder_enabled boolean NOT NULL DEFAULT false,
    second_reminder_hours_before integer NOT NULL DEFAULT 6,
    -- > 0: counted from received_at instead of back from due
    first_reminder_hours_after integer NOT NULL DEFAULT 0,
    second_reminder_hours_after integer NOT NULL DEFAULT 0,
    escalation_hours_after integer NOT NULL DEFAULT 0,
    thank_you_email_enabled boolean NOT NULL DEFAULT false,
    is_active boolean NOT NULL DEFAULT true,
    created_by {uuid} REFERENCES users (id),
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
)
--;;
CREATE UNIQUE INDEX uq_sla_configs__source ON sla_configs (hospital_id, applies_to, source) WHERE source IS NOT NULL
--;;
CREATE UNIQUE INDEX uq_sla_configs__grid ON sla_configs (hospital_id, applies_to, severity, priority) WHERE source IS NULL
--;;
CREATE TABLE escalation_rules (
    id {uuid} PRIMARY KEY,
    hospital_id {uuid} NOT NULL REFERENCES hospitals (id),
    -- complaint | action
    applies_to varchar(10) NOT NULL DEFAULT 'complaint',
    name varchar(200) NOT NULL DEFAULT '',
    level integer NOT NULL,
    trigger_on_overdue boolean NOT NULL DEFAULT true,
    trigger_hours_overdue integer NOT NULL DEFAULT 0,
    reminder_escalation_enabled boolean NOT NULL DEFAULT false,
    reminder_escalation_hours integer NOT NULL DEFAULT 24,
    -- department_manager | hospital_admin | px_admin | ceo | specific_user
    escalate_to_role varchar(30) NOT NULL,
    escalate_to_user_id {uuid} REFERENCES users (id),
    -- {"severity": [...], "priority": [...], "source": [...], "department_id": [...]}
    filters {json} NOT NULL,
    is_active boolean NOT NULL DEFAULT true,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
)
--;;
CREATE INDEX ix_escalation_rules__hospital ON escalation_rules (hospital_id, applies_to, level)
--;;
-- every escalation that fired; (subject, level) is unique so a level fires once
CREATE TABLE sla_escalations (
    id {uuid} PRIMARY KEY,
    hospital_id {uuid} NOT NULL REFERENCES hospitals (id),
    -- complaint | action
    subject_type varchar(10) NOT NULL,
    subject_id {uuid} NOT NULL,
    level integer NOT NULL,
    rule_id {uuid} REFERENCES escalation_rules (id),
    -- overdue | reminder | time
    trigger_kind varchar(20) NOT NULL,
    hours_overdue integer NOT NULL DEFAULT 0,
    from_user_id {uuid} REFERENCES users (id),
    to_user_id {uuid} REFERENCES users (id),
    escalated_at {ts} NOT NULL
)
--;;
CREATE UNIQUE INDEX uq_sla_escalations__level ON sla_escalations (subject_type, subject_id, level)
--;;
-- a hospital's working week; a hospital without a row works Sunday–Thursday 08:00–16:00
CREATE TABLE working_calendars (
    hospital_id {uuid} PRIMARY KEY REFERENCES hospitals (id),
    -- comma-separated weekday numbers, ISO (1 = Monday … 7 = Sunday): '5,6' = Friday and Saturday
    weekend_days varchar(20) NOT NULL DEFAULT '5,6',
    -- minutes after local (Riyadh) midnight
    opens_minute integer NOT NULL DEFAULT 480,
    closes_minute integer NOT NULL DEFAULT 960,
    updated_by {uuid} REFERENCES users (id),
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
)
--;;
-- closed days (opens/closes NULL) and days of special hours (Ramadan 10:00–15:00), inclusive ranges
CREATE TABLE calendar_holidays (
    id {uuid} PRIMARY KEY,
    hospital_id {uuid} NOT NULL REFERENCES hospitals (id),
    name_en varchar(200) NOT NULL,
    name_ar varchar(200) NOT NULL DEFAULT '',
    starts_on date NOT NULL,
    ends_on date NOT NULL,
    opens_minute integer,
    closes_minute integer,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
)
--;;
CREATE INDEX ix_calendar_holidays__hospital ON calendar_holidays (hospital_id, starts_on)
--;;
CREATE TABLE px_actions (
    id {uuid} PRIMARY KEY,
    hospital_id {uuid} NOT NULL REFERENCES hospitals (id),
    -- ACT-YYYYMMDD-XXXXXX
    reference_number varchar(20) NOT NULL,
    -- survey, complaint, complaint_resolution, social_media, call_center, kpi, observation, manual
    source_type varchar(30) NOT NULL,
    source_id {uuid},
    title varchar(300) NOT NULL,
    description text NOT NULL DEFAULT '',
    department_id {uuid} REFERENCES departments (id),
    category varchar(50) NOT NULL DEFAULT '',
    priority varchar(10) NOT NULL DEFAULT 'medium',
    severity varchar(10) NOT NULL DEFAULT 'medium',
    -- open → in_progress → pending_approval → approved → closed, or cancelled
    status varchar(20) NOT NULL DEFAULT 'open',
    status_changed_at {ts},
    assigned_to {uuid} REFERENCES users (id),
    assigned_at {ts},
    auto_created boolean NOT NULL DEFAULT false,
    requires_approval boolean NOT NULL DEFAULT true,
    clock_mode varchar(20) NOT NULL DEFAULT 'calendar_hours',
    due_at {ts},
    reminder_at {ts},
    reminder_sent_at {ts},
    is_overdue boolean NOT NULL DEFAULT false,
    escalation_level integer NOT NULL DEFAULT 0,
    escalated_at {ts},
    resolution_notes text NOT NULL DEFAULT '',
    submitted_by {uuid} REFERENCES users (id),
    submitted_at {ts},
    approved_by {uuid} REFERENCES users (id),
    approved_at {ts},
    closed_by {uuid} REFERENCES users (id),
    closed_at {ts},
    cancelled_by {uuid} REFERENCES users (id),
    cancelled_at {ts},
    metadata {json} NOT NULL,
    created_by {uuid} REFERENCES users (id),
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL,
    deleted_at {ts}
)
--;;
CREATE UNIQUE INDEX uq_px_actions__reference ON px_actions (reference_number)
--;;
-- at most one auto-created action per source object
CREATE UNIQUE INDEX uq_px_actions__auto_source ON px_actions (source_type, source_id) WHERE auto_created AND source_id IS NOT NULL
--;;
CREATE INDEX ix_px_actions__hospital_status ON px_actions (hospital_id, status, created_at)
--;;
CREATE INDEX ix_px_actions__due ON px_actions (status, due_at)
--;;
CREATE INDEX ix_px_actions__assigned ON px_actions (assigned_to)
--;;
-- the action's audit trail
CREATE TABLE px_action_logs (
    id {uuid} PRIMARY KEY,
    action_id {uuid} NOT NULL REFERENCES px_actions (id),
    hospital_id {uuid} NOT NULL REFERENCES hospitals (id),
    -- created, status, assignment, note, evidence, reminder, escalation, approval, rejection
    log_type varchar(20) NOT NULL,
    old_status varchar(20),
    new_status varchar(20),
    message text NOT NULL DEFAULT '',
    details {json} NOT NULL,
    created_by {uuid} REFERENCES users (id),
    created_at {ts} NOT NULL
)
--;;
CREATE INDEX ix_px_action_logs__action ON px_action_logs (action_id, created_at)
--;;
CREATE TABLE px_action_attachments (
    id {uuid} PRIMARY KEY,
    action_id {uuid} NOT NULL REFERENCES px_actions (id),
    hospital_id {uuid} NOT NULL REFERENCES hospitals (id),
    is_evidence boolean NOT NULL DEFAULT false,
    file_name varchar(255) NOT NULL,
    content_type varchar(100) NOT NULL,
    size_bytes {bigint} NOT NULL,
    sha256 varchar(64) NOT NULL,
    storage_key varchar(300) NOT NULL,
    uploaded_by {uuid} REFERENCES users (id),
    created_at {ts} NOT NULL,
    deleted_at {ts}
)
--;;
CREATE INDEX ix_px_action_attachments__action ON px_action_attachments (action_id)
"#;

const DOWN: &str = r#"
DROP TABLE px_action_attachments
--;;
DROP TABLE px_action_logs
--;;
DROP TABLE px_actions
--;;
DROP TABLE calendar_holidays
--;;
DROP TABLE working_calendars
--;;
DROP TABLE sla_escalations
--;;
DROP TABLE escalation_rules
--;;
DROP TABLE sla_configs
--;;
DROP TABLE complaint_attachments
--;;
DROP TABLE complaint_updates
--;;
DROP TABLE complaints
--;;
DROP TABLE complaint_categories
"#;
