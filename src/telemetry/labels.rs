//! The label sets of intake's metrics: fixed words, so every series is bounded.

use prometheus_client::encoding::EncodeLabelSet;

use crate::otlp::Signal;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Http = 0,
    Grpc = 1,
}

impl Transport {
    pub const ALL: [Transport; 2] = [Transport::Http, Transport::Grpc];

    pub fn name(self) -> &'static str {
        match self {
            Transport::Http => "http",
            Transport::Grpc => "grpc",
        }
    }
}

/// Every status a request can end with (HTTP codes, then gRPC code names); the last entry
/// catches anything else.
pub const STATUS_NAMES: &[&str] = &[
    "200",
    "400",
    "401",
    "403",
    "404",
    "413",
    "415",
    "429",
    "500",
    "503",
    "OK",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "UNAUTHENTICATED",
    "OTHER",
];

/// Why telemetry items were not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectReason {
    RateLimited = 0,
    TooMany = 1,
    InvalidId = 2,
    RecordTooLarge = 3,
    SinkUnavailable = 4,
}

impl RejectReason {
    pub const ALL: [RejectReason; 5] = [
        RejectReason::RateLimited,
        RejectReason::TooMany,
        RejectReason::InvalidId,
        RejectReason::RecordTooLarge,
        RejectReason::SinkUnavailable,
    ];

    pub fn name(self, signal: Signal) -> &'static str {
        match self {
            RejectReason::RateLimited => "rate_limited",
            RejectReason::TooMany => match signal {
                Signal::Traces => "too_many_spans",
                Signal::Logs => "too_many_log_records",
                Signal::Metrics => "too_many_data_points",
            },
            RejectReason::InvalidId => "invalid_id",
            RejectReason::RecordTooLarge => "record_too_large",
            RejectReason::SinkUnavailable => "sink_unavailable",
        }
    }
}

/// Why an authentication failed (a bounded label; never the credential itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthFailureReason {
    Missing = 0,
    Malformed = 1,
    Unknown = 2,
    InvalidSecret = 3,
    Revoked = 4,
    Expired = 5,
    NotIngestOnly = 6,
    ProjectMismatch = 7,
    SourceUnavailable = 8,
    AddressRateLimited = 9,
    NotManager = 10,
}

impl AuthFailureReason {
    pub const ALL: [AuthFailureReason; 11] = [
        AuthFailureReason::Missing,
        AuthFailureReason::Malformed,
        AuthFailureReason::Unknown,
        AuthFailureReason::InvalidSecret,
        AuthFailureReason::Revoked,
        AuthFailureReason::Expired,
        AuthFailureReason::NotIngestOnly,
        AuthFailureReason::ProjectMismatch,
        AuthFailureReason::SourceUnavailable,
        AuthFailureReason::AddressRateLimited,
        AuthFailureReason::NotManager,
    ];

    pub fn name(self) -> &'static str {
        match self {
            AuthFailureReason::Missing => "missing",
            AuthFailureReason::Malformed => "malformed",
            AuthFailureReason::Unknown => "unknown",
            AuthFailureReason::InvalidSecret => "invalid_secret",
            AuthFailureReason::Revoked => "revoked",
            AuthFailureReason::Expired => "expired",
            AuthFailureReason::NotIngestOnly => "not_ingest_only",
            AuthFailureReason::ProjectMismatch => "project_mismatch",
            AuthFailureReason::SourceUnavailable => "source_unavailable",
            AuthFailureReason::AddressRateLimited => "address_rate_limited",
            AuthFailureReason::NotManager => "not_manager",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RequestLabels {
    pub transport: &'static str,
    pub status: &'static str,
    pub signal: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ReasonLabel {
    pub reason: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct TemplateLabel {
    pub template: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ProjectLabel {
    pub project: String,
}
