#![no_main]
//! Credential parsing never panics on any header bytes.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for name in ["authorization", "x-auth-token", "x-project-id"] {
        let Ok(value) = http::HeaderValue::from_bytes(data) else { return };
        let mut headers = http::HeaderMap::new();
        headers.insert(name, value);
        let _ = intake::auth::Credential::from_headers(&headers);
    }
});
