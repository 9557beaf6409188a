//! Operations endpoints: liveness and readiness, for orchestrators and load balancers.

use crate::support::*;
use reqwest::StatusCode;

#[tokio::test]
async fn healthz_answers_while_the_process_lives() {
    let s = TestServer::start().await;
    let r = reqwest::get(s.url("healthz")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn readyz_checks_the_database_and_the_signing_key() {
    let s = TestServer::start().await;
    let r = reqwest::get(s.url("readyz")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap(), "ready");
    // Still ready across a rotation (a new current key).
    s.rotate_keys().await;
    let r = reqwest::get(s.url("readyz")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}
