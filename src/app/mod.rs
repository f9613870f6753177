//! The top of the crate: the file-wide config assembled from each component's own
//! section, the embedded defaults, and `serve`, which builds the runtime objects and runs
//! them until shutdown.

pub mod client_setup;
pub mod config;
pub mod embedded;
mod env;
pub mod key_cli;
pub mod key_store;
mod serve;

pub use config::{ConfigError, IntakeConfig, LogConfig, LogFormat};
pub use env::ENV_PREFIX;
pub use serve::{serve, ServeError};

/// The stack of the runtime's threads. Request decoding recurses once per JSON nesting
/// level (128 at most, `otlp::json`); an unoptimised build's frames for that many levels
/// outgrow tokio's 2 MiB default, a release build's use a fraction of it.
pub const WORKER_STACK_BYTES: usize = 8 << 20;
