//! The transport-agnostic flow of one request: authenticate (headers only), then
//! decompress, decode, drop invalid spans, stamp provenance, split into records, publish.
//! Both transports call exactly these two functions.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderMap;
use thiserror::Error;

use crate::auth::{AuthError, Authenticator, KeyLookup, KeyRecord};
use crate::codec::{decompress, ContentEncoding, DecompressError};
use crate::config::LimitsConfig;
use crate::limits::{
    enforce_input_limits, BudgetPermit, InflightBudget, KeyedRateLimiter, RateDecision, RateLimitsConfig,
};
use crate::otlp::{
    drop_invalid_spans, span_count, DecodeError, Encoding, ExportTracePartialSuccess, ExportTraceServiceResponse,
};
use crate::provenance::Provenance;
use crate::sink::{RecordHeaders, Sink, SinkError};
use crate::telemetry::metrics;
use crate::template::{guard, TemplateCatalog};

#[derive(Debug, Error)]
pub enum PipelineError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("unsupported content type `{0}`: send application/x-protobuf or application/json")]
    UnsupportedContentType(String),
    #[error("request body larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error(transparent)]
    Decompress(DecompressError),
    #[error("malformed request: {0}")]
    Malformed(String),
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Sink(#[from] SinkError),
    #[error("server is shutting down")]
    ShuttingDown,
    /// The request did not finish within `server.request_timeout` or the client's
    /// `grpc-timeout`; its work is dropped, though records already queued may still arrive.
    #[error("request did not finish within its deadline of {0:?}")]
    DeadlineExceeded(std::time::Duration),
    /// The in-flight byte budget is spent: retry shortly.
    #[error("intake is at capacity; retry shortly")]
    Overloaded,
    /// A per-key span rate or a per-address failed-authentication rate was exceeded.
    #[error("rate limit exceeded; retry in {0:?}")]
    RateLimited(std::time::Duration),
    #[error("request has {count} spans; the limit is {limit}")]
    TooManySpans { count: usize, limit: usize },
    /// A template statement failed under `error_mode: propagate`.
    #[error("template `{template}` rejected the request: {message}")]
    Template { template: String, message: String },
}

impl Pipeline {
    /// Spans per second per key: the key's own limit, else the configured default.
    fn check_rate(&self, key: &KeyRecord, spans: usize) -> Result<(), PipelineError> {
        let rate = key
            .rate_limit_spans_per_second
            .unwrap_or(self.rate_limits.spans_per_second);
        if rate == 0 || spans == 0 {
            return Ok(());
        }
        let burst = key.rate_limit_burst.unwrap_or(self.rate_limits.span_burst).max(1);
        match self.key_rates.take(&key.id, spans as f64, rate as f64, burst as f64) {
            RateDecision::Allow => Ok(()),
            RateDecision::Deny(wait) => {
                metrics().rate_limited(&key.project_id);
                metrics().spans_rejected("rate_limited", spans);
                Err(PipelineError::RateLimited(wait))
            }
        }
    }
}

impl From<DecompressError> for PipelineError {
    fn from(error: DecompressError) -> Self {
        match error {
            DecompressError::TooLarge { limit } => PipelineError::TooLarge { limit },
            other => PipelineError::Decompress(other),
        }
    }
}

/// What the client is told on success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub accepted_spans: usize,
    pub rejected_spans: usize,
    /// Why spans were rejected; empty when none were.
    pub message: String,
}

/// The template name that means "apply no template".
pub const NO_TEMPLATE: &str = "none";

impl Accepted {
    /// The OTLP response: `partial_success` only when spans were rejected.
    pub fn into_response(self) -> ExportTraceServiceResponse {
        let partial_success = (self.rejected_spans > 0).then_some(ExportTracePartialSuccess {
            rejected_spans: self.rejected_spans as i64,
            error_message: self.message,
        });
        ExportTraceServiceResponse { partial_success }
    }
}

