//! The whole web-app flow over HTTP against an independent provider (panva's oidc-provider):
//! /auth/login → provider sign-in → consent → /auth/callback → session cookie → /auth/profile →
//! /auth/access-token (then refresh after expiry, on an injected clock) → /auth/logout.
//!
//! The provider is a fixture ([`Provider`]): its issuer, client, and how a user signs in at it.
#![allow(clippy::unwrap_used)]

#[path = "../../testing/node.rs"]
mod node;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::routing::get;
use axum::{Json, Router};
use portcullis_axum::{Config, PortcullisAuth, Session, User};
use reqwest::StatusCode;
use serde_json::Value;

const API: &str = "https://api.example";

/// A provider under test.
struct Provider {
    issuer: String,
    client_id: String,
    client_secret: String,
    /// Keeps the provider process alive.
    _process: node::NodeServer,
}

impl Provider {
    /// panva's oidc-provider, configured for an app at `app_base`.
    async fn oidc_provider(app_base: &str) -> Self {
        let redirect = format!("{app_base}/auth/callback");
        let post_logout = format!("{app_base}/");
        let process = node::spawn_server(
            "provider.mjs",
            &[],
            &[
                ("REDIRECT_URI", redirect.as_str()),
                ("POST_LOGOUT_REDIRECT_URI", post_logout.as_str()),
                ("API_AUDIENCE", API),
            ],
        )
        .await;
        Self {
            issuer: process.ready["issuer"].as_str().unwrap().to_owned(),
            client_id: "sdk-web-app".into(),
            client_secret: "sdk-web-app-secret-0123456789abcdef".into(),
            _process: process,
        }
    }

    /// Drives oidc-provider's development sign-in and consent forms until the provider
    /// redirects back to the app; returns that callback URL.
    async fn sign_in(&self, http: &reqwest::Client, authorize_url: &str, app_base: &str) -> String {
        let mut url = authorize_url.to_owned();
        for _ in 0..12 {
            if url.starts_with(app_base) {
                return url;
            }
            let res = http.get(&url).send().await.unwrap();
            let base = reqwest::Url::parse(&url).unwrap();
            if res.status().is_redirection() {
                url = base.join(location(&res)).unwrap().to_string();
                continue;
            }
            assert_eq!(res.status(), StatusCode::OK, "GET {url}");
            let html = res.text().await.unwrap();
            let action = attr_after(&html, "<form", "action=\"").expect("a form");
            let action = base.join(&action.replace("&amp;", "&")).unwrap();
            let form: Vec<(&str, &str)> = if html.contains("name=\"prompt\" value=\"login\"") {
                vec![("prompt", "login"), ("login", "alice"), ("password", "any")]
            } else {
                assert!(html.contains("name=\"prompt\" value=\"consent\""), "{html}");
                vec![("prompt", "consent")]
            };
            let res = http.post(action).form(&form).send().await.unwrap();
            assert!(
                res.status().is_redirection(),
                "form post answered {}",
                res.status()
            );
            url = base.join(location(&res)).unwrap().to_string();
        }
        panic!("sign-in did not come back to the app");
    }
}

fn location(res: &reqwest::Response) -> &str {
    res.headers()
        .get(reqwest::header::LOCATION)
        .expect("Location")
        .to_str()
        .unwrap()
}

fn attr_after(html: &str, tag: &str, attr: &str) -> Option<String> {
    let start = html.find(tag)?;
    let rest = &html[start..];
    let a = rest.find(attr)? + attr.len();
    let end = rest[a..].find('"')?;
    Some(rest[a..a + end].to_owned())
}

