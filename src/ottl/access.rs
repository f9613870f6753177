//! OTLP field access: what a compiled path reads from and writes to in each context.
//! Getters borrow; setters are strict about types (except where upstream is lenient).

use std::borrow::Cow;

use super::context::{Field, Target, SPAN_KIND_DEPRECATED, SPAN_KIND_NAMES};
use super::eval::{
    find, get_in_map, key_eq, owned_keys, resolve_keys, set_in_map, CompiledPath, EvalError, EvalResult, ResolvedKey,
};
use super::key_summary::KeySummary;
use super::log_access::{body_map, get_log, set_log};
use super::metric_access::{get_metric, get_point, point_attributes, point_attributes_mut, set_metric, set_point};
use super::value::{fixed, Value};
use crate::otlp::{AnyValue, KeyValue, Span};

#[inline]
fn need<T>(value: Option<T>, what: &str) -> EvalResult<T> {
    match value {
        Some(value) => Ok(value),
        None => Err(unavailable(what)),
    }
}

/// Out of line: the message is built only on the rare failure, and every caller of `need`
/// keeps its fast path free of the formatting.
#[cold]
#[inline(never)]
fn unavailable(what: &str) -> EvalError {
    EvalError::new(format!("{what} is not available in this context"))
}

impl CompiledPath {
    /// For a path of literal keys on a span's, log record's, resource's or scope's
    /// attributes or on the cache: the value at its first key, read in place (the caller
    /// indexes it with the others). None for any other path, or when the map is not there
    /// (the general read then says why).
    ///
    /// The value is made here, in the caller: what comes back from the search is a
    /// reference, in registers. A `Value` returned from a call comes back through memory,
    /// written a field at a time and read back whole, which stalls the load on the stores.
    #[inline(always)]
    pub fn read_first_key<'a>(&'a self, target: &'a Target<'_>) -> Option<Value<'a>> {
        Some(match self.first_key_entry(target)? {
            Some(value) => Value::from_any(value),
            None => Value::Nil,
        })
    }

    /// `read_first_key`'s search: None when the path is not of that kind, Some(None) when
    /// the key is absent (or holds nothing).
    pub(super) fn first_key_entry<'a>(&'a self, target: &'a Target<'_>) -> Option<Option<&'a AnyValue>> {
        let key = self.first_key.as_deref()?;
        if let Field::Attributes(ctx) = self.field {
            if target.rules_out(ctx, self.first_key_bit) {
                return Some(None);
            }
        }
        Some(find(self.stored_map(target)?, key).and_then(|kv| kv.value.as_ref()))
    }

    /// The whole map when the path is a keyless `attributes` or `cache` that the target
    /// has: what `get` returns as a map, without its general dispatch.
    #[inline]
    pub fn whole_map<'a>(&self, target: &'a Target<'_>) -> Option<&'a [KeyValue]> {
        if !self.keys.is_empty() {
            return None;
        }
        self.stored_map(target)
    }

    /// The map this path's field is when it is the cache or the attributes of a span, log
    /// record, resource or scope the target has (the keys aside); None for any other.
    #[inline]
    fn stored_map<'a>(&self, target: &'a Target<'_>) -> Option<&'a [KeyValue]> {
        use super::context::ContextKind as C;
        Some(match self.field {
            Field::Cache => &target.cache,
            Field::Attributes(C::Span) => &target.span.as_deref()?.attributes,
            Field::Attributes(C::Log) => &target.log.as_deref()?.attributes,
            Field::Attributes(C::Resource) => &target.resource.attributes,
            Field::Attributes(C::Scope) => &target.scope.as_ref()?.0.attributes,
            _ => return None,
        })
    }

    pub fn get<'a>(&'a self, target: &'a Target<'_>) -> EvalResult<Value<'a>> {
        if let Some(keys) = &self.static_keys {
            return self.get_with(target, keys);
        }
        let keys = resolve_keys(&self.keys, target)?;
        self.get_with(target, &keys)
    }

    fn get_with<'a>(&self, target: &'a Target<'_>, keys: &[ResolvedKey<'_>]) -> EvalResult<Value<'a>> {
        use super::context::ContextKind as C;
        let span = || need(target.span.as_deref(), "span");
        let event = || {
            let span = need(target.span.as_deref(), "span")?;
            let index = need(target.event_index, "span event")?;
            need(span.events.get(index), "span event")
        };
        let scope = || need(target.scope.as_ref().map(|(s, _)| &**s), "scope");
        Ok(match self.field {
            Field::Attributes(ctx) => {
                let map: &[KeyValue] = match ctx {
                    C::Resource => &target.resource.attributes,
                    C::Scope => &scope()?.attributes,
                    C::Span => &span()?.attributes,
                    C::SpanEvent => &event()?.attributes,
                    C::Log => &log_ref(target)?.attributes,
                    C::DataPoint => {
                        let (metric, index) = point_ref(target)?;
                        need(point_attributes(metric, index), "data point")?
                    }
                    C::Metric => return Err(EvalError::new("metrics have no attributes")),
                };
                if let Some(ResolvedKey::Str(first)) = keys.first() {
                    if !target.may_hold(ctx, first) {
                        return Ok(Value::Nil);
                    }
                }
                return get_in_map(map, keys);
            }
            Field::Cache => return get_in_map(&target.cache, keys),
            Field::DroppedAttributesCount(ctx) => Value::Int(i64::from(match ctx {
                C::Resource => target.resource.dropped_attributes_count,
                C::Scope => scope()?.dropped_attributes_count,
                C::Span => span()?.dropped_attributes_count,
                C::SpanEvent => event()?.dropped_attributes_count,
                C::Log => log_ref(target)?.dropped_attributes_count,
                C::Metric | C::DataPoint => 0,
            })),
            Field::SchemaUrl(C::Resource) => Value::str(target.resource_schema_url.as_str()),
            Field::SchemaUrl(_) => Value::str(need(target.scope.as_ref().map(|(_, u)| u.as_str()), "scope")?),
            Field::ScopeName => Value::str(&scope()?.name),
            Field::ScopeVersion => Value::str(&scope()?.version),
            Field::EventName | Field::EventTimeUnixNano | Field::EventTime | Field::EventIndex => {
                get_event(self.field, target)?
            }
            field if field.context() == Some(C::Log) => return get_log(field, log_ref(target)?, keys),
            field if field.context() == Some(C::Metric) => {
                return get_metric(field, need(target.metric.as_deref(), "metric")?)
            }
            field if field.context() == Some(C::DataPoint) => {
                let (metric, index) = point_ref(target)?;
                return get_point(field, metric, index);
            }
            span_field => return get_span(span_field, span()?, keys),
        })
    }

    /// Strict setter: a value of the wrong type is an error, never converted.
    ///
    /// Inlined into the editors: the value goes into the attributes without first being
    /// copied through memory into a call (see `read_first_key`).
    #[inline(always)]
    pub fn set(&self, target: &mut Target<'_>, value: Value<'static>) -> EvalResult<()> {
        if let (Some(key), Some([_])) = (self.first_key.as_deref(), self.static_keys.as_deref()) {
            return self.set_one_key(target, key, value.into_any());
        }
        if let Some(keys) = &self.static_keys {
            return self.set_with(target, keys, value);
        }
        let keys = owned_keys(resolve_keys(&self.keys, target)?);
        self.set_with(target, &keys, value)
    }

    /// Writes a stored value to this path, which must be one literal key of attributes or
    /// the cache (`is_one_literal_key`): for a value moved from another attribute.
    pub fn set_stored(&self, target: &mut Target<'_>, value: AnyValue) -> EvalResult<()> {
        match (self.first_key.as_deref(), self.static_keys.as_deref()) {
            (Some(key), Some([_])) => self.set_one_key(target, key, value),
            _ => Err(EvalError::new(format!("path {} is not one literal key", self.text))),
        }
    }

    /// `set` of one literal key of attributes or the cache, the commonest write: what
    /// `set_with` does for it, without walking a key list.
    #[inline(always)]
    fn set_one_key(&self, target: &mut Target<'_>, key: &str, value: AnyValue) -> EvalResult<()> {
        let mut absent = false;
        if let Field::Attributes(context) = self.field {
            absent = target.rules_out(context, self.first_key_bit);
            target.attributes_written_with(context, Some(key), Some(self.first_key_bit));
        }
        let map = self.map_mut_unannounced(target)?;
        let value = Some(value);
        let existing = if absent {
            None
        } else {
            map.iter_mut().find(|kv| key_eq(&kv.key, key))
        };
        match existing {
            Some(kv) => kv.value = value,
            None => map.push(KeyValue {
                key: key.to_owned(),
                value,
                ..Default::default()
            }),
        }
        Ok(())
    }

    pub fn set_with(&self, target: &mut Target<'_>, keys: &[ResolvedKey<'_>], value: Value<'static>) -> EvalResult<()> {
        use super::context::ContextKind as C;
        let field = self.field;
        let wrong = |value: &Value<'_>, want: &str| self.wrong_type(value, want);
        match field {
            Field::Attributes(_) | Field::Cache => {
                let mut absent = false;
                if let Field::Attributes(context) = field {
                    let written = match keys.first() {
                        Some(ResolvedKey::Str(k)) => Some(k.as_ref()),
                        _ => None,
                    };
                    // The path's own literal keys: the first one's bit was computed at
                    // compile time.
                    let literal =
                        self.first_key.is_some() && self.static_keys.as_deref().is_some_and(|s| std::ptr::eq(s, keys));
                    let bit = match written {
                        Some(_) if literal => Some(self.first_key_bit),
                        Some(k) => Some(KeySummary::bit_of(k)),
                        None => None,
                    };
                    absent = bit.is_some_and(|bit| target.rules_out(context, bit));
                    target.attributes_written_with(context, written, bit);
                }
                let map = self.map_mut_unannounced(target)?;
                if keys.is_empty() {
                    match value {
                        Value::Map(m) => *map = m.into_owned(),
                        Value::Nil => map.clear(),
                        other => return Err(wrong(&other, "pcommon.Map")),
                    }
                    return Ok(());
                }
                return set_in_map(map, keys, value.into_any(), absent);
            }
            Field::DroppedAttributesCount(ctx) => {
                let Value::Int(n) = value else {
                    return Err(wrong(&value, "int64"));
                };
                let n = u32::try_from(n).map_err(|_| EvalError::new(format!("{n} is out of range for a count")))?;
                match ctx {
                    C::Resource => target.resource.dropped_attributes_count = n,
                    C::Scope => self.scope_mut(target)?.dropped_attributes_count = n,
                    C::Span => span_mut(target)?.dropped_attributes_count = n,
                    C::SpanEvent => event_mut(target)?.dropped_attributes_count = n,
                    C::Log => log_mut(target)?.dropped_attributes_count = n,
                    C::Metric | C::DataPoint => {
                        return Err(EvalError::new(format!("path {} cannot be set", self.text)))
                    }
                }
            }
            Field::SchemaUrl(ctx) => {
                let Value::Str(s) = value else {
                    return Err(wrong(&value, "string"));
                };
                match ctx {
                    C::Resource => *target.resource_schema_url = s.into_owned(),
                    _ => *need(target.scope.as_mut().map(|(_, u)| &mut **u), "scope")? = s.into_owned(),
                }
            }
            Field::ScopeName | Field::ScopeVersion => {
                let Value::Str(s) = value else {
                    return Err(wrong(&value, "string"));
                };
                let scope = self.scope_mut(target)?;
                if field == Field::ScopeName {
                    scope.name = s.into_owned();
                } else {
                    scope.version = s.into_owned();
                }
            }
            Field::EventName | Field::EventTimeUnixNano | Field::EventTime => {
                set_event(field, event_mut(target)?, value)
            }
            Field::Events | Field::Links | Field::Status | Field::EventIndex => {
                return Err(EvalError::new(format!("path {} cannot be set", self.text)))
            }
            field if field.context() == Some(C::Log) => {
                return set_log(&self.text, field, log_mut(target)?, keys, value)
            }
            field if field.context() == Some(C::Metric) => {
                return set_metric(&self.text, field, need(target.metric.as_deref_mut(), "metric")?, value)
            }
            field if field.context() == Some(C::DataPoint) => {
                let index = need(target.point_index, "data point")?;
                let metric = need(target.metric.as_deref_mut(), "data point")?;
                return set_point(&self.text, field, metric, index, value);
            }
            span_field => return self.set_span(span_field, target, keys, value),
        }
        Ok(())
    }

    /// Span fields: strict, a value of the wrong type is an error.
    fn set_span(
        &self,
        field: Field,
        target: &mut Target<'_>,
        keys: &[ResolvedKey<'_>],
        value: Value<'static>,
    ) -> EvalResult<()> {
        let wrong = |value: &Value<'_>, want: &str| self.wrong_type(value, want);
        match field {
            Field::TraceId
            | Field::SpanId
            | Field::ParentSpanId
            | Field::TraceIdString
            | Field::SpanIdString
            | Field::ParentSpanIdString => {
                let span = span_mut(target)?;
                return self.set_span_id(field, span, value);
            }
            Field::TraceState => {
                let Value::Str(s) = value else {
                    return Err(wrong(&value, "string"));
                };
                let span = span_mut(target)?;
                match keys.first() {
                    None => span.trace_state = s.into_owned(),
                    Some(ResolvedKey::Str(k)) => span.trace_state = trace_state_set(&span.trace_state, k, &s),
                    Some(ResolvedKey::Int(_)) => return Err(EvalError::new("trace_state keys must be strings")),
                }
            }
            Field::SpanName => {
                let Value::Str(s) = value else {
                    return Err(wrong(&value, "string"));
                };
                span_mut(target)?.name = s.into_owned();
            }
            Field::Kind | Field::KindString | Field::KindDeprecatedString => {
                let span = span_mut(target)?;
                return self.set_span_kind(field, span, value);
            }
            Field::StartTimeUnixNano
            | Field::EndTimeUnixNano
            | Field::StartTime
            | Field::EndTime
            | Field::DroppedEventsCount
            | Field::DroppedLinksCount => {
                let span = span_mut(target)?;
                return self.set_span_number(field, span, value);
            }
            Field::StatusCode => {
                let Value::Int(c) = value else {
                    return Err(wrong(&value, "int64"));
                };
                span_mut(target)?.status.get_or_insert_with(Default::default).code = c as i32;
            }
            Field::StatusMessage => {
                let Value::Str(s) = value else {
                    return Err(wrong(&value, "string"));
                };
                span_mut(target)?.status.get_or_insert_with(Default::default).message = s.into_owned();
            }
            _ => return Err(EvalError::new(format!("path {} cannot be set", self.text))),
        }
        Ok(())
    }

    fn set_span_id(&self, field: Field, span: &mut Span, value: Value<'static>) -> EvalResult<()> {
        let wrong = |value: &Value<'_>, want: &str| self.wrong_type(value, want);
        match field {
            Field::TraceId => match value {
                Value::TraceId(id) => span.trace_id = id.to_vec(),
                Value::Bytes(b) if b.len() == 16 => span.trace_id = b.into_owned(),
                other => return Err(wrong(&other, "pcommon.TraceID")),
            },
            Field::SpanId | Field::ParentSpanId => {
                let id = match value {
                    Value::SpanId(id) => id.to_vec(),
                    Value::Bytes(b) if b.len() == 8 => b.into_owned(),
                    other => return Err(wrong(&other, "pcommon.SpanID")),
                };
                if field == Field::SpanId {
                    span.span_id = id;
                } else {
                    span.parent_span_id = id;
                }
            }
            Field::TraceIdString | Field::SpanIdString | Field::ParentSpanIdString => {
                let Value::Str(s) = value else {
                    return Err(wrong(&value, "string"));
                };
                let want = if field == Field::TraceIdString { 16 } else { 8 };
                let bytes = hex::decode(s.as_ref())
                    .ok()
                    .filter(|b| b.len() == want)
                    .ok_or_else(|| EvalError::new(format!("`{s}` is not a {}-character hex id", want * 2)))?;
                match field {
                    Field::TraceIdString => span.trace_id = bytes,
                    Field::SpanIdString => span.span_id = bytes,
                    _ => span.parent_span_id = bytes,
                }
            }
            _ => return Err(EvalError::new(format!("path {} is not an id", self.text))),
        }
        Ok(())
    }

    /// Span times and counts.
    fn set_span_number(&self, field: Field, span: &mut Span, value: Value<'static>) -> EvalResult<()> {
        let wrong = |value: &Value<'_>, want: &str| self.wrong_type(value, want);
        match field {
            Field::StartTimeUnixNano | Field::EndTimeUnixNano | Field::StartTime | Field::EndTime => {
                let nanos = match (field, value) {
                    (Field::StartTimeUnixNano | Field::EndTimeUnixNano, Value::Int(n)) => n,
                    (Field::StartTime | Field::EndTime, Value::Time(t)) => t,
                    (_, other) => return Err(wrong(&other, "a time")),
                };
                if matches!(field, Field::StartTimeUnixNano | Field::StartTime) {
                    span.start_time_unix_nano = nanos as u64;
                } else {
                    span.end_time_unix_nano = nanos as u64;
                }
            }
            Field::DroppedEventsCount | Field::DroppedLinksCount => {
                let Value::Int(n) = value else {
                    return Err(wrong(&value, "int64"));
                };
                let n = u32::try_from(n).map_err(|_| EvalError::new(format!("{n} is out of range for a count")))?;
                if field == Field::DroppedEventsCount {
                    span.dropped_events_count = n;
                } else {
                    span.dropped_links_count = n;
                }
            }
            _ => return Err(EvalError::new(format!("path {} is not a number", self.text))),
        }
        Ok(())
    }

    fn set_span_kind(&self, field: Field, span: &mut Span, value: Value<'static>) -> EvalResult<()> {
        let wrong = |value: &Value<'_>, want: &str| self.wrong_type(value, want);
        match field {
            Field::Kind => {
                let Value::Int(k) = value else {
                    return Err(wrong(&value, "int64"));
                };
                span.kind = i32::try_from(k).map_err(|_| EvalError::new(format!("invalid span kind {k}")))?;
            }
            Field::KindString | Field::KindDeprecatedString => {
                let Value::Str(s) = value else {
                    return Err(wrong(&value, "string"));
                };
                let names: &[&str] = if field == Field::KindString {
                    &SPAN_KIND_NAMES
                } else {
                    &SPAN_KIND_DEPRECATED
                };
                let kind = names
                    .iter()
                    .position(|n| *n == s.as_ref())
                    .ok_or_else(|| EvalError::new(format!("unknown span kind `{s}`")))?;
                span.kind = kind as i32;
            }
            _ => return Err(EvalError::new(format!("path {} is not a kind", self.text))),
        }
        Ok(())
    }

    fn wrong_type(&self, value: &Value<'_>, want: &str) -> EvalError {
        EvalError::new(format!(
            "path {}: expected {want} but got {}",
            self.text,
            value.type_name()
        ))
    }

    /// The map an attributes or cache path names (for editors working on whole maps):
    /// anything derived from those attributes is stale after this.
    pub fn map_mut<'t>(&self, target: &'t mut Target<'_>) -> EvalResult<&'t mut Vec<KeyValue>> {
        if let Field::Attributes(context) = self.field {
            target.attributes_written(context, None);
        }
        self.map_mut_unannounced(target)
    }

    /// As `map_mut`, for an editor that only removes entries or changes values (deletes,
    /// keeps, limits, truncations): no key is added.
    pub fn map_mut_shrinking<'t>(&self, target: &'t mut Target<'_>) -> EvalResult<&'t mut Vec<KeyValue>> {
        if let Field::Attributes(context) = self.field {
            target.attributes_shrunk(context);
        }
        self.map_mut_unannounced(target)
    }

    fn map_mut_unannounced<'t>(&self, target: &'t mut Target<'_>) -> EvalResult<&'t mut Vec<KeyValue>> {
        use super::context::ContextKind as C;
        Ok(match self.field {
            Field::Attributes(C::Resource) => &mut target.resource.attributes,
            Field::Attributes(C::Scope) => &mut self.scope_mut(target)?.attributes,
            Field::Attributes(C::Span) => &mut span_mut(target)?.attributes,
            Field::Attributes(C::SpanEvent) => &mut event_mut(target)?.attributes,
            Field::Attributes(C::Log) => &mut log_mut(target)?.attributes,
            Field::Attributes(C::DataPoint) => {
                let index = need(target.point_index, "data point")?;
                let metric = need(target.metric.as_deref_mut(), "data point")?;
                need(point_attributes_mut(metric, index), "data point")?
            }
            Field::Body => {
                let text = &self.text;
                need(body_map(log_mut(target)?), "a map body")
                    .map_err(|_| EvalError::new(format!("path {text} is not a map")))?
            }
            Field::Cache => &mut target.cache,
            _ => return Err(EvalError::new(format!("path {} is not a map", self.text))),
        })
    }

    fn scope_mut<'t>(&self, target: &'t mut Target<'_>) -> EvalResult<&'t mut crate::otlp::InstrumentationScope> {
        need(target.scope.as_mut().map(|(s, _)| &mut **s), "scope")
    }
}

