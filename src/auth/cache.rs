//! `KeyCache`: the in-memory view requests hit. Positive and negative entries with their
//! own TTLs; concurrent misses for one lookup id share a single source lookup.

use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::future::Cache;
use moka::Expiry;
use serde::{Deserialize, Serialize};

use super::source::KeySource;
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
fn default_max_entries() -> u64 {
    100_000
}

impl Default for KeyCacheConfig {
    fn default() -> Self {
        Self {
            positive_ttl: default_positive_ttl(),
            negative_ttl: default_negative_ttl(),
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
    cache: Cache<String, Entry>,
    source: Arc<dyn KeySource>,
}

impl KeyCache {
    /// Must be called inside a Tokio runtime: it starts the task that drops entries when
    /// the source reports a change.
    pub fn new(source: Arc<dyn KeySource>, config: &KeyCacheConfig) -> Self {
        let cache = Cache::builder()
            .max_capacity(config.max_entries)
            .expire_after(KeyExpiry {
                positive: config.positive_ttl,
                negative: config.negative_ttl,
            })
            .build();
        if let Some(mut changes) = source.invalidations() {
            let cache = cache.clone();
            tokio::spawn(async move {
                while changes.changed().await.is_ok() {
                    cache.invalidate_all();
                }
            });
        }
        Self { cache, source }
    }

    /// The record for `lookup_id`, `None` when the source does not know it.
    pub async fn get(&self, lookup_id: &str) -> Result<Option<Arc<KeyRecord>>, AuthError> {
        if let Some(entry) = self.cache.get(lookup_id).await {
            metrics().key_cache_hit();
            return Ok(entry);
        }
        metrics().key_cache_miss();
        let source = &self.source;
        self.cache
            .try_get_with_by_ref(lookup_id, async move {
                metrics().key_source_lookup();
                source.lookup(lookup_id).await.map(|found| found.map(Arc::new))
            })
            .await
            .map_err(|e| AuthError::SourceUnavailable(e.to_string()))
    }

    /// What the cache holds for `lookup_id` without asking the source: `None` when it holds
    /// nothing, `Some(None)` when it remembers the id as unknown.
    pub async fn get_cached(&self, lookup_id: &str) -> Option<Option<Arc<KeyRecord>>> {
        let entry = self.cache.get(lookup_id).await;
        if entry.is_some() {
            metrics().key_cache_hit();
        }
        entry
    }

    pub fn entry_count(&self) -> u64 {
        self.cache.entry_count()
    }

    pub fn is_ready(&self) -> bool {
        self.source.is_ready()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::source::{BoxFuture, KeySourceError};
    use std::sync::atomic::{AtomicU64, Ordering};
    use tokio::sync::watch;

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
        fn is_ready(&self) -> bool {
            true
        }
        fn invalidations(&self) -> Option<watch::Receiver<u64>> {
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
}
