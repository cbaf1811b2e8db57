//! The integration-test harness: a [`TestApp`] serves the real application on a loopback port over
//! a fresh database — a SQLite file in a temporary directory, or, when `PX360_TEST_DATABASE_URL`
//! is set, a new PostgreSQL database created for the test and dropped when the `TestApp` is.
//!
//! Every `TestApp` holds two hospitals (A and B) with the standard departments, one user per role
//! in hospital A (the PX admin has no hospital) and a hospital admin in hospital B, all with
//! [`PASSWORD`].

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod surveys;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use px360::app::AppState;
use px360::auth::Role;
use px360::config::{Config, Secret};
use px360::domains::accounts::model::user;
use px360::domains::organizations::model::{department, hospital};
use rand::RngCore;
use reqwest::StatusCode;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::Value;
use uuid::Uuid;

/// Every test user's password.
pub const PASSWORD: &str = "correct horse battery 7";
/// The JWT signing key of every `TestApp`.
pub const SECRET_KEY: &str = "test-secret-key-0123456789abcdefghijklmn";
/// The hospital admin of hospital B.
pub const ADMIN_B: &str = "hospital_admin@b.test";

/// The login of the user with `role` in hospital A.
pub fn email(role: Role) -> String {
    format!("{}@a.test", role.as_str())
}

/// Roles whose users belong to hospital A's emergency department.
fn in_department(role: Role) -> bool {
    matches!(role, Role::DepartmentManager | Role::Physician | Role::Nurse | Role::Staff)
}

