//! Builds the runtime objects from a validated config and runs them until shutdown.

use std::net::SocketAddr;
use std::sync::Arc;

use thiserror::Error;
use tokio_util::sync::CancellationToken;

use super::config::IntakeConfig;
use super::embedded::{exporter_env_lines, resolve_pepper, DEV_PROJECT};
use super::key_store::{open_for_serve, template_check, KeyStoreError};
use crate::auth::source::KeySource;
use crate::auth::{Authenticator, KeyAdmin, KeyCache, KeyHasher, UsageRecorder};
use crate::otlp::Signal;
use crate::pipeline::Pipeline;
use crate::server::{AppState, Server, TrustedProxies};
use crate::sink::file::FileSink;
use crate::sink::kafka::KafkaSink;
use crate::sink::Sink;
use crate::template::{TemplateCatalog, TemplateError};

#[derive(Debug, Error)]
pub enum ServeError {
    #[error("pepper: {0}")]
    Pepper(std::io::Error),
    #[error(transparent)]
    KeyStore(#[from] KeyStoreError),
    #[error("kafka producer: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    #[error("file sink {path}: {source}")]
    FileSink { path: String, source: std::io::Error },
    #[error("{0}")]
    Listen(std::io::Error),
    #[error("templates: {0}")]
    Templates(#[from] TemplateError),
}

/// Runs intake until `shutdown` is cancelled, then drains and flushes.
pub async fn serve(config: IntakeConfig, shutdown: CancellationToken) -> Result<(), ServeError> {
    let (pepper, pepper_file) =
        resolve_pepper(config.auth.pepper.as_ref(), &config.data_dir).map_err(ServeError::Pepper)?;
    if let Some(path) = pepper_file {
        tracing::warn!(
            message = "using the pepper generated in the data directory; set auth.pepper (INTAKE_AUTH__PEPPER) in production",
            path = %path.display()
        );
    }
    let hasher = KeyHasher::new(pepper);

    let templates = Arc::new(TemplateCatalog::load(&config.templates)?);
    templates.spawn_watcher(config.templates.reload_interval, shutdown.clone());
    if templates.resolve(&config.templates.default).is_none() {
        tracing::warn!(message = "default template not found; keys without a template pass untransformed", template = %config.templates.default);
    }
    let check = template_check(&templates);
    let opened = open_for_serve(&config, &hasher, Arc::clone(&check), &shutdown)?;
    let dev_key = opened.dev_key;
    let store = opened.store;
    let cache = KeyCache::new(Arc::clone(&store) as Arc<dyn KeySource>, &config.auth.cache);
    // Stopped after the listeners drain, so the last requests' uses are written too.
    let usage_stop = CancellationToken::new();
    let usage = Arc::new(UsageRecorder::new(config.auth.last_used_interval));
    let usage_task = usage.spawn_flusher(Arc::clone(&store), usage_stop.clone());
    let keys = Arc::new(KeyAdmin::new(
        store,
        hasher.clone(),
        Some(check),
        config.auth.rotation_grace,
    ));

    let sink = open_sink(&config, &shutdown).await?;

    let pipeline = Arc::new(Pipeline::new(
        Authenticator::new(cache, hasher).with_usage(usage),
        Arc::clone(&sink),
        config.limits.clone(),
        templates,
        config.templates.default.clone(),
        config.rate_limits.clone(),
    ));
    let server = Server::bind(&config.server).await.map_err(ServeError::Listen)?;
    let grpc_addr = server.grpc_addr().map_err(ServeError::Listen)?;
    let http_addr = server.http_addr().map_err(ServeError::Listen)?;
    let admin_addr = server.admin_addr().map_err(ServeError::Listen)?;
    tracing::info!(message = "listening", grpc = %grpc_addr, http = %http_addr, admin = %admin_addr);

    if let Some(token) = dev_key {
        // Printed to stdout once, never logged: this is the only copy of the secret.
        println!(
            "\nintake created a dev ingestion key for project `{}` in {}.\nIt is shown only now. Point an OpenTelemetry SDK (or a coding agent) at intake with:\n\n{}\nTraces, logs and metrics are all accepted on this key (/v1/traces, /v1/logs, /v1/metrics).\n",
            DEV_PROJECT,
            config.key_file_path().display(),
            exporter_env_lines(&format!("http://{}", display_addr(http_addr)), &token)
        );
    }

    let state = Arc::new(AppState {
        pipeline,
        keys,
        shutdown: shutdown.clone(),
        trusted_proxies: TrustedProxies::new(config.server.trusted_proxies.clone()),
        request_timeout: config.server.request_timeout,
    });
    server.run(state, config.server.shutdown_grace).await;
    usage_stop.cancel();
    let _ = usage_task.await;
    sink.flush(config.server.shutdown_grace).await;
    tracing::info!(message = "stopped");
    Ok(())
}

/// Kafka when configured, else the file sink (the embedded default).
async fn open_sink(config: &IntakeConfig, shutdown: &CancellationToken) -> Result<Arc<dyn Sink>, ServeError> {
    Ok(match &config.kafka {
        Some(kafka) => {
            tracing::info!(message = "sink: kafka", brokers = %kafka.brokers, spans_topic = %kafka.topic, logs_topic = %kafka.logs_topic, metrics_topic = %kafka.metrics_topic);
            KafkaSink::start(kafka.clone(), shutdown.clone()).await? as Arc<dyn Sink>
        }
        None => {
            let dir = config.file_sink.dir.clone().unwrap_or_else(|| config.data_dir.clone());
            let sink = FileSink::open(&dir, &config.file_sink).map_err(|source| ServeError::FileSink {
                path: dir.display().to_string(),
                source,
            })?;
            tracing::info!(
                message = "sink: file (no kafka configured)",
                spans = %sink.path(Signal::Traces).display(),
                logs = %sink.path(Signal::Logs).display(),
                metrics = %sink.path(Signal::Metrics).display()
            );
            Arc::new(sink)
        }
    })
}

/// `0.0.0.0:4318` is not something a client can dial; show `localhost:4318`.
fn display_addr(addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        format!("localhost:{}", addr.port())
    } else {
        addr.to_string()
    }
}
