//! Edits to the key file that keep what an operator wrote: comments, order and layout
//! stay, only the touched row changes (through `toml_edit`).

use std::io::Write;
use std::path::Path;

use toml_edit::{value, ArrayOfTables, DocumentMut, Item, Table};

/// The key id of a row: `id`, or its `lookup_id` when it has none.
fn row_id(row: &Table) -> Option<&str> {
    row.get("id")
        .and_then(Item::as_str)
        .or_else(|| row.get("lookup_id").and_then(Item::as_str))
}

fn rows_mut(document: &mut DocumentMut) -> Option<&mut ArrayOfTables> {
    document.get_mut("keys").and_then(Item::as_array_of_tables_mut)
}

/// Finds the row of key `id` and lets `edit` change it; false when there is no such row.
pub fn edit_row(document: &mut DocumentMut, id: &str, edit: impl FnOnce(&mut Table)) -> bool {
    let Some(rows) = rows_mut(document) else {
        return false;
    };
    match rows.iter_mut().find(|row| row_id(row) == Some(id)) {
        Some(row) => {
            edit(row);
            true
        }
        None => false,
    }
}

/// Sets a string field of a row.
pub fn set_string(row: &mut Table, field: &str, text: &str) {
    row.insert(field, value(text));
}

/// Writes `text` to `path` through a temporary file and a rename, so the watcher (and a
/// crash) never sees half a file; the file keeps its permissions.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp-write");
    {
        let mut file = std::fs::File::create(&tmp)?;
        if let Ok(meta) = std::fs::metadata(path) {
            file.set_permissions(meta.permissions())?;
        }
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_changes_one_row_and_keeps_the_comments() {
        let text = "# keep me\n[[keys]]\nlookup_id = \"A\"\n# and me\n\n[[keys]]\nid = \"key_b\"\nlookup_id = \"B\"\n";
        let mut document: DocumentMut = text.parse().unwrap();
        assert!(edit_row(&mut document, "key_b", |row| set_string(
            row,
            "revoked_at",
            "2026-01-01T00:00:00Z"
        )));
        assert!(edit_row(&mut document, "A", |row| set_string(row, "name", "a")));
        assert!(!edit_row(&mut document, "nope", |_| {}));
        let out = document.to_string();
        assert!(out.starts_with("# keep me\n"), "{out}");
        assert!(out.contains("# and me"), "{out}");
        assert!(out.contains("revoked_at = \"2026-01-01T00:00:00Z\""), "{out}");
        assert_eq!(out.matches("revoked_at").count(), 1);
    }
}
