//! Sending through an SMTP server with `lettre`: plain (loopback only), STARTTLS required, or
//! implicit TLS, with the credentials of the URL.

use super::settings::{Security, SmtpUrl};
use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use portcullis_core::mail::MailTransport;
use portcullis_store::OutgoingMail;
use std::time::Duration;

/// How long one SMTP conversation may take before the attempt counts as failed.
const TIMEOUT: Duration = Duration::from_secs(30);

pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Smtp {
    /// Fails only when the TLS settings cannot be built for the host.
    pub fn new(url: &SmtpUrl, from: Mailbox) -> anyhow::Result<Smtp> {
        type T = AsyncSmtpTransport<Tokio1Executor>;
        let builder = match url.security {
            Security::None => T::builder_dangerous(url.host.as_str()),
            Security::StartTls => T::starttls_relay(&url.host)?,
            Security::Implicit => T::relay(&url.host)?,
        };
        let mut builder = builder.port(url.port).timeout(Some(TIMEOUT));
        if let Some((user, password)) = &url.credentials {
            builder =
                builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()));
        }
        Ok(Smtp {
            transport: builder.build(),
            from,
        })
    }
}

#[async_trait]
impl MailTransport for Smtp {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), String> {
        let message = super::compose(mail, &self.from)?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("SMTP: {e}"))
    }
}
