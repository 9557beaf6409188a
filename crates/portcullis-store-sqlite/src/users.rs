//! `UserStore`. Emails are lower-cased here, before they reach SQL, so the unique index on
//! `users.email` is case-insensitive for every backend alike (SQL `lower()` differs between
//! databases beyond ASCII).

use crate::SqliteStore;
use crate::error::Failure;
use crate::rows::{self, user_columns};
use crate::sql;
use async_trait::async_trait;
use portcullis_store::{StoreError, StoreResult, User, UserStore};
use rusqlite::params;

#[async_trait]
impl UserStore for SqliteStore {
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        let user = user.clone();
        self.write(move |tx| create_user(tx, &user)).await
    }

    async fn get_user(&self, user_id: &str) -> StoreResult<Option<User>> {
        let user_id = user_id.to_owned();
        self.read_now(move |c| select_user(c, &user_id)).await
    }

    async fn get_user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let email = email.to_lowercase();
        self.read_now(move |c| {
            Ok(sql::optional(
                c,
                concat!(
                    "SELECT ",
                    user_columns!(),
                    ", connection, upstream_email",
                    " FROM users WHERE email = ? AND connection IS NULL"
                ),
                params![email],
                rows::user,
            )?)
        })
        .await
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        self.read(|c| {
            Ok(sql::all(
                c,
                concat!(
                    "SELECT ",
                    user_columns!(),
                    ", connection, upstream_email",
                    " FROM users ORDER BY created_at, user_id"
                ),
                [],
                rows::user,
            )?)
        })
        .await
    }

    async fn update_user(&self, user: &User) -> StoreResult<()> {
        let user = user.clone();
        self.write(move |tx| update_user(tx, &user)).await
    }

    async fn delete_user(&self, user_id: &str) -> StoreResult<()> {
        let user_id = user_id.to_owned();
        self.write(move |tx| delete_user_rows(tx, &user_id)).await
    }
}

/// `create_user` on any connection: the one of `create_user`'s own transaction, or the
/// transaction of `TenantStore::apply_tenant_changes`.
/// The user with this id.
pub(crate) fn select_user(
    c: &rusqlite::Connection,
    user_id: &str,
) -> Result<Option<User>, Failure> {
    Ok(sql::optional(
        c,
        concat!(
            "SELECT ",
            user_columns!(),
            ", connection, upstream_email",
            " FROM users WHERE user_id = ?"
        ),
        params![user_id],
        rows::user,
    )?)
}

pub(crate) fn create_user(c: &rusqlite::Connection, user: &User) -> Result<(), Failure> {
    insert_user(c, user, None)
}

/// The INSERT of a user: of the database connection (`upstream: None`), or of an upstream
/// connection. An upstream user's real email goes to `upstream_email`, and `email` gets a
/// placeholder no canonical address can equal (a space, then the user id), so the unique index
/// on `email` binds database-connection users only.
pub(crate) fn insert_user(
    c: &rusqlite::Connection,
    user: &User,
    upstream: Option<&str>,
) -> Result<(), Failure> {
    let (email, upstream_email) = match upstream {
        None => (user.email.to_lowercase(), None),
        Some(_) => (
            format!(" {}", user.user_id),
            Some(user.email.to_lowercase()),
        ),
    };
    sql::execute(
        c,
        concat!(
            "INSERT INTO users (",
            user_columns!(),
            ", connection, upstream_email) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"
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
            rows::to_json(&user.app_metadata)?,
            rows::to_json(&user.user_metadata)?,
            user.created_at,
            user.updated_at,
            user.phone_number,
            user.phone_number_verified,
            rows::optional_json(user.address.as_ref())?,
            upstream,
            upstream_email,
        ],
    )?;
    Ok(())
}

/// `update_user` on any connection: the one of `update_user`'s own transaction, or the
/// transaction of `TenantStore::apply_tenant_changes`.
pub(crate) fn update_user(c: &rusqlite::Connection, user: &User) -> Result<(), Failure> {
    let done = sql::execute(
        c,
        "UPDATE users SET email = CASE WHEN connection IS NULL THEN ?1 ELSE email END, \
         upstream_email = CASE WHEN connection IS NULL THEN NULL ELSE ?1 END, \
         email_verified = ?2, name = ?3, given_name = ?4, family_name = ?5, \
         nickname = ?6, picture = ?7, password_hash = ?8, blocked = ?9, \
         app_metadata = ?10, user_metadata = ?11, updated_at = ?12, \
         phone_number = ?13, phone_number_verified = ?14, address = ?15 \
         WHERE user_id = ?16",
        params![
            user.email.to_lowercase(),
            user.email_verified,
            user.name,
            user.given_name,
            user.family_name,
            user.nickname,
            user.picture,
            user.password_hash,
            user.blocked,
            rows::to_json(&user.app_metadata)?,
            rows::to_json(&user.user_metadata)?,
            user.updated_at,
            user.phone_number,
            user.phone_number_verified,
            rows::optional_json(user.address.as_ref())?,
            user.user_id,
        ],
    )?;
    if done == 0 {
        return Err(StoreError::NotFound.into());
    }
    Ok(())
}

/// Deletes a user with its grants, tokens, codes, sessions, identities and roles, inside a
/// transaction (`delete_user`'s, or an account merge's). `NotFound` when absent.
pub(crate) fn delete_user_rows(c: &rusqlite::Connection, user_id: &str) -> Result<(), Failure> {
    let done = sql::execute(c, "DELETE FROM users WHERE user_id = ?", params![user_id])?;
    if done == 0 {
        return Err(StoreError::NotFound.into());
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
        "DELETE FROM identities WHERE user_id = ?",
        "DELETE FROM user_roles WHERE user_id = ?",
    ] {
        sql::execute(c, statement, params![user_id])?;
    }
    Ok(())
}
