//! Rate limits of the event endpoints (`POST /api/integrations/events/`, the HIS feed and its
//! simulator): a fixed one-minute window (wall-clock minutes, so every process agrees on the
//! window) counting requests per API key or per JWT user; the public complaint pages use the same
//! limiter with one-hour windows per client address.
//!
//! With Redis configured the count is `INCR px360:rl:<subject>:<minute>` (+ `EXPIRE`), shared by
//! every web process. Without Redis, or while Redis fails, each process counts on its own: a
//! request is never refused because Redis is down. After a Redis failure the limiter counts in
//! process for a few seconds before trying Redis again, so an outage costs no latency either.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use sea_orm::EntityTrait;
use uuid::Uuid;

use super::model::user_rate_limit;
use crate::app::AppState;
use crate::error::AppError;

const WINDOW_SECS: u64 = 60;
/// How long a Redis command may take before the request counts in process instead.
const REDIS_TIMEOUT: Duration = Duration::from_millis(300);
/// After a Redis failure, count in process for this long before trying Redis again.
const REDIS_BACKOFF: Duration = Duration::from_secs(5);
/// How long a user's own limit (`user_rate_limits`) is cached.
const USER_LIMIT_TTL: Duration = Duration::from_secs(30);

/// Whether a request may go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// Over the limit; the window ends in `retry_after` seconds.
    Limited {
        retry_after: u64,
    },
}

/// The 429 answer: the project's error body and `Retry-After`.
pub fn too_many(retry_after: u64) -> Response {
    let mut response = AppError::RateLimited.into_response();
    if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
        response.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
    }
    response
}

#[derive(Default)]
struct LocalWindows {
    window: u64,
    counts: HashMap<Uuid, u64>,
}

/// Fixed windows of each length in use (seconds → windows).
type LocalByLength = HashMap<u64, LocalWindows>;

pub struct Limiter {
    redis: Option<redis::Client>,
    conn: tokio::sync::Mutex<Option<redis::aio::MultiplexedConnection>>,
    redis_down_until: Mutex<Option<Instant>>,
    local: Mutex<LocalByLength>,
}

impl Limiter {
    /// A limiter counting in Redis at `redis_url` (when given and well-formed), else in process.
    pub fn new(redis_url: Option<&str>) -> Self {
        let redis = redis_url.and_then(|u| redis::Client::open(u).ok());
        Limiter {
            redis,
            conn: tokio::sync::Mutex::new(None),
            redis_down_until: Mutex::new(None),
            local: Mutex::new(LocalByLength::default()),
        }
    }

    /// Counts one request of `subject` against `limit` a minute (0 = unlimited, nothing counted).
    pub async fn hit(&self, subject: Uuid, limit: u32) -> Decision {
        self.hit_window(subject, limit, WINDOW_SECS).await
    }

    /// Like [`Limiter::hit`], over fixed wall-clock windows of `window_secs` seconds.
    pub async fn hit_window(&self, subject: Uuid, limit: u32, window_secs: u64) -> Decision {
        if limit == 0 {
            return Decision::Allowed;
        }
        let window_secs = window_secs.max(1);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let window = now / window_secs;
        let retry_after = (window_secs - now % window_secs).max(1);
        let count = match self.redis_count(subject, window_secs, window).await {
            Some(n) => n,
            None => self.local_count(subject, window_secs, window),
        };
        if count > u64::from(limit) { Decision::Limited { retry_after } } else { Decision::Allowed }
    }

    fn local_count(&self, subject: Uuid, window_secs: u64, window: u64) -> u64 {
        let mut all = self.local.lock().unwrap_or_else(|p| p.into_inner());
        let local = all.entry(window_secs).or_default();
        if local.window != window {
            local.window = window;
            local.counts.clear();
        }
        let n = local.counts.entry(subject).or_insert(0);
        *n += 1;
        *n
    }

    fn redis_usable(&self) -> bool {
        let mut down = self.redis_down_until.lock().unwrap_or_else(|p| p.into_inner());
        match *down {
            Some(until) if Instant::now() < until => false,
            Some(_) => {
                *down = None;
                true
            }
            None => true,
        }
    }

