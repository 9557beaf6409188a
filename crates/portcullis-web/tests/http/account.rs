//! The account page (issue #9 §6): name, password, email verification, sessions, approved
//! applications.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::Value;

const NEW: &str = "violet harbour 77 engine";

async fn account(b: &reqwest::Client, s: &TestServer) -> String {
    let r = b.get(s.url("u/account")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

async fn post(
    b: &reqwest::Client,
    s: &TestServer,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let html = account(b, s).await;
    let csrf = hidden(&html, "csrf");
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    b.post(s.url(path)).form(&form).send().await.unwrap()
}

#[tokio::test]
async fn without_a_session_the_page_says_how_to_sign_in() {
    let s = TestServer::start().await;
    let r = reqwest::get(s.url("u/account")).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("not signed in"));
}

#[tokio::test]
async fn the_name_is_saved_and_forged_posts_are_refused() {
    let s = TestServer::start().await;
    let b = browser();
    sign_in(&s, &b, &web_params(&s)).await;
    let html = account(&b, &s).await;
    assert!(html.contains(&s.user.email) && html.contains("this browser"));
    let r = post(&b, &s, "u/account/profile", &[("name", "Jane Q. Doe")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Your name is saved"));
    let user = s
        .provider
        .store
        .get_user(&s.user.user_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.name.as_deref(), Some("Jane Q. Doe"));
    let r = b
        .post(s.url("u/account/profile"))
        .form(&[("csrf", "forged"), ("name", "Mallory")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_signs_out_elsewhere() {
    let s = TestServer::start().await;
    let old: Value = tokens(&s).await;
    let b = browser();
    sign_in(&s, &b, &web_params(&s)).await;
    let r = post(
        &b,
        &s,
        "u/account/password",
        &[("current_password", "wrong"), ("new_password", NEW)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("not your current password")
    );
    let r = post(
        &b,
        &s,
        "u/account/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", "iloveyou1"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("too common"));
    let r = post(
        &b,
        &s,
        "u/account/password",
        &[("current_password", PASSWORD), ("new_password", NEW)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(r.headers()), "/u/account?changed=password");
    // This browser is signed in again; the other session's refresh token is revoked.
    let html = b
        .get(s.url("u/account?changed=password"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Your password is changed"), "{html}");
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
    let login = start_login(&s, &browser(), &web_params(&s)).await;
    let r = submit_login(&browser(), &login, &s.user.email, NEW).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mails = s.provider.store.list_mail(10).await.unwrap();
    assert!(
        mails
            .iter()
            .any(|m| m.subject.contains("password was changed"))
    );
}

#[tokio::test]
async fn an_unverified_address_is_confirmed_from_a_mailed_link() {
    let s = TestServer::start().await;
    let store = &s.provider.store;
    let mut user = store.get_user(&s.user.user_id).await.unwrap().unwrap();
    user.email_verified = false;
    store.update_user(&user).await.unwrap();
    let b = browser();
    sign_in(&s, &b, &web_params(&s)).await;
    assert!(account(&b, &s).await.contains("not verified yet"));
    let r = post(&b, &s, "u/account/verify", &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let mail = store.list_mail(1).await.unwrap().remove(0);
    let link = mail
        .text_body
        .lines()
        .find(|l| l.contains("/u/verify?token="))
        .unwrap()
        .to_owned();
    let html = b.get(&link).send().await.unwrap().text().await.unwrap();
    let r = b
        .post(s.url("u/verify"))
        .form(&[
            ("token", hidden(&html, "token")),
            ("csrf", hidden(&html, "csrf")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        store
            .get_user(&s.user.user_id)
            .await
            .unwrap()
            .unwrap()
            .email_verified
    );
    // Single use.
    let r = b
        .post(s.url("u/verify"))
        .form(&[
            ("token", hidden(&html, "token")),
            ("csrf", hidden(&html, "csrf")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn another_device_can_be_signed_out() {
    let s = TestServer::start().await;
    let laptop = browser();
    let phone = browser();
    sign_in(&s, &laptop, &web_params(&s)).await;
    sign_in(&s, &phone, &web_params(&s)).await;
    let html = account(&laptop, &s).await;
    let sessions = s
        .provider
        .store
        .list_user_sessions(&s.user.user_id)
        .await
        .unwrap();
    assert_eq!(sessions.len(), 2);
    // The phone's session is the one not marked as this browser: end each other one.
    for session in &sessions {
        if html.contains(&format!("name=\"id\" value=\"{}\"", session.session_id)) {
            let r = post(
                &laptop,
                &s,
                "u/account/sessions/end",
                &[("id", &session.session_id)],
            )
            .await;
            assert_eq!(r.status(), StatusCode::OK);
        }
    }
    let r = phone.get(s.url("u/account")).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "the phone is signed out"
    );
    account(&laptop, &s).await;
}

#[tokio::test]
async fn removing_an_applications_access_revokes_its_tokens_and_asks_again() {
    let s = TestServer::start().await;
    let store = &s.provider.store;
    let mut client = store.get_client(&s.web.client_id).await.unwrap().unwrap();
    client.first_party = false;
    store.update_client(&client).await.unwrap();
    let b = browser();
    let login = start_login(&s, &b, &web_params(&s)).await;
    let r = submit_login(&b, &login, &s.user.email, PASSWORD).await;
    let consent = s.url(&location(r.headers()));
    let html = b.get(&consent).send().await.unwrap().text().await.unwrap();
    let r = b
        .post(s.url("u/consent"))
        .form(&[
            ("state", hidden(&html, "state")),
            ("csrf", hidden(&html, "csrf")),
            ("decision", "allow".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    let code = query_of(&location(r.headers()))["code"].clone();
    let t: Value = redeem(&s, &code).await.json().await.unwrap();
    let page = account(&b, &s).await;
    assert!(
        page.contains("web app") && page.contains("Remove access"),
        "{page}"
    );
    let r = post(&b, &s, "u/account/apps/revoke", &[("id", &s.web.client_id)]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        store
            .get_consent(&s.user.user_id, &s.web.client_id)
            .await
            .unwrap()
            .is_none()
    );
    let (status, _, _) = post_token(
        &s,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
            ("client_id", &s.web.client_id),
            ("client_secret", s.web.secret()),
        ],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "its refresh token is revoked"
    );
    let r = b
        .get(s.url("authorize"))
        .query(&web_params(&s))
        .send()
        .await
        .unwrap();
    assert!(
        location(r.headers()).starts_with("/u/consent?state="),
        "asked again"
    );
}
