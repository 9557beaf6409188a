//! Throttling of guessable secrets (passwords, client secrets), shared by every replica through
//! the store.
//!
//! Each guarded check first *reserves* an attempt ([`Throttle::reserve`]): the store increments
//! and checks the counter in one atomic step, so however many requests arrive together, on
//! however many replicas, at most the limit of them reach the check in one window. A success
//! resets the counter; a failure keeps its attempt counted.
//!
//! Counters are keyed by a keyed hash of a typed key ([`Throttle`]), so a key is a fixed 64
//! characters whatever the request sent, and the kinds can never collide with one another.
//! Expired counters are purged by [`crate::maintenance`].

use crate::Provider;
use crate::error::{ErrorCode, OAuthError, OAuthResult};
use portcullis_store::RateKey;

/// What is being counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle<'a> {
    /// Sign-ins for one account (by canonical email) from one address (Auth0's brute-force
    /// protection: 10 failures per user and IP).
    SignIn { email: &'a str, ip: &'a str },
    /// Secret checks for one existing application from one address (RFC 6749 §2.3.1: protect
    /// the endpoint against brute force), so a stranger's guesses cannot lock the real
    /// application out.
    ClientSecret { client_id: &'a str, ip: &'a str },
    /// Authentications naming applications that do not exist, per address. Unknown client ids
    /// get no counter of their own: a caller could otherwise create one per id it invents.
    UnknownClient { ip: &'a str },
    /// Sign-ups and password-reset requests for one email address (each sends a mail).
    AccountMail { email: &'a str },
    /// Sign-ups and password-reset requests from one address, per minute.
    AccountRequests { ip: &'a str },
    /// The callback of one upstream sign-in (by its `state`): allowed once, so a replayed
    /// callback URL is refused on every replica.
    UpstreamCallback { state: &'a str },
}

impl Throttle<'_> {
    /// The counter's key: HMAC of an unambiguous encoding (kind, then length-prefixed fields).
    fn key(&self, p: &Provider) -> RateKey {
        let encoded = match self {
            Throttle::SignIn { email, ip } => {
                format!("sign-in:{}:{email}:{}:{ip}", email.len(), ip.len())
            }
            Throttle::ClientSecret { client_id, ip } => {
                format!(
                    "client-secret:{}:{client_id}:{}:{ip}",
                    client_id.len(),
                    ip.len()
                )
            }
            Throttle::UnknownClient { ip } => format!("unknown-client:{}:{ip}", ip.len()),
            Throttle::AccountMail { email } => format!("account-mail:{}:{email}", email.len()),
            Throttle::AccountRequests { ip } => format!("account-requests:{}:{ip}", ip.len()),
            Throttle::UpstreamCallback { state } => {
                format!("upstream-callback:{}:{state}", state.len())
            }
        };
        RateKey::from_digest(p.hasher.digest(encoded.as_bytes()))
    }

    /// Attempts allowed per window.
    fn limit(&self, p: &Provider) -> u32 {
        match self {
            Throttle::SignIn { .. } => p.config.max_failed_logins,
            Throttle::ClientSecret { .. } => p.config.max_failed_client_auth,
            Throttle::UnknownClient { .. } => p.config.max_unknown_client_auth_per_ip,
            Throttle::AccountMail { .. } => p.config.max_account_mails_per_email,
            Throttle::AccountRequests { .. } => p.config.max_account_requests_per_ip_per_minute,
            Throttle::UpstreamCallback { .. } => 1,
        }
    }

    /// The window the limit applies to, in seconds.
    fn window(&self, p: &Provider) -> i64 {
        match self {
            Throttle::AccountRequests { .. } => 60,
            Throttle::UpstreamCallback { .. } => crate::upstream::flow::LIFETIME,
            _ => p.config.failed_login_window,
        }
    }

    /// Reserves one attempt, or refuses with `too_many_attempts` when the limit is reached.
    pub async fn reserve(self, p: &Provider) -> OAuthResult<Attempt> {
        let key = self.key(p);
        let window = self.window(p);
        if p.store
            .try_acquire(&key, self.limit(p), window, p.now())
            .await?
        {
            Ok(Attempt { key })
        } else {
            Err(OAuthError::new(
                ErrorCode::TooManyAttempts,
                "Too many failed attempts; try again later.",
            ))
        }
    }
}

/// A reserved attempt. Dropping it (a failure) leaves it counted.
#[derive(Debug)]
#[must_use = "call succeeded() when the check passed; dropping it counts a failure"]
pub struct Attempt {
    key: RateKey,
}

impl Attempt {
    /// The check passed: the counter starts over.
    pub async fn succeeded(self, p: &Provider) -> OAuthResult<()> {
        p.store.reset(&self.key).await?;
        Ok(())
    }
}
