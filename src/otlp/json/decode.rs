//! OTLP/JSON traces, read straight into the prost types (the rules are `stream.rs`'s).

use serde::de::MapAccess;

use super::stream::{
    decode_root, list, message, read_scalar, to_enum, to_id, to_string, to_u32, to_u64, Message, MessageSeed, Path,
};
use crate::otlp::{
    span, DecodeError, ExportTraceServiceRequest, KeyValue, ResourceSpans, ScopeSpans, Span, Status,
    SPAN_KIND_ENUM_NAMES,
};

pub fn decode_request(body: &[u8]) -> Result<ExportTraceServiceRequest, DecodeError> {
    decode_root(body)
}

impl Message for ExportTraceServiceRequest {
    const FIELDS: &'static [(&'static str, &'static str)] = &[("resourceSpans", "resource_spans")];
    fn read<'de, A: MapAccess<'de>>(&mut self, _: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        self.resource_spans = list::<MessageSeed<ResourceSpans>, A>(map, path)?;
        Ok(())
    }
}

impl Message for ResourceSpans {
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("resource", "resource"),
        ("scopeSpans", "scope_spans"),
        ("schemaUrl", "schema_url"),
    ];
    fn read<'de, A: MapAccess<'de>>(&mut self, id: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        match id {
            0 => self.resource = message(map, path)?,
            1 => self.scope_spans = list::<MessageSeed<ScopeSpans>, A>(map, path)?,
            _ => read_scalar!(map, path, self.schema_url, to_string),
        }
        Ok(())
    }
}

impl Message for ScopeSpans {
    const FIELDS: &'static [(&'static str, &'static str)] =
        &[("scope", "scope"), ("spans", "spans"), ("schemaUrl", "schema_url")];
    fn read<'de, A: MapAccess<'de>>(&mut self, id: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        match id {
            0 => self.scope = message(map, path)?,
            1 => self.spans = list::<MessageSeed<Span>, A>(map, path)?,
            _ => read_scalar!(map, path, self.schema_url, to_string),
        }
        Ok(())
    }
}

const STATUS_CODES: &[&str] = &["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"];

impl Message for Span {
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("traceId", "trace_id"),
        ("spanId", "span_id"),
        ("traceState", "trace_state"),
        ("parentSpanId", "parent_span_id"),
        ("flags", "flags"),
        ("name", "name"),
        ("kind", "kind"),
        ("startTimeUnixNano", "start_time_unix_nano"),
        ("endTimeUnixNano", "end_time_unix_nano"),
        ("attributes", "attributes"),
        ("droppedAttributesCount", "dropped_attributes_count"),
        ("events", "events"),
        ("droppedEventsCount", "dropped_events_count"),
        ("links", "links"),
        ("droppedLinksCount", "dropped_links_count"),
        ("status", "status"),
    ];
    fn read<'de, A: MapAccess<'de>>(&mut self, id: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        match id {
            0 => read_scalar!(map, path, self.trace_id, to_id),
            1 => read_scalar!(map, path, self.span_id, to_id),
            2 => read_scalar!(map, path, self.trace_state, to_string),
            3 => read_scalar!(map, path, self.parent_span_id, to_id),
            4 => read_scalar!(map, path, self.flags, to_u32),
            5 => read_scalar!(map, path, self.name, to_string),
            6 => read_scalar!(map, path, self.kind, |v, p| to_enum(v, &SPAN_KIND_ENUM_NAMES, p)),
            7 => read_scalar!(map, path, self.start_time_unix_nano, to_u64),
            8 => read_scalar!(map, path, self.end_time_unix_nano, to_u64),
            9 => self.attributes = list::<MessageSeed<KeyValue>, A>(map, path)?,
            10 => read_scalar!(map, path, self.dropped_attributes_count, to_u32),
            11 => self.events = list::<MessageSeed<span::Event>, A>(map, path)?,
            12 => read_scalar!(map, path, self.dropped_events_count, to_u32),
            13 => self.links = list::<MessageSeed<span::Link>, A>(map, path)?,
            14 => read_scalar!(map, path, self.dropped_links_count, to_u32),
            _ => self.status = message(map, path)?,
        }
        Ok(())
    }
}

impl Message for span::Event {
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("timeUnixNano", "time_unix_nano"),
        ("name", "name"),
        ("attributes", "attributes"),
        ("droppedAttributesCount", "dropped_attributes_count"),
    ];
    fn read<'de, A: MapAccess<'de>>(&mut self, id: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        match id {
            0 => read_scalar!(map, path, self.time_unix_nano, to_u64),
            1 => read_scalar!(map, path, self.name, to_string),
            2 => self.attributes = list::<MessageSeed<KeyValue>, A>(map, path)?,
            _ => read_scalar!(map, path, self.dropped_attributes_count, to_u32),
        }
        Ok(())
    }
}

impl Message for span::Link {
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("traceId", "trace_id"),
        ("spanId", "span_id"),
        ("traceState", "trace_state"),
        ("attributes", "attributes"),
        ("droppedAttributesCount", "dropped_attributes_count"),
        ("flags", "flags"),
    ];
    fn read<'de, A: MapAccess<'de>>(&mut self, id: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        match id {
            0 => read_scalar!(map, path, self.trace_id, to_id),
            1 => read_scalar!(map, path, self.span_id, to_id),
            2 => read_scalar!(map, path, self.trace_state, to_string),
            3 => self.attributes = list::<MessageSeed<KeyValue>, A>(map, path)?,
            4 => read_scalar!(map, path, self.dropped_attributes_count, to_u32),
            _ => read_scalar!(map, path, self.flags, to_u32),
        }
        Ok(())
    }
}

impl Message for Status {
    const FIELDS: &'static [(&'static str, &'static str)] = &[("message", "message"), ("code", "code")];
    fn read<'de, A: MapAccess<'de>>(&mut self, id: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        match id {
            0 => read_scalar!(map, path, self.message, to_string),
            _ => read_scalar!(map, path, self.code, |v, p| to_enum(v, STATUS_CODES, p)),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::any_value;

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
        super::super::stream::tests::on_server_stack(|| {
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
