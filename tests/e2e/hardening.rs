//! Abuse and limits, against the real binary: guessed-key scans, failed-authentication
//! limits per address, per-key span rate limits, the in-flight byte budget, input limits,
//! hostile bodies on both transports, and /metrics agreeing with what was sent.

use std::io::{Read, Write};
use std::time::Duration;

use crate::common::*;
use intake::otlp::{json, ExportTraceServiceResponse};
use prost::Message;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn spans_in_file(intake: &Intake) -> Vec<intake::otlp::Span> {
    let text = std::fs::read_to_string(intake.dir.path().join("spans.jsonl")).unwrap_or_default();
    text.lines()
        .flat_map(|line| {
            json::decode_request(line.as_bytes())
                .unwrap()
                .resource_spans
                .into_iter()
                .flat_map(|rs| rs.scope_spans)
                .flat_map(|ss| ss.spans)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn a_scan_of_ten_thousand_guessed_keys_is_all_401_and_mostly_served_from_the_negative_cache() {
    let intake = Intake::start(
        &[],
        IntakeOptions {
            extra_toml: "[rate_limits]\nauth_failures_per_minute = 0\n".into(),
            ..Default::default()
        },
    );
    let rt = runtime();
    let unique = 2_000;
    let statuses = rt.block_on(async {
        let mut tasks = Vec::new();
        for worker in 0..16usize {
            let http = intake.http;
            tasks.push(tokio::spawn(async move {
                let mut statuses = Vec::new();
                for i in (worker..10_000).step_by(16) {
                    let lookup = format!("GUESS{:011}", i % unique);
                    let token = format!("Bearer ik-lw-{lookup}_{}", "s".repeat(48));
                    let reply = http_post(
                        http,
                        "/v1/traces",
                        &[("authorization", &token), ("content-type", "application/x-protobuf")],
                        Vec::new(),
                    )
                    .await;
                    statuses.push(reply.status);
                }
                statuses
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        all
    });
    assert_eq!(statuses.len(), 10_000);
    assert!(
        statuses.iter().all(|s| *s == 401),
        "non-401: {:?}",
        statuses.iter().filter(|s| **s != 401).take(5).collect::<Vec<_>>()
    );
    let lookups = intake.metric("intake_key_source_lookups_total");
    assert!(
        lookups <= unique as f64,
        "{lookups} source lookups for {unique} distinct ids"
    );
    assert!(lookups >= 1.0);
    assert_eq!(
        intake.metric("intake_auth_failures_total{reason=\"unknown\"}"),
        10_000.0
    );
    assert_eq!(
        intake.metric("intake_requests_total{transport=\"http\",status=\"401\",signal=\"traces\"}"),
        10_000.0
    );
}

#[test]
fn an_address_that_keeps_failing_authentication_is_refused_with_a_retry_hint() {
    let in_use = TestKey::new("proj-nat");
    let not_yet_used = TestKey::new("proj-nat");
    let intake = Intake::start(
        &[&in_use, &not_yet_used],
        IntakeOptions {
            // One failure a minute refills: no pause in this test can bring the address back under.
            extra_toml: "[rate_limits]\nauth_failures_per_minute = 1\nauth_failure_burst = 5\n".into(),
            ..Default::default()
        },
    );
    let rt = runtime();
    let post = |authorization: &str, run: &str| {
        rt.block_on(http_post(
            intake.http,
            "/v1/traces",
            &[
                ("authorization", authorization),
                ("content-type", "application/x-protobuf"),
            ],
            make_request(run, 1, 1, 1).encode_to_vec(),
        ))
    };
    assert_eq!(post(&in_use.bearer(), "before").status, 200);
    let bad = format!("Bearer ik-lw-AAAAAAAAAAAAAAAA_{}", "b".repeat(48));
    let statuses: Vec<Reply> = (0..8).map(|i| post(&bad, &format!("scan{i}"))).collect();
    let codes: Vec<u16> = statuses.iter().map(|r| r.status).collect();
    assert_eq!(&codes[..5], &[401; 5], "{codes:?}");
    assert!(codes[5..8].iter().all(|c| *c == 429), "{codes:?}");
    assert!(statuses[6].headers.contains_key("retry-after"));
    let grpc = rt.block_on(grpc_call(
        intake.grpc,
        &[("authorization", &bad)],
        grpc_frame(&[], false),
    ));
    assert_eq!(grpc.grpc_status, Some(14), "gRPC: UNAVAILABLE once limited");
    assert!(intake.metric("intake_auth_failures_total{reason=\"address_rate_limited\"}") >= 4.0);
    let lookups = intake.metric("intake_key_source_lookups_total");

    // The same address (think: one NAT) keeps working for a key it already uses, but may not
    // make the key source look anything up until it has stopped failing.
    assert_eq!(
        post(&in_use.bearer(), "after").status,
        200,
        "a cached key keeps working"
    );
    assert_eq!(post(&not_yet_used.bearer(), "new").status, 429);
    assert_eq!(intake.metric("intake_key_source_lookups_total"), lookups);
}

#[test]
fn behind_a_trusted_proxy_the_forwarded_client_is_limited_not_the_proxy() {
    let key = TestKey::new("proj-lb");
    let intake = Intake::start(
        &[&key],
        IntakeOptions {
            server_toml: "trusted_proxies = [\"127.0.0.0/8\"]".into(),
            extra_toml: "[rate_limits]\nauth_failures_per_minute = 1\nauth_failure_burst = 3\n".into(),
            ..Default::default()
        },
    );
    let rt = runtime();
    let bad = format!("Bearer ik-lw-AAAAAAAAAAAAAAAA_{}", "b".repeat(48));
    let post = |authorization: &str, forwarded: &str| {
        rt.block_on(http_post(
            intake.http,
            "/v1/traces",
            &[
                ("authorization", authorization),
                ("content-type", "application/x-protobuf"),
                ("x-forwarded-for", forwarded),
            ],
            make_request("lb", 1, 1, 1).encode_to_vec(),
        ))
        .status
    };
    // The scanner forges a first hop; the balancer appends the address it really saw.
    let scanner = "10.0.0.1, 198.51.100.66";
    let scans: Vec<u16> = (0..6).map(|_| post(&bad, scanner)).collect();
    assert_eq!(scans, [401, 401, 401, 429, 429, 429]);
    assert_eq!(
        post(&bad, "198.51.100.7"),
        401,
        "another client behind the balancer is not limited"
    );
    let grpc = rt.block_on(grpc_call(
        intake.grpc,
        &[("authorization", &bad), ("x-forwarded-for", scanner)],
        grpc_frame(&[], false),
    ));
    assert_eq!(grpc.grpc_status, Some(14), "gRPC reads the same header");
    assert_eq!(post(&key.bearer(), "198.51.100.8"), 200);
}

#[test]
fn a_runaway_key_is_rate_limited_without_starving_another_project() {
    let mut noisy = TestKey::new("proj-noisy");
    noisy.entry.rate_limit_spans_per_second = Some(100);
    noisy.entry.rate_limit_burst = Some(200);
    let quiet = TestKey::new("proj-quiet");
    let intake = Intake::start(&[&noisy, &quiet], IntakeOptions::default());
    let rt = runtime();
    let send = |key: &TestKey, run: &str, spans: usize| {
        let bearer = key.bearer();
        rt.block_on(http_post(
            intake.http,
            "/v1/traces",
            &[("authorization", &bearer), ("content-type", "application/x-protobuf")],
            make_request(run, 1, spans, 10).encode_to_vec(),
        ))
    };
    assert_eq!(send(&noisy, "n1", 150).status, 200);
    let limited = send(&noisy, "n2", 150);
    assert_eq!(limited.status, 429);
    let retry: u64 = limited.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "retry-after {retry}");
    for i in 0..5 {
        assert_eq!(
            send(&quiet, &format!("q{i}"), 150).status,
            200,
            "another project is unaffected"
        );
    }
    std::thread::sleep(Duration::from_millis(1600));
    assert_eq!(send(&noisy, "n3", 150).status, 200, "the bucket refills");
    assert_eq!(
        intake.metric("intake_rate_limited_requests_total{project=\"proj-noisy\"}"),
        1.0
    );
    assert_eq!(
        intake.metric("intake_spans_rejected_total{reason=\"rate_limited\"}"),
        150.0
    );
    assert_eq!(intake.metric("intake_spans_accepted_total"), 150.0 * 7.0);
}

#[test]
fn a_spent_in_flight_budget_answers_429_at_once() {
    let key = TestKey::new("proj-b");
    let intake = Intake::start(
        &[&key],
        IntakeOptions {
            extra_toml:
                "[limits]\nmax_wire_bytes = 40000\nmax_decompressed_bytes = 40000\nmax_inflight_bytes = 100000\n".into(),
            ..Default::default()
        },
    );
    // Two slow requests hold their declared 40 kB each; the budget (100 kB) then has no
    // room for a third, which is refused without waiting.
    let bearer = key.bearer();
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = std::net::TcpStream::connect(intake.http).unwrap();
        write!(s, "POST /v1/traces HTTP/1.1\r\nhost: x\r\nauthorization: {bearer}\r\ncontent-type: application/x-protobuf\r\ncontent-length: 40000\r\n\r\n").unwrap();
        s.write_all(&[0u8; 100]).unwrap();
        held.push(s);
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(intake.metric("intake_inflight_request_bytes") >= 80_000.0);
    let started = std::time::Instant::now();
    let reply = runtime().block_on(http_post(
        intake.http,
        "/v1/traces",
        &[("authorization", &bearer), ("content-type", "application/x-protobuf")],
        vec![0u8; 30_000],
    ));
    assert_eq!(reply.status, 429);
    assert!(reply.headers.contains_key("retry-after"));
    assert!(started.elapsed() < Duration::from_secs(1));
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    let reply = runtime().block_on(http_post(
        intake.http,
        "/v1/traces",
        &[("authorization", &bearer), ("content-type", "application/x-protobuf")],
        make_request("fourth", 1, 1, 1).encode_to_vec(),
    ));
    assert_eq!(reply.status, 200, "the budget comes back when the held requests end");
    assert_eq!(intake.metric("intake_inflight_request_bytes"), 0.0);
}

#[test]
fn a_body_that_trickles_in_is_cut_off_at_the_request_timeout_and_frees_its_budget() {
    let key = TestKey::new("proj-slow");
    let intake = Intake::start(
        &[&key],
        IntakeOptions {
            server_toml: "request_timeout = \"1s\"".into(),
            ..Default::default()
        },
    );
    let bearer = key.bearer();
    let mut slow = std::net::TcpStream::connect(intake.http).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(slow, "POST /v1/traces HTTP/1.1\r\nhost: x\r\nauthorization: {bearer}\r\ncontent-type: application/x-protobuf\r\ncontent-length: 40000\r\n\r\n").unwrap();
    slow.write_all(&[0u8; 100]).unwrap();
    let started = std::time::Instant::now();
    std::thread::sleep(Duration::from_millis(300));
    assert!(intake.metric("intake_inflight_request_bytes") >= 40_000.0);
    let mut answer = Vec::new();
    let mut chunk = [0u8; 1024];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = slow.read(&mut chunk).unwrap();
        assert!(n > 0, "connection closed without an answer");
        answer.extend_from_slice(&chunk[..n]);
    }
    let waited = started.elapsed();
    let head = String::from_utf8_lossy(&answer).to_lowercase();
    assert!(head.starts_with("http/1.1 503"), "{head}");
    assert!(head.contains("retry-after:"), "{head}");
    assert!(waited < Duration::from_secs(3), "answered after {waited:?}");
    assert_eq!(intake.metric("intake_inflight_request_bytes"), 0.0);
}

#[test]
fn input_limits_truncate_cap_and_trim_and_too_many_spans_is_413() {
    let key = TestKey::new("proj-i");
    let intake = Intake::start(
        &[&key],
        IntakeOptions {
            extra_toml: "[limits]\nmax_spans_per_request = 50\nmax_attributes_per_span = 4\nmax_attribute_value_bytes = 16\nmax_attribute_depth = 3\n[templates]\ndefault = \"none\"\n".into(),
            ..Default::default()
        },
    );
    let bearer = key.bearer();
    let body = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"s","attributes":[
      {"key":"long","value":{"stringValue":"abcdefghijklmnopqrstuvwxyz"}},
      {"key":"deep","value":{"kvlistValue":{"values":[{"key":"a","value":{"kvlistValue":{"values":[{"key":"b","value":{"kvlistValue":{"values":[{"key":"c","value":{"intValue":"1"}}]}}}]}}}]}}},
      {"key":"k3","value":{"boolValue":true}},{"key":"k4","value":{"boolValue":true}},{"key":"k5","value":{"boolValue":true}}]}]}]}]}"#;
    let rt = runtime();
    let reply = rt.block_on(http_post(
        intake.http,
        "/v1/traces",
        &[("authorization", &bearer), ("content-type", "application/json")],
        body.to_vec(),
    ));
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    let spans = spans_in_file(&intake);
    let span = &spans[0];
    assert_eq!(span.attributes.len(), 4);
    assert_eq!(span.dropped_attributes_count, 1);
    assert_eq!(attr_str(&span.attributes, "long"), Some("abcdefghijklmnop"));
    let deep = json::encode_request(&intake::otlp::ExportTraceServiceRequest {
        resource_spans: vec![intake::otlp::ResourceSpans {
            resource: Some(intake::otlp::Resource {
                attributes: span.attributes.clone(),
                ..Default::default()
            }),
            ..Default::default()
        }],
    });
    assert!(
        !String::from_utf8_lossy(&deep).contains("\"c\""),
        "the level past the depth limit is trimmed"
    );
    assert_eq!(intake.metric("intake_attribute_values_truncated_total"), 2.0);

    let many = make_request("many", 1, 51, 1).encode_to_vec();
    let reply = rt.block_on(http_post(
        intake.http,
        "/v1/traces",
        &[("authorization", &bearer), ("content-type", "application/x-protobuf")],
        many.clone(),
    ));
    assert_eq!(reply.status, 413);
    let reply = rt.block_on(grpc_call(
        intake.grpc,
        &[("authorization", &bearer)],
        grpc_frame(&many, false),
    ));
    assert_eq!(reply.grpc_status, Some(8));
}

