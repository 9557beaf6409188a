//! The validator against the real Portcullis server, booted in-process on `127.0.0.1:0`
//! ([`crate::support`]): M2M tokens, a user's token from the code flow through the hosted
//! sign-in page, and a signing-key rotation.

use crate::support::{API, OTHER_API, Portcullis, browser, jwt_header, query_of};
use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode, header};
use portcullis_bearer::{Authorized, Bearer, Error, Guard, Validator, requirement};
use tower::ServiceExt as _;

/// RFC 7636 appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// The web app's base URL as registered at Portcullis; nothing listens there, the browser
/// never follows the redirect to it.
const APP_BASE: &str = "http://127.0.0.1:9";

requirement!(ReadShows = Guard::all_scopes(["read:shows"]));
requirement!(WriteShows = Guard::all_scopes(["write:shows"]));

fn validator(op: &Portcullis, audience: &str) -> Validator {
    Validator::builder()
        .issuer(op.issuer.clone())
        .audience(audience)
        .require_at_jwt_typ(true)
        .clock(op.sdk_clock())
        .build()
        .unwrap()
}

/// An API as the README shows it: extractors with the validator as the state, plus a
/// sub-router behind the tower layer.
fn api(validator: &Validator) -> Router {
    async fn shows(authorized: Authorized<ReadShows>) -> String {
        authorized.into_inner().client_id.unwrap_or_default()
    }
    async fn write(_: Authorized<WriteShows>) -> &'static str {
        "written"
    }
    async fn me(Bearer(token): Bearer) -> String {
        token.subject.unwrap_or_default()
    }
    let layered = Router::new()
        .route("/layered/admin", get(|| async { "admin" }))
        .layer(validator.require(Guard::all_scopes(["read:shows", "write:shows"])));
    Router::new()
        .route("/api/shows", get(shows))
        .route("/api/shows/write", get(write))
        .route("/api/me", get(me))
        .with_state(validator.clone())
        .merge(layered)
}

