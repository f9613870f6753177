//! Contexts (resource, scope, span, span event, log, metric, data point), the telemetry a
//! statement runs on, and the fields a path can name in each.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use super::key_summary::KeySummary;
use super::value::Value;
use crate::otlp::metrics::Metric;
pub use crate::otlp::SEVERITY_NUMBER_NAMES;
use crate::otlp::{InstrumentationScope, KeyValue, LogRecord, Resource, Span};

/// Within one signal, ordered from least to most specific (for inference); which
/// contexts a context can read is `can_reach`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContextKind {
    Resource,
    Scope,
    Span,
    SpanEvent,
    Log,
    Metric,
    DataPoint,
}

impl ContextKind {
    pub const ALL: [ContextKind; 7] = [
        ContextKind::Resource,
        ContextKind::Scope,
        ContextKind::Span,
        ContextKind::SpanEvent,
        ContextKind::Log,
        ContextKind::Metric,
        ContextKind::DataPoint,
    ];

    /// A path prefix or a group's `context:` value.
    pub fn parse(name: &str) -> Option<ContextKind> {
        match name {
            "resource" => Some(ContextKind::Resource),
            "scope" | "instrumentation_scope" => Some(ContextKind::Scope),
            "span" => Some(ContextKind::Span),
            "spanevent" => Some(ContextKind::SpanEvent),
            "log" => Some(ContextKind::Log),
            "metric" => Some(ContextKind::Metric),
            "datapoint" => Some(ContextKind::DataPoint),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ContextKind::Resource => "resource",
            ContextKind::Scope => "scope",
            ContextKind::Span => "span",
            ContextKind::SpanEvent => "spanevent",
            ContextKind::Log => "log",
            ContextKind::Metric => "metric",
            ContextKind::DataPoint => "datapoint",
        }
    }

    /// Whether statements running in `self` can reach paths of `other`: a context reads
    /// the ones that contain it.
    pub fn can_reach(self, other: ContextKind) -> bool {
        use ContextKind::*;
        other == self
            || matches!(other, Resource | Scope) && self != Resource
            || matches!((self, other), (SpanEvent, Span) | (DataPoint, Metric))
            || (self == Scope && other == Resource)
    }
}

/// What one statement runs on. Less specific parts are always there; the span, event,
/// log record, metric and data point only in their contexts.
pub struct Target<'a> {
    pub resource: &'a mut Resource,
    pub resource_schema_url: &'a mut String,
    pub scope: Option<(&'a mut InstrumentationScope, &'a mut String)>,
    pub span: Option<&'a mut Span>,
    pub event_index: Option<usize>,
    pub log: Option<&'a mut LogRecord>,
    pub metric: Option<&'a mut Metric>,
    /// The data point's index in the metric's points.
    pub point_index: Option<usize>,
    /// Scratch space shared by the statements of one group on one item; never exported.
    pub cache: Vec<KeyValue>,
    /// Values derived from this item's attributes under a prefix, kept until an attribute
    /// under that prefix is written (see `MemoEntry`).
    pub memo: RefCell<Vec<MemoEntry>>,
    /// The values lambdas bound to their formals, by slot (see `ottl::lambda`).
    pub locals: RefCell<Vec<Value<'static>>>,
    /// Which keys the item's own attributes may hold (`summarize_own_attributes`).
    /// With the context they are of (`own_context` when summarized), so a read compares
    /// one field instead of working the context out again.
    own_keys: Cell<Option<(ContextKind, KeySummary)>>,
}

/// The cache and memo of one item, kept by a runner between items so their storage is
/// allocated once per request rather than once per item.
#[derive(Default)]
pub struct Scratch {
    cache: Vec<KeyValue>,
    memo: Vec<MemoEntry>,
}

impl Scratch {
    /// Gives `target` this storage, empty.
    pub fn lend(&mut self, target: &mut Target<'_>) {
        self.cache.clear();
        self.memo.clear();
        target.cache = std::mem::take(&mut self.cache);
        *target.memo.get_mut() = std::mem::take(&mut self.memo);
    }

    /// Takes the storage back from a target that is done.
    pub fn reclaim(&mut self, mut target: Target<'_>) {
        self.cache = std::mem::take(&mut target.cache);
        self.memo = std::mem::take(target.memo.get_mut());
    }
}

/// How many views a memo entry holds (`GenAIMessages`' selects).
pub const MEMO_VIEWS: usize = 3;

