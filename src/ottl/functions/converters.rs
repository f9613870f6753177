//! Type conversion, type tests, collections and ids.

use std::borrow::Cow;

use super::super::context::Target;
use super::super::error::ParseError;
use super::super::eval::{any_equal, compare, Converter, EvalError, EvalResult, Expr};
use super::super::signature::{converter as boxed, opt, req, Args};
use super::super::value::Value;
use super::json_value::parse_any;
use super::strings::{call, expect_str, type_test};
use super::{converter, param, FunctionSpec};
use crate::otlp::{any_value, AnyValue, KeyValue};
use crate::ottl::ast::CompareOp;

pub const SPECS: &[FunctionSpec] = &[
    converter("Int", &[req(param::VALUE)], |a| call(a, to_int)),
    converter("Double", &[req(param::VALUE)], |a| call(a, to_double)),
    converter("String", &[req(param::VALUE)], |a| call(a, to_string)),
    converter("Bool", &[req(param::VALUE)], |a| call(a, to_bool)),
    converter("ParseJSON", &[req(param::TARGET)], |a| call(a, parse_json)),
    converter("IsString", &[req(param::VALUE)], |a| {
        type_test(a, |v| Ok(Value::Bool(matches!(v[0], Value::Str(_)))))
    }),
    converter("IsInt", &[req(param::VALUE)], |a| {
        type_test(a, |v| Ok(Value::Bool(matches!(v[0], Value::Int(_)))))
    }),
    converter("IsDouble", &[req(param::VALUE)], |a| {
        type_test(a, |v| Ok(Value::Bool(matches!(v[0], Value::Float(_)))))
    }),
    converter("IsBool", &[req(param::VALUE)], |a| {
        type_test(a, |v| Ok(Value::Bool(matches!(v[0], Value::Bool(_)))))
    }),
    converter("IsMap", &[req(param::VALUE)], |a| {
        type_test(a, |v| Ok(Value::Bool(matches!(v[0], Value::Map(_)))))
    }),
    converter("IsList", &[req(param::VALUE)], |a| {
        type_test(a, |v| Ok(Value::Bool(matches!(v[0], Value::List(_)))))
    }),
    converter("IsEmpty", &[req(param::VALUE)], |a| call(a, is_empty)),
    converter("Coalesce", &[req(param::VALUES)], build_coalesce),
    converter("ContainsValue", &[req(param::TARGET), req(param::ITEM)], |a| {
        call(a, contains_value)
    }),
    converter("Index", &[req(param::TARGET), req(param::VALUE)], |a| call(a, index_of)),
    converter("Keys", &[req(param::TARGET)], |a| call(a, keys)),
    converter("Values", &[req(param::TARGET)], |a| call(a, values)),
    converter("Sort", &[req(param::TARGET), opt(param::ORDER)], |a| call(a, sort)),
    converter(
        "SliceToMap",
        &[req(param::TARGET), opt(param::KEY_PATH), opt(param::VALUE_PATH)],
        |a| call(a, slice_to_map),
    ),
    converter("TraceID", &[req(param::BYTES)], |a| {
        call(a, |v| id::<16>(&v[0]).map(Value::TraceId))
    }),
    converter("SpanID", &[req(param::BYTES)], |a| {
        call(a, |v| id::<8>(&v[0]).map(Value::SpanId))
    }),
    converter("ProfileID", &[req(param::BYTES)], |a| {
        call(a, |v| id::<16>(&v[0]).map(Value::ProfileId))
    }),
    converter("UUID", &[], |a| {
        call(a, |_| Ok(Value::string(uuid::Uuid::new_v4().to_string())))
    }),
    converter("IsRootSpan", &[], build_is_root_span),
    converter("Log", &[req(param::VALUE)], |a| call(a, log)),
    converter("IsValidLuhn", &[req(param::VALUE)], |a| call(a, luhn)),
];

fn to_int(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    Ok(match &v[0] {
        Value::Int(i) => Value::Int(*i),
        Value::Float(f) => Value::Int(f.trunc() as i64),
        Value::Bool(b) => Value::Int(i64::from(*b)),
        Value::Str(s) => s.trim().parse::<i64>().map_or(Value::Nil, Value::Int),
        _ => Value::Nil,
    })
}

