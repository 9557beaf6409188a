//! Password reset (issue: hosted accounts §4). The request page answers the same whether or not
//! the address has an account; the link works once, for `reset_lifetime`; choosing a new
//! password signs the user out everywhere (every session, refresh token and grant).

use super::{AccountError, link_token};
use crate::Provider;
use crate::audit::{self, Event, EventType};
use crate::crypto::new_id;
use crate::i18n::Lang;
use crate::mail::{self, templates};
use portcullis_store::{EmailToken, EmailTokenPurpose, User};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Pending {
    transaction: Option<String>,
}

/// Queues a reset link for `email` if it has an account. Always `Ok` for a well-formed address
/// (throttling aside), so the page says the same thing either way.
pub async fn request(
    p: &Provider,
    email: &str,
    client_ip: &str,
    transaction: Option<&str>,
    link: &(dyn Fn(&str) -> String + Sync),
    lang: Lang,
) -> Result<(), AccountError> {
    let email = crate::email::canonical(email);
    if email.is_empty() || email.len() > 254 || !email.contains('@') {
        return Err(AccountError::field("email", "Enter a valid email address."));
    }
    super::throttle_mail_request(p, client_ip, &email).await?;
    let Some(user) = p.store.get_user_by_email(&email).await? else {
        tracing::info!(
            event = "reset_unknown_email",
            "password reset asked for an unknown address"
        );
        return Ok(());
    };
    audit::record(
        p,
        Event::new(EventType::SUCCESS_CHANGE_PASSWORD_REQUEST)
            .user(&user)
            .description("Password reset mail sent"),
    );
    let now = p.now();
    let token = link_token();
    let pending = Pending {
        transaction: transaction.map(str::to_owned),
    };
    p.store
        .put_email_token(&EmailToken {
            token_id: new_id("rst"),
            purpose: EmailTokenPurpose::ResetPassword,
            email: email.clone(),
            user_id: Some(user.user_id.clone()),
            token_hash: p.hasher.hash(&token),
            code_hash: None,
            attempts: 0,
            payload: serde_json::to_string(&pending).map_err(crate::OAuthError::server_error)?,
            created_at: now,
            expires_at: now + p.config.reset_lifetime,
        })
        .await?;
    let minutes = p.config.reset_lifetime / 60;
    mail::enqueue(
        p,
        templates::reset_password(lang, &p.config.product_name, &email, &link(&token), minutes),
    )
    .await?;
    Ok(())
}

fn expired() -> AccountError {
    AccountError::Expired("This link has expired or was already used. Ask for a new one.")
}

/// The account a reset link is for, while the link is valid (for showing the form).
pub async fn lookup(p: &Provider, token: &str) -> Result<String, AccountError> {
    Ok(find(p, token).await?.email)
}

async fn find(p: &Provider, token: &str) -> Result<EmailToken, AccountError> {
    if token.is_empty() || token.len() > 128 {
        return Err(expired());
    }
    p.store
        .get_email_token_by_hash(EmailTokenPurpose::ResetPassword, &p.hasher.hash(token))
        .await?
        .filter(|t| t.expires_at > p.now())
        .ok_or_else(expired)
}

/// A completed reset: the account, and the authorization request to resume.
#[derive(Debug)]
pub struct Reset {
    pub user: User,
    pub transaction: Option<String>,
}

/// Sets the new password (same policy as everywhere), uses the link (once), signs the user out
/// everywhere and tells them by mail.
pub async fn complete(
    p: &Provider,
    token: &str,
    new_password: &str,
    reset_link: &str,
    lang: Lang,
) -> Result<Reset, AccountError> {
    let record = find(p, token).await?;
    if let Err(violation) = crate::password_policy::check(new_password, Some(&record.email)) {
        audit::record(
            p,
            Event::new(EventType::FAILED_CHANGE_PASSWORD)
                .user_name(record.email.as_str())
                .description(format!("The new password was refused: {violation}")),
        );
        return Err(AccountError::field("password", violation.to_string()));
    }
    let password_hash = p
        .passwords
        .hash(new_password)
        .await
        .map_err(crate::OAuthError::server_error)?;
    if !p.store.take_email_token(&record.token_id).await? {
        return Err(expired());
    }
    let Some(mut user) = p
        .store
        .get_user(record.user_id.as_deref().unwrap_or_default())
        .await?
    else {
        return Err(expired());
    };
    user.password_hash = Some(password_hash);
    // Following the link proved the address.
    user.email_verified = true;
    user.updated_at = p.now();
    p.store.update_user(&user).await?;
    let ended = crate::sessions::end_all_for_user(p, &user.user_id).await?;
    tracing::info!(event = "password_reset", user_id = %user.user_id, sessions_ended = ended, "password reset");
    audit::record(
        p,
        Event::new(EventType::SUCCESS_CHANGE_PASSWORD)
            .user(&user)
            .description("Password changed with a reset link"),
    );
    mail::enqueue(
        p,
        templates::password_changed(lang, &p.config.product_name, &user.email, reset_link),
    )
    .await?;
    let pending: Pending =
        serde_json::from_str(&record.payload).map_err(crate::OAuthError::server_error)?;
    Ok(Reset {
        user,
        transaction: pending.transaction,
    })
}
