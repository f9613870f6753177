//! Who sent it: the attributes intake writes on every resource after any template ran.
//! The payload can never decide them; a client-sent value is overwritten or removed.

use crate::otlp::{
    for_each_point_attributes, string_kv, ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportRequest,
    ExportTraceServiceRequest, KeyValue, Resource,
};

pub const PROJECT_ID: &str = "langwatch.project.id";
pub const API_KEY_ID: &str = "langwatch.api_key.id";
pub const ORGANIZATION_ID: &str = "langwatch.organization_id";
pub const SOURCE: &str = "langwatch.source";
pub const TEMPLATE_ID: &str = "langwatch.template.id";
pub const PRINCIPAL_ID: &str = "langwatch.principal.id";

/// Every attribute key the receiver owns.
pub const PROTECTED_KEYS: &[&str] = &[
    PROJECT_ID,
    API_KEY_ID,
    ORGANIZATION_ID,
    SOURCE,
    TEMPLATE_ID,
    PRINCIPAL_ID,
];

pub fn is_protected(key: &str) -> bool {
    key.starts_with("langwatch.") && PROTECTED_KEYS.contains(&key)
}

/// The stamp for one request, built once and written on every resource.
#[derive(Debug, Clone)]
pub struct Provenance {
    attributes: Vec<KeyValue>,
}

/// Who sent a request, as its key says.
#[derive(Debug, Clone, Copy)]
pub struct Sender<'a> {
    pub project_id: &'a str,
    pub api_key_id: &'a str,
    pub organization_id: &'a str,
    pub source: &'a str,
    /// Set for a personal key; absent means the claim is removed.
    pub principal_id: Option<&'a str>,
}

impl Provenance {
    pub fn new(sender: &Sender<'_>, template_id: Option<&str>) -> Self {
        let mut attributes = vec![
            string_kv(PROJECT_ID, sender.project_id),
            string_kv(API_KEY_ID, sender.api_key_id),
            string_kv(ORGANIZATION_ID, sender.organization_id),
            string_kv(SOURCE, sender.source),
        ];
        if let Some(template) = template_id {
            attributes.push(string_kv(TEMPLATE_ID, template));
        }
        if let Some(principal) = sender.principal_id {
            attributes.push(string_kv(PRINCIPAL_ID, principal));
        }
        Self { attributes }
    }

    /// Whether `current` (the protected attributes on a resource) is exactly the stamp.
    pub fn matches(&self, current: &[&KeyValue]) -> bool {
        current.len() == self.attributes.len()
            && self
                .attributes
                .iter()
                .all(|want| current.iter().any(|kv| kv.key == want.key && kv.value == want.value))
    }

    /// Removes every protected key the client sent (on resources and items) and writes
    /// ours on each resource.
    pub fn stamp(&self, request: &mut ExportRequest) {
        match request {
            ExportRequest::Traces(request) => self.stamp_traces(request),
            ExportRequest::Logs(request) => self.stamp_logs(request),
            ExportRequest::Metrics(request) => self.stamp_metrics(request),
        }
    }

    fn stamp_resource(&self, resource: &mut Option<Resource>) {
        let resource = resource.get_or_insert_with(Resource::default);
        resource.attributes.retain(|kv| !is_protected(&kv.key));
        resource.attributes.extend(self.attributes.iter().cloned());
    }

    pub fn stamp_traces(&self, request: &mut ExportTraceServiceRequest) {
        for rs in &mut request.resource_spans {
            self.stamp_resource(&mut rs.resource);
            for ss in &mut rs.scope_spans {
                for span in &mut ss.spans {
                    strip_protected(&mut span.attributes);
                }
            }
        }
    }

    pub fn stamp_logs(&self, request: &mut ExportLogsServiceRequest) {
        for rl in &mut request.resource_logs {
            self.stamp_resource(&mut rl.resource);
            for sl in &mut rl.scope_logs {
                for record in &mut sl.log_records {
                    strip_protected(&mut record.attributes);
                }
            }
        }
    }

