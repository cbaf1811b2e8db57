//! `px360 admin …`: operator commands. They go through the same services as the API, acting as
//! the system actor, so validation and the audit log apply.

use std::process::ExitCode;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::app::AppState;
use crate::auth::Actor;
use crate::cli::{Admin, JobsCommand};
use crate::crud::Resource;
use crate::domains::accounts::users::Users;
use crate::domains::organizations::model::{department, hospital};
use crate::error::AppError;

async fn hospital_by_code(state: &AppState, code: &str) -> anyhow::Result<hospital::Model> {
    hospital::Entity::find()
        .filter(hospital::Column::Code.eq(code.trim().to_uppercase()))
        .filter(hospital::Column::DeletedAt.is_null())
        .one(&state.db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no hospital with code {code:?}"))
}

/// Prints the progress of `analytics::rebuild_all` on stderr, a line per step every 10 %.
pub fn rebuild_progress(command: &'static str) -> impl FnMut(&'static str, usize, usize) + Send {
    let started = std::time::Instant::now();
    let mut shown: Option<(&'static str, usize)> = None;
    move |step, done, total| {
        let pct = done * 100 / total.max(1);
        if shown.is_some_and(|(s, p)| s == step && pct < p + 10 && done < total) {
            return;
        }
        shown = Some((step, pct));
        let what =
            if step == "rollups" { "daily rollups, hospital-days" } else { "physician ratings and KPIs, months" };
        let secs = started.elapsed().as_secs_f64();
        eprintln!("{command}: {what} {done} of {total} ({pct} %) after {secs:.0} s");
    }
}

fn explain(err: AppError) -> anyhow::Error {
    match err {
        AppError::Validation(errors) => {
            let lines: Vec<String> =
                errors.0.iter().map(|(f, m)| format!("  --{}: {}", f.replace('_', "-"), m.join(" "))).collect();
            anyhow::anyhow!("invalid input:\n{}", lines.join("\n"))
        }
        other => anyhow::anyhow!("{}", other.detail()),
    }
}

pub async fn run(state: &AppState, command: Admin) -> anyhow::Result<ExitCode> {
    let system = Actor::system();
    match command {
        Admin::CreateUser { email, password, role, hospital, department } => {
            let hospital = match hospital {
                Some(code) => Some(hospital_by_code(state, &code).await?),
                None => None,
            };
            let department_id = match (&hospital, department) {
                (Some(h), Some(code)) => Some(
                    department::Entity::find()
                        .filter(department::Column::HospitalId.eq(h.id))
                        .filter(department::Column::Code.eq(code.trim().to_uppercase()))
                        .filter(department::Column::DeletedAt.is_null())
                        .one(&state.db)
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("no department {code:?} in hospital {}", h.code))?
                        .id,
                ),
                (None, Some(_)) => anyhow::bail!("--department needs --hospital"),
                _ => None,
            };
            let body = json!({
                "email": email, "password": password, "role": role,
                "hospital_id": hospital.as_ref().map(|h| h.id), "department_id": department_id,
            });
            let user = Users::create(state, &system, body).await.map_err(explain)?;
            println!("created user {} ({}) id={}", user.email, user.role, user.id);
        }
        Admin::SeedReference { hospital, dry_run, overwrite } => {
            let only = match hospital {
                Some(code) => Some(hospital_by_code(state, &code).await?.id),
                None => None,
            };
            let o = crate::seed::reference::seed_departments(&state.db, only, dry_run, overwrite).await?;
            let verb = if dry_run { "would be" } else { "were" };
            println!(
                "standard departments: {} {verb} created, {} {verb} updated, {} unchanged",
                o.created, o.updated, o.unchanged
            );
            let t = crate::seed::reference::seed_notification_templates(&state.db, dry_run).await?;
            println!("notification templates: {} {verb} created, {} unchanged", t.created, t.unchanged);
            let c = crate::seed::taxonomy::seed_taxonomy(&state.db, dry_run).await?;
            println!(
                "complaint categories: {} {verb} created, {} {verb} updated, {} unchanged",
                c.created, c.updated, c.unchanged
            );
            let s = crate::seed::survey_templates::seed_hospitals(&state.db, only, dry_run).await?;
            println!("survey templates: {} {verb} created and published, {} unchanged", s.created, s.unchanged);
        }
        Admin::CreateApiKey { hospital, source, name, rate_limit } => {
            let hospital = hospital_by_code(state, &hospital).await?;
            let (key, row) =
                crate::seed::bench::create_api_key_limited(&state.db, hospital.id, &source, &name, rate_limit).await?;
            let limit = match row.rate_limit_per_minute {
                0 => "unlimited".to_owned(),
                n => format!("{n} requests a minute"),
            };
            println!("API key for {} ({}), sources {}, {limit}:", hospital.code, row.name, row.source_systems);
            println!("{key}");
            println!(
                "Store it now: it is not shown again. Send it as `Authorization: Api-Key <key>` or `X-API-Key: <key>`."
            );
        }
        Admin::SeedBench => {
            crate::seed::bench::seed(state).await?;
            println!("bench data ready: hospital BENCH, OPD journey, login bench / bench-pass-123");
        }
        Admin::RebuildAnalytics => {
            let started = std::time::Instant::now();
            let mut progress = rebuild_progress("rebuild-analytics");
            crate::domains::analytics::rebuild_all(state, chrono::Utc::now(), &mut progress).await?;
            println!(
                "{}",
                serde_json::json!({"rebuilt": true, "seconds": (started.elapsed().as_secs_f64() * 10.0).round() / 10.0})
            );
        }
        Admin::SeedVolume { hospitals, responses, complaints, actions, years, seed } => {
            let spec = crate::seed::volume::Spec { hospitals, responses, complaints, actions, years, seed };
            let summary = crate::seed::volume::seed_volume(state, &spec, chrono::Utc::now()).await?;
            println!("{}", serde_json::to_string_pretty(&summary)?);
        }
        Admin::SeedDemo => {
            let created = crate::seed::demo::seed_if_empty(state).await?;
            println!("{}", if created { "demo data created" } else { "database not empty; nothing seeded" });
        }
        Admin::VerifyAudit => match crate::domains::audit::service::verify(&state.db).await? {
            Ok(n) => println!("audit log intact: {n} entries verified"),
            Err(b) => {
                eprintln!(
                    "audit log BROKEN in chain {} at entry #{}{}: {}",
                    b.chain_key,
                    b.seq,
                    b.id.map(|i| format!(" (id {i})")).unwrap_or_default(),
                    b.reason
                );
                return Ok(ExitCode::FAILURE);
            }
        },
        Admin::Jobs(JobsCommand::List) => {
            for (queue, status, n) in crate::jobs::queue::depth(&state.db).await? {
                println!("{queue:<14} {status:<8} {n}");
            }
            let dead = crate::jobs::model::job::Entity::find()
                .filter(crate::jobs::model::job::Column::Status.eq("dead"))
                .all(&state.db)
                .await?;
            for j in dead {
                println!("dead {} {} attempts={} error={}", j.id, j.kind, j.attempts, j.last_error);
            }
        }
        Admin::Jobs(JobsCommand::Retry { ids, all }) => {
            if ids.is_empty() && !all {
                anyhow::bail!("name dead jobs with --id ID (repeatable) or use --all");
            }
            let n = crate::jobs::queue::retry_dead(&state.db, &ids).await?;
            for q in crate::jobs::Queue::ALL {
                state.waker.wake(q);
            }
            println!("{n} dead job(s) queued again");
            if !ids.is_empty() && n < ids.len() as u64 {
                eprintln!("{} of the given ids were not dead jobs", ids.len() as u64 - n);
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
