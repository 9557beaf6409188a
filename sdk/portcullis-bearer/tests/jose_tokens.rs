//! The validator against tokens minted by `jose` (npm), with keys served by a local JWKS server.
#![allow(clippy::unwrap_used)]

#[path = "../../testing/node.rs"]
mod node;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use http::{Request, StatusCode, header};
use portcullis_bearer::{Authorized, Bearer, Error, Guard, Validator, requirement};
use serde_json::{Value, json};
use tower::ServiceExt;

const AUDIENCE: &str = "https://api.example";
const NOW: u64 = 1_800_000_000;

#[derive(Clone)]
struct Provider {
    jwks: Arc<Mutex<Value>>,
    hits: Arc<AtomicUsize>,
    issuer: String,
}

struct Fixture {
    provider: Provider,
    tokens: Value,
    jwks_after: Value,
}

impl Fixture {
    fn token(&self, name: &str) -> String {
        self.tokens[name]
            .as_str()
            .unwrap_or_else(|| panic!("no token {name}"))
            .to_owned()
    }
    fn jwks_uri(&self) -> String {
        format!("{}jwks", self.provider.issuer)
    }
    fn rotate(&self) {
        *self.provider.jwks.lock().unwrap() = self.jwks_after.clone();
    }
    fn hits(&self) -> usize {
        self.provider.hits.load(Ordering::SeqCst)
    }
}

async fn discovery(State(p): State<Provider>) -> Json<Value> {
    Json(json!({"issuer": p.issuer, "jwks_uri": format!("{}jwks", p.issuer)}))
}

async fn jwks(State(p): State<Provider>) -> Json<Value> {
    p.hits.fetch_add(1, Ordering::SeqCst);
    Json(p.jwks.lock().unwrap().clone())
}

/// Binds a JWKS + discovery server on 127.0.0.1:0, then has jose mint tokens for its issuer.
async fn fixture() -> Fixture {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}/", listener.local_addr().unwrap());
    let minted: Value = serde_json::from_str(
        &node::run_script(
            "mint.mjs",
            &json!({"issuer": issuer, "audience": AUDIENCE, "now": NOW}).to_string(),
        )
        .await,
    )
    .unwrap();
    let provider = Provider {
        jwks: Arc::new(Mutex::new(minted["jwks"]["before"].clone())),
        hits: Arc::new(AtomicUsize::new(0)),
        issuer,
    };
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .with_state(provider.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Fixture {
        provider,
        tokens: minted["tokens"].clone(),
        jwks_after: minted["jwks"]["after"].clone(),
    }
}

fn fixed_clock(at: &Arc<AtomicU64>) -> portcullis_bearer::clock::Clock {
    let at = at.clone();
    Arc::new(move || at.load(Ordering::SeqCst))
}

fn validator(f: &Fixture) -> Validator {
    let now = Arc::new(AtomicU64::new(NOW));
    Validator::builder()
        .issuer(f.provider.issuer.clone())
        .audience(AUDIENCE)
        .jwks_uri(f.jwks_uri())
        .clock(fixed_clock(&now))
        .build()
        .unwrap()
}

fn invalid_reason(result: Result<impl std::fmt::Debug, Error>) -> String {
    match result {
        Err(Error::InvalidToken(reason)) => reason,
        other => panic!("expected InvalidToken, got {other:?}"),
    }
}

