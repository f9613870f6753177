//! The key record a store returns: everything intake knows about one key, ingestion or
//! management.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

/// The one permission an ingestion key may carry.
pub const INGEST_PERMISSION: &str = "traces:create";
/// The one permission a management key carries: create, list, revoke and rotate the
/// ingestion keys of its organization.
pub const MANAGE_PERMISSION: &str = "organization:manage";

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

/// What a key may do, read off its permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// Exactly `traces:create` on exactly its own project.
    Ingest,
    /// Exactly `organization:manage`, on one organization and no project.
    Manage,
    /// Anything else: intake refuses it everywhere.
    Other,
}

/// Where a key stands at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    Active,
    Revoked,
    Expired,
}

impl KeyStatus {
    pub fn name(self) -> &'static str {
        match self {
            KeyStatus::Active => "active",
            KeyStatus::Revoked => "revoked",
            KeyStatus::Expired => "expired",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    /// The key's id, stamped as `langwatch.api_key.id` and used by the management API.
    pub id: String,
    pub lookup_id: String,
    pub secret_hash: SecretHash,
    /// A label for people (`laptop of ana`); not unique.
    pub name: String,
    /// Empty for a management key.
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
    pub description: Option<String>,
    pub created_at: Option<SystemTime>,
    /// The id of the management key (or `cli`) that created it.
    pub created_by: Option<String>,
    pub expires_at: Option<SystemTime>,
    pub revoked_at: Option<SystemTime>,
    /// The key this one replaced by rotation.
    pub rotated_from: Option<String>,
    /// Overrides `rate_limits.spans_per_second` for this key (0 = unlimited).
    pub rate_limit_spans_per_second: Option<u64>,
    /// Overrides `rate_limits.span_burst` for this key.
    pub rate_limit_burst: Option<u64>,
}

impl KeyRecord {
    /// Ingest-only: exactly `traces:create`, on exactly the key's own project.
    pub fn is_ingest_only(&self) -> bool {
        self.kind() == KeyKind::Ingest
    }

    /// Manage-only: exactly `organization:manage`, one organization, no project.
    pub fn is_manage_only(&self) -> bool {
        self.kind() == KeyKind::Manage
    }

    pub fn kind(&self) -> KeyKind {
        match self.permissions.as_slice() {
            [p] if p == INGEST_PERMISSION
                && !self.project_id.is_empty()
                && self.projects.len() == 1
                && self.projects[0] == self.project_id =>
            {
                KeyKind::Ingest
            }
            [p] if p == MANAGE_PERMISSION
                && !self.organization_id.is_empty()
                && self.project_id.is_empty()
                && self.projects.is_empty() =>
            {
                KeyKind::Manage
            }
            _ => KeyKind::Other,
        }
    }

    pub fn is_revoked_at(&self, now: SystemTime) -> bool {
        self.revoked_at.is_some_and(|t| t <= now)
    }

    pub fn is_expired_at(&self, now: SystemTime) -> bool {
        self.expires_at.is_some_and(|t| t <= now)
    }

    pub fn status_at(&self, now: SystemTime) -> KeyStatus {
        if self.is_revoked_at(now) {
            KeyStatus::Revoked
        } else if self.is_expired_at(now) {
            KeyStatus::Expired
        } else {
            KeyStatus::Active
        }
    }
}

/// The stored form of a key record (the file store's TOML rows).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub lookup_id: String,
    pub secret_hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Required for an ingestion key; absent for a management key.
    #[serde(default)]
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
    /// Defaults to `[project_id]` (none for a management key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projects: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotated_from: Option<String>,
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

/// RFC 3339 in UTC, to the second: how every stored time is written.
pub fn format_time(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}

pub fn parse_time(field: &str, value: &str) -> Result<SystemTime, String> {
    humantime::parse_rfc3339_weak(value).map_err(|e| format!("{field} `{value}` is not an RFC 3339 time: {e}"))
}

impl KeyEntry {
    pub fn into_record(self) -> Result<KeyRecord, String> {
        let secret_hash = SecretHash::parse(&self.secret_hash)?;
        let manage = self.permissions.iter().any(|p| p == MANAGE_PERMISSION);
        if manage {
            if self.organization_id.is_empty() {
                return Err("a management key needs an organization_id".to_owned());
            }
        } else if self.project_id.is_empty() {
            return Err("project_id must not be empty".to_owned());
        }
        let time = |field: &str, value: &Option<String>| value.as_deref().map(|v| parse_time(field, v)).transpose();
        let default_projects = if self.project_id.is_empty() {
            Vec::new()
        } else {
            vec![self.project_id.clone()]
        };
        Ok(KeyRecord {
            id: self.id.unwrap_or_else(|| self.lookup_id.clone()),
            created_at: time("created_at", &self.created_at)?,
            expires_at: time("expires_at", &self.expires_at)?,
            revoked_at: time("revoked_at", &self.revoked_at)?,
            projects: self.projects.unwrap_or(default_projects),
            lookup_id: self.lookup_id,
            secret_hash,
            name: self.name.unwrap_or_default(),
            project_id: self.project_id,
            organization_id: self.organization_id,
            source: self.source,
            template: self.template,
            principal_id: self.principal_id,
            permissions: self.permissions,
            description: self.description,
            created_by: self.created_by,
            rotated_from: self.rotated_from,
            rate_limit_spans_per_second: self.rate_limit_spans_per_second,
            rate_limit_burst: self.rate_limit_burst,
        })
    }

