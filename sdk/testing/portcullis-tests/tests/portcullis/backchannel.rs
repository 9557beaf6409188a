//! Server-side sessions in a store, ended by OpenID Connect Back-Channel Logout: Portcullis
//! POSTs a logout token to the app's registered `backchannel_logout_uri` when the user's
//! session there ends, and the app's session for that IdP session (`sid`) ends too.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use portcullis_axum::{MemoryStore, SessionStore, TowerSessionsStore};
use reqwest::StatusCode;

use crate::app::{WebApp, session_cookies};
use crate::support::browser;

#[tokio::test]
async fn a_logout_at_the_provider_ends_the_apps_session_for_that_sid() {
    let store: Arc<MemoryStore> = Arc::new(MemoryStore::default());
    backchannel_logout_flow(store.clone(), || {
        assert!(
            store.len() >= 2,
            "the sessions are in the store: {}",
            store.len()
        );
    })
    .await;
}

/// The same, with the sessions in Redis through a `tower-sessions` store.
#[tokio::test]
async fn a_logout_at_the_provider_ends_a_session_kept_in_redis() {
    use tower_sessions_redis_store::RedisStore;
    use tower_sessions_redis_store::fred::prelude::*;
    let url = std::env::var("PORTCULLIS_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let pool = Pool::new(Config::from_url(&url).unwrap(), None, None, None, 2).unwrap();
    pool.init()
        .await
        .unwrap_or_else(|e| panic!("Redis at {url} (scripts/test starts it): {e}"));
    backchannel_logout_flow(TowerSessionsStore(RedisStore::new(pool)), || {}).await;
}

async fn backchannel_logout_flow(store: impl SessionStore + Clone, check_store: impl Fn()) {
    let app = WebApp::start(Router::new(), move |c| c.session_store(store)).await;
    app.op
        .set_backchannel_logout_uri(&app.op.web.client_id, &app.url("/auth/backchannel-logout"))
        .await;

    // Two browsers, two IdP sessions, two app sessions.
    let (b1, b2) = (browser(), browser());
    app.sign_in(&b1).await;
    app.sign_in(&b2).await;
    for b in [&b1, &b2] {
        let (status, _) = app.get_json(b, "/auth/profile").await;
        assert_eq!(status, StatusCode::OK);
    }
    check_store();

    // b1's user logs out at Portcullis directly (Auth0's /v2/logout, as another app would):
    // Portcullis sends the logout token; b1's app session ends, b2's does not.
    let res = b1
        .get(app.op.url(&format!(
            "v2/logout?client_id={}&returnTo={}",
            app.op.web.client_id,
            urlencode(&app.url("/"))
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND, "{:?}", res.text().await);
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let res = b1.get(app.url("/auth/profile")).send().await.unwrap();
            if res.status() == StatusCode::UNAUTHORIZED {
                break res;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the back-channel logout ends b1's session");
    // The dead cookie is deleted.
    assert!(
        session_cookies(&ended)
            .iter()
            .any(|c| c.contains("Max-Age=0")),
        "{:?}",
        session_cookies(&ended)
    );
    let (status, _) = app.get_json(&b2, "/auth/profile").await;
    assert_eq!(status, StatusCode::OK, "another IdP session is untouched");
}

#[tokio::test]
async fn forged_or_malformed_logout_tokens_are_refused() {
    let app = WebApp::start(Router::new(), |c| c.session_store(MemoryStore::default())).await;
    let b = browser();
    app.sign_in(&b).await;
    let http = reqwest::Client::new();
    let post = |token: String| {
        http.post(app.url("/auth/backchannel-logout"))
            .form(&[("logout_token", token)])
            .send()
    };
    // An ID token is signed by Portcullis but is not a logout token.
    let id_token = {
        let res = b.get(app.url("/test/session-tokens")).send().await.unwrap();
        let v: serde_json::Value = res.json().await.unwrap();
        v["id_token"].as_str().unwrap().to_owned()
    };
    for token in [String::new(), "not-a-jwt".into(), id_token] {
        let res = post(token).await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request");
    }
    let (status, _) = app.get_json(&b, "/auth/profile").await;
    assert_eq!(status, StatusCode::OK, "still signed in");
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
