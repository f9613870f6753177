//! String, hashing and encoding converters.

use std::borrow::Cow;

use base64::Engine;
use md5::Md5;
use regex::Regex;

use super::regex_arg::{MatchArg, RegexArg, Syntax};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use super::super::context::Target;
use super::super::error::ParseError;
use super::super::eval::{Converter, EvalError, EvalResult, Expr};
use super::super::signature::{converter as boxed, opt, req, Args};
use super::super::value::Value;
use super::{converter, param, FunctionSpec};
use crate::otlp::KeyValue;

pub const SPECS: &[FunctionSpec] = &[
    converter("Concat", &[req(param::VALS), req(param::DELIMITER)], build_concat),
    converter(
        "ConvertCase",
        &[req(param::TARGET), req(param::TO_CASE)],
        build_convert_case,
    ),
    converter("ToLowerCase", &[req(param::TARGET)], |a| case_of(a, Case::Lower)),
    converter("ToUpperCase", &[req(param::TARGET)], |a| case_of(a, Case::Upper)),
    converter("ToSnakeCase", &[req(param::TARGET)], |a| case_of(a, Case::Snake)),
    converter("ToCamelCase", &[req(param::TARGET)], |a| case_of(a, Case::Camel)),
    converter("IsMatch", &[req(param::TARGET), req(param::PATTERN)], build_is_match),
    converter("Split", &[req(param::TARGET), req(param::DELIMITER)], |a| {
        call(a, split)
    }),
    converter(
        "Substring",
        &[req(param::TARGET), req(param::START), req(param::LENGTH)],
        |a| call(a, substring),
    ),
    converter("HasPrefix", &[req(param::TARGET), req(param::PREFIX)], |a| {
        call(a, |v| affix(v, true))
    }),
    converter("HasSuffix", &[req(param::TARGET), req(param::SUFFIX)], |a| {
        call(a, |v| affix(v, false))
    }),
    converter("TrimPrefix", &[req(param::TARGET), req(param::PREFIX)], |a| {
        call(a, |v| trim_affix(v, true))
    }),
    converter("TrimSuffix", &[req(param::TARGET), req(param::SUFFIX)], |a| {
        call(a, |v| trim_affix(v, false))
    }),
    converter("Trim", &[req(param::TARGET), opt(param::REPLACEMENT)], |a| {
        call(a, trim)
    }),
    converter("Format", &[req(param::FORMAT), req(param::VALS)], build_format),
    converter("Len", &[req(param::TARGET)], |a| call(a, len)),
    converter(
        "ExtractPatterns",
        &[req(param::TARGET), req(param::PATTERN)],
        build_extract_patterns,
    ),
    converter(
        "ParseKeyValue",
        &[req(param::TARGET), opt(param::DELIMITER), opt(param::PAIR_DELIMITER)],
        |a| call(a, parse_key_value),
    ),
    converter(
        "ToKeyValueString",
        &[
            req(param::TARGET),
            opt(param::DELIMITER),
            opt(param::PAIR_DELIMITER),
            opt(param::SORT_OUTPUT),
        ],
        |a| call(a, to_key_value_string),
    ),
    converter("SHA1", &[req(param::VALUE)], |a| hash_call(a, sha1_hex)),
    converter("SHA256", &[req(param::VALUE)], |a| hash_call(a, sha256_hex)),
    converter("SHA512", &[req(param::VALUE)], |a| hash_call(a, sha512_hex)),
    converter("MD5", &[req(param::VALUE)], |a| hash_call(a, md5_hex)),
    converter("FNV", &[req(param::VALUE)], |a| call(a, fnv)),
    converter("Hex", &[req(param::VALUE)], |a| call(a, hex_of)),
    converter("Base64Encode", &[req(param::VALUE), opt(param::VARIANT)], |a| {
        call(a, base64_encode)
    }),
    converter("Base64Decode", &[req(param::VALUE)], |a| call(a, base64_decode)),
];

// ---------------------------------------------------------------- generic calls

