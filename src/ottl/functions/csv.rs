//! `ParseCSV(target, header, Optional[delimiter], Optional[header_delimiter], Optional[mode])`:
//! one CSV row into a map keyed by the header's names. Modes as upstream's: `strict` (Go's
//! encoding/csv: quoted fields with `""` escapes, a stray quote is an error), `lazyQuotes` (a
//! quote may appear in an unquoted field, and a quoted field may hold a bare quote) and
//! `ignoreQuotes` (split on the delimiter, quotes are text).

use std::borrow::Cow;

use super::super::eval::{EvalError, EvalResult};
use super::super::signature::{opt, req};
use super::super::value::Value;
use super::strings::{call, expect_str};
use super::{converter, param, FunctionSpec};
use crate::otlp::{any_value, AnyValue, KeyValue};

pub const SPECS: &[FunctionSpec] = &[converter(
    "ParseCSV",
    &[
        req(param::TARGET),
        req(param::HEADER),
        opt(param::DELIMITER),
        opt(param::HEADER_DELIMITER),
        opt(param::MODE),
    ],
    |a| {
        a.check_literal_choice(param::MODE, &["strict", "lazyQuotes", "ignoreQuotes"])?;
        call(a, parse_csv)
    },
)];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Strict,
    LazyQuotes,
    IgnoreQuotes,
}

fn one_char(text: &str, what: &str) -> EvalResult<char> {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Ok(c),
        _ => Err(EvalError::new(format!(
            "ParseCSV: {what} must be a single character, got `{text}`"
        ))),
    }
}

fn parse_csv(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let row = expect_str(&v[0], "ParseCSV target")?;
    let header = expect_str(&v[1], "ParseCSV header")?;
    let delimiter = match &v[2] {
        Value::Nil => ',',
        other => one_char(expect_str(other, "ParseCSV delimiter")?, "delimiter")?,
    };
    let header_delimiter = match &v[3] {
        Value::Nil => delimiter,
        other => one_char(expect_str(other, "ParseCSV header_delimiter")?, "header_delimiter")?,
    };
    let mode = match &v[4] {
        Value::Nil => Mode::Strict,
        other => match expect_str(other, "ParseCSV mode")? {
            "strict" => Mode::Strict,
            "lazyQuotes" => Mode::LazyQuotes,
            "ignoreQuotes" => Mode::IgnoreQuotes,
            m => return Err(EvalError::new(format!("ParseCSV: unknown mode `{m}`"))),
        },
    };
    let names = fields(header, header_delimiter, mode).map_err(|e| EvalError::new(format!("ParseCSV header: {e}")))?;
    let values = fields(row, delimiter, mode).map_err(|e| EvalError::new(format!("ParseCSV: {e}")))?;
    if names.len() != values.len() {
        return Err(EvalError::new(format!(
            "ParseCSV: wrong number of fields: expected {}, found {}",
            names.len(),
            values.len()
        )));
    }
    let map = names
        .into_iter()
        .zip(values)
        .map(|(k, v)| KeyValue {
            key: k.into_owned(),
            value: Some(AnyValue {
                value: Some(any_value::Value::StringValue(v.into_owned())),
            }),
            ..Default::default()
        })
        .collect();
    Ok(Value::Map(Cow::Owned(map)))
}

