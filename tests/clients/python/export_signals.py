"""Exports log records and metrics to intake with the real OpenTelemetry Python SDK and its
OTLP log and metric exporters (gRPC or HTTP/protobuf, chosen by OTEL_EXPORTER_OTLP_PROTOCOL
as the SDK's autoconfiguration does), configured only through OTEL_EXPORTER_OTLP_* variables.

INTAKE_TEST_LOGS is a JSON list of {"body", "attributes", "event_name"?, "trace_id"?} records, emitted in
order on logger INTAKE_TEST_SCOPE; INTAKE_TEST_METRICS a JSON list of {"name", "unit",
"value", "attributes"} counter increments. INTAKE_TEST_RESOURCE adds resource attributes.

Prints {"logs": "SUCCESS"|"FAILURE"|"NONE", "metrics": ..., "trace_id": hex}.
"""

import json
import os
import sys

from opentelemetry._logs import LogRecord, SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource


def exporters_from_env():
    protocol = os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
    elif protocol == "http/protobuf":
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    else:
        sys.exit(f"unsupported OTEL_EXPORTER_OTLP_PROTOCOL {protocol}")
    return OTLPLogExporter(), OTLPMetricExporter()


def main():
    logs = json.loads(os.environ.get("INTAKE_TEST_LOGS", "[]"))
    metrics = json.loads(os.environ.get("INTAKE_TEST_METRICS", "[]"))
    scope = os.environ.get("INTAKE_TEST_SCOPE", "intake-e2e-python")
    resource = Resource.create(
        {
            "service.name": "python-client",
            "langwatch.project.id": "spoofed-project",
            **json.loads(os.environ.get("INTAKE_TEST_RESOURCE", "{}")),
        }
    )
    log_exporter, metric_exporter = exporters_from_env()
    out = {"logs": "NONE", "metrics": "NONE"}

    if logs:
        collected = InMemoryLogExporter()
        provider = LoggerProvider(resource=resource)
        provider.add_log_record_processor(SimpleLogRecordProcessor(collected))
        logger = provider.get_logger(scope, "1.0.0")
        for record in logs:
            logger.emit(
                LogRecord(
                    timestamp=1_760_000_000_000_000_000,
                    severity_number=SeverityNumber.INFO,
                    severity_text="INFO",
                    body=record.get("body"),
                    attributes=record.get("attributes", {}),
                    event_name=record.get("event_name"),
                    trace_id=int(record["trace_id"], 16) if record.get("trace_id") else None,
                    span_id=0x0102030405060708 if record.get("trace_id") else None,
                )
            )
        finished = collected.get_finished_logs()
        result = log_exporter.export(finished)
        out["logs"] = result.name

    if metrics:
        reader = InMemoryMetricReader()
        provider = MeterProvider(resource=resource, metric_readers=[reader])
        meter = provider.get_meter(scope, "1.0.0")
        for m in metrics:
            counter = meter.create_counter(m["name"], unit=m.get("unit", ""))
            counter.add(m["value"], attributes=m.get("attributes", {}))
        data = reader.get_metrics_data()
        result = metric_exporter.export(data)
        out["metrics"] = result.name

    print(json.dumps(out))
    ok = all(v in ("SUCCESS", "NONE") for v in out.values())
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
