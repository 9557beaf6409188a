//! Checklist #88, OpenID Connect Back-Channel Logout 1.0: ending a session POSTs a logout token
//! to each application of that session that registered a back-channel URI.

use crate::support::*;
use axum::Form;
use axum::extract::State;
use axum::routing::post;
use portcullis_core::jwt;
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::mpsc;

/// An application's back-channel endpoint that hands every received form to the test.
async fn receiver() -> (String, mpsc::UnboundedReceiver<HashMap<String, String>>) {
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

async fn next(
    rx: &mut mpsc::UnboundedReceiver<HashMap<String, String>>,
) -> HashMap<String, String> {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a logout token within 10 s")
        .expect("the receiver is running")
}

#[tokio::test]
async fn logout_posts_a_signed_logout_token_to_each_application_of_the_session() {
    let s = TestServer::start().await;
    let (web_uri, mut web_rx) = receiver().await;
    let (other_uri, mut other_rx) = receiver().await;
    s.set_backchannel_logout_uri(&s.web.client_id, &web_uri)
        .await;
    s.set_backchannel_logout_uri(&s.other_web.client_id, &other_uri)
        .await;

    // One browser signs in to the web app; the other app is not used in this session.
    let b = browser();
    let cb = sign_in(&s, &b, &web_params(&s)).await;
    let tokens: Value = redeem(&s, &cb["code"]).await.json().await.unwrap();
    let id = claims(tokens["id_token"].as_str().unwrap());

    let r = b
        .get(s.url("v2/logout"))
        .query(&[("client_id", s.web.client_id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);

    let form = next(&mut web_rx).await;
    let token = &form["logout_token"];
    let verified = jwt::verify(&s.provider.keys.ring(), token).expect("signed by a published key");
    assert_eq!(verified.header["typ"], "logout+jwt");
    assert_eq!(verified.header["alg"], "RS256");
    let c = &verified.claims;
    assert_eq!(c["iss"], s.issuer.as_str());
    assert_eq!(c["aud"], s.web.client_id.as_str());
    assert_eq!(c["sub"], id["sub"]);
    assert_eq!(c["sid"], id["sid"], "the sid of the ID token");
    assert!(c["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object());
    assert!(c.get("nonce").is_none());
    let (iat, exp) = (c["iat"].as_i64().unwrap(), c["exp"].as_i64().unwrap());
    assert!(exp > iat && exp - iat <= 120);
    assert!(c["jti"].is_string());

    // Only the applications of the session are told: the other one took no part in it.
    let sid = id["sid"].as_str().unwrap();
    let told = s.provider.store.session_client_ids(sid).await.unwrap();
    assert_eq!(told, std::slice::from_ref(&s.web.client_id));
    assert!(other_rx.try_recv().is_err());
}

#[tokio::test]
async fn discovery_advertises_back_channel_logout() {
    let s = TestServer::start().await;
    let doc: Value = reqwest::get(s.url(".well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["backchannel_logout_supported"], true);
    assert_eq!(doc["backchannel_logout_session_supported"], true);
}
