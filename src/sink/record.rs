//! Turns a stamped request into records: keyed by trace id or project id, encoded as the
//! sink wants, and split so no record exceeds the size limit.

use std::collections::HashMap;
use std::sync::Arc;

use prost::Message;
use serde::{Deserialize, Serialize};

use super::envelope::TraceEnvelope;
use super::shape::{string_attribute, ItemKey};
use crate::otlp::{
    json, ExportRequest, ExportTraceServiceRequest, InstrumentationScope, Resource, ResourceSpans, ScopeSpans, Signal,
    Span,
};

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RecordKey {
    /// One record per trace (split further by size), key = hex trace id: a trace's spans
    /// land on one partition.
    #[default]
    TraceId,
    /// One record per request (split by size), key = project id.
    ProjectId,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ValueEncoding {
    /// A protobuf `ExportTraceServiceRequest`, readable by any collector's kafkareceiver.
    #[default]
    OtlpProto,
    /// The same request as OTLP/JSON.
    OtlpJson,
    /// A `TraceEnvelope` (`proto/`): the request plus its provenance, for pipelines that
    /// drop headers.
    Envelope,
}

impl ValueEncoding {
    pub fn content_type(self) -> &'static str {
        match self {
            ValueEncoding::OtlpProto => "application/x-protobuf",
            ValueEncoding::OtlpJson => "application/json",
            ValueEncoding::Envelope => super::envelope::CONTENT_TYPE,
        }
    }
}

/// The attribute that keys a session's log records.
const CONVERSATION_ID: &str = "gen_ai.conversation.id";

#[derive(Debug, Clone)]
pub struct RecordLayout {
    pub key: RecordKey,
    pub encoding: ValueEncoding,
    /// Largest record (value + key + headers) in bytes.
    pub max_record_bytes: usize,
}

/// Where every record of one request came from: the Kafka headers, and for `envelope`
/// also the envelope's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordHeaders {
    pub signal: Signal,
    pub project_id: String,
    pub api_key_id: String,
    pub template_id: Option<String>,
    pub content_type: &'static str,
    pub organization_id: String,
    pub source: String,
    pub principal_id: Option<String>,
    pub received_time_unix_nano: u64,
}

