//! Every answer of the key management API, on the fleet store (Postgres) and on the file
//! store; and the `intake key` commands over both.

use std::time::Duration;

use http::Method;
use prost::Message;
use rand::distr::{Alphanumeric, SampleString};
use serde_json::{json, Value};

use crate::common::*;
use crate::keyplane::{api, create_key, ingest, management_key};

const KEYS: &str = "/api/ingestion-keys";

fn postgres_intake(pg: &Postgres, tansu: &Tansu) -> Intake {
    Intake::start(
        &[],
        IntakeOptions {
            kafka: Some(tansu.brokers()),
            postgres_url: Some(pg.url()),
            auth_toml: "last_used_interval = \"200ms\"\n".to_owned(),
            ..Default::default()
        },
    )
}

async fn status_of(intake: &Intake, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> u16 {
    api(intake, method, path, token, body).await.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_management_api_answers_every_case() {
    let pg = Postgres::start();
    let tansu = Tansu::start();
    tansu.create_signal_topics(1);
    let intake = postgres_intake(&pg, &tansu);
    let manager = management_key(&intake, "org-a").await;
    let other_manager = management_key(&intake, "org-b").await;

    // Who may call: nobody without a key, no ingestion key, no other kind of key.
    assert_eq!(status_of(&intake, Method::GET, KEYS, None, None).await, 401);
    assert_eq!(
        status_of(&intake, Method::GET, KEYS, Some("sk-proj-nonsense"), None).await,
        401
    );
    let guessed = format!(
        "sk-lw-{}_{}",
        Alphanumeric.sample_string(&mut rand::rng(), 16),
        Alphanumeric.sample_string(&mut rand::rng(), 48)
    );
    assert_eq!(status_of(&intake, Method::GET, KEYS, Some(&guessed), None).await, 401);
    let (id, token) = create_key(&intake, &manager, "proj-a").await;
    let refused = api(&intake, Method::GET, KEYS, Some(&token), None).await;
    assert_eq!(refused.status, 403, "an ingestion key never manages");
    assert_eq!(refused.body["error"]["code"], "permission_denied");
    // …and a management key never ingests, on either transport.
    assert_eq!(ingest(&intake, &manager, "manager-ingest").await, 403);
    let body = make_request("m", 1, 1, 1).encode_to_vec();
    let bearer = format!("Bearer {manager}");
    let grpc = grpc_call(intake.grpc, &[("authorization", &bearer)], grpc_frame(&body, false)).await;
    assert_eq!(grpc.grpc_status, Some(7), "PERMISSION_DENIED");

    // Create: 201, the token once, never a hash, never cached by anyone.
    let created = api(
        &intake,
        Method::POST,
        KEYS,
        Some(&manager),
        Some(
            json!({"projectId": "proj-a", "name": "ci", "source": "python_sdk", "template": "openinference",
                    "principalId": "user-7", "expiresAt": "2099-01-01T00:00:00Z"}),
        ),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.headers["cache-control"], "no-store");
    let body = &created.body;
    assert!(body["token"].as_str().unwrap().starts_with("ik-lw-"));
    assert_eq!(
        body["organizationId"], "org-a",
        "the caller's organization, not one it names"
    );
    assert_eq!(
        (
            &body["projectId"],
            &body["template"],
            &body["principalId"],
            &body["status"]
        ),
        (
            &json!("proj-a"),
            &json!("openinference"),
            &json!("user-7"),
            &json!("active")
        )
    );
    assert_eq!(body["expiresAt"], "2099-01-01T00:00:00Z");
    let text = body.to_string();
    assert!(!text.contains("hmac-sha256") && !text.contains("secret"), "{text}");
    let ci_token = body["token"].as_str().unwrap().to_owned();
    assert_eq!(ingest(&intake, &ci_token, "ci").await, 200);

    // Bad bodies: 400 naming the field.
    let cases = [
        (json!({"projectId": "p", "colour": "red"}), "colour"),
        (json!({"name": "no project"}), "projectId"),
        (json!({"projectId": 3}), "projectId"),
        (json!({"projectId": "p", "template": "no-such-template"}), "template"),
        (
            json!({"projectId": "p", "expiresAt": "2001-01-01T00:00:00Z"}),
            "expiresAt",
        ),
        (json!({"projectId": "p", "expiresAt": "next week"}), "expiresAt"),
        (json!({"projectId": ""}), "projectId"),
    ];
    for (request, field) in cases {
        let reply = api(&intake, Method::POST, KEYS, Some(&manager), Some(request.clone())).await;
        assert_eq!(reply.status, 400, "{request}: {}", reply.body);
        let message = reply.body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(field), "{request}: {message}");
    }
    let garbage = http_request(
        Method::POST,
        intake.admin,
        KEYS,
        &[("authorization", &bearer), ("content-type", "application/json")],
        b"{not json".to_vec(),
    )
    .await;
    assert_eq!(garbage.status, 400);
    let huge = http_request(
        Method::POST,
        intake.admin,
        KEYS,
        &[("authorization", &bearer), ("content-type", "application/json")],
        vec![b' '; 100 * 1024],
    )
    .await;
    assert_eq!(huge.status, 413);

    // Another organization's keys do not exist for it, nor does its project.
    let theirs = api(&intake, Method::GET, KEYS, Some(&other_manager), None).await;
    assert_eq!(theirs.status, 200);
    assert_eq!(theirs.body["keys"], json!([]));
    let path = format!("{KEYS}/{id}");
    for (method, path) in [
        (Method::GET, path.clone()),
        (Method::DELETE, path.clone()),
        (Method::POST, format!("{path}/rotate")),
        (Method::GET, format!("{KEYS}/key_nosuchkey")),
    ] {
        let reply = api(&intake, method.clone(), &path, Some(&other_manager), None).await;
        assert_eq!(reply.status, 404, "{method} {path}: {}", reply.body);
    }
    let taken = api(
        &intake,
        Method::POST,
        KEYS,
        Some(&other_manager),
        Some(json!({"projectId": "proj-a"})),
    )
    .await;
    assert_eq!(taken.status, 400);
    assert_eq!(taken.body["error"]["field"], "projectId");
    assert_eq!(ingest(&intake, &token, "still-mine").await, 200);

    // Listing shows this organization's ingestion keys with their last use.
    let listed = api(&intake, Method::GET, KEYS, Some(&manager), None).await;
    let keys = listed.body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert!(keys
        .iter()
        .all(|k| k["organizationId"] == "org-a" && k["kind"] == "ingest"));
    assert!(keys.iter().all(|k| k.get("token").is_none()), "a token is shown once");

    // Rotate: a new token, the old one works through the grace period.
    let rotated = api(
        &intake,
        Method::POST,
        &format!("{path}/rotate"),
        Some(&manager),
        Some(json!({"gracePeriodSeconds": 300})),
    )
    .await;
    assert_eq!(rotated.status, 201, "{}", rotated.body);
    let new_token = rotated.body["token"].as_str().unwrap().to_owned();
    assert_eq!(rotated.body["rotatedFrom"], id.as_str());
    assert!(rotated.body["previous"]["expiresAt"].is_string());
    assert_eq!(ingest(&intake, &new_token, "rotated").await, 200);
    assert_eq!(ingest(&intake, &token, "in-grace").await, 200);
    // With no grace the old token stops at once.
    let new_id = rotated.body["id"].as_str().unwrap().to_owned();
    let now = api(
        &intake,
        Method::POST,
        &format!("{KEYS}/{new_id}/rotate"),
        Some(&manager),
        Some(json!({"gracePeriodSeconds": 0})),
    )
    .await;
    assert_eq!(now.status, 201);
    let stopped = {
        let deadline = std::time::Instant::now() + Duration::from_secs(3);
        loop {
            let status = ingest(&intake, &new_token, "after-rotate").await;
            if status == 401 || std::time::Instant::now() > deadline {
                break status;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    assert_eq!(stopped, 401);
    let bad_grace = api(
        &intake,
        Method::POST,
        &format!("{path}/rotate"),
        Some(&manager),
        Some(json!({"grace": "1h"})),
    )
    .await;
    assert_eq!(bad_grace.status, 400);

    // Revoke: 200, idempotent, final; a revoked key cannot be rotated.
    let first = api(&intake, Method::DELETE, &path, Some(&manager), None).await;
    assert_eq!(first.status, 200);
    let second = api(&intake, Method::DELETE, &path, Some(&manager), None).await;
    assert_eq!(second.status, 200);
    assert_eq!(first.body["revokedAt"], second.body["revokedAt"]);
    assert_eq!(
        status_of(&intake, Method::POST, &format!("{path}/rotate"), Some(&manager), None).await,
        409
    );
    let shown = api(&intake, Method::GET, &path, Some(&manager), None).await;
    assert_eq!(shown.body["status"], "revoked");

    // No token ever reaches the log.
    let logs = intake.logs();
    for secret in [&manager, &other_manager, &token, &ci_token, &new_token] {
        assert!(!logs.contains(secret.as_str()), "a token reached the log");
    }

    // Guessing management keys is limited like guessing ingestion keys: past the
    // per-address burst the address gets 429 without reaching the store, while the key
    // already in use from it keeps working.
    let mut limited = None;
    for n in 0..200 {
        let guess = format!(
            "sk-lw-{}_{}",
            Alphanumeric.sample_string(&mut rand::rng(), 16),
            Alphanumeric.sample_string(&mut rand::rng(), 48)
        );
        let reply = api(&intake, Method::GET, KEYS, Some(&guess), None).await;
        match reply.status {
            401 => {}
            429 => {
                assert!(reply.headers.contains_key("retry-after"));
                limited = Some(n);
                break;
            }
            other => panic!("guess {n}: {other}"),
        }
    }
    let limited = limited.expect("guessing was never limited");
    assert!(limited <= 60, "limited after {limited} guesses");
    assert_eq!(status_of(&intake, Method::GET, KEYS, Some(&manager), None).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_manages_the_file_store_too() {
    let intake = Intake::start(
        &[],
        IntakeOptions {
            auth_toml: "last_used_interval = \"200ms\"\n[auth.cache]\npositive_ttl = \"10m\"\n".to_owned(),
            ..Default::default()
        },
    );
    let manager = management_key(&intake, "org-a").await;
    let (id, token) = create_key(&intake, &manager, "proj-a").await;
    assert_eq!(ingest(&intake, &token, "file").await, 200);
    let text = std::fs::read_to_string(intake.key_file_path()).unwrap();
    assert!(
        text.contains(&id) && !text.contains(&token),
        "the row holds the hash only"
    );

    let revoked = api(&intake, Method::DELETE, &format!("{KEYS}/{id}"), Some(&manager), None).await;
    assert_eq!(revoked.status, 200);
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while ingest(&intake, &token, "file-revoked").await != 401 {
        assert!(
            std::time::Instant::now() < deadline,
            "revocation did not reach the cache"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let text = std::fs::read_to_string(intake.key_file_path()).unwrap();
    assert_eq!(
        text.matches("revoked_at").count(),
        1,
        "only the revoked row changed: {text}"
    );
    assert_eq!(text.matches("[[keys]]").count(), 2, "{text}");
    // Last use goes to the file beside the key file, written within the interval.
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    loop {
        let shown = api(&intake, Method::GET, &format!("{KEYS}/{id}"), Some(&manager), None).await;
        if shown.body["lastUsedAt"].is_string() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no lastUsedAt: {}", shown.body);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(intake.dir.path().join("keys.last_used.json").is_file());
}

fn cli_json(intake: &Intake, args: &[&str]) -> Value {
    let out = intake.cli(args);
    assert!(
        out.status.success(),
        "intake {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn cli_text(intake: &Intake, args: &[&str]) -> String {
    let out = intake.cli(args);
    assert!(
        out.status.success(),
        "intake {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// new → list → show → rotate → revoke, as a script would, on the store `intake` uses.
fn key_commands_work_on(intake: &Intake, store: &str) {
    let created = cli_json(
        intake,
        &[
            "key",
            "new",
            "--project",
            "proj-cli",
            "--organization",
            "org-cli",
            "--name",
            "ana's laptop",
            "--json",
        ],
    );
    let id = created["id"].as_str().unwrap().to_owned();
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("ik-lw-"), "{store}");
    let listed = cli_json(intake, &["key", "list", "--organization", "org-cli", "--json"]);
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(row["name"], "ana's laptop");
    assert!(row.get("token").is_none());
    let table = cli_text(intake, &["key", "list"]);
    for column in [
        "ID",
        "NAME",
        "PROJECT",
        "ORGANIZATION",
        "SOURCE",
        "TEMPLATE",
        "PRINCIPAL",
        "CREATED",
        "EXPIRES",
        "REVOKED",
        "LAST USED",
    ] {
        assert!(table.lines().next().unwrap().contains(column), "{store}: {table}");
    }
    assert!(
        table.contains(&id) && !table.contains("hmac-sha256") && !table.contains(&token),
        "{store}: {table}"
    );
    let shown = cli_json(intake, &["key", "show", &id, "--json"]);
    assert_eq!(shown["status"], "active");
    let rotated = cli_json(intake, &["key", "rotate", &id, "--grace", "1h", "--json"]);
    assert_eq!(rotated["rotatedFrom"], id.as_str());
    assert!(rotated["previous"]["expiresAt"].is_string());
    let revoked = cli_json(intake, &["key", "revoke", &id, "--json"]);
    assert_eq!(revoked["status"], "revoked", "{store}");
    // One box's keys may leave the organization out, as before the key plane.
    let solo = cli_json(intake, &["key", "new", "--project", "proj-solo", "--json"]);
    assert_eq!(solo["organizationId"], "", "{store}");
    let out = intake.cli(&["key", "new", "--manage"]);
    assert!(!out.status.success(), "a management key needs its organization");
    let out = intake.cli(&["key", "show", "key_nosuchkey"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("key_nosuchkey"));

    // Per-agent setup: exactly what to paste, with the endpoint asked for.
    let codex = cli_text(
        intake,
        &[
            "key",
            "new",
            "--project",
            "proj-cli",
            "--organization",
            "org-cli",
            "--for",
            "codex",
            "--endpoint",
            "https://intake.example",
        ],
    );
    let table: toml::Table = toml::from_str(&codex).expect("codex setup is TOML");
    let logs = &table["otel"]["exporter"]["otlp-http"];
    assert_eq!(logs["endpoint"].as_str(), Some("https://intake.example/v1/logs"));
    assert!(logs["headers"]["Authorization"]
        .as_str()
        .unwrap()
        .starts_with("Bearer ik-lw-"));
    let claude = cli_text(
        intake,
        &[
            "key",
            "new",
            "--project",
            "proj-cli",
            "--organization",
            "org-cli",
            "--for",
            "claude-code",
        ],
    );
    assert!(claude.contains("OTEL_LOGS_EXPORTER=otlp") && claude.contains("OTEL_METRICS_EXPORTER=otlp"));
    assert!(
        claude.contains(&format!(
            "OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:{}",
            intake.http.port()
        )),
        "{claude}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_commands_over_the_file_and_postgres() {
    let file = Intake::start(&[], IntakeOptions::default());
    key_commands_work_on(&file, "file");
    let pg = Postgres::start();
    let tansu = Tansu::start();
    tansu.create_signal_topics(1);
    let fleet = postgres_intake(&pg, &tansu);
    key_commands_work_on(&fleet, "postgres");
    // A key made at the CLI works on the running replica.
    let created = cli_json(
        &fleet,
        &[
            "key",
            "new",
            "--project",
            "proj-cli2",
            "--organization",
            "org-cli",
            "--json",
        ],
    );
    assert_eq!(
        ingest(&fleet, created["token"].as_str().unwrap(), "cli-made").await,
        200
    );
}
