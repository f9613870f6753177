//! A real Kafka-protocol broker: tansu on a free loopback port, in memory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::ClientConfig;

use super::*;

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
        // A port found free can be taken before tansu binds it: try others.
        for _ in 0..5 {
            if tansu.spawn_on_port() {
                return tansu;
            }
            tansu.port = free_port();
        }
        panic!(
            "tansu did not listen:\n{}",
            std::fs::read_to_string(&tansu.log).unwrap_or_default()
        )
    }

    fn spawn(&mut self) {
        assert!(self.spawn_on_port(), "tansu did not listen on {}", self.port);
    }

    /// Starts tansu on `self.port`; false when it did not come up there.
    fn spawn_on_port(&mut self) -> bool {
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
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while std::time::Instant::now() < deadline {
            let exited = self.child.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(Some(_))));
            if exited {
                self.child = None;
                return false;
            }
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        false
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

    /// The spans, logs and metrics topics intake publishes to.
    pub fn create_signal_topics(&self, partitions: i32) {
        for topic in [TOPIC, LOGS_TOPIC, METRICS_TOPIC] {
            self.create_topic(topic, partitions);
        }
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
