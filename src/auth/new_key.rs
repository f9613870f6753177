//! A key about to be created: what it is for, and the record minting makes of it.

use std::time::SystemTime;

use super::credential::KeyPrefix;
use super::hasher::KeyHasher;
use super::key::{KeyRecord, INGEST_PERMISSION, MANAGE_PERMISSION};
use crate::secret::Secret;

/// What a new key may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewKeyRole {
    /// Write telemetry into this project.
    Ingest { project_id: String },
    /// Manage the ingestion keys of the organization.
    Manage,
}

#[derive(Debug, Clone)]
pub struct NewKey {
    pub role: NewKeyRole,
    pub organization_id: String,
    pub name: String,
    pub source: String,
    pub template: Option<String>,
    pub principal_id: Option<String>,
    pub description: Option<String>,
    pub expires_at: Option<SystemTime>,
    /// The management key id (or `cli`) creating it.
    pub created_by: Option<String>,
}

impl NewKey {
    pub fn ingest(project_id: &str, organization_id: &str) -> NewKey {
        NewKey {
            role: NewKeyRole::Ingest {
                project_id: project_id.to_owned(),
            },
            organization_id: organization_id.to_owned(),
            name: String::new(),
            source: "otel".to_owned(),
            template: None,
            principal_id: None,
            description: None,
            expires_at: None,
            created_by: None,
        }
    }

    pub fn manage(organization_id: &str) -> NewKey {
        NewKey {
            role: NewKeyRole::Manage,
            source: "api".to_owned(),
            ..NewKey::ingest("", organization_id)
        }
    }

    /// Mints the token and builds the record to store. The token is the only copy of the
    /// secret: the record holds its hash.
    pub fn mint(&self, hasher: &KeyHasher, now: SystemTime) -> (KeyRecord, Secret) {
        let (prefix, permission, project_id) = match &self.role {
            NewKeyRole::Ingest { project_id } => (KeyPrefix::Ingest, INGEST_PERMISSION, project_id.clone()),
            NewKeyRole::Manage => (KeyPrefix::Legacy, MANAGE_PERMISSION, String::new()),
        };
        let minted = hasher.mint(prefix);
        let projects = if project_id.is_empty() {
            Vec::new()
        } else {
            vec![project_id.clone()]
        };
        let record = KeyRecord {
            id: new_key_id(),
            lookup_id: minted.lookup_id,
            secret_hash: minted.secret_hash,
            name: self.name.clone(),
            project_id,
            organization_id: self.organization_id.clone(),
            source: self.source.clone(),
            template: self.template.clone(),
            principal_id: self.principal_id.clone(),
            permissions: vec![permission.to_owned()],
            projects,
            description: self.description.clone(),
            created_at: Some(now),
            created_by: self.created_by.clone(),
            expires_at: self.expires_at,
            revoked_at: None,
            rotated_from: None,
            rate_limit_spans_per_second: None,
            rate_limit_burst: None,
        };
        (record, minted.token)
    }
}

/// `key_` and a time-ordered uuid: unique across replicas without coordination, and
/// listing by id is listing by age.
pub fn new_key_id() -> String {
    format!("key_{}", uuid::Uuid::now_v7().simple())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::credential::parse_token;

    #[test]
    fn minted_records_have_the_role_they_were_asked_for() {
        let hasher = KeyHasher::new(Secret::new("pepper"));
        let now = SystemTime::now();
        let (ingest, token) = NewKey::ingest("proj", "org").mint(&hasher, now);
        assert!(ingest.is_ingest_only());
        assert!(token.expose().starts_with("ik-lw-"));
        let (_, lookup, secret) = parse_token(token.expose()).unwrap();
        assert_eq!(lookup, ingest.lookup_id);
        assert!(hasher.verify(&ingest.secret_hash, secret));

        let (manage, token) = NewKey::manage("org").mint(&hasher, now);
        assert!(manage.is_manage_only());
        assert!(token.expose().starts_with("sk-lw-"));
        assert_ne!(manage.id, ingest.id);
        assert!(manage.id.starts_with("key_"));
    }
}
