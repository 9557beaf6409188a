//! Hosted accounts (issue #9): the sign-in pipeline's sign-up and password-reset steps, with the
//! mails read from the server's outgoing queue.

use crate::support::*;
use portcullis_store::OutgoingMail;
use reqwest::StatusCode;
use serde_json::Value;

const STRONG: &str = "plum tractor galaxy 42";

/// The 6-digit code of a sign-up mail ("Your verification code is 123456.").
fn code_in(mail: &OutgoingMail) -> String {
    let marker = "verification code is ";
    let start = mail.text_body.find(marker).expect("a code") + marker.len();
    let code = &mail.text_body[start..start + 6];
    assert!(
        code.bytes().all(|b| b.is_ascii_digit()),
        "{}",
        mail.text_body
    );
    assert!(!mail.subject.contains(code), "no code in the subject");
    code.to_owned()
}

/// Opens a hosted page and returns its HTML.
async fn page(b: &reqwest::Client, url: &str) -> String {
    let r = b.get(url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "GET {url}");
    r.text().await.unwrap()
}

/// GET /authorize with `extra`, expecting a redirect to the page at `path`; returns its URL.
async fn authorize_to(
    s: &TestServer,
    b: &reqwest::Client,
    extra: &[(&'static str, &str)],
    path: &str,
) -> String {
    let mut params = web_params(s);
    for (k, v) in extra {
        params = with(params, k, v);
    }
    let r = b
        .get(s.url("authorize"))
        .query(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let to = location(r.headers());
    assert!(to.starts_with(&format!("{path}?state=")), "{to}");
    s.url(&to)
}

/// Fills and posts the sign-up form at `url`.
async fn submit_signup(
    s: &TestServer,
    b: &reqwest::Client,
    url: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let html = page(b, url).await;
    assert!(html.contains("Create your account"), "{html}");
    b.post(s.url("u/signup"))
        .form(&[
            ("state", hidden(&html, "state")),
            ("csrf", hidden(&html, "csrf")),
            ("email", email.to_owned()),
            ("name", "Ada Lovelace".to_owned()),
            ("password", password.to_owned()),
        ])
        .send()
        .await
        .unwrap()
}

/// Posts a form found on the page at `url` (its hidden fields plus `fields`) to `action`.
async fn submit_page(
    s: &TestServer,
    b: &reqwest::Client,
    url: &str,
    action: &str,
    hidden_names: &[&str],
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let html = page(b, url).await;
    let mut form: Vec<(String, String)> = hidden_names
        .iter()
        .map(|n| ((*n).to_owned(), hidden(&html, n)))
        .collect();
    form.extend(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    b.post(s.url(action)).form(&form).send().await.unwrap()
}

async fn id_token_claims(s: &TestServer, callback: &str) -> Value {
    let code = query_of(callback)["code"].clone();
    let t: Value = redeem(s, &code).await.json().await.unwrap();
    claims(t["id_token"].as_str().unwrap())
}

#[tokio::test]
async fn sign_up_with_the_mailed_code_creates_a_verified_account_and_completes_the_request() {
    let s = TestServer::start().await;
    let b = browser();
    let url = authorize_to(&s, &b, &[("screen_hint", "signup")], "/u/signup").await;
    let r = submit_signup(&s, &b, &url, " Ada@Example.com ", STRONG).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let check = s.url(&location(r.headers()));
    assert!(check.contains("/u/signup/check?state="), "{check}");
    // No account until the address is proven.
    let store = &s.provider.store;
    assert!(
        store
            .get_user_by_email("ada@example.com")
            .await
            .unwrap()
            .is_none()
    );
    let mails = mails_to(&s, "ada@example.com").await;
    assert_eq!(mails.len(), 1);
    let code = code_in(&mails[0]);
    assert!(mails[0].html_body.contains(&code));
    let html = page(&b, &check).await;
    assert!(html.contains("Check your inbox") && html.contains("ada@example.com"));
    let r = submit_page(
        &s,
        &b,
        &check,
        "u/signup/check",
        &["state", "csrf"],
        &[("code", &code)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
    let callback = location(r.headers());
    assert!(callback.starts_with(WEB_CALLBACK), "{callback}");
    let claims = id_token_claims(&s, &callback).await;
    assert_eq!(claims["email"], "ada@example.com");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["name"], "Ada Lovelace");
    // The code was single-use; the new session signs in to the next application silently.
    let r = submit_page(
        &s,
        &b,
        &check,
        "u/signup/check",
        &["state", "csrf"],
        &[("code", &code)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = b
        .get(s.url("authorize"))
        .query(&with(web_params(&s), "prompt", "none"))
        .send()
        .await
        .unwrap();
    assert!(query_of(&location(r.headers())).contains_key("code"));
}

#[tokio::test]
async fn sign_up_with_the_mailed_link_needs_a_click_and_works_once() {
    let s = TestServer::start().await;
    let b = browser();
    let url = authorize_to(&s, &b, &[("prompt", "create")], "/u/signup").await;
    let r = submit_signup(&s, &b, &url, "grace@example.com", STRONG).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let link = link_in(
        &mails_to(&s, "grace@example.com").await[0],
        "/u/signup/confirm",
    );
    // Opening the link (as a mail scanner would) changes nothing.
    let html = page(&b, &link).await;
    assert!(html.contains("Confirm and continue"));
    assert!(
        s.provider
            .store
            .get_user_by_email("grace@example.com")
            .await
            .unwrap()
            .is_none()
    );
    let r = submit_page(&s, &b, &link, "u/signup/confirm", &["token", "csrf"], &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
    assert!(location(r.headers()).starts_with(WEB_CALLBACK));
    // On another device (no transaction there), a used link is refused.
    let other = browser();
    let r = submit_page(
        &s,
        &other,
        &link,
        "u/signup/confirm",
        &["token", "csrf"],
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("cannot be used"));
}

#[tokio::test]
async fn signing_up_with_a_taken_email_looks_the_same_and_changes_nothing() {
    let s = TestServer::start().await;
    let b = browser();
    let url = authorize_to(&s, &b, &[("screen_hint", "signup")], "/u/signup").await;
    let r = submit_signup(&s, &b, &url, &s.user.email, STRONG).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let check = s.url(&location(r.headers()));
    let html = page(&b, &check).await;
    assert!(html.contains("Check your inbox"));
    let mails = mails_to(&s, &s.user.email).await;
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].subject.contains("Someone tried"),
        "{}",
        mails[0].subject
    );
    assert!(mails[0].text_body.contains("/u/reset"));
    // Typing any code gets the same answer as a wrong one.
    let r = submit_page(
        &s,
        &b,
        &check,
        "u/signup/check",
        &["state", "csrf"],
        &[("code", "123456")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("not right"));
    // The old password still works.
    sign_in(&s, &browser(), &web_params(&s)).await;
}

#[tokio::test]
async fn weak_passwords_and_bad_emails_are_refused_next_to_their_field() {
    let s = TestServer::start().await;
    let b = browser();
    let url = authorize_to(&s, &b, &[("screen_hint", "signup")], "/u/signup").await;
    for (email, password, field, words) in [
        (
            "ada@example.com",
            "password123",
            "password-error",
            "too common",
        ),
        ("ada@example.com", "short", "password-error", "at least 8"),
        ("not-an-email", STRONG, "email-error", "valid email"),
    ] {
        let r = submit_signup(&s, &b, &url, email, password).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{password}");
        let html = r.text().await.unwrap();
        assert!(html.contains(&format!("id=\"{field}\"")), "{html}");
        assert!(html.contains(words), "{words}: {html}");
        assert!(html.contains("aria-invalid=\"true\""));
    }
    assert!(s.provider.store.list_mail(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn five_wrong_codes_end_the_sign_up() {
    let s = TestServer::start().await;
    let b = browser();
    let url = authorize_to(&s, &b, &[("screen_hint", "signup")], "/u/signup").await;
    let r = submit_signup(&s, &b, &url, "ada@example.com", STRONG).await;
    let check = s.url(&location(r.headers()));
    let code = code_in(&mails_to(&s, "ada@example.com").await[0]);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for attempt in 1..=5 {
        let r = submit_page(
            &s,
            &b,
            &check,
            "u/signup/check",
            &["state", "csrf"],
            &[("code", wrong)],
        )
        .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "attempt {attempt}");
    }
    let r = submit_page(
        &s,
        &b,
        &check,
        "u/signup/check",
        &["state", "csrf"],
        &[("code", &code)],
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "the right code is too late"
    );
    assert!(
        s.provider
            .store
            .get_user_by_email("ada@example.com")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn sign_ups_for_one_address_are_throttled() {
    let s = TestServer::start().await;
    let b = browser();
    let url = authorize_to(&s, &b, &[("screen_hint", "signup")], "/u/signup").await;
    for _ in 0..5 {
        let r = submit_signup(&s, &b, &url, "ada@example.com", STRONG).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let r = submit_signup(&s, &b, &url, "ada@example.com", STRONG).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(mails_to(&s, "ada@example.com").await.len(), 5);
}

#[tokio::test]
async fn with_sign_up_off_there_is_no_page_no_link_and_no_post() {
    let server = portcullis_testkit::Server::start_configured(Default::default(), |c| {
        c.signup_enabled = false;
    })
    .await;
    let s = TestServer::around(server).await;
    let b = browser();
    // screen_hint=signup falls back to the sign-in page, which has no sign-up link.
    let login = authorize_to(&s, &b, &[("screen_hint", "signup")], "/u/login").await;
    let html = page(&b, &login).await;
    assert!(!html.contains("/u/signup"), "{html}");
    let state = hidden(&html, "state");
    let r = b
        .get(s.url(&format!("u/signup?state={state}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = b
        .post(s.url("u/signup"))
        .form(&[
            ("state", state.as_str()),
            ("csrf", hidden(&html, "csrf").as_str()),
            ("email", "ada@example.com"),
            ("password", STRONG),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(s.provider.store.list_mail(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn password_reset_signs_out_everywhere_and_signs_in_with_the_new_password() {
    let s = TestServer::start().await;
    // An existing session elsewhere, with a refresh token.
    let old = tokens(&s).await;
    let b = browser();
    let login = start_login(&s, &b, &web_params(&s)).await;
    let html = page(&b, &login).await;
    assert!(html.contains("Forgot password?"));
    let reset = s.url(&format!("u/reset?state={}", hidden(&html, "state")));
    // An unknown address gets the same answer, and no mail.
    for email in ["nobody@example.com", s.user.email.as_str()] {
        let r = submit_page(
            &s,
            &b,
            &reset,
            "u/reset",
            &["state", "csrf"],
            &[("email", email)],
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("If an account uses this email address")
        );
    }
    assert!(mails_to(&s, "nobody@example.com").await.is_empty());
    let link = link_in(&mails_to(&s, &s.user.email).await[0], "/u/reset/confirm");
    // The same policy as everywhere.
    let r = submit_page(
        &s,
        &b,
        &link,
        "u/reset/confirm",
        &["token", "csrf"],
        &[("password", "qwerty123")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("too common"));
    let r = submit_page(
        &s,
        &b,
        &link,
        "u/reset/confirm",
        &["token", "csrf"],
        &[("password", STRONG)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
    assert!(
        location(r.headers()).starts_with(WEB_CALLBACK),
        "back to the application"
    );
    // The old refresh token is revoked; the link is single-use; a mail says what happened.
    let (status, _, _) = post_token(
        &s,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", old["refresh_token"].as_str().unwrap()),
            ("client_id", &s.web.client_id),
            ("client_secret", s.web.secret()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let r = b.get(&link).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let mails = mails_to(&s, &s.user.email).await;
    assert!(
        mails
            .iter()
            .any(|m| m.subject.contains("password was changed"))
    );
    // The old password no longer works; the new one does.
    let b2 = browser();
    let login = start_login(&s, &b2, &web_params(&s)).await;
    let r = submit_login(&b2, &login, &s.user.email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = submit_login(&b2, &login, &s.user.email, STRONG).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn forged_or_expired_page_states_get_the_expired_page() {
    let s = TestServer::start().await;
    for path in [
        "u/signup?state=garbage",
        "u/signup/check?state=garbage",
        "u/reset?state=garbage",
        "u/login?state=garbage",
    ] {
        let r = reqwest::get(s.url(path)).await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        assert!(r.text().await.unwrap().contains("expired"), "{path}");
    }
    let r = reqwest::get(s.url("u/reset/confirm?token=nope"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_tenant_files_signup_false_closes_sign_up_too() {
    let s = TestServer::start().await;
    let now = s.provider.now();
    s.provider
        .store
        .put_setting("signup", "false", now)
        .await
        .unwrap();
    let b = browser();
    let login = authorize_to(&s, &b, &[("screen_hint", "signup")], "/u/login").await;
    let html = page(&b, &login).await;
    assert!(!html.contains("/u/signup"), "{html}");
    let state = hidden(&html, "state");
    let r = b
        .get(s.url(&format!("u/signup?state={state}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
