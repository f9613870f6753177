//! OTLP/JSON for logs: `ExportLogsServiceRequest` and its response.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use super::encode::{
    partial_success_response, write_into, Hex, Int64Str, JsAnyValue, JsKeyValue, JsResource, JsScope, Seq,
};
use super::stream::{
    decode_root, list, message, read_scalar, to_enum, to_id, to_string, to_u32, to_u64, AnyValueSeed, Message,
    MessageSeed, Nullable, Path,
};
use crate::otlp::{
    DecodeError, ExportLogsServiceRequest, ExportLogsServiceResponse, KeyValue, LogRecord, ResourceLogs, ScopeLogs,
    SEVERITY_NUMBER_NAMES,
};
use serde::de::MapAccess;

/// OTLP/JSON logs, read straight into the prost types (the rules are `stream.rs`'s).
pub fn decode_logs_request(body: &[u8]) -> Result<ExportLogsServiceRequest, DecodeError> {
    decode_root(body)
}

impl Message for ExportLogsServiceRequest {
    const FIELDS: &'static [(&'static str, &'static str)] = &[("resourceLogs", "resource_logs")];
    fn read<'de, A: MapAccess<'de>>(&mut self, _: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        self.resource_logs = list::<MessageSeed<ResourceLogs>, A>(map, path)?;
        Ok(())
    }
}

impl Message for ResourceLogs {
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("resource", "resource"),
        ("scopeLogs", "scope_logs"),
        ("schemaUrl", "schema_url"),
    ];
    fn read<'de, A: MapAccess<'de>>(&mut self, id: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        match id {
            0 => self.resource = message(map, path)?,
            1 => self.scope_logs = list::<MessageSeed<ScopeLogs>, A>(map, path)?,
            _ => read_scalar!(map, path, self.schema_url, to_string),
        }
        Ok(())
    }
}

impl Message for ScopeLogs {
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("scope", "scope"),
        ("logRecords", "log_records"),
        ("schemaUrl", "schema_url"),
    ];
    fn read<'de, A: MapAccess<'de>>(&mut self, id: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        match id {
            0 => self.scope = message(map, path)?,
            1 => self.log_records = list::<MessageSeed<LogRecord>, A>(map, path)?,
            _ => read_scalar!(map, path, self.schema_url, to_string),
        }
        Ok(())
    }
}

impl Message for LogRecord {
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("timeUnixNano", "time_unix_nano"),
        ("observedTimeUnixNano", "observed_time_unix_nano"),
        ("severityNumber", "severity_number"),
        ("severityText", "severity_text"),
        ("body", "body"),
        ("attributes", "attributes"),
        ("droppedAttributesCount", "dropped_attributes_count"),
        ("flags", "flags"),
        ("traceId", "trace_id"),
        ("spanId", "span_id"),
        ("eventName", "event_name"),
    ];
    fn read<'de, A: MapAccess<'de>>(&mut self, id: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        match id {
            0 => read_scalar!(map, path, self.time_unix_nano, to_u64),
            1 => read_scalar!(map, path, self.observed_time_unix_nano, to_u64),
            2 => read_scalar!(map, path, self.severity_number, |v, p| to_enum(
                v,
                &SEVERITY_NUMBER_NAMES,
                p
            )),
            3 => read_scalar!(map, path, self.severity_text, to_string),
            4 => self.body = map.next_value_seed(Nullable(AnyValueSeed(*path)))?,
            5 => self.attributes = list::<MessageSeed<KeyValue>, A>(map, path)?,
            6 => read_scalar!(map, path, self.dropped_attributes_count, to_u32),
            7 => read_scalar!(map, path, self.flags, to_u32),
            8 => read_scalar!(map, path, self.trace_id, to_id),
            9 => read_scalar!(map, path, self.span_id, to_id),
            _ => read_scalar!(map, path, self.event_name, to_string),
        }
        Ok(())
    }
}

pub fn encode_logs_request(request: &ExportLogsServiceRequest) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_into(&mut out, &JsLogsRequest(request));
    out
}

pub fn encode_logs_response(response: &ExportLogsServiceResponse) -> Vec<u8> {
    let partial = response.partial_success.as_ref();
    partial_success_response(
        "rejectedLogRecords",
        partial.map(|p| (p.rejected_log_records, p.error_message.as_str())),
    )
}

