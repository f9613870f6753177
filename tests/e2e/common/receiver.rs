//! The intake binary, started on free ports with a config the test writes.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::*;

pub struct IntakeOptions {
    pub kafka: Option<String>,
    /// Extra TOML appended to the config file.
    pub extra_toml: String,
    /// Extra lines for the `[server]` table.
    pub server_toml: String,
    /// Extra lines for the `[auth]` table (e.g. `last_used_interval`).
    pub auth_toml: String,
    /// Keys live in this Postgres database (`[auth.postgres] url`) instead of the key file.
    pub postgres_url: Option<String>,
    pub wait_ready: bool,
}

impl Default for IntakeOptions {
    fn default() -> Self {
        Self {
            kafka: None,
            extra_toml: String::new(),
            server_toml: String::new(),
            auth_toml: String::new(),
            postgres_url: None,
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
        // A port found free can be taken by another process before intake binds it (the
        // tests run side by side): then intake exits saying so, and it starts again on
        // other ports.
        for _ in 0..5 {
            match Self::try_start(keys, &options) {
                Ok(intake) => {
                    if options.wait_ready {
                        intake.wait_ready(Duration::from_secs(20));
                    }
                    return intake;
                }
                Err(logs) if logs.contains("Address already in use") => continue,
                Err(logs) => panic!("intake did not listen:\n{logs}"),
            }
        }
        panic!("intake lost the race for free ports five times")
    }

    fn try_start(keys: &[&TestKey], options: &IntakeOptions) -> Result<Intake, String> {
        let dir = tempfile::tempdir().expect("tempdir");
        write_keys(&Self::key_file(dir.path()), keys);
        let [grpc, http, admin] = free_ports::<3>().map(|port| SocketAddr::from(([127, 0, 0, 1], port)));
        let mut config = format!(
            "data_dir = {:?}\n[server]\ngrpc_listen = \"{grpc}\"\nhttp_listen = \"{http}\"\nadmin_listen = \"{admin}\"\nshutdown_grace = \"10s\"\n{}\n\
             [auth]\npepper = \"{PEPPER}\"\n{}\n[auth.file]\nreload_interval = \"200ms\"\n",
            dir.path().display().to_string(),
            options.server_toml,
            options.auth_toml
        );
        if let Some(url) = &options.postgres_url {
            config.push_str(&format!("[auth.postgres]\nurl = \"{url}\"\nresync_interval = \"1s\"\n"));
        }
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
        let mut intake = Intake {
            grpc,
            http,
            admin,
            dir,
            child: Some(child),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if intake.has_exited() {
                return Err(intake.logs());
            }
            if TcpStream::connect(http).is_ok() {
                return Ok(intake);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(intake.logs())
    }

    /// Whether the process ended (it reaps it, so a port it held is free again).
    fn has_exited(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|child| matches!(child.try_wait(), Ok(Some(_))))
    }

    /// Runs `intake <args>` with this instance's config (the key commands, say).
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_intake"));
        for (name, _) in std::env::vars() {
            if name.starts_with("INTAKE_") {
                command.env_remove(name);
            }
        }
        let config = self.dir.path().join("intake.toml");
        command
            .arg("--config")
            .arg(config)
            .args(args)
            .output()
            .expect("run the intake cli")
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
