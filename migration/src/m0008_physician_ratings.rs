//! Physician monthly ratings (spec §14): one row per physician and Riyadh month, computed by the
//! daily `compute_physician_ratings` job from the surveys linked to the physician.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0008_physician_ratings"
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
CREATE TABLE physician_monthly_ratings (
    id {uuid} PRIMARY KEY,
    hospital_id {uuid} NOT NULL REFERENCES hospitals (id),
    -- the physician's department when computed
    department_id {uuid} REFERENCES departments (id),
    physician_id {uuid} NOT NULL REFERENCES staff (id),
    -- YYYY-MM, Riyadh time
    month varchar(7) NOT NULL,
    n integer NOT NULL,
    mean double precision NOT NULL,
    ci_low double precision,
    ci_high double precision,
    positive integer NOT NULL,
    neutral integer NOT NULL,
    negative integer NOT NULL,
    -- competition rank among the hospital's (department's) physicians with enough responses
    hospital_rank integer,
    department_rank integer,
    -- the month is over and was computed after its end
    is_final boolean NOT NULL DEFAULT false,
    computed_at {ts} NOT NULL
)
--;;
CREATE UNIQUE INDEX uq_physician_monthly_ratings ON physician_monthly_ratings (physician_id, month)
--;;
CREATE INDEX ix_physician_monthly_ratings__hospital ON physician_monthly_ratings (hospital_id, month)
--;;
CREATE INDEX ix_survey_instances__physician ON survey_instances (physician_id, completed_at)
"#;

const DOWN: &str = r#"
DROP INDEX ix_survey_instances__physician
--;;
DROP TABLE physician_monthly_ratings
"#;
