//! `KeyStore`. A partial unique index keeps at most one `current` and one `next` key, so the
//! "exactly one Current" rule holds even when replicas race.

use crate::SqliteStore;
use crate::error::db;
use crate::rows::{self, key_columns};
use async_trait::async_trait;
use portcullis_store::{KeyState, KeyStore, SigningKeyRecord, StoreResult, UnixTime};

#[async_trait]
impl KeyStore for SqliteStore {
    async fn insert_key(&self, key: &SigningKeyRecord) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        insert_key(&mut conn, key, key.state).await
    }

    async fn list_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            key_columns!(),
            " FROM signing_keys ORDER BY created_at, kid"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows::all(rows, rows::key)
    }

    async fn rotate_keys(
        &self,
        new_next: &SigningKeyRecord,
        retire_at: UnixTime,
        now: UnixTime,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        // Each step keeps the one-current/one-next index satisfied.
        sqlx::query("UPDATE signing_keys SET state = ? WHERE state = ? AND retire_at < ?")
            .bind(KeyState::Retired.as_str())
            .bind(KeyState::Previous.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query("UPDATE signing_keys SET state = ?, retire_at = ? WHERE state = ?")
            .bind(KeyState::Previous.as_str())
            .bind(retire_at)
            .bind(KeyState::Current.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let promoted = sqlx::query("UPDATE signing_keys SET state = ? WHERE state = ?")
            .bind(KeyState::Current.as_str())
            .bind(KeyState::Next.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        let state = if promoted > 0 {
            KeyState::Next
        } else {
            KeyState::Current
        };
        insert_key(&mut tx, new_next, state).await?;
        tx.commit().await.map_err(db)
    }

    async fn revoke_key(&self, kid: &str) -> StoreResult<()> {
        let done =
            sqlx::query("UPDATE signing_keys SET state = ? WHERE kid = ? AND state IN (?, ?)")
                .bind(KeyState::Retired.as_str())
                .bind(kid)
                .bind(KeyState::Previous.as_str())
                .bind(KeyState::Retired.as_str())
                .execute(&self.pool)
                .await
                .map_err(db)?;
        if done.rows_affected() > 0 {
            return Ok(());
        }
        let exists = sqlx::query("SELECT 1 FROM signing_keys WHERE kid = ?")
            .bind(kid)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .is_some();
        if exists {
            Err(portcullis_store::StoreError::Conflict(format!(
                "signing key {kid} is current or next"
            )))
        } else {
            Err(portcullis_store::StoreError::NotFound)
        }
    }
}

async fn insert_key(
    conn: &mut sqlx::SqliteConnection,
    key: &SigningKeyRecord,
    state: KeyState,
) -> StoreResult<()> {
    sqlx::query(concat!(
        "INSERT INTO signing_keys (",
        key_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&key.kid)
    .bind(&key.alg)
    .bind(&key.private_key_encrypted)
    .bind(&key.public_jwk)
    .bind(state.as_str())
    .bind(key.created_at)
    .bind(key.retire_at)
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(())
}
