//! Opening databases: file creation, migrations, reopening, URLs.

use portcullis_store::testsuite::sample::{self, T0};
use portcullis_store::{ClientStore, DatabaseTooNew, KeyState, KeyStore, StoreError};
use portcullis_store_sqlite::SqliteStore;
use sqlx::Connection as _;

#[tokio::test]
async fn connect_creates_the_file_and_migrates_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("new.db");
    assert!(!path.exists());
    let store = SqliteStore::connect(path.to_str().expect("utf-8 path"))
        .await
        .expect("connect");
    assert!(path.exists(), "the database file was created");
    store
        .create_client(&sample::client("app", T0))
        .await
        .expect("the schema is there");
    store.close().await;
}

#[tokio::test]
async fn reopening_keeps_data_and_reruns_no_migration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("reopen.db");
    let path = path.to_str().expect("utf-8 path");
    let store = SqliteStore::connect(path).await.expect("connect");
    store
        .insert_key(&sample::key("k-1", KeyState::Current, T0))
        .await
        .expect("insert_key");
    store.close().await;

    let store = SqliteStore::connect(path).await.expect("reconnect");
    let keys = store.list_keys().await.expect("list_keys");
    assert_eq!(keys, [sample::key("k-1", KeyState::Current, T0)]);
    store.close().await;
}

#[tokio::test]
async fn connect_accepts_sqlite_urls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("url.db");
    let url = format!("sqlite://{}", path.to_str().expect("utf-8 path"));
    let store = SqliteStore::connect(&url).await.expect("connect by URL");
    assert!(path.exists());
    store.close().await;

    let memory = SqliteStore::connect("sqlite::memory:")
        .await
        .expect("connect to memory");
    memory
        .create_client(&sample::client("app", T0))
        .await
        .expect("create_client");
    let listed = memory.list_clients().await.expect("list_clients");
    assert_eq!(listed.len(), 1, "one database behind the pool");
}

#[tokio::test]
async fn in_memory_stores_are_private() {
    let a = SqliteStore::in_memory().await.expect("in_memory");
    let b = SqliteStore::in_memory().await.expect("in_memory");
    a.create_client(&sample::client("app", T0))
        .await
        .expect("create_client");
    assert_eq!(b.get_client("app").await.expect("get_client"), None);
}

/// The server refuses to start on a database whose migrations are newer than it knows.
#[tokio::test]
async fn a_database_migrated_by_a_newer_release_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("future.db");
    let path = path.to_str().expect("utf-8 path");
    let store = SqliteStore::connect(path).await.expect("connect");
    assert!(store.schema_version().await.expect("schema_version") >= 3);
    store.close().await;
    // What a newer release's migration leaves behind.
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{path}"))
        .await
        .expect("connect directly");
    sqlx::query(
        "INSERT INTO _sqlx_migrations \
         (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from the future', TRUE, x'00', 0)",
    )
    .execute(&mut conn)
    .await
    .expect("record a future migration");
    conn.close().await.expect("close");

    let err = SqliteStore::connect(path)
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
