//! Function signatures: each function's parameter list, and a call's arguments bound to
//! it and read by type at compile time. Both the compiler and the function library
//! import this; it knows the compiler only through `ArgCompiler`.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use regex::Regex;

use super::ast::{self, ArgValue, Invocation};
use super::context::ContextKind;
use super::error::ParseError;
use super::eval::{CompiledPath, Converter, Editor, Expr};
use super::lambda::CompiledLambda;

/// What binding arguments needs from the compiler: turning argument values into runtime
/// expressions and paths.
pub trait ArgCompiler {
    fn expr(&self, value: &ast::Value) -> Result<Expr, ParseError>;
    fn path(&self, path: &ast::Path) -> Result<CompiledPath, ParseError>;
    fn lambda(&self, lambda: &ast::Lambda) -> Result<CompiledLambda, ParseError>;
    fn exec_context(&self) -> ContextKind;
    /// One flag per memoized value `key` (see `MemoEntry`) shared by its every use in the
    /// group being compiled, set when a use may not be the item's only one (a second use,
    /// or a use inside a lambda): then each use copies the value out of the memo; the
    /// only use moves it.
    fn memo_use(&self, key: String) -> Arc<AtomicBool>;
}

fn err(offset: usize, message: impl Into<String>) -> ParseError {
    ParseError::new(offset, message.into())
}

/// The closest name by edit distance, when close enough to be a likely typo.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (levenshtein(&name.to_ascii_lowercase(), &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut row = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            row.push((prev[j] + cost).min(prev[j + 1] + 1).min(row[j] + 1));
        }
        prev = row;
    }
    prev[b.len()]
}

#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub optional: bool,
}

pub const fn req(name: &'static str) -> Param {
    Param { name, optional: false }
}

pub const fn opt(name: &'static str) -> Param {
    Param { name, optional: true }
}

/// A call's arguments bound to the function's parameters, read by type.
pub struct Args<'c> {
    compiler: &'c dyn ArgCompiler,
    call: &'c Invocation,
    params: &'static [Param],
    bound: Vec<Option<&'c ast::Argument>>,
}

fn to_snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

