//! `[limits]`: input size limits, enforced before and during decoding.

use serde::{Deserialize, Serialize};

use crate::otlp::Signal;
use crate::setting::InvalidSetting;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest request body as sent (compressed), in bytes.
    #[serde(default = "default_max_bytes")]
    pub max_wire_bytes: usize,
    /// Largest request body after decompression, in bytes; decompression stops here.
    #[serde(default = "default_max_bytes")]
    pub max_decompressed_bytes: usize,
    /// Request bytes all requests in progress may hold together; past it new requests get
    /// 429/UNAVAILABLE at once.
    #[serde(default = "default_max_inflight_bytes")]
    pub max_inflight_bytes: usize,
    /// Spans in one request; more is refused (413/RESOURCE_EXHAUSTED).
    #[serde(default = "default_max_spans_per_request")]
    pub max_spans_per_request: usize,
    /// Log records in one request; more is refused (413/RESOURCE_EXHAUSTED).
    #[serde(default = "default_max_spans_per_request")]
    pub max_log_records_per_request: usize,
    /// Metric data points in one request; more is refused (413/RESOURCE_EXHAUSTED).
    #[serde(default = "default_max_spans_per_request")]
    pub max_data_points_per_request: usize,
    /// Attributes kept per span (and resource, scope, event, link, log record, data point);
    /// the rest are dropped and counted in `dropped_attributes_count` where the item has one.
    #[serde(default = "default_max_attributes_per_span")]
    pub max_attributes_per_span: usize,
    /// Longest string or bytes attribute value; longer ones are truncated.
    #[serde(default = "default_max_attribute_value_bytes")]
    pub max_attribute_value_bytes: usize,
    /// Deepest nesting of map/list attribute values; deeper values become empty.
    #[serde(default = "default_max_attribute_depth")]
    pub max_attribute_depth: usize,
}

fn default_max_inflight_bytes() -> usize {
    256 * 1024 * 1024
}
fn default_max_spans_per_request() -> usize {
    50_000
}
fn default_max_attributes_per_span() -> usize {
    1_000
}
fn default_max_attribute_value_bytes() -> usize {
    1024 * 1024
}
fn default_max_attribute_depth() -> usize {
    16
}

fn default_max_bytes() -> usize {
    10 * 1024 * 1024
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_wire_bytes: default_max_bytes(),
            max_decompressed_bytes: default_max_bytes(),
            max_inflight_bytes: default_max_inflight_bytes(),
            max_spans_per_request: default_max_spans_per_request(),
            max_log_records_per_request: default_max_spans_per_request(),
            max_data_points_per_request: default_max_spans_per_request(),
            max_attributes_per_span: default_max_attributes_per_span(),
            max_attribute_value_bytes: default_max_attribute_value_bytes(),
            max_attribute_depth: default_max_attribute_depth(),
        }
    }
}

impl LimitsConfig {
    /// The most items of `signal` one request may carry.
    pub fn max_items_per_request(&self, signal: Signal) -> usize {
        match signal {
            Signal::Traces => self.max_spans_per_request,
            Signal::Logs => self.max_log_records_per_request,
            Signal::Metrics => self.max_data_points_per_request,
        }
    }

    pub fn validate(&self) -> Result<(), InvalidSetting> {
        if self.max_wire_bytes == 0 {
            return Err(InvalidSetting::new("limits.max_wire_bytes", "must be greater than 0"));
        }
        if self.max_decompressed_bytes == 0 {
            return Err(InvalidSetting::new(
                "limits.max_decompressed_bytes",
                "must be greater than 0",
            ));
        }
        if self.max_inflight_bytes < self.max_decompressed_bytes {
            return Err(InvalidSetting::new(
                "limits.max_inflight_bytes",
                "must be at least limits.max_decompressed_bytes, or no request could ever be served",
            ));
        }
        let counts = [
            self.max_spans_per_request,
            self.max_log_records_per_request,
            self.max_data_points_per_request,
            self.max_attributes_per_span,
        ];
        if counts.contains(&0) {
            return Err(InvalidSetting::new(
                "limits",
                "max_spans_per_request, max_log_records_per_request, max_data_points_per_request and \
                 max_attributes_per_span must be greater than 0",
            ));
        }
        Ok(())
    }
}