pub type MemoViews = [Value<'static>; MEMO_VIEWS];

/// What a converter derived from the attributes of `context` under `prefix` (all of its
/// views at once), so a template asking for several views pays once. Any write to those
/// attributes under the prefix, or to the whole map, drops it.
#[derive(Debug)]
pub struct MemoEntry {
    pub context: ContextKind,
    pub prefix: Arc<str>,
    /// Which converter and arguments made it (e.g. the scheme).
    pub tag: Arc<str>,
    /// Held in place, not on the heap: an entry is made for most items a template runs on.
    pub views: MemoViews,
    /// Bit `i` set: view `i` was handed out by move and is no longer here.
    pub taken: u32,
}

impl Target<'_> {
    /// The value bound to a lambda's formal; nil outside its lambda.
    pub fn local(&self, slot: usize) -> Value<'static> {
        self.locals.borrow().get(slot).cloned().unwrap_or(Value::Nil)
    }

    /// Drops memo entries a write to `context`'s attributes makes stale: those under the
    /// written key's prefix, or all of the context's when the key is unknown.
    pub fn attributes_written(&mut self, context: ContextKind, key: Option<&str>) {
        self.attributes_written_with(context, key, key.map(KeySummary::bit_of));
    }

    /// As `attributes_written`, with the key's summary bit when the caller has it
    /// computed already (a literal key's, at compile time).
    pub fn attributes_written_with(&mut self, context: ContextKind, key: Option<&str>, bit: Option<u128>) {
        let own = self.own_keys.get_mut();
        if let Some((summarized, summary)) = own.as_mut() {
            if *summarized == context {
                match bit {
                    Some(bit) => summary.add_bit(bit),
                    None => *own = None,
                }
            }
        }
        self.forget_derived(context, key);
    }

    /// As `attributes_written`, for a write that only removes entries or changes values:
    /// the keys left are a subset of those before, so the key summary stays sound.
    pub fn attributes_shrunk(&mut self, context: ContextKind) {
        self.forget_derived(context, None);
    }

    fn forget_derived(&mut self, context: ContextKind, key: Option<&str>) {
        let memo = self.memo.get_mut();
        if memo.is_empty() {
            return;
        }
        let kept = |e: &MemoEntry| e.context != context || key.is_some_and(|k| !k.starts_with(&*e.prefix));
        // Usually a write elsewhere (a `gen_ai.*` key): nothing to drop, nothing to move.
        if memo.iter().all(kept) {
            return;
        }
        memo.retain(kept);
    }
}

impl Target<'_> {
    /// The context whose attributes are the item's own: a span's (also in span event
    /// context, where `attributes` of span are the event's span's), a log record's.
    fn own_context(&self) -> ContextKind {
        if self.span.is_some() {
            ContextKind::Span
        } else if self.log.is_some() {
            ContextKind::Log
        } else {
            // Nothing reads a summary for these.
            ContextKind::Metric
        }
    }

    /// The summary of the item's own keys as the group left it (kept sound by every
    /// write), for the next group on the same item.
    pub fn own_key_summary(&self) -> Option<KeySummary> {
        self.own_keys.get().map(|(_, summary)| summary)
    }

    /// Starts from a summary an earlier group left for this item.
    pub fn carry_own_key_summary(&mut self, summary: Option<KeySummary>) {
        let context = self.own_context();
        self.own_keys.set(summary.map(|summary| (context, summary)));
    }

    /// Summarizes the item's own attributes unless a summary is already there.
    pub fn ensure_own_key_summary(&mut self) {
        if self.own_keys.get().is_none() {
            self.summarize_own_attributes();
        }
    }

    /// Summarizes the item's own attributes, for a group about to run its statements.
    pub fn summarize_own_attributes(&mut self) {
        let summary = match (&self.span, &self.log) {
            (Some(span), _) => Some((ContextKind::Span, KeySummary::of(&span.attributes))),
            (None, Some(log)) => Some((ContextKind::Log, KeySummary::of(&log.attributes))),
            _ => None,
        };
        self.own_keys.set(summary);
    }

    /// True only when one of the keys summarized in `mask` is certainly not among
    /// `context`'s attributes.
    #[inline]
    pub fn rules_out(&self, context: ContextKind, mask: u128) -> bool {
        match self.own_keys.get() {
            Some((summarized, summary)) if summarized == context => summary.lacks_any(mask),
            _ => false,
        }
    }

    /// False only when `key` is certainly not among `context`'s attributes.
    #[inline]
    pub fn may_hold(&self, context: ContextKind, key: &str) -> bool {
        match self.own_keys.get() {
            Some((summarized, summary)) if summarized == context => summary.may_hold(key),
            _ => true,
        }
    }
}

