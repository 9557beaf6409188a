//! The test server with a small tenant, and helpers that act as a browser and as applications.
//! Booting and the browser helpers come from `portcullis-testkit`.

#![allow(dead_code)]

use portcullis_store::{ApplicationType, User};
pub use portcullis_testkit::{
    App, browser, hidden, jwt_claims as claims, jwt_header as header, location, query_of,
    submit_login,
};
use portcullis_testkit::{AppSpec, Server};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;
use std::collections::HashMap;

pub const PASSWORD: &str = "correct horse battery staple";
pub const WEB_CALLBACK: &str = "http://localhost:3000/callback";
pub const SPA_CALLBACK: &str = "http://localhost:5173/callback";
pub const SPA_ORIGIN: &str = "http://localhost:5173";
pub const API: &str = "https://api.tv-shows.example";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// Portcullis with two regular web apps, an SPA, an M2M app granted `read:shows`, an API and a
/// user.
pub struct TestServer {
    pub server: Server,
    pub web: App,
    pub other_web: App,
    pub spa: App,
    pub m2m: App,
    pub user: User,
}

impl std::ops::Deref for TestServer {
    type Target = Server;
    fn deref(&self) -> &Server {
        &self.server
    }
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(portcullis_web::WebOptions::default()).await
    }

    pub async fn start_with(options: portcullis_web::WebOptions) -> TestServer {
        Self::around(Server::start_with(options).await).await
    }

    /// The tenant of [`TestServer::start`], registered on `server`.
    pub async fn around(server: Server) -> TestServer {
        server
            .add_api(API, "TV Shows", &["read:shows", "write:shows"])
            .await;
        let web_app = |name| AppSpec {
            name,
            app_type: ApplicationType::RegularWeb,
            redirect_uris: vec![WEB_CALLBACK.into()],
            post_logout_redirect_uris: vec!["http://localhost:3000/".into()],
            web_origins: vec![],
        };
        let web = server.add_app(web_app("web")).await;
        let other_web = server.add_app(web_app("other")).await;
        let spa = server
            .add_app(AppSpec {
                name: "spa",
                app_type: ApplicationType::Spa,
                redirect_uris: vec![SPA_CALLBACK.into()],
                post_logout_redirect_uris: vec![SPA_ORIGIN.into()],
                web_origins: vec![SPA_ORIGIN.into()],
            })
            .await;
        let m2m = server
            .add_app(AppSpec {
                name: "m2m",
                app_type: ApplicationType::M2m,
                redirect_uris: vec![],
                post_logout_redirect_uris: vec![],
                web_origins: vec![],
            })
            .await;
        server
            .add_client_grant(&m2m.client_id, API, &["read:shows"])
            .await;
        let user = server.add_user("jane@example.com", PASSWORD).await;
        TestServer {
            server,
            web,
            other_web,
            spa,
            m2m,
            user,
        }
    }

    pub async fn api(&self, identifier: &str, scopes: &[&str]) {
        self.server.add_api(identifier, "API", scopes).await;
    }
}

/// Authorization request parameters for the regular web app, with PKCE.
pub fn web_params(server: &TestServer) -> Vec<(&'static str, String)> {
    vec![
        ("client_id", server.web.client_id.clone()),
        ("response_type", "code".into()),
        ("redirect_uri", WEB_CALLBACK.into()),
        ("scope", "openid profile email offline_access".into()),
        ("state", "st4te".into()),
        ("nonce", "n0nce".into()),
        ("code_challenge", CHALLENGE.into()),
        ("code_challenge_method", "S256".into()),
    ]
}

pub fn with(
    mut params: Vec<(&'static str, String)>,
    key: &'static str,
    value: &str,
) -> Vec<(&'static str, String)> {
    params.retain(|(k, _)| *k != key);
    params.push((key, value.to_owned()));
    params
}

pub fn without(mut params: Vec<(&'static str, String)>, key: &str) -> Vec<(&'static str, String)> {
    params.retain(|(k, _)| *k != key);
    params
}

/// GET /authorize; expects the sign-in page redirect; returns its URL.
pub async fn start_login(
    server: &TestServer,
    b: &reqwest::Client,
    params: &[(&str, String)],
) -> String {
    let r = b
        .get(server.url("authorize"))
        .query(params)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND, "{:?}", r.text().await);
    let to = location(r.headers());
    assert!(to.starts_with("/u/login?state="), "{to}");
    server.url(&to)
}

/// Full sign-in through the hosted page; returns the callback query (code, state, iss).
pub async fn sign_in(
    server: &TestServer,
    b: &reqwest::Client,
    params: &[(&str, String)],
) -> HashMap<String, String> {
    let login = start_login(server, b, params).await;
    let r = submit_login(b, &login, &server.user.email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
    query_of(&location(r.headers()))
}

/// Redeems a code for the regular web app.
pub async fn redeem(server: &TestServer, code: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(server.url("oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", WEB_CALLBACK),
            ("code_verifier", VERIFIER),
            ("client_id", &server.web.client_id),
            ("client_secret", server.web.secret()),
        ])
        .send()
        .await
        .unwrap()
}

/// The status of `GET /userinfo` with `token` as the Bearer credential.
pub async fn userinfo_status(server: &TestServer, token: &str) -> StatusCode {
    reqwest::Client::new()
        .get(server.url("userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

/// Signs in and redeems: the token response JSON. No `audience`: the access token is opaque,
/// good for /userinfo alone.
pub async fn tokens(server: &TestServer) -> Value {
    tokens_for(server, &web_params(server)).await
}

/// [`tokens`] for the API [`API`] with `openid`: the access token is a JWT that /userinfo also
/// takes.
pub async fn api_tokens(server: &TestServer) -> Value {
    let params = with(
        with(web_params(server), "audience", API),
        "scope",
        "openid profile",
    );
    tokens_for(server, &params).await
}

async fn tokens_for(server: &TestServer, params: &[(&'static str, String)]) -> Value {
    let b = browser();
    let cb = sign_in(server, &b, params).await;
    let r = redeem(server, &cb["code"]).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

pub async fn post_token(
    server: &TestServer,
    form: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Value) {
    let r = reqwest::Client::new()
        .post(server.url("oauth/token"))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let body = r.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

/// The mails queued for `to`, oldest first.
pub async fn mails_to(s: &TestServer, to: &str) -> Vec<portcullis_store::OutgoingMail> {
    let mut mails: Vec<portcullis_store::OutgoingMail> = s
        .provider
        .store
        .list_mail(200)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.to == to)
        .collect();
    mails.reverse();
    mails
}

/// The link in a mail's text that contains `path`.
pub fn link_in(mail: &portcullis_store::OutgoingMail, path: &str) -> String {
    mail.text_body
        .lines()
        .find(|l| l.starts_with("http") && l.contains(path))
        .unwrap_or_else(|| panic!("no {path} link in {}", mail.text_body))
        .trim()
        .to_owned()
}
