//! Signing keys through the Management API (Auth0's `/keys/signing`): list, rotate, revoke.
//! Rotation is the CLI's (`portcullis keys rotate`); after a change this replica reloads its
//! key ring at once, the others on their next reload.

use super::error::{ManagementError, ManagementResult};
use crate::Provider;
use crate::admin::keys::keep_previous_for;
use crate::keys::{ensure_keys, rotate_keys};
use portcullis_store::{KeyState, SigningKeyRecord, StoreError};

/// Every key, retired ones included, oldest first.
pub async fn list(p: &Provider) -> ManagementResult<Vec<SigningKeyRecord>> {
    Ok(p.store.list_keys().await?)
}

/// One key by kid.
pub async fn get(p: &Provider, kid: &str) -> ManagementResult<SigningKeyRecord> {
    list(p)
        .await?
        .into_iter()
        .find(|k| k.kid == kid)
        .ok_or_else(|| {
            ManagementError::not_found("inexistent_signing_key", "The signing key does not exist")
        })
}

fn key_error(e: crate::keys::KeyError) -> ManagementError {
    match e {
        crate::keys::KeyError::Store(s) => s.into(),
        other => {
            tracing::error!(error = %other, "management API: signing keys");
            ManagementError::internal()
        }
    }
}

/// Rotates: the next key starts signing, the current one stays published as long as tokens it
/// signed live, and a new next key is made. Returns the new next key.
pub async fn rotate(p: &Provider) -> ManagementResult<SigningKeyRecord> {
    let store = p.store.as_ref();
    let now = p.now();
    let encryptor = p.keys.encryptor();
    ensure_keys(store, encryptor, now)
        .await
        .map_err(key_error)?;
    let keep = keep_previous_for(store, &p.config).await?;
    let next = rotate_keys(store, encryptor, keep, now)
        .await
        .map_err(key_error)?;
    p.keys.reload(store, now).await.map_err(key_error)?;
    get(p, &next.kid).await
}

/// Revokes a previous key: it leaves the JWKS at once, so tokens it signed stop verifying.
/// The current and next keys cannot be revoked (rotate first).
pub async fn revoke(p: &Provider, kid: &str) -> ManagementResult<SigningKeyRecord> {
    let key = get(p, kid).await?;
    if matches!(key.state, KeyState::Current | KeyState::Next) {
        return Err(ManagementError::new(
            super::error::ErrorKind::BadRequest,
            "invalid_key_state",
            "The current and next signing keys cannot be revoked; rotate first",
        ));
    }
    match p.store.revoke_key(kid).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            return Err(ManagementError::new(
                super::error::ErrorKind::BadRequest,
                "invalid_key_state",
                "The current and next signing keys cannot be revoked; rotate first",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    p.keys
        .reload(p.store.as_ref(), p.now())
        .await
        .map_err(key_error)?;
    get(p, kid).await
}
