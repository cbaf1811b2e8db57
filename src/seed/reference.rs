//! Reference data every hospital starts with: the five standard departments (spec §2).

use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::domains::organizations::model::{department, hospital};
use crate::domains::organizations::service::now;

pub const STANDARD_DEPARTMENTS: &[(&str, &str, &str)] = &[
    ("EMR-001", "Emergency & Urgent Care", "الطوارئ والرعاية العاجلة"),
    ("OUT-002", "Outpatient & Specialist Clinics", "العيادات الخارجية والعيادات المتخصصة"),
    ("INP-003", "Inpatient & Surgical Services", "خدمات العلاج الداخلي والجراحة"),
    ("DIA-004", "Diagnostics & Laboratory Services", "خدمات التشخيص والمختبرات"),
    ("ADM-005", "Administration & Support Services", "خدمات الإدارة والدعم"),
];

#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Creates the standard departments in `hospitals` (all live ones when `None`).
pub async fn seed_departments(
    db: &DatabaseConnection,
    only: Option<Uuid>,
    dry_run: bool,
    overwrite: bool,
) -> anyhow::Result<Outcome> {
    let mut select = hospital::Entity::find().filter(hospital::Column::DeletedAt.is_null());
    if let Some(id) = only {
        select = select.filter(hospital::Column::Id.eq(id));
    }
    let mut outcome = Outcome::default();
    for h in select.all(db).await? {
        for (code, en, ar) in STANDARD_DEPARTMENTS {
            let existing = department::Entity::find()
                .filter(department::Column::HospitalId.eq(h.id))
                .filter(department::Column::Code.eq(*code))
                .filter(department::Column::DeletedAt.is_null())
                .one(db)
                .await?;
            match existing {
                Some(d) if overwrite && (d.name_en != *en || d.name_ar != *ar) => {
                    outcome.updated += 1;
                    if !dry_run {
                        let mut row: department::ActiveModel = d.into();
                        row.name_en = Set((*en).into());
                        row.name_ar = Set((*ar).into());
                        row.updated_at = Set(now());
                        row.update(db).await?;
                    }
                }
                Some(_) => outcome.unchanged += 1,
                None => {
                    outcome.created += 1;
                    if !dry_run {
                        department::ActiveModel {
                            id: Set(Uuid::now_v7()),
                            hospital_id: Set(h.id),
                            parent_id: Set(None),
                            code: Set((*code).into()),
                            name_en: Set((*en).into()),
                            name_ar: Set((*ar).into()),
                            manager_id: Set(None),
                            phone: Set(String::new()),
                            email: Set(String::new()),
                            location: Set(String::new()),
                            status: Set("active".into()),
                            created_at: Set(now()),
                            updated_at: Set(now()),
                            deleted_at: Set(None),
                        }
                        .insert(db)
                        .await?;
                    }
                }
            }
        }
    }
    Ok(outcome)
}
