//! The upstream functions added for the newest function list, through the real template
//! path, with cases ported from their upstream tests (pkg/ottl/ottlfuncs/func_*_test.go).

use intake::otlp::{any_value, AnyValue, ExportTraceServiceRequest, KeyValue, ResourceSpans, ScopeSpans, Span};
use intake::ottl::Registry;
use intake::template::CompiledTemplate;
use serde_json::{json, Value as Json};

fn to_any(v: &Json) -> AnyValue {
    let value = match v {
        Json::Null => None,
        Json::Bool(b) => Some(any_value::Value::BoolValue(*b)),
        Json::Number(n) if n.is_i64() => Some(any_value::Value::IntValue(n.as_i64().unwrap())),
        Json::Number(n) => Some(any_value::Value::DoubleValue(n.as_f64().unwrap())),
        Json::String(s) => Some(any_value::Value::StringValue(s.clone())),
        Json::Array(a) => Some(any_value::Value::ArrayValue(intake::otlp::ArrayValue {
            values: a.iter().map(to_any).collect(),
        })),
        Json::Object(m) => Some(any_value::Value::KvlistValue(intake::otlp::KeyValueList {
            values: m
                .iter()
                .map(|(k, v)| KeyValue {
                    key: k.clone(),
                    value: Some(to_any(v)),
                    ..Default::default()
                })
                .collect(),
        })),
    };
    AnyValue { value }
}

fn from_any(v: &AnyValue) -> Json {
    match &v.value {
        None => Json::Null,
        Some(any_value::Value::BoolValue(b)) => json!(b),
        Some(any_value::Value::IntValue(i)) => json!(i),
        Some(any_value::Value::DoubleValue(f)) => json!(f),
        Some(any_value::Value::StringValue(s)) => json!(s),
        Some(any_value::Value::BytesValue(b)) => json!({ "$bytes": hex::encode(b) }),
        Some(any_value::Value::ArrayValue(a)) => Json::Array(a.values.iter().map(from_any).collect()),
        Some(any_value::Value::KvlistValue(m)) => Json::Object(
            m.values
                .iter()
                .map(|kv| (kv.key.clone(), kv.value.as_ref().map(from_any).unwrap_or(Json::Null)))
                .collect(),
        ),
        Some(other) => panic!("unexpected value {other:?}"),
    }
}

