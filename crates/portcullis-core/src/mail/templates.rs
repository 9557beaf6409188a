//! The mails Portcullis sends, in plain text and HTML. Every value put into HTML is escaped.

use super::Message;
use crate::i18n::Lang;

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One mail: paragraphs of text, then buttons (label, link). Both bodies say the same.
fn compose(
    lang: Lang,
    to: &str,
    subject: &str,
    paragraphs: &[String],
    links: &[(&str, &str)],
) -> Message {
    let mut text = String::new();
    let mut html = format!(
        "<!doctype html><html lang=\"{}\"><body style=\"font-family:system-ui,sans-serif;color:#1f2330;max-width:36rem\">",
        lang.code()
    );
    for p in paragraphs {
        text.push_str(p);
        text.push_str("\n\n");
        html.push_str(&format!("<p>{}</p>", escape(p)));
    }
    for (label, link) in links {
        text.push_str(&format!("{label}:\n{link}\n\n"));
        html.push_str(&format!(
            "<p><a href=\"{}\" style=\"display:inline-block;padding:.6rem 1rem;background:#3b4cca;color:#fff;border-radius:6px;text-decoration:none\">{}</a></p>",
            escape(link),
            escape(label)
        ));
    }
    let footer = lang.text("mail.footer");
    text.push_str(footer);
    text.push('\n');
    html.push_str(&format!(
        "<p style=\"color:#5b6170;font-size:.9em\">{}</p></body></html>",
        escape(footer)
    ));
    Message {
        to: to.to_owned(),
        subject: subject.to_owned(),
        text,
        html,
    }
}

/// Confirms a sign-up: a link and the same secret as a 6-digit code.
pub fn confirm_signup(
    lang: Lang,
    product: &str,
    to: &str,
    link: &str,
    code: &str,
    hours: i64,
) -> Message {
    let hours = hours.to_string();
    let args = [
        ("product", product),
        ("code", code),
        ("hours", hours.as_str()),
    ];
    compose(
        lang,
        to,
        // Not the code: subjects show in queue listings and notifications.
        &lang.format("mail.confirm_signup.subject", &args),
        &[
            lang.format("mail.confirm_signup.welcome", &args),
            lang.format("mail.confirm_signup.code", &args),
        ],
        &[(lang.text("mail.confirm_email.button"), link)],
    )
}

/// Sent instead of a confirmation when the address already has an account: nothing about the
/// account changes, and the page the visitor saw was the same.
pub fn signup_for_existing_account(
    lang: Lang,
    product: &str,
    to: &str,
    sign_in: &str,
    reset: &str,
) -> Message {
    let args = [("product", product)];
    compose(
        lang,
        to,
        &lang.format("mail.existing.subject", &args),
        &[
            lang.format("mail.existing.body", &args),
            lang.text("mail.existing.advice").to_owned(),
        ],
        &[
            (lang.text("mail.sign_in"), sign_in),
            (lang.text("mail.reset_button"), reset),
        ],
    )
}

/// The link that finishes adding a password to an account that had none (signed in with an
/// upstream provider or a passwordless code), proving the address.
pub fn add_password(lang: Lang, product: &str, to: &str, link: &str, minutes: i64) -> Message {
    let minutes = minutes.to_string();
    let args = [("product", product), ("minutes", minutes.as_str())];
    compose(
        lang,
        to,
        &lang.format("mail.add_password.subject", &args),
        &[
            lang.format("mail.add_password.body", &args),
            lang.text("mail.add_password.ignore").to_owned(),
        ],
        &[(lang.text("mail.add_password.button"), link)],
    )
}

/// Tells the owner of an address that another account, signed in without a password, asked to
/// add a password with it: nothing changes, and how to use both accounts.
pub fn add_password_for_existing_account(
    lang: Lang,
    product: &str,
    to: &str,
    account: &str,
) -> Message {
    let args = [("product", product)];
    compose(
        lang,
        to,
        &lang.format("mail.add_password_existing.subject", &args),
        &[
            lang.format("mail.add_password_existing.body", &args),
            lang.text("mail.add_password_existing.advice").to_owned(),
        ],
        &[(lang.text("mail.sign_in"), account)],
    )
}

/// A link to choose a new password.
pub fn reset_password(lang: Lang, product: &str, to: &str, link: &str, minutes: i64) -> Message {
    let minutes = minutes.to_string();
    let args = [("product", product), ("minutes", minutes.as_str())];
    compose(
        lang,
        to,
        &lang.format("mail.reset.subject", &args),
        &[
            lang.format("mail.reset.body", &args),
            lang.format("mail.reset.link", &args),
        ],
        &[(lang.text("mail.reset.button"), link)],
    )
}