    pub fn stamp_metrics(&self, request: &mut ExportMetricsServiceRequest) {
        for rm in &mut request.resource_metrics {
            self.stamp_resource(&mut rm.resource);
            for sm in &mut rm.scope_metrics {
                for metric in &mut sm.metrics {
                    for_each_point_attributes(metric, strip_protected);
                }
            }
        }
    }
}

/// Removes receiver-owned keys from an item's attributes (a client cannot claim them).
pub fn strip_protected(attributes: &mut Vec<KeyValue>) {
    if attributes.iter().any(|kv| is_protected(&kv.key)) {
        attributes.retain(|kv| !is_protected(&kv.key));
    }
}

/// Whether an item's attributes hold a receiver-owned key.
pub fn holds_protected(attributes: &[KeyValue]) -> bool {
    attributes.iter().any(|kv| is_protected(&kv.key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::any_value;
    use crate::otlp::{ResourceSpans, ScopeSpans, Span};

    fn record(principal: Option<&str>) -> Sender<'_> {
        Sender {
            project_id: "proj_a",
            api_key_id: "key_1",
            organization_id: "org_1",
            source: "claude_code",
            principal_id: principal,
        }
    }

    fn get<'a>(attrs: &'a [KeyValue], key: &str) -> Vec<&'a str> {
        attrs
            .iter()
            .filter(|kv| kv.key == key)
            .filter_map(|kv| match kv.value.as_ref()?.value.as_ref()? {
                any_value::Value::StringValue(s) => Some(s.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn spoofed_values_are_overwritten_and_a_claimed_principal_removed() {
        let mut request = ExportTraceServiceRequest {
            resource_spans: vec![
                ResourceSpans {
                    resource: Some(Resource {
                        attributes: vec![
                            string_kv(PROJECT_ID, "proj_b"),
                            string_kv(PRINCIPAL_ID, "someone_else"),
                            string_kv("service.name", "svc"),
                        ],
                        ..Default::default()
                    }),
                    scope_spans: vec![ScopeSpans {
                        spans: vec![Span {
                            attributes: vec![string_kv(PROJECT_ID, "proj_b"), string_kv("x", "y")],
                            ..Default::default()
                        }],
                        ..Default::default()
                    }],
                    ..Default::default()
                },
                ResourceSpans::default(),
            ],
        };
        Provenance::new(&record(None), None).stamp_traces(&mut request);
        for rs in &request.resource_spans {
            let attrs = &rs.resource.as_ref().unwrap().attributes;
            assert_eq!(get(attrs, PROJECT_ID), vec!["proj_a"]);
            assert_eq!(get(attrs, API_KEY_ID), vec!["key_1"]);
            assert_eq!(get(attrs, ORGANIZATION_ID), vec!["org_1"]);
            assert_eq!(get(attrs, SOURCE), vec!["claude_code"]);
            assert!(get(attrs, PRINCIPAL_ID).is_empty());
        }
        assert_eq!(
            get(
                &request.resource_spans[0].resource.as_ref().unwrap().attributes,
                "service.name"
            ),
            vec!["svc"]
        );
        let span_attrs = &request.resource_spans[0].scope_spans[0].spans[0].attributes;
        assert!(get(span_attrs, PROJECT_ID).is_empty());
        assert_eq!(get(span_attrs, "x"), vec!["y"]);
    }

    #[test]
    fn a_personal_key_stamps_its_principal() {
        let mut request = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans::default()],
        };
        Provenance::new(&record(Some("eng_7")), Some("openinference@1")).stamp_traces(&mut request);
        let attrs = &request.resource_spans[0].resource.as_ref().unwrap().attributes;
        assert_eq!(get(attrs, PRINCIPAL_ID), vec!["eng_7"]);
        assert_eq!(get(attrs, TEMPLATE_ID), vec!["openinference@1"]);
    }
}
