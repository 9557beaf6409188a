//! The Management API under test: a server, M2M applications granted the built-in API with
//! chosen scopes, their tokens, and requests that return `(status, headers, JSON body)`.

#![allow(dead_code)]

use crate::support::TestServer;
use portcullis_store::ApplicationType;
use portcullis_testkit::{AppSpec, Server};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// Every scope the endpoints of this branch use.
pub const ALL_SCOPES: &[&str] = &[
    "read:users",
    "create:users",
    "update:users",
    "delete:users",
    "update:users_app_metadata",
    "read:sessions",
    "delete:sessions",
    "read:clients",
    "create:clients",
    "update:clients",
    "delete:clients",
    "update:client_keys",
    "read:connections",
    "read:resource_servers",
    "create:resource_servers",
    "update:resource_servers",
    "delete:resource_servers",
    "read:client_grants",
    "create:client_grants",
    "update:client_grants",
    "delete:client_grants",
    "read:signing_keys",
    "create:signing_keys",
    "update:signing_keys",
    "read:roles",
    "create:roles",
    "update:roles",
    "delete:roles",
    "read:role_members",
    "create:role_members",
    "delete:role_members",
    "read:logs",
];

pub struct Mgmt {
    pub server: TestServer,
    /// A token with [`ALL_SCOPES`].
    pub admin: String,
    pub http: reqwest::Client,
}

/// An answer: status, headers, and the body as JSON (`Null` when empty).
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    /// Asserts an Auth0-shaped error with this status and `errorCode`; returns the message.
    #[track_caller]
    pub fn error(&self, status: StatusCode, code: &str) -> String {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.body["statusCode"], status.as_u16(), "{}", self.body);
        assert_eq!(
            self.body["error"],
            status.canonical_reason().unwrap(),
            "{}",
            self.body
        );
        assert_eq!(self.body["errorCode"], code, "{}", self.body);
        self.body["message"].as_str().unwrap().to_owned()
    }

    #[track_caller]
    pub fn ok(&self, status: StatusCode) -> &Value {
        assert_eq!(self.status, status, "{}", self.body);
        &self.body
    }
}

impl Mgmt {
    pub async fn start() -> Mgmt {
        Self::around(Server::start().await).await
    }

    pub async fn around(server: Server) -> Mgmt {
        let server = TestServer::around(server).await;
        let http = reqwest::Client::new();
        let mut mgmt = Mgmt {
            server,
            admin: String::new(),
            http,
        };
        mgmt.admin = mgmt.token(ALL_SCOPES).await;
        mgmt
    }

    /// `{issuer}api/v2/`.
    pub fn audience(&self) -> String {
        self.server.url("api/v2/")
    }

    /// A new M2M application granted the Management API with `scopes`, and its token.
    pub async fn token(&self, scopes: &[&str]) -> String {
        let app = self
            .server
            .add_app(AppSpec {
                name: "mgmt",
                app_type: ApplicationType::M2m,
                redirect_uris: vec![],
                post_logout_redirect_uris: vec![],
                web_origins: vec![],
            })
            .await;
        self.server
            .add_client_grant(&app.client_id, &self.audience(), scopes)
            .await;
        self.token_for(&app.client_id, app.secret()).await
    }

    /// A `client_credentials` token for the Management API.
    pub async fn token_for(&self, client_id: &str, secret: &str) -> String {
        let res = self
            .http
            .post(self.server.url("oauth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", secret),
                ("audience", &self.audience()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// A request to `/api/v2/{path}` with `token` (none when empty) and an optional JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Answer {
        let mut req = self
            .http
            .request(method, self.server.url(&format!("api/v2/{path}")));
        if !token.is_empty() {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, &self.admin, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        self.call(Method::POST, path, &self.admin, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Answer {
        self.call(Method::PATCH, path, &self.admin, Some(body))
            .await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.call(Method::DELETE, path, &self.admin, None).await
    }

    /// Asserts that a token without `scope` (but with every other scope) is refused with 403
    /// `insufficient_scope` naming it, and that one with only `scope` gets past the check.
    pub async fn assert_needs_scope(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        scope: &str,
    ) {
        let others: Vec<&str> = ALL_SCOPES.iter().copied().filter(|s| *s != scope).collect();
        let without = self.token(&others).await;
        let answer = self.call(method.clone(), path, &without, body).await;
        let message = answer.error(StatusCode::FORBIDDEN, "insufficient_scope");
        assert!(message.contains(scope), "{message}");
        let only = self.token(&[scope]).await;
        let answer = self.call(method, path, &only, body).await;
        assert_ne!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
        assert_ne!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
    }
}

/// Percent-encodes a path segment (`auth0|x` → `auth0%7Cx`).
pub fn seg(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
