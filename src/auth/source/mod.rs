//! Where key records come from. The cache in front of a source is what requests hit.

mod file;

use std::future::Future;
use std::pin::Pin;

use thiserror::Error;
use tokio::sync::watch;

pub use file::{FileKeySource, FileKeySourceConfig, KeyFile, TemplateCheck};

use super::KeyRecord;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

#[derive(Debug, Error)]
pub enum KeySourceError {
    #[error("cannot read key file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid key file {path}: {message}")]
    Invalid { path: String, message: String },
    #[error("key source unavailable: {0}")]
    Unavailable(String),
}

/// A store of key records, looked up by lookup id.
pub trait KeySource: Send + Sync + 'static {
    fn lookup<'a>(&'a self, lookup_id: &'a str) -> BoxFuture<'a, Result<Option<KeyRecord>, KeySourceError>>;

    /// Whether the source can answer lookups (drives `/readyz`).
    fn is_ready(&self) -> bool;

    /// A counter that moves whenever records may have changed, so the cache can drop
    /// entries at once instead of waiting for their TTL. `None` for sources that cannot
    /// push changes.
    fn invalidations(&self) -> Option<watch::Receiver<u64>>;
}
