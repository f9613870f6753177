//! OTLP/gRPC: `TraceService`, `LogsService` and `MetricsService` `Export` served directly
//! over HTTP/2, so the body is read
//! with the same caps, decompressed by the same capped codec and ingested by the same
//! pipeline as OTLP/HTTP. Errors are trailers-only responses with `grpc-status`,
//! `grpc-message` and `grpc-status-details-bin` (a `google.rpc.Status`).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use base64::Engine;
use bytes::{BufMut, Bytes, BytesMut};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use http_body::Frame;
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use prost::Message;

use super::error::RequestError;
use super::export::{export, Framing};
use super::rpc_status::RpcStatus;
use super::status::{error_reply, grpc_code};
use super::AppState;
use crate::codec::ContentEncoding;
use crate::otlp::{Encoding, Signal};
use crate::pipeline::Accepted;
use crate::telemetry::{metrics, Transport};

pub const EXPORT_PATH: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
pub const LOGS_EXPORT_PATH: &str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
pub const METRICS_EXPORT_PATH: &str = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
const ACCEPT_ENCODING: &str = "gzip,zstd,deflate,identity";
const FRAME_HEADER: usize = 5;
/// grpc-message is percent-encoded outside printable ASCII, and `%` itself.
const GRPC_MESSAGE: &AsciiSet = &CONTROLS.add(b'%');

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(EXPORT_PATH, post(export_traces))
        .route(LOGS_EXPORT_PATH, post(export_logs))
        .route(METRICS_EXPORT_PATH, post(export_metrics))
        .fallback(unimplemented)
        .with_state(state)
}

async fn unimplemented() -> Response {
    trailers_only(
        grpc_code::UNIMPLEMENTED,
        "unknown service or method; intake serves TraceService, LogsService and MetricsService Export",
        None,
    )
}

async fn export_traces(State(state): State<Arc<AppState>>, request: Request) -> Response {
    export_signal(state, request, Signal::Traces).await
}

async fn export_logs(State(state): State<Arc<AppState>>, request: Request) -> Response {
    export_signal(state, request, Signal::Logs).await
}

async fn export_metrics(State(state): State<Arc<AppState>>, request: Request) -> Response {
    export_signal(state, request, Signal::Metrics).await
}

async fn export_signal(state: Arc<AppState>, request: Request, signal: Signal) -> Response {
    let (parts, body) = request.into_parts();
    let is_grpc = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/grpc"));
    if !is_grpc {
        let mut response = Response::new(Body::from("gRPC requests need content-type application/grpc\n"));
        *response.status_mut() = StatusCode::UNSUPPORTED_MEDIA_TYPE;
        return response;
    }
    let deadline = grpc_timeout(&parts.headers);
    let (response, code) = match export(&state, &parts, body, signal, &GrpcFraming, deadline).await {
        Ok(accepted) => (success(accepted), grpc_code::OK),
        Err(error) => failure(&error),
    };
    metrics().request(Transport::Grpc, signal, grpc_code::name(code));
    response
}

/// gRPC framing: one length-prefixed message, compressed as `grpc-encoding` says.
struct GrpcFraming;

impl Framing for GrpcFraming {
    fn encoding(&self, _headers: &HeaderMap) -> Result<Encoding, RequestError> {
        Ok(Encoding::Protobuf)
    }

    fn compression(&self, headers: &HeaderMap) -> Result<ContentEncoding, RequestError> {
        Ok(ContentEncoding::parse(
            headers.get("grpc-encoding").and_then(|v| v.to_str().ok()),
        )?)
    }

    fn overhead(&self) -> usize {
        FRAME_HEADER
    }

    fn unframe<'b>(
        &self,
        body: &'b [u8],
        limit: usize,
        announced: ContentEncoding,
    ) -> Result<(&'b [u8], ContentEncoding), RequestError> {
        let (compressed, message) = unary_message(body, limit)?;
        let compression = match (compressed, announced) {
            (false, _) => ContentEncoding::Identity,
            (true, ContentEncoding::Identity) => {
                return Err(RequestError::Malformed(
                    "compressed gRPC message without grpc-encoding".to_owned(),
                ))
            }
            (true, encoding) => encoding,
        };
        Ok((message, compression))
    }
}

/// The client's deadline: `grpc-timeout: <1-8 digits><H|M|S|m|u|n>`. A malformed value is
/// ignored, leaving `server.request_timeout` in charge.
fn grpc_timeout(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = text.split_at(text.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(value.saturating_mul(3600)),
        "M" => Duration::from_secs(value.saturating_mul(60)),
        "S" => Duration::from_secs(value),
        "m" => Duration::from_millis(value),
        "u" => Duration::from_micros(value),
        "n" => Duration::from_nanos(value),
        _ => return None,
    })
}

