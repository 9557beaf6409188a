//! The introspection response (RFC 7662 §2.2).

use super::Audience;
use serde::Serialize;

/// `{"active": false}` alone, or `active: true` with the token's details.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Introspection {
    pub active: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub token: Option<IntrospectedToken>,
}

impl Introspection {
    /// An inactive token: nothing else is said (RFC 7662 §2.2).
    pub fn inactive() -> Self {
        Introspection {
            active: false,
            token: None,
        }
    }

    pub fn active(token: IntrospectedToken) -> Self {
        Introspection {
            active: true,
            token: Some(token),
        }
    }
}

/// What an active token is, with `token_type` as its tag (RFC 7662 §2.2, RFC 7009 §2.1 names).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "token_type", rename_all = "snake_case")]
pub enum IntrospectedToken {
    AccessToken {
        scope: String,
        client_id: String,
        sub: String,
        aud: Audience,
        iss: String,
        exp: i64,
        iat: i64,
        jti: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        gty: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        permissions: Option<Vec<String>>,
    },
    RefreshToken {
        client_id: String,
        sub: String,
        scope: String,
        iat: i64,
        exp: i64,
        iss: String,
    },
}
