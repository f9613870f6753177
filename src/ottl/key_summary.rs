//! Which keys an item's own attributes (a span's, a log record's) may hold, as 128 bits:
//! each key sets one bit picked from its length and three of its bytes. A key whose bit is
//! clear is certainly absent, so reading it (`where attributes["x"] != nil`, the commonest
//! guard in templates) or adding it skips the scan of the attribute list. Built once per
//! item when a group's statements start; kept sound by the writes themselves: a write to a
//! known key sets that key's bit, a write to the whole map drops the summary.

use crate::otlp::KeyValue;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySummary(u128);

impl KeySummary {
    pub fn of(attributes: &[KeyValue]) -> KeySummary {
        KeySummary(attributes.iter().fold(0, |bits, kv| bits | bit(&kv.key)))
    }

    /// False only when `key` is certainly not among the attributes.
    #[inline]
    pub fn may_hold(self, key: &str) -> bool {
        self.0 & bit(key) != 0
    }

    /// The bit `key` sets, for requirements computed at compile time.
    pub fn bit_of(key: &str) -> u128 {
        bit(key)
    }

    /// True when some bit of `mask` is clear: one of the keys it was made of is absent.
    #[inline]
    pub fn lacks_any(self, mask: u128) -> bool {
        self.0 & mask != mask
    }

    /// Records a key added to the attributes, by its `bit_of` (computed at compile time for
    /// a literal key).
    #[inline]
    pub fn add_bit(&mut self, bit: u128) {
        self.0 |= bit;
    }
}

#[inline]
fn bit(key: &str) -> u128 {
    let b = key.as_bytes();
    let n = b.len();
    let Some(&last) = b.last() else {
        return 1;
    };
    let mixed = (n as u32).wrapping_mul(0x9E37_79B1)
        ^ u32::from(last).wrapping_mul(0x85EB_CA6B)
        ^ u32::from(b[n / 2]).wrapping_mul(0xC2B2_AE35)
        ^ u32::from(b[n.saturating_sub(2)]).wrapping_mul(0x27D4_EB2F);
    1u128 << (mixed.wrapping_mul(0x2545_F491) >> 25)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::{any_value, AnyValue};

    fn kv(key: &str) -> KeyValue {
        KeyValue {
            key: key.to_owned(),
            value: Some(AnyValue {
                value: Some(any_value::Value::BoolValue(true)),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn every_held_key_may_be_held_and_most_others_are_ruled_out() {
        let held: Vec<String> = (0..24)
            .map(|i| format!("llm.input_messages.{i}.message.role"))
            .collect();
        let summary = KeySummary::of(&held.iter().map(|k| kv(k)).collect::<Vec<_>>());
        assert!(held.iter().all(|k| summary.may_hold(k)));
        let others: Vec<String> = (0..1000).map(|i| format!("gen_ai.attribute.{i}")).collect();
        let false_positives = others.iter().filter(|k| summary.may_hold(k)).count();
        assert!(false_positives < 400, "{false_positives} of 1000 not ruled out");
        let mut grown = summary;
        grown.add_bit(KeySummary::bit_of("gen_ai.attribute.7"));
        assert!(grown.may_hold("gen_ai.attribute.7"));
        assert!(KeySummary::of(&[kv("")]).may_hold(""));
    }
}
