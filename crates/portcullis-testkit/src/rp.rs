//! A tenant for relying-party tests (the SDKs'): Portcullis with a regular web app whose
//! callback is the application's real `/auth/callback`, an M2M app, two APIs and a user.

use crate::{App, AppSpec, Server, location as location_of};
use portcullis_core::clock::Clock;
use portcullis_store::{ApplicationType, User};
use reqwest::StatusCode;
use std::sync::Arc;

pub use crate::{browser, hidden, jwt_claims, jwt_header, query_of};

/// The API the tenant defines (the guide's TV-shows API).
pub const API: &str = "https://api.tv-shows.example";
/// A second API, so that tokens for another audience exist.
pub const OTHER_API: &str = "https://api.billing.example";
pub const EMAIL: &str = "jane@example.com";
pub const PASSWORD: &str = "correct horse battery staple";

/// A running Portcullis with its tenant.
pub struct Portcullis {
    pub server: Server,
    /// A regular web app whose callback is `{app_base}/auth/callback` and whose logout URL is
    /// `{app_base}/`.
    pub web: App,
    /// A machine-to-machine app granted `read:shows` on [`API`] and `read:billing` on
    /// [`OTHER_API`].
    pub m2m: App,
    pub user: User,
}

impl std::ops::Deref for Portcullis {
    type Target = Server;
    fn deref(&self) -> &Server {
        &self.server
    }
}

impl Portcullis {
    /// Boots Portcullis for a relying party served at `app_base` (`http://127.0.0.1:PORT`).
    pub async fn start(app_base: &str) -> Self {
        let server = Server::start().await;
        server
            .add_api(API, "TV Shows", &["read:shows", "write:shows"])
            .await;
        server
            .add_api(OTHER_API, "Billing", &["read:billing"])
            .await;
        let web = server
            .add_app(AppSpec {
                name: "web",
                app_type: ApplicationType::RegularWeb,
                redirect_uris: vec![format!("{app_base}/auth/callback")],
                post_logout_redirect_uris: vec![format!("{app_base}/")],
                web_origins: vec![],
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
        server
            .add_client_grant(&m2m.client_id, OTHER_API, &["read:billing"])
            .await;
        let user = server.add_user(EMAIL, PASSWORD).await;
        Portcullis {
            server,
            web,
            m2m,
            user,
        }
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
            ("client_secret", self.m2m.secret()),
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
                ("client_secret", self.web.secret()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body: serde_json::Value = res.json().await.unwrap();
        body["active"].as_bool().unwrap()
    }

    /// The user signs in at the hosted page from `authorize_url`; returns the callback URL.
    pub async fn sign_in(&self, browser: &reqwest::Client, authorize_url: &str) -> String {
        self.server
            .sign_in(browser, authorize_url, EMAIL, PASSWORD)
            .await
    }
}

/// The `Location` header of a response.
pub fn location(res: &reqwest::Response) -> String {
    location_of(res.headers())
}
