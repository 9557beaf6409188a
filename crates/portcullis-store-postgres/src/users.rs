//! `UserStore`. Emails are lower-cased here, before they reach SQL, so the unique index on
//! `users.email` is case-insensitive for every backend alike (SQL `lower()` differs between
//! databases beyond ASCII).

use crate::PostgresStore;
use crate::error::db;
use crate::rows::{self, user_columns};
use async_trait::async_trait;
use portcullis_store::{StoreError, StoreResult, User, UserStore};

#[async_trait]
impl UserStore for PostgresStore {
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        create_user(&self.pool, user).await
    }

    async fn get_user(&self, user_id: &str) -> StoreResult<Option<User>> {
        if crate::unstorable(user_id) {
            return Ok(None);
        }
        sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            ", connection, upstream_email",
            " FROM users WHERE user_id = $1"
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
        if crate::unstorable(email) {
            return Ok(None);
        }
        sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            ", connection, upstream_email",
            " FROM users WHERE email = $1 AND connection IS NULL"
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
            ", connection, upstream_email",
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
        let mut tx = self.begin().await?;
        delete_user_rows(&mut tx, user_id).await?;
        tx.commit().await.map_err(db)
    }
}

/// `create_user` on any executor: the pool, or the transaction of
/// `TenantStore::apply_tenant_changes`.
pub(crate) async fn create_user<'e>(
    e: impl sqlx::Executor<'e, Database = sqlx::Postgres>,
    user: &User,
) -> StoreResult<()> {
    insert_user(e, user, None).await
}

/// The INSERT of a user: of the database connection (`upstream: None`), or of an upstream
/// connection. An upstream user's real email goes to `upstream_email`, and `email` gets a
/// placeholder no canonical address can equal (a space, then the user id), so the unique index
/// on `email` binds database-connection users only.
pub(crate) async fn insert_user<'e>(
    e: impl sqlx::Executor<'e, Database = sqlx::Postgres>,
    user: &User,
    upstream: Option<&str>,
) -> StoreResult<()> {
    let (email, upstream_email) = match upstream {
        None => (user.email.to_lowercase(), None),
        Some(_) => (
            format!(" {}", user.user_id),
            Some(user.email.to_lowercase()),
        ),
    };
    sqlx::query(concat!(
        "INSERT INTO users (",
        user_columns!(),
        ", connection, upstream_email) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
    ))
    .bind(&user.user_id)
    .bind(email)
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
    .bind(upstream)
    .bind(upstream_email)
    .execute(e)
    .await
    .map_err(db)?;
    Ok(())
}

/// `update_user` on any executor: the pool, or the transaction of
/// `TenantStore::apply_tenant_changes`.
pub(crate) async fn update_user<'e>(
    e: impl sqlx::Executor<'e, Database = sqlx::Postgres>,
    user: &User,
) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE users SET email = CASE WHEN connection IS NULL THEN $1 ELSE email END, \
         upstream_email = CASE WHEN connection IS NULL THEN NULL ELSE $1 END, \
         email_verified = $2, name = $3, given_name = $4, family_name = $5, \
         nickname = $6, picture = $7, password_hash = $8, blocked = $9, \
         app_metadata = $10, user_metadata = $11, updated_at = $12, \
         phone_number = $13, phone_number_verified = $14, address = $15 \
         WHERE user_id = $16",
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

/// Deletes a user with its grants, tokens, codes, sessions, identities and roles, inside a
/// transaction (`delete_user`'s, or an account merge's). `NotFound` when absent.
pub(crate) async fn delete_user_rows(
    conn: &mut sqlx::PgConnection,
    user_id: &str,
) -> StoreResult<()> {
    let done = sqlx::query("DELETE FROM users WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    // Tokens first: they are found through the user's grants.
    for statement in [
        "DELETE FROM refresh_tokens WHERE grant_id IN \
         (SELECT grant_id FROM grants WHERE user_id = $1)",
        "DELETE FROM access_tokens WHERE grant_id IN \
         (SELECT grant_id FROM grants WHERE user_id = $1)",
        "DELETE FROM grants WHERE user_id = $1",
        "DELETE FROM authorization_codes WHERE user_id = $1",
        "DELETE FROM sessions WHERE user_id = $1",
        "DELETE FROM identities WHERE user_id = $1",
        "DELETE FROM user_roles WHERE user_id = $1",
    ] {
        sqlx::query(statement)
            .bind(user_id)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    Ok(())
}
