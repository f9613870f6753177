//! Ingestion keys for tests: minted, hashed with the test pepper, written to a key file.

use std::path::Path;

use intake::auth::source::KeyFile;
use intake::auth::{KeyEntry, KeyHasher, KeyPrefix};
use intake::secret::Secret;

use super::*;

/// A key row to write into the key file, with the token that goes with it.
pub struct TestKey {
    pub token: String,
    pub entry: KeyEntry,
}

impl TestKey {
    pub fn new(project: &str) -> TestKey {
        let hasher = KeyHasher::new(Secret::new(PEPPER));
        let minted = hasher.mint(KeyPrefix::Ingest);
        let entry = KeyEntry {
            id: Some(format!("key-{}", minted.lookup_id)),
            lookup_id: minted.lookup_id.clone(),
            secret_hash: minted.secret_hash.to_text(),
            project_id: project.to_owned(),
            organization_id: format!("org-of-{project}"),
            source: "e2e".to_owned(),
            template: None,
            principal_id: None,
            permissions: vec!["traces:create".to_owned()],
            projects: None,
            expires_at: None,
            revoked_at: None,
            description: None,
            rate_limit_spans_per_second: None,
            rate_limit_burst: None,
            ..Default::default()
        };
        TestKey {
            token: minted.token.expose().to_owned(),
            entry,
        }
    }

    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.token)
    }
}

pub fn write_keys(path: &Path, keys: &[&TestKey]) {
    let mut text = String::new();
    for key in keys {
        text.push_str(&KeyFile::entry_text(&key.entry).expect("key row"));
    }
    // Write-then-rename so the watcher never sees a half-written file.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).expect("write keys");
    std::fs::rename(&tmp, path).expect("rename keys");
}
