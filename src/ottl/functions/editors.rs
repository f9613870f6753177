//! Editors: lowercase functions that change the telemetry.

use std::borrow::Cow;
use std::collections::HashMap;

use regex::Regex;

use super::super::context::{Field, Target};
use super::super::error::ParseError;
use super::super::eval::{key_eq, CompiledPath, Editor, EvalError, EvalResult, Expr};
use super::super::key_summary::KeySummary;
use super::super::signature::{editor as boxed, opt, req, Args};
use super::super::value::Value;
use super::pattern::MatchPattern;
use super::regex_arg::{MatchArg, RegexArg, Syntax};
use super::strings::{hash_by_name, HashFn};
use super::{editor, param, FunctionSpec};
use crate::otlp::{any_value, AnyValue, KeyValue};

pub const SPECS: &[FunctionSpec] = &[
    editor("set", &[req(param::TARGET), req(param::VALUE)], build_set),
    editor("delete_key", &[req(param::TARGET), req(param::KEY)], build_delete_key),
    editor(
        "delete_matching_keys",
        &[req(param::TARGET), req(param::PATTERN)],
        build_delete_matching_keys,
    ),
    editor("keep_keys", &[req(param::TARGET), req(param::KEYS)], build_keep_keys),
    editor(
        "keep_matching_keys",
        &[req(param::TARGET), req(param::PATTERN)],
        build_keep_matching_keys,
    ),
    editor(
        "merge_maps",
        &[req(param::TARGET), req(param::SOURCE), req(param::STRATEGY)],
        build_merge_maps,
    ),
    editor(
        "replace_pattern",
        &[
            req(param::TARGET),
            req(param::REGEX),
            req(param::REPLACEMENT),
            opt(param::FUNCTION),
            opt(param::REPLACEMENT_FORMAT),
        ],
        build_replace_pattern,
    ),
    editor(
        "replace_all_patterns",
        &[
            req(param::TARGET),
            req(param::MODE),
            req(param::REGEX),
            req(param::REPLACEMENT),
            opt(param::FUNCTION),
            opt(param::REPLACEMENT_FORMAT),
        ],
        build_replace_all_patterns,
    ),
    editor(
        "replace_match",
        &[
            req(param::TARGET),
            req(param::PATTERN),
            req(param::REPLACEMENT),
            opt(param::FUNCTION),
            opt(param::REPLACEMENT_FORMAT),
        ],
        build_replace_match,
    ),
    editor(
        "replace_all_matches",
        &[
            req(param::TARGET),
            req(param::PATTERN),
            req(param::REPLACEMENT),
            opt(param::FUNCTION),
            opt(param::REPLACEMENT_FORMAT),
        ],
        build_replace_all_matches,
    ),
    editor(
        "limit",
        &[req(param::TARGET), req(param::LIMIT), req(param::PRIORITY_KEYS)],
        build_limit,
    ),
    editor(
        "truncate_all",
        &[
            req(param::TARGET),
            req(param::LIMIT),
            opt("utf8_safe"),
            opt(param::TRUNCATION_MARKER),
        ],
        build_truncate_all,
    ),
    editor(
        "flatten",
        &[
            req(param::TARGET),
            opt(param::PREFIX),
            opt(param::DEPTH),
            opt(param::RESOLVE_CONFLICTS),
        ],
        build_flatten,
    ),
    editor(
        "append",
        &[req(param::TARGET), opt(param::VALUE), opt(param::VALUES)],
        build_append,
    ),
    editor(
        "delete_index",
        &[req(param::TARGET), req(param::START_INDEX), opt(param::END_INDEX)],
        build_delete_index,
    ),
];

// ---------------------------------------------------------------- helpers

/// Runs `f` on the map a path names: in place for a whole attributes/cache map, through
/// get-and-set for a nested one.
fn edit_map(
    path: &CompiledPath,
    target: &mut Target<'_>,
    f: impl FnOnce(&mut Vec<KeyValue>) -> EvalResult<()>,
) -> EvalResult<()> {
    if path.keys.is_empty() && matches!(path.field, Field::Attributes(_) | Field::Cache) {
        return f(path.map_mut(target)?);
    }
    edit_map_copy(path, target, f)
}

/// False only when `key` is certainly not in the map `path` names (the item's own
/// attributes, summarized).
fn may_hold(path: &CompiledPath, target: &Target<'_>, key: &str) -> bool {
    match path.field {
        Field::Attributes(context) if path.keys.is_empty() => target.may_hold(context, key),
        _ => true,
    }
}

