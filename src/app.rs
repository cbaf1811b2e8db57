//! The application state every handler, job and command receives.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use sea_orm::DatabaseConnection;

use crate::auth::jwt::JwtKeys;
use crate::auth::throttle::Throttle;
use crate::config::Config;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub jwt: Arc<JwtKeys>,
    pub metrics: Option<PrometheusHandle>,
    /// Login attempts per client IP (30 a minute).
    pub login_throttle: Arc<Throttle>,
}

impl AppState {
    pub fn new(db: DatabaseConnection, config: Config, metrics: Option<PrometheusHandle>) -> Self {
        let jwt = JwtKeys::new(config.secret_key.expose(), config.access_token_minutes);
        let login_throttle = Arc::new(Throttle::new(30, std::time::Duration::from_secs(60)));
        AppState { db, config: Arc::new(config), jwt: Arc::new(jwt), metrics, login_throttle }
    }
}
