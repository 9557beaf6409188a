//! Auth0's `http://auth0.com/oauth/grant-type/passwordless/otp` grant: the 6-digit code mailed
//! by `/passwordless/start` (`realm: "email"`, `username`, `otp`) exchanged for tokens by the
//! application it was sent for. The code rules live in
//! [`crate::accounts::passwordless`].

use super::issue::TokenResponse;
use super::user_grant::{first_party_only, issue_for_user};
use crate::Provider;
use crate::accounts::AccountError;
use crate::accounts::passwordless::{self, WRONG_CODE};
use crate::connections::{self, Connection};
use crate::error::{ErrorCode, OAuthError, OAuthResult};
use crate::params::{Params, printable};
use portcullis_store::Client;

/// The grant type.
pub const PASSWORDLESS_OTP: &str = "http://auth0.com/oauth/grant-type/passwordless/otp";

pub(super) async fn exchange(
    p: &Provider,
    client: &Client,
    params: &Params,
) -> OAuthResult<TokenResponse> {
    first_party_only(client, PASSWORDLESS_OTP)?;
    let realm = params.require("realm")?;
    if connections::resolve(p, realm).await? != Some(Connection::PasswordlessEmail) {
        return Err(OAuthError::invalid_request(format!(
            "Unsupported realm: {}. Use email.",
            printable(realm)
        )));
    }
    let username = params.require("username")?;
    let otp = params.require("otp")?;
    let verified = match passwordless::verify_code(p, username, otp, &client.client_id).await {
        Ok(v) => v,
        Err(AccountError::Internal(e)) => return Err(e),
        Err(AccountError::Blocked) => return Err(OAuthError::invalid_grant("user is blocked")),
        Err(AccountError::SignupDisabled) => {
            return Err(OAuthError::new(
                ErrorCode::AccessDenied,
                "Sign-up is not available for this tenant.",
            ));
        }
        Err(_) => return Err(OAuthError::invalid_grant(WRONG_CODE)),
    };
    issue_for_user(p, client, &verified.user, params).await
}
