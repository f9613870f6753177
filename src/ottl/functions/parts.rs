//! Converters upstream has that read parts of a value: the calendar parts of a time
//! (`Year` … `Nanosecond`, `Weekday`, in UTC), `ParseInt`, `Decode` and `UUIDv7`.

use base64::Engine;

use super::super::eval::{EvalError, EvalResult};
use super::super::signature::req;
use super::super::value::Value;
use super::strings::{call, expect_int, expect_str};
use super::{converter, param, FunctionSpec};

pub const SPECS: &[FunctionSpec] = &[
    converter("Year", &[req(param::TIME)], |a| call(a, |v| part(&v[0], Part::Year))),
    converter("Month", &[req(param::TIME)], |a| call(a, |v| part(&v[0], Part::Month))),
    converter("Day", &[req(param::TIME)], |a| call(a, |v| part(&v[0], Part::Day))),
    converter("Hour", &[req(param::TIME)], |a| call(a, |v| part(&v[0], Part::Hour))),
    converter("Minute", &[req(param::TIME)], |a| {
        call(a, |v| part(&v[0], Part::Minute))
    }),
    converter("Second", &[req(param::TIME)], |a| {
        call(a, |v| part(&v[0], Part::Second))
    }),
    converter("Nanosecond", &[req(param::TIME)], |a| {
        call(a, |v| part(&v[0], Part::Nanosecond))
    }),
    converter("Weekday", &[req(param::TIME)], |a| {
        call(a, |v| part(&v[0], Part::Weekday))
    }),
    converter("ParseInt", &[req(param::TARGET), req(param::BASE)], |a| {
        call(a, parse_int)
    }),
    converter("Decode", &[req(param::TARGET), req(param::ENCODING)], |a| {
        if let Some(encoding) = a.literal_string(param::ENCODING)? {
            decoder(encoding).map_err(|e| a.error(e.0))?;
        }
        call(a, decode)
    }),
    converter("UUIDv7", &[], |a| {
        call(a, |_| Ok(Value::string(uuid::Uuid::now_v7().to_string())))
    }),
];

#[derive(Clone, Copy)]
enum Part {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    Nanosecond,
    Weekday,
}

fn part(value: &Value<'_>, part: Part) -> EvalResult<Value<'static>> {
    let Value::Time(nanos) = value else {
        return Err(EvalError::new(format!(
            "expected time.Time but got {}",
            value.type_name()
        )));
    };
    let timestamp = jiff::Timestamp::from_nanosecond(i128::from(*nanos)).map_err(|e| EvalError::new(e.to_string()))?;
    let time = timestamp.to_zoned_datetime(jiff::tz::TimeZone::UTC);
    Ok(Value::Int(match part {
        Part::Year => i64::from(time.year()),
        Part::Month => i64::from(time.month()),
        Part::Day => i64::from(time.day()),
        Part::Hour => i64::from(time.hour()),
        Part::Minute => i64::from(time.minute()),
        Part::Second => i64::from(time.second()),
        Part::Nanosecond => i64::from(time.subsec_nanosecond()),
        // Go's time.Weekday: Sunday is 0.
        Part::Weekday => i64::from(time.weekday().to_sunday_zero_offset()),
    }))
}

/// `ParseInt(target, base)`: Go's strconv.ParseInt, base 0 (prefix decides) or 2 to 36.
fn parse_int(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let text = expect_str(&v[0], "ParseInt target")?;
    let base = expect_int(&v[1], "ParseInt base")?;
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (radix, digits) = match base {
        0 => match digits.get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("0x") => (16, &digits[2..]),
            Some("0b") => (2, &digits[2..]),
            Some("0o") => (8, &digits[2..]),
            _ if digits.len() > 1 && digits.starts_with('0') => (8, &digits[1..]),
            _ => (10, digits),
        },
        2..=36 => (base as u32, digits),
        other => return Err(EvalError::new(format!("invalid base {other}: use 0 or 2 to 36"))),
    };
    let digits = if base == 0 {
        digits.replace('_', "")
    } else {
        digits.to_owned()
    };
    let bad = || EvalError::new(format!("cannot parse {text:?} as an int64 in base {base}"));
    let magnitude = i128::from_str_radix(&digits, radix).map_err(|_| bad())?;
    let signed = if negative { -magnitude } else { magnitude };
    i64::try_from(signed).map(Value::Int).map_err(|_| bad())
}

