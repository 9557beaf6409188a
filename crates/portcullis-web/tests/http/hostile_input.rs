//! Every input is hostile: whatever is sent, no endpoint answers 5xx (or panics, which would
//! drop the connection).

use crate::support::*;
use reqwest::Method;

const NASTY: &[&str] = &[
    "",
    "%",
    "%ZZ",
    "%00",
    "\u{0}",
    "é",
    "\u{202e}",
    "<script>alert(1)</script>",
    "\"'\\",
    "a=b=c",
    "9999999999999999999999999",
    "-1",
    "openid openid",
    "http://evil.example/",
    "javascript:alert(1)",
    "..%2F..%2Fetc%2Fpasswd",
];

#[tokio::test]
async fn no_parameter_value_makes_any_endpoint_fail_with_5xx() {
    let s = TestServer::start().await;
    let long = "x".repeat(2_000);
    let mut values: Vec<String> = NASTY.iter().map(|v| v.to_string()).collect();
    values.push(long);
    let endpoints = [
        (Method::GET, "authorize"),
        (Method::POST, "authorize"),
        (Method::GET, "u/login"),
        (Method::POST, "u/login"),
        (Method::POST, "oauth/token"),
        (Method::POST, "oauth/revoke"),
        (Method::POST, "oauth/introspect"),
        (Method::GET, "userinfo"),
        (Method::POST, "userinfo"),
        (Method::GET, "oidc/logout"),
        (Method::POST, "oidc/logout"),
        (Method::POST, "oidc/logout/confirm"),
        (Method::GET, "v2/logout"),
    ];
    let names = [
        "client_id",
        "redirect_uri",
        "response_type",
        "scope",
        "state",
        "prompt",
        "max_age",
        "code_challenge",
        "code_challenge_method",
        "grant_type",
        "code",
        "refresh_token",
        "client_secret",
        "token",
        "access_token",
        "id_token_hint",
        "post_logout_redirect_uri",
        "returnTo",
        "audience",
        "response_mode",
        "email",
        "password",
        "csrf",
        "plan",
    ];
    let http = browser();
    let mut requests = 0;
    for (method, path) in &endpoints {
        for value in &values {
            // One request with every parameter set to the value, with the web app's client_id
            // where that gets further into the code, and one with the raw value in the query.
            for client_id in [s.web.client_id.as_str(), value.as_str()] {
                let mut pairs: Vec<(&str, &str)> =
                    names.iter().map(|n| (*n, value.as_str())).collect();
                pairs.retain(|(n, _)| *n != "client_id");
                pairs.push(("client_id", client_id));
                let request = if *method == Method::GET {
                    http.get(s.url(path)).query(&pairs)
                } else {
                    http.post(s.url(path)).form(&pairs)
                };
                let r = request.send().await.unwrap();
                requests += 1;
                assert!(
                    !r.status().is_server_error(),
                    "{method} /{path} with {value:?} answered {}",
                    r.status()
                );
            }
            let raw = format!("{}?{}", s.url(path), value);
            let r = http.request(method.clone(), raw).send().await.unwrap();
            assert!(!r.status().is_server_error(), "{method} /{path}?{value:?}");
        }
    }
    assert!(requests > 400);
}

#[tokio::test]
async fn oversized_bodies_are_refused_without_5xx() {
    let s = TestServer::start().await;
    let big = format!("grant_type=client_credentials&x={}", "a".repeat(200_000));
    let r = reqwest::Client::new()
        .post(s.url("oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::PAYLOAD_TOO_LARGE);
}
