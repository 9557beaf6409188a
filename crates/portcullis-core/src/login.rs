//! Password sign-in with brute-force protection: attempts are counted per (user, IP) in the
//! shared store (so limits hold across replicas), reserved atomically before the expensive
//! hash, and an unknown email costs the same hash as a known one (no enumeration by timing).

use crate::Provider;
use crate::audit::{self, Event, EventType};
use crate::error::{ErrorCode, OAuthError};
use crate::i18n::Lang;
use crate::throttle::Throttle;
use portcullis_store::{IMPORTED_PASSWORD_PREFIX, User};

/// Why a sign-in failed. The messages are what the sign-in page shows.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    #[error("Wrong email or password.")]
    InvalidCredentials,
    #[error("This account is blocked. Contact your administrator.")]
    Blocked,
    #[error("Too many failed attempts. Try again later.")]
    TooManyAttempts,
    #[error("Something went wrong on our side. Try again.")]
    Internal(#[from] OAuthError),
}

impl From<portcullis_store::StoreError> for LoginError {
    fn from(e: portcullis_store::StoreError) -> Self {
        LoginError::Internal(e.into())
    }
}

/// Checks an email and password. `client_ip` keys the throttle (Auth0: 10 failures per user
/// and IP, then that pair is blocked for the window). The attempt is reserved before the hash,
/// atomically ([`Throttle::SignIn`]), so parallel guesses get no more checks than the limit.
pub async fn authenticate(
    p: &Provider,
    email: &str,
    password: &str,
    client_ip: &str,
) -> Result<User, LoginError> {
    authenticate_in(p, email, password, client_ip, Lang::En).await
}

/// [`authenticate`], for a page in `lang`: when this failure locks the account out, its owner
/// is mailed (in `lang`, once per lockout) a link that lifts the lockout
/// ([`crate::accounts::unblock`]).
pub async fn authenticate_in(
    p: &Provider,
    email: &str,
    password: &str,
    client_ip: &str,
    lang: Lang,
) -> Result<User, LoginError> {
    let email = crate::email::canonical(email);
    if email.is_empty() || email.len() > 320 || password.is_empty() || password.len() > 1024 {
        return Err(LoginError::InvalidCredentials);
    }
    let attempt = Throttle::SignIn {
        email: &email,
        ip: client_ip,
    }
    .reserve(p)
    .await
    .map_err(|e| match e.code {
        ErrorCode::TooManyAttempts => LoginError::TooManyAttempts,
        _ => LoginError::Internal(e),
    })?;
    let user = p.store.get_user_by_email(&email).await?;
    let stored = user.as_ref().and_then(|u| u.password_hash.as_deref());
    let ok = match stored.and_then(|h| h.strip_prefix(IMPORTED_PASSWORD_PREFIX)) {
        Some(imported) => p.passwords.verify_imported(password, imported).await,
        None => p.passwords.verify(password, stored).await,
    }
    .map_err(OAuthError::server_error)?;
    match user {
        Some(user) if ok => {
            attempt.succeeded(p).await?;
            match crate::authorize::user_may_sign_in(&user) {
                Ok(()) => {
                    let user = upgrade_imported_hash(p, user, password).await;
                    audit::record(
                        p,
                        Event::new(EventType::SUCCESS_LOGIN)
                            .user(&user)
                            .description("Successful login")
                            .detail("connection", "Username-Password-Authentication"),
                    );
                    Ok(user)
                }
                Err(_) => {
                    audit::record(
                        p,
                        Event::new(EventType::FAILED_LOGIN)
                            .user(&user)
                            .description("user is blocked"),
                    );
                    Err(LoginError::Blocked)
                }
            }
        }
        // The reserved attempt stays counted; it may be the one that locks the account out.
        // Unknown addresses take the same check (and no mail), so timing tells nothing.
        user => {
            drop(attempt);
            let event = match &user {
                Some(user) => Event::new(EventType::WRONG_PASSWORD).user(user),
                None => Event::new(EventType::WRONG_USERNAME).user_name(&email),
            };
            audit::record(p, event.description("Wrong email or password."));
            let lockout = (email.as_str(), client_ip, lang);
            crate::accounts::unblock::on_failed_sign_in(p, user.as_ref(), lockout).await?;
            Err(LoginError::InvalidCredentials)
        }
    }
}

/// After a successful sign-in with a hash imported from another system: replaces it with an
/// argon2id hash of the password just verified (only if it is still the imported one, so a
/// password changed meanwhile is never overwritten). A failure here is logged and costs the
/// user nothing: the next sign-in tries again.
async fn upgrade_imported_hash(p: &Provider, mut user: User, password: &str) -> User {
    let Some(old) = user
        .password_hash
        .clone()
        .filter(|h| h.starts_with(IMPORTED_PASSWORD_PREFIX))
    else {
        return user;
    };
    let new = match p.passwords.hash(password).await {
        Ok(new) => new,
        Err(e) => {
            tracing::error!(error = %e, "re-hashing an imported password failed");
            return user;
        }
    };
    match p
        .store
        .replace_password_hash(&user.user_id, &old, &new, p.now())
        .await
    {
        Ok(true) => {
            tracing::info!(user_id = %user.user_id, "imported password hash upgraded to argon2id");
            user.password_hash = Some(new);
        }
        Ok(false) => {}
        Err(e) => tracing::error!(error = %e, "storing an upgraded password hash failed"),
    }
    user
}
