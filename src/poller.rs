//! A blocking job run on a fixed interval until shutdown (file watching by polling).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// Runs `job` on the blocking pool every `interval` until `shutdown`; a tick that comes
/// while the previous job still runs is skipped, not queued.
pub fn spawn_poller(
    interval: Duration,
    shutdown: CancellationToken,
    job: impl Fn() + Send + Sync + 'static,
) -> tokio::task::JoinHandle<()> {
    let job = std::sync::Arc::new(job);
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = ticker.tick() => {}
            }
            let job = std::sync::Arc::clone(&job);
            if let Err(error) = tokio::task::spawn_blocking(move || job()).await {
                tracing::error!(message = "polling task failed", %error);
            }
        }
    })
}
