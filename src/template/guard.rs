//! Receiver-owned attributes are out of a template's reach: a statement that statically
//! targets one is rejected at load, and a dynamic write that reaches one at run time is
//! undone (and counted) by re-stamping.

use super::provenance::{holds_protected, is_protected, Provenance};
use crate::otlp::{for_each_point_attributes, ExportRequest, KeyValue, Resource};
use crate::ottl::ast::{ArgValue, Key, Statement, Value};

/// The protected key a statement writes or deletes, if it names one literally.
pub fn static_violation(statement: &Statement) -> Option<String> {
    let editor = &statement.editor;
    let mut args = editor.args.iter();
    if let Some(first) = args.next() {
        if let ArgValue::Value(Value::Path(path)) = &first.value {
            for segment in &path.segments {
                if segment.name == "attributes" {
                    if let Some(Key::String(k)) = segment.keys.first() {
                        if is_protected(k) {
                            return Some(k.clone());
                        }
                    }
                }
            }
        }
    }
    // delete_key(attributes, "langwatch.project.id") and the like.
    for arg in args {
        if let ArgValue::Value(Value::String(s)) = &arg.value {
            if matches!(editor.name.as_str(), "delete_key" | "keep_keys") && is_protected(s) {
                return Some(s.clone());
            }
        }
        if let ArgValue::Value(Value::List(items)) = &arg.value {
            // keep_keys that omits a protected key would delete it, but the stamp comes
            // back afterwards; only a literal naming one is an authoring mistake.
            let _ = items;
        }
    }
    None
}

/// Whether `statement` adds no attribute key but those it names literally: a `set` whose
/// path indexes every `attributes` it goes through by a literal key first (or none), or an
/// editor that only removes keys. A literal key is checked at load (`static_violation`);
/// anything else (`set(attributes, …)`, `set(attributes[Concat(…)], …)`, `merge_maps`, a
/// key-renaming `replace_all_patterns`, …) may add a key nobody checked.
pub fn adds_only_named_keys(statement: &Statement) -> bool {
    let editor = &statement.editor;
    match editor.name.as_str() {
        "delete_key" | "delete_matching_keys" | "keep_keys" | "keep_matching_keys" => true,
        "set" => {
            let target = match editor.args.iter().find(|a| a.name.as_deref() == Some("target")) {
                Some(named) => Some(named),
                None => editor.args.first().filter(|a| a.name.is_none()),
            };
            match target.map(|a| &a.value) {
                Some(ArgValue::Value(Value::Path(path))) => path.segments.iter().all(|segment| {
                    segment.name != "attributes" || matches!(segment.keys.first(), Some(Key::String(_)))
                }),
                _ => false,
            }
        }
        _ => false,
    }
}

/// Counts protected attributes a template changed, then restores the stamp. Items are
/// looked at only when `items_may_hold_protected` (the template may add a key it does not
/// name; `adds_only_named_keys`): stamping stripped them, and a named key is never one.
pub fn restore(request: &mut ExportRequest, provenance: &Provenance, items_may_hold_protected: bool) -> usize {
    let violations = count_violations(request, provenance, items_may_hold_protected);
    if violations > 0 {
        provenance.stamp(request);
    }
    violations
}

fn resource_changed(resource: &Option<Resource>, provenance: &Provenance) -> bool {
    let current: Vec<&KeyValue> = resource
        .iter()
        .flat_map(|r| r.attributes.iter())
        .filter(|kv| is_protected(&kv.key))
        .collect();
    !provenance.matches(&current)
}

/// Resources whose stamp differs, plus items that hold a receiver-owned key.
fn count_violations(request: &mut ExportRequest, provenance: &Provenance, items: bool) -> usize {
    let mut violations = 0;
    match request {
        ExportRequest::Traces(request) => {
            for rs in &request.resource_spans {
                violations += usize::from(resource_changed(&rs.resource, provenance));
                if items {
                    for ss in &rs.scope_spans {
                        violations += ss.spans.iter().filter(|s| holds_protected(&s.attributes)).count();
                    }
                }
            }
        }
        ExportRequest::Logs(request) => {
            for rl in &request.resource_logs {
                violations += usize::from(resource_changed(&rl.resource, provenance));
                if items {
                    for sl in &rl.scope_logs {
                        violations += sl.log_records.iter().filter(|r| holds_protected(&r.attributes)).count();
                    }
                }
            }
        }
        ExportRequest::Metrics(request) => {
            for rm in &mut request.resource_metrics {
                violations += usize::from(resource_changed(&rm.resource, provenance));
                if items {
                    for sm in &mut rm.scope_metrics {
                        for metric in &mut sm.metrics {
                            for_each_point_attributes(metric, |a| violations += usize::from(holds_protected(a)));
                        }
                    }
                }
            }
        }
    }
    violations
}
