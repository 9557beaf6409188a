//! The mails Portcullis sends, in plain text and HTML. Every value put into HTML is escaped.

use super::Message;

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
fn compose(to: &str, subject: &str, paragraphs: &[String], links: &[(&str, &str)]) -> Message {
    let mut text = String::new();
    let mut html = String::from(
        "<!doctype html><html><body style=\"font-family:system-ui,sans-serif;color:#1f2330;max-width:36rem\">",
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
    let footer = "If you did not ask for this, you can ignore this message.";
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
pub fn confirm_signup(product: &str, to: &str, link: &str, code: &str, hours: i64) -> Message {
    compose(
        to,
        // Not the code: subjects show in queue listings and notifications.
        &format!("Confirm your email address for {product}"),
        &[
            format!(
                "Welcome! Confirm your email address to finish creating your {product} account."
            ),
            format!(
                "Your verification code is {code}. Type it on the page where you signed up, or open the link below. Both work once and expire in {hours} hours."
            ),
        ],
        &[("Confirm my email address", link)],
    )
}

/// Sent instead of a confirmation when the address already has an account: nothing about the
/// account changes, and the page the visitor saw was the same.
pub fn signup_for_existing_account(product: &str, to: &str, sign_in: &str, reset: &str) -> Message {
    compose(
        to,
        &format!("Someone tried to create a {product} account with your email"),
        &[
            format!(
                "Someone, probably you, tried to create a new {product} account with this email address. You already have an account, so nothing was changed."
            ),
            "If it was you, sign in instead, or reset your password if you forgot it.".to_owned(),
        ],
        &[("Sign in", sign_in), ("Reset my password", reset)],
    )
}

/// A link to choose a new password.
pub fn reset_password(product: &str, to: &str, link: &str, minutes: i64) -> Message {
    compose(
        to,
        &format!("Reset your {product} password"),
        &[
            format!(
                "Someone asked to reset the password of the {product} account of this email address."
            ),
            format!(
                "Open the link below to choose a new password. It works once and expires in {minutes} minutes."
            ),
        ],
        &[("Choose a new password", link)],
    )
}

/// Tells the owner their password changed (and every session was signed out).
pub fn password_changed(product: &str, to: &str, reset: &str) -> Message {
    compose(
        to,
        &format!("Your {product} password was changed"),
        &[
            format!(
                "The password of your {product} account was just changed, and every device signed in to it was signed out."
            ),
            "If this was not you, reset your password now.".to_owned(),
        ],
        &[("Reset my password", reset)],
    )
}

/// A link to confirm the address of an existing account.
pub fn verify_email(product: &str, to: &str, link: &str, days: i64) -> Message {
    compose(
        to,
        &format!("Confirm your email address for {product}"),
        &[format!(
            "Confirm that this email address belongs to your {product} account. The link works once and expires in {days} days."
        )],
        &[("Confirm my email address", link)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_in_html_and_kept_in_text() {
        let m = confirm_signup(
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
}
