//! Context inference for groups without `context:`, as the transformprocessor does: the
//! most specific context any path names, raised to one that supports every function.

use crate::ottl::ast::{ArgValue, BoolExpr, Invocation, Key, Statement, Value};
use crate::ottl::ContextKind;

#[derive(Default)]
pub struct PathUse {
    pub most_specific: Option<ContextKind>,
    pub needs_span: bool,
}

impl PathUse {
    pub fn statement(&mut self, statement: &Statement) {
        self.invocation(&statement.editor);
        if let Some(c) = &statement.condition {
            self.condition(c);
        }
    }

    pub fn condition(&mut self, condition: &BoolExpr) {
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
        if call.name == "IsRootSpan" {
            self.needs_span = true;
        }
        for arg in &call.args {
            if let ArgValue::Value(v) = &arg.value {
                self.value(v);
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
                let first = &path.segments[0];
                if path.segments.len() > 1 && first.keys.is_empty() {
                    if let Some(ctx) = ContextKind::parse(&first.name) {
                        self.most_specific = Some(self.most_specific.map_or(ctx, |c| c.max(ctx)));
                    }
                }
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

    pub fn inferred(&self) -> Option<ContextKind> {
        let ctx = self.most_specific?;
        Some(if self.needs_span {
            ctx.max(ContextKind::Span)
        } else {
            ctx
        })
    }
}
