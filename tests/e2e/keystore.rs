//! The Postgres key store against a real PostgreSQL: migrations run once however many
//! replicas start together, every change is announced (and a missed announcement is
//! repaired by the resync), projects belong to one organization, TLS is verified.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use intake::auth::source::{Invalidation, KeyFilter, KeySource, KeySourceError, KeyStore, SourceHealth};
use intake::auth::source::{PostgresKeyStore, PostgresKeyStoreConfig};
use intake::auth::{KeyHasher, NewKey};
use intake::secret::Secret;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::common::*;

fn config(pg: &Postgres) -> PostgresKeyStoreConfig {
    PostgresKeyStoreConfig {
        resync_interval: Duration::from_millis(300),
        ..PostgresKeyStoreConfig::new(&pg.url())
    }
}

/// The next announcement, or `None` when none comes within `within`.
async fn next_change(changes: &mut broadcast::Receiver<Invalidation>, within: Duration) -> Option<Invalidation> {
    tokio::time::timeout(within, changes.recv())
        .await
        .ok()
        .and_then(Result::ok)
}

/// Waits for an announcement of `lookup_id` (others may come first).
async fn announced(changes: &mut broadcast::Receiver<Invalidation>, lookup_id: &str, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match next_change(changes, left).await {
            Some(Invalidation::Key(id)) if id == lookup_id => return true,
            Some(Invalidation::All) => return true,
            Some(_) => {}
            None => return false,
        }
    }
    false
}

