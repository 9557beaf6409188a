//! `/api/v2/keys/signing`: list, get, rotate, revoke.

use crate::management_support::Mgmt;
use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn jwks_kids(m: &Mgmt) -> Vec<String> {
    let jwks: Value = reqwest::get(m.server.url(".well-known/jwks.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn rotate_then_revoke_the_previous_key() {
    let m = Mgmt::start().await;
    let keys = m.get("keys/signing").await;
    let keys = keys.ok(StatusCode::OK).as_array().unwrap().clone();
    let current = keys.iter().find(|k| k["current"] == true).unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let next = keys.iter().find(|k| k["next"] == true).unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(keys[0]["jwk"]["kty"], "RSA");
    let one = m.get(&format!("keys/signing/{current}")).await;
    assert_eq!(one.ok(StatusCode::OK)["kid"], current.as_str());

    // A JWT access token (for an API, with openid): signed by the key about to be revoked.
    let old_token = api_tokens(&m.server).await;
    // An opaque one (no audience) is sealed, not signed: the signing key does not matter to it.
    let opaque = tokens(&m.server).await;
    let rotated = m.post("keys/signing/rotate", &json!({})).await;
    let new_next = rotated.ok(StatusCode::CREATED)["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_next, next);
    let after = m.get(&format!("keys/signing/{next}")).await;
    assert_eq!(
        after.ok(StatusCode::OK)["current"],
        true,
        "next became current"
    );
    let previous = m.get(&format!("keys/signing/{current}")).await;
    assert_eq!(previous.ok(StatusCode::OK)["previous"], true);
    assert!(previous.body["current_until"].is_string());
    // New tokens are signed with the new current key.
    let new_token = tokens(&m.server).await;
    assert_eq!(
        header(new_token["id_token"].as_str().unwrap())["kid"],
        next.as_str()
    );

    m.call(
        Method::PUT,
        &format!("keys/signing/{next}/revoke"),
        &m.admin,
        None,
    )
    .await
    .error(StatusCode::BAD_REQUEST, "invalid_key_state");
    assert!(jwks_kids(&m).await.contains(&current));
    let revoked = m
        .call(
            Method::PUT,
            &format!("keys/signing/{current}/revoke"),
            &m.admin,
            None,
        )
        .await;
    assert_eq!(revoked.ok(StatusCode::OK)["kid"], current.as_str());
    // The Management API token was signed by the revoked key too: a new one is needed.
    m.get("keys/signing")
        .await
        .error(StatusCode::UNAUTHORIZED, "invalid_token");
    let fresh = m.token(&["read:signing_keys"]).await;
    let state = m
        .call(
            Method::GET,
            &format!("keys/signing/{current}"),
            &fresh,
            None,
        )
        .await;
    assert_eq!(state.ok(StatusCode::OK)["revoked"], true);
    assert!(!jwks_kids(&m).await.contains(&current), "left the JWKS");
    // Tokens signed by the revoked key no longer work here either.
    let jwt = old_token["access_token"].as_str().unwrap();
    assert_eq!(
        userinfo_status(&m.server, jwt).await,
        StatusCode::UNAUTHORIZED
    );
    let opaque = opaque["access_token"].as_str().unwrap();
    assert_eq!(userinfo_status(&m.server, opaque).await, StatusCode::OK);
    m.call(Method::GET, "keys/signing/nope", &fresh, None)
        .await
        .error(StatusCode::NOT_FOUND, "inexistent_signing_key");
}

#[tokio::test]
async fn key_operations_need_their_scopes() {
    let m = Mgmt::start().await;
    m.assert_needs_scope(Method::GET, "keys/signing", None, "read:signing_keys")
        .await;
    let reader = m.token(&["read:signing_keys", "update:signing_keys"]).await;
    let refused = m
        .call(Method::POST, "keys/signing/rotate", &reader, None)
        .await;
    assert_eq!(
        refused.status,
        StatusCode::CREATED,
        "update:signing_keys may rotate"
    );
    let only_read = m.token(&["read:signing_keys"]).await;
    m.call(Method::POST, "keys/signing/rotate", &only_read, None)
        .await
        .error(StatusCode::FORBIDDEN, "insufficient_scope");
    m.call(Method::PUT, "keys/signing/any/revoke", &only_read, None)
        .await
        .error(StatusCode::FORBIDDEN, "insufficient_scope");
}
