//! portcullis-axum's actix-web integration (feature `actix`) against the real Portcullis, over
//! HTTP with a real client: /auth/login → Portcullis's sign-in → /auth/callback → the `User`
//! extractor and /auth/profile → /auth/access-token and the `AccessTokenInfo` extractor (refreshed
//! a margin before expiry, the rotated refresh token saved) → /auth/logout (cookie cleared,
//! refresh token revoked, Portcullis's end_session_endpoint); with a session store, a logout at
//! Portcullis ends the app's session through `/auth/backchannel-logout`.

use std::collections::HashMap;
use std::time::Duration;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use portcullis_axum::{
    AccessTokenInfo, Config, ConfigBuilder, MemoryStore, PortcullisAuth, Session, User,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::app::{SCOPE, WebApp, session_cookies};
use crate::support::{API, EMAIL, Portcullis, browser, location};

async fn home(user: Option<User>) -> String {
    match user {
        Some(user) => format!("hello {}", user.email().unwrap_or_default()),
        None => "signed out".into(),
    }
}

async fn account(user: User) -> String {
    format!("account of {}", user.email().unwrap_or_default())
}

async fn api_token(token: AccessTokenInfo) -> HttpResponse {
    HttpResponse::Ok().json(token)
}

async fn session_tokens(session: Session) -> HttpResponse {
    let data = session.data().await;
    HttpResponse::Ok().json(data.map_or(Value::Null, |d| {
        json!({
            "refresh_token": d.token_set.refresh_token,
            "id_token": d.token_set.id_token,
        })
    }))
}

fn is_admin(user: &User) -> bool {
    user.email() == Some("admin@example.com")
}

/// Boots Portcullis and an actix-web app signing in with it; `configure` adjusts the SDK
/// configuration.
async fn start(configure: impl FnOnce(ConfigBuilder) -> ConfigBuilder) -> WebApp {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let op = Portcullis::start(&base).await;
    let config = Config::builder()
        .issuer(op.issuer.clone())
        .client_id(op.web.client_id.clone())
        .client_secret(op.web.secret().to_owned())
        .secret("a-test-secret-that-is-at-least-32-characters")
        .app_base_url(base.clone())
        .scope(SCOPE)
        .audience(API)
        .clock(op.sdk_clock());
    let auth = PortcullisAuth::new(configure(config).build().unwrap()).unwrap();
    let server = HttpServer::new(move || {
        App::new()
            .configure(auth.actix_routes())
            .route("/", web::get().to(home))
            .route("/account", web::get().to(account))
            .route("/api/token", web::get().to(api_token))
            .route("/test/session-tokens", web::get().to(session_tokens))
            .service(
                web::scope("/members")
                    .wrap(from_fn(auth.actix_require_auth()))
                    .route("", web::get().to(account)),
            )
            .service(
                web::scope("/api/admin")
                    .wrap(from_fn(auth.actix_require(is_admin)))
                    .route("", web::get().to(account)),
            )
            .wrap(from_fn(portcullis_axum::actix::session))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    WebApp { op, base }
}

async fn text(browser: &reqwest::Client, url: &str) -> (StatusCode, String) {
    let res = browser.get(url).send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

#[actix_web::test]
async fn actix_app_signs_in_refreshes_and_signs_out_against_portcullis() {
    let app = start(|c| c).await;
    let b = browser();

    // Signed out: the optional user is None, a page redirects to the login, an API says 401.
    assert_eq!(
        text(&b, &app.url("/")).await,
        (StatusCode::OK, "signed out".into())
    );
    let res = b.get(app.url("/account")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(location(&res), "/auth/login?returnTo=%2Faccount");
    let (status, body) = app.get_json(&b, "/api/token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "missing_session");
    let (status, _) = app.get_json(&b, "/auth/profile").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let res = b.get(app.url("/members")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(location(&res), "/auth/login?returnTo=%2Fmembers");
    let (status, body) = app.get_json(&b, "/api/admin").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "missing_session");

    // /auth/login → Portcullis → /auth/callback → back to returnTo with a session cookie.
    let res = b
        .get(app.url("/auth/login?returnTo=%2Faccount"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let authorize = reqwest::Url::parse(&location(&res)).unwrap();
    let q: HashMap<String, String> = authorize.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], app.op.web.client_id);
    assert_eq!(q["redirect_uri"], app.url("/auth/callback"));
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["audience"], API);
    let callback = app.op.sign_in(&b, authorize.as_str()).await;
    let res = b.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND, "{:?}", res.text().await);
    assert_eq!(location(&res), app.url("/account"));
    assert!(!session_cookies(&res).is_empty(), "session cookie set");
    // The transaction cookie is single use: replaying the callback is refused.
    let (status, _) = text(&b, &callback).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Signed in: the extractors and /auth/profile see the user; an unchanged session is not
    // rewritten.
    let res = b.get(app.url("/account")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(session_cookies(&res).is_empty(), "no cookie rewrite");
    assert_eq!(res.text().await.unwrap(), format!("account of {EMAIL}"));
    assert_eq!(
        text(&b, &app.url("/")).await,
        (StatusCode::OK, format!("hello {EMAIL}"))
    );
    // The require middlewares: signed in is enough for /members; /api/admin's rule refuses.
    assert_eq!(
        text(&b, &app.url("/members")).await,
        (StatusCode::OK, format!("account of {EMAIL}"))
    );
    let (status, body) = app.get_json(&b, "/api/admin").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
    let (status, profile) = app.get_json(&b, "/auth/profile").await;
    assert_eq!(status, StatusCode::OK, "{profile}");
    assert_eq!(profile["email"], EMAIL);
    assert!(profile["sub"].as_str().is_some_and(|s| !s.is_empty()));

    // An access token for the API, valid at Portcullis's keys.
    let (status, first) = app.get_json(&b, "/auth/access-token").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["expires_in"], 3600);
    let validator = portcullis_bearer::Validator::builder()
        .issuer(app.op.issuer.clone())
        .audience(API)
        .clock(app.op.sdk_clock())
        .build()
        .unwrap();
    let access = validator
        .validate(first["token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(access.subject.as_deref(), profile["sub"].as_str());
    let (_, same) = app.get_json(&b, "/api/token").await;
    assert_eq!(same["token"], first["token"]);
    let before = app.tokens(&b).await["refresh_token"].clone();
    assert!(before.is_string(), "offline_access gave a refresh token");

    // 59 s before expiry (inside the 60 s margin): the extractor refreshes, and the session
    // keeps the new tokens, including Portcullis's rotated refresh token.
    app.op.clock.advance(3600 - 59);
    let res = b.get(app.url("/api/token")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!session_cookies(&res).is_empty(), "refreshed session saved");
    let refreshed: Value = res.json().await.unwrap();
    assert_ne!(refreshed["token"], first["token"]);
    assert_eq!(refreshed["expires_in"], 3600);
    let (_, again) = app.get_json(&b, "/auth/access-token").await;
    assert_eq!(again["token"], refreshed["token"], "the refresh was saved");
    let tokens = app.tokens(&b).await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(tokens["refresh_token"], before);
    assert!(app.op.is_active(&refresh_token).await);

    // /auth/logout: the cookie is deleted, the refresh token revoked, and the browser sent to
    // Portcullis's end_session_endpoint with the ID token as hint.
    let res = b.get(app.url("/auth/logout")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert!(
        session_cookies(&res)
            .iter()
            .any(|c| c.starts_with("__session=") && c.contains("Max-Age=0")),
        "{:?}",
        session_cookies(&res)
    );
    let end_session = reqwest::Url::parse(&location(&res)).unwrap();
    assert_eq!(
        end_session.as_str().split('?').next(),
        Some(app.op.url("oidc/logout").as_str())
    );
    let q: HashMap<String, String> = end_session.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], app.op.web.client_id);
    assert_eq!(q["post_logout_redirect_uri"], app.url("/"));
    assert_eq!(
        Some(q["id_token_hint"].as_str()),
        tokens["id_token"].as_str()
    );
    assert!(!app.op.is_active(&refresh_token).await, "revoked at logout");
    let (status, _) = app.get_json(&b, "/auth/profile").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        text(&b, &app.url("/")).await,
        (StatusCode::OK, "signed out".into())
    );
    let res = b.get(end_session.as_str()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND, "{:?}", res.text().await);
    assert_eq!(location(&res), app.url("/"));
}

#[actix_web::test]
async fn actix_app_sessions_end_by_back_channel_logout() {
    let app = start(|c| c.session_store(MemoryStore::default())).await;
    app.op
        .set_backchannel_logout_uri(&app.op.web.client_id, &app.url("/auth/backchannel-logout"))
        .await;
    let (b1, b2) = (browser(), browser());
    app.sign_in(&b1).await;
    app.sign_in(&b2).await;
    for b in [&b1, &b2] {
        let (status, _) = app.get_json(b, "/auth/profile").await;
        assert_eq!(status, StatusCode::OK);
    }

    // A forged logout token is refused and ends nothing.
    let res = reqwest::Client::new()
        .post(app.url("/auth/backchannel-logout"))
        .form(&[("logout_token", "not-a-jwt")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");

    // b1's user logs out at Portcullis: its logout token ends b1's app session only.
    let res = b1
        .get(app.op.url(&format!(
            "v2/logout?client_id={}&returnTo={}",
            app.op.web.client_id,
            url::form_urlencoded::byte_serialize(app.url("/").as_bytes()).collect::<String>()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND, "{:?}", res.text().await);
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let res = b1.get(app.url("/auth/profile")).send().await.unwrap();
            if res.status() == StatusCode::UNAUTHORIZED {
                break res;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the back-channel logout ends b1's session");
    assert!(
        session_cookies(&ended)
            .iter()
            .any(|c| c.contains("Max-Age=0")),
        "{:?}",
        session_cookies(&ended)
    );
    let (status, _) = app.get_json(&b2, "/auth/profile").await;
    assert_eq!(status, StatusCode::OK, "another IdP session is untouched");
}
