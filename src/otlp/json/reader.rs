//! The JSON reader under the OTLP/JSON decoders: a serde `Deserializer` over one request
//! body, made for what OTLP/JSON is (many short keys and strings, few escapes, compact
//! or lightly indented). The body's UTF-8 is checked once, up front, so a string without
//! escapes is a slice of it (a body with invalid bytes somewhere has each string it keeps
//! checked instead); strings are scanned eight bytes at a time; numbers without a
//! fraction or exponent are read as integers and the rest parsed by the standard library's
//! correctly rounded `f64` parser, so every number reads as serde_json reads it.
//!
//! It accepts exactly RFC 8259 JSON: no comments, no trailing commas, no control
//! characters or lone surrogates in strings, no NaN/Infinity literals, no number that
//! overflows a double. Like serde_json, it checks a value it skips (an unknown field) for
//! syntax only: invalid UTF-8 or a lone surrogate there passes. Nesting stops at
//! `MAX_DEPTH` levels, whatever reads them.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Visitor};

/// Levels of objects and arrays the reader enters (the decoders' own limit on nested
/// AnyValues is lower); skipping an unknown field counts too.
const MAX_DEPTH: u32 = 255;

/// A malformed body, or a value a decoder refused (which names its own path). Boxed, so
/// that a small result comes back in registers.
#[derive(Debug)]
pub struct ReadError(Box<str>);

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReadError {}

impl de::Error for ReadError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        ReadError(message.to_string().into())
    }
}

type Result<T> = std::result::Result<T, ReadError>;

pub struct Reader<'de> {
    /// The body as text when all of it is UTF-8 (the usual case).
    text: Option<&'de str>,
    bytes: &'de [u8],
    pos: usize,
    depth: u32,
}

/// A number as the grammar read it.
enum Number {
    U64(u64),
    I64(i64),
    F64(f64),
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `word` that is a quote, a backslash or a control
/// character: the bytes a string scan must stop at (the classic "has zero byte" tests).
/// Bits above the lowest may be spurious (borrows), the lowest is exact.
#[inline(always)]
fn special_bytes(word: u64) -> u64 {
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let zero = |x: u64| x.wrapping_sub(ONES) & !x;
    // Bytes under 0x20; a byte ≥ 0x80 can set its high bit here, so `!word` masks it out.
    let control = word.wrapping_sub(ONES * 0x20) & !word;
    (zero(quote) | zero(backslash) | control) & HIGHS
}

/// The index of the first quote, backslash or control character in `bytes` at or after
/// `from` (`bytes.len()` when there is none): where a JSON string ends or needs an escape,
/// read or written. Eight bytes at a time, the last few one by one.
#[inline(always)]
pub fn first_special_byte(bytes: &[u8], mut from: usize) -> usize {
    while let Some(chunk) = bytes.get(from..from + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let found = special_bytes(u64::from_le_bytes(word));
        if found != 0 {
            return from + (found.trailing_zeros() / 8) as usize;
        }
        from += 8;
    }
    while let Some(&b) = bytes.get(from) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        from += 1;
    }
    from
}

impl<'de> Reader<'de> {
    /// A reader over `body`.
    pub fn new(body: &'de [u8]) -> Self {
        Reader {
            text: simdutf8::basic::from_utf8(body).ok(),
            bytes: body,
            pos: 0,
            depth: 0,
        }
    }

