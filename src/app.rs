//! The application state every handler, job and command receives.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use sea_orm::DatabaseConnection;

use crate::auth::jwt::JwtKeys;
use crate::auth::throttle::Throttle;
use crate::config::Config;
use crate::jobs::wake::Waker;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// Where the reports read (the command center, KPIs, physician ratings): the read replica
    /// when `PX360_DATABASE_REPLICA_URL` is set, else the same pool as `db`.
    pub read_db: DatabaseConnection,
    pub config: Arc<Config>,
    pub jwt: Arc<JwtKeys>,
    pub metrics: Option<PrometheusHandle>,
    /// Login attempts per client IP (30 a minute).
    pub login_throttle: Arc<Throttle>,
    /// Wakes idle workers after a job is committed.
    pub waker: Arc<Waker>,
    /// On SQLite, write-heavy jobs take turns here: SQLite runs one writer at a time, and waiting
    /// on this async lock is far cheaper than SQLite's sleeping busy handler.
    sqlite_writer: Option<Arc<tokio::sync::Mutex<()>>>,
}

impl AppState {
    /// Held for the length of a write-heavy job on SQLite (a no-op on PostgreSQL).
    pub async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match &self.sqlite_writer {
            Some(lock) => Some(Arc::clone(lock).lock_owned().await),
            None => None,
        }
    }

    /// Points the reports at a read replica (`PX360_DATABASE_REPLICA_URL`).
    pub async fn connect_replica(mut self) -> anyhow::Result<Self> {
        if let Some(url) = self.config.database_replica_url.clone() {
            self.read_db = crate::db::connect(&url).await?;
        }
        Ok(self)
    }

    /// Fails only on a malformed Redis URL (validated earlier by `Config::validate`).
    pub fn new(db: DatabaseConnection, config: Config, metrics: Option<PrometheusHandle>) -> anyhow::Result<Self> {
        let jwt = JwtKeys::new(config.secret_key.expose(), config.access_token_minutes);
        let login_throttle = Arc::new(Throttle::new(30, std::time::Duration::from_secs(60)));
        let waker = Arc::new(Waker::new(config.redis_url.as_deref())?);
        let sqlite_writer = config.is_sqlite().then(|| Arc::new(tokio::sync::Mutex::new(())));
        Ok(AppState {
            read_db: db.clone(),
            db,
            config: Arc::new(config),
            jwt: Arc::new(jwt),
            metrics,
            login_throttle,
            waker,
            sqlite_writer,
        })
    }
}
