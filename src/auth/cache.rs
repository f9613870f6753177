//! `KeyCache`: the in-memory view requests hit. Positive and negative entries with their
//! own TTLs; concurrent misses for one lookup id share a single source lookup. Each found
//! record is also kept as last-known-good for `stale_ttl`: while the key store cannot be
//! reached, a key already in use keeps working on it (stale-while-error), and a key intake
//! has never seen is refused as unavailable (503), never as unknown (401).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::future::Cache;
use moka::Expiry;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;

use super::source::{Invalidation, KeySource, SourceHealth};
use super::{AuthError, KeyRecord};
use crate::telemetry::metrics;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KeyCacheConfig {
    /// How long a found key is served from memory; revocation reaches every request
    /// within this time (sooner when the source pushes changes).
    #[serde(default = "default_positive_ttl", with = "humantime_serde")]
    pub positive_ttl: Duration,
    /// How long an unknown lookup id is remembered as unknown.
    #[serde(default = "default_negative_ttl", with = "humantime_serde")]
    pub negative_ttl: Duration,
    /// How long past `positive_ttl` a key already in use keeps working while the key store
    /// cannot be reached. A change the store announces drops it at once.
    #[serde(default = "default_stale_ttl", with = "humantime_serde")]
    pub stale_ttl: Duration,
    /// Most entries held, positive and negative together.
    #[serde(default = "default_max_entries")]
    pub max_entries: u64,
}

fn default_positive_ttl() -> Duration {
    Duration::from_secs(30)
}
fn default_negative_ttl() -> Duration {
    Duration::from_secs(60)
}
fn default_stale_ttl() -> Duration {
    Duration::from_secs(3600)
}
fn default_max_entries() -> u64 {
    100_000
}

impl Default for KeyCacheConfig {
    fn default() -> Self {
        Self {
            positive_ttl: default_positive_ttl(),
            negative_ttl: default_negative_ttl(),
            stale_ttl: default_stale_ttl(),
            max_entries: default_max_entries(),
        }
    }
}

type Entry = Option<Arc<KeyRecord>>;

struct KeyExpiry {
    positive: Duration,
    negative: Duration,
}

impl Expiry<String, Entry> for KeyExpiry {
    fn expire_after_create(&self, _key: &String, value: &Entry, _created_at: Instant) -> Option<Duration> {
        Some(if value.is_some() { self.positive } else { self.negative })
    }
}

#[derive(Clone)]
pub struct KeyCache {
    fresh: Cache<String, Entry>,
    /// Last-known-good records, for when the source cannot answer.
    stale: Cache<String, Arc<KeyRecord>>,
    source: Arc<dyn KeySource>,
    /// Moves on every invalidation, so a lookup that raced one is not kept.
    epoch: Arc<AtomicU64>,
}

impl KeyCache {
    /// Must be called inside a Tokio runtime: it starts the task that drops entries when
    /// the source reports a change.
    pub fn new(source: Arc<dyn KeySource>, config: &KeyCacheConfig) -> Self {
        let fresh = Cache::builder()
            .max_capacity(config.max_entries)
            .expire_after(KeyExpiry {
                positive: config.positive_ttl,
                negative: config.negative_ttl,
            })
            .build();
        let stale = Cache::builder()
            .max_capacity(config.max_entries)
            .time_to_live(config.positive_ttl + config.stale_ttl)
            .build();
        let cache = Self {
            fresh,
            stale,
            source,
            epoch: Arc::new(AtomicU64::new(0)),
        };
        if let Some(changes) = cache.source.invalidations() {
            tokio::spawn(cache.clone().follow(changes));
        }
        cache
    }

    async fn follow(self, mut changes: tokio::sync::broadcast::Receiver<Invalidation>) {
        loop {
            match changes.recv().await {
                Ok(change) => self.invalidate(&change).await,
                // Fell behind a burst of changes: which ones is unknown, so all of them.
                Err(RecvError::Lagged(_)) => self.invalidate(&Invalidation::All).await,
                Err(RecvError::Closed) => return,
            }
        }
    }