impl<'a> Target<'a> {
    /// A target in resource context; the caller fills in what its context has.
    pub fn new(resource: &'a mut Resource, resource_schema_url: &'a mut String) -> Target<'a> {
        Target {
            resource,
            resource_schema_url,
            scope: None,
            span: None,
            event_index: None,
            log: None,
            metric: None,
            point_index: None,
            cache: Vec::new(),
            memo: RefCell::new(Vec::new()),
            locals: RefCell::new(Vec::new()),
            own_keys: Cell::new(None),
        }
    }
}

/// A field a path names, after its context prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Attributes(ContextKind),
    DroppedAttributesCount(ContextKind),
    SchemaUrl(ContextKind),
    Cache,
    ScopeName,
    ScopeVersion,
    TraceId,
    TraceIdString,
    SpanId,
    SpanIdString,
    ParentSpanId,
    ParentSpanIdString,
    TraceState,
    SpanName,
    Kind,
    KindString,
    KindDeprecatedString,
    StartTimeUnixNano,
    EndTimeUnixNano,
    StartTime,
    EndTime,
    DroppedEventsCount,
    DroppedLinksCount,
    Events,
    Links,
    Status,
    StatusCode,
    StatusMessage,
    EventName,
    EventTimeUnixNano,
    EventTime,
    EventIndex,
    LogTimeUnixNano,
    LogObservedTimeUnixNano,
    LogTime,
    LogObservedTime,
    SeverityNumber,
    SeverityText,
    Body,
    BodyString,
    LogFlags,
    LogTraceId,
    LogTraceIdString,
    LogSpanId,
    LogSpanIdString,
    LogEventName,
    MetricName,
    MetricDescription,
    MetricUnit,
    MetricType,
    MetricAggregationTemporality,
    MetricIsMonotonic,
    PointStartTimeUnixNano,
    PointTimeUnixNano,
    PointStartTime,
    PointTime,
    PointValueDouble,
    PointValueInt,
    PointFlags,
    PointCount,
    PointSum,
}

impl Field {
    /// Whether `name["k"]` indexing is meaningful.
    pub fn takes_keys(self) -> bool {
        matches!(
            self,
            Field::Attributes(_) | Field::Cache | Field::TraceState | Field::Body
        )
    }

    /// The context that owns the field.
    pub fn context(self) -> Option<ContextKind> {
        Some(match self {
            Field::Attributes(c) | Field::DroppedAttributesCount(c) | Field::SchemaUrl(c) => c,
            Field::Cache => return None,
            Field::ScopeName | Field::ScopeVersion => ContextKind::Scope,
            Field::EventName | Field::EventTimeUnixNano | Field::EventTime | Field::EventIndex => {
                ContextKind::SpanEvent
            }
            Field::LogTimeUnixNano
            | Field::LogObservedTimeUnixNano
            | Field::LogTime
            | Field::LogObservedTime
            | Field::SeverityNumber
            | Field::SeverityText
            | Field::Body
            | Field::BodyString
            | Field::LogFlags
            | Field::LogTraceId
            | Field::LogTraceIdString
            | Field::LogSpanId
            | Field::LogSpanIdString
            | Field::LogEventName => ContextKind::Log,
            Field::MetricName
            | Field::MetricDescription
            | Field::MetricUnit
            | Field::MetricType
            | Field::MetricAggregationTemporality
            | Field::MetricIsMonotonic => ContextKind::Metric,
            Field::PointStartTimeUnixNano
            | Field::PointTimeUnixNano
            | Field::PointStartTime
            | Field::PointTime
            | Field::PointValueDouble
            | Field::PointValueInt
            | Field::PointFlags
            | Field::PointCount
            | Field::PointSum => ContextKind::DataPoint,
            _ => ContextKind::Span,
        })
    }
}

/// The field names of each context, in the order error messages list them.
pub fn field_names(context: ContextKind) -> &'static [&'static str] {
    match context {
        ContextKind::Resource => RESOURCE_FIELDS,
        ContextKind::Scope => SCOPE_FIELDS,
        ContextKind::Span => SPAN_FIELDS,
        ContextKind::SpanEvent => SPAN_EVENT_FIELDS,
        ContextKind::Log => LOG_FIELDS,
        ContextKind::Metric => METRIC_FIELDS,
        ContextKind::DataPoint => DATA_POINT_FIELDS,
    }
}

