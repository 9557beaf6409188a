//! Regression tests for the adversarial review (issue #7): each fails on the code before the fix.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Arc;

/// Sends `n` requests at once and returns their statuses.
async fn burst<F, Fut>(n: usize, f: F) -> Vec<StatusCode>
where
    F: Fn() -> Fut,
    Fut: Future<Output = StatusCode> + Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let request = f();
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                request.await
            })
        })
        .collect();
    let mut statuses = Vec::with_capacity(n);
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses
}

fn count(statuses: &[StatusCode], status: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

// 1. The lockouts hold under concurrency.

#[tokio::test]
async fn parallel_wrong_passwords_get_no_more_checks_than_the_limit() {
    let s = TestServer::start().await;
    let b = browser();
    let login = start_login(&s, &b, &web_params(&s)).await;
    let html = b.get(&login).send().await.unwrap().text().await.unwrap();
    let form = vec![
        ("state", hidden(&html, "state")),
        ("csrf", hidden(&html, "csrf")),
        ("email", s.user.email.clone()),
        ("password", "wrong password".to_owned()),
    ];
    let url = s.url("u/login");
    let statuses = burst(100, || {
        let (b, url, form) = (b.clone(), url.clone(), form.clone());
        async move { b.post(url).form(&form).send().await.unwrap().status() }
    })
    .await;
    let checked = count(&statuses, StatusCode::UNAUTHORIZED);
    let refused = count(&statuses, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(checked + refused, 100, "{statuses:?}");
    assert_eq!(
        checked, 10,
        "exactly the limit (10) was checked: {statuses:?}"
    );
    // The right password is refused while the pair is blocked.
    let r = submit_login(&b, &login, &s.user.email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn parallel_bad_client_secrets_get_no_more_checks_than_the_limit() {
    let s = TestServer::start().await;
    let url = s.url("oauth/token");
    let client_id = s.m2m.client_id.clone();
    let statuses = burst(80, || {
        let (url, client_id) = (url.clone(), client_id.clone());
        async move {
            reqwest::Client::new()
                .post(url)
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id.as_str()),
                    ("client_secret", "not-the-secret-not-the-secret-0000"),
                    ("audience", API),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    })
    .await;
    let checked = count(&statuses, StatusCode::UNAUTHORIZED);
    assert_eq!(
        checked + count(&statuses, StatusCode::TOO_MANY_REQUESTS),
        80
    );
    assert_eq!(
        checked, 20,
        "exactly the limit (20) was checked: {statuses:?}"
    );
    let (status, _, body) = post_token(
        &s,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &s.m2m.client_id),
            ("client_secret", s.m2m.secret()),
            ("audience", API),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
}

#[tokio::test]
async fn successful_client_authentications_are_never_throttled() {
    let s = TestServer::start().await;
    for _ in 0..30 {
        let (status, _, body) = post_token(
            &s,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &s.m2m.client_id),
                ("client_secret", s.m2m.secret()),
                ("audience", API),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

// 2. Unknown clients create no state of their own.

#[tokio::test]
async fn unknown_and_overlong_client_ids_spend_the_callers_budget_not_new_counters() {
    let s = TestServer::start().await;
    let long = "x".repeat(60 * 1024);
    let (status, _, body) = post_token(
        &s,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &long),
            ("client_secret", "whatever-whatever-whatever-whatever"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "invalid_client");
    // Each unknown id costs the same per-address budget (100): the 101st is refused, whatever
    // the id, while the known application is still served.
    for i in 0..100 {
        let id = format!("unknown-{i}");
        let (status, _, _) = post_token(
            &s,
            &[("grant_type", "client_credentials"), ("client_id", &id)],
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "request {i}");
    }
    let (status, _, body) = post_token(
        &s,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "unknown-new"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let (status, _, body) = post_token(
        &s,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &s.m2m.client_id),
            ("client_secret", s.m2m.secret()),
            ("audience", API),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn expired_sessions_and_throttle_counters_are_purged() {
    let s = TestServer::start().await;
    let b = browser();
    let cb = sign_in(&s, &b, &web_params(&s)).await;
    let t: Value = redeem(&s, &cb["code"]).await.json().await.unwrap();
    let sid = claims(t["id_token"].as_str().unwrap())["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let login = start_login(&s, &b, &with(web_params(&s), "prompt", "login")).await;
    let r = submit_login(&b, &login, &s.user.email, "wrong password").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let store = &s.provider.store;
    // Eight days on: past the session's absolute lifetime and the throttle window.
    s.clock.advance(8 * 86_400);
    assert!(
        store.get_session(&sid).await.unwrap().is_some(),
        "not purged yet"
    );
    portcullis_core::maintenance::tick(&s.provider).await;
    assert_eq!(
        store.get_session(&sid).await.unwrap(),
        None,
        "session purged"
    );
    let now = s.provider.now();
    assert_eq!(
        store.purge_expired_rate_limits(now).await.unwrap(),
        0,
        "the failed sign-in's counter went with the same tick"
    );
}

// 3. A logout hint ends only the session it names.

async fn signed_in_with_id_token(s: &TestServer, b: &reqwest::Client) -> String {
    let cb = sign_in(s, b, &web_params(s)).await;
    let t: Value = redeem(s, &cb["code"]).await.json().await.unwrap();
    t["id_token"].as_str().unwrap().to_owned()
}

async fn still_signed_in(s: &TestServer, b: &reqwest::Client) -> bool {
    let r = b
        .get(s.url("authorize"))
        .query(&with(web_params(s), "prompt", "none"))
        .send()
        .await
        .unwrap();
    query_of(&location(r.headers())).contains_key("code")
}

#[tokio::test]
async fn a_hint_for_another_user_asks_before_ending_the_session() {
    let s = TestServer::start().await;
    let victim = browser();
    signed_in_with_id_token(&s, &victim).await;
    // The attacker's own ID token, from their own browser.
    s.add_user("mallory@example.com", PASSWORD).await;
    let attacker = browser();
    let login = start_login(&s, &attacker, &web_params(&s)).await;
    let r = submit_login(&attacker, &login, "mallory@example.com", PASSWORD).await;
    let cb = query_of(&location(r.headers()));
    let t: Value = redeem(&s, &cb["code"]).await.json().await.unwrap();
    let foreign_hint = t["id_token"].as_str().unwrap();
    let r = victim
        .get(s.url("oidc/logout"))
        .query(&[("id_token_hint", foreign_hint)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Sign out?"));
    assert!(still_signed_in(&s, &victim).await);
}

#[tokio::test]
async fn a_hint_from_an_earlier_session_of_the_same_user_asks_first() {
    let s = TestServer::start().await;
    let b = browser();
    let old_hint = signed_in_with_id_token(&s, &b).await;
    // A new session (prompt=login replaces the old one); the old hint names the old sid.
    let login = start_login(&s, &b, &with(web_params(&s), "prompt", "login")).await;
    let r = submit_login(&b, &login, &s.user.email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = b
        .get(s.url("oidc/logout"))
        .query(&[("id_token_hint", old_hint.as_str())])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("Sign out?"));
    assert!(still_signed_in(&s, &b).await);
}

#[tokio::test]
async fn v2_logout_from_an_image_or_a_frame_asks_a_navigation_does_not() {
    let s = TestServer::start().await;
    let b = browser();
    sign_in(&s, &b, &web_params(&s)).await;
    for (dest, mode) in [
        ("image", "no-cors"),
        ("iframe", "navigate"),
        ("empty", "cors"),
    ] {
        let r = b
            .get(s.url("v2/logout"))
            .header("sec-fetch-dest", dest)
            .header("sec-fetch-mode", mode)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{dest}");
        assert!(r.text().await.unwrap().contains("Sign out?"), "{dest}");
        assert!(still_signed_in(&s, &b).await, "{dest} ended the session");
    }
    let r = b
        .get(s.url("v2/logout"))
        .header("sec-fetch-dest", "document")
        .header("sec-fetch-mode", "navigate")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!still_signed_in(&s, &b).await);
}

#[tokio::test]
async fn a_client_that_sends_only_a_fetch_mode_is_not_taken_for_a_browser_subresource() {
    // Node's fetch sends `Sec-Fetch-Mode: cors` and no `Sec-Fetch-Dest`; browsers send both.
    let s = TestServer::start().await;
    let b = browser();
    sign_in(&s, &b, &web_params(&s)).await;
    let r = b
        .get(s.url("v2/logout"))
        .header("sec-fetch-mode", "cors")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!still_signed_in(&s, &b).await);
}

// 4. Another client cannot burn or replay someone else's code.

fn redeem_as<'a>(app: &'a App, code: &'a str, verifier: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", WEB_CALLBACK),
        ("code_verifier", verifier),
        ("client_id", &app.client_id),
        ("client_secret", app.secret()),
    ]
}

#[tokio::test]
async fn a_stolen_code_presented_by_another_client_is_not_burned() {
    let s = TestServer::start().await;
    let cb = sign_in(&s, &browser(), &web_params(&s)).await;
    let (status, _, body) = post_token(&s, &redeem_as(&s.other_web, &cb["code"], VERIFIER)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    // A wrong verifier from the right client does not burn it either.
    let wrong = "x".repeat(43);
    let (status, _, _) = post_token(&s, &redeem_as(&s.web, &cb["code"], &wrong)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, body) = post_token(&s, &redeem_as(&s.web, &cb["code"], VERIFIER)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the rightful redemption still works: {body}"
    );
}

#[tokio::test]
async fn a_used_code_presented_by_another_client_revokes_nothing() {
    let s = TestServer::start().await;
    let cb = sign_in(&s, &browser(), &web_params(&s)).await;
    let (status, _, tokens) = post_token(&s, &redeem_as(&s.web, &cb["code"], VERIFIER)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = post_token(&s, &redeem_as(&s.other_web, &cb["code"], VERIFIER)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // The victim's refresh token still works.
    let rt = tokens["refresh_token"].as_str().unwrap();
    let refresh = |rt: &str| {
        vec![
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", rt.to_owned()),
            ("client_id", s.web.client_id.clone()),
            ("client_secret", s.web.secret().to_owned()),
        ]
    };
    let form = refresh(rt);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, body) = post_token(&s, &form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The same replay by the code's own client does revoke.
    let (status, _, _) = post_token(&s, &redeem_as(&s.web, &cb["code"], VERIFIER)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let form = refresh(body["refresh_token"].as_str().unwrap());
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, body) = post_token(&s, &form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn a_refresh_token_presented_by_another_client_revokes_nothing() {
    let s = TestServer::start().await;
    let t = tokens(&s).await;
    let rt = t["refresh_token"].as_str().unwrap();
    let as_other = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt),
        ("client_id", &s.other_web.client_id),
        ("client_secret", s.other_web.secret()),
    ];
    for _ in 0..2 {
        let (status, _, body) = post_token(&s, &as_other).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "invalid_grant");
    }
    let (status, _, body) = post_token(
        &s,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt),
            ("client_id", &s.web.client_id),
            ("client_secret", s.web.secret()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

// 5. Repeated JSON keys are refused like repeated form parameters.

#[tokio::test]
async fn repeated_json_keys_are_refused() {
    let s = TestServer::start().await;
    let body = format!(
        r#"{{"grant_type":"client_credentials","client_id":"{id}","client_secret":"{secret}","audience":"{API}","audience":"https://elsewhere.example"}}"#,
        id = s.m2m.client_id,
        secret = s.m2m.secret(),
    );
    let r = reqwest::Client::new()
        .post(s.url("oauth/token"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("more than once"),
        "{body}"
    );
}

// 6. Introspection answers only the token's client and the API's named introspectors.

#[tokio::test]
async fn introspection_by_an_unrelated_client_learns_nothing() {
    let s = TestServer::start().await;
    let (_, _, m2m) = post_token(
        &s,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &s.m2m.client_id),
            ("client_secret", s.m2m.secret()),
            ("audience", API),
        ],
    )
    .await;
    let at = m2m["access_token"].as_str().unwrap();
    let introspect = |app: &App| {
        let form = [
            ("token", at.to_owned()),
            ("client_id", app.client_id.clone()),
            ("client_secret", app.secret().to_owned()),
        ];
        let url = s.url("oauth/introspect");
        async move {
            let r = reqwest::Client::new()
                .post(url)
                .form(&form)
                .send()
                .await
                .unwrap();
            r.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(introspect(&s.m2m).await["active"], true, "its own client");
    assert_eq!(
        introspect(&s.web).await,
        serde_json::json!({"active": false}),
        "another confidential client"
    );
    // The API names the web app as one of its introspection clients.
    let store = &s.provider.store;
    let mut api = store.get_api_by_identifier(API).await.unwrap().unwrap();
    api.introspection_clients = vec![s.web.client_id.clone()];
    store.update_api(&api).await.unwrap();
    let seen = introspect(&s.web).await;
    assert_eq!(seen["active"], true, "{seen}");
    assert_eq!(seen["client_id"], s.m2m.client_id.as_str());
    assert_eq!(introspect(&s.other_web).await["active"], false);
}

// 8. Smaller items.

#[tokio::test]
async fn sign_in_accepts_any_spelling_of_the_email() {
    let s = TestServer::start().await;
    let b = browser();
    let login = start_login(&s, &b, &web_params(&s)).await;
    // Full-width letters, upper case and spaces: one account.
    let r = submit_login(&b, &login, " ＪＡＮＥ@Example.com ", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
}

#[tokio::test]
async fn prompt_login_replaces_the_previous_session() {
    let s = TestServer::start().await;
    let b = browser();
    let first = sign_in(&s, &b, &web_params(&s)).await;
    let first_sid = {
        let t: Value = redeem(&s, &first["code"]).await.json().await.unwrap();
        claims(t["id_token"].as_str().unwrap())["sid"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let login = start_login(&s, &b, &with(web_params(&s), "prompt", "login")).await;
    let r = submit_login(&b, &login, &s.user.email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let store = &s.provider.store;
    assert_eq!(store.get_session(&first_sid).await.unwrap(), None);
    assert!(still_signed_in(&s, &b).await, "the new session is live");
}

#[tokio::test]
async fn oversized_token_requests_get_an_oauth_error_body() {
    let s = TestServer::start().await;
    let r = reqwest::Client::new()
        .post(s.url("oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=client_credentials&x={}",
            "a".repeat(70 * 1024)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("too large")
    );
}

#[tokio::test]
async fn https_issuers_send_strict_transport_security() {
    use portcullis_core::clock::SystemClock;
    use portcullis_core::config::{Issuer, ProviderConfig};
    use portcullis_core::crypto::MasterKey;
    // The issuer is the public https URL; TLS ends at a proxy in front of this listener.
    let store = Arc::new(
        portcullis_store_sqlite::SqliteStore::in_memory()
            .await
            .unwrap(),
    );
    let config = ProviderConfig::new(Issuer::parse("https://id.example.test/").unwrap());
    let provider = portcullis_core::Provider::new(
        store,
        config,
        Arc::new(SystemClock),
        &MasterKey::generate(),
    )
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = portcullis_web::router(provider);
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    for path in [".well-known/openid-configuration", "oauth/token", "nowhere"] {
        let r = reqwest::Client::new()
            .get(format!("http://{addr}/{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.headers()["strict-transport-security"],
            "max-age=63072000",
            "{path}"
        );
    }
    // Not on a plain-http development issuer.
    let s = TestServer::start().await;
    let r = reqwest::get(s.url(".well-known/openid-configuration"))
        .await
        .unwrap();
    assert!(!r.headers().contains_key("strict-transport-security"));
}

// 7. Client secrets may hold any printable ASCII, the space included.

#[tokio::test]
async fn a_secret_with_spaces_works_in_basic_and_in_the_body() {
    use base64::Engine as _;
    let s = TestServer::start().await;
    let secret = "a secret with spaces & symbols: 0123456789 ~!";
    let store = &s.provider.store;
    let mut client = store.get_client(&s.m2m.client_id).await.unwrap().unwrap();
    client.secret_hash = Some(s.provider.hasher.hash(secret));
    store.update_client(&client).await.unwrap();
    // RFC 6749 §2.3.1: form-urlencode each half, then Base64.
    let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{encoded}", s.m2m.client_id));
    let r = reqwest::Client::new()
        .post(s.url("oauth/token"))
        .header("authorization", format!("Basic {basic}"))
        .form(&[("grant_type", "client_credentials"), ("audience", API)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{:?}", r.text().await);
    let (status, _, body) = post_token(
        &s,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &s.m2m.client_id),
            ("client_secret", secret),
            ("audience", API),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
