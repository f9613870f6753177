//! Logs and metrics on the same key as spans: the real Python SDK's OTLP log and metric
//! exporters (gRPC and HTTP/protobuf) and the real Node log exporter (HTTP/JSON),
//! configured only through `OTEL_*`, through intake into their own topics of a real
//! broker, read back with a real consumer: provenance stamped, spoofing removed, record
//! keys by session, trace or project.

use std::time::Duration;

use serde_json::json;

use crate::common::*;
use intake::otlp::{any_value, for_each_point_attributes};

fn start(project: &str, template: Option<&str>) -> (Tansu, Intake, TestKey) {
    let tansu = Tansu::start();
    tansu.create_signal_topics(2);
    let mut key = TestKey::new(project);
    key.entry.template = template.map(str::to_owned);
    let intake = Intake::start(
        &[&key],
        IntakeOptions {
            kafka: Some(tansu.brokers()),
            ..Default::default()
        },
    );
    (tansu, intake, key)
}

fn otel_env(endpoint: String, protocol: &str, key: &TestKey) -> Vec<(&'static str, String)> {
    vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol.to_owned()),
        (
            "OTEL_EXPORTER_OTLP_HEADERS",
            format!("Authorization=Bearer {}", key.token),
        ),
        ("OTEL_EXPORTER_OTLP_INSECURE", "true".to_owned()),
    ]
}

/// Reads `topic` until `count` records arrived (or 20 s).
fn records(tansu: &Tansu, topic: &str, count: usize) -> Vec<Consumed> {
    let reader = KafkaReader::new(&tansu.brokers(), topic);
    let out = reader.read_until(Duration::from_secs(20), |r| r.len() >= count);
    assert!(out.len() >= count, "{} of {count} records on {topic}", out.len());
    out
}

fn assert_stamped(resource: &intake::otlp::Resource, key: &TestKey) {
    let r = &resource.attributes;
    assert_eq!(attr_str(r, "langwatch.project.id"), Some(key.entry.project_id.as_str()));
    assert_eq!(r.iter().filter(|kv| kv.key == "langwatch.project.id").count(), 1);
    assert_eq!(attr_str(r, "langwatch.api_key.id"), key.entry.id.as_deref());
    assert_eq!(attr_str(r, "langwatch.source"), Some("e2e"));
    assert!(attr_str(r, "langwatch.organization_id").is_some());
}

