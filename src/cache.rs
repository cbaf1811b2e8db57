//! Small in-process read caches for reference data read on every event or request (JWT users,
//! journey templates, staff by licence, hospitals).
//!
//! An entry lives until its time-to-live runs out or this process writes anything audited: every
//! audited write calls [`invalidate`] (from `audit::service::record`), so a change made through
//! this process is seen at once. Another process's change is seen within the time-to-live.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

static GENERATION: AtomicU64 = AtomicU64::new(0);

/// Drops every cached entry of this process (lazily: entries of an older generation are misses).
pub fn invalidate() {
    GENERATION.fetch_add(1, Ordering::Relaxed);
}

fn generation() -> u64 {
    GENERATION.load(Ordering::Relaxed)
}

struct Entry<V> {
    generation: u64,
    loaded: Instant,
    value: V,
}

/// A map whose entries expire after `ttl` or at the next [`invalidate`].
pub struct TtlCache<K, V> {
    ttl: Duration,
    capacity: usize,
    map: Mutex<HashMap<K, Entry<V>>>,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        TtlCache { ttl, capacity, map: Mutex::new(HashMap::new()) }
    }

    pub fn get(&self, key: &K) -> Option<V> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let entry = map.get(key)?;
        (entry.generation == generation() && entry.loaded.elapsed() < self.ttl).then(|| entry.value.clone())
    }

    /// Stores `value` as loaded under `generation` (taken before loading, so a write that happened
    /// while loading makes the entry stale at once).
    pub fn put(&self, key: K, value: V, generation: u64) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= self.capacity && !map.contains_key(&key) {
            let now = generation;
            map.retain(|_, e| e.generation == now && e.loaded.elapsed() < self.ttl);
            if map.len() >= self.capacity {
                map.clear();
            }
        }
        map.insert(key, Entry { generation, loaded: Instant::now(), value });
    }

    /// The cached value of `key`, or the one `load` returns (cached when it is `Ok`).
    pub async fn get_or_load<E, F>(&self, key: K, load: F) -> Result<V, E>
    where
        F: Future<Output = Result<V, E>>,
    {
        if let Some(v) = self.get(&key) {
            return Ok(v);
        }
        let at = generation();
        let value = load.await?;
        self.put(key, value.clone(), at);
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn entries_expire_and_writes_invalidate() {
        let cache: TtlCache<u32, u32> = TtlCache::new(Duration::from_millis(50), 10);
        let v: Result<u32, ()> = cache.get_or_load(1, async { Ok(10) }).await;
        assert_eq!(v, Ok(10));
        assert_eq!(cache.get(&1), Some(10));
        invalidate();
        assert_eq!(cache.get(&1), None, "an audited write drops the entry");
        cache.put(1, 11, generation());
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.get(&1), None, "the entry expired");
        let failed: Result<u32, &str> = cache.get_or_load(2, async { Err("db down") }).await;
        assert!(failed.is_err());
        assert_eq!(cache.get(&2), None, "errors are not cached");
    }

    #[test]
    fn capacity_is_bounded() {
        let cache: TtlCache<u32, u32> = TtlCache::new(Duration::from_secs(60), 3);
        for i in 0..10 {
            cache.put(i, i, generation());
        }
        assert!(cache.map.lock().unwrap().len() <= 3);
    }
}
