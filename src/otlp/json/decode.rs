use super::tree::{Json as Value, Object};
use base64::Engine;

use crate::otlp::{
    any_value, AnyValue, ArrayValue, DecodeError, EntityRef, ExportTraceServiceRequest, InstrumentationScope, KeyValue,
    KeyValueList, Resource,
};

/// An id that is neither hex nor base64 decodes to this length-1 value, which no id field
/// accepts, so the span is dropped by validation rather than failing the whole request.
const UNDECODABLE_ID: [u8; 1] = [0xff];

pub(super) type Res<T> = Result<T, String>;

/// OTLP/JSON traces, read straight into the prost types (`stream.rs`).
pub fn decode_request(body: &[u8]) -> Result<ExportTraceServiceRequest, DecodeError> {
    super::stream::decode_traces(body)
}

/// Looks a field up by its lowerCamelCase name, or the proto name that proto3 JSON
/// parsers also accept. `null` counts as absent.
pub(super) fn field<'a, 'j>(object: &'a Object<'j>, camel: &str, snake: &str) -> Option<&'a Value<'j>> {
    object.get(camel).or_else(|| object.get(snake)).filter(|v| !v.is_null())
}

pub(super) fn as_object<'a, 'j>(value: &'a Value<'j>) -> Res<&'a Object<'j>> {
    value
        .as_object()
        .ok_or_else(|| format!(": expected an object, found {}", kind(value)))
}

pub(super) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(super) fn array<T>(value: &Value, item: impl Fn(&Value) -> Res<T>) -> Res<Vec<T>> {
    let items = value
        .as_array()
        .ok_or_else(|| format!(": expected an array, found {}", kind(value)))?;
    items
        .iter()
        .enumerate()
        .map(|(i, v)| item(v).map_err(|e| format!("[{i}]{e}")))
        .collect()
}

pub(super) fn at<T>(name: &str, result: Res<T>) -> Res<T> {
    result.map_err(|e| format!(".{name}{e}"))
}

pub(super) fn string(value: &Value) -> Res<String> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!(": expected a string, found {}", kind(value)))
}

pub(super) fn opt_string(object: &Object<'_>, camel: &str, snake: &str) -> Res<String> {
    field(object, camel, snake).map_or(Ok(String::new()), |v| at(camel, string(v)))
}

pub(super) fn u64_value(value: &Value) -> Res<u64> {
    match value {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1.8446744073709552e19)
                    .map(|f| f as u64)
            })
            .ok_or_else(|| format!(": {n} is not an unsigned 64-bit integer")),
        Value::String(s) => s
            .parse::<u64>()
            .map_err(|_| format!(": `{s}` is not an unsigned 64-bit integer")),
        other => Err(format!(": expected an integer, found {}", kind(other))),
    }
}

pub(super) fn i64_value(value: &Value) -> Res<i64> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.223372036854776e18)
                    .map(|f| f as i64)
            })
            .ok_or_else(|| format!(": {n} is not a 64-bit integer")),
        Value::String(s) => s.parse::<i64>().map_err(|_| format!(": `{s}` is not a 64-bit integer")),
        other => Err(format!(": expected an integer, found {}", kind(other))),
    }
}

pub(super) fn opt_u64(object: &Object<'_>, camel: &str, snake: &str) -> Res<u64> {
    field(object, camel, snake).map_or(Ok(0), |v| at(camel, u64_value(v)))
}

pub(super) fn opt_u32(object: &Object<'_>, camel: &str, snake: &str) -> Res<u32> {
    let v = opt_u64(object, camel, snake)?;
    u32::try_from(v).map_err(|_| format!(".{camel}: {v} does not fit in 32 bits"))
}

pub(super) fn f64_value(value: &Value) -> Res<f64> {
    match value {
        Value::Number(n) => n.as_f64().ok_or_else(|| format!(": {n} is not a number")),
        Value::String(s) => match s.as_ref() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            other => other.parse::<f64>().map_err(|_| format!(": `{other}` is not a number")),
        },
        other => Err(format!(": expected a number, found {}", kind(other))),
    }
}

/// Integer enums per OTLP/JSON; the proto enum names are accepted too.
pub(super) fn enum_value(value: &Value, names: &[&str]) -> Res<i32> {
    match value {
        Value::String(s) => match names.iter().position(|n| *n == s.as_ref()) {
            Some(i) => Ok(i as i32),
            None => s.parse::<i32>().map_err(|_| format!(": unknown enum value `{s}`")),
        },
        other => {
            let v = i64_value(other)?;
            i32::try_from(v).map_err(|_| format!(": {v} is not a valid enum value"))
        }
    }
}

