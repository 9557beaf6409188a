//! `portcullis logs`, `audit_log_stdout`, and `portcullis import auth0`.

use super::support::{Sandbox, free_port, post_password, terminate, wait_for};
use std::io::Read as _;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// One password sign-in through the hosted login page (an `s` or `fp` event), in a browser of
/// its own (no SSO session from an earlier one).
async fn sign_in(base: &str, password: &str) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .user_agent("cli-audit-test")
        .build()
        .unwrap();
    let authorize = format!(
        "{base}/authorize?client_id=web&response_type=code&scope=openid&state=s&redirect_uri=http://localhost:3000/callback"
    );
    post_password(&http, base, &authorize, "ana@example.com", password).await;
}

#[tokio::test]
async fn sign_ins_reach_the_log_command_and_stdout_as_auth0_json_lines() {
    let sb = Sandbox::new();
    let password = "the-right-password-1234";
    let wrong = "a-wrong-password-5678";
    sb.write(
        "tenant.toml",
        &format!(
            "[[applications]]\nclient_id = \"web\"\nname = \"Web\"\napp_type = \"regular_web\"\n\
             callbacks = [\"http://localhost:3000/callback\"]\n\
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
            ("PORTCULLIS_AUDIT_LOG_STDOUT", "true"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    wait_for(&format!("{base}/healthz"), &mut child).await;
    for attempt in [wrong, password] {
        sign_in(&base, attempt).await;
    }

    // The writer works in the background: wait (bounded) until both events are readable.
    let deadline = Instant::now() + Duration::from_secs(30);
    let events = loop {
        let events = sb.run(&["logs", "--json"]).json();
        if events.as_array().unwrap().len() >= 2 {
            break events;
        }
        assert!(Instant::now() < deadline, "events never written: {events}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let events = events.as_array().unwrap();
    assert_eq!(events[0]["type"], "s", "newest first: {events:?}");
    assert_eq!(events[1]["type"], "fp");
    assert_eq!(events[0]["client_id"], "web");
    assert_eq!(events[0]["client_name"], "Web");
    assert_eq!(events[0]["user_name"], "ana@example.com");
    assert_eq!(events[0]["ip"], "127.0.0.1");
    assert_eq!(events[0]["user_agent"], "cli-audit-test");

    let table = sb.run(&["logs", "--type", "fp"]).success();
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("DATE"), "{table}");
    assert_eq!(lines.len(), 2, "{table}");
    assert!(
        lines[1].contains("fp") && lines[1].contains("ana@example.com"),
        "{table}"
    );
    let id = events[1]["log_id"].as_str().unwrap();
    let one = sb.run(&["logs", "--id", id]).success();
    assert!(one.contains("type         fp"), "{one}");
    let none = sb
        .run(&["logs", "--user", "nobody", "--since", "1h"])
        .success();
    assert!(none.contains("(none)"), "{none}");
    let err = sb.run(&["logs", "--since", "yesterday"]).failure();
    assert!(err.contains("--since"), "{err}");

    // A graceful stop writes the events still queued: the last request's is in the log as soon
    // as the server has exited.
    sign_in(&base, wrong).await;
    assert!(terminate(&mut child));
    let events = sb.run(&["logs", "--json"]).json();
    let types: Vec<_> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["fp", "s", "fp"], "{events}");
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let lines: Vec<serde_json::Value> = out
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let types: Vec<_> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["fp", "s", "fp"], "{out}");
    assert!(
        !out.contains(password) && !out.contains(wrong),
        "no password: {out}"
    );
}

#[test]
fn import_auth0_reports_bad_records_upserts_and_reads_ndjson() {
    let sb = Sandbox::new();
    let bcrypt = "$2b$04$izr3Y8VkduI0U1roxybM7eQ5zksgpVNSi.Mj0hjaguAUFPzBwMRXe";
    sb.write(
        "users.json",
        &format!(
            "[\n  {{\"email\": \"ana@example.com\", \"user_id\": \"42\", \"name\": \"Ana\", \"password_hash\": \"{bcrypt}\"}},\n  {{\"email\": \"bob@example.com\", \"custom_password_hash\": {{\"algorithm\": \"sha256\", \"hash\": {{\"value\": \"xyz\", \"encoding\": \"hex\"}}}}}},\n  {{\"email\": \"cid@example.com\", \"user_id\": \"github|7\", \"blocked\": true}}\n]\n"
        ),
    );
    let out = sb.run(&["import", "auth0", "users.json"]);
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert!(
        out.stdout
            .contains("users.json: 3 users read, 2 created, 0 updated, 1 not imported"),
        "{out:#?}"
    );
    assert!(
        out.stdout.contains(
            "line 3, record 1 (bob@example.com): custom_password_hash: hash.value is not valid hex"
        ),
        "{out:#?}"
    );
    assert!(
        out.stderr.contains("1 of 3 records were not imported"),
        "{out:#?}"
    );

    let ana = sb.run(&["users", "show", "auth0|42", "--json"]).json();
    assert_eq!(ana["email"], "ana@example.com");
    assert_eq!(ana["has_password"], true);
    let cid = sb.run(&["users", "show", "github|7", "--json"]).json();
    assert_eq!(cid["blocked"], true);

    // Again, without upsert: duplicates. With upsert: updated.
    sb.write(
        "again.json",
        "[{\"email\": \"ana@example.com\", \"user_id\": \"42\", \"name\": \"Ana Maria\"}]",
    );
    let err = sb.run(&["import", "auth0", "again.json"]);
    assert!(err.stdout.contains("DUPLICATED_USER"), "{err:#?}");
    let report = sb
        .run(&["import", "auth0", "again.json", "--upsert", "--json"])
        .json();
    assert_eq!(report["updated"], 1);
    assert_eq!(report["failed"], serde_json::json!([]));
    let ana = sb.run(&["users", "show", "auth0|42", "--json"]).json();
    assert_eq!(ana["name"], "Ana Maria");

    // Auth0 support's NDJSON export.
    sb.write(
        "export.ndjson",
        &format!(
            "{{\"_id\":{{\"$oid\":\"60a1b2c3d4e5f60718293a4b\"}},\"email\":\"dee@example.com\",\"email_verified\":true,\"passwordHash\":\"{bcrypt}\",\"tenant\":\"t\",\"connection\":\"Username-Password-Authentication\"}}\n"
        ),
    );
    let report = sb
        .run(&["import", "auth0", "export.ndjson", "--json"])
        .json();
    assert_eq!(report["created"], 1, "{report}");
    let dee = sb
        .run(&["users", "show", "auth0|60a1b2c3d4e5f60718293a4b", "--json"])
        .json();
    assert_eq!(dee["email_verified"], true);

    let err = sb.run(&["import", "auth0", "missing.json"]).failure();
    assert!(err.contains("missing.json"), "{err}");
    sb.write("broken.json", "[{\"email\": \"x@example.com\"");
    let err = sb.run(&["import", "auth0", "broken.json"]).failure();
    assert!(err.contains("not closed"), "{err}");
}

#[test]
fn import_auth0_brings_authenticator_apps_from_mfa_factors() {
    let sb = Sandbox::new();
    let bcrypt = "$2b$04$izr3Y8VkduI0U1roxybM7eQ5zksgpVNSi.Mj0hjaguAUFPzBwMRXe";
    sb.write(
        "users.json",
        &format!(
            "[{{\"email\": \"eve@example.com\", \"password_hash\": \"{bcrypt}\", \"mfa_factors\": [{{\"totp\": {{\"secret\": \"JBSWY3DPEHPK3PXP\"}}}}, {{\"phone\": {{\"value\": \"+15555550100\"}}}}]}}]"
        ),
    );
    let out = sb.run(&["import", "auth0", "users.json"]);
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert!(
        out.stderr
            .contains("1 users were imported with their authenticator app"),
        "{out:#?}"
    );
    assert!(
        out.stderr
            .contains("1 users had mfa_factors that were not imported"),
        "{out:#?}"
    );
    let listed = sb
        .run(&["users", "factors", "eve@example.com", "--json"])
        .json();
    let factors = listed["factors"].as_array().unwrap();
    assert_eq!(factors.len(), 1, "{listed}");
    assert_eq!(factors[0]["type"], "totp", "{listed}");
    assert!(!listed.to_string().contains("JBSWY3DPEHPK3PXP"), "{listed}");
}
