//! `URL(uri)`: a URL's parts under the semantic conventions' names (`url.original`,
//! `url.scheme`, `url.domain`, `url.port`, `url.path`, `url.query`, `url.fragment`,
//! `url.extension`, `url.user_info`, `url.username`, `url.password`), as upstream's
//! parseutils reads them with Go's `net/url`. A value that is only a query string (`?a=1&b=2`)
//! gives `{"query": {"a": ["1"], "b": ["2"]}}`.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;

use super::super::eval::{EvalError, EvalResult};
use super::super::signature::req;
use super::super::value::Value;
use super::strings::{call, expect_str};
use super::{converter, param, FunctionSpec};
use crate::otlp::{any_value, AnyValue, ArrayValue, KeyValue, KeyValueList};

pub const SPECS: &[FunctionSpec] = &[converter("URL", &[req(param::URI)], |a| call(a, url))];

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn text(key: &str, value: &str) -> KeyValue {
    kv(key, any_value::Value::StringValue(value.to_owned()))
}

fn unescape(s: &str, plus_is_space: bool) -> EvalResult<String> {
    let s: Cow<'_, str> = if plus_is_space {
        Cow::Owned(s.replace('+', " "))
    } else {
        Cow::Borrowed(s)
    };
    let bytes = s.as_bytes();
    let hex_at = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_hexdigit);
    for (i, _) in bytes.iter().enumerate().filter(|(_, b)| **b == b'%') {
        if !(hex_at(i + 1) && hex_at(i + 2)) {
            let end = (i + 3).min(s.len());
            return Err(EvalError::new(format!(
                "invalid URL escape {:?}",
                String::from_utf8_lossy(&bytes[i..end])
            )));
        }
    }
    Ok(percent_decode_str(&s).decode_utf8_lossy().into_owned())
}

/// Go's `url.ParseQuery`, values grouped by key in first-seen order.
fn query_map(query: &str) -> EvalResult<Value<'static>> {
    let mut params: Vec<(String, Vec<String>)> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        if pair.contains(';') {
            return Err(EvalError::new("invalid semicolon separator in query"));
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (unescape(k, true)?, unescape(v, true)?);
        match params.iter_mut().find(|(key, _)| *key == k) {
            Some((_, values)) => values.push(v),
            None => params.push((k, vec![v])),
        }
    }
    let mut out = Vec::new();
    if !params.is_empty() {
        let parameters = params
            .into_iter()
            .map(|(k, values)| {
                kv(
                    &k,
                    any_value::Value::ArrayValue(ArrayValue {
                        values: values
                            .into_iter()
                            .map(|v| AnyValue {
                                value: Some(any_value::Value::StringValue(v)),
                            })
                            .collect(),
                    }),
                )
            })
            .collect();
        out.push(kv(
            "query",
            any_value::Value::KvlistValue(KeyValueList { values: parameters }),
        ));
    }
    Ok(Value::Map(Cow::Owned(out)))
}

