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
const MAX_RSS_GROWTH_KIB: u64 = 8 * 1024;
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

/// Resident memory once the load has stopped: the least of a few readings, each after one
/// light request (allocators hand freed memory back on their next call), so that what is
/// compared is memory held, not memory the allocator has yet to return.
async fn settled_rss_kib(pid: u32, base: &str, http: &reqwest::Client) -> u64 {
    let mut least = u64::MAX;
    for _ in 0..5 {
        let r = http
            .get(format!("{base}/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        least = least.min(rss_kib(pid));
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    least
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
    // mimalloc returns freed memory at once (the settings bench/README.md gives for tight
    // memory): resident memory then follows what the server holds, so a leak shows and the
    // argon2id blocks of sign-ins that just ended do not.
    let (mut server, base) = serve(
        &sb,
        &[
            ("MIMALLOC_PURGE_DELAY", "0"),
            ("MIMALLOC_ARENA_EAGER_COMMIT", "0"),
        ],
    );
    wait_for(&format!("{base}/readyz"), &mut server).await;
    let pid = server.id();

    let http = reqwest::Client::new();
    all_workers(&base, WARM_UP).await;
    let (rss_start, fds_start) = (settled_rss_kib(pid, &base, &http).await, open_fds(pid));
    all_workers(&base, ROUNDS - WARM_UP).await;
    let (rss_end, fds_end) = (settled_rss_kib(pid, &base, &http).await, open_fds(pid));
    eprintln!("soak: resident {rss_start} → {rss_end} KiB, descriptors {fds_start} → {fds_end}");

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
