//! Opening the database `database_url` names: the one place that knows which backend it is.
//!
//! Every command (the server, `dev`, `migrate`, the tenant-management CLI) opens the store
//! through [`open_store`] and sees only `Arc<dyn Store>`; nothing above this module branches on
//! the backend.

use anyhow::Context as _;
use portcullis_store::{Store, StoreResult};
use portcullis_store_postgres::PostgresStore;
use portcullis_store_sqlite::SqliteStore;
use std::sync::Arc;

/// An opened, migrated database. Clones share the connections.
#[derive(Clone)]
pub struct Database {
    store: Arc<dyn Store>,
    backend: Backend,
}

/// The backend behind a [`Database`], kept for the operations the storage traits do not cover
/// (closing, the schema version, a reachability check).
#[derive(Clone)]
enum Backend {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

/// The kind of database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

impl Kind {
    /// `postgres://` or `postgresql://` is PostgreSQL; `sqlite:` URLs and plain paths are
    /// SQLite files.
    pub fn of(url: &str) -> Kind {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Kind::Postgres
        } else {
            Kind::Sqlite
        }
    }
}

/// Opens (SQLite: creating the file) the database at `url` and runs the pending migrations.
/// Fails, with the reason, when it is unreachable or was migrated by a newer release.
pub async fn open_store(url: &str) -> anyhow::Result<Database> {
    let backend = match Kind::of(url) {
        Kind::Postgres => Backend::Postgres(
            PostgresStore::connect(url)
                .await
                .with_context(|| format!("opening the PostgreSQL database {}", redacted(url)))?,
        ),
        Kind::Sqlite => Backend::Sqlite(
            SqliteStore::connect(url)
                .await
                .with_context(|| format!("opening the SQLite database {url}"))?,
        ),
    };
    let store: Arc<dyn Store> = match &backend {
        Backend::Sqlite(s) => Arc::new(s.clone()),
        Backend::Postgres(s) => Arc::new(s.clone()),
    };
    Ok(Database { store, backend })
}

impl Database {
    /// The store, shared.
    pub fn store(&self) -> Arc<dyn Store> {
        Arc::clone(&self.store)
    }

    /// The newest schema migration applied.
    pub async fn schema_version(&self) -> StoreResult<i64> {
        match &self.backend {
            Backend::Sqlite(s) => s.schema_version().await,
            Backend::Postgres(s) => s.schema_version().await,
        }
    }

    /// How busy the connection pool is.
    pub fn pool_stats(&self) -> portcullis_store::PoolStats {
        match &self.backend {
            Backend::Sqlite(s) => s.pool_stats(),
            Backend::Postgres(s) => s.pool_stats(),
        }
    }

    /// The SQLite store, for the operations only SQLite has (`portcullis backup`); `None` on
    /// PostgreSQL.
    pub fn sqlite(&self) -> Option<&SqliteStore> {
        match &self.backend {
            Backend::Sqlite(s) => Some(s),
            Backend::Postgres(_) => None,
        }
    }

    /// Closes the connections, waiting for those in use.
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite(s) => s.close().await,
            Backend::Postgres(s) => s.close().await,
        }
    }
}

/// The URL without its password, for messages (`postgres://user:***@host/db`).
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{path}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_backend() {
        assert_eq!(Kind::of("postgres://u@h/db"), Kind::Postgres);
        assert_eq!(Kind::of("postgresql://u@h/db"), Kind::Postgres);
        assert_eq!(Kind::of("sqlite:///var/lib/p.db"), Kind::Sqlite);
        assert_eq!(Kind::of("/var/lib/p.db"), Kind::Sqlite);
    }

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            redacted("postgres://app:s3cret@db:5432/portcullis?sslmode=require"),
            "postgres://app:***@db:5432/portcullis?sslmode=require"
        );
        assert_eq!(redacted("postgres://app@db/p"), "postgres://app@db/p");
        assert_eq!(redacted("sqlite:///x.db"), "sqlite:///x.db");
    }
}
