//! API keys of hospital systems and the inbound events they post; the HIS feed's request log and
//! Type map; per-user rate limits of the event endpoints.

pub mod api_key {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub hospital_id: Uuid,
        pub name: String,
        pub source_systems: String,
        pub prefix: String,
        pub key_hash: String,
        pub created_by: Option<Uuid>,
        pub last_used_at: Option<DateTimeUtc>,
        pub revoked_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        /// Requests a minute to the event endpoints; 0 = unlimited.
        pub rate_limit_per_minute: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod inbound_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "inbound_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub hospital_id: Option<Uuid>,
        pub source_system: String,
        pub event_code: String,
        pub encounter_id: String,
        pub patient_identifier: String,
        pub payload: Json,
        pub idempotency_key: Option<String>,
        pub body_hash: String,
        pub status: String,
        pub status_reason: String,
        pub attempts: i32,
        pub api_key_id: Option<Uuid>,
        pub received_by: Option<Uuid>,
        pub received_at: DateTimeUtc,
        pub processed_at: Option<DateTimeUtc>,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod user_rate_limit {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "user_rate_limits")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        /// Requests a minute to the event endpoints; 0 = unlimited.
        pub per_minute: i32,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod his_request_log {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "his_request_logs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub hospital_id: Option<Uuid>,
        /// `feed` or `simulator`.
        pub origin: String,
        pub api_key_id: Option<Uuid>,
        pub received_by: Option<Uuid>,
        pub received_at: DateTimeUtc,
        pub records_total: i32,
        pub records_accepted: i32,
        pub records_failed: i32,
        pub events_created: i32,
        pub duration_ms: i32,
        /// `[{"index", "fields": {field: [message]}}]`, redacted: never a value of the record.
        pub errors: Json,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod his_type_map {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "his_type_maps")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub hospital_id: Uuid,
        /// `{"1": {"journey_type", "event_code", "discharge_event_code"}, …, "other": …}`.
        pub entries: Json,
        pub updated_by: Option<Uuid>,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}
