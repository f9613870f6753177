//! The real Python and Node OpenTelemetry exporters, configured through `OTEL_*`.

use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug)]
pub struct SdkRun {
    pub success: bool,
    pub trace_ids: Vec<String>,
    pub span_ids: Vec<String>,
    pub output: String,
}

fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn parse_sdk_output(output: std::process::Output) -> SdkRun {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let line = stdout.lines().last().unwrap_or("");
    let parsed: serde_json::Value = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("client printed no result ({e}):\nstdout: {stdout}\nstderr: {stderr}"));
    let ids = |name: &str| -> Vec<String> {
        parsed[name]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    SdkRun {
        success: parsed["result"] == "SUCCESS",
        trace_ids: ids("trace_ids"),
        span_ids: ids("span_ids"),
        output: format!("{stdout}\n{stderr}"),
    }
}

/// Runs the Python OpenTelemetry exporter with the given OTEL_* variables.
pub fn python_export(env: &[(&str, String)]) -> SdkRun {
    let python = std::env::var("INTAKE_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let mut command = Command::new(&python);
    command.arg(repo_path("tests/clients/python/export.py"));
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}; run `bash .ci/run` to install the clients"));
    let run = parse_sdk_output(output);
    assert!(
        !run.output.contains("ModuleNotFoundError"),
        "Python OpenTelemetry exporter not installed; run `bash .ci/run`:\n{}",
        run.output
    );
    run
}

/// Runs the Node OpenTelemetry OTLP/HTTP (JSON) exporter with the given variables.
pub fn node_export(env: &[(&str, String)]) -> SdkRun {
    let dir = repo_path("tests/clients/node");
    assert!(
        dir.join("node_modules/@opentelemetry/exporter-trace-otlp-http")
            .is_dir(),
        "Node OpenTelemetry exporter not installed in {}; run `bash .ci/run` (or `npm ci` there)",
        dir.display()
    );
    let mut command = Command::new("node");
    command.arg(dir.join("export.mjs")).current_dir(&dir);
    for (k, v) in env {
        command.env(k, v);
    }
    parse_sdk_output(command.output().expect("run node"))
}

/// What the Python logs and metrics client reported.
#[derive(Debug)]
pub struct SignalsRun {
    pub logs: String,
    pub metrics: String,
    pub output: String,
}

/// Runs the Python OpenTelemetry log and metric exporters with the given variables.
pub fn python_export_signals(env: &[(&str, String)]) -> SignalsRun {
    let python = std::env::var("INTAKE_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let mut command = Command::new(&python);
    command.arg(repo_path("tests/clients/python/export_signals.py"));
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}; run `bash .ci/run` to install the clients"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !stderr.contains("ModuleNotFoundError"),
        "Python OpenTelemetry exporters not installed; run `bash .ci/run`:\n{stderr}"
    );
    let line = stdout.lines().last().unwrap_or("");
    let parsed: serde_json::Value = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("client printed no result ({e}):\nstdout: {stdout}\nstderr: {stderr}"));
    SignalsRun {
        logs: parsed["logs"].as_str().unwrap_or("").to_owned(),
        metrics: parsed["metrics"].as_str().unwrap_or("").to_owned(),
        output: format!("{stdout}\n{stderr}"),
    }
}

/// Runs the Node OpenTelemetry OTLP/HTTP (JSON) log exporter with the given variables.
pub fn node_export_logs(env: &[(&str, String)]) -> SdkRun {
    let dir = repo_path("tests/clients/node");
    assert!(
        dir.join("node_modules/@opentelemetry/exporter-logs-otlp-http").is_dir(),
        "Node OpenTelemetry log exporter not installed in {}; run `bash .ci/run` (or `npm ci` there)",
        dir.display()
    );
    let mut command = Command::new("node");
    command.arg(dir.join("export_logs.mjs")).current_dir(&dir);
    for (k, v) in env {
        command.env(k, v);
    }
    parse_sdk_output(command.output().expect("run node"))
}