/// Runs `statement` (span context, error mode propagate) on a span with `attributes`;
/// returns the span's attributes after, or the error.
fn run(statement: &str, attributes: Json) -> Result<Json, String> {
    let yaml = format!(
        "error_mode: propagate\ntrace_statements:\n  - context: span\n    statements:\n      - {}\n",
        serde_json::to_string(statement).unwrap()
    );
    let template = CompiledTemplate::compile(&yaml, "t.yaml", &Registry::standard()).map_err(|e| e.to_string())?;
    let Json::Object(map) = attributes else { panic!() };
    let mut request = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: vec![Span {
                    attributes: map
                        .iter()
                        .map(|(k, v)| KeyValue {
                            key: k.clone(),
                            value: Some(to_any(v)),
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    template.apply_traces(&mut request).map_err(|e| e.to_string())?;
    let span = &request.resource_spans[0].scope_spans[0].spans[0];
    Ok(Json::Object(
        span.attributes
            .iter()
            .map(|kv| (kv.key.clone(), kv.value.as_ref().map(from_any).unwrap_or(Json::Null)))
            .collect(),
    ))
}

fn out(statement: &str, attributes: Json) -> Json {
    let all = run(statement, attributes).unwrap_or_else(|e| panic!("{statement}: {e}"));
    all["out"].clone()
}

#[test]
fn clear_sets_the_zero_value_of_the_targets_type() {
    // func_clear_test.go: a map, a slice, a string, an int, a double, a bool.
    let attrs = json!({"m": {"a": 1}, "l": [1, 2], "s": "x", "i": 7, "d": 1.5, "b": true});
    let after = run(r#"clear(attributes["m"])"#, attrs.clone()).unwrap();
    assert_eq!(after["m"], json!({}));
    for (key, zero) in [
        ("l", json!([])),
        ("s", json!("")),
        ("i", json!(0)),
        ("d", json!(0.0)),
        ("b", json!(false)),
    ] {
        let after = run(&format!(r#"clear(attributes["{key}"])"#), attrs.clone()).unwrap();
        assert_eq!(after[key], zero, "{key}");
    }
    let after = run(r#"clear(attributes)"#, attrs).unwrap();
    assert_eq!(after, json!({}));
}

#[test]
fn stringify_all_writes_every_value_as_pdata_writes_it() {
    // func_stringify_all_test.go
    let after = run(
        r#"stringify_all(attributes)"#,
        json!({"s": "a", "i": 1, "d": 1.5, "b": true, "m": {"k": "v"}, "l": [1, "x"], "n": null}),
    )
    .unwrap();
    assert_eq!(
        after,
        json!({"s": "a", "i": "1", "d": "1.5", "b": "true", "m": "{\"k\":\"v\"}", "l": "[1,\"x\"]", "n": ""})
    );
}

#[test]
fn parse_severity_maps_strings_ints_and_http_classes() {
    // func_parse_severity_test.go
    let mapping = r#"{"error": [{"equals": ["err", "E"]}, {"range": {"min": 500, "max": 599}}], "warn": [{"range": "4xx"}], "info": [{"equals": ["info"]}, {"range": "2xx"}]}"#;
    for (value, level) in [
        (json!("E"), "error"),
        (json!(503), "error"),
        (json!(404), "warn"),
        (json!(204), "info"),
        (json!("info"), "info"),
    ] {
        let got = out(
            &format!(r#"set(attributes["out"], ParseSeverity(attributes["v"], {mapping}))"#),
            json!({ "v": value }),
        );
        assert_eq!(got, json!(level), "{value}");
    }
    let miss = run(
        &format!(r#"set(attributes["out"], ParseSeverity(attributes["v"], {mapping}))"#),
        json!({"v": 100}),
    );
    assert!(miss
        .unwrap_err()
        .contains("no matching log level found for value '100'"));
    let wrong = run(
        r#"set(attributes["out"], ParseSeverity(attributes["v"], {"error": [{"range": "6xx"}]}))"#,
        json!({}),
    );
    assert!(wrong.unwrap_err().contains("unknown range placeholder: 6xx"));
    let computed = run(
        r#"set(attributes["out"], ParseSeverity(attributes["v"], attributes["m"]))"#,
        json!({}),
    );
    assert!(computed.unwrap_err().contains("literal map"));
}

#[test]
fn truncate_time_rounds_down_from_the_zero_time() {
    // func_truncate_time_test.go: 2022-01-01T01:01:01.999999999Z to 1s and 1ms; 1980 to 1h.
    let unix = |s: &str| {
        out(
            &format!(
                r#"set(attributes["out"], UnixNano(TruncateTime(Time("{s}", "%Y-%m-%dT%H:%M:%S.%fZ"), Duration(attributes["d"]))))"#
            ),
            json!({"d": "1s"}),
        )
    };
    assert_eq!(
        unix("2022-01-01T01:01:01.999999999Z"),
        json!(1_640_998_861_000_000_000_i64)
    );
    let ms = out(
        r#"set(attributes["out"], UnixNano(TruncateTime(Time("2022-01-01T01:01:01.999999999Z", "%Y-%m-%dT%H:%M:%S.%fZ"), Duration("1ms"))))"#,
        json!({}),
    );
    assert_eq!(ms, json!(1_640_998_861_999_000_000_i64));
    let hour = out(
        r#"set(attributes["out"], UnixNano(TruncateTime(Time("1980-09-09T09:59:59.999999999Z", "%Y-%m-%dT%H:%M:%S.%fZ"), Duration("1h"))))"#,
        json!({}),
    );
    assert_eq!(hour, json!(337_338_000_000_000_000_i64));
    // 7h steps count from year 1, not from 1970: 10:00 becomes 05:00 (from 1970 it would be 07:00).
    let seven = out(
        r#"set(attributes["out"], UnixNano(TruncateTime(Unix(36000), Duration("7h"))))"#,
        json!({}),
    );
    assert_eq!(seven, json!(5 * 3_600_000_000_000_i64));
    assert!(run(
        r#"set(attributes["out"], TruncateTime("11/11/11", Duration("1ms")))"#,
        json!({})
    )
    .is_err());
}

#[test]
fn is_in_cidr_checks_ipv4_and_ipv6_networks() {
    // func_is_in_cidr_test.go
    let check = |ip: &str, nets: &str| {
        out(
            &format!(r#"set(attributes["out"], IsInCIDR("{ip}", {nets}))"#),
            json!({}),
        )
    };
    assert_eq!(check("192.168.1.10", r#"["192.168.0.0/16"]"#), json!(true));
    assert_eq!(
        check("10.0.0.1", r#"["192.168.0.0/16", "172.16.0.0/12"]"#),
        json!(false)
    );
    assert_eq!(check("2001:db8::1", r#"["2001:db8::/32"]"#), json!(true));
    assert_eq!(check("not an ip", r#"["10.0.0.0/8"]"#), json!(false));
    let computed = out(
        r#"set(attributes["out"], IsInCIDR(attributes["ip"], attributes["nets"]))"#,
        json!({"ip": "10.1.2.3", "nets": ["10.0.0.0/8"]}),
    );
    assert_eq!(computed, json!(true));
    let bad = run(
        r#"set(attributes["out"], IsInCIDR("10.0.0.1", ["10.0.0.0/33"]))"#,
        json!({}),
    );
    assert!(bad.unwrap_err().contains("invalid CIDR address"));
}

#[test]
fn url_and_profile_id() {
    // func_url_test.go, e2e_test.go
    let url = out(
        r#"set(attributes["out"], URL("https://user:pw@example.com:8443/a/b.json?q=1#top"))"#,
        json!({}),
    );
    assert_eq!(url["url.domain"], json!("example.com"));
    assert_eq!(url["url.port"], json!(8443));
    assert_eq!(url["url.extension"], json!("json"));
    assert_eq!(url["url.query"], json!("q=1"));
    assert_eq!(url["url.fragment"], json!("top"));
    assert_eq!(url["url.username"], json!("user"));
    assert_eq!(url["url.password"], json!("pw"));
    // func_profile_id_test.go: 16 bytes, or 32 hex digits; a ProfileID prints as Go's
    // encoding/json writes a [16]byte (the e2e case's `String(ProfileID(...))`).
    let printed = out(
        r#"set(attributes["out"], String(ProfileID(0x0102030405060708090a0b0c0d0e0f10)))"#,
        json!({}),
    );
    assert_eq!(printed, json!("[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]"));
    let hex = out(
        r#"set(attributes["out"], "same") where ProfileID("0102030405060708090a0b0c0d0e0f10") == ProfileID(0x0102030405060708090a0b0c0d0e0f10)"#,
        json!({}),
    );
    assert_eq!(hex, json!("same"));
    assert!(run(r#"set(attributes["out"], ProfileID(0x0102))"#, json!({})).is_err());
}

#[test]
fn xml_converters_as_upstreams_e2e_cases_have_them() {
    // pkg/ottl/e2e/e2e_test.go, Test_e2e_converters: the XML cases.
    let cases = [
        (
            r#"ConvertAttributesToElementsXML("<Log id=\"1\"><Message>This is a log message!</Message></Log>")"#,
            json!("<Log><Message>This is a log message!</Message><id>1</id></Log>"),
        ),
        (
            r#"ConvertTextToElementsXML("<a><b/>foo</a>")"#,
            json!("<a><b></b><value>foo</value></a>"),
        ),
        (
            r#"ConvertTextToElementsXML("<a><b/>foo</a><c><b/>bar</c>", "/a", "custom")"#,
            json!("<a><b></b><custom>foo</custom></a><c><b></b>bar</c>"),
        ),
        (r#"InsertXML("<a></a>", "/a", "<b></b>")"#, json!("<a><b></b></a>")),
        (
            r#"GetXML("<a><b>1</b><c><b>2</b></c></a>", "/a//b")"#,
            json!("<b>1</b><b>2</b>"),
        ),
        (
            r#"ParseSimplifiedXML("<Log><id>1</id><Message>This is a log message!</Message></Log>")"#,
            json!({"Log": {"id": "1", "Message": "This is a log message!"}}),
        ),
        (
            r#"ParseXML("<Log id=\"1\"><Message>This is a log message!</Message></Log>")"#,
            json!({"tag": "Log", "attributes": {"id": "1"}, "children": [{"tag": "Message", "content": "This is a log message!"}]}),
        ),
        (
            r#"RemoveXML("<Log id=\"1\"><Message>This is a log message!</Message></Log>", "/Log/Message")"#,
            json!(r#"<Log id="1"></Log>"#),
        ),
    ];
    for (call, expected) in cases {
        assert_eq!(
            out(&format!(r#"set(attributes["out"], {call})"#), json!({})),
            expected,
            "{call}"
        );
    }
}

#[test]
fn xml_converters_follow_their_upstream_function_tests() {
    // func_get_xml_test.go, func_remove_xml_test.go, func_insert_xml_test.go,
    // func_parse_simplified_xml_test.go.
    let cases = [
        (r#"GetXML("<a foo=\"bar\"/>", "/a/@foo")"#, json!("bar")),
        (r#"GetXML("<a><b>hello</b></a>", "/a/b/text()")"#, json!("hello")),
        (
            r#"GetXML("<a><b x=\"1\"/><b x=\"2\"/></a>", "//b[@x='2']")"#,
            json!(r#"<b x="2"></b>"#),
        ),
        (
            r#"RemoveXML("<a foo=\"bar\" hello=\"world\"/>", "/a/@foo")"#,
            json!(r#"<a hello="world"></a>"#),
        ),
        (
            r#"RemoveXML("<a><b>text</b><!-- note --></a>", "//comment()")"#,
            json!("<a><b>text</b></a>"),
        ),
        (
            r#"RemoveXML("<?xml version=\"1.0\"?><a><b/></a>", "/a/b")"#,
            json!(r#"<?xml version="1.0"?><a></a>"#),
        ),
        (
            r#"InsertXML("<a><b/><b/></a>", "/a/b", "<c/>")"#,
            json!("<a><b><c></c></b><b><c></c></b></a>"),
        ),
        (
            r#"ParseSimplifiedXML("<a><b>1</b><b>2</b><c><d>x</d></c><e/></a>")"#,
            json!({"a": {"b": ["1", "2"], "c": {"d": "x"}}}),
        ),
        (
            r#"ParseXML("<a>\n  <b>one</b>\n  text\n</a>")"#,
            json!({"tag": "a", "content": "text", "children": [{"tag": "b", "content": "one"}]}),
        ),
    ];
    for (call, expected) in cases {
        assert_eq!(
            out(&format!(r#"set(attributes["out"], {call})"#), json!({})),
            expected,
            "{call}"
        );
    }
    let inserted_into_text = run(
        r#"set(attributes["out"], InsertXML("<a>t</a>", "/a/text()", "<b/>"))"#,
        json!({}),
    );
    assert!(inserted_into_text.unwrap_err().contains("non-element"));
    let bad_path = run(
        r#"set(attributes["out"], GetXML("<a/>", "/a[contains(., 'x')]"))"#,
        json!({}),
    );
    assert!(bad_path.unwrap_err().contains("invalid xpath"));
    let bad_xml = run(r#"set(attributes["out"], GetXML("<a>", "/a"))"#, json!({}));
    assert!(bad_xml.unwrap_err().contains("parse xml"));
}

#[test]
fn grok_patterns_extract_typed_captures() {
    // func_extract_grok_patterns_test.go: the access-log line, typed captures, custom
    // definitions, ECS field names, no match.
    let line = out(
        r#"set(attributes["out"], ExtractGrokPatterns(attributes["line"], "%{IP:client} %{WORD:method} %{URIPATHPARAM:request} %{NUMBER:bytes:int} %{NUMBER:duration:float}", true))"#,
        json!({"line": "55.3.244.1 GET /index.html 15824 0.043"}),
    );
    assert_eq!(
        line,
        json!({"client": "55.3.244.1", "method": "GET", "request": "/index.html", "bytes": 15824, "duration": 0.043})
    );
    let custom = out(
        r#"set(attributes["out"], ExtractGrokPatterns("user=alice id=7", "user=%{MYUSER:[user][name]} id=%{INT:[user][id]:int}", true, ["MYUSER=[a-z]+"]))"#,
        json!({}),
    );
    assert_eq!(custom, json!({"user.name": "alice", "user.id": 7}));
    let all = out(
        r#"set(attributes["out"], ExtractGrokPatterns("GET", "%{WORD:method}", false))"#,
        json!({}),
    );
    assert_eq!(all["method"], json!("GET"));
    let none = out(
        r#"set(attributes["out"], ExtractGrokPatterns("???", "%{INT:n}", true))"#,
        json!({}),
    );
    assert_eq!(none, json!({}));
    let unknown = run(
        r#"set(attributes["out"], ExtractGrokPatterns("x", "%{NO_SUCH_PATTERN:n}"))"#,
        json!({}),
    );
    assert!(unknown.unwrap_err().contains("invalid grok pattern"));
}

/// Every function of upstream's newest function list (pkg/ottl/ottlfuncs/functions.go:
/// StandardFuncs, converters and lambdaFuncs) is in the registry, the lambda ones behind
/// their gate.
#[test]
fn the_registry_has_every_upstream_function() {
    const EDITORS: &[&str] = &[
        "clear",
        "delete_key",
        "delete_matching_keys",
        "keep_matching_keys",
        "flatten",
        "keep_keys",
        "limit",
        "merge_maps",
        "replace_all_matches",
        "replace_all_patterns",
        "replace_match",
        "replace_pattern",
        "set",
        "stringify_all",
        "truncate_all",
    ];
    const CONVERTERS: &[&str] = &[
        "Base64Encode",
        "Bool",
        "Decode",
        "Coalesce",
        "CommunityID",
        "Concat",
        "ContainsValue",
        "ConvertCase",
        "ConvertAttributesToElementsXML",
        "ConvertTextToElementsXML",
        "Day",
        "Double",
        "Duration",
        "ExtractPatterns",
        "ExtractGrokPatterns",
        "FNV",
        "GetXML",
        "HasPrefix",
        "HasSuffix",
        "Hour",
        "Hours",
        "Index",
        "InsertXML",
        "Int",
        "IsBool",
        "IsDouble",
        "IsEmpty",
        "IsList",
        "IsInt",
        "IsMap",
        "IsMatch",
        "IsString",
        "Len",
        "Log",
        "IsValidLuhn",
        "MD5",
        "Microseconds",
        "Milliseconds",
        "Minute",
        "Minutes",
        "Month",
        "Murmur3Hash",
        "Murmur3Hash128",
        "Nanosecond",
        "Nanoseconds",
        "Now",
        "ParseCSV",
        "ParseJSON",
        "ParseKeyValue",
        "ParseSimplifiedXML",
        "ParseXML",
        "RemoveXML",
        "Second",
        "Seconds",
        "SHA1",
        "SHA256",
        "SHA512",
        "Sort",
        "SpanID",
        "Split",
        "Format",
        "String",
        "Substring",
        "Time",
        "FormatTime",
        "Trim",
        "TrimPrefix",
        "TrimSuffix",
        "ToKeyValueString",
        "ToCamelCase",
        "ToLowerCase",
        "ToSnakeCase",
        "ToUpperCase",
        "TruncateTime",
        "TraceID",
        "Unix",
        "UnixMicro",
        "UnixMilli",
        "UnixNano",
        "UnixSeconds",
        "UUID",
        "UUIDv7",
        "URL",
        "Values",
        "Weekday",
        "UserAgent",
        "append",
        "delete_index",
        "Year",
        "Hex",
        "SliceToMap",
        "ParseSeverity",
        "ProfileID",
        "ParseInt",
        "Keys",
        "XXH3",
        "XXH128",
        "IsInCIDR",
    ];
    const LAMBDA: &[&str] = &["All", "Any", "Filter", "Find", "MapEach", "MapKeys", "Reduce", "When"];
    let standard = Registry::standard();
    let names: Vec<&str> = standard.names().collect();
    let missing: Vec<&&str> = EDITORS
        .iter()
        .chain(CONVERTERS)
        .chain(LAMBDA)
        .filter(|n| !names.contains(n))
        .collect();
    assert!(missing.is_empty(), "missing upstream functions: {missing:?}");
    for name in LAMBDA {
        assert_eq!(
            standard.get(name).and_then(|s| s.gate),
            Some("ottl.functions.enableLambda"),
            "{name}"
        );
    }
}

#[test]
fn format_takes_gos_flags_width_and_precision() {
    // Go's fmt: `-` left-justifies, `0` pads numbers after the sign, `+` signs, a
    // precision truncates %s and sets %f's decimals, hex of a negative keeps the sign.
    let cases = [
        (r#"Format("%03d-%s", [7, "test"])"#, "007-test"),
        (r#"Format("%-5s|%5s|", ["ab", "cd"])"#, "ab   |   cd|"),
        (r#"Format("%+d %+d % d", [7, -7, 7])"#, "+7 -7  7"),
        (
            r#"Format("%06.2f|%.1f|%f", [-3.14159, 2.25, 1.5])"#,
            "-03.14|2.2|1.500000",
        ),
        (r#"Format("%.3s|%x|%X", ["abcdef", -255, 255])"#, "abc|-ff|FF"),
        (r#"Format("%d%%", [50])"#, "50%"),
        (r#"Format("%s and %s", ["one"])"#, "one and %!s(MISSING)"),
    ];
    for (expression, expected) in cases {
        let got = out(&format!(r#"set(attributes["out"], {expression})"#), json!({}));
        assert_eq!(got, json!(expected), "{expression}");
    }
}

#[test]
fn sort_follows_the_lists_common_type() {
    // func_sort_test.go: numbers as numbers, ints and doubles together; mixed scalars by
    // their string form with their types kept; a list holding a map is left as it is.
    let cases = [
        (r#"Sort([10, 2, 33])"#, json!([2, 10, 33])),
        (r#"Sort([10, 2.5, -1], "desc")"#, json!([10, 2.5, -1])),
        (r#"Sort([true, false, true])"#, json!([false, true, true])),
        (r#"Sort([false, 11, 2.2, "three"])"#, json!([11, 2.2, false, "three"])),
        (r#"Sort(["b", {"k": 1}, "a"])"#, json!(["b", {"k": 1}, "a"])),
    ];
    for (expression, expected) in cases {
        let got = out(&format!(r#"set(attributes["out"], {expression})"#), json!({}));
        assert_eq!(got, expected, "{expression}");
    }
}

#[test]
fn computed_patterns_compile_per_value_and_fail_clearly() {
    // Upstream types these patterns as getters: any expression, compiled when evaluated.
    let attrs = json!({"p": "^op", "bad": "(", "text": "operation"});
    let matched = out(
        r#"set(attributes["out"], IsMatch(attributes["text"], attributes["p"]))"#,
        attrs.clone(),
    );
    assert_eq!(matched, json!(true));
    let extracted = out(
        r#"set(attributes["out"], ExtractPatterns(attributes["text"], Concat(["(?P<head>", "op", ")"], "")))"#,
        attrs.clone(),
    );
    assert_eq!(extracted, json!({"head": "op"}));
    let unnamed = run(
        r#"set(attributes["out"], ExtractPatterns(attributes["text"], Concat(["(op", ")"], "")))"#,
        attrs.clone(),
    );
    assert!(unnamed.unwrap_err().contains("named capture"));
    let invalid = run(
        r#"set(attributes["out"], IsMatch(attributes["text"], attributes["bad"]))"#,
        attrs.clone(),
    );
    assert!(invalid.unwrap_err().contains("invalid regex"));
    let grok = out(
        r#"set(attributes["out"], ExtractGrokPatterns("took 12 ms", Concat(["took %{NUMBER:", "ms:int} ms"], ""), true))"#,
        attrs,
    );
    assert_eq!(grok, json!({"ms": 12}));
}
