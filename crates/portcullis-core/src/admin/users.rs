//! Users: create, look up, set password, block, delete.

use super::error::{AdminError, AdminResult};
use super::secret::Secret;
use super::validate::{check_identifier, check_password, normalize_email};
use crate::crypto::{PasswordHasher, new_id};
use crate::management::metadata;
use crate::{Provider, sessions};
use portcullis_store::{Address, Metadata, Store, UnixTime, User};

/// What a new user is made of. Only `email` is required.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub email: String,
    /// `None` creates a user who cannot sign in with a password.
    pub password: Option<Secret>,
    /// Defaults to a fresh `usr_…` id.
    pub user_id: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub nickname: Option<String>,
    pub picture: Option<String>,
    pub blocked: bool,
    /// Checked against Auth0's limits ([`metadata::check_both`]).
    pub app_metadata: Metadata,
    pub user_metadata: Metadata,
    /// E.164 (checked by [`super::validate::check_phone_number`]).
    pub phone_number: Option<String>,
    pub phone_number_verified: bool,
    pub address: Option<Address>,
}

/// Creates a user: the email is lower-cased and checked, the password checked against the policy
/// and hashed with argon2id.
pub async fn create_user(
    store: &dyn Store,
    passwords: &PasswordHasher,
    new: NewUser,
    now: UnixTime,
) -> AdminResult<User> {
    let user = prepare_user(store, passwords, new, now).await?;
    store
        .create_user(&user)
        .await
        .map_err(|e| AdminError::from_store(e, "user", &user.email))?;
    Ok(user)
}

/// Checks a new user as [`create_user`] does (email, id, password policy; neither the email nor
/// the id taken) and returns the record to store, without storing it.
pub(crate) async fn prepare_user(
    store: &dyn Store,
    passwords: &PasswordHasher,
    new: NewUser,
    now: UnixTime,
) -> AdminResult<User> {
    let email = normalize_email(&new.email)?;
    metadata::check_both(&new.app_metadata, &new.user_metadata)?;
    let user_id = match new.user_id {
        Some(id) => {
            check_identifier("user_id", &id, &['|', ':', '@'])?;
            id
        }
        None => new_id("usr"),
    };
    if store.get_user_by_email(&email).await?.is_some() {
        return Err(AdminError::exists("user with email", email));
    }
    if store.get_user(&user_id).await?.is_some() {
        return Err(AdminError::exists("user", user_id));
    }
    let password_hash = match &new.password {
        Some(p) => {
            check_password(p.expose(), Some(&email))?;
            Some(passwords.hash(p.expose()).await?)
        }
        None => None,
    };
    Ok(User {
        user_id,
        email,
        email_verified: new.email_verified,
        name: new.name,
        given_name: new.given_name,
        family_name: new.family_name,
        nickname: new.nickname,
        picture: new.picture,
        password_hash,
        blocked: new.blocked,
        app_metadata: new.app_metadata,
        user_metadata: new.user_metadata,
        created_at: now,
        updated_at: now,
        phone_number: new
            .phone_number
            .as_deref()
            .map(super::validate::check_phone_number)
            .transpose()?,
        phone_number_verified: new.phone_number_verified,
        address: match new.address {
            Some(address) => {
                super::validate::check_address(&address)?;
                Some(address).filter(|a| !a.is_empty())
            }
            None => None,
        },
    })
}

/// Every user, oldest first.
pub async fn list_users(store: &dyn Store) -> AdminResult<Vec<User>> {
    Ok(store.list_users().await?)
}

/// A user by id, or by email when `key` contains an `@` (compared in canonical form).
pub async fn find_user(store: &dyn Store, key: &str) -> AdminResult<User> {
    let key = key.trim();
    let found = if key.contains('@') {
        match store
            .get_user_by_email(&crate::email::canonical(key))
            .await?
        {
            Some(u) => Some(u),
            None => store.get_user(key).await?,
        }
    } else {
        store.get_user(key).await?
    };
    found.ok_or_else(|| AdminError::not_found("user", key))
}

/// Sets a user's password (checked against the policy) and signs the user out everywhere
/// ([`sessions::end_all_for_user`]: applications told by back-channel logout, every refresh and
/// access token revoked; a stolen token must not outlive a password reset). Returns how many
/// sessions ended.
pub async fn set_password(p: &Provider, key: &str, password: &Secret) -> AdminResult<u64> {
    let store = p.store.as_ref();
    let mut user = find_user(store, key).await?;
    check_password(password.expose(), Some(&user.email))?;
    user.password_hash = Some(p.passwords.hash(password.expose()).await?);
    user.updated_at = p.now();
    save(store, &user).await?;
    sign_out(p, &user.user_id).await
}

/// Blocks (signing the user out everywhere, as [`set_password`] does) or unblocks a user.
pub async fn set_blocked(p: &Provider, key: &str, blocked: bool) -> AdminResult<User> {
    let store = p.store.as_ref();
    let mut user = find_user(store, key).await?;
    if user.blocked != blocked {
        user.blocked = blocked;
        user.updated_at = p.now();
        save(store, &user).await?;
    }
    if blocked {
        sign_out(p, &user.user_id).await?;
    }
    Ok(user)
}

/// Deletes a user with their sessions, grants and tokens, after signing them out everywhere
/// (so the applications of their sessions are told, by back-channel logout).
pub async fn delete_user(p: &Provider, key: &str) -> AdminResult<User> {
    let store = p.store.as_ref();
    let user = find_user(store, key).await?;
    sign_out(p, &user.user_id).await?;
    store
        .delete_user(&user.user_id)
        .await
        .map_err(|e| AdminError::from_store(e, "user", key))?;
    Ok(user)
}

/// [`sessions::end_all_for_user`], with its error as an [`AdminError`].
pub async fn sign_out(p: &Provider, user_id: &str) -> AdminResult<u64> {
    let ended = sessions::end_all_for_user(p, user_id)
        .await
        .map_err(AdminError::SignOut)?;
    Ok(ended as u64)
}

/// Writes a changed user back.
pub(crate) async fn save(store: &dyn Store, user: &User) -> AdminResult<()> {
    store
        .update_user(user)
        .await
        .map_err(|e| AdminError::from_store(e, "user", &user.email))
}
