//! `RateLimitStore`.

use super::race;
use super::sample::T0;
use crate::*;
use std::sync::Arc;

const WINDOW: i64 = 60;
const LIMIT: u32 = 3;

fn key(name: &str) -> RateKey {
    let mut digest = [0u8; 32];
    for (slot, byte) in digest.iter_mut().zip(name.bytes()) {
        *slot = byte;
    }
    RateKey::from_digest(digest)
}

async fn acquire(store: &dyn Store, name: &str, now: UnixTime) -> bool {
    store
        .try_acquire(&key(name), LIMIT, WINDOW, now)
        .await
        .expect("try_acquire")
}

async fn attempts(store: &dyn Store, name: &str, now: UnixTime) -> u32 {
    store.attempts(&key(name), now).await.expect("attempts")
}

/// Attempts are granted up to the limit within one window, then refused, and refusals are not
/// counted.
pub async fn rate_limit_acquire_up_to_the_limit(store: &dyn Store) {
    assert_eq!(attempts(store, "ada", T0).await, 0, "unknown key");
    for n in 1..=LIMIT {
        assert!(
            acquire(store, "ada", T0 + i64::from(n)).await,
            "attempt {n}"
        );
        assert_eq!(attempts(store, "ada", T0 + i64::from(n)).await, n);
    }
    assert!(!acquire(store, "ada", T0 + 10).await, "over the limit");
    assert!(!acquire(store, "ada", T0 + WINDOW - 1).await, "still over");
    assert_eq!(
        attempts(store, "ada", T0 + WINDOW - 1).await,
        LIMIT,
        "refused attempts are not counted"
    );
}

/// The window starts at the first attempt; an attempt at or after its end starts a new one.
pub async fn rate_limit_window_ends_and_a_new_one_starts(store: &dyn Store) {
    for _ in 0..LIMIT {
        assert!(acquire(store, "k", T0).await);
    }
    assert!(!acquire(store, "k", T0 + WINDOW - 1).await);
    assert_eq!(
        attempts(store, "k", T0 + WINDOW).await,
        0,
        "the window ended"
    );
    assert!(acquire(store, "k", T0 + WINDOW).await, "a new window");
    assert_eq!(attempts(store, "k", T0 + WINDOW + 1).await, 1);
    assert!(acquire(store, "k", T0 + 2 * WINDOW - 1).await);
    assert!(acquire(store, "k", T0 + 2 * WINDOW - 1).await);
    assert!(
        !acquire(store, "k", T0 + 2 * WINDOW - 1).await,
        "the new window has its own limit"
    );
}

/// `reset` forgets one key's attempts and no other's; an unknown key is not an error.
pub async fn rate_limit_reset(store: &dyn Store) {
    for _ in 0..LIMIT {
        acquire(store, "k", T0).await;
    }
    acquire(store, "other", T0).await;
    store.reset(&key("k")).await.expect("reset");
    assert_eq!(attempts(store, "k", T0 + 1).await, 0);
    assert!(acquire(store, "k", T0 + 1).await);
    assert_eq!(
        attempts(store, "other", T0 + 1).await,
        1,
        "other keys are untouched"
    );
    store
        .reset(&key("nope"))
        .await
        .expect("resetting an unknown key");
}

/// Keys count separately, each with its own window.
pub async fn rate_limit_keys_are_independent(store: &dyn Store) {
    for _ in 0..LIMIT {
        assert!(acquire(store, "a", T0).await);
    }
    assert!(acquire(store, "b", T0 + 30).await, "b has its own budget");
    assert!(acquire(store, "a", T0 + WINDOW).await, "a's window ended");
    assert_eq!(
        attempts(store, "b", T0 + WINDOW).await,
        1,
        "b's window runs to T0+90"
    );
}

/// Counters whose window ended are purged; live ones stay.
pub async fn rate_limit_purge_removes_only_ended_windows(store: &dyn Store) {
    acquire(store, "old", T0).await;
    acquire(store, "new", T0 + 30).await;
    let purged = store
        .purge_expired_rate_limits(T0 + WINDOW)
        .await
        .expect("purge_expired_rate_limits");
    assert_eq!(purged, 1);
    assert_eq!(attempts(store, "new", T0 + WINDOW).await, 1);
    assert_eq!(
        store
            .purge_expired_rate_limits(T0 + WINDOW)
            .await
            .expect("purge_expired_rate_limits"),
        0
    );
}

/// Sixty-four concurrent attempts on one key: exactly `LIMIT` are granted (increment and check
/// are one atomic step), and the count says so.
pub async fn rate_limit_concurrent_acquires_never_exceed_the_limit(store: Arc<dyn Store>) {
    let results = race(64, |_| {
        let store = Arc::clone(&store);
        async move { store.try_acquire(&key("busy"), LIMIT, WINDOW, T0).await }
    })
    .await;
    let granted = results
        .into_iter()
        .filter(|r| *r.as_ref().expect("try_acquire"))
        .count();
    assert_eq!(granted, LIMIT as usize);
    assert_eq!(attempts(&*store, "busy", T0 + 1).await, LIMIT);
}
