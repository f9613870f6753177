//! Evaluation of compiled expressions, conditions and paths against a `Target`.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

use thiserror::Error;

use super::ast::{CompareOp, MathOp};
use super::context::{Field, Target};
use super::key_summary::KeySummary;
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

/// A converter computed from its arguments' values alone.
pub type CallFn = fn(&[Value<'_>]) -> EvalResult<Value<'static>>;

/// A converter call (pure: reads the target, returns a value).
pub trait Converter: Send + Sync + fmt::Debug {
    fn call<'a>(&'a self, target: &'a Target<'_>) -> EvalResult<Value<'a>>;

    /// For a converter of one getter computed by a plain function (`Int(v)`, `Double(v)`,
    /// `ToLowerCase(v)`…): the getter and the function, so `set(x, F(v)) where v != nil`
    /// can read `v` once.
    fn unary(&self) -> Option<(&Expr, CallFn)> {
        None
    }

    /// For a boolean test that is false, without error, when this argument is nil
    /// (`IsString(v)`, `IsMatch(v, "literal")`): the argument.
    fn false_on_nil(&self) -> Option<&Expr> {
        None
    }
}

/// An editor call (mutates the target).
pub trait Editor: Send + Sync + fmt::Debug {
    fn apply(&self, target: &mut Target<'_>) -> EvalResult<()>;

    /// For `delete_key(map, "literal")`: the map and the key, so runs of them can be
    /// fused into one pass over the map.
    fn literal_key_deletion(&self) -> Option<(&CompiledPath, &str)> {
        None
    }

    /// For `set(path, literal)` with a non-nil literal: the path and the value, so runs of
    /// them on one tested subject can be fused (see `ottl::switch`).
    fn literal_set(&self) -> Option<(&CompiledPath, &Value<'static>)> {
        None
    }

    /// For `set(path, other_path)`, bare or guarded by `other_path != nil` or
    /// `IsString(other_path)`: the two paths, and whether only a string is written (see
    /// `ottl::rename`).
    fn path_copy(&self) -> Option<(&CompiledPath, &CompiledPath, bool)> {
        None
    }
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
    /// The first key, when the path is literal keys of attributes or the cache: read in
    /// place (`read_first_key`), the other keys then indexing the value.
    pub first_key: Option<Box<str>>,
    /// That key's bit in an item's key summary, computed once here rather than per read.
    pub first_key_bit: u128,
}

impl CompiledPath {
    /// Exactly one literal key of the attributes or the cache: reading it cannot fail.
    pub fn is_one_literal_key(&self) -> bool {
        matches!(self.field, Field::Attributes(_) | Field::Cache)
            && matches!(self.static_keys.as_deref(), Some([ResolvedKey::Str(_)]))
    }

    pub fn new(field: Field, keys: Vec<CompiledKey>, text: String) -> CompiledPath {
        let static_keys = keys
            .iter()
            .map(|k| match k {
                CompiledKey::Str(s) => Some(ResolvedKey::Str(Cow::Owned(s.clone()))),
                CompiledKey::Int(i) => Some(ResolvedKey::Int(*i)),
                CompiledKey::Expr(_) => None,
            })
            .collect();
        let first_key = match (&field, keys.first(), &static_keys) {
            (Field::Attributes(_) | Field::Cache, Some(CompiledKey::Str(key)), Some(_)) => Some(key.as_str().into()),
            _ => None,
        };
        let first_key_bit = first_key.as_deref().map_or(0, KeySummary::bit_of);
        CompiledPath {
            field,
            keys,
            static_keys,
            text,
            first_key,
            first_key_bit,
        }
    }
}

#[derive(Debug)]
pub enum Expr {
    Literal(Value<'static>),
    Path(CompiledPath),
    /// A lambda's formal (`v`, `v["k"]`), read from the slot its lambda bound it to.
    Local {
        slot: usize,
        keys: Vec<CompiledKey>,
    },
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
    /// Literals and one-key reads, the commonest operands, are evaluated where the caller
    /// is: the value is built in place instead of coming back through memory from a call.
    #[inline(always)]
    pub fn eval<'a>(&'a self, target: &'a Target<'_>) -> EvalResult<Value<'a>> {
        match self {
            Expr::Literal(v) => Ok(borrow_value(v)),
            Expr::Path(path) => match path.static_keys.as_deref() {
                // `cache["params"]["model"]`: walked by reference, the value made at the end.
                Some([_, rest @ ..]) if !rest.is_empty() => match path.first_key_entry(target) {
                    Some(entry) => match walk_maps(entry, rest) {
                        Some(found) => Ok(Value::from_optional_any(found)),
                        None => index_value(Value::from_optional_any(entry), rest),
                    },
                    None => path.get(target),
                },
                _ => match path.read_first_key(target) {
                    Some(value) => Ok(value),
                    None => path.get(target),
                },
            },
            _ => self.eval_general(target),
        }
    }

    #[inline(never)]
    fn eval_general<'a>(&'a self, target: &'a Target<'_>) -> EvalResult<Value<'a>> {
        match self {
            Expr::Literal(v) => Ok(borrow_value(v)),
            Expr::Path(path) => path.get(target),
            Expr::Local { slot, keys } => {
                let value = target.local(*slot);
                if keys.is_empty() {
                    return Ok(value);
                }
                let resolved = resolve_keys(keys, target)?;
                index_value(value, &resolved)
            }
            // Returned as the converter returns it: its result is written once, into this
            // call's own result, not copied out of a temporary.
            Expr::Call { converter, keys } if keys.is_empty() => converter.call(target),
            Expr::Call { converter, keys } => {
                let value = converter.call(target)?;
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
#[inline]
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
            Cond::Compare { op, lhs, rhs } => {
                let lhs = lhs.eval(target)?;
                let rhs = rhs.eval(target)?;
                let verdict = compare(&lhs, &rhs, *op);
                lhs.discard();
                rhs.discard();
                Ok(verdict)
            }
            Cond::IsNil { expr, negate } => {
                let value = expr.eval(target)?;
                let nil = value.is_nil();
                value.discard();
                Ok(nil != *negate)
            }
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
        (Value::Str(x), Value::Str(y)) if matches!(op, CompareOp::Eq | CompareOp::Ne) => {
            return equality_only(key_eq(x, y), op)
        }
        (Value::Str(x), Value::Str(y)) => Some(x.as_ref().cmp(y.as_ref())),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Time(x), Value::Time(y)) | (Value::Duration(x), Value::Duration(y)) => Some(x.cmp(y)),
        (Value::Bytes(x), Value::Bytes(y)) => Some(x.as_ref().cmp(y.as_ref())),
        (Value::TraceId(x), Value::TraceId(y)) => Some(x.cmp(y)),
        (Value::SpanId(x), Value::SpanId(y)) => Some(x.cmp(y)),
        (Value::ProfileId(x), Value::ProfileId(y)) => Some(x.cmp(y)),
        (Value::ProfileId(x), Value::Bytes(y)) | (Value::Bytes(y), Value::ProfileId(x)) => {
            return equality_only(x.as_slice() == y.as_ref(), op)
        }
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

pub(super) fn owned_keys(keys: Vec<ResolvedKey<'_>>) -> Vec<ResolvedKey<'static>> {
    keys.into_iter()
        .map(|k| match k {
            ResolvedKey::Str(s) => ResolvedKey::Str(Cow::Owned(s.into_owned())),
            ResolvedKey::Int(i) => ResolvedKey::Int(i),
        })
        .collect()
}

/// Attribute-key equality, tuned for keys that share long prefixes
/// (`llm.input_messages.0.message.role` / `…content`): the length, then the last eight
/// bytes, and only then the rest, without a call into `memcmp` for short keys.
#[inline]
pub fn key_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n >= 8 {
        let tail = |s: &[u8]| u64::from_ne_bytes(s[n - 8..].try_into().unwrap_or([0; 8]));
        if tail(a) != tail(b) {
            return false;
        }
        if n <= 16 {
            let head = |s: &[u8]| u64::from_ne_bytes(s[..8].try_into().unwrap_or([0; 8]));
            return head(a) == head(b);
        }
        return a[..n - 8] == b[..n - 8];
    }
    if n >= 4 {
        // The first four and the last four bytes (overlapping when n < 8) cover the key.
        let word = |s: &[u8], at: usize| u32::from_ne_bytes(s[at..at + 4].try_into().unwrap_or([0; 4]));
        return word(a, 0) == word(b, 0) && word(a, n - 4) == word(b, n - 4);
    }
    a.iter().zip(b).all(|(x, y)| x == y)
}

/// `text.starts_with(prefix)`, for attribute keys against a template's prefix: most keys
/// differ within the first eight bytes, which one load and compare decides without a call
/// into `memcmp`.
#[inline]
pub fn has_prefix(text: &[u8], prefix: &[u8]) -> bool {
    let n = prefix.len();
    if text.len() < n {
        return false;
    }
    if n >= 8 {
        let word = |s: &[u8], at: usize| u64::from_ne_bytes(s[at..at + 8].try_into().unwrap_or([0; 8]));
        if word(text, 0) != word(prefix, 0) {
            return false;
        }
        // Up to sixteen bytes: the last eight (overlapping the first) settle it; up to
        // twenty-four, the second and the last.
        if n <= 16 {
            return word(text, n - 8) == word(prefix, n - 8);
        }
        if n <= 24 {
            return word(text, 8) == word(prefix, 8) && word(text, n - 8) == word(prefix, n - 8);
        }
        return text[8..n] == prefix[8..];
    }
    text[..n] == *prefix
}

pub fn find<'a>(map: &'a [KeyValue], key: &str) -> Option<&'a KeyValue> {
    map.iter().find(|kv| key_eq(&kv.key, key))
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
    let value = match find(map, name) {
        Some(kv) => Value::from_optional_any(kv.value.as_ref()),
        None => Value::Nil,
    };
    if rest.is_empty() {
        return Ok(value);
    }
    index_value(value, rest)
}

