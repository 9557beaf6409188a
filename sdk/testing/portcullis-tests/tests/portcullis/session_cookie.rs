//! The session cookie is written only when the session changed or its rolling expiry is due:
//! a concurrent request that did not refresh must not overwrite the cookie holding rotated
//! tokens (Portcullis treats the spent refresh token as reuse, RFC 9700 §4.14.2, and revokes
//! the family).

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use portcullis_axum::User;
use reqwest::StatusCode;
use tokio::sync::Notify;

use crate::app::{WebApp, session_cookies};
use crate::support::browser;

#[derive(Clone, Default)]
struct Gate {
    entered: Arc<Notify>,
    release: Arc<Notify>,
}

/// A page that reads the session, then waits for the test.
async fn slow(State(gate): State<Gate>, user: User) -> String {
    gate.entered.notify_one();
    gate.release.notified().await;
    user.sub().to_owned()
}

#[tokio::test]
async fn a_concurrent_request_does_not_overwrite_rotated_tokens() {
    let gate = Gate::default();
    let routes = Router::new()
        .route("/slow", get(slow))
        .with_state(gate.clone());
    let app = WebApp::start(routes, |c| c).await;
    let b = browser();
    app.sign_in(&b).await;
    let first = app.tokens(&b).await;

    // Unchanged session: no Set-Cookie at all.
    let res = b.get(app.url("/auth/profile")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(session_cookies(&res), Vec::<String>::new());

    // The access token expires. Request A starts with the current cookie and is held; request
    // B refreshes (Portcullis rotates the refresh token) and writes the new cookie.
    app.op.clock.advance(3600 + 6);
    let a = tokio::spawn({
        let b = b.clone();
        let url = app.url("/slow");
        async move { b.get(url).send().await.unwrap() }
    });
    gate.entered.notified().await;
    let res = b.get(app.url("/auth/access-token")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!session_cookies(&res).is_empty(), "the refresh is saved");
    let second = app.tokens(&b).await;
    assert_ne!(second["refresh_token"], first["refresh_token"]);

    // A finishes after B: it must not write its (stale) copy of the session.
    gate.release.notify_one();
    let res = a.await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(session_cookies(&res), Vec::<String>::new());
    assert_eq!(
        app.tokens(&b).await["refresh_token"],
        second["refresh_token"]
    );

    // So the next refresh presents the current refresh token and succeeds.
    app.op.clock.advance(3600 + 6);
    let (status, body) = app.get_json(&b, "/auth/access-token").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let third = app.tokens(&b).await;
    assert_ne!(third["refresh_token"], second["refresh_token"]);
    assert!(
        app.op
            .is_active(third["refresh_token"].as_str().unwrap())
            .await
    );
}

#[tokio::test]
async fn an_unchanged_session_is_rewritten_only_when_its_rolling_expiry_is_due() {
    let app = WebApp::start(Router::new(), |c| {
        c.inactivity_duration(std::time::Duration::from_secs(3 * 3600))
    })
    .await;
    let b = browser();
    app.sign_in(&b).await;

    // Less than half of the 3 h inactivity window used: nothing written.
    app.op.clock.advance(3600);
    let res = b.get(app.url("/auth/profile")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(session_cookies(&res).is_empty());

    // Past half of it: the cookie is rewritten with a new expiry (3 h from now).
    app.op.clock.advance(1800 + 1);
    let res = b.get(app.url("/auth/profile")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let set = session_cookies(&res);
    assert!(
        set.iter()
            .any(|c| c.starts_with("__session=") && c.contains("Max-Age=10800")),
        "{set:?}"
    );

    // Still signed in 2.5 h later, thanks to the roll (the first cookie would have expired).
    app.op.clock.advance(9000);
    let res = b.get(app.url("/auth/profile")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}