fn url(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let raw = expect_str(&v[0], "URL")?;
    if raw.is_empty() {
        return Err(EvalError::new("url cannot be empty"));
    }
    if let Some(query) = raw.strip_prefix('?') {
        return query_map(query);
    }
    if raw.chars().any(|c| c.is_ascii_control()) {
        return Err(EvalError::new("net/url: invalid control character in URL"));
    }
    let (rest, fragment) = match raw.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (raw, None),
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let (scheme, rest) = match rest.find(':') {
        Some(i)
            if i > 0
                && rest[..i].starts_with(|c: char| c.is_ascii_alphabetic())
                && rest[..i]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) =>
        {
            (&rest[..i], &rest[i + 1..])
        }
        _ => ("", rest),
    };
    let (authority, path) = match rest.strip_prefix("//") {
        Some(after) => match after.find('/') {
            Some(i) => (Some(&after[..i]), &after[i..]),
            None => (Some(after), ""),
        },
        None => (None, rest),
    };
    if scheme.is_empty() && authority.is_none() && path.split('/').next().is_some_and(|s| s.contains(':')) {
        return Err(EvalError::new("first path segment in URL cannot contain colon"));
    }
    let mut out = vec![text("url.original", raw)];
    let (mut host, mut port, mut user) = ("", None, None);
    if let Some(authority) = authority {
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
            None => (None, authority),
        };
        user = userinfo;
        let (h, p) = if let Some(v6) = hostport.strip_prefix('[') {
            let end = v6.find(']').ok_or_else(|| EvalError::new("missing ']' in host"))?;
            (&v6[..end], v6[end + 1..].strip_prefix(':'))
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            }
        };
        host = h;
        if let Some(p) = p.filter(|p| !p.is_empty()) {
            let n: i64 = p
                .parse()
                .ok()
                .filter(|_| p.chars().all(|c| c.is_ascii_digit()))
                .ok_or_else(|| EvalError::new(format!("invalid port {:?} after host", format!(":{p}"))))?;
            port = Some(n);
        }
    }
    out.push(text("url.domain", &unescape(host, false)?));
    out.push(text("url.scheme", &scheme.to_ascii_lowercase()));
    let path = unescape(path, false)?;
    out.push(text("url.path", &path));
    if let Some(port) = port {
        out.push(kv("url.port", any_value::Value::IntValue(port)));
    }
    if let Some(fragment) = fragment.filter(|f| !f.is_empty()) {
        out.push(text("url.fragment", &unescape(fragment, false)?));
    }
    if let Some(userinfo) = user {
        out.push(text("url.user_info", userinfo));
        let (name, password) = match userinfo.split_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (userinfo, None),
        };
        let name = unescape(name, false)?;
        if !name.is_empty() {
            out.push(text("url.username", &name));
        }
        if let Some(password) = password {
            out.push(text("url.password", &unescape(password, false)?));
        }
    }
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        out.push(text("url.query", query));
    }
    if let Some(dot) = path.rfind('.') {
        if dot + 1 < path.len() {
            out.push(text("url.extension", &path[dot + 1..]));
        }
    }
    Ok(Value::Map(Cow::Owned(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(uri: &str) -> Vec<(String, String)> {
        match url(&[Value::str(uri)]).unwrap() {
            Value::Map(m) => m
                .iter()
                .map(|kv| {
                    let v = Value::from_optional_any(kv.value.as_ref());
                    (kv.key.clone(), v.as_string_like().unwrap_or_default().into_owned())
                })
                .collect(),
            other => panic!("{other:?}"),
        }
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    /// Upstream's func_url_test.go cases.
    #[test]
    fn urls_split_as_go_net_url_reads_them() {
        assert_eq!(
            parts("http://user:pass@example.com:8080/some/path.html?x=1#frag"),
            pairs(&[
                (
                    "url.original",
                    "http://user:pass@example.com:8080/some/path.html?x=1#frag"
                ),
                ("url.domain", "example.com"),
                ("url.scheme", "http"),
                ("url.path", "/some/path.html"),
                ("url.port", "8080"),
                ("url.fragment", "frag"),
                ("url.user_info", "user:pass"),
                ("url.username", "user"),
                ("url.password", "pass"),
                ("url.query", "x=1"),
                ("url.extension", "html"),
            ])
        );
        assert_eq!(
            parts("https://[::1]/"),
            pairs(&[
                ("url.original", "https://[::1]/"),
                ("url.domain", "::1"),
                ("url.scheme", "https"),
                ("url.path", "/"),
            ])
        );
        assert_eq!(
            parts("/relative/file.tar.gz"),
            pairs(&[
                ("url.original", "/relative/file.tar.gz"),
                ("url.domain", ""),
                ("url.scheme", ""),
                ("url.path", "/relative/file.tar.gz"),
                ("url.extension", "gz"),
            ])
        );
        assert!(url(&[Value::str("")]).is_err());
        assert!(url(&[Value::str("http://h:port/")]).is_err());
        assert!(url(&[Value::str("a:b/c:d")]).is_ok());
        assert!(url(&[Value::str("1a:b")]).is_err());
        match url(&[Value::str("?a=1&b=x+y&a=2")]).unwrap() {
            Value::Map(m) => assert_eq!(
                Value::Map(m).to_json().to_string(),
                r#"{"query":{"a":["1","2"],"b":["x y"]}}"#
            ),
            other => panic!("{other:?}"),
        }
    }
}