#[tokio::test]
async fn accepts_valid_tokens_and_reads_claims() {
    let f = fixture().await;
    let v = validator(&f);

    let t = v.validate(&f.token("valid")).await.unwrap();
    assert_eq!(t.subject.as_deref(), Some("user-123"));
    assert_eq!(t.client_id.as_deref(), Some("client-abc"));
    assert_eq!(t.audience, vec![AUDIENCE.to_owned()]);
    assert_eq!(t.scopes, vec!["read:shows", "write:shows"]);
    assert_eq!(t.expires_at, NOW + 600);

    let t = v.validate(&f.token("valid_es256_aud_array")).await.unwrap();
    assert_eq!(t.audience.len(), 2);
    v.validate(&f.token("valid_eddsa")).await.unwrap();
    let t = v.validate(&f.token("scope_array")).await.unwrap();
    assert_eq!(t.scopes, vec!["read:shows"]);
    // Within the 5 s leeway.
    v.validate(&f.token("expired_within_leeway")).await.unwrap();
    // No kid, and exactly one ES256 key published.
    v.validate(&f.token("no_kid")).await.unwrap();

    #[derive(serde::Deserialize)]
    struct Custom {
        permissions: Vec<String>,
        #[serde(rename = "https://example.com/tenant")]
        tenant: String,
    }
    let t = v.validate_as::<Custom>(&f.token("valid")).await.unwrap();
    assert_eq!(t.custom.permissions, vec!["billing:read", "reports:read"]);
    assert_eq!(t.custom.tenant, "acme");
    assert_eq!(f.hits(), 1, "one JWKS fetch for all of these");
}

#[tokio::test]
async fn rejects_wrong_iss_aud_exp_nbf_alg_kid_and_signature() {
    let f = fixture().await;
    let v = validator(&f);
    let cases = [
        ("wrong_iss", "iss"),
        ("wrong_aud", "aud"),
        ("no_aud", "aud"),
        ("expired", "expired"),
        ("no_exp", "exp"),
        ("not_yet_valid", "nbf"),
        ("alg_none", "none"),
        ("hs256_public_key", "HS256"),
        ("hs256_shared_secret", "HS256"),
        ("unknown_kid", "kid"),
        ("forged_same_kid", "signature"),
        ("rs_key_es_alg", "alg"),
    ];
    for (name, expected) in cases {
        let reason = invalid_reason(v.validate(&f.token(name)).await);
        assert!(
            reason.contains(expected),
            "{name}: reason {reason:?} should mention {expected:?}"
        );
    }
    assert!(matches!(
        v.validate("not-a-jwt").await,
        Err(Error::InvalidToken(_))
    ));
}

#[tokio::test]
async fn at_jwt_typ_required_only_when_configured() {
    let f = fixture().await;
    let strict = Validator::builder()
        .issuer(f.provider.issuer.clone())
        .audience(AUDIENCE)
        .jwks_uri(f.jwks_uri())
        .require_at_jwt_typ(true)
        .clock(fixed_clock(&Arc::new(AtomicU64::new(NOW))))
        .build()
        .unwrap();
    strict.validate(&f.token("valid")).await.unwrap();
    assert!(invalid_reason(strict.validate(&f.token("typ_jwt")).await).contains("typ"));
    validator(&f).validate(&f.token("typ_jwt")).await.unwrap();
}

#[tokio::test]
async fn hs256_only_with_an_explicit_shared_secret() {
    let f = fixture().await;
    let with_secret = Validator::builder()
        .issuer(f.provider.issuer.clone())
        .audience(AUDIENCE)
        .shared_secret(b"a-shared-secret-that-is-long-enough!".to_vec())
        .clock(fixed_clock(&Arc::new(AtomicU64::new(NOW))))
        .build()
        .unwrap();
    with_secret
        .validate(&f.token("hs256_shared_secret"))
        .await
        .unwrap();
    // The RSA public key used as an HMAC secret does not verify: only the configured secret is used.
    assert!(
        invalid_reason(with_secret.validate(&f.token("hs256_public_key")).await)
            .contains("signature")
    );
    assert_eq!(f.hits(), 0, "the JWKS is never consulted for HS*");
}

#[tokio::test]
async fn discovery_finds_the_jwks_and_iss_must_match_exactly() {
    let f = fixture().await;
    let v = Validator::builder()
        .issuer(f.provider.issuer.trim_end_matches('/'))
        .audience(AUDIENCE)
        .clock(fixed_clock(&Arc::new(AtomicU64::new(NOW))))
        .build()
        .unwrap();
    v.validate(&f.token("valid")).await.unwrap();
    // Configured without the slash, but tokens must carry the discovered issuer (with it).
    assert!(invalid_reason(v.validate(&f.token("wrong_iss")).await).contains("iss"));
}

