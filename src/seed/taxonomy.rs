//! The complaint category taxonomy every hospital shares (`hospital_id` NULL): 3 domains, 9
//! categories, 42 subcategories and 52 classifications, in English and Arabic. Codes nest
//! (`CLIN` › `CLIN-QUA` › `CLIN-QUA-DIAG` › `CLIN-QUA-DIAG-01`); every node carries its domain's
//! type (CLINICAL | MANAGEMENT | RELATIONSHIPS) and its position among its siblings as sort order.
//!
//! Seeding is idempotent: missing codes are inserted, the names of existing shared nodes are set
//! to these, nothing is duplicated. Descriptions, sort order and the active flag an administrator
//! changed are left alone, and a shared node an administrator deleted is not brought back (nor
//! anything below it).

use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter, Set, TransactionTrait,
};
use uuid::Uuid;

use crate::domains::complaints::model::complaint_category;
use crate::domains::organizations::service::now;
use crate::seed::reference::Outcome;

/// One node of the shared taxonomy and the nodes under it.
#[derive(Debug)]
pub struct Node {
    pub code: &'static str,
    pub name_en: &'static str,
    pub name_ar: &'static str,
    pub description_en: &'static str,
    pub description_ar: &'static str,
    pub children: &'static [Node],
}

/// A node with a description.
const fn d(
    code: &'static str,
    name_en: &'static str,
    name_ar: &'static str,
    description_en: &'static str,
    description_ar: &'static str,
    children: &'static [Node],
) -> Node {
    Node { code, name_en, name_ar, description_en, description_ar, children }
}

/// A node without a description.
const fn n(code: &'static str, name_en: &'static str, name_ar: &'static str, children: &'static [Node]) -> Node {
    Node { code, name_en, name_ar, description_en: "", description_ar: "", children }
}

/// A classification (level 4): no children.
const fn c(code: &'static str, name_en: &'static str, name_ar: &'static str) -> Node {
    n(code, name_en, name_ar, &[])
}

/// The domain type of each level-1 code.
pub const DOMAIN_TYPES: &[(&str, &str)] = &[("CLIN", "CLINICAL"), ("MGMT", "MANAGEMENT"), ("REL", "RELATIONSHIPS")];

