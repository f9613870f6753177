//! OTLP/HTTP and OTLP/gRPC edges against the real binary (file sink): encodings,
//! compressions, content types, size caps, malformed bodies, health and shutdown.

use std::io::Write;
use std::time::Duration;

use crate::common::*;
use intake::otlp::{json, ExportTraceServiceResponse};
use intake::server::rpc_status::{RetryInfo, RpcStatus};
use prost::Message;

fn spans_in_file(intake: &Intake) -> Vec<String> {
    let text = std::fs::read_to_string(intake.dir.path().join("spans.jsonl")).unwrap_or_default();
    text.lines()
        .flat_map(|line| {
            let request = json::decode_request(line.as_bytes()).expect("file sink writes OTLP/JSON lines");
            request
                .resource_spans
                .into_iter()
                .flat_map(|rs| rs.scope_spans)
                .flat_map(|ss| ss.spans)
                .map(|s| s.name)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn compress(encoding: &str, data: &[u8]) -> Vec<u8> {
    match encoding {
        "gzip" => gzip(data),
        "deflate" => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        "zstd" => zstd::encode_all(data, 1).unwrap(),
        "br" => {
            let mut out = Vec::new();
            brotli::BrotliCompress(&mut &data[..], &mut out, &Default::default()).unwrap();
            out
        }
        _ => data.to_vec(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_http_encoding_and_compression_is_accepted_and_answered_in_kind() {
    let key = TestKey::new("proj-t");
    let intake = Intake::start(&[&key], IntakeOptions::default());
    let bearer = key.bearer();
    let mut expected = Vec::new();
    for content_type in ["application/x-protobuf", "application/json"] {
        for compression in ["identity", "gzip", "deflate", "zstd", "br"] {
            let run = format!("{}-{compression}", content_type.rsplit('/').next().unwrap());
            let request = make_request(&run, 1, 3, 20);
            let plain = if content_type == "application/json" {
                json::encode_request(&request)
            } else {
                request.encode_to_vec()
            };
            let body = compress(compression, &plain);
            let mut headers = vec![("authorization", bearer.as_str()), ("content-type", content_type)];
            if compression != "identity" {
                headers.push(("content-encoding", compression));
            }
            let reply = http_post(intake.http, "/v1/traces", &headers, body).await;
            assert_eq!(reply.status, 200, "{run}: {}", String::from_utf8_lossy(&reply.body));
            assert_eq!(reply.headers["content-type"], content_type, "{run}");
            if content_type == "application/json" {
                assert_eq!(reply.body, b"{}", "{run}");
            } else {
                assert_eq!(
                    ExportTraceServiceResponse::decode(&reply.body[..]).unwrap(),
                    ExportTraceServiceResponse::default()
                );
            }
            expected.extend(
                request.resource_spans[0].scope_spans[0]
                    .spans
                    .iter()
                    .map(|s| s.name.clone()),
            );
        }
    }
    let mut got = spans_in_file(&intake);
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_accepts_gzip_zstd_and_identity_and_reports_partial_success() {
    let key = TestKey::new("proj-t");
    let intake = Intake::start(&[&key], IntakeOptions::default());
    let bearer = key.bearer();
    for compression in ["identity", "gzip", "zstd"] {
        let mut request = make_request(&format!("grpc-{compression}"), 1, 4, 20);
        request.resource_spans[0].scope_spans[0].spans[1].span_id = vec![1, 2, 3];
        let plain = request.encode_to_vec();
        let (frame, mut headers) = if compression == "identity" {
            (grpc_frame(&plain, false), vec![("authorization", bearer.as_str())])
        } else {
            (
                grpc_frame(&compress(compression, &plain), true),
                vec![("authorization", bearer.as_str()), ("grpc-encoding", compression)],
            )
        };
        headers.push(("grpc-accept-encoding", "identity"));
        let reply = grpc_call(intake.grpc, &headers, frame).await;
        assert_eq!(reply.grpc_status, Some(0), "{compression}: {:?}", reply.grpc_message);
        assert!(reply.body.len() > 5);
        let response = ExportTraceServiceResponse::decode(&reply.body[5..]).unwrap();
        let partial = response.partial_success.expect("partial success");
        assert_eq!(partial.rejected_spans, 1);
        assert!(partial.error_message.contains("span_id"), "{}", partial.error_message);
    }
    assert_eq!(spans_in_file(&intake).len(), 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_file_sink_rotates_and_keeps_a_bounded_number_of_files() {
    let key = TestKey::new("proj-rotate");
    let intake = Intake::start(
        &[&key],
        IntakeOptions {
            extra_toml: "[file_sink]\nmax_file_bytes = 4000\nmax_rotated_files = 2\n".into(),
            ..Default::default()
        },
    );
    let bearer = key.bearer();
    for i in 0..12 {
        let reply = http_post(
            intake.http,
            "/v1/traces",
            &[("authorization", &bearer), ("content-type", "application/x-protobuf")],
            make_request(&format!("rotate-{i}"), 1, 2, 10).encode_to_vec(),
        )
        .await;
        assert_eq!(reply.status, 200);
    }
    let dir = intake.dir.path();
    let sizes: Vec<u64> = ["spans.jsonl", "spans.jsonl.1", "spans.jsonl.2"]
        .iter()
        .map(|name| std::fs::metadata(dir.join(name)).map(|m| m.len()).unwrap_or(0))
        .collect();
    assert!(sizes.iter().all(|s| *s > 0 && *s <= 4000), "{sizes:?}");
    assert!(!dir.join("spans.jsonl.3").exists(), "only two rotated files are kept");
    // The newest lines are in the live file.
    assert!(spans_in_file(&intake).iter().any(|name| name.starts_with("rotate-11")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_the_right_status_in_the_requests_encoding() {
    let key = TestKey::new("proj-t");
    let intake = Intake::start(
        &[&key],
        IntakeOptions {
            extra_toml: "[limits]\nmax_wire_bytes = 65536\nmax_decompressed_bytes = 262144\n".into(),
            ..Default::default()
        },
    );
    let bearer = key.bearer();
    let auth = ("authorization", bearer.as_str());
    let proto = ("content-type", "application/x-protobuf");
    let jsonct = ("content-type", "application/json");

    // 415: unsupported content type and content encoding.
    let reply = http_post(
        intake.http,
        "/v1/traces",
        &[auth, ("content-type", "text/plain")],
        b"x".to_vec(),
    )
    .await;
    assert_eq!(reply.status, 415);
    let reply = http_post(
        intake.http,
        "/v1/traces",
        &[auth, proto, ("content-encoding", "lz4")],
        b"x".to_vec(),
    )
    .await;
    assert_eq!(reply.status, 415);

    // 400 with a google.rpc.Status body, protobuf and JSON.
    let reply = http_post(intake.http, "/v1/traces", &[auth, proto], vec![0xff, 0xff, 0xff]).await;
    assert_eq!(reply.status, 400);
    let status = RpcStatus::decode(&reply.body[..]).unwrap();
    assert_eq!(status.code, 3);
    assert!(status.message.contains("protobuf"), "{}", status.message);
    let reply = http_post(
        intake.http,
        "/v1/traces",
        &[auth, jsonct],
        b"{\"resourceSpans\": 5}".to_vec(),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.headers["content-type"], "application/json");
    let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(body["code"], 3);
    assert!(body["message"].as_str().unwrap().contains("resourceSpans"), "{body}");
    let reply = http_post(
        intake.http,
        "/v1/traces",
        &[auth, proto, ("content-encoding", "gzip")],
        b"not gzip".to_vec(),
    )
    .await;
    assert_eq!(reply.status, 400);

    // 413: over the wire cap, and a bomb over the decompressed cap (no Retry-After).
    let reply = http_post(intake.http, "/v1/traces", &[auth, proto], vec![0u8; 70_000]).await;
    assert_eq!(reply.status, 413);
    assert!(!reply.headers.contains_key("retry-after"));
    let bomb = gzip(&vec![0u8; 16 << 20]);
    assert!(bomb.len() < 65536);
    let reply = http_post(
        intake.http,
        "/v1/traces",
        &[auth, proto, ("content-encoding", "gzip")],
        bomb.clone(),
    )
    .await;
    assert_eq!(reply.status, 413);
    let reply = grpc_call(intake.grpc, &[auth, ("grpc-encoding", "gzip")], grpc_frame(&bomb, true)).await;
    assert_eq!(reply.grpc_status, Some(8), "RESOURCE_EXHAUSTED");
    let details = reply.headers.get("grpc-status-details-bin").expect("status details");
    use base64::Engine;
    let status = RpcStatus::decode(
        &base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(details.as_bytes())
            .unwrap()[..],
    )
    .unwrap();
    assert_eq!(status.code, 8);
    assert!(status.details.is_empty(), "no RetryInfo on RESOURCE_EXHAUSTED for size");

    // gRPC: malformed frames and unknown methods.
    let reply = grpc_call(intake.grpc, &[auth], vec![0, 0, 0, 0, 10, 1, 2]).await;
    assert_eq!(reply.grpc_status, Some(3));
    let reply = grpc_call(
        intake.grpc,
        &[auth, ("grpc-encoding", "snappy")],
        grpc_frame(b"x", true),
    )
    .await;
    assert_eq!(reply.grpc_status, Some(12));
    let reply = grpc_call(intake.grpc, &[auth], grpc_frame(&[0xff, 0xff], false)).await;
    assert_eq!(reply.grpc_status, Some(3));

    // Unknown path (profiles are not served).
    let reply = http_post(intake.http, "/v1/profiles", &[auth, proto], Vec::new()).await;
    assert_eq!(reply.status, 404);

    // Nothing above reached the sink, and intake still serves.
    assert!(spans_in_file(&intake).is_empty());
    let request = make_request("after-errors", 1, 2, 10);
    let reply = http_post(intake.http, "/v1/traces", &[auth, proto], request.encode_to_vec()).await;
    assert_eq!(reply.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_down_sink_answers_503_with_retry_after_and_retry_info() {
    let tansu = Tansu::start();
    let key = TestKey::new("proj-t");
    // No topic: the Kafka sink is not ready and refuses at once.
    let intake = Intake::start(
        &[&key],
        IntakeOptions {
            kafka: Some(tansu.brokers()),
            wait_ready: false,
            ..Default::default()
        },
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    let bearer = key.bearer();
    let body = make_request("down", 1, 1, 1).encode_to_vec();
    let reply = http_post(
        intake.http,
        "/v1/traces",
        &[("authorization", &bearer), ("content-type", "application/json")],
        json::encode_request(&make_request("down", 1, 1, 1)),
    )
    .await;
    assert_eq!(reply.status, 503);
    assert_eq!(reply.headers["retry-after"], "2");
    let parsed: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(parsed["code"], 14);
    assert_eq!(
        parsed["details"][0]["@type"],
        "type.googleapis.com/google.rpc.RetryInfo"
    );
    let reply = grpc_call(intake.grpc, &[("authorization", &bearer)], grpc_frame(&body, false)).await;
    assert_eq!(reply.grpc_status, Some(14));
    use base64::Engine;
    let details = reply.headers["grpc-status-details-bin"].as_bytes();
    let status = RpcStatus::decode(
        &base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(details)
            .unwrap()[..],
    )
    .unwrap();
    let info = RetryInfo::decode(&status.details[0].value[..]).unwrap();
    assert_eq!(info.retry_delay.unwrap().seconds, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_in_flight_requests_then_exits_cleanly() {
    let key = TestKey::new("proj-t");
    let mut intake = Intake::start(&[&key], IntakeOptions::default());
    let bearer = key.bearer();
    let http = intake.http;
    // Requests in flight while SIGTERM arrives: each either succeeds (and is in the
    // file) or is refused with a retryable status; none is lost after success.
    let sender = tokio::spawn(async move {
        let mut acked = Vec::new();
        for i in 0..100_000 {
            let request = make_request(&format!("term-{i}"), 1, 5, 200);
            let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http::<http_body_util::Full<bytes::Bytes>>();
            let req = http::Request::post(format!("http://{http}/v1/traces"))
                .header("authorization", &bearer)
                .header("content-type", "application/x-protobuf")
                .body(http_body_util::Full::new(bytes::Bytes::from(request.encode_to_vec())))
                .unwrap();
            match client.request(req).await {
                Ok(response) if response.status() == 200 => acked.extend(
                    request.resource_spans[0].scope_spans[0]
                        .spans
                        .iter()
                        .map(|s| s.name.clone()),
                ),
                Ok(response) => assert_eq!(response.status(), 503, "refusals during shutdown are retryable"),
                Err(_) => break, // listener closed
            }
        }
        acked
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        intake.terminate(Duration::from_secs(15)),
        "intake exited non-zero:\n{}",
        intake.logs()
    );
    let acked = sender.await.unwrap();
    assert!(!acked.is_empty(), "no request succeeded before SIGTERM");
    assert!(acked.len() < 5 * 100_000, "the sender never saw the listener close");
    let stored = spans_in_file(&intake);
    for name in &acked {
        assert!(stored.contains(name), "acknowledged span {name} missing after shutdown");
    }
    assert!(intake.logs().contains("SIGTERM received"), "{}", intake.logs());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_always_ok_and_ready_only_with_a_ready_sink() {
    let intake = Intake::start(&[], IntakeOptions::default());
    assert_eq!(intake.readyz(), 200);
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<bytes::Bytes>>();
    let response = client
        .get(format!("http://{}/healthz", intake.http).parse().unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}