pub use super::super::eval::CallFn;

/// The most getters a `call` converter takes; its values live on the stack.
const MAX_CALL_ARGS: usize = 6;

/// A converter whose arguments are all getters, bound from the function's parameter list
/// and evaluated in order (absent optional arguments read as nil).
#[derive(Debug)]
pub struct Call {
    args: Vec<Option<Expr>>,
    f: CallFn,
    /// A type test (`IsString(v)`…): false for a nil argument.
    type_test: bool,
}

impl Converter for Call {
    fn false_on_nil(&self) -> Option<&Expr> {
        match self.args.as_slice() {
            [Some(arg)] if self.type_test => Some(arg),
            _ => None,
        }
    }

    fn unary(&self) -> Option<(&Expr, CallFn)> {
        match self.args.as_slice() {
            [Some(arg)] => Some((arg, self.f)),
            _ => None,
        }
    }

    fn call<'a>(&'a self, target: &'a Target<'_>) -> EvalResult<Value<'a>> {
        // One getter (Int, Double, IsString, ParseJSON…): no array of values to fill and drop.
        if let [Some(arg)] = self.args.as_slice() {
            let value = arg.eval(target)?;
            let result = (self.f)(std::slice::from_ref(&value));
            value.discard();
            return result;
        }
        let mut values: [Value<'a>; MAX_CALL_ARGS] = std::array::from_fn(|_| Value::Nil);
        for (slot, arg) in values.iter_mut().zip(&self.args) {
            if let Some(expr) = arg {
                *slot = expr.eval(target)?;
            }
        }
        (self.f)(&values[..self.args.len()])
    }
}

pub fn call(args: &Args<'_>, f: CallFn) -> Result<Box<dyn Converter>, ParseError> {
    let params = args.params();
    if params.len() > MAX_CALL_ARGS {
        return Err(args.error(format!("takes more than {MAX_CALL_ARGS} getters")));
    }
    let args = params
        .iter()
        .map(|p| args.opt_expr(p.name))
        .collect::<Result<Vec<_>, _>>()?;
    boxed(Call {
        args,
        f,
        type_test: false,
    })
}

/// `call` for a one-argument type test, which is false for nil.
pub fn type_test(args: &Args<'_>, f: CallFn) -> Result<Box<dyn Converter>, ParseError> {
    boxed(Call {
        args: vec![args.opt_expr(param::VALUE)?],
        f,
        type_test: true,
    })
}

pub fn expect_str<'v>(value: &'v Value<'_>, what: &str) -> EvalResult<&'v str> {
    match value {
        Value::Str(s) => Ok(s),
        other => Err(EvalError::new(format!(
            "{what}: expected string but got {}",
            other.type_name()
        ))),
    }
}

pub fn expect_int(value: &Value<'_>, what: &str) -> EvalResult<i64> {
    match value {
        Value::Int(i) => Ok(*i),
        other => Err(EvalError::new(format!(
            "{what}: expected int64 but got {}",
            other.type_name()
        ))),
    }
}

fn opt_str<'v>(value: &'v Value<'_>, default: &'v str) -> EvalResult<&'v str> {
    match value {
        Value::Nil => Ok(default),
        other => expect_str(other, "argument"),
    }
}

// ---------------------------------------------------------------- Concat / Format

#[derive(Debug)]
struct Concat {
    values: Vec<Expr>,
    /// A literal (the usual case) or any string expression.
    delimiter: Expr,
}

impl Converter for Concat {
    fn call<'a>(&'a self, target: &'a Target<'_>) -> EvalResult<Value<'a>> {
        let delimiter = self.delimiter.eval(target)?;
        let delimiter = expect_str(&delimiter, "Concat delimiter")?;
        let mut out = String::new();
        for (i, expr) in self.values.iter().enumerate() {
            if i > 0 {
                out.push_str(delimiter);
            }
            let value = expr.eval(target)?;
            match value.as_string_like() {
                Some(s) => out.push_str(&s),
                None => out.push_str("<nil>"),
            }
        }
        Ok(Value::string(out))
    }
}

