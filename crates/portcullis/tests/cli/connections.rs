//! `portcullis connections …`, connections in the tenant file, and `users show` identities.

use super::support::Sandbox;

#[test]
fn connections_from_the_cli_and_the_tenant_file_keep_their_secrets_encrypted() {
    let sb = Sandbox::new();
    let out = sb
        .run_with(
            &[
                "connections",
                "add",
                "github",
                "--strategy",
                "github",
                "--client-id",
                "Iv1.abc",
                "--client-secret-env",
                "GH_SECRET",
                "--enabled-client",
                "web-app",
            ],
            &[("GH_SECRET", "gh-very-secret-value")],
            "",
        )
        .success();
    assert!(out.contains("created connection github"), "{out}");
    // A declaration that cannot work is refused with the reason.
    let err = sb
        .run_with(
            &[
                "connections",
                "add",
                "corp",
                "--strategy",
                "oidc",
                "--client-id",
                "x",
                "--client-secret-stdin",
            ],
            &[],
            "s3cret\n",
        )
        .failure();
    assert!(err.contains("needs an issuer"), "{err}");

    let tenant = sb.write(
        "tenant.toml",
        r#"
[[connections]]
name = "corp"
strategy = "oidc"
issuer = "https://login.corp.example/"
client_id = "portcullis"
client_secret = "corp-very-secret-value"
display_name = "Corp SSO"
"#,
    );
    let out = sb.run(&["apply", tenant.to_str().unwrap()]).success();
    assert!(out.contains("connection"), "{out}");

    let list = sb.run(&["connections", "list", "--json"]).json();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["github", "corp"]);
    assert_eq!(list[0]["enabled_clients"][0], "web-app");
    let text = sb.run(&["connections", "list"]).success();
    assert!(!text.contains("very-secret"), "{text}");

    // Neither secret is in the database files in clear (the client id is: the scan sees text).
    let mut bytes = std::fs::read(sb.data_dir().join("portcullis.db")).unwrap();
    bytes.extend(std::fs::read(sb.data_dir().join("portcullis.db-wal")).unwrap_or_default());
    let stored = String::from_utf8_lossy(&bytes);
    assert!(stored.contains("Iv1.abc"));
    assert!(!stored.contains("gh-very-secret-value"));
    assert!(!stored.contains("corp-very-secret-value"));

    let out = sb.run(&["connections", "remove", "github"]).success();
    assert!(out.contains("removed connection github"), "{out}");
    let err = sb.run(&["connections", "remove", "github"]).failure();
    assert!(err.contains("no connection"), "{err}");
}

#[test]
fn users_show_lists_the_password_identity() {
    let sb = Sandbox::new();
    sb.run_with(
        &[
            "users",
            "create",
            "--email",
            "ana@example.com",
            "--password-stdin",
            "--user-id",
            "auth0|ana",
        ],
        &[],
        "a long password\n",
    )
    .success();
    let out = sb.run(&["users", "show", "auth0|ana", "--json"]).json();
    assert_eq!(
        out["identities"][0]["connection"],
        "Username-Password-Authentication"
    );
    assert_eq!(out["identities"][0]["provider"], "auth0");
    assert_eq!(out["identities"][0]["user_id"], "ana");
    assert_eq!(out["identities"].as_array().unwrap().len(), 1);
}
