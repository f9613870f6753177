//! Time and duration converters.

use super::super::error::ParseError;
use super::super::eval::{EvalError, EvalResult};
use super::super::signature::{opt, req, Args};
use super::super::value::Value;
use super::strings::{call, expect_int, expect_str};
use super::{converter, param, FunctionSpec};

pub const SPECS: &[FunctionSpec] = &[
    converter("Now", &[], |a| call(a, |_| Ok(Value::Time(now_nanos())))),
    converter(
        "Time",
        &[
            req(param::TIME),
            req(param::FORMAT),
            opt(param::LOCATION),
            opt(param::LOCALE),
        ],
        |a| {
            check_literal_format(a)?;
            if let Some(name) = a.literal_string(param::LOCATION)? {
                location(name).map_err(|e| a.error(e.0))?;
            }
            call(a, parse_time)
        },
    ),
    converter("FormatTime", &[req(param::TIME), req(param::FORMAT)], |a| {
        check_literal_format(a)?;
        call(a, format_time)
    }),
    converter("Unix", &[req(param::SECONDS), opt(param::NANOSECONDS)], |a| {
        call(a, unix)
    }),
    converter("UnixSeconds", &[req(param::TIME)], |a| {
        call(a, |v| time_int(&v[0], 1_000_000_000))
    }),
    converter("UnixMilli", &[req(param::TIME)], |a| {
        call(a, |v| time_int(&v[0], 1_000_000))
    }),
    converter("UnixMicro", &[req(param::TIME)], |a| {
        call(a, |v| time_int(&v[0], 1_000))
    }),
    converter("UnixNano", &[req(param::TIME)], |a| call(a, |v| time_int(&v[0], 1))),
    converter("Duration", &[req(param::DURATION)], |a| call(a, duration)),
    converter("TruncateTime", &[req(param::TIME), req(param::DURATION)], |a| {
        call(a, truncate_time)
    }),
    converter("Hours", &[req(param::DURATION)], |a| {
        call(a, |v| duration_float(&v[0], 3.6e12))
    }),
    converter("Minutes", &[req(param::DURATION)], |a| {
        call(a, |v| duration_float(&v[0], 6e10))
    }),
    converter("Seconds", &[req(param::DURATION)], |a| {
        call(a, |v| duration_float(&v[0], 1e9))
    }),
    converter("Milliseconds", &[req(param::DURATION)], |a| {
        call(a, |v| duration_int(&v[0], 1_000_000))
    }),
    converter("Microseconds", &[req(param::DURATION)], |a| {
        call(a, |v| duration_int(&v[0], 1_000))
    }),
    converter("Nanoseconds", &[req(param::DURATION)], |a| {
        call(a, |v| duration_int(&v[0], 1))
    }),
];

/// A literal format is checked when the template loads.
fn check_literal_format(args: &Args<'_>) -> Result<(), ParseError> {
    match args.literal_string(param::FORMAT)? {
        Some(format) => strftime_format(format).map(|_| ()).map_err(|e| args.error(e)),
        None => Ok(()),
    }
}

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

/// Nanoseconds from Go's zero time (January 1, year 1, UTC) to the Unix epoch.
const ZERO_TIME_TO_UNIX_NANOS: i128 = 62_135_596_800 * 1_000_000_000;

/// Go's `Time.Truncate`: down to a multiple of the duration since the zero time (year 1, not
/// 1970, so a 7h step falls where Go's does); a duration of zero or less changes nothing.
fn truncate_time(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let Value::Time(t) = &v[0] else {
        return Err(EvalError::new(format!(
            "TruncateTime: expected time.Time but got {}",
            v[0].type_name()
        )));
    };
    let d = duration_value(&v[1])?;
    if d <= 0 {
        return Ok(Value::Time(*t));
    }
    let since_zero = *t as i128 + ZERO_TIME_TO_UNIX_NANOS;
    Ok(Value::Time((*t as i128 - since_zero.rem_euclid(d as i128)) as i64))
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

/// The parts a `Time` format read from its input; what it did not read keeps Go's zero
/// time, except the year (1970 here, which only matters for absolute values).
struct Parsed {
    year: i16,
    month: i8,
    day: i8,
    day_of_year: Option<i16>,
    hour: i8,
    minute: i8,
    second: i8,
    nanos: i32,
    pm: Option<bool>,
    offset_seconds: Option<i32>,
    zone: Option<String>,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn take_digits(input: &mut &str, max: usize) -> Option<i64> {
    let n = input.bytes().take(max).take_while(|b| b.is_ascii_digit()).count();
    if n == 0 {
        return None;
    }
    let value = input[..n].parse().ok();
    *input = &input[n..];
    value
}

fn take_word<'i>(input: &mut &'i str) -> &'i str {
    let len = input
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'+'))
        .count();
    let (word, rest) = input.split_at(len);
    *input = rest;
    word
}

