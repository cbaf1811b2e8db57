//! The append-only, hash-chained audit log.

pub mod audit_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// `global` or a hospital id: one chain per hospital.
        pub chain_key: String,
        pub seq: i64,
        pub prev_hash: String,
        pub hash: String,
        pub actor_id: Option<Uuid>,
        pub actor_email: String,
        pub actor_role: String,
        pub hospital_id: Option<Uuid>,
        pub action: String,
        pub resource_type: String,
        pub resource_id: String,
        pub ip: String,
        pub user_agent: String,
        pub request_id: String,
        pub details: Json,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod chain_head {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_chain_heads")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub chain_key: String,
        pub seq: i64,
        pub hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}
