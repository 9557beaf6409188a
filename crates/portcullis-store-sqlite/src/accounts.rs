//! `EmailTokenStore` and `MailStore`.

use crate::SqliteStore;
use crate::error::Failure;
use crate::rows;
use crate::sql;
use async_trait::async_trait;
use portcullis_store::{
    EmailToken, EmailTokenPurpose, EmailTokenStore, MailStore, OutgoingMail, StoreError,
    StoreResult, UnixTime,
};
use rusqlite::{Row, params};

macro_rules! token_columns {
    () => {
        "token_id, purpose, email, user_id, token_hash, code_hash, attempts, payload, created_at, \
         expires_at"
    };
}
macro_rules! mail_columns {
    () => {
        "mail_id, recipient, subject, text_body, html_body, created_at, attempts, \
         next_attempt_at, sent_at, last_error"
    };
}

fn token(row: &Row<'_>) -> rusqlite::Result<EmailToken> {
    let purpose: String = row.get("purpose")?;
    let attempts: i64 = row.get("attempts")?;
    Ok(EmailToken {
        token_id: row.get("token_id")?,
        purpose: purpose
            .parse()
            .map_err(|e| rows::bad_text(row, "purpose", e))?,
        email: row.get("email")?,
        user_id: row.get("user_id")?,
        token_hash: row.get("token_hash")?,
        code_hash: row.get("code_hash")?,
        attempts: u32::try_from(attempts.max(0)).unwrap_or(u32::MAX),
        payload: row.get("payload")?,
        created_at: row.get("created_at")?,
        expires_at: row.get("expires_at")?,
    })
}

fn mail(row: &Row<'_>) -> rusqlite::Result<OutgoingMail> {
    let attempts: i64 = row.get("attempts")?;
    let next: Option<i64> = row.get("next_attempt_at")?;
    let sent_at: Option<i64> = row.get("sent_at")?;
    Ok(OutgoingMail {
        mail_id: row.get("mail_id")?,
        to: row.get("recipient")?,
        subject: row.get("subject")?,
        text_body: row.get("text_body")?,
        html_body: row.get("html_body")?,
        created_at: row.get("created_at")?,
        attempts: u32::try_from(attempts.max(0)).unwrap_or(u32::MAX),
        // A sent or abandoned mail has no next attempt; report it as never due.
        next_attempt_at: next.unwrap_or(i64::MAX),
        sent_at,
        last_error: row.get("last_error")?,
    })
}

