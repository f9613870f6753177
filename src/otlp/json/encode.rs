use base64::Engine;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::Serialize;

use crate::otlp::{
    any_value, span, AnyValue, EntityRef, ExportTraceServiceRequest, ExportTraceServiceResponse, InstrumentationScope,
    KeyValue, Resource, ResourceSpans, ScopeSpans, Span, Status,
};

/// Serializes a request as OTLP/JSON. Default values are omitted, as proto3 JSON does.
pub struct JsonRequest<'a>(pub &'a ExportTraceServiceRequest);

pub fn encode_request(request: &ExportTraceServiceRequest) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_into(&mut out, &JsonRequest(request));
    out
}

pub fn encode_response(response: &ExportTraceServiceResponse) -> Vec<u8> {
    let partial = response.partial_success.as_ref();
    partial_success_response(
        "rejectedSpans",
        partial.map(|p| (p.rejected_spans, p.error_message.as_str())),
    )
}

/// `{}` or `{"partialSuccess":{"<rejected>":"n","errorMessage":"…"}}`, for any signal.
pub(super) fn partial_success_response(rejected_name: &str, partial: Option<(i64, &str)>) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.push(b'{');
    if let Some((rejected, message)) = partial {
        out.extend_from_slice(b"\"partialSuccess\":{");
        let mut first = true;
        if rejected != 0 {
            out.extend_from_slice(format!("\"{rejected_name}\":\"{rejected}\"").as_bytes());
            first = false;
        }
        if !message.is_empty() {
            if !first {
                out.push(b',');
            }
            out.extend_from_slice(b"\"errorMessage\":");
            write_into(&mut out, &message);
        }
        out.push(b'}');
    }
    out.push(b'}');
    out
}

pub(super) fn write_into<T: Serialize>(out: &mut Vec<u8>, value: &T) {
    // Serializing our own types into a Vec cannot fail: every map key is a string and
    // no Serialize impl here returns an error.
    if let Err(error) = serde_json::to_writer(out, value) {
        tracing::error!(message = "OTLP/JSON serialization failed", %error);
    }
}

impl Serialize for JsonRequest<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("resourceSpans", &Seq(&self.0.resource_spans, JsResourceSpans))?;
        map.end()
    }
}

/// Serializes a slice through a wrapper constructor.
pub(super) struct Seq<'a, T, W>(pub(super) &'a [T], pub(super) fn(&'a T) -> W);

impl<'a, T, W: Serialize> Serialize for Seq<'a, T, W> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for item in self.0 {
            seq.serialize_element(&(self.1)(item))?;
        }
        seq.end()
    }
}

pub(super) struct Hex<'a>(pub(super) &'a [u8]);
impl Serialize for Hex<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.0))
    }
}

/// 64-bit integers are strings in proto3 JSON.
pub(super) struct Int64Str<T>(pub(super) T);
impl<T: itoa_like::Display64> Serialize for Int64Str<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0.display())
    }
}

pub(super) mod itoa_like {
    pub trait Display64 {
        fn display(&self) -> impl std::fmt::Display;
    }
    impl Display64 for u64 {
        fn display(&self) -> impl std::fmt::Display {
            *self
        }
    }
    impl Display64 for i64 {
        fn display(&self) -> impl std::fmt::Display {
            *self
        }
    }
}

struct JsResourceSpans<'a>(&'a ResourceSpans);
impl Serialize for JsResourceSpans<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let rs = self.0;
        let mut map = s.serialize_map(None)?;
        if let Some(resource) = &rs.resource {
            map.serialize_entry("resource", &JsResource(resource))?;
        }
        map.serialize_entry("scopeSpans", &Seq(&rs.scope_spans, JsScopeSpans))?;
        if !rs.schema_url.is_empty() {
            map.serialize_entry("schemaUrl", &rs.schema_url)?;
        }
        map.end()
    }
}

pub(super) struct JsResource<'a>(pub(super) &'a Resource);
impl Serialize for JsResource<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("attributes", &Seq(&r.attributes, JsKeyValue))?;
        if r.dropped_attributes_count != 0 {
            map.serialize_entry("droppedAttributesCount", &r.dropped_attributes_count)?;
        }
        if !r.entity_refs.is_empty() {
            map.serialize_entry("entityRefs", &Seq(&r.entity_refs, JsEntityRef))?;
        }
        map.end()
    }
}

struct JsEntityRef<'a>(&'a EntityRef);
impl Serialize for JsEntityRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        let mut map = s.serialize_map(None)?;
        if !e.schema_url.is_empty() {
            map.serialize_entry("schemaUrl", &e.schema_url)?;
        }
        map.serialize_entry("type", &e.r#type)?;
        map.serialize_entry("idKeys", &e.id_keys)?;
        if !e.description_keys.is_empty() {
            map.serialize_entry("descriptionKeys", &e.description_keys)?;
        }
        map.end()
    }
}

