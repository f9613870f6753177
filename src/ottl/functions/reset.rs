//! Editors that rewrite a value in place: `clear(target)` (the target's type's zero value:
//! an empty map, an empty slice, "", 0, false) and `stringify_all(target)` (every value of a
//! map as its string, as pdata's `Value.AsString` writes it).

use std::borrow::Cow;

use base64::Engine;

use super::super::context::Target;
use super::super::eval::{CompiledPath, Editor, EvalError, EvalResult};
use super::super::signature::{editor as boxed, req, Args};
use super::super::value::{format_float, Value};
use super::{editor, param, FunctionSpec};
use crate::otlp::{any_value, AnyValue};
use crate::ottl::error::ParseError;

pub const SPECS: &[FunctionSpec] = &[
    editor("clear", &[req(param::TARGET)], build_clear),
    editor("stringify_all", &[req(param::TARGET)], build_stringify_all),
];

#[derive(Debug)]
struct Clear {
    target: CompiledPath,
}

impl Editor for Clear {
    fn apply(&self, target: &mut Target<'_>) -> EvalResult<()> {
        let zero = match self.target.get(target)? {
            Value::Nil => return Ok(()),
            Value::Map(_) => Value::Map(Cow::Owned(Vec::new())),
            Value::List(_) => Value::List(Cow::Owned(Vec::new())),
            Value::Str(_) => Value::Str(Cow::Borrowed("")),
            Value::Bytes(_) => Value::Bytes(Cow::Owned(Vec::new())),
            Value::Int(_) => Value::Int(0),
            Value::Float(_) => Value::Float(0.0),
            Value::Bool(_) => Value::Bool(false),
            Value::TraceId(_) => Value::TraceId([0; 16]),
            Value::SpanId(_) => Value::SpanId([0; 8]),
            Value::ProfileId(_) => Value::ProfileId([0; 16]),
            Value::Time(_) => Value::Time(0),
            Value::Duration(_) => Value::Duration(0),
        };
        self.target.set(target, zero)
    }
}

fn build_clear(args: &mut Args<'_>) -> Result<Box<dyn Editor>, ParseError> {
    boxed(Clear {
        target: args.path(param::TARGET)?,
    })
}

/// pdata's `Value.AsString()`: bytes in base64, maps and slices as JSON, empty as "".
fn as_string(value: &AnyValue) -> Option<String> {
    Some(match value.value.as_ref()? {
        any_value::Value::StringValue(_) => return None,
        any_value::Value::BoolValue(b) => b.to_string(),
        any_value::Value::IntValue(i) => i.to_string(),
        any_value::Value::DoubleValue(f) => format_float(*f),
        any_value::Value::BytesValue(b) => base64::engine::general_purpose::STANDARD.encode(b),
        _ => Value::from_any(value).to_json().to_string(),
    })
}

#[derive(Debug)]
struct StringifyAll {
    target: CompiledPath,
}

impl Editor for StringifyAll {
    fn apply(&self, target: &mut Target<'_>) -> EvalResult<()> {
        let mut map = match self.target.get(target)? {
            Value::Map(m) => m.into_owned(),
            other => {
                return Err(EvalError::new(format!(
                    "stringify_all: expected pcommon.Map but got {}",
                    other.type_name()
                )))
            }
        };
        for kv in &mut map {
            let value = kv.value.get_or_insert_with(AnyValue::default);
            let text = match value.value {
                None => String::new(),
                _ => match as_string(value) {
                    Some(text) => text,
                    None => continue,
                },
            };
            value.value = Some(any_value::Value::StringValue(text));
        }
        self.target.set(target, Value::Map(Cow::Owned(map)))
    }
}

fn build_stringify_all(args: &mut Args<'_>) -> Result<Box<dyn Editor>, ParseError> {
    boxed(StringifyAll {
        target: args.path(param::TARGET)?,
    })
}
