//! Users through the Management API: create in a connection, change (Auth0's `PATCH` with its
//! metadata merge), search. Blocking, password changes and deletion go through the same
//! functions as the CLI (`admin::users`), so sessions end and tokens are revoked the same way.

use super::connections;
use super::error::{ManagementError, ManagementResult};
use super::metadata;
use super::user_query::{self, Query};
use crate::Provider;
use crate::admin::users::{self as admin_users, NewUser};
use crate::admin::validate::{check_identifier, check_name, check_password, normalize_email};
use crate::admin::{AdminError, Secret};
use crate::crypto::random_token;
use portcullis_store::{Metadata, User};

/// `POST /api/v2/users`.
#[derive(Debug, Default)]
pub struct CreateUser {
    pub connection: String,
    pub email: String,
    pub password: Option<Secret>,
    pub user_id: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub nickname: Option<String>,
    pub picture: Option<String>,
    pub blocked: bool,
    pub app_metadata: Metadata,
    pub user_metadata: Metadata,
}

/// `PATCH /api/v2/users/{id}`: `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct UserPatch {
    pub connection: Option<String>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub password: Option<Secret>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub nickname: Option<String>,
    pub picture: Option<String>,
    pub blocked: Option<bool>,
    /// Merged into the stored object (see [`metadata::merge`]).
    pub app_metadata: Option<Metadata>,
    pub user_metadata: Option<Metadata>,
}

/// An id as Auth0 gives it: one without a provider prefix (`|`) becomes `auth0|<id>`.
pub fn database_user_id(id: Option<&str>) -> String {
    match id {
        Some(id) if id.contains('|') => id.to_owned(),
        Some(id) => format!("auth0|{id}"),
        // 144 random bits in 24 URL-safe characters (the length of Auth0's own ids).
        None => format!("auth0|{}", random_token(18)),
    }
}

fn check_connection(name: &str) -> ManagementResult<()> {
    if connections::exists(name) {
        Ok(())
    } else {
        Err(ManagementError::invalid_body(
            "The connection does not exist.",
        ))
    }
}

/// Checks the profile fields a caller may set.
fn check_profile(
    name: Option<&String>,
    given_name: Option<&String>,
    family_name: Option<&String>,
    nickname: Option<&String>,
    picture: Option<&String>,
) -> Result<(), AdminError> {
    for (field, value) in [
        ("name", name),
        ("given_name", given_name),
        ("family_name", family_name),
        ("nickname", nickname),
    ] {
        if let Some(v) = value {
            check_name(field, v)?;
        }
    }
    if let Some(url) = picture {
        let ok = url.len() <= 2048
            && url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "https" | "http"));
        if !ok {
            return Err(AdminError::invalid(
                "picture",
                "must be an http(s) URL of at most 2048 characters",
            ));
        }
    }
    Ok(())
}

/// Creates a user in the database connection.
pub async fn create(p: &Provider, new: CreateUser) -> ManagementResult<User> {
    check_connection(&new.connection)?;
    let Some(password) = new.password else {
        return Err(ManagementError::invalid_body(
            "Payload validation error: 'Missing required property: password'",
        ));
    };
    let user_id = database_user_id(new.user_id.as_deref());
    check_identifier("user_id", &user_id, &['|', ':'])?;
    check_profile(
        new.name.as_ref(),
        new.given_name.as_ref(),
        new.family_name.as_ref(),
        new.nickname.as_ref(),
        new.picture.as_ref(),
    )?;
    let nickname = new.nickname.or_else(|| {
        new.email
            .trim()
            .split_once('@')
            .map(|(local, _)| local.to_owned())
            .filter(|l| !l.is_empty())
    });
    let user = admin_users::create_user(
        p.store.as_ref(),
        &p.passwords,
        NewUser {
            email: new.email,
            password: Some(password),
            user_id: Some(user_id),
            email_verified: new.email_verified,
            name: new.name.map(|n| n.trim().to_owned()),
            given_name: new.given_name.map(|n| n.trim().to_owned()),
            family_name: new.family_name.map(|n| n.trim().to_owned()),
            nickname,
            picture: new.picture,
            blocked: new.blocked,
            app_metadata: new.app_metadata,
            user_metadata: new.user_metadata,
            ..NewUser::default()
        },
        p.now(),
    )
    .await?;
    Ok(user)
}

/// The user with this id (ids only: never looked up by email).
pub async fn get(p: &Provider, user_id: &str) -> ManagementResult<User> {
    p.store
        .get_user(user_id)
        .await?
        .ok_or_else(|| AdminError::not_found("user", user_id).into())
}

