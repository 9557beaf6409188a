//! Signing keys: list and rotate.

use super::error::AdminResult;
use crate::config::ProviderConfig;
use crate::crypto::KeyEncryptor;
use crate::keys::{ensure_keys, rotate_keys};
use portcullis_store::{KeyState, Store, UnixTime};

/// A signing key as an operator sees it (no key material).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: String,
    pub state: KeyState,
    pub created_at: UnixTime,
    /// When a previous key leaves the JWKS.
    pub retire_at: Option<UnixTime>,
}

/// Every key, retired ones included, oldest first.
pub async fn list_keys(store: &dyn Store) -> AdminResult<Vec<KeyInfo>> {
    Ok(store
        .list_keys()
        .await?
        .into_iter()
        .map(|k| KeyInfo {
            kid: k.kid,
            alg: k.alg,
            state: k.state,
            created_at: k.created_at,
            retire_at: k.retire_at,
        })
        .collect())
}

/// How long the previous key must stay published after a rotation: the longest lifetime of a
/// token it may have signed (ID tokens, userinfo access tokens, every API's access tokens), and
/// at least `config.previous_key_lifetime`.
pub async fn keep_previous_for(store: &dyn Store, config: &ProviderConfig) -> AdminResult<i64> {
    let longest_api = store
        .list_apis()
        .await?
        .iter()
        .map(|a| a.token_lifetime)
        .max()
        .unwrap_or(0);
    Ok([
        config.id_token_lifetime,
        config.userinfo_token_lifetime,
        config.previous_key_lifetime,
        longest_api,
    ]
    .into_iter()
    .max()
    .unwrap_or(0))
}

/// Rotates the signing keys: the next key starts signing, the current one stays published for
/// [`keep_previous_for`], and a new next key is generated. Creates the first keys when there are
/// none. Returns the keys after the rotation.
pub async fn rotate(
    store: &dyn Store,
    encryptor: &KeyEncryptor,
    config: &ProviderConfig,
    now: UnixTime,
) -> AdminResult<Vec<KeyInfo>> {
    ensure_keys(store, encryptor, now).await?;
    let keep = keep_previous_for(store, config).await?;
    rotate_keys(store, encryptor, keep, now).await?;
    list_keys(store).await
}
