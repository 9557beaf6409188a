//! Auth0's Authentication API (issue #15): `/dbconnections/signup`, `/dbconnections/change_password`,
//! `/passwordless/start` with the passwordless OTP grant, `/co/authenticate`, the hosted
//! `connection=email` flow, and the legacy password grants. Mails are read from the server's
//! outgoing queue, as in the hosted-accounts tests.

use crate::support::*;
use portcullis_store::{GrantType, OutgoingMail};
use reqwest::StatusCode;
use serde_json::{Value, json};

const STRONG: &str = "plum tractor galaxy 42";
const PASSWORDLESS_OTP: &str = "http://auth0.com/oauth/grant-type/passwordless/otp";
const PASSWORD_REALM: &str = "http://auth0.com/oauth/grant-type/password-realm";
const DB: &str = "Username-Password-Authentication";

/// The six digits after `marker` in a mail.
fn digits_after(mail: &OutgoingMail, marker: &str) -> String {
    let start = mail.text_body.find(marker).expect("a code") + marker.len();
    let code = mail.text_body[start..start + 6].to_owned();
    assert!(
        code.bytes().all(|b| b.is_ascii_digit()),
        "{}",
        mail.text_body
    );
    assert!(!mail.subject.contains(&code), "no code in the subject");
    code
}

/// Runs `action`, then returns the one mail to `to` it queued (mails queued in the same second
/// have no order, so the new one is found by id).
async fn new_mail_to<F: std::future::Future>(s: &TestServer, to: &str, action: F) -> OutgoingMail {
    let before: Vec<String> = mails_to(s, to)
        .await
        .into_iter()
        .map(|m| m.mail_id)
        .collect();
    action.await;
    let mut new: Vec<OutgoingMail> = mails_to(s, to)
        .await
        .into_iter()
        .filter(|m| !before.contains(&m.mail_id))
        .collect();
    assert_eq!(new.len(), 1, "one new mail to {to}");
    new.remove(0)
}

/// The sign-in code of a passwordless mail.
fn otp_in(mail: &OutgoingMail) -> String {
    digits_after(mail, "sign-in code is ")
}

