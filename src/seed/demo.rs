//! The synthetic demo data set: one group, two hospitals, the standard departments, physicians
//! and other staff, ~200 patients with Arabic and English names, and one login per role.
//! Every name, phone and id here is invented.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::Role;
use crate::domains::accounts::model::user;
use crate::domains::accounts::service::create_user_raw;
use crate::domains::organizations::model::{department, hospital, organization, patient, staff};
use crate::domains::organizations::service::now;

pub const DEMO_PASSWORD: &str = "px360-demo-pass";

pub const DEMO_LOGINS: &[(&str, &str)] = &[
    ("admin@px360.demo", "px_admin"),
    ("hospital.admin@px360.demo", "hospital_admin"),
    ("manager@px360.demo", "department_manager"),
    ("coordinator@px360.demo", "px_coordinator"),
    ("physician@px360.demo", "physician"),
    ("nurse@px360.demo", "nurse"),
    ("staff@px360.demo", "staff"),
    ("viewer@px360.demo", "viewer"),
    ("source@px360.demo", "source_user"),
];

const MALE: &[(&str, &str)] = &[
    ("Mohammed", "محمد"),
    ("Abdullah", "عبدالله"),
    ("Fahad", "فهد"),
    ("Khalid", "خالد"),
    ("Saud", "سعود"),
    ("Faisal", "فيصل"),
    ("Omar", "عمر"),
    ("Turki", "تركي"),
    ("Nasser", "ناصر"),
    ("Sultan", "سلطان"),
    ("Ahmed", "أحمد"),
    ("Yousef", "يوسف"),
    ("Majed", "ماجد"),
    ("Bandar", "بندر"),
    ("Ali", "علي"),
];
const FEMALE: &[(&str, &str)] = &[
    ("Noura", "نورة"),
    ("Sara", "سارة"),
    ("Reem", "ريم"),
    ("Lama", "لمى"),
    ("Hessa", "حصة"),
    ("Maha", "مها"),
    ("Amal", "أمل"),
    ("Fatimah", "فاطمة"),
    ("Haifa", "هيفاء"),
    ("Jawaher", "جواهر"),
    ("Mashael", "مشاعل"),
    ("Dana", "دانة"),
    ("Ghada", "غادة"),
    ("Rawan", "روان"),
    ("Abeer", "عبير"),
];
const FAMILY: &[(&str, &str)] = &[
    ("Al-Qahtani", "القحطاني"),
    ("Al-Otaibi", "العتيبي"),
    ("Al-Ghamdi", "الغامدي"),
    ("Al-Harbi", "الحربي"),
    ("Al-Zahrani", "الزهراني"),
    ("Al-Dosari", "الدوسري"),
    ("Al-Shehri", "الشهري"),
    ("Al-Mutairi", "المطيري"),
    ("Al-Anazi", "العنزي"),
    ("Al-Subaie", "السبيعي"),
    ("Al-Shammari", "الشمري"),
    ("Al-Malki", "المالكي"),
];
const SPECIALTIES: &[(&str, &str, &str)] = &[
    ("Emergency Medicine", "طب الطوارئ", "EMR-001"),
    ("Internal Medicine", "الطب الباطني", "OUT-002"),
    ("Pediatrics", "طب الأطفال", "OUT-002"),
    ("General Surgery", "الجراحة العامة", "INP-003"),
    ("Cardiology", "أمراض القلب", "OUT-002"),
    ("Radiology", "الأشعة", "DIA-004"),
    ("Orthopedics", "جراحة العظام", "INP-003"),
    ("Family Medicine", "طب الأسرة", "OUT-002"),
];
const NATIONALITIES: &[&str] =
    &["Saudi", "Saudi", "Saudi", "Saudi", "Egyptian", "Jordanian", "Indian", "Pakistani", "Filipino", "Yemeni"];

/// A synthetic person: (first name, family name) in English and Arabic, and the gender.
pub(crate) fn person(rng: &mut StdRng) -> ((&'static str, &'static str), (&'static str, &'static str), &'static str) {
    let female = rng.random_bool(0.5);
    let first = if female { FEMALE[rng.random_range(0..FEMALE.len())] } else { MALE[rng.random_range(0..MALE.len())] };
    (first, FAMILY[rng.random_range(0..FAMILY.len())], if female { "female" } else { "male" })
}

/// A synthetic Saudi mobile number.
pub(crate) fn phone(rng: &mut StdRng) -> String {
    format!("+9665{}{:07}", rng.random_range(0..10), rng.random_range(0..10_000_000))
}

