//! Publish: split into records by the sink's layout, hand them to the sink, and answer
//! only once every record is stored.

use super::transform::Transformed;
use super::{Pipeline, PipelineError};
use crate::auth::KeyRecord;
use crate::otlp::{ExportTracePartialSuccess, ExportTraceServiceResponse, InvalidItems};
use crate::sink::RecordHeaders;
use crate::telemetry::{metrics, RejectReason};

/// What the client is told on success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub accepted_items: usize,
    pub rejected_items: usize,
    /// Why items were rejected; empty when none were.
    pub message: String,
}

impl Accepted {
    /// The OTLP response: `partial_success` only when items were rejected.
    pub fn into_response(self) -> ExportTraceServiceResponse {
        let partial_success = (self.rejected_items > 0).then_some(ExportTracePartialSuccess {
            rejected_spans: self.rejected_items as i64,
            error_message: self.message,
        });
        ExportTraceServiceResponse { partial_success }
    }
}

impl Pipeline {
    pub(super) async fn publish(
        &self,
        key: &KeyRecord,
        transformed: Transformed,
        invalid: InvalidItems,
        received_at: u64,
    ) -> Result<Accepted, PipelineError> {
        let headers = RecordHeaders {
            project_id: key.project_id.clone(),
            api_key_id: key.id.clone(),
            template_id: transformed.template_id,
            content_type: "",
            organization_id: key.organization_id.clone(),
            source: key.source.clone(),
            principal_id: key.principal_id.clone(),
            received_time_unix_nano: received_at,
        };
        let outcome = self.sink.layout().split(transformed.request, headers);
        let accepted_items = outcome.batch.item_count();
        metrics().spans_rejected(RejectReason::RecordTooLarge, outcome.oversized_items);
        if !outcome.batch.records.is_empty() {
            if let Err(error) = self.sink.publish(outcome.batch).await {
                metrics().spans_rejected(RejectReason::SinkUnavailable, accepted_items);
                return Err(error.into());
            }
        }
        metrics().spans_accepted(accepted_items);
        let rejected_items = invalid.count + outcome.oversized_items;
        let mut message = invalid.message();
        if outcome.oversized_items > 0 {
            if !message.is_empty() {
                message.push_str("; ");
            }
            message.push_str(&format!(
                "{} spans larger than the record size limit ({} bytes) on their own",
                outcome.oversized_items,
                self.sink.layout().max_record_bytes
            ));
        }
        tracing::debug!(
            message = "request accepted",
            project_id = %key.project_id,
            accepted_items,
            rejected_items
        );
        Ok(Accepted {
            accepted_items,
            rejected_items,
            message,
        })
    }
}
