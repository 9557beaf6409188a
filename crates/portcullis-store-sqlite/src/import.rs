//! `UserImportStore`: users in batches, one transaction per batch.

use crate::SqliteStore;
use crate::error::{Failure, is_unique_violation};
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
                // A user whose email or id is taken is not inserted (and then, with `upsert`,
                // updated by email); the failed statement leaves the transaction as it was.
                let inserted = match crate::users::create_user(tx, user) {
                    Ok(()) => true,
                    Err(Failure::Sql(e)) if is_unique_violation(&e) => false,
                    Err(e) => return Err(e),
                };
                if inserted {
                    outcomes.push(ImportOutcome::Created);
                    continue;
                }
                if !upsert {
                    outcomes.push(ImportOutcome::Duplicate);
                    continue;
                }
                let email = user.email.to_lowercase();
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
