//! The validator: configuration, and the checks applied to every token.

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Error;
use crate::claims::{self, AccessToken, NoCustomClaims};
use crate::clock::{Clock, system_clock};
use crate::discovery::{ProviderMetadata, fetch_metadata};
use crate::jwks::JwksCache;
use crate::jws::{Algorithm, Compact};

/// Validates JWT access tokens for one API (audience) from one issuer.
///
/// Cheap to clone (an `Arc`). Build one with [`Validator::builder`] at startup and share it.
#[derive(Clone)]
pub struct Validator {
    inner: Arc<Inner>,
}

struct Inner {
    issuer: String,
    audiences: Vec<String>,
    algorithms: Vec<Algorithm>,
    leeway: u64,
    require_at_jwt: bool,
    shared_secret: Option<Vec<u8>>,
    realm: Option<String>,
    clock: Clock,
    keys: KeySource,
}

#[allow(clippy::large_enum_variant)] // one per validator, behind an Arc
enum KeySource {
    Fixed(JwksCache),
    Discover {
        client: reqwest::Client,
        min_refresh: Duration,
        max_age: Duration,
        resolved: tokio::sync::OnceCell<(ProviderMetadata, JwksCache)>,
        /// When discovery last failed and why: within `min_refresh` of it the same error is
        /// answered without asking the provider again (no request storm while it is down).
        last_failure: std::sync::Mutex<Option<(u64, Error)>>,
    },
    SecretOnly,
}

