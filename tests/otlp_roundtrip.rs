//! Values intake does not transform leave it bit-identical: generated requests of every
//! signal, holding doubles (any bit pattern but NaN, which never equals itself), int64s
//! beyond 2^53, arbitrary unicode strings and bytes, survive OTLP/JSON and protobuf
//! encoding and decoding unchanged, and so does what the file sink writes (OTLP/JSON).

use intake::otlp::metrics::{metric, number_data_point, Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics};
use intake::otlp::{
    any_value, AnyValue, ArrayValue, Encoding, ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportRequest,
    ExportTraceServiceRequest, KeyValue, KeyValueList, LogRecord, ResourceLogs, ResourceSpans, ScopeLogs, ScopeSpans,
    Signal, Span,
};
use proptest::prelude::*;

fn double() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<u64>()
            .prop_map(f64::from_bits)
            .prop_filter("NaN never equals itself", |f| !f.is_nan()),
        Just(0.014229900000032103),
        Just(11.943430000000035),
        Just(f64::MIN_POSITIVE),
        Just(-0.0),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
    ]
}

fn int() -> impl Strategy<Value = i64> {
    prop_oneof![
        any::<i64>(),
        Just(i64::MAX),
        Just(i64::MIN),
        Just((1i64 << 53) + 1),
        Just(-(1i64 << 53) - 1)
    ]
}

fn scalar() -> impl Strategy<Value = any_value::Value> {
    prop_oneof![
        any::<String>().prop_map(any_value::Value::StringValue),
        any::<bool>().prop_map(any_value::Value::BoolValue),
        int().prop_map(any_value::Value::IntValue),
        double().prop_map(any_value::Value::DoubleValue),
        prop::collection::vec(any::<u8>(), 0..24).prop_map(any_value::Value::BytesValue),
    ]
}

fn value() -> impl Strategy<Value = AnyValue> {
    let leaf = scalar().prop_map(|v| AnyValue { value: Some(v) });
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|values| AnyValue {
                value: Some(any_value::Value::ArrayValue(ArrayValue { values }))
            }),
            prop::collection::vec((any::<String>(), inner), 0..4).prop_map(|pairs| AnyValue {
                value: Some(any_value::Value::KvlistValue(KeyValueList {
                    values: pairs
                        .into_iter()
                        .map(|(key, value)| KeyValue {
                            key,
                            value: Some(value),
                            ..Default::default()
                        })
                        .collect(),
                })),
            }),
        ]
    })
}

fn attributes() -> impl Strategy<Value = Vec<KeyValue>> {
    prop::collection::vec((any::<String>(), value()), 0..6).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(key, value)| KeyValue {
                key,
                value: Some(value),
                ..Default::default()
            })
            .collect()
    })
}

fn traces() -> impl Strategy<Value = ExportRequest> {
    (attributes(), any::<u64>(), any::<String>()).prop_map(|(attributes, start, name)| {
        ExportRequest::Traces(ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: vec![Span {
                        trace_id: vec![7; 16],
                        span_id: vec![9; 8],
                        name,
                        start_time_unix_nano: start,
                        end_time_unix_nano: start,
                        attributes,
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        })
    })
}

fn logs() -> impl Strategy<Value = ExportRequest> {
    (attributes(), value(), any::<u64>()).prop_map(|(attributes, body, time)| {
        ExportRequest::Logs(ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records: vec![LogRecord {
                        time_unix_nano: time,
                        body: Some(body),
                        attributes,
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        })
    })
}

fn metrics() -> impl Strategy<Value = ExportRequest> {
    (attributes(), double(), int()).prop_map(|(attributes, d, i)| {
        let point = |value| NumberDataPoint {
            attributes: attributes.clone(),
            time_unix_nano: 1,
            value: Some(value),
            ..Default::default()
        };
        ExportRequest::Metrics(ExportMetricsServiceRequest {
            resource_metrics: vec![ResourceMetrics {
                scope_metrics: vec![ScopeMetrics {
                    metrics: vec![Metric {
                        name: "m".into(),
                        data: Some(metric::Data::Gauge(Gauge {
                            data_points: vec![
                                point(number_data_point::Value::AsDouble(d)),
                                point(number_data_point::Value::AsInt(i)),
                            ],
                        })),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        })
    })
}

fn round_trips(request: ExportRequest) -> Result<(), TestCaseError> {
    let signal: Signal = request.signal();
    let json = request.encode_json();
    let from_json =
        ExportRequest::decode(signal, Encoding::Json, &json).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&from_json, &request, "OTLP/JSON: {}", String::from_utf8_lossy(&json));
    let from_proto = ExportRequest::decode(signal, Encoding::Protobuf, &request.encode_protobuf())
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&from_proto, &request);
    // Protobuf in, OTLP/JSON out (what the file sink writes) and back.
    let via_sink = ExportRequest::decode(signal, Encoding::Json, &from_proto.encode_json())
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&via_sink, &request);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn spans_round_trip_bit_identical(request in traces()) {
        round_trips(request)?;
    }

    #[test]
    fn log_records_round_trip_bit_identical(request in logs()) {
        round_trips(request)?;
    }

    #[test]
    fn data_points_round_trip_bit_identical(request in metrics()) {
        round_trips(request)?;
    }
}
