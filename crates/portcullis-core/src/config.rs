//! Protocol settings: the issuer and every lifetime. Built and validated once at start-up by the
//! binary; the engine only reads it.

use std::fmt;

/// The issuer identifier (OIDC Discovery §3, RFC 8414 §2): an absolute http(s) URL without query
/// or fragment, always ending in `/` as Auth0's does (`https://id.example.com/`). The same string
/// is used byte-for-byte in discovery and in every token's `iss`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer(String);

/// Why an issuer URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssuerError {
    #[error("the issuer must be an absolute URL such as https://id.example.com/ ({0})")]
    NotAUrl(String),
    #[error("the issuer must use https (http is allowed only for localhost and 127.0.0.1)")]
    NotHttps,
    #[error("the issuer must not have a query or fragment")]
    QueryOrFragment,
}

impl Issuer {
    /// Parses and normalises (adds the trailing slash). `http` is accepted only for loopback
    /// hosts, for local development (RFC 8414 §2 requires https).
    pub fn parse(text: &str) -> Result<Self, IssuerError> {
        let url = url::Url::parse(text.trim()).map_err(|e| IssuerError::NotAUrl(e.to_string()))?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(IssuerError::QueryOrFragment);
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => return Err(IssuerError::NotHttps),
            other => return Err(IssuerError::NotAUrl(format!("scheme {other}"))),
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(IssuerError::NotAUrl("no host".into()));
        }
        let mut s = url.to_string();
        if !s.ends_with('/') {
            s.push('/');
        }
        Ok(Issuer(s))
    }

    /// The issuer string, with its trailing slash.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An endpoint under the issuer: `endpoint("oauth/token")`.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{}", self.0, path.trim_start_matches('/'))
    }

    /// `scheme://host[:port]`, for comparing with `Origin` headers.
    pub fn origin(&self) -> String {
        url::Url::parse(&self.0)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default()
    }

    /// The issuer's host (a domain name or an IP address).
    pub fn host(&self) -> Option<String> {
        url::Url::parse(&self.0)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
    }

    /// Whether cookies must be `Secure` (https issuer).
    pub fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }
}

impl fmt::Display for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Lifetimes (seconds) and limits. Defaults follow Auth0's where it has one.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub issuer: Issuer,
    /// Authorization codes (≤ 60 s, as Keycloak; RFC 6749 §4.1.2 says ≤ 10 minutes).
    pub code_lifetime: i64,
    /// ID tokens (Auth0: 36000).
    pub id_token_lifetime: i64,
    /// Access tokens with no API audience (only good for /userinfo).
    pub userinfo_token_lifetime: i64,
    /// Refresh tokens, absolute from the first authorization (Auth0: 30 days).
    pub refresh_token_lifetime: i64,
    /// Refresh tokens, inactivity (Auth0: 15 days): a token unused this long expires.
    pub refresh_token_idle_lifetime: i64,
    /// IdP session inactivity timeout (Auth0: 3 days).
    pub session_idle_lifetime: i64,
    /// IdP session absolute lifetime (Auth0: 7 days).
    pub session_lifetime: i64,
    /// Failed sign-ins for one user from one IP before that pair is blocked (Auth0: 10).
    pub max_failed_logins: u32,
    /// How long failed sign-ins are counted / a block lasts.
    pub failed_login_window: i64,
    /// Failed client authentications for one client from one address before that pair is
    /// throttled.
    pub max_failed_client_auth: u32,
    /// Authentications naming unknown applications from one address before that address is
    /// throttled (such requests get no per-client counter).
    pub max_unknown_client_auth_per_ip: u32,
    /// How long the previous signing key stays published after a rotation.
    pub previous_key_lifetime: i64,
    /// Whether people may create accounts on the hosted pages (Auth0: on by default for the
    /// database connection).
    pub signup_enabled: bool,
    /// How long a sign-up waits for its email to be confirmed (link and code).
    pub signup_lifetime: i64,
    /// How long a password-reset link works.
    pub reset_lifetime: i64,
    /// How long a link confirming an existing account's email works (Auth0: 5 days).
    pub verification_lifetime: i64,
    /// Sign-ups and reset requests for one email address per `failed_login_window`.
    pub max_account_mails_per_email: u32,
    /// Sign-ups and reset requests from one address per minute (offices and schools share one
    /// address, so this is generous, as Auth0's suspicious-IP throttling is).
    pub max_account_requests_per_ip_per_minute: u32,
    /// Management API requests one application may make per minute (Auth0 limits per
    /// application too); `X-RateLimit-*` headers tell how many are left, and then 429.
    pub management_api_requests_per_minute: u32,
    /// The name mails and pages use for the service.
    pub product_name: String,
    /// A logo the pages show instead of the built-in one (https, or http on loopback).
    pub logo_url: Option<String>,
    /// The accent colour of the pages and mails, `#rrggbb`.
    pub primary_color: Option<String>,
    /// Upstream connections declared in the configuration (social and enterprise sign-in).
    pub connections: Vec<std::sync::Arc<crate::upstream::Connection>>,
    /// The tenant's multi-factor policy unless the tenant file sets one (default `optional`).
    pub mfa: crate::mfa::MfaPolicy,
    /// How long audit log events are kept, in days (Auth0 keeps 2 to 30 days by plan).
    pub audit_log_retention_days: i64,
    /// Whether audit log events are also printed to standard output, one JSON object per line,
    /// for a log shipper.
    pub audit_log_stdout: bool,
}

