//! The client: discovery, token requests, ID-token validation, session cookies.

use std::sync::Arc;
use std::time::Duration;

use portcullis_bearer::{Algorithm, JwksCache, ProviderMetadata, fetch_metadata};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::Error;
use crate::config::Config;
use crate::cookies::{CookieOptions, RequestCookies};
use crate::jwe::CookieKey;
use crate::options::SameSite;
use crate::session::{Internal, SessionData, TokenSet, User};

pub(crate) const TXN_PREFIX: &str = "__txn_";
pub(crate) const TXN_MAX_AGE: u64 = 3600;
/// Clock tolerance for ID-token `exp`/`iat`/`auth_time` (oauth4webapi uses 30 s).
const ID_TOKEN_LEEWAY: u64 = 30;

/// Sign-in for an axum app. Cheap to clone; build once at startup.
///
/// Mount [`router`](Self::router) and wrap the app in [`session_layer`](Self::session_layer).
#[derive(Clone)]
pub struct PortcullisAuth {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) key: CookieKey,
    pub(crate) http: reqwest::Client,
    pub(crate) cookie: CookieOptions,
    pub(crate) txn_cookie: CookieOptions,
    discovered: tokio::sync::OnceCell<(ProviderMetadata, JwksCache)>,
}

impl std::fmt::Debug for PortcullisAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortcullisAuth")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// A token endpoint answer (RFC 6749 §5.1).
#[derive(Debug, Deserialize)]
pub(crate) struct TokenResponse {
    pub(crate) access_token: String,
    #[serde(default)]
    pub(crate) token_type: Option<String>,
    #[serde(default)]
    pub(crate) expires_in: Option<Value>,
    #[serde(default)]
    pub(crate) id_token: Option<String>,
    #[serde(default)]
    pub(crate) refresh_token: Option<String>,
    #[serde(default)]
    pub(crate) scope: Option<String>,
}

impl TokenResponse {
    pub(crate) fn expires_in(&self) -> u64 {
        match &self.expires_in {
            Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
            Some(Value::String(s)) => s.parse().unwrap_or(0),
            _ => 0,
        }
    }
}

/// What the ID token must match besides the static configuration.
pub(crate) struct IdTokenExpectations<'a> {
    pub(crate) nonce: Option<&'a str>,
    pub(crate) max_age: Option<u64>,
}

impl PortcullisAuth {
    /// Builds the client. No network access happens until the first sign-in.
    pub fn new(config: Config) -> Result<Self, Error> {
        let http = match &config.http {
            Some(c) => c.clone(),
            None => reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .build()
                .map_err(|e| Error::Config(format!("HTTP client: {e}")))?,
        };
        let cookie = CookieOptions {
            secure: config.secure_cookies(),
            path: config.cookie.path.clone(),
            domain: config.cookie.domain.clone(),
            same_site: config.cookie.same_site,
        };
        // The transaction cookie must reach the callback, a cross-site navigation from the
        // provider: never `Strict`.
        let txn_cookie = CookieOptions {
            same_site: match config.cookie.same_site {
                SameSite::Strict => SameSite::Lax,
                other => other,
            },
            ..cookie.clone()
        };
        Ok(Self {
            inner: Arc::new(Inner {
                key: CookieKey::derive(config.secret.expose()),
                config,
                http,
                cookie,
                txn_cookie,
                discovered: tokio::sync::OnceCell::new(),
            }),
        })
    }