    /// Succeeds when only whitespace follows the value read.
    pub fn end(&mut self) -> Result<()> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.error("trailing characters after the JSON value")),
        }
    }

    /// `message` with where the reader stands, as line and column (1-based, in bytes).
    #[cold]
    fn error(&self, message: &str) -> ReadError {
        let before = &self.bytes[..self.pos.min(self.bytes.len())];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        ReadError(format!("{message} at line {line} column {column}").into())
    }

    /// The next byte that is not whitespace, left unread.
    #[inline(always)]
    fn peek(&mut self) -> Option<u8> {
        while let Some(&b) = self.bytes.get(self.pos) {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    #[inline(always)]
    fn expect(&mut self, byte: u8, what: &str) -> Result<()> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(what))
        }
    }

    fn literal(&mut self, word: &'static str) -> Result<()> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.error("expected a JSON value"))
        }
    }

    /// Leaves the object or array `close` ends, which must come next.
    fn leave(&mut self, close: u8, what: &str) -> Result<()> {
        if self.peek() != Some(close) {
            return Err(self.error(what));
        }
        self.pos += 1;
        self.depth -= 1;
        Ok(())
    }

    /// After an entry or element of the object or array `close` ends: a comma (true,
    /// another follows) or `close` (false, and the container is left).
    fn another(&mut self, close: u8, what: &str) -> Result<bool> {
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b) if b == close => self.leave(close, what).map(|()| false),
            _ => Err(self.error(what)),
        }
    }

    /// Whether another entry or element of the object or array `close` ends follows (the
    /// comma before it read, unless it is the `first`); `close` itself is left for the
    /// caller that entered the container.
    #[inline(always)]
    fn next_item(&mut self, first: &mut bool, close: u8, what: &str) -> Result<bool> {
        match self.peek() {
            Some(b) if b == close => return Ok(false),
            Some(b',') if !*first => {
                self.pos += 1;
                self.peek();
            }
            _ if *first => {}
            _ => return Err(self.error(what)),
        }
        *first = false;
        Ok(true)
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("JSON nested too deeply"));
        }
        Ok(())
    }

    // ------------------------------------------------------------ strings

    /// The string whose opening quote was just read; borrowed unless it has escapes.
    #[inline(always)]
    fn string(&mut self) -> Result<Cow<'de, str>> {
        let start = self.pos;
        let stop = first_special_byte(self.bytes, start);
        match self.bytes.get(stop) {
            Some(b'"') => {
                self.pos = stop + 1;
                self.slice(start, stop).map(Cow::Borrowed)
            }
            Some(b'\\') => {
                let mut owned = String::with_capacity(stop - start + 16);
                owned.push_str(self.slice(start, stop)?);
                self.pos = stop;
                self.escaped(&mut owned)?;
                Ok(Cow::Owned(owned))
            }
            Some(_) => {
                self.pos = stop;
                Err(self.error("control character in a string"))
            }
            None => {
                self.pos = stop;
                Err(self.error("unterminated string"))
            }
        }
    }

    #[inline(always)]
    fn slice(&self, start: usize, end: usize) -> Result<&'de str> {
        // Both ends sit next to ASCII bytes, so they are character boundaries.
        match self.text {
            Some(text) => match text.get(start..end) {
                Some(s) => Ok(s),
                None => Err(self.not_utf8()),
            },
            None => match self.bytes.get(start..end).map(std::str::from_utf8) {
                Some(Ok(s)) => Ok(s),
                _ => Err(self.not_utf8()),
            },
        }
    }

    #[cold]
    fn not_utf8(&self) -> ReadError {
        self.error("invalid UTF-8 in a string")
    }

    /// A string whose opening quote was just read, checked as serde_json checks a string it
    /// skips: terminated, without control characters, with well-formed escapes; its text is
    /// not kept, so not checked as UTF-8.
    fn skip_string(&mut self) -> Result<()> {
        loop {
            let stop = first_special_byte(self.bytes, self.pos);
            match self.bytes.get(stop) {
                Some(b'"') => {
                    self.pos = stop + 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos = stop + 1;
                    match self.bytes.get(self.pos) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.pos += 1,
                        Some(b'u') => {
                            self.pos += 1;
                            self.hex4()?;
                        }
                        _ => return Err(self.error("invalid escape in a string")),
                    }
                }
                Some(_) => {
                    self.pos = stop;
                    return Err(self.error("control character in a string"));
                }
                None => {
                    self.pos = stop;
                    return Err(self.error("unterminated string"));
                }
            }
        }
    }

    /// The rest of a string from a backslash at `pos`, appended to `out`.
    fn escaped(&mut self, out: &mut String) -> Result<()> {
        loop {
            match self.bytes.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    let escape = self.bytes.get(self.pos + 1).copied();
                    self.pos += 2;
                    let c = match escape {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => self.unicode_escape()?,
                        _ => {
                            self.pos -= 1;
                            return Err(self.error("invalid escape in a string"));
                        }
                    };
                    out.push(c);
                }
                Some(_) => {
                    let start = self.pos;
                    let stop = first_special_byte(self.bytes, start);
                    match self.bytes.get(stop) {
                        Some(b'"' | b'\\') => {
                            out.push_str(self.slice(start, stop)?);
                            self.pos = stop;
                        }
                        Some(_) => {
                            self.pos = stop;
                            return Err(self.error("control character in a string"));
                        }
                        None => {
                            self.pos = stop;
                            return Err(self.error("unterminated string"));
                        }
                    }
                }
                None => return Err(self.error("unterminated string")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.error("invalid \\u escape"))?;
        let mut value = 0;
        for &d in digits {
            let nibble = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return Err(self.error("invalid \\u escape")),
            };
            value = value << 4 | u32::from(nibble);
        }
        self.pos += 4;
        Ok(value)
    }

    /// `\uXXXX` after its `u`, a surrogate pair as one character; a lone surrogate is an
    /// error, as it is in serde_json.
    fn unicode_escape(&mut self) -> Result<char> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                    return Err(self.error("lone surrogate in a \\u escape"));
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.error("lone surrogate in a \\u escape"));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(self.error("lone surrogate in a \\u escape")),
            other => other,
        };
        char::from_u32(code).ok_or_else(|| self.error("invalid \\u escape"))
    }

    // ------------------------------------------------------------ numbers

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// A number starting at `pos`: integers that fit as integers, the rest as doubles.
    fn number(&mut self) -> Result<Number> {
        let start = self.pos;
        let negative = self.bytes.get(self.pos) == Some(&b'-');
        if negative {
            self.pos += 1;
        }
        let int_start = self.pos;
        let mut value: u64 = 0;
        let mut overflow = false;
        while let Some(&d) = self.bytes.get(self.pos).filter(|d| d.is_ascii_digit()) {
            match value.checked_mul(10).and_then(|v| v.checked_add(u64::from(d - b'0'))) {
                Some(v) => value = v,
                None => overflow = true,
            }
            self.pos += 1;
        }
        let int_digits = self.pos - int_start;
        if int_digits == 0 {
            return Err(self.error("expected a digit"));
        }
        if int_digits > 1 && self.bytes[int_start] == b'0' {
            self.pos = int_start + 1;
            return Err(self.error("leading zero in a number"));
        }
        let mut integer = !overflow;
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.error("expected a digit after the decimal point"));
            }
            integer = false;
        }
        if matches!(self.bytes.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.bytes.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("expected a digit in the exponent"));
            }
            integer = false;
        }
        if integer {
            if !negative {
                return Ok(Number::U64(value));
            }
            // -0 is the double -0.0, as serde_json reads it.
            if value != 0 {
                if let Ok(v) = i64::try_from(value) {
                    return Ok(Number::I64(-v));
                }
                if value == 1 << 63 {
                    return Ok(Number::I64(i64::MIN));
                }
            }
        }
        let text = self.slice(start, self.pos)?;
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Number::F64(v)),
            _ => Err(self.error("number out of range")),
        }
    }

    // ------------------------------------------------------------ skipping

    /// Reads one value and keeps nothing of it (unknown fields), checking it all the same.
    fn skip_value(&mut self) -> Result<()> {
        match self.peek() {
            Some(b'{') => {
                self.pos += 1;
                self.enter()?;
                if self.peek() == Some(b'}') {
                    return self.leave(b'}', "expected `}`");
                }
                loop {
                    self.expect(b'"', "expected a string key")?;
                    self.skip_string()?;
                    self.expect(b':', "expected `:`")?;
                    self.skip_value()?;
                    if !self.another(b'}', "expected `,` or `}`")? {
                        return Ok(());
                    }
                }
            }
            Some(b'[') => {
                self.pos += 1;
                self.enter()?;
                if self.peek() == Some(b']') {
                    return self.leave(b']', "expected `]`");
                }
                loop {
                    self.skip_value()?;
                    if !self.another(b']', "expected `,` or `]`")? {
                        return Ok(());
                    }
                }
            }
            Some(b'"') => {
                self.pos += 1;
                self.skip_string()
            }
            Some(b't') => self.literal("true"),
            Some(b'f') => self.literal("false"),
            Some(b'n') => self.literal("null"),
            Some(b'-' | b'0'..=b'9') => self.number().map(drop),
            _ => Err(self.error("expected a JSON value")),
        }
    }
}

