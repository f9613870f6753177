//! A global budget of request bytes held in memory. When it is spent, new requests are
//! refused at once (retryable) instead of queueing without bound.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};

use crate::telemetry::metrics;

/// Permits are KiB so a budget of many GiB fits the semaphore's counter.
const UNIT: usize = 1024;

#[derive(Clone)]
pub struct InflightBudget {
    semaphore: Arc<Semaphore>,
    total_units: usize,
}

/// Bytes held by one request; released on drop.
pub struct BudgetPermit {
    _permits: Vec<OwnedSemaphorePermit>,
    bytes: i64,
}

impl Drop for BudgetPermit {
    fn drop(&mut self) {
        metrics().inflight_bytes(-self.bytes);
    }
}

impl BudgetPermit {
    /// Holds more of the budget (the decompressed body) alongside what is held.
    pub fn grow(&mut self, budget: &InflightBudget, bytes: usize) -> bool {
        match budget.try_acquire(bytes) {
            Some(mut more) => {
                self._permits.append(&mut more._permits);
                self.bytes += more.bytes;
                more.bytes = 0;
                true
            }
            None => false,
        }
    }
}

impl InflightBudget {
    pub fn new(max_bytes: usize) -> Self {
        let units = max_bytes.div_ceil(UNIT).max(1);
        Self {
            semaphore: Arc::new(Semaphore::new(units)),
            total_units: units,
        }
    }

    /// Takes `bytes` of the budget, or `None` when that much is not free right now.
    pub fn try_acquire(&self, bytes: usize) -> Option<BudgetPermit> {
        let units = bytes.div_ceil(UNIT).clamp(1, self.total_units) as u32;
        match Arc::clone(&self.semaphore).try_acquire_many_owned(units) {
            Ok(permit) => {
                let bytes = units as i64 * UNIT as i64;
                metrics().inflight_bytes(bytes);
                Some(BudgetPermit {
                    _permits: vec![permit],
                    bytes,
                })
            }
            Err(TryAcquireError::NoPermits) | Err(TryAcquireError::Closed) => None,
        }
    }

    pub fn available_bytes(&self) -> usize {
        self.semaphore.available_permits() * UNIT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spent_budget_refuses_until_permits_drop() {
        let budget = InflightBudget::new(10 * 1024);
        let a = budget.try_acquire(6 * 1024).unwrap();
        assert!(budget.try_acquire(6 * 1024).is_none());
        drop(a);
        let mut b = budget.try_acquire(6 * 1024).unwrap();
        assert!(b.grow(&budget, 4 * 1024));
        assert!(!b.grow(&budget, 1));
        drop(b);
        assert_eq!(budget.available_bytes(), 10 * 1024);
    }
}