/// The shared taxonomy (spec: complaint categories).
pub const TAXONOMY: &[Node] = &[
    d(
        "CLIN",
        "Clinical",
        "سريري",
        "Clinical care: the quality and safety of diagnosis and treatment.",
        "الرعاية السريرية: جودة التشخيص والعلاج وسلامتهما.",
        &[
            d(
                "CLIN-QUA",
                "Quality",
                "الجودة",
                "Whether the care met accepted clinical standards.",
                "مدى مطابقة الرعاية للمعايير السريرية المعتمدة.",
                &[
                    n(
                        "CLIN-QUA-DIAG",
                        "Diagnosis",
                        "التشخيص",
                        &[
                            c("CLIN-QUA-DIAG-01", "Delayed diagnosis", "تأخر التشخيص"),
                            c("CLIN-QUA-DIAG-02", "Misdiagnosis", "تشخيص خاطئ"),
                        ],
                    ),
                    n(
                        "CLIN-QUA-EXAM",
                        "Examination",
                        "الفحص",
                        &[
                            c("CLIN-QUA-EXAM-01", "Incomplete or rushed examination", "فحص غير مكتمل أو متسرع"),
                            c("CLIN-QUA-EXAM-02", "Delayed test or imaging results", "تأخر نتائج التحاليل أو الأشعة"),
                        ],
                    ),
                    n(
                        "CLIN-QUA-JOUR",
                        "Patient Journey",
                        "رحلة المريض",
                        &[
                            c("CLIN-QUA-JOUR-01", "Poor coordination between departments", "ضعف التنسيق بين الأقسام"),
                            c("CLIN-QUA-JOUR-02", "Premature or unsafe discharge", "خروج مبكر أو غير آمن"),
                        ],
                    ),
                    n(
                        "CLIN-QUA-CARE",
                        "Quality of Care",
                        "جودة الرعاية",
                        &[
                            c("CLIN-QUA-CARE-01", "Inadequate nursing care", "رعاية تمريضية غير كافية"),
                            c("CLIN-QUA-CARE-02", "Inadequate pain management", "قصور في التعامل مع الألم"),
                        ],
                    ),
                    n(
                        "CLIN-QUA-TRT",
                        "Treatment",
                        "العلاج",
                        &[
                            c("CLIN-QUA-TRT-01", "Delayed treatment", "تأخر العلاج"),
                            c("CLIN-QUA-TRT-02", "Inappropriate or ineffective treatment", "علاج غير مناسب أو غير فعال"),
                        ],
                    ),
                ],
            ),
            d(
                "CLIN-SAF",
                "Safety",
                "السلامة",
                "Harm, or the risk of harm, to patients.",
                "الضرر الذي لحق بالمريض أو خطر حدوثه.",
                &[
                    n(
                        "CLIN-SAF-MED",
                        "Medication & Vaccination",
                        "الأدوية واللقاحات",
                        &[
                            c("CLIN-SAF-MED-01", "Wrong medication or dose", "دواء أو جرعة خاطئة"),
                            c("CLIN-SAF-MED-02", "Adverse drug reaction", "تفاعل دوائي ضار"),
                            c("CLIN-SAF-MED-03", "Vaccination error", "خطأ في التطعيم"),
                        ],
                    ),
                    n(
                        "CLIN-SAF-FALL",
                        "Falls & Injuries",
                        "السقوط والإصابات",
                        &[c("CLIN-SAF-FALL-01", "Patient fall", "سقوط المريض")],
                    ),
                    n(
                        "CLIN-SAF-INF",
                        "Infection Control",
                        "مكافحة العدوى",
                        &[c("CLIN-SAF-INF-01", "Hospital-acquired infection", "عدوى مكتسبة في المستشفى")],
                    ),
                    n(
                        "CLIN-SAF-PROC",
                        "Procedures & Surgery",
                        "الإجراءات والجراحة",
                        &[
                            c("CLIN-SAF-PROC-01", "Surgical complication", "مضاعفات جراحية"),
                            c(
                                "CLIN-SAF-PROC-02",
                                "Wrong site or wrong patient procedure",
                                "إجراء في موضع خاطئ أو لمريض خاطئ",
                            ),
                        ],
                    ),
                    n(
                        "CLIN-SAF-EQP",
                        "Medical Equipment",
                        "الأجهزة الطبية",
                        &[c("CLIN-SAF-EQP-01", "Faulty or unavailable equipment", "جهاز معطل أو غير متوفر")],
                    ),
                ],
            ),
        ],
    ),
    d(
        "MGMT",
        "Management",
        "إداري",
        "How the hospital is organised and run.",
        "تنظيم المستشفى وإدارته.",
        &[
            d(
                "MGMT-ACC",
                "Accessibility",
                "إمكانية الوصول",
                "Getting care when and where it is needed.",
                "الحصول على الرعاية في الوقت والمكان المناسبين.",
                &[
                    n(
                        "MGMT-ACC-APPT",
                        "Appointments",
                        "المواعيد",
                        &[
                            c("MGMT-ACC-APPT-01", "No appointment available", "عدم توفر موعد"),
                            c("MGMT-ACC-APPT-02", "Appointment cancelled or rescheduled", "إلغاء الموعد أو تغييره"),
                        ],
                    ),
                    n(
                        "MGMT-ACC-WAIT",
                        "Waiting Times",
                        "أوقات الانتظار",
                        &[
                            c("MGMT-ACC-WAIT-01", "Long wait in the clinic", "انتظار طويل في العيادة"),
                            c(
                                "MGMT-ACC-WAIT-02",
                                "Long wait in the emergency department",
                                "انتظار طويل في قسم الطوارئ",
                            ),
                        ],
                    ),
                    n(
                        "MGMT-ACC-ADM",
                        "Admission & Discharge",
                        "الدخول والخروج",
                        &[
                            c("MGMT-ACC-ADM-01", "No bed available", "عدم توفر سرير"),
                            c("MGMT-ACC-ADM-02", "Discharge delay", "تأخر إجراءات الخروج"),
                        ],
                    ),
                    n(
                        "MGMT-ACC-REF",
                        "Referrals & Transfers",
                        "الإحالات والتحويل",
                        &[
                            c("MGMT-ACC-REF-01", "Referral delayed or refused", "تأخر الإحالة أو رفضها"),
                            c("MGMT-ACC-REF-02", "Delayed transfer to another hospital", "تأخر النقل إلى مستشفى آخر"),
                        ],
                    ),
                    n(
                        "MGMT-ACC-PHY",
                        "Physical Access & Parking",
                        "الوصول والمواقف",
                        &[
                            c("MGMT-ACC-PHY-01", "Parking unavailable", "عدم توفر مواقف"),
                            c("MGMT-ACC-PHY-02", "Poor access for people with disabilities", "صعوبة وصول ذوي الإعاقة"),
                        ],
                    ),
                ],
            ),
            d(
                "MGMT-INS",
                "Institutional Issues",
                "القضايا المؤسسية",
                "Administrative processes, billing and records.",
                "الإجراءات الإدارية والفواتير والسجلات.",
                &[
                    n(
                        "MGMT-INS-BILL",
                        "Billing & Payments",
                        "الفواتير والمدفوعات",
                        &[
                            c("MGMT-INS-BILL-01", "Incorrect charges", "رسوم غير صحيحة"),
                            c("MGMT-INS-BILL-02", "Refund delay", "تأخر استرداد المبالغ"),
                        ],
                    ),
                    n(
                        "MGMT-INS-INSR",
                        "Insurance & Approvals",
                        "التأمين والموافقات",
                        &[c("MGMT-INS-INSR-01", "Insurance approval delay", "تأخر موافقة التأمين")],
                    ),
                    n(
                        "MGMT-INS-REC",
                        "Medical Records & Reports",
                        "السجلات والتقارير الطبية",
                        &[c("MGMT-INS-REC-01", "Delay in issuing medical reports", "تأخر إصدار التقارير الطبية")],
                    ),
                    n(
                        "MGMT-INS-POL",
                        "Policies & Procedures",
                        "السياسات والإجراءات",
                        &[c("MGMT-INS-POL-01", "Visiting hours policy", "سياسة أوقات الزيارة")],
                    ),
                    n(
                        "MGMT-INS-STF",
                        "Staffing",
                        "توفر الكوادر",
                        &[c("MGMT-INS-STF-01", "Physician not available", "عدم توفر الطبيب")],
                    ),
                ],
            ),
            d(
                "MGMT-ENV",
                "Environment",
                "البيئة",
                "The hospital's buildings, cleanliness, food and security.",
                "مباني المستشفى ونظافته وطعامه وأمنه.",
                &[
                    n(
                        "MGMT-ENV-CLN",
                        "Cleanliness & Hygiene",
                        "النظافة",
                        &[
                            c("MGMT-ENV-CLN-01", "Unclean room or ward", "غرفة أو جناح غير نظيف"),
                            c("MGMT-ENV-CLN-02", "Unclean toilets", "دورات مياه غير نظيفة"),
                        ],
                    ),
                    n(
                        "MGMT-ENV-FOOD",
                        "Food & Nutrition",
                        "الطعام والتغذية",
                        &[
                            c("MGMT-ENV-FOOD-01", "Food quality", "جودة الطعام"),
                            c("MGMT-ENV-FOOD-02", "Diet requirements not met", "عدم الالتزام بالحمية الغذائية"),
                        ],
                    ),
                    n(
                        "MGMT-ENV-FAC",
                        "Facilities & Maintenance",
                        "المرافق والصيانة",
                        &[c("MGMT-ENV-FAC-01", "Air conditioning or temperature", "التكييف ودرجة الحرارة")],
                    ),
                    n(
                        "MGMT-ENV-NOISE",
                        "Noise & Comfort",
                        "الضوضاء والراحة",
                        &[c("MGMT-ENV-NOISE-01", "Noise at night", "الإزعاج ليلاً")],
                    ),
                    n(
                        "MGMT-ENV-SEC",
                        "Safety & Security",
                        "الأمن والسلامة",
                        &[c("MGMT-ENV-SEC-01", "Lost or stolen belongings", "فقدان المتعلقات أو سرقتها")],
                    ),
                ],
            ),
        ],
    ),
    d(
        "REL",
        "Relationships",
        "علاقات",
        "How staff treat and communicate with patients and their families.",
        "تعامل الموظفين مع المرضى وذويهم وتواصلهم معهم.",
        &[
            d(
                "REL-COM",
                "Communication",
                "التواصل",
                "Information, explanations and replies.",
                "المعلومات والشروحات والردود.",
                &[
                    n(
                        "REL-COM-INFO",
                        "Information Provided",
                        "المعلومات المقدمة",
                        &[c(
                            "REL-COM-INFO-01",
                            "Insufficient explanation of condition or treatment",
                            "شرح غير كافٍ للحالة أو العلاج",
                        )],
                    ),
                    n(
                        "REL-COM-STAFF",
                        "Staff Communication",
                        "تواصل الموظفين",
                        &[c("REL-COM-STAFF-01", "Conflicting information from staff", "معلومات متضاربة من الموظفين")],
                    ),
                    n(
                        "REL-COM-LANG",
                        "Language & Interpretation",
                        "اللغة والترجمة",
                        &[c("REL-COM-LANG-01", "Interpreter not available", "عدم توفر مترجم")],
                    ),
                    n(
                        "REL-COM-RESP",
                        "Response to Inquiries",
                        "الرد على الاستفسارات",
                        &[c("REL-COM-RESP-01", "Calls or messages not answered", "عدم الرد على المكالمات أو الرسائل")],
                    ),
                    n("REL-COM-FAM", "Communication with Family", "التواصل مع الأسرة", &[]),
                ],
            ),
            d(
                "REL-CONF",
                "Confidentiality",
                "السرية",
                "Privacy and the protection of personal information.",
                "الخصوصية وحماية المعلومات الشخصية.",
                &[
                    n(
                        "REL-CONF-PRIV",
                        "Privacy Breach",
                        "انتهاك الخصوصية",
                        &[c(
                            "REL-CONF-PRIV-01",
                            "Lack of privacy during examination",
                            "عدم مراعاة الخصوصية أثناء الفحص",
                        )],
                    ),
                    n(
                        "REL-CONF-DISC",
                        "Disclosure of Information",
                        "إفشاء المعلومات",
                        &[c("REL-CONF-DISC-01", "Information shared without permission", "مشاركة المعلومات دون إذن")],
                    ),
                    n("REL-CONF-REC", "Access to Records", "الاطلاع على السجلات", &[]),
                    n("REL-CONF-DATA", "Data Protection", "حماية البيانات", &[]),
                ],
            ),
            d(
                "REL-CONS",
                "Consent",
                "الموافقة",
                "Informed consent and the patient's right to choose.",
                "الموافقة المستنيرة وحق المريض في الاختيار.",
                &[
                    n(
                        "REL-CONS-INF",
                        "Informed Consent",
                        "الموافقة المستنيرة",
                        &[c("REL-CONS-INF-01", "Procedure without informed consent", "إجراء دون موافقة مستنيرة")],
                    ),
                    n("REL-CONS-REF", "Right to Refuse", "الحق في الرفض", &[]),
                    n("REL-CONS-MIN", "Consent for Minors & Dependents", "موافقة القاصرين ومن في حكمهم", &[]),
                ],
            ),
            d(
                "REL-HUM",
                "Humanness & Caring",
                "الإنسانية والرعاية",
                "Respect, dignity and compassion.",
                "الاحترام والكرامة والتعاطف.",
                &[
                    n(
                        "REL-HUM-ATT",
                        "Staff Attitude",
                        "سلوك الموظفين",
                        &[
                            c("REL-HUM-ATT-01", "Rude or disrespectful behaviour", "سلوك فظ أو غير محترم"),
                            c("REL-HUM-ATT-02", "Unprofessional behaviour", "سلوك غير مهني"),
                        ],
                    ),
                    n("REL-HUM-DIG", "Respect & Dignity", "الاحترام والكرامة", &[]),
                    n(
                        "REL-HUM-DISC",
                        "Discrimination",
                        "التمييز",
                        &[c("REL-HUM-DISC-01", "Unequal treatment", "معاملة غير متساوية")],
                    ),
                    n("REL-HUM-EMO", "Emotional Support", "الدعم النفسي", &[]),
                    n(
                        "REL-HUM-NEG",
                        "Neglect",
                        "الإهمال",
                        &[c("REL-HUM-NEG-01", "Call bell not answered", "عدم الاستجابة لجرس الاستدعاء")],
                    ),
                ],
            ),
        ],
    ),
];

