//! Multi-factor authentication from the command line and the tenant file (issue #10).

use super::support::Sandbox;

#[test]
fn the_tenant_file_sets_the_policy_for_the_tenant_and_per_application() {
    let sb = Sandbox::new();
    let file = sb.write(
        "tenant.toml",
        "[tenant]\nmfa = \"required\"\n\n[[applications]]\nclient_id = \"kiosk\"\nname = \"Kiosk\"\napp_type = \"spa\"\ncallbacks = [\"http://localhost:5173/cb\"]\nmfa = \"off\"\n",
    );
    let out = sb.run(&["apply", file.to_str().unwrap()]).success();
    assert!(out.contains("created tenant setting mfa"), "{out}");
    assert!(out.contains("created tenant setting mfa:kiosk"), "{out}");
    let again = sb.run(&["apply", file.to_str().unwrap()]).success();
    assert!(again.starts_with("no changes"), "{again}");
    let bad = sb.write("bad.toml", "[tenant]\nmfa = \"sometimes\"\n");
    let err = sb.run(&["apply", bad.to_str().unwrap()]).failure();
    assert!(
        err.contains("tenant (line 1)") && err.contains("sometimes"),
        "{err}"
    );
}

#[test]
fn users_factors_lists_and_reset_mfa_removes_them() {
    let sb = Sandbox::new();
    let user = sb
        .run_with(
            &[
                "users",
                "create",
                "--email",
                "ana@example.com",
                "--password-stdin",
                "--json",
            ],
            &[],
            "a long password\n",
        )
        .json();
    let user_id = user["user_id"].as_str().unwrap().to_owned();
    // A confirmed authenticator app, as enrolment would store it (the secret is opaque here).
    let db = sb.data_dir().join("portcullis.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    conn.execute(
        "INSERT INTO mfa_factors (factor_id, user_id, kind, name, secret, confirmed, \
         last_used_step, created_at, last_used_at) \
         VALUES ('mfa_1', ?, 'totp', 'Authenticator app', 'sealed', TRUE, NULL, 1800000000, NULL)",
        [&user_id],
    )
    .unwrap();
    // And a passkey (its secret is the serialised credential; opaque here too).
    conn.execute(
        "INSERT INTO mfa_factors (factor_id, user_id, kind, name, secret, confirmed, \
         last_used_step, created_at, last_used_at) \
         VALUES ('mfa_pk_2', ?, 'passkey', 'Work laptop', '{}', TRUE, NULL, 1800000001, NULL)",
        [&user_id],
    )
    .unwrap();
    drop(conn);
    let table = sb.run(&["users", "factors", "ana@example.com"]).success();
    assert!(table.starts_with("FACTOR ID"), "{table}");
    assert!(table.contains("mfa_1") && table.contains("totp"), "{table}");
    assert!(
        table.contains("mfa_pk_2") && table.contains("passkey") && table.contains("Work laptop"),
        "{table}"
    );
    assert!(table.contains("0 recovery code(s) left"), "{table}");
    let listed = sb
        .run(&["users", "factors", "ana@example.com", "--json"])
        .json();
    assert_eq!(listed["factors"][1]["type"], "passkey");
    let out = sb
        .run(&["users", "reset-mfa", "ana@example.com", "--json"])
        .json();
    assert_eq!(out["factors_removed"], 2);
    let listed = sb
        .run(&["users", "factors", "ana@example.com", "--json"])
        .json();
    assert_eq!(listed["factors"], serde_json::json!([]));
    let err = sb
        .run(&["users", "reset-mfa", "nobody@example.com"])
        .failure();
    assert!(err.contains("nobody@example.com"), "{err}");
}
