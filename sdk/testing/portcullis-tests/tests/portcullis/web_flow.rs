//! The whole web-app flow over HTTP against the real Portcullis, booted in-process
//! ([`crate::support`]): /auth/login → Portcullis's hosted sign-in page → /auth/callback →
//! session cookie → /auth/profile → /auth/access-token (then a refresh after expiry, both
//! clocks moved together) → /auth/logout → Portcullis's end_session_endpoint → back to the app.

use std::collections::HashMap;

use crate::support::{API, EMAIL, OTHER_API, Portcullis, browser, location, query_of};
use axum::routing::get;
use axum::{Json, Router};
use portcullis_axum::{Config, PortcullisAuth, Session, User};
use reqwest::StatusCode;
use serde_json::{Value, json};

const SCOPE: &str = "openid profile email offline_access read:shows";

/// The app's own view of its session's tokens (what an app could log or forward).
async fn session_tokens(session: Session) -> Json<Value> {
    let data = session.data().await;
    Json(data.map_or(Value::Null, |d| {
        json!({
            "refresh_token": d.token_set.refresh_token,
            "id_token": d.token_set.id_token,
            "audience": d.token_set.audience,
            "sid": d.internal.sid,
        })
    }))
}

async fn account(user: User) -> String {
    format!("account of {}", user.email().unwrap_or_default())
}

/// The SDK test app and the Portcullis it signs in with.
struct Fixture {
    op: Portcullis,
    app_base: String,
}