impl RecordHeaders {
    pub fn pairs(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            Some(("langwatch.project.id", self.project_id.as_str())),
            Some(("langwatch.api_key.id", self.api_key_id.as_str())),
            self.template_id.as_deref().map(|t| ("langwatch.template.id", t)),
            Some(("content-type", self.content_type)),
            Some(("langwatch.signal", self.signal.name())),
        ]
        .into_iter()
        .flatten()
    }

    pub(super) fn encoded_len(&self) -> usize {
        self.pairs().map(|(k, v)| k.len() + v.len() + 8).sum()
    }

    fn envelope(&self, request: ExportTraceServiceRequest) -> TraceEnvelope {
        TraceEnvelope {
            request: Some(request),
            ..self.envelope_header()
        }
    }

    /// The envelope's provenance fields, with no telemetry in it yet.
    pub(super) fn envelope_header(&self) -> TraceEnvelope {
        TraceEnvelope {
            signal: self.signal.name().to_owned(),
            logs: None,
            metrics: None,
            project_id: self.project_id.clone(),
            organization_id: self.organization_id.clone(),
            api_key_id: self.api_key_id.clone(),
            source: self.source.clone(),
            template_id: self.template_id.clone().unwrap_or_default(),
            principal_id: self.principal_id.clone().unwrap_or_default(),
            received_time_unix_nano: self.received_time_unix_nano,
            request: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Record {
    pub key: String,
    pub value: Vec<u8>,
    /// Spans, log records or data points in the record.
    pub item_count: usize,
}

#[derive(Debug, Clone)]
pub struct RecordBatch {
    pub records: Vec<Record>,
    pub headers: Arc<RecordHeaders>,
}

impl RecordBatch {
    pub fn item_count(&self) -> usize {
        self.records.iter().map(|r| r.item_count).sum()
    }
}

/// What splitting produced, and how many items could not fit in any record alone.
#[derive(Debug)]
pub struct SplitOutcome {
    pub batch: RecordBatch,
    pub oversized_items: usize,
}

/// Room left for Kafka's own per-record framing.
pub(super) const RECORD_OVERHEAD: usize = 128;

/// One span with where it came from (resource index, scope index).
struct Entry {
    resource: usize,
    scope: usize,
    span: Span,
}

struct Skeleton {
    resources: Vec<(Option<Resource>, String)>,
    scopes: Vec<Vec<(Option<InstrumentationScope>, String)>>,
}

impl RecordLayout {
    pub fn split(&self, request: ExportRequest, headers: RecordHeaders) -> SplitOutcome {
        match request {
            ExportRequest::Traces(request) => self.split_traces(request, headers),
            ExportRequest::Logs(request) => {
                let headers = self.with_content_type(headers);
                // A session's events share a partition: its conversation id, else its trace.
                self.split_shaped(request, headers, |record| {
                    match string_attribute(&record.attributes, CONVERSATION_ID) {
                        Some(session) => ItemKey::Text(session),
                        None if record.trace_id.len() == 16 && record.trace_id.iter().any(|b| *b != 0) => {
                            ItemKey::TraceId(&record.trace_id)
                        }
                        None => ItemKey::Project,
                    }
                })
            }
            ExportRequest::Metrics(request) => {
                let headers = self.with_content_type(headers);
                self.split_shaped(request, headers, |_| ItemKey::Project)
            }
        }
    }

    fn with_content_type(&self, headers: RecordHeaders) -> Arc<RecordHeaders> {
        Arc::new(RecordHeaders {
            content_type: self.encoding.content_type(),
            ..headers
        })
    }

    pub fn split_traces(&self, mut request: ExportTraceServiceRequest, headers: RecordHeaders) -> SplitOutcome {
        let headers = Arc::new(RecordHeaders {
            content_type: self.encoding.content_type(),
            ..headers
        });
        let (skeleton, groups) = self.group(&mut request, &headers.project_id);
        let mut records = Vec::new();
        let mut oversized_spans = 0;
        for (key, entries) in groups {
            let budget = self
                .max_record_bytes
                .saturating_sub(key.len() + headers.encoded_len() + RECORD_OVERHEAD);
            for chunk in self.pack(entries, &skeleton) {
                oversized_spans += self.encode_fitting(chunk, &skeleton, (&key, &headers), budget, &mut records);
            }
        }
        SplitOutcome {
            batch: RecordBatch { records, headers },
            oversized_items: oversized_spans,
        }
    }

    /// Moves the spans out of the request, grouped by record key, in arrival order.
    fn group(
        &self,
        request: &mut ExportTraceServiceRequest,
        project_id: &str,
    ) -> (Skeleton, Vec<(String, Vec<Entry>)>) {
        let mut skeleton = Skeleton {
            resources: Vec::new(),
            scopes: Vec::new(),
        };
        let mut groups: Vec<(String, Vec<Entry>)> = Vec::new();
        let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut last_trace: Vec<u8> = Vec::new();
        let mut last_slot = 0usize;
        for (ri, rs) in request.resource_spans.iter_mut().enumerate() {
            skeleton
                .resources
                .push((rs.resource.take(), std::mem::take(&mut rs.schema_url)));
            let mut scopes = Vec::with_capacity(rs.scope_spans.len());
            for (si, ss) in rs.scope_spans.iter_mut().enumerate() {
                scopes.push((ss.scope.take(), std::mem::take(&mut ss.schema_url)));
                for span in ss.spans.drain(..) {
                    let entry = Entry {
                        resource: ri,
                        scope: si,
                        span,
                    };
                    let slot = match self.key {
                        RecordKey::ProjectId => {
                            if groups.is_empty() {
                                groups.push((project_id.to_owned(), Vec::new()));
                            }
                            0
                        }
                        // Spans of one trace usually arrive together: try the last group
                        // before hashing.
                        RecordKey::TraceId if !groups.is_empty() && last_trace == entry.span.trace_id => last_slot,
                        RecordKey::TraceId => {
                            let slot = *index.entry(entry.span.trace_id.clone()).or_insert_with(|| {
                                groups.push((hex::encode(&entry.span.trace_id), Vec::new()));
                                groups.len() - 1
                            });
                            last_trace.clone_from(&entry.span.trace_id);
                            last_slot = slot;
                            slot
                        }
                    };
                    groups[slot].1.push(entry);
                }
            }
            skeleton.scopes.push(scopes);
        }
        (skeleton, groups)
    }

    /// Greedy packing by estimated size; `encode_fitting` corrects any misestimate.
    fn pack(&self, entries: Vec<Entry>, skeleton: &Skeleton) -> Vec<Vec<Entry>> {
        let budget = self.max_record_bytes;
        let factor = match self.encoding {
            ValueEncoding::OtlpProto | ValueEncoding::Envelope => 1,
            ValueEncoding::OtlpJson => 2,
        };
        let mut chunks = Vec::new();
        let mut current: Vec<Entry> = Vec::new();
        let mut size = 0usize;
        let mut last_container = None;
        for entry in entries {
            let container = (entry.resource, entry.scope);
            let mut cost = (entry.span.encoded_len() + 4) * factor;
            if last_container != Some(container) {
                cost += skeleton.container_len(container) * factor;
            }
            if !current.is_empty() && size + cost > budget {
                chunks.push(std::mem::take(&mut current));
                size = skeleton.container_len(container) * factor + (entry.span.encoded_len() + 4) * factor;
            } else {
                size += cost;
            }
            last_container = Some(container);
            current.push(entry);
        }
        if !current.is_empty() {
            chunks.push(current);
        }
        chunks
    }

    /// Encodes `entries` as one record if it fits, else halves and retries. Returns the
    /// number of spans that do not fit even alone.
    fn encode_fitting(
        &self,
        entries: Vec<Entry>,
        skeleton: &Skeleton,
        (key, headers): (&str, &RecordHeaders),
        budget: usize,
        out: &mut Vec<Record>,
    ) -> usize {
        let count = entries.len();
        let (mut request, origin) = skeleton.assemble(entries);
        let value = match self.encoding {
            ValueEncoding::OtlpProto => request.encode_to_vec(),
            ValueEncoding::OtlpJson => json::encode_request(&request),
            ValueEncoding::Envelope => {
                let mut envelope = headers.envelope(request);
                let value = envelope.encode_to_vec();
                request = envelope.request.take().unwrap_or_default();
                value
            }
        };
        if value.len() <= budget {
            out.push(Record {
                key: key.to_owned(),
                value,
                item_count: count,
            });
            return 0;
        }
        if count == 1 {
            return 1;
        }
        let mut entries = Skeleton::disassemble(request, origin);
        let second = entries.split_off(count / 2);
        self.encode_fitting(entries, skeleton, (key, headers), budget, out)
            + self.encode_fitting(second, skeleton, (key, headers), budget, out)
    }
}

impl Skeleton {
    fn container_len(&self, (ri, si): (usize, usize)) -> usize {
        let resource = self.resources[ri].0.as_ref().map_or(0, |r| r.encoded_len()) + self.resources[ri].1.len();
        let scope = self.scopes[ri][si].0.as_ref().map_or(0, |s| s.encoded_len()) + self.scopes[ri][si].1.len();
        resource + scope + 16
    }

    /// Rebuilds a request from entries (which are in arrival order), cloning only the
    /// resource and scope headers.
    fn assemble(&self, entries: Vec<Entry>) -> (ExportTraceServiceRequest, Vec<(usize, usize)>) {
        let mut request = ExportTraceServiceRequest::default();
        let mut origin = Vec::new();
        let mut last_resource = None;
        let mut last_scope = None;
        for entry in entries {
            if last_resource != Some(entry.resource) {
                let (resource, schema_url) = &self.resources[entry.resource];
                request.resource_spans.push(ResourceSpans {
                    resource: resource.clone(),
                    scope_spans: Vec::new(),
                    schema_url: schema_url.clone(),
                });
                last_resource = Some(entry.resource);
                last_scope = None;
            }
            let Some(rs) = request.resource_spans.last_mut() else {
                continue;
            };
            if last_scope != Some(entry.scope) {
                let (scope, schema_url) = &self.scopes[entry.resource][entry.scope];
                rs.scope_spans.push(ScopeSpans {
                    scope: scope.clone(),
                    spans: Vec::new(),
                    schema_url: schema_url.clone(),
                });
                last_scope = Some(entry.scope);
            }
            if let Some(ss) = rs.scope_spans.last_mut() {
                ss.spans.push(entry.span);
                origin.push((entry.resource, entry.scope));
            }
        }
        (request, origin)
    }

    fn disassemble(request: ExportTraceServiceRequest, origin: Vec<(usize, usize)>) -> Vec<Entry> {
        let spans = request
            .resource_spans
            .into_iter()
            .flat_map(|rs| rs.scope_spans)
            .flat_map(|ss| ss.spans);
        spans
            .zip(origin)
            .map(|(span, (resource, scope))| Entry { resource, scope, span })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::{any_value, span_count, AnyValue, KeyValue};

    fn request(traces: usize, spans_per_trace: usize, payload: usize) -> ExportTraceServiceRequest {
        let mut spans = Vec::new();
        for t in 0..traces {
            for s in 0..spans_per_trace {
                spans.push(Span {
                    trace_id: vec![t as u8 + 1; 16],
                    span_id: (s as u64 + 1).to_be_bytes().to_vec(),
                    name: format!("span-{t}-{s}"),
                    attributes: vec![KeyValue {
                        key: "payload".into(),
                        value: Some(AnyValue {
                            value: Some(any_value::Value::StringValue("x".repeat(payload))),
                        }),
                        ..Default::default()
                    }],
                    ..Default::default()
                });
            }
        }
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource::default()),
                scope_spans: vec![ScopeSpans {
                    spans,
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
    }

    fn headers() -> RecordHeaders {
        RecordHeaders {
            signal: Signal::Traces,
            project_id: "p".into(),
            api_key_id: "k".into(),
            template_id: None,
            content_type: "",
            organization_id: "o".into(),
            source: "s".into(),
            principal_id: None,
            received_time_unix_nano: 7,
        }
    }

    fn decode_all(batch: &RecordBatch, encoding: ValueEncoding) -> Vec<ExportTraceServiceRequest> {
        batch
            .records
            .iter()
            .map(|r| match encoding {
                ValueEncoding::OtlpProto => ExportTraceServiceRequest::decode(&r.value[..]).unwrap(),
                ValueEncoding::OtlpJson => json::decode_request(&r.value).unwrap(),
                ValueEncoding::Envelope => {
                    let envelope = TraceEnvelope::decode(&r.value[..]).unwrap();
                    assert_eq!(
                        (envelope.project_id.as_str(), envelope.organization_id.as_str()),
                        ("p", "o")
                    );
                    assert_eq!(envelope.received_time_unix_nano, 7);
                    envelope.request.unwrap()
                }
            })
            .collect()
    }

    #[test]
    fn one_record_per_trace_keyed_by_hex_trace_id() {
        let layout = RecordLayout {
            key: RecordKey::TraceId,
            encoding: ValueEncoding::OtlpProto,
            max_record_bytes: 1 << 20,
        };
        let out = layout.split_traces(request(3, 4, 10), headers());
        assert_eq!(out.batch.records.len(), 3);
        assert_eq!(out.batch.records[0].key, hex::encode([1u8; 16]));
        for (record, decoded) in out
            .batch
            .records
            .iter()
            .zip(decode_all(&out.batch, ValueEncoding::OtlpProto))
        {
            assert_eq!(span_count(&decoded), 4);
            assert!(decoded.resource_spans[0].scope_spans[0]
                .spans
                .iter()
                .all(|s| hex::encode(&s.trace_id) == record.key));
        }
    }

    #[test]
    fn a_batch_over_the_limit_is_split_with_nothing_lost() {
        for encoding in [
            ValueEncoding::OtlpProto,
            ValueEncoding::OtlpJson,
            ValueEncoding::Envelope,
        ] {
            let layout = RecordLayout {
                key: RecordKey::ProjectId,
                encoding,
                max_record_bytes: 16 * 1024,
            };
            let out = layout.split_traces(request(2, 200, 500), headers());
            assert_eq!(out.oversized_items, 0);
            assert!(
                out.batch.records.len() > 10,
                "{encoding:?}: {}",
                out.batch.records.len()
            );
            for record in &out.batch.records {
                assert!(record.value.len() + record.key.len() + out.batch.headers.encoded_len() <= 16 * 1024);
                assert_eq!(record.key, "p");
            }
            let decoded = decode_all(&out.batch, encoding);
            let mut names: Vec<String> = decoded
                .iter()
                .flat_map(|r| {
                    r.resource_spans
                        .iter()
                        .flat_map(|rs| rs.scope_spans.iter().flat_map(|ss| ss.spans.iter()))
                })
                .map(|s| s.name.clone())
                .collect();
            assert_eq!(names.len(), 400);
            names.sort();
            names.dedup();
            assert_eq!(names.len(), 400);
        }
    }

    #[test]
    fn a_span_larger_than_the_limit_alone_is_reported_not_sent() {
        let layout = RecordLayout {
            key: RecordKey::TraceId,
            encoding: ValueEncoding::OtlpProto,
            max_record_bytes: 4096,
        };
        let mut req = request(1, 3, 100);
        req.resource_spans[0].scope_spans[0].spans[1].name = "y".repeat(10_000);
        let out = layout.split_traces(req, headers());
        assert_eq!(out.oversized_items, 1);
        assert_eq!(out.batch.item_count(), 2);
    }

    #[test]
    fn log_records_are_keyed_by_session_then_trace_then_project_and_enveloped_with_their_signal() {
        use crate::otlp::{ExportLogsServiceRequest, LogRecord, ResourceLogs, ScopeLogs};
        let record = |session: Option<&str>, trace: Vec<u8>| LogRecord {
            attributes: session
                .map(|s| {
                    vec![KeyValue {
                        key: "gen_ai.conversation.id".into(),
                        value: Some(AnyValue {
                            value: Some(any_value::Value::StringValue(s.into())),
                        }),
                        ..Default::default()
                    }]
                })
                .unwrap_or_default(),
            trace_id: trace,
            ..Default::default()
        };
        let request = ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records: vec![
                        record(Some("s-1"), vec![1; 16]),
                        record(None, vec![2; 16]),
                        record(None, Vec::new()),
                        record(Some("s-1"), Vec::new()),
                    ],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let layout = RecordLayout {
            key: RecordKey::TraceId,
            encoding: ValueEncoding::Envelope,
            max_record_bytes: 100_000,
        };
        let out = layout.split(
            ExportRequest::Logs(request),
            RecordHeaders {
                signal: Signal::Logs,
                ..headers()
            },
        );
        let keys: Vec<(&str, usize)> = out
            .batch
            .records
            .iter()
            .map(|r| (r.key.as_str(), r.item_count))
            .collect();
        assert_eq!(keys, [("s-1", 2), ("02020202020202020202020202020202", 1), ("p", 1)]);
        assert_eq!(out.batch.item_count(), 4);
        let envelope = TraceEnvelope::decode(&out.batch.records[0].value[..]).unwrap();
        assert_eq!(envelope.signal, "logs");
        assert!(envelope.request.is_none() && envelope.metrics.is_none());
        assert_eq!(crate::otlp::log_record_count(&envelope.logs.unwrap()), 2);
    }

    #[test]
    fn log_and_metric_batches_over_the_limit_are_split_with_nothing_lost() {
        use crate::otlp::metrics::{metric, Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics};
        use crate::otlp::{ExportLogsServiceRequest, ExportMetricsServiceRequest, LogRecord, ResourceLogs, ScopeLogs};
        let layout = RecordLayout {
            key: RecordKey::TraceId,
            encoding: ValueEncoding::OtlpProto,
            max_record_bytes: 4096,
        };
        let body = |i: usize| AnyValue {
            value: Some(any_value::Value::StringValue(format!("{i:0>300}"))),
        };
        let logs = ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records: (0..100)
                        .map(|i| LogRecord {
                            body: Some(body(i)),
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let out = layout.split(ExportRequest::Logs(logs), headers());
        assert!(out.batch.records.len() >= 8, "{} records", out.batch.records.len());
        assert!(out.batch.records.iter().all(|r| r.value.len() <= 4096 && r.key == "p"));
        assert_eq!(out.batch.item_count(), 100);
        assert_eq!(out.oversized_items, 0);
        let points = |n: usize| Metric {
            name: "m".into(),
            data: Some(metric::Data::Gauge(Gauge {
                data_points: vec![NumberDataPoint::default(); n],
            })),
            ..Default::default()
        };
        let metrics = ExportMetricsServiceRequest {
            resource_metrics: vec![ResourceMetrics {
                scope_metrics: vec![ScopeMetrics {
                    // A metric too large for any record alone is reported by its points.
                    metrics: vec![points(3), points(2000), points(4)],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let out = layout.split(ExportRequest::Metrics(metrics), headers());
        assert_eq!(out.oversized_items, 2000);
        assert_eq!(out.batch.item_count(), 7);
    }
}