fn to_double(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    Ok(match &v[0] {
        Value::Int(i) => Value::Float(*i as f64),
        Value::Float(f) => Value::Float(*f),
        Value::Bool(b) => Value::Float(if *b { 1.0 } else { 0.0 }),
        Value::Str(s) => s.trim().parse::<f64>().map_or(Value::Nil, Value::Float),
        _ => Value::Nil,
    })
}

fn to_string(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    Ok(match &v[0] {
        Value::Nil => Value::Nil,
        Value::Str(s) => Value::string(s.to_string()),
        // Ids are byte arrays to String: JSON arrays, as upstream prints them.
        Value::TraceId(_) | Value::SpanId(_) | Value::ProfileId(_) => Value::string(v[0].to_json().to_string()),
        other => Value::string(other.as_string_like().map(|s| s.into_owned()).unwrap_or_default()),
    })
}

fn to_bool(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    Ok(match &v[0] {
        Value::Bool(b) => Value::Bool(*b),
        Value::Int(i) => Value::Bool(*i != 0),
        Value::Float(f) => Value::Bool(*f != 0.0),
        Value::Str(s) => match s.as_ref() {
            "1" | "t" | "T" | "TRUE" | "true" | "True" => Value::Bool(true),
            "0" | "f" | "F" | "FALSE" | "false" | "False" => Value::Bool(false),
            _ => Value::Nil,
        },
        _ => Value::Nil,
    })
}

/// JSON to a value; numbers become float64, as upstream's.
fn parse_json(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let text = expect_str(&v[0], "ParseJSON")?;
    let parsed = parse_any(text).map_err(|e| EvalError::new(format!("ParseJSON: {e}")))?;
    match parsed.value {
        Some(any_value::Value::KvlistValue(map)) => Ok(Value::Map(Cow::Owned(map.values))),
        Some(any_value::Value::ArrayValue(list)) => Ok(Value::List(Cow::Owned(list.values))),
        // Rare: the message shows the value as serde_json prints it.
        _ => Err(EvalError::new(format!(
            "ParseJSON: expected an object or array, got {}",
            serde_json::from_str::<serde_json::Value>(text).unwrap_or_default()
        ))),
    }
}

/// Nil, an empty string, map, slice or bytes.
fn is_empty(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    Ok(Value::Bool(match &v[0] {
        Value::Nil => true,
        Value::Str(s) => s.is_empty(),
        Value::Map(m) => m.is_empty(),
        Value::List(l) => l.is_empty(),
        Value::Bytes(b) => b.is_empty(),
        _ => false,
    }))
}

#[derive(Debug)]
struct Coalesce {
    values: Vec<Expr>,
}

impl Converter for Coalesce {
    fn call<'a>(&'a self, target: &'a Target<'_>) -> EvalResult<Value<'a>> {
        for expr in &self.values {
            let value = expr.eval(target)?;
            if !value.is_nil() {
                return Ok(value);
            }
            value.discard();
        }
        Ok(Value::Nil)
    }
}

fn build_coalesce(args: &mut Args<'_>) -> Result<Box<dyn Converter>, ParseError> {
    boxed(Coalesce {
        values: args.list(param::VALUES)?,
    })
}

fn contains_value(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let Value::List(items) = &v[0] else {
        return Err(EvalError::new(format!(
            "ContainsValue: expected pcommon.Slice but got {}",
            v[0].type_name()
        )));
    };
    Ok(Value::Bool(
        items
            .iter()
            .any(|item| compare(&Value::from_any(item), &v[1], CompareOp::Eq)),
    ))
}

fn index_of(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    Ok(Value::Int(match (&v[0], &v[1]) {
        (Value::Str(s), Value::Str(needle)) => s.find(needle.as_ref()).map_or(-1, |i| s[..i].chars().count() as i64),
        (Value::List(items), needle) => items
            .iter()
            .position(|item| {
                let item = Value::from_any(item);
                match (&item, needle) {
                    (Value::Map(_) | Value::List(_), _) => any_equal(
                        Some(&item.clone().into_owned().into_any()),
                        Some(&needle.clone().into_owned().into_any()),
                    ),
                    _ => compare(&item, needle, CompareOp::Eq),
                }
            })
            .map_or(-1, |i| i as i64),
        (other, _) => {
            return Err(EvalError::new(format!(
                "Index: unsupported target type {}",
                other.type_name()
            )))
        }
    }))
}

