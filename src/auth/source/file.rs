//! The file key source: a TOML file of `[[keys]]` rows, re-read when its content changes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::file_edit::{edit_row, set_string, write_atomically};
use super::usage_file::UsageFile;
use super::{BoxFuture, Invalidation, KeyFilter, KeyInfo, KeySource, KeySourceError, KeyStore, SourceHealth};
use crate::auth::key::{format_time, KeyEntry};
use crate::auth::KeyRecord;

/// A key file larger than this is refused rather than read into memory.
const MAX_KEY_FILE_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileKeySourceConfig {
    /// The TOML key file. Default: `<data_dir>/keys.toml`.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// How often the file is checked for changes.
    #[serde(default = "default_reload_interval", with = "humantime_serde")]
    pub reload_interval: Duration,
}

fn default_reload_interval() -> Duration {
    Duration::from_secs(1)
}

impl Default for FileKeySourceConfig {
    fn default() -> Self {
        Self {
            path: None,
            reload_interval: default_reload_interval(),
        }
    }
}

/// The on-disk shape of the key file.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFile {
    #[serde(default)]
    pub keys: Vec<KeyEntry>,
}

impl KeyFile {
    /// Parses and validates every row; the first bad row fails the whole file so a
    /// typo never silently drops a key.
    pub fn parse(text: &str, path: &Path) -> Result<HashMap<String, KeyRecord>, KeySourceError> {
        let invalid = |message: String| KeySourceError::Invalid {
            path: path.display().to_string(),
            message,
        };
        let file: KeyFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let mut records = HashMap::with_capacity(file.keys.len());
        for (index, entry) in file.keys.into_iter().enumerate() {
            let lookup_id = entry.lookup_id.clone();
            let record = entry
                .into_record()
                .map_err(|m| invalid(format!("keys[{index}] (lookup_id {lookup_id}): {m}")))?;
            if records.insert(lookup_id.clone(), record).is_some() {
                return Err(invalid(format!("keys[{index}]: duplicate lookup_id {lookup_id}")));
            }
        }
        Ok(records)
    }

    /// The TOML text of one row, ready to append to a key file.
    pub fn entry_text(entry: &KeyEntry) -> Result<String, toml::ser::Error> {
        let body = toml::to_string(entry)?;
        Ok(format!("\n[[keys]]\n{body}"))
    }
}

/// Says whether a key's template (slug or slug@version) exists.
pub type TemplateCheck = Arc<dyn Fn(&str) -> bool + Send + Sync>;

pub struct FileKeySource {
    path: PathBuf,
    template_check: Option<TemplateCheck>,
    records: ArcSwap<HashMap<String, KeyRecord>>,
    /// Only the watcher touches it.
    content_digest: Mutex<[u8; 32]>,
    changes: broadcast::Sender<Invalidation>,
    lookups: AtomicU64,
    /// Writers (API, CLI) one at a time; the file is read-modify-written whole.
    write_lock: Mutex<()>,
    usage: UsageFile,
}

impl FileKeySource {
    /// Loads the file; a missing or invalid file at start is an error (fail at start,
    /// never per request).
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, KeySourceError> {
        Self::open_checked(path, None)
    }

