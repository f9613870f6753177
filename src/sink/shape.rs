//! The resource → scope → item shape logs and metrics share, so one splitter serves both:
//! a request taken apart into its items (each remembering its resource and scope) and
//! put back together from any subset of them.

use prost::Message;

use super::envelope::TraceEnvelope;
use crate::otlp::metrics::{Metric, ResourceMetrics, ScopeMetrics};
use crate::otlp::{
    any_value, json, metric_point_count, ExportLogsServiceRequest, ExportMetricsServiceRequest, InstrumentationScope,
    KeyValue, LogRecord, Resource, ResourceLogs, ScopeLogs,
};

/// Where an item's record key comes from, borrowed from the item: a key string is only
/// allocated once per distinct key, not per item.
pub(super) enum ItemKey<'a> {
    Text(&'a str),
    /// A 16-byte trace id, keyed by its hex form.
    TraceId(&'a [u8]),
    Project,
}

/// One item with where it came from.
pub struct Entry<I> {
    pub resource: usize,
    pub scope: usize,
    pub item: I,
}

/// The resources and scopes of a request, kept once while its items are regrouped.
#[derive(Default)]
pub struct Containers {
    pub resources: Vec<(Option<Resource>, String)>,
    pub scopes: Vec<Vec<(Option<InstrumentationScope>, String)>>,
}

impl Containers {
    pub fn encoded_len(&self, (ri, si): (usize, usize)) -> usize {
        let (resource, url) = &self.resources[ri];
        let (scope, scope_url) = &self.scopes[ri][si];
        resource.as_ref().map_or(0, Message::encoded_len)
            + url.len()
            + scope.as_ref().map_or(0, Message::encoded_len)
            + scope_url.len()
            + 16
    }
}

/// A request of one signal, as items in containers.
pub trait Shape: Message + Default + Sized {
    type Item: Message;
    fn take_apart(self) -> (Containers, Vec<Entry<Self::Item>>);
    /// Rebuilds a request from entries in arrival order, cloning only container headers.
    fn assemble(containers: &Containers, entries: Vec<Entry<Self::Item>>) -> Self;
    /// Spans, log records or data points in one item.
    fn weight(item: &Self::Item) -> usize;
    fn encode_json(&self) -> Vec<u8>;
    /// Puts the request into the envelope's field for its signal.
    fn into_envelope(self, envelope: &mut TraceEnvelope);
    /// Takes it back out (after a too-large encoding, to split it further).
    fn from_envelope(envelope: &mut TraceEnvelope) -> Self;
}

/// Takes a request apart given how to reach its resource entries.
macro_rules! take_apart {
    ($request:expr, $resources:ident, $scopes:ident, $items:ident) => {{
        let mut containers = Containers::default();
        let mut entries = Vec::new();
        for (ri, r) in $request.$resources.into_iter().enumerate() {
            containers.resources.push((r.resource, r.schema_url));
            let mut scopes = Vec::with_capacity(r.$scopes.len());
            for (si, s) in r.$scopes.into_iter().enumerate() {
                scopes.push((s.scope, s.schema_url));
                entries.extend(s.$items.into_iter().map(|item| Entry {
                    resource: ri,
                    scope: si,
                    item,
                }));
            }
            containers.scopes.push(scopes);
        }
        (containers, entries)
    }};
}

/// Builds a request back from entries given its container types.
macro_rules! assemble {
    ($containers:expr, $entries:expr, $request:ident, $resources:ident, $resource_type:ident, $scopes:ident, $scope_type:ident, $items:ident) => {{
        let mut request = $request::default();
        let mut last: Option<(usize, usize)> = None;
        for entry in $entries {
            if last.map(|(r, _)| r) != Some(entry.resource) {
                let (resource, schema_url) = &$containers.resources[entry.resource];
                request.$resources.push($resource_type {
                    resource: resource.clone(),
                    $scopes: Vec::new(),
                    schema_url: schema_url.clone(),
                });
                last = None;
            }
            let Some(r) = request.$resources.last_mut() else {
                continue;
            };
            if last != Some((entry.resource, entry.scope)) {
                let (scope, schema_url) = &$containers.scopes[entry.resource][entry.scope];
                r.$scopes.push($scope_type {
                    scope: scope.clone(),
                    $items: Vec::new(),
                    schema_url: schema_url.clone(),
                });
            }
            if let Some(s) = r.$scopes.last_mut() {
                s.$items.push(entry.item);
            }
            last = Some((entry.resource, entry.scope));
        }
        request
    }};
}

impl Shape for ExportLogsServiceRequest {
    type Item = LogRecord;

    fn take_apart(self) -> (Containers, Vec<Entry<LogRecord>>) {
        take_apart!(self, resource_logs, scope_logs, log_records)
    }

    fn assemble(containers: &Containers, entries: Vec<Entry<LogRecord>>) -> Self {
        assemble!(
            containers,
            entries,
            ExportLogsServiceRequest,
            resource_logs,
            ResourceLogs,
            scope_logs,
            ScopeLogs,
            log_records
        )
    }

    fn weight(_: &LogRecord) -> usize {
        1
    }

    fn encode_json(&self) -> Vec<u8> {
        json::encode_logs_request(self)
    }

    fn into_envelope(self, envelope: &mut TraceEnvelope) {
        envelope.logs = Some(self);
    }

    fn from_envelope(envelope: &mut TraceEnvelope) -> Self {
        envelope.logs.take().unwrap_or_default()
    }
}

impl Shape for ExportMetricsServiceRequest {
    type Item = Metric;

    fn take_apart(self) -> (Containers, Vec<Entry<Metric>>) {
        take_apart!(self, resource_metrics, scope_metrics, metrics)
    }

    fn assemble(containers: &Containers, entries: Vec<Entry<Metric>>) -> Self {
        assemble!(
            containers,
            entries,
            ExportMetricsServiceRequest,
            resource_metrics,
            ResourceMetrics,
            scope_metrics,
            ScopeMetrics,
            metrics
        )
    }

    fn weight(metric: &Metric) -> usize {
        metric_point_count(metric)
    }

    fn encode_json(&self) -> Vec<u8> {
        json::encode_metrics_request(self)
    }

    fn into_envelope(self, envelope: &mut TraceEnvelope) {
        envelope.metrics = Some(self);
    }

    fn from_envelope(envelope: &mut TraceEnvelope) -> Self {
        envelope.metrics.take().unwrap_or_default()
    }
}

/// A string attribute's value.
pub fn string_attribute<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
            any_value::Value::StringValue(s) if !s.is_empty() => Some(s.as_str()),
            _ => None,
        })
}
