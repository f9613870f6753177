//! Whether the key database answers, as the store last saw it. Lookups read one atomic;
//! transitions are logged once each and exported as `intake_key_store_up`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use crate::auth::source::SourceHealth;
use crate::telemetry::metrics;

enum State {
    Starting(String),
    Up,
    Down { since: Instant, error: String },
}

pub struct StoreHealth {
    reachable: AtomicBool,
    state: Mutex<State>,
}

impl StoreHealth {
    pub fn new() -> Self {
        metrics().set_key_store_up(false);
        Self {
            reachable: AtomicBool::new(false),
            state: Mutex::new(State::Starting("connecting".to_owned())),
        }
    }

    pub fn is_reachable(&self) -> bool {
        self.reachable.load(Ordering::Acquire)
    }

    pub fn up(&self) {
        if self.reachable.swap(true, Ordering::AcqRel) {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match &*state {
            State::Down { since, .. } => tracing::info!(
                message = "key database reachable again",
                down_for_secs = since.elapsed().as_secs_f64()
            ),
            State::Starting(_) => tracing::info!(message = "key database connected"),
            State::Up => {}
        }
        *state = State::Up;
        metrics().set_key_store_up(true);
    }

    /// Records a failure to reach the database. Before the first success it stays
    /// "starting" (with the latest error), so `/readyz` can tell the two apart.
    pub fn down(&self, error: &str) {
        metrics().key_store_error();
        let was_reachable = self.reachable.swap(false, Ordering::AcqRel);
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match &mut *state {
            State::Starting(last) => *last = error.to_owned(),
            State::Down { error: last, .. } => *last = error.to_owned(),
            State::Up => {
                *state = State::Down {
                    since: Instant::now(),
                    error: error.to_owned(),
                }
            }
        }
        if was_reachable {
            tracing::warn!(message = "key database unreachable; cached keys keep working", %error);
            metrics().set_key_store_up(false);
        }
    }

    pub fn snapshot(&self) -> SourceHealth {
        match &*self.state.lock().unwrap_or_else(|p| p.into_inner()) {
            State::Starting(error) => SourceHealth::Starting(error.clone()),
            State::Up => SourceHealth::Up,
            State::Down { since, error } => SourceHealth::Down {
                since_secs: since.elapsed().as_secs(),
                error: error.clone(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starting_then_up_then_down_then_up() {
        let health = StoreHealth::new();
        health.down("refused");
        assert_eq!(health.snapshot(), SourceHealth::Starting("refused".into()));
        assert!(!health.is_reachable());
        health.up();
        assert!(health.is_reachable());
        health.down("reset");
        assert!(matches!(health.snapshot(), SourceHealth::Down { ref error, .. } if error == "reset"));
        assert!(!health.is_reachable());
        health.up();
        assert_eq!(health.snapshot(), SourceHealth::Up);
    }
}
