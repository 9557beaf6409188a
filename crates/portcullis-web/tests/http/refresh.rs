//! Checklist E: refresh tokens rotate, are bound to their client, and reuse revokes the family.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::Value;

async fn refresh(
    s: &TestServer,
    app: &App,
    token: &str,
    extra: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", token),
        ("client_id", app.client_id.as_str()),
    ];
    if let Some(secret) = &app.secret {
        form.push(("client_secret", secret));
    }
    form.extend_from_slice(extra);
    let (status, _, body) = post_token(s, &form).await;
    (status, body)
}

#[tokio::test]
async fn refresh_rotates_and_returns_an_id_token_without_nonce() {
    let s = TestServer::start().await;
    let first = tokens(&s).await;
    let rt = first["refresh_token"].as_str().unwrap();
    s.clock.advance(10);
    let (status, second) = refresh(&s, &s.web, rt, &[]).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(second["token_type"], "Bearer");
    let before = claims(first["id_token"].as_str().unwrap());
    let after = claims(second["id_token"].as_str().unwrap());
    for claim in ["iss", "sub", "aud", "auth_time", "sid"] {
        assert_eq!(before[claim], after[claim], "{claim}");
    }
    assert!(after["iat"].as_i64() > before["iat"].as_i64());
    assert!(after.get("nonce").is_none());
    // The rotated token no longer works...
    let (status, body) = refresh(&s, &s.web, rt, &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("invalid refresh token")
    );
    // ...and its reuse revoked the family, including the newest token.
    let (status, _) = refresh(&s, &s.web, second["refresh_token"].as_str().unwrap(), &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let r = reqwest::Client::new()
        .get(s.url("userinfo"))
        .bearer_auth(second["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn refresh_token_of_another_client_is_invalid_grant() {
    let s = TestServer::start().await;
    let t = tokens(&s).await;
    let (status, body) = refresh(&s, &s.other_web, t["refresh_token"].as_str().unwrap(), &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    // Still good for its own client.
    let (status, _) = refresh(&s, &s.web, t["refresh_token"].as_str().unwrap(), &[]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn confidential_clients_must_authenticate_to_refresh() {
    let s = TestServer::start().await;
    let t = tokens(&s).await;
    let (status, _, body) = post_token(
        &s,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
            ("client_id", &s.web.client_id),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test]
async fn refresh_cannot_widen_scope_but_may_narrow_it() {
    let s = TestServer::start().await;
    let t = tokens(&s).await;
    let rt = t["refresh_token"].as_str().unwrap();
    let (status, body) = refresh(&s, &s.web, rt, &[("scope", "openid read:shows")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_scope");
    let (status, body) = refresh(&s, &s.web, rt, &[("scope", "openid")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["scope"], "openid");
    assert!(
        claims(body["id_token"].as_str().unwrap())
            .get("email")
            .is_none()
    );
}

#[tokio::test]
async fn expired_refresh_token_is_refused() {
    let s = TestServer::start().await;
    let t = tokens(&s).await;
    s.clock.advance(16 * 86_400);
    let (_, body) = refresh(&s, &s.web, t["refresh_token"].as_str().unwrap(), &[]).await;
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn concurrent_refreshes_with_one_token_have_exactly_one_winner() {
    let s = TestServer::start().await;
    let t = tokens(&s).await;
    let rt = t["refresh_token"].as_str().unwrap();
    let (a, b, c, d) = tokio::join!(
        refresh(&s, &s.web, rt, &[]),
        refresh(&s, &s.web, rt, &[]),
        refresh(&s, &s.web, rt, &[]),
        refresh(&s, &s.web, rt, &[]),
    );
    let results = [a, b, c, d];
    let winners = results
        .iter()
        .filter(|(status, _)| *status == StatusCode::OK)
        .count();
    assert_eq!(winners, 1, "{results:?}");
}

#[tokio::test]
async fn logout_ends_the_sessions_online_grants_but_not_offline_ones() {
    let s = TestServer::start().await;
    let b = browser();
    let offline = sign_in(&s, &b, &web_params(&s)).await;
    let offline: Value = redeem(&s, &offline["code"]).await.json().await.unwrap();
    let online = sign_in_again(&s, &b, &with(web_params(&s), "scope", "openid profile")).await;
    let online: Value = redeem(&s, &online["code"]).await.json().await.unwrap();
    assert!(online.get("refresh_token").is_none());
    let id_token = online["id_token"].as_str().unwrap().to_owned();
    let r = b
        .get(s.url("oidc/logout"))
        .query(&[("id_token_hint", id_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let userinfo = |token: String| {
        let url = s.url("userinfo");
        async move {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        userinfo(online["access_token"].as_str().unwrap().to_owned()).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        userinfo(offline["access_token"].as_str().unwrap().to_owned()).await,
        StatusCode::OK
    );
    let (status, _) = refresh(&s, &s.web, offline["refresh_token"].as_str().unwrap(), &[]).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "offline_access survives logout (OIDC Core section 11)"
    );
}

/// With a session already in the browser: /authorize answers directly.
async fn sign_in_again(
    s: &TestServer,
    b: &reqwest::Client,
    params: &[(&str, String)],
) -> std::collections::HashMap<String, String> {
    let r = b
        .get(s.url("authorize"))
        .query(params)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    query_of(&location(r.headers()))
}

#[tokio::test]
async fn a_password_reset_or_a_block_revokes_the_users_tokens_offline_included() {
    use portcullis_core::admin::{Secret, users};
    let s = TestServer::start().await;
    let t = tokens(&s).await;
    let p = &s.provider;
    users::set_password(p, &s.user.email, &Secret::new("a brand new password"))
        .await
        .unwrap();
    let (status, body) = refresh(&s, &s.web, t["refresh_token"].as_str().unwrap(), &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    let r = reqwest::Client::new()
        .get(s.url("userinfo"))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // Blocking does the same (sign in again first, with the new password).
    let b = browser();
    let login = start_login(&s, &b, &web_params(&s)).await;
    let r = submit_login(&b, &login, &s.user.email, "a brand new password").await;
    let code = query_of(&location(r.headers()))["code"].clone();
    let t: Value = redeem(&s, &code).await.json().await.unwrap();
    users::set_blocked(p, &s.user.email, true).await.unwrap();
    let (status, _) = refresh(&s, &s.web, t["refresh_token"].as_str().unwrap(), &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let grant = p
        .store
        .get_refresh_token(&p.hasher.hash(t["refresh_token"].as_str().unwrap()))
        .await
        .unwrap()
        .unwrap();
    assert!(
        grant.revoked,
        "revoked, not merely refused because the user is blocked"
    );
}