struct JsScopeSpans<'a>(&'a ScopeSpans);
impl Serialize for JsScopeSpans<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ss = self.0;
        let mut map = s.serialize_map(None)?;
        if let Some(scope) = &ss.scope {
            map.serialize_entry("scope", &JsScope(scope))?;
        }
        map.serialize_entry("spans", &Seq(&ss.spans, JsSpan))?;
        if !ss.schema_url.is_empty() {
            map.serialize_entry("schemaUrl", &ss.schema_url)?;
        }
        map.end()
    }
}

pub(super) struct JsScope<'a>(pub(super) &'a InstrumentationScope);
impl Serialize for JsScope<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let sc = self.0;
        let mut map = s.serialize_map(None)?;
        if !sc.name.is_empty() {
            map.serialize_entry("name", &sc.name)?;
        }
        if !sc.version.is_empty() {
            map.serialize_entry("version", &sc.version)?;
        }
        if !sc.attributes.is_empty() {
            map.serialize_entry("attributes", &Seq(&sc.attributes, JsKeyValue))?;
        }
        if sc.dropped_attributes_count != 0 {
            map.serialize_entry("droppedAttributesCount", &sc.dropped_attributes_count)?;
        }
        map.end()
    }
}

struct JsSpan<'a>(&'a Span);
impl Serialize for JsSpan<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let sp = self.0;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("traceId", &Hex(&sp.trace_id))?;
        map.serialize_entry("spanId", &Hex(&sp.span_id))?;
        if !sp.trace_state.is_empty() {
            map.serialize_entry("traceState", &sp.trace_state)?;
        }
        if !sp.parent_span_id.is_empty() {
            map.serialize_entry("parentSpanId", &Hex(&sp.parent_span_id))?;
        }
        if sp.flags != 0 {
            map.serialize_entry("flags", &sp.flags)?;
        }
        map.serialize_entry("name", &sp.name)?;
        if sp.kind != 0 {
            map.serialize_entry("kind", &sp.kind)?;
        }
        map.serialize_entry("startTimeUnixNano", &Int64Str(sp.start_time_unix_nano))?;
        map.serialize_entry("endTimeUnixNano", &Int64Str(sp.end_time_unix_nano))?;
        if !sp.attributes.is_empty() {
            map.serialize_entry("attributes", &Seq(&sp.attributes, JsKeyValue))?;
        }
        if sp.dropped_attributes_count != 0 {
            map.serialize_entry("droppedAttributesCount", &sp.dropped_attributes_count)?;
        }
        if !sp.events.is_empty() {
            map.serialize_entry("events", &Seq(&sp.events, JsEvent))?;
        }
        if sp.dropped_events_count != 0 {
            map.serialize_entry("droppedEventsCount", &sp.dropped_events_count)?;
        }
        if !sp.links.is_empty() {
            map.serialize_entry("links", &Seq(&sp.links, JsLink))?;
        }
        if sp.dropped_links_count != 0 {
            map.serialize_entry("droppedLinksCount", &sp.dropped_links_count)?;
        }
        if let Some(status) = &sp.status {
            map.serialize_entry("status", &JsStatus(status))?;
        }
        map.end()
    }
}

struct JsEvent<'a>(&'a span::Event);
impl Serialize for JsEvent<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("timeUnixNano", &Int64Str(e.time_unix_nano))?;
        map.serialize_entry("name", &e.name)?;
        if !e.attributes.is_empty() {
            map.serialize_entry("attributes", &Seq(&e.attributes, JsKeyValue))?;
        }
        if e.dropped_attributes_count != 0 {
            map.serialize_entry("droppedAttributesCount", &e.dropped_attributes_count)?;
        }
        map.end()
    }
}

struct JsLink<'a>(&'a span::Link);
impl Serialize for JsLink<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let l = self.0;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("traceId", &Hex(&l.trace_id))?;
        map.serialize_entry("spanId", &Hex(&l.span_id))?;
        if !l.trace_state.is_empty() {
            map.serialize_entry("traceState", &l.trace_state)?;
        }
        if !l.attributes.is_empty() {
            map.serialize_entry("attributes", &Seq(&l.attributes, JsKeyValue))?;
        }
        if l.dropped_attributes_count != 0 {
            map.serialize_entry("droppedAttributesCount", &l.dropped_attributes_count)?;
        }
        if l.flags != 0 {
            map.serialize_entry("flags", &l.flags)?;
        }
        map.end()
    }
}

struct JsStatus<'a>(&'a Status);
impl Serialize for JsStatus<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let st = self.0;
        let mut map = s.serialize_map(None)?;
        if !st.message.is_empty() {
            map.serialize_entry("message", &st.message)?;
        }
        if st.code != 0 {
            map.serialize_entry("code", &st.code)?;
        }
        map.end()
    }
}

pub(super) struct JsKeyValue<'a>(pub(super) &'a KeyValue);
impl Serialize for JsKeyValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("key", &self.0.key)?;
        match &self.0.value {
            Some(value) => map.serialize_entry("value", &JsAnyValue(value))?,
            None => map.serialize_entry("value", &EmptyObject)?,
        }
        map.end()
    }
}

struct EmptyObject;
impl Serialize for EmptyObject {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_map(Some(0))?.end()
    }
}

