//! End-to-end load: the release intake binary on loopback, concurrent OTLP/HTTP clients
//! sending 512-span OpenInference requests (no template, `openinference`, `auto`; protobuf
//! and OTLP/JSON) and 512-record Claude Code log requests (no template, `auto`), in the
//! same run. Reports items/s and items per CPU-second of the receiver (its utime+stime from
//! /proc), and the ratios. Then, at a fixed rate of half of each mode's saturation, p50
//! and p99 export latency (measured from each request's scheduled start, so a stall is not
//! hidden), with what the receiver spent on it: CPU per request and, with Kafka, the mean
//! wait for the broker's acknowledgment (intake's `intake_kafka_produce_seconds`).
//! `LOAD_LATENCY_DUMP=path` also writes each request's latency in sending order.
//! Bounded: LOAD_SECONDS per mode (default 5).
//! The sink is the file sink, or with `LOAD_SINK=kafka` a tansu broker started here (tansu on
//! PATH or in ~/.cargo/bin) with `LOAD_KAFKA_COMPRESSION` (default lz4) on the producer.
//!
//! `cargo bench --bench load`, `LOAD_SINK=kafka cargo bench --bench load`;
//! `LOAD_LATENCY_ONLY=1` measures only the no-template saturation and the latency at half and
//! at a tenth of it; `LOAD_INTERLEAVED=n` only the three protobuf span modes, in turn for a
//! second each, n times, and their ratios (the steadiest wall-clock ratio on a shared
//! machine); `LOAD_ROUNDS=n` runs the modes n times in turn and reports medians, and each
//! ratio also paired by round (the median of the n ratios of modes measured within seconds
//! of each other), which the machine's drift between rounds does not move.

#[path = "../tests/e2e/common/ports.rs"]
mod ports;
mod support;

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use intake::auth::source::KeyFile;
use intake::auth::{KeyEntry, KeyHasher, KeyPrefix};
use intake::secret::Secret;
use prost::Message;

const SPANS: usize = 512;

fn request() -> Vec<u8> {
    support::openinference_request(SPANS).encode_to_vec()
}

fn key(template: &str) -> (String, KeyEntry) {
    let minted = KeyHasher::new(Secret::new("load-pepper")).mint(KeyPrefix::Ingest);
    let entry = KeyEntry {
        id: None,
        lookup_id: minted.lookup_id.clone(),
        secret_hash: minted.secret_hash.to_text(),
        project_id: "load".into(),
        organization_id: "load".into(),
        source: "load".into(),
        template: Some(template.into()),
        principal_id: None,
        permissions: vec!["traces:create".into()],
        projects: None,
        expires_at: None,
        revoked_at: None,
        description: None,
        rate_limit_spans_per_second: None,
        rate_limit_burst: None,
        ..Default::default()
    };
    (minted.token.expose().to_owned(), entry)
}

fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

/// A process the bench started (the tansu broker, the receiver); killed on drop, so every
/// way out of `main` stops it.
struct KilledOnDrop(std::process::Child);

impl Drop for KilledOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_tansu(port: u16) -> KilledOnDrop {
    let home = std::env::var("HOME").unwrap_or_default();
    let installed = std::path::Path::new(&home).join(".cargo/bin/tansu");
    let binary = if installed.exists() { installed } else { "tansu".into() };
    let url = format!("tcp://127.0.0.1:{port}");
    let child = Command::new(binary)
        .args(["broker", "--listener-url", &url, "--advertised-listener-url", &url])
        .args(["--storage-engine", "memory://tansu/"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tansu (LOAD_SINK=kafka needs it: cargo install tansu)");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "tansu did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    KilledOnDrop(child)
}

/// What one mode sends: the path, the body and how many items (spans or log records) it holds.
#[derive(Clone)]
struct Workload {
    path: &'static str,
    content_type: &'static str,
    body: Bytes,
    items: u64,
}

async fn run(http: std::net::SocketAddr, token: &str, work: Workload, seconds: f64, concurrency: usize) -> (u64, u64) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, ok, failed, work) = (client.clone(), ok.clone(), failed.clone(), work.clone());
        let bearer = format!("Bearer {token}");
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let request = http::Request::post(format!("http://{http}{}", work.path))
                    .header("authorization", &bearer)
                    .header("content-type", work.content_type)
                    .body(Full::new(work.body.clone()))
                    .expect("request");
                match client.request(request).await {
                    Ok(r) if r.status() == 200 => ok.fetch_add(work.items, Ordering::Relaxed),
                    _ => failed.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed))
}

