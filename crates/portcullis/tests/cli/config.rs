use super::support::Sandbox;

#[test]
fn invalid_settings_are_listed_with_their_names() {
    let sb = Sandbox::new();
    let err = sb
        .run_with(
            &["users", "list"],
            &[
                ("PORTCULLIS_ISSUER", "http://id.example.com"),
                ("PORTCULLIS_LISTEN", "nowhere"),
                ("PORTCULLIS_TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal"),
            ],
            "",
        )
        .failure();
    assert!(err.starts_with("error: invalid configuration:"), "{err}");
    assert!(
        err.contains("issuer: \"http://id.example.com\": the issuer must use https"),
        "{err}"
    );
    assert!(
        err.contains("listen: \"nowhere\" is not a socket address"),
        "{err}"
    );
    assert!(
        err.contains("trusted_proxies: \"proxy.internal\" is not an address or CIDR range"),
        "{err}"
    );

    let file = sb.write(
        "portcullis.toml",
        "issuer = \"https://id.example.com\"\nlisten_addr = \"x\"\n",
    );
    let err = sb.run(&["users", "list"]).failure();
    assert!(err.contains("unknown field: found `listen_addr`"), "{err}");
    assert!(err.contains("portcullis.toml"), "{err}");

    std::fs::write(&file, "code_lifetime = 600\nlog_format = \"xml\"\n").unwrap();
    let err = sb.run(&["users", "list"]).failure();
    assert!(
        err.contains("code_lifetime: 600 is out of range: use 1 to 60 seconds"),
        "{err}"
    );
    assert!(
        err.contains("log_format: \"xml\": use pretty or json"),
        "{err}"
    );

    let err = sb
        .run(&["--config", "missing.toml", "users", "list"])
        .failure();
    assert_eq!(
        err.trim(),
        "error: configuration file missing.toml does not exist"
    );

    let err = sb
        .run_with(
            &["users", "list"],
            &[("PORTCULLIS_MASTER_KEY", "c2hvcnQ=")],
            "",
        )
        .failure();
    assert!(
        err.contains("master_key: the master key must be 32 bytes"),
        "{err}"
    );
    assert!(!err.contains("c2hvcnQ="), "secrets are not echoed: {err}");
}

#[test]
fn environment_overrides_the_file() {
    let sb = Sandbox::new();
    sb.write("custom.toml", "data_dir = \"from-file\"\n");
    sb.run(&["--config", "custom.toml", "apis", "list"])
        .success();
    assert!(sb.path().join("from-file/portcullis.db").exists());
    sb.run_with(
        &["--config", "custom.toml", "apis", "list"],
        &[("PORTCULLIS_DATA_DIR", "from-env")],
        "",
    )
    .success();
    assert!(sb.path().join("from-env/portcullis.db").exists());
    let db = sb.path().join("explicit.db");
    let url = format!("sqlite://{}", db.display());
    sb.run_with(
        &["apis", "list"],
        &[("PORTCULLIS_DATABASE_URL", url.as_str())],
        "",
    )
    .success();
    assert!(db.exists());
}

#[cfg(unix)]
#[test]
fn the_master_key_file_is_created_with_mode_0600_and_reused() {
    use std::os::unix::fs::PermissionsExt as _;
    let sb = Sandbox::new();
    let run = sb.run(&["users", "list"]);
    assert!(run.ok, "{run:?}");
    let path = sb.data_dir().join("master.key");
    assert!(
        run.stderr
            .contains(&path.strip_prefix(sb.path()).unwrap().display().to_string()),
        "prints where: {run:?}"
    );
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let key = std::fs::read_to_string(&path).unwrap();
    assert!(!run.stdout.contains(key.trim()) && !run.stderr.contains(key.trim()));
    let again = sb.run(&["users", "list"]);
    assert!(
        !again.stderr.contains("Created a new master key"),
        "{again:?}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), key);
}
