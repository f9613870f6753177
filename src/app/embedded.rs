//! The embedded defaults that let `intake serve` run with no config: a generated pepper
//! and a key file with one freshly minted dev key, both under the data directory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::auth::source::KeyFile;
use crate::auth::{KeyEntry, KeyHasher, NewKey};
use crate::secret::Secret;

pub const DEV_PROJECT: &str = "dev-project";
pub const DEV_ORGANIZATION: &str = "dev-organization";

/// The configured pepper, or the one in `<data_dir>/pepper` (created on first use).
/// Returns whether it came from the data directory, so `serve` can warn about it.
pub fn resolve_pepper(configured: Option<&Secret>, data_dir: &Path) -> std::io::Result<(Secret, Option<PathBuf>)> {
    if let Some(pepper) = configured.filter(|p| !p.is_empty()) {
        return Ok((pepper.clone(), None));
    }
    let path = data_dir.join("pepper");
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.trim().is_empty() => return Ok((Secret::new(text.trim()), Some(path))),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    std::fs::create_dir_all(data_dir)?;
    let pepper = hex::encode(rand::random::<[u8; 32]>());
    write_private(&path, pepper.as_bytes())?;
    Ok((Secret::new(pepper), Some(path)))
}

/// Creates a file readable only by its owner.
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)
}

const KEY_FILE_HEADER: &str = "\
# intake key store. Secrets are never stored: secret_hash is HMAC-SHA256(key = pepper,
# message = secret). Edit freely: intake reloads this file while it runs. Revoke a key
# by adding `revoked_at = \"2025-01-01T00:00:00Z\"` to its row (or `intake key revoke ID`).
";

/// Creates an empty key file (a header, no keys) when there is none, so the file store
/// can open it.
pub fn create_key_file(key_file: &Path) -> std::io::Result<bool> {
    if key_file.exists() {
        return Ok(false);
    }
    if let Some(parent) = key_file.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create_new(true)
        .write(true)
        .open(key_file)?;
    file.write_all(KEY_FILE_HEADER.as_bytes())?;
    file.sync_all()?;
    Ok(true)
}

/// Ensures the key file exists; when it does not, creates it with one dev key and returns
/// that key's token so `serve` can print it once (the only copy of the secret).
pub fn ensure_key_file(key_file: &Path, hasher: &KeyHasher) -> std::io::Result<Option<Secret>> {
    if !create_key_file(key_file)? {
        return Ok(None);
    }
    let mut dev = NewKey::ingest(DEV_PROJECT, DEV_ORGANIZATION);
    dev.source = "dev".to_owned();
    dev.name = "dev key".to_owned();
    dev.description = Some("dev key created by `intake serve`".to_owned());
    dev.created_by = Some("intake serve".to_owned());
    let (record, token) = dev.mint(hasher, SystemTime::now());
    let row = KeyFile::entry_text(&KeyEntry::from_record(&record)).map_err(std::io::Error::other)?;
    let mut file = std::fs::OpenOptions::new().append(true).open(key_file)?;
    file.write_all(row.as_bytes())?;
    file.sync_all()?;
    Ok(Some(token))
}

/// The lines a user pastes to point an OpenTelemetry SDK at intake.
pub fn exporter_env_lines(http_endpoint: &str, token: &Secret) -> String {
    format!(
        "export OTEL_EXPORTER_OTLP_ENDPOINT={http_endpoint}\n\
         export OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf\n\
         export OTEL_EXPORTER_OTLP_HEADERS=\"Authorization=Bearer {}\"\n",
        token.expose()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::source::FileKeySource;
    use crate::auth::KeyRecord;

    #[test]
    fn dev_store_is_created_once_and_its_key_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let (pepper, from) = resolve_pepper(None, dir.path()).unwrap();
        assert!(from.is_some());
        let (again, _) = resolve_pepper(None, dir.path()).unwrap();
        assert_eq!(pepper.expose(), again.expose(), "pepper is stable across starts");
        let hasher = KeyHasher::new(pepper);
        let key_file = dir.path().join("keys.toml");
        let token = ensure_key_file(&key_file, &hasher).unwrap().unwrap();
        assert!(ensure_key_file(&key_file, &hasher).unwrap().is_none());
        let text = std::fs::read_to_string(&key_file).unwrap();
        assert!(!text.contains(token.expose()), "the token is never stored");
        let source = FileKeySource::open(&key_file).unwrap();
        assert_eq!(source.len(), 1);
        let records = KeyFile::parse(&text, &key_file).unwrap();
        let (_, lookup_id, secret) = crate::auth::parse_token(token.expose()).unwrap();
        let record: &KeyRecord = &records[lookup_id];
        assert!(hasher.verify(&record.secret_hash, secret));
        assert_eq!(record.project_id, DEV_PROJECT);
    }
}
