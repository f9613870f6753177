//! The instrumentation libraries people run today, at pinned current versions, driven as a new
//! user would (their own tracer setup, the real OTLP exporters configured through
//! OTEL_EXPORTER_OTLP_*) against a fake LLM, through intake with the `auto` template (a key
//! that names none) into a real broker, read back with a real consumer and checked field by
//! field against shared/genai/CANONICAL.md.
//!
//! Every scenario has the same conversation (tests/clients/genai/drive.py): a system
//! instruction, a question offering get_weather, the model's tool call (id call_weather_1,
//! arguments {"city": "Paris"}), the tool's result ("sunny, 24C") and the answer ("It is sunny
//! in Paris."). The fake LLM reports fixed usage, so every count is known.

use std::collections::BTreeMap;
use std::time::Duration;

use intake::otlp::{any_value, Span};
use serde_json::Value as Json;

use crate::common::*;

const SYSTEM: &str = "You are a weather assistant. Answer in one sentence.";
const ANSWER: &str = "It is sunny in Paris.";

/// What one library must produce.
struct Expect {
    scenario: &'static str,
    protocol: &'static str,
    provider: &'static str,
    /// The request model, where the library records it.
    request_model: Option<&'static str>,
    model_calls: usize,
    input_tokens: i64,
    output_tokens: i64,
    /// Where the library reports them: every call that has them has these, and one has.
    cache_read: Option<i64>,
    cache_creation: Option<i64>,
    reasoning: Option<i64>,
    /// The tool call's id is recorded in the messages.
    call_ids: bool,
    /// Spans of the tool's own execution.
    tool_spans: usize,
    /// Spans above the model calls that must not carry usage (agent runs, SDK wrappers).
    wrappers: usize,
}

const OPENAI: &str = "gpt-4o-mini";
const CLAUDE: &str = "claude-sonnet-4-5";

fn expectations() -> Vec<Expect> {
    let openai = |scenario, protocol, calls, tool_spans, wrappers| Expect {
        scenario,
        protocol,
        provider: "openai",
        request_model: Some(OPENAI),
        model_calls: calls,
        input_tokens: 40,
        output_tokens: 12,
        cache_read: Some(8),
        cache_creation: None,
        reasoning: Some(4),
        call_ids: true,
        tool_spans,
        wrappers,
    };
    let anthropic = |scenario, protocol| Expect {
        scenario,
        protocol,
        provider: "anthropic",
        request_model: Some(CLAUDE),
        model_calls: 2,
        input_tokens: 40,
        output_tokens: 12,
        cache_read: Some(8),
        cache_creation: Some(2),
        reasoning: None,
        call_ids: true,
        tool_spans: 0,
        wrappers: 0,
    };
    vec![
        openai("openinference-openai", "http/protobuf", 3, 0, 0),
        anthropic("openinference-anthropic", "http/protobuf"),
        openai("openinference-langchain", "grpc", 2, 1, 0),
        Expect {
            scenario: "openinference-google-genai",
            protocol: "http/protobuf",
            // The google-genai client serves both Google APIs and the span does not say which.
            provider: "gcp.gen_ai",
            request_model: None,
            model_calls: 2,
            input_tokens: 40,
            // Gemini's candidates (12) plus thoughts (4): output includes reasoning, as OpenAI's does.
            output_tokens: 16,
            cache_read: Some(8),
            cache_creation: None,
            reasoning: Some(4),
            call_ids: false,
            tool_spans: 0,
            wrappers: 0,
        },
        openai("openllmetry-openai", "grpc", 3, 0, 0),
        anthropic("openllmetry-anthropic", "http/protobuf"),
        Expect {
            cache_read: None,
            reasoning: None,
            ..openai("otel-openai-v2", "http/protobuf", 3, 0, 0)
        },
        anthropic("anthropic-sdk", "http/protobuf"),
        openai("pydantic-ai", "http/protobuf", 2, 1, 1),
        openai("langsmith-otel", "http/protobuf", 2, 1, 1),
        openai("vercel-ai", "http/json", 3, 1, 2),
    ]
}

/// Every span intake published, with its scope name.
fn published(tansu: &Tansu, expected: usize) -> Vec<(String, Span)> {
    let reader = KafkaReader::new(&tansu.brokers(), TOPIC);
    let records = reader.read_until(Duration::from_secs(30), |records| {
        records
            .iter()
            .map(|r| intake::otlp::span_count(&r.request()))
            .sum::<usize>()
            >= expected
    });
    let mut out = Vec::new();
    for record in &records {
        for rs in record.request().resource_spans {
            for ss in rs.scope_spans {
                let scope = ss.scope.map(|s| s.name).unwrap_or_default();
                for span in ss.spans {
                    out.push((scope.clone(), span));
                }
            }
        }
    }
    out
}

