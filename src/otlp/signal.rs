//! The three OTLP signals and one request of any of them: the pipeline is written once
//! over `ExportRequest`, and each layer matches on the signal only where the message
//! types differ.

use prost::Message;

use super::metrics::{metric, Metric};
use super::{json, DecodeError, Encoding};
use super::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest, KeyValue};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    Traces = 0,
    Logs = 1,
    Metrics = 2,
}

impl Signal {
    pub const ALL: [Signal; 3] = [Signal::Traces, Signal::Logs, Signal::Metrics];

    pub fn name(self) -> &'static str {
        match self {
            Signal::Traces => "traces",
            Signal::Logs => "logs",
            Signal::Metrics => "metrics",
        }
    }

    /// What one item of the signal is called in messages.
    pub fn items(self) -> &'static str {
        match self {
            Signal::Traces => "spans",
            Signal::Logs => "log records",
            Signal::Metrics => "data points",
        }
    }
}

/// One decoded export request.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportRequest {
    Traces(ExportTraceServiceRequest),
    Logs(ExportLogsServiceRequest),
    Metrics(ExportMetricsServiceRequest),
}

impl ExportRequest {
    pub fn decode(signal: Signal, encoding: Encoding, body: &[u8]) -> Result<ExportRequest, DecodeError> {
        Ok(match (signal, encoding) {
            (Signal::Traces, Encoding::Protobuf) => ExportRequest::Traces(ExportTraceServiceRequest::decode(body)?),
            (Signal::Traces, Encoding::Json) => ExportRequest::Traces(json::decode_request(body)?),
            (Signal::Logs, Encoding::Protobuf) => ExportRequest::Logs(ExportLogsServiceRequest::decode(body)?),
            (Signal::Logs, Encoding::Json) => ExportRequest::Logs(json::decode_logs_request(body)?),
            (Signal::Metrics, Encoding::Protobuf) => ExportRequest::Metrics(ExportMetricsServiceRequest::decode(body)?),
            (Signal::Metrics, Encoding::Json) => ExportRequest::Metrics(json::decode_metrics_request(body)?),
        })
    }

    /// An OTLP/JSON request of any signal, told apart by its top-level key
    /// (`resourceSpans`, `resourceLogs`, `resourceMetrics`); spans when it has none.
    pub fn decode_json_any(body: &[u8]) -> Result<ExportRequest, DecodeError> {
        const KEYS: [(&str, Signal); 6] = [
            ("\"resourceSpans\"", Signal::Traces),
            ("\"resource_spans\"", Signal::Traces),
            ("\"resourceLogs\"", Signal::Logs),
            ("\"resource_logs\"", Signal::Logs),
            ("\"resourceMetrics\"", Signal::Metrics),
            ("\"resource_metrics\"", Signal::Metrics),
        ];
        let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
        let signal = KEYS
            .into_iter()
            .filter_map(|(key, signal)| text.find(key).map(|at| (at, signal)))
            .min_by_key(|(at, _)| *at)
            .map_or(Signal::Traces, |(_, signal)| signal);
        ExportRequest::decode(signal, Encoding::Json, body)
    }

    pub fn signal(&self) -> Signal {
        match self {
            ExportRequest::Traces(_) => Signal::Traces,
            ExportRequest::Logs(_) => Signal::Logs,
            ExportRequest::Metrics(_) => Signal::Metrics,
        }
    }

    /// Spans, log records or data points.
    pub fn item_count(&self) -> usize {
        match self {
            ExportRequest::Traces(request) => super::span_count(request),
            ExportRequest::Logs(request) => log_record_count(request),
            ExportRequest::Metrics(request) => data_point_count(request),
        }
    }

    pub fn encode_json(&self) -> Vec<u8> {
        match self {
            ExportRequest::Traces(request) => json::encode_request(request),
            ExportRequest::Logs(request) => json::encode_logs_request(request),
            ExportRequest::Metrics(request) => json::encode_metrics_request(request),
        }
    }

    pub fn encode_protobuf(&self) -> Vec<u8> {
        match self {
            ExportRequest::Traces(request) => request.encode_to_vec(),
            ExportRequest::Logs(request) => request.encode_to_vec(),
            ExportRequest::Metrics(request) => request.encode_to_vec(),
        }
    }
}

