//! `response_type=id_token` (OIDC Core §3.2), express-openid-connect's default: sign-in only,
//! the ID token delivered by form_post or in the fragment, never in the query.

use crate::support::*;
use portcullis_store::GrantType;
use reqwest::StatusCode;

async fn allow_implicit(s: &TestServer) {
    let mut client = s
        .provider
        .store
        .get_client(&s.web.client_id)
        .await
        .unwrap()
        .unwrap();
    client.grant_types.push(GrantType::Implicit);
    s.provider.store.update_client(&client).await.unwrap();
}

fn implicit_params(s: &TestServer) -> Vec<(&'static str, String)> {
    vec![
        ("client_id", s.web.client_id.clone()),
        ("response_type", "id_token".into()),
        ("response_mode", "form_post".into()),
        ("redirect_uri", WEB_CALLBACK.into()),
        ("scope", "openid profile email".into()),
        ("state", "st4te".into()),
        ("nonce", "n0nce".into()),
    ]
}

#[tokio::test]
async fn id_token_arrives_by_form_post_with_the_nonce() {
    let s = TestServer::start().await;
    allow_implicit(&s).await;
    let b = browser();
    let login = start_login(&s, &b, &implicit_params(&s)).await;
    let r = submit_login(&b, &login, &s.user.email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains(&format!("action=\"{WEB_CALLBACK}\"")));
    assert_eq!(hidden(&html, "state"), "st4te");
    assert!(!html.contains("name=\"code\""));
    assert!(!html.contains("access_token"));
    let id_token = hidden(&html, "id_token");
    let claims = claims(&id_token);
    assert_eq!(claims["nonce"], "n0nce");
    assert_eq!(claims["aud"], s.web.client_id);
    assert_eq!(claims["iss"], s.issuer);
    assert_eq!(claims["sub"], s.user.user_id);
    assert_eq!(claims["email"], "jane@example.com");
    assert_eq!(header(&id_token)["alg"], "RS256");
}

#[tokio::test]
async fn id_token_defaults_to_the_fragment_and_never_goes_in_the_query() {
    let s = TestServer::start().await;
    allow_implicit(&s).await;
    let b = browser();
    sign_in(&s, &b, &web_params(&s)).await;
    let params = without(implicit_params(&s), "response_mode");
    let r = b
        .get(s.url("authorize"))
        .query(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let to = location(r.headers());
    let (before, fragment) = to.split_once('#').unwrap();
    assert_eq!(before, WEB_CALLBACK);
    assert!(fragment.starts_with("id_token="), "{to}");
    let r = b
        .get(s.url("authorize"))
        .query(&with(implicit_params(&s), "response_mode", "query"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.headers().get("location").is_none());
}

#[tokio::test]
async fn id_token_needs_a_nonce_and_the_implicit_grant() {
    let s = TestServer::start().await;
    let r = browser()
        .get(s.url("authorize"))
        .query(&implicit_params(&s))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("value=\"unauthorized_client\"")
    );
    allow_implicit(&s).await;
    let r = browser()
        .get(s.url("authorize"))
        .query(&without(implicit_params(&s), "nonce"))
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("value=\"invalid_request\""), "{html}");
}

#[tokio::test]
async fn discovery_advertises_id_token_and_fragment() {
    let s = TestServer::start().await;
    let doc: serde_json::Value = reqwest::get(s.url(".well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        doc["response_types_supported"],
        serde_json::json!(["code", "id_token"])
    );
    assert!(
        doc["response_modes_supported"]
            .as_array()
            .unwrap()
            .contains(&"fragment".into())
    );
}
