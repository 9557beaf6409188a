//! Prometheus metrics (issue #11) on their own listener (`metrics_listen`): requests by route
//! and status with latency, tokens by grant, sign-ins by outcome and reason, the database pool
//! and the build. The main listener does not serve them.

use super::flows::{
    apply_tenant, client_credentials, redeem, serve, try_sign_in, try_sign_in_with,
};
use super::support::{Sandbox, free_port, terminate, wait_for};
use reqwest::StatusCode;

/// The value of the sample `name{labels…}` (labels in any order), if present.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (metric, rest) = series.split_once('{').unwrap_or((series, "}"));
        if metric != name {
            return None;
        }
        let got: Vec<&str> = rest
            .trim_end_matches('}')
            .split(',')
            .filter(|l| !l.is_empty())
            .collect();
        let want: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
        (got.len() == want.len() && want.iter().all(|w| got.contains(&w.as_str())))
            .then(|| value.parse().ok())
            .flatten()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_tokens_sign_ins_and_the_pool_on_their_own_listener() {
    let sb = Sandbox::new();
    apply_tenant(&sb, &[]);
    let metrics_addr = format!("127.0.0.1:{}", free_port());
    let (mut server, base) = serve(&sb, &[("PORTCULLIS_METRICS_LISTEN", &metrics_addr)]);
    wait_for(&format!("{base}/readyz"), &mut server).await;

    let code = try_sign_in(&base).await.expect("signed in");
    let (status, _) = redeem(&base, &code).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    let (status, _) = client_credentials(&base).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(try_sign_in_with(&base, "not the password").await.is_none());
    let (status, _) = redeem(&base, &code).await.unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST, "a replayed code");

    let r = reqwest::get(format!("http://{metrics_addr}/metrics"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = r.text().await.unwrap();
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        sample(&text, "portcullis_build_info", &[("version", version)]),
        Some(1.0),
        "{text}"
    );
    let tokens = |grant| {
        sample(
            &text,
            "portcullis_tokens_issued_total",
            &[("grant_type", grant)],
        )
    };
    assert_eq!(tokens("authorization_code"), Some(1.0), "{text}");
    assert_eq!(tokens("client_credentials"), Some(1.0), "{text}");
    assert_eq!(tokens("refresh_token"), None, "none issued");
    let sign_ins = |outcome, reason| {
        sample(
            &text,
            "portcullis_sign_ins_total",
            &[("outcome", outcome), ("reason", reason)],
        )
    };
    assert_eq!(sign_ins("success", ""), Some(1.0), "{text}");
    assert_eq!(
        sign_ins("failure", "invalid_credentials"),
        Some(1.0),
        "{text}"
    );
    let requests = |method, route, status| {
        sample(
            &text,
            "portcullis_http_requests_total",
            &[("method", method), ("route", route), ("status", status)],
        )
    };
    assert_eq!(requests("POST", "/oauth/token", "200"), Some(2.0), "{text}");
    assert_eq!(requests("POST", "/oauth/token", "400"), Some(1.0), "{text}");
    assert_eq!(requests("POST", "/u/login", "401"), Some(1.0), "{text}");
    assert!(
        requests("GET", "/readyz", "200").is_some_and(|n| n >= 1.0),
        "{text}"
    );
    let le_inf = [
        ("method", "POST"),
        ("route", "/oauth/token"),
        ("status", "200"),
        ("le", "+Inf"),
    ];
    assert_eq!(
        sample(
            &text,
            "portcullis_http_request_duration_seconds_bucket",
            &le_inf
        ),
        Some(2.0),
        "{text}"
    );
    // The SQLite connections of the server: one writer and at most four readers.
    let pool = |state| sample(&text, "portcullis_db_pool_connections", &[("state", state)]);
    assert_eq!(pool("max"), Some(5.0), "{text}");
    assert!(pool("idle").is_some() && pool("in_use").is_some(), "{text}");

    // Not on the main listener; an unknown path there is counted under one label.
    let r = reqwest::get(format!("{base}/metrics")).await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let text = reqwest::get(format!("http://{metrics_addr}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        sample(
            &text,
            "portcullis_http_requests_total",
            &[("method", "GET"), ("route", "unmatched"), ("status", "404")]
        ),
        Some(1.0),
        "{text}"
    );
    assert!(terminate(&mut server));
}

#[test]
fn metrics_listen_must_be_an_address_of_its_own() {
    let sb = Sandbox::new();
    let err = sb
        .run_with(&["serve"], &[("PORTCULLIS_METRICS_LISTEN", "nowhere")], "")
        .failure();
    assert!(err.contains("metrics_listen"), "{err}");
    let err = sb
        .run_with(
            &["serve"],
            &[
                ("PORTCULLIS_LISTEN", "127.0.0.1:4555"),
                ("PORTCULLIS_METRICS_LISTEN", "127.0.0.1:4555"),
            ],
            "",
        )
        .failure();
    assert!(err.contains("a port of their own"), "{err}");
}
