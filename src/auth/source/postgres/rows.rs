//! `intake_keys` rows ↔ key records: the column list every query selects, and the one
//! mapping of a row (a bad row is an error naming the key, never a panic).

use std::time::SystemTime;

use tokio_postgres::Row;

use crate::auth::key::SecretHash;
use crate::auth::source::KeyInfo;
use crate::auth::KeyRecord;

/// Selected in this order by every read.
pub const COLUMNS: &str = "id, lookup_id, secret_hash, name, description, organization_id, project_id, source, \
     template, principal_id, permissions, projects, rate_limit_spans_per_second, rate_limit_burst, created_at, \
     created_by, expires_at, revoked_at, rotated_from, last_used_at";

/// The insert of one key record: its columns, then its values as `$1..$19` (typed, so the
/// same values also work in an `INSERT … SELECT`).
pub const INSERT_INTO: &str = "INSERT INTO intake_keys (id, lookup_id, secret_hash, name, description, \
     organization_id, project_id, source, template, principal_id, permissions, projects, \
     rate_limit_spans_per_second, rate_limit_burst, created_at, created_by, expires_at, revoked_at, rotated_from)";
pub const INSERT_VALUES: &str = "$1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::text, \
     $9::text, $10::text, $11::text[], $12::text[], $13::bigint, $14::bigint, COALESCE($15::timestamptz, now()), \
     $16::text, $17::timestamptz, $18::timestamptz, $19::text";

/// What a row could not be read as.
#[derive(Debug)]
pub struct BadRow(pub String);

pub fn key_info(row: &Row) -> Result<KeyInfo, BadRow> {
    let id: String = get(row, "id")?;
    let hash: String = get(row, "secret_hash")?;
    let secret_hash = SecretHash::parse(&hash).map_err(|e| BadRow(format!("key {id}: {e}")))?;
    let limit = |column: &str| -> Result<Option<u64>, BadRow> {
        let value: Option<i64> = get(row, column)?;
        Ok(value.map(|v| u64::try_from(v).unwrap_or(0)))
    };
    let record = KeyRecord {
        lookup_id: get(row, "lookup_id")?,
        secret_hash,
        name: get(row, "name")?,
        description: get(row, "description")?,
        organization_id: get(row, "organization_id")?,
        project_id: get(row, "project_id")?,
        source: get(row, "source")?,
        template: get(row, "template")?,
        principal_id: get(row, "principal_id")?,
        permissions: get(row, "permissions")?,
        projects: get(row, "projects")?,
        rate_limit_spans_per_second: limit("rate_limit_spans_per_second")?,
        rate_limit_burst: limit("rate_limit_burst")?,
        created_at: get(row, "created_at")?,
        created_by: get(row, "created_by")?,
        expires_at: get(row, "expires_at")?,
        revoked_at: get(row, "revoked_at")?,
        rotated_from: get(row, "rotated_from")?,
        id,
    };
    let last_used_at: Option<SystemTime> = get(row, "last_used_at")?;
    Ok(KeyInfo { record, last_used_at })
}

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(row: &'a Row, column: &str) -> Result<T, BadRow> {
    row.try_get(column).map_err(|e| BadRow(format!("column {column}: {e}")))
}

/// The parameters of `INSERT` for `record`, owned so they outlive the call.
pub struct InsertParams {
    limits: [Option<i64>; 2],
}

impl InsertParams {
    pub fn new(record: &KeyRecord) -> Self {
        let signed = |v: Option<u64>| v.map(|v| i64::try_from(v).unwrap_or(i64::MAX));
        InsertParams {
            limits: [
                signed(record.rate_limit_spans_per_second),
                signed(record.rate_limit_burst),
            ],
        }
    }

    pub fn params<'a>(
        &'a self,
        record: &'a KeyRecord,
        hash: &'a String,
    ) -> [&'a (dyn tokio_postgres::types::ToSql + Sync); 19] {
        [
            &record.id,
            &record.lookup_id,
            hash,
            &record.name,
            &record.description,
            &record.organization_id,
            &record.project_id,
            &record.source,
            &record.template,
            &record.principal_id,
            &record.permissions,
            &record.projects,
            &self.limits[0],
            &self.limits[1],
            &record.created_at,
            &record.created_by,
            &record.expires_at,
            &record.revoked_at,
            &record.rotated_from,
        ]
    }
}
