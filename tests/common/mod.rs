//! Real parts for end-to-end tests: a tansu broker, the intake binary, a Kafka consumer,
//! raw OTLP/HTTP and OTLP/gRPC clients, and the Python/Node OpenTelemetry exporters.
//! A missing dependency fails the test loudly; nothing is skipped.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use intake::auth::source::KeyFile;
use intake::auth::{KeyEntry, KeyHasher, KeyPrefix};
use intake::otlp::{
    any_value, AnyValue, ExportTraceServiceRequest, KeyValue, Resource, ResourceSpans, ScopeSpans, Span,
};
use intake::secret::Secret;
use prost::Message;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message as _};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

pub const PEPPER: &str = "test-pepper-not-secret";
pub const TOPIC: &str = "otlp_spans";

pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local addr").port()
}

fn wait_for_port(port: u16, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Runs a future on a runtime of its own, on a thread of its own, so the blocking
/// helpers work from sync and async tests alike.
fn block_on_fresh<F: std::future::Future + Send>(future: F) -> F::Output
where
    F::Output: Send,
{
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime")
                    .block_on(future)
            })
            .join()
            .expect("helper thread")
    })
}

fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{name} {pid} failed");
}

// ---------------------------------------------------------------- tansu

fn tansu_binary() -> PathBuf {
    if let Ok(path) = std::env::var("TANSU") {
        return PathBuf::from(path);
    }
    for dir in std::env::var("PATH").unwrap_or_default().split(':') {
        let candidate = Path::new(dir).join("tansu");
        if candidate.is_file() {
            return candidate;
        }
    }
    let cargo_home = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cargo"));
    let candidate = cargo_home.join("bin/tansu");
    assert!(
        candidate.is_file(),
        "tansu not found (PATH, $TANSU, {}): run `bash .ci/run` or \
         `cargo install tansu --locked --version 0.6.0 --features dynostore`",
        candidate.display()
    );
    candidate
}

/// A real Kafka-protocol broker on a free loopback port, in-memory storage.
pub struct Tansu {
    pub port: u16,
    child: Option<Child>,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tansu {
    pub fn start() -> Tansu {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut tansu = Tansu {
            port: free_port(),
            child: None,
            log: dir.path().join("tansu.log"),
            _dir: dir,
        };
        tansu.spawn();
        tansu
    }

    fn spawn(&mut self) {
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let log = std::fs::File::create(&self.log).expect("tansu log");
        let child = Command::new(tansu_binary())
            .args(["broker", "--listener-url", &url, "--advertised-listener-url", &url])
            .args(["--storage-engine", "memory://tansu/"])
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start tansu");
        self.child = Some(child);
        assert!(
            wait_for_port(self.port, Duration::from_secs(20)),
            "tansu did not listen on {}",
            self.port
        );
    }

    pub fn brokers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().expect("tansu running").id()
    }

    /// SIGSTOP: the broker holds its connections but answers nothing, like a hung broker.
    pub fn pause(&self) {
        signal(self.pid(), "STOP");
    }

    pub fn resume(&self) {
        signal(self.pid(), "CONT");
    }

    /// Kills the broker; with in-memory storage its topics are gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts a fresh broker on the same port.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    pub fn create_topic(&self, topic: &str, partitions: i32) {
        block_on_fresh(async {
            let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
                .set("bootstrap.servers", self.brokers())
                .create()
                .expect("admin client");
            let topic = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
            let results = admin
                .create_topics(
                    [&topic],
                    &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
                )
                .await
                .expect("create topics");
            for r in results {
                r.expect("topic created");
            }
        });
    }
}

impl Drop for Tansu {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_ref() {
            // A paused broker must be resumed to die cleanly.
            let _ = Command::new("kill").arg("-CONT").arg(child.id().to_string()).status();
        }
        self.kill();
    }
}

// ---------------------------------------------------------------- consumer

#[derive(Debug, Clone)]
pub struct Consumed {
    pub key: String,
    pub value: Vec<u8>,
    pub headers: BTreeMap<String, String>,
    pub partition: i32,
}

