//! The database behind a test server: a fresh in-memory SQLite database, or, when
//! `PORTCULLIS_TEST_DATABASE=postgres`, a fresh schema on the test PostgreSQL server
//! (`PORTCULLIS_TEST_POSTGRES_URL`), dropped with the server. The test command runs the HTTP
//! tests once per backend this way.

use portcullis_store::Store;
use portcullis_store_postgres::PostgresStore;
use portcullis_store_postgres::testing::TestDatabase;
use portcullis_store_sqlite::SqliteStore;
use std::sync::Arc;

/// The variable that picks the backend of test servers: `sqlite` (default) or `postgres`.
pub const BACKEND_VAR: &str = "PORTCULLIS_TEST_DATABASE";

/// A store for one test server, and what must live as long as it.
pub(crate) struct TestStore {
    pub store: Arc<dyn Store>,
    /// The PostgreSQL schema, dropped when the server is.
    pub schema: Option<TestDatabase>,
}

/// A fresh store on the backend [`BACKEND_VAR`] names. Panics on an unknown backend, and when
/// PostgreSQL is asked for and unreachable (the test fails: it never silently runs on SQLite).
pub(crate) async fn fresh_store() -> TestStore {
    match std::env::var(BACKEND_VAR).as_deref() {
        Err(std::env::VarError::NotPresent) | Ok("" | "sqlite") => TestStore {
            store: Arc::new(SqliteStore::in_memory().await.expect("in-memory SQLite")),
            schema: None,
        },
        Ok("postgres") => {
            let schema = TestDatabase::create().await;
            let store = PostgresStore::connect(schema.url())
                .await
                .expect("open the PostgreSQL test schema");
            TestStore {
                store: Arc::new(store),
                schema: Some(schema),
            }
        }
        other => panic!("{BACKEND_VAR}={other:?}: use sqlite or postgres"),
    }
}
