//! The Management API's framework: who may call it (client_credentials tokens for
//! `{issuer}api/v2/` only), scope checks, Auth0's error shape, paging, rate limiting, the
//! built-in API and the OpenAPI document.

use crate::management_support::{ALL_SCOPES, Mgmt};
use crate::support::*;
use portcullis_testkit::Server;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn requests_without_a_usable_token_are_401_in_auth0_shape() {
    let m = Mgmt::start().await;
    let none = m.call(Method::GET, "users", "", None).await;
    assert_eq!(
        none.error(StatusCode::UNAUTHORIZED, "invalid_token"),
        "Missing authentication"
    );
    assert_eq!(none.headers["www-authenticate"], "Bearer");
    assert!(none.headers.get("x-ratelimit-limit").is_none());

    let garbage = m.call(Method::GET, "users", "not.a.token", None).await;
    garbage.error(StatusCode::UNAUTHORIZED, "invalid_token");

    // A valid token for another API.
    let res = reqwest::Client::new()
        .post(m.server.url("oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", m.server.m2m.client_id.as_str()),
            ("client_secret", m.server.m2m.secret()),
            ("audience", API),
        ])
        .send()
        .await
        .unwrap();
    let other: Value = res.json().await.unwrap();
    let other = other["access_token"].as_str().unwrap();
    let answer = m.call(Method::GET, "users", other, None).await;
    assert!(
        answer
            .error(StatusCode::UNAUTHORIZED, "invalid_token")
            .contains("audience")
    );
}

