//! Test support (feature `testing`): a fresh, uniquely named schema per test, dropped after.
//!
//! A schema rather than a database: creating one takes milliseconds where `CREATE DATABASE`
//! takes half a second, and the store sees an empty database all the same, since its
//! connections get the schema as their `search_path` (tables, and sqlx's migration table, are
//! created and found there).
//!
//! The server is found through `PORTCULLIS_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`, the development machines' and CI's server). It
//! must be reachable: tests that ask for a schema fail with a clear message when it is not, and
//! never skip, so a run without PostgreSQL cannot pass for a run with it.

#![allow(clippy::expect_used, clippy::panic)]

use sqlx::Connection as _;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use std::hash::{BuildHasher as _, RandomState};
use std::str::FromStr as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// The variable naming the PostgreSQL server tests use.
pub const URL_VAR: &str = "PORTCULLIS_TEST_POSTGRES_URL";
/// Where tests look for PostgreSQL when [`URL_VAR`] is unset.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
/// Test schemas are named `portcullis_test_…`.
const PREFIX: &str = "portcullis_test_";

/// A new empty schema on the test server, dropped (with everything in it) when this is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    schema: String,
    admin: PgConnectOptions,
    url: String,
}

impl TestDatabase {
    /// Creates the schema. Panics, naming the server and how to fix it, when PostgreSQL is
    /// unreachable.
    pub async fn create() -> TestDatabase {
        let server = std::env::var(URL_VAR).unwrap_or_else(|_| DEFAULT_URL.to_owned());
        let admin = PgConnectOptions::from_str(&server)
            .unwrap_or_else(|e| panic!("{URL_VAR}={server:?} is not a PostgreSQL URL: {e}"));
        let schema = unique_name();
        let mut conn = PgConnection::connect_with(&admin)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL is not reachable at {server} ({e}). The tests need it: start it \
                 (scripts/test does when it can), or point {URL_VAR} at a server"
                )
            });
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\"")))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("CREATE SCHEMA {schema}: {e}"));
        let _ = conn.close().await;
        let url = with_search_path(&server, &schema);
        TestDatabase { schema, admin, url }
    }

    /// A URL for the schema: the server's URL, with the schema as `search_path`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Connection options for the schema (as [`TestDatabase::url`]).
    pub fn options(&self) -> PgConnectOptions {
        self.admin
            .clone()
            .options([("search_path", self.schema.as_str())])
            .options([("synchronous_commit", "off")])
    }

    /// The schema's name.
    pub fn schema(&self) -> &str {
        &self.schema
    }
}

impl Drop for TestDatabase {
    /// Drops the schema and its tables. Runs on its own thread and runtime, since `drop` cannot
    /// await and may run inside a runtime.
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let schema = std::mem::take(&mut self.schema);
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(sqlx::Error::Io)?;
            runtime.block_on(async move {
                let mut conn = PgConnection::connect_with(&admin).await?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
                )))
                .execute(&mut conn)
                .await?;
                conn.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop a test schema: {dropped:?}");
        }
    }
}

/// `portcullis_test_<pid>_<random>_<n>`: unique across the processes and runs sharing a server.
fn unique_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let random = RandomState::new().hash_one(std::process::id());
    format!(
        "{PREFIX}{}_{random:016x}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// `server` with `options=-c search_path=<schema> -c synchronous_commit=off` added to its query
/// (libpq's `options` parameter, which sqlx reads too), percent-encoded. Test data need not
/// survive a crash of the server, and commits that do not wait for the disk make tests fast.
fn with_search_path(server: &str, schema: &str) -> String {
    let separator = if server.contains('?') { '&' } else { '?' };
    format!(
        "{server}{separator}options=-c%20search_path%3D{schema}%20-c%20synchronous_commit%3Doff"
    )
}
