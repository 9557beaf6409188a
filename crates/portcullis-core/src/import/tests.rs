#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::hash::CustomPasswordHash;
use super::*;
use portcullis_store::UserStore as _;
use serde_json::json;

/// Vectors made by `scripts/auth0-hash-vectors.py` with Python's hashlib and hmac, bcrypt,
/// argon2-cffi and pycryptodome.
const VECTORS: &str = include_str!("testdata/hash-vectors.json");

fn vectors() -> Vec<(String, String, CustomPasswordHash)> {
    let all: Vec<Value> = serde_json::from_str(VECTORS).unwrap();
    all.into_iter()
        .map(|v| {
            let label = v["label"].as_str().unwrap().to_owned();
            let password = v["password"].as_str().unwrap().to_owned();
            let hash = match v.get("password_hash") {
                Some(h) => CustomPasswordHash::bcrypt(h.as_str().unwrap()),
                None => serde_json::from_value(v["custom_password_hash"].clone()).unwrap(),
            };
            (label, password, hash)
        })
        .collect()
}

#[test]
fn every_vector_validates_and_verifies_only_its_password() {
    let all = vectors();
    let algorithms: std::collections::BTreeSet<_> =
        all.iter().map(|(_, _, h)| h.algorithm.clone()).collect();
    for algorithm in [
        "argon2", "bcrypt", "hmac", "ldap", "md4", "md5", "sha1", "sha256", "sha512", "pbkdf2",
        "scrypt",
    ] {
        assert!(algorithms.contains(algorithm), "no vector for {algorithm}");
    }
    for (label, password, hash) in all {
        hash.validate()
            .unwrap_or_else(|e| panic!("{label}: refused: {e}"));
        assert!(hash.verify(&password), "{label}: the right password fails");
        assert!(
            !hash.verify(&format!("{password}!")),
            "{label}: a wrong password passes"
        );
        assert!(!hash.verify(""), "{label}: the empty password passes");
    }
}

fn refused(value: Value) -> String {
    let hash: CustomPasswordHash = serde_json::from_value(value).unwrap();
    let err = hash.validate().unwrap_err();
    assert!(!hash.verify("anything"));
    err
}

#[test]
fn auth0_rules_per_algorithm_are_enforced() {
    let cases = [
        (
            json!({"algorithm": "argon2", "hash": {"value": "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"}, "salt": {"value": "x"}}),
            "salt is not allowed",
        ),
        (
            json!({"algorithm": "md5", "hash": {"value": "00", "encoding": "utf8"}}),
            "hex or base64",
        ),
        (
            json!({"algorithm": "md5", "hash": {"value": "abcd", "encoding": "hex"}}),
            "2 bytes",
        ),
        (
            json!({"algorithm": "hmac", "hash": {"value": "abcd", "encoding": "hex", "key": {"value": "k"}}}),
            "hash.digest is required",
        ),
        (
            json!({"algorithm": "hmac", "hash": {"value": "abcd", "encoding": "hex", "digest": "sha256"}}),
            "hash.key is required",
        ),
        (
            json!({"algorithm": "ldap", "hash": {"value": "{CRYPT}abcdefgh"}}),
            "not supported",
        ),
        (
            json!({"algorithm": "bcrypt", "hash": {"value": "$2x$10$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234"}}),
            "$2a$, $2b$ or $2y$",
        ),
        (
            json!({"algorithm": "scrypt", "hash": {"value": "abcd", "encoding": "hex"}}),
            "keylen is required",
        ),
        (
            json!({"algorithm": "scrypt", "hash": {"value": "abcd", "encoding": "hex"}, "keylen": 2, "cost": 1000}),
            "power of two",
        ),
        (
            json!({"algorithm": "scrypt", "hash": {"value": "abcd", "encoding": "hex"}, "keylen": 2, "cost": 1048576, "blockSize": 64}),
            "out of range",
        ),
        (
            json!({"algorithm": "pbkdf2", "hash": {"value": "$pbkdf2-sha256$i=99999999999,l=32$c2FsdA$aGFzaA"}}),
            "hash.value must be",
        ),
        (
            json!({"algorithm": "sha3", "hash": {"value": "00", "encoding": "hex"}}),
            "not supported",
        ),
        (
            json!({"algorithm": "md5", "hash": {"value": "d41d8cd98f00b204e9800998ecf8427e", "encoding": "hex"}, "salt": {"value": "x", "position": "middle"}}),
            "prefix or suffix",
        ),
    ];
    for (value, expected) in cases {
        let err = refused(value.clone());
        assert!(
            err.contains(expected),
            "{value}: {err:?} lacks {expected:?}"
        );
    }
    // Unknown properties are refused, as Auth0's schema (additionalProperties: false) does.
    let unknown = serde_json::from_value::<CustomPasswordHash>(
        json!({"algorithm": "md5", "hash": {"value": "00"}, "rounds": 3}),
    );
    assert!(unknown.is_err());
}