/// Seeds the demo data set if the database has no hospital yet; returns whether it did.
pub async fn seed_if_empty(state: &AppState) -> anyhow::Result<bool> {
    let db = &state.db;
    // Templates first and every time: idempotent, and a demo database from an older version gets them.
    crate::seed::reference::seed_notification_templates(db, false).await?;
    crate::seed::taxonomy::seed_taxonomy(db, false).await?;
    if hospital::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    let mut rng = StdRng::seed_from_u64(360);
    let at = now();
    let org = organization::ActiveModel {
        id: Set(Uuid::now_v7()),
        code: Set("ALH".into()),
        name_en: Set("AlHammadi Group (demo)".into()),
        name_ar: Set("مجموعة الحمادي (تجريبي)".into()),
        phone: Set("+966112345678".into()),
        email: Set("info@px360.demo".into()),
        address: Set("Riyadh".into()),
        license_number: Set("DEMO-ORG-1".into()),
        status: Set("active".into()),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
    }
    .insert(db)
    .await?;
    let mut hospitals = Vec::new();
    for (code, his, en, ar, city) in [
        ("ALH-MAIN", "1", "AlHammadi Hospital – Olaya (demo)", "مستشفى الحمادي – العليا (تجريبي)", "Riyadh"),
        ("ALH-NUZ", "2", "AlHammadi Hospital – Al Nuzha (demo)", "مستشفى الحمادي – النزهة (تجريبي)", "Riyadh"),
    ] {
        let h = hospital::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(Some(org.id)),
            code: Set(code.into()),
            his_code: Set(his.into()),
            name_en: Set(en.into()),
            name_ar: Set(ar.into()),
            city: Set(city.into()),
            phone: Set(phone(&mut rng)),
            email: Set(format!("{}@px360.demo", code.to_lowercase())),
            address: Set(String::new()),
            license_number: Set(format!("DEMO-{code}")),
            status: Set("active".into()),
            default_language: Set("ar".into()),
            auto_create_action_on_complaint: Set(false),
            quiet_hours_start: Set(22),
            quiet_hours_end: Set(8),
            survey_throttle_days: Set(7),
            created_at: Set(at),
            updated_at: Set(at),
            deleted_at: Set(None),
        }
        .insert(db)
        .await?;
        hospitals.push(h);
    }
    crate::seed::reference::seed_departments(db, None, false, false).await?;
    for h in &hospitals {
        for def in crate::seed::bench::STANDARD_JOURNEYS {
            crate::seed::bench::seed_journey(db, h.id, def, true).await?;
        }
    }

    for (h_index, h) in hospitals.iter().enumerate() {
        let departments = department::Entity::find().filter(department::Column::HospitalId.eq(h.id)).all(db).await?;
        let dept = |code: &str| departments.iter().find(|d| d.code == code).map(|d| d.id);
        // Physicians: 12 per hospital, licences PHY001… unique per hospital.
        for i in 0..12 {
            let (first, family, _) = person(&mut rng);
            let (spec_en, spec_ar, dept_code) = SPECIALTIES[i % SPECIALTIES.len()];
            insert_staff(
                state,
                h.id,
                dept(dept_code),
                "physician",
                i,
                first,
                family,
                Some(format!("PHY{:03}", i + 1)),
                (spec_en, spec_ar),
                &mut rng,
            )
            .await?;
        }
        for (i, kind) in
            ["nurse", "nurse", "nurse", "nurse", "allied_health", "admin", "support", "nurse"].iter().enumerate()
        {
            let (first, family, _) = person(&mut rng);
            let code = ["EMR-001", "INP-003", "OUT-002", "DIA-004", "ADM-005"][i % 5];
            insert_staff(state, h.id, dept(code), kind, 100 + i, first, family, None, ("", ""), &mut rng).await?;
        }
        // Patients: 100 per hospital.
        let mut rows = Vec::new();
        for i in 0..100 {
            let (first, family, gender) = person(&mut rng);
            let saudi = rng.random_bool(0.7);
            let nationality = if saudi { "Saudi" } else { NATIONALITIES[rng.random_range(4..NATIONALITIES.len())] };
            let dob = chrono::NaiveDate::from_ymd_opt(
                rng.random_range(1945..2020),
                rng.random_range(1..=12),
                rng.random_range(1..=28),
            );
            rows.push(patient::ActiveModel {
                id: Set(Uuid::now_v7()),
                hospital_id: Set(h.id),
                mrn: Set(format!("MRN-{}{:05}", h_index + 1, i + 1)),
                national_id: Set(format!("{}{:09}", if saudi { 1 } else { 2 }, rng.random_range(0..1_000_000_000u32))),
                first_name_en: Set(first.0.into()),
                last_name_en: Set(family.0.into()),
                first_name_ar: Set(first.1.into()),
                last_name_ar: Set(family.1.into()),
                phone: Set(phone(&mut rng)),
                email: Set(if rng.random_bool(0.4) {
                    format!("patient{}{}@example.com", h_index + 1, i + 1)
                } else {
                    String::new()
                }),
                gender: Set(gender.into()),
                date_of_birth: Set(dob),
                nationality: Set(nationality.into()),
                preferred_language: Set(if saudi || rng.random_bool(0.3) { "ar".into() } else { "en".into() }),
                preferred_channel: Set(["sms", "whatsapp", "email"][rng.random_range(0..3)].into()),
                is_deceased: Set(false),
                created_at: Set(at),
                updated_at: Set(at),
                deleted_at: Set(None),
            });
        }
        patient::Entity::insert_many(rows).exec(db).await?;
    }

    let main = &hospitals[0];
    let main_depts = department::Entity::find().filter(department::Column::HospitalId.eq(main.id)).all(db).await?;
    let emergency = main_depts.iter().find(|d| d.code == "EMR-001").map(|d| d.id);
    for (email, role) in DEMO_LOGINS {
        let role = Role::parse(role).ok_or_else(|| anyhow::anyhow!("bad demo role"))?;
        let hospital_id = (role != Role::PxAdmin).then_some(main.id);
        let department_id = matches!(role, Role::DepartmentManager | Role::Nurse | Role::Physician | Role::Staff)
            .then_some(emergency)
            .flatten();
        let (first, last) = match role {
            Role::PxAdmin => ("Amal", "Al-Harbi"),
            Role::HospitalAdmin => ("Khalid", "Al-Otaibi"),
            Role::DepartmentManager => ("Noura", "Al-Qahtani"),
            Role::PxCoordinator => ("Sara", "Al-Ghamdi"),
            Role::Physician => ("Fahad", "Al-Zahrani"),
            Role::Nurse => ("Reem", "Al-Dosari"),
            Role::Staff => ("Omar", "Al-Shehri"),
            Role::Viewer => ("Lama", "Al-Mutairi"),
            Role::SourceUser => ("Majed", "Al-Anazi"),
        };
        let language = if matches!(role, Role::PxAdmin | Role::Physician) { "en" } else { "ar" };
        let created =
            create_user_raw(db, email, DEMO_PASSWORD, role, hospital_id, department_id, (first, last), language)
                .await?;
        if role == Role::DepartmentManager
            && let Some(d) = main_depts.iter().find(|d| d.code == "EMR-001")
        {
            let mut row: department::ActiveModel = d.clone().into();
            row.manager_id = Set(Some(created.id));
            row.update(db).await?;
        }
        if role == Role::Physician {
            // Link the demo physician login to PHY001 of the main hospital.
            if let Some(s) = staff::Entity::find()
                .filter(staff::Column::HospitalId.eq(main.id))
                .filter(staff::Column::LicenseNumber.eq("PHY001"))
                .one(db)
                .await?
            {
                let mut row: staff::ActiveModel = s.into();
                row.user_id = Set(Some(created.id));
                row.update(db).await?;
            }
        }
    }
    let _ = user::Entity::find().count(db).await?;
    crate::seed::demo_complaints::seed(state).await?;
    // surveys (issue 6): six months of journey surveys with answers, scores and PX actions.
    crate::seed::demo_surveys::seed(state).await?;
    // analytics (issue 7): rollups, physician ratings and KPIs of the seeded months.
    crate::domains::analytics::rebuild_all(state, now(), &mut |_, _, _| {}).await?;
    Ok(true)
}

