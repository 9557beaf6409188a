//! A database outage under a running server (issue #11): while PostgreSQL cannot be reached,
//! requests fail fast with 503 and a clear error; when it is back, the server recovers by
//! itself. The outage is a TCP relay between the server and PostgreSQL that the test cuts (every
//! connection dropped, the port closed) and restores on the same port.

use super::support::{Sandbox, free_port, terminate, wait_for};
use portcullis_store_postgres::testing::TestDatabase;
use reqwest::StatusCode;
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// Relays connections from `listener` to `target` until dropped (which drops them all).
struct Relay {
    tasks: JoinSet<()>,
}

impl Relay {
    async fn start(listen: SocketAddr, target: SocketAddr) -> Relay {
        let listener = TcpListener::bind(listen).await.unwrap();
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                connections.spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Relay { tasks }
    }

    /// Cuts every connection and closes the port.
    async fn cut(mut self) {
        self.tasks.shutdown().await;
    }
}

/// A client-credentials token request: it reads the client and its grant from the database.
async fn token_request(base: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "m2m"),
            ("client_secret", "m2m-secret-0123456789-0123456789-0123"),
            ("audience", "https://api.example"),
        ])
        .send()
        .await
        .unwrap()
}

const TENANT: &str = r#"
[[applications]]
client_id = "m2m"
name = "M2M"
app_type = "non_interactive"
client_secret = "m2m-secret-0123456789-0123456789-0123"

[[apis]]
identifier = "https://api.example"
name = "API"
scopes = [{ value = "read:things" }]

[[client_grants]]
client_id = "m2m"
audience = "https://api.example"
scopes = ["read:things"]
"#;

// Multi-threaded: the relay keeps running while `apply` blocks a thread on the child process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_fail_fast_with_503_while_the_database_is_down_and_recover_after() {
    let db = TestDatabase::create().await;
    let options = db.options();
    let target: SocketAddr = format!("{}:{}", options.get_host(), options.get_port())
        .parse()
        .expect("the test server's address is an IP address");
    let relay_addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let relayed_url = db
        .url()
        .replacen(&target.to_string(), &relay_addr.to_string(), 1);
    assert_ne!(relayed_url, db.url(), "the URL names {target}");
    let relay = Relay::start(relay_addr, target).await;

    let sb = Sandbox::new();
    sb.write("tenant.toml", TENANT);
    let env = [("PORTCULLIS_DATABASE_URL", relayed_url.as_str())];
    sb.run_with(&["apply", "tenant.toml"], &env, "").success();
    let port = free_port();
    let mut server = sb
        .command(&["serve"])
        .env("PORTCULLIS_DATABASE_URL", &relayed_url)
        .env("PORTCULLIS_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    wait_for(&format!("{base}/readyz"), &mut server).await;
    assert_eq!(token_request(&base).await.status(), StatusCode::OK);

    // The database goes away.
    relay.cut().await;
    let started = Instant::now();
    let r = token_request(&base).await;
    let waited = started.elapsed();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable", "{body}");
    assert!(waited < Duration::from_secs(10), "took {waited:?} to fail");
    let r = reqwest::get(format!("{base}/readyz")).await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let r = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "alive through the outage");

    // It comes back on the same address: the server recovers without a restart.
    let _relay = Relay::start(relay_addr, target).await;
    wait_for(&format!("{base}/readyz"), &mut server).await;
    assert_eq!(token_request(&base).await.status(), StatusCode::OK);
    assert!(terminate(&mut server));
}
