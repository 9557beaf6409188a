//! Checklist C: the token endpoint with the authorization code grant.

use crate::support::*;
use base64::Engine;
use reqwest::StatusCode;
use serde_json::Value;

fn web_form<'a>(s: &'a TestServer, code: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", WEB_CALLBACK),
        ("code_verifier", VERIFIER),
        ("client_id", &s.web.client_id),
        ("client_secret", s.web.secret.as_deref().unwrap()),
    ]
}

async fn code(s: &TestServer) -> String {
    sign_in(s, &browser(), &web_params(s)).await["code"].clone()
}

#[tokio::test]
async fn code_exchange_returns_bearer_tokens_with_no_store() {
    let s = TestServer::start().await;
    let code = code(&s).await;
    let (status, headers, body) = post_token(&s, &web_form(&s, &code)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["pragma"], "no-cache");
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].is_i64());
    assert!(body["refresh_token"].is_string());
    let id = claims(body["id_token"].as_str().unwrap());
    assert_eq!(id["iss"], s.issuer);
    assert_eq!(id["sub"], s.user.user_id);
    assert_eq!(id["aud"], s.web.client_id);
    assert_eq!(id["azp"], s.web.client_id);
    assert_eq!(id["nonce"], "n0nce");
    assert_eq!(id["email"], "jane@example.com");
    assert_eq!(id["name"], "Jane Doe");
    assert!(id["sid"].is_string());
    assert!(id["auth_time"].is_i64());
    assert!(id["exp"].as_i64().unwrap() > id["iat"].as_i64().unwrap());
    let h = header(body["id_token"].as_str().unwrap());
    assert_eq!(h["alg"], "RS256");
    assert!(h["kid"].is_string());
}