impl ProviderConfig {
    /// The defaults for an issuer.
    pub fn new(issuer: Issuer) -> Self {
        ProviderConfig {
            issuer,
            code_lifetime: 60,
            id_token_lifetime: 36_000,
            userinfo_token_lifetime: 86_400,
            refresh_token_lifetime: 30 * 86_400,
            refresh_token_idle_lifetime: 15 * 86_400,
            session_idle_lifetime: 3 * 86_400,
            session_lifetime: 7 * 86_400,
            max_failed_logins: 10,
            failed_login_window: 3_600,
            max_failed_client_auth: 20,
            max_unknown_client_auth_per_ip: 100,
            previous_key_lifetime: 2 * 86_400,
            signup_enabled: true,
            signup_lifetime: 86_400,
            reset_lifetime: 3_600,
            verification_lifetime: 5 * 86_400,
            max_account_mails_per_email: 5,
            max_account_requests_per_ip_per_minute: 30,
            management_api_requests_per_minute: 600,
            product_name: "Portcullis".to_owned(),
            logo_url: None,
            primary_color: None,
            connections: Vec::new(),
            mfa: crate::mfa::MfaPolicy::Optional,
            audit_log_retention_days: 30,
            audit_log_stdout: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_gets_a_trailing_slash_and_refuses_unsafe_forms() {
        assert_eq!(
            Issuer::parse("https://id.example.com").unwrap().as_str(),
            "https://id.example.com/"
        );
        assert_eq!(
            Issuer::parse("http://localhost:3000").unwrap().as_str(),
            "http://localhost:3000/"
        );
        assert_eq!(
            Issuer::parse("http://127.0.0.1:3000/")
                .unwrap()
                .endpoint("/oauth/token"),
            "http://127.0.0.1:3000/oauth/token"
        );
        assert_eq!(
            Issuer::parse("http://id.example.com"),
            Err(IssuerError::NotHttps)
        );
        assert_eq!(
            Issuer::parse("https://id.example.com/?a=b"),
            Err(IssuerError::QueryOrFragment)
        );
        assert!(Issuer::parse("id.example.com").is_err());
        assert_eq!(
            Issuer::parse("http://localhost:3000").unwrap().origin(),
            "http://localhost:3000"
        );
    }
}
