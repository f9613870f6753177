//! Runs of statements whose conditions all start with the same test (`where
//! attributes["kind"] == "TOOL" and …`, the way a template handles one kind of item in a
//! few statements): the test is evaluated once at the head of the run, and when it is
//! false the whole run is skipped. Exactly the sequential result: a statement whose
//! condition starts with a false test does nothing (`and` stops at the first false
//! without evaluating the rest), so it cannot make the test true for the next one. When
//! the test is true or fails, every statement runs as written.

use super::compile::CompiledStatement;
use super::context::Target;
use super::eval::{CompiledPath, Cond, Expr};

/// The first test of a condition: the condition itself, or the first item of an `and`.
fn leading(condition: &Cond) -> &Cond {
    match condition {
        Cond::And(items) => items.first().unwrap_or(condition),
        other => other,
    }
}

/// A test that is worth sharing and recognised when repeated: a literal-keyed path
/// compared with a literal, or tested for nil.
fn same_test(a: &Cond, b: &Cond) -> bool {
    match (a, b) {
        (
            Cond::Compare { op, lhs, rhs },
            Cond::Compare {
                op: op2,
                lhs: lhs2,
                rhs: rhs2,
            },
        ) => op == op2 && same_operand(lhs, lhs2) && same_operand(rhs, rhs2),
        (
            Cond::IsNil { expr, negate },
            Cond::IsNil {
                expr: expr2,
                negate: negate2,
            },
        ) => negate == negate2 && matches!((expr, expr2), (Expr::Path(p), Expr::Path(q)) if same_path(p, q)),
        _ => false,
    }
}

fn same_operand(a: &Expr, b: &Expr) -> bool {
    match (a, b) {
        (Expr::Literal(x), Expr::Literal(y)) => x == y,
        (Expr::Path(p), Expr::Path(q)) => same_path(p, q),
        _ => false,
    }
}

fn same_path(p: &CompiledPath, q: &CompiledPath) -> bool {
    p.field == q.field && p.static_keys.is_some() && p.static_keys == q.static_keys
}

fn shareable(test: &Cond) -> bool {
    same_test(test, test)
}

/// Marks each run of two or more statements sharing a leading test: its head learns how
/// many statements follow it in the run.
pub fn mark_shared_guards(statements: &mut [CompiledStatement]) {
    let mut head = 0;
    while head < statements.len() {
        let mut end = head + 1;
        if let Some(test) = statements[head]
            .condition
            .as_ref()
            .map(leading)
            .filter(|t| shareable(t))
        {
            while statements
                .get(end)
                .and_then(|s| s.condition.as_ref())
                .is_some_and(|c| same_test(test, leading(c)))
            {
                end += 1;
            }
        }
        statements[head].guard_run = end - head - 1;
        head = end;
    }
}

/// How many statements from `statement` on certainly do nothing for this item: its run
/// when it heads one and the shared test is false (without error), else none.
pub fn skippable(statement: &CompiledStatement, target: &Target<'_>) -> usize {
    if statement.guard_run == 0 {
        return 0;
    }
    match statement.condition.as_ref().map(|c| leading(c).eval(target)) {
        Some(Ok(false)) => statement.guard_run + 1,
        _ => 0,
    }
}
