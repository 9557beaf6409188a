//! Hosted accounts: sign-up confirmed by email, and password reset. Every rule here is
//! enumeration-safe by design: what a visitor sees never depends on whether an address has an
//! account; only the mail that address receives does.

pub mod add_password;
pub mod passwordless;
pub mod profile;
pub mod reset;
pub mod signup;
pub mod unblock;

use crate::crypto::random_token;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};

/// Why an account request was refused, in words for the page that shows it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AccountError {
    /// A field is wrong: shown next to that field.
    #[error("{message}")]
    Field {
        field: &'static str,
        message: String,
    },
    /// Sign-up is turned off for this tenant.
    #[error("Sign-up is not available. Ask your administrator for an account.")]
    SignupDisabled,
    /// Too many requests for this address or from this network.
    #[error("Too many attempts. Wait a few minutes and try again.")]
    TooManyRequests,
    /// The link or code is wrong, used or expired.
    #[error("{0}")]
    Expired(&'static str),
    /// The account is blocked.
    #[error("This account is blocked. Contact your administrator.")]
    Blocked,
    #[error("Something went wrong on our side. Try again.")]
    Internal(#[from] crate::OAuthError),
}

impl From<portcullis_store::StoreError> for AccountError {
    fn from(e: portcullis_store::StoreError) -> Self {
        AccountError::Internal(e.into())
    }
}

impl AccountError {
    fn field(field: &'static str, message: impl Into<String>) -> Self {
        AccountError::Field {
            field,
            message: message.into(),
        }
    }

    /// Maps a throttle refusal to [`AccountError::TooManyRequests`].
    fn from_throttle(e: crate::OAuthError) -> Self {
        if e.code == crate::ErrorCode::TooManyAttempts {
            AccountError::TooManyRequests
        } else {
            AccountError::Internal(e)
        }
    }
}

/// Counts a request that sends a mail (sign-up, reset): one from this network address (per
/// minute) and one for this email address (per window). Both stay counted, whatever the outcome.
async fn throttle_mail_request(
    p: &crate::Provider,
    client_ip: &str,
    email: &str,
) -> Result<(), AccountError> {
    use crate::throttle::Throttle;
    let _request = Throttle::AccountRequests { ip: client_ip }
        .reserve(p)
        .await
        .map_err(AccountError::from_throttle)?;
    let _mail = Throttle::AccountMail { email }
        .reserve(p)
        .await
        .map_err(AccountError::from_throttle)?;
    Ok(())
}

/// Whether the hosted sign-up page is open: on unless the configuration (`signup`) or the
/// tenant file (`[tenant] signup = false`) turns it off.
pub async fn signup_enabled(p: &crate::Provider) -> crate::OAuthResult<bool> {
    if !p.config.signup_enabled {
        return Ok(false);
    }
    Ok(p.catalog
        .setting(p.store.as_ref(), "signup")
        .await?
        .as_deref()
        != Some("false"))
}

/// A link token: 256 random bits.
fn link_token() -> String {
    random_token(32)
}

/// A 6-digit code, uniform over 000000–999999 (rejection sampling).
fn six_digit_code() -> String {
    let rng = SystemRandom::new();
    loop {
        let mut bytes = [0u8; 4];
        #[allow(clippy::expect_used)]
        rng.fill(&mut bytes)
            .expect("the operating system's random number generator failed");
        let n = u32::from_be_bytes(bytes);
        // 4_294_000_000 is the largest multiple of 1_000_000 below 2^32.
        if n < 4_294_000_000 {
            return format!("{:06}", n % 1_000_000);
        }
    }
}

/// The keyed hash a code is stored as, bound to its token so codes of different sign-ups never
/// share a hash.
fn code_hash(p: &crate::Provider, token_id: &str, code: &str) -> String {
    p.hasher.hash(&format!("email-code:{token_id}:{code}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits() {
        for _ in 0..200 {
            let code = six_digit_code();
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
    }
}
