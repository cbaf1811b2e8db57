//! SeaORM entities of the complaints and PX Action tables (migration m0005). Status, source,
//! severity and similar columns are snake_case strings; `sla` and `workflow` hold their enums.

pub mod complaint_category {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "complaint_categories")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub hospital_id: Option<Uuid>,
        pub parent_id: Option<Uuid>,
        pub level: i32,
        pub code: String,
        pub name_en: String,
        pub name_ar: String,
        pub description_en: String,
        pub description_ar: String,
        pub domain_type: String,
        pub sort_order: i32,
        pub is_active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub deleted_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod complaint {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "complaints")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub hospital_id: Uuid,
        pub reference_number: String,
        pub complaint_type: String,
        pub source: String,
        pub source_type: String,
        pub external_reference: String,
        pub parent_complaint_id: Option<Uuid>,
        pub patient_id: Option<Uuid>,
        pub complainant_name: String,
        pub complainant_phone: String,
        pub complainant_email: String,
        pub complainant_relation: String,
        pub department_id: Option<Uuid>,
        pub encounter_id: String,
        pub category_id: Option<Uuid>,
        pub staff_id: Option<Uuid>,
        pub title: String,
        pub description: String,
        pub language: String,
        pub priority: String,
        pub severity: String,
        pub status: String,
        pub status_changed_at: Option<DateTimeUtc>,
        pub assigned_to: Option<Uuid>,
        pub assigned_at: Option<DateTimeUtc>,
        pub received_at: DateTimeUtc,
        pub sla_config_id: Option<Uuid>,
        pub clock_mode: String,
        pub due_at: Option<DateTimeUtc>,
        pub first_reminder_at: Option<DateTimeUtc>,
        pub second_reminder_at: Option<DateTimeUtc>,
        pub first_reminder_sent_at: Option<DateTimeUtc>,
        pub second_reminder_sent_at: Option<DateTimeUtc>,
        pub escalation_at: Option<DateTimeUtc>,
        pub is_overdue: bool,
        pub escalation_level: i32,
        pub escalated_at: Option<DateTimeUtc>,
        pub resolution: String,
        pub resolution_category: Option<String>,
        pub resolved_by: Option<Uuid>,
        pub resolved_at: Option<DateTimeUtc>,
        pub closed_by: Option<Uuid>,
        pub closed_at: Option<DateTimeUtc>,
        pub cancelled_by: Option<Uuid>,
        pub cancelled_at: Option<DateTimeUtc>,
        pub harm_level: String,
        pub stage_of_care: String,
        pub metadata: Json,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub deleted_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod complaint_update {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "complaint_updates")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub complaint_id: Uuid,
        pub hospital_id: Uuid,
        pub update_type: String,
        pub old_status: Option<String>,
        pub new_status: Option<String>,
        pub message: String,
        pub is_public: bool,
        pub details: Json,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod complaint_attachment {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "complaint_attachments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub complaint_id: Uuid,
        pub hospital_id: Uuid,
        pub update_id: Option<Uuid>,
        pub file_name: String,
        pub content_type: String,
        pub size_bytes: i64,
        pub sha256: String,
        pub storage_key: String,
        pub uploaded_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub deleted_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod sla_config {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "sla_configs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub hospital_id: Uuid,
        pub applies_to: String,
        pub source: Option<String>,
        pub severity: Option<String>,
        pub priority: Option<String>,
        pub sla_hours: i32,
        pub clock_mode: String,
        pub reminder_hours_before: i32,
        pub second_reminder_enabled: bool,
        pub second_reminder_hours_before: i32,
        pub first_reminder_hours_after: i32,
        pub second_reminder_hours_after: i32,
        pub escalation_hours_after: i32,
        pub thank_you_email_enabled: bool,
        pub is_active: bool,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod escalation_rule {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "escalation_rules")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub hospital_id: Uuid,
        pub applies_to: String,
        pub name: String,
        pub level: i32,
        pub trigger_on_overdue: bool,
        pub trigger_hours_overdue: i32,
        pub reminder_escalation_enabled: bool,
        pub reminder_escalation_hours: i32,
        pub escalate_to_role: String,
        pub escalate_to_user_id: Option<Uuid>,
        pub filters: Json,
        pub is_active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod sla_escalation {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "sla_escalations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub hospital_id: Uuid,
        pub subject_type: String,
        pub subject_id: Uuid,
        pub level: i32,
        pub rule_id: Option<Uuid>,
        pub trigger_kind: String,
        pub hours_overdue: i32,
        pub from_user_id: Option<Uuid>,
        pub to_user_id: Option<Uuid>,
        pub escalated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod working_calendar {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "working_calendars")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub hospital_id: Uuid,
        pub weekend_days: String,
        pub opens_minute: i32,
        pub closes_minute: i32,
        pub updated_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod calendar_holiday {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "calendar_holidays")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub hospital_id: Uuid,
        pub name_en: String,
        pub name_ar: String,
        pub starts_on: Date,
        pub ends_on: Date,
        pub opens_minute: Option<i32>,
        pub closes_minute: Option<i32>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod px_action {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "px_actions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub hospital_id: Uuid,
        pub reference_number: String,
        pub source_type: String,
        pub source_id: Option<Uuid>,
        pub title: String,
        pub description: String,
        pub department_id: Option<Uuid>,
        pub category: String,
        pub priority: String,
        pub severity: String,
        pub status: String,
        pub status_changed_at: Option<DateTimeUtc>,
        pub assigned_to: Option<Uuid>,
        pub assigned_at: Option<DateTimeUtc>,
        pub auto_created: bool,
        pub requires_approval: bool,
        pub clock_mode: String,
        pub due_at: Option<DateTimeUtc>,
        pub reminder_at: Option<DateTimeUtc>,
        pub reminder_sent_at: Option<DateTimeUtc>,
        pub is_overdue: bool,
        pub escalation_level: i32,
        pub escalated_at: Option<DateTimeUtc>,
        pub resolution_notes: String,
        pub submitted_by: Option<Uuid>,
        pub submitted_at: Option<DateTimeUtc>,
        pub approved_by: Option<Uuid>,
        pub approved_at: Option<DateTimeUtc>,
        pub closed_by: Option<Uuid>,
        pub closed_at: Option<DateTimeUtc>,
        pub cancelled_by: Option<Uuid>,
        pub cancelled_at: Option<DateTimeUtc>,
        pub metadata: Json,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub deleted_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod px_action_log {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "px_action_logs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub action_id: Uuid,
        pub hospital_id: Uuid,
        pub log_type: String,
        pub old_status: Option<String>,
        pub new_status: Option<String>,
        pub message: String,
        pub details: Json,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod px_action_attachment {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "px_action_attachments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub action_id: Uuid,
        pub hospital_id: Uuid,
        pub is_evidence: bool,
        pub file_name: String,
        pub content_type: String,
        pub size_bytes: i64,
        pub sha256: String,
        pub storage_key: String,
        pub uploaded_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub deleted_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use chrono::{DateTime, NaiveDate, TimeZone, Utc};
    use migration::{Migrator, MigratorTrait};
    use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel};
    use uuid::Uuid;

    use super::*;
    use crate::domains::complaints::calendar::WorkingCalendar;
    use crate::domains::complaints::sla::{ComplaintSource, Priority, Severity, complaint_sla};
    use crate::domains::complaints::workflow::{RefPrefix, new_reference_number};
    use crate::domains::organizations::model::hospital;

    /// A fresh, migrated database: PostgreSQL when `PX360_TEST_DATABASE_URL` is set (a new
    /// database named like the integration tests' so a stale one is swept), else a SQLite file.
    /// Remove it with [`drop_database`].
    async fn fresh_database() -> (DatabaseConnection, Option<(String, String)>, Option<std::path::PathBuf>) {
        let tag = format!("{:012x}", rand::random::<u64>() & 0xffff_ffff_ffff);
        if let Some(admin_url) = std::env::var("PX360_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            let admin = crate::db::connect(&admin_url).await.unwrap();
            let name = format!("px360_t_{}_{tag}", Utc::now().timestamp());
            admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.unwrap();
            let _ = admin.close().await;
            let base = admin_url.split('?').next().unwrap_or(&admin_url);
            let url = format!("{}/{name}", &base[..base.rfind('/').unwrap()]);
            let db = crate::db::connect(&url).await.unwrap();
            crate::db::migrate(&db).await.unwrap();
            (db, Some((admin_url, name)), None)
        } else {
            let dir = std::env::temp_dir().join(format!("px360-complaints-{tag}"));
            std::fs::create_dir_all(&dir).unwrap();
            let db = crate::db::connect(&format!("sqlite://{}?mode=rwc", dir.join("x.db").display())).await.unwrap();
            crate::db::migrate(&db).await.unwrap();
            (db, None, Some(dir))
        }
    }

    async fn drop_database(db: DatabaseConnection, pg: Option<(String, String)>, dir: Option<std::path::PathBuf>) {
        let _ = db.close().await;
        if let Some((admin_url, name)) = pg {
            let admin = crate::db::connect(&admin_url).await.unwrap();
            let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
            let _ = admin.close().await;
        }
        if let Some(dir) = dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, h, m, 0).unwrap()
    }

    fn json() -> serde_json::Value {
        serde_json::json!({"note": "ok"})
    }

    #[tokio::test]
    async fn complaints_tables_round_trip_every_entity_and_the_migration_goes_down_and_up() {
        let (db, pg, dir) = fresh_database().await;
        let t = at(7, 0);
        let hospital_id = Uuid::now_v7();
        hospital::Model {
            id: hospital_id,
            organization_id: None,
            code: "T-1".into(),
            his_code: String::new(),
            name_en: "Test".into(),
            name_ar: String::new(),
            city: String::new(),
            phone: String::new(),
            email: String::new(),
            address: String::new(),
            license_number: String::new(),
            status: "active".into(),
            default_language: "ar".into(),
            auto_create_action_on_complaint: false,
            quiet_hours_start: 22,
            quiet_hours_end: 8,
            survey_throttle_days: 0,
            created_at: t,
            updated_at: t,
            deleted_at: None,
        }
        .into_active_model()
        .insert(&db)
        .await
        .unwrap();

        // Taxonomy: a shared domain, a hospital category under it; codes unique per owner.
        let domain = complaint_category::Model {
            id: Uuid::now_v7(),
            hospital_id: None,
            parent_id: None,
            level: 1,
            code: "CLIN".into(),
            name_en: "Clinical".into(),
            name_ar: "سريري".into(),
            description_en: String::new(),
            description_ar: String::new(),
            domain_type: "CLINICAL".into(),
            sort_order: 1,
            is_active: true,
            created_at: t,
            updated_at: t,
            deleted_at: None,
        };
        let sub = complaint_category::Model {
            id: Uuid::now_v7(),
            hospital_id: Some(hospital_id),
            parent_id: Some(domain.id),
            level: 3,
            code: "CLIN-QUA-DIAG".into(),
            ..domain.clone()
        };
        for row in [&domain, &sub] {
            row.clone().into_active_model().insert(&db).await.unwrap();
            assert_eq!(complaint_category::Entity::find_by_id(row.id).one(&db).await.unwrap().as_ref(), Some(row));
        }
        let twin = complaint_category::Model { id: Uuid::now_v7(), ..domain.clone() };
        assert!(twin.into_active_model().insert(&db).await.is_err(), "a shared code is unique");
        let same_code_own =
            complaint_category::Model { id: Uuid::now_v7(), hospital_id: Some(hospital_id), ..domain.clone() };
        same_code_own.into_active_model().insert(&db).await.unwrap();

        // A complaint with its SLA.
        let plan = complaint_sla(
            &[],
            ComplaintSource::Moh,
            Severity::Medium,
            Priority::Medium,
            t,
            &WorkingCalendar::default(),
        );
        let complaint = complaint::Model {
            id: Uuid::now_v7(),
            hospital_id,
            reference_number: new_reference_number(RefPrefix::Cmp, t),
            complaint_type: "complaint".into(),
            source: "moh".into(),
            source_type: "external".into(),
            external_reference: "MOH-937-1".into(),
            parent_complaint_id: None,
            patient_id: None,
            complainant_name: "A. Patient".into(),
            complainant_phone: "+966501234567".into(),
            complainant_email: String::new(),
            complainant_relation: "self".into(),
            department_id: None,
            encounter_id: "ENC-1".into(),
            category_id: Some(sub.id),
            staff_id: None,
            title: "Long wait".into(),
            description: "Waited four hours in the emergency department.".into(),
            language: "en".into(),
            priority: "medium".into(),
            severity: "medium".into(),
            status: "open".into(),
            status_changed_at: None,
            assigned_to: None,
            assigned_at: None,
            received_at: t,
            sla_config_id: None,
            clock_mode: "calendar_hours".into(),
            due_at: Some(plan.times.due_at),
            first_reminder_at: plan.times.first_reminder_at,
            second_reminder_at: plan.times.second_reminder_at,
            first_reminder_sent_at: None,
            second_reminder_sent_at: None,
            escalation_at: plan.times.escalation_at,
            is_overdue: false,
            escalation_level: 0,
            escalated_at: None,
            resolution: String::new(),
            resolution_category: None,
            resolved_by: None,
            resolved_at: None,
            closed_by: None,
            closed_at: None,
            cancelled_by: None,
            cancelled_at: None,
            harm_level: String::new(),
            stage_of_care: String::new(),
            metadata: json(),
            created_by: None,
            created_at: t,
            updated_at: t,
            deleted_at: None,
        };
        complaint.clone().into_active_model().insert(&db).await.unwrap();
        assert_eq!(complaint::Entity::find_by_id(complaint.id).one(&db).await.unwrap(), Some(complaint.clone()));
        let twin = complaint::Model { id: Uuid::now_v7(), ..complaint.clone() };
        assert!(twin.into_active_model().insert(&db).await.is_err(), "reference numbers are unique");

        let update = complaint_update::Model {
            id: Uuid::now_v7(),
            complaint_id: complaint.id,
            hospital_id,
            update_type: "status".into(),
            old_status: Some("open".into()),
            new_status: Some("in_progress".into()),
            message: "Assigned".into(),
            is_public: true,
            details: json(),
            created_by: None,
            created_at: at(8, 0),
        };
        update.clone().into_active_model().insert(&db).await.unwrap();
        assert_eq!(complaint_update::Entity::find_by_id(update.id).one(&db).await.unwrap(), Some(update.clone()));

        let attachment = complaint_attachment::Model {
            id: Uuid::now_v7(),
            complaint_id: complaint.id,
            hospital_id,
            update_id: Some(update.id),
            file_name: "letter.pdf".into(),
            content_type: "application/pdf".into(),
            size_bytes: 10 * 1024 * 1024,
            sha256: "0".repeat(64),
            storage_key: "complaints/x/letter.pdf".into(),
            uploaded_by: None,
            created_at: t,
            deleted_at: None,
        };
        attachment.clone().into_active_model().insert(&db).await.unwrap();
        assert_eq!(complaint_attachment::Entity::find_by_id(attachment.id).one(&db).await.unwrap(), Some(attachment));

        // SLA rows: one per (hospital, applies_to, source) and per grid cell.
        let source_row = sla_config::Model {
            id: Uuid::now_v7(),
            hospital_id,
            applies_to: "complaint".into(),
            source: Some("moh".into()),
            severity: None,
            priority: None,
            sla_hours: 24,
            clock_mode: "working_hours".into(),
            reminder_hours_before: 24,
            second_reminder_enabled: true,
            second_reminder_hours_before: 6,
            first_reminder_hours_after: 12,
            second_reminder_hours_after: 30,
            escalation_hours_after: 24,
            thank_you_email_enabled: false,
            is_active: true,
            created_by: None,
            created_at: t,
            updated_at: t,
        };
        let grid_row = sla_config::Model {
            id: Uuid::now_v7(),
            source: None,
            severity: Some("high".into()),
            priority: Some("high".into()),
            ..source_row.clone()
        };
        for row in [&source_row, &grid_row] {
            row.clone().into_active_model().insert(&db).await.unwrap();
            assert_eq!(sla_config::Entity::find_by_id(row.id).one(&db).await.unwrap().as_ref(), Some(row));
        }
        for dup in [&source_row, &grid_row] {
            let dup = sla_config::Model { id: Uuid::now_v7(), ..(*dup).clone() };
            assert!(dup.into_active_model().insert(&db).await.is_err(), "one row per source or grid cell");
        }
        let action_row = sla_config::Model { id: Uuid::now_v7(), applies_to: "action".into(), ..grid_row.clone() };
        action_row.into_active_model().insert(&db).await.unwrap();

        let rule = escalation_rule::Model {
            id: Uuid::now_v7(),
            hospital_id,
            applies_to: "complaint".into(),
            name: "L2".into(),
            level: 2,
            trigger_on_overdue: true,
            trigger_hours_overdue: 12,
            reminder_escalation_enabled: true,
            reminder_escalation_hours: 24,
            escalate_to_role: "hospital_admin".into(),
            escalate_to_user_id: None,
            filters: json(),
            is_active: true,
            created_at: t,
            updated_at: t,
        };
        rule.clone().into_active_model().insert(&db).await.unwrap();
        assert_eq!(escalation_rule::Entity::find_by_id(rule.id).one(&db).await.unwrap(), Some(rule.clone()));

        let escalation = sla_escalation::Model {
            id: Uuid::now_v7(),
            hospital_id,
            subject_type: "complaint".into(),
            subject_id: complaint.id,
            level: 1,
            rule_id: Some(rule.id),
            trigger_kind: "overdue".into(),
            hours_overdue: 3,
            from_user_id: None,
            to_user_id: None,
            escalated_at: at(12, 0),
        };
        escalation.clone().into_active_model().insert(&db).await.unwrap();
        assert_eq!(sla_escalation::Entity::find_by_id(escalation.id).one(&db).await.unwrap(), Some(escalation.clone()));
        let again = sla_escalation::Model { id: Uuid::now_v7(), ..escalation.clone() };
        assert!(again.into_active_model().insert(&db).await.is_err(), "a level fires once");
        let next = sla_escalation::Model { id: Uuid::now_v7(), level: 2, ..escalation.clone() };
        next.into_active_model().insert(&db).await.unwrap();

        let calendar = working_calendar::Model {
            hospital_id,
            weekend_days: "5,6".into(),
            opens_minute: 480,
            closes_minute: 960,
            updated_by: None,
            created_at: t,
            updated_at: t,
        };
        calendar.clone().into_active_model().insert(&db).await.unwrap();
        assert_eq!(working_calendar::Entity::find_by_id(hospital_id).one(&db).await.unwrap(), Some(calendar));
        let holiday = calendar_holiday::Model {
            id: Uuid::now_v7(),
            hospital_id,
            name_en: "Founding Day".into(),
            name_ar: "يوم التأسيس".into(),
            starts_on: NaiveDate::from_ymd_opt(2027, 2, 22).unwrap(),
            ends_on: NaiveDate::from_ymd_opt(2027, 2, 22).unwrap(),
            opens_minute: None,
            closes_minute: None,
            created_at: t,
            updated_at: t,
        };
        holiday.clone().into_active_model().insert(&db).await.unwrap();
        assert_eq!(calendar_holiday::Entity::find_by_id(holiday.id).one(&db).await.unwrap(), Some(holiday));

        // PX Actions: at most one auto-created action per source object.
        let action = px_action::Model {
            id: Uuid::now_v7(),
            hospital_id,
            reference_number: new_reference_number(RefPrefix::Act, t),
            source_type: "complaint".into(),
            source_id: Some(complaint.id),
            title: "Reduce ED waiting".into(),
            description: String::new(),
            department_id: None,
            category: "service_quality".into(),
            priority: "high".into(),
            severity: "medium".into(),
            status: "open".into(),
            status_changed_at: None,
            assigned_to: None,
            assigned_at: None,
            auto_created: true,
            requires_approval: true,
            clock_mode: "calendar_hours".into(),
            due_at: Some(at(23, 0)),
            reminder_at: None,
            reminder_sent_at: None,
            is_overdue: false,
            escalation_level: 0,
            escalated_at: None,
            resolution_notes: String::new(),
            submitted_by: None,
            submitted_at: None,
            approved_by: None,
            approved_at: None,
            closed_by: None,
            closed_at: None,
            cancelled_by: None,
            cancelled_at: None,
            metadata: json(),
            created_by: None,
            created_at: t,
            updated_at: t,
            deleted_at: None,
        };
        action.clone().into_active_model().insert(&db).await.unwrap();
        assert_eq!(px_action::Entity::find_by_id(action.id).one(&db).await.unwrap(), Some(action.clone()));
        let second_auto = px_action::Model {
            id: Uuid::now_v7(),
            reference_number: new_reference_number(RefPrefix::Act, t),
            ..action.clone()
        };
        assert!(
            second_auto.clone().into_active_model().insert(&db).await.is_err(),
            "one auto-created action per source"
        );
        let manual = px_action::Model { auto_created: false, ..second_auto };
        manual.into_active_model().insert(&db).await.unwrap();

        let log = px_action_log::Model {
            id: Uuid::now_v7(),
            action_id: action.id,
            hospital_id,
            log_type: "created".into(),
            old_status: None,
            new_status: Some("open".into()),
            message: String::new(),
            details: json(),
            created_by: None,
            created_at: t,
        };
        log.clone().into_active_model().insert(&db).await.unwrap();
        assert_eq!(px_action_log::Entity::find_by_id(log.id).one(&db).await.unwrap(), Some(log));
        let evidence = px_action_attachment::Model {
            id: Uuid::now_v7(),
            action_id: action.id,
            hospital_id,
            is_evidence: true,
            file_name: "checklist.jpg".into(),
            content_type: "image/jpeg".into(),
            size_bytes: 2048,
            sha256: "f".repeat(64),
            storage_key: "actions/x/checklist.jpg".into(),
            uploaded_by: None,
            created_at: t,
            deleted_at: None,
        };
        evidence.clone().into_active_model().insert(&db).await.unwrap();
        assert_eq!(px_action_attachment::Entity::find_by_id(evidence.id).one(&db).await.unwrap(), Some(evidence));

        // The migrations go down (m0010 … m0006, then m0005 dropping every table) and up again.
        Migrator::down(&db, Some(6)).await.unwrap();
        assert!(complaint::Entity::find().all(&db).await.is_err(), "the tables are gone");
        Migrator::up(&db, None).await.unwrap();
        assert_eq!(complaint::Entity::find().all(&db).await.unwrap(), vec![]);
        assert!(Migrator::get_pending_migrations(&db).await.unwrap().is_empty());

        drop_database(db, pg, dir).await;
    }
}

pub mod complaint_explanation {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "complaint_explanations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub complaint_id: Uuid,
        pub hospital_id: Uuid,
        pub staff_id: Uuid,
        pub requested_by: Option<Uuid>,
        pub status: String,
        pub request_message: String,
        pub token_hash: String,
        pub due_at: DateTimeUtc,
        pub response: String,
        pub submitted_at: Option<DateTimeUtc>,
        pub escalated_at: Option<DateTimeUtc>,
        pub manager_user_id: Option<Uuid>,
        pub manager_token_hash: Option<String>,
        pub manager_response: String,
        pub manager_responded_at: Option<DateTimeUtc>,
        pub closed_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod saved_filter {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "saved_filters")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub kind: String,
        pub name: String,
        pub query: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}
