//! Two `portcullis serve` processes on one PostgreSQL database, as two replicas behind a load
//! balancer: the steps of one flow alternate between them (issue #11). Everything they share goes
//! through the database: the sign-in session, the code, the refresh-token family, the keys.

use super::support::{Sandbox, free_port, terminate, wait_for};
use portcullis_store_postgres::testing::TestDatabase;
use portcullis_testkit::{browser, hidden, location, query_of};
use reqwest::StatusCode;
use serde_json::Value;
use std::process::{Child, Stdio};

const PASSWORD: &str = "correct horse battery staple";
const CALLBACK: &str = "http://localhost:3000/callback";
const SECRET: &str = "web-secret-0123456789-0123456789-0123";
const TENANT: &str = r#"
[[applications]]
client_id = "web"
name = "Web"
app_type = "regular_web"
callbacks = ["http://localhost:3000/callback"]
allowed_logout_urls = ["http://localhost:3000/"]
client_secret = "web-secret-0123456789-0123456789-0123"

[[users]]
email = "ada@example.com"
password_env = "ADA_PASSWORD"
"#;

/// A replica: `serve` on a free port, with the shared database, master key and issuer.
fn replica(sb: &Sandbox, env: &[(&str, String)]) -> (Child, String) {
    let port = free_port();
    let child = sb
        .command(&["serve"])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("PORTCULLIS_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (child, format!("http://127.0.0.1:{port}"))
}

fn authorize_query() -> [(&'static str, &'static str); 5] {
    [
        ("client_id", "web"),
        ("response_type", "code"),
        ("redirect_uri", CALLBACK),
        ("scope", "openid offline_access"),
        ("state", "s-1"),
    ]
}

/// Exchanges at `base`'s token endpoint; returns the status and the JSON body.
async fn token(base: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut form = form.to_vec();
    form.extend([("client_id", "web"), ("client_secret", SECRET)]);
    let r = reqwest::Client::new()
        .post(format!("{base}/oauth/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap())
}

#[tokio::test]
async fn a_flow_alternating_between_two_replicas_on_one_postgres_database() {
    let db = TestDatabase::create().await;
    let sb = Sandbox::new();
    let base_port = free_port();
    let env = [
        ("PORTCULLIS_DATABASE_URL", db.url().to_owned()),
        // Both replicas: one public issuer (the load balancer's), one master key (the data
        // directory's key file, created by `apply`).
        (
            "PORTCULLIS_ISSUER",
            format!("http://127.0.0.1:{base_port}/"),
        ),
    ];
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    sb.write("tenant.toml", TENANT);
    let mut apply_env = env_refs.clone();
    apply_env.push(("ADA_PASSWORD", PASSWORD));
    sb.run_with(&["apply", "tenant.toml"], &apply_env, "")
        .success();
    let (mut a_proc, a) = replica(&sb, &env);
    let (mut b_proc, b) = replica(&sb, &env);
    wait_for(&format!("{a}/healthz"), &mut a_proc).await;
    wait_for(&format!("{b}/healthz"), &mut b_proc).await;
    // The browser's cookies are per host, not per port: it is one client of the two replicas.
    let browser = browser();

    // Sign-in on A.
    let r = browser
        .get(format!("{a}/authorize"))
        .query(&authorize_query())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let login = format!("{a}{}", location(r.headers()));
    let html = browser
        .get(&login)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = browser
        .post(format!("{a}/u/login"))
        .form(&[
            ("state", hidden(&html, "state")),
            ("csrf", hidden(&html, "csrf")),
            ("email", "ada@example.com".to_owned()),
            ("password", PASSWORD.to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let code = query_of(&location(r.headers()))["code"].clone();

    // The code is redeemed on B.
    let (status, tokens) = token(
        &b,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let first_refresh = tokens["refresh_token"].as_str().unwrap().to_owned();

    // The session started on A is honoured by B: no sign-in page, straight back with a code.
    let r = browser
        .get(format!("{b}/authorize"))
        .query(&authorize_query())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let back = location(r.headers());
    assert!(
        back.starts_with(CALLBACK),
        "B asked to sign in again: {back}"
    );

    // Refresh on A; reuse of the rotated token on B revokes the family, also on A.
    let (status, rotated) = token(
        &a,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &first_refresh),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let second_refresh = rotated["refresh_token"].as_str().unwrap().to_owned();
    let (status, reuse) = token(
        &b,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &first_refresh),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{reuse}");
    assert_eq!(reuse["error"], "invalid_grant");
    let (status, revoked) = token(
        &a,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &second_refresh),
        ],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the family survived reuse: {revoked}"
    );

    // Keys rotated through the CLI (as on A's host): within 10 seconds B publishes the new next
    // key and signs with the new current one, without a restart.
    let rotated_at = std::time::Instant::now();
    let keys = sb
        .run_with(&["--json", "keys", "rotate"], &env_refs, "")
        .json();
    let kid_in = |state: &str| {
        keys.as_array()
            .unwrap()
            .iter()
            .find(|k| k["state"] == state)
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .unwrap()
    };
    let (current, next) = (kid_in("current"), kid_in("next"));
    loop {
        let jwks: Value = reqwest::get(format!("{b}/.well-known/jwks.json"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if jwks.to_string().contains(&next) {
            break;
        }
        assert!(
            rotated_at.elapsed() < std::time::Duration::from_secs(10),
            "B did not pick up the rotation within 10 s: {jwks}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let r = browser
        .get(format!("{b}/authorize"))
        .query(&authorize_query())
        .send()
        .await
        .unwrap();
    let code = query_of(&location(r.headers()))["code"].clone();
    let (status, tokens) = token(
        &b,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let id_token = tokens["id_token"].as_str().unwrap().to_owned();
    assert_eq!(
        portcullis_testkit::jwt_header(&id_token)["kid"],
        current.as_str()
    );

    // Logout on B; the session is gone on A (prompt=none answers login_required).
    let r = browser
        .get(format!("{b}/oidc/logout"))
        .query(&[
            ("id_token_hint", id_token.as_str()),
            ("post_logout_redirect_uri", "http://localhost:3000/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let mut silent = authorize_query().to_vec();
    silent.push(("prompt", "none"));
    let r = browser
        .get(format!("{a}/authorize"))
        .query(&silent)
        .send()
        .await
        .unwrap();
    assert_eq!(query_of(&location(r.headers()))["error"], "login_required");

    assert!(terminate(&mut a_proc));
    assert!(terminate(&mut b_proc));
}

/// Signs in on `base` through the hosted page; returns the authorization code.
async fn sign_in(browser: &reqwest::Client, base: &str) -> String {
    let r = browser
        .get(format!("{base}/authorize"))
        .query(&authorize_query())
        .send()
        .await
        .unwrap();
    let login = format!("{base}{}", location(r.headers()));
    let html = browser
        .get(&login)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = browser
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
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    query_of(&location(r.headers()))["code"].clone()
}

/// Sends `form` to the token endpoints of A and B alternately, `n` requests released together;
/// returns the statuses and bodies.
async fn race(
    n: usize,
    bases: [&str; 2],
    form: Vec<(&'static str, String)>,
) -> Vec<(StatusCode, Value)> {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (barrier, base, form) = (barrier.clone(), bases[i % 2].to_owned(), form.clone());
            tokio::spawn(async move {
                let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                barrier.wait().await;
                token(&base, &form).await
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses
}

/// Replicas racing on one code (at most one redemption, and the replays revoke it), then on one
/// refresh token (exactly one rotation).
#[tokio::test]
async fn two_replicas_racing_on_one_code_or_one_refresh_token() {
    let db = TestDatabase::create().await;
    let sb = Sandbox::new();
    let issuer_port = free_port();
    let env = [
        ("PORTCULLIS_DATABASE_URL", db.url().to_owned()),
        (
            "PORTCULLIS_ISSUER",
            format!("http://127.0.0.1:{issuer_port}/"),
        ),
    ];
    let mut apply_env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    apply_env.push(("ADA_PASSWORD", PASSWORD));
    sb.write("tenant.toml", TENANT);
    sb.run_with(&["apply", "tenant.toml"], &apply_env, "")
        .success();
    let (mut a_proc, a) = replica(&sb, &env);
    let (mut b_proc, b) = replica(&sb, &env);
    wait_for(&format!("{a}/healthz"), &mut a_proc).await;
    wait_for(&format!("{b}/healthz"), &mut b_proc).await;
    let browser = browser();

    // One code, redeemed 10 times at once on both replicas.
    let code = sign_in(&browser, &a).await;
    let redeem = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code),
        ("redirect_uri", CALLBACK.to_owned()),
    ];
    // RFC 6749 §4.1.2: a code is redeemed at most once, and a replay revokes what it issued.
    // The nine replays revoke the winner's grant (or, when one gets in before the winner stores
    // it, make the winner issue nothing): at most one 200, and its refresh token is dead.
    let statuses = race(10, [&a, &b], redeem).await;
    let winners: Vec<_> = statuses.iter().filter(|s| s.0 == StatusCode::OK).collect();
    assert!(winners.len() <= 1, "a code redeemed twice: {statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| s.0 == StatusCode::OK || s.1["error"] == "invalid_grant"),
        "{statuses:?}"
    );
    for (_, tokens) in winners {
        let (status, body) = token(
            &b,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "replays left a live grant: {body}"
        );
    }

    // A fresh grant's refresh token, refreshed 10 times at once on both replicas.
    // Another browser (the first one's session would skip the sign-in page).
    let code = sign_in(&portcullis_testkit::browser(), &b).await;
    let (status, tokens) = token(
        &a,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let refresh = vec![
        ("grant_type", "refresh_token".to_owned()),
        (
            "refresh_token",
            tokens["refresh_token"].as_str().unwrap().to_owned(),
        ),
    ];
    let statuses = race(10, [&a, &b], refresh).await;
    let won = statuses.iter().filter(|s| s.0 == StatusCode::OK).count();
    assert_eq!(won, 1, "one refresh token, one rotation: {statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| s.0 == StatusCode::OK || s.1["error"] == "invalid_grant"),
        "{statuses:?}"
    );

    assert!(terminate(&mut a_proc));
    assert!(terminate(&mut b_proc));
}
