//! Admission: who is calling (headers only, so bad keys cost no body work), whether the
//! in-flight budget has room, and whether the key is within its rate.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderMap;

use super::{Pipeline, PipelineError};
use crate::auth::{AuthError, KeyLookup, KeyRecord, Role};
use crate::limits::{BudgetPermit, RateDecision};
use crate::otlp::Signal;
use crate::telemetry::{metrics, AuthFailureReason, RejectReason};

impl Pipeline {
    fn auth_failure_rate(&self) -> (f64, f64) {
        (
            self.rate_limits.auth_failures_per_minute as f64 / 60.0,
            self.rate_limits.auth_failure_burst as f64,
        )
    }

    /// An address that keeps failing is served from the key cache alone: keys already in
    /// use from behind the same NAT keep working, while its guesses are refused without
    /// reaching the key source.
    pub async fn authenticate(
        &self,
        headers: &HeaderMap,
        client: Option<IpAddr>,
    ) -> Result<Arc<KeyRecord>, PipelineError> {
        self.authenticate_as(headers, client, Role::Ingest).await
    }

    /// Like `authenticate`, for a caller that must hold `role` (the management API asks for
    /// `Manage`): failures count against the same per-address limit, so guessing
    /// management keys is as slow as guessing ingestion keys.
    pub async fn authenticate_as(
        &self,
        headers: &HeaderMap,
        client: Option<IpAddr>,
        role: Role,
    ) -> Result<Arc<KeyRecord>, PipelineError> {
        let (rate, burst) = self.auth_failure_rate();
        let client = client.filter(|_| self.rate_limits.auth_failures_per_minute > 0);
        let over_limit = client.is_some_and(|ip| !self.auth_failures.peek(&ip, 1.0, rate, burst));
        if over_limit {
            return self
                .auth
                .authenticate_as(headers, KeyLookup::CacheOnly, role)
                .await
                .map_err(|_| {
                    metrics().auth_failure(AuthFailureReason::AddressRateLimited);
                    PipelineError::RateLimited(Duration::from_secs_f64(1.0 / rate.max(f64::MIN_POSITIVE)))
                });
        }
        match self.auth.authenticate_as(headers, KeyLookup::LoadOnMiss, role).await {
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

    /// Holds the request's wire bytes from the in-flight budget before the body is read.
    pub fn reserve(&self, declared_length: Option<u64>) -> Result<BudgetPermit, PipelineError> {
        let bytes = declared_length
            .map_or(self.limits.max_wire_bytes, |n| usize::try_from(n).unwrap_or(usize::MAX))
            .min(self.limits.max_wire_bytes);
        self.budget.try_acquire(bytes).ok_or(PipelineError::Overloaded)
    }

    /// Items (spans, log records, data points alike) per second per key: the key's own
    /// limit, else the configured default.
    pub(super) fn check_rate(&self, key: &KeyRecord, signal: Signal, items: usize) -> Result<(), PipelineError> {
        let rate = key
            .rate_limit_spans_per_second
            .unwrap_or(self.rate_limits.spans_per_second);
        if rate == 0 || items == 0 {
            return Ok(());
        }
        let burst = key.rate_limit_burst.unwrap_or(self.rate_limits.span_burst).max(1);
        match self.key_rates.take(&key.id, items as f64, rate as f64, burst as f64) {
            RateDecision::Allow => Ok(()),
            RateDecision::Deny(wait) => {
                metrics().rate_limited(&key.project_id);
                metrics().items_rejected(signal, RejectReason::RateLimited, items);
                Err(PipelineError::RateLimited(wait))
            }
        }
    }
}