impl std::fmt::Debug for Validator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Validator")
            .field("issuer", &self.inner.issuer)
            .field("audiences", &self.inner.audiences)
            .field("algorithms", &self.inner.algorithms)
            .field(
                "shared_secret",
                &self.inner.shared_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

/// Configures a [`Validator`].
#[must_use]
pub struct ValidatorBuilder {
    issuer: Option<String>,
    audiences: Vec<String>,
    jwks_uri: Option<String>,
    algorithms: Option<Vec<Algorithm>>,
    leeway: Duration,
    require_at_jwt: bool,
    shared_secret: Option<Vec<u8>>,
    realm: Option<String>,
    clock: Option<Clock>,
    client: Option<reqwest::Client>,
    min_refresh: Duration,
    max_age: Duration,
}

impl Validator {
    /// Starts a configuration.
    pub fn builder() -> ValidatorBuilder {
        ValidatorBuilder {
            issuer: None,
            audiences: Vec::new(),
            jwks_uri: None,
            algorithms: None,
            leeway: Duration::from_secs(5),
            require_at_jwt: false,
            shared_secret: None,
            realm: None,
            clock: None,
            client: None,
            min_refresh: Duration::from_secs(30),
            max_age: Duration::from_secs(600),
        }
    }

    /// The configured issuer.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The `realm` used in `WWW-Authenticate` challenges, if configured.
    pub fn realm(&self) -> Option<&str> {
        self.inner.realm.as_deref()
    }

    /// The JWKS cache (after discovery, when discovery is used).
    pub async fn jwks(&self) -> Result<Option<JwksCache>, Error> {
        match &self.inner.keys {
            KeySource::Fixed(cache) => Ok(Some(cache.clone())),
            KeySource::SecretOnly => Ok(None),
            KeySource::Discover { .. } => Ok(Some(self.resolve().await?.1.clone())),
        }
    }

    async fn resolve(&self) -> Result<&(ProviderMetadata, JwksCache), Error> {
        let KeySource::Discover {
            client,
            min_refresh,
            max_age,
            resolved,
            last_failure,
        } = &self.inner.keys
        else {
            return Err(Error::Config("no discovery configured".into()));
        };
        if let Some(done) = resolved.get() {
            return Ok(done);
        }
        let now = (self.inner.clock)();
        if let Ok(guard) = last_failure.lock()
            && let Some((at, error)) = guard.as_ref()
            && now < at.saturating_add(min_refresh.as_secs())
        {
            return Err(error.clone());
        }
        let result: Result<&(ProviderMetadata, JwksCache), Error> = resolved
            .get_or_try_init(|| async {
                let metadata = fetch_metadata(client, &self.inner.issuer).await?;
                if metadata.issuer != self.inner.issuer {
                    tracing::warn!(
                        configured = %self.inner.issuer,
                        discovered = %metadata.issuer,
                        "issuer spelled differently from discovery; tokens must carry the discovered value"
                    );
                }
                let cache = JwksCache::new(
                    client.clone(),
                    metadata.jwks_uri.clone(),
                    &self.inner.algorithms,
                    self.inner.clock.clone(),
                )
                .with_min_refresh_interval(*min_refresh)
                .with_max_age(*max_age);
                Ok((metadata, cache))
            })
            .await;
        if let (Err(error), Ok(mut guard)) = (&result, last_failure.lock()) {
            *guard = Some((now, error.clone()));
        }
        result
    }

    /// The issuer that tokens' `iss` must equal: the discovered one once discovery has run
    /// (it always has for asymmetric tokens), else the configured one (HS* tokens never need
    /// the network).
    fn expected_issuer(&self) -> &str {
        match &self.inner.keys {
            KeySource::Discover { resolved, .. } => resolved
                .get()
                .map_or(self.inner.issuer.as_str(), |(m, _)| m.issuer.as_str()),
            _ => &self.inner.issuer,
        }
    }

    /// Validates a token and returns its claims with no custom claim type.
    pub async fn validate(&self, token: &str) -> Result<AccessToken<NoCustomClaims>, Error> {
        self.validate_as(token).await
    }

    /// Validates a token: signature (asymmetric keys from the issuer's JWKS, or HS* with the
    /// configured secret), `typ` if required, then `iss` (exact), `aud`, `exp` and `nbf` (with
    /// leeway). Custom claims are deserialized into `C`.
    pub async fn validate_as<C: DeserializeOwned>(
        &self,
        token: &str,
    ) -> Result<AccessToken<C>, Error> {
        let inner = &self.inner;
        let compact = Compact::parse(token, &inner.algorithms)?;
        if inner.require_at_jwt {
            let typ = compact.header.typ.as_deref().unwrap_or("");
            let typ = typ.strip_prefix("application/").unwrap_or(typ);
            if !typ.eq_ignore_ascii_case("at+jwt") {
                return Err(Error::invalid("typ must be \"at+jwt\""));
            }
        }
        if compact.header.alg.is_symmetric() {
            let secret = inner
                .shared_secret
                .as_deref()
                .ok_or_else(|| Error::invalid("symmetric algorithms are not allowed"))?;
            compact.verify_hmac(secret)?;
        } else {
            let cache = self
                .jwks()
                .await?
                .ok_or_else(|| Error::invalid("asymmetric algorithms are not configured"))?;
            cache.verify_compact(&compact).await?;
        }
        let claims = compact.claims()?;
        let now = (inner.clock)();

        let issuer = self.expected_issuer();
        match claims.get("iss").and_then(Value::as_str) {
            Some(iss) if iss == issuer => {}
            Some(_) => return Err(Error::invalid("unexpected \"iss\" value")),
            None => return Err(Error::invalid("missing \"iss\" claim")),
        }

        let audience = match claims.get("aud") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            None => return Err(Error::invalid("missing \"aud\" claim")),
            _ => {
                return Err(Error::invalid(
                    "\"aud\" must be a string or an array of strings",
                ));
            }
        };
        if !audience.iter().any(|a| inner.audiences.contains(a)) {
            return Err(Error::invalid("unexpected \"aud\" value"));
        }

        let exp =
            numeric(&claims, "exp")?.ok_or_else(|| Error::invalid("missing \"exp\" claim"))?;
        if now >= exp.saturating_add(inner.leeway) {
            return Err(Error::invalid("token expired"));
        }
        if let Some(nbf) = numeric(&claims, "nbf")?
            && nbf > now.saturating_add(inner.leeway)
        {
            return Err(Error::invalid("token not yet valid (\"nbf\")"));
        }
        numeric(&claims, "iat")?;
        for name in ["sub", "client_id", "jti"] {
            if claims.get(name).is_some_and(|v| !v.is_string()) {
                return Err(Error::invalid(format!("\"{name}\" must be a string")));
            }
        }
        claims::build(claims, audience, exp)
    }
}

