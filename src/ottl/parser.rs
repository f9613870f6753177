//! Text to syntax tree: the pest grammar in `grammar/ottl.pest`, then the checks upstream
//! makes after parsing (function-name casing, indexing of editors).

use pest::iterators::Pair;
use pest::Parser;
use pest_derive::Parser;

use super::ast::{
    ArgValue, Argument, BoolExpr, CompareOp, Invocation, Key, Lambda, LambdaBody, MathOp, Offset, Path, Segment,
    Statement, Value,
};
use super::error::ParseError;

#[derive(Parser)]
#[grammar = "../grammar/ottl.pest"]
struct OttlGrammar;

/// Parses one statement: `editor(args) [where condition]`.
pub fn parse_statement(text: &str) -> Result<Statement, ParseError> {
    let pair = parse_rule(Rule::statement_input, text, "statement")?;
    let statement = build_statement(first_inner(pair, text)?, text)?;
    let mut errors = Vec::new();
    check_statement(&statement, &mut errors);
    finish(statement, errors, text)
}

/// Parses a condition (a `where` clause on its own, as in a group's `conditions:`).
pub fn parse_condition(text: &str) -> Result<BoolExpr, ParseError> {
    let pair = parse_rule(Rule::condition_input, text, "condition")?;
    let condition = build_bool_expr(first_inner(pair, text)?, text)?;
    let mut errors = Vec::new();
    check_bool(&condition, &mut errors);
    finish(condition, errors, text)
}

/// Parses a value expression on its own.
pub fn parse_value(text: &str) -> Result<Value, ParseError> {
    let pair = parse_rule(Rule::value_input, text, "value expression")?;
    let value = build_value(first_inner(pair, text)?, text)?;
    let mut errors = Vec::new();
    check_value(&value, &mut errors);
    finish(value, errors, text)
}

/// Most grammar rule calls one parse may make: a backstop against backtracking blowups,
/// far above what any real statement needs (a long statement takes a few thousand).
const CALL_LIMIT: usize = 5_000_000;

fn parse_rule<'a>(rule: Rule, text: &'a str, what: &str) -> Result<Pair<'a, Rule>, ParseError> {
    pest::set_call_limit(std::num::NonZeroUsize::new(CALL_LIMIT));
    let mut pairs = OttlGrammar::parse(rule, text).map_err(|e| {
        let offset = match e.location {
            pest::error::InputLocation::Pos(p) => p,
            pest::error::InputLocation::Span((p, _)) => p,
        };
        ParseError::new(offset, format!("unable to parse OTTL {what}: {}", describe(&e)))
    })?;
    pairs
        .next()
        .ok_or_else(|| ParseError::new(0, format!("unable to parse OTTL {what}")))
}

/// pest's "expected X, Y" in the grammar's words.
fn describe(error: &pest::error::Error<Rule>) -> String {
    match &error.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } if !positives.is_empty() => {
            let mut names: Vec<&str> = positives.iter().map(|r| rule_name(*r)).collect();
            names.dedup();
            format!("expected {}", names.join(", "))
        }
        pest::error::ErrorVariant::ParsingError { .. } => "unexpected input".to_owned(),
        pest::error::ErrorVariant::CustomError { message } if message.contains("call limit") => {
            "statement too complex to parse".to_owned()
        }
        pest::error::ErrorVariant::CustomError { message } => message.clone(),
    }
}

fn rule_name(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "end of input",
        Rule::comp_op => "a comparison operator",
        Rule::kw_where => "`where`",
        Rule::kw_and | Rule::kw_or => "`and` or `or`",
        Rule::add_op | Rule::mul_op => "an operator",
        Rule::invocation | Rule::func_name => "a function call",
        Rule::value | Rule::math_expr | Rule::math_term => "a value",
        Rule::key => "`[`",
        Rule::argument | Rule::arguments => "an argument",
        Rule::bool_expr | Rule::bool_term | Rule::bool_value | Rule::comparison => "a condition",
        Rule::string => "a string",
        Rule::path | Rule::segment | Rule::lower_name => "a path",
        _ => "a token",
    }
}

fn finish<T>(value: T, errors: Vec<(usize, String)>, _text: &str) -> Result<T, ParseError> {
    match errors.first() {
        None => Ok(value),
        Some((offset, _)) => {
            let message = errors.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join("; ");
            Err(ParseError::new(*offset, message))
        }
    }
}

