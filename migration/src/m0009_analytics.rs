//! Analytics (spec §15): the daily rollups the command center reads, the KPI definitions and
//! their monthly values, and the sums physician ratings need to be combined over months.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0009_analytics"
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
-- One row per hospital, department (nil id: none), Riyadh day and journey type ('' : none).
-- Complaint and action figures sit on the journey type '' rows; survey and encounter figures on
-- the row of their journey's type. Rebuilt by the refresh_analytics job from the raw rows.
CREATE TABLE analytics_daily (
    hospital_id {uuid} NOT NULL,
    department_id {uuid} NOT NULL,
    -- YYYY-MM-DD, Riyadh time
    day varchar(10) NOT NULL,
    journey_type varchar(20) NOT NULL,
    -- complaints received that day (not appreciations), and what became of them since
    complaints_received integer NOT NULL DEFAULT 0,
    complaints_open integer NOT NULL DEFAULT 0,
    complaints_overdue integer NOT NULL DEFAULT 0,
    complaints_cancelled integer NOT NULL DEFAULT 0,
    -- of those, now resolved or closed
    complaints_settled integer NOT NULL DEFAULT 0,
    -- complaints resolved that day
    complaints_resolved integer NOT NULL DEFAULT 0,
    -- complaints due that day that are resolved or overdue, and those resolved by their due time
    complaints_due integer NOT NULL DEFAULT 0,
    complaints_due_met integer NOT NULL DEFAULT 0,
    -- PX actions created that day, still open, overdue; closed that day
    actions_created integer NOT NULL DEFAULT 0,
    actions_open integer NOT NULL DEFAULT 0,
    actions_overdue integer NOT NULL DEFAULT 0,
    actions_closed integer NOT NULL DEFAULT 0,
    -- journeys started that day
    encounters integer NOT NULL DEFAULT 0,
    -- surveys sent that day; of those, undeliverable since
    surveys_sent integer NOT NULL DEFAULT 0,
    surveys_undeliverable integer NOT NULL DEFAULT 0,
    -- surveys completed that day, negative ones, and the 1–5 scores of those not scored as NPS
    surveys_completed integer NOT NULL DEFAULT 0,
    surveys_negative integer NOT NULL DEFAULT 0,
    score_sum double precision NOT NULL DEFAULT 0,
    score_n integer NOT NULL DEFAULT 0,
    score_1 integer NOT NULL DEFAULT 0,
    score_2 integer NOT NULL DEFAULT 0,
    score_3 integer NOT NULL DEFAULT 0,
    score_4 integer NOT NULL DEFAULT 0,
    score_5 integer NOT NULL DEFAULT 0,
    -- answers to NPS questions, and to 1–5 rating questions (4–5 positive) of those surveys
    nps_promoters integer NOT NULL DEFAULT 0,
    nps_passives integer NOT NULL DEFAULT 0,
    nps_detractors integer NOT NULL DEFAULT 0,
    csat_positive integer NOT NULL DEFAULT 0,
    csat_answers integer NOT NULL DEFAULT 0,
    PRIMARY KEY (hospital_id, day, department_id, journey_type)
)
--;;
CREATE INDEX ix_analytics_daily__department ON analytics_daily (department_id, day)
--;;
-- complaints received per day by category (the level-2 category, or the level-1 one above none)
CREATE TABLE analytics_daily_categories (
    hospital_id {uuid} NOT NULL,
    department_id {uuid} NOT NULL,
    day varchar(10) NOT NULL,
    -- nil id: no category
    category_id {uuid} NOT NULL,
    complaints integer NOT NULL DEFAULT 0,
    PRIMARY KEY (hospital_id, day, department_id, category_id)
)
--;;
-- how far the refresh has read the raw tables
CREATE TABLE analytics_refresh (
    name varchar(50) PRIMARY KEY,
    read_until {ts} NOT NULL,
    refreshed_at {ts} NOT NULL
)
--;;
CREATE TABLE kpi_definitions (
    code varchar(30) PRIMARY KEY,
    name_en varchar(200) NOT NULL,
    name_ar varchar(200) NOT NULL,
    description_en text NOT NULL DEFAULT '',
    description_ar text NOT NULL DEFAULT '',
    -- complaints | surveys | experience
    category varchar(30) NOT NULL,
    -- percent | score | nps | rate
    unit varchar(10) NOT NULL,
    higher_is_better boolean NOT NULL,
    target double precision NOT NULL,
    warning_threshold double precision NOT NULL,
    critical_threshold double precision NOT NULL,
    sort_order integer NOT NULL DEFAULT 0,
    is_active boolean NOT NULL DEFAULT true
)
--;;
INSERT INTO kpi_definitions (code, name_en, name_ar, description_en, description_ar, category, unit, higher_is_better, target, warning_threshold, critical_threshold, sort_order) VALUES
('MOH-3', 'Satisfaction with complaint resolution', 'الرضا عن حل الشكوى', 'Complaints received in the month whose resolution survey rates the overall question 4 or 5 of 5, out of the complaints received (not cancelled).', 'الشكاوى المستلمة في الشهر التي قيّم صاحبها الحل بـ 4 أو 5 من 5 في استبيان الحل، من الشكاوى المستلمة غير الملغاة.', 'complaints', 'percent', true, 80, 75, 70, 1),
('SLA', 'SLA compliance', 'الالتزام بمدة معالجة الشكاوى', 'Complaints resolved by their due time, out of the complaints due in the month that are resolved or overdue.', 'الشكاوى التي حُلّت قبل موعدها من الشكاوى المستحقة في الشهر المحلولة أو المتأخرة.', 'complaints', 'percent', true, 90, 85, 75, 2),
('COMPLAINT-RATE', 'Complaints per 1,000 encounters', 'الشكاوى لكل 1000 زيارة', 'Complaints received per 1,000 patient journeys started in the month.', 'الشكاوى المستلمة لكل 1000 رحلة مريض بدأت في الشهر.', 'complaints', 'rate', false, 5, 8, 10, 3),
('NPS', 'Net Promoter Score', 'صافي نقاط الترويج', 'Promoters (9–10) minus detractors (0–6), in % of the answers to NPS questions.', 'نسبة المروّجين (9–10) ناقص نسبة المنتقدين (0–6) من إجابات أسئلة صافي نقاط الترويج.', 'surveys', 'nps', true, 30, 15, 0, 4),
('CSAT', 'Patient satisfaction (CSAT)', 'رضا المرضى', 'Answers of 4 or 5 out of all answers to 1–5 rating questions.', 'الإجابات 4 أو 5 من كل الإجابات على أسئلة التقييم من 1 إلى 5.', 'surveys', 'percent', true, 85, 80, 70, 5),
('AVG-SCORE', 'Average survey score', 'متوسط درجة الاستبيان', 'The mean score (1–5) of the completed surveys.', 'متوسط درجة الاستبيانات المكتملة (1–5).', 'surveys', 'score', true, 4.2, 4, 3.5, 6),
('RESPONSE-RATE', 'Survey response rate', 'نسبة الاستجابة للاستبيانات', 'Surveys completed out of the surveys sent that reached the patient.', 'الاستبيانات المكتملة من الاستبيانات المرسلة التي وصلت إلى المريض.', 'surveys', 'percent', true, 30, 25, 15, 7),
('NEGATIVE-RATE', 'Negative survey rate', 'نسبة الاستبيانات السلبية', 'Completed surveys scored below their negative threshold, out of the completed surveys.', 'الاستبيانات المكتملة ذات الدرجة دون حد السلبية من الاستبيانات المكتملة.', 'surveys', 'percent', false, 10, 15, 20, 8)
--;;
-- one value per KPI, hospital, department (nil id: the whole hospital) and period
CREATE TABLE kpi_values (
    id {uuid} PRIMARY KEY,
    kpi_code varchar(30) NOT NULL REFERENCES kpi_definitions (code),
    hospital_id {uuid} NOT NULL REFERENCES hospitals (id),
    department_id {uuid} NOT NULL,
    -- month | ytd
    period varchar(10) NOT NULL,
    -- YYYY-MM: the month, or the last month of the year to date
    month varchar(7) NOT NULL,
    value double precision,
    numerator double precision NOT NULL DEFAULT 0,
    denominator double precision NOT NULL DEFAULT 0,
    -- on_target | warning | critical (null without a value)
    band varchar(10),
    -- the month is over and was computed after its end
    is_final boolean NOT NULL DEFAULT false,
    -- the PX action opened when a final month was critical
    action_id {uuid} REFERENCES px_actions (id),
    computed_at {ts} NOT NULL
)
--;;
CREATE UNIQUE INDEX uq_kpi_values ON kpi_values (kpi_code, hospital_id, department_id, period, month)
--;;
CREATE INDEX ix_kpi_values__hospital ON kpi_values (hospital_id, month)
--;;
-- Σ scores and Σ scores² of the month, so months combine into a rolling window
ALTER TABLE physician_monthly_ratings ADD COLUMN score_sum double precision NOT NULL DEFAULT 0
--;;
ALTER TABLE physician_monthly_ratings ADD COLUMN score_sq_sum double precision NOT NULL DEFAULT 0
--;;
-- what the refresh reads: rows changed since it last ran, and a hospital's rows by time
CREATE INDEX ix_complaints__updated ON complaints (updated_at)
--;;
CREATE INDEX ix_complaints__hospital_received ON complaints (hospital_id, received_at)
--;;
CREATE INDEX ix_complaints__hospital_resolved ON complaints (hospital_id, resolved_at)
--;;
CREATE INDEX ix_complaints__hospital_due ON complaints (hospital_id, due_at)
--;;
CREATE INDEX ix_px_actions__updated ON px_actions (updated_at)
--;;
CREATE INDEX ix_px_actions__hospital_created ON px_actions (hospital_id, created_at)
--;;
CREATE INDEX ix_px_actions__hospital_closed ON px_actions (hospital_id, closed_at)
--;;
CREATE INDEX ix_survey_instances__updated ON survey_instances (updated_at)
--;;
CREATE INDEX ix_survey_instances__hospital_sent ON survey_instances (hospital_id, sent_at)
--;;
CREATE INDEX ix_survey_instances__hospital_completed ON survey_instances (hospital_id, completed_at)
--;;
CREATE INDEX ix_journey_instances__updated ON journey_instances (updated_at)
--;;
CREATE INDEX ix_journey_instances__hospital_started ON journey_instances (hospital_id, started_at)
--;;
CREATE INDEX ix_complaints__overdue ON complaints (hospital_id, is_overdue, due_at)
"#;

const DOWN: &str = r#"
DROP INDEX ix_complaints__overdue
--;;
DROP INDEX ix_journey_instances__hospital_started
--;;
DROP INDEX ix_journey_instances__updated
--;;
DROP INDEX ix_survey_instances__hospital_completed
--;;
DROP INDEX ix_survey_instances__hospital_sent
--;;
DROP INDEX ix_survey_instances__updated
--;;
DROP INDEX ix_px_actions__hospital_closed
--;;
DROP INDEX ix_px_actions__hospital_created
--;;
DROP INDEX ix_px_actions__updated
--;;
DROP INDEX ix_complaints__hospital_due
--;;
DROP INDEX ix_complaints__hospital_resolved
--;;
DROP INDEX ix_complaints__hospital_received
--;;
DROP INDEX ix_complaints__updated
--;;
ALTER TABLE physician_monthly_ratings DROP COLUMN score_sq_sum
--;;
ALTER TABLE physician_monthly_ratings DROP COLUMN score_sum
--;;
DROP TABLE kpi_values
--;;
DROP TABLE kpi_definitions
--;;
DROP TABLE analytics_refresh
--;;
DROP TABLE analytics_daily_categories
--;;
DROP TABLE analytics_daily
"#;
