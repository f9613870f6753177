//! Opens the configured key store: Postgres when `[auth.postgres]` is given, else the key
//! file (created with a dev key on first `serve`). `serve` and the `key` commands share it.

use std::sync::Arc;

use thiserror::Error;
use tokio_util::sync::CancellationToken;

use super::config::IntakeConfig;
use super::embedded::{create_key_file, ensure_key_file};
use crate::auth::source::{FileKeySource, KeySourceError, KeyStore, PostgresKeyStore, TemplateCheck};
use crate::auth::KeyHasher;
use crate::secret::Secret;
use crate::telemetry::metrics;
use crate::template::{TemplateCatalog, NO_TEMPLATE};

#[derive(Debug, Error)]
pub enum KeyStoreError {
    #[error(transparent)]
    Source(#[from] KeySourceError),
    #[error("cannot create the key file {path}: {source}")]
    KeyFile { path: String, source: std::io::Error },
}

/// An opened store, and the dev key's token when `serve` just created the key file.
pub struct OpenedStore {
    pub store: Arc<dyn KeyStore>,
    pub dev_key: Option<Secret>,
}

/// Whether a key's template (slug, slug@version or `none`) exists in `catalog`.
pub fn template_check(catalog: &Arc<TemplateCatalog>) -> TemplateCheck {
    let catalog = Arc::clone(catalog);
    Arc::new(move |spec: &str| spec == NO_TEMPLATE || catalog.resolve(spec).is_some())
}

/// For `serve`: the store, with its watcher running until `shutdown`.
pub fn open_for_serve(
    config: &IntakeConfig,
    hasher: &KeyHasher,
    check: TemplateCheck,
    shutdown: &CancellationToken,
) -> Result<OpenedStore, KeyStoreError> {
    if let Some(postgres) = &config.auth.postgres {
        let store = Arc::new(PostgresKeyStore::new(postgres.clone(), Some(check))?);
        store.start(shutdown.clone());
        tracing::info!(message = "key store: postgres", database = %postgres.describe());
        return Ok(OpenedStore { store, dev_key: None });
    }
    let key_file = config.key_file_path();
    let dev_key = ensure_key_file(&key_file, hasher).map_err(|source| KeyStoreError::KeyFile {
        path: key_file.display().to_string(),
        source,
    })?;
    let store = Arc::new(FileKeySource::open_checked(&key_file, Some(check))?);
    store.spawn_watcher(config.auth.file.reload_interval, shutdown.clone());
    metrics().set_key_store_up(true);
    tracing::info!(message = "key store: file", path = %key_file.display(), keys = store.len());
    Ok(OpenedStore { store, dev_key })
}

/// For the `key` commands: the store, migrated (Postgres) or created empty (file).
pub async fn open_for_cli(config: &IntakeConfig, check: TemplateCheck) -> Result<Arc<dyn KeyStore>, KeyStoreError> {
    if let Some(postgres) = &config.auth.postgres {
        let store = PostgresKeyStore::new(postgres.clone(), Some(check))?;
        store.migrate().await?;
        return Ok(Arc::new(store));
    }
    let key_file = config.key_file_path();
    create_key_file(&key_file).map_err(|source| KeyStoreError::KeyFile {
        path: key_file.display().to_string(),
        source,
    })?;
    Ok(Arc::new(FileKeySource::open_checked(&key_file, Some(check))?))
}
