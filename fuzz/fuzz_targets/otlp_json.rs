#![no_main]
//! OTLP/JSON decoding never panics; intake's JSON reader and serde_json's parser, under the
//! same decoders, agree on every input (the same request, or both refuse it); what decodes
//! encodes and decodes to the same request.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ours = intake::otlp::json::decode_request(data);
    let theirs = intake::otlp::json::reference::decode_request(data);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => assert_eq!(
            intake::otlp::json::encode_request(a),
            intake::otlp::json::encode_request(b)
        ),
        (Err(_), Err(_)) => {}
        // serde_json stops at 128 levels of nesting, the reader at 255.
        (Ok(_), Err(e)) if e.to_string().contains("recursion limit") => {}
        _ => panic!("reader {:?}, serde_json {:?}", ours.map(|_| ()), theirs.map(|_| ())),
    }
    if let Ok(request) = ours {
        let encoded = intake::otlp::json::encode_request(&request);
        let again = intake::otlp::json::decode_request(&encoded).expect("re-decodes");
        // NaN never equals itself; compare the encodings instead.
        assert_eq!(intake::otlp::json::encode_request(&again), encoded);
    }
});
