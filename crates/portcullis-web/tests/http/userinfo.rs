//! Checklist D: /userinfo and RFC 6750 errors.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn userinfo_with_bearer_header_get_and_post() {
    let s = TestServer::start().await;
    let t = tokens(&s).await;
    let at = t["access_token"].as_str().unwrap();
    let id = claims(t["id_token"].as_str().unwrap());
    let http = reqwest::Client::new();
    for r in [
        http.get(s.url("userinfo"))
            .bearer_auth(at)
            .send()
            .await
            .unwrap(),
        http.post(s.url("userinfo"))
            .bearer_auth(at)
            .send()
            .await
            .unwrap(),
        http.post(s.url("userinfo"))
            .form(&[("access_token", at)])
            .send()
            .await
            .unwrap(),
    ] {
        assert_eq!(r.status(), StatusCode::OK);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["sub"], id["sub"]);
        assert_eq!(body["email"], "jane@example.com");
        assert_eq!(body["name"], "Jane Doe");
    }
}

#[tokio::test]
async fn userinfo_token_in_the_query_is_private() {
    let s = TestServer::start().await;
    let t = tokens(&s).await;
    let r = reqwest::Client::new()
        .get(s.url("userinfo"))
        .query(&[("access_token", t["access_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "private");
}

#[tokio::test]
async fn userinfo_without_token_is_a_bare_challenge() {
    let s = TestServer::start().await;
    let r = reqwest::get(s.url("userinfo")).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let challenge = r.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("Bearer"));
    assert!(!challenge.contains("error="));
}

#[tokio::test]
async fn userinfo_with_bad_or_expired_token_is_invalid_token() {
    let s = TestServer::start().await;
    let t = tokens(&s).await;
    let http = reqwest::Client::new();
    let r = http
        .get(s.url("userinfo"))
        .bearer_auth("not.a.jwt")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("error=\"invalid_token\"")
    );
    // An opaque token (no audience) altered by one character.
    let opaque = t["access_token"].as_str().unwrap();
    let mut altered = opaque.to_owned().into_bytes();
    let middle = altered.len() / 2;
    altered[middle] = if altered[middle] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    assert_eq!(
        userinfo_status(&s, &altered).await,
        StatusCode::UNAUTHORIZED
    );
    // A JWT access token (for an API, with openid) with its signature replaced.
    let api = api_tokens(&s).await;
    let at = api["access_token"].as_str().unwrap();
    assert_eq!(
        userinfo_status(&s, at).await,
        StatusCode::OK,
        "the unaltered JWT works"
    );
    let forged = format!("{}.AAAA", at.rsplit_once('.').unwrap().0);
    let r = http
        .get(s.url("userinfo"))
        .bearer_auth(forged)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // alg=none.
    let none = format!("eyJhbGciOiJub25lIn0.{}.", at.split('.').nth(1).unwrap());
    let r = http
        .get(s.url("userinfo"))
        .bearer_auth(none)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Expired, in either form.
    s.clock.advance(86_401);
    for token in [at, opaque] {
        assert_eq!(userinfo_status(&s, token).await, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn userinfo_token_sent_two_ways_is_invalid_request() {
    let s = TestServer::start().await;
    let t = tokens(&s).await;
    let at = t["access_token"].as_str().unwrap();
    let r = reqwest::Client::new()
        .get(s.url("userinfo"))
        .bearer_auth(at)
        .query(&[("access_token", at)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_request")
    );
}

#[tokio::test]
async fn userinfo_releases_claims_by_scope_only() {
    let s = TestServer::start().await;
    let cb = sign_in(&s, &browser(), &with(web_params(&s), "scope", "openid")).await;
    let t: Value = redeem(&s, &cb["code"]).await.json().await.unwrap();
    let body: Value = reqwest::Client::new()
        .get(s.url("userinfo"))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["sub"]
    );
}

#[tokio::test]
async fn m2m_tokens_are_not_good_for_userinfo() {
    let s = TestServer::start().await;
    let (_, _, body) = post_token(
        &s,
        &[
            ("grant_type", "client_credentials"),
            ("audience", API),
            ("client_id", &s.m2m.client_id),
            ("client_secret", s.m2m.secret.as_deref().unwrap()),
        ],
    )
    .await;
    let r = reqwest::Client::new()
        .get(s.url("userinfo"))
        .bearer_auth(body["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

/// OIDC Core §5.4: `phone` releases phone_number and phone_number_verified, `address` the
/// structured address (§5.1.1), in the ID token and at /userinfo; without those scopes, neither.
#[tokio::test]
async fn phone_and_address_scopes_release_their_claims() {
    let s = TestServer::start().await;
    let mut user = s.user.clone();
    user.phone_number = Some("+14155550100".into());
    user.phone_number_verified = true;
    user.address = Some(portcullis_store::Address {
        street_address: Some("1 Main St".into()),
        locality: Some("Springfield".into()),
        country: Some("US".into()),
        ..Default::default()
    });
    s.provider.store.update_user(&user).await.unwrap();
    let expected_address = serde_json::json!({
        "street_address": "1 Main St", "locality": "Springfield", "country": "US"
    });
    let http = reqwest::Client::new();
    for (scope, released) in [("openid phone address", true), ("openid email", false)] {
        let b = browser();
        let cb = sign_in(&s, &b, &with(web_params(&s), "scope", scope)).await;
        let t: Value = redeem(&s, &cb["code"]).await.json().await.unwrap();
        assert_eq!(t["scope"], scope);
        let id = claims(t["id_token"].as_str().unwrap());
        let info: Value = http
            .get(s.url("userinfo"))
            .bearer_auth(t["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for body in [&id, &info] {
            if released {
                assert_eq!(body["phone_number"], "+14155550100", "{body}");
                assert_eq!(body["phone_number_verified"], true);
                assert_eq!(body["address"], expected_address);
            } else {
                assert!(body.get("phone_number").is_none(), "{body}");
                assert!(body.get("address").is_none(), "{body}");
            }
        }
    }
}
