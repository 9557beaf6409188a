//! Access-token refresh: a configurable margin before expiry, a forced refresh, and a refused
//! refresh (`invalid_grant`, RFC 6749 §5.2) answered as "sign in again" — 401 for APIs, a
//! redirect to the login for pages — instead of a 502.

use axum::Router;
use axum::routing::get;
use portcullis_axum::{AccessTokenInfo, Session};
use reqwest::StatusCode;

use crate::app::{WebApp, session_cookies};
use crate::support::{browser, location};

async fn page(token: AccessTokenInfo) -> String {
    format!("token of {} characters", token.token.len())
}

async fn api(token: AccessTokenInfo) -> axum::Json<AccessTokenInfo> {
    axum::Json(token)
}

async fn force(session: Session) -> Result<axum::Json<AccessTokenInfo>, portcullis_axum::Error> {
    Ok(axum::Json(session.refresh_access_token().await?))
}

fn routes() -> Router {
    Router::new()
        .route("/account", get(page))
        .route("/api/token", get(api))
        .route("/api/refresh", get(force))
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
