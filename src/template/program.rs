//! `CompiledTemplate`: a template file compiled once, applied to many requests.

use std::sync::Arc;

use thiserror::Error;

use super::file::{version_text, StatementEntry, TemplateFile};
use super::group::{StatementFailure, StatementGroup};
use super::group_compiler::{compile_group, group_sources, SourceText};
use super::runner::{run_log_group, run_metric_group, run_trace_group};
use super::summaries::CarriedSummaries;
use crate::otlp::{ExportRequest, ExportTraceServiceRequest, Signal};
use crate::ottl::Registry;

#[derive(Debug, Error)]
pub enum TemplateError {
    #[error("{origin}: invalid template YAML: {message}")]
    Yaml { origin: String, message: String },
    /// A statement that does not parse or compile, rendered with file:line:col and a caret.
    #[error("{0}")]
    Statement(String),
}

/// A statement error under `propagate`: the whole request fails.
#[derive(Debug, Error)]
pub enum ApplyError {
    #[error("statement `{statement}` failed: {error}")]
    Statement { statement: String, error: String },
    #[error("input is not an OTLP/JSON export request: {0}")]
    Input(String),
}

/// What happened while applying, for logs and metrics.
#[derive(Debug, Default)]
pub struct ApplyReport {
    /// Statement errors under `ignore` (at most 100 kept).
    pub failures: Vec<(String, String)>,
}

#[derive(Debug, Default)]
pub struct CompiledTemplate {
    pub slug: Option<String>,
    pub version: String,
    pub display_name: Option<String>,
    pub source_type: Option<String>,
    pub description: Option<String>,
    /// Slugs of templates to run first (resolved by the catalog).
    pub include: Vec<String>,
    /// Slugs of templates to run after this one's own groups (resolved by the catalog).
    pub then: Vec<String>,
    /// `trace_statements`.
    pub groups: Vec<Arc<StatementGroup>>,
    pub log_groups: Vec<Arc<StatementGroup>>,
    pub metric_groups: Vec<Arc<StatementGroup>>,
}

type Groups = Vec<Arc<StatementGroup>>;

impl CompiledTemplate {
    /// Parses and compiles a template file; `origin` names it in errors.
    pub fn compile(source: &str, origin: &str, registry: &Registry) -> Result<CompiledTemplate, TemplateError> {
        let file: TemplateFile = serde_yaml_ng::from_str(source).map_err(|e| TemplateError::Yaml {
            origin: origin.to_owned(),
            message: e.to_string(),
        })?;
        let default_mode = file.error_mode.unwrap_or_default();
        let text = SourceText { text: source, origin };
        let mut errors: Vec<String> = Vec::new();
        let mut compile = |entries: Vec<StatementEntry>, signal: Signal, key: &str| -> Groups {
            // Each list is searched from its own key, so positions are right whatever the
            // order of the lists in the file.
            let mut cursor = source.find(key).unwrap_or(0);
            let mut groups = Vec::new();
            for group in group_sources(entries) {
                match compile_group(group, signal, default_mode, &text, &mut cursor, registry) {
                    Ok(g) => groups.push(Arc::new(g)),
                    Err(mut e) => errors.append(&mut e),
                }
            }
            groups
        };
        let groups = compile(file.trace_statements, Signal::Traces, "trace_statements");
        let log_groups = compile(file.log_statements, Signal::Logs, "log_statements");
        let metric_groups = compile(file.metric_statements, Signal::Metrics, "metric_statements");
        if !errors.is_empty() {
            return Err(TemplateError::Statement(errors.join("\n")));
        }
        Ok(CompiledTemplate {
            version: file.version.map_or_else(|| "1".to_owned(), |v| version_text(&v)),
            slug: file.slug,
            display_name: file.display_name,
            source_type: file.source_type,
            description: file.description,
            include: file.include,
            then: file.then,
            groups,
            log_groups,
            metric_groups,
        })
    }

    /// Whether the catalog must compose this template with others (`include`, `then`).
    pub fn composes(&self) -> bool {
        !self.include.is_empty() || !self.then.is_empty()
    }

    /// Statement groups of every signal.
    pub fn group_count(&self) -> usize {
        self.groups.len() + self.log_groups.len() + self.metric_groups.len()
    }

