//! One trusted issuer and where its keys come from: a fixed JWKS URL, or discovery on first use.

use std::sync::Arc;
use std::time::Duration;

use crate::Error;
use crate::clock::Clock;
use crate::discovery::{ProviderMetadata, fetch_metadata};
use crate::jwks::JwksCache;
use crate::jws::Algorithm;

/// What every issuer's key source shares.
#[derive(Clone)]
pub(crate) struct KeySettings {
    pub(crate) client: reqwest::Client,
    pub(crate) algorithms: Vec<Algorithm>,
    pub(crate) clock: Clock,
    pub(crate) min_refresh: Duration,
    pub(crate) max_age: Duration,
}

impl KeySettings {
    fn cache(&self, uri: String) -> JwksCache {
        JwksCache::new(
            self.client.clone(),
            uri,
            &self.algorithms,
            self.clock.clone(),
        )
        .with_min_refresh_interval(self.min_refresh)
        .with_max_age(self.max_age)
    }
}

#[allow(clippy::large_enum_variant)] // a few per validator, behind an Arc
enum KeySource {
    Fixed(JwksCache),
    Discover {
        resolved: tokio::sync::OnceCell<(ProviderMetadata, JwksCache)>,
        /// When discovery last failed and why: within `min_refresh` of it the same error is
        /// answered without asking the provider again (no request storm while it is down).
        last_failure: std::sync::Mutex<Option<(u64, Error)>>,
    },
    SecretOnly,
}

/// A trusted issuer.
pub(crate) struct Issuer {
    /// As configured.
    pub(crate) configured: String,
    source: KeySource,
}

/// Trims one trailing `/`, so `https://idp/` and `https://idp` name the same configured issuer.
fn trim_slash(s: &str) -> &str {
    s.strip_suffix('/').unwrap_or(s)
}

impl Issuer {
    /// Keys from a fixed JWKS URL.
    pub(crate) fn fixed(issuer: String, jwks_uri: String, settings: &KeySettings) -> Arc<Self> {
        Arc::new(Self {
            configured: issuer,
            source: KeySource::Fixed(settings.cache(jwks_uri)),
        })
    }

    /// Keys found by discovery on first use.
    pub(crate) fn discovered(issuer: String) -> Arc<Self> {
        Arc::new(Self {
            configured: issuer,
            source: KeySource::Discover {
                resolved: tokio::sync::OnceCell::new(),
                last_failure: std::sync::Mutex::new(None),
            },
        })
    }

    /// Only a shared secret (HS*): no keys to fetch.
    pub(crate) fn secret_only(issuer: String) -> Arc<Self> {
        Arc::new(Self {
            configured: issuer,
            source: KeySource::SecretOnly,
        })
    }

    /// Whether a token's (not yet verified) `iss` names this issuer, as configured (one
    /// trailing slash aside) or as discovered.
    pub(crate) fn names(&self, iss: &str) -> bool {
        trim_slash(iss) == trim_slash(&self.configured) || iss == self.expected()
    }

    /// The value `iss` must equal exactly: the discovered issuer once discovery has run (it
    /// always has for asymmetric tokens), else the configured one (HS* tokens never need the
    /// network).
    pub(crate) fn expected(&self) -> &str {
        match &self.source {
            KeySource::Discover { resolved, .. } => resolved
                .get()
                .map_or(self.configured.as_str(), |(m, _)| m.issuer.as_str()),
            _ => &self.configured,
        }
    }

    /// The JWKS cache (after discovery, when discovery is used); `None` for a secret only.
    pub(crate) async fn jwks(&self, settings: &KeySettings) -> Result<Option<JwksCache>, Error> {
        match &self.source {
            KeySource::Fixed(cache) => Ok(Some(cache.clone())),
            KeySource::SecretOnly => Ok(None),
            KeySource::Discover {
                resolved,
                last_failure,
            } => {
                if let Some((_, cache)) = resolved.get() {
                    return Ok(Some(cache.clone()));
                }
                let now = (settings.clock)();
                if let Ok(guard) = last_failure.lock()
                    && let Some((at, error)) = guard.as_ref()
                    && now < at.saturating_add(settings.min_refresh.as_secs())
                {
                    return Err(error.clone());
                }
                let result = resolved
                    .get_or_try_init(|| async {
                        let metadata = fetch_metadata(&settings.client, &self.configured).await?;
                        if metadata.issuer != self.configured {
                            tracing::warn!(
                                configured = %self.configured,
                                discovered = %metadata.issuer,
                                "issuer spelled differently from discovery; tokens must carry the discovered value"
                            );
                        }
                        let cache = settings.cache(metadata.jwks_uri.clone());
                        Ok::<_, Error>((metadata, cache))
                    })
                    .await;
                match result {
                    Ok((_, cache)) => Ok(Some(cache.clone())),
                    Err(error) => {
                        if let Ok(mut guard) = last_failure.lock() {
                            *guard = Some((now, error.clone()));
                        }
                        Err(error)
                    }
                }
            }
        }
    }
}
