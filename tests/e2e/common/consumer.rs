//! A real Kafka consumer (rdkafka) that reads back what intake published.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use intake::otlp::{any_value, ExportTraceServiceRequest, KeyValue, Resource, Span};
use prost::Message;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message as _};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use super::*;

#[derive(Debug, Clone)]
pub struct Consumed {
    pub key: String,
    pub value: Vec<u8>,
    pub headers: BTreeMap<String, String>,
    pub partition: i32,
}

impl Consumed {
    /// A logs or metrics record (or spans) as the request it holds, from its signal header.
    pub fn export_request(&self) -> intake::otlp::ExportRequest {
        use intake::otlp::{ExportRequest, Signal};
        let signal = match self.headers.get("langwatch.signal").map(String::as_str) {
            Some("logs") => Signal::Logs,
            Some("metrics") => Signal::Metrics,
            _ => Signal::Traces,
        };
        let encoding = match self.headers.get("content-type").map(String::as_str) {
            Some("application/json") => intake::otlp::Encoding::Json,
            _ => intake::otlp::Encoding::Protobuf,
        };
        ExportRequest::decode(signal, encoding, &self.value).expect("OTLP record")
    }

    /// Every log record with its resource.
    pub fn log_records(&self) -> Vec<(intake::otlp::LogRecord, Resource)> {
        let intake::otlp::ExportRequest::Logs(request) = self.export_request() else {
            panic!("not a logs record: {:?}", self.headers)
        };
        let mut out = Vec::new();
        for rl in request.resource_logs {
            let resource = rl.resource.unwrap_or_default();
            for sl in rl.scope_logs {
                for record in sl.log_records {
                    out.push((record, resource.clone()));
                }
            }
        }
        out
    }

    /// Every metric with its resource.
    pub fn metrics(&self) -> Vec<(intake::otlp::metrics::Metric, Resource)> {
        let intake::otlp::ExportRequest::Metrics(request) = self.export_request() else {
            panic!("not a metrics record: {:?}", self.headers)
        };
        let mut out = Vec::new();
        for rm in request.resource_metrics {
            let resource = rm.resource.unwrap_or_default();
            for sm in rm.scope_metrics {
                for metric in sm.metrics {
                    out.push((metric, resource.clone()));
                }
            }
        }
        out
    }

    pub fn request(&self) -> ExportTraceServiceRequest {
        match self.headers.get("content-type").map(String::as_str) {
            Some("application/json") => intake::otlp::json::decode_request(&self.value).expect("OTLP/JSON record"),
            _ => ExportTraceServiceRequest::decode(&self.value[..]).expect("OTLP protobuf record"),
        }
    }
}

/// A real Kafka consumer reading every partition of a topic from the beginning.
pub struct KafkaReader {
    consumer: BaseConsumer,
}

impl KafkaReader {
    pub fn new(brokers: &str, topic: &str) -> KafkaReader {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .set("group.id", format!("intake-test-{}", free_port()))
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "earliest")
            .create()
            .expect("consumer");
        let metadata = consumer
            .fetch_metadata(Some(topic), Duration::from_secs(10))
            .expect("metadata");
        let partitions = metadata.topics()[0].partitions().len();
        assert!(partitions > 0, "topic {topic} has no partitions");
        let mut assignment = TopicPartitionList::new();
        for p in 0..partitions as i32 {
            assignment
                .add_partition_offset(topic, p, Offset::Beginning)
                .expect("assign");
        }
        consumer.assign(&assignment).expect("assign partitions");
        KafkaReader { consumer }
    }

    /// Reads until `enough` says so or `timeout` passes; returns what was read.
    pub fn read_until(&self, timeout: Duration, enough: impl Fn(&[Consumed]) -> bool) -> Vec<Consumed> {
        let deadline = Instant::now() + timeout;
        let mut out = Vec::new();
        while Instant::now() < deadline && !enough(&out) {
            match self.consumer.poll(Duration::from_millis(200)) {
                Some(Ok(message)) => {
                    let mut headers = BTreeMap::new();
                    if let Some(hs) = message.headers() {
                        for h in hs.iter() {
                            headers.insert(
                                h.key.to_owned(),
                                String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
                            );
                        }
                    }
                    out.push(Consumed {
                        key: String::from_utf8_lossy(message.key().unwrap_or_default()).into_owned(),
                        value: message.payload().unwrap_or_default().to_vec(),
                        headers,
                        partition: message.partition(),
                    });
                }
                Some(Err(error)) => eprintln!("consumer error (retrying): {error}"),
                None => {}
            }
        }
        out
    }

    /// Reads until `expected_spans` spans arrived (or `timeout`), then a little longer to
    /// catch strays; returns every span.
    pub fn spans_until(&self, timeout: Duration, expected_spans: usize) -> Vec<(Consumed, Span, Resource)> {
        let deadline = Instant::now() + timeout;
        let mut out = Vec::new();
        let mut linger_until: Option<Instant> = None;
        loop {
            let now = Instant::now();
            if now >= deadline || linger_until.is_some_and(|l| now >= l) {
                break;
            }
            let batch = self.read_until(Duration::from_millis(200), |_| false);
            for record in &batch {
                out.extend(flatten(record));
            }
            if linger_until.is_none() && out.len() >= expected_spans {
                linger_until = Some(Instant::now() + Duration::from_millis(500));
            }
        }
        out
    }
}

fn count_spans(records: &[Consumed]) -> usize {
    records.iter().map(|r| intake::otlp::span_count(&r.request())).sum()
}

pub fn flatten(record: &Consumed) -> Vec<(Consumed, Span, Resource)> {
    let request = record.request();
    let mut out = Vec::new();
    for rs in request.resource_spans {
        let resource = rs.resource.unwrap_or_default();
        for ss in rs.scope_spans {
            for span in ss.spans {
                out.push((record.clone(), span, resource.clone()));
            }
        }
    }
    out
}

pub fn attr<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a any_value::Value> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
}

pub fn attr_str<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a str> {
    match attr(attributes, key)? {
        any_value::Value::StringValue(s) => Some(s),
        _ => None,
    }
}