#[tokio::test]
async fn concurrent_requests_share_one_jwks_fetch() {
    let f = fixture().await;
    let v = validator(&f);
    let token = f.token("valid");
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let v = v.clone();
            let token = token.clone();
            tokio::spawn(async move { v.validate(&token).await.map(|_| ()) })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(f.hits(), 1);
}

#[tokio::test]
async fn jwks_rotation_refetches_once_then_rate_limits_unknown_kids() {
    let f = fixture().await;
    let now = Arc::new(AtomicU64::new(NOW));
    let v = Validator::builder()
        .issuer(f.provider.issuer.clone())
        .audience(AUDIENCE)
        .jwks_uri(f.jwks_uri())
        .clock(fixed_clock(&now))
        .jwks_min_refresh_interval(Duration::from_secs(30))
        .build()
        .unwrap();
    v.validate(&f.token("valid")).await.unwrap();
    assert_eq!(f.hits(), 1);

    f.rotate();
    // Within the cool-down an unknown kid does not cause a fetch.
    assert!(invalid_reason(v.validate(&f.token("rotated")).await).contains("kid"));
    assert_eq!(f.hits(), 1);

    now.fetch_add(31, Ordering::SeqCst);
    let token = f.token("rotated");
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let v = v.clone();
            let token = token.clone();
            tokio::spawn(async move { v.validate(&token).await.map(|_| ()) })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(
        f.hits(),
        2,
        "one fetch for 16 concurrent requests with the new kid"
    );

    // The old key is gone from the set, and made-up kids are rate limited.
    assert!(invalid_reason(v.validate(&f.token("valid")).await).contains("kid"));
    assert!(invalid_reason(v.validate(&f.token("unknown_kid")).await).contains("kid"));
    assert_eq!(f.hits(), 2);
}

requirement!(ReadShows = Guard::all_scopes(["read:shows"]));
requirement!(DeleteOrAdmin = Guard::any_scope(["delete:shows", "admin"]));

async fn shows(auth: Authorized<ReadShows>) -> String {
    let token = auth.into_inner();
    token.subject.unwrap_or_default()
}

async fn delete(_: Authorized<DeleteOrAdmin>) -> &'static str {
    "deleted"
}

async fn whoami(Bearer(token): Bearer) -> String {
    token.subject.unwrap_or_default()
}

requirement!(ReadReports = Guard::permissions_all(["reports:read", "billing:read"]));

async fn reports(_: Authorized<ReadReports>) -> &'static str {
    "reports"
}

fn tenant_is(tenant: &'static str) -> Guard {
    Guard::custom(format!("{tenant} tenant only"), move |t| {
        t.claim("https://example.com/tenant")
            .and_then(Value::as_str)
            == Some(tenant)
    })
}

fn app(v: &Validator) -> Router {
    let billing = Router::<Validator>::new()
        .route("/api/billing", get(whoami))
        .layer(v.require(Guard::permissions_all(["billing:read"])));
    let admin = Router::<Validator>::new()
        .route("/api/admin", get(whoami))
        .layer(v.require(Guard::permissions_any(["admin", "root"])));
    let acme = Router::<Validator>::new()
        .route("/api/acme", get(whoami))
        .layer(v.require(tenant_is("acme")));
    let globex = Router::<Validator>::new()
        .route("/api/globex", get(whoami))
        .layer(v.require(tenant_is("globex")));
    Router::new()
        .route("/api/shows", get(shows))
        .route("/api/reports", get(reports))
        .route("/api/shows/delete", get(delete))
        .route("/api/me", get(whoami))
        .route("/api/optional", get(optional))
        .merge(billing)
        .merge(admin)
        .merge(acme)
        .merge(globex)
        .with_state(v.clone())
}

/// Optional sign-in: `None` without credentials.
async fn optional(token: Option<Bearer>) -> String {
    match token {
        Some(Bearer(t)) => t.subject.unwrap_or_default(),
        None => "anonymous".into(),
    }
}

async fn call(
    app: &Router,
    path: &str,
    token: Option<&str>,
) -> (StatusCode, Option<String>, Value) {
    let mut req = Request::get(path);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
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
    let body = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    let json = serde_json::from_slice(&body)
        .unwrap_or(Value::String(String::from_utf8_lossy(&body).into()));
    (status, www, json)
}

