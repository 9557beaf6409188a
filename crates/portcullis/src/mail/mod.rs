//! Delivering the mail queue: SMTP through `lettre`, or without `smtp_url` an outbox folder of
//! `.eml` files for development. Requests only enqueue (`portcullis_core::mail::enqueue`); the
//! [`worker`] on every replica claims due mails and hands them to the transport.

mod outbox;
mod settings;
mod smtp;

pub use settings::MailConfig;

use crate::config::Config;
use lettre::message::{Mailbox, MultiPart};
use portcullis_core::Provider;
use portcullis_core::mail::MailTransport;
use portcullis_store::OutgoingMail;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::watch;

/// How often the worker looks for due mail when the last round found none.
pub const POLL_EVERY: Duration = Duration::from_secs(2);

/// The transport the configuration asks for: SMTP with `smtp_url`, else the outbox in
/// `<data_dir>/outbox/` (created now, mode 0700).
pub fn transport(config: &Config) -> anyhow::Result<Arc<dyn MailTransport>> {
    let from = config.mail.from.clone();
    Ok(match &config.mail.smtp {
        Some(url) => {
            tracing::info!(smtp = %url, from = %from, "mail is sent through SMTP");
            Arc::new(smtp::Smtp::new(url, from)?)
        }
        None => {
            let outbox = outbox::Outbox::new(config.data_dir.join("outbox"), from)?;
            tracing::info!(
                outbox = %outbox.dir().display(),
                "no smtp_url: mail is written to the outbox and its links are logged"
            );
            Arc::new(outbox)
        }
    })
}

/// Delivers due mail until `stop` turns true: a round every [`POLL_EVERY`], or at once while
/// rounds deliver something (there may be more). A round in progress is finished, not cut;
/// what is not delivered stays in the database for the next start.
pub async fn worker(
    provider: Provider,
    transport: Arc<dyn MailTransport>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let busy = match portcullis_core::mail::deliver_due(&provider, transport.as_ref()).await {
            Ok(delivered) => delivered > 0,
            Err(e) => {
                tracing::warn!(error = %e, "mail delivery round failed");
                false
            }
        };
        if *stop.borrow() {
            break;
        }
        if !busy {
            tokio::select! {
                _ = stop.wait_for(|stopped| *stopped) => break,
                () = tokio::time::sleep(POLL_EVERY) => {}
            }
        }
    }
}

/// The mail as sent: `From`, `To`, `Subject`, a `Message-ID` made from the queue id (the same
/// on every retry), `Date` when it was queued, and a multipart/alternative body (text, HTML).
pub fn compose(mail: &OutgoingMail, from: &Mailbox) -> Result<lettre::Message, String> {
    let to = mail
        .to
        .parse::<Mailbox>()
        .map_err(|_| "the recipient is not a valid address".to_owned())?;
    let queued = SystemTime::UNIX_EPOCH
        + Duration::from_secs(u64::try_from(mail.created_at).unwrap_or_default());
    lettre::Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.clone())
        .message_id(Some(format!("<{}@{}>", mail.mail_id, from.email.domain())))
        .date(queued)
        .multipart(MultiPart::alternative_plain_html(
            mail.text_body.clone(),
            mail.html_body.clone(),
        ))
        .map_err(|e| format!("cannot build the message: {e}"))
}

/// The http(s) links of a plain-text body, in order.
pub fn links(text: &str) -> Vec<&str> {
    text.split_whitespace()
        .map(|w| w.trim_start_matches(['(', '<', '"', '\'']))
        .filter(|w| w.starts_with("https://") || w.starts_with("http://"))
        .map(|w| w.trim_end_matches(['.', ',', ';', ')', '>', '"', '\'']))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail() -> OutgoingMail {
        OutgoingMail {
            mail_id: "mail_abc".into(),
            to: "ada@example.com".into(),
            subject: "Reset your password".into(),
            text_body: "Hello.\n\nReset it:\nhttps://id.example.com/u/reset?t=XYZ\n".into(),
            html_body: "<p>Hello.</p>".into(),
            created_at: 1_700_000_000,
            attempts: 0,
            next_attempt_at: 1_700_000_000,
            sent_at: None,
            last_error: None,
        }
    }

    #[test]
    fn composed_mail_has_headers_and_both_parts() {
        let from: Mailbox = "Portcullis <no-reply@id.example.com>".parse().unwrap();
        let raw = String::from_utf8(compose(&mail(), &from).unwrap().formatted()).unwrap();
        for expected in [
            "From: Portcullis <no-reply@id.example.com>",
            "To: ada@example.com",
            "Subject: Reset your password",
            "Message-ID: <mail_abc@id.example.com>",
            "Date: Tue, 14 Nov 2023 22:13:20 +0000",
            "Content-Type: multipart/alternative",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Type: text/html; charset=utf-8",
            "https://id.example.com/u/reset?t=XYZ",
        ] {
            assert!(raw.contains(expected), "missing {expected:?} in\n{raw}");
        }
    }

    #[test]
    fn a_bad_recipient_is_an_error_without_the_body() {
        let from: Mailbox = "no-reply@id.example.com".parse().unwrap();
        let mut m = mail();
        m.to = "not an address".into();
        let e = compose(&m, &from).unwrap_err();
        assert!(!e.contains("XYZ"), "{e}");
    }

    #[test]
    fn links_are_found_in_the_text_body() {
        assert_eq!(
            links("Open https://a.example/x?t=1. Or (http://localhost:4000/y), not ftp://z"),
            ["https://a.example/x?t=1", "http://localhost:4000/y"]
        );
        assert!(links("no links here").is_empty());
    }
}