/// Tells the owner that failed sign-ins locked their account out from one address, with a link
/// that lifts the lockout.
pub fn account_blocked(
    lang: Lang,
    product: &str,
    to: &str,
    failures: u32,
    link: &str,
    minutes: i64,
) -> Message {
    let (count, minutes) = (failures.to_string(), minutes.to_string());
    let args = [
        ("product", product),
        ("count", count.as_str()),
        ("minutes", minutes.as_str()),
    ];
    compose(
        lang,
        to,
        &lang.format("mail.blocked.subject", &args),
        &[
            lang.format("mail.blocked.body", &args),
            lang.format("mail.blocked.advice", &args),
        ],
        &[(lang.text("mail.blocked.button"), link)],
    )
}

/// Tells the owner their password changed (and every session was signed out).
pub fn password_changed(lang: Lang, product: &str, to: &str, reset: &str) -> Message {
    let args = [("product", product)];
    compose(
        lang,
        to,
        &lang.format("mail.changed.subject", &args),
        &[
            lang.format("mail.changed.body", &args),
            lang.text("mail.changed.advice").to_owned(),
        ],
        &[(lang.text("mail.reset_button"), reset)],
    )
}

/// Tells the owner a second factor (`factor`, already in `lang`) was added or removed.
pub fn factor_changed(
    lang: Lang,
    product: &str,
    to: &str,
    factor: &str,
    added: bool,
    account: &str,
) -> Message {
    let args = [("product", product), ("factor", factor)];
    let (subject, body) = if added {
        ("mail.mfa.added.subject", "mail.mfa.added.body")
    } else {
        ("mail.mfa.removed.subject", "mail.mfa.removed.body")
    };
    compose(
        lang,
        to,
        &lang.format(subject, &args),
        &[
            lang.format(body, &args),
            lang.text("mail.mfa.advice").to_owned(),
        ],
        &[(lang.text("mail.mfa.account_button"), account)],
    )
}

/// A link to confirm the address of an existing account.
pub fn verify_email(lang: Lang, product: &str, to: &str, link: &str, days: i64) -> Message {
    let days = days.to_string();
    let args = [("product", product), ("days", days.as_str())];
    compose(
        lang,
        to,
        &lang.format("mail.verify.subject", &args),
        &[lang.format("mail.verify.body", &args)],
        &[(lang.text("mail.confirm_email.button"), link)],
    )
}

/// A passwordless sign-in (Auth0's `email` connection): the 6-digit code, or the magic link.
pub fn passwordless(
    lang: Lang,
    product: &str,
    to: &str,
    code: Option<&str>,
    link: Option<&str>,
    minutes: i64,
) -> Message {
    let minutes = minutes.to_string();
    let mut args = vec![("product", product), ("minutes", minutes.as_str())];
    if let Some(code) = code {
        args.push(("code", code));
    }
    let mut paragraphs = vec![lang.format("mail.passwordless.body", &args)];
    if code.is_some() {
        paragraphs.push(lang.format("mail.passwordless.code", &args));
    }
    if link.is_some() {
        paragraphs.push(lang.format("mail.passwordless.link", &args));
    }
    paragraphs.push(lang.text("mail.passwordless.ignore").to_owned());
    let links: Vec<(&str, &str)> = link
        .map(|l| (lang.text("mail.passwordless.button"), l))
        .into_iter()
        .collect();
    compose(
        lang,
        to,
        &lang.format("mail.passwordless.subject", &args),
        &paragraphs,
        &links,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_in_html_and_kept_in_text() {
        let m = confirm_signup(
            Lang::En,
            "Acme <b>",
            "ada@example.com",
            "https://id.example/u/x?a=1&b=\"2\"",
            "123456",
            24,
        );
        assert!(m.html.contains("Acme &lt;b&gt;"));
        assert!(m.html.contains("a=1&amp;b=&quot;2&quot;"));
        assert!(!m.html.contains("<b>"));
        assert!(m.text.contains("https://id.example/u/x?a=1&b=\"2\""));
        assert!(m.text.contains("123456") && m.html.contains("123456"));
        assert!(!m.subject.contains("123456"), "no secret in the subject");
    }

    #[test]
    fn mails_speak_the_language_they_are_given() {
        let m = reset_password(
            Lang::De,
            "Acme",
            "ada@example.com",
            "https://id.example/r",
            60,
        );
        assert_eq!(m.subject, "Setzen Sie Ihr Passwort für Acme zurück");
        assert!(m.text.contains("in 60 Minuten ab"));
        assert!(m.html.starts_with("<!doctype html><html lang=\"de\">"));
        let m = confirm_signup(
            Lang::Es,
            "Acme",
            "ada@example.com",
            "https://x",
            "123456",
            24,
        );
        assert!(
            m.text.contains("Su código de verificación es 123456"),
            "{}",
            m.text
        );
        let m = password_changed(Lang::En, "Acme", "ada@example.com", "https://x");
        assert_eq!(m.subject, "Your Acme password was changed");
    }
}