pub struct Pipeline {
    auth: Authenticator,
    sink: Arc<dyn Sink>,
    limits: LimitsConfig,
    templates: Arc<TemplateCatalog>,
    default_template: String,
    rate_limits: RateLimitsConfig,
    budget: InflightBudget,
    key_rates: KeyedRateLimiter<String>,
    auth_failures: KeyedRateLimiter<IpAddr>,
}

impl Pipeline {
    pub fn new(
        auth: Authenticator,
        sink: Arc<dyn Sink>,
        limits: LimitsConfig,
        templates: Arc<TemplateCatalog>,
        default_template: String,
        rate_limits: RateLimitsConfig,
    ) -> Self {
        Self {
            auth,
            sink,
            budget: InflightBudget::new(limits.max_inflight_bytes),
            limits,
            templates,
            default_template,
            rate_limits,
            key_rates: KeyedRateLimiter::new(100_000),
            auth_failures: KeyedRateLimiter::new(100_000),
        }
    }

    fn auth_failure_rate(&self) -> (f64, f64) {
        (
            self.rate_limits.auth_failures_per_minute as f64 / 60.0,
            self.rate_limits.auth_failure_burst as f64,
        )
    }

    /// Holds the request's wire bytes from the in-flight budget before the body is read.
    pub fn reserve(&self, declared_length: Option<u64>) -> Result<BudgetPermit, PipelineError> {
        let bytes = declared_length
            .map_or(self.limits.max_wire_bytes, |n| usize::try_from(n).unwrap_or(usize::MAX))
            .min(self.limits.max_wire_bytes);
        self.budget.try_acquire(bytes).ok_or(PipelineError::Overloaded)
    }

    pub fn limits(&self) -> &LimitsConfig {
        &self.limits
    }

    pub fn is_ready(&self) -> bool {
        self.sink.is_ready() && self.auth.cache().is_ready()
    }

    pub fn key_cache_size(&self) -> u64 {
        self.auth.cache().entry_count()
    }

    pub fn sink(&self) -> &Arc<dyn Sink> {
        &self.sink
    }

    /// Reads only headers, so bad keys cost no body work. An address that keeps failing is
    /// served from the key cache alone: keys already in use from behind the same NAT keep
    /// working, while its guesses are refused without reaching the key source.
    pub async fn authenticate(
        &self,
        headers: &HeaderMap,
        client: Option<IpAddr>,
    ) -> Result<Arc<KeyRecord>, PipelineError> {
        let (rate, burst) = self.auth_failure_rate();
        let client = client.filter(|_| self.rate_limits.auth_failures_per_minute > 0);
        let over_limit = client.is_some_and(|ip| !self.auth_failures.peek(&ip, 1.0, rate, burst));
        if over_limit {
            return self
                .auth
                .authenticate_with(headers, KeyLookup::CacheOnly)
                .await
                .map_err(|_| {
                    metrics().auth_failure("address_rate_limited");
                    PipelineError::RateLimited(Duration::from_secs_f64(1.0 / rate.max(f64::MIN_POSITIVE)))
                });
        }
        match self.auth.authenticate(headers).await {
            Ok(key) => Ok(key),
            Err(error) => {
                metrics().auth_failure(error.reason());
                if let Some(ip) = client {
                    if !matches!(error, AuthError::SourceUnavailable(_)) {
                        let _ = self.auth_failures.take(&ip, 1.0, rate, burst);
                    }
                }
                Err(error.into())
            }
        }
    }

