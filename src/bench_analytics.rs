//! `px360 bench command-center`: response times of the command center at volume (issue 7). Run it
//! after `px360 admin seed-volume` on the same database. It serves the real application in-process
//! on a loopback port, logs in a PX admin and a department manager of VOL-1 (created if missing,
//! with a bench password: use a scratch database), and requests, from `concurrency` parallel
//! clients, the page and its JSON for every period × scope filter — all hospitals, one hospital,
//! one department, OPD journeys — plus the manager's default page. The first request of each URL
//! is reported apart (`cold`: nothing cached yet). Every non-2xx answer counts as an error.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::Role;
use crate::domains::accounts::model::user;
use crate::domains::organizations::model::{department, hospital};

/// The bench users' password (they live in a scratch database).
pub const BENCH_PASSWORD: &str = "vol-bench-pass-123";
const ADMIN_EMAIL: &str = "bench.admin@vol.invalid";
const MANAGER_EMAIL: &str = "bench.manager@vol.invalid";
/// The manager's department in VOL-1.
const MANAGER_DEPARTMENT: &str = "OUT-002";

pub const PERIODS: [&str; 8] = ["7d", "30d", "90d", "this_month", "last_month", "quarter", "year", "custom"];

/// Where the bench sends its requests.
#[derive(Debug, Clone)]
pub struct Paths {
    pub page: String,
    pub api: String,
}

impl Default for Paths {
    fn default() -> Self {
        Paths { page: "/analytics/command-center/".into(), api: "/api/analytics/command-center/".into() }
    }
}

