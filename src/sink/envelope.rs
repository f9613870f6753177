//! `TraceEnvelope` (`proto/langwatch/intake/v1/envelope.proto`): the record value for
//! pipelines that drop Kafka headers, with provenance inside the value.

use crate::otlp::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};

pub const CONTENT_TYPE: &str = "application/x-protobuf; proto=langwatch.intake.v1.TraceEnvelope";

#[derive(Clone, PartialEq, prost::Message)]
pub struct TraceEnvelope {
    #[prost(string, tag = "1")]
    pub project_id: String,
    #[prost(string, tag = "2")]
    pub organization_id: String,
    #[prost(string, tag = "3")]
    pub api_key_id: String,
    #[prost(string, tag = "4")]
    pub source: String,
    #[prost(string, tag = "5")]
    pub template_id: String,
    #[prost(string, tag = "6")]
    pub principal_id: String,
    #[prost(fixed64, tag = "7")]
    pub received_time_unix_nano: u64,
    #[prost(message, optional, tag = "8")]
    pub request: Option<ExportTraceServiceRequest>,
    #[prost(message, optional, tag = "9")]
    pub logs: Option<ExportLogsServiceRequest>,
    #[prost(message, optional, tag = "10")]
    pub metrics: Option<ExportMetricsServiceRequest>,
    #[prost(string, tag = "11")]
    pub signal: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    /// The struct and the published schema must not drift apart.
    #[test]
    fn matches_the_proto_file() {
        let schema = include_str!("../../proto/langwatch/intake/v1/envelope.proto");
        let fields: Vec<(String, String)> = schema
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("//") && !l.starts_with("syntax") && l.ends_with(";") && l.contains(" = "))
            .filter_map(|l| {
                let (decl, number) = l.trim_end_matches(';').split_once(" = ")?;
                Some((decl.split_whitespace().last()?.to_owned(), number.to_owned()))
            })
            .collect();
        let expected = [
            ("project_id", "1"),
            ("organization_id", "2"),
            ("api_key_id", "3"),
            ("source", "4"),
            ("template_id", "5"),
            ("principal_id", "6"),
            ("received_time_unix_nano", "7"),
            ("request", "8"),
            ("logs", "9"),
            ("metrics", "10"),
            ("signal", "11"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
            .collect();
        assert_eq!(fields, expected);

        // Every field survives a round trip under those numbers.
        let envelope = TraceEnvelope {
            project_id: "p".into(),
            organization_id: "o".into(),
            api_key_id: "k".into(),
            source: "s".into(),
            template_id: "t@1".into(),
            principal_id: "u".into(),
            received_time_unix_nano: 42,
            request: Some(ExportTraceServiceRequest::default()),
            logs: Some(ExportLogsServiceRequest::default()),
            metrics: Some(ExportMetricsServiceRequest::default()),
            signal: "traces".into(),
        };
        let decoded = TraceEnvelope::decode(&envelope.encode_to_vec()[..]).unwrap();
        assert_eq!(decoded, envelope);
    }
}
