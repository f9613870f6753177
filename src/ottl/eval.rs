//! Evaluation of compiled expressions, conditions and paths against a `Target`.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

use thiserror::Error;

use super::ast::{CompareOp, MathOp};
use super::context::{Field, Target, SPAN_KIND_DEPRECATED, SPAN_KIND_NAMES};
use super::value::Value;
use crate::otlp::{any_value, AnyValue, ArrayValue, KeyValue, KeyValueList};

#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("{0}")]
pub struct EvalError(pub String);

impl EvalError {
    pub fn new(message: impl Into<String>) -> Self {
        EvalError(message.into())
    }
}

pub type EvalResult<T> = Result<T, EvalError>;

/// A converter call (pure: reads the target, returns a value).
pub trait Converter: Send + Sync + fmt::Debug {
    fn call<'a>(&'a self, target: &'a Target<'_>) -> EvalResult<Value<'a>>;
}

/// An editor call (mutates the target).
pub trait Editor: Send + Sync + fmt::Debug {
    fn apply(&self, target: &mut Target<'_>) -> EvalResult<()>;
}

#[derive(Debug)]
pub enum CompiledKey {
    Str(String),
    Int(i64),
    Expr(Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ResolvedKey<'a> {
    Str(Cow<'a, str>),
    Int(i64),
}

#[derive(Debug)]
pub struct CompiledPath {
    pub field: Field,
    pub keys: Vec<CompiledKey>,
    /// `keys` resolved at compile time when none is dynamic (the usual case), so reads
    /// and writes need no per-call key list.
    pub static_keys: Option<Vec<ResolvedKey<'static>>>,
    /// The path as written, for error messages.
    pub text: String,
}

impl CompiledPath {
    pub fn new(field: Field, keys: Vec<CompiledKey>, text: String) -> CompiledPath {
        let static_keys = keys
            .iter()
            .map(|k| match k {
                CompiledKey::Str(s) => Some(ResolvedKey::Str(Cow::Owned(s.clone()))),
                CompiledKey::Int(i) => Some(ResolvedKey::Int(*i)),
                CompiledKey::Expr(_) => None,
            })
            .collect();
        CompiledPath {
            field,
            keys,
            static_keys,
            text,
        }
    }
}

#[derive(Debug)]
pub enum Expr {
    Literal(Value<'static>),
    Path(CompiledPath),
    Call {
        converter: Box<dyn Converter>,
        keys: Vec<CompiledKey>,
    },
    Math {
        op: MathOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    List(Vec<Expr>),
    Map(Vec<(String, Expr)>),
}

#[derive(Debug)]
pub enum Cond {
    Or(Vec<Cond>),
    And(Vec<Cond>),
    Not(Box<Cond>),
    Compare {
        op: CompareOp,
        lhs: Expr,
        rhs: Expr,
    },
    /// `x == nil` / `x != nil`, the commonest guard in templates: no comparison dispatch.
    IsNil {
        expr: Expr,
        negate: bool,
    },
    Const(bool),
    Converter(Expr),
}

// ---------------------------------------------------------------- expressions

impl Expr {
    pub fn eval<'a>(&'a self, target: &'a Target<'_>) -> EvalResult<Value<'a>> {
        match self {
            Expr::Literal(v) => Ok(borrow_value(v)),
            Expr::Path(path) => path.get(target),
            Expr::Call { converter, keys } => {
                let value = converter.call(target)?;
                if keys.is_empty() {
                    return Ok(value);
                }
                let resolved = resolve_keys(keys, target)?;
                index_value(value, &resolved)
            }
            Expr::Math { op, lhs, rhs } => math(*op, lhs.eval(target)?, rhs.eval(target)?),
            Expr::List(items) => {
                let values = items
                    .iter()
                    .map(|e| e.eval(target).map(|v| v.into_any()))
                    .collect::<EvalResult<Vec<_>>>()?;
                Ok(Value::List(Cow::Owned(values)))
            }
            Expr::Map(items) => {
                let values = items
                    .iter()
                    .map(|(k, e)| {
                        e.eval(target).map(|v| KeyValue {
                            key: k.clone(),
                            value: Some(v.into_any()),
                            ..Default::default()
                        })
                    })
                    .collect::<EvalResult<Vec<_>>>()?;
                Ok(Value::Map(Cow::Owned(values)))
            }
        }
    }

    pub fn as_path(&self) -> Option<&CompiledPath> {
        match self {
            Expr::Path(p) => Some(p),
            _ => None,
        }
    }
}

/// A literal held by the program, lent out without copying.
pub fn borrow_value<'a>(v: &'a Value<'static>) -> Value<'a> {
    match v {
        Value::Str(s) => Value::Str(Cow::Borrowed(s.as_ref())),
        Value::Bytes(b) => Value::Bytes(Cow::Borrowed(b.as_ref())),
        Value::Map(m) => Value::Map(Cow::Borrowed(m.as_ref())),
        Value::List(l) => Value::List(Cow::Borrowed(l.as_ref())),
        other => other.clone(),
    }
}

fn math<'a>(op: MathOp, lhs: Value<'a>, rhs: Value<'a>) -> EvalResult<Value<'a>> {
    match (lhs, rhs) {
        (Value::Int(a), Value::Int(b)) => Ok(Value::Int(match op {
            MathOp::Add => a.wrapping_add(b),
            MathOp::Sub => a.wrapping_sub(b),
            MathOp::Mul => a.wrapping_mul(b),
            MathOp::Div => {
                if b == 0 {
                    return Err(EvalError::new("attempted to divide by 0"));
                }
                a.wrapping_div(b)
            }
        })),
        (Value::Float(a), Value::Float(b)) => Ok(Value::Float(match op {
            MathOp::Add => a + b,
            MathOp::Sub => a - b,
            MathOp::Mul => a * b,
            MathOp::Div => {
                if b == 0.0 {
                    return Err(EvalError::new("attempted to divide by 0"));
                }
                a / b
            }
        })),
        (Value::Time(a), Value::Time(b)) if op == MathOp::Sub => Ok(Value::Duration(a - b)),
        (Value::Time(a), Value::Duration(d)) if op == MathOp::Add => Ok(Value::Time(a + d)),
        (Value::Time(a), Value::Duration(d)) if op == MathOp::Sub => Ok(Value::Time(a - d)),
        (Value::Duration(a), Value::Duration(b)) if matches!(op, MathOp::Add | MathOp::Sub) => {
            Ok(Value::Duration(if op == MathOp::Add { a + b } else { a - b }))
        }
        (a, b) => Err(EvalError::new(format!(
            "unsupported math operation on {} and {}",
            a.type_name(),
            b.type_name()
        ))),
    }
}

// ---------------------------------------------------------------- conditions

impl Cond {
    /// A comparison, specialised where the semantics allow.
    pub fn compare(op: CompareOp, lhs: Expr, rhs: Expr) -> Cond {
        let is_nil_literal = |e: &Expr| matches!(e, Expr::Literal(Value::Nil));
        if matches!(op, CompareOp::Eq | CompareOp::Ne) && (is_nil_literal(&lhs) || is_nil_literal(&rhs)) {
            let expr = if is_nil_literal(&rhs) { lhs } else { rhs };
            return Cond::IsNil {
                expr,
                negate: op == CompareOp::Ne,
            };
        }
        Cond::Compare { op, lhs, rhs }
    }

    pub fn eval(&self, target: &Target<'_>) -> EvalResult<bool> {
        match self {
            Cond::Or(items) => {
                for item in items {
                    if item.eval(target)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Cond::And(items) => {
                for item in items {
                    if !item.eval(target)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Cond::Not(inner) => Ok(!inner.eval(target)?),
            Cond::Compare { op, lhs, rhs } => Ok(compare(&lhs.eval(target)?, &rhs.eval(target)?, *op)),
            Cond::IsNil { expr, negate } => Ok(expr.eval(target)?.is_nil() != *negate),
            Cond::Const(b) => Ok(*b),
            Cond::Converter(expr) => match expr.eval(target)? {
                Value::Bool(b) => Ok(b),
                other => Err(EvalError::new(format!("expected bool but got {}", other.type_name()))),
            },
        }
    }
}

/// OTTL comparison: never an error; mismatched types are simply not equal.
pub fn compare(a: &Value<'_>, b: &Value<'_>, op: CompareOp) -> bool {
    let ordering = match (a, b) {
        (Value::Nil, Value::Nil) => Some(Ordering::Equal),
        (Value::Nil, _) | (_, Value::Nil) => return op == CompareOp::Ne,
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y),
        (Value::Int(x), Value::Float(y)) => (*x as f64).partial_cmp(y),
        (Value::Float(x), Value::Int(y)) => x.partial_cmp(&(*y as f64)),
        (Value::Str(x), Value::Str(y)) => Some(x.as_ref().cmp(y.as_ref())),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Time(x), Value::Time(y)) | (Value::Duration(x), Value::Duration(y)) => Some(x.cmp(y)),
        (Value::Bytes(x), Value::Bytes(y)) => Some(x.as_ref().cmp(y.as_ref())),
        (Value::TraceId(x), Value::TraceId(y)) => Some(x.cmp(y)),
        (Value::SpanId(x), Value::SpanId(y)) => Some(x.cmp(y)),
        (Value::TraceId(x), Value::Bytes(y)) | (Value::Bytes(y), Value::TraceId(x)) => {
            return equality_only(x.as_slice() == y.as_ref(), op)
        }
        (Value::SpanId(x), Value::Bytes(y)) | (Value::Bytes(y), Value::SpanId(x)) => {
            return equality_only(x.as_slice() == y.as_ref(), op)
        }
        (Value::Map(x), Value::Map(y)) => return equality_only(maps_equal(x, y), op),
        (Value::List(x), Value::List(y)) => return equality_only(lists_equal(x, y), op),
        _ => return op == CompareOp::Ne,
    };
    match ordering {
        None => op == CompareOp::Ne,
        Some(o) => match op {
            CompareOp::Eq => o == Ordering::Equal,
            CompareOp::Ne => o != Ordering::Equal,
            CompareOp::Lt => o == Ordering::Less,
            CompareOp::Le => o != Ordering::Greater,
            CompareOp::Gt => o == Ordering::Greater,
            CompareOp::Ge => o != Ordering::Less,
        },
    }
}

fn equality_only(equal: bool, op: CompareOp) -> bool {
    match op {
        CompareOp::Eq => equal,
        CompareOp::Ne => !equal,
        _ => false,
    }
}

/// Deep equality of maps, without regard to order.
pub fn maps_equal(a: &[KeyValue], b: &[KeyValue]) -> bool {
    a.len() == b.len()
        && a.iter().all(|kv| {
            b.iter()
                .find(|o| o.key == kv.key)
                .is_some_and(|o| any_equal(kv.value.as_ref(), o.value.as_ref()))
        })
}

pub fn lists_equal(a: &[AnyValue], b: &[AnyValue]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| any_equal(Some(x), Some(y)))
}

pub fn any_equal(a: Option<&AnyValue>, b: Option<&AnyValue>) -> bool {
    let a = Value::from_optional_any(a);
    let b = Value::from_optional_any(b);
    match (&a, &b) {
        (Value::Map(x), Value::Map(y)) => maps_equal(x, y),
        (Value::List(x), Value::List(y)) => lists_equal(x, y),
        (Value::Float(x), Value::Float(y)) => x == y || (x.is_nan() && y.is_nan()),
        _ => a == b,
    }
}

// ---------------------------------------------------------------- keys and maps

pub fn resolve_keys<'a>(keys: &'a [CompiledKey], target: &'a Target<'_>) -> EvalResult<Vec<ResolvedKey<'a>>> {
    keys.iter()
        .map(|key| match key {
            CompiledKey::Str(s) => Ok(ResolvedKey::Str(Cow::Borrowed(s))),
            CompiledKey::Int(i) => Ok(ResolvedKey::Int(*i)),
            CompiledKey::Expr(expr) => match expr.eval(target)? {
                Value::Str(s) => Ok(ResolvedKey::Str(s)),
                Value::Int(i) => Ok(ResolvedKey::Int(i)),
                other => Err(EvalError::new(format!(
                    "unable to resolve an integer index in slice: could not resolve key for map/slice, expecting 'int64' but got '{}'",
                    other.type_name()
                ))),
            },
        })
        .collect()
}

fn owned_keys(keys: Vec<ResolvedKey<'_>>) -> Vec<ResolvedKey<'static>> {
    keys.into_iter()
        .map(|k| match k {
            ResolvedKey::Str(s) => ResolvedKey::Str(Cow::Owned(s.into_owned())),
            ResolvedKey::Int(i) => ResolvedKey::Int(i),
        })
        .collect()
}

pub fn find<'a>(map: &'a [KeyValue], key: &str) -> Option<&'a KeyValue> {
    map.iter().find(|kv| kv.key == key)
}

/// Reads `keys` inside a map (attributes, cache).
pub fn get_in_map<'a>(map: &'a [KeyValue], keys: &[ResolvedKey<'_>]) -> EvalResult<Value<'a>> {
    let Some((first, rest)) = keys.split_first() else {
        return Ok(Value::Map(Cow::Borrowed(map)));
    };
    let ResolvedKey::Str(name) = first else {
        return Err(EvalError::new(
            "unable to resolve a string index in map: invalid key type",
        ));
    };
    let value = find(map, name).map_or(Value::Nil, |kv| Value::from_optional_any(kv.value.as_ref()));
    if rest.is_empty() {
        return Ok(value);
    }
    index_value(value, rest)
}

/// Indexes into a value already read (a converter result or a map entry).
pub fn index_value<'a>(mut value: Value<'a>, keys: &[ResolvedKey<'_>]) -> EvalResult<Value<'a>> {
    for key in keys {
        value = match (value, key) {
            (Value::Nil, _) => return Ok(Value::Nil),
            (Value::Map(m), ResolvedKey::Str(k)) => match m {
                Cow::Borrowed(m) => Value::from_optional_any(find(m, k).and_then(|kv| kv.value.as_ref())),
                Cow::Owned(m) => Value::from_optional_any(find(&m, k).and_then(|kv| kv.value.as_ref())).into_owned(),
            },
            (Value::List(l), ResolvedKey::Int(i)) => {
                let index = usize::try_from(*i)
                    .ok()
                    .filter(|i| *i < l.len())
                    .ok_or_else(|| EvalError::new(format!("index {i} out of bounds")))?;
                match l {
                    Cow::Borrowed(l) => Value::from_any(&l[index]),
                    Cow::Owned(l) => Value::from_any(&l[index]).into_owned(),
                }
            }
            (Value::Map(_), ResolvedKey::Int(_)) => {
                return Err(EvalError::new(
                    "unable to resolve a string index in map: invalid key type",
                ))
            }
            (Value::List(_), ResolvedKey::Str(_)) => {
                return Err(EvalError::new(
                    "unable to resolve an integer index in slice: invalid key type",
                ))
            }
            (other, ResolvedKey::Str(_)) => {
                return Err(EvalError::new(format!(
                    "type {} does not support string indexing",
                    other.type_name()
                )))
            }
            (other, ResolvedKey::Int(_)) => {
                return Err(EvalError::new(format!(
                    "type {} does not support integer indexing",
                    other.type_name()
                )))
            }
        };
    }
    Ok(value)
}

/// Writes `value` at `keys` inside a map, creating maps and slices on the way.
pub fn set_in_map(map: &mut Vec<KeyValue>, keys: &[ResolvedKey<'_>], value: AnyValue) -> EvalResult<()> {
    let Some((first, rest)) = keys.split_first() else {
        return Err(EvalError::new("no key to set"));
    };
    let ResolvedKey::Str(name) = first else {
        return Err(EvalError::new(
            "unable to resolve a string index in map: invalid key type",
        ));
    };
    let slot = match map.iter().position(|kv| kv.key == name.as_ref()) {
        Some(i) => &mut map[i],
        None => {
            map.push(KeyValue {
                key: name.to_string(),
                value: Some(AnyValue::default()),
                ..Default::default()
            });
            let last = map.len() - 1;
            &mut map[last]
        }
    };
    let mut current = slot.value.get_or_insert_with(AnyValue::default);
    for key in rest {
        current = step_mut(current, key)?;
    }
    *current = value;
    Ok(())
}

fn step_mut<'v>(current: &'v mut AnyValue, key: &ResolvedKey<'_>) -> EvalResult<&'v mut AnyValue> {
    let type_name = Value::from_any(current).type_name();
    match key {
        ResolvedKey::Str(k) => {
            if current.value.is_none() {
                current.value = Some(any_value::Value::KvlistValue(KeyValueList::default()));
            }
            match &mut current.value {
                Some(any_value::Value::KvlistValue(m)) => {
                    let index = match m.values.iter().position(|kv| kv.key == k.as_ref()) {
                        Some(i) => i,
                        None => {
                            m.values.push(KeyValue {
                                key: k.to_string(),
                                value: Some(AnyValue::default()),
                                ..Default::default()
                            });
                            m.values.len() - 1
                        }
                    };
                    Ok(m.values[index].value.get_or_insert_with(AnyValue::default))
                }
                _ => Err(EvalError::new(format!(
                    "type {type_name} does not support string indexing"
                ))),
            }
        }
        ResolvedKey::Int(i) => {
            let index = usize::try_from(*i).map_err(|_| EvalError::new(format!("index {i} out of bounds")))?;
            if current.value.is_none() {
                current.value = Some(any_value::Value::ArrayValue(ArrayValue {
                    values: vec![AnyValue::default(); index + 1],
                }));
            }
            match &mut current.value {
                Some(any_value::Value::ArrayValue(a)) => a
                    .values
                    .get_mut(index)
                    .ok_or_else(|| EvalError::new(format!("index {i} out of bounds"))),
                _ => Err(EvalError::new(format!(
                    "type {type_name} does not support integer indexing"
                ))),
            }
        }
    }
}

// ---------------------------------------------------------------- paths

fn need<T>(value: Option<T>, what: &str) -> EvalResult<T> {
    value.ok_or_else(|| EvalError::new(format!("{what} is not available in this context")))
}

impl CompiledPath {
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
                };
                return get_in_map(map, keys);
            }
            Field::Cache => return get_in_map(&target.cache, keys),
            Field::DroppedAttributesCount(ctx) => Value::Int(i64::from(match ctx {
                C::Resource => target.resource.dropped_attributes_count,
                C::Scope => scope()?.dropped_attributes_count,
                C::Span => span()?.dropped_attributes_count,
                C::SpanEvent => event()?.dropped_attributes_count,
            })),
            Field::SchemaUrl(C::Resource) => Value::str(target.resource_schema_url.as_str()),
            Field::SchemaUrl(_) => Value::str(need(target.scope.as_ref().map(|(_, u)| u.as_str()), "scope")?),
            Field::ScopeName => Value::str(&scope()?.name),
            Field::ScopeVersion => Value::str(&scope()?.version),
            Field::TraceId => Value::TraceId(fixed(&span()?.trace_id)),
            Field::TraceIdString => Value::string(hex::encode(&span()?.trace_id)),
            Field::SpanId => Value::SpanId(fixed(&span()?.span_id)),
            Field::SpanIdString => Value::string(hex::encode(&span()?.span_id)),
            Field::ParentSpanId => Value::SpanId(fixed(&span()?.parent_span_id)),
            Field::ParentSpanIdString => {
                let parent = &span()?.parent_span_id;
                if parent.iter().all(|b| *b == 0) {
                    Value::str("")
                } else {
                    Value::string(hex::encode(parent))
                }
            }
            Field::TraceState => {
                let state = &span()?.trace_state;
                match keys.first() {
                    None => Value::str(state),
                    Some(ResolvedKey::Str(k)) => trace_state_get(state, k).map_or(Value::Nil, Value::str),
                    Some(ResolvedKey::Int(_)) => return Err(EvalError::new("trace_state keys must be strings")),
                }
            }
            Field::SpanName => Value::str(&span()?.name),
            Field::Kind => Value::Int(i64::from(span()?.kind)),
            Field::KindString => Value::str(
                usize::try_from(span()?.kind)
                    .ok()
                    .and_then(|k| SPAN_KIND_NAMES.get(k))
                    .copied()
                    .unwrap_or(""),
            ),
            Field::KindDeprecatedString => Value::str(
                usize::try_from(span()?.kind)
                    .ok()
                    .and_then(|k| SPAN_KIND_DEPRECATED.get(k))
                    .copied()
                    .unwrap_or(""),
            ),
            Field::StartTimeUnixNano => Value::Int(span()?.start_time_unix_nano as i64),
            Field::EndTimeUnixNano => Value::Int(span()?.end_time_unix_nano as i64),
            Field::StartTime => Value::Time(span()?.start_time_unix_nano as i64),
            Field::EndTime => Value::Time(span()?.end_time_unix_nano as i64),
            Field::DroppedEventsCount => Value::Int(i64::from(span()?.dropped_events_count)),
            Field::DroppedLinksCount => Value::Int(i64::from(span()?.dropped_links_count)),
            // Whole event/link lists are opaque in OTTL; they read as slices of maps.
            Field::Events => Value::List(Cow::Owned(
                span()?
                    .events
                    .iter()
                    .map(|e| string_map(&[("name", e.name.as_str())]))
                    .collect(),
            )),
            Field::Links => Value::List(Cow::Owned(
                span()?
                    .links
                    .iter()
                    .map(|l| string_map(&[("trace_id", &hex::encode(&l.trace_id))]))
                    .collect(),
            )),
            Field::Status => {
                let status = span()?.status.clone().unwrap_or_default();
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
            Field::StatusCode => Value::Int(i64::from(span()?.status.as_ref().map_or(0, |s| s.code))),
            Field::StatusMessage => Value::str(span()?.status.as_ref().map_or("", |s| s.message.as_str())),
            Field::EventName => Value::str(&event()?.name),
            Field::EventTimeUnixNano => Value::Int(event()?.time_unix_nano as i64),
            Field::EventTime => Value::Time(event()?.time_unix_nano as i64),
            Field::EventIndex => Value::Int(need(target.event_index, "span event")? as i64),
        })
    }

