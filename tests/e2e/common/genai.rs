//! The real GenAI instrumentation libraries (tests/clients/genai/drive.py, Python; the Vercel
//! AI SDK, tests/clients/node/vercel_ai.mjs) and the fake LLM they talk to.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::free_port;

fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// The Python that has the instrumentation libraries: `INTAKE_GENAI_PYTHON`, else the venv
/// `.ci/run` makes in tests/clients/genai/.venv.
pub fn genai_python() -> PathBuf {
    let python = std::env::var_os("INTAKE_GENAI_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_path("tests/clients/genai/.venv/bin/python"));
    assert!(
        python.exists(),
        "no Python with the GenAI instrumentation libraries at {}; run `bash .ci/run` (it creates \
         tests/clients/genai/.venv from tests/clients/genai/requirements.txt)",
        python.display()
    );
    python
}

/// tests/clients/genai/fake_llm.py on a free loopback port; stopped on drop.
pub struct FakeLlm {
    pub url: String,
    child: Child,
}

impl FakeLlm {
    pub fn start() -> FakeLlm {
        let port = free_port();
        let mut child = Command::new(genai_python())
            .arg(repo_path("tests/clients/genai/fake_llm.py"))
            .arg(port.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the fake LLM");
        let stdout = child.stdout.take().expect("fake LLM stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("fake LLM says ready");
        assert_eq!(line.trim(), "ready", "fake LLM did not start");
        FakeLlm {
            url: format!("http://127.0.0.1:{port}"),
            child,
        }
    }
}

impl Drop for FakeLlm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A span a library reported sending.
#[derive(Debug, Clone)]
pub struct SentSpan {
    pub name: String,
    pub trace_id: String,
    pub span_id: String,
    pub scope: String,
}

#[derive(Debug)]
pub struct LibraryRun {
    pub success: bool,
    pub spans: Vec<SentSpan>,
    pub output: String,
}

/// Runs one scenario: `drive.py SCENARIO`, or the Node driver for `vercel-ai`.
pub fn run_library(scenario: &str, env: &[(&str, String)]) -> LibraryRun {
    let mut command = if scenario == "vercel-ai" {
        let dir = repo_path("tests/clients/node");
        assert!(
            dir.join("node_modules/ai").is_dir(),
            "the Vercel AI SDK is not installed in {}; run `bash .ci/run` (or `npm ci` there)",
            dir.display()
        );
        let mut c = Command::new("node");
        c.arg(dir.join("vercel_ai.mjs")).current_dir(&dir);
        c
    } else {
        let mut c = Command::new(genai_python());
        c.arg(repo_path("tests/clients/genai/drive.py")).arg(scenario);
        c
    };
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().expect("run the library driver");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let text = format!("{stdout}\n{stderr}");
    let Some(parsed) = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str::<serde_json::Value>(l).ok())
    else {
        return LibraryRun {
            success: false,
            spans: Vec::new(),
            output: text,
        };
    };
    let spans = parsed["spans"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| SentSpan {
                    name: s["name"].as_str().unwrap_or("").to_owned(),
                    trace_id: s["trace_id"].as_str().unwrap_or("").to_owned(),
                    span_id: s["span_id"].as_str().unwrap_or("").to_owned(),
                    scope: s["scope"].as_str().unwrap_or("").to_owned(),
                })
                .collect()
        })
        .unwrap_or_default();
    LibraryRun {
        success: parsed["result"] == "SUCCESS",
        spans,
        output: text,
    }
}
