//! Explanation requests to staff (tokenized links, escalation to the manager) and users' saved
//! filters of the complaint and action lists.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0006_explanations_filters"
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
-- a request to a staff member to explain their part in a complaint; pending → submitted, or
-- pending → escalated (due passed: the manager gets a link) → manager_responded; → closed
CREATE TABLE complaint_explanations (
    id {uuid} PRIMARY KEY,
    complaint_id {uuid} NOT NULL REFERENCES complaints (id),
    hospital_id {uuid} NOT NULL REFERENCES hospitals (id),
    staff_id {uuid} NOT NULL REFERENCES staff (id),
    requested_by {uuid} REFERENCES users (id),
    status varchar(20) NOT NULL DEFAULT 'pending',
    request_message text NOT NULL DEFAULT '',
    -- SHA-256 of the staff member's single-use link token
    token_hash varchar(64) NOT NULL,
    due_at {ts} NOT NULL,
    response text NOT NULL DEFAULT '',
    submitted_at {ts},
    escalated_at {ts},
    -- the manager asked to respond once escalated (a user), and their single-use link
    manager_user_id {uuid} REFERENCES users (id),
    manager_token_hash varchar(64),
    manager_response text NOT NULL DEFAULT '',
    manager_responded_at {ts},
    closed_at {ts},
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
)
--;;
CREATE UNIQUE INDEX uq_complaint_explanations__open ON complaint_explanations (complaint_id, staff_id) WHERE status IN ('pending', 'escalated')
--;;
CREATE UNIQUE INDEX uq_complaint_explanations__token ON complaint_explanations (token_hash)
--;;
CREATE INDEX ix_complaint_explanations__due ON complaint_explanations (status, due_at)
--;;
-- a user's named filter of a work list (kind: complaints | actions); query is the list's query string
CREATE TABLE saved_filters (
    id {uuid} PRIMARY KEY,
    user_id {uuid} NOT NULL REFERENCES users (id),
    kind varchar(20) NOT NULL,
    name varchar(100) NOT NULL,
    query text NOT NULL,
    created_at {ts} NOT NULL
)
--;;
CREATE UNIQUE INDEX uq_saved_filters__name ON saved_filters (user_id, kind, name)
"#;

const DOWN: &str = r#"
DROP TABLE saved_filters
--;;
DROP TABLE complaint_explanations
"#;