#[tokio::test]
async fn access_token_for_an_api_carries_audience_and_scopes() {
    let s = TestServer::start().await;
    let params = with(
        with(web_params(&s), "audience", API),
        "scope",
        "openid read:shows",
    );
    let cb = sign_in(&s, &browser(), &params).await;
    let (status, _, body) = post_token(&s, &web_form(&s, &cb["code"])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let at = claims(body["access_token"].as_str().unwrap());
    assert_eq!(at["aud"], serde_json::json!([API, s.url("userinfo")]));
    assert_eq!(at["scope"], "openid read:shows");
    assert_eq!(at["iss"], s.issuer);
    assert_eq!(at["azp"], s.web.client_id);
    assert!(at["jti"].is_string());
    assert_eq!(
        header(body["access_token"].as_str().unwrap())["typ"],
        "at+jwt"
    );
    assert_eq!(body["expires_in"], 3600);
    assert!(
        body.get("refresh_token").is_none(),
        "no offline_access asked"
    );
}

#[tokio::test]
async fn scope_without_openid_gets_no_id_token() {
    let s = TestServer::start().await;
    let params = with(with(web_params(&s), "audience", API), "scope", "read:shows");
    let cb = sign_in(&s, &browser(), &params).await;
    let (_, _, body) = post_token(&s, &web_form(&s, &cb["code"])).await;
    assert!(body.get("id_token").is_none(), "{body}");
    assert_eq!(claims(body["access_token"].as_str().unwrap())["aud"], API);
}

#[tokio::test]
async fn replayed_code_is_refused_and_revokes_what_it_issued() {
    let s = TestServer::start().await;
    let code = code(&s).await;
    let (_, _, first) = post_token(&s, &web_form(&s, &code)).await;
    let (status, _, again) = post_token(&s, &web_form(&s, &code)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(again["error"], "invalid_grant");
    // The tokens from the first redemption no longer work.
    let r = reqwest::Client::new()
        .get(s.url("userinfo"))
        .bearer_auth(first["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let (status, _, body) = post_token(
        &s,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", first["refresh_token"].as_str().unwrap()),
            ("client_id", &s.web.client_id),
            ("client_secret", s.web.secret.as_deref().unwrap()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn code_is_bound_to_the_client() {
    let s = TestServer::start().await;
    let code = code(&s).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", WEB_CALLBACK),
        ("code_verifier", VERIFIER),
        ("client_id", &s.other_web.client_id),
        ("client_secret", s.other_web.secret.as_deref().unwrap()),
    ];
    let (status, _, body) = post_token(&s, &form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn code_is_bound_to_the_redirect_uri() {
    let s = TestServer::start().await;
    let code = code(&s).await;
    let mut form = web_form(&s, &code);
    form.retain(|(k, _)| *k != "redirect_uri");
    form.push(("redirect_uri", "http://localhost:3000/other"));
    let (_, _, body) = post_token(&s, &form).await;
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn expired_code_is_refused() {
    let s = TestServer::start().await;
    let code = code(&s).await;
    s.clock.advance(61);
    let (_, _, body) = post_token(&s, &web_form(&s, &code)).await;
    assert_eq!(body["error"], "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

#[tokio::test]
async fn wrong_or_missing_code_verifier_is_refused() {
    let s = TestServer::start().await;
    let code1 = code(&s).await;
    let mut form = web_form(&s, &code1);
    form.retain(|(k, _)| *k != "code_verifier");
    form.push((
        "code_verifier",
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK",
    ));
    let (_, _, body) = post_token(&s, &form).await;
    assert_eq!(body["error"], "invalid_grant");
    let code2 = code(&s).await;
    let mut form = web_form(&s, &code2);
    form.retain(|(k, _)| *k != "code_verifier");
    let (_, _, body) = post_token(&s, &form).await;
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn verifier_without_challenge_is_a_downgrade_and_refused() {
    let s = TestServer::start().await;
    let params = without(
        without(web_params(&s), "code_challenge"),
        "code_challenge_method",
    );
    let cb = sign_in(&s, &browser(), &params).await;
    let (_, _, body) = post_token(&s, &web_form(&s, &cb["code"])).await;
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn unknown_grant_type_is_unsupported() {
    let s = TestServer::start().await;
    let (status, _, body) = post_token(
        &s,
        &[
            ("grant_type", "urn:x:magic"),
            ("client_id", &s.web.client_id),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn token_endpoint_accepts_only_post() {
    let s = TestServer::start().await;
    let r = reqwest::get(s.url("oauth/token")).await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn client_secret_basic_is_percent_decoded() {
    let s = TestServer::start().await;
    let code = code(&s).await;
    let secret = s.web.secret.clone().unwrap();
    // oauth4webapi form-encodes id and secret before base64: '-' and '_' stay, but encode anyway.
    let encoded = |v: &str| {
        url::form_urlencoded::byte_serialize(v.as_bytes())
            .collect::<String>()
            .replace('-', "%2D")
    };
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        encoded(&s.web.client_id),
        encoded(&secret)
    ));
    let r = reqwest::Client::new()
        .post(s.url("oauth/token"))
        .header("authorization", format!("Basic {basic}"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", WEB_CALLBACK),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{:?}", r.text().await);
}

#[tokio::test]
async fn bad_basic_credentials_get_401_with_a_basic_challenge() {
    let s = TestServer::start().await;
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{}:wrong", s.web.client_id));
    let r = reqwest::Client::new()
        .post(s.url("oauth/token"))
        .header("authorization", format!("Basic {basic}"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("redirect_uri", WEB_CALLBACK),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test]
async fn bad_post_credentials_get_401_without_a_challenge() {
    let s = TestServer::start().await;
    let (status, headers, body) = post_token(
        &s,
        &[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("redirect_uri", WEB_CALLBACK),
            ("client_id", &s.web.client_id),
            ("client_secret", "wrong"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(headers.get("www-authenticate").is_none());
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test]
async fn repeated_bad_client_secrets_are_throttled() {
    let s = TestServer::start().await;
    let form = [
        ("grant_type", "client_credentials"),
        ("audience", API),
        ("client_id", s.m2m.client_id.as_str()),
        ("client_secret", "wrong"),
    ];
    for _ in 0..20 {
        let (status, _, _) = post_token(&s, &form).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _, _) = post_token(&s, &form).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn two_client_authentication_methods_at_once_are_refused() {
    let s = TestServer::start().await;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        s.web.client_id,
        s.web.secret.as_deref().unwrap()
    ));
    let r = reqwest::Client::new()
        .post(s.url("oauth/token"))
        .header("authorization", format!("Basic {basic}"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_secret", "y"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
}

#[tokio::test]
async fn json_bodies_are_accepted() {
    let s = TestServer::start().await;
    let code = code(&s).await;
    let r = reqwest::Client::new()
        .post(s.url("oauth/token"))
        .json(&serde_json::json!({
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": WEB_CALLBACK,
            "code_verifier": VERIFIER,
            "client_id": s.web.client_id,
            "client_secret": s.web.secret,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn garbage_bodies_get_json_errors_not_500() {
    let s = TestServer::start().await;
    for (ctype, body) in [
        ("application/json", "{not json"),
        ("application/json", "[1,2]"),
        ("text/plain", "grant_type=authorization_code"),
        (
            "application/x-www-form-urlencoded",
            "grant_type=a&grant_type=b",
        ),
    ] {
        let r = reqwest::Client::new()
            .post(s.url("oauth/token"))
            .header("content-type", ctype)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{ctype} {body}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
    }
}

#[tokio::test]
async fn spa_code_exchange_with_cors_and_preflight() {
    let s = TestServer::start().await;
    let http = reqwest::Client::new();
    let pre = http
        .request(reqwest::Method::OPTIONS, s.url("oauth/token"))
        .header("origin", SPA_ORIGIN)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "auth0-client, content-type",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(pre.status(), StatusCode::NO_CONTENT);
    assert_eq!(pre.headers()["access-control-allow-origin"], SPA_ORIGIN);
    assert!(
        pre.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("auth0-client")
    );
    let evil = http
        .request(reqwest::Method::OPTIONS, s.url("oauth/token"))
        .header("origin", "http://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(evil.headers().get("access-control-allow-origin").is_none());

    let params = vec![
        ("client_id", s.spa.client_id.clone()),
        ("response_type", "code".into()),
        ("redirect_uri", SPA_CALLBACK.into()),
        ("scope", "openid profile email offline_access".into()),
        ("state", "st4te".into()),
        ("nonce", "n0nce".into()),
        ("code_challenge", CHALLENGE.into()),
        ("code_challenge_method", "S256".into()),
    ];
    let cb = sign_in(&s, &browser(), &params).await;
    let r = http
        .post(s.url("oauth/token"))
        .header("origin", SPA_ORIGIN)
        .header("auth0-client", "eyJuYW1lIjoiYXV0aDAtc3BhLWpzIn0=")
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &cb["code"]),
            ("redirect_uri", SPA_CALLBACK),
            ("code_verifier", VERIFIER),
            ("client_id", &s.spa.client_id),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["access-control-allow-origin"], SPA_ORIGIN);
    let body: Value = r.json().await.unwrap();
    assert!(body["refresh_token"].is_string());
}

#[tokio::test]
async fn public_client_sending_a_secret_is_refused() {
    let s = TestServer::start().await;
    let (status, _, body) = post_token(
        &s,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", &s.spa.client_id),
            ("client_secret", "x"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test]
async fn token_responses_are_readable_only_by_the_calling_applications_origins() {
    let s = TestServer::start().await;
    // Another application lists an origin of its own: it passes the preflight (which carries no
    // client), but cannot read the SPA's token response.
    let foreign = "http://other-app.localhost:7000";
    let mut other = s
        .provider
        .store
        .get_client(&s.other_web.client_id)
        .await
        .unwrap()
        .unwrap();
    other.web_origins = vec![foreign.to_owned()];
    s.provider.store.update_client(&other).await.unwrap();
    let params = vec![
        ("client_id", s.spa.client_id.clone()),
        ("response_type", "code".into()),
        ("redirect_uri", SPA_CALLBACK.into()),
        ("scope", "openid".into()),
        ("code_challenge", CHALLENGE.into()),
        ("code_challenge_method", "S256".into()),
    ];
    let exchange = |code: String, origin: &'static str| {
        let url = s.url("oauth/token");
        let client_id = s.spa.client_id.clone();
        async move {
            reqwest::Client::new()
                .post(url)
                .header("origin", origin)
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", code.as_str()),
                    ("redirect_uri", SPA_CALLBACK),
                    ("code_verifier", VERIFIER),
                    ("client_id", client_id.as_str()),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let code = sign_in(&s, &browser(), &params).await["code"].clone();
    let r = exchange(code, foreign).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("access-control-allow-origin").is_none());
    let code = sign_in(&s, &browser(), &params).await["code"].clone();
    let r = exchange(code, SPA_ORIGIN).await;
    assert_eq!(r.headers()["access-control-allow-origin"], SPA_ORIGIN);
}
