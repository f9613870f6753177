//! Receiver-owned attributes are out of a template's reach: a statement that statically
//! targets one is rejected at load, and a dynamic write that reaches one at run time is
//! undone (and counted) by re-stamping.

use super::provenance::{is_protected, Provenance};
use crate::otlp::{ExportRequest, ExportTraceServiceRequest, KeyValue};
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

/// Counts protected attributes a template changed, then restores the stamp.
pub fn restore(request: &mut ExportRequest, provenance: &Provenance) -> usize {
    match request {
        ExportRequest::Traces(request) => restore_traces(request, provenance),
    }
}

fn restore_traces(request: &mut ExportTraceServiceRequest, provenance: &Provenance) -> usize {
    let mut violations = 0;
    for rs in &mut request.resource_spans {
        let resource = rs.resource.get_or_insert_with(Default::default);
        let current: Vec<&KeyValue> = resource.attributes.iter().filter(|kv| is_protected(&kv.key)).collect();
        if !provenance.matches(&current) {
            violations += 1;
        }
        for ss in &rs.scope_spans {
            violations += ss
                .spans
                .iter()
                .filter(|s| s.attributes.iter().any(|kv| is_protected(&kv.key)))
                .count();
        }
    }
    if violations > 0 {
        provenance.stamp_traces(request);
    }
    violations
}
