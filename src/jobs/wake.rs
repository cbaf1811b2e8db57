//! Wake-ups for idle workers. In-process a `Notify` per queue; across processes a Redis pub/sub
//! channel when `PX360_REDIS_URL` is set. A lost wake-up only costs latency: workers also poll.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{Mutex, Notify, watch};

use super::Queue;

const CHANNEL: &str = "px360:wake";

pub struct Waker {
    local: HashMap<&'static str, Arc<Notify>>,
    redis: Option<redis::Client>,
    publisher: Mutex<Option<redis::aio::MultiplexedConnection>>,
    /// Per queue (in `Queue::ALL` order): a publish is spawned and not yet started.
    publishing: Vec<std::sync::atomic::AtomicBool>,
}

impl Waker {
    pub fn new(redis_url: Option<&str>) -> anyhow::Result<Self> {
        let redis = redis_url.map(redis::Client::open).transpose()?;
        let local = Queue::ALL.iter().map(|q| (q.as_str(), Arc::new(Notify::new()))).collect();
        let publishing = Queue::ALL.iter().map(|_| std::sync::atomic::AtomicBool::new(false)).collect();
        Ok(Waker { local, redis, publisher: Mutex::new(None), publishing })
    }

    pub fn has_redis(&self) -> bool {
        self.redis.is_some()
    }

    /// The `Notify` a worker of `queue` waits on.
    pub fn notified(&self, queue: Queue) -> Arc<Notify> {
        self.local.get(queue.as_str()).cloned().unwrap_or_default()
    }

    fn wake_local(&self, queue: &str) {
        if let Some(n) = self.local.get(queue) {
            n.notify_one();
        }
    }

    /// Wakes the workers of `queue` here and, through Redis, in other processes. Never fails and
    /// never blocks the caller: the job row is already committed.
    /// A burst of wake-ups for one queue becomes one publish: while a publish is waiting to be
    /// sent, further wake-ups for that queue are folded into it.
    pub fn wake(self: &Arc<Self>, queue: Queue) {
        self.wake_local(queue.as_str());
        if self.redis.is_some() {
            let flag = &self.publishing[Queue::ALL.iter().position(|q| *q == queue).unwrap_or(0)];
            if flag.swap(true, std::sync::atomic::Ordering::AcqRel) {
                return;
            }
            let this = Arc::clone(self);
            tokio::spawn(async move {
                let index = Queue::ALL.iter().position(|q| *q == queue).unwrap_or(0);
                this.publishing[index].store(false, std::sync::atomic::Ordering::Release);
                if let Err(e) = this.publish(queue).await {
                    tracing::debug!(error = %e, "redis wake-up not sent");
                }
            });
        }
    }

    async fn publish(&self, queue: Queue) -> anyhow::Result<()> {
        let Some(client) = &self.redis else { return Ok(()) };
        let mut guard = self.publisher.lock().await;
        if guard.is_none() {
            let conn =
                tokio::time::timeout(Duration::from_secs(2), client.get_multiplexed_async_connection()).await??;
            *guard = Some(conn);
        }
        let Some(conn) = guard.as_mut() else { return Ok(()) };
        let sent: Result<i64, _> = redis::cmd("PUBLISH").arg(CHANNEL).arg(queue.as_str()).query_async(conn).await;
        if sent.is_err() {
            *guard = None;
        }
        sent?;
        Ok(())
    }

    /// Listens on the Redis channel until `stop`, reconnecting after failures.
    pub async fn subscribe(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let Some(client) = self.redis.clone() else { return };
        loop {
            let listen = async {
                let mut pubsub = client.get_async_pubsub().await?;
                pubsub.subscribe(CHANNEL).await?;
                let mut messages = pubsub.on_message();
                while let Some(msg) = messages.next().await {
                    if let Ok(queue) = msg.get_payload::<String>() {
                        self.wake_local(&queue);
                    }
                }
                anyhow::Ok(())
            };
            tokio::select! {
                _ = stop.changed() => return,
                result = listen => if let Err(e) = result {
                    tracing::debug!(error = %e, "redis wake-up subscription lost; retrying");
                },
            }
            tokio::select! {
                _ = stop.changed() => return,
                () = tokio::time::sleep(Duration::from_secs(2)) => {}
            }
        }
    }

    /// Whether Redis answers (for `/health/`).
    pub async fn ping(&self) -> Option<bool> {
        let client = self.redis.as_ref()?;
        let ping = async {
            let mut conn = client.get_multiplexed_async_connection().await?;
            redis::cmd("PING").query_async::<String>(&mut conn).await
        };
        Some(matches!(tokio::time::timeout(Duration::from_secs(2), ping).await, Ok(Ok(_))))
    }
}
