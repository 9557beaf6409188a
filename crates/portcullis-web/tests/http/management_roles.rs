//! `/api/v2/roles`, a role's permissions and users, and a user's roles and permissions; role
//! changes reach the user's next token (RBAC).

use crate::management_support::{Mgmt, seg};
use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const BILLING: &str = "https://api.billing.example";

async fn billing_api(m: &Mgmt) {
    m.post(
        "resource-servers",
        &json!({"identifier": BILLING, "name": "Billing",
                "scopes": [{"value": "read:invoices", "description": "Read invoices"},
                           {"value": "pay:invoices", "description": "Pay invoices"}],
                "enforce_policies": true, "token_dialect": "access_token_authz"}),
    )
    .await
    .ok(StatusCode::CREATED);
}

async fn role(m: &Mgmt, name: &str) -> String {
    let created = m
        .post(
            "roles",
            &json!({"name": name, "description": format!("{name} role")}),
        )
        .await;
    let body = created.ok(StatusCode::OK);
    body["id"].as_str().unwrap().to_owned()
}

fn permission(name: &str) -> Value {
    json!({"resource_server_identifier": BILLING, "permission_name": name})
}

/// Signs the test user in for the billing API: the access token's permissions (sorted) and
/// scope.
async fn permissions_now(m: &Mgmt) -> (Vec<String>, String) {
    let params = with(web_params(&m.server), "audience", BILLING);
    let params = with(params, "scope", "openid read:invoices pay:invoices");
    let b = browser();
    let cb = sign_in(&m.server, &b, &params).await;
    let r = redeem(&m.server, &cb["code"]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    let access = claims(body["access_token"].as_str().unwrap());
    let mut held: Vec<String> = access["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    held.sort();
    (
        held,
        access["scope"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn roles_crud_filter_and_paging() {
    let m = Mgmt::start().await;
    let id = role(&m, "Billing Admin").await;
    assert!(id.starts_with("rol_"), "{id}");
    role(&m, "Support").await;
    role(&m, "billing reader").await;

    let got = m.get(&format!("roles/{id}")).await;
    assert_eq!(
        got.ok(StatusCode::OK),
        &json!({"id": id, "name": "Billing Admin", "description": "Billing Admin role"})
    );
    // By name, ordered; name_filter ignores case; include_totals wraps as `roles`.
    let all = m.get("roles").await;
    let names: Vec<&str> = all
        .ok(StatusCode::OK)
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Billing Admin", "Support", "billing reader"]);
    let filtered = m.get("roles?name_filter=BILLING&include_totals=true").await;
    let body = filtered.ok(StatusCode::OK);
    assert_eq!(body["total"], 2);
    assert_eq!(body["roles"].as_array().unwrap().len(), 2);
    let paged = m.get("roles?per_page=1&page=1").await;
    assert_eq!(paged.ok(StatusCode::OK)[0]["name"], "Support");
    m.get("roles?per_page=1000")
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_query_string");

    let patched = m
        .patch(
            &format!("roles/{id}"),
            &json!({"description": "Runs billing"}),
        )
        .await;
    assert_eq!(patched.ok(StatusCode::OK)["description"], "Runs billing");
    assert_eq!(patched.body["name"], "Billing Admin");
    m.patch(&format!("roles/{id}"), &json!({"name": "Support"}))
        .await
        .error(StatusCode::CONFLICT, "conflict");
    m.post("roles", &json!({"name": "Support"}))
        .await
        .error(StatusCode::CONFLICT, "conflict");
    for (body, expected) in [
        (json!({"name": ""}), "name"),
        (
            json!({"name": "x", "description": "d".repeat(141)}),
            "description",
        ),
        (json!({"name": "x", "permissions": []}), "permissions"),
        (json!({}), "name"),
    ] {
        let message = m
            .post("roles", &body)
            .await
            .error(StatusCode::BAD_REQUEST, "invalid_body");
        assert!(message.contains(expected), "{body}: {message}");
    }

    m.delete(&format!("roles/{id}")).await.ok(StatusCode::OK);
    m.get(&format!("roles/{id}"))
        .await
        .error(StatusCode::NOT_FOUND, "inexistent_role");
    m.delete(&format!("roles/{id}"))
        .await
        .error(StatusCode::NOT_FOUND, "inexistent_role");
    m.patch("roles/rol_nope", &json!({"name": "y"}))
        .await
        .error(StatusCode::NOT_FOUND, "inexistent_role");
}

#[tokio::test]
async fn role_scopes() {
    let m = Mgmt::start().await;
    let id = role(&m, "Scoped").await;
    m.assert_needs_scope(Method::GET, "roles", None, "read:roles")
        .await;
    m.assert_needs_scope(Method::GET, &format!("roles/{id}"), None, "read:roles")
        .await;
    m.assert_needs_scope(
        Method::POST,
        "roles",
        Some(&json!({"name": "New"})),
        "create:roles",
    )
    .await;
    m.assert_needs_scope(
        Method::PATCH,
        &format!("roles/{id}"),
        Some(&json!({"description": "d"})),
        "update:roles",
    )
    .await;
    m.assert_needs_scope(
        Method::GET,
        &format!("roles/{id}/permissions"),
        None,
        "read:roles",
    )
    .await;
    m.assert_needs_scope(
        Method::GET,
        &format!("users/{}/permissions", seg(&m.server.user.user_id)),
        None,
        "read:users",
    )
    .await;
    m.assert_needs_scope(Method::DELETE, &format!("roles/{id}"), None, "delete:roles")
        .await;
    // Endpoints that accept any of several scopes refuse a token with none of them.
    let none = m.token(&["read:clients"]).await;
    for (method, path, body) in [
        (Method::GET, "roles/rol_x/users".to_owned(), None),
        (
            Method::POST,
            "roles/rol_x/users".to_owned(),
            Some(json!({"users": ["u"]})),
        ),
        (Method::GET, format!("users/{}/roles", seg("auth0|x")), None),
        (
            Method::POST,
            format!("users/{}/roles", seg("auth0|x")),
            Some(json!({"roles": ["rol_x"]})),
        ),
        (
            Method::DELETE,
            format!("users/{}/roles", seg("auth0|x")),
            Some(json!({"roles": ["rol_x"]})),
        ),
    ] {
        let answer = m.call(method, &path, &none, body.as_ref()).await;
        answer.error(StatusCode::FORBIDDEN, "insufficient_scope");
    }
    let members = m.token(&["read:role_members"]).await;
    let answer = m
        .call(Method::GET, "roles/rol_x/users", &members, None)
        .await;
    answer.error(StatusCode::NOT_FOUND, "inexistent_role");
    let assign = m.token(&["create:role_members"]).await;
    let answer = m
        .call(
            Method::POST,
            &format!("users/{}/roles", seg("auth0|nobody")),
            &assign,
            Some(&json!({"roles": ["rol_x"]})),
        )
        .await;
    answer.error(StatusCode::NOT_FOUND, "inexistent_user");
}

#[tokio::test]
async fn permissions_users_and_rbac_tokens_follow_role_changes() {
    let m = Mgmt::start().await;
    billing_api(&m).await;
    let admin = role(&m, "Billing Admin").await;
    let reader = role(&m, "Billing Reader").await;
    let user_id = m.server.user.user_id.clone();
    let user = seg(&user_id);

    // Role permissions: add, list with API name and description, refuse unknown ones, remove.
    m.post(
        &format!("roles/{admin}/permissions"),
        &json!({"permissions": [permission("read:invoices"), permission("pay:invoices")]}),
    )
    .await
    .ok(StatusCode::CREATED);
    m.post(
        &format!("roles/{reader}/permissions"),
        &json!({"permissions": [permission("read:invoices")]}),
    )
    .await
    .ok(StatusCode::CREATED);
    let listed = m.get(&format!("roles/{admin}/permissions")).await;
    assert_eq!(
        listed.ok(StatusCode::OK),
        &json!([
            {"resource_server_identifier": BILLING, "permission_name": "pay:invoices",
             "resource_server_name": "Billing", "description": "Pay invoices"},
            {"resource_server_identifier": BILLING, "permission_name": "read:invoices",
             "resource_server_name": "Billing", "description": "Read invoices"},
        ])
    );
    let totals = m
        .get(&format!(
            "roles/{admin}/permissions?include_totals=true&per_page=1"
        ))
        .await;
    assert_eq!(totals.ok(StatusCode::OK)["total"], 2);
    assert_eq!(totals.body["permissions"].as_array().unwrap().len(), 1);
    let message = m
        .post(
            &format!("roles/{admin}/permissions"),
            &json!({"permissions": [permission("delete:invoices")]}),
        )
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_body");
    assert!(message.contains("delete:invoices"), "{message}");
    m.post(
        &format!("roles/{admin}/permissions"),
        &json!({"permissions": [{"resource_server_identifier": "https://nope.example", "permission_name": "x"}]}),
    )
    .await
    .error(StatusCode::NOT_FOUND, "inexistent_resource_server");
    m.post(
        &format!("roles/{admin}/permissions"),
        &json!({"permissions": []}),
    )
    .await
    .error(StatusCode::BAD_REQUEST, "invalid_body");

    // Users of a role; a user's roles.
    m.post(
        &format!("roles/{reader}/users"),
        &json!({"users": [user_id]}),
    )
    .await
    .ok(StatusCode::OK);
    m.post(
        &format!("roles/{reader}/users"),
        &json!({"users": ["auth0|nobody"]}),
    )
    .await
    .error(StatusCode::NOT_FOUND, "inexistent_user");
    let members = m.get(&format!("roles/{reader}/users")).await;
    assert_eq!(members.ok(StatusCode::OK)[0]["user_id"], user_id.as_str());
    assert_eq!(members.body[0]["email"], "jane@example.com");
    let checkpoint = m.get(&format!("roles/{reader}/users?take=1")).await;
    assert_eq!(
        checkpoint.ok(StatusCode::OK)["users"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(checkpoint.body.get("next").is_none());

    m.post(&format!("users/{user}/roles"), &json!({"roles": [admin]}))
        .await
        .ok(StatusCode::NO_CONTENT);
    m.post(
        &format!("users/{user}/roles"),
        &json!({"roles": ["rol_nope"]}),
    )
    .await
    .error(StatusCode::NOT_FOUND, "inexistent_role");
    let roles = m.get(&format!("users/{user}/roles")).await;
    let names: Vec<&str> = roles
        .ok(StatusCode::OK)
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Billing Admin", "Billing Reader"]);

    // Effective permissions, each with the roles it comes from.
    let held = m.get(&format!("users/{user}/permissions")).await;
    let held = held.ok(StatusCode::OK).as_array().unwrap().clone();
    assert_eq!(held.len(), 2, "{held:?}");
    let read = held
        .iter()
        .find(|p| p["permission_name"] == "read:invoices")
        .unwrap();
    assert_eq!(read["resource_server_name"], "Billing");
    assert_eq!(read["description"], "Read invoices");
    let mut sources: Vec<&str> = read["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            assert_eq!(s["source_type"], "ROLE");
            s["source_name"].as_str().unwrap()
        })
        .collect();
    sources.sort_unstable();
    assert_eq!(sources, ["Billing Admin", "Billing Reader"]);

    // The next token holds the permissions; after the roles are taken away, the next one not.
    let (held, scope) = permissions_now(&m).await;
    assert_eq!(held, ["pay:invoices", "read:invoices"]);
    assert!(scope.contains("pay:invoices"), "{scope}");

    m.call(
        Method::DELETE,
        &format!("users/{user}/roles"),
        &m.admin,
        Some(&json!({"roles": [admin]})),
    )
    .await
    .ok(StatusCode::NO_CONTENT);
    let (held, scope) = permissions_now(&m).await;
    assert_eq!(held, ["read:invoices"]);
    assert!(!scope.contains("pay:invoices"), "{scope}");

    m.call(
        Method::DELETE,
        &format!("roles/{reader}/permissions"),
        &m.admin,
        Some(&json!({"permissions": [permission("read:invoices")]})),
    )
    .await
    .ok(StatusCode::OK);
    let (held, _) = permissions_now(&m).await;
    assert!(held.is_empty(), "{held:?}");
    let none = m.get(&format!("users/{user}/permissions")).await;
    assert_eq!(none.ok(StatusCode::OK), &json!([]));
}
