//! The hosted sign-in page: CSRF, throttling, SSO, prompt=login, max_age, headers.

use crate::support::*;
use reqwest::StatusCode;

#[tokio::test]
async fn sign_in_page_is_not_framable_and_sends_no_referrer() {
    let s = TestServer::start().await;
    let b = browser();
    let login = start_login(&s, &b, &web_params(&s)).await;
    let r = b.get(&login).send().await.unwrap();
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("script-src 'none'"), "{csp}");
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let html = r.text().await.unwrap();
    assert!(html.contains("web app"), "shows the application's name");
    assert!(!html.contains("https://"), "no third-party resources");
}

#[tokio::test]
async fn sign_in_without_csrf_token_is_refused() {
    let s = TestServer::start().await;
    let b = browser();
    let login = start_login(&s, &b, &web_params(&s)).await;
    let html = b.get(&login).send().await.unwrap().text().await.unwrap();
    let form = [
        ("state", hidden(&html, "state")),
        ("csrf", "forged".to_owned()),
        ("email", s.user.email.clone()),
        ("password", PASSWORD.to_owned()),
    ];
    let r = b.post(s.url("u/login")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A different browser (no CSRF cookie) replaying a valid form is refused too.
    let form = [
        ("state", hidden(&html, "state")),
        ("csrf", hidden(&html, "csrf")),
        ("email", s.user.email.clone()),
        ("password", PASSWORD.to_owned()),
    ];
    let r = browser()
        .post(s.url("u/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn cross_site_sign_in_post_is_refused() {
    let s = TestServer::start().await;
    let b = browser();
    let login = start_login(&s, &b, &web_params(&s)).await;
    let html = b.get(&login).send().await.unwrap().text().await.unwrap();
    let form = [
        ("state", hidden(&html, "state")),
        ("csrf", hidden(&html, "csrf")),
        ("email", s.user.email.clone()),
        ("password", PASSWORD.to_owned()),
    ];
    let r = b
        .post(s.url("u/login"))
        .header("origin", "http://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = b
        .post(s.url("u/login"))
        .header("sec-fetch-site", "cross-site")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn tampered_or_missing_transaction_shows_an_error_page() {
    let s = TestServer::start().await;
    let r = browser()
        .get(s.url("u/login?state=garbage"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("expired or is not valid"));
    let r = browser().get(s.url("u/login")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let s = TestServer::start().await;
    let b = browser();
    let login = start_login(&s, &b, &web_params(&s)).await;
    let wrong = submit_login(&b, &login, &s.user.email, "not the password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let wrong = wrong.text().await.unwrap();
    let unknown = submit_login(&b, &login, "nobody@example.com", "not the password").await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let unknown = unknown.text().await.unwrap();
    assert!(wrong.contains("Wrong email or password."));
    assert!(unknown.contains("Wrong email or password."));
}

#[tokio::test]
async fn repeated_failures_are_throttled_per_user_and_ip() {
    let s = TestServer::start().await;
    let b = browser();
    let login = start_login(&s, &b, &web_params(&s)).await;
    for _ in 0..10 {
        let r = submit_login(&b, &login, &s.user.email, "wrong").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // Blocked now, even with the right password.
    let r = submit_login(&b, &login, &s.user.email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().await.unwrap().contains("Too many failed attempts"));
    // Another account from the same IP is unaffected.
    let other = s.add_user("other@example.com", PASSWORD).await;
    let r = submit_login(&b, &login, &other.email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // After the window the user can sign in again.
    s.clock.advance(3601);
    let login = start_login(&s, &browser(), &web_params(&s)).await;
    let r = submit_login(&browser(), &login, &s.user.email, PASSWORD).await;
    assert_ne!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn blocked_user_cannot_sign_in() {
    let s = TestServer::start().await;
    let mut user = s.user.clone();
    user.blocked = true;
    s.provider.store.update_user(&user).await.unwrap();
    let b = browser();
    let login = start_login(&s, &b, &web_params(&s)).await;
    let r = submit_login(&b, &login, &s.user.email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("blocked"));
}

#[tokio::test]
async fn sign_in_sets_an_http_only_session_cookie_and_redirects_with_303() {
    let s = TestServer::start().await;
    let b = browser();
    let login = start_login(&s, &b, &web_params(&s)).await;
    let r = submit_login(&b, &login, &s.user.email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("portcullis_session="))
        .expect("session cookie")
        .to_owned();
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(location(r.headers()).starts_with(WEB_CALLBACK));
}

#[tokio::test]
async fn second_application_signs_in_without_a_prompt_sso() {
    let s = TestServer::start().await;
    let b = browser();
    sign_in(&s, &b, &web_params(&s)).await;
    let params = with(web_params(&s), "client_id", &s.other_web.client_id);
    let r = b
        .get(s.url("authorize"))
        .query(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let q = query_of(&location(r.headers()));
    assert!(q.contains_key("code"), "{q:?}");
}

#[tokio::test]
async fn prompt_login_forces_the_sign_in_page_and_a_new_auth_time() {
    let s = TestServer::start().await;
    let b = browser();
    sign_in(&s, &b, &web_params(&s)).await;
    s.clock.advance(120);
    let login = start_login(&s, &b, &with(web_params(&s), "prompt", "login")).await;
    let r = submit_login(&b, &login, &s.user.email, PASSWORD).await;
    let q = query_of(&location(r.headers()));
    let body: serde_json::Value = redeem(&s, &q["code"]).await.json().await.unwrap();
    let id = claims(body["id_token"].as_str().unwrap());
    assert_eq!(id["auth_time"], s.provider.now());
}

#[tokio::test]
async fn max_age_exceeded_requires_a_new_sign_in() {
    let s = TestServer::start().await;
    let b = browser();
    sign_in(&s, &b, &web_params(&s)).await;
    let r = b
        .get(s.url("authorize"))
        .query(&with(web_params(&s), "max_age", "60"))
        .send()
        .await
        .unwrap();
    assert!(
        query_of(&location(r.headers())).contains_key("code"),
        "within max_age: no prompt"
    );
    s.clock.advance(61);
    let r = b
        .get(s.url("authorize"))
        .query(&with(web_params(&s), "max_age", "60"))
        .send()
        .await
        .unwrap();
    assert!(
        location(r.headers()).starts_with("/u/login"),
        "beyond max_age: sign in again"
    );
    let r = b
        .get(s.url("authorize"))
        .query(&with(
            with(web_params(&s), "max_age", "60"),
            "prompt",
            "none",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(query_of(&location(r.headers()))["error"], "login_required");
}

/// Browsers send `Origin: null` on same-origin POSTs from a `Referrer-Policy: no-referrer`
/// page; with `Sec-Fetch-Site: same-origin` and a valid token that is our own form.
#[tokio::test]
async fn same_origin_post_with_null_origin_from_a_no_referrer_page_signs_in() {
    let s = TestServer::start().await;
    let b = browser();
    let login = start_login(&s, &b, &web_params(&s)).await;
    let html = b.get(&login).send().await.unwrap().text().await.unwrap();
    let form = [
        ("state", hidden(&html, "state")),
        ("csrf", hidden(&html, "csrf")),
        ("email", s.user.email.clone()),
        ("password", PASSWORD.to_owned()),
    ];
    let r = b
        .post(s.url("u/login"))
        .header("origin", "null")
        .header("sec-fetch-site", "same-origin")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn favicon_is_served() {
    let s = TestServer::start().await;
    let r = reqwest::get(s.url("favicon.ico")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
}

#[tokio::test]
async fn after_a_wrong_password_the_email_is_kept_and_the_password_field_focused() {
    let s = TestServer::start().await;
    let b = browser();
    let login = start_login(&s, &b, &web_params(&s)).await;
    let html = submit_login(&b, &login, &s.user.email, "nope")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("value=\"{}\"", s.user.email)));
    assert!(html.contains("autocomplete=\"current-password\" required autofocus"));
}

async fn failed_sign_ins_from(s: &TestServer, forwarded_for: &[&str]) -> Vec<StatusCode> {
    let b = browser();
    let login = start_login(s, &b, &web_params(s)).await;
    let html = b.get(&login).send().await.unwrap().text().await.unwrap();
    let mut statuses = Vec::new();
    for xff in forwarded_for {
        let form = [
            ("state", hidden(&html, "state")),
            ("csrf", hidden(&html, "csrf")),
            ("email", s.user.email.clone()),
            ("password", "wrong".to_owned()),
        ];
        let r = b
            .post(s.url("u/login"))
            .header("x-forwarded-for", *xff)
            .form(&form)
            .send()
            .await
            .unwrap();
        statuses.push(r.status());
    }
    statuses
}

#[tokio::test]
async fn x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
    // Not trusted: a client rotating the header is still one address.
    let s = TestServer::start().await;
    let xffs: Vec<String> = (1..=11).map(|i| format!("198.51.100.{i}")).collect();
    let xffs: Vec<&str> = xffs.iter().map(String::as_str).collect();
    let statuses = failed_sign_ins_from(&s, &xffs).await;
    assert_eq!(statuses[10], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_address_is_throttled() {
    let s = TestServer::start_with(portcullis_web::WebOptions {
        trusted_proxies: vec!["127.0.0.0/8".parse().unwrap()],
        ..Default::default()
    })
    .await;
    let statuses = failed_sign_ins_from(&s, &["198.51.100.1"; 11]).await;
    assert_eq!(statuses[10], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    // Another client behind the same proxy is not blocked.
    let statuses = failed_sign_ins_from(&s, &["198.51.100.2"]).await;
    assert_eq!(statuses, [StatusCode::UNAUTHORIZED]);
}
