//! A fixed amount of the receiver's per-request work, for counting instructions where wall
//! time is too noisy to compare (shared 2-core machines): run it under
//! `valgrind --tool=cachegrind --cache-sim=no` twice, with `ROUNDS` requests and with 0, and
//! divide the difference by `ROUNDS × 512` for instructions per span. On the load bench's
//! request (512 OpenInference spans over 16 traces):
//! - `path <template>`: protobuf decode → validate → stamp → template (`none`,
//!   `openinference`, `auto`, …) → restore → split into protobuf records;
//! - `json`: OTLP/JSON decode of the same request.
//!
//! `cargo bench --bench instructions` runs each once and prints wall time per request;
//! `target/release/deps/instructions-* path auto 5` runs one of them `5` times.

mod support;

// The binary's allocator, so the numbers are the receiver's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::{Duration, Instant};

use intake::otlp::Encoding;
use intake::sink::{RecordKey, RecordLayout, ValueEncoding};
use intake::template::{TemplateCatalog, TemplatesConfig};
use prost::Message;

const SPANS: usize = 512;

/// Runs `what` (`path <template>` or `json`) `rounds` times: the spans it produced, and
/// the time the rounds took (setup excluded).
fn run(what: &str, template: &str, rounds: usize) -> (usize, Duration) {
    let request = support::openinference_request(SPANS);
    let mut spans = 0;
    if what == "json" {
        let body = intake::otlp::json::encode_request(&request);
        let started = Instant::now();
        for _ in 0..rounds {
            let decoded = Encoding::Json.decode_request(&body).expect("decodes");
            spans += decoded.resource_spans[0].scope_spans[0].spans.len();
        }
        return (spans, started.elapsed());
    }
    let catalog = TemplateCatalog::load(&TemplatesConfig::default()).expect("catalog");
    let entry = catalog.resolve(template);
    assert!(entry.is_some() || template == "none", "no template `{template}`");
    let body = request.encode_to_vec();
    let layout = RecordLayout {
        key: RecordKey::TraceId,
        encoding: ValueEncoding::OtlpProto,
        max_record_bytes: 1_000_000,
    };
    let started = Instant::now();
    for _ in 0..rounds {
        spans += support::request_path(Encoding::Protobuf, &body, entry.as_deref(), &layout)
            .batch
            .item_count();
    }
    (spans, started.elapsed())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let runs: Vec<(String, String, usize)> = match args.first().map(String::as_str) {
        Some("json") => vec![("json".into(), "decode".into(), parse_rounds(args.get(1)))],
        Some("path") => vec![(
            "path".into(),
            args.get(1).cloned().unwrap_or_else(|| "none".into()),
            parse_rounds(args.get(2)),
        )],
        // `cargo bench` passes only flags: one request of each.
        _ => ["none", "openinference", "auto"]
            .iter()
            .map(|t| ("path".to_owned(), (*t).to_owned(), 1))
            .chain([("json".to_owned(), "decode".to_owned(), 1)])
            .collect(),
    };
    for (what, template, rounds) in runs {
        let (spans, took) = run(&what, &template, rounds);
        println!(
            "{what} {template}: {rounds} requests, {spans} spans, {:.2} ms per request",
            took.as_secs_f64() * 1e3 / rounds.max(1) as f64
        );
    }
}

fn parse_rounds(arg: Option<&String>) -> usize {
    arg.map_or(5, |r| r.parse().expect("a number of requests"))
}
