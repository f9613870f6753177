//! The three OTLP signals and one request of any of them: the pipeline is written once
//! over `ExportRequest`, and each layer matches on the signal only where the message
//! types differ.

use prost::Message;

use super::{json, DecodeError, Encoding, ExportTraceServiceRequest};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    Traces = 0,
}

impl Signal {
    pub const ALL: [Signal; 1] = [Signal::Traces];

    pub fn name(self) -> &'static str {
        match self {
            Signal::Traces => "traces",
        }
    }

    /// What one item of the signal is called in messages (`spans`).
    pub fn items(self) -> &'static str {
        match self {
            Signal::Traces => "spans",
        }
    }
}

/// One decoded export request.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportRequest {
    Traces(ExportTraceServiceRequest),
}

impl ExportRequest {
    pub fn decode(signal: Signal, encoding: Encoding, body: &[u8]) -> Result<ExportRequest, DecodeError> {
        Ok(match (signal, encoding) {
            (Signal::Traces, Encoding::Protobuf) => ExportRequest::Traces(ExportTraceServiceRequest::decode(body)?),
            (Signal::Traces, Encoding::Json) => ExportRequest::Traces(json::decode_request(body)?),
        })
    }

    pub fn signal(&self) -> Signal {
        match self {
            ExportRequest::Traces(_) => Signal::Traces,
        }
    }

    /// Spans, log records or data points.
    pub fn item_count(&self) -> usize {
        match self {
            ExportRequest::Traces(request) => super::span_count(request),
        }
    }

    pub fn encode_json(&self) -> Vec<u8> {
        match self {
            ExportRequest::Traces(request) => json::encode_request(request),
        }
    }
}
