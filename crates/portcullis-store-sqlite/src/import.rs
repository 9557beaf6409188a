//! `UserImportStore`: users in batches, one transaction per batch.

use crate::SqliteStore;
use crate::error::db;
use crate::rows::user_columns;
use async_trait::async_trait;
use portcullis_store::{
    IMPORTED_PASSWORD_PREFIX, ImportOutcome, StoreResult, UnixTime, User, UserImportStore,
};

#[async_trait]
impl UserImportStore for SqliteStore {
    async fn import_users(&self, users: &[User], upsert: bool) -> StoreResult<Vec<ImportOutcome>> {
        let mut tx = self.write_tx().await?;
        let mut outcomes = Vec::with_capacity(users.len());
        for user in users {
            let email = user.email.to_lowercase();
            let inserted = sqlx::query(concat!(
                "INSERT INTO users (",
                user_columns!(),
                ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
            ))
            .bind(&user.user_id)
            .bind(&email)
            .bind(user.email_verified)
            .bind(&user.name)
            .bind(&user.given_name)
            .bind(&user.family_name)
            .bind(&user.nickname)
            .bind(&user.picture)
            .bind(&user.password_hash)
            .bind(user.blocked)
            .bind(crate::rows::to_json(&user.app_metadata)?)
            .bind(crate::rows::to_json(&user.user_metadata)?)
            .bind(user.created_at)
            .bind(user.updated_at)
            .bind(&user.phone_number)
            .bind(user.phone_number_verified)
            .bind(crate::rows::optional_json(user.address.as_ref())?)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            if inserted.rows_affected() == 1 {
                outcomes.push(ImportOutcome::Created);
                continue;
            }
            if !upsert {
                outcomes.push(ImportOutcome::Duplicate);
                continue;
            }
            let updated = sqlx::query(
                "UPDATE users SET email_verified = ?, name = COALESCE(?, name), \
                 given_name = COALESCE(?, given_name), family_name = COALESCE(?, family_name), \
                 nickname = COALESCE(?, nickname), picture = COALESCE(?, picture), \
                 password_hash = CASE WHEN ? IS NOT NULL AND (password_hash IS NULL \
                 OR substr(password_hash, 1, ?) = ?) THEN ? ELSE password_hash END, \
                 updated_at = ? WHERE email = ?",
            )
            .bind(user.email_verified)
            .bind(&user.name)
            .bind(&user.given_name)
            .bind(&user.family_name)
            .bind(&user.nickname)
            .bind(&user.picture)
            .bind(&user.password_hash)
            .bind(IMPORTED_PASSWORD_PREFIX.len() as i64)
            .bind(IMPORTED_PASSWORD_PREFIX)
            .bind(&user.password_hash)
            .bind(user.updated_at)
            .bind(&email)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            outcomes.push(if updated.rows_affected() == 1 {
                ImportOutcome::Updated
            } else {
                ImportOutcome::Refused("the user_id belongs to another user".to_owned())
            });
        }
        tx.commit().await.map_err(db)?;
        Ok(outcomes)
    }

    async fn replace_password_hash(
        &self,
        user_id: &str,
        expected: &str,
        new_hash: &str,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE users SET password_hash = ?, updated_at = ? \
             WHERE user_id = ? AND password_hash = ?",
        )
        .bind(new_hash)
        .bind(now)
        .bind(user_id)
        .bind(expected)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }
}
