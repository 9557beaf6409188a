//! Several trusted issuers, and an issuer resolver: each token is verified with the keys of the
//! issuer its `iss` names, never with another's.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair as _};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use portcullis_bearer::{Error, Validator};
use serde_json::json;

const NOW: u64 = 1_800_000_000;
const AUDIENCE: &str = "https://api.example";

/// An issuer with discovery and a JWKS on 127.0.0.1:0, and its Ed25519 key.
struct Issuer {
    url: String,
    key: Ed25519KeyPair,
    kid: &'static str,
}

impl Issuer {
    async fn start(kid: &'static str) -> Self {
        let key = Ed25519KeyPair::generate().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let jwks = json!({"keys": [{
            "kty": "OKP", "crv": "Ed25519", "kid": kid, "alg": "EdDSA",
            "x": B64.encode(key.public_key().as_ref()),
        }]});
        let discovery = json!({"issuer": url, "jwks_uri": format!("{url}jwks")});
        let app = Router::new()
            .route(
                "/.well-known/openid-configuration",
                get(move || async move { Json(discovery) }),
            )
            .route("/jwks", get(move || async move { Json(jwks) }));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Issuer { url, key, kid }
    }

    /// A token claiming `iss`, signed with this issuer's key.
    fn sign(&self, iss: &str) -> String {
        let header = B64.encode(json!({"alg": "EdDSA", "kid": self.kid}).to_string());
        let claims = json!({"iss": iss, "aud": AUDIENCE, "sub": self.kid, "exp": NOW + 600});
        let input = format!("{header}.{}", B64.encode(claims.to_string()));
        format!(
            "{input}.{}",
            B64.encode(self.key.sign(input.as_bytes()).as_ref())
        )
    }

    fn token(&self) -> String {
        self.sign(&self.url)
    }
}

fn invalid(result: Result<impl std::fmt::Debug, Error>) -> String {
    match result {
        Err(Error::InvalidToken(reason)) => reason,
        other => panic!("expected InvalidToken, got {other:?}"),
    }
}

#[tokio::test]
async fn tokens_from_each_configured_issuer_validate_with_that_issuers_keys() {
    let (a, b, c) = (
        Issuer::start("a").await,
        Issuer::start("b").await,
        Issuer::start("c").await,
    );
    let v = Validator::builder()
        .issuers([a.url.clone(), b.url.clone()])
        .audience(AUDIENCE)
        .clock(Arc::new(|| NOW))
        .build()
        .unwrap();
    let ta = v.validate(&a.token()).await.unwrap();
    assert_eq!(
        (ta.issuer.as_str(), ta.subject.as_deref()),
        (a.url.as_str(), Some("a"))
    );
    let tb = v.validate(&b.token()).await.unwrap();
    assert_eq!(tb.issuer, b.url);

    // Not a trusted issuer.
    assert!(invalid(v.validate(&c.token()).await).contains("iss"));
    // B's key claiming to be A: A's keys do not know it.
    assert!(invalid(v.validate(&b.sign(&a.url)).await).contains("kid"));
    // jwks_uri with several issuers is a configuration error.
    assert!(matches!(
        Validator::builder()
            .issuers([a.url.clone(), b.url.clone()])
            .audience(AUDIENCE)
            .jwks_uri(format!("{}jwks", a.url))
            .build(),
        Err(Error::Config(_))
    ));
}

#[tokio::test]
async fn an_issuer_resolver_trusts_issuers_by_rule() {
    let (a, b) = (Issuer::start("a").await, Issuer::start("b").await);
    let trusted = a.url.clone();
    let v = Validator::builder()
        .issuer_resolver(move |iss| iss == trusted)
        .audience(AUDIENCE)
        .clock(Arc::new(|| NOW))
        .build()
        .unwrap();
    v.validate(&a.token()).await.unwrap();
    v.validate(&a.token()).await.unwrap();
    assert!(invalid(v.validate(&b.token()).await).contains("iss"));
    assert!(invalid(v.validate(&b.sign(&a.url)).await).contains("kid"));
}
