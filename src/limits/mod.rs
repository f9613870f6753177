//! Limits that keep intake serving under any input and any load: the in-flight byte
//! budget, per-key span rate limits, failed-authentication limits per client address,
//! and the per-request input limits.

mod budget;
mod config;
mod input;
mod rate;

pub use budget::{BudgetPermit, InflightBudget};
pub use config::LimitsConfig;
pub use input::{enforce_input_limits, InputLimitOutcome};
pub use rate::{KeyedRateLimiter, RateDecision, RateLimitsConfig, TokenBucket};
