//! OTTL execution: one `set … where …` statement on a 20-attribute span, and a
//! 15-statement gen_ai mapping template on a 512-span batch, and the shipped OpenInference
//! template on the load bench's 512 spans. Parsing and compiling happen
//! once, outside the timed loop.

mod support;

// The binary's allocator, so the numbers are the receiver's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use intake::otlp::{
    any_value, ExportTraceServiceRequest, InstrumentationScope, Resource, ResourceSpans, ScopeSpans, Span,
};
use intake::ottl::{parse_statement, Compiler, ContextKind, Registry, Target};
use intake::template::CompiledTemplate;
use support::{kv, s};

/// An OpenInference LLM span: 20 attributes.
fn openinference_span(i: u64) -> Span {
    let mut attributes = vec![
        kv("openinference.span.kind", s("LLM")),
        kv("llm.model_name", s("gpt-4o")),
        kv("llm.provider", s("openai")),
        kv("llm.system", s("openai")),
        kv("llm.token_count.prompt", any_value::Value::IntValue(523)),
        kv("llm.token_count.completion", any_value::Value::IntValue(211)),
        kv("llm.token_count.total", any_value::Value::IntValue(734)),
        kv(
            "llm.invocation_parameters",
            s("{\"temperature\":0.7,\"max_tokens\":1024}"),
        ),
        kv("input.value", s("Summarise the design doc")),
        kv("input.mime_type", s("text/plain")),
        kv("output.value", s("It describes an ingest tier")),
        kv("output.mime_type", s("text/plain")),
        kv("session.id", s("sess-0123456789")),
        kv("user.id", s("user-42")),
        kv("metadata", s("{\"env\":\"prod\"}")),
        kv("tag.tags", s("[\"a\",\"b\"]")),
    ];
    for n in 0..4 {
        attributes.push(kv(&format!("app.extra.{n}"), s("value")));
    }
    Span {
        trace_id: [7u8; 16].to_vec(),
        span_id: (i + 1).to_be_bytes().to_vec(),
        name: "ChatCompletion".into(),
        kind: 3,
        attributes,
        ..Default::default()
    }
}

const TEMPLATE: &str = r#"
trace_statements:
  - context: span
    conditions:
      - attributes["openinference.span.kind"] != nil
    statements:
      - set(attributes["gen_ai.operation.name"], "chat") where attributes["openinference.span.kind"] == "LLM"
      - set(attributes["gen_ai.operation.name"], "embeddings") where attributes["openinference.span.kind"] == "EMBEDDING"
      - set(attributes["gen_ai.request.model"], attributes["llm.model_name"]) where attributes["gen_ai.request.model"] == nil
      - set(attributes["gen_ai.provider.name"], ToLowerCase(attributes["llm.provider"])) where attributes["llm.provider"] != nil
      - set(attributes["gen_ai.usage.input_tokens"], Int(attributes["llm.token_count.prompt"])) where attributes["llm.token_count.prompt"] != nil
      - set(attributes["gen_ai.usage.output_tokens"], Int(attributes["llm.token_count.completion"])) where attributes["llm.token_count.completion"] != nil
      - set(attributes["gen_ai.conversation.id"], attributes["session.id"]) where attributes["session.id"] != nil
      - set(attributes["gen_ai.input.messages"], attributes["input.value"]) where attributes["input.mime_type"] == "text/plain"
      - set(attributes["gen_ai.output.messages"], attributes["output.value"]) where attributes["output.mime_type"] == "text/plain"
      - set(attributes["gen_ai.request.temperature"], ParseJSON(attributes["llm.invocation_parameters"])["temperature"]) where attributes["llm.invocation_parameters"] != nil
      - set(attributes["gen_ai.request.max_tokens"], Int(ParseJSON(attributes["llm.invocation_parameters"])["max_tokens"])) where attributes["llm.invocation_parameters"] != nil
      - set(name, Concat([attributes["gen_ai.operation.name"], attributes["gen_ai.request.model"]], " ")) where attributes["gen_ai.operation.name"] != nil
      - delete_key(attributes, "llm.model_name")
      - delete_matching_keys(attributes, "^llm\\.token_count\\.")
      - delete_key(attributes, "llm.invocation_parameters")
"#;

fn bench(c: &mut Criterion) {
    let registry = Registry::standard();

    // One statement on one span.
    let text = r#"set(span.attributes["gen_ai.request.model"], span.attributes["llm.model_name"]) where span.attributes["llm.model_name"] != nil"#;
    let ast = parse_statement(text).expect("parses");
    let compiler = Compiler::new(None, ContextKind::Span, &registry);
    let statement = compiler.statement(&ast, text).expect("compiles");
    let where_false = r#"set(span.attributes["x"], "y") where span.attributes["missing"] == "z""#;
    let statement_false = compiler
        .statement(&parse_statement(where_false).expect("parses"), where_false)
        .expect("compiles");
    let mut group = c.benchmark_group("ottl");
    for (name, statement) in [
        ("set_where_20_attribute_span", &statement),
        ("where_false_20_attribute_span", &statement_false),
    ] {
        let mut resource = Resource::default();
        let mut resource_schema = String::new();
        let mut scope = InstrumentationScope::default();
        let mut scope_schema = String::new();
        let mut span = openinference_span(0);
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut target = Target::new(&mut resource, &mut resource_schema);
                target.scope = Some((&mut scope, &mut scope_schema));
                target.span = Some(&mut span);
                statement.execute(std::hint::black_box(&mut target)).expect("runs");
            })
        });
    }

    // The 15-statement mapping template on 512 spans.
    let template = CompiledTemplate::compile(TEMPLATE, "bench.yaml", &registry).expect("template compiles");
    let request = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv("service.name", s("chat-api"))],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "openinference.instrumentation.openai".into(),
                    ..Default::default()
                }),
                spans: (0..512).map(openinference_span).collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let check = {
        let mut r = request.clone();
        let report = template.apply_traces(&mut r).expect("applies");
        assert!(report.failures.is_empty(), "{:?}", report.failures);
        r
    };
    let first = &check.resource_spans[0].scope_spans[0].spans[0];
    assert!(first.attributes.iter().any(|kv| kv.key == "gen_ai.usage.input_tokens"));
    assert_eq!(first.name, "chat gpt-4o");
    group.throughput(Throughput::Elements(512));
    group.bench_function("genai_template_15_statements_512_spans", |b| {
        b.iter_batched(
            || request.clone(),
            |mut r| {
                template.apply_traces(&mut r).expect("applies");
                r
            },
            BatchSize::LargeInput,
        )
    });

    // The shipped OpenInference template (about 60 statements, ParseJSON, GenAIMessages,
    // regex deletes) on the load bench's spans.
    let catalog = CompiledTemplate::compile(
        include_str!("../templates/openinference.yaml"),
        "openinference.yaml",
        &registry,
    )
    .expect("catalog template compiles");
    let spans = support::openinference_request(512);
    group.bench_function("openinference_catalog_template_512_spans", |b| {
        b.iter_batched(
            || spans.clone(),
            |mut r| {
                catalog.apply_traces(&mut r).expect("applies");
                r
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
