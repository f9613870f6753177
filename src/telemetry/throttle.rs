//! A warning that can fire on every request is logged at most once per interval; the
//! next one says how many were suppressed in between.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// One log site's throttle, usually a `static`.
pub struct LogThrottle {
    next_allowed_ms: AtomicU64,
    suppressed: AtomicU64,
    interval_ms: u64,
}

impl Default for LogThrottle {
    fn default() -> Self {
        Self::new()
    }
}

impl LogThrottle {
    /// One message per second.
    pub const fn new() -> Self {
        Self::every_millis(1_000)
    }

    pub const fn every_millis(interval_ms: u64) -> Self {
        Self {
            next_allowed_ms: AtomicU64::new(0),
            suppressed: AtomicU64::new(0),
            interval_ms,
        }
    }

    /// Whether to log now; when not, the message is counted as suppressed.
    pub fn allow(&self) -> bool {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let next = self.next_allowed_ms.load(Ordering::Relaxed);
        if now >= next
            && self
                .next_allowed_ms
                .compare_exchange(
                    next,
                    now.saturating_add(self.interval_ms),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
        {
            return true;
        }
        self.suppressed.fetch_add(1, Ordering::Relaxed);
        false
    }

    /// How many messages were suppressed since the last logged one.
    pub fn take_suppressed(&self) -> u64 {
        self.suppressed.swap(0, Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_message_per_interval_and_the_rest_counted() {
        let throttle = LogThrottle::every_millis(60_000);
        assert!(throttle.allow());
        assert!(!throttle.allow());
        assert!(!throttle.allow());
        assert_eq!(throttle.take_suppressed(), 2);
        assert_eq!(throttle.take_suppressed(), 0);
    }
}
