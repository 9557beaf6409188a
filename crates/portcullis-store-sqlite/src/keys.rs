//! `KeyStore`. A partial unique index keeps at most one `current` and one `next` key, so the
//! "exactly one Current" rule holds even when replicas race.

use crate::SqliteStore;
use crate::rows::{self, key_columns};
use crate::sql;
use async_trait::async_trait;
use portcullis_store::{KeyState, KeyStore, SigningKeyRecord, StoreError, StoreResult, UnixTime};
use rusqlite::params;

#[async_trait]
impl KeyStore for SqliteStore {
    async fn insert_key(&self, key: &SigningKeyRecord) -> StoreResult<()> {
        let key = key.clone();
        self.write(move |tx| Ok(insert_key(tx, &key, key.state)?))
            .await
    }

    async fn list_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        self.read(|c| {
            Ok(sql::all(
                c,
                concat!(
                    "SELECT ",
                    key_columns!(),
                    " FROM signing_keys ORDER BY created_at, kid"
                ),
                [],
                rows::key,
            )?)
        })
        .await
    }

    async fn rotate_keys(
        &self,
        new_next: &SigningKeyRecord,
        retire_at: UnixTime,
        now: UnixTime,
    ) -> StoreResult<()> {
        let new_next = new_next.clone();
        self.write(move |tx| {
            // Each step keeps the one-current/one-next index satisfied.
            sql::execute(
                tx,
                "UPDATE signing_keys SET state = ? WHERE state = ? AND retire_at < ?",
                params![KeyState::Retired.as_str(), KeyState::Previous.as_str(), now],
            )?;
            sql::execute(
                tx,
                "UPDATE signing_keys SET state = ?, retire_at = ? WHERE state = ?",
                params![
                    KeyState::Previous.as_str(),
                    retire_at,
                    KeyState::Current.as_str()
                ],
            )?;
            let promoted = sql::execute(
                tx,
                "UPDATE signing_keys SET state = ? WHERE state = ?",
                params![KeyState::Current.as_str(), KeyState::Next.as_str()],
            )?;
            let state = if promoted > 0 {
                KeyState::Next
            } else {
                KeyState::Current
            };
            insert_key(tx, &new_next, state)?;
            Ok(())
        })
        .await
    }

    async fn revoke_key(&self, kid: &str) -> StoreResult<()> {
        let kid = kid.to_owned();
        self.write(move |tx| {
            let done = sql::execute(
                tx,
                "UPDATE signing_keys SET state = ? WHERE kid = ? AND state IN (?, ?)",
                params![
                    KeyState::Retired.as_str(),
                    kid,
                    KeyState::Previous.as_str(),
                    KeyState::Retired.as_str()
                ],
            )?;
            if done > 0 {
                return Ok(());
            }
            let exists = sql::optional(
                tx,
                "SELECT 1 FROM signing_keys WHERE kid = ?",
                params![kid],
                |r| r.get::<_, i64>(0),
            )?
            .is_some();
            if exists {
                Err(StoreError::Conflict(format!("signing key {kid} is current or next")).into())
            } else {
                Err(StoreError::NotFound.into())
            }
        })
        .await
    }
}

/// The INSERT of a signing key, with `state` in place of `key.state`, inside the caller's
/// transaction.
fn insert_key(
    c: &rusqlite::Connection,
    key: &SigningKeyRecord,
    state: KeyState,
) -> rusqlite::Result<()> {
    sql::execute(
        c,
        concat!(
            "INSERT INTO signing_keys (",
            key_columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?)"
        ),
        params![
            key.kid,
            key.alg,
            key.private_key_encrypted,
            key.public_jwk,
            state.as_str(),
            key.created_at,
            key.retire_at
        ],
    )?;
    Ok(())
}
