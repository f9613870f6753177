//! Load at a multiple of what the machine can take, against intake and a real broker on
//! loopback: every request gets success or a retryable answer, memory stays bounded, and
//! every span that got success is in Kafka (counted by span id). Then the same with the
//! broker hung mid-load, and with SIGTERM mid-load; and the overload and SIGTERM runs again
//! with log records. Each run is bounded in time.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::*;
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use intake::otlp::Signal;
use prost::Message;

/// Stated bound for the receiver's resident memory under these loads.
const RSS_BOUND_KIB: u64 = 512 * 1024;

struct LoadResult {
    acked: BTreeSet<String>,
    ok: u64,
    retryable: u64,
    refused_connections: u64,
    max_rss_kib: u64,
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Runs `concurrency` clients for `seconds`, each sending distinct 200-span requests;
/// `during` runs once, `at` into the load.
fn load(
    intake: &Intake,
    key: &TestKey,
    signal: Signal,
    seconds: f64,
    concurrency: usize,
    at: Duration,
    during: impl FnOnce() + Send,
) -> LoadResult {
    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let (ok, retryable, refused, unexpected) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(Mutex::new(Vec::new())),
    );
    let stop_sampling = Arc::new(AtomicBool::new(false));
    let max_rss = Arc::new(AtomicU64::new(0));
    let pid = intake.pid();
    let sampler = {
        let (stop, max_rss) = (stop_sampling.clone(), max_rss.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                max_rss.fetch_max(rss_kib(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    std::thread::scope(|scope| {
        scope.spawn(move || {
            std::thread::sleep(at);
            during();
        });
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let client = Client::builder(TokioExecutor::new())
                .pool_max_idle_per_host(concurrency)
                .build_http::<Full<Bytes>>();
            let deadline = Instant::now() + Duration::from_secs_f64(seconds);
            let mut tasks = Vec::new();
            for worker in 0..concurrency {
                let (client, acked, ok, retryable, refused, unexpected) = (
                    client.clone(),
                    acked.clone(),
                    ok.clone(),
                    retryable.clone(),
                    refused.clone(),
                    unexpected.clone(),
                );
                let (http, bearer) = (intake.http, key.bearer());
                tasks.push(tokio::spawn(async move {
                    let mut n = 0;
                    while Instant::now() < deadline {
                        n += 1;
                        let run = format!("w{worker}-r{n}");
                        let (path, body, ids) = workload(signal, &run);
                        let req = http::Request::post(format!("http://{http}{path}"))
                            .header("authorization", &bearer)
                            .header("content-type", "application/x-protobuf")
                            .body(Full::new(body))
                            .unwrap();
                        match tokio::time::timeout(Duration::from_secs(15), client.request(req)).await {
                            Ok(Ok(response)) => match response.status().as_u16() {
                                200 => {
                                    ok.fetch_add(1, Ordering::Relaxed);
                                    acked.lock().unwrap().extend(ids);
                                }
                                429 | 503 => {
                                    retryable.fetch_add(1, Ordering::Relaxed);
                                    tokio::time::sleep(Duration::from_millis(50)).await;
                                }
                                other => unexpected.lock().unwrap().push(other),
                            },
                            // The listener closed (SIGTERM): the client would retry elsewhere.
                            Ok(Err(_)) => {
                                refused.fetch_add(1, Ordering::Relaxed);
                                tokio::time::sleep(Duration::from_millis(50)).await;
                            }
                            Err(_) => unexpected.lock().unwrap().push(0),
                        }
                    }
                }));
            }
            for t in tasks {
                t.await.unwrap();
            }
        });
    });
    stop_sampling.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    let unexpected = unexpected.lock().unwrap().clone();
    assert!(
        unexpected.is_empty(),
        "non-retryable answers or hung requests (0 = hung): {unexpected:?}\n{}",
        intake.logs()
    );
    let acked = acked.lock().unwrap().clone();
    LoadResult {
        acked,
        ok: ok.load(Ordering::Relaxed),
        retryable: retryable.load(Ordering::Relaxed),
        refused_connections: refused.load(Ordering::Relaxed),
        max_rss_kib: max_rss.load(Ordering::Relaxed),
    }
}

/// A distinct 200-item request of `signal`: its path, body and the ids of its items.
fn workload(signal: Signal, run: &str) -> (&'static str, Bytes, Vec<String>) {
    match signal {
        Signal::Logs => {
            let request = make_logs_request(run, 200, 200);
            let ids = (0..200).map(|i| format!("{run}-{i}")).collect();
            ("/v1/logs", Bytes::from(request.encode_to_vec()), ids)
        }
        _ => {
            let request = make_request(run, 4, 200, 200);
            let ids = request.resource_spans[0].scope_spans[0]
                .spans
                .iter()
                .map(|s| hex::encode(&s.span_id))
                .collect();
            ("/v1/traces", Bytes::from(request.encode_to_vec()), ids)
        }
    }
}

fn assert_all_logs_acked_in_kafka(tansu: &Tansu, result: &LoadResult) {
    let reader = KafkaReader::new(&tansu.brokers(), LOGS_TOPIC);
    let mut stored = BTreeSet::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline && !result.acked.iter().all(|id| stored.contains(id)) {
        for record in reader.read_until(Duration::from_millis(500), |_| false) {
            for (log, _) in record.log_records() {
                if let Some(id) = attr_str(&log.attributes, "record.id") {
                    stored.insert(id.to_owned());
                }
            }
        }
    }
    let missing = result.acked.iter().filter(|id| !stored.contains(*id)).count();
    assert_eq!(
        missing,
        0,
        "{missing} of {} acknowledged log records missing from Kafka",
        result.acked.len()
    );
}

fn assert_all_acked_in_kafka(tansu: &Tansu, result: &LoadResult) {
    let reader = KafkaReader::new(&tansu.brokers(), TOPIC);
    let spans = reader.spans_until(Duration::from_secs(60), result.acked.len());
    let stored: BTreeSet<String> = spans.iter().map(|(_, s, _)| hex::encode(&s.span_id)).collect();
    let missing: Vec<&String> = result.acked.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged spans missing from Kafka",
        missing.len(),
        result.acked.len()
    );
}

fn setup(extra: &str) -> (Tansu, TestKey, Intake) {
    let tansu = Tansu::start();
    tansu.create_signal_topics(3);
    let key = TestKey::new("proj-load");
    let intake = Intake::start(
        &[&key],
        IntakeOptions {
            kafka: Some(tansu.brokers()),
            extra_toml: format!(
                "{extra}[limits]\nmax_wire_bytes = 1048576\nmax_decompressed_bytes = 1048576\nmax_inflight_bytes = 2097152\n[rate_limits]\nspans_per_second = 0\n"
            ),
            ..Default::default()
        },
    );
    (tansu, key, intake)
}

#[test]
fn overload_gets_success_or_retryable_answers_memory_stays_bounded_and_nothing_acked_is_lost() {
    let (tansu, key, intake) = setup("");
    let result = load(&intake, &key, Signal::Traces, 6.0, 32, Duration::ZERO, || {});
    println!(
        "overload: {} ok, {} retryable, max RSS {} KiB",
        result.ok, result.retryable, result.max_rss_kib
    );
    assert!(result.ok > 0);
    assert!(
        result.retryable > 0,
        "32 clients against a 2 MiB budget should see backpressure"
    );
    assert!(result.max_rss_kib < RSS_BOUND_KIB, "RSS {} KiB", result.max_rss_kib);
    assert_all_acked_in_kafka(&tansu, &result);
    // The counters agree with what the clients saw.
    assert_eq!(
        intake.metric("intake_requests_total{transport=\"http\",status=\"200\",signal=\"traces\"}"),
        result.ok as f64
    );
    assert_eq!(intake.metric("intake_spans_accepted_total"), result.acked.len() as f64);
    assert_eq!(
        intake.metric("intake_requests_total{transport=\"http\",status=\"429\",signal=\"traces\"}")
            + intake.metric("intake_requests_total{transport=\"http\",status=\"503\",signal=\"traces\"}"),
        result.retryable as f64
    );
    assert_eq!(intake.metric("intake_kafka_records_in_flight"), 0.0);
    assert_eq!(intake.metric("intake_inflight_request_bytes"), 0.0);
    assert!(intake.metric("intake_kafka_produce_seconds_count") > 0.0);
}

#[test]
fn a_broker_hung_mid_load_costs_retries_never_acknowledged_data() {
    let (tansu, key, intake) = setup("");
    let result = load(&intake, &key, Signal::Traces, 12.0, 16, Duration::from_secs(3), || {
        tansu.pause();
        std::thread::sleep(Duration::from_secs(4));
        tansu.resume();
    });
    println!(
        "broker hang: {} ok, {} retryable, max RSS {} KiB",
        result.ok, result.retryable, result.max_rss_kib
    );
    assert!(result.retryable > 0, "the hang must show as retryable answers");
    assert!(result.ok > 0);
    assert!(result.max_rss_kib < RSS_BOUND_KIB, "RSS {} KiB", result.max_rss_kib);
    assert_all_acked_in_kafka(&tansu, &result);
}

#[test]
fn sigterm_mid_load_loses_nothing_that_was_acknowledged() {
    let (tansu, key, mut intake) = setup("");
    let pid = intake.pid();
    let result = load(
        &intake,
        &key,
        Signal::Traces,
        6.0,
        16,
        Duration::from_secs(2),
        move || {
            let status = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .unwrap();
            assert!(status.success());
        },
    );
    println!(
        "sigterm: {} ok, {} retryable, {} refused connections after shutdown",
        result.ok, result.retryable, result.refused_connections
    );
    assert!(result.refused_connections > 0, "the listener should have closed");
    assert!(
        intake.terminate_wait(Duration::from_secs(20)),
        "intake exited non-zero:\n{}",
        intake.logs()
    );
    assert_all_acked_in_kafka(&tansu, &result);
}

#[test]
fn log_records_under_overload_get_success_or_retryable_answers_and_nothing_acked_is_lost() {
    let (tansu, key, intake) = setup("");
    let result = load(&intake, &key, Signal::Logs, 6.0, 32, Duration::ZERO, || {});
    println!(
        "logs overload: {} ok, {} retryable, max RSS {} KiB",
        result.ok, result.retryable, result.max_rss_kib
    );
    assert!(result.ok > 0);
    assert!(
        result.retryable > 0,
        "32 clients against a 2 MiB budget should see backpressure"
    );
    assert!(result.max_rss_kib < RSS_BOUND_KIB, "RSS {} KiB", result.max_rss_kib);
    assert_all_logs_acked_in_kafka(&tansu, &result);
    assert_eq!(
        intake.metric("intake_requests_total{transport=\"http\",status=\"200\",signal=\"logs\"}"),
        result.ok as f64
    );
    assert_eq!(
        intake.metric("intake_log_records_accepted_total"),
        result.acked.len() as f64
    );
    assert_eq!(intake.metric("intake_inflight_request_bytes"), 0.0);
}

#[test]
fn sigterm_mid_log_load_loses_no_acknowledged_log_record() {
    let (tansu, key, mut intake) = setup("");
    let pid = intake.pid();
    let result = load(
        &intake,
        &key,
        Signal::Logs,
        6.0,
        16,
        Duration::from_secs(2),
        move || {
            let status = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .unwrap();
            assert!(status.success());
        },
    );
    println!(
        "logs sigterm: {} ok, {} retryable, {} refused connections after shutdown",
        result.ok, result.retryable, result.refused_connections
    );
    assert!(result.ok > 0);
    assert!(result.refused_connections > 0, "the listener should have closed");
    assert!(
        intake.terminate_wait(Duration::from_secs(20)),
        "intake exited non-zero:\n{}",
        intake.logs()
    );
    assert_all_logs_acked_in_kafka(&tansu, &result);
}
