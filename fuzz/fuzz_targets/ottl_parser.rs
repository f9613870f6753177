#![no_main]
//! The OTTL parser never panics, and what it accepts prints back to the same tree.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(tree) = intake::ottl::parse_statement(text) {
        let printed = tree.to_string();
        let again = intake::ottl::parse_statement(&printed).expect("printed statement parses");
        assert_eq!(again, tree, "{text} -> {printed}");
    }
    let _ = intake::ottl::parse_condition(text);
});