/// Latencies of one kind of request, in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    pub requests: usize,
    pub errors: usize,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Stats {
    fn of(samples: &[Sample]) -> Stats {
        let mut ms: Vec<f64> = samples.iter().map(|s| s.ms).collect();
        ms.sort_by(f64::total_cmp);
        let at = |q: f64| {
            if ms.is_empty() {
                return 0.0;
            }
            let i = ((q * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1;
            round1(ms[i])
        };
        Stats {
            requests: samples.len(),
            errors: samples.iter().filter(|s| !s.ok).count(),
            p50: at(0.50),
            p95: at(0.95),
            p99: at(0.99),
            max: ms.last().copied().map(round1).unwrap_or_default(),
        }
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// One slow or failing URL.
#[derive(Debug, Clone, Serialize)]
pub struct Slow {
    pub kind: &'static str,
    pub url: String,
    pub p95: f64,
    pub max: f64,
    pub errors: usize,
    /// The status and the start of the body of the first error.
    pub first_error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CommandCenterBench {
    pub backend: String,
    pub concurrency: usize,
    pub seconds: f64,
    /// Per kind (`page`, `api`, `manager_page`): every request.
    pub all: BTreeMap<&'static str, Stats>,
    /// The first request of each URL (before any cache is warm).
    pub cold: BTreeMap<&'static str, Stats>,
    /// The slowest URLs by p95 (and every URL with errors).
    pub slowest: Vec<Slow>,
}

#[derive(Clone)]
struct Target {
    kind: &'static str,
    url: String,
    auth: Auth,
}

#[derive(Clone)]
enum Auth {
    Bearer(String),
    Cookie(String),
}

struct Sample {
    target: usize,
    ms: f64,
    ok: bool,
    cold: bool,
    error: Option<String>,
}

/// The filter matrix: every period × (all hospitals, one hospital, one department, OPD journeys).
pub fn filter_queries(hospital: Uuid, dept_hospital: Uuid, department: Uuid, from: &str, to: &str) -> Vec<String> {
    let scopes = [
        String::new(),
        format!("&hospital_id={hospital}"),
        format!("&hospital_id={dept_hospital}&department_id={department}"),
        "&journey_type=opd".to_owned(),
    ];
    let mut out = Vec::new();
    for period in PERIODS {
        let period =
            if period == "custom" { format!("period=custom&from={from}&to={to}") } else { format!("period={period}") };
        for scope in &scopes {
            out.push(format!("?{period}{scope}"));
        }
    }
    out
}

async fn ensure_user(
    state: &AppState,
    email: &str,
    role: Role,
    hospital_id: Option<Uuid>,
    department_id: Option<Uuid>,
) -> anyhow::Result<()> {
    if user::Entity::find().filter(user::Column::Email.eq(email)).one(&state.db).await?.is_some() {
        return Ok(());
    }
    crate::domains::accounts::service::create_user_raw(
        &state.db,
        email,
        BENCH_PASSWORD,
        role,
        hospital_id,
        department_id,
        ("Bench", "User"),
        "en",
    )
    .await
    .map_err(|e| anyhow::anyhow!("creating bench user {email}: {}", e.detail()))?;
    Ok(())
}

fn set_cookie_value(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Logs in through the login form; gives the session cookie (`name=value`).
async fn page_session(client: &reqwest::Client, base: &str, email: &str) -> anyhow::Result<String> {
    let form = client.get(format!("{base}/login/")).send().await?;
    let csrf_cookie =
        set_cookie_value(&form, "px360_login_csrf").ok_or_else(|| anyhow::anyhow!("no login CSRF cookie"))?;
    let html = form.text().await?;
    let csrf = html
        .split("name=\"csrf_token\"")
        .nth(1)
        .and_then(|rest| rest.split("value=\"").nth(1))
        .and_then(|v| v.split('"').next())
        .ok_or_else(|| anyhow::anyhow!("no csrf_token field on the login form"))?
        .to_owned();
    let resp = client
        .post(format!("{base}/login/"))
        .header(reqwest::header::COOKIE, format!("px360_login_csrf={csrf_cookie}"))
        .form(&[("email", email), ("password", BENCH_PASSWORD), ("csrf_token", csrf.as_str()), ("next", "/")])
        .send()
        .await?;
    anyhow::ensure!(resp.status() == reqwest::StatusCode::SEE_OTHER, "login of {email}: {}", resp.status());
    let session = set_cookie_value(&resp, crate::auth::session::COOKIE)
        .ok_or_else(|| anyhow::anyhow!("login of {email} set no session cookie"))?;
    Ok(format!("{}={session}", crate::auth::session::COOKIE))
}

async fn api_token(client: &reqwest::Client, base: &str, email: &str) -> anyhow::Result<String> {
    let resp = client
        .post(format!("{base}/api/auth/token/"))
        .json(&serde_json::json!({"email": email, "password": BENCH_PASSWORD}))
        .send()
        .await?;
    anyhow::ensure!(resp.status().is_success(), "token for {email}: {}", resp.status());
    let body: serde_json::Value = resp.json().await?;
    body["access"].as_str().map(str::to_owned).ok_or_else(|| anyhow::anyhow!("no access token in the answer"))
}

/// Runs the bench: `requests` requests of each kind (page, api), from `concurrency` clients.
pub async fn command_center(
    state: &AppState,
    requests: usize,
    concurrency: usize,
    paths: &Paths,
) -> anyhow::Result<CommandCenterBench> {
    let db = &state.db;
    let hospitals = hospital::Entity::find()
        .filter(hospital::Column::Code.is_in(["VOL-1", "VOL-2"]))
        .filter(hospital::Column::DeletedAt.is_null())
        .all(db)
        .await?;
    let vol1 = hospitals.iter().find(|h| h.code == "VOL-1").context("no hospital VOL-1: run seed-volume first")?;
    let vol2 = hospitals.iter().find(|h| h.code == "VOL-2").unwrap_or(vol1);
    let dept = department::Entity::find()
        .filter(department::Column::HospitalId.eq(vol1.id))
        .filter(department::Column::Code.eq(MANAGER_DEPARTMENT))
        .filter(department::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .context("VOL-1 has no OUT-002 department")?;
    ensure_user(state, ADMIN_EMAIL, Role::PxAdmin, None, None).await?;
    ensure_user(state, MANAGER_EMAIL, Role::DepartmentManager, Some(vol1.id), Some(dept.id)).await?;

    // The application, in-process on a loopback port.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr: SocketAddr = listener.local_addr()?;
    let app = crate::router::app(state.clone());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                let _ = stop_rx.await;
            })
            .await
    });
    let base = format!("http://{addr}");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(concurrency.max(1))
        .timeout(Duration::from_secs(120))
        .build()?;
    let token = api_token(&client, &base, ADMIN_EMAIL).await?;
    let admin_cookie = page_session(&client, &base, ADMIN_EMAIL).await?;
    let manager_cookie = page_session(&client, &base, MANAGER_EMAIL).await?;

    let today = Utc::now().date_naive();
    let from = (today - chrono::Duration::days(2 * 365 + 1)).format("%Y-%m-%d").to_string();
    let to = today.format("%Y-%m-%d").to_string();
    let queries = filter_queries(vol2.id, vol1.id, dept.id, &from, &to);
    let mut targets = Vec::new();
    for q in &queries {
        targets.push(Target {
            kind: "page",
            url: format!("{base}{}{q}", paths.page),
            auth: Auth::Cookie(admin_cookie.clone()),
        });
        targets.push(Target { kind: "api", url: format!("{base}{}{q}", paths.api), auth: Auth::Bearer(token.clone()) });
    }
    targets.push(Target {
        kind: "manager_page",
        url: format!("{base}{}", paths.page),
        auth: Auth::Cookie(manager_cookie),
    });
    // The work list: the matrix round-robin until `requests` of each of page and api (the
    // manager's page comes round once per matrix pass).
    let per_pass = targets.len();
    let total = (requests * 2).div_ceil(per_pass - 1) * per_pass;
    let work: Arc<Vec<usize>> = Arc::new((0..total).map(|i| i % per_pass).collect());
    let targets = Arc::new(targets);
    let next = Arc::new(AtomicUsize::new(0));
    let seen: Arc<Vec<AtomicUsize>> = Arc::new((0..per_pass).map(|_| AtomicUsize::new(0)).collect());
    let started = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (work, targets, next, seen, client) =
            (work.clone(), targets.clone(), next.clone(), seen.clone(), client.clone());
        clients.spawn(async move {
            let mut samples = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&t) = work.get(i) else { break };
                let target = &targets[t];
                let cold = seen[t].fetch_add(1, Ordering::Relaxed) == 0;
                let req = client.get(&target.url);
                let req = match &target.auth {
                    Auth::Bearer(token) => req.bearer_auth(token),
                    Auth::Cookie(cookie) => req.header(reqwest::header::COOKIE, cookie.as_str()),
                };
                let t0 = Instant::now();
                let (ok, error) = match req.send().await {
                    Ok(resp) => {
                        let status = resp.status();
                        let body = resp.bytes().await;
                        match body {
                            Ok(_) if status.is_success() => (true, None),
                            Ok(b) => {
                                (false, Some(format!("{status}: {}", String::from_utf8_lossy(&b[..b.len().min(200)]))))
                            }
                            Err(e) => (false, Some(format!("{status}: body: {e}"))),
                        }
                    }
                    Err(e) => (false, Some(e.to_string())),
                };
                samples.push(Sample { target: t, ms: t0.elapsed().as_secs_f64() * 1000.0, ok, cold, error });
            }
            samples
        });
    }
    let mut samples = Vec::new();
    while let Some(done) = clients.join_next().await {
        samples.extend(done?);
    }
    let seconds = started.elapsed().as_secs_f64();
    let _ = stop_tx.send(());
    let _ = server.await;

    let mut all = BTreeMap::new();
    let mut cold = BTreeMap::new();
    for kind in ["page", "api", "manager_page"] {
        let of_kind: Vec<Sample> = samples
            .iter()
            .filter(|s| targets[s.target].kind == kind)
            .map(|s| Sample { target: s.target, ms: s.ms, ok: s.ok, cold: s.cold, error: None })
            .collect();
        let first: Vec<Sample> = of_kind
            .iter()
            .filter(|s| s.cold)
            .map(|s| Sample { target: s.target, ms: s.ms, ok: s.ok, cold: true, error: None })
            .collect();
        all.insert(kind, Stats::of(&of_kind));
        cold.insert(kind, Stats::of(&first));
    }
    let mut slowest: Vec<Slow> = (0..per_pass)
        .map(|t| {
            let mine: Vec<Sample> = samples
                .iter()
                .filter(|s| s.target == t)
                .map(|s| Sample { target: t, ms: s.ms, ok: s.ok, cold: s.cold, error: None })
                .collect();
            let stats = Stats::of(&mine);
            Slow {
                kind: targets[t].kind,
                url: targets[t].url.trim_start_matches(&base).to_owned(),
                p95: stats.p95,
                max: stats.max,
                errors: stats.errors,
                first_error: samples.iter().find(|s| s.target == t && !s.ok).and_then(|s| s.error.clone()),
            }
        })
        .collect();
    slowest.sort_by(|a, b| b.p95.total_cmp(&a.p95));
    let mut shown: Vec<Slow> = slowest.iter().take(8).cloned().collect();
    shown.extend(slowest.into_iter().skip(8).filter(|s| s.errors > 0));
    Ok(CommandCenterBench {
        backend: format!("{:?}", state.db.get_database_backend()).to_lowercase(),
        concurrency,
        seconds: round1(seconds),
        all,
        cold,
        slowest: shown,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_matrix_covers_every_period_and_scope() {
        let (h, d) = (Uuid::nil(), Uuid::max());
        let q = filter_queries(h, h, d, "2024-12-01", "2026-12-01");
        assert_eq!(q.len(), 32);
        assert!(q.contains(&"?period=7d".to_owned()));
        assert!(q.contains(&"?period=custom&from=2024-12-01&to=2026-12-01&journey_type=opd".to_owned()));
        assert!(q.iter().any(|s| s.contains("department_id=ffffffff")));
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let samples: Vec<Sample> =
            (1..=100).map(|i| Sample { target: 0, ms: f64::from(i), ok: i != 7, cold: false, error: None }).collect();
        let s = Stats::of(&samples);
        assert_eq!((s.requests, s.errors, s.p50, s.p95, s.p99, s.max), (100, 1, 50.0, 95.0, 99.0, 100.0));
    }
}
