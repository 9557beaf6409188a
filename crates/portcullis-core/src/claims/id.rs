//! ID token claims (OIDC Core §2, §3.1.3.6).

use super::{CustomClaims, UserClaims};
use serde::Serialize;

/// An ID token: the protocol claims, the user's released claims, and custom namespaced claims.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdTokenClaims {
    pub iss: String,
    /// The client the token is for (OIDC Core §2: one audience, so a string).
    pub aud: String,
    pub azp: String,
    pub iat: i64,
    pub exp: i64,
    pub auth_time: i64,
    /// The IdP session, for logout (Back-Channel Logout §2.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Only on code exchange and implicit sign-in (OIDC Core §12.2: a refreshed ID token has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// How the user authenticated (OIDC Core §2; RFC 8176 values), from the session's factors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    /// The authentication context class satisfied (OIDC Core §2): the multi-factor policy
    /// when a second factor was used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    #[serde(flatten)]
    pub user: UserClaims,
    #[serde(flatten)]
    pub custom: CustomClaims,
}

impl IdTokenClaims {
    /// The claim names of the protocol fields (not the user's claims), for discovery.
    pub const PROTOCOL_CLAIMS: &'static [&'static str] = &[
        "iss",
        "aud",
        "azp",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "sid",
        "amr",
        "acr",
    ];
}