#[test]
fn current_instrumentation_libraries_come_out_canonical() {
    let tansu = Tansu::start();
    tansu.create_signal_topics(1);
    let key = TestKey::new("proj-genai");
    let intake = Intake::start(
        &[&key],
        IntakeOptions {
            kafka: Some(tansu.brokers()),
            ..Default::default()
        },
    );
    let llm = FakeLlm::start();

    let mut sent: BTreeMap<&str, Vec<SentSpan>> = BTreeMap::new();
    let mut failures = Vec::new();
    for expect in expectations() {
        let endpoint = if expect.protocol == "grpc" {
            format!("http://{}", intake.grpc)
        } else {
            format!("http://{}", intake.http)
        };
        let run = run_library(
            expect.scenario,
            &[
                ("FAKE_LLM_URL", llm.url.clone()),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", expect.protocol.to_owned()),
                (
                    "OTEL_EXPORTER_OTLP_HEADERS",
                    format!("Authorization=Bearer {}", key.token),
                ),
                // As each library's documentation says to turn its content capture on.
                (
                    "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
                    "SPAN_ONLY".to_owned(),
                ),
                ("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental".to_owned()),
                ("LANGSMITH_TRACING", "true".to_owned()),
                ("LANGSMITH_TRACING_MODE", "otel".to_owned()),
                ("LANGSMITH_API_KEY", "lsv2-fake".to_owned()),
            ],
        );
        if !run.success {
            failures.push(format!(
                "{}: the library did not export successfully:\n{}",
                expect.scenario, run.output
            ));
        }
        sent.insert(expect.scenario, run.spans);
    }
    assert!(
        failures.is_empty(),
        "{}\nintake log:\n{}",
        failures.join("\n"),
        intake.logs()
    );

    let total: usize = sent.values().map(Vec::len).sum();
    let spans = published(&tansu, total);
    let by_id: BTreeMap<String, &(String, Span)> = spans.iter().map(|s| (hex::encode(&s.1.span_id), s)).collect();
    for expect in expectations() {
        let mine: Vec<&(String, Span)> = sent[expect.scenario]
            .iter()
            .filter_map(|s| by_id.get(&s.span_id).copied())
            .collect();
        if mine.len() != sent[expect.scenario].len() {
            failures.push(format!(
                "{}: {} spans sent, {} in Kafka",
                expect.scenario,
                sent[expect.scenario].len(),
                mine.len()
            ));
        }
        for problem in check_scenario(&expect, &mine) {
            failures.push(format!("{}: {problem}", expect.scenario));
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------- checks

fn value<'a>(span: &'a Span, key: &str) -> Option<&'a any_value::Value> {
    attr(&span.attributes, key)
}

fn string<'a>(span: &'a Span, key: &str) -> Option<&'a str> {
    attr_str(&span.attributes, key)
}

fn int(span: &Span, key: &str) -> Option<i64> {
    match value(span, key)? {
        any_value::Value::IntValue(i) => Some(*i),
        _ => None,
    }
}

fn json(span: &Span, key: &str) -> Option<Json> {
    serde_json::from_str(string(span, key)?).ok()
}

fn is_model_call(span: &Span) -> bool {
    matches!(
        string(span, "gen_ai.operation.name"),
        Some("chat" | "text_completion" | "generate_content")
    )
}

const OPERATIONS: &[&str] = &[
    "chat",
    "text_completion",
    "embeddings",
    "retrieval",
    "execute_tool",
    "invoke_agent",
    "create_agent",
    "invoke_workflow",
    "generate_content",
];
const PROVIDERS: &[&str] = &[
    "openai",
    "anthropic",
    "aws.bedrock",
    "azure.ai.openai",
    "azure.ai.inference",
    "gcp.gemini",
    "gcp.vertex_ai",
    "gcp.gen_ai",
    "mistral_ai",
    "x_ai",
    "cohere",
    "deepseek",
    "groq",
    "ibm.watsonx.ai",
    "perplexity",
];
const COUNTS: &[&str] = &[
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.reasoning.output_tokens",
];
/// Source attributes every template translates and removes.
const LEFTOVERS: &[&str] = &[
    "gen_ai.system",
    "llm.finish_reason",
    "llm.model_name",
    "llm.invocation_parameters",
    "gen_ai.usage.reasoning_tokens",
    "gen_ai.usage.details.reasoning_tokens",
    "gen_ai.usage.cache_write.input_tokens",
    "gen_ai.usage.prompt_tokens",
    "gen_ai.usage.completion_tokens",
    "anthropic.message.stop_reason",
    "ai.prompt.messages",
    "ai.response.text",
    "ai.response.toolCalls",
    "langsmith.metadata.usage_metadata",
];

