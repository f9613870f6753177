//! The converters that take lambdas (upstream's `All`, `Any`, `Filter`, `Find`, `MapEach`,
//! `MapKeys`, `Reduce`, `When`), behind the `ottl.functions.enableLambda` gate as upstream
//! has them. A slice's elements reach a two-formal lambda as `(index, value)`, a map's as
//! `(key, value)`; `Reduce`'s accumulator gets `(acc, key or index, value)`.

use std::borrow::Cow;

use super::super::context::Target;
use super::super::eval::{Converter, EvalError, EvalResult, Expr};
use super::super::lambda::CompiledLambda;
use super::super::signature::{opt, req, Args};
use super::super::value::Value;
use super::{converter, gated, param, FunctionSpec, LAMBDA_GATE};
use crate::otlp::{AnyValue, KeyValue};
use crate::ottl::error::ParseError;

pub const SPECS: &[FunctionSpec] = &[
    gated(
        converter("All", &[req(param::SOURCE), req(param::PREDICATE)], |a| {
            build(a, Kind::All, param::PREDICATE, 2)
        }),
        LAMBDA_GATE,
    ),
    gated(
        converter("Any", &[req(param::SOURCE), req(param::PREDICATE)], |a| {
            build(a, Kind::Any, param::PREDICATE, 2)
        }),
        LAMBDA_GATE,
    ),
    gated(
        converter("Filter", &[req(param::SOURCE), req(param::PREDICATE)], |a| {
            build(a, Kind::Filter, param::PREDICATE, 2)
        }),
        LAMBDA_GATE,
    ),
    gated(
        converter(
            "Find",
            &[req(param::SOURCE), req(param::PREDICATE), opt(param::MAPPER)],
            |a| {
                let mapper = a.opt_lambda(param::MAPPER, 2)?;
                build(a, Kind::Find(mapper), param::PREDICATE, 2)
            },
        ),
        LAMBDA_GATE,
    ),
    gated(
        converter("MapEach", &[req(param::SOURCE), req(param::MAPPER)], |a| {
            build(a, Kind::MapEach, param::MAPPER, 2)
        }),
        LAMBDA_GATE,
    ),
    gated(
        converter("MapKeys", &[req(param::SOURCE), req(param::KEY_MAPPER)], |a| {
            build(a, Kind::MapKeys, param::KEY_MAPPER, 2)
        }),
        LAMBDA_GATE,
    ),
    gated(
        converter(
            "Reduce",
            &[req(param::SOURCE), req(param::SEED), req(param::ACCUMULATOR)],
            |a| {
                let seed = a.expr(param::SEED)?;
                build(a, Kind::Reduce(seed), param::ACCUMULATOR, 3)
            },
        ),
        LAMBDA_GATE,
    ),
    gated(
        converter(
            "When",
            &[req(param::CONDITION), req(param::TRUE_VALUE), req(param::FALSE_VALUE)],
            |a| {
                Ok(Box::new(When {
                    condition: a.lambda(param::CONDITION, 0)?,
                    when_true: a.expr(param::TRUE_VALUE)?,
                    when_false: a.expr(param::FALSE_VALUE)?,
                }))
            },
        ),
        LAMBDA_GATE,
    ),
];

#[derive(Debug)]
enum Kind {
    All,
    Any,
    Filter,
    Find(Option<CompiledLambda>),
    MapEach,
    MapKeys,
    Reduce(Expr),
}

impl Kind {
    fn name(&self) -> &'static str {
        match self {
            Kind::All => "All",
            Kind::Any => "Any",
            Kind::Filter => "Filter",
            Kind::Find(_) => "Find",
            Kind::MapEach => "MapEach",
            Kind::MapKeys => "MapKeys",
            Kind::Reduce(_) => "Reduce",
        }
    }
}

/// A function over a slice or map with one lambda.
#[derive(Debug)]
struct OverItems {
    kind: Kind,
    source: Expr,
    lambda: CompiledLambda,
}

fn build(a: &mut Args<'_>, kind: Kind, lambda: &str, arity: usize) -> Result<Box<dyn Converter>, ParseError> {
    Ok(Box::new(OverItems {
        source: a.expr(param::SOURCE)?,
        lambda: a.lambda(lambda, arity)?,
        kind,
    }))
}

