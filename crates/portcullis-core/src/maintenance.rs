//! Background upkeep every replica runs: pick up key rotations made elsewhere (CLI, another
//! replica) and purge expired codes and tokens.

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
    match p.store.purge_expired(now).await {
        Ok(0) => {}
        Ok(n) => tracing::debug!(rows = n, "purged expired codes and tokens"),
        Err(e) => tracing::error!(error = %e, "purging expired records failed"),
    }
}
