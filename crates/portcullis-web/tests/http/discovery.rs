//! Checklist A: discovery and keys.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn discovery_issuer_is_byte_identical_with_trailing_slash() {
    let s = TestServer::start().await;
    let r = reqwest::get(s.url(".well-known/openid-configuration"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["issuer"], s.issuer);
    assert!(s.issuer.ends_with('/'));
    for (field, path) in [
        ("authorization_endpoint", "authorize"),
        ("token_endpoint", "oauth/token"),
        ("userinfo_endpoint", "userinfo"),
        ("jwks_uri", ".well-known/jwks.json"),
        ("revocation_endpoint", "oauth/revoke"),
        ("end_session_endpoint", "oidc/logout"),
    ] {
        assert_eq!(doc[field], s.url(path), "{field}");
    }
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256"])
    );
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert_eq!(
        doc["subject_types_supported"],
        serde_json::json!(["public"])
    );
}

/// Issue #15: the legacy password grant is listed (Auth0's SDKs look for it) but answers only
/// applications that opted in; an ordinary application gets `unauthorized_client`.
#[tokio::test]
async fn password_grant_is_advertised_but_refused_without_the_applications_opt_in() {
    let s = TestServer::start().await;
    let doc: Value = reqwest::get(s.url(".well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        doc["grant_types_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g == "password")
    );
    let (status, _, body) = post_token(
        &s,
        &[
            ("grant_type", "password"),
            ("username", "jane@example.com"),
            ("password", PASSWORD),
            ("client_id", &s.web.client_id),
            ("client_secret", s.web.secret.as_deref().unwrap()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unauthorized_client");
}

#[tokio::test]
async fn jwks_publishes_only_public_rsa_keys_with_unique_kids() {
    let s = TestServer::start().await;
    let jwks: Value = reqwest::get(s.url(".well-known/jwks.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "current and next");
    let mut kids: Vec<&str> = keys.iter().map(|k| k["kid"].as_str().unwrap()).collect();
    kids.dedup();
    assert_eq!(kids.len(), 2);
    for key in keys {
        assert_eq!(key["kty"], "RSA");
        assert_eq!(key["alg"], "RS256");
        assert_eq!(key["use"], "sig");
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(key.get(private).is_none(), "{private} leaked");
        }
    }
}

#[tokio::test]
async fn key_rotation_signs_with_the_next_key_and_keeps_the_old_one_published() {
    let s = TestServer::start().await;
    let before = tokens(&s).await;
    let old_kid = header(before["id_token"].as_str().unwrap())["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    s.rotate_keys().await;
    let after = tokens(&s).await;
    let new_kid = header(after["id_token"].as_str().unwrap())["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(old_kid, new_kid);
    let jwks: Value = reqwest::get(s.url(".well-known/jwks.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(
        kids.contains(&old_kid.as_str()),
        "previous key still published"
    );
    assert!(kids.contains(&new_kid.as_str()));
    assert_eq!(kids.len(), 3, "previous, current and a new next key");
    // Tokens signed by the previous key still work at /userinfo.
    let r = reqwest::Client::new()
        .get(s.url("userinfo"))
        .bearer_auth(before["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_previous_key_leaves_the_jwks_once_its_tokens_have_expired() {
    let s = TestServer::start().await;
    let before = tokens(&s).await;
    let old_kid = header(before["id_token"].as_str().unwrap())["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    s.rotate_keys().await; // keeps the previous key published for 86,400 s
    s.clock.advance(86_401);
    s.provider
        .keys
        .reload(s.provider.store.as_ref(), s.provider.now())
        .await
        .unwrap();
    let jwks: Value = reqwest::get(s.url(".well-known/jwks.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids.len(), 2, "current and next: {kids:?}");
    assert!(
        !kids.contains(&old_kid.as_str()),
        "the retired key is no longer published"
    );
}
