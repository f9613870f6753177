//! Where accepted telemetry goes. The pipeline builds records with the sink's
//! `RecordLayout` and awaits `publish`: success means every record is stored.

pub mod envelope;
pub mod file;
pub mod kafka;
mod record;
mod shape;
mod split;

use std::future::Future;
use std::pin::Pin;

use thiserror::Error;

pub use record::{Record, RecordBatch, RecordHeaders, RecordKey, RecordLayout, SplitOutcome, ValueEncoding};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

#[derive(Debug, Error)]
pub enum SinkError {
    /// The destination cannot take data right now; the client should retry.
    #[error("sink unavailable: {0}")]
    Unavailable(String),
    /// The producer's local queue is full: backpressure, the client should retry.
    #[error("sink queue full")]
    QueueFull,
    /// Delivery was not confirmed in time; the data may or may not be stored.
    #[error("delivery not confirmed within {0:?}")]
    Timeout(std::time::Duration),
    /// The destination refused a record for a reason retrying will not fix.
    #[error("record rejected: {0}")]
    Rejected(String),
}

pub trait Sink: Send + Sync + 'static {
    /// How records for this sink are keyed, encoded and split.
    fn layout(&self) -> &RecordLayout;

    /// Resolves once every record is stored, or with the first failure.
    fn publish(&self, batch: RecordBatch) -> BoxFuture<'_, Result<(), SinkError>>;

    /// Whether the sink can take data (drives `/readyz`).
    fn is_ready(&self) -> bool;

    /// What is wrong when it is not ready, for `/readyz` and the logs.
    fn not_ready_reason(&self) -> Option<String> {
        (!self.is_ready()).then(|| "sink not ready".to_owned())
    }

    /// Flushes whatever is still queued; called once at shutdown.
    fn flush(&self, timeout: std::time::Duration) -> BoxFuture<'_, ()>;
}
