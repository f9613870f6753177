//! When the file store's keys were last used: a JSON map beside the key file
//! (`keys.last_used.json`), so usage never rewrites the file operators edit (and never
//! makes the watcher reload it).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::file_edit::write_atomically;
use crate::auth::key::{format_time, parse_time};

pub struct UsageFile {
    path: PathBuf,
}

impl UsageFile {
    pub fn beside(key_file: &Path) -> UsageFile {
        UsageFile {
            path: key_file.with_extension("last_used.json"),
        }
    }

    /// Key id → last use. A missing or unreadable file is no usage yet, not an error:
    /// the file is a convenience, and the next write repairs it.
    pub fn load(&self) -> HashMap<String, SystemTime> {
        let Ok(text) = std::fs::read_to_string(&self.path) else {
            return HashMap::new();
        };
        let Ok(map) = serde_json::from_str::<HashMap<String, String>>(&text) else {
            tracing::warn!(message = "ignoring an unreadable last-used file", path = %self.path.display());
            return HashMap::new();
        };
        map.into_iter()
            .filter_map(|(id, time)| parse_time("last_used_at", &time).ok().map(|t| (id, t)))
            .collect()
    }

    /// Merges `uses` in (a later time wins) and writes the file.
    pub fn merge(&self, uses: &[(String, SystemTime)]) -> std::io::Result<()> {
        let mut map = self.load();
        for (id, at) in uses {
            let entry = map.entry(id.clone()).or_insert(*at);
            if *at > *entry {
                *entry = *at;
            }
        }
        let text: HashMap<&str, String> = map.iter().map(|(id, at)| (id.as_str(), format_time(*at))).collect();
        let json = serde_json::to_string_pretty(&text).map_err(std::io::Error::other)?;
        write_atomically(&self.path, &json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn later_uses_win_and_survive_a_reload() {
        let dir = tempfile::tempdir().unwrap();
        let usage = UsageFile::beside(&dir.path().join("keys.toml"));
        assert!(usage.load().is_empty());
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let t1 = t0 + Duration::from_secs(60);
        usage.merge(&[("a".into(), t1)]).unwrap();
        usage.merge(&[("a".into(), t0), ("b".into(), t0)]).unwrap();
        let map = usage.load();
        assert_eq!(map["a"], t1);
        assert_eq!(map["b"], t0);
        assert!(dir.path().join("keys.last_used.json").is_file());
    }
}
