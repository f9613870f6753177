use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;
use std::time::Duration;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use tokio_util::sync::CancellationToken;

use super::topic::{check_topic, create_topic, TopicHealth};
use super::KafkaSinkConfig;
use crate::otlp::Signal;
use crate::sink::{BoxFuture, RecordBatch, RecordHeaders, RecordLayout, Sink, SinkError};
use crate::telemetry::metrics;

const HEALTH_UNKNOWN: u8 = 0;
const HEALTH_READY: u8 = 1;
const HEALTH_TOPIC_MISSING: u8 = 2;
const HEALTH_UNREACHABLE: u8 = 3;

pub struct KafkaSink {
    config: KafkaSinkConfig,
    layout: RecordLayout,
    /// Replaced when librdkafka reports a fatal error (an idempotent producer can enter
    /// one after message timeouts); a fatal producer never recovers by itself.
    producer: ArcSwap<FutureProducer>,
    /// Per signal (`Signal as usize`): whether its topic is there.
    health: [AtomicU8; 3],
    /// Publishes that succeeded / timed out since the last health check: a producer that
    /// only times out while the brokers answer metadata is stuck, not waiting.
    delivered: AtomicU64,
    timed_out: AtomicU64,
    /// Deliveries the brokers refused for this producer's id or epoch since the last
    /// health check.
    refused_producer: AtomicU64,
}

impl KafkaSink {
    /// Creates the producer, creates the topic when configured, and starts the health
    /// check. A missing topic does not fail start: the sink reports not ready, naming it.
    pub async fn start(config: KafkaSinkConfig, shutdown: CancellationToken) -> Result<Arc<KafkaSink>, KafkaError> {
        let producer: FutureProducer = config.producer_config().create()?;
        if config.create_topic {
            for signal in Signal::ALL {
                let topic = config.topic_for(signal);
                if let Err(error) = create_topic(&config, topic).await {
                    tracing::warn!(message = "could not create topic", %topic, %error);
                }
            }
        }
        let sink = Arc::new(KafkaSink {
            layout: config.layout(),
            config,
            producer: ArcSwap::from_pointee(producer),
            health: std::array::from_fn(|_| AtomicU8::new(HEALTH_UNKNOWN)),
            delivered: AtomicU64::new(0),
            timed_out: AtomicU64::new(0),
            refused_producer: AtomicU64::new(0),
        });
        sink.refresh_health().await;
        let watcher = Arc::clone(&sink);
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(watcher.config.health_interval);
            ticker.tick().await;
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = ticker.tick() => watcher.refresh_health().await,
                }
            }
        });
        Ok(sink)
    }

    fn producer(&self) -> Arc<FutureProducer> {
        self.producer.load_full()
    }

    /// The topic a signal's records go to.
    pub fn topic(&self, signal: Signal) -> &str {
        self.config.topic_for(signal)
    }

    async fn refresh_health(&self) {
        for signal in Signal::ALL {
            self.refresh_topic_health(signal).await;
        }
        let delivered = self.delivered.swap(0, Ordering::Relaxed);
        let timed_out = self.timed_out.swap(0, Ordering::Relaxed);
        let spans_ready = self.health[Signal::Traces as usize].load(Ordering::Relaxed) == HEALTH_READY;
        if spans_ready && timed_out > 0 && delivered == 0 {
            // The idempotent producer can wedge after an outage: it bumps its epoch
            // locally and a broker that lost or never knew that producer id keeps
            // refusing it. A fresh producer gets a fresh id.
            self.replace_producer(&format!("{timed_out} deliveries timed out while the brokers answer"));
        }
        let refused = self.refused_producer.swap(0, Ordering::Relaxed);
        if refused > 0 {
            // A broker that fenced this producer's id or epoch (after an outage it may
            // have handed the id to a retried init) refuses it for good, and librdkafka
            // does not always call that fatal. A fresh producer gets a fresh id. Replaced
            // here, once per health check, not per refused delivery.
            self.replace_producer(&format!("{refused} deliveries refused for the producer's id or epoch"));
        }
        self.replace_if_fatal();
    }

    async fn refresh_topic_health(&self, signal: Signal) {
        let producer = self.producer();
        let topic = self.config.topic_for(signal).to_owned();
        let timeout = self.config.health_interval.max(Duration::from_secs(1));
        let checked = topic.clone();
        let health = tokio::task::spawn_blocking(move || check_topic(&producer, &checked, timeout))
            .await
            .unwrap_or_else(|e| TopicHealth::Unreachable(e.to_string()));
        let state = match &health {
            TopicHealth::Ready { .. } => HEALTH_READY,
            TopicHealth::Missing => HEALTH_TOPIC_MISSING,
            TopicHealth::Unreachable(_) => HEALTH_UNREACHABLE,
        };
        let previous = self.health[signal as usize].swap(state, Ordering::Relaxed);
        if previous != state {
            match health {
                TopicHealth::Ready { partitions } => {
                    tracing::info!(message = "kafka topic ready", %topic, signal = signal.name(), partitions)
                }
                TopicHealth::Missing => tracing::error!(
                    message = "kafka topic does not exist; create it or set kafka.create_topic = true",
                    %topic,
                    signal = signal.name()
                ),
                TopicHealth::Unreachable(error) => {
                    tracing::warn!(message = "kafka brokers unreachable", brokers = %self.config.brokers, %error)
                }
            }
        }
    }

    fn replace_if_fatal(&self) {
        let producer = self.producer();
        if let Some((code, reason)) = producer.client().fatal_error() {
            self.replace_producer(&format!("fatal error {code:?}: {reason}"));
        }
    }

    fn replace_producer(&self, why: &str) {
        tracing::warn!(message = "replacing the kafka producer", reason = why);
        let fresh = match self.config.producer_config().create::<FutureProducer>() {
            Ok(fresh) => fresh,
            Err(error) => {
                tracing::error!(message = "could not create a new kafka producer", %error);
                return;
            }
        };
        let old = self.producer.swap(Arc::new(fresh));
        // Dropping a producer purges and flushes its queue, which blocks.
        tokio::task::spawn_blocking(move || drop(old));
    }

    fn classify(&self, error: KafkaError) -> SinkError {
        match error.rdkafka_error_code() {
            Some(RDKafkaErrorCode::QueueFull) => SinkError::QueueFull,
            Some(RDKafkaErrorCode::MessageSizeTooLarge | RDKafkaErrorCode::InvalidMessageSize) => {
                SinkError::Rejected(error.to_string())
            }
            Some(
                RDKafkaErrorCode::ProducerFenced
                | RDKafkaErrorCode::InvalidProducerEpoch
                | RDKafkaErrorCode::UnknownProducerId
                | RDKafkaErrorCode::InvalidProducerIdMapping,
            ) => {
                self.refused_producer.fetch_add(1, Ordering::Relaxed);
                SinkError::Unavailable(error.to_string())
            }
            Some(RDKafkaErrorCode::MessageTimedOut) => {
                self.timed_out.fetch_add(1, Ordering::Relaxed);
                SinkError::Timeout(self.config.delivery_timeout)
            }
            _ => {
                self.replace_if_fatal();
                SinkError::Unavailable(error.to_string())
            }
        }
    }
}

