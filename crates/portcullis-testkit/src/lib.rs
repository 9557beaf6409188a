//! Test support shared by the server's HTTP tests and the SDKs' tests against Portcullis: boot
//! the real router in-process on `127.0.0.1:0` with a fresh database (in-memory SQLite, or a
//! PostgreSQL schema when `PORTCULLIS_TEST_DATABASE=postgres`: see [`BACKEND_VAR`]) and a
//! [`FixedClock`] the test can move, register a tenant through the store, and act as a browser
//! on the hosted sign-in page.
//!
//! Only tests depend on this crate (as a dev-dependency); it panics on any failure, which is the
//! right answer inside a test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod database;
pub mod rp;
pub mod webauthn;

pub use database::BACKEND_VAR;

use portcullis_core::Provider;
use portcullis_core::clock::{Clock, FixedClock, SystemClock};
use portcullis_core::config::{Issuer, ProviderConfig};
use portcullis_core::crypto::{MasterKey, new_id, random_token};
use portcullis_store::{
    Api, ApiScope, ApplicationType, Client, ClientGrant, GrantType, TokenEndpointAuthMethod, User,
};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION};
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// A running Portcullis.
pub struct Server {
    /// The issuer, `http://127.0.0.1:PORT/`.
    pub issuer: String,
    pub provider: Provider,
    pub master: MasterKey,
    /// The provider's clock: `clock.advance(secs)` moves time for it.
    pub clock: FixedClock,
    /// Keeps the database (a PostgreSQL schema) until the server is dropped.
    _database: Option<portcullis_store_postgres::testing::TestDatabase>,
}

/// An application registered at the server.
#[derive(Debug, Clone)]
pub struct App {
    pub client_id: String,
    /// `None` for public clients.
    pub secret: Option<String>,
}

impl App {
    /// The secret of a confidential client.
    pub fn secret(&self) -> &str {
        self.secret.as_deref().expect("a confidential client")
    }
}

/// What to register for an application.
pub struct AppSpec<'a> {
    /// Prefix of the generated client id.
    pub name: &'a str,
    pub app_type: ApplicationType,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub web_origins: Vec<String>,
}

impl Server {
    /// Boots the router on a fresh port with an empty tenant (signing keys only).
    pub async fn start() -> Server {
        Self::start_with(portcullis_web::WebOptions::default()).await
    }

    /// [`Server::start`] with deployment settings of the HTTP layer.
    pub async fn start_with(options: portcullis_web::WebOptions) -> Server {
        Self::start_configured(options, |_| {}).await
    }

    /// [`Server::start_with`], with protocol settings changed by `configure`.
    pub async fn start_configured(
        options: portcullis_web::WebOptions,
        configure: impl FnOnce(&mut ProviderConfig),
    ) -> Server {
        Self::start_at("127.0.0.1", options, configure).await
    }

