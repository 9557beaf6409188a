//! `MfaStore`: second factors, recovery codes, session factors and WebAuthn ceremony state.

use crate::SqliteStore;
use crate::error::Failure;
use crate::rows;
use crate::sql;
use async_trait::async_trait;
use portcullis_store::{MfaFactor, MfaStore, SessionFactor, StoreResult, UnixTime};
use rusqlite::params;

macro_rules! factor_columns {
    () => {
        "factor_id, user_id, kind, name, secret, confirmed, last_used_step, created_at, \
         last_used_at"
    };
}

fn factor(row: &rusqlite::Row<'_>) -> rusqlite::Result<MfaFactor> {
    let kind: String = row.get("kind")?;
    Ok(MfaFactor {
        factor_id: row.get("factor_id")?,
        user_id: row.get("user_id")?,
        kind: kind.parse().map_err(|e| rows::bad_text(row, "kind", e))?,
        name: row.get("name")?,
        secret: row.get("secret")?,
        confirmed: row.get("confirmed")?,
        last_used_step: row.get("last_used_step")?,
        created_at: row.get("created_at")?,
        last_used_at: row.get("last_used_at")?,
    })
}

#[async_trait]
impl MfaStore for SqliteStore {
    async fn create_mfa_factor(&self, f: &MfaFactor) -> StoreResult<()> {
        let f = f.clone();
        self.write(move |tx| {
            sql::execute(
                tx,
                concat!(
                    "INSERT INTO mfa_factors (",
                    factor_columns!(),
                    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                ),
                params![
                    f.factor_id,
                    f.user_id,
                    f.kind.as_str(),
                    f.name,
                    f.secret,
                    f.confirmed,
                    f.last_used_step,
                    f.created_at,
                    f.last_used_at,
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn list_mfa_factors(&self, user_id: &str) -> StoreResult<Vec<MfaFactor>> {
        let user_id = user_id.to_owned();
        self.read_now(move |c| {
            Ok(sql::all(
                c,
                concat!(
                    "SELECT ",
                    factor_columns!(),
                    " FROM mfa_factors WHERE user_id = ? ORDER BY created_at, factor_id"
                ),
                params![user_id],
                factor,
            )?)
        })
        .await
    }

    async fn get_mfa_factor(&self, factor_id: &str) -> StoreResult<Option<MfaFactor>> {
        let factor_id = factor_id.to_owned();
        self.read_now(move |c| {
            Ok(sql::optional(
                c,
                concat!(
                    "SELECT ",
                    factor_columns!(),
                    " FROM mfa_factors WHERE factor_id = ?"
                ),
                params![factor_id],
                factor,
            )?)
        })
        .await
    }

    async fn confirm_mfa_factor(
        &self,
        user_id: &str,
        factor_id: &str,
        step: Option<i64>,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let user_id = user_id.to_owned();
        let factor_id = factor_id.to_owned();
        self.write(move |tx| {
            let done = sql::execute(
                tx,
                "UPDATE mfa_factors SET confirmed = TRUE, last_used_step = ?, last_used_at = ? \
                 WHERE user_id = ? AND factor_id = ? AND confirmed = FALSE",
                params![step, now, user_id, factor_id],
            )?;
            Ok(done == 1)
        })
        .await
    }

    async fn use_totp_step(&self, factor_id: &str, step: i64, now: UnixTime) -> StoreResult<bool> {
        let factor_id = factor_id.to_owned();
        self.write(move |tx| {
            let done = sql::execute(
                tx,
                "UPDATE mfa_factors SET last_used_step = ?, last_used_at = ? \
                 WHERE factor_id = ? AND confirmed = TRUE \
                 AND (last_used_step IS NULL OR last_used_step < ?)",
                params![step, now, factor_id, step],
            )?;
            Ok(done == 1)
        })
        .await
    }

    async fn rename_mfa_factor(
        &self,
        user_id: &str,
        factor_id: &str,
        name: &str,
    ) -> StoreResult<bool> {
        let user_id = user_id.to_owned();
        let factor_id = factor_id.to_owned();
        let name = name.to_owned();
        self.write(move |tx| {
            let done = sql::execute(
                tx,
                "UPDATE mfa_factors SET name = ? WHERE user_id = ? AND factor_id = ?",
                params![name, user_id, factor_id],
            )?;
            Ok(done == 1)
        })
        .await
    }

    async fn update_mfa_factor_secret(
        &self,
        factor_id: &str,
        secret: &str,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let factor_id = factor_id.to_owned();
        let secret = secret.to_owned();
        self.write(move |tx| {
            let done = sql::execute(
                tx,
                "UPDATE mfa_factors SET secret = ?, last_used_at = ? WHERE factor_id = ?",
                params![secret, now, factor_id],
            )?;
            Ok(done == 1)
        })
        .await
    }

    async fn delete_mfa_factor(&self, user_id: &str, factor_id: &str) -> StoreResult<bool> {
        let user_id = user_id.to_owned();
        let factor_id = factor_id.to_owned();
        self.write(move |tx| {
            let done = sql::execute(
                tx,
                "DELETE FROM mfa_factors WHERE user_id = ? AND factor_id = ?",
                params![user_id, factor_id],
            )?;
            Ok(done == 1)
        })
        .await
    }

    async fn delete_user_mfa(&self, user_id: &str) -> StoreResult<u64> {
        let user_id = user_id.to_owned();
        self.write(move |tx| {
            let done = sql::execute(
                tx,
                "DELETE FROM mfa_factors WHERE user_id = ?",
                params![user_id],
            )?;
            sql::execute(
                tx,
                "DELETE FROM mfa_recovery_codes WHERE user_id = ?",
                params![user_id],
            )?;
            Ok(done)
        })
        .await
    }

    async fn replace_recovery_codes(
        &self,
        user_id: &str,
        code_hashes: &[String],
        now: UnixTime,
    ) -> StoreResult<()> {
        let user_id = user_id.to_owned();
        let code_hashes = code_hashes.to_vec();
        self.write(move |tx| {
            sql::execute(
                tx,
                "DELETE FROM mfa_recovery_codes WHERE user_id = ?",
                params![user_id],
            )?;
            for hash in &code_hashes {
                sql::execute(
                    tx,
                    "INSERT INTO mfa_recovery_codes (user_id, code_hash, created_at, used_at) \
                     VALUES (?, ?, ?, NULL)",
                    params![user_id, hash, now],
                )?;
            }
            Ok(())
        })
        .await
    }

    async fn use_recovery_code(
        &self,
        user_id: &str,
        code_hash: &str,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let user_id = user_id.to_owned();
        let code_hash = code_hash.to_owned();
        self.write(move |tx| {
            let done = sql::execute(
                tx,
                "UPDATE mfa_recovery_codes SET used_at = ? \
                 WHERE user_id = ? AND code_hash = ? AND used_at IS NULL",
                params![now, user_id, code_hash],
            )?;
            Ok(done == 1)
        })
        .await
    }

    async fn count_recovery_codes(&self, user_id: &str) -> StoreResult<u32> {
        let user_id = user_id.to_owned();
        let n: i64 = self
            .read(move |c| {
                Ok(sql::one(
                    c,
                    "SELECT COUNT(*) FROM mfa_recovery_codes WHERE user_id = ? AND used_at IS NULL",
                    params![user_id],
                    |r| r.get(0),
                )?)
            })
            .await?;
        Ok(u32::try_from(n.max(0)).unwrap_or(u32::MAX))
    }

    async fn add_session_factor(
        &self,
        session_id: &str,
        factor: &SessionFactor,
    ) -> StoreResult<()> {
        let session_id = session_id.to_owned();
        let factor = factor.clone();
        self.write(move |tx| {
            sql::execute(
                tx,
                "INSERT INTO session_factors (session_id, method, at) VALUES (?, ?, ?)",
                params![session_id, factor.method, factor.at],
            )?;
            Ok(())
        })
        .await
    }

    async fn list_session_factors(&self, session_id: &str) -> StoreResult<Vec<SessionFactor>> {
        let session_id = session_id.to_owned();
        self.read_now(move |c| select_session_factors(c, &session_id))
            .await
    }

    async fn put_webauthn_state(
        &self,
        id: &str,
        state: &str,
        expires_at: UnixTime,
    ) -> StoreResult<()> {
        let id = id.to_owned();
        let state = state.to_owned();
        self.write(move |tx| {
            sql::execute(
                tx,
                "INSERT INTO webauthn_states (state_id, state, expires_at) VALUES (?, ?, ?) \
                 ON CONFLICT (state_id) DO UPDATE SET state = excluded.state, \
                 expires_at = excluded.expires_at",
                params![id, state, expires_at],
            )?;
            Ok(())
        })
        .await
    }

    async fn take_webauthn_state(&self, id: &str, now: UnixTime) -> StoreResult<Option<String>> {
        let id = id.to_owned();
        // One statement: the row goes whether or not it expired (expired state is useless).
        let taken: Option<(String, i64)> = self
            .write(move |tx| {
                Ok(sql::optional(
                    tx,
                    "DELETE FROM webauthn_states WHERE state_id = ? RETURNING state, expires_at",
                    params![id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?)
            })
            .await?;
        Ok(taken
            .filter(|(_, expires_at)| *expires_at > now)
            .map(|(state, _)| state))
    }

    async fn purge_expired_webauthn_states(&self, now: UnixTime) -> StoreResult<u64> {
        self.write(move |tx| {
            Ok(sql::execute(
                tx,
                "DELETE FROM webauthn_states WHERE expires_at <= ?",
                params![now],
            )?)
        })
        .await
    }
}

/// What a session's user authenticated with, oldest first.
pub(crate) fn select_session_factors(
    c: &rusqlite::Connection,
    session_id: &str,
) -> Result<Vec<SessionFactor>, Failure> {
    Ok(sql::all(
        c,
        "SELECT method, at FROM session_factors WHERE session_id = ? ORDER BY at, method",
        params![session_id],
        |row| {
            Ok(SessionFactor {
                method: row.get("method")?,
                at: row.get("at")?,
            })
        },
    )?)
}
