//! Test helpers shared by the SDK crates' integration tests (included with `#[path]`):
//! running the Node fixtures in `sdk/testing/oidc-provider/`.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

/// `sdk/testing/oidc-provider`.
pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("testing")
        .join("oidc-provider")
}

/// Runs `npm ci` once when `node_modules` is missing. A file lock serialises concurrent test
/// binaries.
pub fn ensure_node_modules() {
    let dir = fixture_dir();
    if dir.join("node_modules").join(".package-lock.json").exists() {
        return;
    }
    let lock = std::fs::File::create(std::env::temp_dir().join("portcullis-sdk-npm.lock"))
        .expect("create npm lock file");
    lock.lock().expect("lock npm lock file");
    if dir.join("node_modules").join(".package-lock.json").exists() {
        return;
    }
    let status = std::process::Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .status()
        .expect("run npm ci (is Node installed?)");
    assert!(status.success(), "npm ci failed in {}", dir.display());
}

/// Runs `node <script>` in the fixture directory with `input` on stdin; returns stdout.
pub async fn run_script(script: &str, input: &str) -> String {
    ensure_node_modules();
    let mut child = Command::new("node")
        .arg(script)
        .current_dir(fixture_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn node");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(input.as_bytes())
        .await
        .expect("write stdin");
    drop(stdin);
    let out = child.wait_with_output().await.expect("node output");
    assert!(out.status.success(), "node {script} failed");
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// A running Node server; killed when dropped.
pub struct NodeServer {
    pub child: Child,
    /// The first line it printed, parsed as JSON (e.g. `{"port": 1234}`).
    pub ready: serde_json::Value,
}

/// Starts `node <script> <args>` and waits for its first stdout line (a JSON object).
pub async fn spawn_server(script: &str, args: &[&str], env: &[(&str, &str)]) -> NodeServer {
    ensure_node_modules();
    let mut cmd = Command::new("node");
    cmd.arg(script)
        .args(args)
        .current_dir(fixture_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn node server");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = lines
        .next_line()
        .await
        .expect("read server output")
        .expect("server exited before printing its port");
    let ready = serde_json::from_str(&line).expect("first line is JSON");
    // Keep draining stdout so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    NodeServer { child, ready }
}
