use super::*;

fn parse(text: &str) -> SmtpUrl {
    SmtpUrl::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn refuse(text: &str) -> String {
    match SmtpUrl::parse(text) {
        Ok(url) => panic!("{text} was accepted as {url}"),
        Err(e) => e,
    }
}

/// (url, security, host, port, credentials)
type Case = (
    &'static str,
    Security,
    &'static str,
    u16,
    Option<(&'static str, &'static str)>,
);

#[test]
fn every_accepted_form() {
    let cases: &[Case] = &[
        (
            "smtp://127.0.0.1:2525",
            Security::None,
            "127.0.0.1",
            2525,
            None,
        ),
        ("smtp://localhost", Security::None, "localhost", 25, None),
        (
            "smtp://LOCALHOST:25/",
            Security::None,
            "LOCALHOST",
            25,
            None,
        ),
        (
            "smtp://127.8.9.10:25",
            Security::None,
            "127.8.9.10",
            25,
            None,
        ),
        ("smtp://[::1]:1025", Security::None, "::1", 1025, None),
        (
            "smtp://mail.example.com?tls=starttls",
            Security::StartTls,
            "mail.example.com",
            587,
            None,
        ),
        (
            "smtp://u:p@mail.example.com:25?tls=starttls",
            Security::StartTls,
            "mail.example.com",
            25,
            Some(("u", "p")),
        ),
        (
            "smtps://user:pass@smtp.example.com:465",
            Security::Implicit,
            "smtp.example.com",
            465,
            Some(("user", "pass")),
        ),
        (
            "smtps://smtp.example.com",
            Security::Implicit,
            "smtp.example.com",
            465,
            None,
        ),
        (
            // Userinfo is percent-decoded: an @ in the user, a / : and % in the password.
            "smtps://apikey%40example.com:s3%2Fcr%3Aet%25@smtp.example.com:465",
            Security::Implicit,
            "smtp.example.com",
            465,
            Some(("apikey@example.com", "s3/cr:et%")),
        ),
        (
            " smtp://127.0.0.1:25 ",
            Security::None,
            "127.0.0.1",
            25,
            None,
        ),
    ];
    for (text, security, host, port, credentials) in cases {
        let url = parse(text);
        assert_eq!(url.security, *security, "{text}");
        assert_eq!(url.host, *host, "{text}");
        assert_eq!(url.port, *port, "{text}");
        let got = url
            .credentials
            .as_ref()
            .map(|(u, p)| (u.as_str(), p.expose()));
        assert_eq!(got, *credentials, "{text}");
    }
}

#[test]
fn plain_smtp_only_on_loopback() {
    for text in [
        "smtp://mail.example.com:25",
        "smtp://10.0.0.5:25",
        "smtp://[2001:db8::1]:25",
        "smtp://localhost.example.com:25",
        "smtp://0.0.0.0:25",
    ] {
        let e = refuse(text);
        assert!(e.contains("without TLS"), "{text}: {e}");
        assert!(e.contains("tls=starttls"), "{text}: the fix is named: {e}");
    }
}

#[test]
fn bad_schemes_parameters_and_shapes_are_refused() {
    for (text, expected) in [
        ("http://127.0.0.1:25", "scheme \"http\""),
        ("smtp+tls://mail.example.com", "scheme"),
        ("mail.example.com:25", "scheme"),
        ("not a url", "not a URL"),
        ("smtp://127.0.0.1:25?tls=none", "tls=\"none\""),
        ("smtp://127.0.0.1:25?tls=STARTTLS", "tls=\"STARTTLS\""),
        ("smtps://mail.example.com?tls=starttls", "always uses TLS"),
        ("smtp://127.0.0.1:25?ssl=1", "unknown parameter \"ssl\""),
        ("smtp://127.0.0.1:25/queue", "path"),
        ("smtp://127.0.0.1:25#x", "fragment"),
        ("smtp://:25", "empty host"),
        ("smtp:", "no host"),
        ("smtps://user@mail.example.com", "no password"),
        ("smtps://:secret@mail.example.com", "no user name"),
        ("smtp://127.0.0.1:99999", "not a URL"),
    ] {
        let e = refuse(text);
        assert!(e.contains(expected), "{text}: {e}");
    }
}

#[test]
fn errors_and_printing_never_show_the_password() {
    let secret = "hunter2-very-secret";
    for text in [
        format!("ftp://user:{secret}@mail.example.com"),
        format!("smtp://user:{secret}@mail.example.com:25"),
        format!("smtps://user:{secret}@mail.example.com?x=1"),
        format!("smtps://user:{secret}@mail.example.com/path"),
    ] {
        let e = refuse(&text);
        assert!(!e.contains(secret), "{e}");
    }
    let url = parse(&format!("smtps://user:{secret}@mail.example.com"));
    assert_eq!(
        url.to_string(),
        "smtps://user:<redacted>@mail.example.com:465"
    );
    assert!(!format!("{url:?}").contains(secret));
    assert_eq!(
        parse("smtp://[::1]:25?tls=starttls").to_string(),
        "smtp://[::1]:25?tls=starttls"
    );

    let setting = SecretString::new(format!("smtps://user:{secret}@mail.example.com"));
    let config = MailConfig::from_settings(Some(&setting), None, None);
    assert!(config.is_err(), "no issuer, no default sender");
    let issuer = Issuer::parse("https://id.example.com/").unwrap();
    let config = MailConfig::from_settings(Some(&setting), None, Some(&issuer)).unwrap();
    let debug = format!("{config:?}");
    assert!(!debug.contains(secret), "{debug}");
    assert!(debug.contains("<redacted>"), "{debug}");
}

#[test]
fn mail_from_defaults_to_the_issuer_host_and_is_validated() {
    let cases = [
        ("https://id.example.com/", "no-reply@id.example.com"),
        ("http://localhost:4000/", "no-reply@localhost"),
        ("http://127.0.0.1:4000/", "no-reply@127.0.0.1"),
    ];
    for (issuer, expected) in cases {
        let issuer = Issuer::parse(issuer).unwrap();
        let config = MailConfig::from_settings(None, None, Some(&issuer)).unwrap();
        assert_eq!(config.from.email.to_string(), expected);
        assert_eq!(config.from.name.as_deref(), Some("Portcullis"));
        assert!(config.smtp.is_none());
    }
    let issuer = Issuer::parse("https://id.example.com/").unwrap();
    let config =
        MailConfig::from_settings(None, Some("Acme Login <login@acme.test>"), Some(&issuer))
            .unwrap();
    assert_eq!(config.from.to_string(), "Acme Login <login@acme.test>");

    let problems = MailConfig::from_settings(
        Some(&SecretString::new("smtp://mail.example.com".into())),
        Some("not an address"),
        Some(&issuer),
    )
    .unwrap_err();
    let keys: Vec<&str> = problems.iter().map(|(k, _)| *k).collect();
    assert_eq!(keys, ["smtp_url", "mail_from"], "both reported at once");
    // An empty smtp_url (e.g. PORTCULLIS_SMTP_URL=) means the outbox.
    let empty = SecretString::new(String::new());
    assert!(
        MailConfig::from_settings(Some(&empty), None, Some(&issuer))
            .unwrap()
            .smtp
            .is_none()
    );
}
