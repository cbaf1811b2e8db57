//! PX360's one migration set. Every migration runs unchanged on SQLite and PostgreSQL: the DDL is
//! written once with a few type placeholders that [`ddl`] fills in for the connected backend.
//! Migrations are append-only: never edit one that has shipped, add a new one.

pub use sea_orm_migration::prelude::*;

mod m0001_platform;
mod m0002_jobs_notifications;
mod m0003_events_journeys;
mod m0004_integration_limits_his;
mod m0005_complaints;
mod m0006_explanations_filters;
mod m0007_surveys;
mod m0008_physician_ratings;
mod m0009_analytics;
mod m0010_monthly_rollups;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_platform::Migration),
            Box::new(m0002_jobs_notifications::Migration),
            Box::new(m0003_events_journeys::Migration),
            Box::new(m0004_integration_limits_his::Migration),
            Box::new(m0005_complaints::Migration),
            Box::new(m0006_explanations_filters::Migration),
            Box::new(m0007_surveys::Migration),
            Box::new(m0008_physician_ratings::Migration),
            Box::new(m0009_analytics::Migration),
            Box::new(m0010_monthly_rollups::Migration),
        ]
    }
}

/// Fills the type placeholders of a DDL script for `backend` and runs its statements in order.
///
/// | placeholder | PostgreSQL | SQLite |
/// |---|---|---|
/// | `{uuid}` | `uuid` | `blob` (sqlx stores a UUID as 16 bytes) |
/// | `{ts}` | `timestamptz` | `text` (RFC 3339, sorts as time) |
/// | `{json}` | `jsonb` | `text` |
/// | `{bigint}` | `bigint` | `integer` |
pub async fn run_ddl(manager: &SchemaManager<'_>, script: &str) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    let db = manager.get_connection();
    for statement in ddl(backend, script) {
        db.execute_unprepared(&statement).await?;
    }
    Ok(())
}

/// [`run_ddl`] inside one transaction: for scripts whose statements depend on each other's
/// schema changes (a table rebuilt, dropped and renamed), which must all run on one connection.
pub async fn run_ddl_atomic(manager: &SchemaManager<'_>, script: &str) -> Result<(), DbErr> {
    use sea_orm::TransactionTrait;
    let backend = manager.get_database_backend();
    let txn = manager.get_connection().begin().await?;
    for statement in ddl(backend, script) {
        txn.execute_unprepared(&statement).await?;
    }
    txn.commit().await
}

/// The statements of `script` (separated by lines holding only `--;;`) for `backend`.
pub fn ddl(backend: sea_orm::DatabaseBackend, script: &str) -> Vec<String> {
    let pg = matches!(backend, sea_orm::DatabaseBackend::Postgres);
    let filled = script
        .replace("{uuid}", if pg { "uuid" } else { "blob" })
        .replace("{ts}", if pg { "timestamptz" } else { "text" })
        .replace("{json}", if pg { "jsonb" } else { "text" })
        .replace("{bigint}", if pg { "bigint" } else { "integer" });
    filled.split("\n--;;\n").map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}
