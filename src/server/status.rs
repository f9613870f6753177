//! The one mapping from an error class to transport status, rendered by both transports
//! (OTLP retryability: 429/503 and UNAVAILABLE are retried, 4xx and the rest are not).

use std::time::Duration;

use http::StatusCode;

use crate::pipeline::ErrorClass;

use super::error::RequestError;

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

/// HTTP status, gRPC code and retry hint of each class.
fn codes(class: ErrorClass) -> (StatusCode, i32, Option<Duration>) {
    use grpc_code::*;
    match class {
        ErrorClass::Unauthenticated => (StatusCode::UNAUTHORIZED, UNAUTHENTICATED, None),
        ErrorClass::PermissionDenied => (StatusCode::FORBIDDEN, PERMISSION_DENIED, None),
        ErrorClass::UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, INVALID_ARGUMENT, None),
        ErrorClass::UnsupportedEncoding => (StatusCode::UNSUPPORTED_MEDIA_TYPE, UNIMPLEMENTED, None),
        // No RetryInfo: the same body will never fit.
        ErrorClass::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, RESOURCE_EXHAUSTED, None),
        ErrorClass::BadRequest => (StatusCode::BAD_REQUEST, INVALID_ARGUMENT, None),
        ErrorClass::Overloaded => (StatusCode::TOO_MANY_REQUESTS, UNAVAILABLE, Some(RETRY_AFTER)),
        ErrorClass::RateLimited(wait) => (
            StatusCode::TOO_MANY_REQUESTS,
            UNAVAILABLE,
            Some(wait.max(Duration::from_secs(1))),
        ),
        ErrorClass::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE, Some(RETRY_AFTER)),
        // OTLP lists DEADLINE_EXCEEDED as retryable; HTTP has no such code, so it answers as
        // any other timeout does.
        ErrorClass::DeadlineExceeded => (StatusCode::SERVICE_UNAVAILABLE, DEADLINE_EXCEEDED, Some(RETRY_AFTER)),
        ErrorClass::Internal => (StatusCode::INTERNAL_SERVER_ERROR, INTERNAL, None),
    }
}

pub fn error_reply(error: &RequestError) -> ErrorReply {
    let (http, grpc, retry_after) = codes(error.class());
    ErrorReply {
        http,
        grpc,
        message: error.to_string(),
        retry_after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::AuthError;
    use crate::pipeline::PipelineError;
    use crate::sink::SinkError;

    fn reply(error: PipelineError) -> ErrorReply {
        error_reply(&RequestError::Pipeline(error))
    }

    #[test]
    fn retryable_conditions_are_never_500_and_carry_a_retry_hint() {
        let retryable = [
            RequestError::Pipeline(PipelineError::Sink(SinkError::Unavailable("down".into()))),
            RequestError::Pipeline(PipelineError::Sink(SinkError::Timeout(Duration::from_secs(1)))),
            RequestError::Pipeline(PipelineError::Sink(SinkError::QueueFull)),
            RequestError::ShuttingDown,
            RequestError::Pipeline(PipelineError::Auth(AuthError::SourceUnavailable("db".into()))),
        ];
        for error in retryable {
            let reply = error_reply(&error);
            assert!(matches!(reply.http.as_u16(), 429 | 503), "{error}: {}", reply.http);
            assert_eq!(reply.grpc, grpc_code::UNAVAILABLE, "{error}");
            assert!(reply.retry_after.is_some(), "{error}");
        }
        let late = error_reply(&RequestError::DeadlineExceeded(Duration::from_secs(1)));
        assert_eq!((late.http.as_u16(), late.grpc), (503, grpc_code::DEADLINE_EXCEEDED));
        assert!(late.retry_after.is_some());
    }

    #[test]
    fn auth_errors_split_into_401_and_403() {
        assert_eq!(reply(AuthError::UnknownKey.into()).http, StatusCode::UNAUTHORIZED);
        assert_eq!(reply(AuthError::Expired.into()).grpc, grpc_code::UNAUTHENTICATED);
        let mismatch = AuthError::ProjectMismatch { claimed: "b".into() };
        assert_eq!(reply(mismatch.into()).http, StatusCode::FORBIDDEN);
        assert_eq!(
            reply(AuthError::NotIngestOnly.into()).grpc,
            grpc_code::PERMISSION_DENIED
        );
    }

    #[test]
    fn oversize_is_413_without_retry_info() {
        let reply = error_reply(&RequestError::TooLarge { limit: 10 });
        assert_eq!(reply.http, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(reply.grpc, grpc_code::RESOURCE_EXHAUSTED);
        assert_eq!(reply.retry_after, None);
    }
}
