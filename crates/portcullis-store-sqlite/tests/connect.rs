//! Opening databases: file creation, migrations, reopening, URLs.

use portcullis_store::testsuite::sample::{self, T0};
use portcullis_store::{ClientStore, DatabaseTooNew, KeyState, KeyStore, SettingStore, StoreError};
use portcullis_store_sqlite::SqliteStore;

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
    let conn = rusqlite::Connection::open(path).expect("open directly");
    conn.execute(
        "INSERT INTO _sqlx_migrations \
         (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from the future', TRUE, x'00', 0)",
        [],
    )
    .expect("record a future migration");
    drop(conn);

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

/// Migrates a new database, changes its migration bookkeeping with `tamper` (as a failed or
/// edited migration would leave it), and returns why reopening it is refused.
async fn reopen_after(tamper: &str) -> StoreError {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tampered.db");
    let path = path.to_str().expect("utf-8 path");
    SqliteStore::connect(path)
        .await
        .expect("connect")
        .close()
        .await;
    let conn = rusqlite::Connection::open(path).expect("open directly");
    assert_eq!(conn.execute(tamper, []).expect("tamper"), 1, "{tamper}");
    drop(conn);
    SqliteStore::connect(path)
        .await
        .expect_err("the tampered database is refused")
}

/// A migration that failed half-way (sqlx's bookkeeping says `success = false`) stops the store
/// from opening, rather than running on a schema of unknown shape.
#[tokio::test]
async fn a_partially_applied_migration_is_refused() {
    let err = reopen_after("UPDATE _sqlx_migrations SET success = FALSE WHERE version = 2").await;
    assert!(
        err.to_string()
            .contains("migration 2 was partially applied"),
        "{err}"
    );
}

/// An applied migration whose recorded checksum differs from this build's file of the same
/// number (an edited migration) is refused, not silently skipped.
#[tokio::test]
async fn an_edited_migration_is_refused() {
    let err = reopen_after("UPDATE _sqlx_migrations SET checksum = x'00' WHERE version = 1").await;
    assert!(
        err.to_string()
            .contains("migration 1 was applied from a different file"),
        "{err}"
    );
}

/// Every migration is recorded once, with the SHA-384 checksum of its file, as sqlx's migrator
/// records it (so databases created by releases that migrated with sqlx keep opening).
#[tokio::test]
async fn migrations_are_recorded_as_sqlx_records_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("recorded.db");
    let path = path.to_str().expect("utf-8 path");
    SqliteStore::connect(path)
        .await
        .expect("connect")
        .close()
        .await;
    SqliteStore::connect(path)
        .await
        .expect("reopen")
        .close()
        .await;
    let conn = rusqlite::Connection::open(path).expect("open directly");
    let rows: Vec<(i64, String, bool, i64)> = conn
        .prepare("SELECT version, description, success, length(checksum) FROM _sqlx_migrations ORDER BY version")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .expect("migrations dir")
        .count();
    assert_eq!(rows.len(), files, "each migration once: {rows:?}");
    assert_eq!(rows[0].0, 1);
    assert_eq!(rows[0].1, "initial");
    assert!(rows.iter().all(|r| r.2 && r.3 == 48), "{rows:?}");
}

/// Another process writing the same file (a CLI command beside the server) holds SQLite's write
/// lock: a store write waits for it (on the blocking pool, up to the busy timeout) instead of
/// failing, and commits once the lock is released.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_waits_for_another_process_holding_the_write_lock() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("busy.db");
    let path = path.to_str().expect("utf-8 path").to_owned();
    let store = SqliteStore::connect(&path).await.expect("connect");

    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn({
        let path = path.clone();
        move || {
            let mut other = rusqlite::Connection::open(&path).expect("open directly");
            let tx = other
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .expect("take the write lock");
            tx.execute(
                "INSERT INTO settings (name, value, updated_at) VALUES ('from another process', '1', 0)",
                [],
            )
            .expect("write under the lock");
            locked_tx.send(()).expect("report the lock");
            release_rx.recv().expect("wait to be released");
            tx.commit().expect("commit");
        }
    });
    locked_rx.recv().expect("the lock is held");

    let write = tokio::spawn({
        let store = store.clone();
        async move { store.create_client(&sample::client("app", T0)).await }
    });
    // The write cannot have committed: the lock is still held.
    tokio::task::yield_now().await;
    assert_eq!(
        rusqlite::Connection::open(&path)
            .expect("open directly")
            .query_row("SELECT COUNT(*) FROM clients", [], |r| r.get::<_, i64>(0))
            .expect("count"),
        0
    );
    release_tx.send(()).expect("release the lock");
    holder.join().expect("the holder thread");
    write
        .await
        .expect("the write task")
        .expect("the write waited and committed");
    assert!(store.get_client("app").await.expect("get").is_some());
    store.close().await;
}

/// The writer never checkpoints inside a commit; checkpoints are queued every thousand commits,
/// so under a steady stream of writes the WAL file is reused instead of growing with every
/// commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_is_checkpointed_and_reused_under_steady_writes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("wal.db");
    let store = SqliteStore::connect(path.to_str().expect("utf-8 path"))
        .await
        .expect("connect");
    let wal_path = dir.path().join("wal.db-wal");
    let wal_size = || std::fs::metadata(&wal_path).expect("the WAL file").len();
    let mut after_2000 = 0;
    for i in 0..5000 {
        store
            .put_setting(&format!("setting-{i}"), "value", T0)
            .await
            .expect("put_setting");
        if i == 1999 {
            after_2000 = wal_size();
        }
    }
    // Without checkpoints the WAL grows with every commit (2.5 times from 2,000 commits to
    // 5,000); reused, it stays the size a thousand-odd commits need.
    let after_5000 = wal_size();
    assert!(
        after_5000 < after_2000 + after_2000 / 2,
        "the WAL grew from {after_2000} bytes after 2,000 commits to {after_5000} after 5,000"
    );
    assert_eq!(
        store.get_setting("setting-4999").await.expect("get"),
        Some("value".into())
    );
    store.close().await;
}
