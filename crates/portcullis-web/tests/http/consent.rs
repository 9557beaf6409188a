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

/// With an API that enforces RBAC, the page lists only the asked scopes the user holds (what
/// the application will get), and only those are remembered.
#[tokio::test]
async fn the_consent_page_lists_only_what_rbac_will_grant() {
    let s = TestServer::start().await;
    third_party(&s).await;
    let api_id = "https://reports.example";
    s.api(api_id, &["read:reports", "write:reports"]).await;
    let store = &s.provider.store;
    let mut api = store.get_api_by_identifier(api_id).await.unwrap().unwrap();
    api.enforce_policies = true;
    api.scopes[0].description = "Read your reports".into();
    api.scopes[1].description = "Change your reports".into();
    store.update_api(&api).await.unwrap();
    let now = s.provider.now();
    store
        .create_role(&portcullis_store::Role {
            role_id: "rol_reader".into(),
            name: "reader".into(),
            description: String::new(),
            created_at: now,
            updated_at: now,
        })
        .await
        .unwrap();
    store
        .add_role_permissions(
            "rol_reader",
            &[portcullis_store::Permission::new(api_id, "read:reports")],
        )
        .await
        .unwrap();
    store
        .assign_user_roles(&s.user.user_id, &["rol_reader".to_owned()])
        .await
        .unwrap();
    let b = browser();
    let params = with(
        with(web_params(&s), "audience", api_id),
        "scope",
        "openid read:reports write:reports",
    );
    let consent = sign_in_to_consent(&s, &b, &params).await;
    let html = b.get(&consent).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Read your reports"), "{html}");
    assert!(!html.contains("Change your reports"), "{html}");
    answer(&b, &s, &consent, "allow").await;
    let remembered = store
        .get_consent(&s.user.user_id, &s.web.client_id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        remembered
            .scopes
            .contains(&format!("{api_id}|read:reports"))
    );
    assert!(
        !remembered
            .scopes
            .iter()
            .any(|k| k.ends_with("write:reports"))
    );
}
