//! The one handler core both transports run for every signal: shutdown check, client
//! address, authentication (headers only), framing, declared length, budget, capped body
//! read, unframing, ingest, all under the request's deadline. A transport differs only
//! in its `Framing` and in how it renders the answer.

use std::time::Duration;

use axum::body::Body;
use http::request::Parts;
use http::HeaderMap;

use super::body::{check_declared_length, read_capped};
use super::error::RequestError;
use super::AppState;
use crate::codec::ContentEncoding;
use crate::otlp::{Encoding, Signal};
use crate::pipeline::{Accepted, Payload};

/// How a transport wraps the OTLP message.
pub trait Framing: Sync {
    /// The message encoding, from the request's headers.
    fn encoding(&self, headers: &HeaderMap) -> Result<Encoding, RequestError>;
    /// The compression the headers announce.
    fn compression(&self, headers: &HeaderMap) -> Result<ContentEncoding, RequestError>;
    /// Bytes the framing adds around a message of at most `limits.max_wire_bytes`.
    fn overhead(&self) -> usize;
    /// The message inside `body`, and how it is compressed.
    fn unframe<'b>(
        &self,
        body: &'b [u8],
        limit: usize,
        announced: ContentEncoding,
    ) -> Result<(&'b [u8], ContentEncoding), RequestError>;
}

/// Runs one export request to its answer (or the error the transport renders).
pub async fn export(
    state: &AppState,
    parts: &Parts,
    body: Body,
    signal: Signal,
    framing: &impl Framing,
    client_deadline: Option<Duration>,
) -> Result<Accepted, RequestError> {
    let work = async {
        if state.shutdown.is_cancelled() {
            return Err(RequestError::ShuttingDown);
        }
        let peer = state.client_address(parts);
        let key = state.pipeline.authenticate(&parts.headers, peer).await?;
        let encoding = framing.encoding(&parts.headers)?;
        let announced = framing.compression(&parts.headers)?;
        let limit = state.pipeline.limits().max_wire_bytes;
        let framed_limit = limit.saturating_add(framing.overhead());
        let declared = check_declared_length(&parts.headers, framed_limit)?;
        let mut permit = state.pipeline.reserve(declared)?;
        let body = read_capped(body, framed_limit).await?;
        let (message, compression) = framing.unframe(&body, limit, announced)?;
        let payload = Payload {
            signal,
            body: message,
            compression,
            encoding,
        };
        Ok(state.pipeline.ingest(&key, payload, &mut permit).await?)
    };
    let deadline = client_deadline.map_or(state.request_timeout, |d| d.min(state.request_timeout));
    tokio::time::timeout(deadline, work)
        .await
        .unwrap_or(Err(RequestError::DeadlineExceeded(deadline)))
}