pub(crate) struct JsAnyValue<'a>(pub(crate) &'a AnyValue);
impl Serialize for JsAnyValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1))?;
        match &self.0.value {
            None | Some(any_value::Value::StringValueStrindex(_)) => {}
            Some(any_value::Value::StringValue(v)) => map.serialize_entry("stringValue", v)?,
            Some(any_value::Value::BoolValue(v)) => map.serialize_entry("boolValue", v)?,
            Some(any_value::Value::IntValue(v)) => map.serialize_entry("intValue", &Int64Str(*v))?,
            Some(any_value::Value::DoubleValue(v)) => {
                if v.is_nan() {
                    map.serialize_entry("doubleValue", "NaN")?
                } else if v.is_infinite() {
                    map.serialize_entry("doubleValue", if *v > 0.0 { "Infinity" } else { "-Infinity" })?
                } else {
                    map.serialize_entry("doubleValue", v)?
                }
            }
            Some(any_value::Value::ArrayValue(v)) => {
                map.serialize_entry("arrayValue", &ValuesOf(&v.values, JsAnyValue))?
            }
            Some(any_value::Value::KvlistValue(v)) => {
                map.serialize_entry("kvlistValue", &ValuesOf(&v.values, JsKeyValue))?
            }
            Some(any_value::Value::BytesValue(v)) => {
                map.serialize_entry("bytesValue", &base64::engine::general_purpose::STANDARD.encode(v))?
            }
        }
        map.end()
    }
}

/// `{"values": [...]}`, the shape of ArrayValue and KeyValueList.
struct ValuesOf<'a, T, W>(&'a [T], fn(&'a T) -> W);
impl<'a, T, W: Serialize> Serialize for ValuesOf<'a, T, W> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry("values", &Seq(self.0, self.1))?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::json::decode_request;
    use crate::otlp::{ArrayValue, ExportTracePartialSuccess, KeyValueList};

    fn kv(key: &str, value: any_value::Value) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: Some(AnyValue { value: Some(value) }),
            ..Default::default()
        }
    }

    #[test]
    fn encode_then_decode_is_identity() {
        let request = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource {
                    attributes: vec![kv("service.name", any_value::Value::StringValue("s".into()))],
                    ..Default::default()
                }),
                scope_spans: vec![ScopeSpans {
                    scope: Some(InstrumentationScope {
                        name: "lib".into(),
                        version: "1.0".into(),
                        ..Default::default()
                    }),
                    spans: vec![Span {
                        trace_id: vec![7; 16],
                        span_id: vec![8; 8],
                        parent_span_id: vec![9; 8],
                        name: "chat \"gpt\"".into(),
                        kind: 3,
                        start_time_unix_nano: u64::MAX,
                        end_time_unix_nano: 1,
                        attributes: vec![
                            kv("i", any_value::Value::IntValue(i64::MIN)),
                            kv("d", any_value::Value::DoubleValue(1.5)),
                            kv("inf", any_value::Value::DoubleValue(f64::INFINITY)),
                            kv("b", any_value::Value::BytesValue(vec![0, 255])),
                            kv(
                                "a",
                                any_value::Value::ArrayValue(ArrayValue {
                                    values: vec![AnyValue {
                                        value: Some(any_value::Value::BoolValue(true)),
                                    }],
                                }),
                            ),
                            kv(
                                "m",
                                any_value::Value::KvlistValue(KeyValueList {
                                    values: vec![kv("x", any_value::Value::StringValue("ü".into()))],
                                }),
                            ),
                        ],
                        events: vec![span::Event {
                            time_unix_nano: 5,
                            name: "e".into(),
                            ..Default::default()
                        }],
                        links: vec![span::Link {
                            trace_id: vec![1; 16],
                            span_id: vec![2; 8],
                            flags: 256,
                            ..Default::default()
                        }],
                        status: Some(Status {
                            code: 2,
                            message: "bad".into(),
                        }),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                schema_url: "https://opentelemetry.io/schemas/1.26.0".into(),
            }],
        };
        let json = encode_request(&request);
        let text = String::from_utf8(json.clone()).unwrap();
        assert!(
            text.contains(r#""traceId":"07070707070707070707070707070707""#),
            "{text}"
        );
        assert!(text.contains(r#""startTimeUnixNano":"18446744073709551615""#), "{text}");
        assert!(text.contains(r#""intValue":"-9223372036854775808""#), "{text}");
        assert_eq!(decode_request(&json).unwrap(), request);
    }

    #[test]
    fn response_json_uses_camel_case_and_string_int64() {
        let response = ExportTraceServiceResponse {
            partial_success: Some(ExportTracePartialSuccess {
                rejected_spans: 2,
                error_message: "x \"y\"".into(),
            }),
        };
        assert_eq!(
            String::from_utf8(encode_response(&response)).unwrap(),
            r#"{"partialSuccess":{"rejectedSpans":"2","errorMessage":"x \"y\""}}"#
        );
        assert_eq!(encode_response(&ExportTraceServiceResponse::default()), b"{}");
    }
}
