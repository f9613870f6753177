//! Contexts (resource, scope, span, span event), the telemetry a statement runs on, and
//! the fields a path can name in each. `log` would be one more `ContextKind` and its
//! fields; the evaluator does not change.

use crate::otlp::{InstrumentationScope, KeyValue, Resource, Span};

/// Ordered from least to most specific: a context can read every less specific one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContextKind {
    Resource,
    Scope,
    Span,
    SpanEvent,
}

impl ContextKind {
    pub const ALL: [ContextKind; 4] = [
        ContextKind::Resource,
        ContextKind::Scope,
        ContextKind::Span,
        ContextKind::SpanEvent,
    ];

    /// A path prefix or a group's `context:` value.
    pub fn parse(name: &str) -> Option<ContextKind> {
        match name {
            "resource" => Some(ContextKind::Resource),
            "scope" | "instrumentation_scope" => Some(ContextKind::Scope),
            "span" => Some(ContextKind::Span),
            "spanevent" => Some(ContextKind::SpanEvent),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ContextKind::Resource => "resource",
            ContextKind::Scope => "scope",
            ContextKind::Span => "span",
            ContextKind::SpanEvent => "spanevent",
        }
    }

    /// Whether statements running in `self` can reach paths of `other`.
    pub fn can_reach(self, other: ContextKind) -> bool {
        other <= self
    }
}

/// What one statement runs on. Less specific parts are always there; the span and the
/// event only in their contexts.
pub struct Target<'a> {
    pub resource: &'a mut Resource,
    pub resource_schema_url: &'a mut String,
    pub scope: Option<(&'a mut InstrumentationScope, &'a mut String)>,
    pub span: Option<&'a mut Span>,
    pub event_index: Option<usize>,
    /// Scratch space shared by the statements of one group on one item; never exported.
    pub cache: Vec<KeyValue>,
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
}

impl Field {
    /// Whether `name["k"]` indexing is meaningful.
    pub fn takes_keys(self) -> bool {
        matches!(self, Field::Attributes(_) | Field::Cache | Field::TraceState)
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
            _ => ContextKind::Span,
        })
    }
}

/// The field names of each context, in the order error messages list them.
pub fn field_names(context: ContextKind) -> &'static [&'static str] {
    match context {
        ContextKind::Resource => &["attributes", "dropped_attributes_count", "schema_url", "cache"],
        ContextKind::Scope => &[
            "name",
            "version",
            "attributes",
            "dropped_attributes_count",
            "schema_url",
            "cache",
        ],
        ContextKind::Span => &[
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
        ],
        ContextKind::SpanEvent => &[
            "time_unix_nano",
            "time",
            "name",
            "attributes",
            "dropped_attributes_count",
            "event_index",
            "cache",
        ],
    }
}

/// Resolves `name[.sub]` in `context` to a field.
pub fn resolve_field(context: ContextKind, name: &str, sub: Option<&str>) -> Option<Field> {
    use ContextKind::*;
    Some(match (context, name, sub) {
        (_, "attributes", None) => Field::Attributes(context),
        (_, "dropped_attributes_count", None) => Field::DroppedAttributesCount(context),
        (_, "cache", None) => Field::Cache,
        (Resource | Scope, "schema_url", None) => Field::SchemaUrl(context),
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

pub const SPAN_KIND_NAMES: [&str; 6] = ["Unspecified", "Internal", "Server", "Client", "Producer", "Consumer"];
pub const SPAN_KIND_DEPRECATED: [&str; 6] = [
    "SPAN_KIND_UNSPECIFIED",
    "SPAN_KIND_INTERNAL",
    "SPAN_KIND_SERVER",
    "SPAN_KIND_CLIENT",
    "SPAN_KIND_PRODUCER",
    "SPAN_KIND_CONSUMER",
];

/// The enums statements on traces can name.
pub fn enum_value(name: &str) -> Option<i64> {
    if let Some(i) = SPAN_KIND_DEPRECATED.iter().position(|n| *n == name) {
        return Some(i as i64);
    }
    match name {
        "STATUS_CODE_UNSET" => Some(0),
        "STATUS_CODE_OK" => Some(1),
        "STATUS_CODE_ERROR" => Some(2),
        _ => None,
    }
}
