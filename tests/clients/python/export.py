"""Exports spans to intake with the real OpenTelemetry Python OTLP exporter (gRPC or
HTTP/protobuf, chosen by OTEL_EXPORTER_OTLP_PROTOCOL exactly as the SDK's autoconfiguration
does), configured only through OTEL_EXPORTER_OTLP_* variables.

Prints {"result": "SUCCESS"|"FAILURE", "trace_ids": [...], "span_ids": [...]}.
"""

import json
import os
import sys

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


def exporter_from_env():
    protocol = os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    elif protocol == "http/protobuf":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    else:
        sys.exit(f"unsupported OTEL_EXPORTER_OTLP_PROTOCOL {protocol}")
    return OTLPSpanExporter()


def main():
    count = int(os.environ.get("INTAKE_TEST_SPANS", "3"))
    run = os.environ.get("INTAKE_TEST_RUN", "run")
    extra = json.loads(os.environ.get("INTAKE_TEST_ATTRIBUTES", "{}"))
    collected = InMemorySpanExporter()
    provider = TracerProvider(
        resource=Resource.create(
            {
                "service.name": "python-client",
                "langwatch.project.id": os.environ.get("INTAKE_TEST_SPOOF_PROJECT", "spoofed-project"),
            }
        )
    )
    provider.add_span_processor(SimpleSpanProcessor(collected))
    tracer = provider.get_tracer("intake-e2e-python", "1.0.0")
    with tracer.start_as_current_span("python-root", attributes={"test.run": run, **extra}):
        for i in range(1, count):
            with tracer.start_as_current_span(
                f"python-child-{i}", attributes={"test.run": run, "test.index": i, "test.ratio": i / 2}
            ):
                pass
    spans = collected.get_finished_spans()
    result = exporter_from_env().export(spans)
    ok = result == SpanExportResult.SUCCESS
    print(
        json.dumps(
            {
                "result": "SUCCESS" if ok else "FAILURE",
                "trace_ids": [format(s.context.trace_id, "032x") for s in spans],
                "span_ids": [format(s.context.span_id, "016x") for s in spans],
            }
        )
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