/// Removes the entries `doomed` picks, keeping the others in order. Nothing moves before
/// the first doomed entry. The doomed are usually one run (a prefix's keys sit together):
/// then the rest moves down in one copy; otherwise each kept entry moves on its own.
fn remove_where(map: &mut Vec<KeyValue>, mut doomed: impl FnMut(&KeyValue) -> bool) {
    let Some(first) = map.iter().position(&mut doomed) else {
        return;
    };
    let mut end = first + 1;
    while map.get(end).is_some_and(&mut doomed) {
        end += 1;
    }
    let Some(next) = map[end..].iter().position(&mut doomed) else {
        map.drain(first..end);
        return;
    };
    let mut kept = first;
    for i in end..end + next {
        map.swap(kept, i);
        kept += 1;
    }
    let first = end + next;
    for i in first + 1..map.len() {
        if !doomed(&map[i]) {
            map.swap(kept, i);
            kept += 1;
        }
    }
    map.truncate(kept);
}

/// As `edit_map`, for edits that add no key (deletes, keeps, limits, truncations).
fn shrink_map(
    path: &CompiledPath,
    target: &mut Target<'_>,
    f: impl FnOnce(&mut Vec<KeyValue>) -> EvalResult<()>,
) -> EvalResult<()> {
    if path.keys.is_empty() && matches!(path.field, Field::Attributes(_) | Field::Cache) {
        return f(path.map_mut_shrinking(target)?);
    }
    edit_map_copy(path, target, f)
}

/// A map inside an attribute (or a map-valued path): edited as a copy, written back.
fn edit_map_copy(
    path: &CompiledPath,
    target: &mut Target<'_>,
    f: impl FnOnce(&mut Vec<KeyValue>) -> EvalResult<()>,
) -> EvalResult<()> {
    let mut map = match path.get(target)? {
        Value::Map(m) => m.into_owned(),
        other => {
            return Err(EvalError::new(format!(
                "expected pcommon.Map but got {}",
                other.type_name()
            )))
        }
    };
    f(&mut map)?;
    path.set(target, Value::Map(Cow::Owned(map)))
}

fn as_str(value: &Option<AnyValue>) -> Option<&str> {
    match value.as_ref()?.value.as_ref()? {
        any_value::Value::StringValue(s) => Some(s),
        _ => None,
    }
}

fn string_value(s: String) -> Option<AnyValue> {
    Some(AnyValue {
        value: Some(any_value::Value::StringValue(s)),
    })
}

fn map_arg(args: &Args<'_>) -> Result<CompiledPath, ParseError> {
    args.path(param::TARGET)
}

// ---------------------------------------------------------------- set

/// How a `set`'s `where` is folded into it: the statement is skipped on nil without a
/// separate condition, the guarded value read once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NilGuard {
    /// `set(x, v) where v != nil` (or `nil != v`), `v` written the same both times.
    Value,
    /// `set(x, F(v)) where v != nil`, `F` a one-getter function of `v`'s value alone.
    Argument,
    /// `set(x, v) where IsString(v)`, `v` written the same both times: skipped unless a
    /// string.
    StringValue,
    /// `set(x, F(v)) where IsString(v)`, `F` a one-getter function of `v`'s value alone:
    /// skipped unless `v` is a string.
    StringArgument,
}

#[derive(Debug)]
struct Set {
    target: CompiledPath,
    value: Expr,
    guard: Option<NilGuard>,
}

impl Editor for Set {
    fn path_copy(&self) -> Option<(&CompiledPath, &CompiledPath, bool)> {
        match (&self.value, self.guard) {
            (Expr::Path(from), None | Some(NilGuard::Value)) => Some((&self.target, from, false)),
            (Expr::Path(from), Some(NilGuard::StringValue)) => Some((&self.target, from, true)),
            _ => None,
        }
    }

    fn literal_set(&self) -> Option<(&CompiledPath, &Value<'static>)> {
        match &self.value {
            Expr::Literal(v) if !v.is_nil() => Some((&self.target, v)),
            _ => None,
        }
    }

    fn apply(&self, target: &mut Target<'_>) -> EvalResult<()> {
        if let Some(guard @ (NilGuard::Argument | NilGuard::StringArgument)) = self.guard {
            if let Expr::Call { converter, keys } = &self.value {
                if let (Some((argument, f)), true) = (converter.unary(), keys.is_empty()) {
                    let argument = argument.eval(target)?;
                    let skipped = match guard {
                        NilGuard::Argument => argument.is_nil(),
                        _ => !matches!(argument, Value::Str(_)),
                    };
                    if skipped {
                        argument.discard();
                        return Ok(());
                    }
                    let value = f(std::slice::from_ref(&argument));
                    argument.discard();
                    return self.target.set(target, value?);
                }
            }
        }
        let value = self.value.eval(target)?;
        let skipped = match self.guard {
            Some(NilGuard::Value) => value.is_nil(),
            Some(NilGuard::StringValue) => !matches!(value, Value::Str(_)),
            _ => false,
        };
        if skipped {
            value.discard();
            return Ok(());
        }
        let value = value.into_owned();
        self.target.set(target, value)
    }
}

