//! Configuration, from the nextjs-auth0 v4 environment or a builder.

use std::time::Duration;

use portcullis_bearer::clock::{Clock, system_clock};
use url::Url;

use std::future::Future;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::Error;
use crate::hooks::{CallbackOutcome, Hooks};
use crate::options::{CookieSettings, Routes, SameSite};
use crate::session::{DEFAULT_USER_CLAIMS, SessionData};
use crate::store::SessionStore;

/// A secret that never shows in `Debug` output.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// The secret value.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Validated configuration. Build it with [`Config::builder`] or [`Config::from_env`].
#[derive(Clone)]
#[non_exhaustive]
pub struct Config {
    /// Issuer URL (`https://{AUTH0_DOMAIN}/` when a bare domain is given).
    pub issuer: String,
    /// OAuth client id.
    pub client_id: String,
    /// Client secret, sent with `client_secret_post`.
    pub client_secret: Option<Secret>,
    /// Cookie-encryption secret (at least 32 characters).
    pub secret: Secret,
    /// The application's external base URL, e.g. `https://app.example.com`.
    pub app_base_url: Url,
    /// Requested scope (default `openid profile email offline_access`).
    pub scope: String,
    /// Default `audience` authorize parameter, for APIs (Auth0 style).
    pub audience: Option<String>,
    /// `max_age` authorize parameter; `auth_time` is then required and checked.
    pub max_age: Option<u64>,
    /// Session inactivity timeout (default 1 day).
    pub inactivity_duration: Duration,
    /// Absolute session lifetime (default 3 days).
    pub absolute_duration: Duration,
    /// Session-cookie attributes.
    pub cookie: CookieSettings,
    /// The SDK's route paths.
    pub routes: Routes,
    /// Requests under these path prefixes are API calls: `401` JSON instead of a redirect to
    /// the login (default `/api`). Requests asking for JSON only (`Accept`) are too.
    pub api_prefixes: Vec<String>,
    /// Where `/auth/logout` returns to, if not the base URL.
    pub post_logout_redirect: Option<String>,
    /// How long before its expiry an access token is refreshed (default 60 s), so a token
    /// handed to an API does not expire on the way.
    pub refresh_margin: Duration,
    /// ID-token claims kept in the session's user (default: nextjs-auth0's
    /// `DEFAULT_ID_TOKEN_CLAIMS`: `sub`, `name`, `nickname`, `given_name`, `family_name`,
    /// `picture`, `email`, `email_verified`, `org_id`).
    pub user_claims: Vec<String>,
    /// Also keep namespaced claims (names that are URLs, such as Auth0 Actions'
    /// `https://example.com/roles`). Default `true`.
    pub keep_namespaced_claims: bool,
    /// Where sessions live (default: none, all in the cookie).
    pub(crate) session_store: Option<Arc<dyn SessionStore>>,
    pub(crate) hooks: Hooks,
    pub(crate) clock: Clock,
    pub(crate) http: Option<reqwest::Client>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("secret", &self.secret)
            .field("app_base_url", &self.app_base_url.as_str())
            .field("scope", &self.scope)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Config`].
#[derive(Default)]
#[must_use]
pub struct ConfigBuilder {
    domain: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    secret: Option<String>,
    app_base_url: Option<String>,
    scope: Option<String>,
    audience: Option<String>,
    max_age: Option<u64>,
    inactivity: Option<Duration>,
    absolute: Option<Duration>,
    cookie: CookieSettings,
    routes: Routes,
    api_prefixes: Option<Vec<String>>,
    post_logout_redirect: Option<String>,
    refresh_margin: Option<Duration>,
    user_claims: Option<Vec<String>>,
    keep_namespaced_claims: Option<bool>,
    hooks: Hooks,
    session_store: Option<Arc<dyn SessionStore>>,
    clock: Option<Clock>,
    http: Option<reqwest::Client>,
}

fn env(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
}

impl Config {
    /// Starts a builder.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// Reads `AUTH0_DOMAIN`, `AUTH0_CLIENT_ID`, `AUTH0_CLIENT_SECRET`, `AUTH0_SECRET`,
    /// `APP_BASE_URL` (the first of a comma-separated list), and optionally `AUTH0_SCOPE`,
    /// `AUTH0_AUDIENCE`. Each `AUTH0_X` may be spelled `PORTCULLIS_X` instead (which wins), and
    /// `PORTCULLIS_ISSUER` may replace the domain.
    pub fn from_env() -> Result<Config, Error> {
        ConfigBuilder::default().env().build()
    }

    pub(crate) fn secure_cookies(&self) -> bool {
        self.cookie.same_site == SameSite::None
            || self
                .cookie
                .secure
                .unwrap_or(self.app_base_url.scheme() == "https")
    }

    /// Whether an ID-token claim is kept in the session's user.
    pub(crate) fn keeps_claim(&self, name: &str) -> bool {
        self.user_claims.iter().any(|c| c == name)
            || (self.keep_namespaced_claims
                && (name.starts_with("https://") || name.starts_with("http://")))
    }

    /// The callback URL sent as `redirect_uri`.
    pub(crate) fn redirect_uri(&self) -> String {
        self.app_url(&self.routes.callback)
    }

    /// `{APP_BASE_URL}{path}` (the base's own path prefix kept).
    pub(crate) fn app_url(&self, path: &str) -> String {
        let base = self.app_base_url.as_str().trim_end_matches('/');
        format!("{base}{path}")
    }

    pub(crate) fn now(&self) -> u64 {
        (self.clock)()
    }
}

impl ConfigBuilder {
    /// Fills unset fields from the environment (see [`Config::from_env`]).
    pub fn env(mut self) -> Self {
        let d = |o: Option<String>, names: &[&str]| o.or_else(|| env(names));
        self.domain = d(
            self.domain,
            &[
                "PORTCULLIS_ISSUER",
                "PORTCULLIS_DOMAIN",
                "AUTH0_DOMAIN",
                "AUTH0_ISSUER_BASE_URL",
            ],
        );
        self.client_id = d(self.client_id, &["PORTCULLIS_CLIENT_ID", "AUTH0_CLIENT_ID"]);
        self.client_secret = d(
            self.client_secret,
            &["PORTCULLIS_CLIENT_SECRET", "AUTH0_CLIENT_SECRET"],
        );
        self.secret = d(self.secret, &["PORTCULLIS_SECRET", "AUTH0_SECRET"]);
        self.app_base_url = d(
            self.app_base_url,
            &["PORTCULLIS_APP_BASE_URL", "APP_BASE_URL", "AUTH0_BASE_URL"],
        )
        .map(|v| v.split(',').next().unwrap_or_default().trim().to_owned());
        self.scope = d(self.scope, &["PORTCULLIS_SCOPE", "AUTH0_SCOPE"]);
        self.audience = d(self.audience, &["PORTCULLIS_AUDIENCE", "AUTH0_AUDIENCE"]);
        self
    }

    /// The provider: a bare domain (`tenant.example.com`, meaning `https://tenant.example.com/`)
    /// or a full issuer URL (`http://localhost:3000/` for local development).
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// Same as [`domain`](Self::domain), with a full issuer URL.
    pub fn issuer(self, issuer: impl Into<String>) -> Self {
        self.domain(issuer)
    }

