//! SeaORM entities of the survey tables (migrations m0003 and m0007). Statuses, types and methods
//! are snake_case strings; `rules` holds their enums and the scoring.

pub mod survey_template {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "survey_templates")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub hospital_id: Uuid,
        pub code: String,
        pub name_en: String,
        pub name_ar: String,
        pub survey_type: String,
        pub is_active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub deleted_at: Option<DateTimeUtc>,
        pub description_en: String,
        pub description_ar: String,
        pub scoring_method: String,
        pub negative_threshold: Option<f64>,
        pub link_valid_days: i32,
        pub throttle_exempt: bool,
        pub reminder_max: i32,
        pub reminder_interval_hours: i32,
        pub current_version: i32,
        pub has_draft_changes: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod survey_question {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "survey_questions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub survey_template_id: Uuid,
        pub position: i32,
        pub code: String,
        pub text_en: String,
        pub text_ar: String,
        pub question_type: String,
        pub is_required: bool,
        pub weight: f64,
        pub choices: Json,
        pub allow_multiple: bool,
        pub show_if: Option<Json>,
        pub is_overall: bool,
        pub counts_for_physician: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod survey_template_version {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "survey_template_versions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub survey_template_id: Uuid,
        pub version: i32,
        /// A [`crate::domains::surveys::rules::Definition`].
        pub definition: Json,
        pub published_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod survey_instance {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "survey_instances")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub hospital_id: Uuid,
        pub survey_template_id: Uuid,
        pub template_version_id: Option<Uuid>,
        pub patient_id: Option<Uuid>,
        pub journey_instance_id: Option<Uuid>,
        pub stage_instance_id: Option<Uuid>,
        pub complaint_id: Option<Uuid>,
        pub department_id: Option<Uuid>,
        pub physician_id: Option<Uuid>,
        pub parent_id: Option<Uuid>,
        pub source: String,
        pub status: String,
        pub suppression_reason: String,
        pub channel: String,
        pub language: String,
        pub token_hash: String,
        pub token_expires_at: DateTimeUtc,
        pub scheduled_for: DateTimeUtc,
        pub message_id: Option<Uuid>,
        pub sent_at: Option<DateTimeUtc>,
        pub opened_at: Option<DateTimeUtc>,
        pub started_at: Option<DateTimeUtc>,
        pub completed_at: Option<DateTimeUtc>,
        pub last_activity_at: Option<DateTimeUtc>,
        pub reminder_count: i32,
        pub last_reminder_at: Option<DateTimeUtc>,
        pub total_score: Option<f64>,
        pub score_100: Option<f64>,
        pub is_negative: bool,
        pub action_id: Option<Uuid>,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod survey_link {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "survey_links")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        pub survey_instance_id: Uuid,
        pub message_id: Option<Uuid>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod survey_response {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "survey_responses")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub survey_instance_id: Uuid,
        pub question_code: String,
        pub value_number: Option<f64>,
        pub value_text: String,
        pub value_choices: Option<Json>,
        pub score: Option<f64>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod survey_contact {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "survey_contacts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub survey_instance_id: Uuid,
        pub user_id: Option<Uuid>,
        pub kind: String,
        pub outcome: String,
        pub note: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod survey_kiosk {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "survey_kiosks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub hospital_id: Uuid,
        pub department_id: Option<Uuid>,
        pub survey_template_id: Uuid,
        pub code: String,
        pub name: String,
        pub is_active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}