/// `index_value` on a stored value, for the common walk: string keys through maps, or into
/// nil. The value found (Some(None) for nil) as a reference, which comes back in
/// registers; None for anything else (list indexes, type errors), which `index_value`
/// then decides.
fn walk_maps<'a>(entry: Option<&'a AnyValue>, keys: &[ResolvedKey<'_>]) -> Option<Option<&'a AnyValue>> {
    let mut current = entry;
    for key in keys {
        let Some(value) = current else {
            return Some(None);
        };
        current = match (&value.value, key) {
            (None | Some(any_value::Value::StringValueStrindex(_)), _) => return Some(None),
            (Some(any_value::Value::KvlistValue(map)), ResolvedKey::Str(k)) => {
                find(&map.values, k).and_then(|kv| kv.value.as_ref())
            }
            _ => return None,
        };
    }
    Some(current)
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
/// `absent`: the first key is known not to be in the map, so it is added without a scan.
pub fn set_in_map(map: &mut Vec<KeyValue>, keys: &[ResolvedKey<'_>], value: AnyValue, absent: bool) -> EvalResult<()> {
    let Some((first, rest)) = keys.split_first() else {
        return Err(EvalError::new("no key to set"));
    };
    let ResolvedKey::Str(name) = first else {
        return Err(EvalError::new(
            "unable to resolve a string index in map: invalid key type",
        ));
    };
    let existing = if absent {
        None
    } else {
        map.iter().position(|kv| key_eq(&kv.key, name))
    };
    let slot = match existing {
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
                    let index = match m.values.iter().position(|kv| key_eq(&kv.key, k)) {
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
                Some(any_value::Value::ArrayValue(_)) => Err(EvalError::new(
                    "unable to resolve an integer index in slice: could not resolve key for map/slice, expecting 'int64' but got 'string'",
                )),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::{InstrumentationScope, Resource, Span};

    #[test]
    fn prefix_test_is_starts_with() {
        let texts = [
            "",
            "l",
            "llm.",
            "llm.input",
            "llm.input_messages",
            "llm.input_messages.0.message.role",
            "llm.output_messages.0",
            "llm.inputs_messages.0",
            "xlm.input_messages.0",
            "llm.input_messageX",
            "élan.input_messages",
            "llm.token_count.",
            "llm.token_count.prompt",
            "llm.token_count",
            "llm.token_countX.p",
            "llm.token_cou",
            "llm.tokeX_count.prompt",
            "xlm.token_count.",
        ];
        for text in texts {
            for prefix in texts {
                assert_eq!(
                    has_prefix(text.as_bytes(), prefix.as_bytes()),
                    text.starts_with(prefix),
                    "{text:?} {prefix:?}"
                );
            }
        }
    }

    /// Keys and prefixes of every length up to 80, differing in one byte at every offset:
    /// the word-at-a-time comparisons find each difference.
    #[test]
    fn word_comparisons_find_every_differing_byte() {
        let base: String = (0..80u8).map(|i| char::from(b'a' + i % 26)).collect();
        for n in 0..=80 {
            let a = &base[..n];
            assert!(key_eq(a, a));
            for at in 0..n {
                let mut b = a.as_bytes().to_vec();
                b[at] = b'#';
                let b = String::from_utf8(b).unwrap();
                assert!(!key_eq(a, &b), "{n} bytes, differing at {at}");
                assert!(
                    !has_prefix(base.as_bytes(), b.as_bytes()),
                    "prefix of {n}, differing at {at}"
                );
            }
            assert!(has_prefix(base.as_bytes(), a.as_bytes()), "prefix of {n}");
            assert!(!has_prefix(a.as_bytes(), base.as_bytes()) || n == 80);
        }
    }

    #[test]
    fn key_equality_is_string_equality() {
        let keys = [
            "",
            "a",
            "ab",
            "abcdefg",
            "abcdefgh",
            "abcdefgi",
            "bbcdefgh",
            "abcdefghijklmnop",
            "abcdefghijklmnoq",
            "xbcdefghijklmnop",
            "llm.input_messages.0.message.role",
            "llm.input_messages.0.message.rolf",
            "llm.input_messages.1.message.role",
            "élan",
            "élam",
            "abc",
            "abd",
            "abcd",
            "abce",
            "xbcd",
            "abcde",
            "abxde",
            "abcdefghi",
        ];
        for a in keys {
            for b in keys {
                assert_eq!(key_eq(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }

    /// The walk by reference says what `index_value` says wherever it answers, and leaves
    /// only list indexes and errors to it.
    #[test]
    fn walking_maps_by_reference_agrees_with_index_value() {
        let any = |v: any_value::Value| AnyValue { value: Some(v) };
        let map = |entries: Vec<(&str, AnyValue)>| {
            any(any_value::Value::KvlistValue(KeyValueList {
                values: entries
                    .into_iter()
                    .map(|(k, v)| KeyValue {
                        key: k.to_owned(),
                        value: Some(v),
                        ..Default::default()
                    })
                    .collect(),
            }))
        };
        let list = any(any_value::Value::ArrayValue(ArrayValue {
            values: vec![any(any_value::Value::IntValue(1))],
        }));
        let values = [
            AnyValue::default(),
            any(any_value::Value::StringValue("s".into())),
            any(any_value::Value::IntValue(7)),
            list.clone(),
            map(vec![
                (
                    "a",
                    map(vec![
                        ("b", any(any_value::Value::IntValue(1))),
                        ("e", AnyValue::default()),
                    ]),
                ),
                ("l", list),
                ("s", any(any_value::Value::StringValue("t".into()))),
            ]),
        ];
        let s = |k: &str| ResolvedKey::Str(Cow::Owned(k.to_owned()));
        let paths: Vec<Vec<ResolvedKey<'static>>> = vec![
            vec![s("a")],
            vec![s("a"), s("b")],
            vec![s("a"), s("e"), s("x")],
            vec![s("a"), s("b"), s("c")],
            vec![s("l"), ResolvedKey::Int(0)],
            vec![s("s"), s("x")],
            vec![s("x"), s("y")],
            vec![ResolvedKey::Int(0)],
            vec![s("a"), ResolvedKey::Int(1)],
        ];
        for value in &values {
            for entry in [None, Some(value)] {
                for path in &paths {
                    let general = index_value(Value::from_optional_any(entry), path);
                    match walk_maps(entry, path) {
                        Some(found) => {
                            assert_eq!(Ok(Value::from_optional_any(found)), general, "{entry:?} {path:?}")
                        }
                        None => assert!(
                            general.is_err() || path.iter().any(|k| matches!(k, ResolvedKey::Int(_))),
                            "{entry:?} {path:?} left to index_value, which gives {general:?}"
                        ),
                    }
                }
            }
        }
    }

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
        let mut target = Target::new(&mut resource, &mut schema);
        target.scope = Some((&mut scope, &mut scope_schema));
        target.span = Some(&mut span);
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
