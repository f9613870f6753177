#![no_main]
//! The catalog on hostile telemetry: any request that decodes goes through `auto` (every
//! built-in template, every intake extension and the converters they call) without a panic.
//! Seed the corpus with templates/tests/*/*.input.json so the source conditions match.

use std::sync::OnceLock;

use intake::template::{TemplateCatalog, TemplatesConfig};
use libfuzzer_sys::fuzz_target;

fn catalog() -> &'static TemplateCatalog {
    static CATALOG: OnceLock<TemplateCatalog> = OnceLock::new();
    CATALOG.get_or_init(|| TemplateCatalog::load(&TemplatesConfig::default()).expect("built-in catalog loads"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(mut request) = intake::otlp::json::decode_request(data) else {
        return;
    };
    let auto = catalog().resolve("auto").expect("auto is built in");
    let _ = auto.template.apply_traces(&mut request);
});