fn build_concat(args: &mut Args<'_>) -> Result<Box<dyn Converter>, ParseError> {
    boxed(Concat {
        values: args.list(param::VALS)?,
        delimiter: args.expr(param::DELIMITER)?,
    })
}

#[derive(Debug)]
struct Format {
    format: String,
    values: Vec<Expr>,
}

impl Converter for Format {
    fn call<'a>(&'a self, target: &'a Target<'_>) -> EvalResult<Value<'a>> {
        let values = self
            .values
            .iter()
            .map(|e| e.eval(target))
            .collect::<EvalResult<Vec<_>>>()?;
        Ok(Value::string(go_sprintf(&self.format, &values)))
    }
}

fn build_format(args: &mut Args<'_>) -> Result<Box<dyn Converter>, ParseError> {
    boxed(Format {
        format: args.string(param::FORMAT)?,
        values: args.list(param::VALS)?,
    })
}

/// Flags, width and precision of one `fmt` verb (`%-8s`, `%03d`, `%+.2f`).
#[derive(Default)]
struct VerbSpec {
    minus: bool,
    plus: bool,
    space: bool,
    zero: bool,
    width: usize,
    precision: Option<usize>,
}

impl VerbSpec {
    fn parse(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> VerbSpec {
        let mut spec = VerbSpec::default();
        while let Some(&c) = chars.peek() {
            match c {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                '#' => {}
                _ => break,
            }
            chars.next();
        }
        let number = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
            let mut n = 0usize;
            while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                n = n.saturating_mul(10).saturating_add(d as usize);
                chars.next();
            }
            n
        };
        spec.width = number(chars);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.precision = Some(number(chars));
        }
        spec
    }

    /// A number's digits with its sign as Go writes them: `+` or space when asked,
    /// zero padding after the sign.
    fn number(&self, negative: bool, digits: String) -> String {
        let sign = if negative {
            "-"
        } else if self.plus {
            "+"
        } else if self.space {
            " "
        } else {
            ""
        };
        let len = sign.len() + digits.chars().count();
        if self.zero && !self.minus && self.width > len {
            format!("{sign}{}{digits}", "0".repeat(self.width - len))
        } else {
            self.pad(format!("{sign}{digits}"))
        }
    }

    fn pad(&self, text: String) -> String {
        let len = text.chars().count();
        if self.width <= len {
            return text;
        }
        let fill = self.width - len;
        if self.minus {
            format!("{text}{}", " ".repeat(fill))
        } else if self.zero {
            format!("{}{text}", "0".repeat(fill))
        } else {
            format!("{}{text}", " ".repeat(fill))
        }
    }
}

/// The common verbs of Go's `fmt.Sprintf` (%s %v %d %f %x %X %q %t %%) with their
/// flags, width and precision.
pub fn go_sprintf(format: &str, values: &[Value<'_>]) -> String {
    let mut out = String::new();
    let mut values = values.iter();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let spec = VerbSpec::parse(&mut chars);
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(value) = values.next() else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        let text = match (verb, value) {
            ('d' | 'v', Value::Int(i)) => {
                let mut digits = i.unsigned_abs().to_string();
                if let Some(p) = spec.precision.filter(|p| *p > digits.len()) {
                    digits = format!("{}{digits}", "0".repeat(p - digits.len()));
                }
                spec.number(*i < 0, digits)
            }
            ('f' | 'F', Value::Float(f)) => {
                let precision = spec.precision.unwrap_or(6);
                spec.number(f.is_sign_negative() && *f != 0.0, format!("{:.precision$}", f.abs()))
            }
            ('x', Value::Int(i)) => spec.number(*i < 0, format!("{:x}", i.unsigned_abs())),
            ('X', Value::Int(i)) => spec.number(*i < 0, format!("{:X}", i.unsigned_abs())),
            ('x', Value::Str(s)) => spec.pad(hex::encode(s.as_bytes())),
            ('X', Value::Str(s)) => spec.pad(hex::encode_upper(s.as_bytes())),
            ('q', v) => spec.pad(format!("{:?}", v.as_string_like().unwrap_or(Cow::Borrowed("<nil>")))),
            (_, v) => {
                let text = v
                    .as_string_like()
                    .map_or_else(|| "<nil>".to_owned(), |s| s.into_owned());
                match spec.precision {
                    Some(p) if verb == 's' => spec.pad(text.chars().take(p).collect()),
                    _ => spec.pad(text),
                }
            }
        };
        out.push_str(&text);
    }
    out
}

