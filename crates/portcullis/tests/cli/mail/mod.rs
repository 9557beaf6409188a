//! Mail delivery against a real SMTP server on loopback (Python's aiosmtpd, Debian's
//! `python3-aiosmtpd`, which scripts/test installs), through an outage and a restart, over TLS
//! and with AUTH, and the development outbox.

mod lockout;
mod servers;

use super::support::{Sandbox, free_port, terminate, wait_for};
use servers::{Guard, certificates, smtp_server, smtp_server_with, smtp_server_with_auth};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Waits until `pick` returns something, for at most `secs` seconds.
async fn eventually<T>(secs: u64, what: &str, mut pick: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(found) = pick() {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The files of `dir` (none if it does not exist).
fn files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| entries.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default()
}

/// The settings of one test's server and CLI runs: a free port plus `extra`.
fn settings(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = vec![(
        "PORTCULLIS_LISTEN".to_owned(),
        format!("127.0.0.1:{}", free_port()),
    )];
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    env
}

/// The issuer the server derives from its port.
fn issuer(env: &[(String, String)]) -> String {
    let port = env[0].1.rsplit(':').next().unwrap();
    format!("http://localhost:{port}/")
}

/// `portcullis serve` with `env`; returns it once it answers.
async fn serve(sb: &Sandbox, env: &[(String, String)]) -> Guard {
    let listen = &env[0].1;
    let child = sb
        .command(&["serve"])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut guard = Guard(child);
    wait_for(
        &format!("http://{listen}/.well-known/openid-configuration"),
        &mut guard.0,
    )
    .await;
    guard
}

/// Runs the CLI with the same settings as the server.
fn cli(sb: &Sandbox, env: &[(String, String)], args: &[&str]) -> super::support::Run {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    sb.run_with(args, &env, "")
}

/// The raw message with quoted-printable soft line breaks and `=3D` undone (enough for the
/// ASCII test mail).
fn unfold(raw: &str) -> String {
    raw.replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
}

/// Stops the server with SIGTERM (asserting a clean exit) and returns its logs.
fn stop(mut server: Guard) -> String {
    assert!(terminate(&mut server.0), "graceful shutdown exits 0");
    let mut logs = String::new();
    server
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    logs
}

/// The queue, as `portcullis mail list --json` prints it.
fn queue(sb: &Sandbox, env: &[(String, String)]) -> Vec<serde_json::Value> {
    let list = cli(sb, env, &["mail", "list", "--json"]).json();
    list.as_array().unwrap().clone()
}

/// Queues the test mail with the CLI; returns its id.
fn queue_test_mail(sb: &Sandbox, env: &[(String, String)], to: &str) -> String {
    let out = cli(sb, env, &["mail", "test", to, "--json"]).json();
    assert_eq!(out["status"], "queued", "{out}");
    out["mail_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn mail_is_delivered_through_smtp_as_text_and_html() {
    let sb = Sandbox::new();
    let smtp_port = free_port();
    let maildir = sb.path().join("maildir");
    let _smtp = smtp_server(smtp_port, &maildir).await;
    let smtp_url = format!("smtp://127.0.0.1:{smtp_port}");
    let env = settings(&[
        ("PORTCULLIS_SMTP_URL", &smtp_url),
        ("PORTCULLIS_MAIL_FROM", "Acme Login <login@acme.test>"),
    ]);
    let server = serve(&sb, &env).await;

    let mail_id = queue_test_mail(&sb, &env, "ada@example.com");
    let received = eventually(30, "the mail at the SMTP server", || {
        files(&maildir.join("new")).pop()
    })
    .await;
    let raw = unfold(&std::fs::read_to_string(received).unwrap());
    let issuer = issuer(&env);
    for expected in [
        "From: \"Acme Login\" <login@acme.test>".to_owned(),
        "To: ada@example.com".to_owned(),
        "Subject: Portcullis test mail".to_owned(),
        format!("Message-ID: <{mail_id}@acme.test>"),
        "Date: ".to_owned(),
        "Content-Type: multipart/alternative".to_owned(),
        // The text part, then the HTML part, each with the link.
        "Content-Type: text/plain; charset=utf-8".to_owned(),
        format!("Your provider:\n{issuer}\n"),
        "Content-Type: text/html; charset=utf-8".to_owned(),
        format!("<a href=\"{issuer}\">Your provider</a>"),
        // The envelope, as the server saw it.
        "X-MailFrom: login@acme.test".to_owned(),
        "X-RcptTo: ada@example.com".to_owned(),
    ] {
        assert!(raw.contains(&expected), "missing {expected:?} in:\n{raw}");
    }
    let text_at = raw.find("text/plain").unwrap();
    assert!(text_at < raw.find("text/html").unwrap(), "text first");

    let sent = eventually(10, "the mail marked sent", || {
        queue(&sb, &env).into_iter().find(|m| m["status"] == "sent")
    })
    .await;
    assert_eq!(sent["mail_id"], mail_id.as_str());
    assert_eq!(sent["attempts"], 1);
    let logs = stop(server);
    assert!(logs.contains("mail sent"), "{logs}");
    assert!(
        !logs.contains("If you can read it"),
        "bodies are never logged: {logs}"
    );
}

#[tokio::test]
async fn mail_queued_during_an_smtp_outage_survives_a_restart_and_is_delivered() {
    let sb = Sandbox::new();
    let smtp_port = free_port(); // nothing listens there yet
    let smtp_url = format!("smtp://127.0.0.1:{smtp_port}");
    let env = settings(&[("PORTCULLIS_SMTP_URL", &smtp_url)]);
    let server = serve(&sb, &env).await;

    let mail_id = queue_test_mail(&sb, &env, "grace@example.com");
    let failed = eventually(30, "a failed attempt", || {
        queue(&sb, &env)
            .into_iter()
            .find(|m| m["mail_id"] == mail_id.as_str() && m["attempts"] == 1)
    })
    .await;
    assert_eq!(failed["status"], "retrying", "{failed}");
    assert!(failed["sent_at"].is_null());
    assert!(failed["next_attempt_at"].is_i64(), "{failed}");
    let error = failed["last_error"].as_str().unwrap();
    assert!(error.starts_with("SMTP: "), "{error}");
    let text = cli(&sb, &env, &["mail", "list"]).success();
    assert!(text.contains("retrying"), "{text}");
    assert!(text.contains("grace@example.com"), "{text}");

    // A restart loses nothing: the mail waits in the database.
    let logs = stop(server);
    assert!(logs.contains("will retry"), "{logs}");
    let maildir = sb.path().join("maildir");
    let _smtp = smtp_server(smtp_port, &maildir).await;
    let server = serve(&sb, &env).await;
    // Due 30 s after the failure (the first backoff step), then sent on the next round.
    let received = eventually(75, "the mail after the outage", || {
        files(&maildir.join("new")).pop()
    })
    .await;
    let raw = std::fs::read_to_string(received).unwrap();
    assert!(raw.contains("To: grace@example.com"), "{raw}");
    let sent = eventually(10, "the mail marked sent", || {
        queue(&sb, &env).into_iter().find(|m| m["status"] == "sent")
    })
    .await;
    assert_eq!(sent["attempts"], 2);
    assert!(sent["last_error"].is_null());
    assert_eq!(files(&maildir.join("new")).len(), 1, "delivered once");
    stop(server);
}

#[tokio::test]
async fn without_smtp_url_mail_goes_to_the_outbox_and_its_link_is_logged() {
    let sb = Sandbox::new();
    let env = settings(&[("PORTCULLIS_LOG_FORMAT", "json")]);
    let server = serve(&sb, &env).await;
    let outbox = sb.data_dir().join("outbox");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&outbox).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "created private at start");
    }

    let out = cli(&sb, &env, &["mail", "test", "ada@example.com"]);
    assert!(out.stderr.contains("written to"), "{out:?}");
    let mail_id = out.success().split_whitespace().nth(1).unwrap().to_owned();
    let file = outbox.join(format!("{mail_id}.eml"));
    eventually(30, "the .eml file", || file.exists().then_some(())).await;
    let raw = std::fs::read_to_string(&file).unwrap();
    assert!(
        raw.contains("From: Portcullis <no-reply@localhost>"),
        "{raw}"
    );
    assert!(raw.contains("Subject: Portcullis test mail"), "{raw}");
    eventually(10, "the mail marked sent", || {
        queue(&sb, &env).into_iter().find(|m| m["status"] == "sent")
    })
    .await;

    let logs = stop(server);
    let line: serde_json::Value = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["message"] == "mail written to the outbox")
        .unwrap_or_else(|| panic!("no outbox line in:\n{logs}"));
    assert_eq!(line["link"], issuer(&env), "{line}");
    assert_eq!(line["mail_id"], mail_id.as_str(), "{line}");
    assert!(!logs.contains("If you can read it"), "{logs}");
}

