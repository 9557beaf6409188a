//! Any `tower-sessions` store (Redis, Postgres, SQLite, MongoDB, …) as a [`SessionStore`]:
//! each key becomes a `tower-sessions` record id (the first 128 bits of its SHA-256), its
//! value the record's `v` field, its expiry the record's. Works with `tower-sessions-core`
//! 0.14 stores (such as `tower-sessions-redis-store` 0.16).

use aws_lc_rs::digest;
use serde_json::Value;
use tower_sessions_core::session::{Id, Record};

use crate::store::{SessionStore, StoreError, StoreFuture};

/// Wraps a `tower_sessions_core::SessionStore`:
/// `Config::builder().session_store(TowerSessionsStore(RedisStore::new(pool)))`.
#[derive(Debug, Clone)]
pub struct TowerSessionsStore<S>(pub S);

fn id_of(key: &str) -> Id {
    let hash = digest::digest(&digest::SHA256, key.as_bytes());
    let mut first = [0u8; 16];
    first.copy_from_slice(&hash.as_ref()[..16]);
    Id(i128::from_be_bytes(first))
}

fn store_error(e: tower_sessions_core::session_store::Error) -> StoreError {
    StoreError(e.to_string())
}

impl<S> SessionStore for TowerSessionsStore<S>
where
    S: tower_sessions_core::SessionStore,
{
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Value>> {
        Box::pin(async move {
            let record = self.0.load(&id_of(key)).await.map_err(store_error)?;
            Ok(record.and_then(|mut r| r.data.remove("v")))
        })
    }

    fn save<'a>(&'a self, key: &'a str, value: Value, expires_at: u64) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let expiry_date = time::OffsetDateTime::from_unix_timestamp(
                i64::try_from(expires_at).unwrap_or(i64::MAX),
            )
            .map_err(|e| StoreError(e.to_string()))?;
            let id = id_of(key);
            let record = Record {
                id,
                data: [("v".to_owned(), value)].into_iter().collect(),
                expiry_date,
            };
            // tower-sessions stores distinguish `create` (a new id, which they may replace on
            // a collision) from `save` (which may only update: Redis uses `SET XX`); keys here
            // are fixed, so: update if present, else create, and if the store moved the new
            // record to another id (it appeared meanwhile), update ours and drop that one.
            if self.0.load(&id).await.map_err(store_error)?.is_some() {
                return self.0.save(&record).await.map_err(store_error);
            }
            let mut created = record.clone();
            self.0.create(&mut created).await.map_err(store_error)?;
            if created.id != id {
                self.0.save(&record).await.map_err(store_error)?;
                self.0.delete(&created.id).await.map_err(store_error)?;
            }
            Ok(())
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move { self.0.delete(&id_of(key)).await.map_err(store_error) })
    }
}
