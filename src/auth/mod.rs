//! Ingestion-key authentication: credential parsing, key records, hashing, the cache
//! and the sources the cache loads from.

mod authenticator;
mod cache;
mod credential;
mod error;
mod hasher;
mod key;
pub mod source;

pub use authenticator::{AuthConfig, Authenticator, KeyLookup};
pub use cache::{KeyCache, KeyCacheConfig};
pub use credential::{Credential, KeyPrefix};
pub use error::AuthError;
pub use hasher::{KeyHasher, MintedKey};
pub use key::{KeyEntry, KeyRecord, NewKey, SecretHash, INGEST_PERMISSION};

/// The stored row for a freshly minted key.
pub fn key_entry(minted: &MintedKey, options: &NewKey<'_>) -> KeyEntry {
    KeyEntry {
        id: None,
        lookup_id: minted.lookup_id.clone(),
        secret_hash: minted.secret_hash.to_text(),
        project_id: options.project_id.to_owned(),
        organization_id: options.organization_id.to_owned(),
        source: options.source.to_owned(),
        template: options.template.map(str::to_owned),
        principal_id: options.principal_id.map(str::to_owned),
        permissions: vec![INGEST_PERMISSION.to_owned()],
        projects: None,
        expires_at: options.expires_at.clone(),
        revoked_at: None,
        description: options.description.map(str::to_owned),
        rate_limit_spans_per_second: None,
        rate_limit_burst: None,
    }
}