fn build_set(args: &mut Args<'_>) -> Result<Box<dyn Editor>, ParseError> {
    boxed(Set {
        target: args.path(param::TARGET)?,
        value: args.expr(param::VALUE)?,
        guard: None,
    })
}

/// `set` with its `where` folded in (`NilGuard`); None when the value does not have the
/// guard's shape (an `Argument` or `StringArgument` guard needs a one-getter function).
pub fn build_guarded_set(args: &mut Args<'_>, guard: NilGuard) -> Result<Option<Box<dyn Editor>>, ParseError> {
    let value = args.expr(param::VALUE)?;
    let unary = matches!(&value, Expr::Call { converter, keys } if keys.is_empty() && converter.unary().is_some());
    if matches!(guard, NilGuard::Argument | NilGuard::StringArgument) && !unary {
        return Ok(None);
    }
    Ok(Some(Box::new(Set {
        target: args.path(param::TARGET)?,
        value,
        guard: Some(guard),
    })))
}

// ---------------------------------------------------------------- key removal / retention

#[derive(Debug)]
struct DeleteKey {
    target: CompiledPath,
    key: Expr,
    /// A literal key's key-summary bit, computed once here.
    literal_bit: Option<u128>,
}

impl Editor for DeleteKey {
    fn literal_key_deletion(&self) -> Option<(&CompiledPath, &str)> {
        match &self.key {
            Expr::Literal(Value::Str(key)) => Some((&self.target, key)),
            _ => None,
        }
    }

    fn apply(&self, target: &mut Target<'_>) -> EvalResult<()> {
        // A literal key (the usual case) is lent by the program; a computed one must be
        // copied before the map is borrowed for writing.
        let key: Cow<'_, str> = match &self.key {
            Expr::Literal(Value::Str(s)) => Cow::Borrowed(s.as_ref()),
            computed => match computed.eval(target)? {
                Value::Str(s) => Cow::Owned(s.into_owned()),
                other => return Err(EvalError::new(format!("expected string but got {}", other.type_name()))),
            },
        };
        let absent = match (self.literal_bit, self.target.field) {
            (Some(bit), Field::Attributes(context)) if self.target.keys.is_empty() => target.rules_out(context, bit),
            _ => !may_hold(&self.target, target, &key),
        };
        if absent {
            return Ok(());
        }
        shrink_map(&self.target, target, |map| {
            // Usually absent, or there once: find it before touching the vector.
            if let Some(first) = map.iter().position(|kv| key_eq(&kv.key, &key)) {
                map.remove(first);
                if map[first..].iter().any(|kv| key_eq(&kv.key, &key)) {
                    map.retain(|kv| !key_eq(&kv.key, &key));
                }
            }
            Ok(())
        })
    }
}

/// Consecutive unconditional `delete_key`s of literal keys on one map, fused: one pass
/// over the map instead of one per key.
#[derive(Debug)]
pub struct DeleteKeys {
    pub target: CompiledPath,
    /// Each key with its key-summary bit (`KeySummary::bit_of`), computed once here.
    pub keys: Vec<(String, u128)>,
}

impl DeleteKeys {
    pub fn new(target: CompiledPath, keys: Vec<String>) -> DeleteKeys {
        let keys = keys
            .into_iter()
            .map(|k| {
                let bit = KeySummary::bit_of(&k);
                (k, bit)
            })
            .collect();
        DeleteKeys { target, keys }
    }
}

/// Keys of a fused run compared directly; with more possibly held, all are.
const MAX_CANDIDATES: usize = 8;