    /// The client id.
    pub fn client_id(mut self, v: impl Into<String>) -> Self {
        self.client_id = Some(v.into());
        self
    }

    /// The client secret.
    pub fn client_secret(mut self, v: impl Into<String>) -> Self {
        self.client_secret = Some(v.into());
        self
    }

    /// The cookie-encryption secret (`AUTH0_SECRET`, e.g. `openssl rand -hex 32`).
    pub fn secret(mut self, v: impl Into<String>) -> Self {
        self.secret = Some(v.into());
        self
    }

    /// The application's base URL.
    pub fn app_base_url(mut self, v: impl Into<String>) -> Self {
        self.app_base_url = Some(v.into());
        self
    }

    /// The scope to request.
    pub fn scope(mut self, v: impl Into<String>) -> Self {
        self.scope = Some(v.into());
        self
    }

    /// The default API audience.
    pub fn audience(mut self, v: impl Into<String>) -> Self {
        self.audience = Some(v.into());
        self
    }

    /// Request `max_age` and check `auth_time`.
    pub fn max_age(mut self, seconds: u64) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// Session inactivity timeout (rolling).
    pub fn inactivity_duration(mut self, d: Duration) -> Self {
        self.inactivity = Some(d);
        self
    }

    /// Absolute session lifetime.
    pub fn absolute_duration(mut self, d: Duration) -> Self {
        self.absolute = Some(d);
        self
    }

    /// Cookie `Domain` attribute.
    pub fn cookie_domain(mut self, v: impl Into<String>) -> Self {
        self.cookie.domain = Some(v.into());
        self
    }

    /// Session-cookie attributes: `CookieSettings::default().name("app_session").same_site(SameSite::Strict)`.
    pub fn cookie(mut self, cookie: CookieSettings) -> Self {
        self.cookie = cookie;
        self
    }

    /// The SDK's route paths (e.g. `/login` instead of `/auth/login`).
    pub fn routes(mut self, routes: Routes) -> Self {
        self.routes = routes;
        self
    }