impl<'c> Args<'c> {
    pub fn bind(
        compiler: &'c dyn ArgCompiler,
        call: &'c Invocation,
        params: &'static [Param],
    ) -> Result<Args<'c>, ParseError> {
        let mut bound: Vec<Option<&ast::Argument>> = vec![None; params.len()];
        let mut named_seen = false;
        for (position, arg) in call.args.iter().enumerate() {
            let index = match &arg.name {
                None if named_seen => return Err(err(arg.offset.0, "unnamed argument used after named argument")),
                None => position,
                Some(name) => {
                    named_seen = true;
                    let wanted = to_snake(name);
                    params
                        .iter()
                        .position(|p| p.name == wanted)
                        .ok_or_else(|| err(arg.offset.0, format!("`{}` has no parameter named `{name}`", call.name)))?
                }
            };
            if index >= params.len() {
                return Err(err(
                    arg.offset.0,
                    format!(
                        "too many arguments to `{}`: it takes at most {}",
                        call.name,
                        params.len()
                    ),
                ));
            }
            if bound[index].is_some() {
                return Err(err(
                    arg.offset.0,
                    format!("argument `{}` given twice", params[index].name),
                ));
            }
            bound[index] = Some(arg);
        }
        for (param, arg) in params.iter().zip(&bound) {
            if !param.optional && arg.is_none() {
                return Err(err(
                    call.offset.0,
                    format!(
                        "`{}` needs {} arguments ({}); missing `{}`",
                        call.name,
                        params.iter().filter(|p| !p.optional).count(),
                        params
                            .iter()
                            .map(|p| if p.optional {
                                format!("[{}]", p.name)
                            } else {
                                p.name.to_owned()
                            })
                            .collect::<Vec<_>>()
                            .join(", "),
                        param.name
                    ),
                ));
            }
        }
        Ok(Args {
            compiler,
            call,
            params,
            bound,
        })
    }

    fn slot(&self, name: &str) -> Option<&'c ast::Argument> {
        self.params
            .iter()
            .position(|p| p.name == name)
            .and_then(|i| self.bound[i])
    }

    /// The function's parameters, in order.
    pub fn params(&self) -> &'static [Param] {
        self.params
    }

    pub fn offset(&self) -> usize {
        self.call.offset.0
    }

    pub fn error(&self, message: impl Into<String>) -> ParseError {
        err(self.call.offset.0, format!("{}: {}", self.call.name, message.into()))
    }

    fn value_of(&self, name: &str) -> Result<Option<&'c ast::Value>, ParseError> {
        match self.slot(name) {
            None => Ok(None),
            Some(arg) => match &arg.value {
                ArgValue::Value(v) => Ok(Some(v)),
                ArgValue::FunctionRef(f) => Err(err(
                    arg.offset.0,
                    format!("argument `{name}`: expected a value, got function name `{f}`"),
                )),
                ArgValue::Lambda(l) => Err(err(
                    arg.offset.0,
                    format!("argument `{name}`: expected a value, got the lambda `{l}`"),
                )),
            },
        }
    }

    /// A lambda argument with exactly `arity` formals (upstream checks this when the
    /// function is built, so a wrong lambda fails the template, not every span).
    pub fn opt_lambda(&self, name: &str, arity: usize) -> Result<Option<CompiledLambda>, ParseError> {
        let Some(arg) = self.slot(name) else {
            return Ok(None);
        };
        let ArgValue::Lambda(lambda) = &arg.value else {
            return Err(err(
                arg.offset.0,
                format!("argument `{name}` must be a lambda, like `(k, v) => …`"),
            ));
        };
        if lambda.formals.len() != arity {
            return Err(err(
                lambda.offset.0,
                format!(
                    "argument `{name}`: lambda should be defined with exactly {arity} formal(s), but has {}",
                    lambda.formals.len()
                ),
            ));
        }
        self.compiler.lambda(lambda).map(Some)
    }

    pub fn lambda(&self, name: &str, arity: usize) -> Result<CompiledLambda, ParseError> {
        self.opt_lambda(name, arity)?
            .ok_or_else(|| self.error(format!("missing `{name}`")))
    }

    pub fn opt_expr(&self, name: &str) -> Result<Option<Expr>, ParseError> {
        self.value_of(name)?.map(|v| self.compiler.expr(v)).transpose()
    }

    pub fn expr(&self, name: &str) -> Result<Expr, ParseError> {
        self.opt_expr(name)?
            .ok_or_else(|| self.error(format!("missing `{name}`")))
    }

    /// A target that is written to: must be a path.
    pub fn path(&self, name: &str) -> Result<CompiledPath, ParseError> {
        match self.value_of(name)? {
            Some(ast::Value::Path(p)) => self.compiler.path(p),
            Some(_) => Err(self.error(format!("argument `{name}` must be a path"))),
            None => Err(self.error(format!("missing `{name}`"))),
        }
    }

    fn literal(&self, name: &str) -> Result<Option<&'c ast::Value>, ParseError> {
        let value = self.value_of(name)?;
        match value {
            Some(ast::Value::Path(_) | ast::Value::Call(_) | ast::Value::Math { .. }) => {
                Err(self.error(format!("argument `{name}` must be a literal")))
            }
            other => Ok(other),
        }
    }

    pub fn opt_string(&self, name: &str) -> Result<Option<String>, ParseError> {
        match self.literal(name)? {
            None => Ok(None),
            Some(ast::Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.error(format!("argument `{name}` must be a string, got {other}"))),
        }
    }

    pub fn string(&self, name: &str) -> Result<String, ParseError> {
        self.opt_string(name)?
            .ok_or_else(|| self.error(format!("missing `{name}`")))
    }

    pub fn opt_int(&self, name: &str) -> Result<Option<i64>, ParseError> {
        match self.literal(name)? {
            None => Ok(None),
            Some(ast::Value::Int(i)) => Ok(Some(*i)),
            Some(other) => Err(self.error(format!("argument `{name}` must be an int, got {other}"))),
        }
    }

    pub fn int(&self, name: &str) -> Result<i64, ParseError> {
        self.opt_int(name)?
            .ok_or_else(|| self.error(format!("missing `{name}`")))
    }

    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>, ParseError> {
        match self.literal(name)? {
            None => Ok(None),
            Some(ast::Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.error(format!("argument `{name}` must be a bool, got {other}"))),
        }
    }

    /// A list literal of getters (`[a, "b", Len(c)]`).
    pub fn list(&self, name: &str) -> Result<Vec<Expr>, ParseError> {
        match self.value_of(name)? {
            Some(ast::Value::List(items)) => items.iter().map(|v| self.compiler.expr(v)).collect(),
            Some(_) => Err(self.error(format!("argument `{name}` must be a list"))),
            None => Err(self.error(format!("missing `{name}`"))),
        }
    }

    pub fn opt_string_list(&self, name: &str) -> Result<Option<Vec<String>>, ParseError> {
        match self.literal(name)? {
            None => Ok(None),
            Some(ast::Value::List(items)) => items
                .iter()
                .map(|v| match v {
                    ast::Value::String(s) => Ok(s.clone()),
                    other => Err(self.error(format!("argument `{name}` must list strings, got {other}"))),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(self.error(format!("argument `{name}` must be a list of strings, got {other}"))),
        }
    }

    pub fn string_list(&self, name: &str) -> Result<Vec<String>, ParseError> {
        self.opt_string_list(name)?
            .ok_or_else(|| self.error(format!("missing `{name}`")))
    }

    /// A literal pattern, compiled once here.
    pub fn regex(&self, name: &str) -> Result<Regex, ParseError> {
        let pattern = self.string(name)?;
        Regex::new(&pattern).map_err(|e| self.error(format!("invalid regex `{pattern}`: {e}")))
    }

    /// A function passed by name (`SHA256` or `Sha256`).
    pub fn opt_function(&self, name: &str) -> Result<Option<String>, ParseError> {
        match self.slot(name) {
            None => Ok(None),
            Some(arg) => match &arg.value {
                ArgValue::FunctionRef(f) => Ok(Some(f.clone())),
                ArgValue::Value(ast::Value::Enum(f, _)) => Ok(Some(f.clone())),
                ArgValue::Value(other) => {
                    Err(self.error(format!("argument `{name}` must be a function name, got {other}")))
                }
                ArgValue::Lambda(l) => Err(self.error(format!("argument `{name}` must be a function name, got {l}"))),
            },
        }
    }

    /// A string literal given for `name`, checked against `allowed` here so a typo fails
    /// the template when it loads rather than on every span. A computed value is checked
    /// when it is evaluated.
    pub fn check_literal_choice(&self, name: &str, allowed: &[&str]) -> Result<(), ParseError> {
        match self.value_of(name)? {
            Some(ast::Value::String(s)) if !allowed.contains(&s.as_str()) => {
                Err(self.error(format!("unknown {name} `{s}` ({})", allowed.join(", "))))
            }
            _ => Ok(()),
        }
    }

    /// The string literal given for `name`, when it is one.
    pub fn literal_string(&self, name: &str) -> Result<Option<&'c str>, ParseError> {
        Ok(match self.value_of(name)? {
            Some(ast::Value::String(s)) => Some(s.as_str()),
            _ => None,
        })
    }

    pub fn is_given(&self, name: &str) -> bool {
        self.slot(name).is_some()
    }

    pub fn exec_context(&self) -> ContextKind {
        self.compiler.exec_context()
    }

    /// See `ArgCompiler::memo_use`.
    pub fn memo_use(&self, key: String) -> Arc<AtomicBool> {
        self.compiler.memo_use(key)
    }
}

/// Boxes a converter.
pub fn converter<C: Converter + 'static>(c: C) -> Result<Box<dyn Converter>, ParseError> {
    Ok(Box::new(c))
}

/// Boxes an editor.
pub fn editor<E: Editor + 'static>(e: E) -> Result<Box<dyn Editor>, ParseError> {
    Ok(Box::new(e))
}