fn log_ref<'a>(target: &'a Target<'_>) -> EvalResult<&'a crate::otlp::LogRecord> {
    need(target.log.as_deref(), "log record")
}

fn log_mut<'t>(target: &'t mut Target<'_>) -> EvalResult<&'t mut crate::otlp::LogRecord> {
    need(target.log.as_deref_mut(), "log record")
}

fn point_ref<'a>(target: &'a Target<'_>) -> EvalResult<(&'a crate::otlp::metrics::Metric, usize)> {
    Ok((
        need(target.metric.as_deref(), "data point")?,
        need(target.point_index, "data point")?,
    ))
}

fn span_mut<'t>(target: &'t mut Target<'_>) -> EvalResult<&'t mut crate::otlp::Span> {
    need(target.span.as_deref_mut(), "span")
}

fn event_mut<'t>(target: &'t mut Target<'_>) -> EvalResult<&'t mut crate::otlp::span::Event> {
    let index = need(target.event_index, "span event")?;
    let span = span_mut(target)?;
    need(span.events.get_mut(index), "span event")
}

fn string_map(pairs: &[(&str, &str)]) -> AnyValue {
    Value::Map(Cow::Owned(
        pairs
            .iter()
            .map(|(k, v)| KeyValue {
                key: (*k).to_owned(),
                value: Some(Value::string((*v).to_owned()).into_any()),
                ..Default::default()
            })
            .collect(),
    ))
    .into_any()
}

