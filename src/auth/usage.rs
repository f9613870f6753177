//! When each key was last used: noted on the request path (one map lookup, at most one
//! note per key per interval), written to the store in batches by a task of its own, so no
//! request waits on a write.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio_util::sync::CancellationToken;

use super::source::KeyStore;

#[derive(Default)]
struct Pending {
    /// When each key was last queued; a key is queued again only after the interval.
    queued: HashMap<String, Instant>,
    /// Uses not written yet.
    uses: HashMap<String, SystemTime>,
}

pub struct UsageRecorder {
    interval: Duration,
    pending: Mutex<Pending>,
}

impl UsageRecorder {
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            pending: Mutex::new(Pending::default()),
        }
    }

    /// Notes a use of key `id`; cheap when the key was noted within the interval.
    pub fn touch(&self, id: &str) {
        let now = Instant::now();
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        if pending
            .queued
            .get(id)
            .is_some_and(|at| now.duration_since(*at) < self.interval)
        {
            return;
        }
        pending.queued.insert(id.to_owned(), now);
        pending.uses.insert(id.to_owned(), SystemTime::now());
    }

    /// The uses noted since the last call, and forgets keys not seen for an interval (so
    /// the map stays the size of the keys in use).
    fn take(&self) -> Vec<(String, SystemTime)> {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let interval = self.interval;
        pending.queued.retain(|_, at| at.elapsed() < interval * 2);
        pending.uses.drain().collect()
    }

    /// Puts back uses a failed write did not store (a newer use wins).
    fn restore(&self, uses: Vec<(String, SystemTime)>) {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        for (id, at) in uses {
            let entry = pending.uses.entry(id).or_insert(at);
            if at > *entry {
                *entry = at;
            }
        }
    }

    /// Writes one batch; on failure the batch waits for the next flush.
    pub async fn flush(&self, store: &dyn KeyStore) {
        let uses = self.take();
        if uses.is_empty() {
            return;
        }
        if let Err(error) = store.record_last_used(&uses).await {
            tracing::debug!(message = "last-used write failed; retried at the next flush", keys = uses.len(), %error);
            self.restore(uses);
        }
    }

    /// Flushes every interval until `shutdown`, then once more.
    pub fn spawn_flusher(
        self: &Arc<Self>,
        store: Arc<dyn KeyStore>,
        shutdown: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let recorder = Arc::clone(self);
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(recorder.interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = ticker.tick() => recorder.flush(store.as_ref()).await,
                }
            }
            recorder.flush(store.as_ref()).await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_noted_once_per_interval() {
        let recorder = UsageRecorder::new(Duration::from_secs(60));
        for _ in 0..1000 {
            recorder.touch("a");
        }
        recorder.touch("b");
        let mut taken = recorder.take();
        taken.sort();
        assert_eq!(taken.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        recorder.touch("a");
        assert!(recorder.take().is_empty(), "a was noted within the interval");
        recorder.restore(taken);
        assert_eq!(recorder.take().len(), 2, "a failed batch is written next time");
    }

    #[test]
    fn a_key_is_noted_again_after_the_interval() {
        let recorder = UsageRecorder::new(Duration::from_millis(20));
        recorder.touch("a");
        assert_eq!(recorder.take().len(), 1);
        std::thread::sleep(Duration::from_millis(30));
        recorder.touch("a");
        assert_eq!(recorder.take().len(), 1);
    }
}
