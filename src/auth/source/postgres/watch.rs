//! The store's one background task: migrate, LISTEN for key changes, resync on a timer,
//! and while the database is unreachable, keep reconnecting (with backoff) so the store
//! recovers by itself. Every (re)connection starts with a resync, so changes made while
//! the listener was away are not missed.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_postgres::AsyncMessage;
use tokio_util::sync::CancellationToken;

use super::schema::CHANGES_CHANNEL;
use super::{PostgresKeyStore, QueryError};
use crate::auth::source::{Invalidation, KeySourceError};
use crate::telemetry::metrics;

/// Keys changed this long before the last resync are read again: a transaction that
/// started earlier can commit later than its `updated_at` says.
const RESYNC_OVERLAP: Duration = Duration::from_secs(60);
const MIN_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// What the resync remembers between runs.
struct Resync {
    /// The newest `updated_at` seen.
    watermark: Option<SystemTime>,
    /// Rows seen last time; fewer means rows were deleted, and every entry is dropped.
    rows: Option<i64>,
}

pub async fn run(store: Arc<PostgresKeyStore>, shutdown: CancellationToken) {
    let mut backoff = MIN_BACKOFF;
    loop {
        if shutdown.is_cancelled() {
            return;
        }
        match store.migrate().await {
            Ok(_) => break,
            Err(error) => {
                tracing::warn!(message = "key database not migrated yet; retrying", %error);
                if sleep_or_stop(&shutdown, &mut backoff).await {
                    return;
                }
            }
        }
    }
    let mut resync = Resync {
        watermark: None,
        rows: None,
    };
    backoff = MIN_BACKOFF;
    loop {
        match listen(&store, &shutdown, &mut resync).await {
            Ok(()) => return,
            Err(error) => {
                store.health.down(&error);
                if sleep_or_stop(&shutdown, &mut backoff).await {
                    return;
                }
            }
        }
    }
}

/// Sleeps the current backoff (then doubles it); true when shutdown came first.
async fn sleep_or_stop(shutdown: &CancellationToken, backoff: &mut Duration) -> bool {
    let wait = *backoff;
    *backoff = (*backoff * 2).min(MAX_BACKOFF);
    tokio::select! {
        _ = shutdown.cancelled() => true,
        _ = tokio::time::sleep(wait) => false,
    }
}

/// One listener connection, until it breaks (`Err`) or shutdown (`Ok`).
async fn listen(store: &PostgresKeyStore, shutdown: &CancellationToken, resync: &mut Resync) -> Result<(), String> {
    let connect = tokio_postgres::Config::connect(&store.connection, store.tls.clone());
    let (client, mut connection) = tokio::time::timeout(store.config.connect_timeout, connect)
        .await
        .map_err(|_| format!("no connection within {:?}", store.config.connect_timeout))?
        .map_err(|e| super::postgres_error_text(&e))?;
    // The connection must be polled for the client's queries to complete, and it is where
    // notifications arrive: a task of its own forwards them.
    let (notify, mut notifications) = mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(n)) => {
                    if notify.send(Some(n.payload().to_owned())).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    let _ = notify.send(None);
                    tracing::debug!(message = "key database listener connection failed", %error);
                    return;
                }
            }
        }
        let _ = notify.send(None);
    });
    let listening = client
        .batch_execute(&format!("LISTEN {CHANGES_CHANNEL}"))
        .await
        .map_err(|e| super::postgres_error_text(&e));
    let result = match listening {
        Ok(()) => serve(store, shutdown, resync, &mut notifications).await,
        Err(error) => Err(error),
    };
    driver.abort();
    result
}

async fn serve(
    store: &PostgresKeyStore,
    shutdown: &CancellationToken,
    resync: &mut Resync,
    notifications: &mut mpsc::UnboundedReceiver<Option<String>>,
) -> Result<(), String> {
    run_resync(store, resync).await.map_err(|e| e.to_string())?;
    store.health.up();
    tracing::info!(message = "listening for key changes", channel = CHANGES_CHANNEL);
    let mut ticker = tokio::time::interval(store.config.resync_interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            message = notifications.recv() => match message {
                Some(Some(lookup_id)) => {
                    metrics().key_store_notification();
                    let _ = store.changes.send(Invalidation::Key(lookup_id));
                }
                _ => return Err("listener connection lost".to_owned()),
            },
            _ = ticker.tick() => {
                if let Err(error) = run_resync(store, resync).await {
                    // The pool failed though the listener still answers; keep listening,
                    // the next tick tries again.
                    tracing::debug!(message = "key resync failed", %error);
                } else {
                    store.health.up();
                }
            }
        }
    }
}

/// Drops the cache entries of keys changed since the last resync (every entry when rows
/// disappeared). The first run only sets the watermark: the cache starts empty.
async fn run_resync(store: &PostgresKeyStore, state: &mut Resync) -> Result<(), KeySourceError> {
    let since = state
        .watermark
        .map(|w| w.checked_sub(RESYNC_OVERLAP).unwrap_or(SystemTime::UNIX_EPOCH));
    let (changed, rows, newest) = store
        .timed(async {
            let client = store.client().await?;
            let totals = client
                .query_one("SELECT count(*), max(updated_at) FROM intake_keys", &[])
                .await?;
            let rows: i64 = totals.get(0);
            let newest: Option<SystemTime> = totals.get(1);
            let changed: Vec<String> = match since {
                Some(since) => client
                    .query("SELECT lookup_id FROM intake_keys WHERE updated_at > $1", &[&since])
                    .await?
                    .iter()
                    .map(|r| r.get(0))
                    .collect(),
                None => Vec::new(),
            };
            Ok::<_, QueryError>((changed, rows, newest))
        })
        .await?;
    metrics().key_store_resync();
    let deleted = state.rows.is_some_and(|before| rows < before);
    if deleted {
        let _ = store.changes.send(Invalidation::All);
    } else {
        for lookup_id in changed {
            let _ = store.changes.send(Invalidation::Key(lookup_id));
        }
    }
    state.rows = Some(rows);
    state.watermark = newest.or(state.watermark).or(Some(SystemTime::UNIX_EPOCH));
    Ok(())
}
