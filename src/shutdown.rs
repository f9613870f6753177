//! SIGTERM / SIGINT become one cancellation token every long-running task watches.

use tokio_util::sync::CancellationToken;

/// Cancels `token` on the first SIGTERM or SIGINT.
pub fn cancel_on_signal(token: CancellationToken) {
    tokio::spawn(async move {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(error) => {
                    tracing::error!(message = "cannot listen for SIGTERM", %error);
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::select! {
            _ = terminate => tracing::info!(message = "SIGTERM received; shutting down"),
            _ = tokio::signal::ctrl_c() => tracing::info!(message = "SIGINT received; shutting down"),
            _ = token.cancelled() => return,
        }
        token.cancel();
    });
}
