//! The validator: configuration, and the checks applied to every token.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Error;
use crate::claims::{self, AccessToken, NoCustomClaims};
use crate::clock::{Clock, system_clock};
use crate::issuer::{Issuer, KeySettings};
use crate::jwks::JwksCache;
use crate::jws::{Algorithm, Compact};

/// Decides whether a token's `iss` is trusted when it is not among the configured issuers
/// (e.g. one issuer per tenant); its keys are then found by discovery.
pub type IssuerResolver = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// How many issuers a resolver may add; beyond, tokens from new issuers are refused.
const MAX_RESOLVED_ISSUERS: usize = 1000;

/// Validates JWT access tokens for one API (audience) from one or several issuers.
///
/// Cheap to clone (an `Arc`). Build one with [`Validator::builder`] at startup and share it.
#[derive(Clone)]
pub struct Validator {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    issuers: Vec<Arc<Issuer>>,
    resolver: Option<IssuerResolver>,
    resolved: Mutex<HashMap<String, Arc<Issuer>>>,
    audiences: Vec<String>,
    pub(crate) algorithms: Vec<Algorithm>,
    pub(crate) leeway: u64,
    require_at_jwt: bool,
    shared_secret: Option<Vec<u8>>,
    realm: Option<String>,
    pub(crate) clock: Clock,
    keys: KeySettings,
    pub(crate) dpop: crate::dpop::DpopSettings,
}