#[test]
fn ids_get_the_auth0_prefix_unless_they_have_one() {
    assert_eq!(auth0_user_id("5f1a2b"), "auth0|5f1a2b");
    assert_eq!(auth0_user_id("google-oauth2|123"), "google-oauth2|123");
    assert_eq!(auth0_user_id("auth0|abc"), "auth0|abc");
}

#[tokio::test]
async fn a_file_imports_with_bad_records_reported_and_upsert() {
    let store = portcullis_store_sqlite::SqliteStore::in_memory()
        .await
        .unwrap();
    let text = r#"[
  {"email": "ada@example.com", "user_id": "1", "name": "Ada", "email_verified": true,
   "password_hash": "$2b$04$izr3Y8VkduI0U1roxybM7eQ5zksgpVNSi.Mj0hjaguAUFPzBwMRXe"},
  {"email": "not-an-email"},
  {"email": "bob@example.com", "password_hash": "x", "custom_password_hash": {"algorithm": "md5", "hash": {"value": "00", "encoding": "hex"}}},
  {"email": "carol@example.com", "user_id": "google-oauth2|7", "app_metadata": {"plan": "pro"}, "mfa_factors": [{"totp": {"secret": "JBTWY3DPEHPK3PNP"}}]},
  {"email": "dave@example.com", "app_metadata": {"email": "x"}},
  {"email": "ADA@example.com", "user_id": "2"}
]"#;
    let mut calls = Vec::new();
    let mut progress = |done, total| calls.push((done, total));
    let report = auth0(
        &store,
        1_800_000_000,
        text,
        ImportOptions::default(),
        &mut progress,
    )
    .await
    .unwrap();
    assert_eq!(calls, [(6, 6)]);
    assert_eq!((report.total, report.created, report.updated), (6, 2, 0));
    let failed: Vec<_> = report
        .failed
        .iter()
        .map(|i| (i.index, i.line, i.reason.as_str()))
        .collect();
    assert_eq!(failed.len(), 4, "{failed:?}");
    assert_eq!((failed[0].0, failed[0].1), (1, 4));
    assert!(failed[0].2.contains("email"), "{failed:?}");
    assert_eq!((failed[1].0, failed[1].1), (2, 5));
    assert!(failed[1].2.contains("mutually exclusive"), "{failed:?}");
    assert_eq!((failed[2].0, failed[2].1), (4, 7));
    assert!(failed[2].2.contains("app_metadata"), "{failed:?}");
    assert_eq!((failed[3].0, failed[3].1), (5, 8));
    assert!(failed[3].2.starts_with("DUPLICATED_USER"), "{failed:?}");
    assert_eq!(report.mfa_factors_skipped, 1);
    assert_eq!(
        report.metadata_skipped, 0,
        "metadata is stored with the user"
    );

    let ada = store.get_user("auth0|1").await.unwrap().unwrap();
    assert_eq!(ada.email, "ada@example.com");
    assert!(ada.email_verified);
    let stored = ada.password_hash.unwrap();
    let imported = stored.strip_prefix(IMPORTED_PASSWORD_PREFIX).unwrap();
    assert!(verify_imported("correct horse battery", imported));
    assert!(store.get_user("google-oauth2|7").await.unwrap().is_some());

    let again = r#"[{"email": "ada@example.com", "user_id": "1", "name": "Ada L."}]"#;
    let report = auth0(
        &store,
        1_800_000_001,
        again,
        ImportOptions {
            upsert: true,
            ..ImportOptions::default()
        },
        &mut |_, _| {},
    )
    .await
    .unwrap();
    assert_eq!(
        (report.created, report.updated, report.failed.len()),
        (0, 1, 0)
    );
    let ada = store.get_user("auth0|1").await.unwrap().unwrap();
    assert_eq!(ada.name.as_deref(), Some("Ada L."));
    assert_eq!(
        ada.password_hash.as_deref(),
        Some(stored.as_str()),
        "no new hash: kept"
    );
}