pub enum DbGuard {
    Sqlite(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl Drop for DbGuard {
    fn drop(&mut self) {
        match self {
            DbGuard::Sqlite(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            DbGuard::Postgres { admin_url, name } => {
                let _ = std::fs::remove_dir_all(std::env::temp_dir().join(format!("{name}-attachments")));
                // Drop runs inside the test's runtime: do the async work on a thread of its own.
                let (url, name) = (admin_url.clone(), name.clone());
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
                    rt.block_on(async move {
                        if let Ok(db) = px360::db::connect(&url).await {
                            let _ = db
                                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                                .await;
                            let _ = db.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// `url` with its database (the path segment) replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{name}?{q}"),
        None => format!("{host_part}/{name}"),
    }
}

/// Drops test databases left behind by runs that were killed (older than an hour), once per process.
async fn sweep_stale_databases(admin: &DatabaseConnection) {
    static SWEPT: AtomicBool = AtomicBool::new(false);
    if SWEPT.swap(true, Ordering::SeqCst) {
        return;
    }
    let Ok(rows) = admin
        .query_all_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            "SELECT datname FROM pg_database WHERE datname LIKE 'px360\\_t\\_%'",
        ))
        .await
    else {
        return;
    };
    let now = chrono::Utc::now().timestamp();
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "datname") else { continue };
        let created = name.split('_').nth(2).and_then(|s| s.parse::<i64>().ok());
        if created.is_some_and(|t| now - t > 3600) {
            let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
        }
    }
}

/// A fresh, migrated database: (URL, connection, guard that removes it).
pub async fn fresh_database() -> (String, DatabaseConnection, DbGuard) {
    if let Some(admin_url) = std::env::var("PX360_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        let admin = px360::db::connect(&admin_url).await.expect("connect to PX360_TEST_DATABASE_URL");
        sweep_stale_databases(&admin).await;
        let name = format!("px360_t_{}_{}", chrono::Utc::now().timestamp(), random_hex(6));
        admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create test database");
        let _ = admin.close().await;
        let guard = DbGuard::Postgres { admin_url: admin_url.clone(), name: name.clone() };
        let url = with_database(&admin_url, &name);
        let db = px360::db::connect(&url).await.expect("connect to the test database");
        (url, db, guard)
    } else {
        let dir = std::env::temp_dir().join(format!("px360-test-{}", random_hex(8)));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.join("px360.db").display());
        let db = px360::db::connect(&url).await.expect("open the SQLite test database");
        (url, db, DbGuard::Sqlite(dir))
    }
}

/// The configuration of a test app, built in code.
pub fn test_config(database_url: &str) -> Config {
    Config {
        database_url: database_url.to_owned(),
        database_replica_url: None,
        bind: "127.0.0.1:0".into(),
        redis_url: None,
        secret_key: Secret::new(SECRET_KEY),
        log_dir: String::new(),
        max_body_bytes: 1024 * 1024,
        lockout_threshold: 5,
        lockout_minutes: 15,
        secure_cookies: false,
        ..Config::default()
    }
}

async fn insert_hospital(db: &DatabaseConnection, code: &str, name: &str) -> hospital::Model {
    let at = px360::domains::organizations::service::now();
    hospital::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(None),
        code: Set(code.into()),
        his_code: Set(String::new()),
        name_en: Set(format!("{name} Hospital")),
        name_ar: Set(format!("مستشفى {name}")),
        city: Set("Riyadh".into()),
        phone: Set(String::new()),
        email: Set(String::new()),
        address: Set(String::new()),
        license_number: Set(String::new()),
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
    .await
    .expect("insert hospital")
}

pub struct TestApp {
    pub base_url: String,
    pub addr: SocketAddr,
    pub state: AppState,
    /// A plain client: no cookies, redirects not followed.
    pub client: reqwest::Client,
    pub hospital_a: hospital::Model,
    pub hospital_b: hospital::Model,
    /// Hospital A's users by role.
    pub users: BTreeMap<&'static str, user::Model>,
    /// Hospital B's hospital admin.
    pub admin_b: user::Model,
    _guard: DbGuard,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Like [`TestApp::spawn`], with the configuration adjusted first (e.g. notification providers).
    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> TestApp {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let (url, db, guard) = fresh_database().await;
        px360::db::migrate(&db).await.expect("migrate");

        let hospital_a = insert_hospital(&db, "HOSP-A", "Alpha").await;
        let hospital_b = insert_hospital(&db, "HOSP-B", "Beta").await;
        px360::seed::reference::seed_departments(&db, None, false, false).await.expect("seed departments");
        let emergency_a = department::Entity::find()
            .filter(department::Column::HospitalId.eq(hospital_a.id))
            .filter(department::Column::Code.eq("EMR-001"))
            .one(&db)
            .await
            .unwrap()
            .expect("EMR-001 in hospital A");

        // argon2 is slow: hash every user's password at once on the blocking pool.
        let mut tasks = tokio::task::JoinSet::new();
        for role in Role::ALL {
            let db = db.clone();
            let hospital = (role != Role::PxAdmin).then_some(hospital_a.id);
            let department = in_department(role).then_some(emergency_a.id);
            tasks.spawn(async move {
                let u = px360::domains::accounts::service::create_user_raw(
                    &db,
                    &email(role),
                    PASSWORD,
                    role,
                    hospital,
                    department,
                    ("Test", role.as_str()),
                    "ar",
                )
                .await
                .expect("create user");
                (Some(role), u)
            });
        }
        {
            let db = db.clone();
            let hospital = hospital_b.id;
            tasks.spawn(async move {
                let u = px360::domains::accounts::service::create_user_raw(
                    &db,
                    ADMIN_B,
                    PASSWORD,
                    Role::HospitalAdmin,
                    Some(hospital),
                    None,
                    ("Beta", "Admin"),
                    "ar",
                )
                .await
                .expect("create hospital B admin");
                (None, u)
            });
        }
        let mut users = BTreeMap::new();
        let mut admin_b = None;
        while let Some(done) = tasks.join_next().await {
            match done.expect("user task") {
                (Some(role), u) => {
                    users.insert(role.as_str(), u);
                }
                (None, u) => admin_b = Some(u),
            }
        }
        // The department manager manages the emergency department.
        let mut row: department::ActiveModel = emergency_a.into();
        row.manager_id = Set(Some(users["department_manager"].id));
        row.update(&db).await.expect("set manager");

        let mut config = test_config(&url);
        // Attachments go to a folder of this test's own (removed with it).
        config.attachments_dir = match &guard {
            DbGuard::Sqlite(dir) => dir.join("attachments"),
            DbGuard::Postgres { name, .. } => std::env::temp_dir().join(format!("{name}-attachments")),
        }
        .display()
        .to_string();
        configure(&mut config);
        let state = AppState::new(db, config, px360::platform::metrics_handle()).expect("app state");
        let app = px360::router::app(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move {
            axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.expect("serve");
        });
        TestApp {
            base_url: format!("http://{addr}"),
            addr,
            state,
            client: plain_client(),
            hospital_a,
            hospital_b,
            users,
            admin_b: admin_b.expect("hospital B admin"),
            _guard: guard,
        }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.state.db
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub fn user(&self, role: Role) -> &user::Model {
        &self.users[role.as_str()]
    }

    /// POST /api/auth/token/ → (access, refresh); panics unless 200.
    pub async fn tokens(&self, login: &str) -> (String, String) {
        let resp = self
            .client
            .post(self.url("/api/auth/token/"))
            .json(&serde_json::json!({"email": login, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        let (status, body) = json(resp).await;
        assert_eq!(status, StatusCode::OK, "token for {login}: {body}");
        (body["access"].as_str().unwrap().to_owned(), body["refresh"].as_str().unwrap().to_owned())
    }

    /// An access token for `login`.
    pub async fn token(&self, login: &str) -> String {
        self.tokens(login).await.0
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.client.get(self.url(path)).bearer_auth(token).send().await.unwrap()
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.client.post(self.url(path)).bearer_auth(token).json(body).send().await.unwrap()
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.client.patch(self.url(path)).bearer_auth(token).json(body).send().await.unwrap()
    }

    pub async fn delete(&self, path: &str, token: &str) -> reqwest::Response {
        self.client.delete(self.url(path)).bearer_auth(token).send().await.unwrap()
    }

    /// The id of the live department `code` of `hospital`.
    pub async fn department_id(&self, hospital: Uuid, code: &str) -> Uuid {
        department::Entity::find()
            .filter(department::Column::HospitalId.eq(hospital))
            .filter(department::Column::Code.eq(code))
            .filter(department::Column::DeletedAt.is_null())
            .one(self.db())
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("department {code}"))
            .id
    }

    /// Every department row, deleted ones included, in id order: compare two to prove nothing was written.
    pub async fn departments(&self) -> Vec<department::Model> {
        department::Entity::find().order_by_asc(department::Column::Id).all(self.db()).await.unwrap()
    }

    /// Every user row in id order.
    pub async fn all_users(&self) -> Vec<user::Model> {
        user::Entity::find().order_by_asc(user::Column::Id).all(self.db()).await.unwrap()
    }

    /// Logs in through the /login/ form; returns a cookie-carrying client (redirects not followed)
    /// and the session's CSRF token read from the home page.
    pub async fn login_page_session(&self, login: &str) -> (reqwest::Client, String) {
        let client = cookie_client();
        let form = client.get(self.url("/login/")).send().await.unwrap();
        assert_eq!(form.status(), StatusCode::OK);
        let html = form.text().await.unwrap();
        let login_csrf = hidden_field(&html, "csrf_token").expect("csrf_token field on the login form");
        let resp = client
            .post(self.url("/login/"))
            .form(&[("email", login), ("password", PASSWORD), ("csrf_token", login_csrf.as_str()), ("next", "/")])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "login of {login}: {}", resp.text().await.unwrap_or_default());
        let home = client.get(self.url("/")).send().await.unwrap();
        assert_eq!(home.status(), StatusCode::OK, "home page after login of {login}");
        let csrf = meta_csrf(&home.text().await.unwrap()).expect("csrf-token meta on the home page");
        (client, csrf)
    }
}

/// A client without cookies that does not follow redirects.
pub fn plain_client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// A client with a cookie jar that does not follow redirects.
pub fn cookie_client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The status and the JSON body of a response (`Value::Null` for an empty body; panics on non-JSON).
pub async fn json(resp: reqwest::Response) -> (StatusCode, Value) {
    let status = resp.status();
    let text = resp.text().await.unwrap();
    if text.is_empty() {
        return (status, Value::Null);
    }
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}: body is not JSON ({e}): {text}"));
    (status, body)
}

/// Asserts a DRF `{"detail": "...", "code": "<code>"}` body.
pub fn assert_detail(body: &Value, code: &str) {
    let obj = body.as_object().unwrap_or_else(|| panic!("not an object: {body}"));
    assert!(obj.get("detail").is_some_and(Value::is_string), "no detail in {body}");
    assert_eq!(obj.get("code").and_then(Value::as_str), Some(code), "{body}");
    assert_eq!(obj.len(), 2, "only detail and code: {body}");
}

/// Asserts a DRF validation body naming exactly `fields`, each with a non-empty list of messages.
pub fn assert_fields(body: &Value, fields: &[&str]) {
    let obj = body.as_object().unwrap_or_else(|| panic!("not an object: {body}"));
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut want = fields.to_vec();
    want.sort_unstable();
    assert_eq!(keys, want, "{body}");
    for (k, v) in obj {
        let list = v.as_array().unwrap_or_else(|| panic!("{k} is not a list: {body}"));
        assert!(!list.is_empty() && list.iter().all(|m| m.as_str().is_some_and(|s| !s.is_empty())), "{k}: {body}");
    }
}

/// The first message of `field` in a validation body.
pub fn field_message(body: &Value, field: &str) -> String {
    body[field][0].as_str().unwrap_or_else(|| panic!("no message for {field}: {body}")).to_owned()
}

/// The value of `<input ... name="{name}" value="...">` in a page.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let len = html[start..].find('"')?;
    Some(html[start..start + len].to_owned())
}

/// The `<meta name="csrf-token" content="...">` of a page.
pub fn meta_csrf(html: &str) -> Option<String> {
    let marker = "<meta name=\"csrf-token\" content=\"";
    let start = html.find(marker)? + marker.len();
    let len = html[start..].find('"')?;
    Some(html[start..start + len].to_owned())
}

/// The `Location` header of a redirect.
pub fn location(resp: &reqwest::Response) -> String {
    resp.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

/// True when the tests run on PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("PX360_TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty())
}
