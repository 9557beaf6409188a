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

/// One mail: paragraphs of text, then buttons (label, link). Its plain-text and HTML bodies
/// (which say the same) are made when it is queued, with the tenant's branding
/// ([`Message::html`]).
fn compose(
    lang: Lang,
    to: &str,
    subject: &str,
    paragraphs: &[String],
    links: &[(&str, &str)],
) -> Message {
    Message {
        to: to.to_owned(),
        subject: subject.to_owned(),
        lang,
        paragraphs: paragraphs.to_vec(),
        links: links
            .iter()
            .map(|(label, link)| ((*label).to_owned(), (*link).to_owned()))
            .collect(),
    }
}

/// The button colour when the configuration sets no `primary_color`.
pub const DEFAULT_BUTTON_COLOR: &str = "#3b4cca";

/// What of the hosted pages' branding a mail shows: the product name (and the logo, when
/// configured) above the text, and the primary colour on its buttons.
#[derive(Debug, Clone, Default)]
pub struct MailBrand<'a> {
    pub product: &'a str,
    /// A `#rrggbb` colour (the configuration checks it).
    pub primary_color: Option<&'a str>,
    pub logo_url: Option<&'a str>,
}

impl<'a> MailBrand<'a> {
    pub fn of(config: &'a crate::config::ProviderConfig) -> Self {
        MailBrand {
            product: &config.product_name,
            primary_color: config.primary_color.as_deref(),
            logo_url: config.logo_url.as_deref(),
        }
    }
}

impl Message {
    /// The plain-text body.
    pub fn text(&self) -> String {
        let mut text = String::new();
        for p in &self.paragraphs {
            text.push_str(p);
            text.push_str("\n\n");
        }
        for (label, link) in &self.links {
            text.push_str(&format!("{label}:\n{link}\n\n"));
        }
        text.push_str(self.lang.text("mail.footer"));
        text.push('\n');
        text
    }

    /// The HTML body, with `brand`. Every value is escaped; a colour that is not `#rrggbb` is
    /// never put into the style (the default is used).
    pub fn html(&self, brand: &MailBrand<'_>) -> String {
        let color = brand
            .primary_color
            .filter(|c| {
                c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
            })
            .unwrap_or(DEFAULT_BUTTON_COLOR);
        let mut html = format!(
            "<!doctype html><html lang=\"{}\"><body style=\"font-family:system-ui,sans-serif;color:#1f2330;max-width:36rem\">",
            self.lang.code()
        );
        match brand.logo_url {
            Some(logo) => html.push_str(&format!(
                "<p><img src=\"{}\" alt=\"{}\" height=\"32\" style=\"height:32px\"></p>",
                escape(logo),
                escape(brand.product)
            )),
            None if !brand.product.is_empty() => html.push_str(&format!(
                "<p style=\"font-weight:600;font-size:1.1em;color:{color}\">{}</p>",
                escape(brand.product)
            )),
            None => {}
        }
        for p in &self.paragraphs {
            html.push_str(&format!("<p>{}</p>", escape(p)));
        }
        for (label, link) in &self.links {
            html.push_str(&format!(
                "<p><a href=\"{}\" style=\"display:inline-block;padding:.6rem 1rem;background:{color};color:#fff;border-radius:6px;text-decoration:none\">{}</a></p>",
                escape(link),
                escape(label)
            ));
        }
        html.push_str(&format!(
            "<p style=\"color:#5b6170;font-size:.9em\">{}</p></body></html>",
            escape(self.lang.text("mail.footer"))
        ));
        html
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
        let html = m.html(&MailBrand {
            product: "Acme <b>",
            ..MailBrand::default()
        });
        assert!(html.contains("Acme &lt;b&gt;"));
        assert!(html.contains("a=1&amp;b=&quot;2&quot;"));
        assert!(!html.contains("<b>"));
        assert!(m.text().contains("https://id.example/u/x?a=1&b=\"2\""));
        assert!(m.text().contains("123456") && html.contains("123456"));
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
        assert!(m.text().contains("in 60 Minuten ab"));
        assert!(
            m.html(&MailBrand::default())
                .starts_with("<!doctype html><html lang=\"de\">")
        );
        let m = confirm_signup(
            Lang::Es,
            "Acme",
            "ada@example.com",
            "https://x",
            "123456",
            24,
        );
        assert!(
            m.text().contains("Su código de verificación es 123456"),
            "{}",
            m.text()
        );
        let m = password_changed(Lang::En, "Acme", "ada@example.com", "https://x");
        assert_eq!(m.subject, "Your Acme password was changed");
    }

    #[test]
    fn the_html_body_carries_the_brand() {
        let m = password_changed(Lang::En, "Acme", "ada@example.com", "https://x");
        let plain = m.html(&MailBrand {
            product: "Acme",
            ..MailBrand::default()
        });
        assert!(plain.contains(&format!("background:{DEFAULT_BUTTON_COLOR}")));
        assert!(plain.contains(">Acme</p>"), "{plain}");
        let branded = m.html(&MailBrand {
            product: "Acme",
            primary_color: Some("#0a7d4f"),
            logo_url: Some("https://cdn.acme.example/logo.svg?a=1&b=2"),
        });
        assert!(branded.contains("background:#0a7d4f"), "{branded}");
        assert!(!branded.contains(DEFAULT_BUTTON_COLOR));
        assert!(
            branded.contains(
                "<img src=\"https://cdn.acme.example/logo.svg?a=1&amp;b=2\" alt=\"Acme\""
            )
        );
        // Only a #rrggbb colour reaches the style attribute.
        let hostile = m.html(&MailBrand {
            product: "Acme",
            primary_color: Some("red;background:url(https://evil.example)"),
            logo_url: None,
        });
        assert!(!hostile.contains("evil"), "{hostile}");
        assert!(hostile.contains(DEFAULT_BUTTON_COLOR));
    }
}
