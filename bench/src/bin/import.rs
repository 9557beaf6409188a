//! `cargo run --release -p portcullis-bench --bin import [-- USERS]`
//!
//! Times `portcullis import auth0` on a generated Auth0 bulk-import file of USERS users (default
//! 100,000) into a fresh SQLite database file: reading and checking every record, then storing
//! them in batches. The users carry `password_hash`es and `custom_password_hash`es of every
//! algorithm; none is computed at import time (hashes are verified, and upgraded to argon2id, at
//! each user's first sign-in).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use portcullis_core::import::{self, ImportOptions};
use portcullis_store_sqlite::SqliteStore;
use serde_json::{Value, json};
use std::time::Instant;

#[tokio::main]
async fn main() {
    let users: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    // Real hashes of every algorithm (made by scripts/auth0-hash-vectors.py), cycled.
    let vectors: Vec<Value> = serde_json::from_str(include_str!(
        "../../../crates/portcullis-core/src/import/testdata/hash-vectors.json"
    ))
    .unwrap();
    let records: Vec<Value> = (0..users)
        .map(|i| {
            let mut user = json!({
                "email": format!("user{i}@bench.example"),
                "email_verified": i % 2 == 0,
                "user_id": format!("{i:024x}"),
                "given_name": "Bench",
                "family_name": format!("User {i}"),
                "name": format!("Bench User {i}"),
            });
            let vector = &vectors[i % vectors.len()];
            for field in ["password_hash", "custom_password_hash"] {
                if let Some(value) = vector.get(field) {
                    user[field] = value.clone();
                }
            }
            user
        })
        .collect();
    let text = serde_json::to_string_pretty(&records).unwrap();
    let dir = std::env::temp_dir().join(format!("portcullis-import-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = SqliteStore::connect(dir.join("bench.db").to_str().unwrap())
        .await
        .unwrap();
    println!(
        "importing {users} users ({:.1} MB of JSON) into a fresh SQLite file…",
        text.len() as f64 / 1e6
    );
    let started = Instant::now();
    let report = import::auth0(
        &store,
        1_800_000_000,
        &text,
        ImportOptions::default(),
        &mut |_, _| {},
    )
    .await
    .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(report.created, users, "{:?}", report.failed.first());
    println!(
        "{} users created in {:.2} s ({:.0} users/s)",
        report.created,
        elapsed.as_secs_f64(),
        users as f64 / elapsed.as_secs_f64()
    );
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
