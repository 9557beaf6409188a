//! The API (`audience`, Auth0's parameter) a user's tokens are asked for, at `/authorize` and at
//! the token endpoint's user grants (password, password-realm, passwordless OTP).

use crate::Provider;
use crate::error::{ErrorCode, OAuthError, OAuthResult};
use crate::params::printable;
use portcullis_store::Api;

/// The API `audience` names, for tokens about a user. An unknown identifier is `access_denied`
/// ("Service not found", as on Auth0). So is the built-in Management API: it takes
/// client-credentials tokens only, so its scopes (`read:users`, `delete:users`…) are never put
/// into a user's token, where any holder of that token would carry them.
pub async fn for_user(p: &Provider, audience: Option<&str>) -> OAuthResult<Option<Api>> {
    let Some(audience) = audience else {
        return Ok(None);
    };
    match p.catalog.api(p.store.as_ref(), audience).await? {
        Some(api) if crate::management::builtin_api::is_management_api(&api) => {
            Err(OAuthError::new(
                ErrorCode::AccessDenied,
                "The Management API issues tokens to applications only, with the client_credentials grant.",
            ))
        }
        Some(api) => Ok(Some(api)),
        None => Err(OAuthError::new(
            ErrorCode::AccessDenied,
            format!("Service not found: {}", printable(audience)),
        )),
    }
}