    /// [`Config::from_env`] then [`new`](Self::new).
    pub fn from_env() -> Result<Self, Error> {
        Self::new(Config::from_env()?)
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The session cookie's name.
    pub(crate) fn session_cookie(&self) -> &str {
        &self.inner.config.cookie.name
    }

    /// The provider's discovery document (fetched once, then cached).
    pub async fn metadata(&self) -> Result<&ProviderMetadata, Error> {
        Ok(&self.discovered().await?.0)
    }

    pub(crate) async fn discovered(&self) -> Result<&(ProviderMetadata, JwksCache), Error> {
        self.inner
            .discovered
            .get_or_try_init(|| async {
                let metadata = fetch_metadata(&self.inner.http, &self.inner.config.issuer)
                    .await
                    .map_err(|e| Error::Provider(e.to_string()))?;
                let jwks = JwksCache::new(
                    self.inner.http.clone(),
                    metadata.jwks_uri.clone(),
                    Algorithm::ASYMMETRIC,
                    self.inner.config.clock.clone(),
                );
                Ok((metadata, jwks))
            })
            .await
    }

    /// POSTs a grant to the token endpoint with `client_secret_post`.
    pub(crate) async fn token_request(
        &self,
        mut form: Vec<(&str, String)>,
    ) -> Result<TokenResponse, Error> {
        let metadata = self.metadata().await?;
        let endpoint = metadata
            .token_endpoint
            .clone()
            .ok_or_else(|| Error::Provider("no token_endpoint in discovery".into()))?;
        let c = &self.inner.config;
        form.push(("client_id", c.client_id.clone()));
        if let Some(secret) = &c.client_secret {
            form.push(("client_secret", secret.expose().to_owned()));
        }
        let response = self
            .inner
            .http
            .post(&endpoint)
            .header(http::header::ACCEPT, "application/json")
            .form(&form)
            .send()
            .await
            .map_err(|e| Error::Token(format!("POST {endpoint}: {e}")))?;
        let status = response.status();
        let body: Value = response.json().await.map_err(|e| {
            Error::Token(format!(
                "token endpoint answered {status} with non-JSON: {e}"
            ))
        })?;
        if !status.is_success() {
            let error = body
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("unknown");
            let description = body
                .get("error_description")
                .and_then(Value::as_str)
                .unwrap_or("");
            // RFC 6749 §5.2: `invalid_grant` means the grant (code or refresh token) is
            // invalid, expired or revoked. Only signing in again helps; it is not an outage.
            if error == "invalid_grant" {
                return Err(Error::ReauthenticationRequired(format!(
                    "{error} {description}"
                )));
            }
            return Err(Error::Token(format!("{status}: {error} {description}")));
        }
        let tokens: TokenResponse = serde_json::from_value(body)
            .map_err(|e| Error::Token(format!("unusable token response: {e}")))?;
        if tokens.access_token.is_empty() {
            return Err(Error::Token("empty access_token".into()));
        }
        if !tokens
            .token_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("bearer") || t.eq_ignore_ascii_case("dpop"))
        {
            return Err(Error::Token("token_type must be Bearer".into()));
        }
        Ok(tokens)
    }