    /// Like `open`, and keys naming a template `check` does not know are rejected at load
    /// (logged and left out), never discovered at request time.
    pub fn open_checked(path: impl Into<PathBuf>, check: Option<TemplateCheck>) -> Result<Self, KeySourceError> {
        let path = path.into();
        let text = read_capped(&path)?;
        let records = filter_templates(KeyFile::parse(&text, &path)?, check.as_ref(), &path);
        let (changes, _) = broadcast::channel(16);
        Ok(Self {
            usage: UsageFile::beside(&path),
            path,
            template_check: check,
            records: ArcSwap::from_pointee(records),
            content_digest: Mutex::new(Sha256::digest(text.as_bytes()).into()),
            changes,
            lookups: AtomicU64::new(0),
            write_lock: Mutex::new(()),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of lookups the source has answered (the cache in front should keep this low).
    pub fn lookup_count(&self) -> u64 {
        self.lookups.load(Ordering::Relaxed)
    }

    pub fn len(&self) -> usize {
        self.snapshot().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn snapshot(&self) -> Arc<HashMap<String, KeyRecord>> {
        self.records.load_full()
    }

    /// Re-reads the file; swaps the records in when the content changed and parses.
    /// Returns whether anything changed. On error the previous records keep serving.
    pub fn reload_if_changed(&self) -> Result<bool, KeySourceError> {
        let text = read_capped(&self.path)?;
        let digest: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        {
            // A poisoned lock only means a reload panicked; the digest itself is intact.
            let mut current = self.content_digest.lock().unwrap_or_else(|p| p.into_inner());
            if *current == digest {
                return Ok(false);
            }
            // Remember the digest even on failure so a broken file is reported once, not
            // on every poll.
            *current = digest;
        }
        let records = KeyFile::parse(&text, &self.path);
        let records = filter_templates(records?, self.template_check.as_ref(), &self.path);
        let count = records.len();
        self.records.store(Arc::new(records));
        let _ = self.changes.send(Invalidation::All);
        tracing::info!(message = "key file reloaded", path = %self.path.display(), keys = count);
        Ok(true)
    }

    /// Polls the file until `shutdown`; errors are logged and the old records kept.
    pub fn spawn_watcher(
        self: &Arc<Self>,
        interval: Duration,
        shutdown: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let source = Arc::clone(self);
        crate::poller::spawn_poller(interval, shutdown, move || {
            if let Err(error) = source.reload_if_changed() {
                tracing::error!(message = "key file reload failed; previous keys keep serving", %error);
            }
        })
    }
}

fn filter_templates(
    mut records: HashMap<String, KeyRecord>,
    check: Option<&TemplateCheck>,
    path: &Path,
) -> HashMap<String, KeyRecord> {
    let Some(check) = check else { return records };
    records.retain(|lookup_id, record| match &record.template {
        Some(template) if !check(template) => {
            tracing::error!(
                message = "key names a template that does not exist; key rejected",
                path = %path.display(),
                lookup_id = %lookup_id,
                template = %template
            );
            false
        }
        _ => true,
    });
    records
}

fn read_capped(path: &Path) -> Result<String, KeySourceError> {
    let io = |source| KeySourceError::Io {
        path: path.display().to_string(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.len() > MAX_KEY_FILE_BYTES {
        return Err(KeySourceError::Invalid {
            path: path.display().to_string(),
            message: format!("file is {} bytes; the limit is {MAX_KEY_FILE_BYTES}", meta.len()),
        });
    }
    std::fs::read_to_string(path).map_err(io)
}

impl KeySource for FileKeySource {
    fn lookup<'a>(&'a self, lookup_id: &'a str) -> BoxFuture<'a, Result<Option<KeyRecord>, KeySourceError>> {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let found = self.records.load().get(lookup_id).cloned();
        Box::pin(async move { Ok(found) })
    }

    fn health(&self) -> SourceHealth {
        SourceHealth::Up
    }

    fn invalidations(&self) -> Option<broadcast::Receiver<Invalidation>> {
        Some(self.changes.subscribe())
    }
}

impl FileKeySource {
    /// Reads the file (which must be valid), lets `change` edit it and say what to append,
    /// writes it back atomically and reloads, so the edit serves at once.
    fn write_with<T>(
        &self,
        change: impl FnOnce(&mut toml_edit::DocumentMut, &HashMap<String, KeyRecord>) -> Result<(T, String), KeySourceError>,
    ) -> Result<T, KeySourceError> {
        let _writer = self.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        let text = read_capped(&self.path)?;
        let current = KeyFile::parse(&text, &self.path)?;
        let mut document: toml_edit::DocumentMut =
            text.parse()
                .map_err(|e: toml_edit::TomlError| KeySourceError::Invalid {
                    path: self.path.display().to_string(),
                    message: e.to_string(),
                })?;
        let (out, appended) = change(&mut document, &current)?;
        let mut text = document.to_string();
        text.push_str(&appended);
        write_atomically(&self.path, &text).map_err(|source| KeySourceError::Io {
            path: self.path.display().to_string(),
            source,
        })?;
        self.reload_if_changed()?;
        Ok(out)
    }

    fn info(&self, record: &KeyRecord, usage: &HashMap<String, SystemTime>) -> KeyInfo {
        KeyInfo {
            record: record.clone(),
            last_used_at: usage.get(&record.id).copied(),
        }
    }

    fn find(&self, id: &str) -> Option<KeyRecord> {
        self.snapshot().values().find(|r| r.id == id).cloned()
    }
}

fn row_text(record: &KeyRecord) -> Result<String, KeySourceError> {
    KeyFile::entry_text(&KeyEntry::from_record(record)).map_err(|e| KeySourceError::Config(e.to_string()))
}

/// A new key may not reuse an id, nor take a project another organization's keys write to.
fn check_insert(current: &HashMap<String, KeyRecord>, record: &KeyRecord) -> Result<(), KeySourceError> {
    for existing in current.values() {
        if existing.id == record.id || existing.lookup_id == record.lookup_id {
            return Err(KeySourceError::Conflict(format!("key {} already exists", record.id)));
        }
        if !record.project_id.is_empty()
            && existing.project_id == record.project_id
            && existing.organization_id != record.organization_id
        {
            return Err(KeySourceError::Conflict(format!(
                "project {} belongs to another organization",
                record.project_id
            )));
        }
    }
    Ok(())
}

impl KeyStore for FileKeySource {
    fn describe(&self) -> String {
        format!("file {}", self.path.display())
    }

    fn insert<'a>(&'a self, record: &'a KeyRecord) -> BoxFuture<'a, Result<(), KeySourceError>> {
        let result = self.write_with(|_, current| {
            check_insert(current, record)?;
            Ok(((), row_text(record)?))
        });
        Box::pin(async move { result })
    }

    fn list<'a>(&'a self, filter: &'a KeyFilter) -> BoxFuture<'a, Result<Vec<KeyInfo>, KeySourceError>> {
        let usage = self.usage.load();
        let mut keys: Vec<KeyInfo> = self
            .snapshot()
            .values()
            .filter(|r| filter.matches(r))
            .map(|r| self.info(r, &usage))
            .collect();
        keys.sort_by(|a, b| (a.record.created_at, &a.record.id).cmp(&(b.record.created_at, &b.record.id)));
        Box::pin(async move { Ok(keys) })
    }

    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<KeyInfo>, KeySourceError>> {
        let found = self.find(id).map(|r| self.info(&r, &self.usage.load()));
        Box::pin(async move { Ok(found) })
    }

    fn revoke<'a>(&'a self, id: &'a str, at: SystemTime) -> BoxFuture<'a, Result<Option<KeyInfo>, KeySourceError>> {
        let result = self.write_with(|document, current| {
            let already = current.values().find(|r| r.id == id).map(|r| r.revoked_at.is_some());
            if already == Some(false) {
                edit_row(document, id, |row| set_string(row, "revoked_at", &format_time(at)));
            }
            Ok(((), String::new()))
        });
        Box::pin(async move {
            result?;
            Ok(self.find(id).map(|r| self.info(&r, &self.usage.load())))
        })
    }

    fn rotate<'a>(
        &'a self,
        id: &'a str,
        replacement: &'a KeyRecord,
        old_expires_at: SystemTime,
    ) -> BoxFuture<'a, Result<(), KeySourceError>> {
        let result = self.write_with(|document, current| {
            let old = current
                .values()
                .find(|r| r.id == id)
                .ok_or_else(|| KeySourceError::Conflict(format!("no key {id}")))?;
            check_insert(current, replacement)?;
            let expires = old.expires_at.map_or(old_expires_at, |t| t.min(old_expires_at));
            edit_row(document, id, |row| set_string(row, "expires_at", &format_time(expires)));
            Ok(((), row_text(replacement)?))
        });
        Box::pin(async move { result })
    }

    fn record_last_used<'a>(&'a self, uses: &'a [(String, SystemTime)]) -> BoxFuture<'a, Result<(), KeySourceError>> {
        let result = self.usage.merge(uses).map_err(|source| KeySourceError::Io {
            path: self.path.display().to_string(),
            source,
        });
        Box::pin(async move { result })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(lookup: &str, extra: &str) -> String {
        format!(
            "[[keys]]\nlookup_id = \"{lookup}\"\nsecret_hash = \"hmac-sha256:{}\"\nproject_id = \"p\"\n{extra}\n",
            "00".repeat(32)
        )
    }

    #[test]
    fn reload_picks_up_edits_and_keeps_old_records_on_a_broken_edit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.toml");
        std::fs::write(&path, row("AAAAAAAAAAAAAAAA", "")).unwrap();
        let source = FileKeySource::open(&path).unwrap();
        assert_eq!(source.len(), 1);
        assert!(!source.reload_if_changed().unwrap());

        std::fs::write(&path, row("AAAAAAAAAAAAAAAA", "revoked_at = \"2020-01-01T00:00:00Z\"")).unwrap();
        assert!(source.reload_if_changed().unwrap());
        assert!(source.snapshot()["AAAAAAAAAAAAAAAA"].revoked_at.is_some());

        std::fs::write(&path, "[[keys]]\nlookup_id = 3").unwrap();
        assert!(source.reload_if_changed().is_err());
        assert_eq!(source.len(), 1, "old records keep serving");
    }

    #[test]
    fn duplicate_lookup_ids_are_rejected_with_the_row() {
        let text = format!("{}{}", row("AAAAAAAAAAAAAAAA", ""), row("AAAAAAAAAAAAAAAA", ""));
        let err = KeyFile::parse(&text, Path::new("k.toml")).unwrap_err().to_string();
        assert!(err.contains("keys[1]") && err.contains("duplicate"), "{err}");
    }
}
