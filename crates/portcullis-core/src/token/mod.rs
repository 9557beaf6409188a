//! The token endpoint (RFC 6749 §3.2): authenticate the client, then one module per grant.

mod authorization_code;
mod client_credentials;
pub mod issue;
pub mod password;
pub mod passwordless;
pub mod rbac;
mod refresh_token;
mod user_grant;

pub use issue::TokenResponse;

use crate::Provider;
use crate::audit::{self, Event, EventType};
use crate::client_auth::{self, AuthenticatedClient, ClientCredentials};
use crate::error::{ErrorCode, OAuthError, OAuthResult};
use crate::params::{Params, printable};
use portcullis_store::{Client, GrantType};

/// Which clients may use a grant at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientRequirement {
    /// Any registered client: confidential ones authenticated, public ones by `client_id`
    /// (RFC 6749 §4.1.3, §6).
    Registered,
    /// Only a client that authenticated with a secret (RFC 6749 §4.4: "MUST only be used by
    /// confidential clients").
    Confidential,
}

/// One grant the token endpoint offers.
#[derive(Debug, Clone, Copy)]
pub struct GrantHandler {
    /// The `grant_type` value.
    pub grant_type: &'static str,
    pub kind: GrantType,
    pub client: ClientRequirement,
}

/// The grants of the token endpoint, in the order discovery lists them. A new grant (device
/// code, token exchange) is one entry here and one module. RFC 9700 §2.4 advises against the
/// resource owner password credentials grant: its two forms are listed (Auth0's SDKs use them)
/// but answer only applications that opted in (`password` in their `grant_types`).
pub const GRANTS: &[GrantHandler] = &[
    GrantHandler {
        grant_type: "authorization_code",
        kind: GrantType::AuthorizationCode,
        client: ClientRequirement::Registered,
    },
    GrantHandler {
        grant_type: "refresh_token",
        kind: GrantType::RefreshToken,
        client: ClientRequirement::Registered,
    },
    GrantHandler {
        grant_type: "client_credentials",
        kind: GrantType::ClientCredentials,
        client: ClientRequirement::Confidential,
    },
    GrantHandler {
        grant_type: password::PASSWORD,
        kind: GrantType::Password,
        client: ClientRequirement::Registered,
    },
    GrantHandler {
        grant_type: password::PASSWORD_REALM,
        kind: GrantType::Password,
        client: ClientRequirement::Registered,
    },
    GrantHandler {
        grant_type: passwordless::PASSWORDLESS_OTP,
        kind: GrantType::PasswordlessOtp,
        client: ClientRequirement::Registered,
    },
];

/// Handles one token request, in a fixed order: the grant type must be one we offer; then the
/// client is authenticated (before anything about a code or token is looked at, so a failed
/// attempt by another client changes nothing); then the grant's client requirement and the
/// application's allowed grants are checked; then the grant's own module runs.
pub async fn exchange(
    p: &Provider,
    credentials: &ClientCredentials,
    client_ip: &str,
    params: &Params,
) -> OAuthResult<TokenResponse> {
    let grant_type = params.require("grant_type")?;
    let Some(handler) = GRANTS.iter().find(|g| g.grant_type == grant_type) else {
        return Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            format!("Unsupported grant_type: {}.", printable(grant_type)),
        ));
    };
    let result = run_grant(p, handler, credentials, client_ip, params).await;
    record_exchange(p, handler, credentials.client_id(), params, &result);
    result
}

