//! The Postgres key store: one database shared by every replica. Lookups go through a
//! small pool; a listener connection hears each key change (a trigger NOTIFYs its lookup
//! id) and a periodic resync repairs anything it missed. While the database cannot be
//! reached, lookups fail at once with `Unavailable` (the cache serves what it holds) and
//! the watcher keeps trying.

mod config;
mod health;
mod rows;
mod schema;
mod watch;

use std::future::Future;
use std::sync::Arc;
use std::time::SystemTime;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use openssl::ssl::{SslConnector, SslMethod};
use postgres_openssl::MakeTlsConnector;
use tokio::sync::broadcast;
use tokio_postgres::error::SqlState;
use tokio_util::sync::CancellationToken;

pub use config::{redact, PostgresKeyStoreConfig};
pub use schema::latest_version;

use super::{
    BoxFuture, Invalidation, KeyFilter, KeyInfo, KeySource, KeySourceError, KeyStore, SourceHealth, TemplateCheck,
};
use crate::auth::KeyRecord;
use health::StoreHealth;
use rows::{key_info, InsertParams, COLUMNS, INSERT_INTO, INSERT_VALUES};

pub struct PostgresKeyStore {
    config: PostgresKeyStoreConfig,
    connection: tokio_postgres::Config,
    tls: MakeTlsConnector,
    pool: Pool,
    health: StoreHealth,
    changes: broadcast::Sender<Invalidation>,
    template_check: Option<TemplateCheck>,
}

/// Why a query failed, before it becomes a `KeySourceError`.
enum QueryError {
    Pool(String),
    Postgres(tokio_postgres::Error),
    Timeout,
    BadRow(String),
}

impl From<tokio_postgres::Error> for QueryError {
    fn from(error: tokio_postgres::Error) -> Self {
        QueryError::Postgres(error)
    }
}

impl From<rows::BadRow> for QueryError {
    fn from(error: rows::BadRow) -> Self {
        QueryError::BadRow(error.0)
    }
}

impl PostgresKeyStore {
    /// Builds the pool and TLS settings; connects nothing yet (`start` and `migrate` do).
    pub fn new(config: PostgresKeyStoreConfig, template_check: Option<TemplateCheck>) -> Result<Self, KeySourceError> {
        config.validate().map_err(|e| KeySourceError::Config(e.to_string()))?;
        let connection = config.connection().map_err(|e| KeySourceError::Config(e.to_string()))?;
        let tls = tls_connector(&config)?;
        let manager = Manager::from_config(
            connection.clone(),
            tls.clone(),
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(config.pool_size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(config.query_timeout))
            .create_timeout(Some(config.connect_timeout))
            .recycle_timeout(Some(config.query_timeout))
            .build()
            .map_err(|e| KeySourceError::Config(e.to_string()))?;
        let (changes, _) = broadcast::channel(1024);
        Ok(Self {
            config,
            connection,
            tls,
            pool,
            health: StoreHealth::new(),
            changes,
            template_check,
        })
    }

    /// Creates or migrates the schema (idempotent; replicas take turns).
    pub async fn migrate(&self) -> Result<i32, KeySourceError> {
        let result = self
            .timed(async {
                let mut client = self.client().await?;
                let found = schema::migrate(&mut client).await?;
                Ok(found)
            })
            .await;
        if result.is_ok() {
            self.health.up();
        }
        result
    }

    /// Starts the watcher: migrate (retrying until the database answers), then listen for
    /// changes and resync, until `shutdown`.
    pub fn start(self: &Arc<Self>, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
        tokio::spawn(watch::run(Arc::clone(self), shutdown))
    }

    async fn client(&self) -> Result<Object, QueryError> {
        self.pool.get().await.map_err(|e| QueryError::Pool(error_chain(&e)))
    }

    /// Runs a query under `query_timeout` and sorts its failure: a database that cannot be
    /// reached marks the store down; a refused write is a conflict.
    async fn timed<T>(&self, work: impl Future<Output = Result<T, QueryError>>) -> Result<T, KeySourceError> {
        let outcome = match tokio::time::timeout(self.config.query_timeout, work).await {
            Ok(outcome) => outcome,
            Err(_) => Err(QueryError::Timeout),
        };
        outcome.map_err(|error| match error {
            QueryError::Postgres(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                KeySourceError::Conflict("a key with that id already exists".to_owned())
            }
            QueryError::BadRow(message) => KeySourceError::Invalid {
                path: self.config.describe(),
                message,
            },
            other => {
                let message = match other {
                    QueryError::Pool(m) => m,
                    QueryError::Postgres(e) => postgres_error_text(&e),
                    _ => format!("no answer within {:?}", self.config.query_timeout),
                };
                self.health.down(&message);
                KeySourceError::Unavailable(message)
            }
        })
    }

    /// Fails at once while the database is known to be unreachable: the watcher probes,
    /// requests never wait for a timeout.
    fn ensure_reachable(&self) -> Result<(), KeySourceError> {
        if self.health.is_reachable() {
            return Ok(());
        }
        let reason = match self.health.snapshot() {
            SourceHealth::Starting(e) => format!("not connected yet: {e}"),
            SourceHealth::Down { error, .. } => error,
            SourceHealth::Up => String::new(),
        };
        Err(KeySourceError::Unavailable(reason))
    }

    async fn select(&self, condition: &str, value: &str) -> Result<Option<KeyInfo>, KeySourceError> {
        let sql = format!("SELECT {COLUMNS} FROM intake_keys WHERE {condition} = $1");
        let info = self
            .timed(async {
                let client = self.client().await?;
                let statement = client.prepare_cached(&sql).await?;
                let row = client.query_opt(&statement, &[&value]).await?;
                Ok(row.map(|r| key_info(&r)).transpose()?)
            })
            .await?;
        self.health.up();
        Ok(info)
    }

    /// Keys whose template the catalog does not know are refused, as the file store
    /// refuses them at load.
    fn admit_template(&self, record: KeyRecord) -> Option<KeyRecord> {
        match (&record.template, &self.template_check) {
            (Some(template), Some(check)) if !check(template) => {
                tracing::error!(
                    message = "key names a template that does not exist; key rejected",
                    key = %record.id,
                    template = %template
                );
                None
            }
            _ => Some(record),
        }
    }
}

fn postgres_error_text(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => error_chain(error),
    }
}

