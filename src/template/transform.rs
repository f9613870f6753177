//! The one rule for a request's attributes: stamp provenance first (so the template sees
//! who sent it), apply the key's template, then restore whatever the template did to
//! receiver-owned attributes.

use super::catalog::CatalogEntry;
use super::guard;
use super::provenance::{Provenance, Sender};
use crate::otlp::ExportRequest;
use crate::telemetry::{metrics, LogThrottle};

/// A statement failed under `error_mode: propagate`: the request fails.
#[derive(Debug, thiserror::Error)]
#[error("template `{template}` rejected the request: {message}")]
pub struct TransformError {
    pub template: String,
    pub message: String,
}

static GUARD_WARNINGS: LogThrottle = LogThrottle::new();

/// Stamps `sender` on every resource, applies `template` (none: stamp only) and restores
/// the stamp. Statement failures under `ignore` are counted, not returned.
pub fn transform(
    request: &mut ExportRequest,
    sender: &Sender<'_>,
    template: Option<&CatalogEntry>,
) -> Result<(), TransformError> {
    let provenance = Provenance::new(sender, template.map(CatalogEntry::id));
    provenance.stamp(request);
    let Some(template) = template else {
        return Ok(());
    };
    let report = template.template.apply(request).map_err(|e| TransformError {
        template: template.id().to_owned(),
        message: e.to_string(),
    })?;
    metrics().template_errors(template.id(), report.failures.len());
    if let Some((statement, error)) = report.failures.first() {
        tracing::debug!(message = "template statement failed (error_mode ignore)", template = %template.id(), %statement, %error, failures = report.failures.len());
    }
    let items_may_hold_protected = !template.template.adds_only_named_keys(request.signal());
    let violations = guard::restore(request, &provenance, items_may_hold_protected);
    metrics().template_guard_violations(template.id(), violations);
    if violations > 0 && GUARD_WARNINGS.allow() {
        tracing::warn!(message = "template changed receiver-owned attributes; restored", template = %template.id(), violations, similar_suppressed = GUARD_WARNINGS.take_suppressed());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::otlp::{ExportTraceServiceRequest, ResourceSpans, ScopeSpans, Signal, Span};
    use crate::ottl::{parse_statement, Registry};
    use crate::template::CompiledTemplate;

    fn entry(statements: &[&str]) -> CatalogEntry {
        let body: String = statements.iter().map(|s| format!("  - {s}\n")).collect();
        let source = format!("slug: t\ntrace_statements:\n{body}");
        let template = CompiledTemplate::compile(&source, "t.yaml", &Registry::standard()).expect("compiles");
        CatalogEntry::new("t".into(), "1".into(), "test".into(), Arc::new(template))
    }

    fn sender() -> Sender<'static> {
        Sender {
            project_id: "proj_a",
            api_key_id: "key_1",
            organization_id: "org_1",
            source: "otel",
            principal_id: None,
        }
    }

    fn request() -> ExportRequest {
        let kv = crate::otlp::string_kv;
        ExportRequest::Traces(ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: vec![Span {
                        name: "s".into(),
                        attributes: vec![kv("which", "langwatch.project.id"), kv("llm.model_name", "m")],
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        })
    }

    fn span_keys(request: &ExportRequest) -> Vec<String> {
        let ExportRequest::Traces(r) = request else {
            panic!("traces")
        };
        r.resource_spans[0].scope_spans[0].spans[0]
            .attributes
            .iter()
            .map(|kv| kv.key.clone())
            .collect()
    }

    /// The guard skips the items only for templates whose every added key is a literal
    /// (checked at load); a key computed at run time is still found on the span and removed.
    #[test]
    fn a_computed_key_reaching_a_receiver_owned_attribute_is_removed_from_the_span() {
        let computed = entry(&["set(span.attributes[span.attributes[\"which\"]], \"proj-b\")"]);
        assert!(!computed.template.adds_only_named_keys(Signal::Traces));
        let mut req = request();
        transform(&mut req, &sender(), Some(&computed)).expect("applies");
        assert_eq!(
            span_keys(&req),
            ["which", "llm.model_name"],
            "the computed receiver-owned key is gone"
        );

        let named = entry(&[
            "set(span.attributes[\"gen_ai.request.model\"], span.attributes[\"llm.model_name\"])",
            "delete_key(span.attributes, \"llm.model_name\")",
        ]);
        assert!(named.template.adds_only_named_keys(Signal::Traces));
        let mut req = request();
        transform(&mut req, &sender(), Some(&named)).expect("applies");
        assert_eq!(span_keys(&req), ["which", "gen_ai.request.model"]);
    }

    /// The shipped templates name every key they add, so the guard never walks their items.
    #[test]
    fn the_catalog_templates_leave_the_guard_no_item_to_look_at() {
        let catalog = crate::template::TemplateCatalog::load(&Default::default()).expect("catalog");
        let entries = catalog.entries();
        assert!(entries.len() > 10);
        for entry in entries.iter() {
            for signal in [Signal::Traces, Signal::Logs, Signal::Metrics] {
                assert!(entry.template.adds_only_named_keys(signal), "{} {signal:?}", entry.id());
            }
        }
    }

    #[test]
    fn only_statements_that_name_every_key_they_add_are_recognised_as_such() {
        let cases = [
            ("set(attributes[\"gen_ai.x\"], 1)", true),
            ("set(span.attributes[\"a\"][\"b\"], 1)", true),
            ("set(attributes[\"a\"][attributes[\"k\"]], 1)", true),
            ("set(cache[attributes[\"k\"]], 1)", true),
            ("set(name, \"n\")", true),
            ("set(value = 1, target = attributes[\"x\"])", true),
            ("delete_key(attributes, \"x\")", true),
            ("delete_matching_keys(attributes, \"^x\")", true),
            ("keep_keys(attributes, [\"x\"])", true),
            ("keep_matching_keys(attributes, \"^x\")", true),
            ("set(attributes, cache)", false),
            ("set(attributes[attributes[\"k\"]], 1)", false),
            ("set(attributes[Concat([\"a\", \"b\"], \".\")], 1)", false),
            ("set(resource.attributes[cache[\"k\"]], 1)", false),
            ("set(value = 1, target = attributes)", false),
            ("merge_maps(attributes, cache, \"upsert\")", false),
            (
                "replace_all_patterns(attributes, \"key\", \"^a\", \"langwatch\")",
                false,
            ),
            ("flatten(attributes)", false),
        ];
        for (text, expected) in cases {
            let statement = parse_statement(text).expect(text);
            assert_eq!(guard::adds_only_named_keys(&statement), expected, "{text}");
        }
    }
}
