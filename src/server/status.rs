//! The one mapping from pipeline errors to transport status, shared by both transports
//! (OTLP retryability: 429/503 and UNAVAILABLE are retried, 4xx and the rest are not).

use std::time::Duration;

use http::StatusCode;

use crate::auth::AuthError;
use crate::codec::DecompressError;
use crate::pipeline::PipelineError;
use crate::sink::SinkError;

/// What clients are asked to wait before retrying an overloaded or unavailable intake.
pub const RETRY_AFTER: Duration = Duration::from_secs(2);

pub mod grpc_code {
    pub const OK: i32 = 0;
    pub const INVALID_ARGUMENT: i32 = 3;
    pub const DEADLINE_EXCEEDED: i32 = 4;
    pub const PERMISSION_DENIED: i32 = 7;
    pub const RESOURCE_EXHAUSTED: i32 = 8;
    pub const UNIMPLEMENTED: i32 = 12;
    pub const INTERNAL: i32 = 13;
    pub const UNAVAILABLE: i32 = 14;
    pub const UNAUTHENTICATED: i32 = 16;

    /// The code's name, for metric labels.
    pub fn name(code: i32) -> &'static str {
        match code {
            OK => "OK",
            INVALID_ARGUMENT => "INVALID_ARGUMENT",
            DEADLINE_EXCEEDED => "DEADLINE_EXCEEDED",
            PERMISSION_DENIED => "PERMISSION_DENIED",
            RESOURCE_EXHAUSTED => "RESOURCE_EXHAUSTED",
            UNIMPLEMENTED => "UNIMPLEMENTED",
            INTERNAL => "INTERNAL",
            UNAVAILABLE => "UNAVAILABLE",
            UNAUTHENTICATED => "UNAUTHENTICATED",
            _ => "OTHER",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorReply {
    pub http: StatusCode,
    pub grpc: i32,
    pub message: String,
    /// Set for retryable answers: `Retry-After` on HTTP, `RetryInfo` on gRPC.
    pub retry_after: Option<Duration>,
}

impl ErrorReply {
    fn new(http: StatusCode, grpc: i32, message: String, retry_after: Option<Duration>) -> Self {
        Self {
            http,
            grpc,
            message,
            retry_after,
        }
    }
}

pub fn error_reply(error: &PipelineError) -> ErrorReply {
    let message = error.to_string();
    match error {
        PipelineError::Auth(auth) => match auth {
            AuthError::NotIngestOnly | AuthError::ProjectMismatch { .. } => {
                ErrorReply::new(StatusCode::FORBIDDEN, grpc_code::PERMISSION_DENIED, message, None)
            }
            AuthError::SourceUnavailable(_) => ErrorReply::new(
                StatusCode::SERVICE_UNAVAILABLE,
                grpc_code::UNAVAILABLE,
                message,
                Some(RETRY_AFTER),
            ),
            _ => ErrorReply::new(StatusCode::UNAUTHORIZED, grpc_code::UNAUTHENTICATED, message, None),
        },
        PipelineError::UnsupportedContentType(_) => ErrorReply::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            grpc_code::INVALID_ARGUMENT,
            message,
            None,
        ),
        PipelineError::Decompress(DecompressError::Unsupported(_)) => ErrorReply::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            grpc_code::UNIMPLEMENTED,
            message,
            None,
        ),
        // No RetryInfo: the same body will never fit.
        PipelineError::TooLarge { .. } | PipelineError::TooManySpans { .. } => ErrorReply::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            grpc_code::RESOURCE_EXHAUSTED,
            message,
            None,
        ),
        PipelineError::Decompress(_)
        | PipelineError::Malformed(_)
        | PipelineError::Decode(_)
        | PipelineError::Template { .. } => {
            ErrorReply::new(StatusCode::BAD_REQUEST, grpc_code::INVALID_ARGUMENT, message, None)
        }
        PipelineError::Sink(SinkError::QueueFull) | PipelineError::Overloaded => ErrorReply::new(
            StatusCode::TOO_MANY_REQUESTS,
            grpc_code::UNAVAILABLE,
            message,
            Some(RETRY_AFTER),
        ),
        PipelineError::RateLimited(wait) => ErrorReply::new(
            StatusCode::TOO_MANY_REQUESTS,
            grpc_code::UNAVAILABLE,
            message,
            Some((*wait).max(Duration::from_secs(1))),
        ),
        PipelineError::Sink(SinkError::Unavailable(_) | SinkError::Timeout(_)) | PipelineError::ShuttingDown => {
            ErrorReply::new(
                StatusCode::SERVICE_UNAVAILABLE,
                grpc_code::UNAVAILABLE,
                message,
                Some(RETRY_AFTER),
            )
        }
        // OTLP lists DEADLINE_EXCEEDED as retryable; HTTP has no such code, so it answers as
        // any other timeout does.
        PipelineError::DeadlineExceeded(_) => ErrorReply::new(
            StatusCode::SERVICE_UNAVAILABLE,
            grpc_code::DEADLINE_EXCEEDED,
            message,
            Some(RETRY_AFTER),
        ),
        PipelineError::Sink(SinkError::Rejected(_)) => {
            ErrorReply::new(StatusCode::INTERNAL_SERVER_ERROR, grpc_code::INTERNAL, message, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_conditions_are_never_500_and_carry_a_retry_hint() {
        let retryable = [
            PipelineError::Sink(SinkError::Unavailable("down".into())),
            PipelineError::Sink(SinkError::Timeout(Duration::from_secs(1))),
            PipelineError::Sink(SinkError::QueueFull),
            PipelineError::ShuttingDown,
            PipelineError::Auth(AuthError::SourceUnavailable("db".into())),
        ];
        for error in retryable {
            let reply = error_reply(&error);
            assert!(matches!(reply.http.as_u16(), 429 | 503), "{error}: {}", reply.http);
            assert_eq!(reply.grpc, grpc_code::UNAVAILABLE, "{error}");
            assert!(reply.retry_after.is_some(), "{error}");
        }
        let late = error_reply(&PipelineError::DeadlineExceeded(Duration::from_secs(1)));
        assert_eq!((late.http.as_u16(), late.grpc), (503, grpc_code::DEADLINE_EXCEEDED));
        assert!(late.retry_after.is_some());
    }

    #[test]
    fn auth_errors_split_into_401_and_403() {
        assert_eq!(
            error_reply(&AuthError::UnknownKey.into()).http,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(error_reply(&AuthError::Expired.into()).grpc, grpc_code::UNAUTHENTICATED);
        let mismatch = AuthError::ProjectMismatch { claimed: "b".into() };
        assert_eq!(error_reply(&mismatch.into()).http, StatusCode::FORBIDDEN);
        assert_eq!(
            error_reply(&AuthError::NotIngestOnly.into()).grpc,
            grpc_code::PERMISSION_DENIED
        );
    }

    #[test]
    fn oversize_is_413_without_retry_info() {
        let reply = error_reply(&PipelineError::TooLarge { limit: 10 });
        assert_eq!(reply.http, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(reply.grpc, grpc_code::RESOURCE_EXHAUSTED);
        assert_eq!(reply.retry_after, None);
    }
}
