//! `Authenticator`: headers in, the caller's key record out (or why not).

use std::sync::Arc;
use std::time::SystemTime;

use http::HeaderMap;
use serde::{Deserialize, Serialize};

use super::source::FileKeySourceConfig;
use super::{AuthError, Credential, KeyCache, KeyCacheConfig, KeyHasher, KeyRecord};
use crate::secret::Secret;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// The HMAC key for stored secret hashes. Required when keys come from anywhere but
    /// the embedded dev store (which generates one in the data directory).
    #[serde(default, skip_serializing)]
    pub pepper: Option<Secret>,
    #[serde(default)]
    pub cache: KeyCacheConfig,
    /// The key file (the only key source so far).
    #[serde(default)]
    pub file: FileKeySourceConfig,
}

/// Whether a lookup id missing from the cache may be fetched from the key source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyLookup {
    LoadOnMiss,
    /// For addresses that keep failing: keys already in use keep working, guesses cost
    /// the key source nothing.
    CacheOnly,
}

pub struct Authenticator {
    cache: KeyCache,
    hasher: KeyHasher,
}

impl Authenticator {
    pub fn new(cache: KeyCache, hasher: KeyHasher) -> Self {
        Self { cache, hasher }
    }

    pub fn cache(&self) -> &KeyCache {
        &self.cache
    }

    /// Reads only headers: this runs before the body is read or decoded.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Arc<KeyRecord>, AuthError> {
        self.authenticate_with(headers, KeyLookup::LoadOnMiss).await
    }

    pub async fn authenticate_with(&self, headers: &HeaderMap, lookup: KeyLookup) -> Result<Arc<KeyRecord>, AuthError> {
        let credential = Credential::from_headers(headers)?;
        let secret = credential.secret().expose();
        let found = match lookup {
            KeyLookup::LoadOnMiss => self.cache.get(&credential.lookup_id).await?,
            KeyLookup::CacheOnly => self.cache.get_cached(&credential.lookup_id).await.flatten(),
        };
        let Some(record) = found else {
            self.hasher.verify_decoy(secret);
            return Err(AuthError::UnknownKey);
        };
        if !self.hasher.verify(&record.secret_hash, secret) {
            return Err(AuthError::InvalidSecret);
        }
        // Checked per request, not at load: a cached record can expire while cached.
        let now = SystemTime::now();
        if record.is_revoked_at(now) {
            return Err(AuthError::Revoked);
        }
        if record.is_expired_at(now) {
            return Err(AuthError::Expired);
        }
        if !record.is_ingest_only() {
            return Err(AuthError::NotIngestOnly);
        }
        if let Some(claimed) = credential.claimed_projects.iter().find(|p| **p != record.project_id) {
            return Err(AuthError::ProjectMismatch {
                claimed: claimed.clone(),
            });
        }
        Ok(record)
    }
}
