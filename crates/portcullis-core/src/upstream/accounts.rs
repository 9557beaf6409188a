//! The Portcullis users behind upstream accounts. A user is found by (connection, upstream
//! subject), never by email: an upstream's email claim is not proof of owning a password
//! account with that address (auto-linking on it would be an account takeover). Accounts are
//! linked only when the user proves both: signed in to one, then adds the other ([`link`], or
//! a password added with a mailed link, [`crate::accounts::add_password`]).

use super::connection::Connection;
use super::flow::Profile;
use crate::Provider;
use crate::error::{OAuthError, OAuthResult};
use portcullis_store::{Identity, StoreError, User};

/// The user the upstream account signs in, created on its first sign-in. The profile (name,
/// email, email_verified, picture) is refreshed from the upstream each time: on the identity,
/// and on the user when this identity is the one it was created with.
pub async fn sign_in(p: &Provider, c: &Connection, profile: &Profile) -> OAuthResult<User> {
    if profile.subject.is_empty() {
        return Err(OAuthError::server_error(
            "the upstream account has no subject",
        ));
    }
    if let Some(user) = existing(p, c, profile).await? {
        return Ok(user);
    }
    let now = p.now();
    let user = User {
        user_id: c.user_id(&profile.subject),
        email: profile.email.clone().unwrap_or_default(),
        email_verified: profile.email.is_some() && profile.email_verified,
        name: profile.name.clone(),
        given_name: None,
        family_name: None,
        nickname: profile.nickname.clone(),
        picture: profile.picture.clone(),
        password_hash: None,
        blocked: false,
        created_at: now,
        updated_at: now,
        ..User::default()
    };
    match p
        .store
        .create_upstream_user(&user, &identity(c, profile, &user.user_id, now))
        .await
    {
        Ok(()) => {
            tracing::info!(user_id = %user.user_id, connection = %c.name, "user created from an upstream connection");
            Ok(user)
        }
        // A parallel first sign-in of the same account won: use its user.
        Err(StoreError::Conflict(_)) => existing(p, c, profile)
            .await?
            .ok_or_else(|| OAuthError::server_error("upstream user vanished")),
        Err(e) => Err(e.into()),
    }
}

/// Why an upstream account could not be added to a user.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The upstream account signs in another user who has a password: that user must be
    /// proven with its password, which linking does not ask for.
    #[error("This {0} account already signs in another Portcullis account.")]
    OtherUser(String),
    #[error(transparent)]
    Internal(#[from] OAuthError),
}

/// Adds the upstream account to `user_id` (who is signed in and just signed in upstream too).
///
/// When the upstream account already signs in a user of its own (one created by signing in
/// with it, without a password), the user has just proven both accounts: that user is merged
/// into `user_id` as Auth0 links a secondary account. Its identities move over, its sessions
/// end (its applications told by back-channel logout) and it is deleted; its own metadata,
/// roles and factors are not carried over. A user with a password is never merged this way.
pub async fn link(
    p: &Provider,
    c: &Connection,
    profile: &Profile,
    user_id: &str,
) -> Result<(), LinkError> {
    let now = p.now();
    match p
        .store
        .get_identity(&c.name, &profile.subject)
        .await
        .map_err(OAuthError::from)?
    {
        Some(id) if id.user_id == user_id => {
            refresh_identity(p, c, profile, id).await?;
            Ok(())
        }
        Some(id) => merge(p, c, profile, id, user_id).await,
        None => match p
            .store
            .link_identity(&identity(c, profile, user_id, now))
            .await
        {
            Ok(()) => {
                tracing::info!(%user_id, connection = %c.name, "upstream account linked");
                Ok(())
            }
            Err(StoreError::Conflict(_)) => Err(LinkError::OtherUser(c.display_name.clone())),
            Err(e) => Err(OAuthError::from(e).into()),
        },
    }
}

