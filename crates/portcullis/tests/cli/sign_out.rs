//! The CLI signs users out everywhere with back-channel logout (issue #9): `users block`,
//! `users set-password`, `users delete` and a tenant file that blocks a user each tell the
//! applications of the user's sessions, with a signed logout token, before the command exits.

use super::flows::{PASSWORD, TENANT, redeem, serve, try_sign_in};
use super::support::{Run, Sandbox, terminate, wait_for};
use axum::Form;
use axum::extract::State;
use axum::routing::post;
use portcullis_testkit::jwt_claims;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::mpsc;

type Forms = mpsc::UnboundedReceiver<HashMap<String, String>>;

/// An application's back-channel endpoint that hands every received form to the test.
async fn receiver() -> (String, Forms) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = axum::Router::new()
        .route(
            "/backchannel-logout",
            post(
                |State(tx): State<mpsc::UnboundedSender<HashMap<String, String>>>,
                 Form(form): Form<HashMap<String, String>>| async move {
                    let _ = tx.send(form);
                },
            ),
        )
        .with_state(tx);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/backchannel-logout",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, rx)
}

/// Runs the CLI off the async workers (the receiver must keep answering meanwhile).
async fn cli(sb: &Arc<Sandbox>, args: &[&str], env: &[(&str, &str)]) -> Run {
    let sb = Arc::clone(sb);
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        sb.run_with(&args, &env, "")
    })
    .await
    .unwrap()
}

/// Signs ada in to the web application (a session it takes part in: the code redeemed).
async fn signed_in(base: &str) {
    let code = try_sign_in(base).await.expect("ada signs in");
    let (status, body) = redeem(base, &code).await.unwrap();
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
}

/// The logout token the command delivered, already there when the command has exited.
fn delivered(rx: &mut Forms, user_id: &str) {
    let form = rx
        .try_recv()
        .expect("the logout token was delivered before the command exited");
    let claims = jwt_claims(&form["logout_token"]);
    assert_eq!(claims["sub"], user_id);
    assert_eq!(claims["aud"], "web");
    assert!(
        claims["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object(),
        "{claims}"
    );
    assert!(claims["sid"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_set_password_delete_and_tenant_apply_send_back_channel_logouts() {
    let (uri, mut rx) = receiver().await;
    let sb = Arc::new(Sandbox::new());
    let tenant = TENANT.replace(
        "allowed_logout_urls = [\"http://localhost:3000/\"]",
        &format!(
            "allowed_logout_urls = [\"http://localhost:3000/\"]\nbackchannel_logout_uri = \"{uri}\""
        ),
    );
    assert_ne!(tenant, TENANT);
    sb.write("tenant.toml", &tenant);
    let pw = [("ADA_PASSWORD", PASSWORD)];
    cli(&sb, &["apply", "tenant.toml"], &pw).await.success();
    let (mut server, base) = serve(&sb, &[]);
    wait_for(&format!("{base}/readyz"), &mut server).await;
    let user_id = cli(&sb, &["--json", "users", "show", "ada@example.com"], &[])
        .await
        .json()["user_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Block.
    signed_in(&base).await;
    cli(&sb, &["users", "block", "ada@example.com"], &[])
        .await
        .success();
    delivered(&mut rx, &user_id);
    assert!(try_sign_in(&base).await.is_none(), "blocked");
    cli(&sb, &["users", "unblock", "ada@example.com"], &[])
        .await
        .success();
    assert!(rx.try_recv().is_err(), "unblocking signs nobody out");

    // Set a password.
    signed_in(&base).await;
    let out = cli(
        &sb,
        &[
            "users",
            "set-password",
            "ada@example.com",
            "--password-env",
            "NEW",
        ],
        &[("NEW", PASSWORD)],
    )
    .await
    .success();
    assert!(out.contains("1 session(s) ended"), "{out}");
    delivered(&mut rx, &user_id);

    // A tenant file that blocks her.
    signed_in(&base).await;
    sb.write(
        "blocked.toml",
        &tenant.replace(
            "email_verified = true",
            "email_verified = true\nblocked = true",
        ),
    );
    cli(&sb, &["apply", "blocked.toml"], &pw).await.success();
    delivered(&mut rx, &user_id);
    cli(&sb, &["apply", "tenant.toml"], &pw).await.success();
    assert!(
        rx.try_recv().is_err(),
        "the unchanged file signs nobody out"
    );
    sb.write(
        "unblocked.toml",
        &tenant.replace(
            "email_verified = true",
            "email_verified = true\nblocked = false",
        ),
    );
    cli(&sb, &["apply", "unblocked.toml"], &pw).await.success();

    // Delete.
    signed_in(&base).await;
    cli(&sb, &["users", "delete", "ada@example.com"], &[])
        .await
        .success();
    delivered(&mut rx, &user_id);
    assert!(rx.try_recv().is_err(), "one token per session");
    assert!(terminate(&mut server));
}