async fn wait_up(store: &PostgresKeyStore) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.health() != SourceHealth::Up {
        assert!(Instant::now() < deadline, "store not up: {:?}", store.health());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_migrate_once_and_hear_every_change() {
    let pg = Postgres::start();
    let a = Arc::new(PostgresKeyStore::new(config(&pg), None).unwrap());
    let b = Arc::new(PostgresKeyStore::new(config(&pg), None).unwrap());
    // Two replicas starting at once: one migrates, the other finds it done.
    let (found_a, found_b) = tokio::join!(a.migrate(), b.migrate());
    let mut found = [found_a.unwrap(), found_b.unwrap()];
    found.sort();
    assert_eq!(found, [0, intake::auth::source::postgres::latest_version()]);
    assert_eq!(a.migrate().await.unwrap(), 1, "a third run changes nothing");
    assert_eq!(
        pg.query("SELECT count(*) FROM intake_schema_version"),
        [Some("1".to_owned())]
    );

    let shutdown = CancellationToken::new();
    a.start(shutdown.clone());
    b.start(shutdown.clone());
    wait_up(&b).await;
    let mut changes = b.invalidations().unwrap();

    let hasher = KeyHasher::new(Secret::new(PEPPER));
    let (record, _token) = NewKey::ingest("proj-1", "org-1").mint(&hasher, SystemTime::now());
    a.insert(&record).await.unwrap();
    assert!(
        announced(&mut changes, &record.lookup_id, Duration::from_secs(2)).await,
        "insert announced"
    );
    let found = b
        .lookup(&record.lookup_id)
        .await
        .unwrap()
        .expect("the other replica finds it");
    assert_eq!(
        (&found.id, &found.secret_hash, &found.project_id),
        (&record.id, &record.secret_hash, &record.project_id)
    );
    assert!(found.is_ingest_only());
    assert!(b.lookup("NOSUCHKEYNOSUCH0").await.unwrap().is_none());

    // Revoke: announced to the other replica; revoking again keeps the time and changes
    // nothing (`updated_at` moves with every change the triggers announce).
    let revoked = a.revoke(&record.id, SystemTime::now()).await.unwrap().unwrap();
    assert!(announced(&mut changes, &record.lookup_id, Duration::from_secs(2)).await);
    let updated_at = format!("SELECT updated_at::text FROM intake_keys WHERE id = '{}'", record.id);
    let changed_at = pg.query(&updated_at);
    let again = a.revoke(&record.id, SystemTime::now()).await.unwrap().unwrap();
    assert_eq!(again.record.revoked_at, revoked.record.revoked_at);
    // Recording use is not a change either: it must not empty every replica's cache.
    let used_at = SystemTime::now();
    a.record_last_used(&[(record.id.clone(), used_at)]).await.unwrap();
    assert_eq!(pg.query(&updated_at), changed_at, "neither write counts as a change");
    let info = b.get(&record.id).await.unwrap().unwrap();
    let recorded = info.last_used_at.expect("last use recorded");
    let skew = recorded.duration_since(used_at).unwrap_or_else(|e| e.duration());
    assert!(skew < Duration::from_millis(1), "{skew:?}");

    // A project belongs to the organization that first made a key for it.
    let (stolen, _) = NewKey::ingest("proj-1", "org-2").mint(&hasher, SystemTime::now());
    assert!(matches!(a.insert(&stolen).await, Err(KeySourceError::Conflict(_))));
    let (manager, _) = NewKey::manage("org-2").mint(&hasher, SystemTime::now());
    a.insert(&manager).await.unwrap();
    let org_2 = KeyFilter {
        organization_id: Some("org-2".into()),
        ..Default::default()
    };
    let listed = b.list(&org_2).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].record.is_manage_only());

    // Rotation: the replacement exists and the old key's expiry moved in, in one step.
    let (live, _) = NewKey::ingest("proj-1", "org-1").mint(&hasher, SystemTime::now());
    a.insert(&live).await.unwrap();
    let (replacement, _) = NewKey::ingest("proj-1", "org-1").mint(&hasher, SystemTime::now());
    let grace_end = SystemTime::now() + Duration::from_secs(60);
    a.rotate(&live.id, &replacement, grace_end).await.unwrap();
    let old = b.get(&live.id).await.unwrap().unwrap();
    assert!(old.record.expires_at.is_some_and(|t| t <= grace_end));
    assert!(b.get(&replacement.id).await.unwrap().is_some());
    assert!(matches!(
        a.rotate(&record.id, &replacement, grace_end).await,
        Err(KeySourceError::Conflict(_))
    ));

    // An edit that bypasses the triggers (no notification) is repaired by the resync.
    while next_change(&mut changes, Duration::from_millis(100)).await.is_some() {}
    pg.query(&format!(
        "SET session_replication_role = replica; \
         UPDATE intake_keys SET template = 'none', updated_at = clock_timestamp() WHERE id = '{}'",
        live.id
    ));
    assert!(
        announced(&mut changes, &live.lookup_id, Duration::from_secs(3)).await,
        "resync announced the silent edit"
    );
    // Rows deleted behind the store's back: everything is dropped.
    pg.query(&format!(
        "SET session_replication_role = replica; DELETE FROM intake_keys WHERE id = '{}'",
        manager.id
    ));
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut dropped_all = false;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        if next_change(&mut changes, left).await == Some(Invalidation::All) {
            dropped_all = true;
            break;
        }
    }
    assert!(dropped_all, "a deletion the store did not announce empties the cache");
    shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_to_the_database_is_verified() {
    let pg = Postgres::start_with_tls();
    let trusted = PostgresKeyStoreConfig {
        tls_ca_file: Some(pg.ca_file()),
        ..PostgresKeyStoreConfig::new(&pg.url())
    };
    let store = PostgresKeyStore::new(trusted, None).unwrap();
    store.migrate().await.expect("migrate over TLS");
    let encrypted = pg.query("SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE s.ssl AND a.application_name = 'intake'");
    assert_ne!(encrypted, [Some("0".to_owned())], "intake's connection is encrypted");
    // Without the CA the self-signed server is not trusted.
    let untrusted = PostgresKeyStore::new(PostgresKeyStoreConfig::new(&pg.url()), None).unwrap();
    let error = untrusted.migrate().await.unwrap_err().to_string();
    assert!(
        error.contains("certificate") || error.contains("ssl") || error.contains("tls"),
        "{error}"
    );
}