impl<'de> de::Deserializer<'de> for &mut Reader<'de> {
    type Error = ReadError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.peek() {
            Some(b'"') => {
                self.pos += 1;
                match self.string()? {
                    Cow::Borrowed(s) => visitor.visit_borrowed_str(s),
                    Cow::Owned(s) => visitor.visit_string(s),
                }
            }
            Some(b'{') => {
                self.pos += 1;
                self.enter()?;
                let value = visitor.visit_map(Entries {
                    reader: &mut *self,
                    first: true,
                })?;
                // A visitor that stopped early leaves entries unread: refuse them.
                self.leave(b'}', "expected `}`")?;
                Ok(value)
            }
            Some(b'[') => {
                self.pos += 1;
                self.enter()?;
                let value = visitor.visit_seq(Elements {
                    reader: &mut *self,
                    first: true,
                })?;
                self.leave(b']', "expected `]`")?;
                Ok(value)
            }
            Some(b'-' | b'0'..=b'9') => match self.number()? {
                Number::U64(v) => visitor.visit_u64(v),
                Number::I64(v) => visitor.visit_i64(v),
                Number::F64(v) => visitor.visit_f64(v),
            },
            Some(b't') => {
                self.literal("true")?;
                visitor.visit_bool(true)
            }
            Some(b'f') => {
                self.literal("false")?;
                visitor.visit_bool(false)
            }
            Some(b'n') => {
                self.literal("null")?;
                visitor.visit_unit()
            }
            _ => Err(self.error("expected a JSON value")),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.peek() == Some(b'n') {
            self.literal("null")?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.skip_value()?;
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
    }
}