impl std::fmt::Debug for Validator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Validator")
            .field(
                "issuers",
                &self
                    .inner
                    .issuers
                    .iter()
                    .map(|i| i.configured.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("resolver", &self.inner.resolver.is_some())
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
    issuers: Vec<String>,
    resolver: Option<IssuerResolver>,
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
    dpop: crate::dpop::DpopSettings,
}

impl Validator {
    /// Starts a configuration.
    pub fn builder() -> ValidatorBuilder {
        ValidatorBuilder {
            issuers: Vec::new(),
            resolver: None,
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
            dpop: crate::dpop::DpopSettings::default(),
        }
    }

    /// The (first) configured issuer.
    pub fn issuer(&self) -> &str {
        self.inner
            .issuers
            .first()
            .map_or("", |i| i.configured.as_str())
    }

    /// The `realm` used in `WWW-Authenticate` challenges, if configured.
    pub fn realm(&self) -> Option<&str> {
        self.inner.realm.as_deref()
    }

    /// The JWKS cache of the (first) configured issuer (after discovery, when discovery is used).
    pub async fn jwks(&self) -> Result<Option<JwksCache>, Error> {
        match self.inner.issuers.first() {
            Some(issuer) => issuer.jwks(&self.inner.keys).await,
            None => Ok(None),
        }
    }

    /// The trusted issuer a token's (unverified) `iss` names: a configured one, or one the
    /// resolver accepts.
    fn issuer_for(&self, iss: &str) -> Result<Arc<Issuer>, Error> {
        let inner = &self.inner;
        if let Some(issuer) = inner.issuers.iter().find(|i| i.names(iss)) {
            return Ok(issuer.clone());
        }
        let unexpected = || Error::invalid("unexpected \"iss\" value");
        let Some(resolver) = &inner.resolver else {
            return Err(unexpected());
        };
        let mut resolved = match inner.resolved.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(issuer) = resolved.get(iss) {
            return Ok(issuer.clone());
        }
        if !resolver(iss) {
            return Err(unexpected());
        }
        if resolved.len() >= MAX_RESOLVED_ISSUERS {
            tracing::warn!(%iss, "too many resolved issuers; refusing a new one");
            return Err(unexpected());
        }
        let issuer = if inner.algorithms.iter().all(|a| a.is_symmetric()) {
            Issuer::secret_only(iss.to_owned())
        } else {
            Issuer::discovered(iss.to_owned())
        };
        resolved.insert(iss.to_owned(), issuer.clone());
        Ok(issuer)
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
        // The claims are read before the signature is checked only to pick the issuer whose
        // keys must verify it; nothing else is trusted until then.
        let claims = compact.claims()?;
        let issuer = match claims.get("iss") {
            Some(Value::String(iss)) => self.issuer_for(iss)?,
            Some(_) => return Err(Error::invalid("\"iss\" must be a string")),
            None => return Err(Error::invalid("missing \"iss\" claim")),
        };
        if compact.header.alg.is_symmetric() {
            let secret = inner
                .shared_secret
                .as_deref()
                .ok_or_else(|| Error::invalid("symmetric algorithms are not allowed"))?;
            compact.verify_hmac(secret)?;
        } else {
            let cache = issuer
                .jwks(&inner.keys)
                .await?
                .ok_or_else(|| Error::invalid("asymmetric algorithms are not configured"))?;
            cache.verify_compact(&compact).await?;
        }
        let now = (inner.clock)();

        // RFC 9068 §4 / RFC 7519 §4.1.1: exactly the (discovered) issuer's identifier.
        if claims.get("iss").and_then(Value::as_str) != Some(issuer.expected()) {
            return Err(Error::invalid("unexpected \"iss\" value"));
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
    pub(crate) fn dpop_settings(&mut self) -> &mut crate::dpop::DpopSettings {
        &mut self.dpop
    }

    /// A trusted issuer (call again to trust several: each token's keys are then those of the
    /// issuer its `iss` names). Without [`jwks_uri`](Self::jwks_uri), an issuer's discovery
    /// document is fetched on first use to find its JWKS; tokens' `iss` must then equal the
    /// discovered `issuer` exactly.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuers.push(issuer.into());
        self
    }

    /// Trusts these issuers too.
    pub fn issuers<I: IntoIterator<Item = S>, S: Into<String>>(mut self, issuers: I) -> Self {
        self.issuers.extend(issuers.into_iter().map(Into::into));
        self
    }

    /// Trusts any issuer for which `resolve(iss)` is true, besides the configured ones (e.g.
    /// `|iss| iss.starts_with("https://") && iss.ends_with(".tenants.example.com/")`); their
    /// keys are found by discovery. Write the rule tightly: it decides whose signatures count.
    pub fn issuer_resolver(
        mut self,
        resolve: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.resolver = Some(Arc::new(resolve));
        self
    }

    /// An audience this API accepts (call again to accept several). At least one is required.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Use this JWKS URL instead of discovery (with a single issuer); tokens' `iss` must equal
    /// the configured issuer.
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
        if self.issuers.is_empty() && self.resolver.is_none() {
            return Err(Error::Config("an issuer is required".into()));
        }
        if self.audiences.is_empty() {
            return Err(Error::Config("at least one audience is required".into()));
        }
        if self.jwks_uri.is_some() && self.issuers.len() != 1 {
            return Err(Error::Config(
                "jwks_uri needs exactly one issuer (several issuers use discovery)".into(),
            ));
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
        let keys = KeySettings {
            client,
            algorithms: algorithms.clone(),
            clock: clock.clone(),
            min_refresh: self.min_refresh,
            max_age: self.max_age,
        };
        let issuers = self
            .issuers
            .into_iter()
            .map(|issuer| {
                if only_symmetric {
                    Issuer::secret_only(issuer)
                } else if let Some(uri) = &self.jwks_uri {
                    Issuer::fixed(issuer, uri.clone(), &keys)
                } else {
                    Issuer::discovered(issuer)
                }
            })
            .collect();
        Ok(Validator {
            inner: Arc::new(Inner {
                issuers,
                resolver: self.resolver,
                resolved: Mutex::new(HashMap::new()),
                audiences: self.audiences,
                algorithms,
                leeway: self.leeway.as_secs(),
                require_at_jwt: self.require_at_jwt,
                shared_secret: self.shared_secret,
                realm: self.realm,
                clock,
                keys,
                dpop: self.dpop,
            }),
        })
    }
}
