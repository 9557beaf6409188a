//! Checklist F (75–78): revocation (RFC 7009) and introspection (RFC 7662).

use crate::support::*;
use reqwest::StatusCode;
use serde_json::Value;

async fn post(s: &TestServer, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(s.url(path))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn web_auth(s: &TestServer) -> [(&str, &str); 2] {
    [
        ("client_id", s.web.client_id.as_str()),
        ("client_secret", s.web.secret.as_deref().unwrap()),
    ]
}

#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_access_tokens() {
    let s = TestServer::start().await;
    let t = tokens(&s).await;
    let rt = t["refresh_token"].as_str().unwrap();
    let mut form = vec![("token", rt), ("token_type_hint", "access_token")];
    form.extend(web_auth(&s));
    let (status, _) = post(&s, "oauth/revoke", &form).await;
    assert_eq!(status, StatusCode::OK, "a wrong hint still revokes");
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", rt)];
    form.extend(web_auth(&s));
    let (_, _, body) = post_token(&s, &form).await;
    assert_eq!(body["error"], "invalid_grant");
    let r = reqwest::Client::new()
        .get(s.url("userinfo"))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn revoking_an_unknown_token_is_ok() {
    let s = TestServer::start().await;
    let mut form = vec![("token", "never-issued")];
    form.extend(web_auth(&s));
    let (status, _) = post(&s, "oauth/revoke", &form).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn revoking_requires_client_authentication() {
    let s = TestServer::start().await;
    let (status, body) = post(
        &s,
        "oauth/revoke",
        &[
            ("token", "x"),
            ("client_id", &s.web.client_id),
            ("client_secret", "bad"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test]
async fn another_clients_token_is_not_revoked() {
    let s = TestServer::start().await;
    let t = tokens(&s).await;
    let rt = t["refresh_token"].as_str().unwrap();
    let (status, body) = post(
        &s,
        "oauth/revoke",
        &[
            ("token", rt),
            ("client_id", &s.other_web.client_id),
            ("client_secret", s.other_web.secret.as_deref().unwrap()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unauthorized_client");
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", rt)];
    form.extend(web_auth(&s));
    let (status, _, _) = post_token(&s, &form).await;
    assert_eq!(status, StatusCode::OK, "still valid");
}

#[tokio::test]
async fn revoking_an_access_token_stops_it_at_userinfo() {
    let s = TestServer::start().await;
    let t = tokens(&s).await;
    let at = t["access_token"].as_str().unwrap();
    let mut form = vec![("token", at)];
    form.extend(web_auth(&s));
    let (status, _) = post(&s, "oauth/revoke", &form).await;
    assert_eq!(status, StatusCode::OK);
    let r = reqwest::Client::new()
        .get(s.url("userinfo"))
        .bearer_auth(at)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn introspection_needs_a_confidential_client() {
    let s = TestServer::start().await;
    let (status, _) = post(&s, "oauth/introspect", &[("token", "x")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = post(
        &s,
        "oauth/introspect",
        &[("token", "x"), ("client_id", &s.spa.client_id)],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn introspection_reports_active_tokens_and_only_active_false_otherwise() {
    let s = TestServer::start().await;
    let t = tokens(&s).await;
    let at = t["access_token"].as_str().unwrap();
    let mut form = vec![("token", at)];
    form.extend(web_auth(&s));
    let (status, body) = post(&s, "oauth/introspect", &form).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["active"], true);
    assert_eq!(body["sub"], s.user.user_id);
    assert_eq!(body["client_id"], s.web.client_id);
    let mut form = vec![("token", t["refresh_token"].as_str().unwrap())];
    form.extend(web_auth(&s));
    let (_, body) = post(&s, "oauth/introspect", &form).await;
    assert_eq!(body["active"], true);
    assert_eq!(body["token_type"], "refresh_token");
    for token in ["garbage", "a.b.c"] {
        let mut form = vec![("token", token)];
        form.extend(web_auth(&s));
        let (_, body) = post(&s, "oauth/introspect", &form).await;
        assert_eq!(body, serde_json::json!({ "active": false }));
    }
    s.clock.advance(86_401);
    let mut form = vec![("token", at)];
    form.extend(web_auth(&s));
    let (_, body) = post(&s, "oauth/introspect", &form).await;
    assert_eq!(body, serde_json::json!({ "active": false }));
}