/// One node of [`TAXONOMY`] with its place: level (1–4), parent code, position among siblings
/// (1-based) and domain type.
#[derive(Debug)]
pub struct Flat {
    pub node: &'static Node,
    pub level: i32,
    pub parent: Option<&'static str>,
    pub position: i32,
    pub domain_type: &'static str,
}

/// [`TAXONOMY`] depth first: every parent before its children.
pub fn flatten() -> Vec<Flat> {
    fn walk(
        nodes: &'static [Node],
        level: i32,
        parent: Option<&'static str>,
        domain: &'static str,
        out: &mut Vec<Flat>,
    ) {
        for (i, node) in nodes.iter().enumerate() {
            let domain_type = if level == 1 {
                DOMAIN_TYPES.iter().find(|(code, _)| *code == node.code).map_or("", |(_, t)| *t)
            } else {
                domain
            };
            let position = i32::try_from(i + 1).unwrap_or(i32::MAX);
            out.push(Flat { node, level, parent, position, domain_type });
            walk(node.children, level + 1, Some(node.code), domain_type, out);
        }
    }
    let mut out = Vec::new();
    walk(TAXONOMY, 1, None, "", &mut out);
    out
}

/// Inserts the shared nodes that are missing and sets the names of the existing ones, in one
/// transaction (nothing is written with `dry_run`).
pub async fn seed_taxonomy(db: &DatabaseConnection, dry_run: bool) -> anyhow::Result<Outcome> {
    use complaint_category::Column as C;
    let txn = db.begin().await?;
    let shared = complaint_category::Entity::find().filter(C::HospitalId.is_null()).all(&txn).await?;
    // A code's live node, else (when an administrator deleted it) its deleted one.
    let mut by_code: HashMap<String, complaint_category::Model> = HashMap::new();
    for row in shared {
        let keep = by_code.get(&row.code).is_none_or(|seen| seen.deleted_at.is_some() && row.deleted_at.is_none());
        if keep {
            by_code.insert(row.code.clone(), row);
        }
    }
    let mut ids: HashMap<&'static str, Uuid> = HashMap::new();
    let mut outcome = Outcome::default();
    let at = now();
    for f in flatten() {
        let parent_id = match f.parent {
            None => None,
            // The parent was deleted by an administrator (or skipped for that reason): skip this one too.
            Some(code) => match ids.get(code) {
                Some(id) => Some(*id),
                None => continue,
            },
        };
        match by_code.get(f.node.code) {
            Some(existing) if existing.deleted_at.is_some() => continue,
            Some(existing) => {
                ids.insert(f.node.code, existing.id);
                if existing.name_en == f.node.name_en && existing.name_ar == f.node.name_ar {
                    outcome.unchanged += 1;
                    continue;
                }
                outcome.updated += 1;
                if !dry_run {
                    let mut row = existing.clone().into_active_model();
                    row.name_en = Set(f.node.name_en.into());
                    row.name_ar = Set(f.node.name_ar.into());
                    row.updated_at = Set(at);
                    row.update(&txn).await?;
                }
            }
            None => {
                let id = Uuid::now_v7();
                ids.insert(f.node.code, id);
                outcome.created += 1;
                if !dry_run {
                    complaint_category::ActiveModel {
                        id: Set(id),
                        hospital_id: Set(None),
                        parent_id: Set(parent_id),
                        level: Set(f.level),
                        code: Set(f.node.code.into()),
                        name_en: Set(f.node.name_en.into()),
                        name_ar: Set(f.node.name_ar.into()),
                        description_en: Set(f.node.description_en.into()),
                        description_ar: Set(f.node.description_ar.into()),
                        domain_type: Set(f.domain_type.into()),
                        sort_order: Set(f.position),
                        is_active: Set(true),
                        created_at: Set(at),
                        updated_at: Set(at),
                        deleted_at: Set(None),
                    }
                    .insert(&txn)
                    .await?;
                }
            }
        }
    }
    if dry_run {
        txn.rollback().await?;
    } else {
        txn.commit().await?;
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_taxonomy_has_3_9_42_52_nodes_that_nest_and_are_bilingual() {
        let flat = flatten();
        let count = |level: i32| flat.iter().filter(|f| f.level == level).count();
        assert_eq!((count(1), count(2), count(3), count(4)), (3, 9, 42, 52));
        assert_eq!(flat.len(), 106);
        assert_eq!(flat.iter().map(|f| f.level).max(), Some(4), "four levels, no more");

        let mut codes = std::collections::HashSet::new();
        for f in &flat {
            assert!(codes.insert(f.node.code), "{} is unique", f.node.code);
            assert!(f.node.code.len() <= 50, "{} fits the column", f.node.code);
            match f.parent {
                None => assert_eq!(f.level, 1, "{} has a parent unless it is a domain", f.node.code),
                Some(parent) => {
                    let rest = f.node.code.strip_prefix(parent).and_then(|r| r.strip_prefix('-'));
                    assert!(
                        rest.is_some_and(|r| !r.is_empty() && !r.contains('-')),
                        "{} nests under {parent}",
                        f.node.code
                    );
                }
            }
            assert!(
                ["CLINICAL", "MANAGEMENT", "RELATIONSHIPS"].contains(&f.domain_type),
                "{} has a domain type",
                f.node.code
            );
            assert!(!f.node.name_en.trim().is_empty(), "{} has an English name", f.node.code);
            assert!(
                f.node.name_ar.chars().any(|ch| ('\u{0600}'..='\u{06FF}').contains(&ch)),
                "{} has an Arabic name",
                f.node.code
            );
            assert!(
                f.node.name_ar.chars().count() <= 200 && f.node.name_en.chars().count() <= 200,
                "{} names fit the columns",
                f.node.code
            );
            assert_eq!(f.node.description_en.is_empty(), f.node.description_ar.is_empty(), "{}", f.node.code);
            if f.level == 4 {
                assert!(f.node.children.is_empty(), "{} is a classification: no children", f.node.code);
            } else if f.level < 3 {
                assert!(!f.node.children.is_empty(), "{} has children", f.node.code);
            }
        }
        // The spec's names.
        let name = |code: &str| flat.iter().find(|f| f.node.code == code).map(|f| (f.node.name_en, f.node.name_ar));
        assert_eq!(name("CLIN"), Some(("Clinical", "سريري")));
        assert_eq!(name("MGMT"), Some(("Management", "إداري")));
        assert_eq!(name("REL"), Some(("Relationships", "علاقات")));
        assert_eq!(name("REL-HUM"), Some(("Humanness & Caring", "الإنسانية والرعاية")));
        assert_eq!(name("CLIN-SAF-MED"), Some(("Medication & Vaccination", "الأدوية واللقاحات")));
        let quality: Vec<&str> = flat.iter().filter(|f| f.parent == Some("CLIN-QUA")).map(|f| f.node.name_en).collect();
        assert_eq!(quality, ["Diagnosis", "Examination", "Patient Journey", "Quality of Care", "Treatment"]);
    }
}