/// The fields of one row.
fn fields(row: &str, delimiter: char, mode: Mode) -> Result<Vec<Cow<'_, str>>, String> {
    if mode == Mode::IgnoreQuotes {
        return Ok(row.split(delimiter).map(Cow::Borrowed).collect());
    }
    let lazy = mode == Mode::LazyQuotes;
    let mut out = Vec::new();
    let mut rest = row;
    loop {
        if let Some(quoted) = rest.strip_prefix('"') {
            // A quoted field: up to the quote that is not doubled and ends the field.
            let mut value = String::new();
            let mut chars = quoted.char_indices().peekable();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                if c != '"' {
                    value.push(c);
                    continue;
                }
                match chars.peek() {
                    Some((_, '"')) => {
                        value.push('"');
                        chars.next();
                    }
                    Some((j, next)) if *next == delimiter => {
                        end = Some((*j, true));
                        break;
                    }
                    None => {
                        end = Some((i + 1, false));
                        break;
                    }
                    Some(_) if lazy => value.push('"'),
                    Some(_) => return Err(format!("extraneous or missing \" in quoted-field at byte {}", i + 1)),
                }
            }
            match end {
                Some((j, more)) => {
                    out.push(Cow::Owned(value));
                    if !more {
                        return Ok(out);
                    }
                    rest = &quoted[j + delimiter.len_utf8()..];
                }
                None if lazy => {
                    out.push(Cow::Owned(value));
                    return Ok(out);
                }
                None => return Err("extraneous or missing \" in quoted-field".to_owned()),
            }
        } else {
            let (field, next) = match rest.find(delimiter) {
                Some(i) => (&rest[..i], Some(&rest[i + delimiter.len_utf8()..])),
                None => (rest, None),
            };
            if !lazy && field.contains('"') {
                return Err("bare \" in non-quoted-field".to_owned());
            }
            out.push(Cow::Borrowed(field));
            match next {
                Some(next) => rest = next,
                None => return Ok(out),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: [Value<'static>; 5]) -> EvalResult<Vec<(String, String)>> {
        match parse_csv(&args)? {
            Value::Map(m) => Ok(m
                .iter()
                .map(|kv| {
                    let v = Value::from_optional_any(kv.value.as_ref())
                        .as_string_like()
                        .unwrap()
                        .into_owned();
                    (kv.key.clone(), v)
                })
                .collect()),
            other => panic!("{other:?}"),
        }
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    /// Upstream's e2e cases (pkg/ottl/e2e/e2e_test.go, ParseCSV) and func tests' modes.
    #[test]
    fn rows_become_maps_as_upstream_reads_them() {
        let s = |t: &'static str| Value::str(t);
        assert_eq!(
            parse([
                s("val1;val2;val3"),
                s("header1|header2|header3"),
                s(";"),
                s("|"),
                s("strict")
            ])
            .unwrap(),
            pairs(&[("header1", "val1"), ("header2", "val2"), ("header3", "val3")])
        );
        assert_eq!(
            parse([
                s("val1,val2,val3"),
                s("header1|header2|header3"),
                Value::Nil,
                s("|"),
                s("strict")
            ])
            .unwrap(),
            pairs(&[("header1", "val1"), ("header2", "val2"), ("header3", "val3")])
        );
        assert_eq!(
            parse([s(r#""a, b",c"#), s("x,y"), Value::Nil, Value::Nil, Value::Nil]).unwrap(),
            pairs(&[("x", "a, b"), ("y", "c")])
        );
        assert_eq!(
            parse([s(r#""say ""hi""",c"#), s("x,y"), Value::Nil, Value::Nil, Value::Nil]).unwrap(),
            pairs(&[("x", r#"say "hi""#), ("y", "c")])
        );
        assert!(parse([s(r#"a"b,c"#), s("x,y"), Value::Nil, Value::Nil, Value::Nil]).is_err());
        assert_eq!(
            parse([s(r#"a"b,c"#), s("x,y"), Value::Nil, Value::Nil, s("lazyQuotes")]).unwrap(),
            pairs(&[("x", r#"a"b"#), ("y", "c")])
        );
        assert_eq!(
            parse([s(r#""a,b"#), s("x,y"), Value::Nil, Value::Nil, s("ignoreQuotes")]).unwrap(),
            pairs(&[("x", "\"a"), ("y", "b")])
        );
        assert!(parse([s("a,b,c"), s("x,y"), Value::Nil, Value::Nil, Value::Nil]).is_err());
        assert!(parse([s("a,b"), s("x,y"), s("::"), Value::Nil, Value::Nil]).is_err());
    }
}