/// Merges the upstream-only user behind `id` into `user_id` (see [`link`]).
async fn merge(
    p: &Provider,
    c: &Connection,
    profile: &Profile,
    id: Identity,
    user_id: &str,
) -> Result<(), LinkError> {
    let Some(from) = p
        .store
        .get_user(&id.user_id)
        .await
        .map_err(OAuthError::from)?
    else {
        return Err(OAuthError::server_error("identity without a user").into());
    };
    if from.password_hash.is_some() {
        return Err(LinkError::OtherUser(c.display_name.clone()));
    }
    crate::sessions::end_all_for_user(p, &from.user_id).await?;
    match p.store.merge_upstream_user(&from.user_id, user_id).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => return Err(LinkError::OtherUser(c.display_name.clone())),
        Err(e) => return Err(OAuthError::from(e).into()),
    }
    tracing::info!(%user_id, merged = %from.user_id, connection = %c.name, "upstream account linked; its own user merged");
    crate::audit::record(
        p,
        crate::audit::Event::new(crate::audit::EventType::DELETED_USER)
            .user_id(from.user_id.as_str())
            .description(format!(
                "Merged into {user_id}, which linked its {} account",
                c.name
            )),
    );
    // The identity moved over as it was: refresh its profile from this sign-in.
    let moved = Identity {
        user_id: user_id.to_owned(),
        ..id
    };
    refresh_identity(p, c, profile, moved).await?;
    Ok(())
}

async fn existing(p: &Provider, c: &Connection, profile: &Profile) -> OAuthResult<Option<User>> {
    let Some(id) = p.store.get_identity(&c.name, &profile.subject).await? else {
        return Ok(None);
    };
    let user_id = id.user_id.clone();
    refresh_identity(p, c, profile, id).await?;
    let Some(mut user) = p.store.get_user(&user_id).await? else {
        return Err(OAuthError::server_error("identity without a user"));
    };
    // The user's own profile follows the upstream's while the user signs in with it only: once
    // it has a password (a proven address of its own), its email is its sign-in name.
    if user.user_id == c.user_id(&profile.subject) && user.password_hash.is_none() {
        let email = profile.email.clone().unwrap_or_default();
        let verified = profile.email.is_some() && profile.email_verified;
        let changed = user.email != email
            || user.email_verified != verified
            || user.name != profile.name
            || user.nickname != profile.nickname
            || user.picture != profile.picture;
        if changed {
            user.email = email;
            user.email_verified = verified;
            user.name = profile.name.clone();
            user.nickname = profile.nickname.clone();
            user.picture = profile.picture.clone();
            user.updated_at = p.now();
            p.store.update_user(&user).await?;
        }
    }
    Ok(Some(user))
}

async fn refresh_identity(
    p: &Provider,
    c: &Connection,
    profile: &Profile,
    id: Identity,
) -> OAuthResult<()> {
    let fresh = identity(c, profile, &id.user_id, id.created_at);
    if (Identity {
        updated_at: id.updated_at,
        ..fresh.clone()
    }) != id
    {
        p.store
            .update_identity(&Identity {
                updated_at: p.now(),
                ..fresh
            })
            .await?;
    }
    Ok(())
}

fn identity(c: &Connection, profile: &Profile, user_id: &str, created_at: i64) -> Identity {
    Identity {
        connection: c.name.clone(),
        strategy: c.strategy.as_str().to_owned(),
        subject: profile.subject.clone(),
        user_id: user_id.to_owned(),
        email: profile.email.clone(),
        email_verified: profile.email.is_some() && profile.email_verified,
        name: profile.name.clone(),
        picture: profile.picture.clone(),
        created_at,
        updated_at: created_at,
    }
}

/// A user's identities as Auth0 lists them (`identities` on the user): the database connection's
/// first when the user signs in with a password there, then each upstream account.
pub async fn identities(
    store: &dyn portcullis_store::Store,
    user: &User,
) -> OAuthResult<Vec<serde_json::Value>> {
    use serde_json::json;
    let mut out = Vec::new();
    let database_user = !user.email.is_empty()
        && store
            .get_user_by_email(&user.email)
            .await?
            .is_some_and(|u| u.user_id == user.user_id);
    if database_user {
        out.push(json!({
            "connection": super::DATABASE_CONNECTION,
            "provider": "auth0",
            "user_id": user.user_id.strip_prefix("auth0|").unwrap_or(&user.user_id),
            "isSocial": false,
        }));
    }
    for id in store.list_user_identities(&user.user_id).await? {
        out.push(json!({
            "connection": id.connection,
            "provider": id.strategy,
            "user_id": id.subject,
            "isSocial": id.strategy != "oidc",
            "profileData": {
                "email": id.email,
                "email_verified": id.email_verified,
                "name": id.name,
                "picture": id.picture,
            },
        }));
    }
    Ok(out)
}
