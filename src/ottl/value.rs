//! Runtime values. Reads borrow from the telemetry or the compiled program where they
//! can (`Cow`), so a `where` clause that compares an attribute allocates nothing.

use std::borrow::Cow;

use base64::Engine;

use crate::otlp::{any_value, AnyValue, ArrayValue, KeyValue, KeyValueList};

/// An id of `N` bytes (zero-padded or cut), as path values carry ids.
pub(super) fn fixed<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    let n = bytes.len().min(N);
    out[..n].copy_from_slice(&bytes[..n]);
    out
}

/// `repr(u64)` puts every payload at offset 8: with the default layout the id arrays sit at
/// offset 1, and moving a `Value` through `?` became misaligned 16-byte copies that stall on
/// store forwarding (a third of a `where` clause's time).
#[derive(Debug, Clone, PartialEq)]
#[repr(u64)]
pub enum Value<'a> {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Cow<'a, str>),
    Bytes(Cow<'a, [u8]>),
    /// A `pcommon.Map`: attributes and kvlist values.
    Map(Cow<'a, [KeyValue]>),
    /// A `pcommon.Slice`.
    List(Cow<'a, [AnyValue]>),
    TraceId([u8; 16]),
    SpanId([u8; 8]),
    /// `ProfileID(...)`: only compared and printed here (intake carries no profiles).
    ProfileId([u8; 16]),
    /// Unix nanoseconds.
    Time(i64),
    /// Nanoseconds.
    Duration(i64),
}

impl<'a> Value<'a> {
    pub fn str(s: &'a str) -> Self {
        Value::Str(Cow::Borrowed(s))
    }

    pub fn string(s: String) -> Value<'static> {
        Value::Str(Cow::Owned(s))
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int64",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::Bytes(_) => "[]byte",
            Value::Map(_) => "pcommon.Map",
            Value::List(_) => "pcommon.Slice",
            Value::TraceId(_) => "pcommon.TraceID",
            Value::SpanId(_) => "pcommon.SpanID",
            Value::ProfileId(_) => "pprofile.ProfileID",
            Value::Time(_) => "time.Time",
            Value::Duration(_) => "time.Duration",
        }
    }

    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// Drops the value. Most values a condition reads own no heap memory (nil, numbers,
    /// borrowed strings): those are let go here without the out-of-line drop call, which
    /// cost more than the comparison that read them.
    #[inline(always)]
    pub fn discard(self) {
        let owns_heap = matches!(
            &self,
            Value::Str(Cow::Owned(_))
                | Value::Bytes(Cow::Owned(_))
                | Value::Map(Cow::Owned(_))
                | Value::List(Cow::Owned(_))
        );
        if owns_heap {
            drop(self);
        } else {
            std::mem::forget(self);
        }
    }

    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Nil => Value::Nil,
            Value::Bool(b) => Value::Bool(b),
            Value::Int(i) => Value::Int(i),
            Value::Float(f) => Value::Float(f),
            Value::Str(s) => Value::Str(Cow::Owned(s.into_owned())),
            Value::Bytes(b) => Value::Bytes(Cow::Owned(b.into_owned())),
            Value::Map(m) => Value::Map(Cow::Owned(m.into_owned())),
            Value::List(l) => Value::List(Cow::Owned(l.into_owned())),
            Value::TraceId(t) => Value::TraceId(t),
            Value::SpanId(s) => Value::SpanId(s),
            Value::ProfileId(p) => Value::ProfileId(p),
            Value::Time(t) => Value::Time(t),
            Value::Duration(d) => Value::Duration(d),
        }
    }

    /// Reads a stored value. An empty `AnyValue` is nil.
    #[inline]
    pub fn from_any(value: &'a AnyValue) -> Value<'a> {
        match &value.value {
            None | Some(any_value::Value::StringValueStrindex(_)) => Value::Nil,
            Some(any_value::Value::StringValue(s)) => Value::Str(Cow::Borrowed(s)),
            Some(any_value::Value::BoolValue(b)) => Value::Bool(*b),
            Some(any_value::Value::IntValue(i)) => Value::Int(*i),
            Some(any_value::Value::DoubleValue(d)) => Value::Float(*d),
            Some(any_value::Value::BytesValue(b)) => Value::Bytes(Cow::Borrowed(b)),
            Some(any_value::Value::ArrayValue(a)) => Value::List(Cow::Borrowed(&a.values)),
            Some(any_value::Value::KvlistValue(m)) => Value::Map(Cow::Borrowed(&m.values)),
        }
    }

    #[inline]
    pub fn from_optional_any(value: Option<&'a AnyValue>) -> Value<'a> {
        // Not `map_or(Value::Nil, …)`: its eager default is dropped out of line on every hit.
        match value {
            Some(value) => Value::from_any(value),
            None => Value::Nil,
        }
    }

    /// The stored form. Nil is an empty value; ids become bytes; times and durations
    /// their integer nanoseconds.
    pub fn into_any(self) -> AnyValue {
        let kind = match self {
            Value::Nil => None,
            Value::Bool(b) => Some(any_value::Value::BoolValue(b)),
            Value::Int(i) => Some(any_value::Value::IntValue(i)),
            Value::Float(f) => Some(any_value::Value::DoubleValue(f)),
            Value::Str(s) => Some(any_value::Value::StringValue(s.into_owned())),
            Value::Bytes(b) => Some(any_value::Value::BytesValue(b.into_owned())),
            Value::Map(m) => Some(any_value::Value::KvlistValue(KeyValueList { values: m.into_owned() })),
            Value::List(l) => Some(any_value::Value::ArrayValue(ArrayValue { values: l.into_owned() })),
            Value::TraceId(t) => Some(any_value::Value::BytesValue(t.to_vec())),
            Value::SpanId(s) => Some(any_value::Value::BytesValue(s.to_vec())),
            Value::ProfileId(p) => Some(any_value::Value::BytesValue(p.to_vec())),
            Value::Time(t) | Value::Duration(t) => Some(any_value::Value::IntValue(t)),
        };
        AnyValue { value: kind }
    }

    /// JSON text of a value, as pcommon's `AsString` writes maps and slices.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Nil => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, serde_json::Value::Number)
            }
            Value::Str(s) => serde_json::Value::String(s.to_string()),
            Value::Bytes(b) => serde_json::Value::String(base64::engine::general_purpose::STANDARD.encode(b)),
            // Keys sorted, as Go's encoding/json writes maps, and whatever serde_json's
            // map-order feature is.
            Value::Map(m) => {
                let mut entries: Vec<&KeyValue> = m.iter().collect();
                entries.sort_by(|a, b| a.key.cmp(&b.key));
                serde_json::Value::Object(
                    entries
                        .into_iter()
                        .map(|kv| (kv.key.clone(), Value::from_optional_any(kv.value.as_ref()).to_json()))
                        .collect(),
                )
            }
            Value::List(l) => serde_json::Value::Array(l.iter().map(|v| Value::from_any(v).to_json()).collect()),
            Value::TraceId(t) => serde_json::Value::Array(t.iter().map(|b| serde_json::Value::from(*b)).collect()),
            Value::SpanId(s) => serde_json::Value::Array(s.iter().map(|b| serde_json::Value::from(*b)).collect()),
            Value::ProfileId(p) => serde_json::Value::Array(p.iter().map(|b| serde_json::Value::from(*b)).collect()),
            Value::Time(t) => serde_json::Value::String(format_time(*t)),
            Value::Duration(d) => serde_json::Value::String(format_duration(*d)),
        }
    }

    /// pcommon `Value.AsString()`: the string form StringLike getters and `Concat` use.
    /// `None` for nil.
    pub fn as_string_like(&self) -> Option<Cow<'_, str>> {
        Some(match self {
            Value::Nil => return None,
            Value::Str(s) => Cow::Borrowed(s.as_ref()),
            Value::Bool(b) => Cow::Owned(b.to_string()),
            Value::Int(i) => Cow::Owned(i.to_string()),
            Value::Float(f) => Cow::Owned(format_float(*f)),
            Value::Bytes(b) => Cow::Owned(hex::encode(b.as_ref())),
            Value::TraceId(t) => Cow::Owned(hex::encode(t)),
            Value::SpanId(s) => Cow::Owned(hex::encode(s)),
            Value::ProfileId(p) => Cow::Owned(hex::encode(p)),
            other => Cow::Owned(other.to_json().to_string()),
        })
    }
}

