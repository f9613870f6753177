//! Why a request failed: the pipeline's errors plus what only a transport can meet
//! (framing, content type, shutdown, deadline). One `class()` for both.

use std::time::Duration;

use thiserror::Error;

use crate::pipeline::{ErrorClass, PipelineError};

#[derive(Debug, Error)]
pub enum RequestError {
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error("unsupported content type `{0}`: send application/x-protobuf or application/json")]
    UnsupportedContentType(String),
    #[error("malformed request: {0}")]
    Malformed(String),
    #[error("request body larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("server is shutting down")]
    ShuttingDown,
    /// The request did not finish within `server.request_timeout` or the client's
    /// `grpc-timeout`; its work is dropped, though records already queued may still arrive.
    #[error("request did not finish within its deadline of {0:?}")]
    DeadlineExceeded(Duration),
}

impl From<crate::codec::DecompressError> for RequestError {
    fn from(error: crate::codec::DecompressError) -> Self {
        RequestError::Pipeline(error.into())
    }
}

impl RequestError {
    pub fn class(&self) -> ErrorClass {
        match self {
            RequestError::Pipeline(error) => error.class(),
            RequestError::UnsupportedContentType(_) => ErrorClass::UnsupportedMediaType,
            RequestError::Malformed(_) => ErrorClass::BadRequest,
            RequestError::TooLarge { .. } => ErrorClass::TooLarge,
            RequestError::ShuttingDown => ErrorClass::Unavailable,
            RequestError::DeadlineExceeded(_) => ErrorClass::DeadlineExceeded,
        }
    }

    /// The one log rule: failures on intake's side are warnings (throttled, since they
    /// can fire on every request), the client's own mistakes are debug.
    pub fn log(&self, transport: &'static str, status: &str) {
        static WARNINGS: crate::telemetry::LogThrottle = crate::telemetry::LogThrottle::new();
        if self.class().is_server_side() {
            if WARNINGS.allow() {
                tracing::warn!(message = "request failed", transport, status, error = %self, similar_suppressed = WARNINGS.take_suppressed());
            }
        } else {
            tracing::debug!(message = "request refused", transport, status, error = %self);
        }
    }
}
