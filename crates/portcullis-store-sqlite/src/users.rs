//! `UserStore`. Emails are lower-cased here, before they reach SQL, so the unique index on
//! `users.email` is case-insensitive for every backend alike (SQL `lower()` differs between
//! databases beyond ASCII).

use crate::SqliteStore;
use crate::error::db;
use crate::rows::{self, user_columns};
use async_trait::async_trait;
use portcullis_store::{StoreError, StoreResult, User, UserStore};

#[async_trait]
impl UserStore for SqliteStore {
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        create_user(&self.pool, user).await
    }

    async fn get_user(&self, user_id: &str) -> StoreResult<Option<User>> {
        sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE user_id = ?"
        ))
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(rows::user)
        .transpose()
    }

    async fn get_user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE email = ?"
        ))
        .bind(email.to_lowercase())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(rows::user)
        .transpose()
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users ORDER BY created_at, user_id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows::all(rows, rows::user)
    }

    async fn update_user(&self, user: &User) -> StoreResult<()> {
        update_user(&self.pool, user).await
    }

    async fn delete_user(&self, user_id: &str) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("DELETE FROM users WHERE user_id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        // Tokens first: they are found through the user's grants.
        for statement in [
            "DELETE FROM refresh_tokens WHERE grant_id IN \
             (SELECT grant_id FROM grants WHERE user_id = ?)",
            "DELETE FROM access_tokens WHERE grant_id IN \
             (SELECT grant_id FROM grants WHERE user_id = ?)",
            "DELETE FROM grants WHERE user_id = ?",
            "DELETE FROM authorization_codes WHERE user_id = ?",
            "DELETE FROM sessions WHERE user_id = ?",
            "DELETE FROM user_roles WHERE user_id = ?",
        ] {
            sqlx::query(statement)
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }
}

/// `create_user` on any executor: the pool, or the transaction of
/// `TenantStore::apply_tenant_changes`.
pub(crate) async fn create_user<'e>(
    e: impl sqlx::Executor<'e, Database = sqlx::Sqlite>,
    user: &User,
) -> StoreResult<()> {
    sqlx::query(concat!(
        "INSERT INTO users (",
        user_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&user.user_id)
    .bind(user.email.to_lowercase())
    .bind(user.email_verified)
    .bind(&user.name)
    .bind(&user.given_name)
    .bind(&user.family_name)
    .bind(&user.nickname)
    .bind(&user.picture)
    .bind(&user.password_hash)
    .bind(user.blocked)
    .bind(rows::to_json(&user.app_metadata)?)
    .bind(rows::to_json(&user.user_metadata)?)
    .bind(user.created_at)
    .bind(user.updated_at)
    .bind(&user.phone_number)
    .bind(user.phone_number_verified)
    .bind(rows::optional_json(user.address.as_ref())?)
    .execute(e)
    .await
    .map_err(db)?;
    Ok(())
}

/// `update_user` on any executor: the pool, or the transaction of
/// `TenantStore::apply_tenant_changes`.
pub(crate) async fn update_user<'e>(
    e: impl sqlx::Executor<'e, Database = sqlx::Sqlite>,
    user: &User,
) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE users SET email = ?, email_verified = ?, name = ?, given_name = ?, \
         family_name = ?, nickname = ?, picture = ?, password_hash = ?, blocked = ?, \
         app_metadata = ?, user_metadata = ?, updated_at = ?, phone_number = ?, \
         phone_number_verified = ?, address = ? WHERE user_id = ?",
    )
    .bind(user.email.to_lowercase())
    .bind(user.email_verified)
    .bind(&user.name)
    .bind(&user.given_name)
    .bind(&user.family_name)
    .bind(&user.nickname)
    .bind(&user.picture)
    .bind(&user.password_hash)
    .bind(user.blocked)
    .bind(rows::to_json(&user.app_metadata)?)
    .bind(rows::to_json(&user.user_metadata)?)
    .bind(user.updated_at)
    .bind(&user.phone_number)
    .bind(user.phone_number_verified)
    .bind(rows::optional_json(user.address.as_ref())?)
    .bind(&user.user_id)
    .execute(e)
    .await
    .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
