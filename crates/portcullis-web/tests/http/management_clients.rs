//! `/api/v2/clients`: applications, their settings and secrets.

use crate::management_support::Mgmt;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn create_read_update_delete_an_application() {
    let m = Mgmt::start().await;
    let created = m
        .post(
            "clients",
            &json!({
                "name": "Shop", "app_type": "regular_web",
                "callbacks": ["https://shop.example/callback"],
                "allowed_logout_urls": ["https://shop.example/"],
                "web_origins": ["https://shop.example"],
                "is_first_party": false,
            }),
        )
        .await;
    let body = created.ok(StatusCode::CREATED).clone();
    let id = body["client_id"].as_str().unwrap().to_owned();
    let secret = body["client_secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 32);
    assert_eq!(body["app_type"], "regular_web");
    assert_eq!(body["is_first_party"], false);
    assert_eq!(body["callbacks"], json!(["https://shop.example/callback"]));
    assert_eq!(
        body["allowed_logout_urls"],
        json!(["https://shop.example/"])
    );
    assert_eq!(body["web_origins"], json!(["https://shop.example"]));
    assert_eq!(body["token_endpoint_auth_method"], "client_secret_post");
    assert_eq!(
        body["grant_types"],
        json!(["authorization_code", "refresh_token", "implicit"])
    );

    let got = m.get(&format!("clients/{id}")).await;
    let got = got.ok(StatusCode::OK);
    assert_eq!(got["name"], "Shop");
    assert!(
        got.get("client_secret").is_none(),
        "secrets are not readable"
    );

    let updated = m
        .patch(
            &format!("clients/{id}"),
            &json!({"name": "Shop 2", "callbacks": ["https://shop.example/cb2"], "grant_types": ["authorization_code"]}),
        )
        .await;
    let updated = updated.ok(StatusCode::OK);
    assert_eq!(updated["name"], "Shop 2");
    assert_eq!(updated["callbacks"], json!(["https://shop.example/cb2"]));
    assert_eq!(updated["grant_types"], json!(["authorization_code"]));

    let list = m
        .get("clients?app_type=regular_web&is_first_party=false")
        .await;
    let ids: Vec<&str> = list
        .ok(StatusCode::OK)
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id.as_str()]);

    m.delete(&format!("clients/{id}"))
        .await
        .ok(StatusCode::NO_CONTENT);
    m.get(&format!("clients/{id}"))
        .await
        .error(StatusCode::NOT_FOUND, "inexistent_client");
}

#[tokio::test]
async fn a_created_m2m_application_gets_tokens_and_its_secret_rotates() {
    let m = Mgmt::start().await;
    let created = m
        .post(
            "clients",
            &json!({"name": "Worker", "app_type": "non_interactive"}),
        )
        .await;
    let body = created.ok(StatusCode::CREATED).clone();
    let id = body["client_id"].as_str().unwrap().to_owned();
    let old = body["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(body["grant_types"], json!(["client_credentials"]));
    m.post(
        "client-grants",
        &json!({"client_id": id, "audience": m.audience(), "scope": ["read:clients"]}),
    )
    .await
    .ok(StatusCode::CREATED);
    let token = m.token_for(&id, &old).await;
    m.call(Method::GET, "clients", &token, None)
        .await
        .ok(StatusCode::OK);

    let rotated = m
        .post(&format!("clients/{id}/rotate-secret"), &json!({}))
        .await;
    let new = rotated.ok(StatusCode::OK)["client_secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new, old);
    let refused = m
        .http
        .post(m.server.url("oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id.as_str()),
            ("client_secret", old.as_str()),
            ("audience", m.audience().as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    m.token_for(&id, &new).await;

    let spa = m
        .post("clients", &json!({"name": "SPA", "app_type": "spa"}))
        .await;
    let spa_id = spa.ok(StatusCode::CREATED)["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(spa.body.get("client_secret").is_none());
    m.post(&format!("clients/{spa_id}/rotate-secret"), &json!({}))
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_body");
}

#[tokio::test]
async fn application_settings_are_validated() {
    let m = Mgmt::start().await;
    let cases: [(Value, &str); 7] = [
        (json!({}), "name"),
        (json!({"name": "x", "app_type": "rms"}), "app_type"),
        (
            json!({"name": "x", "callbacks": ["javascript:alert(1)"]}),
            "callback",
        ),
        (
            json!({"name": "x", "web_origins": ["https://a.example/path"]}),
            "origin",
        ),
        (
            json!({"name": "x", "grant_types": ["urn:ietf:params:oauth:grant-type:device_code"]}),
            "grant_types",
        ),
        (
            json!({"name": "x", "app_type": "spa", "token_endpoint_auth_method": "client_secret_post"}),
            "public",
        ),
        (
            json!({"name": "x", "client_secret": "chosen"}),
            "client_secret",
        ),
    ];
    for (body, expected) in cases {
        let answer = m.post("clients", &body).await;
        let message = answer.error(StatusCode::BAD_REQUEST, "invalid_body");
        assert!(message.contains(expected), "{body}: {message}");
    }
    m.patch("clients/nope", &json!({"name": "y"}))
        .await
        .error(StatusCode::NOT_FOUND, "inexistent_client");
}

#[tokio::test]
async fn each_operation_needs_its_scope() {
    let m = Mgmt::start().await;
    let id = m.server.web.client_id.clone();
    m.assert_needs_scope(Method::GET, "clients", None, "read:clients")
        .await;
    m.assert_needs_scope(Method::GET, &format!("clients/{id}"), None, "read:clients")
        .await;
    m.assert_needs_scope(
        Method::POST,
        "clients",
        Some(&json!({"name": "z", "app_type": "spa"})),
        "create:clients",
    )
    .await;
    m.assert_needs_scope(
        Method::PATCH,
        &format!("clients/{id}"),
        Some(&json!({"name": "renamed"})),
        "update:clients",
    )
    .await;
    m.assert_needs_scope(
        Method::POST,
        &format!("clients/{id}/rotate-secret"),
        None,
        "update:client_keys",
    )
    .await;
    m.assert_needs_scope(
        Method::DELETE,
        &format!("clients/{id}"),
        None,
        "delete:clients",
    )
    .await;
}

/// Client-credentials tokens are not stored: one lives while its application does. Deleting the
/// application ends its tokens at once, here at the Management API (which checks them with
/// the same code as introspection and /userinfo); another application's token is untouched.
#[tokio::test]
async fn deleting_an_application_ends_its_client_credentials_tokens() {
    let m = Mgmt::start().await;
    let doomed = m.token(&["read:clients"]).await;
    let kept = m.token(&["read:clients"]).await;
    m.call(Method::GET, "clients", &doomed, None)
        .await
        .ok(StatusCode::OK);
    // The token's `client_id` claim names its application.
    let id = portcullis_testkit::jwt_claims(&doomed)["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    m.delete(&format!("clients/{id}"))
        .await
        .ok(StatusCode::NO_CONTENT);
    m.call(Method::GET, "clients", &doomed, None)
        .await
        .error(StatusCode::UNAUTHORIZED, "invalid_token");
    m.call(Method::GET, "clients", &kept, None)
        .await
        .ok(StatusCode::OK);
}
