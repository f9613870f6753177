//! The Kafka contract against a real broker: outages give retryable errors and never
//! success; every acknowledged span is in Kafka exactly once; big batches are split.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::common::*;
use intake::otlp::{ExportTraceServiceRequest, Span};
use prost::Message;

const UNAVAILABLE: i32 = 14;

struct Sent {
    /// Span id (hex) -> the span as sent, for every span whose request got success.
    acked: BTreeMap<String, Span>,
}

impl Sent {
    fn new() -> Sent {
        Sent { acked: BTreeMap::new() }
    }

    fn ack(&mut self, request: &ExportTraceServiceRequest) {
        for span in request
            .resource_spans
            .iter()
            .flat_map(|rs| &rs.scope_spans)
            .flat_map(|ss| &ss.spans)
        {
            self.acked.insert(hex::encode(&span.span_id), span.clone());
        }
    }

    /// Every acknowledged span is in Kafka exactly once, as sent.
    fn verify(&self, tansu: &Tansu) {
        let reader = KafkaReader::new(&tansu.brokers(), TOPIC);
        let spans = reader.spans_until(Duration::from_secs(30), self.acked.len());
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for (_, span, _) in &spans {
            let id = hex::encode(&span.span_id);
            if let Some(sent) = self.acked.get(&id) {
                assert_eq!(span, sent, "span {id} differs from what was sent");
            }
            *seen.entry(id).or_default() += 1;
        }
        let missing: Vec<&String> = self.acked.keys().filter(|id| !seen.contains_key(*id)).collect();
        assert!(
            missing.is_empty(),
            "{} of {} acknowledged spans missing from Kafka",
            missing.len(),
            self.acked.len()
        );
        let duplicated: Vec<_> = self.acked.keys().filter(|id| seen[*id] > 1).collect();
        assert!(duplicated.is_empty(), "acknowledged spans duplicated: {duplicated:?}");
    }
}

async fn send_http(intake: &Intake, key: &TestKey, request: &ExportTraceServiceRequest) -> Reply {
    let bearer = key.bearer();
    http_post(
        intake.http,
        "/v1/traces",
        &[("authorization", &bearer), ("content-type", "application/x-protobuf")],
        request.encode_to_vec(),
    )
    .await
}

async fn send_grpc(intake: &Intake, key: &TestKey, request: &ExportTraceServiceRequest) -> Reply {
    let bearer = key.bearer();
    grpc_call(
        intake.grpc,
        &[("authorization", &bearer)],
        grpc_frame(&request.encode_to_vec(), false),
    )
    .await
}

fn is_success(reply: &Reply) -> bool {
    reply.status == 200 && reply.grpc_status.unwrap_or(0) == 0
}

fn assert_retryable(reply: &Reply, what: &str) {
    match reply.grpc_status {
        Some(code) => assert_eq!(code, UNAVAILABLE, "{what}: grpc {code} {:?}", reply.grpc_message),
        None => {
            assert_eq!(reply.status, 503, "{what}: http {}", reply.status);
            assert!(reply.headers.contains_key("retry-after"), "{what}: no Retry-After");
        }
    }
}

