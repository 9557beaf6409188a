//! The token endpoint (RFC 6749 §3.2): authenticate the client, then one module per grant.

mod authorization_code;
mod client_credentials;
pub mod issue;
mod refresh_token;

pub use issue::TokenResponse;

use crate::Provider;
use crate::client_auth;
use crate::error::{ErrorCode, OAuthError, OAuthResult};
use crate::params::{Params, printable};
use portcullis_store::{Client, GrantType};

/// Handles one token request. `authorization` is the raw `Authorization` header.
pub async fn exchange(
    p: &Provider,
    authorization: Option<&str>,
    client_ip: &str,
    params: &Params,
) -> OAuthResult<TokenResponse> {
    let grant_type = params.require("grant_type")?;
    let handler = match grant_type {
        "authorization_code" => GrantType::AuthorizationCode,
        "refresh_token" => GrantType::RefreshToken,
        "client_credentials" => GrantType::ClientCredentials,
        // RFC 9700 §2.4: the resource owner password credentials grant is not offered.
        other => {
            return Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                format!("Unsupported grant_type: {}.", printable(other)),
            ));
        }
    };
    let (client, _) = client_auth::authenticate(p, authorization, client_ip, params).await?;
    allowed(&client, handler)?;
    match handler {
        GrantType::AuthorizationCode => authorization_code::exchange(p, &client, params).await,
        GrantType::RefreshToken => refresh_token::exchange(p, &client, params).await,
        GrantType::ClientCredentials => client_credentials::exchange(p, &client, params).await,
        // Not a token-endpoint grant: `exchange` never maps a grant_type to it.
        GrantType::Implicit => Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            "Unsupported grant_type: implicit.",
        )),
    }
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
mod tests;
