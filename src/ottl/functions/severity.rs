//! `ParseSeverity(target, mapping)`: a log level from a custom value. `mapping` is a literal
//! map from level to criteria, `{"error": [{"equals": ["ERR", "E"]}, {"range": {"min": 500,
//! "max": 599}}], "warn": [{"range": "4xx"}]}`: a string matches `equals`, an int a `range`
//! (`2xx` … `5xx` stand for the HTTP status classes). The mapping is checked when the
//! template compiles; levels are tried in the order written.

use std::borrow::Cow;

use super::super::context::Target;
use super::super::eval::{Converter, EvalError, EvalResult, Expr};
use super::super::signature::{converter as boxed, req, Args};
use super::super::value::Value;
use super::{converter, param, FunctionSpec};
use crate::otlp::{any_value, AnyValue, KeyValue};
use crate::ottl::error::ParseError;

pub const SPECS: &[FunctionSpec] = &[converter(
    "ParseSeverity",
    &[req(param::TARGET), req(param::MAPPING)],
    build,
)];

#[derive(Debug, Default)]
struct Criteria {
    equals: Vec<String>,
    range: Option<(i64, i64)>,
}

#[derive(Debug)]
struct ParseSeverity {
    target: Expr,
    levels: Vec<(String, Vec<Criteria>)>,
}

fn build(a: &mut Args<'_>) -> Result<Box<dyn Converter>, ParseError> {
    let Expr::Literal(Value::Map(mapping)) = a.expr(param::MAPPING)? else {
        return Err(a.error("severity mapping must be a literal map"));
    };
    let levels = mapping
        .iter()
        .map(|kv| Ok((kv.key.clone(), criteria_list(kv)?)))
        .collect::<Result<Vec<_>, String>>()
        .map_err(|e| a.error(format!("invalid severity mapping: {e}")))?;
    boxed(ParseSeverity {
        target: a.expr(param::TARGET)?,
        levels,
    })
}

fn criteria_list(level: &KeyValue) -> Result<Vec<Criteria>, String> {
    let Some(any_value::Value::ArrayValue(list)) = level.value.as_ref().and_then(|v| v.value.as_ref()) else {
        return Err(format!("the criteria of `{}` must be a list", level.key));
    };
    list.values.iter().map(criteria).collect()
}

fn field<'a>(map: &'a [KeyValue], key: &str) -> Option<&'a any_value::Value> {
    map.iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
}

fn criteria(item: &AnyValue) -> Result<Criteria, String> {
    let Some(any_value::Value::KvlistValue(map)) = &item.value else {
        return Err("criteria items must be maps".to_owned());
    };
    let mut out = Criteria::default();
    match field(&map.values, "equals") {
        None => {}
        Some(any_value::Value::ArrayValue(list)) => {
            for v in &list.values {
                match &v.value {
                    Some(any_value::Value::StringValue(s)) => out.equals.push(s.clone()),
                    _ => return Err("equals values must be strings".to_owned()),
                }
            }
        }
        Some(_) => return Err("equals must be a list".to_owned()),
    }
    out.range = match field(&map.values, "range") {
        None => None,
        Some(any_value::Value::StringValue(class)) => Some(match class.as_str() {
            "2xx" => (200, 299),
            "3xx" => (300, 399),
            "4xx" => (400, 499),
            "5xx" => (500, 599),
            other => return Err(format!("unknown range placeholder: {other}")),
        }),
        Some(any_value::Value::KvlistValue(bounds)) => {
            let bound = |name: &str| match field(&bounds.values, name) {
                Some(any_value::Value::IntValue(i)) => Ok(*i),
                Some(_) => Err(format!("{name} must be an int64")),
                None => Err(format!("range must have a {name} value")),
            };
            Some((bound("min")?, bound("max")?))
        }
        Some(_) => return Err("range must be a map or a known placeholder string".to_owned()),
    };
    Ok(out)
}

impl Converter for ParseSeverity {
    fn call<'a>(&'a self, target: &'a Target<'_>) -> EvalResult<Value<'a>> {
        let value = self.target.eval(target)?;
        let matches = |c: &Criteria| -> EvalResult<bool> {
            match &value {
                Value::Str(s) => Ok(c.equals.iter().any(|e| e == s.as_ref())),
                Value::Int(i) => Ok(c.range.is_some_and(|(min, max)| (min..=max).contains(i))),
                other => Err(EvalError::new(format!(
                    "could not map log level: unsupported value type: {}",
                    other.type_name()
                ))),
            }
        };
        for (level, criteria) in &self.levels {
            for c in criteria {
                if matches(c)? {
                    return Ok(Value::Str(Cow::Borrowed(level)));
                }
            }
        }
        Err(EvalError::new(format!(
            "could not map log level: no matching log level found for value '{}'",
            value.as_string_like().unwrap_or_default()
        )))
    }
}
