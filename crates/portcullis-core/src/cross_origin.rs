//! Auth0's cross-origin authentication, as auth0-js `WebAuth.passwordlessLogin` uses it from an
//! application's own page: `/co/authenticate` checks the credential sent from the browser and
//! answers a single-use `login_ticket`; the browser then opens `/authorize?login_ticket=…`,
//! which signs it in and continues the authorization request like any completed sign-in step.
//!
//! A ticket is bound to its application and to the browser that asked for it (a verifier set as
//! a cookie by `/co/authenticate` and kept only as a keyed hash), works once, and expires after
//! [`LIFETIME`]. Only the passwordless one-time code is accepted as a credential: a password
//! typed into an application's page belongs on the hosted sign-in page.

use crate::Provider;
use crate::accounts::AccountError;
use crate::accounts::passwordless;
use crate::connections::{self, Connection};
use crate::crypto::{new_id, random_token};
use crate::error::{ErrorCode, OAuthError};
use portcullis_store::{Client, EmailToken, EmailTokenPurpose, GrantType, User};
use serde::{Deserialize, Serialize};

/// How long a login ticket works: 2 minutes (the browser uses it at once).
pub const LIFETIME: i64 = 120;
/// The credential type of the passwordless one-time code.
pub const PASSWORDLESS_OTP: &str = "http://auth0.com/oauth/grant-type/passwordless/otp";

/// What `/co/authenticate` answers.
#[derive(Debug, Clone, Serialize)]
pub struct Ticket {
    pub login_ticket: String,
    /// Also set as a cookie; auth0-js keeps it for its third-party-cookie fallback.
    pub co_verifier: String,
    pub co_id: String,
}

/// Why `/co/authenticate` refused.
#[derive(Debug)]
pub enum CoError {
    /// A request that cannot be served (`error`, `error_description`).
    Refused(OAuthError),
    /// The account rules refused (wrong code, throttled, blocked…).
    Account(AccountError),
}

#[derive(Serialize, Deserialize)]
struct Pending {
    client_id: String,
}

/// Checks the credential from the application's page and issues a login ticket.
pub async fn authenticate(
    p: &Provider,
    client: &Client,
    credential_type: &str,
    realm: Option<&str>,
    username: &str,
    otp: &str,
) -> Result<Ticket, CoError> {
    if credential_type != PASSWORDLESS_OTP {
        return Err(CoError::Refused(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "Only the passwordless one-time code can be sent here; passwords are typed on the \
             hosted sign-in page.",
        )));
    }
    if !client.grant_types.contains(&GrantType::PasswordlessOtp) {
        return Err(CoError::Refused(OAuthError::unauthorized_client(
            "This application may not use the passwordless one-time code grant.",
        )));
    }
    let realm_ok = match realm {
        Some(realm) => {
            connections::resolve(p, realm)
                .await
                .map_err(|e| CoError::Account(e.into()))?
                == Some(Connection::PasswordlessEmail)
        }
        None => false,
    };
    if !realm_ok {
        return Err(CoError::Refused(OAuthError::invalid_request(
            "realm must be email.",
        )));
    }
    let verified = passwordless::verify_code(p, username, otp, &client.client_id)
        .await
        .map_err(CoError::Account)?;
    issue(p, client, &verified.user)
        .await
        .map_err(CoError::Account)
}

async fn issue(p: &Provider, client: &Client, user: &User) -> Result<Ticket, AccountError> {
    let now = p.now();
    let token_id = new_id("cot");
    let login_ticket = random_token(32);
    let co_verifier = random_token(32);
    let pending = Pending {
        client_id: client.client_id.clone(),
    };
    p.store
        .put_email_token(&EmailToken {
            token_id: token_id.clone(),
            purpose: EmailTokenPurpose::LoginTicket,
            email: user.email.clone(),
            user_id: Some(user.user_id.clone()),
            token_hash: p.hasher.hash(&login_ticket),
            code_hash: Some(verifier_hash(p, &token_id, &co_verifier)),
            attempts: 0,
            payload: serde_json::to_string(&pending).map_err(OAuthError::server_error)?,
            created_at: now,
            expires_at: now + LIFETIME,
        })
        .await?;
    Ok(Ticket {
        login_ticket,
        co_verifier,
        co_id: random_token(16),
    })
}

fn verifier_hash(p: &Provider, token_id: &str, verifier: &str) -> String {
    p.hasher.hash(&format!("co-verifier:{token_id}:{verifier}"))
}

/// Redeems a login ticket at `/authorize` for `client_id`, from the browser holding
/// `verifier`: once, unexpired, for the application it was issued to. Any failure is the same
/// `access_denied`.
pub async fn redeem(
    p: &Provider,
    login_ticket: &str,
    verifier: Option<&str>,
    client_id: &str,
) -> Result<User, OAuthError> {
    let refused = || OAuthError::new(ErrorCode::AccessDenied, "Invalid or expired login ticket.");
    if login_ticket.is_empty() || login_ticket.len() > 128 {
        return Err(refused());
    }
    let Some(record) = p
        .store
        .get_email_token_by_hash(EmailTokenPurpose::LoginTicket, &p.hasher.hash(login_ticket))
        .await?
        .filter(|t| t.expires_at > p.now())
    else {
        return Err(refused());
    };
    // Used once, whatever happens next: a ticket shown to the wrong party is burnt.
    if !p.store.take_email_token(&record.token_id).await? {
        return Err(refused());
    }
    let pending: Pending =
        serde_json::from_str(&record.payload).map_err(OAuthError::server_error)?;
    let verifier_ok = verifier.is_some_and(|v| {
        v.len() <= 128
            && p.hasher.verify(
                &format!("co-verifier:{}:{v}", record.token_id),
                record.code_hash.as_deref().unwrap_or_default(),
            )
    });
    if pending.client_id != client_id || !verifier_ok {
        return Err(refused().with_detail("login ticket for another client or browser"));
    }
    let Some(user) = p
        .store
        .get_user(record.user_id.as_deref().unwrap_or_default())
        .await?
    else {
        return Err(refused());
    };
    crate::authorize::user_may_sign_in(&user)?;
    Ok(user)
}