fn first_inner<'a>(pair: Pair<'a, Rule>, text: &str) -> Result<Pair<'a, Rule>, ParseError> {
    let offset = pair.as_span().start();
    pair.into_inner().next().ok_or_else(|| internal(offset, text))
}

fn internal(offset: usize, _text: &str) -> ParseError {
    ParseError::new(offset, "unable to parse OTTL: unexpected parse tree".to_owned())
}

fn build_statement(pair: Pair<'_, Rule>, text: &str) -> Result<Statement, ParseError> {
    let mut inner = pair.into_inner();
    let editor = match inner.next() {
        Some(p) => build_invocation(p, text)?,
        None => return Err(internal(0, text)),
    };
    let condition = match inner.next() {
        Some(where_clause) => {
            let offset = where_clause.as_span().start();
            let expr = where_clause.into_inner().nth(1).ok_or_else(|| internal(offset, text))?;
            Some(build_bool_expr(expr, text)?)
        }
        None => None,
    };
    Ok(Statement { editor, condition })
}

fn build_invocation(pair: Pair<'_, Rule>, text: &str) -> Result<Invocation, ParseError> {
    let offset = pair.as_span().start();
    let mut inner = pair.into_inner();
    let name = inner.next().ok_or_else(|| internal(offset, text))?.as_str().to_owned();
    let mut args = Vec::new();
    let mut keys = Vec::new();
    for part in inner {
        match part.as_rule() {
            Rule::arguments => {
                for arg in part.into_inner() {
                    args.push(build_argument(arg, text)?);
                }
            }
            Rule::key => keys.push(build_key(part, text)?),
            _ => return Err(internal(part.as_span().start(), text)),
        }
    }
    Ok(Invocation {
        name,
        args,
        keys,
        offset: Offset(offset),
    })
}

fn build_argument(pair: Pair<'_, Rule>, text: &str) -> Result<Argument, ParseError> {
    let offset = pair.as_span().start();
    let mut name = None;
    let mut value = None;
    for part in pair.into_inner() {
        match part.as_rule() {
            Rule::arg_name => name = Some(part.as_str().to_owned()),
            Rule::value => value = Some(ArgValue::Value(build_value(part, text)?)),
            Rule::function_ref => value = Some(ArgValue::FunctionRef(part.as_str().to_owned())),
            Rule::lambda => value = Some(ArgValue::Lambda(build_lambda(part, text)?)),
            _ => return Err(internal(part.as_span().start(), text)),
        }
    }
    let value = value.ok_or_else(|| internal(offset, text))?;
    Ok(Argument {
        name,
        value,
        offset: Offset(offset),
    })
}

fn build_lambda(pair: Pair<'_, Rule>, text: &str) -> Result<Lambda, ParseError> {
    let offset = pair.as_span().start();
    let mut formals = Vec::new();
    let mut body = None;
    for part in pair.into_inner() {
        match part.as_rule() {
            Rule::lambda_params => formals.extend(part.into_inner().map(|p| p.as_str().to_owned())),
            Rule::lambda_body => {
                let inner = first_inner(part, text)?;
                body = Some(match inner.as_rule() {
                    Rule::lambda_cond => match build_bool_expr(first_inner(inner, text)?, text)? {
                        // One converter call or a bare boolean is a value that may be any type.
                        BoolExpr::Converter(call) => LambdaBody::Value(Value::Call(call)),
                        BoolExpr::Const(b) => LambdaBody::Value(Value::Bool(b)),
                        condition => LambdaBody::Condition(condition),
                    },
                    _ => LambdaBody::Value(build_value(inner, text)?),
                });
            }
            _ => return Err(internal(part.as_span().start(), text)),
        }
    }
    Ok(Lambda {
        formals,
        body: body.ok_or_else(|| internal(offset, text))?,
        offset: Offset(offset),
    })
}

fn build_value(pair: Pair<'_, Rule>, text: &str) -> Result<Value, ParseError> {
    let offset = pair.as_span().start();
    let inner = match pair.as_rule() {
        Rule::value => pair.into_inner().next().ok_or_else(|| internal(offset, text))?,
        _ => pair,
    };
    build_operand(inner, text)
}