/// The rules of CANONICAL.md that hold for every span, whatever sent it.
fn check_span(span: &Span) -> Vec<String> {
    let mut problems = Vec::new();
    let name = &span.name;
    for key in LEFTOVERS {
        if value(span, key).is_some() {
            problems.push(format!("`{name}` keeps the source attribute {key}"));
        }
    }
    for kv in &span.attributes {
        if kv.key.starts_with("llm.token_count.")
            || kv.key.starts_with("llm.input_messages.")
            || kv.key.starts_with("llm.output_messages.")
        {
            problems.push(format!("`{name}` keeps the source attribute {}", kv.key));
        }
    }
    if let Some(op) = string(span, "gen_ai.operation.name") {
        if !OPERATIONS.contains(&op) {
            problems.push(format!("`{name}` has operation {op}, not one of the convention's"));
        }
    }
    if let Some(p) = string(span, "gen_ai.provider.name") {
        if !PROVIDERS.contains(&p) {
            problems.push(format!("`{name}` has provider {p}, not one of the convention's"));
        }
    }
    for key in COUNTS {
        if value(span, key).is_some() && int(span, key).is_none() {
            problems.push(format!("`{name}`: {key} is not an int: {:?}", value(span, key)));
        }
    }
    if let Some(v) = value(span, "gen_ai.response.finish_reasons") {
        let ok = matches!(v, any_value::Value::ArrayValue(a) if !a.values.is_empty() && a.values.iter().all(|x| matches!(x.value, Some(any_value::Value::StringValue(_)))));
        if !ok {
            problems.push(format!("`{name}`: finish_reasons is not a string array: {v:?}"));
        }
    }
    for key in ["gen_ai.input.messages", "gen_ai.output.messages"] {
        if value(span, key).is_none() {
            continue;
        }
        match json(span, key) {
            Some(Json::Array(messages)) => {
                for m in &messages {
                    problems.extend(check_message(name, key, m));
                }
            }
            _ => problems.push(format!(
                "`{name}`: {key} is not a JSON list of messages: {:?}",
                string(span, key)
            )),
        }
    }
    if value(span, "gen_ai.system_instructions").is_some() {
        match json(span, "gen_ai.system_instructions") {
            Some(Json::Array(parts)) if parts.iter().all(|p| p.get("type").is_some()) => {}
            other => problems.push(format!(
                "`{name}`: system_instructions is not a list of parts: {other:?}"
            )),
        }
    }
    problems
}

fn check_message(name: &str, key: &str, message: &Json) -> Vec<String> {
    let mut problems = Vec::new();
    let role = message.get("role").and_then(Json::as_str).unwrap_or("");
    if !matches!(role, "user" | "assistant" | "tool") {
        problems.push(format!("`{name}`: {key} has a message with role `{role}`"));
    }
    let Some(parts) = message.get("parts").and_then(Json::as_array) else {
        problems.push(format!("`{name}`: {key} has a message without parts: {message}"));
        return problems;
    };
    let kinds: Vec<&str> = parts
        .iter()
        .map(|p| p.get("type").and_then(Json::as_str).unwrap_or(""))
        .collect();
    if !kinds.is_empty() && kinds.iter().all(|k| *k == "tool_call_response") && role != "tool" {
        problems.push(format!(
            "`{name}`: {key}: a message of tool results has role `{role}`, not tool"
        ));
    }
    for part in parts {
        match part.get("type").and_then(Json::as_str) {
            Some("text" | "reasoning") => {
                if !part.get("content").is_some_and(Json::is_string) {
                    problems.push(format!("`{name}`: {key}: a text part without content: {part}"));
                }
            }
            Some("tool_call") => {
                if !part.get("name").is_some_and(Json::is_string) {
                    problems.push(format!("`{name}`: {key}: a tool call without a name: {part}"));
                }
                if part
                    .get("arguments")
                    .and_then(Json::as_str)
                    .is_some_and(|a| serde_json::from_str::<Json>(a).is_ok_and(|v| v.is_object()))
                {
                    problems.push(format!(
                        "`{name}`: {key}: tool-call arguments are JSON text, not the object: {part}"
                    ));
                }
            }
            Some("tool_call_response") => {
                if part.get("response").is_none() {
                    problems.push(format!("`{name}`: {key}: a tool result without `response`: {part}"));
                }
            }
            Some(_) => {}
            None => problems.push(format!("`{name}`: {key}: a part without a type: {part}")),
        }
    }
    problems
}

