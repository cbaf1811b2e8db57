//! The run modes: web, worker and scheduler, alone or together, with graceful shutdown on
//! SIGTERM/Ctrl-C.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::app::AppState;

/// Which roles this process runs.
#[derive(Debug, Clone, Copy)]
pub struct Roles {
    pub web: bool,
    pub worker: bool,
    pub scheduler: bool,
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

fn instance_name(role: &str) -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
    format!("{role}-{host}-{}", std::process::id())
}

/// Beats every 15 s for `role` until told to stop, so `/health/` knows the role is alive.
async fn heartbeat_loop(state: AppState, role: &'static str, mut stop: watch::Receiver<bool>) -> anyhow::Result<()> {
    let name = instance_name(role);
    tracing::info!(role, instance = %name, "started");
    loop {
        if let Err(e) = crate::platform::beat(&state.db, role, &name).await {
            tracing::warn!(role, error = %e, "heartbeat failed");
        }
        tokio::select! {
            _ = stop.changed() => break,
            () = tokio::time::sleep(Duration::from_secs(15)) => {}
        }
    }
    tracing::info!(role, "stopped");
    Ok(())
}

/// Runs the chosen roles until a shutdown signal.
pub async fn run(state: AppState, roles: Roles) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    if roles.worker || roles.web {
        // Web processes enqueue; workers and schedulers wait for wake-ups from other processes.
        let waker = std::sync::Arc::clone(&state.waker);
        let stop = stop_rx.clone();
        tasks.spawn(async move {
            waker.subscribe(stop).await;
            Ok(())
        });
    }
    if roles.worker {
        tasks.spawn(heartbeat_loop(state.clone(), "worker", stop_rx.clone()));
        let name: std::sync::Arc<str> = instance_name("worker").into();
        let queues =
            crate::jobs::worker::parse_concurrency(&state.config.worker_concurrency).map_err(anyhow::Error::msg)?;
        for (queue, concurrency) in queues {
            let (state, name, stop) = (state.clone(), name.clone(), stop_rx.clone());
            tasks.spawn(async move {
                crate::jobs::worker::run_queue(state, queue, concurrency, name, stop).await;
                Ok(())
            });
        }
        let (state, stop) = (state.clone(), stop_rx.clone());
        tasks.spawn(async move {
            crate::jobs::worker::sweep_loop(state, stop).await;
            Ok(())
        });
    }
    if roles.scheduler {
        tasks.spawn(heartbeat_loop(state.clone(), "scheduler", stop_rx.clone()));
        let (state, stop) = (state.clone(), stop_rx.clone());
        tasks.spawn(async move {
            crate::jobs::scheduler::run(state, instance_name("scheduler"), stop).await;
            Ok(())
        });
    }
    if roles.web {
        let addr: SocketAddr = state.config.bind.parse().context("PX360_BIND")?;
        let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
        tracing::info!(%addr, "web server listening");
        let app = crate::router::app(state.clone());
        let mut stop = stop_rx.clone();
        tasks.spawn(async move {
            axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(async move {
                    let _ = stop.changed().await;
                })
                .await
                .context("web server")
        });
    }
    shutdown_signal().await;
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    let deadline = tokio::time::sleep(Duration::from_secs(30));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            next = tasks.join_next() => match next {
                None => break,
                Some(Ok(Err(e))) => tracing::error!(error = %e, "task failed"),
                Some(Err(e)) => tracing::error!(error = %e, "task panicked"),
                Some(Ok(Ok(()))) => {}
            },
            () = &mut deadline => {
                tracing::warn!("tasks still running after 30 s; exiting");
                break;
            }
        }
    }
    Ok(())
}
