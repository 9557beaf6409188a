//! The `portcullis-store` conformance suite, against PostgreSQL: each test on a fresh database
//! of the test server (`PORTCULLIS_TEST_POSTGRES_URL`), dropped after it. Fails, never skips,
//! when the server is unreachable.

use portcullis_store::testsuite::Fixture;
use portcullis_store_postgres::PostgresStore;
use portcullis_store_postgres::testing::TestDatabase;

/// A migrated store on a new database; the database outlives the store, then is dropped.
async fn fresh_store() -> Fixture {
    let database = TestDatabase::create().await;
    let store = PostgresStore::connect(database.url())
        .await
        .expect("connect to the test database");
    Fixture::new(store).keep_alive(database)
}

portcullis_store::conformance_tests!(fresh_store());
