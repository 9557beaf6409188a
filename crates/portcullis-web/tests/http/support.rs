//! The test server and helpers that act as a browser and as applications.

#![allow(dead_code)]

use portcullis_core::Provider;
use portcullis_core::clock::{Clock, FixedClock, SystemClock};
use portcullis_core::config::{Issuer, ProviderConfig};
use portcullis_core::crypto::{MasterKey, random_token};
use portcullis_store::{
    Api, ApiScope, ApplicationType, Client, ClientGrant, GrantType, TokenEndpointAuthMethod, User,
};
use portcullis_store_sqlite::SqliteStore;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION};
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

pub const PASSWORD: &str = "correct horse battery staple";
pub const WEB_CALLBACK: &str = "http://localhost:3000/callback";
pub const SPA_CALLBACK: &str = "http://localhost:5173/callback";
pub const SPA_ORIGIN: &str = "http://localhost:5173";
pub const API: &str = "https://api.tv-shows.example";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

pub struct App {
    pub client_id: String,
    pub secret: Option<String>,
}

pub struct TestServer {
    /// The issuer, `http://127.0.0.1:PORT/`.
    pub issuer: String,
    pub provider: Provider,
    pub master: MasterKey,
    pub clock: FixedClock,
    pub web: App,
    pub other_web: App,
    pub spa: App,
    pub m2m: App,
    pub user: User,
}

impl TestServer {
    /// Boots the router on a fresh port with a fresh database and a small tenant.
    pub async fn start() -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let issuer = Issuer::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
        let store = Arc::new(SqliteStore::in_memory().await.unwrap());
        let clock = FixedClock::new(SystemClock.now());
        let master = MasterKey::generate();
        let provider = Provider::new(
            store,
            ProviderConfig::new(issuer.clone()),
            Arc::new(clock.clone()),
            &master,
        )
        .await
        .unwrap();
        let app = portcullis_web::router(provider.clone());
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        let mut server = TestServer {
            issuer: issuer.as_str().to_owned(),
            provider,
            master,
            clock,
            web: App {
                client_id: String::new(),
                secret: None,
            },
            other_web: App {
                client_id: String::new(),
                secret: None,
            },
            spa: App {
                client_id: String::new(),
                secret: None,
            },
            m2m: App {
                client_id: String::new(),
                secret: None,
            },
            user: User {
                user_id: String::new(),
                email: String::new(),
                email_verified: false,
                name: None,
                given_name: None,
                family_name: None,
                nickname: None,
                picture: None,
                password_hash: None,
                blocked: false,
                created_at: 0,
                updated_at: 0,
            },
        };
        server.api(API, &["read:shows", "write:shows"]).await;
        server.web = server.client("web", ApplicationType::RegularWeb).await;
        server.other_web = server.client("other", ApplicationType::RegularWeb).await;
        server.spa = server.client("spa", ApplicationType::Spa).await;
        server.m2m = server.client("m2m", ApplicationType::M2m).await;
        server
            .provider
            .store
            .create_client_grant(&ClientGrant {
                grant_id: "cgr_1".into(),
                client_id: server.m2m.client_id.clone(),
                audience: API.into(),
                scopes: vec!["read:shows".into()],
                created_at: 0,
            })
            .await
            .unwrap();
        server.user = server.add_user("jane@example.com", PASSWORD).await;
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path.trim_start_matches('/'))
    }

    pub async fn add_user(&self, email: &str, password: &str) -> User {
        let user = User {
            user_id: portcullis_core::crypto::new_id("usr"),
            email: email.into(),
            email_verified: true,
            name: Some("Jane Doe".into()),
            given_name: Some("Jane".into()),
            family_name: Some("Doe".into()),
            nickname: None,
            picture: None,
            password_hash: Some(self.provider.passwords.hash(password).await.unwrap()),
            blocked: false,
            created_at: 0,
            updated_at: 0,
        };
        self.provider.store.create_user(&user).await.unwrap();
        user
    }

    pub async fn api(&self, identifier: &str, scopes: &[&str]) {
        self.provider
            .store
            .create_api(&Api {
                api_id: portcullis_core::crypto::new_id("api"),
                identifier: identifier.into(),
                name: "TV Shows".into(),
                scopes: scopes
                    .iter()
                    .map(|s| ApiScope {
                        value: s.to_string(),
                        description: String::new(),
                    })
                    .collect(),
                token_lifetime: 3600,
                allow_offline_access: true,
                created_at: 0,
                updated_at: 0,
            })
            .await
            .unwrap();
    }

    pub async fn client(&self, name: &str, app_type: ApplicationType) -> App {
        let client_id = format!("{name}-{}", random_token(6));
        let confidential = matches!(app_type, ApplicationType::RegularWeb | ApplicationType::M2m);
        let secret = confidential.then(|| random_token(32));
        let (redirect_uris, web_origins, grant_types) = match app_type {
            ApplicationType::Spa => (
                vec![SPA_CALLBACK.to_owned()],
                vec![SPA_ORIGIN.to_owned()],
                vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            ),
            ApplicationType::M2m => (vec![], vec![], vec![GrantType::ClientCredentials]),
            _ => (
                vec![WEB_CALLBACK.to_owned()],
                vec![],
                vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            ),
        };
        self.provider
            .store
            .create_client(&Client {
                client_id: client_id.clone(),
                name: format!("{name} app"),
                app_type,
                secret_hash: secret.as_ref().map(|s| self.provider.hasher.hash(s)),
                token_endpoint_auth_method: if confidential {
                    TokenEndpointAuthMethod::ClientSecretPost
                } else {
                    TokenEndpointAuthMethod::None
                },
                redirect_uris,
                post_logout_redirect_uris: vec!["http://localhost:3000/".into()],
                web_origins,
                grant_types,
                created_at: 0,
                updated_at: 0,
            })
            .await
            .unwrap();
        App { client_id, secret }
    }
}

/// A browser: keeps cookies, does not follow redirects.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
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

pub fn location(headers: &HeaderMap) -> String {
    headers
        .get(LOCATION)
        .expect("a Location header")
        .to_str()
        .unwrap()
        .to_owned()
}

pub fn query_of(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// The value of a hidden form field in a page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name} in {html}"))
        + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end]
        .replace("&#x2b;", "+")
        .replace("&#43;", "+")
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

/// Fills in the sign-in form; returns the response to the POST.
pub async fn submit_login(
    b: &reqwest::Client,
    login_url: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let page = b.get(login_url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let form = [
        ("state", hidden(&html, "state")),
        ("csrf", hidden(&html, "csrf")),
        ("email", email.to_owned()),
        ("password", password.to_owned()),
    ];
    let base = url::Url::parse(login_url).unwrap();
    b.post(base.join("/u/login").unwrap())
        .form(&form)
        .send()
        .await
        .unwrap()
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
            ("client_secret", server.web.secret.as_deref().unwrap()),
        ])
        .send()
        .await
        .unwrap()
}

/// Signs in and redeems: the token response JSON.
pub async fn tokens(server: &TestServer) -> Value {
    let b = browser();
    let cb = sign_in(server, &b, &web_params(server)).await;
    let r = redeem(server, &cb["code"]).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// Decodes a JWT's payload without verifying it.
pub fn claims(jwt: &str) -> Value {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

pub fn header(jwt: &str) -> Value {
    use base64::Engine;
    let part = jwt.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
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
