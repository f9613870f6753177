//! The transport-agnostic flow of one request, in named stages:
//! `admit` (headers only: key, budget) → `decode` (decompress, decode, limits, validity)
//! → `transform` (the key's template, owned by `template/`) → `publish` (records, sink).
//! Both transports call `authenticate`, `reserve` and `ingest`, for every signal.

mod admit;
mod decode;
mod error;
mod publish;
mod transform;

use std::net::IpAddr;
use std::sync::Arc;

pub use error::{ErrorClass, PipelineError};
pub use publish::Accepted;

use crate::auth::{Authenticator, KeyRecord};
use crate::codec::ContentEncoding;
use crate::limits::{BudgetPermit, InflightBudget, KeyedRateLimiter, LimitsConfig, RateLimitsConfig};
use crate::otlp::{Encoding, Signal};
use crate::sink::Sink;
use crate::template::TemplateCatalog;

/// A request body as received, and how to read it.
pub struct Payload<'a> {
    pub signal: Signal,
    /// The message as received (at most `limits.max_wire_bytes`), still compressed.
    pub body: &'a [u8],
    pub compression: ContentEncoding,
    pub encoding: Encoding,
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

    pub fn limits(&self) -> &LimitsConfig {
        &self.limits
    }

    pub fn is_ready(&self) -> bool {
        self.sink.is_ready() && self.auth.cache().is_ready()
    }

    pub fn key_cache_size(&self) -> u64 {
        self.auth.cache().entry_count()
    }

    /// How the key store is doing, for `/readyz`.
    pub fn key_source_health(&self) -> crate::auth::source::SourceHealth {
        self.auth.cache().source_health()
    }

    pub fn sink(&self) -> &Arc<dyn Sink> {
        &self.sink
    }

    /// Everything after admission: decode, transform, publish. `permit` grows with the
    /// decoded size and is released when the caller drops it.
    pub async fn ingest(
        &self,
        key: &KeyRecord,
        payload: Payload<'_>,
        permit: &mut BudgetPermit,
    ) -> Result<Accepted, PipelineError> {
        let received_at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        let request = self.decode(&payload, permit)?;
        self.check_rate(key, request.signal(), request.item_count())?;
        let sanitized = self.sanitize(request);
        let transformed = self.transform(key, sanitized.request)?;
        self.publish(key, transformed, sanitized.invalid, received_at).await
    }
}