    /// [`Server::start_configured`] with the issuer `http://{host}:PORT/` (still listening on
    /// 127.0.0.1): `localhost` for passkeys, whose relying party id must be a domain name.
    pub async fn start_at(
        host: &str,
        options: portcullis_web::WebOptions,
        configure: impl FnOnce(&mut ProviderConfig),
    ) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let issuer = Issuer::parse(&format!("http://{host}:{port}/")).unwrap();
        let database::TestStore { store, schema } = database::fresh_store().await;
        let clock = FixedClock::new(SystemClock.now());
        let master = MasterKey::generate();
        let mut config = ProviderConfig::new(issuer.clone());
        configure(&mut config);
        let provider = Provider::new(store, config, Arc::new(clock.clone()), &master)
            .await
            .unwrap();
        let app = portcullis_web::router_with(provider.clone(), options);
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        Server {
            issuer: issuer.as_str().to_owned(),
            provider,
            master,
            clock,
            _database: schema,
        }
    }

    /// An absolute URL on the server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path.trim_start_matches('/'))
    }

    /// Registers an API with the given scopes (token lifetime 3600 s, offline access allowed).
    pub async fn add_api(&self, identifier: &str, name: &str, scopes: &[&str]) {
        self.provider
            .store
            .create_api(&Api {
                api_id: new_id("api"),
                identifier: identifier.into(),
                name: name.into(),
                scopes: scopes
                    .iter()
                    .map(|s| ApiScope {
                        value: (*s).to_owned(),
                        description: String::new(),
                    })
                    .collect(),
                token_lifetime: 3600,
                allow_offline_access: true,
                introspection_clients: vec![],
                enforce_policies: false,
                token_dialect: Default::default(),
                created_at: 0,
                updated_at: 0,
            })
            .await
            .unwrap();
    }

    /// Registers an application with Auth0's defaults for its type: regular web and M2M apps are
    /// confidential (a generated secret, `client_secret_post`), SPAs and native apps public;
    /// M2M apps get `client_credentials`, the others the code and refresh grants.
    pub async fn add_app(&self, spec: AppSpec<'_>) -> App {
        let client_id = format!("{}-{}", spec.name, random_token(6));
        let confidential = matches!(
            spec.app_type,
            ApplicationType::RegularWeb | ApplicationType::M2m
        );
        let secret = confidential.then(|| random_token(32));
        let grant_types = if spec.app_type == ApplicationType::M2m {
            vec![GrantType::ClientCredentials]
        } else {
            vec![GrantType::AuthorizationCode, GrantType::RefreshToken]
        };
        self.provider
            .store
            .create_client(&Client {
                client_id: client_id.clone(),
                name: format!("{} app", spec.name),
                app_type: spec.app_type,
                secret_hash: secret.as_ref().map(|s| self.provider.hasher.hash(s)),
                token_endpoint_auth_method: if confidential {
                    TokenEndpointAuthMethod::ClientSecretPost
                } else {
                    TokenEndpointAuthMethod::None
                },
                redirect_uris: spec.redirect_uris,
                post_logout_redirect_uris: spec.post_logout_redirect_uris,
                web_origins: spec.web_origins,
                grant_types,
                backchannel_logout_uri: None,
                first_party: true,
                created_at: 0,
                updated_at: 0,
            })
            .await
            .unwrap();
        App { client_id, secret }
    }

    /// Registers where an application receives back-channel logout tokens.
    pub async fn set_backchannel_logout_uri(&self, client_id: &str, uri: &str) {
        let store = &self.provider.store;
        let mut client = store.get_client(client_id).await.unwrap().unwrap();
        client.backchannel_logout_uri = Some(uri.to_owned());
        store.update_client(&client).await.unwrap();
    }

    /// Lets an M2M application get tokens for `audience` with `scopes`.
    pub async fn add_client_grant(&self, client_id: &str, audience: &str, scopes: &[&str]) {
        self.provider
            .store
            .create_client_grant(&ClientGrant {
                grant_id: new_id("cgr"),
                client_id: client_id.into(),
                audience: audience.into(),
                scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
                created_at: 0,
            })
            .await
            .unwrap();
    }

    /// Registers a user named Jane Doe with an argon2id password.
    pub async fn add_user(&self, email: &str, password: &str) -> User {
        let user = User {
            user_id: new_id("usr"),
            email: email.into(),
            email_verified: true,
            name: Some("Jane Doe".into()),
            given_name: Some("Jane".into()),
            family_name: Some("Doe".into()),
            nickname: None,
            picture: None,
            password_hash: Some(self.provider.passwords.hash(password).await.unwrap()),
            blocked: false,
            app_metadata: Default::default(),
            user_metadata: Default::default(),
            created_at: 0,
            updated_at: 0,
            phone_number: None,
            phone_number_verified: false,
            address: None,
        };
        self.provider.store.create_user(&user).await.unwrap();
        user
    }

    /// Rotates the signing keys as `portcullis keys rotate` does, and makes this server pick the
    /// change up at once.
    pub async fn rotate_keys(&self) {
        let p = &self.provider;
        portcullis_core::keys::rotate_keys(
            p.store.as_ref(),
            &self.master.key_encryptor(),
            86_400,
            p.now(),
        )
        .await
        .unwrap();
        p.keys.reload(p.store.as_ref(), p.now()).await.unwrap();
    }

    /// The browser goes to `authorize_url`, which must lead (302) to the hosted sign-in page,
    /// and signs in; Portcullis answers 303 to the application. Returns that callback URL.
    pub async fn sign_in(
        &self,
        browser: &reqwest::Client,
        authorize_url: &str,
        email: &str,
        password: &str,
    ) -> String {
        let res = browser.get(authorize_url).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FOUND, "GET {authorize_url}");
        let login = location(res.headers());
        assert!(login.starts_with("/u/login?state="), "{login}");
        let res = submit_login(browser, &self.url(&login), email, password).await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "POST /u/login: {:?}",
            res.text().await
        );
        location(res.headers())
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

/// Opens the sign-in page at `login_url` and submits its form; returns the POST's response.
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

/// The `Location` header.
pub fn location(headers: &HeaderMap) -> String {
    headers
        .get(LOCATION)
        .expect("a Location header")
        .to_str()
        .unwrap()
        .to_owned()
}

/// The query parameters of a URL.
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

/// The value of attribute `name` of the first element that has it, HTML entities decoded.
pub fn attribute(html: &str, name: &str) -> String {
    let marker = format!(" {name}=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no attribute {name} in {html}"))
        + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end]
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x2b;", "+")
        .replace("&#43;", "+")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A JWT's payload, unverified.
pub fn jwt_claims(jwt: &str) -> Value {
    jwt_part(jwt, 1)
}

/// A JWT's protected header, unverified.
pub fn jwt_header(jwt: &str) -> Value {
    jwt_part(jwt, 0)
}

fn jwt_part(jwt: &str, index: usize) -> Value {
    use base64::Engine as _;
    let part = jwt.split('.').nth(index).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}
