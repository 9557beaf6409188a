//! The validator against access tokens issued by an independent provider: panva's oidc-provider.
#![allow(clippy::unwrap_used)]

#[path = "../../testing/node.rs"]
mod node;

use portcullis_bearer::{Error, Guard, Validator};

const API: &str = "https://api.example";

async fn client_credentials_token(issuer: &str, scope: &str) -> String {
    let body = format!(
        "grant_type=client_credentials&client_id=sdk-m2m&client_secret=sdk-m2m-secret-0123456789abcdef&scope={}&resource={}",
        scope.replace(' ', "%20").replace(':', "%3A"),
        "https%3A%2F%2Fapi.example"
    );
    let res: serde_json::Value = reqwest::Client::new()
        .post(format!("{issuer}/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    res["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no access token: {res}"))
        .to_owned()
}

#[tokio::test]
async fn validates_oidc_provider_access_tokens_via_discovery() {
    let op = node::spawn_server(
        "provider.mjs",
        &[],
        &[
            ("REDIRECT_URI", "http://127.0.0.1:9/auth/callback"),
            ("POST_LOGOUT_REDIRECT_URI", "http://127.0.0.1:9/"),
        ],
    )
    .await;
    let issuer = op.ready["issuer"].as_str().unwrap().to_owned();

    let validator = Validator::builder()
        .issuer(issuer.clone())
        .audience(API)
        .require_at_jwt_typ(true)
        .build()
        .unwrap();
    let token = client_credentials_token(&issuer, "read:shows").await;
    let access = validator.validate(&token).await.unwrap();
    assert_eq!(access.issuer, issuer);
    assert_eq!(access.client_id.as_deref(), Some("sdk-m2m"));
    Guard::all_scopes(["read:shows"]).check(&access).unwrap();
    assert!(matches!(
        Guard::all_scopes(["write:shows"]).check(&access),
        Err(Error::InsufficientScope { .. })
    ));

    // Same provider, another API: the audience does not match.
    let other = Validator::builder()
        .issuer(issuer.clone())
        .audience("https://other-api.example")
        .build()
        .unwrap();
    assert!(
        matches!(other.validate(&token).await, Err(Error::InvalidToken(r)) if r.contains("aud"))
    );

    // A tampered payload fails the signature check.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = parts[1].chars().rev().collect();
    assert!(validator.validate(&parts.join(".")).await.is_err());
}
