//! `SessionStore`.

use crate::SqliteStore;
use crate::rows::{self, session_columns};
use crate::sql;
use async_trait::async_trait;
use portcullis_store::{Session, SessionStore, StoreResult, UnixTime};
use rusqlite::params;

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(&self, session: &Session) -> StoreResult<()> {
        let session = session.clone();
        self.write(move |tx| {
            sql::execute(
                tx,
                concat!(
                    "INSERT INTO sessions (",
                    session_columns!(),
                    ") VALUES (?, ?, ?, ?, ?, ?, ?)"
                ),
                params![
                    session.session_id,
                    session.secret_hash,
                    session.user_id,
                    session.auth_time,
                    session.created_at,
                    session.idle_expires_at,
                    session.expires_at
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn get_session_by_secret_hash(&self, secret_hash: &str) -> StoreResult<Option<Session>> {
        let secret_hash = secret_hash.to_owned();
        self.read_now(move |c| {
            Ok(sql::optional(
                c,
                concat!(
                    "SELECT ",
                    session_columns!(),
                    " FROM sessions WHERE secret_hash = ?"
                ),
                params![secret_hash],
                rows::session,
            )?)
        })
        .await
    }

    async fn get_session(&self, session_id: &str) -> StoreResult<Option<Session>> {
        let session_id = session_id.to_owned();
        self.read_now(move |c| {
            Ok(sql::optional(
                c,
                concat!(
                    "SELECT ",
                    session_columns!(),
                    " FROM sessions WHERE session_id = ?"
                ),
                params![session_id],
                rows::session,
            )?)
        })
        .await
    }

    async fn touch_session(&self, session_id: &str, idle_expires_at: UnixTime) -> StoreResult<()> {
        let session_id = session_id.to_owned();
        self.write(move |tx| {
            sql::execute(
                tx,
                "UPDATE sessions SET idle_expires_at = ? WHERE session_id = ?",
                params![idle_expires_at, session_id],
            )?;
            Ok(())
        })
        .await
    }

    async fn delete_session(&self, session_id: &str) -> StoreResult<()> {
        let session_id = session_id.to_owned();
        self.write(move |tx| {
            sql::execute(
                tx,
                "DELETE FROM sessions WHERE session_id = ?",
                params![session_id],
            )?;
            Ok(())
        })
        .await
    }

    async fn list_user_sessions(&self, user_id: &str) -> StoreResult<Vec<Session>> {
        let user_id = user_id.to_owned();
        self.read(move |c| {
            Ok(sql::all(
                c,
                concat!(
                    "SELECT ",
                    session_columns!(),
                    " FROM sessions WHERE user_id = ? ORDER BY created_at, session_id"
                ),
                params![user_id],
                rows::session,
            )?)
        })
        .await
    }

    async fn delete_user_sessions(&self, user_id: &str) -> StoreResult<u64> {
        let user_id = user_id.to_owned();
        self.write(move |tx| {
            Ok(sql::execute(
                tx,
                "DELETE FROM sessions WHERE user_id = ?",
                params![user_id],
            )?)
        })
        .await
    }

    async fn purge_expired_sessions(&self, now: UnixTime) -> StoreResult<u64> {
        self.write(move |tx| {
            Ok(sql::execute(
                tx,
                "DELETE FROM sessions WHERE expires_at <= ? OR idle_expires_at <= ?",
                params![now, now],
            )?)
        })
        .await
    }
}
