//! Why the pipeline refused a request, and the one classification both transports map to
//! their status codes and that decides how loudly it is logged.

use std::time::Duration;

use thiserror::Error;

use crate::auth::AuthError;
use crate::codec::DecompressError;
use crate::otlp::DecodeError;
use crate::sink::SinkError;

#[derive(Debug, Error)]
pub enum PipelineError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("request body larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error(transparent)]
    Decompress(DecompressError),
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Sink(#[from] SinkError),
    /// The in-flight byte budget is spent: retry shortly.
    #[error("intake is at capacity; retry shortly")]
    Overloaded,
    /// A per-key rate or a per-address failed-authentication rate was exceeded.
    #[error("rate limit exceeded; retry in {0:?}")]
    RateLimited(Duration),
    #[error("request has {count} {items}; the limit is {limit}")]
    TooManyItems {
        count: usize,
        limit: usize,
        items: &'static str,
    },
    /// A template statement failed under `error_mode: propagate`.
    #[error("template `{template}` rejected the request: {message}")]
    Template { template: String, message: String },
}

impl From<DecompressError> for PipelineError {
    fn from(error: DecompressError) -> Self {
        match error {
            DecompressError::TooLarge { limit } => PipelineError::TooLarge { limit },
            other => PipelineError::Decompress(other),
        }
    }
}

/// What kind of failure a request met: the transports turn a class into their status
/// codes and retry hints (`server::status`), and the log level follows from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// No, malformed, unknown, revoked or expired credential.
    Unauthenticated,
    /// A valid key used for something it may not do.
    PermissionDenied,
    /// A content type intake does not read.
    UnsupportedMediaType,
    /// A content or message encoding intake does not read.
    UnsupportedEncoding,
    /// Over a size or count limit: the same request will never fit.
    TooLarge,
    /// The request itself is wrong.
    BadRequest,
    /// intake is at capacity; retry shortly.
    Overloaded,
    /// A rate limit; retry after the given wait.
    RateLimited(Duration),
    /// A dependency (Kafka, the key store) or intake itself cannot serve now.
    Unavailable,
    /// The request's deadline passed.
    DeadlineExceeded,
    /// A failure retrying will not fix.
    Internal,
}

impl ErrorClass {
    /// Failures an operator should hear about: intake or its dependencies could not serve.
    /// The rest are the client's doing and logged at debug.
    pub fn is_server_side(self) -> bool {
        matches!(
            self,
            ErrorClass::Overloaded
                | ErrorClass::RateLimited(_)
                | ErrorClass::Unavailable
                | ErrorClass::DeadlineExceeded
                | ErrorClass::Internal
        )
    }
}

impl PipelineError {
    pub fn class(&self) -> ErrorClass {
        match self {
            PipelineError::Auth(
                AuthError::NotIngestOnly | AuthError::NotManager | AuthError::ProjectMismatch { .. },
            ) => ErrorClass::PermissionDenied,
            PipelineError::Auth(AuthError::SourceUnavailable(_)) => ErrorClass::Unavailable,
            PipelineError::Auth(_) => ErrorClass::Unauthenticated,
            PipelineError::Decompress(DecompressError::Unsupported(_)) => ErrorClass::UnsupportedEncoding,
            PipelineError::TooLarge { .. } | PipelineError::TooManyItems { .. } => ErrorClass::TooLarge,
            PipelineError::Decompress(_) | PipelineError::Decode(_) | PipelineError::Template { .. } => {
                ErrorClass::BadRequest
            }
            PipelineError::Overloaded => ErrorClass::Overloaded,
            PipelineError::RateLimited(wait) => ErrorClass::RateLimited(*wait),
            PipelineError::Sink(error) => sink_class(error),
        }
    }
}

/// A sink's failure as the client sees it: a full queue is backpressure, an outage or a
/// missed delivery is retryable, a refused record is not.
fn sink_class(error: &SinkError) -> ErrorClass {
    match error {
        SinkError::QueueFull => ErrorClass::Overloaded,
        SinkError::Unavailable(_) | SinkError::Timeout(_) => ErrorClass::Unavailable,
        SinkError::Rejected(_) => ErrorClass::Internal,
    }
}
