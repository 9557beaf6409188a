//! Passkeys (issue #10) over HTTP, with the test kit's software authenticator standing in for
//! the browser and the platform authenticator: registration from the account page,
//! passwordless sign-in, the second factor after the password, and what the server refuses
//! (replayed or expired ceremony state, a foreign origin, an unknown or removed credential),
//! the throttle, and an issuer where passkeys are unavailable.

use crate::support::*;
use portcullis_core::mfa::{MULTI_FACTOR_ACR, passkey};
use portcullis_store::FactorKind;
use portcullis_testkit::webauthn::SoftAuthenticator;
use portcullis_testkit::{Server, attribute};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The test tenant on an issuer at `http://localhost:PORT/` (a relying party id is a domain).
async fn start() -> TestServer {
    start_with(|_| {}).await
}

async fn start_with(configure: impl FnOnce(&mut portcullis_core::ProviderConfig)) -> TestServer {
    TestServer::around(
        Server::start_at(
            "localhost",
            portcullis_web::WebOptions::default(),
            configure,
        )
        .await,
    )
    .await
}

fn authenticator(s: &TestServer) -> SoftAuthenticator {
    SoftAuthenticator::new(s.issuer.trim_end_matches('/'))
}

async fn get_html(s: &TestServer, b: &reqwest::Client, path: &str) -> (StatusCode, String) {
    let r = b.get(s.url(path)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// The passkey form's options (the JSON the page hands the script).
fn options(html: &str) -> Value {
    serde_json::from_str(&attribute(html, "data-options")).unwrap()
}

/// A browser signed in with the password (no factor yet): at the application's callback.
async fn signed_in(s: &TestServer) -> reqwest::Client {
    let b = browser();
    let cb = sign_in(s, &b, &web_params(s)).await;
    assert!(cb.contains_key("code"), "{cb:?}");
    b
}

/// Registers a passkey from the account page; returns the registration page's answer.
async fn register(
    s: &TestServer,
    b: &reqwest::Client,
    auth: &mut SoftAuthenticator,
    name: &str,
) -> reqwest::Response {
    let (status, html) = get_html(s, b, "u/mfa/passkey").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("data-passkey=\"register\""), "{html}");
    let credential = auth.create(&options(&html));
    b.post(s.url("u/mfa/passkey"))
        .form(&[
            ("state", String::new()),
            ("csrf", hidden(&html, "csrf")),
            ("ceremony", hidden(&html, "ceremony")),
            ("credential", credential.to_string()),
            ("name", name.to_owned()),
        ])
        .send()
        .await
        .unwrap()
}

/// A user with one registered passkey (named "Laptop"), and its authenticator.
async fn with_passkey(s: &TestServer) -> SoftAuthenticator {
    let b = signed_in(s).await;
    let mut auth = authenticator(s);
    let r = register(s, &b, &mut auth, "Laptop").await;
    assert_eq!(r.status(), StatusCode::OK);
    auth
}

/// The sign-in page of a new authorization request: (page HTML, its URL).
async fn login_page(s: &TestServer, b: &reqwest::Client) -> String {
    let url = start_login(s, b, &web_params(s)).await;
    let r = b.get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

/// Posts a passkey answer from the sign-in page `html`.
async fn post_sign_in(
    s: &TestServer,
    b: &reqwest::Client,
    html: &str,
    credential: &Value,
) -> reqwest::Response {
    b.post(s.url("u/login/passkey"))
        .form(&[
            ("state", hidden(html, "state")),
            ("csrf", hidden(html, "csrf")),
            ("ceremony", hidden(html, "ceremony")),
            ("credential", credential.to_string()),
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

async fn passkey_factors(s: &TestServer) -> Vec<portcullis_store::MfaFactor> {
    s.provider
        .store
        .list_mfa_factors(&s.user.user_id)
        .await
        .unwrap()
        .into_iter()
        .filter(|f| f.kind == FactorKind::Passkey)
        .collect()
}

#[tokio::test]
async fn a_passkey_registered_on_the_account_page_signs_in_without_a_password() {
    let s = start().await;
    let b = signed_in(&s).await;
    let (_, account) = get_html(&s, &b, "u/account").await;
    assert!(account.contains("href=\"/u/mfa/passkey\""), "{account}");
    let mut auth = authenticator(&s);
    let r = register(&s, &b, &mut auth, "  Work laptop ").await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("recovery-codes"),
        "the first factor comes with recovery codes"
    );
    let factors = passkey_factors(&s).await;
    assert_eq!(factors.len(), 1);
    assert_eq!(factors[0].name, "Work laptop");
    assert_eq!(
        factors[0].factor_id,
        passkey::factor_id_of(&auth.credentials[0].id)
    );
    let (_, account) = get_html(&s, &b, "u/account").await;
    assert!(account.contains("Work laptop"), "{account}");

    // A new browser: "Sign in with a passkey" (discoverable: no allowCredentials).
    let b = browser();
    let html = login_page(&s, &b).await;
    assert!(
        html.contains("autocomplete=\"username webauthn\""),
        "{html}"
    );
    assert!(html.contains("src=\"/assets/passkeys.js\""));
    let opts = options(&html);
    assert_eq!(opts["mediation"], "conditional");
    assert!(
        opts["publicKey"]["allowCredentials"]
            .as_array()
            .is_none_or(|a| a.is_empty())
    );
    let credential = auth.get(&opts);
    let r = post_sign_in(&s, &b, &html, &credential).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let callback = location(r.headers());
    assert!(callback.starts_with(WEB_CALLBACK), "{callback}");
    let claims = id_token(&s, &callback).await;
    assert_eq!(claims["amr"], json!(["hwk", "user", "mfa"]));
    assert_eq!(claims["acr"], MULTI_FACTOR_ACR);
    assert_eq!(claims["sub"], s.user.user_id.as_str());
    // The sign counter moved, and the use is recorded.
    let after = &passkey_factors(&s).await[0];
    assert_ne!(after.secret, factors[0].secret, "the counter is stored");
    assert!(after.last_used_at.is_some());
}

#[tokio::test]
async fn the_passkey_page_loads_its_script_under_the_csp_nonce() {
    let s = start().await;
    let b = browser();
    let r = b
        .get(start_login(&s, &b, &web_params(&s)).await)
        .send()
        .await
        .unwrap();
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = r.text().await.unwrap();
    let nonce = attribute(&html, "nonce");
    assert!(
        csp.contains(&format!("script-src 'nonce-{nonce}'")),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"));
    let js = b.get(s.url("assets/passkeys.js")).send().await.unwrap();
    assert_eq!(js.status(), StatusCode::OK);
    assert!(
        js.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(
        js.text()
            .await
            .unwrap()
            .contains("isConditionalMediationAvailable")
    );
}

#[tokio::test]
async fn ceremony_state_is_single_use_and_expires() {
    let s = start().await;
    let mut auth = with_passkey(&s).await;
    let b = browser();
    let html = login_page(&s, &b).await;
    let credential = auth.get(&options(&html));
    let r = post_sign_in(&s, &b, &html, &credential).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // The same answer again (a replayed form): its state is gone.
    let replay = post_sign_in(&s, &b, &html, &credential).await;
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    assert!(replay.text().await.unwrap().contains("has expired"));
    // An answer after the ceremony's lifetime.
    let b = browser();
    let html = login_page(&s, &b).await;
    let credential = auth.get(&options(&html));
    s.clock.advance(passkey::CEREMONY_LIFETIME + 1);
    let late = post_sign_in(&s, &b, &html, &credential).await;
    assert_eq!(late.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_answer_from_a_foreign_origin_is_refused() {
    let s = start().await;
    let mut auth = with_passkey(&s).await;
    auth.origin = "http://localhost.evil.example".into();
    let b = browser();
    let html = login_page(&s, &b).await;
    let credential = auth.get(&options(&html));
    let r = post_sign_in(&s, &b, &html, &credential).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let page = r.text().await.unwrap();
    assert!(page.contains("That passkey was not accepted"), "{page}");
    assert!(
        page.contains("data-passkey=\"signin\""),
        "the page offers a new try"
    );
}

#[tokio::test]
async fn an_unknown_or_removed_credential_is_refused() {
    let s = start().await;
    let mut auth = with_passkey(&s).await;
    // Signed in with the passkey (the account page needs the session's second factor).
    let signed = browser();
    let html = login_page(&s, &signed).await;
    let credential = auth.get_with(&options(&html), 0);
    assert_eq!(
        post_sign_in(&s, &signed, &html, &credential).await.status(),
        StatusCode::SEE_OTHER
    );
    // A credential this server never registered (made for a ceremony never finished).
    let (_, html) = get_html(&s, &signed, "u/mfa/passkey").await;
    auth.create(&options(&html));
    let b = browser();
    let html = login_page(&s, &b).await;
    let credential = auth.get_with(&options(&html), 1);
    let r = post_sign_in(&s, &b, &html, &credential).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let page = r.text().await.unwrap();
    assert!(page.contains("not registered here"));
    // The page tells the browser to stop offering it (signalUnknownCredential).
    assert_eq!(
        attribute(&page, "data-unknown-credential"),
        credential["rawId"].as_str().unwrap()
    );

    // Removing the registered one on the account page.
    let b = signed;
    let (_, account) = get_html(&s, &b, "u/account").await;
    let factor_id = passkey::factor_id_of(&auth.credentials[0].id);
    assert!(account.contains(&factor_id), "{account}");
    let r = b
        .post(s.url("u/account/mfa/remove"))
        .form(&[
            ("csrf", hidden(&account, "csrf")),
            ("factor_id", factor_id.clone()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(passkey_factors(&s).await.is_empty());
    assert_eq!(
        s.provider
            .store
            .count_recovery_codes(&s.user.user_id)
            .await
            .unwrap(),
        0,
        "the last factor takes the recovery codes with it"
    );
    let b = browser();
    let html = login_page(&s, &b).await;
    let credential = auth.get_with(&options(&html), 0);
    let r = post_sign_in(&s, &b, &html, &credential).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("not registered here"));
}

/// Password, then the second-factor page: (its HTML, the browser).
async fn password_then_challenge(s: &TestServer) -> (String, reqwest::Client) {
    let b = browser();
    let login = start_login(s, &b, &web_params(s)).await;
    let r = submit_login(&b, &login, &s.user.email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = location(r.headers());
    assert!(to.starts_with("/u/mfa?state="), "{to}");
    let (_, html) = get_html(s, &b, &to).await;
    (html, b)
}

async fn post_second_factor(
    s: &TestServer,
    b: &reqwest::Client,
    html: &str,
    credential: &Value,
) -> reqwest::Response {
    b.post(s.url("u/mfa"))
        .form(&[
            ("state", hidden(html, "state")),
            ("csrf", hidden(html, "csrf")),
            ("method", "passkey".to_owned()),
            ("ceremony", hidden(html, "ceremony")),
            ("credential", credential.to_string()),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn after_the_password_a_passkey_is_the_second_factor() {
    let s = start().await;
    let mut auth = with_passkey(&s).await;
    let (html, b) = password_then_challenge(&s).await;
    assert!(html.contains("data-passkey=\"get\""), "{html}");
    let opts = options(&html);
    let allowed = opts["publicKey"]["allowCredentials"].as_array().unwrap();
    assert_eq!(allowed.len(), 1, "the user's passkeys only");
    assert_eq!(opts["publicKey"]["userVerification"], "required");
    let r = post_second_factor(&s, &b, &html, &auth.get(&opts)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let callback = location(r.headers());
    assert!(callback.starts_with(WEB_CALLBACK), "{callback}");
    let claims = id_token(&s, &callback).await;
    assert_eq!(claims["amr"], json!(["pwd", "hwk", "user", "mfa"]));
}

#[tokio::test]
async fn another_users_passkey_is_not_a_second_factor() {
    let s = start().await;
    let mut auth = with_passkey(&s).await;
    // Mallory registers her own passkey.
    let mallory = s.add_user("mallory@example.com", PASSWORD).await;
    let b = browser();
    let login = start_login(&s, &b, &web_params(&s)).await;
    submit_login(&b, &login, &mallory.email, PASSWORD).await;
    let r = register(&s, &b, &mut auth, "Mallory's").await;
    assert_eq!(r.status(), StatusCode::OK);
    // Jane's challenge, answered with Mallory's credential.
    let (html, b) = password_then_challenge(&s).await;
    let r = post_second_factor(&s, &b, &html, &auth.get_with(&options(&html), 1)).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn refused_passkeys_are_throttled_and_count_toward_the_lockout() {
    let s = start_with(|c| c.max_failed_logins = 3).await;
    let mut auth = with_passkey(&s).await;
    auth.origin = "http://evil.example".into();
    let (mut html, b) = password_then_challenge(&s).await;
    for _ in 0..3 {
        let r = post_second_factor(&s, &b, &html, &auth.get(&options(&html))).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        html = r.text().await.unwrap();
    }
    let r = post_second_factor(&s, &b, &html, &auth.get(&options(&html))).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // The password is refused from this address too, until the window ends.
    let b = browser();
    let login = start_login(&s, &b, &web_params(&s)).await;
    let r = submit_login(&b, &login, &s.user.email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_required_policy_offers_a_passkey_as_the_enrolment() {
    let s = start_with(|c| c.mfa = portcullis_core::mfa::MfaPolicy::Required).await;
    let b = browser();
    let login = start_login(&s, &b, &web_params(&s)).await;
    let r = submit_login(&b, &login, &s.user.email, PASSWORD).await;
    let to = location(r.headers());
    assert!(to.starts_with("/u/mfa/enroll?state="), "{to}");
    let (_, totp_page) = get_html(&s, &b, &to).await;
    assert!(totp_page.contains("/u/mfa/passkey?state="), "{totp_page}");
    let state = query_of(&s.url(&to))["state"].clone();
    let (status, html) = get_html(&s, &b, &format!("u/mfa/passkey?state={state}")).await;
    assert_eq!(status, StatusCode::OK);
    let mut auth = authenticator(&s);
    let credential = auth.create(&options(&html));
    let r = b
        .post(s.url("u/mfa/passkey"))
        .form(&[
            ("state", hidden(&html, "state")),
            ("csrf", hidden(&html, "csrf")),
            ("ceremony", hidden(&html, "ceremony")),
            ("credential", credential.to_string()),
            ("name", "Phone".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let codes = r.text().await.unwrap();
    let href = attribute(
        &codes[codes.find("class=\"button primary\"").unwrap()..],
        "href",
    );
    assert!(href.starts_with("/u/mfa/continue?state="), "{href}");
    let r = b.get(s.url(&href)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let callback = location(r.headers());
    assert!(callback.starts_with(WEB_CALLBACK), "{callback}");
    let claims = id_token(&s, &callback).await;
    assert_eq!(claims["amr"], json!(["pwd", "hwk", "user", "mfa"]));
}

#[tokio::test]
async fn with_an_ip_issuer_passkeys_are_not_offered() {
    let s = TestServer::start().await;
    assert!(s.issuer.starts_with("http://127.0.0.1:"));
    let b = browser();
    let html = login_page(&s, &b).await;
    assert!(!html.contains("data-passkey"), "{html}");
    assert!(!html.contains("webauthn"));
    let b = signed_in(&s).await;
    let (status, _) = get_html(&s, &b, "u/mfa/passkey").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, account) = get_html(&s, &b, "u/account").await;
    assert!(!account.contains("/u/mfa/passkey"));
}

#[tokio::test]
async fn a_second_factor_answer_needs_its_own_unexpired_state() {
    let s = start().await;
    let mut auth = with_passkey(&s).await;
    let (html, b) = password_then_challenge(&s).await;
    let credential = auth.get(&options(&html));
    let forged = html.replace(&hidden(&html, "ceremony"), "not-a-ceremony");
    let r = post_second_factor(&s, &b, &forged, &credential).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    s.clock.advance(passkey::CEREMONY_LIFETIME + 1);
    let r = post_second_factor(&s, &b, &html, &credential).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("has expired"));
}

#[tokio::test]
async fn with_an_app_and_a_passkey_the_page_offers_both() {
    use portcullis_core::mfa::totp;
    let s = start().await;
    let _auth = with_passkey(&s).await;
    let p = &s.provider;
    let enrolment = totp::begin(p, &s.user).await.unwrap();
    let code = totp::code_at(&enrolment.secret, p.now()).unwrap();
    totp::confirm(p, &s.user, &enrolment.factor_id, &code, "198.51.100.1")
        .await
        .unwrap();
    let (html, b) = password_then_challenge(&s).await;
    assert!(html.contains("data-passkey=\"get\""), "{html}");
    assert!(html.contains("autocomplete=\"one-time-code\""), "{html}");
    let r = b
        .post(s.url("u/mfa"))
        .form(&[
            ("state", hidden(&html, "state")),
            ("csrf", hidden(&html, "csrf")),
            ("method", "totp".to_owned()),
            (
                "code",
                totp::code_at(&enrolment.secret, p.now() + 30).unwrap(),
            ),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let claims = id_token(&s, &location(r.headers())).await;
    assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]));
}

#[tokio::test]
async fn a_signature_counter_that_goes_back_is_refused() {
    let s = start().await;
    let mut auth = with_passkey(&s).await;
    let b = browser();
    let html = login_page(&s, &b).await;
    let credential = auth.get(&options(&html));
    assert_eq!(
        post_sign_in(&s, &b, &html, &credential).await.status(),
        StatusCode::SEE_OTHER
    );
    // A clone of the authenticator (WebAuthn §6.1.1): its counter is behind the stored one.
    auth.credentials[0].counter = 0;
    let b = browser();
    let html = login_page(&s, &b).await;
    let r = post_sign_in(&s, &b, &html, &auth.get(&options(&html))).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}
