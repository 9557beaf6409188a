//! Opening databases: migrations, reopening, refusing a database migrated by a newer release.

use portcullis_store::testsuite::sample::{self, T0};
use portcullis_store::{ClientStore, KeyState, KeyStore, StoreError};
use portcullis_store_postgres::testing::TestDatabase;
use portcullis_store_postgres::{DatabaseTooNew, PostgresStore};
use sqlx::Connection as _;

#[tokio::test]
async fn reconnecting_keeps_data_and_reruns_no_migration() {
    let database = TestDatabase::create().await;
    let store = PostgresStore::connect(database.url())
        .await
        .expect("connect");
    let version = store.schema_version().await.expect("schema_version");
    assert!(version >= 3, "migrations ran: {version}");
    store
        .insert_key(&sample::key("k-1", KeyState::Current, T0))
        .await
        .expect("insert_key");
    store.close().await;

    let store = PostgresStore::connect(database.url())
        .await
        .expect("reconnect");
    assert_eq!(store.schema_version().await.expect("version"), version);
    let keys = store.list_keys().await.expect("list_keys");
    assert_eq!(keys, [sample::key("k-1", KeyState::Current, T0)]);
    store.close().await;
}

#[tokio::test]
async fn replicas_starting_together_migrate_once() {
    let database = TestDatabase::create().await;
    let (a, b) = tokio::join!(
        PostgresStore::connect(database.url()),
        PostgresStore::connect(database.url())
    );
    let (a, b) = (a.expect("replica a"), b.expect("replica b"));
    a.create_client(&sample::client("app", T0))
        .await
        .expect("create_client on a");
    assert!(b.get_client("app").await.expect("get_client").is_some());
    a.close().await;
    b.close().await;
}

/// The server refuses to start on a database whose migrations are newer than it knows.
#[tokio::test]
async fn a_database_migrated_by_a_newer_release_is_refused() {
    let database = TestDatabase::create().await;
    let store = PostgresStore::connect(database.url())
        .await
        .expect("connect");
    store.close().await;
    // What a newer release's migration leaves behind.
    let mut conn = sqlx::PgConnection::connect_with(&database.options())
        .await
        .expect("connect directly");
    sqlx::query(
        "INSERT INTO _sqlx_migrations \
         (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from the future', TRUE, '\\x00'::bytea, 0)",
    )
    .execute(&mut conn)
    .await
    .expect("record a future migration");

    let err = PostgresStore::connect(database.url())
        .await
        .expect_err("a newer database is refused");
    let StoreError::Backend(source) = &err else {
        panic!("expected a backend error, got {err:?}");
    };
    let too_new = source
        .downcast_ref::<DatabaseTooNew>()
        .unwrap_or_else(|| panic!("expected DatabaseTooNew, got {source}"));
    assert_eq!(too_new.found, 9999);
    assert!(
        err.to_string().contains("newer than this Portcullis knows"),
        "{err}"
    );
}