/// The items of a slice (keyed by index) or a map (keyed by key).
enum Items<'v> {
    Slice(&'v [AnyValue]),
    Map(&'v [KeyValue]),
}

impl<'v> Items<'v> {
    fn of(value: &'v Value<'_>, function: &str) -> EvalResult<Items<'v>> {
        match value {
            Value::List(items) => Ok(Items::Slice(items)),
            Value::Map(map) => Ok(Items::Map(map)),
            other => Err(EvalError::new(format!(
                "{function}: unsupported type: {} (expected a slice or a map)",
                other.type_name()
            ))),
        }
    }

    /// `(key or index, value)` of every item, in order.
    fn pairs(&self) -> Vec<(Value<'v>, Value<'v>)> {
        match self {
            Items::Slice(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (Value::Int(i as i64), Value::from_any(v)))
                .collect(),
            Items::Map(map) => map
                .iter()
                .map(|kv| (Value::str(&kv.key), Value::from_optional_any(kv.value.as_ref())))
                .collect(),
        }
    }
}

impl Converter for OverItems {
    fn call<'a>(&'a self, target: &'a Target<'_>) -> EvalResult<Value<'a>> {
        let function = self.kind.name();
        let source = self.source.eval(target)?;
        let items = Items::of(&source, function)?;
        let lambda = &self.lambda;
        let fail = |e: EvalError| EvalError::new(format!("{function}: error while evaluating lambda function: {e}"));
        match &self.kind {
            Kind::All => {
                for (k, v) in items.pairs() {
                    if !lambda.test(target, &[k, v]).map_err(fail)? {
                        return Ok(Value::Bool(false));
                    }
                }
                Ok(Value::Bool(true))
            }
            Kind::Any => {
                for (k, v) in items.pairs() {
                    if lambda.test(target, &[k, v]).map_err(fail)? {
                        return Ok(Value::Bool(true));
                    }
                }
                Ok(Value::Bool(false))
            }
            Kind::Filter => {
                let keep = items
                    .pairs()
                    .into_iter()
                    .map(|(k, v)| lambda.test(target, &[k, v]).map_err(fail))
                    .collect::<EvalResult<Vec<bool>>>()?;
                Ok(match items {
                    Items::Slice(list) => Value::List(Cow::Owned(
                        list.iter()
                            .zip(&keep)
                            .filter(|(_, k)| **k)
                            .map(|(v, _)| v.clone())
                            .collect(),
                    )),
                    Items::Map(map) => Value::Map(Cow::Owned(
                        map.iter()
                            .zip(&keep)
                            .filter(|(_, k)| **k)
                            .map(|(kv, _)| kv.clone())
                            .collect(),
                    )),
                })
            }
            Kind::Find(mapper) => {
                for (k, v) in items.pairs() {
                    if lambda.test(target, &[k.clone(), v.clone()]).map_err(fail)? {
                        return match mapper {
                            Some(mapper) => mapper.call(target, &[k, v]).map_err(fail),
                            None => Ok(v.into_owned()),
                        };
                    }
                }
                Ok(Value::Nil)
            }
            Kind::MapEach => {
                let mapped = items
                    .pairs()
                    .into_iter()
                    .map(|(k, v)| lambda.call(target, &[k, v]).map_err(fail))
                    .collect::<EvalResult<Vec<Value<'static>>>>()?;
                Ok(match items {
                    Items::Slice(_) => Value::List(Cow::Owned(mapped.into_iter().map(Value::into_any).collect())),
                    Items::Map(map) => Value::Map(Cow::Owned(
                        map.iter()
                            .zip(mapped)
                            .map(|(kv, v)| KeyValue {
                                key: kv.key.clone(),
                                value: Some(v.into_any()),
                                ..Default::default()
                            })
                            .collect(),
                    )),
                })
            }
            Kind::MapKeys => {
                let Items::Map(map) = items else {
                    return Err(EvalError::new(format!(
                        "MapKeys: expected pcommon.Map but got {}",
                        source.type_name()
                    )));
                };
                let mut out: Vec<KeyValue> = Vec::with_capacity(map.len());
                for kv in map.iter() {
                    let args = [Value::str(&kv.key), Value::from_optional_any(kv.value.as_ref())];
                    let key = match lambda.call(target, &args).map_err(fail)? {
                        Value::Str(s) => s.into_owned(),
                        other => {
                            return Err(fail(EvalError::new(format!(
                                "expected a string key, got {}",
                                other.type_name()
                            ))))
                        }
                    };
                    // A key mapped twice keeps its first place and its last value.
                    match out.iter_mut().find(|e| e.key == key) {
                        Some(existing) => existing.value = kv.value.clone(),
                        None => out.push(KeyValue {
                            key,
                            value: kv.value.clone(),
                            ..Default::default()
                        }),
                    }
                }
                Ok(Value::Map(Cow::Owned(out)))
            }
            Kind::Reduce(seed) => {
                let mut acc = seed.eval(target)?.into_owned();
                for (k, v) in items.pairs() {
                    acc = lambda.call(target, &[acc, k, v]).map_err(fail)?;
                }
                Ok(acc)
            }
        }
    }
}

