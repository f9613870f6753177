//! The two listeners (OTLP/gRPC and OTLP/HTTP) and their graceful shutdown.

mod body;
mod client_addr;
mod error;
mod export;
pub mod grpc;
pub mod http;
pub mod key_json;
mod keys_api;
pub mod rpc_status;
pub mod status;

pub use client_addr::TrustedProxies;
pub use error::RequestError;
pub use key_json::KeyView;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::pipeline::Pipeline;
use crate::setting::InvalidSetting;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// OTLP/gRPC listen address.
    #[serde(default = "default_grpc_listen")]
    pub grpc_listen: SocketAddr,
    /// OTLP/HTTP listen address (also serves `/healthz` and `/readyz`).
    #[serde(default = "default_http_listen")]
    pub http_listen: SocketAddr,
    /// Admin listen address: `/metrics` (Prometheus text), `/healthz`, `/readyz`.
    #[serde(default = "default_admin_listen")]
    pub admin_listen: SocketAddr,
    /// After SIGTERM: how long in-flight requests may take to finish.
    #[serde(default = "default_shutdown_grace", with = "humantime_serde")]
    pub shutdown_grace: Duration,
    /// The longest a request may take, from its headers to its answer (a body trickling in
    /// holds its share of the in-flight budget until then). A gRPC client's shorter
    /// `grpc-timeout` wins. Keep it above `kafka.delivery_timeout`.
    #[serde(default = "default_request_timeout", with = "humantime_serde")]
    pub request_timeout: Duration,
    /// The URL clients reach the OTLP/HTTP listener at (`https://intake.example.com`), for
    /// the setup `intake key new --for …` prints. Default: `http://localhost:<http port>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    /// Load balancers whose `X-Forwarded-For` names the client (CIDRs, e.g. `10.0.0.0/8`).
    /// Per-address limits then count the forwarded client, not the balancer. Empty: the TCP
    /// peer is the client.
    #[serde(default)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

fn default_grpc_listen() -> SocketAddr {
    SocketAddr::from(([0, 0, 0, 0], 4317))
}
fn default_http_listen() -> SocketAddr {
    SocketAddr::from(([0, 0, 0, 0], 4318))
}
fn default_admin_listen() -> SocketAddr {
    SocketAddr::from(([0, 0, 0, 0], 9464))
}
fn default_request_timeout() -> Duration {
    Duration::from_secs(30)
}
fn default_shutdown_grace() -> Duration {
    Duration::from_secs(20)
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            grpc_listen: default_grpc_listen(),
            http_listen: default_http_listen(),
            admin_listen: default_admin_listen(),
            shutdown_grace: default_shutdown_grace(),
            request_timeout: default_request_timeout(),
            public_url: None,
            trusted_proxies: Vec::new(),
        }
    }
}

impl ServerConfig {
    /// Where clients send OTLP/HTTP: `public_url`, else this box's HTTP port.
    pub fn client_endpoint(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://localhost:{}", self.http_listen.port()),
        }
    }

    pub fn validate(&self) -> Result<(), InvalidSetting> {
        if self.grpc_listen == self.http_listen && self.grpc_listen.port() != 0 {
            return Err(InvalidSetting::new(
                "server.grpc_listen",
                "must differ from server.http_listen",
            ));
        }
        if let Some(url) = &self.public_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(InvalidSetting::new(
                    "server.public_url",
                    "must start with http:// or https://",
                ));
            }
        }
        if self.request_timeout.is_zero() {
            return Err(InvalidSetting::new(
                "server.request_timeout",
                "must be greater than zero",
            ));
        }
        Ok(())
    }
}

/// The client's address, attached to every request of a connection.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// What handlers share.
pub struct AppState {
    pub pipeline: Arc<Pipeline>,
    /// Key management over the configured store (the admin API).
    pub keys: Arc<crate::auth::KeyAdmin>,
    /// Cancelled at SIGTERM: new requests get UNAVAILABLE, `/readyz` turns 503.
    pub shutdown: CancellationToken,
    pub trusted_proxies: TrustedProxies,
    pub request_timeout: Duration,
}

impl AppState {
    /// The address per-address limits count this request against.
    pub fn client_address(&self, parts: &::http::request::Parts) -> Option<std::net::IpAddr> {
        let peer = parts.extensions.get::<PeerAddr>().map(|p| p.0.ip());
        self.trusted_proxies.client_address(peer, &parts.headers)
    }
}

pub struct Server {
    grpc: TcpListener,
    http: TcpListener,
    admin: TcpListener,
}

impl Server {
    pub async fn bind(config: &ServerConfig) -> std::io::Result<Server> {
        let grpc = TcpListener::bind(config.grpc_listen).await.map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("cannot listen on {} (server.grpc_listen): {e}", config.grpc_listen),
            )
        })?;
        let http = TcpListener::bind(config.http_listen).await.map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("cannot listen on {} (server.http_listen): {e}", config.http_listen),
            )
        })?;
        let admin = TcpListener::bind(config.admin_listen).await.map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("cannot listen on {} (server.admin_listen): {e}", config.admin_listen),
            )
        })?;
        Ok(Server { grpc, http, admin })
    }

    pub fn grpc_addr(&self) -> std::io::Result<SocketAddr> {
        self.grpc.local_addr()
    }

    pub fn http_addr(&self) -> std::io::Result<SocketAddr> {
        self.http.local_addr()
    }

    pub fn admin_addr(&self) -> std::io::Result<SocketAddr> {
        self.admin.local_addr()
    }

    /// Serves until `shutdown`, then stops accepting and waits up to `grace` for
    /// in-flight requests.
    pub async fn run(self, state: Arc<AppState>, grace: Duration) {
        let shutdown = state.shutdown.clone();
        let grpc = serve(
            self.grpc,
            grpc::router(Arc::clone(&state)),
            shutdown.clone(),
            grace,
            "grpc",
        );
        let admin = serve(
            self.admin,
            http::admin_router(Arc::clone(&state)),
            shutdown.clone(),
            grace,
            "admin",
        );
        let http = serve(self.http, http::router(state), shutdown, grace, "http");
        tokio::join!(grpc, http, admin);
    }
}

async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
    grace: Duration,
    transport: &'static str,
) {
    let graceful = GracefulShutdown::new();
    let builder = auto::Builder::new(TokioExecutor::new());
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(error) => {
                // Usually EMFILE: back off instead of spinning.
                static ACCEPT_WARNINGS: crate::telemetry::LogThrottle = crate::telemetry::LogThrottle::new();
                if ACCEPT_WARNINGS.allow() {
                    tracing::warn!(message = "accept failed", transport, %error, similar_suppressed = ACCEPT_WARNINGS.take_suppressed());
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone().layer(axum::Extension(PeerAddr(peer))));
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(message = "connection closed with error", transport, %error);
            }
        });
    }
    drop(listener);
    tracing::info!(message = "stopped accepting; draining connections", transport);
    tokio::select! {
        _ = graceful.shutdown() => tracing::info!(message = "connections drained", transport),
        _ = tokio::time::sleep(grace) => tracing::warn!(message = "shutdown grace elapsed with connections open", transport),
    }
}