#[test]
fn python_sdk_logs_and_metrics_reach_their_topics_stamped_over_grpc_and_http_protobuf() {
    let (tansu, intake, key) = start("proj-signals", Some("none"));
    let trace = "5b8efff798038103d269b633813fc60c";
    for (protocol, endpoint) in [
        ("grpc", format!("http://{}", intake.grpc)),
        ("http/protobuf", format!("http://{}", intake.http)),
    ] {
        let mut env = otel_env(endpoint, protocol, &key);
        let logs = json!([
            {"body": "in a session", "attributes": {"gen_ai.conversation.id": format!("conv-{protocol}"),
                "langwatch.project.id": "spoofed", "n": 1}},
            {"body": "in a trace", "attributes": {"n": 2}, "trace_id": trace},
            {"body": "alone", "attributes": {"n": 3}}
        ]);
        env.push(("INTAKE_TEST_LOGS", logs.to_string()));
        let metrics = json!([{"name": "test.requests", "unit": "1", "value": 3,
            "attributes": {"route": protocol, "langwatch.api_key.id": "spoofed"}}]);
        env.push(("INTAKE_TEST_METRICS", metrics.to_string()));
        let run = python_export_signals(&env);
        assert_eq!(
            (run.logs.as_str(), run.metrics.as_str()),
            ("SUCCESS", "SUCCESS"),
            "{}\n{}",
            run.output,
            intake.logs()
        );
    }

    // Logs: one record per key, each key as the session, the trace or the project says.
    let consumed = records(&tansu, LOGS_TOPIC, 6);
    let mut keys: Vec<&str> = consumed.iter().map(|c| c.key.as_str()).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            trace,
            trace,
            "conv-grpc",
            "conv-http/protobuf",
            "proj-signals",
            "proj-signals"
        ]
    );
    for record in &consumed {
        assert_eq!(record.headers.get("langwatch.signal").map(String::as_str), Some("logs"));
        assert_eq!(
            record.headers.get("langwatch.project.id").map(String::as_str),
            Some("proj-signals")
        );
        assert_eq!(
            record.headers.get("content-type").map(String::as_str),
            Some("application/x-protobuf")
        );
        for (log, resource) in record.log_records() {
            assert_stamped(&resource, &key);
            assert!(
                attr(&log.attributes, "langwatch.project.id").is_none(),
                "spoofing removed"
            );
            let n = attr(&log.attributes, "n").cloned();
            let body = log.body.as_ref().and_then(|b| b.value.clone());
            let expected_body = match n {
                Some(any_value::Value::IntValue(1)) => "in a session",
                Some(any_value::Value::IntValue(2)) => "in a trace",
                Some(any_value::Value::IntValue(3)) => "alone",
                other => panic!("unexpected record {other:?}"),
            };
            assert_eq!(body, Some(any_value::Value::StringValue(expected_body.into())));
            assert_eq!(log.severity_number, 9);
        }
    }

    // Metrics: keyed by project, the data point's spoofed key removed, values intact.
    let consumed = records(&tansu, METRICS_TOPIC, 2);
    let mut routes = Vec::new();
    for record in &consumed {
        assert_eq!(record.key, "proj-signals");
        assert_eq!(
            record.headers.get("langwatch.signal").map(String::as_str),
            Some("metrics")
        );
        for (mut metric, resource) in record.metrics() {
            assert_stamped(&resource, &key);
            assert_eq!(metric.name, "test.requests");
            for_each_point_attributes(&mut metric, |attributes| {
                assert!(attr(attributes, "langwatch.api_key.id").is_none(), "spoofing removed");
                routes.push(attr_str(attributes, "route").unwrap_or_default().to_owned());
            });
            let Some(intake::otlp::metrics::metric::Data::Sum(sum)) = &metric.data else {
                panic!("a counter is a sum")
            };
            assert_eq!(
                sum.data_points[0].value,
                Some(intake::otlp::metrics::number_data_point::Value::AsInt(3))
            );
        }
    }
    routes.sort();
    assert_eq!(routes, ["grpc", "http/protobuf"]);
    assert_eq!(intake.metric("intake_log_records_accepted_total"), 6.0);
    assert_eq!(intake.metric("intake_data_points_accepted_total"), 2.0);
    assert_eq!(
        intake.metric("intake_requests_total{transport=\"grpc\",status=\"OK\",signal=\"logs\"}"),
        1.0
    );
    assert_eq!(
        intake.metric("intake_requests_total{transport=\"http\",status=\"200\",signal=\"metrics\"}"),
        1.0
    );
}

#[test]
fn node_log_exporter_over_http_json_reaches_the_logs_topic_stamped() {
    let (tansu, intake, key) = start("proj-node-logs", Some("none"));
    let mut env = otel_env(format!("http://{}", intake.http), "http/json", &key);
    let logs = json!([{"body": "from node", "attributes": {"gen_ai.conversation.id": "conv-node",
        "langwatch.principal.id": "someone-else", "ratio": 0.25}}]);
    env.push(("INTAKE_TEST_LOGS", logs.to_string()));
    let run = node_export_logs(&env);
    assert!(run.success, "{}\n{}", run.output, intake.logs());
    let consumed = records(&tansu, LOGS_TOPIC, 1);
    assert_eq!(consumed[0].key, "conv-node");
    let logs = consumed[0].log_records();
    assert_eq!(logs.len(), 1);
    let (log, resource) = &logs[0];
    assert_stamped(resource, &key);
    assert!(attr(&resource.attributes, "langwatch.principal.id").is_none());
    assert!(
        attr(&log.attributes, "langwatch.principal.id").is_none(),
        "claimed principal removed"
    );
    assert_eq!(
        attr(&log.attributes, "ratio"),
        Some(&any_value::Value::DoubleValue(0.25))
    );
}

fn int(attributes: &[intake::otlp::KeyValue], key: &str) -> Option<i64> {
    match attr(attributes, key) {
        Some(any_value::Value::IntValue(i)) => Some(*i),
        other => panic!("{key} is {other:?}, not an int"),
    }
}

