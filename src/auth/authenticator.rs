//! `Authenticator`: headers in, the caller's key record out (or why not).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::HeaderMap;
use serde::{Deserialize, Serialize};

use super::source::{FileKeySourceConfig, PostgresKeyStoreConfig};
use super::usage::UsageRecorder;
use super::{AuthError, Credential, KeyCache, KeyCacheConfig, KeyHasher, KeyRecord};
use crate::secret::Secret;
use crate::setting::InvalidSetting;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// The HMAC key for stored secret hashes. Required when keys come from anywhere but
    /// the embedded dev store (which generates one in the data directory).
    #[serde(default, skip_serializing)]
    pub pepper: Option<Secret>,
    #[serde(default)]
    pub cache: KeyCacheConfig,
    /// The key file: the store when no `postgres` section is given.
    #[serde(default)]
    pub file: FileKeySourceConfig,
    /// Present = keys live in this Postgres database, shared by every replica.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postgres: Option<PostgresKeyStoreConfig>,
    /// A key's last use is written back at most this often (batched, off the request path).
    #[serde(default = "default_last_used_interval", with = "humantime_serde")]
    pub last_used_interval: Duration,
    /// After a rotation the old token keeps working this long (unless the request says
    /// otherwise), so clients can be moved over.
    #[serde(default = "default_rotation_grace", with = "humantime_serde")]
    pub rotation_grace: Duration,
}

fn default_last_used_interval() -> Duration {
    Duration::from_secs(60)
}
fn default_rotation_grace() -> Duration {
    Duration::from_secs(24 * 3600)
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            pepper: None,
            cache: KeyCacheConfig::default(),
            file: FileKeySourceConfig::default(),
            postgres: None,
            last_used_interval: default_last_used_interval(),
            rotation_grace: default_rotation_grace(),
        }
    }
}

impl AuthConfig {
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        if let Some(postgres) = &self.postgres {
            postgres.validate()?;
        }
        if self.last_used_interval < Duration::from_millis(100) {
            return Err(InvalidSetting::new("auth.last_used_interval", "must be at least 100ms"));
        }
        Ok(())
    }
}

/// What the caller must be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Write telemetry: an ingestion key.
    Ingest,
    /// Manage ingestion keys: a management key.
    Manage,
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
    usage: Option<Arc<UsageRecorder>>,
}

impl Authenticator {
    pub fn new(cache: KeyCache, hasher: KeyHasher) -> Self {
        Self {
            cache,
            hasher,
            usage: None,
        }
    }

    /// Notes each authenticated key's use in `usage`.
    pub fn with_usage(mut self, usage: Arc<UsageRecorder>) -> Self {
        self.usage = Some(usage);
        self
    }

    pub fn cache(&self) -> &KeyCache {
        &self.cache
    }

    /// Reads only headers: this runs before the body is read or decoded.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Arc<KeyRecord>, AuthError> {
        self.authenticate_with(headers, KeyLookup::LoadOnMiss).await
    }

    pub async fn authenticate_with(&self, headers: &HeaderMap, lookup: KeyLookup) -> Result<Arc<KeyRecord>, AuthError> {
        self.authenticate_as(headers, lookup, Role::Ingest).await
    }

    /// Verifies the credential and that its key may act as `role`: an ingestion key can
    /// never manage, a management key can never ingest.
    pub async fn authenticate_as(
        &self,
        headers: &HeaderMap,
        lookup: KeyLookup,
        role: Role,
    ) -> Result<Arc<KeyRecord>, AuthError> {
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
        match role {
            Role::Ingest => {
                if !record.is_ingest_only() {
                    return Err(AuthError::NotIngestOnly);
                }
                if let Some(claimed) = credential.claimed_projects.iter().find(|p| **p != record.project_id) {
                    return Err(AuthError::ProjectMismatch {
                        claimed: claimed.clone(),
                    });
                }
            }
            Role::Manage => {
                if !record.is_manage_only() {
                    return Err(AuthError::NotManager);
                }
            }
        }
        if let Some(usage) = &self.usage {
            usage.touch(&record.id);
        }
        Ok(record)
    }
}