impl Editor for DeleteKeys {
    fn apply(&self, target: &mut Target<'_>) -> EvalResult<()> {
        let own = match self.target.field {
            Field::Attributes(context) if self.target.keys.is_empty() => Some(context),
            _ => None,
        };
        // Only the keys the item may hold are compared with its attributes: usually a few
        // of the run, and each comparison is a branch the predictor cannot learn.
        let mut candidates: [&str; MAX_CANDIDATES] = [""; MAX_CANDIDATES];
        // Another map (the cache, a resource's attributes) has no summary: all keys.
        let mut count = if own.is_some() { 0 } else { usize::MAX };
        if let Some(context) = own {
            for (key, bit) in &self.keys {
                if target.rules_out(context, *bit) {
                    continue;
                }
                if count == MAX_CANDIDATES {
                    count = usize::MAX;
                    break;
                }
                candidates[count] = key;
                count += 1;
            }
            if count == 0 {
                return Ok(());
            }
        }
        shrink_map(&self.target, target, |map| {
            match candidates.get(..count) {
                Some(candidates) => remove_where(map, |kv| candidates.iter().any(|k| key_eq(&kv.key, k))),
                None => remove_where(map, |kv| self.keys.iter().any(|(k, _)| key_eq(&kv.key, k))),
            }
            Ok(())
        })
    }
}

fn build_delete_key(args: &mut Args<'_>) -> Result<Box<dyn Editor>, ParseError> {
    let key = args.expr(param::KEY)?;
    let literal_bit = match &key {
        Expr::Literal(Value::Str(key)) => Some(KeySummary::bit_of(key)),
        _ => None,
    };
    boxed(DeleteKey {
        target: map_arg(args)?,
        key,
        literal_bit,
    })
}

#[derive(Debug)]
struct MatchingKeys {
    target: CompiledPath,
    pattern: MatchArg,
    keep: bool,
}

impl Editor for MatchingKeys {
    fn apply(&self, target: &mut Target<'_>) -> EvalResult<()> {
        // Borrowed from `self`, not the target: a literal pattern is never copied per item.
        let pattern = self.pattern.resolve(target)?;
        shrink_map(&self.target, target, |map| {
            // The kind of pattern decided once, outside the loop over keys.
            match &*pattern {
                MatchPattern::Prefixes(prefixes) => {
                    remove_where(map, |kv| prefixes.start(kv.key.as_bytes()) != self.keep)
                }
                MatchPattern::Regex(regex) => remove_where(map, |kv| regex.is_match(&kv.key) != self.keep),
            }
            Ok(())
        })
    }
}

fn build_delete_matching_keys(args: &mut Args<'_>) -> Result<Box<dyn Editor>, ParseError> {
    boxed(MatchingKeys {
        target: map_arg(args)?,
        pattern: MatchArg::from_args(args, param::PATTERN)?,
        keep: false,
    })
}

fn build_keep_matching_keys(args: &mut Args<'_>) -> Result<Box<dyn Editor>, ParseError> {
    boxed(MatchingKeys {
        target: map_arg(args)?,
        pattern: MatchArg::from_args(args, param::PATTERN)?,
        keep: true,
    })
}

#[derive(Debug)]
struct KeepKeys {
    target: CompiledPath,
    /// Literal keys, or expressions (a converter in the list) evaluated per item.
    keys: KeyList,
}

#[derive(Debug)]
enum KeyList {
    Literal(Vec<String>),
    Computed(Vec<Expr>),
}

impl Editor for KeepKeys {
    fn apply(&self, target: &mut Target<'_>) -> EvalResult<()> {
        let computed;
        let keys: &[String] = match &self.keys {
            KeyList::Literal(keys) => keys,
            KeyList::Computed(exprs) => {
                computed = exprs
                    .iter()
                    .map(|e| match e.eval(target)? {
                        Value::Str(s) => Ok(s.into_owned()),
                        other => Err(EvalError::new(format!("expected string but got {}", other.type_name()))),
                    })
                    .collect::<EvalResult<Vec<String>>>()?;
                &computed
            }
        };
        shrink_map(&self.target, target, |map| {
            map.retain(|kv| keys.contains(&kv.key));
            Ok(())
        })
    }
}

fn build_keep_keys(args: &mut Args<'_>) -> Result<Box<dyn Editor>, ParseError> {
    let keys = match args.opt_string_list(param::KEYS) {
        Ok(Some(keys)) => KeyList::Literal(keys),
        _ => KeyList::Computed(args.list(param::KEYS)?),
    };
    boxed(KeepKeys {
        target: map_arg(args)?,
        keys,
    })
}

// ---------------------------------------------------------------- merge_maps

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strategy {
    Insert,
    Update,
    Upsert,
}

#[derive(Debug)]
struct MergeMaps {
    target: CompiledPath,
    source: Expr,
    strategy: Strategy,
}

