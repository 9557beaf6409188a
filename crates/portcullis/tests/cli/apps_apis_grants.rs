use super::support::Sandbox;

#[test]
fn apps_create_show_update_rotate_delete() {
    let sb = Sandbox::new();
    let web = sb
        .run(&[
            "apps",
            "create",
            "--name",
            "Web",
            "--type",
            "regular-web",
            "--client-id",
            "web",
            "--callbacks",
            "https://app.example/cb,http://localhost:3000/cb",
            "--web-origins",
            "https://app.example",
            "--json",
        ])
        .json();
    assert_eq!(web["app_type"], "regular_web");
    assert_eq!(web["token_endpoint_auth_method"], "client_secret_post");
    let secret = web["client_secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 43);

    let text = sb
        .run(&[
            "apps",
            "create",
            "--name",
            "SPA",
            "--type",
            "spa",
            "--client-id",
            "spa",
        ])
        .success();
    assert!(text.contains("auth method  none"), "{text}");
    assert!(
        !text.contains("client_secret:"),
        "public clients have no secret: {text}"
    );
    let run = sb.run(&[
        "apps",
        "create",
        "--name",
        "Worker",
        "--type",
        "m2m",
        "--client-id",
        "worker",
    ]);
    assert!(run.stdout.contains("client_secret: "), "{run:?}");
    assert!(run.stderr.contains("shown only once"), "{run:?}");
    sb.run(&[
        "apps",
        "create",
        "--name",
        "Mobile",
        "--type",
        "native",
        "--callbacks",
        "com.example.app:/cb",
    ])
    .success();

    let shown = sb.run(&["apps", "show", "web", "--json"]).json();
    assert_eq!(shown["callbacks"].as_array().unwrap().len(), 2);
    assert!(shown.get("client_secret").is_none(), "never shown again");
    assert!(!sb.run(&["apps", "show", "web"]).success().contains(&secret));

    let updated = sb
        .run(&[
            "apps",
            "update",
            "web",
            "--name",
            "Web 2",
            "--callbacks",
            "",
            "--logout-urls",
            "https://app.example/",
            "--auth-method",
            "client_secret_basic",
            "--json",
        ])
        .json();
    assert_eq!(updated["name"], "Web 2");
    assert_eq!(updated["callbacks"].as_array().unwrap().len(), 0);
    assert_eq!(updated["token_endpoint_auth_method"], "client_secret_basic");

    let rotated = sb.run(&["apps", "rotate-secret", "web", "--json"]).json();
    assert_ne!(rotated["client_secret"].as_str().unwrap(), secret);
    let err = sb.run(&["apps", "rotate-secret", "spa"]).failure();
    assert!(err.contains("public application"), "{err}");

    let list = sb.run(&["apps", "list"]).success();
    assert!(list.starts_with("CLIENT ID"), "{list}");
    assert_eq!(list.lines().count(), 5, "{list}");
    sb.run(&["apps", "delete", "spa"]).success();
    let err = sb.run(&["apps", "show", "spa"]).failure();
    assert_eq!(err.trim(), "error: no application \"spa\"");
}

#[test]
fn app_validation_errors_are_readable() {
    let sb = Sandbox::new();
    let err = sb
        .run(&[
            "apps",
            "create",
            "--name",
            "X",
            "--type",
            "spa",
            "--callbacks",
            "http://evil.example/cb",
        ])
        .failure();
    assert_eq!(
        err.trim(),
        "error: callback \"http://evil.example/cb\" uses http on a host that is not loopback; use https (RFC 9700 section 2.6)"
    );
    let err = sb
        .run(&[
            "apps",
            "create",
            "--name",
            "X",
            "--type",
            "m2m",
            "--callbacks",
            "https://a.example/cb",
        ])
        .failure();
    assert!(err.contains("machine-to-machine"), "{err}");
    let err = sb
        .run(&[
            "apps",
            "create",
            "--name",
            "X",
            "--type",
            "spa",
            "--grant-types",
            "client_credentials",
        ])
        .failure();
    assert!(
        err.contains(
            "grant_types: client_credentials is not allowed for a single-page application"
        ),
        "{err}"
    );
    let run = sb.run(&["apps", "create", "--name", "X", "--type", "desktop"]);
    assert_eq!(run.code, Some(2), "clap usage error: {run:?}");
}

#[test]
fn apis_and_grants() {
    let sb = Sandbox::new();
    let api = sb
        .run(&[
            "apis",
            "create",
            "--identifier",
            "https://api.example",
            "--name",
            "Example",
            "--scope",
            "read:things=Read things",
            "--scope",
            "write:things",
            "--json",
        ])
        .json();
    assert_eq!(api["token_lifetime"], 86400);
    assert_eq!(api["allow_offline_access"], true);
    assert_eq!(api["scopes"][0]["description"], "Read things");
    let err = sb
        .run(&["apis", "create", "--identifier", "not a uri"])
        .failure();
    assert!(err.starts_with("error: identifier:"), "{err}");
    let err = sb
        .run(&[
            "apis",
            "create",
            "--identifier",
            "urn:x",
            "--token-lifetime",
            "99999999",
        ])
        .failure();
    assert!(err.contains("token_lifetime"), "{err}");

    sb.run(&[
        "apps",
        "create",
        "--name",
        "Worker",
        "--type",
        "m2m",
        "--client-id",
        "worker",
    ])
    .success();
    let err = sb
        .run(&[
            "grants",
            "create",
            "--client-id",
            "worker",
            "--audience",
            "https://api.example",
            "--scope",
            "delete:things",
        ])
        .failure();
    assert!(
        err.contains("does not define scope \"delete:things\""),
        "{err}"
    );
    let out = sb
        .run(&[
            "grants",
            "create",
            "--client-id",
            "worker",
            "--audience",
            "https://api.example",
            "--scope",
            "read:things,write:things",
        ])
        .success();
    assert!(
        out.contains("worker → https://api.example (read:things, write:things)"),
        "{out}"
    );
    let grants = sb.run(&["grants", "list", "--json"]).json();
    assert_eq!(grants[0]["scopes"].as_array().unwrap().len(), 2);
    sb.run(&[
        "grants",
        "update",
        "--client-id",
        "worker",
        "--audience",
        "https://api.example",
        "--scope",
        "read:things",
    ])
    .success();
    assert!(
        sb.run(&["grants", "list"])
            .success()
            .contains("read:things")
    );

    let out = sb
        .run(&[
            "apis",
            "update",
            "https://api.example",
            "--scope",
            "write:things",
            "--token-lifetime",
            "600",
        ])
        .success();
    assert!(
        out.contains("removed read:things from the grant of worker"),
        "{out}"
    );
    let apis = sb.run(&["apis", "list"]).success();
    assert!(apis.contains("600"), "{apis}");

    sb.run(&[
        "grants",
        "delete",
        "--client-id",
        "worker",
        "--audience",
        "https://api.example",
    ])
    .success();
    assert_eq!(
        sb.run(&["grants", "list", "--json"])
            .json()
            .as_array()
            .unwrap()
            .len(),
        0
    );
    sb.run(&["apis", "delete", "https://api.example"]).success();
    // Only the built-in Management API is left.
    let left = sb.run(&["apis", "list", "--json"]).json();
    let identifiers: Vec<&str> = left
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["identifier"].as_str().unwrap())
        .collect();
    assert_eq!(identifiers.len(), 1, "{left}");
    assert!(identifiers[0].ends_with("/api/v2/"), "{left}");
}
