//! Real parts for end-to-end tests: a tansu broker, the intake binary, a Kafka consumer,
//! raw OTLP/HTTP and OTLP/gRPC clients, and the Python/Node OpenTelemetry exporters.
//! A missing dependency fails the test loudly; nothing is skipped.
#![allow(dead_code)]

mod broker;
mod consumer;
mod database;
mod genai;
mod keys;
mod receiver;
mod sdk;
mod wire;

pub use broker::*;
pub use consumer::*;
pub use database::*;
pub use genai::*;
pub use keys::*;
pub use receiver::*;
pub use sdk::*;
pub use wire::*;

use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

pub const PEPPER: &str = "test-pepper-not-secret";
pub const TOPIC: &str = "otlp_spans";
pub const LOGS_TOPIC: &str = "otlp_logs";
pub const METRICS_TOPIC: &str = "otlp_metrics";

pub fn free_port() -> u16 {
    free_ports::<1>()[0]
}

/// `N` distinct free ports: held open together while they are picked, so the system cannot
/// hand out one of them twice (two `free_port` calls in a row can get the same port).
pub fn free_ports<const N: usize>() -> [u16; N] {
    let listeners: [TcpListener; N] =
        std::array::from_fn(|_| TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port"));
    listeners.map(|listener| listener.local_addr().expect("local addr").port())
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
