//! "Account blocked after failed sign-ins" (issue #9) through a real SMTP server: the failure
//! that locks the account out mails its owner once, with a link that works once and lifts the
//! lockout; a later lockout mails again.

use super::super::flows::{PASSWORD, apply_tenant, sign_in};
use super::servers::smtp_server;
use super::{eventually, files, serve, settings, stop, unfold};
use crate::cli::flows::Failure;
use crate::cli::support::Sandbox;
use portcullis_testkit::{browser, hidden};
use reqwest::StatusCode;

/// The unblock link of a raw message, pointed at `base` (the issuer says `localhost`).
fn unblock_link(raw: &str, base: &str) -> String {
    let start = raw.find("/u/unblock?token=").expect("an unblock link");
    let path: String = raw[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "/?=_-".contains(*c))
        .collect();
    format!("{base}{path}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lockout_mails_one_unblock_link_that_lifts_it_once() {
    let sb = Sandbox::new();
    let smtp_port = super::free_port();
    let maildir = sb.path().join("maildir");
    let _smtp = smtp_server(smtp_port, &maildir).await;
    let smtp_url = format!("smtp://127.0.0.1:{smtp_port}");
    let env = settings(&[
        ("PORTCULLIS_SMTP_URL", &smtp_url),
        ("PORTCULLIS_MAX_FAILED_LOGINS", "3"),
    ]);
    apply_tenant(&sb, &[]);
    let server = serve(&sb, &env).await;
    let base = format!("http://{}", env[0].1);

    // Three failures lock ada out from this address; the right password is refused now.
    for _ in 0..3 {
        assert_eq!(
            sign_in(&base, "wrong password").await,
            Err(Failure::Status(401))
        );
    }
    assert_eq!(sign_in(&base, PASSWORD).await, Err(Failure::Status(429)));
    let received = eventually(30, "the lockout mail", || files(&maildir.join("new")).pop()).await;
    let raw = unfold(&std::fs::read_to_string(received).unwrap());
    assert!(raw.contains("To: ada@example.com"), "{raw}");
    assert!(
        raw.contains("Subject: Sign-in to your Portcullis account was blocked"),
        "{raw}"
    );
    assert!(raw.contains("After 3 failed attempts in a row"), "{raw}");
    let link = unblock_link(&raw, &base);
    // More refused attempts during the same lockout send nothing more.
    assert_eq!(
        sign_in(&base, "wrong again").await,
        Err(Failure::Status(429))
    );

    // The link opens a page; only its button unblocks.
    let b = browser();
    let r = b.get(&link).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("ada@example.com"), "{html}");
    assert_eq!(
        sign_in(&base, PASSWORD).await,
        Err(Failure::Status(429)),
        "a GET changes nothing"
    );
    let form = [
        ("token", hidden(&html, "token")),
        ("csrf", hidden(&html, "csrf")),
    ];
    let r = b
        .post(format!("{base}/u/unblock"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("You can sign in to ada@example.com again.")
    );
    assert!(sign_in(&base, PASSWORD).await.is_ok(), "unblocked");

    // Used once.
    let r = b
        .post(format!("{base}/u/unblock"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = b.get(&link).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = b
        .get(format!("{base}/u/unblock?token=forged"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        files(&maildir.join("new")).len(),
        1,
        "one mail for that lockout"
    );

    // A new lockout mails a new link.
    for _ in 0..3 {
        assert_eq!(
            sign_in(&base, "wrong password").await,
            Err(Failure::Status(401))
        );
    }
    let second = eventually(30, "the second lockout mail", || {
        let all = files(&maildir.join("new"));
        (all.len() == 2).then_some(all)
    })
    .await;
    let links: Vec<String> = second
        .iter()
        .map(|f| unblock_link(&unfold(&std::fs::read_to_string(f).unwrap()), &base))
        .collect();
    assert_ne!(links[0], links[1]);
    stop(server);
}
