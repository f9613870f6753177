//! What a group's paths say about it, read from the parsed statements: the context to run
//! in when it names none (as the transformprocessor infers it: the most specific context
//! any path names, raised to one that supports every function), and which group conditions
//! depend only on the resource and scope. Both are one walk over the syntax tree
//! (`AstVisitor`), each noting what it needs.

use crate::ottl::ast::{ArgValue, BoolExpr, Invocation, Key, Path, Statement, Value};
use crate::ottl::ContextKind;

/// What a walk over statements and conditions meets: every path (keys included), every
/// function call and every lambda argument.
trait AstVisitor {
    fn path(&mut self, path: &Path);
    fn call(&mut self, call: &Invocation);
    fn lambda(&mut self) {}

    fn statement(&mut self, statement: &Statement) {
        self.invocation(&statement.editor);
        if let Some(c) = &statement.condition {
            self.condition(c);
        }
    }

    fn condition(&mut self, condition: &BoolExpr) {
        match condition {
            BoolExpr::Or(items) | BoolExpr::And(items) => items.iter().for_each(|c| self.condition(c)),
            BoolExpr::Not(inner) => self.condition(inner),
            BoolExpr::Compare { lhs, rhs, .. } => {
                self.value(lhs);
                self.value(rhs);
            }
            BoolExpr::Const(_) => {}
            BoolExpr::Converter(call) => self.invocation(call),
        }
    }

    fn invocation(&mut self, call: &Invocation) {
        self.call(call);
        for arg in &call.args {
            match &arg.value {
                ArgValue::Value(v) => self.value(v),
                ArgValue::FunctionRef(_) => {}
                ArgValue::Lambda(_) => self.lambda(),
            }
        }
        self.keys(&call.keys);
    }

    fn keys(&mut self, keys: &[Key]) {
        for key in keys {
            if let Key::Expr(v) = key {
                self.value(v);
            }
        }
    }

    fn value(&mut self, value: &Value) {
        match value {
            Value::Path(path) => {
                self.path(path);
                for segment in &path.segments {
                    self.keys(&segment.keys);
                }
            }
            Value::Call(call) => self.invocation(call),
            Value::Math { lhs, rhs, .. } => {
                self.value(lhs);
                self.value(rhs);
            }
            Value::List(items) => items.iter().for_each(|v| self.value(v)),
            Value::Map(items) => items.iter().for_each(|(_, v)| self.value(v)),
            _ => {}
        }
    }
}

/// The context a path names explicitly (`span.name`, `resource.attributes[…]`), if any.
fn explicit_context(path: &Path) -> Option<ContextKind> {
    let first = &path.segments[0];
    if path.segments.len() > 1 && first.keys.is_empty() {
        ContextKind::parse(&first.name)
    } else {
        None
    }
}

#[derive(Default)]
pub struct PathUse {
    pub most_specific: Option<ContextKind>,
    pub needs_span: bool,
}

impl AstVisitor for PathUse {
    fn path(&mut self, path: &Path) {
        if let Some(ctx) = explicit_context(path) {
            self.most_specific = Some(self.most_specific.map_or(ctx, |c| c.max(ctx)));
        }
    }

    fn call(&mut self, call: &Invocation) {
        if call.name == "IsRootSpan" {
            self.needs_span = true;
        }
    }
}

impl PathUse {
    pub fn statement(&mut self, statement: &Statement) {
        AstVisitor::statement(self, statement);
    }

    pub fn condition(&mut self, condition: &BoolExpr) {
        AstVisitor::condition(self, condition);
    }

    pub fn inferred(&self) -> Option<ContextKind> {
        let ctx = self.most_specific?;
        Some(if self.needs_span {
            ctx.max(ContextKind::Span)
        } else {
            ctx
        })
    }
}

/// Whether a group condition depends only on the item's resource and scope: every path in
/// it names `resource.` or `instrumentation_scope.`/`scope.` explicitly, it calls no
/// function without arguments (`Now()`, `UUID()`, `IsRootSpan()` read something else) and
/// passes no lambda. Such a condition has one value for all the items of one scope.
pub fn reads_only_resource_and_scope(condition: &BoolExpr) -> bool {
    let mut reads = ScopeReads::default();
    reads.condition(condition);
    reads.paths > 0 && !reads.other
}

/// Whether a statement names a resource or scope path anywhere (and so may change what a
/// scope-level condition reads).
pub fn mentions_resource_or_scope(statement: &Statement) -> bool {
    let mut reads = ScopeReads::default();
    reads.statement(statement);
    reads.paths > 0
}

/// Paths of resource and scope counted, and whether anything else was read.
#[derive(Default)]
struct ScopeReads {
    paths: usize,
    other: bool,
}

impl AstVisitor for ScopeReads {
    fn path(&mut self, path: &Path) {
        match explicit_context(path) {
            Some(ContextKind::Resource | ContextKind::Scope) => self.paths += 1,
            _ => self.other = true,
        }
    }

    fn call(&mut self, call: &Invocation) {
        if call.args.is_empty() {
            self.other = true;
        }
    }

    fn lambda(&mut self) {
        self.other = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ottl::parser::{parse_condition, parse_statement};

    #[test]
    fn conditions_on_resource_and_scope_alone_are_scope_level() {
        let scope_level = [
            r#"IsMatch(instrumentation_scope.name, "^codex")"#,
            r#"resource.attributes["service.name"] == "gemini-cli""#,
            r#"IsMatch(resource.attributes["service.name"], "(?i)cline") or scope.name == "x""#,
            r#"not (resource.attributes[scope.name] != nil)"#,
        ];
        for text in scope_level {
            assert!(reads_only_resource_and_scope(&parse_condition(text).unwrap()), "{text}");
        }
        let per_item = [
            r#"attributes["openinference.span.kind"] != nil"#,
            r#"IsMatch(name, "^claude_code\\.")"#,
            r#"instrumentation_scope.name == "ai" and attributes["x"] != nil"#,
            r#"resource.attributes[cache["k"]] != nil"#,
            r#"span.name == "x" or scope.name == "y""#,
            r#"IsRootSpan() and scope.name == "y""#,
            r#"Len(Filter(resource.attributes, (k, v) => v == "x")) > 0"#,
            "true",
        ];
        for text in per_item {
            assert!(
                !reads_only_resource_and_scope(&parse_condition(text).unwrap()),
                "{text}"
            );
        }
    }

    #[test]
    fn statements_naming_resource_or_scope_are_found() {
        let cases = [
            (r#"set(resource.attributes["x"], "y")"#, true),
            (r#"delete_key(instrumentation_scope.attributes, "x")"#, true),
            (
                r#"set(attributes["x"], "y") where resource.attributes["k"] != nil"#,
                true,
            ),
            (r#"set(attributes["x"], attributes["y"])"#, false),
        ];
        for (text, expected) in cases {
            assert_eq!(
                mentions_resource_or_scope(&parse_statement(text).unwrap()),
                expected,
                "{text}"
            );
        }
    }
}
