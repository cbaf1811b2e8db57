//! SeaORM entities of the analytics tables (migration m0008).

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
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}
