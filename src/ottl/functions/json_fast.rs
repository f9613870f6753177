//! `ParseJSON`'s fast path: JSON whose strings have no escapes, nested at most
//! `MAX_DEPTH` deep, with numbers read exactly as serde_json reads them (what templates
//! parse: invocation parameters, tool arguments, small metadata objects), parsed straight
//! into OTLP values. It gives up (None) on anything else, errors included, and the caller
//! then parses with serde_json: the fast path never decides a result serde would decide
//! differently, which `tests::the_fast_path_agrees_with_serde` and the `ottl_json` fuzz
//! target check.

use crate::otlp::{any_value, AnyValue, ArrayValue, KeyValue, KeyValueList};

use super::json_value::sorted_last_wins;
use crate::otlp::json::first_special_byte;

/// Deeper than this is left to serde_json (whose own limit is 128).
const MAX_DEPTH: usize = 64;

/// An object's first entries are put in key order as they are read; after this many, the
/// rest are appended and the whole sorted once.
const SORTED_AS_READ: usize = 16;

/// Entries a non-empty object or array has room for before its first entry is read.
const FIRST_CAPACITY: usize = 4;

/// Powers of ten a double holds exactly.
const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// `-?digits.digits` with at most 15 digits in all, read as one correctly rounded division:
/// the digits as an integer below 2^53 and the power of ten are both exact doubles, so the
/// quotient is the nearest double to the decimal, as `str::parse` finds it (Clinger's fast
/// path). None for anything else (exponents, more digits), which `str::parse` reads.
fn short_decimal(token: &[u8]) -> Option<f64> {
    let (negative, digits) = match token.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, token),
    };
    let (mut mantissa, mut count, mut fraction, mut seen_point) = (0u64, 0usize, 0usize, false);
    for &b in digits {
        match b {
            b'0'..=b'9' if count < 15 => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                count += 1;
                fraction += usize::from(seen_point);
            }
            b'.' if !seen_point => seen_point = true,
            _ => return None,
        }
    }
    if !seen_point {
        return None;
    }
    let value = mantissa as f64 / EXACT_POWERS_OF_TEN.get(fraction)?;
    Some(if negative { -value } else { value })
}

/// An integer token (`-?digits`, no leading zero) as serde_json makes it a double: through
/// u64 or, negative, i64; None for `-0` and for what neither holds. Up to 18 digits fit
/// either without overflow and are folded here; longer ones go through `str::parse`.
fn integer_value(token: &str, negative: bool) -> Option<f64> {
    let digits = &token.as_bytes()[usize::from(negative)..];
    if digits.len() <= 18 {
        let n = digits.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
        return match (negative, n) {
            (true, 0) => None,
            (true, n) => Some(-(n as i64) as f64),
            (false, n) => Some(n as f64),
        };
    }
    if negative {
        token.parse::<i64>().ok().map(|n| n as f64)
    } else {
        token.parse::<u64>().ok().map(|n| n as f64)
    }
}

pub fn parse(text: &str) -> Option<AnyValue> {
    let mut parser = Parser { text, at: 0, depth: 0 };
    let value = parser.value()?;
    parser.skip_whitespace();
    (parser.at == text.len()).then_some(value)
}

/// False when the fast path accepts `text` and serde_json reads it differently or refuses
/// it (for the fuzz target).
pub fn agrees_with_serde(text: &str) -> bool {
    match parse(text) {
        None => true,
        Some(fast) => {
            let slow = super::json_value::parse_any_with_serde(text).ok();
            // Debug output tells -0.0 from 0.0.
            format!("{:?}", Some(fast)) == format!("{slow:?}")
        }
    }
}

struct Parser<'t> {
    text: &'t str,
    at: usize,
    depth: usize,
}

fn filled(value: any_value::Value) -> AnyValue {
    AnyValue { value: Some(value) }
}

