//! Attribute builders the benches share.
#![allow(dead_code)]

use intake::otlp::{
    any_value, AnyValue, ExportTraceServiceRequest, KeyValue, Resource, ResourceSpans, ScopeSpans, Span,
};

pub fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

pub fn s(v: &str) -> any_value::Value {
    any_value::Value::StringValue(v.into())
}

/// `spans` OpenInference LLM spans (flattened messages, JSON invocation parameters, token
/// counts) over 16 traces: what the load bench sends and the catalog-template bench maps.
pub fn openinference_request(spans: usize) -> ExportTraceServiceRequest {
    let spans = (0..spans as u64)
        .map(|i| Span {
            trace_id: [(i % 16) as u8 + 1; 16].to_vec(),
            span_id: (i + 1).to_be_bytes().to_vec(),
            name: "ChatCompletion".into(),
            kind: 3,
            start_time_unix_nano: 1_700_000_000_000_000_000,
            end_time_unix_nano: 1_700_000_001_000_000_000,
            attributes: vec![
                kv("openinference.span.kind", s("LLM")),
                kv("llm.model_name", s("gpt-4o-2024-08-06")),
                kv("llm.provider", s("openai")),
                kv(
                    "llm.invocation_parameters",
                    s("{\"model\":\"gpt-4o\",\"temperature\":0.7,\"max_tokens\":1024}"),
                ),
                kv("llm.input_messages.0.message.role", s("system")),
                kv(
                    "llm.input_messages.0.message.content",
                    s("You are a helpful assistant."),
                ),
                kv("llm.input_messages.1.message.role", s("user")),
                kv(
                    "llm.input_messages.1.message.content",
                    s("Summarise the design document in three sentences."),
                ),
                kv("llm.output_messages.0.message.role", s("assistant")),
                kv(
                    "llm.output_messages.0.message.content",
                    s("It describes an ingest tier that checks keys."),
                ),
                kv("llm.token_count.prompt", any_value::Value::IntValue(523)),
                kv("llm.token_count.completion", any_value::Value::IntValue(211)),
                kv("llm.token_count.total", any_value::Value::IntValue(734)),
                kv("session.id", s("sess-0123456789")),
                kv("user.id", s("user-42")),
            ],
            ..Default::default()
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv("service.name", s("chat-api"))],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}
