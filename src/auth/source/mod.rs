//! Where key records live: the file store (the embedded default for one box) and the
//! Postgres store (shared by a fleet). The cache in front of a store is what requests hit;
//! the management API and the CLI write through the same stores.

mod file;
mod file_edit;
pub mod postgres;
mod usage_file;

use std::future::Future;
use std::pin::Pin;
use std::time::SystemTime;

use thiserror::Error;
use tokio::sync::broadcast;

pub use file::{FileKeySource, FileKeySourceConfig, KeyFile, TemplateCheck};
pub use postgres::{PostgresKeyStore, PostgresKeyStoreConfig};

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
    /// The store cannot answer now (database down, timeout); the key may well be valid.
    #[error("key store unavailable: {0}")]
    Unavailable(String),
    /// A write the store refused (a duplicate id, a project of another organization).
    #[error("{0}")]
    Conflict(String),
    #[error("key store: {0}")]
    Config(String),
}

/// A change the cache must drop entries for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalidation {
    /// Anything may have changed.
    All,
    /// The key with this lookup id changed (created, revoked, rotated, edited).
    Key(String),
}

/// What `/readyz` and the logs say about a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceHealth {
    /// Answering lookups.
    Up,
    /// Never reached yet: nothing can be authenticated.
    Starting(String),
    /// Was up, cannot be reached now (since that many seconds): cached keys keep working.
    Down { since_secs: u64, error: String },
}

/// A store of key records, looked up by lookup id.
pub trait KeySource: Send + Sync + 'static {
    fn lookup<'a>(&'a self, lookup_id: &'a str) -> BoxFuture<'a, Result<Option<KeyRecord>, KeySourceError>>;

    /// Whether the source has ever answered (drives `/readyz`).
    fn is_ready(&self) -> bool {
        matches!(self.health(), SourceHealth::Up | SourceHealth::Down { .. })
    }

    /// Whether a lookup now would reach the store. When it would not, the cache serves
    /// what it still holds instead of waiting for a timeout.
    fn is_reachable(&self) -> bool {
        self.health() == SourceHealth::Up
    }

    fn health(&self) -> SourceHealth;

    /// Changes pushed by the store, so the cache can drop entries at once instead of
    /// waiting for their TTL. `None` for stores that cannot push changes.
    fn invalidations(&self) -> Option<broadcast::Receiver<Invalidation>>;
}

/// A key record and what the store knows of its use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub record: KeyRecord,
    pub last_used_at: Option<SystemTime>,
}

/// Which keys a listing returns.
#[derive(Debug, Clone, Default)]
pub struct KeyFilter {
    pub organization_id: Option<String>,
    pub project_id: Option<String>,
}

impl KeyFilter {
    pub fn matches(&self, record: &KeyRecord) -> bool {
        self.organization_id
            .as_ref()
            .is_none_or(|o| *o == record.organization_id)
            && self.project_id.as_ref().is_none_or(|p| *p == record.project_id)
    }
}

/// A key source that can also be written: what the management API and the CLI use.
pub trait KeyStore: KeySource {
    /// Where the keys are, for people (`file intake-data/keys.toml`, `postgres db@host`).
    fn describe(&self) -> String;

    /// Stores a new key. An ingestion key's project is claimed for its organization on
    /// first use; a project already claimed by another organization is a `Conflict`.
    fn insert<'a>(&'a self, record: &'a KeyRecord) -> BoxFuture<'a, Result<(), KeySourceError>>;

    fn list<'a>(&'a self, filter: &'a KeyFilter) -> BoxFuture<'a, Result<Vec<KeyInfo>, KeySourceError>>;

    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<KeyInfo>, KeySourceError>>;

    /// Sets `revoked_at` unless it is already set (revoking twice keeps the first time).
    /// Returns the key as it is now, `None` when there is no such key.
    fn revoke<'a>(&'a self, id: &'a str, at: SystemTime) -> BoxFuture<'a, Result<Option<KeyInfo>, KeySourceError>>;

    /// Stores `replacement` and moves the old key's expiry to `old_expires_at` (never
    /// later than it already was), in one step.
    fn rotate<'a>(
        &'a self,
        id: &'a str,
        replacement: &'a KeyRecord,
        old_expires_at: SystemTime,
    ) -> BoxFuture<'a, Result<(), KeySourceError>>;

    /// Writes when keys were last used (a batch; later times win).
    fn record_last_used<'a>(&'a self, uses: &'a [(String, SystemTime)]) -> BoxFuture<'a, Result<(), KeySourceError>>;
}