const RESOURCE_FIELDS: &[&str] = &["attributes", "dropped_attributes_count", "schema_url", "cache"];
const SCOPE_FIELDS: &[&str] = &[
    "name",
    "version",
    "attributes",
    "dropped_attributes_count",
    "schema_url",
    "cache",
];
const SPAN_FIELDS: &[&str] = &[
    "trace_id",
    "trace_id.string",
    "span_id",
    "span_id.string",
    "parent_span_id",
    "parent_span_id.string",
    "trace_state",
    "name",
    "kind",
    "kind.string",
    "kind.deprecated_string",
    "start_time_unix_nano",
    "end_time_unix_nano",
    "start_time",
    "end_time",
    "attributes",
    "dropped_attributes_count",
    "events",
    "dropped_events_count",
    "links",
    "dropped_links_count",
    "status",
    "status.code",
    "status.message",
    "cache",
];
const SPAN_EVENT_FIELDS: &[&str] = &[
    "time_unix_nano",
    "time",
    "name",
    "attributes",
    "dropped_attributes_count",
    "event_index",
    "cache",
];
const LOG_FIELDS: &[&str] = &[
    "time_unix_nano",
    "observed_time_unix_nano",
    "time",
    "observed_time",
    "severity_number",
    "severity_text",
    "body",
    "body.string",
    "attributes",
    "dropped_attributes_count",
    "flags",
    "trace_id",
    "trace_id.string",
    "span_id",
    "span_id.string",
    "event_name",
    "cache",
];
const METRIC_FIELDS: &[&str] = &[
    "name",
    "description",
    "unit",
    "type",
    "aggregation_temporality",
    "is_monotonic",
    "cache",
];
const DATA_POINT_FIELDS: &[&str] = &[
    "attributes",
    "start_time_unix_nano",
    "time_unix_nano",
    "start_time",
    "time",
    "value_double",
    "value_int",
    "flags",
    "count",
    "sum",
    "cache",
];

/// Resolves `name[.sub]` in `context` to a field.
pub fn resolve_field(context: ContextKind, name: &str, sub: Option<&str>) -> Option<Field> {
    use ContextKind::*;
    Some(match (context, name, sub) {
        (Metric, "attributes", None) => return None,
        (_, "attributes", None) => Field::Attributes(context),
        (Metric | DataPoint, "dropped_attributes_count", None) => return None,
        (_, "dropped_attributes_count", None) => Field::DroppedAttributesCount(context),
        (_, "cache", None) => Field::Cache,
        (Resource | Scope, "schema_url", None) => Field::SchemaUrl(context),
        (Log, name, sub) => return resolve_log_field(name, sub),
        (Metric | DataPoint, name, None) => return resolve_metric_field(context, name),
        (Scope, "name", None) => Field::ScopeName,
        (Scope, "version", None) => Field::ScopeVersion,
        (Span, "trace_id", None) => Field::TraceId,
        (Span, "trace_id", Some("string")) => Field::TraceIdString,
        (Span, "span_id", None) => Field::SpanId,
        (Span, "span_id", Some("string")) => Field::SpanIdString,
        (Span, "parent_span_id", None) => Field::ParentSpanId,
        (Span, "parent_span_id", Some("string")) => Field::ParentSpanIdString,
        (Span, "trace_state", None) => Field::TraceState,
        (Span, "name", None) => Field::SpanName,
        (Span, "kind", None) => Field::Kind,
        (Span, "kind", Some("string")) => Field::KindString,
        (Span, "kind", Some("deprecated_string")) => Field::KindDeprecatedString,
        (Span, "start_time_unix_nano", None) => Field::StartTimeUnixNano,
        (Span, "end_time_unix_nano", None) => Field::EndTimeUnixNano,
        (Span, "start_time", None) => Field::StartTime,
        (Span, "end_time", None) => Field::EndTime,
        (Span, "events", None) => Field::Events,
        (Span, "dropped_events_count", None) => Field::DroppedEventsCount,
        (Span, "links", None) => Field::Links,
        (Span, "dropped_links_count", None) => Field::DroppedLinksCount,
        (Span, "status", None) => Field::Status,
        (Span, "status", Some("code")) => Field::StatusCode,
        (Span, "status", Some("message")) => Field::StatusMessage,
        (SpanEvent, "time_unix_nano", None) => Field::EventTimeUnixNano,
        (SpanEvent, "time", None) => Field::EventTime,
        (SpanEvent, "name", None) => Field::EventName,
        (SpanEvent, "event_index", None) => Field::EventIndex,
        _ => return None,
    })
}

