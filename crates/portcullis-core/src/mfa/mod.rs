//! Multi-factor authentication: the policy (tenant, configuration, application), which second
//! factor a sign-in needs, authenticator-app codes (RFC 6238), recovery codes, and the `amr` /
//! `acr` claims derived from what a session's user actually did (RFC 8176).

pub mod amr;
pub mod notify;
pub mod passkey;
pub mod policy;
pub mod recovery;
pub mod requirement;
pub mod totp;

pub use amr::Authentication;
pub use policy::MfaPolicy;
pub use requirement::Requirement;

use crate::Provider;
use crate::error::{ErrorCode, OAuthError, OAuthResult};
use crate::throttle::{Attempt, Throttle};
use portcullis_store::{FactorKind, MfaFactor, Session, SessionFactor, User};

/// The `acr` value that asks for, and reports, multi-factor authentication: OpenID Provider
/// Authentication Policy Extension 1.0 §5, what Auth0 and its SDKs send in `acr_values`.
pub const MULTI_FACTOR_ACR: &str = "http://schemas.openid.net/pape/policies/2007/06/multi-factor";

/// RFC 8176 §2 method names recorded on sessions.
pub mod method {
    /// Password.
    pub const PWD: &str = "pwd";
    /// One-time password (TOTP, and single-use recovery codes).
    pub const OTP: &str = "otp";
    /// Proof of possession of a hardware-secured key (a passkey).
    pub const HWK: &str = "hwk";
    /// Proof of possession of a software-secured key.
    pub const SWK: &str = "swk";
    /// User presence verified by the authenticator (biometric or PIN behind a passkey).
    pub const USER: &str = "user";
    /// A one-time code or link mailed to the user's address (passwordless `email`): a first
    /// factor, proving control of the mailbox. Not registered in RFC 8176 (§2 allows others).
    pub const EMAIL: &str = "email";
    /// Federated: signed in at an upstream identity provider (a social or enterprise
    /// connection), a first factor. Not registered in RFC 8176 (§2 allows others).
    pub const FED: &str = "fed";
    /// Multiple-factor authentication.
    pub const MFA: &str = "mfa";
}

/// Whether `method` proves who signs in on its own (a password, a mailed code, an upstream
/// sign-in, or the user verification behind a passkey): with a second factor, it makes `mfa`.
pub fn is_first_factor(method: &str) -> bool {
    matches!(
        method,
        method::PWD | method::EMAIL | method::FED | method::USER
    )
}

/// Whether `method` is a second factor (something the user has), as opposed to a password.
pub fn is_second_factor(method: &str) -> bool {
    matches!(method, method::OTP | method::HWK | method::SWK)
}

/// Records that the session's user authenticated with `method` now.
pub async fn record(p: &Provider, session: &Session, method: &str) -> OAuthResult<()> {
    p.store
        .add_session_factor(
            &session.session_id,
            &SessionFactor {
                method: method.to_owned(),
                at: p.now(),
            },
        )
        .await?;
    Ok(())
}

/// A user's enrolled (confirmed) factors.
pub async fn confirmed_factors(p: &Provider, user_id: &str) -> OAuthResult<Vec<MfaFactor>> {
    Ok(p.store
        .list_mfa_factors(user_id)
        .await?
        .into_iter()
        .filter(|f| f.confirmed)
        .collect())
}

/// What a user has enrolled, for the pages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Enrolled {
    pub totp: bool,
    pub passkeys: usize,
    pub recovery_codes: u32,
}

impl Enrolled {
    /// Whether any second factor is enrolled (recovery codes alone are not one).
    pub fn any(&self) -> bool {
        self.totp || self.passkeys > 0
    }
}

/// What `user_id` has enrolled.
pub async fn enrolled(p: &Provider, user_id: &str) -> OAuthResult<Enrolled> {
    let factors = confirmed_factors(p, user_id).await?;
    Ok(Enrolled {
        totp: factors.iter().any(|f| f.kind == FactorKind::Totp),
        passkeys: factors
            .iter()
            .filter(|f| f.kind == FactorKind::Passkey)
            .count(),
        recovery_codes: p.store.count_recovery_codes(user_id).await?,
    })
}

