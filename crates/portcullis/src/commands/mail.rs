//! `portcullis mail …`: queue a test mail (to check an SMTP set-up end to end) and look at the
//! queue. Bodies are never printed: they hold sign-in links and codes.

use crate::cli::MailCommand;
use crate::context::Tenant;
use crate::output::{json, table, time};
use anyhow::bail;
use portcullis_core::mail::templates::escape;
use portcullis_store::OutgoingMail;
use serde_json::{Value, json as j};

pub async fn run(t: &Tenant, cmd: MailCommand, as_json: bool) -> anyhow::Result<()> {
    match cmd {
        MailCommand::Test { address } => {
            let mail = test_mail(t, address.trim())?;
            t.store().enqueue_mail(&mail).await?;
            if as_json {
                json(&j!({ "mail_id": mail.mail_id, "to": mail.to, "status": "queued" }));
            } else {
                println!("queued {} to {}", mail.mail_id, mail.to);
                eprintln!(
                    "A running server delivers it within seconds ({}); check with `portcullis mail list`.",
                    match &t.config.mail.smtp {
                        Some(url) => format!("through {url}"),
                        None => format!(
                            "no smtp_url: written to {}",
                            t.config.data_dir.join("outbox").display()
                        ),
                    }
                );
            }
        }
        MailCommand::List { limit } => {
            let mails = t.store().list_mail(limit).await?;
            if as_json {
                json(&Value::Array(mails.iter().map(view).collect()));
            } else {
                let rows = mails
                    .iter()
                    .map(|m| {
                        vec![
                            m.mail_id.clone(),
                            m.to.clone(),
                            m.subject.clone(),
                            status(m).to_owned(),
                            m.attempts.to_string(),
                            m.sent_at.map(time).unwrap_or_else(|| match status(m) {
                                "given up" => "-".to_owned(),
                                _ => format!("next {}", time(m.next_attempt_at)),
                            }),
                            m.last_error.clone().unwrap_or_default(),
                        ]
                    })
                    .collect::<Vec<_>>();
                table(
                    &[
                        "MAIL ID",
                        "TO",
                        "SUBJECT",
                        "STATUS",
                        "ATTEMPTS",
                        "WHEN",
                        "LAST ERROR",
                    ],
                    &rows,
                );
            }
        }
    }
    Ok(())
}

/// The test mail, ready to queue.
fn test_mail(t: &Tenant, address: &str) -> anyhow::Result<OutgoingMail> {
    if address.parse::<lettre::Address>().is_err() {
        bail!("{address:?} is not an email address");
    }
    let issuer = t.config.provider.issuer.as_str();
    let from = &t.config.mail.from;
    let text = format!(
        "This is a test mail from Portcullis at {issuer}, sent by `portcullis mail test`.\n\n\
         If you can read it, mail delivery works. Mails come from {from}.\n\n\
         Your provider:\n{issuer}\n"
    );
    let html = format!(
        "<!doctype html><html><body style=\"font-family:system-ui,sans-serif\">\
         <p>This is a test mail from Portcullis at {issuer_html}, sent by <code>portcullis mail test</code>.</p>\
         <p>If you can read it, mail delivery works. Mails come from {from_html}.</p>\
         <p><a href=\"{issuer_html}\">Your provider</a></p></body></html>",
        issuer_html = escape(issuer),
        from_html = escape(&from.to_string()),
    );
    let now = t.now();
    Ok(OutgoingMail {
        mail_id: portcullis_core::crypto::new_id("mail"),
        to: address.to_owned(),
        subject: "Portcullis test mail".to_owned(),
        text_body: text,
        html_body: html,
        created_at: now,
        attempts: 0,
        next_attempt_at: now,
        sent_at: None,
        last_error: None,
    })
}

/// `sent`, `queued` (never tried), `retrying` or `given up`.
fn status(m: &OutgoingMail) -> &'static str {
    match (m.sent_at, m.attempts) {
        (Some(_), _) => "sent",
        (None, _) if m.next_attempt_at == i64::MAX => "given up",
        (None, 0) => "queued",
        (None, _) => "retrying",
    }
}

fn view(m: &OutgoingMail) -> Value {
    j!({
        "mail_id": m.mail_id,
        "to": m.to,
        "subject": m.subject,
        "status": status(m),
        "attempts": m.attempts,
        "created_at": m.created_at,
        "next_attempt_at": (m.sent_at.is_none() && m.next_attempt_at != i64::MAX).then_some(m.next_attempt_at),
        "sent_at": m.sent_at,
        "last_error": m.last_error,
    })
}