/// Requests at `requests_per_second`, each started on schedule whatever the ones before
/// it did (at most 256 outstanding); returns the latencies from scheduled start to answer.
async fn fixed_rate(
    http: std::net::SocketAddr,
    token: &str,
    work: Workload,
    seconds: f64,
    requests_per_second: f64,
) -> (Vec<Duration>, u64) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let interval = Duration::from_secs_f64(1.0 / requests_per_second.max(0.1));
    let total = (seconds * requests_per_second).max(1.0) as u64;
    let gate = Arc::new(tokio::sync::Semaphore::new(256));
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for n in 0..total {
        let scheduled = start + interval.mul_f64(n as f64);
        tokio::time::sleep_until(scheduled.into()).await;
        let (client, work, gate) = (client.clone(), work.clone(), gate.clone());
        let bearer = format!("Bearer {token}");
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await;
            let request = http::Request::post(format!("http://{http}{}", work.path))
                .header("authorization", &bearer)
                .header("content-type", work.content_type)
                .body(Full::new(work.body.clone()))
                .expect("request");
            let ok = matches!(client.request(request).await, Ok(r) if r.status() == 200);
            (scheduled.elapsed(), ok)
        }));
    }
    let mut latencies = Vec::with_capacity(tasks.len());
    let mut failed = 0;
    for task in tasks {
        if let Ok((latency, ok)) = task.await {
            latencies.push(latency);
            failed += u64::from(!ok);
        }
    }
    // LOAD_LATENCY_DUMP=path: each request's latency in the order sent, to tell a stall
    // (slow requests bunched) from queueing (spread through the run).
    if let Ok(path) = std::env::var("LOAD_LATENCY_DUMP") {
        let lines: Vec<String> = latencies
            .iter()
            .enumerate()
            .map(|(n, l)| format!("{n} {:.3}", l.as_secs_f64() * 1e3))
            .collect();
        let _ = std::fs::write(format!("{path}.{requests_per_second:.0}"), lines.join("\n"));
    }
    latencies.sort();
    (latencies, failed)
}

/// Each ratio of items per CPU-second computed within every round (a mode against the
/// no-template runs before and after it in the same round), and the median of those.
fn report_paired_ratios(samples: &[Vec<(f64, f64)>]) {
    let per_cpu = |mode: usize, round: usize| samples[mode][round].1;
    let median = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let paired = |f: &dyn Fn(usize) -> f64| {
        let ratios: Vec<f64> = (0..samples[0].len()).map(f).collect();
        let shown: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
        format!("{:.2} ({})", median(ratios), shown.join(" "))
    };
    let spans_baseline = |r: usize| (per_cpu(0, r) + per_cpu(3, r)) / 2.0;
    let logs_baseline = |r: usize| (per_cpu(6, r) + per_cpu(8, r)) / 2.0;
    println!(
        "paired by round, items/CPU-s: openinference / no template {}; auto / openinference {}; \
         JSON / protobuf, no template {}; logs auto / no template {}",
        paired(&|r| per_cpu(1, r) / spans_baseline(r)),
        paired(&|r| per_cpu(2, r) / per_cpu(1, r)),
        paired(&|r| per_cpu(4, r) / spans_baseline(r)),
        paired(&|r| per_cpu(7, r) / logs_baseline(r)),
    );
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// What the receiver spent on a fixed-rate run: CPU per request and the mean wait for
/// Kafka's acknowledgment (None without Kafka), in ms.
struct ReceiverSpend {
    cpu_per_request: f64,
    acknowledgment: Option<f64>,
}

/// A fixed-rate run (`fixed_rate`) with what the receiver spent on it, read around it: its
/// CPU, and from its `/metrics` the time Kafka took to acknowledge each request's records.
async fn measured_fixed_rate(
    receiver: (u32, &str),
    http: std::net::SocketAddr,
    token: &str,
    work: Workload,
    seconds: f64,
    requests_per_second: f64,
) -> (Vec<Duration>, u64, ReceiverSpend) {
    let (pid, admin) = receiver;
    let cpu_before = cpu_seconds(pid);
    let (sum_before, count_before) = produce_seconds(admin).await;
    let (latencies, failed) = fixed_rate(http, token, work, seconds, requests_per_second).await;
    let cpu = cpu_seconds(pid) - cpu_before;
    let (sum, count) = produce_seconds(admin).await;
    let acknowledged = count - count_before;
    let spend = ReceiverSpend {
        cpu_per_request: cpu * 1e3 / latencies.len().max(1) as f64,
        acknowledgment: (acknowledged > 0.0).then(|| (sum - sum_before) * 1e3 / acknowledged),
    };
    (latencies, failed, spend)
}

/// Items per CPU-second of the receiver; a run too short for /proc to tick counts as 10 ms.
fn per_cpu_second(items: u64, cpu: f64) -> f64 {
    items as f64 / cpu.max(0.01)
}

/// One closed-loop run (`run`) and the receiver's CPU during it.
struct Measured {
    items: u64,
    failed: u64,
    wall: f64,
    cpu: f64,
}

fn measured(
    runtime: &tokio::runtime::Runtime,
    pid: u32,
    http: std::net::SocketAddr,
    token: &str,
    work: &Workload,
    seconds: f64,
    concurrency: usize,
) -> Measured {
    let cpu_before = cpu_seconds(pid);
    let started = Instant::now();
    let (items, failed) = runtime.block_on(run(http, token, work.clone(), seconds, concurrency));
    Measured {
        items,
        failed,
        wall: started.elapsed().as_secs_f64(),
        cpu: cpu_seconds(pid) - cpu_before,
    }
}

/// `intake_kafka_produce_seconds` sum and count from the admin port's `/metrics`.
async fn produce_seconds(admin: &str) -> (f64, f64) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let Ok(request) = http::Request::get(format!("http://{admin}/metrics")).body(Full::new(Bytes::new())) else {
        return (0.0, 0.0);
    };
    let Ok(response) = client.request(request).await else {
        return (0.0, 0.0);
    };
    let Ok(body) = http_body_util::BodyExt::collect(response.into_body()).await else {
        return (0.0, 0.0);
    };
    let text = String::from_utf8_lossy(&body.to_bytes()).into_owned();
    let metric = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (
        metric("intake_kafka_produce_seconds_sum "),
        metric("intake_kafka_produce_seconds_count "),
    )
}

