//! The key record a source returns: everything intake knows about one ingestion key.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

/// The one permission an ingestion key may carry.
pub const INGEST_PERMISSION: &str = "traces:create";

/// How the key's secret is stored. The secret itself never is.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretHash {
    /// `HMAC-SHA256(key = pepper, message = secret)`: the current form.
    HmacSha256([u8; 32]),
    /// `SHA-256(secret)`: accepted for keys stored before peppering.
    Sha256([u8; 32]),
}

impl std::fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A hash is not the secret, but there is no reason to print it either.
        match self {
            SecretHash::HmacSha256(_) => f.write_str("HmacSha256(..)"),
            SecretHash::Sha256(_) => f.write_str("Sha256(..)"),
        }
    }
}

impl SecretHash {
    /// Parses `hmac-sha256:<hex>` or `sha256:<hex>`.
    pub fn parse(text: &str) -> Result<SecretHash, String> {
        let (algorithm, hex_digest) = text
            .split_once(':')
            .ok_or_else(|| "secret_hash must be `hmac-sha256:<hex>` or `sha256:<hex>`".to_owned())?;
        let mut digest = [0u8; 32];
        hex::decode_to_slice(hex_digest, &mut digest)
            .map_err(|_| "secret_hash digest must be 64 hex characters".to_owned())?;
        match algorithm {
            "hmac-sha256" => Ok(SecretHash::HmacSha256(digest)),
            "sha256" => Ok(SecretHash::Sha256(digest)),
            other => Err(format!("unknown secret_hash algorithm `{other}`")),
        }
    }

    pub fn to_text(&self) -> String {
        match self {
            SecretHash::HmacSha256(d) => format!("hmac-sha256:{}", hex::encode(d)),
            SecretHash::Sha256(d) => format!("sha256:{}", hex::encode(d)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    /// The key's id, stamped as `langwatch.api_key.id`.
    pub id: String,
    pub lookup_id: String,
    pub secret_hash: SecretHash,
    pub project_id: String,
    pub organization_id: String,
    /// What sends with this key (`claude_code`, `python_sdk`, ...).
    pub source: String,
    /// Template slug (`slug` or `slug@version`) applied to this key's requests.
    pub template: Option<String>,
    /// Set on a personal key: the engineer usage is attributed to.
    pub principal_id: Option<String>,
    pub permissions: Vec<String>,
    /// Projects the key's role is scoped to.
    pub projects: Vec<String>,
    pub expires_at: Option<SystemTime>,
    pub revoked_at: Option<SystemTime>,
    /// Overrides `rate_limits.spans_per_second` for this key (0 = unlimited).
    pub rate_limit_spans_per_second: Option<u64>,
    /// Overrides `rate_limits.span_burst` for this key.
    pub rate_limit_burst: Option<u64>,
}

impl KeyRecord {
    /// Ingest-only: exactly `traces:create`, on exactly the key's own project.
    pub fn is_ingest_only(&self) -> bool {
        self.permissions.len() == 1
            && self.permissions[0] == INGEST_PERMISSION
            && self.projects.len() == 1
            && self.projects[0] == self.project_id
    }

    pub fn is_revoked_at(&self, now: SystemTime) -> bool {
        self.revoked_at.is_some_and(|t| t <= now)
    }

    pub fn is_expired_at(&self, now: SystemTime) -> bool {
        self.expires_at.is_some_and(|t| t <= now)
    }
}

/// The stored form of a key record (the file source's TOML rows).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub lookup_id: String,
    pub secret_hash: String,
    pub project_id: String,
    #[serde(default)]
    pub organization_id: String,
    #[serde(default = "default_source")]
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    #[serde(default = "default_permissions")]
    pub permissions: Vec<String>,
    /// Defaults to `[project_id]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projects: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit_spans_per_second: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit_burst: Option<u64>,
}

fn default_source() -> String {
    "otel".to_owned()
}

fn default_permissions() -> Vec<String> {
    vec![INGEST_PERMISSION.to_owned()]
}

impl KeyEntry {
    pub fn into_record(self) -> Result<KeyRecord, String> {
        let secret_hash = SecretHash::parse(&self.secret_hash)?;
        if self.project_id.is_empty() {
            return Err("project_id must not be empty".to_owned());
        }
        let parse_time = |field: &str, value: &Option<String>| -> Result<Option<SystemTime>, String> {
            value
                .as_deref()
                .map(|v| {
                    humantime::parse_rfc3339_weak(v).map_err(|e| format!("{field} `{v}` is not an RFC 3339 time: {e}"))
                })
                .transpose()
        };
        Ok(KeyRecord {
            id: self.id.unwrap_or_else(|| self.lookup_id.clone()),
            expires_at: parse_time("expires_at", &self.expires_at)?,
            revoked_at: parse_time("revoked_at", &self.revoked_at)?,
            projects: self.projects.unwrap_or_else(|| vec![self.project_id.clone()]),
            lookup_id: self.lookup_id,
            secret_hash,
            project_id: self.project_id,
            organization_id: self.organization_id,
            source: self.source,
            template: self.template,
            principal_id: self.principal_id,
            permissions: self.permissions,
            rate_limit_spans_per_second: self.rate_limit_spans_per_second,
            rate_limit_burst: self.rate_limit_burst,
        })
    }
}

/// Options for a new key row.
pub struct NewKey<'a> {
    pub project_id: &'a str,
    pub organization_id: &'a str,
    pub source: &'a str,
    pub template: Option<&'a str>,
    pub principal_id: Option<&'a str>,
    pub expires_at: Option<String>,
    pub description: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> KeyEntry {
        KeyEntry {
            id: None,
            lookup_id: "ABCDEFGH12345678".into(),
            secret_hash: format!("hmac-sha256:{}", "ab".repeat(32)),
            project_id: "proj_a".into(),
            organization_id: "org".into(),
            source: "otel".into(),
            template: None,
            principal_id: None,
            permissions: default_permissions(),
            projects: None,
            expires_at: Some("2030-01-01T00:00:00Z".into()),
            revoked_at: None,
            description: None,
            rate_limit_spans_per_second: None,
            rate_limit_burst: None,
        }
    }

    #[test]
    fn entry_defaults_make_an_ingest_only_record() {
        let record = entry().into_record().unwrap();
        assert!(record.is_ingest_only());
        assert_eq!(record.id, "ABCDEFGH12345678");
        assert!(!record.is_expired_at(SystemTime::now()));
    }

    #[test]
    fn a_wider_role_is_not_ingest_only() {
        let mut e = entry();
        e.permissions.push("traces:read".into());
        assert!(!e.into_record().unwrap().is_ingest_only());
        let mut e = entry();
        e.projects = Some(vec!["proj_a".into(), "proj_b".into()]);
        assert!(!e.into_record().unwrap().is_ingest_only());
        let mut e = entry();
        e.projects = Some(vec!["proj_b".into()]);
        assert!(!e.into_record().unwrap().is_ingest_only());
    }

    #[test]
    fn bad_hashes_and_times_are_rejected_with_the_reason() {
        let mut e = entry();
        e.secret_hash = "md5:00".into();
        assert!(e.into_record().unwrap_err().contains("secret_hash"));
        let mut e = entry();
        e.expires_at = Some("tomorrow".into());
        assert!(e.into_record().unwrap_err().contains("expires_at"));
    }
}
