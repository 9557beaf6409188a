//! Per-application rate limit of the Management API, shared by every replica through the store.
//!
//! Fixed one-minute windows aligned to the clock: the counter's key names the application and
//! the minute, so when the minute ends a fresh counter starts and `reset` is exact. What the
//! caller is told mirrors Auth0's `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
//! `X-RateLimit-Reset` (Unix seconds).

use super::error::ManagementResult;
use crate::Provider;
use portcullis_store::RateKey;

/// The window, in seconds.
pub const WINDOW_SECS: i64 = 60;

/// The state of an application's budget after one request was counted (or refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitStatus {
    /// Requests allowed per window.
    pub limit: u32,
    /// Requests left in this window.
    pub remaining: u32,
    /// When the window ends, Unix seconds.
    pub reset: i64,
    /// Whether this request was counted (`false`: answer 429).
    pub allowed: bool,
}

fn key(p: &Provider, client_id: &str, window: i64) -> RateKey {
    let encoded = format!("management-api:{}:{client_id}:{window}", client_id.len());
    RateKey::from_digest(p.hasher.digest(encoded.as_bytes()))
}

/// Counts one request of `client_id` against its budget.
pub async fn acquire(p: &Provider, client_id: &str) -> ManagementResult<RateLimitStatus> {
    let now = p.now();
    let window = now.div_euclid(WINDOW_SECS);
    let reset = (window + 1) * WINDOW_SECS;
    let limit = p.config.management_api_requests_per_minute.max(1);
    let key = key(p, client_id, window);
    let allowed = p.store.try_acquire(&key, limit, WINDOW_SECS, now).await?;
    let used = p.store.attempts(&key, now).await?;
    Ok(RateLimitStatus {
        limit,
        remaining: limit.saturating_sub(used),
        reset,
        allowed,
    })
}
