//! OTLP/JSON as the OTLP specification defines it: lowerCamelCase keys, hex trace and
//! span ids (base64 accepted on input), integer enums (names accepted on input), 64-bit
//! integers as strings (numbers accepted on input), unknown fields ignored.

mod decode;
mod encode;
mod logs;
mod metrics;
mod reader;
mod stream;

pub use decode::decode_request;
pub use encode::{encode_request, encode_response, JsonRequest};
pub use logs::{decode_logs_request, encode_logs_request, encode_logs_response};
pub use metrics::{decode_metrics_request, encode_metrics_request, encode_metrics_response};
pub use reader::first_special_byte;

/// The decoders run on serde_json's parser instead of intake's reader: the reference the
/// reader is checked against by the property tests and the `otlp_json` fuzz target.
#[doc(hidden)]
pub mod reference {
    use super::stream::decode_root_with_serde_json;
    use crate::otlp::{DecodeError, ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};

    pub fn decode_request(body: &[u8]) -> Result<ExportTraceServiceRequest, DecodeError> {
        decode_root_with_serde_json(body)
    }

    pub fn decode_logs_request(body: &[u8]) -> Result<ExportLogsServiceRequest, DecodeError> {
        decode_root_with_serde_json(body)
    }

    pub fn decode_metrics_request(body: &[u8]) -> Result<ExportMetricsServiceRequest, DecodeError> {
        decode_root_with_serde_json(body)
    }
}
