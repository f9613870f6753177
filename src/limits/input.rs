//! Per-request input limits, applied after decoding: attributes per span, attribute value
//! size (truncated, counted), value nesting depth (trimmed, counted).

use crate::limits::LimitsConfig;
use crate::otlp::{
    any_value, for_each_point_attributes, AnyValue, ExportLogsServiceRequest, ExportMetricsServiceRequest,
    ExportRequest, ExportTraceServiceRequest, InstrumentationScope, KeyValue, Resource,
};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct InputLimitOutcome {
    /// String or bytes values cut to `max_attribute_value_bytes`.
    pub values_truncated: usize,
    /// Attributes dropped past `max_attributes_per_span` (also added to the item's
    /// `dropped_attributes_count`).
    pub attributes_dropped: usize,
    /// Values nested deeper than `max_attribute_depth`, replaced by an empty value.
    pub values_too_deep: usize,
}

fn truncate_str(s: &mut String, max: usize) -> bool {
    if s.len() <= max {
        return false;
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    true
}

fn limit_value(value: &mut AnyValue, depth: usize, limits: &LimitsConfig, out: &mut InputLimitOutcome) {
    let Some(kind) = value.value.as_mut() else { return };
    match kind {
        any_value::Value::StringValue(s) if s.len() > limits.max_attribute_value_bytes => {
            truncate_str(s, limits.max_attribute_value_bytes);
            out.values_truncated += 1;
        }
        any_value::Value::BytesValue(b) if b.len() > limits.max_attribute_value_bytes => {
            b.truncate(limits.max_attribute_value_bytes);
            out.values_truncated += 1;
        }
        any_value::Value::ArrayValue(a) => {
            if depth >= limits.max_attribute_depth {
                value.value = None;
                out.values_too_deep += 1;
                return;
            }
            for v in &mut a.values {
                limit_value(v, depth + 1, limits, out);
            }
        }
        any_value::Value::KvlistValue(m) => {
            if depth >= limits.max_attribute_depth {
                value.value = None;
                out.values_too_deep += 1;
                return;
            }
            for kv in &mut m.values {
                if let Some(v) = kv.value.as_mut() {
                    limit_value(v, depth + 1, limits, out);
                }
            }
        }
        _ => {}
    }
}

fn limit_attributes(
    attributes: &mut Vec<KeyValue>,
    dropped: &mut u32,
    limits: &LimitsConfig,
    out: &mut InputLimitOutcome,
) {
    if attributes.len() > limits.max_attributes_per_span {
        let extra = attributes.len() - limits.max_attributes_per_span;
        attributes.truncate(limits.max_attributes_per_span);
        *dropped = dropped.saturating_add(extra as u32);
        out.attributes_dropped += extra;
    }
    for kv in attributes.iter_mut() {
        if let Some(v) = kv.value.as_mut() {
            limit_value(v, 1, limits, out);
        }
    }
}

/// Applies the limits in place. The span count limit is checked by the caller, which
/// refuses the whole request.
pub fn enforce_input_limits(request: &mut ExportRequest, limits: &LimitsConfig) -> InputLimitOutcome {
    match request {
        ExportRequest::Traces(request) => limit_traces(request, limits),
        ExportRequest::Logs(request) => limit_logs(request, limits),
        ExportRequest::Metrics(request) => limit_metrics(request, limits),
    }
}

fn limit_containers(
    resource: Option<&mut Resource>,
    scope: Option<&mut InstrumentationScope>,
    limits: &LimitsConfig,
    out: &mut InputLimitOutcome,
) {
    if let Some(resource) = resource {
        limit_attributes(
            &mut resource.attributes,
            &mut resource.dropped_attributes_count,
            limits,
            out,
        );
    }
    if let Some(scope) = scope {
        limit_attributes(&mut scope.attributes, &mut scope.dropped_attributes_count, limits, out);
    }
}

fn limit_logs(request: &mut ExportLogsServiceRequest, limits: &LimitsConfig) -> InputLimitOutcome {
    let mut out = InputLimitOutcome::default();
    for rl in &mut request.resource_logs {
        limit_containers(rl.resource.as_mut(), None, limits, &mut out);
        for sl in &mut rl.scope_logs {
            limit_containers(None, sl.scope.as_mut(), limits, &mut out);
            for record in &mut sl.log_records {
                limit_attributes(
                    &mut record.attributes,
                    &mut record.dropped_attributes_count,
                    limits,
                    &mut out,
                );
                if let Some(body) = record.body.as_mut() {
                    limit_value(body, 0, limits, &mut out);
                }
            }
        }
    }
    out
}

fn limit_metrics(request: &mut ExportMetricsServiceRequest, limits: &LimitsConfig) -> InputLimitOutcome {
    let mut out = InputLimitOutcome::default();
    // Data points have no dropped-attributes count; the drop is still counted in `out`.
    let mut uncounted = 0u32;
    for rm in &mut request.resource_metrics {
        limit_containers(rm.resource.as_mut(), None, limits, &mut out);
        for sm in &mut rm.scope_metrics {
            limit_containers(None, sm.scope.as_mut(), limits, &mut out);
            for metric in &mut sm.metrics {
                limit_attributes(&mut metric.metadata, &mut uncounted, limits, &mut out);
                for_each_point_attributes(metric, |attributes| {
                    limit_attributes(attributes, &mut uncounted, limits, &mut out)
                });
            }
        }
    }
    out
}

fn limit_traces(request: &mut ExportTraceServiceRequest, limits: &LimitsConfig) -> InputLimitOutcome {
    let mut out = InputLimitOutcome::default();
    for rs in &mut request.resource_spans {
        if let Some(resource) = rs.resource.as_mut() {
            limit_attributes(
                &mut resource.attributes,
                &mut resource.dropped_attributes_count,
                limits,
                &mut out,
            );
        }
        for ss in &mut rs.scope_spans {
            if let Some(scope) = ss.scope.as_mut() {
                limit_attributes(
                    &mut scope.attributes,
                    &mut scope.dropped_attributes_count,
                    limits,
                    &mut out,
                );
            }
            for span in &mut ss.spans {
                limit_attributes(
                    &mut span.attributes,
                    &mut span.dropped_attributes_count,
                    limits,
                    &mut out,
                );
                for event in &mut span.events {
                    limit_attributes(
                        &mut event.attributes,
                        &mut event.dropped_attributes_count,
                        limits,
                        &mut out,
                    );
                }
                for link in &mut span.links {
                    limit_attributes(
                        &mut link.attributes,
                        &mut link.dropped_attributes_count,
                        limits,
                        &mut out,
                    );
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::{KeyValueList, ResourceSpans, ScopeSpans, Span};

    fn limits() -> LimitsConfig {
        LimitsConfig {
            max_attributes_per_span: 3,
            max_attribute_value_bytes: 5,
            max_attribute_depth: 2,
            ..Default::default()
        }
    }

    fn kv(key: &str, value: any_value::Value) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: Some(AnyValue { value: Some(value) }),
            ..Default::default()
        }
    }

    #[test]
    fn values_are_cut_attributes_capped_and_deep_values_trimmed() {
        let deep = any_value::Value::KvlistValue(KeyValueList {
            values: vec![kv(
                "a",
                any_value::Value::KvlistValue(KeyValueList {
                    values: vec![kv("b", any_value::Value::IntValue(1))],
                }),
            )],
        });
        let mut request = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: vec![Span {
                        attributes: vec![
                            kv("s", any_value::Value::StringValue("héllo world".into())),
                            kv("d", deep),
                            kv("x", any_value::Value::BoolValue(true)),
                            kv("y", any_value::Value::BoolValue(true)),
                        ],
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let out = limit_traces(&mut request, &limits());
        let span = &request.resource_spans[0].scope_spans[0].spans[0];
        assert_eq!(
            out,
            InputLimitOutcome {
                values_truncated: 1,
                attributes_dropped: 1,
                values_too_deep: 1
            }
        );
        assert_eq!(span.attributes.len(), 3);
        assert_eq!(span.dropped_attributes_count, 1);
        assert_eq!(
            span.attributes[0].value.as_ref().unwrap().value,
            Some(any_value::Value::StringValue("héll".into()))
        );
    }
}
