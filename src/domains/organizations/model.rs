//! Organization → Hospital → Department → Staff (physicians are staff); patients belong to a hospital.

macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}
        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod organization {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "organizations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub code: String,
        pub name_en: String,
        pub name_ar: String,
        pub phone: String,
        pub email: String,
        pub address: String,
        pub license_number: String,
        pub status: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub deleted_at: Option<DateTimeUtc>,
    }
    no_relations!();
}

pub mod hospital {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "hospitals")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Option<Uuid>,
        pub code: String,
        pub his_code: String,
        pub name_en: String,
        pub name_ar: String,
        pub city: String,
        pub phone: String,
        pub email: String,
        pub address: String,
        pub license_number: String,
        pub status: String,
        pub default_language: String,
        pub auto_create_action_on_complaint: bool,
        /// Quiet hours (Riyadh time, 0–23): patient messages wait from start to end; equal means none.
        pub quiet_hours_start: i32,
        pub quiet_hours_end: i32,
        /// At most one survey message per patient in this many days (0: no cap).
        pub survey_throttle_days: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub deleted_at: Option<DateTimeUtc>,
    }
    no_relations!();
}

pub mod department {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "departments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub hospital_id: Uuid,
        pub parent_id: Option<Uuid>,
        pub code: String,
        pub name_en: String,
        pub name_ar: String,
        pub manager_id: Option<Uuid>,
        pub phone: String,
        pub email: String,
        pub location: String,
        pub status: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub deleted_at: Option<DateTimeUtc>,
    }
    no_relations!();
}

pub mod staff {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "staff")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub hospital_id: Uuid,
        pub department_id: Option<Uuid>,
        pub user_id: Option<Uuid>,
        pub staff_type: String,
        pub employee_id: String,
        pub first_name_en: String,
        pub last_name_en: String,
        pub first_name_ar: String,
        pub last_name_ar: String,
        pub email: String,
        pub phone: String,
        pub job_title_en: String,
        pub job_title_ar: String,
        pub license_number: Option<String>,
        pub specialization_en: String,
        pub specialization_ar: String,
        pub status: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub deleted_at: Option<DateTimeUtc>,
    }
    no_relations!();
}

pub mod patient {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "patients")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub hospital_id: Uuid,
        pub mrn: String,
        pub national_id: String,
        pub first_name_en: String,
        pub last_name_en: String,
        pub first_name_ar: String,
        pub last_name_ar: String,
        pub phone: String,
        pub email: String,
        pub gender: String,
        pub date_of_birth: Option<Date>,
        pub nationality: String,
        pub preferred_language: String,
        pub preferred_channel: String,
        pub is_deceased: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub deleted_at: Option<DateTimeUtc>,
    }
    no_relations!();
}
