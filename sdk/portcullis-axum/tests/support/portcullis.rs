//! The real Portcullis, booted in-process the way its own HTTP tests do
//! (`crates/portcullis-web/tests/http/support.rs`): a fresh port, an in-memory SQLite store, a
//! [`FixedClock`] the test can move, and a small tenant created through the store.
//!
//! Only the tests depend on the server crates; the SDK crates never do. The same file is in
//! `sdk/portcullis-bearer/tests/support/` and `sdk/portcullis-axum/tests/support/` (duplicated
//! on purpose rather than a shared test crate).

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use portcullis_core::Provider;
use portcullis_core::clock::{Clock, FixedClock, SystemClock};
use portcullis_core::config::{Issuer, ProviderConfig};
use portcullis_core::crypto::{MasterKey, new_id, random_token};
use portcullis_store::{
    Api, ApiScope, ApplicationType, Client, ClientGrant, GrantType, TokenEndpointAuthMethod, User,
};
use portcullis_store_sqlite::SqliteStore;
use reqwest::StatusCode;

/// The API the tenant defines (the guide's TV-shows API).
pub const API: &str = "https://api.tv-shows.example";
/// A second API, so that tokens for another audience exist.
pub const OTHER_API: &str = "https://api.billing.example";
pub const EMAIL: &str = "jane@example.com";
pub const PASSWORD: &str = "correct horse battery staple";

/// A client registered at Portcullis.
pub struct App {
    pub client_id: String,
    pub secret: String,
}

/// A running Portcullis with its tenant.
pub struct Portcullis {
    /// `http://127.0.0.1:PORT/`.
    pub issuer: String,
    pub provider: Provider,
    pub master: MasterKey,
    /// Portcullis's clock; [`sdk_clock`](Self::sdk_clock) reads the same time.
    pub clock: FixedClock,
    /// A regular web app whose callback is `{app_base}/auth/callback` and whose logout URL is
    /// `{app_base}/`.
    pub web: App,
    /// A machine-to-machine app granted `read:shows` on [`API`] and `read:billing` on
    /// [`OTHER_API`].
    pub m2m: App,
    pub user: User,
}

impl Portcullis {
    /// Boots Portcullis for a relying party served at `app_base` (`http://127.0.0.1:PORT`).
    pub async fn start(app_base: &str) -> Self {
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
        let router = portcullis_web::router(provider.clone());
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });

        let store = provider.store.clone();
        for (identifier, name, scopes) in [
            (API, "TV Shows", &["read:shows", "write:shows"][..]),
            (OTHER_API, "Billing", &["read:billing"][..]),
        ] {
            store
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
                    created_at: 0,
                    updated_at: 0,
                })
                .await
                .unwrap();
        }
        let web = Self::client(
            &provider,
            "web",
            ApplicationType::RegularWeb,
            vec![format!("{app_base}/auth/callback")],
            vec![format!("{app_base}/")],
            vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        )
        .await;
        let m2m = Self::client(
            &provider,
            "m2m",
            ApplicationType::M2m,
            vec![],
            vec![],
            vec![GrantType::ClientCredentials],
        )
        .await;
        for (audience, scope) in [(API, "read:shows"), (OTHER_API, "read:billing")] {
            store
                .create_client_grant(&ClientGrant {
                    grant_id: new_id("cgr"),
                    client_id: m2m.client_id.clone(),
                    audience: audience.into(),
                    scopes: vec![scope.into()],
                    created_at: 0,
                })
                .await
                .unwrap();
        }
        let user = User {
            user_id: new_id("usr"),
            email: EMAIL.into(),
            email_verified: true,
            name: Some("Jane Doe".into()),
            given_name: Some("Jane".into()),
            family_name: Some("Doe".into()),
            nickname: None,
            picture: None,
            password_hash: Some(provider.passwords.hash(PASSWORD).await.unwrap()),
            blocked: false,
            created_at: 0,
            updated_at: 0,
        };
        store.create_user(&user).await.unwrap();

        Portcullis {
            issuer: issuer.as_str().to_owned(),
            provider,
            master,
            clock,
            web,
            m2m,
            user,
        }
    }

    async fn client(
        provider: &Provider,
        name: &str,
        app_type: ApplicationType,
        redirect_uris: Vec<String>,
        post_logout_redirect_uris: Vec<String>,
        grant_types: Vec<GrantType>,
    ) -> App {
        let client_id = format!("{name}-{}", random_token(6));
        let secret = random_token(32);
        provider
            .store
            .create_client(&Client {
                client_id: client_id.clone(),
                name: format!("{name} app"),
                app_type,
                secret_hash: Some(provider.hasher.hash(&secret)),
                token_endpoint_auth_method: TokenEndpointAuthMethod::ClientSecretPost,
                redirect_uris,
                post_logout_redirect_uris,
                web_origins: vec![],
                grant_types,
                created_at: 0,
                updated_at: 0,
            })
            .await
            .unwrap();
        App { client_id, secret }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path.trim_start_matches('/'))
    }

    /// A clock for the SDK that reads Portcullis's: moving one moves both.
    pub fn sdk_clock(&self) -> Arc<dyn Fn() -> u64 + Send + Sync> {
        let clock = self.clock.clone();
        Arc::new(move || u64::try_from(clock.now()).unwrap())
    }

    /// `client_credentials` for the M2M app: the token response JSON.
    pub async fn m2m_token(&self, audience: &str, scope: Option<&str>) -> serde_json::Value {
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", self.m2m.client_id.as_str()),
            ("client_secret", self.m2m.secret.as_str()),
            ("audience", audience),
        ];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        let res = reqwest::Client::new()
            .post(self.url("oauth/token"))
            .form(&form)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(status, StatusCode::OK, "client_credentials: {body}");
        body
    }

    /// RFC 7662 introspection by the web app: whether Portcullis considers `token` active.
    pub async fn is_active(&self, token: &str) -> bool {
        let res = reqwest::Client::new()
            .post(self.url("oauth/introspect"))
            .form(&[
                ("token", token),
                ("client_id", self.web.client_id.as_str()),
                ("client_secret", self.web.secret.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body: serde_json::Value = res.json().await.unwrap();
        body["active"].as_bool().unwrap()
    }

    /// Rotates the signing keys as `portcullis keys rotate` does, and makes this server
    /// instance pick the change up.
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

    /// The browser signs in at the hosted page: `authorize_url` must lead (302) to
    /// `/u/login?state=…`; the form is filled in with the user's credentials and Portcullis
    /// answers 303 to the relying party. Returns that callback URL.
    pub async fn sign_in(&self, browser: &reqwest::Client, authorize_url: &str) -> String {
        let res = browser.get(authorize_url).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FOUND, "GET {authorize_url}");
        let login = location(&res);
        assert!(login.starts_with("/u/login?state="), "{login}");
        let page = browser.get(self.url(&login)).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        let form = [
            ("state", hidden(&html, "state")),
            ("csrf", hidden(&html, "csrf")),
            ("email", EMAIL.to_owned()),
            ("password", PASSWORD.to_owned()),
        ];
        let res = browser
            .post(self.url("u/login"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "POST /u/login: {:?}",
            res.text().await
        );
        location(&res)
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

pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get(reqwest::header::LOCATION)
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

/// The value of a hidden form field.
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

/// A JWT's protected header, unverified.
pub fn jwt_header(jwt: &str) -> serde_json::Value {
    use base64::Engine as _;
    let part = jwt.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}
