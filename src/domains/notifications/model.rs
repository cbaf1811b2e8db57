//! The notification tables: one row per message, the templates per (code, channel, language), and
//! the addresses that opted out of a channel.

pub mod message {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "messages")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub hospital_id: Option<Uuid>,
        pub patient_id: Option<Uuid>,
        /// `sms`, `whatsapp` or `email`.
        pub channel: String,
        /// E.164 phone or lower-cased email (as entered when it could not be validated).
        pub recipient: String,
        pub template_code: String,
        pub language: String,
        pub subject: String,
        /// The rendered text, as sent.
        pub body: String,
        /// `queued`, `held` (quiet hours), `sending`, `sent`, `delivered`, `failed` or `suppressed`.
        pub status: String,
        /// Why a message was suppressed (opt-out, frequency cap, …).
        pub suppression_reason: String,
        pub provider: String,
        pub provider_message_id: Option<String>,
        /// Provider calls made.
        pub attempts: i32,
        /// Why a message failed, or the last transient error while it is retried.
        pub error: String,
        /// `general` or `survey` (surveys count toward the frequency cap).
        pub category: String,
        pub scheduled_for: DateTimeUtc,
        pub sent_at: Option<DateTimeUtc>,
        pub delivered_at: Option<DateTimeUtc>,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod template {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "notification_templates")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub code: String,
        pub channel: String,
        pub language: String,
        pub subject: String,
        pub body: String,
        pub is_active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod opt_out {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "contact_opt_outs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub channel: String,
        /// E.164 phone or lower-cased email.
        pub address: String,
        pub patient_id: Option<Uuid>,
        pub reason: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}
