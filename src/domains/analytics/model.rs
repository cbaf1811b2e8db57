//! SeaORM entities of the analytics tables (migrations m0008, m0009).

pub mod physician_monthly_rating {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "physician_monthly_ratings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub hospital_id: Uuid,
        pub department_id: Option<Uuid>,
        pub physician_id: Uuid,
        /// `YYYY-MM` (Riyadh).
        pub month: String,
        pub n: i32,
        pub mean: f64,
        pub ci_low: Option<f64>,
        pub ci_high: Option<f64>,
        pub positive: i32,
        pub neutral: i32,
        pub negative: i32,
        pub hospital_rank: Option<i32>,
        pub department_rank: Option<i32>,
        pub is_final: bool,
        pub computed_at: DateTimeUtc,
        /// Σ scores and Σ scores² (m0009), so months combine into a rolling window.
        pub score_sum: f64,
        pub score_sq_sum: f64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod analytics_daily {
    use sea_orm::entity::prelude::*;

    /// One hospital, department (nil: none), Riyadh day and journey type ('' : none).
    #[derive(Clone, Debug, Default, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "analytics_daily")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub hospital_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub department_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub journey_type: String,
        pub complaints_received: i32,
        pub complaints_open: i32,
        pub complaints_overdue: i32,
        pub complaints_cancelled: i32,
        pub complaints_settled: i32,
        pub complaints_resolved: i32,
        pub complaints_due: i32,
        pub complaints_due_met: i32,
        pub actions_created: i32,
        pub actions_open: i32,
        pub actions_overdue: i32,
        pub actions_closed: i32,
        pub encounters: i32,
        pub surveys_sent: i32,
        pub surveys_undeliverable: i32,
        pub surveys_completed: i32,
        pub surveys_negative: i32,
        pub score_sum: f64,
        pub score_n: i32,
        pub score_1: i32,
        pub score_2: i32,
        pub score_3: i32,
        pub score_4: i32,
        pub score_5: i32,
        pub nps_promoters: i32,
        pub nps_passives: i32,
        pub nps_detractors: i32,
        pub csat_positive: i32,
        pub csat_answers: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod analytics_daily_category {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "analytics_daily_categories")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub hospital_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub department_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub category_id: Uuid,
        pub complaints: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod analytics_refresh {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "analytics_refresh")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub read_until: DateTimeUtc,
        pub refreshed_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod kpi_definition {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "kpi_definitions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub name_en: String,
        pub name_ar: String,
        pub description_en: String,
        pub description_ar: String,
        pub category: String,
        pub unit: String,
        pub higher_is_better: bool,
        pub target: f64,
        pub warning_threshold: f64,
        pub critical_threshold: f64,
        pub sort_order: i32,
        pub is_active: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod kpi_value {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "kpi_values")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub kpi_code: String,
        pub hospital_id: Uuid,
        /// Nil: the whole hospital.
        pub department_id: Uuid,
        /// month | ytd
        pub period: String,
        /// `YYYY-MM`.
        pub month: String,
        pub value: Option<f64>,
        pub numerator: f64,
        pub denominator: f64,
        pub band: Option<String>,
        pub is_final: bool,
        pub action_id: Option<Uuid>,
        pub computed_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}
