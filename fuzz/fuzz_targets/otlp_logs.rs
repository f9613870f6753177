#![no_main]
//! OTLP logs requests, protobuf or JSON: decoding, input limits, validation, provenance,
//! the auto template and record splitting never panic; what decodes from JSON encodes and
//! decodes to the same request.

use libfuzzer_sys::fuzz_target;

#[path = "shared/signal_stages.rs"]
mod signal_stages;

fuzz_target!(|data: &[u8]| signal_stages::exercise(intake::otlp::Signal::Logs, data));
