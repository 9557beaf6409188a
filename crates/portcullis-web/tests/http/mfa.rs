//! Multi-factor authentication (issue #10): the second-factor step of the sign-in pipeline,
//! authenticator apps, recovery codes, policy per application, step-up, `amr`/`acr`, lockout.

use crate::support::*;
use portcullis_core::mfa::{self, MULTI_FACTOR_ACR, recovery, totp};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Enrols an authenticator app for the test user through the core; returns its secret.
async fn enrol(s: &TestServer) -> String {
    let p = &s.provider;
    let enrolment = totp::begin(p, &s.user).await.unwrap();
    let code = totp::code_at(&enrolment.secret, p.now()).unwrap();
    totp::confirm(p, &s.user, &enrolment.factor_id, &code, "198.51.100.1")
        .await
        .unwrap();
    enrolment.secret
}

/// The code of the next time step (the current one is used up by the enrolment); accepted
/// thanks to the ±1 step of skew.
fn next_code(s: &TestServer, secret: &str) -> String {
    totp::code_at(secret, s.provider.now() + 30).unwrap()
}

/// Signs in with the password; returns where the browser is sent next.
async fn password(s: &TestServer, b: &reqwest::Client, params: &[(&str, String)]) -> String {
    let login = start_login(s, b, params).await;
    let r = submit_login(b, &login, &s.user.email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    location(r.headers())
}

/// Submits the second-factor page at `page` with `code`.
async fn submit_code(
    s: &TestServer,
    b: &reqwest::Client,
    page: &str,
    code: &str,
) -> reqwest::Response {
    let html = b
        .get(s.url(page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    b.post(s.url("u/mfa"))
        .form(&[
            ("state", hidden(&html, "state")),
            ("csrf", hidden(&html, "csrf")),
            ("method", hidden(&html, "method")),
            ("code", code.to_owned()),
        ])
        .send()
        .await
        .unwrap()
}

async fn id_token(s: &TestServer, callback: &str) -> Value {
    let code = query_of(callback)["code"].clone();
    let t: Value = redeem(s, &code).await.json().await.unwrap();
    claims(t["id_token"].as_str().unwrap())
}

/// The text of `<code id="{id}">`.
fn code_text(html: &str, id: &str) -> String {
    let marker = format!("<code id=\"{id}\">");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {id} in {html}"))
        + marker.len();
    let end = html[start..].find("</code>").unwrap() + start;
    html[start..end]
        .replace("&amp;", "&")
        .replace("&#x3d;", "=")
}

#[tokio::test]
async fn an_enrolled_user_signs_in_with_an_app_code_and_the_id_token_says_so() {
    let s = TestServer::start().await;
    let secret = enrol(&s).await;
    let b = browser();
    let to = password(&s, &b, &web_params(&s)).await;
    assert!(to.starts_with("/u/mfa?state="), "{to}");
    // No code yet: the application gets nothing.
    let html = b
        .get(s.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("authenticator app"), "{html}");
    assert!(html.contains("autocomplete=\"one-time-code\""));
    let wrong = submit_code(&s, &b, &to, "000000").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("That code is not right")
    );
    let r = submit_code(&s, &b, &to, &next_code(&s, &secret)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let callback = location(r.headers());
    assert!(callback.starts_with(WEB_CALLBACK), "{callback}");
    let claims = id_token(&s, &callback).await;
    assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]));
    assert_eq!(claims["acr"], MULTI_FACTOR_ACR);
    // SSO: the session already used its second factor; no page for the next application.
    let other = with(web_params(&s), "client_id", &s.other_web.client_id);
    let r = b
        .get(s.url("authorize"))
        .query(&other)
        .send()
        .await
        .unwrap();
    assert!(location(r.headers()).starts_with(WEB_CALLBACK));
}

