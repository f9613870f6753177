// Exports spans to intake with the real OpenTelemetry JS OTLP/HTTP (JSON) exporter,
// configured only through OTEL_EXPORTER_OTLP_* variables, as users configure it.
// Prints {"result": "SUCCESS"|"FAILED", "error": ..., "trace_ids": [...], "span_ids": [...]}.
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { resourceFromAttributes } from "@opentelemetry/resources";

const count = Number(process.env.INTAKE_TEST_SPANS ?? "3");
const run = process.env.INTAKE_TEST_RUN ?? "run";
const collected = new InMemorySpanExporter();
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({
    "service.name": "node-client",
    "langwatch.project.id": process.env.INTAKE_TEST_SPOOF_PROJECT ?? "spoofed-project",
  }),
  spanProcessors: [new SimpleSpanProcessor(collected)],
});
const tracer = provider.getTracer("intake-e2e-node", "1.0.0");
const root = tracer.startSpan("node-root");
root.setAttribute("test.run", run);
root.end();
for (let i = 1; i < count; i++) {
  const span = tracer.startSpan(`node-child-${i}`, { attributes: { "test.run": run, "test.index": i, "test.ratio": i / 2 } });
  span.end();
}
const spans = collected.getFinishedSpans();
const exporter = new OTLPTraceExporter();
exporter.export(spans, (result) => {
  const out = {
    result: result.code === 0 ? "SUCCESS" : "FAILED",
    error: result.error ? String(result.error) : null,
    trace_ids: spans.map((s) => s.spanContext().traceId),
    span_ids: spans.map((s) => s.spanContext().spanId),
  };
  console.log(JSON.stringify(out));
  exporter.shutdown().then(() => process.exit(result.code === 0 ? 0 : 1));
});
