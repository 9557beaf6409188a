//! Passwordless sign-in by email (Auth0's `email` connection): `/passwordless/start` mails a
//! 6-digit code or a magic link; the code is redeemed at the token endpoint (Auth0's
//! `passwordless/otp` grant) or on the hosted page of `/authorize?connection=email`, the link at
//! `/passwordless/verify_redirect`.
//!
//! Rules: the code and link are single-use, expire after [`LIFETIME`], are stored only as keyed
//! hashes, and a new start replaces the previous one; at most [`MAX_CODE_ATTEMPTS`] wrong codes;
//! starts are throttled per address and per network like every mail-sending request. The answer
//! to a start never depends on whether the address has an account: where the tenant does not
//! allow sign-up, an unknown address simply gets no mail, and its code can never be right.

use super::{AccountError, code_hash, link_token, six_digit_code};
use crate::Provider;
use crate::crypto::new_id;
use crate::i18n::Lang;
use crate::mail::{self, templates};
use crate::params::Params;
use portcullis_store::{EmailToken, EmailTokenPurpose, StoreError, User};
use serde::{Deserialize, Serialize};

/// How long a code or link works: 5 minutes.
pub const LIFETIME: i64 = 5 * 60;
/// Wrong codes allowed before the code stops working.
pub const MAX_CODE_ATTEMPTS: u32 = 5;

/// What to mail: Auth0's `send` member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// A 6-digit code to type.
    Code,
    /// A link that signs in when opened.
    Link,
}

impl Delivery {
    /// Auth0's values, `code` and `link`.
    pub fn parse(value: &str) -> Option<Delivery> {
        match value {
            "code" => Some(Delivery::Code),
            "link" => Some(Delivery::Link),
            _ => None,
        }
    }
}

/// A request to start a passwordless sign-in.
#[derive(Debug, Clone)]
pub struct Start<'a> {
    pub email: &'a str,
    pub send: Delivery,
    /// The application that asked; a code is good only for it.
    pub client_id: &'a str,
    /// For a link: the authorization request to answer once the link is opened (Auth0's
    /// `authParams` with the `client_id`); validated again then.
    pub auth_params: Option<Params>,
    /// For the hosted flow: the sealed transaction to resume.
    pub transaction: Option<&'a str>,
}

/// What the token keeps besides its hashes.
#[derive(Serialize, Deserialize)]
struct Pending {
    client_id: String,
    #[serde(default)]
    auth_params: Option<Params>,
    #[serde(default)]
    transaction: Option<String>,
}

/// A started passwordless sign-in: the canonical email and an id for Auth0's `_id` (fresh each
/// time, whether or not a mail was sent, so it says nothing about the address).
#[derive(Debug, Clone)]
pub struct Started {
    pub email: String,
    pub id: String,
}

/// Starts a passwordless sign-in. `link_url` turns the link token into the URL mailed
/// (`{issuer}passwordless/verify_redirect?token=…`).
pub async fn start(
    p: &Provider,
    request: Start<'_>,
    client_ip: &str,
    link_url: &(dyn Fn(&str) -> String + Sync),
    lang: Lang,
) -> Result<Started, AccountError> {
    let email = crate::admin::validate::normalize_email(request.email)
        .map_err(|_| AccountError::field("email", "Enter a valid email address."))?;
    super::throttle_mail_request(p, client_ip, &email).await?;
    let user = p.store.get_user_by_email(&email).await?;
    if user.is_none() && !super::signup_enabled(p).await? {
        tracing::info!(
            event = "passwordless_unknown_email",
            "passwordless start for an unknown address while sign-up is closed: no mail sent"
        );
        return Ok(Started {
            email,
            id: new_id("pwl"),
        });
    }
    let now = p.now();
    let token_id = new_id("pwl");
    let token = link_token();
    let code = six_digit_code();
    let pending = Pending {
        client_id: request.client_id.to_owned(),
        auth_params: request.auth_params,
        transaction: request.transaction.map(str::to_owned),
    };
    p.store
        .put_email_token(&EmailToken {
            token_id: token_id.clone(),
            purpose: EmailTokenPurpose::Passwordless,
            email: email.clone(),
            user_id: user.map(|u| u.user_id),
            token_hash: p.hasher.hash(&token),
            code_hash: Some(code_hash(p, &token_id, &code)),
            attempts: 0,
            payload: serde_json::to_string(&pending).map_err(crate::OAuthError::server_error)?,
            created_at: now,
            expires_at: now + LIFETIME,
        })
        .await?;
    let link = link_url(&token);
    let (code, link) = match request.send {
        Delivery::Code => (Some(code.as_str()), None),
        Delivery::Link => (None, Some(link.as_str())),
    };
    let message = templates::passwordless(
        lang,
        &p.config.product_name,
        &email,
        code,
        link,
        LIFETIME / 60,
    );
    mail::enqueue(p, message).await?;
    Ok(Started {
        email,
        id: token_id,
    })
}

/// A verified passwordless sign-in: the user, and what to resume.
#[derive(Debug)]
pub struct Verified {
    pub user: User,
    /// The application the code or link was sent for.
    pub client_id: String,
    /// The authorization request of a magic link.
    pub auth_params: Option<Params>,
    /// The sealed transaction of the hosted flow.
    pub transaction: Option<String>,
}

