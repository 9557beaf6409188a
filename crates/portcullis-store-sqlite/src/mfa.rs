//! `MfaStore`: second factors, recovery codes, session factors and WebAuthn ceremony state.

use crate::SqliteStore;
use crate::error::db;
use async_trait::async_trait;
use portcullis_store::{MfaFactor, MfaStore, SessionFactor, StoreError, StoreResult, UnixTime};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

macro_rules! factor_columns {
    () => {
        "factor_id, user_id, kind, name, secret, confirmed, last_used_step, created_at, \
         last_used_at"
    };
}

fn factor(row: &SqliteRow) -> StoreResult<MfaFactor> {
    let kind: String = row.try_get("kind").map_err(StoreError::backend)?;
    Ok(MfaFactor {
        factor_id: row.try_get("factor_id").map_err(StoreError::backend)?,
        user_id: row.try_get("user_id").map_err(StoreError::backend)?,
        kind: kind.parse().map_err(StoreError::backend)?,
        name: row.try_get("name").map_err(StoreError::backend)?,
        secret: row.try_get("secret").map_err(StoreError::backend)?,
        confirmed: row.try_get("confirmed").map_err(StoreError::backend)?,
        last_used_step: row.try_get("last_used_step").map_err(StoreError::backend)?,
        created_at: row.try_get("created_at").map_err(StoreError::backend)?,
        last_used_at: row.try_get("last_used_at").map_err(StoreError::backend)?,
    })
}

#[async_trait]
impl MfaStore for SqliteStore {
    async fn create_mfa_factor(&self, f: &MfaFactor) -> StoreResult<()> {
        sqlx::query(concat!(
            "INSERT INTO mfa_factors (",
            factor_columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(&f.factor_id)
        .bind(&f.user_id)
        .bind(f.kind.as_str())
        .bind(&f.name)
        .bind(&f.secret)
        .bind(f.confirmed)
        .bind(f.last_used_step)
        .bind(f.created_at)
        .bind(f.last_used_at)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn list_mfa_factors(&self, user_id: &str) -> StoreResult<Vec<MfaFactor>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            factor_columns!(),
            " FROM mfa_factors WHERE user_id = ? ORDER BY created_at, factor_id"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(factor).collect()
    }

    async fn get_mfa_factor(&self, factor_id: &str) -> StoreResult<Option<MfaFactor>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            factor_columns!(),
            " FROM mfa_factors WHERE factor_id = ?"
        ))
        .bind(factor_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(factor).transpose()
    }

    async fn confirm_mfa_factor(
        &self,
        user_id: &str,
        factor_id: &str,
        step: Option<i64>,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE mfa_factors SET confirmed = TRUE, last_used_step = ?, last_used_at = ? \
             WHERE user_id = ? AND factor_id = ? AND confirmed = FALSE",
        )
        .bind(step)
        .bind(now)
        .bind(user_id)
        .bind(factor_id)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn use_totp_step(&self, factor_id: &str, step: i64, now: UnixTime) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE mfa_factors SET last_used_step = ?, last_used_at = ? \
             WHERE factor_id = ? AND confirmed = TRUE \
             AND (last_used_step IS NULL OR last_used_step < ?)",
        )
        .bind(step)
        .bind(now)
        .bind(factor_id)
        .bind(step)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn rename_mfa_factor(
        &self,
        user_id: &str,
        factor_id: &str,
        name: &str,
    ) -> StoreResult<bool> {
        let done =
            sqlx::query("UPDATE mfa_factors SET name = ? WHERE user_id = ? AND factor_id = ?")
                .bind(name)
                .bind(user_id)
                .bind(factor_id)
                .execute(&self.pool)
                .await
                .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn update_mfa_factor_secret(
        &self,
        factor_id: &str,
        secret: &str,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let done =
            sqlx::query("UPDATE mfa_factors SET secret = ?, last_used_at = ? WHERE factor_id = ?")
                .bind(secret)
                .bind(now)
                .bind(factor_id)
                .execute(&self.pool)
                .await
                .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_mfa_factor(&self, user_id: &str, factor_id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM mfa_factors WHERE user_id = ? AND factor_id = ?")
            .bind(user_id)
            .bind(factor_id)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_user_mfa(&self, user_id: &str) -> StoreResult<u64> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("DELETE FROM mfa_factors WHERE user_id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query("DELETE FROM mfa_recovery_codes WHERE user_id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(done.rows_affected())
    }

    async fn replace_recovery_codes(
        &self,
        user_id: &str,
        code_hashes: &[String],
        now: UnixTime,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM mfa_recovery_codes WHERE user_id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        for hash in code_hashes {
            sqlx::query(
                "INSERT INTO mfa_recovery_codes (user_id, code_hash, created_at, used_at) \
                 VALUES (?, ?, ?, NULL)",
            )
            .bind(user_id)
            .bind(hash)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn use_recovery_code(
        &self,
        user_id: &str,
        code_hash: &str,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE mfa_recovery_codes SET used_at = ? \
             WHERE user_id = ? AND code_hash = ? AND used_at IS NULL",
        )
        .bind(now)
        .bind(user_id)
        .bind(code_hash)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn count_recovery_codes(&self, user_id: &str) -> StoreResult<u32> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM mfa_recovery_codes WHERE user_id = ? AND used_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        Ok(u32::try_from(n.max(0)).unwrap_or(u32::MAX))
    }

    async fn add_session_factor(
        &self,
        session_id: &str,
        factor: &SessionFactor,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO session_factors (session_id, method, at) VALUES (?, ?, ?)")
            .bind(session_id)
            .bind(&factor.method)
            .bind(factor.at)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn list_session_factors(&self, session_id: &str) -> StoreResult<Vec<SessionFactor>> {
        let rows = sqlx::query(
            "SELECT method, at FROM session_factors WHERE session_id = ? ORDER BY at, method",
        )
        .bind(session_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|row| {
                Ok(SessionFactor {
                    method: row.try_get("method").map_err(StoreError::backend)?,
                    at: row.try_get("at").map_err(StoreError::backend)?,
                })
            })
            .collect()
    }

    async fn put_webauthn_state(
        &self,
        id: &str,
        state: &str,
        expires_at: UnixTime,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO webauthn_states (state_id, state, expires_at) VALUES (?, ?, ?) \
             ON CONFLICT (state_id) DO UPDATE SET state = excluded.state, \
             expires_at = excluded.expires_at",
        )
        .bind(id)
        .bind(state)
        .bind(expires_at)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn take_webauthn_state(&self, id: &str, now: UnixTime) -> StoreResult<Option<String>> {
        // One statement: the row goes whether or not it expired (expired state is useless).
        let taken: Option<(String, i64)> = sqlx::query_as(
            "DELETE FROM webauthn_states WHERE state_id = ? RETURNING state, expires_at",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        Ok(taken
            .filter(|(_, expires_at)| *expires_at > now)
            .map(|(state, _)| state))
    }

    async fn purge_expired_webauthn_states(&self, now: UnixTime) -> StoreResult<u64> {
        Ok(
            sqlx::query("DELETE FROM webauthn_states WHERE expires_at <= ?")
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(db)?
                .rows_affected(),
        )
    }
}
