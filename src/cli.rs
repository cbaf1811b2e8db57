//! The command line: `px360 demo | all | serve | worker | scheduler | migrate | admin …`.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::app::AppState;
use crate::config::Config;
use crate::server::Roles;

#[derive(Parser)]
#[command(name = "px360", version, about = "PX360 — patient-experience management for hospital groups")]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Clone, Default)]
pub struct Global {
    /// Database URL (`sqlite://file.db?mode=rwc` or `postgres://…`); env PX360_DATABASE_URL.
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// Listen address, e.g. 127.0.0.1:8000; env PX360_BIND.
    #[arg(long, global = true)]
    pub bind: Option<String>,
    /// Redis URL; env PX360_REDIS_URL.
    #[arg(long, global = true)]
    pub redis_url: Option<String>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Embedded demo: SQLite file, migrations, synthetic bilingual data, web + worker + scheduler.
    Demo,
    /// Web, worker and scheduler in one process on the configured database.
    All,
    /// Web only (API and pages).
    Serve,
    /// Job workers only.
    Worker,
    /// Periodic jobs only.
    Scheduler,
    /// Apply database migrations.
    Migrate,
    /// Administration commands.
    #[command(subcommand)]
    Admin(Admin),
    /// Benchmarks (results as JSON on stdout).
    #[command(subcommand)]
    Bench(Bench),
}

#[derive(Subcommand)]
pub enum Bench {
    /// Queue throughput: enqueue --jobs trivial jobs, drain them with --workers `px360 worker` processes.
    Jobs {
        #[arg(long, default_value_t = 20_000)]
        jobs: u64,
        #[arg(long, default_value_t = 2)]
        workers: u32,
        /// Jobs claimed and run together by each worker.
        #[arg(long, default_value_t = 64)]
        concurrency: u32,
    },
    /// The complaint SLA check on --complaints open complaints (inserted into a BENCH-SLA
    /// hospital of the configured database: use a scratch one).
    Sla {
        #[arg(long, default_value_t = 10_000)]
        complaints: u64,
    },
    /// The command center's page and JSON over every period × scope filter, after
    /// `admin seed-volume` (creates bench users: use a scratch database).
    CommandCenter {
        /// Requests of each kind (page, api).
        #[arg(long, default_value_t = 640)]
        requests: usize,
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        /// The page's path.
        #[arg(long, default_value = "/analytics/command-center/")]
        page_path: String,
        /// The JSON endpoint's path.
        #[arg(long, default_value = "/api/analytics/command-center/")]
        api_path: String,
    },
}

#[derive(Subcommand)]
pub enum Admin {
    /// Create a user (roles by snake_case name, e.g. px_admin, hospital_admin).
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long)]
        role: String,
        /// Hospital code (required for every role but px_admin).
        #[arg(long)]
        hospital: Option<String>,
        /// Department code within the hospital.
        #[arg(long)]
        department: Option<String>,
    },
    /// Seed reference data: the standard departments of every hospital (or of --hospital).
    SeedReference {
        #[arg(long)]
        hospital: Option<String>,
        /// Show what would change without writing.
        #[arg(long)]
        dry_run: bool,
        /// Overwrite the names of existing standard departments.
        #[arg(long)]
        overwrite: bool,
    },
    /// Seed the synthetic demo data set into an empty database.
    SeedDemo,
    /// Create an API key for a hospital system (printed once; only its hash is stored).
    CreateApiKey {
        /// Hospital code.
        #[arg(long)]
        hospital: String,
        /// Source systems the key may post for, comma-separated (his, lab, radiology, pharmacy, moh, chi).
        #[arg(long)]
        source: String,
        #[arg(long, default_value = "integration")]
        name: String,
        /// Requests a minute the key may make to the event endpoints (0 = unlimited).
        #[arg(long, default_value_t = 600)]
        rate_limit: i32,
    },
    /// Rebuild every analytics table from the raw rows: the command center's daily rollups, the
    /// physician ratings and KPIs of every month (after an import or a restore).
    RebuildAnalytics,
    /// Seed the event-storm benchmark's data set (hospital BENCH, OPD journey, user bench).
    SeedBench,
    /// Seed a synthetic data set at production volume (hospitals VOL-1…VOL-n, surveys, complaints,
    /// actions over --years years) for the analytics benchmarks; refuses if VOL-1… exist.
    SeedVolume {
        #[arg(long, default_value_t = 5)]
        hospitals: u32,
        /// Completed journey surveys (about 1.4 × as many more are sent and never completed).
        #[arg(long, default_value_t = 1_000_000)]
        responses: u64,
        #[arg(long, default_value_t = 100_000)]
        complaints: u64,
        #[arg(long, default_value_t = 50_000)]
        actions: u64,
        #[arg(long, default_value_t = 2)]
        years: u32,
        /// Random seed: the same seed gives the same data set.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Verify the audit log's hash chains; exits non-zero at the first broken entry.
    VerifyAudit,
    /// Inspect and re-run background jobs.
    #[command(subcommand)]
    Jobs(JobsCommand),
}

