//! End-to-end load: the release intake binary on loopback, concurrent OTLP/HTTP clients
//! sending 512-span OpenInference requests (with the OpenInference template and with no
//! template) and 512-record Claude Code log requests (with `auto` and with no template), in
//! the same run. Reports spans/s and spans per CPU-second of the receiver
//! (its utime+stime from /proc), and the ratio. Bounded: LOAD_SECONDS per mode (default 5).
//! The sink is the file sink, or with `LOAD_SINK=kafka` a tansu broker started here (tansu on
//! PATH or in ~/.cargo/bin) with `LOAD_KAFKA_COMPRESSION` (default lz4) on the producer.
//!
//! `cargo bench --bench load`, `LOAD_SINK=kafka cargo bench --bench load`

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

/// A tansu broker for the Kafka mode; killed on drop.
struct Broker(std::process::Child);

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_tansu(port: u16) -> Broker {
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
    Broker(child)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// What one mode sends: the path, the body and how many items (spans or log records) it holds.
#[derive(Clone)]
struct Workload {
    path: &'static str,
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
                    .header("content-type", "application/x-protobuf")
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
    let http: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
    let grpc = free_port();
    let admin = free_port();
    let mut config = format!(
        "data_dir = {:?}\n[server]\nhttp_listen = \"{http}\"\ngrpc_listen = \"127.0.0.1:{grpc}\"\nadmin_listen = \"127.0.0.1:{admin}\"\n[rate_limits]\nspans_per_second = 0\n[auth]\npepper = \"load-pepper\"\n[log]\nlevel = \"warn\"\n",
        dir.path().display().to_string()
    );
    let kafka = std::env::var("LOAD_SINK").is_ok_and(|v| v == "kafka");
    let compression = std::env::var("LOAD_KAFKA_COMPRESSION").unwrap_or_else(|_| "lz4".into());
    let _broker = kafka.then(|| {
        let port = free_port();
        let broker = start_tansu(port);
        config.push_str(&format!(
            "[kafka]\nbrokers = \"127.0.0.1:{port}\"\ntopic = \"load\"\nlogs_topic = \"load_logs\"\nmetrics_topic = \"load_metrics\"\ncreate_topic = true\ncompression = \"{compression}\"\n"
        ));
        broker
    });
    let sink = if kafka {
        format!("kafka (tansu, {compression})")
    } else {
        "file sink".to_owned()
    };
    std::fs::write(dir.path().join("intake.toml"), config).expect("config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_intake"))
        .args([
            "--config",
            dir.path().join("intake.toml").to_str().expect("path"),
            "serve",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start intake");
    let pid = child.id();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let started = Instant::now();
    let ready = format!("http://127.0.0.1:{admin}/readyz");
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
    let spans = Workload {
        path: "/v1/traces",
        body: Bytes::from(request()),
        items: SPANS as u64,
    };
    let logs = Workload {
        path: "/v1/logs",
        body: Bytes::from(support::claude_code_logs_request(SPANS).encode_to_vec()),
        items: SPANS as u64,
    };
    println!(
        "load: {concurrency} concurrent OTLP/HTTP clients, {SPANS}-span OpenInference requests ({} KiB) and {SPANS}-record Claude Code log requests ({} KiB), {seconds}s per mode, {sink}",
        spans.body.len() / 1024,
        logs.body.len() / 1024
    );
    let mut results = Vec::new();
    for (mode, token, work, unit) in [
        ("no template", &none_token, &spans, "spans"),
        ("openinference template", &with_token, &spans, "spans"),
        ("no template (again)", &none_token, &spans, "spans"),
        ("logs, no template", &none_token, &logs, "records"),
        ("logs, auto template", &auto_token, &logs, "records"),
        ("logs, no template (again)", &none_token, &logs, "records"),
    ] {
        runtime.block_on(run(http, token, work.clone(), 1.0, concurrency)); // warm-up
        let cpu_before = cpu_seconds(pid);
        let wall = Instant::now();
        let (items, failed) = runtime.block_on(run(http, token, work.clone(), seconds, concurrency));
        let wall = wall.elapsed().as_secs_f64();
        let cpu = cpu_seconds(pid) - cpu_before;
        let rate = items as f64 / wall;
        let per_cpu = items as f64 / cpu.max(0.01);
        println!(
            "{mode:<26} {rate:>10.0} {unit}/s   {per_cpu:>10.0} {unit}/CPU-s   cpu {cpu:.2}s   failed requests {failed}"
        );
        results.push((rate, per_cpu));
        let _ = std::io::stdout().flush();
    }
    for (name, at) in [("spans", 0), ("logs", 3)] {
        let baseline = (results[at].0 + results[at + 2].0) / 2.0;
        let baseline_cpu = (results[at].1 + results[at + 2].1) / 2.0;
        println!(
            "{name}: ratio with template / without: {:.2} (items/s), {:.2} (items/CPU-s)",
            results[at + 1].0 / baseline,
            results[at + 1].1 / baseline_cpu
        );
    }
    let _ = child.kill();
    let _ = child.wait();
}