/// The Management API takes machine tokens only: an application asking for its audience for a
/// user gets `access_denied` (never a user's token carrying `read:users`, `delete:users`…), at
/// `/authorize` as at the token endpoint's password grant.
#[tokio::test]
async fn no_users_token_is_issued_for_the_management_audience() {
    let m = Mgmt::start().await;
    let s = &m.server;
    let params = with(
        with(web_params(s), "audience", &m.audience()),
        "scope",
        "openid read:users delete:users",
    );
    let r = browser()
        .get(s.url("authorize"))
        .query(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let to = location(r.headers());
    assert!(to.starts_with(WEB_CALLBACK), "{to}");
    let q = query_of(&to);
    assert_eq!(q["error"], "access_denied");
    assert!(
        q["error_description"].contains("client_credentials"),
        "{q:?}"
    );
    assert!(!q.contains_key("code"));
}

#[tokio::test]
async fn a_token_of_a_deleted_application_is_refused() {
    let m = Mgmt::start().await;
    let token = m.token(&["read:users"]).await;
    let client_id = claims(&token)["azp"].as_str().unwrap().to_owned();
    m.get("users").await.ok(StatusCode::OK);
    m.delete(&format!("clients/{client_id}"))
        .await
        .ok(StatusCode::NO_CONTENT);
    let answer = m.call(Method::GET, "users", &token, None).await;
    answer.error(StatusCode::UNAUTHORIZED, "invalid_token");
}

#[tokio::test]
async fn a_missing_scope_is_403_naming_the_scopes_that_would_do() {
    let m = Mgmt::start().await;
    let token = m.token(&["read:clients"]).await;
    let answer = m.call(Method::GET, "users", &token, None).await;
    assert_eq!(
        answer.error(StatusCode::FORBIDDEN, "insufficient_scope"),
        "Insufficient scope, expected any of: read:users"
    );
    // Asking the token endpoint for a scope the grant lacks is refused there.
    let ok = m.call(Method::GET, "clients", &token, None).await;
    ok.ok(StatusCode::OK);
}

#[tokio::test]
async fn the_built_in_api_exists_with_auth0_scope_names_and_cannot_be_changed() {
    let m = Mgmt::start().await;
    let audience = m.audience();
    let list = m.get("resource-servers").await;
    let apis = list.ok(StatusCode::OK).as_array().unwrap().clone();
    let builtin = apis
        .iter()
        .find(|a| a["identifier"] == audience.as_str())
        .expect("the Management API is listed");
    assert_eq!(builtin["is_system"], true);
    let scopes: Vec<&str> = builtin["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["value"].as_str().unwrap())
        .collect();
    for scope in ALL_SCOPES.iter().chain(&["read:roles", "read:logs"]) {
        assert!(scopes.contains(scope), "{scope} missing from {scopes:?}");
    }
    let id = builtin["id"].as_str().unwrap();
    m.patch(&format!("resource-servers/{id}"), &json!({"name": "mine"}))
        .await
        .error(StatusCode::FORBIDDEN, "operation_not_supported");
    m.delete(&format!("resource-servers/{id}"))
        .await
        .error(StatusCode::FORBIDDEN, "operation_not_supported");
    // The token endpoint knows it like any API: an application without a grant gets nothing.
    let (status, _, body) = post_token(
        &m.server,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &m.server.m2m.client_id),
            ("client_secret", m.server.m2m.secret()),
            ("audience", &audience),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "unauthorized_client");
}

#[tokio::test]
async fn unknown_paths_and_methods_and_bad_bodies_get_auth0_errors() {
    let m = Mgmt::start().await;
    m.get("nothing-here")
        .await
        .error(StatusCode::NOT_FOUND, "inexistent_resource");
    m.call(Method::PUT, "users", &m.admin, None)
        .await
        .error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    let res = m
        .http
        .post(m.server.url("api/v2/users"))
        .bearer_auth(&m.admin)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errorCode"], "invalid_body");
    assert_eq!(body["statusCode"], 400);
    let unknown = m
        .post(
            "users",
            &json!({"connection": "Username-Password-Authentication", "email": "a@example.com", "password": PASSWORD, "favourite_colour": "green"}),
        )
        .await;
    assert!(
        unknown
            .error(StatusCode::BAD_REQUEST, "invalid_body")
            .contains("favourite_colour")
    );
    m.get("users?per_page=abc")
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_query_string");
}

#[tokio::test]
async fn paging_and_include_totals_work_as_on_auth0() {
    let m = Mgmt::start().await;
    for i in 0..5 {
        m.server
            .add_user(&format!("p{i}@example.com"), PASSWORD)
            .await;
    }
    // Six users: jane from the tenant and the five above, oldest first.
    let page = m.get("users?per_page=2&page=1").await;
    assert_eq!(page.ok(StatusCode::OK).as_array().unwrap().len(), 2);
    let wrapped = m.get("users?per_page=4&page=1&include_totals=true").await;
    let body = wrapped.ok(StatusCode::OK);
    assert_eq!(body["start"], 4);
    assert_eq!(body["limit"], 4);
    assert_eq!(body["length"], 2);
    assert_eq!(body["total"], 6);
    assert_eq!(body["users"].as_array().unwrap().len(), 2);
    let all = m.get("users?per_page=100").await;
    let ids: Vec<Value> = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user_id"].clone())
        .collect();
    let first_two = m.get("users?per_page=2").await;
    let first: Vec<Value> = first_two
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user_id"].clone())
        .collect();
    assert_eq!(first, ids[..2]);
    m.get("users?per_page=101")
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_query_string");
    m.get("users?per_page=100&page=10")
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_query_string");
    let clients = m.get("clients?include_totals=true&per_page=1").await;
    assert_eq!(
        clients.ok(StatusCode::OK)["clients"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(clients.body["total"].as_u64().unwrap() >= 4);
}

#[tokio::test]
async fn each_application_has_its_own_rate_limit_with_headers_and_429() {
    let server = Server::start_configured(Default::default(), |c| {
        c.management_api_requests_per_minute = 3;
    })
    .await;
    let m = Mgmt::around(server).await;
    let token = m.token(&["read:clients"]).await;
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let answer = m.call(Method::GET, "clients", &token, None).await;
        answer.ok(StatusCode::OK);
        assert_eq!(answer.headers["x-ratelimit-limit"], "3");
        remaining.push(
            answer.headers["x-ratelimit-remaining"]
                .to_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(remaining, ["2", "1", "0"]);
    let refused = m.call(Method::GET, "clients", &token, None).await;
    refused.error(StatusCode::TOO_MANY_REQUESTS, "too_many_requests");
    assert_eq!(refused.headers["x-ratelimit-remaining"], "0");
    let reset: i64 = refused.headers["x-ratelimit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let now = m.server.provider.now();
    assert!(reset > now && reset <= now + 60, "reset {reset}, now {now}");
    assert!(refused.headers.contains_key("retry-after"));
    // Another application is not affected.
    m.call(Method::GET, "clients", &m.admin, None)
        .await
        .ok(StatusCode::OK);
    // The next minute starts a new budget.
    m.server.clock.advance(61);
    m.call(Method::GET, "clients", &token, None)
        .await
        .ok(StatusCode::OK);
}

#[tokio::test]
async fn the_openapi_document_lists_every_endpoint_with_its_scopes() {
    let m = Mgmt::start().await;
    let res = reqwest::get(m.server.url("api/v2/openapi.json"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let doc: Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(doc["servers"][0]["url"], "/api/v2");
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/users",
        "/users/{id}",
        "/users-by-email",
        "/users/{id}/sessions",
        "/clients",
        "/clients/{id}",
        "/clients/{id}/rotate-secret",
        "/connections",
        "/connections/{id}",
        "/resource-servers",
        "/resource-servers/{id}",
        "/client-grants",
        "/client-grants/{id}",
        "/keys/signing",
        "/keys/signing/{kid}",
        "/keys/signing/rotate",
        "/keys/signing/{kid}/revoke",
    ] {
        assert!(paths.contains_key(path), "{path} missing");
    }
    assert_eq!(
        paths["/users"]["get"]["security"][0]["bearer"],
        json!(["read:users"])
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}
