#![no_main]
//! The XML converters on hostile input: the first line is an XPath (compiled when the
//! template loads, or refused), the rest the XML document a span carries. Parsing, every
//! path step and predicate, and writing the document back must never panic.

use intake::otlp::{any_value, AnyValue, ExportTraceServiceRequest, KeyValue, ResourceSpans, ScopeSpans, Span};
use intake::ottl::ast::quote;
use intake::ottl::Registry;
use intake::template::CompiledTemplate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (path, document) = text.split_once('\n').unwrap_or((text, "<a/>"));
    let path = quote(path);
    let statements = [
        format!("set(attributes[\"get\"], GetXML(attributes[\"x\"], {path}))"),
        format!("set(attributes[\"remove\"], RemoveXML(attributes[\"x\"], {path}))"),
        format!("set(attributes[\"insert\"], InsertXML(attributes[\"x\"], {path}, attributes[\"x\"]))"),
        format!("set(attributes[\"attrs\"], ConvertAttributesToElementsXML(attributes[\"x\"], {path}))"),
        format!("set(attributes[\"text\"], ConvertTextToElementsXML(attributes[\"x\"], {path}))"),
        "set(attributes[\"parsed\"], ParseXML(attributes[\"x\"]))".to_owned(),
        "set(attributes[\"simple\"], ParseSimplifiedXML(attributes[\"x\"]))".to_owned(),
    ];
    let mut yaml = String::from("trace_statements:\n  - context: span\n    statements:\n");
    for s in &statements {
        yaml.push_str("      - ");
        yaml.push_str(&serde_yaml_quote(s));
        yaml.push('\n');
    }
    let Ok(template) = CompiledTemplate::compile(&yaml, "fuzz.yaml", &Registry::standard()) else {
        return;
    };
    let mut request = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: vec![Span {
                    attributes: vec![KeyValue {
                        key: "x".to_owned(),
                        value: Some(AnyValue {
                            value: Some(any_value::Value::StringValue(document.to_owned())),
                        }),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let _ = template.apply_traces(&mut request);
});

/// A YAML double-quoted scalar.
fn serde_yaml_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