#[tokio::test]
async fn a_code_cannot_be_used_twice() {
    let s = TestServer::start().await;
    let secret = enrol(&s).await;
    let code = next_code(&s, &secret);
    let first = browser();
    let to = password(&s, &first, &web_params(&s)).await;
    assert_eq!(
        submit_code(&s, &first, &to, &code).await.status(),
        StatusCode::SEE_OTHER
    );
    let second = browser();
    let to = password(&s, &second, &web_params(&s)).await;
    let r = submit_code(&s, &second, &to, &code).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("already used"));
    // The enrolment's own code (the current step) was used up by the enrolment.
    let current = totp::code_at(&secret, s.provider.now()).unwrap();
    let r = submit_code(&s, &second, &to, &current).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_password_alone_gives_amr_pwd_and_no_acr() {
    let s = TestServer::start().await;
    let b = browser();
    let callback = password(&s, &b, &web_params(&s)).await;
    assert!(callback.starts_with(WEB_CALLBACK), "{callback}");
    let claims = id_token(&s, &callback).await;
    assert_eq!(claims["amr"], json!(["pwd"]));
    assert!(claims.get("acr").is_none(), "{claims}");
}

#[tokio::test]
async fn step_up_enrols_a_user_without_a_factor_and_the_token_says_multi_factor() {
    let s = TestServer::start().await;
    let b = browser();
    let callback = password(&s, &b, &web_params(&s)).await;
    assert!(callback.starts_with(WEB_CALLBACK));
    // The application asks for step-up in the same session.
    let params = with(web_params(&s), "acr_values", MULTI_FACTOR_ACR);
    let r = b
        .get(s.url("authorize"))
        .query(&params)
        .send()
        .await
        .unwrap();
    let to = location(r.headers());
    assert!(to.starts_with("/u/mfa/enroll?state="), "{to}");
    let html = b
        .get(s.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("data:image/svg+xml;base64,"),
        "QR code: {html}"
    );
    let secret: String = code_text(&html, "secret").split_whitespace().collect();
    let uri = code_text(&html, "otpauth-uri");
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    let form = |code: String| {
        vec![
            ("state", hidden(&html, "state")),
            ("csrf", hidden(&html, "csrf")),
            ("factor_id", hidden(&html, "factor_id")),
            ("code", code),
        ]
    };
    let r = b
        .post(s.url("u/mfa/enroll"))
        .form(&form("123".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "a wrong first code");
    let code = totp::code_at(&secret, s.provider.now()).unwrap();
    let r = b
        .post(s.url("u/mfa/enroll"))
        .form(&form(code))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert_eq!(
        page.matches("<li><code>").count(),
        recovery::COUNT,
        "{page}"
    );
    let href_at = page.find("href=\"/u/mfa/continue?state=").unwrap() + 6;
    let href = &page[href_at..href_at + page[href_at..].find('"').unwrap()];
    let r = b.get(s.url(href)).send().await.unwrap();
    let callback = location(r.headers());
    assert!(callback.starts_with(WEB_CALLBACK), "{callback}");
    let claims = id_token(&s, &callback).await;
    assert_eq!(claims["acr"], MULTI_FACTOR_ACR);
    assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]));
    // The owner was told.
    let mail = s.provider.store.list_mail(10).await.unwrap();
    assert!(
        mail.iter()
            .any(|m| m.to == s.user.email && m.subject.contains("was added")),
        "{mail:?}"
    );
}

#[tokio::test]
async fn step_up_without_interaction_is_interaction_required() {
    let s = TestServer::start().await;
    let b = browser();
    password(&s, &b, &web_params(&s)).await;
    let params = with(
        with(web_params(&s), "acr_values", MULTI_FACTOR_ACR),
        "prompt",
        "none",
    );
    let r = b
        .get(s.url("authorize"))
        .query(&params)
        .send()
        .await
        .unwrap();
    let q = query_of(&location(r.headers()));
    assert_eq!(q["error"], "interaction_required");
}

