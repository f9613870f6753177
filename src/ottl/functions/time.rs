//! Time and duration converters.

use super::super::eval::{EvalError, EvalResult};
use super::super::signature::{opt, req};
use super::super::value::Value;
use super::strings::{call, expect_int, expect_str};
use super::{converter, FunctionSpec};

pub const SPECS: &[FunctionSpec] = &[
    converter("Now", &[], |a| call(a, &[], |_| Ok(Value::Time(now_nanos())))),
    converter(
        "Time",
        &[req("time"), req("format"), opt("location"), opt("locale")],
        |a| call(a, &["time", "format", "location"], parse_time),
    ),
    converter("Unix", &[req("seconds"), opt("nanoseconds")], |a| {
        call(a, &["seconds", "nanoseconds"], unix)
    }),
    converter("UnixSeconds", &[req("time")], |a| {
        call(a, &["time"], |v| time_int(&v[0], 1_000_000_000))
    }),
    converter("UnixMilli", &[req("time")], |a| {
        call(a, &["time"], |v| time_int(&v[0], 1_000_000))
    }),
    converter("UnixMicro", &[req("time")], |a| {
        call(a, &["time"], |v| time_int(&v[0], 1_000))
    }),
    converter("UnixNano", &[req("time")], |a| {
        call(a, &["time"], |v| time_int(&v[0], 1))
    }),
    converter("Duration", &[req("duration")], |a| call(a, &["duration"], duration)),
    converter("Hours", &[req("duration")], |a| {
        call(a, &["duration"], |v| duration_float(&v[0], 3.6e12))
    }),
    converter("Minutes", &[req("duration")], |a| {
        call(a, &["duration"], |v| duration_float(&v[0], 6e10))
    }),
    converter("Seconds", &[req("duration")], |a| {
        call(a, &["duration"], |v| duration_float(&v[0], 1e9))
    }),
    converter("Milliseconds", &[req("duration")], |a| {
        call(a, &["duration"], |v| duration_int(&v[0], 1_000_000))
    }),
    converter("Microseconds", &[req("duration")], |a| {
        call(a, &["duration"], |v| duration_int(&v[0], 1_000))
    }),
    converter("Nanoseconds", &[req("duration")], |a| {
        call(a, &["duration"], |v| duration_int(&v[0], 1))
    }),
];

fn now_nanos() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

