//! `intake template apply` / `check` as template authors run them: exit codes, output,
//! and errors with file:line:col and a caret.

use std::io::Write;
use std::process::{Command, Stdio};

fn run(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_intake"))
        .args(args)
        .env_remove("INTAKE_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const INPUT: &str = r#"{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"spans":[
  {"traceId":"00000000000000000000000000000000","spanId":"","name":"","attributes":[{"key":"llm.model_name","value":{"stringValue":"gpt-4o"}},{"key":"n","value":{"stringValue":"12"}}]}]}]}]}"#;

fn template(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn apply_transforms_and_passes_everything_else_through() {
    let dir = tempfile::tempdir().unwrap();
    let t = template(
        &dir,
        "t.yaml",
        "trace_statements:\n  - set(span.attributes[\"gen_ai.request.model\"], span.attributes[\"llm.model_name\"])\n  - delete_key(span.attributes, \"llm.model_name\")\n  - set(span.attributes[\"n\"], Int(span.attributes[\"n\"]))\n",
    );
    let (code, stdout, stderr) = run(&["template", "apply", &t], INPUT);
    assert_eq!(code, 0, "{stderr}");
    let out = intake::otlp::json::decode_request(stdout.as_bytes()).unwrap();
    let span = &out.resource_spans[0].scope_spans[0].spans[0];
    assert_eq!(span.attributes.len(), 2);
    assert_eq!(
        span.attributes
            .iter()
            .find(|kv| kv.key == "n")
            .unwrap()
            .value
            .as_ref()
            .unwrap()
            .value,
        Some(intake::otlp::any_value::Value::IntValue(12))
    );
    // All-zero and empty ids are not validated away by apply.
    assert_eq!(span.trace_id, vec![0u8; 16]);
    assert!(span.span_id.is_empty());
}

#[test]
fn exit_codes_follow_error_mode_and_compile_errors() {
    let dir = tempfile::tempdir().unwrap();
    let failing = "  - set(span.attributes[\"x\"], ParseJSON(1))\n";
    let ignore = template(&dir, "ignore.yaml", &format!("trace_statements:\n{failing}"));
    let (code, stdout, stderr) = run(&["template", "apply", &ignore], INPUT);
    assert_eq!(code, 0);
    assert!(!stdout.is_empty());
    assert!(stderr.contains("ParseJSON"), "{stderr}");

    let propagate = template(
        &dir,
        "propagate.yaml",
        &format!("error_mode: propagate\ntrace_statements:\n{failing}"),
    );
    let (code, stdout, stderr) = run(&["template", "apply", &propagate], INPUT);
    assert_eq!(code, 1);
    assert!(stdout.is_empty(), "nothing on stdout under propagate");
    assert!(stderr.contains("ParseJSON"), "{stderr}");

    let broken = template(
        &dir,
        "broken.yaml",
        "trace_statements:\n  - set(span.attributes[\"x\"], Concatt([\"a\"], \"\"))\n",
    );
    let (code, _, stderr) = run(&["template", "apply", &broken], INPUT);
    assert_eq!(code, 2);
    assert!(stderr.contains("broken.yaml:2:31"), "{stderr}");
    assert!(stderr.contains("did you mean `Concat`"), "{stderr}");
    assert!(stderr.contains("^"), "{stderr}");

    let (code, _, stderr) = run(&["template", "check", &broken], "");
    assert_eq!(code, 2);
    assert!(stderr.contains("undefined function"), "{stderr}");
    let (code, stdout, _) = run(&["template", "check", &ignore], "");
    assert_eq!(code, 0);
    assert!(stdout.contains("ok"));
}

#[test]
fn unknown_paths_list_the_fields_that_exist() {
    let dir = tempfile::tempdir().unwrap();
    let t = template(&dir, "p.yaml", "trace_statements:\n  - set(span.nme, \"x\")\n");
    let (code, _, stderr) = run(&["template", "check", &t], "");
    assert_eq!(code, 2);
    assert!(stderr.contains("did you mean `span.name`"), "{stderr}");
    assert!(stderr.contains("valid fields"), "{stderr}");
}

#[test]
fn apply_takes_logs_and_metrics_by_their_top_level_key_and_check_names_a_wrong_context() {
    let dir = tempfile::tempdir().unwrap();
    let t = template(
        &dir,
        "signals.yaml",
        "log_statements:\n  - context: log\n    statements:\n      - set(attributes[\"sev\"], severity_text)\n      - set(body, Concat([body, \"!\"], \"\"))\nmetric_statements:\n  - context: datapoint\n    statements:\n      - set(attributes[\"metric\"], metric.name)\n      - set(value_int, value_int * 2)\n",
    );
    let logs =
        r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityText":"INFO","body":{"stringValue":"hi"}}]}]}]}"#;
    let (code, stdout, stderr) = run(&["template", "apply", &t], logs);
    assert_eq!(code, 0, "{stderr}");
    let out = intake::otlp::json::decode_logs_request(stdout.as_bytes()).unwrap();
    let record = &out.resource_logs[0].scope_logs[0].log_records[0];
    assert_eq!(
        record.body.as_ref().unwrap().value,
        Some(intake::otlp::any_value::Value::StringValue("hi!".into()))
    );
    assert_eq!(record.attributes[0].key, "sev");

    let metrics = r#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","sum":{"dataPoints":[{"asInt":"21","timeUnixNano":"1"}]}}]}]}]}"#;
    let (code, stdout, stderr) = run(&["template", "apply", &t], metrics);
    assert_eq!(code, 0, "{stderr}");
    let out = intake::otlp::json::decode_metrics_request(stdout.as_bytes()).unwrap();
    let Some(intake::otlp::metrics::metric::Data::Sum(sum)) = &out.resource_metrics[0].scope_metrics[0].metrics[0].data
    else {
        panic!("sum")
    };
    let point = &sum.data_points[0];
    assert_eq!(
        point.value,
        Some(intake::otlp::metrics::number_data_point::Value::AsInt(42))
    );
    assert_eq!(point.attributes[0].key, "metric");

    // A span context in log_statements is refused, naming the contexts logs may use.
    let bad = template(
        &dir,
        "bad.yaml",
        "log_statements:\n  - context: span\n    statements:\n      - set(attributes[\"x\"], name)\n",
    );
    let (code, _, stderr) = run(&["template", "check", &bad], "");
    assert_eq!(code, 2);
    assert!(
        stderr.contains("logs statements cannot run in span context; use resource, scope, log"),
        "{stderr}"
    );
}
