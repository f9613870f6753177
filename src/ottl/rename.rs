//! How templates rename an attribute: `set(attributes["new"], attributes["old"])` (bare, or
//! `where attributes["old"] != nil`, or `where IsString(attributes["old"])`) followed at once
//! by `delete_key(attributes, "old")`. Fused, the old entry's value is moved to the new key
//! instead of copied there and then dropped with the old entry. Exact: the move happens only
//! when the old key holds a value the set would write (not nil, a string under `IsString`),
//! which stored back is the value itself; otherwise the two statements run as written.
//! Removing the old entries first and then writing the new key leaves the attributes as the
//! set-then-delete order does: the new key is written in place if present, appended if not,
//! and the old key is a different one.

use super::compile::CompiledStatement;
use super::context::{Field, Target};
use super::eval::{key_eq, Editor, EvalResult};
use super::value::Value;

#[derive(Debug)]
struct Rename {
    /// The two statements as compiled: the move reads its paths from the set
    /// (`Editor::path_copy`), and everything but the move runs them as written.
    set: CompiledStatement,
    delete: CompiledStatement,
}

impl Rename {
    fn as_written(&self, target: &mut Target<'_>) -> EvalResult<()> {
        let set = self.set.execute(target);
        let delete = self.delete.execute(target);
        set.and(delete)
    }
}

impl Editor for Rename {
    fn apply(&self, target: &mut Target<'_>) -> EvalResult<()> {
        let Some((to, from, strings_only)) = self.set.editor.path_copy() else {
            return self.as_written(target);
        };
        let movable = match from.read_first_key(target) {
            Some(Value::Str(_)) => true,
            Some(value) => !value.is_nil() && !strings_only,
            None => false,
        };
        let (true, Some(old)) = (movable, from.first_key.as_deref()) else {
            return self.as_written(target);
        };
        let map = from.map_mut_shrinking(target)?;
        // The set reads the first entry of the key; the delete removes them all.
        let Some(first) = map.iter().position(|kv| key_eq(&kv.key, old)) else {
            return self.as_written(target);
        };
        let moved = map.remove(first).value;
        if map[first..].iter().any(|kv| key_eq(&kv.key, old)) {
            map.retain(|kv| !key_eq(&kv.key, old));
        }
        match moved {
            Some(value) => to.set_stored(target, value),
            None => Ok(()),
        }
    }
}

/// Whether `set` then `delete` is a rename: a copy of one literal attribute key to another
/// of the same attributes, then the deletion of the copied key.
fn is_rename(set: &CompiledStatement, delete: &CompiledStatement) -> bool {
    if set.condition.is_some() || delete.condition.is_some() {
        return false;
    }
    let (Some((to, from, _)), Some((deleted_map, deleted_key))) =
        (set.editor.path_copy(), delete.editor.literal_key_deletion())
    else {
        return false;
    };
    let (Some(new), Some(old)) = (to.first_key.as_deref(), from.first_key.as_deref()) else {
        return false;
    };
    matches!(to.field, Field::Attributes(_))
        && to.is_one_literal_key()
        && from.is_one_literal_key()
        && from.field == to.field
        && deleted_map.field == to.field
        && deleted_map.keys.is_empty()
        && deleted_key == old
        && new != old
}