/// An error and its causes, `: `-joined: "error performing TLS handshake" alone does not
/// say that the certificate was not trusted.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn tls_connector(config: &PostgresKeyStoreConfig) -> Result<MakeTlsConnector, KeySourceError> {
    let tls_error = |e: openssl::error::ErrorStack| KeySourceError::Config(format!("auth.postgres TLS: {e}"));
    let mut builder = SslConnector::builder(SslMethod::tls()).map_err(tls_error)?;
    if let Some(ca) = &config.tls_ca_file {
        builder.set_ca_file(ca).map_err(tls_error)?;
    }
    Ok(MakeTlsConnector::new(builder.build()))
}

impl KeySource for PostgresKeyStore {
    fn lookup<'a>(&'a self, lookup_id: &'a str) -> BoxFuture<'a, Result<Option<KeyRecord>, KeySourceError>> {
        Box::pin(async move {
            self.ensure_reachable()?;
            let found = self.select("lookup_id", lookup_id).await?;
            Ok(found.and_then(|info| self.admit_template(info.record)))
        })
    }

    fn health(&self) -> SourceHealth {
        self.health.snapshot()
    }

    fn is_reachable(&self) -> bool {
        self.health.is_reachable()
    }

    fn invalidations(&self) -> Option<broadcast::Receiver<Invalidation>> {
        Some(self.changes.subscribe())
    }
}

/// A new ingestion key claims its project for its organization; a project another
/// organization claimed inserts nothing. One statement, so two replicas cannot both win.
const CLAIM_AND_INSERT: &str = "WITH claim AS (
        INSERT INTO intake_projects (project_id, organization_id)
        SELECT $7::text, $6::text WHERE $7::text <> ''
        ON CONFLICT (project_id) DO NOTHING
        RETURNING organization_id
    ), owner AS (
        SELECT organization_id FROM claim
        UNION ALL SELECT organization_id FROM intake_projects WHERE project_id = $7
    )
    ";

impl KeyStore for PostgresKeyStore {
    fn describe(&self) -> String {
        self.config.describe()
    }

