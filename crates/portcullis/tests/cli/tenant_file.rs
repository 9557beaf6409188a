use super::support::Sandbox;

const EXAMPLE: &str = include_str!("../../../../examples/tenant.example.toml");
const EXAMPLE_ENV: &[(&str, &str)] = &[
    (
        "ACME_WEB_CLIENT_SECRET",
        "acme-web-secret-0123456789-0123456789-x",
    ),
    (
        "ACME_WORKER_CLIENT_SECRET",
        "acme-worker-secret-0123456789-0123456789",
    ),
    ("ACME_ADMIN_PASSWORD", "correct horse battery"),
];

#[test]
fn example_tenant_file_applies_as_shipped_without_any_variable() {
    let sb = Sandbox::new();
    let file = sb.write("tenant.toml", EXAMPLE);
    let out = sb.run(&["apply", file.to_str().unwrap()]).success();
    assert!(out.contains("9 created, 0 updated, 0 unchanged"), "{out}");
    for id in ["acme-web", "acme-billing-worker"] {
        assert!(
            out.contains(&format!("generated client secret for {id}: ")),
            "{out}"
        );
    }
    assert!(
        sb.run(&["apply", file.to_str().unwrap()])
            .success()
            .starts_with("no changes")
    );
}

/// The example with its commented `*_env` lines switched on.
fn example_with_env() -> String {
    EXAMPLE
        .replace("# client_secret_env", "client_secret_env")
        .replace("# password_env", "password_env")
}

#[test]
fn example_tenant_file_applies_and_reapplying_changes_nothing() {
    let sb = Sandbox::new();
    let file = sb.write("tenant.toml", &example_with_env());
    let file = file.to_str().unwrap();
    let first = sb.run_with(&["apply", file], EXAMPLE_ENV, "").success();
    assert!(first.contains("created application acme-web"), "{first}");
    assert!(
        first.contains("created client grant acme-billing-worker → urn:acme:billing"),
        "{first}"
    );
    assert!(
        first.contains("9 created, 0 updated, 0 unchanged"),
        "{first}"
    );
    assert!(
        !first.contains("acme-web-secret"),
        "secrets are never printed: {first}"
    );

    let second = sb.run_with(&["apply", file], EXAMPLE_ENV, "").success();
    assert!(second.starts_with("no changes"), "{second}");

    let json = sb
        .run_with(&["apply", file, "--json"], EXAMPLE_ENV, "")
        .json();
    assert_eq!(json["changed"], false);
    assert_eq!(json["changes"].as_array().unwrap().len(), 9);

    let apps = sb.run(&["apps", "list", "--json"]).json();
    let ids: Vec<&str> = apps
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 4);
    for id in ["acme-web", "acme-spa", "acme-mobile", "acme-billing-worker"] {
        assert!(ids.contains(&id), "{ids:?}");
    }
}

#[test]
fn a_changed_secret_is_updated_and_a_generated_one_printed_once() {
    let sb = Sandbox::new();
    let text = "[[applications]]\nclient_id = \"worker\"\nname = \"Worker\"\napp_type = \"m2m\"\n";
    let file = sb.write("t.toml", text);
    let out = sb.run(&["apply", file.to_str().unwrap()]).success();
    assert!(
        out.contains("generated client secret for worker: "),
        "{out}"
    );
    let again = sb.run(&["apply", file.to_str().unwrap()]).success();
    assert!(again.starts_with("no changes"), "secret kept: {again}");
    assert!(!again.contains("generated"), "{again}");

    let pinned = format!("{text}client_secret_env = \"WORKER_SECRET\"\n");
    let file = sb.write("t.toml", &pinned);
    let env = [("WORKER_SECRET", "worker-secret-0123456789-0123456789-xyz")];
    let out = sb
        .run_with(&["apply", file.to_str().unwrap()], &env, "")
        .success();
    assert!(
        out.contains("updated application worker (client_secret)"),
        "{out}"
    );
    let out = sb
        .run_with(&["apply", file.to_str().unwrap()], &env, "")
        .success();
    assert!(out.starts_with("no changes"), "{out}");
}

#[test]
fn invalid_tenant_files_are_refused_with_the_entry_named() {
    let sb = Sandbox::new();
    let bad = sb.write(
        "bad.toml",
        "[[applications]]\nclient_id = \"ok\"\nname = \"OK\"\napp_type = \"spa\"\n\n\
         [[applications]]\nclient_id = \"demo-web\"\nname = \"Web\"\napp_type = \"regular_web\"\n\
         callbacks = [\"http://evil.example/cb\"]\n",
    );
    let err = sb.run(&["apply", bad.to_str().unwrap()]).failure();
    assert!(
        err.starts_with(
            "error: applications[1] (demo-web): callback \"http://evil.example/cb\" uses http"
        ),
        "{err}"
    );
    assert!(
        !sb.data_dir().exists(),
        "a bad file creates no data directory, key or database"
    );

    let typo = sb.write(
        "typo.toml",
        "[[apis]]\nidentifer = \"https://api.example\"\n",
    );
    let err = sb.run(&["apply", typo.to_str().unwrap()]).failure();
    assert!(
        err.contains("apis[0] (line 2): unknown field `identifer`"),
        "{err}"
    );

    let missing = sb.run(&["apply", "nope.toml"]).failure();
    assert!(
        missing.contains("reading the tenant file nope.toml"),
        "{missing}"
    );

    let env = sb.write(
        "env.toml",
        "[[users]]\nemail = \"a@example.com\"\npassword_env = \"UNSET_PASSWORD_VAR\"\n",
    );
    let err = sb.run(&["apply", env.to_str().unwrap()]).failure();
    assert!(
        err.contains(
            "users[0] (a@example.com): environment variable UNSET_PASSWORD_VAR is not set"
        ),
        "{err}"
    );
}

