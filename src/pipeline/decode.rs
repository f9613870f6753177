//! Decode: decompress (capped), decode once, enforce the input limits and drop the items
//! that cannot be stored.

use super::{Payload, Pipeline, PipelineError};
use crate::codec::{decompress, ContentEncoding};
use crate::limits::{enforce_input_limits, BudgetPermit};
use crate::otlp::{drop_invalid_items, ExportRequest, InvalidItems};
use crate::telemetry::{metrics, RejectReason};

pub(super) struct Sanitized {
    pub request: ExportRequest,
    /// Items dropped as invalid, for `partial_success`.
    pub invalid: InvalidItems,
}

impl Pipeline {
    /// Decompresses and decodes; refuses a request with more items than the limit.
    pub(super) fn decode(
        &self,
        payload: &Payload<'_>,
        permit: &mut BudgetPermit,
    ) -> Result<ExportRequest, PipelineError> {
        let limit = self.limits.max_decompressed_bytes;
        let decompressed;
        let plain = match payload.compression {
            ContentEncoding::Identity if payload.body.len() > limit => {
                return Err(PipelineError::TooLarge { limit });
            }
            ContentEncoding::Identity => payload.body,
            other => {
                decompressed = decompress(other, payload.body, limit)?;
                &decompressed[..]
            }
        };
        // Decoded telemetry takes about twice the protobuf bytes; hold that too.
        if !permit.grow(&self.budget, plain.len().saturating_mul(2)) {
            return Err(PipelineError::Overloaded);
        }
        let request = ExportRequest::decode(payload.signal, payload.encoding, plain)?;
        let received = request.item_count();
        let signal = payload.signal;
        metrics().items_received(signal, received);
        let limit = self.limits.max_items_per_request(signal);
        if received > limit {
            metrics().items_rejected(signal, RejectReason::TooMany, received);
            return Err(PipelineError::TooManyItems {
                count: received,
                limit,
                items: payload.signal.items(),
            });
        }
        Ok(request)
    }

    /// Enforces the input limits and drops the items that cannot be stored.
    pub(super) fn sanitize(&self, mut request: ExportRequest) -> Sanitized {
        let limited = enforce_input_limits(&mut request, &self.limits);
        metrics().attributes_truncated(limited.values_truncated + limited.values_too_deep);
        let invalid = drop_invalid_items(&mut request);
        metrics().items_rejected(request.signal(), RejectReason::InvalidId, invalid.count);
        Sanitized { request, invalid }
    }
}
