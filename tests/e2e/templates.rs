//! Templates in the receiver: a key bound to a template has it applied to every request,
//! end to end through a real exporter and a real broker; templates edited on disk take
//! effect without a restart, and a broken edit keeps the old version serving.

use std::time::{Duration, Instant};

use crate::common::*;
use intake::otlp::any_value;
use prost::Message;

#[test]
fn a_key_bound_to_openinference_turns_an_sdk_span_into_canonical_gen_ai() {
    let tansu = Tansu::start();
    tansu.create_signal_topics(1);
    let mut key = TestKey::new("proj-oi");
    key.entry.template = Some("openinference".into());
    let intake = Intake::start(
        &[&key],
        IntakeOptions {
            kafka: Some(tansu.brokers()),
            ..Default::default()
        },
    );
    let attributes = serde_json::json!({
        "openinference.span.kind": "LLM",
        "llm.model_name": "gpt-4-0613",
        "llm.provider": "openai",
        "llm.invocation_parameters": "{\"model\":\"gpt-4\",\"temperature\":0.5,\"max_completion_tokens\":200}",
        "llm.input_messages.0.message.role": "system",
        "llm.input_messages.0.message.content": "Be brief.",
        "llm.input_messages.1.message.role": "user",
        "llm.input_messages.1.message.content": "Weather in Paris?",
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.content": "Rainy.",
        "llm.token_count.prompt": "97",
        "llm.token_count.completion": 52,
        "session.id": "sess-1"
    });
    let run = python_export(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{}", intake.http)),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf".to_owned()),
        (
            "OTEL_EXPORTER_OTLP_HEADERS",
            format!("Authorization=Bearer {}", key.token),
        ),
        ("INTAKE_TEST_SPANS", "1".to_owned()),
        ("INTAKE_TEST_RUN", "oi".to_owned()),
        ("INTAKE_TEST_ATTRIBUTES", attributes.to_string()),
    ]);
    assert!(run.success, "{}\n{}", run.output, intake.logs());
    let reader = KafkaReader::new(&tansu.brokers(), TOPIC);
    let spans = reader.spans_until(Duration::from_secs(20), 1);
    assert_eq!(spans.len(), 1);
    let (record, span, resource) = &spans[0];
    let a = &span.attributes;
    assert_eq!(attr_str(a, "gen_ai.operation.name"), Some("chat"));
    assert_eq!(attr_str(a, "gen_ai.provider.name"), Some("openai"));
    assert_eq!(attr_str(a, "gen_ai.request.model"), Some("gpt-4"));
    assert_eq!(attr_str(a, "gen_ai.response.model"), Some("gpt-4-0613"));
    assert_eq!(
        attr(a, "gen_ai.request.temperature"),
        Some(&any_value::Value::DoubleValue(0.5))
    );
    assert_eq!(
        attr(a, "gen_ai.request.max_tokens"),
        Some(&any_value::Value::IntValue(200))
    );
    assert_eq!(
        attr(a, "gen_ai.usage.input_tokens"),
        Some(&any_value::Value::IntValue(97)),
        "stringified number converted"
    );
    assert_eq!(
        attr(a, "gen_ai.usage.output_tokens"),
        Some(&any_value::Value::IntValue(52))
    );
    assert_eq!(attr_str(a, "gen_ai.conversation.id"), Some("sess-1"));
    assert_eq!(
        attr_str(a, "gen_ai.system_instructions"),
        Some(r#"[{"type":"text","content":"Be brief."}]"#)
    );
    assert_eq!(
        attr_str(a, "gen_ai.input.messages"),
        Some(r#"[{"role":"user","parts":[{"type":"text","content":"Weather in Paris?"}]}]"#)
    );
    assert_eq!(
        attr_str(a, "gen_ai.output.messages"),
        Some(r#"[{"role":"assistant","parts":[{"type":"text","content":"Rainy."}]}]"#)
    );
    for gone in [
        "llm.model_name",
        "llm.provider",
        "llm.token_count.prompt",
        "llm.input_messages.0.message.role",
        "session.id",
    ] {
        assert!(attr(a, gone).is_none(), "{gone} should be translated away");
    }
    assert_eq!(
        attr_str(a, "test.run"),
        Some("oi"),
        "attributes the template does not know stay"
    );
    assert_eq!(
        attr_str(&resource.attributes, "langwatch.template.id"),
        Some("openinference@1")
    );
    assert_eq!(
        record.headers.get("langwatch.template.id").map(String::as_str),
        Some("openinference@1")
    );
}

fn post(intake: &Intake, key: &TestKey, request: &intake::otlp::ExportTraceServiceRequest) -> u16 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let bearer = key.bearer();
    runtime
        .block_on(http_post(
            intake.http,
            "/v1/traces",
            &[("authorization", &bearer), ("content-type", "application/x-protobuf")],
            request.encode_to_vec(),
        ))
        .status
}

fn last_marker(intake: &Intake) -> Option<String> {
    let text = std::fs::read_to_string(intake.dir.path().join("spans.jsonl")).ok()?;
    let line = text.lines().last()?;
    let request = intake::otlp::json::decode_request(line.as_bytes()).ok()?;
    let span = &request.resource_spans[0].scope_spans[0].spans[0];
    attr_str(&span.attributes, "marker").map(str::to_owned)
}

#[test]
fn an_edited_template_applies_without_restart_and_a_broken_edit_keeps_the_old_one() {
    let templates = tempfile::tempdir().unwrap();
    let path = templates.path().join("mine.yaml");
    let version = |marker: &str| {
        format!("slug: mine\nversion: 1\ntrace_statements:\n  - set(span.attributes[\"marker\"], \"{marker}\")\n")
    };
    std::fs::write(&path, version("v1")).unwrap();
    let mut key = TestKey::new("proj-edit");
    key.entry.template = Some("mine".into());
    let mut missing = TestKey::new("proj-edit");
    missing.entry.template = Some("no-such-template".into());
    let intake = Intake::start(
        &[&key, &missing],
        IntakeOptions {
            extra_toml: format!(
                "[templates]\ndirs = [{:?}]\nreload_interval = \"200ms\"\n",
                templates.path().display().to_string()
            ),
            ..Default::default()
        },
    );
    // A key naming a template that does not exist is rejected when keys load.
    assert!(
        intake.logs().contains("key names a template that does not exist"),
        "{}",
        intake.logs()
    );
    assert_eq!(post(&intake, &missing, &make_request("m", 1, 1, 1)), 401);

    assert_eq!(post(&intake, &key, &make_request("a", 1, 1, 1)), 200);
    assert_eq!(last_marker(&intake).as_deref(), Some("v1"));

    std::fs::write(&path, version("v2")).unwrap();
    let started = Instant::now();
    loop {
        assert_eq!(post(&intake, &key, &make_request("b", 1, 1, 1)), 200);
        if last_marker(&intake).as_deref() == Some("v2") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "edit not picked up:\n{}",
            intake.logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    std::fs::write(
        &path,
        "slug: mine\nversion: 1\ntrace_statements:\n  - set(span.attributes[\"marker\"], Nope())\n",
    )
    .unwrap();
    let started = Instant::now();
    while !intake.logs().contains("template failed to compile") {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "broken edit not reported:\n{}",
            intake.logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        intake.logs().contains("mine.yaml:4:"),
        "error names file:line:col:\n{}",
        intake.logs()
    );
    assert_eq!(post(&intake, &key, &make_request("c", 1, 1, 1)), 200);
    assert_eq!(
        last_marker(&intake).as_deref(),
        Some("v2"),
        "the previous version keeps serving"
    );
}

#[test]
fn a_template_cannot_change_provenance() {
    let templates = tempfile::tempdir().unwrap();
    // A statement that names a receiver-owned attribute is refused when the template loads.
    let statically = templates.path().join("static.yaml.txt");
    std::fs::write(
        &statically,
        "slug: static\ntrace_statements:\n  - set(resource.attributes[\"langwatch.project.id\"], \"proj-b\")\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_intake"))
        .args(["template", "check", statically.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("an attribute the receiver owns"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A dynamic write that reaches one at run time is undone, and logged.
    std::fs::write(
        templates.path().join("dynamic.yaml"),
        "slug: dynamic\ntrace_statements:\n  - context: resource\n    statements:\n      - set(cache[\"k\"], Concat([\"langwatch\", \"project.id\"], \".\"))\n      - set(attributes[cache[\"k\"]], \"proj-b\")\n",
    )
    .unwrap();
    let mut key = TestKey::new("proj-a");
    key.entry.template = Some("dynamic".into());
    let intake = Intake::start(
        &[&key],
        IntakeOptions {
            extra_toml: format!("[templates]\ndirs = [{:?}]\n", templates.path().display().to_string()),
            ..Default::default()
        },
    );
    assert_eq!(post(&intake, &key, &make_request("p", 1, 1, 1)), 200);
    let text = std::fs::read_to_string(intake.dir.path().join("spans.jsonl")).unwrap();
    let request = intake::otlp::json::decode_request(text.lines().last().unwrap().as_bytes()).unwrap();
    let resource = request.resource_spans[0].resource.as_ref().unwrap();
    assert_eq!(attr_str(&resource.attributes, "langwatch.project.id"), Some("proj-a"));
    assert_eq!(
        resource
            .attributes
            .iter()
            .filter(|kv| kv.key == "langwatch.project.id")
            .count(),
        1
    );
    assert!(
        intake
            .logs()
            .contains("template changed receiver-owned attributes; restored"),
        "{}",
        intake.logs()
    );
}
