// Exports log records to intake with the real OpenTelemetry JS OTLP/HTTP (JSON) log
// exporter, configured only through OTEL_EXPORTER_OTLP_* variables, as users configure it.
// INTAKE_TEST_LOGS is a JSON list of {body, attributes}. Prints {"result", "error"}.
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { LoggerProvider, InMemoryLogRecordExporter, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { resourceFromAttributes } from "@opentelemetry/resources";

const records = JSON.parse(process.env.INTAKE_TEST_LOGS ?? "[]");
const collected = new InMemoryLogRecordExporter();
const provider = new LoggerProvider({
  resource: resourceFromAttributes({
    "service.name": "node-client",
    "langwatch.project.id": "spoofed-project",
    ...JSON.parse(process.env.INTAKE_TEST_RESOURCE ?? "{}"),
  }),
  // sdk-logs 0.2xx takes the processor's options as an object.
  processors: [new SimpleLogRecordProcessor({ exporter: collected })],
});
const logger = provider.getLogger(process.env.INTAKE_TEST_SCOPE ?? "intake-e2e-node", "1.0.0");
for (const record of records) {
  logger.emit({ body: record.body, attributes: record.attributes ?? {}, severityNumber: 9, severityText: "INFO" });
}
// The processor hands records to the exporter on a promise: let it finish first.
await provider.forceFlush();
const finished = collected.getFinishedLogRecords();
const exporter = new OTLPLogExporter();
exporter.export(finished, (result) => {
  console.log(JSON.stringify({ result: result.code === 0 ? "SUCCESS" : "FAILED", error: result.error ? String(result.error) : null }));
  exporter.shutdown().then(() => process.exit(result.code === 0 ? 0 : 1));
});