// ---------------------------------------------------------------- case

#[derive(Debug, Clone, Copy)]
enum Case {
    Lower,
    Upper,
    Snake,
    Camel,
}

#[derive(Debug)]
struct ConvertCase {
    target: Expr,
    case: Case,
}

fn words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        let boundary = c.is_uppercase()
            && !current.is_empty()
            && (chars[i - 1].is_lowercase()
                || chars[i - 1].is_ascii_digit()
                || chars.get(i + 1).is_some_and(|n| n.is_lowercase()));
        if boundary {
            words.push(std::mem::take(&mut current));
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

fn apply_case(s: &str, case: Case) -> String {
    match case {
        Case::Lower => s.to_lowercase(),
        Case::Upper => s.to_uppercase(),
        Case::Snake => words(s).iter().map(|w| w.to_lowercase()).collect::<Vec<_>>().join("_"),
        Case::Camel => words(s)
            .iter()
            .map(|w| {
                let lower = w.to_lowercase();
                let mut chars = lower.chars();
                chars
                    .next()
                    .map(|f| f.to_uppercase().collect::<String>() + chars.as_str())
                    .unwrap_or_default()
            })
            .collect(),
    }
}

impl Converter for ConvertCase {
    fn unary(&self) -> Option<(&Expr, CallFn)> {
        let f: CallFn = match self.case {
            Case::Lower => |v| converted(&v[0], Case::Lower),
            Case::Upper => |v| converted(&v[0], Case::Upper),
            Case::Snake => |v| converted(&v[0], Case::Snake),
            Case::Camel => |v| converted(&v[0], Case::Camel),
        };
        Some((&self.target, f))
    }

    fn call<'a>(&'a self, target: &'a Target<'_>) -> EvalResult<Value<'a>> {
        converted(&self.target.eval(target)?, self.case)
    }
}

fn converted(value: &Value<'_>, case: Case) -> EvalResult<Value<'static>> {
    match value {
        Value::Nil => Ok(Value::Nil),
        Value::Str(s) => Ok(Value::string(apply_case(s, case))),
        other => Err(EvalError::new(format!("expected string but got {}", other.type_name()))),
    }
}

fn build_convert_case(args: &mut Args<'_>) -> Result<Box<dyn Converter>, ParseError> {
    let case = match args.string(param::TO_CASE)?.as_str() {
        "lower" => Case::Lower,
        "upper" => Case::Upper,
        "snake" => Case::Snake,
        "camel" => Case::Camel,
        other => {
            return Err(args.error(format!(
                "invalid case: {other}, allowed cases are: lower, upper, snake, camel"
            )))
        }
    };
    boxed(ConvertCase {
        target: args.expr(param::TARGET)?,
        case,
    })
}

fn case_of(args: &mut Args<'_>, case: Case) -> Result<Box<dyn Converter>, ParseError> {
    boxed(ConvertCase {
        target: args.expr(param::TARGET)?,
        case,
    })
}

// ---------------------------------------------------------------- regex

#[derive(Debug)]
struct IsMatch {
    target: Expr,
    pattern: MatchArg,
}

impl Converter for IsMatch {
    fn false_on_nil(&self) -> Option<&Expr> {
        // A nil target is false before the pattern is read.
        Some(&self.target)
    }

    fn call<'a>(&'a self, target: &'a Target<'_>) -> EvalResult<Value<'a>> {
        let value = self.target.eval(target)?;
        Ok(Value::Bool(match value.as_string_like() {
            None => false,
            Some(s) => self.pattern.resolve(target)?.is_match(&s),
        }))
    }
}

