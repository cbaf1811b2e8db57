//! API keys of hospital systems and the inbound events they post.

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