impl Consumed {
    pub fn request(&self) -> ExportTraceServiceRequest {
        match self.headers.get("content-type").map(String::as_str) {
            Some("application/json") => intake::otlp::json::decode_request(&self.value).expect("OTLP/JSON record"),
            _ => ExportTraceServiceRequest::decode(&self.value[..]).expect("OTLP protobuf record"),
        }
    }
}

/// A real Kafka consumer reading every partition of a topic from the beginning.
pub struct KafkaReader {
    consumer: BaseConsumer,
}

impl KafkaReader {
    pub fn new(brokers: &str, topic: &str) -> KafkaReader {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .set("group.id", format!("intake-test-{}", free_port()))
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "earliest")
            .create()
            .expect("consumer");
        let metadata = consumer
            .fetch_metadata(Some(topic), Duration::from_secs(10))
            .expect("metadata");
        let partitions = metadata.topics()[0].partitions().len();
        assert!(partitions > 0, "topic {topic} has no partitions");
        let mut assignment = TopicPartitionList::new();
        for p in 0..partitions as i32 {
            assignment
                .add_partition_offset(topic, p, Offset::Beginning)
                .expect("assign");
        }
        consumer.assign(&assignment).expect("assign partitions");
        KafkaReader { consumer }
    }

    /// Reads until `enough` says so or `timeout` passes; returns what was read.
    pub fn read_until(&self, timeout: Duration, enough: impl Fn(&[Consumed]) -> bool) -> Vec<Consumed> {
        let deadline = Instant::now() + timeout;
        let mut out = Vec::new();
        while Instant::now() < deadline && !enough(&out) {
            match self.consumer.poll(Duration::from_millis(200)) {
                Some(Ok(message)) => {
                    let mut headers = BTreeMap::new();
                    if let Some(hs) = message.headers() {
                        for h in hs.iter() {
                            headers.insert(
                                h.key.to_owned(),
                                String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
                            );
                        }
                    }
                    out.push(Consumed {
                        key: String::from_utf8_lossy(message.key().unwrap_or_default()).into_owned(),
                        value: message.payload().unwrap_or_default().to_vec(),
                        headers,
                        partition: message.partition(),
                    });
                }
                Some(Err(error)) => eprintln!("consumer error (retrying): {error}"),
                None => {}
            }
        }
        out
    }

    /// Reads until `expected_spans` spans arrived (or `timeout`), then a little longer to
    /// catch strays; returns every span.
    pub fn spans_until(&self, timeout: Duration, expected_spans: usize) -> Vec<(Consumed, Span, Resource)> {
        let deadline = Instant::now() + timeout;
        let mut out = Vec::new();
        let mut linger_until: Option<Instant> = None;
        loop {
            let now = Instant::now();
            if now >= deadline || linger_until.is_some_and(|l| now >= l) {
                break;
            }
            let batch = self.read_until(Duration::from_millis(200), |_| false);
            for record in &batch {
                out.extend(flatten(record));
            }
            if linger_until.is_none() && out.len() >= expected_spans {
                linger_until = Some(Instant::now() + Duration::from_millis(500));
            }
        }
        out
    }
}

fn count_spans(records: &[Consumed]) -> usize {
    records.iter().map(|r| intake::otlp::span_count(&r.request())).sum()
}

pub fn flatten(record: &Consumed) -> Vec<(Consumed, Span, Resource)> {
    let request = record.request();
    let mut out = Vec::new();
    for rs in request.resource_spans {
        let resource = rs.resource.unwrap_or_default();
        for ss in rs.scope_spans {
            for span in ss.spans {
                out.push((record.clone(), span, resource.clone()));
            }
        }
    }
    out
}

pub fn attr<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a any_value::Value> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
}

pub fn attr_str<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a str> {
    match attr(attributes, key)? {
        any_value::Value::StringValue(s) => Some(s),
        _ => None,
    }
}

// ---------------------------------------------------------------- keys

