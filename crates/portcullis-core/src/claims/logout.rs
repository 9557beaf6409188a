//! Logout token claims (OpenID Connect Back-Channel Logout 1.0 §2.4).

use serde::Serialize;
use serde_json::Map;

/// `events`: the back-channel logout event (`http://schemas.openid.net/event/backchannel-logout`)
/// with an empty object (BCL §2.4).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LogoutEvents {
    #[serde(rename = "http://schemas.openid.net/event/backchannel-logout")]
    pub backchannel_logout: Map<String, serde_json::Value>,
}

/// A logout token: `iss`, `aud`, `iat`, `exp`, `jti`, `sub`, `sid`, `events`, and never a
/// `nonce` (BCL §2.4).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogoutTokenClaims {
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    pub sub: String,
    pub sid: String,
    pub events: LogoutEvents,
}
