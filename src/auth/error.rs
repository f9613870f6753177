use thiserror::Error;

use crate::telemetry::AuthFailureReason;

/// Why a request was not authenticated or not authorized. The transport maps these to
/// 401/403/503; the message is safe to return to the client (it never echoes the secret).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AuthError {
    #[error("missing credential: send `Authorization: Bearer <ingestion key>`")]
    MissingCredential,
    #[error("malformed credential: {0}")]
    MalformedCredential(&'static str),
    #[error("unknown ingestion key")]
    UnknownKey,
    #[error("invalid ingestion key")]
    InvalidSecret,
    #[error("ingestion key has been revoked")]
    Revoked,
    #[error("ingestion key has expired")]
    Expired,
    #[error("key is not an ingestion key: it must grant exactly `traces:create` on exactly one project")]
    NotIngestOnly,
    #[error("only a management key (organization:manage) may manage keys")]
    NotManager,
    #[error("key does not belong to project `{claimed}`")]
    ProjectMismatch { claimed: String },
    #[error("key store unavailable: {0}")]
    SourceUnavailable(String),
}

impl AuthError {
    /// A bounded label for logs and metrics.
    pub fn reason(&self) -> AuthFailureReason {
        match self {
            AuthError::MissingCredential => AuthFailureReason::Missing,
            AuthError::MalformedCredential(_) => AuthFailureReason::Malformed,
            AuthError::UnknownKey => AuthFailureReason::Unknown,
            AuthError::InvalidSecret => AuthFailureReason::InvalidSecret,
            AuthError::Revoked => AuthFailureReason::Revoked,
            AuthError::Expired => AuthFailureReason::Expired,
            AuthError::NotIngestOnly => AuthFailureReason::NotIngestOnly,
            AuthError::NotManager => AuthFailureReason::NotManager,
            AuthError::ProjectMismatch { .. } => AuthFailureReason::ProjectMismatch,
            AuthError::SourceUnavailable(_) => AuthFailureReason::SourceUnavailable,
        }
    }
}