fn trace_state_get<'a>(state: &'a str, key: &str) -> Option<&'a str> {
    state
        .split(',')
        .filter_map(|member| member.trim().split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

fn trace_state_set(state: &str, key: &str, value: &str) -> String {
    let mut members: Vec<String> = state
        .split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty() && m.split_once('=').is_none_or(|(k, _)| k != key))
        .map(str::to_owned)
        .collect();
    members.insert(0, format!("{key}={value}"));
    members.join(",")
}

/// Span fields (the span context's own, beyond attributes).
fn get_span<'a>(field: Field, span: &'a Span, keys: &[ResolvedKey<'_>]) -> EvalResult<Value<'a>> {
    Ok(match field {
        Field::TraceId => Value::TraceId(fixed(&span.trace_id)),
        Field::TraceIdString => Value::string(hex::encode(&span.trace_id)),
        Field::SpanId => Value::SpanId(fixed(&span.span_id)),
        Field::SpanIdString => Value::string(hex::encode(&span.span_id)),
        Field::ParentSpanId => Value::SpanId(fixed(&span.parent_span_id)),
        Field::ParentSpanIdString => {
            let parent = &span.parent_span_id;
            if parent.iter().all(|b| *b == 0) {
                Value::str("")
            } else {
                Value::string(hex::encode(parent))
            }
        }
        Field::TraceState => {
            let state = &span.trace_state;
            match keys.first() {
                None => Value::str(state),
                Some(ResolvedKey::Str(k)) => trace_state_get(state, k).map_or(Value::Nil, Value::str),
                Some(ResolvedKey::Int(_)) => return Err(EvalError::new("trace_state keys must be strings")),
            }
        }
        Field::SpanName => Value::str(&span.name),
        Field::Kind => Value::Int(i64::from(span.kind)),
        Field::KindString => Value::str(
            usize::try_from(span.kind)
                .ok()
                .and_then(|k| SPAN_KIND_NAMES.get(k))
                .copied()
                .unwrap_or(""),
        ),
        Field::KindDeprecatedString => Value::str(
            usize::try_from(span.kind)
                .ok()
                .and_then(|k| SPAN_KIND_DEPRECATED.get(k))
                .copied()
                .unwrap_or(""),
        ),
        Field::StartTimeUnixNano => Value::Int(span.start_time_unix_nano as i64),
        Field::EndTimeUnixNano => Value::Int(span.end_time_unix_nano as i64),
        Field::StartTime => Value::Time(span.start_time_unix_nano as i64),
        Field::EndTime => Value::Time(span.end_time_unix_nano as i64),
        Field::DroppedEventsCount => Value::Int(i64::from(span.dropped_events_count)),
        Field::DroppedLinksCount => Value::Int(i64::from(span.dropped_links_count)),
        // Whole event/link lists are opaque in OTTL; they read as slices of maps.
        Field::Events => Value::List(Cow::Owned(
            span.events
                .iter()
                .map(|e| string_map(&[("name", e.name.as_str())]))
                .collect(),
        )),
        Field::Links => Value::List(Cow::Owned(
            span.links
                .iter()
                .map(|l| string_map(&[("trace_id", &hex::encode(&l.trace_id))]))
                .collect(),
        )),
        Field::Status => {
            let status = span.status.clone().unwrap_or_default();
            Value::Map(Cow::Owned(vec![
                KeyValue {
                    key: "code".into(),
                    value: Some(Value::Int(i64::from(status.code)).into_any()),
                    ..Default::default()
                },
                KeyValue {
                    key: "message".into(),
                    value: Some(Value::string(status.message).into_any()),
                    ..Default::default()
                },
            ]))
        }
        Field::StatusCode => Value::Int(i64::from(span.status.as_ref().map_or(0, |s| s.code))),
        Field::StatusMessage => Value::str(span.status.as_ref().map_or("", |s| s.message.as_str())),
        _ => return Err(EvalError::new("not a span field")),
    })
}

fn get_event<'a>(field: Field, target: &'a Target<'_>) -> EvalResult<Value<'a>> {
    let event = || {
        let span = need(target.span.as_deref(), "span")?;
        let index = need(target.event_index, "span event")?;
        need(span.events.get(index), "span event")
    };
    Ok(match field {
        Field::EventName => Value::str(&event()?.name),
        Field::EventTimeUnixNano => Value::Int(event()?.time_unix_nano as i64),
        Field::EventTime => Value::Time(event()?.time_unix_nano as i64),
        Field::EventIndex => Value::Int(need(target.event_index, "span event")? as i64),
        _ => return Err(EvalError::new("not a span event field")),
    })
}

/// Span event setters ignore values of the wrong type, as upstream's do.
fn set_event(field: Field, event: &mut crate::otlp::span::Event, value: Value<'static>) {
    match (field, value) {
        (Field::EventName, Value::Str(s)) => event.name = s.into_owned(),
        (Field::EventTimeUnixNano | Field::EventTime, Value::Int(t) | Value::Time(t)) => {
            event.time_unix_nano = t as u64
        }
        _ => {}
    }
}
