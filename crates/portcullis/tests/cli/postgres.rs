//! The binary on PostgreSQL: `database_url = "postgres://…"` opens the same store the CLI and
//! the server use, `portcullis migrate` migrates it on its own, and a database migrated by a
//! newer release is refused. Each test on a fresh schema of the test server
//! (`PORTCULLIS_TEST_POSTGRES_URL`); fails, never skips, when PostgreSQL is unreachable.

use super::support::Sandbox;
use portcullis_store_postgres::testing::TestDatabase;
use sqlx::Connection as _;

/// The number of the newest migration the PostgreSQL store ships (its files are `NNNN_*.sql`),
/// so the test follows new migrations without being edited.
fn latest_migration() -> i64 {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../portcullis-store-postgres/migrations"
    );
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.split('_').next()?.parse::<i64>().ok()
        })
        .max()
        .unwrap()
}

#[tokio::test]
async fn migrate_then_manage_users_on_postgres() {
    let db = TestDatabase::create().await;
    let sb = Sandbox::new();
    let env = [("PORTCULLIS_DATABASE_URL", db.url())];

    let latest = latest_migration();
    let out = sb.run_with(&["migrate"], &env, "").success();
    assert!(
        out.contains(&format!("migrated, at schema migration {latest}")),
        "{out}"
    );
    let again = sb.run_with(&["--json", "migrate"], &env, "").json();
    assert_eq!(again["schema_version"], latest, "{again}");

    sb.run_with(
        &[
            "users",
            "create",
            "--email",
            "ada@example.com",
            "--password-stdin",
        ],
        &env,
        "correct horse battery staple\n",
    )
    .success();
    let users = sb.run_with(&["--json", "users", "list"], &env, "").json();
    assert_eq!(users[0]["email"], "ada@example.com", "{users}");

    // The user is in PostgreSQL, not in a SQLite file of the data directory.
    let mut conn = sqlx::PgConnection::connect_with(&db.options())
        .await
        .unwrap();
    let emails: Vec<String> = sqlx::query_scalar("SELECT email FROM users")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(emails, ["ada@example.com"]);
    assert!(!sb.data_dir().join("portcullis.db").exists());
}

#[tokio::test]
async fn a_database_migrated_by_a_newer_release_is_refused() {
    let db = TestDatabase::create().await;
    let sb = Sandbox::new();
    // `serve` binds its port before opening the database: any free one.
    let env = [
        ("PORTCULLIS_DATABASE_URL", db.url()),
        ("PORTCULLIS_LISTEN", "127.0.0.1:0"),
    ];
    sb.run_with(&["migrate"], &env, "").success();
    let mut conn = sqlx::PgConnection::connect_with(&db.options())
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations \
         (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from the future', TRUE, '\\x00'::bytea, 0)",
    )
    .execute(&mut conn)
    .await
    .unwrap();

    for command in [&["migrate"][..], &["serve"][..], &["users", "list"][..]] {
        let err = sb.run_with(command, &env, "").failure();
        assert!(
            err.contains("schema migration 9999, newer than this Portcullis knows"),
            "{command:?}: {err}"
        );
    }
}

#[test]
fn passwords_in_the_url_are_not_printed() {
    let sb = Sandbox::new();
    // Nothing listens on port 1: the connection fails and the error names the database.
    let env = [(
        "PORTCULLIS_DATABASE_URL",
        "postgres://portcullis:hunter2@127.0.0.1:1/portcullis",
    )];
    let err = sb.run_with(&["migrate"], &env, "").failure();
    assert!(
        err.contains("postgres://portcullis:***@127.0.0.1:1/portcullis"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
}

/// `/readyz` follows the database; `/healthz` only says the process answers.
#[tokio::test]
async fn readyz_is_unready_when_the_database_fails_and_healthz_stays_up() {
    let db = TestDatabase::create().await;
    let sb = Sandbox::new();
    let port = super::support::free_port();
    let mut server = sb
        .command(&["serve"])
        .env("PORTCULLIS_DATABASE_URL", db.url())
        .env("PORTCULLIS_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let ready = super::support::wait_for(&format!("{base}/readyz"), &mut server).await;
    assert_eq!(ready, "ready");

    // The keys' table disappears (as good as the database failing under the server).
    let mut conn = sqlx::PgConnection::connect_with(&db.options())
        .await
        .unwrap();
    sqlx::query("DROP TABLE signing_keys")
        .execute(&mut conn)
        .await
        .unwrap();
    let r = reqwest::get(format!("{base}/readyz")).await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.text().await.unwrap(), "database unavailable");
    let r = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    assert!(super::support::terminate(&mut server));
}
