//! Consent for third-party applications (issue #9 §5).

use crate::support::*;
use reqwest::StatusCode;

/// Makes the regular web app a third-party application.
async fn third_party(s: &TestServer) {
    let store = &s.provider.store;
    let mut client = store.get_client(&s.web.client_id).await.unwrap().unwrap();
    client.first_party = false;
    store.update_client(&client).await.unwrap();
}

/// Signs in; expects the consent page; returns its URL.
async fn sign_in_to_consent(
    s: &TestServer,
    b: &reqwest::Client,
    params: &[(&str, String)],
) -> String {
    let login = start_login(s, b, params).await;
    let r = submit_login(b, &login, &s.user.email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = location(r.headers());
    assert!(to.starts_with("/u/consent?state="), "{to}");
    s.url(&to)
}

async fn answer(b: &reqwest::Client, s: &TestServer, consent: &str, decision: &str) -> String {
    let html = b.get(consent).send().await.unwrap().text().await.unwrap();
    let r = b
        .post(s.url("u/consent"))
        .form(&[
            ("state", hidden(&html, "state")),
            ("csrf", hidden(&html, "csrf")),
            ("decision", decision.to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    location(r.headers())
}

async fn authorize(b: &reqwest::Client, s: &TestServer, params: &[(&str, String)]) -> String {
    let r = b
        .get(s.url("authorize"))
        .query(params)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    location(r.headers())
}

#[tokio::test]
async fn a_third_party_application_asks_once_and_is_remembered() {
    let s = TestServer::start().await;
    third_party(&s).await;
    let b = browser();
    let params = with(web_params(&s), "scope", "openid profile email");
    let consent = sign_in_to_consent(&s, &b, &params).await;
    let html = b.get(&consent).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Allow web app?"), "{html}");
    assert!(html.contains("See your email address") && html.contains("See your name"));
    let callback = answer(&b, &s, &consent, "allow").await;
    assert!(query_of(&callback).contains_key("code"), "{callback}");
    // Remembered: silent authentication works, no page.
    let again = authorize(&b, &s, &with(params.clone(), "prompt", "none")).await;
    assert!(query_of(&again).contains_key("code"), "{again}");
    // A new scope is asked for, and only it is listed.
    let wider = with(
        params.clone(),
        "scope",
        "openid profile email offline_access",
    );
    let to = authorize(&b, &s, &wider).await;
    assert!(to.starts_with("/u/consent?state="), "{to}");
    let html = b
        .get(s.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Stay connected"));
    assert!(!html.contains("See your email address"), "already approved");
    // prompt=consent asks again for everything.
    let to = authorize(&b, &s, &with(params, "prompt", "consent")).await;
    assert!(to.starts_with("/u/consent?state="), "{to}");
}

#[tokio::test]
async fn refusing_answers_access_denied_and_prompt_none_answers_consent_required() {
    let s = TestServer::start().await;
    third_party(&s).await;
    let b = browser();
    let consent = sign_in_to_consent(&s, &b, &web_params(&s)).await;
    let callback = answer(&b, &s, &consent, "deny").await;
    let q = query_of(&callback);
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "st4te");
    assert_eq!(q["iss"], s.issuer);
    let silent = authorize(&b, &s, &with(web_params(&s), "prompt", "none")).await;
    assert_eq!(query_of(&silent)["error"], "consent_required");
    assert!(
        s.provider
            .store
            .get_consent(&s.user.user_id, &s.web.client_id)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn first_party_applications_never_ask() {
    let s = TestServer::start().await;
    let b = browser();
    let cb = sign_in(&s, &b, &with(web_params(&s), "prompt", "consent")).await;
    assert!(cb.contains_key("code"));
}

#[tokio::test]
async fn a_forged_consent_post_is_refused() {
    let s = TestServer::start().await;
    third_party(&s).await;
    let b = browser();
    let consent = sign_in_to_consent(&s, &b, &web_params(&s)).await;
    let html = b.get(&consent).send().await.unwrap().text().await.unwrap();
    let r = b
        .post(s.url("u/consent"))
        .form(&[
            ("state", hidden(&html, "state")),
            ("csrf", "forged".to_owned()),
            ("decision", "allow".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
