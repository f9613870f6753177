#![no_main]
//! OTLP/JSON decoding never panics; what decodes encodes and decodes to the same request.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = intake::otlp::json::decode_request(data) {
        let encoded = intake::otlp::json::encode_request(&request);
        let again = intake::otlp::json::decode_request(&encoded).expect("re-decodes");
        // NaN never equals itself; compare the encodings instead.
        assert_eq!(intake::otlp::json::encode_request(&again), encoded);
    }
});
