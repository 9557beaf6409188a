//! Server-side session storage. The default is none: the whole session lives in the encrypted
//! cookie. With a [`SessionStore`], the cookie carries only a random session id, the session
//! lives in the store, and it can be ended from the server, which OpenID Connect Back-Channel
//! Logout needs.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use serde_json::Value;

/// A boxed future, as the store methods return.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// A store failure (the backend is unreachable, a record is unreadable, …).
#[derive(Debug, Clone, thiserror::Error)]
#[error("session store: {0}")]
pub struct StoreError(pub String);

/// Where sessions live when they are not all in the cookie. Keys are short strings
/// (`session:{id}`, `sid:{sid}`, `jti:{jti}`); values are JSON; `expires_at` is in seconds since
/// the epoch, after which a record may be dropped. Implement it on Redis, SQL or any
/// `tower-sessions` store (the `tower-sessions` feature provides the adapter).
pub trait SessionStore: Send + Sync + 'static {
    /// The record at `key`, if any (and not expired).
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Value>>;
    /// Creates or replaces the record at `key`.
    fn save<'a>(&'a self, key: &'a str, value: Value, expires_at: u64) -> StoreFuture<'a, ()>;
    /// Deletes the record at `key` (no error if absent).
    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()>;
}

/// An in-process store, for one instance and for tests. Expired records are dropped when the
/// store's clock says so.
pub struct MemoryStore {
    records: Mutex<HashMap<String, (Value, u64)>>,
    clock: portcullis_bearer::clock::Clock,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::with_clock(portcullis_bearer::clock::system_clock())
    }
}

impl MemoryStore {
    /// A store whose records expire on `clock` (tests move it).
    pub fn with_clock(clock: portcullis_bearer::clock::Clock) -> Self {
        Self {
            records: Mutex::new(HashMap::new()),
            clock,
        }
    }

    fn records(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Value, u64)>> {
        match self.records.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// How many live records the store holds.
    pub fn len(&self) -> usize {
        let now = (self.clock)();
        self.records()
            .values()
            .filter(|(_, exp)| *exp > now)
            .count()
    }

    /// Whether the store holds no live record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl SessionStore for MemoryStore {
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Value>> {
        let now = (self.clock)();
        let found = self
            .records()
            .get(key)
            .filter(|(_, exp)| *exp > now)
            .map(|(v, _)| v.clone());
        Box::pin(async move { Ok(found) })
    }

    fn save<'a>(&'a self, key: &'a str, value: Value, expires_at: u64) -> StoreFuture<'a, ()> {
        let now = (self.clock)();
        let mut records = self.records();
        records.retain(|_, (_, exp)| *exp > now);
        records.insert(key.to_owned(), (value, expires_at));
        Box::pin(async { Ok(()) })
    }

    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        self.records().remove(key);
        Box::pin(async { Ok(()) })
    }
}

impl<T: SessionStore + ?Sized> SessionStore for std::sync::Arc<T> {
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Value>> {
        (**self).load(key)
    }
    fn save<'a>(&'a self, key: &'a str, value: Value, expires_at: u64) -> StoreFuture<'a, ()> {
        (**self).save(key, value, expires_at)
    }
    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        (**self).delete(key)
    }
}