fn resolve_log_field(name: &str, sub: Option<&str>) -> Option<Field> {
    Some(match (name, sub) {
        ("time_unix_nano", None) => Field::LogTimeUnixNano,
        ("observed_time_unix_nano", None) => Field::LogObservedTimeUnixNano,
        ("time", None) => Field::LogTime,
        ("observed_time", None) => Field::LogObservedTime,
        ("severity_number", None) => Field::SeverityNumber,
        ("severity_text", None) => Field::SeverityText,
        ("body", None) => Field::Body,
        ("body", Some("string")) => Field::BodyString,
        ("flags", None) => Field::LogFlags,
        ("trace_id", None) => Field::LogTraceId,
        ("trace_id", Some("string")) => Field::LogTraceIdString,
        ("span_id", None) => Field::LogSpanId,
        ("span_id", Some("string")) => Field::LogSpanIdString,
        ("event_name", None) => Field::LogEventName,
        _ => return None,
    })
}

fn resolve_metric_field(context: ContextKind, name: &str) -> Option<Field> {
    Some(match (context, name) {
        (ContextKind::Metric, "name") => Field::MetricName,
        (ContextKind::Metric, "description") => Field::MetricDescription,
        (ContextKind::Metric, "unit") => Field::MetricUnit,
        (ContextKind::Metric, "type") => Field::MetricType,
        (ContextKind::Metric, "aggregation_temporality") => Field::MetricAggregationTemporality,
        (ContextKind::Metric, "is_monotonic") => Field::MetricIsMonotonic,
        (ContextKind::DataPoint, "start_time_unix_nano") => Field::PointStartTimeUnixNano,
        (ContextKind::DataPoint, "time_unix_nano") => Field::PointTimeUnixNano,
        (ContextKind::DataPoint, "start_time") => Field::PointStartTime,
        (ContextKind::DataPoint, "time") => Field::PointTime,
        (ContextKind::DataPoint, "value_double") => Field::PointValueDouble,
        (ContextKind::DataPoint, "value_int") => Field::PointValueInt,
        (ContextKind::DataPoint, "flags") => Field::PointFlags,
        (ContextKind::DataPoint, "count") => Field::PointCount,
        (ContextKind::DataPoint, "sum") => Field::PointSum,
        _ => return None,
    })
}

/// `METRIC_DATA_TYPE_*` names, in the values upstream gives them.
pub const METRIC_TYPE_NAMES: [&str; 6] = [
    "METRIC_DATA_TYPE_NONE",
    "METRIC_DATA_TYPE_GAUGE",
    "METRIC_DATA_TYPE_SUM",
    "METRIC_DATA_TYPE_HISTOGRAM",
    "METRIC_DATA_TYPE_EXPONENTIAL_HISTOGRAM",
    "METRIC_DATA_TYPE_SUMMARY",
];

pub const SPAN_KIND_NAMES: [&str; 6] = ["Unspecified", "Internal", "Server", "Client", "Producer", "Consumer"];
pub use crate::otlp::SPAN_KIND_ENUM_NAMES as SPAN_KIND_DEPRECATED;

/// The enums statements can name.
pub fn enum_value(name: &str) -> Option<i64> {
    let lists: [&[&str]; 3] = [&SPAN_KIND_DEPRECATED, &SEVERITY_NUMBER_NAMES, &METRIC_TYPE_NAMES];
    if let Some(i) = lists.iter().find_map(|list| list.iter().position(|n| *n == name)) {
        return Some(i as i64);
    }
    match name {
        "STATUS_CODE_UNSET" => Some(0),
        "STATUS_CODE_OK" => Some(1),
        "STATUS_CODE_ERROR" => Some(2),
        "AGGREGATION_TEMPORALITY_UNSPECIFIED" => Some(0),
        "AGGREGATION_TEMPORALITY_DELTA" => Some(1),
        "AGGREGATION_TEMPORALITY_CUMULATIVE" => Some(2),
        _ => None,
    }
}