#[expect(clippy::too_many_arguments, reason = "a seeding helper with positional demo values")]
async fn insert_staff(
    state: &AppState,
    hospital_id: Uuid,
    department_id: Option<Uuid>,
    kind: &str,
    n: usize,
    first: (&str, &str),
    family: (&str, &str),
    license: Option<String>,
    specialty: (&str, &str),
    rng: &mut StdRng,
) -> anyhow::Result<()> {
    let at = now();
    let (title_en, title_ar) = match kind {
        "physician" => ("Consultant", "استشاري"),
        "nurse" => ("Staff Nurse", "ممرض/ة"),
        "allied_health" => ("Pharmacist", "صيدلي"),
        "admin" => ("Patient Relations Officer", "مسؤول علاقات المرضى"),
        _ => ("Support Officer", "موظف دعم"),
    };
    staff::ActiveModel {
        id: Set(Uuid::now_v7()),
        hospital_id: Set(hospital_id),
        department_id: Set(department_id),
        user_id: Set(None),
        staff_type: Set(kind.into()),
        employee_id: Set(format!("EMP{:04}", n + 1)),
        first_name_en: Set(if kind == "physician" { format!("Dr. {}", first.0) } else { first.0.into() }),
        last_name_en: Set(family.0.into()),
        first_name_ar: Set(if kind == "physician" { format!("د. {}", first.1) } else { first.1.into() }),
        last_name_ar: Set(family.1.into()),
        email: Set(format!("emp{}.{}@px360.demo", n + 1, &hospital_id.to_string()[..4])),
        phone: Set(phone(rng)),
        job_title_en: Set(title_en.into()),
        job_title_ar: Set(title_ar.into()),
        license_number: Set(license),
        specialization_en: Set(specialty.0.into()),
        specialization_ar: Set(specialty.1.into()),
        status: Set("active".into()),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
    }
    .insert(&state.db)
    .await?;
    Ok(())
}