/// Counts records handed to the producer until the request is answered.
struct InFlight(i64);

impl InFlight {
    fn new(n: i64) -> Self {
        metrics().kafka_in_flight(n);
        Self(n)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics().kafka_in_flight(-self.0);
    }
}

fn owned_headers(headers: &RecordHeaders) -> OwnedHeaders {
    headers.pairs().fold(OwnedHeaders::new(), |acc, (key, value)| {
        acc.insert(Header {
            key,
            value: Some(value),
        })
    })
}

impl Sink for KafkaSink {
    fn layout(&self) -> &RecordLayout {
        &self.layout
    }

    fn publish(&self, batch: RecordBatch) -> BoxFuture<'_, Result<(), SinkError>> {
        Box::pin(async move {
            let signal = batch.headers.signal;
            let topic = self.config.topic_for(signal);
            if self.health[signal as usize].load(Ordering::Relaxed) == HEALTH_TOPIC_MISSING {
                return Err(SinkError::Unavailable(format!("kafka topic `{topic}` does not exist")));
            }
            let producer = self.producer();
            let headers = owned_headers(&batch.headers);
            let started = std::time::Instant::now();
            let in_flight = InFlight::new(batch.records.len() as i64);
            let mut deliveries = Vec::with_capacity(batch.records.len());
            for record in &batch.records {
                let future_record = FutureRecord::to(topic)
                    .key(record.key.as_bytes())
                    .payload(&record.value)
                    .headers(headers.clone());
                match producer.send_result(future_record) {
                    Ok(delivery) => deliveries.push(delivery),
                    Err((error, _)) => return Err(self.classify(error)),
                }
            }
            // librdkafka fails each record at message.timeout.ms; the extra second only
            // guards against a delivery report that never comes.
            let deadline = self.config.delivery_timeout + Duration::from_secs(1);
            let Ok(results) = tokio::time::timeout(deadline, futures::future::join_all(deliveries)).await else {
                self.timed_out.fetch_add(1, Ordering::Relaxed);
                return Err(SinkError::Timeout(self.config.delivery_timeout));
            };
            for result in results {
                match result {
                    Ok(Ok(_)) => {}
                    Ok(Err((error, _))) => return Err(self.classify(error)),
                    Err(_) => return Err(SinkError::Unavailable("producer closed".to_owned())),
                }
            }
            self.delivered.fetch_add(1, Ordering::Relaxed);
            metrics().kafka_produce_time(started.elapsed());
            drop(in_flight);
            Ok(())
        })
    }

    fn is_ready(&self) -> bool {
        self.health.iter().all(|h| h.load(Ordering::Relaxed) == HEALTH_READY)
    }

    fn not_ready_reason(&self) -> Option<String> {
        let missing: Vec<&str> = Signal::ALL
            .into_iter()
            .filter(|s| self.health[*s as usize].load(Ordering::Relaxed) == HEALTH_TOPIC_MISSING)
            .map(|s| self.config.topic_for(s))
            .collect();
        if !missing.is_empty() {
            return Some(format!("kafka topic missing: {}", missing.join(", ")));
        }
        (!self.is_ready()).then(|| "kafka brokers unreachable".to_owned())
    }

    fn flush(&self, timeout: Duration) -> BoxFuture<'_, ()> {
        let producer = self.producer();
        Box::pin(async move {
            let result = tokio::task::spawn_blocking(move || producer.flush(timeout)).await;
            match result {
                Ok(Ok(())) => tracing::info!(message = "kafka producer flushed"),
                Ok(Err(error)) => tracing::error!(message = "kafka flush incomplete", %error),
                Err(error) => tracing::error!(message = "kafka flush task failed", %error),
            }
        })
    }
}
