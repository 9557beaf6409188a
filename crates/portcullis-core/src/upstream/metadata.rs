//! Where an upstream's endpoints are: the configured overrides, else Google's and GitHub's
//! published ones, else (for `oidc`) its discovery document (OpenID Connect Discovery 1.0 §4),
//! fetched once and cached. JWKS documents are cached too, and fetched again when a token names
//! a key they lack (a rotation), at most once per [`JWKS_REFRESH_COOLDOWN`].

use super::connection::*;
use super::http::{HttpError, UpstreamHttp};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How long a discovery document is trusted before it is fetched again.
pub const DISCOVERY_LIFETIME: i64 = 3600;
/// How long a JWKS is trusted before it is fetched again.
pub const JWKS_LIFETIME: i64 = 3600;
/// The shortest time between two fetches of one JWKS because of an unknown `kid`.
pub const JWKS_REFRESH_COOLDOWN: i64 = 60;

/// The endpoints of one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    /// `None` for GitHub (no ID token).
    pub issuer: Option<String>,
    pub jwks_uri: Option<String>,
    pub user_endpoint: Option<String>,
    pub emails_endpoint: Option<String>,
    /// OpenID Connect Core §5.3; `None` for GitHub, or when discovery names none.
    pub userinfo_endpoint: Option<String>,
}

/// Why the endpoints could not be found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    #[error("discovery failed: {0}")]
    Http(#[from] HttpError),
    #[error("the discovery document lacks {0}")]
    Missing(&'static str),
    #[error("the discovery document names issuer {found:?}, not {expected:?}")]
    IssuerMismatch { expected: String, found: String },
}

/// The upstream HTTP client and what it fetched.
pub struct Upstream {
    pub http: Arc<dyn UpstreamHttp>,
    discovery: Mutex<HashMap<String, (i64, Value)>>,
    jwks: Mutex<HashMap<String, (i64, Value)>>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream").finish_non_exhaustive()
    }
}

impl Upstream {
    pub fn new(http: Arc<dyn UpstreamHttp>) -> Self {
        Upstream {
            http,
            discovery: Mutex::default(),
            jwks: Mutex::default(),
        }
    }

    /// The endpoints of `c` at time `now`.
    pub async fn resolve(&self, c: &Connection, now: i64) -> Result<Resolved, MetadataError> {
        let e = &c.endpoints;
        let pick = |over: &Option<String>, default: &str| {
            over.clone().unwrap_or_else(|| default.to_owned())
        };
        match c.strategy {
            Strategy::Google => Ok(Resolved {
                authorization_endpoint: pick(&e.authorization_endpoint, GOOGLE_AUTHORIZE),
                token_endpoint: pick(&e.token_endpoint, GOOGLE_TOKEN),
                issuer: c.expected_issuer(),
                jwks_uri: Some(pick(&e.jwks_uri, GOOGLE_JWKS)),
                user_endpoint: None,
                emails_endpoint: None,
                userinfo_endpoint: Some(pick(&e.userinfo_endpoint, GOOGLE_USERINFO)),
            }),
            Strategy::Github => Ok(Resolved {
                authorization_endpoint: pick(&e.authorization_endpoint, GITHUB_AUTHORIZE),
                token_endpoint: pick(&e.token_endpoint, GITHUB_TOKEN),
                issuer: None,
                jwks_uri: None,
                user_endpoint: Some(pick(&e.user_endpoint, GITHUB_USER)),
                emails_endpoint: Some(pick(&e.emails_endpoint, GITHUB_EMAILS)),
                userinfo_endpoint: None,
            }),
            Strategy::Oidc => {
                let issuer = c.issuer.clone().ok_or(MetadataError::Missing("issuer"))?;
                // Every endpoint overridden: no discovery needed.
                if let (Some(a), Some(t), Some(j)) =
                    (&e.authorization_endpoint, &e.token_endpoint, &e.jwks_uri)
                {
                    return Ok(Resolved {
                        authorization_endpoint: a.clone(),
                        token_endpoint: t.clone(),
                        issuer: c.expected_issuer(),
                        jwks_uri: Some(j.clone()),
                        user_endpoint: None,
                        emails_endpoint: None,
                        userinfo_endpoint: e.userinfo_endpoint.clone(),
                    });
                }
                let doc = self.discovery(&issuer, now).await?;
                let field = |name: &'static str| {
                    doc.get(name)
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                        .ok_or(MetadataError::Missing(name))
                };
                Ok(Resolved {
                    authorization_endpoint: match &e.authorization_endpoint {
                        Some(a) => a.clone(),
                        None => field("authorization_endpoint")?,
                    },
                    token_endpoint: match &e.token_endpoint {
                        Some(t) => t.clone(),
                        None => field("token_endpoint")?,
                    },
                    issuer: Some(match &e.issuer {
                        Some(i) => i.clone(),
                        None => field("issuer")?,
                    }),
                    jwks_uri: Some(match &e.jwks_uri {
                        Some(j) => j.clone(),
                        None => field("jwks_uri")?,
                    }),
                    user_endpoint: None,
                    emails_endpoint: None,
                    userinfo_endpoint: e.userinfo_endpoint.clone().or_else(|| {
                        doc.get("userinfo_endpoint")
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                    }),
                })
            }
        }
    }

    /// The discovery document of `issuer`, whose `issuer` must be exactly the one configured
    /// (Discovery §4.3; a trailing slash is the only difference tolerated, since the
    /// configuration may omit it).
    async fn discovery(&self, issuer: &str, now: i64) -> Result<Value, MetadataError> {
        if let Some(doc) = cached(&self.discovery, issuer, now, DISCOVERY_LIFETIME) {
            return Ok(doc);
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let doc = self.http.get_json(&url, None).await?;
        let found = doc.get("issuer").and_then(Value::as_str).unwrap_or("");
        if found.trim_end_matches('/') != issuer.trim_end_matches('/') {
            return Err(MetadataError::IssuerMismatch {
                expected: issuer.to_owned(),
                found: found.to_owned(),
            });
        }
        store(&self.discovery, issuer, now, &doc);
        Ok(doc)
    }

    /// The JWKS at `uri`, fetched again when `kid` is not in the cached one (and the last fetch
    /// is older than the cool-down).
    pub async fn jwks(&self, uri: &str, kid: Option<&str>, now: i64) -> Result<Value, HttpError> {
        let cached_doc = {
            let map = self.jwks.lock().unwrap_or_else(|e| e.into_inner());
            map.get(uri).cloned()
        };
        if let Some((at, doc)) = &cached_doc {
            let fresh = now - at < JWKS_LIFETIME;
            let has_kid = kid.is_none_or(|k| {
                doc["keys"]
                    .as_array()
                    .is_some_and(|keys| keys.iter().any(|key| key["kid"] == k))
            });
            if fresh && (has_kid || now - at < JWKS_REFRESH_COOLDOWN) {
                return Ok(doc.clone());
            }
        }
        let doc = self.http.get_json(uri, None).await?;
        store(&self.jwks, uri, now, &doc);
        Ok(doc)
    }
}

fn cached(
    map: &Mutex<HashMap<String, (i64, Value)>>,
    key: &str,
    now: i64,
    life: i64,
) -> Option<Value> {
    let map = map.lock().unwrap_or_else(|e| e.into_inner());
    map.get(key)
        .filter(|(at, _)| now - at < life)
        .map(|(_, v)| v.clone())
}

fn store(map: &Mutex<HashMap<String, (i64, Value)>>, key: &str, now: i64, value: &Value) {
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    map.insert(key.to_owned(), (now, value.clone()));
}
