//! Syntax tree to runtime objects: names resolved, literals folded, arguments checked
//! against each function's parameters. Nothing is parsed or looked up per span.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::ast::{self, ArgValue, BoolExpr, Invocation, Key, Statement};
use super::context::{enum_value, field_names, resolve_field, ContextKind, Target};
use super::error::ParseError;
use super::eval::{CompiledKey, CompiledPath, Cond, Editor, EvalResult, Expr};
use super::functions::{build_guarded_set, Builder, DeleteKeys, FunctionSpec, NilGuard, Registry};
use super::lambda::{CompiledLambda, LambdaBody};
use super::requirement::KeyRequirement;
use super::signature::{closest, ArgCompiler, Args};
use super::value::Value;
use crate::otlp::KeyValue;

/// One compiled statement: the editor and its optional condition.
#[derive(Debug)]
pub struct CompiledStatement {
    pub editor: Box<dyn Editor>,
    pub condition: Option<Cond>,
    pub text: String,
    /// Own attribute keys without which the statement does nothing (see `requirement`).
    pub requires: Option<KeyRequirement>,
    /// How many statements after this one start their conditions with the same test (see
    /// `shared_guard`).
    pub guard_run: usize,
}

impl CompiledStatement {
    /// A statement made by fusing others: no requirement of its own.
    pub fn fused(editor: Box<dyn Editor>, text: String) -> CompiledStatement {
        CompiledStatement {
            editor,
            condition: None,
            text,
            requires: None,
            guard_run: 0,
        }
    }

    pub fn execute(&self, target: &mut Target<'_>) -> EvalResult<()> {
        if self.requires.is_some_and(|r| r.ruled_out(target)) {
            return Ok(());
        }
        if let Some(condition) = &self.condition {
            if !condition.eval(target)? {
                return Ok(());
            }
        }
        self.editor.apply(target)
    }
}