#[async_trait]
impl EmailTokenStore for SqliteStore {
    async fn put_email_token(&self, t: &EmailToken) -> StoreResult<()> {
        let t = t.clone();
        self.write(move |tx| {
            sql::execute(
                tx,
                "DELETE FROM email_tokens WHERE purpose = ? AND email = ?",
                params![t.purpose.as_str(), t.email],
            )?;
            sql::execute(
                tx,
                concat!(
                    "INSERT INTO email_tokens (",
                    token_columns!(),
                    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                ),
                params![
                    t.token_id,
                    t.purpose.as_str(),
                    t.email,
                    t.user_id,
                    t.token_hash,
                    t.code_hash,
                    i64::from(t.attempts),
                    t.payload,
                    t.created_at,
                    t.expires_at,
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn get_email_token_by_hash(
        &self,
        purpose: EmailTokenPurpose,
        token_hash: &str,
    ) -> StoreResult<Option<EmailToken>> {
        let token_hash = token_hash.to_owned();
        self.read_now(move |c| {
            Ok(sql::optional(
                c,
                concat!(
                    "SELECT ",
                    token_columns!(),
                    " FROM email_tokens WHERE purpose = ? AND token_hash = ?"
                ),
                params![purpose.as_str(), token_hash],
                token,
            )?)
        })
        .await
    }

    async fn get_email_token_for(
        &self,
        purpose: EmailTokenPurpose,
        email: &str,
    ) -> StoreResult<Option<EmailToken>> {
        let email = email.to_owned();
        self.read_now(move |c| {
            Ok(sql::optional(
                c,
                concat!(
                    "SELECT ",
                    token_columns!(),
                    " FROM email_tokens WHERE purpose = ? AND email = ?"
                ),
                params![purpose.as_str(), email],
                token,
            )?)
        })
        .await
    }

    async fn count_email_token_attempt(&self, token_id: &str) -> StoreResult<u32> {
        let token_id = token_id.to_owned();
        self.write(move |tx| {
            let attempts: Option<i64> = sql::optional(
                tx,
                "UPDATE email_tokens SET attempts = attempts + 1 WHERE token_id = ? RETURNING attempts",
                params![token_id],
                |r| r.get(0),
            )?;
            match attempts {
                Some(n) => Ok(u32::try_from(n.max(0)).unwrap_or(u32::MAX)),
                None => Err(StoreError::NotFound.into()),
            }
        })
        .await
    }

    async fn take_email_token(&self, token_id: &str) -> StoreResult<bool> {
        let token_id = token_id.to_owned();
        self.write(move |tx| {
            let done = sql::execute(
                tx,
                "DELETE FROM email_tokens WHERE token_id = ?",
                params![token_id],
            )?;
            Ok(done == 1)
        })
        .await
    }

    async fn purge_expired_email_tokens(&self, now: UnixTime) -> StoreResult<u64> {
        self.write(move |tx| {
            Ok(sql::execute(
                tx,
                "DELETE FROM email_tokens WHERE expires_at <= ?",
                params![now],
            )?)
        })
        .await
    }
}

#[async_trait]
impl MailStore for SqliteStore {
    async fn enqueue_mail(&self, m: &OutgoingMail) -> StoreResult<()> {
        let m = m.clone();
        self.write(move |tx| {
            sql::execute(
                tx,
                concat!(
                    "INSERT INTO outgoing_mail (",
                    mail_columns!(),
                    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                ),
                params![
                    m.mail_id,
                    m.to,
                    m.subject,
                    m.text_body,
                    m.html_body,
                    m.created_at,
                    i64::from(m.attempts),
                    m.sent_at.is_none().then_some(m.next_attempt_at),
                    m.sent_at,
                    m.last_error,
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn claim_due_mail(
        &self,
        now: UnixTime,
        lease_until: UnixTime,
        limit: u32,
    ) -> StoreResult<Vec<OutgoingMail>> {
        // One statement: SQLite serialises writers, so two workers never claim the same mail.
        let mut mails = self
            .write(move |tx| {
                Ok(sql::all(
                    tx,
                    concat!(
                        "UPDATE outgoing_mail SET next_attempt_at = ? WHERE mail_id IN ( \
                           SELECT mail_id FROM outgoing_mail \
                           WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ? \
                           ORDER BY next_attempt_at, created_at LIMIT ?) \
                         RETURNING ",
                        mail_columns!()
                    ),
                    params![lease_until, now, i64::from(limit)],
                    mail,
                )?)
            })
            .await?;
        mails.sort_by_key(|m| (m.created_at, m.mail_id.clone()));
        Ok(mails)
    }

    async fn mark_mail_sent(&self, mail_id: &str, now: UnixTime) -> StoreResult<()> {
        let mail_id = mail_id.to_owned();
        self.write(move |tx| {
            sql::execute(
                tx,
                "UPDATE outgoing_mail SET sent_at = ?, next_attempt_at = NULL, \
                 attempts = attempts + 1, last_error = NULL WHERE mail_id = ?",
                params![now, mail_id],
            )?;
            Ok(())
        })
        .await
    }

    async fn mark_mail_failed(
        &self,
        mail_id: &str,
        error: &str,
        next_attempt_at: Option<UnixTime>,
    ) -> StoreResult<()> {
        let mail_id = mail_id.to_owned();
        let error = error.to_owned();
        self.write(move |tx| {
            sql::execute(
                tx,
                "UPDATE outgoing_mail SET attempts = attempts + 1, last_error = ?, \
                 next_attempt_at = ? WHERE mail_id = ?",
                params![error, next_attempt_at, mail_id],
            )?;
            Ok(())
        })
        .await
    }

    async fn get_mail(&self, mail_id: &str) -> StoreResult<Option<OutgoingMail>> {
        let mail_id = mail_id.to_owned();
        self.read(move |c| {
            Ok(sql::optional(
                c,
                concat!(
                    "SELECT ",
                    mail_columns!(),
                    " FROM outgoing_mail WHERE mail_id = ?"
                ),
                params![mail_id],
                mail,
            )?)
        })
        .await
    }

    async fn list_mail(&self, limit: u32) -> StoreResult<Vec<OutgoingMail>> {
        self.read(move |c| {
            Ok(sql::all(
                c,
                concat!(
                    "SELECT ",
                    mail_columns!(),
                    " FROM outgoing_mail ORDER BY created_at DESC, mail_id DESC LIMIT ?"
                ),
                params![i64::from(limit)],
                mail,
            )?)
        })
        .await
    }

    async fn purge_mail(&self, before: UnixTime) -> StoreResult<u64> {
        self.write(move |tx| {
            Ok(sql::execute(
                tx,
                "DELETE FROM outgoing_mail WHERE next_attempt_at IS NULL AND created_at < ?",
                params![before],
            )?)
        })
        .await
    }
}

fn consent(row: &Row<'_>) -> rusqlite::Result<portcullis_store::Consent> {
    let scopes: String = row.get("scopes")?;
    Ok(portcullis_store::Consent {
        user_id: row.get("user_id")?,
        client_id: row.get("client_id")?,
        scopes: serde_json::from_str(&scopes).map_err(|e| rows::bad_text(row, "scopes", e))?,
        created_at: row.get("created_at")?,
        updated_at: row.get("updated_at")?,
    })
}

#[async_trait]
impl portcullis_store::ConsentStore for SqliteStore {
    async fn get_consent(
        &self,
        user_id: &str,
        client_id: &str,
    ) -> StoreResult<Option<portcullis_store::Consent>> {
        let user_id = user_id.to_owned();
        let client_id = client_id.to_owned();
        self.read_now(move |c| {
            Ok(sql::optional(
                c,
                "SELECT user_id, client_id, scopes, created_at, updated_at FROM consents \
                 WHERE user_id = ? AND client_id = ?",
                params![user_id, client_id],
                consent,
            )?)
        })
        .await
    }

    async fn put_consent(&self, c: &portcullis_store::Consent) -> StoreResult<()> {
        let scopes = crate::rows::to_json(&c.scopes)?;
        let c = c.clone();
        self.write(move |tx| {
            sql::execute(
                tx,
                "INSERT INTO consents (user_id, client_id, scopes, created_at, updated_at) \
                 VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, client_id) DO UPDATE SET \
                 scopes = excluded.scopes, updated_at = excluded.updated_at",
                params![c.user_id, c.client_id, scopes, c.created_at, c.updated_at],
            )?;
            Ok(())
        })
        .await
    }

    async fn list_user_consents(
        &self,
        user_id: &str,
    ) -> StoreResult<Vec<portcullis_store::Consent>> {
        let user_id = user_id.to_owned();
        self.read(move |c| {
            Ok(sql::all(
                c,
                "SELECT user_id, client_id, scopes, created_at, updated_at FROM consents \
                 WHERE user_id = ? ORDER BY client_id",
                params![user_id],
                consent,
            )?)
        })
        .await
    }

    async fn delete_consent(&self, user_id: &str, client_id: &str) -> StoreResult<bool> {
        let user_id = user_id.to_owned();
        let client_id = client_id.to_owned();
        self.write(move |tx| {
            let done = sql::execute(
                tx,
                "DELETE FROM consents WHERE user_id = ? AND client_id = ?",
                params![user_id, client_id],
            )?;
            Ok(done == 1)
        })
        .await
    }
}

#[async_trait]
impl portcullis_store::SettingStore for SqliteStore {
    async fn get_setting(&self, name: &str) -> StoreResult<Option<String>> {
        let name = name.to_owned();
        self.read_now(move |c| {
            Ok(sql::optional(
                c,
                "SELECT value FROM settings WHERE name = ?",
                params![name],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn put_setting(&self, name: &str, value: &str, now: UnixTime) -> StoreResult<()> {
        let name = name.to_owned();
        let value = value.to_owned();
        self.catalog_write(self.write(move |tx| put_setting(tx, &name, &value, now)))
            .await
    }

    async fn delete_setting(&self, name: &str) -> StoreResult<bool> {
        let name = name.to_owned();
        self.catalog_write(self.write(move |tx| delete_setting(tx, &name)))
            .await
    }
}

/// `put_setting` on any connection: the one of `put_setting`'s own transaction, or the
/// transaction of `TenantStore::apply_tenant_changes`.
pub(crate) fn put_setting(
    c: &rusqlite::Connection,
    name: &str,
    value: &str,
    now: UnixTime,
) -> Result<(), Failure> {
    sql::execute(
        c,
        "INSERT INTO settings (name, value, updated_at) VALUES (?, ?, ?) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        params![name, value, now],
    )?;
    Ok(())
}

/// `delete_setting` on any connection: the one of `delete_setting`'s own transaction, or the
/// transaction of `TenantStore::apply_tenant_changes`.
pub(crate) fn delete_setting(c: &rusqlite::Connection, name: &str) -> Result<bool, Failure> {
    let done = sql::execute(c, "DELETE FROM settings WHERE name = ?", params![name])?;
    Ok(done == 1)
}