#[tokio::test]
async fn the_policy_is_per_application() {
    let s = TestServer::start().await;
    let store = &s.provider.store;
    let now = s.provider.now();
    store
        .put_setting(
            &mfa::policy::application_setting(&s.web.client_id),
            "required",
            now,
        )
        .await
        .unwrap();
    let b = browser();
    let to = password(&s, &b, &web_params(&s)).await;
    assert!(to.starts_with("/u/mfa/enroll?state="), "{to}");
    let other = with(web_params(&s), "client_id", &s.other_web.client_id);
    let b = browser();
    let to = password(&s, &b, &other).await;
    assert!(to.starts_with(WEB_CALLBACK), "{to}");
    // `off` for an application: an enrolled user is not asked there.
    enrol(&s).await;
    store
        .put_setting(
            &mfa::policy::application_setting(&s.other_web.client_id),
            "off",
            now,
        )
        .await
        .unwrap();
    let b = browser();
    let to = password(&s, &b, &other).await;
    assert!(to.starts_with(WEB_CALLBACK), "{to}");
    let b = browser();
    let to = password(&s, &b, &web_params(&s)).await;
    assert!(to.starts_with("/u/mfa?state="), "{to}");
}

#[tokio::test]
async fn a_recovery_code_signs_in_once_and_says_how_many_remain() {
    let s = TestServer::start().await;
    enrol(&s).await;
    let codes = recovery::regenerate(&s.provider, &s.user).await.unwrap();
    let b = browser();
    let to = password(&s, &b, &web_params(&s)).await;
    let recovery_page = format!("{to}&method=recovery");
    let r = submit_code(&s, &b, &recovery_page, &codes[3]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("You have 9 recovery codes left"), "{html}");
    let href_at = html.find("href=\"/u/mfa/continue?state=").unwrap() + 6;
    let href = &html[href_at..href_at + html[href_at..].find('"').unwrap()];
    let r = b.get(s.url(href)).send().await.unwrap();
    let callback = location(r.headers());
    let claims = id_token(&s, &callback).await;
    assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]));
    let b = browser();
    let to = password(&s, &b, &web_params(&s)).await;
    let r = submit_code(&s, &b, &format!("{to}&method=recovery"), &codes[3]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "single use");
}

#[tokio::test]
async fn failed_second_factors_lock_the_password_out_too() {
    let s = TestServer::start().await;
    enrol(&s).await;
    let b = browser();
    let to = password(&s, &b, &web_params(&s)).await;
    let limit = s.provider.config.max_failed_logins;
    for _ in 0..limit {
        let r = submit_code(&s, &b, &to, "000000").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = submit_code(&s, &b, &to, "000000").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // The user's sign-in lockout counted them: the password is refused from this address.
    let b = browser();
    let login = start_login(&s, &b, &web_params(&s)).await;
    let r = submit_login(&b, &login, &s.user.email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_account_page_needs_the_second_factor_and_manages_it() {
    let s = TestServer::start().await;
    let secret = enrol(&s).await;
    let b = browser();
    let to = password(&s, &b, &web_params(&s)).await;
    assert!(to.starts_with("/u/mfa?state="));
    // A password-only session does not open the account page.
    let r = b.get(s.url("u/account")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(r.headers()), "/u/mfa");
    let r = submit_code(&s, &b, "/u/mfa", &next_code(&s, &secret)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(r.headers()), "/u/account");
    let html = b
        .get(s.url("u/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Two-step verification") && html.contains("Authenticator app"));
    let factor_id = s
        .provider
        .store
        .list_mfa_factors(&s.user.user_id)
        .await
        .unwrap()[0]
        .factor_id
        .clone();
    let r = b
        .post(s.url("u/account/mfa/remove"))
        .form(&[("csrf", hidden(&html, "csrf")), ("factor_id", factor_id)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        !mfa::enrolled(&s.provider, &s.user.user_id)
            .await
            .unwrap()
            .any()
    );
    let mail = s.provider.store.list_mail(10).await.unwrap();
    assert!(
        mail.iter().any(|m| m.subject.contains("was removed")),
        "{mail:?}"
    );
    // A forged form (no CSRF token) changes nothing.
    let r = b
        .post(s.url("u/account/mfa/recovery-codes"))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn discovery_lists_the_multi_factor_acr() {
    let s = TestServer::start().await;
    let d: Value = reqwest::get(s.url(".well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["acr_values_supported"], json!([MULTI_FACTOR_ACR]));
    assert!(
        d["claims_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("amr"))
    );
}
