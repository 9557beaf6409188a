//! `/api/v2/resource-servers`, `/api/v2/client-grants` and `/api/v2/connections`.

use crate::management_support::{Mgmt, seg};
use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

const BILLING: &str = "https://api.billing.example";

#[tokio::test]
async fn resource_servers_crud_with_scopes_and_lifetime() {
    let m = Mgmt::start().await;
    let created = m
        .post(
            "resource-servers",
            &json!({"identifier": BILLING, "name": "Billing",
                    "scopes": [{"value": "read:invoices", "description": "Read invoices"}],
                    "token_lifetime": 600, "allow_offline_access": true}),
        )
        .await;
    let body = created.ok(StatusCode::CREATED).clone();
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(body["identifier"], BILLING);
    assert_eq!(body["token_lifetime"], 600);
    assert_eq!(body["allow_offline_access"], true);
    assert_eq!(body["signing_alg"], "RS256");
    assert_eq!(body["is_system"], false);
    // By id and by identifier, as on Auth0.
    m.get(&format!("resource-servers/{id}"))
        .await
        .ok(StatusCode::OK);
    let by_identifier = m.get(&format!("resource-servers/{}", seg(BILLING))).await;
    assert_eq!(by_identifier.ok(StatusCode::OK)["id"], id.as_str());

    let updated = m
        .patch(
            &format!("resource-servers/{id}"),
            &json!({"scopes": [{"value": "read:invoices"}, {"value": "pay:invoices"}], "token_lifetime": 1200}),
        )
        .await;
    assert_eq!(updated.ok(StatusCode::OK)["token_lifetime"], 1200);
    assert_eq!(updated.body["scopes"][1]["value"], "pay:invoices");

    m.post("resource-servers", &json!({"identifier": BILLING}))
        .await
        .error(StatusCode::CONFLICT, "resource_server_conflict");
    for (body, expected) in [
        (json!({"identifier": "not a uri"}), "identifier"),
        (
            json!({"identifier": "https://x.example", "token_lifetime": 0}),
            "token_lifetime",
        ),
        (
            json!({"identifier": "https://x.example", "scopes": [{"value": "openid"}]}),
            "OpenID",
        ),
        (
            json!({"identifier": "https://x.example", "signing_alg": "HS256"}),
            "signing_alg",
        ),
        (
            json!({"identifier": "https://x.example", "identifierr": 1}),
            "identifierr",
        ),
    ] {
        let answer = m.post("resource-servers", &body).await;
        let message = answer.error(StatusCode::BAD_REQUEST, "invalid_body");
        assert!(message.contains(expected), "{body}: {message}");
    }
    m.delete(&format!("resource-servers/{id}"))
        .await
        .ok(StatusCode::NO_CONTENT);
    m.get(&format!("resource-servers/{id}"))
        .await
        .error(StatusCode::NOT_FOUND, "inexistent_resource_server");

    m.assert_needs_scope(
        Method::GET,
        "resource-servers",
        None,
        "read:resource_servers",
    )
    .await;
    m.assert_needs_scope(
        Method::POST,
        "resource-servers",
        Some(&json!({"identifier": "https://scoped.example"})),
        "create:resource_servers",
    )
    .await;
    m.assert_needs_scope(
        Method::PATCH,
        &format!("resource-servers/{}", seg(API)),
        Some(&json!({"name": "Shows"})),
        "update:resource_servers",
    )
    .await;
    m.assert_needs_scope(
        Method::DELETE,
        &format!("resource-servers/{}", seg(API)),
        None,
        "delete:resource_servers",
    )
    .await;
}

#[tokio::test]
async fn client_grants_crud_and_their_effect_on_tokens() {
    let m = Mgmt::start().await;
    m.server
        .api(BILLING, &["read:invoices", "pay:invoices"])
        .await;
    let app = m.server.m2m.clone();
    let created = m
        .post(
            "client-grants",
            &json!({"client_id": app.client_id, "audience": BILLING, "scope": ["read:invoices"]}),
        )
        .await;
    let body = created.ok(StatusCode::CREATED).clone();
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(body["scope"], json!(["read:invoices"]));
    let token = |scope: &'static str| {
        let s = &m.server;
        let app = app.clone();
        async move {
            post_token(
                s,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", &app.client_id),
                    ("client_secret", app.secret()),
                    ("audience", BILLING),
                    ("scope", scope),
                ],
            )
            .await
        }
    };
    assert_eq!(token("read:invoices").await.0, StatusCode::OK);
    assert_eq!(token("pay:invoices").await.0, StatusCode::BAD_REQUEST);

    let listed = m
        .get(&format!(
            "client-grants?audience={}&client_id={}",
            seg(BILLING),
            app.client_id
        ))
        .await;
    assert_eq!(listed.ok(StatusCode::OK).as_array().unwrap().len(), 1);

    m.patch(
        &format!("client-grants/{id}"),
        &json!({"scope": ["read:invoices", "pay:invoices"]}),
    )
    .await
    .ok(StatusCode::OK);
    assert_eq!(token("pay:invoices").await.0, StatusCode::OK);
    m.patch(
        &format!("client-grants/{id}"),
        &json!({"scope": ["steal:invoices"]}),
    )
    .await
    .error(StatusCode::BAD_REQUEST, "invalid_body");
    m.post(
        "client-grants",
        &json!({"client_id": app.client_id, "audience": BILLING, "scope": []}),
    )
    .await
    .error(StatusCode::CONFLICT, "client_grant_conflict");
    m.post(
        "client-grants",
        &json!({"client_id": app.client_id, "audience": "https://nowhere.example", "scope": []}),
    )
    .await
    .error(StatusCode::NOT_FOUND, "inexistent_resource_server");

    m.delete(&format!("client-grants/{id}"))
        .await
        .ok(StatusCode::NO_CONTENT);
    assert_eq!(token("read:invoices").await.0, StatusCode::BAD_REQUEST);
    m.delete(&format!("client-grants/{id}"))
        .await
        .error(StatusCode::NOT_FOUND, "inexistent_client_grant");

    m.assert_needs_scope(Method::GET, "client-grants", None, "read:client_grants")
        .await;
    m.assert_needs_scope(
        Method::POST,
        "client-grants",
        Some(&json!({"client_id": app.client_id, "audience": API, "scope": []})),
        "create:client_grants",
    )
    .await;
}

#[tokio::test]
async fn the_database_connection_is_listed() {
    let m = Mgmt::start().await;
    let list = m.get("connections?strategy=auth0").await;
    let list = list.ok(StatusCode::OK).as_array().unwrap().clone();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["name"], "Username-Password-Authentication");
    assert_eq!(list[0]["strategy"], "auth0");
    let enabled = list[0]["enabled_clients"].as_array().unwrap();
    assert!(enabled.contains(&json!(m.server.web.client_id)));
    let id = list[0]["id"].as_str().unwrap();
    let one = m.get(&format!("connections/{id}")).await;
    assert_eq!(
        one.ok(StatusCode::OK)["name"],
        "Username-Password-Authentication"
    );
    m.get("connections/con_nope")
        .await
        .error(StatusCode::NOT_FOUND, "inexistent_connection");
    let none = m.get("connections?strategy=google-oauth2").await;
    assert_eq!(none.ok(StatusCode::OK), &json!([]));
    m.assert_needs_scope(Method::GET, "connections", None, "read:connections")
        .await;
}
