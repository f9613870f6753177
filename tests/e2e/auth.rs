//! Every authentication case on both transports, against the real binary and broker.

use std::time::{Duration, Instant};

use crate::common::*;
use base64::Engine;
use prost::Message;

const UNAUTHENTICATED: i32 = 16;
const PERMISSION_DENIED: i32 = 7;
const OK: i32 = 0;

struct Case {
    name: &'static str,
    headers: Vec<(&'static str, String)>,
    http: u16,
    grpc: i32,
}

fn body() -> Vec<u8> {
    make_request("auth", 1, 2, 10).encode_to_vec()
}

async fn send_both(intake: &Intake, headers: &[(&str, String)]) -> (u16, i32) {
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut http_headers = headers.clone();
    http_headers.push(("content-type", "application/x-protobuf"));
    let http = http_post(intake.http, "/v1/traces", &http_headers, body()).await;
    let grpc = grpc_call(intake.grpc, &headers, grpc_frame(&body(), false)).await;
    (http.status, grpc.grpc_status.unwrap_or(-1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_auth_case_on_both_transports() {
    let tansu = Tansu::start();
    tansu.create_signal_topics(1);
    let good = TestKey::new("proj-a");
    let legacy = {
        let mut k = TestKey::new("proj-a");
        k.token = k.token.replacen("ik-lw-", "sk-lw-", 1);
        k
    };
    let mut expired = TestKey::new("proj-a");
    expired.entry.expires_at = Some("2020-01-01T00:00:00Z".into());
    let mut revoked = TestKey::new("proj-a");
    revoked.entry.revoked_at = Some("2020-01-01T00:00:00Z".into());
    let mut wide = TestKey::new("proj-a");
    wide.entry.permissions = vec!["traces:create".into(), "traces:read".into()];
    let mut two_projects = TestKey::new("proj-a");
    two_projects.entry.projects = Some(vec!["proj-a".into(), "proj-b".into()]);
    let keys = [&good, &legacy, &expired, &revoked, &wide, &two_projects];
    let intake = Intake::start(
        &keys,
        IntakeOptions {
            kafka: Some(tansu.brokers()),
            ..Default::default()
        },
    );

    // Flip the last character to a different one: appending a fixed "x" would equal the real token
    // whenever the random secret already ended in "x".
    let wrong_secret = {
        let (head, last) = good.token.split_at(good.token.len() - 1);
        format!("{head}{}", if last == "x" { "y" } else { "x" })
    };
    assert_ne!(wrong_secret, good.token);
    let basic = |project: &str, token: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{project}:{token}"))
        )
    };
    let cases = vec![
        Case {
            name: "bearer",
            headers: vec![("authorization", good.bearer())],
            http: 200,
            grpc: OK,
        },
        Case {
            name: "legacy sk-lw prefix",
            headers: vec![("authorization", legacy.bearer())],
            http: 200,
            grpc: OK,
        },
        Case {
            name: "x-auth-token",
            headers: vec![("x-auth-token", good.token.clone())],
            http: 200,
            grpc: OK,
        },
        Case {
            name: "basic with own project",
            headers: vec![("authorization", basic("proj-a", &good.token))],
            http: 200,
            grpc: OK,
        },
        Case {
            name: "matching x-project-id",
            headers: vec![("authorization", good.bearer()), ("x-project-id", "proj-a".into())],
            http: 200,
            grpc: OK,
        },
        Case {
            name: "missing",
            headers: vec![],
            http: 401,
            grpc: UNAUTHENTICATED,
        },
        Case {
            name: "malformed",
            headers: vec![("authorization", "Bearer sk-proj-abc".into())],
            http: 401,
            grpc: UNAUTHENTICATED,
        },
        Case {
            name: "bad scheme",
            headers: vec![("authorization", format!("Token {}", good.token))],
            http: 401,
            grpc: UNAUTHENTICATED,
        },
        Case {
            name: "unknown",
            headers: vec![(
                "authorization",
                "Bearer ik-lw-AAAAAAAAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB".into(),
            )],
            http: 401,
            grpc: UNAUTHENTICATED,
        },
        Case {
            name: "wrong secret",
            headers: vec![("authorization", format!("Bearer {wrong_secret}"))],
            http: 401,
            grpc: UNAUTHENTICATED,
        },
        Case {
            name: "expired",
            headers: vec![("authorization", expired.bearer())],
            http: 401,
            grpc: UNAUTHENTICATED,
        },
        Case {
            name: "revoked",
            headers: vec![("authorization", revoked.bearer())],
            http: 401,
            grpc: UNAUTHENTICATED,
        },
        Case {
            name: "not ingest-only",
            headers: vec![("authorization", wide.bearer())],
            http: 403,
            grpc: PERMISSION_DENIED,
        },
        Case {
            name: "two projects",
            headers: vec![("authorization", two_projects.bearer())],
            http: 403,
            grpc: PERMISSION_DENIED,
        },
        Case {
            name: "wrong x-project-id",
            headers: vec![("authorization", good.bearer()), ("x-project-id", "proj-b".into())],
            http: 403,
            grpc: PERMISSION_DENIED,
        },
        Case {
            name: "basic with other project",
            headers: vec![("authorization", basic("proj-b", &good.token))],
            http: 403,
            grpc: PERMISSION_DENIED,
        },
    ];
    let mut failures = Vec::new();
    for case in &cases {
        let (http, grpc) = send_both(&intake, &case.headers).await;
        if http != case.http || grpc != case.grpc {
            failures.push(format!(
                "{}: http {http} (want {}), grpc {grpc} (want {})",
                case.name, case.http, case.grpc
            ));
        }
    }
    assert!(failures.is_empty(), "{}\n{}", failures.join("\n"), intake.logs());
    assert!(!intake.logs().contains(&good.token[6..]), "a secret reached the log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_requests_are_refused_before_the_body_is_read() {
    let intake = Intake::start(&[], IntakeOptions::default());
    // 50 MiB of declared body, never sent: the answer must come from the headers alone.
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(intake.http).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        stream,
        "POST /v1/traces HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-protobuf\r\ncontent-length: 52428800\r\n\r\n"
    )
    .unwrap();
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 401");
    // Garbage body with no key: still 401, not 400.
    let reply = http_post(
        intake.http,
        "/v1/traces",
        &[("content-type", "application/json")],
        b"{not json".to_vec(),
    )
    .await;
    assert_eq!(reply.status, 401);
    let reply = grpc_call(intake.grpc, &[], vec![9, 9, 9]).await;
    assert_eq!(reply.grpc_status, Some(UNAUTHENTICATED));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spoofed_project_in_the_payload_is_overwritten_on_both_transports() {
    let tansu = Tansu::start();
    tansu.create_signal_topics(1);
    let key = TestKey::new("proj-a");
    let intake = Intake::start(
        &[&key],
        IntakeOptions {
            kafka: Some(tansu.brokers()),
            ..Default::default()
        },
    );
    let mut request = make_request("spoof", 1, 2, 10);
    let resource = request.resource_spans[0].resource.as_mut().unwrap();
    resource.attributes.push(kv_str("langwatch.project.id", "proj-b"));
    resource.attributes.push(kv_str("langwatch.organization_id", "org-b"));
    resource.attributes.push(kv_str("langwatch.principal.id", "ceo"));
    let body = request.encode_to_vec();
    let bearer = key.bearer();
    let http = http_post(
        intake.http,
        "/v1/traces",
        &[("authorization", &bearer), ("content-type", "application/x-protobuf")],
        body.clone(),
    )
    .await;
    assert_eq!(http.status, 200);
    let grpc = grpc_call(intake.grpc, &[("authorization", &bearer)], grpc_frame(&body, false)).await;
    assert_eq!(grpc.grpc_status, Some(OK));

    let reader = KafkaReader::new(&tansu.brokers(), TOPIC);
    let spans = reader.spans_until(Duration::from_secs(15), 4);
    assert_eq!(spans.len(), 4);
    for (record, _, resource) in &spans {
        let r = &resource.attributes;
        assert_eq!(attr_str(r, "langwatch.project.id"), Some("proj-a"));
        assert_eq!(
            r.iter().filter(|kv| kv.key.starts_with("langwatch.project.id")).count(),
            1
        );
        assert_eq!(attr_str(r, "langwatch.organization_id"), Some("org-of-proj-a"));
        assert_eq!(
            attr_str(r, "langwatch.principal.id"),
            None,
            "a key with no principal removes the claim"
        );
        assert_eq!(
            record.headers.get("langwatch.project.id").map(String::as_str),
            Some("proj-a")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_revoked_by_editing_the_file_stops_working_without_a_restart() {
    let key = TestKey::new("proj-a");
    // A long positive TTL: revocation must arrive through the file watcher's push.
    let intake = Intake::start(
        &[&key],
        IntakeOptions {
            extra_toml: "[auth.cache]\npositive_ttl = \"10m\"\n".into(),
            ..Default::default()
        },
    );
    let (http, grpc) = send_both(&intake, &[("authorization", key.bearer())]).await;
    assert_eq!((http, grpc), (200, OK));

    let mut revoked = TestKey {
        token: key.token.clone(),
        entry: key.entry.clone(),
    };
    revoked.entry.revoked_at = Some(humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string());
    write_keys(&intake.key_file_path(), &[&revoked]);
    let started = Instant::now();
    loop {
        let (http, grpc) = send_both(&intake, &[("authorization", key.bearer())]).await;
        if (http, grpc) == (401, UNAUTHENTICATED) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "still accepted {:?} after revocation",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A broken edit keeps the last good keys serving.
    std::fs::write(intake.key_file_path(), "[[keys]]\nlookup_id = ").unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (http, _) = send_both(&intake, &[("authorization", key.bearer())]).await;
    assert_eq!(http, 401, "the revoked state stays in force");
    assert!(intake.logs().contains("key file reload failed"), "{}", intake.logs());

    // And a new key added by an edit works at once.
    let fresh = TestKey::new("proj-a");
    write_keys(&intake.key_file_path(), &[&revoked, &fresh]);
    let started = Instant::now();
    while send_both(&intake, &[("authorization", fresh.bearer())]).await != (200, OK) {
        assert!(started.elapsed() < Duration::from_secs(5), "new key not accepted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_that_expires_while_cached_is_refused() {
    let mut key = TestKey::new("proj-a");
    let expires = std::time::SystemTime::now() + Duration::from_secs(3);
    key.entry.expires_at = Some(humantime::format_rfc3339_seconds(expires).to_string());
    let intake = Intake::start(
        &[&key],
        IntakeOptions {
            extra_toml: "[auth.cache]\npositive_ttl = \"10m\"\n".into(),
            ..Default::default()
        },
    );
    assert_eq!(send_both(&intake, &[("authorization", key.bearer())]).await, (200, OK));
    tokio::time::sleep(
        expires.duration_since(std::time::SystemTime::now()).unwrap_or_default() + Duration::from_millis(1100),
    )
    .await;
    assert_eq!(
        send_both(&intake, &[("authorization", key.bearer())]).await,
        (401, UNAUTHENTICATED)
    );
}
