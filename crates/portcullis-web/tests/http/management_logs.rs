//! `/api/v2/logs`: the audit log in Auth0's shape, searched and paged; Management API writes
//! recorded as `sapi`/`fapi` without secrets.

use crate::management_support::{Mgmt, seg};
use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn flushed(m: &Mgmt) {
    m.server.provider.audit.flush().await;
}

fn types(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn writes_are_recorded_as_sapi_and_fapi_without_secrets() {
    let m = Mgmt::start().await;
    m.post("roles", &json!({"name": "Auditors"}))
        .await
        .ok(StatusCode::OK);
    m.post("roles", &json!({"name": "Auditors"}))
        .await
        .error(StatusCode::CONFLICT, "conflict");
    let secret_password = "a very secret passphrase 91";
    m.post(
        "users",
        &json!({"connection": "Username-Password-Authentication",
                "email": "logged@example.com", "password": secret_password}),
    )
    .await
    .ok(StatusCode::CREATED);
    // Reads are not recorded; neither are requests without a valid token.
    m.get("roles").await.ok(StatusCode::OK);
    m.call(Method::POST, "roles", "", Some(&json!({"name": "x"})))
        .await
        .error(StatusCode::UNAUTHORIZED, "invalid_token");
    flushed(&m).await;

    let list = m.get("logs?q=type:sapi OR type:fapi&sort=date:1").await;
    let list = list.ok(StatusCode::OK).clone();
    assert_eq!(types(&list), ["sapi", "fapi", "sapi"], "{list}");
    let first = &list[0];
    assert_eq!(first["description"], "POST /api/v2/roles");
    assert_eq!(first["details"]["method"], "POST");
    assert_eq!(first["details"]["status"], 200);
    assert!(first["client_id"].as_str().unwrap().len() > 5, "{first}");
    assert!(
        first["client_name"].as_str().unwrap().starts_with("mgmt"),
        "{first}"
    );
    assert!(first["date"].as_str().unwrap().ends_with('Z'));
    assert!(first["log_id"].is_string());
    assert_eq!(list[1]["details"]["status"], 409);
    assert_eq!(list[1]["details"]["error_code"], "conflict");
    let everything = m.get("logs?per_page=100").await;
    let text = everything.ok(StatusCode::OK).to_string();
    assert!(!text.contains(secret_password), "{text}");
    assert!(!text.contains(&m.admin), "the token leaked into the log");
}

#[tokio::test]
async fn list_search_page_checkpoint_and_get() {
    let m = Mgmt::start().await;
    // s (sign-in), seacft (code exchange), then Management API writes.
    tokens(&m.server).await;
    for name in ["a", "b", "c"] {
        m.post("roles", &json!({"name": name}))
            .await
            .ok(StatusCode::OK);
    }
    flushed(&m).await;

    let newest = m.get("logs").await.ok(StatusCode::OK).clone();
    let count = newest.as_array().unwrap().len();
    assert!(count >= 5, "{newest}");
    let oldest = m.get("logs?sort=date:1").await.ok(StatusCode::OK).clone();
    let mut reversed = oldest.as_array().unwrap().clone();
    reversed.reverse();
    assert_eq!(&Value::Array(reversed), &newest);

    let user = m.server.user.user_id.clone();
    let sign_ins = m
        .get(&format!(
            "logs?q={}",
            seg(&format!("type:s AND user_id:\"{user}\""))
        ))
        .await;
    let sign_ins = sign_ins.ok(StatusCode::OK).clone();
    assert_eq!(types(&sign_ins), ["s"]);
    assert_eq!(sign_ins[0]["user_name"], "jane@example.com");
    assert_eq!(sign_ins[0]["client_id"], m.server.web.client_id.as_str());
    // `search` is `q` (Auth0's newer clients); with `from`, both are ignored, as on Auth0.
    let searched = m
        .get(&format!(
            "logs?search={}",
            seg(&format!("type:s AND user_id:\"{user}\""))
        ))
        .await;
    assert_eq!(searched.ok(StatusCode::OK), &sign_ins);

    let page = m
        .get("logs?q=type:sapi&per_page=2&page=1&include_totals=true&sort=date:1")
        .await;
    let page = page.ok(StatusCode::OK);
    assert_eq!(page["total"], 3);
    assert_eq!(page["start"], 2);
    assert_eq!(page["limit"], 2);
    assert_eq!(page["length"], 1);
    assert_eq!(page["logs"][0]["details"]["path"], "/api/v2/roles");

    // Checkpoints: after a log_id, oldest first, `take` at a time.
    let first = oldest[0]["log_id"].as_str().unwrap();
    let next = m
        .get(&format!("logs?from={}&take=2&q=type:nothing", seg(first)))
        .await;
    let next = next.ok(StatusCode::OK);
    assert_eq!(next.as_array().unwrap().len(), 2);
    assert_eq!(next[0], oldest[1]);
    assert_eq!(next[1], oldest[2]);
    let last = oldest.as_array().unwrap().last().unwrap()["log_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let none = m.get(&format!("logs?from={}", seg(&last))).await;
    assert_eq!(none.ok(StatusCode::OK), &json!([]));

    let one = m.get(&format!("logs/{}", seg(first))).await;
    assert_eq!(one.ok(StatusCode::OK), &oldest[0]);
    m.get("logs/90020240101000000000000000000000")
        .await
        .error(StatusCode::NOT_FOUND, "inexistent_log");

    for bad in [
        "logs?q=ip:1.2.3.4",
        "logs?q=type:(s",
        "logs?sort=type:1",
        "logs?take=0",
        "logs?per_page=101",
        "logs?page=-1",
    ] {
        m.get(bad)
            .await
            .error(StatusCode::BAD_REQUEST, "invalid_query_string");
    }
    m.assert_needs_scope(Method::GET, "logs", None, "read:logs")
        .await;
    m.assert_needs_scope(
        Method::GET,
        &format!("logs/{}", seg(first)),
        None,
        "read:logs",
    )
    .await;
}
