//! `SessionStore`.

use crate::PostgresStore;
use crate::error::db;
use crate::rows::{self, session_columns};
use async_trait::async_trait;
use portcullis_store::{Session, SessionStore, StoreResult, UnixTime};

#[async_trait]
impl SessionStore for PostgresStore {
    async fn create_session(&self, session: &Session) -> StoreResult<()> {
        sqlx::query(concat!(
            "INSERT INTO sessions (",
            session_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(&session.session_id)
        .bind(&session.secret_hash)
        .bind(&session.user_id)
        .bind(session.auth_time)
        .bind(session.created_at)
        .bind(session.idle_expires_at)
        .bind(session.expires_at)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn get_session_by_secret_hash(&self, secret_hash: &str) -> StoreResult<Option<Session>> {
        if crate::unstorable(secret_hash) {
            return Ok(None);
        }
        sqlx::query(concat!(
            "SELECT ",
            session_columns!(),
            " FROM sessions WHERE secret_hash = $1"
        ))
        .bind(secret_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(rows::session)
        .transpose()
    }

    async fn list_user_sessions(&self, user_id: &str) -> StoreResult<Vec<Session>> {
        if crate::unstorable(user_id) {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(concat!(
            "SELECT ",
            session_columns!(),
            " FROM sessions WHERE user_id = $1 ORDER BY created_at, session_id"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows::all(rows, rows::session)
    }

    async fn get_session(&self, session_id: &str) -> StoreResult<Option<Session>> {
        if crate::unstorable(session_id) {
            return Ok(None);
        }
        sqlx::query(concat!(
            "SELECT ",
            session_columns!(),
            " FROM sessions WHERE session_id = $1"
        ))
        .bind(session_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(rows::session)
        .transpose()
    }

    async fn touch_session(&self, session_id: &str, idle_expires_at: UnixTime) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET idle_expires_at = $1 WHERE session_id = $2")
            .bind(idle_expires_at)
            .bind(session_id)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn delete_session(&self, session_id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE session_id = $1")
            .bind(session_id)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn delete_user_sessions(&self, user_id: &str) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected())
    }

    async fn purge_expired_sessions(&self, now: UnixTime) -> StoreResult<u64> {
        let done =
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR idle_expires_at <= $2")
                .bind(now)
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(db)?;
        Ok(done.rows_affected())
    }
}