    fn redis_failed(&self, error: &str) {
        tracing::warn!(target: "px360::integrations", error, "rate limit: Redis unavailable; counting in process");
        *self.redis_down_until.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now() + REDIS_BACKOFF);
    }

    async fn connection(&self) -> Result<redis::aio::MultiplexedConnection, String> {
        let Some(client) = &self.redis else { return Err("no client".into()) };
        let mut guard = self.conn.lock().await;
        if let Some(conn) = guard.as_ref() {
            return Ok(conn.clone());
        }
        let conn = tokio::time::timeout(REDIS_TIMEOUT, client.get_multiplexed_async_connection())
            .await
            .map_err(|_| "connect timed out".to_owned())?
            .map_err(|e| e.to_string())?;
        *guard = Some(conn.clone());
        Ok(conn)
    }

    /// The window's count after this request, from Redis; `None` when Redis is not usable.
    async fn redis_count(&self, subject: Uuid, window_secs: u64, window: u64) -> Option<u64> {
        if self.redis.is_none() || !self.redis_usable() {
            return None;
        }
        let mut conn = match self.connection().await {
            Ok(c) => c,
            Err(e) => {
                self.redis_failed(&e);
                return None;
            }
        };
        let key = if window_secs == WINDOW_SECS {
            format!("px360:rl:{subject}:{window}")
        } else {
            format!("px360:rl:{subject}:{window_secs}:{window}")
        };
        let mut pipe = redis::pipe();
        pipe.atomic().cmd("INCR").arg(&key).cmd("EXPIRE").arg(&key).arg(window_secs * 2).ignore();
        match tokio::time::timeout(REDIS_TIMEOUT, pipe.query_async::<(u64,)>(&mut conn)).await {
            Ok(Ok((n,))) => Some(n),
            Ok(Err(e)) => {
                *self.conn.lock().await = None;
                self.redis_failed(&e.to_string());
                None
            }
            Err(_) => {
                *self.conn.lock().await = None;
                self.redis_failed("command timed out");
                None
            }
        }
    }
}

/// The limiter of `state`'s configuration. One per Redis URL per process (the in-process
/// counters are per process anyway); kept here until `AppState` carries it.
pub fn limiter(state: &AppState) -> Arc<Limiter> {
    static LIMITERS: OnceLock<Mutex<HashMap<Option<String>, Arc<Limiter>>>> = OnceLock::new();
    let url = state.config.redis_url.clone().filter(|u| !u.is_empty());
    let mut all = LIMITERS.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
    Arc::clone(all.entry(url.clone()).or_insert_with(|| Arc::new(Limiter::new(url.as_deref()))))
}

/// A user's own limit (`None`: the configured default) and when it was read.
type CachedLimit = (Option<u32>, Instant);

/// A JWT user's limit: their own row in `user_rate_limits`, else the configured default.
pub async fn user_limit(state: &AppState, user_id: Uuid) -> u32 {
    static CACHE: OnceLock<Mutex<HashMap<Uuid, CachedLimit>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let cached = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&user_id).copied();
    let own = match cached {
        Some((own, at)) if at.elapsed() < USER_LIMIT_TTL => own,
        _ => {
            let own = match user_rate_limit::Entity::find_by_id(user_id).one(&state.db).await {
                Ok(row) => row.map(|r| u32::try_from(r.per_minute).unwrap_or(0)),
                // Never refuse a request because the lookup failed: use the default.
                Err(e) => {
                    tracing::warn!(target: "px360::integrations", error = %e, "rate limit: user limit lookup failed");
                    return state.config.events_rate_limit_per_minute;
                }
            };
            let mut map = cache.lock().unwrap_or_else(|p| p.into_inner());
            if map.len() > 10_000 {
                map.retain(|_, (_, at)| at.elapsed() < USER_LIMIT_TTL);
            }
            map.insert(user_id, (own, Instant::now()));
            own
        }
    };
    own.unwrap_or(state.config.events_rate_limit_per_minute)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_per_subject_in_process_and_zero_is_unlimited() {
        let l = Limiter::new(None);
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(l.hit(a, 2).await, Decision::Allowed);
        assert_eq!(l.hit(a, 2).await, Decision::Allowed);
        assert!(matches!(l.hit(a, 2).await, Decision::Limited { retry_after } if (1..=60).contains(&retry_after)));
        assert_eq!(l.hit(b, 2).await, Decision::Allowed);
        for _ in 0..100 {
            assert_eq!(l.hit(b, 0).await, Decision::Allowed);
        }
    }

    #[tokio::test]
    async fn an_unreachable_redis_falls_back_to_counting_in_process() {
        let l = Limiter::new(Some("redis://127.0.0.1:1"));
        let a = Uuid::now_v7();
        assert_eq!(l.hit(a, 1).await, Decision::Allowed);
        assert!(matches!(l.hit(a, 1).await, Decision::Limited { .. }));
    }
}
