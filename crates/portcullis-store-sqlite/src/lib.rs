//! SQLite storage for Portcullis: every trait of `portcullis-store`, on [`rusqlite`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), portcullis_store::StoreError> {
//! use portcullis_store_sqlite::SqliteStore;
//! use std::sync::Arc;
//!
//! let store = SqliteStore::connect("/var/lib/portcullis/portcullis.db").await?;
//! let store: Arc<dyn portcullis_store::Store> = Arc::new(store);
//! # Ok(()) }
//! ```
//!
//! The database runs in WAL mode with foreign keys on and a busy timeout, and the embedded
//! migrations (`migrations/`) run on connect. Queries are plain SQL with binds, kept close to
//! what PostgreSQL accepts. Each store method runs all its statements in one step on one
//! connection (see `db`): every write is one `BEGIN IMMEDIATE` transaction on the writer
//! connection, so operations that must be atomic (`consume_code`, `rotate_refresh_token`,
//! `rotate_keys`, `hit`) are, and concurrent writers queue instead of failing.

mod accounts;
mod apis;
mod audit;
mod catalog;
mod clients;
mod db;
mod error;
mod grants;
mod identities;
mod import;
mod jobs;
mod keys;
mod mfa;
mod migrate;
mod rate_limits;
mod roles;
mod rows;
mod sessions;
mod sql;
mod tenant;
mod users;

use crate::db::{Db, Location};
use crate::error::Failure;
use portcullis_store::{StoreError, StoreResult};
use std::path::PathBuf;
use std::sync::Arc;

/// A Portcullis store in one SQLite database. Cheap to clone (the connections are shared).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    db: Arc<Db>,
    /// Writes to applications, APIs and client grants made through this store (see
    /// `CatalogStore::local_catalog_writes`), shared by its clones.
    catalog_writes: Arc<std::sync::atomic::AtomicU64>,
}

impl SqliteStore {
    /// Opens (creating it if missing) the database at `url_or_path` and runs the migrations.
    ///
    /// `url_or_path` is either a `sqlite:` URL (`sqlite:///var/lib/portcullis.db`,
    /// `sqlite://portcullis.db?mode=rwc`) or a plain file path. The file gets WAL journaling,
    /// `synchronous = NORMAL`, foreign keys and a busy timeout. An in-memory URL
    /// (`sqlite::memory:`, `mode=memory`) opens a private in-memory database, like
    /// [`SqliteStore::in_memory`].
    pub async fn connect(url_or_path: &str) -> Result<SqliteStore, StoreError> {
        Self::open(location_of(url_or_path)).await
    }

    /// A fresh, private, migrated in-memory database (for tests and throwaway runs).
    ///
    /// It lives in one connection; it is gone when the store (every clone of it) is dropped.
    pub async fn in_memory() -> Result<SqliteStore, StoreError> {
        Self::open(Location::Memory).await
    }

    /// The newest migration applied to the database.
    pub async fn schema_version(&self) -> StoreResult<i64> {
        self.read(|c| {
            Ok(sql::one(
                c,
                "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations",
                [],
                |r| r.get(0),
            )?)
        })
        .await
    }

    /// Whether the database answers (a `SELECT 1` on a reader connection).
    pub async fn ping(&self) -> StoreResult<()> {
        self.read(|c| Ok(sql::one(c, "SELECT 1", [], |r| r.get::<_, i64>(0)).map(|_| ())?))
            .await
    }

    /// Writes a consistent copy of the whole database to `dest`, a path that must not exist
    /// (`VACUUM INTO`): an online backup that readers and writers of the live database keep
    /// working through, taken from one read snapshot. The copy is compacted and, unlike the
    /// live file, needs no WAL file beside it.
    pub async fn backup_into(&self, dest: &std::path::Path) -> StoreResult<()> {
        let dest = dest
            .to_str()
            .ok_or_else(|| {
                StoreError::backend(std::io::Error::other("the backup path is not valid UTF-8"))
            })?
            .to_owned();
        // It only reads this database: on a reader connection, so writers go on meanwhile.
        self.read(move |c| Ok(c.execute("VACUUM INTO ?1", [dest]).map(|_| ())?))
            .await
    }

    /// `PRAGMA integrity_check`: `"ok"` when the database file is sound, else the problems
    /// SQLite found, one per line.
    pub async fn integrity_check(&self) -> StoreResult<String> {
        let rows: Vec<String> = self
            .read(|c| Ok(sql::all(c, "PRAGMA integrity_check", [], |r| r.get(0))?))
            .await?;
        Ok(rows.join("\n"))
    }

    /// How many connections are open, idle and kept.
    pub fn pool_stats(&self) -> portcullis_store::PoolStats {
        self.db.stats()
    }

    /// Closes every connection, waiting for a write in progress to finish.
    pub async fn close(&self) {
        self.db.close().await;
    }

    async fn open(location: Location) -> Result<SqliteStore, StoreError> {
        let db = Db::open(location)?;
        db.with_writer(migrate::run).await?;
        Ok(SqliteStore {
            db: Arc::new(db),
            catalog_writes: Default::default(),
        })
    }

    /// Runs `f` on a reader connection (see [`Db::read`]).
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> Result<T, Failure> + Send + 'static,
    ) -> StoreResult<T> {
        self.db.read(f).await
    }

    /// Runs a lookup by key on a reader connection on the calling thread (see
    /// [`Db::read_now`]).
    async fn read_now<T: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> Result<T, Failure>,
    ) -> StoreResult<T> {
        self.db.read_now(f).await
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction on the writer connection (see
    /// [`Db::write`]): committed when it returns `Ok`, rolled back otherwise.
    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, Failure> + Send + 'static,
    ) -> StoreResult<T> {
        self.db.write(f).await
    }
}

/// The database a `sqlite:` URL or plain path names. The URL forms are sqlx's:
/// `sqlite://PATH`, `sqlite:PATH`, `sqlite::memory:`, with an optional `?query` of which
/// `mode=memory` means an in-memory database (other parameters, such as `mode=rwc`, describe
/// what every file store does anyway: open read-write, creating the file).
fn location_of(url_or_path: &str) -> Location {
    let Some(rest) = url_or_path.strip_prefix("sqlite:") else {
        return Location::File(PathBuf::from(url_or_path));
    };
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let memory_mode = query.split('&').any(|pair| pair == "mode=memory");
    if path == ":memory:" || path.is_empty() || memory_mode {
        return Location::Memory;
    }
    let path = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    Location::File(PathBuf::from(path.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(url: &str) -> Option<PathBuf> {
        match location_of(url) {
            Location::File(p) => Some(p),
            Location::Memory => None,
        }
    }

    #[test]
    fn urls_and_paths_name_their_file() {
        assert_eq!(file("/var/lib/p.db"), Some("/var/lib/p.db".into()));
        assert_eq!(file("p.db"), Some("p.db".into()));
        assert_eq!(file("sqlite:///var/lib/p.db"), Some("/var/lib/p.db".into()));
        assert_eq!(file("sqlite://./data/p.db"), Some("./data/p.db".into()));
        assert_eq!(file("sqlite:/var/p.db?mode=rwc"), Some("/var/p.db".into()));
        assert_eq!(file("sqlite://my%20dir/p.db"), Some("my dir/p.db".into()));
    }

    #[test]
    fn memory_urls_are_in_memory() {
        assert_eq!(file("sqlite::memory:"), None);
        assert_eq!(file("sqlite://p.db?mode=memory"), None);
        assert_eq!(file("sqlite://p.db?cache=shared&mode=memory"), None);
    }
}