/// Hex first (the OTLP/JSON form); base64 for producers that used the proto3 default.
fn id_bytes(value: &Value) -> Res<Vec<u8>> {
    let text = value
        .as_str()
        .ok_or_else(|| format!(": expected an id string, found {}", kind(value)))?;
    Ok(id_text_bytes(text))
}

pub(super) fn id_text_bytes(text: &str) -> Vec<u8> {
    if text.is_empty() {
        return Vec::new();
    }
    if text.len().is_multiple_of(2) && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        if let Ok(bytes) = hex::decode(text) {
            return bytes;
        }
    }
    let engines = [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::URL_SAFE,
    ];
    for engine in engines {
        if let Ok(bytes) = engine.decode(text) {
            return bytes;
        }
    }
    UNDECODABLE_ID.to_vec()
}

pub(super) fn opt_id(object: &Object<'_>, camel: &str, snake: &str) -> Res<Vec<u8>> {
    field(object, camel, snake).map_or(Ok(Vec::new()), |v| at(camel, id_bytes(v)))
}

pub(super) fn opt_list<T>(
    object: &Object<'_>,
    camel: &str,
    snake: &str,
    item: impl Fn(&Value) -> Res<T>,
) -> Res<Vec<T>> {
    field(object, camel, snake).map_or(Ok(Vec::new()), |v| at(camel, array(v, item)))
}

pub(super) fn opt_message<T>(
    object: &Object<'_>,
    camel: &str,
    snake: &str,
    decode: impl Fn(&Value) -> Res<T>,
) -> Res<Option<T>> {
    field(object, camel, snake).map(|v| at(camel, decode(v))).transpose()
}

pub(super) fn dropped_attributes(object: &Object<'_>) -> Res<u32> {
    opt_u32(object, "droppedAttributesCount", "dropped_attributes_count")
}

pub(super) fn attributes(object: &Object<'_>) -> Res<Vec<KeyValue>> {
    field(object, "attributes", "attributes").map_or(Ok(Vec::new()), |v| at("attributes", array(v, key_value)))
}

pub(super) fn key_value(value: &Value) -> Res<KeyValue> {
    let object = as_object(value)?;
    Ok(KeyValue {
        key: opt_string(object, "key", "key")?,
        value: opt_message(object, "value", "value", any_value)?,
        ..Default::default()
    })
}

pub(super) fn any_value(value: &Value) -> Res<AnyValue> {
    let object = as_object(value)?;
    let mut kind = None;
    for (name, v) in object.iter() {
        if v.is_null() {
            continue;
        }
        let decoded = match name {
            "stringValue" | "string_value" => any_value::Value::StringValue(at(name, string(v))?),
            "boolValue" | "bool_value" => any_value::Value::BoolValue(
                v.as_bool()
                    .ok_or_else(|| format!(".{name}: expected a boolean, found {}", self::kind(v)))?,
            ),
            "intValue" | "int_value" => any_value::Value::IntValue(at(name, i64_value(v))?),
            "doubleValue" | "double_value" => any_value::Value::DoubleValue(at(name, f64_value(v))?),
            "arrayValue" | "array_value" => {
                let inner = at(name, as_object(v))?;
                let values = field(inner, "values", "values")
                    .map_or(Ok(Vec::new()), |vals| at(name, at("values", array(vals, any_value))))?;
                any_value::Value::ArrayValue(ArrayValue { values })
            }
            "kvlistValue" | "kvlist_value" => {
                let inner = at(name, as_object(v))?;
                let values = field(inner, "values", "values")
                    .map_or(Ok(Vec::new()), |vals| at(name, at("values", array(vals, key_value))))?;
                any_value::Value::KvlistValue(KeyValueList { values })
            }
            "bytesValue" | "bytes_value" => {
                let text = at(name, string(v))?;
                any_value::Value::BytesValue(
                    base64::engine::general_purpose::STANDARD
                        .decode(&text)
                        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(&text))
                        .map_err(|_| format!(".{name}: not base64"))?,
                )
            }
            _ => continue,
        };
        kind = Some(decoded);
    }
    Ok(AnyValue { value: kind })
}