    pub async fn invalidate(&self, change: &Invalidation) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        match change {
            Invalidation::All => {
                self.fresh.invalidate_all();
                self.stale.invalidate_all();
            }
            Invalidation::Key(lookup_id) => {
                self.fresh.invalidate(lookup_id).await;
                self.stale.invalidate(lookup_id).await;
            }
        }
    }

    /// The record for `lookup_id`, `None` when the source does not know it.
    pub async fn get(&self, lookup_id: &str) -> Result<Option<Arc<KeyRecord>>, AuthError> {
        if let Some(entry) = self.fresh.get(lookup_id).await {
            metrics().key_cache_hit();
            return Ok(entry);
        }
        metrics().key_cache_miss();
        // A known-down store is not asked: the key in use keeps working on its last-known
        // record without a request waiting for a timeout.
        if !self.source.is_reachable() {
            if let Some(record) = self.stale.get(lookup_id).await {
                metrics().key_cache_stale_hit();
                return Ok(Some(record));
            }
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        let source = &self.source;
        let loaded = self
            .fresh
            .try_get_with_by_ref(lookup_id, async move {
                metrics().key_source_lookup();
                source.lookup(lookup_id).await.map(|found| found.map(Arc::new))
            })
            .await;
        match loaded {
            Ok(entry) => {
                if self.epoch.load(Ordering::Acquire) != epoch {
                    // The key changed while it was being read: answer this request with what
                    // was read, but let the next one read again.
                    self.fresh.invalidate(lookup_id).await;
                } else if let Some(record) = &entry {
                    self.stale.insert(lookup_id.to_owned(), Arc::clone(record)).await;
                }
                Ok(entry)
            }
            Err(error) => match self.stale.get(lookup_id).await {
                Some(record) => {
                    metrics().key_cache_stale_hit();
                    Ok(Some(record))
                }
                None => Err(AuthError::SourceUnavailable(error.to_string())),
            },
        }
    }

    /// What the cache holds for `lookup_id` without asking the source: `None` when it holds
    /// nothing, `Some(None)` when it remembers the id as unknown.
    pub async fn get_cached(&self, lookup_id: &str) -> Option<Option<Arc<KeyRecord>>> {
        let entry = self.fresh.get(lookup_id).await;
        if entry.is_some() {
            metrics().key_cache_hit();
        }
        entry
    }

    pub fn entry_count(&self) -> u64 {
        self.fresh.entry_count()
    }

    pub fn is_ready(&self) -> bool {
        self.source.is_ready()
    }

    pub fn source_health(&self) -> SourceHealth {
        self.source.health()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::key::KeyEntry;
    use crate::auth::source::{BoxFuture, KeySourceError};
    use std::sync::atomic::AtomicBool;
    use tokio::sync::broadcast;

    /// Counts lookups and answers slowly so concurrent misses overlap.
    struct SlowSource {
        lookups: AtomicU64,
    }

    impl KeySource for SlowSource {
        fn lookup<'a>(&'a self, _id: &'a str) -> BoxFuture<'a, Result<Option<KeyRecord>, KeySourceError>> {
            self.lookups.fetch_add(1, Ordering::SeqCst);
            Box::pin(async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                Ok(None)
            })
        }
        fn health(&self) -> SourceHealth {
            SourceHealth::Up
        }
        fn invalidations(&self) -> Option<broadcast::Receiver<Invalidation>> {
            None
        }
    }

    #[tokio::test]
    async fn concurrent_misses_share_one_lookup_and_negatives_are_cached() {
        let source = Arc::new(SlowSource {
            lookups: AtomicU64::new(0),
        });
        let cache = KeyCache::new(source.clone(), &KeyCacheConfig::default());
        let gets = (0..32).map(|_| cache.get("AAAAAAAAAAAAAAAA"));
        let results = futures::future::join_all(gets).await;
        assert!(results.iter().all(|r| matches!(r, Ok(None))));
        assert_eq!(source.lookups.load(Ordering::SeqCst), 1);
        cache.get("AAAAAAAAAAAAAAAA").await.unwrap();
        assert_eq!(
            source.lookups.load(Ordering::SeqCst),
            1,
            "negative entry served from cache"
        );
    }

    /// A store that can be switched off, like a database going away.
    struct FlakySource {
        up: AtomicBool,
        record: KeyRecord,
        changes: broadcast::Sender<Invalidation>,
    }

    impl KeySource for FlakySource {
        fn lookup<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<KeyRecord>, KeySourceError>> {
            let answer = if self.up.load(Ordering::SeqCst) {
                Ok((id == self.record.lookup_id).then(|| self.record.clone()))
            } else {
                Err(KeySourceError::Unavailable("database down".into()))
            };
            Box::pin(async move { answer })
        }
        fn health(&self) -> SourceHealth {
            if self.up.load(Ordering::SeqCst) {
                SourceHealth::Up
            } else {
                SourceHealth::Down {
                    since_secs: 0,
                    error: "database down".into(),
                }
            }
        }
        fn invalidations(&self) -> Option<broadcast::Receiver<Invalidation>> {
            Some(self.changes.subscribe())
        }
    }

    fn flaky() -> Arc<FlakySource> {
        let record = KeyEntry {
            lookup_id: "KNOWNKNOWNKNOWN1".into(),
            secret_hash: format!("sha256:{}", "00".repeat(32)),
            project_id: "p".into(),
            ..Default::default()
        }
        .into_record()
        .unwrap();
        Arc::new(FlakySource {
            up: AtomicBool::new(true),
            record,
            changes: broadcast::channel(8).0,
        })
    }

    #[tokio::test]
    async fn a_key_in_use_outlives_an_outage_for_stale_ttl_and_no_longer() {
        let source = flaky();
        let config = KeyCacheConfig {
            positive_ttl: Duration::from_millis(50),
            stale_ttl: Duration::from_millis(400),
            ..Default::default()
        };
        let cache = KeyCache::new(source.clone(), &config);
        assert!(cache.get("KNOWNKNOWNKNOWN1").await.unwrap().is_some());
        source.up.store(false, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(100)).await;
        // Past the positive TTL, the store down: the last-known record serves.
        assert!(cache.get("KNOWNKNOWNKNOWN1").await.unwrap().is_some());
        // A key never seen is unavailable, not unknown.
        assert!(matches!(
            cache.get("NEVERSEENNEVER00").await,
            Err(AuthError::SourceUnavailable(_))
        ));
        // Past positive + stale TTL the key is unavailable too.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(matches!(
            cache.get("KNOWNKNOWNKNOWN1").await,
            Err(AuthError::SourceUnavailable(_))
        ));
        source.up.store(true, Ordering::SeqCst);
        assert!(cache.get("KNOWNKNOWNKNOWN1").await.unwrap().is_some());
        assert!(cache.get("NEVERSEENNEVER00").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn an_announced_change_drops_the_fresh_and_the_stale_entry() {
        let source = flaky();
        let cache = KeyCache::new(source.clone(), &KeyCacheConfig::default());
        assert!(cache.get("KNOWNKNOWNKNOWN1").await.unwrap().is_some());
        source.up.store(false, Ordering::SeqCst);
        source
            .changes
            .send(Invalidation::Key("KNOWNKNOWNKNOWN1".into()))
            .unwrap();
        // The follower task drops both entries: the changed key can no longer be vouched for.
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            match cache.get("KNOWNKNOWNKNOWN1").await {
                Err(AuthError::SourceUnavailable(_)) => break,
                _ if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(10)).await,
                other => panic!("still served after the change: {other:?}"),
            }
        }
    }
}
