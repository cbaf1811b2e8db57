//! The public complaint pages (no login): the form in Arabic and English, filing (one complaint,
//! source patient, the acknowledgement queued), errors beside the fields with nothing stored,
//! the spam guard (honeypot, signed form timestamp, rate limit), the confirmation page (only for
//! the browser that filed), and tracking (public timeline only; every miss answers alike).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Utc;
use common::{SECRET_KEY, TestApp, hidden_field, location};
use px360::auth::{Actor, RequestMeta, Role};
use px360::domains::complaints::model::{complaint, complaint_category};
use px360::domains::complaints::public::{FORM_MAX_AGE_SECS, form_token};
use px360::domains::complaints::service::{self, AssignInput, NoteInput, TransitionInput};
use px360::domains::notifications::model::message;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use uuid::Uuid;

const SUBMIT: &str = "/complaints/public/submit/";
const TRACK: &str = "/complaints/public/track/";
const ARABIC_TEXT: &str = "انتظرت في قسم الطوارئ أكثر من أربع ساعات دون أن يراني أي طبيب، وكان المكان مزدحماً جداً.";

/// A test app whose client address comes from `X-Forwarded-For`, so each test counts against
/// a rate-limit bucket of its own (the limiter is shared by the whole test process).
async fn spawn(limit: u32) -> TestApp {
    TestApp::spawn_with(|c| {
        c.trust_forwarded_for = true;
        c.public_rate_limit_per_hour = limit;
        c.redis_url = std::env::var("PX360_TEST_REDIS_URL").ok().filter(|u| !u.is_empty());
    })
    .await
}

fn random_ip() -> String {
    let b = Uuid::new_v4().into_bytes();
    format!("10.{}.{}.{}", b[0], b[1], b[2].max(1))
}

/// A browser: its own address and, optionally, a cookie jar.
struct Browser {
    client: reqwest::Client,
    ip: String,
}

impl Browser {
    fn new() -> Self {
        Browser { client: common::cookie_client(), ip: random_ip() }
    }

    fn without_cookies() -> Self {
        Browser { client: common::plain_client(), ip: random_ip() }
    }

    async fn get(&self, app: &TestApp, path: &str) -> reqwest::Response {
        self.client.get(app.url(path)).header("x-forwarded-for", &self.ip).send().await.unwrap()
    }

    async fn post(&self, app: &TestApp, fields: &[(&str, String)]) -> reqwest::Response {
        self.client.post(app.url(SUBMIT)).header("x-forwarded-for", &self.ip).form(fields).send().await.unwrap()
    }
}

/// The token of a form rendered ten seconds ago.
fn ready_token() -> String {
    form_token(SECRET_KEY, Utc::now().timestamp() - 10)
}

