//! Splitting logs and metrics into records: grouped by record key in arrival order,
//! packed greedily by estimated size, and halved until each encoded record fits.

use std::collections::HashMap;
use std::sync::Arc;

use prost::Message;

use super::envelope::TraceEnvelope;
use super::record::{Record, RecordBatch, RecordHeaders, RecordLayout, SplitOutcome, ValueEncoding, RECORD_OVERHEAD};
use super::shape::{Containers, Entry, ItemKey, Shape};

impl RecordLayout {
    /// `key_of` names an item's record key.
    pub(super) fn split_shaped<R: Shape>(
        &self,
        request: R,
        headers: Arc<RecordHeaders>,
        key_of: impl Fn(&R::Item) -> ItemKey<'_>,
    ) -> SplitOutcome {
        let (containers, entries) = request.take_apart();
        let mut groups: Vec<(String, Vec<Entry<R::Item>>)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut hex = [0u8; 32];
        for entry in entries {
            let key = match key_of(&entry.item) {
                ItemKey::Text(text) => text,
                ItemKey::TraceId(id) => match hex::encode_to_slice(id, &mut hex) {
                    Ok(()) => std::str::from_utf8(&hex).unwrap_or_default(),
                    Err(_) => &headers.project_id,
                },
                ItemKey::Project => &headers.project_id,
            };
            let slot = match index.get(key) {
                Some(slot) => *slot,
                None => {
                    groups.push((key.to_owned(), Vec::new()));
                    index.insert(key.to_owned(), groups.len() - 1);
                    groups.len() - 1
                }
            };
            groups[slot].1.push(entry);
        }
        let mut records = Vec::new();
        let mut oversized = 0;
        for (key, entries) in groups {
            let budget = self
                .max_record_bytes
                .saturating_sub(key.len() + headers.encoded_len() + RECORD_OVERHEAD);
            for chunk in self.pack_shaped(entries, &containers) {
                oversized +=
                    self.encode_fitting_shaped::<R>(chunk, &containers, (&key, &headers), budget, &mut records);
            }
        }
        SplitOutcome {
            batch: RecordBatch { records, headers },
            oversized_items: oversized,
        }
    }

    /// Greedy packing by estimated size; `encode_fitting` corrects any misestimate.
    fn pack_shaped<I: Message>(&self, entries: Vec<Entry<I>>, containers: &Containers) -> Vec<Vec<Entry<I>>> {
        let factor = match self.encoding {
            ValueEncoding::OtlpProto | ValueEncoding::Envelope => 1,
            ValueEncoding::OtlpJson => 2,
        };
        let mut chunks = Vec::new();
        let mut current: Vec<Entry<I>> = Vec::new();
        let mut size = 0usize;
        let mut last = None;
        for entry in entries {
            let container = (entry.resource, entry.scope);
            let mut cost = (entry.item.encoded_len() + 4) * factor;
            if last != Some(container) {
                cost += containers.encoded_len(container) * factor;
            }
            if !current.is_empty() && size + cost > self.max_record_bytes {
                chunks.push(std::mem::take(&mut current));
                size = (containers.encoded_len(container) + entry.item.encoded_len() + 4) * factor;
            } else {
                size += cost;
            }
            last = Some(container);
            current.push(entry);
        }
        if !current.is_empty() {
            chunks.push(current);
        }
        chunks
    }

    /// Encodes `entries` as one record if it fits, else halves and retries. Returns the
    /// number of items (spans, log records, data points) that do not fit even alone.
    fn encode_fitting_shaped<R: Shape>(
        &self,
        entries: Vec<Entry<R::Item>>,
        containers: &Containers,
        (key, headers): (&str, &RecordHeaders),
        budget: usize,
        out: &mut Vec<Record>,
    ) -> usize {
        let count = entries.len();
        let weight: usize = entries.iter().map(|e| R::weight(&e.item)).sum();
        let mut request = R::assemble(containers, entries);
        let value = match self.encoding {
            ValueEncoding::OtlpProto => request.encode_to_vec(),
            ValueEncoding::OtlpJson => request.encode_json(),
            ValueEncoding::Envelope => {
                let mut envelope: TraceEnvelope = headers.envelope_header();
                request.into_envelope(&mut envelope);
                let value = envelope.encode_to_vec();
                request = R::from_envelope(&mut envelope);
                value
            }
        };
        if value.len() <= budget {
            out.push(Record {
                key: key.to_owned(),
                value,
                item_count: weight,
            });
            return 0;
        }
        if count == 1 {
            return weight;
        }
        let (containers, mut entries) = request.take_apart();
        let second = entries.split_off(count / 2);
        self.encode_fitting_shaped::<R>(entries, &containers, (key, headers), budget, out)
            + self.encode_fitting_shaped::<R>(second, &containers, (key, headers), budget, out)
    }
}
