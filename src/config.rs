//! Typed configuration: defaults, then `px360.toml`, then `PX360_*` environment variables.
//! Validated once at start; a bad value stops the process with a message naming the variable.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// A secret that never prints.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `sqlite://path?mode=rwc` or `postgres://user@host/db`.
    pub database_url: String,
    /// Optional read replica of the database (same kind): the command center, KPI and physician
    /// reports read from it; every write and every other read go to `database_url`.
    pub database_replica_url: Option<String>,
    /// Address the web server listens on.
    pub bind: String,
    /// Optional Redis (broker, cache, cross-process rate limits).
    pub redis_url: Option<String>,
    /// Signs JWTs and derives token hashes. Required (≥ 32 chars) outside embedded mode.
    pub secret_key: Secret,
    /// Directory for `px360.log` and `integrations.log`; empty disables file logs.
    pub log_dir: String,
    /// Log JSON lines to stdout instead of human-readable text.
    pub log_json: bool,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Access-token lifetime, minutes.
    pub access_token_minutes: i64,
    /// Refresh-token lifetime, days.
    pub refresh_token_days: i64,
    /// Page session lifetime, hours.
    pub session_hours: i64,
    /// Failed logins before an account is locked.
    pub lockout_threshold: i32,
    /// How long a locked account stays locked, minutes.
    pub lockout_minutes: i64,
    /// Set `Secure` on cookies (turn on behind HTTPS).
    pub secure_cookies: bool,
    /// Take client addresses from `X-Forwarded-For` (its last hop): only behind a reverse proxy
    /// that sets it, or clients could choose their address and escape per-IP limits.
    pub trust_forwarded_for: bool,
    /// Seconds after which a worker or scheduler heartbeat counts as stale in `/health/`.
    pub heartbeat_stale_seconds: i64,
    /// How long a claimed job belongs to its worker before a sweep gives it to another (a worker
    /// killed mid-job is recovered after this). Longer than the 60 s job timeout.
    pub job_lease_seconds: i64,
    /// Worker concurrency per queue: `events=4,notifications=4,sla=2,analytics=1,default=4`. For
    /// `events` it is the number of transactions side by side, each of up to 16 events.
    pub worker_concurrency: String,
    /// The cron table (`name = "sec min hour day month weekday"`, Riyadh time); blank disables.
    pub schedules: BTreeMap<String, String>,
    /// Notification settings.
    pub notifications: crate::domains::notifications::config::NotificationsConfig,
    /// Event-endpoint requests a minute per JWT user without a limit of their own (0 = unlimited).
    pub events_rate_limit_per_minute: u32,
    /// Serve the dev-only `POST /api/simulator/his-patient-data/` (synthetic HIS records).
    pub his_simulator: bool,
    /// Directory where complaint and action attachments are stored (outside any served path).
    pub attachments_dir: String,
    /// Public complaint form and tracking lookups allowed per client address per hour.
    pub public_rate_limit_per_hour: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://px360-demo.db?mode=rwc".into(),
            database_replica_url: None,
            bind: "127.0.0.1:8000".into(),
            redis_url: None,
            secret_key: Secret::default(),
            log_dir: "logs".into(),
            log_json: false,
            max_body_bytes: 1024 * 1024,
            access_token_minutes: 15,
            refresh_token_days: 7,
            session_hours: 12,
            lockout_threshold: 5,
            lockout_minutes: 15,
            secure_cookies: false,
            trust_forwarded_for: false,
            heartbeat_stale_seconds: 120,
            job_lease_seconds: 300,
            worker_concurrency: "events=4,notifications=4,sla=2,analytics=1,default=4".into(),
            schedules: crate::jobs::scheduler::default_schedules(),
            notifications: Default::default(),
            events_rate_limit_per_minute: 6000,
            his_simulator: false,
            attachments_dir: "attachments".into(),
            public_rate_limit_per_hour: 20,
        }
    }
}