/// The message for a wrong, used, expired or unknown code (one message: it says nothing about
/// whether the address has an account or a pending code).
pub const WRONG_CODE: &str = "Wrong email or verification code.";

/// Checks the code mailed to `email` for `client_id`, once. At most [`MAX_CODE_ATTEMPTS`]
/// wrong codes; then the code is gone and a new one must be asked for.
pub async fn verify_code(
    p: &Provider,
    email: &str,
    code: &str,
    client_id: &str,
) -> Result<Verified, AccountError> {
    let wrong = || AccountError::field("code", WRONG_CODE);
    let email = crate::email::canonical(email);
    if email.is_empty() || email.len() > 320 {
        return Err(wrong());
    }
    let Some(token) = p
        .store
        .get_email_token_for(EmailTokenPurpose::Passwordless, &email)
        .await?
        .filter(|t| t.expires_at > p.now())
    else {
        return Err(wrong());
    };
    let pending: Pending =
        serde_json::from_str(&token.payload).map_err(crate::OAuthError::server_error)?;
    let code = code.trim();
    let expected = token.code_hash.as_deref().unwrap_or_default();
    let right = code.len() == 6
        && p.hasher
            .verify(&format!("email-code:{}:{code}", token.token_id), expected);
    // A code sent for another application counts as a wrong guess here.
    if !right || pending.client_id != client_id {
        let attempts = match p.store.count_email_token_attempt(&token.token_id).await {
            Ok(n) => n,
            Err(StoreError::NotFound) => return Err(wrong()),
            Err(e) => return Err(e.into()),
        };
        if attempts >= MAX_CODE_ATTEMPTS {
            p.store.take_email_token(&token.token_id).await?;
            tracing::info!(
                event = "passwordless_code_exhausted",
                "too many wrong passwordless codes: code withdrawn"
            );
        }
        return Err(wrong());
    }
    complete(p, token, pending).await
}

/// Checks a magic link, once.
pub async fn verify_link(p: &Provider, token: &str) -> Result<Verified, AccountError> {
    let expired = || {
        AccountError::Expired(
            "This sign-in link has expired or was already used. Ask the application for a new one.",
        )
    };
    if token.is_empty() || token.len() > 128 {
        return Err(expired());
    }
    let Some(record) = p
        .store
        .get_email_token_by_hash(EmailTokenPurpose::Passwordless, &p.hasher.hash(token))
        .await?
        .filter(|t| t.expires_at > p.now())
    else {
        return Err(expired());
    };
    let pending: Pending =
        serde_json::from_str(&record.payload).map_err(crate::OAuthError::server_error)?;
    if pending.auth_params.is_none() && pending.transaction.is_none() {
        // A code-only start has no request to answer: its link was never mailed.
        return Err(expired());
    }
    complete(p, record, pending).await
}

/// Uses the token (once, whatever the concurrency), then finds the user, or creates them on a
/// first sign-in where the tenant allows sign-up. Opening the mail proved the address.
async fn complete(
    p: &Provider,
    token: EmailToken,
    pending: Pending,
) -> Result<Verified, AccountError> {
    if !p.store.take_email_token(&token.token_id).await? {
        return Err(AccountError::field("code", WRONG_CODE));
    }
    let user = match p.store.get_user_by_email(&token.email).await? {
        Some(mut user) => {
            if !user.email_verified {
                user.email_verified = true;
                user.updated_at = p.now();
                p.store.update_user(&user).await?;
            }
            user
        }
        None => create(p, &token.email).await?,
    };
    if crate::authorize::user_may_sign_in(&user).is_err() {
        return Err(AccountError::Blocked);
    }
    tracing::info!(event = "passwordless_sign_in", user_id = %user.user_id, client_id = %pending.client_id, "passwordless sign-in");
    Ok(Verified {
        user,
        client_id: pending.client_id,
        auth_params: pending.auth_params,
        transaction: pending.transaction,
    })
}

/// A first passwordless sign-in creates the account (email verified, no password), where
/// sign-up is open.
async fn create(p: &Provider, email: &str) -> Result<User, AccountError> {
    if !super::signup_enabled(p).await? {
        return Err(AccountError::SignupDisabled);
    }
    let now = p.now();
    let user = User {
        user_id: new_id("usr"),
        email: email.to_owned(),
        email_verified: true,
        name: None,
        given_name: None,
        family_name: None,
        nickname: email.split('@').next().map(str::to_owned),
        picture: None,
        password_hash: None,
        blocked: false,
        app_metadata: Default::default(),
        user_metadata: Default::default(),
        created_at: now,
        updated_at: now,
        phone_number: None,
        phone_number_verified: false,
        address: None,
    };
    match p.store.create_user(&user).await {
        Ok(()) => {}
        // Created meanwhile (another sign-in or an administrator): sign that account in.
        Err(StoreError::Conflict(_)) => {
            return p
                .store
                .get_user_by_email(email)
                .await?
                .ok_or(AccountError::Expired(WRONG_CODE));
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(event = "signup", user_id = %user.user_id, via = "passwordless", "account created");
    Ok(user)
}