impl Editor for MergeMaps {
    fn apply(&self, target: &mut Target<'_>) -> EvalResult<()> {
        let source = match self.source.eval(target)? {
            Value::Map(m) => m.into_owned(),
            // A source that is not a map leaves the target alone.
            _ => return Ok(()),
        };
        edit_map(&self.target, target, |map| {
            for kv in source {
                match map.iter_mut().find(|t| t.key == kv.key) {
                    Some(existing) if self.strategy != Strategy::Insert => existing.value = kv.value,
                    Some(_) => {}
                    None if self.strategy != Strategy::Update => map.push(kv),
                    None => {}
                }
            }
            Ok(())
        })
    }
}

fn build_merge_maps(args: &mut Args<'_>) -> Result<Box<dyn Editor>, ParseError> {
    let strategy = match args.string(param::STRATEGY)?.as_str() {
        "insert" => Strategy::Insert,
        "update" => Strategy::Update,
        "upsert" => Strategy::Upsert,
        other => {
            return Err(args.error(format!(
                "invalid value for strategy, {other}, must be 'insert', 'update' or 'upsert'"
            )))
        }
    };
    boxed(MergeMaps {
        target: map_arg(args)?,
        source: args.expr(param::SOURCE)?,
        strategy,
    })
}

// ---------------------------------------------------------------- replacements

#[derive(Debug)]
struct Replacement {
    replacement: Expr,
    hash: Option<HashFn>,
    format: Option<String>,
}

impl Replacement {
    fn from_args(args: &Args<'_>) -> Result<Replacement, ParseError> {
        let hash = match args.opt_function(param::FUNCTION)? {
            None => None,
            Some(name) => {
                Some(hash_by_name(&name).ok_or_else(|| args.error(format!("unknown hash function `{name}`")))?)
            }
        };
        let format = args.opt_string(param::REPLACEMENT_FORMAT)?;
        if let Some(f) = &format {
            if f.matches("%s").count() != 1 {
                return Err(args.error("replacementFormat must contain exactly one %s"));
            }
        }
        Ok(Replacement {
            replacement: args.expr(param::REPLACEMENT)?,
            hash,
            format,
        })
    }

    fn text(&self, target: &Target<'_>) -> EvalResult<String> {
        match self.replacement.eval(target)? {
            Value::Str(s) => Ok(s.into_owned()),
            other => Err(EvalError::new(format!("expected string but got {}", other.type_name()))),
        }
    }

    fn finish(&self, expanded: String) -> String {
        let hashed = match self.hash {
            Some(hash) => hash(expanded.as_bytes()),
            None => expanded,
        };
        match &self.format {
            Some(f) => f.replacen("%s", &hashed, 1),
            None => hashed,
        }
    }

    fn replace_regex(&self, regex: &Regex, input: &str, replacement: &str) -> Option<String> {
        if !regex.is_match(input) {
            return None;
        }
        if self.hash.is_none() && self.format.is_none() {
            return Some(regex.replace_all(input, replacement).into_owned());
        }
        Some(
            regex
                .replace_all(input, |caps: &regex::Captures<'_>| {
                    let mut expanded = String::new();
                    caps.expand(replacement, &mut expanded);
                    self.finish(expanded)
                })
                .into_owned(),
        )
    }
}

#[derive(Debug)]
struct ReplacePattern {
    target: CompiledPath,
    regex: RegexArg,
    replacement: Replacement,
    /// Glob mode replaces the whole value on a match.
    whole: bool,
}

impl Editor for ReplacePattern {
    fn apply(&self, target: &mut Target<'_>) -> EvalResult<()> {
        let replacement = self.replacement.text(target)?;
        let current = match self.target.get(target)? {
            Value::Str(s) => s.into_owned(),
            _ => return Ok(()),
        };
        let regex = self.regex.resolve(target)?;
        let updated = if self.whole {
            regex.is_match(&current).then(|| self.replacement.finish(replacement))
        } else {
            self.replacement.replace_regex(&regex, &current, &replacement)
        };
        match updated {
            Some(v) if v != current => self.target.set(target, Value::string(v)),
            _ => Ok(()),
        }
    }
}

fn build_replace_pattern(args: &mut Args<'_>) -> Result<Box<dyn Editor>, ParseError> {
    boxed(ReplacePattern {
        target: args.path(param::TARGET)?,
        regex: RegexArg::from_args(args, param::REGEX, Syntax::Regex)?,
        replacement: Replacement::from_args(args)?,
        whole: false,
    })
}

fn glob_arg(args: &Args<'_>) -> Result<RegexArg, ParseError> {
    RegexArg::from_args(args, param::PATTERN, Syntax::Glob)
}