/// Variables as a nested object of strings. Figment's own `Env` would parse `+966…` or `0123` as
/// numbers (and lose the `+` or the zero); with strings, `extract_lossy` turns a value into a number
/// or boolean only where the field wants one.
fn strings_object(vars: &[(String, String)]) -> serde_json::Value {
    fn insert(map: &mut serde_json::Map<String, serde_json::Value>, parts: &[&str], value: &str) {
        match parts {
            [] => {}
            [last] => {
                map.insert((*last).to_owned(), serde_json::Value::String(value.to_owned()));
            }
            [first, rest @ ..] => {
                let entry = map.entry((*first).to_owned()).or_insert_with(|| serde_json::json!({}));
                if !entry.is_object() {
                    *entry = serde_json::json!({});
                }
                if let Some(inner) = entry.as_object_mut() {
                    insert(inner, rest, value);
                }
            }
        }
    }
    let mut root = serde_json::Map::new();
    for (key, value) in vars {
        insert(&mut root, &key.split('.').collect::<Vec<_>>(), value);
    }
    serde_json::Value::Object(root)
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("configuration: {var} {problem}")]
    Invalid { var: &'static str, problem: String },
}

fn invalid(var: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { var, problem: problem.into() }
}

impl Config {
    /// Loads defaults < `px360.toml` (or `PX360_CONFIG`) < `PX360_*` variables.
    pub fn load() -> Result<Self, ConfigError> {
        let file = std::env::var("PX360_CONFIG").unwrap_or_else(|_| "px360.toml".into());
        let env = Env::prefixed("PX360_").ignore(&["config", "log", "test_database_url", "test_redis_url"]).split("__");
        let vars: Vec<(String, String)> = env.iter().map(|(k, v)| (k.as_str().to_owned(), v)).collect();
        Self::from_sources(Toml::file(file), &vars)
    }