    /// Strict setter: a value of the wrong type is an error, never converted.
    pub fn set(&self, target: &mut Target<'_>, value: Value<'static>) -> EvalResult<()> {
        if let Some(keys) = &self.static_keys {
            return self.set_with(target, keys, value);
        }
        let keys = owned_keys(resolve_keys(&self.keys, target)?);
        self.set_with(target, &keys, value)
    }

    pub fn set_with(&self, target: &mut Target<'_>, keys: &[ResolvedKey<'_>], value: Value<'static>) -> EvalResult<()> {
        use super::context::ContextKind as C;
        let field = self.field;
        let wrong = |value: &Value<'_>, want: &str| {
            EvalError::new(format!(
                "path {}: expected {want} but got {}",
                self.text,
                value.type_name()
            ))
        };
        match field {
            Field::Attributes(_) | Field::Cache => {
                let map = self.map_mut(target)?;
                if keys.is_empty() {
                    match value {
                        Value::Map(m) => *map = m.into_owned(),
                        Value::Nil => map.clear(),
                        other => return Err(wrong(&other, "pcommon.Map")),
                    }
                    return Ok(());
                }
                return set_in_map(map, keys, value.into_any());
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
            Field::TraceId => match value {
                Value::TraceId(id) => span_mut(target)?.trace_id = id.to_vec(),
                Value::Bytes(b) if b.len() == 16 => span_mut(target)?.trace_id = b.into_owned(),
                other => return Err(wrong(&other, "pcommon.TraceID")),
            },
            Field::SpanId | Field::ParentSpanId => {
                let id = match value {
                    Value::SpanId(id) => id.to_vec(),
                    Value::Bytes(b) if b.len() == 8 => b.into_owned(),
                    other => return Err(wrong(&other, "pcommon.SpanID")),
                };
                let span = span_mut(target)?;
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
                let span = span_mut(target)?;
                match field {
                    Field::TraceIdString => span.trace_id = bytes,
                    Field::SpanIdString => span.span_id = bytes,
                    _ => span.parent_span_id = bytes,
                }
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
            Field::Kind => {
                let Value::Int(k) = value else {
                    return Err(wrong(&value, "int64"));
                };
                span_mut(target)?.kind =
                    i32::try_from(k).map_err(|_| EvalError::new(format!("invalid span kind {k}")))?;
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
                span_mut(target)?.kind = kind as i32;
            }
            Field::StartTimeUnixNano | Field::EndTimeUnixNano | Field::StartTime | Field::EndTime => {
                let nanos = match (field, value) {
                    (Field::StartTimeUnixNano | Field::EndTimeUnixNano, Value::Int(n)) => n,
                    (Field::StartTime | Field::EndTime, Value::Time(t)) => t,
                    (_, other) => return Err(wrong(&other, "a time")),
                };
                let span = span_mut(target)?;
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
                let span = span_mut(target)?;
                if field == Field::DroppedEventsCount {
                    span.dropped_events_count = n;
                } else {
                    span.dropped_links_count = n;
                }
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
            // Span event setters ignore values of the wrong type, as upstream's do.
            Field::EventName => {
                if let Value::Str(s) = value {
                    event_mut(target)?.name = s.into_owned();
                }
            }
            Field::EventTimeUnixNano | Field::EventTime => {
                if let Value::Int(t) | Value::Time(t) = value {
                    event_mut(target)?.time_unix_nano = t as u64;
                }
            }
            Field::Events | Field::Links | Field::Status | Field::EventIndex => {
                return Err(EvalError::new(format!("path {} cannot be set", self.text)))
            }
        }
        Ok(())
    }

    /// The map an attributes or cache path names (for editors working on whole maps).
    pub fn map_mut<'t>(&self, target: &'t mut Target<'_>) -> EvalResult<&'t mut Vec<KeyValue>> {
        use super::context::ContextKind as C;
        Ok(match self.field {
            Field::Attributes(C::Resource) => &mut target.resource.attributes,
            Field::Attributes(C::Scope) => &mut self.scope_mut(target)?.attributes,
            Field::Attributes(C::Span) => &mut span_mut(target)?.attributes,
            Field::Attributes(C::SpanEvent) => &mut event_mut(target)?.attributes,
            Field::Cache => &mut target.cache,
            _ => return Err(EvalError::new(format!("path {} is not a map", self.text))),
        })
    }

    fn scope_mut<'t>(&self, target: &'t mut Target<'_>) -> EvalResult<&'t mut crate::otlp::InstrumentationScope> {
        need(target.scope.as_mut().map(|(s, _)| &mut **s), "scope")
    }
}

fn span_mut<'t>(target: &'t mut Target<'_>) -> EvalResult<&'t mut crate::otlp::Span> {
    need(target.span.as_deref_mut(), "span")
}

fn event_mut<'t>(target: &'t mut Target<'_>) -> EvalResult<&'t mut crate::otlp::span::Event> {
    let index = need(target.event_index, "span event")?;
    let span = span_mut(target)?;
    need(span.events.get_mut(index), "span event")
}

fn fixed<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    let n = bytes.len().min(N);
    out[..n].copy_from_slice(&bytes[..n]);
    out
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::{InstrumentationScope, Resource, Span};
    use crate::ottl::ast::CompareOp as Op;

    fn literal(v: Value<'static>) -> Expr {
        Expr::Literal(v)
    }

    /// The `== nil` specialisation must agree with the general comparison for every operand
    /// order and operator.
    #[test]
    fn nil_comparisons_agree_with_the_general_rule() {
        let mut resource = Resource::default();
        let mut schema = String::new();
        let mut scope = InstrumentationScope::default();
        let mut scope_schema = String::new();
        let mut span = Span::default();
        let target = Target {
            resource: &mut resource,
            resource_schema_url: &mut schema,
            scope: Some((&mut scope, &mut scope_schema)),
            span: Some(&mut span),
            event_index: None,
            cache: Vec::new(),
        };
        let values = [Value::Nil, Value::Int(1), Value::string("x".into())];
        let ops = [Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge];
        for a in &values {
            for b in &values {
                for op in ops {
                    let specialised = Cond::compare(op, literal(a.clone()), literal(b.clone()));
                    let general = compare(a, b, op);
                    assert_eq!(specialised.eval(&target).unwrap(), general, "{a:?} {op:?} {b:?}");
                    if a.is_nil() || b.is_nil() {
                        let is_nil = matches!(specialised, Cond::IsNil { .. });
                        assert_eq!(is_nil, matches!(op, Op::Eq | Op::Ne), "{a:?} {op:?} {b:?}");
                    }
                }
            }
        }
    }
}
