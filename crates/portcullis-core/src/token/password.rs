//! The legacy resource owner password credentials grant (RFC 6749 §4.3), `grant_type=password`,
//! and Auth0's `http://auth0.com/oauth/grant-type/password-realm` (the same with a `realm` naming
//! the connection). RFC 9700 §2.4: it "MUST NOT be used" — the application sees the password,
//! and no second factor, consent or upstream sign-in can happen. It exists for applications
//! moving from Auth0 (auth0.swift, auth0.android) and is off unless an application opts in
//! (`password` in its `grant_types`, never for a browser application). Attempts are counted
//! with the hosted sign-in's brute-force protection.

use super::issue::TokenResponse;
use super::user_grant::{first_party_only, issue_for_user};
use crate::Provider;
use crate::connections::{self, Connection};
use crate::error::{ErrorCode, OAuthError, OAuthResult};
use crate::login::{self, LoginError};
use crate::params::{Params, printable};
use portcullis_store::{ApplicationType, Client};

/// `grant_type=password`.
pub const PASSWORD: &str = "password";
/// Auth0's password-realm grant.
pub const PASSWORD_REALM: &str = "http://auth0.com/oauth/grant-type/password-realm";

pub(super) async fn exchange(
    p: &Provider,
    client: &Client,
    client_ip: &str,
    params: &Params,
    grant_type: &str,
) -> OAuthResult<TokenResponse> {
    // Also checked when the application is saved; an application stored before that rule
    // still never gets here from a browser.
    if client.app_type == ApplicationType::Spa {
        return Err(OAuthError::unauthorized_client(
            "Single-page applications cannot use the password grant.",
        ));
    }
    first_party_only(client, grant_type)?;
    if grant_type == PASSWORD_REALM {
        let realm = params.require("realm")?;
        if connections::resolve(p, realm).await? != Some(Connection::Database) {
            return Err(OAuthError::invalid_request(format!(
                "Unknown realm: {}. Use the database connection's name.",
                printable(realm)
            )));
        }
    }
    let username = params.require("username")?;
    let password = params.require("password")?;
    let user = match login::authenticate(p, username, password, client_ip).await {
        Ok(user) => user,
        Err(LoginError::InvalidCredentials) => {
            return Err(OAuthError::invalid_grant("Wrong email or password."));
        }
        Err(LoginError::Blocked) => return Err(OAuthError::invalid_grant("user is blocked")),
        Err(LoginError::TooManyAttempts) => {
            return Err(OAuthError::new(
                ErrorCode::TooManyAttempts,
                "Too many failed attempts; try again later.",
            ));
        }
        Err(LoginError::Internal(e)) => return Err(e),
    };
    tracing::info!(event = "password_grant", client_id = %client.client_id, user_id = %user.user_id, "signed in with the password grant");
    issue_for_user(p, client, &user, params).await
}

/// Logs a warning naming every application allowed the password grant (called when the
/// server starts), so an operator notices the legacy grant is on and can plan to move off it.
pub async fn warn_if_enabled(p: &Provider) -> OAuthResult<()> {
    let clients = p.store.list_clients().await?;
    let enabled: Vec<&str> = clients
        .iter()
        .filter(|c| {
            c.grant_types
                .contains(&portcullis_store::GrantType::Password)
        })
        .map(|c| c.client_id.as_str())
        .collect();
    if !enabled.is_empty() {
        tracing::warn!(
            applications = ?enabled,
            "the legacy password grant is enabled for these applications; it exposes users' \
             passwords to the application and bypasses the hosted sign-in (RFC 9700 section \
             2.4): move them to the authorization code flow (see docs/authentication-api.md)"
        );
    }
    Ok(())
}