fn keys(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let Value::Map(map) = &v[0] else {
        return Err(EvalError::new(format!(
            "Keys: expected pcommon.Map but got {}",
            v[0].type_name()
        )));
    };
    Ok(Value::List(Cow::Owned(
        map.iter().map(|kv| Value::string(kv.key.clone()).into_any()).collect(),
    )))
}

fn values(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let Value::Map(map) = &v[0] else {
        return Err(EvalError::new(format!(
            "Values: expected pcommon.Map but got {}",
            v[0].type_name()
        )));
    };
    Ok(Value::List(Cow::Owned(
        map.iter().map(|kv| kv.value.clone().unwrap_or_default()).collect(),
    )))
}

/// Numbers first (ints and doubles compared as numbers), then bools, then strings,
/// then everything else by its string form.
fn sort(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let Value::List(items) = &v[0] else {
        return Err(EvalError::new(format!(
            "Sort: expected pcommon.Slice but got {}",
            v[0].type_name()
        )));
    };
    let descending = match &v[1] {
        Value::Nil => false,
        Value::Str(s) if s == "asc" => false,
        Value::Str(s) if s == "desc" => true,
        other => {
            return Err(EvalError::new(format!(
                "Sort: invalid order {other:?}, must be asc or desc"
            )))
        }
    };
    let mut sorted: Vec<AnyValue> = items.to_vec();
    let order = |o: std::cmp::Ordering| if descending { o.reverse() } else { o };
    // Upstream sorts by the list's common type: numbers as numbers (ints and doubles
    // together), strings, bools; a list of mixed scalars by each value's string form,
    // values kept as they are; a list holding a map, slice or bytes is left unsorted.
    let scalars: Option<Vec<Value<'_>>> = items
        .iter()
        .map(|a| match Value::from_any(a) {
            v @ (Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Str(_)) => Some(v),
            _ => None,
        })
        .collect();
    let Some(scalars) = scalars else {
        return Ok(Value::List(Cow::Owned(sorted)));
    };
    let number = |v: &Value<'_>| match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    };
    let mut keyed: Vec<(usize, &Value<'_>)> = scalars.iter().enumerate().collect();
    if scalars.iter().all(|v| number(v).is_some()) {
        if scalars.iter().all(|v| matches!(v, Value::Int(_))) {
            let int = |v: &Value<'_>| if let Value::Int(i) = v { *i } else { 0 };
            keyed.sort_by(|a, b| order(int(a.1).cmp(&int(b.1))));
        } else {
            let num = |v: &Value<'_>| number(v).unwrap_or(0.0);
            keyed.sort_by(|a, b| order(num(a.1).total_cmp(&num(b.1))));
        }
    } else if scalars.iter().all(|v| matches!(v, Value::Bool(_))) {
        let flag = |v: &Value<'_>| matches!(v, Value::Bool(true));
        keyed.sort_by(|a, b| order(flag(a.1).cmp(&flag(b.1))));
    } else {
        let text: Vec<String> = scalars
            .iter()
            .map(|v| v.as_string_like().map(|s| s.into_owned()).unwrap_or_default())
            .collect();
        keyed.sort_by(|a, b| order(text[a.0].cmp(&text[b.0])));
    }
    sorted = keyed.iter().map(|(i, _)| items[*i].clone()).collect();
    Ok(Value::List(Cow::Owned(sorted)))
}

fn string_path(value: &Value<'_>) -> EvalResult<Option<Vec<String>>> {
    match value {
        Value::Nil => Ok(None),
        Value::List(items) => items
            .iter()
            .map(|i| match Value::from_any(i) {
                Value::Str(s) => Ok(s.into_owned()),
                other => Err(EvalError::new(format!(
                    "path elements must be strings, got {}",
                    other.type_name()
                ))),
            })
            .collect::<EvalResult<Vec<_>>>()
            .map(Some),
        other => Err(EvalError::new(format!(
            "expected a list of strings, got {}",
            other.type_name()
        ))),
    }
}

fn lookup<'v>(value: &'v AnyValue, path: &[String]) -> Option<&'v AnyValue> {
    let mut current = value;
    for segment in path {
        let Value::Map(Cow::Borrowed(map)) = Value::from_any(current) else {
            return None;
        };
        current = map.iter().find(|kv| kv.key == *segment)?.value.as_ref()?;
    }
    Some(current)
}