fn build_operand(pair: Pair<'_, Rule>, text: &str) -> Result<Value, ParseError> {
    let offset = pair.as_span().start();
    let raw = pair.as_str();
    Ok(match pair.as_rule() {
        Rule::nil => Value::Nil,
        Rule::boolean => Value::Bool(raw == "true"),
        Rule::int => Value::Int(
            raw.parse::<i64>()
                .map_err(|_| ParseError::new(offset, format!("integer `{raw}` does not fit in 64 bits")))?,
        ),
        Rule::float => Value::Float(
            raw.parse::<f64>()
                .map_err(|_| ParseError::new(offset, format!("`{raw}` is not a number")))?,
        ),
        Rule::string => Value::String(unquote(raw).map_err(|m| ParseError::new(offset, m))?),
        Rule::bytes => Value::Bytes(
            decode_hex_literal(&raw[2..])
                .ok_or_else(|| ParseError::new(offset, format!("`{raw}` is not valid bytes")))?,
        ),
        Rule::enum_symbol => Value::Enum(raw.to_owned(), Offset(offset)),
        Rule::path => Value::Path(build_path(pair, text)?),
        Rule::invocation => Value::Call(build_invocation(pair, text)?),
        Rule::math_expr | Rule::math_term => build_math(pair, text)?,
        Rule::list => Value::List(
            pair.into_inner()
                .map(|v| build_value(v, text))
                .collect::<Result<_, _>>()?,
        ),
        Rule::map => {
            let mut items = Vec::new();
            for item in pair.into_inner() {
                let item_offset = item.as_span().start();
                let mut parts = item.into_inner();
                let key = parts.next().ok_or_else(|| internal(item_offset, text))?;
                let key = unquote(key.as_str()).map_err(|m| ParseError::new(item_offset, m))?;
                let value = build_value(parts.next().ok_or_else(|| internal(item_offset, text))?, text)?;
                items.push((key, value));
            }
            Value::Map(items)
        }
        Rule::value => build_value(pair, text)?,
        _ => return Err(internal(offset, text)),
    })
}

/// Left-associative folding of `a + b - c` and `a * b / c`.
fn build_math(pair: Pair<'_, Rule>, text: &str) -> Result<Value, ParseError> {
    let offset = pair.as_span().start();
    let mut inner = pair.into_inner();
    let first = inner.next().ok_or_else(|| internal(offset, text))?;
    let mut acc = build_operand(first, text)?;
    while let Some(op) = inner.next() {
        let op = match op.as_str() {
            "+" => MathOp::Add,
            "-" => MathOp::Sub,
            "*" => MathOp::Mul,
            "/" => MathOp::Div,
            _ => return Err(internal(op.as_span().start(), text)),
        };
        let rhs = build_operand(inner.next().ok_or_else(|| internal(offset, text))?, text)?;
        acc = Value::Math {
            op,
            lhs: Box::new(acc),
            rhs: Box::new(rhs),
        };
    }
    Ok(acc)
}

fn build_path(pair: Pair<'_, Rule>, text: &str) -> Result<Path, ParseError> {
    let offset = pair.as_span().start();
    let mut segments = Vec::new();
    for segment in pair.into_inner() {
        let seg_offset = segment.as_span().start();
        let mut parts = segment.into_inner();
        let name = parts
            .next()
            .ok_or_else(|| internal(seg_offset, text))?
            .as_str()
            .to_owned();
        let keys = parts.map(|k| build_key(k, text)).collect::<Result<_, _>>()?;
        segments.push(Segment { name, keys });
    }
    Ok(Path {
        segments,
        offset: Offset(offset),
    })
}

fn build_key(pair: Pair<'_, Rule>, text: &str) -> Result<Key, ParseError> {
    let offset = pair.as_span().start();
    let inner = pair.into_inner().next().ok_or_else(|| internal(offset, text))?;
    Ok(match inner.as_rule() {
        Rule::string => Key::String(unquote(inner.as_str()).map_err(|m| ParseError::new(offset, m))?),
        _ => Key::Expr(build_operand(inner, text)?),
    })
}

