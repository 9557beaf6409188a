//! `EmailTokenStore` and `MailStore`.

use crate::PostgresStore;
use crate::error::db;
use async_trait::async_trait;
use portcullis_store::{
    EmailToken, EmailTokenPurpose, EmailTokenStore, MailStore, OutgoingMail, StoreError,
    StoreResult, UnixTime,
};
use sqlx::Row;
use sqlx::postgres::PgRow;

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

fn token(row: &PgRow) -> StoreResult<EmailToken> {
    let purpose: String = row.try_get("purpose").map_err(StoreError::backend)?;
    let attempts: i64 = row.try_get("attempts").map_err(StoreError::backend)?;
    Ok(EmailToken {
        token_id: row.try_get("token_id").map_err(StoreError::backend)?,
        purpose: purpose.parse().map_err(StoreError::backend)?,
        email: row.try_get("email").map_err(StoreError::backend)?,
        user_id: row.try_get("user_id").map_err(StoreError::backend)?,
        token_hash: row.try_get("token_hash").map_err(StoreError::backend)?,
        code_hash: row.try_get("code_hash").map_err(StoreError::backend)?,
        attempts: u32::try_from(attempts.max(0)).unwrap_or(u32::MAX),
        payload: row.try_get("payload").map_err(StoreError::backend)?,
        created_at: row.try_get("created_at").map_err(StoreError::backend)?,
        expires_at: row.try_get("expires_at").map_err(StoreError::backend)?,
    })
}

fn mail(row: &PgRow) -> StoreResult<OutgoingMail> {
    let attempts: i64 = row.try_get("attempts").map_err(StoreError::backend)?;
    let next: Option<i64> = row
        .try_get("next_attempt_at")
        .map_err(StoreError::backend)?;
    let sent_at: Option<i64> = row.try_get("sent_at").map_err(StoreError::backend)?;
    Ok(OutgoingMail {
        mail_id: row.try_get("mail_id").map_err(StoreError::backend)?,
        to: row.try_get("recipient").map_err(StoreError::backend)?,
        subject: row.try_get("subject").map_err(StoreError::backend)?,
        text_body: row.try_get("text_body").map_err(StoreError::backend)?,
        html_body: row.try_get("html_body").map_err(StoreError::backend)?,
        created_at: row.try_get("created_at").map_err(StoreError::backend)?,
        attempts: u32::try_from(attempts.max(0)).unwrap_or(u32::MAX),
        // A sent or abandoned mail has no next attempt; report it as never due.
        next_attempt_at: next.unwrap_or(i64::MAX),
        sent_at,
        last_error: row.try_get("last_error").map_err(StoreError::backend)?,
    })
}

