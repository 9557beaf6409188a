//! `RateLimitStore`.

use super::race;
use super::sample::T0;
use crate::*;
use std::sync::Arc;

const WINDOW: i64 = 60;

async fn hit(store: &dyn Store, key: &str, now: UnixTime) -> u32 {
    store.hit(key, WINDOW, now).await.expect("hit")
}

async fn peek(store: &dyn Store, key: &str, now: UnixTime) -> u32 {
    store.peek(key, WINDOW, now).await.expect("peek")
}

/// Hits within one window count up from 1.
pub async fn rate_limit_hits_count_within_window(store: &dyn Store) {
    assert_eq!(hit(store, "login:ada", T0).await, 1);
    assert_eq!(hit(store, "login:ada", T0).await, 2);
    assert_eq!(hit(store, "login:ada", T0 + 30).await, 3);
    assert_eq!(hit(store, "login:ada", T0 + WINDOW - 1).await, 4);
}

/// The window is fixed, starting at its first hit and covering `[start, start + window)`: a hit
/// at or after its end starts a new window counting from 1.
pub async fn rate_limit_hit_after_window_starts_new_one(store: &dyn Store) {
    assert_eq!(hit(store, "k", T0).await, 1);
    assert_eq!(hit(store, "k", T0 + 59).await, 2);
    assert_eq!(
        hit(store, "k", T0 + WINDOW).await,
        1,
        "a new window at T0+60"
    );
    assert_eq!(hit(store, "k", T0 + 100).await, 2, "within [T0+60, T0+120)");
    assert_eq!(hit(store, "k", T0 + 119).await, 3);
    assert_eq!(
        hit(store, "k", T0 + 1000).await,
        1,
        "long after: a new window"
    );
}

/// `peek` reports the hits of the current window without recording one; an unknown key or an
/// ended window reads 0, and peeking does not start a window.
pub async fn rate_limit_peek_does_not_count(store: &dyn Store) {
    assert_eq!(peek(store, "k", T0).await, 0, "unknown key");
    assert_eq!(hit(store, "k", T0).await, 1);
    assert_eq!(hit(store, "k", T0 + 1).await, 2);
    for _ in 0..3 {
        assert_eq!(peek(store, "k", T0 + 2).await, 2);
    }
    assert_eq!(hit(store, "k", T0 + 3).await, 3, "peeks were not counted");
    assert_eq!(peek(store, "k", T0 + WINDOW).await, 0, "the window ended");
    assert_eq!(
        hit(store, "k", T0 + WINDOW + 30).await,
        1,
        "the peek did not start a window"
    );
    assert_eq!(peek(store, "k", T0 + WINDOW + 31).await, 1);
}

/// `reset` forgets a key's hits; resetting an unknown key is not an error.
pub async fn rate_limit_reset(store: &dyn Store) {
    for _ in 0..3 {
        hit(store, "k", T0).await;
    }
    hit(store, "other", T0).await;
    store.reset("k").await.expect("reset");
    assert_eq!(peek(store, "k", T0 + 1).await, 0);
    assert_eq!(hit(store, "k", T0 + 1).await, 1);
    assert_eq!(
        peek(store, "other", T0 + 1).await,
        1,
        "other keys untouched"
    );
    store.reset("nope").await.expect("resetting an unknown key");
}

/// Keys count separately, each with its own window.
pub async fn rate_limit_keys_are_independent(store: &dyn Store) {
    assert_eq!(hit(store, "a", T0).await, 1);
    assert_eq!(hit(store, "a", T0 + 1).await, 2);
    assert_eq!(hit(store, "b", T0 + 30).await, 1);
    assert_eq!(hit(store, "a", T0 + WINDOW).await, 1, "a's window ended");
    assert_eq!(
        hit(store, "b", T0 + WINDOW).await,
        2,
        "b's window runs to T0+90"
    );
}

/// Sixteen concurrent hits are all counted: each sees a distinct count from 1 to 16.
pub async fn rate_limit_concurrent_hits_all_count(store: Arc<dyn Store>) {
    let results = race(16, |_| {
        let store = Arc::clone(&store);
        async move { store.hit("busy", WINDOW, T0).await }
    })
    .await;
    let mut counts: Vec<u32> = results.into_iter().map(|r| r.expect("hit")).collect();
    counts.sort_unstable();
    assert_eq!(counts, (1..=16).collect::<Vec<u32>>());
    assert_eq!(peek(&*store, "busy", T0 + 1).await, 16);
}
