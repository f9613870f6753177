//! End-to-end tests against the real binary, a real tansu broker, a real Kafka consumer
//! and real OpenTelemetry exporters, in one test binary so rdkafka is linked once.
//! `common/` holds what they start, one module per real part.

mod common;

mod agents;
mod auth;
mod clients;
mod genai_libraries;
mod hardening;
mod kafka;
mod key_api;
mod keyplane;
mod keystore;
mod load_invariants;
mod signals;
mod templates;
mod transport;
