use super::support::{Sandbox, free_port, terminate, wait_for};
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
