//! OTLP/JSON as the OTLP specification defines it: lowerCamelCase keys, hex trace and
//! span ids (base64 accepted on input), integer enums (names accepted on input), 64-bit
//! integers as strings (numbers accepted on input), unknown fields ignored.

mod decode;
mod encode;
mod logs;
mod metrics;
mod stream;

pub use decode::decode_request;
pub use encode::{encode_request, encode_response, JsonRequest};
pub use logs::{decode_logs_request, encode_logs_request, encode_logs_response};
pub use metrics::{decode_metrics_request, encode_metrics_request, encode_metrics_response};
