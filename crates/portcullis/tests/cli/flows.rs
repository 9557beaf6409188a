//! Whole flows against a running `portcullis serve`, shared by the backup, fault and soak tests:
//! one tenant (a web application with refresh tokens, an M2M application, a user), a sign-in
//! through the hosted page, and the token endpoint.

use super::support::{Sandbox, free_port};
use portcullis_testkit::{browser, hidden, location, query_of};
use reqwest::StatusCode;
use serde_json::Value;
use std::process::{Child, Stdio};

pub const PASSWORD: &str = "correct horse battery staple";
pub const CALLBACK: &str = "http://localhost:3000/callback";
pub const WEB_SECRET: &str = "web-secret-0123456789-0123456789-0123";
pub const M2M_SECRET: &str = "m2m-secret-0123456789-0123456789-0123";
pub const API: &str = "https://api.example";
pub const TENANT: &str = r#"
[[applications]]
client_id = "web"
name = "Web"
app_type = "regular_web"
callbacks = ["http://localhost:3000/callback"]
allowed_logout_urls = ["http://localhost:3000/"]
client_secret = "web-secret-0123456789-0123456789-0123"

[[applications]]
client_id = "m2m"
name = "M2M"
app_type = "non_interactive"
client_secret = "m2m-secret-0123456789-0123456789-0123"

[[apis]]
identifier = "https://api.example"
name = "API"
scopes = [{ value = "read:things" }]
allow_offline_access = true

[[client_grants]]
client_id = "m2m"
audience = "https://api.example"
scopes = ["read:things"]

[[users]]
email = "ada@example.com"
password_env = "ADA_PASSWORD"
email_verified = true
"#;

/// Applies [`TENANT`] with `env` (e.g. the database URL).
pub fn apply_tenant(sb: &Sandbox, env: &[(&str, &str)]) {
    sb.write("tenant.toml", TENANT);
    let mut env = env.to_vec();
    env.push(("ADA_PASSWORD", PASSWORD));
    sb.run_with(&["apply", "tenant.toml"], &env, "").success();
}

/// `serve` on a free port with `env`; returns the process and its base URL.
pub fn serve(sb: &Sandbox, env: &[(&str, &str)]) -> (Child, String) {
    let port = free_port();
    let child = sb
        .command(&["serve"])
        .envs(env.iter().copied())
        .env("PORTCULLIS_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (child, format!("http://127.0.0.1:{port}"))
}

/// Sends SIGKILL (no chance to finish anything) and reaps the process.
pub fn kill_9(child: &mut Child) {
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(!status.success(), "a killed process does not exit cleanly");
}

/// Signs ada in on `base` through the hosted page with a fresh browser; returns the code, or
/// `None` when any step did not answer as a working server does (e.g. the server died).
pub async fn try_sign_in(base: &str) -> Option<String> {
    try_sign_in_with(base, PASSWORD).await
}

/// [`try_sign_in`] with another password.
pub async fn try_sign_in_with(base: &str, password: &str) -> Option<String> {
    sign_in(base, password).await.ok()
}

/// Why a step got no result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No HTTP answer (the server is gone, or went mid-request).
    Unreachable,
    /// An answer other than the one a working server gives.
    Status(u16),
}

/// Signs ada in on `base` through the hosted page with a fresh browser; returns the code.
pub async fn sign_in(base: &str, password: &str) -> Result<String, Failure> {
    let b = browser();
    let unreachable = |_| Failure::Unreachable;
    let r = b
        .get(format!("{base}/authorize"))
        .query(&[
            ("client_id", "web"),
            ("response_type", "code"),
            ("redirect_uri", CALLBACK),
            ("scope", "openid offline_access"),
            ("state", "s-1"),
        ])
        .send()
        .await
        .map_err(unreachable)?;
    if r.status() != StatusCode::FOUND {
        return Err(Failure::Status(r.status().as_u16()));
    }
    let r = b
        .get(format!("{base}{}", location(r.headers())))
        .send()
        .await
        .map_err(unreachable)?;
    if r.status() != StatusCode::OK {
        return Err(Failure::Status(r.status().as_u16()));
    }
    let html = r.text().await.map_err(unreachable)?;
    let r = b
        .post(format!("{base}/u/login"))
        .form(&[
            ("state", hidden(&html, "state")),
            ("csrf", hidden(&html, "csrf")),
            ("email", "ada@example.com".to_owned()),
            ("password", password.to_owned()),
        ])
        .send()
        .await
        .map_err(unreachable)?;
    if r.status() != StatusCode::SEE_OTHER {
        return Err(Failure::Status(r.status().as_u16()));
    }
    query_of(&location(r.headers()))
        .get("code")
        .cloned()
        .ok_or(Failure::Status(303))
}

/// Posts `form` to `base`'s token endpoint; `None` when no HTTP answer came.
pub async fn try_token(base: &str, form: &[(&str, &str)]) -> Option<(StatusCode, Value)> {
    let r = reqwest::Client::new()
        .post(format!("{base}/oauth/token"))
        .form(form)
        .send()
        .await
        .ok()?;
    let status = r.status();
    Some((status, r.json().await.ok()?))
}

/// Redeems a code as the web application.
pub async fn redeem(base: &str, code: &str) -> Option<(StatusCode, Value)> {
    try_token(
        base,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CALLBACK),
            ("client_id", "web"),
            ("client_secret", WEB_SECRET),
        ],
    )
    .await
}

/// Uses a refresh token as the web application.
pub async fn refresh(base: &str, token: &str) -> Option<(StatusCode, Value)> {
    try_token(
        base,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", "web"),
            ("client_secret", WEB_SECRET),
        ],
    )
    .await
}

/// A client-credentials token for the M2M application.
pub async fn client_credentials(base: &str) -> Option<(StatusCode, Value)> {
    try_token(
        base,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "m2m"),
            ("client_secret", M2M_SECRET),
            ("audience", API),
        ],
    )
    .await
}

/// Signs in and redeems the code; panics unless both work.
pub async fn sign_in_and_redeem(base: &str) -> Value {
    let code = try_sign_in(base).await.expect("ada signs in");
    let (status, body) = redeem(base, &code)
        .await
        .expect("the token endpoint answers");
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}