    pub fn statement_count(&self) -> usize {
        [&self.groups, &self.log_groups, &self.metric_groups]
            .into_iter()
            .flatten()
            .map(|g| g.source_statements)
            .sum()
    }

    /// Applies the request's signal's groups in order.
    pub fn apply(&self, request: &mut ExportRequest) -> Result<ApplyReport, ApplyError> {
        let mut failures: Vec<StatementFailure> = Vec::new();
        let mut summaries = CarriedSummaries::default();
        let outcome = match request {
            ExportRequest::Traces(request) => self
                .groups
                .iter()
                .try_for_each(|g| run_trace_group(g, request, &mut summaries, &mut failures)),
            ExportRequest::Logs(request) => self
                .log_groups
                .iter()
                .try_for_each(|g| run_log_group(g, request, &mut summaries, &mut failures)),
            ExportRequest::Metrics(request) => self
                .metric_groups
                .iter()
                .try_for_each(|g| run_metric_group(g, request, &mut failures)),
        };
        outcome.map_err(|f| ApplyError::Statement {
            statement: f.statement,
            error: f.error.0,
        })?;
        Ok(ApplyReport {
            failures: failures.into_iter().map(|f| (f.statement, f.error.0)).collect(),
        })
    }

    /// Whether every group this template runs on `signal` adds only keys its statements
    /// name (`StatementGroup::adds_only_named_keys`).
    pub fn adds_only_named_keys(&self, signal: Signal) -> bool {
        let groups = match signal {
            Signal::Traces => &self.groups,
            Signal::Logs => &self.log_groups,
            Signal::Metrics => &self.metric_groups,
        };
        groups.iter().all(|g| g.adds_only_named_keys)
    }

    pub fn apply_traces(&self, request: &mut ExportTraceServiceRequest) -> Result<ApplyReport, ApplyError> {
        let mut wrapped = ExportRequest::Traces(std::mem::take(request));
        let report = self.apply(&mut wrapped);
        if let ExportRequest::Traces(done) = wrapped {
            *request = done;
        }
        report
    }

