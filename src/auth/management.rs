//! `KeyAdmin`: creating, listing, revoking and rotating keys, over whichever store is
//! configured. The HTTP API calls it scoped to the management key's organization (other
//! organizations' keys do not exist for it); the CLI calls it as the operator.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use thiserror::Error;

use super::new_key::{NewKey, NewKeyRole};
use super::source::{KeyFilter, KeyInfo, KeySourceError, KeyStore, TemplateCheck};
use super::KeyHasher;
use crate::secret::Secret;

/// Who is asking.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// A management key: only the ingestion keys of this organization exist for it.
    Organization(&'a str),
    /// The operator at the CLI: every key.
    Operator,
}

impl Scope<'_> {
    fn sees(&self, info: &KeyInfo) -> bool {
        match self {
            Scope::Organization(org) => info.record.organization_id == *org && info.record.is_ingest_only(),
            Scope::Operator => true,
        }
    }
}

#[derive(Debug, Error)]
pub enum ManageError {
    #[error("no key `{0}`")]
    NotFound(String),
    #[error("`{field}`: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(KeySourceError),
}

impl From<KeySourceError> for ManageError {
    fn from(error: KeySourceError) -> Self {
        match error {
            KeySourceError::Conflict(message) => ManageError::Conflict(message),
            other => ManageError::Store(other),
        }
    }
}

/// A key just created: its stored form and the token, which exists only here.
pub struct CreatedKey {
    pub key: KeyInfo,
    pub token: Secret,
}

pub struct KeyAdmin {
    store: Arc<dyn KeyStore>,
    hasher: KeyHasher,
    templates: Option<TemplateCheck>,
    rotation_grace: Duration,
}

const MAX_TEXT: usize = 256;

fn invalid(field: &'static str, message: impl Into<String>) -> ManageError {
    ManageError::Invalid {
        field,
        message: message.into(),
    }
}

/// Ids and names reach logs, headers and resource attributes: printable, bounded.
fn check_text(field: &'static str, value: &str, required: bool) -> Result<(), ManageError> {
    if required && value.trim().is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if value.len() > MAX_TEXT {
        return Err(invalid(field, format!("must be at most {MAX_TEXT} bytes")));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(field, "must not contain control characters"));
    }
    Ok(())
}

impl KeyAdmin {
    pub fn new(
        store: Arc<dyn KeyStore>,
        hasher: KeyHasher,
        templates: Option<TemplateCheck>,
        rotation_grace: Duration,
    ) -> Self {
        Self {
            store,
            hasher,
            templates,
            rotation_grace,
        }
    }

    pub fn store(&self) -> &Arc<dyn KeyStore> {
        &self.store
    }

    fn validate(&self, new: &NewKey, now: SystemTime) -> Result<(), ManageError> {
        if let NewKeyRole::Ingest { project_id } = &new.role {
            check_text("projectId", project_id, true)?;
        }
        // A single box's keys may leave the organization out; a management key is its
        // organization.
        check_text("organizationId", &new.organization_id, new.role == NewKeyRole::Manage)?;
        check_text("name", &new.name, false)?;
        check_text("source", &new.source, true)?;
        for (field, value) in [("principalId", &new.principal_id), ("description", &new.description)] {
            if let Some(value) = value {
                check_text(field, value, true)?;
            }
        }
        if let Some(template) = &new.template {
            check_text("template", template, true)?;
            if let Some(check) = &self.templates {
                if !check(template) {
                    return Err(invalid("template", format!("no template `{template}` in the catalog")));
                }
            }
        }
        if new.expires_at.is_some_and(|t| t <= now) {
            return Err(invalid("expiresAt", "must be in the future"));
        }
        Ok(())
    }

