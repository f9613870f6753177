//! Broker and topic health, and topic creation when configured.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{FutureProducer, Producer};

use super::KafkaSinkConfig;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicHealth {
    Ready { partitions: usize },
    Missing,
    Unreachable(String),
}

/// Blocking: asks the brokers for the topic's metadata.
pub fn check_topic(producer: &FutureProducer, topic: &str, timeout: Duration) -> TopicHealth {
    match producer.client().fetch_metadata(Some(topic), timeout) {
        Ok(metadata) => match metadata.topics().iter().find(|t| t.name() == topic) {
            Some(t) if t.error().is_none() && !t.partitions().is_empty() => TopicHealth::Ready {
                partitions: t.partitions().len(),
            },
            _ => TopicHealth::Missing,
        },
        Err(error) => TopicHealth::Unreachable(error.to_string()),
    }
}

/// Creates the topic; an existing topic is success.
pub async fn create_topic(config: &KafkaSinkConfig, name: &str) -> Result<(), KafkaError> {
    let admin: AdminClient<DefaultClientContext> = config.admin_config().create()?;
    let topic = NewTopic::new(
        name,
        config.topic_partitions,
        TopicReplication::Fixed(config.topic_replication),
    );
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = admin.create_topics([&topic], &options).await?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((_, code)) => return Err(KafkaError::AdminOp(code)),
        }
    }
    Ok(())
}