fn numeric(claims: &serde_json::Map<String, Value>, name: &str) -> Result<Option<u64>, Error> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
            .map(Some)
            .ok_or_else(|| Error::invalid(format!("\"{name}\" must be a number"))),
    }
}

impl ValidatorBuilder {
    /// The issuer. Without [`jwks_uri`](Self::jwks_uri), its discovery document is fetched on
    /// first use to find the JWKS; tokens' `iss` must then equal the discovered `issuer` exactly.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// An audience this API accepts (call again to accept several). At least one is required.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Use this JWKS URL instead of discovery; tokens' `iss` must equal the configured issuer.
    pub fn jwks_uri(mut self, uri: impl Into<String>) -> Self {
        self.jwks_uri = Some(uri.into());
        self
    }

    /// Restricts the accepted algorithms (default: all asymmetric ones; HS* only with a secret).
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = Some(algorithms.into_iter().collect());
        self
    }

    /// Clock skew tolerated on `exp` and `nbf` (default 5 s, as express-oauth2-jwt-bearer).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Require the `typ: at+jwt` header of RFC 9068.
    pub fn require_at_jwt_typ(mut self, require: bool) -> Self {
        self.require_at_jwt = require;
        self
    }

    /// Accept HS256/384/512 tokens signed with this shared secret. Only then are symmetric
    /// algorithms accepted; keys from a JWKS are never used for them.
    pub fn shared_secret(mut self, secret: impl Into<Vec<u8>>) -> Self {
        self.shared_secret = Some(secret.into());
        self
    }

    /// The `realm` to name in `WWW-Authenticate` challenges.
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// The HTTP client used for discovery and JWKS fetches.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// The minimum time between JWKS fetches caused by unknown `kid`s (default 30 s).
    pub fn jwks_min_refresh_interval(mut self, interval: Duration) -> Self {
        self.min_refresh = interval;
        self
    }

    /// How long a fetched JWKS is used before a proactive refresh (default 10 min).
    pub fn jwks_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// Replace the system clock (tests).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Checks the configuration and builds the validator. No network access happens here.
    pub fn build(self) -> Result<Validator, Error> {
        let issuer = self
            .issuer
            .ok_or_else(|| Error::Config("an issuer is required".into()))?;
        if self.audiences.is_empty() {
            return Err(Error::Config("at least one audience is required".into()));
        }
        let mut algorithms = self.algorithms.unwrap_or_else(|| {
            let mut all = Algorithm::ASYMMETRIC.to_vec();
            if self.shared_secret.is_some() {
                all.extend_from_slice(Algorithm::SYMMETRIC);
            }
            all
        });
        if self.shared_secret.is_none() {
            algorithms.retain(|a| !a.is_symmetric());
        }
        if algorithms.is_empty() {
            return Err(Error::Config("no usable algorithm".into()));
        }
        let only_symmetric = algorithms.iter().all(|a| a.is_symmetric());
        let clock = self.clock.unwrap_or_else(system_clock);
        let client = match self.client {
            Some(c) => c,
            None => reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .build()
                .map_err(|e| Error::Config(format!("HTTP client: {e}")))?,
        };
        let keys = if only_symmetric {
            KeySource::SecretOnly
        } else if let Some(uri) = self.jwks_uri {
            KeySource::Fixed(
                JwksCache::new(client, uri, &algorithms, clock.clone())
                    .with_min_refresh_interval(self.min_refresh)
                    .with_max_age(self.max_age),
            )
        } else {
            KeySource::Discover {
                client,
                min_refresh: self.min_refresh,
                max_age: self.max_age,
                resolved: tokio::sync::OnceCell::new(),
                last_failure: std::sync::Mutex::new(None),
            }
        };
        Ok(Validator {
            inner: Arc::new(Inner {
                issuer,
                audiences: self.audiences,
                algorithms,
                leeway: self.leeway.as_secs(),
                require_at_jwt: self.require_at_jwt,
                shared_secret: self.shared_secret,
                realm: self.realm,
                clock,
                keys,
            }),
        })
    }
}