/// Removes one factor of `user` (and the recovery codes with the last factor) and tells the
/// owner by mail. Returns whether it existed.
pub async fn remove_factor(
    p: &Provider,
    user: &User,
    factor_id: &str,
    lang: crate::i18n::Lang,
) -> OAuthResult<bool> {
    let Some(factor) = p
        .store
        .list_mfa_factors(&user.user_id)
        .await?
        .into_iter()
        .find(|f| f.factor_id == factor_id)
    else {
        return Ok(false);
    };
    if !p.store.delete_mfa_factor(&user.user_id, factor_id).await? {
        return Ok(false);
    }
    if !enrolled(p, &user.user_id).await?.any() {
        p.store.delete_user_mfa(&user.user_id).await?;
    }
    if factor.confirmed {
        let kind = match factor.kind {
            FactorKind::Totp => notify::Factor::AuthenticatorApp,
            FactorKind::Passkey => notify::Factor::Passkey,
        };
        notify::factor_removed(p, user, lang, kind).await?;
    }
    tracing::info!(event = "mfa_removed", user_id = %user.user_id, factor_id, "second factor removed");
    Ok(true)
}

/// Removes every factor and recovery code of a user and ends all their sessions (an operator's
/// reset, for a user who lost their device). Returns how many factors were removed.
pub async fn reset(p: &Provider, user_id: &str) -> OAuthResult<u64> {
    let removed = p.store.delete_user_mfa(user_id).await?;
    crate::sessions::end_all_for_user(p, user_id).await?;
    Ok(removed)
}

/// Why a second factor was not accepted. The messages are what the pages show.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MfaError {
    #[error("That code is not right. Check the code and try again.")]
    WrongCode,
    #[error("That code was already used. Wait for the next code.")]
    Reused,
    #[error("Too many failed attempts. Try again later.")]
    TooManyAttempts,
    #[error("No such factor is enrolled.")]
    NotEnrolled,
    #[error("This set-up has expired. Start again.")]
    Expired,
    #[error("That passkey was not accepted. Try again, or use another way to sign in.")]
    PasskeyRefused,
    #[error("This passkey is not registered here. Sign in another way, or use another passkey.")]
    UnknownPasskey,
    #[error("Passkeys cannot be used on this site.")]
    PasskeysUnavailable,
    #[error("This account is blocked. Contact your administrator.")]
    Blocked,
    #[error("Something went wrong on our side. Try again.")]
    Internal(#[from] OAuthError),
}

impl From<portcullis_store::StoreError> for MfaError {
    fn from(e: portcullis_store::StoreError) -> Self {
        MfaError::Internal(e.into())
    }
}

/// Reserves one second-factor attempt for `user` from `ip` (per user and address, reset only
/// by a correct second factor, so signing in with the password again buys no new guesses).
async fn attempt(p: &Provider, user: &User, ip: &str) -> Result<Attempt, MfaError> {
    Throttle::SecondFactor {
        user_id: &user.user_id,
        ip,
    }
    .reserve(p)
    .await
    .map_err(|e| match e.code {
        ErrorCode::TooManyAttempts => MfaError::TooManyAttempts,
        _ => MfaError::Internal(e),
    })
}

/// A wrong second factor: its attempt stays counted, and it also counts toward the user's
/// sign-in lockout (the password throttle of [`crate::login`], per user and address).
async fn failed(p: &Provider, user: &User, ip: &str, attempt: Attempt) -> MfaError {
    failed_with(p, user, ip, attempt, MfaError::WrongCode).await
}

/// [`failed`], answering with `error` (a refused passkey rather than a wrong code).
async fn failed_with(
    p: &Provider,
    user: &User,
    ip: &str,
    attempt: Attempt,
    error: MfaError,
) -> MfaError {
    drop(attempt);
    let email = crate::email::canonical(&user.email);
    // Reserving and dropping an attempt counts it; a full counter is already a lockout.
    match (Throttle::SignIn { email: &email, ip }).reserve(p).await {
        Ok(counted) => drop(counted),
        Err(e) if e.code == ErrorCode::TooManyAttempts => {}
        Err(e) => return MfaError::Internal(e),
    }
    tracing::info!(event = "second_factor_failed", user_id = %user.user_id, "wrong second factor");
    error
}

#[cfg(test)]
mod passkey_tests;
#[cfg(test)]
mod tests;