    /// `body` is the message as received (at most `limits.max_wire_bytes`); it is
    /// decompressed here, capped at `limits.max_decompressed_bytes`.
    pub async fn ingest(
        &self,
        key: &KeyRecord,
        body: &[u8],
        compression: ContentEncoding,
        encoding: Encoding,
        permit: &mut BudgetPermit,
    ) -> Result<Accepted, PipelineError> {
        let received_at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        let decompressed;
        let plain = match compression {
            ContentEncoding::Identity => {
                if body.len() > self.limits.max_decompressed_bytes {
                    return Err(PipelineError::TooLarge {
                        limit: self.limits.max_decompressed_bytes,
                    });
                }
                body
            }
            other => {
                decompressed = decompress(other, body, self.limits.max_decompressed_bytes)?;
                &decompressed[..]
            }
        };
        // Decoded telemetry takes about twice the protobuf bytes; hold that too.
        if !permit.grow(&self.budget, plain.len().saturating_mul(2)) {
            return Err(PipelineError::Overloaded);
        }
        let mut request = encoding.decode_request(plain)?;
        let received = span_count(&request);
        metrics().spans_received(received);
        if received > self.limits.max_spans_per_request {
            metrics().spans_rejected("too_many_spans", received);
            return Err(PipelineError::TooManySpans {
                count: received,
                limit: self.limits.max_spans_per_request,
            });
        }
        self.check_rate(key, received)?;
        let limited = enforce_input_limits(&mut request, &self.limits);
        metrics().attributes_truncated(limited.values_truncated + limited.values_too_deep);
        let invalid = drop_invalid_spans(&mut request);
        metrics().spans_rejected("invalid_id", invalid.count);
        let spec = key.template.as_deref().unwrap_or(&self.default_template);
        // `none` opts a key out of templates.
        let template = if spec == NO_TEMPLATE {
            None
        } else {
            self.templates.resolve(spec)
        };
        if template.is_none() && spec != NO_TEMPLATE {
            tracing::warn!(message = "template not found; request passes untransformed", template = %spec, project_id = %key.project_id);
        }
        let template_id = template.as_ref().map(|t| t.id().to_owned());
        let provenance = Provenance::new(key, template_id.as_deref());
        // Stamp first so the template sees who sent it; restore after, so whatever the
        // template did to receiver-owned attributes is undone.
        provenance.stamp(&mut request);
        if let Some(template) = &template {
            let report = template
                .template
                .apply(&mut request)
                .map_err(|e| PipelineError::Template {
                    template: template.id().to_owned(),
                    message: e.to_string(),
                })?;
            metrics().template_errors(template.id(), report.failures.len());
            if let Some((statement, error)) = report.failures.first() {
                tracing::debug!(message = "template statement failed (error_mode ignore)", template = %template.id(), %statement, %error, failures = report.failures.len());
            }
            let violations = guard::restore(&mut request, &provenance);
            metrics().template_guard_violations(template.id(), violations);
            if violations > 0 {
                tracing::warn!(message = "template changed receiver-owned attributes; restored", template = %template.id(), violations);
            }
        }
        let headers = RecordHeaders {
            project_id: key.project_id.clone(),
            api_key_id: key.id.clone(),
            template_id,
            content_type: "",
            organization_id: key.organization_id.clone(),
            source: key.source.clone(),
            principal_id: key.principal_id.clone(),
            received_time_unix_nano: received_at,
        };
        let outcome = self.sink.layout().split(request, headers);
        let accepted_spans = outcome.batch.span_count();
        metrics().spans_rejected("record_too_large", outcome.oversized_spans);
        if !outcome.batch.records.is_empty() {
            if let Err(error) = self.sink.publish(outcome.batch).await {
                metrics().spans_rejected("sink_unavailable", accepted_spans);
                return Err(error.into());
            }
        }
        metrics().spans_accepted(accepted_spans);
        let rejected_spans = invalid.count + outcome.oversized_spans;
        let mut message = invalid.message();
        if outcome.oversized_spans > 0 {
            if !message.is_empty() {
                message.push_str("; ");
            }
            message.push_str(&format!(
                "{} spans larger than the record size limit ({} bytes) on their own",
                outcome.oversized_spans,
                self.sink.layout().max_record_bytes
            ));
        }
        debug_assert!(rejected_spans > 0 || message.is_empty());
        tracing::debug!(
            message = "request accepted",
            project_id = %key.project_id,
            accepted_spans,
            rejected_spans
        );
        Ok(Accepted {
            accepted_spans,
            rejected_spans,
            message,
        })
    }
}
