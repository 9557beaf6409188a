//! A JWKS endpoint that stalls and then fails must not stall requests whose key is cached: the
//! stale set is refreshed by one background task, requests keep the cached keys meanwhile, and
//! a failed fetch is not retried before the refresh interval (the cooldown applies to failures).
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair as _};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use portcullis_bearer::{Error, Validator};
use serde_json::json;
use tokio::sync::Notify;

const NOW: u64 = 1_800_000_000;
const AUDIENCE: &str = "https://api.example";

/// A JWKS endpoint the test controls: healthy, or stalling until released and then failing.
#[derive(Clone)]
struct Endpoint {
    jwks: serde_json::Value,
    hits: Arc<AtomicUsize>,
    stalling: Arc<AtomicBool>,
    /// Signalled when a stalled request arrives.
    entered: Arc<Notify>,
    /// Signalled by the test to let stalled requests answer 503.
    release: Arc<Notify>,
}

async fn serve_jwks(State(e): State<Endpoint>) -> Response {
    e.hits.fetch_add(1, Ordering::SeqCst);
    if e.stalling.load(Ordering::SeqCst) {
        e.entered.notify_one();
        e.release.notified().await;
        return (StatusCode::SERVICE_UNAVAILABLE, "down").into_response();
    }
    Json(e.jwks.clone()).into_response()
}

struct Fixture {
    endpoint: Endpoint,
    validator: Validator,
    now: Arc<AtomicU64>,
    issuer: String,
    key: Ed25519KeyPair,
}

impl Fixture {
    async fn start() -> Self {
        let key = Ed25519KeyPair::generate().unwrap();
        let jwks = json!({"keys": [{
            "kty": "OKP", "crv": "Ed25519", "kid": "k1", "alg": "EdDSA", "use": "sig",
            "x": B64.encode(key.public_key().as_ref()),
        }]});
        let endpoint = Endpoint {
            jwks,
            hits: Arc::default(),
            stalling: Arc::default(),
            entered: Arc::default(),
            release: Arc::default(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}/", listener.local_addr().unwrap());
        let app = Router::new()
            .route("/jwks", get(serve_jwks))
            .with_state(endpoint.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let now = Arc::new(AtomicU64::new(NOW));
        let clock = now.clone();
        let validator = Validator::builder()
            .issuer(issuer.clone())
            .audience(AUDIENCE)
            .jwks_uri(format!("{issuer}jwks"))
            .jwks_max_age(Duration::from_secs(600))
            .jwks_min_refresh_interval(Duration::from_secs(30))
            .clock(Arc::new(move || clock.load(Ordering::SeqCst)))
            .build()
            .unwrap();
        Fixture {
            endpoint,
            validator,
            now,
            issuer,
            key,
        }
    }

    fn token(&self, kid: &str) -> String {
        let header = B64.encode(json!({"alg": "EdDSA", "kid": kid}).to_string());
        let claims = json!({"iss": self.issuer, "aud": AUDIENCE, "sub": "u", "exp": NOW + 86_400});
        let input = format!("{header}.{}", B64.encode(claims.to_string()));
        let signature = self.key.sign(input.as_bytes());
        format!("{input}.{}", B64.encode(signature.as_ref()))
    }

    fn hits(&self) -> usize {
        self.endpoint.hits.load(Ordering::SeqCst)
    }

    /// Validates with a guard against hanging: a validation that waited for the stalled
    /// endpoint would never finish.
    async fn validate(&self, token: &str) -> Result<(), Error> {
        tokio::time::timeout(Duration::from_secs(5), self.validator.validate(token))
            .await
            .expect("validation waited for the stalled JWKS endpoint")
            .map(|_| ())
    }

    /// Waits until the background refresh has finished.
    async fn refresh_finished(&self) {
        let jwks = self.validator.jwks().await.unwrap().unwrap();
        tokio::time::timeout(Duration::from_secs(5), async {
            while jwks.is_refreshing() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("the background refresh finishes");
    }
}

#[tokio::test]
async fn a_stalling_jwks_endpoint_never_delays_requests_with_cached_keys() {
    let f = Fixture::start().await;
    let token = f.token("k1");
    f.validate(&token).await.unwrap();
    assert_eq!(f.hits(), 1);

    // The set is now past its max age, and the endpoint stalls.
    f.endpoint.stalling.store(true, Ordering::SeqCst);
    f.now.fetch_add(601, Ordering::SeqCst);
    for _ in 0..5 {
        f.validate(&token).await.unwrap();
    }
    // One background refresh reached the endpoint, and only one.
    f.endpoint.entered.notified().await;
    for _ in 0..5 {
        f.validate(&token).await.unwrap();
    }
    assert_eq!(f.hits(), 2, "one background refresh for ten requests");

    // It fails: the cached keys stay in use and the failure starts the cooldown.
    f.endpoint.release.notify_one();
    f.refresh_finished().await;
    let jwks = f.validator.jwks().await.unwrap().unwrap();
    assert!(matches!(jwks.last_error(), Some(Error::KeySet(_))));
    for _ in 0..5 {
        f.validate(&token).await.unwrap();
    }
    assert_eq!(f.hits(), 2, "no retry within the cooldown after a failure");

    // After the cooldown, one more background attempt; once the endpoint is healthy the set is
    // fresh again and nothing more is fetched.
    f.endpoint.stalling.store(false, Ordering::SeqCst);
    f.now.fetch_add(31, Ordering::SeqCst);
    f.validate(&token).await.unwrap();
    f.refresh_finished().await;
    assert_eq!(f.hits(), 3);
    assert!(jwks.last_error().is_none());
    for _ in 0..5 {
        f.validate(&token).await.unwrap();
    }
    assert_eq!(f.hits(), 3, "fresh again");
}

#[tokio::test]
async fn an_unknown_kid_during_an_outage_is_503_and_the_failure_has_a_cooldown() {
    let f = Fixture::start().await;
    f.validate(&f.token("k1")).await.unwrap();
    f.endpoint.stalling.store(true, Ordering::SeqCst);
    f.now.fetch_add(31, Ordering::SeqCst);

    // An unknown kid needs the keys: this request waits for the (failing) fetch.
    f.endpoint.release.notify_one();
    let err = f.validate(&f.token("k2")).await.unwrap_err();
    assert!(matches!(err, Error::KeySet(_)), "{err:?}");
    assert_eq!(f.hits(), 2);
    // Within the cooldown the same answer comes without asking the endpoint again.
    for _ in 0..5 {
        let err = f.validate(&f.token("k2")).await.unwrap_err();
        assert!(matches!(err, Error::KeySet(_)), "{err:?}");
    }
    assert_eq!(f.hits(), 2);
    // Known keys still work.
    f.validate(&f.token("k1")).await.unwrap();
}