    /// Mints and stores a key. In an organization's scope the key belongs to that
    /// organization and can only be an ingestion key.
    pub async fn create(&self, scope: Scope<'_>, mut new: NewKey) -> Result<CreatedKey, ManageError> {
        if let Scope::Organization(org) = scope {
            org.clone_into(&mut new.organization_id);
            if new.role == NewKeyRole::Manage {
                return Err(invalid("role", "the API creates ingestion keys only"));
            }
        }
        let now = SystemTime::now();
        self.validate(&new, now)?;
        let (record, token) = new.mint(&self.hasher, now);
        self.store.insert(&record).await.map_err(|error| match error {
            // Another organization's project does not exist for this one.
            KeySourceError::Conflict(_) if matches!(scope, Scope::Organization(_)) => invalid(
                "projectId",
                format!("project `{}` is not in this organization", record.project_id),
            ),
            other => other.into(),
        })?;
        Ok(CreatedKey {
            key: KeyInfo {
                record,
                last_used_at: None,
            },
            token,
        })
    }

    pub async fn list(&self, scope: Scope<'_>, mut filter: KeyFilter) -> Result<Vec<KeyInfo>, ManageError> {
        if let Scope::Organization(org) = scope {
            filter.organization_id = Some(org.to_owned());
        }
        let keys = self.store.list(&filter).await?;
        Ok(keys.into_iter().filter(|k| scope.sees(k)).collect())
    }

    pub async fn get(&self, scope: Scope<'_>, id: &str) -> Result<KeyInfo, ManageError> {
        match self.store.get(id).await? {
            Some(info) if scope.sees(&info) => Ok(info),
            _ => Err(ManageError::NotFound(id.to_owned())),
        }
    }

    /// Revokes at once and for good; revoking a revoked key changes nothing.
    pub async fn revoke(&self, scope: Scope<'_>, id: &str) -> Result<KeyInfo, ManageError> {
        self.get(scope, id).await?;
        self.store
            .revoke(id, SystemTime::now())
            .await?
            .ok_or_else(|| ManageError::NotFound(id.to_owned()))
    }