impl<'t> Parser<'t> {
    fn bytes(&self) -> &'t [u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.at).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn value(&mut self) -> Option<AnyValue> {
        self.skip_whitespace();
        match self.peek()? {
            b'{' => self.object(),
            b'[' => self.array(),
            b'"' => Some(filled(any_value::Value::StringValue(self.string()?.to_owned()))),
            b't' => self.word("true", filled(any_value::Value::BoolValue(true))),
            b'f' => self.word("false", filled(any_value::Value::BoolValue(false))),
            b'n' => self.word("null", AnyValue::default()),
            _ => self.number(),
        }
    }

    fn word(&mut self, word: &str, value: AnyValue) -> Option<AnyValue> {
        if !self.text[self.at..].starts_with(word) {
            return None;
        }
        self.at += word.len();
        Some(value)
    }

    /// A string without escapes or control characters, borrowed; the cursor is on its `"`.
    fn string(&mut self) -> Option<&'t str> {
        let start = self.at + 1;
        let end = first_special_byte(self.bytes(), start);
        if self.bytes().get(end) != Some(&b'"') {
            return None;
        }
        self.at = end + 1;
        // Both ends are ASCII quotes, so the slice is on character boundaries.
        self.text.get(start..end)
    }

    fn nest(&mut self) -> Option<()> {
        self.depth += 1;
        self.at += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    fn object(&mut self) -> Option<AnyValue> {
        self.nest()?;
        let mut values: Vec<KeyValue> = Vec::new();
        let mut unsorted = false;
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.at += 1;
        } else {
            // Room for a few entries at once: growing from empty goes through the slow
            // path of `Vec`'s growth on the first insert.
            values.reserve_exact(FIRST_CAPACITY);
            loop {
                self.skip_whitespace();
                if self.peek() != Some(b'"') {
                    return None;
                }
                let key = self.string()?;
                self.skip_whitespace();
                if self.peek() != Some(b':') {
                    return None;
                }
                self.at += 1;
                let value = self.value()?;
                // The first entries are kept in order as they come (a repeated key's last
                // value winning), what `sorted_last_wins` makes of the whole list; a long
                // object is sorted once at the end instead.
                let place = match values.len() {
                    0..SORTED_AS_READ if !unsorted => values.binary_search_by(|kv| kv.key.as_str().cmp(key)),
                    n => {
                        unsorted = true;
                        Err(n)
                    }
                };
                match place {
                    Ok(at) => values[at].value = Some(value),
                    Err(at) => values.insert(
                        at,
                        KeyValue {
                            key: key.to_owned(),
                            value: Some(value),
                            ..Default::default()
                        },
                    ),
                }
                if !self.another(b'}')? {
                    break;
                }
            }
        }
        self.depth -= 1;
        if unsorted {
            values = sorted_last_wins(values);
        }
        Some(filled(any_value::Value::KvlistValue(KeyValueList { values })))
    }

    /// After an entry or element of the object or array `close` ends: a comma (true,
    /// another follows) or `close` (false); None for anything else.
    fn another(&mut self, close: u8) -> Option<bool> {
        self.skip_whitespace();
        let next = self.peek()?;
        if next != b',' && next != close {
            return None;
        }
        self.at += 1;
        Some(next == b',')
    }

    fn array(&mut self) -> Option<AnyValue> {
        self.nest()?;
        let mut values: Vec<AnyValue> = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.at += 1;
        } else {
            values.reserve_exact(FIRST_CAPACITY);
            loop {
                values.push(self.value()?);
                if !self.another(b']')? {
                    break;
                }
            }
        }
        self.depth -= 1;
        Some(filled(any_value::Value::ArrayValue(ArrayValue { values })))
    }

    /// A JSON number, as a double the way serde_json makes one: integers through u64/i64,
    /// the rest correctly rounded (serde_json's `float_roundtrip`, as `str::parse`). Gives
    /// up where serde takes another road: integers beyond 64 bits, `-0`, and doubles that
    /// overflow, underflow or are subnormal.
    fn number(&mut self) -> Option<AnyValue> {
        let bytes = self.bytes();
        let start = self.at;
        let mut at = start;
        let digits = |at: &mut usize| {
            let from = *at;
            while matches!(bytes.get(*at), Some(b'0'..=b'9')) {
                *at += 1;
            }
            *at > from
        };
        let negative = bytes.get(at) == Some(&b'-');
        if negative {
            at += 1;
        }
        match bytes.get(at)? {
            b'0' => at += 1,
            b'1'..=b'9' => {
                digits(&mut at);
            }
            _ => return None,
        }
        let mut integer = true;
        if bytes.get(at) == Some(&b'.') {
            at += 1;
            if !digits(&mut at) {
                return None;
            }
            integer = false;
        }
        if matches!(bytes.get(at), Some(b'e' | b'E')) {
            at += 1;
            if matches!(bytes.get(at), Some(b'+' | b'-')) {
                at += 1;
            }
            if !digits(&mut at) {
                return None;
            }
            integer = false;
        }
        let token = self.text.get(start..at)?;
        self.at = at;
        let value = if integer {
            integer_value(token, negative)?
        } else {
            let value = match short_decimal(token.as_bytes()) {
                Some(value) => value,
                None => token.parse::<f64>().ok()?,
            };
            if !value.is_normal() {
                return None;
            }
            value
        };
        Some(filled(any_value::Value::DoubleValue(value)))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::json_value::parse_any_with_serde;
    use super::*;

    fn same(text: &str) -> Result<(), TestCaseError> {
        prop_assert!(
            agrees_with_serde(text),
            "{:?}: fast {:?}, serde {:?}",
            text,
            parse(text),
            parse_any_with_serde(text)
        );
        Ok(())
    }

    fn json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(|n| serde_json::json!(n)),
            any::<u64>().prop_map(|n| serde_json::json!(n)),
            any::<f64>().prop_map(|f| serde_json::json!(f)),
            r#"[a-z"\\é\n]{0,8}"#.prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
                prop::collection::vec(("[a-c]{1,2}", inner), 0..6)
                    .prop_map(|entries| serde_json::Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn the_fast_path_agrees_with_serde(value in json(), cut in 0usize..64, byte in any::<u8>()) {
            let text = value.to_string();
            same(&text)?;
            // And on a broken copy: a byte replaced, or the text cut short.
            let mut broken = text.clone().into_bytes();
            if !broken.is_empty() {
                let at = cut % broken.len();
                broken[at] = byte;
                if let Ok(broken) = String::from_utf8(broken) {
                    same(&broken)?;
                }
                if let Some(prefix) = text.get(..cut.min(text.len())) {
                    same(prefix)?;
                }
            }
        }

        #[test]
        fn numbers_read_as_serde_reads_them(text in r"-?(0|[1-9][0-9]{0,25})(\.[0-9]{1,20})?([eE][-+]?[0-9]{1,3})?") {
            same(&text)?;
            same(&format!(r#"[{text}, {{"k": {text}}}]"#))?;
        }
    }

    /// Objects longer than the part kept in order as read, with keys repeated on both sides
    /// of that boundary, read as serde reads them.
    #[test]
    fn long_objects_with_repeated_keys_read_as_serde_reads_them() {
        for len in [15, 16, 17, 40] {
            let entries: Vec<String> = (0..len)
                .map(|i| format!(r#""k{}":{i}"#, (len - i) % 11))
                .chain([r#""k3":"last""#.to_owned(), r#""a":0.25"#.to_owned()])
                .collect();
            let text = format!("{{{}}}", entries.join(","));
            assert!(parse(&text).is_some(), "{text}");
            same(&text).unwrap();
        }
    }

    #[test]
    fn the_usual_inputs_take_the_fast_path() {
        for text in [
            r#"{"model":"gpt-4o","temperature":0.7,"max_tokens":1024}"#,
            r#" [1, -2, 3.5e2, true, false, null, "é", {"a": [], "b": {}}] "#,
            r#"{"b":1,"a":2,"b":3}"#,
        ] {
            assert!(parse(text).is_some(), "{text}");
            assert_eq!(parse(text), parse_any_with_serde(text).ok(), "{text}");
        }
        for text in [
            r#""a\"b""#,
            "-0",
            "1e400",
            "18446744073709551616",
            "{",
            "01",
            "[1,]",
            "tru",
        ] {
            assert!(parse(text).is_none(), "{text}");
        }
    }
}
