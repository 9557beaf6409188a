//! Operators' view of users' second factors: list them, and reset them for a user who lost
//! their device (the user's sessions end and their tokens are revoked).

use super::error::AdminResult;
use super::users::find_user;
use portcullis_store::{MfaFactor, Store, User};

/// A user's second factors (confirmed ones), and how many recovery codes remain.
pub async fn list_factors(
    store: &dyn Store,
    key: &str,
) -> AdminResult<(User, Vec<MfaFactor>, u32)> {
    let user = find_user(store, key).await?;
    let factors = store
        .list_mfa_factors(&user.user_id)
        .await?
        .into_iter()
        .filter(|f| f.confirmed)
        .collect();
    let codes = store.count_recovery_codes(&user.user_id).await?;
    Ok((user, factors, codes))
}

/// Removes every factor and recovery code of a user, revokes their tokens and ends their
/// sessions. Returns the user, how many factors were removed and how many sessions ended.
pub async fn reset(store: &dyn Store, key: &str) -> AdminResult<(User, u64, u64)> {
    let user = find_user(store, key).await?;
    let removed = store.delete_user_mfa(&user.user_id).await?;
    store.revoke_user_grants(&user.user_id).await?;
    let ended = store.delete_user_sessions(&user.user_id).await?;
    Ok((user, removed, ended))
}