fn slice_to_map(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let Value::List(items) = &v[0] else {
        return Err(EvalError::new(format!(
            "SliceToMap: expected pcommon.Slice but got {}",
            v[0].type_name()
        )));
    };
    let key_path = string_path(&v[1])?;
    let value_path = string_path(&v[2])?;
    let mut out: Vec<KeyValue> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let key = match &key_path {
            None => index.to_string(),
            Some(path) => match lookup(item, path).map(Value::from_any) {
                Some(Value::Str(s)) => s.into_owned(),
                Some(_) => return Err(EvalError::new("provided key path does not point to a string")),
                None => {
                    return Err(EvalError::new(
                        "could not extract key from element: provided object does not contain the path",
                    ))
                }
            },
        };
        let value = match &value_path {
            None => item.clone(),
            Some(path) => lookup(item, path).cloned().ok_or_else(|| {
                EvalError::new("could not extract value from element: provided object does not contain the path")
            })?,
        };
        match out.iter_mut().find(|kv| kv.key == key) {
            Some(existing) => existing.value = Some(value),
            None => out.push(KeyValue {
                key,
                value: Some(value),
                ..Default::default()
            }),
        }
    }
    Ok(Value::Map(Cow::Owned(out)))
}

fn id<const N: usize>(value: &Value<'_>) -> EvalResult<[u8; N]> {
    let bytes: Vec<u8> = match value {
        Value::Bytes(b) => b.to_vec(),
        Value::Str(s) => hex::decode(s.as_ref()).map_err(|_| EvalError::new(format!("`{s}` is not hex")))?,
        other => {
            return Err(EvalError::new(format!(
                "expected bytes or a hex string but got {}",
                other.type_name()
            )))
        }
    };
    <[u8; N]>::try_from(bytes.as_slice())
        .map_err(|_| EvalError::new(format!("id must be {N} bytes, got {}", bytes.len())))
}

#[derive(Debug)]
struct IsRootSpan;

impl Converter for IsRootSpan {
    fn call<'a>(&'a self, target: &'a Target<'_>) -> EvalResult<Value<'a>> {
        let span = target
            .span
            .as_deref()
            .ok_or_else(|| EvalError::new("IsRootSpan needs a span"))?;
        Ok(Value::Bool(span.parent_span_id.iter().all(|b| *b == 0)))
    }
}

fn build_is_root_span(args: &mut Args<'_>) -> Result<Box<dyn Converter>, ParseError> {
    if args.exec_context() < crate::ottl::context::ContextKind::Span {
        return Err(args.error("IsRootSpan is only available in span and spanevent contexts"));
    }
    boxed(IsRootSpan)
}

fn log(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let x = match &v[0] {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        other => {
            return Err(EvalError::new(format!(
                "Log: expected a number but got {}",
                other.type_name()
            )))
        }
    };
    if x <= 0.0 {
        return Err(EvalError::new("Log: value must be greater than zero"));
    }
    Ok(Value::Float(x.ln()))
}

fn luhn(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let digits: String = match &v[0] {
        Value::Str(s) => s.to_string(),
        Value::Int(i) => i.to_string(),
        other => {
            return Err(EvalError::new(format!(
                "IsValidLuhn: unsupported type {}",
                other.type_name()
            )))
        }
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Value::Bool(false));
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let dd = d * 2;
                if dd > 9 {
                    dd - 9
                } else {
                    dd
                }
            } else {
                d
            }
        })
        .sum();
    Ok(Value::Bool(sum.is_multiple_of(10)))
}
