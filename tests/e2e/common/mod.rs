//! Real parts for end-to-end tests: a tansu broker, the intake binary, a Kafka consumer,
//! raw OTLP/HTTP and OTLP/gRPC clients, and the Python/Node OpenTelemetry exporters.
//! A missing dependency fails the test loudly; nothing is skipped.
#![allow(dead_code)]

mod broker;
mod consumer;
mod database;
mod genai;
mod keys;
mod ports;
mod receiver;
mod sdk;
mod wire;

pub use broker::*;
pub use consumer::*;
pub use database::*;
pub use genai::*;
pub use keys::*;
pub use ports::*;
pub use receiver::*;
pub use sdk::*;
pub use wire::*;

use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

pub const PEPPER: &str = "test-pepper-not-secret";
pub const TOPIC: &str = "otlp_spans";
pub const LOGS_TOPIC: &str = "otlp_logs";
pub const METRICS_TOPIC: &str = "otlp_metrics";

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
