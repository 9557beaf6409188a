//! The claims of every token Portcullis signs or describes, as typed structs: one place per
//! claim. A new claim (`permissions`, `amr`/`acr`, `org_id`, a custom namespaced claim) is one
//! optional field on the struct of the token that carries it; serialization skips absent ones.

pub mod access;
pub mod custom;
mod id;
mod introspection;
pub mod logout;
mod user;

pub use access::AccessTokenClaims;
pub use id::IdTokenClaims;
pub use introspection::{IntrospectedToken, Introspection};
pub use logout::{LogoutEvents, LogoutTokenClaims};
pub use user::UserClaims;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Namespaced claims added by the tenant's custom-claim rules (flattened into the token).
pub type CustomClaims = Map<String, Value>;

/// `aud` (RFC 7519 §4.1.3): one string, or an array of strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    /// The audience values.
    pub fn values(&self) -> Vec<&str> {
        match self {
            Audience::One(s) => vec![s.as_str()],
            Audience::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }

    /// Whether `audience` is one of the values.
    pub fn contains(&self, audience: &str) -> bool {
        self.values().contains(&audience)
    }
}

/// The claims discovery lists in `claims_supported` (OIDC Discovery §3): those of ID tokens and
/// UserInfo.
pub fn supported() -> Vec<&'static str> {
    let mut names = IdTokenClaims::PROTOCOL_CLAIMS.to_vec();
    names.extend_from_slice(UserClaims::NAMES);
    names
}

#[cfg(test)]
mod tests;
