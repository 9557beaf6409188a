//! PostgreSQL storage for Portcullis: every trait of `portcullis-store`, on [`sqlx`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), portcullis_store::StoreError> {
//! use portcullis_store_postgres::PostgresStore;
//! use std::sync::Arc;
//!
//! let store = PostgresStore::connect("postgres://portcullis@db.internal/portcullis").await?;
//! let store: Arc<dyn portcullis_store::Store> = Arc::new(store);
//! # Ok(()) }
//! ```
//!
//! Several replicas share one database: everything they must agree on goes through it, with
//! atomic statements. Queries are plain SQL with binds, the same statements as the SQLite
//! backend with `$n` placeholders. The guarantees under PostgreSQL's default READ COMMITTED:
//! - `consume_code` and the claim in `rotate_refresh_token` are single conditional `UPDATE`s: a
//!   concurrent caller waits for the winner's row lock, re-checks `used_at IS NULL` on the
//!   committed row and claims nothing.
//! - `try_acquire` is one `INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING`: increment and
//!   check in one atomic step.
//! - `rotate_keys` runs under a table lock (rotations queue; reads go on).
//! - Cascading deletes and revocations are transactions.
//!
//! The embedded migrations (`migrations/`) run on connect, under sqlx's advisory lock, so
//! replicas starting together migrate once. A database migrated by a newer Portcullis is refused
//! ([`DatabaseTooNew`]).

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
mod pool;
mod rate_limits;
mod roles;
mod rows;
mod sessions;
mod tenant;
mod users;

#[cfg(feature = "testing")]
pub mod testing;

pub use portcullis_store::DatabaseTooNew;
use portcullis_store::{StoreError, StoreResult};
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

/// Connections per replica. The pool opens them as needed.
const MAX_CONNECTIONS: u32 = 10;
/// How long a request waits for a free connection (or a new one) before failing: while the
/// database is unreachable, requests fail within this delay instead of hanging.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// The schema migrations, embedded at compile time.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// A Portcullis store in one PostgreSQL database. Cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: pool::Pool,
    /// Writes to applications, APIs and client grants made through this store (see
    /// `CatalogStore::local_catalog_writes`), shared by its clones.
    catalog_writes: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`, with
    /// any libpq-style parameters sqlx accepts, such as `sslmode` or `options`) and runs the
    /// migrations. The database must exist.
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(StoreError::backend)?;
        Self::connect_with(options).await
    }

    /// [`PostgresStore::connect`] with parsed options.
    pub async fn connect_with(options: PgConnectOptions) -> Result<PostgresStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(StoreError::backend)?;
        migrate(&pool).await?;
        Ok(PostgresStore {
            pool: pool::Pool::new(pool),
            catalog_writes: Default::default(),
        })
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

    /// How many connections are open, idle and allowed.
    pub fn pool_stats(&self) -> portcullis_store::PoolStats {
        let open = self.pool.size();
        let idle = u32::try_from(self.pool.num_idle()).unwrap_or(open);
        portcullis_store::PoolStats {
            open,
            idle: idle.min(open),
            max: self.pool.max_connections(),
        }
    }

    /// Closes every connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Starts a transaction (READ COMMITTED, PostgreSQL's default).
    async fn begin(&self) -> StoreResult<pool::Tx<'_>> {
        self.pool.begin().await.map_err(error::db)
    }
}

/// Whether `key` cannot be stored: PostgreSQL text cannot hold NUL (U+0000) and refuses such a
/// parameter outright. No stored key holds one, so a lookup by such a key (a hostile `client_id`,
/// say) finds nothing, without asking the database, as on every other backend.
pub(crate) fn unstorable(key: &str) -> bool {
    key.contains('\0')
}

/// Runs the pending migrations; refuses a database that has migrations this build lacks.
async fn migrate(pool: &PgPool) -> StoreResult<()> {
    match MIGRATOR.run(pool).await {
        Ok(()) => Ok(()),
        Err(MigrateError::VersionMissing(found)) => Err(StoreError::backend(DatabaseTooNew {
            found,
            known: MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0),
        })),
        Err(e) => Err(StoreError::backend(e)),
    }
}
