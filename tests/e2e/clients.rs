//! Real OpenTelemetry exporters (Python gRPC, Python HTTP/protobuf, Node HTTP/JSON),
//! configured only through OTEL_EXPORTER_OTLP_* variables, through intake into a real
//! Kafka-protocol broker, read back with a real consumer.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::common::*;
use intake::otlp::any_value;

struct Setup {
    tansu: Tansu,
    intake: Intake,
    key: TestKey,
}

fn setup(key_mode: &str, encoding: &str) -> Setup {
    let tansu = Tansu::start();
    tansu.create_signal_topics(3);
    let mut key = TestKey::new("proj-e2e");
    key.entry.principal_id = Some("engineer-7".to_owned());
    let intake = Intake::start(
        &[&key],
        IntakeOptions {
            kafka: Some(tansu.brokers()),
            extra_toml: format!("key = \"{key_mode}\"\nencoding = \"{encoding}\"\n"),
            ..Default::default()
        },
    );
    Setup { tansu, intake, key }
}

fn check_delivery(setup: &Setup, run: &SdkRun, expect_key: &str, expect_content_type: &str) {
    assert!(run.success, "export failed:\n{}\n{}", run.output, setup.intake.logs());
    let expected: BTreeSet<String> = run.span_ids.iter().cloned().collect();
    let reader = KafkaReader::new(&setup.tansu.brokers(), TOPIC);
    let spans = reader.spans_until(Duration::from_secs(20), expected.len());
    let got: Vec<String> = spans.iter().map(|(_, s, _)| hex::encode(&s.span_id)).collect();
    assert_eq!(
        got.len(),
        expected.len(),
        "span count: got {got:?}, expected {expected:?}"
    );
    assert_eq!(got.iter().cloned().collect::<BTreeSet<_>>(), expected, "span ids");
    for (record, span, resource) in &spans {
        let trace = hex::encode(&span.trace_id);
        assert!(run.trace_ids.contains(&trace), "trace id {trace} was not sent");
        // Record key: the trace id, or the project id.
        let key = if expect_key == "trace_id" {
            trace.clone()
        } else {
            "proj-e2e".to_owned()
        };
        assert_eq!(record.key, key);
        // Headers.
        assert_eq!(
            record.headers.get("langwatch.project.id").map(String::as_str),
            Some("proj-e2e")
        );
        assert_eq!(record.headers.get("langwatch.api_key.id"), setup.key.entry.id.as_ref());
        assert_eq!(
            record.headers.get("content-type").map(String::as_str),
            Some(expect_content_type)
        );
        // Provenance overwrote the client's claim.
        let r = &resource.attributes;
        assert_eq!(attr_str(r, "langwatch.project.id"), Some("proj-e2e"));
        assert_eq!(attr_str(r, "langwatch.organization_id"), Some("org-of-proj-e2e"));
        assert_eq!(attr_str(r, "langwatch.source"), Some("e2e"));
        assert_eq!(attr_str(r, "langwatch.api_key.id"), setup.key.entry.id.as_deref());
        assert_eq!(attr_str(r, "langwatch.principal.id"), Some("engineer-7"));
        assert_eq!(r.iter().filter(|kv| kv.key == "langwatch.project.id").count(), 1);
        // The client's own attributes arrive untouched, with their types.
        assert!(attr_str(r, "service.name").is_some_and(|s| s.ends_with("-client")));
        assert_eq!(attr_str(&span.attributes, "test.run"), Some("e2e-run"));
        if span.name.contains("child-1") {
            assert_eq!(
                attr(&span.attributes, "test.index"),
                Some(&any_value::Value::IntValue(1))
            );
            assert_eq!(
                attr(&span.attributes, "test.ratio"),
                Some(&any_value::Value::DoubleValue(0.5))
            );
        }
    }
}

fn otel_env(endpoint: String, protocol: &str, key: &TestKey, spans: usize) -> Vec<(&'static str, String)> {
    vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol.to_owned()),
        (
            "OTEL_EXPORTER_OTLP_HEADERS",
            format!("Authorization=Bearer {}", key.token),
        ),
        ("OTEL_EXPORTER_OTLP_INSECURE", "true".to_owned()),
        ("INTAKE_TEST_SPANS", spans.to_string()),
        ("INTAKE_TEST_RUN", "e2e-run".to_owned()),
    ]
}

#[test]
fn python_sdk_over_grpc_reaches_kafka_with_provenance() {
    let setup = setup("trace_id", "otlp_proto");
    let env = otel_env(format!("http://{}", setup.intake.grpc), "grpc", &setup.key, 5);
    let run = python_export(&env);
    check_delivery(&setup, &run, "trace_id", "application/x-protobuf");
}

#[test]
fn python_sdk_over_http_protobuf_reaches_kafka_with_provenance() {
    let setup = setup("trace_id", "otlp_proto");
    let env = otel_env(format!("http://{}", setup.intake.http), "http/protobuf", &setup.key, 7);
    let run = python_export(&env);
    check_delivery(&setup, &run, "trace_id", "application/x-protobuf");
}

#[test]
fn node_sdk_over_http_json_reaches_kafka_as_otlp_json_keyed_by_project() {
    let setup = setup("project_id", "otlp_json");
    let env = otel_env(format!("http://{}", setup.intake.http), "http/json", &setup.key, 4);
    let run = node_export(&env);
    check_delivery(&setup, &run, "project_id", "application/json");
}

#[test]
fn the_langwatch_path_and_x_auth_token_work_for_a_real_exporter() {
    let setup = setup("trace_id", "otlp_proto");
    let mut env = otel_env(String::new(), "http/protobuf", &setup.key, 2);
    env.retain(|(k, _)| *k != "OTEL_EXPORTER_OTLP_ENDPOINT" && *k != "OTEL_EXPORTER_OTLP_HEADERS");
    env.push((
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        format!("http://{}/api/otel/v1/traces", setup.intake.http),
    ));
    env.push((
        "OTEL_EXPORTER_OTLP_HEADERS",
        format!("X-Auth-Token={}", setup.key.token),
    ));
    let run = python_export(&env);
    check_delivery(&setup, &run, "trace_id", "application/x-protobuf");
}
