//! Session cookies are interchangeable with nextjs-auth0 v4's: `jose` (npm) writes one the crate
//! reads, and the crate writes one `jose` reads.
#![allow(clippy::unwrap_used)]

#[path = "../../testing/node.rs"]
mod node;

use axum::Router;
use axum::body::Body;
use http::{Request, StatusCode, header};
use portcullis_axum::{Config, CookieKey, PortcullisAuth};
use serde_json::{Value, json};
use tower::ServiceExt;

const SECRET: &str = "0123456789abcdef0123456789abcdef-interop";

async fn jose(input: Value) -> Value {
    serde_json::from_str(&node::run_script("jwe.mjs", &input.to_string()).await).unwrap()
}

fn now() -> u64 {
    #[allow(clippy::disallowed_methods)]
    let now = std::time::SystemTime::now();
    now.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn app() -> Router {
    let auth = PortcullisAuth::new(
        Config::builder()
            .issuer("http://127.0.0.1:9/")
            .client_id("client")
            .secret(SECRET)
            .app_base_url("http://localhost:3000")
            .build()
            .unwrap(),
    )
    .unwrap();
    auth.router()
}

async fn profile(app: &Router, cookie: &str) -> (StatusCode, Vec<String>, Value) {
    let res = app
        .clone()
        .oneshot(
            Request::get("/auth/profile")
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = res.status();
    let set: Vec<String> = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let body = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        set,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

fn nextjs_session(now: u64, picture_len: usize) -> Value {
    json!({
        "user": {"sub": "auth0|123", "name": "Jo Bloggs", "email": "jo@example.com", "picture": "p".repeat(picture_len)},
        "tokenSet": {"accessToken": "at-123", "idToken": "id-123", "scope": "openid profile", "refreshToken": "rt-123", "expiresAt": now + 3600},
        "internal": {"sid": "sid-1", "createdAt": now},
    })
}

#[tokio::test]
async fn jose_written_session_cookie_is_read_by_the_crate() {
    let now = now();
    let app = app();
    let out = jose(json!({"secret": SECRET, "encrypt": {"payload": nextjs_session(now, 10), "exp": now + 86400}})).await;
    let jwe = out["encrypted"].as_str().unwrap();

    let (status, set, body) = profile(&app, &format!("__session={jwe}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["sub"], "auth0|123");
    assert_eq!(body["email"], "jo@example.com");
    // A fresh, unchanged session is not rewritten.
    assert!(set.is_empty(), "{set:?}");

    // Rolling: with less than half of the inactivity window left, the cookie is rewritten,
    // HttpOnly + SameSite=Lax, not Secure on http.
    let out = jose(json!({"secret": SECRET, "encrypt": {"payload": nextjs_session(now, 10), "exp": now + 3600}})).await;
    let jwe = out["encrypted"].as_str().unwrap();
    let (status, set, _) = profile(&app, &format!("__session={jwe}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(set[0].starts_with("__session="), "{set:?}");
    assert!(set[0].contains("Max-Age=86400"), "{set:?}");
    assert!(set[0].contains("HttpOnly; SameSite=Lax") && !set[0].contains("Secure"));

    // The same cookie under another secret is no session, and the bad cookie is deleted.
    let other = jose(json!({"secret": "another-secret-that-is-long-enough-000", "encrypt": {"payload": nextjs_session(now, 10), "exp": now + 86400}})).await;
    let (status, set, _) = profile(
        &app,
        &format!("__session={}", other["encrypted"].as_str().unwrap()),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        set.iter()
            .any(|c| c.starts_with("__session=;") && c.contains("Max-Age=0")),
        "{set:?}"
    );

    // Expired (beyond the 15 s tolerance): no session.
    let expired = jose(
        json!({"secret": SECRET, "encrypt": {"payload": nextjs_session(now, 10), "exp": now - 60}}),
    )
    .await;
    let (status, _, _) = profile(
        &app,
        &format!("__session={}", expired["encrypted"].as_str().unwrap()),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn chunked_jose_cookie_is_reassembled() {
    let now = now();
    let app = app();
    // Less than half of the inactivity window left, so the rolling rewrite is due.
    let out = jose(json!({"secret": SECRET, "encrypt": {"payload": nextjs_session(now, 6000), "exp": now + 3600}})).await;
    let jwe = out["encrypted"].as_str().unwrap();
    assert!(jwe.len() > 3500);
    // Split as nextjs-auth0 does: 3,500-character chunks named __session__N.
    let cookie: Vec<String> = jwe
        .as_bytes()
        .chunks(3500)
        .enumerate()
        .map(|(i, c)| format!("__session__{i}={}", std::str::from_utf8(c).unwrap()))
        .collect();
    let (status, set, body) = profile(&app, &cookie.join("; ")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["picture"].as_str().unwrap().len(), 6000);
    assert!(set.iter().any(|c| c.starts_with("__session__0=")));
    assert!(
        set.iter().any(|c| c.starts_with("__session__2=")),
        "{set:?}"
    );
}

#[tokio::test]
async fn crate_written_cookie_is_read_by_jose() {
    let now = now();
    let key = CookieKey::derive(SECRET);
    let payload = nextjs_session(now, 10);
    let jwe = key.encrypt(payload.as_object().unwrap(), now + 600);

    let out = jose(json!({"secret": SECRET, "decrypt": jwe})).await;
    assert_eq!(out["error"], Value::Null, "{out}");
    let decrypted = &out["decrypted"];
    assert_eq!(
        decrypted["protectedHeader"],
        json!({"enc": "A256GCM", "alg": "dir"})
    );
    assert_eq!(decrypted["payload"]["user"]["sub"], "auth0|123");
    assert_eq!(decrypted["payload"]["tokenSet"]["refreshToken"], "rt-123");
    assert_eq!(decrypted["payload"]["exp"], now + 600);

    let wrong =
        jose(json!({"secret": "another-secret-that-is-long-enough-000", "decrypt": jwe})).await;
    assert_eq!(wrong["error"], "ERR_JWE_DECRYPTION_FAILED");
}
