//! intake: an OTLP ingestion receiver. See `README.md` and `DESIGN.md` for the flow.

pub mod app;
pub mod auth;
pub mod codec;
pub mod config;
pub mod embedded;
pub mod otlp;
pub mod pipeline;
pub mod provenance;
pub mod rpc_status;
pub mod secret;
pub mod server;
pub mod shutdown;
pub mod sink;
