//! Upstream connections: the identity providers users may sign in with, as Auth0 names and
//! shapes them (`name`, `strategy`, `client_id`, `client_secret`, `scopes`, enabled
//! applications). Declared in the configuration or the tenant file; the engine only reads them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How Portcullis talks to the upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Strategy {
    /// Any OpenID Connect provider, found by its issuer (OpenID Connect Discovery 1.0).
    #[serde(rename = "oidc")]
    Oidc,
    /// Google (OpenID Connect, with its published endpoints).
    #[serde(rename = "google-oauth2")]
    Google,
    /// GitHub (OAuth 2.0 and its REST API: there is no ID token).
    #[serde(rename = "github")]
    Github,
}

impl Strategy {
    /// The name used in configuration and in `user_id`s.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Oidc => "oidc",
            Strategy::Google => "google-oauth2",
            Strategy::Github => "github",
        }
    }

    /// Parses a strategy name.
    pub fn parse(text: &str) -> Option<Self> {
        [Strategy::Oidc, Strategy::Google, Strategy::Github]
            .into_iter()
            .find(|s| s.as_str() == text)
    }

    /// The scopes asked for when the connection names none.
    fn default_scopes(self) -> &'static [&'static str] {
        match self {
            Strategy::Oidc | Strategy::Google => &["openid", "profile", "email"],
            Strategy::Github => &["read:user", "user:email"],
        }
    }
}

/// A client secret: never printed by `Debug`, never logged.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Endpoints that replace the upstream's published or discovered ones (a private deployment,
/// or a local stand-in in tests). Unset ones come from the strategy or discovery.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoints {
    /// The `iss` the upstream's ID tokens carry (Google: `https://accounts.google.com`).
    pub issuer: Option<String>,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub jwks_uri: Option<String>,
    /// GitHub's `GET /user`.
    pub user_endpoint: Option<String>,
    /// GitHub's `GET /user/emails`.
    pub emails_endpoint: Option<String>,
    /// The UserInfo endpoint (OpenID Connect Core §5.3) of `oidc` and `google-oauth2`.
    pub userinfo_endpoint: Option<String>,
}

/// One upstream connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// Unique among connections, as in `/authorize?connection=NAME`.
    pub name: String,
    /// The label of the sign-in button ("Google", "GitHub", or the name).
    pub display_name: String,
    pub strategy: Strategy,
    pub client_id: String,
    pub client_secret: Secret,
    pub scopes: Vec<String>,
    /// The applications (client ids) that may use it; `None`: every application.
    pub enabled_clients: Option<Vec<String>>,
    /// The issuer of an `oidc` connection (its discovery document is at
    /// `{issuer}/.well-known/openid-configuration`).
    pub issuer: Option<String>,
    pub endpoints: Endpoints,
}

/// Why a connection declaration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectionError {
    #[error(
        "connection name {0:?}: use 1 to 128 letters, digits, '-' or '_', starting with a letter or digit"
    )]
    Name(String),
    #[error("connection {0:?}: the name is used by the database connection")]
    Reserved(String),
    #[error("connection {0:?} is declared twice")]
    Duplicate(String),
    #[error("connection {0:?}: unknown strategy {1:?} (use oidc, google-oauth2 or github)")]
    Strategy(String, String),
    #[error("connection {0:?}: client_id is required")]
    ClientId(String),
    #[error("connection {0:?}: a client secret is required (client_secret or client_secret_env)")]
    ClientSecret(String),
    #[error("connection {0:?}: the environment variable {1} is not set")]
    SecretEnv(String, String),
    #[error("connection {0:?}: an oidc connection needs an issuer")]
    Issuer(String),
    #[error("connection {0:?}: {1} must be an https URL (http only on loopback): {2:?}")]
    Url(String, &'static str, String),
}

/// The name of the database (password) connection, as on Auth0.
pub const DATABASE_CONNECTION: &str = "Username-Password-Authentication";

impl Connection {
    /// A connection with the strategy's default scopes and button label, checked: name, client
    /// id and secret, issuer of `oidc`, and every URL (https, or http on loopback).
    pub fn new(
        name: &str,
        strategy: &str,
        client_id: &str,
        client_secret: Secret,
        issuer: Option<String>,
        endpoints: Endpoints,
    ) -> Result<Self, ConnectionError> {
        let named = || name.to_owned();
        if !valid_name(name) {
            return Err(ConnectionError::Name(named()));
        }
        if name.eq_ignore_ascii_case(DATABASE_CONNECTION) || name == "email" || name == "sms" {
            return Err(ConnectionError::Reserved(named()));
        }
        let strategy = Strategy::parse(strategy)
            .ok_or_else(|| ConnectionError::Strategy(named(), strategy.to_owned()))?;
        if client_id.trim().is_empty() {
            return Err(ConnectionError::ClientId(named()));
        }
        if client_secret.0.is_empty() {
            return Err(ConnectionError::ClientSecret(named()));
        }
        if strategy == Strategy::Oidc && issuer.is_none() {
            return Err(ConnectionError::Issuer(named()));
        }
        let urls = [
            ("issuer", &issuer),
            ("endpoints.issuer", &endpoints.issuer),
            ("authorization_endpoint", &endpoints.authorization_endpoint),
            ("token_endpoint", &endpoints.token_endpoint),
            ("jwks_uri", &endpoints.jwks_uri),
            ("user_endpoint", &endpoints.user_endpoint),
            ("emails_endpoint", &endpoints.emails_endpoint),
            ("userinfo_endpoint", &endpoints.userinfo_endpoint),
        ];
        for (what, url) in urls {
            if let Some(url) = url
                && !safe_url(url)
            {
                return Err(ConnectionError::Url(named(), what, url.clone()));
            }
        }
        Ok(Connection {
            name: name.to_owned(),
            display_name: match strategy {
                Strategy::Google => "Google".to_owned(),
                Strategy::Github => "GitHub".to_owned(),
                Strategy::Oidc => name.to_owned(),
            },
            strategy,
            client_id: client_id.trim().to_owned(),
            client_secret,
            scopes: strategy
                .default_scopes()
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            enabled_clients: None,
            issuer: issuer.map(|i| i.trim_end_matches('/').to_owned()),
            endpoints,
        })
    }

