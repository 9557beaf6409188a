use super::support::Sandbox;

#[test]
fn users_create_list_set_password_block_unblock_delete() {
    let sb = Sandbox::new();
    let out = sb
        .run_with(
            &[
                "users",
                "create",
                "--email",
                "Ana@Example.com",
                "--password-stdin",
                "--name",
                "Ana",
            ],
            &[],
            "a long password\n",
        )
        .success();
    assert!(
        out.starts_with("created user ana@example.com (usr_"),
        "{out}"
    );
    let out = sb
        .run_with(
            &[
                "users",
                "create",
                "--email",
                "bob@example.com",
                "--password-env",
                "BOB_PW",
                "--user-id",
                "auth0|bob",
                "--json",
            ],
            &[("BOB_PW", "bob's password")],
            "",
        )
        .json();
    assert_eq!(out["user_id"], "auth0|bob");
    assert_eq!(out["has_password"], true);
    assert!(out.get("password_hash").is_none());

    let table = sb.run(&["users", "list"]).success();
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("USER ID"), "{table}");
    assert_eq!(lines.len(), 3, "{table}");
    let email_col = lines[0].find("EMAIL").unwrap();
    for line in &lines[1..] {
        let email = &line[email_col..email_col + 15];
        assert!(
            email == "ana@example.com" || email == "bob@example.com",
            "aligned: {table}"
        );
    }

    let out = sb
        .run_with(
            &[
                "users",
                "set-password",
                "ana@example.com",
                "--password-stdin",
            ],
            &[],
            "another password\n",
        )
        .success();
    assert!(
        out.contains("password set for ana@example.com; 0 session(s) ended"),
        "{out}"
    );
    assert!(
        sb.run(&["users", "block", "auth0|bob"])
            .success()
            .starts_with("blocked user bob@example.com")
    );
    assert_eq!(
        sb.run(&["users", "show", "bob@example.com", "--json"])
            .json()["blocked"],
        true
    );
    sb.run(&["users", "unblock", "bob@example.com"]).success();
    assert_eq!(
        sb.run(&["users", "show", "auth0|bob", "--json"]).json()["blocked"],
        false
    );
    sb.run(&["users", "delete", "bob@example.com"]).success();
    let all = sb.run(&["users", "list", "--json"]).json();
    assert_eq!(all.as_array().unwrap().len(), 1);
}

#[test]
fn user_errors_are_readable() {
    let sb = Sandbox::new();
    let err = sb
        .run_with(
            &[
                "users",
                "create",
                "--email",
                "a@example.com",
                "--password-stdin",
            ],
            &[],
            "short\n",
        )
        .failure();
    assert_eq!(err.trim(), "error: password: Use at least 8 characters.");
    let err = sb
        .run(&["users", "create", "--email", "a@example.com"])
        .failure();
    assert!(err.contains("--password-stdin or --password-env"), "{err}");
    let err = sb
        .run(&[
            "users",
            "create",
            "--email",
            "a@example.com",
            "--password-env",
            "NOT_SET_ANYWHERE",
        ])
        .failure();
    assert!(err.contains("NOT_SET_ANYWHERE is not set"), "{err}");
    let err = sb
        .run_with(
            &[
                "users",
                "create",
                "--email",
                "not-an-email",
                "--password-stdin",
            ],
            &[],
            "long enough\n",
        )
        .failure();
    assert!(err.starts_with("error: email:"), "{err}");
    let err = sb.run(&["users", "delete", "nobody@example.com"]).failure();
    assert_eq!(err.trim(), "error: no user \"nobody@example.com\"");
    // A password is never accepted as a plain argument.
    let run = sb.run(&[
        "users",
        "create",
        "--email",
        "a@example.com",
        "--password",
        "x",
    ]);
    assert!(!run.ok && run.code == Some(2), "{run:?}");
}

/// Issue #15: the `phone` and `address` claims' profile fields are set from the CLI, checked,
/// and shown.
#[test]
fn users_create_sets_phone_and_address() {
    let sb = Sandbox::new();
    let out = sb
        .run_with(
            &[
                "users",
                "create",
                "--email",
                "ana@example.com",
                "--password-stdin",
                "--phone-number",
                "+1 (415) 555-0100",
                "--phone-number-verified",
                "--address",
                r#"{"street_address": "1 Main St", "locality": "Springfield", "country": "US"}"#,
                "--json",
            ],
            &[],
            "a long password\n",
        )
        .json();
    assert_eq!(out["phone_number"], "+14155550100");
    assert_eq!(out["phone_number_verified"], true);
    assert_eq!(out["address"]["locality"], "Springfield");
    assert!(out["address"].get("region").is_none(), "{out}");
    let shown = sb.run(&["users", "show", "ana@example.com"]).success();
    assert!(shown.contains("+14155550100"), "{shown}");

    let err = sb
        .run_with(
            &[
                "users",
                "create",
                "--email",
                "bob@example.com",
                "--password-stdin",
                "--phone-number",
                "555-0100",
            ],
            &[],
            "a long password\n",
        )
        .failure();
    assert!(err.starts_with("error: phone_number:"), "{err}");
    let err = sb
        .run_with(
            &[
                "users",
                "create",
                "--email",
                "bob@example.com",
                "--password-stdin",
                "--address",
                r#"{"town": "Springfield"}"#,
            ],
            &[],
            "a long password\n",
        )
        .failure();
    assert!(err.contains("--address must be a JSON object"), "{err}");
}
