//! Counters of a family with a fixed set of label sets, resolved to handles on first use:
//! a series appears once it is incremented, and every later increment is one atomic add
//! (the family's lock and the label set are touched once per series, not per request).

use std::hash::Hash;
use std::sync::OnceLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

pub struct CounterSlots<L> {
    family: Family<L, Counter>,
    slots: Box<[OnceLock<Counter>]>,
}

impl<L: Clone + Hash + Eq + EncodeLabelSet + std::fmt::Debug + Send + Sync + 'static> CounterSlots<L> {
    pub fn new(family: Family<L, Counter>, slots: usize) -> Self {
        Self {
            family,
            slots: (0..slots).map(|_| OnceLock::new()).collect(),
        }
    }

    /// `index` names the label set `labels` builds; the same index must always build the
    /// same labels.
    pub fn add(&self, index: usize, n: u64, labels: impl FnOnce() -> L) {
        match self.slots.get(index) {
            Some(slot) => slot.get_or_init(|| self.family.get_or_create(&labels()).clone()),
            None => return,
        }
        .inc_by(n);
    }
}
