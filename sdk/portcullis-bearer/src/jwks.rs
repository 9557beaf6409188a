//! A JWKS cache: keys parsed once, refetched on an unknown `kid` at a bounded rate, and one
//! fetch for any number of concurrent requests (single flight).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::Error;
use crate::clock::Clock;
use crate::jws::{Algorithm, Compact, Header, KeySet, VerifyingKey};

struct Snapshot {
    keys: Arc<KeySet>,
    fetched_at: Option<u64>,
}

/// Caches a provider's JSON Web Key Set.
///
/// * A key is looked up by `kid`. An unknown `kid` triggers a refetch, but at most once per
///   [`min_refresh_interval`](JwksCache::with_min_refresh_interval) (default 30 s, as jose's
///   `createRemoteJWKSet` cooldown), so tokens with made-up `kid`s cannot make the API hammer
///   the provider.
/// * Concurrent requests that need a fetch wait for one shared fetch instead of each fetching.
/// * The set is also refreshed when older than [`max_age`](JwksCache::with_max_age) (default 10
///   minutes), so removed keys stop being accepted.
///
/// Cloning is cheap and shares the cache.
#[derive(Clone)]
pub struct JwksCache {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    uri: String,
    allowed: Vec<Algorithm>,
    clock: Clock,
    min_refresh_interval: u64,
    max_age: u64,
    snapshot: RwLock<Arc<Snapshot>>,
    /// Held while fetching; the single-flight gate.
    fetch_gate: tokio::sync::Mutex<Option<u64>>,
    /// Incremented after every completed fetch attempt.
    generation: AtomicU64,
    fetches: AtomicU64,
}

impl std::fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksCache")
            .field("uri", &self.inner.uri)
            .finish_non_exhaustive()
    }
}

impl JwksCache {
    /// A cache for the JWKS at `uri`, accepting keys for `allowed` algorithms.
    pub fn new(
        client: reqwest::Client,
        uri: impl Into<String>,
        allowed: &[Algorithm],
        clock: Clock,
    ) -> Self {
        Self::build(client, uri.into(), allowed.to_vec(), clock, 30, 600)
    }

    fn build(
        client: reqwest::Client,
        uri: String,
        allowed: Vec<Algorithm>,
        clock: Clock,
        min_refresh_interval: u64,
        max_age: u64,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                client,
                uri,
                allowed,
                clock,
                min_refresh_interval,
                max_age,
                snapshot: RwLock::new(Arc::new(Snapshot {
                    keys: Arc::new(KeySet::default()),
                    fetched_at: None,
                })),
                fetch_gate: tokio::sync::Mutex::new(None),
                generation: AtomicU64::new(0),
                fetches: AtomicU64::new(0),
            }),
        }
    }

    /// Sets the minimum time between two fetches caused by unknown `kid`s.
    pub fn with_min_refresh_interval(self, interval: Duration) -> Self {
        let i = &self.inner;
        Self::build(
            i.client.clone(),
            i.uri.clone(),
            i.allowed.clone(),
            i.clock.clone(),
            interval.as_secs(),
            i.max_age,
        )
    }

    /// Sets how long a fetched set is used before it is refreshed proactively.
    pub fn with_max_age(self, max_age: Duration) -> Self {
        let i = &self.inner;
        Self::build(
            i.client.clone(),
            i.uri.clone(),
            i.allowed.clone(),
            i.clock.clone(),
            i.min_refresh_interval,
            max_age.as_secs(),
        )
    }

    /// The JWKS URL.
    pub fn uri(&self) -> &str {
        &self.inner.uri
    }

    /// How many HTTP fetches of the JWKS this cache has started (for tests and metrics).
    pub fn fetch_count(&self) -> u64 {
        self.inner.fetches.load(Ordering::Relaxed)
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        match self.inner.snapshot.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Parses `token`, finds its key (fetching the JWKS if needed) and verifies the signature.
    /// Returns the header and the claims; no claim is checked here.
    pub async fn verify(
        &self,
        token: &str,
        allowed: &[Algorithm],
    ) -> Result<(Header, Map<String, Value>), Error> {
        let compact = Compact::parse(token, allowed)?;
        self.verify_compact(&compact).await?;
        Ok((compact.header.clone(), compact.claims()?))
    }

    pub(crate) async fn verify_compact(&self, compact: &Compact<'_>) -> Result<(), Error> {
        let key = self
            .key_for(compact.header.kid.as_deref(), compact.header.alg)
            .await?;
        compact.verify_with(&key)
    }

    async fn key_for(&self, kid: Option<&str>, alg: Algorithm) -> Result<Arc<VerifyingKey>, Error> {
        let now = (self.inner.clock)();
        let snap = self.snapshot();
        let stale = snap
            .fetched_at
            .is_none_or(|at| now.saturating_sub(at) >= self.inner.max_age);
        if let Some(key) = snap.keys.find(kid, alg) {
            if stale && let Ok(mut gate) = self.inner.fetch_gate.try_lock() {
                // Refresh in the background of this request; keep using the key we have if it fails.
                if self.fetch_locked(&mut gate, now).await.is_ok()
                    && let Some(fresh) = self.snapshot().keys.find(kid, alg)
                {
                    return Ok(fresh);
                }
            }
            return Ok(key);
        }
        // Unknown kid: join (or start) the single fetch.
        let seen = self.inner.generation.load(Ordering::Acquire);
        let mut gate = self.inner.fetch_gate.lock().await;
        if self.inner.generation.load(Ordering::Acquire) == seen {
            let rate_limited = gate
                .is_some_and(|last| now.saturating_sub(last) < self.inner.min_refresh_interval)
                && self.snapshot().fetched_at.is_some();
            if !rate_limited {
                self.fetch_locked(&mut gate, now).await?;
            }
        }
        drop(gate);
        let keys = self.snapshot().keys.clone();
        keys.find(kid, alg).ok_or_else(|| match kid {
            Some(_) => Error::invalid("no key in the provider's JWKS matches the token's kid"),
            None => Error::invalid("token has no kid and the JWKS has no single matching key"),
        })
    }

    async fn fetch_locked(&self, last_attempt: &mut Option<u64>, now: u64) -> Result<(), Error> {
        *last_attempt = Some(now);
        self.inner.fetches.fetch_add(1, Ordering::Relaxed);
        let result = self.fetch().await;
        self.inner.generation.fetch_add(1, Ordering::Release);
        let set = result?;
        tracing::debug!(uri = %self.inner.uri, keys = set.len(), "fetched JWKS");
        let snapshot = Arc::new(Snapshot {
            keys: Arc::new(set),
            fetched_at: Some(now),
        });
        match self.inner.snapshot.write() {
            Ok(mut guard) => *guard = snapshot,
            Err(poisoned) => *poisoned.into_inner() = snapshot,
        }
        Ok(())
    }

    async fn fetch(&self) -> Result<KeySet, Error> {
        let uri = &self.inner.uri;
        let response = self
            .inner
            .client
            .get(uri)
            .header(
                http::header::ACCEPT,
                "application/jwk-set+json, application/json",
            )
            .send()
            .await
            .map_err(|e| Error::KeySet(format!("GET {uri}: {e}")))?;
        if !response.status().is_success() {
            return Err(Error::KeySet(format!(
                "GET {uri}: status {}",
                response.status()
            )));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| Error::KeySet(format!("GET {uri}: {e}")))?;
        KeySet::parse(&body, &self.inner.allowed)
    }
}
