//! `IdentityStore`: accounts at upstream identity providers and the users they sign in.

use crate::SqliteStore;
use crate::error::Failure;
use crate::rows;
use crate::sql;
use crate::users::insert_user;
use async_trait::async_trait;
use portcullis_store::{Identity, IdentityStore, StoreError, StoreResult, UnixTime, User};
use rusqlite::params;

macro_rules! identity_columns {
    () => {
        "connection, strategy, subject, user_id, email, email_verified, name, picture, \
         created_at, updated_at"
    };
}

#[async_trait]
impl IdentityStore for SqliteStore {
    async fn create_upstream_user(&self, user: &User, identity: &Identity) -> StoreResult<()> {
        let user = user.clone();
        let identity = identity.clone();
        self.write(move |tx| {
            insert_user(tx, &user, Some(&identity.connection))?;
            insert(tx, &identity)
        })
        .await
    }

    async fn get_identity(&self, connection: &str, subject: &str) -> StoreResult<Option<Identity>> {
        let connection = connection.to_owned();
        let subject = subject.to_owned();
        self.read_now(move |c| {
            Ok(sql::optional(
                c,
                concat!(
                    "SELECT ",
                    identity_columns!(),
                    " FROM identities WHERE connection = ? AND subject = ?"
                ),
                params![connection, subject],
                rows::identity,
            )?)
        })
        .await
    }

    async fn list_user_identities(&self, user_id: &str) -> StoreResult<Vec<Identity>> {
        let user_id = user_id.to_owned();
        self.read(move |c| {
            Ok(sql::all(
                c,
                concat!(
                    "SELECT ",
                    identity_columns!(),
                    " FROM identities WHERE user_id = ? ORDER BY created_at, connection, subject"
                ),
                params![user_id],
                rows::identity,
            )?)
        })
        .await
    }

    async fn link_identity(&self, identity: &Identity) -> StoreResult<()> {
        let identity = identity.clone();
        self.write(move |tx| insert(tx, &identity)).await
    }

    async fn update_identity(&self, identity: &Identity) -> StoreResult<()> {
        let identity = identity.clone();
        self.write(move |tx| {
            let done = sql::execute(
                tx,
                "UPDATE identities SET email = ?, email_verified = ?, name = ?, \
                 picture = ?, updated_at = ? WHERE connection = ? AND subject = ?",
                params![
                    identity.email,
                    identity.email_verified,
                    identity.name,
                    identity.picture,
                    identity.updated_at,
                    identity.connection,
                    identity.subject,
                ],
            )?;
            if done == 0 {
                return Err(StoreError::NotFound.into());
            }
            Ok(())
        })
        .await
    }

    async fn add_database_password(
        &self,
        user_id: &str,
        email: &str,
        password_hash: &str,
        now: UnixTime,
    ) -> StoreResult<()> {
        let user_id = user_id.to_owned();
        let email = email.to_lowercase();
        let password_hash = password_hash.to_owned();
        self.write(move |tx| {
            let done = sql::execute(
                tx,
                "UPDATE users SET email = ?, upstream_email = NULL, connection = NULL, \
                 email_verified = TRUE, password_hash = ?, updated_at = ? \
                 WHERE user_id = ? AND password_hash IS NULL",
                params![email, password_hash, now, user_id],
            )?;
            if done == 0 {
                return Err(StoreError::NotFound.into());
            }
            Ok(())
        })
        .await
    }

    async fn merge_upstream_user(&self, from: &str, into: &str) -> StoreResult<()> {
        let from = from.to_owned();
        let into = into.to_owned();
        self.write(move |tx| {
            let from_row: Option<(Option<String>, Option<String>)> = sql::optional(
                tx,
                "SELECT password_hash, connection FROM users WHERE user_id = ?",
                params![from],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            match from_row {
                None => return Err(StoreError::NotFound.into()),
                Some((None, Some(_))) => {}
                Some(_) => {
                    return Err(StoreError::Conflict(
                        "the account to merge signs in with a password".to_owned(),
                    )
                    .into());
                }
            }
            let into_exists: Option<i32> = sql::optional(
                tx,
                "SELECT 1 FROM users WHERE user_id = ?",
                params![into],
                |r| r.get(0),
            )?;
            if into_exists.is_none() {
                return Err(StoreError::NotFound.into());
            }
            sql::execute(
                tx,
                "UPDATE identities SET user_id = ? WHERE user_id = ?",
                params![into, from],
            )?;
            crate::users::delete_user_rows(tx, &from)
        })
        .await
    }
}

/// The INSERT of an identity.
fn insert(c: &rusqlite::Connection, identity: &Identity) -> Result<(), Failure> {
    sql::execute(
        c,
        concat!(
            "INSERT INTO identities (",
            identity_columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        params![
            identity.connection,
            identity.strategy,
            identity.subject,
            identity.user_id,
            identity.email,
            identity.email_verified,
            identity.name,
            identity.picture,
            identity.created_at,
            identity.updated_at,
        ],
    )?;
    Ok(())
}
