//! Backups on PostgreSQL (issue #11): `pg_dump` of a tenant's database, restored with
//! `pg_restore` into a new database, serves sign-ins with the same users, applications and keys.

use super::support::{Sandbox, free_port, terminate, wait_for};
use portcullis_store_postgres::testing::{DEFAULT_URL, TestDatabase, URL_VAR};
use portcullis_testkit::{browser, hidden, location, query_of};
use reqwest::StatusCode;
use sqlx::Connection as _;
use std::process::{Command, Stdio};

const PASSWORD: &str = "correct horse battery staple";
const TENANT: &str = r#"
[[applications]]
client_id = "web"
name = "Web"
app_type = "regular_web"
callbacks = ["http://localhost:3000/callback"]
client_secret = "web-secret-0123456789-0123456789-0123"

[[users]]
email = "ada@example.com"
password_env = "ADA_PASSWORD"
"#;

/// A database created for the restore, dropped (with its connections) afterwards.
struct RestoreDatabase {
    server: String,
    name: String,
}

impl RestoreDatabase {
    async fn create(server: &str, name: &str) -> RestoreDatabase {
        let mut conn = sqlx::PgConnection::connect(server).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut conn)
            .await
            .unwrap();
        RestoreDatabase {
            server: server.to_owned(),
            name: name.to_owned(),
        }
    }

    async fn drop_now(self) {
        let mut conn = sqlx::PgConnection::connect(&self.server).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        )))
        .execute(&mut conn)
        .await
        .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pg_dump_restored_into_a_new_database_signs_in() {
    let server = std::env::var(URL_VAR).unwrap_or_else(|_| DEFAULT_URL.to_owned());
    let db = TestDatabase::create().await;
    let sb = Sandbox::new();
    sb.write("tenant.toml", TENANT);
    sb.run_with(
        &["apply", "tenant.toml"],
        &[
            ("PORTCULLIS_DATABASE_URL", db.url()),
            ("ADA_PASSWORD", PASSWORD),
        ],
        "",
    )
    .success();
    // The first signing keys are created on the first start: back up a database that has them.
    sb.run_with(
        &["keys", "rotate"],
        &[("PORTCULLIS_DATABASE_URL", db.url())],
        "",
    )
    .success();

    let dump = sb.path().join("portcullis.dump");
    let base_url = server.split('?').next().unwrap().to_owned();
    let dumped = Command::new("pg_dump")
        .args(["--format=custom", "--schema", db.schema(), "--file"])
        .arg(&dump)
        .arg(&base_url)
        .status()
        .expect("pg_dump is installed (postgresql-client)");
    assert!(dumped.success());

    // Restore into a new database (the schema keeps its name, so the URL's search_path holds).
    let restored_name = format!("{}_restored", db.schema());
    let restored = RestoreDatabase::create(&server, &restored_name).await;
    let (prefix, _) = base_url.rsplit_once('/').unwrap();
    let restored_base = format!("{prefix}/{restored_name}");
    let status = Command::new("pg_restore")
        .args(["--no-owner", "--dbname", &restored_base])
        .arg(&dump)
        .status()
        .unwrap();
    assert!(status.success());
    let restored_url = db.url().replacen(&base_url, &restored_base, 1);
    assert_ne!(restored_url, db.url());
    drop(db); // The original is gone: only the restored copy remains.

    let port = free_port();
    let mut child = sb
        .command(&["serve"])
        .env("PORTCULLIS_DATABASE_URL", &restored_url)
        .env("PORTCULLIS_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    wait_for(&format!("{base}/readyz"), &mut child).await;
    let b = browser();
    let r = b
        .get(format!("{base}/authorize"))
        .query(&[
            ("client_id", "web"),
            ("response_type", "code"),
            ("redirect_uri", "http://localhost:3000/callback"),
            ("scope", "openid"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let html = b
        .get(format!("{base}{}", location(r.headers())))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = b
        .post(format!("{base}/u/login"))
        .form(&[
            ("state", hidden(&html, "state")),
            ("csrf", hidden(&html, "csrf")),
            ("email", "ada@example.com".to_owned()),
            ("password", PASSWORD.to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "the restored user signs in"
    );
    let code = query_of(&location(r.headers()))["code"].clone();
    let r = reqwest::Client::new()
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "http://localhost:3000/callback"),
            ("client_id", "web"),
            ("client_secret", "web-secret-0123456789-0123456789-0123"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "the restored application redeems"
    );
    assert!(terminate(&mut child));
    restored.drop_now().await;
}