/// `Z`, `+hh`, `+hhmm` or `+hh:mm`.
fn take_offset(input: &mut &str) -> Option<i32> {
    if let Some(rest) = input.strip_prefix('Z') {
        *input = rest;
        return Some(0);
    }
    let sign = match input.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    *input = &input[1..];
    let hh = take_digits(input, 2)?;
    *input = input.strip_prefix(':').unwrap_or(input);
    let mm = take_digits(input, 2).unwrap_or(0);
    i32::try_from(sign * (hh * 3600 + mm * 60)).ok()
}

impl Parsed {
    /// Reads `text` with the OTTL strptime directives (%Y %y %m %d %e %j %H %I %M %S %f %L
    /// %s %p %b %B %h %a %A %z %Z %%); `None` when the text does not match.
    fn read(text: &str, format: &str) -> Option<Parsed> {
        let mut p = Parsed {
            year: 1970,
            month: 1,
            day: 1,
            day_of_year: None,
            hour: 0,
            minute: 0,
            second: 0,
            nanos: 0,
            pm: None,
            offset_seconds: None,
            zone: None,
        };
        let mut input = text;
        let mut fmt = format.chars();
        while let Some(c) = fmt.next() {
            if c != '%' {
                input = input.strip_prefix(c)?;
                continue;
            }
            p.directive(fmt.next()?, &mut input)?;
        }
        input.is_empty().then_some(p)
    }

    fn directive(&mut self, directive: char, input: &mut &str) -> Option<()> {
        let small = |v: i64| i8::try_from(v).ok();
        match directive {
            'Y' => self.year = i16::try_from(take_digits(input, 4)?).ok()?,
            'y' => self.year = i16::try_from(2000 + take_digits(input, 2)?).ok()?,
            'm' => self.month = small(take_digits(input, 2)?)?,
            'd' | 'e' => {
                *input = input.trim_start();
                self.day = small(take_digits(input, 2)?)?;
            }
            'j' => self.day_of_year = Some(i16::try_from(take_digits(input, 3)?).ok()?),
            'H' | 'I' => self.hour = small(take_digits(input, 2)?)?,
            'M' => self.minute = small(take_digits(input, 2)?)?,
            'S' => self.second = small(take_digits(input, 2)?)?,
            'f' | 'L' | 's' => {
                let n = input.bytes().take_while(|b| b.is_ascii_digit()).count().min(9);
                let digits = &input[..n];
                *input = &input[n..];
                self.nanos = format!("{digits:0<9}").parse().ok()?;
            }
            'p' => {
                let upper = input.get(..2)?.to_ascii_uppercase();
                self.pm = Some(upper == "PM");
                *input = &input[2..];
            }
            'b' | 'h' | 'B' => {
                let lower = input.to_ascii_lowercase();
                let index = MONTHS.iter().position(|m| lower.starts_with(m))?;
                self.month = small(index as i64 + 1)?;
                let word_len = input.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
                *input = &input[word_len..];
            }
            'a' | 'A' => {
                let word_len = input.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
                *input = &input[word_len..];
            }
            'z' => self.offset_seconds = Some(take_offset(input)?),
            'Z' => self.zone = Some(take_word(input).to_owned()),
            '%' => *input = input.strip_prefix('%')?,
            _ => return None,
        }
        Some(())
    }

    /// The instant, in `location` unless the text carried an offset or a known zone.
    fn timestamp(&self, location: Option<&jiff::tz::TimeZone>) -> Result<jiff::Timestamp, jiff::Error> {
        let hour = match (self.hour, self.pm) {
            (12, Some(false)) => 0,
            (h, Some(true)) if h < 12 => h + 12,
            (h, _) => h,
        };
        let date = match self.day_of_year {
            Some(day) => jiff::civil::Date::new(self.year, 1, 1)?
                .with()
                .day_of_year(day)
                .build()?,
            None => jiff::civil::Date::new(self.year, self.month, self.day)?,
        };
        let datetime = date.to_datetime(jiff::civil::Time::new(hour, self.minute, self.second, self.nanos)?);
        if let Some(seconds) = self.offset_seconds {
            return jiff::tz::Offset::from_seconds(seconds)?.to_timestamp(datetime);
        }
        // Abbreviations such as `MST` are ambiguous: only IANA names and UTC count.
        let named = self.zone.as_deref().and_then(|z| jiff::tz::TimeZone::get(z).ok());
        let zone = named.as_ref().or(location);
        match zone {
            Some(zone) => zone.to_timestamp(datetime),
            None => jiff::tz::Offset::UTC.to_timestamp(datetime),
        }
    }
}

