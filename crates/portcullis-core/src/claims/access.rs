//! JWT access token claims (RFC 9068 §2.2).

use super::{Audience, CustomClaims};
use serde::{Deserialize, Serialize};

/// `gty` of tokens from the client credentials grant (as Auth0 marks them).
pub const GTY_CLIENT_CREDENTIALS: &str = "client-credentials";

/// An access token. Also what [`crate::access_token::check`] reads back from a presented token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub sub: String,
    /// The API identifier, plus the UserInfo endpoint when `openid` was granted.
    pub aud: Audience,
    pub iat: i64,
    pub exp: i64,
    pub scope: String,
    pub jti: String,
    pub client_id: String,
    pub azp: String,
    /// The grant type, when it is not a user's (Auth0: `client-credentials`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gty: Option<String>,
    /// All the user's permissions for the API, when the API's `token_dialect` is
    /// `access_token_authz` (Auth0's "Add Permissions in the Access Token").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<String>>,
    #[serde(flatten)]
    pub custom: CustomClaims,
}
