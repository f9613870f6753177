//! A regex argument as upstream's getters take it: a literal is compiled (and checked)
//! when the template loads; a computed one (`Concat(["^", attributes["p"]], "")`) is
//! compiled per distinct value and the last few kept, since a request's items usually
//! compute the same pattern.

use std::borrow::Cow;
use std::sync::Mutex;

use regex::Regex;

use super::super::context::Target;
use super::super::error::ParseError;
use super::super::eval::{EvalError, EvalResult, Expr};
use super::super::signature::Args;
use super::super::value::Value;
use super::pattern::MatchPattern;
use super::strings::glob_to_regex;

/// Computed patterns kept per statement.
const COMPUTED_REGEXES: usize = 8;

/// How the text of a pattern becomes a regex.
#[derive(Debug, Clone, Copy)]
pub enum Syntax {
    Regex,
    /// `*`, `?` and `[...]`, anchored at both ends.
    Glob,
}

impl Syntax {
    fn regex(self, text: &str) -> String {
        match self {
            Syntax::Regex => text.to_owned(),
            Syntax::Glob => glob_to_regex(text),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Syntax::Regex => "regex",
            Syntax::Glob => "glob",
        }
    }
}

/// The last few values a computed argument took, each with what it compiled to.
#[derive(Debug)]
pub struct ComputedCache<T> {
    entries: Mutex<Vec<(String, T)>>,
}

impl<T> Default for ComputedCache<T> {
    fn default() -> Self {
        ComputedCache {
            entries: Mutex::new(Vec::new()),
        }
    }
}

impl<T: Clone> ComputedCache<T> {
    /// The compiled form of `text`, compiling it with `compile` when not kept (the text is
    /// copied only then).
    pub fn get_or_compile(&self, text: &str, compile: impl FnOnce(&str) -> EvalResult<T>) -> EvalResult<T> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, compiled)) = entries.iter().find(|(t, _)| t == text) {
            return Ok(compiled.clone());
        }
        let compiled = compile(text)?;
        if entries.len() == COMPUTED_REGEXES {
            entries.remove(0);
        }
        entries.push((text.to_owned(), compiled.clone()));
        Ok(compiled)
    }
}

/// The string a computed pattern argument evaluated to (borrowed when it is an attribute).
pub fn computed_text<'a>(expr: &'a Expr, target: &'a Target<'_>) -> EvalResult<Cow<'a, str>> {
    match expr.eval(target)? {
        Value::Str(s) => Ok(s),
        other => Err(EvalError::new(format!("expected string but got {}", other.type_name()))),
    }
}

#[derive(Debug)]
pub enum RegexArg {
    Literal(Regex),
    Computed {
        expr: Expr,
        syntax: Syntax,
        compiled: ComputedCache<Regex>,
    },
}

impl RegexArg {
    pub fn from_args(args: &Args<'_>, name: &str, syntax: Syntax) -> Result<RegexArg, ParseError> {
        match args.literal_string(name)? {
            Some(text) => Regex::new(&syntax.regex(text))
                .map(RegexArg::Literal)
                .map_err(|e| args.error(format!("invalid {} `{text}`: {e}", syntax.name()))),
            None => Ok(RegexArg::Computed {
                expr: args.expr(name)?,
                syntax,
                compiled: ComputedCache::default(),
            }),
        }
    }

    /// The literal regex, when the argument is one: checks that need the pattern belong
    /// at load time then.
    pub fn literal(&self) -> Option<&Regex> {
        match self {
            RegexArg::Literal(regex) => Some(regex),
            RegexArg::Computed { .. } => None,
        }
    }

    pub fn resolve(&self, target: &Target<'_>) -> EvalResult<Cow<'_, Regex>> {
        match self {
            RegexArg::Literal(regex) => Ok(Cow::Borrowed(regex)),
            RegexArg::Computed { expr, syntax, compiled } => {
                let text = computed_text(expr, target)?;
                compiled
                    .get_or_compile(&text, |text| {
                        Regex::new(&syntax.regex(text))
                            .map_err(|e| EvalError::new(format!("invalid {} `{text}`: {e}", syntax.name())))
                    })
                    .map(Cow::Owned)
            }
        }
    }
}

/// A regex used only to say yes or no: a literal one takes `MatchPattern`'s literal-prefix
/// fast path.
#[derive(Debug)]
pub enum MatchArg {
    Literal(MatchPattern),
    Computed(RegexArg),
}

impl MatchArg {
    pub fn from_args(args: &Args<'_>, name: &str) -> Result<MatchArg, ParseError> {
        match args.literal_string(name)? {
            Some(text) => MatchPattern::new(text)
                .map(MatchArg::Literal)
                .map_err(|e| args.error(format!("invalid regex `{text}`: {e}"))),
            None => Ok(MatchArg::Computed(RegexArg::from_args(args, name, Syntax::Regex)?)),
        }
    }

    pub fn resolve(&self, target: &Target<'_>) -> EvalResult<Cow<'_, MatchPattern>> {
        match self {
            MatchArg::Literal(pattern) => Ok(Cow::Borrowed(pattern)),
            MatchArg::Computed(regex) => Ok(Cow::Owned(MatchPattern::Regex(regex.resolve(target)?.into_owned()))),
        }
    }
}
