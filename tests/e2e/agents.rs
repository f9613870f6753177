//! Every request in `shared/fixtures/agents/` (what Claude Code, Codex, Gemini CLI and
//! Copilot CLI really sent over all three signals) replayed through intake with the
//! transport, encoding and framing each agent used, to a key with the `auto` template;
//! the canonical attributes checked in what a real consumer reads back.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::common::*;
use intake::otlp::{any_value, for_each_point_attributes, ExportRequest, KeyValue, Signal};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/agents")
}

/// Sends every captured request of `agent` as it was sent; returns how many went.
fn replay(intake: &Intake, key: &TestKey, agent: &str) -> usize {
    let mut sent = 0;
    for signal in ["traces", "logs", "metrics"] {
        let path = fixtures().join(agent).join(format!("{signal}.jsonl"));
        if agent == "copilot" && signal == "logs" {
            // Copilot CLI sends spans and metrics only.
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let capture: serde_json::Value = serde_json::from_str(line).expect("capture line");
            let json_body = serde_json::to_vec(&capture["body"]).expect("body");
            let (content_type, body) = if capture["encoding"] == "json" {
                ("application/json", json_body)
            } else {
                // The capture holds the protobuf request as JSON: send it as protobuf again.
                let kind = match signal {
                    "logs" => Signal::Logs,
                    "metrics" => Signal::Metrics,
                    _ => Signal::Traces,
                };
                let request = ExportRequest::decode(kind, intake::otlp::Encoding::Json, &json_body)
                    .unwrap_or_else(|e| panic!("{agent} {signal}: {e}"));
                ("application/x-protobuf", request.encode_protobuf())
            };
            let path = capture["path"].as_str().unwrap_or("/v1/traces");
            let headers = [
                ("authorization", key.bearer()),
                ("content-type", content_type.to_owned()),
            ];
            let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let status = if capture["framing"] == "chunked" {
                http_post_chunked(intake.http, path, &headers, &body)
            } else {
                block_on_fresh_runtime(http_post(intake.http, path, &headers, body)).status
            };
            assert_eq!(status, 200, "{agent} {signal} {path}: {}", intake.logs());
            sent += 1;
        }
    }
    sent
}

fn block_on_fresh_runtime<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

fn string(attributes: &[KeyValue], key: &str) -> Option<String> {
    attr_str(attributes, key).map(str::to_owned)
}

fn int(attributes: &[KeyValue], key: &str) -> Option<i64> {
    match attr(attributes, key) {
        Some(any_value::Value::IntValue(i)) => Some(*i),
        None => None,
        other => panic!("{key} is {other:?}, not an int"),
    }
}

/// The session a record names in the agent's own attributes.
fn own_session(attributes: &[KeyValue], resource: &[KeyValue]) -> Option<String> {
    string(attributes, "session.id")
        .or_else(|| string(attributes, "conversation.id"))
        .or_else(|| string(resource, "session.id"))
}