    /// The row that stores `record`.
    pub fn from_record(record: &KeyRecord) -> KeyEntry {
        let default_projects = record.project_id.is_empty() && record.projects.is_empty()
            || record.projects.len() == 1 && record.projects[0] == record.project_id;
        KeyEntry {
            id: (record.id != record.lookup_id).then(|| record.id.clone()),
            lookup_id: record.lookup_id.clone(),
            secret_hash: record.secret_hash.to_text(),
            name: (!record.name.is_empty()).then(|| record.name.clone()),
            project_id: record.project_id.clone(),
            organization_id: record.organization_id.clone(),
            source: record.source.clone(),
            template: record.template.clone(),
            principal_id: record.principal_id.clone(),
            permissions: record.permissions.clone(),
            projects: (!default_projects).then(|| record.projects.clone()),
            created_at: record.created_at.map(format_time),
            created_by: record.created_by.clone(),
            expires_at: record.expires_at.map(format_time),
            revoked_at: record.revoked_at.map(format_time),
            rotated_from: record.rotated_from.clone(),
            description: record.description.clone(),
            rate_limit_spans_per_second: record.rate_limit_spans_per_second,
            rate_limit_burst: record.rate_limit_burst,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> KeyEntry {
        KeyEntry {
            lookup_id: "ABCDEFGH12345678".into(),
            secret_hash: format!("hmac-sha256:{}", "ab".repeat(32)),
            project_id: "proj_a".into(),
            organization_id: "org".into(),
            source: "otel".into(),
            permissions: default_permissions(),
            expires_at: Some("2030-01-01T00:00:00Z".into()),
            ..Default::default()
        }
    }

    #[test]
    fn entry_defaults_make_an_ingest_only_record() {
        let record = entry().into_record().unwrap();
        assert!(record.is_ingest_only());
        assert!(!record.is_manage_only());
        assert_eq!(record.id, "ABCDEFGH12345678");
        assert!(!record.is_expired_at(SystemTime::now()));
        assert_eq!(record.status_at(SystemTime::now()), KeyStatus::Active);
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
    fn a_management_key_manages_one_organization_and_never_ingests() {
        let mut e = entry();
        e.project_id = String::new();
        e.permissions = vec![MANAGE_PERMISSION.into()];
        let record = e.clone().into_record().unwrap();
        assert_eq!(record.kind(), KeyKind::Manage);
        assert!(!record.is_ingest_only());
        // Both permissions at once is neither.
        let mut both = e.clone();
        both.permissions.push(INGEST_PERMISSION.into());
        assert_eq!(both.into_record().unwrap().kind(), KeyKind::Other);
        // A management key tied to a project is not a management key.
        let mut scoped = e.clone();
        scoped.project_id = "proj_a".into();
        assert_eq!(scoped.into_record().unwrap().kind(), KeyKind::Other);
        let mut orphan = e;
        orphan.organization_id = String::new();
        assert!(orphan.into_record().unwrap_err().contains("organization_id"));
    }

    #[test]
    fn a_record_survives_its_stored_form() {
        let mut e = entry();
        e.id = Some("key_1".into());
        e.name = Some("laptop".into());
        e.created_at = Some("2026-01-02T03:04:05Z".into());
        e.revoked_at = Some("2026-02-02T03:04:05Z".into());
        e.rotated_from = Some("key_0".into());
        let record = e.into_record().unwrap();
        let back = KeyEntry::from_record(&record).into_record().unwrap();
        assert_eq!(back, record);
        assert_eq!(back.status_at(SystemTime::now()), KeyStatus::Revoked);
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