fn build_is_match(args: &mut Args<'_>) -> Result<Box<dyn Converter>, ParseError> {
    boxed(IsMatch {
        target: args.expr(param::TARGET)?,
        pattern: MatchArg::from_args(args, param::PATTERN)?,
    })
}

#[derive(Debug)]
struct ExtractPatterns {
    target: Expr,
    pattern: RegexArg,
}

const NO_NAMED_CAPTURE: &str = "at least 1 named capture group must be supplied in the given regex";

fn has_named_capture(regex: &Regex) -> bool {
    regex.capture_names().flatten().next().is_some()
}

impl Converter for ExtractPatterns {
    fn call<'a>(&'a self, target: &'a Target<'_>) -> EvalResult<Value<'a>> {
        let value = self.target.eval(target)?;
        let text = expect_str(&value, "ExtractPatterns")?;
        let pattern = self.pattern.resolve(target)?;
        if !has_named_capture(&pattern) {
            return Err(EvalError::new(NO_NAMED_CAPTURE));
        }
        let mut out = Vec::new();
        if let Some(caps) = pattern.captures(text) {
            for name in pattern.capture_names().flatten() {
                if let Some(m) = caps.name(name) {
                    out.push(KeyValue {
                        key: name.to_owned(),
                        value: Some(Value::string(m.as_str().to_owned()).into_any()),
                        ..Default::default()
                    });
                }
            }
        }
        Ok(Value::Map(Cow::Owned(out)))
    }
}

fn build_extract_patterns(args: &mut Args<'_>) -> Result<Box<dyn Converter>, ParseError> {
    let pattern = RegexArg::from_args(args, param::PATTERN, Syntax::Regex)?;
    if pattern.literal().is_some_and(|regex| !has_named_capture(regex)) {
        return Err(args.error(NO_NAMED_CAPTURE));
    }
    boxed(ExtractPatterns {
        target: args.expr(param::TARGET)?,
        pattern,
    })
}

/// Glob (`*`, `?`, `[...]`) to an anchored regex; `*` matches `/` too, as upstream's.
pub fn glob_to_regex(glob: &str) -> String {
    let mut out = String::from("^");
    let mut chars = glob.chars();
    while let Some(c) = chars.next() {
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            '[' => {
                out.push('[');
                for n in chars.by_ref() {
                    if n == ']' {
                        break;
                    }
                    if n == '\\' {
                        out.push('\\');
                    }
                    out.push(if n == '!' && out.ends_with('[') { '^' } else { n });
                }
                out.push(']');
            }
            '\\' => {
                if let Some(n) = chars.next() {
                    out.push_str(&regex::escape(&n.to_string()));
                }
            }
            other => out.push_str(&regex::escape(&other.to_string())),
        }
    }
    out.push('$');
    out
}

// ---------------------------------------------------------------- plain string functions

fn split(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let text = expect_str(&v[0], "Split")?;
    let delimiter = expect_str(&v[1], "Split delimiter")?;
    let parts: Vec<_> = if delimiter.is_empty() {
        text.chars().map(|c| Value::string(c.to_string()).into_any()).collect()
    } else {
        text.split(delimiter)
            .map(|p| Value::string(p.to_owned()).into_any())
            .collect()
    };
    Ok(Value::List(Cow::Owned(parts)))
}

fn substring(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let text = expect_str(&v[0], "Substring")?;
    let start = expect_int(&v[1], "Substring start")?;
    let length = expect_int(&v[2], "Substring length")?;
    if start < 0 || length < 0 || (start + length) as usize > text.len() {
        return Err(EvalError::new(format!("invalid range for substring function, {start} cannot be negative or greater than the length of target string({})", text.len())));
    }
    let (start, end) = (start as usize, (start + length) as usize);
    text.get(start..end)
        .map(|s| Value::string(s.to_owned()))
        .ok_or_else(|| EvalError::new("substring splits a UTF-8 character"))
}

