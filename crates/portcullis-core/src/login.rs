//! Password sign-in with brute-force protection: attempts are counted per (user, IP) in the
//! shared store (so limits hold across replicas), reserved atomically before the expensive
//! hash, and an unknown email costs the same hash as a known one (no enumeration by timing).

use crate::Provider;
use crate::error::{ErrorCode, OAuthError};
use crate::i18n::Lang;
use crate::throttle::Throttle;
use portcullis_store::User;

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
    let ok = p
        .passwords
        .verify(
            password,
            user.as_ref().and_then(|u| u.password_hash.as_deref()),
        )
        .await
        .map_err(OAuthError::server_error)?;
    match user {
        Some(user) if ok => {
            attempt.succeeded(p).await?;
            match crate::authorize::user_may_sign_in(&user) {
                Ok(()) => Ok(user),
                Err(_) => Err(LoginError::Blocked),
            }
        }
        // The reserved attempt stays counted; it may be the one that locks the account out.
        // Unknown addresses take the same check (and no mail), so timing tells nothing.
        user => {
            drop(attempt);
            let lockout = (email.as_str(), client_ip, lang);
            crate::accounts::unblock::on_failed_sign_in(p, user.as_ref(), lockout).await?;
            Err(LoginError::InvalidCredentials)
        }
    }
}
