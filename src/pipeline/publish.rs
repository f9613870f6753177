//! Publish: split into records by the sink's layout, hand them to the sink, and answer
//! only once every record is stored.

use super::transform::Transformed;
use super::{Pipeline, PipelineError};
use crate::auth::KeyRecord;
use prost::Message;

use crate::otlp::{
    json, Encoding, ExportLogsPartialSuccess, ExportLogsServiceResponse, ExportMetricsPartialSuccess,
    ExportMetricsServiceResponse, ExportTracePartialSuccess, ExportTraceServiceResponse, InvalidItems, Signal,
};
use crate::sink::RecordHeaders;
use crate::telemetry::{metrics, RejectReason};

/// What the client is told on success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub signal: Signal,
    pub accepted_items: usize,
    pub rejected_items: usize,
    /// Why items were rejected; empty when none were.
    pub message: String,
}

impl Accepted {
    /// The signal's OTLP response, `partial_success` only when items were rejected, in
    /// the request's encoding.
    pub fn encode(self, encoding: Encoding) -> Vec<u8> {
        let rejected = (self.rejected_items > 0).then_some((self.rejected_items as i64, self.message));
        match self.signal {
            Signal::Traces => {
                let response = ExportTraceServiceResponse {
                    partial_success: rejected.map(|(n, message)| ExportTracePartialSuccess {
                        rejected_spans: n,
                        error_message: message,
                    }),
                };
                match encoding {
                    Encoding::Protobuf => response.encode_to_vec(),
                    Encoding::Json => json::encode_response(&response),
                }
            }
            Signal::Logs => {
                let response = ExportLogsServiceResponse {
                    partial_success: rejected.map(|(n, message)| ExportLogsPartialSuccess {
                        rejected_log_records: n,
                        error_message: message,
                    }),
                };
                match encoding {
                    Encoding::Protobuf => response.encode_to_vec(),
                    Encoding::Json => json::encode_logs_response(&response),
                }
            }
            Signal::Metrics => {
                let response = ExportMetricsServiceResponse {
                    partial_success: rejected.map(|(n, message)| ExportMetricsPartialSuccess {
                        rejected_data_points: n,
                        error_message: message,
                    }),
                };
                match encoding {
                    Encoding::Protobuf => response.encode_to_vec(),
                    Encoding::Json => json::encode_metrics_response(&response),
                }
            }
        }
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
            signal: transformed.request.signal(),
            project_id: key.project_id.clone(),
            api_key_id: key.id.clone(),
            template_id: transformed.template_id,
            content_type: "",
            organization_id: key.organization_id.clone(),
            source: key.source.clone(),
            principal_id: key.principal_id.clone(),
            received_time_unix_nano: received_at,
        };
        let signal = transformed.request.signal();
        let outcome = self.sink.layout().split(transformed.request, headers);
        let accepted_items = outcome.batch.item_count();
        metrics().items_rejected(signal, RejectReason::RecordTooLarge, outcome.oversized_items);
        if !outcome.batch.records.is_empty() {
            if let Err(error) = self.sink.publish(outcome.batch).await {
                metrics().items_rejected(signal, RejectReason::SinkUnavailable, accepted_items);
                return Err(error.into());
            }
        }
        metrics().items_accepted(signal, accepted_items);
        let rejected_items = invalid.count + outcome.oversized_items;
        let mut message = invalid.message();
        if outcome.oversized_items > 0 {
            if !message.is_empty() {
                message.push_str("; ");
            }
            message.push_str(&format!(
                "{} {} larger than the record size limit ({} bytes) on their own",
                outcome.oversized_items,
                signal.items(),
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
            signal,
            accepted_items,
            rejected_items,
            message,
        })
    }
}
