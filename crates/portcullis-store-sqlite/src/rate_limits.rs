//! `RateLimitStore`: one row per key holding a fixed window, updated by a single atomic upsert.

use crate::SqliteStore;
use crate::error::db;
use async_trait::async_trait;
use portcullis_store::{RateLimitStore, StoreError, StoreResult, UnixTime};

#[async_trait]
impl RateLimitStore for SqliteStore {
    async fn hit(&self, key: &str, window_secs: i64, now: UnixTime) -> StoreResult<u32> {
        // In SET, both CASEs read the row as it was, so their order does not matter.
        let hits: Vec<i64> = sqlx::query_scalar(
            "INSERT INTO rate_limits (rate_key, window_start, hits) VALUES (?, ?, 1) \
             ON CONFLICT (rate_key) DO UPDATE SET \
               hits = CASE WHEN rate_limits.window_start + ? <= excluded.window_start \
                      THEN 1 ELSE rate_limits.hits + 1 END, \
               window_start = CASE WHEN rate_limits.window_start + ? <= excluded.window_start \
                      THEN excluded.window_start ELSE rate_limits.window_start END \
             RETURNING hits",
        )
        .bind(key)
        .bind(now)
        .bind(window_secs)
        .bind(window_secs)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        match hits.first() {
            Some(&hits) => Ok(to_u32(hits)),
            None => Err(StoreError::backend(std::io::Error::other(
                "rate-limit upsert returned no row",
            ))),
        }
    }

    async fn peek(&self, key: &str, window_secs: i64, now: UnixTime) -> StoreResult<u32> {
        let window: Option<(i64, i64)> =
            sqlx::query_as("SELECT window_start, hits FROM rate_limits WHERE rate_key = ?")
                .bind(key)
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
        Ok(match window {
            Some((start, hits)) if now < start.saturating_add(window_secs) => to_u32(hits),
            _ => 0,
        })
    }

    async fn reset(&self, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM rate_limits WHERE rate_key = ?")
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }
}

fn to_u32(hits: i64) -> u32 {
    u32::try_from(hits.max(0)).unwrap_or(u32::MAX)
}