/// A valid Arabic complaint about hospital A (override fields by pushing them again: the form
/// reads the first value, so overrides go first).
fn valid_form(app: &TestApp, overrides: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut fields: Vec<(&'static str, String)> = overrides.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
    let defaults = [
        ("lang", "ar".to_owned()),
        ("form_token", ready_token()),
        ("website", String::new()),
        ("complaint_type", "complaint".to_owned()),
        ("hospital_id", app.hospital_a.id.to_string()),
        ("source", "patient".to_owned()),
        ("complainant_relation", String::new()),
        ("category_id", String::new()),
        ("description", ARABIC_TEXT.to_owned()),
        ("visit_date", String::new()),
        ("complainant_name", "سارة".to_owned()),
        ("complainant_phone", "0501234567".to_owned()),
        ("complainant_email", String::new()),
    ];
    for (k, v) in defaults {
        if !fields.iter().any(|(f, _)| *f == k) {
            fields.push((k, v));
        }
    }
    fields
}

async fn complaints(app: &TestApp) -> u64 {
    complaint::Entity::find().count(app.db()).await.unwrap()
}

async fn messages(app: &TestApp) -> u64 {
    message::Entity::find().count(app.db()).await.unwrap()
}

async fn node(
    app: &TestApp,
    hospital: Option<Uuid>,
    parent: Option<Uuid>,
    level: i32,
    code: &str,
    name: &str,
) -> complaint_category::Model {
    let at = Utc::now();
    complaint_category::ActiveModel {
        id: Set(Uuid::now_v7()),
        hospital_id: Set(hospital),
        parent_id: Set(parent),
        level: Set(level),
        code: Set(code.into()),
        name_en: Set(format!("{name} EN")),
        name_ar: Set(format!("{name} AR")),
        description_en: Set(String::new()),
        description_ar: Set(String::new()),
        domain_type: Set("MANAGEMENT".into()),
        sort_order: Set(0),
        is_active: Set(true),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
    }
    .insert(app.db())
    .await
    .unwrap()
}

/// A shared domain › category › subcategory, and a subcategory of hospital B under it.
/// Returns (shared subcategory, hospital B's subcategory).
async fn taxonomy(app: &TestApp) -> (complaint_category::Model, complaint_category::Model) {
    let domain = node(app, None, None, 1, "TST", "Waiting").await;
    let category = node(app, None, Some(domain.id), 2, "TST-01", "Emergency wait").await;
    let shared = node(app, None, Some(category.id), 3, "TST-01-01", "Long wait").await;
    let own_b = node(app, Some(app.hospital_b.id), Some(category.id), 3, "TST-01-B1", "Beta only").await;
    (shared, own_b)
}

/// Form fields given instead of [`valid_form`]'s defaults.
type Overrides<'a> = Vec<(&'static str, &'a str)>;

fn body_error(html: &str, field: &str) -> bool {
    html.contains(&format!("id=\"err-{field}\""))
}

/// Waits for the next minute when the current one is about to end, so a short burst of
/// requests falls in one rate-limit window.
async fn avoid_window_edge() {
    let second = Utc::now().timestamp() % 60;
    if second > 50 {
        tokio::time::sleep(std::time::Duration::from_secs((61 - second) as u64)).await;
    }
}

#[tokio::test]
async fn the_form_renders_in_arabic_and_english_and_preselects_a_hospital() {
    let app = spawn(1000).await;
    let (shared, own_b) = taxonomy(&app).await;
    let browser = Browser::without_cookies();

    let resp = browser.get(&app, SUBMIT).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let csp = resp.headers().get("content-security-policy").unwrap().to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = resp.text().await.unwrap();
    assert!(html.contains("dir=\"rtl\"") && html.contains("lang=\"ar\""), "Arabic by default");
    assert!(html.contains("bootstrap.rtl.min.css"));
    assert!(html.contains("مستشفى Alpha") && html.contains("مستشفى Beta"));
    assert!(hidden_field(&html, "form_token").is_some_and(|t| t.contains('.')), "a signed form token");
    assert!(html.contains("name=\"website\" value=\"\" tabindex=\"-1\" autocomplete=\"off\""), "the honeypot");
    assert!(html.contains("class=\"px-hp\""));
    assert!(html.contains("/static/js/complaint-form.js") && html.contains("/static/css/public-form.css"));
    assert!(!html.contains("<script>"), "no inline script");
    for value in ["complaint", "inquiry", "appreciation"] {
        assert!(html.contains(&format!("name=\"complaint_type\" id=\"type-{value}\"")), "{value}");
    }
    assert!(html.contains("name=\"source\" id=\"source-patient\" value=\"patient\" checked"));
    // Without a hospital, the no-script category list has the shared nodes only.
    assert!(html.contains(&shared.id.to_string()) && html.contains("Long wait AR"));
    assert!(!html.contains(&own_b.id.to_string()));
    assert!(!html.contains("pub-"), "no raw message ids");

    let html = browser.get(&app, &format!("{SUBMIT}?lang=en&hospital=hosp-b")).await.text().await.unwrap();
    assert!(html.contains("dir=\"ltr\"") && html.contains("lang=\"en\""));
    assert!(html.contains("Beta Hospital") && html.contains("Alpha Hospital"));
    assert!(html.contains(&format!("<option value=\"{}\" selected>Beta Hospital</option>", app.hospital_b.id)));
    assert!(html.contains(&own_b.id.to_string()) && html.contains("Waiting EN › Emergency wait EN › Beta only EN"));
    assert!(html.contains("Share your experience"));
    assert!(!html.contains("pub-"), "no raw message ids");

    for asset in ["/static/js/complaint-form.js", "/static/css/public-form.css"] {
        let resp = browser.get(&app, asset).await;
        assert_eq!(resp.status(), StatusCode::OK, "{asset}");
    }
}

#[tokio::test]
async fn an_arabic_submission_files_one_complaint_and_shows_its_reference_to_this_browser_only() {
    let app = spawn(1000).await;
    px360::seed::reference::seed_notification_templates(app.db(), false).await.unwrap();
    let (shared, _) = taxonomy(&app).await;
    let browser = Browser::new();
    let category = shared.id.to_string();
    let resp = browser
        .post(&app, &valid_form(&app, &[("category_id", category.as_str()), ("visit_date", "2024-05-01")]))
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{}", resp.text().await.unwrap_or_default());
    let to = location(&resp);
    let cookie = resp.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(cookie.starts_with("px360_submitted=CMP-") && cookie.contains("HttpOnly"), "{cookie}");
    assert!(to.starts_with("/complaints/public/submitted/CMP-") && to.ends_with("/?lang=ar"), "{to}");

    assert_eq!(complaints(&app).await, 1);
    let c = complaint::Entity::find().one(app.db()).await.unwrap().unwrap();
    assert_eq!(c.source, "patient");
    assert_eq!(c.complaint_type, "complaint");
    assert_eq!(c.hospital_id, app.hospital_a.id);
    assert_eq!(c.category_id, Some(shared.id));
    assert_eq!(c.created_by, None);
    assert_eq!(c.language, "ar");
    assert_eq!(c.status, "open");
    assert!(c.due_at.is_some());
    assert_eq!(c.description, ARABIC_TEXT);
    assert_eq!(c.metadata["visit_date"], "2024-05-01");
    assert!(to.contains(&c.reference_number));
    let ack = message::Entity::find()
        .filter(message::Column::TemplateCode.eq("complaint_acknowledgement"))
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(ack.len(), 1, "the acknowledgement is queued");
    assert_eq!(ack[0].channel, "sms");
    assert!(ack[0].recipient.ends_with("501234567"), "{}", ack[0].recipient);
    assert!(ack[0].body.contains(&c.reference_number));

    // The confirmation, for this browser.
    let resp = browser.get(&app, &to).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("dir=\"rtl\""));
    assert!(html.contains(&format!("id=\"reference\">{}</p>", c.reference_number)));
    assert!(html.contains("id=\"expected\""));
    assert!(html.contains(&format!("/complaints/public/track/?reference={}", c.reference_number)));

    // Anyone else (no cookie, or a cookie for another reference) goes to the tracking page.
    let stranger = Browser::without_cookies();
    let resp = stranger.get(&app, &to).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(location(&resp).starts_with(TRACK), "{}", location(&resp));
    let resp =
        stranger.client.get(app.url(&to)).header("cookie", "px360_submitted=CMP-20250101-ABCDEF").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let resp = stranger.get(&app, "/complaints/public/submitted/not-a-reference/").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);

    // A family member's inquiry, in English, without a phone: INQ-, source family, the relation kept.
    let resp = browser
        .post(
            &app,
            &valid_form(
                &app,
                &[
                    ("lang", "en"),
                    ("complaint_type", "inquiry"),
                    ("source", "family"),
                    ("complainant_relation", "parent"),
                    ("complainant_phone", ""),
                    ("description", "What are the visiting hours of the children's ward, please?"),
                ],
            ),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(location(&resp).contains("/INQ-") && location(&resp).ends_with("?lang=en"));
    let inquiry = complaint::Entity::find()
        .filter(complaint::Column::ComplaintType.eq("inquiry"))
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((inquiry.source.as_str(), inquiry.complainant_relation.as_str()), ("family", "parent"));
    assert_eq!(complaints(&app).await, 2);
    assert_eq!(messages(&app).await, 1, "no contact, no acknowledgement");
    let html = browser.get(&app, &location(&resp)).await.text().await.unwrap();
    assert!(html.contains(&inquiry.reference_number) && html.contains("dir=\"ltr\""));
}