fn build_replace_match(args: &mut Args<'_>) -> Result<Box<dyn Editor>, ParseError> {
    boxed(ReplacePattern {
        target: args.path(param::TARGET)?,
        regex: glob_arg(args)?,
        replacement: Replacement::from_args(args)?,
        whole: true,
    })
}

#[derive(Debug)]
struct ReplaceAll {
    target: CompiledPath,
    regex: RegexArg,
    replacement: Replacement,
    keys: bool,
    whole: bool,
}

impl Editor for ReplaceAll {
    fn apply(&self, target: &mut Target<'_>) -> EvalResult<()> {
        let replacement = self.replacement.text(target)?;
        let regex = self.regex.resolve(target)?;
        edit_map(&self.target, target, |map| {
            for kv in map.iter_mut() {
                if self.keys {
                    if let Some(new_key) = self.replacement.replace_regex(&regex, &kv.key, &replacement) {
                        kv.key = new_key;
                    }
                    continue;
                }
                let Some(current) = as_str(&kv.value) else {
                    continue;
                };
                let updated = if self.whole {
                    regex
                        .is_match(current)
                        .then(|| self.replacement.finish(replacement.clone()))
                } else {
                    self.replacement.replace_regex(&regex, current, &replacement)
                };
                if let Some(v) = updated {
                    kv.value = string_value(v);
                }
            }
            Ok(())
        })
    }
}

fn build_replace_all_patterns(args: &mut Args<'_>) -> Result<Box<dyn Editor>, ParseError> {
    let keys = match args.string(param::MODE)?.as_str() {
        "key" => true,
        "value" => false,
        other => return Err(args.error(format!("invalid mode {other}, must be 'key' or 'value'"))),
    };
    boxed(ReplaceAll {
        target: map_arg(args)?,
        regex: RegexArg::from_args(args, param::REGEX, Syntax::Regex)?,
        replacement: Replacement::from_args(args)?,
        keys,
        whole: false,
    })
}

fn build_replace_all_matches(args: &mut Args<'_>) -> Result<Box<dyn Editor>, ParseError> {
    boxed(ReplaceAll {
        target: map_arg(args)?,
        regex: glob_arg(args)?,
        replacement: Replacement::from_args(args)?,
        keys: false,
        whole: true,
    })
}

// ---------------------------------------------------------------- limit / truncate / flatten

#[derive(Debug)]
struct Limit {
    target: CompiledPath,
    limit: usize,
    priority: Vec<String>,
}

impl Editor for Limit {
    fn apply(&self, target: &mut Target<'_>) -> EvalResult<()> {
        shrink_map(&self.target, target, |map| {
            if map.len() <= self.limit {
                return Ok(());
            }
            let mut kept = 0;
            let mut keep = vec![false; map.len()];
            for key in &self.priority {
                if let Some(i) = map.iter().position(|kv| kv.key == *key) {
                    if kept < self.limit && !keep[i] {
                        keep[i] = true;
                        kept += 1;
                    }
                }
            }
            for flag in keep.iter_mut() {
                if kept >= self.limit {
                    break;
                }
                if !*flag {
                    *flag = true;
                    kept += 1;
                }
            }
            let mut flags = keep.into_iter();
            map.retain(|_| flags.next().unwrap_or(false));
            Ok(())
        })
    }
}

fn build_limit(args: &mut Args<'_>) -> Result<Box<dyn Editor>, ParseError> {
    let limit = args.int(param::LIMIT)?;
    let priority = args.string_list(param::PRIORITY_KEYS)?;
    if limit < 0 {
        return Err(args.error(format!("invalid limit for limit function, {limit} cannot be negative")));
    }
    if (limit as usize) < priority.len() {
        return Err(args.error(format!(
            "invalid limit for limit function, {limit} cannot be less than number of priority attributes {}",
            priority.len()
        )));
    }
    boxed(Limit {
        target: map_arg(args)?,
        limit: limit as usize,
        priority,
    })
}

#[derive(Debug)]
struct TruncateAll {
    target: CompiledPath,
    limit: usize,
    utf8_safe: bool,
    marker: String,
}

impl Editor for TruncateAll {
    fn apply(&self, target: &mut Target<'_>) -> EvalResult<()> {
        shrink_map(&self.target, target, |map| {
            for kv in map.iter_mut() {
                let Some(s) = as_str(&kv.value) else { continue };
                if s.len() <= self.limit {
                    continue;
                }
                let room = self.limit.saturating_sub(self.marker.len());
                let mut end = room.min(s.len());
                if self.utf8_safe {
                    while end > 0 && !s.is_char_boundary(end) {
                        end -= 1;
                    }
                }
                let cut = String::from_utf8_lossy(&s.as_bytes()[..end]).into_owned();
                let marker = if self.marker.len() <= self.limit {
                    self.marker.as_str()
                } else {
                    ""
                };
                kv.value = string_value(format!("{cut}{marker}"));
            }
            Ok(())
        })
    }
}