/// Runs of unconditional `delete_key(map, "literal")` on one whole map become one
/// statement removing them all in one pass: the same result, one scan instead of many.
pub fn fuse_deletions(statements: Vec<CompiledStatement>) -> Vec<CompiledStatement> {
    let mut out: Vec<CompiledStatement> = Vec::with_capacity(statements.len());
    let mut run: Vec<CompiledStatement> = Vec::new();
    let deletion = |s: &CompiledStatement| {
        s.condition
            .is_none()
            .then(|| s.editor.literal_key_deletion())
            .flatten()
            .filter(|(path, _)| path.keys.is_empty())
            .map(|(path, key)| (path.field, key.to_owned()))
    };
    let flush = |run: &mut Vec<CompiledStatement>, out: &mut Vec<CompiledStatement>| {
        if run.len() < 2 {
            out.append(run);
            return;
        }
        let mut field = None;
        let mut keys = Vec::with_capacity(run.len());
        let mut text = String::new();
        for s in run.iter() {
            if let Some((f, key)) = deletion(s) {
                field = Some(f);
                keys.push(key);
            }
            if !text.is_empty() {
                text.push_str("; ");
            }
            text.push_str(&s.text);
        }
        let (Some(field), Some(first)) = (field, run.first()) else {
            out.append(run);
            return;
        };
        let path_text = first
            .editor
            .literal_key_deletion()
            .map(|(p, _)| p.text.clone())
            .unwrap_or_default();
        out.push(CompiledStatement::fused(
            Box::new(DeleteKeys::new(CompiledPath::new(field, Vec::new(), path_text), keys)),
            text,
        ));
        run.clear();
    };
    for statement in statements {
        let same_map = match (deletion(&statement), run.last().and_then(deletion)) {
            (Some((f, _)), Some((g, _))) => f == g,
            (Some(_), None) => run.is_empty(),
            _ => false,
        };
        if same_map {
            run.push(statement);
            continue;
        }
        flush(&mut run, &mut out);
        if deletion(&statement).is_some() {
            run.push(statement);
        } else {
            out.push(statement);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// The guard a `set` statement's `where` is, if it is one `NilGuard` folds in.
fn set_guard(ast: &Statement) -> Option<NilGuard> {
    let call = &ast.editor;
    if call.name != "set" || !call.keys.is_empty() || call.args.len() != 2 {
        return None;
    }
    let value = &call.args[1];
    if !matches!(value.name.as_deref(), None | Some("value")) || call.args[0].name.as_deref() == Some("value") {
        return None;
    }
    let ArgValue::Value(value) = &value.value else {
        return None;
    };
    // `where IsString(v)`, a string value's guard: v read once, set only when a string.
    if let Some(BoolExpr::Converter(test)) = &ast.condition {
        let tested = match test.args.as_slice() {
            [only]
                if test.name == "IsString"
                    && test.keys.is_empty()
                    && matches!(only.name.as_deref(), None | Some("value")) =>
            {
                &only.value
            }
            _ => return None,
        };
        if *tested == ArgValue::Value(value.clone()) {
            return Some(NilGuard::StringValue);
        }
        // `set(x, F(v)) where IsString(v)`: v read once, F applied only to a string.
        return is_sole_argument(tested, value).then_some(NilGuard::StringArgument);
    }
    let guarded = match &ast.condition {
        Some(BoolExpr::Compare {
            op: ast::CompareOp::Ne,
            lhs,
            rhs,
        }) if rhs == &ast::Value::Nil => lhs,
        Some(BoolExpr::Compare {
            op: ast::CompareOp::Ne,
            lhs,
            rhs,
        }) if lhs == &ast::Value::Nil => rhs,
        _ => return None,
    };
    if guarded == value {
        return Some(NilGuard::Value);
    }
    is_sole_argument(&ArgValue::Value(guarded.clone()), value).then_some(NilGuard::Argument)
}

/// Whether `value` is a call `F(argument)` of one unnamed argument and no keys.
fn is_sole_argument(argument: &ArgValue, value: &ast::Value) -> bool {
    matches!(value, ast::Value::Call(inner) if inner.keys.is_empty()
        && matches!(inner.args.as_slice(), [only] if only.name.is_none() && only.value == *argument))
}

pub struct Compiler<'r> {
    /// The group's explicit context: unprefixed paths belong to it.
    pub default_context: Option<ContextKind>,
    /// Where the statements run: every path must be reachable from it.
    pub exec_context: ContextKind,
    pub registry: &'r Registry,
    /// The formals of the lambdas being compiled, innermost last.
    locals: RefCell<Vec<LocalFrame>>,
    /// The memoized values' uses so far (`ArgCompiler::memo_use`).
    memo_uses: RefCell<HashMap<String, Arc<AtomicBool>>>,
    /// False while compiling what will not run: a condition a guarded `set` may absorb.
    counting_memo_uses: Cell<bool>,
}

/// One lambda's formals and the first slot they take.
struct LocalFrame {
    base: usize,
    names: Vec<Option<String>>,
}

fn err(offset: usize, message: impl Into<String>) -> ParseError {
    ParseError::new(offset, message.into())
}

impl ArgCompiler for Compiler<'_> {
    fn expr(&self, value: &ast::Value) -> Result<Expr, ParseError> {
        Compiler::expr(self, value)
    }

    fn lambda(&self, lambda: &ast::Lambda) -> Result<CompiledLambda, ParseError> {
        Compiler::lambda(self, lambda)
    }

    fn path(&self, path: &ast::Path) -> Result<CompiledPath, ParseError> {
        Compiler::path(self, path)
    }

    fn exec_context(&self) -> ContextKind {
        self.exec_context
    }

    fn memo_use(&self, key: String) -> Arc<AtomicBool> {
        if !self.counting_memo_uses.get() {
            return Arc::default();
        }
        let in_lambda = !self.locals.borrow().is_empty();
        let mut uses = self.memo_uses.borrow_mut();
        let shared = uses.contains_key(&key) || in_lambda;
        let flag = uses.entry(key).or_default();
        if shared {
            flag.store(true, Ordering::Relaxed);
        }
        Arc::clone(flag)
    }
}

impl<'r> Compiler<'r> {
    pub fn new(default_context: Option<ContextKind>, exec_context: ContextKind, registry: &'r Registry) -> Self {
        Compiler {
            default_context,
            exec_context,
            registry,
            locals: RefCell::new(Vec::new()),
            memo_uses: RefCell::new(HashMap::new()),
            counting_memo_uses: Cell::new(true),
        }
    }

    /// A lambda: its formals in scope (in slots after the enclosing lambdas') while its
    /// body compiles.
    pub fn lambda(&self, lambda: &ast::Lambda) -> Result<CompiledLambda, ParseError> {
        let base = self.locals.borrow().last().map_or(0, |f| f.base + f.names.len());
        let mut names: Vec<Option<String>> = Vec::with_capacity(lambda.formals.len());
        for formal in &lambda.formals {
            if formal == "_" {
                names.push(None);
            } else if names.iter().flatten().any(|n| n == formal) {
                return Err(err(
                    lambda.offset.0,
                    format!("lambda formal `{formal}` is declared twice"),
                ));
            } else {
                names.push(Some(formal.clone()));
            }
        }
        let slots = names
            .iter()
            .enumerate()
            .map(|(i, name)| name.as_ref().map(|_| base + i))
            .collect();
        self.locals.borrow_mut().push(LocalFrame { base, names });
        let body = match &lambda.body {
            ast::LambdaBody::Value(value) => self.expr(value).map(LambdaBody::Value),
            ast::LambdaBody::Condition(condition) => self.condition(condition).map(LambdaBody::Condition),
        };
        self.locals.borrow_mut().pop();
        Ok(CompiledLambda {
            slots,
            body: body?,
            text: lambda.to_string(),
        })
    }

    /// The formal a path names, when its first segment is one in scope (innermost first).
    fn local(&self, path: &ast::Path) -> Result<Option<Expr>, ParseError> {
        let Some(first) = path.segments.first() else {
            return Ok(None);
        };
        let slot = self.locals.borrow().iter().rev().find_map(|frame| {
            frame
                .names
                .iter()
                .position(|n| n.as_deref() == Some(first.name.as_str()))
                .map(|i| frame.base + i)
        });
        let Some(slot) = slot else { return Ok(None) };
        if path.segments.len() > 1 {
            return Err(err(
                path.offset.0,
                format!(
                    "local identifier `{}` has no fields; index it with [\"key\"]",
                    first.name
                ),
            ));
        }
        let keys = first.keys.iter().map(|k| self.key(k)).collect::<Result<_, _>>()?;
        Ok(Some(Expr::Local { slot, keys }))
    }

    /// The function a call names, if the registry has it and its feature gate is on.
    fn function(&self, call: &Invocation) -> Result<&'r FunctionSpec, ParseError> {
        let spec = self
            .registry
            .get(&call.name)
            .ok_or_else(|| self.unknown_function(call))?;
        match spec.gate {
            Some(gate) if !self.registry.gate_enabled(gate) => Err(err(
                call.offset.0,
                format!(
                    "function \"{}\" is experimental and requires the `{gate}` feature gate to be enabled",
                    call.name
                ),
            )),
            _ => Ok(spec),
        }
    }

    pub fn statement(&self, ast: &Statement, text: &str) -> Result<CompiledStatement, ParseError> {
        // The condition is (an argument of) the value, so compiling the value checks it too.
        let guard = set_guard(ast).zip(self.registry.get("set"));
        // A condition the set absorbs never runs: its memoized converters are not uses of
        // their values (the set's value counts them once), or a view read once would be
        // copied out of the memo as if read twice.
        let condition = match &ast.condition {
            Some(c) if guard.is_some() => Some(self.without_memo_uses(|| self.condition(c))?),
            Some(c) => Some(self.condition(c)?),
            None => None,
        };
        let requires = condition.as_ref().and_then(KeyRequirement::of);
        let fused = match guard {
            Some((guard, spec)) => build_guarded_set(&mut Args::bind(self, &ast.editor, spec.params)?, guard)?,
            None => None,
        };
        let (editor, condition) = match (fused, &ast.condition) {
            (Some(editor), _) => (editor, None),
            (None, Some(c)) if guard.is_some() => (self.editor(&ast.editor)?, Some(self.condition(c)?)),
            (None, _) => (self.editor(&ast.editor)?, condition),
        };
        Ok(CompiledStatement {
            editor,
            condition,
            text: text.to_owned(),
            requires,
            guard_run: 0,
        })
    }

    fn without_memo_uses<T>(&self, compile: impl FnOnce() -> T) -> T {
        let counting = self.counting_memo_uses.replace(false);
        let compiled = compile();
        self.counting_memo_uses.set(counting);
        compiled
    }

    pub fn condition(&self, ast: &BoolExpr) -> Result<Cond, ParseError> {
        Ok(match ast {
            BoolExpr::Or(items) => Cond::Or(items.iter().map(|c| self.condition(c)).collect::<Result<_, _>>()?),
            BoolExpr::And(items) => Cond::And(items.iter().map(|c| self.condition(c)).collect::<Result<_, _>>()?),
            BoolExpr::Not(inner) => Cond::Not(Box::new(self.condition(inner)?)),
            BoolExpr::Compare { op, lhs, rhs } => {
                let (lhs, rhs) = (self.expr(lhs)?, self.expr(rhs)?);
                Cond::compare(*op, lhs, rhs)
            }
            BoolExpr::Const(b) => Cond::Const(*b),
            BoolExpr::Converter(call) => Cond::Converter(self.converter_call(call)?),
        })
    }

    fn editor(&self, call: &Invocation) -> Result<Box<dyn Editor>, ParseError> {
        let spec = self.function(call)?;
        let Builder::Editor(build) = spec.builder else {
            return Err(err(
                call.offset.0,
                format!("`{}` is a converter; a statement must start with an editor", call.name),
            ));
        };
        let mut args = Args::bind(self, call, spec.params)?;
        build(&mut args)
    }

    fn converter_call(&self, call: &Invocation) -> Result<Expr, ParseError> {
        let spec = self.function(call)?;
        let Builder::Converter(build) = spec.builder else {
            return Err(err(
                call.offset.0,
                format!("`{}` is an editor and cannot be used as a value", call.name),
            ));
        };
        let mut args = Args::bind(self, call, spec.params)?;
        let converter = build(&mut args)?;
        let keys = call.keys.iter().map(|k| self.key(k)).collect::<Result<_, _>>()?;
        Ok(Expr::Call { converter, keys })
    }

    fn unknown_function(&self, call: &Invocation) -> ParseError {
        let suggestion = match self.registry.closest(&call.name) {
            Some(s) => format!("; did you mean `{s}`?"),
            None => {
                let wanted_editor = call.name.starts_with(|c: char| c.is_ascii_lowercase());
                let names: Vec<&str> = self
                    .registry
                    .names()
                    .filter(|n| n.starts_with(|c: char| c.is_ascii_lowercase()) == wanted_editor)
                    .collect();
                format!("; available: {}", names.join(", "))
            }
        };
        err(call.offset.0, format!("undefined function `{}`{suggestion}", call.name))
    }

    pub fn expr(&self, ast: &ast::Value) -> Result<Expr, ParseError> {
        Ok(match ast {
            ast::Value::Nil => Expr::Literal(Value::Nil),
            ast::Value::Bool(b) => Expr::Literal(Value::Bool(*b)),
            ast::Value::Int(i) => Expr::Literal(Value::Int(*i)),
            ast::Value::Float(f) => Expr::Literal(Value::Float(*f)),
            ast::Value::String(s) => Expr::Literal(Value::string(s.clone())),
            ast::Value::Bytes(b) => Expr::Literal(Value::Bytes(Cow::Owned(b.clone()))),
            ast::Value::Enum(name, offset) => Expr::Literal(Value::Int(
                enum_value(name).ok_or_else(|| err(offset.0, format!("enum symbol `{name}` not found")))?,
            )),
            ast::Value::Path(path) => match self.local(path)? {
                Some(local) => local,
                None => Expr::Path(self.path(path)?),
            },
            ast::Value::Call(call) => self.converter_call(call)?,
            ast::Value::Math { op, lhs, rhs } => Expr::Math {
                op: *op,
                lhs: Box::new(self.expr(lhs)?),
                rhs: Box::new(self.expr(rhs)?),
            },
            ast::Value::List(items) => {
                let items = items.iter().map(|v| self.expr(v)).collect::<Result<Vec<_>, _>>()?;
                match fold_literals(&items) {
                    Some(values) => Expr::Literal(Value::List(Cow::Owned(
                        values.into_iter().map(Value::into_any).collect(),
                    ))),
                    None => Expr::List(items),
                }
            }
            ast::Value::Map(items) => {
                let items = items
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), self.expr(v)?)))
                    .collect::<Result<Vec<_>, ParseError>>()?;
                if items.iter().all(|(_, e)| matches!(e, Expr::Literal(_))) {
                    let values = items
                        .into_iter()
                        .map(|(k, e)| match e {
                            Expr::Literal(v) => KeyValue {
                                key: k,
                                value: Some(v.into_any()),
                                ..Default::default()
                            },
                            _ => KeyValue::default(),
                        })
                        .collect();
                    Expr::Literal(Value::Map(Cow::Owned(values)))
                } else {
                    Expr::Map(items)
                }
            }
        })
    }

    pub fn path(&self, path: &ast::Path) -> Result<CompiledPath, ParseError> {
        let offset = path.offset.0;
        if self.local(path)?.is_some() {
            return Err(err(offset, format!("local identifier `{path}` cannot be set")));
        }
        let text = path.to_string();
        let segments = &path.segments;
        let explicit = segments
            .first()
            .filter(|s| segments.len() > 1 && s.keys.is_empty())
            .and_then(|s| ContextKind::parse(&s.name));
        let (context, rest) = match (explicit, self.default_context) {
            (Some(ctx), _) => (ctx, &segments[1..]),
            (None, Some(ctx)) => (ctx, &segments[..]),
            (None, None) => {
                return Err(err(
                    offset,
                    format!(
                        "missing context name for path `{text}`; start it with resource., scope., span. or spanevent."
                    ),
                ))
            }
        };
        let (field, keys) = match rest {
            [only] => (resolve_field(context, &only.name, None), &only.keys),
            [first, second] if first.keys.is_empty() => {
                (resolve_field(context, &first.name, Some(&second.name)), &second.keys)
            }
            _ => (None, &rest[0].keys),
        };
        let field = field.ok_or_else(|| {
            let name: Vec<&str> = rest.iter().map(|s| s.name.as_str()).collect();
            let name = name.join(".");
            let known = field_names(context);
            let hint = closest(&name, known.iter().copied())
                .map(|s| format!(" did you mean `{}.{s}`?", context.name()))
                .unwrap_or_default();
            err(
                offset,
                format!(
                    "invalid path `{text}`: {} has no field `{name}`;{hint} valid fields: {}",
                    context.name(),
                    known.join(", ")
                ),
            )
        })?;
        if let Some(owner) = field.context() {
            if !self.exec_context.can_reach(owner) {
                return Err(err(
                    offset,
                    format!(
                        "path `{text}` is not available to statements in {} context",
                        self.exec_context.name()
                    ),
                ));
            }
        }
        if !keys.is_empty() && !field.takes_keys() {
            return Err(err(offset, format!("path `{text}` does not support keys")));
        }
        let keys = keys.iter().map(|k| self.key(k)).collect::<Result<_, _>>()?;
        Ok(CompiledPath::new(field, keys, text))
    }

    fn key(&self, key: &Key) -> Result<CompiledKey, ParseError> {
        Ok(match key {
            Key::String(s) => CompiledKey::Str(s.clone()),
            Key::Expr(ast::Value::Int(i)) => CompiledKey::Int(*i),
            Key::Expr(other) => CompiledKey::Expr(Box::new(self.expr(other)?)),
        })
    }
}

