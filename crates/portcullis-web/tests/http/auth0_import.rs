//! Users imported from an Auth0 file sign in over HTTP with their old passwords, whatever the
//! algorithm, and their hash becomes argon2id on that first sign-in.

use crate::support::*;
use portcullis_core::import::{self, ImportOptions};
use portcullis_store::IMPORTED_PASSWORD_PREFIX;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Real hashes of every algorithm, made by `scripts/auth0-hash-vectors.py` with Python's
/// hashlib, bcrypt, argon2-cffi and pycryptodome.
const VECTORS: &str =
    include_str!("../../../portcullis-core/src/import/testdata/hash-vectors.json");

const USERS: usize = 10_000;

/// A 10,000-user bulk-import file cycling through the vectors, with three bad records.
fn generated_file(vectors: &[Value]) -> String {
    let mut records: Vec<String> = (0..USERS)
        .map(|i| {
            let v = &vectors[i % vectors.len()];
            let mut user = json!({
                "email": format!("user{i}@import.example"),
                "email_verified": true,
                "user_id": format!("{i:024x}"),
                "name": format!("Imported {i}"),
            });
            for field in ["password_hash", "custom_password_hash"] {
                if let Some(value) = v.get(field) {
                    user[field] = value.clone();
                }
            }
            user.to_string()
        })
        .collect();
    records.insert(5, json!({"email": "bad-md5@import.example", "custom_password_hash": {"algorithm": "md5", "hash": {"value": "zz", "encoding": "hex"}}}).to_string());
    records.insert(7, json!({"email": "no-at-sign"}).to_string());
    records.insert(
        9,
        json!({"email": "extra@import.example", "favourite_colour": "blue"}).to_string(),
    );
    // One record per line, so record n (0-based) is on line n + 2.
    format!("[\n{}\n]\n", records.join(",\n"))
}

#[tokio::test]
async fn ten_thousand_imported_users_sign_in_with_every_algorithm() {
    let s = TestServer::start().await;
    let vectors: Vec<Value> = serde_json::from_str(VECTORS).unwrap();
    let text = generated_file(&vectors);
    let report = import::auth0(
        s.provider.store.as_ref(),
        s.provider.now(),
        &text,
        ImportOptions::default(),
        &mut |_, _| {},
    )
    .await
    .unwrap();
    assert_eq!(report.total, USERS + 3);
    assert_eq!(report.created, USERS, "{:?}", report.failed);
    let failed: Vec<_> = report.failed.iter().map(|f| (f.index, f.line)).collect();
    assert_eq!(failed, [(5, 7), (7, 9), (9, 11)]);
    assert!(
        report.failed[0].reason.contains("hex"),
        "{:?}",
        report.failed[0]
    );
    assert!(
        report.failed[1].reason.contains("email"),
        "{:?}",
        report.failed[1]
    );
    assert!(
        report.failed[2].reason.contains("favourite_colour"),
        "{:?}",
        report.failed[2]
    );

    // One user per vector (user i has vector i % n): sign in over HTTP, hash upgraded after.
    for (i, v) in vectors.iter().enumerate() {
        let label = v["label"].as_str().unwrap();
        let password = v["password"].as_str().unwrap();
        let email = format!("user{i}@import.example");
        let user_id = format!("auth0|{i:024x}");
        let before = s.provider.store.get_user(&user_id).await.unwrap().unwrap();
        let imported = before.password_hash.clone().unwrap();
        assert!(imported.starts_with(IMPORTED_PASSWORD_PREFIX), "{label}");

        let b = browser();
        let login = start_login(&s, &b, &web_params(&s)).await;
        let r = submit_login(&b, &login, &email, &format!("{password}x")).await;
        assert_eq!(
            r.status(),
            StatusCode::UNAUTHORIZED,
            "{label}: wrong password"
        );
        let r = submit_login(&b, &login, &email, password).await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "{label}: {:?}",
            r.text().await
        );

        let after = s.provider.store.get_user(&user_id).await.unwrap().unwrap();
        let upgraded = after.password_hash.unwrap();
        assert!(
            upgraded.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{label}: {upgraded}"
        );
        // The new hash works, the old password still opens the account.
        let b = browser();
        let login = start_login(&s, &b, &web_params(&s)).await;
        let r = submit_login(&b, &login, &email, password).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{label}: second sign-in");
    }
}
