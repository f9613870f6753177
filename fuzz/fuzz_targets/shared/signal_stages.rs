//! What the logs and metrics targets share: decode either encoding (the first byte
//! chooses), check the JSON round trip, then input limits, validation, provenance, the
//! auto template and record splitting.

use std::sync::OnceLock;

use intake::otlp::{Encoding, ExportRequest, Signal};

fn catalog() -> &'static intake::template::TemplateCatalog {
    static CATALOG: OnceLock<intake::template::TemplateCatalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        intake::template::TemplateCatalog::load(&intake::template::TemplatesConfig::default()).expect("catalog")
    })
}

/// Decodes `data` as `signal` and runs it through the pipeline's stages.
pub fn exercise(signal: Signal, data: &[u8]) {
    let Some((first, body)) = data.split_first() else { return };
    let encoding = if first % 2 == 0 { Encoding::Protobuf } else { Encoding::Json };
    let Ok(mut request) = ExportRequest::decode(signal, encoding, body) else { return };
    if encoding == Encoding::Json {
        let encoded = request.encode_json();
        let again = ExportRequest::decode(signal, Encoding::Json, &encoded).expect("re-decodes");
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
    let _ = layout.split(request, headers(signal));
}

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