async fn post_json(s: &TestServer, path: &str, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(s.url(path))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn json_of(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Adds grant types to an application (the tenant file's `grant_types`).
async fn allow(s: &TestServer, client_id: &str, grants: &[GrantType]) {
    let store = &s.provider.store;
    let mut client = store.get_client(client_id).await.unwrap().unwrap();
    client.grant_types.extend_from_slice(grants);
    store.update_client(&client).await.unwrap();
}

fn signup_body(s: &TestServer, email: &str, password: &str) -> Value {
    json!({
        "client_id": s.spa.client_id,
        "email": email,
        "password": password,
        "connection": DB,
        "given_name": "Ada",
        "family_name": "Lovelace",
    })
}

// ---------------------------------------------------------------------------------------------
// /dbconnections/signup

#[tokio::test]
async fn dbconnections_signup_answers_like_auth0_and_the_account_exists_once_confirmed() {
    let s = TestServer::start().await;
    let mut signup = signup_body(&s, "Ada@Example.com", STRONG);
    signup["user_metadata"] = json!({"plan": "pro", "referrer": "newsletter"});
    let r = post_json(&s, "dbconnections/signup", signup).await;
    let (status, body) = json_of(r).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["email"], "ada@example.com");
    assert_eq!(body["email_verified"], false);
    assert_eq!(body["given_name"], "Ada");
    assert_eq!(body["user_metadata"]["plan"], "pro");
    let id = body["_id"].as_str().unwrap().to_owned();
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
    // The confirmation link (with a button, so a mail scanner cannot use it) creates the
    // account, with the id announced and the profile given.
    let link = link_in(&mails[0], "/u/signup/confirm");
    let b = browser();
    let html = b.get(&link).send().await.unwrap().text().await.unwrap();
    let r = b
        .post(s.url("u/signup/confirm"))
        .form(&[
            ("token", hidden(&html, "token")),
            ("csrf", hidden(&html, "csrf")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let user = store
        .get_user_by_email("ada@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.user_id, id);
    assert!(user.email_verified);
    assert_eq!(user.given_name.as_deref(), Some("Ada"));
    assert_eq!(user.family_name.as_deref(), Some("Lovelace"));
    assert_eq!(
        serde_json::Value::Object(user.user_metadata),
        json!({"plan": "pro", "referrer": "newsletter"})
    );
}

#[tokio::test]
async fn dbconnections_signup_for_a_taken_email_looks_the_same_and_mails_the_owner() {
    let s = TestServer::start().await;
    let before = s.provider.store.get_user(&s.user.user_id).await.unwrap();
    let (status, body) = json_of(
        post_json(
            &s,
            "dbconnections/signup",
            signup_body(&s, "jane@example.com", STRONG),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["email"], "jane@example.com");
    assert_eq!(body["email_verified"], false);
    assert_ne!(
        body["_id"],
        s.user.user_id.as_str(),
        "the real id is never told"
    );
    let mails = mails_to(&s, "jane@example.com").await;
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].text_body.contains("/u/reset"),
        "{}",
        mails[0].text_body
    );
    assert_eq!(
        s.provider.store.get_user(&s.user.user_id).await.unwrap(),
        before
    );
}

#[tokio::test]
async fn dbconnections_signup_refusals_have_auth0_error_shapes() {
    let s = TestServer::start().await;
    let (status, body) = json_of(
        post_json(
            &s,
            "dbconnections/signup",
            signup_body(&s, "ada@example.com", "password123"),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["name"], "PasswordStrengthError");
    assert_eq!(body["code"], "invalid_password");
    assert_eq!(body["statusCode"], 400);
    assert!(
        body["description"].as_str().unwrap().contains("too common"),
        "{body}"
    );

    let mut wrong_connection = signup_body(&s, "ada@example.com", STRONG);
    wrong_connection["connection"] = json!("google-oauth2");
    let (status, body) =
        json_of(post_json(&s, "dbconnections/signup", wrong_connection).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["name"], "BadRequestError");
    assert_eq!(body["code"], "invalid_connection");

    // user_metadata as Auth0 limits it at sign-up: at most ten string members of at most 500
    // characters, names of at most 100 and without `.` or `$`.
    let eleven: serde_json::Map<String, Value> =
        (0..11).map(|i| (format!("k{i}"), json!("v"))).collect();
    for (metadata, says) in [
        (json!(eleven), "10 members"),
        (json!({"plan": 3}), "string"),
        (json!({"plan": "x".repeat(501)}), "500 characters"),
        (json!({"a.b": "x"}), "a.b"),
        (json!("not an object"), ""),
    ] {
        let mut body = signup_body(&s, "ada@example.com", STRONG);
        body["user_metadata"] = metadata.clone();
        let (status, body) = json_of(post_json(&s, "dbconnections/signup", body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{metadata}: {body}");
        let code = body["code"].as_str().unwrap_or_default();
        assert!(
            code == "invalid_parameter" || code == "invalid_body",
            "{metadata}: {body}"
        );
        assert!(
            body["description"].as_str().unwrap().contains(says),
            "{metadata}: {body}"
        );
    }

    let mut unknown_client = signup_body(&s, "ada@example.com", STRONG);
    unknown_client["client_id"] = json!("nope");
    let (status, body) = json_of(post_json(&s, "dbconnections/signup", unknown_client).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "unauthorized_client");

    let mut m2m = signup_body(&s, "ada@example.com", STRONG);
    m2m["client_id"] = json!(s.m2m.client_id);
    let (status, _) = json_of(post_json(&s, "dbconnections/signup", m2m).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let r = reqwest::Client::new()
        .post(s.url("dbconnections/signup"))
        .body("{not json")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(r).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "invalid_body");
    assert!(
        mails_to(&s, "ada@example.com").await.is_empty(),
        "nothing was sent"
    );
}

#[tokio::test]
async fn dbconnections_accept_the_tenants_own_database_connection_name() {
    let s = TestServer::start().await;
    s.provider
        .store
        .put_setting("database_connection", "acme-users", 0)
        .await
        .unwrap();
    let mut body = signup_body(&s, "ada@example.com", STRONG);
    body["connection"] = json!("acme-users");
    let (status, answer) = json_of(post_json(&s, "dbconnections/signup", body).await).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

#[tokio::test]
async fn dbconnections_signup_is_refused_when_sign_up_is_off() {
    let s = TestServer::start().await;
    s.provider
        .store
        .put_setting("signup", "false", 0)
        .await
        .unwrap();
    let (status, body) = json_of(
        post_json(
            &s,
            "dbconnections/signup",
            signup_body(&s, "ada@example.com", STRONG),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "operation_not_supported");
    assert!(mails_to(&s, "ada@example.com").await.is_empty());
}

#[tokio::test]
async fn dbconnections_signup_is_throttled_per_address() {
    let s = TestServer::start().await;
    for _ in 0..5 {
        let (status, _) = json_of(
            post_json(
                &s,
                "dbconnections/signup",
                signup_body(&s, "ada@example.com", STRONG),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, body) = json_of(
        post_json(
            &s,
            "dbconnections/signup",
            signup_body(&s, "ada@example.com", STRONG),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["code"], "too_many_attempts");
    assert_eq!(mails_to(&s, "ada@example.com").await.len(), 5);
}

#[tokio::test]
async fn cors_lets_only_the_applications_web_origins_read_the_answers() {
    let s = TestServer::start().await;
    let http = reqwest::Client::new();
    let preflight = http
        .request(reqwest::Method::OPTIONS, s.url("dbconnections/signup"))
        .header("origin", SPA_ORIGIN)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type, auth0-client",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        SPA_ORIGIN
    );
    let r = http
        .post(s.url("dbconnections/signup"))
        .header("origin", SPA_ORIGIN)
        .json(&signup_body(&s, "ada@example.com", STRONG))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["access-control-allow-origin"], SPA_ORIGIN);
    // The regular web app lists no web origin: the SPA's origin may not read its answers.
    let mut body = signup_body(&s, "grace@example.com", STRONG);
    body["client_id"] = json!(s.web.client_id);
    let r = http
        .post(s.url("dbconnections/signup"))
        .header("origin", SPA_ORIGIN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
}

// ---------------------------------------------------------------------------------------------
// /dbconnections/change_password

#[tokio::test]
async fn change_password_answers_the_same_sentence_for_every_address_and_mails_only_accounts() {
    let s = TestServer::start().await;
    for email in ["jane@example.com", "nobody@example.com"] {
        let r = post_json(
            &s,
            "dbconnections/change_password",
            json!({ "client_id": s.spa.client_id, "email": email, "connection": DB }),
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain")
        );
        assert_eq!(
            r.text().await.unwrap(),
            "We've just sent you an email to reset your password."
        );
    }
    let mails = mails_to(&s, "jane@example.com").await;
    assert_eq!(mails.len(), 1);
    assert!(link_in(&mails[0], "/u/reset/confirm?token=").starts_with(&s.issuer));
    assert!(mails_to(&s, "nobody@example.com").await.is_empty());
    let (status, body) = json_of(
        post_json(
            &s,
            "dbconnections/change_password",
            json!({ "client_id": s.spa.client_id, "email": "jane@example.com" }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "invalid_parameter");
}

// ---------------------------------------------------------------------------------------------
// Passwordless

async fn start_code(s: &TestServer, client_id: &str, email: &str) -> (StatusCode, Value) {
    json_of(
        post_json(
            s,
            "passwordless/start",
            json!({ "client_id": client_id, "connection": "email", "email": email, "send": "code" }),
        )
        .await,
    )
    .await
}

async fn otp_grant(s: &TestServer, email: &str, otp: &str) -> (StatusCode, Value) {
    let (status, _, body) = post_token(
        s,
        &[
            ("grant_type", PASSWORDLESS_OTP),
            ("client_id", &s.web.client_id),
            ("client_secret", s.web.secret()),
            ("realm", "email"),
            ("username", email),
            ("otp", otp),
            ("scope", "openid email"),
        ],
    )
    .await;
    (status, body)
}

#[tokio::test]
async fn passwordless_code_signs_in_once_with_the_otp_grant() {
    let s = TestServer::start().await;
    allow(&s, &s.web.client_id, &[GrantType::PasswordlessOtp]).await;
    let (status, body) = start_code(&s, &s.web.client_id, "jane@example.com").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["email"], "jane@example.com");
    let otp = otp_in(&mails_to(&s, "jane@example.com").await[0]);
    // Stored only as a keyed hash.
    let stored = s
        .provider
        .store
        .get_email_token_for(
            portcullis_store::EmailTokenPurpose::Passwordless,
            "jane@example.com",
        )
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.code_hash.unwrap().contains(&otp));
    let (status, tokens) = otp_grant(&s, "jane@example.com", &otp).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["scope"], "openid email");
    let id = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["sub"], s.user.user_id.as_str());
    assert_eq!(id["email"], "jane@example.com");
    let (status, body) = otp_grant(&s, "jane@example.com", &otp).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "single use");
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        body["error_description"],
        "Wrong email or verification code."
    );
}

#[tokio::test]
async fn passwordless_codes_allow_five_wrong_tries_then_stop_working() {
    let s = TestServer::start().await;
    allow(&s, &s.web.client_id, &[GrantType::PasswordlessOtp]).await;
    start_code(&s, &s.web.client_id, "jane@example.com").await;
    let otp = otp_in(&mails_to(&s, "jane@example.com").await[0]);
    let wrong = if otp == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let (status, body) = otp_grant(&s, "jane@example.com", wrong).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "invalid_grant");
    }
    let (status, _) = otp_grant(&s, "jane@example.com", &otp).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the right code no longer works"
    );
}

#[tokio::test]
async fn passwordless_codes_expire() {
    let s = TestServer::start().await;
    allow(&s, &s.web.client_id, &[GrantType::PasswordlessOtp]).await;
    start_code(&s, &s.web.client_id, "jane@example.com").await;
    let otp = otp_in(&mails_to(&s, "jane@example.com").await[0]);
    s.clock
        .advance(portcullis_core::accounts::passwordless::LIFETIME);
    let (status, _) = otp_grant(&s, "jane@example.com", &otp).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_new_code_replaces_the_previous_one_and_codes_are_bound_to_their_application() {
    let s = TestServer::start().await;
    allow(&s, &s.web.client_id, &[GrantType::PasswordlessOtp]).await;
    allow(&s, &s.other_web.client_id, &[GrantType::PasswordlessOtp]).await;
    let first = otp_in(
        &new_mail_to(
            &s,
            "jane@example.com",
            start_code(&s, &s.web.client_id, "jane@example.com"),
        )
        .await,
    );
    let second = otp_in(
        &new_mail_to(
            &s,
            "jane@example.com",
            start_code(&s, &s.other_web.client_id, "jane@example.com"),
        )
        .await,
    );
    if first != second {
        let (status, _) = otp_grant(&s, "jane@example.com", &first).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "replaced");
    }
    // The second code was sent for the other application.
    let (status, _) = otp_grant(&s, "jane@example.com", &second).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "another application's code"
    );
}

#[tokio::test]
async fn first_passwordless_sign_in_creates_the_user_only_where_sign_up_is_open() {
    let s = TestServer::start().await;
    allow(&s, &s.web.client_id, &[GrantType::PasswordlessOtp]).await;
    let (status, open_answer) = start_code(&s, &s.web.client_id, "new@example.com").await;
    assert_eq!(status, StatusCode::OK);
    let otp = otp_in(&mails_to(&s, "new@example.com").await[0]);
    let (status, tokens) = otp_grant(&s, "new@example.com", &otp).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let user = s
        .provider
        .store
        .get_user_by_email("new@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(user.email_verified);
    assert!(user.password_hash.is_none());

    s.provider
        .store
        .put_setting("signup", "false", 0)
        .await
        .unwrap();
    let (status, closed_answer) = start_code(&s, &s.web.client_id, "other@example.com").await;
    assert_eq!(status, StatusCode::OK, "the same answer");
    assert_eq!(
        closed_answer
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        open_answer.as_object().unwrap().keys().collect::<Vec<_>>()
    );
    assert!(
        mails_to(&s, "other@example.com").await.is_empty(),
        "but no mail"
    );
    assert!(
        s.provider
            .store
            .get_user_by_email("other@example.com")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn passwordless_start_is_throttled_and_checks_its_members() {
    let s = TestServer::start().await;
    for _ in 0..5 {
        let (status, _) = start_code(&s, &s.spa.client_id, "jane@example.com").await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, body) = start_code(&s, &s.spa.client_id, "jane@example.com").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["error"], "too_many_attempts");
    for (body, error) in [
        (
            json!({ "client_id": s.spa.client_id, "connection": "sms", "phone_number": "+14155550100", "send": "code" }),
            "bad.connection",
        ),
        (
            json!({ "client_id": s.spa.client_id, "connection": "email", "send": "code" }),
            "bad.email",
        ),
        (
            json!({ "client_id": s.spa.client_id, "connection": "email", "email": "a@example.com", "send": "fax" }),
            "bad.send",
        ),
        (
            json!({ "client_id": s.spa.client_id, "connection": "email", "email": "a@example.com", "send": "link",
                 "authParams": { "redirect_uri": "https://evil.example/cb", "response_type": "code" } }),
            "bad.authParams",
        ),
    ] {
        let (status, answer) = json_of(post_json(&s, "passwordless/start", body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["error"], error);
    }
}

#[tokio::test]
async fn the_otp_grant_needs_the_applications_opt_in_and_realm_email() {
    let s = TestServer::start().await;
    start_code(&s, &s.web.client_id, "jane@example.com").await;
    let otp = otp_in(&mails_to(&s, "jane@example.com").await[0]);
    let (status, body) = otp_grant(&s, "jane@example.com", &otp).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unauthorized_client");
    allow(&s, &s.web.client_id, &[GrantType::PasswordlessOtp]).await;
    let (status, _, body) = post_token(
        &s,
        &[
            ("grant_type", PASSWORDLESS_OTP),
            ("client_id", &s.web.client_id),
            ("client_secret", s.web.secret()),
            ("realm", "sms"),
            ("username", "jane@example.com"),
            ("otp", &otp),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn magic_links_answer_the_authorization_request_of_auth_params_once() {
    let s = TestServer::start().await;
    let (status, body) = json_of(
        post_json(
            &s,
            "passwordless/start",
            json!({
                "client_id": s.web.client_id,
                "connection": "email",
                "email": "jane@example.com",
                "send": "link",
                "authParams": {
                    "redirect_uri": WEB_CALLBACK, "response_type": "code",
                    "scope": "openid email", "state": "st4te", "nonce": "n0nce",
                    "code_challenge": CHALLENGE, "code_challenge_method": "S256"
                }
            }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mail = &mails_to(&s, "jane@example.com").await[0];
    assert!(
        !mail.text_body.contains("sign-in code is"),
        "a link, no code"
    );
    let link = link_in(mail, "/passwordless/verify_redirect?token=");
    let b = browser();
    let html = b.get(&link).send().await.unwrap().text().await.unwrap();
    let submit = || {
        b.post(s.url("passwordless/verify_redirect"))
            .form(&[
                ("token", hidden(&html, "token")),
                ("csrf", hidden(&html, "csrf")),
            ])
            .send()
    };
    let r = submit().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let callback = location(r.headers());
    assert!(callback.starts_with(WEB_CALLBACK), "{callback}");
    let q = query_of(&callback);
    assert_eq!(q["state"], "st4te");
    let t: Value = redeem(&s, &q["code"]).await.json().await.unwrap();
    let id = claims(t["id_token"].as_str().unwrap());
    assert_eq!(id["email"], "jane@example.com");
    assert_eq!(id["nonce"], "n0nce");
    let again = submit().await.unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST, "single use");
}

// ---------------------------------------------------------------------------------------------
// Hosted connection=email

#[tokio::test]
async fn authorize_with_connection_email_asks_the_email_then_the_code() {
    let s = TestServer::start().await;
    let b = browser();
    let r = b
        .get(s.url("authorize"))
        .query(&with(web_params(&s), "connection", "email"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let page_url = s.url(&location(r.headers()));
    assert!(page_url.contains("/u/passwordless?state="), "{page_url}");
    let html = b.get(&page_url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Email me a code"), "{html}");
    let r = b
        .post(s.url("u/passwordless"))
        .form(&[
            ("state", hidden(&html, "state")),
            ("csrf", hidden(&html, "csrf")),
            ("email", "Jane@Example.com".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let code_page = r.text().await.unwrap();
    assert!(code_page.contains("name=\"code\""), "{code_page}");
    let otp = otp_in(&mails_to(&s, "jane@example.com").await[0]);
    let submit = |code: String| {
        b.post(s.url("u/passwordless/code"))
            .form(&[
                ("state", hidden(&code_page, "state")),
                ("csrf", hidden(&code_page, "csrf")),
                ("email", hidden(&code_page, "email")),
                ("code", code),
            ])
            .send()
    };
    let wrong = if otp == "000000" { "111111" } else { "000000" };
    let r = submit(wrong.to_owned()).await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Wrong email or verification code.")
    );
    let r = submit(otp).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let callback = location(r.headers());
    assert!(callback.starts_with(WEB_CALLBACK), "{callback}");
    let t: Value = redeem(&s, &query_of(&callback)["code"])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        claims(t["id_token"].as_str().unwrap())["sub"],
        s.user.user_id.as_str()
    );
}

#[tokio::test]
async fn authorize_with_the_database_connection_shows_the_sign_in_page() {
    let s = TestServer::start().await;
    let b = browser();
    let login = start_login(&s, &b, &with(web_params(&s), "connection", DB)).await;
    assert!(login.contains("/u/login?state="));
}

// ---------------------------------------------------------------------------------------------
// /co/authenticate (auth0-js passwordlessLogin)

#[tokio::test]
async fn cross_origin_authentication_issues_a_ticket_bound_to_the_browser() {
    let s = TestServer::start().await;
    allow(&s, &s.web.client_id, &[GrantType::PasswordlessOtp]).await;
    let origin = "http://localhost:3000";
    let mut client = s
        .provider
        .store
        .get_client(&s.web.client_id)
        .await
        .unwrap()
        .unwrap();
    client.web_origins = vec![origin.to_owned()];
    s.provider.store.update_client(&client).await.unwrap();
    start_code(&s, &s.web.client_id, "jane@example.com").await;
    let otp = otp_in(&mails_to(&s, "jane@example.com").await[0]);
    let body = json!({
        "client_id": s.web.client_id, "credential_type": PASSWORDLESS_OTP,
        "realm": "email", "username": "jane@example.com", "otp": otp,
    });
    // From a page that is not the application's: refused.
    let b = browser();
    let r = b
        .post(s.url("co/authenticate"))
        .header("origin", "https://evil.example")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = b
        .post(s.url("co/authenticate"))
        .header("origin", origin)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["access-control-allow-origin"], origin);
    assert_eq!(r.headers()["access-control-allow-credentials"], "true");
    let answer: Value = r.json().await.unwrap();
    let ticket = answer["login_ticket"].as_str().unwrap().to_owned();
    assert!(answer["co_verifier"].is_string() && answer["co_id"].is_string());
    // Another browser (without the verifier cookie) cannot use the ticket…
    let params = with(web_params(&s), "login_ticket", &ticket);
    let stranger = browser();
    let r = stranger
        .get(s.url("authorize"))
        .query(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(query_of(&location(r.headers()))["error"], "access_denied");
    // …and the ticket is spent: a new code and ticket for the real browser.
    let otp = otp_in(
        &new_mail_to(
            &s,
            "jane@example.com",
            start_code(&s, &s.web.client_id, "jane@example.com"),
        )
        .await,
    );
    let mut body = body;
    body["otp"] = json!(otp);
    let r = b
        .post(s.url("co/authenticate"))
        .header("origin", origin)
        .json(&body)
        .send()
        .await
        .unwrap();
    let ticket = r.json::<Value>().await.unwrap()["login_ticket"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = b
        .get(s.url("authorize"))
        .query(&with(web_params(&s), "login_ticket", &ticket))
        .send()
        .await
        .unwrap();
    let callback = location(r.headers());
    assert!(callback.starts_with(WEB_CALLBACK), "{callback}");
    let q = query_of(&callback);
    let t: Value = redeem(&s, &q["code"]).await.json().await.unwrap();
    assert_eq!(
        claims(t["id_token"].as_str().unwrap())["sub"],
        s.user.user_id.as_str()
    );
}

#[tokio::test]
async fn cross_origin_authentication_refuses_passwords() {
    let s = TestServer::start().await;
    allow(&s, &s.spa.client_id, &[GrantType::PasswordlessOtp]).await;
    let r = browser()
        .post(s.url("co/authenticate"))
        .header("origin", SPA_ORIGIN)
        .json(&json!({
            "client_id": s.spa.client_id, "credential_type": PASSWORD_REALM,
            "realm": DB, "username": "jane@example.com", "password": PASSWORD,
        }))
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(r).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "unauthorized_client");
}

// ---------------------------------------------------------------------------------------------
// Legacy password grants

async fn password_grant(s: &TestServer, extra: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut form = vec![
        ("grant_type", "password"),
        ("client_id", s.web.client_id.as_str()),
        ("client_secret", s.web.secret()),
        ("username", "jane@example.com"),
        ("password", PASSWORD),
        ("scope", "openid profile"),
    ];
    for (k, v) in extra {
        form.retain(|(key, _)| key != k);
        form.push((k, v));
    }
    let (status, _, body) = post_token(s, &form).await;
    (status, body)
}

#[tokio::test]
async fn the_password_grant_is_off_unless_the_application_opts_in() {
    let s = TestServer::start().await;
    let (status, body) = password_grant(&s, &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unauthorized_client");
    allow(&s, &s.web.client_id, &[GrantType::Password]).await;
    let (status, body) = password_grant(&s, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["scope"], "openid profile");
    let id = claims(body["id_token"].as_str().unwrap());
    assert_eq!(id["sub"], s.user.user_id.as_str());
    assert_eq!(id["name"], "Jane Doe");
    assert!(id.get("sid").is_none(), "no browser session");
}

#[tokio::test]
async fn the_password_realm_grant_names_the_database_connection() {
    let s = TestServer::start().await;
    allow(&s, &s.web.client_id, &[GrantType::Password]).await;
    let (status, body) = password_grant(&s, &[("grant_type", PASSWORD_REALM), ("realm", DB)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) =
        password_grant(&s, &[("grant_type", PASSWORD_REALM), ("realm", "email")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_request");
    let (status, body) = password_grant(&s, &[("grant_type", PASSWORD_REALM)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "realm is required: {body}");
}

#[tokio::test]
async fn the_password_grant_shares_the_hosted_sign_in_lockout() {
    let s = TestServer::start().await;
    allow(&s, &s.web.client_id, &[GrantType::Password]).await;
    for _ in 0..10 {
        let (status, body) = password_grant(&s, &[("password", "wrong guess")]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "invalid_grant");
        assert_eq!(body["error_description"], "Wrong email or password.");
    }
    let (status, body) = password_grant(&s, &[]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"], "too_many_attempts");
    // The hosted sign-in page is locked for the same account and address.
    let b = browser();
    let login = start_login(&s, &b, &web_params(&s)).await;
    let r = submit_login(&b, &login, "jane@example.com", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn an_unknown_user_costs_the_same_answer_as_a_wrong_password() {
    let s = TestServer::start().await;
    allow(&s, &s.web.client_id, &[GrantType::Password]).await;
    let (_, wrong_password) = password_grant(&s, &[("password", "wrong guess")]).await;
    let (_, unknown) = password_grant(&s, &[("username", "nobody@example.com")]).await;
    assert_eq!(wrong_password, unknown);
}

#[tokio::test]
async fn single_page_applications_never_get_the_password_grant() {
    let s = TestServer::start().await;
    allow(&s, &s.spa.client_id, &[GrantType::Password]).await;
    let (status, _, body) = post_token(
        &s,
        &[
            ("grant_type", "password"),
            ("client_id", &s.spa.client_id),
            ("username", "jane@example.com"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unauthorized_client");
}

#[tokio::test]
async fn discovery_lists_the_auth0_grants() {
    let s = TestServer::start().await;
    let d: Value = reqwest::get(s.url(".well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let grants = d["grant_types_supported"].as_array().unwrap();
    for g in ["password", PASSWORD_REALM, PASSWORDLESS_OTP] {
        assert!(grants.contains(&json!(g)), "{g} in {grants:?}");
    }
    let scopes = d["scopes_supported"].as_array().unwrap();
    assert!(scopes.contains(&json!("phone")) && scopes.contains(&json!("address")));
}
