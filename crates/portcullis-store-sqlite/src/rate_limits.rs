//! `RateLimitStore`: one row per key holding a fixed window, reserved by a single atomic upsert.

use crate::SqliteStore;
use crate::sql;
use async_trait::async_trait;
use portcullis_store::{RateKey, RateLimitStore, StoreResult, UnixTime};
use rusqlite::params;

#[async_trait]
impl RateLimitStore for SqliteStore {
    async fn try_acquire(
        &self,
        key: &RateKey,
        limit: u32,
        window_secs: i64,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let key = key.as_str().to_owned();
        // Increment-then-check in one statement: the upsert's WHERE lets the update through only
        // when the window has ended (a new one starts at 1) or the count is under the limit, and
        // RETURNING yields a row only when a row was written. It runs in one write transaction
        // and SQLite serialises writers, so concurrent callers see each other's increments.
        let reserved: Vec<i64> = self
            .write(move |tx| {
                Ok(sql::all(
                    tx,
                    "INSERT INTO rate_limits (rate_key, window_start, window_end, hits) \
                     VALUES (?, ?, ?, 1) \
                     ON CONFLICT (rate_key) DO UPDATE SET \
                       hits = CASE WHEN rate_limits.window_end <= excluded.window_start \
                              THEN 1 ELSE rate_limits.hits + 1 END, \
                       window_start = CASE WHEN rate_limits.window_end <= excluded.window_start \
                              THEN excluded.window_start ELSE rate_limits.window_start END, \
                       window_end = CASE WHEN rate_limits.window_end <= excluded.window_start \
                              THEN excluded.window_end ELSE rate_limits.window_end END \
                     WHERE rate_limits.window_end <= excluded.window_start OR rate_limits.hits < ? \
                     RETURNING hits",
                    params![key, now, now.saturating_add(window_secs), i64::from(limit)],
                    |r| r.get(0),
                )?)
            })
            .await?;
        // A limit of 0 still lets the insert of a new key through: refuse it here.
        Ok(reserved
            .first()
            .is_some_and(|&hits| hits <= i64::from(limit)))
    }

    async fn attempts(&self, key: &RateKey, now: UnixTime) -> StoreResult<u32> {
        let key = key.as_str().to_owned();
        let hits: Option<i64> = self
            .read_now(move |c| {
                Ok(sql::optional(
                    c,
                    "SELECT hits FROM rate_limits WHERE rate_key = ? AND window_end > ?",
                    params![key, now],
                    |r| r.get(0),
                )?)
            })
            .await?;
        Ok(u32::try_from(hits.unwrap_or(0).max(0)).unwrap_or(u32::MAX))
    }

    async fn reset(&self, key: &RateKey) -> StoreResult<()> {
        let key = key.as_str().to_owned();
        self.write(move |tx| {
            sql::execute(
                tx,
                "DELETE FROM rate_limits WHERE rate_key = ?",
                params![key],
            )?;
            Ok(())
        })
        .await
    }

    async fn purge_expired_rate_limits(&self, now: UnixTime) -> StoreResult<u64> {
        self.write(move |tx| {
            Ok(sql::execute(
                tx,
                "DELETE FROM rate_limits WHERE window_end <= ?",
                params![now],
            )?)
        })
        .await
    }
}
