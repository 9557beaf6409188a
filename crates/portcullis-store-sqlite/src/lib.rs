//! SQLite storage for Portcullis: every trait of `portcullis-store`, on [`sqlx`].
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
//! migrations (`migrations/`) run on connect. Queries are plain SQL with binds (no compile-time
//! checked macros), kept close to what PostgreSQL accepts. Operations that must be atomic across
//! replicas (`consume_code`, `rotate_refresh_token`, `rotate_keys`, `hit`) are single statements
//! or `BEGIN IMMEDIATE` transactions, so concurrent writers queue on the write lock instead of
//! failing.

mod accounts;
mod apis;
mod audit;
mod catalog;
mod clients;
mod error;
mod grants;
mod identities;
mod import;
mod jobs;
mod keys;
mod mfa;
mod rate_limits;
mod roles;
mod rows;
mod sessions;
mod tenant;
mod users;

use portcullis_store::{DatabaseTooNew, StoreError, StoreResult};
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// How long a statement waits for another connection's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections in a file-backed pool. SQLite has one writer at a time; readers run in parallel.
const MAX_CONNECTIONS: u32 = 8;

/// The schema migrations, embedded at compile time.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// A Portcullis store in one SQLite database. Cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// Writes to applications, APIs and client grants made through this store (see
    /// `CatalogStore::local_catalog_writes`), shared by its clones.
    catalog_writes: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl SqliteStore {
    /// Opens (creating it if missing) the database at `url_or_path` and runs the migrations.
    ///
    /// `url_or_path` is either a `sqlite:` URL (`sqlite:///var/lib/portcullis.db`,
    /// `sqlite://portcullis.db?mode=rwc`) or a plain file path. The file gets WAL journaling,
    /// `synchronous = NORMAL`, foreign keys and a busy timeout. An in-memory URL
    /// (`sqlite::memory:`) gets a single-connection pool, like [`SqliteStore::in_memory`].
    pub async fn connect(url_or_path: &str) -> Result<SqliteStore, StoreError> {
        let options = if url_or_path.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url_or_path).map_err(StoreError::backend)?
        } else {
            SqliteConnectOptions::new().filename(url_or_path)
        };
        let memory = url_or_path.contains(":memory:") || url_or_path.contains("mode=memory");
        let options = options
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        if memory {
            return Self::open(single_connection(), options).await;
        }
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal);
        let pool = pool_options().max_connections(MAX_CONNECTIONS);
        Self::open(pool, options).await
    }

    /// A fresh, private, migrated in-memory database (for tests and throwaway runs).
    ///
    /// It lives in the pool's single connection, which is never recycled; it is gone when the
    /// store (every clone of it) is dropped.
    pub async fn in_memory() -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::new()
            .in_memory(true)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        Self::open(single_connection(), options).await
    }

    /// The newest migration applied to the database.
    pub async fn schema_version(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations")
            .fetch_one(&self.pool)
            .await
            .map_err(StoreError::backend)
    }

    /// Whether the database answers (a `SELECT 1` through the pool).
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(StoreError::backend)
    }

    /// Writes a consistent copy of the whole database to `dest`, a path that must not exist
    /// (`VACUUM INTO`): an online backup that readers and writers of the live database keep
    /// working through, taken from one read snapshot. The copy is compacted and, unlike the
    /// live file, needs no WAL file beside it.
    pub async fn backup_into(&self, dest: &std::path::Path) -> StoreResult<()> {
        let dest = dest.to_str().ok_or_else(|| {
            StoreError::backend(std::io::Error::other("the backup path is not valid UTF-8"))
        })?;
        sqlx::query("VACUUM INTO ?")
            .bind(dest)
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(StoreError::backend)
    }

    /// `PRAGMA integrity_check`: `"ok"` when the database file is sound, else the problems
    /// SQLite found, one per line.
    pub async fn integrity_check(&self) -> StoreResult<String> {
        let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::backend)?;
        Ok(rows.join("\n"))
    }

    /// How many connections are open, idle and allowed.
    pub fn pool_stats(&self) -> portcullis_store::PoolStats {
        let open = self.pool.size();
        let idle = u32::try_from(self.pool.num_idle()).unwrap_or(open);
        portcullis_store::PoolStats {
            open,
            idle: idle.min(open),
            max: self.pool.options().get_max_connections(),
        }
    }

    /// Closes every connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn open(
        pool: SqlitePoolOptions,
        options: SqliteConnectOptions,
    ) -> Result<SqliteStore, StoreError> {
        let pool = pool
            .connect_with(options)
            .await
            .map_err(StoreError::backend)?;
        migrate(&pool).await?;
        Ok(SqliteStore {
            pool,
            catalog_writes: Default::default(),
        })
    }

    /// Starts a transaction that holds the write lock from its first statement
    /// (`BEGIN IMMEDIATE`), so it never has to upgrade a read lock and cannot hit
    /// `SQLITE_BUSY` mid-way; other writers wait up to the busy timeout.
    async fn write_tx(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(error::db)
    }
}

/// Runs the pending migrations; refuses a database that has migrations this build lacks
/// ([`DatabaseTooNew`]).
async fn migrate(pool: &SqlitePool) -> StoreResult<()> {
    match MIGRATOR.run(pool).await {
        Ok(()) => Ok(()),
        Err(MigrateError::VersionMissing(found)) => Err(StoreError::backend(DatabaseTooNew {
            found,
            known: MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0),
        })),
        Err(e) => Err(StoreError::backend(e)),
    }
}

/// The pool settings every SQLite store shares. sqlx tests a connection when it goes back to
/// the pool; testing it again on every checkout (`test_before_acquire`, on by default) would cost
/// one more round trip to the connection's worker thread per query, and a connection to a local
/// file cannot be lost while it sits idle.
fn pool_options() -> SqlitePoolOptions {
    SqlitePoolOptions::new().test_before_acquire(false)
}

/// A pool of exactly one connection that is never closed for idleness or age, so an in-memory
/// database (which lives as long as its connection) survives.
fn single_connection() -> SqlitePoolOptions {
    pool_options()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
}