fn time_int(value: &Value<'_>, unit: i64) -> EvalResult<Value<'static>> {
    match value {
        Value::Time(t) => Ok(Value::Int(t.div_euclid(unit))),
        other => Err(EvalError::new(format!(
            "expected time.Time but got {}",
            other.type_name()
        ))),
    }
}

fn unix(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let seconds = expect_int(&v[0], "Unix seconds")?;
    let nanos = match &v[1] {
        Value::Nil => 0,
        other => expect_int(other, "Unix nanoseconds")?,
    };
    Ok(Value::Time(seconds * 1_000_000_000 + nanos))
}

fn duration_value(value: &Value<'_>) -> EvalResult<i64> {
    match value {
        Value::Duration(d) => Ok(*d),
        other => Err(EvalError::new(format!(
            "expected time.Duration but got {}",
            other.type_name()
        ))),
    }
}

fn duration_float(value: &Value<'_>, unit: f64) -> EvalResult<Value<'static>> {
    Ok(Value::Float(duration_value(value)? as f64 / unit))
}

fn duration_int(value: &Value<'_>, unit: i64) -> EvalResult<Value<'static>> {
    Ok(Value::Int(duration_value(value)? / unit))
}

/// Go's `time.ParseDuration`: `1h2m3.5s`, `300ms`, `-1.5h`, `1us`/`1µs`, `10ns`.
pub fn parse_go_duration(text: &str) -> Option<i64> {
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if number_len == 0 {
            return None;
        }
        let number: f64 = rest[..number_len].parse().ok()?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 6e10,
            "h" => 3.6e12,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += number * unit;
    }
    let nanos = total.round() as i64;
    Some(if negative { -nanos } else { nanos })
}

fn duration(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let text = expect_str(&v[0], "Duration")?;
    parse_go_duration(text)
        .map(Value::Duration)
        .ok_or_else(|| EvalError::new(format!("time: invalid duration {text:?}")))
}

/// `Time(value, format)` with the strptime directives OTTL documents (%Y %m %d %H %M %S
/// %f %L %z %b %j ...). Missing parts default to Go's zero time (year 0 is clamped to
/// 1970 here, which only matters for absolute values).
fn parse_time(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let text = expect_str(&v[0], "Time")?;
    let format = expect_str(&v[1], "Time format")?;
    if text.is_empty() {
        return Err(EvalError::new("time cannot be empty"));
    }
    let mut year = 1970i64;
    let mut month = 1u32;
    let mut day = 1u32;
    let (mut hour, mut minute, mut second, mut nanos) = (0i64, 0i64, 0i64, 0i64);
    let mut offset_seconds = 0i64;
    let mut pm: Option<bool> = None;
    let mut input = text;
    let mut fmt = format.chars();
    let bad = || EvalError::new(format!("cannot parse {text:?} as {format:?}"));
    let take_digits = |input: &mut &str, max: usize| -> Option<i64> {
        let n = input.bytes().take(max).take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        let value = input[..n].parse().ok();
        *input = &input[n..];
        value
    };
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    while let Some(c) = fmt.next() {
        if c != '%' {
            input = input.strip_prefix(c).ok_or_else(bad)?;
            continue;
        }
        match fmt.next().ok_or_else(bad)? {
            'Y' => year = take_digits(&mut input, 4).ok_or_else(bad)?,
            'y' => year = 2000 + take_digits(&mut input, 2).ok_or_else(bad)?,
            'm' => month = take_digits(&mut input, 2).ok_or_else(bad)? as u32,
            'd' | 'e' => {
                input = input.trim_start();
                day = take_digits(&mut input, 2).ok_or_else(bad)? as u32
            }
            'H' | 'I' => hour = take_digits(&mut input, 2).ok_or_else(bad)?,
            'M' => minute = take_digits(&mut input, 2).ok_or_else(bad)?,
            'S' => second = take_digits(&mut input, 2).ok_or_else(bad)?,
            'f' | 'L' | 's' => {
                let n = input.bytes().take_while(|b| b.is_ascii_digit()).count();
                let digits = &input[..n];
                input = &input[n..];
                let padded = format!("{digits:0<9}");
                nanos = padded[..9].parse().map_err(|_| bad())?;
            }
            'p' => {
                let upper = input.get(..2).map(str::to_ascii_uppercase).ok_or_else(bad)?;
                pm = Some(upper == "PM");
                input = &input[2..];
            }
            'b' | 'h' | 'B' => {
                let lower = input.to_ascii_lowercase();
                let index = MONTHS.iter().position(|m| lower.starts_with(m)).ok_or_else(bad)?;
                month = index as u32 + 1;
                let word_len = input.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
                input = &input[word_len..];
            }
            'a' | 'A' => {
                let word_len = input.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
                input = &input[word_len..];
            }
            'z' => {
                if let Some(rest) = input.strip_prefix('Z') {
                    input = rest;
                } else {
                    let sign = match input.chars().next() {
                        Some('+') => 1,
                        Some('-') => -1,
                        _ => return Err(bad()),
                    };
                    input = &input[1..];
                    let hh = take_digits(&mut input, 2).ok_or_else(bad)?;
                    input = input.strip_prefix(':').unwrap_or(input);
                    let mm = take_digits(&mut input, 2).unwrap_or(0);
                    offset_seconds = sign * (hh * 3600 + mm * 60);
                }
            }
            'Z' => {
                let word_len = input.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
                input = &input[word_len..];
            }
            '%' => input = input.strip_prefix('%').ok_or_else(bad)?,
            _ => return Err(bad()),
        }
    }
    if !input.is_empty() {
        return Err(bad());
    }
    if let Some(is_pm) = pm {
        hour = match (hour, is_pm) {
            (12, false) => 0,
            (h, true) if h < 12 => h + 12,
            (h, _) => h,
        };
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
    Ok(Value::Time(seconds * 1_000_000_000 + nanos))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("1h"), Some(3_600_000_000_000));
        assert_eq!(parse_go_duration("1m30.5s"), Some(90_500_000_000));
        assert_eq!(parse_go_duration("-1.5ms"), Some(-1_500_000));
        assert_eq!(parse_go_duration("10"), None);
    }

    #[test]
    fn strptime_subset() {
        let v = parse_time(&[
            Value::str("2023-05-26 12:34:56.789+02:00"),
            Value::str("%Y-%m-%d %H:%M:%S.%f%z"),
        ])
        .unwrap();
        // 2023-05-26T10:34:56.789Z
        assert_eq!(v, Value::Time(1_685_097_296_789_000_000));
    }
}