#[tokio::test]
async fn bad_input_is_shown_beside_the_fields_and_nothing_is_stored() {
    let app = spawn(1000).await;
    px360::seed::reference::seed_notification_templates(app.db(), false).await.unwrap();
    let (_, own_b) = taxonomy(&app).await;
    let browser = Browser::without_cookies();
    let unknown = Uuid::now_v7().to_string();
    let other_hospitals = own_b.id.to_string();
    let cases: Vec<(Overrides, Vec<&str>)> = vec![
        (vec![("description", "قصير جداً")], vec!["description"]),
        (vec![("description", "   ")], vec!["description"]),
        (vec![("complainant_phone", "12ab")], vec!["complainant_phone"]),
        (vec![("hospital_id", unknown.as_str())], vec!["hospital_id"]),
        (vec![("hospital_id", "not-a-uuid")], vec!["hospital_id"]),
        (vec![("hospital_id", "")], vec!["hospital_id"]),
        (vec![("category_id", other_hospitals.as_str())], vec!["category_id"]),
        (vec![("category_id", "nope")], vec!["category_id"]),
        (vec![("source", "staff")], vec!["source"]),
        (vec![("complaint_type", "praise")], vec!["complaint_type"]),
        (vec![("visit_date", "2999-01-01")], vec!["visit_date"]),
        (vec![("source", "family"), ("complainant_relation", "boss")], vec!["complainant_relation"]),
        (
            vec![("description", "short"), ("complainant_phone", "999"), ("complainant_email", "not-an-email")],
            vec!["description", "complainant_phone", "complainant_email"],
        ),
        (
            vec![("hospital_id", "x"), ("description", "short"), ("complainant_email", "a@b")],
            vec!["hospital_id", "description", "complainant_email"],
        ),
    ];
    for (overrides, fields) in cases {
        let resp = browser.post(&app, &valid_form(&app, &overrides)).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{overrides:?}");
        let html = resp.text().await.unwrap();
        assert!(html.contains("id=\"form-errors\""), "{overrides:?}");
        for field in &fields {
            assert!(body_error(&html, field), "{overrides:?}: no error beside {field}");
        }
        let shown = html.matches("class=\"invalid-feedback d-block\" id=\"err-").count();
        assert_eq!(shown, fields.len(), "{overrides:?}: only {fields:?}");
        // The values are kept, and a fresh token comes with the form.
        assert!(html.contains("value=\"سارة\""), "{overrides:?}");
        assert!(hidden_field(&html, "form_token").is_some());
        assert!(html.contains("dir=\"rtl\"") && !html.contains("pub-err"), "Arabic messages");
    }
    // English messages on an English form.
    let resp = browser.post(&app, &valid_form(&app, &[("lang", "en"), ("description", "too short")])).await;
    let html = resp.text().await.unwrap();
    assert!(html.contains("Please describe what happened in 20 to 5,000 characters."));
    assert_eq!(complaints(&app).await, 0);
    assert_eq!(messages(&app).await, 0);
}

