//! `/api/v2/users`, `/api/v2/users-by-email` and a user's sessions.

use crate::management_support::{Mgmt, seg};
use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const DB: &str = "Username-Password-Authentication";

async fn create(m: &Mgmt, body: Value) -> Value {
    m.post("users", &body).await.ok(StatusCode::CREATED).clone()
}

#[tokio::test]
async fn create_get_and_list_users_in_auth0_shape() {
    let m = Mgmt::start().await;
    let user = create(
        &m,
        json!({
            "connection": DB, "email": "Ada@Example.com", "password": PASSWORD,
            "user_id": "ada", "name": "Ada Lovelace", "email_verified": true,
            "app_metadata": {"plan": "gold", "roles": ["admin"]},
            "user_metadata": {"theme": "dark"},
        }),
    )
    .await;
    assert_eq!(user["user_id"], "auth0|ada");
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["email_verified"], true);
    assert_eq!(user["nickname"], "Ada");
    assert_eq!(
        user["app_metadata"],
        json!({"plan": "gold", "roles": ["admin"]})
    );
    assert_eq!(user["user_metadata"], json!({"theme": "dark"}));
    assert_eq!(user["identities"][0]["connection"], DB);
    assert_eq!(user["identities"][0]["provider"], "auth0");
    assert_eq!(user["identities"][0]["user_id"], "ada");
    assert!(user["created_at"].as_str().unwrap().ends_with(".000Z"));
    assert!(user.get("password").is_none() && user.get("password_hash").is_none());

    let got = m.get(&format!("users/{}", seg("auth0|ada"))).await;
    assert_eq!(got.ok(StatusCode::OK), &user);
    let fields = m
        .get(&format!("users/{}?fields=user_id,email", seg("auth0|ada")))
        .await;
    assert_eq!(
        fields.ok(StatusCode::OK),
        &json!({"user_id": "auth0|ada", "email": "ada@example.com"})
    );

    let generated = create(
        &m,
        json!({"connection": DB, "email": "grace@example.com", "password": PASSWORD}),
    )
    .await;
    assert!(generated["user_id"].as_str().unwrap().starts_with("auth0|"));
    let prefixed = create(
        &m,
        json!({"connection": DB, "email": "lin@example.com", "password": PASSWORD, "user_id": "legacy|42"}),
    )
    .await;
    assert_eq!(prefixed["user_id"], "legacy|42");

    let list = m.get("users?include_totals=true").await;
    assert_eq!(list.ok(StatusCode::OK)["total"], 4);

    // The new user signs in with the password given.
    let b = browser();
    let login = start_login(&m.server, &b, &web_params(&m.server)).await;
    let res = submit_login(&b, &login, "ada@example.com", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn creation_is_validated() {
    let m = Mgmt::start().await;
    let base = json!({"connection": DB, "email": "x@example.com", "password": PASSWORD});
    let with = |key: &str, value: Value| {
        let mut b = base.clone();
        b[key] = value;
        b
    };
    let cases = [
        (
            with("connection", json!("google-oauth2")),
            "connection does not exist",
        ),
        (with("email", json!("not-an-email")), "email"),
        (with("password", json!("short")), "password"),
        (with("app_metadata", json!({"user_id": "x"})), "reserved"),
        (with("user_metadata", json!({"a.b": 1})), "'.'"),
        (with("app_metadata", json!({"x": {"$where": 1}})), "'$'"),
        (
            with("app_metadata", json!(["not", "an", "object"])),
            "Payload validation error",
        ),
        (with("picture", json!("javascript:alert(1)")), "picture"),
        (with("name", json!("a\u{0}b")), "name"),
        (with("user_id", json!("white space")), "user_id"),
    ];
    for (body, expected) in cases {
        let answer = m.post("users", &body).await;
        let message = answer.error(StatusCode::BAD_REQUEST, "invalid_body");
        assert!(message.contains(expected), "{body}: {message}");
    }
    let mut no_password = base.clone();
    no_password.as_object_mut().unwrap().remove("password");
    m.post("users", &no_password)
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_body");
    let taken = with("email", json!("JANE@example.com"));
    assert_eq!(
        m.post("users", &taken)
            .await
            .error(StatusCode::CONFLICT, "auth0_idp_error"),
        "The user already exists."
    );
    m.assert_needs_scope(Method::POST, "users", Some(&base), "create:users")
        .await;
}

#[tokio::test]
async fn patch_merges_metadata_and_changes_profile() {
    let m = Mgmt::start().await;
    create(
        &m,
        json!({"connection": DB, "email": "ada@example.com", "password": PASSWORD, "user_id": "ada",
               "app_metadata": {"plan": "gold", "keep": 1}, "user_metadata": {"theme": "dark"}}),
    )
    .await;
    let path = format!("users/{}", seg("auth0|ada"));
    let patched = m
        .patch(
            &path,
            &json!({"app_metadata": {"plan": "silver", "keep": null, "new": [1, 2]},
                    "name": "Countess", "email_verified": true}),
        )
        .await;
    let body = patched.ok(StatusCode::OK);
    assert_eq!(
        body["app_metadata"],
        json!({"plan": "silver", "new": [1, 2]})
    );
    assert_eq!(body["user_metadata"], json!({"theme": "dark"}));
    assert_eq!(body["name"], "Countess");
    assert_eq!(body["email_verified"], true);
    let cleared = m.patch(&path, &json!({"user_metadata": {}})).await;
    assert_eq!(cleared.ok(StatusCode::OK)["user_metadata"], json!({}));
    // A new address is unverified.
    let moved = m.patch(&path, &json!({"email": "ada@example.org"})).await;
    assert_eq!(moved.ok(StatusCode::OK)["email"], "ada@example.org");
    assert_eq!(moved.body["email_verified"], false);
    m.patch(&path, &json!({"email": "jane@example.com"}))
        .await
        .error(StatusCode::CONFLICT, "auth0_idp_error");
    m.patch(&path, &json!({"app_metadata": {"email": "x"}}))
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_body");
    m.patch(
        &format!("users/{}", seg("auth0|nobody")),
        &json!({"name": "x"}),
    )
    .await
    .error(StatusCode::NOT_FOUND, "inexistent_user");

    // Metadata alone needs update:users_app_metadata or update:users; more needs update:users.
    let meta_only = m.token(&["update:users_app_metadata"]).await;
    m.call(
        Method::PATCH,
        &path,
        &meta_only,
        Some(&json!({"app_metadata": {"a": 1}})),
    )
    .await
    .ok(StatusCode::OK);
    m.call(
        Method::PATCH,
        &path,
        &meta_only,
        Some(&json!({"blocked": true})),
    )
    .await
    .error(StatusCode::FORBIDDEN, "insufficient_scope");
    m.assert_needs_scope(
        Method::PATCH,
        &path,
        Some(&json!({"name": "Ada"})),
        "update:users",
    )
    .await;
}

/// Blocking, a new password and deletion end the user's sessions and revoke their tokens.
#[tokio::test]
async fn block_password_and_delete_end_sessions_and_tokens() {
    let m = Mgmt::start().await;
    let s = &m.server;
    let path = format!("users/{}", seg(&s.user.user_id));
    for change in [
        json!({"blocked": true}),
        json!({"password": "a new long passphrase 42"}),
    ] {
        let tokens = tokens(s).await;
        let sessions = m.get(&format!("{path}/sessions")).await;
        let list = sessions.ok(StatusCode::OK)["sessions"]
            .as_array()
            .unwrap()
            .clone();
        assert!(!list.is_empty(), "a session after signing in");
        assert_eq!(list[0]["user_id"], s.user.user_id);
        assert_eq!(list[0]["clients"][0]["client_id"], s.web.client_id);
        let answer = m.patch(&path, &change).await;
        answer.ok(StatusCode::OK);
        let after = m.get(&format!("{path}/sessions")).await;
        assert_eq!(after.ok(StatusCode::OK)["sessions"], json!([]), "{change}");
        let refresh = post_token(
            s,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
                ("client_id", &s.web.client_id),
                ("client_secret", s.web.secret()),
            ],
        )
        .await;
        assert_eq!(
            refresh.0,
            StatusCode::BAD_REQUEST,
            "{change}: {}",
            refresh.2
        );
        let userinfo = reqwest::Client::new()
            .get(s.url("userinfo"))
            .bearer_auth(tokens["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(userinfo.status(), StatusCode::UNAUTHORIZED, "{change}");
        m.patch(&path, &json!({"blocked": false}))
            .await
            .ok(StatusCode::OK);
    }
    let blocked = m.get(&path).await;
    assert_eq!(blocked.ok(StatusCode::OK)["blocked"], false);
    // The new password works, the old one does not.
    let b = browser();
    let login = start_login(s, &b, &web_params(s)).await;
    let res = submit_login(&b, &login, &s.user.email, PASSWORD).await;
    assert_ne!(res.status(), StatusCode::SEE_OTHER);

    let tokens = tokens_with(s, "a new long passphrase 42").await;
    m.delete(&path).await.ok(StatusCode::NO_CONTENT);
    m.get(&path)
        .await
        .error(StatusCode::NOT_FOUND, "inexistent_user");
    m.delete(&path)
        .await
        .error(StatusCode::NOT_FOUND, "inexistent_user");
    let userinfo = reqwest::Client::new()
        .get(s.url("userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), StatusCode::UNAUTHORIZED);
}

async fn tokens_with(s: &TestServer, password: &str) -> Value {
    let b = browser();
    let login = start_login(s, &b, &web_params(s)).await;
    let res = submit_login(&b, &login, &s.user.email, password).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cb = query_of(&location(res.headers()));
    let r = redeem(s, &cb["code"]).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

#[tokio::test]
async fn search_by_email_and_query_syntax() {
    let m = Mgmt::start().await;
    for (id, email, name, plan) in [
        ("a1", "ada@example.com", "Ada Lovelace", "gold"),
        ("g1", "grace@example.org", "Grace Hopper", "silver"),
        ("l1", "lin@example.com", "Lin Chen", "gold"),
    ] {
        create(
            &m,
            json!({"connection": DB, "email": email, "password": PASSWORD, "user_id": id,
                   "name": name, "app_metadata": {"plan": plan}}),
        )
        .await;
    }
    let ids = |answer: &crate::management_support::Answer| -> Vec<String> {
        answer
            .ok(StatusCode::OK)
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["user_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let q = |query: &str| format!("users?search_engine=v3&q={}", seg(query));
    assert_eq!(
        ids(&m.get(&q("email:\"ADA@example.com\"")).await),
        ["auth0|a1"]
    );
    assert_eq!(
        ids(&m
            .get(&q("email:*@example.com AND app_metadata.plan:gold"))
            .await),
        ["auth0|a1", "auth0|l1"]
    );
    assert_eq!(
        ids(&m.get(&q("name:grace OR name:lin")).await),
        ["auth0|g1", "auth0|l1"]
    );
    assert_eq!(
        ids(&m.get(&q("app_metadata.plan:gold AND NOT name:ada")).await),
        ["auth0|l1"]
    );
    assert_eq!(
        ids(&m
            .get(&format!("{}&sort=email:-1", q("email.domain:example.com")))
            .await),
        ["auth0|l1", m.server.user.user_id.as_str(), "auth0|a1"],
        "lin, jane, ada: by email, descending"
    );
    m.get(&q("email:(unclosed"))
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_query_string");
    m.get(&q("password_hash:x"))
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_query_string");
    m.get("users?sort=password:1")
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_query_string");

    let by_email = m.get("users-by-email?email=GRACE%40example.org").await;
    assert_eq!(ids(&by_email), ["auth0|g1"]);
    let none = m.get("users-by-email?email=nobody%40example.org").await;
    assert_eq!(none.ok(StatusCode::OK), &json!([]));
    m.get("users-by-email")
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_query_string");
    m.assert_needs_scope(Method::GET, "users", None, "read:users")
        .await;
    m.assert_needs_scope(
        Method::GET,
        "users-by-email?email=a%40b.c",
        None,
        "read:users",
    )
    .await;
}

#[tokio::test]
async fn scopes_of_read_delete_and_sessions() {
    let m = Mgmt::start().await;
    let path = format!("users/{}", seg(&m.server.user.user_id));
    m.assert_needs_scope(Method::GET, &path, None, "read:users")
        .await;
    m.assert_needs_scope(
        Method::GET,
        &format!("{path}/sessions"),
        None,
        "read:sessions",
    )
    .await;
    m.get(&format!("users/{}/sessions", seg("auth0|nobody")))
        .await
        .error(StatusCode::NOT_FOUND, "inexistent_user");
    let tokens = tokens(&m.server).await;
    let live = m.get(&format!("{path}/sessions")).await;
    assert_eq!(
        live.ok(StatusCode::OK)["sessions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    m.assert_needs_scope(
        Method::DELETE,
        &format!("{path}/sessions"),
        None,
        "delete:sessions",
    )
    .await;
    let ended = m.get(&format!("{path}/sessions")).await;
    assert_eq!(ended.ok(StatusCode::OK)["sessions"], json!([]));
    let refresh = post_token(
        &m.server,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", &m.server.web.client_id),
            ("client_secret", m.server.web.secret()),
        ],
    )
    .await;
    assert_eq!(refresh.0, StatusCode::BAD_REQUEST, "{}", refresh.2);
    m.assert_needs_scope(Method::DELETE, &path, None, "delete:users")
        .await;
}

#[tokio::test]
async fn verify_email_mails_a_link_that_verifies_the_address() {
    let m = Mgmt::start().await;
    let store = &m.server.provider.store;
    let user = create(
        &m,
        json!({"connection": DB, "email": "verify-me@example.com", "password": PASSWORD,
               "verify_email": true}),
    )
    .await;
    assert_eq!(user["email_verified"], false);
    let mails = store.list_mail(10).await.unwrap();
    let mail = mails
        .iter()
        .find(|mail| mail.to == "verify-me@example.com")
        .expect("a verification mail");
    let link = mail
        .text_body
        .lines()
        .find(|l| l.contains("/u/verify?token="))
        .unwrap()
        .trim()
        .to_owned();
    let b = browser();
    let html = b.get(&link).send().await.unwrap().text().await.unwrap();
    let r = b
        .post(m.server.url("u/verify"))
        .form(&[
            ("token", hidden(&html, "token")),
            ("csrf", hidden(&html, "csrf")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let id = seg(user["user_id"].as_str().unwrap());
    let got = m.get(&format!("users/{id}")).await;
    assert_eq!(got.ok(StatusCode::OK)["email_verified"], true);

    // A verified address, or verify_email false, gets no mail.
    let before = store.list_mail(100).await.unwrap().len();
    create(
        &m,
        json!({"connection": DB, "email": "verified@example.com", "password": PASSWORD,
               "email_verified": true, "verify_email": true}),
    )
    .await;
    create(
        &m,
        json!({"connection": DB, "email": "quiet@example.com", "password": PASSWORD,
               "verify_email": false}),
    )
    .await;
    assert_eq!(store.list_mail(100).await.unwrap().len(), before);

    // On PATCH too.
    let patched = m
        .patch(
            &format!("users/{}", seg("auth0|nobody")),
            &json!({"verify_email": true}),
        )
        .await;
    patched.error(StatusCode::NOT_FOUND, "inexistent_user");
    let unverified = create(
        &m,
        json!({"connection": DB, "email": "later@example.com", "password": PASSWORD}),
    )
    .await;
    let id = seg(unverified["user_id"].as_str().unwrap());
    m.patch(&format!("users/{id}"), &json!({"verify_email": true}))
        .await
        .ok(StatusCode::OK);
    assert!(
        store
            .list_mail(100)
            .await
            .unwrap()
            .iter()
            .any(|mail| mail.to == "later@example.com")
    );
}

#[tokio::test]
async fn identities_list_the_database_and_every_upstream_account() {
    let m = Mgmt::start().await;
    let store = &m.server.provider.store;
    let jane = m.server.user.clone();
    let now = m.server.provider.now();
    store
        .link_identity(&portcullis_store::Identity {
            connection: "corp".to_owned(),
            strategy: "oidc".to_owned(),
            subject: "corp-sub-1".to_owned(),
            user_id: jane.user_id.clone(),
            email: Some("jane@corp.example".to_owned()),
            email_verified: true,
            name: Some("Jane Corp".to_owned()),
            picture: None,
            created_at: now,
            updated_at: now,
        })
        .await
        .unwrap();
    let got = m.get(&format!("users/{}", seg(&jane.user_id))).await;
    let identities = got.ok(StatusCode::OK)["identities"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(identities.len(), 2, "{identities:?}");
    assert_eq!(identities[0]["connection"], DB);
    assert_eq!(identities[0]["provider"], "auth0");
    assert_eq!(identities[1]["connection"], "corp");
    assert_eq!(identities[1]["provider"], "oidc");
    assert_eq!(identities[1]["user_id"], "corp-sub-1");
    assert_eq!(identities[1]["isSocial"], false);
    assert_eq!(identities[1]["profileData"]["email"], "jane@corp.example");
    // Lists and users-by-email show them too.
    let list = m.get("users").await;
    let listed = list
        .ok(StatusCode::OK)
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user_id"] == jane.user_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(listed["identities"].as_array().unwrap().len(), 2);
    let by_email = m.get("users-by-email?email=jane%40example.com").await;
    assert_eq!(
        by_email.ok(StatusCode::OK)[0]["identities"][1]["connection"],
        "corp"
    );
}