    /// Defaults < `file` < variables (already stripped of `PX360_`, nested with `.`).
    fn from_sources(file: figment::providers::Data<Toml>, vars: &[(String, String)]) -> Result<Self, ConfigError> {
        Figment::from(Serialized::defaults(Config::default()))
            .merge(file)
            .merge(Serialized::defaults(strings_object(vars)))
            .extract_lossy::<Config>()
            .map_err(|e| ConfigError::Load(Box::new(e)))
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    /// The SQLite file behind `database_url`, if any.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        let rest = self.database_url.strip_prefix("sqlite:")?;
        let rest = rest.trim_start_matches("//");
        let path = rest.split('?').next().unwrap_or_default();
        (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
    }

    /// Checks every value; `embedded` allows generating a secret key beside the SQLite file.
    pub fn validate(&mut self, embedded: bool) -> Result<(), ConfigError> {
        if !(self.database_url.starts_with("sqlite:")
            || self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://"))
        {
            return Err(invalid("PX360_DATABASE_URL", "must start with sqlite:, postgres:// or postgresql://"));
        }
        if let Some(url) = &self.database_replica_url {
            let kind = |u: &str| if u.starts_with("sqlite:") { "sqlite" } else { "postgres" };
            if url.is_empty() {
                self.database_replica_url = None;
            } else if !(url.starts_with("sqlite:")
                || url.starts_with("postgres://")
                || url.starts_with("postgresql://"))
                || kind(url) != kind(&self.database_url)
            {
                return Err(invalid(
                    "PX360_DATABASE_REPLICA_URL",
                    "must be a database of the same kind as PX360_DATABASE_URL (sqlite: or postgres://)",
                ));
            }
        }
        if self.bind.parse::<SocketAddr>().is_err() {
            return Err(invalid("PX360_BIND", format!("is not a socket address (host:port): {:?}", self.bind)));
        }
        if let Some(url) = &self.redis_url {
            if url.is_empty() {
                self.redis_url = None;
            } else if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                return Err(invalid("PX360_REDIS_URL", "must start with redis:// or rediss://"));
            }
        }
        if self.secret_key.expose().is_empty() && embedded {
            self.secret_key = self.embedded_secret()?;
        }
        if self.secret_key.expose().len() < 32 {
            return Err(invalid(
                "PX360_SECRET_KEY",
                "must be set to at least 32 characters (generate one with `openssl rand -hex 32`)",
            ));
        }
        let positive = [
            ("PX360_MAX_BODY_BYTES", self.max_body_bytes as i64),
            ("PX360_ACCESS_TOKEN_MINUTES", self.access_token_minutes),
            ("PX360_REFRESH_TOKEN_DAYS", self.refresh_token_days),
            ("PX360_SESSION_HOURS", self.session_hours),
            ("PX360_LOCKOUT_THRESHOLD", i64::from(self.lockout_threshold)),
            ("PX360_LOCKOUT_MINUTES", self.lockout_minutes),
            ("PX360_HEARTBEAT_STALE_SECONDS", self.heartbeat_stale_seconds),
            ("PX360_JOB_LEASE_SECONDS", self.job_lease_seconds),
        ];
        crate::jobs::worker::parse_concurrency(&self.worker_concurrency)
            .map_err(|e| invalid("PX360_WORKER_CONCURRENCY", e))?;
        let mut table = crate::jobs::scheduler::default_schedules();
        table.extend(self.schedules.clone());
        crate::jobs::scheduler::parse_table(&table).map_err(|e| invalid("PX360_SCHEDULES__<NAME>", e))?;
        self.schedules = table;
        self.notifications.validate().map_err(|(var, e)| invalid(var, e))?;
        for (var, value) in positive {
            if value <= 0 {
                return Err(invalid(var, "must be greater than zero"));
            }
        }
        Ok(())
    }

    /// Embedded mode keeps a generated key in `<db file>.secret` so sessions survive restarts.
    fn embedded_secret(&self) -> Result<Secret, ConfigError> {
        let Some(db) = self.sqlite_path() else {
            return Ok(Secret::new(crate::auth::tokens::random_token()));
        };
        let path = PathBuf::from(format!("{}.secret", db.display()));
        if let Ok(existing) = std::fs::read_to_string(&path) {
            return Ok(Secret::new(existing.trim()));
        }
        let key = crate::auth::tokens::random_token();
        std::fs::write(&path, &key).map_err(|e| {
            invalid("PX360_SECRET_KEY", format!("is empty and {} could not be written: {e}", path.display()))
        })?;
        Ok(Secret::new(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_unknown_database_scheme_naming_the_variable() {
        let mut c = Config { database_url: "mysql://x".into(), ..Config::default() };
        let err = c.validate(false).unwrap_err().to_string();
        assert!(err.contains("PX360_DATABASE_URL"), "{err}");
    }

    #[test]
    fn a_read_replica_is_a_database_of_the_same_kind() {
        let mut c = Config {
            database_url: "postgres://localhost/x".into(),
            database_replica_url: Some("sqlite://r.db".into()),
            secret_key: Secret::new("x".repeat(32)),
            ..Config::default()
        };
        let err = c.validate(false).unwrap_err().to_string();
        assert!(err.contains("PX360_DATABASE_REPLICA_URL"), "{err}");
        c.database_replica_url = Some("postgres://replica/x".into());
        assert!(c.validate(false).is_ok());
        c.database_replica_url = Some(String::new());
        assert!(c.validate(false).is_ok());
        assert_eq!(c.database_replica_url, None, "blank means none");
    }

    #[test]
    fn production_requires_a_long_secret() {
        let mut c = Config { database_url: "postgres://localhost/x".into(), ..Config::default() };
        let err = c.validate(false).unwrap_err().to_string();
        assert!(err.contains("PX360_SECRET_KEY"), "{err}");
        c.secret_key = Secret::new("x".repeat(32));
        assert!(c.validate(false).is_ok());
    }

    #[test]
    fn phone_like_values_stay_strings_and_numbers_still_parse() {
        let vars: Vec<(String, String)> = [
            ("notifications.twilio_from", "+15005550006"),
            ("notifications.whatsapp_cloud_phone_number_id", "0123"),
            ("job_lease_seconds", "42"),
            ("secure_cookies", "true"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let c = Config::from_sources(Toml::string(""), &vars).unwrap();
        assert_eq!(c.notifications.twilio_from, "+15005550006");
        assert_eq!(c.notifications.whatsapp_cloud_phone_number_id, "0123");
        assert_eq!(c.job_lease_seconds, 42);
        assert!(c.secure_cookies);
        let bad = vec![("job_lease_seconds".to_owned(), "soon".to_owned())];
        assert!(Config::from_sources(Toml::string(""), &bad).is_err());
    }

    #[test]
    fn sqlite_path_is_read_from_the_url() {
        let c = Config { database_url: "sqlite://data/px.db?mode=rwc".into(), ..Config::default() };
        assert_eq!(c.sqlite_path(), Some(PathBuf::from("data/px.db")));
    }
}