fn parts_of<'a>(messages: &'a Json, role: &str) -> Vec<&'a Json> {
    messages
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m.get("role").and_then(Json::as_str) == Some(role))
        .flat_map(|m| m.get("parts").and_then(Json::as_array).into_iter().flatten())
        .collect()
}

fn mentions(value: &Json, needle: &str) -> bool {
    value.to_string().contains(needle)
}

/// The rules of one scenario: the model calls, their usage (once each), the conversation.
fn check_scenario(expect: &Expect, spans: &[&(String, Span)]) -> Vec<String> {
    let mut problems: Vec<String> = spans.iter().flat_map(|(_, s)| check_span(s)).collect();
    let calls: Vec<&Span> = spans.iter().map(|(_, s)| s).filter(|s| is_model_call(s)).collect();
    if calls.len() != expect.model_calls {
        problems.push(format!(
            "{} model-call spans, expected {} ({:?})",
            calls.len(),
            expect.model_calls,
            spans
                .iter()
                .map(|(_, s)| (&s.name, string(s, "gen_ai.operation.name")))
                .collect::<Vec<_>>()
        ));
    }
    for call in &calls {
        let n = &call.name;
        if string(call, "gen_ai.provider.name") != Some(expect.provider) {
            problems.push(format!(
                "`{n}`: provider {:?}, expected {}",
                string(call, "gen_ai.provider.name"),
                expect.provider
            ));
        }
        if let Some(model) = expect.request_model {
            if string(call, "gen_ai.request.model") != Some(model) {
                problems.push(format!(
                    "`{n}`: request model {:?}, expected {model}",
                    string(call, "gen_ai.request.model")
                ));
            }
        }
        if int(call, "gen_ai.usage.input_tokens") != Some(expect.input_tokens) {
            problems.push(format!(
                "`{n}`: input tokens {:?}, expected {}",
                int(call, "gen_ai.usage.input_tokens"),
                expect.input_tokens
            ));
        }
        if int(call, "gen_ai.usage.output_tokens") != Some(expect.output_tokens) {
            problems.push(format!(
                "`{n}`: output tokens {:?}, expected {}",
                int(call, "gen_ai.usage.output_tokens"),
                expect.output_tokens
            ));
        }
        if value(call, "gen_ai.response.finish_reasons").is_none() {
            problems.push(format!("`{n}`: no gen_ai.response.finish_reasons"));
        }
        for (key, want) in [
            ("gen_ai.usage.cache_read.input_tokens", expect.cache_read),
            ("gen_ai.usage.cache_creation.input_tokens", expect.cache_creation),
            ("gen_ai.usage.reasoning.output_tokens", expect.reasoning),
        ] {
            if let (Some(got), Some(want)) = (int(call, key), want) {
                if got != want {
                    problems.push(format!("`{n}`: {key} {got}, expected {want}"));
                }
            }
        }
    }
    for (key, want) in [
        ("gen_ai.usage.cache_read.input_tokens", expect.cache_read),
        ("gen_ai.usage.cache_creation.input_tokens", expect.cache_creation),
        ("gen_ai.usage.reasoning.output_tokens", expect.reasoning),
    ] {
        if want.is_some() && !calls.iter().any(|c| int(c, key).is_some()) {
            problems.push(format!("no model call has {key}"));
        }
    }
    // Usage counted once per model call: no other span carries it.
    let input_sum: i64 = spans
        .iter()
        .filter_map(|(_, s)| int(s, "gen_ai.usage.input_tokens"))
        .sum();
    if input_sum != expect.input_tokens * expect.model_calls as i64 {
        problems.push(format!(
            "gen_ai.usage.input_tokens sums to {input_sum} over the trace, expected {} (once per model call)",
            expect.input_tokens * expect.model_calls as i64
        ));
    }
    let wrappers: Vec<&Span> = spans
        .iter()
        .map(|(_, s)| s)
        .filter(|s| {
            matches!(
                string(s, "gen_ai.operation.name"),
                Some("invoke_agent" | "invoke_workflow")
            )
        })
        .collect();
    if wrappers.len() < expect.wrappers {
        problems.push(format!(
            "{} agent/workflow spans, expected {}",
            wrappers.len(),
            expect.wrappers
        ));
    }
    problems.extend(check_conversation(expect, &calls));
    problems.extend(check_tools(expect, spans));
    problems
}

