//! Runs of `set(x, literal) where p == literal` on one subject `p` (the usual way a template
//! maps a source's names to the convention's) become one statement that reads `p` once and
//! compares it with each arm's literals in turn. Exactly the sequential result: the arms
//! still run in order, and after an arm runs `p` is read again for the arms after it (an
//! arm may have written it).

use super::ast::CompareOp;
use super::compile::CompiledStatement;
use super::context::Target;
use super::eval::{compare, key_eq, CompiledPath, Cond, Editor, EvalResult, Expr};
use super::value::Value;

/// One statement of the run: the literals its condition accepts, and its editor.
#[derive(Debug)]
struct Arm {
    accepts: Vec<Value<'static>>,
    editor: Box<dyn Editor>,
}

#[derive(Debug)]
pub struct LiteralSwitch {
    subject: CompiledPath,
    arms: Vec<Arm>,
}

impl Editor for LiteralSwitch {
    fn apply(&self, target: &mut Target<'_>) -> EvalResult<()> {
        let mut from = 0;
        loop {
            let hit = {
                // The subject is one literal key: read in place where it can be.
                let current = match self.subject.read_first_key(target) {
                    Some(value) => value,
                    None => self.subject.get(target)?,
                };
                let hit = self.arms[from..].iter().position(|arm| {
                    arm.accepts.iter().any(|literal| match (&current, literal) {
                        (Value::Str(current), Value::Str(literal)) => key_eq(current, literal),
                        (current, literal) => compare(current, literal, CompareOp::Eq),
                    })
                });
                current.discard();
                hit
            };
            let Some(hit) = hit else { return Ok(()) };
            self.arms[from + hit].editor.apply(target)?;
            from += hit + 1;
        }
    }
}

fn same_path(a: &CompiledPath, b: &CompiledPath) -> bool {
    a.field == b.field && a.static_keys == b.static_keys
}

fn literal(expr: &Expr) -> Option<&Value<'static>> {
    match expr {
        Expr::Literal(v) if !v.is_nil() => Some(v),
        _ => None,
    }
}

/// `p == literal` (either order), or an `or` of them on one `p`: the subject and literals.
fn arm_condition(cond: &Cond) -> Option<(&CompiledPath, Vec<Value<'static>>)> {
    match cond {
        Cond::Compare {
            op: CompareOp::Eq,
            lhs,
            rhs,
        } => {
            let (path, value) = match (lhs.as_path(), rhs.as_path()) {
                (Some(p), None) => (p, literal(rhs)?),
                (None, Some(p)) => (p, literal(lhs)?),
                _ => return None,
            };
            path.is_one_literal_key().then(|| (path, vec![value.clone()]))
        }
        Cond::Or(items) => {
            let mut subject: Option<&CompiledPath> = None;
            let mut accepts = Vec::new();
            for item in items {
                let (path, mut values) = arm_condition(item)?;
                if subject.is_some_and(|s| !same_path(s, path)) {
                    return None;
                }
                subject = Some(path);
                accepts.append(&mut values);
            }
            subject.map(|s| (s, accepts))
        }
        _ => None,
    }
}

/// Whether `statement` can be an arm on `subject`: its condition tests the subject against
/// literals and its editor sets a literal at one literal key, which cannot fail, so no
/// error needs attributing to one statement of the run.
fn arm_of(statement: &CompiledStatement) -> Option<&CompiledPath> {
    let (subject, _) = arm_condition(statement.condition.as_ref()?)?;
    let (written, _) = statement.editor.literal_set()?;
    written.is_one_literal_key().then_some(subject)
}

pub fn fuse_switches(statements: Vec<CompiledStatement>) -> Vec<CompiledStatement> {
    let mut out: Vec<CompiledStatement> = Vec::with_capacity(statements.len());
    let mut run: Vec<CompiledStatement> = Vec::new();
    for statement in statements {
        let joins = match (arm_of(&statement), run.first().and_then(arm_of)) {
            (Some(s), Some(first)) => same_path(s, first),
            _ => false,
        };
        if !joins {
            flush(&mut run, &mut out);
        }
        if joins || arm_of(&statement).is_some() {
            run.push(statement);
        } else {
            out.push(statement);
        }
    }
    flush(&mut run, &mut out);
    out
}

fn flush(run: &mut Vec<CompiledStatement>, out: &mut Vec<CompiledStatement>) {
    if run.len() < 2 {
        out.append(run);
        return;
    }
    let text = run.iter().map(|s| s.text.as_str()).collect::<Vec<_>>().join("; ");
    let mut subject = None;
    let mut arms = Vec::with_capacity(run.len());
    for statement in run.drain(..) {
        let Some(condition) = statement.condition else { continue };
        let Some((_, accepts)) = arm_condition(&condition) else {
            continue;
        };
        if subject.is_none() {
            subject = Some(take_path(condition));
        }
        arms.push(Arm {
            accepts,
            editor: statement.editor,
        });
    }
    let Some(Some(subject)) = subject else { return };
    out.push(CompiledStatement::fused(
        Box::new(LiteralSwitch { subject, arms }),
        text,
    ));
}

/// The subject path out of an arm's condition.
fn take_path(condition: Cond) -> Option<CompiledPath> {
    match condition {
        Cond::Compare { lhs, rhs, .. } => match (lhs, rhs) {
            (Expr::Path(p), _) | (_, Expr::Path(p)) => Some(p),
            _ => None,
        },
        Cond::Or(items) => items.into_iter().next().and_then(take_path),
        _ => None,
    }
}