/// A unary request body is exactly one length-prefixed message.
fn unary_message(body: &[u8], limit: usize) -> Result<(bool, &[u8]), RequestError> {
    if body.len() < FRAME_HEADER {
        return Err(RequestError::Malformed("truncated gRPC message header".to_owned()));
    }
    let compressed = match body[0] {
        0 => false,
        1 => true,
        other => return Err(RequestError::Malformed(format!("invalid gRPC compressed flag {other}"))),
    };
    let length = u32::from_be_bytes([body[1], body[2], body[3], body[4]]) as usize;
    if length > limit {
        return Err(RequestError::TooLarge { limit });
    }
    let rest = &body[FRAME_HEADER..];
    match rest.len().cmp(&length) {
        std::cmp::Ordering::Less => Err(RequestError::Malformed("truncated gRPC message".to_owned())),
        std::cmp::Ordering::Greater => Err(RequestError::Malformed(
            "more than one message in a unary call".to_owned(),
        )),
        std::cmp::Ordering::Equal => Ok((compressed, rest)),
    }
}

fn success(accepted: Accepted) -> Response {
    let encoded = accepted.encode(Encoding::Protobuf);
    let mut frame = BytesMut::with_capacity(FRAME_HEADER + encoded.len());
    frame.put_u8(0);
    frame.put_u32(encoded.len() as u32);
    frame.put_slice(&encoded);
    let mut trailers = HeaderMap::new();
    trailers.insert("grpc-status", HeaderValue::from_static("0"));
    let frames: Vec<Result<Frame<Bytes>, Infallible>> =
        vec![Ok(Frame::data(frame.freeze())), Ok(Frame::trailers(trailers))];
    let body = http_body_util::StreamBody::new(futures::stream::iter(frames));
    let mut reply = Response::new(Body::new(body));
    set_grpc_headers(reply.headers_mut());
    reply
}

fn failure(error: &RequestError) -> (Response, i32) {
    let mapped = error_reply(error);
    error.log("grpc", grpc_code::name(mapped.grpc));
    (
        trailers_only(mapped.grpc, &mapped.message, mapped.retry_after),
        mapped.grpc,
    )
}

fn trailers_only(code: i32, message: &str, retry_after: Option<std::time::Duration>) -> Response {
    let mut response = Response::new(Body::empty());
    let headers = response.headers_mut();
    set_grpc_headers(headers);
    headers.insert("grpc-status", HeaderValue::from(code));
    let encoded_message = utf8_percent_encode(message, GRPC_MESSAGE).to_string();
    if let Ok(value) = HeaderValue::from_str(&encoded_message) {
        headers.insert("grpc-message", value);
    }
    let details = RpcStatus::new(code, message, retry_after).encode_to_vec();
    let details = base64::engine::general_purpose::STANDARD_NO_PAD.encode(details);
    if let Ok(value) = HeaderValue::from_str(&details) {
        headers.insert("grpc-status-details-bin", value);
    }
    response
}

fn set_grpc_headers(headers: &mut HeaderMap) {
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    headers.insert("grpc-accept-encoding", HeaderValue::from_static(ACCEPT_ENCODING));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeout_reads_every_unit_and_ignores_nonsense() {
        let timeout = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert("grpc-timeout", HeaderValue::from_str(value).unwrap());
            grpc_timeout(&headers)
        };
        assert_eq!(timeout("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(timeout("3M"), Some(Duration::from_secs(180)));
        assert_eq!(timeout("10S"), Some(Duration::from_secs(10)));
        assert_eq!(timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(timeout("99999999u"), Some(Duration::from_micros(99_999_999)));
        assert_eq!(timeout("5n"), Some(Duration::from_nanos(5)));
        for bad in ["", "S", "123456789S", "10s", "-1S", "1.5S", "10"] {
            assert_eq!(timeout(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn frames_are_checked_for_length_and_count() {
        assert!(matches!(
            unary_message(&[0, 0, 0], 100),
            Err(RequestError::Malformed(_))
        ));
        assert!(matches!(
            unary_message(&[0, 0, 0, 0, 3, 1, 2], 100),
            Err(RequestError::Malformed(_))
        ));
        assert!(matches!(
            unary_message(&[0, 0, 0, 0, 1, 1, 2], 100),
            Err(RequestError::Malformed(_))
        ));
        assert!(matches!(
            unary_message(&[2, 0, 0, 0, 0], 100),
            Err(RequestError::Malformed(_))
        ));
        assert!(matches!(
            unary_message(&[0, 0, 0, 1, 0], 100),
            Err(RequestError::TooLarge { limit: 100 })
        ));
        assert_eq!(
            unary_message(&[1, 0, 0, 0, 2, 7, 8], 100).unwrap(),
            (true, &[7u8, 8][..])
        );
    }
}
