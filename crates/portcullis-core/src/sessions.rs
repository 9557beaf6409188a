//! IdP sessions: the cookie that lets a second application sign in without a prompt (SSO).
//! The cookie holds a random 256-bit secret; the store keeps only its keyed hash.

use crate::Provider;
use crate::crypto::{new_id, random_token};
use crate::error::OAuthResult;
use portcullis_store::{Session, User};

/// Finds the live session behind a cookie value and its (unblocked) user, and slides the
/// inactivity deadline forward. Anything expired, unknown or blocked is no session.
pub async fn find(p: &Provider, cookie: Option<&str>) -> OAuthResult<Option<(Session, User)>> {
    let Some(cookie) = cookie.filter(|c| !c.is_empty() && c.len() <= 128) else {
        return Ok(None);
    };
    let now = p.now();
    let Some(session) = p
        .store
        .get_session_by_secret_hash(&p.hasher.hash(cookie))
        .await?
    else {
        return Ok(None);
    };
    if session.expires_at <= now || session.idle_expires_at <= now {
        p.store.delete_session(&session.session_id).await?;
        return Ok(None);
    }
    let Some(user) = p.store.get_user(&session.user_id).await? else {
        return Ok(None);
    };
    if crate::authorize::user_may_sign_in(&user).is_err() {
        return Ok(None);
    }
    let idle = (now + p.config.session_idle_lifetime).min(session.expires_at);
    // Touch at most once a minute to keep writes off the hot path.
    if idle - session.idle_expires_at >= 60 {
        p.store.touch_session(&session.session_id, idle).await?;
    }
    Ok(Some((session, user)))
}

/// Starts a new session for `user` (a new id on every sign-in: no session fixation). Returns the
/// cookie value and the session.
pub async fn create(p: &Provider, user: &User) -> OAuthResult<(String, Session)> {
    let now = p.now();
    let secret = random_token(32);
    let session = Session {
        session_id: new_id("ses"),
        secret_hash: p.hasher.hash(&secret),
        user_id: user.user_id.clone(),
        auth_time: now,
        created_at: now,
        idle_expires_at: now + p.config.session_idle_lifetime,
        expires_at: now + p.config.session_lifetime,
    };
    p.store.create_session(&session).await?;
    Ok((secret, session))
}

/// Ends a session: tells the applications that took part in it (back-channel logout), and
/// revokes the refresh tokens it issued, except `offline_access` ones (OIDC Back-Channel Logout
/// §2.7, RFC 9700 §4.14.2).
pub async fn end(p: &Provider, session: &Session) -> OAuthResult<()> {
    crate::backchannel::notify_session_end(p, session).await?;
    p.store
        .revoke_session_grants(&session.session_id, false)
        .await?;
    p.store.delete_session(&session.session_id).await?;
    Ok(())
}

/// The one place that signs a user out everywhere (password reset or change, block, deletion):
/// each session ends as a logout would (its applications are told, by back-channel logout),
/// then every grant of the user is revoked, `offline_access` ones included. Returns how many
/// sessions ended.
pub async fn end_all_for_user(p: &Provider, user_id: &str) -> OAuthResult<usize> {
    let sessions = p.store.list_user_sessions(user_id).await?;
    for session in &sessions {
        end(p, session).await?;
    }
    p.store.revoke_user_grants(user_id).await?;
    p.store.delete_user_sessions(user_id).await?;
    Ok(sessions.len())
}

/// Ends whatever session a cookie names (blocked users included). Returns whether there was one.
pub async fn end_by_cookie(p: &Provider, cookie: Option<&str>) -> OAuthResult<bool> {
    let Some(cookie) = cookie.filter(|c| !c.is_empty() && c.len() <= 128) else {
        return Ok(false);
    };
    match p
        .store
        .get_session_by_secret_hash(&p.hasher.hash(cookie))
        .await?
    {
        Some(session) => {
            end(p, &session).await?;
            crate::audit::record(
                p,
                crate::audit::Event::new(crate::audit::EventType::SUCCESS_LOGOUT)
                    .user_id(session.user_id.as_str())
                    .description("User successfully logged out")
                    .detail("session_id", session.session_id.as_str()),
            );
            Ok(true)
        }
        None => Ok(false),
    }
}