fn build_truncate_all(args: &mut Args<'_>) -> Result<Box<dyn Editor>, ParseError> {
    let limit = args.int(param::LIMIT)?;
    if limit < 0 {
        return Err(args.error(format!(
            "invalid limit for truncate_all function, {limit} cannot be negative"
        )));
    }
    boxed(TruncateAll {
        target: map_arg(args)?,
        limit: limit as usize,
        utf8_safe: args.opt_bool("utf8_safe")?.unwrap_or(true),
        marker: args.opt_string(param::TRUNCATION_MARKER)?.unwrap_or_default(),
    })
}

#[derive(Debug)]
struct Flatten {
    target: CompiledPath,
    prefix: Option<String>,
    depth: usize,
    resolve_conflicts: bool,
}

/// The flattened map being built: insertion order kept, a key put twice replaced in place
/// (pcommon's `PutEmpty`), and per key the next conflict suffix.
#[derive(Default)]
struct FlatMap {
    entries: Vec<KeyValue>,
    index: HashMap<String, usize>,
    suffixes: HashMap<String, usize>,
}

impl FlatMap {
    fn put(&mut self, key: String, value: AnyValue) {
        match self.index.get(&key) {
            Some(&i) => self.entries[i].value = Some(value),
            None => {
                self.index.insert(key.clone(), self.entries.len());
                self.entries.push(KeyValue {
                    key,
                    value: Some(value),
                    ..Default::default()
                });
            }
        }
    }

    /// Upstream's `resolveConflicts`: a key seen before gets `.0`, `.1`, … in arrival order.
    fn put_resolving(&mut self, key: String, value: AnyValue) {
        if self.index.contains_key(&key) {
            let n = self.suffixes.entry(key.clone()).or_insert(0);
            let suffixed = format!("{key}.{n}");
            *n += 1;
            self.put(suffixed, value);
        } else {
            self.suffixes.insert(key.clone(), 0);
            self.put(key, value);
        }
    }
}

// Follows upstream's func_flatten.go step for step, depth counting included: a slice
// element that is a map or slice counts two levels below its slice's key, and a slice
// nested in a slice takes its indexes without a separating dot, as upstream writes them.
impl Flatten {
    fn map(&self, out: &mut FlatMap, entries: Vec<KeyValue>, prefix: &str, depth: usize) {
        let prefix = if prefix.is_empty() {
            String::new()
        } else {
            format!("{prefix}.")
        };
        for kv in entries {
            self.value(out, &kv.key, kv.value.unwrap_or_default(), depth, &prefix);
        }
    }

    fn slice(&self, out: &mut FlatMap, items: Vec<AnyValue>, prefix: &str, depth: usize) {
        for (i, item) in items.into_iter().enumerate() {
            self.value(out, &i.to_string(), item, depth + 1, prefix);
        }
    }

    fn value(&self, out: &mut FlatMap, key: &str, value: AnyValue, depth: usize, prefix: &str) {
        let full = format!("{prefix}{key}");
        match value.value {
            Some(any_value::Value::KvlistValue(m)) if depth < self.depth => self.map(out, m.values, &full, depth + 1),
            Some(any_value::Value::ArrayValue(a)) if depth < self.depth => {
                for (i, item) in a.values.into_iter().enumerate() {
                    match item.value {
                        Some(any_value::Value::KvlistValue(m)) if depth + 1 < self.depth => {
                            self.map(out, m.values, &format!("{full}.{i}"), depth + 2)
                        }
                        Some(any_value::Value::ArrayValue(inner)) if depth + 1 < self.depth => {
                            self.slice(out, inner.values, &format!("{full}.{i}"), depth + 2)
                        }
                        _ if self.resolve_conflicts => out.put_resolving(full.clone(), item),
                        _ => out.put(format!("{full}.{i}"), item),
                    }
                }
            }
            other => {
                let value = AnyValue { value: other };
                if self.resolve_conflicts {
                    out.put_resolving(full, value)
                } else {
                    out.put(full, value)
                }
            }
        }
    }
}

impl Editor for Flatten {
    fn apply(&self, target: &mut Target<'_>) -> EvalResult<()> {
        edit_map(&self.target, target, |map| {
            let mut out = FlatMap::default();
            self.map(&mut out, std::mem::take(map), self.prefix.as_deref().unwrap_or(""), 0);
            *map = out.entries;
            Ok(())
        })
    }
}

