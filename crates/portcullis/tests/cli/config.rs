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
    assert!(
        err.contains("listen_addr: unknown setting (in portcullis.toml); did you mean listen?"),
        "{err}"
    );

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
    sb.run(&["--config", "custom.toml", "keys", "rotate"])
        .success();
    assert!(sb.path().join("from-file/portcullis.db").exists());
    sb.run_with(
        &["--config", "custom.toml", "keys", "rotate"],
        &[("PORTCULLIS_DATA_DIR", "from-env")],
        "",
    )
    .success();
    assert!(sb.path().join("from-env/portcullis.db").exists());
    let db = sb.path().join("explicit.db");
    let url = format!("sqlite://{}", db.display());
    sb.run_with(
        &["keys", "rotate"],
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
    let run = sb.run(&["keys", "rotate"]);
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

#[test]
fn a_setting_of_the_wrong_type_hides_no_other_problem() {
    let sb = Sandbox::new();
    sb.write(
        "portcullis.toml",
        "code_lifetime = \"soon\"\nlisten = \"nowhere\"\nmax_failed_logins = \"many\"\nisuer = \"https://id.example.com\"\n",
    );
    let err = sb
        .run_with(
            &["users", "list"],
            &[("PORTCULLIS_LOG_LEVEL", "verbose")],
            "",
        )
        .failure();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines[0], "error: invalid configuration:", "{err}");
    for expected in [
        "  code_lifetime: expected a whole number of seconds, found string \"soon\" (in portcullis.toml)",
        "  max_failed_logins: expected a whole number, found string \"many\" (in portcullis.toml)",
        "  isuer: unknown setting (in portcullis.toml); did you mean issuer?",
        "  listen: \"nowhere\" is not a socket address like 127.0.0.1:4000 or 0.0.0.0:443",
        "  log_level: \"verbose\" is not a level (trace, debug, info, warn, error, off) or a target=level directive such as portcullis_web=debug",
    ] {
        assert!(lines.contains(&expected), "missing {expected:?} in:\n{err}");
    }
    assert_eq!(lines.len(), 6, "one line per problem, nothing else: {err}");
    assert!(!err.contains("``"), "no mangled backticks: {err}");
    assert!(
        !sb.data_dir().exists(),
        "a bad configuration creates nothing"
    );
}

#[test]
fn rust_log_is_validated_and_unknown_portcullis_variables_are_warned_about() {
    let sb = Sandbox::new();
    let run = sb.run_with(
        &["users", "list"],
        &[
            ("RUST_LOG", "loud"),
            ("PORTCULLIS_ISSUR", "https://id.example.com/"),
        ],
        "",
    );
    assert!(
        run.stderr.contains(
            "warning: PORTCULLIS_ISSUR is not a Portcullis setting and is ignored (did you mean PORTCULLIS_ISSUER?)"
        ),
        "{run:?}"
    );
    let err = run.failure();
    assert!(err.contains("  RUST_LOG: \"loud\" is not a level"), "{err}");
}

#[test]
fn branding_settings_are_validated() {
    let sb = Sandbox::new();
    let err = sb
        .run_with(
            &["users", "list"],
            &[
                ("PORTCULLIS_PRIMARY_COLOR", "blue"),
                ("PORTCULLIS_LOGO_URL", "http://cdn.example.com/logo.svg"),
            ],
            "",
        )
        .failure();
    assert!(err.starts_with("error: invalid configuration:"), "{err}");
    assert!(
        err.contains("primary_color: \"blue\": use a hex colour like #3b4fd8"),
        "{err}"
    );
    assert!(
        err.contains(
            "logo_url: \"http://cdn.example.com/logo.svg\": use an https URL (http only on loopback)"
        ),
        "{err}"
    );
    sb.write(
        "portcullis.toml",
        "primary_color = \"#0A7F3F\"\nlogo_url = \"http://127.0.0.1:8000/logo.png\"\n",
    );
    // Valid: the configuration passes (the command then finds no data, which is another matter).
    let err = sb.run(&["users", "list"]).failure();
    assert!(!err.contains("invalid configuration"), "{err}");
    assert!(err.contains("no Portcullis data"), "{err}");
}