fn build_bool_expr(pair: Pair<'_, Rule>, text: &str) -> Result<BoolExpr, ParseError> {
    let offset = pair.as_span().start();
    match pair.as_rule() {
        Rule::bool_expr | Rule::bool_term => {
            let is_or = pair.as_rule() == Rule::bool_expr;
            let mut items = Vec::new();
            for part in pair.into_inner() {
                match part.as_rule() {
                    Rule::kw_or | Rule::kw_and => {}
                    _ => items.push(build_bool_expr(part, text)?),
                }
            }
            Ok(match items.len() {
                1 => items.remove(0),
                _ if is_or => BoolExpr::Or(items),
                _ => BoolExpr::And(items),
            })
        }
        Rule::bool_value => {
            let mut negate = false;
            let mut result = None;
            for part in pair.into_inner() {
                match part.as_rule() {
                    Rule::kw_not => negate = true,
                    _ => result = Some(build_bool_expr(part, text)?),
                }
            }
            let result = result.ok_or_else(|| internal(offset, text))?;
            Ok(if negate {
                BoolExpr::Not(Box::new(result))
            } else {
                result
            })
        }
        Rule::comparison => {
            let mut parts = pair.into_inner();
            let lhs = build_value(parts.next().ok_or_else(|| internal(offset, text))?, text)?;
            let op = match parts.next().map(|p| p.as_str()) {
                Some("==") => CompareOp::Eq,
                Some("!=") => CompareOp::Ne,
                Some("<") => CompareOp::Lt,
                Some("<=") => CompareOp::Le,
                Some(">") => CompareOp::Gt,
                Some(">=") => CompareOp::Ge,
                _ => return Err(internal(offset, text)),
            };
            let rhs = build_value(parts.next().ok_or_else(|| internal(offset, text))?, text)?;
            Ok(BoolExpr::Compare { op, lhs, rhs })
        }
        Rule::boolean => Ok(BoolExpr::Const(pair.as_str() == "true")),
        Rule::converter_condition => {
            let call = pair.into_inner().next().ok_or_else(|| internal(offset, text))?;
            Ok(BoolExpr::Converter(build_invocation(call, text)?))
        }
        _ => Err(internal(offset, text)),
    }
}

// ---------------------------------------------------------------- post-parse checks

fn starts_lower(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
}

fn check_statement(statement: &Statement, errors: &mut Vec<(usize, String)>) {
    let editor = &statement.editor;
    if !starts_lower(&editor.name) {
        errors.push((
            editor.offset.0,
            "editor names must start with a lowercase letter".to_owned(),
        ));
    }
    if !editor.keys.is_empty() {
        errors.push((
            editor.offset.0,
            "only paths and converters may be indexed, not editors".to_owned(),
        ));
    }
    check_args(editor, errors);
    if let Some(condition) = &statement.condition {
        check_bool(condition, errors);
    }
}

fn check_args(call: &Invocation, errors: &mut Vec<(usize, String)>) {
    for arg in &call.args {
        match &arg.value {
            ArgValue::Value(v) => check_value(v, errors),
            ArgValue::Lambda(Lambda {
                body: LambdaBody::Value(v),
                ..
            }) => check_value(v, errors),
            ArgValue::Lambda(Lambda {
                body: LambdaBody::Condition(c),
                ..
            }) => check_bool(c, errors),
            ArgValue::FunctionRef(_) => {}
        }
    }
    for key in &call.keys {
        if let Key::Expr(v) = key {
            check_value(v, errors);
        }
    }
}

fn check_converter(call: &Invocation, errors: &mut Vec<(usize, String)>) {
    if starts_lower(&call.name) {
        errors.push((
            call.offset.0,
            "converter names must start with an uppercase letter".to_owned(),
        ));
        if !call.keys.is_empty() {
            errors.push((
                call.offset.0,
                "only paths and converters may be indexed, not editors".to_owned(),
            ));
        }
    }
    check_args(call, errors);
}

fn check_value(value: &Value, errors: &mut Vec<(usize, String)>) {
    match value {
        Value::Call(call) => check_converter(call, errors),
        Value::Math { lhs, rhs, .. } => {
            check_value(lhs, errors);
            check_value(rhs, errors);
        }
        Value::List(items) => items.iter().for_each(|v| check_value(v, errors)),
        Value::Map(items) => items.iter().for_each(|(_, v)| check_value(v, errors)),
        Value::Path(path) => {
            for key in path.segments.iter().flat_map(|s| &s.keys) {
                if let Key::Expr(v) = key {
                    check_value(v, errors);
                }
            }
        }
        _ => {}
    }
}

fn check_bool(expr: &BoolExpr, errors: &mut Vec<(usize, String)>) {
    match expr {
        BoolExpr::Or(items) | BoolExpr::And(items) => items.iter().for_each(|e| check_bool(e, errors)),
        BoolExpr::Not(inner) => check_bool(inner, errors),
        BoolExpr::Compare { lhs, rhs, .. } => {
            check_value(lhs, errors);
            check_value(rhs, errors);
        }
        BoolExpr::Const(_) => {}
        BoolExpr::Converter(call) => check_converter(call, errors),
    }
}

// ---------------------------------------------------------------- literals

