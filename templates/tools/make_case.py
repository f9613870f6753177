#!/usr/bin/env python3
"""Wraps attribute maps into an OTLP/JSON ExportTraceServiceRequest for a golden test.

usage: make_case.py OUT.input.json SPAN.json [SPAN.json ...]

Each SPAN.json is {"scopeName": ..., "spanName": ..., "kind": 3, "attributes": {...}} (the
shape of shared/fixtures) or a bare attribute map. Value types follow JSON: integers become
intValue, numbers with a fraction doubleValue, strings stringValue, lists arrayValue.
"""

import json
import sys


def any_value(v):
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, list):
        return {"arrayValue": {"values": [any_value(x) for x in v]}}
    if isinstance(v, dict):
        return {"kvlistValue": {"values": [{"key": k, "value": any_value(x)} for k, x in v.items()]}}
    return {"stringValue": v}


def span(doc, index):
    attrs = doc.get("attributes", doc) if "attributes" in doc else doc
    return doc.get("scopeName", "unknown"), {
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": f"{index + 1:016x}",
        "name": doc.get("spanName", "span"),
        "kind": doc.get("kind", 1),
        "startTimeUnixNano": "1700000000000000000",
        "endTimeUnixNano": "1700000001000000000",
        "attributes": [{"key": k, "value": any_value(v)} for k, v in attrs.items()],
    }


def main():
    out, *inputs = sys.argv[1:]
    scopes = {}
    for i, path in enumerate(inputs):
        with open(path) as f:
            scope, s = span(json.load(f), i)
        scopes.setdefault(scope, []).append(s)
    request = {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "golden"}}]},
                "scopeSpans": [{"scope": {"name": name}, "spans": spans} for name, spans in scopes.items()],
            }
        ]
    }
    with open(out, "w") as f:
        json.dump(request, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