/// A key row to write into the key file, with the token that goes with it.
pub struct TestKey {
    pub token: String,
    pub entry: KeyEntry,
}

impl TestKey {
    pub fn new(project: &str) -> TestKey {
        let hasher = KeyHasher::new(Secret::new(PEPPER));
        let minted = hasher.mint(KeyPrefix::Ingest);
        let entry = KeyEntry {
            id: Some(format!("key-{}", minted.lookup_id)),
            lookup_id: minted.lookup_id.clone(),
            secret_hash: minted.secret_hash.to_text(),
            project_id: project.to_owned(),
            organization_id: format!("org-of-{project}"),
            source: "e2e".to_owned(),
            template: None,
            principal_id: None,
            permissions: vec!["traces:create".to_owned()],
            projects: None,
            expires_at: None,
            revoked_at: None,
            description: None,
            rate_limit_spans_per_second: None,
            rate_limit_burst: None,
        };
        TestKey {
            token: minted.token.expose().to_owned(),
            entry,
        }
    }

    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.token)
    }
}

pub fn write_keys(path: &Path, keys: &[&TestKey]) {
    let mut text = String::new();
    for key in keys {
        text.push_str(&KeyFile::entry_text(&key.entry).expect("key row"));
    }
    // Write-then-rename so the watcher never sees a half-written file.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).expect("write keys");
    std::fs::rename(&tmp, path).expect("rename keys");
}

// ---------------------------------------------------------------- intake

pub struct IntakeOptions {
    pub kafka: Option<String>,
    /// Extra TOML appended to the config file.
    pub extra_toml: String,
    /// Extra lines for the `[server]` table.
    pub server_toml: String,
    pub wait_ready: bool,
}

impl Default for IntakeOptions {
    fn default() -> Self {
        Self {
            kafka: None,
            extra_toml: String::new(),
            server_toml: String::new(),
            wait_ready: true,
        }
    }
}

/// The intake binary, started on free loopback ports with its own data directory.
pub struct Intake {
    pub grpc: SocketAddr,
    pub http: SocketAddr,
    pub admin: SocketAddr,
    pub dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Intake {
    pub fn key_file(dir: &Path) -> PathBuf {
        dir.join("keys.toml")
    }

    pub fn start(keys: &[&TestKey], options: IntakeOptions) -> Intake {
        let dir = tempfile::tempdir().expect("tempdir");
        write_keys(&Self::key_file(dir.path()), keys);
        let grpc: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
        let http: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
        let admin: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
        let mut config = format!(
            "data_dir = {:?}\n[server]\ngrpc_listen = \"{grpc}\"\nhttp_listen = \"{http}\"\nadmin_listen = \"{admin}\"\nshutdown_grace = \"10s\"\n{}\n\
             [auth]\npepper = \"{PEPPER}\"\n[auth.file]\nreload_interval = \"200ms\"\n",
            dir.path().display().to_string(),
            options.server_toml
        );
        if let Some(brokers) = &options.kafka {
            config.push_str(&format!(
                "[kafka]\nbrokers = \"{brokers}\"\ntopic = \"{TOPIC}\"\ndelivery_timeout = \"3s\"\nhealth_interval = \"500ms\"\n"
            ));
        }
        config.push_str(&options.extra_toml);
        let config_path = dir.path().join("intake.toml");
        std::fs::write(&config_path, config).expect("config");
        let stderr = std::fs::File::create(dir.path().join("intake.log")).expect("log");
        let mut command = Command::new(env!("CARGO_BIN_EXE_intake"));
        for (name, _) in std::env::vars() {
            if name.starts_with("INTAKE_") {
                command.env_remove(name);
            }
        }
        let child = command
            .args(["--config", config_path.to_str().expect("utf-8 path"), "serve"])
            .env("RUST_LOG", "intake=debug,librdkafka=debug,info")
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start intake");
        let intake = Intake {
            grpc,
            http,
            admin,
            dir,
            child: Some(child),
        };
        assert!(
            wait_for_port(http.port(), Duration::from_secs(20)),
            "intake did not listen:\n{}",
            intake.logs()
        );
        if options.wait_ready {
            intake.wait_ready(Duration::from_secs(20));
        }
        intake
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("intake.log")).unwrap_or_default()
    }

