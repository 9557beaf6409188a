//! `UserImportStore`: users in batches, one transaction per batch.

use crate::SqliteStore;
use crate::rows::user_columns;
use crate::sql;
use async_trait::async_trait;
use portcullis_store::{
    IMPORTED_PASSWORD_PREFIX, ImportOutcome, StoreResult, UnixTime, User, UserImportStore,
};
use rusqlite::params;

#[async_trait]
impl UserImportStore for SqliteStore {
    async fn import_users(&self, users: &[User], upsert: bool) -> StoreResult<Vec<ImportOutcome>> {
        let users = users.to_vec();
        self.write(move |tx| {
            let mut outcomes = Vec::with_capacity(users.len());
            for user in &users {
                let email = user.email.to_lowercase();
                let inserted = sql::execute(
                    tx,
                    concat!(
                        "INSERT INTO users (",
                        user_columns!(),
                        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
                    ),
                    params![
                        user.user_id,
                        email,
                        user.email_verified,
                        user.name,
                        user.given_name,
                        user.family_name,
                        user.nickname,
                        user.picture,
                        user.password_hash,
                        user.blocked,
                        crate::rows::to_json(&user.app_metadata)?,
                        crate::rows::to_json(&user.user_metadata)?,
                        user.created_at,
                        user.updated_at,
                        user.phone_number,
                        user.phone_number_verified,
                        crate::rows::optional_json(user.address.as_ref())?,
                    ],
                )?;
                if inserted == 1 {
                    outcomes.push(ImportOutcome::Created);
                    continue;
                }
                if !upsert {
                    outcomes.push(ImportOutcome::Duplicate);
                    continue;
                }
                let updated = sql::execute(
                    tx,
                    "UPDATE users SET email_verified = ?, name = COALESCE(?, name), \
                     given_name = COALESCE(?, given_name), family_name = COALESCE(?, family_name), \
                     nickname = COALESCE(?, nickname), picture = COALESCE(?, picture), \
                     password_hash = CASE WHEN ? IS NOT NULL AND (password_hash IS NULL \
                     OR substr(password_hash, 1, ?) = ?) THEN ? ELSE password_hash END, \
                     updated_at = ? WHERE email = ?",
                    params![
                        user.email_verified,
                        user.name,
                        user.given_name,
                        user.family_name,
                        user.nickname,
                        user.picture,
                        user.password_hash,
                        IMPORTED_PASSWORD_PREFIX.len() as i64,
                        IMPORTED_PASSWORD_PREFIX,
                        user.password_hash,
                        user.updated_at,
                        email,
                    ],
                )?;
                outcomes.push(if updated == 1 {
                    ImportOutcome::Updated
                } else {
                    ImportOutcome::Refused("the user_id belongs to another user".to_owned())
                });
            }
            Ok(outcomes)
        })
        .await
    }

    async fn replace_password_hash(
        &self,
        user_id: &str,
        expected: &str,
        new_hash: &str,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let user_id = user_id.to_owned();
        let expected = expected.to_owned();
        let new_hash = new_hash.to_owned();
        self.write(move |tx| {
            let done = sql::execute(
                tx,
                "UPDATE users SET password_hash = ?, updated_at = ? \
                 WHERE user_id = ? AND password_hash = ?",
                params![new_hash, now, user_id, expected],
            )?;
            Ok(done == 1)
        })
        .await
    }
}
