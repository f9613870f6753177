//! A group's statements see the same telemetry whether they run in one group (where the
//! item's attribute keys are summarized once and kept up to date by every write) or each in
//! a group of its own (no summary): random statement sequences over random attributes,
//! with every kind of write (single keys, computed keys, nested keys, renames, merges,
//! flattening, whole-map replacement, deletes and keeps), must come out identical.

use intake::otlp::{
    any_value, AnyValue, ExportTraceServiceRequest, KeyValue, KeyValueList, ResourceSpans, ScopeSpans, Span,
};
use intake::ottl::Registry;
use intake::template::CompiledTemplate;
use proptest::prelude::*;

const KEYS: &[&str] = &["k0", "k1", "k22", "kA1", "kA22", "gen_ai.x", "nested"];

fn key() -> impl Strategy<Value = &'static str> {
    prop::sample::select(KEYS)
}

fn statement() -> impl Strategy<Value = String> {
    (0usize..16, key(), key(), key()).prop_map(|(kind, a, b, c)| match kind {
        0 => format!(r#"set(attributes["{a}"], attributes["{b}"]) where attributes["{b}"] != nil"#),
        1 => format!(r#"set(attributes["{a}"], "v-{b}")"#),
        2 => format!(r#"delete_key(attributes, "{a}")"#),
        3 => r#"delete_matching_keys(attributes, "^kA")"#.to_owned(),
        4 => format!(r#"keep_keys(attributes, ["{a}", "{b}", "{c}"])"#),
        5 => format!(r#"merge_maps(attributes, {{"{a}": "merged"}}, "upsert")"#),
        6 => format!(r#"set(attributes["{a}"], "absent-{b}") where attributes["{b}"] == nil"#),
        7 => r#"flatten(attributes)"#.to_owned(),
        8 => format!(r#"set(attributes, {{"{a}": "whole"}})"#),
        9 => r#"replace_all_patterns(attributes, "key", "^k(\\d)", "kA$1")"#.to_owned(),
        10 => r#"limit(attributes, 3, [])"#.to_owned(),
        11 => format!(r#"set(attributes["{a}"]["sub"], "n") where attributes["{a}"] == nil"#),
        12 => format!(r#"set(attributes[attributes["{a}"]], "dyn") where IsString(attributes["{a}"])"#),
        13 => format!(r#"delete_key(attributes, attributes["{a}"]) where IsString(attributes["{a}"])"#),
        14 => format!(r#"set(attributes["{a}"], Concat([attributes["{b}"], "-"], "")) where attributes["{c}"] != nil"#),
        _ => format!(r#"delete_key(attributes, "{a}") where attributes["{b}"] != nil"#),
    })
}

fn attributes() -> impl Strategy<Value = Vec<(&'static str, u8)>> {
    prop::collection::vec((key(), 0u8..3), 0..8)
}

fn request(attrs: &[(&str, u8)]) -> ExportTraceServiceRequest {
    let value = |kind: u8, key: &str| match kind {
        0 => any_value::Value::StringValue(format!("s-{key}")),
        // A value naming another key, for the computed-key statements.
        1 => any_value::Value::StringValue("k1".to_owned()),
        _ => any_value::Value::KvlistValue(KeyValueList {
            values: vec![KeyValue {
                key: "in".into(),
                value: Some(AnyValue {
                    value: Some(any_value::Value::IntValue(1)),
                }),
                ..Default::default()
            }],
        }),
    };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: vec![Span {
                    name: "s".into(),
                    attributes: attrs
                        .iter()
                        .map(|(k, kind)| KeyValue {
                            key: (*k).to_owned(),
                            value: Some(AnyValue {
                                value: Some(value(*kind, k)),
                            }),
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn run(template: &str, attrs: &[(&str, u8)]) -> Vec<KeyValue> {
    let compiled = CompiledTemplate::compile(template, "t.yaml", &Registry::standard()).expect("compiles");
    let mut request = request(attrs);
    compiled.apply_traces(&mut request).expect("applies");
    request.resource_spans[0].scope_spans[0].spans[0].attributes.clone()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn one_group_or_one_group_per_statement_give_the_same_attributes(
        statements in prop::collection::vec(statement(), 4..14),
        attrs in attributes(),
    ) {
        let quoted: Vec<String> = statements.iter().map(|s| serde_json::to_string(s).unwrap()).collect();
        let together = format!(
            "error_mode: ignore\ntrace_statements:\n  - context: span\n    statements:\n{}",
            quoted.iter().map(|s| format!("      - {s}\n")).collect::<String>()
        );
        let apart = format!(
            "error_mode: ignore\ntrace_statements:\n{}",
            quoted
                .iter()
                .map(|s| format!("  - context: span\n    statements:\n      - {s}\n"))
                .collect::<String>()
        );
        prop_assert_eq!(run(&together, &attrs), run(&apart, &attrs), "statements: {:#?}", statements);
    }
}