    pub fn key_file_path(&self) -> PathBuf {
        Self::key_file(self.dir.path())
    }

    /// The Prometheus text from the admin port.
    pub fn metrics_text(&self) -> String {
        block_on_fresh(async {
            let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
            let uri = format!("http://{}/metrics", self.admin);
            match client.get(uri.parse().expect("uri")).await {
                Ok(response) => {
                    String::from_utf8_lossy(&response.into_body().collect().await.expect("body").to_bytes())
                        .into_owned()
                }
                Err(_) => String::new(),
            }
        })
    }

    /// One sample's value (`name{labels}` exactly as rendered), 0 when absent.
    pub fn metric(&self, series: &str) -> f64 {
        self.metrics_text()
            .lines()
            .find_map(|l| {
                l.strip_prefix(series)
                    .and_then(|rest| rest.strip_prefix(' '))
                    .and_then(|v| v.trim().parse().ok())
            })
            .unwrap_or(0.0)
    }

    pub fn readyz(&self) -> u16 {
        block_on_fresh(async {
            let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
            let uri = format!("http://{}/readyz", self.http);
            match client.get(uri.parse().expect("uri")).await {
                Ok(response) => response.status().as_u16(),
                Err(_) => 0,
            }
        })
    }

    pub fn wait_ready(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.readyz() == 200 {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("intake not ready after {timeout:?}:\n{}", self.logs());
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("intake running").id()
    }

    /// Waits for an already-signalled process to exit; returns whether it exited 0.
    pub fn terminate_wait(&mut self, timeout: Duration) -> bool {
        let mut child = self.child.take().expect("intake running");
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait().expect("wait") {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }

    /// Sends SIGTERM and waits for the process to exit; returns whether it exited 0.
    pub fn terminate(&mut self, timeout: Duration) -> bool {
        signal(self.pid(), "TERM");
        let exited = self.terminate_wait(timeout);
        assert!(
            exited || self.child.is_none(),
            "intake did not exit within {timeout:?} of SIGTERM"
        );
        exited
    }
}

impl Drop for Intake {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            eprintln!("---- intake log ----\n{}", self.logs());
        }
    }
}

// ---------------------------------------------------------------- raw clients

pub struct Reply {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
    /// gRPC: the grpc-status from trailers (or headers, for trailers-only replies).
    pub grpc_status: Option<i32>,
    pub grpc_message: Option<String>,
}

