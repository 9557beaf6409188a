//! Happy paths driven by a real OpenID Connect client library, the `openidconnect` crate:
//! discovery, code + PKCE with client_secret_basic, ID-token verification against the JWKS,
//! userinfo, and refresh.

use crate::support::*;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};

/// openidconnect's HTTP client, on reqwest 0.13 with redirects off.
async fn http(
    request: openidconnect::HttpRequest,
) -> Result<openidconnect::HttpResponse, reqwest::Error> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let (parts, body) = request.into_parts();
    let response = client
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await?;
    let mut builder = openidconnect::http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    let body = response.bytes().await?.to_vec();
    Ok(builder.body(body).expect("a valid response"))
}

#[tokio::test]
async fn openidconnect_crate_completes_code_flow_userinfo_and_refresh() {
    let s = TestServer::start().await;
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(s.issuer.clone()).unwrap(), &http)
            .await
            .expect("discovery and JWKS");
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(s.web.client_id.clone()),
        Some(ClientSecret::new(s.web.secret.clone().unwrap())),
    )
    .set_redirect_uri(RedirectUrl::new(WEB_CALLBACK.to_owned()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("offline_access".into()))
        .set_pkce_challenge(challenge)
        .url();

    // The browser part: follow the URL, sign in on the hosted page.
    let b = browser();
    let r = b.get(url.as_str()).send().await.unwrap();
    let login = s.url(&location(r.headers()));
    let r = submit_login(&b, &login, &s.user.email, PASSWORD).await;
    let callback = query_of(&location(r.headers()));
    assert_eq!(&callback["state"], csrf.secret());
    assert_eq!(callback["iss"], s.issuer);

    let token = client
        .exchange_code(AuthorizationCode::new(callback["code"].clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    let id_token = token.id_token().expect("an ID token");
    let claims = id_token
        .claims(&client.id_token_verifier(), &nonce)
        .expect("ID token verifies against the JWKS");
    assert_eq!(claims.subject().as_str(), s.user.user_id);
    assert_eq!(claims.email().map(|e| e.as_str()), Some("jane@example.com"));

    let info: CoreUserInfoClaims = client
        .user_info(token.access_token().clone(), None)
        .unwrap()
        .request_async(&http)
        .await
        .expect("userinfo");
    assert_eq!(info.subject().as_str(), s.user.user_id);

    let refreshed = client
        .exchange_refresh_token(token.refresh_token().expect("a refresh token"))
        .unwrap()
        .request_async(&http)
        .await
        .expect("refresh");
    assert_ne!(
        refreshed.refresh_token().unwrap().secret(),
        token.refresh_token().unwrap().secret()
    );
    let refreshed_id = refreshed.id_token().expect("an ID token on refresh");
    let claims = refreshed_id
        .claims(&client.id_token_verifier(), |_: Option<&Nonce>| Ok(()))
        .expect("refreshed ID token verifies");
    assert_eq!(claims.subject().as_str(), s.user.user_id);
}