    /// Validates an ID token (OpenID Connect Core §3.1.3.7): signature via the JWKS, `iss`,
    /// `aud`, `azp`, `exp`, `iat`, `nonce`, and `auth_time` with `max_age`.
    pub(crate) async fn validate_id_token(
        &self,
        id_token: &str,
        expect: IdTokenExpectations<'_>,
    ) -> Result<Map<String, Value>, Error> {
        let (metadata, jwks) = self.discovered().await?;
        let allowed: Vec<Algorithm> = if metadata.id_token_signing_alg_values_supported.is_empty() {
            vec![Algorithm::RS256]
        } else {
            metadata
                .id_token_signing_alg_values_supported
                .iter()
                .filter_map(|a| a.parse::<Algorithm>().ok())
                .filter(|a| !a.is_symmetric())
                .collect()
        };
        let (_, claims) = jwks.verify(id_token, &allowed).await.map_err(|e| match e {
            portcullis_bearer::Error::InvalidToken(r) => Error::IdToken(r),
            other => Error::Provider(other.to_string()),
        })?;
        let c = &self.inner.config;
        let now = c.now();
        let s = |k: &str| claims.get(k).and_then(Value::as_str);
        let n = |k: &str| claims.get(k).and_then(Value::as_u64);
        if s("iss") != Some(metadata.issuer.as_str()) {
            return Err(Error::IdToken("unexpected iss".into()));
        }
        if s("sub").is_none() {
            return Err(Error::IdToken("missing sub".into()));
        }
        let aud: Vec<&str> = match claims.get("aud") {
            Some(Value::String(a)) => vec![a.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !aud.contains(&c.client_id.as_str()) {
            return Err(Error::IdToken("aud does not contain the client_id".into()));
        }
        if (aud.len() > 1 || claims.contains_key("azp")) && s("azp") != Some(c.client_id.as_str()) {
            return Err(Error::IdToken("azp does not match the client_id".into()));
        }
        let exp = n("exp").ok_or_else(|| Error::IdToken("missing exp".into()))?;
        if now >= exp + ID_TOKEN_LEEWAY {
            return Err(Error::IdToken("expired".into()));
        }
        let iat = n("iat").ok_or_else(|| Error::IdToken("missing iat".into()))?;
        if iat > now + ID_TOKEN_LEEWAY {
            return Err(Error::IdToken("iat is in the future".into()));
        }
        match (expect.nonce, s("nonce")) {
            (Some(expected), Some(actual)) if expected == actual => {}
            (None, _) => {}
            _ => return Err(Error::IdToken("nonce mismatch".into())),
        }
        if let Some(max_age) = expect.max_age {
            let auth_time = n("auth_time")
                .ok_or_else(|| Error::IdToken("auth_time required with max_age".into()))?;
            if now > auth_time + max_age + ID_TOKEN_LEEWAY {
                return Err(Error::IdToken(
                    "too much time has passed since authentication (max_age)".into(),
                ));
            }
        }
        Ok(claims)
    }

    /// Builds the session from a callback's token response.
    pub(crate) fn new_session(
        &self,
        claims: &Map<String, Value>,
        tokens: TokenResponse,
        requested_scope: Option<String>,
        audience: Option<String>,
    ) -> SessionData {
        let now = self.inner.config.now();
        let user: Map<String, Value> = claims
            .iter()
            .filter(|(k, _)| self.inner.config.keeps_claim(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let expires_at = now + tokens.expires_in();
        SessionData {
            user: User::from_claims(user),
            token_set: TokenSet {
                access_token: tokens.access_token,
                id_token: tokens.id_token,
                scope: tokens.scope,
                requested_scope,
                audience,
                refresh_token: tokens.refresh_token,
                expires_at,
                token_type: tokens.token_type,
            },
            internal: Internal {
                sid: claims.get("sid").and_then(Value::as_str).map(str::to_owned),
                created_at: now,
            },
            extra: Map::new(),
        }
    }

    /// Reads the session from request cookies, with the cookie's expiry: `None` when absent,
    /// undecryptable, expired, or past its absolute lifetime.
    pub(crate) fn read_session(&self, cookies: &RequestCookies) -> Option<(SessionData, u64)> {
        let (claims, exp) = self.read_cookie(cookies)?;
        let c = &self.inner.config;
        let now = c.now();
        let data = SessionData::from_claims(claims)?;
        if now >= data.internal.created_at + c.absolute_duration.as_secs() {
            return None;
        }
        Some((data, exp))
    }

    /// The session cookie's claims and expiry, if it decrypts and has not expired.
    pub(crate) fn read_cookie(
        &self,
        cookies: &RequestCookies,
    ) -> Option<(Map<String, Value>, u64)> {
        let raw = cookies.get_chunked(self.session_cookie())?;
        let claims = self.inner.key.decrypt(&raw, self.inner.config.now())?;
        let exp = claims.get("exp").and_then(Value::as_u64)?;
        Some((claims, exp))
    }

    /// The rolling expiry of a session written now: min(now + inactivity, created_at + absolute).
    pub(crate) fn rolling_expiry(&self, data: &SessionData, now: u64) -> u64 {
        let c = &self.inner.config;
        (now + c.inactivity_duration.as_secs())
            .min(data.internal.created_at + c.absolute_duration.as_secs())
    }

    /// Whether an unchanged session's cookie (expiring at `cookie_exp`) should be rewritten to
    /// roll its expiry forward: only once less than half of the inactivity duration is left and
    /// the expiry can still move. Rewriting on every response would let a request that did not
    /// refresh overwrite the cookie a concurrent request just wrote with rotated tokens.
    pub(crate) fn rolling_due(&self, data: &SessionData, cookie_exp: u64) -> bool {
        let now = self.inner.config.now();
        let half = self.inner.config.inactivity_duration.as_secs() / 2;
        cookie_exp.saturating_sub(now) < half && self.rolling_expiry(data, now) > cookie_exp
    }

    /// `Set-Cookie` values for a session, rolling its expiry.
    pub(crate) fn write_session(
        &self,
        data: &SessionData,
        cookies: &RequestCookies,
    ) -> Vec<String> {
        let now = self.inner.config.now();
        let expires = self.rolling_expiry(data, now);
        let max_age = expires.saturating_sub(now);
        let jwe = self.inner.key.encrypt(&data.to_claims(), expires);
        self.inner
            .cookie
            .set_chunked(self.session_cookie(), &jwe, max_age, cookies)
    }

    /// Refreshes the tokens of `data` when `force` is set or the access token expires within
    /// the configured [`refresh_margin`](crate::ConfigBuilder::refresh_margin). Returns whether
    /// it changed.
    pub(crate) async fn refresh_if_due(
        &self,
        data: &mut SessionData,
        force: bool,
    ) -> Result<bool, Error> {
        let c = &self.inner.config;
        let now = c.now();
        if !force && data.token_set.expires_at > now + c.refresh_margin.as_secs() {
            return Ok(false);
        }
        let refresh_token = data
            .token_set
            .refresh_token
            .clone()
            .ok_or(Error::MissingRefreshToken)?;
        let mut new_claims = None;
        let tokens = self
            .token_request(vec![
                ("grant_type", "refresh_token".into()),
                ("refresh_token", refresh_token),
            ])
            .await?;
        if let Some(id_token) = &tokens.id_token {
            let claims = self
                .validate_id_token(
                    id_token,
                    IdTokenExpectations {
                        nonce: None,
                        max_age: None,
                    },
                )
                .await?;
            if claims.get("sub") != data.user.claim("sub") {
                return Err(Error::IdToken(
                    "refreshed ID token is for another user".into(),
                ));
            }
            for (k, v) in &claims {
                if self.inner.config.keeps_claim(k) {
                    data.user.claims_mut().insert(k.clone(), v.clone());
                }
            }
            data.token_set.id_token = Some(id_token.clone());
            new_claims = Some(claims);
        }
        let ts = &mut data.token_set;
        ts.expires_at = now + tokens.expires_in();
        ts.access_token = tokens.access_token;
        if tokens.scope.is_some() {
            ts.scope = tokens.scope;
        }
        if tokens.refresh_token.is_some() {
            ts.refresh_token = tokens.refresh_token;
        }
        ts.token_type = tokens.token_type.or(ts.token_type.take());
        if let Some(claims) = new_claims {
            *data = self
                .inner
                .config
                .hooks
                .before_session_saved(data.clone(), &claims)
                .await?;
        }
        Ok(true)
    }

    /// Best-effort refresh-token revocation at logout (RFC 7009); errors are logged only.
    pub(crate) async fn revoke(&self, refresh_token: &str) {
        let Ok(metadata) = self.metadata().await else {
            return;
        };
        let Some(endpoint) = metadata.revocation_endpoint.clone() else {
            return;
        };
        let c = &self.inner.config;
        let mut form = vec![
            ("token", refresh_token.to_owned()),
            ("token_type_hint", "refresh_token".to_owned()),
            ("client_id", c.client_id.clone()),
        ];
        if let Some(secret) = &c.client_secret {
            form.push(("client_secret", secret.expose().to_owned()));
        }
        match self.inner.http.post(&endpoint).form(&form).send().await {
            Ok(r) if r.status().is_success() => {}
            Ok(r) => tracing::warn!(status = %r.status(), "refresh token revocation refused"),
            Err(e) => tracing::warn!(error = %e, "refresh token revocation failed"),
        }
    }
}