/// What Claude Code, Codex and Gemini CLI send as log events, sent with the real SDK log
/// exporter to a key with the `auto` template, come out canonical with exact types.
#[test]
fn agent_log_events_become_canonical_under_auto() {
    let (tansu, intake, key) = start("proj-agents", None);
    let endpoint = format!("http://{}", intake.http);
    let sessions = [
        (
            "com.anthropic.claude_code.events",
            json!([
                {"body": "claude_code.user_prompt", "attributes": {"event.name": "user_prompt", "session.id": "cc-1", "prompt": "say \"hi\""}},
                {"body": "claude_code.api_request", "attributes": {"event.name": "api_request", "session.id": "cc-1",
                    "model": "claude-sonnet-4-5", "input_tokens": 100, "cache_read_tokens": 1000,
                    "cache_creation_tokens": 200, "output_tokens": 50, "cost_usd": 0.0123, "request_id": "req_1"}},
                {"body": "claude_code.tool_result", "attributes": {"event.name": "tool_result", "session.id": "cc-1",
                    "tool_name": "Read", "tool_use_id": "toolu_1", "success": "true", "tool_input": "{\"file\":\"a\"}"}}
            ]),
        ),
        (
            "codex_otel.log_only",
            json!([{"attributes": {"event.name": "codex.sse_event", "event.kind": "response.completed",
                "conversation.id": "cx-1", "model": "gpt-5-codex", "input_token_count": "1234",
                "output_token_count": "56", "cached_token_count": 1000, "reasoning_token_count": 7}}]),
        ),
        (
            "gemini-cli",
            json!([{"body": "API response", "attributes": {"event.name": "gemini_cli.api_response", "session.id": "gm-1",
                "model": "gemini-2.5-flash", "input_token_count": 1234, "output_token_count": 56,
                "cached_content_token_count": 1000, "thoughts_token_count": 7, "auth_type": "gemini-api-key"}}]),
        ),
    ];
    for (scope, logs) in &sessions {
        let mut env = otel_env(endpoint.clone(), "http/protobuf", &key);
        env.push(("INTAKE_TEST_LOGS", logs.to_string()));
        env.push(("INTAKE_TEST_SCOPE", (*scope).to_owned()));
        let run = python_export_signals(&env);
        assert_eq!(run.logs, "SUCCESS", "{}\n{}", run.output, intake.logs());
    }
    let consumed = records(&tansu, LOGS_TOPIC, 3);
    let mut events = std::collections::BTreeMap::new();
    for record in &consumed {
        for (log, resource) in record.log_records() {
            assert_eq!(
                attr_str(&resource.attributes, "langwatch.template.id"),
                Some("auto@1"),
                "the default template ran"
            );
            let conversation = attr_str(&log.attributes, "gen_ai.conversation.id").map(str::to_owned);
            assert_eq!(
                Some(record.key.clone()),
                conversation,
                "a session's events share its key"
            );
            let name = attr_str(&log.attributes, "event.name").unwrap_or_default().to_owned();
            events.insert(name, log.attributes);
        }
    }
    let call = &events["api_request"];
    assert_eq!(attr_str(call, "gen_ai.operation.name"), Some("chat"));
    assert_eq!(attr_str(call, "gen_ai.provider.name"), Some("anthropic"));
    assert_eq!(attr_str(call, "gen_ai.request.model"), Some("claude-sonnet-4-5"));
    assert_eq!(int(call, "gen_ai.usage.input_tokens"), Some(1300));
    assert_eq!(int(call, "gen_ai.usage.cache_read.input_tokens"), Some(1000));
    assert_eq!(int(call, "gen_ai.usage.cache_creation.input_tokens"), Some(200));
    assert_eq!(int(call, "gen_ai.usage.output_tokens"), Some(50));
    assert_eq!(
        attr(call, "langwatch.cost.usd"),
        Some(&any_value::Value::DoubleValue(0.0123))
    );
    assert_eq!(attr_str(call, "gen_ai.response.id"), Some("req_1"));
    assert!(attr(call, "input_tokens").is_none() && attr(call, "cost_usd").is_none());
    let prompt = &events["user_prompt"];
    let messages: serde_json::Value =
        serde_json::from_str(attr_str(prompt, "gen_ai.input.messages").expect("messages")).unwrap();
    assert_eq!(
        messages,
        json!([{"role": "user", "parts": [{"type": "text", "content": "say \"hi\""}]}])
    );
    let tool = &events["tool_result"];
    assert_eq!(attr_str(tool, "gen_ai.operation.name"), Some("execute_tool"));
    assert_eq!(attr_str(tool, "gen_ai.tool.name"), Some("Read"));
    assert_eq!(attr_str(tool, "gen_ai.tool.call.id"), Some("toolu_1"));
    assert_eq!(attr_str(tool, "gen_ai.tool.call.arguments"), Some("{\"file\":\"a\"}"));

    let codex = &events["codex.sse_event"];
    assert_eq!(attr_str(codex, "gen_ai.operation.name"), Some("chat"));
    assert_eq!(attr_str(codex, "gen_ai.provider.name"), Some("openai"));
    assert_eq!(int(codex, "gen_ai.usage.input_tokens"), Some(1234));
    assert_eq!(int(codex, "gen_ai.usage.output_tokens"), Some(56));
    assert_eq!(int(codex, "gen_ai.usage.cache_read.input_tokens"), Some(1000));
    assert_eq!(int(codex, "gen_ai.usage.reasoning.output_tokens"), Some(7));

    let gemini = &events["gemini_cli.api_response"];
    assert_eq!(attr_str(gemini, "gen_ai.provider.name"), Some("gcp.gemini"));
    assert_eq!(attr_str(gemini, "gen_ai.request.model"), Some("gemini-2.5-flash"));
    assert_eq!(int(gemini, "gen_ai.usage.input_tokens"), Some(1234));
    assert_eq!(int(gemini, "gen_ai.usage.reasoning.output_tokens"), Some(7));
    assert_eq!(attr_str(gemini, "gen_ai.conversation.id"), Some("gm-1"));
}

