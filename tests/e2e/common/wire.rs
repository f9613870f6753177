//! Raw OTLP/HTTP and OTLP/gRPC clients and request builders, for what SDKs never send.

use std::io::Write;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use intake::otlp::{any_value, AnyValue, ExportTraceServiceRequest, Resource, ResourceSpans, ScopeSpans, Span};

pub struct Reply {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
    /// gRPC: the grpc-status from trailers (or headers, for trailers-only replies).
    pub grpc_status: Option<i32>,
    pub grpc_message: Option<String>,
}

/// POSTs to OTLP/HTTP.
pub async fn http_post(addr: SocketAddr, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Reply {
    let mut request = http::Request::post(format!("http://{addr}{path}"));
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    http_send(request.body(Full::new(Bytes::from(body))).expect("request")).await
}

/// GETs a path (probes, metrics).
pub async fn http_get(addr: SocketAddr, path: &str) -> Reply {
    let request = http::Request::get(format!("http://{addr}{path}"))
        .body(Full::new(Bytes::new()))
        .expect("request");
    http_send(request).await
}

/// Any method, any headers (the key management API).
pub async fn http_request(
    method: http::Method,
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Reply {
    let mut request = http::Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"));
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    http_send(request.body(Full::new(Bytes::from(body))).expect("request")).await
}

/// Sends one HTTP/1.1 request and reads the whole answer.
async fn http_send(request: http::Request<Full<Bytes>>) -> Reply {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let response = client.request(request).await.expect("http send");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("read body").to_bytes().to_vec();
    Reply {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
        grpc_status: None,
        grpc_message: None,
    }
}

/// A unary gRPC call to TraceService/Export over h2c; `frame` is the whole body.
pub async fn grpc_call(addr: SocketAddr, headers: &[(&str, &str)], frame: Vec<u8>) -> Reply {
    grpc_call_to(
        addr,
        "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
        headers,
        frame,
    )
    .await
}

/// A unary gRPC call to `path` (a service's Export method) over h2c.
pub async fn grpc_call_to(addr: SocketAddr, path: &str, headers: &[(&str, &str)], frame: Vec<u8>) -> Reply {
    let client = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http::<Full<Bytes>>();
    let mut request = http::Request::post(format!("http://{addr}{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = client
        .request(request.body(Full::new(Bytes::from(frame))).expect("request"))
        .await
        .expect("grpc send");
    let (parts, body) = response.into_parts();
    let collected = body.collect().await.expect("read grpc body");
    let trailers = collected.trailers().cloned().unwrap_or_default();
    let body = collected.to_bytes().to_vec();
    let pick = |name: &str| {
        trailers
            .get(name)
            .or_else(|| parts.headers.get(name))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    Reply {
        status: parts.status.as_u16(),
        grpc_status: pick("grpc-status").and_then(|s| s.parse().ok()),
        grpc_message: pick("grpc-message"),
        headers: parts.headers,
        body,
    }
}

pub fn grpc_frame(message: &[u8], compressed: bool) -> Vec<u8> {
    let mut frame = vec![u8::from(compressed)];
    frame.extend_from_slice(&(message.len() as u32).to_be_bytes());
    frame.extend_from_slice(message);
    frame
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).expect("gzip");
    encoder.finish().expect("gzip")
}

/// A request with `spans` spans over `traces` traces, each span carrying `payload` bytes.
pub fn make_request(run: &str, traces: usize, spans: usize, payload: usize) -> ExportTraceServiceRequest {
    let mut out = Vec::new();
    for i in 0..spans {
        let trace = (i % traces.max(1)) as u64 + 1;
        let mut trace_id = [0u8; 16];
        trace_id[..8].copy_from_slice(&(free_hash(run) ^ trace).to_be_bytes());
        trace_id[8..].copy_from_slice(&trace.to_be_bytes());
        out.push(Span {
            trace_id: trace_id.to_vec(),
            span_id: (free_hash(run).wrapping_add(i as u64 + 1)).to_be_bytes().to_vec(),
            name: format!("{run}-span-{i}"),
            start_time_unix_nano: 1_700_000_000_000_000_000 + i as u64,
            end_time_unix_nano: 1_700_000_000_000_000_100 + i as u64,
            attributes: vec![kv_str("test.run", run), kv_str("payload", &"x".repeat(payload))],
            ..Default::default()
        });
    }
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv_str("service.name", "raw-client")],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans: out,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn free_hash(s: &str) -> u64 {
    // FNV-1a: stable ids per run name.
    s.bytes()
        .fold(0xcbf29ce484222325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3))
}

pub use intake::otlp::string_kv as kv_str;

/// POSTs with `Transfer-Encoding: chunked` and no Content-Length, as Claude Code's and
/// Gemini CLI's exporters do; returns the status code.
pub fn http_post_chunked(addr: SocketAddr, path: &str, headers: &[(&str, &str)], body: &[u8]) -> u16 {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .expect("timeout");
    let mut head =
        format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("write head");
    // Several chunks, so the body really arrives in pieces.
    for chunk in body.chunks(body.len().div_ceil(3).max(1)) {
        stream
            .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .and_then(|_| stream.write_all(chunk))
            .and_then(|_| stream.write_all(b"\r\n"))
            .expect("write chunk");
    }
    stream.write_all(b"0\r\n\r\n").expect("write end");
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// A logs request of `records` distinct records (attribute `record.id` = `{run}-{i}`), each
/// with a `payload`-byte body, in one session so they share a record key.
pub fn make_logs_request(run: &str, records: usize, payload: usize) -> intake::otlp::ExportLogsServiceRequest {
    use intake::otlp::{ExportLogsServiceRequest, LogRecord, ResourceLogs, ScopeLogs};
    let log_records = (0..records)
        .map(|i| LogRecord {
            time_unix_nano: 1_760_000_000_000_000_000 + i as u64,
            severity_number: 9,
            body: Some(AnyValue {
                value: Some(any_value::Value::StringValue("x".repeat(payload))),
            }),
            attributes: vec![
                kv_str("record.id", &format!("{run}-{i}")),
                kv_str("gen_ai.conversation.id", run),
            ],
            ..Default::default()
        })
        .collect();
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(Resource {
                attributes: vec![kv_str("service.name", "load")],
                ..Default::default()
            }),
            scope_logs: vec![ScopeLogs {
                log_records,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}