pub fn log_record_count(request: &ExportLogsServiceRequest) -> usize {
    request
        .resource_logs
        .iter()
        .flat_map(|rl| rl.scope_logs.iter())
        .map(|sl| sl.log_records.len())
        .sum()
}

pub fn data_point_count(request: &ExportMetricsServiceRequest) -> usize {
    request
        .resource_metrics
        .iter()
        .flat_map(|rm| rm.scope_metrics.iter())
        .flat_map(|sm| sm.metrics.iter())
        .map(metric_point_count)
        .sum()
}

/// Data points in one metric, whatever its type.
pub fn metric_point_count(metric: &Metric) -> usize {
    match &metric.data {
        None => 0,
        Some(metric::Data::Gauge(g)) => g.data_points.len(),
        Some(metric::Data::Sum(s)) => s.data_points.len(),
        Some(metric::Data::Histogram(h)) => h.data_points.len(),
        Some(metric::Data::ExponentialHistogram(h)) => h.data_points.len(),
        Some(metric::Data::Summary(s)) => s.data_points.len(),
    }
}

/// Calls `f` with the attribute list of every data point of `metric`, whatever its type.
pub fn for_each_point_attributes(metric: &mut Metric, mut f: impl FnMut(&mut Vec<KeyValue>)) {
    match &mut metric.data {
        None => {}
        Some(metric::Data::Gauge(g)) => g.data_points.iter_mut().for_each(|p| f(&mut p.attributes)),
        Some(metric::Data::Sum(s)) => s.data_points.iter_mut().for_each(|p| f(&mut p.attributes)),
        Some(metric::Data::Histogram(h)) => h.data_points.iter_mut().for_each(|p| f(&mut p.attributes)),
        Some(metric::Data::ExponentialHistogram(h)) => h.data_points.iter_mut().for_each(|p| f(&mut p.attributes)),
        Some(metric::Data::Summary(s)) => s.data_points.iter_mut().for_each(|p| f(&mut p.attributes)),
    }
}

/// `SPAN_KIND_*` names, in value order (OTLP/JSON accepts them for the number, and OTTL
/// names them as enums).
pub const SPAN_KIND_ENUM_NAMES: [&str; 6] = [
    "SPAN_KIND_UNSPECIFIED",
    "SPAN_KIND_INTERNAL",
    "SPAN_KIND_SERVER",
    "SPAN_KIND_CLIENT",
    "SPAN_KIND_PRODUCER",
    "SPAN_KIND_CONSUMER",
];

/// `SEVERITY_NUMBER_*` names, in value order (OTLP/JSON accepts them for the number, and
/// OTTL names them as enums).
pub const SEVERITY_NUMBER_NAMES: [&str; 25] = [
    "SEVERITY_NUMBER_UNSPECIFIED",
    "SEVERITY_NUMBER_TRACE",
    "SEVERITY_NUMBER_TRACE2",
    "SEVERITY_NUMBER_TRACE3",
    "SEVERITY_NUMBER_TRACE4",
    "SEVERITY_NUMBER_DEBUG",
    "SEVERITY_NUMBER_DEBUG2",
    "SEVERITY_NUMBER_DEBUG3",
    "SEVERITY_NUMBER_DEBUG4",
    "SEVERITY_NUMBER_INFO",
    "SEVERITY_NUMBER_INFO2",
    "SEVERITY_NUMBER_INFO3",
    "SEVERITY_NUMBER_INFO4",
    "SEVERITY_NUMBER_WARN",
    "SEVERITY_NUMBER_WARN2",
    "SEVERITY_NUMBER_WARN3",
    "SEVERITY_NUMBER_WARN4",
    "SEVERITY_NUMBER_ERROR",
    "SEVERITY_NUMBER_ERROR2",
    "SEVERITY_NUMBER_ERROR3",
    "SEVERITY_NUMBER_ERROR4",
    "SEVERITY_NUMBER_FATAL",
    "SEVERITY_NUMBER_FATAL2",
    "SEVERITY_NUMBER_FATAL3",
    "SEVERITY_NUMBER_FATAL4",
];