fn system_now() -> u64 {
    #[allow(clippy::disallowed_methods)]
    let now = std::time::SystemTime::now();
    now.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

async fn api_me(session: Session, user: Option<User>) -> Json<Value> {
    let signed_in = session.user().await.is_some();
    Json(serde_json::json!({"signed_in": signed_in, "sub": user.map(|u| u.sub().to_owned())}))
}

async fn account(user: User) -> String {
    format!("account of {}", user.sub())
}

#[tokio::test]
async fn code_flow_session_refresh_and_logout_against_oidc_provider() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app_base = format!("http://{}", listener.local_addr().unwrap());
    let op = Provider::oidc_provider(&app_base).await;

    let clock = Arc::new(AtomicU64::new(system_now()));
    let c = clock.clone();
    let auth = PortcullisAuth::new(
        Config::builder()
            .issuer(op.issuer.clone())
            .client_id(op.client_id.clone())
            .client_secret(op.client_secret.clone())
            .secret("a-test-secret-that-is-at-least-32-characters")
            .app_base_url(app_base.clone())
            .scope("openid profile email offline_access read:shows")
            .clock(Arc::new(move || c.load(Ordering::SeqCst)))
            .build()
            .unwrap(),
    )
    .unwrap();
    let app = Router::new()
        .route("/api/me", get(api_me))
        .route("/account", get(account))
        .merge(auth.router())
        .layer(auth.session_layer());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // Signed out: pages redirect to login, APIs say 401.
    let res = http
        .get(format!("{app_base}/account"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(location(&res), "/auth/login?returnTo=%2Faccount");
    let res = http
        .get(format!("{app_base}/auth/profile"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // Login: redirect to the provider with PKCE, state, nonce, and forwarded parameters.
    let res = http
        .get(format!(
            "{app_base}/auth/login?returnTo=%2Faccount&screen_hint=signup"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let authorize = reqwest::Url::parse(location(&res)).unwrap();
    let q: std::collections::HashMap<String, String> =
        authorize.query_pairs().into_owned().collect();
    assert!(authorize.as_str().starts_with(&op.issuer));
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43);
    assert_eq!(q["screen_hint"], "signup");
    assert_eq!(q["redirect_uri"], format!("{app_base}/auth/callback"));
    assert!(!q.contains_key("returnTo"));
    let txn_cookie = res
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with(&format!("__txn_{}=", q["state"])))
        .expect("transaction cookie");
    assert!(txn_cookie.contains("HttpOnly") && txn_cookie.contains("SameSite=Lax"));

    // Sign in and consent at the provider, then the callback.
    let callback = op.sign_in(&http, authorize.as_str(), &app_base).await;
    assert!(callback.starts_with(&format!("{app_base}/auth/callback?")));
    let res = http.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND, "{:?}", res.text().await);
    assert_eq!(location(&res), format!("{app_base}/account"));
    let set: Vec<String> = res
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(set.iter().any(|c| c.starts_with("__session=")), "{set:?}");
    assert!(
        set.iter()
            .any(|c| c.starts_with("__txn_") && c.contains("Max-Age=0")),
        "txn cookie is single use"
    );

    // Replaying the callback fails cleanly (the transaction is gone): an HTML page, no panic.
    let res = http.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("Sign-in problem"));

    // Signed in.
    let profile: Value = http
        .get(format!("{app_base}/auth/profile"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(profile["sub"], "alice");
    assert_eq!(profile["name"], "Alice Example");
    assert_eq!(profile["email"], "alice@example.com");
    let page = http
        .get(format!("{app_base}/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(page, "account of alice");
    let me: Value = http
        .get(format!("{app_base}/api/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me, serde_json::json!({"signed_in": true, "sub": "alice"}));

    // The access token: a JWT for the API, which portcullis-bearer accepts.
    let first: Value = http
        .get(format!("{app_base}/auth/access-token"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = first["token"].as_str().unwrap().to_owned();
    assert_eq!(first["token_type"], "Bearer");
    assert!(first["expires_in"].as_u64().unwrap() <= 600);
    let validator = portcullis_bearer::Validator::builder()
        .issuer(op.issuer.clone())
        .audience(API)
        .build()
        .unwrap();
    let access = validator.validate(&token).await.unwrap();
    assert_eq!(access.subject.as_deref(), Some("alice"));
    assert!(access.has_scope("read:shows"));

    // After expiry (injected clock), the access token is refreshed and the cookie rewritten.
    clock.fetch_add(601, Ordering::SeqCst);
    let res = http
        .get(format!("{app_base}/auth/access-token"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let refreshed: Value = res.json().await.unwrap();
    let new_token = refreshed["token"].as_str().unwrap().to_owned();
    assert_ne!(new_token, token);
    assert!(refreshed["expires_at"].as_u64().unwrap() > first["expires_at"].as_u64().unwrap());
    // The next request reads the rewritten cookie: same token, no second refresh.
    let again: Value = http
        .get(format!("{app_base}/auth/access-token"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["token"], new_token);

    // Logout: to the provider's end_session_endpoint with the hints, session gone locally.
    let res = http
        .get(format!("{app_base}/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let end_session = reqwest::Url::parse(location(&res)).unwrap();
    let q: std::collections::HashMap<String, String> =
        end_session.query_pairs().into_owned().collect();
    assert_eq!(end_session.path(), "/session/end");
    assert_eq!(q["client_id"], op.client_id);
    assert_eq!(q["post_logout_redirect_uri"], format!("{app_base}/"));
    assert!(q.contains_key("id_token_hint"));
    let res = http
        .get(format!("{app_base}/auth/profile"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // The provider accepts the logout request and, once confirmed, returns to the app.
    let res = http.get(end_session.as_str()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    let action = attr_after(&html, "<form", "action=\"").unwrap();
    let xsrf = attr_after(&html, "name=\"xsrf\"", "value=\"").unwrap();
    let res = http
        .post(end_session.join(&action).unwrap())
        .form(&[("xsrf", xsrf.as_str()), ("logout", "yes")])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection());
    assert_eq!(location(&res), format!("{app_base}/"));

    // Signed out for good: a further access-token request has no session.
    let res = http
        .get(format!("{app_base}/auth/access-token"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "missing_session");
}