/// Fuses every rename (a copying `set` followed at once by the `delete_key` of its source).
pub fn fuse_renames(statements: Vec<CompiledStatement>) -> Vec<CompiledStatement> {
    let mut out = Vec::with_capacity(statements.len());
    let mut statements = statements.into_iter().peekable();
    while let Some(set) = statements.next() {
        let Some(delete) = statements.next_if(|delete| is_rename(&set, delete)) else {
            out.push(set);
            continue;
        };
        let text = format!("{}; {}", set.text, delete.text);
        out.push(CompiledStatement::fused(Box::new(Rename { set, delete }), text));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::{any_value, AnyValue, ArrayValue, KeyValue, Resource, Span};
    use crate::ottl::{parse_statement, Compiler, ContextKind, Registry};

    fn compile(texts: &[&str]) -> Vec<CompiledStatement> {
        let registry = Registry::standard();
        let compiler = Compiler::new(Some(ContextKind::Span), ContextKind::Span, &registry);
        texts
            .iter()
            .map(|t| compiler.statement(&parse_statement(t).expect(t), t).expect(t))
            .collect()
    }

    fn kv(key: &str, value: Option<any_value::Value>) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: value.map(|v| AnyValue { value: Some(v) }),
            ..Default::default()
        }
    }

    fn run(statements: &[CompiledStatement], attributes: &[KeyValue]) -> (Vec<KeyValue>, usize) {
        let mut span = Span {
            attributes: attributes.to_vec(),
            ..Default::default()
        };
        let (mut resource, mut schema) = (Resource::default(), String::new());
        let mut target = Target::new(&mut resource, &mut schema);
        target.span = Some(&mut span);
        target.ensure_own_key_summary();
        let failures = statements.iter().filter(|s| s.execute(&mut target).is_err()).count();
        // The summary must still admit every key held.
        let keys: Vec<String> = target
            .span
            .as_ref()
            .map_or(Vec::new(), |s| s.attributes.iter().map(|kv| kv.key.clone()).collect());
        for key in keys {
            assert!(
                !target.rules_out(ContextKind::Span, crate::ottl::KeySummary::bit_of(&key)),
                "{key}"
            );
        }
        drop(target);
        (span.attributes, failures)
    }

    /// Every spelling of a rename on every arrangement of the old and new keys (absent, nil,
    /// empty, a string, an int, a list, twice; the new key before, after or absent) against
    /// the same statements run one by one.
    #[test]
    fn a_fused_rename_leaves_the_attributes_as_the_two_statements_do() {
        let values: Vec<Option<any_value::Value>> = vec![
            None,
            Some(any_value::Value::StringValue("v".into())),
            Some(any_value::Value::IntValue(7)),
            Some(any_value::Value::ArrayValue(ArrayValue {
                values: vec![AnyValue {
                    value: Some(any_value::Value::BoolValue(true)),
                }],
            })),
        ];
        let sets = [
            "set(attributes[\"new\"], attributes[\"old\"])",
            "set(attributes[\"new\"], attributes[\"old\"]) where attributes[\"old\"] != nil",
            "set(attributes[\"new\"], attributes[\"old\"]) where IsString(attributes[\"old\"])",
        ];
        let mut fused_any = 0;
        for set in sets {
            let texts = [
                set,
                "delete_key(attributes, \"old\")",
                "set(attributes[\"after\"], \"x\")",
            ];
            let fused = fuse_renames(compile(&texts));
            assert_eq!(fused.len(), 2, "{set}");
            let plain = compile(&texts);
            for old in [None, Some(0), Some(1), Some(2), Some(3)] {
                for twice in [false, true] {
                    for new_at in [None, Some(0), Some(2)] {
                        let mut attributes = vec![kv("a", Some(any_value::Value::IntValue(1)))];
                        if let Some(i) = old {
                            attributes.push(kv("old", values[i].clone()));
                        }
                        attributes.push(kv("b", Some(any_value::Value::IntValue(2))));
                        if twice && old.is_some() {
                            attributes.push(kv("old", Some(any_value::Value::StringValue("second".into()))));
                        }
                        if let Some(at) = new_at {
                            attributes.insert(at.min(attributes.len()), kv("new", Some(any_value::Value::IntValue(9))));
                        }
                        let expected = run(&plain, &attributes);
                        let got = run(&fused, &attributes);
                        assert_eq!(got, expected, "{set} on {attributes:?}");
                        fused_any += usize::from(got.0.iter().any(|kv| kv.key == "new"));
                    }
                }
            }
        }
        assert!(fused_any > 20);
    }

    #[test]
    fn only_a_copy_followed_at_once_by_the_delete_of_its_source_is_fused() {
        let fused = |texts: &[&str]| fuse_renames(compile(texts)).len();
        let delete = "delete_key(attributes, \"old\")";
        assert_eq!(fused(&["set(attributes[\"new\"], attributes[\"old\"])", delete]), 1);
        for set in [
            "set(attributes[\"old\"], attributes[\"old\"])",
            "set(attributes[\"new\"], attributes[\"other\"])",
            "set(attributes[\"new\"], attributes[\"old\"][\"k\"])",
            "set(attributes[\"new\"][\"k\"], attributes[\"old\"])",
            "set(cache[\"new\"], attributes[\"old\"])",
            "set(attributes[\"new\"], resource.attributes[\"old\"])",
            "set(attributes[\"new\"], ToLowerCase(attributes[\"old\"]))",
            "set(attributes[\"new\"], attributes[\"old\"]) where name == \"x\"",
        ] {
            assert_eq!(fused(&[set, delete]), 2, "{set}");
        }
        assert_eq!(
            fused(&[
                "set(attributes[\"new\"], attributes[\"old\"])",
                "delete_key(attributes, \"old\") where name == \"x\""
            ]),
            2
        );
        assert_eq!(
            fused(&[
                "set(attributes[\"new\"], attributes[\"old\"])",
                "set(name, \"n\")",
                delete
            ]),
            3
        );
    }
}