    /// Whether `client_id` may use this connection.
    pub fn enabled_for(&self, client_id: &str) -> bool {
        self.enabled_clients
            .as_ref()
            .is_none_or(|ids| ids.iter().any(|id| id == client_id))
    }

    /// The Portcullis `user_id` of the upstream account `subject`, as Auth0 forms it:
    /// `google-oauth2|<sub>`, `github|<id>`, `oidc|<connection>|<sub>`.
    pub fn user_id(&self, subject: &str) -> String {
        match self.strategy {
            Strategy::Oidc => format!("oidc|{}|{subject}", self.name),
            other => format!("{}|{subject}", other.as_str()),
        }
    }

    /// The issuer the ID tokens must carry: the override, Google's, or the `oidc` issuer (the
    /// discovery document's `issuer` is checked against it too).
    pub fn expected_issuer(&self) -> Option<String> {
        if let Some(i) = &self.endpoints.issuer {
            return Some(i.clone());
        }
        match self.strategy {
            Strategy::Google => Some(GOOGLE_ISSUER.to_owned()),
            Strategy::Github => None,
            Strategy::Oidc => self.issuer.clone(),
        }
    }
}

/// Google's published endpoints (https://accounts.google.com/.well-known/openid-configuration).
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";
pub const GOOGLE_AUTHORIZE: &str = "https://accounts.google.com/o/oauth2/v2/auth";
pub const GOOGLE_TOKEN: &str = "https://oauth2.googleapis.com/token";
pub const GOOGLE_JWKS: &str = "https://www.googleapis.com/oauth2/v3/certs";
/// Google's UserInfo endpoint, as its discovery document publishes it.
pub const GOOGLE_USERINFO: &str = "https://openidconnect.googleapis.com/v1/userinfo";
/// GitHub's OAuth app endpoints and REST API (docs.github.com, "Authorizing OAuth apps").
pub const GITHUB_AUTHORIZE: &str = "https://github.com/login/oauth/authorize";
pub const GITHUB_TOKEN: &str = "https://github.com/login/oauth/access_token";
pub const GITHUB_USER: &str = "https://api.github.com/user";
pub const GITHUB_EMAILS: &str = "https://api.github.com/user/emails";

fn valid_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// https, or http on a loopback host (local providers and test stand-ins).
fn safe_url(text: &str) -> bool {
    let Ok(url) = url::Url::parse(text) else {
        return false;
    };
    if url.fragment().is_some() || url.host_str().is_none() {
        return false;
    }
    match url.scheme() {
        "https" => true,
        "http" => match url.host() {
            Some(url::Host::Domain(d)) => d == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(
        name: &str,
        strategy: &str,
        issuer: Option<&str>,
    ) -> Result<Connection, ConnectionError> {
        Connection::new(
            name,
            strategy,
            "cid",
            Secret("s".into()),
            issuer.map(str::to_owned),
            Endpoints::default(),
        )
    }

    #[test]
    fn user_ids_follow_auth0() {
        assert_eq!(
            conn("google", "google-oauth2", None).unwrap().user_id("42"),
            "google-oauth2|42"
        );
        assert_eq!(conn("gh", "github", None).unwrap().user_id("7"), "github|7");
        assert_eq!(
            conn("corp", "oidc", Some("https://id.corp.example/"))
                .unwrap()
                .user_id("s"),
            "oidc|corp|s"
        );
    }

    #[test]
    fn declarations_are_checked() {
        assert!(matches!(
            conn("bad name", "github", None),
            Err(ConnectionError::Name(_))
        ));
        assert!(matches!(
            conn("email", "github", None),
            Err(ConnectionError::Reserved(_))
        ));
        assert!(matches!(
            conn("x", "saml", None),
            Err(ConnectionError::Strategy(..))
        ));
        assert!(matches!(
            conn("x", "oidc", None),
            Err(ConnectionError::Issuer(_))
        ));
        assert!(matches!(
            conn("x", "oidc", Some("http://id.example.com")),
            Err(ConnectionError::Url(..))
        ));
        assert!(conn("x", "oidc", Some("http://127.0.0.1:9000")).is_ok());
        assert_eq!(format!("{:?}", Secret("hunter2".into())), "Secret(…)");
    }

    #[test]
    fn enabled_clients_limit_who_may_use_it() {
        let mut c = conn("gh", "github", None).unwrap();
        assert!(c.enabled_for("any"));
        c.enabled_clients = Some(vec!["app1".into()]);
        assert!(c.enabled_for("app1"));
        assert!(!c.enabled_for("app2"));
    }
}
