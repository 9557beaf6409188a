use super::support::{Sandbox, free_port, post_password, terminate, wait_for};
use std::io::Read as _;
use std::process::Stdio;

fn stdout_of(child: &mut std::process::Child) -> String {
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    out
}

#[tokio::test]
async fn dev_serves_discovery_for_the_demo_tenant_and_stops_on_sigterm() {
    let sb = Sandbox::new();
    let port = free_port();
    let mut child = sb
        .command(&["dev", "--port", &port.to_string(), "--data-dir", "dev-data"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let body = wait_for(
        &format!("{base}/.well-known/openid-configuration"),
        &mut child,
    )
    .await;
    let discovery: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(discovery["issuer"], format!("http://localhost:{port}/"));

    // The demo M2M application can get a token for the billing API.
    let token: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-m2m"),
            ("client_secret", "demo-m2m-secret-for-development-only-0000"),
            ("audience", "https://api.billing.example"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(token["token_type"], "Bearer", "{token}");

    assert!(terminate(&mut child), "graceful shutdown exits 0");
    let banner = stdout_of(&mut child);
    for expected in [
        format!("Issuer       http://localhost:{port}/"),
        format!("http://localhost:{port}/.well-known/openid-configuration"),
        "demo@example.com / demo-password".to_owned(),
        "demo-web-secret-for-development-only-0000".to_owned(),
        "http://localhost:3000/api/auth/callback".to_owned(),
        "demo-spa".to_owned(),
        "https://api.tv-shows.example  scopes: read:shows".to_owned(),
        format!("AUTH0_DOMAIN=http://localhost:{port}"),
        "Mail         written to dev-data/outbox".to_owned(),
    ] {
        assert!(
            banner.contains(&expected),
            "missing {expected:?} in:\n{banner}"
        );
    }
    let key = sb.path().join("dev-data/master.key");
    assert!(key.exists());

    // --fresh starts over (a new master key).
    let old_key = std::fs::read_to_string(&key).unwrap();
    let port = free_port();
    let mut child = sb
        .command(&[
            "dev",
            "--port",
            &port.to_string(),
            "--data-dir",
            "dev-data",
            "--fresh",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(
        &format!("http://127.0.0.1:{port}/.well-known/jwks.json"),
        &mut child,
    )
    .await;
    assert!(terminate(&mut child));
    assert_ne!(std::fs::read_to_string(&key).unwrap(), old_key);
}

#[tokio::test]
async fn serve_applies_the_tenant_file_and_listens_where_configured() {
    let sb = Sandbox::new();
    sb.write(
        "tenant.toml",
        "[[apis]]\nidentifier = \"urn:example:api\"\nscopes = [{ value = \"read\" }]\n\
         [[applications]]\nclient_id = \"svc\"\nname = \"Service\"\napp_type = \"m2m\"\nclient_secret_env = \"SVC_SECRET\"\n\
         [[client_grants]]\nclient_id = \"svc\"\naudience = \"urn:example:api\"\nscopes = [\"read\"]\n",
    );
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let secret = "svc-secret-0123456789-0123456789-abcdef";
    let mut child = sb
        .command(&["serve"])
        .envs([
            ("PORTCULLIS_LISTEN", listen.as_str()),
            ("PORTCULLIS_TENANT_FILE", "tenant.toml"),
            ("PORTCULLIS_LOG_FORMAT", "json"),
            ("SVC_SECRET", secret),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let body = wait_for(
        &format!("{base}/.well-known/openid-configuration"),
        &mut child,
    )
    .await;
    let discovery: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        discovery["issuer"],
        format!("http://localhost:{port}/"),
        "derived from the port"
    );

    let resp = reqwest::Client::new()
        .post(format!("{base}/oauth/token"))
        .basic_auth("svc", Some(secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("audience", "urn:example:api"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    assert!(terminate(&mut child));
    let out = stdout_of(&mut child);
    assert!(
        out.contains(&format!(
            "listening on http://{listen} issuer http://localhost:{port}/"
        )),
        "{out}"
    );
    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    assert!(!logs.contains(secret), "secrets never logged");
    let json_lines = logs.lines().filter(|l| l.starts_with('{')).count();
    assert!(json_lines > 0, "JSON logs: {logs}");
    assert!(logs.contains("created"), "{logs}");
}

#[tokio::test]
async fn rejected_requests_are_logged_at_info_with_the_client_and_reason_never_a_secret() {
    let sb = Sandbox::new();
    let password = "the-right-password-1234";
    let wrong_password = "a-wrong-password-5678";
    let secret = "web-secret-0123456789-0123456789-abcdef";
    let wrong_secret = "not-the-secret-0123456789-0123456789-xyz";
    sb.write(
        "tenant.toml",
        &format!(
            "[[applications]]\nclient_id = \"web\"\nname = \"Web\"\napp_type = \"regular_web\"\n\
             callbacks = [\"http://localhost:3000/callback\"]\nclient_secret = \"{secret}\"\n\
             [[users]]\nemail = \"ana@example.com\"\npassword = \"{password}\"\n"
        ),
    );
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = sb
        .command(&["serve"])
        .envs([
            ("PORTCULLIS_LISTEN", listen.as_str()),
            ("PORTCULLIS_TENANT_FILE", "tenant.toml"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    wait_for(&format!("{base}/healthz"), &mut child).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let authorize = |client: &str, redirect: &str| {
        format!(
            "{base}/authorize?client_id={client}&response_type=code&scope=openid&state=s&redirect_uri={redirect}"
        )
    };

    let r = http
        .get(authorize("nobody", "http://localhost:3000/callback"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = http
        .get(authorize("web", "http://localhost:9999/elsewhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = http
        .post(format!("{base}/oauth/token"))
        .basic_auth("web", Some(wrong_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // A wrong password on the hosted sign-in page.
    let sign_in = authorize("web", "http://localhost:3000/callback");
    let r = post_password(&http, &base, &sign_in, "ana@example.com", wrong_password).await;
    assert_eq!(r.status(), 401);

    assert!(terminate(&mut child));
    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    assert!(
        !logs.contains('\x1b'),
        "no ANSI codes when stderr is not a terminal: {logs:?}"
    );
    for secret_value in [secret, wrong_secret, password, wrong_password] {
        assert!(
            !logs.contains(secret_value),
            "{secret_value} logged: {logs}"
        );
    }
    let rejected: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("request rejected"))
        .collect();
    for expected in [
        [
            "INFO",
            "error=\"invalid_request\"",
            "client_id=\"nobody\"",
            "unknown client_id nobody",
        ],
        [
            "INFO",
            "error=\"invalid_request\"",
            "client_id=\"web\"",
            "redirect_uri http://localhost:9999/elsewhere",
        ],
        [
            "INFO",
            "error=\"invalid_client\"",
            "client_id=\"web\"",
            "wrong client secret",
        ],
        [
            "INFO",
            "error=\"login_failed\"",
            "client_id=\"web\"",
            "Wrong email or password",
        ],
    ] {
        assert!(
            rejected
                .iter()
                .any(|l| expected.iter().all(|part| l.contains(part))),
            "no line with {expected:?} in:\n{logs}"
        );
    }
    assert_eq!(rejected.len(), 4, "one line per rejected request:\n{logs}");
}

#[tokio::test]
async fn dev_uses_a_configured_issuer_and_names_the_settings_it_ignores() {
    let sb = Sandbox::new();
    let port = free_port();
    let issuer = format!("http://127.0.0.1:{port}/");
    let mut child = sb
        .command(&["dev", "--port", &port.to_string(), "--data-dir", "dev-data"])
        .envs([
            ("PORTCULLIS_ISSUER", issuer.as_str()),
            ("PORTCULLIS_DATA_DIR", "elsewhere"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let body = wait_for(
        &format!("http://127.0.0.1:{port}/.well-known/openid-configuration"),
        &mut child,
    )
    .await;
    let discovery: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(discovery["issuer"], issuer.as_str());
    assert!(terminate(&mut child));
    let banner = stdout_of(&mut child);
    assert!(
        banner.contains(&format!("Issuer       {issuer}")),
        "{banner}"
    );
    assert!(
        banner.contains(&format!(
            "{issuer}authorize?client_id=demo-web&response_type=code&redirect_uri=http://localhost:3000/callback"
        )),
        "the sign-in URL to open: {banner}"
    );
    assert!(
        banner.contains("cargo run -p portcullis-axum --example web-app"),
        "the demo app command: {banner}"
    );
    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    assert!(
        logs.contains("note: `portcullis dev` ignores data_dir"),
        "{logs}"
    );
    assert!(!sb.path().join("elsewhere").exists());
    assert!(sb.path().join("dev-data/master.key").exists());
}

/// Issue #15: an application allowed the legacy password grant is named in a warning when the
/// server starts; without one there is no such warning.
#[tokio::test]
async fn serve_warns_about_applications_allowed_the_password_grant() {
    for (grants, warned) in [
        ("[\"authorization_code\", \"password\"]", true),
        ("[\"authorization_code\"]", false),
    ] {
        let sb = Sandbox::new();
        sb.write(
            "tenant.toml",
            &format!(
                "[[applications]]\nclient_id = \"legacy-app\"\nname = \"Legacy\"\napp_type = \"native\"\n\
                 callbacks = [\"com.example.app:/callback\"]\ngrant_types = {grants}\n"
            ),
        );
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let mut child = sb
            .command(&["serve"])
            .envs([
                ("PORTCULLIS_LISTEN", listen.as_str()),
                ("PORTCULLIS_TENANT_FILE", "tenant.toml"),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        wait_for(
            &format!("{base}/.well-known/openid-configuration"),
            &mut child,
        )
        .await;
        assert!(terminate(&mut child));
        let mut logs = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut logs)
            .unwrap();
        let warning = logs
            .lines()
            .find(|l| l.contains("legacy password grant is enabled"));
        assert_eq!(warning.is_some(), warned, "{logs}");
        if let Some(line) = warning {
            assert!(
                line.contains("WARN") && line.contains("legacy-app"),
                "{line}"
            );
        }
    }
}
