//! `ExtractGrokPatterns(target, pattern, Optional[namedCapturesOnly], Optional[patternDefinitions])`:
//! a grok pattern matched against a string, its captures as a map. The pattern library is
//! logstash's (through the `grok` crate, on a backtracking engine with a step limit, so
//! lookarounds work and a pathological input stops instead of hanging); definitions given
//! as `"NAME=regex"` are added to it. `%{NUMBER:bytes:int}` and `:float` type a capture, and
//! an ECS field name `[url][port]` becomes `url.port`. A literal pattern is compiled when
//! the template loads, a computed one per distinct value; a string that does not match
//! gives an empty map.

use std::borrow::Cow;
use std::sync::Arc;

use grok::{Grok, Pattern};

use super::super::context::Target;
use super::super::eval::{Converter, EvalError, EvalResult, Expr};
use super::super::signature::{converter as boxed, opt, req, Args};
use super::super::value::Value;
use super::regex_arg::{computed_text, ComputedCache};
use super::strings::expect_str;
use super::{converter, param, FunctionSpec};
use crate::otlp::{any_value, AnyValue, KeyValue};
use crate::ottl::error::ParseError;

pub const SPECS: &[FunctionSpec] = &[converter(
    "ExtractGrokPatterns",
    &[
        req(param::TARGET),
        req(param::PATTERN),
        opt(param::NAMED_CAPTURES_ONLY),
        opt(param::PATTERN_DEFINITIONS),
    ],
    build,
)];

enum GrokArg {
    Literal(Pattern),
    /// A pattern computed per item, compiled against the definitions given at load.
    Computed {
        expr: Expr,
        library: Grok,
        named_only: bool,
        compiled: ComputedCache<Arc<Pattern>>,
    },
}

struct ExtractGrok {
    target: Expr,
    pattern: GrokArg,
}

impl std::fmt::Debug for ExtractGrok {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExtractGrok").field("target", &self.target).finish()
    }
}

fn build(a: &mut Args<'_>) -> Result<Box<dyn Converter>, ParseError> {
    let named_only = a.opt_bool(param::NAMED_CAPTURES_ONLY)?.unwrap_or(false);
    let mut grok = Grok::with_default_patterns();
    for definition in a.opt_string_list(param::PATTERN_DEFINITIONS)?.unwrap_or_default() {
        let (name, regex) = definition
            .split_once('=')
            .ok_or_else(|| a.error(format!("pattern definition `{definition}` is not NAME=regex")))?;
        if name.is_empty() || name.contains(':') {
            return Err(a.error(format!("pattern definition `{definition}` has an invalid name")));
        }
        grok.add_pattern(name, regex);
    }
    let pattern = match a.literal_string(param::PATTERN)? {
        Some(text) => GrokArg::Literal(
            grok.compile(text, named_only)
                .map_err(|e| a.error(format!("invalid grok pattern `{text}`: {e}")))?,
        ),
        None => GrokArg::Computed {
            expr: a.expr(param::PATTERN)?,
            library: grok,
            named_only,
            compiled: ComputedCache::default(),
        },
    };
    boxed(ExtractGrok {
        target: a.expr(param::TARGET)?,
        pattern,
    })
}

/// `[url][port]` → `url.port`; other names as they are.
fn field_name(name: &str) -> Cow<'_, str> {
    if !name.starts_with('[') {
        return Cow::Borrowed(name);
    }
    Cow::Owned(
        name.split(['[', ']'])
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("."),
    )
}

fn typed(text: &str, extract: Option<&str>) -> any_value::Value {
    let as_string = || any_value::Value::StringValue(text.to_owned());
    match extract {
        Some("int" | "long") => text.parse().map_or_else(|_| as_string(), any_value::Value::IntValue),
        Some("float" | "double") => text.parse().map_or_else(|_| as_string(), any_value::Value::DoubleValue),
        Some("bool" | "boolean") => text.parse().map_or_else(|_| as_string(), any_value::Value::BoolValue),
        _ => as_string(),
    }
}

impl Converter for ExtractGrok {
    fn call<'a>(&'a self, target: &'a Target<'_>) -> EvalResult<Value<'a>> {
        let value = self.target.eval(target)?;
        let text = expect_str(&value, "ExtractGrokPatterns target")?;
        let computed;
        let pattern = match &self.pattern {
            GrokArg::Literal(pattern) => pattern,
            GrokArg::Computed {
                expr,
                library,
                named_only,
                compiled,
            } => {
                computed = compiled.get_or_compile(&computed_text(expr, target)?, |text| {
                    library
                        .compile(text, *named_only)
                        .map(Arc::new)
                        .map_err(|e| EvalError::new(format!("invalid grok pattern `{text}`: {e}")))
                })?;
                computed.as_ref()
            }
        };
        let mut out: Vec<KeyValue> = Vec::new();
        if let Some(matches) = pattern.match_against(text) {
            for (name, captured) in matches.iter() {
                let key = field_name(name).into_owned();
                let value = Some(AnyValue {
                    value: Some(typed(captured, pattern.get_extract(name))),
                });
                match out.iter_mut().find(|kv| kv.key == key) {
                    Some(existing) => existing.value = value,
                    None => out.push(KeyValue {
                        key,
                        value,
                        ..Default::default()
                    }),
                }
            }
        }
        Ok(Value::Map(Cow::Owned(out)))
    }
}