/// The entries of an object whose `{` was read; the caller reads its `}`.
struct Entries<'r, 'de> {
    reader: &'r mut Reader<'de>,
    first: bool,
}

impl<'de> de::MapAccess<'de> for Entries<'_, 'de> {
    type Error = ReadError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        let reader = &mut *self.reader;
        if !reader.next_item(&mut self.first, b'}', "expected `,` or `}`")? {
            return Ok(None);
        }
        if reader.bytes.get(reader.pos) != Some(&b'"') {
            return Err(reader.error("expected a string key"));
        }
        seed.deserialize(&mut *reader).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        self.reader.expect(b':', "expected `:`")?;
        seed.deserialize(&mut *self.reader)
    }
}

/// The elements of an array whose `[` was read; the caller reads its `]`.
struct Elements<'r, 'de> {
    reader: &'r mut Reader<'de>,
    first: bool,
}

impl<'de> de::SeqAccess<'de> for Elements<'_, 'de> {
    type Error = ReadError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        let reader = &mut *self.reader;
        if !reader.next_item(&mut self.first, b']', "expected `,` or `]`")? {
            return Ok(None);
        }
        seed.deserialize(&mut *reader).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn read(text: &str) -> Result<serde_json::Value> {
        read_bytes(text.as_bytes())
    }

    fn read_bytes(body: &[u8]) -> Result<serde_json::Value> {
        let mut reader = Reader::new(body);
        let value = serde_json::Value::deserialize(&mut reader)?;
        reader.end()?;
        Ok(value)
    }

    #[test]
    fn reads_what_serde_json_reads() {
        let cases = [
            r#"{"a":[1,-2,3.5,-0,1e3,18446744073709551615,18446744073709551616,-9223372036854775808,-9223372036854775809,0.1e-5]}"#,
            r#" { "s" : "plain" , "e" : "q\"b\\s\/\b\f\n\r\t\u00e9\ud83d\ude00x" , "n" : null , "t" : true , "f" : false } "#,
            r#"["", "é", "\u0000", [], {}, [[[]]], {"a":{"b":{}}}]"#,
            r#""a string long enough to be scanned eight bytes at a time, twice over""#,
            "123",
            "-0.0",
            "2.2250738585072011e-308",
            "0.014229900000032103",
        ];
        for case in cases {
            let expected: serde_json::Value = serde_json::from_str(case).unwrap();
            let got = read(case).unwrap();
            assert_eq!(got, expected, "{case}");
            assert_eq!(got.to_string(), expected.to_string(), "{case}");
        }
    }

