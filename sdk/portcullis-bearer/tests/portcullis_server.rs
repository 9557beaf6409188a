//! The validator against the real Portcullis server (`portcullis dev`), started as a user would.
//!
//! Ignored by default because it needs the server binary, which this crate must not depend on:
//! `cargo build -p portcullis && cargo test -p portcullis-bearer --test portcullis_server -- --ignored`
//! (or set `PORTCULLIS_BIN`).
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Stdio;

use portcullis_bearer::{Error, Guard, Validator};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

fn binary() -> PathBuf {
    std::env::var_os("PORTCULLIS_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/debug/portcullis"),
        PathBuf::from,
    )
}

#[tokio::test]
#[ignore = "needs the portcullis binary: cargo build -p portcullis, then run with --ignored"]
async fn validates_portcullis_dev_machine_to_machine_tokens() {
    let data = std::env::temp_dir().join(format!("portcullis-bearer-test-{}", std::process::id()));
    let mut child = Command::new(binary())
        .args(["dev", "--port", "0", "--fresh", "--data-dir"])
        .arg(&data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start portcullis dev (build it with `cargo build -p portcullis`)");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let issuer = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("portcullis dev printed no issuer");
        if let Some(rest) = line.trim().strip_prefix("Issuer") {
            break rest.trim().to_owned();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

    let token: serde_json::Value = reqwest::Client::new()
        .post(format!("{issuer}oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&client_id=demo-m2m&client_secret=demo-m2m-secret-for-development-only-0000&audience=https%3A%2F%2Fapi.billing.example")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{token}"));

    let validator = Validator::builder()
        .issuer(issuer.clone())
        .audience("https://api.billing.example")
        .require_at_jwt_typ(true)
        .build()
        .unwrap();
    let access = validator.validate(token).await.unwrap();
    assert_eq!(access.issuer, issuer);
    assert_eq!(access.client_id.as_deref(), Some("demo-m2m"));
    Guard::all_scopes(["read:billing"]).check(&access).unwrap();

    let tv_shows = Validator::builder()
        .issuer(issuer)
        .audience("https://api.tv-shows.example")
        .build()
        .unwrap();
    assert!(
        matches!(tv_shows.validate(token).await, Err(Error::InvalidToken(r)) if r.contains("aud"))
    );
    let _ = std::fs::remove_dir_all(&data);
}
