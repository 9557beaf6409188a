//! portcullis-axum's options against Portcullis: custom route paths and cookie attributes, the
//! claim allow-list (namespaced claims kept), `before_session_saved` / `on_callback` hooks,
//! typed custom claims (`User<C>`) and the `require(|user| …)` layer.

use std::collections::HashMap;

use axum::Router;
use axum::response::IntoResponse as _;
use axum::routing::get;
use portcullis_axum::{Config, CookieSettings, PortcullisAuth, Routes, SameSite, User};
use portcullis_store::ApplicationType;
use portcullis_testkit::AppSpec;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{EMAIL, Portcullis, browser, location};

const ROLES: &str = "https://example.com/roles";

#[derive(serde::Deserialize)]
struct Roles {
    #[serde(rename = "https://example.com/roles", default)]
    roles: Vec<String>,
}

async fn me(user: User<Roles>) -> axum::Json<Value> {
    axum::Json(json!({"sub": user.sub(), "roles": user.custom.roles}))
}

fn has_role(user: &User, role: &str) -> bool {
    user.claim(ROLES)
        .and_then(Value::as_array)
        .is_some_and(|roles| roles.iter().any(|r| r == role))
}

fn set_cookies(res: &reqwest::Response) -> Vec<String> {
    res.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn custom_routes_cookie_claims_hooks_and_rules() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let op = Portcullis::start(&base).await;
    let app = op
        .add_app(AppSpec {
            name: "sso",
            app_type: ApplicationType::RegularWeb,
            redirect_uris: vec![format!("{base}/sso/cb")],
            post_logout_redirect_uris: vec![format!("{base}/")],
            web_origins: vec![],
        })
        .await;
    let mut routes = Routes::default();
    routes.login = "/sso/login".into();
    routes.callback = "/sso/cb".into();
    routes.logout = "/sso/logout".into();
    routes.profile = "/sso/profile".into();
    routes.access_token = "/sso/token".into();
    let auth = PortcullisAuth::new(
        Config::builder()
            .issuer(op.issuer.clone())
            .client_id(app.client_id.clone())
            .client_secret(app.secret().to_owned())
            .secret("a-test-secret-that-is-at-least-32-characters")
            .app_base_url(base.clone())
            .clock(op.sdk_clock())
            .routes(routes)
            .cookie(
                CookieSettings::default()
                    .name("app_session")
                    .same_site(SameSite::Strict),
            )
            .user_claims(["sub", "email"])
            .before_session_saved(|mut session, id_token| async move {
                // Roles from the app's own directory, as a namespaced claim.
                if id_token.get("email").and_then(Value::as_str) == Some(EMAIL) {
                    session
                        .user
                        .insert_claim(ROLES, json!(["admin", "billing"]));
                }
                session.extra.insert("tenant".into(), json!("acme"));
                Ok(session)
            })
            .on_callback(|outcome| async move {
                match outcome.result {
                    Ok(_) => {
                        let to = format!("/welcome?next={}", outcome.return_to);
                        (StatusCode::FOUND, [(http::header::LOCATION, to)]).into_response()
                    }
                    Err(_) => outcome.default_response,
                }
            })
            .build()
            .unwrap(),
    )
    .unwrap();
    let admin = Router::new()
        .route("/admin", get(|| async { "admin area" }))
        .layer(auth.require(|u| has_role(u, "admin")));
    let root = Router::new()
        .route("/root", get(|| async { "root area" }))
        .route("/api/root", get(|| async { "root api" }))
        .layer(auth.require(|u| has_role(u, "root")));
    let router = Router::new()
        .route("/me", get(me))
        .merge(admin)
        .merge(root)
        .merge(auth.router())
        .layer(auth.session_layer());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let url = |p: &str| format!("{base}{p}");
    let b = browser();

    // Signed out: the rule layer sends pages to the custom login path.
    let res = b.get(url("/admin")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(location(&res), "/sso/login?returnTo=%2Fadmin");

    // The custom login path; the redirect_uri is the custom callback.
    let res = b
        .get(url("/sso/login?returnTo=%2Fadmin"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let authorize = location(&res);
    let q: HashMap<String, String> = reqwest::Url::parse(&authorize)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(q["redirect_uri"], url("/sso/cb"));
    let txn = set_cookies(&res);
    assert!(
        txn.iter()
            .any(|c| c.starts_with("__txn_") && c.contains("SameSite=Lax")),
        "the transaction cookie stays Lax: {txn:?}"
    );

    // The callback answers what on_callback decided; the session cookie has the custom name
    // and SameSite.
    let callback = op.sign_in(&b, &authorize).await;
    assert!(callback.starts_with(&url("/sso/cb?")), "{callback}");
    let res = b.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND, "{:?}", res.text().await);
    assert_eq!(location(&res), "/welcome?next=/admin");
    let set = set_cookies(&res);
    assert!(
        set.iter()
            .any(|c| c.starts_with("app_session=") && c.contains("SameSite=Strict")),
        "{set:?}"
    );
    assert!(!set.iter().any(|c| c.starts_with("__session=")), "{set:?}");

    // The allow-list kept sub and email (not name); the hook's namespaced claim is there.
    let profile: Value = b
        .get(url("/sso/profile"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(profile["sub"], op.user.user_id);
    assert_eq!(profile["email"], EMAIL);
    assert!(profile.get("name").is_none(), "{profile}");
    assert_eq!(profile[ROLES], json!(["admin", "billing"]));

    // Typed custom claims.
    let me: Value = b
        .get(url("/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["roles"], json!(["admin", "billing"]));

    // The rules: admin passes, root is 403 (a page for pages, JSON for APIs).
    let res = b.get(url("/admin")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "admin area");
    let res = b.get(url("/root")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("forbidden"));
    let res = b.get(url("/api/root")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "forbidden");

    // The access token is served at the custom path.
    let res = b.get(url("/sso/token")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}