/// POSTs to OTLP/HTTP.
pub async fn http_post(addr: SocketAddr, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Reply {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = http::Request::post(format!("http://{addr}{path}"));
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = client
        .request(request.body(Full::new(Bytes::from(body))).expect("request"))
        .await
        .expect("http send");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("read body").to_bytes().to_vec();
    Reply {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
        grpc_status: None,
        grpc_message: None,
    }
}

/// A unary gRPC call to TraceService/Export over h2c; `frame` is the whole body.
pub async fn grpc_call(addr: SocketAddr, headers: &[(&str, &str)], frame: Vec<u8>) -> Reply {
    let client = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http::<Full<Bytes>>();
    let mut request = http::Request::post(format!(
        "http://{addr}/opentelemetry.proto.collector.trace.v1.TraceService/Export"
    ))
    .header("content-type", "application/grpc")
    .header("te", "trailers");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = client
        .request(request.body(Full::new(Bytes::from(frame))).expect("request"))
        .await
        .expect("grpc send");
    let (parts, body) = response.into_parts();
    let collected = body.collect().await.expect("read grpc body");
    let trailers = collected.trailers().cloned().unwrap_or_default();
    let body = collected.to_bytes().to_vec();
    let pick = |name: &str| {
        trailers
            .get(name)
            .or_else(|| parts.headers.get(name))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    Reply {
        status: parts.status.as_u16(),
        grpc_status: pick("grpc-status").and_then(|s| s.parse().ok()),
        grpc_message: pick("grpc-message"),
        headers: parts.headers,
        body,
    }
}

pub fn grpc_frame(message: &[u8], compressed: bool) -> Vec<u8> {
    let mut frame = vec![u8::from(compressed)];
    frame.extend_from_slice(&(message.len() as u32).to_be_bytes());
    frame.extend_from_slice(message);
    frame
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).expect("gzip");
    encoder.finish().expect("gzip")
}

/// A request with `spans` spans over `traces` traces, each span carrying `payload` bytes.
pub fn make_request(run: &str, traces: usize, spans: usize, payload: usize) -> ExportTraceServiceRequest {
    let mut out = Vec::new();
    for i in 0..spans {
        let trace = (i % traces.max(1)) as u64 + 1;
        let mut trace_id = [0u8; 16];
        trace_id[..8].copy_from_slice(&(free_hash(run) ^ trace).to_be_bytes());
        trace_id[8..].copy_from_slice(&trace.to_be_bytes());
        out.push(Span {
            trace_id: trace_id.to_vec(),
            span_id: (free_hash(run).wrapping_add(i as u64 + 1)).to_be_bytes().to_vec(),
            name: format!("{run}-span-{i}"),
            start_time_unix_nano: 1_700_000_000_000_000_000 + i as u64,
            end_time_unix_nano: 1_700_000_000_000_000_100 + i as u64,
            attributes: vec![kv_str("test.run", run), kv_str("payload", &"x".repeat(payload))],
            ..Default::default()
        });
    }
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv_str("service.name", "raw-client")],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans: out,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn free_hash(s: &str) -> u64 {
    // FNV-1a: stable ids per run name.
    s.bytes()
        .fold(0xcbf29ce484222325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3))
}

pub fn kv_str(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_owned())),
        }),
        ..Default::default()
    }
}

// ---------------------------------------------------------------- SDK clients

#[derive(Debug)]
pub struct SdkRun {
    pub success: bool,
    pub trace_ids: Vec<String>,
    pub span_ids: Vec<String>,
    pub output: String,
}

fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn parse_sdk_output(output: std::process::Output) -> SdkRun {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let line = stdout.lines().last().unwrap_or("");
    let parsed: serde_json::Value = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("client printed no result ({e}):\nstdout: {stdout}\nstderr: {stderr}"));
    let ids = |name: &str| -> Vec<String> {
        parsed[name]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    SdkRun {
        success: parsed["result"] == "SUCCESS",
        trace_ids: ids("trace_ids"),
        span_ids: ids("span_ids"),
        output: format!("{stdout}\n{stderr}"),
    }
}

/// Runs the Python OpenTelemetry exporter with the given OTEL_* variables.
pub fn python_export(env: &[(&str, String)]) -> SdkRun {
    let python = std::env::var("INTAKE_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let mut command = Command::new(&python);
    command.arg(repo_path("tests/clients/python/export.py"));
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}; run `bash .ci/run` to install the clients"));
    let run = parse_sdk_output(output);
    assert!(
        !run.output.contains("ModuleNotFoundError"),
        "Python OpenTelemetry exporter not installed; run `bash .ci/run`:\n{}",
        run.output
    );
    run
}

/// Runs the Node OpenTelemetry OTLP/HTTP (JSON) exporter with the given variables.
pub fn node_export(env: &[(&str, String)]) -> SdkRun {
    let dir = repo_path("tests/clients/node");
    assert!(
        dir.join("node_modules/@opentelemetry/exporter-trace-otlp-http")
            .is_dir(),
        "Node OpenTelemetry exporter not installed in {}; run `bash .ci/run` (or `npm ci` there)",
        dir.display()
    );
    let mut command = Command::new("node");
    command.arg(dir.join("export.mjs")).current_dir(&dir);
    for (k, v) in env {
        command.env(k, v);
    }
    parse_sdk_output(command.output().expect("run node"))
}