async fn run_grant(
    p: &Provider,
    handler: &GrantHandler,
    credentials: &ClientCredentials,
    client_ip: &str,
    params: &Params,
) -> OAuthResult<TokenResponse> {
    let authenticated = client_auth::authenticate(p, credentials, client_ip).await?;
    check_client(&authenticated, handler)?;
    let client = &authenticated.client;
    match handler.kind {
        GrantType::AuthorizationCode => authorization_code::exchange(p, client, params).await,
        GrantType::RefreshToken => refresh_token::exchange(p, client, params).await,
        GrantType::ClientCredentials => client_credentials::exchange(p, client, params).await,
        GrantType::Password => {
            password::exchange(p, client, client_ip, params, handler.grant_type).await
        }
        GrantType::PasswordlessOtp => passwordless::exchange(p, client, params).await,
        // Not a token-endpoint grant: no entry of `GRANTS` has it.
        GrantType::Implicit => Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            "Unsupported grant_type: implicit.",
        )),
    }
}

/// One audit log event per exchange, with Auth0's codes (`seacft`/`feacft` for codes,
/// `sertft`/`fertft` for refresh tokens, `seccft`/`feccft` for client credentials). Only the
/// grant type, audience, scope and error go in; never a code, token or secret.
fn record_exchange(
    p: &Provider,
    handler: &GrantHandler,
    client_id: Option<&str>,
    params: &Params,
    result: &OAuthResult<TokenResponse>,
) {
    // Requests naming no application, and those the throttle refused (its own `limit_*` event
    // says so once per window), would let anyone grow the log at will.
    if let Err(e) = result
        && (e.code == ErrorCode::TooManyAttempts || crate::client_auth::names_no_application(e))
    {
        return;
    }
    let (success, failure, what) = match handler.kind {
        GrantType::AuthorizationCode => (
            EventType::SUCCESS_CODE_EXCHANGE,
            EventType::FAILED_CODE_EXCHANGE,
            "Authorization Code for Access Token",
        ),
        GrantType::RefreshToken => (
            EventType::SUCCESS_REFRESH,
            EventType::FAILED_REFRESH,
            "Refresh Token for Access Token",
        ),
        GrantType::Password | GrantType::PasswordlessOtp => (
            EventType::SUCCESS_LOGIN,
            EventType::FAILED_LOGIN,
            "Resource Owner credentials for Access Token",
        ),
        GrantType::ClientCredentials | GrantType::Implicit => (
            EventType::SUCCESS_CLIENT_CREDENTIALS,
            EventType::FAILED_CLIENT_CREDENTIALS,
            "Client Credentials for Access Token",
        ),
    };
    let mut event = match result {
        Ok(response) => Event::new(success)
            .description(what)
            .detail("scope", response.scope.as_str()),
        Err(e) => {
            let event = Event::new(failure)
                .description(e.description.clone())
                .detail("error", e.code.as_str());
            // The private detail says why (unknown client, wrong secret…); a server error's
            // detail is for the server log only.
            match (&e.detail, e.code) {
                (Some(reason), code) if code != ErrorCode::ServerError => {
                    event.detail("reason", reason.as_str())
                }
                _ => event,
            }
        }
    }
    .detail("grant_type", handler.grant_type);
    if let Some(audience) = params.get("audience") {
        event = event.detail("audience", crate::params::printable(audience));
    }
    if let Some(client_id) = client_id {
        event = event.client_id(client_id);
    }
    audit::record(p, event);
}

/// The grant's client requirement, then the application's own list of grants.
fn check_client(authenticated: &AuthenticatedClient, handler: &GrantHandler) -> OAuthResult<()> {
    if handler.client == ClientRequirement::Confidential && !authenticated.is_confidential() {
        return Err(OAuthError::unauthorized_client(format!(
            "Public applications cannot use {}.",
            handler.grant_type
        )));
    }
    allowed(&authenticated.client, handler.kind)
}

/// RFC 6749 §5.2 `unauthorized_client`: the application is not allowed this grant.
fn allowed(client: &Client, grant: GrantType) -> OAuthResult<()> {
    if client.grant_types.contains(&grant) {
        Ok(())
    } else {
        Err(OAuthError::unauthorized_client(format!(
            "This application may not use the {} grant.",
            grant.as_str()
        )))
    }
}

#[cfg(test)]
mod rbac_tests;
#[cfg(test)]
mod tests;
