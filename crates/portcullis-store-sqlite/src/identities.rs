//! `IdentityStore`: accounts at upstream identity providers and the users they sign in.

use crate::SqliteStore;
use crate::error::db;
use crate::rows;
use crate::users::insert_user;
use async_trait::async_trait;
use portcullis_store::{Identity, IdentityStore, StoreError, StoreResult, UnixTime, User};

macro_rules! identity_columns {
    () => {
        "connection, strategy, subject, user_id, email, email_verified, name, picture, \
         created_at, updated_at"
    };
}

#[async_trait]
impl IdentityStore for SqliteStore {
    async fn create_upstream_user(&self, user: &User, identity: &Identity) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        insert_user(&mut *tx, user, Some(&identity.connection)).await?;
        insert(identity).execute(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn get_identity(&self, connection: &str, subject: &str) -> StoreResult<Option<Identity>> {
        sqlx::query(concat!(
            "SELECT ",
            identity_columns!(),
            " FROM identities WHERE connection = ? AND subject = ?"
        ))
        .bind(connection)
        .bind(subject)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(rows::identity)
        .transpose()
    }

    async fn list_user_identities(&self, user_id: &str) -> StoreResult<Vec<Identity>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            identity_columns!(),
            " FROM identities WHERE user_id = ? ORDER BY created_at, connection, subject"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows::all(rows, rows::identity)
    }

    async fn link_identity(&self, identity: &Identity) -> StoreResult<()> {
        insert(identity).execute(&self.pool).await.map_err(db)?;
        Ok(())
    }

    async fn update_identity(&self, identity: &Identity) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE identities SET email = ?, email_verified = ?, name = ?, \
             picture = ?, updated_at = ? WHERE connection = ? AND subject = ?",
        )
        .bind(&identity.email)
        .bind(identity.email_verified)
        .bind(&identity.name)
        .bind(&identity.picture)
        .bind(identity.updated_at)
        .bind(&identity.connection)
        .bind(&identity.subject)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn add_database_password(
        &self,
        user_id: &str,
        email: &str,
        password_hash: &str,
        now: UnixTime,
    ) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE users SET email = ?, upstream_email = NULL, connection = NULL, \
             email_verified = TRUE, password_hash = ?, updated_at = ? \
             WHERE user_id = ? AND password_hash IS NULL",
        )
        .bind(email.to_lowercase())
        .bind(password_hash)
        .bind(now)
        .bind(user_id)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn merge_upstream_user(&self, from: &str, into: &str) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let from_row: Option<(Option<String>, Option<String>)> =
            sqlx::query_as("SELECT password_hash, connection FROM users WHERE user_id = ?")
                .bind(from)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        match from_row {
            None => return Err(StoreError::NotFound),
            Some((None, Some(_))) => {}
            Some(_) => {
                return Err(StoreError::Conflict(
                    "the account to merge signs in with a password".to_owned(),
                ));
            }
        }
        let into_exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM users WHERE user_id = ?")
            .bind(into)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        if into_exists.is_none() {
            return Err(StoreError::NotFound);
        }
        sqlx::query("UPDATE identities SET user_id = ? WHERE user_id = ?")
            .bind(into)
            .bind(from)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        crate::users::delete_user_rows(&mut tx, from).await?;
        tx.commit().await.map_err(db)
    }
}

fn insert(
    identity: &Identity,
) -> sqlx::query::Query<'_, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
    sqlx::query(concat!(
        "INSERT INTO identities (",
        identity_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&identity.connection)
    .bind(&identity.strategy)
    .bind(&identity.subject)
    .bind(&identity.user_id)
    .bind(&identity.email)
    .bind(identity.email_verified)
    .bind(&identity.name)
    .bind(&identity.picture)
    .bind(identity.created_at)
    .bind(identity.updated_at)
}
