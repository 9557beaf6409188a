//! A connection as written in the configuration file (`[[connections]]`) or the tenant file:
//! Auth0's names (`name`, `strategy`, `client_id`, `client_secret`, `scopes`,
//! `enabled_clients`), the secret inline or from an environment variable
//! (`client_secret_env`), and endpoint overrides.

use super::connection::{Connection, ConnectionError, Endpoints, Secret, Strategy};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One declared connection.
#[derive(Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionDecl {
    pub name: String,
    pub strategy: String,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// The environment variable holding the client secret (keeps it out of the file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret_env: Option<String>,
    /// Default: `openid profile email` (oidc, Google), `read:user user:email` (GitHub).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// Client ids of the applications that may use it. Default: every application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled_clients: Option<Vec<String>>,
    /// The sign-in button's label ("Continue with …"). Default: Google, GitHub, or the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `oidc`: the issuer, whose discovery document is fetched. `google-oauth2`: the `iss` its
    /// ID tokens carry (default `https://accounts.google.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// GitHub: `GET /user` (default `https://api.github.com/user`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_endpoint: Option<String>,
    /// GitHub: `GET /user/emails` (default `https://api.github.com/user/emails`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emails_endpoint: Option<String>,
    /// `oidc`, `google-oauth2`: the UserInfo endpoint, asked for the profile claims the ID
    /// token lacks (default: discovery's `userinfo_endpoint`; Google's published one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_endpoint: Option<String>,
}

impl fmt::Debug for ConnectionDecl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionDecl")
            .field("name", &self.name)
            .field("strategy", &self.strategy)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("client_secret_env", &self.client_secret_env)
            .finish_non_exhaustive()
    }
}

impl ConnectionDecl {
    /// The checked connection; `env` reads `client_secret_env`.
    pub fn resolve(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Connection, ConnectionError> {
        let named = || self.name.clone();
        let secret = match (&self.client_secret, &self.client_secret_env) {
            (Some(s), _) => s.clone(),
            (None, Some(var)) => {
                env(var).ok_or_else(|| ConnectionError::SecretEnv(named(), var.clone()))?
            }
            (None, None) => String::new(),
        };
        let google = Strategy::parse(&self.strategy) == Some(Strategy::Google);
        let (issuer, issuer_override) = if google {
            (None, self.issuer.clone())
        } else {
            (self.issuer.clone(), None)
        };
        let mut c = Connection::new(
            &self.name,
            &self.strategy,
            &self.client_id,
            Secret(secret),
            issuer,
            Endpoints {
                issuer: issuer_override,
                authorization_endpoint: self.authorization_endpoint.clone(),
                token_endpoint: self.token_endpoint.clone(),
                jwks_uri: self.jwks_uri.clone(),
                user_endpoint: self.user_endpoint.clone(),
                emails_endpoint: self.emails_endpoint.clone(),
                userinfo_endpoint: self.userinfo_endpoint.clone(),
            },
        )?;
        if let Some(scopes) = &self.scopes {
            c.scopes = scopes
                .iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
        }
        c.enabled_clients = self.enabled_clients.clone();
        if let Some(label) = self
            .display_name
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            c.display_name = label.chars().take(60).collect();
        }
        Ok(c)
    }
}

/// Resolves a list, refusing duplicate names.
pub fn resolve_all(
    decls: &[ConnectionDecl],
    env: impl Fn(&str) -> Option<String>,
) -> Result<Vec<Connection>, ConnectionError> {
    let mut out: Vec<Connection> = Vec::with_capacity(decls.len());
    for d in decls {
        let c = d.resolve(&env)?;
        if out.iter().any(|o| o.name == c.name) {
            return Err(ConnectionError::Duplicate(c.name));
        }
        out.push(c);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_come_inline_or_from_the_environment_and_are_never_printed() {
        let decl: ConnectionDecl = toml::from_str(
            r#"
            name = "google"
            strategy = "google-oauth2"
            client_id = "id"
            client_secret_env = "GOOGLE_SECRET"
            enabled_clients = ["app1"]
            "#,
        )
        .unwrap();
        assert!(matches!(
            decl.resolve(|_| None),
            Err(ConnectionError::SecretEnv(..))
        ));
        let c = decl
            .resolve(|v| (v == "GOOGLE_SECRET").then(|| "s3cret".to_owned()))
            .unwrap();
        assert_eq!(c.client_secret.0, "s3cret");
        assert!(!c.enabled_for("app2"));
        let inline = ConnectionDecl {
            client_secret: Some("hunter2".into()),
            ..decl
        };
        assert!(!format!("{inline:?}").contains("hunter2"));
        assert!(!format!("{:?}", inline.resolve(|_| None).unwrap()).contains("hunter2"));
        assert!(matches!(
            resolve_all(&[inline.clone(), inline], |_| None),
            Err(ConnectionError::Duplicate(_))
        ));
    }
}
