//! DPoP (RFC 9449) with tokens and proofs minted by `jose`: bound tokens need a valid proof of
//! the bound key, proofs are single use, and the answers carry the `DPoP` challenge.
#![allow(clippy::unwrap_used)]

#[path = "../../testing/node.rs"]
mod node;

use std::sync::Arc;

use axum::body::Body;
use axum::routing::get;
use axum::{Json, Router};
use http::{Request, StatusCode, header};
use portcullis_bearer::dpop::{DpopMode, jwk_thumbprint};
use portcullis_bearer::{Bearer, Validator};
use serde_json::{Value, json};
use tower::ServiceExt;

const NOW: u64 = 1_800_000_000;
const AUDIENCE: &str = "https://api.example";
const HTU: &str = "https://api.example/api/shows";

struct Fixture {
    issuer: String,
    minted: Value,
}

impl Fixture {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}/", listener.local_addr().unwrap());
        let minted: Value = serde_json::from_str(
            &node::run_script(
                "dpop.mjs",
                &json!({"issuer": issuer, "audience": AUDIENCE, "now": NOW, "htu": HTU, "htm": "GET"})
                    .to_string(),
            )
            .await,
        )
        .unwrap();
        let jwks = minted["jwks"].clone();
        let app = Router::new().route("/jwks", get(move || async move { Json(jwks) }));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Fixture { issuer, minted }
    }

    fn validator(&self, mode: DpopMode) -> Validator {
        Validator::builder()
            .issuer(self.issuer.clone())
            .audience(AUDIENCE)
            .jwks_uri(format!("{}jwks", self.issuer))
            .clock(Arc::new(|| NOW))
            .dpop(mode)
            .build()
            .unwrap()
    }

    fn token(&self, name: &str) -> String {
        self.minted["tokens"][name].as_str().unwrap().to_owned()
    }

    fn proof(&self, name: &str) -> String {
        self.minted["proofs"][name].as_str().unwrap().to_owned()
    }
}

fn app(v: &Validator) -> Router {
    async fn shows(Bearer(t): Bearer) -> String {
        t.subject.unwrap_or_default()
    }
    Router::new()
        .route("/api/shows", get(shows))
        .with_state(v.clone())
}

/// GET /api/shows as `https://api.example/api/shows` (the `Host` the proofs name).
async fn call(
    app: &Router,
    authorization: &str,
    proof: Option<&str>,
) -> (StatusCode, Option<String>, String) {
    let mut req = Request::get("/api/shows")
        .header(header::HOST, "api.example")
        .header(header::AUTHORIZATION, authorization);
    if let Some(p) = proof {
        req = req.header("DPoP", p);
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let www = res
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = axum::body::to_bytes(res.into_body(), 1 << 16)
        .await
        .unwrap();
    (status, www, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn rfc9449_bound_tokens_need_a_fresh_proof_of_the_bound_key() {
    let f = Fixture::start().await;
    let app = app(&f.validator(DpopMode::Allowed));
    let bound = format!("DPoP {}", f.token("bound"));

    // A valid proof: accepted.
    let (s, _, body) = call(&app, &bound, Some(&f.proof("valid"))).await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, "user-1"));
    // §11.1: the same proof again is a replay.
    let (s, www, _) = call(&app, &bound, Some(&f.proof("valid"))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let www = www.unwrap();
    assert!(
        www.starts_with("DPoP error=\"invalid_dpop_proof\""),
        "{www}"
    );
    assert!(www.contains("algs=\"") && www.contains("ES256"), "{www}");
    assert!(www.contains("already used"), "{www}");
    // A new proof (another jti) is fine; `htu` is compared without query and fragment.
    let (s, _, _) = call(&app, &bound, Some(&f.proof("valid_again"))).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = call(&app, &bound, Some(&f.proof("htu_with_query"))).await;
    assert_eq!(s, StatusCode::OK);

    // §4.3: each check refuses with invalid_dpop_proof.
    for (name, reason) in [
        ("wrong_htm", "htm"),
        ("wrong_htu", "htu"),
        ("old_iat", "iat"),
        ("future_iat", "iat"),
        ("no_ath", "ath"),
        ("no_jti", "jti"),
        ("wrong_typ", "typ"),
        ("private_jwk", "public key"),
        ("jwk_mismatch", "signature"),
    ] {
        let (s, www, _) = call(&app, &bound, Some(&f.proof(name))).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{name}");
        let www = www.unwrap();
        assert!(
            www.contains("error=\"invalid_dpop_proof\"") && www.contains(reason),
            "{name}: {www}"
        );
    }
    // No proof at all.
    let (s, www, _) = call(&app, &bound, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(www.unwrap().contains("invalid_dpop_proof"));

    // §6.1: a valid proof by another key does not match cnf.jkt.
    let (s, www, _) = call(&app, &bound, Some(&f.proof("other_key"))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(www.unwrap().contains("cnf.jkt"));

    // §7.2: a bound token sent as a Bearer token is refused.
    let (s, www, _) = call(&app, &format!("Bearer {}", f.token("bound")), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(www.unwrap().contains("error=\"invalid_token\""));

    // Allowed mode: plain Bearer tokens still work; a plain token with the DPoP scheme is not
    // bound to the proof's key.
    let (s, _, _) = call(&app, &format!("Bearer {}", f.token("plain")), None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = call(
        &app,
        &format!("DPoP {}", f.token("plain")),
        Some(&f.proof("for_plain")),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn dpop_required_and_disabled_modes() {
    let f = Fixture::start().await;

    let required = app(&f.validator(DpopMode::Required));
    let (s, www, _) = call(&required, &format!("Bearer {}", f.token("plain")), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let www = www.unwrap();
    assert!(www.starts_with("DPoP ") && www.contains("algs="), "{www}");
    let (s, _, _) = call(
        &required,
        &format!("DPoP {}", f.token("bound")),
        Some(&f.proof("valid")),
    )
    .await;
    assert_eq!(s, StatusCode::OK);

    let disabled = app(&f.validator(DpopMode::Disabled));
    let (s, www, _) = call(
        &disabled,
        &format!("DPoP {}", f.token("bound")),
        Some(&f.proof("valid")),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(
        www.as_deref(),
        Some("Bearer"),
        "DPoP is not understood: no credentials"
    );
}

#[tokio::test]
async fn rfc7638_the_thumbprint_matches_jose() {
    let f = Fixture::start().await;
    // The bound token's cnf.jkt is jose's thumbprint of the client key; the proof header
    // carries that key.
    let proof = f.proof("valid");
    let header = proof.split('.').next().unwrap();
    use base64::Engine as _;
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .unwrap(),
    )
    .unwrap();
    let jwk = header["jwk"].as_object().unwrap();
    assert_eq!(
        jwk_thumbprint(jwk).unwrap(),
        f.minted["jkt"].as_str().unwrap()
    );
}
