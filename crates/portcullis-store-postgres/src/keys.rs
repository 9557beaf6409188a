//! `KeyStore`. A partial unique index keeps at most one `current` and one `next` key, so the
//! "exactly one Current" rule holds even when replicas race; rotations take a table lock so they
//! run one after another (see [`KeyStore::rotate_keys`] below).

use crate::PostgresStore;
use crate::error::db;
use crate::rows::{self, key_columns};
use async_trait::async_trait;
use portcullis_store::{KeyState, KeyStore, SigningKeyRecord, StoreResult, UnixTime};

#[async_trait]
impl KeyStore for PostgresStore {
    async fn insert_key(&self, key: &SigningKeyRecord) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        insert_key(&mut conn, key, key.state).await?;
        conn.release();
        Ok(())
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
        let mut tx = self.pool.begin().await.map_err(db)?;
        // Under READ COMMITTED a second rotation's UPDATEs would not see the rows the first one
        // changed (their snapshot predates it) and would break the one-current rule mid-way:
        // serialise rotations. EXCLUSIVE mode conflicts with itself and with writes, not with
        // reads, so signing and the JWKS keep reading the keys meanwhile.
        sqlx::query("LOCK TABLE signing_keys IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        // Each step keeps the one-current/one-next index satisfied.
        sqlx::query("UPDATE signing_keys SET state = $1 WHERE state = $2 AND retire_at < $3")
            .bind(KeyState::Retired.as_str())
            .bind(KeyState::Previous.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query("UPDATE signing_keys SET state = $1, retire_at = $2 WHERE state = $3")
            .bind(KeyState::Previous.as_str())
            .bind(retire_at)
            .bind(KeyState::Current.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let promoted = sqlx::query("UPDATE signing_keys SET state = $1 WHERE state = $2")
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
            sqlx::query("UPDATE signing_keys SET state = $1 WHERE kid = $2 AND state IN ($3, $4)")
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
        let exists = sqlx::query("SELECT 1 FROM signing_keys WHERE kid = $1")
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
    conn: &mut sqlx::PgConnection,
    key: &SigningKeyRecord,
    state: KeyState,
) -> StoreResult<()> {
    sqlx::query(concat!(
        "INSERT INTO signing_keys (",
        key_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
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
