//! "Account blocked after failed sign-ins" (hosted accounts §3): when failed sign-ins lock an
//! account out from one network address ([`Throttle::SignIn`], Auth0's brute-force protection),
//! its owner gets one mail for that lockout, with a link that lifts it. The link works once and
//! until the lockout would have ended by itself; it is stored only as a keyed hash, and what it
//! unlocks (the throttle counter's key, itself a keyed hash) is its payload, so no address is
//! stored.

use super::{AccountError, link_token};
use crate::Provider;
use crate::crypto::new_id;
use crate::error::OAuthResult;
use crate::i18n::Lang;
use crate::mail::{self, templates};
use crate::throttle::Throttle;
use portcullis_store::{EmailToken, EmailTokenPurpose, RateKey, User};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Pending {
    /// The hex key of the sign-in counter the link resets.
    sign_in_key: String,
    /// The hex key of the counter that let this lockout send its one mail.
    mail_key: String,
}

/// Called after a failed sign-in as `email` (canonical, as the sign-in throttle keys it) from
/// `client_ip`: if that failure locked the pair out and `user` has that address, mails the
/// owner a link that unblocks it, once per lockout (of concurrent failures that all see the
/// lockout, one sends).
pub(crate) async fn on_failed_sign_in(
    p: &Provider,
    user: Option<&User>,
    (email, client_ip, lang): (&str, &str, Lang),
) -> OAuthResult<()> {
    let sign_in = Throttle::SignIn {
        email,
        ip: client_ip,
    };
    let (true, Some(user)) = (sign_in.exhausted(p).await?, user) else {
        return Ok(());
    };
    let once = Throttle::LockoutMail {
        email,
        ip: client_ip,
    };
    let mail_key = once.rate_key(p);
    if once.reserve(p).await.is_err() {
        return Ok(()); // This lockout already sent its mail.
    }
    let now = p.now();
    let token = link_token();
    let pending = Pending {
        sign_in_key: sign_in.rate_key(p).as_str().to_owned(),
        mail_key: mail_key.as_str().to_owned(),
    };
    p.store
        .put_email_token(&EmailToken {
            token_id: new_id("ubl"),
            purpose: EmailTokenPurpose::Unblock,
            email: user.email.clone(),
            user_id: Some(user.user_id.clone()),
            token_hash: p.hasher.hash(&token),
            code_hash: None,
            attempts: 0,
            payload: serde_json::to_string(&pending).map_err(crate::OAuthError::server_error)?,
            created_at: now,
            expires_at: now + p.config.failed_login_window,
        })
        .await?;
    let link = p
        .config
        .issuer
        .endpoint(&format!("u/unblock?token={token}"));
    let minutes = (p.config.failed_login_window / 60).max(1);
    mail::enqueue(
        p,
        templates::account_blocked(
            lang,
            &p.config.product_name,
            &user.email,
            p.config.max_failed_logins,
            &link,
            minutes,
        ),
    )
    .await?;
    tracing::info!(event = "sign_in_lockout", user_id = %user.user_id, "account locked out after failed sign-ins; unblock link mailed");
    Ok(())
}

fn expired() -> AccountError {
    AccountError::Expired(
        "This link has expired or was already used. If sign-in is still blocked, wait and try again later.",
    )
}

/// The account an unblock link is for, while the link is valid (for showing the page).
pub async fn lookup(p: &Provider, token: &str) -> Result<String, AccountError> {
    Ok(find(p, token).await?.email)
}

async fn find(p: &Provider, token: &str) -> Result<EmailToken, AccountError> {
    if token.is_empty() || token.len() > 128 {
        return Err(expired());
    }
    p.store
        .get_email_token_by_hash(EmailTokenPurpose::Unblock, &p.hasher.hash(token))
        .await?
        .filter(|t| t.expires_at > p.now())
        .ok_or_else(expired)
}

/// Uses the link (once) and lifts the lockout: the failed sign-ins counted for that account
/// from that address are forgotten, and a later lockout mails again. Returns the address.
pub async fn complete(p: &Provider, token: &str) -> Result<String, AccountError> {
    let record = find(p, token).await?;
    if !p.store.take_email_token(&record.token_id).await? {
        return Err(expired());
    }
    let pending: Pending =
        serde_json::from_str(&record.payload).map_err(crate::OAuthError::server_error)?;
    for key in [&pending.sign_in_key, &pending.mail_key] {
        let key = parse_key(key).ok_or_else(expired)?;
        p.store.reset(&key).await?;
    }
    tracing::info!(event = "sign_in_unblocked", user_id = ?record.user_id, "sign-in lockout lifted by the mailed link");
    Ok(record.email)
}

/// A [`RateKey`] back from its 64 hex characters.
fn parse_key(hex: &str) -> Option<RateKey> {
    if hex.len() != 64 {
        return None;
    }
    let mut digest = [0u8; 32];
    for (i, byte) in digest.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(RateKey::from_digest(digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_survive_the_round_trip_through_hex() {
        let key = RateKey::from_digest([0xa5; 32]);
        assert_eq!(parse_key(key.as_str()), Some(key));
        assert_eq!(parse_key("zz"), None);
        assert_eq!(parse_key(&"g".repeat(64)), None);
    }
}
