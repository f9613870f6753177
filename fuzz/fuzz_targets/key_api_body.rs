#![no_main]
//! The key API's request bodies: any bytes parse to a request or an error naming what is
//! wrong, never a panic; a request that parses becomes a key to create or an error.

use intake::server::key_json::{parse_body, CreateKeyRequest, RotateKeyRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = parse_body::<CreateKeyRequest>(data) {
        let _ = request.into_new_key("key_fuzz");
    }
    if let Ok(rotate) = parse_body::<RotateKeyRequest>(data) {
        let _ = rotate.grace();
    }
});
