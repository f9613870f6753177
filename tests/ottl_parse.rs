//! Every parser case of `tests/ottl/parse_cases.jsonl` (from the upstream parser and
//! lexer tests): statements, conditions and value expressions that must parse or fail.

use intake::ottl::{parse_condition, parse_statement, parse_value};

#[test]
fn every_upstream_parse_case() {
    let text = include_str!("ottl/parse_cases.jsonl");
    let mut failures = Vec::new();
    let mut count = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: serde_json::Value = serde_json::from_str(line).expect("case is JSON");
        let statement = case["statement"].as_str().expect("statement");
        let valid = case["valid"].as_bool().expect("valid");
        let result = match case["kind"].as_str() {
            Some("condition") => parse_condition(statement).map(|_| ()),
            Some("value_expression") => parse_value(statement).map(|_| ()),
            _ => parse_statement(statement).map(|_| ()),
        };
        count += 1;
        match (valid, result) {
            (true, Ok(())) => {}
            (true, Err(e)) => failures.push(format!("should parse: {statement}\n    {}", e.message)),
            (false, Ok(())) => failures.push(format!("should fail: {statement}")),
            (false, Err(e)) => {
                if let Some(expected) = case["error_contains"].as_str() {
                    // Our messages for plain syntax errors start the same way; the casing
                    // and indexing messages are upstream's own.
                    if !e.message.contains(expected) {
                        failures.push(format!(
                            "wrong error for {statement}: {} (want `{expected}`)",
                            e.message
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} parse cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!("{count} parse cases passed");
}

/// Inputs the fuzzer found that once took seconds (exponential backtracking on unclosed
/// brackets): they must now be decided well inside the parser's call limit.
#[test]
fn fuzzer_slow_units_parse_without_hitting_the_call_limit() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ottl/regressions");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = String::from_utf8_lossy(&std::fs::read(entry.unwrap().path()).unwrap()).into_owned();
        for result in [parse_statement(&text).map(|_| ()), parse_condition(&text).map(|_| ())] {
            if let Err(e) = result {
                assert!(!e.message.contains("too complex"), "{}", e.message);
            }
        }
        count += 1;
    }
    assert!(count >= 2);
}
