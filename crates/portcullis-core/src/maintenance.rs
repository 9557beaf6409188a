//! Background upkeep every replica runs: pick up key rotations made elsewhere (CLI, another
//! replica) and purge what has expired (codes, tokens, grants, sessions, throttle counters,
//! audit log events past their retention, Management API jobs older than a week).

use crate::Provider;
use std::time::Duration;

/// Runs forever; spawn it next to the server. Reloads the signing keys every `reload_every`
/// (a rotation made by the CLI or another replica is signed with, and published, within that
/// delay: issue #11 asks for 10 seconds) and purges expired records every `purge_every`.
pub async fn run(p: Provider, reload_every: Duration, purge_every: Duration) {
    let mut reload = tokio::time::interval(reload_every);
    reload.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut purge = tokio::time::interval(purge_every);
    purge.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = reload.tick() => reload_keys(&p).await,
            _ = purge.tick() => purge_expired(&p).await,
        }
    }
}

/// Picks up key rotations made elsewhere. Failures are logged and retried next round.
pub async fn reload_keys(p: &Provider) {
    if let Err(e) = p.keys.reload(p.store.as_ref(), p.now()).await {
        tracing::error!(error = %e, "reloading signing keys failed");
    }
}

/// One round of upkeep: keys reloaded, expired records purged.
pub async fn tick(p: &Provider) {
    reload_keys(p).await;
    purge_expired(p).await;
}

/// Audit log events before this time (Unix milliseconds) are past `audit_log_retention_days`.
pub fn audit_log_cutoff_ms(p: &Provider) -> i64 {
    let retention = p.config.audit_log_retention_days.saturating_mul(86_400);
    p.now().saturating_sub(retention).saturating_mul(1000)
}

/// Deletes what has expired. Failures are logged and retried next round.
pub async fn purge_expired(p: &Provider) {
    let now = p.now();
    // Everything that expires is deleted once it has: nothing a caller can create (throttle
    // counters, sessions, codes, tokens) accumulates without bound.
    let purged = [
        ("codes, tokens and grants", p.store.purge_expired(now).await),
        ("sessions", p.store.purge_expired_sessions(now).await),
        (
            "passkey ceremony state",
            p.store.purge_expired_webauthn_states(now).await,
        ),
        (
            "throttle counters",
            p.store.purge_expired_rate_limits(now).await,
        ),
        (
            "audit log events past their retention",
            p.store.purge_log_events(audit_log_cutoff_ms(p)).await,
        ),
        (
            "Management API jobs past their retention",
            p.store
                .purge_jobs(now.saturating_sub(crate::management::jobs::RETENTION))
                .await,
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