async fn call(
    app: &Router,
    path: &str,
    token: Option<&str>,
) -> (StatusCode, Option<String>, String) {
    let mut request = Request::get(path);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let challenge = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    (status, challenge, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn portcullis_m2m_tokens_pass_scope_guards_and_are_refused_for_another_audience() {
    let op = Portcullis::start(APP_BASE).await;
    let shows = validator(&op, API);

    let body = op.m2m_token(API, None).await;
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(jwt_header(token)["typ"], "at+jwt");
    let access = shows.validate(token).await.unwrap();
    assert_eq!(access.issuer, op.issuer);
    assert_eq!(access.audience, vec![API.to_owned()]);
    assert_eq!(access.client_id.as_deref(), Some(op.m2m.client_id.as_str()));
    assert_eq!(access.scopes, vec!["read:shows".to_owned()]);
    Guard::all_scopes(["read:shows"]).check(&access).unwrap();
    Guard::any_scope(["write:shows", "read:shows"])
        .check(&access)
        .unwrap();
    assert!(matches!(
        Guard::all_scopes(["read:shows", "write:shows"]).check(&access),
        Err(Error::InsufficientScope { .. })
    ));

    let app = api(&shows);
    let (status, _, body) = call(&app, "/api/shows", Some(token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, op.m2m.client_id);

    // The granted scope is read:shows only: 403 insufficient_scope naming the missing scope,
    // from the extractor and from the layer alike.
    for path in ["/api/shows/write", "/layered/admin"] {
        let (status, challenge, body) = call(&app, path, Some(token)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        let challenge = challenge.unwrap_or_else(|| panic!("{path}: no WWW-Authenticate"));
        assert!(
            challenge.starts_with("Bearer ")
                && challenge.contains("error=\"insufficient_scope\"")
                && challenge.contains("scope=\"")
                && challenge.contains("write:shows"),
            "{path}: {challenge}"
        );
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["error"], "insufficient_scope", "{path}");
    }

    // No token: 401 with a bare challenge (RFC 6750 §3.1).
    let (status, challenge, _) = call(&app, "/api/shows", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(challenge.as_deref(), Some("Bearer"));

    // The same M2M app's token for the billing API is not a TV-shows token.
    let billing = op.m2m_token(OTHER_API, None).await;
    let billing = billing["access_token"].as_str().unwrap();
    validator(&op, OTHER_API).validate(billing).await.unwrap();
    assert!(
        matches!(shows.validate(billing).await, Err(Error::InvalidToken(r)) if r.contains("aud"))
    );
    for path in ["/api/me", "/api/shows", "/layered/admin"] {
        let (status, challenge, _) = call(&app, path, Some(billing)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert!(
            challenge
                .as_deref()
                .is_some_and(|c| c.contains("error=\"invalid_token\"")),
            "{path}: {challenge:?}"
        );
    }

    // A token altered after signing fails whatever its claims say.
    let mut parts: Vec<&str> = token.split('.').collect();
    let billing_payload = billing.split('.').nth(1).unwrap();
    parts[1] = billing_payload;
    assert!(matches!(
        shows.validate(&parts.join(".")).await,
        Err(Error::InvalidToken(_))
    ));

    // Expired after the API's token lifetime (3600 s) plus the 5 s leeway.
    op.clock.advance(3600 + 6);
    let (status, challenge, _) = call(&app, "/api/shows", Some(token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(challenge.unwrap().contains("error=\"invalid_token\""));
}

#[tokio::test]
async fn portcullis_user_token_from_the_hosted_sign_in_page_carries_read_shows() {
    let op = Portcullis::start(APP_BASE).await;
    let redirect_uri = format!("{APP_BASE}/auth/callback");
    let mut authorize = url::Url::parse(&op.url("authorize")).unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("client_id", &op.web.client_id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("scope", "openid profile email read:shows")
        .append_pair("audience", API)
        .append_pair("state", "st4te")
        .append_pair("nonce", "n0nce")
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256");

    let callback = op.sign_in(&browser(), authorize.as_str()).await;
    assert!(callback.starts_with(&redirect_uri), "{callback}");
    let q = query_of(&callback);
    assert_eq!(q["state"], "st4te");
    assert_eq!(q["iss"], op.issuer);

    let res = reqwest::Client::new()
        .post(op.url("oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", q["code"].as_str()),
            ("redirect_uri", redirect_uri.as_str()),
            ("code_verifier", VERIFIER),
            ("client_id", op.web.client_id.as_str()),
            ("client_secret", op.web.secret()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    let tokens: serde_json::Value = res.json().await.unwrap();
    let token = tokens["access_token"].as_str().unwrap();

    let shows = validator(&op, API);
    let access = shows.validate(token).await.unwrap();
    assert_eq!(access.subject.as_deref(), Some(op.user.user_id.as_str()));
    assert!(
        access.audience.iter().any(|a| a == API),
        "{:?}",
        access.audience
    );
    assert_eq!(access.client_id.as_deref(), Some(op.web.client_id.as_str()));
    assert!(access.has_scope("read:shows"), "{:?}", access.scopes);
    assert!(!access.has_scope("write:shows"));

    let app = api(&shows);
    let (status, _, body) = call(&app, "/api/me", Some(token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, op.user.user_id);
    let (status, _, _) = call(&app, "/api/shows", Some(token)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = call(&app, "/api/shows/write", Some(token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Not a billing token.
    assert!(matches!(
        validator(&op, OTHER_API).validate(token).await,
        Err(Error::InvalidToken(_))
    ));
}

#[tokio::test]
async fn portcullis_key_rotation_new_kid_refetches_the_jwks_and_old_tokens_still_validate() {
    let op = Portcullis::start(APP_BASE).await;
    let shows = validator(&op, API);
    let token = |body: serde_json::Value| body["access_token"].as_str().unwrap().to_owned();

    let first = token(op.m2m_token(API, None).await);
    shows.validate(&first).await.unwrap();
    let jwks = shows.jwks().await.unwrap().unwrap();
    assert_eq!(jwks.fetch_count(), 1);
    let kid = |t: &str| jwt_header(t)["kid"].as_str().unwrap().to_owned();

    // Rotation 1: the key that starts signing was already published as the next key (OIDC
    // Core §10.1.1), so the cached set already knows it.
    op.rotate_keys().await;
    let second = token(op.m2m_token(API, None).await);
    assert_ne!(kid(&second), kid(&first));
    shows.validate(&second).await.unwrap();
    assert_eq!(jwks.fetch_count(), 1, "the next key was pre-published");

    // Rotation 2, past the 30 s refetch cooldown: now the signing key was generated after the
    // validator's fetch, so its kid is unknown and the JWKS is fetched again, once.
    op.clock.advance(31);
    op.rotate_keys().await;
    let third = token(op.m2m_token(API, None).await);
    assert!(kid(&third) != kid(&first) && kid(&third) != kid(&second));
    shows.validate(&third).await.unwrap();
    assert_eq!(jwks.fetch_count(), 2, "an unknown kid triggers one refetch");

    // Tokens signed by the previous keys still validate (they stay published while their
    // tokens live), without another fetch.
    shows.validate(&first).await.unwrap();
    shows.validate(&second).await.unwrap();
    assert_eq!(jwks.fetch_count(), 2);

    // A fresh validator (empty cache) also accepts all three.
    let fresh = validator(&op, API);
    for t in [&first, &second, &third] {
        fresh.validate(t).await.unwrap();
    }

    // Concurrent requests with a kid the provider never published share one rate-limited
    // refetch at most, and fail cleanly.
    let (head, rest) = third.split_once('.').unwrap();
    let mut header_json = jwt_header(&third);
    header_json["kid"] = "made-up".into();
    use base64::Engine as _;
    let forged_head = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&header_json).unwrap());
    assert_ne!(forged_head, head);
    let forged = format!("{forged_head}.{rest}");
    let results = futures_join(&shows, &forged, 8).await;
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Err(Error::InvalidToken(_))))
    );
    assert_eq!(jwks.fetch_count(), 2, "still within the cooldown: no fetch");
}

async fn futures_join(
    validator: &Validator,
    token: &str,
    n: usize,
) -> Vec<Result<portcullis_bearer::AccessToken, Error>> {
    let mut handles = Vec::new();
    for _ in 0..n {
        let v = validator.clone();
        let t = token.to_owned();
        handles.push(tokio::spawn(async move { v.validate(&t).await }));
    }
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}
