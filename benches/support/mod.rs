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

/// `records` Claude Code log events (scope com.anthropic.claude_code.events): api_request,
/// user_prompt and tool_result in turn, over 16 sessions, with the attributes the agent
/// really sends: what the load bench's logs modes send.
pub fn claude_code_logs_request(records: usize) -> intake::otlp::ExportLogsServiceRequest {
    use intake::otlp::{ExportLogsServiceRequest, InstrumentationScope, LogRecord, ResourceLogs, ScopeLogs};
    let int = |v: i64| any_value::Value::IntValue(v);
    let log_records = (0..records)
        .map(|i| {
            let session = format!("3fac1552-248b-41bc-9c34-{:012x}", i % 16);
            let mut attributes = vec![
                kv(
                    "user.id",
                    s("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
                ),
                kv("session.id", s(&session)),
                kv("terminal.type", s("xterm")),
                kv("event.timestamp", s("2026-11-28T05:00:00.000Z")),
                kv("event.sequence", int(i as i64)),
                kv("prompt.id", s("0b6f4c9e-6a4e-4d7b-9d84-5d1f2f0c8e11")),
            ];
            let name = match i % 3 {
                0 => {
                    attributes.extend([
                        kv("model", s("claude-sonnet-4-5-20250929")),
                        kv("input_tokens", int(1234)),
                        kv("output_tokens", int(56)),
                        kv("cache_read_tokens", int(1000)),
                        kv("cache_creation_tokens", int(200)),
                        kv("cost_usd", any_value::Value::DoubleValue(0.005592000000000001)),
                        kv("cost_usd_micros", int(5592)),
                        kv("duration_ms", int(1523)),
                        kv("request_id", s("req_fake_0001")),
                        kv("speed", s("normal")),
                        kv("query_source", s("sdk")),
                    ]);
                    "api_request"
                }
                1 => {
                    attributes.extend([kv("prompt_length", int(6)), kv("prompt", s("say hi"))]);
                    "user_prompt"
                }
                _ => {
                    attributes.extend([
                        kv("tool_name", s("Read")),
                        kv("tool_use_id", s("toolu_fake_0001")),
                        kv("success", s("true")),
                        kv("duration_ms", int(12)),
                        kv("tool_input", s("{\"file_path\":\"/work/hello.txt\"}")),
                    ]);
                    "tool_result"
                }
            };
            attributes.push(kv("event.name", s(name)));
            LogRecord {
                time_unix_nano: 1_760_000_000_000_000_000 + i as u64,
                observed_time_unix_nano: 1_760_000_000_000_000_000 + i as u64,
                body: Some(AnyValue {
                    value: Some(s(&format!("claude_code.{name}"))),
                }),
                attributes,
                flags: 1,
                trace_id: [(i % 16) as u8 + 1; 16].to_vec(),
                span_id: (i as u64 + 1).to_be_bytes().to_vec(),
                ..Default::default()
            }
        })
        .collect();
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(Resource {
                attributes: vec![
                    kv("service.name", s("claude-code")),
                    kv("service.version", s("2.1.197")),
                ],
                ..Default::default()
            }),
            scope_logs: vec![ScopeLogs {
                scope: Some(InstrumentationScope {
                    name: "com.anthropic.claude_code.events".into(),
                    version: "2.1.197".into(),
                    ..Default::default()
                }),
                log_records,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// Who the benches' requests come from.
pub fn sender() -> intake::template::provenance::Sender<'static> {
    intake::template::provenance::Sender {
        project_id: "proj_abc",
        api_key_id: "key_123",
        organization_id: "org_xyz",
        source: "python_sdk",
        principal_id: None,
    }
}

/// The record headers of a traces request from `sender()`.
pub fn headers() -> intake::sink::RecordHeaders {
    intake::sink::RecordHeaders {
        signal: intake::otlp::Signal::Traces,
        project_id: "proj_abc".into(),
        api_key_id: "key_123".into(),
        template_id: None,
        content_type: "",
        organization_id: "org-1".into(),
        source: "otel".into(),
        principal_id: None,
        received_time_unix_nano: 1,
    }
}

/// The per-request work of the receiver on one traces request: decode → validate → stamp
/// → template (none: stamp only) → restore → split into records. Returns the records, so
/// their drop is not timed.
pub fn request_path(
    encoding: intake::otlp::Encoding,
    body: &[u8],
    template: Option<&intake::template::CatalogEntry>,
    layout: &intake::sink::RecordLayout,
) -> intake::sink::SplitOutcome {
    use intake::otlp::ExportRequest;
    let decoded = encoding.decode_request(body).expect("decodes");
    let mut request = ExportRequest::Traces(decoded);
    intake::otlp::drop_invalid_items(&mut request);
    intake::template::transform(&mut request, &sender(), template).expect("transforms");
    let ExportRequest::Traces(traces) = request else {
        unreachable!("traces in, traces out")
    };
    layout.split_traces(traces, headers())
}
