//! `RateLimitStore`: one row per key holding a fixed window, reserved by a single atomic upsert.

use crate::PostgresStore;
use crate::error::db;
use async_trait::async_trait;
use portcullis_store::{RateKey, RateLimitStore, StoreResult, UnixTime};

#[async_trait]
impl RateLimitStore for PostgresStore {
    async fn try_acquire(
        &self,
        key: &RateKey,
        limit: u32,
        window_secs: i64,
        now: UnixTime,
    ) -> StoreResult<bool> {
        // Increment-then-check in one statement: the upsert's WHERE lets the update through only
        // when the window has ended (a new one starts at 1) or the count is under the limit, and
        // RETURNING yields a row only when a row was written. PostgreSQL locks the conflicting
        // row and evaluates the WHERE on its latest committed version, so concurrent callers
        // see each other's increments ("ON CONFLICT DO UPDATE guarantees an atomic INSERT or
        // UPDATE outcome", PostgreSQL manual, INSERT).
        let reserved: Vec<i64> = sqlx::query_scalar(
            "INSERT INTO rate_limits (rate_key, window_start, window_end, hits) \
             VALUES ($1, $2, $3, 1) \
             ON CONFLICT (rate_key) DO UPDATE SET \
               hits = CASE WHEN rate_limits.window_end <= excluded.window_start \
                      THEN 1 ELSE rate_limits.hits + 1 END, \
               window_start = CASE WHEN rate_limits.window_end <= excluded.window_start \
                      THEN excluded.window_start ELSE rate_limits.window_start END, \
               window_end = CASE WHEN rate_limits.window_end <= excluded.window_start \
                      THEN excluded.window_end ELSE rate_limits.window_end END \
             WHERE rate_limits.window_end <= excluded.window_start OR rate_limits.hits < $4 \
             RETURNING hits",
        )
        .bind(key.as_str())
        .bind(now)
        .bind(now.saturating_add(window_secs))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        // A limit of 0 still lets the insert of a new key through: refuse it here.
        Ok(reserved
            .first()
            .is_some_and(|&hits| hits <= i64::from(limit)))
    }

    async fn attempts(&self, key: &RateKey, now: UnixTime) -> StoreResult<u32> {
        let hits: Option<i64> = sqlx::query_scalar(
            "SELECT hits FROM rate_limits WHERE rate_key = $1 AND window_end > $2",
        )
        .bind(key.as_str())
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        Ok(u32::try_from(hits.unwrap_or(0).max(0)).unwrap_or(u32::MAX))
    }

    async fn reset(&self, key: &RateKey) -> StoreResult<()> {
        sqlx::query("DELETE FROM rate_limits WHERE rate_key = $1")
            .bind(key.as_str())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn purge_expired_rate_limits(&self, now: UnixTime) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM rate_limits WHERE window_end <= $1")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected())
    }
}
