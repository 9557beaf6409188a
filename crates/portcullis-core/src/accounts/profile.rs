//! What a signed-in user can do about their own account on `/u/account` (issue: hosted
//! accounts §4 and §6): name, password, email verification, sessions and approved applications.

use super::{AccountError, link_token};
use crate::Provider;
use crate::audit::{self, Event, EventType};
use crate::crypto::new_id;
use crate::i18n::Lang;
use crate::mail::{self, templates};
use crate::throttle::Throttle;
use portcullis_store::{EmailToken, EmailTokenPurpose, User};

/// Changes the display name (empty clears it).
pub async fn update_name(p: &Provider, user: &User, name: &str) -> Result<User, AccountError> {
    let name = name.trim();
    let mut user = user.clone();
    user.name = if name.is_empty() {
        None
    } else {
        Some(
            crate::admin::validate::check_name("name", name)
                .map_err(|_| AccountError::field("name", "Use at most 200 characters."))?,
        )
    };
    user.updated_at = p.now();
    p.store.update_user(&user).await?;
    Ok(user)
}

/// Changes the password after checking the current one (which counts toward the sign-in
/// lockout like any sign-in), with the policy of every password. Every session of the user ends
/// (the caller signs this browser in again) and the user gets a mail.
pub async fn change_password(
    p: &Provider,
    user: &User,
    current: &str,
    new: &str,
    client_ip: &str,
    reset_link: &str,
    lang: Lang,
) -> Result<User, AccountError> {
    let attempt = Throttle::SignIn {
        email: &user.email,
        ip: client_ip,
    }
    .reserve(p)
    .await
    .map_err(AccountError::from_throttle)?;
    let ok = p
        .passwords
        .verify(current, user.password_hash.as_deref())
        .await
        .map_err(crate::OAuthError::server_error)?;
    let failed = |reason: &str| {
        audit::record(
            p,
            Event::new(EventType::FAILED_CHANGE_PASSWORD)
                .user(user)
                .description(reason),
        );
    };
    if !ok {
        failed("The current password was wrong");
        return Err(AccountError::field(
            "current_password",
            "That is not your current password.",
        ));
    }
    attempt.succeeded(p).await?;
    if let Err(violation) = crate::password_policy::check(new, Some(&user.email)) {
        failed(&format!("The new password was refused: {violation}"));
        return Err(AccountError::field("new_password", violation.to_string()));
    }
    let mut user = user.clone();
    user.password_hash = Some(
        p.passwords
            .hash(new)
            .await
            .map_err(crate::OAuthError::server_error)?,
    );
    user.updated_at = p.now();
    p.store.update_user(&user).await?;
    crate::sessions::end_all_for_user(p, &user.user_id).await?;
    mail::enqueue(
        p,
        templates::password_changed(lang, &p.config.product_name, &user.email, reset_link),
    )
    .await?;
    tracing::info!(event = "password_changed", user_id = %user.user_id, "password changed");
    audit::record(
        p,
        Event::new(EventType::SUCCESS_CHANGE_PASSWORD)
            .user(&user)
            .description("Password changed on the account page"),
    );
    Ok(user)
}

/// Mails a link that confirms the user's address (for accounts created by an operator, an
/// import or the CLI with `email_verified: false`). Resending replaces the previous link.
pub async fn send_verification(
    p: &Provider,
    user: &User,
    link: &(dyn Fn(&str) -> String + Sync),
    lang: Lang,
) -> Result<(), AccountError> {
    if user.email_verified {
        return Ok(());
    }
    let _mail = Throttle::AccountMail { email: &user.email }
        .reserve(p)
        .await
        .map_err(AccountError::from_throttle)?;
    let now = p.now();
    let token = link_token();
    p.store
        .put_email_token(&EmailToken {
            token_id: new_id("vrf"),
            purpose: EmailTokenPurpose::VerifyEmail,
            email: user.email.clone(),
            user_id: Some(user.user_id.clone()),
            token_hash: p.hasher.hash(&token),
            code_hash: None,
            attempts: 0,
            payload: "{}".to_owned(),
            created_at: now,
            expires_at: now + p.config.verification_lifetime,
        })
        .await?;
    let days = p.config.verification_lifetime / 86_400;
    mail::enqueue(
        p,
        templates::verify_email(
            lang,
            &p.config.product_name,
            &user.email,
            &link(&token),
            days.max(1),
        ),
    )
    .await?;
    audit::record(
        p,
        Event::new(EventType::SUCCESS_VERIFICATION_REQUEST)
            .user(user)
            .description("Verification email sent"),
    );
    Ok(())
}

/// Uses a verification link (once): the account's email is verified.
pub async fn verify_email(p: &Provider, token: &str) -> Result<User, AccountError> {
    let expired = || {
        audit::record(
            p,
            Event::new(EventType::FAILED_VERIFICATION)
                .description("The verification link has expired or was already used"),
        );
        AccountError::Expired("This link has expired or was already used. Ask for a new one.")
    };
    if token.is_empty() || token.len() > 128 {
        return Err(expired());
    }
    let Some(record) = p
        .store
        .get_email_token_by_hash(EmailTokenPurpose::VerifyEmail, &p.hasher.hash(token))
        .await?
        .filter(|t| t.expires_at > p.now())
    else {
        return Err(expired());
    };
    if !p.store.take_email_token(&record.token_id).await? {
        return Err(expired());
    }
    let Some(mut user) = p
        .store
        .get_user(record.user_id.as_deref().unwrap_or_default())
        .await?
        .filter(|u| u.email == record.email)
    else {
        return Err(expired());
    };
    user.email_verified = true;
    user.updated_at = p.now();
    p.store.update_user(&user).await?;
    tracing::info!(event = "email_verified", user_id = %user.user_id, "email verified");
    audit::record(
        p,
        Event::new(EventType::SUCCESS_VERIFICATION)
            .user(&user)
            .description("Email verified"),
    );
    Ok(user)
}

/// Takes back a consent: the application asks again next time, and its refresh tokens and
/// grants for this user are revoked. Returns whether there was one.
pub async fn revoke_consent(
    p: &Provider,
    user: &User,
    client_id: &str,
) -> Result<bool, AccountError> {
    let existed = p.store.delete_consent(&user.user_id, client_id).await?;
    p.store
        .revoke_user_client_grants(&user.user_id, client_id)
        .await?;
    Ok(existed)
}

/// Ends one of the user's own sessions (another device). Someone else's is not found.
pub async fn end_session(
    p: &Provider,
    user: &User,
    session_id: &str,
) -> Result<bool, AccountError> {
    match p.store.get_session(session_id).await? {
        Some(session) if session.user_id == user.user_id => {
            crate::sessions::end(p, &session).await?;
            Ok(true)
        }
        _ => Ok(false),
    }
}