fn check_conversation(expect: &Expect, calls: &[&Span]) -> Vec<String> {
    let mut problems = Vec::new();
    let instructions = calls
        .iter()
        .filter_map(|c| json(c, "gen_ai.system_instructions"))
        .any(|i| mentions(&i, SYSTEM));
    if !instructions {
        problems.push("no model call has the system instruction in gen_ai.system_instructions".to_owned());
    }
    let outputs: Vec<Json> = calls.iter().filter_map(|c| json(c, "gen_ai.output.messages")).collect();
    let inputs: Vec<Json> = calls.iter().filter_map(|c| json(c, "gen_ai.input.messages")).collect();
    let tool_call = outputs.iter().flat_map(|o| parts_of(o, "assistant")).find(|p| {
        p.get("type").and_then(Json::as_str) == Some("tool_call")
            && p.get("name").and_then(Json::as_str) == Some("get_weather")
    });
    match tool_call {
        None => problems.push(format!("no output message has the get_weather tool call: {outputs:?}")),
        Some(part) => {
            if part.get("arguments") != Some(&serde_json::json!({"city": "Paris"})) {
                problems.push(format!(
                    "the tool call's arguments are not {{\"city\": \"Paris\"}}: {part}"
                ));
            }
            if expect.call_ids && part.get("id").and_then(Json::as_str) != Some("call_weather_1") {
                problems.push(format!("the tool call has no id call_weather_1: {part}"));
            }
        }
    }
    let result = inputs
        .iter()
        .flat_map(|i| parts_of(i, "tool"))
        .find(|p| p.get("type").and_then(Json::as_str) == Some("tool_call_response"));
    match result {
        None => problems.push(format!(
            "no input message has the tool's result as a tool_call_response part: {inputs:?}"
        )),
        Some(part) => {
            if !part.get("response").is_some_and(|r| mentions(r, "sunny")) {
                problems.push(format!("the tool result's response lost the result: {part}"));
            }
        }
    }
    let answered = outputs.iter().flat_map(|o| parts_of(o, "assistant")).any(|p| {
        p.get("type").and_then(Json::as_str) == Some("text") && p.get("content").and_then(Json::as_str) == Some(ANSWER)
    });
    if !answered {
        problems.push(format!("no output message has the answer as text: {outputs:?}"));
    }
    for input in &inputs {
        if input.as_array().is_some_and(|m| m.iter().any(|m| mentions(m, SYSTEM))) {
            problems.push(format!(
                "the system instruction is still in the input messages: {input}"
            ));
        }
    }
    problems
}

fn check_tools(expect: &Expect, spans: &[&(String, Span)]) -> Vec<String> {
    let mut problems = Vec::new();
    let tools: Vec<&Span> = spans
        .iter()
        .map(|(_, s)| s)
        .filter(|s| string(s, "gen_ai.operation.name") == Some("execute_tool"))
        .collect();
    if tools.len() != expect.tool_spans {
        problems.push(format!(
            "{} execute_tool spans, expected {}",
            tools.len(),
            expect.tool_spans
        ));
    }
    for tool in tools {
        let n = &tool.name;
        if string(tool, "gen_ai.tool.name") != Some("get_weather") {
            problems.push(format!("`{n}`: tool name {:?}", string(tool, "gen_ai.tool.name")));
        }
        let arguments = value(tool, "gen_ai.tool.call.arguments").map(|v| format!("{v:?}"));
        if !arguments.as_deref().is_some_and(|a| a.contains("Paris")) {
            problems.push(format!("`{n}`: tool arguments {arguments:?}"));
        }
        match string(tool, "gen_ai.tool.call.result") {
            Some(r) if r.contains("sunny") && !r.contains("tool_call_id") => {}
            other => problems.push(format!("`{n}`: tool result {other:?}, expected the tool's output")),
        }
        for key in ["gen_ai.input.messages", "gen_ai.output.messages"] {
            if value(tool, key).is_some() {
                problems.push(format!("`{n}`: a tool span has {key}"));
            }
        }
    }
    problems
}
