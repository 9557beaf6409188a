//! A JWKS cache: keys parsed once, refetched on an unknown `kid` at a bounded rate, and one
//! fetch for any number of concurrent requests (single flight).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::Error;
use crate::clock::Clock;
use crate::jws::{Algorithm, Compact, Header, KeySet, VerifyingKey};

struct Snapshot {
    keys: Arc<KeySet>,
    fetched_at: Option<u64>,
}

/// Bookkeeping of fetch attempts, shared by requests and the background refresh.
#[derive(Default)]
struct Attempts {
    /// When the last fetch (successful or not) started.
    last: Option<u64>,
    /// Why the last fetch failed; `None` after a success.
    error: Option<Error>,
    /// A background refresh is running.
    refreshing: bool,
}

/// Caches a provider's JSON Web Key Set.
///
/// * A key is looked up by `kid`. An unknown `kid` triggers a refetch, but at most once per
///   [`min_refresh_interval`](JwksCache::with_min_refresh_interval) (default 30 s, as jose's
///   `createRemoteJWKSet` cooldown), so tokens with made-up `kid`s cannot make the API hammer
///   the provider. The same cooldown follows a failed fetch, whatever caused it.
/// * Concurrent requests that need a fetch wait for one shared fetch instead of each fetching.
/// * The set is also refreshed when older than [`max_age`](JwksCache::with_max_age) (default 10
///   minutes), so removed keys stop being accepted. That refresh runs in one background task:
///   requests keep using the cached keys meanwhile, and keep using them if it fails, so a slow
///   or failing JWKS endpoint never delays a request whose key is known.
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
    /// Held while fetching: the single-flight gate.
    fetch_gate: tokio::sync::Mutex<()>,
    attempts: Mutex<Attempts>,
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
                fetch_gate: tokio::sync::Mutex::new(()),
                attempts: Mutex::new(Attempts::default()),
                generation: AtomicU64::new(0),
                fetches: AtomicU64::new(0),
            }),
        }
    }

    /// Sets the minimum time between two fetches: after an unknown `kid`, and after a failure.
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

    /// Sets how long a fetched set is used before it is refreshed in the background.
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

    /// Whether a background refresh is running (for tests and health checks).
    pub fn is_refreshing(&self) -> bool {
        self.attempts().refreshing
    }

    /// Why the last fetch failed, if it did (for health checks).
    pub fn last_error(&self) -> Option<Error> {
        self.attempts().error.clone()
    }

    fn attempts(&self) -> std::sync::MutexGuard<'_, Attempts> {
        match self.inner.attempts.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
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

    /// Within the cooldown after the last attempt, successful or not.
    fn cooling_down(&self, attempts: &Attempts, now: u64) -> bool {
        attempts
            .last
            .is_some_and(|last| now.saturating_sub(last) < self.inner.min_refresh_interval)
    }

    async fn key_for(&self, kid: Option<&str>, alg: Algorithm) -> Result<Arc<VerifyingKey>, Error> {
        let now = (self.inner.clock)();
        let snap = self.snapshot();
        if let Some(key) = snap.keys.find(kid, alg) {
            let stale = snap
                .fetched_at
                .is_none_or(|at| now.saturating_sub(at) >= self.inner.max_age);
            if stale {
                self.refresh_in_background(now);
            }
            return Ok(key);
        }
        // Unknown kid: join (or start) the single fetch, unless one was tried just now.
        let seen = self.inner.generation.load(Ordering::Acquire);
        let gate = self.inner.fetch_gate.lock().await;
        if self.inner.generation.load(Ordering::Acquire) == seen {
            let cooling = self.cooling_down(&self.attempts(), now);
            if !cooling {
                self.fetch_locked(now).await;
            }
        }
        drop(gate);
        if let Some(key) = self.snapshot().keys.find(kid, alg) {
            return Ok(key);
        }
        // The last attempt failed: the key may exist, we cannot tell (503, not 401).
        if let Some(error) = self.last_error() {
            return Err(error);
        }
        Err(match kid {
            Some(_) => Error::invalid("no key in the provider's JWKS matches the token's kid"),
            None => Error::invalid("token has no kid and the JWKS has no single matching key"),
        })
    }

    /// Starts one background refresh unless one is running or the cooldown has not passed.
    /// Without a tokio runtime (the cache used from another executor) nothing is started and
    /// the cached keys stay in use until an unknown `kid` causes a fetch.
    fn refresh_in_background(&self, now: u64) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        {
            let mut attempts = self.attempts();
            if attempts.refreshing || self.cooling_down(&attempts, now) {
                return;
            }
            attempts.refreshing = true;
        }
        let cache = self.clone();
        runtime.spawn(async move {
            let gate = cache.inner.fetch_gate.lock().await;
            if !cache.cooling_down(&cache.attempts(), now) {
                cache.fetch_locked(now).await;
            }
            drop(gate);
            cache.attempts().refreshing = false;
        });
    }

    /// Fetches the set (the caller holds the gate) and records the attempt and its outcome.
    async fn fetch_locked(&self, now: u64) {
        self.attempts().last = Some(now);
        self.inner.fetches.fetch_add(1, Ordering::Relaxed);
        let result = self.fetch().await;
        match result {
            Ok(set) => {
                tracing::debug!(uri = %self.inner.uri, keys = set.len(), "fetched JWKS");
                let snapshot = Arc::new(Snapshot {
                    keys: Arc::new(set),
                    fetched_at: Some(now),
                });
                match self.inner.snapshot.write() {
                    Ok(mut guard) => *guard = snapshot,
                    Err(poisoned) => *poisoned.into_inner() = snapshot,
                }
                self.attempts().error = None;
            }
            Err(error) => {
                tracing::warn!(uri = %self.inner.uri, %error, "JWKS fetch failed; cached keys stay in use");
                self.attempts().error = Some(error);
            }
        }
        self.inner.generation.fetch_add(1, Ordering::Release);
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
