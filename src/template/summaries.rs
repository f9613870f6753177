//! Key summaries carried from one statement group to the next.

use crate::ottl::{KeySummary, Target};

/// Each span's or log record's key summary as the last group left it, by the item's place
/// in the request, so the next group starts from it instead of summarizing again (the
/// writes of every group keep it sound).
#[derive(Default)]
pub struct CarriedSummaries(Vec<Option<KeySummary>>);

impl CarriedSummaries {
    pub fn lend(&self, item: usize, target: &mut Target<'_>) {
        target.carry_own_key_summary(self.get(item));
    }

    pub fn get(&self, item: usize) -> Option<KeySummary> {
        self.0.get(item).copied().flatten()
    }

    pub fn keep(&mut self, item: usize, target: &Target<'_>) {
        if self.0.len() <= item {
            self.0.resize(item + 1, None);
        }
        self.0[item] = target.own_key_summary();
    }
}
