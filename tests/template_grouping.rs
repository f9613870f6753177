//! A group's statements see the same telemetry whether they run in one group (where the
//! item's attribute keys are summarized once and kept up to date by every write) or each in
//! a group of its own (no summary): random statement sequences over random attributes,
//! with every kind of write (single keys, computed keys, nested keys, renames, merges,
//! flattening, whole-map replacement, deletes and keeps), must come out identical, with the
//! same statement failures. One group also fuses runs of `set(x, "lit") where p == "lit"`
//! into one read of `p`, and skips statements whose condition needs a key the summary rules
//! out; the literal-switch and key-requirement statements below exercise both. Group
//! conditions on the resource and scope alone are decided once per scope: over several
//! resources and scopes, the spans and failures must be as when every span decides them.

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

/// Literals the switch statements test and write: values the attributes hold, so arms match.
const LITERALS: &[&str] = &["k1", "s-k0", "s-k1", "s-gen_ai.x", "v"];

fn statement() -> impl Strategy<Value = String> {
    statement_of((0usize..24).collect())
}

/// Mostly literal-switch arms on few subjects, so runs of them form often.
fn switch_statement() -> impl Strategy<Value = String> {
    statement_of(vec![16, 17, 18, 18, 19, 20, 21, 22, 23, 1, 2, 6, 8])
}

