//! Runs of `set(x, literal) where p == literal` on one subject `p` (the usual way a template
//! maps a source's names to the convention's) become one statement that reads `p` once and
//! compares it with each arm's literals in turn. Exactly the sequential result: the arms
//! still run in order, and after an arm runs `p` is read again for the arms after it (an
//! arm may have written it), unless no arm can write it: then the arms after a string hit
//! are tried against the literal that hit, the same text.

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
    /// Every arm writes another key of the subject's map: an arm leaves the subject as it was.
    subject_kept: bool,
}

impl LiteralSwitch {
    /// The first arm from `from` on accepting `current`, with the literal that accepted it.
    fn accepting(&self, from: usize, current: &Value<'_>) -> Option<(usize, &Value<'static>)> {
        self.arms[from..].iter().enumerate().find_map(|(i, arm)| {
            arm.accepts
                .iter()
                .find(|literal| match (current, literal) {
                    (Value::Str(current), Value::Str(literal)) => key_eq(current, literal),
                    (current, literal) => compare(current, literal, CompareOp::Eq),
                })
                .map(|literal| (from + i, literal))
        })
    }
}

impl Editor for LiteralSwitch {
    fn apply(&self, target: &mut Target<'_>) -> EvalResult<()> {
        let mut from = 0;
        // The literal a string subject equalled (byte for byte), when the arms keep the
        // subject: it stands for the subject from then on.
        let mut known: Option<&Value<'static>> = None;
        loop {
            let hit = match known {
                Some(literal) => self.accepting(from, literal),
                None => {
                    // The subject is one literal key: read in place where it can be.
                    let current = match self.subject.read_first_key(target) {
                        Some(value) => value,
                        None => self.subject.get(target)?,
                    };
                    let hit = self.accepting(from, &current);
                    if let (true, Value::Str(_), Some((_, literal @ Value::Str(_)))) =
                        (self.subject_kept, &current, hit)
                    {
                        known = Some(literal);
                    }
                    current.discard();
                    hit
                }
            };
            let Some((arm, _)) = hit else { return Ok(()) };
            self.arms[arm].editor.apply(target)?;
            from = arm + 1;
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
    let subject_kept = arms.iter().all(|arm| {
        arm.editor.literal_set().is_some_and(|(written, _)| {
            written.field == subject.field && written.is_one_literal_key() && written.static_keys != subject.static_keys
        })
    });
    out.push(CompiledStatement::fused(
        Box::new(LiteralSwitch {
            subject,
            arms,
            subject_kept,
        }),
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
