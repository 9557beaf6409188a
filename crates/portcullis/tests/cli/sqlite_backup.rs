//! `portcullis backup` (issue #11): an online backup of a SQLite tenant taken while the server
//! runs, never overwriting a file without `--force`, restored by copying it into place and
//! serving sign-ins with the same users, applications and keys.

use super::flows::{apply_tenant, serve, sign_in_and_redeem};
use super::support::{Sandbox, terminate, wait_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_online_backup_restored_into_a_new_data_directory_signs_in() {
    let sb = Sandbox::new();
    apply_tenant(&sb, &[]);
    let (mut server, base) = serve(&sb, &[]);
    wait_for(&format!("{base}/readyz"), &mut server).await;
    let before = sign_in_and_redeem(&base).await;

    // Taken while the server runs.
    let out = sb.run(&["backup", "backup.db"]).success();
    assert!(out.contains("backup.db"), "{out}");
    let backup = sb.path().join("backup.db");
    let conn = rusqlite::Connection::open(&backup).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let users: i64 = conn
        .query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))
        .unwrap();
    assert_eq!(users, 1);
    drop(conn);

    // Never replaced without --force; with it, replaced.
    let size = std::fs::metadata(&backup).unwrap().len();
    let err = sb.run(&["backup", "backup.db"]).failure();
    assert!(err.contains("--force"), "{err}");
    assert_eq!(std::fs::metadata(&backup).unwrap().len(), size);
    sb.run(&["backup", "backup.db", "--force"]).success();
    let leftovers: Vec<_> = std::fs::read_dir(sb.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".partial-"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files remain");
    assert!(terminate(&mut server));

    // Restore: the backup as the database of a new data directory, with the same master key.
    let restored = sb.path().join("restored");
    std::fs::create_dir(&restored).unwrap();
    std::fs::copy(&backup, restored.join("portcullis.db")).unwrap();
    std::fs::copy(
        sb.data_dir().join("master.key"),
        restored.join("master.key"),
    )
    .unwrap();
    std::fs::remove_dir_all(sb.data_dir()).unwrap();
    let dir = restored.display().to_string();
    let (mut server, base) = serve(&sb, &[("PORTCULLIS_DATA_DIR", &dir)]);
    wait_for(&format!("{base}/readyz"), &mut server).await;
    let after = sign_in_and_redeem(&base).await;
    // Signed with the same key as before the backup.
    let kid = |t: &serde_json::Value| {
        portcullis_testkit::jwt_header(t["id_token"].as_str().unwrap())["kid"].clone()
    };
    assert_eq!(kid(&before), kid(&after));
    assert!(terminate(&mut server));
}

#[test]
fn backup_refuses_postgres_and_a_missing_database() {
    let sb = Sandbox::new();
    let err = sb
        .run_with(
            &["backup", "b.db"],
            &[("PORTCULLIS_DATABASE_URL", "postgres://u@127.0.0.1:1/x")],
            "",
        )
        .failure();
    assert!(err.contains("pg_dump"), "{err}");
    let err = sb.run(&["backup", "b.db"]).failure();
    assert!(err.contains("no Portcullis data"), "{err}");
    assert!(!sb.path().join("b.db").exists());
}
