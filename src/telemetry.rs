//! Logging: human-readable or JSON on stdout, plus daily-rotated JSON files in `log_dir`
//! (`px360.log` for everything, `integrations.log` for the integrations target). No patient data
//! is ever logged: ids only.

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::filter::{EnvFilter, Targets};
use tracing_subscriber::prelude::*;

use crate::config::Config;

/// Installs the subscriber; keep the guards alive for the life of the process.
pub fn init(config: &Config) -> Vec<WorkerGuard> {
    let filter = || {
        EnvFilter::try_from_env("PX360_LOG")
            .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,memory_serve=warn"))
    };
    let mut guards = Vec::new();
    let stdout = if config.log_json {
        tracing_subscriber::fmt::layer().json().with_filter(filter()).boxed()
    } else {
        tracing_subscriber::fmt::layer().compact().with_filter(filter()).boxed()
    };
    let mut layers = vec![stdout];
    if !config.log_dir.is_empty() && std::fs::create_dir_all(&config.log_dir).is_ok() {
        let rolling = |name: &str| {
            RollingFileAppender::builder()
                .rotation(Rotation::DAILY)
                .filename_prefix(name)
                .max_log_files(14)
                .build(&config.log_dir)
        };
        if let (Ok(main), Ok(integrations)) = (rolling("px360.log"), rolling("integrations.log")) {
            let (main, g1) = tracing_appender::non_blocking(main);
            let (integrations, g2) = tracing_appender::non_blocking(integrations);
            guards.extend([g1, g2]);
            layers.push(tracing_subscriber::fmt::layer().json().with_writer(main).with_filter(filter()).boxed());
            layers.push(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_writer(integrations)
                    .with_filter(Targets::new().with_target("px360::integrations", tracing::Level::INFO))
                    .boxed(),
            );
        }
    }
    let _ = tracing_subscriber::registry().with(layers).try_init();
    guards
}
