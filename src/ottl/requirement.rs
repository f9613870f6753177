//! Which of the item's own attribute keys a statement needs before it can do anything:
//! derived from its condition at compile time, checked against the item's key summary
//! before the condition is evaluated, so a statement about keys the item does not have
//! costs one AND. Only conditions that are false *without error* when such a key is absent
//! count, so skipping one changes neither the output nor the failures reported.

use super::ast::CompareOp;
use super::context::{ContextKind, Field, Target};
use super::eval::{Cond, Expr, ResolvedKey};
use super::key_summary::KeySummary;

/// Attribute keys of one context, as key-summary bits: all must be possibly present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRequirement {
    context: ContextKind,
    mask: u128,
}

impl KeyRequirement {
    /// The requirement of a statement with this condition, if it has one.
    pub fn of(condition: &Cond) -> Option<KeyRequirement> {
        let keys = required(condition)?;
        let context = keys.first()?.0;
        let mask = keys
            .iter()
            .filter(|(c, _)| *c == context)
            .fold(0, |mask, (_, key)| mask | KeySummary::bit_of(key));
        Some(KeyRequirement { context, mask })
    }

    /// True when the item certainly lacks one of the keys.
    #[inline]
    pub fn ruled_out(&self, target: &Target<'_>) -> bool {
        target.rules_out(self.context, self.mask)
    }

    /// True when an item of context `own`, whose own keys are summarized in `summary`,
    /// certainly lacks one of the keys.
    #[inline]
    pub fn ruled_out_by(&self, own: ContextKind, summary: KeySummary) -> bool {
        self.context == own && summary.lacks_any(self.mask)
    }
}

type Keys<'c> = Vec<(ContextKind, &'c str)>;

/// Keys whose absence makes `cond` evaluate to false without error. None when there are
/// none.
fn required(cond: &Cond) -> Option<Keys<'_>> {
    match cond {
        Cond::IsNil { expr, negate: true } => attribute_key(expr).map(|k| vec![k]),
        Cond::Compare { op, lhs, rhs } if *op != CompareOp::Ne => {
            let non_nil_literal = |e: &Expr| matches!(e, Expr::Literal(v) if !v.is_nil());
            if non_nil_literal(rhs) {
                attribute_key(lhs).map(|k| vec![k])
            } else if non_nil_literal(lhs) {
                attribute_key(rhs).map(|k| vec![k])
            } else {
                None
            }
        }
        Cond::Converter(Expr::Call { converter, keys }) if keys.is_empty() => {
            converter.false_on_nil().and_then(attribute_key).map(|k| vec![k])
        }
        // Items run in order and stop at the first false: an item's keys count when every
        // item before it cannot fail.
        Cond::And(items) => {
            let mut keys = Vec::new();
            for item in items {
                if let Some(mut more) = required(item) {
                    keys.append(&mut more);
                }
                if !infallible(item) {
                    break;
                }
            }
            (!keys.is_empty()).then_some(keys)
        }
        // Every item must be false: the keys all of them need.
        Cond::Or(items) => {
            let (first, rest) = items.split_first()?;
            let mut keys = required(first)?;
            for item in rest {
                let theirs = required(item)?;
                keys.retain(|k| theirs.contains(k));
            }
            (!keys.is_empty()).then_some(keys)
        }
        _ => None,
    }
}

/// `attributes["k"]` (and deeper literal keys): reading it never fails, and it is nil when
/// `k` is absent.
fn attribute_key(expr: &Expr) -> Option<(ContextKind, &str)> {
    let path = expr.as_path()?;
    let Field::Attributes(context) = path.field else {
        return None;
    };
    match path.static_keys.as_deref()?.first()? {
        ResolvedKey::Str(key) => Some((context, key.as_ref())),
        ResolvedKey::Int(_) => None,
    }
}

/// Evaluating `cond` cannot fail: comparisons and nil tests of literals and one-key reads.
fn infallible(cond: &Cond) -> bool {
    let simple = |e: &Expr| match e {
        Expr::Literal(_) => true,
        Expr::Path(path) => path.is_one_literal_key(),
        _ => false,
    };
    match cond {
        Cond::IsNil { expr, .. } => simple(expr),
        Cond::Compare { lhs, rhs, .. } => simple(lhs) && simple(rhs),
        Cond::Const(_) => true,
        Cond::Not(inner) => infallible(inner),
        Cond::And(items) | Cond::Or(items) => items.iter().all(infallible),
        _ => false,
    }
}
