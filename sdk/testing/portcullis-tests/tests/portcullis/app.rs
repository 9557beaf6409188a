//! A web app using portcullis-axum, signed in at a real Portcullis: the fixture of the session
//! tests. Each test adds its own routes.

use axum::Router;
use axum::routing::get;
use portcullis_axum::{Config, ConfigBuilder, PortcullisAuth, Session};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{API, Portcullis, location, query_of};

pub const SCOPE: &str = "openid profile email offline_access read:shows";

pub struct WebApp {
    pub op: Portcullis,
    pub base: String,
}

/// The session's tokens as the app sees them.
async fn session_tokens(session: Session) -> axum::Json<Value> {
    let data = session.data().await;
    axum::Json(data.map_or(Value::Null, |d| {
        json!({
            "access_token": d.token_set.access_token,
            "refresh_token": d.token_set.refresh_token,
            "id_token": d.token_set.id_token,
            "expires_at": d.token_set.expires_at,
        })
    }))
}

impl WebApp {
    /// Boots Portcullis and the app (with `routes`, the `/auth` router and the session layer);
    /// `configure` adjusts the SDK configuration.
    pub async fn start(
        routes: Router,
        configure: impl FnOnce(ConfigBuilder) -> ConfigBuilder,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
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
        let app = routes
            .route("/test/session-tokens", get(session_tokens))
            .merge(auth.router())
            .layer(auth.session_layer());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        WebApp { op, base }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Signs `browser` in through /auth/login, the hosted page and /auth/callback.
    pub async fn sign_in(&self, browser: &reqwest::Client) {
        let res = browser.get(self.url("/auth/login")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FOUND);
        let callback = self.op.sign_in(browser, &location(&res)).await;
        assert!(query_of(&callback).contains_key("code"), "{callback}");
        let res = browser.get(&callback).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FOUND, "{:?}", res.text().await);
    }

    pub async fn get_json(&self, browser: &reqwest::Client, path: &str) -> (StatusCode, Value) {
        let res = browser.get(self.url(path)).send().await.unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn tokens(&self, browser: &reqwest::Client) -> Value {
        self.get_json(browser, "/test/session-tokens").await.1
    }

    /// Revokes a refresh token at Portcullis (RFC 7009), as an administrator or the user
    /// signing out elsewhere would end the grant.
    pub async fn revoke(&self, refresh_token: &str) {
        let res = reqwest::Client::new()
            .post(self.op.url("oauth/revoke"))
            .form(&[
                ("token", refresh_token),
                ("token_type_hint", "refresh_token"),
                ("client_id", self.op.web.client_id.as_str()),
                ("client_secret", self.op.web.secret()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(!self.op.is_active(refresh_token).await);
    }
}

/// The `__session` cookies a response sets.
pub fn session_cookies(res: &reqwest::Response) -> Vec<String> {
    res.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .filter(|c| c.starts_with("__session"))
        .collect()
}