    /// Path prefixes of API routes (default `["/api"]`): they answer `401` JSON instead of
    /// redirecting to the login.
    pub fn api_prefixes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, prefixes: I) -> Self {
        self.api_prefixes = Some(prefixes.into_iter().map(Into::into).collect());
        self
    }

    /// Where logout returns to (default: the base URL). Must be registered at the provider.
    pub fn post_logout_redirect(mut self, v: impl Into<String>) -> Self {
        self.post_logout_redirect = Some(v.into());
        self
    }

    /// Refresh access tokens this long before they expire (default 60 s).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = Some(margin);
        self
    }

    /// The ID-token claims kept in the session (the allow-list; replaces the default one).
    pub fn user_claims<I: IntoIterator<Item = S>, S: Into<String>>(mut self, claims: I) -> Self {
        self.user_claims = Some(claims.into_iter().map(Into::into).collect());
        self
    }

    /// Whether namespaced claims (`https://…`) are kept besides the allow-list (default `true`).
    pub fn keep_namespaced_claims(mut self, keep: bool) -> Self {
        self.keep_namespaced_claims = Some(keep);
        self
    }

    /// Runs before a session is saved at sign-in and after a refresh that returned a new ID
    /// token (nextjs-auth0's `beforeSessionSaved`): receives the session and all the ID token's
    /// claims, returns the session to save (add or drop claims, fill
    /// [`SessionData::extra`](crate::SessionData::extra)), or an error that refuses the sign-in.
    pub fn before_session_saved<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(SessionData, Map<String, Value>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<SessionData, Error>> + Send + 'static,
    {
        self.hooks.set_before_session_saved(hook);
        self
    }

    /// Decides the callback's answer (nextjs-auth0's `onCallback`): receives the outcome (the
    /// session, already saved, or the error), `returnTo`, and the default answer.
    pub fn on_callback<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(CallbackOutcome) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = axum::response::Response> + Send + 'static,
    {
        self.hooks.set_on_callback(hook);
        self
    }

    /// Keep sessions in `store` instead of the cookie (which then holds only a session id):
    /// sessions can be ended from the server, and the router mounts the OpenID Connect
    /// Back-Channel Logout receiver (`/auth/backchannel-logout`).
    pub fn session_store(mut self, store: impl SessionStore) -> Self {
        self.session_store = Some(Arc::new(store));
        self
    }

    /// Replace the clock (tests).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The HTTP client for discovery, JWKS and token requests (redirects should be disabled).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Validates the configuration.
    pub fn build(self) -> Result<Config, Error> {
        let missing = |what: &str| Error::Config(format!("{what} is required"));
        let domain = self
            .domain
            .ok_or_else(|| missing("AUTH0_DOMAIN (or PORTCULLIS_ISSUER)"))?;
        let issuer = if domain.starts_with("https://") || domain.starts_with("http://") {
            domain
        } else {
            format!("https://{}/", domain.trim_end_matches('/'))
        };
        Url::parse(&issuer).map_err(|e| Error::Config(format!("issuer {issuer:?}: {e}")))?;
        let client_id = self.client_id.ok_or_else(|| missing("AUTH0_CLIENT_ID"))?;
        let secret = self.secret.ok_or_else(|| missing("AUTH0_SECRET"))?;
        if secret.len() < 32 {
            return Err(Error::Config(
                "AUTH0_SECRET must be at least 32 characters (e.g. `openssl rand -hex 32`)".into(),
            ));
        }
        let base = self.app_base_url.ok_or_else(|| missing("APP_BASE_URL"))?;
        let app_base_url =
            Url::parse(&base).map_err(|e| Error::Config(format!("APP_BASE_URL {base:?}: {e}")))?;
        if !matches!(app_base_url.scheme(), "http" | "https") {
            return Err(Error::Config("APP_BASE_URL must be http(s)".into()));
        }
        Ok(Config {
            issuer,
            client_id,
            client_secret: self.client_secret.map(Secret),
            secret: Secret(secret),
            app_base_url,
            scope: self
                .scope
                .unwrap_or_else(|| "openid profile email offline_access".into()),
            audience: self.audience,
            max_age: self.max_age,
            inactivity_duration: self.inactivity.unwrap_or(Duration::from_secs(86_400)),
            absolute_duration: self.absolute.unwrap_or(Duration::from_secs(3 * 86_400)),
            cookie: self.cookie,
            routes: self.routes,
            api_prefixes: self.api_prefixes.unwrap_or_else(|| vec!["/api".into()]),
            post_logout_redirect: self.post_logout_redirect,
            refresh_margin: self.refresh_margin.unwrap_or(Duration::from_secs(60)),
            user_claims: self.user_claims.unwrap_or_else(|| {
                DEFAULT_USER_CLAIMS
                    .iter()
                    .map(|c| (*c).to_owned())
                    .collect()
            }),
            keep_namespaced_claims: self.keep_namespaced_claims.unwrap_or(true),
            hooks: self.hooks,
            session_store: self.session_store,
            clock: self.clock.unwrap_or_else(system_clock),
            http: self.http,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_domain_becomes_https_issuer_with_slash() {
        let c = Config::builder()
            .domain("tenant.example.com")
            .client_id("c")
            .secret("x".repeat(32))
            .app_base_url("http://localhost:3000")
            .build()
            .unwrap();
        assert_eq!(c.issuer, "https://tenant.example.com/");
        assert!(!c.secure_cookies());
        assert_eq!(
            c.app_url("/auth/callback"),
            "http://localhost:3000/auth/callback"
        );
        assert!(
            Config::builder()
                .domain("d")
                .client_id("c")
                .secret("short")
                .app_base_url("http://a")
                .build()
                .is_err()
        );
    }
}