#[derive(Debug)]
struct When {
    condition: CompiledLambda,
    when_true: Expr,
    when_false: Expr,
}

impl Converter for When {
    fn call<'a>(&'a self, target: &'a Target<'_>) -> EvalResult<Value<'a>> {
        let matched = self
            .condition
            .test(target, &[])
            .map_err(|e| EvalError::new(format!("When: error while evaluating lambda function: {e}")))?;
        if matched {
            self.when_true.eval(target)
        } else {
            self.when_false.eval(target)
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ottl::functions::LAMBDA_GATE;
    use crate::ottl::Registry;
    use crate::template::CompiledTemplate;

    fn compile(statement: &str) -> Result<CompiledTemplate, String> {
        let yaml = format!("trace_statements:\n  - context: span\n    statements:\n      - '{statement}'\n");
        let registry = Registry::with_gates(&[LAMBDA_GATE.to_owned()]).unwrap();
        CompiledTemplate::compile(&yaml, "t.yaml", &registry).map_err(|e| e.to_string())
    }

    #[test]
    fn lambdas_are_checked_when_the_template_compiles() {
        let cases = [
            (
                r#"set(attributes["x"], Filter(attributes["l"], (v) => v == "a"))"#,
                "exactly 2 formal(s), but has 1",
            ),
            (
                r#"set(attributes["x"], When((a) => true, 1, 2))"#,
                "exactly 0 formal(s), but has 1",
            ),
            (
                r#"set(attributes["x"], Filter(attributes["l"], (k, k) => true))"#,
                "declared twice",
            ),
            (
                r#"set(attributes["x"], Filter(attributes["l"], "not a lambda"))"#,
                "must be a lambda",
            ),
            (
                r#"set(attributes["x"], Filter(attributes["l"], (k, v) => v.name == "a"))"#,
                "has no fields",
            ),
            (r#"set(attributes["x"], Concat([(k, v) => k], ""))"#, ""),
        ];
        for (statement, error) in cases {
            match compile(statement) {
                Ok(_) => panic!("{statement} compiled"),
                Err(e) => assert!(e.contains(error), "{statement}: {e}"),
            }
        }
    }

    #[test]
    fn a_formal_shadows_only_inside_its_lambda_and_is_never_a_write_target() {
        // `attributes` inside the lambda is the span's (no formal has that name); `v` outside
        // it is a path again, and the span has no field `v`.
        assert!(compile(r#"set(attributes["x"], MapEach(attributes["l"], (i, v) => attributes["y"]))"#).is_ok());
        assert!(compile(r#"set(attributes["x"], v)"#).is_err());
        let without_gate = CompiledTemplate::compile(
            "trace_statements:\n  - context: span\n    statements:\n      - 'set(attributes[\"x\"], Any(attributes[\"l\"], (k, v) => true))'\n",
            "t.yaml",
            &Registry::standard(),
        );
        assert!(without_gate.is_err_and(|e| e.to_string().contains("ottl.functions.enableLambda")));
        assert!(Registry::with_gates(&["ottl.functions.enableLambdas".to_owned()]).is_err());
    }
}