fn build_flatten(args: &mut Args<'_>) -> Result<Box<dyn Editor>, ParseError> {
    let depth = match args.opt_int(param::DEPTH)? {
        Some(d) if d < 1 => {
            return Err(args.error(format!(
                "invalid depth '{d}' for flatten function, must be greater than 0"
            )))
        }
        Some(d) => usize::try_from(d).unwrap_or(usize::MAX),
        None => usize::MAX,
    };
    boxed(Flatten {
        target: map_arg(args)?,
        prefix: args.opt_string(param::PREFIX)?,
        depth,
        resolve_conflicts: args.opt_bool(param::RESOLVE_CONFLICTS)?.unwrap_or(false),
    })
}

// ---------------------------------------------------------------- slices

#[derive(Debug)]
struct Append {
    target: CompiledPath,
    value: Option<Expr>,
    values: Option<Expr>,
}

impl Editor for Append {
    fn apply(&self, target: &mut Target<'_>) -> EvalResult<()> {
        let mut items: Vec<AnyValue> = match self.target.get(target)? {
            Value::Nil => Vec::new(),
            Value::List(l) => l.into_owned(),
            scalar => vec![scalar.into_owned().into_any()],
        };
        if let Some(value) = &self.value {
            items.push(value.eval(target)?.into_owned().into_any());
        }
        if let Some(values) = &self.values {
            match values.eval(target)? {
                Value::List(l) => items.extend(l.into_owned()),
                Value::Nil => {}
                other => items.push(other.into_owned().into_any()),
            }
        }
        self.target.set(target, Value::List(Cow::Owned(items)))
    }
}

fn build_append(args: &mut Args<'_>) -> Result<Box<dyn Editor>, ParseError> {
    if !args.is_given(param::VALUE) && !args.is_given(param::VALUES) {
        return Err(args.error("at least one of the optional arguments ('value' or 'values') must be provided"));
    }
    boxed(Append {
        target: args.path(param::TARGET)?,
        value: args.opt_expr(param::VALUE)?,
        values: args.opt_expr(param::VALUES)?,
    })
}

#[derive(Debug)]
struct DeleteIndex {
    target: CompiledPath,
    start: Expr,
    end: Option<Expr>,
}

impl Editor for DeleteIndex {
    fn apply(&self, target: &mut Target<'_>) -> EvalResult<()> {
        let int = |e: &Expr, target: &Target<'_>| -> EvalResult<i64> {
            match e.eval(target)? {
                Value::Int(i) => Ok(i),
                other => Err(EvalError::new(format!("expected int64 but got {}", other.type_name()))),
            }
        };
        let start = int(&self.start, target)?;
        let end = self
            .end
            .as_ref()
            .map(|e| int(e, target))
            .transpose()?
            .unwrap_or(start + 1);
        let mut items = match self.target.get(target)? {
            Value::List(l) => l.into_owned(),
            other => {
                return Err(EvalError::new(format!(
                    "expected pcommon.Slice but got {}",
                    other.type_name()
                )))
            }
        };
        let len = items.len() as i64;
        if start < 0 || start >= len || end <= start || end > len {
            return Err(EvalError::new(format!(
                "invalid range [{start}, {end}) for a slice of length {len}"
            )));
        }
        items.drain(start as usize..end as usize);
        self.target.set(target, Value::List(Cow::Owned(items)))
    }
}

fn build_delete_index(args: &mut Args<'_>) -> Result<Box<dyn Editor>, ParseError> {
    boxed(DeleteIndex {
        target: args.path(param::TARGET)?,
        start: args.expr(param::START_INDEX)?,
        end: args.opt_expr(param::END_INDEX)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pattern of doomed entries in maps of up to ten: what `retain` keeps, in order.
    #[test]
    fn remove_where_keeps_what_retain_keeps() {
        for len in 0..=10usize {
            for doomed_bits in 0u32..(1 << len) {
                let map: Vec<KeyValue> = (0..len)
                    .map(|i| KeyValue {
                        key: format!("{}{i}", if doomed_bits & (1 << i) != 0 { "x" } else { "k" }),
                        ..Default::default()
                    })
                    .collect();
                let mut expected = map.clone();
                expected.retain(|kv| !kv.key.starts_with('x'));
                let mut got = map;
                remove_where(&mut got, |kv| kv.key.starts_with('x'));
                assert_eq!(got, expected, "{len} entries, doomed {doomed_bits:b}");
            }
        }
    }
}