/// Applies a patch. Everything is checked before anything is written; then the profile is
/// saved, the password set (ending the user's sessions and revoking their tokens), and the
/// block applied (likewise), through the CLI's functions.
pub async fn patch(p: &Provider, user_id: &str, patch: UserPatch) -> ManagementResult<User> {
    let store = p.store.as_ref();
    let mut user = get(p, user_id).await?;
    if let Some(connection) = &patch.connection {
        check_connection(connection)?;
    }
    check_profile(
        patch.name.as_ref(),
        patch.given_name.as_ref(),
        patch.family_name.as_ref(),
        patch.nickname.as_ref(),
        patch.picture.as_ref(),
    )?;
    if let Some(email) = &patch.email {
        let email = normalize_email(email)?;
        if email != user.email {
            if let Some(other) = store.get_user_by_email(&email).await?
                && other.user_id != user.user_id
            {
                return Err(ManagementError::conflict(
                    "auth0_idp_error",
                    "The specified new email already exists",
                ));
            }
            user.email = email;
            // A new address is unverified unless the caller says otherwise (as on Auth0).
            user.email_verified = false;
        }
    }
    if let Some(verified) = patch.email_verified {
        user.email_verified = verified;
    }
    if let Some(password) = &patch.password {
        check_password(password.expose(), Some(&user.email))?;
    }
    for (slot, value) in [
        (&mut user.name, patch.name),
        (&mut user.given_name, patch.given_name),
        (&mut user.family_name, patch.family_name),
        (&mut user.nickname, patch.nickname),
    ] {
        if let Some(v) = value {
            *slot = Some(v.trim().to_owned());
        }
    }
    if let Some(picture) = patch.picture {
        user.picture = Some(picture);
    }
    if let Some(app) = &patch.app_metadata {
        user.app_metadata = metadata::merge(&user.app_metadata, app);
    }
    if let Some(own) = &patch.user_metadata {
        user.user_metadata = metadata::merge(&user.user_metadata, own);
    }
    metadata::check_both(&user.app_metadata, &user.user_metadata)?;
    let now = p.now();
    user.updated_at = now;
    store.update_user(&user).await.map_err(|e| match e {
        portcullis_store::StoreError::Conflict(_) => {
            ManagementError::conflict("auth0_idp_error", "The specified new email already exists")
        }
        other => other.into(),
    })?;
    if let Some(password) = &patch.password {
        admin_users::set_password(p, &user.user_id, password).await?;
    }
    if let Some(blocked) = patch.blocked {
        admin_users::set_blocked(p, &user.user_id, blocked).await?;
    }
    get(p, user_id).await
}

/// Deletes a user with their sessions, grants and tokens (the CLI's function).
pub async fn delete(p: &Provider, user_id: &str) -> ManagementResult<()> {
    get(p, user_id).await?;
    admin_users::delete_user(p, user_id).await?;
    Ok(())
}

/// How a list of users is ordered: `sort=field:1` (ascending) or `field:-1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sort {
    pub field: SortField,
    pub descending: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    CreatedAt,
    UpdatedAt,
    Email,
    Name,
    UserId,
}

impl Sort {
    /// Parses `field:1` or `field:-1`.
    pub fn parse(text: &str) -> ManagementResult<Sort> {
        let bad = || {
            ManagementError::invalid_query(
                "Query validation error: 'sort' must be field:1 or field:-1 with field one of created_at, updated_at, email, name, user_id",
            )
        };
        let (field, order) = text.split_once(':').ok_or_else(bad)?;
        let field = match field {
            "created_at" => SortField::CreatedAt,
            "updated_at" => SortField::UpdatedAt,
            "email" => SortField::Email,
            "name" => SortField::Name,
            "user_id" => SortField::UserId,
            _ => return Err(bad()),
        };
        let descending = match order {
            "1" => false,
            "-1" => true,
            _ => return Err(bad()),
        };
        Ok(Sort { field, descending })
    }
}

/// The users matching `query` (all when `None`), in `sort` order (default: oldest first).
pub async fn search(
    p: &Provider,
    query: Option<&Query>,
    sort: Option<&Sort>,
) -> ManagementResult<Vec<User>> {
    let mut users: Vec<User> = p
        .store
        .list_users()
        .await?
        .into_iter()
        .filter(|u| query.is_none_or(|q| user_query::matches(q, u)))
        .collect();
    if let Some(sort) = sort {
        users.sort_by(|a, b| {
            let order = match sort.field {
                SortField::CreatedAt => a.created_at.cmp(&b.created_at),
                SortField::UpdatedAt => a.updated_at.cmp(&b.updated_at),
                SortField::Email => a.email.cmp(&b.email),
                SortField::Name => a.name.cmp(&b.name),
                SortField::UserId => a.user_id.cmp(&b.user_id),
            }
            .then_with(|| a.user_id.cmp(&b.user_id));
            if sort.descending {
                order.reverse()
            } else {
                order
            }
        });
    }
    Ok(users)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_without_a_prefix_get_auth0() {
        assert_eq!(database_user_id(Some("abc")), "auth0|abc");
        assert_eq!(database_user_id(Some("google-oauth2|1")), "google-oauth2|1");
        let fresh = database_user_id(None);
        assert!(fresh.starts_with("auth0|"));
        assert_eq!(fresh.len(), "auth0|".len() + 24);
    }

    #[test]
    fn sort_parses_auth0_syntax() {
        assert_eq!(
            Sort::parse("email:-1").expect("valid"),
            Sort {
                field: SortField::Email,
                descending: true
            }
        );
        assert!(Sort::parse("email").is_err());
        assert!(Sort::parse("password_hash:1").is_err());
    }
}