fn start(tansu: &Tansu, key: &TestKey, extra: &str) -> Intake {
    Intake::start(
        &[key],
        IntakeOptions {
            kafka: Some(tansu.brokers()),
            extra_toml: extra.to_owned(),
            ..Default::default()
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_broker_gives_unavailable_never_success_and_acknowledged_spans_survive() {
    let tansu = Tansu::start();
    tansu.create_signal_topics(3);
    let key = TestKey::new("proj-outage");
    let intake = start(&tansu, &key, "");
    let mut sent = Sent::new();

    for i in 0..5 {
        let request = make_request(&format!("before-{i}"), 3, 10, 50);
        let reply = if i % 2 == 0 {
            send_http(&intake, &key, &request).await
        } else {
            send_grpc(&intake, &key, &request).await
        };
        assert!(
            is_success(&reply),
            "before the outage: {} {:?}",
            reply.status,
            reply.grpc_message
        );
        sent.ack(&request);
    }

    tansu.pause();
    let mut outage_requests = Vec::new();
    for i in 0..6 {
        let request = make_request(&format!("during-{i}"), 2, 5, 50);
        outage_requests.push(request);
    }
    let started = Instant::now();
    let replies = futures::future::join_all(outage_requests.iter().enumerate().map(|(i, r)| {
        let intake = &intake;
        let key = &key;
        async move {
            if i % 2 == 0 {
                send_http(intake, key, r).await
            } else {
                send_grpc(intake, key, r).await
            }
        }
    }))
    .await;
    let elapsed = started.elapsed();
    for (reply, request) in replies.iter().zip(&outage_requests) {
        assert!(!is_success(reply), "success while the broker was hung");
        assert_retryable(reply, "during the outage");
        let _ = request;
    }
    // delivery_timeout is 3s: every request is answered within it plus slack.
    assert!(elapsed < Duration::from_secs(8), "outage answers took {elapsed:?}");

    // A gRPC client's own deadline, shorter than delivery_timeout, is honoured.
    let bearer = key.bearer();
    let started = Instant::now();
    let reply = grpc_call(
        intake.grpc,
        &[("authorization", &bearer), ("grpc-timeout", "400m")],
        grpc_frame(&make_request("during-deadline", 1, 2, 10).encode_to_vec(), false),
    )
    .await;
    assert_eq!(
        reply.grpc_status,
        Some(4),
        "DEADLINE_EXCEEDED: {:?}",
        reply.grpc_message
    );
    assert!(
        reply.headers.contains_key("grpc-status-details-bin"),
        "a retry hint with it"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );

    tansu.resume();
    let recovered = Instant::now();
    loop {
        let request = make_request(&format!("recovery-{}", recovered.elapsed().as_millis()), 1, 3, 10);
        let reply = send_http(&intake, &key, &request).await;
        if is_success(&reply) {
            sent.ack(&request);
            break;
        }
        assert_retryable(&reply, "while recovering");
        assert!(
            recovered.elapsed() < Duration::from_secs(30),
            "not recovered 30s after the broker came back:\n{}",
            intake.logs()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    for i in 0..5 {
        let request = make_request(&format!("after-{i}"), 3, 10, 50);
        let reply = if i % 2 == 0 {
            send_grpc(&intake, &key, &request).await
        } else {
            send_http(&intake, &key, &request).await
        };
        assert!(
            is_success(&reply),
            "after recovery: {} {:?}\n{}",
            reply.status,
            reply.grpc_message,
            intake.logs()
        );
        sent.ack(&request);
    }
    sent.verify(&tansu);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_broker_gives_unavailable_and_intake_recovers_when_it_returns() {
    let mut tansu = Tansu::start();
    tansu.create_signal_topics(2);
    let key = TestKey::new("proj-restart");
    let intake = start(&tansu, &key, "");
    let request = make_request("first", 1, 4, 10);
    assert!(is_success(&send_http(&intake, &key, &request).await));

    tansu.kill();
    for i in 0..4 {
        let request = make_request(&format!("down-{i}"), 1, 4, 10);
        let started = Instant::now();
        let reply = if i % 2 == 0 {
            send_http(&intake, &key, &request).await
        } else {
            send_grpc(&intake, &key, &request).await
        };
        assert!(!is_success(&reply), "success with the broker down");
        assert_retryable(&reply, "broker down");
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "answer took {:?}",
            started.elapsed()
        );
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while intake.readyz() == 200 {
        assert!(Instant::now() < deadline, "still ready with the broker down");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A new, empty broker on the same address (in-memory storage): the operator recreates
    // the topic and intake picks up from there.
    tansu.restart();
    tansu.create_signal_topics(2);
    intake.wait_ready(Duration::from_secs(30));
    let mut sent = Sent::new();
    let recovered = Instant::now();
    let mut i = 0;
    while sent.acked.len() < 20 {
        i += 1;
        let request = make_request(&format!("back-{i}"), 2, 10, 10);
        let reply = if i % 2 == 0 {
            send_grpc(&intake, &key, &request).await
        } else {
            send_http(&intake, &key, &request).await
        };
        if is_success(&reply) {
            sent.ack(&request);
        } else {
            assert_retryable(&reply, "after restart");
            assert!(
                recovered.elapsed() < Duration::from_secs(30),
                "no success 30s after restart:\n{}",
                intake.logs()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    sent.verify(&tansu);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_topic_keeps_intake_unready_and_requests_unavailable_until_created() {
    let tansu = Tansu::start();
    let key = TestKey::new("proj-topic");
    let intake = Intake::start(
        &[&key],
        IntakeOptions {
            kafka: Some(tansu.brokers()),
            wait_ready: false,
            ..Default::default()
        },
    );
    // Only the spans topic is missing: the logs and metrics topics exist.
    tansu.create_topic(LOGS_TOPIC, 1);
    tansu.create_topic(METRICS_TOPIC, 1);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(intake.readyz(), 503);
    assert!(
        intake.logs().contains("does not exist") && intake.logs().contains(TOPIC),
        "{}",
        intake.logs()
    );
    let started = Instant::now();
    let reply = send_http(&intake, &key, &make_request("no-topic", 1, 2, 10)).await;
    assert_retryable(&reply, "missing topic");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a missing topic is answered at once"
    );
    let reply = send_grpc(&intake, &key, &make_request("no-topic-grpc", 1, 2, 10)).await;
    assert_retryable(&reply, "missing topic");

    tansu.create_topic(TOPIC, 1);
    intake.wait_ready(Duration::from_secs(15));
    let request = make_request("topic-created", 1, 3, 10);
    assert!(is_success(&send_http(&intake, &key, &request).await));
    let mut sent = Sent::new();
    sent.ack(&request);
    sent.verify(&tansu);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_topic_makes_the_topic_at_start() {
    let tansu = Tansu::start();
    let key = TestKey::new("proj-create");
    let intake = start(&tansu, &key, "create_topic = true\ntopic_partitions = 2\n");
    let request = make_request("created", 2, 6, 10);
    assert!(is_success(&send_grpc(&intake, &key, &request).await));
    let mut sent = Sent::new();
    sent.ack(&request);
    sent.verify(&tansu);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_larger_than_max_message_bytes_arrives_as_several_records_with_nothing_lost() {
    const LIMIT: usize = 16 * 1024;
    for (mode, transport) in [("project_id", "http"), ("trace_id", "grpc-gzip")] {
        let tansu = Tansu::start();
        tansu.create_signal_topics(3);
        let key = TestKey::new("proj-split");
        let intake = start(
            &tansu,
            &key,
            &format!("max_message_bytes = {LIMIT}\nkey = \"{mode}\"\n"),
        );
        // ~400 spans of ~350 bytes: about ten times the record limit, in two traces.
        let request = make_request(&format!("split-{mode}"), 2, 400, 300);
        assert!(request.encoded_len() > 8 * LIMIT);
        let reply = if transport == "http" {
            send_http(&intake, &key, &request).await
        } else {
            let bearer = key.bearer();
            let body = gzip(&request.encode_to_vec());
            grpc_call(
                intake.grpc,
                &[("authorization", &bearer), ("grpc-encoding", "gzip")],
                grpc_frame(&body, true),
            )
            .await
        };
        assert!(is_success(&reply), "{mode}: {} {:?}", reply.status, reply.grpc_message);
        assert!(reply.body.len() <= 16, "no partial_success expected");

        let reader = KafkaReader::new(&tansu.brokers(), TOPIC);
        let records = reader.read_until(Duration::from_secs(20), |r| {
            r.iter().map(|c| intake::otlp::span_count(&c.request())).sum::<usize>() >= 400
        });
        assert!(records.len() >= 8, "{mode}: only {} records", records.len());
        let mut ids = BTreeSet::new();
        for record in &records {
            assert!(
                record.value.len() <= LIMIT,
                "{mode}: record of {} bytes",
                record.value.len()
            );
            let decoded = record.request();
            for span in decoded
                .resource_spans
                .iter()
                .flat_map(|rs| &rs.scope_spans)
                .flat_map(|ss| &ss.spans)
            {
                assert!(ids.insert(hex::encode(&span.span_id)), "duplicate span");
                if mode == "trace_id" {
                    assert_eq!(record.key, hex::encode(&span.trace_id));
                }
            }
            if mode == "project_id" {
                assert_eq!(record.key, "proj-split");
            }
        }
        assert_eq!(ids.len(), 400, "{mode}: spans lost");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_span_too_large_for_any_record_is_reported_and_the_rest_delivered() {
    let tansu = Tansu::start();
    tansu.create_signal_topics(1);
    let key = TestKey::new("proj-huge");
    let intake = start(&tansu, &key, "max_message_bytes = 8192\n");
    let mut request = make_request("huge", 1, 5, 10);
    request.resource_spans[0].scope_spans[0].spans[2].name = "y".repeat(20_000);
    let reply = send_http(&intake, &key, &request).await;
    assert_eq!(reply.status, 200);
    let response = intake::otlp::ExportTraceServiceResponse::decode(&reply.body[..]).unwrap();
    let partial = response.partial_success.expect("partial_success");
    assert_eq!(partial.rejected_spans, 1);
    assert!(
        partial.error_message.contains("record size limit"),
        "{}",
        partial.error_message
    );
    request.resource_spans[0].scope_spans[0].spans.remove(2);
    let mut sent = Sent::new();
    sent.ack(&request);
    sent.verify(&tansu);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn envelope_records_carry_provenance_inside_the_value() {
    use intake::sink::envelope::{TraceEnvelope, CONTENT_TYPE};
    let tansu = Tansu::start();
    tansu.create_signal_topics(1);
    let mut key = TestKey::new("proj-envelope");
    key.entry.principal_id = Some("engineer-7".into());
    key.entry.source = "claude_code".into();
    let intake = start(&tansu, &key, "encoding = \"envelope\"\n");
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let request = make_request("envelope", 2, 6, 20);
    assert!(is_success(&send_http(&intake, &key, &request).await));

    let reader = KafkaReader::new(&tansu.brokers(), TOPIC);
    let records = reader.read_until(Duration::from_secs(20), |r| r.len() >= 2);
    assert_eq!(records.len(), 2, "one record per trace");
    let mut spans = 0;
    for record in &records {
        assert_eq!(record.headers["content-type"], CONTENT_TYPE);
        let envelope = TraceEnvelope::decode(&record.value[..]).expect("a TraceEnvelope");
        assert_eq!(envelope.project_id, "proj-envelope");
        assert_eq!(envelope.organization_id, "org-of-proj-envelope");
        assert_eq!(envelope.api_key_id, key.entry.id.clone().unwrap());
        assert_eq!(envelope.source, "claude_code");
        assert_eq!(envelope.principal_id, "engineer-7");
        assert!(envelope.received_time_unix_nano >= before);
        let inner = envelope.request.expect("the request");
        for rs in &inner.resource_spans {
            let attributes = &rs.resource.as_ref().unwrap().attributes;
            assert_eq!(attr_str(attributes, "langwatch.principal.id"), Some("engineer-7"));
            for ss in &rs.scope_spans {
                for span in &ss.spans {
                    assert_eq!(hex::encode(&span.trace_id), record.key);
                    spans += 1;
                }
            }
        }
    }
    assert_eq!(spans, 6);
}