fn affix(v: &[Value<'_>], prefix: bool) -> EvalResult<Value<'static>> {
    let text = expect_str(&v[0], "target")?;
    let affix = expect_str(&v[1], "affix")?;
    Ok(Value::Bool(if prefix {
        text.starts_with(affix)
    } else {
        text.ends_with(affix)
    }))
}

fn trim_affix(v: &[Value<'_>], prefix: bool) -> EvalResult<Value<'static>> {
    let text = expect_str(&v[0], "target")?;
    let affix = expect_str(&v[1], "affix")?;
    let out = if prefix {
        text.strip_prefix(affix)
    } else {
        text.strip_suffix(affix)
    }
    .unwrap_or(text);
    Ok(Value::string(out.to_owned()))
}

fn trim(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let text = expect_str(&v[0], "Trim")?;
    let cutset = opt_str(&v[1], " ")?;
    Ok(Value::string(text.trim_matches(|c| cutset.contains(c)).to_owned()))
}

fn len(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    Ok(Value::Int(match &v[0] {
        Value::Str(s) => s.len() as i64,
        Value::List(l) => l.len() as i64,
        Value::Map(m) => m.len() as i64,
        Value::Bytes(b) => b.len() as i64,
        other => return Err(EvalError::new(format!("Len: unsupported type {}", other.type_name()))),
    }))
}

fn parse_key_value(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let text = expect_str(&v[0], "ParseKeyValue")?;
    let delimiter = opt_str(&v[1], "=")?;
    let pair_delimiter = opt_str(&v[2], " ")?;
    if delimiter == pair_delimiter {
        return Err(EvalError::new("pair delimiter cannot be equal to delimiter"));
    }
    let mut out = Vec::new();
    for pair in split_respecting_quotes(text, pair_delimiter) {
        let pair = pair.trim();
        if pair.is_empty() {
            continue;
        }
        let (key, value) = pair
            .split_once(delimiter)
            .ok_or_else(|| EvalError::new(format!("cannot split {pair:?} into 2 items, got 1 item(s)")))?;
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
        out.push(KeyValue {
            key: key.trim().to_owned(),
            value: Some(Value::string(value.to_owned()).into_any()),
            ..Default::default()
        });
    }
    Ok(Value::Map(Cow::Owned(out)))
}

fn split_respecting_quotes<'t>(text: &'t str, delimiter: &str) -> Vec<&'t str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quote: Option<char> = None;
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < text.len() {
        let c = bytes[i] as char;
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
        } else if c == '"' || c == '\'' {
            quote = Some(c);
        } else if text[i..].starts_with(delimiter) {
            parts.push(&text[start..i]);
            i += delimiter.len();
            start = i;
            continue;
        }
        i += 1;
    }
    parts.push(&text[start..]);
    parts
}

fn to_key_value_string(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let Value::Map(map) = &v[0] else {
        return Err(EvalError::new(format!(
            "ToKeyValueString: expected pcommon.Map but got {}",
            v[0].type_name()
        )));
    };
    let delimiter = opt_str(&v[1], "=")?;
    let pair_delimiter = opt_str(&v[2], " ")?;
    let sort = matches!(v[3], Value::Bool(true));
    let mut pairs: Vec<(String, String)> = map
        .iter()
        .map(|kv| {
            let value = Value::from_optional_any(kv.value.as_ref())
                .as_string_like()
                .map(|s| s.into_owned())
                .unwrap_or_default();
            (kv.key.clone(), value)
        })
        .collect();
    if sort {
        pairs.sort();
    }
    let quote = |s: &str| {
        if s.contains(delimiter) || s.contains(pair_delimiter) {
            format!("\"{s}\"")
        } else {
            s.to_owned()
        }
    };
    let text = pairs
        .iter()
        .map(|(k, v)| format!("{}{delimiter}{}", quote(k), quote(v)))
        .collect::<Vec<_>>()
        .join(pair_delimiter);
    Ok(Value::string(text))
}

// ---------------------------------------------------------------- hashes and encodings

pub type HashFn = fn(&[u8]) -> String;

pub fn sha1_hex(data: &[u8]) -> String {
    hex::encode(Sha1::digest(data))
}
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}
pub fn sha512_hex(data: &[u8]) -> String {
    hex::encode(Sha512::digest(data))
}
pub fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

