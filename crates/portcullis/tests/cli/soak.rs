//! A bounded soak (issue #11): thousands of mixed requests against one server (sign-ins, code
//! exchanges, refresh rotations, client credentials, userinfo, discovery and JWKS), every one
//! answered as a working server answers, with the process's resident memory and open file
//! descriptors (sockets, database files) flat between a warmed-up point and the end. Bounded by
//! a request count, not by time.

use super::flows::{PASSWORD, apply_tenant, client_credentials, redeem, refresh, serve, sign_in};
use super::support::{Sandbox, terminate, wait_for};
use reqwest::StatusCode;

/// Rounds per worker, and workers. Each round is 11 requests.
const ROUNDS: usize = 70;
const WORKERS: usize = 3;
/// Rounds per worker before the baseline is taken (pools, caches and allocator warmed up).
const WARM_UP: usize = 15;
/// Allowed growth of resident memory from the baseline to the end.
const MAX_RSS_GROWTH_KIB: u64 = 24 * 1024;
/// Allowed growth of open file descriptors (connections still closing).
const MAX_FD_GROWTH: usize = 16;

/// Resident memory of a process, in KiB (Linux `/proc`).
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Open file descriptors of a process.
fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count()
}

/// One round: 11 requests, each checked.
async fn round(base: &str, http: &reqwest::Client) {
    let code = sign_in(base, PASSWORD).await.expect("signed in"); // 3 requests
    let (status, tokens) = redeem(base, &code).await.unwrap();
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let (status, rotated) = refresh(base, tokens["refresh_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let (status, again) = refresh(base, rotated["refresh_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK, "{again}");
    let r = http
        .get(format!("{base}/userinfo"))
        .bearer_auth(again["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    for _ in 0..2 {
        let (status, body) = client_credentials(base).await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/jwks.json",
    ] {
        let r = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
}

async fn rounds(base: String, n: usize) {
    let http = reqwest::Client::new();
    for _ in 0..n {
        round(&base, &http).await;
    }
}

async fn all_workers(base: &str, n: usize) {
    let tasks: Vec<_> = (0..WORKERS)
        .map(|_| tokio::spawn(rounds(base.to_owned(), n)))
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_mixed_requests_with_memory_and_descriptors_flat() {
    let sb = Sandbox::new();
    apply_tenant(&sb, &[]);
    let (mut server, base) = serve(&sb, &[]);
    wait_for(&format!("{base}/readyz"), &mut server).await;
    let pid = server.id();

    all_workers(&base, WARM_UP).await;
    let (rss_start, fds_start) = (rss_kib(pid), open_fds(pid));
    all_workers(&base, ROUNDS - WARM_UP).await;
    let (rss_end, fds_end) = (rss_kib(pid), open_fds(pid));

    assert!(
        rss_end <= rss_start + MAX_RSS_GROWTH_KIB,
        "resident memory grew from {rss_start} KiB to {rss_end} KiB over {} requests",
        (ROUNDS - WARM_UP) * WORKERS * 11
    );
    assert!(
        fds_end <= fds_start + MAX_FD_GROWTH,
        "open descriptors grew from {fds_start} to {fds_end}"
    );
    assert!(terminate(&mut server));
}