#[test]
fn hostile_bodies_get_the_right_status_on_both_transports_and_intake_keeps_serving() {
    let key = TestKey::new("proj-h");
    let intake = Intake::start(
        &[&key],
        IntakeOptions {
            extra_toml: "[limits]\nmax_wire_bytes = 262144\nmax_decompressed_bytes = 1048576\n".into(),
            ..Default::default()
        },
    );
    let bearer = key.bearer();
    let rt = runtime();
    let zeros = vec![0u8; 32 << 20];
    let mut br = Vec::new();
    brotli::BrotliCompress(&mut &zeros[..], &mut br, &Default::default()).unwrap();
    let bombs = [
        ("gzip", gzip(&zeros)),
        ("zstd", zstd::encode_all(&zeros[..], 19).unwrap()),
        ("br", br),
    ];
    for (encoding, bomb) in &bombs {
        assert!(bomb.len() < 262_144, "{encoding} bomb is {} bytes", bomb.len());
        let http = rt.block_on(http_post(
            intake.http,
            "/v1/traces",
            &[
                ("authorization", &bearer),
                ("content-type", "application/x-protobuf"),
                ("content-encoding", encoding),
            ],
            bomb.clone(),
        ));
        assert_eq!(http.status, 413, "{encoding}");
        if *encoding != "br" {
            let grpc = rt.block_on(grpc_call(
                intake.grpc,
                &[("authorization", &bearer), ("grpc-encoding", encoding)],
                grpc_frame(bomb, true),
            ));
            assert_eq!(grpc.grpc_status, Some(8), "{encoding}");
        }
    }
    // Deep nesting: JSON past serde's limit and protobuf past prost's.
    let mut deep_json = String::from(
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","attributes":[{"key":"k","value":"#,
    );
    for _ in 0..5000 {
        deep_json.push_str(r#"{"arrayValue":{"values":["#);
    }
    let http = rt.block_on(http_post(
        intake.http,
        "/v1/traces",
        &[("authorization", &bearer), ("content-type", "application/json")],
        deep_json.into_bytes(),
    ));
    assert_eq!(http.status, 400);
    // ArrayValue{values:[AnyValue{array_value: ...}]} nested 5000 deep, as raw protobuf.
    let mut nested: Vec<u8> = Vec::new();
    for _ in 0..5000 {
        let mut array = vec![0x0a];
        encode_len(nested.len(), &mut array);
        array.extend_from_slice(&nested);
        let mut any = vec![0x2a];
        encode_len(array.len(), &mut any);
        any.extend_from_slice(&array);
        nested = any;
    }
    let wrap = |tag: u8, inner: &[u8], prefix: &[u8]| {
        let mut out = prefix.to_vec();
        out.push(tag);
        encode_len(inner.len(), &mut out);
        out.extend_from_slice(inner);
        out
    };
    let kv = wrap(0x12, &nested, &[0x0a, 0x01, b'k']);
    let span = wrap(0x4a, &kv, &[]);
    let scope_spans = wrap(0x12, &span, &[]);
    let resource_spans = wrap(0x12, &scope_spans, &[]);
    let request = wrap(0x0a, &resource_spans, &[]);
    let grpc = rt.block_on(grpc_call(
        intake.grpc,
        &[("authorization", &bearer)],
        grpc_frame(&request, false),
    ));
    assert_eq!(grpc.grpc_status, Some(3), "{:?}", grpc.grpc_message);
    // Truncated and random bodies.
    let valid = make_request("ok", 1, 5, 10).encode_to_vec();
    let truncated = valid[..valid.len() / 2].to_vec();
    let http = rt.block_on(http_post(
        intake.http,
        "/v1/traces",
        &[("authorization", &bearer), ("content-type", "application/x-protobuf")],
        truncated.clone(),
    ));
    assert_eq!(http.status, 400);
    let mut frame = grpc_frame(&valid, false);
    frame.truncate(frame.len() - 3);
    assert_eq!(
        rt.block_on(grpc_call(intake.grpc, &[("authorization", &bearer)], frame))
            .grpc_status,
        Some(3)
    );
    let mut seed = 0x2545f4914f6cdd1du64;
    for i in 0..50 {
        let random: Vec<u8> = (0..(i * 97 % 4096))
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        let ct = if i % 2 == 0 {
            "application/x-protobuf"
        } else {
            "application/json"
        };
        let http = rt.block_on(http_post(
            intake.http,
            "/v1/traces",
            &[("authorization", &bearer), ("content-type", ct)],
            random.clone(),
        ));
        assert!(matches!(http.status, 200 | 400), "random body {i}: {}", http.status);
        let grpc = rt.block_on(grpc_call(
            intake.grpc,
            &[("authorization", &bearer)],
            grpc_frame(&random, false),
        ));
        assert!(
            matches!(grpc.grpc_status, Some(0) | Some(3)),
            "random body {i}: {:?}",
            grpc.grpc_status
        );
    }
    // Invalid UTF-8 in a protobuf string field.
    let mut bad_utf8 = valid.clone();
    if let Some(pos) = bad_utf8.windows(3).position(|w| w == b"ok-") {
        bad_utf8[pos] = 0xff;
    }
    let http = rt.block_on(http_post(
        intake.http,
        "/v1/traces",
        &[("authorization", &bearer), ("content-type", "application/x-protobuf")],
        bad_utf8,
    ));
    assert_eq!(http.status, 400);
    // Still serving.
    let http = rt.block_on(http_post(
        intake.http,
        "/v1/traces",
        &[("authorization", &bearer), ("content-type", "application/x-protobuf")],
        valid,
    ));
    assert_eq!(http.status, 200);
    assert_eq!(
        ExportTraceServiceResponse::decode(&http.body[..]).unwrap(),
        ExportTraceServiceResponse::default()
    );
    let rss = rss_kib(intake.pid());
    assert!(rss < 300 * 1024, "RSS {rss} KiB after hostile input");
}

fn encode_len(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn rss_kib(pid: u32) -> u64 {
    let mut status = String::new();
    std::fs::File::open(format!("/proc/{pid}/status"))
        .unwrap()
        .read_to_string(&mut status)
        .unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}
