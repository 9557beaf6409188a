//! Adding a password to an account that has none: a user who signed up through an upstream
//! connection (Google, GitHub, OpenID Connect) or a passwordless code, and wants to sign in with
//! their email and a password too (issue: connections, "linking only when the user proves
//! both").
//!
//! The address becomes a sign-in name, so it must be proven first: the new password waits,
//! hashed, behind a mailed link, and the link works only in a browser signed in to the same
//! account (a mail scanner or the address's owner clicking someone else's request adds
//! nothing). An address that already belongs to a password account is never taken over: its
//! owner gets a mail saying how to connect the two accounts instead.

use super::{AccountError, link_token};
use crate::Provider;
use crate::audit::{self, Event, EventType};
use crate::crypto::new_id;
use crate::i18n::Lang;
use crate::mail::{self, templates};
use crate::throttle::Throttle;
use portcullis_store::{EmailToken, EmailTokenPurpose, StoreError, User};
use serde::{Deserialize, Serialize};

/// How long the mailed link works.
pub const LINK_LIFETIME_SECONDS: i64 = 3600;

/// What the link completes.
#[derive(Serialize, Deserialize)]
struct Pending {
    password_hash: String,
}

/// Whether `user` has no password and can add one (its address is not yet proven as a sign-in
/// name).
pub fn can_add(user: &User) -> bool {
    user.password_hash.is_none()
}

/// Where the mails point.
pub struct Links<'a> {
    /// The confirmation link, given the token: `{issuer}u/account/password/confirm?token=…`.
    pub confirm: &'a (dyn Fn(&str) -> String + Sync),
    /// The account page (for the owner of a taken address).
    pub account: &'a str,
}

/// Checks the new password and mails the link that adds it. The answer is the same whether or
/// not the address already has a password account (only the mail differs).
pub async fn request(
    p: &Provider,
    user: &User,
    new_password: &str,
    links: Links<'_>,
    lang: Lang,
) -> Result<(), AccountError> {
    if !can_add(user) {
        return Err(AccountError::field(
            "new_password",
            "Your account already has a password.",
        ));
    }
    if user.email.is_empty() {
        return Err(AccountError::field(
            "new_password",
            "Your account has no email address, so it cannot have a password.",
        ));
    }
    if let Err(violation) = crate::password_policy::check(new_password, Some(&user.email)) {
        return Err(AccountError::field("new_password", violation.to_string()));
    }
    let _mail = Throttle::AccountMail { email: &user.email }
        .reserve(p)
        .await
        .map_err(AccountError::from_throttle)?;
    let password_hash = p
        .passwords
        .hash(new_password)
        .await
        .map_err(crate::OAuthError::server_error)?;
    let product = &p.config.product_name;
    let taken = p
        .store
        .get_user_by_email(&user.email)
        .await?
        .is_some_and(|owner| owner.user_id != user.user_id);
    if taken {
        mail::enqueue(
            p,
            templates::add_password_for_existing_account(lang, product, &user.email, links.account),
        )
        .await?;
        audit::record(
            p,
            Event::new(EventType::FAILED_CHANGE_PASSWORD_REQUEST)
                .user(user)
                .description("Adding a password refused: the address has a password account"),
        );
        return Ok(());
    }
    let now = p.now();
    let token = link_token();
    let payload = serde_json::to_string(&Pending { password_hash })
        .map_err(crate::OAuthError::server_error)?;
    p.store
        .put_email_token(&EmailToken {
            token_id: new_id("apw"),
            purpose: EmailTokenPurpose::AddPassword,
            email: user.email.clone(),
            user_id: Some(user.user_id.clone()),
            token_hash: p.hasher.hash(&token),
            code_hash: None,
            attempts: 0,
            payload,
            created_at: now,
            expires_at: now + LINK_LIFETIME_SECONDS,
        })
        .await?;
    mail::enqueue(
        p,
        templates::add_password(
            lang,
            product,
            &user.email,
            &(links.confirm)(&token),
            LINK_LIFETIME_SECONDS / 60,
        ),
    )
    .await?;
    audit::record(
        p,
        Event::new(EventType::SUCCESS_CHANGE_PASSWORD_REQUEST)
            .user(user)
            .description("Adding a password: confirmation link sent"),
    );
    Ok(())
}

/// Uses the mailed link (once), in a browser signed in as `user`: the password is added and the
/// address becomes the user's verified sign-in name. Returns the updated user.
pub async fn confirm(p: &Provider, user: &User, token: &str) -> Result<User, AccountError> {
    let expired =
        || AccountError::Expired("This link has expired or was already used. Ask for a new one.");
    if token.is_empty() || token.len() > 128 {
        return Err(expired());
    }
    let Some(record) = p
        .store
        .get_email_token_by_hash(EmailTokenPurpose::AddPassword, &p.hasher.hash(token))
        .await?
        .filter(|t| t.expires_at > p.now())
    else {
        return Err(expired());
    };
    if record.user_id.as_deref() != Some(user.user_id.as_str()) {
        audit::record(
            p,
            Event::new(EventType::FAILED_CHANGE_PASSWORD)
                .user(user)
                .description("Adding a password refused: the link is another account's"),
        );
        return Err(AccountError::Expired(
            "This link belongs to another account. Sign in to the account that asked for it, then open the link again.",
        ));
    }
    if !p.store.take_email_token(&record.token_id).await? {
        return Err(expired());
    }
    let pending: Pending =
        serde_json::from_str(&record.payload).map_err(crate::OAuthError::server_error)?;
    match p
        .store
        .add_database_password(
            &user.user_id,
            &record.email,
            &pending.password_hash,
            p.now(),
        )
        .await
    {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            return Err(AccountError::Expired(
                "An account with this email already exists. Sign in instead.",
            ));
        }
        Err(StoreError::NotFound) => {
            return Err(AccountError::field(
                "new_password",
                "Your account already has a password.",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    let user = p
        .store
        .get_user(&user.user_id)
        .await?
        .ok_or_else(|| crate::OAuthError::server_error("user vanished"))?;
    tracing::info!(event = "password_added", user_id = %user.user_id, "password added");
    audit::record(
        p,
        Event::new(EventType::SUCCESS_CHANGE_PASSWORD)
            .user(&user)
            .description("Password added to an account that had none"),
    );
    Ok(user)
}
