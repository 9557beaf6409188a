//! Outgoing mail. Requests never send: they put a [`Message`] in the shared queue
//! ([`enqueue`]), and a worker on any replica delivers what is due ([`deliver_due`]) through a
//! [`MailTransport`] (SMTP, or `.eml` files in development), retrying with backoff, so a
//! restart or an SMTP outage loses no mail.

pub mod templates;

use crate::Provider;
use crate::crypto::new_id;
use crate::error::OAuthResult;
use async_trait::async_trait;
use portcullis_store::OutgoingMail;

/// A mail to send: its text, made into plain-text and HTML bodies when queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub to: String,
    pub subject: String,
    /// The language of its text.
    pub lang: crate::i18n::Lang,
    pub paragraphs: Vec<String>,
    /// Buttons: (label, link).
    pub links: Vec<(String, String)>,
}

/// Puts `message` in the queue, its bodies made with the configured branding; it is delivered
/// in the background.
pub async fn enqueue(p: &Provider, message: Message) -> OAuthResult<()> {
    let now = p.now();
    let text = message.text();
    let html = message.html(&templates::MailBrand::of(&p.config));
    p.store
        .enqueue_mail(&OutgoingMail {
            mail_id: new_id("mail"),
            to: message.to,
            subject: message.subject,
            text_body: text,
            html_body: html,
            created_at: now,
            attempts: 0,
            next_attempt_at: now,
            sent_at: None,
            last_error: None,
        })
        .await?;
    Ok(())
}

/// Delivers one mail. The error is a short reason for the logs (never the body).
#[async_trait]
pub trait MailTransport: Send + Sync {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), String>;
}

/// How long a claimed mail is reserved for the worker that claimed it.
const LEASE_SECS: i64 = 120;
/// Mails claimed per round.
const BATCH: u32 = 20;
/// Attempts before a mail is given up (about 12 hours with the backoff below).
pub const MAX_ATTEMPTS: u32 = 12;

/// Seconds to wait after the `attempts`-th failure: 30 s, doubling, at most 4 hours.
pub fn backoff(attempts: u32) -> i64 {
    let exp = attempts.saturating_sub(1).min(10);
    (30_i64 << exp).min(4 * 3600)
}

/// Claims the due mails and sends them. Returns how many were delivered. A failure is logged
/// with the recipient and the reason, never the body (which holds links and codes).
pub async fn deliver_due(p: &Provider, transport: &dyn MailTransport) -> OAuthResult<usize> {
    let now = p.now();
    let due = p.store.claim_due_mail(now, now + LEASE_SECS, BATCH).await?;
    let mut delivered = 0;
    for mail in due {
        match transport.send(&mail).await {
            Ok(()) => {
                p.store.mark_mail_sent(&mail.mail_id, p.now()).await?;
                tracing::info!(mail_id = %mail.mail_id, to = %mail.to, "mail sent");
                delivered += 1;
            }
            Err(reason) => {
                let attempts = mail.attempts + 1;
                let retry = (attempts < MAX_ATTEMPTS).then(|| p.now() + backoff(attempts));
                p.store
                    .mark_mail_failed(&mail.mail_id, &reason, retry)
                    .await?;
                if retry.is_some() {
                    tracing::warn!(mail_id = %mail.mail_id, to = %mail.to, attempts, error = %reason, "mail not sent; will retry");
                } else {
                    tracing::error!(mail_id = %mail.mail_id, to = %mail.to, attempts, error = %reason, "mail not sent; giving up");
                }
            }
        }
    }
    Ok(delivered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::fixture;
    use std::sync::Mutex;

    /// Records what it is asked to send and fails while `failing` is set.
    #[derive(Default)]
    struct Recorder {
        sent: Mutex<Vec<String>>,
        failing: Mutex<bool>,
    }

    #[async_trait]
    impl MailTransport for Recorder {
        async fn send(&self, mail: &OutgoingMail) -> Result<(), String> {
            if *self.failing.lock().unwrap() {
                return Err("connection refused".into());
            }
            self.sent.lock().unwrap().push(mail.subject.clone());
            Ok(())
        }
    }

    fn message(subject: &str) -> Message {
        Message {
            to: "ada@example.com".into(),
            subject: subject.into(),
            lang: crate::i18n::Lang::En,
            paragraphs: vec!["text".into()],
            links: Vec::new(),
        }
    }

    #[test]
    fn backoff_doubles_from_30_seconds_up_to_4_hours() {
        assert_eq!(backoff(1), 30);
        assert_eq!(backoff(2), 60);
        assert_eq!(backoff(3), 120);
        assert_eq!(backoff(11), 4 * 3600);
    }

    #[tokio::test]
    async fn queued_mail_survives_an_outage_and_is_sent_once() {
        let f = fixture().await;
        let transport = Recorder::default();
        enqueue(&f.p, message("Verify your email")).await.unwrap();
        *transport.failing.lock().unwrap() = true;
        assert_eq!(deliver_due(&f.p, &transport).await.unwrap(), 0);
        // Not due again before its backoff has passed.
        *transport.failing.lock().unwrap() = false;
        f.clock.advance(29);
        assert_eq!(deliver_due(&f.p, &transport).await.unwrap(), 0);
        f.clock.advance(LEASE_SECS);
        assert_eq!(deliver_due(&f.p, &transport).await.unwrap(), 1);
        f.clock.advance(3600);
        assert_eq!(deliver_due(&f.p, &transport).await.unwrap(), 0, "sent once");
        assert_eq!(*transport.sent.lock().unwrap(), ["Verify your email"]);
        let stored = &f.p.store.list_mail(10).await.unwrap()[0];
        assert_eq!(stored.attempts, 2);
        assert!(stored.sent_at.is_some());
    }

    #[tokio::test]
    async fn a_mail_is_given_up_after_max_attempts() {
        let f = fixture().await;
        let transport = Recorder::default();
        *transport.failing.lock().unwrap() = true;
        enqueue(&f.p, message("Reset your password")).await.unwrap();
        for _ in 0..MAX_ATTEMPTS {
            deliver_due(&f.p, &transport).await.unwrap();
            f.clock.advance(5 * 3600);
        }
        let stored = &f.p.store.list_mail(10).await.unwrap()[0];
        assert_eq!(stored.attempts, MAX_ATTEMPTS);
        assert_eq!(stored.next_attempt_at, i64::MAX, "never due again");
        assert_eq!(stored.last_error.as_deref(), Some("connection refused"));
    }
}