    fn insert<'a>(&'a self, record: &'a KeyRecord) -> BoxFuture<'a, Result<(), KeySourceError>> {
        Box::pin(async move {
            let sql = format!(
                "{CLAIM_AND_INSERT}{INSERT_INTO} SELECT {INSERT_VALUES} \
                 WHERE $7::text = '' OR $6::text = (SELECT organization_id FROM owner LIMIT 1)"
            );
            let params = InsertParams::new(record);
            let hash = record.secret_hash.to_text();
            let inserted = self
                .timed(async {
                    let client = self.client().await?;
                    Ok(client.execute(&sql, &params.params(record, &hash)).await?)
                })
                .await?;
            if inserted == 0 {
                return Err(KeySourceError::Conflict(format!(
                    "project {} belongs to another organization",
                    record.project_id
                )));
            }
            Ok(())
        })
    }

    fn list<'a>(&'a self, filter: &'a KeyFilter) -> BoxFuture<'a, Result<Vec<KeyInfo>, KeySourceError>> {
        Box::pin(async move {
            let sql = format!(
                "SELECT {COLUMNS} FROM intake_keys WHERE ($1::text IS NULL OR organization_id = $1) \
                 AND ($2::text IS NULL OR project_id = $2) ORDER BY created_at, id"
            );
            self.timed(async {
                let client = self.client().await?;
                let rows = client
                    .query(&sql, &[&filter.organization_id, &filter.project_id])
                    .await?;
                Ok(rows.iter().map(key_info).collect::<Result<Vec<_>, _>>()?)
            })
            .await
        })
    }

    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<KeyInfo>, KeySourceError>> {
        Box::pin(self.select("id", id))
    }

    fn revoke<'a>(&'a self, id: &'a str, at: SystemTime) -> BoxFuture<'a, Result<Option<KeyInfo>, KeySourceError>> {
        Box::pin(async move {
            // Only a live key is touched: revoking twice fires no second notification and
            // keeps the first time.
            self.timed(async {
                let client = self.client().await?;
                client
                    .execute(
                        "UPDATE intake_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                        &[&id, &at],
                    )
                    .await?;
                Ok(())
            })
            .await?;
            self.select("id", id).await
        })
    }

    fn rotate<'a>(
        &'a self,
        id: &'a str,
        replacement: &'a KeyRecord,
        old_expires_at: SystemTime,
    ) -> BoxFuture<'a, Result<(), KeySourceError>> {
        Box::pin(async move {
            let params = InsertParams::new(replacement);
            let hash = replacement.secret_hash.to_text();
            let updated = self
                .timed(async {
                    let mut client = self.client().await?;
                    let transaction = client.transaction().await?;
                    let updated = transaction
                        .execute(
                            "UPDATE intake_keys SET expires_at = LEAST(COALESCE(expires_at, $2), $2) \
                             WHERE id = $1 AND revoked_at IS NULL",
                            &[&id, &old_expires_at],
                        )
                        .await?;
                    if updated == 1 {
                        let insert = format!("{INSERT_INTO} VALUES ({INSERT_VALUES})");
                        transaction.execute(&insert, &params.params(replacement, &hash)).await?;
                        transaction.commit().await?;
                    }
                    Ok(updated)
                })
                .await?;
            if updated == 0 {
                return Err(KeySourceError::Conflict(format!("key {id} is revoked or gone")));
            }
            Ok(())
        })
    }

    fn record_last_used<'a>(&'a self, uses: &'a [(String, SystemTime)]) -> BoxFuture<'a, Result<(), KeySourceError>> {
        Box::pin(async move {
            if uses.is_empty() {
                return Ok(());
            }
            let ids: Vec<&str> = uses.iter().map(|(id, _)| id.as_str()).collect();
            let times: Vec<SystemTime> = uses.iter().map(|(_, at)| *at).collect();
            self.ensure_reachable()?;
            self.timed(async {
                let client = self.client().await?;
                client
                    .execute(
                        "UPDATE intake_keys AS k SET last_used_at = u.at \
                         FROM unnest($1::text[], $2::timestamptz[]) AS u(id, at) \
                         WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)",
                        &[&ids, &times],
                    )
                    .await?;
                Ok(())
            })
            .await
        })
    }
}