#[async_trait]
impl EmailTokenStore for PostgresStore {
    async fn put_email_token(&self, t: &EmailToken) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM email_tokens WHERE purpose = $1 AND email = $2")
            .bind(t.purpose.as_str())
            .bind(&t.email)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query(concat!(
            "INSERT INTO email_tokens (",
            token_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(&t.token_id)
        .bind(t.purpose.as_str())
        .bind(&t.email)
        .bind(&t.user_id)
        .bind(&t.token_hash)
        .bind(&t.code_hash)
        .bind(i64::from(t.attempts))
        .bind(&t.payload)
        .bind(t.created_at)
        .bind(t.expires_at)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn get_email_token_by_hash(
        &self,
        purpose: EmailTokenPurpose,
        token_hash: &str,
    ) -> StoreResult<Option<EmailToken>> {
        if crate::unstorable(token_hash) {
            return Ok(None);
        }
        let row = sqlx::query(concat!(
            "SELECT ",
            token_columns!(),
            " FROM email_tokens WHERE purpose = $1 AND token_hash = $2"
        ))
        .bind(purpose.as_str())
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(token).transpose()
    }

    async fn get_email_token_for(
        &self,
        purpose: EmailTokenPurpose,
        email: &str,
    ) -> StoreResult<Option<EmailToken>> {
        if crate::unstorable(email) {
            return Ok(None);
        }
        let row = sqlx::query(concat!(
            "SELECT ",
            token_columns!(),
            " FROM email_tokens WHERE purpose = $1 AND email = $2"
        ))
        .bind(purpose.as_str())
        .bind(email)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(token).transpose()
    }

    async fn count_email_token_attempt(&self, token_id: &str) -> StoreResult<u32> {
        let attempts: Option<i64> = sqlx::query_scalar(
            "UPDATE email_tokens SET attempts = attempts + 1 WHERE token_id = $1 RETURNING attempts",
        )
        .bind(token_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        match attempts {
            Some(n) => Ok(u32::try_from(n.max(0)).unwrap_or(u32::MAX)),
            None => Err(StoreError::NotFound),
        }
    }

    async fn take_email_token(&self, token_id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM email_tokens WHERE token_id = $1")
            .bind(token_id)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn purge_expired_email_tokens(&self, now: UnixTime) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM email_tokens WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected())
    }
}

#[async_trait]
impl MailStore for PostgresStore {
    async fn enqueue_mail(&self, m: &OutgoingMail) -> StoreResult<()> {
        sqlx::query(concat!(
            "INSERT INTO outgoing_mail (",
            mail_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(&m.mail_id)
        .bind(&m.to)
        .bind(&m.subject)
        .bind(&m.text_body)
        .bind(&m.html_body)
        .bind(m.created_at)
        .bind(i64::from(m.attempts))
        .bind(m.sent_at.is_none().then_some(m.next_attempt_at))
        .bind(m.sent_at)
        .bind(&m.last_error)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn claim_due_mail(
        &self,
        now: UnixTime,
        lease_until: UnixTime,
        limit: u32,
    ) -> StoreResult<Vec<OutgoingMail>> {
        // One statement; `FOR UPDATE SKIP LOCKED` keeps two workers (on two replicas) from
        // claiming the same mail under READ COMMITTED.
        let rows = sqlx::query(concat!(
            "UPDATE outgoing_mail SET next_attempt_at = $1 WHERE mail_id IN ( \
               SELECT mail_id FROM outgoing_mail \
               WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= $2 \
               ORDER BY next_attempt_at, created_at LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING ",
            mail_columns!()
        ))
        .bind(lease_until)
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let mut mails = rows.iter().map(mail).collect::<StoreResult<Vec<_>>>()?;
        mails.sort_by_key(|m| (m.created_at, m.mail_id.clone()));
        Ok(mails)
    }

    async fn mark_mail_sent(&self, mail_id: &str, now: UnixTime) -> StoreResult<()> {
        sqlx::query(
            "UPDATE outgoing_mail SET sent_at = $1, next_attempt_at = NULL, \
             attempts = attempts + 1, last_error = NULL WHERE mail_id = $2",
        )
        .bind(now)
        .bind(mail_id)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn mark_mail_failed(
        &self,
        mail_id: &str,
        error: &str,
        next_attempt_at: Option<UnixTime>,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE outgoing_mail SET attempts = attempts + 1, last_error = $1, \
             next_attempt_at = $2 WHERE mail_id = $3",
        )
        .bind(error)
        .bind(next_attempt_at)
        .bind(mail_id)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn get_mail(&self, mail_id: &str) -> StoreResult<Option<OutgoingMail>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            mail_columns!(),
            " FROM outgoing_mail WHERE mail_id = $1"
        ))
        .bind(mail_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(mail).transpose()
    }

    async fn list_mail(&self, limit: u32) -> StoreResult<Vec<OutgoingMail>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            mail_columns!(),
            " FROM outgoing_mail ORDER BY created_at DESC, mail_id DESC LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(mail).collect()
    }

    async fn purge_mail(&self, before: UnixTime) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM outgoing_mail WHERE next_attempt_at IS NULL AND created_at < $1",
        )
        .bind(before)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(done.rows_affected())
    }
}

fn consent(row: &PgRow) -> StoreResult<portcullis_store::Consent> {
    let scopes: String = row.try_get("scopes").map_err(StoreError::backend)?;
    Ok(portcullis_store::Consent {
        user_id: row.try_get("user_id").map_err(StoreError::backend)?,
        client_id: row.try_get("client_id").map_err(StoreError::backend)?,
        scopes: serde_json::from_str(&scopes).map_err(StoreError::backend)?,
        created_at: row.try_get("created_at").map_err(StoreError::backend)?,
        updated_at: row.try_get("updated_at").map_err(StoreError::backend)?,
    })
}

#[async_trait]
impl portcullis_store::ConsentStore for PostgresStore {
    async fn get_consent(
        &self,
        user_id: &str,
        client_id: &str,
    ) -> StoreResult<Option<portcullis_store::Consent>> {
        let row = sqlx::query(
            "SELECT user_id, client_id, scopes, created_at, updated_at FROM consents \
             WHERE user_id = $1 AND client_id = $2",
        )
        .bind(user_id)
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(consent).transpose()
    }

    async fn put_consent(&self, c: &portcullis_store::Consent) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO consents (user_id, client_id, scopes, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, client_id) DO UPDATE SET \
             scopes = excluded.scopes, updated_at = excluded.updated_at",
        )
        .bind(&c.user_id)
        .bind(&c.client_id)
        .bind(crate::rows::to_json(&c.scopes)?)
        .bind(c.created_at)
        .bind(c.updated_at)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn list_user_consents(
        &self,
        user_id: &str,
    ) -> StoreResult<Vec<portcullis_store::Consent>> {
        let rows = sqlx::query(
            "SELECT user_id, client_id, scopes, created_at, updated_at FROM consents \
             WHERE user_id = $1 ORDER BY client_id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(consent).collect()
    }

    async fn delete_consent(&self, user_id: &str, client_id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM consents WHERE user_id = $1 AND client_id = $2")
            .bind(user_id)
            .bind(client_id)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }
}

#[async_trait]
impl portcullis_store::SettingStore for PostgresStore {
    async fn get_setting(&self, name: &str) -> StoreResult<Option<String>> {
        if crate::unstorable(name) {
            return Ok(None);
        }
        sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)
    }

    async fn put_setting(&self, name: &str, value: &str, now: UnixTime) -> StoreResult<()> {
        self.catalog_write(put_setting(&self.pool, name, value, now))
            .await
    }

    async fn delete_setting(&self, name: &str) -> StoreResult<bool> {
        self.catalog_write(delete_setting(&self.pool, name)).await
    }
}

/// `put_setting` on any executor: the pool, or the transaction of
/// `TenantStore::apply_tenant_changes`.
pub(crate) async fn put_setting<'e>(
    e: impl sqlx::Executor<'e, Database = sqlx::Postgres>,
    name: &str,
    value: &str,
    now: UnixTime,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(name)
    .bind(value)
    .bind(now)
    .execute(e)
    .await
    .map_err(db)?;
    Ok(())
}

/// `delete_setting` on any executor: the pool, or the transaction of
/// `TenantStore::apply_tenant_changes`.
pub(crate) async fn delete_setting<'e>(
    e: impl sqlx::Executor<'e, Database = sqlx::Postgres>,
    name: &str,
) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM settings WHERE name = $1")
        .bind(name)
        .execute(e)
        .await
        .map_err(db)?;
    Ok(done.rows_affected() == 1)
}
