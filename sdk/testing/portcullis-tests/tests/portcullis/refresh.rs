//! Access-token refresh: a configurable margin before expiry, a forced refresh, and a refused
//! refresh (`invalid_grant`, RFC 6749 §5.2) answered as "sign in again" — 401 for APIs, a
//! redirect to the login for pages — instead of a 502.

use axum::Router;
use axum::routing::get;
use portcullis_axum::{AccessTokenInfo, Session};
use reqwest::StatusCode;

use crate::app::{WebApp, session_cookies};
use crate::support::{API, OTHER_API, browser, location};

async fn page(token: AccessTokenInfo) -> String {
    format!("token of {} characters", token.token.len())
}

async fn api(token: AccessTokenInfo) -> axum::Json<AccessTokenInfo> {
    axum::Json(token)
}

async fn force(session: Session) -> Result<axum::Json<AccessTokenInfo>, portcullis_axum::Error> {
    Ok(axum::Json(session.refresh_access_token().await?))
}

#[derive(serde::Deserialize)]
struct For {
    audience: String,
    scope: Option<String>,
}

async fn token_for(
    session: Session,
    axum::extract::Query(q): axum::extract::Query<For>,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    match session
        .access_token_for(&q.audience, q.scope.as_deref())
        .await
    {
        Ok(info) => axum::Json(info).into_response(),
        Err(e) => e.json_response(),
    }
}

fn routes() -> Router {
    Router::new()
        .route("/account", get(page))
        .route("/api/token", get(api))
        .route("/api/refresh", get(force))
        .route("/api/token-for", get(token_for))
}

#[tokio::test]
async fn tokens_are_refreshed_a_margin_before_expiry_and_on_demand() {
    let app = WebApp::start(routes(), |c| c).await;
    let b = browser();
    app.sign_in(&b).await;
    let (status, first) = app.get_json(&b, "/auth/access-token").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["expires_in"], 3600);

    // 61 s before expiry: outside the default 60 s margin, the same token.
    app.op.clock.advance(3600 - 61);
    let (_, same) = app.get_json(&b, "/auth/access-token").await;
    assert_eq!(same["token"], first["token"]);
    // 59 s before expiry: refreshed before it can expire on the way to an API.
    app.op.clock.advance(2);
    let (status, early) = app.get_json(&b, "/auth/access-token").await;
    assert_eq!(status, StatusCode::OK, "{early}");
    assert_ne!(early["token"], first["token"]);
    assert_eq!(early["expires_in"], 3600);

    // A forced refresh, long before expiry.
    let (status, forced) = app.get_json(&b, "/api/refresh").await;
    assert_eq!(status, StatusCode::OK, "{forced}");
    assert_ne!(forced["token"], early["token"]);
    let (_, now) = app.get_json(&b, "/api/token").await;
    assert_eq!(
        now["token"], forced["token"],
        "the forced refresh was saved"
    );
}

#[tokio::test]
async fn a_configured_margin_is_honoured() {
    let app = WebApp::start(routes(), |c| {
        c.refresh_margin(std::time::Duration::from_secs(600))
    })
    .await;
    let b = browser();
    app.sign_in(&b).await;
    let (_, first) = app.get_json(&b, "/api/token").await;
    app.op.clock.advance(3600 - 599);
    let (status, early) = app.get_json(&b, "/api/token").await;
    assert_eq!(status, StatusCode::OK, "{early}");
    assert_ne!(early["token"], first["token"]);
}

#[tokio::test]
async fn a_refused_refresh_means_sign_in_again() {
    let app = WebApp::start(routes(), |c| c).await;

    // /auth/access-token: 401 JSON, and the dead session is cleared.
    let b = browser();
    app.sign_in(&b).await;
    let refresh = app.tokens(&b).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.revoke(&refresh).await;
    app.op.clock.advance(3600 + 6);
    let res = b.get(app.url("/auth/access-token")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(
        session_cookies(&res)
            .iter()
            .any(|c| c.contains("Max-Age=0")),
        "session cleared"
    );
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "login_required");
    let (status, _) = app.get_json(&b, "/auth/profile").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A page: redirected to the login, coming back to the page.
    let b = browser();
    app.sign_in(&b).await;
    let refresh = app.tokens(&b).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.revoke(&refresh).await;
    app.op.clock.advance(3600 + 6);
    let res = b.get(app.url("/account")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(location(&res), "/auth/login?returnTo=%2Faccount");

    // An API route: 401 JSON.
    let b = browser();
    app.sign_in(&b).await;
    let refresh = app.tokens(&b).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.revoke(&refresh).await;
    app.op.clock.advance(3600 + 6);
    let (status, body) = app.get_json(&b, "/api/token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "login_required");
}

#[tokio::test]
async fn access_token_for_a_narrower_scope_is_obtained_once_and_rotates_the_refresh_token() {
    let app = WebApp::start(routes(), |c| c).await;
    let b = browser();
    app.sign_in(&b).await;
    let (_, main) = app.get_json(&b, "/api/token").await;
    let before = app.tokens(&b).await["refresh_token"].clone();

    let path = format!(
        "/api/token-for?audience={}&scope=read%3Ashows",
        urlencode(API)
    );
    let (status, narrow) = app.get_json(&b, &path).await;
    assert_eq!(status, StatusCode::OK, "{narrow}");
    assert_ne!(narrow["token"], main["token"]);
    let validator = portcullis_bearer::Validator::builder()
        .issuer(app.op.issuer.clone())
        .audience(API)
        .clock(app.op.sdk_clock())
        .build()
        .unwrap();
    let access = validator
        .validate(narrow["token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(access.scopes, vec!["read:shows".to_owned()]);

    // Portcullis rotated the refresh token: the session keeps the new one.
    let after = app.tokens(&b).await["refresh_token"].clone();
    assert_ne!(after, before);
    assert!(app.op.is_active(after.as_str().unwrap()).await);
    // Cached: the same token again, no new refresh.
    let (_, again) = app.get_json(&b, &path).await;
    assert_eq!(again["token"], narrow["token"]);
    assert_eq!(app.tokens(&b).await["refresh_token"], after);
    // The main token set still refreshes (the current refresh token is presented).
    let (status, forced) = app.get_json(&b, "/api/refresh").await;
    assert_eq!(status, StatusCode::OK, "{forced}");

    // Another API: Portcullis does not issue multi-resource refresh tokens, and says so.
    let (status, body) = app
        .get_json(
            &b,
            &format!("/api/token-for?audience={}", urlencode(OTHER_API)),
        )
        .await;
    assert_ne!(status, StatusCode::OK, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("audience"),
        "{body}"
    );
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
