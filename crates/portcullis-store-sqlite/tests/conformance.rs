//! The `portcullis-store` conformance suite, against SQLite: once in memory, once on a file in a
//! temporary directory (a multi-connection WAL pool, where the concurrency tests race for real).

use portcullis_store::testsuite::Fixture;
use portcullis_store_sqlite::SqliteStore;

mod in_memory {
    use super::*;

    portcullis_store::conformance_tests!(async {
        SqliteStore::in_memory()
            .await
            .expect("open an in-memory store")
    });
}

mod file {
    use super::*;

    /// A new database file in a new temporary directory, removed after the test.
    async fn file_store() -> Fixture {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let path = dir.path().join("portcullis.db");
        let path = path.to_str().expect("a UTF-8 temporary path");
        let store = SqliteStore::connect(path).await.expect("open a file store");
        Fixture::new(store).keep_alive(dir)
    }

    portcullis_store::conformance_tests!(file_store());
}