    #[test]
    fn refuses_what_json_refuses() {
        let cases = [
            "",
            "{",
            "[1,]",
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{a:1}"#,
            "01",
            "1.",
            "1e",
            "-",
            "+1",
            ".5",
            "1e999",
            "NaN",
            "tru",
            "nul",
            "\"unterminated",
            "\"bad \\x escape\"",
            "\"\\ud800 lone\"",
            "\"\\udc00\"",
            "\"\\u12g4\"",
            "\"tab\tinside\"",
            "[1] 2",
            "{\"a\":1}}",
        ];
        for case in cases {
            assert!(
                serde_json::from_str::<serde_json::Value>(case).is_err(),
                "serde_json: {case}"
            );
            assert!(read(case).is_err(), "{case}");
        }
        assert!(read_bytes(b"\"\xff\"").is_err());
        assert!(read_bytes(b"{\"a\xff\":1}").is_err());
    }

    /// A skipped value (an unknown field) is checked for syntax only, as serde_json checks
    /// it: invalid UTF-8 and lone surrogates pass there, not in what is kept.
    #[test]
    fn skipped_values_are_checked_as_serde_json_checks_them() {
        let skipped = |body: &[u8]| {
            let mut reader = Reader::new(body);
            serde::de::IgnoredAny::deserialize(&mut reader).and_then(|_| reader.end())
        };
        for body in [
            &b"{\"a\":\"\xff\"}"[..],
            b"[\"\\ud800\"]",
            b"{\"\xfe\":[1,{\"b\":\"x\\u00e9\"}]}",
        ] {
            assert!(skipped(body).is_ok(), "{}", String::from_utf8_lossy(body));
            let reference: std::result::Result<serde::de::IgnoredAny, _> = serde_json::from_slice(body);
            assert!(reference.is_ok(), "{}", String::from_utf8_lossy(body));
        }
        for body in [
            &b"[\"a\x01\"]"[..],
            b"[\"\\x\"]",
            b"[\"\\u12\"]",
            b"{\"a\" 1}",
            b"[\"open",
        ] {
            assert!(skipped(body).is_err(), "{}", String::from_utf8_lossy(body));
            let reference: std::result::Result<serde::de::IgnoredAny, _> = serde_json::from_slice(body);
            assert!(reference.is_err(), "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn errors_say_where() {
        let err = read("{\n  \"a\": tru\n}").unwrap_err().to_string();
        assert!(err.contains("line 2 column 8"), "{err}");
    }

    #[test]
    fn nesting_stops_at_the_limit_even_when_skipped() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(read(&deep(255)).is_ok());
        assert!(read(&deep(256)).is_err());
        let body = deep(300);
        let mut reader = Reader::new(body.as_bytes());
        assert!(serde::de::IgnoredAny::deserialize(&mut reader).is_err());
    }

    #[test]
    fn the_eight_byte_scan_stops_at_every_special_byte() {
        for special in [b'"', b'\\', 0x00, 0x1f] {
            for at in 0..20 {
                let mut bytes = vec![b'a'; 24];
                bytes.extend_from_slice("é€😀".as_bytes());
                bytes[at] = special;
                assert_eq!(first_special_byte(&bytes, 0), at, "{special:#x} at {at}");
            }
        }
        // Every length, so the byte-by-byte tail is tested at every offset.
        for len in 0..20 {
            for special in [b'"', b'\\', 0x00, 0x1f] {
                for at in 0..len {
                    let mut bytes = vec![b'~'; len];
                    bytes[at] = special;
                    assert_eq!(first_special_byte(&bytes, 0), at, "{special:#x} at {at} of {len}");
                    assert_eq!(first_special_byte(&bytes, at), at);
                }
            }
            assert_eq!(first_special_byte(&vec![0xffu8; len], 0), len);
        }
        let plain = "aé€😀 ~\u{7f}".repeat(3);
        assert_eq!(first_special_byte(plain.as_bytes(), 0), plain.len());
    }
}