/// Bad input on the logs and metrics endpoints gets the same answers as on spans, on both
/// transports, and loses nothing else: bombs 413 without a retry hint, garbage 400, too many
/// items 413, unsupported media 415; partial success names rejected log records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_and_metrics_endpoints_refuse_bad_input_like_spans() {
    use intake::otlp::{metrics, ExportLogsServiceResponse, ExportMetricsServiceRequest, ExportMetricsServiceResponse};
    use prost::Message;
    let tansu = Tansu::start();
    tansu.create_signal_topics(1);
    let key = TestKey::new("proj-bad-input");
    let intake = Intake::start(
        &[&key],
        IntakeOptions {
            kafka: Some(tansu.brokers()),
            extra_toml: "[limits]\nmax_log_records_per_request = 50\nmax_data_points_per_request = 5\nmax_decompressed_bytes = 4194304\n".to_owned(),
            ..Default::default()
        },
    );
    let bearer = key.bearer();
    let auth = ("authorization", bearer.as_str());
    let proto = ("content-type", "application/x-protobuf");
    let bomb = gzip(&vec![0u8; 32 * 1024 * 1024]);
    for path in ["/v1/logs", "/v1/metrics", "/api/otel/v1/logs", "/api/otel/v1/metrics"] {
        let reply = http_post(
            intake.http,
            path,
            &[auth, proto, ("content-encoding", "gzip")],
            bomb.clone(),
        )
        .await;
        assert_eq!(reply.status, 413, "{path} bomb");
        assert!(reply.headers.get("retry-after").is_none());
        let reply = http_post(intake.http, path, &[auth, proto], vec![0xff, 0xff, 0xff]).await;
        assert_eq!(reply.status, 400, "{path} garbage");
        let reply = http_post(
            intake.http,
            path,
            &[auth, ("content-type", "application/json")],
            b"{\"resourceLogs\": 7".to_vec(),
        )
        .await;
        assert_eq!(reply.status, 400, "{path} bad JSON");
        let reply = http_post(
            intake.http,
            path,
            &[auth, ("content-type", "text/plain")],
            b"hi".to_vec(),
        )
        .await;
        assert_eq!(reply.status, 415, "{path} media type");
        let reply = http_post(intake.http, path, &[proto], Vec::new()).await;
        assert_eq!(reply.status, 401, "{path} without a key");
    }
    // Too many items: 413 on HTTP, RESOURCE_EXHAUSTED on gRPC.
    let logs = make_logs_request("too-many", 51, 10).encode_to_vec();
    let reply = http_post(intake.http, "/v1/logs", &[auth, proto], logs.clone()).await;
    assert_eq!(reply.status, 413);
    let logs_path = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
    let reply = grpc_call_to(intake.grpc, logs_path, &[auth], grpc_frame(&logs, false)).await;
    assert_eq!(reply.grpc_status, Some(8));
    let points = ExportMetricsServiceRequest {
        resource_metrics: vec![metrics::ResourceMetrics {
            scope_metrics: vec![metrics::ScopeMetrics {
                metrics: vec![metrics::Metric {
                    name: "m".into(),
                    data: Some(metrics::metric::Data::Gauge(metrics::Gauge {
                        data_points: vec![metrics::NumberDataPoint::default(); 6],
                    })),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let reply = http_post(intake.http, "/v1/metrics", &[auth, proto], points.encode_to_vec()).await;
    assert_eq!(reply.status, 413);
    let metrics_path = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
    let reply = grpc_call_to(
        intake.grpc,
        metrics_path,
        &[auth],
        grpc_frame(&points.encode_to_vec(), false),
    )
    .await;
    assert_eq!(reply.grpc_status, Some(8));
    let reply = grpc_call_to(intake.grpc, metrics_path, &[auth], grpc_frame(&bomb, true)).await;
    assert_ne!(reply.grpc_status, Some(0), "a bomb is never success");

    // A log record with a malformed trace id is rejected alone, and said so.
    let mut partial = make_logs_request("partial", 3, 10);
    partial.resource_logs[0].scope_logs[0].log_records[1].trace_id = vec![1, 2, 3];
    let reply = grpc_call_to(
        intake.grpc,
        logs_path,
        &[auth],
        grpc_frame(&partial.encode_to_vec(), false),
    )
    .await;
    assert_eq!(reply.grpc_status, Some(0));
    let response = ExportLogsServiceResponse::decode(&reply.body[5..]).expect("response");
    let partial_success = response.partial_success.expect("partial success");
    assert_eq!(partial_success.rejected_log_records, 1);
    assert!(
        partial_success.error_message.contains("1 log record rejected"),
        "{}",
        partial_success.error_message
    );
    // Within the limit, metrics go through with no partial success, as JSON too.
    let mut fine = points.clone();
    if let Some(metrics::metric::Data::Gauge(g)) = &mut fine.resource_metrics[0].scope_metrics[0].metrics[0].data {
        g.data_points.truncate(5);
    }
    let json = intake::otlp::json::encode_metrics_request(&fine);
    let reply = http_post(
        intake.http,
        "/v1/metrics",
        &[auth, ("content-type", "application/json")],
        json,
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(String::from_utf8_lossy(&reply.body), "{}");
    let reply = http_post(intake.http, "/v1/metrics", &[auth, proto], fine.encode_to_vec()).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        ExportMetricsServiceResponse::decode(&reply.body[..])
            .expect("response")
            .partial_success,
        None
    );
    // Only what was accepted reached Kafka: 2 log records, 2 × 5 data points.
    let logs = records(&tansu, LOGS_TOPIC, 1);
    assert_eq!(logs.iter().map(|r| r.log_records().len()).sum::<usize>(), 2);
    assert_eq!(intake.metric("intake_data_points_accepted_total"), 10.0);
    assert_eq!(
        intake.metric("intake_log_records_rejected_total{reason=\"too_many_log_records\"}"),
        102.0
    );
    assert_eq!(
        intake.metric("intake_log_records_rejected_total{reason=\"invalid_id\"}"),
        1.0
    );
}

/// A missing logs topic takes only logs out: log requests get 503 at once, spans still
/// flow, and `/readyz` names the topic until it exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_logs_topic_refuses_logs_only_and_readyz_names_it() {
    use prost::Message;
    let tansu = Tansu::start();
    tansu.create_topic(TOPIC, 1);
    tansu.create_topic(METRICS_TOPIC, 1);
    let key = TestKey::new("proj-no-logs-topic");
    let intake = Intake::start(
        &[&key],
        IntakeOptions {
            kafka: Some(tansu.brokers()),
            wait_ready: false,
            ..Default::default()
        },
    );
    let readyz = || async {
        let reply = http_get(intake.admin, "/readyz").await;
        (reply.status, String::from_utf8_lossy(&reply.body).into_owned())
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let mut status = readyz().await;
    while !status.1.contains("otlp_logs") && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        status = readyz().await;
    }
    assert_eq!(status.0, 503);
    assert!(status.1.contains("kafka topic missing: otlp_logs"), "{}", status.1);
    let bearer = key.bearer();
    let headers = [
        ("authorization", bearer.as_str()),
        ("content-type", "application/x-protobuf"),
    ];
    let started = std::time::Instant::now();
    let reply = http_post(
        intake.http,
        "/v1/logs",
        &headers,
        make_logs_request("no-topic", 2, 10).encode_to_vec(),
    )
    .await;
    assert_eq!(reply.status, 503);
    assert!(reply.headers.get("retry-after").is_some());
    assert!(started.elapsed() < Duration::from_secs(2), "answered at once");
    let spans = make_request("spans-still-flow", 1, 2, 10);
    let reply = http_post(intake.http, "/v1/traces", &headers, spans.encode_to_vec()).await;
    assert_eq!(reply.status, 200, "{}", intake.logs());

    tansu.create_topic(LOGS_TOPIC, 1);
    intake.wait_ready(Duration::from_secs(15));
    let reply = http_post(
        intake.http,
        "/v1/logs",
        &headers,
        make_logs_request("topic-made", 2, 10).encode_to_vec(),
    )
    .await;
    assert_eq!(reply.status, 200);
    let consumed = records(&tansu, LOGS_TOPIC, 1);
    assert_eq!(consumed[0].key, "topic-made");
}
