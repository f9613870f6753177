//! OTLP types of the three signals (prost, from `opentelemetry-proto`) and their wire forms.

pub mod json;
mod signal;
mod validate;

pub use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceRequest, ExportLogsServiceResponse,
};
pub use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
pub use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
pub use opentelemetry_proto::tonic::common::v1::{
    any_value, AnyValue, ArrayValue, EntityRef, InstrumentationScope, KeyValue, KeyValueList,
};
pub use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
pub use opentelemetry_proto::tonic::metrics::v1 as metrics;
pub use opentelemetry_proto::tonic::resource::v1::Resource;
pub use opentelemetry_proto::tonic::trace::v1::{span, ResourceSpans, ScopeSpans, Span, Status};
pub use signal::{
    data_point_count, for_each_point_attributes, log_record_count, metric_point_count, ExportRequest, Signal,
    SEVERITY_NUMBER_NAMES, SPAN_KIND_ENUM_NAMES,
};
pub use validate::{drop_invalid_items, drop_invalid_spans, InvalidItems};

use prost::Message;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum DecodeError {
    #[error("invalid protobuf ExportTraceServiceRequest: {0}")]
    Protobuf(#[from] prost::DecodeError),
    #[error("invalid OTLP/JSON: {0}")]
    Json(String),
}

/// The two encodings OTLP carries over HTTP (gRPC is always protobuf).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => "application/x-protobuf",
            Encoding::Json => "application/json",
        }
    }

    pub fn decode_request(self, body: &[u8]) -> Result<ExportTraceServiceRequest, DecodeError> {
        match self {
            Encoding::Protobuf => Ok(ExportTraceServiceRequest::decode(body)?),
            Encoding::Json => json::decode_request(body),
        }
    }
}

/// An attribute holding a string: what stamps, converters and tests build most.
pub fn string_kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_owned())),
        }),
        ..Default::default()
    }
}

/// Number of spans in a request.
pub fn span_count(request: &ExportTraceServiceRequest) -> usize {
    request
        .resource_spans
        .iter()
        .flat_map(|rs| rs.scope_spans.iter())
        .map(|ss| ss.spans.len())
        .sum()
}
