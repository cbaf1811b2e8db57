//! Demo complaints and PX Actions (synthetic): a month of complaints of the main hospital in
//! Arabic and English, in every status, some past due so the SLA check marks them overdue and
//! escalates them on the spot, a few resolved and closed, and actions in each approval step.

use chrono::Duration;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::Actor;
use crate::domains::accounts::model::user;
use crate::domains::complaints::model::{complaint, complaint_category};
use crate::domains::complaints::service::{self, AssignInput, ComplaintInput, Origin, TransitionInput};
use crate::domains::complaints::{actions, sla_jobs};
use crate::domains::organizations::model::{department, hospital};
use crate::domains::organizations::service::now;

const CASES: &[(&str, &str, &str)] = &[
    ("انتظار طويل في الطوارئ", "انتظرت أكثر من أربع ساعات في قسم الطوارئ دون أن يخبرني أحد بسبب التأخير.", "ar"),
    ("Appointment cancelled twice", "My clinic appointment was cancelled twice without any call or message.", "en"),
    ("تعامل غير لائق من موظف الاستقبال", "كان موظف الاستقبال غير متعاون ورفع صوته على والدتي المسنة.", "ar"),
    ("Wrong medication dose explained", "The pharmacy gave me instructions that did not match the prescription.", "en"),
    ("نظافة دورات المياه", "دورات المياه في الدور الثاني غير نظيفة منذ أيام.", "ar"),
    ("Billing error on discharge", "I was charged for a procedure that was not done during my stay.", "en"),
    ("تأخر نتائج المختبر", "لم تصلني نتائج التحاليل بعد أسبوع رغم أنهم وعدوني بيومين.", "ar"),
    ("Parking is impossible", "There is no parking for patients at the outpatient building in the morning.", "en"),
    ("عدم احترام الخصوصية", "تمت مناقشة حالتي أمام مرضى آخرين في غرفة الانتظار.", "ar"),
    ("Nurse was excellent", "Nurse Reem was kind and patient with my father all night.", "en"),
];

/// Seeds the demo complaints of the main hospital; skipped when it already has some.
pub async fn seed(state: &AppState) -> anyhow::Result<()> {
    let db = &state.db;
    let Some(main) = hospital::Entity::find().filter(hospital::Column::Code.eq("ALH-MAIN")).one(db).await? else {
        return Ok(());
    };
    let existing = crate::domains::complaints::model::complaint::Entity::find()
        .filter(crate::domains::complaints::model::complaint::Column::HospitalId.eq(main.id))
        .one(db)
        .await?;
    if existing.is_some() {
        return Ok(());
    }
    let mut rng = StdRng::seed_from_u64(5);
    let departments = department::Entity::find().filter(department::Column::HospitalId.eq(main.id)).all(db).await?;
    let level3: Vec<Uuid> = complaint_category::Entity::find()
        .filter(complaint_category::Column::Level.eq(3))
        .filter(complaint_category::Column::HospitalId.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let coordinator = user::Entity::find().filter(user::Column::Email.eq("coordinator@px360.demo")).one(db).await?;
    let hospital_admin =
        user::Entity::find().filter(user::Column::Email.eq("hospital.admin@px360.demo")).one(db).await?;
    let (Some(coordinator), Some(hospital_admin)) = (coordinator, hospital_admin) else { return Ok(()) };
    let meta = crate::auth::RequestMeta::default();
    let pxc = Actor::from_user(state, &coordinator, meta.clone()).await?;
    let ha = Actor::from_user(state, &hospital_admin, meta).await?;
    let system = Actor::system();
    let sources = ["patient", "family", "call_center", "moh", "chi", "social_media", "patient", "family"];
    let at = now();
    for i in 0..40usize {
        let (title, description, _) = CASES[i % CASES.len()];
        let appreciation = i % CASES.len() == 9;
        // Mostly recent (still on track), some a few days old (overdue, escalated), a few old
        // ones that were resolved and closed.
        let hours_ago = match i % 10 {
            0..=5 => rng.random_range(1..48),
            6..=7 => rng.random_range(48..24 * 5),
            _ => rng.random_range(24 * 10..24 * 150),
        };
        let dept = &departments[rng.random_range(0..departments.len())];
        let input = ComplaintInput {
            hospital_id: Some(main.id),
            complaint_type: Some(
                if appreciation {
                    "appreciation"
                } else if i % 13 == 4 {
                    "inquiry"
                } else {
                    "complaint"
                }
                .into(),
            ),
            source: Some(sources[i % sources.len()].into()),
            complainant_name: Some(["فهد العتيبي", "Sara Al-Harbi", "نورة القحطاني", "Omar Al-Malki"][i % 4].into()),
            complainant_phone: Some(format!("+9665{}{:07}", rng.random_range(0..10), rng.random_range(0..10_000_000))),
            department_id: Some(dept.id),
            category_id: (!level3.is_empty()).then(|| level3[rng.random_range(0..level3.len())]),
            title: Some(title.into()),
            description: Some(description.into()),
            severity: Some(["low", "medium", "medium", "high", "critical"][rng.random_range(0..5)].into()),
            priority: Some(["low", "medium", "high"][rng.random_range(0..3)].into()),
            received_at: Some(at - Duration::hours(hours_ago)),
            ..Default::default()
        };
        let c = service::create(state, &system, input, Origin::Staff).await?;
        if appreciation {
            continue;
        }
        // A third stay open and unassigned; the rest are taken, and older ones resolved or closed.
        match i % 3 {
            0 => {}
            _ => {
                service::assign(state, &pxc, c.id, AssignInput { user_id: pxc.user_id, note: None }).await?;
                if hours_ago > 24 * 10 && c.category_id.is_some() && i % 2 == 0 {
                    service::transition(
                        state,
                        &pxc,
                        c.id,
                        TransitionInput {
                            status: Some("resolved".into()),
                            resolution: Some("تم التواصل مع المريض ومعالجة السبب. We called the patient back.".into()),
                            resolution_category: Some("full_action_taken".into()),
                            public_message: Some("تمت معالجة ملاحظتك، شكراً لك".into()),
                            ..Default::default()
                        },
                    )
                    .await?;
                    if i % 4 == 0 {
                        service::transition(
                            state,
                            &ha,
                            c.id,
                            TransitionInput { status: Some("closed".into()), ..Default::default() },
                        )
                        .await?;
                        actions::create_from_complaint(state, &pxc, c.id).await?;
                    }
                    // Resolved back then, mostly within the 72-hour SLA, not at seeding time.
                    let resolved_at = at - Duration::hours(hours_ago) + Duration::hours(rng.random_range(6..90));
                    let closed_at = (i % 4 == 0).then(|| resolved_at + Duration::hours(20));
                    complaint::Entity::update_many()
                        .col_expr(complaint::Column::ResolvedAt, Expr::value(Some(resolved_at)))
                        .col_expr(complaint::Column::ClosedAt, Expr::value(closed_at))
                        .col_expr(
                            complaint::Column::StatusChangedAt,
                            Expr::value(Some(closed_at.unwrap_or(resolved_at))),
                        )
                        .filter(complaint::Column::Id.eq(c.id))
                        .exec(&state.db)
                        .await?;
                }
            }
        }
    }
    // Bring the seeded SLA clocks up to date: overdue flags, reminders and escalations.
    // One escalation level per run, as the 15-minute job would have done over the past days.
    for _ in 0..3 {
        sla_jobs::check_complaints(state, now()).await?;
        sla_jobs::check_actions(state, now()).await?;
    }
    Ok(())
}