#[derive(Subcommand)]
pub enum JobsCommand {
    /// Jobs per queue and status, and the dead ones with their errors.
    List,
    /// Put dead jobs back in the queue with fresh attempts.
    Retry {
        /// A dead job's id (repeatable).
        #[arg(long = "id")]
        ids: Vec<uuid::Uuid>,
        /// Every dead job.
        #[arg(long, conflicts_with = "ids")]
        all: bool,
    },
}

/// Builds the configuration from file + environment + flags, validated.
pub fn load_config(global: &Global, embedded: bool) -> anyhow::Result<Config> {
    let mut config = Config::load()?;
    if let Some(v) = &global.database_url {
        config.database_url = v.clone();
    }
    if let Some(v) = &global.bind {
        config.bind = v.clone();
    }
    if let Some(v) = &global.redis_url {
        config.redis_url = Some(v.clone());
    }
    let embedded = embedded || config.is_sqlite();
    config.validate(embedded)?;
    Ok(config)
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let embedded = matches!(cli.command, Command::Demo);
    let mut config = load_config(&cli.global, embedded)?;
    config.his_simulator |= embedded; // the demo serves the HIS simulator
    // The demo's links (survey, tracking, explanation requests) point at where it listens, unless
    // a public address was configured.
    if embedded
        && config.notifications.public_base_url == crate::domains::notifications::config::DEFAULT_PUBLIC_BASE_URL
    {
        config.notifications.public_base_url = format!("http://{}", config.bind);
    }
    let _guards = crate::telemetry::init(&config);
    let db = crate::db::connect(&config.database_url).await?;
    let auto_migrate = matches!(cli.command, Command::Demo | Command::Bench(_))
        || (matches!(cli.command, Command::All) && config.is_sqlite());
    match &cli.command {
        Command::Migrate => {
            let applied = crate::db::migrate(&db).await?;
            println!("migrations applied: {applied}");
            return Ok(ExitCode::SUCCESS);
        }
        _ if auto_migrate => {
            crate::db::migrate(&db).await?;
        }
        _ => crate::db::ensure_current(&db).await?,
    }
    let state = AppState::new(db, config, crate::platform::metrics_handle())?.connect_replica().await?;
    match cli.command {
        Command::Demo => {
            let created = crate::seed::demo::seed_if_empty(&state).await?;
            print_demo_banner(&state, created);
            crate::server::run(state, Roles { web: true, worker: true, scheduler: true }).await?;
        }
        Command::All => crate::server::run(state, Roles { web: true, worker: true, scheduler: true }).await?,
        Command::Serve => crate::server::run(state, Roles { web: true, worker: false, scheduler: false }).await?,
        Command::Worker => crate::server::run(state, Roles { web: false, worker: true, scheduler: false }).await?,
        Command::Scheduler => crate::server::run(state, Roles { web: false, worker: false, scheduler: true }).await?,
        Command::Migrate => {}
        Command::Admin(admin) => return crate::seed::admin::run(&state, admin).await,
        Command::Bench(Bench::Jobs { jobs, workers, concurrency }) => {
            let result = crate::bench::jobs(&state, jobs, workers, concurrency).await?;
            println!("{}", serde_json::to_string_pretty(&result)?);
        }
        Command::Bench(Bench::CommandCenter { requests, concurrency, page_path, api_path }) => {
            let paths = crate::bench_analytics::Paths { page: page_path, api: api_path };
            let result = crate::bench_analytics::command_center(&state, requests, concurrency, &paths).await?;
            println!("{}", serde_json::to_string_pretty(&result)?);
        }
        Command::Bench(Bench::Sla { complaints }) => {
            let result = crate::bench_sla::sla(&state, complaints).await?;
            println!("{}", serde_json::to_string_pretty(&result)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_demo_banner(state: &AppState, created: bool) {
    let url = format!("http://{}/", state.config.bind);
    println!();
    println!("  PX360 demo {} — open {url}", if created { "data created" } else { "database reused" });
    println!("  Logins (password for all: {}):", crate::seed::demo::DEMO_PASSWORD);
    for (email, role) in crate::seed::demo::DEMO_LOGINS {
        println!("    {email:<40} {role}");
    }
    println!("  API docs: {url}api/docs/   Health: {url}health/");
    println!();
}