impl Fixture {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let app_base = format!("http://{}", listener.local_addr().unwrap());
        let op = Portcullis::start(&app_base).await;
        let auth = PortcullisAuth::new(
            Config::builder()
                .issuer(op.issuer.clone())
                .client_id(op.web.client_id.clone())
                .client_secret(op.web.secret().to_owned())
                .secret("a-test-secret-that-is-at-least-32-characters")
                .app_base_url(app_base.clone())
                .scope(SCOPE)
                .clock(op.sdk_clock())
                .build()
                .unwrap(),
        )
        .unwrap();
        let app = Router::new()
            .route("/account", get(account))
            .route("/api/session-tokens", get(session_tokens))
            .merge(auth.router())
            .layer(auth.session_layer());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Fixture { op, app_base }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.app_base)
    }

    /// GET /auth/login?{query}; returns the authorize URL it redirects to.
    async fn login(&self, browser: &reqwest::Client, query: &str) -> reqwest::Url {
        let res = browser
            .get(self.url(&format!("/auth/login?{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FOUND);
        let authorize = reqwest::Url::parse(&location(&res)).unwrap();
        assert_eq!(
            authorize.as_str().split('?').next(),
            Some(self.op.url("authorize").as_str())
        );
        authorize
    }

    /// Authorization request for this browser with `prompt=none` (as a silent re-login would
    /// do); returns the query Portcullis sends back to the callback.
    async fn prompt_none(&self, browser: &reqwest::Client) -> HashMap<String, String> {
        let mut authorize = self.login(browser, &audience_query()).await;
        authorize.query_pairs_mut().append_pair("prompt", "none");
        let res = browser.get(authorize.as_str()).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FOUND);
        let to = location(&res);
        assert!(to.starts_with(&self.url("/auth/callback?")), "{to}");
        query_of(&to)
    }

    async fn json(&self, browser: &reqwest::Client, path: &str) -> (StatusCode, Value) {
        let res = browser.get(self.url(path)).send().await.unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

fn set_cookies(res: &reqwest::Response) -> Vec<String> {
    res.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn code_flow_session_refresh_and_logout_against_portcullis() {
    let f = Fixture::start().await;
    let op = &f.op;
    let b = browser();

    let (status, _) = f.json(&b, "/auth/profile").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // /auth/login → Portcullis /authorize with PKCE, state, nonce and the requested audience.
    let authorize = f
        .login(&b, &format!("returnTo=%2Faccount&{}", audience_query()))
        .await;
    let q: HashMap<String, String> = authorize.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], op.web.client_id);
    assert_eq!(q["redirect_uri"], f.url("/auth/callback"));
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["audience"], API);
    assert_eq!(q["scope"], SCOPE);

    // The hosted sign-in page, then back to the app's callback with code, state and iss.
    let callback = op.sign_in(&b, authorize.as_str()).await;
    assert!(
        callback.starts_with(&f.url("/auth/callback?")),
        "{callback}"
    );
    let cb = query_of(&callback);
    assert_eq!(cb["state"], q["state"]);
    assert_eq!(cb["iss"], op.issuer);
    let res = b.get(&callback).send().await.unwrap();
    let cookies = set_cookies(&res);
    assert_eq!(res.status(), StatusCode::FOUND, "{:?}", res.text().await);
    assert_eq!(location(&res), f.url("/account"));
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("__session=") && c.contains("HttpOnly")),
        "{cookies:?}"
    );

    // Signed in: the profile is Portcullis's user.
    let (status, profile) = f.json(&b, "/auth/profile").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(profile["sub"], op.user.user_id);
    assert_eq!(profile["email"], EMAIL);
    assert_eq!(profile["email_verified"], true);
    assert_eq!(profile["name"], "Jane Doe");
    let page = b.get(f.url("/account")).send().await.unwrap();
    assert_eq!(page.text().await.unwrap(), format!("account of {EMAIL}"));
    let (_, before) = f.json(&b, "/api/session-tokens").await;
    assert_eq!(before["audience"], API);
    let first_refresh = before["refresh_token"].as_str().unwrap().to_owned();
    assert!(
        before["sid"].is_string(),
        "Portcullis puts sid in the ID token"
    );

    // The access token is for the API and carries read:shows.
    let validator = portcullis_bearer::Validator::builder()
        .issuer(op.issuer.clone())
        .audience(API)
        .require_at_jwt_typ(true)
        .clock(op.sdk_clock())
        .build()
        .unwrap();
    let (status, first) = f.json(&b, "/auth/access-token").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let token = first["token"].as_str().unwrap().to_owned();
    assert_eq!(first["token_type"], "Bearer");
    assert_eq!(first["expires_in"], 3600);
    let access = validator.validate(&token).await.unwrap();
    assert_eq!(access.subject.as_deref(), Some(op.user.user_id.as_str()));
    assert!(access.has_scope("read:shows"), "{:?}", access.scopes);
    assert!(
        portcullis_bearer::Validator::builder()
            .issuer(op.issuer.clone())
            .audience(OTHER_API)
            .build()
            .unwrap()
            .validate(&token)
            .await
            .is_err()
    );
    // Not expired yet: the same token again, no refresh.
    let (_, again) = f.json(&b, "/auth/access-token").await;
    assert_eq!(again["token"], token.as_str());

    // Past the expiry on both clocks: the SDK refreshes, Portcullis rotates the refresh token.
    op.clock.advance(3600 + 6); // past the expiry and the validator's 5 s leeway
    let (status, refreshed) = f.json(&b, "/auth/access-token").await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    let new_token = refreshed["token"].as_str().unwrap().to_owned();
    assert_ne!(new_token, token);
    assert!(refreshed["expires_at"].as_u64().unwrap() > first["expires_at"].as_u64().unwrap());
    assert_eq!(refreshed["expires_in"], 3600);
    let access = validator.validate(&new_token).await.unwrap();
    assert_eq!(access.subject.as_deref(), Some(op.user.user_id.as_str()));
    assert!(access.has_scope("read:shows"));
    assert!(validator.validate(&token).await.is_err(), "old one expired");
    let (_, after) = f.json(&b, "/api/session-tokens").await;
    let second_refresh = after["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second_refresh, first_refresh, "refresh token rotated");
    assert!(!op.is_active(&first_refresh).await);
    assert!(op.is_active(&second_refresh).await);
    // The rewritten cookie is read on the next request: same token, no second refresh.
    let (_, again) = f.json(&b, "/auth/access-token").await;
    assert_eq!(again["token"], new_token.as_str());
    assert_eq!(
        f.json(&b, "/api/session-tokens").await.1["refresh_token"],
        second_refresh.as_str()
    );

    // The IdP session is alive: a silent authorization request gets a code.
    assert!(f.prompt_none(&b).await.contains_key("code"));

    // Logout: the session cookie is cleared and the browser goes to Portcullis's
    // end_session_endpoint with the ID token and the registered return URL.
    let id_token = after["id_token"].as_str().unwrap().to_owned();
    let res = b.get(f.url("/auth/logout")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let cookies = set_cookies(&res);
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("__session=") && c.contains("Max-Age=0")),
        "{cookies:?}"
    );
    let end_session = reqwest::Url::parse(&location(&res)).unwrap();
    assert_eq!(
        end_session.as_str().split('?').next(),
        Some(op.url("oidc/logout").as_str())
    );
    let q: HashMap<String, String> = end_session.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], op.web.client_id);
    assert_eq!(q["post_logout_redirect_uri"], f.url("/"));
    assert_eq!(q["id_token_hint"], id_token);
    let (status, _) = f.json(&b, "/auth/profile").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!op.is_active(&second_refresh).await, "revoked at logout");

    // Portcullis ends its session and sends the browser back to the app.
    let res = b.get(end_session.as_str()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND, "{:?}", res.text().await);
    assert_eq!(location(&res), f.url("/"));
    let silent = f.prompt_none(&b).await;
    assert_eq!(
        silent.get("error").map(String::as_str),
        Some("login_required"),
        "{silent:?}"
    );
    assert!(!silent.contains_key("code"));

    // Signed out for good in the app as well.
    let (status, body) = f.json(&b, "/auth/access-token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "missing_session");
    let res = b.get(f.url("/account")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(location(&res), "/auth/login?returnTo=%2Faccount");
}

#[tokio::test]
async fn tampered_state_at_the_callback_is_a_clean_error_page() {
    let f = Fixture::start().await;
    let b = browser();
    let authorize = f.login(&b, &audience_query()).await;
    let callback = f.op.sign_in(&b, authorize.as_str()).await;
    let cb = query_of(&callback);
    let state = cb["state"].clone();

    let with_state = |state: &str| {
        let mut url = reqwest::Url::parse(&callback).unwrap();
        url.query_pairs_mut()
            .clear()
            .append_pair("code", &cb["code"])
            .append_pair("state", state)
            .append_pair("iss", &cb["iss"]);
        url.to_string()
    };
    let mut flipped = state.clone().into_bytes();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    for bad in [
        flipped.as_str(),
        &format!("{state}x"),
        "",
        "../../etc/passwd",
        "<script>alert(1)</script>",
    ] {
        let res = b.get(with_state(bad)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "state {bad:?}");
        assert!(
            res.headers()[reqwest::header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(
            set_cookies(&res)
                .iter()
                .all(|c| !c.starts_with("__session="))
        );
        let html = res.text().await.unwrap();
        assert!(html.contains("Sign-in problem"), "{html}");
        assert!(html.contains("invalid_state"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
    }
    let (status, _) = f.json(&b, "/auth/profile").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "no session from a tampered callback"
    );

    // Nothing was consumed: the genuine callback still signs in.
    let res = b.get(with_state(&state)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND, "{:?}", res.text().await);
    let (status, profile) = f.json(&b, "/auth/profile").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(profile["sub"], f.op.user.user_id);

    // Two logins in one browser, the callback of one carrying the other's (genuine) state:
    // the SDK presents the other transaction's PKCE verifier and Portcullis refuses the code.
    // The user gets the error page, not a 500.
    let first = f.login(&b, &audience_query()).await;
    let second = f.login(&b, &audience_query()).await;
    let state_of = |u: &reqwest::Url| {
        u.query_pairs()
            .find(|(k, _)| k == "state")
            .unwrap()
            .1
            .into_owned()
    };
    // Portcullis has a session now: /authorize answers the callback directly.
    let res = b.get(first.as_str()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let direct = query_of(&location(&res));
    assert_eq!(direct["state"], state_of(&first));
    let mut swapped = reqwest::Url::parse(&f.url("/auth/callback")).unwrap();
    swapped
        .query_pairs_mut()
        .append_pair("code", &direct["code"])
        .append_pair("state", &state_of(&second))
        .append_pair("iss", &direct["iss"]);
    let res = b.get(swapped.as_str()).send().await.unwrap();
    let status = res.status();
    let html = res.text().await.unwrap();
    // The token endpoint's refusal (invalid_grant) is the provider's answer: 502.
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{html}");
    assert!(html.contains("Sign-in problem"), "{html}");
    assert!(html.contains("failed_to_exchange_code"), "{html}");
}

/// Portcullis answers `invalid_scope` to `read:shows` without the API's audience, so every
/// login here names it.
fn audience_query() -> String {
    format!("audience={}", urlencode(API))
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
