//! Internal metrics, registered once in a `prometheus_client` registry and rendered on the
//! admin port. Every label set is bounded: statuses, reasons and transports are fixed
//! words, templates come from the catalog, projects are capped (the rest count as
//! `other`). Request-path increments go to handles resolved once (`CounterSlots`), so an
//! increment is one atomic add: no lock, no allocation.

mod histogram;
mod labels;
mod slots;
mod throttle;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::otlp::Signal;
pub use histogram::Histogram;
pub use labels::{AuthFailureReason, RejectReason, Transport};
use labels::{ProjectLabel, ReasonLabel, RequestLabels, TemplateLabel, STATUS_NAMES};
use slots::CounterSlots;
pub use throttle::LogThrottle;

/// Distinct projects tracked for rate limiting before the rest fold into `other`.
const MAX_PROJECT_LABELS: usize = 100;

pub struct Metrics {
    registry: Registry,
    requests: CounterSlots<RequestLabels>,
    /// Per signal (`Signal as usize`).
    items: [ItemMetrics; 3],
    auth_failures: CounterSlots<ReasonLabel>,
    keys: KeyMetrics,
    template_errors: Family<TemplateLabel, Counter>,
    template_guard_violations: Family<TemplateLabel, Counter>,
    inflight_bytes: Gauge,
    rate_limited: Family<ProjectLabel, Counter>,
    rate_limited_projects: AtomicUsize,
    attributes_truncated: Counter<u64, AtomicU64>,
    kafka_records_in_flight: Gauge,
    kafka_produce_seconds: Histogram,
}

/// What happened to one signal's items (spans, log records, data points).
struct ItemMetrics {
    received: Counter,
    accepted: Counter,
    rejected: CounterSlots<ReasonLabel>,
}

impl ItemMetrics {
    fn register(r: &mut Registry, signal: Signal) -> ItemMetrics {
        let prefix = match signal {
            Signal::Traces => "intake_spans",
            Signal::Logs => "intake_log_records",
            Signal::Metrics => "intake_data_points",
        };
        let items = signal.items();
        let rejected = register(
            r,
            &format!("{prefix}_rejected"),
            &format!("{items} not accepted, by reason"),
            Family::default(),
        );
        ItemMetrics {
            received: register(
                r,
                &format!("{prefix}_received"),
                &format!("{items} decoded from requests"),
                Counter::default(),
            ),
            accepted: register(
                r,
                &format!("{prefix}_accepted"),
                &format!("{items} acknowledged to clients"),
                Counter::default(),
            ),
            rejected: CounterSlots::new(rejected, RejectReason::ALL.len()),
        }
    }
}

/// The key cache and the source behind it.
struct KeyMetrics {
    hits: Counter,
    misses: Counter,
    stale_hits: Counter,
    source_lookups: Counter,
    entries: Gauge,
    store_up: Gauge,
    store_errors: Counter,
    store_notifications: Counter,
    store_resyncs: Counter,
}

impl KeyMetrics {
    fn register(r: &mut Registry) -> KeyMetrics {
        KeyMetrics {
            hits: register(r, "intake_key_cache_hits", "Key cache hits", Counter::default()),
            misses: register(r, "intake_key_cache_misses", "Key cache misses", Counter::default()),
            stale_hits: register(
                r,
                "intake_key_cache_stale_hits",
                "Keys served from their last-known record while the key store could not be reached",
                Counter::default(),
            ),
            store_up: register(
                r,
                "intake_key_store_up",
                "1 while the key store answers, 0 while it cannot be reached",
                Gauge::default(),
            ),
            store_errors: register(
                r,
                "intake_key_store_errors",
                "Failed attempts to reach the key store",
                Counter::default(),
            ),
            store_notifications: register(
                r,
                "intake_key_store_notifications",
                "Key changes the key store announced",
                Counter::default(),
            ),
            store_resyncs: register(
                r,
                "intake_key_store_resyncs",
                "Periodic re-reads of changed keys",
                Counter::default(),
            ),
            source_lookups: register(
                r,
                "intake_key_source_lookups",
                "Lookups that reached the key source",
                Counter::default(),
            ),
            entries: register(
                r,
                "intake_key_cache_entries",
                "Entries in the key cache",
                Gauge::default(),
            ),
        }
    }
}

