//! Internal metrics, named in one place and rendered as Prometheus text on the admin
//! port. Every label set is bounded: statuses, reasons and transports are fixed words,
//! templates come from the catalog, projects are capped (the rest count as `other`).

mod histogram;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

pub use histogram::Histogram;

/// Distinct projects tracked for rate limiting before the rest fold into `other`.
const MAX_PROJECT_LABELS: usize = 100;

#[derive(Default)]
struct Labeled(Mutex<BTreeMap<Vec<String>, u64>>);

impl Labeled {
    fn add(&self, labels: &[&str], n: u64) {
        if let Ok(mut map) = self.0.lock() {
            *map.entry(labels.iter().map(|l| (*l).to_owned()).collect()).or_insert(0) += n;
        }
    }

    fn len(&self) -> usize {
        self.0.lock().map(|m| m.len()).unwrap_or(0)
    }

    fn contains(&self, labels: &[&str]) -> bool {
        let key: Vec<String> = labels.iter().map(|l| (*l).to_owned()).collect();
        self.0.lock().map(|m| m.contains_key(&key)).unwrap_or(false)
    }

    fn render(&self, out: &mut String, name: &str, help: &str, label_names: &[&str]) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        if let Ok(map) = self.0.lock() {
            for (values, count) in map.iter() {
                let labels: Vec<String> = label_names
                    .iter()
                    .zip(values)
                    .map(|(n, v)| format!("{n}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")))
                    .collect();
                let _ = writeln!(out, "{name}{{{}}} {count}", labels.join(","));
            }
        }
    }
}

#[derive(Default)]
pub struct Metrics {
    requests: Labeled,
    spans_received: AtomicU64,
    spans_accepted: AtomicU64,
    spans_rejected: Labeled,
    auth_failures: Labeled,
    key_cache_hits: AtomicU64,
    key_cache_misses: AtomicU64,
    key_source_lookups: AtomicU64,
    key_cache_size: AtomicU64,
    template_errors: Labeled,
    template_guard_violations: Labeled,
    kafka_records_in_flight: AtomicI64,
    inflight_bytes: AtomicI64,
    rate_limited: Labeled,
    attributes_truncated: AtomicU64,
    pub kafka_produce_seconds: Histogram,
}

static METRICS: OnceLock<Metrics> = OnceLock::new();

/// The process-wide metrics.
pub fn metrics() -> &'static Metrics {
    METRICS.get_or_init(Metrics::default)
}

impl Metrics {
    pub fn request(&self, transport: &'static str, status: &str) {
        self.requests.add(&[transport, status], 1);
    }

    pub fn spans_received(&self, n: usize) {
        self.spans_received.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub fn spans_accepted(&self, n: usize) {
        self.spans_accepted.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub fn spans_rejected(&self, reason: &'static str, n: usize) {
        if n > 0 {
            self.spans_rejected.add(&[reason], n as u64);
        }
    }

    pub fn auth_failure(&self, reason: &'static str) {
        self.auth_failures.add(&[reason], 1);
    }

    pub fn key_cache_hit(&self) {
        self.key_cache_hits.fetch_add(1, Ordering::Relaxed);
    }

    pub fn key_cache_miss(&self) {
        self.key_cache_misses.fetch_add(1, Ordering::Relaxed);
    }

    pub fn key_source_lookup(&self) {
        self.key_source_lookups.fetch_add(1, Ordering::Relaxed);
    }

    pub fn set_key_cache_size(&self, n: u64) {
        self.key_cache_size.store(n, Ordering::Relaxed);
    }

    pub fn template_errors(&self, template: &str, n: usize) {
        if n > 0 {
            self.template_errors.add(&[template], n as u64);
        }
    }

    pub fn template_guard_violations(&self, template: &str, n: usize) {
        if n > 0 {
            self.template_guard_violations.add(&[template], n as u64);
        }
    }

    pub fn kafka_in_flight(&self, delta: i64) {
        self.kafka_records_in_flight.fetch_add(delta, Ordering::Relaxed);
    }

    pub fn inflight_bytes(&self, delta: i64) {
        self.inflight_bytes.fetch_add(delta, Ordering::Relaxed);
    }

    pub fn rate_limited(&self, project: &str) {
        let label = if self.rate_limited.len() < MAX_PROJECT_LABELS || self.rate_limited.contains(&[project]) {
            project
        } else {
            "other"
        };
        self.rate_limited.add(&[label], 1);
    }

    pub fn attributes_truncated(&self, n: usize) {
        self.attributes_truncated.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let scalar = |out: &mut String, name: &str, kind: &str, help: &str, value: String| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
        };
        self.requests.render(
            &mut out,
            "intake_requests_total",
            "Export requests by transport and status.",
            &["transport", "status"],
        );
        scalar(
            &mut out,
            "intake_spans_received_total",
            "counter",
            "Spans decoded from requests.",
            self.spans_received.load(Ordering::Relaxed).to_string(),
        );
        scalar(
            &mut out,
            "intake_spans_accepted_total",
            "counter",
            "Spans acknowledged to clients.",
            self.spans_accepted.load(Ordering::Relaxed).to_string(),
        );
        self.spans_rejected.render(
            &mut out,
            "intake_spans_rejected_total",
            "Spans not accepted, by reason.",
            &["reason"],
        );
        self.auth_failures.render(
            &mut out,
            "intake_auth_failures_total",
            "Failed authentications by reason.",
            &["reason"],
        );
        scalar(
            &mut out,
            "intake_key_cache_hits_total",
            "counter",
            "Key cache hits.",
            self.key_cache_hits.load(Ordering::Relaxed).to_string(),
        );
        scalar(
            &mut out,
            "intake_key_cache_misses_total",
            "counter",
            "Key cache misses.",
            self.key_cache_misses.load(Ordering::Relaxed).to_string(),
        );
        scalar(
            &mut out,
            "intake_key_source_lookups_total",
            "counter",
            "Lookups that reached the key source.",
            self.key_source_lookups.load(Ordering::Relaxed).to_string(),
        );
        scalar(
            &mut out,
            "intake_key_cache_entries",
            "gauge",
            "Entries in the key cache.",
            self.key_cache_size.load(Ordering::Relaxed).to_string(),
        );
        self.template_errors.render(
            &mut out,
            "intake_template_errors_total",
            "Template statement errors, by template.",
            &["template"],
        );
        self.template_guard_violations.render(
            &mut out,
            "intake_template_guard_violations_total",
            "Receiver-owned attributes a template changed (restored), by template.",
            &["template"],
        );
        scalar(
            &mut out,
            "intake_kafka_records_in_flight",
            "gauge",
            "Records handed to the producer and not yet acknowledged.",
            self.kafka_records_in_flight.load(Ordering::Relaxed).to_string(),
        );
        scalar(
            &mut out,
            "intake_inflight_request_bytes",
            "gauge",
            "Request bytes held by requests in progress.",
            self.inflight_bytes.load(Ordering::Relaxed).to_string(),
        );
        self.rate_limited.render(
            &mut out,
            "intake_rate_limited_requests_total",
            "Requests refused by a per-key rate limit, by project.",
            &["project"],
        );
        scalar(
            &mut out,
            "intake_attribute_values_truncated_total",
            "counter",
            "Attribute values truncated to limits.max_attribute_value_bytes.",
            self.attributes_truncated.load(Ordering::Relaxed).to_string(),
        );
        self.kafka_produce_seconds.render(
            &mut out,
            "intake_kafka_produce_seconds",
            "Time from handing a request's records to the producer to their acknowledgement.",
        );
        out
    }
}