    /// A new token for the same key settings; the old token keeps working for `grace`
    /// (default `auth.rotation_grace`), then expires.
    pub async fn rotate(
        &self,
        scope: Scope<'_>,
        id: &str,
        grace: Option<Duration>,
        actor: &str,
    ) -> Result<(KeyInfo, CreatedKey), ManageError> {
        let old = self.get(scope, id).await?;
        let now = SystemTime::now();
        if old.record.status_at(now) != super::KeyStatus::Active {
            return Err(ManageError::Conflict(format!(
                "key `{id}` is {} and cannot be rotated",
                old.record.status_at(now).name()
            )));
        }
        let role = if old.record.is_manage_only() {
            NewKeyRole::Manage
        } else {
            NewKeyRole::Ingest {
                project_id: old.record.project_id.clone(),
            }
        };
        let new = NewKey {
            role,
            organization_id: old.record.organization_id.clone(),
            name: old.record.name.clone(),
            source: old.record.source.clone(),
            template: old.record.template.clone(),
            principal_id: old.record.principal_id.clone(),
            description: old.record.description.clone(),
            expires_at: old.record.expires_at,
            created_by: Some(actor.to_owned()),
        };
        let (mut record, token) = new.mint(&self.hasher, now);
        record.rotated_from = Some(old.record.id.clone());
        record.rate_limit_spans_per_second = old.record.rate_limit_spans_per_second;
        record.rate_limit_burst = old.record.rate_limit_burst;
        let grace = grace.unwrap_or(self.rotation_grace);
        self.store.rotate(id, &record, now + grace).await?;
        let old = self.get(Scope::Operator, id).await?;
        Ok((
            old,
            CreatedKey {
                key: KeyInfo {
                    record,
                    last_used_at: None,
                },
                token,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::source::FileKeySource;

    fn admin(dir: &std::path::Path) -> KeyAdmin {
        let path = dir.join("keys.toml");
        std::fs::write(&path, "# operator comment\n").unwrap();
        let store = Arc::new(FileKeySource::open(&path).unwrap());
        let check: TemplateCheck = Arc::new(|t: &str| t == "openinference");
        KeyAdmin::new(
            store,
            KeyHasher::new(Secret::new("pepper")),
            Some(check),
            Duration::from_secs(60),
        )
    }

    #[tokio::test]
    async fn an_organization_sees_creates_and_revokes_only_its_own_keys() {
        let dir = tempfile::tempdir().unwrap();
        let admin = admin(dir.path());
        let mut new = NewKey::ingest("proj_a", "ignored");
        new.template = Some("openinference".into());
        let created = admin.create(Scope::Organization("org_a"), new).await.unwrap();
        assert_eq!(created.key.record.organization_id, "org_a");
        assert!(created.token.expose().starts_with("ik-lw-"));
        let id = created.key.record.id.clone();

        // org_b cannot see it, revoke it, or take its project.
        assert!(matches!(
            admin.get(Scope::Organization("org_b"), &id).await,
            Err(ManageError::NotFound(_))
        ));
        assert!(matches!(
            admin.revoke(Scope::Organization("org_b"), &id).await,
            Err(ManageError::NotFound(_))
        ));
        assert!(admin
            .list(Scope::Organization("org_b"), KeyFilter::default())
            .await
            .unwrap()
            .is_empty());
        let stolen = admin
            .create(Scope::Organization("org_b"), NewKey::ingest("proj_a", ""))
            .await;
        assert!(matches!(stolen, Err(ManageError::Invalid { field: "projectId", .. })));

        let revoked = admin.revoke(Scope::Organization("org_a"), &id).await.unwrap();
        let at = revoked.record.revoked_at.unwrap();
        let again = admin.revoke(Scope::Organization("org_a"), &id).await.unwrap();
        assert_eq!(again.record.revoked_at, Some(at), "revoking twice keeps the first time");
        let text = std::fs::read_to_string(dir.path().join("keys.toml")).unwrap();
        assert!(text.starts_with("# operator comment\n"), "{text}");
        assert!(!text.contains(created.token.expose()));
    }

    #[tokio::test]
    async fn bad_fields_are_named_and_unknown_templates_refused() {
        let dir = tempfile::tempdir().unwrap();
        let admin = admin(dir.path());
        let mut new = NewKey::ingest("proj_a", "");
        new.template = Some("nope".into());
        let err = admin.create(Scope::Organization("org"), new).await.err().unwrap();
        assert!(matches!(err, ManageError::Invalid { field: "template", .. }), "{err}");
        let mut new = NewKey::ingest("", "");
        new.name = "x".into();
        let err = admin.create(Scope::Organization("org"), new).await.err().unwrap();
        assert!(matches!(err, ManageError::Invalid { field: "projectId", .. }), "{err}");
        let mut new = NewKey::ingest("p", "");
        new.expires_at = Some(SystemTime::now() - Duration::from_secs(1));
        let err = admin.create(Scope::Organization("org"), new).await.err().unwrap();
        assert!(matches!(err, ManageError::Invalid { field: "expiresAt", .. }), "{err}");
        let err = admin
            .create(Scope::Organization("org"), NewKey::manage("org"))
            .await
            .err()
            .unwrap();
        assert!(matches!(err, ManageError::Invalid { field: "role", .. }), "{err}");
    }

    #[tokio::test]
    async fn rotation_keeps_the_settings_and_expires_the_old_key_after_the_grace() {
        let dir = tempfile::tempdir().unwrap();
        let admin = admin(dir.path());
        let mut new = NewKey::ingest("proj_a", "");
        new.name = "ci".into();
        let created = admin.create(Scope::Organization("org"), new).await.unwrap();
        let id = created.key.record.id.clone();
        let before = SystemTime::now();
        let (old, fresh) = admin
            .rotate(
                Scope::Organization("org"),
                &id,
                Some(Duration::from_secs(30)),
                "key_admin",
            )
            .await
            .unwrap();
        let expires = old.record.expires_at.unwrap();
        assert!(expires > before && expires <= SystemTime::now() + Duration::from_secs(31));
        assert_eq!(fresh.key.record.name, "ci");
        assert_eq!(fresh.key.record.project_id, "proj_a");
        assert_eq!(fresh.key.record.rotated_from.as_deref(), Some(id.as_str()));
        assert_ne!(fresh.token.expose(), created.token.expose());
        admin.revoke(Scope::Organization("org"), &id).await.unwrap();
        assert!(matches!(
            admin.rotate(Scope::Organization("org"), &id, None, "key_admin").await,
            Err(ManageError::Conflict(_))
        ));
    }
}
