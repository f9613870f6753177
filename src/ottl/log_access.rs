//! Log context fields: what a path reads from and writes to on a log record
//! (upstream's `ottllog` paths).

use super::context::{Field, SEVERITY_NUMBER_NAMES};
use super::eval::{index_value, set_in_map, EvalError, EvalResult, ResolvedKey};
use super::value::{fixed, Value};
use crate::otlp::{any_value, AnyValue, KeyValueList, LogRecord};

pub(super) fn get_log<'a>(field: Field, log: &'a LogRecord, keys: &[ResolvedKey<'_>]) -> EvalResult<Value<'a>> {
    Ok(match field {
        Field::LogTimeUnixNano => Value::Int(log.time_unix_nano as i64),
        Field::LogObservedTimeUnixNano => Value::Int(log.observed_time_unix_nano as i64),
        Field::LogTime => Value::Time(log.time_unix_nano as i64),
        Field::LogObservedTime => Value::Time(log.observed_time_unix_nano as i64),
        Field::SeverityNumber => Value::Int(i64::from(log.severity_number)),
        Field::SeverityText => Value::str(&log.severity_text),
        Field::Body => {
            let body = Value::from_optional_any(log.body.as_ref());
            return if keys.is_empty() {
                Ok(body)
            } else {
                index_value(body, keys)
            };
        }
        Field::BodyString => match &log.body {
            None => Value::str(""),
            Some(body) => match &body.value {
                Some(any_value::Value::StringValue(s)) => Value::str(s),
                _ => Value::string(Value::from_any(body).to_json().to_string()),
            },
        },
        Field::LogFlags => Value::Int(i64::from(log.flags)),
        Field::LogTraceId => Value::TraceId(fixed(&log.trace_id)),
        Field::LogTraceIdString => Value::string(hex::encode(&log.trace_id)),
        Field::LogSpanId => Value::SpanId(fixed(&log.span_id)),
        Field::LogSpanIdString => Value::string(hex::encode(&log.span_id)),
        Field::LogEventName => Value::str(&log.event_name),
        _ => return Err(EvalError::new("not a log field")),
    })
}

/// Strict, as span setters are: a value of the wrong type is an error.
pub(super) fn set_log(
    text: &str,
    field: Field,
    log: &mut LogRecord,
    keys: &[ResolvedKey<'_>],
    value: Value<'static>,
) -> EvalResult<()> {
    let wrong = |value: &Value<'_>, want: &str| {
        EvalError::new(format!("path {text}: expected {want} but got {}", value.type_name()))
    };
    match (field, value) {
        (Field::Body, value) if !keys.is_empty() => {
            let body = log.body.get_or_insert_with(AnyValue::default);
            if !matches!(body.value, Some(any_value::Value::KvlistValue(_))) {
                body.value = Some(any_value::Value::KvlistValue(KeyValueList::default()));
            }
            if let Some(any_value::Value::KvlistValue(map)) = &mut body.value {
                set_in_map(&mut map.values, keys, value.into_any(), false)?;
            }
        }
        (Field::Body, Value::Nil) => log.body = None,
        (Field::Body, value) => log.body = Some(value.into_any()),
        (Field::BodyString, Value::Str(s)) => log.body = Some(Value::Str(s).into_any()),
        (Field::LogTimeUnixNano, Value::Int(n)) | (Field::LogTime, Value::Time(n)) => log.time_unix_nano = n as u64,
        (Field::LogObservedTimeUnixNano, Value::Int(n)) | (Field::LogObservedTime, Value::Time(n)) => {
            log.observed_time_unix_nano = n as u64
        }
        (Field::SeverityNumber, Value::Int(n)) => {
            log.severity_number = i32::try_from(n)
                .ok()
                .filter(|n| (0..SEVERITY_NUMBER_NAMES.len() as i32).contains(n))
                .ok_or_else(|| EvalError::new(format!("invalid severity number {n}")))?
        }
        (Field::SeverityText, Value::Str(s)) => log.severity_text = s.into_owned(),
        (Field::LogFlags, Value::Int(n)) => {
            log.flags = u32::try_from(n).map_err(|_| EvalError::new(format!("invalid flags {n}")))?
        }
        (Field::LogTraceId, Value::TraceId(id)) => log.trace_id = id.to_vec(),
        (Field::LogSpanId, Value::SpanId(id)) => log.span_id = id.to_vec(),
        (Field::LogTraceIdString | Field::LogSpanIdString, Value::Str(s)) => {
            let want = if field == Field::LogTraceIdString { 16 } else { 8 };
            let bytes = hex::decode(s.as_ref())
                .ok()
                .filter(|b| b.len() == want)
                .ok_or_else(|| EvalError::new(format!("`{s}` is not a {}-character hex id", want * 2)))?;
            if field == Field::LogTraceIdString {
                log.trace_id = bytes;
            } else {
                log.span_id = bytes;
            }
        }
        (Field::LogEventName, Value::Str(s)) => log.event_name = s.into_owned(),
        (field, value) => {
            let want = match field {
                Field::LogTime | Field::LogObservedTime => "time.Time",
                Field::LogTraceId => "pcommon.TraceID",
                Field::LogSpanId => "pcommon.SpanID",
                Field::SeverityText
                | Field::LogEventName
                | Field::BodyString
                | Field::LogTraceIdString
                | Field::LogSpanIdString => "string",
                _ => "int64",
            };
            return Err(wrong(&value, want));
        }
    }
    Ok(())
}

/// The record's body as a map, when it is one (for editors working on whole maps).
pub(super) fn body_map(log: &mut LogRecord) -> Option<&mut Vec<crate::otlp::KeyValue>> {
    match &mut log.body.as_mut()?.value {
        Some(any_value::Value::KvlistValue(map)) => Some(&mut map.values),
        _ => None,
    }
}
