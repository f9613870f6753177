//! Token buckets: spans per second per key (a runaway loop in one project cannot starve
//! the others), and failed authentications per client address.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitsConfig {
    /// Spans per second per key (0 = unlimited). A key record's `rate_limit_spans_per_second`
    /// overrides it.
    #[serde(default = "default_spans_per_second")]
    pub spans_per_second: u64,
    /// Spans a key may send at once above the rate.
    #[serde(default = "default_span_burst")]
    pub span_burst: u64,
    /// Failed authentications per minute per client address before it is refused outright.
    #[serde(default = "default_auth_failures_per_minute")]
    pub auth_failures_per_minute: u64,
    /// Failed authentications a client address may make at once.
    #[serde(default = "default_auth_failure_burst")]
    pub auth_failure_burst: u64,
}

fn default_spans_per_second() -> u64 {
    50_000
}
fn default_span_burst() -> u64 {
    200_000
}
fn default_auth_failures_per_minute() -> u64 {
    120
}
fn default_auth_failure_burst() -> u64 {
    60
}

impl Default for RateLimitsConfig {
    fn default() -> Self {
        Self {
            spans_per_second: default_spans_per_second(),
            span_burst: default_span_burst(),
            auth_failures_per_minute: default_auth_failures_per_minute(),
            auth_failure_burst: default_auth_failure_burst(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate_per_second: f64,
    burst: f64,
    tokens: f64,
    updated: Instant,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RateDecision {
    Allow,
    /// Refused; retry after this long.
    Deny(Duration),
}

impl TokenBucket {
    pub fn new(rate_per_second: f64, burst: f64, now: Instant) -> Self {
        Self {
            rate_per_second,
            burst,
            tokens: burst,
            updated: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate_per_second).min(self.burst);
        self.updated = now;
    }

    /// Takes `cost` tokens. A cost above the burst passes only from a full bucket (and
    /// leaves it in debt), so one large request is never refused forever.
    pub fn take(&mut self, cost: f64, now: Instant) -> RateDecision {
        self.refill(now);
        let needed = cost.min(self.burst);
        if self.tokens >= needed {
            self.tokens -= cost;
            RateDecision::Allow
        } else {
            let wait = (needed - self.tokens) / self.rate_per_second.max(f64::MIN_POSITIVE);
            RateDecision::Deny(Duration::from_secs_f64(wait.clamp(0.001, 3600.0)))
        }
    }

    /// Whether `cost` tokens are there, without taking them.
    pub fn peek(&mut self, cost: f64, now: Instant) -> bool {
        self.refill(now);
        self.tokens >= cost.min(self.burst)
    }
}

/// Buckets by key, bounded: past `max_keys` the idle half is dropped.
pub struct KeyedRateLimiter<K> {
    buckets: Mutex<HashMap<K, TokenBucket>>,
    max_keys: usize,
}

impl<K: Hash + Eq + Clone> KeyedRateLimiter<K> {
    pub fn new(max_keys: usize) -> Self {
        Self {
            buckets: Mutex::new(HashMap::new()),
            max_keys,
        }
    }

    fn with_bucket<T>(&self, key: &K, rate: f64, burst: f64, f: impl FnOnce(&mut TokenBucket, Instant) -> T) -> T {
        let now = Instant::now();
        let mut buckets = match self.buckets.lock() {
            Ok(b) => b,
            Err(poisoned) => poisoned.into_inner(),
        };
        if buckets.len() >= self.max_keys && !buckets.contains_key(key) {
            // Full buckets carry no state worth keeping.
            buckets.retain(|_, b| {
                b.refill(now);
                b.tokens < b.burst
            });
            if buckets.len() >= self.max_keys {
                buckets.clear();
            }
        }
        let bucket = buckets
            .entry(key.clone())
            .or_insert_with(|| TokenBucket::new(rate, burst, now));
        bucket.rate_per_second = rate;
        bucket.burst = burst;
        f(bucket, now)
    }

    pub fn take(&self, key: &K, cost: f64, rate: f64, burst: f64) -> RateDecision {
        self.with_bucket(key, rate, burst, |b, now| b.take(cost, now))
    }

    pub fn peek(&self, key: &K, cost: f64, rate: f64, burst: f64) -> bool {
        self.with_bucket(key, rate, burst, |b, now| b.peek(cost, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_the_burst_then_the_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(100.0, 200.0, start);
        assert_eq!(bucket.take(150.0, start), RateDecision::Allow);
        match bucket.take(100.0, start) {
            RateDecision::Deny(wait) => assert!((wait.as_secs_f64() - 0.5).abs() < 0.01, "{wait:?}"),
            RateDecision::Allow => panic!("over the burst"),
        }
        assert_eq!(
            bucket.take(100.0, start + Duration::from_millis(500)),
            RateDecision::Allow
        );
    }

    #[test]
    fn a_request_larger_than_the_burst_passes_from_a_full_bucket() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(10.0, 20.0, start);
        assert_eq!(bucket.take(1000.0, start), RateDecision::Allow);
        assert!(matches!(
            bucket.take(1.0, start + Duration::from_secs(1)),
            RateDecision::Deny(_)
        ));
    }

    #[test]
    fn keyed_limiter_stays_bounded() {
        let limiter: KeyedRateLimiter<u32> = KeyedRateLimiter::new(10);
        for k in 0..1000 {
            limiter.take(&k, 1.0, 1.0, 1.0);
        }
        assert!(limiter.buckets.lock().unwrap().len() <= 10);
    }
}