static METRICS: OnceLock<Metrics> = OnceLock::new();

/// Registers `metric` (a handle sharing its cells with the registry) and returns it.
fn register<M: prometheus_client::registry::Metric + Clone>(
    registry: &mut Registry,
    name: &str,
    help: &str,
    metric: M,
) -> M {
    registry.register(name, help, metric.clone());
    metric
}

/// The process-wide metrics.
pub fn metrics() -> &'static Metrics {
    METRICS.get_or_init(Metrics::new)
}

impl Metrics {
    fn new() -> Metrics {
        let mut r = Registry::default();
        let requests = register(
            &mut r,
            "intake_requests",
            "Export requests by transport, status and signal",
            Family::default(),
        );
        let auth_failures = register(
            &mut r,
            "intake_auth_failures",
            "Failed authentications by reason",
            Family::default(),
        );
        Metrics {
            requests: CounterSlots::new(requests, Transport::ALL.len() * STATUS_NAMES.len() * Signal::ALL.len()),
            items: Signal::ALL.map(|signal| ItemMetrics::register(&mut r, signal)),
            auth_failures: CounterSlots::new(auth_failures, AuthFailureReason::ALL.len()),
            keys: KeyMetrics::register(&mut r),
            template_errors: register(
                &mut r,
                "intake_template_errors",
                "Template statement errors, by template",
                Family::default(),
            ),
            template_guard_violations: register(
                &mut r,
                "intake_template_guard_violations",
                "Receiver-owned attributes a template changed (restored), by template",
                Family::default(),
            ),
            kafka_records_in_flight: register(
                &mut r,
                "intake_kafka_records_in_flight",
                "Records handed to the producer and not yet acknowledged",
                Gauge::default(),
            ),
            inflight_bytes: register(
                &mut r,
                "intake_inflight_request_bytes",
                "Request bytes held by requests in progress",
                Gauge::default(),
            ),
            rate_limited: register(
                &mut r,
                "intake_rate_limited_requests",
                "Requests refused by a per-key rate limit, by project",
                Family::default(),
            ),
            rate_limited_projects: AtomicUsize::new(0),
            attributes_truncated: register(
                &mut r,
                "intake_attribute_values_truncated",
                "Attribute values truncated to limits.max_attribute_value_bytes",
                Counter::default(),
            ),
            kafka_produce_seconds: register(
                &mut r,
                "intake_kafka_produce_seconds",
                "Time from handing a request's records to the producer to their acknowledgement",
                Histogram::default(),
            ),
            registry: r,
        }
    }

    /// `status` is an HTTP status code or a gRPC code name.
    pub fn request(&self, transport: Transport, signal: Signal, status: &str) {
        let status_index = STATUS_NAMES
            .iter()
            .position(|s| *s == status)
            .unwrap_or(STATUS_NAMES.len() - 1);
        let index = (transport as usize * Signal::ALL.len() + signal as usize) * STATUS_NAMES.len() + status_index;
        self.requests.add(index, 1, || RequestLabels {
            transport: transport.name(),
            status: STATUS_NAMES[status_index],
            signal: signal.name(),
        });
    }

    pub fn items_received(&self, signal: Signal, n: usize) {
        self.items[signal as usize].received.inc_by(n as u64);
    }

    pub fn items_accepted(&self, signal: Signal, n: usize) {
        self.items[signal as usize].accepted.inc_by(n as u64);
    }

    pub fn items_rejected(&self, signal: Signal, reason: RejectReason, n: usize) {
        if n > 0 {
            self.items[signal as usize]
                .rejected
                .add(reason as usize, n as u64, || ReasonLabel {
                    reason: reason.name(signal),
                });
        }
    }

    pub fn auth_failure(&self, reason: AuthFailureReason) {
        self.auth_failures
            .add(reason as usize, 1, || ReasonLabel { reason: reason.name() });
    }

    pub fn key_cache_hit(&self) {
        self.keys.hits.inc();
    }

    pub fn key_cache_miss(&self) {
        self.keys.misses.inc();
    }

