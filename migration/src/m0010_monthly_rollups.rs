//! Monthly rollups (spec §15): the daily rollups summed per calendar month, so the command
//! center reads a few thousand rows for a range of years instead of a hundred thousand. Kept in
//! step with the daily rows by the same rebuild, in the same transaction; filled here from the
//! daily rows already there. And an index for the command center's overdue table.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0010_monthly_rollups"
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
-- analytics_daily summed per hospital, department, Riyadh month (YYYY-MM) and journey type
CREATE TABLE analytics_monthly (
    hospital_id {uuid} NOT NULL,
    department_id {uuid} NOT NULL,
    month varchar(7) NOT NULL,
    journey_type varchar(20) NOT NULL,
    complaints_received integer NOT NULL DEFAULT 0,
    complaints_open integer NOT NULL DEFAULT 0,
    complaints_overdue integer NOT NULL DEFAULT 0,
    complaints_cancelled integer NOT NULL DEFAULT 0,
    complaints_settled integer NOT NULL DEFAULT 0,
    complaints_resolved integer NOT NULL DEFAULT 0,
    complaints_due integer NOT NULL DEFAULT 0,
    complaints_due_met integer NOT NULL DEFAULT 0,
    actions_created integer NOT NULL DEFAULT 0,
    actions_open integer NOT NULL DEFAULT 0,
    actions_overdue integer NOT NULL DEFAULT 0,
    actions_closed integer NOT NULL DEFAULT 0,
    encounters integer NOT NULL DEFAULT 0,
    surveys_sent integer NOT NULL DEFAULT 0,
    surveys_undeliverable integer NOT NULL DEFAULT 0,
    surveys_completed integer NOT NULL DEFAULT 0,
    surveys_negative integer NOT NULL DEFAULT 0,
    score_sum double precision NOT NULL DEFAULT 0,
    score_n integer NOT NULL DEFAULT 0,
    score_1 integer NOT NULL DEFAULT 0,
    score_2 integer NOT NULL DEFAULT 0,
    score_3 integer NOT NULL DEFAULT 0,
    score_4 integer NOT NULL DEFAULT 0,
    score_5 integer NOT NULL DEFAULT 0,
    nps_promoters integer NOT NULL DEFAULT 0,
    nps_passives integer NOT NULL DEFAULT 0,
    nps_detractors integer NOT NULL DEFAULT 0,
    csat_positive integer NOT NULL DEFAULT 0,
    csat_answers integer NOT NULL DEFAULT 0,
    PRIMARY KEY (hospital_id, month, department_id, journey_type)
)
--;;
CREATE INDEX ix_analytics_monthly__department ON analytics_monthly (department_id, month)
--;;
-- analytics_daily_categories summed per month
CREATE TABLE analytics_monthly_categories (
    hospital_id {uuid} NOT NULL,
    department_id {uuid} NOT NULL,
    month varchar(7) NOT NULL,
    category_id {uuid} NOT NULL,
    complaints integer NOT NULL DEFAULT 0,
    PRIMARY KEY (hospital_id, month, department_id, category_id)
)
--;;
-- the command center's overdue table: the first overdue complaints by due time
CREATE INDEX ix_complaints__overdue_due ON complaints (is_overdue, due_at)
--;;
INSERT INTO analytics_monthly (hospital_id, department_id, month, journey_type, complaints_received, complaints_open, complaints_overdue, complaints_cancelled, complaints_settled, complaints_resolved, complaints_due, complaints_due_met, actions_created, actions_open, actions_overdue, actions_closed, encounters, surveys_sent, surveys_undeliverable, surveys_completed, surveys_negative, score_sum, score_n, score_1, score_2, score_3, score_4, score_5, nps_promoters, nps_passives, nps_detractors, csat_positive, csat_answers)
SELECT hospital_id, department_id, substr(day, 1, 7), journey_type, SUM(complaints_received), SUM(complaints_open), SUM(complaints_overdue), SUM(complaints_cancelled), SUM(complaints_settled), SUM(complaints_resolved), SUM(complaints_due), SUM(complaints_due_met), SUM(actions_created), SUM(actions_open), SUM(actions_overdue), SUM(actions_closed), SUM(encounters), SUM(surveys_sent), SUM(surveys_undeliverable), SUM(surveys_completed), SUM(surveys_negative), SUM(score_sum), SUM(score_n), SUM(score_1), SUM(score_2), SUM(score_3), SUM(score_4), SUM(score_5), SUM(nps_promoters), SUM(nps_passives), SUM(nps_detractors), SUM(csat_positive), SUM(csat_answers)
FROM analytics_daily
GROUP BY hospital_id, department_id, substr(day, 1, 7), journey_type
--;;
INSERT INTO analytics_monthly_categories (hospital_id, department_id, month, category_id, complaints)
SELECT hospital_id, department_id, substr(day, 1, 7), category_id, SUM(complaints)
FROM analytics_daily_categories
GROUP BY hospital_id, department_id, substr(day, 1, 7), category_id
"#;

const DOWN: &str = r#"
DROP INDEX ix_complaints__overdue_due
--;;
DROP TABLE analytics_monthly_categories
--;;
DROP TABLE analytics_monthly
"#;
