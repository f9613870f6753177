//! The key plane of a fleet, end to end: intake replicas on one real Postgres and one real
//! tansu, keys minted and revoked through the management API, a database outage under
//! load, and every answer of the API.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::Method;
use prost::Message;
use serde_json::{json, Value};

use crate::common::*;

/// One management API call; the JSON answer (Null when the body is not JSON).
pub struct ApiReply {
    pub status: u16,
    pub body: Value,
    pub headers: http::HeaderMap,
}

pub async fn api(intake: &Intake, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> ApiReply {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("content-type", "application/json")];
    if let Some(bearer) = &bearer {
        headers.push(("authorization", bearer.as_str()));
    }
    let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    let reply = http_request(method, intake.admin, path, &headers, body).await;
    ApiReply {
        status: reply.status,
        body: serde_json::from_slice(&reply.body).unwrap_or(Value::Null),
        headers: reply.headers,
    }
}

/// `intake key new --manage` through the CLI, against the instance's store; returns once
/// the running intake accepts it (the file store reloads on its poll).
pub async fn management_key(intake: &Intake, organization: &str) -> String {
    let out = intake.cli(&["key", "new", "--manage", "--organization", organization, "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let created: Value = serde_json::from_slice(&out.stdout).expect("key new --json");
    assert_eq!(created["kind"], "manage");
    let token = created["token"].as_str().expect("token").to_owned();
    let deadline = Instant::now() + Duration::from_secs(5);
    while api(intake, Method::GET, "/api/ingestion-keys", Some(&token), None)
        .await
        .status
        != 200
    {
        assert!(
            Instant::now() < deadline,
            "the new management key never worked:\n{}",
            intake.logs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    token
}

/// Creates an ingestion key through the API; returns (id, token).
pub async fn create_key(intake: &Intake, manager: &str, project: &str) -> (String, String) {
    let reply = api(
        intake,
        Method::POST,
        "/api/ingestion-keys",
        Some(manager),
        Some(json!({ "projectId": project, "name": "laptop", "source": "claude_code" })),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    (
        reply.body["id"].as_str().expect("id").to_owned(),
        reply.body["token"].as_str().expect("token").to_owned(),
    )
}

/// One small trace export with `token`; the HTTP status.
pub async fn ingest(intake: &Intake, token: &str, run: &str) -> u16 {
    let body = make_request(run, 1, 2, 10).encode_to_vec();
    let bearer = format!("Bearer {token}");
    http_post(
        intake.http,
        "/v1/traces",
        &[("authorization", &bearer), ("content-type", "application/x-protobuf")],
        body,
    )
    .await
    .status
}

fn replica(pg: &Postgres, tansu: &Tansu, auth_toml: &str) -> Intake {
    Intake::start(
        &[],
        IntakeOptions {
            kafka: Some(tansu.brokers()),
            postgres_url: Some(pg.url()),
            auth_toml: auth_toml.to_owned(),
            ..Default::default()
        },
    )
}

/// Polls `check` until it holds or `within` passes; the time it took.
async fn within<F, Fut>(limit: Duration, mut check: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < limit {
        if check().await {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_keys_minted_and_revoked_through_either() {
    let pg = Postgres::start();
    let tansu = Tansu::start();
    tansu.create_signal_topics(1);
    // A long positive TTL: only the database's notification can explain a fast revocation.
    let auth = "last_used_interval = \"200ms\"\n[auth.cache]\npositive_ttl = \"10m\"\n";
    let a = replica(&pg, &tansu, auth);
    let b = replica(&pg, &tansu, auth);
    let manager = management_key(&a, "org-a").await;

    // Minted through A's API, the key works on B at once.
    let (id, token) = create_key(&a, &manager, "proj-a").await;
    assert_eq!(ingest(&b, &token, "fleet-b").await, 200, "{}", b.logs());
    assert_eq!(ingest(&a, &token, "fleet-a").await, 200);

    // Revoked through B's API: both replicas refuse it within 2 s.
    let revoke = api(
        &b,
        Method::DELETE,
        &format!("/api/ingestion-keys/{id}"),
        Some(&manager),
        None,
    )
    .await;
    assert_eq!(revoke.status, 200, "{}", revoke.body);
    assert_eq!(revoke.body["status"], "revoked");
    let mut waits = Vec::new();
    for replica in [&a, &b] {
        let took = within(Duration::from_secs(2), || async {
            ingest(replica, &token, "after-revoke").await == 401
        })
        .await;
        waits.push(took.unwrap_or_else(|| panic!("still accepted 2 s after the revoke:\n{}", replica.logs())));
    }
    eprintln!("revocation reached A in {:?}, B in {:?}", waits[0], waits[1]);

    // The API lists it, revoked and with its last use.
    let listed = within(Duration::from_secs(3), || async {
        let list = api(&a, Method::GET, "/api/ingestion-keys", Some(&manager), None).await;
        list.body["keys"]
            .as_array()
            .and_then(|keys| keys.iter().find(|k| k["id"] == id.as_str()))
            .is_some_and(|k| k["revokedAt"].is_string() && k["lastUsedAt"].is_string())
    })
    .await;
    assert!(listed.is_some(), "list shows revokedAt and lastUsedAt");
    let stored = pg.query(&format!("SELECT secret_hash FROM intake_keys WHERE id = '{id}'"));
    let hash = stored[0].clone().expect("hash");
    assert!(hash.starts_with("hmac-sha256:"), "only the hash is stored");

    // What was accepted reached Kafka, stamped with the key.
    let spans = KafkaReader::new(&tansu.brokers(), TOPIC).spans_until(Duration::from_secs(10), 4);
    assert_eq!(spans.len(), 4);
    for (record, _, resource) in &spans {
        assert_eq!(
            attr_str(&resource.attributes, "langwatch.api_key.id"),
            Some(id.as_str())
        );
        assert_eq!(record.headers["langwatch.project.id"], "proj-a");
    }
    for replica in [&a, &b] {
        let logs = replica.logs();
        assert!(
            !logs.contains(&token) && !logs.contains(&manager),
            "a token reached a log"
        );
        assert!(!logs.contains(&hash[12..]), "a hash reached a log");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_keeps_cached_keys_working_and_refuses_new_ones() {
    let mut pg = Postgres::start();
    let tansu = Tansu::start();
    tansu.create_signal_topics(1);
    // A short positive TTL: during the outage the key in use runs on its last-known record.
    let intake = replica(&pg, &tansu, "[auth.cache]\npositive_ttl = \"1s\"\n");
    let manager = management_key(&intake, "org-a").await;
    let (_, cached) = create_key(&intake, &manager, "proj-a").await;
    let (_, unseen) = create_key(&intake, &manager, "proj-a").await;
    assert_eq!(ingest(&intake, &cached, "warm").await, 200);

    // A steady client on the cached key for the whole outage.
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let refused = Arc::new(Mutex::new(Vec::new()));
    let load = {
        let (stop, acked, refused) = (stop.clone(), acked.clone(), refused.clone());
        let (http, bearer) = (intake.http, format!("Bearer {cached}"));
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let run = format!("outage-{n}");
                let request = make_request(&run, 1, 5, 10);
                let ids: Vec<String> = request.resource_spans[0].scope_spans[0]
                    .spans
                    .iter()
                    .map(|s| hex::encode(&s.span_id))
                    .collect();
                let reply = http_post(
                    http,
                    "/v1/traces",
                    &[("authorization", &bearer), ("content-type", "application/x-protobuf")],
                    request.encode_to_vec(),
                )
                .await;
                match reply.status {
                    200 => acked.lock().unwrap().extend(ids),
                    other => refused.lock().unwrap().push(other),
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    pg.stop();
    tokio::time::sleep(Duration::from_millis(2500)).await;

    // Down for longer than the positive TTL: the cached key works, the unseen one is 503
    // (it may be valid), never 401; readiness stays up and says what is wrong.
    let body = make_request("unseen", 1, 1, 1).encode_to_vec();
    let bearer = format!("Bearer {unseen}");
    let http = http_post(
        intake.http,
        "/v1/traces",
        &[("authorization", &bearer), ("content-type", "application/x-protobuf")],
        body.clone(),
    )
    .await;
    assert_eq!(http.status, 503, "{}", intake.logs());
    assert!(http.headers.contains_key("retry-after"));
    let grpc = grpc_call(intake.grpc, &[("authorization", &bearer)], grpc_frame(&body, false)).await;
    assert_eq!(grpc.grpc_status, Some(14), "UNAVAILABLE");
    let ready = http_get(intake.http, "/readyz").await;
    assert_eq!(ready.status, 200);
    let text = String::from_utf8_lossy(&ready.body).into_owned();
    assert!(text.contains("key store unreachable"), "{text}");
    assert_eq!(intake.metric("intake_key_store_up"), 0.0);
    assert!(intake.metric("intake_key_cache_stale_hits_total") > 0.0);

    // Back: the unseen key works, by itself.
    pg.restart();
    let back = within(Duration::from_secs(15), || async {
        ingest(&intake, &unseen, "back").await == 200
    })
    .await;
    assert!(
        back.is_some(),
        "new key refused after the database came back:\n{}",
        intake.logs()
    );
    assert_eq!(intake.metric("intake_key_store_up"), 1.0);
    stop.store(true, Ordering::Relaxed);
    load.await.unwrap();

    let refused = refused.lock().unwrap().clone();
    assert!(
        refused.is_empty(),
        "the cached key was refused during the outage: {refused:?}"
    );
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() > 50, "the load ran: {} spans", acked.len());
    let spans = KafkaReader::new(&tansu.brokers(), TOPIC).spans_until(Duration::from_secs(20), acked.len() + 3);
    let delivered: std::collections::HashSet<String> = spans.iter().map(|(_, s, _)| hex::encode(&s.span_id)).collect();
    let lost: Vec<&String> = acked.iter().filter(|id| !delivered.contains(*id)).collect();
    assert!(lost.is_empty(), "{} acknowledged spans missing from Kafka", lost.len());
}
