//! Hardening (issue #7) checked against the built binary: throttles that hold across two server
//! processes on one database, and a database that hostile requests cannot grow.

use super::support::{Sandbox, free_port, terminate, wait_for};
use portcullis_testkit::{browser, hidden, location};
use reqwest::StatusCode;
use std::process::{Child, Stdio};
use std::sync::Arc;

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

/// Applies the tenant, then starts `serve` on a free port with the sandbox's data directory.
fn serve(sb: &Sandbox) -> (Child, String) {
    let port = free_port();
    let child = sb
        .command(&["serve"])
        .env("PORTCULLIS_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (child, format!("http://127.0.0.1:{port}"))
}

/// The sign-in form for the web app at `base`: (state, csrf).
async fn login_form(b: &reqwest::Client, base: &str) -> (String, String) {
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
    (hidden(&html, "state"), hidden(&html, "csrf"))
}

async fn submit(
    b: &reqwest::Client,
    base: &str,
    form: &(String, String),
    password: &str,
) -> StatusCode {
    b.post(format!("{base}/u/login"))
        .form(&[
            ("state", form.0.as_str()),
            ("csrf", form.1.as_str()),
            ("email", "ada@example.com"),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_burst_of_wrong_passwords_across_two_servers_gets_only_the_limit_checked() {
    let sb = Sandbox::new();
    sb.write("tenant.toml", TENANT);
    sb.run_with(&["apply", "tenant.toml"], &[("ADA_PASSWORD", PASSWORD)], "")
        .success();
    let (mut a, base_a) = serve(&sb);
    let (mut b_server, base_b) = serve(&sb);
    wait_for(&format!("{base_a}/healthz"), &mut a).await;
    wait_for(&format!("{base_b}/healthz"), &mut b_server).await;

    let b = browser();
    let form_a = Arc::new(login_form(&b, &base_a).await);
    let form_b = Arc::new(login_form(&b, &base_b).await);
    let barrier = Arc::new(tokio::sync::Barrier::new(100));
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let (b, barrier) = (b.clone(), Arc::clone(&barrier));
            let (base, form) = if i % 2 == 0 {
                (base_a.clone(), Arc::clone(&form_a))
            } else {
                (base_b.clone(), Arc::clone(&form_b))
            };
            tokio::spawn(async move {
                barrier.wait().await;
                submit(&b, &base, &form, "wrong password").await
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(checked + refused, 100, "{statuses:?}");
    assert_eq!(checked, 10, "exactly the limit was checked: {statuses:?}");
    // The right password is refused on both servers while the pair is blocked.
    assert_eq!(
        submit(&b, &base_a, &form_a, PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        submit(&b, &base_b, &form_b, PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert!(terminate(&mut a));
    assert!(terminate(&mut b_server));
}

/// The database and its write-ahead log, in bytes.
fn database_size(sb: &Sandbox) -> u64 {
    ["portcullis.db", "portcullis.db-wal"]
        .iter()
        .map(|name| {
            std::fs::metadata(sb.data_dir().join(name))
                .map(|m| m.len())
                .unwrap_or(0)
        })
        .sum()
}

#[tokio::test]
async fn ten_thousand_requests_with_huge_random_client_ids_leave_the_database_as_it_was() {
    let sb = Sandbox::new();
    let (mut server, base) = serve(&sb);
    wait_for(&format!("{base}/healthz"), &mut server).await;
    let before = database_size(&sb);
    let client = reqwest::Client::new();
    let padding = Arc::new("x".repeat(60 * 1024));
    let url = Arc::new(format!("{base}/oauth/token"));
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let workers: Vec<_> = (0..16)
        .map(|_| {
            let (client, padding, url, next) = (
                client.clone(),
                Arc::clone(&padding),
                Arc::clone(&url),
                Arc::clone(&next),
            );
            tokio::spawn(async move {
                let mut statuses = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= 10_000 {
                        return statuses;
                    }
                    // A different random-looking 60 KB id each time, in the body or in Basic.
                    let id = format!(
                        "{:016x}{padding}",
                        (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
                    );
                    let request = client.post(url.as_str());
                    let request = if i % 2 == 0 {
                        request.form(&[
                            ("grant_type", "client_credentials"),
                            ("client_id", id.as_str()),
                            ("client_secret", "guess-guess-guess-guess-guess-guess"),
                        ])
                    } else {
                        request
                            .basic_auth(&id, Some("guess"))
                            .form(&[("grant_type", "client_credentials")])
                    };
                    statuses.push(request.send().await.unwrap().status());
                }
            })
        })
        .collect();
    for worker in workers {
        for status in worker.await.unwrap() {
            assert!(
                status == StatusCode::UNAUTHORIZED || status == StatusCode::TOO_MANY_REQUESTS,
                "{status}"
            );
        }
    }
    assert!(terminate(&mut server));
    let after = database_size(&sb);
    assert!(
        after < before + 1024 * 1024,
        "the database grew from {before} to {after} bytes"
    );
}
