#![no_main]
//! Protobuf decoding, validation, stamping and record splitting never panic.

use libfuzzer_sys::fuzz_target;
use prost::Message;

fuzz_target!(|data: &[u8]| {
    if let Ok(mut request) = intake::otlp::ExportTraceServiceRequest::decode(data) {
        intake::otlp::drop_invalid_spans(&mut request);
        let layout = intake::sink::RecordLayout {
            key: intake::sink::RecordKey::TraceId,
            encoding: intake::sink::ValueEncoding::OtlpJson,
            max_record_bytes: 4096,
        };
        let headers = intake::sink::RecordHeaders {
            signal: intake::otlp::Signal::Traces,
            project_id: "p".into(),
            api_key_id: "k".into(),
            template_id: None,
            content_type: "",
            organization_id: "o".into(),
            source: "s".into(),
            principal_id: None,
            received_time_unix_nano: 0,
        };
        let _ = layout.split_traces(request, headers);
    }
});