#[tokio::test]
async fn axum_extractors_and_layer_answer_per_rfc6750() {
    let f = fixture().await;
    let v = Validator::builder()
        .issuer(f.provider.issuer.clone())
        .audience(AUDIENCE)
        .jwks_uri(f.jwks_uri())
        .realm("tv-shows")
        .clock(fixed_clock(&Arc::new(AtomicU64::new(NOW))))
        .build()
        .unwrap();
    let app = app(&v);
    let valid = f.token("valid");
    let no_scope = f.token("no_scope");

    // No credentials: 401 with a bare challenge (RFC 6750 §3.1: no error code).
    let (s, www, _) = call(&app, "/api/shows", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(www.as_deref(), Some("Bearer realm=\"tv-shows\""));
    let (s, www, _) = call(&app, "/api/billing", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(www.as_deref(), Some("Bearer realm=\"tv-shows\""));

    // A bad token: 401 invalid_token.
    let (s, www, body) = call(&app, "/api/me", Some(&f.token("expired"))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let www = www.unwrap();
    assert!(
        www.starts_with("Bearer realm=\"tv-shows\", error=\"invalid_token\", error_description=\""),
        "{www}"
    );
    assert_eq!(body["error"], "invalid_token");

    // Good token, good scope.
    let (s, _, body) = call(&app, "/api/shows", Some(&valid)).await;
    assert_eq!(
        (s, body),
        (StatusCode::OK, Value::String("user-123".into()))
    );

    // Missing scope: 403 insufficient_scope naming it.
    let (s, www, body) = call(&app, "/api/shows", Some(&no_scope)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let www = www.unwrap();
    assert!(www.contains("error=\"insufficient_scope\""), "{www}");
    assert!(www.ends_with("scope=\"read:shows\""), "{www}");
    assert_eq!(body["error"], "insufficient_scope");
    let (s, www, _) = call(&app, "/api/shows/delete", Some(&valid)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(www.unwrap().ends_with("scope=\"delete:shows admin\""));

    // The layer with a permissions guard: passes, or 403 insufficient_scope (RFC 6750 §3.1): the
    // token is valid, it lacks a privilege; a 401 would tell the client to sign in again.
    let (s, _, body) = call(&app, "/api/billing", Some(&valid)).await;
    assert_eq!(
        (s, body),
        (StatusCode::OK, Value::String("user-123".into()))
    );
    let (s, www, body) = call(&app, "/api/admin", Some(&valid)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let www = www.unwrap();
    assert!(www.contains("error=\"insufficient_scope\""), "{www}");
    assert!(www.contains("requires one of admin"), "{www}");
    assert_eq!(body["error"], "insufficient_scope");
    let (s, www, _) = call(&app, "/api/billing", Some(&no_scope)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let www = www.unwrap();
    assert!(www.contains("error=\"insufficient_scope\""), "{www}");
    assert!(www.contains("Missing 'permissions' claim"), "{www}");
    // The extractor form of the same guards, and a closure guard.
    let (s, _, _) = call(&app, "/api/reports", Some(&valid)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, www, _) = call(&app, "/api/reports", Some(&no_scope)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(www.unwrap().contains("insufficient_scope"));
    let (s, _, _) = call(&app, "/api/acme", Some(&valid)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, www, _) = call(&app, "/api/globex", Some(&valid)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(
        www.unwrap()
            .contains("error_description=\"globex tenant only\"")
    );

    // Optional sign-in: anonymous without a header, the user with a good token, and still a
    // 401 for a bad one.
    let (s, _, body) = call(&app, "/api/optional", None).await;
    assert_eq!(
        (s, body),
        (StatusCode::OK, Value::String("anonymous".into()))
    );
    let (s, _, body) = call(&app, "/api/optional", Some(&valid)).await;
    assert_eq!(
        (s, body),
        (StatusCode::OK, Value::String("user-123".into()))
    );
    let (s, _, _) = call(&app, "/api/optional", Some(&f.token("expired"))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Malformed header: 400 invalid_request.
    let (s, www, _) = call(&app, "/api/me", Some("")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(www.unwrap().contains("error=\"invalid_request\""));
}