fn statement_of(kinds: Vec<usize>) -> impl Strategy<Value = String> {
    (
        prop::sample::select(kinds),
        key(),
        key(),
        key(),
        prop::sample::select(LITERALS),
        prop::sample::select(LITERALS),
    )
        .prop_map(|(kind, a, b, c, l, m)| match kind {
        16 | 17 => format!(r#"set(attributes["{a}"], "{l}") where attributes["{b}"] == "{m}""#),
        18 => format!(r#"set(attributes["{a}"], "{l}") where "{m}" == attributes["{b}"] or attributes["{b}"] == "{l}""#),
        19 => format!(r#"set(attributes["{a}"], "{l}") where IsString(attributes["{b}"]) and attributes["{c}"] != nil"#),
        22 => format!(r#"set(attributes["{a}"], ToUpperCase(attributes["{b}"])) where attributes["{b}"] != nil"#),
        23 => format!(r#"set(attributes["{a}"], Int(attributes["{b}"])) where attributes["{b}"] != nil"#),
        21 => format!(r#"set(attributes["{a}"], "{l}") where attributes["{b}"]["in"] > 0 and attributes["{c}"] != nil"#),
        20 => format!(r#"set(attributes["{a}"], Int(attributes["{b}"]["in"])) where attributes["{c}"] != nil and attributes["{b}"]["in"] > 0"#),
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

fn run(template: &str, attrs: &[(&str, u8)]) -> (Vec<KeyValue>, Vec<(String, String)>) {
    let compiled = CompiledTemplate::compile(template, "t.yaml", &Registry::standard()).expect("compiles");
    let mut request = request(attrs);
    let report = compiled.apply_traces(&mut request).expect("applies");
    let attributes = request.resource_spans[0].scope_spans[0].spans[0].attributes.clone();
    (attributes, report.failures)
}

/// The statements in groups of four (each summarizes its item's keys, or starts from the
/// summary the group before left), each group under `condition` when there is one.
fn chunked(statements: &[String], condition: Option<&str>) -> String {
    let mut out = "error_mode: ignore\ntrace_statements:\n".to_owned();
    for chunk in statements.chunks(4) {
        out.push_str("  - context: span\n");
        if let Some(condition) = condition {
            out.push_str(&format!(
                "    conditions:\n      - {}\n",
                serde_json::to_string(condition).unwrap()
            ));
        }
        out.push_str("    statements:\n");
        for statement in chunk {
            out.push_str(&format!("      - {}\n", serde_json::to_string(statement).unwrap()));
        }
    }
    out
}

/// The statements as one group, and as one group each.
fn together_and_apart(statements: &[String]) -> (String, String) {
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
    (together, apart)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn one_group_or_one_group_per_statement_give_the_same_attributes(
        statements in prop::collection::vec(statement(), 4..14),
        attrs in attributes(),
    ) {
        let (together, apart) = together_and_apart(&statements);
        prop_assert_eq!(run(&together, &attrs), run(&apart, &attrs), "statements: {:#?}", statements);
    }

    #[test]
    fn literal_switches_and_key_requirements_change_nothing(
        statements in prop::collection::vec(switch_statement(), 4..14),
        attrs in attributes(),
    ) {
        let (together, apart) = together_and_apart(&statements);
        prop_assert_eq!(run(&together, &attrs), run(&apart, &attrs), "statements: {:#?}", statements);
    }

    /// Groups hand their key summary to the next group on the same span, and a group
    /// condition needing a key the summary rules out is skipped unevaluated.
    #[test]
    fn summaries_carried_between_groups_and_ruled_out_conditions_change_nothing(
        statements in prop::collection::vec(statement(), 4..16),
        attrs in attributes(),
        guard in key(),
    ) {
        let (_, apart) = together_and_apart(&statements);
        prop_assert_eq!(run(&chunked(&statements, None), &attrs), run(&apart, &attrs), "statements: {:#?}", statements);
        let needing = format!(r#"attributes["{guard}"] != nil"#);
        let plain = format!(r#"not (attributes["{guard}"] == nil)"#);
        prop_assert_eq!(
            run(&chunked(&statements, Some(&needing)), &attrs),
            run(&chunked(&statements, Some(&plain)), &attrs),
            "statements: {:#?}", statements
        );
    }
}

/// Scope names and service names the scope-level conditions below test.
const SCOPE_NAMES: &[&str] = &["codex", "codex-tui", "gemini-cli", "ai", "7", ""];
const SERVICES: &[&str] = &["cline", "Cline-IDE", "svc"];

/// Group conditions that read only the resource and scope (evaluated once per scope), one
/// of which fails for scope names shorter than three characters.
const SCOPE_CONDITIONS: &[&str] = &[
    r#"IsMatch(instrumentation_scope.name, "^codex")"#,
    r#"instrumentation_scope.name == "ai""#,
    r#"IsMatch(resource.attributes["service.name"], "(?i)cline") or scope.name == "gemini-cli""#,
    r#"Substring(instrumentation_scope.name, 0, 3) == "cod""#,
    r#"not IsMatch(scope.name, "^(codex|ai)")"#,
];

/// Resources of scopes of spans: (service name, [(scope name, spans)]).
type Layout = Vec<(&'static str, Vec<(&'static str, usize)>)>;

fn layout() -> impl Strategy<Value = Layout> {
    prop::collection::vec(
        (
            prop::sample::select(SERVICES),
            prop::collection::vec((prop::sample::select(SCOPE_NAMES), 0usize..4), 1..4),
        ),
        1..3,
    )
}

fn scoped_request(layout: &Layout) -> ExportTraceServiceRequest {
    let text = |key: &str, value: &str| KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_owned())),
        }),
        ..Default::default()
    };
    ExportTraceServiceRequest {
        resource_spans: layout
            .iter()
            .map(|(service, scopes)| ResourceSpans {
                resource: Some(intake::otlp::Resource {
                    attributes: vec![text("service.name", service)],
                    ..Default::default()
                }),
                scope_spans: scopes
                    .iter()
                    .map(|(scope, spans)| ScopeSpans {
                        scope: Some(intake::otlp::InstrumentationScope {
                            name: (*scope).to_owned(),
                            ..Default::default()
                        }),
                        spans: (0..*spans)
                            .map(|i| Span {
                                name: format!("s{i}"),
                                attributes: vec![text(&format!("k{}", i % 3), &format!("v{i}"))],
                                ..Default::default()
                            })
                            .collect(),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            })
            .collect(),
    }
}

/// Each group's conditions, as written or each made to read the item too (which keeps its
/// meaning, as the item never holds `never.present`).
fn scoped_template(groups: &[(Vec<usize>, usize)], per_item: bool) -> String {
    // A first group of four statements summarizes every span's keys, so later groups
    // start from summaries carried by the span's place in the request.
    let mut out = "error_mode: ignore\ntrace_statements:\n  - context: span\n    statements:\n".to_owned();
    for _ in 0..4 {
        out.push_str("      - 'set(attributes[\"k9\"], \"x\") where attributes[\"never.present\"] != nil'\n");
    }
    for (conditions, statement) in groups {
        out.push_str("  - context: span\n    conditions:\n");
        for c in conditions {
            let condition = SCOPE_CONDITIONS[*c];
            if per_item {
                out.push_str(&format!(
                    "      - '({condition}) or attributes[\"never.present\"] != nil'\n"
                ));
            } else {
                out.push_str(&format!("      - '{condition}'\n"));
            }
        }
        let statement = match statement {
            0 => r#"set(attributes["matched"], Concat([attributes["k1"], name], "/")) where attributes["k1"] != nil"#,
            1 => r#"set(attributes["k0"], "changed") where attributes["k0"] != nil"#,
            _ => r#"delete_key(attributes, "k2")"#,
        };
        out.push_str(&format!("    statements:\n      - '{statement}'\n"));
    }
    out
}

fn run_scoped(template: &str, layout: &Layout) -> (Vec<Vec<KeyValue>>, Vec<(String, String)>) {
    let compiled = CompiledTemplate::compile(template, "t.yaml", &Registry::standard()).expect("compiles");
    let mut request = scoped_request(layout);
    let report = compiled.apply_traces(&mut request).expect("applies");
    let spans = request
        .resource_spans
        .iter()
        .flat_map(|rs| rs.scope_spans.iter())
        .flat_map(|ss| ss.spans.iter())
        .map(|s| s.attributes.clone())
        .collect();
    (spans, report.failures)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Group conditions on the resource and scope alone are evaluated once per scope and
    /// their verdict (or failure) reused for its other spans: the spans and the failures
    /// come out as when every span evaluates them, over several resources and scopes.
    #[test]
    fn scope_level_conditions_decided_once_per_scope_change_nothing(
        layout in layout(),
        groups in prop::collection::vec((prop::collection::vec(0usize..SCOPE_CONDITIONS.len(), 1..3), 0usize..3), 1..4),
    ) {
        prop_assert_eq!(
            run_scoped(&scoped_template(&groups, false), &layout),
            run_scoped(&scoped_template(&groups, true), &layout),
            "{}", scoped_template(&groups, false)
        );
    }
}
