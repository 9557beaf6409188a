//! client_credentials for M2M applications (RFC 6749 §4.4).

use crate::support::*;
use reqwest::StatusCode;

fn form<'a>(s: &'a TestServer, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("grant_type", "client_credentials"),
        ("client_id", s.m2m.client_id.as_str()),
        ("client_secret", s.m2m.secret.as_deref().unwrap()),
    ];
    f.extend_from_slice(extra);
    f
}

#[tokio::test]
async fn m2m_gets_an_access_token_for_its_granted_api_and_no_refresh_token() {
    let s = TestServer::start().await;
    let (status, headers, body) = post_token(&s, &form(&s, &[("audience", API)])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(body.get("refresh_token").is_none());
    assert!(body.get("id_token").is_none());
    assert_eq!(body["scope"], "read:shows");
    let at = claims(body["access_token"].as_str().unwrap());
    assert_eq!(at["aud"], API);
    assert_eq!(at["sub"], format!("{}@clients", s.m2m.client_id));
    assert_eq!(at["gty"], "client-credentials");
}

#[tokio::test]
async fn m2m_scope_beyond_the_grant_is_invalid_scope() {
    let s = TestServer::start().await;
    let (status, _, body) = post_token(
        &s,
        &form(
            &s,
            &[("audience", API), ("scope", "read:shows write:shows")],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_scope");
}

#[tokio::test]
async fn m2m_without_a_grant_for_the_api_is_unauthorized() {
    let s = TestServer::start().await;
    s.api("https://api.billing.example", &["read:billing"])
        .await;
    let (status, _, body) = post_token(
        &s,
        &form(&s, &[("audience", "https://api.billing.example")]),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unauthorized_client");
    let (_, _, body) = post_token(&s, &form(&s, &[])).await;
    assert_eq!(body["error"], "invalid_request", "audience is required");
}

#[tokio::test]
async fn applications_without_the_grant_type_cannot_use_it() {
    let s = TestServer::start().await;
    let (status, _, body) = post_token(
        &s,
        &[
            ("grant_type", "client_credentials"),
            ("audience", API),
            ("client_id", &s.web.client_id),
            ("client_secret", s.web.secret.as_deref().unwrap()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unauthorized_client");
    let (_, _, body) = post_token(
        &s,
        &[
            ("grant_type", "client_credentials"),
            ("audience", API),
            ("client_id", &s.spa.client_id),
        ],
    )
    .await;
    assert_eq!(body["error"], "unauthorized_client");
}
