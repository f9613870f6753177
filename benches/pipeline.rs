//! decode -> validate -> stamp -> split/encode for a 512-span request: the per-request
//! work of the pipeline without the network and the broker.

mod support;

// The binary's allocator, so the numbers are the receiver's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use intake::otlp::{
    any_value, drop_invalid_spans, json, Encoding, ExportTraceServiceRequest, InstrumentationScope, Resource,
    ResourceSpans, ScopeSpans, Span,
};
use intake::sink::{RecordKey, RecordLayout, ValueEncoding};
use intake::template::provenance::Provenance;
use intake::template::{TemplateCatalog, TemplatesConfig};
use prost::Message;
use support::{headers, kv, s, sender};

/// 512 spans over 16 traces, shaped like an instrumented LLM app: ~15 attributes per
/// span, a prompt and a completion of a few hundred bytes.
fn request() -> ExportTraceServiceRequest {
    let mut spans = Vec::new();
    for i in 0..512u64 {
        let trace = i % 16 + 1;
        let mut trace_id = [7u8; 16];
        trace_id[8..].copy_from_slice(&trace.to_be_bytes());
        spans.push(Span {
            trace_id: trace_id.to_vec(),
            span_id: (i + 1).to_be_bytes().to_vec(),
            parent_span_id: if i % 4 == 0 {
                Vec::new()
            } else {
                i.to_be_bytes().to_vec()
            },
            name: "chat gpt-4o".into(),
            kind: 3,
            start_time_unix_nano: 1_700_000_000_000_000_000 + i,
            end_time_unix_nano: 1_700_000_000_500_000_000 + i,
            attributes: vec![
                kv("gen_ai.operation.name", s("chat")),
                kv("gen_ai.system", s("openai")),
                kv("gen_ai.request.model", s("gpt-4o")),
                kv("gen_ai.response.model", s("gpt-4o-2024-08-06")),
                kv("gen_ai.request.temperature", any_value::Value::DoubleValue(0.7)),
                kv("gen_ai.request.max_tokens", any_value::Value::IntValue(1024)),
                kv("gen_ai.usage.input_tokens", any_value::Value::IntValue(523)),
                kv("gen_ai.usage.output_tokens", any_value::Value::IntValue(211)),
                kv("gen_ai.response.id", s("chatcmpl-9f8e7d6c5b4a")),
                kv("gen_ai.response.finish_reasons", s("[\"stop\"]")),
                kv(
                    "llm.input_messages",
                    s(&"{\"role\":\"user\",\"content\":\"Summarise the design doc\"}".repeat(6)),
                ),
                kv(
                    "llm.output_messages",
                    s(&"{\"role\":\"assistant\",\"content\":\"It describes an ingest tier\"}".repeat(5)),
                ),
                kv("session.id", s("sess-0123456789")),
                kv("user.id", s("user-42")),
                kv("http.status_code", any_value::Value::IntValue(200)),
            ],
            ..Default::default()
        });
    }
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    kv("service.name", s("chat-api")),
                    kv("telemetry.sdk.language", s("python")),
                ],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "openinference.instrumentation.openai".into(),
                    version: "0.1.0".into(),
                    ..Default::default()
                }),
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn bench(c: &mut Criterion) {
    let request = request();
    let provenance = Provenance::new(&sender(), None);
    let inputs = [
        ("protobuf", Encoding::Protobuf, request.encode_to_vec()),
        ("json", Encoding::Json, json::encode_request(&request)),
    ];
    let mut group = c.benchmark_group("pipeline_512_spans");
    group.throughput(Throughput::Elements(512));
    for (name, encoding, body) in &inputs {
        for (layout_name, key_mode, value) in [
            ("per_trace_proto", RecordKey::TraceId, ValueEncoding::OtlpProto),
            ("per_request_proto", RecordKey::ProjectId, ValueEncoding::OtlpProto),
        ] {
            let layout = RecordLayout {
                key: key_mode,
                encoding: value,
                max_record_bytes: 1_000_000,
            };
            group.bench_with_input(BenchmarkId::new(format!("{name}_in"), layout_name), body, |b, body| {
                b.iter(|| {
                    let mut decoded = encoding.decode_request(body).expect("decode");
                    drop_invalid_spans(&mut decoded);
                    provenance.stamp_traces(&mut decoded);
                    let out = layout.split_traces(decoded, headers());
                    assert_eq!(out.batch.item_count(), 512);
                    out
                })
            });
        }
    }
    let body = &inputs[0].2;
    group.bench_function("protobuf_decode_only", |b| {
        b.iter(|| Encoding::Protobuf.decode_request(body).expect("decode"))
    });
    group.bench_function("stamp_only", |b| {
        b.iter_batched(
            || request.clone(),
            |mut r| {
                provenance.stamp_traces(&mut r);
                // Returned so the drop is not timed.
                r
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
    template_path(c);
}

/// The whole per-request path as the receiver runs it on the load bench's OpenInference
/// spans: protobuf decode → validate → stamp → template → restore → split into protobuf
/// records, without a template, with `openinference`, and with `auto`; and without a
/// template from OTLP/JSON, the load bench's JSON mode.
fn template_path(c: &mut Criterion) {
    let catalog = TemplateCatalog::load(&TemplatesConfig::default()).expect("catalog");
    let body = support::openinference_request(512).encode_to_vec();
    let json_body = json::encode_request(&support::openinference_request(512));
    let layout = RecordLayout {
        key: RecordKey::TraceId,
        encoding: ValueEncoding::OtlpProto,
        max_record_bytes: 1_000_000,
    };
    let mut group = c.benchmark_group("request_path_512_openinference_spans");
    group.throughput(Throughput::Elements(512));
    for (name, encoding, body) in [
        ("none", Encoding::Protobuf, &body),
        ("openinference", Encoding::Protobuf, &body),
        ("auto", Encoding::Protobuf, &body),
        ("none_json", Encoding::Json, &json_body),
    ] {
        let entry = catalog.resolve(name.trim_end_matches("_json"));
        assert_eq!(entry.is_some(), !name.starts_with("none"), "{name}");
        group.bench_function(name, |b| {
            b.iter(|| {
                let out = support::request_path(encoding, body, entry.as_deref(), &layout);
                assert_eq!(out.batch.item_count(), 512);
                out
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
