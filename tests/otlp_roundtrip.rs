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

/// `value` written as JSON with every string character escaped as `\uXXXX` when `escape`
/// says so (surrogate pairs beyond the BMP), `\/` for slashes, and whitespace between
/// tokens: the spellings an encoder other than intake's may use.
fn respell(value: &serde_json::Value, escape: &dyn Fn(usize) -> bool, out: &mut String, counter: &mut usize) {
    let string = |s: &str, out: &mut String, counter: &mut usize| {
        out.push('"');
        for c in s.chars() {
            *counter += 1;
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '/' => out.push_str("\\/"),
                c if (c as u32) < 0x20 || escape(*counter) => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{unit:04X}"));
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
    };
    match value {
        serde_json::Value::Object(map) => {
            out.push_str("{ ");
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(" ,\n\t");
                }
                string(k, out, counter);
                out.push_str(" :\r\n");
                respell(v, escape, out, counter);
            }
            out.push_str(" }");
        }
        serde_json::Value::Array(items) => {
            out.push_str("[ ");
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                respell(v, escape, out, counter);
            }
            out.push_str(" ]");
        }
        serde_json::Value::String(s) => string(s, out, counter),
        other => out.push_str(&other.to_string()),
    }
}

/// intake's reader and serde_json's parser, under the same OTLP/JSON decoders, agree on
/// `body`: the same request (compared by its encoding, so a NaN compares), or both refuse.
fn readers_agree(signal: Signal, body: &[u8]) -> Result<(), TestCaseError> {
    use intake::otlp::json::reference;
    let ours = ExportRequest::decode(signal, Encoding::Json, body).map(|r| r.encode_json());
    let theirs = match signal {
        Signal::Traces => reference::decode_request(body).map(|r| ExportRequest::Traces(r).encode_json()),
        Signal::Logs => reference::decode_logs_request(body).map(|r| ExportRequest::Logs(r).encode_json()),
        Signal::Metrics => reference::decode_metrics_request(body).map(|r| ExportRequest::Metrics(r).encode_json()),
    };
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => prop_assert_eq!(a, b, "{}", String::from_utf8_lossy(body)),
        (Err(_), Err(_)) => {}
        _ => prop_assert!(
            false,
            "reader {:?} but serde_json {:?} on {}",
            ours.as_ref().map(|_| "ok"),
            theirs.as_ref().map(|_| "ok"),
            String::from_utf8_lossy(body)
        ),
    }
    Ok(())
}

fn any_request() -> impl Strategy<Value = ExportRequest> {
    prop_oneof![traces(), logs(), metrics()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The reader under the OTLP/JSON decoders reads what serde_json reads, and refuses
    /// what it refuses: intake's own encoding, the same document respelled with escapes
    /// and whitespace, and either of them with one byte changed, inserted or removed.
    #[test]
    fn the_json_reader_agrees_with_serde_json(
        request in any_request(),
        escape_every in 1usize..5,
        edit in any::<(prop::sample::Index, u8, u8)>(),
    ) {
        let signal = request.signal();
        let encoded = request.encode_json();
        readers_agree(signal, &encoded)?;
        let tree: serde_json::Value = serde_json::from_slice(&encoded).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut respelled = String::new();
        respell(&tree, &|n| n % escape_every == 0, &mut respelled, &mut 0);
        readers_agree(signal, respelled.as_bytes())?;
        prop_assert_eq!(
            ExportRequest::decode(signal, Encoding::Json, respelled.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?,
            ExportRequest::decode(signal, Encoding::Json, &encoded).map_err(|e| TestCaseError::fail(e.to_string()))?
        );
        let (at, byte, how) = edit;
        for body in [encoded, respelled.into_bytes()] {
            let mut edited = body.clone();
            let i = at.index(edited.len().max(1)).min(edited.len());
            match how % 3 {
                0 if i < edited.len() => edited[i] = byte,
                1 => edited.insert(i, byte),
                _ if i < edited.len() => {
                    edited.remove(i);
                }
                _ => edited.push(byte),
            }
            readers_agree(signal, &edited)?;
        }
    }
}