/// `Time(value, format, Optional[location])`: `location` is an IANA zone name for inputs
/// that carry no offset.
fn parse_time(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let text = expect_str(&v[0], "Time")?;
    let format = expect_str(&v[1], "Time format")?;
    if text.is_empty() {
        return Err(EvalError::new("time cannot be empty"));
    }
    let location = match v.get(2) {
        None | Some(Value::Nil) => None,
        Some(other) => Some(location(expect_str(other, "Time location")?)?),
    };
    let bad = || EvalError::new(format!("cannot parse {text:?} as {format:?}"));
    let parsed = Parsed::read(text, format).ok_or_else(bad)?;
    let timestamp = parsed
        .timestamp(location.as_ref())
        .map_err(|e| EvalError::new(format!("cannot parse {text:?} as {format:?}: {e}")))?;
    i64::try_from(timestamp.as_nanosecond())
        .map(Value::Time)
        .map_err(|_| bad())
}

fn location(name: &str) -> EvalResult<jiff::tz::TimeZone> {
    jiff::tz::TimeZone::get(name).map_err(|e| EvalError::new(format!("unknown location `{name}`: {e}")))
}

/// The OTTL directives as jiff's strftime spells them.
pub fn strftime_format(format: &str) -> Result<String, String> {
    let mut out = String::with_capacity(format.len() + 8);
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let directive = chars.next().ok_or("format ends with `%`")?;
        out.push_str(match directive {
            'L' => "%3f",
            'f' => "%6f",
            's' => "%9f",
            'o' | 'q' => "%-m",
            'g' => "%-d",
            'l' => "%-I",
            'w' => "%:z",
            'i' => "%:::z",
            'c' => "%a %b %e %H:%M:%S %Y",
            'x' | 'D' => "%m/%d/%y",
            'X' | 'T' => "%H:%M:%S",
            'Y' | 'y' | 'm' | 'b' | 'h' | 'B' | 'd' | 'e' | 'a' | 'A' | 'H' | 'I' | 'p' | 'M' | 'S' | 'Z' | 'z'
            | 'j' | 'F' | 'R' | 'r' | 'n' | 't' | '%' | 'u' | 'U' | 'W' | 'V' => {
                out.push('%');
                out.push(directive);
                continue;
            }
            other => return Err(format!("unsupported directive `%{other}`")),
        });
    }
    Ok(out)
}

/// `FormatTime(time, format)` with the same directives as `Time`, in UTC.
fn format_time(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let Value::Time(nanos) = &v[0] else {
        return Err(EvalError::new(format!(
            "FormatTime: expected time.Time but got {}",
            v[0].type_name()
        )));
    };
    let format = strftime_format(expect_str(&v[1], "FormatTime format")?).map_err(EvalError::new)?;
    let timestamp = jiff::Timestamp::from_nanosecond(i128::from(*nanos)).map_err(|e| EvalError::new(e.to_string()))?;
    let zoned = timestamp.to_zoned_datetime(jiff::tz::TimeZone::UTC);
    jiff::fmt::strtime::format(&format, &zoned)
        .map(Value::string)
        .map_err(|e| EvalError::new(format!("FormatTime: {e}")))
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

    #[test]
    fn locations_day_of_year_and_formatting() {
        let in_berlin = parse_time(&[
            Value::str("2024-07-01 12:00"),
            Value::str("%Y-%m-%d %H:%M"),
            Value::str("Europe/Berlin"),
        ])
        .unwrap();
        // 10:00 UTC: Berlin is two hours ahead in summer.
        assert_eq!(in_berlin, Value::Time(1_719_828_000_000_000_000));
        let day_60 = parse_time(&[Value::str("2024 060"), Value::str("%Y %j"), Value::Nil]).unwrap();
        // 2024 is a leap year: day 60 is February 29th.
        assert_eq!(day_60, Value::Time(1_709_164_800_000_000_000));
        let text = format_time(&[day_60, Value::str("%Y-%m-%dT%H:%M:%S.%L %j")]).unwrap();
        assert_eq!(text, Value::str("2024-02-29T00:00:00.000 060"));
        assert!(parse_time(&[Value::str("1"), Value::str("%M"), Value::str("Mars/Olympus")]).is_err());
        assert!(strftime_format("%Q").is_err());
    }
}