/// Go's `strconv.FormatFloat(f, 'f', -1, 64)`-like shortest form (`1.5`, `2`, `1e+21`).
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf".to_owned() } else { "-Inf".to_owned() };
    }
    if f == f.trunc() && f.abs() < 1e21 {
        return format!("{}", f as i128);
    }
    let text = format!("{f}");
    text
}

pub fn format_time(nanos: i64) -> String {
    let secs = nanos.div_euclid(1_000_000_000);
    let sub = nanos.rem_euclid(1_000_000_000);
    let t = std::time::UNIX_EPOCH + std::time::Duration::new(secs.max(0) as u64, sub as u32);
    humantime::format_rfc3339_nanos(t).to_string()
}

/// Go's `time.Duration.String()`: `1h2m3.5s`, `1.5ms`, `0s`.
pub fn format_duration(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".to_owned();
    }
    let negative = nanos < 0;
    let n = nanos.unsigned_abs();
    let sign = if negative { "-" } else { "" };
    if n < 1_000 {
        return format!("{sign}{n}ns");
    }
    if n < 1_000_000 {
        return format!("{sign}{}µs", trim_fraction(n as f64 / 1e3));
    }
    if n < 1_000_000_000 {
        return format!("{sign}{}ms", trim_fraction(n as f64 / 1e6));
    }
    let hours = n / 3_600_000_000_000;
    let minutes = (n / 60_000_000_000) % 60;
    let seconds = (n % 60_000_000_000) as f64 / 1e9;
    let mut out = String::from(sign);
    if hours > 0 {
        out.push_str(&format!("{hours}h"));
    }
    if hours > 0 || minutes > 0 {
        out.push_str(&format!("{minutes}m"));
    }
    out.push_str(&format!("{}s", trim_fraction(seconds)));
    out
}

fn trim_fraction(v: f64) -> String {
    let text = format!("{v:.9}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_like_go() {
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(1_500_000), "1.5ms");
        assert_eq!(format_duration(3_723_500_000_000), "1h2m3.5s");
        assert_eq!(format_duration(60_000_000_000), "1m0s");
    }

    #[test]
    fn string_like_forms() {
        assert_eq!(Value::Float(1.5).as_string_like().unwrap(), "1.5");
        assert_eq!(Value::Float(2.0).as_string_like().unwrap(), "2");
        assert_eq!(Value::Bytes(Cow::Owned(vec![1, 255])).as_string_like().unwrap(), "01ff");
        assert!(Value::Nil.as_string_like().is_none());
    }
}