/// Starts a server with `env`, queues the test mail and returns the first attempt's error.
async fn first_failure(sb: &Sandbox, env: &[(String, String)]) -> String {
    let server = serve(sb, env).await;
    let mail_id = queue_test_mail(sb, env, "ada@example.com");
    let failed = eventually(30, "a failed attempt", || {
        queue(sb, env)
            .into_iter()
            .find(|m| m["mail_id"] == mail_id.as_str() && m["attempts"] == 1)
    })
    .await;
    stop(server);
    assert_eq!(failed["status"], "retrying", "{failed}");
    failed["last_error"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn mail_goes_over_starttls_and_implicit_tls_with_verified_certificates() {
    let sb = Sandbox::new();
    certificates(sb.path());
    let (cert, key, ca) = (
        sb.path().join("server.pem"),
        sb.path().join("server.key"),
        sb.path().join("ca.pem"),
    );
    let ca = ca.to_str().unwrap();
    let maildir = sb.path().join("maildir");

    // STARTTLS, required by both sides.
    let starttls_port = free_port();
    let _starttls = smtp_server_with(
        starttls_port,
        &maildir,
        &[Path::new("--tlscert"), &cert, Path::new("--tlskey"), &key],
    )
    .await;
    let url = format!("smtp://127.0.0.1:{starttls_port}?tls=starttls");
    let env = settings(&[("PORTCULLIS_SMTP_URL", &url), ("SSL_CERT_FILE", ca)]);
    let server = serve(&sb, &env).await;
    queue_test_mail(&sb, &env, "starttls@example.com");
    eventually(30, "the mail over STARTTLS", || {
        files(&maildir.join("new")).pop()
    })
    .await;
    stop(server);

    // Implicit TLS (smtps://).
    let smtps_port = free_port();
    let _smtps = smtp_server_with(
        smtps_port,
        &maildir,
        &[
            Path::new("--smtpscert"),
            &cert,
            Path::new("--smtpskey"),
            &key,
        ],
    )
    .await;
    let url = format!("smtps://127.0.0.1:{smtps_port}");
    let env = settings(&[("PORTCULLIS_SMTP_URL", &url), ("SSL_CERT_FILE", ca)]);
    let server = serve(&sb, &env).await;
    queue_test_mail(&sb, &env, "smtps@example.com");
    eventually(30, "the mail over implicit TLS", || {
        let all = files(&maildir.join("new"));
        (all.len() == 2).then_some(all)
    })
    .await;
    stop(server);
    let received: String = files(&maildir.join("new"))
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    assert!(
        received.contains("X-RcptTo: starttls@example.com"),
        "{received}"
    );
    assert!(
        received.contains("X-RcptTo: smtps@example.com"),
        "{received}"
    );

    // A certificate the system does not trust fails the attempt (no fallback to plain text).
    let untrusted = settings(&[("PORTCULLIS_SMTP_URL", &url)]);
    let error = first_failure(&sb, &untrusted).await;
    assert!(error.contains("invalid peer certificate"), "{error}");

    // tls=starttls against a server that offers no STARTTLS fails instead of sending in clear.
    let plain_port = free_port();
    let plain_dir = sb.path().join("plain-maildir");
    let _plain = smtp_server(plain_port, &plain_dir).await;
    let url = format!("smtp://127.0.0.1:{plain_port}?tls=starttls");
    let no_starttls = settings(&[("PORTCULLIS_SMTP_URL", &url), ("SSL_CERT_FILE", ca)]);
    let error = first_failure(&sb, &no_starttls).await;
    assert!(error.contains("STARTTLS is not supported"), "{error}");
    assert!(
        files(&plain_dir.join("new")).is_empty(),
        "nothing sent in clear"
    );
}

#[tokio::test]
async fn smtp_credentials_come_percent_decoded_from_the_url() {
    let sb = Sandbox::new();
    let port = free_port();
    let maildir = sb.path().join("maildir");
    let _smtp = smtp_server_with_auth(port, &maildir, "apikey@example.com", "p/ss:w%rd").await;

    let wrong = format!("smtp://apikey%40example.com:nope@127.0.0.1:{port}");
    let error = first_failure(&sb, &settings(&[("PORTCULLIS_SMTP_URL", &wrong)])).await;
    assert!(error.contains("535"), "authentication refused: {error}");
    assert!(!error.contains("nope"), "{error}");

    let right = format!("smtp://apikey%40example.com:p%2Fss%3Aw%25rd@127.0.0.1:{port}");
    let env = settings(&[("PORTCULLIS_SMTP_URL", &right)]);
    let server = serve(&sb, &env).await;
    queue_test_mail(&sb, &env, "ada@example.com");
    eventually(30, "the mail after AUTH", || {
        files(&maildir.join("new")).pop()
    })
    .await;
    let logs = stop(server);
    assert!(
        !logs.contains("p/ss:w%rd") && !logs.contains("p%2Fss"),
        "{logs}"
    );
    assert!(
        logs.contains("<redacted>"),
        "the URL is logged redacted: {logs}"
    );
}

#[test]
fn smtp_settings_are_checked_at_start_without_printing_the_password() {
    let sb = Sandbox::new();
    let secret = "s3cret-password-value";
    let plain_remote = sb.run_with(
        &["users", "list"],
        &[
            ("PORTCULLIS_SMTP_URL", "smtp://mail.example.com:25"),
            ("PORTCULLIS_MAIL_FROM", "nobody"),
        ],
        "",
    );
    let err = plain_remote.failure();
    assert!(err.contains("smtp_url: smtp:// without TLS"), "{err}");
    assert!(err.contains("mail_from: \"nobody\""), "{err}");

    let url = format!("smtps://user:{secret}@mail.example.com:465?tls=starttls");
    let err = sb
        .run_with(&["users", "list"], &[("PORTCULLIS_SMTP_URL", &url)], "")
        .failure();
    assert!(err.contains("smtp_url: smtps:// always uses TLS"), "{err}");
    assert!(!err.contains(secret), "{err}");

    let bad = sb.run(&["mail", "test", "not-an-address"]).failure();
    assert!(bad.contains("is not an email address"), "{bad}");
}
