#![no_main]
//! OTLP metrics requests, protobuf or JSON (the first byte chooses): decoding, input limits,
//! validation, provenance, the auto template and record splitting never panic; what
//! decodes from JSON encodes and decodes to the same request.

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use intake::otlp::{Encoding, ExportRequest, Signal};

fn catalog() -> &'static intake::template::TemplateCatalog {
    static CATALOG: OnceLock<intake::template::TemplateCatalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        intake::template::TemplateCatalog::load(&intake::template::TemplatesConfig::default()).expect("catalog")
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((first, body)) = data.split_first() else { return };
    let encoding = if first % 2 == 0 { Encoding::Protobuf } else { Encoding::Json };
    let Ok(mut request) = ExportRequest::decode(Signal::Metrics, encoding, body) else { return };
    if encoding == Encoding::Json {
        let encoded = request.encode_json();
        let again = ExportRequest::decode(Signal::Metrics, Encoding::Json, &encoded).expect("re-decodes");
        // NaN never equals itself; compare the encodings instead.
        assert_eq!(again.encode_json(), encoded);
    }
    intake::limits::enforce_input_limits(&mut request, &intake::limits::LimitsConfig::default());
    intake::otlp::drop_invalid_items(&mut request);
    let sender = intake::template::Sender {
        project_id: "p",
        api_key_id: "k",
        organization_id: "o",
        source: "s",
        principal_id: None,
    };
    let auto = catalog().resolve("auto");
    let _ = intake::template::transform(&mut request, &sender, auto.as_deref());
    let layout = intake::sink::RecordLayout {
        key: intake::sink::RecordKey::TraceId,
        encoding: intake::sink::ValueEncoding::OtlpProto,
        max_record_bytes: 4096,
    };
    let _ = layout.split(request, headers(Signal::Metrics));
});

fn headers(signal: Signal) -> intake::sink::RecordHeaders {
    intake::sink::RecordHeaders {
        signal,
        project_id: "p".into(),
        api_key_id: "k".into(),
        template_id: None,
        content_type: "",
        organization_id: "o".into(),
        source: "s".into(),
        principal_id: None,
        received_time_unix_nano: 0,
    }
}
