#![no_main]
//! ParseJSON's fast path against serde_json: whatever text it accepts, serde_json must read
//! the same value (and accept it at all). Seed with JSON objects and lists.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    assert!(
        intake::ottl::functions::json_fast_path_agrees_with_serde(text),
        "{text:?}"
    );
});