struct JsLogsRequest<'a>(&'a ExportLogsServiceRequest);
impl Serialize for JsLogsRequest<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("resourceLogs", &Seq(&self.0.resource_logs, JsResourceLogs))?;
        map.end()
    }
}

struct JsResourceLogs<'a>(&'a ResourceLogs);
impl Serialize for JsResourceLogs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let rl = self.0;
        let mut map = s.serialize_map(None)?;
        if let Some(resource) = &rl.resource {
            map.serialize_entry("resource", &JsResource(resource))?;
        }
        map.serialize_entry("scopeLogs", &Seq(&rl.scope_logs, JsScopeLogs))?;
        if !rl.schema_url.is_empty() {
            map.serialize_entry("schemaUrl", &rl.schema_url)?;
        }
        map.end()
    }
}

struct JsScopeLogs<'a>(&'a ScopeLogs);
impl Serialize for JsScopeLogs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let sl = self.0;
        let mut map = s.serialize_map(None)?;
        if let Some(scope) = &sl.scope {
            map.serialize_entry("scope", &JsScope(scope))?;
        }
        map.serialize_entry("logRecords", &Seq(&sl.log_records, JsLogRecord))?;
        if !sl.schema_url.is_empty() {
            map.serialize_entry("schemaUrl", &sl.schema_url)?;
        }
        map.end()
    }
}

struct JsLogRecord<'a>(&'a LogRecord);
impl Serialize for JsLogRecord<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut map = s.serialize_map(None)?;
        if r.time_unix_nano != 0 {
            map.serialize_entry("timeUnixNano", &Int64Str(r.time_unix_nano))?;
        }
        if r.observed_time_unix_nano != 0 {
            map.serialize_entry("observedTimeUnixNano", &Int64Str(r.observed_time_unix_nano))?;
        }
        if r.severity_number != 0 {
            map.serialize_entry("severityNumber", &r.severity_number)?;
        }
        if !r.severity_text.is_empty() {
            map.serialize_entry("severityText", &r.severity_text)?;
        }
        if let Some(body) = &r.body {
            map.serialize_entry("body", &JsAnyValue(body))?;
        }
        if !r.attributes.is_empty() {
            map.serialize_entry("attributes", &Seq(&r.attributes, JsKeyValue))?;
        }
        if r.dropped_attributes_count != 0 {
            map.serialize_entry("droppedAttributesCount", &r.dropped_attributes_count)?;
        }
        if r.flags != 0 {
            map.serialize_entry("flags", &r.flags)?;
        }
        if !r.trace_id.is_empty() {
            map.serialize_entry("traceId", &Hex(&r.trace_id))?;
        }
        if !r.span_id.is_empty() {
            map.serialize_entry("spanId", &Hex(&r.span_id))?;
        }
        if !r.event_name.is_empty() {
            map.serialize_entry("eventName", &r.event_name)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::any_value;

    #[test]
    fn gemini_cli_shapes_decode_and_round_trip() {
        // Integers as JSON numbers, an empty value `{}`, severity by name, hex ids.
        let body = br#"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"gemini-cli"}}]},
          "scopeLogs":[{"scope":{"name":"gemini-cli"},"logRecords":[{"timeUnixNano":1760000000000000000,
            "severityNumber":"SEVERITY_NUMBER_INFO","body":{"stringValue":"API response"},
            "attributes":[{"key":"input_token_count","value":{"intValue":1234}},{"key":"empty","value":{}}],
            "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","eventName":"x"}]}]}]}"#;
        let request = decode_logs_request(body).unwrap();
        let record = &request.resource_logs[0].scope_logs[0].log_records[0];
        assert_eq!(record.time_unix_nano, 1_760_000_000_000_000_000);
        assert_eq!(record.severity_number, 9);
        assert_eq!(
            record.attributes[0].value.as_ref().unwrap().value,
            Some(any_value::Value::IntValue(1234))
        );
        assert_eq!(record.attributes[1].value.as_ref().unwrap().value, None);
        let again = decode_logs_request(&encode_logs_request(&request)).unwrap();
        assert_eq!(again, request);
    }
}
