//! portcullis-bearer's actix-web extractors (feature `actix`, enabled by this crate): the same
//! answers as the axum ones. No provider needed: HS256 tokens with a shared secret.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use actix_web::{App, HttpResponse, test, web};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use portcullis_bearer::{ActixAuthorized, ActixBearer, Guard, Validator, requirement};

const SECRET: &[u8] = b"a long shared secret, at least 32 bytes";
const ISSUER: &str = "https://issuer.example/";
const AUDIENCE: &str = "https://api.example";

requirement!(Billing = Guard::permissions_all(["read:billing"]));

fn token(claims: serde_json::Value) -> String {
    let input = format!(
        "{}.{}",
        B64.encode(r#"{"alg":"HS256","typ":"at+jwt"}"#),
        B64.encode(claims.to_string())
    );
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, SECRET);
    format!(
        "{input}.{}",
        B64.encode(aws_lc_rs::hmac::sign(&key, input.as_bytes()))
    )
}

fn claims(permissions: &[&str]) -> serde_json::Value {
    serde_json::json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "exp": 4_102_444_800u64,
        "permissions": permissions})
}

async fn me(ActixBearer(t): ActixBearer) -> HttpResponse {
    HttpResponse::Ok().body(t.subject.unwrap_or_default())
}

async fn billing(_: ActixAuthorized<Billing>) -> HttpResponse {
    HttpResponse::Ok().body("billing")
}

async fn home(user: Option<ActixBearer>) -> HttpResponse {
    HttpResponse::Ok().body(if user.is_some() { "user" } else { "anonymous" })
}

#[actix_web::test]
async fn actix_extractors_answer_per_rfc6750() {
    let validator = Validator::builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .shared_secret(SECRET.to_vec())
        .realm("api")
        .clock(Arc::new(|| 1_800_000_000))
        .build()
        .unwrap();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(validator))
            .route("/api/me", web::get().to(me))
            .route("/api/billing", web::get().to(billing))
            .route("/", web::get().to(home)),
    )
    .await;
    let call = |path: &str, token: Option<&str>| {
        let mut req = test::TestRequest::get().uri(path);
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        req.to_request()
    };
    let www = |res: &actix_web::dev::ServiceResponse| {
        res.headers()
            .get("WWW-Authenticate")
            .map(|v| v.to_str().unwrap().to_owned())
    };

    let biller = token(claims(&["read:billing"]));
    let reader = token(claims(&["read:shows"]));

    let res = test::call_service(&app, call("/api/me", Some(&biller))).await;
    assert_eq!(res.status(), 200);
    assert_eq!(test::read_body(res).await, "user-1");

    // No credentials: 401 with a bare challenge.
    let res = test::call_service(&app, call("/api/me", None)).await;
    assert_eq!(res.status(), 401);
    assert_eq!(www(&res).as_deref(), Some("Bearer realm=\"api\""));

    // A bad token: 401 invalid_token.
    let res = test::call_service(&app, call("/api/me", Some("a.b.c"))).await;
    assert_eq!(res.status(), 401);
    assert!(www(&res).unwrap().contains("error=\"invalid_token\""));

    // Permissions: 200, or 403 insufficient_scope.
    let res = test::call_service(&app, call("/api/billing", Some(&biller))).await;
    assert_eq!(res.status(), 200);
    let res = test::call_service(&app, call("/api/billing", Some(&reader))).await;
    assert_eq!(res.status(), 403);
    assert!(www(&res).unwrap().contains("error=\"insufficient_scope\""));
    let body: serde_json::Value = test::read_body_json(res).await;
    assert_eq!(body["error"], "insufficient_scope");

    // Optional sign-in.
    let res = test::call_service(&app, call("/", None)).await;
    assert_eq!(test::read_body(res).await, "anonymous");
    let res = test::call_service(&app, call("/", Some(&reader))).await;
    assert_eq!(test::read_body(res).await, "user");
}
