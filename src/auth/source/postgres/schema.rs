//! The key database's schema, created and migrated at start. Every replica runs this; an
//! advisory lock makes them take turns, and `intake_schema_version` records what ran, so
//! a second run (or a second replica) changes nothing.

use tokio_postgres::Client;

/// Arbitrary, fixed: the advisory lock all intake replicas migrate under.
const MIGRATION_LOCK: i64 = 0x1A7A_4E00_0000_0001;

/// Columns whose change means a cached record is stale. `last_used_at` is not one of
/// them: recording use must not invalidate every replica's cache.
const WATCHED_COLUMNS: &str = "lookup_id, secret_hash, name, project_id, organization_id, source, template, \
     principal_id, permissions, projects, expires_at, revoked_at, rate_limit_spans_per_second, rate_limit_burst";

/// The notification channel a change is announced on; the payload is the lookup id.
pub const CHANGES_CHANNEL: &str = "intake_keys";

struct Migration {
    version: i32,
    description: &'static str,
    sql: fn() -> String,
}

const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    description: "keys, projects, change notifications",
    sql: version_1,
}];

fn version_1() -> String {
    format!(
        r#"
CREATE TABLE intake_projects (
    project_id      text PRIMARY KEY,
    organization_id text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE intake_keys (
    id                          text PRIMARY KEY,
    lookup_id                   text NOT NULL UNIQUE,
    secret_hash                 text NOT NULL,
    name                        text NOT NULL DEFAULT '',
    description                 text,
    organization_id             text NOT NULL,
    project_id                  text NOT NULL DEFAULT '',
    source                      text NOT NULL DEFAULT 'otel',
    template                    text,
    principal_id                text,
    permissions                 text[] NOT NULL,
    projects                    text[] NOT NULL,
    rate_limit_spans_per_second bigint,
    rate_limit_burst            bigint,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    created_by                  text,
    expires_at                  timestamptz,
    revoked_at                  timestamptz,
    rotated_from                text,
    last_used_at                timestamptz,
    updated_at                  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX intake_keys_organization ON intake_keys (organization_id);
CREATE INDEX intake_keys_updated ON intake_keys (updated_at);

CREATE FUNCTION intake_keys_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := clock_timestamp();
    RETURN NEW;
END $$;
CREATE TRIGGER intake_keys_touch BEFORE UPDATE OF {WATCHED_COLUMNS} ON intake_keys
    FOR EACH ROW EXECUTE FUNCTION intake_keys_touch();

CREATE FUNCTION intake_keys_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('{CHANGES_CHANNEL}', OLD.lookup_id);
        RETURN OLD;
    END IF;
    PERFORM pg_notify('{CHANGES_CHANNEL}', NEW.lookup_id);
    IF TG_OP = 'UPDATE' AND OLD.lookup_id <> NEW.lookup_id THEN
        PERFORM pg_notify('{CHANGES_CHANNEL}', OLD.lookup_id);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER intake_keys_notify AFTER INSERT OR DELETE OR UPDATE OF {WATCHED_COLUMNS} ON intake_keys
    FOR EACH ROW EXECUTE FUNCTION intake_keys_notify();
"#
    )
}

/// The newest schema version this build knows.
pub fn latest_version() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Brings the schema to the newest version; returns the version found before.
pub async fn migrate(client: &mut Client) -> Result<i32, tokio_postgres::Error> {
    let transaction = client.transaction().await?;
    transaction
        .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    transaction
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS intake_schema_version (
                version     integer PRIMARY KEY,
                description text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            )",
        )
        .await?;
    let found: i32 = transaction
        .query_one("SELECT COALESCE(max(version), 0) FROM intake_schema_version", &[])
        .await?
        .get(0);
    for migration in MIGRATIONS.iter().filter(|m| m.version > found) {
        transaction.batch_execute(&(migration.sql)()).await?;
        transaction
            .execute(
                "INSERT INTO intake_schema_version (version, description) VALUES ($1, $2)",
                &[&migration.version, &migration.description],
            )
            .await?;
        tracing::info!(
            message = "key database migrated",
            version = migration.version,
            description = migration.description
        );
    }
    transaction.commit().await?;
    if found > latest_version() {
        // A newer intake migrated it (a rolling upgrade being rolled back): migrations only
        // add, so this build's queries still work.
        tracing::warn!(
            message = "key database schema is newer than this intake knows",
            found,
            known = latest_version()
        );
    }
    Ok(found)
}