type Decoder = fn(&str) -> Result<Vec<u8>, String>;

fn decoder(encoding: &str) -> Result<Decoder, EvalError> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    Ok(match encoding.to_ascii_lowercase().as_str() {
        "base64" => |t| STANDARD.decode(t).map_err(|e| e.to_string()),
        "base64-raw" => |t| STANDARD_NO_PAD.decode(t).map_err(|e| e.to_string()),
        "base64-url" => |t| URL_SAFE.decode(t).map_err(|e| e.to_string()),
        "base64-raw-url" => |t| URL_SAFE_NO_PAD.decode(t).map_err(|e| e.to_string()),
        "utf-8" | "utf8" | "us-ascii" | "ascii" => |t| Ok(t.as_bytes().to_vec()),
        other => {
            return Err(EvalError::new(format!(
                "unsupported encoding `{other}` (base64, base64-raw, base64-url, base64-raw-url, utf-8)"
            )))
        }
    })
}

/// `Decode(target, encoding)`: the decoded text (it must be UTF-8).
fn decode(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let text = expect_str(&v[0], "Decode target")?;
    let decode = decoder(expect_str(&v[1], "Decode encoding")?)?;
    let bytes = decode(text).map_err(|e| EvalError::new(format!("Decode: {e}")))?;
    String::from_utf8(bytes)
        .map(Value::string)
        .map_err(|_| EvalError::new("Decode: the decoded bytes are not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_parts_in_utc() {
        // 2024-02-29T13:45:07.000000123Z, a Thursday.
        let t = Value::Time(1_709_214_307_000_000_123);
        let parts = [
            (Part::Year, 2024),
            (Part::Month, 2),
            (Part::Day, 29),
            (Part::Hour, 13),
            (Part::Minute, 45),
            (Part::Second, 7),
            (Part::Nanosecond, 123),
            (Part::Weekday, 4),
        ];
        for (p, want) in parts {
            assert_eq!(part(&t, p).unwrap(), Value::Int(want));
        }
        assert!(part(&Value::Int(1), Part::Year).is_err());
    }

    #[test]
    fn parse_int_follows_go() {
        let p = |s: &str, base: i64| parse_int(&[Value::string(s.into()), Value::Int(base)]);
        assert_eq!(p("12345", 10).unwrap(), Value::Int(12345));
        assert_eq!(p("-ff", 16).unwrap(), Value::Int(-255));
        assert_eq!(p("0x1F", 0).unwrap(), Value::Int(31));
        assert_eq!(p("0755", 0).unwrap(), Value::Int(493));
        assert_eq!(p("1_000", 0).unwrap(), Value::Int(1000));
        assert_eq!(p("-9223372036854775808", 10).unwrap(), Value::Int(i64::MIN));
        assert!(p("9223372036854775808", 10).is_err());
        assert!(p("12a", 10).is_err());
        assert!(p("1", 1).is_err());
    }

    #[test]
    fn decode_base64_variants_and_refuse_unknown_encodings() {
        let d = |s: &str, e: &str| decode(&[Value::string(s.into()), Value::string(e.into())]);
        assert_eq!(d("aGVsbG8gd29ybGQ=", "base64").unwrap(), Value::str("hello world"));
        assert_eq!(d("aGVsbG8gd29ybGQ", "base64-raw").unwrap(), Value::str("hello world"));
        assert_eq!(d("Pz8_", "base64-url").unwrap(), Value::str("???"));
        assert_eq!(d("Pz8_", "base64-raw-url").unwrap(), Value::str("???"));
        assert_eq!(d("plain", "utf-8").unwrap(), Value::str("plain"));
        assert!(d("x", "ebcdic").is_err());
        assert!(d("!!!", "base64").is_err());
    }
}
