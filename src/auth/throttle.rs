//! A fixed-window counter per key (client IP) for login attempts, in process memory. Several web
//! processes each count on their own; the account lockout is the cross-process guard.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{AppError, AppResult};

pub struct Throttle {
    limit: u32,
    window: Duration,
    hits: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Throttle {
    pub fn new(limit: u32, window: Duration) -> Self {
        Throttle { limit, window, hits: Mutex::new(HashMap::new()) }
    }

    /// Counts one attempt for `key`; 429 once the window's limit is passed.
    pub fn check(&self, key: &str) -> AppResult<()> {
        let now = Instant::now();
        let mut hits = self.hits.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if hits.len() > 10_000 {
            hits.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let entry = hits.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 > self.limit { Err(AppError::RateLimited) } else { Ok(()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_limit_and_per_key() {
        let t = Throttle::new(2, Duration::from_secs(60));
        assert!(t.check("a").is_ok());
        assert!(t.check("a").is_ok());
        assert!(matches!(t.check("a"), Err(AppError::RateLimited)));
        assert!(t.check("b").is_ok());
    }

    #[test]
    fn a_new_window_starts_over() {
        let t = Throttle::new(1, Duration::from_millis(1));
        assert!(t.check("a").is_ok());
        std::thread::sleep(Duration::from_millis(5));
        assert!(t.check("a").is_ok());
    }
}
