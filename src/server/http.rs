//! OTLP/HTTP: `POST /v1/{traces,logs,metrics}` (and under `/api/otel`), protobuf or JSON,
//! every answer in the request's content type; `/healthz` and `/readyz`.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use http::{header, HeaderMap, HeaderValue, StatusCode};
use prost::Message;

use super::error::RequestError;
use super::export::{export, Framing};
use super::rpc_status::RpcStatus;
use super::status::error_reply;
use super::AppState;
use crate::auth::source::SourceHealth;
use crate::codec::ContentEncoding;
use crate::otlp::{Encoding, Signal};
use crate::pipeline::Accepted;
use crate::telemetry::{metrics, Transport};

pub const TRACES_PATHS: &[&str] = &["/v1/traces", "/api/otel/v1/traces"];
pub const LOGS_PATHS: &[&str] = &["/v1/logs", "/api/otel/v1/logs"];
pub const METRICS_PATHS: &[&str] = &["/v1/metrics", "/api/otel/v1/metrics"];

pub fn router(state: Arc<AppState>) -> Router {
    let mut router = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz));
    for path in TRACES_PATHS {
        router = router.route(path, post(export_traces));
    }
    for path in LOGS_PATHS {
        router = router.route(path, post(export_logs));
    }
    for path in METRICS_PATHS {
        router = router.route(path, post(export_metrics));
    }
    router.with_state(state)
}

/// The admin port: metrics, probes and the key management API.
pub fn admin_router(state: Arc<AppState>) -> Router {
    let router = Router::new()
        .route("/metrics", get(metrics_text))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz));
    super::keys_api::routes(router).with_state(state)
}

async fn metrics_text(State(state): State<Arc<AppState>>) -> Response {
    metrics().set_key_cache_size(state.pipeline.key_cache_size());
    let mut response = Response::new(Body::from(metrics().render()));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let (status, text) = if state.shutdown.is_cancelled() {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n".to_owned())
    } else if let Some(reason) = state.pipeline.sink().not_ready_reason() {
        (StatusCode::SERVICE_UNAVAILABLE, format!("sink not ready: {reason}\n"))
    } else {
        match state.pipeline.key_source_health() {
            SourceHealth::Starting(error) => (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("key store not reached yet: {error}\n"),
            ),
            // Every replica shares the database: taking them all out of the load balancer
            // on a blip would refuse the keys they can still serve from cache.
            SourceHealth::Down { since_secs, error } => (
                StatusCode::OK,
                format!("ready; key store unreachable for {since_secs}s ({error}): cached keys are served, new keys get 503\n"),
            ),
            SourceHealth::Up => (StatusCode::OK, "ready\n".to_owned()),
        }
    };
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response
}

/// `application/json` (any parameters) is JSON; the protobuf names are protobuf.
fn request_encoding(content_type: Option<&HeaderValue>) -> Result<Encoding, String> {
    let raw = content_type.and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = raw.split(';').next().unwrap_or("").trim();
    let is = |name: &str| essence.eq_ignore_ascii_case(name);
    if is("application/x-protobuf") || is("application/protobuf") {
        Ok(Encoding::Protobuf)
    } else if is("application/json") {
        Ok(Encoding::Json)
    } else {
        Err(raw.chars().take(64).collect())
    }
}

/// OTLP/HTTP framing: the body is the message; the encoding is the content type, read
/// once per request.
struct HttpFraming(Result<Encoding, String>);

impl Framing for HttpFraming {
    fn encoding(&self, _headers: &HeaderMap) -> Result<Encoding, RequestError> {
        self.0.clone().map_err(RequestError::UnsupportedContentType)
    }

    fn compression(&self, headers: &HeaderMap) -> Result<ContentEncoding, RequestError> {
        Ok(ContentEncoding::parse(
            headers.get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()),
        )?)
    }

    fn overhead(&self) -> usize {
        0
    }

    fn unframe<'b>(
        &self,
        body: &'b [u8],
        _limit: usize,
        announced: ContentEncoding,
    ) -> Result<(&'b [u8], ContentEncoding), RequestError> {
        Ok((body, announced))
    }
}

async fn export_signal(state: Arc<AppState>, request: Request, signal: Signal) -> Response {
    let (parts, body) = request.into_parts();
    // Answer in the request's encoding; protobuf when we cannot tell.
    let framing = HttpFraming(request_encoding(parts.headers.get(header::CONTENT_TYPE)));
    let reply_encoding = framing.0.clone().unwrap_or(Encoding::Protobuf);
    let response = match export(&state, &parts, body, signal, &framing, None).await {
        Ok(accepted) => success(accepted, reply_encoding),
        Err(error) => failure(&error, reply_encoding),
    };
    metrics().request(Transport::Http, signal, response.status().as_str());
    response
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

fn success(accepted: Accepted, encoding: Encoding) -> Response {
    let body = accepted.encode(encoding);
    reply(StatusCode::OK, encoding, body)
}

fn failure(error: &RequestError, encoding: Encoding) -> Response {
    let mapped = error_reply(error);
    error.log("http", mapped.http.as_str());
    let status = RpcStatus::new(mapped.grpc, mapped.message, mapped.retry_after);
    let body = match encoding {
        Encoding::Protobuf => status.encode_to_vec(),
        Encoding::Json => status.to_json(),
    };
    let mut response = reply(mapped.http, encoding, body);
    if let Some(delay) = mapped.retry_after {
        let seconds = delay.as_secs().max(1);
        if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
    }
    response
}

fn reply(status: StatusCode, encoding: Encoding, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(encoding.content_type()));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_are_matched_on_their_essence() {
        let v = |s: &'static str| HeaderValue::from_static(s);
        assert_eq!(
            request_encoding(Some(&v("application/json; charset=utf-8"))),
            Ok(Encoding::Json)
        );
        assert_eq!(
            request_encoding(Some(&v("Application/X-Protobuf"))),
            Ok(Encoding::Protobuf)
        );
        assert_eq!(request_encoding(Some(&v("text/plain"))), Err("text/plain".to_owned()));
        assert!(request_encoding(None).is_err());
    }
}