    pub fn key_source_lookup(&self) {
        self.keys.source_lookups.inc();
    }

    pub fn key_cache_stale_hit(&self) {
        self.keys.stale_hits.inc();
    }

    pub fn set_key_store_up(&self, up: bool) {
        self.keys.store_up.set(i64::from(up));
    }

    pub fn key_store_error(&self) {
        self.keys.store_errors.inc();
    }

    pub fn key_store_notification(&self) {
        self.keys.store_notifications.inc();
    }

    pub fn key_store_resync(&self) {
        self.keys.store_resyncs.inc();
    }

    pub fn set_key_cache_size(&self, n: u64) {
        self.keys.entries.set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    /// Only called when a template failed, so the label lookup stays off the common path.
    pub fn template_errors(&self, template: &str, n: usize) {
        if n > 0 {
            self.template_errors
                .get_or_create(&TemplateLabel {
                    template: template.to_owned(),
                })
                .inc_by(n as u64);
        }
    }

    pub fn template_guard_violations(&self, template: &str, n: usize) {
        if n > 0 {
            self.template_guard_violations
                .get_or_create(&TemplateLabel {
                    template: template.to_owned(),
                })
                .inc_by(n as u64);
        }
    }

    pub fn kafka_produce_time(&self, elapsed: std::time::Duration) {
        self.kafka_produce_seconds.observe(elapsed);
    }

    pub fn kafka_in_flight(&self, delta: i64) {
        self.kafka_records_in_flight.inc_by(delta);
    }

    pub fn inflight_bytes(&self, delta: i64) {
        self.inflight_bytes.inc_by(delta);
    }

    /// Only called when a request is refused, so the label lookup stays off the common path.
    pub fn rate_limited(&self, project: &str) {
        let label = ProjectLabel {
            project: project.to_owned(),
        };
        let known = self.rate_limited.get(&label).is_some();
        let tracked = known
            || self
                .rate_limited_projects
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                    (n < MAX_PROJECT_LABELS).then_some(n + 1)
                })
                .is_ok();
        let label = if tracked {
            label
        } else {
            ProjectLabel {
                project: "other".to_owned(),
            }
        };
        self.rate_limited.get_or_create(&label).inc();
    }

    pub fn attributes_truncated(&self, n: usize) {
        self.attributes_truncated.inc_by(n as u64);
    }

    /// OpenMetrics text exposition, which Prometheus scrapes natively.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let _ = encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_keep_their_names_and_labels() {
        let metrics = Metrics::new();
        metrics.request(Transport::Http, Signal::Traces, "200");
        metrics.request(Transport::Http, Signal::Traces, "200");
        metrics.request(Transport::Grpc, Signal::Logs, "UNAVAILABLE");
        metrics.items_rejected(Signal::Traces, RejectReason::InvalidId, 3);
        metrics.items_rejected(Signal::Metrics, RejectReason::TooMany, 7);
        metrics.auth_failure(AuthFailureReason::Unknown);
        metrics.kafka_produce_time(std::time::Duration::from_millis(3));
        metrics.template_errors("openinference@1", 2);
        for i in 0..(MAX_PROJECT_LABELS + 5) {
            metrics.rate_limited(&format!("p{i}"));
        }
        let text = metrics.render();
        for line in [
            "intake_requests_total{transport=\"http\",status=\"200\",signal=\"traces\"} 2",
            "intake_requests_total{transport=\"grpc\",status=\"UNAVAILABLE\",signal=\"logs\"} 1",
            "intake_spans_rejected_total{reason=\"invalid_id\"} 3",
            "intake_data_points_rejected_total{reason=\"too_many_data_points\"} 7",
            "intake_auth_failures_total{reason=\"unknown\"} 1",
            "intake_template_errors_total{template=\"openinference@1\"} 2",
            "intake_rate_limited_requests_total{project=\"other\"} 5",
            "intake_kafka_produce_seconds_count 1",
            "intake_kafka_produce_seconds_bucket{le=\"0.005\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing from\n{text}");
        }
        assert!(!text.contains("status=\"404\""), "unused series stay absent");
    }
}
