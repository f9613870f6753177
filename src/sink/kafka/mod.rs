//! The Kafka sink: one producer (acks=all, idempotent), records keyed and split by the
//! `RecordLayout`, a request answered only after every record is acknowledged.

mod config;
mod sink;
mod topic;

pub use config::KafkaSinkConfig;
pub use sink::KafkaSink;