    /// OTLP/JSON in, OTLP/JSON out, any signal (told apart by the top-level key): what
    /// `intake template apply` does.
    pub fn apply_otlp_json(&self, input: &[u8]) -> Result<(Vec<u8>, ApplyReport), ApplyError> {
        let mut request = ExportRequest::decode_json_any(input).map_err(|e| ApplyError::Input(e.to_string()))?;
        let report = self.apply(&mut request)?;
        Ok((request.encode_json(), report))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::{any_value, AnyValue, KeyValue, ResourceSpans, ScopeSpans, Span};

    use crate::otlp::string_kv as kv;

    fn attribute<'a>(span: &'a Span, key: &str) -> Option<&'a str> {
        span.attributes
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| match &kv.value {
                Some(AnyValue {
                    value: Some(any_value::Value::StringValue(s)),
                }) => Some(s.as_str()),
                _ => None,
            })
    }

    /// The views of one prefix are computed once per span, and a write under the prefix
    /// (not one elsewhere) makes the next call see the new attributes.
    #[test]
    fn message_views_follow_writes_under_their_prefix() {
        let template = CompiledTemplate::compile(
            r#"
trace_statements:
  - set(span.attributes["system"], GenAIMessages(span.attributes, "m", "openinference", "system"))
  - set(span.attributes["unrelated"], "x")
  - set(span.attributes["before"], GenAIMessages(span.attributes, "m", "openinference"))
  - set(span.attributes["m.1.message.content"], "changed")
  - set(span.attributes["after"], GenAIMessages(span.attributes, "m", "openinference"))
  - delete_matching_keys(span.attributes, "^m\\.1\\.")
  - set(span.attributes["gone"], GenAIMessages(span.attributes, "m", "openinference"))
"#,
            "t.yaml",
            &Registry::standard(),
        )
        .unwrap();
        let mut request = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: vec![Span {
                        attributes: vec![
                            kv("m.0.message.role", "system"),
                            kv("m.0.message.content", "be brief"),
                            kv("m.1.message.role", "user"),
                            kv("m.1.message.content", "hi"),
                        ],
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        template.apply_traces(&mut request).unwrap();
        let span = &request.resource_spans[0].scope_spans[0].spans[0];
        assert_eq!(
            attribute(span, "system"),
            Some(r#"[{"type":"text","content":"be brief"}]"#)
        );
        assert_eq!(
            attribute(span, "before"),
            Some(r#"[{"role":"user","parts":[{"type":"text","content":"hi"}]}]"#)
        );
        assert_eq!(
            attribute(span, "after"),
            Some(r#"[{"role":"user","parts":[{"type":"text","content":"changed"}]}]"#)
        );
        assert_eq!(
            attribute(span, "gone"),
            None,
            "the user message was deleted: only system remains"
        );
    }

    /// A view the group reads once is moved out of the memo, one read twice is copied: on
    /// every span, each read sees the same text.
    #[test]
    fn message_views_read_once_or_twice_read_the_same() {
        let template = CompiledTemplate::compile(
            r#"
trace_statements:
  - set(span.attributes["system"], GenAIMessages(span.attributes, "m", "openinference", "system"))
  - set(span.attributes["first"], GenAIMessages(span.attributes, "m", "openinference")) where IsString(GenAIMessages(span.attributes, "m", "openinference"))
  - set(span.attributes["second"], GenAIMessages(span.attributes, "m", "openinference"))
"#,
            "t.yaml",
            &Registry::standard(),
        )
        .unwrap();
        let span = |n: usize| Span {
            attributes: vec![
                kv("m.0.message.role", "system"),
                kv("m.0.message.content", "be brief"),
                kv("m.1.message.role", "user"),
                kv("m.1.message.content", &format!("hi {n}")),
            ],
            ..Default::default()
        };
        let mut request = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: (0..3).map(span).collect(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        template.apply_traces(&mut request).unwrap();
        for (n, span) in request.resource_spans[0].scope_spans[0].spans.iter().enumerate() {
            let messages = format!(r#"[{{"role":"user","parts":[{{"type":"text","content":"hi {n}"}}]}}]"#);
            assert_eq!(
                attribute(span, "system"),
                Some(r#"[{"type":"text","content":"be brief"}]"#)
            );
            assert_eq!(attribute(span, "first"), Some(messages.as_str()), "span {n}");
            assert_eq!(attribute(span, "second"), Some(messages.as_str()), "span {n}");
        }
    }

    const WRITES_THEN_READS: &str = r#"
trace_statements:
  - set(span.attributes["x"], span.attributes["missing"])
  - set(span.attributes["new"], "1")
  - set(span.attributes["seen_new"], span.attributes["new"])
  - set(span.attributes[Concat(["dy", "n"], "")], "2")
  - set(span.attributes["seen_dyn"], span.attributes["dyn"])
  - merge_maps(span.attributes, ParseJSON("{\"merged\":\"3\"}"), "upsert")
  - set(span.attributes["seen_merged"], span.attributes["merged"])
  - delete_key(span.attributes, "new")
  - set(span.attributes["seen_deleted"], "yes") where span.attributes["new"] != nil
  - set(span.attributes, ParseJSON("{\"replaced\":\"4\"}"))
  - set(span.attributes["seen_replaced"], span.attributes["replaced"])
"#;

    fn one_span(attributes: Vec<KeyValue>) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: vec![Span {
                        attributes,
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
    }

    /// A key a statement adds, however it is added, is there for the statements after it.
    #[test]
    fn keys_added_by_any_editor_are_read_back() {
        let registry = Registry::standard();
        let whole = CompiledTemplate::compile(WRITES_THEN_READS, "t.yaml", &registry).unwrap();
        let mut request = one_span(vec![kv("present", "p")]);
        whole.apply_traces(&mut request).unwrap();
        let span = &request.resource_spans[0].scope_spans[0].spans[0];
        assert_eq!(attribute(span, "seen_replaced"), Some("4"));
        assert_eq!(span.attributes.len(), 2, "{:?}", span.attributes);

        // Stopped before the whole map is replaced: each read saw the key written before it.
        let cut = WRITES_THEN_READS.find("  - set(span.attributes, ParseJSON").unwrap();
        let partial = CompiledTemplate::compile(&WRITES_THEN_READS[..cut], "t.yaml", &registry).unwrap();
        let mut request = one_span(vec![kv("present", "p")]);
        partial.apply_traces(&mut request).unwrap();
        let span = &request.resource_spans[0].scope_spans[0].spans[0];
        assert_eq!(attribute(span, "seen_new"), Some("1"));
        assert_eq!(attribute(span, "seen_dyn"), Some("2"));
        assert_eq!(attribute(span, "seen_merged"), Some("3"));
        assert_eq!(attribute(span, "seen_deleted"), None);
    }

    /// Runs of literal `delete_key`s on one map run as one statement, and remove what the
    /// statements one by one would.
    #[test]
    fn runs_of_deletions_are_fused_without_changing_the_result() {
        let template = CompiledTemplate::compile(
            r#"
trace_statements:
  - delete_key(span.attributes, "a")
  - delete_key(span.attributes, "b")
  - set(span.attributes["kept"], span.attributes["c"])
  - delete_key(span.attributes, "c")
  - delete_key(span.attributes, "d") where span.attributes["x"] == "never"
  - delete_key(span.attributes, "e")
  - delete_key(span.cache, "e")
  - delete_key(span.attributes, "f")
"#,
            "t.yaml",
            &Registry::standard(),
        )
        .unwrap();
        let group = &template.groups[0];
        assert_eq!(template.statement_count(), 8);
        assert_eq!(
            group.statements.len(),
            6,
            "a and b fuse, and the rename of c (see ottl::rename)"
        );
        let mut request = one_span(["a", "b", "c", "d", "e", "f", "g"].iter().map(|k| kv(k, k)).collect());
        template.apply_traces(&mut request).unwrap();
        let keys: Vec<&str> = request.resource_spans[0].scope_spans[0].spans[0]
            .attributes
            .iter()
            .map(|kv| kv.key.as_str())
            .collect();
        assert_eq!(keys, ["d", "g", "kept"]);
    }

    /// Statements whose conditions start with one test share it: evaluated once at the head
    /// of their run, the run skipped when it is false. The result is the same as running
    /// every statement, whatever the input, including statements that change the tested key
    /// inside the run and a test on a value of another type.
    #[test]
    fn runs_sharing_a_leading_test_skip_only_what_would_do_nothing() {
        let text = r#"
trace_statements:
  - set(span.attributes["seen"], "tool") where span.attributes["kind"] == "TOOL" and span.attributes["x"] != nil
  - set(span.attributes["kind"], "LLM") where span.attributes["kind"] == "TOOL" and span.attributes["flip"] == "yes"
  - set(span.attributes["after_flip"], "yes") where span.attributes["kind"] == "TOOL"
  - delete_key(span.attributes, "x") where span.attributes["kind"] == "TOOL" and span.attributes["seen"] != nil
  - set(span.attributes["kind"], "TOOL") where span.attributes["kind"] == "LLM" and span.attributes["back"] == "yes"
  - set(span.attributes["llm"], "yes") where span.attributes["kind"] == "LLM"
  - set(span.attributes["gone"], "yes") where span.attributes["kind"] == nil
"#;
        let shared = CompiledTemplate::compile(text, "t.yaml", &Registry::standard()).unwrap();
        let runs: Vec<usize> = shared.groups[0].statements.iter().map(|s| s.guard_run).collect();
        assert_eq!(runs, [3, 0, 0, 0, 1, 0, 0]);
        let mut plain = CompiledTemplate::compile(text, "t.yaml", &Registry::standard()).unwrap();
        for statement in &mut Arc::get_mut(&mut plain.groups[0]).unwrap().statements {
            statement.guard_run = 0;
        }
        let kinds: [Option<any_value::Value>; 4] = [
            Some(any_value::Value::StringValue("TOOL".into())),
            Some(any_value::Value::StringValue("LLM".into())),
            Some(any_value::Value::IntValue(5)),
            None,
        ];
        for kind in &kinds {
            for flags in 0..8u8 {
                let mut attributes: Vec<KeyValue> = [("x", 1u8), ("flip", 2), ("back", 4)]
                    .iter()
                    .filter(|(_, bit)| flags & bit != 0)
                    .map(|(k, _)| kv(k, "yes"))
                    .collect();
                if let Some(kind) = kind {
                    attributes.push(KeyValue {
                        key: "kind".into(),
                        value: Some(AnyValue {
                            value: Some(kind.clone()),
                        }),
                        ..Default::default()
                    });
                }
                let (mut a, mut b) = (one_span(attributes.clone()), one_span(attributes));
                let report_a = shared.apply_traces(&mut a).unwrap();
                let report_b = plain.apply_traces(&mut b).unwrap();
                assert_eq!(a, b, "kind {kind:?}, flags {flags:b}");
                assert_eq!(report_a.failures.len(), report_b.failures.len());
            }
        }
        // The head decides its whole run: skipped for another kind, run for its own.
        for (kind, skipped) in [("LLM", 4), ("TOOL", 0)] {
            let mut span = Span {
                attributes: vec![kv("kind", kind)],
                ..Default::default()
            };
            let (mut resource, mut schema) = (Default::default(), String::new());
            let mut target = crate::ottl::Target::new(&mut resource, &mut schema);
            target.span = Some(&mut span);
            let head = &shared.groups[0].statements[0];
            assert_eq!(crate::ottl::shared_guard::skippable(head, &target), skipped, "{kind}");
        }
    }

    /// A group whose statements touch only their own item runs them statement by statement
    /// over blocks of spans; every span ends exactly as the span-by-span run leaves it, the
    /// same failures are counted, whatever mix of spans (some the conditions admit, some
    /// not, some failing) and however many (several blocks, a partial last one).
    #[test]
    fn statement_by_statement_runs_leave_every_span_as_span_by_span_runs() {
        // Conditions on the span alone, and conditions that read the resource too (decided
        // on a target that sees the real one).
        for condition in [
            r#"attributes["kind"] != nil"#,
            r#"resource.attributes["service.name"] == "svc" and attributes["kind"] != nil"#,
        ] {
            statement_by_statement_runs_match(condition);
        }
    }

    fn statement_by_statement_runs_match(condition: &str) {
        let text = format!(
            r#"
trace_statements:
  - context: span
    conditions:
      - '{condition}'
    statements:
      - set(cache["n"], Int(attributes["n"])) where attributes["n"] != nil
      - set(attributes["double"], cache["n"] * 2) where cache["n"] != nil
      - set(name, 5) where attributes["kind"] == "broken"
      - set(attributes["out"], GenAIMessages(attributes, "m", "openinference")) where GenAIMessages(attributes, "m", "openinference") != nil
      - delete_matching_keys(attributes, "^m\\.")
      - set(attributes["tool"], "yes") where attributes["kind"] == "TOOL" and attributes["n"] != nil
      - delete_key(attributes, "n") where attributes["kind"] == "TOOL" and attributes["tool"] != nil
      - set(attributes["kind"], "done")
"#
        );
        let interleaved = CompiledTemplate::compile(&text, "t.yaml", &Registry::standard()).unwrap();
        assert!(interleaved.groups[0].interleaves);
        let mut sequential = CompiledTemplate::compile(&text, "t.yaml", &Registry::standard()).unwrap();
        Arc::get_mut(&mut sequential.groups[0]).unwrap().interleaves = false;
        for count in [1, 7, 8, 9, 21] {
            let spans: Vec<Span> = (0..count)
                .map(|i| {
                    let mut attributes = vec![kv("n", &i.to_string())];
                    // Kinds in an order where a span the shared guard skips comes right
                    // before one it runs.
                    match (i * 3) % 5 {
                        0 => attributes.push(kv("kind", "TOOL")),
                        1 => attributes.push(kv("kind", "broken")),
                        2 => attributes.extend([
                            kv("kind", "LLM"),
                            kv("m.0.message.role", "user"),
                            kv("m.0.message.content", &format!("hi {i}")),
                        ]),
                        3 => {}
                        _ => attributes.push(kv("kind", "OTHER")),
                    }
                    Span {
                        attributes,
                        ..Default::default()
                    }
                })
                .collect();
            let mut request = one_span(Vec::new());
            request.resource_spans[0].scope_spans[0].spans = spans;
            request.resource_spans[0].resource = Some(crate::otlp::Resource {
                attributes: vec![kv("service.name", "svc")],
                ..Default::default()
            });
            let (mut a, mut b) = (request.clone(), request);
            let report_a = interleaved.apply_traces(&mut a).unwrap();
            let report_b = sequential.apply_traces(&mut b).unwrap();
            assert_eq!(a, b, "{count} spans");
            assert_eq!(report_a.failures.len(), report_b.failures.len(), "{count} spans");
            let broken = (0..count).filter(|i| (i * 3) % 5 == 1).count();
            assert_eq!(report_a.failures.len(), broken, "the broken spans fail");
            let done = a.resource_spans[0].scope_spans[0]
                .spans
                .iter()
                .filter(|span| attribute(span, "kind") == Some("done"))
                .count();
            assert_eq!(
                done,
                (0..count).filter(|i| (i * 3) % 5 != 3).count(),
                "every span with a kind ran"
            );
        }
    }

    /// Every catalog template on every golden input, with each input's scope holding the spans
    /// and log records of all the inputs (so blocks mix sources, kinds and admitted items):
    /// the statement-by-statement run leaves every item as the item-by-item run does.
    #[test]
    fn catalog_templates_run_statement_by_statement_as_item_by_item() {
        use crate::otlp::LogRecord;
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut inputs = Vec::new();
        for dir in std::fs::read_dir(root.join("tests")).unwrap() {
            for file in std::fs::read_dir(dir.unwrap().path()).unwrap() {
                let path = file.unwrap().path();
                if path.to_string_lossy().ends_with(".input.json") {
                    inputs.push(ExportRequest::decode_json_any(&std::fs::read(&path).unwrap()).unwrap());
                }
            }
        }
        inputs.sort_by_key(|r| format!("{r:?}"));
        let spans: Vec<Span> = inputs
            .iter()
            .filter_map(|r| match r {
                ExportRequest::Traces(t) => Some(t),
                _ => None,
            })
            .flat_map(|t| {
                t.resource_spans
                    .iter()
                    .flat_map(|rs| &rs.scope_spans)
                    .flat_map(|ss| ss.spans.clone())
            })
            .collect();
        let records: Vec<LogRecord> = inputs
            .iter()
            .filter_map(|r| match r {
                ExportRequest::Logs(l) => Some(l),
                _ => None,
            })
            .flat_map(|l| {
                l.resource_logs
                    .iter()
                    .flat_map(|rl| &rl.scope_logs)
                    .flat_map(|sl| sl.log_records.clone())
            })
            .collect();
        assert!(
            spans.len() > 50 && records.len() > 20,
            "{} spans, {} records",
            spans.len(),
            records.len()
        );
        let mixed: Vec<ExportRequest> = inputs
            .iter()
            .map(|input| match input.clone() {
                ExportRequest::Traces(mut t) => {
                    for ss in t.resource_spans.iter_mut().flat_map(|rs| &mut rs.scope_spans) {
                        let own = std::mem::take(&mut ss.spans);
                        ss.spans = own.into_iter().chain(spans.iter().cloned()).collect();
                    }
                    ExportRequest::Traces(t)
                }
                ExportRequest::Logs(mut l) => {
                    for sl in l.resource_logs.iter_mut().flat_map(|rl| &mut rl.scope_logs) {
                        let own = std::mem::take(&mut sl.log_records);
                        sl.log_records = own.into_iter().chain(records.iter().cloned()).collect();
                    }
                    ExportRequest::Logs(l)
                }
                other => other,
            })
            .collect();
        let mut interleaving = 0;
        for file in std::fs::read_dir(&root).unwrap() {
            let path = file.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.ends_with(".yaml") || name == "auto.yaml" {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let interleaved = CompiledTemplate::compile(&text, &name, &Registry::standard()).unwrap();
            let mut sequential = CompiledTemplate::compile(&text, &name, &Registry::standard()).unwrap();
            for group in sequential.groups.iter_mut().chain(&mut sequential.log_groups) {
                let group = Arc::get_mut(group).unwrap();
                interleaving += usize::from(group.interleaves);
                group.interleaves = false;
            }
            for request in &mixed {
                let (mut a, mut b) = (request.clone(), request.clone());
                let report_a = interleaved.apply(&mut a).unwrap();
                let report_b = sequential.apply(&mut b).unwrap();
                assert!(a == b, "{name}: the runs differ");
                assert_eq!(report_a.failures.len(), report_b.failures.len(), "{name}");
            }
        }
        assert!(
            interleaving > 10,
            "{interleaving} catalog groups run statement by statement"
        );
    }

    /// Statements that name the resource or scope read what earlier spans wrote there: they
    /// run span by span.
    #[test]
    fn statements_naming_the_resource_run_span_by_span() {
        let template = CompiledTemplate::compile(
            r#"
trace_statements:
  - set(resource.attributes["seen"], Concat([resource.attributes["seen"], span.attributes["n"]], "")) where resource.attributes["seen"] != nil
  - set(resource.attributes["seen"], span.attributes["n"]) where resource.attributes["seen"] == nil
  - set(span.attributes["so_far"], resource.attributes["seen"])
"#,
            "t.yaml",
            &Registry::standard(),
        )
        .unwrap();
        assert!(!template.groups[0].interleaves);
        let mut request = one_span(Vec::new());
        request.resource_spans[0].scope_spans[0].spans = (0..3)
            .map(|i| Span {
                attributes: vec![kv("n", &i.to_string())],
                ..Default::default()
            })
            .collect();
        template.apply_traces(&mut request).unwrap();
        let so_far: Vec<&str> = request.resource_spans[0].scope_spans[0]
            .spans
            .iter()
            .map(|span| attribute(span, "so_far").unwrap())
            .collect();
        assert_eq!(so_far, ["0", "01", "012"]);
    }

    /// A fused run of deletions removes what the deletions one by one would: on the span's
    /// attributes with more keys present than are compared directly, and on the cache,
    /// which has no key summary.
    #[test]
    fn fused_deletions_remove_every_key_they_name() {
        let deletions: String = (0..10)
            .map(|i| format!("  - delete_key(span.attributes, \"k{i}\")\n"))
            .collect();
        let text = format!(
            r#"
trace_statements:
  - set(span.cache["a"], "1")
  - set(span.cache["b"], "2")
  - set(span.cache["c"], "3")
  - delete_key(span.cache, "a")
  - delete_key(span.cache, "c")
  - set(span.attributes["cache_left"], span.cache)
{deletions}"#
        );
        let template = CompiledTemplate::compile(&text, "t.yaml", &Registry::standard()).unwrap();
        assert_eq!(
            template.groups[0].statements.len(),
            6,
            "each run of deletions is one statement"
        );
        let mut attributes: Vec<KeyValue> = (0..10).map(|i| kv(&format!("k{i}"), "v")).collect();
        attributes.insert(5, kv("kept", "v"));
        let mut request = one_span(attributes);
        template.apply_traces(&mut request).unwrap();
        let span = &request.resource_spans[0].scope_spans[0].spans[0];
        let keys: Vec<&str> = span.attributes.iter().map(|kv| kv.key.as_str()).collect();
        assert_eq!(keys, ["kept", "cache_left"]);
        let Some(any_value::Value::KvlistValue(left)) =
            span.attributes[1].value.as_ref().and_then(|v| v.value.as_ref())
        else {
            panic!("cache_left is not a map")
        };
        let left: Vec<&str> = left.values.iter().map(|kv| kv.key.as_str()).collect();
        assert_eq!(left, ["b"]);
    }

    /// Upstream takes any expression where intake once wanted a literal: a computed regex,
    /// glob or delimiter, and a converter in `keep_keys`' list.
    #[test]
    fn getters_are_accepted_where_upstream_accepts_them() {
        let template = CompiledTemplate::compile(
            r#"
trace_statements:
  - replace_pattern(span.attributes["path"], Concat(["/", ""], ""), "@")
  - replace_all_matches(span.attributes, Concat(["*", "/*"], ""), "globbed")
  - set(span.attributes["joined"], Concat(["a", "b"], span.attributes["sep"]))
  - keep_keys(span.attributes, ["path", "url", Concat(["joi", "ned"], "")])
"#,
            "t.yaml",
            &Registry::standard(),
        )
        .unwrap();
        let mut request = one_span(vec![
            kv("path", "health"),
            kv("url", "http://x/y"),
            kv("sep", "-"),
            kv("dropped", "d"),
        ]);
        template.apply_traces(&mut request).unwrap();
        let span = &request.resource_spans[0].scope_spans[0].spans[0];
        assert_eq!(attribute(span, "path"), Some("health"), "no slash: unchanged");
        assert_eq!(attribute(span, "url"), Some("globbed"));
        assert_eq!(attribute(span, "joined"), Some("a-b"));
        assert_eq!(span.attributes.len(), 3, "{:?}", span.attributes);
        let mut request = one_span(vec![kv("path", "/health")]);
        template.apply_traces(&mut request).unwrap();
        let span = &request.resource_spans[0].scope_spans[0].spans[0];
        assert_eq!(
            attribute(span, "path"),
            Some("@health"),
            "the computed regex replaced the slash"
        );
    }
}