fn decode_hex_literal(digits: &str) -> Option<Vec<u8>> {
    // An odd number of digits reads as if a leading zero were there, as Go's hex decoding
    // of `0x1` would fail; upstream rejects it too, so do we.
    hex::decode(digits).ok()
}

/// Go `strconv.Unquote` for a double-quoted string literal.
pub fn unquote(raw: &str) -> Result<String, String> {
    let body = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .ok_or_else(|| format!("invalid string literal {raw}"))?;
    let mut out: Vec<u8> = Vec::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let escape = chars
            .next()
            .ok_or_else(|| "string ends in a lone backslash".to_owned())?;
        let simple = match escape {
            'a' => Some(0x07u8),
            'b' => Some(0x08),
            'f' => Some(0x0c),
            'n' => Some(b'\n'),
            'r' => Some(b'\r'),
            't' => Some(b'\t'),
            'v' => Some(0x0b),
            '\\' => Some(b'\\'),
            '"' => Some(b'"'),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            continue;
        }
        let mut take = |n: usize, radix: u32| -> Result<u32, String> {
            let digits: String = (0..n).filter_map(|_| chars.next()).collect();
            if digits.len() != n {
                return Err(format!("invalid escape in {raw}"));
            }
            u32::from_str_radix(&digits, radix).map_err(|_| format!("invalid escape `\\{escape}{digits}`"))
        };
        match escape {
            'x' => out.push(take(2, 16)? as u8),
            '0'..='7' => {
                let rest = take(2, 8)?;
                let value = (escape as u32 - '0' as u32) * 64 + rest;
                out.push(u8::try_from(value).map_err(|_| "octal escape out of range".to_owned())?);
            }
            'u' | 'U' => {
                let code = take(if escape == 'u' { 4 } else { 8 }, 16)?;
                let c = char::from_u32(code).ok_or_else(|| format!("invalid unicode escape U+{code:X}"))?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            other => return Err(format!("invalid escape `\\{other}`")),
        }
    }
    String::from_utf8(out).map_err(|_| "string literal is not valid UTF-8".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_with_condition_parses_with_precedence() {
        let s = parse_statement(
            r#"set(attributes["x"], 1 + 2 * 3) where name == "a" or not kind > 1 and IsMatch(name, "b")"#,
        )
        .unwrap();
        assert_eq!(s.editor.name, "set");
        match &s.editor.args[1].value {
            ArgValue::Value(Value::Math {
                op: MathOp::Add, rhs, ..
            }) => {
                assert!(matches!(**rhs, Value::Math { op: MathOp::Mul, .. }))
            }
            other => panic!("{other:?}"),
        }
        match s.condition.unwrap() {
            BoolExpr::Or(items) => {
                assert_eq!(items.len(), 2);
                assert!(matches!(&items[1], BoolExpr::And(v) if matches!(v[0], BoolExpr::Not(_))));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn go_escapes_unquote() {
        assert_eq!(unquote(r#""a\"b\\c\n\t\x41\u00e9\101""#).unwrap(), "a\"b\\c\n\tAéA");
        assert!(unquote(r#""\q""#).is_err());
    }

    #[test]
    fn casing_errors_are_joined() {
        let err = parse_statement(r#"set() where test(foo)["key"] == "bar""#).unwrap_err();
        assert!(
            err.message
                .contains("converter names must start with an uppercase letter"),
            "{}",
            err.message
        );
        assert!(
            err.message.contains("only paths and converters may be indexed"),
            "{}",
            err.message
        );
    }

    #[test]
    fn display_reads_back_to_the_same_tree() {
        for text in [
            r#"set(span.attributes["a"]["b"], Concat([1, 2.5, "x", nil, true], "-")) where (a == 1 or b != 2) and not IsMatch(c, "x")"#,
            r#"merge_maps(attributes, {"a": {"b": [1, -2]}, "c": 0x0aff}, "upsert")"#,
            r#"replace_pattern(name, "a(.*)", "$1", SHA256, "%s") where 1 - (2 - 3) == attributes[Len(x) - 1]"#,
            r#"set(attributes["k"], Split(name, ",")[0]) where kind == SPAN_KIND_SERVER"#,
        ] {
            let a = parse_statement(text).unwrap_or_else(|e| panic!("{text}: {}", e.message));
            let printed = a.to_string();
            let b = parse_statement(&printed).unwrap_or_else(|e| panic!("{printed}: {}", e.message));
            assert_eq!(a, b, "{text}\n{printed}");
        }
    }
}
