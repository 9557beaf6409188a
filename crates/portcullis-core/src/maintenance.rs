//! Background upkeep every replica runs: pick up key rotations made elsewhere (CLI, another
//! replica) and purge what has expired (codes, tokens, grants, sessions, throttle counters).

use crate::Provider;
use std::time::Duration;

/// Runs forever; spawn it next to the server.
pub async fn run(p: Provider, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        tick(&p).await;
    }
}

/// One round of upkeep. Failures are logged and retried next round.
pub async fn tick(p: &Provider) {
    let now = p.now();
    if let Err(e) = p.keys.reload(p.store.as_ref(), now).await {
        tracing::error!(error = %e, "reloading signing keys failed");
    }
    // Everything that expires is deleted once it has: nothing a caller can create (throttle
    // counters, sessions, codes, tokens) accumulates without bound.
    let purged = [
        ("codes, tokens and grants", p.store.purge_expired(now).await),
        ("sessions", p.store.purge_expired_sessions(now).await),
        (
            "throttle counters",
            p.store.purge_expired_rate_limits(now).await,
        ),
    ];
    for (what, result) in purged {
        match result {
            Ok(0) => {}
            Ok(rows) => tracing::debug!(rows, what, "purged expired records"),
            Err(e) => tracing::error!(error = %e, what, "purging expired records failed"),
        }
    }
}
