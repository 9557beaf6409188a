//! Development delivery: each mail becomes `<data_dir>/outbox/<mail id>.eml` (mode 0600, in a
//! 0700 folder) and its links are logged, so sign-up and reset work without a mail server.

use anyhow::Context as _;
use async_trait::async_trait;
use lettre::message::Mailbox;
use portcullis_core::mail::MailTransport;
use portcullis_store::OutgoingMail;
use std::path::{Path, PathBuf};

pub struct Outbox {
    dir: PathBuf,
    from: Mailbox,
}

impl Outbox {
    /// Creates the folder (0700) if it is missing.
    pub fn new(dir: PathBuf, from: Mailbox) -> anyhow::Result<Outbox> {
        create_private_dir(&dir)
            .with_context(|| format!("creating the mail outbox {}", dir.display()))?;
        Ok(Outbox { dir, from })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Writes `bytes` to a new file readable only by its owner (replacing an earlier copy).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[async_trait]
impl MailTransport for Outbox {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), String> {
        let bytes = super::compose(mail, &self.from)?.formatted();
        // Queue ids are `mail_` and letters/digits; anything else is not used as a file name.
        let name = mail
            .mail_id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect::<String>();
        let path = self.dir.join(format!("{name}.eml"));
        let dir = self.dir.clone();
        let target = path.clone();
        tokio::task::spawn_blocking(move || {
            create_private_dir(&dir)?;
            write_private(&target, &bytes)
        })
        .await
        .map_err(|e| format!("outbox: {e}"))?
        .map_err(|e| format!("outbox: writing {}: {e}", path.display()))?;
        let links = super::links(&mail.text_body);
        if links.is_empty() {
            tracing::info!(mail_id = %mail.mail_id, to = %mail.to, path = %path.display(), "mail written to the outbox");
        }
        for link in links {
            tracing::info!(mail_id = %mail.mail_id, to = %mail.to, path = %path.display(), link = %link, "mail written to the outbox");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writes_a_private_eml_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("outbox");
        let outbox = Outbox::new(dir.clone(), "no-reply@localhost".parse().unwrap()).unwrap();
        let mail = OutgoingMail {
            mail_id: "mail_1/../x".into(),
            to: "ada@example.com".into(),
            subject: "Verify".into(),
            text_body: "Open http://localhost:4000/u/verify?t=abc\n".into(),
            html_body: "<p>Open</p>".into(),
            created_at: 0,
            attempts: 0,
            next_attempt_at: 0,
            sent_at: None,
            last_error: None,
        };
        outbox.send(&mail).await.unwrap();
        let path = dir.join("mail_1x.eml");
        let raw = std::fs::read_to_string(&path).unwrap();
        assert!(raw.contains("To: ada@example.com"), "{raw}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dir), 0o700);
            assert_eq!(mode(&path), 0o600);
        }
    }
}
