//! intake: an OTLP ingestion receiver. See `README.md` and `DESIGN.md` for the flow.

// Request-reachable code never panics on bad input: tests may unwrap, library code may not.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod app;
pub mod auth;
pub mod codec;
pub mod limits;
pub mod otlp;
pub mod ottl;
pub mod pipeline;
pub mod poller;
pub mod secret;
pub mod server;
pub mod setting;
pub mod shutdown;
pub mod sink;
pub mod telemetry;
pub mod template;