/// One line per fixed-rate run: the rate, p50, p99 and the worst export latency, then the
/// receiver's CPU per request and the mean wait for Kafka's acknowledgment.
fn report_latency(what: &str, requests_per_second: f64, sorted: &[Duration], failed: u64, spend: &ReceiverSpend) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let acknowledgment = spend
        .acknowledgment
        .map(|wait| format!(", Kafka acknowledgment {wait:.2} ms mean"))
        .unwrap_or_default();
    println!(
        "latency at {what} {requests_per_second:>6.1} requests/s: p50 {:>6.2} ms, p99 {:>6.2} ms, max {:>6.2} ms ({} requests, {failed} failed); receiver CPU {:.2} ms per request{acknowledgment}",
        ms(percentile(sorted, 0.5)),
        ms(percentile(sorted, 0.99)),
        ms(sorted.last().copied().unwrap_or_default()),
        sorted.len(),
        spend.cpu_per_request,
    );
}

fn main() {
    let seconds: f64 = std::env::var("LOAD_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5.0);
    let concurrency: usize = std::env::var("LOAD_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let base = if std::path::Path::new("/dev/shm").is_dir() {
        "/dev/shm"
    } else {
        "/tmp"
    };
    let dir = tempfile::tempdir_in(base).expect("tempdir");
    let (with_token, with_entry) = key("openinference");
    let (none_token, none_entry) = key("none");
    let (auto_token, auto_entry) = key("auto");
    let mut keys = String::new();
    for e in [&with_entry, &none_entry, &auto_entry] {
        keys.push_str(&KeyFile::entry_text(e).expect("row"));
    }
    std::fs::write(dir.path().join("keys.toml"), keys).expect("keys");
    let [http, grpc, admin] = ports::free_ports::<3>();
    let http = std::net::SocketAddr::from(([127, 0, 0, 1], http));
    let mut config = format!(
        "data_dir = {:?}\n[server]\nhttp_listen = \"{http}\"\ngrpc_listen = \"127.0.0.1:{grpc}\"\nadmin_listen = \"127.0.0.1:{admin}\"\n[rate_limits]\nspans_per_second = 0\n[auth]\npepper = \"load-pepper\"\n[log]\nlevel = \"warn\"\n",
        dir.path().display().to_string()
    );
    let kafka = std::env::var("LOAD_SINK").is_ok_and(|v| v == "kafka");
    let compression = std::env::var("LOAD_KAFKA_COMPRESSION").unwrap_or_else(|_| "lz4".into());
    // Unset: intake's own default.
    let linger = std::env::var("LOAD_KAFKA_LINGER_MS").ok();
    let _broker = kafka.then(|| {
        let port = ports::free_port();
        let broker = start_tansu(port);
        config.push_str(&format!(
            "[kafka]\nbrokers = \"127.0.0.1:{port}\"\ntopic = \"load\"\nlogs_topic = \"load_logs\"\nmetrics_topic = \"load_metrics\"\ncreate_topic = true\ncompression = \"{compression}\"\n"
        ));
        if let Some(linger) = &linger {
            config.push_str(&format!("[kafka.librdkafka]\n\"linger.ms\" = \"{linger}\"\n"));
        }
        broker
    });
    let sink = if kafka {
        format!(
            "kafka (tansu, {compression}, linger.ms {})",
            linger.as_deref().unwrap_or("default")
        )
    } else {
        "file sink".to_owned()
    };
    std::fs::write(dir.path().join("intake.toml"), config).expect("config");
    let receiver = KilledOnDrop(
        Command::new(env!("CARGO_BIN_EXE_intake"))
            .args([
                "--config",
                dir.path().join("intake.toml").to_str().expect("path"),
                "serve",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start intake"),
    );
    let pid = receiver.0.id();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let started = Instant::now();
    let admin_address = format!("127.0.0.1:{admin}");
    let ready = format!("http://{admin_address}/readyz");
    loop {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "intake did not become ready"
        );
        let status = runtime.block_on(async {
            let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
            let request = http::Request::get(&ready)
                .body(Full::new(Bytes::new()))
                .expect("request");
            client.request(request).await.map(|r| r.status().as_u16()).unwrap_or(0)
        });
        if status == 200 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let protobuf = "application/x-protobuf";
    let spans = Workload {
        path: "/v1/traces",
        content_type: protobuf,
        body: Bytes::from(request()),
        items: SPANS as u64,
    };
    let spans_json = Workload {
        content_type: "application/json",
        body: Bytes::from(intake::otlp::json::encode_request(&support::openinference_request(
            SPANS,
        ))),
        ..spans.clone()
    };
    let logs = Workload {
        path: "/v1/logs",
        content_type: protobuf,
        body: Bytes::from(support::claude_code_logs_request(SPANS).encode_to_vec()),
        items: SPANS as u64,
    };
    println!(
        "load: {concurrency} concurrent OTLP/HTTP clients, {SPANS}-span OpenInference requests ({} KiB protobuf, {} KiB JSON) and {SPANS}-record Claude Code log requests ({} KiB), {seconds}s per mode, {sink}",
        spans.body.len() / 1024,
        spans_json.body.len() / 1024,
        logs.body.len() / 1024
    );
    let modes = [
        ("spans, no template", &none_token, &spans, "spans"),
        ("spans, openinference", &with_token, &spans, "spans"),
        ("spans, auto", &auto_token, &spans, "spans"),
        ("spans, no template (again)", &none_token, &spans, "spans"),
        ("spans JSON, no template", &none_token, &spans_json, "spans"),
        ("spans JSON, openinference", &with_token, &spans_json, "spans"),
        ("logs, no template", &none_token, &logs, "records"),
        ("logs, auto", &auto_token, &logs, "records"),
        ("logs, no template (again)", &none_token, &logs, "records"),
    ];
    // LOAD_INTERLEAVED=n: the three protobuf span modes only, in turn for one second
    // each, n times (the first mode rotating), summed per mode. Modes seconds apart see the
    // same machine, so the ratios hold still where rounds of several seconds drift.
    if let Some(slices) = std::env::var("LOAD_INTERLEAVED")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        let compared = [
            ("spans, no template", &none_token),
            ("spans, openinference", &with_token),
            ("spans, auto", &auto_token),
        ];
        // Warm-up.
        for (_, token) in compared {
            runtime.block_on(run(http, token, spans.clone(), 1.0, concurrency));
        }
        let mut totals = [(0u64, 0.0f64); 3];
        for slice in 0..slices {
            for turn in 0..compared.len() {
                let mode = (slice + turn) % compared.len();
                let sample = measured(&runtime, pid, http, compared[mode].1, &spans, 1.0, concurrency);
                totals[mode].0 += sample.items;
                totals[mode].1 += sample.cpu;
            }
        }
        let per_cpu: Vec<f64> = totals.iter().map(|&(items, cpu)| per_cpu_second(items, cpu)).collect();
        for ((mode, _), rate) in compared.iter().zip(&per_cpu) {
            println!("interleaved, {slices} one-second slices: {mode:<22} {rate:>10.0} spans/CPU-s");
        }
        println!(
            "interleaved: openinference / no template {:.3}; auto / openinference {:.3}",
            per_cpu[1] / per_cpu[0],
            per_cpu[2] / per_cpu[1]
        );
        return;
    }
    // LOAD_LATENCY_ONLY=1: the no-template saturation and its latencies, nothing else (for
    // trying producer settings quickly).
    let latency_only = std::env::var("LOAD_LATENCY_ONLY").is_ok_and(|v| v == "1");
    let modes = if latency_only { &modes[..1] } else { &modes[..] };
    // LOAD_ROUNDS=n runs every mode n times, in turn, and reports each mode's median: on a
    // shared machine one pass moves by tens of percent.
    let rounds: usize = std::env::var("LOAD_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let mut samples: Vec<Vec<(f64, f64)>> = vec![Vec::new(); modes.len()];
    for round in 1..=rounds {
        for (i, &(mode, token, work, unit)) in modes.iter().enumerate() {
            runtime.block_on(run(http, token, work.clone(), 1.0, concurrency)); // warm-up
            let Measured {
                items,
                failed,
                wall,
                cpu,
            } = measured(&runtime, pid, http, token, work, seconds, concurrency);
            let rate = items as f64 / wall;
            let per_cpu = per_cpu_second(items, cpu);
            let pass = if rounds > 1 {
                format!(" (round {round})")
            } else {
                String::new()
            };
            println!(
                "{mode:<28} {rate:>10.0} {unit}/s   {per_cpu:>10.0} {unit}/CPU-s   cpu {cpu:.2}s   failed requests {failed}{pass}"
            );
            samples[i].push((rate, per_cpu));
            let _ = std::io::stdout().flush();
        }
    }
    let median = |values: &mut Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let results: Vec<(f64, f64)> = samples
        .iter()
        .map(|s| {
            (
                median(&mut s.iter().map(|r| r.0).collect()),
                median(&mut s.iter().map(|r| r.1).collect()),
            )
        })
        .collect();
    if rounds > 1 {
        for (&(mode, _, _, unit), (rate, per_cpu)) in modes.iter().zip(&results) {
            println!("median of {rounds}: {mode:<28} {rate:>10.0} {unit}/s   {per_cpu:>10.0} {unit}/CPU-s");
        }
    }
    if latency_only {
        let saturation = results[0].0;
        for (label, share) in [("half of saturation", 2.0), ("a tenth of saturation", 10.0)] {
            let requests_per_second = saturation / share / SPANS as f64;
            let (latencies, failed, spend) = runtime.block_on(measured_fixed_rate(
                (pid, &admin_address),
                http,
                &none_token,
                spans.clone(),
                seconds,
                requests_per_second,
            ));
            report_latency(
                &format!("{label}, spans, no template"),
                requests_per_second,
                &latencies,
                failed,
                &spend,
            );
        }
        return;
    }
    let (none, again) = (results[0], results[3]);
    let baseline = ((none.0 + again.0) / 2.0, (none.1 + again.1) / 2.0);
    let ratio = |r: (f64, f64), b: (f64, f64)| (r.0 / b.0, r.1 / b.1);
    let (oi, auto, json_none, json_oi) = (results[1], results[2], results[4], results[5]);
    println!(
        "spans: openinference / no template {:.2} (items/s), {:.2} (items/CPU-s); auto / openinference {:.2}, {:.2}",
        ratio(oi, baseline).0,
        ratio(oi, baseline).1,
        ratio(auto, oi).0,
        ratio(auto, oi).1
    );
    println!(
        "spans JSON / protobuf, no template {:.2} (items/s), {:.2} (items/CPU-s); with openinference {:.2}, {:.2}",
        ratio(json_none, baseline).0,
        ratio(json_none, baseline).1,
        ratio(json_oi, oi).0,
        ratio(json_oi, oi).1
    );
    let logs_baseline = ((results[6].0 + results[8].0) / 2.0, (results[6].1 + results[8].1) / 2.0);
    println!(
        "logs: auto / no template {:.2} (items/s), {:.2} (items/CPU-s)",
        ratio(results[7], logs_baseline).0,
        ratio(results[7], logs_baseline).1
    );
    if rounds > 1 {
        report_paired_ratios(&samples);
    }
    for (mode, token, saturation) in [
        ("spans, no template", &none_token, baseline.0),
        ("spans, openinference", &with_token, oi.0),
    ] {
        let requests_per_second = saturation / 2.0 / SPANS as f64;
        let (latencies, failed, spend) = runtime.block_on(measured_fixed_rate(
            (pid, &admin_address),
            http,
            token,
            spans.clone(),
            seconds,
            requests_per_second,
        ));
        report_latency(
            &format!("half of saturation, {mode:<22}"),
            requests_per_second,
            &latencies,
            failed,
            &spend,
        );
    }
}