pub(super) fn resource(value: &Value) -> Res<Resource> {
    let object = as_object(value)?;
    Ok(Resource {
        attributes: attributes(object)?,
        dropped_attributes_count: dropped_attributes(object)?,
        entity_refs: opt_list(object, "entityRefs", "entity_refs", entity_ref)?,
    })
}

fn entity_ref(value: &Value) -> Res<EntityRef> {
    let object = as_object(value)?;
    let strings = |camel: &str, snake: &str| -> Res<Vec<String>> {
        field(object, camel, snake).map_or(Ok(Vec::new()), |v| at(camel, array(v, string)))
    };
    Ok(EntityRef {
        schema_url: opt_string(object, "schemaUrl", "schema_url")?,
        r#type: opt_string(object, "type", "type")?,
        id_keys: strings("idKeys", "id_keys")?,
        description_keys: strings("descriptionKeys", "description_keys")?,
    })
}

pub(super) fn scope(value: &Value) -> Res<InstrumentationScope> {
    let object = as_object(value)?;
    Ok(InstrumentationScope {
        name: opt_string(object, "name", "name")?,
        version: opt_string(object, "version", "version")?,
        attributes: attributes(object)?,
        dropped_attributes_count: dropped_attributes(object)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_decodes_with_hex_ids_and_string_ints() {
        let body = br#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},
          "scopeSpans":[{"scope":{"name":"lib","version":"1"},"spans":[{
            "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","parentSpanId":"",
            "name":"op","kind":2,"startTimeUnixNano":"1544712660000000000","endTimeUnixNano":1544712661000000000,
            "attributes":[{"key":"n","value":{"intValue":"42"}},{"key":"d","value":{"doubleValue":"NaN"}},
              {"key":"b","value":{"bytesValue":"AQI="}},{"key":"l","value":{"arrayValue":{"values":[{"boolValue":true}]}}}],
            "status":{"code":"STATUS_CODE_ERROR","message":"boom"},"unknownField":{"x":1}}]}]}]}"#;
        let request = decode_request(body).unwrap();
        let span = &request.resource_spans[0].scope_spans[0].spans[0];
        assert_eq!(hex::encode(&span.trace_id), "5b8efff798038103d269b633813fc60c");
        assert_eq!(span.kind, 2);
        assert_eq!(span.start_time_unix_nano, 1544712660000000000);
        assert_eq!(span.end_time_unix_nano, 1544712661000000000);
        assert_eq!(
            span.attributes[0].value.as_ref().unwrap().value,
            Some(any_value::Value::IntValue(42))
        );
        assert!(
            matches!(span.attributes[1].value.as_ref().unwrap().value, Some(any_value::Value::DoubleValue(d)) if d.is_nan())
        );
        assert_eq!(
            span.attributes[2].value.as_ref().unwrap().value,
            Some(any_value::Value::BytesValue(vec![1, 2]))
        );
        assert_eq!(span.status.as_ref().unwrap().code, 2);
    }

    #[test]
    fn base64_ids_are_accepted() {
        let body = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"W47/95gDgQPSabYzgT/GDA==","spanId":"7uGbfsPBsXQ="}]}]}]}"#;
        let request = decode_request(body).unwrap();
        let span = &request.resource_spans[0].scope_spans[0].spans[0];
        assert_eq!(hex::encode(&span.trace_id), "5b8efff798038103d269b633813fc60c");
        assert_eq!(hex::encode(&span.span_id), "eee19b7ec3c1b174");
    }

    #[test]
    fn errors_carry_the_path() {
        let body = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"soon"}]}]}]}"#;
        let err = decode_request(body).unwrap_err().to_string();
        assert!(
            err.contains("resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano"),
            "{err}"
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        super::super::tree::tests::on_server_stack(|| {
            let depth = 100_000;
            let mut body = String::from(r#"{"resourceSpans":"#);
            body.push_str(&"[".repeat(depth));
            body.push_str(&"]".repeat(depth));
            body.push('}');
            assert!(decode_request(body.as_bytes()).is_err());
            // Nested AnyValues: stopped by intake's own limit, before the parser's.
            let mut value = String::from(r#"{"stringValue":"leaf"}"#);
            for _ in 0..60 {
                value = format!(r#"{{"arrayValue":{{"values":[{value}]}}}}"#);
            }
            let body = format!(
                r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"attributes":[{{"key":"k","value":{value}}}]}}]}}]}}]}}"#
            );
            let err = decode_request(body.as_bytes()).unwrap_err().to_string();
            assert!(err.contains("nested too deeply"), "{err}");
        });
    }
}