#[tokio::test]
async fn a_filled_honeypot_looks_like_success_and_stores_nothing() {
    let app = spawn(1000).await;
    let browser = Browser::new();
    let resp = browser.post(&app, &valid_form(&app, &[("website", "http://spam.example")])).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/complaints/public/thanks/?lang=ar");
    assert!(resp.headers().get("set-cookie").is_none());
    let resp = browser.get(&app, &location(&resp)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("id=\"thanks\"") && !html.contains("CMP-"));
    assert_eq!(complaints(&app).await, 0);
}

#[tokio::test]
async fn a_form_sent_too_fast_too_late_or_with_a_forged_token_is_refused() {
    let app = spawn(1000).await;
    let browser = Browser::without_cookies();
    let now = Utc::now().timestamp();
    let fresh = browser.get(&app, SUBMIT).await.text().await.unwrap();
    let fresh = hidden_field(&fresh, "form_token").unwrap();
    let cases = [
        ("just rendered", fresh),
        ("in the future", form_token(SECRET_KEY, now + 60)),
        ("expired", form_token(SECRET_KEY, now - FORM_MAX_AGE_SECS - 5)),
        ("another key", form_token("not-our-secret-key-0123456789abcdef", now - 10)),
        ("forged time", form_token(SECRET_KEY, now - 10).replacen(&(now - 10).to_string(), &(now - 20).to_string(), 1)),
        ("garbage", "hello".to_owned()),
        ("empty", String::new()),
    ];
    for (why, token) in cases {
        let resp = browser.post(&app, &valid_form(&app, &[("form_token", token.as_str())])).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{why}");
        let html = resp.text().await.unwrap();
        assert!(html.contains("id=\"form-alert\""), "{why}: a friendly message");
        assert!(html.contains(ARABIC_TEXT), "{why}: the values are kept");
        let again = hidden_field(&html, "form_token").unwrap();
        let issued: i64 = again.split('.').next().unwrap().parse().unwrap();
        assert!((Utc::now().timestamp() - issued).abs() <= 2, "{why}: a fresh token");
    }
    let resp = browser.client.post(app.url(SUBMIT)).header("x-forwarded-for", &browser.ip).form(&[("x", "y")]);
    assert_eq!(resp.send().await.unwrap().status(), StatusCode::BAD_REQUEST, "no token at all");
    assert_eq!(complaints(&app).await, 0);
    // The same form with a token of a while ago goes through.
    let resp = browser.post(&app, &valid_form(&app, &[])).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(complaints(&app).await, 1);
}

