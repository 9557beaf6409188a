//! While the provider's discovery document cannot be fetched, the validator answers the same
//! error without asking again until the refresh interval has passed: an outage at the provider
//! does not turn every API request into a request to it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use portcullis_bearer::{Error, Validator};

#[derive(Clone, Default)]
struct Provider {
    hits: Arc<AtomicUsize>,
}

/// A provider that is down.
async fn discovery(State(p): State<Provider>) -> (StatusCode, &'static str) {
    p.hits.fetch_add(1, Ordering::SeqCst);
    (StatusCode::SERVICE_UNAVAILABLE, "down")
}

#[tokio::test]
async fn a_failed_discovery_is_not_retried_before_the_refresh_interval() {
    let provider = Provider::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}/", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .with_state(provider.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let now = Arc::new(AtomicU64::new(1_800_000_000));
    let clock = now.clone();
    // A syntactically valid RS256 token from that issuer, so validation needs its keys.
    use base64::Engine as _;
    let b64 = |s: String| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let token = format!(
        "{}.{}.c2ln",
        b64(r#"{"alg":"RS256","kid":"k1"}"#.to_owned()),
        b64(format!(r#"{{"iss":"{issuer}","sub":"x"}}"#))
    );
    let token = token.as_str();
    let v = Validator::builder()
        .issuer(issuer)
        .audience("https://api.example")
        .jwks_min_refresh_interval(Duration::from_secs(30))
        .clock(Arc::new(move || clock.load(Ordering::SeqCst)))
        .build()
        .unwrap();

    for _ in 0..10 {
        let err = v.validate(token).await.unwrap_err();
        assert!(matches!(err, Error::Discovery(_)), "{err:?}");
    }
    assert_eq!(
        provider.hits.load(Ordering::SeqCst),
        1,
        "one request for ten validations"
    );

    now.fetch_add(31, Ordering::SeqCst);
    let err = v.validate(token).await.unwrap_err();
    assert!(matches!(err, Error::Discovery(_)), "{err:?}");
    assert_eq!(
        provider.hits.load(Ordering::SeqCst),
        2,
        "asked again after the interval"
    );
    v.validate(token).await.unwrap_err();
    assert_eq!(
        provider.hits.load(Ordering::SeqCst),
        2,
        "and not again within the new interval"
    );
}