/// For `replace_*`'s optional function argument.
pub fn hash_by_name(name: &str) -> Option<HashFn> {
    match name {
        "SHA1" | "Sha1" => Some(sha1_hex),
        "SHA256" | "Sha256" => Some(sha256_hex),
        "SHA512" | "Sha512" => Some(sha512_hex),
        "MD5" | "Md5" => Some(md5_hex),
        _ => None,
    }
}

#[derive(Debug)]
struct Hash {
    value: Expr,
    f: HashFn,
}

impl Converter for Hash {
    fn call<'a>(&'a self, target: &'a Target<'_>) -> EvalResult<Value<'a>> {
        let value = self.value.eval(target)?;
        let text = expect_str(&value, "hash")?;
        Ok(Value::string((self.f)(text.as_bytes())))
    }
}

pub fn hash_call(args: &mut Args<'_>, f: HashFn) -> Result<Box<dyn Converter>, ParseError> {
    boxed(Hash {
        value: args.expr(param::VALUE)?,
        f,
    })
}

fn fnv(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let text = expect_str(&v[0], "FNV")?;
    let hash = text.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    });
    Ok(Value::Int(hash as i64))
}

fn hex_of(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let bytes: Vec<u8> = match &v[0] {
        Value::Str(s) => s.as_bytes().to_vec(),
        Value::Int(i) => i.to_be_bytes().to_vec(),
        Value::Float(f) => f.to_bits().to_be_bytes().to_vec(),
        Value::Bool(b) => vec![u8::from(*b)],
        Value::Bytes(b) => b.to_vec(),
        Value::TraceId(t) => t.to_vec(),
        Value::SpanId(s) => s.to_vec(),
        other => return Err(EvalError::new(format!("Hex: unsupported type {}", other.type_name()))),
    };
    Ok(Value::string(hex::encode(bytes)))
}

fn base64_encode(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let text = expect_str(&v[0], "Base64Encode")?;
    let engine = match opt_str(&v[1], "base64")? {
        "base64" => &base64::engine::general_purpose::STANDARD,
        "base64-raw" => &base64::engine::general_purpose::STANDARD_NO_PAD,
        "base64-url" => &base64::engine::general_purpose::URL_SAFE,
        "base64-raw-url" => &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        other => return Err(EvalError::new(format!("unsupported base64 variant {other}"))),
    };
    Ok(Value::string(engine.encode(text.as_bytes())))
}

fn base64_decode(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let text = expect_str(&v[0], "Base64Decode")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| EvalError::new(format!("invalid base64: {e}")))?;
    String::from_utf8(bytes)
        .map(Value::string)
        .map_err(|_| EvalError::new("decoded base64 is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_follow_upstream_examples() {
        assert_eq!(apply_case("operationA", Case::Camel), "OperationA");
        assert_eq!(apply_case("simpleTest", Case::Snake), "simple_test");
        assert_eq!(apply_case("HTTPServer", Case::Snake), "http_server");
    }

    #[test]
    fn globs_match_slashes() {
        let re = Regex::new(&glob_to_regex("*/*")).unwrap();
        assert!(re.is_match("http://localhost/health"));
        assert!(!Regex::new(&glob_to_regex("a?c")).unwrap().is_match("abbc"));
    }

    #[test]
    fn sprintf_subset() {
        assert_eq!(
            go_sprintf("%s-%d-%.2f%%", &[Value::str("a"), Value::Int(3), Value::Float(1.005)]),
            "a-3-1.00%"
        );
    }
}