#[tokio::test]
async fn submissions_and_lookups_are_rate_limited_per_client_address() {
    let app = spawn(3).await;
    avoid_window_edge().await;
    let browser = Browser::without_cookies();
    for i in 0..3 {
        let resp = browser.post(&app, &valid_form(&app, &[("description", "short")])).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "attempt {i}");
    }
    let resp = browser.post(&app, &valid_form(&app, &[])).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = resp.headers().get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!(retry >= 1);
    let html = resp.text().await.unwrap();
    assert!(html.contains("id=\"rate-limited\"") && html.contains("dir=\"rtl\""));
    let resp = browser.post(&app, &valid_form(&app, &[("lang", "en")])).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.text().await.unwrap().contains("Too many attempts"));
    assert_eq!(complaints(&app).await, 0, "a limited submission is not stored");

    // Another address is not limited; lookups have a count of their own.
    let other = Browser::without_cookies();
    assert_eq!(other.post(&app, &valid_form(&app, &[])).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(complaints(&app).await, 1);
    for i in 0..3 {
        let resp = browser.get(&app, &format!("{TRACK}?reference=CMP-20250101-ABCDE{i}")).await;
        assert_eq!(resp.status(), StatusCode::OK, "lookup {i}");
    }
    let resp = browser.get(&app, &format!("{TRACK}?reference=CMP-20250101-ABCDEF&lang=en")).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.headers().get("retry-after").is_some());
    // The form itself is not counted.
    assert_eq!(browser.get(&app, TRACK).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn tracking_shows_the_status_and_public_updates_only() {
    let app = spawn(1000).await;
    let (shared, _) = taxonomy(&app).await;
    let category = shared.id.to_string();
    let browser = Browser::new();
    let marker = "The nurse at the front desk was rude to my father and refused to call the doctor.";
    let resp = browser
        .post(
            &app,
            &valid_form(
                &app,
                &[
                    ("lang", "en"),
                    ("complainant_name", "Sara Secretname"),
                    ("complainant_phone", "0509876543"),
                    ("complainant_email", "sara.secret@example.com"),
                    ("description", marker),
                    ("category_id", category.as_str()),
                ],
            ),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let c = complaint::Entity::find().one(app.db()).await.unwrap().unwrap();

    // Staff work on it: an assignment (internal note), a public note and an internal one.
    let admin = Actor::from_user(&app.state, app.user(Role::PxAdmin), RequestMeta::default()).await.unwrap();
    let handler = app.user(Role::PxCoordinator);
    service::assign(
        &app.state,
        &admin,
        c.id,
        AssignInput { user_id: Some(handler.id), note: Some("ASSIGN-NOTE-INTERNAL".into()) },
    )
    .await
    .unwrap();
    let public = NoteInput { message: Some("We are reviewing the camera recordings.".into()), is_public: Some(true) };
    service::add_note(&app.state, &admin, c.id, public).await.unwrap();
    let internal = NoteInput { message: Some("NOTE-INTERNAL-ONLY staff discussion".into()), is_public: None };
    service::add_note(&app.state, &admin, c.id, internal).await.unwrap();

    let stranger = Browser::without_cookies();
    // Typed loosely: lower case, O for 0 and l for 1 in the suffix, spaces around.
    let (head, suffix) = c.reference_number.rsplit_once('-').unwrap();
    let typed = format!("  {}-{}  ", head.to_lowercase(), suffix.to_lowercase().replace('0', "o").replace('1', "l"));
    let resp = stranger.get(&app, &format!("{TRACK}?lang=en&reference={}", urlencode(&typed))).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("id=\"tracked\""), "{html}");
    assert!(html.contains(&c.reference_number));
    assert!(html.contains("text-bg-primary") && html.contains("Being handled"));
    assert!(html.contains("On track"));
    assert!(html.contains("We received your request"));
    assert!(html.contains("We are reviewing the camera recordings."));
    for secret in [
        "NOTE-INTERNAL-ONLY",
        "ASSIGN-NOTE-INTERNAL",
        "Sara",
        "Secretname",
        "0509876543",
        "509876543",
        "sara.secret",
        "rude to my father",
        handler.email.as_str(),
        "px_coordinator",
        "px_admin",
    ] {
        assert!(!html.contains(secret), "the tracking page shows {secret}");
    }
    // Arabic labels.
    let html = stranger.get(&app, &format!("{TRACK}?lang=ar&reference={}", c.reference_number)).await;
    let html = html.text().await.unwrap();
    assert!(html.contains("قيد المعالجة") && html.contains("dir=\"rtl\""));
    // The phone's last four digits, when given, must match.
    let ok = stranger.get(&app, &format!("{TRACK}?reference={}&phone=6543", c.reference_number)).await;
    assert!(ok.text().await.unwrap().contains("id=\"tracked\""));
    let wrong = stranger.get(&app, &format!("{TRACK}?reference={}&phone=1111", c.reference_number)).await;
    assert!(wrong.text().await.unwrap().contains("id=\"not-found\""));

    // Resolved: green, with the public message given with the change; the clock no longer shown.
    let resolve = TransitionInput {
        status: Some("resolved".into()),
        resolution: Some("RESOLUTION-INTERNAL coaching record".into()),
        resolution_category: Some("full_action_taken".into()),
        public_message: Some("The staff member was coached and we apologise.".into()),
        ..TransitionInput::default()
    };
    service::transition(&app.state, &admin, c.id, resolve).await.unwrap();
    let html = stranger.get(&app, &format!("{TRACK}?lang=en&reference={}", c.reference_number)).await;
    let html = html.text().await.unwrap();
    assert!(html.contains("text-bg-success") && html.contains("Status: Resolved"), "{html}");
    assert!(html.contains("The staff member was coached and we apologise."), "{html}");
    assert!(!html.contains("id=\"sla-state\""));
    assert!(!html.contains("NOTE-INTERNAL-ONLY") && !html.contains("RESOLUTION-INTERNAL") && !html.contains("Sara"));
}

#[tokio::test]
async fn unknown_wrong_and_malformed_references_get_the_same_answer() {
    let app = spawn(1000).await;
    let browser = Browser::new();
    assert_eq!(browser.post(&app, &valid_form(&app, &[])).await.status(), StatusCode::SEE_OTHER);
    let c = complaint::Entity::find().one(app.db()).await.unwrap().unwrap();
    let stranger = Browser::without_cookies();
    let mut bodies = Vec::new();
    for query in [
        "reference=CMP-20250101-ABCDEF".to_owned(),
        "reference=garbage".to_owned(),
        "reference=%3Cscript%3E".to_owned(),
        "reference=CMP-2025-01".to_owned(),
        format!("reference={}&phone=0000", c.reference_number),
        format!("reference={}&phone=12", c.reference_number),
    ] {
        let resp = stranger.get(&app, &format!("{TRACK}?{query}")).await;
        assert_eq!(resp.status(), StatusCode::OK, "{query}");
        bodies.push((query, resp.text().await.unwrap()));
    }
    let (_, first) = &bodies[0];
    assert!(first.contains("id=\"not-found\"") && !first.contains("ABCDEF"));
    for (query, body) in &bodies[1..] {
        assert_eq!(body, first, "{query} answers differently");
    }
}

/// Percent-encodes a query value.
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
