//! Throttling of guessable secrets (passwords, client secrets), shared by every replica through
//! the store.
//!
//! Each guarded check first *reserves* an attempt ([`Throttle::reserve`]): the store increments
//! and checks the counter in one atomic step, so however many requests arrive together, on
//! however many replicas, at most the limit of them reach the check in one window. A success
//! resets the counter; a failure keeps its attempt counted. Checks cheap enough to make first
//! (client secrets) may instead check, then reserve only on failure ([`Throttle::passed`]):
//! the answer is the same, and the common case (a right secret) writes nothing.
//!
//! Counters are keyed by a keyed hash of a typed key ([`Throttle`]), so a key is a fixed 64
//! characters whatever the request sent, and the kinds can never collide with one another.
//! Expired counters are purged by [`crate::maintenance`].

use crate::Provider;
use crate::audit::{self, Event, EventType};
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
    /// The "account blocked" mail of one [`Throttle::SignIn`] lockout: one per window.
    LockoutMail { email: &'a str, ip: &'a str },
    /// Second-factor codes (authenticator app, recovery code) for one user from one address;
    /// reset only by a correct second factor.
    SecondFactor { user_id: &'a str, ip: &'a str },
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

            Throttle::LockoutMail { email, ip } => {
                format!("lockout-mail:{}:{email}:{}:{ip}", email.len(), ip.len())
            }
            Throttle::SecondFactor { user_id, ip } => {
                format!(
                    "second-factor:{}:{user_id}:{}:{ip}",
                    user_id.len(),
                    ip.len()
                )
            }
        };
        RateKey::from_digest(p.hasher.digest(encoded.as_bytes()))
    }

    /// Attempts allowed per window.
    fn limit(&self, p: &Provider) -> u32 {
        match self {
            Throttle::SignIn { .. } | Throttle::SecondFactor { .. } => p.config.max_failed_logins,
            Throttle::ClientSecret { .. } => p.config.max_failed_client_auth,
            Throttle::UnknownClient { .. } => p.config.max_unknown_client_auth_per_ip,
            Throttle::AccountMail { .. } => p.config.max_account_mails_per_email,
            Throttle::AccountRequests { .. } => p.config.max_account_requests_per_ip_per_minute,
            Throttle::UpstreamCallback { .. } | Throttle::LockoutMail { .. } => 1,
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

    /// The counter's key, for lifting a limit later ([`crate::accounts::unblock`]).
    pub(crate) fn rate_key(&self, p: &Provider) -> RateKey {
        self.key(p)
    }

    /// Whether the attempts counted have reached the limit: the next one is refused.
    pub(crate) async fn exhausted(&self, p: &Provider) -> OAuthResult<bool> {
        Ok(p.store.attempts(&self.key(p), p.now()).await? >= self.limit(p))
    }

    /// A refusal in the audit log: Auth0's `limit_wc` (blocked account: one address, one
    /// account) for sign-ins, `limit_mu` (blocked IP address) for the others.
    fn record_refusal(&self, p: &Provider) {
        let event = match self {
            Throttle::SignIn { email, .. } => Event::new(EventType::BLOCKED_ACCOUNT)
                .user_name(*email)
                .description("Too many failed sign-ins into this account from this address"),
            Throttle::ClientSecret { client_id, .. } => Event::new(EventType::BLOCKED_IP)
                .client_id(*client_id)
                .description("Too many failed client authentications from this address"),
            Throttle::UnknownClient { .. } => Event::new(EventType::BLOCKED_IP)
                .description("Too many authentications naming unknown applications"),
            Throttle::AccountMail { email } => Event::new(EventType::BLOCKED_IP)
                .user_name(*email)
                .description("Too many sign-up or reset mails for this address"),
            Throttle::AccountRequests { .. } => Event::new(EventType::BLOCKED_IP)
                .description("Too many sign-ups or reset requests from this address"),
            Throttle::LockoutMail { email, .. } => Event::new(EventType::BLOCKED_ACCOUNT)
                .user_name(*email)
                .description("Lockout mail already sent for this account and address"),
            Throttle::SecondFactor { user_id, .. } => Event::new(EventType::BLOCKED_ACCOUNT)
                .detail("user_id", *user_id)
                .description("Too many wrong second-factor codes from this address"),
            Throttle::UpstreamCallback { .. } => Event::new(EventType::FAILED_LOGIN)
                .description("An upstream sign-in callback was used more than once"),
        };
        audit::record(p, event);
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
            if first_refusal(&key, p.now(), window) {
                self.record_refusal(p);
            }
            Err(too_many_attempts())
        }
    }

    /// For a check that is cheap enough to make *before* reserving (a keyed hash compared in
    /// constant time, not a password hash) and that passed: refused with `too_many_attempts`
    /// when the limit is already reached, as [`Throttle::reserve`] would have refused it;
    /// otherwise the counter starts over. In the same serial order of store operations this
    /// answers exactly as reserve-then-[`Attempt::succeeded`], but costs one read instead of two
    /// writes, and a write only when the counter holds earlier failures. A check that failed
    /// still calls [`Throttle::reserve`], so failures are counted atomically as before.
    pub async fn passed(self, p: &Provider) -> OAuthResult<()> {
        let key = self.key(p);
        let attempts = p.store.attempts(&key, p.now()).await?;
        if attempts >= self.limit(p) {
            return Err(too_many_attempts());
        }
        if attempts > 0 {
            p.store.reset(&key).await?;
        }
        Ok(())
    }
}

fn too_many_attempts() -> OAuthError {
    OAuthError::new(
        ErrorCode::TooManyAttempts,
        "Too many failed attempts; try again later.",
    )
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

/// Refusals already written to the audit log, by counter key, with when that note expires: one
/// `limit_*` event per blocked counter and window, so a flood of refused requests cannot grow
/// the log. Per process and bounded; another replica may write its own note.
static LOGGED_REFUSALS: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<String, i64>>,
> = std::sync::LazyLock::new(Default::default);

/// The most counters remembered in [`LOGGED_REFUSALS`].
const MAX_LOGGED_REFUSALS: usize = 10_000;

/// Whether this refusal of `key` is the first of its window (and remembers it).
fn first_refusal(key: &RateKey, now: i64, window: i64) -> bool {
    let mut logged = LOGGED_REFUSALS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if logged.len() >= MAX_LOGGED_REFUSALS {
        logged.retain(|_, until| *until > now);
        if logged.len() >= MAX_LOGGED_REFUSALS {
            logged.clear();
        }
    }
    match logged.get(key.as_str()) {
        Some(until) if *until > now => false,
        _ => {
            logged.insert(key.as_str().to_owned(), now + window);
            true
        }
    }
}
