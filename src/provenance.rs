//! Who sent it: the attributes intake writes on every resource after any template ran.
//! The payload can never decide them; a client-sent value is overwritten or removed.

use crate::auth::KeyRecord;
use crate::otlp::{any_value, AnyValue, ExportTraceServiceRequest, KeyValue, Resource};

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

fn string_kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_owned())),
        }),
        ..Default::default()
    }
}

impl Provenance {
    pub fn new(record: &KeyRecord, template_id: Option<&str>) -> Self {
        let mut attributes = vec![
            string_kv(PROJECT_ID, &record.project_id),
            string_kv(API_KEY_ID, &record.id),
            string_kv(ORGANIZATION_ID, &record.organization_id),
            string_kv(SOURCE, &record.source),
        ];
        if let Some(template) = template_id {
            attributes.push(string_kv(TEMPLATE_ID, template));
        }
        if let Some(principal) = &record.principal_id {
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

    /// Removes every protected key the client sent (resource and span level) and writes
    /// ours on each resource.
    pub fn stamp(&self, request: &mut ExportTraceServiceRequest) {
        for rs in &mut request.resource_spans {
            let resource = rs.resource.get_or_insert_with(Resource::default);
            resource.attributes.retain(|kv| !is_protected(&kv.key));
            resource.attributes.extend(self.attributes.iter().cloned());
            for ss in &mut rs.scope_spans {
                for span in &mut ss.spans {
                    if span.attributes.iter().any(|kv| is_protected(&kv.key)) {
                        span.attributes.retain(|kv| !is_protected(&kv.key));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{KeyRecord, SecretHash};
    use crate::otlp::{ResourceSpans, ScopeSpans, Span};

    fn record(principal: Option<&str>) -> KeyRecord {
        KeyRecord {
            id: "key_1".into(),
            lookup_id: "AAAAAAAAAAAAAAAA".into(),
            secret_hash: SecretHash::Sha256([0; 32]),
            project_id: "proj_a".into(),
            organization_id: "org_1".into(),
            source: "claude_code".into(),
            template: None,
            principal_id: principal.map(str::to_owned),
            permissions: vec!["traces:create".into()],
            projects: vec!["proj_a".into()],
            expires_at: None,
            revoked_at: None,
            rate_limit_spans_per_second: None,
            rate_limit_burst: None,
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
        Provenance::new(&record(None), None).stamp(&mut request);
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
        Provenance::new(&record(Some("eng_7")), Some("openinference@1")).stamp(&mut request);
        let attrs = &request.resource_spans[0].resource.as_ref().unwrap().attributes;
        assert_eq!(get(attrs, PRINCIPAL_ID), vec!["eng_7"]);
        assert_eq!(get(attrs, TEMPLATE_ID), vec!["openinference@1"]);
    }
}