#[test]
fn every_agent_capture_replayed_comes_out_canonical() {
    let tansu = Tansu::start();
    tansu.create_signal_topics(2);
    let key = TestKey::new("proj-agents");
    let intake = Intake::start(
        &[&key],
        IntakeOptions {
            kafka: Some(tansu.brokers()),
            // Codex's traces request is over 1 MB in JSON.
            extra_toml: "max_message_bytes = 4000000\n".to_owned(),
            ..Default::default()
        },
    );
    let mut requests = 0;
    for agent in [
        "claude-code",
        "claude-code-tool",
        "codex",
        "gemini-cli",
        "gemini-cli-tool",
        "copilot",
    ] {
        requests += replay(&intake, &key, agent);
    }
    assert!(requests >= 15, "{requests} requests replayed");

    // Logs: the model-call events, and every record's session.
    let reader = KafkaReader::new(&tansu.brokers(), LOGS_TOPIC);
    let logs: Vec<_> = reader
        .read_until(Duration::from_secs(10), |_| false)
        .iter()
        .flat_map(|r| r.log_records())
        .collect();
    assert!(logs.len() > 40, "{} log records", logs.len());
    let mut calls: BTreeMap<String, Vec<Vec<KeyValue>>> = BTreeMap::new();
    for (log, resource) in &logs {
        if let Some(session) = own_session(&log.attributes, &resource.attributes) {
            assert_eq!(
                string(&log.attributes, "gen_ai.conversation.id"),
                Some(session),
                "{log:?}"
            );
        }
        if string(&log.attributes, "gen_ai.operation.name").as_deref() == Some("chat") {
            let name = string(&log.attributes, "event.name").unwrap_or_default();
            calls.entry(name).or_default().push(log.attributes.clone());
        }
    }
    // Claude Code: input includes the cache (1234 + 1000 + 200), cost as a double.
    let claude = &calls["api_request"];
    assert_eq!(claude.len(), 3, "one per model call: 1 plain run, 2 in the tool run");
    for call in claude {
        assert_eq!(int(call, "gen_ai.usage.input_tokens"), Some(2434));
        assert_eq!(int(call, "gen_ai.usage.output_tokens"), Some(56));
        assert_eq!(int(call, "gen_ai.usage.cache_read.input_tokens"), Some(1000));
        assert_eq!(int(call, "gen_ai.usage.cache_creation.input_tokens"), Some(200));
        let Some(any_value::Value::DoubleValue(cost)) = attr(call, "langwatch.cost.usd") else {
            panic!("cost is not a double: {call:?}")
        };
        assert!((cost - 0.005592).abs() < 1e-9, "{cost}");
        assert_eq!(string(call, "gen_ai.provider.name").as_deref(), Some("anthropic"));
    }
    // Codex: the completed response, ints from strings and ints.
    let codex = &calls["codex.sse_event"];
    assert_eq!(codex.len(), 1, "the count-less response.completed is not a call");
    assert_eq!(int(&codex[0], "gen_ai.usage.input_tokens"), Some(1234));
    assert_eq!(int(&codex[0], "gen_ai.usage.cache_read.input_tokens"), Some(1000));
    assert_eq!(int(&codex[0], "gen_ai.usage.reasoning.output_tokens"), Some(7));
    assert_eq!(int(&codex[0], "gen_ai.usage.output_tokens"), Some(56));
    // Gemini CLI: likewise; the details records keep their usage aside (counted once).
    let gemini = &calls["gemini_cli.api_response"];
    assert_eq!(gemini.len(), 3);
    for call in gemini {
        assert_eq!(int(call, "gen_ai.usage.input_tokens"), Some(1234));
        assert_eq!(int(call, "gen_ai.usage.cache_read.input_tokens"), Some(1000));
        assert_eq!(int(call, "gen_ai.usage.reasoning.output_tokens"), Some(7));
        assert_eq!(int(call, "gen_ai.usage.output_tokens"), Some(56));
        assert_eq!(string(call, "gen_ai.provider.name").as_deref(), Some("gcp.gemini"));
    }
    let with_usage = logs
        .iter()
        .filter(|(l, _)| attr(&l.attributes, "gen_ai.usage.input_tokens").is_some())
        .count();
    assert_eq!(with_usage, 3 + 1 + 3, "usage once per model call");

    // Metrics: every data point that names a session carries it canonically.
    let reader = KafkaReader::new(&tansu.brokers(), METRICS_TOPIC);
    let mut points = 0;
    for record in reader.read_until(Duration::from_secs(10), |_| false) {
        for (mut metric, resource) in record.metrics() {
            for_each_point_attributes(&mut metric, |attributes| {
                if let Some(session) = own_session(attributes, &resource.attributes) {
                    assert_eq!(string(attributes, "gen_ai.conversation.id"), Some(session));
                    points += 1;
                }
            });
        }
    }
    assert!(points > 10, "{points} data points with a session");

    // Spans: Copilot's chat spans, already canonical, are unchanged; its invoke_agent no
    // longer counts the turn's usage again; Codex's sessions come from conversation.id.
    let reader = KafkaReader::new(&tansu.brokers(), TOPIC);
    let spans = reader.spans_until(Duration::from_secs(20), 400);
    let copilot_chat: Vec<_> = spans.iter().filter(|(_, s, _)| s.name.starts_with("chat ")).collect();
    assert!(!copilot_chat.is_empty());
    for (_, span, _) in &copilot_chat {
        assert_eq!(int(&span.attributes, "gen_ai.usage.input_tokens"), Some(1234));
        assert_eq!(int(&span.attributes, "gen_ai.usage.output_tokens"), Some(56));
        assert_eq!(
            int(&span.attributes, "gen_ai.usage.cache_read.input_tokens"),
            Some(1000)
        );
        assert!(string(&span.attributes, "gen_ai.conversation.id").is_some());
    }
    for (_, span, _) in spans.iter().filter(|(_, s, _)| s.name == "invoke_agent") {
        assert!(
            attr(&span.attributes, "gen_ai.usage.input_tokens").is_none(),
            "{span:?}"
        );
        assert!(int(&span.attributes, "github.copilot.invoke_agent.usage.input_tokens").is_some());
    }
    for (_, span, _) in spans.iter().filter(|(_, s, _)| s.name == "session_task.turn") {
        assert!(
            attr(&span.attributes, "gen_ai.usage.input_tokens").is_none(),
            "turn usage counted once"
        );
    }
    let codex_sessions: Vec<_> = spans
        .iter()
        .filter_map(|(_, s, _)| string(&s.attributes, "gen_ai.conversation.id"))
        .filter(|c| !c.contains('-') || c.len() != 36)
        .collect();
    assert!(
        codex_sessions.is_empty(),
        "only session uuids become conversation ids: {codex_sessions:?}"
    );
    let tool_spans = spans.iter().filter(|(_, s, _)| s.name == "exec_command").count();
    let tools_mapped = spans
        .iter()
        .filter(|(_, s, _)| s.name == "exec_command")
        .filter(|(_, s, _)| string(&s.attributes, "gen_ai.operation.name").as_deref() == Some("execute_tool"))
        .count();
    assert_eq!(tool_spans, tools_mapped);
}