fn fold_literals(items: &[Expr]) -> Option<Vec<Value<'static>>> {
    items
        .iter()
        .map(|e| match e {
            Expr::Literal(v) => Some(v.clone()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::otlp::{any_value, AnyValue, ExportTraceServiceRequest, KeyValue, ResourceSpans, ScopeSpans, Span};
    use crate::ottl::Registry;
    use crate::template::CompiledTemplate;

    fn request(attributes: &[(&str, Option<&str>)]) -> ExportTraceServiceRequest {
        let attributes = attributes
            .iter()
            .map(|(k, v)| KeyValue {
                key: (*k).to_owned(),
                value: Some(AnyValue {
                    value: v.map(|v| any_value::Value::StringValue(v.to_owned())),
                }),
                ..Default::default()
            })
            .collect();
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: vec![Span {
                        attributes,
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
    }

    fn compiled(statement: &str) -> super::CompiledStatement {
        let registry = Registry::standard();
        let compiler = super::Compiler::new(
            Some(crate::ottl::ContextKind::Span),
            crate::ottl::ContextKind::Span,
            &registry,
        );
        compiler
            .statement(&crate::ottl::parse_statement(statement).unwrap(), statement)
            .unwrap()
    }

    fn run(statement: &str, input: &ExportTraceServiceRequest) -> (ExportTraceServiceRequest, usize) {
        let yaml = format!("trace_statements:\n  - context: span\n    statements:\n      - '{statement}'\n");
        let template = CompiledTemplate::compile(&yaml, "t.yaml", &Registry::standard()).unwrap();
        let mut out = input.clone();
        let report = template.apply_traces(&mut out).unwrap();
        (out, report.failures.len())
    }

    /// `fused` compiles to one step, `plain` (the same statement with its condition spelled
    /// so that it is not fused) does not, and the two leave every input alike.
    fn behaves_as_written(fused: &str, plain: &str, inputs: &[ExportTraceServiceRequest]) {
        assert!(compiled(fused).condition.is_none(), "{fused} is fused");
        assert!(compiled(plain).condition.is_some(), "{plain} is not");
        for input in inputs {
            assert_eq!(run(fused, input), run(plain, input), "{fused} on {input:?}");
        }
    }

    /// Attributes a guarded set meets: its target there or not, its source a string (plain,
    /// numeric, JSON with a string, a number or JSON text inside), absent or holding nothing.
    fn guard_inputs() -> Vec<ExportTraceServiceRequest> {
        vec![
            request(&[("a", Some("old")), ("b", Some("New"))]),
            request(&[("a", Some("old"))]),
            request(&[("b", None)]),
            request(&[("b", Some(r#"{"k":"v"}"#))]),
            request(&[("b", Some(r#"{"k":1}"#))]),
            request(&[("b", Some(r#"{"k":"{\"j\":2}"}"#))]),
            request(&[("b", Some("42"))]),
        ]
    }

    fn not_fused(statements: &[&str]) {
        for statement in statements {
            assert!(compiled(statement).condition.is_some(), "{statement} is not fused");
        }
    }

    /// `set(x, v) where v != nil` is compiled to one step; it must behave exactly like the
    /// same statement with the condition spelled so that it is not fused.
    #[test]
    fn a_set_guarded_by_its_own_value_behaves_as_written() {
        let values = [
            r#"attributes["b"]"#,
            r#"Concat([attributes["b"], "x"], "-")"#,
            r#"ParseJSON(attributes["b"])["k"]"#,
            r#"Coalesce([attributes["missing"], attributes["b"]])"#,
        ];
        let inputs = guard_inputs();
        for value in values {
            for fused in [
                format!(r#"set(attributes["a"], {value}) where {value} != nil"#),
                format!(r#"set(target=attributes["a"], value={value}) where nil != {value}"#),
            ] {
                let plain = format!(r#"set(attributes["a"], {value}) where not ({value} == nil)"#);
                behaves_as_written(&fused, &plain, &inputs);
            }
        }
    }

    /// `set(x, v) where IsString(v)` reads `v` once; it must behave exactly like the same
    /// statement with the condition spelled so that it is not fused, errors included.
    #[test]
    fn a_set_guarded_by_is_string_of_its_value_behaves_as_written() {
        let values = [
            r#"attributes["b"]"#,
            r#"ParseJSON(attributes["b"])["k"]"#,
            r#"Int(attributes["b"])"#,
            r#"Coalesce([attributes["missing"], attributes["b"]])"#,
        ];
        let inputs = guard_inputs();
        for value in values {
            for fused in [
                format!(r#"set(attributes["a"], {value}) where IsString({value})"#),
                format!(r#"set(attributes["a"], {value}) where IsString(value={value})"#),
            ] {
                let plain = format!(r#"set(attributes["a"], {value}) where IsString({value}) == true"#);
                behaves_as_written(&fused, &plain, &inputs);
            }
        }
        // A test of another value, or another test: not fused.
        not_fused(&[
            r#"set(attributes["a"], attributes["b"]) where IsString(attributes["c"])"#,
            r#"set(attributes["a"], attributes["b"]) where IsInt(attributes["b"])"#,
        ]);
    }

    /// `set(x, F(v)) where v != nil` reads `v` once; it must behave exactly like the same
    /// statement with the condition spelled so that it is not fused, errors included.
    #[test]
    fn a_set_guarded_by_its_argument_behaves_as_written() {
        let arguments = [
            r#"attributes["b"]"#,
            r#"Coalesce([attributes["missing"], attributes["b"]])"#,
        ];
        let functions = [
            "Int",
            "Double",
            "ToLowerCase",
            "ToUpperCase",
            "ParseJSON",
            "IsString",
            "String",
        ];
        let inputs = guard_inputs();
        for argument in arguments {
            for function in functions {
                let fused = format!(r#"set(attributes["a"], {function}({argument})) where {argument} != nil"#);
                let plain = format!(r#"set(attributes["a"], {function}({argument})) where not ({argument} == nil)"#);
                behaves_as_written(&fused, &plain, &inputs);
            }
        }
        // Not the guard's own argument, or more than one: not fused.
        not_fused(&[
            r#"set(attributes["a"], Int(attributes["c"])) where attributes["b"] != nil"#,
            r#"set(attributes["a"], Concat([attributes["b"]], "-")) where attributes["b"] != nil"#,
        ]);
    }

    /// `set(x, F(v)) where IsString(v)` reads `v` once; it must behave exactly like the same
    /// statement with the condition spelled so that it is not fused, errors included.
    #[test]
    fn a_set_guarded_by_is_string_of_its_argument_behaves_as_written() {
        let arguments = [
            r#"attributes["b"]"#,
            r#"Coalesce([attributes["missing"], attributes["b"]])"#,
            r#"ParseJSON(attributes["b"])["k"]"#,
            r#"Coalesce([attributes["missing"], 7])"#,
        ];
        let functions = ["Int", "Double", "ToLowerCase", "ParseJSON", "IsString", "String"];
        let inputs = guard_inputs();
        for argument in arguments {
            for function in functions {
                for fused in [
                    format!(r#"set(attributes["a"], {function}({argument})) where IsString({argument})"#),
                    format!(r#"set(attributes["a"], {function}({argument})) where IsString(value={argument})"#),
                ] {
                    let plain =
                        format!(r#"set(attributes["a"], {function}({argument})) where IsString({argument}) == true"#);
                    behaves_as_written(&fused, &plain, &inputs);
                }
            }
        }
        // Another value tested, or a function of more than the tested value: not fused.
        not_fused(&[
            r#"set(attributes["a"], Int(attributes["c"])) where IsString(attributes["b"])"#,
            r#"set(attributes["a"], Concat([attributes["b"]], "-")) where IsString(attributes["b"])"#,
            r#"set(attributes["a"], Int(attributes["b"])) where IsInt(attributes["b"])"#,
        ]);
    }
}