#[test]
fn every_problem_of_a_tenant_file_is_listed_in_one_run() {
    let sb = Sandbox::new();
    let malformed = sb.write(
        "malformed.toml",
        "[[applications]]\nclient_id = \"a\"\nname = \"A\"\napp_type = \"spa\"\ncallback = []\n\n\
         [[applications]]\nclient_id = \"b\"\nname = \"B\"\n\n\
         [[apis]]\nidentifier = 42\n",
    );
    let err = sb.run(&["apply", malformed.to_str().unwrap()]).failure();
    let lines: Vec<&str> = err.lines().collect();
    assert!(lines[0].ends_with("malformed.toml: 3 problems:"), "{err}");
    assert!(
        lines[1].starts_with("  applications[0] (line 5): unknown field `callback`"),
        "{err}"
    );
    assert!(
        lines[2].starts_with("  applications[1] (line 7): missing field `app_type`"),
        "{err}"
    );
    assert!(
        lines[3]
            == "  apis[0] (line 12): identifier: invalid type: integer `42`, expected a string",
        "{err}"
    );

    let invalid = sb.write(
        "invalid.toml",
        "[[applications]]\nclient_id = \"web\"\nname = \"Web\"\napp_type = \"regular_web\"\ncallbacks = [\"http://evil.example/cb\"]\n\n\
         [[apis]]\nidentifier = \"not a uri\"\n\n\
         [[users]]\nemail = \"nobody\"\n",
    );
    let err = sb.run(&["apply", invalid.to_str().unwrap()]).failure();
    assert!(err.starts_with("error: 3 problems:"), "{err}");
    for entry in [
        "applications[0] (web)",
        "apis[0] (not a uri)",
        "users[0] (nobody)",
    ] {
        assert!(
            err.contains(&format!("\n  {entry}: ")),
            "{entry} missing: {err}"
        );
    }
    assert!(!sb.data_dir().exists(), "nothing created");
}

#[test]
fn the_tenant_table_turns_sign_up_off_and_bad_values_are_named() {
    let sb = Sandbox::new();
    let file = sb.write("tenant.toml", "[tenant]\nsignup = false\n");
    let out = sb.run(&["apply", file.to_str().unwrap()]).success();
    assert!(out.contains("created tenant setting signup"), "{out}");
    let again = sb.run(&["apply", file.to_str().unwrap()]).success();
    assert!(again.starts_with("no changes"), "{again}");
    let bad = sb.write("bad.toml", "[tenant]\nsignup = \"no\"\n");
    let err = sb.run(&["apply", bad.to_str().unwrap()]).failure();
    assert!(err.contains("tenant (line 1)"), "{err}");
}

/// Issue #15: users' phone and address from the tenant file (updated in place, reported), and
/// the `[tenant]` settings `strict_scopes` and `database_connection`.
#[test]
fn the_tenant_file_sets_phone_address_and_the_authentication_api_settings() {
    let sb = Sandbox::new();
    let file = sb.write(
        "tenant.toml",
        r#"
[tenant]
strict_scopes = true
database_connection = "acme-users"

[[users]]
email = "ana@example.com"
phone_number = "+14155550100"
phone_number_verified = true
address = { street_address = "1 Main St", locality = "Springfield", country = "US" }
"#,
    );
    let out = sb.run(&["apply", file.to_str().unwrap()]).success();
    assert!(
        out.contains("created tenant setting strict_scopes"),
        "{out}"
    );
    assert!(
        out.contains("created tenant setting database_connection"),
        "{out}"
    );
    let user = sb
        .run(&["--json", "users", "show", "ana@example.com"])
        .json();
    assert_eq!(user["phone_number"], "+14155550100");
    assert_eq!(user["address"]["country"], "US");
    let moved = sb.write(
        "moved.toml",
        r#"
[tenant]
strict_scopes = true
database_connection = "acme-users"

[[users]]
email = "ana@example.com"
address = { locality = "Shelbyville", country = "US" }
"#,
    );
    let out = sb.run(&["apply", moved.to_str().unwrap()]).success();
    assert!(out.contains("address"), "{out}");
    let user = sb
        .run(&["--json", "users", "show", "ana@example.com"])
        .json();
    assert_eq!(user["address"]["locality"], "Shelbyville");
    assert!(user["address"].get("street_address").is_none(), "{user}");
    assert_eq!(user["phone_number"], "+14155550100", "left out: unchanged");
    let bad = sb.write(
        "bad.toml",
        "[tenant]\ndatabase_connection = \"has space\"\n\n[[users]]\nemail = \"b@example.com\"\nphone_number = \"12\"\n",
    );
    let err = sb.run(&["apply", bad.to_str().unwrap()]).failure();
    assert!(err.contains("database_connection"), "{err}");
    assert!(err.contains("phone_number"), "{err}");
}
